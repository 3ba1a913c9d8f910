//! A test rig for the terminal simulator: a UDP socket on port 0 plays the message center, and
//! the terminal under test is started through its public `start`.

#![allow(clippy::unwrap_used, dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use rcs_harness::agent::{ActionOutput, Agent, AgentSpec, Captured, Peer, WireTap};
use rcs_harness::clock::Clock;
use rcs_harness::events::Transport;
use rcs_harness::role::{RoleKind, Subscriber};
use rcs_proto::sip::{Message, MessageBuilder};
use serde_json::{Map, Value};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

/// How long a test waits for something that must happen.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// How long a test waits to be fairly sure something does not happen.
pub const QUIET: Duration = Duration::from_millis(400);

pub const DOMAIN: &str = "ims.mnc000.mcc460.3gppnetwork.org";
pub const SERVICE_ROUTE: &str = "<sip:orig@scscf1.ims.mnc000.mcc460.3gppnetwork.org;lr>";

pub struct Rig {
    pub agent: Box<dyn Agent>,
    pub mc: UdpSocket,
    pub clock: Clock,
    pub tap: mpsc::UnboundedReceiver<Captured>,
    pub alice: Subscriber,
    pub bob: Subscriber,
}

/// Starts `alice` on UDP with these faults and settings; `bob` is a peer terminal role.
pub async fn launch(faults: &[&str], settings: Value) -> Rig {
    launch_on(Clock::real(), Transport::Udp, faults, settings).await
}

pub async fn launch_on(
    clock: Clock,
    transport: Transport,
    faults: &[&str],
    settings: Value,
) -> Rig {
    build(clock, transport, faults, settings, None).await
}

/// Starts `alice` on TCP; the message center listens for TCP at `mc_tcp`.
pub async fn launch_tcp(clock: Clock, mc_tcp: SocketAddr) -> Rig {
    build(clock, Transport::Tcp, &[], Value::Null, Some(mc_tcp)).await
}

async fn build(
    clock: Clock,
    transport: Transport,
    faults: &[&str],
    settings: Value,
    mc_tcp: Option<SocketAddr>,
) -> Rig {
    let mc = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let mc_addr = mc.local_addr().unwrap();
    let alice = Subscriber::builtin(1, true);
    let bob = Subscriber::builtin(2, true);
    let mut peers = BTreeMap::new();
    peers.insert(
        "mc".to_owned(),
        Peer {
            name: "mc".to_owned(),
            kind: RoleKind::MessageCenter,
            subscriber: None,
            sip_udp: Some(mc_addr),
            sip_tcp: Some(mc_tcp.unwrap_or(mc_addr)),
            sip_tls: None,
            http: None,
            carrier: Default::default(),
        },
    );
    peers.insert(
        "bob".to_owned(),
        Peer {
            name: "bob".to_owned(),
            kind: RoleKind::Terminal,
            subscriber: Some(bob.clone()),
            sip_udp: None,
            sip_tcp: None,
            sip_tls: None,
            http: None,
            carrier: Default::default(),
        },
    );
    let spec = AgentSpec {
        case: "TEST".to_owned(),
        role: "alice".to_owned(),
        kind: RoleKind::Terminal,
        faults: faults.iter().map(|f| (*f).to_owned()).collect(),
        transport,
        subscriber: Some(alice.clone()),
        subscribers: vec![alice.clone(), bob.clone()],
        peers,
        settings: object(settings),
        tls: Default::default(),
        carrier: Default::default(),
    };
    let (tx, tap) = mpsc::unbounded_channel();
    let wire = WireTap::new("alice", clock.clone(), tx);
    let agent = rcs_simulators::terminal::start(spec, wire, clock.clone())
        .await
        .unwrap();
    Rig {
        agent,
        mc,
        clock,
        tap,
        alice,
        bob,
    }
}

pub fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        other => panic!("not an object: {other}"),
    }
}

impl Rig {
    /// The terminal's UDP address.
    pub fn terminal(&self) -> SocketAddr {
        self.agent.endpoints().sip_udp.unwrap()
    }

    pub async fn act(&self, action: &str, params: Value) -> ActionOutput {
        self.agent.act(action, &object(params)).await.unwrap()
    }

