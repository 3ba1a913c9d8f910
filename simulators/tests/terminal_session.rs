//! Two terminal simulators in session mode and large-message mode, terminal to terminal: alice's
//! message center (its outbound proxy) is bob himself, so everything alice sends reaches bob
//! directly; bob's proxy is a UDP socket of the test. Over TCP and TLS: INVITE, ACK, an MSRP
//! session, a 64 KiB message in 10 KiB chunks with its REPORT and IMDN, chunks out of order, the
//! UP switchover, BYE, and a 400 for an INVITE without Conversation-ID.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use rcs_harness::agent::{ActionOutput, Agent, AgentSpec, Captured, Peer, WireTap};
use rcs_harness::clock::Clock;
use rcs_harness::events::{Direction, Protocol, Transport};
use rcs_harness::role::{RoleKind, Subscriber};
use rcs_proto::msrp::{Frame, Reassembler};
use rcs_proto::sip::Message;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

const PATIENCE: Duration = Duration::from_secs(5);

struct Pair {
    alice: Box<dyn Agent>,
    bob: Box<dyn Agent>,
    /// Bob's message center.
    mc: UdpSocket,
    tap: mpsc::UnboundedReceiver<Captured>,
    seen: Vec<Captured>,
}

fn peer(name: &str, kind: RoleKind, subscriber: Option<Subscriber>) -> Peer {
    Peer {
        name: name.to_owned(),
        kind,
        subscriber,
        sip_udp: None,
        sip_tcp: None,
        sip_tls: None,
        http: None,
        carrier: Default::default(),
    }
}

fn spec(
    role: &str,
    transport: Transport,
    me: &Subscriber,
    peers: Vec<Peer>,
    faults: &[&str],
) -> AgentSpec {
    AgentSpec {
        case: "TEST".to_owned(),
        role: role.to_owned(),
        kind: RoleKind::Terminal,
        faults: faults.iter().map(|f| (*f).to_owned()).collect(),
        transport,
        subscriber: Some(me.clone()),
        subscribers: Vec::new(),
        peers: peers.into_iter().map(|p| (p.name.clone(), p)).collect(),
        settings: serde_json::Map::new(),
        tls: Default::default(),
        carrier: Default::default(),
    }
}

async fn pair(transport: Transport, alice_faults: &[&str], bob_faults: &[&str]) -> Pair {
    let clock = Clock::real();
    let (tx, tap) = mpsc::unbounded_channel();
    let alice_sub = Subscriber::builtin(1, true);
    let bob_sub = Subscriber::builtin(2, true);
    let mc = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mut bob_mc = peer("mc", RoleKind::MessageCenter, None);
    bob_mc.sip_udp = Some(mc.local_addr().unwrap());
    let alice_peer = peer("alice", RoleKind::Terminal, Some(alice_sub.clone()));
    let bob = rcs_simulators::terminal::start(
        spec(
            "bob",
            transport,
            &bob_sub,
            vec![bob_mc, alice_peer],
            bob_faults,
        ),
        WireTap::new("bob", clock.clone(), tx.clone()),
        clock.clone(),
    )
    .await
    .unwrap();
    let ends = bob.endpoints();
    let mut alice_mc = peer("mc", RoleKind::MessageCenter, None);
    (alice_mc.sip_udp, alice_mc.sip_tcp, alice_mc.sip_tls) =
        (ends.sip_udp, ends.sip_tcp, ends.sip_tls);
    let bob_peer = peer("bob", RoleKind::Terminal, Some(bob_sub));
    let alice = rcs_simulators::terminal::start(
        spec(
            "alice",
            transport,
            &alice_sub,
            vec![alice_mc, bob_peer],
            alice_faults,
        ),
        WireTap::new("alice", clock.clone(), tx),
        clock,
    )
    .await
    .unwrap();
    Pair {
        alice,
        bob,
        mc,
        tap,
        seen: Vec::new(),
    }
}

