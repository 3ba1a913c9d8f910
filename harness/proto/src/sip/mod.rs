//! SIP (RFC 3261): lossless message model, framing, grammar, digest auth and transactions.
//!
//! - [`Message`]: the lossless model, parsed leniently from one datagram or built with
//!   [`MessageBuilder`]; header lookup by name with compact forms.
//! - [`StreamDecoder`]: Content-Length framing on TCP/TLS, with CRLF keep-alives.
//! - Typed views parsed on demand: [`Uri`], [`NameAddr`], [`Via`], [`CSeq`], [`FeatureTags`].
//! - [`Message::validate`]: the strict grammar checks the lenient parser lets through.
//! - [`Dialog`]: one side of an INVITE dialog (RFC 3261 12): IDs, route set, in-dialog requests.
//! - INVITE transactions: [`transaction::ClientInvite`] and [`transaction::ServerInvite`]
//!   (RFC 3261 17.1.1, 17.2.1, 13.3.1.4), next to the non-INVITE ones.
//! - [`SipError`]: every failure, naming the construct at fault.

pub mod auth;
mod builder;
mod contact;
mod cseq;
mod dialog;
mod error;
mod feature_tags;
mod head;
mod host;
mod message;
mod name_addr;
mod names;
mod params;
mod split;
mod stream;
mod tel_uri;
pub mod transaction;
mod uri;
mod validate;
mod validate_addr;
mod via;
mod views;

pub use builder::MessageBuilder;
pub use cseq::{CSeq, MAX_CSEQ};
pub use dialog::{Dialog, DialogId, MAX_ROUTE_SET};
pub use error::SipError;
pub use feature_tags::{FeatureTags, IARI_REF, ICSI_REF, is_feature_tag};
pub use head::MAX_HEADERS;
pub use host::Host;
pub use message::{Header, Message, StartLine};
pub use name_addr::NameAddr;
pub use names::{canonical_name, compact_form, names_equal};
pub use params::{MAX_PARAMS, Params, percent_decode, percent_encode, unquote};
pub use split::{header_params, split_outside};
pub use stream::{DEFAULT_MAX_MESSAGE_SIZE, StreamDecoder};
pub use tel_uri::TelUri;
pub use uri::{SipUri, Uri};
pub use validate::Deviation;
pub use via::{MAGIC_COOKIE, Via};
