//! SIP transports of the simulators: UDP and TCP on one port number, TLS on another, on loopback or
//! a given address.
//!
//! A [`SipEndpoint`] binds a UDP socket and a TCP listener on the same port (RFC 3261 18: a SIP
//! element listens on both), reads datagrams and stream-framed messages (RFC 3261 18.3) and hands
//! each one over as an [`Incoming`], parsed or not. Sending on TCP reuses the connection to or from
//! the destination, so a response goes back on the connection its request came in on (RFC 3261
//! 18.2.2), and opens a new one otherwise. Every message in or out is recorded on the case's
//! [`rcs_harness::agent::WireTap`] with its real source and destination, including messages that
//! fail to parse.
//!
//! With a [`TlsConfig`], the endpoint also listens for SIP over TLS (RFC 3261 26.2) on a port of
//! its own and frames, reuses and records TLS connections as TCP ones; what it records is the
//! plaintext. [`TlsConfig::simulated`] trusts a CA generated once per process ([`test_ca`]).
//!
//! This module does not interpret SIP beyond framing: no transactions, no Via handling, no
//! retransmissions.

mod certs;
mod endpoint;
mod error;
mod shutdown;
mod tcp;
mod tls;
mod udp;

pub use certs::{TestCa, test_ca};
pub use endpoint::{Incoming, SipEndpoint};
pub use error::NetError;
pub use shutdown::{Shutdown, ShutdownTrigger};
pub(crate) use tls::Stream;
pub use tls::TlsConfig;

/// Largest UDP datagram read (the IPv4 limit); bigger ones cannot arrive.
pub const MAX_DATAGRAM: usize = 65_535;

/// Most TCP (and, apart, TLS) connections one endpoint keeps open; further accepted connections
/// are closed.
pub const MAX_CONNECTIONS: usize = 256;
