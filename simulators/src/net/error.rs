//! Errors of the SIP transports.

use std::io;
use std::net::SocketAddr;

use rcs_harness::events::Transport;

/// A transport failure. The message completes "failed to ...".
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The UDP socket or a TCP or TLS listener could not be bound.
    #[error("bind sip listeners on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The socket error.
        source: io::Error,
    },
    /// A TCP or TLS connection to or from the peer could not be opened (TLS: the handshake).
    #[error("connect sip over {transport:?} to {dst}: {detail}")]
    Connect {
        /// TCP or TLS.
        transport: Transport,
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
    /// TLS certificates or keys could not be made, read or used.
    #[error("set up sip tls: {detail}")]
    TlsSetup {
        /// What went wrong.
        detail: String,
    },
    /// The endpoint has been shut down.
    #[error("send sip: the endpoint is shut down")]
    Closed,
}
