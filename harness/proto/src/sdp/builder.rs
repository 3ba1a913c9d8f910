//! Writing a new description, line by line, with CRLF line ends (RFC 8866 §5).

use super::{Line, Media, Sdp};

/// Builds an [`Sdp`] from lines in order. Lines go to the session until the first media section,
/// then to the latest media section. CR and LF inside a value are replaced by spaces, so every
/// value stays on its line; the caller writes `v=0` first and uses one-letter types.
#[derive(Clone, Debug, Default)]
pub struct SdpBuilder {
    lines: Vec<(char, String)>,
}

impl SdpBuilder {
    /// Appends `<kind>=<value>`.
    pub fn line(mut self, kind: char, value: &str) -> Self {
        self.lines.push((kind, value.replace(['\r', '\n'], " ")));
        self
    }

    /// Appends `a=<name>` (a flag) or `a=<name>:<value>`.
    pub fn attribute(self, name: &str, value: Option<&str>) -> Self {
        match value {
            Some(value) => self.line('a', &format!("{name}:{value}")),
            None => self.line('a', name),
        }
    }

    /// Starts a media section: `m=<kind> <port> <proto> <formats>`.
    pub fn media(self, kind: &str, port: u16, proto: &str, formats: &[&str]) -> Self {
        let mut value = format!("{kind} {port} {proto}");
        formats.iter().for_each(|f| {
            value.push(' ');
            value.push_str(f);
        });
        self.line('m', &value)
    }

    /// The description. An `m=` line whose value is not a valid media line stays a plain line
    /// of the current section (as [`Sdp::parse`] would reject it, avoid writing one).
    pub fn build(self) -> Sdp {
        let mut raw = Vec::new();
        let mut session = Vec::new();
        let mut media: Vec<Media> = Vec::new();
        for (index, (kind, value)) in self.lines.into_iter().enumerate() {
            raw.extend_from_slice(format!("{kind}={value}\r\n").as_bytes());
            let line = Line::new(kind, value, index + 1);
            if kind == 'm'
                && let Ok(section) = Media::parse_line(line.clone())
            {
                media.push(section);
                continue;
            }
            match media.last_mut() {
                Some(section) => section.push(line),
                None => session.push(line),
            }
        }
        Sdp::from_parts(raw, session, media)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn built() -> Sdp {
        Sdp::builder()
            .line('v', "0")
            .line('s', "-")
            .attribute("tool", Some("rcs"))
            .media("message", 2855, "TCP/MSRP", &["*"])
            .attribute("sendonly", None)
            .attribute("max-size", Some("1024"))
            .build()
    }

    #[test]
    fn writes_crlf_lines_in_order() {
        assert_eq!(
            built().to_bytes(),
            b"v=0\r\ns=-\r\na=tool:rcs\r\nm=message 2855 TCP/MSRP *\r\na=sendonly\r\na=max-size:1024\r\n"
        );
    }

    #[test]
    fn builds_what_parse_reads() {
        let sdp = built();
        assert_eq!(Sdp::parse(&sdp.to_bytes()).unwrap(), sdp);
        assert_eq!(sdp.session_attribute("tool"), Some("rcs"));
        assert_eq!(sdp.media()[0].attribute("max-size"), Some("1024"));
    }

    #[test]
    fn keeps_values_on_their_line() {
        let sdp = Sdp::builder().line('v', "0").line('s', "a\r\nm=x").build();
        assert_eq!(sdp.to_bytes(), b"v=0\r\ns=a  m=x\r\n");
        assert!(sdp.media().is_empty());
    }
}
