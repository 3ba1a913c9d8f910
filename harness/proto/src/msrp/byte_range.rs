//! The MSRP Byte-Range header value (RFC 4975 §7.1.1, §9): `range-start "-" range-end "/" total`,
//! 1-based and inclusive, with `*` for an unknown end or total.
//!
//! Parsing rejects inconsistent ranges (ROB-MSRP-002): a start of 0, an end before the start, an
//! end or start beyond the total. The one range whose end precedes its start by one, such as
//! `1-0/0`, is the empty range of an empty message and is accepted.

use std::fmt;
use std::str::FromStr;

use super::MsrpError;

/// A parsed Byte-Range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ByteRange {
    /// The first byte, 1-based.
    pub start: u64,
    /// The last byte, inclusive; `None` for `*`.
    pub end: Option<u64>,
    /// The size of the whole message; `None` for `*`.
    pub total: Option<u64>,
}

impl ByteRange {
    /// Parses `start-end/total`.
    pub fn parse(value: &str) -> Result<Self, MsrpError> {
        let err = |detail| MsrpError::ByteRange {
            value: value.to_owned(),
            detail,
        };
        let (range, total) = value.trim().split_once('/').ok_or(err("no '/'"))?;
        let (start, end) = range.split_once('-').ok_or(err("no '-'"))?;
        let start = number(start).ok_or(err("the start is not a number"))?;
        let end = star_or_number(end).ok_or(err("the end is neither a number nor '*'"))?;
        let total = star_or_number(total).ok_or(err("the total is neither a number nor '*'"))?;
        let range = Self { start, end, total };
        range.check().map_err(err)?;
        Ok(range)
    }

    /// The consistency rules of the module docs.
    fn check(&self) -> Result<(), &'static str> {
        if self.start == 0 {
            return Err("the start is 0 but ranges are 1-based");
        }
        if let Some(end) = self.end
            && end < self.start - 1
        {
            return Err("the end precedes the start");
        }
        match (self.end, self.total) {
            (Some(end), Some(total)) if end > total => Err("the end lies beyond the total"),
            (_, Some(total)) if self.start - 1 > total => Err("the start lies beyond the total"),
            _ => Ok(()),
        }
    }

    /// The number of bytes the range covers, when its end is known.
    pub fn len(&self) -> Option<u64> {
        self.end.map(|end| end + 1 - self.start)
    }

    /// Whether the range is known to cover no byte.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
}

impl fmt::Display for ByteRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-", self.start)?;
        match self.end {
            Some(end) => write!(f, "{end}/")?,
            None => f.write_str("*/")?,
        }
        match self.total {
            Some(total) => write!(f, "{total}"),
            None => f.write_str("*"),
        }
    }
}

impl FromStr for ByteRange {
    type Err = MsrpError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// `1*DIGIT`, rejecting signs and overflow.
fn number(s: &str) -> Option<u64> {
    match !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        true => s.parse().ok(),
        false => None,
    }
}

/// `1*DIGIT / "*"`: `Some(None)` for `*`.
fn star_or_number(s: &str) -> Option<Option<u64>> {
    match s {
        "*" => Some(None),
        _ => number(s).map(Some),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_known_and_unknown_parts() {
        assert_eq!(
            ByteRange::parse("1-331/331").unwrap(),
            ByteRange {
                start: 1,
                end: Some(331),
                total: Some(331)
            }
        );
        assert_eq!(
            ByteRange::parse("10241-*/*").unwrap(),
            ByteRange {
                start: 10241,
                end: None,
                total: None
            }
        );
    }

    #[test]
    fn empty_message_range() {
        let range = ByteRange::parse("1-0/0").unwrap();
        assert!(range.is_empty());
        assert_eq!(range.to_string(), "1-0/0");
    }

    #[test]
    fn display_round_trips() {
        for text in ["1-331/331", "5-*/10", "1-25/*", "7-*/*"] {
            assert_eq!(ByteRange::parse(text).unwrap().to_string(), text);
        }
    }

    #[test]
    fn end_beyond_total_is_rejected() {
        // ROB-MSRP-002.
        let err = ByteRange::parse("1-500/100").unwrap_err();
        assert_eq!(
            err,
            MsrpError::ByteRange {
                value: "1-500/100".into(),
                detail: "the end lies beyond the total"
            }
        );
    }

    #[test]
    fn inconsistent_ranges_are_rejected() {
        for bad in [
            "0-10/10",
            "10-5/20",
            "30-*/20",
            "1-5",
            "15/20",
            "a-5/10",
            "-1-5/10",
            "+1-5/10",
            "1-5/",
            "1-99999999999999999999999/*",
        ] {
            assert!(ByteRange::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn len_of_ranges() {
        assert_eq!(ByteRange::parse("3-7/10").unwrap().len(), Some(5));
        assert_eq!(ByteRange::parse("3-*/10").unwrap().len(), None);
    }
}
