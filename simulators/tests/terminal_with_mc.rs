//! Two simulated terminals and the simulated message center, started through the factory as the
//! runner starts them, on virtual time: registration, capabilities, a chat and its IMDN.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use rcs_harness::agent::{ActionOutput, Agent, AgentFactory, AgentSpec, Captured, Peer, WireTap};
use rcs_harness::clock::Clock;
use rcs_harness::events::{Direction, Transport};
use rcs_harness::role::{RoleKind, Subscriber};
use rcs_proto::cpim::CpimMessage;
use rcs_proto::imdn::Imdn;
use rcs_proto::sip::Message;
use rcs_simulators::Simulators;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

struct Net {
    mc: Box<dyn Agent>,
    alice: Box<dyn Agent>,
    bob: Box<dyn Agent>,
    clock: Clock,
    wire: mpsc::UnboundedReceiver<Captured>,
}

fn spec(role: &str, kind: RoleKind, transport: Transport, sub: Option<Subscriber>) -> AgentSpec {
    AgentSpec {
        case: "E2E".to_owned(),
        role: role.to_owned(),
        kind,
        faults: Vec::new(),
        transport,
        subscriber: sub,
        subscribers: vec![Subscriber::builtin(1, true), Subscriber::builtin(2, true)],
        peers: BTreeMap::new(),
        settings: Map::new(),
        tls: Default::default(),
        carrier: Default::default(),
    }
}

async fn network(alice_faults: &[&str]) -> Net {
    let clock = Clock::virtual_time();
    let (tx, wire) = mpsc::unbounded_channel();
    let tap = WireTap::new("mc", clock.clone(), tx);
    let factory = Simulators;
    let mc_spec = spec("mc", RoleKind::MessageCenter, Transport::Udp, None);
    let mc = factory
        .start(mc_spec, tap.clone(), clock.clone())
        .await
        .unwrap();
    let mc_peer = Peer {
        name: "mc".to_owned(),
        kind: RoleKind::MessageCenter,
        subscriber: None,
        sip_udp: mc.endpoints().sip_udp,
        sip_tcp: mc.endpoints().sip_tcp,
        sip_tls: mc.endpoints().sip_tls,
        http: None,
        carrier: Default::default(),
    };
    let (a, b) = (Subscriber::builtin(1, true), Subscriber::builtin(2, true));
    let terminal_peer = |name: &str, sub: &Subscriber| Peer {
        name: name.to_owned(),
        kind: RoleKind::Terminal,
        subscriber: Some(sub.clone()),
        sip_udp: None,
        sip_tcp: None,
        sip_tls: None,
        http: None,
        carrier: Default::default(),
    };
    let mut peers = BTreeMap::new();
    peers.insert("mc".to_owned(), mc_peer);
    peers.insert("alice".to_owned(), terminal_peer("alice", &a));
    peers.insert("bob".to_owned(), terminal_peer("bob", &b));

    let mut alice_spec = spec("alice", RoleKind::Terminal, Transport::Udp, Some(a));
    alice_spec.peers = peers.clone();
    alice_spec.faults = alice_faults.iter().map(|f| (*f).to_owned()).collect();
    let alice = factory
        .start(alice_spec, tap.for_role("alice"), clock.clone())
        .await
        .unwrap();
    let mut bob_spec = spec("bob", RoleKind::Terminal, Transport::Tcp, Some(b));
    bob_spec.peers = peers;
    let bob = factory
        .start(bob_spec, tap.for_role("bob"), clock.clone())
        .await
        .unwrap();
    Net {
        mc,
        alice,
        bob,
        clock,
        wire,
    }
}

async fn act(agent: &dyn Agent, action: &str, params: Value) -> ActionOutput {
    let params = match params {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    agent.act(action, &params).await.unwrap()
}

impl Net {
    /// Waits until `role` has received a request of `method` whose body passes `wanted`.
    async fn received(
        &mut self,
        role: &str,
        method: &str,
        wanted: impl Fn(&Message) -> bool,
    ) -> Message {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let captured = tokio::time::timeout_at(deadline, self.wire.recv())
                .await
                .expect("the message never arrived")
                .unwrap();
            if captured.role != role || captured.direction != Direction::In {
                continue;
            }
            let Ok(message) = Message::parse(captured.bytes) else {
                continue;
            };
            if message.method() == Some(method) && wanted(&message) {
                return message;
            }
        }
    }

    async fn shutdown(self) {
        self.alice.shutdown().await;
        self.bob.shutdown().await;
        self.mc.shutdown().await;
    }
}

#[tokio::test]
async fn chat_capabilities_and_imdn_flow_through_the_message_center() {
    let mut net = network(&[]).await;
    let a = act(net.alice.as_ref(), "register", Value::Null).await;
    let b = act(net.bob.as_ref(), "register", json!({ "expires": 60 })).await;
    assert_eq!(
        (a.values["status"].as_str(), b.values["status"].as_str()),
        ("200", "200")
    );
    assert_eq!(b.values["expires"], "60");

    let caps = act(net.alice.as_ref(), "send-options", json!({ "to": "bob" })).await;
    assert_eq!(caps.values["status"], "200");
    assert_eq!(
        caps.values["tags"], b.values["tags"],
        "bob's registered capabilities"
    );

    let sent = act(
        net.alice.as_ref(),
        "send-pager",
        json!({ "to": "bob", "text": "你好" }),
    )
    .await;
    assert_eq!(sent.values["status"], "200");
    let id = sent.values["sent.imdn.Message-ID"].clone();
    let at_bob = net.received("bob", "MESSAGE", |_| true).await;
    assert_eq!(
        at_bob.body(),
        sent.values["sent.body"].as_bytes(),
        "relayed unchanged"
    );
    assert_eq!(
        at_bob.header("Conversation-ID"),
        Some(sent.values["sent.Conversation-ID"].as_str())
    );

    let report = net
        .received("alice", "MESSAGE", |m| {
            CpimMessage::parse(m.body()).is_ok_and(|c| Imdn::from_cpim(&c).is_ok())
        })
        .await;
    let imdn = Imdn::from_cpim(&CpimMessage::parse(report.body()).unwrap()).unwrap();
    assert_eq!(imdn.message_id, id, "bob's delivery IMDN reaches alice");

    // Bob's 60 s binding runs out on the case clock: he is then offline.
    net.clock.advance(Duration::from_secs(61)).await;
    let offline = act(net.alice.as_ref(), "send-options", json!({ "to": "bob" })).await;
    assert_eq!(offline.values["status"], "480");
    net.shutdown().await;
}

#[tokio::test]
async fn the_message_center_rejects_what_the_faulty_terminal_leaves_out() {
    let net = network(&["terminal.omit-conversation-id"]).await;
    act(net.alice.as_ref(), "register", Value::Null).await;
    act(net.bob.as_ref(), "register", Value::Null).await;
    let sent = act(net.alice.as_ref(), "send-pager", json!({ "to": "bob" })).await;
    assert_eq!(sent.values["status"], "400");
    assert_eq!(sent.values["sent.Conversation-ID"], "");

    let wrong = act(
        net.alice.as_ref(),
        "register",
        json!({ "password": "wrong" }),
    )
    .await;
    assert_ne!(wrong.values["status"], "200");
    net.shutdown().await;
}
