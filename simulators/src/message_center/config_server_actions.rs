//! Starting the configuration server for a case, and its action (protocols.md §2.1).
//!
//! [`start`] runs the server on the message center's IP, HTTPS when the message center speaks
//! TLS, telling terminals the message center's SIP address for the case transport as their
//! P-CSCF. `push-otp { user }` is the SMS carrying the one-time password of RCC.14's OTP round:
//! its output `otp` is the code (the case hands it to the terminal's `configure { otp }`); `user`
//! is a role name, a SIP or tel URI, or a number.

use std::collections::BTreeMap;

use rcs_harness::agent::{ActionOutput, ActionSpec, AgentError, AgentSpec, Endpoints, WireTap};
use rcs_harness::role::{RoleKind, Subscriber};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::config::Settings;
use super::config_server::{ConfigServer, Provisioned};
use super::config_server_doc::ImsParams;
use crate::net::TlsConfig;

/// The configuration server's actions.
pub const CONFIG_ACTIONS: &[ActionSpec] = &[ActionSpec {
    kind: RoleKind::MessageCenter,
    name: "push-otp",
    description: "send a user the one-time password of the configuration OTP round (the SMS); \
                  output `otp`",
}];

/// `push-otp`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct PushOtpParams {
    /// A role name, a SIP or tel URI, or a number.
    user: String,
}

/// Starts the configuration server of the message center `spec` describes.
pub(crate) async fn start(
    spec: &AgentSpec,
    settings: Settings,
    endpoints: &Endpoints,
    tls: Option<TlsConfig>,
    tap: WireTap,
) -> Result<ConfigServer, AgentError> {
    let transport = spec.transport;
    let pcscf = match transport {
        rcs_harness::events::Transport::Udp => endpoints.sip_udp,
        rcs_harness::events::Transport::Tcp => endpoints.sip_tcp,
        rcs_harness::events::Transport::Tls => endpoints.sip_tls,
    }
    .ok_or_else(|| AgentError::Harness("start the configuration server: no SIP address".into()))?;
    let ims = ImsParams {
        pcscf,
        transport,
        realm: settings.realm.clone(),
        ft_http_cs_uri: None,
    };
    let roles: BTreeMap<String, Subscriber> = spec
        .peers
        .values()
        .filter_map(|p| Some((p.name.clone(), p.subscriber.clone()?)))
        .collect();
    ConfigServer::start(
        pcscf.ip(),
        tls,
        tap,
        settings,
        ims,
        [endpoints.sip_udp, endpoints.sip_tcp, endpoints.sip_tls]
            .into_iter()
            .flatten()
            .collect(),
        Provisioned {
            users: spec.subscribers.clone(),
            roles,
        },
    )
    .await
    .map_err(|e| AgentError::Harness(format!("start the configuration server: {e}")))
}

/// Checks the parameters of a configuration server action; `None` for other actions.
pub(crate) fn check(action: &str, params: &Map<String, Value>) -> Option<Result<(), String>> {
    (action == "push-otp").then(|| parse(params).map(|_| ()))
}

/// Runs a configuration server action; `None` for other actions.
pub(crate) fn act(
    server: Option<&ConfigServer>,
    action: &str,
    params: &Map<String, Value>,
) -> Option<Result<ActionOutput, String>> {
    (action == "push-otp").then(|| push_otp(server, params))
}

fn parse(params: &Map<String, Value>) -> Result<PushOtpParams, String> {
    serde_json::from_value(Value::Object(params.clone())).map_err(|e| e.to_string())
}

fn push_otp(
    server: Option<&ConfigServer>,
    params: &Map<String, Value>,
) -> Result<ActionOutput, String> {
    let p = parse(params)?;
    let server = server.ok_or("this message center runs no configuration server")?;
    let user = server
        .user(&p.user)
        .ok_or_else(|| format!("no subscriber `{}`", p.user))?;
    let otp = server.push_otp(&user);
    let mut values = BTreeMap::new();
    values.insert("otp".to_owned(), otp.clone());
    values.insert("config-url".to_owned(), server.url());
    Ok(ActionOutput {
        values,
        summary: format!("OTP {otp} pushed to {} by SMS", user.msisdn),
    })
}
