//! Capability queries in both directions (protocols.md §3.1), raw sends, and the terminal on TCP.

#![allow(clippy::unwrap_used)]

mod terminal_support;

use std::time::Duration;

use rcs_harness::clock::Clock;
use rcs_proto::sip::{Message, MessageBuilder, StreamDecoder};
use serde_json::{Value, json};
use terminal_support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn options_to_terminal(branch: &str) -> Message {
    MessageBuilder::request("OPTIONS", &format!("sip:+8613800000001@{DOMAIN}"))
        .header(
            "Via",
            &format!("SIP/2.0/UDP 127.0.0.1:5060;branch={branch}"),
        )
        .header("Max-Forwards", "69")
        .header("From", &format!("<sip:+8613800000002@{DOMAIN}>;tag=o1"))
        .header("To", &format!("<sip:+8613800000001@{DOMAIN}>"))
        .header("Call-ID", &format!("opt-{branch}"))
        .header("CSeq", "1 OPTIONS")
        .header("Accept", "application/sdp")
        .build()
}

/// The terminal's answer to an OPTIONS, and the tags it registered with.
async fn answer_and_registered_tags(faults: &[&str]) -> (Message, String) {
    let rig = launch(faults, Value::Null).await;
    let registered = rig
        .register_ok(&format!("<sip:+8613800000001@{DOMAIN}>"))
        .await;
    rig.send(options_to_terminal("z9hG4bKopt1").as_bytes())
        .await;
    let (answer, _, _) = rig.recv().await;
    rig.shutdown().await;
    (answer, registered.values["tags"].clone())
}

#[tokio::test]
async fn options_answer_carries_the_registered_tags() {
    let (answer, registered) = answer_and_registered_tags(&[]).await;
    assert_eq!(answer.status(), Some(200));
    assert!(answer.to_header().unwrap().tag().is_some());
    let tags = answer.contact_feature_tags().unwrap();
    let normalized = tags.normalized().into_iter().collect::<Vec<_>>().join("; ");
    assert_eq!(
        normalized, registered,
        "the same capability set as the REGISTER"
    );
    assert!(!tags.has("+sip.instance") && !tags.has("reg-id"));
    assert!(
        tags.iari_refs()
            .contains(&"urn:urn-7:3gpp-application.ims.iari.rcs.chatbot.sa".to_owned())
    );
    assert_eq!(
        answer.header("Allow"),
        Some("INVITE, ACK, CANCEL, BYE, UPDATE, OPTIONS, MESSAGE, NOTIFY, REFER")
    );
    assert!(answer.header("Accept").is_some());
}

#[tokio::test]
async fn options_without_tags_fault_strips_only_the_tags() {
    let (clean, _) = answer_and_registered_tags(&[]).await;
    let (answer, registered) = answer_and_registered_tags(&["terminal.options-without-tags"]).await;
    assert_eq!(answer.status(), Some(200));
    let contacts = answer.contacts().unwrap();
    assert_eq!(contacts.len(), 1);
    assert!(contacts[0].params.is_empty(), "{:?}", contacts[0].params);
    assert!(
        answer
            .contact_feature_tags()
            .unwrap()
            .normalized()
            .is_empty()
    );
    assert!(
        registered.contains("rcs.chatbot"),
        "REGISTER still advertises the tags"
    );
    assert_eq!(answer.header("Allow"), clean.header("Allow"));
    assert_eq!(answer.header("Accept"), clean.header("Accept"));
}

