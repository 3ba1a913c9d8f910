//! Multipart bodies (RFC 2046 §5.1), such as the `multipart/mixed` body of a large-message INVITE
//! (protocols.md §4.5: a `message/cpim` part and an `application/sdp` part).
//!
//! [`parse`] splits a body on its delimiter lines: `--<boundary>` at the start of the body or of a
//! line, optionally followed by blanks (transport padding), then the line end; the close delimiter
//! adds `--`. The line break before a delimiter belongs to the delimiter, so a part's body is kept
//! byte-exact without it. The preamble before the first delimiter and the epilogue after the close
//! delimiter are ignored; a missing close delimiter is an error. Part headers may be folded
//! (RFC 5322 §2.2.3); they are unfolded and trimmed. LF line ends are accepted as well as CRLF.
//! At most [`MAX_PARTS`] parts are read; the caller caps the whole body.
//!
//! [`build`] writes `--b CRLF headers CRLF CRLF body CRLF ... --b-- CRLF`.
//!
//! What is not here: Content-Transfer-Encoding decoding (SIP bodies are binary-clean) and nested
//! multiparts (parse a part's body again with its own Content-Type).

/// The most parts [`parse`] reads.
pub const MAX_PARTS: usize = 64;

/// The longest boundary [`boundary`] accepts (RFC 2046 §5.1.1 allows 70 characters; a longer
/// one is tolerated up to this cap).
pub const MAX_BOUNDARY: usize = 200;

/// What went wrong while reading a multipart body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MultipartError {
    /// The Content-Type has no usable `boundary` parameter.
    #[error("find the boundary parameter in Content-Type {0:?}")]
    NoBoundary(String),

    /// No delimiter line `--<boundary>` is in the body.
    #[error("find the delimiter line \"--{0}\" in the multipart body")]
    NoDelimiter(String),

    /// The close delimiter `--<boundary>--` is missing.
    #[error("find the close delimiter \"--{0}--\" of the multipart body")]
    NoCloseDelimiter(String),

    /// The body holds no part (its first delimiter is the close delimiter).
    #[error("read the multipart body: it holds no part")]
    NoParts,

    /// The body holds more parts than the cap.
    #[error("read the multipart body: more than {max} parts")]
    TooManyParts {
        /// The cap.
        max: usize,
    },

    /// A part header line is not `name: value`.
    #[error("parse header line {line} of part {part}: {detail}")]
    Header {
        /// 1-based part number.
        part: usize,
        /// 1-based line number within the part's headers.
        line: usize,
        /// What is wrong.
        detail: &'static str,
    },
}

/// One body part: its headers (unfolded, in order) and its body bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    /// The part headers as `(name, value)`, in order.
    pub headers: Vec<(String, String)>,
    /// The body, byte-exact.
    pub body: Vec<u8>,
}

impl Part {
    /// A part with one `Content-Type` header.
    pub fn new(content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            headers: vec![("Content-Type".to_owned(), content_type.to_owned())],
            body: body.into(),
        }
    }

    /// Adds a header after the others.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The value of the first header of this name (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The Content-Type value, if any (RFC 2046 §5.1 defaults an absent one to text/plain; that
    /// default is left to the caller).
    pub fn content_type(&self) -> Option<&str> {
        self.header("Content-Type")
    }
}

/// The `boundary` parameter of a Content-Type value, unquoted (RFC 2046 §5.1.1).
pub fn boundary(content_type: &str) -> Option<String> {
    let (_, mut rest) = content_type.split_once(';')?;
    while let Some((name, after)) = rest.split_once('=') {
        let (value, next) = param_value(after.trim_start());
        if name.trim().eq_ignore_ascii_case("boundary") {
            return (!value.is_empty() && value.len() <= MAX_BOUNDARY).then_some(value);
        }
        rest = next;
    }
    None
}

