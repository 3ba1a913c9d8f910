//! MSRP, the Message Session Relay Protocol (RFC 4975): framing, chunking and reassembly.
//!
//! What is here:
//! - [`Decoder`]: a sans-IO stream decoder that turns bytes from a TCP/TLS connection into [`Frame`]s,
//!   delimited by their end-line (RFC 4975 §5.1, §7.1), with a size cap.
//! - [`Frame`] and [`FrameBuilder`]: the lossless frame model (the raw bytes are kept) and a builder
//!   for requests and for responses with swapped paths (RFC 4975 §7.2).
//! - [`ByteRange`] (RFC 4975 §9), [`MsrpUri`] (RFC 4975 §6).
//! - [`chunk`] splits a message into SEND chunks; [`Reassembler`] puts them back together, in any
//!   order, with overlaps checked (RFC 4975 §7.1.1, §7.3.1).
//!
//! - [`Session`]: one session endpoint as a sans-IO state machine: sending messages in chunks,
//!   transaction timeouts (the 30 s `408` rule), responses, reassembly and success REPORTs
//!   (RFC 4975 §7.1-§7.3, §8.6), with a relay mode for back-to-back user agents.
//!
//! - [`AuthClient`]: the client side of AUTH to a relay, and [`use_path`] (RFC 4976 §5).
//!
//! What is not here: connections and connection setup (the simulators' transport), and the relay
//! side of RFC 4976.

mod builder;
mod byte_range;
mod chunker;
mod decoder;
mod error;
mod frame;
mod parse;
mod reassembly;
mod relay_auth;
mod session;
mod session_ids;
mod session_incoming;
mod session_send;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod session_tests;
mod uri;
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod vectors;

pub use builder::FrameBuilder;
pub use byte_range::ByteRange;
pub use chunker::chunk;
pub use decoder::Decoder;
pub use error::MsrpError;
pub use frame::{Flag, Frame, FrameKind};
pub use reassembly::Reassembler;
pub use relay_auth::{AuthClient, AuthStep, MAX_USE_PATH, RelayAuthError, use_path};
pub use session::{
    Chunk, DEFAULT_CHUNK_SIZE, DEFAULT_TRANSACTION_TIMEOUT, MAX_INCOMING, MAX_PENDING,
    MAX_REASSEMBLY_BYTES, ReportMode, SendOptions, Session, SessionConfig, SessionEvent,
    SessionFaults, media_type_accepted,
};
pub use uri::MsrpUri;

/// The seven dashes that open every end-line (RFC 4975 §9, `end-line`).
pub(crate) const END_LINE_DASHES: &[u8] = b"-------";

/// Whether `id` is an RFC 4975 §9 `ident`: one ALPHANUM then 3 to 31 of ALPHANUM `.` `-` `+` `%` `=`.
///
/// Transaction ids and Message-IDs share this grammar.
pub fn is_ident(id: &str) -> bool {
    let bytes = id.as_bytes();
    let Some((first, rest)) = bytes.split_first() else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && (3..=31).contains(&rest.len())
        && rest.iter().all(|b| is_ident_char(*b))
}

/// One character of `ident` after the first (RFC 4975 §9, `ident-char`).
pub(crate) fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+' | b'%' | b'=')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ident_length_bounds() {
        assert!(!is_ident("abc"));
        assert!(is_ident("abcd"));
        assert!(is_ident(&"a".repeat(32)));
        assert!(!is_ident(&"a".repeat(33)));
    }

    #[test]
    fn ident_characters() {
        assert!(is_ident("a786hjs2"));
        assert!(is_ident("x.-+%=9"));
        assert!(!is_ident(".abc"), "first character must be ALPHANUM");
        assert!(!is_ident("ab cd"));
        assert!(!is_ident("abc_d"));
        assert!(!is_ident(""));
    }
}
