//! The header section of an HTTP/1.1 message: start line and field lines (RFC 9112 §2-5).
//!
//! [`parse_head`] reads the bytes up to and including the empty line that ends the header
//! section. Lines end in CRLF or a bare LF (RFC 9112 §2.2 lets recipients accept LF); a bare CR
//! is an error. Field names must be tokens with no whitespace before the colon (RFC 9112 §5.1);
//! obsolete line folding is replaced by one space (RFC 9112 §5.2); values are trimmed of OWS and
//! kept otherwise as sent (bytes beyond ASCII decoded lossily: the raw bytes stay exact in the
//! message). This module does not frame bodies: see `stream`.

use std::ops::Range;

use super::error::HttpError;
use super::message::Header;

/// Most field lines one header section may hold.
pub const MAX_HEADERS: usize = 256;

/// The start line of a message, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StartLine {
    Request {
        method: String,
        target: String,
        version: String,
    },
    Response {
        version: String,
        status: u16,
        reason: String,
    },
}

/// A parsed header section.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    pub(crate) start: StartLine,
    pub(crate) headers: Vec<Header>,
}

/// Whether the start line to read is a request line or a status line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Request,
    Response,
}

/// Parses `head` (start line, field lines, empty line).
pub(crate) fn parse_head(head: &[u8], kind: Kind) -> Result<Head, HttpError> {
    let mut lines = lines(head);
    let first = lines
        .next()
        .ok_or_else(|| HttpError::StartLine("the message is empty".into()))?;
    let start_text = line_text(head, first)?;
    let start = match kind {
        Kind::Request => parse_request_line(&start_text)?,
        Kind::Response => parse_status_line(&start_text)?,
    };
    let mut headers: Vec<Header> = Vec::new();
    for span in lines {
        if span.is_empty() {
            break;
        }
        let text = line_text(head, span.clone())?;
        if text.starts_with([' ', '\t']) {
            let Some(last) = headers.last_mut() else {
                return Err(HttpError::Header(
                    "whitespace between the start line and the first field".into(),
                ));
            };
            append_folded(last, text.trim(), span.end);
            continue;
        }
        if headers.len() >= MAX_HEADERS {
            return Err(HttpError::Header(format!(
                "more than {MAX_HEADERS} field lines"
            )));
        }
        headers.push(parse_field(&text, span)?);
    }
    Ok(Head { start, headers })
}

/// The byte spans of the lines of `head`, without their line ends.
fn lines(head: &[u8]) -> impl Iterator<Item = Range<usize>> + '_ {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= head.len() {
            return None;
        }
        let rest = head.get(at..)?;
        let end = memchr::memchr(b'\n', rest).map_or(head.len(), |i| at + i);
        let content_end = match end > at && head.get(end - 1) == Some(&b'\r') {
            true => end - 1,
            false => end,
        };
        let span = at..content_end;
        at = end + 1;
        Some(span)
    })
}

fn line_text(head: &[u8], span: Range<usize>) -> Result<String, HttpError> {
    let bytes = head.get(span).unwrap_or_default();
    if bytes.iter().any(|b| matches!(b, b'\r' | 0)) {
        return Err(HttpError::Header("a bare CR or NUL inside a line".into()));
    }
    Ok(String::from_utf8_lossy(bytes).into_owned())
}

fn append_folded(header: &mut Header, more: &str, end: usize) {
    if !more.is_empty() {
        if !header.value.is_empty() {
            header.value.push(' ');
        }
        header.value.push_str(more);
    }
    header.span.end = end;
}

fn parse_field(text: &str, span: Range<usize>) -> Result<Header, HttpError> {
    let Some((name, value)) = text.split_once(':') else {
        return Err(HttpError::Header(format!("{} has no colon", clip(text))));
    };
    if name.is_empty() || !name.bytes().all(is_tchar) {
        return Err(HttpError::Header(format!(
            "{:?} is not a field name",
            clip(name)
        )));
    }
    Ok(Header {
        name: name.to_owned(),
        value: value.trim_matches([' ', '\t']).to_owned(),
        span,
    })
}

fn parse_request_line(line: &str) -> Result<StartLine, HttpError> {
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(HttpError::StartLine(format!(
            "{:?} is not `method SP target SP version`",
            clip(line)
        )));
    };
    if method.is_empty() || !method.bytes().all(is_tchar) {
        return Err(HttpError::StartLine(format!(
            "{:?} is not a method",
            clip(method)
        )));
    }
    if target.is_empty() || target.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(HttpError::StartLine(format!(
            "{:?} is not a request target",
            clip(target)
        )));
    }
    check_version(version)?;
    Ok(StartLine::Request {
        method: method.to_owned(),
        target: target.to_owned(),
        version: version.to_owned(),
    })
}

