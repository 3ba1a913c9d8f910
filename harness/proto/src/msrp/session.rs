//! One MSRP session endpoint as a sans-IO state machine (RFC 4975 §5, §7).
//!
//! A [`Session`] sends messages as SEND chunks (RFC 4975 §7.1.1) with fresh transaction ids and
//! Message-IDs, times out transactions that get no response (the 30 s `408` rule of RFC 4975
//! §7.1.1), answers incoming SENDs (RFC 4975 §7.2: `200` unless `Failure-Report: no`, only errors
//! for `partial`; `481` when the To-Path does not name this session, §7.3; `415` for an unaccepted
//! Content-Type, §8.6; `413` above the maximum size), reassembles chunks in any order, and sends the
//! success REPORT once a whole message has arrived when it was asked for (§7.1.2). REPORTs are never
//! answered. In relay mode (for back-to-back user agents) incoming chunks are handed over one by
//! one instead of being reassembled.
//!
//! Time is an argument: the caller feeds frames with [`Session::handle_frame`], sends what
//! [`Session::poll_transmit`] returns, and calls [`Session::handle_timeout`] at
//! [`Session::poll_timeout`]. Connections, connection setup and relays (RFC 4976) are not here.
//! Incoming and outgoing state is bounded: see [`MAX_PENDING`] and [`MAX_INCOMING`].

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::session_ids::IdSource;
use super::{ByteRange, MsrpError, MsrpUri, Reassembler};

pub use super::session_incoming::Chunk;

/// Most transactions of our own awaiting a response; sending more fails at once with `503`.
pub const MAX_PENDING: usize = 4096;

/// Most incoming messages reassembled at the same time; a chunk of one more is answered `413`.
pub const MAX_INCOMING: usize = 256;

/// Most bytes held across all incoming messages being reassembled.
pub const MAX_REASSEMBLY_BYTES: usize = 64 << 20;

/// The default chunk size (10 KiB).
pub const DEFAULT_CHUNK_SIZE: usize = 10 * 1024;

/// The default transaction timeout (RFC 4975 §7.1.1: 30 seconds).
pub const DEFAULT_TRANSACTION_TIMEOUT: Duration = Duration::from_secs(30);

/// What a session needs to know about itself and its peer.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionConfig {
    /// Our URI: the From-Path of what we send, the To-Path we accept.
    pub local: MsrpUri,
    /// The peer's `a=path`, written as our To-Path.
    pub remote: Vec<MsrpUri>,
    /// Media types we accept (`*` and `type/*` allowed; parameters ignored); others get `415`.
    pub accept_types: Vec<String>,
    /// Media types we accept inside `message/cpim`.
    pub accept_wrapped_types: Vec<String>,
    /// Messages larger than this get `413`.
    pub max_size: Option<u64>,
    /// Chunk size of what we send, unless [`SendOptions::chunk_size`] says otherwise.
    pub chunk_size: usize,
    /// How long a SEND may wait for its response before it fails with `408`.
    pub transaction_timeout: Duration,
    /// Relay mode: incoming chunks are surfaced as [`SessionEvent::Chunk`], not reassembled.
    pub relay: bool,
}

impl SessionConfig {
    /// A configuration with the defaults: accepts everything, no maximum size, 10 KiB chunks,
    /// 30 s transaction timeout, not a relay.
    pub fn new(local: MsrpUri, remote: Vec<MsrpUri>) -> Self {
        Self {
            local,
            remote,
            accept_types: vec!["*".to_owned()],
            accept_wrapped_types: vec!["*".to_owned()],
            max_size: None,
            chunk_size: DEFAULT_CHUNK_SIZE,
            transaction_timeout: DEFAULT_TRANSACTION_TIMEOUT,
            relay: false,
        }
    }
}

/// The value of a Failure-Report header (RFC 4975 §7.1.2, §9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportMode {
    /// `yes` (also the meaning of an absent header): every chunk gets a response.
    Yes,
    /// `no`: no response, no failure REPORT.
    No,
    /// `partial`: error responses only.
    Partial,
}

impl ReportMode {
    /// Reads a header value; an absent or unknown value means `yes`.
    pub fn parse(value: Option<&str>) -> Self {
        match value.map(str::trim) {
            Some(v) if v.eq_ignore_ascii_case("no") => Self::No,
            Some(v) if v.eq_ignore_ascii_case("partial") => Self::Partial,
            _ => Self::Yes,
        }
    }

    /// The header value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Yes => "yes",
            Self::No => "no",
            Self::Partial => "partial",
        }
    }
}

