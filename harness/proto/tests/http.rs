//! HTTP/1.1 codec tests on wire vectors (tests/vectors/http, CRLF kept): lossless parsing,
//! framing of every prefix and of any split, caps, ranges, forms and digest, and a proptest that
//! no input makes the decoder panic.

#![allow(clippy::unwrap_used)]

use bytes::BytesMut;
use proptest::prelude::*;
use rcs_proto::http::{
    ContentRange, HttpError, Range, Request, RequestBuilder, Response, ResponseBuilder,
    StreamDecoder, digest, form,
};

const GET_AUTHORIZED: &[u8] = include_bytes!("vectors/http/rfc2617-3.5-get-authorized.dat");
const UNAUTHORIZED: &[u8] = include_bytes!("vectors/http/rfc2617-3.5-401.dat");
const CHUNKED: &[u8] = include_bytes!("vectors/http/rfc9112-7.1-chunked-response.dat");
const PARTIAL: &[u8] = include_bytes!("vectors/http/rfc9110-14.4-partial-content.dat");
const UNSATISFIABLE: &[u8] =
    include_bytes!("vectors/http/rfc9110-15.5.17-range-not-satisfiable.dat");
const UNTIL_CLOSE: &[u8] = include_bytes!("vectors/http/rfc9112-6.3-read-until-close.dat");
const PIPELINED: &[u8] = include_bytes!("vectors/http/rfc9112-9.3-pipelined-requests.dat");
const UPLOAD: &[u8] = include_bytes!("vectors/http/protocols-5.1-upload-form.dat");

const REQUESTS: &[&[u8]] = &[GET_AUTHORIZED, PIPELINED, UPLOAD];
const RESPONSES: &[&[u8]] = &[UNAUTHORIZED, CHUNKED, PARTIAL, UNSATISFIABLE, UNTIL_CLOSE];

fn requests(bytes: &[u8]) -> Result<Vec<Request>, HttpError> {
    let mut buf = BytesMut::from(bytes);
    let mut decoder = StreamDecoder::default();
    let mut out = Vec::new();
    while let Some(request) = decoder.decode_request(&mut buf)? {
        out.push(request);
    }
    Ok(out)
}

/// Every response in `bytes`, to GET requests, the last one read until the end.
fn responses(bytes: &[u8]) -> Result<Vec<Response>, HttpError> {
    let mut buf = BytesMut::from(bytes);
    let mut decoder = StreamDecoder::default();
    let mut out = Vec::new();
    while let Some(response) = decoder.decode_response(&mut buf, "GET")? {
        out.push(response);
    }
    out.extend(decoder.decode_response_at_eof(&mut buf, "GET")?);
    Ok(out)
}

#[test]
fn the_rfc_2617_request_is_verified_with_its_password() {
    let request = Request::parse(GET_AUTHORIZED).unwrap();
    assert_eq!(request.as_bytes(), GET_AUTHORIZED);
    assert_eq!(request.target(), "/dir/index.html");
    let response = Response::parse(UNAUTHORIZED, "GET").unwrap();
    assert_eq!(response.status(), 401);
    let challenge = digest::challenge(&response).unwrap();
    assert_eq!(challenge.realm, "testrealm@host.com");
    digest::verify(&request, &challenge, "Circle Of Life").unwrap();
    assert!(digest::verify(&request, &challenge, "circle of life").is_err());
    let value = digest::authorization(
        &challenge,
        "Mufasa",
        "Circle Of Life",
        "GET",
        "/dir/index.html",
        "0a4f113b",
        1,
    )
    .unwrap();
    assert!(
        value.contains("response=\"6629fae49393a05397450978507c4ef1\""),
        "{value}"
    );
}