fn parse_status_line(line: &str) -> Result<StartLine, HttpError> {
    let (version, rest) = line.split_once(' ').unwrap_or((line, ""));
    check_version(version)?;
    let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
    let status = match code.len() == 3 && code.bytes().all(|b| b.is_ascii_digit()) {
        true => code.parse::<u16>().ok(),
        false => None,
    };
    let Some(status) = status.filter(|s| *s >= 100) else {
        return Err(HttpError::StartLine(format!(
            "{:?} is not a status code",
            clip(code)
        )));
    };
    Ok(StartLine::Response {
        version: version.to_owned(),
        status,
        reason: reason.to_owned(),
    })
}

/// `HTTP-version = "HTTP" "/" DIGIT "." DIGIT` (RFC 9112 §2.3), major version 1.
fn check_version(version: &str) -> Result<(), HttpError> {
    let ok = version
        .strip_prefix("HTTP/1.")
        .is_some_and(|minor| minor.len() == 1 && minor.bytes().all(|b| b.is_ascii_digit()));
    match ok {
        true => Ok(()),
        false => Err(HttpError::StartLine(format!(
            "{:?} is not HTTP/1.x",
            clip(version)
        ))),
    }
}

/// `tchar` of RFC 9110 §5.6.2.
pub(crate) fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// At most 64 characters of `text`, for error messages.
fn clip(text: &str) -> String {
    text.chars().take(64).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_request_head_with_folding_and_lf_lines() {
        let head = b"GET /a?b=c HTTP/1.1\r\nHost: x\nX-Long: one\r\n  two\r\nEmpty:\r\n\r\n";
        let parsed = parse_head(head, Kind::Request).unwrap();
        assert_eq!(
            parsed.start,
            StartLine::Request {
                method: "GET".into(),
                target: "/a?b=c".into(),
                version: "HTTP/1.1".into()
            }
        );
        let names: Vec<_> = parsed.headers.iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names, ["Host", "X-Long", "Empty"]);
        assert_eq!(parsed.headers[1].value, "one two");
        assert_eq!(
            &head[parsed.headers[1].span.clone()],
            b"X-Long: one\r\n  two"
        );
        assert_eq!(parsed.headers[2].value, "");
    }

    #[test]
    fn reads_status_lines_with_and_without_reason() {
        let parsed = parse_head(b"HTTP/1.1 404 Not  Found\r\n\r\n", Kind::Response).unwrap();
        assert!(
            matches!(parsed.start, StartLine::Response { status: 404, ref reason, .. } if reason == "Not  Found")
        );
        let parsed = parse_head(b"HTTP/1.0 204\r\n\r\n", Kind::Response).unwrap();
        assert!(
            matches!(parsed.start, StartLine::Response { status: 204, ref reason, .. } if reason.is_empty())
        );
    }

    #[test]
    fn rejects_what_rfc_9112_forbids() {
        let bad: &[(&[u8], Kind, &str)] = &[
            (b"GET  / HTTP/1.1\r\n\r\n", Kind::Request, "not `method"),
            (b"G@T / HTTP/1.1\r\n\r\n", Kind::Request, "not a method"),
            (b"GET / HTTP/2.0\r\n\r\n", Kind::Request, "not HTTP/1.x"),
            (
                b"GET / HTTP/1.1\r\nHost : x\r\n\r\n",
                Kind::Request,
                "not a field name",
            ),
            (
                b"GET / HTTP/1.1\r\n folded\r\n\r\n",
                Kind::Request,
                "whitespace between",
            ),
            (
                b"GET / HTTP/1.1\r\nNoColon\r\n\r\n",
                Kind::Request,
                "no colon",
            ),
            (
                b"GET / HTTP/1.1\r\nA: b\rc\r\n\r\n",
                Kind::Request,
                "bare CR",
            ),
            (
                b"HTTP/1.1 20 OK\r\n\r\n",
                Kind::Response,
                "not a status code",
            ),
            (
                b"HTTP/1.1 099 X\r\n\r\n",
                Kind::Response,
                "not a status code",
            ),
        ];
        for (head, kind, expected) in bad {
            let err = parse_head(head, *kind).unwrap_err().to_string();
            assert!(
                err.contains(expected),
                "{err} for {:?}",
                String::from_utf8_lossy(head)
            );
        }
    }
}
