//! The CT/CU `send` and `revoke` actions (protocols.md §8.2 send body and revoke).
//!
//! `send` builds the JSON of §8.2: `messageList` from `text` (text/plain), `card` or `carousel`
//! (a botmessage object), `file` (`last` for the files of the last upload, or a list of
//! `{type, fileSize, fileName, contentType, url, until}`: contentType
//! `application/vnd.gsma.rcs-ft-http`, no `+xml`), or `content-type` + `body`, then
//! `suggestions` as a botsuggestion item; `destinationAddress` from `to` (role names become tel
//! URIs); `senderAddress` the chatbot (or `sender`); fresh UUIDs for `messageId`,
//! `conversationId`, `contributionId` unless `message-id` is given; `serviceCapability` ChatbotSA;
//! `smsSupported` and `smsContent` from `sms`; `storeSupported` from `store` (default true);
//! `reportRequest` from `reports` (default all five); `inReplyTo` from `reply-to`. `omit` removes
//! top-level fields. Values: `message-id`, `conversation-id`, `contribution-id`, and the API
//! answer's `status`, `error-code`, `error-message`.

use std::sync::Arc;

use rcs_harness::agent::ActionOutput;
use rcs_proto::bot::{BOTMESSAGE_TYPE, BOTSUGGESTION_TYPE};
use rcs_proto::nbi::ctcu::{ContentItem, Send};
use serde_json::{Map, Value, json};

use super::{answered, api_request, flag, list, text, with_state};
use crate::csp_bot::core::BotCore;

/// The parameters `send` takes.
pub(super) const PARAMS: &[&str] = &[
    "to",
    "text",
    "card",
    "carousel",
    "file",
    "content-type",
    "body",
    "suggestions",
    "traffic-type",
    "reports",
    "sms",
    "store",
    "reply-to",
    "message-id",
    "token",
    "omit",
    "sender",
];

/// The `reportRequest` names (§8.2).
const REPORTS: &[&str] = &[
    "sent",
    "failed",
    "delivered",
    "displayed",
    "deliveredToNetwork",
];

/// The content type of a CT/CU file message.
const FT_JSON: &str = "application/vnd.gsma.rcs-ft-http";

/// `serviceCapability` of a chatbot message (§8.2 example).
const CAPABILITY: (&str, &str) = ("ChatbotSA", "+g.gsma.rcs.botversion=\"#=1\"");

/// Checks `send`'s parameters at load time.
pub(super) fn check(params: &Map<String, Value>) -> Result<(), String> {
    if !params.contains_key("to") {
        return Err("`send` needs `to`".to_owned());
    }
    let contents = ["text", "card", "carousel", "file", "body"];
    if !contents.iter().any(|k| params.contains_key(*k)) {
        return Err("`send` needs one of `text`, `card`, `carousel`, `file` or `body`".to_owned());
    }
    if params.contains_key("body") != params.contains_key("content-type") {
        return Err("`send` takes `body` and `content-type` together".to_owned());
    }
    for report in params.get("reports").map(list).unwrap_or_default() {
        if !REPORTS.contains(&report.as_str()) && !report.contains("${") {
            return Err(format!(
                "report `{report}` is not one of {}",
                REPORTS.join(", ")
            ));
        }
    }
    flag(params, "store")?;
    Ok(())
}

/// `send`.
pub(super) async fn send(
    core: &Arc<BotCore>,
    params: &Map<String, Value>,
) -> Result<ActionOutput, String> {
    let message = build(core, params)?;
    let mut doc = message.to_json();
    if let (Some(omit), Value::Object(map)) = (params.get("omit"), &mut doc) {
        for field in list(omit) {
            map.remove(&field);
        }
    }
    let request = api_request(core, "POST", "messages", text(params, "token"))
        .header("Content-Type", "application/json;charset=UTF-8")
        .body(doc.to_string())
        .build()
        .map_err(|err| format!("build the send request: {err}"))?;
    let response = core.to_maap(&request).await?;
    let (mut out, _) = answered(&response);
    out.values
        .insert("message-id".to_owned(), message.message_id.clone());
    out.values.insert(
        "conversation-id".to_owned(),
        message.conversation_id.clone(),
    );
    out.values.insert(
        "contribution-id".to_owned(),
        message.contribution_id.clone(),
    );
    out.summary = format!("send {} answered {}", message.message_id, out.summary);
    Ok(out)
}

