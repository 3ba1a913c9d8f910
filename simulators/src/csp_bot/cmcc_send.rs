//! The CMCC `send` action: a chatbot message as an `outboundMessageRequest` (protocols.md
//! §8.1.3 nested form, §8.1.4 flat form), posted to the group, interaction or plain URL of
//! §8.1.2 with the signed headers of §8.1.1.
//!
//! The content is built from the parameters: `text` (text/plain), `card` or `carousel` (a
//! botmessage document, §7.3), or `content-type` + `body` as given; `suggestions` (a list, §7.4)
//! turn it into the §7.2 `multipart/mixed; boundary="next"` of content and chip list. For the
//! UP1.0 fallback (§8.1.3) `fallback` (true/false), `rcs-body` (such as an FT-HTTP file-info
//! document) and `rcs-content-type` become `fallbackSupported`, `rcsBodyText` and
//! `fallbackContentType`, absent when not given. The identifiers (messageId, conversationID,
//! contributionID) are fresh UUIDs unless given, and reported so that a case can find them
//! southbound. `other-net` (true/false) and `other-sms` (a text) become `otherNetSupport` and
//! `otherShortMessageSupported` + `otherSmsBodyText` (§8.1.4), absent when not given. This module
//! does not judge the answer.

use std::sync::Arc;

use rcs_harness::agent::ActionOutput;
use rcs_proto::bot::{BOTMESSAGE_TYPE, with_suggestions};
use rcs_proto::http::RequestBuilder;
use rcs_proto::nbi::cmcc::{self, BOT_VERSION, CHATBOT_CAPABILITY, Form, Outbound};
use serde_json::{Map, Value, json};

use super::{answered, bool_param, build, path_escape, read_code, read_error, signed, text_param};
use crate::csp_bot::core::BotCore;

/// The parameters `send` takes.
pub(super) const PARAMS: &[&str] = &[
    "to",
    "text",
    "card",
    "carousel",
    "suggestions",
    "content-type",
    "body",
    "traffic-type",
    "reports",
    "sms",
    "other-net",
    "other-sms",
    "fallback",
    "rcs-body",
    "rcs-content-type",
    "store",
    "reply-to",
    "message-id",
    "client-correlator",
    "form",
    "bad-signature",
    "date-offset",
];

/// Checks `send`'s parameters at load time.
pub(super) fn check(params: &Map<String, Value>) -> Result<(), String> {
    if !params.contains_key("to") {
        return Err("`send` needs `to`".to_owned());
    }
    let contents = ["text", "card", "carousel", "body"];
    if !contents.iter().any(|k| params.contains_key(*k)) {
        return Err("`send` needs one of `text`, `card`, `carousel` or `body`".to_owned());
    }
    if params.contains_key("body") != params.contains_key("content-type") {
        return Err("`send` takes `body` and `content-type` together".to_owned());
    }
    if let Some(form) = params.get("form").and_then(Value::as_str) {
        form_of(form)?;
    }
    if let Some(reports) = params.get("reports") {
        for report in list(reports) {
            report_name(&report)?;
        }
    }
    if let Some(suggestions) = params.get("suggestions")
        && !matches!(suggestions, Value::Array(_) | Value::String(_))
    {
        return Err("`suggestions` must be a list of suggestions".to_owned());
    }
    Ok(())
}

fn form_of(text: &str) -> Result<Form, String> {
    match text {
        "nested" => Ok(Form::Nested),
        "flat" => Ok(Form::Flat),
        other if other.contains("${") => Ok(Form::Nested),
        other => Err(format!("form `{other}` is not `nested` or `flat`")),
    }
}

/// The `reportRequest` value of a report name (§8.1.3).
fn report_name(text: &str) -> Result<&'static str, String> {
    Ok(match text.to_ascii_lowercase().as_str() {
        "sent" => "Sent",
        "delivered" => "Delivered",
        "displayed" => "Displayed",
        "failed" => "Failed",
        "sms" => "SMS",
        "interworking" => "Interworking",
        other => {
            return Err(format!(
                "report `{other}` is not sent, delivered, displayed, failed, sms or interworking"
            ));
        }
    })
}

