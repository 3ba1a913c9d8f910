//! The three Chinese carriers a run can model, and the identities each gives its users and chatbots.
//!
//! protocols.md §1.2: every carrier has its own home domain (`ims.mnc<MNC>.mcc460.3gppnetwork.org`,
//! IMS MNCs 000, 001 and 011), its own chatbot domain and its own number ranges, so that routing
//! between carriers (§9.1) and "other network" logic is exercised. This module only names those
//! identities; routing across the NNI is the interworking gateway's business.
//!
//! The built-in numbers of each carrier start with one prefix for RCS users and one for non-RCS
//! users; [`Carrier::of_number`] also knows the real mobile number segments of each carrier (the
//! range a number was issued from, before number portability moves it).
//!
//! A [`Network`] is what a run binds a case's carrier symbols to: one of the three carriers as
//! the simulators build it, or a variant a profile declares under `networks:` (the carrier plus
//! settings its simulated roles get, the quirks of that network).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::role::RoleKind;

/// A carrier (operator domain) of one run. The default is China Mobile, the home network of every
/// case that names no carrier.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Carrier {
    /// China Mobile.
    #[default]
    Cmcc,
    /// China Unicom.
    Cucc,
    /// China Telecom.
    Ctcc,
}

impl Carrier {
    pub const ALL: [Carrier; 3] = [Self::Cmcc, Self::Cucc, Self::Ctcc];

    /// The short name cases use: `cmcc`, `cucc` or `ctcc`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cmcc => "cmcc",
            Self::Cucc => "cucc",
            Self::Ctcc => "ctcc",
        }
    }

    /// The name people use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Cmcc => "China Mobile",
            Self::Cucc => "China Unicom",
            Self::Ctcc => "China Telecom",
        }
    }

    /// The IMS home domain (protocols.md §1.2: IMS MNC 000, 001, 011 of MCC 460).
    pub fn home_domain(self) -> &'static str {
        match self {
            Self::Cmcc => crate::role::HOME_DOMAIN,
            Self::Cucc => "ims.mnc001.mcc460.3gppnetwork.org",
            Self::Ctcc => "ims.mnc011.mcc460.3gppnetwork.org",
        }
    }

    /// The host part of this carrier's chatbot URIs (protocols.md §1.2).
    pub fn chatbot_domain(self) -> &'static str {
        match self {
            Self::Cmcc => "botplatform.rcs.chinamobile.com",
            Self::Cucc => "botplatform.rcs.chinaunicom.cn",
            Self::Ctcc => "botplatform.rcs.chinatelecom.cn",
        }
    }

    /// The prefix of the built-in RCS users' numbers.
    pub fn rcs_prefix(self) -> &'static str {
        match self {
            Self::Cmcc => "+86138",
            Self::Cucc => "+86130",
            Self::Ctcc => "+86133",
        }
    }

    /// The prefix of the built-in non-RCS users' numbers.
    pub fn non_rcs_prefix(self) -> &'static str {
        match self {
            Self::Cmcc => "+86139",
            Self::Cucc => "+86131",
            Self::Ctcc => "+86153",
        }
    }

    /// The inter-operator identifier (`orig-ioi`/`term-ioi` of P-Charging-Vector, RFC 7315): the
    /// home domain.
    pub fn ioi(self) -> &'static str {
        self.home_domain()
    }

    /// The carrier whose number range `msisdn` belongs to (`+86` and 11 digits, or the 11 digits
    /// alone), by its first three digits; `None` for any other number. This is where the number was
    /// issued: a ported number is served by another carrier.
    pub fn of_number(msisdn: &str) -> Option<Carrier> {
        let national = match msisdn.strip_prefix('+') {
            Some(international) => international.strip_prefix("86")?,
            None if msisdn.len() == 13 => msisdn.strip_prefix("86")?,
            None => msisdn,
        };
        if national.len() != 11 {
            return None;
        }
        if !national.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let segment = national.get(..3)?;
        Self::ALL
            .into_iter()
            .find(|c| c.segments().contains(&segment))
    }

    /// The mobile number segments issued to this carrier.
    fn segments(self) -> &'static [&'static str] {
        match self {
            Self::Cmcc => &[
                "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158",
                "159", "172", "178", "182", "183", "184", "187", "188", "195", "197", "198",
            ],
            Self::Cucc => &[
                "130", "131", "132", "145", "155", "156", "166", "167", "171", "175", "176", "185",
                "186", "196",
            ],
            Self::Ctcc => &[
                "133", "149", "153", "173", "174", "177", "180", "181", "189", "190", "191", "193",
                "199",
            ],
        }
    }
}

