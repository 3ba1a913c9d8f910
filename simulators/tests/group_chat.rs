//! Group chat over real sockets: three simulated terminals and the simulated message center as
//! the conference focus (protocols.md §6), started through the factory as the runner starts
//! them, on virtual time.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use rcs_harness::agent::{ActionOutput, Agent, AgentFactory, AgentSpec, Captured, Peer, WireTap};
use rcs_harness::clock::Clock;
use rcs_harness::events::{Direction, Protocol, Transport};
use rcs_harness::role::{RoleKind, Subscriber};
use rcs_simulators::Simulators;
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

const ROLES: [&str; 3] = ["alice", "bob", "carol"];

struct Net {
    mc: Box<dyn Agent>,
    terminals: BTreeMap<&'static str, Box<dyn Agent>>,
    wire: mpsc::UnboundedReceiver<Captured>,
}

fn spec(role: &str, kind: RoleKind, transport: Transport, sub: Option<Subscriber>) -> AgentSpec {
    AgentSpec {
        case: "GROUP".to_owned(),
        role: role.to_owned(),
        kind,
        faults: Vec::new(),
        transport,
        subscriber: sub,
        subscribers: (1..=3).map(|n| Subscriber::builtin(n, true)).collect(),
        peers: BTreeMap::new(),
        settings: Map::new(),
        tls: Default::default(),
        carrier: Default::default(),
    }
}

async fn network(mc_faults: &[&str], transport: Transport) -> Net {
    let clock = Clock::virtual_time();
    let (tx, wire) = mpsc::unbounded_channel();
    let tap = WireTap::new("mc", clock.clone(), tx);
    let factory = Simulators;
    let mut mc_spec = spec("mc", RoleKind::MessageCenter, transport, None);
    mc_spec.faults = mc_faults.iter().map(|f| (*f).to_owned()).collect();
    let mc = factory
        .start(mc_spec, tap.clone(), clock.clone())
        .await
        .unwrap();
    let mut peers = BTreeMap::new();
    peers.insert(
        "mc".to_owned(),
        Peer {
            name: "mc".to_owned(),
            kind: RoleKind::MessageCenter,
            subscriber: None,
            sip_udp: mc.endpoints().sip_udp,
            sip_tcp: mc.endpoints().sip_tcp,
            sip_tls: mc.endpoints().sip_tls,
            http: None,
            carrier: Default::default(),
        },
    );
    for (n, role) in (1..).zip(ROLES) {
        peers.insert(
            role.to_owned(),
            Peer {
                name: role.to_owned(),
                kind: RoleKind::Terminal,
                subscriber: Some(Subscriber::builtin(n, true)),
                sip_udp: None,
                sip_tcp: None,
                sip_tls: None,
                http: None,
                carrier: Default::default(),
            },
        );
    }
    let mut terminals = BTreeMap::new();
    for (n, role) in (1..).zip(ROLES) {
        let sub = Subscriber::builtin(n, true);
        let mut terminal_spec = spec(role, RoleKind::Terminal, transport, Some(sub));
        terminal_spec.peers = peers.clone();
        let agent = factory
            .start(terminal_spec, tap.for_role(role), clock.clone())
            .await
            .unwrap();
        terminals.insert(role, agent);
    }
    Net {
        mc,
        terminals,
        wire,
    }
}

impl Net {
    async fn act(&self, role: &str, action: &str, params: Value) -> ActionOutput {
        let params = match params {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        self.terminals[role].act(action, &params).await.unwrap()
    }

    /// Waits for an MSRP frame arriving at each `(role, needle)`, whose bytes contain the
    /// needle; returns them in the order asked.
    async fn msrp_at(&mut self, wanted: &[(&str, &str)]) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let mut found: Vec<Option<String>> = vec![None; wanted.len()];
        while found.iter().any(Option::is_none) {
            let captured = tokio::time::timeout_at(deadline, self.wire.recv())
                .await
                .unwrap_or_else(|_| panic!("not every MSRP frame arrived: {found:?}"))
                .unwrap();
            if captured.direction != Direction::In || captured.protocol != Protocol::Msrp {
                continue;
            }
            let text = String::from_utf8_lossy(&captured.bytes).into_owned();
            for ((role, needle), slot) in wanted.iter().zip(found.iter_mut()) {
                if slot.is_none() && captured.role == *role && text.contains(needle) {
                    *slot = Some(text.clone());
                }
            }
        }
        found.into_iter().flatten().collect()
    }