/// The send document the parameters describe.
fn build(core: &Arc<BotCore>, params: &Map<String, Value>) -> Result<Send, String> {
    let destinations: Vec<String> = params
        .get("to")
        .map(list)
        .unwrap_or_default()
        .iter()
        .map(|who| core.tel_of(who))
        .collect();
    if destinations.is_empty() {
        return Err("`send` needs at least one address in `to`".to_owned());
    }
    let reports = match params.get("reports") {
        Some(value) => list(value),
        None => REPORTS.iter().map(|r| (*r).to_owned()).collect(),
    };
    let sms = text(params, "sms");
    let uuid = || uuid::Uuid::new_v4().to_string();
    Ok(Send {
        message_id: text(params, "message-id").unwrap_or_else(uuid),
        message_list: message_list(core, params)?,
        destination_address: destinations,
        sender_address: text(params, "sender").unwrap_or_else(|| core.settings.chatbot.clone()),
        conversation_id: uuid(),
        contribution_id: uuid(),
        service_capability: vec![(CAPABILITY.0.to_owned(), CAPABILITY.1.to_owned())],
        traffic_type: text(params, "traffic-type"),
        sms_supported: sms.is_some(),
        sms_content: sms,
        store_supported: flag(params, "store")?.unwrap_or(true),
        im_format: Some("IM".to_owned()),
        in_reply_to: text(params, "reply-to"),
        report_request: reports,
    })
}

/// The `messageList` items of the content and suggestions.
fn message_list(
    core: &Arc<BotCore>,
    params: &Map<String, Value>,
) -> Result<Vec<ContentItem>, String> {
    let item = |content_type: &str, content_text: Value| ContentItem {
        content_type: content_type.to_owned(),
        content_encoding: Some("utf8".to_owned()),
        content_text,
    };
    let mut items = Vec::new();
    if let (Some(content_type), Some(body)) = (text(params, "content-type"), text(params, "body")) {
        items.push(item(&content_type, Value::String(body)));
    } else if let Some(card) = params.get("card").or_else(|| params.get("carousel")) {
        items.push(item(BOTMESSAGE_TYPE, json_param(card, "card")?));
    } else if let Some(file) = params.get("file") {
        items.push(item(FT_JSON, file_entries(core, file)?));
    } else {
        let body = text(params, "text").unwrap_or_default();
        items.push(item("text/plain", Value::String(body)));
    }
    if let Some(suggestions) = params.get("suggestions") {
        let doc = json!({ "suggestions": json_param(suggestions, "suggestions")? });
        items.push(item(BOTSUGGESTION_TYPE, doc));
    }
    Ok(items)
}

/// The ft entries of `file`: `last` (the last upload: thumbnail first, then the file) or a list.
fn file_entries(core: &Arc<BotCore>, file: &Value) -> Result<Value, String> {
    if file.as_str() != Some("last") {
        return json_param(file, "file");
    }
    let uploaded = with_state(core, |state| state.uploaded.clone());
    if uploaded.is_empty() {
        return Err("`file: last` needs an `upload-media` before".to_owned());
    }
    let mut entries: Vec<Value> = uploaded
        .iter()
        .map(|(kind, info)| {
            let mut entry = json!({
                "type": kind,
                "fileSize": info.get("fileSize").cloned().unwrap_or(Value::Null),
                "contentType": info.get("contentType").cloned().unwrap_or(Value::Null),
                "url": info.get("url").cloned().unwrap_or(Value::Null),
            });
            if kind == "file" {
                entry["fileName"] = info.get("fileName").cloned().unwrap_or(Value::Null);
            }
            if let Some(until) = info.get("until") {
                entry["until"] = until.clone();
            }
            entry
        })
        .collect();
    entries.sort_by_key(|e| e.get("type").and_then(Value::as_str) != Some("thumbnail"));
    Ok(Value::Array(entries))
}

