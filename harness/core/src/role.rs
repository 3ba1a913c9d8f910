//! Roles of a 5G Messaging network and the identities the harness gives them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use crate::carrier::Carrier;

/// A network role a case can name. Each can be a built-in simulator or an external system under test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoleKind {
    /// A phone: 5G Messaging terminal (UE).
    Terminal,
    /// IMS core plus the 5G Message Center (registrar, routing, store-and-forward).
    MessageCenter,
    /// The chatbot platform.
    Maap,
    /// Another carrier's network, reached through an interworking gateway.
    PeerCarrier,
    /// An SMS center for fallback.
    SmsCenter,
    /// A chatbot owner's server behind the developer APIs.
    CspBot,
}

impl RoleKind {
    pub const ALL: [RoleKind; 6] = [
        Self::Terminal,
        Self::MessageCenter,
        Self::Maap,
        Self::PeerCarrier,
        Self::SmsCenter,
        Self::CspBot,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Terminal => "terminal",
            Self::MessageCenter => "message-center",
            Self::Maap => "maap",
            Self::PeerCarrier => "peer-carrier",
            Self::SmsCenter => "sms-center",
            Self::CspBot => "csp-bot",
        }
    }

    /// Network roles start before the terminals that register to them.
    pub fn start_order(self) -> u8 {
        match self {
            Self::MessageCenter | Self::PeerCarrier | Self::SmsCenter => 0,
            Self::Maap | Self::CspBot => 1,
            Self::Terminal => 2,
        }
    }
}

impl fmt::Display for RoleKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for RoleKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown role kind `{s}`"))
    }
}

/// Home network domain of the simulated carrier (protocols.md §1.2).
pub const HOME_DOMAIN: &str = "ims.mnc000.mcc460.3gppnetwork.org";

/// A subscriber of the home network: what a terminal needs to register and what the registrar checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Subscriber {
    /// E.164 number with `+`, e.g. `+8613800000001`.
    pub msisdn: String,
    /// Private identity used as the digest username.
    pub impi: String,
    pub password: String,
    /// Has a 5G Messaging (RCS) subscription; a non-RCS user gets 404 to OPTIONS.
    #[serde(default = "yes")]
    pub rcs: bool,
    /// Home domain; defaults to [`HOME_DOMAIN`].
    #[serde(default = "home_domain")]
    pub domain: String,
    /// The IMS AKA subscriber key K, 32 hex digits (TS 33.102 §6.3); `None`: no AKA credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<String>,
    /// The Milenage operator variant OPc, 32 hex digits (TS 35.206 §4.1), with `k`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opc: Option<String>,
    /// The AKA sequence number the USIM (SQN_MS) and the network (SQN_HE) start from.
    #[serde(default)]
    pub sqn: u64,
    /// The carrier the user is subscribed at (for a ported number, not the one that issued it).
    #[serde(default, skip_serializing_if = "is_default_carrier")]
    pub carrier: Carrier,
}

/// The test AKA keys of a built-in subscriber, derived from its number so that the simulated
/// terminal and network agree without configuration: K is `6b` ("k") then the number's digits
/// zero-padded to 30 hex digits, OPc is `6f` ("o") then the same, e.g. for `+8613800000001`
/// K = `6b000000000000000008613800000001`. Test keys only: never a real subscriber's.
pub fn builtin_aka_keys(msisdn: &str) -> (String, String) {
    let digits: String = msisdn
        .chars()
        .filter(char::is_ascii_digit)
        .take(30)
        .collect();
    (format!("6b{digits:0>30}"), format!("6f{digits:0>30}"))
}

fn is_default_carrier(c: &Carrier) -> bool {
    *c == Carrier::default()
}

fn yes() -> bool {
    true
}

fn home_domain() -> String {
    HOME_DOMAIN.to_owned()
}

impl Subscriber {
    /// The built-in subscriber number `n` (1-based): RCS users `+86138000000nn`, non-RCS `+86139000000nn`.
    pub fn builtin(n: usize, rcs: bool) -> Self {
        Self::builtin_in(n, rcs, HOME_DOMAIN)
    }

    /// The built-in subscriber `n` of another home domain (a real system under test's).
    pub fn builtin_in(n: usize, rcs: bool, domain: &str) -> Self {
        Self::built(n, rcs, Carrier::Cmcc, Carrier::Cmcc, domain)
    }