#[test]
fn a_chunked_response_keeps_raw_and_decoded_bodies() {
    let response = Response::parse(CHUNKED, "GET").unwrap();
    assert_eq!(response.as_bytes(), CHUNKED);
    assert!(response.is_chunked());
    assert_eq!(response.body(), b"Wikipedia in\r\n\r\nchunks.");
    assert_eq!(response.header("transfer-encoding"), Some("chunked"));
    assert!(response.head_bytes().ends_with(b"Trailer: Expires\r\n\r\n"));
    // The trailer field stays in the raw bytes, not among the header fields.
    assert_eq!(response.header("Expires"), None);
}

#[test]
fn ranges_and_content_ranges_of_the_vectors() {
    let partial = Response::parse(PARTIAL, "GET").unwrap();
    assert_eq!(
        (partial.status(), partial.reason()),
        (206, "Partial Content")
    );
    let range = ContentRange::parse(partial.header("Content-Range").unwrap()).unwrap();
    assert_eq!(range.len(), partial.body().len() as u64);
    let refused = Response::parse(UNSATISFIABLE, "GET").unwrap();
    let range = ContentRange::parse(refused.header("Content-Range").unwrap()).unwrap();
    assert_eq!(range, ContentRange::Unsatisfied { complete: 47022 });
    let get = &requests(PIPELINED).unwrap()[0];
    let asked = Range::parse(get.header("Range").unwrap()).unwrap();
    assert_eq!(asked.resolve(505), Some((0, 499)));
}

#[test]
fn pipelined_requests_come_out_one_by_one() {
    let all = requests(PIPELINED).unwrap();
    let summary: Vec<_> = all.iter().map(|r| (r.method(), r.body().len())).collect();
    assert_eq!(summary, [("GET", 0), ("PUT", 5), ("GET", 0)]);
    let joined: Vec<u8> = all.iter().flat_map(|r| r.as_bytes().to_vec()).collect();
    assert_eq!(joined, PIPELINED);
    assert_eq!(all[2].query_param("tid").as_deref(), Some("a6f0c9e2"));
    assert!(all[2].wants_close());
}

#[test]
fn the_upload_form_reads_as_form_data() {
    let request = Request::parse(UPLOAD).unwrap();
    let parts = form::parse(request.content_type().unwrap(), request.body()).unwrap();
    assert_eq!(form::form_name(&parts[0]).as_deref(), Some("tid"));
    let file = form::find(&parts, "File").unwrap();
    assert_eq!(form::form_filename(file).as_deref(), Some("cat.jpg"));
    assert_eq!(file.body, b"JPEGDATA");
}

#[test]
fn a_response_without_framing_runs_until_close() {
    let response = Response::parse(UNTIL_CLOSE, "GET").unwrap();
    assert_eq!(response.version(), "HTTP/1.0");
    assert!(response.body().ends_with(b"connection closes\r\n"));
    let head = Response::parse(
        &b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"[..],
        "HEAD",
    );
    assert!(head.unwrap().body().is_empty());
}

#[test]
fn every_prefix_needs_more_bytes_or_is_truncated() {
    for vector in REQUESTS {
        let first_len = requests(vector).unwrap()[0].as_bytes().len();
        for end in 0..first_len {
            assert!(requests(&vector[..end]).unwrap().is_empty(), "prefix {end}");
        }
    }
    for vector in RESPONSES {
        for end in 0..vector.len() {
            let mut buf = BytesMut::from(&vector[..end]);
            let mut decoder = StreamDecoder::default();
            assert_eq!(decoder.decode_response(&mut buf, "GET").unwrap(), None);
            match decoder.decode_response_at_eof(&mut buf, "GET") {
                Ok(None) => assert_eq!(end, 0),
                Ok(Some(r)) => assert!(*vector == UNTIL_CLOSE || r.status() == 401, "{end}"),
                Err(err) => assert!(matches!(err, HttpError::Truncated(_)), "{err}"),
            }
        }
    }
}

#[test]
fn byte_by_byte_feeding_gives_the_same_messages() {
    for vector in REQUESTS {
        let mut decoder = StreamDecoder::default();
        let mut buf = BytesMut::new();
        let mut got = Vec::new();
        for byte in vector.iter() {
            buf.extend_from_slice(&[*byte]);
            got.extend(decoder.decode_request(&mut buf).unwrap());
        }
        assert_eq!(got, requests(vector).unwrap());
    }
}

