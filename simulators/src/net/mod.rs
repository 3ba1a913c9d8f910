//! SIP transports of the simulators: UDP and TCP on one port number, on loopback or a given address.
//!
//! A [`SipEndpoint`] binds a UDP socket and a TCP listener on the same port (RFC 3261 18: a SIP
//! element listens on both), reads datagrams and stream-framed messages (RFC 3261 18.3) and hands
//! each one over as an [`Incoming`], parsed or not. Sending on TCP reuses the connection to or from
//! the destination, so a response goes back on the connection its request came in on (RFC 3261
//! 18.2.2), and opens a new one otherwise. Every message in or out is recorded on the case's
//! [`rcs_harness::agent::WireTap`] with its real source and destination, including messages that
//! fail to parse.
//!
//! This module does not interpret SIP beyond framing: no transactions, no Via handling, no
//! retransmissions. It does not speak TLS.

mod endpoint;
mod error;
mod shutdown;
mod tcp;
mod udp;

pub use endpoint::{Incoming, SipEndpoint};
pub use error::NetError;
pub use shutdown::{Shutdown, ShutdownTrigger};

/// Largest UDP datagram read (the IPv4 limit); bigger ones cannot arrive.
pub const MAX_DATAGRAM: usize = 65_535;

/// Most TCP connections one endpoint keeps open; further accepted connections are closed.
pub const MAX_CONNECTIONS: usize = 256;