impl fmt::Display for Carrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Carrier {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| format!("unknown carrier `{s}`"))
    }
}

/// A network of a run: a carrier as built in (named after it), or a variant of it declared by a
/// profile with the settings its simulated roles get.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    /// `cmcc`, `cucc`, `ctcc`, or the variant's name (`cucc-untrusting`).
    pub name: String,
    pub carrier: Carrier,
    /// Settings by role kind, merged under a case's own settings for the roles at this network.
    pub settings: BTreeMap<RoleKind, Map<String, Value>>,
}

impl Network {
    /// The carrier as the simulators build it: no settings of its own.
    pub fn builtin(carrier: Carrier) -> Self {
        Self {
            name: carrier.as_str().to_owned(),
            carrier,
            settings: BTreeMap::new(),
        }
    }

    /// The three carriers as built in, in their order.
    pub fn builtins() -> Vec<Network> {
        Carrier::ALL.into_iter().map(Self::builtin).collect()
    }

    /// True for a profile's variant, false for a built-in carrier.
    pub fn is_variant(&self) -> bool {
        self.name != self.carrier.as_str()
    }

    /// The case's settings `case` for a role of `kind` at this network, over this network's
    /// settings for that kind (a key in both keeps the case's value).
    pub fn role_settings(&self, kind: RoleKind, case: &Map<String, Value>) -> Map<String, Value> {
        let mut merged = self.settings.get(&kind).cloned().unwrap_or_default();
        for (key, value) in case {
            merged.insert(key.clone(), value.clone());
        }
        merged
    }

    /// The networks of a run: the ones `asked` names (each once, in the order given), built-in
    /// carriers or one of `variants`; none asked: the three built-ins, then every variant (a
    /// profile that declares variants wants them in the matrix). An unknown name is refused with
    /// the list of known ones.
    pub fn select(
        asked: &[String],
        variants: &[std::sync::Arc<Network>],
    ) -> Result<Vec<std::sync::Arc<Network>>, String> {
        let known: Vec<std::sync::Arc<Network>> = Self::builtins()
            .into_iter()
            .map(std::sync::Arc::new)
            .chain(variants.iter().cloned())
            .collect();
        if asked.is_empty() {
            return Ok(known);
        }
        let mut out: Vec<std::sync::Arc<Network>> = Vec::new();
        for name in asked.iter().map(|n| n.trim()) {
            let Some(network) = known.iter().find(|n| n.name == name) else {
                let names: Vec<&str> = known.iter().map(|n| n.name.as_str()).collect();
                return Err(format!(
                    "unknown network `{name}` (known: {})",
                    names.join(", ")
                ));
            };
            if !out.iter().any(|n| n.name == network.name) {
                out.push(network.clone());
            }
        }
        Ok(out)
    }

