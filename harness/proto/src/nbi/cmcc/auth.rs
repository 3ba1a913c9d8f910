//! The CMCC request signature (protocols.md §8.1.1): every request carries
//! `Date: <RFC 1123 GMT>` and `Authorization: Basic base64(appId ":" signature)`, where
//! signature = lowercase hex SHA-256(lowercase hex SHA-256(password) ‖ Date value).
//!
//! [`verify`] is the platform's check: the header parsed, the app id known, the signature
//! recomputed from the password of that app and the Date header as received, and the Date within
//! a skew of the platform's clock (§12: ±15 min, [`DEFAULT_SKEW_SECS`], a simulator default; the
//! real tolerance is a gap). The CSP-level credentials (`cspId`, `cspToken`) use the same
//! construction with the token given directly; they are not modelled here.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::format_description;

/// The Date skew a platform tolerates by default, in seconds (±15 min, protocols.md §12).
pub const DEFAULT_SKEW_SECS: i64 = 15 * 60;

/// RFC 1123 dates as HTTP writes them (RFC 9110 §5.6.7 IMF-fixdate).
const IMF_FIXDATE: &[FormatItem<'static>] = format_description!(
    "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
);

/// Why an `Authorization` / `Date` pair is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The Authorization or Date header is absent or empty.
    #[error("find the Authorization and Date headers")]
    Missing,
    /// Authorization is not `Basic base64(appId:signature)`, or Date is not an RFC 1123 date.
    #[error("parse the Authorization header as Basic appId:signature with an RFC 1123 Date")]
    Malformed,
    /// No chatbot has this app id.
    #[error("find the app id {0:?} among the provisioned chatbots")]
    UnknownApp(String),
    /// The signature is not the one the app's password and the Date give.
    #[error("match the Authorization signature with the app's password and the Date header")]
    BadSignature,
    /// The Date is further from the platform's clock than the skew allows.
    #[error("accept the Date header: more than {skew_secs} s from the platform's clock")]
    Stale {
        /// The tolerance, in seconds.
        skew_secs: i64,
    },
}

/// `unix_secs` as an RFC 1123 date, e.g. `Tue, 04 Mar 2025 02:12:31 GMT`. A time outside the
/// years 1..9999 is clamped to them.
pub fn http_date(unix_secs: i64) -> String {
    let min = OffsetDateTime::from_unix_timestamp(-62_135_596_800);
    let max = OffsetDateTime::from_unix_timestamp(253_402_300_799);
    let at = OffsetDateTime::from_unix_timestamp(unix_secs)
        .or(if unix_secs < 0 { min } else { max })
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    at.format(IMF_FIXDATE).unwrap_or_default()
}

/// The Unix time of an RFC 1123 date (`GMT`); `None` when it is not one. Blanks around it are
/// ignored; the weekday must be the date's, and the form exactly IMF-fixdate.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.len() > 64 {
        return None;
    }
    let at = time::PrimitiveDateTime::parse(s, IMF_FIXDATE).ok()?;
    let unix = at.assume_utc().unix_timestamp();
    (http_date(unix) == s).then_some(unix)
}

/// The signature of §8.1.1: hex(sha256(hex(sha256(password)) + date)), lowercase.
pub fn signature(password: &str, date: &str) -> String {
    let token = hex::encode(Sha256::digest(password.as_bytes()));
    hex::encode(Sha256::digest(format!("{token}{date}").as_bytes()))
}

/// The `Authorization` header value: `Basic ` + base64(`appId:signature`).
pub fn authorization(app_id: &str, password: &str, date: &str) -> String {
    let credentials = format!("{app_id}:{}", signature(password, date));
    format!("Basic {}", STANDARD.encode(credentials))
}

/// Checks `authorization` against `date`: the app id when its signature matches the password
/// `password_of(app_id)` gives and `date` is within `skew_secs` of `now_unix`. The checks run in
/// the order of [`AuthError`]'s variants, so a replayed request with a good signature is `Stale`.
pub fn verify(
    authorization: &str,
    date: &str,
    now_unix: i64,
    skew_secs: i64,
    password_of: impl Fn(&str) -> Option<String>,
) -> Result<String, AuthError> {
    let (authorization, date) = (authorization.trim(), date.trim());
    if authorization.is_empty() || date.is_empty() {
        return Err(AuthError::Missing);
    }
    let (app_id, presented) = credentials(authorization).ok_or(AuthError::Malformed)?;
    let sent_at = parse_http_date(date).ok_or(AuthError::Malformed)?;
    let password = password_of(&app_id).ok_or_else(|| AuthError::UnknownApp(app_id.clone()))?;
    if !same(&signature(&password, date), &presented) {
        return Err(AuthError::BadSignature);
    }
    if sent_at.abs_diff(now_unix) > skew_secs.unsigned_abs() {
        return Err(AuthError::Stale { skew_secs });
    }
    Ok(app_id)
}

/// `(appId, signature)` from `Basic base64(appId:signature)`; the scheme is case-insensitive.
fn credentials(authorization: &str) -> Option<(String, String)> {
    if authorization.len() > 1024 {
        return None;
    }
    let (scheme, encoded) = authorization.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("Basic") {
        return None;
    }
    let decoded = STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (app_id, signature) = decoded.split_once(':')?;
    match app_id.is_empty() || signature.is_empty() {
        true => None,
        false => Some((app_id.to_owned(), signature.to_owned())),
    }
}

