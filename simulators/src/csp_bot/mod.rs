//! The chatbot server simulator (role kind `csp-bot`): the bank's server behind the MaaP's
//! developer APIs (protocols.md §8; contracts §G).
//!
//! It serves callbacks over HTTP (`Endpoints.http`; HTTPS when the case runs over TLS) and calls
//! the MaaP's developer API with an HTTP client: the `maap` role's HTTP address (learned once
//! every role has started) or the `maap-api` setting. What it speaks depends on the `family`
//! setting: `cmcc` (China Mobile XML, [`cmcc`]) or `ctcu` (China Telecom/Unicom JSON, [`ctcu`]).
//! Each family module owns its actions (`send`, `revoke`, `upload-media`…) and its callback
//! paths; this module dispatches to them (the configured family first), then to the actions of
//! every family ([`actions`]: `query-cdrs`, `callbacks`, `wait-callback`). Every callback is
//! logged, and an uplink whose postback data is in `replies` is answered automatically
//! ([`server`]). It does not judge the MaaP: cases do, from the wire.

mod actions;
mod cmcc;
mod core;
mod ctcu;
mod server;
mod settings;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use rcs_harness::agent::{
    ActionOutput, ActionSpec, Agent, AgentError, AgentSpec, BoxFuture, Endpoints, Peer, WireTap,
};
use rcs_harness::clock::Clock;
use rcs_harness::events::Transport;
use rcs_proto::http::{Request, Response};
use serde_json::{Map, Value};

pub(crate) use self::core::{BotCore, Callback};
pub(crate) use self::settings::{BotSettings, Family};

use crate::http::{HttpClient, HttpServer};
use crate::net::TlsConfig;

/// Every action a chatbot server performs, each name once.
pub fn actions() -> Vec<ActionSpec> {
    let mut all: Vec<ActionSpec> = Vec::new();
    for spec in cmcc::ACTIONS
        .iter()
        .chain(ctcu::ACTIONS)
        .chain(actions::ACTIONS)
    {
        if !all.iter().any(|s| s.name == spec.name) {
            all.push(spec.clone());
        }
    }
    all
}

/// Checks an action's parameters at load time (either family may own it).
pub fn check_action(action: &str, params: &Map<String, Value>) -> Result<(), String> {
    // The family is a setting the check does not see: what either family accepts passes.
    let ctcu_accepts = matches!(ctcu::check(action, params), Some(Ok(())));
    cmcc::check(action, params)
        .filter(|checked| checked.is_ok() || !ctcu_accepts)
        .or_else(|| ctcu::check(action, params))
        .or_else(|| actions::check(action, params))
        .unwrap_or_else(|| {
            let known: Vec<&str> = actions().iter().map(|s| s.name).collect();
            Err(format!(
                "a csp-bot has no action `{action}` (it has: {})",
                known.join(", ")
            ))
        })
}

/// Checks a chatbot server's settings.
pub fn check_settings(settings: &Map<String, Value>) -> Result<(), String> {
    BotSettings::from_map(settings).map(|_| ())
}

/// Performs `action` with the configured family's module, else with the generic actions.
pub(crate) async fn family_act(
    core: &Arc<BotCore>,
    action: &str,
    params: &Map<String, Value>,
) -> Option<Result<ActionOutput, String>> {
    let own = match core.settings.family {
        Family::Cmcc => cmcc::act(core, action, params).await,
        Family::Ctcu => ctcu::act(core, action, params).await,
    };
    match own {
        Some(done) => Some(done),
        None => actions::act(core, action, params).await,
    }
}

/// Answers a callback with the module owning its path, the configured family's first.
pub(crate) async fn family_callback(
    core: &Arc<BotCore>,
    request: &Request,
) -> Option<(Response, Option<Callback>)> {
    match core.settings.family {
        Family::Cmcc => match cmcc::callback(core, request).await {
            Some(answered) => Some(answered),
            None => ctcu::callback(core, request).await,
        },
        Family::Ctcu => match ctcu::callback(core, request).await {
            Some(answered) => Some(answered),
            None => cmcc::callback(core, request).await,
        },
    }
}

