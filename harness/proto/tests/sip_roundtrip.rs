//! Property tests: what `MessageBuilder` writes, `Message::parse` reads back identically, and
//! `StreamDecoder` recovers the same messages however the byte stream is split.

#![allow(clippy::unwrap_used)]

use bytes::BytesMut;
use proptest::prelude::*;
use rcs_proto::sip::{Message, MessageBuilder, StartLine, StreamDecoder};

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "INVITE",
            "ACK",
            "BYE",
            "CANCEL",
            "OPTIONS",
            "REGISTER",
            "MESSAGE",
            "SUBSCRIBE",
            "NOTIFY",
            "REFER",
            "UPDATE",
            "PRACK",
            "INFO",
            "PUBLISH",
        ])
        .prop_map(str::to_owned),
        "[A-Za-z0-9.!%*_+`'~-]{1,12}",
    ]
}

fn uri() -> impl Strategy<Value = String> {
    prop_oneof![
        "sips?:[a-z0-9+._-]{1,10}@[a-z0-9-]{1,10}\\.example\\.com(:[0-9]{1,5})?(;[a-z]{1,5}(=[a-z0-9]{1,5})?){0,3}",
        "tel:\\+86[0-9]{11}",
        "sip:\\[2001:db8::[0-9a-f]{1,4}\\]:[0-9]{4}",
    ]
}

fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "Via",
            "v",
            "From",
            "f",
            "To",
            "t",
            "Call-ID",
            "i",
            "CSeq",
            "Contact",
            "m",
            "Subject",
            "s",
            "Supported",
            "k",
            "Event",
            "o",
            "Allow-Events",
            "u",
            "Accept-Contact",
            "a",
            "Refer-To",
            "r",
            "Referred-By",
            "b",
            "Session-Expires",
            "x",
            "Reject-Contact",
            "j",
            "Request-Disposition",
            "d",
            "Identity",
            "y",
            "Identity-Info",
            "n",
            "Content-Encoding",
            "e",
            "Max-Forwards",
            "Conversation-ID",
            "InReplyTo-Contribution-ID",
        ])
        .prop_map(str::to_owned),
        "X-[A-Za-z0-9.!%*_+`'~-]{1,16}",
    ]
}

fn header_value() -> impl Strategy<Value = String> {
    "[ -~]{0,40}"
}

#[derive(Debug, Clone)]
struct Spec {
    start: StartLine,
    headers: Vec<(String, String)>,
    content_type: Option<String>,
    body: Vec<u8>,
}

fn spec() -> impl Strategy<Value = Spec> {
    let request = (method(), uri()).prop_map(|(method, uri)| StartLine::Request {
        method,
        uri,
        version: "SIP/2.0".into(),
    });
    let response = (100u16..=699, "[ -~]{0,30}").prop_map(|(status, reason)| StartLine::Response {
        version: "SIP/2.0".into(),
        status,
        reason,
    });
    (
        prop_oneof![request, response],
        prop::collection::vec((header_name(), header_value()), 0..12),
        prop::option::of("[a-z]{1,8}/[a-z0-9.+-]{1,12}"),
        prop::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(|(start, headers, content_type, body)| Spec {
            start,
            headers,
            content_type,
            body,
        })
}

fn build(spec: &Spec) -> Message {
    let mut builder = match &spec.start {
        StartLine::Request { method, uri, .. } => MessageBuilder::request(method, uri),
        StartLine::Response { status, reason, .. } => MessageBuilder::response(*status, reason),
    };
    for (name, value) in &spec.headers {
        builder = builder.header(name, value);
    }
    if let Some(content_type) = &spec.content_type {
        builder = builder.body(content_type, spec.body.clone());
    }
    builder.build()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn build_then_parse_is_identity(spec in spec()) {
        let built = build(&spec);
        let parsed = Message::parse(built.raw().clone()).unwrap();
        prop_assert_eq!(parsed.start_line(), &spec.start);
        prop_assert_eq!(parsed.start_line(), built.start_line());
        prop_assert_eq!(parsed.headers(), built.headers());
        prop_assert_eq!(parsed.body(), built.body());
        let expected_body: &[u8] = if spec.content_type.is_some() { &spec.body } else { b"" };
        prop_assert_eq!(parsed.body(), expected_body);
        for (i, (name, value)) in spec.headers.iter().enumerate() {
            prop_assert_eq!(&parsed.headers()[i].name, name);
            prop_assert_eq!(&parsed.headers()[i].value, value.trim_matches([' ', '\t']));
        }
        prop_assert_eq!(&parsed, &built);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn stream_split_anywhere_gives_the_same_messages(
        specs in prop::collection::vec(spec(), 1..4),
        keepalives in prop::collection::vec(prop::sample::select(vec!["", "\r\n", "\r\n\r\n"]), 4),
    ) {
        let messages: Vec<Message> = specs.iter().map(build).collect();
        let mut stream = Vec::new();
        for (i, msg) in messages.iter().enumerate() {
            stream.extend_from_slice(keepalives[i].as_bytes());
            stream.extend_from_slice(msg.as_bytes());
        }
        stream.extend_from_slice(keepalives[3].as_bytes());
        for split in 0..=stream.len() {
            let mut decoder = StreamDecoder::default();
            let mut buf = BytesMut::from(&stream[..split]);
            let mut out = Vec::new();
            while let Some(msg) = decoder.decode(&mut buf).unwrap() {
                out.push(msg);
            }
            buf.extend_from_slice(&stream[split..]);
            while let Some(msg) = decoder.decode(&mut buf).unwrap() {
                out.push(msg);
            }
            prop_assert_eq!(&out, &messages, "split at {}", split);
            prop_assert!(buf.is_empty());
        }
    }
}

#[test]
fn byte_by_byte_feeding() {
    let msg = MessageBuilder::request("MESSAGE", "sip:bob@x")
        .header("i", "abc")
        .body("message/cpim", &b"From: <sip:a@x>\r\n\r\nhi"[..])
        .build();
    let mut decoder = StreamDecoder::default();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for byte in msg.as_bytes().iter().chain(msg.as_bytes()) {
        buf.extend_from_slice(&[*byte]);
        if let Some(decoded) = decoder.decode(&mut buf).unwrap() {
            out.push(decoded);
        }
    }
    assert_eq!(out, [msg.clone(), msg]);
}
