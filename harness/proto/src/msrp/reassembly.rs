//! Reassembling chunked MSRP messages (RFC 4975 §5.1, §7.3.1).
//!
//! Chunks are grouped by Message-ID and placed by their Byte-Range, so they may arrive in any
//! order and may overlap; overlapping bytes must be identical, or the message is dropped with an
//! error (ROB-MSRP-006). A chunk ending in `#` discards its message (ROB-MSRP-005). A message is
//! complete once its total is known (from a Byte-Range total or from the chunk flagged `$`) and
//! every byte up to it has arrived. A chunk shorter than its Byte-Range is accepted: RFC 4975
//! §7.1.1 lets a sender interrupt a chunk, and only the bytes received count.
//!
//! Memory is capped across all messages in progress. This module does not send REPORTs or
//! responses; the session layer decides those from the results.

use std::collections::HashMap;

use super::{ByteRange, Flag, Frame, MsrpError};

/// The Byte-Range assumed when a SEND carries none (RFC 4975 §7.3.1): the whole message.
const WHOLE: ByteRange = ByteRange {
    start: 1,
    end: None,
    total: None,
};

/// Reassembles messages from SEND chunks.
#[derive(Debug, Clone)]
pub struct Reassembler {
    max_bytes: usize,
    held: usize,
    messages: HashMap<String, Partial>,
}

/// One message in progress.
#[derive(Debug, Clone, Default)]
struct Partial {
    data: Vec<u8>,
    /// Received byte intervals, 0-based and half-open, sorted and merged.
    have: Vec<(usize, usize)>,
    total: Option<usize>,
}

impl Reassembler {
    /// A reassembler holding at most `max_bytes` across all messages in progress.
    pub fn new(max_bytes: usize) -> Self {
        Self {
            max_bytes,
            held: 0,
            messages: HashMap::new(),
        }
    }

    /// Takes one chunk. Returns the whole message when this chunk completes it.
    ///
    /// Errors: the frame is not a SEND, has no Message-ID, has a malformed Byte-Range, or does not
    /// fit its message (body longer than its range, beyond the total, a changed total, overlapping
    /// bytes that differ, over the cap). In the last group of cases the message is dropped.
    pub fn accept(&mut self, frame: &Frame) -> Result<Option<Vec<u8>>, MsrpError> {
        if frame.method() != Some("SEND") {
            return Err(MsrpError::NotSend);
        }
        let id = frame
            .message_id()
            .ok_or(MsrpError::MissingHeader("Message-ID"))?;
        let range = frame.byte_range()?.unwrap_or(WHOLE);
        let mut partial = self.take(id);
        if frame.flag == Flag::Abort {
            return Ok(None);
        }
        let budget = self.max_bytes - self.held;
        partial.place(id, range, &frame.body, frame.flag, budget)?;
        if partial.is_complete() {
            return Ok(Some(partial.into_payload()));
        }
        self.held += partial.data.len();
        self.messages.insert(id.to_owned(), partial);
        Ok(None)
    }

    /// Drops a message in progress; returns whether there was one.
    pub fn discard(&mut self, message_id: &str) -> bool {
        self.messages.contains_key(message_id) && {
            self.take(message_id);
            true
        }
    }

    /// How many messages are in progress.
    pub fn pending(&self) -> usize {
        self.messages.len()
    }

    /// How many bytes the messages in progress hold.
    pub fn held(&self) -> usize {
        self.held
    }

    /// Removes a message in progress (or starts a new one) and releases what it held.
    fn take(&mut self, message_id: &str) -> Partial {
        let partial = self.messages.remove(message_id).unwrap_or_default();
        self.held -= partial.data.len();
        partial
    }
}

