//! URIs: SIP and SIPS (RFC 3261 19.1, 25.1), tel (RFC 3966), and any other scheme kept opaque.
//!
//! Parsing keeps the raw text ([`Uri`]'s `Display` gives it back unchanged) and splits it into
//! parts without decoding: user, password, parameter and header text stay escaped, and
//! [`percent_decode`](super::params::percent_decode) decodes them on demand. Character classes
//! follow the RFC 3261 grammar. This module does not compare URIs (RFC 3261 19.1.4) and does not
//! resolve hosts.

use std::fmt;

use super::error::SipError;
use super::host::{Host, parse_hostport};
use super::params::{MAX_PARAMS, Params, escapes_valid, percent_decode};
use super::tel_uri::TelUri;

/// A URI as found in a Request-URI or a name-addr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Uri {
    /// `sip:` or `sips:`.
    Sip(SipUri),
    /// `tel:` (RFC 3966).
    Tel(TelUri),
    /// Any other scheme, kept opaque.
    Other {
        /// The scheme as sent.
        scheme: String,
        /// The whole URI text.
        raw: String,
    },
    /// `*`, as in `Contact: *` (RFC 3261 10.2.2) or `Accept-Contact: *` (RFC 3841).
    Wildcard,
}

/// A `sip:` or `sips:` URI, split into its escaped parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipUri {
    /// The whole URI text.
    pub raw: String,
    /// The scheme as sent (`sip`, `SIPS`, ...).
    pub scheme: String,
    /// The user part, still escaped.
    pub user: Option<String>,
    /// The password, still escaped.
    pub password: Option<String>,
    /// The host.
    pub host: Host,
    /// The port, if given.
    pub port: Option<u16>,
    /// `uri-parameters`, still escaped.
    pub params: Params,
    /// `headers` after `?`, still escaped.
    pub headers: Vec<(String, String)>,
}

impl Uri {
    /// Parses a URI. Surrounding whitespace is an error: callers trim what their grammar allows.
    pub fn parse(text: &str) -> Result<Self, SipError> {
        if text == "*" {
            return Ok(Self::Wildcard);
        }
        if let Some(at) = text.find(|c: char| c.is_whitespace() || c.is_control()) {
            return Err(SipError::uri(
                text,
                format!("whitespace or control character at offset {at}"),
            ));
        }
        let (scheme, rest) = text
            .split_once(':')
            .ok_or_else(|| SipError::uri(text, "no scheme"))?;
        if !is_scheme(scheme) {
            return Err(SipError::uri(text, format!("{scheme:?} is not a scheme")));
        }
        if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
            return parse_sip(text, scheme, rest).map(Self::Sip);
        }
        if scheme.eq_ignore_ascii_case("tel") {
            return TelUri::parse(text).map(Self::Tel);
        }
        if rest.is_empty() || rest.contains(['<', '>', '"']) {
            return Err(SipError::uri(text, "empty or bracketed opaque part"));
        }
        Ok(Self::Other {
            scheme: scheme.to_owned(),
            raw: text.to_owned(),
        })
    }

    /// The raw text.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Sip(uri) => &uri.raw,
            Self::Tel(uri) => uri.as_str(),
            Self::Other { raw, .. } => raw,
            Self::Wildcard => "*",
        }
    }

    /// The scheme as sent; empty for the wildcard.
    pub fn scheme(&self) -> &str {
        match self {
            Self::Sip(uri) => &uri.scheme,
            Self::Tel(_) => "tel",
            Self::Other { scheme, .. } => scheme,
            Self::Wildcard => "",
        }
    }

    /// The user part (escaped) of a SIP URI, or the number of a tel URI.
    pub fn user(&self) -> Option<&str> {
        match self {
            Self::Sip(uri) => uri.user.as_deref(),
            Self::Tel(uri) => Some(uri.number()),
            Self::Other { .. } | Self::Wildcard => None,
        }
    }

    /// The user part with escapes decoded (lossy UTF-8).
    pub fn user_decoded(&self) -> Option<String> {
        self.user()
            .map(|user| String::from_utf8_lossy(&percent_decode(user)).into_owned())
    }

    /// The host of a SIP URI.
    pub fn host(&self) -> Option<&Host> {
        match self {
            Self::Sip(uri) => Some(&uri.host),
            _ => None,
        }
    }

    /// The port of a SIP URI, if given.
    pub fn port(&self) -> Option<u16> {
        match self {
            Self::Sip(uri) => uri.port,
            _ => None,
        }
    }

    /// A URI parameter by name (case-insensitive): `Some(None)` when present without value.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        let params = match self {
            Self::Sip(uri) => &uri.params,
            Self::Tel(uri) => uri.params(),
            Self::Other { .. } | Self::Wildcard => return None,
        };
        super::params::find_param(params, name)
    }

    /// True for `sip`, `sips` and `tel`.
    pub fn is_known_scheme(&self) -> bool {
        matches!(self, Self::Sip(_) | Self::Tel(_))
    }
}

