//! The chatbot developer APIs ("northbound", protocols.md §8) between a chatbot's server and the
//! MaaP, in the two families China's carriers expose:
//!
//! - [`cmcc`]: China Mobile's OMA RESTful NetAPI Messaging style (§8.1): XML documents in
//!   `urn:oma:xml:rest:netapi:messaging:1`, and the signed `Authorization` header checked against
//!   `Date` (§8.1.1).
//! - [`ctcu`]: the China Telecom / China Unicom joint platform V1.0.4 (§8.2): JSON documents,
//!   return codes, the callback signature, and the mapping between a `messageList` and the CPIM
//!   inner content the MaaP sends southbound (§8.3, §7.2).
//!
//! These are documents and signatures only: no HTTP, no URLs, no tokens' lifetimes, no policy.
//! Everything read is capped: bodies at [`MAX_BODY`] bytes, destinations at [`MAX_DESTINATIONS`].

pub mod cmcc;
pub mod ctcu;
mod xml;

/// The largest request or callback body read, in bytes (16 MiB).
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// The most destination addresses one send request may name.
pub const MAX_DESTINATIONS: usize = 1000;

/// Why a northbound document could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("failed to read {document}: {detail}")]
pub struct NbiError {
    /// The document, such as `outboundMessageRequest`.
    pub document: &'static str,
    /// What is wrong, naming the element or field at fault.
    pub detail: String,
}

impl NbiError {
    pub(crate) fn new(document: &'static str, detail: impl Into<String>) -> Self {
        Self {
            document,
            detail: detail.into(),
        }
    }
}
