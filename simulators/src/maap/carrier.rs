//! A MaaP among carriers (protocols.md §9.3 "Chatbots across carriers", §10.1 `serviceRange`,
//! §8.1.4 `otherNetSupport`; IWK-BOT-001..008): which carrier it belongs to, the domain its
//! chatbots live in, whether a chatbot may reach a user of another carrier or province, and how
//! a user of another carrier is reached.
//!
//! A MaaP belongs to its role's `carrier:` and serves that carrier's chatbot domain: a chatbot
//! provisioned at the CMCC default URI (`sip:12599@botplatform.rcs.chinamobile.com`, the default
//! chatbot and the csp-bot's default) lives in its carrier's chatbot domain instead
//! ([`rehome`]); a chatbot listed with another URI keeps it. For a China Mobile MaaP nothing
//! changes.
//!
//! Per recipient ([`CarrierRules::refusal`], then [`CarrierRules::route`]):
//! - Other carriers: the serving carrier of a user is found as the gateway finds it (number
//!   portability database of every subscriber of the case, then the number range,
//!   `iwg::route::NumberPlan`). A chatbot with `other-net: false` (CMCC `otherNetSupport` false,
//!   the default being true) reaches only its own carrier's users; the
//!   others fail with errorCode 1 / `DeliveryImpossible` and no SIP is sent. A number no carrier
//!   owns counts as the MaaP's own. A send that says `otherNetSupport` false keeps that message
//!   on the chatbot's carrier the same way, whatever the chatbot's right; true or absent leaves
//!   the decision to the chatbot's right.
//! - How another carrier's user is reached is the carrier's profile (§9.3 leaves it open), the
//!   setting `other-net-delivery`: `nni` (the default) hands the MESSAGE to the message center,
//!   which sends it to its gateway; `sms` sends the message's other-net SMS text (CMCC
//!   `otherSmsBodyText` when `otherShortMessageSupported` is true; for a CT/CU chatbot, whose API
//!   has no other-net text, its `smsContent`) as SMS through the SMS centre
//!   (`DeliveredToNetwork`), and a message without such a text fails (errorCode 2 /
//!   `DeliveryImpossible`) with nothing sent.
//! - Provinces, a simple model: the MaaP is in `province` (setting, default `beijing`); a user is
//!   in the province `user-provinces` gives it (by role name or number), else in the MaaP's; a
//!   chatbot is in its `province` (default the MaaP's). A chatbot with `service-range: province`
//!   (`serviceRange` 0) reaches only users of its province, other users fail like other-net.
//!   Numbers carry no province in this model.
//! - Uplink ([`CarrierRules::uplink_refusal`]): a user out of a chatbot's reach by the same two
//!   rules (another province for a province-only chatbot, another carrier without the other-net
//!   right) may not write to it either; `uplink` answers 403 with a Warning naming the rule.
//!
//! Not modelled: directory federation, MMS for other carriers' users, sessions (INVITE) from users
//! out of reach (only MESSAGE uplinks are judged).

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
    /// `maap.other-net-support-ignored`: a send's `otherNetSupport` false is not obeyed.
    pub other_net_support_ignored: bool,
    /// `maap.other-net-sms-ignored`: other carriers' users get the MESSAGE over the NNI under
    /// the `sms` profile.
    pub other_net_sms_ignored: bool,
    /// `maap.uplink-range-ignored`: users out of a chatbot's reach may still write to it.
    pub uplink_range_ignored: bool,
    /// `maap.other-net-sms-own-text`: the `sms` profile sends the own carrier's `smsBodyText`.
    pub other_net_sms_own_text: bool,
}