impl fmt::Display for Uri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

fn is_scheme(scheme: &str) -> bool {
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
}

fn parse_sip(text: &str, scheme: &str, rest: &str) -> Result<SipUri, SipError> {
    let err = |detail: &str| SipError::uri(text, detail);
    let (userinfo, hostpart) = match rest.split_once('@') {
        Some((userinfo, hostpart)) => (Some(userinfo), hostpart),
        None => (None, rest),
    };
    let (user, password) = match userinfo {
        Some(info) => {
            let (user, password) = match info.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (info, None),
            };
            check_chars(user, USER_EXTRA).map_err(|d| err(&format!("user part: {d}")))?;
            if let Some(password) = password {
                check_chars_or_empty(password, PASSWORD_EXTRA)
                    .map_err(|d| err(&format!("password: {d}")))?;
            }
            (Some(user.to_owned()), password.map(str::to_owned))
        }
        None => (None, None),
    };
    let (hostpart, headers) = match hostpart.split_once('?') {
        Some((hostpart, headers)) => (hostpart, Some(headers)),
        None => (hostpart, None),
    };
    let (hostport, params) = match hostpart.split_once(';') {
        Some((hostport, params)) => (hostport, Some(params)),
        None => (hostpart, None),
    };
    let (host, port) = parse_hostport(hostport).map_err(|d| err(&d))?;
    Ok(SipUri {
        raw: text.to_owned(),
        scheme: scheme.to_owned(),
        user,
        password,
        host,
        port,
        params: params
            .map_or(Ok(Vec::new()), parse_uri_params)
            .map_err(|d| err(&d))?,
        headers: headers
            .map_or(Ok(Vec::new()), parse_uri_headers)
            .map_err(|d| err(&d))?,
    })
}

fn parse_uri_params(text: &str) -> Result<Params, String> {
    let pieces: Vec<&str> = text.split(';').collect();
    if pieces.len() > MAX_PARAMS {
        return Err(format!("more than {MAX_PARAMS} URI parameters"));
    }
    pieces
        .into_iter()
        .map(|piece| {
            let (name, value) = match piece.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (piece, None),
            };
            check_chars(name, PARAM_EXTRA).map_err(|d| format!("URI parameter name: {d}"))?;
            if let Some(value) = value {
                check_chars(value, PARAM_EXTRA)
                    .map_err(|d| format!("URI parameter {name}: {d}"))?;
            }
            Ok((name.to_owned(), value.map(str::to_owned)))
        })
        .collect()
}

fn parse_uri_headers(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split('&')
        .take(MAX_PARAMS + 1)
        .map(|piece| {
            let (name, value) = piece
                .split_once('=')
                .ok_or_else(|| format!("URI header {piece:?} has no '='"))?;
            check_chars(name, HEADER_EXTRA).map_err(|d| format!("URI header name: {d}"))?;
            check_chars_or_empty(value, HEADER_EXTRA)
                .map_err(|d| format!("URI header {name}: {d}"))?;
            Ok((name.to_owned(), value.to_owned()))
        })
        .collect()
}

/// `unreserved` of RFC 3261 25.1: alphanumerics and `mark`.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b)
}

const USER_EXTRA: &[u8] = b"&=+$,;?/";
const PASSWORD_EXTRA: &[u8] = b"&=+$,";
const PARAM_EXTRA: &[u8] = b"[]/:&+$";
const HEADER_EXTRA: &[u8] = b"[]/?:+$";

