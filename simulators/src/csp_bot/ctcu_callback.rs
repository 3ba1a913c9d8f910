//! The CT/CU callbacks the chatbot server receives (protocols.md §8.2, §7.6), under any base path:
//!
//! - `GET …/notifyPath`: the callback URL verification, answered 200 with the response headers
//!   `echoStr` (the request's) and `appId` (the server's), unless `verification-answer` said to
//!   leave one out;
//! - `POST …/messageNotification/{chatbotId}/messages`: a user's message (`Uplink`; the postback
//!   data of a suggestion response is read for the auto-replies);
//! - `POST …/deliveryNotification/{chatbotId}/status`: a delivery status (`Status`, the first
//!   `deliveryInfoList` entry; `status` as sent, e.g. `failed`);
//! - `POST …/notifyInfoNotification/{chatbotId}/notice/rcsspam`: a user's spam report (`Spam`:
//!   `message-id` the reported ids joined by `,`, `status` the spamType);
//! - `POST …/notifyInfoNotification/{chatbotId}/check`: an audit result (`Audit`), and other
//!   `notifyInfoNotification` notices (`Other`).
//!
//! Every one must be signed (`signature` = sha256 of the sorted `token`, `timestamp`, `nonce`,
//! the token being the chatbot's appKey, as the MaaP simulator does): a missing or wrong signature
//! is answered 401 and recorded as an `Other` callback with status `bad-signature`. A body that
//! does not parse is answered 400 and recorded the same way with status `bad-body`. Callbacks are
//! answered `{"errorCode":0,"errorMessage":"success"}`. Bodies may be JSON or come with a
//! `multipart/form-data` content type (§8.2: the spec's header tables say so); both are read as JSON.

use std::sync::Arc;

use rcs_proto::bot::SUGGESTION_RESPONSE_TYPE;
use rcs_proto::http::{Request, Response, ResponseBuilder};
use rcs_proto::nbi::ctcu::{self, Uplink};
use serde_json::Value;

use super::with_state;
use crate::csp_bot::core::{BotCore, Callback, CallbackKind};
use crate::csp_bot::server::respond;

/// What a callback path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Notice {
    Verify,
    Uplink,
    Status,
    Spam,
    Audit,
    Info,
}

fn notice_of(method: &str, path: &str) -> Option<Notice> {
    let has = |name: &str| path.contains(&format!("/{name}/"));
    if method == "GET" && path.ends_with("/notifyPath") {
        Some(Notice::Verify)
    } else if has("messageNotification") && path.ends_with("/messages") {
        Some(Notice::Uplink)
    } else if has("deliveryNotification") && path.ends_with("/status") {
        Some(Notice::Status)
    } else if has("notifyInfoNotification") && path.ends_with("/notice/rcsspam") {
        Some(Notice::Spam)
    } else if has("notifyInfoNotification") && path.ends_with("/check") {
        Some(Notice::Audit)
    } else if has("notifyInfoNotification") {
        Some(Notice::Info)
    } else {
        None
    }
}

/// Answers a CT/CU callback; None when the path is not one.
pub(super) fn answer(
    core: &Arc<BotCore>,
    request: &Request,
) -> Option<(Response, Option<Callback>)> {
    let notice = notice_of(request.method(), request.path())?;
    if let Err(why) = verify_signature(core, request) {
        tracing::info!(
            role = core.tap.role(),
            path = request.path(),
            "refused a callback: {why}"
        );
        return Some((
            json(401, "Unauthorized", 40014, &why),
            Some(flagged("bad-signature")),
        ));
    }
    if notice == Notice::Verify {
        return Some((verification(core, request), Some(verified(request))));
    }
    Some(match read(notice, request.body()) {
        Ok(callback) => (json(200, "OK", 0, "success"), Some(callback)),
        Err(why) => (
            json(400, "Bad Request", 20002, &why),
            Some(flagged("bad-body")),
        ),
    })
}

