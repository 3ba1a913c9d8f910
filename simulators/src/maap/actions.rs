//! The MaaP's direct actions, for cases where the MaaP plays its part without a chatbot server
//! (contract K): `push` sends a chatbot message to a user through the engine (the §7.2 MESSAGE,
//! whole-request policy skipped) and reports what went out; `last-uplink` shows the last message
//! a user sent to a chatbot. Actions never judge; a parameter the MaaP cannot use is a case error.

use std::collections::BTreeMap;

use rcs_harness::agent::{ActionOutput, ActionSpec};
use rcs_harness::role::RoleKind;
use rcs_proto::bot::{BOTMESSAGE_TYPE, with_suggestions};
use serde_json::{Map, Value};

use super::chatbots::{self, DEFAULT_CHATBOT};
use super::engine::{Engine, Outbound, Report};
use super::ids;

/// The actions a MaaP can be asked to perform.
pub(crate) const ACTIONS: &[ActionSpec] = &[
    ActionSpec {
        kind: RoleKind::Maap,
        name: "push",
        description: "send a chatbot message to a user: {to, from?, text?, card?, suggestions?, \
                      traffic-type?, reports? [delivered, displayed], message-id?}",
    },
    ActionSpec {
        kind: RoleKind::Maap,
        name: "last-uplink",
        description: "the last message a user sent to a chatbot: content-type, body, postback, \
                      in-reply-to, sender, count",
    },
    super::nbi_ctcu::VERIFY_CALLBACK,
];

/// The parameters each action takes.
const PUSH_PARAMS: &[&str] = &[
    "to",
    "from",
    "text",
    "card",
    "suggestions",
    "traffic-type",
    "reports",
    "message-id",
    "in-reply-to",
];

/// Checks an action's parameters at load time.
pub(crate) fn check(action: &str, params: &Map<String, Value>) -> Result<(), String> {
    if let Some(checked) = super::nbi_ctcu::check_action(action, params) {
        return checked;
    }
    let known: &[&str] = match action {
        "push" => PUSH_PARAMS,
        "last-uplink" => &[],
        other => return Err(format!("a maap has no action `{other}`")),
    };
    if let Some(unknown) = params.keys().find(|k| !known.contains(&k.as_str())) {
        return Err(format!(
            "`{action}` takes no parameter `{unknown}` (known: {})",
            known.join(", ")
        ));
    }
    if action == "push" {
        if !params.contains_key("to") {
            return Err("`push` needs `to`".to_owned());
        }
        if !["text", "card"].iter().any(|k| params.contains_key(*k)) {
            return Err("`push` needs `text` or `card`".to_owned());
        }
        reports(params)?;
    }
    Ok(())
}

/// Runs `action`.
pub(crate) async fn act(
    engine: &Engine,
    action: &str,
    params: &Map<String, Value>,
) -> Result<ActionOutput, String> {
    check(action, params)?;
    match action {
        "push" => push(engine, params).await,
        "verify-callback" => super::nbi_ctcu::act(engine, action, params)
            .await
            .unwrap_or_else(|| Err("the CT/CU API has no such action".to_owned())),
        _ => Ok(last_uplink(engine)),
    }
}

/// `push`: the §7.2 MESSAGE to one user, waiting for its final response.
async fn push(engine: &Engine, params: &Map<String, Value>) -> Result<ActionOutput, String> {
    let from = chatbots::text(params, "from")?.unwrap_or_else(|| DEFAULT_CHATBOT.to_owned());
    let bot = engine
        .chatbot(&from)
        .ok_or_else(|| format!("no chatbot `{from}` is provisioned"))?;
    let to_name = chatbots::text(params, "to")?.unwrap_or_default();
    let to = engine.core().tel_of(&to_name);
    if !to.starts_with("tel:") {
        return Err(format!(
            "`to` names `{to_name}`, neither a terminal of the case nor a number"
        ));
    }
    let (content_type, body) = content(params)?;
    let out = Outbound {
        chatbot: bot.uri.clone(),
        to: vec![to.clone()],
        content_type,
        body,
        message_id: chatbots::text(params, "message-id")?.unwrap_or_else(ids::message_id),
        conversation_id: ids::uuid(),
        contribution_id: ids::uuid(),
        in_reply_to: chatbots::text(params, "in-reply-to")?,
        traffic_type: chatbots::text(params, "traffic-type")?,
        reports: reports(params)?,
        store: true,
        sms_text: None,
        rcs_fallback: None,
        interaction: false,
        family: bot.family,
        other_net: Default::default(),
    };
    let sent = engine.deliver(&bot, &out, &to).await;
    let mut values = BTreeMap::new();
    values.insert("status".to_owned(), sent.status.to_string());
    values.insert("sent.Call-ID".to_owned(), sent.call_id);
    values.insert("sent.imdn.Message-ID".to_owned(), out.message_id.clone());
    values.insert(
        "sent.Conversation-ID".to_owned(),
        out.conversation_id.clone(),
    );
    values.insert(
        "sent.Contribution-ID".to_owned(),
        out.contribution_id.clone(),
    );
    values.insert("sent.Content-Type".to_owned(), out.content_type.clone());
    Ok(ActionOutput {
        values,
        summary: format!("pushed {} to {to}: {}", out.message_id, sent.status),
    })
}

