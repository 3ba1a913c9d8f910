//! The message-center simulator: the IMS core (registrar, S-CSCF routing) and the 5G Message
//! Center relay of a home network, on one SIP endpoint and one MSRP stack (protocols.md §2-4,
//! PLT-REG, PLT-CAP, PLT-MSG-001/002/005-008).
//!
//! It authenticates REGISTER with digest MD5 and keeps bindings on the case clock
//! (`registrar`, `bindings`), answers or relays OPTIONS and MESSAGE by the state of their target
//! (`router`, `options`, `proxy`), answers malformed requests with 400, and matches
//! retransmissions to server transactions (`service`). CPM session and large-message INVITEs
//! are anchored by a B2BUA (`b2bua`, `invite_legs`, `anchor`) that relays MSRP chunk by chunk
//! between the two legs (`session_relay`, `relay_task`; PLT-MSG-006/007/008). A registered user
//! may subscribe to its own reg event (`regevent`, `reg_state`; RFC 3680, PLT-REG-005), and the
//! `deregister` action ends a registration from the network side (`actions`). It does not store
//! and forward, does not handle session refresh. Requests to the
//! conference factory and to group session URIs go to the group chat focus (`focus*`,
//! protocols.md §6, PLT-GC). Each fault of [`config::Fault`]
//! changes one decision point.

mod actions;
mod anchor;
pub(crate) mod b2bua;
#[cfg(test)]
mod b2bua_tests;
mod bindings;
mod carriers;
pub(crate) mod cdr;
pub(crate) mod cdr_http;
mod cdr_p2p;
pub mod config;
mod config_server;
mod config_server_actions;
mod config_server_doc;
mod content;
mod cpim_rewrite;
mod deferred;
mod directory;
mod fallback;
mod fallback_sms;
mod focus;
mod focus_group;
mod focus_relay;
mod focus_requests;
mod focus_sip;
mod invite_legs;
mod options;
pub(crate) mod proxy;
mod reg_state;
mod regevent;
mod registrar;
pub(crate) mod relay_task;
pub(crate) mod reply;
pub(crate) mod rewrite;
mod router;
mod saf;
mod saf_notify;
mod saf_settings;
mod service;
pub(crate) mod session_relay;
mod sms_ip;
mod store;
mod task;
mod trunk;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Mutex;

use rcs_harness::agent::{
    ActionOutput, ActionSpec, Agent, AgentError, AgentSpec, BoxFuture, Endpoints, WireTap,
};
use rcs_harness::clock::Clock;
use rcs_harness::events::Transport;
use rcs_harness::role::{HOME_DOMAIN, Subscriber};
use serde_json::{Map, Value};

pub use config::{Config, Fault, Faults, Settings};
pub(crate) use config_server::{imsi_of, lookup as config_server_at};
pub use config_server_actions::CONFIG_ACTIONS;
/// Whether a MESSAGE carries an IMDN (for the interworking gateway's `drop-imdn` fault).
pub(crate) use router::is_imdn as is_imdn_request;

use b2bua::MsrpUris;
use focus::FocusMsrp;
use focus_relay::FocusRelays;
use relay_task::Relays;

use crate::msrp::MsrpStack;
use crate::net::{NetError, ShutdownTrigger, SipEndpoint, TlsConfig};

/// The actions a message center can be asked to perform.
pub const ACTIONS: &[ActionSpec] = actions::ACTIONS;

