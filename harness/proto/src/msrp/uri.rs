//! MSRP URIs (RFC 4975 §6, §9): `msrp[s]://[userinfo@]host[:port][/session-id];transport[;param]*`.
//!
//! [`MsrpUri::matches`] implements the comparison rules of RFC 4975 §6.1: scheme, host
//! (case-insensitively), port, session-id (case-sensitively) and transport (case-insensitively).
//! Host names are not resolved (§6.2 is the transport's job), and percent-escapes are kept as written.

use std::fmt;
use std::str::FromStr;

use super::MsrpError;

/// A parsed MSRP or MSRPS URI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MsrpUri {
    secure: bool,
    userinfo: Option<String>,
    host: String,
    port: Option<u16>,
    session_id: Option<String>,
    transport: String,
    params: Vec<String>,
}

impl MsrpUri {
    /// A URI with the `tcp` transport, as the simulators put in `a=path`.
    pub fn new(secure: bool, host: &str, port: u16, session_id: &str) -> Self {
        Self {
            secure,
            userinfo: None,
            host: host.to_owned(),
            port: Some(port),
            session_id: Some(session_id.to_owned()),
            transport: "tcp".to_owned(),
            params: Vec::new(),
        }
    }

    /// Parses one URI.
    pub fn parse(uri: &str) -> Result<Self, MsrpError> {
        let err = |detail| MsrpError::Uri {
            uri: uri.to_owned(),
            detail,
        };
        let (scheme, rest) = uri.split_once("://").ok_or(err("no \"://\""))?;
        let secure = match scheme.to_ascii_lowercase().as_str() {
            "msrp" => false,
            "msrps" => true,
            _ => return Err(err("the scheme is neither msrp nor msrps")),
        };
        let (before_params, params) = rest
            .split_once(';')
            .ok_or(err("no \";\" before the transport"))?;
        let (authority, session_id) = match before_params.split_once('/') {
            Some((authority, session)) => (authority, Some(session)),
            None => (before_params, None),
        };
        let (userinfo, host, port) = parse_authority(authority).map_err(err)?;
        if let Some(session) = session_id
            && (session.is_empty() || !session.bytes().all(is_session_char))
        {
            return Err(err(
                "the session-id has a character outside unreserved, +, = and /",
            ));
        }
        let mut params = params.split(';');
        let transport = params.next().unwrap_or_default();
        if transport.is_empty() || !transport.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(err("the transport is not alphanumeric"));
        }
        let params: Vec<String> = params.map(str::to_owned).collect();
        if params.iter().any(|p| p.is_empty()) {
            return Err(err("a parameter is empty"));
        }
        Ok(Self {
            secure,
            userinfo: userinfo.map(str::to_owned),
            host: host.to_owned(),
            port,
            session_id: session_id.map(str::to_owned),
            transport: transport.to_owned(),
            params,
        })
    }

    /// Parses a To-Path or From-Path value: URIs separated by whitespace (RFC 4975 §9).
    pub fn parse_path(value: &str) -> Result<Vec<Self>, MsrpError> {
        let uris: Vec<Self> = value
            .split_ascii_whitespace()
            .map(Self::parse)
            .collect::<Result<_, _>>()?;
        match uris.is_empty() {
            true => Err(MsrpError::Uri {
                uri: value.to_owned(),
                detail: "the path holds no URI",
            }),
            false => Ok(uris),
        }
    }

    /// Whether the scheme is `msrps`.
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    /// The userinfo before `@`, if any.
    pub fn userinfo(&self) -> Option<&str> {
        self.userinfo.as_deref()
    }

    /// The host: a name, an IPv4 address or a bracketed IPv6 reference.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, if written.
    pub fn port(&self) -> Option<u16> {
        self.port
    }

    /// The session-id after the authority, if any.
    pub fn session_id(&self) -> Option<&str> {
        self.session_id.as_deref()
    }

    /// The transport, such as `tcp`.
    pub fn transport(&self) -> &str {
        &self.transport
    }

    /// The URI parameters after the transport, as written.
    pub fn params(&self) -> &[String] {
        &self.params
    }

    /// Whether two URIs name the same session endpoint (RFC 4975 §6.1).
    pub fn matches(&self, other: &Self) -> bool {
        self.secure == other.secure
            && self.host.eq_ignore_ascii_case(&other.host)
            && self.port == other.port
            && self.session_id == other.session_id
            && self.transport.eq_ignore_ascii_case(&other.transport)
    }
}

impl fmt::Display for MsrpUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.secure { "msrps://" } else { "msrp://" })?;
        if let Some(userinfo) = &self.userinfo {
            write!(f, "{userinfo}@")?;
        }
        f.write_str(&self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        if let Some(session) = &self.session_id {
            write!(f, "/{session}")?;
        }
        write!(f, ";{}", self.transport)?;
        self.params.iter().try_for_each(|p| write!(f, ";{p}"))
    }
}

