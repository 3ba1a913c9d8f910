//! A MaaP among carriers (protocols.md §9.3 "Chatbots across carriers", §10.1 `serviceRange`,
//! §8.1.3 `otherNetSupport`; IWK-BOT-001..005): which carrier it belongs to, the domain its
//! chatbots live in, and whether a chatbot may reach a user of another carrier or province.
//!
//! A MaaP belongs to its role's `carrier:` and serves that carrier's chatbot domain: a chatbot
//! provisioned at the CMCC default URI (`sip:12599@botplatform.rcs.chinamobile.com`, the default
//! chatbot and the csp-bot's default) lives in its carrier's chatbot domain instead
//! ([`rehome`]); a chatbot listed with another URI keeps it. For a China Mobile MaaP nothing
//! changes.
//!
//! Per recipient ([`CarrierRules::refusal`]):
//! - Other carriers: the serving carrier of a user is found as the gateway finds it (number
//!   portability database of every subscriber of the case, then the number range,
//!   `iwg::route::NumberPlan`). A chatbot with `other-net: false` (CMCC `otherNetSupport` false,
//!   the default being true) reaches only its own carrier's users; the
//!   others fail with errorCode 1 / `DeliveryImpossible` and no SIP is sent. A number no carrier
//!   owns counts as the MaaP's own. Users of other carriers are reached over the NNI: the
//!   message center hands the MESSAGE to its gateway.
//! - Provinces, a simple model: the MaaP is in `province` (setting, default `beijing`); a user is
//!   in the province `user-provinces` gives it (by role name or number), else in the MaaP's; a
//!   chatbot is in its `province` (default the MaaP's). A chatbot with `service-range: province`
//!   (`serviceRange` 0) reaches only users of its province, other users fail like other-net.
//!   Numbers carry no province in this model.
//!
//! Not modelled: the `otherNetSupport` element on a CMCC send (the request document reader does
//! not read it; the chatbot's setting decides), the SMS profile for other carriers' users (§9.3
//! leaves the choice to the carrier: this MaaP always uses the NNI), directory federation.

use rcs_harness::role::{Carrier, Subscriber};
use rcs_proto::sip::Uri;

use super::chatbots::{Chatbot, DEFAULT_CHATBOT, ServiceRange};
use super::engine::FailCause;
use super::settings::{MaapSettings, same_uri};
use crate::iwg::route::NumberPlan;

/// The province of a MaaP that names none.
pub(crate) const DEFAULT_PROVINCE: &str = "beijing";

/// The misbehaviours of the `maap` fault table that bend the carrier and province rules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CarrierFaults {
    /// `maap.other-net-ignored`: a chatbot without other-net reaches other carriers' users.
    pub other_net_ignored: bool,
    /// `maap.other-net-refused`: other carriers' users are refused even with other-net on.
    pub other_net_refused: bool,
    /// `maap.service-range-ignored`: a province-only chatbot reaches users anywhere.
    pub service_range_ignored: bool,
}

impl CarrierFaults {
    /// The carrier faults among the role's fault ids (the others are ignored).
    pub(crate) fn from_ids(faults: &[String]) -> Self {
        let has = |id: &str| faults.iter().any(|f| f == id);
        Self {
            other_net_ignored: has("maap.other-net-ignored"),
            other_net_refused: has("maap.other-net-refused"),
            service_range_ignored: has("maap.service-range-ignored"),
        }
    }
}

/// Why a recipient is out of a chatbot's reach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum OutOfReach {
    /// The user is served by this other carrier and the chatbot has no other-net right.
    OtherNet(Carrier),
    /// The user is in this province and the chatbot serves its own province only.
    OtherProvince(String),
}

/// The carrier and province rules of one MaaP.
#[derive(Clone, Debug)]
pub(crate) struct CarrierRules {
    plan: NumberPlan,
    province: String,
    /// `(user key, province)` from `user-provinces`.
    provinces: Vec<(String, String)>,
    faults: CarrierFaults,
}

impl Default for CarrierRules {
    /// A China Mobile MaaP that knows no other carrier's subscribers.
    fn default() -> Self {
        Self {
            plan: NumberPlan::new(Carrier::default(), &[], false),
            province: DEFAULT_PROVINCE.to_owned(),
            provinces: Vec::new(),
            faults: CarrierFaults::default(),
        }
    }
}

