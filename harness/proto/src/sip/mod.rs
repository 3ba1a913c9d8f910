//! SIP (RFC 3261): lossless message model, framing, grammar, digest auth and transactions.
//!
//! - [`Message`]: the lossless model, parsed leniently from one datagram or built with
//!   [`MessageBuilder`]; header lookup by name with compact forms.
//! - [`StreamDecoder`]: Content-Length framing on TCP/TLS, with CRLF keep-alives.
//! - [`SipError`]: every failure, naming the construct at fault.

pub mod auth;
mod builder;
mod error;
mod head;
mod message;
mod names;
mod split;
mod stream;
pub mod transaction;

pub use builder::MessageBuilder;
pub use error::SipError;
pub use head::MAX_HEADERS;
pub use message::{Header, Message, StartLine};
pub use names::{canonical_name, compact_form, names_equal};
pub use stream::{DEFAULT_MAX_MESSAGE_SIZE, StreamDecoder};
