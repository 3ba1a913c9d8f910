//! Reading SDP lines (RFC 8866 §5): `<type>=<value>` separated by CRLF or LF, the first `v=0`.

use super::{Line, MAX_SDP_LINES, MAX_SDP_SIZE, Media, Sdp, SdpError};

/// Parses a description, keeping the bytes as given.
pub(super) fn parse(bytes: &[u8]) -> Result<Sdp, SdpError> {
    if bytes.len() > MAX_SDP_SIZE {
        return Err(SdpError::TooLarge {
            size: bytes.len(),
            max: MAX_SDP_SIZE,
        });
    }
    let mut session = Vec::new();
    let mut media: Vec<Media> = Vec::new();
    for (index, raw) in split_lines(bytes).enumerate() {
        let number = index + 1;
        if number > MAX_SDP_LINES {
            return Err(SdpError::TooManyLines { max: MAX_SDP_LINES });
        }
        if number == 1 {
            check_version(raw)?;
        }
        if raw.is_empty() {
            continue;
        }
        let line = read_line(raw, number)?;
        if line.kind() == 'm' {
            media.push(Media::parse_line(line)?);
            continue;
        }
        match media.last_mut() {
            Some(section) => section.push(line),
            None => session.push(line),
        }
    }
    Ok(Sdp::from_parts(bytes.to_vec(), session, media))
}

/// The lines of `bytes` without their CRLF or LF ends. An empty input holds one empty line; a
/// final line end does not start another line.
fn split_lines(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let body = bytes.strip_suffix(b"\n").unwrap_or(bytes);
    body.split(|&b| b == b'\n')
        .map(|line| line.strip_suffix(b"\r").unwrap_or(line))
}

/// RFC 8866 §5.1: the first line is `v=0`. Trailing blanks are tolerated.
fn check_version(raw: &[u8]) -> Result<(), SdpError> {
    if raw.trim_ascii_end() == b"v=0" {
        return Ok(());
    }
    let found: String = String::from_utf8_lossy(raw).chars().take(40).collect();
    Err(SdpError::Version { found })
}

/// One `<type>=<value>` line; the type is one ASCII letter (RFC 8866 §9 `type = ALPHA`).
fn read_line(raw: &[u8], number: usize) -> Result<Line, SdpError> {
    let err = |detail| SdpError::Line {
        line: number,
        detail,
    };
    let equals = memchr::memchr(b'=', raw).ok_or(err("it has no '=' after the type"))?;
    let (kind, value) = raw.split_at(equals);
    let kind = match kind {
        [letter] if letter.is_ascii_alphabetic() => char::from(*letter),
        _ => return Err(err("the type before '=' is not one letter")),
    };
    let value = value.get(1..).unwrap_or_default();
    Ok(Line::new(
        kind,
        String::from_utf8_lossy(value).into_owned(),
        number,
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const OFFER: &[u8] = b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
        a=tool:x\r\nm=message 9 TCP/MSRP *\r\na=path:msrp://10.0.0.1:7/s;tcp\r\na=sendonly\r\n";

    #[test]
    fn splits_session_and_media_lines() {
        let sdp = Sdp::parse(OFFER).unwrap();
        let kinds: String = sdp.session_lines().iter().map(Line::kind).collect();
        assert_eq!(kinds, "voscta");
        assert_eq!(sdp.connection(), Some("IN IP4 10.0.0.1"));
        assert_eq!(sdp.session_attribute("tool"), Some("x"));
        let [media] = sdp.media() else { panic!() };
        assert_eq!(media.media_line().number(), 7);
        assert_eq!(media.lines().len(), 2);
        assert_eq!(media.attribute("sendonly"), Some(""));
        assert_eq!(sdp.to_bytes(), OFFER);
    }

    #[test]
    fn keeps_lf_input_byte_exact() {
        let lf: Vec<u8> = OFFER.iter().copied().filter(|&b| b != b'\r').collect();
        let sdp = Sdp::parse(&lf).unwrap();
        assert_eq!(sdp.to_bytes(), lf);
        assert_eq!(
            sdp.media()[0].attribute("path"),
            Some("msrp://10.0.0.1:7/s;tcp")
        );
    }

    #[test]
    fn accepts_a_last_line_without_an_end_and_blank_lines() {
        let sdp = Sdp::parse(b"v=0\r\n\r\nm=message 9 TCP/MSRP *\r\na=sendrecv").unwrap();
        assert_eq!(sdp.media()[0].attribute("sendrecv"), Some(""));
        assert_eq!(sdp.media()[0].lines()[0].number(), 4);
    }

    #[test]
    fn rejects_a_missing_version_line() {
        for input in [
            &b""[..],
            b"o=- 1 1 IN IP4 h\r\nv=0\r\n",
            b"v=1\r\n",
            b"\r\nv=0\r\n",
        ] {
            let err = Sdp::parse(input).unwrap_err();
            assert!(matches!(err, SdpError::Version { .. }), "{input:?}: {err}");
        }
        assert!(Sdp::parse(b"v=0  \r\n").is_ok());
    }

    #[test]
    fn rejects_a_line_without_equals_naming_it() {
        let err = Sdp::parse(b"v=0\r\ns=-\r\nhello\r\n").unwrap_err();
        assert_eq!(
            err,
            SdpError::Line {
                line: 3,
                detail: "it has no '=' after the type"
            }
        );
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn rejects_a_type_that_is_not_one_letter() {
        for input in [&b"v=0\r\nab=1\r\n"[..], b"v=0\r\n=1\r\n", b"v=0\r\n1=1\r\n"] {
            let err = Sdp::parse(input).unwrap_err();
            assert!(matches!(err, SdpError::Line { line: 2, .. }), "{err}");
        }
    }

    #[test]
    fn rejects_a_non_numeric_port() {
        let err = Sdp::parse(b"v=0\r\nm=message nine TCP/MSRP *\r\n").unwrap_err();
        assert!(matches!(err, SdpError::MediaLine { line: 2, .. }), "{err}");
        assert!(err.to_string().contains("\"nine\""), "{err}");
    }

    #[test]
    fn caps_size_and_lines() {
        let mut big = b"v=0\r\n".to_vec();
        big.resize(MAX_SDP_SIZE + 1, b'a');
        assert!(matches!(Sdp::parse(&big), Err(SdpError::TooLarge { .. })));
        let mut many = b"v=0\r\n".to_vec();
        many.extend(b"a=x\n".repeat(MAX_SDP_LINES));
        assert!(matches!(
            Sdp::parse(&many),
            Err(SdpError::TooManyLines { .. })
        ));
        let mut fits = b"v=0\n".to_vec();
        fits.extend(b"a=x\n".repeat(MAX_SDP_LINES - 1));
        assert!(Sdp::parse(&fits).is_ok());
    }

    #[test]
    fn decodes_non_utf8_values_lossily_but_keeps_the_bytes() {
        let input = b"v=0\r\ns=caf\xe9\r\n";
        let sdp = Sdp::parse(input).unwrap();
        assert_eq!(sdp.session_line('s'), Some("caf\u{fffd}"));
        assert_eq!(sdp.to_bytes(), input);
    }
}
