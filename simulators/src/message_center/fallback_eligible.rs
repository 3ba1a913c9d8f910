//! What network-based fallback may convert to SMS (protocols.md §9.2 mechanism 2): only what the
//! recipient's phone would show as a message.
//!
//! Eligible: a person-to-person CPM MESSAGE (pager mode) whose CPIM content is `text/plain` or an
//! FT-HTTP file-info (the SMS carries the file's name and link). Never converted, each for its
//! own reason ([`Exclusion`]): a request that is not CPIM; a disposition notification (RFC 5438:
//! an IMDN is not a message); an isComposing indication (RFC 3994: a transient state); a message
//! sent by the group chat focus (its Contact carries `isfocus`, RFC 4579 4.5; the group's members
//! are the focus's to reach); a chatbot's message (it comes over the chatbot trunk, or names a
//! `+g.gsma.rcs.isbot` Contact: the MaaP does its own fallback from its API flags, §9.2
//! mechanism 3); any other content (revokes, chatbot cards, unknown types).
//!
//! The fault `message-center.fallback-converts-notifications` lets IMDNs and isComposing through
//! (IWK-SMS-001). Large-message mode (an INVITE) is not converted: the message center answers it
//! like any session to a user it cannot reach.

use rcs_proto::cpim::CpimMessage;
use rcs_proto::sip::Message;

use super::super::config::{Fault, Faults};
use super::super::router;

/// The media type of an FT-HTTP file-info (protocols.md §5.2).
const FILE_INFO: &str = "application/vnd.gsma.rcs-ft-http+xml";
/// The media type of an isComposing document (RFC 3994 7).
const IS_COMPOSING: &str = "application/im-iscomposing+xml";
/// The media type of a disposition notification (RFC 5438 7.1).
const IMDN: &str = "message/imdn+xml";

/// Why a request is not converted to SMS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exclusion {
    /// Not a CPIM request.
    NotCpim,
    /// A disposition notification.
    Notification,
    /// An isComposing indication.
    Composing,
    /// Sent by the group chat focus.
    GroupChat,
    /// Sent by a chatbot.
    Chatbot,
    /// A content with no SMS form.
    OtherContent,
}

/// Whether `request` may fall back to SMS; `from_trunk` when it came over the chatbot trunk.
pub fn check(request: &Message, from_trunk: bool, faults: &Faults) -> Result<(), Exclusion> {
    if !router::is_cpim(request) {
        return Err(Exclusion::NotCpim);
    }
    if from_trunk || contact_has(request, "+g.gsma.rcs.isbot") {
        return Err(Exclusion::Chatbot);
    }
    if contact_has(request, "isfocus") {
        return Err(Exclusion::GroupChat);
    }
    let content_type = inner_type(request).unwrap_or_default();
    let lenient = faults.has(Fault::FallbackConvertsNotifications);
    match content_type.as_str() {
        "text/plain" | FILE_INFO => Ok(()),
        IMDN | IS_COMPOSING if lenient => Ok(()),
        IMDN => Err(Exclusion::Notification),
        IS_COMPOSING => Err(Exclusion::Composing),
        _ => Err(Exclusion::OtherContent),
    }
}

/// The SMS text of a notification let through by the fault: its document as it is.
pub fn notification_text(request: &Message) -> Option<String> {
    let cpim = CpimMessage::parse(request.body()).ok()?;
    let body = cpim.decoded_body().ok()?;
    let text = String::from_utf8(body).ok()?;
    (!text.trim().is_empty()).then(|| {
        text.chars()
            .take(super::super::fallback_sms::MAX_TEXT)
            .collect()
    })
}

/// The media type of the CPIM content, lowercase, without parameters.
fn inner_type(request: &Message) -> Option<String> {
    let cpim = CpimMessage::parse(request.body()).ok()?;
    let value = cpim.content_type()?;
    Some(value.split(';').next()?.trim().to_ascii_lowercase())
}

/// Whether a Contact of `request` carries the feature parameter `name`.
fn contact_has(request: &Message, name: &str) -> bool {
    request
        .contacts()
        .unwrap_or_default()
        .iter()
        .any(|contact| contact.param(name).is_some())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_proto::sip::MessageBuilder;

    use super::*;

    fn message(inner: &str, body: &str, contact: Option<&str>) -> Message {
        let cpim = format!(
            "From: <sip:anonymous@anonymous.invalid>\r\nTo: <sip:anonymous@anonymous.invalid>\r\n\
NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: M1\r\n\r\nContent-Type: {inner}\r\n\r\n{body}"
        );
        let mut builder = MessageBuilder::request("MESSAGE", "tel:+8613900000002")
            .header("From", "<tel:+8613800000001>;tag=1");
        if let Some(contact) = contact {
            builder = builder.header("Contact", contact);
        }
        builder.body("message/cpim", cpim.into_bytes()).build()
    }

    fn none() -> Faults {
        Faults::default()
    }

    #[test]
    fn text_and_files_are_eligible() {
        let text = message("text/plain;charset=UTF-8", "hi", None);
        assert_eq!(check(&text, false, &none()), Ok(()));
        let file = message(FILE_INFO, "<file/>", None);
        assert_eq!(check(&file, false, &none()), Ok(()));
    }

    #[test]
    fn notifications_and_composing_are_not_messages() {
        let imdn = message(IMDN, "<imdn/>", None);
        assert_eq!(check(&imdn, false, &none()), Err(Exclusion::Notification));
        let composing = message(IS_COMPOSING, "<isComposing/>", None);
        assert_eq!(check(&composing, false, &none()), Err(Exclusion::Composing));
        let bare = MessageBuilder::request("MESSAGE", "tel:+8613900000002")
            .body(IS_COMPOSING, b"<isComposing/>".to_vec())
            .build();
        assert_eq!(check(&bare, false, &none()), Err(Exclusion::NotCpim));
        let revoke = message("application/vnd.gsma.rcsrevoke+xml", "<revoke/>", None);
        assert_eq!(check(&revoke, false, &none()), Err(Exclusion::OtherContent));
    }

    #[test]
    fn the_fault_lets_notifications_through() {
        let faults =
            Faults::from_ids(&["message-center.fallback-converts-notifications".to_owned()])
                .unwrap();
        let imdn = message(IMDN, "<imdn/>", None);
        assert_eq!(check(&imdn, false, &faults), Ok(()));
        assert_eq!(notification_text(&imdn).as_deref(), Some("<imdn/>"));
        let bot = message(IMDN, "<imdn/>", None);
        assert_eq!(check(&bot, true, &faults), Err(Exclusion::Chatbot));
    }

    #[test]
    fn group_and_chatbot_messages_are_someone_elses() {
        let text = message("text/plain", "hi", None);
        assert_eq!(check(&text, true, &none()), Err(Exclusion::Chatbot));
        let bot = message(
            "text/plain",
            "hi",
            Some("<sip:bot@botplatform.example>;+g.gsma.rcs.isbot"),
        );
        assert_eq!(check(&bot, false, &none()), Err(Exclusion::Chatbot));
        let focus = message(
            "text/plain",
            "hi",
            Some("<sip:group1@conf.example>;isfocus"),
        );
        assert_eq!(check(&focus, false, &none()), Err(Exclusion::GroupChat));
    }
}