impl CarrierFaults {
    /// The carrier faults among the role's fault ids (the others are ignored).
    pub(crate) fn from_ids(faults: &[String]) -> Self {
        let has = |id: &str| faults.iter().any(|f| f == id);
        Self {
            other_net_ignored: has("maap.other-net-ignored"),
            other_net_refused: has("maap.other-net-refused"),
            service_range_ignored: has("maap.service-range-ignored"),
            other_net_support_ignored: has("maap.other-net-support-ignored"),
            other_net_sms_ignored: has("maap.other-net-sms-ignored"),
            uplink_range_ignored: has("maap.uplink-range-ignored"),
            other_net_sms_own_text: has("maap.other-net-sms-own-text"),
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
    /// The user is served by this other carrier and the send said `otherNetSupport` false.
    NotAsked(Carrier),
    /// The user is served by this other carrier, reached by SMS, and the send has no SMS text
    /// for other carriers' users.
    NoOtherSms(Carrier),
}

impl OutOfReach {
    /// The rule, for logs and the Warning of a refused uplink.
    pub(crate) fn reason(&self) -> String {
        match self {
            Self::OtherNet(c) => format!(
                "the chatbot may not reach users of other carriers (otherNetSupport), the user is a {} user",
                c.as_str()
            ),
            Self::OtherProvince(p) => format!(
                "the chatbot serves its own province only (serviceRange 0), the user is in {p}"
            ),
            Self::NotAsked(c) => format!(
                "the message is for the chatbot's carrier only (otherNetSupport false), the user is a {} user",
                c.as_str()
            ),
            Self::NoOtherSms(c) => format!(
                "other carriers' users get SMS and the message has no otherSmsBodyText, the user is a {} user",
                c.as_str()
            ),
        }
    }
}

/// How a MaaP reaches users of other carriers (setting `other-net-delivery`, §9.3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum OtherNetDelivery {
    /// UP chatbot MESSAGEs over the NNI (through the message center and its gateway).
    #[default]
    Nni,
    /// SMS through the SMS centre, with the message's other-net SMS text.
    Sms,
}

impl OtherNetDelivery {
    /// Reads the setting `other-net-delivery` (absent: `nni`).
    pub(crate) fn from_setting(value: Option<&serde_json::Value>) -> Result<Self, String> {
        match value {
            None | Some(serde_json::Value::Null) => Ok(Self::Nni),
            Some(serde_json::Value::String(s)) if s == "nni" => Ok(Self::Nni),
            Some(serde_json::Value::String(s)) if s == "sms" => Ok(Self::Sms),
            Some(other) => Err(format!(
                "maap setting `other-net-delivery` is `{}`, not `nni` or `sms`",
                other
                    .as_str()
                    .map_or_else(|| other.to_string(), str::to_owned)
            )),
        }
    }
}

/// What one send request says about users of other carriers (CMCC §8.1.4).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct OtherNetAsk {
    /// `otherNetSupport`: `Some(false)` keeps the message on the chatbot's carrier.
    pub support: Option<bool>,
    /// `otherSmsBodyText`, when `otherShortMessageSupported` is true.
    pub sms_text: Option<String>,
}

impl OtherNetAsk {
    /// The other-net elements of a CMCC send request.
    pub(crate) fn from_cmcc(req: &rcs_proto::nbi::cmcc::Outbound) -> Self {
        Self {
            support: req.other_net_support,
            sms_text: match req.other_short_message_supported {
                Some(true) => req.other_sms_body_text.clone(),
                _ => None,
            },
        }
    }
}

/// How one recipient in the chatbot's reach is reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// A user of the chatbot's carrier (or of no known carrier): the MESSAGE, as always.
    Home,
    /// A user of another carrier, over the NNI: the MESSAGE too.
    Nni(Carrier),
    /// A user of another carrier, by SMS with this text.
    Sms { carrier: Carrier, text: String },
    /// Not reached: nothing is sent.
    Refused(OutOfReach),
}

/// The carrier and province rules of one MaaP.
#[derive(Clone, Debug)]
pub(crate) struct CarrierRules {
    plan: NumberPlan,
    province: String,
    /// `(user key, province)` from `user-provinces`.
    provinces: Vec<(String, String)>,
    delivery: OtherNetDelivery,
    faults: CarrierFaults,
}

impl Default for CarrierRules {
    /// A China Mobile MaaP that knows no other carrier's subscribers.
    fn default() -> Self {
        Self {
            plan: NumberPlan::new(Carrier::default(), &[], false),
            province: DEFAULT_PROVINCE.to_owned(),
            provinces: Vec::new(),
            delivery: OtherNetDelivery::Nni,
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
            delivery: settings.other_net_delivery,
            faults: CarrierFaults::from_ids(faults),
        }
    }

    /// Why `bot` may not reach the user `tel`, or None when it may.
    pub(crate) fn out_of_reach(&self, bot: &Chatbot, tel: &str) -> Option<OutOfReach> {
        let faults = &self.faults;
        let other_net = match (faults.other_net_ignored, faults.other_net_refused) {
            (_, true) => false,
            (true, false) => true,
            (false, false) => bot.other_net,
        };
        self.reach(bot, tel, other_net, !faults.service_range_ignored)
    }