/// Checks an action's parameters at load time.
pub fn check_action(action: &str, params: &Map<String, Value>) -> Result<(), String> {
    if let Some(checked) = config_server_actions::check(action, params) {
        return checked;
    }
    actions::check(action, params)
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
    let tls = match spec.transport {
        Transport::Tls => {
            let names = tls_names(&config, &spec.subscribers);
            let tls = TlsConfig::from_trust(&spec.tls, &names)
                .map_err(|err| AgentError::Harness(format!("start message center: {err}")))?;
            Some(tls)
        }
        Transport::Udp | Transport::Tcp => None,
    };
    let any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let settings = config.settings.clone();
    let mut center = MessageCenter::start_with_tls(
        any,
        config,
        carriers::provisioned(spec.carrier, &spec.subscribers),
        tls.clone(),
        tap.clone(),
        clock,
    )
    .await?;
    center.trunk.set_transport(spec.transport);
    center.trunk.serve_domain(spec.carrier.chatbot_domain());
    center.carriers.configure(spec.carrier, &spec.subscribers);
    center.carriers.set_transport(spec.transport);
    center.sms_centre.configure(spec.carrier, spec.transport);
    center.cdrs.configure(spec.carrier);
    let store = center.cdrs.store();
    let billing = cdr_http::start(any.ip(), store, tap.clone(), "the message center");
    match billing.await {
        Ok(server) => center.billing = Some(server),
        Err(err) => {
            center.stop().await;
            return Err(err);
        }
    }
    let endpoints = center.endpoints();
    let configured = config_server_actions::start(&spec, settings, &endpoints, tls, tap);
    match configured.await {
        Ok(server) => center.config_server = Some(server),
        Err(err) => {
            center.stop().await;
            return Err(err);
        }
    }
    Ok(Box::new(center))
}

/// The names its TLS certificate carries besides loopback: the home domain, every subscriber's
/// domain and the realm (RFC 5922 7.1: a SIP domain is matched against the certificate).
fn tls_names(config: &Config, subscribers: &[Subscriber]) -> Vec<String> {
    let mut names = vec![HOME_DOMAIN.to_owned()];
    let domains = subscribers.iter().map(|s| s.domain.as_str());
    for name in domains.chain([config.settings.realm.as_str()]) {
        let usable = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'));
        if usable && !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
            names.push(name.to_owned());
        }
    }
    names
}

/// Actions queued for the task at once.
const COMMAND_QUEUE: usize = 16;

