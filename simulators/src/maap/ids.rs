//! Fresh identifiers and timestamps the MaaP writes (protocols.md §12): lowercase UUIDv4 for
//! Call-ID, Conversation-ID and Contribution-ID, RFC 3261 branches with the magic cookie, and
//! RFC 3339 times with milliseconds in China Standard Time. Nothing here keeps state.

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

/// An API message id for a message the MaaP starts itself (the `push` action).
pub(crate) fn message_id() -> String {
    format!("maap{}", alphanumeric(12))
}

/// The wall-clock time now, as CPIM `DateTime` and the CDRs write it.
pub(crate) fn now_rfc3339() -> String {
    date_time(SystemTime::now())
}

/// `at` in China Standard Time.
pub(crate) fn date_time(at: SystemTime) -> String {
    // Only numeric components: formatting cannot fail; an empty string would still be shown.
    OffsetDateTime::from(at)
        .to_offset(offset!(+8))
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
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn identifiers_have_their_shapes() {
        assert!(branch().starts_with("z9hG4bK") && branch().len() == 23);
        assert_eq!(uuid().len(), 36);
        assert_ne!(message_id(), message_id());
        let t = UNIX_EPOCH + Duration::from_millis(1_740_794_400_250);
        assert_eq!(date_time(t), "2025-03-01T10:00:00.250+08:00");
    }
}
