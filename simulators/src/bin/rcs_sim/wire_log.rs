//! The wire log of `rcs-sim terminal`: every message the simulator sends or receives, one line
//! each on stderr through `tracing` (`in udp 127.0.0.1:5060 -> 127.0.0.1:40000 MESSAGE sip:...`,
//! `out tcp ... MSRP SEND (Message-ID ..., Byte-Range 1-5/5)`), and the full text at debug level. It reads what the simulator wrote to its wire tap; it does
//! not capture to a file (the harness's pcapng writer does that in a run).

use rcs_harness::agent::Captured;
use rcs_harness::events::{Direction, Protocol, Transport};
use rcs_proto::msrp::{Frame, FrameKind};
use rcs_proto::sip::Message;
use tokio::sync::mpsc;

/// Longest summary printed; the full text is at debug level.
const MAX_SUMMARY: usize = 200;

/// Logs every captured message until the last tap is dropped.
pub(crate) async fn drain(mut captured: mpsc::UnboundedReceiver<Captured>) {
    while let Some(message) = captured.recv().await {
        tracing::info!("{}", line(&message));
        tracing::debug!("{}", String::from_utf8_lossy(&message.bytes));
    }
}

/// `DIRECTION TRANSPORT SRC -> DST SUMMARY`.
fn line(message: &Captured) -> String {
    let direction = match message.direction {
        Direction::In => "in",
        Direction::Out => "out",
    };
    let transport = match message.transport {
        Transport::Udp => "udp",
        Transport::Tcp => "tcp",
        Transport::Tls => "tls",
    };
    format!(
        "{direction} {transport} {} -> {} {}",
        message.src,
        message.dst,
        summary(message.protocol, &message.bytes)
    )
}

/// The start line and CSeq of a SIP message, the method or status and ids of an MSRP one, or
/// what is wrong with it.
fn summary(protocol: Protocol, bytes: &[u8]) -> String {
    let text = match protocol {
        Protocol::Msrp => msrp_summary(bytes),
        Protocol::Sip | Protocol::Http => sip_summary(bytes),
    };
    // Control characters from the wire must not break the log line.
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_SUMMARY)
        .collect()
}

fn sip_summary(bytes: &[u8]) -> String {
    match Message::parse(bytes.to_vec()) {
        Ok(message) => match message.header("CSeq") {
            Some(cseq) => format!("{} (CSeq {})", message.summary(), cseq.trim()),
            None => message.summary(),
        },
        Err(err) => format!("unparseable ({} bytes): failed to {err}", bytes.len()),
    }
}

/// `MSRP SEND (Message-ID m, Byte-Range 1-5/5)` or `MSRP 200 OK`.
fn msrp_summary(bytes: &[u8]) -> String {
    let frame = match Frame::parse(bytes) {
        Ok(frame) => frame,
        Err(err) => return format!("unparseable MSRP ({} bytes): {err}", bytes.len()),
    };
    let start = match &frame.kind {
        FrameKind::Request { method } => format!("MSRP {method}"),
        FrameKind::Response { code, comment } => match comment {
            Some(comment) => format!("MSRP {code:03} {comment}"),
            None => format!("MSRP {code:03}"),
        },
    };
    let ids: Vec<String> = ["Message-ID", "Byte-Range", "Status"]
        .into_iter()
        .filter_map(|name| {
            frame
                .header(name)
                .map(|value| format!("{name} {}", value.trim()))
        })
        .collect();
    match ids.is_empty() {
        true => start,
        false => format!("{start} ({})", ids.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captured(direction: Direction, bytes: &[u8]) -> Captured {
        Captured {
            role: "terminal".to_owned(),
            direction,
            transport: Transport::Udp,
            protocol: Protocol::Sip,
            src: "127.0.0.1:5060".parse().unwrap(),
            dst: "127.0.0.1:40000".parse().unwrap(),
            bytes: bytes.to_vec(),
            time_us: 0,
            case_ms: 0.0,
        }
    }

    #[test]
    fn a_request_is_one_line_with_its_cseq() {
        let bytes = b"MESSAGE sip:+8613800000001@ims.example SIP/2.0\r\n\
            Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n\
            Call-ID: a\r\nCSeq: 7 MESSAGE\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(
            line(&captured(Direction::In, bytes)),
            "in udp 127.0.0.1:5060 -> 127.0.0.1:40000 \
             MESSAGE sip:+8613800000001@ims.example (CSeq 7 MESSAGE)"
        );
    }

    #[test]
    fn msrp_shows_method_or_status_and_its_ids() {
        let send = b"MSRP a786hjs2 SEND\r\n\
            To-Path: msrp://127.0.0.1:7777/iau39soe2843z;tcp\r\n\
            From-Path: msrp://127.0.0.1:8888/9di4eae923wzd;tcp\r\n\
            Message-ID: 87652491\r\nByte-Range: 1-5/5\r\nContent-Type: text/plain\r\n\r\n\
            hello\r\n-------a786hjs2$\r\n";
        let mut message = captured(Direction::Out, send);
        message.transport = Transport::Tcp;
        message.protocol = Protocol::Msrp;
        assert_eq!(
            line(&message),
            "out tcp 127.0.0.1:5060 -> 127.0.0.1:40000 \
             MSRP SEND (Message-ID 87652491, Byte-Range 1-5/5)"
        );
        let ok = b"MSRP a786hjs2 200 OK\r\n\
            To-Path: msrp://127.0.0.1:8888/9di4eae923wzd;tcp\r\n\
            From-Path: msrp://127.0.0.1:7777/iau39soe2843z;tcp\r\n\
            -------a786hjs2$\r\n";
        assert_eq!(summary(Protocol::Msrp, ok), "MSRP 200 OK");
        let bad = summary(Protocol::Msrp, b"MSRP x\r\n");
        assert!(bad.starts_with("unparseable MSRP (8 bytes)"), "{bad}");
    }

    #[test]
    fn garbage_is_described_not_trusted() {
        let out = line(&captured(Direction::Out, b"\x00\x01garbage\r\n\r\n"));
        assert!(out.starts_with("out udp "), "{out}");
        assert!(out.contains("unparseable (13 bytes)"), "{out}");
        assert!(!out.chars().any(char::is_control), "{out}");
        let long = vec![b'A'; 10_000];
        assert!(summary(Protocol::Sip, &long).chars().count() <= MAX_SUMMARY);
        assert!(summary(Protocol::Msrp, &long).chars().count() <= MAX_SUMMARY);
    }
}
