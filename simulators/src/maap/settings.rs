//! The settings of a MaaP (role kind `maap`): its chatbots, content policy, users' blocks and the
//! chatbot domains it serves (protocols.md §7.1, §10.2).
//!
//! ```yaml
//! maap: { kind: maap, settings: {
//!   chatbots: [ { uri: "sip:12599@botplatform.rcs.chinamobile.com", family: cmcc, app-id: bank-cc,
//!                 secret: s3cret-bank, name: 某银行信用卡, status: normal, whitelist: [alice],
//!                 per-second: 5, daily-cap: 10, interaction-right: true, push-right: true,
//!                 callback: "http://127.0.0.1:9/cb" } ],      # every field optional
//!   sensitive-words: [发票],
//!   blocked: [ { user: bob, chatbot: "sip:12599@botplatform.rcs.chinamobile.com" } ],
//!   chatbot-domains: [botplatform.rcs.chinamobile.com],
//!   province: beijing, user-provinces: { bob: guangdong } } }
//! ```
//!
//! Chatbot entries may also say `other-net: false`, `service-range: province` and `province:`;
//! `other-net-delivery: nni | sms` says how other carriers' users are reached; the MaaP's carrier
//! (its role's `carrier:`), that profile and the province model are in `carrier`.
//!
//! User names (`whitelist`, `blocked.user`) are role names of the case or tel URIs; role names
//! become tel URIs in [`MaapSettings::resolve`] once every role of the case is known. Settings
//! other than these are refused, naming the known ones.

use std::collections::BTreeMap;

use rcs_harness::agent::Peer;
use rcs_harness::role::Carrier;
use serde_json::{Map, Value};

use super::chatbots::{self, Chatbot, DEFAULT_CHATBOT, DEFAULT_CTCU_CHATBOT, Family};

/// Every setting a MaaP accepts.
const KNOWN: &[&str] = &[
    "chatbots",
    "sensitive-words",
    "blocked",
    "chatbot-domains",
    "province",
    "user-provinces",
    "other-net-delivery",
];

/// The chatbot platform domains served when the case names none.
pub(crate) const DEFAULT_CHATBOT_DOMAINS: &[&str] = &[
    "botplatform.rcs.chinamobile.com",
    "botplatform.rcs.domain.cn",
];

/// A MaaP's settings.
#[derive(Clone, Debug)]
pub(crate) struct MaapSettings {
    pub chatbots: Vec<Chatbot>,
    pub sensitive_words: Vec<String>,
    /// `(user tel URI, chatbot URI)`: the user blocked the chatbot.
    pub blocked: Vec<(String, String)>,
    pub chatbot_domains: Vec<String>,
    /// The carrier it belongs to (its role's; see `carrier::rehome`).
    pub carrier: Carrier,
    /// Its province (protocols.md §10.1 serviceRange; see `carrier`).
    pub province: String,
    /// `(user, province)`: users of a province other than the MaaP's.
    pub user_provinces: Vec<(String, String)>,
    /// How other carriers' users are reached (`other-net-delivery`, §9.3; see `carrier`).
    pub other_net_delivery: super::carrier::OtherNetDelivery,
}

impl Default for MaapSettings {
    fn default() -> Self {
        Self {
            chatbots: with_defaults(Vec::new()),
            sensitive_words: Vec::new(),
            blocked: Vec::new(),
            chatbot_domains: DEFAULT_CHATBOT_DOMAINS
                .iter()
                .map(|d| (*d).to_owned())
                .collect(),
            carrier: Carrier::default(),
            province: super::carrier::DEFAULT_PROVINCE.to_owned(),
            user_provinces: Vec::new(),
            other_net_delivery: super::carrier::OtherNetDelivery::Nni,
        }
    }
}

impl MaapSettings {
    /// Reads the settings of a case (user names not yet resolved).
    pub(crate) fn from_map(map: &Map<String, Value>) -> Result<Self, String> {
        if let Some(unknown) = map.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(format!(
                "maap setting `{unknown}` is unknown (known: {})",
                KNOWN.join(", ")
            ));
        }
        let mut settings = Self::default();
        if let Some(value) = map.get("chatbots") {
            let Value::Array(entries) = value else {
                return Err("`chatbots` is not a list".to_owned());
            };
            let listed = entries
                .iter()
                .map(Chatbot::from_value)
                .collect::<Result<Vec<_>, _>>()?;
            settings.chatbots = with_defaults(listed);
        }
        settings.sensitive_words = chatbots::list(map, "sensitive-words")?;
        settings.blocked = blocked(map.get("blocked"))?;
        let domains = chatbots::list(map, "chatbot-domains")?;
        if !domains.is_empty() {
            settings.chatbot_domains = domains;
        }
        if let Some(province) = chatbots::text(map, "province")? {
            settings.province = province;
        }
        settings.user_provinces = user_provinces(map.get("user-provinces"))?;
        settings.other_net_delivery =
            super::carrier::OtherNetDelivery::from_setting(map.get("other-net-delivery"))?;
        Ok(settings)
    }

    /// Turns role names in whitelists and blocks into the tel URIs of their subscribers.
    /// Names that are neither a role with a subscriber nor a URI are left as written.
    pub(crate) fn resolve(&mut self, peers: &BTreeMap<String, Peer>) {
        for bot in &mut self.chatbots {
            for user in &mut bot.whitelist {
                *user = tel_of(user, peers);
            }
        }
        for (user, _) in &mut self.blocked {
            *user = tel_of(user, peers);
        }
        for (user, _) in &mut self.user_provinces {
            *user = tel_of(user, peers);
        }
    }

    /// The chatbot with this URI or app id.
    pub(crate) fn chatbot(&self, uri_or_app_id: &str) -> Option<&Chatbot> {
        let wanted = uri_or_app_id.trim();
        self.chatbots
            .iter()
            .find(|b| same_uri(&b.uri, wanted))
            .or_else(|| self.chatbots.iter().find(|b| b.app_id == wanted))
            .or_else(|| super::carrier::rehomed_default(self, wanted))
    }
}

