//! rcs-proto: sans-IO codecs and protocol state machines for 5G Messaging.
//!
//! Everything here works on bytes and takes time as an argument: no sockets, no tokio, no clocks.
//! The SIP model is lossless (the original bytes, header order, case and spacing are kept) with typed
//! views parsed on demand, because a conformance tool must show exactly what was sent.
//!
//! - [`sip`]: SIP messages (RFC 3261), framing, header grammar, digest auth, non-INVITE transactions.
//! - [`cpim`]: the Common Presence and Instant Messaging wrapper (RFC 3862).
//! - [`imdn`]: Instant Message Disposition Notifications (RFC 5438).
//! - [`msrp`]: the Message Session Relay Protocol (RFC 4975): framing, chunking, reassembly.

pub mod cpim;
pub mod imdn;
pub mod msrp;
pub mod sip;
