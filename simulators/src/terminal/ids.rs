//! Fresh identifiers and timestamps the terminal writes (protocols.md §12).
//!
//! Call-ID, Conversation-ID, Contribution-ID and `+sip.instance` are lowercase UUIDv4;
//! `imdn.Message-ID` is 10 to 16 characters of `[A-Za-z0-9]`; branches carry the RFC 3261
//! 8.1.1.7 magic cookie; CPIM `DateTime` is RFC 3339 with milliseconds and the +08:00 offset.
//! Nothing here keeps state.

use std::time::SystemTime;

use rand::Rng;
use rand::distr::Alphanumeric;
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::{format_description, offset};

/// `2025-03-01T10:00:00.000+08:00`.
const DATE_TIME: &[FormatItem<'static>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory]:[offset_minute]"
);

/// A lowercase UUIDv4.
pub(crate) fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A Via branch: `z9hG4bK` and 16 random alphanumerics.
pub(crate) fn branch() -> String {
    format!("z9hG4bK{}", alphanumeric(16))
}

/// A From/To tag.
pub(crate) fn tag() -> String {
    alphanumeric(10)
}

/// An `imdn.Message-ID`: 10 to 16 alphanumerics.
pub(crate) fn imdn_message_id() -> String {
    let len = rand::rng().random_range(10..=16);
    alphanumeric(len)
}

/// A digest client nonce.
pub(crate) fn cnonce() -> String {
    alphanumeric(16)
}

/// `now` in China Standard Time as CPIM and IMDN write it.
pub(crate) fn date_time(now: SystemTime) -> String {
    let utc = OffsetDateTime::from(now);
    // The format has only numeric components, so formatting cannot fail; an empty string would
    // still be sent and shown rather than stopping the terminal.
    utc.to_offset(offset!(+8))
        .format(DATE_TIME)
        .unwrap_or_default()
}

fn alphanumeric(len: usize) -> String {
    rand::rng()
        .sample_iter(Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn message_ids_are_10_to_16_alphanumerics() {
        for _ in 0..200 {
            let id = imdn_message_id();
            assert!((10..=16).contains(&id.len()), "{id}");
            assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()), "{id}");
        }
        assert_ne!(imdn_message_id(), imdn_message_id());
    }

    #[test]
    fn branches_carry_the_magic_cookie() {
        let b = branch();
        assert!(b.starts_with("z9hG4bK") && b.len() == 23, "{b}");
    }

    #[test]
    fn uuids_are_lowercase_v4() {
        let u = uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(u.as_bytes()[14], b'4');
        assert_eq!(u, u.to_lowercase());
    }

    #[test]
    fn date_time_is_rfc3339_in_utc_plus_8() {
        // 2025-03-01T02:00:00.250Z
        let t = UNIX_EPOCH + Duration::from_millis(1_740_794_400_250);
        assert_eq!(date_time(t), "2025-03-01T10:00:00.250+08:00");
    }
}
