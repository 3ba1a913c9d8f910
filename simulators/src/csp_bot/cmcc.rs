//! The chatbot server's side of the China Mobile (CMCC) XML developer API (protocols.md §8.1):
//! its actions and the callbacks it serves.
//!
//! Actions (a `cmcc` family chatbot server):
//! - `send { to, text?, card?, carousel?, suggestions?, content-type? + body?, traffic-type?,
//!   reports?, sms?, store?, reply-to?, message-id?, client-correlator?, form?, bad-signature?,
//!   date-offset? }`: `POST …/messaging/group/v1/outbound/{chatbot}/requests` (§8.1.3; with
//!   `reply-to` the interaction URL and `inReplyToContributionID`; `form: flat` the plain API of
//!   §8.1.4). Values `status`, `sent.message-id`, `sent.contribution-id`,
//!   `sent.conversation-id`, `sent.content-type`, `sent.body`, `delivery.<n>.address|status`,
//!   `error.id|text`, `code`.
//! - `revoke { message-id, to? }`: `PUT …/messaging/v1/outbound/{chatbot}/requests/{id}/status`
//!   with `RevokeRequested` (§8.1.2). Value `status`.
//! - `upload-media { size?, content-type?, mode? }`: `POST /Content` (§8.1.6). Values `status`,
//!   `tid`, `code`. `delete-media { tid }`: `DELETE /Content`. `fetch-media { url }`: `GET` of
//!   a media URL. Value `status`.
//!
//! Every request to the MaaP is signed per §8.1.1 (`bad-signature: true` signs with a wrong
//! password, `date-offset: -3600` dates it an hour back, both for the negative cases). Callbacks
//! (`cmcc_callback`) are parsed and answered 204. Actions report; cases judge the wire.

#[path = "cmcc_callback.rs"]
mod callback_doc;
#[path = "cmcc_media.rs"]
mod media;
#[path = "cmcc_send.rs"]
mod send;

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rcs_harness::agent::{ActionOutput, ActionSpec};
use rcs_harness::role::RoleKind;
use rcs_proto::http::{Request, RequestBuilder, Response};
use rcs_proto::nbi::cmcc;
use serde_json::{Map, Value};

use super::core::{BotCore, Callback};
use super::settings::is_placeholder;

/// The actions this family adds.
pub(crate) const ACTIONS: &[ActionSpec] = &[
    action(
        "send",
        "send a chatbot message through the developer API (CMCC: outboundMessageRequest, §8.1.3)",
    ),
    action(
        "revoke",
        "withdraw a sent message (CMCC: PUT …/requests/{id}/status RevokeRequested, §8.1.2)",
    ),
    action(
        "upload-media",
        "upload a generated file to the MaaP's media store (CMCC: POST /Content, §8.1.6)",
    ),
    action(
        "delete-media",
        "delete uploaded media by its tid (CMCC: DELETE /Content, §8.1.6)",
    ),
    action("fetch-media", "GET a media URL from the MaaP (§8.1.6)"),
];

const fn action(name: &'static str, description: &'static str) -> ActionSpec {
    ActionSpec {
        kind: RoleKind::CspBot,
        name,
        description,
    }
}

/// The parameters each action takes.
fn allowed(action: &str) -> Option<&'static [&'static str]> {
    Some(match action {
        "send" => send::PARAMS,
        "revoke" => &["message-id", "to", "bad-signature", "date-offset"],
        "upload-media" => &[
            "size",
            "content-type",
            "mode",
            "bad-signature",
            "date-offset",
        ],
        "delete-media" => &["tid", "bad-signature", "date-offset"],
        "fetch-media" => &["url"],
        _ => return None,
    })
}

/// Performs `action` when it belongs to this family; None otherwise.
pub(crate) async fn act(
    core: &Arc<BotCore>,
    action: &str,
    params: &Map<String, Value>,
) -> Option<Result<ActionOutput, String>> {
    allowed(action)?;
    if let Some(Err(err)) = check(action, params) {
        return Some(Err(err));
    }
    Some(match action {
        "send" => send::send(core, params).await,
        "revoke" => media::revoke(core, params).await,
        "upload-media" => media::upload(core, params).await,
        "delete-media" => media::delete(core, params).await,
        _ => media::fetch(core, params).await,
    })
}

/// Checks `action`'s parameters when it belongs to this family; None otherwise, and None when
/// a parameter is not one of this family's (the CT/CU module may take it).
pub(crate) fn check(action: &str, params: &Map<String, Value>) -> Option<Result<(), String>> {
    let allowed = allowed(action)?;
    if params.keys().any(|k| !allowed.contains(&k.as_str())) {
        return None;
    }
    Some(check_values(action, params))
}

fn check_values(action: &str, params: &Map<String, Value>) -> Result<(), String> {
    let needs = |key: &str| {
        if params.contains_key(key) {
            Ok(())
        } else {
            Err(format!("`{action}` needs `{key}`"))
        }
    };
    match action {
        "send" => send::check(params)?,
        "revoke" => needs("message-id")?,
        "delete-media" => needs("tid")?,
        "fetch-media" => needs("url")?,
        _ => {}
    }
    if let Some(offset) = params.get("date-offset") {
        int_param(offset, "date-offset")?;
    }
    Ok(())
}

/// An integer parameter, written as a number or a string.
pub(crate) fn int_param(value: &Value, key: &str) -> Result<Option<i64>, String> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| format!("`{key}` must be an integer")),
        Value::String(s) if is_placeholder(s) => Ok(None),
        Value::String(s) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("`{key}` must be an integer, not `{s}`")),
        other => Err(format!("`{key}` must be an integer, not {other}")),
    }
}

