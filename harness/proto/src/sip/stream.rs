//! Framing SIP messages on a stream transport (TCP, TLS): RFC 3261 18.3, RFC 5626 4.4.1.
//!
//! [`StreamDecoder`] checks whether the buffer holds a whole message before parsing it (the
//! mini-redis pattern): it finds the empty line ending the head, reads Content-Length (or its
//! compact form `l`), and waits until the body has arrived. CRLF keep-alives between messages
//! (the RFC 5626 `CRLFCRLF` ping and `CRLF` pong) are consumed silently. A message without
//! Content-Length cannot be framed on a stream and is an error, as is one larger than the cap.
//! After an error the stream cannot be resynchronised: the connection should be closed. This
//! module does not read sockets.

use bytes::{Buf, BytesMut};

use super::error::SipError;
use super::head::parse_head;
use super::message::{Message, parse_length};
use super::names::names_equal;

/// Default cap on one message: 256 KiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 256 * 1024;

/// Splits a byte stream into SIP messages.
///
/// A decoder belongs to one connection's buffer: it remembers how far it has searched and the
/// length of a message whose body is still arriving, so feeding a message byte by byte costs
/// linear time.
#[derive(Debug, Clone)]
pub struct StreamDecoder {
    max_message_size: usize,
    /// Bytes at the front of the buffer already searched for the end of the head.
    scanned: usize,
    /// Length of the message at the front of the buffer, once its head is complete.
    frame_len: Option<usize>,
}

impl Default for StreamDecoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_MESSAGE_SIZE)
    }
}

impl StreamDecoder {
    /// A decoder that refuses messages larger than `max_message_size` bytes (head and body).
    pub fn new(max_message_size: usize) -> Self {
        Self {
            max_message_size,
            scanned: 0,
            frame_len: None,
        }
    }

    /// Takes the next whole message off the front of `buf`.
    ///
    /// Returns `Ok(None)` when more bytes are needed; consumed keep-alive CRLFs are removed from
    /// `buf` even then. Several messages in one buffer come out one per call.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Message>, SipError> {
        if self.scanned > buf.len() {
            self.scanned = 0;
            self.frame_len = None;
        }
        if self.scanned == 0 {
            let skip = buf
                .iter()
                .position(|b| *b != b'\r' && *b != b'\n')
                .unwrap_or(buf.len());
            buf.advance(skip);
        }
        let total = match self.frame_len {
            Some(total) => total,
            None => match self.frame_length(buf)? {
                Some(total) => total,
                None => return Ok(None),
            },
        };
        if buf.len() < total {
            buf.reserve(total - buf.len());
            return Ok(None);
        }
        self.scanned = 0;
        self.frame_len = None;
        Message::parse(buf.split_to(total).freeze()).map(Some)
    }

    /// The length of the message at the front of `buf`, once its head is complete.
    fn frame_length(&mut self, buf: &[u8]) -> Result<Option<usize>, SipError> {
        let from = self.scanned.saturating_sub(3);
        let Some(head_len) = find_head_end(&buf[from..]).map(|end| from + end) else {
            if buf.len() > self.max_message_size {
                return Err(SipError::TooLarge {
                    size: buf.len(),
                    max: self.max_message_size,
                });
            }
            self.scanned = buf.len();
            return Ok(None);
        };
        let total = head_len.saturating_add(content_length(&buf[..head_len])?);
        if total > self.max_message_size {
            return Err(SipError::TooLarge {
                size: total,
                max: self.max_message_size,
            });
        }
        self.scanned = head_len;
        self.frame_len = Some(total);
        Ok(Some(total))
    }
}

/// Length of the head including the empty line that ends it, if it is all there.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    memchr::memmem::find(buf, b"\r\n\r\n").map(|at| at + 4)
}

/// The body length declared by the head, which must be present and agree with itself.
fn content_length(head: &[u8]) -> Result<usize, SipError> {
    let mut found: Option<usize> = None;
    for header in parse_head(head)?.headers {
        if !names_equal(&header.name, "Content-Length") {
            continue;
        }
        let len = parse_length(&header.value).ok_or_else(|| {
            SipError::ContentLength(format!("{:?} is not a length", header.value))
        })?;
        if found.is_some_and(|earlier| earlier != len) {
            return Err(SipError::ContentLength(
                "several Content-Length values disagree".into(),
            ));
        }
        found = Some(len);
    }
    found.ok_or(SipError::MissingContentLength)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn decode_all(decoder: &mut StreamDecoder, buf: &mut BytesMut) -> Vec<Message> {
        let mut out = Vec::new();
        while let Some(msg) = decoder.decode(buf).unwrap() {
            out.push(msg);
        }
        out
    }

    #[test]
    fn frames_by_content_length_and_skips_keepalives() {
        let mut buf = BytesMut::from(
            &b"\r\n\r\nMESSAGE sip:a SIP/2.0\r\nl: 3\r\n\r\nabc\r\n\
SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n\r\n\r\n"[..],
        );
        let mut decoder = StreamDecoder::default();
        let msgs = decode_all(&mut decoder, &mut buf);
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].body(), b"abc");
        assert_eq!(msgs[1].summary(), "200 OK");
        assert!(buf.is_empty());
    }

    #[test]
    fn waits_for_the_body() {
        let mut decoder = StreamDecoder::default();
        let mut buf = BytesMut::from(&b"MESSAGE sip:a SIP/2.0\r\nContent-Length: 3\r\n\r\nab"[..]);
        assert_eq!(decoder.decode(&mut buf).unwrap(), None);
        buf.extend_from_slice(b"cMESS");
        let msg = decoder.decode(&mut buf).unwrap().unwrap();
        assert_eq!(msg.body(), b"abc");
        assert_eq!(&buf[..], b"MESS");
        assert_eq!(decoder.decode(&mut buf).unwrap(), None);
    }

    #[test]
    fn errors_name_the_construct() {
        let mut decoder = StreamDecoder::new(64);
        let mut buf = BytesMut::from(&b"OPTIONS sip:a SIP/2.0\r\nCall-ID: x\r\n\r\n"[..]);
        assert_eq!(
            decoder.decode(&mut buf).unwrap_err(),
            SipError::MissingContentLength
        );
        let mut buf = BytesMut::from(&b"OPTIONS sip:a SIP/2.0\r\nl: -1\r\n\r\n"[..]);
        assert!(matches!(
            decoder.decode(&mut buf),
            Err(SipError::ContentLength(_))
        ));
        let mut buf =
            BytesMut::from(&b"OPTIONS sip:a SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\n"[..]);
        assert!(matches!(
            decoder.decode(&mut buf),
            Err(SipError::ContentLength(_))
        ));
        let mut buf = BytesMut::from(&b"OPTIONS sip:a SIP/2.0\r\nl: 100\r\n\r\n"[..]);
        assert!(matches!(
            decoder.decode(&mut buf),
            Err(SipError::TooLarge { max: 64, .. })
        ));
        let mut buf = BytesMut::from(&[b'A'; 65][..]);
        assert!(matches!(
            decoder.decode(&mut buf),
            Err(SipError::TooLarge { size: 65, .. })
        ));
    }

    #[test]
    fn folded_content_length_is_read() {
        let mut decoder = StreamDecoder::default();
        let mut buf =
            BytesMut::from(&b"OPTIONS sip:a SIP/2.0\r\nContent-Length:\r\n 2\r\n\r\nok"[..]);
        let msg = decoder.decode(&mut buf).unwrap().unwrap();
        assert_eq!(msg.body(), b"ok");
    }
}
