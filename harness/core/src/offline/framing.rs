//! Telling SIP, MSRP and HTTP apart, and cutting messages out of datagrams and reassembled streams.
//!
//! A UDP datagram is one SIP message (RFC 3261 18.1.1) when its first line is a SIP start line, or
//! when it is sent to or from port 5060 and starts with text; one that does not parse still
//! becomes a message, with the reason as its summary. A TCP stream direction is decided by its
//! first bytes (after any CRLF keep-alives): `MSRP ` starts MSRP (RFC 4975 7.1), a SIP start line
//! starts SIP, an HTTP/1.x request line starts HTTP requests and an `HTTP/1.x` status line HTTP
//! responses (RFC 9112 §3, §4); anything else (TLS records...) is ignored. SIP is framed by
//! Content-Length with [`StreamDecoder`] (RFC 3261 18.3), MSRP by its end-line with [`Decoder`],
//! HTTP by Content-Length or the chunked coding with [`HttpDecoder`] (RFC 9112 §6.3; a response
//! is read as one to GET, since the request travels the other direction, and one whose body runs
//! until the close stays unframed). A framing error ends the stream: its remaining bytes become
//! one message whose summary says why.

use bytes::BytesMut;
use rcs_proto::http::{DEFAULT_MAX_BODY, StreamDecoder as HttpDecoder};
use rcs_proto::msrp::Decoder;
use rcs_proto::sip::{DEFAULT_MAX_MESSAGE_SIZE, Message, StreamDecoder};

use crate::check::http::HttpMessage;
use crate::events::Protocol;

/// Cap on one MSRP frame: 4 MiB.
pub(crate) const MAX_MSRP_FRAME: usize = 4 * 1024 * 1024;

/// The longest first line looked at to decide a stream's protocol.
const MAX_FIRST_LINE: usize = 1024;

/// The well-known SIP port (RFC 3261 19.1.2).
const SIP_PORT: u16 = 5060;

/// One message cut out of a datagram or a stream.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Framed {
    pub protocol: Protocol,
    pub bytes: Vec<u8>,
    pub summary: String,
}

/// The SIP message in a UDP datagram, if the datagram carries one.
pub(crate) fn datagram(payload: &[u8], ports: [u16; 2]) -> Option<Framed> {
    let start = skip_crlf(payload);
    if start.is_empty() {
        return None;
    }
    let by_port = ports.contains(&SIP_PORT) && start.first().is_some_and(u8::is_ascii_graphic);
    if !by_port && !first_line(start).is_some_and(is_sip_start_line) {
        return None;
    }
    let summary = match Message::parse(payload.to_vec()) {
        Ok(message) => message.summary(),
        Err(e) => format!("unparseable SIP: {e}"),
    };
    Some(Framed {
        protocol: Protocol::Sip,
        bytes: payload.to_vec(),
        summary,
    })
}

/// Frames one direction of a TCP connection.
#[derive(Debug, Default)]
pub(crate) struct StreamFramer {
    buf: BytesMut,
    kind: Kind,
}

#[derive(Debug, Default)]
enum Kind {
    #[default]
    Undecided,
    Sip(StreamDecoder),
    Msrp(Decoder),
    HttpRequests(HttpDecoder),
    HttpResponses(HttpDecoder),
    /// Neither SIP, MSRP nor HTTP, or framing failed: further bytes are dropped.
    Ignored,
}

impl StreamFramer {
    /// Appends reassembled bytes and pushes every message they complete to `out`.
    pub(crate) fn push(&mut self, data: &[u8], out: &mut Vec<Framed>) {
        if matches!(self.kind, Kind::Ignored) {
            return;
        }
        self.buf.extend_from_slice(data);
        if matches!(self.kind, Kind::Undecided) {
            self.decide();
        }
        loop {
            let next = match &mut self.kind {
                Kind::Sip(decoder) => next_sip(decoder, &mut self.buf),
                Kind::Msrp(decoder) => next_msrp(decoder, &mut self.buf),
                Kind::HttpRequests(decoder) => next_http(decoder, &mut self.buf, true),
                Kind::HttpResponses(decoder) => next_http(decoder, &mut self.buf, false),
                Kind::Undecided | Kind::Ignored => return,
            };
            match next {
                Ok(Some(framed)) => out.push(framed),
                Ok(None) => return,
                Err(framed) => {
                    out.push(framed);
                    self.stop();
                    return;
                }
            }
        }
    }