/// A string parameter; numbers and booleans as their JSON text.
pub(crate) fn text_param(params: &Map<String, Value>, key: &str) -> Option<String> {
    match params.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) => params.get(key).map(Value::to_string),
        _ => None,
    }
}

/// A boolean parameter (`true`, `false`, or their text).
pub(crate) fn bool_param(params: &Map<String, Value>, key: &str) -> Option<bool> {
    match params.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Answers a callback request when its path belongs to this family; None otherwise.
pub(crate) async fn callback(
    core: &Arc<BotCore>,
    request: &Request,
) -> Option<(Response, Option<Callback>)> {
    callback_doc::answer(core, request)
}

/// The case clock's wall time, in Unix seconds: real time plus every jump of a virtual clock.
pub(crate) fn wall_unix(core: &BotCore) -> i64 {
    let ahead = core.clock.now().saturating_duration_since(Instant::now());
    let wall = SystemTime::now() + ahead;
    wall.duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Percent-encodes a path segment (RFC 3986 3.3): unreserved characters stay.
pub(crate) fn path_escape(text: &str) -> String {
    super::actions::query_escape(text)
}

/// Adds `Host`, `Date` and the signed `Authorization` of §8.1.1 to `builder`, honouring
/// `bad-signature` and `date-offset`.
pub(crate) fn signed(
    core: &BotCore,
    builder: RequestBuilder,
    params: &Map<String, Value>,
) -> Result<RequestBuilder, String> {
    let host = core.maap_addr()?.to_string();
    let offset = match params.get("date-offset") {
        Some(value) => int_param(value, "date-offset")?.unwrap_or(0),
        None => 0,
    };
    let date = cmcc::http_date(wall_unix(core).saturating_add(offset));
    let password = if bool_param(params, "bad-signature") == Some(true) {
        format!("{}-wrong", core.settings.secret)
    } else {
        core.settings.secret.clone()
    };
    let authorization = cmcc::authorization(&core.settings.app_id, &password, &date);
    Ok(builder
        .header("Host", &host)
        .header("Date", &date)
        .header("Authorization", &authorization))
}

/// Builds `builder` or says which request could not be built.
pub(crate) fn build(builder: &RequestBuilder, what: &str) -> Result<Request, String> {
    builder
        .build()
        .map_err(|err| format!("build the {what} request: {err}"))
}

/// The base `status` value and summary of a response.
pub(crate) fn answered(response: &Response, what: &str) -> ActionOutput {
    let mut out = ActionOutput::default();
    out.values
        .insert("status".to_owned(), response.status().to_string());
    out.summary = format!("{what}: {} {}", response.status(), response.reason());
    out
}

/// Adds `error.id` and `error.text` when the body is a `requestError`.
pub(crate) fn read_error(out: &mut ActionOutput, body: &[u8]) {
    if let Ok((id, text)) = cmcc::parse_request_error(body) {
        out.summary = format!("{}, {id}", out.summary);
        out.values.insert("error.id".to_owned(), id);
        out.values.insert("error.text".to_owned(), text);
    }
}

/// Adds `code` (and `tid`, `url` when present) from a JSON answer `{"code":"00000",…}`.
pub(crate) fn read_code(out: &mut ActionOutput, body: &[u8]) {
    let Ok(doc) = serde_json::from_slice::<Value>(body) else {
        return;
    };
    for key in ["code", "msg", "tid", "url", "messageId"] {
        if let Some(value) = doc.get(key).and_then(Value::as_str) {
            let name = if key == "messageId" {
                "message-id"
            } else {
                key
            };
            out.values.insert(name.to_owned(), value.to_owned());
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn checks_know_their_actions_and_leave_foreign_parameters_alone() {
        assert_eq!(check("query-cdrs", &Map::new()), None);
        assert_eq!(
            check("send", &params(json!({"to": "alice", "token": "x"}))),
            None
        );
        assert_eq!(
            check("revoke", &params(json!({"to": "alice"}))),
            Some(Err("`revoke` needs `message-id`".to_owned()))
        );
        assert_eq!(
            check(
                "delete-media",
                &params(json!({"tid": "t", "date-offset": "soon"}))
            ),
            Some(Err(
                "`date-offset` must be an integer, not `soon`".to_owned()
            ))
        );
        assert_eq!(
            check("upload-media", &params(json!({"date-offset": -3600}))),
            Some(Ok(()))
        );
        assert_eq!(
            check("fetch-media", &params(json!({"url": "${url}"}))),
            Some(Ok(()))
        );
    }

    #[test]
    fn parameters_read_as_text_numbers_and_flags() {
        let p = params(json!({"a": 3, "b": "x", "c": "true", "d": false, "e": [1]}));
        assert_eq!(text_param(&p, "a").as_deref(), Some("3"));
        assert_eq!(text_param(&p, "b").as_deref(), Some("x"));
        assert_eq!(text_param(&p, "e"), None);
        assert_eq!(bool_param(&p, "c"), Some(true));
        assert_eq!(bool_param(&p, "d"), Some(false));
        assert_eq!(int_param(&json!("-3600"), "k"), Ok(Some(-3600)));
        assert_eq!(int_param(&json!("${x}"), "k"), Ok(None));
        assert!(int_param(&json!(1.5), "k").is_err());
    }

    #[test]
    fn json_answers_give_their_code_and_tid() {
        let mut out = ActionOutput::default();
        read_code(&mut out, br#"{"code":"00000","msg":"ok","tid":"t-1"}"#);
        assert_eq!(out.values["code"], "00000");
        assert_eq!(out.values["tid"], "t-1");
        let mut none = ActionOutput::default();
        read_code(&mut none, b"<xml/>");
        assert!(none.values.is_empty());
    }
}