async fn act(agent: &dyn Agent, action: &str, params: Value) -> ActionOutput {
    let Value::Object(params) = params else {
        unreachable!("params are objects")
    };
    agent.act(action, &params).await.unwrap()
}

/// An MSRP frame captured at `role` in `direction`.
fn msrp(c: &Captured, role: &str, direction: Direction) -> Option<Frame> {
    (c.role == role && c.direction == direction && c.protocol == Protocol::Msrp)
        .then(|| Frame::parse(&c.bytes).ok())
        .flatten()
}

fn sip(c: &Captured, role: &str, direction: Direction) -> Option<Message> {
    (c.role == role && c.direction == direction && c.protocol == Protocol::Sip)
        .then(|| Message::parse(c.bytes.clone()).ok())
        .flatten()
}

impl Pair {
    /// Reads the tap until `done` holds for what was seen, or panics after a while.
    async fn until(&mut self, what: &str, done: impl Fn(&[Captured]) -> bool) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !done(&self.seen) {
            match tokio::time::timeout_at(deadline, self.tap.recv()).await {
                Ok(Some(c)) => self.seen.push(c),
                _ => panic!("never saw {what}"),
            }
        }
    }

    /// Whatever else arrives within a short while.
    async fn settle(&mut self) {
        while let Ok(Some(c)) =
            tokio::time::timeout(Duration::from_millis(400), self.tap.recv()).await
        {
            self.seen.push(c);
        }
    }

    fn frames(&self, role: &str, direction: Direction) -> Vec<Frame> {
        self.seen
            .iter()
            .filter_map(|c| msrp(c, role, direction))
            .collect()
    }

    async fn shutdown(self) {
        self.alice.shutdown().await;
        self.bob.shutdown().await;
    }
}

fn sends_of(frames: &[Frame], message_id: &str) -> Vec<Frame> {
    frames
        .iter()
        .filter(|f| f.method() == Some("SEND") && f.message_id() == Some(message_id))
        .cloned()
        .collect()
}

/// The IMDNs among SEND frames: bodies naming message/imdn+xml and `for_id`.
fn imdns_for(frames: &[Frame], for_id: &str) -> usize {
    frames
        .iter()
        .filter(|f| f.method() == Some("SEND"))
        .filter(|f| {
            let body = String::from_utf8_lossy(&f.body);
            body.contains("message/imdn+xml")
                && body.contains(&format!("<message-id>{for_id}</message-id>"))
        })
        .count()
}

