//! The Agent contract: how the runner starts, drives and stops whatever plays a role.
//!
//! An agent is a built-in simulator (implemented in the simulators crate) or an external system under
//! test reached by address. The runner never knows which simulator it drives: it asks an
//! [`AgentFactory`] to start one per simulated role, tells it to act ([`Agent::act`]), and learns what
//! happened on the wire from the [`WireTap`] every simulator writes each message it sends or receives
//! to. Actions never judge: they do what the case says and report what they sent; expectations judge.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::clock::Clock;
use crate::events::{Direction, Protocol, Transport};
use crate::role::{Carrier, RoleKind, Subscriber};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A named misbehaviour a simulator can be told to have. Each breaks exactly one rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultSpec {
    /// `<kind>.<name>`, e.g. `message-center.omit-p-associated-uri`.
    pub id: &'static str,
    pub kind: RoleKind,
    pub description: &'static str,
}

/// An action a role kind can perform, for validation and `rcs-interop list`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionSpec {
    pub kind: RoleKind,
    pub name: &'static str,
    pub description: &'static str,
}

/// What another role of the case looks like to an agent.
#[derive(Clone, Debug, PartialEq)]
pub struct Peer {
    pub name: String,
    pub kind: RoleKind,
    /// For terminals: the subscriber behind it.
    pub subscriber: Option<Subscriber>,
    pub sip_udp: Option<SocketAddr>,
    pub sip_tcp: Option<SocketAddr>,
    pub sip_tls: Option<SocketAddr>,
    /// Its HTTP server, if it has one (a MaaP's developer API, a chatbot server's callbacks).
    pub http: Option<SocketAddr>,
    /// The carrier whose network it belongs to (a terminal: the one it is subscribed at).
    pub carrier: Carrier,
}

impl Peer {
    /// Where to send SIP over `transport`.
    pub fn sip_addr(&self, transport: Transport) -> Option<SocketAddr> {
        match transport {
            Transport::Udp => self.sip_udp,
            Transport::Tcp => self.sip_tcp,
            Transport::Tls => self.sip_tls,
        }
    }
}

/// Everything an agent needs to start.
#[derive(Clone, Debug)]
pub struct AgentSpec {
    /// Execution key of the case (for logs).
    pub case: String,
    /// Role name in the case, e.g. `alice`.
    pub role: String,
    pub kind: RoleKind,
    /// The carrier whose network this role belongs to (a terminal: the one it is subscribed at).
    pub carrier: Carrier,
    /// Faults to inject (ids from [`AgentFactory::faults`]).
    pub faults: Vec<String>,
    /// SIP transport this role uses for the requests it originates.
    pub transport: Transport,
    /// For a terminal: its subscriber. For a network role: None.
    pub subscriber: Option<Subscriber>,
    /// Every subscriber of the case (a message center provisions them all).
    pub subscribers: Vec<Subscriber>,
    /// The roles already started (network roles start before terminals), by name.
    pub peers: BTreeMap<String, Peer>,
    /// Role settings from the case file, e.g. `{ "max-expires": 60 }` for a message center.
    pub settings: Map<String, Value>,
    /// How to trust TLS peers and what to present to them (from the profile; empty when simulated).
    pub tls: TlsTrust,
}

/// TLS material a profile names for talking to a real system under test. With every role simulated
/// all of it is empty and the simulators share a test CA of their own.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsTrust {
    /// PEM file of the CA that signed the system under test's certificate.
    pub ca: Option<std::path::PathBuf>,
    /// PEM certificate chain and key to present (mutual TLS).
    pub client_cert: Option<std::path::PathBuf>,
    pub client_key: Option<std::path::PathBuf>,
    /// The name each external system's certificate must carry, by the address it is reached at
    /// (a profile role's `tls-name`). A certificate from an address not listed must name its IP
    /// address.
    pub server_names: BTreeMap<SocketAddr, String>,
}

impl AgentSpec {
    /// The first peer of the given kind: for a terminal, the message center it registers to.
    pub fn peer_of_kind(&self, kind: RoleKind) -> Option<&Peer> {
        self.peers.values().find(|p| p.kind == kind)
    }
}

/// The addresses an agent listens on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Endpoints {
    pub sip_udp: Option<SocketAddr>,
    pub sip_tcp: Option<SocketAddr>,
    pub sip_tls: Option<SocketAddr>,
    /// The HTTP server other roles reach it at (developer API, callbacks), if it has one.
    pub http: Option<SocketAddr>,
}