    /// Why the user `tel` may not write to `bot` (the rules of [`Self::out_of_reach`], without
    /// the downlink faults), or None when it may.
    pub(crate) fn uplink_refusal(&self, bot: &Chatbot, tel: &str) -> Option<OutOfReach> {
        if self.faults.uplink_range_ignored {
            return None;
        }
        let reason = self.reach(bot, tel, bot.other_net, true)?;
        tracing::info!(chatbot = %bot.uri, user = %tel, reason = %reason.reason(), "uplink refused");
        Some(reason)
    }

    /// The carrier rule (`other_net`: whether other carriers' users are in reach), then the
    /// province rule when `provinces` applies.
    fn reach(
        &self,
        bot: &Chatbot,
        tel: &str,
        other_net: bool,
        provinces: bool,
    ) -> Option<OutOfReach> {
        if let Some(carrier) = self.foreign_carrier(tel)
            && !other_net
        {
            return Some(OutOfReach::OtherNet(carrier));
        }
        let own_province = bot.province.as_deref().unwrap_or(&self.province);
        let province = self.province_of(tel);
        let province_only = bot.service_range == ServiceRange::Province;
        if provinces && province_only && province != own_province {
            return Some(OutOfReach::OtherProvince(province.to_owned()));
        }
        None
    }

    /// How `bot`'s message asking `ask` reaches the user `tel` (in its reach by
    /// [`Self::refusal`]): the send's `otherNetSupport`, then the `other-net-delivery` profile.
    /// `fallback_text` is the message's own SMS text, used for a CT/CU chatbot.
    pub(crate) fn route(
        &self,
        bot: &Chatbot,
        ask: &OtherNetAsk,
        fallback_text: Option<&str>,
        tel: &str,
    ) -> Route {
        let Some(carrier) = self.foreign_carrier(tel) else {
            return Route::Home;
        };
        if ask.support == Some(false) && !self.faults.other_net_support_ignored {
            return self.refused(bot, tel, OutOfReach::NotAsked(carrier));
        }
        if self.delivery == OtherNetDelivery::Nni || self.faults.other_net_sms_ignored {
            return Route::Nni(carrier);
        }
        let text = match (bot.family, self.faults.other_net_sms_own_text) {
            (_, true) => fallback_text,
            (super::chatbots::Family::Cmcc, false) => ask.sms_text.as_deref(),
            (super::chatbots::Family::Ctcu, false) => ask.sms_text.as_deref().or(fallback_text),
        };
        match text.filter(|t| !t.trim().is_empty()) {
            Some(text) => Route::Sms {
                carrier,
                text: text.to_owned(),
            },
            None => self.refused(bot, tel, OutOfReach::NoOtherSms(carrier)),
        }
    }

    fn refused(&self, bot: &Chatbot, tel: &str, reason: OutOfReach) -> Route {
        tracing::info!(chatbot = %bot.uri, user = %tel, reason = %reason.reason(), "recipient not reached");
        Route::Refused(reason)
    }

