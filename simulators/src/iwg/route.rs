//! Which carrier serves a Request-URI, and where the interworking gateway sends a request
//! (protocols.md §9.1 "Routing", §9.3; IWK-NNI-010, IWK-BOT-003).
//!
//! The serving carrier of a URI is found, in order, by its host when that is a carrier's chatbot
//! domain (the chatbot's platform), by the number portability database (every subscriber of the
//! case, with the carrier it is subscribed at, when portability is on), then by the number range
//! the number was issued from ([`Carrier::of_number`]); a URI with no number (a group session
//! URI) is served by the carrier whose home domain is its host. [`NumberPlan`] answers that; the
//! message center uses it too, to tell its own users from other carriers'.
//! [`NumberPlan::decide`] is the gateway's decision: a request from its own network goes across
//! the NNI to the serving carrier's gateway; a request from the NNI goes to its own chatbot
//! platform (chatbot domain) or message center; anything else is refused (no transit through a
//! third carrier, no loops). This module does not send anything.

use std::collections::HashMap;

use rcs_harness::role::{Carrier, Subscriber};
use rcs_proto::sip::{Host, Uri};

/// Where a request goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Destination {
    /// Across the NNI to this carrier's gateway.
    Peer(Carrier),
    /// Into its own network: the message center.
    MessageCenter,
    /// Into its own network: the chatbot platform.
    Maap,
    /// Nowhere: answer with this status and reason.
    Refuse(u16, &'static str),
}

/// The numbers and domains of every carrier of a case, as one carrier sees them.
#[derive(Clone, Debug)]
pub struct NumberPlan {
    own: Carrier,
    /// E.164 digits → the carrier serving them (the portability database).
    ported: HashMap<String, Carrier>,
}

impl NumberPlan {
    /// The plan of `own`, with the portability database of `subscribers` when `portability` is
    /// on (without it numbers are routed by their range only).
    pub fn new(own: Carrier, subscribers: &[Subscriber], portability: bool) -> Self {
        let ported = match portability {
            true => subscribers
                .iter()
                .map(|s| (digits(&s.msisdn), s.carrier))
                .filter(|(d, _)| !d.is_empty())
                .collect(),
            false => HashMap::new(),
        };
        Self { own, ported }
    }

    /// The carrier whose plan this is.
    pub fn own(&self) -> Carrier {
        self.own
    }

    /// The carrier serving `uri`, when one can be told.
    pub fn carrier_of(&self, uri: &Uri) -> Option<Carrier> {
        if let Some(carrier) = chatbot_carrier(uri) {
            return Some(carrier);
        }
        let number = number_of(uri)?;
        let digits = digits(&number);
        if digits.is_empty() {
            return home_domain_carrier(uri);
        }
        if let Some(carrier) = self.ported.get(&digits) {
            return Some(*carrier);
        }
        Carrier::of_number(&format!("+{digits}"))
    }

    /// Whether `uri` is served by another carrier (so a message center sends it to its gateway).
    pub fn is_foreign(&self, uri: &Uri) -> bool {
        self.carrier_of(uri).is_some_and(|c| c != self.own)
    }

    /// Where the gateway sends a request for `uri` that came from its own network
    /// (`from_nni` false) or across the NNI (`from_nni` true).
    pub fn decide(&self, uri: &Uri, from_nni: bool) -> Destination {
        let serving = self.carrier_of(uri);
        match (from_nni, serving) {
            (false, Some(carrier)) if carrier != self.own => Destination::Peer(carrier),
            (false, _) => Destination::Refuse(404, "Not Found"),
            (true, Some(carrier)) if carrier == self.own => match chatbot_carrier(uri) {
                Some(_) => Destination::Maap,
                None => Destination::MessageCenter,
            },
            (true, _) => Destination::Refuse(404, "Not Found"),
        }
    }
}

/// The carrier whose chatbot domain is `uri`'s host.
pub fn chatbot_carrier(uri: &Uri) -> Option<Carrier> {
    let Some(Host::Domain(host)) = uri.host() else {
        return None;
    };
    Carrier::ALL
        .into_iter()
        .find(|c| c.chatbot_domain().eq_ignore_ascii_case(host))
}

/// The carrier whose home domain is `uri`'s host: a URI with no number there is a service of
/// that carrier's network, such as a group session URI of its conference focus (protocols.md §6.1).
fn home_domain_carrier(uri: &Uri) -> Option<Carrier> {
    let Some(Host::Domain(host)) = uri.host() else {
        return None;
    };
    Carrier::ALL
        .into_iter()
        .find(|c| c.home_domain().eq_ignore_ascii_case(host))
}

