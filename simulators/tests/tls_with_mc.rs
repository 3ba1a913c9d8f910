//! Two simulated terminals and the simulated message center on SIP over TLS, started through the
//! factory as the runner starts them: registration, capabilities and a chat relayed over TLS.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use rcs_harness::agent::{ActionOutput, Agent, AgentFactory, AgentSpec, Captured, Peer, WireTap};
use rcs_harness::clock::Clock;
use rcs_harness::events::{Direction, Transport};
use rcs_harness::role::{RoleKind, Subscriber};
use rcs_proto::sip::Message;
use rcs_simulators::Simulators;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

fn spec(role: &str, kind: RoleKind, sub: Option<Subscriber>) -> AgentSpec {
    AgentSpec {
        case: "TLS".to_owned(),
        role: role.to_owned(),
        kind,
        faults: Vec::new(),
        transport: Transport::Tls,
        subscriber: sub,
        subscribers: vec![Subscriber::builtin(1, true), Subscriber::builtin(2, true)],
        peers: BTreeMap::new(),
        settings: Map::new(),
        tls: Default::default(),
        carrier: Default::default(),
    }
}

async fn act(agent: &dyn Agent, action: &str, params: Value) -> ActionOutput {
    let Value::Object(params) = params else {
        panic!("params must be an object");
    };
    agent.act(action, &params).await.unwrap()
}

/// Every captured SIP message, parsed, until none arrives for a moment.
async fn drain(wire: &mut mpsc::UnboundedReceiver<Captured>) -> Vec<(Captured, Message)> {
    let mut seen = Vec::new();
    while let Ok(Some(c)) = tokio::time::timeout(Duration::from_millis(300), wire.recv()).await {
        let message = Message::parse(c.bytes.clone()).unwrap();
        seen.push((c, message));
    }
    seen
}

#[tokio::test]
async fn register_options_and_chat_go_over_tls() {
    let clock = Clock::virtual_time();
    let (tx, mut wire) = mpsc::unbounded_channel();
    let tap = WireTap::new("mc", clock.clone(), tx);
    let mc = Simulators
        .start(
            spec("mc", RoleKind::MessageCenter, None),
            tap.clone(),
            clock.clone(),
        )
        .await
        .unwrap();
    let ends = mc.endpoints();
    let mc_tls = ends
        .sip_tls
        .expect("a message center on tls listens for it");
    assert_ne!(Some(mc_tls), ends.sip_tcp);
    let (a, b) = (Subscriber::builtin(1, true), Subscriber::builtin(2, true));
    let peer = |name: &str, kind, sub: Option<&Subscriber>, tls| Peer {
        name: name.to_owned(),
        kind,
        subscriber: sub.cloned(),
        sip_udp: None,
        sip_tcp: None,
        sip_tls: tls,
        http: None,
        carrier: Default::default(),
    };
    let mut peers = BTreeMap::new();
    peers.insert(
        "mc".to_owned(),
        peer("mc", RoleKind::MessageCenter, None, Some(mc_tls)),
    );
    peers.insert(
        "alice".to_owned(),
        peer("alice", RoleKind::Terminal, Some(&a), None),
    );
    peers.insert(
        "bob".to_owned(),
        peer("bob", RoleKind::Terminal, Some(&b), None),
    );
    let start = |name: &str, sub: &Subscriber| {
        let mut s = spec(name, RoleKind::Terminal, Some(sub.clone()));
        s.peers = peers.clone();
        Simulators.start(s, tap.for_role(name), clock.clone())
    };
    let alice = start("alice", &a).await.unwrap();
    let bob = start("bob", &b).await.unwrap();
    let bob_tls = bob.endpoints().sip_tls.unwrap();

    for terminal in [&alice, &bob] {
        let reg = act(terminal.as_ref(), "register", json!({})).await;
        assert_eq!(reg.values["status"], "200", "{}", reg.summary);
    }
    let caps = act(alice.as_ref(), "send-options", json!({ "to": "bob" })).await;
    assert_eq!(caps.values["status"], "200");
    let sent = act(
        alice.as_ref(),
        "send-pager",
        json!({ "to": "bob", "text": "hi" }),
    )
    .await;
    assert_eq!(sent.values["status"], "200");

    let seen = drain(&mut wire).await;
    assert!(!seen.is_empty());
    for (c, _) in &seen {
        assert_eq!(c.transport, Transport::Tls, "{} {:?}", c.role, c.direction);
    }
    let register = seen
        .iter()
        .find(|(c, m)| c.role == "mc" && m.method() == Some("REGISTER"))
        .map(|(_, m)| m)
        .unwrap();
    let via = register.header("Via").unwrap();
    assert!(via.starts_with("SIP/2.0/TLS 127.0.0.1:"), "{via}");
    let contact = register.header("Contact").unwrap();
    assert!(contact.starts_with("<sip:+86"), "sip:, not sips: {contact}");
    assert!(contact.contains(";transport=tls>"), "{contact}");

    let (relayed_capture, relayed) = seen
        .iter()
        .find(|(c, m)| {
            c.role == "bob" && c.direction == Direction::In && m.method() == Some("MESSAGE")
        })
        .unwrap();
    assert_eq!(relayed.body(), sent.values["sent.body"].as_bytes());
    let bob_register = seen
        .iter()
        .find(|(c, m)| {
            c.role == "bob" && c.direction == Direction::Out && m.method() == Some("REGISTER")
        })
        .map(|(c, _)| c)
        .unwrap();
    assert_eq!(
        relayed_capture.dst, bob_register.src,
        "the relay reaches bob on the connection he registered from"
    );
    assert_ne!(relayed_capture.dst, bob_tls, "not on a new connection");
    let top_via = relayed.header("Via").unwrap();
    assert_eq!(
        top_via.split(';').next().unwrap(),
        format!("SIP/2.0/TLS {mc_tls}"),
        "the message center's Via names its tls listener"
    );

    for agent in [alice, bob, mc] {
        agent.shutdown().await;
    }
}

