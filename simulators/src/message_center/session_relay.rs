//! What the message center relays between the two MSRP sessions of an anchored call, sans-IO
//! (RFC 4975 7.1.1-7.1.2, 7.3; protocols.md §4.6 rule 9: an MSRP B2BUA preserves Message-ID and
//! Byte-Range semantics).
//!
//! Both legs' sessions run in relay mode: every SEND chunk that arrives on one leg is forwarded
//! on the other as it came (Message-ID, Byte-Range, Content-Type, report headers, flag and
//! body), one by one in arrival order, never reassembled; every REPORT is relayed with its
//! Message-ID, Byte-Range and Status. Transaction responses are hop by hop: each session answers
//! its own SENDs. The [`Forwarder`] of each direction makes these decisions, and is where the
//! MSRP faults act. The [`Command`]s the B2BUA gives the I/O loop are here too. Connections and
//! sessions live in `relay_task`.

use std::collections::HashMap;

use rcs_proto::msrp::{ByteRange, Chunk, Flag, MsrpUri, SessionConfig};
use rcs_proto::sdp::Setup;

use super::config::{Fault, Faults};

/// The most bytes one direction holds for the `merge-msrp-chunks` fault.
const MAX_MERGE_BYTES: usize = 4 << 20;

/// The most messages one direction merges at once for the `merge-msrp-chunks` fault.
const MAX_MERGING: usize = 64;

/// What the B2BUA asks of the MSRP relay.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Open the sessions of both legs of `call` and relay between them.
    Open {
        /// The call.
        call: u64,
        /// Leg A (the caller).
        a: Box<LegMedia>,
        /// Leg B (the callee).
        b: Box<LegMedia>,
    },
    /// Relay what has arrived, then close both sessions of `call` and report it closed.
    Close {
        /// The call.
        call: u64,
    },
}

/// One leg's session as the message center negotiated it.
#[derive(Clone, Debug, PartialEq)]
pub struct LegMedia {
    /// The message center's URI on this leg.
    pub local: MsrpUri,
    /// The peer's `a=path`.
    pub remote: Vec<MsrpUri>,
    /// What the message center declared it accepts on this leg.
    pub accept_types: Vec<String>,
    /// What it accepts inside CPIM on this leg.
    pub accept_wrapped_types: Vec<String>,
    /// Its `a=max-size` on this leg.
    pub max_size: Option<u64>,
    /// Its own role: active connects, passive waits.
    pub setup: Setup,
    /// Whether the leg is MSRP over TLS.
    pub tls: bool,
    /// The most content bytes of one chunk forwarded onto this leg: bigger chunks are cut
    /// ([`rechunk`]). None: chunks go on as they came.
    pub max_chunk: Option<usize>,
}

impl LegMedia {
    /// The session configuration: relay mode, the declared accept lists.
    pub fn config(&self) -> SessionConfig {
        let mut config = SessionConfig::new(self.local.clone(), self.remote.clone());
        config.relay = true;
        if !self.accept_types.is_empty() {
            config.accept_types = self.accept_types.clone();
        }
        if !self.accept_wrapped_types.is_empty() {
            config.accept_wrapped_types = self.accept_wrapped_types.clone();
        }
        config.max_size = self.max_size;
        config
    }
}

/// A REPORT to relay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The Message-ID it reports on.
    pub message_id: String,
    /// Its Byte-Range.
    pub byte_range: ByteRange,
    /// Its status code.
    pub status: u16,
}

/// A chunk being merged (the `merge-msrp-chunks` fault).
#[derive(Debug)]
struct Merging {
    first: Chunk,
    body: Vec<u8>,
}

/// The relay decisions of one direction (leg A to leg B, or B to A).
#[derive(Debug)]
pub struct Forwarder {
    alter: bool,
    drop_reports: bool,
    merge: bool,
    merging: HashMap<String, Merging>,
    held: usize,
}

impl Forwarder {
    /// A forwarder with the MSRP faults among `faults`.
    pub fn new(faults: &Faults) -> Self {
        Self {
            alter: faults.has(Fault::AlterMsrpContent),
            drop_reports: faults.has(Fault::DropMsrpReport),
            merge: faults.has(Fault::MergeMsrpChunks),
            merging: HashMap::new(),
            held: 0,
        }
    }

    /// The chunks to forward for one that arrived: itself, unchanged, unless a fault says
    /// otherwise. A bodiless SEND binds a connection to its session (RFC 4975 7.1.1): it is
    /// hop by hop and not forwarded.
    pub fn chunk(&mut self, chunk: Chunk) -> Vec<Chunk> {
        if chunk.content_type.is_none() && chunk.body.is_empty() {
            return Vec::new();
        }
        let chunks = if self.merge && !chunk.body.is_empty() {
            self.merge(chunk)
        } else {
            vec![chunk]
        };
        chunks.into_iter().map(|c| self.alter(c)).collect()
    }

