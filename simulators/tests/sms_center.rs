//! The SMS center over real sockets: SMS-over-IP submissions (TS 24.341 5.3.2) answered 202 and
//! acknowledged with an RP-ACK MESSAGE, concatenated messages joined, retransmissions answered
//! once, other bodies and methods refused.

#![allow(clippy::unwrap_used)]

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use rcs_harness::agent::{Agent, WireTap};
use rcs_harness::clock::Clock;
use rcs_proto::sip::Message;
use rcs_proto::sms::submit_text;
use rcs_simulators::sms_center::{DEFAULT_NUMBER, SmsCenter};
use serde_json::Map;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;

async fn centre() -> SmsCenter {
    // The tap's records are not read here; a tap whose receiver is gone drops them.
    let (tx, _) = mpsc::unbounded_channel();
    let clock = Clock::virtual_time();
    let tap = WireTap::new("smsc", clock.clone(), tx);
    let any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    SmsCenter::start(any, DEFAULT_NUMBER.to_owned(), None, tap, clock)
        .await
        .unwrap()
}

fn submission(via: &str, branch: &str, call_id: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "MESSAGE tel:{DEFAULT_NUMBER} SIP/2.0\r\n\
         Via: SIP/2.0/{via};branch={branch}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:12599@botplatform.rcs.chinamobile.com>;tag=m1\r\n\
         To: <tel:{DEFAULT_NUMBER}>\r\n\
         P-Asserted-Identity: <tel:+8610658000>\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 1 MESSAGE\r\n\
         Content-Type: application/vnd.3gpp.sms\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

async fn recv_udp(socket: &UdpSocket) -> Message {
    let mut buf = vec![0; 65535];
    let (n, _) = tokio::time::timeout(Duration::from_secs(2), socket.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    Message::parse(buf[..n].to_vec()).unwrap()
}

#[tokio::test]
async fn a_submission_gets_202_then_an_rp_ack_in_reply_to_its_call() {
    let centre = centre().await;
    let dst = centre.endpoints().sip_udp.unwrap();
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let local = socket.local_addr().unwrap();
    let body = &submit_text("Your bill is due", "+8613800000001", DEFAULT_NUMBER, 4).unwrap()[0];
    let request = submission(&format!("UDP {local}"), "z9hG4bKs1", "call-1", body);
    socket.send_to(&request, dst).await.unwrap();
    let accepted = recv_udp(&socket).await;
    assert_eq!(accepted.status(), Some(202));
    let ack = recv_udp(&socket).await;
    assert_eq!(ack.method(), Some("MESSAGE"));
    assert_eq!(ack.request_uri(), Some("tel:+8610658000"));
    assert_eq!(ack.header("In-Reply-To"), Some("call-1"));
    assert_eq!(ack.header("Content-Type"), Some("application/vnd.3gpp.sms"));
    assert_eq!(&ack.body()[..3], &[0x03, 4, 0x41], "RP-ACK, the same RP-MR");
    let ok = format!(
        "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=u\r\nCall-ID: {}\r\nCSeq: 1 MESSAGE\r\nContent-Length: 0\r\n\r\n",
        ack.header("Via").unwrap(),
        ack.header("From").unwrap(),
        ack.header("To").unwrap(),
        ack.call_id().unwrap()
    );
    socket.send_to(ok.as_bytes(), dst).await.unwrap();

    // A retransmission gets the same 202 and is not counted again.
    socket.send_to(&request, dst).await.unwrap();
    let again = recv_udp(&socket).await;
    assert_eq!(again.as_bytes(), accepted.as_bytes());
    let out = centre.act("delivered", &Map::new()).await.unwrap();
    assert_eq!(out.values["count"], "1");
    assert_eq!(out.values["last.text"], "Your bill is due");
    assert_eq!(out.values["last.to"], "+8613800000001");
    assert_eq!(out.values["last.from"], "tel:+8610658000");
    assert_eq!(out.values["last.coding"], "gsm7");
    centre.stop().await;
}

#[tokio::test]
async fn concatenated_parts_over_tcp_make_one_message() {
    let centre = centre().await;
    let dst = centre.endpoints().sip_tcp.unwrap();
    let mut stream = TcpStream::connect(dst).await.unwrap();
    let local = stream.local_addr().unwrap();
    let text = "您的信用卡本期账单已出，应还款人民币三千二百元，最后还款日三月二十日，请按时还款。"
        .repeat(2);
    let parts = submit_text(&text, "+8613800000002", DEFAULT_NUMBER, 20).unwrap();
    assert!(parts.len() > 1);
    for (n, body) in parts.iter().enumerate() {
        let request = submission(
            &format!("TCP {local}"),
            &format!("z9hG4bKp{n}"),
            &format!("call-p{n}"),
            body,
        );
        stream.write_all(&request).await.unwrap();
    }
    // Each part: a 202 and an RP-ACK MESSAGE on the same connection.
    let mut seen = Vec::new();
    let mut buf = vec![0; 65535];
    while seen.windows(7).filter(|w| w == b"MESSAGE").count() < parts.len() * 2 {
        let n = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "connection closed");
        seen.extend_from_slice(&buf[..n]);
    }
    let text_seen = String::from_utf8_lossy(&seen);
    assert_eq!(
        text_seen.matches("SIP/2.0 202 Accepted").count(),
        parts.len()
    );
    let out = centre.act("delivered", &Map::new()).await.unwrap();
    assert_eq!(out.values["count"], "1");
    assert_eq!(out.values["last.text"], text);
    assert_eq!(out.values["last.segments"], parts.len().to_string());
    assert_eq!(out.values["last.coding"], "ucs2");
    centre.stop().await;
}

#[tokio::test]
async fn other_bodies_and_methods_are_refused() {
    let centre = centre().await;
    let dst = centre.endpoints().sip_udp.unwrap();
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let local = socket.local_addr().unwrap();
    let text = String::from_utf8(submission(
        &format!("UDP {local}"),
        "z9hG4bKt1",
        "c-t",
        b"hi",
    ))
    .unwrap()
    .replace("application/vnd.3gpp.sms", "text/plain");
    socket.send_to(text.as_bytes(), dst).await.unwrap();
    let refused = recv_udp(&socket).await;
    assert_eq!(refused.status(), Some(415));
    assert_eq!(refused.header("Accept"), Some("application/vnd.3gpp.sms"));

    let garbage = submission(&format!("UDP {local}"), "z9hG4bKt2", "c-g", &[0x00, 1, 2]);
    socket.send_to(&garbage, dst).await.unwrap();
    let bad = recv_udp(&socket).await;
    assert_eq!(bad.status(), Some(400));
    assert!(
        bad.header("Warning").unwrap().contains("RP"),
        "{:?}",
        bad.header("Warning")
    );

    let invite = String::from_utf8(submission(&format!("UDP {local}"), "z9hG4bKt3", "c-i", b""))
        .unwrap()
        .replacen("MESSAGE", "INVITE", 1)
        .replace("1 MESSAGE", "1 INVITE");
    socket.send_to(invite.as_bytes(), dst).await.unwrap();
    let not_allowed = recv_udp(&socket).await;
    assert_eq!(not_allowed.status(), Some(405));
    assert_eq!(not_allowed.header("Allow"), Some("MESSAGE, OPTIONS"));
    let out = centre.act("delivered", &Map::new()).await.unwrap();
    assert_eq!(out.values["count"], "0");
    assert!(
        centre
            .act(
                "delivered",
                &serde_json::json!({"x": 1}).as_object().unwrap().clone()
            )
            .await
            .is_err()
    );
    centre.stop().await;
}
