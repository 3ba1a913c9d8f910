//! The subscribers the message center is provisioned with, found by number or private identity.
//!
//! A target is named by the user part of a SIP Request-URI (`sip:+8613800000002@domain`) or by a
//! tel URI (`tel:+8613800000002`, RFC 3966); both reduce to the E.164 digits, visual separators
//! removed (RFC 3966 5.1.1). Numbers without `+` are matched as international digits, and a
//! national number is tried with the Chinese country code 86. This module does not resolve
//! phone-context local numbers beyond that.

use rcs_harness::role::Subscriber;
use rcs_proto::sip::Uri;

/// The provisioned subscribers.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    subscribers: Vec<Subscriber>,
}

impl Directory {
    /// A directory of `subscribers` (later duplicates of a number are ignored).
    pub fn new(subscribers: Vec<Subscriber>) -> Self {
        let mut unique: Vec<Subscriber> = Vec::with_capacity(subscribers.len());
        for subscriber in subscribers {
            if !unique
                .iter()
                .any(|s| digits(&s.msisdn) == digits(&subscriber.msisdn))
            {
                unique.push(subscriber);
            }
        }
        Self {
            subscribers: unique,
        }
    }

    /// The subscriber whose private identity (digest username) is `impi`.
    pub fn by_impi(&self, impi: &str) -> Option<&Subscriber> {
        self.subscribers.iter().find(|s| s.impi == impi)
    }

    /// The subscriber with this number, in any of the forms a URI user part carries.
    pub fn by_number(&self, number: &str) -> Option<&Subscriber> {
        let wanted = digits(number);
        if wanted.is_empty() {
            return None;
        }
        let national = format!("86{wanted}");
        self.subscribers.iter().find(|s| {
            let have = digits(&s.msisdn);
            have == wanted || (!number.starts_with('+') && have == national)
        })
    }

    /// The subscriber a SIP or tel URI names, by its user part or number.
    pub fn by_uri(&self, uri: &Uri) -> Option<&Subscriber> {
        match uri {
            Uri::Sip(_) | Uri::Tel(_) => self.by_number(&uri.user_decoded()?),
            Uri::Other { .. } | Uri::Wildcard => None,
        }
    }
}

/// The digits of a number: `+86 138-0000-0001` gives `8613800000001`. A `;param` suffix of a
/// user part (`+86...;phone-context=...`) is not part of the number.
fn digits(number: &str) -> String {
    let number = number.split(';').next().unwrap_or_default();
    if number
        .chars()
        .any(|c| !(c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | '(' | ')' | ' ')))
    {
        return String::new();
    }
    number.chars().filter(char::is_ascii_digit).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn directory() -> Directory {
        Directory::new(vec![
            Subscriber::builtin(1, true),
            Subscriber::builtin(2, true),
            Subscriber::builtin(1, false),
        ])
    }

    #[test]
    fn finds_by_sip_and_tel_uri() {
        let d = directory();
        let sip = Uri::parse("sip:+8613800000002@ims.mnc000.mcc460.3gppnetwork.org").unwrap();
        assert_eq!(d.by_uri(&sip).unwrap().msisdn, "+8613800000002");
        let tel = Uri::parse("tel:+86-138-0000-0001").unwrap();
        assert_eq!(d.by_uri(&tel).unwrap().msisdn, "+8613800000001");
        let phone = Uri::parse("sip:+8613900000001;npdi@h;user=phone").unwrap();
        assert!(!d.by_uri(&phone).unwrap().rcs);
    }

    #[test]
    fn national_numbers_get_the_country_code() {
        let d = directory();
        assert_eq!(d.by_number("13800000002").unwrap().msisdn, "+8613800000002");
        assert!(d.by_number("+13800000002").is_none());
    }

    #[test]
    fn unknown_and_non_numbers_are_not_found() {
        let d = directory();
        assert!(d.by_number("+8613700000001").is_none());
        assert!(d.by_number("alice").is_none());
        assert!(d.by_number("").is_none());
        let impi = Subscriber::builtin(2, true).impi;
        assert_eq!(d.by_impi(&impi).unwrap().msisdn, "+8613800000002");
    }
}