    /// True once the stream was found to carry neither SIP, MSRP nor HTTP (or could not be framed).
    pub(crate) fn is_ignored(&self) -> bool {
        matches!(self.kind, Kind::Ignored)
    }

    /// Bytes received but not yet part of a whole message.
    pub(crate) fn leftover(&self) -> usize {
        self.buf.len()
    }

    fn decide(&mut self) {
        let start = skip_crlf(&self.buf);
        if start.starts_with(b"MSRP ") {
            self.kind = Kind::Msrp(Decoder::new(MAX_MSRP_FRAME));
            return;
        }
        match first_line(start) {
            Some(line) if is_sip_start_line(line) => {
                self.kind = Kind::Sip(StreamDecoder::new(DEFAULT_MAX_MESSAGE_SIZE));
            }
            Some(line) if is_http_request_line(line) => {
                self.kind = Kind::HttpRequests(HttpDecoder::new(DEFAULT_MAX_BODY));
            }
            Some(line) if is_http_status_line(line) => {
                self.kind = Kind::HttpResponses(HttpDecoder::new(DEFAULT_MAX_BODY));
            }
            Some(_) => self.stop(),
            None if start.len() > MAX_FIRST_LINE => self.stop(),
            None if !b"MSRP ".starts_with(&start[..start.len().min(5)]) && is_binary(start) => {
                self.stop();
            }
            None => {}
        }
    }

    fn stop(&mut self) {
        self.kind = Kind::Ignored;
        self.buf = BytesMut::new();
    }
}

fn next_sip(decoder: &mut StreamDecoder, buf: &mut BytesMut) -> Result<Option<Framed>, Framed> {
    let before = buf.clone();
    match decoder.decode(buf) {
        Ok(Some(message)) => Ok(Some(Framed {
            protocol: Protocol::Sip,
            summary: message.summary(),
            bytes: message.as_bytes().to_vec(),
        })),
        Ok(None) => Ok(None),
        Err(e) => Err(Framed {
            protocol: Protocol::Sip,
            bytes: skip_crlf(&before).to_vec(),
            summary: format!("unframed SIP: {e}"),
        }),
    }
}

fn next_msrp(decoder: &mut Decoder, buf: &mut BytesMut) -> Result<Option<Framed>, Framed> {
    match decoder.decode(buf) {
        Ok(Some(frame)) => {
            let bytes = frame.as_bytes().to_vec();
            let summary = first_line(&bytes)
                .map(|line| String::from_utf8_lossy(line).into_owned())
                .unwrap_or_default();
            Ok(Some(Framed {
                protocol: Protocol::Msrp,
                bytes,
                summary,
            }))
        }
        Ok(None) => Ok(None),
        Err(e) => Err(Framed {
            protocol: Protocol::Msrp,
            bytes: buf.to_vec(),
            summary: format!("unframed MSRP: {e}"),
        }),
    }
}

fn next_http(
    decoder: &mut HttpDecoder,
    buf: &mut BytesMut,
    requests: bool,
) -> Result<Option<Framed>, Framed> {
    let decoded = match requests {
        true => decoder
            .decode_request(buf)
            .map(|r| r.map(HttpMessage::Request)),
        false => decoder
            .decode_response(buf, "GET")
            .map(|r| r.map(HttpMessage::Response)),
    };
    match decoded {
        Ok(Some(message)) => {
            let bytes = match &message {
                HttpMessage::Request(r) => r.as_bytes().to_vec(),
                HttpMessage::Response(r) => r.as_bytes().to_vec(),
            };
            Ok(Some(Framed {
                protocol: Protocol::Http,
                summary: message.summary(),
                bytes,
            }))
        }
        Ok(None) => Ok(None),
        Err(e) => Err(Framed {
            protocol: Protocol::Http,
            bytes: skip_crlf(buf).to_vec(),
            summary: format!("unframed HTTP: {e}"),
        }),
    }
}

