//! CT/CU `POST …/messages` and `POST …/revoke` (protocols.md §8.2 send and revoke, §8.3 mapping;
//! PLT-NBI-CT-003, -004, -006).
//!
//! A send is checked in this order, and the first refusal answers it with nothing sent: the body
//! (`rcs_proto::nbi::ctcu::Send::parse`, 20002 naming the missing or wrong field, 47001 for JSON
//! that does not parse, 44002 for an empty body); `senderAddress` equal to the chatbotId (30008);
//! the callback URL verified (`nbi_ctcu_verify`: 30006 / 48001); the content converted to the CPIM
//! inner content (`inner_content`: a `application/vnd.gsma.rcs-ft-http` list becomes file-info
//! XML, PLT-NBI-CT-004); the engine's policy (30003 rate, 30001 daily cap, 48001 paused or without
//! the right, 70001 sensitive word, 60001 invalid content). An admitted send is handed to the
//! engine and answered at once with `messageId`, `conversationId`, `contributionId` and
//! `errorCode` 0; outcomes come later as status callbacks.
//!
//! SMS fallback (§8.2 policy text): only when `smsSupported` is true, with `smsContent`, else the
//! text of the message's `text/plain` items. A revoke answers 0 at once and reports each
//! recipient's outcome as a `revokeOk` / `revokeFail` status callback.

use std::sync::Arc;

use rcs_proto::nbi::ctcu::{self, ContentItem, Send, code};
use serde_json::{Value, json};

use super::callbacks::{callback_of, post};
use super::verify::enabled;
use super::{Call, Ctcu, refusal, reply};
use crate::maap::chatbots::{Chatbot, Family};
use crate::maap::engine::{BotEvent, Outbound, Refusal, Report};

/// The content type of a CT/CU file message (no `+xml`, protocols.md §8.2).
pub(crate) const FT_JSON: &str = "application/vnd.gsma.rcs-ft-http";

/// The SMS text when `smsSupported` is set and the message has no text to fall back to.
const DEFAULT_SMS: &str = "您收到一条5G消息";

/// Most fields the fault `maap.ctcu-no-field-validation` fills in before giving up.
const MAX_FILLED: usize = 16;

/// `POST …/messages`.
pub(crate) async fn messages(ctcu: &Ctcu, bot: &Chatbot, call: &Call) -> rcs_proto::http::Response {
    let send = match parse(ctcu, call.request.body()) {
        Ok(send) => send,
        Err((code, text)) => return refusal(code, &text),
    };
    if send.sender_address != bot.uri && !ctcu.faults.sender_not_checked {
        let text = format!(
            "senderAddress `{}` is not the chatbotId `{}`",
            send.sender_address, bot.uri
        );
        return refusal(code::SENDER_MISMATCH, &text);
    }
    if let Err((code, text)) = enabled(ctcu, bot).await {
        return refusal(code, &text);
    }
    let out = match outbound(ctcu, bot, &send) {
        Ok(out) => out,
        Err((code, text)) => return refusal(code, &text),
    };
    if let Err(why) = ctcu.engine.admit(&out) {
        let (code, text) = refused(&why);
        return refusal(code, &text);
    }
    ctcu.engine.submit(out);
    let ids = json!({
        "messageId": send.message_id,
        "conversationId": send.conversation_id,
        "contributionId": send.contribution_id,
    });
    reply(200, code::OK, "success", ids)
}

/// Reads the send body; under `maap.ctcu-no-field-validation` missing fields get defaults.
fn parse(ctcu: &Ctcu, body: &[u8]) -> Result<Send, (i64, String)> {
    let first = Send::parse(body);
    if !ctcu.faults.no_field_validation {
        return first;
    }
    let Ok(Value::Object(mut doc)) = serde_json::from_slice::<Value>(body) else {
        return first;
    };
    let mut result = first;
    for _ in 0..MAX_FILLED {
        let Err((code::BAD_PARAMETER, text)) = &result else {
            return result;
        };
        let Some((field, value)) = default_for(text) else {
            return result;
        };
        if doc.contains_key(field) {
            return result;
        }
        doc.insert(field.to_owned(), value);
        let bytes = serde_json::to_vec(&doc).unwrap_or_default();
        result = Send::parse(&bytes);
    }
    result
}

