//! The chatbot server's side of the China Telecom / China Unicom (CT/CU) JSON developer API
//! (protocols.md §8.2): its actions and the callbacks it serves.
//!
//! Actions (each reports `status` (HTTP), `error-code`, `error-message` and its own values):
//! - `get-token { app-id?, app-key? }`: `POST …/accessToken`; the token is kept for later calls;
//!   values `token`, `expires`.
//! - `send { to, text | card | carousel | file | content-type + body, suggestions?, traffic-type?,
//!   reports?, sms?, store?, reply-to?, message-id?, token?, omit?, sender? }` and
//!   `revoke { message-id, to, token? }` ([`send`]).
//! - `upload-media { mode, size?, content-type?, file-name?, thumbnail? }` and
//!   `delete-media { url? }` ([`media`]).
//! - `verification-answer { echo?, app-id? }`: how the next callback URL verifications are
//!   answered (both headers by default; `false` leaves one out), for cases showing that a MaaP
//!   refuses a chatbot whose server does not prove itself (PLT-NBI-CT-002).
//!
//! `token: <value>` sends that token instead of the current one; `omit: [field…]` removes
//! top-level fields of the send body; `sender:` replaces `senderAddress`: the negative cases of
//! PLT-NBI-CT-001 and -006. Callbacks are in [`callback`]. Actions report; cases judge the wire.

#[path = "ctcu_callback.rs"]
mod callback;
#[path = "ctcu_media.rs"]
mod media;
#[path = "ctcu_send.rs"]
mod send;

use std::sync::{Arc, Mutex, Weak};

use rcs_harness::agent::{ActionOutput, ActionSpec};
use rcs_harness::role::RoleKind;
use rcs_proto::http::{Request, RequestBuilder, Response};
use rcs_proto::nbi::ctcu;
use rcs_proto::sip::percent_encode;
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::macros::format_description;

use super::core::{BotCore, Callback, lock};

/// The actions this family adds.
pub(crate) const ACTIONS: &[ActionSpec] = &[
    action(
        "get-token",
        "CT/CU: POST accessToken with appId/appKey; the token is used by later calls",
    ),
    action(
        "send",
        "send a chatbot message through the developer API (CT/CU: POST messages, JSON)",
    ),
    action(
        "revoke",
        "revoke a sent message for a user (CT/CU: POST revoke, RevokeRequested)",
    ),
    action(
        "upload-media",
        "upload a generated file, and a thumbnail if asked (CT/CU: POST medias/upload, uploadMode temp|perm)",
    ),
    action(
        "delete-media",
        "delete an uploaded file, the last one by default (CT/CU: DELETE medias/delete)",
    ),
    action(
        "verification-answer",
        "CT/CU: how callback URL verifications are answered (echo, app-id: true|false)",
    ),
];

const fn action(name: &'static str, description: &'static str) -> ActionSpec {
    ActionSpec {
        kind: RoleKind::CspBot,
        name,
        description,
    }
}

/// What the CT/CU module keeps for one chatbot server beyond the shared core.
#[derive(Clone, Debug)]
pub(super) struct State {
    /// Whether verification answers carry `echoStr` and `appId`.
    pub echo: bool,
    pub app_id: bool,
    /// The `fileInfo` entries of the last upload, with the part each came from (`file` or
    /// `thumbnail`).
    pub uploaded: Vec<(String, Value)>,
}

impl Default for State {
    fn default() -> Self {
        Self {
            echo: true,
            app_id: true,
            uploaded: Vec::new(),
        }
    }
}

/// The state of every running CT/CU chatbot server, by its core (entries of ended cases go).
static STATES: Mutex<Vec<(Weak<BotCore>, State)>> = Mutex::new(Vec::new());

/// Runs `f` on the state of `core`'s server.
pub(super) fn with_state<R>(core: &Arc<BotCore>, f: impl FnOnce(&mut State) -> R) -> R {
    let mut states = lock(&STATES);
    states.retain(|(weak, _)| weak.strong_count() > 0);
    let me = Arc::downgrade(core);
    let index = match states.iter().position(|(weak, _)| weak.ptr_eq(&me)) {
        Some(index) => index,
        None => {
            states.push((me, State::default()));
            states.len() - 1
        }
    };
    match states.get_mut(index) {
        Some((_, state)) => f(state),
        None => f(&mut State::default()),
    }
}