/// Whether `line` is an HTTP/1.x request line: `METHOD target HTTP/1.1` (RFC 9112 §3).
fn is_http_request_line(line: &[u8]) -> bool {
    let mut words = line.split(|b| *b == b' ');
    let method = words.next().unwrap_or_default();
    let version = words.next_back().unwrap_or_default();
    !method.is_empty()
        && method.iter().all(|b| b.is_ascii_uppercase() || *b == b'-')
        && words.next().is_some_and(|target| !target.is_empty())
        && words.next().is_none()
        && version.starts_with(b"HTTP/1.")
}

/// Whether `line` is an HTTP/1.x status line: `HTTP/1.1 206 Partial Content` (RFC 9112 §4).
fn is_http_status_line(line: &[u8]) -> bool {
    line.starts_with(b"HTTP/1.")
        && line
            .get(8..12)
            .is_some_and(|s| s[0] == b' ' && s[1..].iter().all(u8::is_ascii_digit))
        && line.get(12).is_none_or(|b| *b == b' ')
}

/// Whether `line` is a SIP request line (`METHOD uri SIP/2.0`) or status line (`SIP/2.0 200 OK`).
pub(crate) fn is_sip_start_line(line: &[u8]) -> bool {
    const VERSION: &[u8] = b"SIP/2.0";
    let starts = line.get(..VERSION.len() + 1).is_some_and(|s| {
        s[..VERSION.len()].eq_ignore_ascii_case(VERSION) && s[VERSION.len()] == b' '
    });
    let ends = line.len() > VERSION.len() + 1
        && line[line.len() - VERSION.len()..].eq_ignore_ascii_case(VERSION)
        && line[line.len() - VERSION.len() - 1] == b' ';
    starts || ends
}

/// The first line of `data` without its CRLF, if the CRLF is within [`MAX_FIRST_LINE`] bytes.
fn first_line(data: &[u8]) -> Option<&[u8]> {
    let window = &data[..data.len().min(MAX_FIRST_LINE + 2)];
    window
        .windows(2)
        .position(|pair| pair == b"\r\n")
        .map(|end| &data[..end])
}

/// `data` after any leading CRLF keep-alives (RFC 5626 4.4.1).
fn skip_crlf(data: &[u8]) -> &[u8] {
    let at = data
        .iter()
        .position(|b| *b != b'\r' && *b != b'\n')
        .unwrap_or(data.len());
    &data[at..]
}