/// What an action did: values the case can refer to later as `${role.<key>}`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ActionOutput {
    /// e.g. `sent.Call-ID`, `sent.Conversation-ID`, `sent.imdn.Message-ID`, `status`.
    pub values: BTreeMap<String, String>,
    /// One human line, e.g. `registered, 200 OK, expires 3600`.
    pub summary: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The case asked for something this agent cannot do: a case error, reported as such.
    #[error("failed to run action `{action}`: {detail}")]
    BadAction { action: String, detail: String },
    /// The environment broke (a socket, a process): a harness error, never the SUT's fault.
    #[error("failed to {0}")]
    Harness(String),
}

/// Something that plays a role in a running case.
pub trait Agent: Send + Sync {
    fn endpoints(&self) -> Endpoints;

    /// Perform a named action with its parameters (already interpolated).
    fn act<'a>(
        &'a self,
        action: &'a str,
        params: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<ActionOutput, AgentError>>;

    /// Undo what this agent left on systems that outlive the case, such as a registration on an
    /// external registrar. The runner calls it at the end of every case whose system under test is
    /// external, before [`Agent::shutdown`]; the default does nothing.
    fn release(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }

    /// Told every role's addresses once the whole case has started: for what an agent could not
    /// know when it started (roles that start later, or that call each other back, such as a
    /// chatbot platform and the chatbot server it posts callbacks to). The default ignores them.
    fn peers_ready(&self, peers: &BTreeMap<String, Peer>) {
        let _ = peers;
    }

    /// Stop every task and close every socket.
    fn shutdown(self: Box<Self>) -> BoxFuture<'static, ()>;
}

/// Makes agents. The command-line crate hands the runner one that knows the built-in simulators.
pub trait AgentFactory: Send + Sync {
    /// The fault catalogue.
    fn faults(&self) -> Vec<FaultSpec>;
    /// The actions each kind can perform.
    fn actions(&self) -> Vec<ActionSpec>;
    /// Check an action's parameters before the run (placeholders `${...}` may stand in string values).
    fn check_action(
        &self,
        kind: RoleKind,
        action: &str,
        params: &Map<String, Value>,
    ) -> Result<(), String>;
    /// Check a role's settings before the run.
    fn check_settings(&self, kind: RoleKind, settings: &Map<String, Value>) -> Result<(), String>;
    /// Start a simulator for one role, listening on OS-chosen loopback ports.
    fn start<'a>(
        &'a self,
        spec: AgentSpec,
        tap: WireTap,
        clock: Clock,
    ) -> BoxFuture<'a, Result<Box<dyn Agent>, AgentError>>;
}

/// One message as a simulator saw it, before the runner numbers it.
#[derive(Clone, Debug)]
pub struct Captured {
    pub role: String,
    pub direction: Direction,
    pub transport: Transport,
    pub protocol: Protocol,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub bytes: Vec<u8>,
    pub time_us: u64,
    pub case_ms: f64,
}

/// Where a simulator reports every message it sends or receives. Cheap to clone.
#[derive(Clone, Debug)]
pub struct WireTap {
    role: String,
    clock: Clock,
    tx: mpsc::UnboundedSender<Captured>,
}

impl WireTap {
    /// A tap for `role`, and the receiving end the runner reads.
    pub fn new(role: &str, clock: Clock, tx: mpsc::UnboundedSender<Captured>) -> Self {
        Self {
            role: role.to_owned(),
            clock,
            tx,
        }
    }

    /// The same channel, for another role.
    pub fn for_role(&self, role: &str) -> Self {
        Self {
            role: role.to_owned(),
            clock: self.clock.clone(),
            tx: self.tx.clone(),
        }
    }

    pub fn role(&self) -> &str {
        &self.role
    }

    /// Record one message. `src`/`dst` are as on the wire, whatever the direction.
    pub fn record(
        &self,
        direction: Direction,
        transport: Transport,
        protocol: Protocol,
        src: SocketAddr,
        dst: SocketAddr,
        bytes: &[u8],
    ) {
        let time_us = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros() as u64)
            .unwrap_or_default();
        // The runner may already be gone at the end of a case; a late message is then dropped.
        let _ = self.tx.send(Captured {
            role: self.role.clone(),
            direction,
            transport,
            protocol,
            src,
            dst,
            bytes: bytes.to_vec(),
            time_us,
            case_ms: self.clock.elapsed().as_secs_f64() * 1000.0,
        });
    }
}
