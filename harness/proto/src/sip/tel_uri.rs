//! tel URIs (RFC 3966 3, 5.1): global numbers (`tel:+8613800000001`) and local numbers that
//! carry a `phone-context` (`tel:10086;phone-context=+86`).
//!
//! The number keeps its visual separators as sent; [`TelUri::digits`] strips them. Parameter
//! text stays escaped. This module does not validate numbering plans (E.164 lengths, Chinese
//! prefixes) and does not map tel URIs to SIP URIs (RFC 3261 19.1.6).

use super::error::SipError;
use super::params::{MAX_PARAMS, Params, escapes_valid};

/// A parsed `tel:` URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TelUri {
    raw: String,
    number: String,
    params: Params,
}

impl TelUri {
    /// Parses a tel URI (`tel:` in any case).
    pub fn parse(text: &str) -> Result<Self, SipError> {
        let rest = text
            .get(..4)
            .filter(|scheme| scheme.eq_ignore_ascii_case("tel:"))
            .and_then(|_| text.get(4..))
            .ok_or_else(|| SipError::uri(text, "not a tel URI"))?;
        let mut pieces = rest.split(';');
        let number = pieces.next().unwrap_or_default();
        let params = pieces
            .take(MAX_PARAMS + 1)
            .map(|piece| parse_param(text, piece))
            .collect::<Result<Params, SipError>>()?;
        if params.len() > MAX_PARAMS {
            return Err(SipError::uri(text, "too many parameters"));
        }
        check_number(text, number)?;
        let uri = Self {
            raw: text.to_owned(),
            number: number.to_owned(),
            params,
        };
        if !uri.is_global() && uri.phone_context().is_none() {
            return Err(SipError::uri(
                text,
                "a local number needs a phone-context parameter (RFC 3966 5.1.5)",
            ));
        }
        Ok(uri)
    }

    /// The raw text.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// The number as sent, with visual separators.
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The number without visual separators (`+86-138 0000` gives `+861380000`).
    pub fn digits(&self) -> String {
        self.number
            .chars()
            .filter(|c| !matches!(c, '-' | '.' | '(' | ')'))
            .collect()
    }

    /// True for a global number (`+` and digits).
    pub fn is_global(&self) -> bool {
        self.number.starts_with('+')
    }

    /// The `phone-context` of a local number.
    pub fn phone_context(&self) -> Option<&str> {
        super::params::find_param(&self.params, "phone-context").flatten()
    }

    /// The parameters, in order, escaped.
    pub fn params(&self) -> &Params {
        &self.params
    }
}

fn check_number(text: &str, number: &str) -> Result<(), SipError> {
    let visual = |c: char| matches!(c, '-' | '.' | '(' | ')');
    let (digits, allowed): (&str, fn(char) -> bool) = match number.strip_prefix('+') {
        Some(digits) => (digits, |c: char| c.is_ascii_digit()),
        None => (number, |c: char| {
            c.is_ascii_hexdigit() || c == '*' || c == '#'
        }),
    };
    if !digits.chars().any(allowed) {
        return Err(SipError::uri(text, "the number has no digits"));
    }
    if let Some(bad) = digits.chars().find(|c| !allowed(*c) && !visual(*c)) {
        return Err(SipError::uri(
            text,
            format!("character {bad:?} is not allowed in a number"),
        ));
    }
    Ok(())
}

fn parse_param(text: &str, piece: &str) -> Result<(String, Option<String>), SipError> {
    let (name, value) = match piece.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (piece, None),
    };
    let name_ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !name_ok {
        return Err(SipError::uri(text, format!("parameter name {name:?}")));
    }
    if let Some(value) = value {
        let chars_ok = !value.is_empty()
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.!~*'()[]/:&+$%".contains(&b));
        if !chars_ok || !escapes_valid(value) {
            return Err(SipError::uri(
                text,
                format!("parameter {name} value {value:?}"),
            ));
        }
    }
    Ok((name.to_owned(), value.map(str::to_owned)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn global_number() {
        let tel = TelUri::parse("tel:+8613800000001").unwrap();
        assert!(tel.is_global());
        assert_eq!(tel.number(), "+8613800000001");
        assert_eq!(tel.as_str(), "tel:+8613800000001");
        assert!(tel.params().is_empty());
    }

    #[test]
    fn local_number_with_context_and_separators() {
        let tel = TelUri::parse("TEL:(010)-1008.6;phone-context=+86;ext=12").unwrap();
        assert!(!tel.is_global());
        assert_eq!(tel.digits(), "01010086");
        assert_eq!(tel.phone_context(), Some("+86"));
        assert_eq!(tel.params()[1], ("ext".into(), Some("12".into())));
        let tel =
            TelUri::parse("tel:*21#;phone-context=ims.mnc000.mcc460.3gppnetwork.org").unwrap();
        assert_eq!(tel.number(), "*21#");
    }

    #[test]
    fn rejects_bad_numbers() {
        for text in [
            "tel:10086",
            "tel:+",
            "tel:+86 138",
            "tel:+86a",
            "tel:;phone-context=+86",
            "tel:+86;=x",
            "tel:+86;isub=",
            "sip:+86",
        ] {
            assert!(TelUri::parse(text).is_err(), "{text}");
        }
    }
}