/// Compares two chatbot URIs, ignoring the case of the scheme and host and any parameters.
pub(crate) fn same_uri(a: &str, b: &str) -> bool {
    fn key(uri: &str) -> String {
        let bare = uri.trim().trim_start_matches('<').trim_end_matches('>');
        let bare = bare.split([';', '?', '>']).next().unwrap_or(bare);
        match bare.split_once('@') {
            Some((user, host)) => format!(
                "{}@{}",
                user.to_ascii_lowercase(),
                host.to_ascii_lowercase()
            ),
            None => bare.to_ascii_lowercase(),
        }
    }
    key(a) == key(b)
}

/// The listed chatbots, then the defaults whose URI nobody took.
fn with_defaults(mut listed: Vec<Chatbot>) -> Vec<Chatbot> {
    if listed.is_empty() {
        listed.push(Chatbot::new(DEFAULT_CHATBOT, Family::Cmcc));
    }
    if !listed
        .iter()
        .any(|b| same_uri(&b.uri, DEFAULT_CTCU_CHATBOT))
    {
        listed.push(Chatbot::new(DEFAULT_CTCU_CHATBOT, Family::Ctcu));
    }
    listed
}

fn blocked(value: Option<&Value>) -> Result<Vec<(String, String)>, String> {
    let entries = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(entries)) => entries,
        Some(_) => return Err("`blocked` is not a list".to_owned()),
    };
    entries
        .iter()
        .map(|entry| {
            let Value::Object(map) = entry else {
                return Err("a `blocked` entry is not a map of user and chatbot".to_owned());
            };
            if let Some(unknown) = map
                .keys()
                .find(|k| !["user", "chatbot"].contains(&k.as_str()))
            {
                return Err(format!(
                    "`blocked` field `{unknown}` is unknown (known: user, chatbot)"
                ));
            }
            let user = chatbots::text(map, "user")?
                .ok_or_else(|| "a `blocked` entry lacks `user`".to_owned())?;
            let chatbot =
                chatbots::text(map, "chatbot")?.unwrap_or_else(|| DEFAULT_CHATBOT.to_owned());
            Ok((user, chatbot))
        })
        .collect()
}

/// `user-provinces`: a map of user (role name or number) to province.
fn user_provinces(value: Option<&Value>) -> Result<Vec<(String, String)>, String> {
    let entries = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(entries)) => entries,
        Some(_) => return Err("`user-provinces` is not a map of user to province".to_owned()),
    };
    entries
        .iter()
        .map(|(user, province)| match province {
            Value::String(p) => Ok((user.clone(), p.clone())),
            _ => Err(format!("the province of `{user}` is not a string")),
        })
        .collect()
}

/// The tel URI of a role name, a tel URI as given, or the name unchanged.
pub(crate) fn tel_of(user: &str, peers: &BTreeMap<String, Peer>) -> String {
    if let Some(subscriber) = peers.get(user).and_then(|p| p.subscriber.as_ref()) {
        return subscriber.tel_uri();
    }
    if user.starts_with('+') {
        return format!("tel:{user}");
    }
    user.to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_harness::role::{RoleKind, Subscriber};
    use serde_json::json;

    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn defaults_hold_both_default_chatbots() {
        let s = MaapSettings::from_map(&Map::new()).unwrap();
        assert_eq!(s.chatbots.len(), 2);
        assert_eq!(s.chatbot("bank-cc").unwrap().uri, DEFAULT_CHATBOT);
        let ct = s.chatbot("<sip:106500@BOTPLATFORM.rcs.domain.cn>").unwrap();
        assert_eq!(ct.family, Family::Ctcu);
        assert_eq!(s.chatbot_domains.len(), 2);
    }

    #[test]
    fn names_resolve_to_tel_uris_once_peers_are_known() {
        let mut s = MaapSettings::from_map(&map(json!({
            "chatbots": [{"status": "debug", "whitelist": ["alice", "+8613800000009"]}],
            "blocked": [{"user": "alice"}],
            "sensitive-words": ["发票"],
        })))
        .unwrap();
        let alice = Peer {
            name: "alice".into(),
            kind: RoleKind::Terminal,
            subscriber: Some(Subscriber::builtin(1, true)),
            sip_udp: None,
            sip_tcp: None,
            sip_tls: None,
            http: None,
            carrier: Default::default(),
        };
        let tel = alice.subscriber.as_ref().unwrap().tel_uri();
        s.resolve(&BTreeMap::from([("alice".to_owned(), alice)]));
        assert_eq!(
            s.chatbots[0].whitelist,
            [tel.clone(), "tel:+8613800000009".into()]
        );
        assert_eq!(s.blocked, [(tel, DEFAULT_CHATBOT.to_owned())]);
        assert_eq!(s.sensitive_words, ["发票"]);
    }

    #[test]
    fn unknown_settings_are_refused() {
        let err = MaapSettings::from_map(&map(json!({"chatbot": []}))).unwrap_err();
        assert!(
            err.contains("`chatbot`") && err.contains("chatbots"),
            "{err}"
        );
        assert!(MaapSettings::from_map(&map(json!({"blocked": [{"who": "x"}]}))).is_err());
    }
}
