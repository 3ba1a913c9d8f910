//! TCP stream reassembly for one direction of one connection (RFC 9293 3.4 and 3.10.7.4: bytes
//! are ordered by sequence number, whatever order the segments were captured in).
//!
//! The stream starts after the SYN when the capture holds it, or at the first segment with data
//! when the capture began mid-connection. Retransmitted and overlapping bytes are dropped (the
//! first copy seen wins); segments ahead of the next expected byte wait until the hole before them
//! is filled. A hole that is never filled is a gap: bytes after it are never delivered, and
//! [`Reassembler::gap`] reports it. A new SYN with another sequence number starts a new
//! connection on the same addresses. This module does not frame messages and does not look at
//! acknowledgements or windows.

use std::collections::BTreeMap;

use super::packet::TcpSegment;

/// Cap on the bytes waiting behind a hole in one stream: 16 MiB.
pub(crate) const MAX_PENDING: usize = 16 * 1024 * 1024;

/// What [`Reassembler::push`] did with a segment.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Pushed {
    /// In-order bytes (possibly none) were appended to the output.
    Data,
    /// The segment is a SYN of a new connection: everything before it is discarded.
    NewConnection,
    /// Too many bytes wait behind a hole: the stream is stopped.
    Stopped,
}

/// Orders the bytes of one TCP direction.
#[derive(Debug, Default)]
pub(crate) struct Reassembler {
    /// Sequence number of stream byte 0, once known.
    base: Option<u32>,
    /// Bytes delivered so far; the next expected byte is `base + delivered`.
    delivered: u64,
    /// Segments ahead of the next expected byte, by stream offset.
    pending: BTreeMap<u64, Vec<u8>>,
    pending_bytes: usize,
    /// A FIN or RST was seen.
    closed: bool,
    stopped: bool,
}

impl Reassembler {
    /// Takes one segment, appending the bytes that became contiguous to `out`.
    pub(crate) fn push(&mut self, segment: &TcpSegment<'_>, out: &mut Vec<u8>) -> Pushed {
        let start = match segment.syn {
            true => segment.seq.wrapping_add(1),
            false => segment.seq,
        };
        let mut pushed = Pushed::Data;
        if segment.syn && self.is_new_connection(start) {
            *self = Self::default();
            pushed = Pushed::NewConnection;
        }
        if segment.syn || (self.base.is_none() && !segment.payload.is_empty()) {
            self.base.get_or_insert(start);
        }
        self.closed |= segment.fin || segment.rst;
        if self.stopped || segment.payload.is_empty() {
            return pushed;
        }
        let Some(offset) = self.offset_of(start) else {
            return pushed;
        };
        self.accept(offset, segment.payload, out);
        match self.stopped {
            true => Pushed::Stopped,
            false => pushed,
        }
    }

    /// Where the stream stopped, and how many bytes behind the hole were never delivered.
    pub(crate) fn gap(&self) -> Option<(u64, usize)> {
        match self.pending.is_empty() {
            true => None,
            false => Some((self.delivered, self.pending_bytes)),
        }
    }

    /// Bytes delivered so far.
    pub(crate) fn delivered(&self) -> u64 {
        self.delivered
    }

    /// A SYN whose first data byte is not this stream's byte 0 starts another connection.
    fn is_new_connection(&self, start: u32) -> bool {
        let started = self.delivered > 0 || !self.pending.is_empty() || self.closed;
        started && self.base.is_some_and(|base| base != start)
    }

    /// The stream offset of sequence number `seq`, by its signed distance to the next expected
    /// byte (so the 32-bit sequence space may wrap). `None` for bytes before byte 0.
    fn offset_of(&self, seq: u32) -> Option<u64> {
        let base = self.base?;
        let next = base.wrapping_add(self.delivered as u32);
        let distance = i64::from(seq.wrapping_sub(next) as i32);
        u64::try_from(self.delivered as i64 + distance).ok()
    }

    fn accept(&mut self, offset: u64, payload: &[u8], out: &mut Vec<u8>) {
        if offset > self.delivered {
            self.hold(offset, payload);
            return;
        }
        self.append(offset, payload, out);
        while let Some(entry) = self.pending.first_entry() {
            if *entry.key() > self.delivered {
                break;
            }
            let (at, bytes) = entry.remove_entry();
            self.pending_bytes -= bytes.len();
            self.append(at, &bytes, out);
        }
    }

