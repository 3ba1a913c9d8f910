//! The INVITEs a terminal originates for session mode and large-message mode, and the large-message
//! body (RFC 3261 13.2.1, RFC 4028, RFC 2046 5.1; protocols.md §4.1, §4.2, §4.5).
//!
//! Both carry the mode's ICSI in Accept-Contact and P-Preferred-Service, a Contact with
//! `+sip.instance` and that ICSI, P-Preferred-Identity, Conversation-ID and Contribution-ID,
//! `Supported: timer` and `Session-Expires: 1800`. Session mode sends the SDP offer as the body;
//! large-message mode a `multipart/mixed` of the CPIM envelope (headers of the message and its
//! inner Content-Type, no payload) and the SDP. One fault leaves out the session ICSI, one puts
//! the payload into the envelope. This module writes; it does not send.

use rcs_proto::multipart::{self, Part};
use rcs_proto::sip::Message;

use super::faults::{Fault, Faults};
use super::media::Mode;
use super::pager::{self, Chat, Conversation};
use super::request::{ALLOW, Local, RequestHead};
use super::tags::{CPM_LARGEMSG_ICSI, CPM_SESSION_ICSI};

/// The session timer a terminal asks for (protocols.md §4.5).
const SESSION_EXPIRES: &str = "1800";

/// Who sends an INVITE where, and in which conversation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct InviteHead<'a> {
    pub local: &'a Local,
    pub identity: &'a str,
    pub target: &'a str,
    pub route: &'a [String],
    pub call_id: &'a str,
    pub from_tag: &'a str,
    pub branch: &'a str,
    /// The whole Contact value (see `ContactTags::service_contact`).
    pub contact: &'a str,
    pub conversation: &'a Conversation,
}

/// The ICSI of a mode, unencoded.
pub(crate) fn icsi(mode: Mode) -> &'static str {
    match mode {
        Mode::Session => CPM_SESSION_ICSI,
        Mode::Large => CPM_LARGEMSG_ICSI,
    }
}

/// Writes an INVITE in `mode` with `body` of `content_type`.
pub(crate) fn invite(
    head: &InviteHead<'_>,
    mode: Mode,
    content_type: &str,
    body: Vec<u8>,
    faults: &Faults,
) -> Message {
    let icsi = icsi(mode);
    let mut builder = RequestHead {
        method: "INVITE",
        request_uri: head.target,
        from: head.identity,
        from_tag: head.from_tag,
        to: head.target,
        call_id: head.call_id,
        cseq: 1,
        route: head.route,
    }
    .start(head.local, head.branch)
    .header("Contact", head.contact);
    if !(mode == Mode::Session && faults.has(Fault::SessionWithoutIcsi)) {
        let encoded = icsi.replace(':', "%3A");
        builder = builder.header(
            "Accept-Contact",
            &format!("*;+g.3gpp.icsi-ref=\"{encoded}\""),
        );
    }
    builder
        .header("P-Preferred-Service", icsi)
        .header("P-Preferred-Identity", &format!("<{}>", head.identity))
        .header("Conversation-ID", &head.conversation.conversation_id)
        .header("Contribution-ID", &head.conversation.contribution_id)
        .header("Supported", "timer")
        .header("Session-Expires", SESSION_EXPIRES)
        .header("Allow", ALLOW)
        .body(content_type, body)
        .build()
}

/// The CPIM envelope of a large message: its headers and inner Content-Type without the payload
/// (protocols.md §4.5), unless a fault inlines it.
pub(crate) fn envelope(identity: &str, target: &str, chat: &Chat<'_>, faults: &Faults) -> Vec<u8> {
    let payload = match faults.has(Fault::LargemsgInlinePayload) {
        true => chat.text,
        false => "",
    };
    let empty = Chat {
        text: payload,
        ..*chat
    };
    pager::message_cpim(identity, target, &empty, faults)
}

