//! Byte ranges: the `Range` request field and the `Content-Range` field (RFC 9110 §14).
//!
//! [`Range::parse`] reads one byte range (`bytes=a-b`, `bytes=a-`, `bytes=-n`); a value with
//! several ranges is an error ([`HttpError::Range`] "several ranges"). The simulators' policy,
//! which RFC 9110 §14.2 allows: a Range they cannot parse, or with several ranges, is ignored and
//! the whole representation is sent with 200; a single range that no byte satisfies is answered
//! 416 with `Content-Range: bytes */<length>` ([`ContentRange::Unsatisfied`]).
//! [`ContentRange`] reads and writes `bytes a-b/total`, `bytes a-b/*` and `bytes */total`. Other
//! range units and `If-Range` are not handled here.

use std::fmt;

use super::error::HttpError;

/// One byte range of a Range field (RFC 9110 §14.1.1), positions inclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Range {
    /// `bytes=first-last`.
    FromTo(u64, u64),
    /// `bytes=first-`: from `first` to the end.
    From(u64),
    /// `bytes=-n`: the last `n` bytes.
    Suffix(u64),
}

impl Range {
    /// Parses a Range field value holding one byte range.
    pub fn parse(value: &str) -> Result<Self, HttpError> {
        let (unit, set) = value
            .trim()
            .split_once('=')
            .ok_or_else(|| HttpError::Range(format!("{value:?} has no `=`")))?;
        if !unit.trim().eq_ignore_ascii_case("bytes") {
            return Err(HttpError::Range(format!("unit {unit:?} is not bytes")));
        }
        let specs: Vec<&str> = set
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        let [spec] = specs.as_slice() else {
            return Err(match specs.len() {
                0 => HttpError::Range("no range is given".into()),
                n => HttpError::Range(format!("several ranges ({n}) are not served")),
            });
        };
        let (first, last) = spec
            .split_once('-')
            .ok_or_else(|| HttpError::Range(format!("{spec:?} has no `-`")))?;
        match (first.trim(), last.trim()) {
            ("", "") => Err(HttpError::Range("`-` alone is not a range".into())),
            ("", n) => Ok(Self::Suffix(number(n, "suffix length")?)),
            (a, "") => Ok(Self::From(number(a, "first position")?)),
            (a, b) => {
                let (a, b) = (number(a, "first position")?, number(b, "last position")?);
                match a <= b {
                    true => Ok(Self::FromTo(a, b)),
                    false => Err(HttpError::Range(format!("{a}-{b} ends before it starts"))),
                }
            }
        }
    }

    /// The inclusive positions this range selects in a representation of `length` bytes, or
    /// `None` when it selects none (answer 416), RFC 9110 §14.1.2.
    pub fn resolve(&self, length: u64) -> Option<(u64, u64)> {
        let last_byte = length.checked_sub(1)?;
        match *self {
            Self::FromTo(first, last) if first < length => Some((first, last.min(last_byte))),
            Self::From(first) if first < length => Some((first, last_byte)),
            Self::Suffix(n) if n > 0 => Some((length.saturating_sub(n), last_byte)),
            _ => None,
        }
    }
}

impl fmt::Display for Range {
    /// The field value, `bytes=...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FromTo(a, b) => write!(f, "bytes={a}-{b}"),
            Self::From(a) => write!(f, "bytes={a}-"),
            Self::Suffix(n) => write!(f, "bytes=-{n}"),
        }
    }
}

/// A Content-Range field value (RFC 9110 §14.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentRange {
    /// `bytes first-last/complete` (`*` when the complete length is unknown).
    Satisfied {
        /// First position, inclusive.
        first: u64,
        /// Last position, inclusive.
        last: u64,
        /// The length of the whole representation, if known.
        complete: Option<u64>,
    },
    /// `bytes */complete`, sent with 416.
    Unsatisfied {
        /// The length of the whole representation.
        complete: u64,
    },
}