async fn chunked_message_with_report(transport: Transport) {
    let mut p = pair(transport, &[], &[]).await;
    let started = act(&*p.alice, "start-chat", json!({ "to": "bob" })).await;
    assert_eq!(started.values["status"], "200", "{started:?}");
    let conversation = started.values["sent.Conversation-ID"].clone();
    assert_eq!(conversation.len(), 36);

    let sent = act(
        &*p.alice,
        "send-chat",
        json!({ "to": "bob", "size": 65536, "chunk-size": 10240, "success-report": true }),
    )
    .await;
    assert_eq!(sent.values["status"], "200", "{sent:?}");
    assert_eq!(sent.values["sent.size"], "65536");
    let id = sent.values["sent.msrp.Message-ID"].clone();
    let imdn_id = sent.values["sent.imdn.Message-ID"].clone();
    p.until("the REPORT at alice", |seen| {
        seen.iter()
            .filter_map(|c| msrp(c, "alice", Direction::In))
            .any(|f| f.method() == Some("REPORT"))
    })
    .await;
    p.until("the IMDN at alice", |seen| {
        let frames: Vec<Frame> = seen
            .iter()
            .filter_map(|c| msrp(c, "alice", Direction::In))
            .collect();
        imdns_for(&frames, &imdn_id) == 1
    })
    .await;
    p.settle().await;

    // The active side (alice) opened with a bodiless SEND.
    let alice_out = p.frames("alice", Direction::Out);
    let first = alice_out.first().unwrap();
    assert_eq!(first.method(), Some("SEND"));
    assert!(first.body.is_empty());

    let chunks = sends_of(&p.frames("bob", Direction::In), &id);
    assert_eq!(chunks.len(), 7, "65536 bytes in 10 KiB chunks");
    let mut whole = Reassembler::new(1 << 20);
    let mut body = None;
    for chunk in &chunks {
        body = whole.accept(chunk).unwrap().or(body);
    }
    let body = body.expect("the chunks make a whole message");
    assert_eq!(body.len(), 65536);
    assert_eq!(
        hex::encode(Sha256::digest(&body)),
        sent.values["sent.sha256"]
    );

    let reports: Vec<Frame> = p
        .frames("bob", Direction::Out)
        .into_iter()
        .filter(|f| f.method() == Some("REPORT"))
        .collect();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].header("Byte-Range"), Some("1-65536/65536"));
    assert_eq!(reports[0].header("Status"), Some("000 200 OK"));
    assert_eq!(imdns_for(&p.frames("bob", Direction::Out), &imdn_id), 1);

    // Bob answers in the same session; alice's IMDN goes back in it.
    let reply = act(
        &*p.bob,
        "send-chat",
        json!({ "to": "alice", "text": "回复 👍" }),
    )
    .await;
    assert_eq!(reply.values["status"], "200", "{reply:?}");
    assert_eq!(reply.values["sent.Conversation-ID"], conversation);
    let reply_id = reply.values["sent.imdn.Message-ID"].clone();
    p.until("alice's IMDN at bob", |seen| {
        let frames: Vec<Frame> = seen
            .iter()
            .filter_map(|c| msrp(c, "bob", Direction::In))
            .collect();
        imdns_for(&frames, &reply_id) == 1
    })
    .await;

    let ended = act(&*p.alice, "end-chat", json!({ "to": "bob" })).await;
    assert_eq!(ended.values["status"], "200", "{ended:?}");
    let err = p
        .bob
        .act(
            "send-chat",
            &serde_json::Map::from_iter([("to".to_owned(), json!("alice"))]),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("start-chat"), "{err}");
    p.shutdown().await;
}

#[tokio::test]
async fn a_chunked_message_arrives_whole_with_report_and_imdn_over_tcp() {
    chunked_message_with_report(Transport::Tcp).await;
}

#[tokio::test]
async fn a_chunked_message_arrives_whole_with_report_and_imdn_over_tls() {
    chunked_message_with_report(Transport::Tls).await;
}

#[tokio::test]
async fn tls_sessions_offer_msrps() {
    let mut p = pair(Transport::Tls, &[], &[]).await;
    let started = act(
        &*p.alice,
        "start-chat",
        json!({ "to": "bob", "text": "hi" }),
    )
    .await;
    assert_eq!(started.values["status"], "200", "{started:?}");
    assert_eq!(started.values["msrp.status"], "200", "{started:?}");
    p.until("the INVITE at bob", |seen| {
        seen.iter()
            .any(|c| sip(c, "bob", Direction::In).is_some_and(|m| m.method() == Some("INVITE")))
    })
    .await;
    p.settle().await;
    let invite = p
        .seen
        .iter()
        .find_map(|c| sip(c, "bob", Direction::In))
        .unwrap();
    let sdp = String::from_utf8_lossy(invite.body()).into_owned();
    assert!(sdp.contains("m=message 9 TCP/TLS/MSRP *"), "{sdp}");
    assert!(sdp.contains("a=path:msrps://127.0.0.1:"), "{sdp}");
    assert!(sdp.contains("a=setup:active"), "{sdp}");
    assert!(
        p.seen
            .iter()
            .any(|c| c.protocol == Protocol::Msrp && c.transport == Transport::Tls)
    );
    p.shutdown().await;
}

