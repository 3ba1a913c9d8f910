//! The terminal's chatbot actions as cases call them (protocols.md §7.4-7.6; RCC.07 §3.6.10;
//! TRM-BOT-003, TRM-BOT-006..008, TRM-BOT-010): `bot-messages`, `tap-suggestion`,
//! `share-device`, `share-location`, `report-spam` and `block-bot` (`get-bot-info` is
//! `bot_info`).
//!
//! Every message to a chatbot is a pager MESSAGE (so it carries the chatbot Accept-Contact of
//! `bot_sip`) in the conversation of the bot message it answers, with InReplyTo-Contribution-ID
//! naming that message's Contribution-ID. A tapped action is "executed" by reporting it
//! (`executed` and `executed.<field>`); its response goes out when it has a postback, a tapped
//! reply's always. Like every action they report what they sent and never judge.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rcs_harness::agent::ActionOutput;
use rcs_proto::bot::{
    self, SHARED_CLIENT_DATA_TYPE, SPAM_REPORT_TYPE, SUGGESTION_RESPONSE_TYPE, SpamReport,
    Suggestion, SuggestionKind,
};
use rcs_proto::cpim::CpimMessage;
use serde_json::{Value, json};

use super::actions::Output;
use super::bot_params::{
    BlockParams, BotMessagesParams, LocationForm, MAX_SPAM_IDS, ShareDeviceParams,
    ShareLocationParams, SpamParams, TapParams, location_form,
};
use super::bot_state::BotMessage;
use super::core::Core;
use super::faults::{Fault, Faults};
use super::ids;
use super::outgoing::Sent;
use super::pager::Chat;
use super::params;

/// The device a simulated phone describes (longer than the §7.5 limits on purpose: the
/// terminal must cut them).
const DEVICE: [&str; 4] = [
    "HUAWEI Mate 60 Pro",
    "HarmonyOS 4.2.0",
    "HUAWEI",
    "14.2.0.301(C00E301)",
];

/// How long an action waits for a bot message the runner has just seen arrive.
const RECEIVED_GRACE: Duration = Duration::from_secs(1);

/// How often it looks again.
const POLL: Duration = Duration::from_millis(10);

/// Where a location is shared from by default (Beijing, GCJ-02).
const LOCATION: (f64, f64, &str) = (39.908_722, 116.397_499, "天安门广场");

/// Runs a chatbot action.
pub(crate) async fn act(
    core: &Arc<Core>,
    action: &str,
    map: &serde_json::Map<String, Value>,
) -> Result<ActionOutput, String> {
    match action {
        "bot-messages" => bot_messages(core, params::parse(map)?),
        "tap-suggestion" => tap_suggestion(core, params::parse(map)?).await,
        "share-device" => share_device(core, params::parse(map)?).await,
        "share-location" => share_location(core, params::parse(map)?).await,
        "get-bot-info" => super::bot_info::get_bot_info(core, params::parse(map)?).await,
        "report-spam" => report_spam(core, params::parse(map)?).await,
        "block-bot" => block_bot(core, params::parse(map)?).await,
        other => Err(format!("a terminal has no action `{other}`")),
    }
}

/// The chatbot a `bot` parameter names; by default the sender of the last bot message (waited
/// for a moment when none was read yet).
pub(crate) async fn bot_uri(core: &Core, bot: Option<&str>) -> Result<String, String> {
    match bot {
        Some(bot) => core.target(bot),
        None => arrived(|| core.bots.last(None).1)
            .await
            .map(|m| m.bot)
            .ok_or_else(|| "no chatbot message received yet; give `bot`".to_owned()),
    }
}