impl ContentRange {
    /// Parses a Content-Range field value.
    pub fn parse(value: &str) -> Result<Self, HttpError> {
        let bad = |why: &str| HttpError::ContentRange(format!("{value:?} {why}"));
        let (unit, rest) = value
            .trim()
            .split_once(' ')
            .ok_or_else(|| bad("has no range unit"))?;
        if !unit.eq_ignore_ascii_case("bytes") {
            return Err(bad("is not in bytes"));
        }
        let (range, complete) = rest
            .trim()
            .split_once('/')
            .ok_or_else(|| bad("has no `/`"))?;
        let complete = match complete {
            "*" => None,
            n => Some(number(n, "complete length").map_err(|_| bad("has a bad complete length"))?),
        };
        if range == "*" {
            return complete
                .map(|complete| Self::Unsatisfied { complete })
                .ok_or_else(|| bad("has neither range nor length"));
        }
        let (first, last) = range.split_once('-').ok_or_else(|| bad("has no `-`"))?;
        let first = number(first, "first").map_err(|_| bad("has a bad first position"))?;
        let last = number(last, "last").map_err(|_| bad("has a bad last position"))?;
        if last < first || complete.is_some_and(|c| last >= c) {
            return Err(bad("is not a valid range of its length"));
        }
        Ok(Self::Satisfied {
            first,
            last,
            complete,
        })
    }

    /// The number of bytes the range covers.
    pub fn len(&self) -> u64 {
        match self {
            Self::Satisfied { first, last, .. } => last - first + 1,
            Self::Unsatisfied { .. } => 0,
        }
    }

    /// True for [`ContentRange::Unsatisfied`].
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Display for ContentRange {
    /// The field value, `bytes ...`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Satisfied {
                first,
                last,
                complete: Some(c),
            } => write!(f, "bytes {first}-{last}/{c}"),
            Self::Satisfied {
                first,
                last,
                complete: None,
            } => write!(f, "bytes {first}-{last}/*"),
            Self::Unsatisfied { complete } => write!(f, "bytes */{complete}"),
        }
    }
}

/// `1*DIGIT` that fits a u64.
fn number(text: &str, what: &str) -> Result<u64, HttpError> {
    let text = text.trim();
    match !text.is_empty() && text.len() <= 19 && text.bytes().all(|b| b.is_ascii_digit()) {
        true => text
            .parse()
            .map_err(|_| HttpError::Range(format!("{what} {text:?} is too large"))),
        false => Err(HttpError::Range(format!("{what} {text:?} is not a number"))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_forms_and_resolves_them() {
        assert_eq!(Range::parse("bytes=0-499").unwrap(), Range::FromTo(0, 499));
        assert_eq!(Range::parse("Bytes = 500-").unwrap(), Range::From(500));
        assert_eq!(Range::parse("bytes=-500").unwrap(), Range::Suffix(500));
        assert_eq!(Range::FromTo(0, 499).resolve(10_000), Some((0, 499)));
        assert_eq!(
            Range::FromTo(9_500, 20_000).resolve(10_000),
            Some((9_500, 9_999))
        );
        assert_eq!(Range::From(9_999).resolve(10_000), Some((9_999, 9_999)));
        assert_eq!(Range::Suffix(500).resolve(10_000), Some((9_500, 9_999)));
        assert_eq!(Range::Suffix(20_000).resolve(100), Some((0, 99)));
        assert_eq!(Range::From(100).resolve(100), None);
        assert_eq!(Range::Suffix(0).resolve(100), None);
        assert_eq!(Range::From(0).resolve(0), None);
        for range in [Range::FromTo(1, 2), Range::From(3), Range::Suffix(4)] {
            assert_eq!(Range::parse(&range.to_string()).unwrap(), range);
        }
    }

    #[test]
    fn refuses_what_it_does_not_serve() {
        for (value, expected) in [
            ("bytes=0-1,5-6", "several ranges (2)"),
            ("items=0-1", "not bytes"),
            ("bytes=5-1", "ends before it starts"),
            ("bytes=-", "`-` alone"),
            ("bytes=a-1", "not a number"),
            ("bytes=", "no range"),
            ("bytes 0-1", "no `=`"),
            ("bytes=99999999999999999999-", "not a number"),
        ] {
            let err = Range::parse(value).unwrap_err().to_string();
            assert!(err.contains(expected), "{value}: {err}");
        }
    }

    #[test]
    fn content_range_round_trips() {
        for value in ["bytes 0-499/1234", "bytes 500-999/*", "bytes */1234"] {
            assert_eq!(ContentRange::parse(value).unwrap().to_string(), value);
        }
        assert_eq!(ContentRange::parse("bytes 0-499/1234").unwrap().len(), 500);
        for bad in [
            "bytes 5-1/10",
            "bytes 0-10/10",
            "bytes */*",
            "0-1/2",
            "bytes 0-1",
            "bytes x-1/2",
        ] {
            assert!(ContentRange::parse(bad).is_err(), "{bad}");
        }
    }
}
