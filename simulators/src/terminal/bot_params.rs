//! The parameters of the terminal's chatbot actions as cases write them (protocols.md §7.4-7.6;
//! TRM-BOT-003..010), and their load-time checks.
//!
//! `bot` names a chatbot: a URI, or a role of kind `maap` (its default chatbot); left out, it is
//! the sender of the last bot message. Like every terminal parameter struct these deny unknown
//! fields; values may still be `${...}` placeholders at load time.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::params::{self, check_later, duration};

/// The chatbot actions: name and what it does.
pub(crate) const BOT_ACTIONS: [(&str, &str); 7] = [
    (
        "bot-messages",
        "report the chatbot messages shown: count, and the last one's validity, violations and suggestions",
    ),
    (
        "tap-suggestion",
        "tap a suggested reply or action of a bot message (or a menu entry): the action is executed and its response sent",
    ),
    (
        "share-device",
        "send the device specifics (botsharedclientdata) to a chatbot",
    ),
    (
        "share-location",
        "send a location to a chatbot: geo fallback text (crs=gcj02) or a push-location document",
    ),
    (
        "get-bot-info",
        "fetch a chatbot's information from the MaaP (HTTP GET /bot, with If-None-Match) and read its menu",
    ),
    (
        "report-spam",
        "report chatbot messages as spam (rcsspam-report MESSAGE, at most 10 message ids)",
    ),
    (
        "block-bot",
        "block (or unblock) a chatbot: its later messages are answered but not shown, and get no IMDN",
    ),
];

/// Most message ids a spam report carries (protocols.md §7.6).
pub(crate) const MAX_SPAM_IDS: usize = 10;

/// `bot-messages`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct BotMessagesParams {
    pub bot: Option<String>,
}

/// `tap-suggestion`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct TapParams {
    /// 1-based, over the suggestions of the message in order.
    pub index: Option<usize>,
    /// The suggestion's displayText.
    pub text: Option<String>,
    /// The bot message (its `imdn.Message-ID`); by default the last one.
    pub message_id: Option<String>,
    /// Tap an entry of the persistent menu of `bot` instead (read by `get-bot-info`).
    #[serde(default)]
    pub menu: bool,
    pub bot: Option<String>,
    pub timeout: Option<String>,
}

/// `share-device`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ShareDeviceParams {
    pub bot: Option<String>,
    pub model: Option<String>,
    pub platform: Option<String>,
    pub vendor: Option<String>,
    pub version: Option<String>,
    pub timeout: Option<String>,
}

/// `share-location`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ShareLocationParams {
    pub bot: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub label: Option<String>,
    /// `geo` (text/plain geo fallback, the default) or `xml` (push-location document).
    pub form: Option<String>,
    pub timeout: Option<String>,
}

/// `get-bot-info`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct BotInfoParams {
    pub bot: Option<String>,
    /// If-None-Match; by default the ETag of the last answer for this chatbot.
    pub etag: Option<String>,
    /// `hl`, the language (default zh).
    pub language: Option<String>,
    pub timeout: Option<String>,
}

/// `report-spam`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct SpamParams {
    pub bot: Option<String>,
    /// The messages reported; by default the last one from the chatbot.
    #[serde(default)]
    pub message_ids: Vec<String>,
    pub spam_type: Option<String>,
    pub free_text: Option<String>,
    pub timeout: Option<String>,
}

/// `block-bot`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct BlockParams {
    pub bot: Option<String>,
    /// false unblocks.
    #[serde(default = "yes")]
    pub blocked: bool,
}

fn yes() -> bool {
    true
}

/// Whether `action` is a chatbot action.
pub(crate) fn is_bot_action(action: &str) -> bool {
    BOT_ACTIONS.iter().any(|(name, _)| *name == action)
}

/// Checks a chatbot action's parameters at load time.
pub(crate) fn check(action: &str, map: &Map<String, Value>) -> Result<(), String> {
    let timeout = match action {
        "bot-messages" => return params::parse::<BotMessagesParams>(map).map(|_| ()),
        "block-bot" => return params::parse::<BlockParams>(map).map(|_| ()),
        "tap-suggestion" => {
            let p: TapParams = params::parse(map)?;
            match (p.index, &p.text) {
                (Some(_), Some(_)) => return Err("give `index` or `text`, not both".to_owned()),
                (None, None) => return Err("give the suggestion's `index` or `text`".to_owned()),
                (Some(0), None) => return Err("index is 1-based".to_owned()),
                _ => {}
            }
            p.timeout
        }
        "share-device" => params::parse::<ShareDeviceParams>(map)?.timeout,
        "share-location" => {
            let p: ShareLocationParams = params::parse(map)?;
            check_later(p.form.as_deref(), location_form)?;
            p.timeout
        }
        "get-bot-info" => params::parse::<BotInfoParams>(map)?.timeout,
        "report-spam" => params::parse::<SpamParams>(map)?.timeout,
        other => return Err(format!("a terminal has no action `{other}`")),
    };
    check_later(timeout.as_deref(), duration)
}

/// How a location is shared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LocationForm {
    Geo,
    Xml,
}

pub(crate) fn location_form(value: &str) -> Result<LocationForm, String> {
    match value {
        "geo" => Ok(LocationForm::Geo),
        "xml" => Ok(LocationForm::Xml),
        other => Err(format!("form `{other}` is not `geo` or `xml`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("test maps are objects"),
        }
    }

    #[test]
    fn every_bot_action_is_checked() {
        assert!(BOT_ACTIONS.iter().all(|(name, _)| is_bot_action(name)));
        assert!(!is_bot_action("send-pager"));
        assert!(check("bot-messages", &Map::new()).is_ok());
        assert!(check("tap-suggestion", &map(json!({ "index": 2 }))).is_ok());
        assert!(
            check(
                "tap-suggestion",
                &map(json!({ "text": "查看详情", "menu": true }))
            )
            .is_ok()
        );
        assert!(check("share-device", &Map::new()).is_ok());
        assert!(
            check(
                "share-location",
                &map(json!({ "latitude": 39.9, "longitude": 116.4 }))
            )
            .is_ok()
        );
        assert!(
            check(
                "get-bot-info",
                &map(json!({ "bot": "maap", "etag": "\"v1\"" }))
            )
            .is_ok()
        );
        assert!(
            check(
                "report-spam",
                &map(json!({ "message-ids": ["a", "b"], "spam-type": "fraud" }))
            )
            .is_ok()
        );
        assert!(
            check(
                "block-bot",
                &map(json!({ "bot": "maap", "blocked": false }))
            )
            .is_ok()
        );
    }

    #[test]
    fn bad_parameters_are_load_errors() {
        assert!(check("tap-suggestion", &Map::new()).is_err());
        assert!(check("tap-suggestion", &map(json!({ "index": 0 }))).is_err());
        assert!(check("tap-suggestion", &map(json!({ "index": 1, "text": "x" }))).is_err());
        assert!(check("share-location", &map(json!({ "form": "kml" }))).is_err());
        assert!(check("share-location", &map(json!({ "form": "${f}" }))).is_ok());
        assert!(check("get-bot-info", &map(json!({ "timeout": "soon" }))).is_err());
        assert!(check("report-spam", &map(json!({ "ids": ["a"] }))).is_err());
        assert!(check("bot-info", &Map::new()).is_err());
    }
}
