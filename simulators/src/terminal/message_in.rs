//! Reading an incoming MESSAGE: a chat message to remember, an IMDN, or a body the terminal
//! refuses (RFC 3428 7, RFC 3862, RFC 5438 7; protocols.md §4.3-4.4, §4.7).
//!
//! `message/cpim` bodies are parsed with rcs_proto; an inner `message/imdn+xml` is an IMDN,
//! anything else a chat message whose `imdn.Message-ID` and `imdn.Disposition-Notification` are
//! resolved through the imdn namespace (so a prefix without NS declares nothing, ROB-BODY-001).
//! Plain `text/plain` pager bodies are accepted as chat without IMDN headers. A CPIM body that
//! does not parse, an inner base64 body that does not decode (ROB-BODY-007) or an IMDN document
//! that is not one (wrong namespace, DOCTYPE: ROB-BODY-004) is refused with 400; any other body
//! type with 415 (ROB-SIP-003). Deciding what to answer and sending it is `incoming`'s job.

use rcs_proto::cpim::CpimMessage;
use rcs_proto::imdn::Imdn;
use rcs_proto::sip::Message;

use super::addr::uri_of;
use super::state::Received;

/// The inner content type of an IMDN.
const IMDN_TYPE: &str = "message/imdn+xml";

/// What an acceptable MESSAGE carried.
#[derive(Debug)]
pub(crate) enum Accepted {
    Chat(Received),
    Imdn(Imdn),
}

/// Why a MESSAGE is refused.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub status: u16,
    pub reason: &'static str,
    /// Names the construct at fault.
    pub detail: String,
}

/// Reads a MESSAGE's body.
pub(crate) fn read_message(request: &Message) -> Result<Accepted, Rejection> {
    let content_type = request.header("Content-Type").map(media_type);
    match content_type.as_deref() {
        Some("message/cpim") => read_cpim(request),
        Some("text/plain") => Ok(Accepted::Chat(Received {
            sender: sip_sender(request),
            message_id: None,
            disposition: Vec::new(),
            conversation_id: request.header("Conversation-ID").map(str::to_owned),
            contribution_id: request.header("Contribution-ID").map(str::to_owned),
        })),
        other => Err(Rejection {
            status: 415,
            reason: "Unsupported Media Type",
            detail: format!(
                "Content-Type: {} is not message/cpim or text/plain",
                other.unwrap_or("(none)")
            ),
        }),
    }
}

fn read_cpim(request: &Message) -> Result<Accepted, Rejection> {
    let bad = |detail: String| Rejection {
        status: 400,
        reason: "Bad Request",
        detail,
    };
    let cpim = CpimMessage::parse(request.body()).map_err(|e| bad(format!("message/cpim: {e}")))?;
    if cpim.content_type().map(media_type).as_deref() == Some(IMDN_TYPE) {
        let imdn = Imdn::from_cpim(&cpim).map_err(|e| bad(format!("message/imdn+xml: {e}")))?;
        return Ok(Accepted::Imdn(imdn));
    }
    cpim.decoded_body()
        .map_err(|e| bad(format!("message/cpim content: {e}")))?;
    let sender = cpim
        .header("From")
        .and_then(uri_of)
        .unwrap_or_else(|| sip_sender(request));
    Ok(Accepted::Chat(Received {
        sender,
        message_id: cpim.imdn_message_id().map(str::to_owned),
        disposition: cpim.disposition_notification(),
        conversation_id: request.header("Conversation-ID").map(str::to_owned),
        contribution_id: request.header("Contribution-ID").map(str::to_owned),
    }))
}

/// The asserted identity of the sender, else its From URI, else the From text.
fn sip_sender(request: &Message) -> String {
    request
        .header("P-Asserted-Identity")
        .and_then(uri_of)
        .or_else(|| request.header("From").and_then(uri_of))
        .unwrap_or_default()
}