/// A running message center.
#[derive(Debug)]
pub struct MessageCenter {
    endpoint: SipEndpoint,
    msrp: MsrpStack,
    trigger: Mutex<Option<ShutdownTrigger>>,
    /// The configuration server (protocols.md §2.1), when started for a case.
    config_server: Option<config_server::ConfigServer>,
    /// The FT-HTTP content server it hosts.
    content: content::Hosted,
    /// Actions for the task that owns the core.
    commands: actions::Commands,
    /// The SIP trunk to the chatbot platform.
    trunk: trunk::Trunk,
    /// The other carriers, through its carrier's interworking gateway.
    carriers: carriers::Carriers,
    /// The SMS centre network fallback submits to (protocols.md §9.2).
    sms_centre: fallback::SmsCentre,
    /// Its person-to-person billing records (protocols.md §10.3).
    cdrs: cdr_p2p::P2pCdrs,
    /// Their export (`Endpoints.http`), when started for a case.
    billing: Option<crate::http::HttpServer>,
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
        Self::start_with_tls(addr, config, subscribers, None, tap, clock).await
    }

    /// As [`MessageCenter::start`], and with `tls` also on a TLS listener of its own port.
    pub async fn start_with_tls(
        addr: SocketAddr,
        config: Config,
        subscribers: Vec<Subscriber>,
        tls: Option<TlsConfig>,
        tap: WireTap,
        clock: Clock,
    ) -> Result<Self, AgentError> {
        let harness = |err: NetError| AgentError::Harness(err.to_string());
        let msrp = MsrpStack::start(addr.ip(), tls.clone(), tap.clone(), clock.clone())
            .await
            .map_err(harness)?;
        let content = content::Hosted::start(
            addr.ip(),
            tls.clone(),
            tap.clone(),
            clock.clone(),
            &config,
            &subscribers,
        )
        .await;
        let content = match content {
            Ok(content) => content,
            Err(err) => {
                msrp.shutdown().await;
                return Err(err);
            }
        };
        let (endpoint, incoming) = match SipEndpoint::bind_with_tls(addr, tap, tls).await {
            Ok(bound) => bound,
            Err(err) => {
                msrp.shutdown().await;
                content.stop().await;
                return Err(harness(err));
            }
        };
        content.publish(endpoint.endpoints());
        let uris = msrp.clone();
        let focus_uris = msrp.clone();
        let has_tls = msrp.listen_addr(true).is_some();
        let core = service::Core::new(config.clone(), subscribers, endpoint.local_udp())
            .with_tls_via(endpoint.local_tls())
            .with_msrp(MsrpUris::new(move |tls| {
                (!tls || has_tls).then(|| uris.new_local_uri(tls))
            }))
            .with_focus(
                FocusMsrp::new(move |tls| (!tls || has_tls).then(|| focus_uris.new_local_uri(tls))),
                FocusRelays::new(
                    Some(msrp.clone()),
                    config.faults.has(Fault::FocusRewritesCpimFrom),
                ),
            );
        let settings = &config.settings;
        let trunk = trunk::Trunk::new(&settings.chatbot_domains, settings.maap_trunk);
        let core = core.with_trunk(trunk.clone());
        let carriers = carriers::Carriers::default();
        let core = core.with_carriers(carriers.clone());
        let sms_centre = fallback::SmsCentre::default();
        let core = core.with_sms_centre(sms_centre.clone());
        let cdrs = cdr_p2p::P2pCdrs::new(&config.faults);
        let core = core.with_cdrs(cdrs.clone());
        let relays = Relays::new(Some(msrp.clone()), config.faults);
        let trigger = ShutdownTrigger::new();
        let (commands, queued) = tokio::sync::mpsc::channel(COMMAND_QUEUE);
        tokio::spawn(task::run(
            core,
            endpoint.clone(),
            (incoming, queued),
            relays,
            clock,
            trigger.listener(),
        ));
        Ok(Self {
            endpoint,
            msrp,
            trigger: Mutex::new(Some(trigger)),
            config_server: None,
            content,
            commands,
            trunk,
            carriers,
            sms_centre,
            cdrs,
            billing: None,
        })
    }

    /// Its UDP, TCP and (when it speaks TLS) TLS addresses, and its billing export's.
    pub fn endpoints(&self) -> Endpoints {
        let mut endpoints = self.endpoint.endpoints();
        endpoints.http = self.billing.as_ref().map(|b| b.local_addr());
        endpoints
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
        if let Some(server) = &self.config_server {
            server.stop().await;
        }
        if let Some(billing) = &self.billing {
            billing.shutdown().await;
        }
        self.msrp.shutdown().await;
        self.content.stop().await;
        self.endpoint.shutdown().await;
    }

    /// The upload URL of the content server it hosts (`ftHTTPCSURI`).
    pub fn content_server_url(&self) -> &str {
        self.content.url()
    }
}

impl Agent for MessageCenter {
    fn endpoints(&self) -> Endpoints {
        MessageCenter::endpoints(self)
    }

    fn act<'a>(
        &'a self,
        action: &'a str,
        params: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<ActionOutput, AgentError>> {
        Box::pin(async move {
            let bad = |detail: String| AgentError::BadAction {
                action: action.to_owned(),
                detail,
            };
            if let Some(done) =
                config_server_actions::act(self.config_server.as_ref(), action, params)
            {
                return done.map_err(bad);
            }
            let parsed = actions::parse(action, params).map_err(bad)?;
            let (done, outcome) = tokio::sync::oneshot::channel();
            let command = actions::Command {
                action: parsed,
                done,
            };
            let stopped = || AgentError::Harness("the message center has stopped".to_owned());
            self.commands.send(command).await.map_err(|_| stopped())?;
            outcome.await.map_err(|_| stopped())?.map_err(bad)
        })
    }

    fn peers_ready(&self, peers: &std::collections::BTreeMap<String, rcs_harness::agent::Peer>) {
        self.trunk.learn(peers);
        self.carriers.learn(peers);
        self.sms_centre.learn(peers);
    }

    fn shutdown(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move { self.stop().await })
    }
}
