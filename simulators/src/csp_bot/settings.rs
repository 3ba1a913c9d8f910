//! The settings of a chatbot server (role kind `csp-bot`) and the small readers its actions share.
//!
//! ```yaml
//! bank: { kind: csp-bot, settings: {
//!   chatbot: "sip:12599@botplatform.rcs.chinamobile.com",   # the chatbot it speaks for
//!   family: cmcc,                                          # cmcc (China Mobile XML) | ctcu (CT/CU JSON)
//!   app-id: bank-cc, secret: s3cret-bank,                  # its developer credentials at the MaaP
//!   maap-api: "127.0.0.1:8080",                            # else the `maap` peer's HTTP address
//!   replies: { installments: { card: {…}, suggestions: […] } } } }   # postback data → `send` parameters
//! ```
//!
//! The defaults are the MaaP's default chatbots (contracts §C, §H): CMCC `bank-cc` /
//! `s3cret-bank` for `sip:12599@botplatform.rcs.chinamobile.com`, CT/CU `bank-ct` /
//! `ct-app-key` for `sip:106500@botplatform.rcs.domain.cn`. Settings other than these are
//! refused, naming the known ones; the family modules read theirs from [`BotSettings::raw`]
//! once their key is listed in [`KNOWN`].

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Map, Value};

/// The CMCC-family chatbot the MaaP provisions by default.
pub(crate) const DEFAULT_CHATBOT: &str = "sip:12599@botplatform.rcs.chinamobile.com";
pub(crate) const DEFAULT_APP_ID: &str = "bank-cc";
pub(crate) const DEFAULT_SECRET: &str = "s3cret-bank";
/// The CT/CU-family chatbot the MaaP provisions by default.
pub(crate) const DEFAULT_CTCU_CHATBOT: &str = "sip:106500@botplatform.rcs.domain.cn";
pub(crate) const DEFAULT_CTCU_APP_ID: &str = "bank-ct";
pub(crate) const DEFAULT_CTCU_SECRET: &str = "ct-app-key";

/// Every setting a chatbot server accepts.
pub(crate) const KNOWN: &[&str] = &[
    "chatbot", "family", "app-id", "secret", "maap-api", "replies",
];

/// Which developer API the chatbot speaks (protocols.md §8.1 CMCC, §8.2 CT/CU).
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

/// Where the MaaP's developer API is, when the case names it instead of a `maap` peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ApiAddr {
    pub addr: SocketAddr,
    pub tls: bool,
}

/// A chatbot server's settings.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct BotSettings {
    pub chatbot: String,
    pub family: Family,
    pub app_id: String,
    pub secret: String,
    pub maap_api: Option<ApiAddr>,
    /// Postback data → the `send` parameters of the answer (without `to` and `reply-to`).
    pub replies: BTreeMap<String, Map<String, Value>>,
    /// The settings as written, for what a family module reads itself.
    pub raw: Map<String, Value>,
}

impl BotSettings {
    /// Reads the settings; unknown keys and wrong types are errors naming the key.
    pub(crate) fn from_map(map: &Map<String, Value>) -> Result<Self, String> {
        if let Some(unknown) = map.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(format!(
                "unknown csp-bot setting `{unknown}` (known: {})",
                KNOWN.join(", ")
            ));
        }
        let family = match string(map, "family")? {
            Some(text) => Family::parse(&text)?,
            None => Family::Cmcc,
        };
        let (chatbot, app_id, secret) = match family {
            Family::Cmcc => (DEFAULT_CHATBOT, DEFAULT_APP_ID, DEFAULT_SECRET),
            Family::Ctcu => (
                DEFAULT_CTCU_CHATBOT,
                DEFAULT_CTCU_APP_ID,
                DEFAULT_CTCU_SECRET,
            ),
        };
        let maap_api = string(map, "maap-api")?
            .map(|text| api_addr(&text))
            .transpose()?;
        Ok(Self {
            chatbot: string(map, "chatbot")?.unwrap_or_else(|| chatbot.to_owned()),
            family,
            app_id: string(map, "app-id")?.unwrap_or_else(|| app_id.to_owned()),
            secret: string(map, "secret")?.unwrap_or_else(|| secret.to_owned()),
            maap_api,
            replies: replies(map.get("replies"))?,
            raw: map.clone(),
        })
    }
}

/// A string setting, absent or a string.
fn string(map: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("setting `{key}` must be a string, not {other}")),
    }
}

