//! The Via header (RFC 3261 20.42, 18.2.1; RFC 3581 `rport`).
//!
//! `sent-protocol LWS sent-by *(SEMI via-params)`, with whitespace allowed around `/` and `:`
//! (RFC 4475 3.1.1.1). The branch is returned as sent; whether it carries the `z9hG4bK` magic
//! cookie (RFC 3261 8.1.1.7) is for the application to judge. This module does not add or
//! remove Via values.

use super::error::SipError;
use super::host::{Host, parse_hostport};
use super::message::Message;
use super::params::{Params, find_param, parse_header_params};

/// The RFC 3261 magic cookie that starts a compliant branch.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

/// One Via value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// `protocol-name/protocol-version` without whitespace, e.g. `SIP/2.0`.
    pub protocol: String,
    /// The transport as sent, e.g. `UDP`, `TCP`, `TLS`, `SCTP`, `WSS`.
    pub transport: String,
    /// The sent-by host.
    pub host: Host,
    /// The sent-by port, if given.
    pub port: Option<u16>,
    /// The Via parameters in order.
    pub params: Params,
}

impl Via {
    /// Parses one Via value (not a comma-separated list).
    pub fn parse(text: &str) -> Result<Self, SipError> {
        let err = |detail: String| SipError::header("Via", detail);
        let mut parts = text.splitn(3, '/');
        let (Some(name), Some(version), Some(rest)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(err(format!("{text:?} lacks protocol/version/transport")));
        };
        let (name, version) = (name.trim(), version.trim());
        let rest = rest.trim_start();
        let transport_end = rest.find([' ', '\t']).unwrap_or(rest.len());
        let transport = &rest[..transport_end];
        let token = |s: &str| !s.is_empty() && s.bytes().all(super::head::is_token_char);
        if !token(name) || !token(version) || !token(transport) {
            return Err(err(format!(
                "sent-protocol in {text:?} is not three tokens"
            )));
        }
        let after = &rest[transport_end..];
        let semi = after.find(';').unwrap_or(after.len());
        let sent_by = squeeze_colon_lws(after[..semi].trim());
        if sent_by.is_empty() || sent_by.contains([' ', '\t']) {
            return Err(err(format!("sent-by {sent_by:?} is not host[:port]")));
        }
        let (host, port) =
            parse_hostport(&sent_by).map_err(|detail| err(format!("sent-by: {detail}")))?;
        let via = Self {
            protocol: format!("{name}/{version}"),
            transport: transport.to_owned(),
            host,
            port,
            params: parse_header_params(&after[semi..], "Via")?,
        };
        if let Some(Some(value)) = find_param(&via.params, "rport")
            && value.parse::<u16>().is_err()
        {
            return Err(err(format!("rport {value:?} is not a port")));
        }
        Ok(via)
    }

    /// The `branch` parameter.
    pub fn branch(&self) -> Option<&str> {
        find_param(&self.params, "branch").flatten()
    }

    /// True when the branch starts with the RFC 3261 magic cookie and has more after it.
    pub fn has_rfc3261_branch(&self) -> bool {
        self.branch()
            .is_some_and(|b| b.len() > MAGIC_COOKIE.len() && b.starts_with(MAGIC_COOKIE))
    }

    /// The `received` parameter.
    pub fn received(&self) -> Option<&str> {
        find_param(&self.params, "received").flatten()
    }

    /// The `rport` parameter: `None` if absent, `Some(None)` if valueless, else its port.
    pub fn rport(&self) -> Option<Option<u16>> {
        find_param(&self.params, "rport").map(|value| value.and_then(|v| v.parse().ok()))
    }
}

/// Removes the whitespace RFC 3261 allows around the `:` of a sent-by (`COLON = SWS ":" SWS`).
fn squeeze_colon_lws(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_ws = false;
    for ch in text.chars() {
        if ch == ' ' || ch == '\t' {
            pending_ws = true;
            continue;
        }
        if pending_ws && ch != ':' && !out.ends_with(':') {
            out.push(' ');
        }
        pending_ws = false;
        out.push(ch);
    }
    out
}

impl Message {
    /// Every Via value, top first, across all Via lines (RFC 3261 7.3.1).
    pub fn vias(&self) -> Result<Vec<Via>, SipError> {
        self.header_values("Via")
            .iter()
            .map(|value| Via::parse(value))
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rport_valueless_and_value() {
        let via = Via::parse("SIP/2.0/TCP 10.20.0.7:5060;branch=z9hG4bK7f3a01;rport").unwrap();
        assert_eq!(via.protocol, "SIP/2.0");
        assert_eq!(via.transport, "TCP");
        assert_eq!(via.host.to_string(), "10.20.0.7");
        assert_eq!(via.port, Some(5060));
        assert_eq!(via.branch(), Some("z9hG4bK7f3a01"));
        assert!(via.has_rfc3261_branch());
        assert_eq!(via.rport(), Some(None));
        let via = Via::parse("SIP/2.0/UDP h;rport=5061;received=192.0.2.1").unwrap();
        assert_eq!(via.rport(), Some(Some(5061)));
        assert_eq!(via.received(), Some("192.0.2.1"));
        assert_eq!(via.branch(), None);
        assert!(!via.has_rfc3261_branch());
    }

    #[test]
    fn whitespace_around_separators() {
        let via =
            Via::parse("SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239").unwrap();
        assert_eq!(via.protocol, "SIP/2.0");
        assert_eq!(via.transport, "UDP");
        assert_eq!(via.branch(), Some("z9hG4bK30239"));
        let via = Via::parse("SIP/2.0/WSS [2001:db8::1] : 5070").unwrap();
        assert_eq!(via.port, Some(5070));
    }

    #[test]
    fn bare_cookie_is_not_a_3261_branch() {
        let via = Via::parse("SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK").unwrap();
        assert!(!via.has_rfc3261_branch());
    }

    #[test]
    fn rejects_malformed() {
        for text in [
            "SIP/2.0/UDP 192.0.2.15;;",
            "SIP/2.0 192.0.2.15",
            "SIP/2.0/UDP",
            "SIP/2.0/UDP host;rport=x",
            "SIP/2.0/UDP ho st",
        ] {
            assert!(Via::parse(text).is_err(), "{text}");
        }
    }

    #[test]
    fn message_vias_in_order() {
        let msg = Message::parse(
            &b"SIP/2.0 200 OK\r\nv: SIP/2.0/UDP a, SIP/2.0/TCP b\r\nVia: SIP/2.0/TLS c\r\n\r\n"[..],
        )
        .unwrap();
        let hosts: Vec<String> = msg
            .vias()
            .unwrap()
            .iter()
            .map(|v| v.host.to_string())
            .collect();
        assert_eq!(hosts, ["a", "b", "c"]);
    }
}