/// The inner content of a push: text or card, with the chip list when given.
fn content(params: &Map<String, Value>) -> Result<(String, Vec<u8>), String> {
    let (content_type, body) = match (params.get("card"), chatbots::text(params, "text")?) {
        (Some(card), _) => {
            let card = match card {
                Value::String(text) => {
                    serde_json::from_str(text).map_err(|e| format!("`card` is not JSON: {e}"))?
                }
                other => other.clone(),
            };
            (BOTMESSAGE_TYPE.to_owned(), card.to_string().into_bytes())
        }
        (None, Some(text)) => ("text/plain;charset=UTF-8".to_owned(), text.into_bytes()),
        (None, None) => return Err("`push` needs `text` or `card`".to_owned()),
    };
    let suggestions = match params.get("suggestions") {
        None | Some(Value::Null) => return Ok((content_type, body)),
        Some(Value::String(text)) => {
            serde_json::from_str(text).map_err(|e| format!("`suggestions` is not JSON: {e}"))?
        }
        Some(other) => other.clone(),
    };
    Ok(with_suggestions(&content_type, &body, &suggestions))
}

/// The `reports` list.
fn reports(params: &Map<String, Value>) -> Result<Vec<Report>, String> {
    chatbots::list(params, "reports")?
        .iter()
        .map(|name| match name.to_ascii_lowercase().as_str() {
            "delivered" => Ok(Report::Delivered),
            "displayed" => Ok(Report::Displayed),
            "sent" => Ok(Report::Sent),
            "failed" => Ok(Report::Failed),
            other if other.starts_with('$') => Ok(Report::Delivered),
            other => Err(format!(
                "report `{other}` is not delivered, displayed, sent or failed"
            )),
        })
        .collect()
}

/// `last-uplink`: the last user message to a chatbot.
fn last_uplink(engine: &Engine) -> ActionOutput {
    let (last, count) = engine.tracking().last_uplink();
    let mut values = BTreeMap::new();
    values.insert("count".to_owned(), count.to_string());
    let Some(last) = last else {
        return ActionOutput {
            values,
            summary: "no user message to a chatbot yet".to_owned(),
        };
    };
    let mut set = |key: &str, value: &str| {
        values.insert(key.to_owned(), value.to_owned());
    };
    set("content-type", &last.content_type);
    set("body", &last.body);
    set("postback", last.postback.as_deref().unwrap_or_default());
    set(
        "in-reply-to",
        last.in_reply_to.as_deref().unwrap_or_default(),
    );
    set("sender", &last.sender);
    set("chatbot", &last.chatbot);
    set("message-id", &last.message_id);
    set(
        "contribution-id",
        last.contribution_id.as_deref().unwrap_or_default(),
    );
    set(
        "conversation-id",
        last.conversation_id.as_deref().unwrap_or_default(),
    );
    ActionOutput {
        values,
        summary: format!(
            "{} from {} to {}",
            last.content_type, last.sender, last.chatbot
        ),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn push_parameters_are_checked() {
        assert!(check("push", &map(json!({"to": "alice", "text": "hi"}))).is_ok());
        assert!(check("push", &map(json!({"to": "alice"}))).is_err());
        assert!(check("push", &map(json!({"text": "hi"}))).is_err());
        let err = check("push", &map(json!({"to": "a", "text": "t", "colour": 1}))).unwrap_err();
        assert!(err.contains("`colour`"), "{err}");
        assert!(
            check(
                "push",
                &map(json!({"to": "a", "text": "t", "reports": ["read"]}))
            )
            .is_err()
        );
        assert!(check("last-uplink", &Map::new()).is_ok());
        assert!(check("fly", &Map::new()).is_err());
    }

    #[test]
    fn content_with_suggestions_is_the_7_2_multipart() {
        let params = map(json!({"to": "a", "text": "您的账单已出",
            "suggestions": [{"reply": {"displayText": "查看详情", "postback": {"data": "bill"}}}]}));
        let (ct, body) = content(&params).unwrap();
        assert_eq!(ct, "multipart/mixed; boundary=\"next\"");
        let text = String::from_utf8(body).unwrap();
        assert!(text.contains("filename=\"Chiplist.lst\""), "{text}");
        let (ct, body) = content(&map(json!({"card": {"message": {}}}))).unwrap();
        assert_eq!(ct, BOTMESSAGE_TYPE);
        assert_eq!(body, br#"{"message":{}}"#);
    }
}
