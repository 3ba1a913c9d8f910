//! SIP over UDP: one datagram is one message (RFC 3261 18.1.1, 18.2.1).
//!
//! The reader records every datagram on the wire tap as it arrived, parses it leniently and hands
//! it over, parsed or not. It does not fragment, reassemble or check sizes against the path MTU.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use rcs_harness::agent::WireTap;
use rcs_harness::events::{Direction, Protocol, Transport};
use rcs_proto::sip::Message;
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

use super::MAX_DATAGRAM;
use super::endpoint::Incoming;
use super::error::NetError;
use super::shutdown::Shutdown;

/// Reads datagrams until shutdown, or until nobody takes the messages any more.
pub(super) async fn run_reader(
    socket: Arc<UdpSocket>,
    tap: WireTap,
    incoming: mpsc::Sender<Incoming>,
    mut shutdown: Shutdown,
) {
    let Ok(local) = socket.local_addr() else {
        return;
    };
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let received = tokio::select! {
            _ = shutdown.recv() => return,
            received = socket.recv_from(&mut buf) => received,
        };
        let (len, src) = match received {
            Ok(got) => got,
            Err(err) => {
                // ICMP port unreachable from an earlier send surfaces here on some systems.
                tracing::debug!(%local, "udp receive error: {err}");
                continue;
            }
        };
        let bytes = Bytes::copy_from_slice(buf.get(..len).unwrap_or_default());
        tap.record(
            Direction::In,
            Transport::Udp,
            Protocol::Sip,
            src,
            local,
            &bytes,
        );
        if is_keepalive(&bytes) {
            continue;
        }
        let item = Incoming {
            transport: Transport::Udp,
            src,
            dst: local,
            message: Message::parse(bytes.clone()),
            bytes,
        };
        tokio::select! {
            _ = shutdown.recv() => return,
            sent = incoming.send(item) => if sent.is_err() { return },
        }
    }
}

/// Sends one datagram from the endpoint's socket and records it.
pub(super) async fn send(
    socket: &UdpSocket,
    tap: &WireTap,
    bytes: &[u8],
    dst: SocketAddr,
) -> Result<(), NetError> {
    let failed = |detail: String| NetError::Send {
        transport: Transport::Udp,
        dst,
        detail,
    };
    let local = socket.local_addr().map_err(|e| failed(e.to_string()))?;
    let sent = socket
        .send_to(bytes, dst)
        .await
        .map_err(|e| failed(e.to_string()))?;
    if sent != bytes.len() {
        return Err(failed(format!("wrote {sent} of {} bytes", bytes.len())));
    }
    tap.record(
        Direction::Out,
        Transport::Udp,
        Protocol::Sip,
        local,
        dst,
        bytes,
    );
    Ok(())
}

/// A datagram of only CR and LF: a keep-alive (RFC 5626 4.4.2 uses STUN on UDP, but CRLF pings
/// are common), recorded but not handed over.
fn is_keepalive(bytes: &[u8]) -> bool {
    !bytes.is_empty() && bytes.iter().all(|b| matches!(b, b'\r' | b'\n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_crlf_is_a_keepalive() {
        assert!(is_keepalive(b"\r\n\r\n"));
        assert!(is_keepalive(b"\r\n"));
        assert!(!is_keepalive(b""));
        assert!(!is_keepalive(b"\r\nOPTIONS"));
    }
}
