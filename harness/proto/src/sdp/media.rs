//! A media section: the `m=` line (RFC 8866 §5.14) and the lines after it up to the next `m=`.

use super::{Line, SdpError, attributes};

/// One media section of an [`super::Sdp`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Media {
    /// The media type, such as `message` or `audio`.
    pub kind: String,
    /// The transport port (`0` for a rejected stream, RFC 3264 §6).
    pub port: u16,
    /// The number of ports after `/`, if written.
    pub port_count: Option<u16>,
    /// The transport protocol, such as `TCP/MSRP`.
    pub proto: String,
    /// The media formats (`*` for MSRP, RFC 4975 §8.1).
    pub formats: Vec<String>,
    line: Line,
    lines: Vec<Line>,
}

impl Media {
    /// The value of the first attribute of this name (ASCII case-insensitive) in this section;
    /// `""` for a flag attribute.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        attributes(&self.lines, name).next()
    }

    /// The values of every attribute of this name in this section, in order.
    pub fn attributes(&self, name: &str) -> Vec<&str> {
        attributes(&self.lines, name).collect()
    }

    /// Whether a flag or valued attribute of this name is present.
    pub fn has_attribute(&self, name: &str) -> bool {
        self.attribute(name).is_some()
    }

    /// The media-level `c=` value, if any.
    pub fn connection(&self) -> Option<&str> {
        self.lines.iter().find(|l| l.kind() == 'c').map(Line::value)
    }

    /// The `m=` line itself.
    pub fn media_line(&self) -> &Line {
        &self.line
    }

    /// The lines after the `m=` line, in order.
    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    pub(crate) fn push(&mut self, line: Line) {
        self.lines.push(line);
    }

    /// Reads an `m=` line's value: `<media> <port>[/<count>] <proto> <fmt>*`.
    pub(crate) fn parse_line(line: Line) -> Result<Self, SdpError> {
        let err = |detail: String| SdpError::MediaLine {
            line: line.number(),
            detail,
        };
        let mut fields = line.value().split_ascii_whitespace();
        let kind = fields.next().ok_or_else(|| err("it is empty".into()))?;
        let port = fields.next().ok_or_else(|| err("it has no port".into()))?;
        let (port, port_count) = match port.split_once('/') {
            Some((port, count)) => (port, Some(count)),
            None => (port, None),
        };
        let number = |text: &str, what: &str| {
            match text.bytes().all(|b| b.is_ascii_digit()) {
                true => text.parse::<u16>().ok(),
                false => None,
            }
            .ok_or_else(|| err(format!("{what} {text:?} is not a number up to 65535")))
        };
        let port = number(port, "port")?;
        let port_count = port_count.map(|c| number(c, "port count")).transpose()?;
        let proto = fields
            .next()
            .ok_or_else(|| err("it has no protocol".into()))?;
        let formats = fields.map(str::to_owned).collect();
        Ok(Self {
            kind: kind.to_owned(),
            port,
            port_count,
            proto: proto.to_owned(),
            formats,
            lines: Vec::new(),
            line,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn media(value: &str) -> Result<Media, SdpError> {
        Media::parse_line(Line::new('m', value.to_owned(), 6))
    }

    #[test]
    fn reads_an_msrp_media_line() {
        let m = media("message 9 TCP/MSRP *").unwrap();
        assert_eq!(m.kind, "message");
        assert_eq!(m.port, 9);
        assert_eq!(m.port_count, None);
        assert_eq!(m.proto, "TCP/MSRP");
        assert_eq!(m.formats, ["*"]);
        assert_eq!(m.media_line().number(), 6);
    }

    #[test]
    fn reads_a_port_count_and_several_formats() {
        let m = media("audio 49170/2 RTP/AVP 0 8 97").unwrap();
        assert_eq!((m.port, m.port_count), (49170, Some(2)));
        assert_eq!(m.formats, ["0", "8", "97"]);
    }

    #[test]
    fn rejects_a_non_numeric_or_oversized_port() {
        for value in [
            "message x TCP/MSRP *",
            "message 65536 TCP/MSRP *",
            "message -1 TCP/MSRP *",
        ] {
            let err = media(value).unwrap_err();
            assert!(
                matches!(err, SdpError::MediaLine { line: 6, .. }),
                "{value}"
            );
            assert!(err.to_string().contains("port"), "{err}");
        }
        assert!(media("message 9/x TCP/MSRP *").is_err());
    }

    #[test]
    fn rejects_missing_fields() {
        assert!(media("").is_err());
        assert!(media("message").is_err());
        assert!(media("message 9").is_err());
    }

    #[test]
    fn attributes_by_name() {
        let mut m = media("message 9 TCP/MSRP *").unwrap();
        m.push(Line::new('a', "accept-types:message/cpim".into(), 7));
        m.push(Line::new('a', "sendonly".into(), 8));
        m.push(Line::new('a', "X-Extra:1".into(), 9));
        m.push(Line::new('a', "x-extra:2".into(), 10));
        assert_eq!(m.attribute("accept-types"), Some("message/cpim"));
        assert_eq!(m.attribute("sendonly"), Some(""));
        assert_eq!(m.attributes("x-extra"), ["1", "2"]);
        assert_eq!(m.attribute("path"), None);
        assert!(!m.has_attribute("recvonly"));
    }
}
