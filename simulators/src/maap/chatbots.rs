//! The chatbots a MaaP provisions (protocols.md §7.1 addressing, §7.6 chatbot information,
//! §10.2 chatbot policy): their URI, developer family and credentials, status, rights and limits.
//!
//! A case lists them in the `chatbots:` setting (see `settings`); without it the MaaP provisions
//! [`DEFAULT_CHATBOT`] (CMCC family). The CT/CU default [`DEFAULT_CTCU_CHATBOT`] always exists too,
//! unless a listed chatbot takes its URI. This module only describes chatbots; it does not enforce
//! policy (`policy`) or answer bot-info requests (`bot_info`).

use serde_json::{Map, Value};

/// The CMCC-family chatbot provisioned by default.
pub(crate) const DEFAULT_CHATBOT: &str = "sip:12599@botplatform.rcs.chinamobile.com";
pub(crate) const DEFAULT_APP_ID: &str = "bank-cc";
pub(crate) const DEFAULT_SECRET: &str = "s3cret-bank";
/// The CT/CU-family chatbot that always exists.
pub(crate) const DEFAULT_CTCU_CHATBOT: &str = "sip:106500@botplatform.rcs.domain.cn";
pub(crate) const DEFAULT_CTCU_APP_ID: &str = "bank-ct";
pub(crate) const DEFAULT_CTCU_SECRET: &str = "ct-app-key";
/// The service name of the default chatbots.
const DEFAULT_NAME: &str = "某银行信用卡";

/// Every field a `chatbots:` entry may carry.
const FIELDS: &[&str] = &[
    "uri",
    "family",
    "app-id",
    "secret",
    "name",
    "status",
    "whitelist",
    "per-second",
    "daily-cap",
    "interaction-right",
    "push-right",
    "callback",
    "other-net",
    "service-range",
    "province",
];

/// Which developer API a chatbot's server speaks (protocols.md §8.1 CMCC, §8.2 CT/CU).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Family {
    Cmcc,
    Ctcu,
}

impl Family {
    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "cmcc" => Ok(Self::Cmcc),
            "ctcu" => Ok(Self::Ctcu),
            other => Err(format!("family `{other}` is not `cmcc` or `ctcu`")),
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Cmcc => "cmcc",
            Self::Ctcu => "ctcu",
        }
    }
}

/// A chatbot's status (protocols.md §7.6 `status`: 0 normal, 1 debug, 2 paused).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BotStatus {
    Normal,
    Debug,
    Paused,
}

impl BotStatus {
    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "normal" => Ok(Self::Normal),
            "debug" => Ok(Self::Debug),
            "paused" => Ok(Self::Paused),
            other => Err(format!("status `{other}` is not normal, debug or paused")),
        }
    }

    /// The CT/CU numeric code (§7.6).
    pub(crate) fn code(self) -> u8 {
        match self {
            Self::Normal => 0,
            Self::Debug => 1,
            Self::Paused => 2,
        }
    }
}

/// Where a chatbot offers its service (protocols.md §10.1 `serviceRange`: 0 its province, 1
/// nationwide); see `carrier`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ServiceRange {
    Province,
    Nationwide,
}

impl ServiceRange {
    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "province" => Ok(Self::Province),
            "nationwide" => Ok(Self::Nationwide),
            other => Err(format!(
                "service-range `{other}` is not `province` or `nationwide`"
            )),
        }
    }
}

/// One provisioned chatbot.
#[derive(Clone, Debug)]
pub(crate) struct Chatbot {
    pub uri: String,
    pub family: Family,
    pub app_id: String,
    /// The CMCC password or the CT/CU appKey.
    pub secret: String,
    pub name: String,
    pub status: BotStatus,
    /// Users a debug chatbot may reach: tel URIs once the case's roles are known (role names
    /// until then).
    pub whitelist: Vec<String>,
    pub per_second: Option<u32>,
    pub daily_cap: Option<u32>,
    pub interaction_right: bool,
    pub push_right: bool,
    /// Base URL of the chatbot server's callbacks; None: the csp-bot peer's HTTP address.
    pub callback: Option<String>,
    /// Whether it may reach users of other carriers (CMCC `otherNetSupport`, §9.3).
    pub other_net: bool,
    pub service_range: ServiceRange,
    /// Its province; None: the MaaP's.
    pub province: Option<String>,
}

impl Chatbot {
    /// A chatbot of `family` with `uri` and every other field at its default.
    pub(crate) fn new(uri: &str, family: Family) -> Self {
        let (app_id, secret) = match family {
            Family::Cmcc if uri == DEFAULT_CHATBOT => (DEFAULT_APP_ID, DEFAULT_SECRET),
            Family::Ctcu if uri == DEFAULT_CTCU_CHATBOT => {
                (DEFAULT_CTCU_APP_ID, DEFAULT_CTCU_SECRET)
            }
            Family::Cmcc => (DEFAULT_APP_ID, DEFAULT_SECRET),
            Family::Ctcu => (DEFAULT_CTCU_APP_ID, DEFAULT_CTCU_SECRET),
        };
        Self {
            uri: uri.to_owned(),
            family,
            app_id: app_id.to_owned(),
            secret: secret.to_owned(),
            name: DEFAULT_NAME.to_owned(),
            status: BotStatus::Normal,
            whitelist: Vec::new(),
            per_second: None,
            daily_cap: None,
            interaction_right: true,
            push_right: true,
            callback: None,
            other_net: true,
            service_range: ServiceRange::Nationwide,
            province: None,
        }
    }