fn bot_messages(core: &Core, p: BotMessagesParams) -> Result<ActionOutput, String> {
    let bot = p.bot.as_deref().map(|b| core.target(b)).transpose()?;
    let (count, last) = core.bots.last(bot.as_deref());
    let mut out = Output::new(String::new());
    out.set("count", &count.to_string());
    out.set("suppressed", &core.bots.suppressed().to_string());
    let summary = match &last {
        None => {
            out.set("last.valid", "none");
            format!("{count} chatbot messages")
        }
        Some(m) => {
            out.set("last.valid", &m.valid().to_string());
            out.set("last.errors", &m.errors.join("; "));
            out.set("last.suggestions", &display_texts(&m.suggestions));
            out.set("last.suggestion-count", &m.suggestions.len().to_string());
            out.set("last.content-type", &m.content_type);
            out.set(
                "last.message-id",
                m.message_id.as_deref().unwrap_or_default(),
            );
            out.set("last.bot", &m.bot);
            format!(
                "{count} chatbot messages; the last from {} is {} with {} suggestions",
                m.bot,
                if m.valid() { "valid" } else { "invalid" },
                m.suggestions.len()
            )
        }
    };
    Ok(out.finish(summary))
}

/// `displayText`s joined by ` | `.
pub(crate) fn display_texts(suggestions: &[Suggestion]) -> String {
    let texts: Vec<&str> = suggestions
        .iter()
        .map(|s| s.display_text.as_str())
        .collect();
    texts.join(" | ")
}

async fn tap_suggestion(core: &Core, p: TapParams) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let (list, carrier) = match p.menu {
        true => {
            let bot = bot_uri(core, p.bot.as_deref()).await?;
            let menu = core
                .bots
                .menu(&bot)
                .ok_or_else(|| format!("no menu read for {bot}: call get-bot-info first"))?;
            (menu.entries, Carrier::Menu(bot))
        }
        false => {
            let message = carrying(core, p.bot.as_deref(), p.message_id.as_deref()).await?;
            (
                message.suggestions.clone(),
                Carrier::Message(Box::new(message)),
            )
        }
    };
    let chosen = match (p.index, p.text.as_deref()) {
        (Some(n), _) => n.checked_sub(1).and_then(|i| list.get(i)),
        (None, Some(text)) => list.iter().find(|s| s.display_text == text),
        (None, None) => None,
    };
    let Some(suggestion) = chosen else {
        let mut out = Output::new("not-found".to_owned());
        out.set("suggestions", &display_texts(&list));
        return Ok(out.finish(format!(
            "no such suggestion among {} ({})",
            list.len(),
            display_texts(&list)
        )));
    };
    let executed = executed(suggestion);
    let responds = suggestion.kind == SuggestionKind::Reply || suggestion.postback.is_some();
    if !responds {
        let mut out = Output::new(String::new());
        out.values_from(&executed);
        out.set("sent", "none");
        let summary = format!("executed {} (no postback to send)", kind_name(suggestion));
        return Ok(out.finish(summary));
    }
    let body = serde_json::to_string(&response_doc(&core.faults, suggestion))
        .map_err(|e| format!("failed to write the suggestion response: {e}"))?;
    let (bot, reply_to) = match &carrier {
        Carrier::Menu(bot) => (bot.clone(), None),
        Carrier::Message(m) => (m.bot.clone(), Some(m.as_ref())),
    };
    let sent = send_to_bot(core, &bot, SUGGESTION_RESPONSE_TYPE, &body, reply_to, wait).await?;
    let mut out = sent_output(&sent, reply_to);
    out.values_from(&executed);
    out.set("sent.displayText", &suggestion.display_text);
    out.set(
        "sent.postback",
        suggestion.postback.as_deref().unwrap_or_default(),
    );
    let summary = format!(
        "tapped {:?} ({}): response to {bot}: {}",
        suggestion.display_text,
        kind_name(suggestion),
        sent.outcome.summary()
    );
    Ok(out.finish(summary))
}

/// Where the tapped suggestion was shown.
enum Carrier {
    Menu(String),
    Message(Box<BotMessage>),
}

/// The bot message a tap or share answers. One the runner has just seen arrive may still be
/// being read: it is waited for a moment.
async fn carrying(core: &Core, bot: Option<&str>, id: Option<&str>) -> Result<BotMessage, String> {
    let bot = bot.map(|b| core.target(b)).transpose()?;
    let find = || match id {
        Some(id) => core.bots.by_id(id),
        None => core.bots.last(bot.as_deref()).1,
    };
    arrived(find).await.ok_or_else(|| match id {
        Some(id) => format!("no chatbot message {id} received"),
        None => "no chatbot message received yet".to_owned(),
    })
}

