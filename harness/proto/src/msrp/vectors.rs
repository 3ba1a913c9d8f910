//! Wire vectors of RFC 4975 (tests/vectors/msrp), decoded whole, byte by byte and at every split
//! point. The SEND, response and REPORT are the examples of protocols.md §4.6 with consistent byte
//! counts; the others are the robustness cases ROB-MSRP-001, -002, -005 and -006.

use bytes::BytesMut;

use super::*;

const SEND: &[u8] = include_bytes!("../../tests/vectors/msrp/rfc4975-7.1-send.msrp");
const RESPONSE: &[u8] = include_bytes!("../../tests/vectors/msrp/rfc4975-7.2-response.msrp");
const REPORT: &[u8] = include_bytes!("../../tests/vectors/msrp/rfc4975-7.1.2-report.msrp");
const FAKE_END_LINE: &[u8] =
    include_bytes!("../../tests/vectors/msrp/rfc4975-7.1-fake-end-line.msrp");
const MISMATCH: &[u8] =
    include_bytes!("../../tests/vectors/msrp/rfc4975-7.1-end-line-mismatch.msrp");
const CHUNKS: &[u8] =
    include_bytes!("../../tests/vectors/msrp/rfc4975-7.1.1-chunks-out-of-order.msrp");
const ABORT: &[u8] = include_bytes!("../../tests/vectors/msrp/rfc4975-7.1.1-abort.msrp");
const BEYOND_TOTAL: &[u8] =
    include_bytes!("../../tests/vectors/msrp/rfc4975-9-byte-range-beyond-total.msrp");

const CLEAN: [&[u8]; 7] = [
    SEND,
    RESPONSE,
    REPORT,
    FAKE_END_LINE,
    CHUNKS,
    ABORT,
    BEYOND_TOTAL,
];

/// Feeds `pieces` one after another, decoding after each.
fn decode_pieces<'a>(
    pieces: impl IntoIterator<Item = &'a [u8]>,
) -> Result<(Vec<Frame>, usize), MsrpError> {
    let mut decoder = Decoder::new(64 * 1024);
    let mut buf = BytesMut::new();
    let mut frames = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        while let Some(frame) = decoder.decode(&mut buf)? {
            frames.push(frame);
        }
    }
    Ok((frames, buf.len()))
}

fn decode_whole(wire: &[u8]) -> Vec<Frame> {
    let (frames, left) = decode_pieces([wire]).unwrap();
    assert_eq!(left, 0);
    frames
}

#[test]
fn send_example() {
    let frame = Frame::parse(SEND).unwrap();
    assert_eq!(frame.as_bytes(), SEND);
    assert_eq!(frame.encode(), SEND);
    assert_eq!(frame.transaction_id, "a786hjs2");
    assert_eq!(frame.method(), Some("SEND"));
    assert_eq!(frame.headers.len(), 7);
    assert_eq!(frame.message_id(), Some("87652491"));
    assert_eq!(frame.content_type(), Some("message/cpim"));
    assert_eq!(frame.header("success-report"), Some("yes"));
    assert_eq!(
        frame.byte_range().unwrap(),
        Some(ByteRange {
            start: 1,
            end: Some(337),
            total: Some(337)
        })
    );
    assert_eq!(frame.body.len(), 337);
    assert!(frame.body.starts_with(b"From: <sip:+8613800000001@"));
    assert!(frame.body.ends_with(b"\r\n\r\nhello again"));
    let to = frame.to_path_uris().unwrap();
    assert_eq!(to[0].session_id(), Some("p9Lk2wQ"));
    assert_eq!(frame.flag, Flag::Complete);
}

#[test]
fn send_body_is_the_cpim_message() {
    let frame = Frame::parse(SEND).unwrap();
    let cpim = crate::cpim::CpimMessage::parse(&frame.body).unwrap();
    assert_eq!(cpim.imdn_message_id(), Some("Wm3k22pQ"));
    assert_eq!(cpim.body(), b"hello again");
}

