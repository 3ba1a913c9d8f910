//! The MaaP's China Telecom / China Unicom developer API (protocols.md §8.2, §8.3; PLT-NBI-CT-001..007):
//! `https://{serverRoot}/bot/v1/{chatbotId}/…` with the chatbot URI percent-encoded as chatbotId.
//!
//! | method + path under `/bot/v1/{chatbotId}/` | module |
//! |---|---|
//! | `POST accessToken` | `nbi_ctcu_token` |
//! | `POST messages`, `POST revoke` | `nbi_ctcu_send` |
//! | `POST medias/upload`, `GET medias/download`, `DELETE medias/delete`, `GET files/<id>` | `nbi_ctcu_media` |
//! | `GET find/chatBotInfo` | here |
//!
//! Every answer is JSON with `errorCode` (0 = success) and `errorMessage`. The HTTP status follows
//! the code: 200 for 0; 401 for token and appKey refusals (41001, 40014, 42001, 40001); 403 for
//! refusals of what the chatbot may do (48001, 30006, 60001, 70001, 46003); 429 for send limits
//! (30001..30004, 45001); 404 for an unknown chatbot, API or file; 400 otherwise. The spec carries
//! the verdict in `errorCode` only, so cases check that. Callbacks the other way are in
//! `nbi_ctcu_callbacks`, the callback URL verification in `nbi_ctcu_verify`.
//!
//! This module does not serve the CT CSP-level API (`/cspApi/…`), the chatbot information
//! updates (`update/chatBotInfo/…`) or templates.

#[path = "nbi_ctcu_callbacks.rs"]
mod callbacks;
#[path = "nbi_ctcu_media.rs"]
mod media;
#[path = "nbi_ctcu_send.rs"]
mod send;
#[path = "nbi_ctcu_token.rs"]
mod token;
#[path = "nbi_ctcu_verify.rs"]
mod verify;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Weak};

use rcs_harness::agent::{ActionOutput, ActionSpec};
use rcs_harness::clock::Clock;
use rcs_harness::events::Transport;
use rcs_harness::role::RoleKind;
use rcs_proto::http::{Request, Response, ResponseBuilder};
use rcs_proto::nbi::ctcu::code;
use rcs_proto::sip::{percent_decode, percent_encode};
use serde_json::{Map, Value, json};

pub(crate) use self::callbacks::CtcuNorthbound;
use self::media::Media;
use self::token::{Leniency, Tokens};
use self::verify::Verifications;
pub(crate) use self::verify::{Verdict, verify};
use crate::http::HttpClient;
use crate::maap::chatbots::{Chatbot, Family};
use crate::maap::engine::Engine;
use crate::maap::http_routes::Route;
use crate::net::TlsConfig;

/// Where the API lives.
pub(crate) const PREFIX: &str = "/bot/v1/";

/// The MaaP faults of the CT/CU API (see `faults`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CtcuFaults {
    pub old_token_valid: bool,
    pub token_never_expires: bool,
    pub unsigned_callbacks: bool,
    pub enabled_without_echo: bool,
    pub no_fallback_check: bool,
    pub ft_json_passthrough: bool,
    pub no_field_validation: bool,
    pub sender_not_checked: bool,
    pub temp_without_until: bool,
    pub spam_not_forwarded: bool,
}

impl CtcuFaults {
    pub(crate) fn from_ids(ids: &[String]) -> Self {
        let has = |name: &str| ids.iter().any(|id| id == &format!("maap.ctcu-{name}"));
        Self {
            old_token_valid: has("old-token-valid"),
            token_never_expires: has("token-never-expires"),
            unsigned_callbacks: has("unsigned-callbacks"),
            enabled_without_echo: has("enabled-without-echo"),
            no_fallback_check: has("no-fallback-check"),
            ft_json_passthrough: has("ft-json-passthrough"),
            no_field_validation: has("no-field-validation"),
            sender_not_checked: has("sender-not-checked"),
            temp_without_until: has("temp-without-until"),
            spam_not_forwarded: has("spam-not-forwarded"),
        }
    }
}

/// What the CT/CU API keeps: the engine it sends through, tokens, media, verdicts.
pub(crate) struct Ctcu {
    pub engine: Engine,
    pub clock: Clock,
    pub faults: CtcuFaults,
    pub tokens: Tokens,
    pub media: Media,
    pub verify: Verifications,
    /// The client posting callbacks and verification requests.
    pub client: HttpClient,
    /// Whether the MaaP's API is HTTPS (media URLs use the same scheme).
    pub https: bool,
}