/// `find()`, polled for at most [`RECEIVED_GRACE`] until it finds something.
async fn arrived<T>(find: impl Fn() -> Option<T>) -> Option<T> {
    let deadline = tokio::time::Instant::now() + RECEIVED_GRACE;
    loop {
        let found = find();
        if found.is_some() || tokio::time::Instant::now() >= deadline {
            return found;
        }
        tokio::time::sleep(POLL).await;
    }
}

fn kind_name(s: &Suggestion) -> &str {
    match &s.kind {
        SuggestionKind::Reply => "reply",
        SuggestionKind::Action(name) => name,
    }
}

/// `executed` and the scalar fields of the action's object (`executed.url`,
/// `executed.location.latitude`...).
fn executed(s: &Suggestion) -> Vec<(String, String)> {
    let mut out = vec![("executed".to_owned(), kind_name(s).to_owned())];
    let SuggestionKind::Action(name) = &s.kind else {
        return out;
    };
    let pointer = format!("/{}", name.replace('.', "/"));
    if let Some(object) = s.json.pointer(&pointer) {
        flatten("executed", object, &mut out, 0);
    }
    out
}

fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>, depth: usize) {
    match value {
        Value::Object(map) if depth < 3 => {
            for (k, v) in map {
                flatten(&format!("{prefix}.{k}"), v, out, depth + 1);
            }
        }
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        Value::Number(_) | Value::Bool(_) => out.push((prefix.to_owned(), value.to_string())),
        _ => {}
    }
}

/// The §7.5 response to a tap, as a faulty terminal may bend it.
fn response_doc(faults: &Faults, s: &Suggestion) -> Value {
    let mut doc = bot::response_for(s);
    let Some(response) = doc.get_mut("response").and_then(Value::as_object_mut) else {
        return doc;
    };
    if faults.has(Fault::BotActionResponseAsReply)
        && let Some(action) = response.remove("action")
    {
        response.insert("reply".to_owned(), action);
    }
    if faults.has(Fault::BotResponseWrongPostback) {
        for inner in response.values_mut() {
            if let Some(postback) = inner.get_mut("postback").and_then(Value::as_object_mut) {
                postback.insert("data".to_owned(), Value::String(s.display_text.clone()));
            }
        }
    }
    doc
}

async fn share_device(core: &Core, p: ShareDeviceParams) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let bot = bot_uri(core, p.bot.as_deref()).await?;
    let [model, platform, vendor, version] = [p.model, p.platform, p.vendor, p.version]
        .into_iter()
        .zip(DEVICE)
        .map(|(given, default)| given.unwrap_or_else(|| default.to_owned()))
        .collect::<Vec<_>>()
        .try_into()
        .map_err(|_| "four device fields".to_owned())?;
    let doc = match core.faults.has(Fault::BotDeviceFieldsTooLong) {
        true => json!({ "sharedData": { "deviceSpecifics": {
            "deviceModel": model, "platformVersion": platform,
            "clientVendor": vendor, "clientVersion": version } } }),
        false => bot::device_specifics(&model, &platform, &vendor, &version),
    };
    let body =
        serde_json::to_string(&doc).map_err(|e| format!("failed to write the shared data: {e}"))?;
    let reply_to = core.bots.last(Some(&bot)).1;
    let sent = send_to_bot(
        core,
        &bot,
        SHARED_CLIENT_DATA_TYPE,
        &body,
        reply_to.as_ref(),
        wait,
    )
    .await?;
    let out = sent_output(&sent, reply_to.as_ref());
    let summary = format!("device specifics to {bot}: {}", sent.outcome.summary());
    Ok(out.finish(summary))
}

