//! MSRP for the simulators (RFC 4975 §5.4, §6.2; RFC 6135): listeners, connections and the
//! sessions on them, driving the sans-IO [`rcs_proto::msrp::Session`] on tokio.
//!
//! - [`MsrpStack`]: one per agent: a TCP listener (and a TLS one) on port 0, passive sessions
//!   picked by the To-Path of a connection's first frame, active ones opened to the peer's path.
//! - [`MsrpSession`]: a handle on one session: send messages, read [`SessionEvent`]s.
//! - [`Misbehaviour`]: the fault knobs of a stack's sessions.
//! - [`Relay`]: an MSRP relay the sessions go through (RFC 4976: AUTH, Use-Path, To-Path).
//!
//! Every frame written or read is recorded on the agent's wire tap as `Protocol::Msrp` over `Tcp`
//! or `Tls` (the plaintext) with the real socket addresses. Transaction timeouts run on real time.
//! Not here: being a relay (RFC 4976 relay side), connection sharing between sessions.
//!
//! [`SessionEvent`]: rcs_proto::msrp::SessionEvent

mod connection;
mod relay;
mod session;
mod stack;

use std::time::Duration;

pub use relay::Relay;
pub use session::MsrpSession;
pub use stack::MsrpStack;

/// Largest MSRP frame read from a connection.
pub const MAX_FRAME: usize = 1 << 20;

/// How long a passive session waits for its connection (and an accepted connection for its
/// first frame).
pub const PASSIVE_WAIT: Duration = Duration::from_secs(10);

/// Most session-ids a stack expects connections for at once.
pub const MAX_EXPECTED: usize = 1024;

/// Deliberate misbehaviour of a stack's sessions, for fault cases. All off by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Misbehaviour {
    /// Never send `200` responses.
    pub no_responses: bool,
    /// Never send REPORTs.
    pub no_reports: bool,
    /// A success REPORT's Byte-Range covers only the last chunk.
    pub report_partial_range: bool,
    /// The `$` chunk of each outgoing message is not sent.
    pub drop_last_chunk: bool,
    /// The last byte of each outgoing chunk body is flipped.
    pub corrupt_body: bool,
}