/// The `multipart/mixed` body of a large-message INVITE: the envelope, then the SDP.
/// Returns the Content-Type (with its boundary) and the body.
pub(crate) fn large_body(envelope: Vec<u8>, sdp: Vec<u8>, boundary: &str) -> (String, Vec<u8>) {
    let parts = [
        Part::new("message/cpim", envelope),
        Part::new("application/sdp", sdp),
    ];
    (
        format!("multipart/mixed; boundary={boundary}"),
        multipart::build(&parts, boundary),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcs_harness::events::Transport;
    use rcs_proto::cpim::CpimMessage;

    const ALICE: &str = "sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org";
    const BOB: &str = "sip:+8613900000002@ims.mnc000.mcc460.3gppnetwork.org";

    fn faults(ids: &[&str]) -> Faults {
        let ids: Vec<String> = ids.iter().map(|f| (*f).to_owned()).collect();
        Faults::from_ids(&ids).unwrap()
    }

    fn written(mode: Mode, faults: &Faults) -> Message {
        let local = Local {
            host_port: "127.0.0.1:5070".to_owned(),
            transport: Transport::Tcp,
            msisdn: "+8613800000001".to_owned(),
        };
        let conversation = Conversation {
            conversation_id: "c0000000-0000-4000-8000-000000000001".to_owned(),
            contribution_id: "c0000000-0000-4000-8000-000000000002".to_owned(),
        };
        let head = InviteHead {
            local: &local,
            identity: ALICE,
            target: BOB,
            route: &[],
            call_id: "call-1",
            from_tag: "tagA",
            branch: "z9hG4bKabc",
            contact: "<sip:+8613800000001@127.0.0.1:5070;transport=tcp>",
            conversation: &conversation,
        };
        invite(&head, mode, "application/sdp", b"v=0\r\n".to_vec(), faults)
    }

    #[test]
    fn session_invite_carries_the_section_4_5_headers() {
        let msg = written(Mode::Session, &faults(&[]));
        assert_eq!(msg.method(), Some("INVITE"));
        assert_eq!(msg.request_uri(), Some(BOB));
        assert_eq!(
            msg.header("Accept-Contact"),
            Some("*;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\"")
        );
        assert_eq!(
            msg.header("P-Preferred-Service"),
            Some("urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session")
        );
        assert_eq!(msg.header("CSeq"), Some("1 INVITE"));
        assert_eq!(msg.header("Supported"), Some("timer"));
        assert_eq!(msg.header("Session-Expires"), Some("1800"));
        assert_eq!(
            msg.header("Conversation-ID"),
            Some("c0000000-0000-4000-8000-000000000001")
        );
        assert!(msg.header("Contribution-ID").is_some());
        assert_eq!(msg.header("Content-Type"), Some("application/sdp"));
        assert_eq!(msg.body(), b"v=0\r\n");
        assert!(msg.validate().is_empty(), "{:?}", msg.validate());
    }

    #[test]
    fn the_icsi_fault_drops_only_the_session_accept_contact() {
        let faulty = faults(&["terminal.session-without-icsi"]);
        let msg = written(Mode::Session, &faulty);
        assert_eq!(msg.header("Accept-Contact"), None);
        assert!(msg.header("P-Preferred-Service").is_some());
        let large = written(Mode::Large, &faulty);
        assert!(
            large
                .header("Accept-Contact")
                .unwrap()
                .contains("cpm.largemsg")
        );
    }

    #[test]
    fn the_envelope_keeps_the_inner_type_but_not_the_payload() {
        let chat = Chat {
            text: "a long text",
            content_type: "text/plain;charset=UTF-8",
            disposition: "positive-delivery",
            message_id: "Lg7u1Pq2xx",
            date_time: "2025-03-01T10:00:00.000+08:00",
            omit: &[],
        };
        let clean = CpimMessage::parse(&envelope(ALICE, BOB, &chat, &faults(&[]))).unwrap();
        assert_eq!(clean.content_type(), Some("text/plain;charset=UTF-8"));
        assert_eq!(clean.imdn_message_id(), Some("Lg7u1Pq2xx"));
        assert!(clean.body().is_empty());
        let inline = envelope(
            ALICE,
            BOB,
            &chat,
            &faults(&["terminal.largemsg-inline-payload"]),
        );
        assert_eq!(CpimMessage::parse(&inline).unwrap().body(), b"a long text");
    }

    #[test]
    fn large_body_is_cpim_then_sdp() {
        let (content_type, body) = large_body(
            b"From: <sip:a@x>\r\n\r\n".to_vec(),
            b"v=0\r\n".to_vec(),
            "Lm9x2Qa7",
        );
        assert_eq!(content_type, "multipart/mixed; boundary=Lm9x2Qa7");
        let parts = multipart::parse(&content_type, &body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].content_type(), Some("message/cpim"));
        assert_eq!(parts[1].content_type(), Some("application/sdp"));
        assert_eq!(parts[1].body, b"v=0\r\n");
    }
}