/// How one message is sent.
#[derive(Clone, Debug)]
pub struct SendOptions {
    /// Ask for a success REPORT (`Success-Report: yes`).
    pub success_report: bool,
    /// The Failure-Report header; `Yes` writes none (its default meaning).
    pub failure_report: ReportMode,
    /// The Message-ID to use instead of a fresh one (must be an RFC 4975 `ident`).
    pub message_id: Option<String>,
    /// The chunk size instead of [`SessionConfig::chunk_size`].
    pub chunk_size: Option<usize>,
    /// The order in which chunks are sent, by 0-based index. Indexes out of range are skipped
    /// and chunks not named are not sent, so a test can also drop chunks.
    pub chunk_order: Option<Vec<usize>>,
}

impl Default for SendOptions {
    fn default() -> Self {
        Self {
            success_report: false,
            failure_report: ReportMode::Yes,
            message_id: None,
            chunk_size: None,
            chunk_order: None,
        }
    }
}

/// What happened in a session.
#[derive(Clone, Debug, PartialEq)]
pub enum SessionEvent {
    /// A whole message arrived.
    Received {
        /// Its Message-ID.
        message_id: String,
        /// The Content-Type of its chunks.
        content_type: String,
        /// The reassembled content.
        body: Vec<u8>,
        /// How many chunks carried it.
        chunks: usize,
    },
    /// The response to the last chunk of a message we sent.
    Answered {
        /// The message.
        message_id: String,
        /// The response code.
        status: u16,
    },
    /// A REPORT we received.
    Report {
        /// The Message-ID it reports on.
        message_id: String,
        /// The status code of its Status header (`000 200 OK` gives 200).
        status: u16,
        /// Its Byte-Range.
        byte_range: ByteRange,
    },
    /// A message we sent failed: an error response, or `408` when a transaction timed out.
    Failed {
        /// The message.
        message_id: String,
        /// The response code (408 for a timeout).
        status: u16,
        /// The response comment, or what happened.
        reason: String,
    },
    /// The peer ended a message with `#`.
    Aborted {
        /// The message.
        message_id: String,
    },
    /// We answered an incoming request with this error.
    Refused {
        /// The response code we sent.
        status: u16,
        /// Why.
        reason: String,
    },
    /// In relay mode: one incoming SEND chunk.
    Chunk(Chunk),
}

/// Deliberate misbehaviour, for fault cases. All off by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SessionFaults {
    /// Never send `200` responses (error responses still go out).
    pub no_responses: bool,
    /// Never send REPORTs.
    pub no_reports: bool,
    /// A success REPORT's Byte-Range covers only the last chunk received.
    pub report_partial_range: bool,
    /// The `$` chunk of each message we send is not sent (its transaction still times out).
    pub drop_last_chunk: bool,
    /// The last byte of each chunk body we send is flipped.
    pub corrupt_body: bool,
}

/// A transaction of ours awaiting its response.
#[derive(Clone, Debug)]
pub(super) struct Pending {
    pub(super) message_id: String,
    /// Whether a `200` answers the message: the chunk ends it (`$`) and is not the bodiless
    /// SEND that opens a connection.
    pub(super) last: bool,
    /// `None` when Failure-Report is `partial`: no response is owed, so none is awaited.
    pub(super) deadline: Option<Instant>,
}

/// One MSRP session endpoint. See the module docs.
#[derive(Debug)]
pub struct Session {
    pub(super) config: SessionConfig,
    /// The To-Path we write, the peer's path joined by spaces.
    pub(super) to_path: String,
    /// The From-Path we write.
    pub(super) from_path: String,
    pub(super) ids: IdSource,
    pub(super) faults: SessionFaults,
    pub(super) transmit: VecDeque<Vec<u8>>,
    pub(super) events: VecDeque<SessionEvent>,
    /// Our transactions by transaction id.
    pub(super) pending: HashMap<String, Pending>,
    pub(super) reassembler: Reassembler,
    /// Incoming messages in progress by Message-ID.
    pub(super) incoming: HashMap<String, super::session_incoming::Incoming>,
    /// Recently refused incoming Message-IDs and the code they got, oldest first.
    pub(super) refused: VecDeque<(String, u16)>,
}

