//! Errors of the SIP transports.

use std::io;
use std::net::SocketAddr;

use rcs_harness::events::Transport;

/// A transport failure. The message completes "failed to ...".
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The UDP socket or the TCP listener could not be bound.
    #[error("bind sip udp and tcp on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The socket error.
        source: io::Error,
    },
    /// A TCP connection to the destination could not be opened.
    #[error("connect sip tcp to {dst}: {detail}")]
    Connect {
        /// The destination.
        dst: SocketAddr,
        /// What went wrong.
        detail: String,
    },
    /// The bytes could not be written.
    #[error("send sip over {transport:?} to {dst}: {detail}")]
    Send {
        /// UDP or TCP.
        transport: Transport,
        /// The destination.
        dst: SocketAddr,
        /// What went wrong.
        detail: String,
    },
    /// The endpoint does not speak this transport.
    #[error("send sip over {transport:?}: this endpoint does not speak it")]
    Unsupported {
        /// The transport asked for.
        transport: Transport,
    },
    /// The endpoint has been shut down.
    #[error("send sip: the endpoint is shut down")]
    Closed,
}