/// The field an error names and a value that satisfies the parser.
fn default_for(error: &str) -> Option<(&'static str, Value)> {
    const FIELDS: &[&str] = &[
        "serviceCapability",
        "smsSupported",
        "storeSupported",
        "conversationId",
        "contributionId",
        "messageId",
    ];
    let field = FIELDS.iter().find(|f| error.contains(**f))?;
    let value = match *field {
        "serviceCapability" => json!([{
            "capabilityId": "ChatbotSA",
            "version": "+g.gsma.rcs.botversion=\"#=1\"",
        }]),
        "smsSupported" | "storeSupported" => json!(false),
        _ => json!(uuid::Uuid::new_v4().to_string()),
    };
    Some((field, value))
}

/// The engine's request for a send.
fn outbound(ctcu: &Ctcu, bot: &Chatbot, send: &Send) -> Result<Outbound, (i64, String)> {
    let (content_type, body) = content(ctcu, &send.message_list)?;
    let sms_text = match send.sms_supported || ctcu.faults.no_fallback_check {
        true => Some(sms_text(send)),
        false => None,
    };
    Ok(Outbound {
        chatbot: bot.uri.clone(),
        to: send.destination_address.clone(),
        content_type,
        body,
        message_id: send.message_id.clone(),
        conversation_id: send.conversation_id.clone(),
        contribution_id: send.contribution_id.clone(),
        in_reply_to: send.in_reply_to.clone(),
        traffic_type: send.traffic_type.clone(),
        reports: reports(&send.report_request),
        store: send.store_supported,
        sms_text,
        rcs_fallback: None,
        interaction: send.in_reply_to.is_some(),
        family: Family::Ctcu,
        other_net: Default::default(),
    })
}

/// The CPIM inner content; a lone file item stays JSON under `maap.ctcu-ft-json-passthrough`.
fn content(ctcu: &Ctcu, list: &[ContentItem]) -> Result<(String, Vec<u8>), (i64, String)> {
    if let [item] = list
        && ctcu.faults.ft_json_passthrough
        && item.content_type == FT_JSON
    {
        let body = serde_json::to_vec(&item.content_text).unwrap_or_default();
        return Ok((FT_JSON.to_owned(), body));
    }
    ctcu::inner_content(list)
}

/// The SMS text: `smsContent`, else the text items, else a notice.
fn sms_text(send: &Send) -> String {
    if let Some(text) = send.sms_content.as_ref().filter(|t| !t.is_empty()) {
        return text.clone();
    }
    let texts: Vec<&str> = send
        .message_list
        .iter()
        .filter(|item| item.content_type.starts_with("text/plain"))
        .filter_map(|item| item.content_text.as_str())
        .collect();
    match texts.is_empty() {
        true => DEFAULT_SMS.to_owned(),
        false => texts.join("\n"),
    }
}

/// `reportRequest` names as the engine's reports; unknown names are ignored.
fn reports(names: &[String]) -> Vec<Report> {
    names
        .iter()
        .filter_map(|name| match name.as_str() {
            "sent" => Some(Report::Sent),
            "delivered" => Some(Report::Delivered),
            "displayed" => Some(Report::Displayed),
            "failed" => Some(Report::Failed),
            "deliveredToNetwork" => Some(Report::ToNetwork),
            _ => None,
        })
        .collect()
}