#[tokio::test]
async fn chunks_out_of_order_make_one_message_and_one_imdn() {
    for (faults, expected) in [(&[][..], 1), (&["terminal.imdn-per-chunk"][..], 5)] {
        let mut p = pair(Transport::Tcp, &[], faults).await;
        act(
            &*p.alice,
            "start-chat",
            json!({ "to": "bob", "setup": "passive" }),
        )
        .await;
        let sent = act(
            &*p.alice,
            "send-chat",
            json!({ "to": "bob", "size": 5000, "chunk-size": 1000, "chunk-order": [4, 0, 2, 1, 3] }),
        )
        .await;
        assert_eq!(sent.values["status"], "200", "{sent:?}");
        let imdn_id = sent.values["sent.imdn.Message-ID"].clone();
        p.until("the IMDNs at alice", |seen| {
            let frames: Vec<Frame> = seen
                .iter()
                .filter_map(|c| msrp(c, "alice", Direction::In))
                .collect();
            imdns_for(&frames, &imdn_id) >= expected
        })
        .await;
        p.settle().await;
        let chunks = sends_of(
            &p.frames("bob", Direction::In),
            &sent.values["sent.msrp.Message-ID"],
        );
        let ranges: Vec<_> = chunks
            .iter()
            .map(|c| c.header("Byte-Range").unwrap().to_owned())
            .collect();
        assert_eq!(
            ranges[0], "4001-5000/5000",
            "the last chunk went first: {ranges:?}"
        );
        assert_eq!(
            imdns_for(&p.frames("bob", Direction::Out), &imdn_id),
            expected
        );
        p.shutdown().await;
    }
}

#[tokio::test]
async fn success_report_faults_show_on_the_wire() {
    for (fault, reports, range) in [
        ("terminal.no-msrp-report", 0, None),
        ("terminal.msrp-partial-report", 1, Some("20481-30000/30000")),
    ] {
        let mut p = pair(Transport::Tcp, &[], &[fault]).await;
        act(&*p.alice, "start-chat", json!({ "to": "bob" })).await;
        let sent = act(
            &*p.alice,
            "send-chat",
            json!({ "to": "bob", "size": 30000, "chunk-size": 10240, "success-report": true }),
        )
        .await;
        assert_eq!(sent.values["status"], "200", "{sent:?}");
        p.settle().await;
        let out: Vec<Frame> = p
            .frames("bob", Direction::Out)
            .into_iter()
            .filter(|f| f.method() == Some("REPORT"))
            .collect();
        assert_eq!(out.len(), reports, "{fault}");
        assert_eq!(
            out.first().and_then(|f| f.header("Byte-Range")),
            range,
            "{fault}"
        );
        p.shutdown().await;
    }
}

