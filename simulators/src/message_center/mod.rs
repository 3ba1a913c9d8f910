//! The message-center simulator: the IMS core (registrar, S-CSCF routing) and the 5G Message
//! Center relay of a home network, on one SIP endpoint (protocols.md §2-4, PLT-REG, PLT-CAP,
//! PLT-MSG-001/002).
//!
//! It authenticates REGISTER with digest MD5 and keeps bindings on the case clock
//! (`registrar`, `bindings`), answers or relays OPTIONS and MESSAGE by the state of their target
//! (`router`, `options`, `proxy`), answers malformed requests with 400, and matches
//! retransmissions to server transactions (`service`). It does not store and forward, does not
//! handle INVITE sessions, MSRP, group chat or reg-event, and has no actions yet. Each fault of
//! [`config::Fault`] changes one decision point.

mod bindings;
pub mod config;
mod cpim_rewrite;
mod directory;
mod options;
mod proxy;
mod registrar;
mod reply;
mod rewrite;
mod router;
mod service;
mod task;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Mutex;

use rcs_harness::agent::{
    ActionOutput, ActionSpec, Agent, AgentError, AgentSpec, BoxFuture, Endpoints, WireTap,
};
use rcs_harness::clock::Clock;
use rcs_harness::role::Subscriber;
use serde_json::{Map, Value};

pub use config::{Config, Fault, Faults, Settings};

use crate::net::{ShutdownTrigger, SipEndpoint};

/// The actions a message center can be asked to perform: none yet.
pub const ACTIONS: &[ActionSpec] = &[];

/// Checks an action's parameters: the message center has no actions.
pub fn check_action(action: &str, _params: &Map<String, Value>) -> Result<(), String> {
    Err(format!("a message-center has no action `{action}`"))
}

/// Checks a message center's settings (`max-expires`, `realm`).
pub fn check_settings(settings: &Map<String, Value>) -> Result<(), String> {
    Settings::from_map(settings).map(|_| ())
}

/// Starts a message center for a case on `127.0.0.1` with OS-chosen ports.
pub async fn start(
    spec: AgentSpec,
    tap: WireTap,
    clock: Clock,
) -> Result<Box<dyn Agent>, AgentError> {
    let bad = |detail: String| AgentError::BadAction {
        action: "start".to_owned(),
        detail,
    };
    let config = Config {
        settings: Settings::from_map(&spec.settings).map_err(bad)?,
        faults: Faults::from_ids(&spec.faults).map_err(bad)?,
    };
    let any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let center = MessageCenter::start(any, config, spec.subscribers, tap, clock).await?;
    Ok(Box::new(center))
}

/// A running message center.
#[derive(Debug)]
pub struct MessageCenter {
    endpoint: SipEndpoint,
    trigger: Mutex<Option<ShutdownTrigger>>,
}

impl MessageCenter {
    /// Binds `addr` (UDP and TCP, port 0 for any) and starts serving `subscribers`.
    pub async fn start(
        addr: SocketAddr,
        config: Config,
        subscribers: Vec<Subscriber>,
        tap: WireTap,
        clock: Clock,
    ) -> Result<Self, AgentError> {
        let (endpoint, incoming) = SipEndpoint::bind_addr(addr, tap)
            .await
            .map_err(|err| AgentError::Harness(err.to_string()))?;
        let core = service::Core::new(config, subscribers, endpoint.local_udp());
        let trigger = ShutdownTrigger::new();
        tokio::spawn(task::run(
            core,
            endpoint.clone(),
            incoming,
            clock,
            trigger.listener(),
        ));
        Ok(Self {
            endpoint,
            trigger: Mutex::new(Some(trigger)),
        })
    }

    /// Its UDP and TCP addresses.
    pub fn endpoints(&self) -> Endpoints {
        self.endpoint.endpoints()
    }

    /// Stops serving and closes every socket.
    pub async fn stop(&self) {
        let trigger = self
            .trigger
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(trigger) = trigger {
            trigger.shutdown().await;
        }
        self.endpoint.shutdown().await;
    }
}

impl Agent for MessageCenter {
    fn endpoints(&self) -> Endpoints {
        MessageCenter::endpoints(self)
    }

    fn act<'a>(
        &'a self,
        action: &'a str,
        _params: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<ActionOutput, AgentError>> {
        Box::pin(async move {
            Err(AgentError::BadAction {
                action: action.to_owned(),
                detail: "a message-center has no actions".to_owned(),
            })
        })
    }

    fn shutdown(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move { self.stop().await })
    }
}
