//! HTTP/1.1 over TCP and TLS for the simulators: a server (the FT-HTTP content server,
//! auto-configuration, the chatbot APIs, protocols.md §2.1, §5, §8) and a client (the terminal's
//! uploads and downloads), both on [`rcs_proto::http`].
//!
//! Every request and response in or out is recorded on the case's
//! [`rcs_harness::agent::WireTap`] as `Protocol::Http` with `Transport::Tcp` or `Transport::Tls`,
//! its real source and destination, and exactly the bytes on the wire (the plaintext, for TLS);
//! bytes that never made a whole message (a malformed request, a connection cut mid-message) are
//! recorded too. Connections are kept alive and carry one request at a time; their number, the
//! message sizes and every wait are bounded.
//!
//! The server answers `Expect: 100-continue`; the client never sends it. This module does not
//! follow redirects, speak HTTP/2, or route by host: the handler sees every request.

mod client;
mod conn;
mod cut;
mod error;
mod server;

pub use client::HttpClient;
pub use cut::send_cut;
pub use error::HttpNetError;
pub use server::{CutHandler, Handler, HttpServer, ServerLimits};

use rcs_proto::http::{Response, ResponseBuilder};

/// The response `builder` writes, or a bare 500 when it does not build (the builder refuses only
/// header names and values with control characters, which no handler writes).
pub fn built(builder: ResponseBuilder) -> Response {
    builder.build().unwrap_or_else(|_| server_error())
}

/// A bare `500 Internal Server Error`.
#[allow(clippy::expect_used)]
pub fn server_error() -> Response {
    Response::parse(
        &b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"[..],
        "GET",
    )
    .expect("a constant response parses")
}
