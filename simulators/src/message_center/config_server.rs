//! The 5G Message Center's configuration server (protocols.md §2.1; RCC.07 ch. 2, RCC.14): an
//! HTTP server of its own (HTTPS when the message center speaks TLS) answering a terminal's
//! `GET ?vers=&IMSI=&rcs_version=&rcs_profile=&provisioning_version=...`.
//!
//! Answers, in order of precedence:
//! - a method other than GET: 405;
//! - a mandatory query parameter missing (`vers`, `IMSI`, `rcs_version`, `rcs_profile`,
//!   `provisioning_version`) or `vers` not an integer: 400, the reason naming the parameter;
//! - the `config-error` setting: that status (503 with `Retry-After: config-retry-after`);
//! - an IMSI of no subscriber: 403;
//! - `config-requires-otp` and no `otp`: 200 with an empty body, the OTP demand (RCC.14: the
//!   code then reaches the user by SMS, modelled by the `push-otp` action, whose output is the
//!   code); a wrong `otp`: 403;
//! - a `config-version` of 0, -1 or -2: the short document (VERS only, validity 0);
//! - `vers` equal to the current version: the short document (VERS version and validity);
//! - else the user's full document (`config_server_doc`).
//!
//! Simulated terminals of the same process find a running server through [`lookup`] by the
//! message center's SIP address, since its port is chosen by the system. `ftHTTPCSURI` names the
//! content server published under the same address, when there is one. Not modelled: header enrichment, cookies,
//! redirects, the `msisdn` round of RCC.14 and token checks (a `token` is accepted as given).

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};

use rand::Rng;
use rcs_harness::agent::WireTap;
use rcs_harness::role::Subscriber;
use rcs_proto::autoconfig::AUTOCONFIG_CONTENT_TYPE;
use rcs_proto::http::{Request, Response, ResponseBuilder};

use super::config::Settings;
use super::config_server_doc::{self as doc, ImsParams};
use crate::http::{HttpNetError, HttpServer};
use crate::net::TlsConfig;

/// The query parameters a configuration request must carry (protocols.md §2.1).
pub(crate) const MANDATORY: [&str; 5] = [
    "vers",
    "IMSI",
    "rcs_version",
    "rcs_profile",
    "provisioning_version",
];

/// The errors `config-error` may name (protocols.md §2.1, TTM §5.2.x).
const ERRORS: [u16; 4] = [500, 503, 403, 511];

/// Checks the configuration server's settings.
pub(crate) fn check_settings(settings: &Settings) -> Result<(), String> {
    if let Some(code) = settings.config_error.filter(|c| !ERRORS.contains(c)) {
        return Err(format!(
            "invalid message-center settings: config-error {code} is not 500, 503, 403 or 511"
        ));
    }
    if settings.config_version < -2 {
        return Err(format!(
            "invalid message-center settings: config-version {} is below -2",
            settings.config_version
        ));
    }
    Ok(())
}

/// The IMSI the simulators give a subscriber: MCC 460, MNC 00 and the last ten digits of the
/// MSISDN as MSIN.
pub(crate) fn imsi_of(user: &Subscriber) -> String {
    let digits: String = user.msisdn.chars().filter(char::is_ascii_digit).collect();
    let msin = digits.get(digits.len().saturating_sub(10)..).unwrap_or("");
    format!("46000{msin:0>10}")
}

/// What every request of one server shares.
struct State {
    settings: Settings,
    users: Vec<Subscriber>,
    ims: ImsParams,
    token: String,
    /// OTP codes waiting to be used, by IMSI.
    otps: Mutex<HashMap<String, String>>,
}

/// A running configuration server.
pub(crate) struct ConfigServer {
    server: HttpServer,
    state: Arc<State>,
    /// The message center's SIP addresses it is published under.
    published: Vec<SocketAddr>,
    /// The case's subscribers by role name.
    roles: BTreeMap<String, Subscriber>,
}

impl std::fmt::Debug for ConfigServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConfigServer")
            .field("addr", &self.server.local_addr())
            .finish_non_exhaustive()
    }
}

/// Whom a configuration server answers for: the provisioned subscribers, and the case's role
/// names for the terminals among them.
pub(crate) struct Provisioned {
    pub(crate) users: Vec<Subscriber>,
    pub(crate) roles: BTreeMap<String, Subscriber>,
}

impl ConfigServer {
    /// Listens on `ip` (system-chosen port) and publishes itself for [`lookup`] under the
    /// message center's SIP addresses `published`.
    pub(crate) async fn start(
        ip: IpAddr,
        tls: Option<TlsConfig>,
        tap: WireTap,
        settings: Settings,
        ims: ImsParams,
        published: Vec<SocketAddr>,
        provisioned: Provisioned,
    ) -> Result<Self, HttpNetError> {
        let Provisioned { users, roles } = provisioned;
        let state = Arc::new(State {
            settings,
            users,
            ims,
            token: rand::rng()
                .sample_iter(rand::distr::Alphanumeric)
                .take(16)
                .map(char::from)
                .collect(),
            otps: Mutex::new(HashMap::new()),
        });
        let shared = state.clone();
        let handler: crate::http::Handler = Arc::new(move |request: &Request, _| {
            let response = answer(&shared, request);
            Box::pin(async move { response })
        });
        let server = HttpServer::start(ip, tls, tap, handler).await?;
        publish(&published, Some((server.local_addr(), server.is_tls())));
        Ok(Self {
            server,
            state,
            published,
            roles,
        })
    }