async fn share_location(core: &Core, p: ShareLocationParams) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let form = p
        .form
        .as_deref()
        .map_or(Ok(LocationForm::Geo), location_form)?;
    let bot = bot_uri(core, p.bot.as_deref()).await?;
    let latitude = p.latitude.unwrap_or(LOCATION.0);
    let longitude = p.longitude.unwrap_or(LOCATION.1);
    let label = p.label.unwrap_or_else(|| LOCATION.2.to_owned());
    let (content_type, body) = match form {
        LocationForm::Geo => {
            let mut text = bot::geo_fallback(latitude, longitude, &label);
            if core.faults.has(Fault::BotLocationWgs84) {
                text = text.replace("crs=gcj02", "crs=wgs84");
            }
            ("text/plain;charset=UTF-8", text)
        }
        LocationForm::Xml => {
            let identity = core.state().registration.identity.clone();
            let xml = super::bot_location::push_location(&identity, latitude, longitude, &label);
            (bot::PUSH_LOCATION_TYPE, xml)
        }
    };
    let reply_to = core.bots.last(Some(&bot)).1;
    let sent = send_to_bot(core, &bot, content_type, &body, reply_to.as_ref(), wait).await?;
    let out = sent_output(&sent, reply_to.as_ref());
    let summary = format!("location to {bot}: {}", sent.outcome.summary());
    Ok(out.finish(summary))
}

async fn report_spam(core: &Core, p: SpamParams) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let bot = bot_uri(core, p.bot.as_deref()).await?;
    let mut message_ids = match p.message_ids.is_empty() {
        true => core.bots.recent_ids(&bot, 1),
        false => p.message_ids,
    };
    if !core.faults.has(Fault::BotSpamTooManyIds) {
        message_ids.truncate(MAX_SPAM_IDS);
    }
    let count = message_ids.len();
    let report = SpamReport {
        chatbot: bot.clone(),
        message_ids,
        spam_type: p.spam_type,
        free_text: p.free_text,
    };
    let xml = String::from_utf8(report.to_xml())
        .map_err(|e| format!("failed to write the spam report: {e}"))?;
    let sent = send_to_bot(core, &bot, SPAM_REPORT_TYPE, &xml, None, wait).await?;
    let mut out = sent_output(&sent, None);
    out.set("sent.count", &count.to_string());
    let summary = format!(
        "spam report of {count} messages to {bot}: {}",
        sent.outcome.summary()
    );
    Ok(out.finish(summary))
}

async fn block_bot(core: &Core, p: BlockParams) -> Result<ActionOutput, String> {
    let bot = bot_uri(core, p.bot.as_deref()).await?;
    core.bots.set_blocked(&bot, p.blocked);
    let mut out = Output::new(String::new());
    out.set("blocked", &p.blocked.to_string());
    out.set("bot", &bot);
    let verb = if p.blocked { "blocked" } else { "unblocked" };
    Ok(out.finish(format!("{verb} {bot}")))
}

/// A pager MESSAGE of `content_type` to `bot`, in the conversation of `reply_to` and naming its
/// Contribution-ID in InReplyTo-Contribution-ID.
pub(crate) async fn send_to_bot(
    core: &Core,
    bot: &str,
    content_type: &str,
    body: &str,
    reply_to: Option<&BotMessage>,
    wait: std::time::Duration,
) -> Result<Sent, String> {
    let message_id = ids::imdn_message_id();
    let date_time = ids::date_time(SystemTime::now());
    let chat = Chat {
        text: body,
        content_type,
        disposition: "positive-delivery, display",
        message_id: &message_id,
        date_time: &date_time,
        omit: &[],
    };
    let conversation = reply_to.and_then(|m| m.conversation_id.clone());
    let in_reply_to = reply_to
        .and_then(|m| m.contribution_id.clone())
        .filter(|_| !core.faults.has(Fault::BotNoInReplyTo));
    let sent = core
        .send_chat_with(bot, chat, wait, |message| {
            let message = match &conversation {
                Some(id) => super::bot_sip::set_header(&message, "Conversation-ID", id)?,
                None => message,
            };
            match &in_reply_to {
                Some(id) => super::bot_sip::add_after_last(
                    &message,
                    "Contribution-ID",
                    "InReplyTo-Contribution-ID",
                    id,
                ),
                None => Ok(message),
            }
        })
        .await?;
    if sent
        .outcome
        .response()
        .is_some_and(super::register::is_success)
    {
        core.receipts.sent(&message_id);
    }
    Ok(sent)
}