/// Compares two signatures without stopping at the first difference.
fn same(expected: &str, presented: &str) -> bool {
    expected.len() == presented.len()
        && expected
            .bytes()
            .zip(presented.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const DATE: &str = "Tue, 04 Mar 2025 02:12:31 GMT";
    const AT: i64 = 1_741_054_351;

    fn bank(app: &str) -> Option<String> {
        (app == "bank-cc").then(|| "s3cret-bank".to_owned())
    }

    #[test]
    fn signature_is_the_construction_of_section_8_1_1() {
        let token = hex::encode(Sha256::digest(b"s3cret-bank"));
        assert_eq!(
            token,
            "dd5fe947aaf97d4f40a2b05af4caf3003bae6cd169decf50c2047083a7c0bd40"
        );
        let by_hand = hex::encode(Sha256::digest(format!("{token}{DATE}")));
        assert_eq!(signature("s3cret-bank", DATE), by_hand);
        assert_eq!(
            by_hand,
            "111155c2e9d6c55cee4a7695b51afbf09c3b516814f3df72f790b7bbe5dd0ef7"
        );
        assert_eq!(
            authorization("bank-cc", "s3cret-bank", DATE),
            "Basic YmFuay1jYzoxMTExNTVjMmU5ZDZjNTVjZWU0YTc2OTViNTFhZmJmMDljM2I1MTY4MTRmM2RmNzJmNzkwYjdiYmU1ZGQwZWY3"
        );
    }

    #[test]
    fn http_date_both_ways() {
        assert_eq!(http_date(AT), DATE);
        assert_eq!(parse_http_date(DATE), Some(AT));
        assert_eq!(parse_http_date(&format!("  {DATE}\r\n")), Some(AT));
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(i64::MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
        assert_eq!(http_date(i64::MIN), "Mon, 01 Jan 0001 00:00:00 GMT");
    }

    #[test]
    fn parse_http_date_refuses_other_forms() {
        for bad in [
            "",
            "Wed, 04 Mar 2025 02:12:31 GMT",
            "Tue, 04 Mar 2025 02:12:31 +0000",
            "Tuesday, 04-Mar-25 02:12:31 GMT",
            "Tue Mar  4 02:12:31 2025",
            "Tue, 32 Mar 2025 02:12:31 GMT",
            "2025-03-04T02:12:31Z",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn verify_accepts_within_the_skew() {
        let auth = authorization("bank-cc", "s3cret-bank", DATE);
        for now in [AT, AT + DEFAULT_SKEW_SECS, AT - DEFAULT_SKEW_SECS] {
            let got = verify(&auth, DATE, now, DEFAULT_SKEW_SECS, bank);
            assert_eq!(got.as_deref(), Ok("bank-cc"));
        }
        let lower = auth.replacen("Basic", "basic", 1);
        assert!(verify(&lower, DATE, AT, DEFAULT_SKEW_SECS, bank).is_ok());
    }

    #[test]
    fn verify_errors() {
        let auth = authorization("bank-cc", "s3cret-bank", DATE);
        let check = |a: &str, d: &str, now: i64| verify(a, d, now, DEFAULT_SKEW_SECS, bank);
        assert_eq!(check("", DATE, AT), Err(AuthError::Missing));
        assert_eq!(check(&auth, " ", AT), Err(AuthError::Missing));
        let basic = |s: &str| format!("Basic {}", STANDARD.encode(s));
        for bad in [
            "Bearer abc".to_owned(),
            "Basic".to_owned(),
            "Basic !!!".to_owned(),
            basic("no-colon"),
            basic(":sig"),
            basic("bank-cc:"),
            format!("Basic {}", STANDARD.encode([0xff, b':', b'a'])),
        ] {
            assert_eq!(check(&bad, DATE, AT), Err(AuthError::Malformed), "{bad}");
        }
        assert_eq!(check(&auth, "yesterday", AT), Err(AuthError::Malformed));
        let other = authorization("bank-xx", "s3cret-bank", DATE);
        assert_eq!(
            check(&other, DATE, AT),
            Err(AuthError::UnknownApp("bank-xx".into()))
        );
        let wrong = authorization("bank-cc", "guess", DATE);
        assert_eq!(check(&wrong, DATE, AT), Err(AuthError::BadSignature));
        let later = "Tue, 04 Mar 2025 02:12:32 GMT";
        assert_eq!(check(&auth, later, AT), Err(AuthError::BadSignature));
        let upper = basic(&format!(
            "bank-cc:{}",
            signature("s3cret-bank", DATE).to_uppercase()
        ));
        assert_eq!(check(&upper, DATE, AT), Err(AuthError::BadSignature));
        let stale = AuthError::Stale { skew_secs: 900 };
        assert_eq!(check(&auth, DATE, AT + 901), Err(stale.clone()));
        assert_eq!(check(&auth, DATE, AT - 901), Err(stale.clone()));
        assert_eq!(
            stale.to_string(),
            "accept the Date header: more than 900 s from the platform's clock"
        );
    }
}
