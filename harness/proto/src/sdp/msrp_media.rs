//! The MSRP media section of an SDP offer or answer (RFC 4975 §8, RFC 6135, RFC 4145).
//!
//! [`MsrpMedia::from_sdp`] reads the first `m=message` section, whose protocol must be `TCP/MSRP` or
//! `TCP/TLS/MSRP` (RFC 4975 §8.1, RFC 4976 §5); [`MsrpMedia::to_sdp`] writes a complete description
//! around one such section, in the attribute order of protocols.md §4.5. [`MsrpMedia::accepts`]
//! implements the media-type matching of RFC 4975 §8.6.
//!
//! Leniency: `a=accept-types` is required by RFC 4975 §8.1, but a missing one reads as an empty
//! list here (so a check can report it rather than the parse failing); several `a=accept-types`
//! lines are concatenated. Attribute names are compared ASCII case-insensitively.
//! `a=setup` defaults per RFC 4145 §4.1, see [`Setup`].

use super::{Direction, Media, Sdp, SdpError, Setup, connection_address};
use crate::msrp::MsrpUri;

const PROTO_TCP: &str = "TCP/MSRP";
const PROTO_TLS: &str = "TCP/TLS/MSRP";

/// The MSRP parameters of an `m=message` section.
#[derive(Clone, Debug, PartialEq)]
pub struct MsrpMedia {
    /// The `m=` protocol is `TCP/TLS/MSRP` (else `TCP/MSRP`).
    pub tls: bool,
    /// The `m=` port (9, the discard port, when the endpoint is active: RFC 4145 §4.1).
    pub port: u16,
    /// The `c=` address: media level, else session level.
    pub address: String,
    /// The `a=path` URIs in order; the last is the endpoint itself (RFC 4975 §8.2).
    pub path: Vec<MsrpUri>,
    /// `a=setup`; when absent, `active` for [`MsrpMedia::from_sdp`] (an offer) and `passive`
    /// for [`MsrpMedia::from_answer`] (RFC 4145 §4.1).
    pub setup: Setup,
    /// `a=accept-types`, in order (RFC 4975 §8.1).
    pub accept_types: Vec<String>,
    /// `a=accept-wrapped-types`, in order (RFC 4975 §8.1).
    pub accept_wrapped_types: Vec<String>,
    /// `a=sendrecv|sendonly|recvonly|inactive`, media level, else session level; default sendrecv.
    pub direction: Direction,
    /// `a=max-size` (RFC 4975 §8.1), in bytes.
    pub max_size: Option<u64>,
    /// `a=msrp-cema` (RFC 6714 §4).
    pub cema: bool,
}

impl MsrpMedia {
    /// Reads the first `m=message` section of an offer: an absent `a=setup` means `active`.
    pub fn from_sdp(sdp: &Sdp) -> Result<Self, SdpError> {
        Self::read(sdp, Setup::default_for(true))
    }

    /// Reads the first `m=message` section of an answer: an absent `a=setup` means `passive`.
    pub fn from_answer(sdp: &Sdp) -> Result<Self, SdpError> {
        Self::read(sdp, Setup::default_for(false))
    }

    /// Reads the first `m=message` section; `absent_setup` stands for a missing `a=setup`.
    pub fn read(sdp: &Sdp, absent_setup: Setup) -> Result<Self, SdpError> {
        let media = sdp
            .media()
            .iter()
            .find(|m| m.kind.eq_ignore_ascii_case("message"))
            .ok_or(SdpError::NoMessageMedia)?;
        let line = media.media_line().number();
        let tls = match media.proto.to_ascii_uppercase().as_str() {
            PROTO_TCP => false,
            PROTO_TLS => true,
            _ => {
                return Err(SdpError::Proto {
                    line,
                    proto: media.proto.clone(),
                });
            }
        };
        let connection = media
            .connection()
            .or(sdp.connection())
            .ok_or(SdpError::NoConnection { line })?;
        let setup = match media.attribute("setup").or(sdp.session_attribute("setup")) {
            Some(value) => value.parse()?,
            None => absent_setup,
        };
        Ok(Self {
            tls,
            port: media.port,
            address: connection_address(connection)?.1.to_owned(),
            path: read_path(media)?,
            setup,
            accept_types: tokens(media.attributes("accept-types")),
            accept_wrapped_types: tokens(media.attributes("accept-wrapped-types")),
            direction: direction(media)
                .or(session_direction(sdp))
                .unwrap_or_default(),
            max_size: read_max_size(media)?,
            cema: media.has_attribute("msrp-cema"),
        })
    }

