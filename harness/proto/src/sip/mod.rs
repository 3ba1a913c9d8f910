//! SIP (RFC 3261): lossless message model, framing, grammar, digest auth and transactions.

pub mod auth;
pub mod transaction;
