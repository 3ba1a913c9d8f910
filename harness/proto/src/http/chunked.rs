//! Decoding the chunked transfer coding incrementally (RFC 9112 §7.1).
//!
//! [`Chunked`] walks the chunks of one message while its bytes arrive, remembering where it
//! stopped, so a body fed in pieces is read once. It copies chunk data into the decoded content
//! and leaves the buffer untouched: the stream decoder takes the raw bytes off once the message
//! is whole. Chunk extensions are skipped (their length capped with the size line), trailer
//! fields are kept in the raw bytes only, not merged into the header fields (RFC 9110 §6.5).
//! Lines may end in CRLF or a bare LF.

use bytes::BytesMut;

use super::error::HttpError;

/// Longest chunk-size line, extensions included.
pub const MAX_CHUNK_LINE: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Size,
    Data { remaining: u64 },
    DataEnd,
    Trailers { start: usize },
}

/// Progress through the chunks of one message.
#[derive(Debug, Clone)]
pub(crate) struct Chunked {
    /// Offset in the buffer of the next byte to read.
    pos: usize,
    phase: Phase,
    pub(crate) body: BytesMut,
}

impl Chunked {
    /// Starts after a header section of `head_len` bytes.
    pub(crate) fn new(head_len: usize) -> Self {
        Self {
            pos: head_len,
            phase: Phase::Size,
            body: BytesMut::new(),
        }
    }

    /// Reads on; returns the message length once the last chunk and the trailer section are in.
    pub(crate) fn advance(
        &mut self,
        buf: &[u8],
        max_body: usize,
        max_trailers: usize,
    ) -> Result<Option<usize>, HttpError> {
        loop {
            let rest = buf.get(self.pos..).unwrap_or_default();
            match self.phase {
                Phase::Size => {
                    let Some((line, used)) = take_line(rest, MAX_CHUNK_LINE, "chunk-size line")?
                    else {
                        return Ok(None);
                    };
                    let size = chunk_size(line)?;
                    let total = (self.body.len() as u64).saturating_add(size);
                    if total > max_body as u64 {
                        return Err(HttpError::BodyTooLarge {
                            size: total,
                            max: max_body,
                        });
                    }
                    self.pos += used;
                    self.phase = match size {
                        0 => Phase::Trailers { start: self.pos },
                        remaining => Phase::Data { remaining },
                    };
                }
                Phase::Data { remaining } => {
                    let take = rest
                        .len()
                        .min(usize::try_from(remaining).unwrap_or(usize::MAX));
                    self.body
                        .extend_from_slice(rest.get(..take).unwrap_or_default());
                    self.pos += take;
                    let remaining = remaining - take as u64;
                    if remaining > 0 {
                        self.phase = Phase::Data { remaining };
                        return Ok(None);
                    }
                    self.phase = Phase::DataEnd;
                }
                Phase::DataEnd => match rest {
                    [b'\r', b'\n', ..] => self.advance_to(2, Phase::Size),
                    [b'\n', ..] => self.advance_to(1, Phase::Size),
                    [] | [b'\r'] => return Ok(None),
                    _ => {
                        return Err(HttpError::Chunked(
                            "chunk data is not followed by CRLF".into(),
                        ));
                    }
                },
                Phase::Trailers { start } => {
                    let allowed = max_trailers.saturating_sub(self.pos - start);
                    let Some((line, used)) = take_line(rest, allowed, "trailer section")? else {
                        return Ok(None);
                    };
                    self.pos += used;
                    if line.is_empty() {
                        return Ok(Some(self.pos));
                    }
                }
            }
        }
    }

    fn advance_to(&mut self, by: usize, phase: Phase) {
        self.pos += by;
        self.phase = phase;
    }

    /// True once the chunks are read and only the trailer section is missing.
    pub(crate) fn in_trailers(&self) -> bool {
        matches!(self.phase, Phase::Trailers { .. })
    }
}

/// The next line of `rest` (without its line end) and its length with the line end, or `None`
/// when it is incomplete; an error once more than `max` bytes have no line end.
fn take_line<'a>(
    rest: &'a [u8],
    max: usize,
    what: &str,
) -> Result<Option<(&'a [u8], usize)>, HttpError> {
    let Some(nl) = memchr::memchr(b'\n', rest) else {
        return match rest.len() > max {
            true => Err(HttpError::Chunked(format!(
                "{what} longer than {max} bytes"
            ))),
            false => Ok(None),
        };
    };
    if nl > max {
        return Err(HttpError::Chunked(format!(
            "{what} longer than {max} bytes"
        )));
    }
    let line = rest.get(..nl).unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Ok(Some((line, nl + 1)))
}

/// `chunk-size [ chunk-ext ]`: the hexadecimal size; extensions are not interpreted.
fn chunk_size(line: &[u8]) -> Result<u64, HttpError> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let (hex, ext) = line.split_at(digits);
    let ext_ok = ext.is_empty() || ext.trim_ascii_start().starts_with(b";");
    let size = match (digits, ext_ok) {
        (1..=15, true) => std::str::from_utf8(hex)
            .ok()
            .and_then(|hex| u64::from_str_radix(hex, 16).ok()),
        _ => None,
    };
    size.ok_or_else(|| {
        HttpError::Chunked(format!(
            "{:?} is not a chunk size",
            String::from_utf8_lossy(line.get(..line.len().min(32)).unwrap_or_default())
        ))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn run(bytes: &[u8]) -> Result<Option<(usize, Vec<u8>)>, HttpError> {
        let mut chunked = Chunked::new(0);
        Ok(chunked
            .advance(bytes, 1024, 1024)?
            .map(|len| (len, chunked.body.to_vec())))
    }

    #[test]
    fn decodes_chunks_extensions_and_trailers() {
        let raw = b"4;name=v\r\nWiki\r\n5 ; x\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nExpires: never\r\n\r\nNEXT";
        let (len, body) = run(raw).unwrap().unwrap();
        assert_eq!(body, b"Wikipedia in\r\n\r\nchunks.");
        assert_eq!(&raw[len..], b"NEXT");
    }

    #[test]
    fn fed_byte_by_byte_it_reads_each_byte_once() {
        let raw = b"3\r\nabc\n0\n\n";
        let mut chunked = Chunked::new(0);
        for end in 0..raw.len() {
            assert_eq!(chunked.advance(&raw[..end], 64, 64).unwrap(), None);
        }
        assert_eq!(chunked.advance(raw, 64, 64).unwrap(), Some(raw.len()));
        assert_eq!(&chunked.body[..], b"abc");
    }

    #[test]
    fn errors_name_the_construct() {
        let cases: &[(&[u8], &str)] = &[
            (b"x\r\n", "not a chunk size"),
            (b"\r\n", "not a chunk size"),
            (b"1000000000000000\r\n", "not a chunk size"),
            (b"3x\r\n", "not a chunk size"),
            (b"2\r\nabc\r\n", "not followed by CRLF"),
            (b"401\r\n", "exceed the cap of 1024"),
        ];
        for (raw, expected) in cases {
            let err = run(raw).unwrap_err().to_string();
            assert!(err.contains(expected), "{err}");
        }
        let long = vec![b'1'; MAX_CHUNK_LINE + 1];
        assert!(
            run(&long)
                .unwrap_err()
                .to_string()
                .contains("chunk-size line")
        );
        let mut trailers = b"0\r\n".to_vec();
        trailers.extend(std::iter::repeat_n(b'a', 2000));
        assert!(
            run(&trailers)
                .unwrap_err()
                .to_string()
                .contains("trailer section")
        );
    }
}
