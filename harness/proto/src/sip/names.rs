//! Header names: compact forms and canonical spelling.
//!
//! RFC 3261 7.3.3 defines compact forms for a few headers; extensions add more (RFC 3515 `r`,
//! RFC 3841 `a j d`, RFC 3892 `b`, RFC 4028 `x`, RFC 6665 `o u`, RFC 8224 `y`, RFC 4474 `n`).
//! Header names compare case-insensitively (RFC 3261 7.3.1) and a compact form equals its long
//! form. This module does not look at header values.

/// Compact letter and long form of every header with a registered compact form.
const COMPACT: &[(&str, &str)] = &[
    ("a", "Accept-Contact"),
    ("b", "Referred-By"),
    ("c", "Content-Type"),
    ("d", "Request-Disposition"),
    ("e", "Content-Encoding"),
    ("f", "From"),
    ("i", "Call-ID"),
    ("j", "Reject-Contact"),
    ("k", "Supported"),
    ("l", "Content-Length"),
    ("m", "Contact"),
    ("n", "Identity-Info"),
    ("o", "Event"),
    ("r", "Refer-To"),
    ("s", "Subject"),
    ("t", "To"),
    ("u", "Allow-Events"),
    ("v", "Via"),
    ("x", "Session-Expires"),
    ("y", "Identity"),
];

/// Headers whose canonical spelling is not plain Title-Case of their words.
const SPELLING: &[&str] = &[
    "CSeq",
    "Call-ID",
    "WWW-Authenticate",
    "MIME-Version",
    "RAck",
    "RSeq",
    "Conversation-ID",
    "Contribution-ID",
    "InReplyTo-Contribution-ID",
    "P-Asserted-Identity",
    "P-Associated-URI",
    "P-Called-Party-ID",
    "SIP-ETag",
    "SIP-If-Match",
];

/// Returns the compact letter of a header, given its long or compact name in any case.
///
/// `compact_form("call-id")` and `compact_form("I")` both give `Some("i")`; a header without a
/// compact form gives `None`.
pub fn compact_form(name: &str) -> Option<&'static str> {
    COMPACT
        .iter()
        .find(|(short, long)| name.eq_ignore_ascii_case(short) || name.eq_ignore_ascii_case(long))
        .map(|(short, _)| *short)
}

/// Returns the long form of a header name, spelled canonically.
///
/// Compact letters expand (`i` gives `Call-ID`); known names take their registered spelling
/// (`cseq` gives `CSeq`); any other name is Title-Cased word by word (`max-forwards` gives
/// `Max-Forwards`).
pub fn canonical_name(name: &str) -> String {
    let long = long_form(name);
    if let Some(known) = COMPACT
        .iter()
        .map(|(_, long)| *long)
        .chain(SPELLING.iter().copied())
        .find(|known| known.eq_ignore_ascii_case(long))
    {
        return known.to_owned();
    }
    title_case(long)
}

/// True when two header names denote the same header (case-insensitive, compact = long).
pub fn names_equal(a: &str, b: &str) -> bool {
    long_form(a).eq_ignore_ascii_case(long_form(b))
}

/// The long form of `name` if it is a compact letter, else `name` itself.
pub(crate) fn long_form(name: &str) -> &str {
    if name.len() != 1 {
        return name;
    }
    COMPACT
        .iter()
        .find(|(short, _)| name.eq_ignore_ascii_case(short))
        .map_or(name, |(_, long)| *long)
}

fn title_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut word_start = true;
    for ch in name.chars() {
        if word_start {
            out.extend(ch.to_uppercase());
        } else {
            out.extend(ch.to_lowercase());
        }
        word_start = ch == '-';
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_letters_of_rfc3261_and_extensions() {
        for (short, long) in [
            ("i", "Call-ID"),
            ("m", "Contact"),
            ("e", "Content-Encoding"),
            ("l", "Content-Length"),
            ("c", "Content-Type"),
            ("f", "From"),
            ("s", "Subject"),
            ("k", "Supported"),
            ("t", "To"),
            ("v", "Via"),
            ("o", "Event"),
            ("r", "Refer-To"),
            ("b", "Referred-By"),
            ("x", "Session-Expires"),
            ("u", "Allow-Events"),
            ("a", "Accept-Contact"),
            ("j", "Reject-Contact"),
            ("d", "Request-Disposition"),
            ("y", "Identity"),
            ("n", "Identity-Info"),
        ] {
            assert_eq!(compact_form(long), Some(short), "{long}");
            assert_eq!(compact_form(&short.to_uppercase()), Some(short));
            assert_eq!(canonical_name(short), long);
            assert!(names_equal(short, &long.to_lowercase()));
        }
        assert_eq!(compact_form("CSeq"), None);
    }

    #[test]
    fn canonical_spelling() {
        assert_eq!(canonical_name("cseq"), "CSeq");
        assert_eq!(canonical_name("CALL-ID"), "Call-ID");
        assert_eq!(canonical_name("max-FORWARDS"), "Max-Forwards");
        assert_eq!(canonical_name("www-authenticate"), "WWW-Authenticate");
        assert_eq!(canonical_name("x-custom-thing"), "X-Custom-Thing");
    }

    #[test]
    fn names_differ() {
        assert!(!names_equal("To", "From"));
        assert!(!names_equal("t", "f"));
        assert!(!names_equal("Via", "Via2"));
        assert!(names_equal("MaX-fOrWaRdS", "Max-Forwards"));
    }
}