/// Performs `action` when it belongs to this family; None otherwise.
pub(crate) async fn act(
    core: &Arc<BotCore>,
    action: &str,
    params: &Map<String, Value>,
) -> Option<Result<ActionOutput, String>> {
    let checked = check(action, params)?;
    if let Err(err) = checked {
        return Some(Err(err));
    }
    Some(match action {
        "get-token" => get_token(core, params).await,
        "send" => send::send(core, params).await,
        "revoke" => send::revoke(core, params).await,
        "upload-media" => media::upload(core, params).await,
        "delete-media" => media::delete(core, params).await,
        _ => verification_answer(core, params),
    })
}

/// Checks `action`'s parameters when it belongs to this family; None otherwise.
pub(crate) fn check(action: &str, params: &Map<String, Value>) -> Option<Result<(), String>> {
    let allowed: &[&str] = match action {
        "get-token" => &["app-id", "app-key"],
        "send" => send::PARAMS,
        "revoke" => &["message-id", "to", "token"],
        "upload-media" => media::UPLOAD_PARAMS,
        "delete-media" => &["url", "token"],
        "verification-answer" => &["echo", "app-id"],
        _ => return None,
    };
    if let Some(unknown) = params.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Some(Err(format!(
            "`{action}` takes no `{unknown}` (it takes: {})",
            allowed.join(", ")
        )));
    }
    Some(match action {
        "send" => send::check(params),
        "revoke" if !params.contains_key("message-id") || !params.contains_key("to") => {
            Err("`revoke` needs `message-id` and `to`".to_owned())
        }
        "upload-media" => media::check(params),
        _ => Ok(()),
    })
}

/// Answers a callback request when its path belongs to this family; None otherwise.
pub(crate) async fn callback(
    core: &Arc<BotCore>,
    request: &Request,
) -> Option<(Response, Option<Callback>)> {
    callback::answer(core, request)
}

/// `get-token`: asks for a token with the settings' (or the given) credentials.
async fn get_token(
    core: &Arc<BotCore>,
    params: &Map<String, Value>,
) -> Result<ActionOutput, String> {
    let app_id = text(params, "app-id").unwrap_or_else(|| core.settings.app_id.clone());
    let app_key = text(params, "app-key").unwrap_or_else(|| core.settings.secret.clone());
    let body = ctcu::token_request(&app_id, &app_key).to_string();
    let request = api_request(core, "POST", "accessToken", None)
        .header("Content-Type", "application/json;charset=UTF-8")
        .body(body)
        .build()
        .map_err(|err| format!("build the token request: {err}"))?;
    let response = core.to_maap(&request).await?;
    let (mut out, doc) = answered(&response);
    if let Some(token) = doc.get("accessToken").and_then(Value::as_str) {
        *lock(&core.token) = Some(token.to_owned());
        out.values.insert("token".to_owned(), token.to_owned());
    }
    if let Some(expires) = doc.get("expires") {
        out.values.insert("expires".to_owned(), expires.to_string());
    }
    out.summary = format!("token request answered {}", out.summary);
    Ok(out)
}

/// `verification-answer`: how the next verifications are answered.
fn verification_answer(
    core: &Arc<BotCore>,
    params: &Map<String, Value>,
) -> Result<ActionOutput, String> {
    let echo = flag(params, "echo")?.unwrap_or(true);
    let app_id = flag(params, "app-id")?.unwrap_or(true);
    with_state(core, |state| {
        state.echo = echo;
        state.app_id = app_id;
    });
    let mut out = ActionOutput::default();
    out.values.insert("echo".to_owned(), echo.to_string());
    out.values.insert("app-id".to_owned(), app_id.to_string());
    out.summary = format!("verifications answered with echoStr {echo}, appId {app_id}");
    Ok(out)
}

/// A request to `…/bot/v1/{chatbotId}/{api}` with Host, Date, Accept and the token (`token`
/// given, else the one obtained; none when there is neither).
pub(super) fn api_request(
    core: &Arc<BotCore>,
    method: &str,
    api: &str,
    token: Option<String>,
) -> RequestBuilder {
    let target = format!(
        "/bot/v1/{}/{api}",
        percent_encode(&core.settings.chatbot, b"")
    );
    let host = core.maap_addr().map(|a| a.to_string()).unwrap_or_default();
    let mut builder = RequestBuilder::new(method, &target)
        .header("Host", &host)
        .header("Date", &http_date(core))
        .header("Accept", "application/json");
    let token = token.or_else(|| lock(&core.token).clone());
    if let Some(token) = token {
        builder = builder.header("authorization", &format!("accessToken {token}"));
    }
    builder
}