/// Bytes that cannot begin a text start line (a TLS record, a binary protocol).
fn is_binary(data: &[u8]) -> bool {
    data.iter()
        .any(|b| !b.is_ascii_graphic() && !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const OPTIONS: &[u8] = b"OPTIONS sip:bob@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n";
    const SEND: &[u8] = b"MSRP a786hjs2 SEND\r\nTo-Path: msrp://b:7394/s;tcp\r\n\
From-Path: msrp://a:7777/t;tcp\r\nMessage-ID: 87652491\r\nByte-Range: 1-2/2\r\n\
Content-Type: text/plain\r\n\r\nhi\r\n-------a786hjs2$\r\n";

    fn feed(framer: &mut StreamFramer, chunks: &[&[u8]]) -> Vec<Framed> {
        let mut out = Vec::new();
        for chunk in chunks {
            framer.push(chunk, &mut out);
        }
        out
    }

    #[test]
    fn sip_start_lines_are_recognised() {
        assert!(is_sip_start_line(b"SIP/2.0 200 OK"));
        assert!(is_sip_start_line(b"MESSAGE tel:+8613800000000 sip/2.0"));
        assert!(!is_sip_start_line(b"GET / HTTP/1.1"));
        assert!(!is_sip_start_line(b"SIP/2.0"));
    }

    #[test]
    fn a_stream_split_byte_by_byte_gives_whole_sip_messages() {
        let mut framer = StreamFramer::default();
        let mut stream = b"\r\n\r\n".to_vec();
        stream.extend_from_slice(OPTIONS);
        stream.extend_from_slice(OPTIONS);
        let chunks: Vec<&[u8]> = stream.chunks(1).collect();
        let out = feed(&mut framer, &chunks);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].bytes, OPTIONS);
        assert_eq!(out[1].summary, "OPTIONS sip:bob@example.com");
    }

    #[test]
    fn msrp_frames_are_cut_at_their_end_line() {
        let mut framer = StreamFramer::default();
        let out = feed(&mut framer, &[&SEND[..3], &SEND[3..40], &SEND[40..]]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].protocol, Protocol::Msrp);
        assert_eq!(out[0].bytes, SEND);
        assert_eq!(out[0].summary, "MSRP a786hjs2 SEND");
    }

    #[test]
    fn http_requests_and_responses_are_framed_by_length_and_chunks() {
        let get = b"GET /f/2?tid=1 HTTP/1.1\r\nHost: cs\r\nRange: bytes=0-\r\n\r\n";
        let post = b"POST /upload HTTP/1.1\r\nHost: cs\r\nContent-Length: 5\r\n\r\nhello";
        let mut requests = StreamFramer::default();
        let mut stream = get.to_vec();
        stream.extend_from_slice(post);
        let chunks: Vec<&[u8]> = stream.chunks(7).collect();
        let out = feed(&mut requests, &chunks);
        assert_eq!(out.len(), 2);
        assert_eq!(
            (out[0].protocol, out[0].bytes.as_slice()),
            (Protocol::Http, &get[..])
        );
        assert_eq!(out[0].summary, "HTTP GET /f/2?tid=1");
        assert_eq!(out[1].bytes, post);
        let partial = b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-4/9\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let mut responses = StreamFramer::default();
        let out = feed(&mut responses, &[&partial[..20], &partial[20..]]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].bytes, partial);
        assert_eq!(
            out[0].summary,
            "HTTP 206 Partial Content (bytes 0-4/9, 5 bytes)"
        );
        let mut broken = StreamFramer::default();
        let out = feed(
            &mut broken,
            &[b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"],
        );
        assert!(
            out[0].summary.starts_with("unframed HTTP: "),
            "{}",
            out[0].summary
        );
        assert!(broken.is_ignored());
    }

    #[test]
    fn http_start_lines_are_recognised() {
        assert!(is_http_request_line(b"GET / HTTP/1.1"));
        assert!(is_http_request_line(b"M-SEARCH * HTTP/1.1"));
        assert!(!is_http_request_line(b"GET / SIP/2.0"));
        assert!(!is_http_request_line(b"get / HTTP/1.1"));
        assert!(!is_http_request_line(b"GET HTTP/1.1"));
        assert!(is_http_status_line(b"HTTP/1.1 200 OK"));
        assert!(is_http_status_line(b"HTTP/1.0 404"));
        assert!(!is_http_status_line(b"HTTP/1.1 2x0 OK"));
        assert!(!is_http_status_line(b"HTTP/2 200"));
    }

    #[test]
    fn other_streams_are_ignored() {
        let mut tls = StreamFramer::default();
        assert!(feed(&mut tls, &[&[0x16, 0x03, 0x01, 0x00]]).is_empty());
        assert!(tls.is_ignored());
    }

    #[test]
    fn sip_without_content_length_ends_the_stream_with_a_reason() {
        let mut framer = StreamFramer::default();
        let out = feed(
            &mut framer,
            &[b"MESSAGE sip:a SIP/2.0\r\nTo: <sip:a>\r\n\r\nhello"],
        );
        assert_eq!(out.len(), 1);
        assert!(
            out[0].summary.starts_with("unframed SIP: "),
            "{}",
            out[0].summary
        );
        assert!(out[0].bytes.ends_with(b"hello"));
        assert!(framer.is_ignored());
    }

    #[test]
    fn datagrams_need_a_sip_start_line_or_the_sip_port() {
        assert_eq!(
            datagram(OPTIONS, [40000, 40001]).unwrap().summary,
            "OPTIONS sip:bob@example.com"
        );
        assert!(datagram(b"\x00\x01binary", [53, 40000]).is_none());
        assert!(datagram(b"\r\n\r\n", [5060, 5060]).is_none());
        let broken = datagram(b"HELLO\r\n\r\n", [5060, 40000]).unwrap();
        assert!(
            broken.summary.starts_with("unparseable SIP: "),
            "{}",
            broken.summary
        );
    }
}
