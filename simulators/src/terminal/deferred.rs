//! Deferred delivery as the terminal sees it: stored messages the message center delivers when
//! the terminal registers (protocols.md §4.8; TRM-CHAT-009; RFC 5438 7).
//!
//! A deferred MESSAGE is marked by the `oma.cpm.deferred` ICSI in an Accept-Contact
//! (§4.8, as the Rust client recognises it); it is answered like any MESSAGE. The one rule here:
//! a message already received (same sender, same `imdn.Message-ID`, as after a re-delivery whose
//! 200 was lost) is answered 200 again but never IMDN'd twice. The `duplicate-deferred-imdn` fault
//! sends the delivery IMDN of a deferred message twice. This module decides; `incoming` sends.

use rcs_proto::sip::Message;

use super::core::Core;
use super::faults::Fault;
use super::state::Received;

/// The deferred-delivery ICSI, as it appears (URL-encoded or not) in Accept-Contact.
const DEFERRED_ICSI: &str = "oma.cpm.deferred";

/// Whether `request` is a deferred delivery.
pub(crate) fn is_deferred(request: &Message) -> bool {
    request
        .header_all("Accept-Contact")
        .iter()
        .any(|value| value.contains(DEFERRED_ICSI))
}

/// Whether `received` repeats a message already received (and so already IMDN'd if asked).
pub(crate) fn already_received(core: &Core, received: &Received) -> bool {
    let Some(id) = received.message_id.as_deref() else {
        return false;
    };
    core.state()
        .received_by_id(Some(&received.sender), id)
        .is_some()
}

/// How many delivery IMDNs to send for `request`: one, or two under the fault for a deferred
/// delivery.
pub(crate) fn imdn_copies(core: &Core, request: &Message) -> usize {
    match core.faults.has(Fault::DuplicateDeferredImdn) && is_deferred(request) {
        true => 2,
        false => 1,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_proto::sip::MessageBuilder;

    use super::*;

    #[test]
    fn the_deferred_icsi_marks_a_deferred_delivery() {
        let plain = MessageBuilder::request("MESSAGE", "sip:b@x")
            .header(
                "Accept-Contact",
                "*;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"",
            )
            .build();
        assert!(!is_deferred(&plain));
        let deferred = MessageBuilder::request("MESSAGE", "sip:b@x")
            .header(
                "Accept-Contact",
                "*;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"",
            )
            .header(
                "Accept-Contact",
                "*;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.deferred\"",
            )
            .build();
        assert!(is_deferred(&deferred));
    }
}