/// A JSON parameter given as a map or list, or as its JSON text.
fn json_param(value: &Value, key: &str) -> Result<Value, String> {
    match value {
        Value::String(text) => {
            serde_json::from_str(text).map_err(|err| format!("`{key}` is not JSON: {err}"))
        }
        other => Ok(other.clone()),
    }
}

/// `revoke { message-id, to, token? }`.
pub(super) async fn revoke(
    core: &Arc<BotCore>,
    params: &Map<String, Value>,
) -> Result<ActionOutput, String> {
    let message_id = text(params, "message-id").unwrap_or_default();
    let to: Vec<String> = params
        .get("to")
        .map(list)
        .unwrap_or_default()
        .iter()
        .map(|who| core.tel_of(who))
        .collect();
    let body = json!({
        "messageId": message_id,
        "status": "RevokeRequested",
        "destinationAddress": to,
    });
    let request = api_request(core, "POST", "revoke", text(params, "token"))
        .header("Content-Type", "application/json;charset=UTF-8")
        .body(body.to_string())
        .build()
        .map_err(|err| format!("build the revoke request: {err}"))?;
    let response = core.to_maap(&request).await?;
    let (mut out, _) = answered(&response);
    out.summary = format!("revoke {message_id} answered {}", out.summary);
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::csp_bot::ctcu::tests::core;

    fn params(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn the_send_body_has_every_mandatory_field() {
        let core = core();
        let send = build(
            &core,
            &params(json!({"to": "tel:+8613800000001", "text": "hi"})),
        )
        .unwrap();
        let doc = send.to_json();
        for field in [
            "messageId",
            "messageList",
            "destinationAddress",
            "senderAddress",
            "conversationId",
            "contributionId",
            "serviceCapability",
            "smsSupported",
            "storeSupported",
        ] {
            assert!(doc.get(field).is_some(), "{field} missing from {doc}");
        }
        assert_eq!(doc["senderAddress"], "sip:106500@botplatform.rcs.domain.cn");
        assert_eq!(doc["messageList"][0]["contentType"], "text/plain");
        assert_eq!(doc["reportRequest"].as_array().unwrap().len(), 5);
    }

    #[test]
    fn suggestions_follow_the_content_and_files_come_from_the_last_upload() {
        let core = core();
        let with_chips = params(json!({
            "to": "tel:+8613800000001",
            "text": "hi",
            "suggestions": [{"reply": {"displayText": "Yes", "postback": {"data": "y"}}}],
        }));
        let list = message_list(&core, &with_chips).unwrap();
        assert_eq!(list[1].content_type, BOTSUGGESTION_TYPE);
        assert_eq!(
            list[1].content_text["suggestions"][0]["reply"]["displayText"],
            "Yes"
        );
        let file = params(json!({"to": "tel:+8613800000001", "file": "last"}));
        assert!(message_list(&core, &file).is_err());
        with_state(&core, |s| {
            s.uploaded = vec![
                (
                    "file".into(),
                    json!({"url": "u1", "fileSize": 9, "fileName": "a.jpg", "contentType": "image/jpeg", "until": "t"}),
                ),
                (
                    "thumbnail".into(),
                    json!({"url": "u2", "fileSize": 3, "contentType": "image/jpeg", "until": "t"}),
                ),
            ];
        });
        let list = message_list(&core, &file).unwrap();
        assert_eq!(list[0].content_type, FT_JSON);
        assert_eq!(list[0].content_text[0]["type"], "thumbnail");
        assert_eq!(list[0].content_text[1]["fileName"], "a.jpg");
    }

    #[test]
    fn checks_need_an_address_and_content() {
        assert!(check(&params(json!({"text": "x"}))).is_err());
        assert!(check(&params(json!({"to": "a"}))).is_err());
        assert!(
            check(&params(
                json!({"to": "a", "text": "x", "reports": ["read"]})
            ))
            .is_err()
        );
        assert!(check(&params(json!({"to": "a", "body": "x"}))).is_err());
        assert!(
            check(&params(
                json!({"to": "a", "text": "x", "reports": "sent, failed"})
            ))
            .is_ok()
        );
    }
}