/// Reads a parameter value (a token or a quoted string) and returns it with the text after the
/// next `;` (or `""`).
fn param_value(text: &str) -> (String, &str) {
    let Some(quoted) = text.strip_prefix('"') else {
        let (value, next) = text.split_once(';').unwrap_or((text, ""));
        return (value.trim().to_owned(), next);
    };
    let mut value = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                let after = quoted.get(i + 1..).unwrap_or_default();
                let next = after.split_once(';').map_or("", |(_, next)| next);
                return (value, next);
            }
            '\\' => value.extend(chars.next().map(|(_, c)| c)),
            c => value.push(c),
        }
    }
    (value, "")
}

/// Splits a multipart body into its parts; see the module documentation.
pub fn parse(content_type: &str, body: &[u8]) -> Result<Vec<Part>, MultipartError> {
    let boundary =
        boundary(content_type).ok_or_else(|| MultipartError::NoBoundary(content_type.into()))?;
    let mut delimiter = Delimiter::find(body, &boundary, 0)
        .ok_or_else(|| MultipartError::NoDelimiter(boundary.clone()))?;
    let mut parts = Vec::new();
    while !delimiter.close {
        let next = Delimiter::find(body, &boundary, delimiter.end)
            .ok_or_else(|| MultipartError::NoCloseDelimiter(boundary.clone()))?;
        if parts.len() == MAX_PARTS {
            return Err(MultipartError::TooManyParts { max: MAX_PARTS });
        }
        let content = body.get(delimiter.end..next.start).unwrap_or_default();
        parts.push(read_part(content, parts.len() + 1)?);
        delimiter = next;
    }
    match parts.is_empty() {
        true => Err(MultipartError::NoParts),
        false => Ok(parts),
    }
}

/// A delimiter line found in a body: `start` includes the line break before it, `end` is past
/// its own line end.
struct Delimiter {
    start: usize,
    end: usize,
    close: bool,
}

impl Delimiter {
    /// The first delimiter line at or after `from` (which is a line start).
    fn find(body: &[u8], boundary: &str, from: usize) -> Option<Self> {
        let mut line_start = from;
        loop {
            if let Some(found) = Self::at(body, boundary, line_start, from) {
                return Some(found);
            }
            let rest = body.get(line_start..)?;
            line_start += memchr::memchr(b'\n', rest)? + 1;
        }
    }

    /// The delimiter starting at the line start `at`, if it is one. Its start is not before
    /// `floor`, where the previous delimiter ended.
    fn at(body: &[u8], boundary: &str, at: usize, floor: usize) -> Option<Self> {
        let line = body.get(at..)?;
        let after = line
            .strip_prefix(b"--")?
            .strip_prefix(boundary.as_bytes())?;
        let (close, after) = match after.strip_prefix(b"--") {
            Some(after) => (true, after),
            None => (false, after),
        };
        let padding = after
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let after = after.get(padding..)?;
        let ending = match after {
            [b'\r', b'\n', ..] => 2,
            [b'\n', ..] => 1,
            // Text after the close delimiter on its line is epilogue, ignored.
            _ if close => 0,
            _ => return None,
        };
        let before = match (at.checked_sub(2).and_then(|i| body.get(i..at)), at) {
            (_, 0) => 0,
            (Some(b"\r\n"), _) => 2,
            _ => 1,
        };
        Some(Self {
            start: at.saturating_sub(before).max(floor),
            end: body.len() - after.len() + ending,
            close,
        })
    }
}