impl Ctcu {
    /// The API of the MaaP `engine` sends through; `client` posts the callbacks.
    pub(crate) fn new(engine: Engine, client: HttpClient) -> Self {
        let core = engine.core().clone();
        Self {
            clock: core.clock.clone(),
            faults: CtcuFaults::from_ids(&core.faults),
            https: core.transport == Transport::Tls,
            engine,
            tokens: Tokens::default(),
            media: Media::default(),
            verify: Verifications::default(),
            client,
        }
    }

    /// The chatbot's callback base URL: its `callback` setting, else the csp-bot role's HTTP
    /// server (HTTPS when the case runs over TLS).
    pub(crate) fn callback_base(&self, bot: &Chatbot) -> Option<String> {
        if let Some(url) = &bot.callback {
            return Some(url.clone());
        }
        let addr = self.engine.core().csp_bot_http()?;
        let scheme = if self.https { "https" } else { "http" };
        Some(format!("{scheme}://{addr}"))
    }

    /// The provisioned CT/CU chatbot with this URI.
    pub(crate) fn chatbot(&self, uri: &str) -> Option<Chatbot> {
        self.engine
            .chatbot(uri)
            .filter(|bot| bot.family == Family::Ctcu)
    }
}

/// The CT/CU APIs of the running MaaPs, found again by their engine (entries of ended cases go).
static RUNNING: Mutex<Vec<Weak<Ctcu>>> = Mutex::new(Vec::new());

/// The route serving `/bot/v1/…` on the MaaP's HTTP server of `engine`; it also installs the
/// Northbound posting CT/CU callbacks. The route holds the API's state: it lives as long as the
/// server.
pub(crate) fn route(engine: Engine) -> Route {
    let core = engine.core().clone();
    let tls = match core.transport {
        Transport::Tls => TlsConfig::simulated(&[])
            .inspect_err(|err| tracing::warn!("failed to set up TLS for CT/CU callbacks: {err}"))
            .ok(),
        Transport::Udp | Transport::Tcp => None,
    };
    let client = HttpClient::new(core.tap.clone(), tls);
    let ctcu = Arc::new(Ctcu::new(engine.clone(), client));
    let northbound = Arc::new(CtcuNorthbound {
        ctcu: Arc::downgrade(&ctcu),
    });
    engine.set_northbound(Family::Ctcu, northbound);
    {
        let mut running = RUNNING.lock().unwrap_or_else(|p| p.into_inner());
        running.retain(|weak| weak.strong_count() > 0);
        running.push(Arc::downgrade(&ctcu));
    }
    serve(ctcu)
}

/// The CT/CU API running on `engine`, if its route was made.
fn running(engine: &Engine) -> Option<Arc<Ctcu>> {
    let running = RUNNING.lock().unwrap_or_else(|p| p.into_inner());
    running
        .iter()
        .filter_map(Weak::upgrade)
        .find(|ctcu| Arc::ptr_eq(ctcu.engine.core(), engine.core()))
}

/// Once every role of the case is up: verifies the CT/CU chatbots' callback URLs.
pub(crate) fn peers_ready(engine: &Engine) {
    if let Some(ctcu) = running(engine) {
        verify_all(&ctcu);
    }
}

/// Starts verifying the callback URL of every CT/CU chatbot (once every role is up). Each is
/// marked pending at once, so a send that comes before the verdict waits for it.
pub(crate) fn verify_all(ctcu: &Arc<Ctcu>) {
    let settings = ctcu.engine.core().settings();
    for bot in settings
        .chatbots
        .iter()
        .filter(|b| b.family == Family::Ctcu)
    {
        if ctcu.callback_base(bot).is_none() {
            continue;
        }
        ctcu.verify.set(&bot.uri, Verdict::Pending);
        let (ctcu, bot) = (ctcu.clone(), bot.clone());
        tokio::spawn(async move { verify(&ctcu, &bot).await });
    }
}

/// The MaaP action of the CT/CU API: `verify-callback { chatbot? }`.
pub(crate) const VERIFY_CALLBACK: ActionSpec = ActionSpec {
    kind: RoleKind::Maap,
    name: "verify-callback",
    description: "verify a CT/CU chatbot's callback URL now (GET notifyPath with echoStr): \
                  {chatbot?}; values `verdict` (enabled, failed, unverified) and `reason`",
};

/// Checks `verify-callback { chatbot? }`; None for another action.
pub(crate) fn check_action(
    action: &str,
    params: &Map<String, Value>,
) -> Option<Result<(), String>> {
    if action != "verify-callback" {
        return None;
    }
    Some(match params.keys().find(|k| k.as_str() != "chatbot") {
        Some(other) => Err(format!(
            "`verify-callback` takes no `{other}` (it takes: chatbot)"
        )),
        None => Ok(()),
    })
}