/// Checks `signature` against the appKey, `timestamp` and `nonce`.
fn verify_signature(core: &BotCore, request: &Request) -> Result<(), String> {
    let header = |name: &str| {
        request
            .header(name)
            .map(str::trim)
            .ok_or_else(|| format!("missing `{name}` header"))
    };
    let (signature, timestamp, nonce) =
        (header("signature")?, header("timestamp")?, header("nonce")?);
    let expected = ctcu::callback_signature(&core.settings.secret, timestamp, nonce);
    match signature.eq_ignore_ascii_case(&expected) {
        true => Ok(()),
        false => Err(format!(
            "signature `{signature}` is not sha256(sorted appKey, timestamp, nonce)"
        )),
    }
}

/// The answer to a verification: 200 with `echoStr` and `appId` headers (as configured).
fn verification(core: &Arc<BotCore>, request: &Request) -> Response {
    let (echo, app_id) = with_state(core, |state| (state.echo, state.app_id));
    let mut builder = ResponseBuilder::new(200, "OK");
    if let (true, Some(value)) = (echo, request.header("echoStr")) {
        builder = builder.header("echoStr", value);
    }
    if app_id {
        builder = builder.header("appId", &core.settings.app_id);
    }
    respond(builder)
}

fn verified(request: &Request) -> Callback {
    Callback {
        kind: CallbackKind::Verify,
        message_id: request.header("echoStr").map(str::to_owned),
        sender: request.header("chatbotId").map(str::to_owned),
        ..Callback::default()
    }
}

fn flagged(status: &str) -> Callback {
    Callback {
        kind: CallbackKind::Other,
        status: Some(status.to_owned()),
        ..Callback::default()
    }
}

fn json(status: u16, reason: &str, code: i64, message: &str) -> Response {
    let body = serde_json::json!({ "errorCode": code, "errorMessage": message });
    respond(
        ResponseBuilder::new(status, reason)
            .header("Content-Type", "application/json;charset=UTF-8")
            .body(body.to_string()),
    )
}

/// The callback a notification body means.
fn read(notice: Notice, body: &[u8]) -> Result<Callback, String> {
    match notice {
        Notice::Uplink => {
            let uplink = Uplink::parse(body)?;
            Ok(Callback {
                kind: CallbackKind::Uplink,
                postback: postback_of(&uplink),
                message_id: Some(uplink.message_id),
                contribution_id: uplink.contribution_id,
                sender: Some(uplink.sender_address),
                ..Callback::default()
            })
        }
        Notice::Status => {
            let list = ctcu::parse_status_notification(body)?;
            let first = list.into_iter().next().ok_or("deliveryInfoList is empty")?;
            Ok(Callback {
                kind: CallbackKind::Status,
                message_id: Some(first.message_id),
                sender: Some(first.sender_address),
                status: Some(first.status),
                ..Callback::default()
            })
        }
        Notice::Spam => spam(body),
        Notice::Audit | Notice::Info => {
            let doc: Value = serde_json::from_slice(body).map_err(|err| err.to_string())?;
            let text = |key: &str| doc.get(key).and_then(Value::as_str).map(str::to_owned);
            Ok(Callback {
                kind: match notice {
                    Notice::Audit => CallbackKind::Audit,
                    _ => CallbackKind::Other,
                },
                status: text("result"),
                ..Callback::default()
            })
        }
        Notice::Verify => Err("a verification has no body".to_owned()),
    }
}

/// `{"messageId":[..],"spamType":..,"freeText":..}`.
fn spam(body: &[u8]) -> Result<Callback, String> {
    let doc: Value = serde_json::from_slice(body).map_err(|err| err.to_string())?;
    let ids: Vec<&str> = doc
        .get("messageId")
        .and_then(Value::as_array)
        .ok_or("messageId is not a list")?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    Ok(Callback {
        kind: CallbackKind::Spam,
        message_id: Some(ids.join(",")),
        status: doc
            .get("spamType")
            .and_then(Value::as_str)
            .map(str::to_owned),
        ..Callback::default()
    })
}