impl Partial {
    /// Checks one chunk against what is known of the message and copies it in.
    fn place(
        &mut self,
        id: &str,
        range: ByteRange,
        body: &[u8],
        flag: Flag,
        budget: usize,
    ) -> Result<(), MsrpError> {
        let err = |detail: String| MsrpError::reassembly(id, detail);
        let start = range.start - 1;
        let end = start
            .checked_add(body.len() as u64)
            .ok_or_else(|| err(format!("Byte-Range {range} overflows")))?;
        if range.end.is_some_and(|declared| end > declared) {
            return Err(err(format!(
                "the body has {} bytes, more than Byte-Range {range} covers",
                body.len()
            )));
        }
        let fits = |n: u64| usize::try_from(n).ok().filter(|n| *n <= budget);
        let too_big = || {
            err(format!(
                "the message needs more than the {budget} bytes left"
            ))
        };
        let (start, end) = (start as usize, fits(end).ok_or_else(too_big)?);
        let declared_total = range
            .total
            .map(|t| fits(t).ok_or_else(too_big))
            .transpose()?;
        let final_total = (flag == Flag::Complete).then_some(end);
        for total in [declared_total, final_total].into_iter().flatten() {
            self.set_total(total).map_err(err)?;
        }
        if self.total.is_some_and(|total| end > total) {
            return Err(err(format!("Byte-Range {range} ends beyond the total")));
        }
        self.check_overlaps(start, body).map_err(err)?;
        self.write(start, body);
        Ok(())
    }

    /// Learns the total, which must not change once known.
    fn set_total(&mut self, total: usize) -> Result<(), String> {
        match self.total {
            Some(known) if known != total => Err(format!(
                "the message size changes from {known} to {total} bytes"
            )),
            _ => {
                self.total = Some(total);
                Ok(())
            }
        }
    }

    /// Overlapping bytes must equal those already received.
    fn check_overlaps(&self, start: usize, body: &[u8]) -> Result<(), String> {
        let end = start + body.len();
        for &(have_start, have_end) in &self.have {
            let (from, to) = (have_start.max(start), have_end.min(end));
            if from >= to {
                continue;
            }
            let old = &self.data[from..to];
            let new = &body[from - start..to - start];
            if let Some(i) = old.iter().zip(new).position(|(a, b)| a != b) {
                return Err(format!(
                    "overlapping chunks differ at byte {}",
                    from + i + 1
                ));
            }
        }
        Ok(())
    }

    fn write(&mut self, start: usize, body: &[u8]) {
        let end = start + body.len();
        if self.data.len() < end {
            self.data.resize(end, 0);
        }
        self.data[start..end].copy_from_slice(body);
        if start < end {
            self.have.push((start, end));
            self.have.sort_unstable();
            self.have = merge(&self.have);
        }
    }

    fn is_complete(&self) -> bool {
        match self.total {
            Some(0) => true,
            Some(total) => self
                .have
                .first()
                .is_some_and(|&(s, e)| s == 0 && e >= total),
            None => false,
        }
    }

    fn into_payload(mut self) -> Vec<u8> {
        self.data.truncate(self.total.unwrap_or(0));
        self.data
    }
}