    /// Whether a REPORT that arrived is relayed.
    pub fn report(&self, report: &Report) -> Option<Report> {
        (!self.drop_reports).then(|| report.clone())
    }

    /// `message-center.alter-msrp-content`: the last byte of the body changes.
    fn alter(&self, mut chunk: Chunk) -> Chunk {
        if self.alter
            && let Some(last) = chunk.body.last_mut()
        {
            *last = if *last == b'#' { b'*' } else { b'#' };
        }
        chunk
    }

    /// `message-center.merge-msrp-chunks`: chunks are held until the last, then relayed as one
    /// chunk covering the whole message.
    fn merge(&mut self, chunk: Chunk) -> Vec<Chunk> {
        let id = chunk.message_id.clone();
        if chunk.flag == Flag::Abort {
            if let Some(merging) = self.merging.remove(&id) {
                self.held = self.held.saturating_sub(merging.body.len());
            }
            return vec![chunk];
        }
        if !self.merging.contains_key(&id) {
            if self.merging.len() >= MAX_MERGING {
                return vec![chunk];
            }
            let first = chunk.clone();
            self.merging.insert(
                id.clone(),
                Merging {
                    first,
                    body: Vec::new(),
                },
            );
        }
        let Some(merging) = self.merging.get_mut(&id) else {
            return vec![chunk];
        };
        if self.held + chunk.body.len() > MAX_MERGE_BYTES {
            return vec![chunk];
        }
        self.held += chunk.body.len();
        merging.body.extend_from_slice(&chunk.body);
        if chunk.flag != Flag::Complete {
            return Vec::new();
        }
        let Some(Merging { first, body }) = self.merging.remove(&id) else {
            return Vec::new();
        };
        self.held = self.held.saturating_sub(body.len());
        let total = u64::try_from(body.len()).unwrap_or(u64::MAX);
        vec![Chunk {
            byte_range: ByteRange {
                start: 1,
                end: Some(total),
                total: Some(total),
            },
            flag: Flag::Complete,
            body,
            success_report: chunk.success_report,
            ..first
        }]
    }
}

