//! The store-and-forward and revoke settings of a message center, read from [`Settings`]
//! (protocols.md §4.8, §4.9).
//!
//! `retention` is a duration as cases write them (`90s`, `2min`, `1h`) or whole days (`7d`, the
//! default: the CT/CU platform text keeps content 7 days); `revoke-result` names the shape of the
//! revoke result sent back to the sender, which no source verifies (docs/protocol-notes.md). This
//! module only reads and checks the values.

use std::time::Duration;

use rcs_harness::case::duration::CaseDuration;

use super::config::Settings;

/// The longest retention accepted.
const MAX_RETENTION_DAYS: u64 = 30;

/// How a revoke result reaches the sender (protocols.md §4.9: not verified on the SIP side).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevokeResult {
    /// The revoke document itself, with `<result>success|failure</result>` added.
    RevokeXml,
    /// An IMDN delivery-notification: `failed` (the message will never be delivered) when the
    /// revoke succeeded, `delivered` when it came too late.
    Imdn,
}

/// Checks the store-and-forward settings; the error names the setting.
pub fn check(settings: &Settings) -> Result<(), String> {
    retention(settings)?;
    revoke_result(settings)?;
    if settings.revoke_namespace.trim().is_empty()
        || settings.revoke_namespace.contains(['"', '<', '>', '&'])
    {
        return Err(format!(
            "invalid message-center settings: revoke-namespace {:?} is not a namespace URI",
            settings.revoke_namespace
        ));
    }
    Ok(())
}

/// How long a stored message is kept.
pub fn retention(settings: &Settings) -> Result<Duration, String> {
    let text = settings.retention.trim();
    let bad = |why: String| format!("invalid message-center settings: retention: {why}");
    if let Some(days) = text.strip_suffix('d') {
        let days: u64 = days
            .trim()
            .parse()
            .map_err(|_| bad(format!("`{text}` is not a whole number of days")))?;
        if days == 0 || days > MAX_RETENTION_DAYS {
            return Err(bad(format!("`{text}`: 1 to {MAX_RETENTION_DAYS} days")));
        }
        return Ok(Duration::from_secs(days * 86_400));
    }
    let duration = CaseDuration::parse(text).map_err(bad)?.duration;
    if duration.is_zero() {
        return Err(bad(format!("`{text}` keeps nothing")));
    }
    Ok(duration)
}

/// The shape of the revoke result.
pub fn revoke_result(settings: &Settings) -> Result<RevokeResult, String> {
    match settings.revoke_result.as_str() {
        "revoke-xml" => Ok(RevokeResult::RevokeXml),
        "imdn" => Ok(RevokeResult::Imdn),
        other => Err(format!(
            "invalid message-center settings: revoke-result `{other}`: use revoke-xml or imdn"
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::*;

    fn settings(value: Value) -> Result<Settings, String> {
        let map: Map<String, Value> = value.as_object().unwrap().clone();
        Settings::from_map(&map)
    }

    #[test]
    fn defaults_keep_seven_days_and_answer_in_revoke_xml() {
        let s = settings(json!({})).unwrap();
        assert!(s.store_and_forward);
        assert_eq!(retention(&s).unwrap(), Duration::from_secs(7 * 86_400));
        assert_eq!(revoke_result(&s).unwrap(), RevokeResult::RevokeXml);
        assert_eq!(s.revoke_namespace, rcs_proto::revoke::REVOKE_NS);
    }

    #[test]
    fn case_durations_and_days_are_read() {
        let s = settings(json!({"retention": "2min", "revoke-result": "imdn"})).unwrap();
        assert_eq!(retention(&s).unwrap(), Duration::from_secs(120));
        assert_eq!(revoke_result(&s).unwrap(), RevokeResult::Imdn);
        let s = settings(json!({"retention": "30d", "store-and-forward": false})).unwrap();
        assert_eq!(retention(&s).unwrap(), Duration::from_secs(30 * 86_400));
        assert!(!s.store_and_forward);
    }

    #[test]
    fn bad_values_name_the_setting() {
        for bad in [
            json!({"retention": "0s"}),
            json!({"retention": "31d"}),
            json!({"retention": "soon"}),
            json!({"revoke-result": "sms"}),
            json!({"revoke-namespace": ""}),
            json!({"store-and-forward": "yes"}),
        ] {
            let err = settings(bad.clone()).unwrap_err();
            assert!(
                err.starts_with("invalid message-center settings"),
                "{bad}: {err}"
            );
        }
    }
}
