//! name-addr and addr-spec with header parameters (RFC 3261 20.10, 20.20, 20.39, 25.1): the
//! value of To, From, Contact, Route, Record-Route, P-Asserted-Identity and similar headers.
//!
//! Forms accepted: `"Quoted \"Name\"" <uri>;p=v`, `token name <uri>;p`, `<uri>;p`, and the bare
//! addr-spec `uri;p` whose parameters belong to the header, not the URI. Parsing is lenient in
//! two ways a robust proxy is: whitespace just inside `<>` is ignored and an unquoted display
//! name may hold any text; `validate` reports both. This module does not split lists of values.

use std::fmt;

use super::error::SipError;
use super::params::{Params, find_param, parse_header_params, quoted_end, unquote};
use super::split::separator_positions;
use super::uri::Uri;

/// A display name, URI and header parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    /// The display name, unquoted and with quoted-pairs resolved; `None` if absent or empty.
    pub display_name: Option<String>,
    /// The URI.
    pub uri: Uri,
    /// Header parameters in order (quoted values keep their quotes).
    pub params: Params,
}

impl NameAddr {
    /// Parses one name-addr or addr-spec with its parameters.
    pub fn parse(text: &str) -> Result<Self, SipError> {
        Self::parse_for(text, "name-addr")
    }

    /// Parses, naming `header` in errors.
    pub(crate) fn parse_for(text: &str, header: &'static str) -> Result<Self, SipError> {
        let text = text.trim_matches([' ', '\t']);
        if text.is_empty() {
            return Err(SipError::header(header, "empty value"));
        }
        if text.starts_with('"') {
            let end = quoted_end(text)
                .ok_or_else(|| SipError::header(header, "unterminated quoted display name"))?;
            let display = unquote(&text[..end]);
            let rest = text[end..].trim_start_matches([' ', '\t']);
            if !rest.starts_with('<') {
                return Err(SipError::header(
                    header,
                    "no <URI> after the quoted display name",
                ));
            }
            let mut addr = parse_bracketed(rest, header)?;
            addr.display_name = Some(display).filter(|d| !d.is_empty());
            return Ok(addr);
        }
        match text.find('<') {
            Some(lt) => {
                let display = text[..lt].trim_matches([' ', '\t']);
                let mut addr = parse_bracketed(&text[lt..], header)?;
                addr.display_name = Some(display.to_owned()).filter(|d| !d.is_empty());
                Ok(addr)
            }
            None => parse_addr_spec(text, header),
        }
    }

    /// The `tag` parameter (RFC 3261 19.3).
    pub fn tag(&self) -> Option<&str> {
        self.param("tag").flatten()
    }

    /// A header parameter by name (case-insensitive): `Some(None)` when present without value.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        find_param(&self.params, name)
    }
}

impl fmt::Display for NameAddr {
    /// Writes the canonical form `"Name" <uri>;p=v`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(name) = &self.display_name {
            let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
            write!(f, "\"{escaped}\" ")?;
        }
        write!(f, "<{}>", self.uri)?;
        for (name, value) in &self.params {
            match value {
                Some(value) => write!(f, ";{name}={value}")?,
                None => write!(f, ";{name}")?,
            }
        }
        Ok(())
    }
}

/// Parses `<uri>` followed by header parameters; `text` starts with `<`.
fn parse_bracketed(text: &str, header: &'static str) -> Result<NameAddr, SipError> {
    let gt = text
        .find('>')
        .ok_or_else(|| SipError::header(header, "'<' without '>'"))?;
    let inner = text[1..gt].trim_matches([' ', '\t']);
    Ok(NameAddr {
        display_name: None,
        uri: Uri::parse(inner)?,
        params: parse_header_params(&text[gt + 1..], header)?,
    })
}

/// Parses an addr-spec: the URI ends at the first `;`, after which come header parameters.
fn parse_addr_spec(text: &str, header: &'static str) -> Result<NameAddr, SipError> {
    let split = separator_positions(text, b';')
        .first()
        .copied()
        .unwrap_or(text.len());
    let uri = text[..split].trim_matches([' ', '\t']);
    Ok(NameAddr {
        display_name: None,
        uri: Uri::parse(uri)?,
        params: parse_header_params(&text[split..], header)?,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn quoted_display_name_with_quoted_pairs() {
        let addr = NameAddr::parse(
            r#""J Rosenberg \\\""       <sip:jdrosen@example.com> ; tag = 98asjd8"#,
        )
        .unwrap();
        assert_eq!(addr.display_name.as_deref(), Some(r#"J Rosenberg \""#));
        assert_eq!(addr.uri.to_string(), "sip:jdrosen@example.com");
        assert_eq!(addr.tag(), Some("98asjd8"));
    }

    #[test]
    fn token_display_name_without_space() {
        let addr = NameAddr::parse("caller<sip:caller@example.com>;tag=323").unwrap();
        assert_eq!(addr.display_name.as_deref(), Some("caller"));
        assert_eq!(addr.tag(), Some("323"));
        let addr = NameAddr::parse("token1~` token2'+_ <sip:m@example.com>").unwrap();
        assert_eq!(addr.display_name.as_deref(), Some("token1~` token2'+_"));
    }

    #[test]
    fn addr_spec_params_belong_to_the_header() {
        let addr = NameAddr::parse("sip:+19725552222@gw1.example.net;unknownparam").unwrap();
        assert_eq!(addr.uri.param("unknownparam"), None);
        assert_eq!(addr.param("unknownparam"), Some(None));
        let addr = NameAddr::parse("<sip:+19725552222@gw1.example.net;unknownparam>").unwrap();
        assert_eq!(addr.uri.param("unknownparam"), Some(None));
        assert!(addr.params.is_empty());
        let addr = NameAddr::parse("tel:+8613800000001;tag=x").unwrap();
        assert_eq!(addr.uri.user(), Some("+8613800000001"));
        assert_eq!(addr.tag(), Some("x"));
    }

    #[test]
    fn wildcard_with_feature_tags() {
        let addr = NameAddr::parse(
            r#"*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg""#,
        )
        .unwrap();
        assert_eq!(addr.uri, Uri::Wildcard);
        assert_eq!(addr.params.len(), 1);
    }

    #[test]
    fn lenient_spaces_inside_brackets() {
        let addr = NameAddr::parse(r#""Watson, Thomas" < sip:t.watson@example.org >"#).unwrap();
        assert_eq!(addr.uri.to_string(), "sip:t.watson@example.org");
    }

    #[test]
    fn errors() {
        assert!(NameAddr::parse(r#""Mr. J. User <sip:j.user@example.com>"#).is_err());
        assert!(NameAddr::parse("<sip:a@b").is_err());
        assert!(NameAddr::parse(r#""x" sip:a@b"#).is_err());
        assert!(NameAddr::parse("").is_err());
        assert!(NameAddr::parse("<sip:a@b>;;").is_err());
    }

    #[test]
    fn display_is_canonical() {
        let addr = NameAddr::parse(r#"  "A \"B\""<sip:a@b>;tag=1;lr"#).unwrap();
        assert_eq!(addr.to_string(), r#""A \"B\"" <sip:a@b>;tag=1;lr"#);
    }
}
