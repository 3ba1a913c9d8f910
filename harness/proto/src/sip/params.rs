//! Generic header parameters and percent-escapes (RFC 3261 25.1 `generic-param`, `escaped`).
//!
//! Header parameters (`;name=value` after a name-addr, a Via sent-by, ...) are split on
//! semicolons outside quoted strings; whitespace around `;` and `=` is allowed (LWS, as in
//! RFC 4475 3.1.1.1). Quoted values keep their quotes so the text stays lossless; [`unquote`]
//! removes them. This module does not parse URI parameters: see `uri`.

use super::error::SipError;
use super::head::is_token_char;
use super::split::split_outside;

/// A parameter list: names as sent, values as sent (quoted values keep their quotes).
pub type Params = Vec<(String, Option<String>)>;

/// The most parameters one construct may carry.
pub const MAX_PARAMS: usize = 64;

/// Parses `;a=b;c;d="e f"` (the leading `;` included) into parameters.
///
/// `header` names the construct in errors. An empty parameter (`;;`) is an error.
pub(crate) fn parse_header_params(text: &str, header: &'static str) -> Result<Params, SipError> {
    let text = text.trim_matches([' ', '\t']);
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = text.strip_prefix(';') else {
        return Err(SipError::Header {
            header,
            detail: format!("expected ';' before parameters, found {text:?}"),
        });
    };
    let pieces = split_outside(rest, b';');
    if pieces.len() > MAX_PARAMS {
        return Err(SipError::Header {
            header,
            detail: format!("more than {MAX_PARAMS} parameters"),
        });
    }
    pieces
        .into_iter()
        .map(|piece| parse_one(piece, header))
        .collect()
}

fn parse_one(piece: &str, header: &'static str) -> Result<(String, Option<String>), SipError> {
    let err = |detail: String| SipError::Header { header, detail };
    let (name, value) = match piece.split_once('=') {
        Some((name, value)) => (name.trim_end(), Some(value.trim_start())),
        None => (piece, None),
    };
    if name.is_empty() {
        return Err(err("empty parameter".into()));
    }
    if !name.bytes().all(is_token_char) {
        return Err(err(format!("parameter name {name:?} is not a token")));
    }
    if let Some(value) = value {
        check_gen_value(value).map_err(|detail| err(format!("parameter {name}: {detail}")))?;
    }
    Ok((name.to_owned(), value.map(str::to_owned)))
}

/// `gen-value = token / host / quoted-string` (RFC 3261 25.1).
fn check_gen_value(value: &str) -> Result<(), String> {
    if value.starts_with('"') {
        return match quoted_end(value) {
            Some(end) if end == value.len() => Ok(()),
            Some(_) => Err("text after the closing quote".into()),
            None => Err("unterminated quoted string".into()),
        };
    }
    if value.is_empty() {
        return Err("empty value".into());
    }
    let host_like = |b: u8| is_token_char(b) || b"[]:".contains(&b);
    if value.bytes().all(host_like) {
        Ok(())
    } else {
        Err(format!(
            "value {value:?} is not a token, host or quoted string"
        ))
    }
}

/// Offset just past the closing quote of the quoted-string that starts `text`.
pub(crate) fn quoted_end(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate().skip(1) {
        if escaped {
            escaped = false;
        } else if b == b'\\' {
            escaped = true;
        } else if b == b'"' {
            return Some(i + 1);
        }
    }
    None
}

/// Removes the quotes around a quoted-string and resolves its quoted-pairs; other text is
/// returned unchanged.
pub fn unquote(value: &str) -> String {
    let Some(inner) = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .filter(|_| value.len() >= 2)
    else {
        return value.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(ch) = chars.next() {
        if ch == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(ch);
        }
    }
    out
}

/// Finds a parameter by name, case-insensitively. `Some(None)` means present without value.
pub fn find_param<'a>(params: &'a Params, name: &str) -> Option<Option<&'a str>> {
    params
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_deref())
}

/// Decodes `%HH` escapes (RFC 3261 25.1 `escaped`, RFC 3986 2.1). A `%` not followed by two hex
/// digits is kept as it is.
pub fn percent_decode(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = hex_pair(bytes.get(i + 1..i + 3))
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// Encodes every byte outside `keep` and the RFC 3986 unreserved set as `%HH`.
pub fn percent_encode(text: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// True if every `%` in `text` starts a valid `%HH` escape.
pub(crate) fn escapes_valid(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'%')
        .all(|(i, _)| hex_pair(bytes.get(i + 1..i + 3)).is_some())
}

fn hex_pair(pair: Option<&[u8]>) -> Option<u8> {
    let pair = std::str::from_utf8(pair?).ok()?;
    if pair.len() != 2 || !pair.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u8::from_str_radix(pair, 16).ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn header_params_with_lws_and_quotes() {
        let params = parse_header_params(" ;   tag    = 1918181833n", "To").unwrap();
        assert_eq!(params, vec![("tag".into(), Some("1918181833n".into()))]);
        let params = parse_header_params(
            r#";+sip.instance="<urn:uuid:1>";+g.gsma.rcs.isbot;q=0.5"#,
            "Contact",
        )
        .unwrap();
        assert_eq!(params.len(), 3);
        assert_eq!(params[0].1.as_deref(), Some(r#""<urn:uuid:1>""#));
        assert_eq!(find_param(&params, "+G.GSMA.RCS.ISBOT"), Some(None));
        assert_eq!(find_param(&params, "q"), Some(Some("0.5")));
        assert_eq!(find_param(&params, "expires"), None);
    }

    #[test]
    fn bad_header_params() {
        assert!(parse_header_params(";;;", "Contact").is_err());
        assert!(parse_header_params(r#";a="open"#, "Contact").is_err());
        assert!(parse_header_params(";a=b c", "Contact").is_err());
        assert!(parse_header_params("a=b", "Contact").is_err());
    }

    #[test]
    fn unquoting() {
        assert_eq!(unquote(r#""J Rosenberg \\\"""#), r#"J Rosenberg \""#);
        assert_eq!(unquote("token"), "token");
        assert_eq!(unquote("\""), "\"");
    }

    #[test]
    fn percent_escapes() {
        assert_eq!(percent_decode("urn%3Aurn-7%3Ax"), b"urn:urn-7:x");
        assert_eq!(percent_decode("null-%00-%zz%4"), b"null-\0-%zz%4");
        assert_eq!(percent_encode("urn:urn-7:x", b""), "urn%3Aurn-7%3Ax");
        assert!(escapes_valid("a%41b"));
        assert!(!escapes_valid("a%4"));
        assert!(!escapes_valid("%ZE"));
    }
}
