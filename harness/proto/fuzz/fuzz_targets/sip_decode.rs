//! Fuzz target: any bytes through the SIP datagram parser, every typed view, `validate`, and
//! the stream decoder. Nothing may panic; a parsed message keeps exactly the bytes it got.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rcs_proto::sip::{FeatureTags, Message, NameAddr, StreamDecoder, Uri};

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = Message::parse(data.to_vec()) {
        assert_eq!(msg.as_bytes(), data);
        exercise(&msg);
    }
    let mut decoder = StreamDecoder::new(64 * 1024);
    let mut buf = BytesMut::from(data);
    while let Ok(Some(msg)) = decoder.decode(&mut buf) {
        exercise(&msg);
    }
    let text = String::from_utf8_lossy(data);
    let _ = Uri::parse(&text).map(|uri| assert_eq!(uri.to_string(), text));
    if let Ok(addr) = NameAddr::parse(&text) {
        let _ = FeatureTags::from_params(&addr.params).map(|tags| tags.normalized());
    }
});

fn exercise(msg: &Message) {
    let _ = msg.validate();
    let _ = msg.summary();
    let _ = msg.vias();
    let _ = msg.cseq();
    let _ = msg.from_header();
    let _ = msg.to_header();
    let _ = msg.expires();
    let _ = msg.content_length();
    let _ = msg.max_forwards();
    if let Ok(contacts) = msg.contacts() {
        for contact in contacts {
            let _ = FeatureTags::from_params(&contact.params).map(|t| t.to_param_string());
        }
    }
    if let Some(uri) = msg.request_uri() {
        let _ = Uri::parse(uri);
    }
    for header in msg.headers() {
        assert!(header.span.end <= msg.as_bytes().len());
    }
}