/// `verify-callback { chatbot? }`: verifies the chatbot's callback URL (default: the only CT/CU
/// chatbot, else the default CT/CU chatbot) and reports the verdict.
pub(crate) async fn act(
    engine: &Engine,
    action: &str,
    params: &Map<String, Value>,
) -> Option<Result<ActionOutput, String>> {
    if action != "verify-callback" {
        return None;
    }
    let Some(ctcu) = running(engine) else {
        return Some(Err("the CT/CU API is not running".to_owned()));
    };
    Some(verify_callback(&ctcu, params).await)
}

async fn verify_callback(ctcu: &Ctcu, params: &Map<String, Value>) -> Result<ActionOutput, String> {
    let settings = ctcu.engine.core().settings();
    let wanted = params.get("chatbot").and_then(Value::as_str);
    let mut ctcu_bots = settings
        .chatbots
        .iter()
        .filter(|b| b.family == Family::Ctcu);
    let bot = match wanted {
        Some(uri) => ctcu.chatbot(uri),
        None => ctcu_bots.next().cloned(),
    }
    .ok_or_else(|| format!("no CT/CU chatbot `{}`", wanted.unwrap_or("(any)")))?;
    let verdict = verify(ctcu, &bot).await;
    let (name, reason) = match &verdict {
        Verdict::Enabled => ("enabled", String::new()),
        Verdict::Failed(why) => ("failed", why.clone()),
        Verdict::Unverified | Verdict::Pending => ("unverified", "no callback URL".to_owned()),
    };
    let mut out = ActionOutput::default();
    out.values.insert("verdict".to_owned(), name.to_owned());
    out.values.insert("reason".to_owned(), reason.clone());
    out.summary = match reason.is_empty() {
        true => format!("{}: callback URL {name}", bot.uri),
        false => format!("{}: callback URL {name} ({reason})", bot.uri),
    };
    Ok(out)
}

/// The handler of `/bot/v1/…` requests.
fn serve(ctcu: Arc<Ctcu>) -> Route {
    Arc::new(move |request: &Request, _peer: SocketAddr| {
        let rest = request.path().strip_prefix(PREFIX)?;
        let (id, api) = rest.split_once('/').unwrap_or((rest, ""));
        let chatbot = String::from_utf8_lossy(&percent_decode(id)).into_owned();
        let call = Call {
            chatbot,
            api: api.to_owned(),
            request: request.clone(),
        };
        let ctcu = ctcu.clone();
        Some(Box::pin(async move { answer(&ctcu, call).await }))
    })
}

/// One request to the API, split.
pub(crate) struct Call {
    /// The chatbot URI, decoded.
    pub chatbot: String,
    /// The path after the chatbotId, e.g. `medias/upload`.
    pub api: String,
    pub request: Request,
}

async fn answer(ctcu: &Arc<Ctcu>, call: Call) -> Response {
    let Some(bot) = ctcu.chatbot(&call.chatbot) else {
        let text = format!("no CT/CU chatbot `{}`", call.chatbot);
        return reply(404, code::BAD_PARAMETER, &text, json!({}));
    };
    let method = call.request.method().to_owned();
    match (method.as_str(), call.api.as_str()) {
        ("POST", "accessToken") => grant(ctcu, &bot, &call),
        ("GET", api) if api.starts_with(media::FILES) => media::file(ctcu, &bot, &call),
        _ => {
            if let Err((code, text)) = authorised(ctcu, &bot, &call) {
                return refusal(code, &text);
            }
            match (method.as_str(), call.api.as_str()) {
                ("POST", "messages") => send::messages(ctcu, &bot, &call).await,
                ("POST", "revoke") => send::revoke(ctcu, &bot, &call),
                ("POST", "medias/upload") => media::upload(ctcu, &bot, &call),
                ("GET", "medias/download") => media::download(ctcu, &bot, &call),
                ("DELETE", "medias/delete") => media::delete(ctcu, &bot, &call),
                ("GET", "find/chatBotInfo") => info(ctcu, &bot),
                (method, api) => {
                    let text = format!("no API `{method} {api}`");
                    reply(404, code::BAD_PARAMETER, &text, json!({}))
                }
            }
        }
    }
}

/// Checks the request's `authorization: accessToken …`.
fn authorised(ctcu: &Ctcu, bot: &Chatbot, call: &Call) -> Result<(), (i64, String)> {
    let header = call.request.header("authorization");
    let now = ctcu.clock.now();
    let lenient = Leniency {
        old_valid: ctcu.faults.old_token_valid,
        never_expires: ctcu.faults.token_never_expires,
    };
    ctcu.tokens.check(&bot.uri, header, now, lenient)
}

