//! Errors of the HTTP transports.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use rcs_harness::events::Transport;

use crate::net::NetError;

/// An HTTP transport failure. The message completes "failed to ...".
#[derive(Debug, thiserror::Error)]
pub enum HttpNetError {
    /// The listener could not be bound.
    #[error("bind the http listener on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The socket error.
        source: io::Error,
    },
    /// A connection could not be opened (TLS: the handshake failed).
    #[error("connect http over {transport:?} to {dst}: {detail}")]
    Connect {
        /// TCP or TLS.
        transport: Transport,
        /// The destination.
        dst: SocketAddr,
        /// What went wrong.
        detail: String,
    },
    /// The request could not be written, or the response read.
    #[error("exchange http over {transport:?} with {dst}: {detail}")]
    Exchange {
        /// TCP or TLS.
        transport: Transport,
        /// The peer.
        dst: SocketAddr,
        /// What went wrong.
        detail: String,
    },
    /// No whole response came within the time limit.
    #[error("receive an http response from {dst} within {after:?}")]
    Timeout {
        /// The peer.
        dst: SocketAddr,
        /// The limit.
        after: Duration,
    },
    /// HTTPS was asked of a client or server without a TLS configuration.
    #[error("use https: no tls configuration was given")]
    NoTls,
    /// TLS material could not be set up.
    #[error("{0}")]
    Tls(#[from] NetError),
    /// The server has been shut down.
    #[error("serve http: the server is shut down")]
    Closed,
}
