//! Fuzz target: any bytes through the MSRP stream decoder, fed in two pieces split at a point the
//! input chooses, then every decoded frame through the typed views, the reassembler, and the CPIM
//! and IMDN parsers of its body. Nothing may panic; a decoded frame re-parses from its own bytes
//! to the same frame, and the reassembler never holds more than its cap.

#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use rcs_proto::cpim::CpimMessage;
use rcs_proto::imdn::Imdn;
use rcs_proto::msrp::{ByteRange, Decoder, Frame, MsrpUri, Reassembler};

const REASSEMBLY_CAP: usize = 256 * 1024;

fuzz_target!(|data: &[u8]| {
    let split = data.first().map_or(0, |b| usize::from(*b)).min(data.len());
    let mut decoder = Decoder::new(64 * 1024);
    let mut reassembler = Reassembler::new(REASSEMBLY_CAP);
    let mut buf = BytesMut::new();
    for piece in [&data[..split], &data[split..]] {
        buf.extend_from_slice(piece);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(frame)) => exercise(&frame, &mut reassembler),
                Ok(None) => break,
                Err(_) => return,
            }
        }
    }
    let text = String::from_utf8_lossy(data);
    let _ = ByteRange::parse(&text).map(|r| r.to_string());
    let _ = MsrpUri::parse_path(&text);
});

fn exercise(frame: &Frame, reassembler: &mut Reassembler) {
    assert_eq!(Frame::parse(frame.as_bytes()).as_ref(), Ok(frame));
    let _ = frame.encode();
    let _ = frame.byte_range();
    let _ = frame.to_path_uris();
    let _ = frame.from_path_uris();
    let _ = reassembler.accept(frame);
    assert!(reassembler.held() <= REASSEMBLY_CAP);
    if let Ok(cpim) = CpimMessage::parse(&frame.body) {
        let _ = cpim.validate();
        let _ = cpim.imdn_message_id();
        let _ = cpim.disposition_notification();
        let _ = Imdn::from_cpim(&cpim).map(|imdn| imdn.to_xml());
    }
}