impl Session {
    /// A session with nothing sent or received yet.
    pub fn new(config: SessionConfig) -> Self {
        let to_path = config
            .remote
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        let from_path = config.local.to_string();
        let ids = IdSource::new(&from_path);
        Self {
            config,
            to_path,
            from_path,
            ids,
            faults: SessionFaults::default(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
            pending: HashMap::new(),
            reassembler: Reassembler::new(MAX_REASSEMBLY_BYTES),
            incoming: HashMap::new(),
            refused: VecDeque::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Our URI.
    pub fn local_uri(&self) -> &MsrpUri {
        &self.config.local
    }

    /// Sets the misbehaviour of everything sent from now on.
    pub fn set_faults(&mut self, faults: SessionFaults) {
        self.faults = faults;
    }

    /// How many of our transactions await a response.
    pub fn pending_transactions(&self) -> usize {
        self.pending.len()
    }

    /// The next bytes to write to the connection.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<SessionEvent> {
        self.events.pop_front()
    }

    /// When [`Session::handle_timeout`] must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pending.values().filter_map(|p| p.deadline).min()
    }

    /// Fails every transaction whose deadline has passed with `408` (RFC 4975 §7.1.1), once per
    /// message; the other transactions of a failed message are forgotten.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut expired: Vec<(String, String)> = self
            .pending
            .iter()
            .filter(|(_, p)| p.deadline.is_some_and(|d| d <= now))
            .map(|(tid, p)| (tid.clone(), p.message_id.clone()))
            .collect();
        expired.sort();
        for (tid, message_id) in expired {
            if self.pending.remove(&tid).is_some() {
                self.fail_message(
                    &message_id,
                    408,
                    "no response within the transaction timeout",
                );
            }
        }
    }

    /// Queues a `Failed` event and forgets the other transactions of the message.
    pub(super) fn fail_message(&mut self, message_id: &str, status: u16, reason: &str) {
        self.pending.retain(|_, p| p.message_id != message_id);
        self.events.push_back(SessionEvent::Failed {
            message_id: message_id.to_owned(),
            status,
            reason: reason.to_owned(),
        });
    }

    /// Queues a frame's bytes for the connection.
    pub(super) fn queue(&mut self, bytes: &[u8]) {
        self.transmit.push_back(bytes.to_vec());
    }

    /// Whether `message_id` can be used: a given one must be an RFC 4975 `ident`.
    pub(super) fn message_id(&mut self, given: Option<&str>) -> Result<String, MsrpError> {
        match given {
            Some(id) if super::is_ident(id) => Ok(id.to_owned()),
            Some(id) => Err(MsrpError::Ident {
                what: "Message-ID",
                value: id.to_owned(),
            }),
            None => Ok(self.ids.next()),
        }
    }
}

/// The reason phrase we write after a status code.
pub(super) fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        408 => "Request Timeout",
        413 => "Message Too Large",
        415 => "Unsupported Media Type",
        423 => "Interval Out Of Bounds",
        481 => "Session Does Not Exist",
        501 => "Not Implemented",
        506 => "Wrong Session",
        _ => "Error",
    }
}

/// Whether `content_type` is one of `accepted` (RFC 4975 §8.6): `*` matches every type,
/// `type/*` every subtype; comparison ignores case and parameters.
pub fn media_type_accepted(accepted: &[String], content_type: &str) -> bool {
    let bare = |s: &str| {
        s.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    };
    let ct = bare(content_type);
    let main = ct.split('/').next().unwrap_or_default().to_owned();
    accepted.iter().any(|a| {
        let a = bare(a);
        a == "*" || a == ct || a.strip_suffix("/*").is_some_and(|m| m == main)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn report_mode_values() {
        assert_eq!(ReportMode::parse(None), ReportMode::Yes);
        assert_eq!(ReportMode::parse(Some(" No")), ReportMode::No);
        assert_eq!(ReportMode::parse(Some("partial")), ReportMode::Partial);
        assert_eq!(ReportMode::parse(Some("bogus")), ReportMode::Yes);
        assert_eq!(ReportMode::Partial.as_str(), "partial");
    }

    #[test]
    fn accept_types_wildcards_and_parameters() {
        let accepted = vec!["text/plain".to_owned(), "image/*".to_owned()];
        assert!(media_type_accepted(&accepted, "Text/Plain;charset=UTF-8"));
        assert!(media_type_accepted(&accepted, "image/png"));
        assert!(!media_type_accepted(&accepted, "message/cpim"));
        assert!(!media_type_accepted(&accepted, "imagex/png"));
        assert!(media_type_accepted(&["*".to_owned()], "application/x"));
        assert!(!media_type_accepted(&[], "text/plain"));
    }

    #[test]
    fn defaults() {
        let config = SessionConfig::new(MsrpUri::new(false, "127.0.0.1", 1, "abcd"), vec![]);
        assert_eq!(config.chunk_size, 10 * 1024);
        assert_eq!(config.transaction_timeout, Duration::from_secs(30));
        let opts = SendOptions::default();
        assert!(!opts.success_report);
        assert_eq!(opts.failure_report, ReportMode::Yes);
    }
}