    /// The subscriber a case names: a role, a SIP or tel URI, or a number.
    pub(crate) fn user(&self, name: &str) -> Option<Subscriber> {
        if let Some(user) = self.roles.get(name) {
            return Some(user.clone());
        }
        let number = name.trim_start_matches("tel:");
        self.state
            .users
            .iter()
            .find(|u| u.msisdn == number || u.sip_uri() == name)
            .cloned()
    }

    /// The SMS push of an OTP to `user`: the code the next request must carry as `otp`
    /// (a fresh one unless one is waiting).
    pub(crate) fn push_otp(&self, user: &Subscriber) -> String {
        let mut otps = self.state.otps.lock().unwrap_or_else(|p| p.into_inner());
        otps.entry(imsi_of(user))
            .or_insert_with(|| format!("{:06}", rand::rng().random_range(0..1_000_000)))
            .clone()
    }

    /// The server's URL.
    pub(crate) fn url(&self) -> String {
        let scheme = if self.server.is_tls() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}/", self.server.local_addr())
    }

    /// Stops serving and leaves the directory.
    pub(crate) async fn stop(&self) {
        publish(&self.published, None);
        self.server.shutdown().await;
    }
}

type Directory = Mutex<HashMap<SocketAddr, (SocketAddr, bool)>>;

fn directory() -> &'static Directory {
    static DIRECTORY: OnceLock<Directory> = OnceLock::new();
    DIRECTORY.get_or_init(Directory::default)
}

/// Publishes `entry` under every address of `sips`, or withdraws them.
fn publish(sips: &[SocketAddr], entry: Option<(SocketAddr, bool)>) {
    let mut dir = directory().lock().unwrap_or_else(|p| p.into_inner());
    for sip in sips {
        match entry {
            Some(entry) => dir.insert(*sip, entry),
            None => dir.remove(sip),
        };
    }
}

/// The address of the configuration server of the message center at SIP address `sip`, and
/// whether it speaks HTTPS.
pub(crate) fn lookup(sip: SocketAddr) -> Option<(SocketAddr, bool)> {
    directory()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&sip)
        .copied()
}

fn answer(state: &State, request: &Request) -> Response {
    if request.method() != "GET" {
        return respond(ResponseBuilder::new(405, "Method Not Allowed").header("Allow", "GET"));
    }
    if let Some(missing) = MANDATORY
        .iter()
        .find(|name| request.query_param(name).is_none())
    {
        return bad_request(&format!("missing {missing}"));
    }
    let Some(vers) = request
        .query_param("vers")
        .and_then(|v| v.trim().parse::<i64>().ok())
    else {
        return bad_request("vers is not an integer");
    };
    if let Some(code) = state.settings.config_error {
        return error(code, state.settings.config_retry_after);
    }
    let imsi = request.query_param("IMSI").unwrap_or_default();
    let Some(user) = state.users.iter().find(|u| imsi_of(u) == imsi) else {
        return respond(ResponseBuilder::new(403, "Forbidden"));
    };
    if state.settings.config_requires_otp {
        let waiting = state
            .otps
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&imsi)
            .cloned();
        match request.query_param("otp") {
            None => return respond(ResponseBuilder::new(200, "OK")),
            Some(otp) if Some(&otp) == waiting.as_ref() => {}
            Some(_) => return respond(ResponseBuilder::new(403, "Forbidden")),
        }
    }
    let version = state.settings.config_version;
    let validity = state.settings.config_validity;
    let document = match version {
        ..=0 => doc::short(version, 0),
        v if v == vers => doc::short(version, validity),
        _ => {
            let ims = ImsParams {
                ft_http_cs_uri: crate::content_server::directory::lookup(state.ims.pcscf),
                ..state.ims.clone()
            };
            doc::full(user, &ims, version, validity, &state.token)
        }
    };
    respond(
        ResponseBuilder::new(200, "OK")
            .header("Content-Type", AUTOCONFIG_CONTENT_TYPE)
            .body(document.to_xml()),
    )
}

fn bad_request(why: &str) -> Response {
    respond(
        ResponseBuilder::new(400, "Bad Request")
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(format!("{why}\n")),
    )
}

fn error(code: u16, retry_after: u64) -> Response {
    let builder = match code {
        503 => ResponseBuilder::new(503, "Service Unavailable")
            .header("Retry-After", &retry_after.to_string()),
        403 => ResponseBuilder::new(403, "Forbidden"),
        511 => ResponseBuilder::new(511, "Network Authentication Required"),
        _ => ResponseBuilder::new(500, "Internal Server Error"),
    };
    respond(builder)
}

/// Builds a response made here: the builder refuses only what is never written here (control
/// characters in header names and values).
fn respond(builder: ResponseBuilder) -> Response {
    crate::http::built(builder)
}