/// `type/subtype` lowercased, without parameters.
fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcs_proto::cpim::CpimBuilder;
    use rcs_proto::imdn::{DeliveryStatus, Notification, imdn_cpim};
    use rcs_proto::sip::MessageBuilder;

    fn message(content_type: Option<&str>, body: &[u8]) -> Message {
        let mut b = MessageBuilder::request("MESSAGE", "sip:+8613800000002@x")
            .header("From", "<sip:+8613800000001@x>;tag=a")
            .header("P-Asserted-Identity", "<sip:+8613800000009@x>")
            .header("Conversation-ID", "conv-1");
        if let Some(ct) = content_type {
            b = b.body(ct, body.to_vec());
        }
        b.build()
    }

    fn chat_cpim(extra_ns: bool) -> Vec<u8> {
        let mut b = CpimBuilder::new()
            .from("sip:+8613800000001@x")
            .to("sip:+8613800000002@x");
        if extra_ns {
            b = b.ns("imdn", "urn:ietf:params:imdn");
        }
        b.header("imdn.Message-ID", "Abc123Def4")
            .header(
                "imdn.Disposition-Notification",
                "positive-delivery, display",
            )
            .content_type("text/plain;charset=UTF-8")
            .body("hi")
            .build()
    }

    #[test]
    fn a_cpim_chat_names_its_sender_and_requests() {
        let Ok(Accepted::Chat(r)) = read_message(&message(Some("Message/CPIM"), &chat_cpim(true)))
        else {
            panic!("not a chat");
        };
        assert_eq!(r.sender, "sip:+8613800000001@x");
        assert_eq!(r.message_id.as_deref(), Some("Abc123Def4"));
        assert_eq!(r.disposition, ["positive-delivery", "display"]);
        assert_eq!(r.conversation_id.as_deref(), Some("conv-1"));
    }

    #[test]
    fn imdn_headers_without_their_namespace_declare_nothing() {
        let Ok(Accepted::Chat(r)) = read_message(&message(Some("message/cpim"), &chat_cpim(false)))
        else {
            panic!("not a chat");
        };
        assert_eq!(r.message_id, None);
    }

    #[test]
    fn an_imdn_is_recognised() {
        let imdn = Imdn {
            message_id: "Abc123Def4".to_owned(),
            datetime: "2025-03-01T10:00:02.000+08:00".to_owned(),
            recipient_uri: None,
            original_recipient_uri: None,
            notification: Notification::Delivery(DeliveryStatus::Delivered),
        };
        let body = imdn_cpim("New1234567", &imdn);
        let Ok(Accepted::Imdn(got)) = read_message(&message(Some("message/cpim"), &body)) else {
            panic!("not an imdn");
        };
        assert_eq!(got, imdn);
    }

    #[test]
    fn plain_text_comes_from_the_asserted_identity() {
        let Ok(Accepted::Chat(r)) = read_message(&message(Some("text/plain"), b"hi")) else {
            panic!("not a chat");
        };
        assert_eq!(r.sender, "sip:+8613800000009@x");
        assert_eq!(r.message_id, None);
    }

    #[test]
    fn unreadable_bodies_are_refused_naming_the_construct() {
        let odd = read_message(&message(Some("application/x-unknown"), b"?")).unwrap_err();
        assert_eq!(odd.status, 415);
        assert!(
            odd.detail.contains("application/x-unknown"),
            "{}",
            odd.detail
        );
        assert_eq!(read_message(&message(None, b"")).unwrap_err().status, 415);

        let broken =
            read_message(&message(Some("message/cpim"), b"From: x\nTo: y\n\n")).unwrap_err();
        assert_eq!(broken.status, 400);
        assert!(
            broken.detail.starts_with("message/cpim"),
            "{}",
            broken.detail
        );

        let base64 = CpimBuilder::new()
            .from("sip:a@x")
            .content_type("text/plain")
            .content_header("Content-Transfer-Encoding", "base64")
            .body("!!not base64!!")
            .build();
        let corrupt = read_message(&message(Some("message/cpim"), &base64)).unwrap_err();
        assert_eq!(corrupt.status, 400);

        let xxe = CpimBuilder::new()
            .from("sip:anonymous@anonymous.invalid")
            .content_type("message/imdn+xml")
            .body("<?xml version=\"1.0\"?><!DOCTYPE imdn [<!ENTITY x SYSTEM \"http://e/\">]><imdn xmlns=\"urn:ietf:params:xml:ns:imdn\">&x;</imdn>")
            .build();
        let rejected = read_message(&message(Some("message/cpim"), &xxe)).unwrap_err();
        assert_eq!(rejected.status, 400);
        assert!(
            rejected.detail.starts_with("message/imdn+xml"),
            "{}",
            rejected.detail
        );
    }
}