    /// Appends the part of `payload` (starting at stream offset `offset`) not yet delivered.
    fn append(&mut self, offset: u64, payload: &[u8], out: &mut Vec<u8>) {
        let seen = usize::try_from(self.delivered - offset).unwrap_or(usize::MAX);
        if let Some(fresh) = payload.get(seen..) {
            out.extend_from_slice(fresh);
            self.delivered += fresh.len() as u64;
        }
    }

    /// Keeps a segment that arrived ahead of a hole; the longer copy of a retransmission wins.
    fn hold(&mut self, offset: u64, payload: &[u8]) {
        let held = self.pending.get(&offset).map_or(0, Vec::len);
        if payload.len() <= held {
            return;
        }
        self.pending_bytes = self.pending_bytes - held + payload.len();
        self.pending.insert(offset, payload.to_vec());
        if self.pending_bytes > MAX_PENDING {
            self.stopped = true;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn seg(seq: u32, payload: &[u8]) -> TcpSegment<'_> {
        TcpSegment {
            seq,
            syn: false,
            fin: false,
            rst: false,
            payload,
        }
    }

    fn syn(seq: u32) -> TcpSegment<'static> {
        TcpSegment {
            syn: true,
            ..seg(seq, b"")
        }
    }

    fn feed(r: &mut Reassembler, segments: &[TcpSegment<'_>]) -> Vec<u8> {
        let mut out = Vec::new();
        for s in segments {
            r.push(s, &mut out);
        }
        out
    }

    #[test]
    fn out_of_order_segments_are_ordered_after_the_syn() {
        let mut r = Reassembler::default();
        let out = feed(
            &mut r,
            &[
                syn(99),
                seg(106, b"world"),
                seg(100, b"hello "),
                seg(111, b"!"),
            ],
        );
        assert_eq!(out, b"hello world!");
        assert_eq!(r.gap(), None);
    }

    #[test]
    fn retransmissions_and_overlaps_are_delivered_once() {
        let mut r = Reassembler::default();
        let out = feed(
            &mut r,
            &[
                seg(1000, b"abcd"),
                seg(1000, b"abcd"),
                seg(1002, b"cdef"),
                seg(1008, b"ij"),
                seg(1008, b"ijkl"),
                seg(1006, b"gh"),
            ],
        );
        assert_eq!(out, b"abcdefghijkl");
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut r = Reassembler::default();
        let out = feed(
            &mut r,
            &[syn(u32::MAX - 2), seg(1, b"de"), seg(u32::MAX - 1, b"abc")],
        );
        assert_eq!(out, b"abcde");
    }

    #[test]
    fn a_missing_segment_is_a_gap() {
        let mut r = Reassembler::default();
        let out = feed(&mut r, &[seg(1, b"ab"), seg(5, b"ef")]);
        assert_eq!(out, b"ab");
        assert_eq!(r.gap(), Some((2, 2)));
    }

    #[test]
    fn a_new_syn_after_fin_restarts_the_stream() {
        let mut r = Reassembler::default();
        let mut out = Vec::new();
        r.push(&syn(10), &mut out);
        r.push(&seg(11, b"old"), &mut out);
        let fin = TcpSegment {
            fin: true,
            ..seg(14, b"")
        };
        r.push(&fin, &mut out);
        assert_eq!(r.push(&syn(500), &mut out), Pushed::NewConnection);
        out.clear();
        r.push(&seg(501, b"new"), &mut out);
        assert_eq!(out, b"new");
        assert_eq!(r.push(&syn(500), &mut out), Pushed::Data);
    }

    #[test]
    fn bytes_waiting_behind_a_hole_are_capped() {
        let mut r = Reassembler::default();
        let mut out = Vec::new();
        r.push(&seg(0, b"a"), &mut out);
        let big = vec![b'x'; MAX_PENDING / 2 + 1];
        assert_eq!(r.push(&seg(10, &big), &mut out), Pushed::Data);
        assert_eq!(
            r.push(&seg(10 + big.len() as u32 + 5, &big), &mut out),
            Pushed::Stopped
        );
        assert_eq!(r.push(&seg(1, b"b"), &mut out), Pushed::Data);
        assert_eq!(out, b"a");
    }
}