    /// Whether `name` may name a variant: lowercase letters, digits and `-`, up to 40 characters,
    /// starting with a letter, and not a carrier or a symbol (`a`, `b`, `c`).
    pub fn is_variant_name(name: &str) -> bool {
        let well_formed = (2..=40).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        well_formed && name.parse::<Carrier>().is_err()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_serde_uses_them() {
        for c in Carrier::ALL {
            assert_eq!(c.as_str().parse::<Carrier>(), Ok(c));
            assert_eq!(c.to_string(), c.as_str());
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(serde_json::from_str::<Carrier>(&json).unwrap(), c);
        }
        assert!("cmcc2".parse::<Carrier>().is_err());
        assert_eq!(Carrier::default(), Carrier::Cmcc);
    }

    #[test]
    fn identities_are_distinct_per_carrier() {
        assert_eq!(Carrier::Cmcc.home_domain(), crate::role::HOME_DOMAIN);
        assert_eq!(
            Carrier::Ctcc.home_domain(),
            "ims.mnc011.mcc460.3gppnetwork.org"
        );
        for (i, a) in Carrier::ALL.iter().enumerate() {
            for b in &Carrier::ALL[i + 1..] {
                assert_ne!(a.home_domain(), b.home_domain());
                assert_ne!(a.chatbot_domain(), b.chatbot_domain());
                assert_ne!(a.rcs_prefix(), b.rcs_prefix());
                assert_ne!(a.non_rcs_prefix(), b.non_rcs_prefix());
                assert_ne!(a.name(), b.name());
            }
            assert_eq!(a.ioi(), a.home_domain());
        }
    }

    #[test]
    fn built_in_prefixes_belong_to_their_carrier() {
        for c in Carrier::ALL {
            for prefix in [c.rcs_prefix(), c.non_rcs_prefix()] {
                let number = format!("{prefix}00000001");
                assert_eq!(Carrier::of_number(&number), Some(c), "{number}");
            }
        }
    }

    #[test]
    fn numbers_are_classified_by_segment() {
        assert_eq!(Carrier::of_number("+8618612345678"), Some(Carrier::Cucc));
        assert_eq!(Carrier::of_number("8618912345678"), Some(Carrier::Ctcc));
        assert_eq!(Carrier::of_number("13812345678"), Some(Carrier::Cmcc));
        assert_eq!(Carrier::of_number("+8610012345678"), None);
        assert_eq!(Carrier::of_number("+15551234567"), None);
        assert_eq!(Carrier::of_number("+86138"), None);
        assert_eq!(Carrier::of_number("+86138abcdefgh"), None);
        assert_eq!(Carrier::of_number(""), None);
    }
    #[test]
    fn variants_merge_their_settings_under_the_case_ones() {
        let mut quirks = Map::new();
        quirks.insert("trusted".into(), Value::Array(Vec::new()));
        quirks.insert("portability".into(), Value::Bool(false));
        let variant = Network {
            name: "cucc-untrusting".into(),
            carrier: Carrier::Cucc,
            settings: BTreeMap::from([(RoleKind::PeerCarrier, quirks)]),
        };
        assert!(variant.is_variant());
        assert!(!Network::builtin(Carrier::Cucc).is_variant());
        let mut case = Map::new();
        case.insert("portability".into(), Value::Bool(true));
        let merged = variant.role_settings(RoleKind::PeerCarrier, &case);
        assert_eq!(merged["portability"], true, "the case wins");
        assert_eq!(merged["trusted"], Value::Array(Vec::new()));
        assert_eq!(variant.role_settings(RoleKind::Terminal, &case), case);
        let names: Vec<String> = Network::builtins().into_iter().map(|n| n.name).collect();
        assert_eq!(names, ["cmcc", "cucc", "ctcc"]);
    }

    #[test]
    fn variant_names_are_plain_and_distinct_from_carriers() {
        assert!(Network::is_variant_name("cucc-untrusting"));
        assert!(Network::is_variant_name("ctcc2"));
        for bad in [
            "cucc",
            "a",
            "",
            "Cucc-x",
            "x y",
            "1abc",
            "cmcc>cucc",
            "e[1]",
        ] {
            assert!(!Network::is_variant_name(bad), "{bad}");
        }
    }
    #[test]
    fn networks_are_selected_by_name_or_all_known() {
        let variant = std::sync::Arc::new(Network {
            name: "cucc-untrusting".into(),
            carrier: Carrier::Cucc,
            settings: BTreeMap::new(),
        });
        let names = |v: Vec<std::sync::Arc<Network>>| -> Vec<String> {
            v.into_iter().map(|n| n.name.clone()).collect()
        };
        let all = Network::select(&[], std::slice::from_ref(&variant)).unwrap();
        assert_eq!(names(all), ["cmcc", "cucc", "ctcc", "cucc-untrusting"]);
        let asked = ["cucc-untrusting".to_owned(), "cmcc".into(), "cmcc".into()];
        let some = Network::select(&asked, std::slice::from_ref(&variant)).unwrap();
        assert_eq!(names(some), ["cucc-untrusting", "cmcc"]);
        let err = Network::select(&["cucc-x".into()], &[variant]).unwrap_err();
        assert_eq!(
            err,
            "unknown network `cucc-x` (known: cmcc, cucc, ctcc, cucc-untrusting)"
        );
        assert_eq!(names(Network::select(&[], &[]).unwrap()).len(), 3);
    }
}
