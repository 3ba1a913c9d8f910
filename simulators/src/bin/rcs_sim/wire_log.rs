//! The wire log of `rcs-sim terminal`: every message the simulator sends or receives, one line
//! each on stderr through `tracing` (`in udp 127.0.0.1:5060 -> 127.0.0.1:40000 MESSAGE sip:...`),
//! and the full text at debug level. It reads what the simulator wrote to its wire tap; it does
//! not capture to a file (the harness's pcapng writer does that in a run).

use rcs_harness::agent::Captured;
use rcs_harness::events::{Direction, Transport};
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
        summary(&message.bytes)
    )
}

/// The start line and CSeq of a SIP message, or what is wrong with it.
fn summary(bytes: &[u8]) -> String {
    let text = match Message::parse(bytes.to_vec()) {
        Ok(message) => match message.header("CSeq") {
            Some(cseq) => format!("{} (CSeq {})", message.summary(), cseq.trim()),
            None => message.summary(),
        },
        Err(err) => format!("unparseable ({} bytes): failed to {err}", bytes.len()),
    };
    // Control characters from the wire must not break the log line.
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_SUMMARY)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcs_harness::events::Protocol;

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
    fn garbage_is_described_not_trusted() {
        let out = line(&captured(Direction::Out, b"\x00\x01garbage\r\n\r\n"));
        assert!(out.starts_with("out udp "), "{out}");
        assert!(out.contains("unparseable (13 bytes)"), "{out}");
        assert!(!out.chars().any(char::is_control), "{out}");
        let long = vec![b'A'; 10_000];
        assert!(summary(&long).chars().count() <= MAX_SUMMARY);
    }
}