    /// Asks `role` for `group-info` until `done` holds (at most 5 s); a terminal that has not
    /// joined yet knows no group.
    async fn info_until(&self, role: &str, done: impl Fn(&ActionOutput) -> bool) -> ActionOutput {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let info = self.terminals[role].act("group-info", &Map::new()).await;
            match info {
                Ok(info) if done(&info) => return info,
                Ok(info) if tokio::time::Instant::now() > deadline => return info,
                Err(err) if tokio::time::Instant::now() > deadline => panic!("{role}: {err}"),
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    async fn registered_group(&self) -> ActionOutput {
        for role in ROLES {
            let registered = self.act(role, "register", Value::Null).await;
            assert_eq!(registered.values["status"], "200", "{role}");
        }
        let created = self
            .act(
                "alice",
                "create-group",
                json!({ "members": ["bob", "carol"], "subject": "周末聚餐" }),
            )
            .await;
        assert_eq!(created.values["status"], "200");
        assert_eq!(created.values["group.isfocus"], "true");
        assert_eq!(created.values["subscribe.status"], "200");
        created
    }

    async fn shutdown(self) {
        for (_, agent) in self.terminals {
            agent.shutdown().await;
        }
        self.mc.shutdown().await;
    }
}

fn uri(n: usize) -> String {
    Subscriber::builtin(n, true).sip_uri()
}

fn members(info: &ActionOutput) -> Vec<String> {
    let list = &info.values["group.members"];
    list.split(',')
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn three_members_chat_leave_and_rename(transport: Transport) {
    let mut net = network(&[], transport).await;
    let created = net.registered_group().await;
    let group = created.values["group.uri"].clone();
    assert!(group.starts_with("sip:grp-"), "{group}");
    let everyone = [uri(1), uri(2), uri(3)];
    let connected = |info: &ActionOutput| members(info).len() == 3;
    for role in ROLES {
        let info = net.info_until(role, connected).await;
        assert_eq!(members(&info), everyone, "{role} sees all three connected");
        assert_eq!(info.values["group.uri"], group);
    }

    let sent = net
        .act("bob", "send-group", json!({ "text": "我订了桌子" }))
        .await;
    assert_eq!(sent.values["status"], "200");
    let id = &sent.values["sent.imdn.Message-ID"];
    let report = format!("<message-id>{id}</message-id>");
    let wanted = [
        ("alice", "我订了桌子"),
        ("carol", "我订了桌子"),
        ("bob", report.as_str()),
    ];
    let frames = net.msrp_at(&wanted).await;
    for frame in &frames[..2] {
        assert!(
            frame.contains(&format!("From: <{}>", uri(2))),
            "bob is the sender, not the focus: {frame}"
        );
    }
    assert!(frames[2].contains("<delivered/>"), "{}", frames[2]);

    let left = net.act("carol", "leave-group", Value::Null).await;
    assert_eq!(left.values["status"], "200");
    let two = |info: &ActionOutput| members(info).len() == 2;
    let info = net.info_until("alice", two).await;
    assert_eq!(members(&info), [uri(1), uri(2)], "carol departed");

    let renamed = net
        .act("alice", "change-subject", json!({ "subject": "改到周日" }))
        .await;
    assert_eq!(renamed.values["status"], "200");
    let subject = |info: &ActionOutput| info.values["group.subject"] == "改到周日";
    let info = net.info_until("bob", subject).await;
    assert_eq!(info.values["group.subject"], "改到周日");
    assert_eq!(info.values["group.stale"], "0");
    net.shutdown().await;
}

#[tokio::test]
async fn a_group_of_three_chats_loses_a_member_and_is_renamed_over_tcp() {
    three_members_chat_leave_and_rename(Transport::Tcp).await;
}

#[tokio::test]
async fn a_group_of_three_chats_loses_a_member_and_is_renamed_over_udp() {
    three_members_chat_leave_and_rename(Transport::Udp).await;
}

#[tokio::test]
async fn a_faulty_focus_puts_itself_in_the_cpim_from() {
    let mut net = network(&["message-center.focus-rewrites-cpim-from"], Transport::Tcp).await;
    let created = net.registered_group().await;
    let group = created.values["group.uri"].clone();
    net.info_until("carol", |info| members(info).len() == 3)
        .await;
    let sent = net
        .act("alice", "send-group", json!({ "text": "谁来?" }))
        .await;
    assert_eq!(sent.values["status"], "200");
    let frames = net.msrp_at(&[("carol", "谁来?")]).await;
    assert!(
        frames[0].contains(&format!("From: <{group}>")),
        "{}",
        frames[0]
    );
    net.shutdown().await;
}

#[tokio::test]
async fn only_the_chairman_changes_the_subject() {
    let net = network(&[], Transport::Tcp).await;
    net.registered_group().await;
    net.info_until("bob", |info| members(info).len() == 3).await;
    let refused = net
        .act("bob", "change-subject", json!({ "subject": "bob's" }))
        .await;
    assert_eq!(refused.values["status"], "403");
    net.shutdown().await;
}
