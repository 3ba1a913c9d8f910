//! The MaaP simulator (role kind `maap`): the chatbot platform between users' terminals and the
//! chatbot developers' servers (protocols.md §7, §8.3, §10; PLT-CAP-004, PLT-BOT-*).
//!
//! Southbound it is a SIP endpoint (UDP, TCP and TLS like the message center) behind the message
//! center's chatbot trunk: it answers OPTIONS and MESSAGE to its chatbots (`southbound`,
//! `uplink`), and sends the chatbots' messages to users through the message center (`engine`,
//! `delivery`, `mt_message`, `uac`). Northbound it is an HTTP server (`http_routes`): bot
//! information (`bot_info`), the billing export, and the CMCC and CT/CU developer APIs of the
//! family modules, which turn [`engine::BotEvent`]s into callbacks to the chatbot's server.
//! Policy, billing records and SMS fallback are in `policy`, `cdr`, `billing`, `sms_fallback`.
//! Direct actions for cases that drive it without a chatbot server are in `actions`.

mod actions;
mod billing;
mod bot_info;
mod carrier;
mod cdr;
pub(crate) mod chatbots;
mod core;
mod delivery;
pub(crate) mod engine;
pub(crate) mod http_routes;
mod ids;
mod mt_message;
mod nbi_cmcc;
mod nbi_ctcu;
mod other_net;
mod policy;
mod revoke;
mod session;
pub(crate) mod settings;
mod sms_fallback;
mod southbound;
mod tracking;
mod uac;
mod up10_fallback;
mod uplink;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use rcs_harness::agent::{
    ActionOutput, ActionSpec, Agent, AgentError, AgentSpec, BoxFuture, Endpoints, Peer, WireTap,
};
use rcs_harness::clock::Clock;
use rcs_harness::events::Transport;
use rcs_harness::role::HOME_DOMAIN;
use serde_json::{Map, Value};

use self::core::MaapCore;
use self::engine::Engine;
use self::settings::MaapSettings;
use crate::http::HttpServer;
use crate::msrp::MsrpStack;
use crate::net::{SipEndpoint, TlsConfig};

/// The actions a MaaP can be asked to perform.
pub const ACTIONS: &[ActionSpec] = actions::ACTIONS;

/// Checks an action's parameters at load time.
pub fn check_action(action: &str, params: &Map<String, Value>) -> Result<(), String> {
    actions::check(action, params)
}

/// Checks a MaaP's settings (`chatbots`, `sensitive-words`, `blocked`, `chatbot-domains`).
pub fn check_settings(settings: &Map<String, Value>) -> Result<(), String> {
    MaapSettings::from_map(settings).map(|_| ())
}

/// Starts a MaaP for a case on `127.0.0.1` with OS-chosen ports.
pub async fn start(
    spec: AgentSpec,
    tap: WireTap,
    clock: Clock,
) -> Result<Box<dyn Agent>, AgentError> {
    let bad = |detail: String| AgentError::BadAction {
        action: "start".to_owned(),
        detail,
    };
    let mut settings = MaapSettings::from_map(&spec.settings).map_err(bad)?;
    carrier::rehome(&mut settings, spec.carrier);
    let tls = match spec.transport {
        Transport::Tls => {
            let names = tls_names(&settings);
            let tls = TlsConfig::from_trust(&spec.tls, &names)
                .map_err(|err| AgentError::Harness(format!("start maap: {err}")))?;
            Some(tls)
        }
        Transport::Udp | Transport::Tcp => None,
    };
    let any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let (endpoint, incoming) = SipEndpoint::bind_with_tls(any, tap.clone(), tls.clone())
        .await
        .map_err(|err| AgentError::Harness(err.to_string()))?;
    let core = MaapCore::new(
        &spec.role,
        endpoint.clone(),
        spec.transport,
        clock,
        settings,
        spec.faults.clone(),
        spec.subscribers.clone(),
    );
    core.learn_peers(&spec.peers);
    let engine = Engine::new(Arc::new(core));
    let handler = http_routes::handler(http_routes::routes(&engine));
    let server = match HttpServer::start(any.ip(), tls.clone(), tap, handler).await {
        Ok(server) => server,
        Err(err) => {
            endpoint.shutdown().await;
            return Err(AgentError::Harness(format!(
                "start the maap http server: {err}"
            )));
        }
    };
    engine.core().set_http_addr(server.local_addr());
    let (core, ip) = (engine.core(), any.ip());
    let msrp = match MsrpStack::start(ip, tls, core.tap.clone(), core.clock.clone()).await {
        Ok(msrp) => msrp,
        Err(err) => {
            server.shutdown().await;
            endpoint.shutdown().await;
            return Err(AgentError::Harness(format!(
                "start the maap msrp stack: {err}"
            )));
        }
    };
    tokio::spawn(southbound::run(engine.clone(), incoming, msrp));
    Ok(Box::new(Maap {
        engine,
        http: Mutex::new(Some(server)),
    }))
}

/// The names its TLS certificate carries besides loopback: the home domain and the chatbot
/// domains (RFC 5922 7.1).
fn tls_names(settings: &MaapSettings) -> Vec<String> {
    let mut names = vec![HOME_DOMAIN.to_owned()];
    for domain in &settings.chatbot_domains {
        let usable = !domain.is_empty()
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'));
        if usable && !names.iter().any(|n| n.eq_ignore_ascii_case(domain)) {
            names.push(domain.clone());
        }
    }
    names
}

/// A running MaaP.
struct Maap {
    engine: Engine,
    http: Mutex<Option<HttpServer>>,
}

impl Agent for Maap {
    fn endpoints(&self) -> Endpoints {
        let mut endpoints = self.engine.core().endpoint.endpoints();
        endpoints.http = self.engine.core().http_addr();
        endpoints
    }

    fn act<'a>(
        &'a self,
        action: &'a str,
        params: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<ActionOutput, AgentError>> {
        Box::pin(async move {
            actions::act(&self.engine, action, params)
                .await
                .map_err(|detail| AgentError::BadAction {
                    action: action.to_owned(),
                    detail,
                })
        })
    }

    fn peers_ready(&self, peers: &BTreeMap<String, Peer>) {
        self.engine.core().learn_peers(peers);
        self.engine.reload_policy();
        nbi_ctcu::peers_ready(&self.engine);
    }

    fn shutdown(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            let server = self.http.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(server) = server {
                server.shutdown().await;
            }
            self.engine.core().endpoint.shutdown().await;
        })
    }
}