    /// The user part of the URI: the chatbot's service number (`12599`).
    pub(crate) fn service_id(&self) -> &str {
        let rest = self
            .uri
            .split_once(':')
            .map_or(self.uri.as_str(), |(_, r)| r);
        rest.split('@').next().unwrap_or(rest)
    }

    /// The host part of the URI (the chatbot platform domain).
    pub(crate) fn domain(&self) -> &str {
        self.uri.split_once('@').map_or("", |(_, host)| host)
    }

    /// Reads one `chatbots:` entry.
    pub(crate) fn from_value(value: &Value) -> Result<Self, String> {
        let Value::Object(map) = value else {
            return Err("a chatbot entry is not a map".to_owned());
        };
        if let Some(unknown) = map.keys().find(|k| !FIELDS.contains(&k.as_str())) {
            return Err(format!(
                "chatbot field `{unknown}` is unknown (known: {})",
                FIELDS.join(", ")
            ));
        }
        let family = match text(map, "family")? {
            Some(name) => Family::parse(&name)?,
            None => Family::Cmcc,
        };
        let default_uri = match family {
            Family::Cmcc => DEFAULT_CHATBOT,
            Family::Ctcu => DEFAULT_CTCU_CHATBOT,
        };
        let uri = text(map, "uri")?.unwrap_or_else(|| default_uri.to_owned());
        if !uri.starts_with("sip:") || !uri.contains('@') {
            return Err(format!(
                "chatbot uri `{uri}` is not a sip: URI with a domain"
            ));
        }
        let mut bot = Self::new(&uri, family);
        if let Some(v) = text(map, "app-id")? {
            bot.app_id = v;
        }
        if let Some(v) = text(map, "secret")? {
            bot.secret = v;
        }
        if let Some(v) = text(map, "name")? {
            bot.name = v;
        }
        if let Some(v) = text(map, "status")? {
            bot.status = BotStatus::parse(&v)?;
        }
        bot.whitelist = list(map, "whitelist")?;
        bot.per_second = count(map, "per-second")?;
        bot.daily_cap = count(map, "daily-cap")?;
        bot.interaction_right = flag(map, "interaction-right")?.unwrap_or(true);
        bot.push_right = flag(map, "push-right")?.unwrap_or(true);
        bot.callback = text(map, "callback")?;
        bot.other_net = flag(map, "other-net")?.unwrap_or(true);
        if let Some(v) = text(map, "service-range")? {
            bot.service_range = ServiceRange::parse(&v)?;
        }
        bot.province = text(map, "province")?;
        Ok(bot)
    }
}

/// A string field, or None when absent.
pub(crate) fn text(map: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(format!("`{key}` is not a string")),
    }
}

/// A list of strings (a lone string counts as a list of one).
pub(crate) fn list(map: &Map<String, Value>, key: &str) -> Result<Vec<String>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                _ => Err(format!("`{key}` holds something other than strings")),
            })
            .collect(),
        Some(_) => Err(format!("`{key}` is not a list of strings")),
    }
}

fn count(map: &Map<String, Value>, key: &str) -> Result<Option<u32>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| format!("`{key}` is not a whole number")),
    }
}

fn flag(map: &Map<String, Value>, key: &str) -> Result<Option<bool>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(format!("`{key}` is not true or false")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_empty_entry_is_the_default_chatbot() {
        let bot = Chatbot::from_value(&json!({})).unwrap();
        assert_eq!(bot.uri, DEFAULT_CHATBOT);
        assert_eq!(bot.app_id, DEFAULT_APP_ID);
        assert_eq!(bot.status, BotStatus::Normal);
        assert!(bot.push_right && bot.interaction_right);
        assert_eq!(bot.service_id(), "12599");
        assert_eq!(bot.domain(), "botplatform.rcs.chinamobile.com");
    }

    #[test]
    fn fields_are_read_and_unknown_ones_refused() {
        let bot = Chatbot::from_value(&json!({
            "family": "ctcu", "status": "debug", "whitelist": ["alice"],
            "per-second": 5, "push-right": false
        }))
        .unwrap();
        assert_eq!(bot.uri, DEFAULT_CTCU_CHATBOT);
        assert_eq!(bot.secret, DEFAULT_CTCU_SECRET);
        assert_eq!(bot.status, BotStatus::Debug);
        assert_eq!(bot.whitelist, ["alice"]);
        assert_eq!(bot.per_second, Some(5));
        assert!(!bot.push_right);
        let err = Chatbot::from_value(&json!({"colour": "red"})).unwrap_err();
        assert!(err.contains("`colour`"), "{err}");
        assert!(Chatbot::from_value(&json!({"uri": "tel:+1"})).is_err());
        assert!(Chatbot::from_value(&json!({"status": "sleepy"})).is_err());
    }
}