/// The CT/CU code and message of a policy refusal.
pub(crate) fn refused(why: &Refusal) -> (i64, String) {
    match why {
        Refusal::UnknownChatbot => (code::NOT_AUTHORISED, "unknown chatbot".to_owned()),
        Refusal::Paused => (code::NOT_AUTHORISED, "the chatbot is paused".to_owned()),
        Refusal::RateLimited => (
            code::RATE_LIMIT,
            "per-second send limit exceeded".to_owned(),
        ),
        Refusal::DailyCap => (code::DAILY_LIMIT, "daily send limit exceeded".to_owned()),
        Refusal::NoInteractionRight => (
            code::NOT_AUTHORISED,
            "the chatbot has no interaction right".to_owned(),
        ),
        Refusal::NoPushRight => (
            code::NOT_AUTHORISED,
            "the chatbot has no push right".to_owned(),
        ),
        Refusal::SensitiveWord(word) => (
            code::CONTENT_BLOCKED,
            format!("message body under control: sensitive word `{word}`"),
        ),
        Refusal::InvalidContent(why) => (code::ILLEGAL_CONTENT, format!("illegal content: {why}")),
    }
}

/// `POST …/revoke`: `{"messageId", "status": "RevokeRequested", "destinationAddress": [..]}`.
/// Answered at once; each recipient's outcome follows as a status callback.
pub(crate) fn revoke(ctcu: &Arc<Ctcu>, bot: &Chatbot, call: &Call) -> rcs_proto::http::Response {
    let (message_id, destinations) = match ctcu::parse_revoke_request(call.request.body()) {
        Ok(request) => request,
        Err((code, text)) => return refusal(code, &text),
    };
    let (ctcu, bot_uri, id) = (ctcu.clone(), bot.uri.clone(), message_id.clone());
    let bot = bot.clone();
    tokio::spawn(async move {
        for to in destinations {
            let delivery = ctcu.engine.revoke(&bot_uri, &id, &to).await;
            let event = BotEvent::Status {
                chatbot: bot_uri.clone(),
                message_id: id.clone(),
                recipient: to,
                delivery,
            };
            let Some((path, body)) = callback_of(&ctcu, &bot, event) else {
                continue;
            };
            if let Err(why) = post(&ctcu, &bot, &path, &body).await {
                tracing::info!(chatbot = %bot_uri, "failed to post a revoke outcome: {why}");
            }
        }
    });
    reply(200, code::OK, "success", json!({ "messageId": message_id }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn report_names_map_to_reports() {
        let names = [
            "sent",
            "failed",
            "delivered",
            "displayed",
            "deliveredToNetwork",
            "x",
        ]
        .map(str::to_owned);
        assert_eq!(
            reports(&names),
            [
                Report::Sent,
                Report::Failed,
                Report::Delivered,
                Report::Displayed,
                Report::ToNetwork
            ]
        );
    }

    #[test]
    fn policy_refusals_get_their_ctcu_codes() {
        assert_eq!(refused(&Refusal::RateLimited).0, 30003);
        assert_eq!(refused(&Refusal::DailyCap).0, 30001);
        assert_eq!(refused(&Refusal::Paused).0, 48001);
        assert_eq!(refused(&Refusal::NoPushRight).0, 48001);
        assert_eq!(refused(&Refusal::SensitiveWord("发票".into())).0, 70001);
        assert_eq!(refused(&Refusal::InvalidContent("/a: b".into())).0, 60001);
    }

    #[test]
    fn the_sms_text_prefers_sms_content_then_the_text_items() {
        let mut send = Send {
            message_list: vec![ContentItem {
                content_type: "text/plain".into(),
                content_encoding: None,
                content_text: json!("hello"),
            }],
            ..Send::default()
        };
        assert_eq!(sms_text(&send), "hello");
        send.sms_content = Some("短信".into());
        assert_eq!(sms_text(&send), "短信");
        send.sms_content = None;
        send.message_list.clear();
        assert_eq!(sms_text(&send), DEFAULT_SMS);
    }

    #[test]
    fn missing_fields_have_defaults_for_the_lenient_fault() {
        let (field, value) = default_for("missing serviceCapability").unwrap();
        assert_eq!(field, "serviceCapability");
        assert_eq!(value[0]["capabilityId"], "ChatbotSA");
        assert!(default_for("bad destinationAddress").is_none());
    }
}