impl CarrierRules {
    /// The rules of a MaaP with `settings` in a case of `subscribers` (every carrier's).
    pub(crate) fn new(
        settings: &MaapSettings,
        subscribers: &[Subscriber],
        faults: &[String],
    ) -> Self {
        Self {
            plan: NumberPlan::new(settings.carrier, subscribers, true),
            province: settings.province.clone(),
            provinces: settings
                .user_provinces
                .iter()
                .map(|(user, province)| (user_key(user), province.clone()))
                .collect(),
            faults: CarrierFaults::from_ids(faults),
        }
    }

    /// Why `bot` may not reach the user `tel`, or None when it may.
    pub(crate) fn out_of_reach(&self, bot: &Chatbot, tel: &str) -> Option<OutOfReach> {
        let serving = self.carrier_of(tel);
        let foreign = serving.filter(|c| *c != self.plan.own());
        if let Some(carrier) = foreign {
            let refused = match (self.faults.other_net_ignored, self.faults.other_net_refused) {
                (_, true) => true,
                (true, false) => false,
                (false, false) => !bot.other_net,
            };
            if refused {
                return Some(OutOfReach::OtherNet(carrier));
            }
        }
        let own_province = bot.province.as_deref().unwrap_or(&self.province);
        let province = self.province_of(tel);
        let province_only = bot.service_range == ServiceRange::Province;
        if province_only && !self.faults.service_range_ignored && province != own_province {
            return Some(OutOfReach::OtherProvince(province.to_owned()));
        }
        None
    }

    /// The failure a recipient out of reach gets (errorCode 1 / `DeliveryImpossible`, as a debug
    /// chatbot's user outside its whitelist, §10.2), or None when it may be reached.
    pub(crate) fn refusal(&self, bot: &Chatbot, tel: &str) -> Option<FailCause> {
        let reason = self.out_of_reach(bot, tel)?;
        tracing::info!(chatbot = %bot.uri, user = %tel, ?reason, "recipient out of the chatbot's reach");
        Some(FailCause::NotFound)
    }

    /// The carrier serving the user `tel` (`tel:+86…` or `+86…`), when one can be told.
    fn carrier_of(&self, tel: &str) -> Option<Carrier> {
        let number = user_key(tel);
        let uri = Uri::parse(&format!("tel:{number}")).ok()?;
        self.plan.carrier_of(&uri)
    }

    /// The province of the user `tel`: listed, else the MaaP's.
    fn province_of(&self, tel: &str) -> &str {
        let key = user_key(tel);
        self.provinces
            .iter()
            .find(|(user, _)| *user == key)
            .map_or(self.province.as_str(), |(_, p)| p.as_str())
    }
}

/// Makes `settings` those of a MaaP of `carrier`: chatbots at the CMCC default URI move to the
/// carrier's chatbot domain, which the MaaP then serves too.
pub(crate) fn rehome(settings: &mut MaapSettings, carrier: Carrier) {
    settings.carrier = carrier;
    let domain = carrier.chatbot_domain();
    if !settings
        .chatbot_domains
        .iter()
        .any(|d| d.eq_ignore_ascii_case(domain))
    {
        settings.chatbot_domains.push(domain.to_owned());
    }
    if carrier == Carrier::Cmcc {
        return;
    }
    for bot in &mut settings.chatbots {
        if same_uri(&bot.uri, DEFAULT_CHATBOT) {
            bot.uri = format!("sip:{}@{domain}", bot.service_id());
        }
    }
}

/// The chatbot a request names by the CMCC default URI on a MaaP of another carrier: the
/// default chatbot moved to that carrier's domain.
pub(crate) fn rehomed_default<'a>(settings: &'a MaapSettings, wanted: &str) -> Option<&'a Chatbot> {
    if settings.carrier == Carrier::Cmcc || !same_uri(wanted, DEFAULT_CHATBOT) {
        return None;
    }
    let uri = format!("sip:12599@{}", settings.carrier.chatbot_domain());
    settings.chatbots.iter().find(|b| same_uri(&b.uri, &uri))
}