#[tokio::test]
async fn the_switchover_picks_pager_or_large_message_mode() {
    let mut p = pair(Transport::Udp, &[], &[]).await;
    let small = act(
        &*p.alice,
        "send-message",
        json!({ "to": "bob", "size": 1300 }),
    )
    .await;
    assert_eq!(small.values["mode"], "pager", "{small:?}");
    assert_eq!(small.values["status"], "200", "{small:?}");

    let large = act(
        &*p.alice,
        "send-message",
        json!({ "to": "bob", "size": 5000 }),
    )
    .await;
    assert_eq!(large.values["mode"], "large", "{large:?}");
    assert_eq!(large.values["sent.invite-status"], "200", "{large:?}");
    assert_eq!(large.values["status"], "200", "{large:?}");
    assert_eq!(large.values["sent.bye-status"], "200", "{large:?}");
    p.settle().await;

    let invite = p
        .seen
        .iter()
        .filter_map(|c| sip(c, "bob", Direction::In))
        .find(|m| m.method() == Some("INVITE"))
        .unwrap();
    assert!(
        invite
            .header("Accept-Contact")
            .unwrap()
            .contains("oma.cpm.largemsg")
    );
    let content_type = invite.header("Content-Type").unwrap();
    let parts = rcs_proto::multipart::parse(content_type, invite.body()).unwrap();
    let cpim = rcs_proto::multipart::find(&parts, "message/cpim").unwrap();
    let envelope = rcs_proto::cpim::CpimMessage::parse(&cpim.body).unwrap();
    assert!(
        envelope.body().is_empty(),
        "the envelope carries no payload"
    );
    assert_eq!(
        envelope.imdn_message_id(),
        Some(large.values["sent.imdn.Message-ID"].as_str())
    );
    let sdp = String::from_utf8_lossy(
        &rcs_proto::multipart::find(&parts, "application/sdp")
            .unwrap()
            .body,
    )
    .into_owned();
    assert!(sdp.contains("a=sendonly"), "{sdp}");
    assert!(sdp.contains("a=accept-types:message/cpim\r\n"), "{sdp}");
    assert!(
        sdp.contains("a=accept-wrapped-types:text/plain\r\n"),
        "{sdp}"
    );

    let sends = sends_of(
        &p.frames("bob", Direction::In),
        &large.values["sent.msrp.Message-ID"],
    );
    assert_eq!(sends.len(), 1, "5000 bytes fit one chunk");
    assert_eq!(
        hex::encode(Sha256::digest(&sends[0].body)),
        large.values["sent.sha256"]
    );
    assert!(
        p.seen
            .iter()
            .filter_map(|c| sip(c, "bob", Direction::In))
            .any(|m| m.method() == Some("BYE"))
    );

    // Bob's delivery IMDN for a large message is a pager MESSAGE to his message center (over
    // UDP here, so the test's socket can play it).
    // The pager message's IMDN comes first.
    let large_id = &large.values["sent.imdn.Message-ID"];
    let mut buf = vec![0; 65_535];
    let mut imdns = Vec::new();
    while imdns.len() < 2 {
        let (n, _) = tokio::time::timeout(PATIENCE, p.mc.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        let imdn = Message::parse(buf[..n].to_vec()).unwrap();
        assert_eq!(imdn.method(), Some("MESSAGE"));
        imdns.push(String::from_utf8_lossy(imdn.body()).into_owned());
    }
    assert!(
        imdns[0].contains(&small.values["sent.imdn.Message-ID"]),
        "{imdns:?}"
    );
    assert!(imdns[1].contains(large_id.as_str()), "{imdns:?}");
    p.shutdown().await;
}

#[tokio::test]
async fn an_invite_without_conversation_id_gets_400() {
    let p = pair(Transport::Udp, &[], &[]).await;
    let bob = p.bob.endpoints().sip_udp.unwrap();
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=message 9 TCP/MSRP *\r\na=path:msrp://127.0.0.1:9/abcd1234;tcp\r\na=setup:active\r\na=accept-types:message/cpim\r\n";
    let invite = format!(
        "INVITE sip:+8613800000002@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {mc};branch=z9hG4bKnoconv1\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:+8613800000001@x>;tag=t1\r\n\
         To: <sip:+8613800000002@x>\r\n\
         Call-ID: noconv-1\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:+8613800000001@{mc}>\r\n\
         Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\"\r\n\
         Contribution-ID: 11111111-2222-4333-8444-555555555555\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: {}\r\n\r\n{sdp}",
        sdp.len(),
        mc = p.mc.local_addr().unwrap(),
    );
    p.mc.send_to(invite.as_bytes(), bob).await.unwrap();
    let mut buf = vec![0; 65_535];
    let (n, _) = tokio::time::timeout(PATIENCE, p.mc.recv_from(&mut buf))
        .await
        .unwrap()
        .unwrap();
    let response = Message::parse(buf[..n].to_vec()).unwrap();
    assert_eq!(response.status(), Some(400));
    assert!(
        response
            .header("Warning")
            .unwrap()
            .contains("Conversation-ID")
    );
    p.shutdown().await;
}