/// Merges sorted intervals that touch or overlap.
fn merge(sorted: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(sorted.len());
    for &(start, end) in sorted {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::msrp::{FrameBuilder, chunk};
    use proptest::prelude::*;

    fn send(id: &str, range: Option<&str>, body: &[u8], flag: Flag) -> Frame {
        let mut builder = FrameBuilder::request("tx000001", "SEND").header("Message-ID", id);
        if let Some(range) = range {
            builder = builder.header("Byte-Range", range);
        }
        builder.body("text/plain", body.to_vec()).flag(flag).build()
    }

    fn chunks(payload: &[u8], size: usize) -> Vec<Frame> {
        chunk("msg0001", "text/plain", payload, size, |i| {
            format!("t{i:07}")
        })
        .unwrap()
        .into_iter()
        .map(FrameBuilder::build)
        .collect()
    }

    #[test]
    fn in_order() {
        let mut r = Reassembler::new(1000);
        let frames = chunks(b"hello world", 3);
        let results: Vec<_> = frames.iter().map(|f| r.accept(f).unwrap()).collect();
        assert!(results[..3].iter().all(Option::is_none));
        assert_eq!(results[3].as_deref(), Some(&b"hello world"[..]));
        assert_eq!((r.pending(), r.held()), (0, 0));
    }

    #[test]
    fn out_of_order_with_overlap() {
        // ROB-MSRP-006: chunks 3, 1, 2, with 2 overlapping both neighbours.
        let mut r = Reassembler::new(1000);
        assert_eq!(
            r.accept(&send("m001", Some("7-9/9"), b"ghi", Flag::Complete))
                .unwrap(),
            None
        );
        assert_eq!(
            r.accept(&send("m001", Some("1-4/9"), b"abcd", Flag::Continue))
                .unwrap(),
            None
        );
        let done = r
            .accept(&send("m001", Some("3-8/9"), b"cdefgh", Flag::Continue))
            .unwrap();
        assert_eq!(done.as_deref(), Some(&b"abcdefghi"[..]));
    }

    #[test]
    fn overlap_with_different_bytes_drops_the_message() {
        let mut r = Reassembler::new(1000);
        r.accept(&send("m001", Some("1-4/8"), b"abcd", Flag::Continue))
            .unwrap();
        let err = r
            .accept(&send("m001", Some("3-6/8"), b"cXef", Flag::Continue))
            .unwrap_err();
        assert_eq!(
            err,
            MsrpError::reassembly("m001", "overlapping chunks differ at byte 4")
        );
        assert_eq!((r.pending(), r.held()), (0, 0));
    }

    #[test]
    fn abort_discards() {
        // ROB-MSRP-005.
        let mut r = Reassembler::new(1000);
        r.accept(&send("m001", Some("1-4/8"), b"abcd", Flag::Continue))
            .unwrap();
        assert_eq!(r.pending(), 1);
        assert_eq!(
            r.accept(&send("m001", Some("5-6/8"), b"ef", Flag::Abort))
                .unwrap(),
            None
        );
        assert_eq!((r.pending(), r.held()), (0, 0));
        // A later chunk starts afresh and does not complete the aborted message.
        assert_eq!(
            r.accept(&send("m001", Some("5-8/8"), b"efgh", Flag::Complete))
                .unwrap(),
            None
        );
    }

    #[test]
    fn unknown_total_learned_from_last_chunk() {
        let mut r = Reassembler::new(1000);
        r.accept(&send("m001", Some("4-*/*"), b"def", Flag::Complete))
            .unwrap();
        let done = r
            .accept(&send("m001", Some("1-3/*"), b"abc", Flag::Continue))
            .unwrap();
        assert_eq!(done.as_deref(), Some(&b"abcdef"[..]));
    }

    #[test]
    fn no_byte_range_is_the_whole_message() {
        let mut r = Reassembler::new(1000);
        let done = r
            .accept(&send("m001", None, b"abc", Flag::Complete))
            .unwrap();
        assert_eq!(done.as_deref(), Some(&b"abc"[..]));
    }

    #[test]
    fn empty_message() {
        let mut r = Reassembler::new(1000);
        let done = r
            .accept(&send("m001", Some("1-0/0"), b"", Flag::Complete))
            .unwrap();
        assert_eq!(done.as_deref(), Some(&b""[..]));
    }

    #[test]
    fn interrupted_chunk_counts_only_received_bytes() {
        let mut r = Reassembler::new(1000);
        r.accept(&send("m001", Some("1-6/6"), b"abc", Flag::Continue))
            .unwrap();
        let done = r
            .accept(&send("m001", Some("4-6/6"), b"def", Flag::Complete))
            .unwrap();
        assert_eq!(done.as_deref(), Some(&b"abcdef"[..]));
    }

    #[test]
    fn inconsistent_chunks() {
        let mut r = Reassembler::new(1000);
        let long = r.accept(&send("m001", Some("1-2/6"), b"abc", Flag::Continue));
        assert!(
            long.unwrap_err()
                .to_string()
                .contains("more than Byte-Range")
        );
        r.accept(&send("m002", Some("1-3/6"), b"abc", Flag::Continue))
            .unwrap();
        let changed = r.accept(&send("m002", Some("4-6/7"), b"def", Flag::Continue));
        assert!(
            changed
                .unwrap_err()
                .to_string()
                .contains("changes from 6 to 7")
        );
        let short_final = r.accept(&send("m003", Some("1-3/6"), b"abc", Flag::Complete));
        assert!(
            short_final
                .unwrap_err()
                .to_string()
                .contains("changes from 6 to 3")
        );
        // ROB-MSRP-002 is caught by the Byte-Range parser before any state changes.
        let beyond = r.accept(&send("m004", Some("1-500/100"), b"a", Flag::Continue));
        assert!(matches!(beyond, Err(MsrpError::ByteRange { .. })));
    }

    #[test]
    fn cap_over_all_messages() {
        let mut r = Reassembler::new(10);
        r.accept(&send("m001", Some("1-6/12"), b"abcdef", Flag::Continue))
            .unwrap_err();
        r.accept(&send("m002", Some("1-6/*"), b"abcdef", Flag::Continue))
            .unwrap();
        let err = r
            .accept(&send("m003", Some("1-6/*"), b"abcdef", Flag::Continue))
            .unwrap_err();
        assert!(err.to_string().contains("4 bytes left"), "{err}");
        assert_eq!(r.held(), 6);
    }

    #[test]
    fn rejects_non_send_and_missing_message_id() {
        let mut r = Reassembler::new(10);
        let report = FrameBuilder::request("tx000001", "REPORT").build();
        assert_eq!(r.accept(&report), Err(MsrpError::NotSend));
        let anonymous = FrameBuilder::request("tx000001", "SEND").build();
        assert_eq!(
            r.accept(&anonymous),
            Err(MsrpError::MissingHeader("Message-ID"))
        );
    }

    /// A payload, a chunk size, and an order in which to deliver that many chunks.
    fn chunked_payload() -> impl Strategy<Value = (Vec<u8>, usize, Vec<usize>)> {
        (proptest::collection::vec(any::<u8>(), 0..600), 1usize..200).prop_flat_map(
            |(payload, size)| {
                let count = payload.len().div_ceil(size).max(1);
                let order = Just((0..count).collect::<Vec<_>>()).prop_shuffle();
                (Just(payload), Just(size), order)
            },
        )
    }

    proptest! {
        #[test]
        fn shuffled_chunks_reassemble((payload, size, order) in chunked_payload()) {
            let frames = chunks(&payload, size);
            let mut r = Reassembler::new(payload.len() + 1);
            let results: Vec<_> = order.iter().map(|&i| r.accept(&frames[i]).unwrap()).collect();
            let (last, rest) = results.split_last().unwrap();
            prop_assert!(rest.iter().all(Option::is_none));
            prop_assert_eq!(last.as_deref(), Some(&payload[..]));
            prop_assert_eq!((r.pending(), r.held()), (0, 0));
        }

        #[test]
        fn overlapping_chunkings_reassemble(
            (payload, size, order) in chunked_payload(),
            other_size in 1usize..200,
        ) {
            // Deliver a second chunking of the same payload first, minus its final chunk, so
            // every chunk of the first chunking overlaps bytes already received.
            let mut other = chunks(&payload, other_size);
            other.pop();
            let frames = chunks(&payload, size);
            let mut r = Reassembler::new(payload.len() + 1);
            for frame in &other {
                prop_assert_eq!(r.accept(frame).unwrap(), None);
            }
            let done: Vec<_> = order.iter().filter_map(|&i| r.accept(&frames[i]).unwrap()).collect();
            prop_assert_eq!(done, vec![payload]);
        }
    }
}
