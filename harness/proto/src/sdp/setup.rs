//! The `a=setup` attribute (RFC 4145 §4) as MSRP uses it (RFC 6135 §4).
//!
//! `a=setup` says which end opens the TCP (or TLS) connection: `active` connects, `passive` listens,
//! `actpass` lets the answerer choose, `holdconn` defers the connection.
//!
//! When the attribute is absent, RFC 4145 §4.1 gives the default: `active` in an offer and `passive`
//! in an answer ([`Setup::default_for`]). That is also the connection model of RFC 4975 §5.4, where
//! the offerer opens the connection, and RFC 6135 §4 builds on RFC 4145 without changing the
//! default, so an endpoint that predates RFC 6135 and omits `a=setup` is read as it behaves.

use std::fmt;
use std::str::FromStr;

use super::SdpError;

/// The value of `a=setup` (RFC 4145 §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Setup {
    /// The endpoint opens the connection.
    Active,
    /// The endpoint accepts an incoming connection.
    Passive,
    /// The endpoint can do either; the answerer chooses.
    Actpass,
    /// No connection for now.
    Holdconn,
}

impl Setup {
    /// The role an answerer takes for this offered role (RFC 4145 §4.1, RFC 6135 §4.2):
    /// `actpass` -> `active`, `active` -> `passive`, `passive` -> `active`, `holdconn` -> `holdconn`.
    ///
    /// For `actpass` either active or passive is allowed; active is chosen so the answerer opens
    /// the connection, which avoids the offerer waiting behind a middlebox it cannot reach through.
    pub fn answer(self) -> Self {
        match self {
            Self::Actpass | Self::Passive => Self::Active,
            Self::Active => Self::Passive,
            Self::Holdconn => Self::Holdconn,
        }
    }

    /// The default when `a=setup` is absent (RFC 4145 §4.1): `active` for an offer, `passive` for
    /// an answer.
    pub fn default_for(is_offer: bool) -> Self {
        match is_offer {
            true => Self::Active,
            false => Self::Passive,
        }
    }

    /// Whether an answer's role is one RFC 4145 §4.1 allows for this offered role.
    pub fn is_valid_answer_to(self, offer: Self) -> bool {
        match offer {
            Self::Active => matches!(self, Self::Passive | Self::Holdconn),
            Self::Passive => matches!(self, Self::Active | Self::Holdconn),
            Self::Actpass => self != Self::Actpass,
            Self::Holdconn => self == Self::Holdconn,
        }
    }

    /// The attribute value as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Passive => "passive",
            Self::Actpass => "actpass",
            Self::Holdconn => "holdconn",
        }
    }
}

impl FromStr for Setup {
    type Err = SdpError;

    /// Reads a value, ASCII case-insensitively, surrounding blanks ignored.
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        let setup = [Self::Active, Self::Passive, Self::Actpass, Self::Holdconn]
            .into_iter()
            .find(|s| value.trim().eq_ignore_ascii_case(s.as_str()));
        setup.ok_or_else(|| {
            SdpError::attribute("setup", value, "not active, passive, actpass or holdconn")
        })
    }
}

impl fmt::Display for Setup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const ALL: [Setup; 4] = [
        Setup::Active,
        Setup::Passive,
        Setup::Actpass,
        Setup::Holdconn,
    ];

    #[test]
    fn answers_per_rfc_4145() {
        assert_eq!(Setup::Actpass.answer(), Setup::Active);
        assert_eq!(Setup::Active.answer(), Setup::Passive);
        assert_eq!(Setup::Passive.answer(), Setup::Active);
        assert_eq!(Setup::Holdconn.answer(), Setup::Holdconn);
        for offer in ALL {
            assert!(offer.answer().is_valid_answer_to(offer), "{offer}");
        }
    }

    #[test]
    fn validates_answers() {
        assert!(!Setup::Active.is_valid_answer_to(Setup::Active));
        assert!(!Setup::Actpass.is_valid_answer_to(Setup::Actpass));
        assert!(Setup::Passive.is_valid_answer_to(Setup::Actpass));
        assert!(!Setup::Active.is_valid_answer_to(Setup::Holdconn));
    }

    #[test]
    fn defaults_when_absent() {
        assert_eq!(Setup::default_for(true), Setup::Active);
        assert_eq!(Setup::default_for(false), Setup::Passive);
    }

    #[test]
    fn round_trips_as_text() {
        for setup in ALL {
            assert_eq!(setup.as_str().parse::<Setup>().unwrap(), setup);
        }
        assert_eq!(" ACTIVE ".parse::<Setup>().unwrap(), Setup::Active);
        let err = "both".parse::<Setup>().unwrap_err();
        assert!(err.to_string().contains("a=setup:both"), "{err}");
    }
}
