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

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

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
}