#[test]
fn response_is_built_byte_exact_from_the_send() {
    let send = Frame::parse(SEND).unwrap();
    let response = FrameBuilder::response_to(&send, 200, Some("OK")).build();
    assert_eq!(response.as_bytes(), RESPONSE);
    assert_eq!(Frame::parse(RESPONSE).unwrap(), response);
}

#[test]
fn report_is_built_byte_exact() {
    let send = Frame::parse(SEND).unwrap();
    let report = FrameBuilder::request("dkei38sd", "REPORT")
        .to_path(send.from_path().unwrap())
        .from_path(send.to_path().unwrap())
        .header("Message-ID", send.message_id().unwrap())
        .header("Byte-Range", send.header("Byte-Range").unwrap())
        .header("Status", "000 200 OK")
        .build();
    assert_eq!(report.as_bytes(), REPORT);
    assert!(Frame::parse(REPORT).unwrap().body.is_empty());
}

#[test]
fn fake_end_lines_stay_in_the_body() {
    let frame = Frame::parse(FAKE_END_LINE).unwrap();
    let body = b"-------\r\n-------f4k3t1d\r\n-------f4k3t1d0$\r\n-------0th3rt1d$\r\nend of text";
    assert_eq!(frame.body, &body[..]);
    let range = frame.byte_range().unwrap().unwrap();
    assert_eq!(range.len(), Some(body.len() as u64));
}

#[test]
fn every_clean_vector_decodes_byte_by_byte() {
    for wire in CLEAN {
        let whole = decode_whole(wire);
        let (bytewise, left) = decode_pieces(wire.chunks(1)).unwrap();
        assert_eq!(left, 0);
        assert_eq!(bytewise, whole, "{}", String::from_utf8_lossy(wire));
    }
}

#[test]
fn every_clean_vector_decodes_at_every_split_point() {
    for wire in CLEAN {
        let whole = decode_whole(wire);
        for at in 0..=wire.len() {
            let (head, tail) = wire.split_at(at);
            let (frames, left) = decode_pieces([head, tail]).unwrap();
            assert_eq!(left, 0);
            assert_eq!(frames, whole, "split at {at}");
        }
    }
}

#[test]
fn end_line_mismatch_is_detected() {
    // ROB-MSRP-001, whole and byte by byte; no frame is delivered.
    let expected = MsrpError::EndLineMismatch {
        expected: "m1sm4tch".into(),
        found: "0th3rt1d".into(),
    };
    assert_eq!(decode_pieces([MISMATCH]).unwrap_err(), expected);
    assert_eq!(decode_pieces(MISMATCH.chunks(1)).unwrap_err(), expected);
}

#[test]
fn out_of_order_overlapping_chunks_reassemble() {
    // ROB-MSRP-006.
    let frames = decode_whole(CHUNKS);
    let mut reassembler = Reassembler::new(1024);
    let results: Vec<_> = frames
        .iter()
        .map(|f| reassembler.accept(f).unwrap())
        .collect();
    assert_eq!(results[0], None);
    assert_eq!(results[1], None);
    assert_eq!(
        results[2].as_deref(),
        Some(&b"The quick brown fox jumps over the lazy dog"[..])
    );
}

#[test]
fn aborted_message_is_discarded() {
    // ROB-MSRP-005.
    let frames = decode_whole(ABORT);
    assert_eq!(frames[1].flag, Flag::Abort);
    let mut reassembler = Reassembler::new(1024);
    for frame in &frames {
        assert_eq!(reassembler.accept(frame).unwrap(), None);
    }
    assert_eq!(reassembler.pending(), 0);
}

#[test]
fn byte_range_beyond_total_is_rejected() {
    // ROB-MSRP-002: the frame itself decodes; its Byte-Range does not.
    let frame = Frame::parse(BEYOND_TOTAL).unwrap();
    assert!(matches!(
        frame.byte_range(),
        Err(MsrpError::ByteRange { .. })
    ));
    let mut reassembler = Reassembler::new(1024);
    assert!(reassembler.accept(&frame).is_err());
    assert_eq!(reassembler.held(), 0);
}