    /// A complete description with this section: `v=`, `o=- <version> <version> IN IP4|IP6
    /// <origin>`, `s=-`, `c=`, `t=0 0`, `m=message <port> TCP/MSRP|TCP/TLS/MSRP *`, then `a=path`,
    /// `a=setup`, `a=accept-types` and `a=accept-wrapped-types` (when non-empty), the direction,
    /// `a=max-size` (when set) and `a=msrp-cema` (when set). An empty path writes no `a=path`.
    pub fn to_sdp(&self, origin_address: &str, session_version: u64) -> Sdp {
        let proto = if self.tls { PROTO_TLS } else { PROTO_TCP };
        let mut b = Sdp::builder()
            .line('v', "0")
            .line(
                'o',
                &format!(
                    "- {session_version} {session_version} IN {} {origin_address}",
                    addrtype(origin_address)
                ),
            )
            .line('s', "-")
            .line(
                'c',
                &format!("IN {} {}", addrtype(&self.address), self.address),
            )
            .line('t', "0 0")
            .media("message", self.port, proto, &["*"]);
        if !self.path.is_empty() {
            b = b.attribute("path", Some(&join(&self.path)));
        }
        b = b.attribute("setup", Some(self.setup.as_str()));
        if !self.accept_types.is_empty() {
            b = b.attribute("accept-types", Some(&self.accept_types.join(" ")));
        }
        if !self.accept_wrapped_types.is_empty() {
            b = b.attribute(
                "accept-wrapped-types",
                Some(&self.accept_wrapped_types.join(" ")),
            );
        }
        b = b.attribute(self.direction.as_str(), None);
        if let Some(max) = self.max_size {
            b = b.attribute("max-size", Some(&max.to_string()));
        }
        if self.cema {
            b = b.attribute("msrp-cema", None);
        }
        b.build()
    }

    /// Whether `content_type` matches `a=accept-types` (RFC 4975 §8.6).
    pub fn accepts(&self, content_type: &str) -> bool {
        accepts(&self.accept_types, content_type)
    }

    /// Whether `content_type` matches `a=accept-wrapped-types` (RFC 4975 §8.6).
    pub fn accepts_wrapped(&self, content_type: &str) -> bool {
        accepts(&self.accept_wrapped_types, content_type)
    }

    /// The endpoint's own URI: the last of the path.
    pub fn endpoint(&self) -> Option<&MsrpUri> {
        self.path.last()
    }
}

/// RFC 4975 §8.6: `*` matches any type, `type/*` any subtype of `type`, otherwise type and
/// subtype must be equal; case-insensitive, parameters ignored on both sides.
pub(crate) fn accepts(patterns: &[String], content_type: &str) -> bool {
    let Some((ty, subtype)) = media_type(content_type).split_once('/') else {
        return false;
    };
    patterns.iter().any(|pattern| {
        let pattern = media_type(pattern);
        match pattern.split_once('/') {
            _ if pattern == "*" => true,
            Some((t, "*")) => t.eq_ignore_ascii_case(ty),
            Some((t, s)) => t.eq_ignore_ascii_case(ty) && s.eq_ignore_ascii_case(subtype),
            None => false,
        }
    })
}

/// `type/subtype` without parameters or surrounding blanks.
fn media_type(value: &str) -> &str {
    value.split(';').next().unwrap_or_default().trim()
}