    /// The carrier serving `tel` when it is not the MaaP's own.
    fn foreign_carrier(&self, tel: &str) -> Option<Carrier> {
        self.carrier_of(tel).filter(|c| *c != self.plan.own())
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
    fn a_send_may_keep_its_message_on_the_chatbots_carrier() {
        let s = settings(json!({}), Carrier::Cmcc);
        let rules = CarrierRules::new(&s, &subscribers(), &[]);
        let bot = &s.chatbots[0];
        let [own, unicom, _] = [0, 1, 2].map(|i| subscribers()[i].tel_uri());
        let no = OtherNetAsk {
            support: Some(false),
            sms_text: None,
        };
        assert_eq!(rules.route(bot, &no, None, &own), Route::Home);
        assert_eq!(
            rules.route(bot, &no, None, &unicom),
            Route::Refused(OutOfReach::NotAsked(Carrier::Cucc))
        );
        let absent = OtherNetAsk::default();
        assert_eq!(
            rules.route(bot, &absent, None, &unicom),
            Route::Nni(Carrier::Cucc)
        );
        let lax = CarrierRules::new(
            &s,
            &subscribers(),
            &["maap.other-net-support-ignored".into()],
        );
        assert_eq!(
            lax.route(bot, &no, None, &unicom),
            Route::Nni(Carrier::Cucc)
        );
    }

    #[test]
    fn the_sms_profile_sends_the_other_net_text() {
        let s = settings(json!({"other-net-delivery": "sms"}), Carrier::Cmcc);
        assert_eq!(s.other_net_delivery, OtherNetDelivery::Sms);
        let rules = CarrierRules::new(&s, &subscribers(), &[]);
        let [own, unicom, ported] = [0, 1, 2].map(|i| subscribers()[i].tel_uri());
        let cmcc_bot = &s.chatbots[0];
        let ask = OtherNetAsk {
            support: Some(true),
            sms_text: Some("异网短信".into()),
        };
        assert_eq!(rules.route(cmcc_bot, &ask, Some("本网"), &own), Route::Home);
        assert_eq!(
            rules.route(cmcc_bot, &ask, Some("本网"), &ported),
            Route::Sms {
                carrier: Carrier::Ctcc,
                text: "异网短信".into()
            }
        );
        let bare = OtherNetAsk::default();
        assert_eq!(
            rules.route(cmcc_bot, &bare, Some("本网"), &unicom),
            Route::Refused(OutOfReach::NoOtherSms(Carrier::Cucc)),
            "a CMCC send needs otherSmsBodyText, its smsBodyText is for its own carrier"
        );
        let ctcu_bot = &s.chatbots[1];
        assert_eq!(
            rules.route(ctcu_bot, &bare, Some("短信"), &unicom),
            Route::Sms {
                carrier: Carrier::Cucc,
                text: "短信".into()
            }
        );
        let own_text = ["maap.other-net-sms-own-text".into()];
        let wrong = CarrierRules::new(&s, &subscribers(), &own_text);
        assert_eq!(
            wrong.route(cmcc_bot, &ask, Some("本网"), &unicom),
            Route::Sms {
                carrier: Carrier::Cucc,
                text: "本网".into()
            }
        );
        let nni = CarrierRules::new(&s, &subscribers(), &["maap.other-net-sms-ignored".into()]);
        assert_eq!(
            nni.route(cmcc_bot, &ask, None, &unicom),
            Route::Nni(Carrier::Cucc)
        );
        let bad =
            |v: serde_json::Value| MaapSettings::from_map(v.as_object().unwrap()).unwrap_err();
        assert!(bad(json!({"other-net-delivery": "mms"})).contains("`mms`"));
        assert!(bad(json!({"other-net-delivery": 1})).contains("other-net-delivery"));
    }

    #[test]
    fn users_out_of_reach_may_not_write_to_the_chatbot() {
        let s = settings(
            json!({
                "user-provinces": {"+8613800000009": "sichuan"},
                "chatbots": [{"service-range": "province"}, {"uri": "sip:1@x", "other-net": false}],
            }),
            Carrier::Cmcc,
        );
        let rules = CarrierRules::new(&s, &subscribers(), &[]);
        let [province_only, own_net] = [&s.chatbots[0], &s.chatbots[1]];
        let unicom = subscribers()[1].tel_uri();
        assert_eq!(
            rules.uplink_refusal(province_only, "tel:+8613800000009"),
            Some(OutOfReach::OtherProvince("sichuan".into()))
        );
        assert_eq!(rules.uplink_refusal(province_only, &unicom), None);
        assert_eq!(
            rules.uplink_refusal(own_net, &unicom),
            Some(OutOfReach::OtherNet(Carrier::Cucc))
        );
        assert_eq!(rules.uplink_refusal(own_net, "tel:+8613800000009"), None);
        let reason = OutOfReach::OtherProvince("sichuan".into()).reason();
        assert!(
            reason.contains("serviceRange 0") && reason.contains("sichuan"),
            "{reason}"
        );
        let downlink_faults = [
            "maap.service-range-ignored".into(),
            "maap.other-net-ignored".into(),
        ];
        let bent = CarrierRules::new(&s, &subscribers(), &downlink_faults);
        assert!(
            bent.uplink_refusal(province_only, "tel:+8613800000009")
                .is_some()
        );
        let lax = CarrierRules::new(&s, &subscribers(), &["maap.uplink-range-ignored".into()]);
        assert_eq!(
            lax.uplink_refusal(province_only, "tel:+8613800000009"),
            None
        );
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
