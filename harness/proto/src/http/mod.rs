//! HTTP/1.1 (RFC 9110, RFC 9112): a lossless, sans-IO codec for the content server (file
//! transfer, protocols.md §5), auto-configuration (§2.1) and the chatbot developer APIs (§8).
//!
//! - [`Request`] / [`Response`]: the lossless model (raw bytes, start line, field lines in order
//!   with their case, body), with typed accessors; [`RequestBuilder`] / [`ResponseBuilder`].
//! - [`StreamDecoder`]: framing on a connection (Content-Length, chunked, read until close),
//!   with caps on the header section and the body.
//! - [`Range`] / [`ContentRange`]: single byte ranges (RFC 9110 §14).
//! - [`form`]: multipart/form-data (RFC 7578) over [`crate::multipart`].
//! - [`digest`]: HTTP Digest authentication (RFC 7616) over [`crate::sip::auth`].
//!
//! Not here: sockets, HTTP/2, content codings (gzip), caching, cookies, redirects.

mod builder;
mod chunked;
pub mod digest;
mod error;
pub mod form;
mod head;
mod message;
mod range;
mod stream;

pub use builder::{RequestBuilder, ResponseBuilder};
pub use chunked::MAX_CHUNK_LINE;
pub use error::HttpError;
pub use head::MAX_HEADERS;
pub use message::{Header, Request, Response};
pub use range::{ContentRange, Range};
pub use stream::{DEFAULT_MAX_BODY, DEFAULT_MAX_HEAD, StreamDecoder};