/// Reads one part's headers and body from the bytes between two delimiters.
fn read_part(content: &[u8], part: usize) -> Result<Part, MultipartError> {
    let (head, body) = split_head(content);
    let mut headers: Vec<(String, String)> = Vec::new();
    let text = String::from_utf8_lossy(head);
    for (index, line) in text.lines().enumerate() {
        let err = |detail| MultipartError::Header {
            part,
            line: index + 1,
            detail,
        };
        if line.starts_with([' ', '\t']) {
            let (_, value) = headers
                .last_mut()
                .ok_or(err("a folded line continues no header"))?;
            value.push(' ');
            value.push_str(line.trim());
            continue;
        }
        let (name, value) = line.split_once(':').ok_or(err("it has no ':'"))?;
        if name.trim().is_empty() {
            return Err(err("the header name is empty"));
        }
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    Ok(Part {
        headers,
        body: body.to_vec(),
    })
}

/// Splits at the first empty line: headers before it, the body after it. Content that starts
/// with an empty line has no headers; content without one is all headers.
fn split_head(content: &[u8]) -> (&[u8], &[u8]) {
    for blank in [&b"\r\n"[..], b"\n"] {
        if let Some(body) = content.strip_prefix(blank) {
            return (&[], body);
        }
    }
    let crlf = memchr::memmem::find(content, b"\r\n\r\n").map(|i| (i, 4));
    let lf = memchr::memmem::find(content, b"\n\n").map(|i| (i, 2));
    let first = match (crlf, lf) {
        (Some(c), Some(l)) if l.0 < c.0 => Some(l),
        (Some(c), _) => Some(c),
        (None, l) => l,
    };
    match first {
        Some((i, len)) => (
            content.get(..i).unwrap_or_default(),
            content.get(i + len..).unwrap_or_default(),
        ),
        None => (content, &[]),
    }
}

/// Writes parts as a multipart body with CRLF line ends. CR and LF inside header names and
/// values are replaced by spaces so each header stays on its line.
pub fn build(parts: &[Part], boundary: &str) -> Vec<u8> {
    let clean = |s: &str| s.replace(['\r', '\n'], " ");
    let mut out = Vec::new();
    for part in parts {
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        for (name, value) in &part.headers {
            out.extend_from_slice(format!("{}: {}\r\n", clean(name), clean(value)).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&part.body);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

/// The first part whose Content-Type has this `type/subtype` (case-insensitive, parameters
/// ignored on both sides).
pub fn find<'a>(parts: &'a [Part], media_type: &str) -> Option<&'a Part> {
    let wanted = bare_type(media_type);
    parts.iter().find(|p| {
        p.content_type()
            .is_some_and(|ct| bare_type(ct).eq_ignore_ascii_case(wanted))
    })
}

fn bare_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const CT: &str = "multipart/mixed; boundary=b1";

    #[test]
    fn reads_the_boundary_parameter() {
        assert_eq!(boundary(CT).as_deref(), Some("b1"));
        assert_eq!(
            boundary("multipart/mixed;BOUNDARY=\"a b;c\\\"d\"; x=1").as_deref(),
            Some("a b;c\"d")
        );
        assert_eq!(
            boundary("multipart/related; type=\"a;boundary=no\"; boundary=yes").as_deref(),
            Some("yes")
        );
        assert_eq!(boundary("multipart/mixed"), None);
        assert_eq!(boundary("multipart/mixed; boundary="), None);
        assert_eq!(boundary("multipart/mixed; boundary=\"\""), None);
        let long = format!("multipart/mixed; boundary={}", "x".repeat(MAX_BOUNDARY + 1));
        assert_eq!(boundary(&long), None);
    }

    #[test]
    fn splits_parts_byte_exact() {
        let body = b"preamble\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n\r\n\
            --b1  \r\nContent-Type: application/octet-stream\r\nX-A: 1\r\n\r\n\x00\xff\r\n\
            --b1--\r\nepilogue\r\n--b1\r\n";
        let parts = parse(CT, body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].content_type(), Some("text/plain"));
        assert_eq!(parts[0].body, b"hello\r\n");
        assert_eq!(parts[1].header("x-a"), Some("1"));
        assert_eq!(parts[1].body, b"\x00\xff");
    }

    #[test]
    fn does_not_take_a_longer_boundary_for_a_delimiter() {
        let body = b"--b1\r\nContent-Type: text/plain\r\n\r\n--b12\r\n--b1x\r\n--b1--";
        let parts = parse(CT, body).unwrap();
        assert_eq!(parts[0].body, b"--b12\r\n--b1x");
    }

    #[test]
    fn unfolds_headers_and_handles_parts_without_headers_or_body() {
        let body = b"--b1\r\nContent-Type: text/plain;\r\n\tcharset=utf-8\r\n\r\nx\r\n\
            --b1\r\n\r\nno headers\r\n--b1\r\nContent-Type: text/plain\r\n--b1--\r\n";
        let parts = parse(CT, body).unwrap();
        assert_eq!(parts[0].content_type(), Some("text/plain; charset=utf-8"));
        assert!(parts[1].headers.is_empty());
        assert_eq!(parts[1].body, b"no headers");
        assert_eq!(parts[2].content_type(), Some("text/plain"));
        assert!(parts[2].body.is_empty());
    }

    #[test]
    fn accepts_lf_line_ends() {
        let parts = parse(CT, b"--b1\nContent-Type: a/b\n\nbody\n--b1--\n").unwrap();
        assert_eq!(parts[0].content_type(), Some("a/b"));
        assert_eq!(parts[0].body, b"body");
    }

    #[test]
    fn names_what_is_wrong() {
        let err = |ct: &str, body: &[u8]| parse(ct, body).unwrap_err();
        assert_eq!(
            err("multipart/mixed", b""),
            MultipartError::NoBoundary("multipart/mixed".into())
        );
        assert_eq!(
            err(CT, b"no delimiter"),
            MultipartError::NoDelimiter("b1".into())
        );
        let unclosed = err(CT, b"--b1\r\nContent-Type: a/b\r\n\r\nx\r\n");
        assert_eq!(unclosed, MultipartError::NoCloseDelimiter("b1".into()));
        assert!(unclosed.to_string().contains("\"--b1--\""), "{unclosed}");
        assert_eq!(err(CT, b"--b1--\r\n"), MultipartError::NoParts);
        assert_eq!(
            err(
                CT,
                b"--b1\r\nContent-Type: a/b\r\nbad line\r\n\r\nx\r\n--b1--"
            ),
            MultipartError::Header {
                part: 1,
                line: 2,
                detail: "it has no ':'"
            }
        );
        assert!(matches!(
            err(CT, b"--b1\r\n folded first\r\n\r\nx\r\n--b1--"),
            MultipartError::Header { line: 1, .. }
        ));
    }

    #[test]
    fn caps_the_number_of_parts() {
        let part = b"--b1\r\nContent-Type: a/b\r\n\r\nx\r\n";
        let mut body = part.repeat(MAX_PARTS);
        body.extend(b"--b1--\r\n");
        assert_eq!(parse(CT, &body).unwrap().len(), MAX_PARTS);
        let mut body = part.repeat(MAX_PARTS + 1);
        body.extend(b"--b1--\r\n");
        assert_eq!(
            parse(CT, &body).unwrap_err(),
            MultipartError::TooManyParts { max: MAX_PARTS }
        );
    }

    #[test]
    fn builds_and_reads_back() {
        let parts = vec![
            Part::new(
                "message/cpim",
                b"From: <sip:a@b>\r\n\r\nContent-Type: text/plain\r\n\r\nhi".to_vec(),
            ),
            Part::new("application/sdp", "v=0\r\n").with_header("Content-Disposition", "session"),
            Part {
                headers: Vec::new(),
                body: Vec::new(),
            },
        ];
        let body = build(&parts, "zz9");
        assert!(body.starts_with(b"--zz9\r\nContent-Type: message/cpim\r\n\r\nFrom:"));
        assert!(body.ends_with(b"\r\n--zz9--\r\n"));
        assert_eq!(
            parse("multipart/mixed;boundary=\"zz9\"", &body).unwrap(),
            parts
        );
    }

    #[test]
    fn finds_a_part_by_media_type() {
        let parts = [
            Part::new("message/cpim", "a"),
            Part::new("Application/SDP; x=1", "b"),
        ];
        assert_eq!(find(&parts, "application/sdp").unwrap().body, b"b");
        assert_eq!(find(&parts, "message/CPIM;charset=x").unwrap().body, b"a");
        assert!(find(&parts, "application").is_none());
        assert!(find(&parts, "text/plain").is_none());
    }
}