/// A string or a list of strings as a list.
fn list(value: &Value) -> Vec<String> {
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

/// A JSON parameter given as a map or list, or as its JSON text.
fn json_param(value: &Value, key: &str) -> Result<Value, String> {
    match value {
        Value::String(text) => {
            serde_json::from_str(text).map_err(|err| format!("`{key}` is not JSON: {err}"))
        }
        other => Ok(other.clone()),
    }
}

/// The content type and body the parameters describe.
pub(super) fn content(params: &Map<String, Value>) -> Result<(String, Vec<u8>), String> {
    let (content_type, body) = if let Some(body) = text_param(params, "body") {
        let content_type = text_param(params, "content-type").unwrap_or_default();
        (content_type, body.into_bytes())
    } else if let Some(card) = params.get("card").or_else(|| params.get("carousel")) {
        let card = json_param(card, "card")?;
        (BOTMESSAGE_TYPE.to_owned(), card.to_string().into_bytes())
    } else {
        let text = text_param(params, "text").unwrap_or_default();
        ("text/plain;charset=UTF-8".to_owned(), text.into_bytes())
    };
    let Some(suggestions) = params.get("suggestions") else {
        return Ok((content_type, body));
    };
    let suggestions = json!({ "suggestions": json_param(suggestions, "suggestions")? });
    Ok(with_suggestions(&content_type, &body, &suggestions))
}

/// The request document of `send`, with fresh identifiers where none are given.
pub(super) fn outbound(core: &BotCore, params: &Map<String, Value>) -> Result<Outbound, String> {
    let (content_type, body) = content(params)?;
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
    let form = params
        .get("form")
        .and_then(Value::as_str)
        .map(form_of)
        .transpose()?
        .unwrap_or(Form::Nested);
    let reports = match params.get("reports") {
        Some(value) => list(value)
            .iter()
            .map(|r| report_name(r).map(str::to_owned))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let sms = text_param(params, "sms");
    let other_net = other_net(params);
    let up10 = up10(params);
    let uuid = || uuid::Uuid::new_v4().to_string();
    Ok(Outbound {
        form: Some(form),
        destinations,
        sender_address: core.settings.chatbot.clone(),
        content_type,
        content_encoding: Some("utf8".to_owned()),
        body_text: String::from_utf8_lossy(&body).into_owned(),
        conversation_id: Some(uuid()),
        contribution_id: Some(uuid()),
        in_reply_to_contribution_id: text_param(params, "reply-to"),
        message_id: Some(text_param(params, "message-id").unwrap_or_else(uuid)),
        client_correlator: Some(
            text_param(params, "client-correlator").unwrap_or_else(|| uuid()[..8].to_owned()),
        ),
        report_request: reports,
        store_supported: Some(bool_param(params, "store").unwrap_or(true)),
        short_message_supported: Some(sms.is_some()),
        sms_body_text: sms,
        fallback_supported: up10.0,
        fallback_content_type: up10.1,
        rcs_body_text: up10.2,
        other_net_support: other_net.0,
        other_short_message_supported: other_net.1,
        other_sms_body_text: other_net.2,
        traffic_type: text_param(params, "traffic-type"),
        capability_id: Some(CHATBOT_CAPABILITY.to_owned()),
        capability_version: Some(BOT_VERSION.to_owned()),
        ..Outbound::default()
    })
}

/// `fallbackSupported`, `fallbackContentType` and `rcsBodyText` (the UP1.0 fallback, §8.1.3) of
/// the parameters `fallback`, `rcs-content-type` and `rcs-body`.
fn up10(params: &Map<String, Value>) -> (Option<bool>, Option<String>, Option<String>) {
    (
        bool_param(params, "fallback"),
        text_param(params, "rcs-content-type"),
        text_param(params, "rcs-body"),
    )
}

/// `otherNetSupport`, `otherShortMessageSupported` and `otherSmsBodyText` (§8.1.4) of the
/// parameters `other-net` and `other-sms`.
fn other_net(params: &Map<String, Value>) -> (Option<bool>, Option<bool>, Option<String>) {
    let text = text_param(params, "other-sms");
    (
        bool_param(params, "other-net"),
        text.as_ref().map(|_| true),
        text,
    )
}

/// The request target of a send (§8.1.2).
fn target(chatbot: &str, out: &Outbound) -> String {
    let bot = path_escape(chatbot);
    match (out.form, out.in_reply_to_contribution_id.is_some()) {
        (Some(Form::Flat), true) => format!("/messaging/interaction/plain/outbound/{bot}/requests"),
        (Some(Form::Flat), false) if out.destinations.len() > 1 => {
            format!("/messaging/group/plain/outbound/{bot}/requests")
        }
        (Some(Form::Flat), false) => format!("/messaging/single/plain/outbound/{bot}/requests"),
        (_, true) => format!("/messaging/interaction/v1/outbound/{bot}/requests"),
        (_, false) => format!("/messaging/group/v1/outbound/{bot}/requests"),
    }
}

/// `send`: posts the message and reports what the MaaP answered.
pub(super) async fn send(
    core: &Arc<BotCore>,
    params: &Map<String, Value>,
) -> Result<ActionOutput, String> {
    let out = outbound(core, params)?;
    let address = out.destinations.first().cloned().unwrap_or_default();
    let builder = RequestBuilder::new("POST", &target(&core.settings.chatbot, &out))
        .header("Content-Type", "application/xml; charset=utf-8")
        .header("Address", address.trim_start_matches("tel:"));
    let builder = signed(core, builder, params)?.body(out.to_xml());
    let response = core.to_maap(&build(&builder, "send")?).await?;
    let mut done = answered(&response, "send");
    let ids = [
        ("sent.message-id", &out.message_id),
        ("sent.contribution-id", &out.contribution_id),
        ("sent.conversation-id", &out.conversation_id),
        ("sent.client-correlator", &out.client_correlator),
    ];
    for (key, value) in ids {
        if let Some(value) = value {
            done.values.insert(key.to_owned(), value.clone());
        }
    }
    done.values
        .insert("sent.content-type".to_owned(), out.content_type.clone());
    done.values
        .insert("sent.body".to_owned(), out.body_text.clone());
    if !(200..300).contains(&response.status()) {
        read_error(&mut done, response.body());
        return Ok(done);
    }
    if let Ok((message_id, infos)) = cmcc::parse_send_response(response.body()) {
        done.values.insert("message-id".to_owned(), message_id);
        for (n, info) in infos.iter().enumerate() {
            done.values
                .insert(format!("delivery.{n}.address"), info.address.clone());
            done.values
                .insert(format!("delivery.{n}.status"), info.status.clone());
        }
        done.values
            .insert("delivery.count".to_owned(), infos.len().to_string());
    } else {
        read_code(&mut done, response.body());
    }
    Ok(done)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn params(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn checks_name_what_is_missing_or_wrong() {
        let err = check(&params(json!({"text": "hi"}))).unwrap_err();
        assert_eq!(err, "`send` needs `to`");
        let err = check(&params(json!({"to": "alice"}))).unwrap_err();
        assert!(err.contains("needs one of"), "{err}");
        let err = check(&params(json!({"to": "a", "text": "x", "form": "flatter"}))).unwrap_err();
        assert_eq!(err, "form `flatter` is not `nested` or `flat`");
        let err = check(&params(
            json!({"to": "a", "text": "x", "reports": ["read"]}),
        ))
        .unwrap_err();
        assert!(err.starts_with("report `read`"), "{err}");
        let err = check(&params(json!({"to": "a", "body": "x"}))).unwrap_err();
        assert_eq!(err, "`send` takes `body` and `content-type` together");
        assert!(
            check(&params(
                json!({"to": ["a", "b"], "card": {}, "reports": "delivered,displayed"})
            ))
            .is_ok()
        );
    }

    #[test]
    fn text_alone_is_plain_and_a_card_is_a_botmessage() {
        let (ct, body) = content(&params(json!({"text": "余额提醒"}))).unwrap();
        assert_eq!(ct, "text/plain;charset=UTF-8");
        assert_eq!(body, "余额提醒".as_bytes());
        let card = json!({"message": {"generalPurposeCard": {"content": {"title": "账单"}}}});
        let (ct, body) = content(&params(json!({"card": card}))).unwrap();
        assert_eq!(ct, BOTMESSAGE_TYPE);
        assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), card);
        let (ct, body) = content(&params(json!({"content-type": "text/x", "body": "b"}))).unwrap();
        assert_eq!((ct.as_str(), body.as_slice()), ("text/x", &b"b"[..]));
    }

    #[test]
    fn suggestions_make_the_multipart_of_content_and_chip_list() {
        let chips = json!([{"reply": {"displayText": "Yes", "postback": {"data": "yes"}}}]);
        let (ct, body) = content(&params(json!({"text": "ok?", "suggestions": chips}))).unwrap();
        assert!(ct.starts_with("multipart/mixed"), "{ct}");
        assert!(ct.contains("next"), "{ct}");
        let body = String::from_utf8(body).unwrap();
        assert!(body.contains("ok?"));
        assert!(body.contains("\"postback\""));
        assert!(body.contains("Chiplist.lst"));
    }

    #[test]
    fn other_net_parameters_become_the_other_carrier_elements() {
        assert_eq!(other_net(&params(json!({"text": "x"}))), (None, None, None));
        let asked = json!({"other-net": false, "other-sms": "短信"});
        assert_eq!(
            other_net(&params(asked)),
            (Some(false), Some(true), Some("短信".to_owned()))
        );
        let asked = json!({"other-net": "true"});
        assert_eq!(other_net(&params(asked)).0, Some(true));
    }

    #[test]
    fn up10_parameters_become_the_fallback_elements() {
        assert_eq!(up10(&params(json!({"text": "x"}))), (None, None, None));
        let ft = "application/vnd.gsma.rcs-ft-http+xml";
        let asked = json!({"fallback": true, "rcs-content-type": ft, "rcs-body": "<file/>"});
        assert_eq!(
            up10(&params(asked)),
            (Some(true), Some(ft.to_owned()), Some("<file/>".to_owned()))
        );
        assert_eq!(up10(&params(json!({"fallback": "false"}))).0, Some(false));
    }

    #[test]
    fn targets_follow_form_and_reply() {
        let bot = "sip:12599@botplatform.rcs.chinamobile.com";
        let mut out = Outbound {
            destinations: vec!["tel:+861".into()],
            ..Outbound::default()
        };
        assert_eq!(
            target(bot, &out),
            "/messaging/group/v1/outbound/sip%3A12599%40botplatform.rcs.chinamobile.com/requests"
        );
        out.in_reply_to_contribution_id = Some("c".into());
        assert!(target(bot, &out).starts_with("/messaging/interaction/v1/outbound/"));
        out.in_reply_to_contribution_id = None;
        out.form = Some(Form::Flat);
        assert!(target(bot, &out).starts_with("/messaging/single/plain/outbound/"));
        out.destinations.push("tel:+862".into());
        assert!(target(bot, &out).starts_with("/messaging/group/plain/outbound/"));
    }
}