/// `POST accessToken`: a token for the right appId/appKey.
fn grant(ctcu: &Ctcu, bot: &Chatbot, call: &Call) -> Response {
    let (app_id, app_key) = match token::credentials(call.request.body()) {
        Ok(pair) => pair,
        Err((code, text)) => return refusal(code, &text),
    };
    if app_id != bot.app_id || app_key != bot.secret {
        return refusal(code::BAD_APP_KEY, "appId or appKey is wrong");
    }
    let issued = ctcu.tokens.issue(&bot.uri, ctcu.clock.now());
    let host = call.request.header("host").unwrap_or("127.0.0.1");
    let url = format!(
        "{}{PREFIX}{}",
        base_url(ctcu, host),
        percent_encode(&bot.uri, b"")
    );
    json_response(200, &token::granted(&issued, &url))
}

/// `GET find/chatBotInfo`: the chatbot's information (protocols.md §7.6 CT/CU field list).
fn info(ctcu: &Ctcu, bot: &Chatbot) -> Response {
    let number = bot
        .uri
        .strip_prefix("sip:")
        .and_then(|rest| rest.split('@').next())
        .unwrap_or_default();
    let domain = bot.uri.split('@').nth(1).unwrap_or_default();
    let body = json!({
        "accessNo": number,
        "domain": domain,
        "serviceName": bot.name,
        "status": bot.status.code(),
        "url": ctcu.callback_base(bot).unwrap_or_default(),
        "version": 2,
        "verified": true,
        "category": [],
        "errorCode": code::OK,
        "errorMessage": "success",
    });
    json_response(200, &body)
}

/// `http://host` or `https://host` of this API, `host` as the client named it.
pub(crate) fn base_url(ctcu: &Ctcu, host: &str) -> String {
    let scheme = if ctcu.https { "https" } else { "http" };
    format!("{scheme}://{host}")
}

/// The HTTP status answering a CT/CU code.
pub(crate) fn status_of(code: i64) -> u16 {
    match code {
        code::OK => 200,
        code::MISSING_TOKEN | code::ILLEGAL_TOKEN | code::TOKEN_EXPIRED | code::BAD_APP_KEY => 401,
        code::NOT_AUTHORISED
        | code::CALLBACK_FAILED
        | code::ILLEGAL_CONTENT
        | code::CONTENT_BLOCKED
        | code::USER_RESTRICTED => 403,
        code::DAILY_LIMIT | code::MONTHLY_LIMIT | code::RATE_LIMIT | 30004 | 45001 => 429,
        _ => 400,
    }
}

/// An error answer: `{"errorCode": code, "errorMessage": text}`.
pub(crate) fn refusal(code: i64, text: &str) -> Response {
    reply(status_of(code), code, text, json!({}))
}

/// `fields` plus `errorCode` and `errorMessage`, with the given HTTP status.
pub(crate) fn reply(status: u16, code: i64, text: &str, fields: Value) -> Response {
    let mut body = match fields {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    body.insert("errorCode".to_owned(), code.into());
    body.insert("errorMessage".to_owned(), text.into());
    json_response(status, &Value::Object(body))
}

/// A JSON response.
pub(crate) fn json_response(status: u16, body: &Value) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    respond(status, "application/json;charset=UTF-8", bytes)
}

/// A response with a body of `content_type`.
pub(crate) fn respond(status: u16, content_type: &str, body: Vec<u8>) -> Response {
    ResponseBuilder::new(status, reason(status))
        .header("Content-Type", content_type)
        .body(body)
        .build()
        .unwrap_or_else(|err| {
            tracing::warn!("failed to build a CT/CU answer: {err}");
            crate::http::server_error()
        })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        410 => "Gone",
        429 => "Too Many Requests",
        _ => "Error",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_http_statuses() {
        assert_eq!(status_of(code::OK), 200);
        assert_eq!(status_of(code::ILLEGAL_TOKEN), 401);
        assert_eq!(status_of(code::TOKEN_EXPIRED), 401);
        assert_eq!(status_of(code::NOT_AUTHORISED), 403);
        assert_eq!(status_of(code::RATE_LIMIT), 429);
        assert_eq!(status_of(code::BAD_PARAMETER), 400);
        assert_eq!(status_of(code::SENDER_MISMATCH), 400);
    }

    #[test]
    fn replies_carry_the_code_and_message() {
        let response = reply(
            400,
            code::BAD_PARAMETER,
            "missing x",
            json!({"messageId": "m"}),
        );
        assert_eq!(response.status(), 400);
        let body: Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body["errorCode"], 20002);
        assert_eq!(body["errorMessage"], "missing x");
        assert_eq!(body["messageId"], "m");
    }

    #[test]
    fn fault_ids_switch_their_flags() {
        let faults = CtcuFaults::from_ids(&["maap.ctcu-old-token-valid".to_owned()]);
        assert!(faults.old_token_valid);
        assert_eq!(
            CtcuFaults {
                old_token_valid: false,
                ..faults
            },
            CtcuFaults::default()
        );
    }
}