/// `status` and what a MESSAGE to a chatbot carried.
fn sent_output(sent: &Sent, reply_to: Option<&BotMessage>) -> Output {
    let mut out = Output::new(sent.outcome.status());
    for name in [
        "Call-ID",
        "Conversation-ID",
        "Contribution-ID",
        "InReplyTo-Contribution-ID",
    ] {
        out.set(
            &format!("sent.{name}"),
            sent.request.header(name).unwrap_or_default(),
        );
    }
    let cpim = CpimMessage::parse(&sent.body).ok();
    let id = cpim
        .as_ref()
        .and_then(|c| c.imdn_message_id())
        .unwrap_or_default();
    out.set("sent.imdn.Message-ID", id);
    let inner = cpim
        .as_ref()
        .and_then(|c| c.content_type())
        .unwrap_or_default();
    out.set("sent.content-type", inner);
    let body = cpim.map(|c| String::from_utf8_lossy(c.body()).into_owned());
    out.set("sent.body", &body.unwrap_or_default());
    out.set(
        "in-reply-to",
        reply_to
            .and_then(|m| m.message_id.as_deref())
            .unwrap_or_default(),
    );
    out
}

impl Output {
    /// Sets every pair.
    fn values_from(&mut self, pairs: &[(String, String)]) {
        for (k, v) in pairs {
            self.set(k, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(json: Value) -> Suggestion {
        Suggestion {
            kind: SuggestionKind::Action("urlAction.openUrl".to_owned()),
            display_text: "打开网页".to_owned(),
            postback: Some("open_bill".to_owned()),
            json,
        }
    }

    #[test]
    fn an_executed_action_reports_its_fields() {
        let s = action(json!({ "urlAction": { "openUrl": {
            "url": "https://bank.example.cn/bill", "application": "webview", "viewMode": "half" } },
            "displayText": "打开网页", "postback": { "data": "open_bill" } }));
        let got = executed(&s);
        assert_eq!(
            got[0],
            ("executed".to_owned(), "urlAction.openUrl".to_owned())
        );
        assert!(got.contains(&(
            "executed.url".to_owned(),
            "https://bank.example.cn/bill".to_owned()
        )));
        assert!(got.contains(&("executed.viewMode".to_owned(), "half".to_owned())));
        let map = Suggestion {
            kind: SuggestionKind::Action("mapAction.showLocation".to_owned()),
            display_text: "网点".to_owned(),
            postback: None,
            json: json!({ "mapAction": { "showLocation": { "location": { "latitude": 39.9, "longitude": 116.4, "label": "网点" } } } }),
        };
        let got = executed(&map);
        assert!(got.contains(&("executed.location.latitude".to_owned(), "39.9".to_owned())));
        assert!(got.contains(&("executed.location.label".to_owned(), "网点".to_owned())));
    }

    fn faults(ids: &[&str]) -> Faults {
        let ids: Vec<String> = ids.iter().map(|f| (*f).to_owned()).collect();
        Faults::from_ids(&ids).unwrap()
    }

    #[test]
    fn the_response_names_the_tap_unless_a_fault_bends_it() {
        let s = action(json!({ "urlAction": { "openUrl": { "url": "https://bank.example.cn" } } }));
        let clean = response_doc(&faults(&[]), &s);
        assert_eq!(
            clean,
            json!({ "response": { "action": { "displayText": "打开网页", "postback": { "data": "open_bill" } } } })
        );
        let as_reply = response_doc(&faults(&["terminal.bot-action-response-as-reply"]), &s);
        assert_eq!(as_reply["response"]["reply"], clean["response"]["action"]);
        assert!(as_reply["response"].get("action").is_none());
        let wrong = response_doc(&faults(&["terminal.bot-response-wrong-postback"]), &s);
        assert_eq!(wrong["response"]["action"]["postback"]["data"], "打开网页");
    }

    #[test]
    fn display_texts_keep_their_order() {
        let a = action(Value::Null);
        let mut b = action(Value::Null);
        b.display_text = "查看详情".to_owned();
        assert_eq!(display_texts(&[a, b]), "打开网页 | 查看详情");
        assert_eq!(display_texts(&[]), "");
    }
}