#[test]
fn caps_and_framing_errors_name_the_construct() {
    let big_head = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(70_000));
    assert_eq!(
        requests(big_head.as_bytes()).unwrap_err(),
        HttpError::HeadTooLarge { max: 65_536 }
    );
    let endless = vec![b'a'; 70_000];
    assert!(matches!(
        requests(&endless),
        Err(HttpError::HeadTooLarge { .. })
    ));
    let mut small = StreamDecoder::new(10);
    let mut buf = BytesMut::from(&b"POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n"[..]);
    let err = small.decode_request(&mut buf).unwrap_err();
    assert_eq!(
        err.to_string(),
        "read the http body: 11 bytes exceed the cap of 10"
    );
    let cases: &[(&[u8], &str)] = &[
        (
            b"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
            "both",
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            "not chunked",
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
            "twice",
        ),
        (
            b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
            "disagree",
        ),
        (
            b"POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\n",
            "not a length",
        ),
        (
            b"POST / HTTP/1.1\r\nContent-Length:\r\n\r\n",
            "not a length",
        ),
        (b"HTTP/1.1 200 OK\r\n\r\n", "is not a method"),
    ];
    for (raw, expected) in cases {
        let err = requests(raw).unwrap_err().to_string();
        assert!(err.contains(expected), "{err}");
    }
    let same = requests(b"POST / HTTP/1.1\r\nContent-Length: 2, 2\r\n\r\nok").unwrap();
    assert_eq!(same[0].body(), b"ok");
}

#[test]
fn builders_round_trip_through_the_decoder() {
    let request = RequestBuilder::new("POST", "/upload")
        .header("Host", "cs")
        .body(vec![7u8; 100_000])
        .build()
        .unwrap();
    assert_eq!(request.header("Content-Length"), Some("100000"));
    assert_eq!(requests(request.as_bytes()).unwrap(), [request]);
    let response = ResponseBuilder::new(200, "OK")
        .body("x")
        .chunked(1)
        .build()
        .unwrap();
    assert_eq!(responses(response.as_bytes()).unwrap(), [response]);
}

proptest! {
    #[test]
    fn no_input_makes_the_decoder_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = requests(&bytes);
        let _ = responses(&bytes);
    }

    #[test]
    fn mutated_vectors_do_not_panic(at in 0usize..433, byte in any::<u8>(), which in 0usize..8) {
        let all: Vec<&[u8]> = REQUESTS.iter().chain(RESPONSES).copied().collect();
        let mut vector = all[which % all.len()].to_vec();
        let at = at % vector.len();
        vector[at] = byte;
        let _ = requests(&vector);
        let _ = responses(&vector);
    }

    #[test]
    fn any_split_gives_the_same_responses(split in 0usize..200) {
        let split = split % CHUNKED.len();
        let mut decoder = StreamDecoder::default();
        let mut buf = BytesMut::from(&CHUNKED[..split]);
        prop_assert_eq!(decoder.decode_response(&mut buf, "GET").unwrap(), None);
        buf.extend_from_slice(&CHUNKED[split..]);
        let response = decoder.decode_response(&mut buf, "GET").unwrap().unwrap();
        prop_assert_eq!(response.as_bytes(), CHUNKED);
    }

    #[test]
    fn built_messages_read_back(
        value in "[ -~]{0,40}",
        body in proptest::collection::vec(any::<u8>(), 0..300),
        chunk in 1usize..50,
    ) {
        let response = ResponseBuilder::new(200, "OK")
            .header("X-Value", &value)
            .body(body.clone())
            .chunked(chunk)
            .build()
            .unwrap();
        prop_assert_eq!(response.header("x-value").unwrap(), value.trim());
        prop_assert_eq!(response.body(), &body[..]);
    }
}
