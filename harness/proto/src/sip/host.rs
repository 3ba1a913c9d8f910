//! Hosts and ports (RFC 3261 25.1 `hostport`): domain names, IPv4 addresses and IPv6
//! references `[...]`, as found in SIP URIs and Via sent-by.
//!
//! Domain names are kept as sent (case included); no resolution is done here.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The host part of a SIP URI or a Via sent-by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    /// A domain name, as sent.
    Domain(String),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 reference `[...]`.
    Ipv6(Ipv6Addr),
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Domain(name) => f.write_str(name),
            Self::Ipv4(addr) => write!(f, "{addr}"),
            Self::Ipv6(addr) => write!(f, "[{addr}]"),
        }
    }
}

/// Parses `host[:port]`, where host may be an IPv6 reference.
pub(crate) fn parse_hostport(text: &str) -> Result<(Host, Option<u16>), String> {
    let (host, port) = if let Some(inner) = text.strip_prefix('[') {
        let (addr, after) = inner.split_once(']').ok_or("IPv6 reference lacks ']'")?;
        let addr: Ipv6Addr = addr
            .parse()
            .map_err(|_| format!("{addr:?} is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or("text after the IPv6 reference")?,
            ),
        };
        (Host::Ipv6(addr), port)
    } else {
        let (host, port) = match text.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        };
        (parse_host(host)?, port)
    };
    let port = port.map(parse_port).transpose()?;
    Ok((host, port))
}

fn parse_host(host: &str) -> Result<Host, String> {
    if let Ok(addr) = host.parse::<Ipv4Addr>() {
        return Ok(Host::Ipv4(addr));
    }
    let valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b))
        && !host.starts_with(['-', '.'])
        && !host.contains("..");
    if valid {
        Ok(Host::Domain(host.to_owned()))
    } else {
        Err(format!("{host:?} is not a host name or address"))
    }
}

fn parse_port(port: &str) -> Result<u16, String> {
    if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("port {port:?} is not a number"));
    }
    port.parse()
        .map_err(|_| format!("port {port} is larger than 65535"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(
            parse_hostport("[2001:db8::1]:5070").unwrap(),
            (Host::Ipv6("2001:db8::1".parse().unwrap()), Some(5070))
        );
        assert_eq!(
            parse_hostport("192.0.2.1").unwrap(),
            (Host::Ipv4(Ipv4Addr::new(192, 0, 2, 1)), None)
        );
        assert_eq!(
            parse_hostport("ims.mnc000.mcc460.3gppnetwork.org:5060").unwrap(),
            (
                Host::Domain("ims.mnc000.mcc460.3gppnetwork.org".into()),
                Some(5060)
            )
        );
        assert_eq!(Host::Ipv6("::1".parse().unwrap()).to_string(), "[::1]");
    }

    #[test]
    fn malformed() {
        for text in [
            "",
            "[::1",
            "[::1]5060",
            "[zz::1]",
            "host:",
            "host:65536",
            "-host",
            "a..b",
            "h st",
        ] {
            assert!(parse_hostport(text).is_err(), "{text}");
        }
    }
}