/// Starts a chatbot server for a case on `127.0.0.1` with an OS-chosen port.
pub async fn start(
    spec: AgentSpec,
    tap: WireTap,
    clock: Clock,
) -> Result<Box<dyn Agent>, AgentError> {
    let settings =
        BotSettings::from_map(&spec.settings).map_err(|detail| AgentError::BadAction {
            action: "start".to_owned(),
            detail,
        })?;
    let tls = match spec.transport {
        Transport::Tls => Some(
            TlsConfig::from_trust(&spec.tls, &[])
                .map_err(|err| AgentError::Harness(format!("start the csp-bot: {err}")))?,
        ),
        Transport::Udp | Transport::Tcp => None,
    };
    let maap_tls = settings
        .maap_api
        .map_or(spec.transport == Transport::Tls, |api| api.tls);
    let http = HttpClient::new(tap.clone(), tls.clone());
    let core = Arc::new(BotCore::new(
        settings,
        http,
        clock,
        tap.clone(),
        maap_tls,
        spec.faults.clone(),
    ));
    core.learn_peers(&spec.peers);
    let ip = Ipv4Addr::LOCALHOST.into();
    let server = HttpServer::start(ip, tls, tap, server::handler(core.clone()))
        .await
        .map_err(|err| {
            AgentError::Harness(format!("start the csp-bot's callback server: {err}"))
        })?;
    Ok(Box::new(CspBot { core, server }))
}

/// A running chatbot server.
pub struct CspBot {
    core: Arc<BotCore>,
    server: HttpServer,
}

impl CspBot {
    /// The callback server's address.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }
}

impl Agent for CspBot {
    fn endpoints(&self) -> Endpoints {
        Endpoints {
            http: Some(self.server.local_addr()),
            ..Endpoints::default()
        }
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
            match family_act(&self.core, action, params).await {
                Some(done) => done.map_err(bad),
                None => Err(bad(format!(
                    "the {} csp-bot has no such action",
                    self.core.settings.family.as_str()
                ))),
            }
        })
    }

    fn peers_ready(&self, peers: &BTreeMap<String, Peer>) {
        self.core.learn_peers(peers);
    }

    fn shutdown(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            self.core.http.close_all();
            self.server.shutdown().await;
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_proto::http::RequestBuilder;
    use serde_json::json;
    use tokio::sync::mpsc;

    use super::*;

    fn spec(settings: Value) -> AgentSpec {
        AgentSpec {
            case: "T-1".into(),
            role: "bank".into(),
            kind: rcs_harness::role::RoleKind::CspBot,
            faults: Vec::new(),
            transport: Transport::Tcp,
            subscriber: None,
            subscribers: Vec::new(),
            peers: BTreeMap::new(),
            settings: settings.as_object().unwrap().clone(),
            tls: Default::default(),
            carrier: Default::default(),
        }
    }

    #[tokio::test]
    async fn an_unknown_callback_path_gets_404_and_is_not_logged() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let clock = Clock::virtual_time();
        let tap = WireTap::new("bank", clock.clone(), tx);
        let bot = start(spec(json!({})), tap.clone(), clock).await.unwrap();
        let addr = bot.endpoints().http.unwrap();
        let client = HttpClient::new(tap, None);
        let request = RequestBuilder::new("POST", "/nowhere")
            .header("Host", &addr.to_string())
            .build()
            .unwrap();
        let response = client.send(addr, false, &request).await.unwrap();
        assert_eq!(response.status(), 404);
        let out = bot.act("callbacks", &Map::new()).await.unwrap();
        assert_eq!(out.values["count"], "0");
        assert!(rx.recv().await.is_some(), "the exchange is tapped");
        bot.shutdown().await;
    }

    #[tokio::test]
    async fn the_cdr_query_without_a_maap_is_an_action_error() {
        let (tx, _rx) = mpsc::unbounded_channel();
        let clock = Clock::virtual_time();
        let tap = WireTap::new("bank", clock.clone(), tx);
        let bot = start(spec(json!({})), tap, clock).await.unwrap();
        let err = bot.act("query-cdrs", &Map::new()).await.unwrap_err();
        assert!(err.to_string().contains("no `maap` role"), "{err}");
        let err = bot.act("dance", &Map::new()).await.unwrap_err();
        assert!(err.to_string().contains("has no such action"), "{err}");
        bot.shutdown().await;
    }

    #[test]
    fn load_time_checks_cover_every_family() {
        assert!(check_action("callbacks", &Map::new()).is_ok());
        let err = check_action("dance", &Map::new()).unwrap_err();
        assert!(err.starts_with("a csp-bot has no action `dance`"), "{err}");
        assert!(check_settings(json!({"family": "ctcu"}).as_object().unwrap()).is_ok());
        let names: Vec<_> = actions().iter().map(|a| a.name).collect();
        assert!(names.contains(&"query-cdrs") && names.contains(&"wait-callback"));
    }
}