/// A user reduced for comparison: `tel:` and parameters dropped, visual separators removed.
fn user_key(user: &str) -> String {
    let bare = user.trim();
    let bare = bare.strip_prefix("tel:").unwrap_or(bare);
    let bare = bare.split(';').next().unwrap_or(bare);
    bare.chars()
        .filter(|c| !matches!(c, '-' | '.' | '(' | ')' | ' '))
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn settings(value: serde_json::Value, carrier: Carrier) -> MaapSettings {
        let mut s = MaapSettings::from_map(value.as_object().unwrap()).unwrap();
        rehome(&mut s, carrier);
        s
    }

    fn subscribers() -> Vec<Subscriber> {
        vec![
            Subscriber::builtin_of(1, true, Carrier::Cmcc, Carrier::Cmcc),
            Subscriber::builtin_of(2, true, Carrier::Cucc, Carrier::Cucc),
            Subscriber::builtin_of(3, true, Carrier::Ctcc, Carrier::Cmcc),
        ]
    }

    #[test]
    fn the_default_chatbot_lives_in_its_carriers_domain() {
        let s = settings(json!({}), Carrier::Cucc);
        let bot = s.chatbot("bank-cc").unwrap();
        assert_eq!(bot.uri, "sip:12599@botplatform.rcs.chinaunicom.cn");
        assert!(
            s.chatbot_domains
                .iter()
                .any(|d| d == "botplatform.rcs.chinaunicom.cn")
        );
        let by_default_uri = s.chatbot(DEFAULT_CHATBOT).unwrap();
        assert_eq!(by_default_uri.uri, bot.uri);
        let cmcc = settings(json!({}), Carrier::Cmcc);
        assert_eq!(cmcc.chatbot("bank-cc").unwrap().uri, DEFAULT_CHATBOT);
        let listed = settings(
            json!({"chatbots": [{"uri": "sip:1065@botplatform.rcs.chinamobile.com"}]}),
            Carrier::Ctcc,
        );
        assert_eq!(
            listed.chatbots[0].uri,
            "sip:1065@botplatform.rcs.chinamobile.com"
        );
    }

    #[test]
    fn other_carriers_users_need_the_other_net_right() {
        let s = settings(json!({"chatbots": [{"other-net": false}]}), Carrier::Cmcc);
        let rules = CarrierRules::new(&s, &subscribers(), &[]);
        let bot = &s.chatbots[0];
        let [own, unicom, ported] = [0, 1, 2].map(|i| subscribers()[i].tel_uri());
        assert_eq!(rules.out_of_reach(bot, &own), None);
        assert_eq!(
            rules.out_of_reach(bot, &unicom),
            Some(OutOfReach::OtherNet(Carrier::Cucc))
        );
        assert_eq!(
            rules.out_of_reach(bot, &ported),
            Some(OutOfReach::OtherNet(Carrier::Ctcc)),
            "a number ported out is served by its new carrier"
        );
        assert_eq!(rules.out_of_reach(bot, "tel:+4915100000001"), None);
        assert_eq!(rules.refusal(bot, &unicom), Some(FailCause::NotFound));
        let lax = CarrierRules::new(&s, &subscribers(), &["maap.other-net-ignored".into()]);
        assert_eq!(lax.out_of_reach(bot, &unicom), None);
        let open = settings(json!({}), Carrier::Cmcc);
        let rules = CarrierRules::new(&open, &subscribers(), &[]);
        assert_eq!(rules.out_of_reach(&open.chatbots[0], &unicom), None);
        let strict = CarrierRules::new(&open, &subscribers(), &["maap.other-net-refused".into()]);
        assert!(strict.out_of_reach(&open.chatbots[0], &unicom).is_some());
    }

    #[test]
    fn a_province_only_chatbot_reaches_its_province() {
        let s = settings(
            json!({
                "province": "guangdong",
                "user-provinces": {"+8613800000009": "sichuan"},
                "chatbots": [{"service-range": "province"}],
            }),
            Carrier::Cmcc,
        );
        let rules = CarrierRules::new(&s, &[], &[]);
        let bot = &s.chatbots[0];
        assert_eq!(rules.out_of_reach(bot, "tel:+8613800000001"), None);
        assert_eq!(
            rules.out_of_reach(bot, "tel:+86-138-0000-0009"),
            Some(OutOfReach::OtherProvince("sichuan".into()))
        );
        let lax = CarrierRules::new(&s, &[], &["maap.service-range-ignored".into()]);
        assert_eq!(lax.out_of_reach(bot, "tel:+8613800000009"), None);
        let nationwide = &s.chatbots[1];
        assert_eq!(rules.out_of_reach(nationwide, "tel:+8613800000009"), None);
        let bad =
            |v: serde_json::Value| MaapSettings::from_map(v.as_object().unwrap()).unwrap_err();
        assert!(bad(json!({"chatbots": [{"service-range": "city"}]})).contains("`city`"));
        assert!(bad(json!({"chatbots": [{"other-net": "yes"}]})).contains("`other-net`"));
        assert!(bad(json!({"user-provinces": ["bob"]})).contains("user-provinces"));
        assert!(bad(json!({"user-provinces": {"bob": 3}})).contains("`bob`"));
    }
}