impl FromStr for MsrpUri {
    type Err = MsrpError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

type Authority<'a> = (Option<&'a str>, &'a str, Option<u16>);

/// Splits `[userinfo@]host[:port]`.
fn parse_authority(authority: &str) -> Result<Authority<'_>, &'static str> {
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((userinfo, hostport)) => (Some(userinfo), hostport),
        None => (None, authority),
    };
    let (host, port) = match hostport.strip_prefix('[') {
        Some(v6) => {
            let (addr, after) = v6.split_once(']').ok_or("the IPv6 reference has no ']'")?;
            if addr.is_empty()
                || !addr
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
            {
                return Err("the IPv6 reference is malformed");
            }
            let port = match after {
                "" => None,
                _ => Some(
                    after
                        .strip_prefix(':')
                        .ok_or("junk after the IPv6 reference")?,
                ),
            };
            (&hostport[..addr.len() + 2], port)
        }
        None => match hostport.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostport, None),
        },
    };
    if !host.starts_with('[') && (host.is_empty() || !host.bytes().all(is_host_char)) {
        return Err("the host is not a name or an address");
    }
    let port = match port {
        Some(port) if port.bytes().all(|b| b.is_ascii_digit()) => Some(
            port.parse()
                .map_err(|_| "the port is not a number up to 65535")?,
        ),
        Some(_) => return Err("the port is not a number up to 65535"),
        None => None,
    };
    Ok((userinfo, host, port))
}

fn is_host_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')
}

/// RFC 4975 §9 `session-id = 1*( unreserved / "+" / "=" / "/" )`, plus `%` for escapes.
fn is_session_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'=' | b'/' | b'%')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_path_of_section_4_6() {
        let uri = MsrpUri::parse("msrp://10.20.0.9:41001/p9Lk2wQ;tcp").unwrap();
        assert!(!uri.is_secure());
        assert_eq!(uri.host(), "10.20.0.9");
        assert_eq!(uri.port(), Some(41001));
        assert_eq!(uri.session_id(), Some("p9Lk2wQ"));
        assert_eq!(uri.transport(), "tcp");
        assert_eq!(uri.to_string(), "msrp://10.20.0.9:41001/p9Lk2wQ;tcp");
    }

    #[test]
    fn ipv6_userinfo_and_params() {
        let text = "msrps://bob@[2001:db8::1]:2855/s1%2Bx;tcp;foo=bar";
        let uri = MsrpUri::parse(text).unwrap();
        assert!(uri.is_secure());
        assert_eq!(uri.userinfo(), Some("bob"));
        assert_eq!(uri.host(), "[2001:db8::1]");
        assert_eq!(uri.port(), Some(2855));
        assert_eq!(uri.params(), ["foo=bar"]);
        assert_eq!(uri.to_string(), text);
    }

    #[test]
    fn comparison_follows_section_6_1() {
        let a = MsrpUri::parse("msrp://Host.Example:1/abc;tcp").unwrap();
        assert!(a.matches(&MsrpUri::parse("MSRP://host.example:1/abc;TCP").unwrap()));
        assert!(!a.matches(&MsrpUri::parse("msrp://host.example:1/ABC;tcp").unwrap()));
        assert!(!a.matches(&MsrpUri::parse("msrps://host.example:1/abc;tcp").unwrap()));
        assert!(!a.matches(&MsrpUri::parse("msrp://host.example:2/abc;tcp").unwrap()));
    }

    #[test]
    fn malformed_uris() {
        for bad in [
            "sip:alice@example.com",
            "msrp://host:1/abc",
            "msrp://host:99999/abc;tcp",
            "msrp://host:x/abc;tcp",
            "msrp://:1/abc;tcp",
            "msrp://[::1/abc;tcp",
            "msrp://host:1/a b;tcp",
            "msrp://host:1/;tcp",
            "msrp://host:1/abc;",
            "msrp://host:1/abc;tcp;",
        ] {
            assert!(MsrpUri::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn path_with_two_hops() {
        let path =
            MsrpUri::parse_path("msrp://relay:2855/r1;tcp  msrp://10.0.0.1:7/s2;tcp").unwrap();
        assert_eq!(path.len(), 2);
        assert_eq!(path[1].session_id(), Some("s2"));
        assert!(MsrpUri::parse_path("   ").is_err());
    }

    #[test]
    fn new_builds_a_tcp_uri() {
        let uri = MsrpUri::new(false, "127.0.0.1", 4000, "sess1");
        assert_eq!(uri.to_string(), "msrp://127.0.0.1:4000/sess1;tcp");
    }
}
