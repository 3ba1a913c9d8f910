//! The direction attributes `a=sendrecv`, `a=sendonly`, `a=recvonly`, `a=inactive` (RFC 8866 §6.7,
//! offer/answer in RFC 3264 §6.1), as MSRP uses them (RFC 4975 §8.1: `sendonly` for one-way
//! large messages, `sendrecv` for chat).

use std::fmt;

/// The direction of a media section; [`Direction::SendRecv`] when no attribute is given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// Both ends send.
    #[default]
    SendRecv,
    /// This end only sends.
    SendOnly,
    /// This end only receives.
    RecvOnly,
    /// Neither end sends.
    Inactive,
}

impl Direction {
    /// Every direction, in attribute order.
    pub const ALL: [Self; 4] = [
        Self::SendRecv,
        Self::SendOnly,
        Self::RecvOnly,
        Self::Inactive,
    ];

    /// The direction an answerer mirrors for this offered one (RFC 3264 §6.1): `sendonly` <->
    /// `recvonly`; `sendrecv` and `inactive` stay.
    pub fn answer(self) -> Self {
        match self {
            Self::SendOnly => Self::RecvOnly,
            Self::RecvOnly => Self::SendOnly,
            other => other,
        }
    }

    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    /// The direction named by an attribute, ASCII case-insensitively; `None` for other attributes.
    pub fn from_attribute(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|d| name.eq_ignore_ascii_case(d.as_str()))
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_mirror_one_way_directions() {
        assert_eq!(Direction::SendOnly.answer(), Direction::RecvOnly);
        assert_eq!(Direction::RecvOnly.answer(), Direction::SendOnly);
        assert_eq!(Direction::SendRecv.answer(), Direction::SendRecv);
        assert_eq!(Direction::Inactive.answer(), Direction::Inactive);
    }

    #[test]
    fn names_round_trip() {
        for d in Direction::ALL {
            assert_eq!(Direction::from_attribute(d.as_str()), Some(d));
        }
        assert_eq!(
            Direction::from_attribute("SendOnly"),
            Some(Direction::SendOnly)
        );
        assert_eq!(Direction::from_attribute("setup"), None);
        assert_eq!(Direction::default(), Direction::SendRecv);
    }
}