/// The number a SIP user part or tel URI carries, as received.
fn number_of(uri: &Uri) -> Option<String> {
    match uri {
        Uri::Sip(_) | Uri::Tel(_) => uri.user_decoded(),
        Uri::Other { .. } | Uri::Wildcard => None,
    }
}

/// E.164 digits of a number (`+86 138-0000-0001` gives `8613800000001`); a national number
/// (11 digits, no `+`) gets the country code 86; anything else than digits and visual separators
/// gives "".
fn digits(number: &str) -> String {
    let number = number.split(';').next().unwrap_or_default();
    let visual = |c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | '(' | ')' | ' ');
    if !number.chars().all(visual) {
        return String::new();
    }
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    match !number.starts_with('+') && digits.len() == 11 {
        true => format!("86{digits}"),
        false => digits,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn uri(text: &str) -> Uri {
        Uri::parse(text).unwrap()
    }

    fn plan(own: Carrier, portability: bool) -> NumberPlan {
        let subscribers = [
            Subscriber::builtin_of(1, true, Carrier::Cmcc, Carrier::Cmcc),
            Subscriber::builtin_of(2, true, Carrier::Cucc, Carrier::Cmcc),
            Subscriber::builtin_of(3, true, Carrier::Ctcc, Carrier::Ctcc),
        ];
        NumberPlan::new(own, &subscribers, portability)
    }

    #[test]
    fn numbers_route_by_range_unless_ported() {
        let cmcc = plan(Carrier::Cmcc, true);
        assert_eq!(
            cmcc.carrier_of(&uri("tel:+8613800000001")),
            Some(Carrier::Cmcc)
        );
        assert_eq!(
            cmcc.carrier_of(&uri("sip:+8613800000002@ims.mnc000.mcc460.3gppnetwork.org")),
            Some(Carrier::Cucc),
            "ported to China Unicom"
        );
        assert_eq!(
            cmcc.carrier_of(&uri("tel:+8613300000003")),
            Some(Carrier::Ctcc)
        );
        assert_eq!(
            cmcc.carrier_of(&uri("sip:13000000009@ims.mnc001.mcc460.3gppnetwork.org")),
            Some(Carrier::Cucc)
        );
        assert_eq!(cmcc.carrier_of(&uri("sip:alice@example.com")), None);
        let group = uri("sip:grp-4f2a@ims.mnc011.mcc460.3gppnetwork.org");
        assert_eq!(cmcc.carrier_of(&group), Some(Carrier::Ctcc), "a group URI");
        assert_eq!(cmcc.decide(&group, false), Destination::Peer(Carrier::Ctcc));
        assert_eq!(cmcc.carrier_of(&uri("tel:+4915100000001")), None);
        let unported = plan(Carrier::Cmcc, false);
        assert_eq!(
            unported.carrier_of(&uri("tel:+8613800000002")),
            Some(Carrier::Cmcc)
        );
    }

    #[test]
    fn chatbot_domains_name_their_platform() {
        let cmcc = plan(Carrier::Cmcc, true);
        let bot = uri("sip:10655210001@botplatform.rcs.chinaunicom.cn");
        assert_eq!(cmcc.carrier_of(&bot), Some(Carrier::Cucc));
        assert!(cmcc.is_foreign(&bot));
        assert!(!cmcc.is_foreign(&uri("sip:12599@botplatform.rcs.chinamobile.com")));
    }

    #[test]
    fn the_gateway_sends_out_what_is_foreign_and_in_what_is_its_own() {
        let cmcc = plan(Carrier::Cmcc, true);
        let ported = uri("tel:+8613800000002");
        assert_eq!(
            cmcc.decide(&ported, false),
            Destination::Peer(Carrier::Cucc)
        );
        assert_eq!(
            cmcc.decide(&uri("tel:+8613800000001"), false),
            Destination::Refuse(404, "Not Found"),
            "its own users are never sent back out"
        );
        assert_eq!(
            cmcc.decide(&uri("tel:+8613800000001"), true),
            Destination::MessageCenter
        );
        assert_eq!(
            cmcc.decide(&uri("sip:12599@botplatform.rcs.chinamobile.com"), true),
            Destination::Maap
        );
        assert_eq!(
            cmcc.decide(&uri("tel:+8613300000003"), true),
            Destination::Refuse(404, "Not Found"),
            "no transit to a third carrier"
        );
        let cucc = plan(Carrier::Cucc, true);
        assert_eq!(cucc.decide(&ported, true), Destination::MessageCenter);
    }

    #[test]
    fn odd_numbers_give_no_digits() {
        assert_eq!(digits("+86 138-0000-0001"), "8613800000001");
        assert_eq!(digits("13800000001"), "8613800000001");
        assert_eq!(digits("+8613800000001;phone-context=x"), "8613800000001");
        assert_eq!(digits("12599"), "12599");
        assert_eq!(digits("bob"), "");
    }
}