/// `Tue, 15 Nov 1994 08:12:31 GMT` of the case clock.
fn http_date(core: &BotCore) -> String {
    let now = core.clock.now();
    let wall =
        std::time::SystemTime::now() + now.saturating_duration_since(std::time::Instant::now());
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    OffsetDateTime::from(wall)
        .format(format)
        .unwrap_or_default()
}

/// The output every API call reports (`status`, `error-code`, `error-message`) and its JSON.
pub(super) fn answered(response: &Response) -> (ActionOutput, Value) {
    let doc: Value = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
    let mut out = ActionOutput::default();
    out.values
        .insert("status".to_owned(), response.status().to_string());
    let code = doc
        .get("errorCode")
        .map(Value::to_string)
        .unwrap_or_default();
    let message = doc
        .get("errorMessage")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    out.summary = format!("{} errorCode {code}", response.status());
    out.values.insert("error-code".to_owned(), code);
    out.values.insert("error-message".to_owned(), message);
    (out, doc)
}

/// A string parameter (numbers as their text).
pub(super) fn text(params: &Map<String, Value>, key: &str) -> Option<String> {
    match params.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A boolean parameter: `true`/`false` or their text.
pub(super) fn flag(params: &Map<String, Value>, key: &str) -> Result<Option<bool>, String> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s == "true" => Ok(Some(true)),
        Some(Value::String(s)) if s == "false" => Ok(Some(false)),
        Some(other) => Err(format!("`{key}` must be true or false, not {other}")),
    }
}

/// A string or a list of strings as a list.
pub(super) fn list(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        Value::String(s) => s
            .split(',')
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_harness::clock::Clock;
    use serde_json::json;
    use tokio::sync::mpsc;

    use super::*;
    use crate::csp_bot::settings::BotSettings;
    use crate::http::HttpClient;
    use rcs_harness::agent::WireTap;

    pub(super) fn core() -> Arc<BotCore> {
        let (tx, _rx) = mpsc::unbounded_channel();
        let clock = Clock::virtual_time();
        let tap = WireTap::new("bank", clock.clone(), tx);
        let map = json!({"family": "ctcu"});
        let settings = BotSettings::from_map(map.as_object().unwrap()).unwrap();
        Arc::new(BotCore::new(
            settings,
            HttpClient::new(tap.clone(), None),
            clock,
            tap,
            false,
            vec![],
        ))
    }

    #[test]
    fn states_are_per_server_and_forgotten_with_it() {
        let (a, b) = (core(), core());
        with_state(&a, |s| s.echo = false);
        assert!(!with_state(&a, |s| s.echo));
        assert!(with_state(&b, |s| s.echo));
        let gone = Arc::downgrade(&a);
        drop(a);
        with_state(&b, |_| ());
        let states = lock(&STATES);
        assert!(!states.iter().any(|(weak, _)| weak.ptr_eq(&gone)));
    }

    #[test]
    fn parameters_are_checked_by_action() {
        let params = |v: Value| v.as_object().unwrap().clone();
        assert_eq!(check("get-token", &Map::new()), Some(Ok(())));
        assert!(
            check("get-token", &params(json!({"appid": "x"})))
                .unwrap()
                .is_err()
        );
        assert!(
            check("revoke", &params(json!({"to": "alice"})))
                .unwrap()
                .is_err()
        );
        assert!(check("dance", &Map::new()).is_none());
        let answer = params(json!({"echo": "maybe"}));
        assert_eq!(check("verification-answer", &answer), Some(Ok(())));
        assert!(flag(&answer, "echo").is_err());
    }

    #[test]
    fn answers_report_status_and_code() {
        let response = rcs_proto::http::ResponseBuilder::new(400, "Bad Request")
            .body(r#"{"errorCode":20002,"errorMessage":"missing serviceCapability"}"#)
            .build()
            .unwrap();
        let (out, _) = answered(&response);
        assert_eq!(out.values["status"], "400");
        assert_eq!(out.values["error-code"], "20002");
        assert_eq!(out.values["error-message"], "missing serviceCapability");
    }
}