    /// The built-in subscriber `n` subscribed at `carrier`, with a number of `range`'s built-in
    /// prefix (`+86130` ... for China Unicom RCS users). `range` other than `carrier` is a number
    /// ported from `range` to `carrier`: the domain and the carrier are `carrier`'s.
    pub fn builtin_of(n: usize, rcs: bool, carrier: Carrier, range: Carrier) -> Self {
        Self::built(n, rcs, carrier, range, carrier.home_domain())
    }

    fn built(n: usize, rcs: bool, carrier: Carrier, range: Carrier, domain: &str) -> Self {
        let prefix = if rcs {
            range.rcs_prefix()
        } else {
            range.non_rcs_prefix()
        };
        let msisdn = format!("{prefix}0000{n:04}");
        let (k, opc) = builtin_aka_keys(&msisdn);
        let mut out = Self {
            impi: String::new(),
            password: format!("secret-{}", msisdn.trim_start_matches('+')),
            msisdn,
            rcs,
            domain: String::new(),
            k: Some(k),
            opc: Some(opc),
            sqn: 0,
            carrier,
        };
        out.move_to(carrier, domain);
        out
    }

    /// The same number subscribed at `carrier` in `domain` (number portability): the private
    /// identity follows the domain, the number, password and keys stay.
    pub fn move_to(&mut self, carrier: Carrier, domain: &str) {
        self.impi = format!("{}@{domain}", self.msisdn.trim_start_matches('+'));
        self.domain = domain.to_owned();
        self.carrier = carrier;
    }

    /// The SIP public identity (IMPU).
    pub fn sip_uri(&self) -> String {
        format!("sip:{}@{}", self.msisdn, self.domain)
    }

    /// The tel URI form of the public identity.
    pub fn tel_uri(&self) -> String {
        format!("tel:{}", self.msisdn)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn builtin_subscribers_are_distinct_and_well_formed() {
        let a = Subscriber::builtin(1, true);
        let b = Subscriber::builtin(1, false);
        assert_eq!(a.msisdn, "+8613800000001");
        assert_eq!(b.msisdn, "+8613900000001");
        assert_eq!(a.sip_uri(), format!("sip:+8613800000001@{HOME_DOMAIN}"));
        assert_eq!(a.tel_uri(), "tel:+8613800000001");
        assert_ne!(a.password, b.password);
        assert_eq!(a.k.as_deref(), Some("6b000000000000000008613800000001"));
        assert_eq!(a.opc.as_deref(), Some("6f000000000000000008613800000001"));
        assert_ne!(a.k, b.k);
        assert_eq!(a.sqn, 0);
    }

    #[test]
    fn builtin_of_takes_the_range_number_and_the_carrier_domain() {
        let cmcc = Subscriber::builtin_of(1, true, Carrier::Cmcc, Carrier::Cmcc);
        assert_eq!(cmcc, Subscriber::builtin(1, true));
        let cucc = Subscriber::builtin_of(2, false, Carrier::Cucc, Carrier::Cucc);
        assert_eq!(cucc.msisdn, "+8613100000002");
        assert_eq!(cucc.domain, Carrier::Cucc.home_domain());
        assert_eq!(cucc.impi, "8613100000002@ims.mnc001.mcc460.3gppnetwork.org");
        let ported = Subscriber::builtin_of(3, true, Carrier::Cucc, Carrier::Cmcc);
        assert_eq!(ported.msisdn, "+8613800000003");
        assert_eq!(Carrier::of_number(&ported.msisdn), Some(Carrier::Cmcc));
        assert_eq!(
            (ported.carrier, ported.domain.as_str()),
            (Carrier::Cucc, Carrier::Cucc.home_domain())
        );
        assert_eq!(ported.k, Subscriber::builtin(3, true).k);
    }

    #[test]
    fn aka_fields_are_optional_in_profiles() {
        let plain: Subscriber =
            serde_json::from_str(r#"{"msisdn": "+1", "impi": "1@x", "password": "p"}"#).unwrap();
        assert_eq!((plain.k, plain.opc, plain.sqn), (None, None, 0));
        assert_eq!(plain.carrier, Carrier::Cmcc);
        let aka: Subscriber = serde_json::from_str(
            r#"{"msisdn": "+1", "impi": "1@x", "password": "p", "k": "00", "opc": "11", "sqn": 9}"#,
        )
        .unwrap();
        assert_eq!(
            (aka.k.as_deref(), aka.opc.as_deref(), aka.sqn),
            (Some("00"), Some("11"), 9)
        );
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for k in RoleKind::ALL {
            assert_eq!(k.as_str().parse::<RoleKind>(), Ok(k));
        }
        assert!("gateway".parse::<RoleKind>().is_err());
    }
}