    /// The next datagram the message center receives, parsed.
    pub async fn recv(&self) -> (Message, Vec<u8>, SocketAddr) {
        let (bytes, from) = self.recv_raw().await;
        (Message::parse(bytes.clone()).unwrap(), bytes, from)
    }

    /// The next datagram the message center receives, as bytes.
    pub async fn recv_raw(&self) -> (Vec<u8>, SocketAddr) {
        let mut buf = vec![0u8; 65_535];
        let (n, from) = tokio::time::timeout(PATIENCE, self.mc.recv_from(&mut buf))
            .await
            .expect("the terminal sent nothing")
            .unwrap();
        buf.truncate(n);
        (buf, from)
    }

    /// True when the message center receives nothing for a short while.
    pub async fn stays_quiet(&self) -> bool {
        let mut buf = vec![0u8; 65_535];
        tokio::time::timeout(QUIET, self.mc.recv_from(&mut buf))
            .await
            .is_err()
    }

    /// Sends a response to `request` with extra headers.
    pub async fn reply(&self, request: &Message, status: u16, headers: &[(&str, &str)]) {
        let mut builder = MessageBuilder::response_to(request, status, "Whatever").to_tag("mc1");
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        self.send(builder.build().as_bytes()).await;
    }

    /// Sends raw bytes to the terminal's UDP port.
    pub async fn send(&self, bytes: &[u8]) {
        self.mc.send_to(bytes, self.terminal()).await.unwrap();
    }

    /// Registers with the standard answers: 401, then a 200 granting 3600 s.
    pub async fn register_ok(&self, pau: &str) -> ActionOutput {
        let serve = async {
            let (first, _, _) = self.recv().await;
            self.reply(&first, 401, &[("WWW-Authenticate", &challenge("bm9uY2Ux"))])
                .await;
            let (second, _, _) = self.recv().await;
            let contact = second.header("Contact").unwrap().to_owned();
            let contact = format!("{contact};expires=3600");
            self.reply(
                &second,
                200,
                &[
                    ("Contact", &contact),
                    ("Service-Route", SERVICE_ROUTE),
                    ("P-Associated-URI", pau),
                ],
            )
            .await;
        };
        let (out, ()) = tokio::join!(self.act("register", Value::Null), serve);
        assert_eq!(out.values["status"], "200", "{out:?}");
        out
    }

    pub async fn shutdown(self) {
        self.agent.shutdown().await;
    }
}

pub fn challenge(nonce: &str) -> String {
    format!("Digest realm=\"{DOMAIN}\", nonce=\"{nonce}\", algorithm=MD5, qop=\"auth\"")
}

/// A chat MESSAGE as the message center relays it to the terminal.
pub fn incoming_chat(branch: &str, message_id: &str, disposition: Option<&str>) -> Message {
    let mut cpim = rcs_proto::cpim::CpimBuilder::new()
        .from(&format!("sip:+8613800000002@{DOMAIN}"))
        .to(&format!("sip:+8613800000001@{DOMAIN}"))
        .datetime("2025-03-01T10:00:00.000+08:00")
        .ns("imdn", "urn:ietf:params:imdn")
        .header("imdn.Message-ID", message_id);
    if let Some(disposition) = disposition {
        cpim = cpim.header("imdn.Disposition-Notification", disposition);
    }
    let body = cpim
        .content_type("text/plain;charset=UTF-8")
        .body("你好")
        .build();
    MessageBuilder::request("MESSAGE", &format!("sip:+8613800000001@{DOMAIN}"))
        .header(
            "Via",
            &format!("SIP/2.0/UDP 127.0.0.1:5060;branch={branch}"),
        )
        .header("Max-Forwards", "69")
        .header("From", &format!("<sip:+8613800000002@{DOMAIN}>;tag=b1"))
        .header("To", &format!("<sip:+8613800000001@{DOMAIN}>"))
        .header("Call-ID", &format!("call-{branch}"))
        .header("CSeq", "1 MESSAGE")
        .header(
            "P-Asserted-Identity",
            &format!("<sip:+8613800000002@{DOMAIN}>"),
        )
        .header("Conversation-ID", "conv-from-bob")
        .header("Contribution-ID", "contrib-from-bob")
        .body("message/cpim", body)
        .build()
}
