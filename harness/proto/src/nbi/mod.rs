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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{cmcc, ctcu};

    const NESTED: &[u8] =
        include_bytes!("../../tests/vectors/nbi/protocols-8.1.3-outbound-request.dat");
    const SEND: &[u8] = include_bytes!("../../tests/vectors/nbi/protocols-8.2-send.dat");

    /// Every reader on the same bytes: none may panic.
    fn read_everything(bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        let _ = cmcc::Outbound::parse(bytes);
        let _ = cmcc::Inbound::parse(bytes);
        let _ = cmcc::parse_send_response(bytes);
        let _ = cmcc::parse_request_error(bytes);
        let _ = cmcc::parse_delivery_notification(bytes);
        let _ = cmcc::parse_status_report(bytes);
        let _ = cmcc::parse_status_notification(bytes);
        let _ = cmcc::parse_http_date(&text);
        let _ = cmcc::verify(&text, &text, 0, 900, |_| Some(String::new()));
        let _ = ctcu::Send::parse(bytes);
        let _ = ctcu::Uplink::parse(bytes);
        let _ = ctcu::parse_status_notification(bytes);
        let _ = ctcu::parse_token_request(bytes);
        let _ = ctcu::parse_token_response(bytes);
        let _ = ctcu::parse_revoke_request(bytes);
        let _ = ctcu::content_items(&text, bytes);
        if let Ok(send) = ctcu::Send::parse(bytes) {
            let _ = ctcu::inner_content(&send.message_list);
        }
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            read_everything(&bytes);
        }

        #[test]
        fn damaged_vectors_never_panic(cut in 0usize..4096, byte in any::<u8>(), json in any::<bool>()) {
            let mut bytes = if json { SEND.to_vec() } else { NESTED.to_vec() };
            let at = cut % bytes.len();
            bytes[at] = byte;
            read_everything(&bytes);
            read_everything(&bytes[..at]);
        }
    }
}