fn read_path(media: &Media) -> Result<Vec<MsrpUri>, SdpError> {
    let line = media.media_line().number();
    let value = media
        .attribute("path")
        .ok_or(SdpError::MissingAttribute { name: "path", line })?;
    let path = value
        .split_ascii_whitespace()
        .map(|uri| MsrpUri::parse(uri).map_err(|e| SdpError::attribute("path", uri, e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    match path.is_empty() {
        true => Err(SdpError::attribute("path", value, "it holds no URI")),
        false => Ok(path),
    }
}

fn read_max_size(media: &Media) -> Result<Option<u64>, SdpError> {
    let Some(value) = media.attribute("max-size") else {
        return Ok(None);
    };
    let digits = value.trim();
    match !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        true => digits.parse().map(Some).ok(),
        false => None,
    }
    .ok_or_else(|| SdpError::attribute("max-size", value, "not a number of bytes"))
}

fn direction(media: &Media) -> Option<Direction> {
    media
        .lines()
        .iter()
        .filter_map(|l| l.attribute())
        .find_map(|(name, _)| Direction::from_attribute(name))
}

fn session_direction(sdp: &Sdp) -> Option<Direction> {
    sdp.session_lines()
        .iter()
        .filter_map(|l| l.attribute())
        .find_map(|(name, _)| Direction::from_attribute(name))
}

fn tokens(values: Vec<&str>) -> Vec<String> {
    values
        .into_iter()
        .flat_map(str::split_ascii_whitespace)
        .map(str::to_owned)
        .collect()
}

fn join(path: &[MsrpUri]) -> String {
    path.iter()
        .map(MsrpUri::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `IP6` for an address with a colon, else `IP4` (RFC 8866 §5.7).
fn addrtype(address: &str) -> &'static str {
    match address.contains(':') {
        true => "IP6",
        false => "IP4",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SESSION: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n";

    fn read(media: &str) -> Result<MsrpMedia, SdpError> {
        MsrpMedia::from_sdp(&Sdp::parse(format!("{SESSION}{media}").as_bytes()).unwrap())
    }

    fn sample() -> MsrpMedia {
        MsrpMedia {
            tls: false,
            port: 9,
            address: "10.0.0.1".into(),
            path: vec![MsrpUri::new(false, "10.0.0.1", 7000, "abcd")],
            setup: Setup::Active,
            accept_types: vec!["message/cpim".into()],
            accept_wrapped_types: vec!["text/plain".into(), "image/*".into()],
            direction: Direction::SendOnly,
            max_size: Some(65536),
            cema: false,
        }
    }

    #[test]
    fn reads_a_chat_offer() {
        let m = read(
            "m=message 2855 TCP/TLS/MSRP *\r\nc=IN IP4 10.0.0.2\r\n\
             a=path:msrps://relay:2855/r1;tcp msrps://10.0.0.2:2855/s1;tcp\r\n\
             a=setup:passive\r\na=accept-types:message/cpim\r\na=accept-types:text/plain\r\n\
             a=recvonly\r\na=max-size:1024\r\na=msrp-cema\r\n",
        )
        .unwrap();
        assert!(m.tls);
        assert_eq!(m.port, 2855);
        assert_eq!(m.address, "10.0.0.2", "the media-level c= wins");
        assert_eq!(m.path.len(), 2);
        assert_eq!(m.endpoint().unwrap().session_id(), Some("s1"));
        assert_eq!(m.setup, Setup::Passive);
        assert_eq!(m.accept_types, ["message/cpim", "text/plain"]);
        assert!(m.accept_wrapped_types.is_empty());
        assert_eq!(m.direction, Direction::RecvOnly);
        assert_eq!(m.max_size, Some(1024));
        assert!(m.cema);
    }

    #[test]
    fn defaults_setup_direction_and_address() {
        let media = "m=message 9 TCP/MSRP *\r\na=path:msrp://10.0.0.1:7/s;tcp\r\n";
        let m = read(media).unwrap();
        assert_eq!(m.setup, Setup::Active);
        assert_eq!(m.direction, Direction::SendRecv);
        assert_eq!(m.address, "10.0.0.1");
        assert_eq!((m.max_size, m.cema), (None, false));
        let sdp = Sdp::parse(format!("{SESSION}{media}").as_bytes()).unwrap();
        assert_eq!(MsrpMedia::from_answer(&sdp).unwrap().setup, Setup::Passive);
    }

    #[test]
    fn takes_the_first_message_section() {
        let m = read(
            "m=audio 4000 RTP/AVP 0\r\nm=message 10 TCP/MSRP *\r\na=path:msrp://h:1/a;tcp\r\n\
             m=message 20 TCP/MSRP *\r\na=path:msrp://h:2/b;tcp\r\n",
        )
        .unwrap();
        assert_eq!(m.port, 10);
    }

    #[test]
    fn names_what_is_wrong() {
        let cases = [
            ("m=audio 4000 RTP/AVP 0\r\n", "m=message"),
            (
                "m=message 9 TCP/BFCP *\r\na=path:msrp://h:1/a;tcp\r\n",
                "TCP/BFCP",
            ),
            ("m=message 9 TCP/MSRP *\r\n", "a=path"),
            (
                "m=message 9 TCP/MSRP *\r\na=path:msrp://h:1/a;tcp http://x/\r\n",
                "http://x/",
            ),
            (
                "m=message 9 TCP/MSRP *\r\na=path:msrp://h:1/a;tcp\r\na=setup:both\r\n",
                "both",
            ),
            (
                "m=message 9 TCP/MSRP *\r\na=path:msrp://h:1/a;tcp\r\na=max-size:-1\r\n",
                "max-size",
            ),
        ];
        for (media, named) in cases {
            let err = read(media).unwrap_err().to_string();
            assert!(err.contains(named), "{media:?}: {err}");
        }
        let no_c = Sdp::parse(b"v=0\r\nm=message 9 TCP/MSRP *\r\na=path:msrp://h:1/a;tcp\r\n");
        let err = MsrpMedia::from_sdp(&no_c.unwrap()).unwrap_err();
        assert_eq!(err, SdpError::NoConnection { line: 2 });
    }

    #[test]
    fn writes_the_section_4_5_layout() {
        let text = String::from_utf8(sample().to_sdp("10.0.0.1", 42).to_bytes()).unwrap();
        assert_eq!(
            text,
            "v=0\r\no=- 42 42 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
             m=message 9 TCP/MSRP *\r\na=path:msrp://10.0.0.1:7000/abcd;tcp\r\n\
             a=setup:active\r\na=accept-types:message/cpim\r\n\
             a=accept-wrapped-types:text/plain image/*\r\na=sendonly\r\na=max-size:65536\r\n"
        );
    }

    #[test]
    fn writes_ip6_tls_and_cema() {
        let mut m = sample();
        m.tls = true;
        m.address = "2001:db8::1".into();
        m.accept_wrapped_types.clear();
        m.max_size = None;
        m.cema = true;
        let sdp = m.to_sdp("2001:db8::1", 7);
        let text = String::from_utf8(sdp.to_bytes()).unwrap();
        assert!(text.contains("o=- 7 7 IN IP6 2001:db8::1\r\n"), "{text}");
        assert!(text.contains("c=IN IP6 2001:db8::1\r\n"), "{text}");
        assert!(text.contains("m=message 9 TCP/TLS/MSRP *\r\n"), "{text}");
        assert!(!text.contains("accept-wrapped-types"), "{text}");
        assert!(text.ends_with("a=sendonly\r\na=msrp-cema\r\n"), "{text}");
        assert_eq!(MsrpMedia::from_sdp(&sdp).unwrap(), m);
    }

    #[test]
    fn round_trips() {
        let m = sample();
        assert_eq!(MsrpMedia::from_sdp(&m.to_sdp("10.0.0.9", 1)).unwrap(), m);
    }

    #[test]
    fn matches_accept_types_per_rfc_4975_8_6() {
        let m = sample();
        assert!(m.accepts("message/cpim"));
        assert!(m.accepts("Message/CPIM; charset=utf-8"));
        assert!(!m.accepts("text/plain"));
        assert!(m.accepts_wrapped("text/plain;charset=UTF-8"));
        assert!(m.accepts_wrapped("IMAGE/png"));
        assert!(!m.accepts_wrapped("imagex/png"));
        assert!(!m.accepts_wrapped("video/mp4"));
        assert!(
            !m.accepts_wrapped("image"),
            "a type without subtype matches nothing"
        );
        let any = vec!["*".to_owned()];
        assert!(accepts(&any, "application/vnd.gsma.botmessage.v1.0+json"));
        assert!(!accepts(&[], "text/plain"));
        let with_params = vec!["text/plain;charset=utf-8".to_owned()];
        assert!(accepts(&with_params, "text/plain"));
    }
}