#[tokio::test]
async fn send_options_reports_the_peer_tags() {
    let rig = launch(&[], Value::Null).await;
    let bob_contact = "<sip:+8613800000002@127.0.0.1:5099;transport=udp>;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\";+g.gsma.rcs.isbot";
    let serve = async {
        let (query, _, _) = rig.recv().await;
        assert_eq!(query.method(), Some("OPTIONS"));
        assert_eq!(
            query.request_uri(),
            Some(format!("sip:+8613800000002@{DOMAIN}").as_str())
        );
        assert_eq!(query.header("Accept"), Some("application/sdp"));
        let own = query.contact_feature_tags().unwrap();
        assert!(
            own.icsi_refs()
                .contains(&"urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session".to_owned())
        );
        rig.reply(&query, 200, &[("Contact", bob_contact)]).await;
    };
    let (out, ()) = tokio::join!(rig.act("send-options", json!({ "to": "bob" })), serve);
    assert_eq!(out.values["status"], "200");
    assert_eq!(
        out.values["tags"],
        "+g.3gpp.icsi-ref=urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg; +g.gsma.rcs.isbot"
    );

    let serve = async {
        let (query, _, _) = rig.recv().await;
        rig.reply(&query, 480, &[]).await;
    };
    let (out, ()) = tokio::join!(rig.act("send-options", json!({ "to": "bob" })), serve);
    assert_eq!(out.values["status"], "480");
    assert_eq!(out.values["tags"], "");
    rig.shutdown().await;
}

#[tokio::test]
async fn send_raw_sends_the_bytes_as_they_are() {
    let rig = launch(&[], Value::Null).await;
    let text = "OPTIONS sip:x SIP/2.0\nVia: broken\n\n";
    let out = rig.act("send-raw", json!({ "text": text })).await;
    let (bytes, from) = rig.recv_raw().await;
    assert_eq!(bytes, b"OPTIONS sip:x SIP/2.0\r\nVia: broken\r\n\r\n");
    assert_eq!(from, rig.terminal());
    assert_eq!(out.values["sent.bytes"], bytes.len().to_string());

    rig.act("send-raw", json!({ "text": "A\nB", "crlf": false }))
        .await;
    assert_eq!(rig.recv_raw().await.0, b"A\nB");
    rig.shutdown().await;
}

#[tokio::test]
async fn over_tcp_requests_are_not_retransmitted_and_answers_reuse_the_connection() {
    let clock = Clock::virtual_time();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rig = launch_tcp(clock.clone(), listener.local_addr().unwrap()).await;
    let port = rig.agent.endpoints().sip_tcp.unwrap().port();
    let serve = async {
        let (mut conn, _) = listener.accept().await.unwrap();
        let register = read_message(&mut conn).await;
        let via = register.header("Via").unwrap();
        assert!(
            via.starts_with(&format!("SIP/2.0/TCP 127.0.0.1:{port};")),
            "{via}"
        );
        assert!(register.header("Contact").unwrap().starts_with(&format!(
            "<sip:+8613800000001@127.0.0.1:{port};transport=tcp>;"
        )));
        clock.advance(Duration::from_secs(8)).await;
        let mut probe = [0u8; 1];
        let nothing = tokio::time::timeout(QUIET, conn.read(&mut probe)).await;
        assert!(nothing.is_err(), "no retransmission over TCP");
        let answer = MessageBuilder::response_to(&register, 403, "Forbidden")
            .to_tag("x")
            .build();
        conn.write_all(answer.as_bytes()).await.unwrap();

        // A request from the message center on this connection is answered on it.
        conn.write_all(options_to_terminal("z9hG4bKtcp1").as_bytes())
            .await
            .unwrap();
        let answer = read_message(&mut conn).await;
        assert_eq!(answer.status(), Some(200));
        assert_eq!(answer.call_id(), Some("opt-z9hG4bKtcp1"));
    };
    let (out, ()) = tokio::join!(rig.act("register", Value::Null), serve);
    assert_eq!(out.values["status"], "403");
    rig.shutdown().await;
}

async fn read_message(conn: &mut tokio::net::TcpStream) -> Message {
    let mut decoder = StreamDecoder::new(1 << 16);
    let mut buf = bytes::BytesMut::new();
    loop {
        if let Some(message) = decoder.decode(&mut buf).unwrap() {
            return message;
        }
        let n = tokio::time::timeout(PATIENCE, conn.read_buf(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "connection closed");
    }
}