#[tokio::test]
async fn a_terminal_trusting_another_ca_reports_a_transport_error() {
    let clock = Clock::virtual_time();
    let (tx, _wire) = mpsc::unbounded_channel();
    let tap = WireTap::new("mc", clock.clone(), tx);
    let mc = Simulators
        .start(
            spec("mc", RoleKind::MessageCenter, None),
            tap.clone(),
            clock.clone(),
        )
        .await
        .unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca.path(), other.cert.pem()).unwrap();
    let a = Subscriber::builtin(1, true);
    let mut alice = spec("alice", RoleKind::Terminal, Some(a));
    alice.tls.ca = Some(ca.path().to_owned());
    alice.peers.insert(
        "mc".to_owned(),
        Peer {
            name: "mc".to_owned(),
            kind: RoleKind::MessageCenter,
            subscriber: None,
            sip_udp: None,
            sip_tcp: None,
            sip_tls: mc.endpoints().sip_tls,
            http: None,
            carrier: Default::default(),
        },
    );
    let alice = Simulators
        .start(alice, tap.for_role("alice"), clock.clone())
        .await
        .unwrap();
    let reg = act(alice.as_ref(), "register", json!({})).await;
    assert_eq!(reg.values["status"], "transport-error", "{}", reg.summary);
    assert!(reg.summary.contains("UnknownIssuer"), "{}", reg.summary);
    alice.shutdown().await;
    mc.shutdown().await;
}

#[tokio::test]
async fn a_missing_ca_file_fails_the_start_with_its_path() {
    let clock = Clock::virtual_time();
    let (tx, _wire) = mpsc::unbounded_channel();
    let mut alice = spec(
        "alice",
        RoleKind::Terminal,
        Some(Subscriber::builtin(1, true)),
    );
    alice.tls.ca = Some("/nonexistent/sut-ca.pem".into());
    let err = Simulators
        .start(alice, WireTap::new("alice", clock.clone(), tx), clock)
        .await
        .err()
        .unwrap()
        .to_string();
    assert!(
        err.starts_with("failed to start terminal `alice`: set up sip tls"),
        "{err}"
    );
    assert!(err.contains("/nonexistent/sut-ca.pem"), "{err}");
}