/// `host:port`, `http://host:port` or `https://host:port` (a trailing `/` allowed).
pub(crate) fn api_addr(text: &str) -> Result<ApiAddr, String> {
    let (rest, tls) = if let Some(rest) = text.strip_prefix("https://") {
        (rest, true)
    } else {
        (text.strip_prefix("http://").unwrap_or(text), false)
    };
    let addr = rest
        .trim_end_matches('/')
        .parse()
        .map_err(|_| format!("maap-api `{text}` is not [http[s]://]ip:port"))?;
    Ok(ApiAddr { addr, tls })
}

fn replies(value: Option<&Value>) -> Result<BTreeMap<String, Map<String, Value>>, String> {
    let Some(value) = value else {
        return Ok(BTreeMap::new());
    };
    let Value::Object(map) = value else {
        return Err("setting `replies` must map postback data to `send` parameters".to_owned());
    };
    map.iter()
        .map(|(postback, params)| match params {
            Value::Object(params) => Ok((postback.clone(), params.clone())),
            Value::String(text) => {
                let mut params = Map::new();
                params.insert("text".to_owned(), Value::String(text.clone()));
                Ok((postback.clone(), params))
            }
            other => Err(format!(
                "reply to `{postback}` must be `send` parameters or a text, not {other}"
            )),
        })
        .collect()
}

/// Reads a duration such as `5s`, `500ms` or `2m`.
pub(crate) fn duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("duration `{text}` is not a number with a unit (ms, s, m)"))?;
    match unit {
        "ms" => Ok(Duration::from_millis(n)),
        "s" => Ok(Duration::from_secs(n)),
        "m" => Ok(Duration::from_secs(n.saturating_mul(60))),
        _ => Err(format!("duration `{text}` has no unit (ms, s, m)")),
    }
}

/// True for a value the runner fills in later (`${...}`).
pub(crate) fn is_placeholder(text: &str) -> bool {
    text.contains("${")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn defaults_follow_the_family() {
        let cmcc = BotSettings::from_map(&Map::new()).unwrap();
        assert_eq!(cmcc.family, Family::Cmcc);
        assert_eq!(cmcc.chatbot, DEFAULT_CHATBOT);
        assert_eq!(
            (cmcc.app_id.as_str(), cmcc.secret.as_str()),
            ("bank-cc", "s3cret-bank")
        );
        let ctcu = BotSettings::from_map(&map(json!({"family": "ctcu"}))).unwrap();
        assert_eq!(ctcu.chatbot, DEFAULT_CTCU_CHATBOT);
        assert_eq!(
            (ctcu.app_id.as_str(), ctcu.secret.as_str()),
            ("bank-ct", "ct-app-key")
        );
    }

    #[test]
    fn replies_take_parameters_or_a_text() {
        let s = BotSettings::from_map(&map(json!({
            "replies": { "installments": { "card": { "title": "3 期" } }, "pay": "ok" }
        })))
        .unwrap();
        assert_eq!(s.replies["installments"]["card"]["title"], "3 期");
        assert_eq!(s.replies["pay"]["text"], "ok");
        let err = BotSettings::from_map(&map(json!({"replies": {"x": 3}}))).unwrap_err();
        assert_eq!(
            err,
            "reply to `x` must be `send` parameters or a text, not 3"
        );
    }

    #[test]
    fn wrong_settings_are_named() {
        let err = BotSettings::from_map(&map(json!({"familly": "cmcc"}))).unwrap_err();
        assert!(
            err.starts_with("unknown csp-bot setting `familly`"),
            "{err}"
        );
        let err = BotSettings::from_map(&map(json!({"family": "cu"}))).unwrap_err();
        assert_eq!(err, "family `cu` is not `cmcc` or `ctcu`");
        let err = BotSettings::from_map(&map(json!({"secret": 5}))).unwrap_err();
        assert_eq!(err, "setting `secret` must be a string, not 5");
    }

    #[test]
    fn the_api_address_may_carry_a_scheme() {
        let plain = api_addr("127.0.0.1:8080").unwrap();
        assert_eq!((plain.addr.port(), plain.tls), (8080, false));
        assert!(api_addr("https://127.0.0.1:8443/").unwrap().tls);
        assert!(api_addr("http://localhost:80").is_err());
    }

    #[test]
    fn durations_need_a_unit() {
        assert_eq!(duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(duration("2m").unwrap(), Duration::from_secs(120));
        assert!(duration("5").is_err());
        assert!(duration("s").is_err());
    }
}