/// The postback data of a suggestion response uplink.
fn postback_of(uplink: &Uplink) -> Option<String> {
    let item = uplink
        .message_list
        .iter()
        .find(|i| i.content_type.starts_with(SUGGESTION_RESPONSE_TYPE))?;
    let doc = match &item.content_text {
        Value::String(text) => serde_json::from_str(text).ok()?,
        other => other.clone(),
    };
    let response = doc.get("response")?;
    let chosen = response.get("reply").or_else(|| response.get("action"))?;
    let data = chosen.get("postback")?.get("data")?;
    data.as_str().map(str::to_owned)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_proto::http::RequestBuilder;
    use serde_json::json;

    use super::*;
    use crate::csp_bot::ctcu::tests::core;

    fn signed(method: &str, path: &str, secret: &str, body: &str) -> Request {
        let signature = ctcu::callback_signature(secret, "1700000000", "n-1");
        RequestBuilder::new(method, path)
            .header("signature", &signature)
            .header("timestamp", "1700000000")
            .header("nonce", "n-1")
            .header("echoStr", "e-1")
            .body(body.to_owned())
            .build()
            .unwrap()
    }

    #[test]
    fn paths_name_their_notices() {
        let bot = "sip%3A106500%40botplatform.rcs.domain.cn";
        assert_eq!(notice_of("GET", "/cb/notifyPath"), Some(Notice::Verify));
        let up = format!("/messageNotification/{bot}/messages");
        assert_eq!(notice_of("POST", &up), Some(Notice::Uplink));
        let st = format!("/deliveryNotification/{bot}/status");
        assert_eq!(notice_of("POST", &st), Some(Notice::Status));
        let sp = format!("/notifyInfoNotification/{bot}/notice/rcsspam");
        assert_eq!(notice_of("POST", &sp), Some(Notice::Spam));
        assert_eq!(notice_of("POST", "/InboundMessageNotification/x"), None);
    }

    #[test]
    fn verification_echoes_and_names_the_app_unless_told_not_to() {
        let core = core();
        let request = signed("GET", "/notifyPath", "ct-app-key", "");
        let (response, callback) = answer(&core, &request).unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.header("echoStr"), Some("e-1"));
        assert_eq!(response.header("appId"), Some("bank-ct"));
        assert_eq!(callback.unwrap().kind, CallbackKind::Verify);
        with_state(&core, |s| s.echo = false);
        let (response, _) = answer(&core, &request).unwrap();
        assert_eq!(response.header("echoStr"), None);
        assert_eq!(response.header("appId"), Some("bank-ct"));
    }

    #[test]
    fn a_wrong_or_missing_signature_is_refused_and_recorded() {
        let core = core();
        let forged = signed("GET", "/notifyPath", "other-key", "");
        let (response, callback) = answer(&core, &forged).unwrap();
        assert_eq!(response.status(), 401);
        assert_eq!(callback.unwrap().status.as_deref(), Some("bad-signature"));
        let bare = RequestBuilder::new("POST", "/deliveryNotification/x/status")
            .body("{}")
            .build()
            .unwrap();
        assert_eq!(answer(&core, &bare).unwrap().0.status(), 401);
    }

    #[test]
    fn spam_reports_list_their_ids() {
        let body = json!({"messageId": ["a", "b"], "spamType": "fraud", "freeText": "x"});
        let callback = spam(body.to_string().as_bytes()).unwrap();
        assert_eq!(callback.kind, CallbackKind::Spam);
        assert_eq!(callback.message_id.as_deref(), Some("a,b"));
        assert_eq!(callback.status.as_deref(), Some("fraud"));
        assert!(spam(b"{\"messageId\": 3}").is_err());
    }
}