fn check_chars(text: &str, extra: &[u8]) -> Result<(), String> {
    if text.is_empty() {
        return Err("empty".into());
    }
    check_chars_or_empty(text, extra)
}

fn check_chars_or_empty(text: &str, extra: &[u8]) -> Result<(), String> {
    if let Some(bad) = text.chars().find(|c| {
        !(c.is_ascii() && (is_unreserved(*c as u8) || extra.contains(&(*c as u8)) || *c == '%'))
    }) {
        return Err(format!("character {bad:?} is not allowed"));
    }
    if !escapes_valid(text) {
        return Err("'%' does not start a %HH escape".into());
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn sip(text: &str) -> SipUri {
        match Uri::parse(text).unwrap() {
            Uri::Sip(uri) => uri,
            other => panic!("not a SIP URI: {other:?}"),
        }
    }

    #[test]
    fn ipv6_reference_and_port() {
        let uri = Uri::parse("sip:[2001:db8::1]:5070").unwrap();
        assert_eq!(
            uri.host(),
            Some(&Host::Ipv6("2001:db8::1".parse().unwrap()))
        );
        assert_eq!(uri.port(), Some(5070));
        assert_eq!(uri.user(), None);
        assert_eq!(uri.to_string(), "sip:[2001:db8::1]:5070");
        assert_eq!(uri.host().unwrap().to_string(), "[2001:db8::1]");
    }

    #[test]
    fn user_params_and_headers() {
        let uri = sip("sips:+8613800000001@10.20.0.7:5061;transport=tcp;lr?Subject=hi%20there");
        assert_eq!(uri.scheme, "sips");
        assert_eq!(uri.user.as_deref(), Some("+8613800000001"));
        assert_eq!(uri.host, Host::Ipv4(Ipv4Addr::new(10, 20, 0, 7)));
        assert_eq!(
            uri.params,
            vec![
                ("transport".into(), Some("tcp".into())),
                ("lr".into(), None)
            ]
        );
        assert_eq!(uri.headers, vec![("Subject".into(), "hi%20there".into())]);
        let parsed = Uri::parse(&uri.raw).unwrap();
        assert_eq!(parsed.param("LR"), Some(None));
        assert_eq!(parsed.param("transport"), Some(Some("tcp")));
        assert_eq!(parsed.param("maddr"), None);
    }

    #[test]
    fn unusual_user_and_password() {
        let uri = sip(
            "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
        );
        assert_eq!(
            uri.user.as_deref(),
            Some("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*")
        );
        assert_eq!(
            uri.password.as_deref(),
            Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        );
        assert_eq!(uri.host, Host::Domain("example.com".into()));
    }

    #[test]
    fn escapes_decode_on_demand() {
        let uri = Uri::parse("sip:sips%3Auser%40example.com@example.net").unwrap();
        assert_eq!(uri.user(), Some("sips%3Auser%40example.com"));
        assert_eq!(uri.user_decoded().as_deref(), Some("sips:user@example.com"));
        let null = Uri::parse("sip:null-%00-null@example.com").unwrap();
        assert_eq!(percent_decode(null.user().unwrap()), b"null-\0-null");
    }

    #[test]
    fn other_schemes_are_opaque() {
        for text in [
            "nobodyKnowsThisScheme:totallyopaquecontent",
            "soap.beep://192.0.2.103:3002",
            "isbn:2983792873",
            "urn:uuid:6f1e9a5c",
        ] {
            let uri = Uri::parse(text).unwrap();
            assert!(matches!(uri, Uri::Other { .. }), "{text}");
            assert!(!uri.is_known_scheme());
            assert_eq!(uri.to_string(), text);
        }
        assert_eq!(Uri::parse("*").unwrap(), Uri::Wildcard);
    }

    #[test]
    fn rejects_malformed() {
        for text in [
            "sip:user@example.com; lr",
            "<sip:user@example.com>",
            "sip:@example.com",
            "sip:user@",
            "sip:user@exa mple.com",
            "sip:user@[::1",
            "sip:user@host:99999",
            "sip:user@host:",
            "sip:us%zzer@host",
            "sip:user@host;;lr",
            "sip:user@host?noequals",
            "noscheme",
            "1sip:x",
            "sip:a@b@c",
        ] {
            assert!(Uri::parse(text).is_err(), "{text}");
        }
    }
}