/// `chunk` cut into chunks of at most `max` content bytes (RFC 4975 7.1.1: a relay may re-chunk;
/// protocols.md §4.6 rule 9): the same Message-ID, Content-Type and report headers on each,
/// Byte-Ranges that cover the original range in order with its total, the `+` flag on every
/// piece but the last, which keeps the original flag. A chunk within `max` (or `max` 0) is
/// returned as it came.
pub fn rechunk(chunk: Chunk, max: usize) -> Vec<Chunk> {
    if max == 0 || chunk.body.len() <= max {
        return vec![chunk];
    }
    let pieces = chunk.body.chunks(max).count();
    let mut start = chunk.byte_range.start;
    let mut out = Vec::with_capacity(pieces);
    for (at, body) in chunk.body.chunks(max).enumerate() {
        let len = u64::try_from(body.len()).unwrap_or(u64::MAX);
        let end = start.saturating_add(len).saturating_sub(1);
        let flag = match at + 1 == pieces {
            true => chunk.flag,
            false => Flag::Continue,
        };
        out.push(Chunk {
            message_id: chunk.message_id.clone(),
            byte_range: ByteRange {
                start,
                end: Some(end),
                total: chunk.byte_range.total,
            },
            content_type: chunk.content_type.clone(),
            flag,
            body: body.to_vec(),
            success_report: chunk.success_report,
            failure_report: chunk.failure_report,
        });
        start = end.saturating_add(1);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_proto::msrp::ReportMode;

    use super::*;

    fn chunk(start: u64, body: &[u8], total: u64, flag: Flag) -> Chunk {
        Chunk {
            message_id: "m4k2q9".into(),
            byte_range: ByteRange {
                start,
                end: Some(start + body.len() as u64 - 1),
                total: Some(total),
            },
            content_type: Some("message/cpim".into()),
            flag,
            body: body.to_vec(),
            success_report: true,
            failure_report: ReportMode::Yes,
        }
    }

    fn forwarder(faults: &[&str]) -> Forwarder {
        let ids: Vec<String> = faults.iter().map(|f| (*f).to_owned()).collect();
        Forwarder::new(&Faults::from_ids(&ids).unwrap())
    }

    fn report() -> Report {
        Report {
            message_id: "m4k2q9".into(),
            byte_range: ByteRange::parse("1-6/6").unwrap(),
            status: 200,
        }
    }

    #[test]
    fn clean_chunks_and_reports_are_relayed_as_they_came() {
        let mut clean = forwarder(&[]);
        let first = chunk(1, b"abc", 6, Flag::Continue);
        let last = chunk(4, b"def", 6, Flag::Complete);
        assert_eq!(clean.chunk(first.clone()), [first]);
        assert_eq!(clean.chunk(last.clone()), [last]);
        assert_eq!(clean.report(&report()), Some(report()));
        let bodiless = Chunk {
            content_type: None,
            body: Vec::new(),
            ..chunk(1, b"x", 1, Flag::Complete)
        };
        assert!(clean.chunk(bodiless).is_empty(), "hop by hop");
    }

    #[test]
    fn the_alter_fault_changes_only_the_last_byte() {
        let mut faulty = forwarder(&["message-center.alter-msrp-content"]);
        let sent = chunk(1, b"abc", 3, Flag::Complete);
        let out = faulty.chunk(sent.clone());
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].body, b"ab#");
        assert_eq!(out[0].byte_range, sent.byte_range);
        assert_eq!(out[0].message_id, sent.message_id);
        let empty = chunk(1, b"x", 1, Flag::Complete);
        let typed_but_empty = Chunk {
            body: Vec::new(),
            ..empty
        };
        assert_eq!(faulty.chunk(typed_but_empty.clone()), [typed_but_empty]);
    }

    #[test]
    fn the_merge_fault_relays_one_chunk_for_the_whole_message() {
        let mut faulty = forwarder(&["message-center.merge-msrp-chunks"]);
        assert!(faulty.chunk(chunk(1, b"abc", 6, Flag::Continue)).is_empty());
        let out = faulty.chunk(chunk(4, b"def", 6, Flag::Complete));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].body, b"abcdef");
        assert_eq!(out[0].byte_range.to_string(), "1-6/6");
        assert_eq!(out[0].flag, Flag::Complete);
        assert_eq!(out[0].message_id, "m4k2q9");
        assert!(faulty.merging.is_empty() && faulty.held == 0);
        let aborted = chunk(1, b"abc", 6, Flag::Continue);
        assert!(faulty.chunk(aborted).is_empty());
        assert_eq!(faulty.chunk(chunk(4, b"d", 6, Flag::Abort)).len(), 1);
        assert!(faulty.merging.is_empty());
    }

    #[test]
    fn the_drop_report_fault_drops_reports_only() {
        let mut faulty = forwarder(&["message-center.drop-msrp-report"]);
        assert_eq!(faulty.report(&report()), None);
        assert_eq!(faulty.chunk(chunk(1, b"a", 1, Flag::Complete)).len(), 1);
    }

    #[test]
    fn a_leg_config_is_a_relay_with_the_declared_lists() {
        let leg = LegMedia {
            local: MsrpUri::new(false, "127.0.0.1", 4000, "mc1"),
            remote: vec![MsrpUri::new(false, "127.0.0.1", 4001, "ue1")],
            accept_types: vec!["message/cpim".into()],
            accept_wrapped_types: Vec::new(),
            max_size: Some(1000),
            setup: Setup::Passive,
            tls: false,
            max_chunk: None,
        };
        let config = leg.config();
        assert!(config.relay);
        assert_eq!(config.accept_types, ["message/cpim"]);
        assert_eq!(config.accept_wrapped_types, ["*"]);
        assert_eq!(config.max_size, Some(1000));
        assert_eq!(config.remote, leg.remote);
    }

    #[test]
    fn rechunk_cuts_big_chunks_with_consistent_byte_ranges() {
        let body: Vec<u8> = (0..10u8).collect();
        let out = rechunk(chunk(11, &body, 20, Flag::Complete), 4);
        let ranges: Vec<String> = out.iter().map(|c| c.byte_range.to_string()).collect();
        assert_eq!(ranges, ["11-14/20", "15-18/20", "19-20/20"]);
        let flags: Vec<Flag> = out.iter().map(|c| c.flag).collect();
        assert_eq!(flags, [Flag::Continue, Flag::Continue, Flag::Complete]);
        let joined: Vec<u8> = out.iter().flat_map(|c| c.body.clone()).collect();
        assert_eq!(joined, body);
        assert!(
            out.iter()
                .all(|c| c.message_id == "m4k2q9" && c.success_report)
        );
        let small = chunk(1, b"abc", 3, Flag::Continue);
        assert_eq!(rechunk(small.clone(), 3), std::slice::from_ref(&small));
        assert_eq!(rechunk(small.clone(), 0), [small]);
    }
}
