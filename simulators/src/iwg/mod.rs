//! The interworking gateway simulator (role kind `peer-carrier`): one carrier's IBCF/TrGW at the
//! NNI between carriers (protocols.md §9.1; GSMA IR.90; 3GPP TS 24.229 5.10, TS 29.165;
//! IWK-NNI-*).
//!
//! Its internal side is its carrier's message center (and chatbot platform); its NNI side is the
//! other carriers' gateways, all learned when every role has started ([`peers`]). A request from
//! its own network for another carrier's user, a ported number or another carrier's chatbot
//! domain ([`route`]) crosses to that carrier's gateway; a request from a peer gateway goes to its
//! message center, or its MaaP for its own chatbot domain. Both ways the §9.1 header table is
//! applied ([`border`]): topology hiding, trust domain for P-Asserted-Identity, charging vector
//! with both IOIs, private headers kept home, CPM headers and bodies transparent. MESSAGE,
//! OPTIONS, SUBSCRIBE, NOTIFY and REFER are relayed statefully ([`relay`]), each NOTIFY back to
//! the side its subscription came from (`subscription`: a group's conference state for a member
//! of another carrier, IWK-NNI-005); a session INVITE makes the gateway a B2BUA that
//! anchors MSRP on its own relay, re-chunking to `nni-max-chunk` toward the NNI (`session`). It exposes no actions; its NNI
//! charging records (`cdr`, protocols.md §10.3) are exported at `GET /billing/v1/cdrs` on its
//! HTTP server (`Endpoints.http`). Settings and faults: [`settings`].

pub mod border;
pub mod capability;
mod cdr;
mod far_leg;
mod peers;
mod relay;
pub mod route;
pub mod settings;
mod subscription;
mod task;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Mutex;

use rcs_harness::agent::{
    ActionOutput, Agent, AgentError, AgentSpec, BoxFuture, Endpoints, Peer, WireTap,
};
use rcs_harness::clock::Clock;
use rcs_harness::events::Transport;
use rcs_harness::role::Carrier;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::http::HttpServer;
use crate::message_center::Faults as McFaults;
use crate::message_center::b2bua::MsrpUris;
use crate::message_center::cdr_http;
use crate::message_center::relay_task::Relays;
use crate::msrp::MsrpStack;
use crate::net::{NetError, ShutdownTrigger, SipEndpoint, TlsConfig};
use settings::{Faults, Settings};

pub use settings::FAULTS;

/// Checks an action's parameters at load time: a gateway performs none.
pub fn check_action(action: &str, _params: &Map<String, Value>) -> Result<(), String> {
    Err(format!(
        "a peer-carrier has no action `{action}` (it has none)"
    ))
}

/// Checks a gateway's settings (`trusted`, `nni-max-chunk`, `portability`).
pub fn check_settings(settings: &Map<String, Value>) -> Result<(), String> {
    Settings::from_map(settings).map(|_| ())
}

/// Starts the gateway of `spec.carrier` for a case on `127.0.0.1` with OS-chosen ports.
pub async fn start(
    spec: AgentSpec,
    tap: WireTap,
    clock: Clock,
) -> Result<Box<dyn Agent>, AgentError> {
    let bad = |detail: String| AgentError::BadAction {
        action: "start".to_owned(),
        detail,
    };
    let settings = Settings::from_map(&spec.settings).map_err(bad)?;
    let faults = Faults::from_ids(&spec.faults).map_err(bad)?;
    let tls = match spec.transport {
        Transport::Tls => {
            let names = [spec.carrier.home_domain().to_owned()];
            let tls = TlsConfig::from_trust(&spec.tls, &names)
                .map_err(|err| AgentError::Harness(format!("start the gateway: {err}")))?;
            Some(tls)
        }
        Transport::Udp | Transport::Tcp => None,
    };
    let any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    let cdrs = cdr::NniCdrs::new(faults.nni_cdr_missing);
    let billing = cdr_http::start(any.ip(), cdrs.store(), tap.clone(), "the gateway").await?;
    let msrp = MsrpStack::start(any.ip(), tls.clone(), tap.clone(), clock.clone())
        .await
        .map_err(|err: NetError| AgentError::Harness(format!("start the gateway: {err}")))?;
    let (endpoint, incoming) = match SipEndpoint::bind_with_tls(any, tap, tls).await {
        Ok(bound) => bound,
        Err(err) => {
            msrp.shutdown().await;
            return Err(AgentError::Harness(format!("start the gateway: {err}")));
        }
    };
    let mut core = relay::Core::new(
        spec.carrier,
        &spec.subscribers,
        (settings, faults),
        spec.transport,
        (endpoint.local_udp(), endpoint.local_tls()),
    );
    let (uris, has_tls) = (msrp.clone(), msrp.listen_addr(true).is_some());
    core.set_msrp(MsrpUris::new(move |tls| {
        (!tls || has_tls).then(|| uris.new_local_uri(tls))
    }));
    let relays = Relays::new(Some(msrp.clone()), McFaults::default());
    let core = core.with_cdrs(cdrs);
    let (learn, learned) = mpsc::unbounded_channel();
    let trigger = ShutdownTrigger::new();
    tokio::spawn(task::run(
        core,
        endpoint.clone(),
        (incoming, learned),
        relays,
        clock,
        trigger.listener(),
    ));
    Ok(Box::new(Gateway {
        carrier: spec.carrier,
        endpoint,
        msrp,
        learn,
        trigger: Mutex::new(Some(trigger)),
        billing,
    }))
}

/// A running gateway.
#[derive(Debug)]
pub struct Gateway {
    carrier: Carrier,
    endpoint: SipEndpoint,
    msrp: MsrpStack,
    learn: mpsc::UnboundedSender<peers::Peers>,
    trigger: Mutex<Option<ShutdownTrigger>>,
    /// The export of its NNI billing records (`Endpoints.http`).
    billing: HttpServer,
}

impl Gateway {
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
        self.msrp.shutdown().await;
        self.billing.shutdown().await;
    }
}

impl Agent for Gateway {
    fn endpoints(&self) -> Endpoints {
        let mut endpoints = self.endpoint.endpoints();
        endpoints.http = Some(self.billing.local_addr());
        endpoints
    }

    fn act<'a>(
        &'a self,
        action: &'a str,
        params: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<ActionOutput, AgentError>> {
        Box::pin(async move {
            let detail = check_action(action, params)
                .err()
                .unwrap_or_else(|| format!("a peer-carrier has no action `{action}`"));
            Err(AgentError::BadAction {
                action: action.to_owned(),
                detail,
            })
        })
    }

    fn peers_ready(&self, peers: &BTreeMap<String, Peer>) {
        let learned = peers::Peers::learn(self.carrier, peers);
        if self.learn.send(learned).is_err() {
            tracing::warn!("the gateway has stopped before learning its peers");
        }
    }

    fn shutdown(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move { self.stop().await })
    }
}
