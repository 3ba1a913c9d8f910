//! The SIP messages the group chat focus writes (RFC 4579 §5, RFC 5366 §5, RFC 6665 §4.2,
//! RFC 4575 §4; protocols.md §6.1-6.3), and the MSRP media it offers and answers.
//!
//! The focus answers the creator with its group session URI in Contact, marked `isfocus`
//! (unless the `focus-no-isfocus` fault), and invites each participant from that URI: From and
//! P-Asserted-Identity the group URI, Referred-By the creator, Subject, Conversation-ID,
//! Contribution-ID, the CPM session ICSI and its own SDP offer. NOTIFYs carry
//! `Event: conference` and the conference-info document. This module writes; `focus` sends.

use std::net::SocketAddr;

use rcs_proto::conference::{CONFERENCE_INFO_CONTENT_TYPE, ConferenceInfo};
use rcs_proto::msrp::MsrpUri;
use rcs_proto::sdp::{Direction, MsrpMedia, Setup};
use rcs_proto::sip::{Dialog, Message, MessageBuilder};

use super::focus_group::Reach;
use super::invite_legs::{self, ALLOW};

/// The CPM session ICSI, URN-encoded for feature tags.
const SESSION_ICSI_TAG: &str =
    "+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\"";

/// The CPM session service.
const SESSION_SERVICE: &str = "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session";

/// What the focus accepts in a group session (protocols.md §4.5, + group data for groups).
const ACCEPT_TYPES: [&str; 2] = ["message/cpim", "application/im-iscomposing+xml"];
const WRAPPED_TYPES: [&str; 4] = [
    "text/plain",
    "message/imdn+xml",
    "application/vnd.gsma.rcs-ft-http+xml",
    "application/vnd.oma.cpm-groupdata+xml",
];

/// The headers of the creator's INVITE the focus copies to the participants' INVITEs.
const COPIED: [&str; 3] = ["Conversation-ID", "Contribution-ID", "Session-Expires"];

/// The Contact of the focus: the group session URI, `isfocus` unless `isfocus` is false.
pub fn focus_contact(group_uri: &str, isfocus: bool) -> String {
    match isfocus {
        true => format!("<{group_uri}>;isfocus;{SESSION_ICSI_TAG}"),
        false => format!("<{group_uri}>;{SESSION_ICSI_TAG}"),
    }
}

/// The 200 to the creator's INVITE with the focus's SDP answer.
pub fn ok_to_creator(invite: &Message, tag: &str, contact: &str, sdp: Vec<u8>) -> Message {
    MessageBuilder::response_to(invite, 200, "OK")
        .to_tag(tag)
        .header("Contact", contact)
        .header("Supported", "timer")
        .header("Allow", ALLOW)
        .body("application/sdp", sdp)
        .build()
}

/// A response to the creator's INVITE without a body.
pub fn reject(invite: &Message, tag: &str, status: u16, reason: &str, warning: &str) -> Message {
    let mut builder = MessageBuilder::response_to(invite, status, reason).to_tag(tag);
    if !warning.is_empty() {
        builder = builder.header("Warning", warning);
    }
    builder.build()
}

/// What a participant's INVITE needs.
#[derive(Debug)]
pub struct Invitation<'a> {
    /// The creator's INVITE (the headers copied).
    pub creation: &'a Message,
    /// The group session URI.
    pub group_uri: &'a str,
    /// The participant's URI (To).
    pub to: &'a str,
    /// The Request-URI: the participant's contact.
    pub target: &'a str,
    /// Who invites (Referred-By).
    pub referred_by: &'a str,
    /// The group's subject now.
    pub subject: Option<&'a str>,
    /// The Contact of the focus.
    pub contact: &'a str,
    /// Where it goes.
    pub reach: Reach,
    /// Branch, Call-ID and From tag.
    pub branch: &'a str,
    pub call_id: &'a str,
    pub from_tag: &'a str,
    /// The SDP offer.
    pub sdp: Vec<u8>,
}

/// The focus's INVITE to a participant (protocols.md §6.1).
pub fn participant_invite(inv: Invitation<'_>) -> Message {
    let mut builder = MessageBuilder::request("INVITE", inv.target)
        .header(
            "Via",
            &invite_legs::via(inv.reach.transport, inv.reach.via_addr, inv.branch),
        )
        .header("Max-Forwards", "70")
        .header("From", &format!("<{}>;tag={}", inv.group_uri, inv.from_tag))
        .header("To", &format!("<{}>", inv.to))
        .header("Call-ID", inv.call_id)
        .header("CSeq", "1 INVITE")
        .header("Contact", inv.contact)
        .header("P-Asserted-Identity", &format!("<{}>", inv.group_uri))
        .header("Referred-By", &format!("<{}>", inv.referred_by))
        .header("Accept-Contact", &format!("*;{SESSION_ICSI_TAG}"))
        .header("P-Asserted-Service", SESSION_SERVICE);
    if let Some(subject) = inv.subject {
        builder = builder.header("Subject", subject);
    }
    for name in COPIED {
        if let Some(value) = inv.creation.header(name) {
            builder = builder.header(name, value);
        }
    }
    builder
        .header("Supported", "timer")
        .header("Allow", ALLOW)
        .body("application/sdp", inv.sdp)
        .build()
}

/// The 200 to a SUBSCRIBE: the subscription lasts `expires` seconds (RFC 6665 4.2.1.1).
pub fn subscribe_ok(subscribe: &Message, tag: &str, contact: &str, expires: u32) -> Message {
    MessageBuilder::response_to(subscribe, 200, "OK")
        .to_tag(tag)
        .header("Contact", contact)
        .header("Expires", &expires.to_string())
        .header("Event", "conference")
        .build()
}

/// A NOTIFY of `info` in `dialog`; `expires` 0 terminates the subscription (RFC 6665 4.2.2).
pub fn notify(
    dialog: &mut Dialog,
    reach: Reach,
    branch: &str,
    info: &ConferenceInfo,
    expires: u32,
) -> Message {
    let state = match expires {
        0 => "terminated;reason=timeout".to_owned(),
        n => format!("active;expires={n}"),
    };
    let contact = format!("<{}>", dialog.local_contact().trim_matches(['<', '>']));
    dialog
        .request("NOTIFY")
        .header(
            "Via",
            &invite_legs::via(reach.transport, reach.via_addr, branch),
        )
        .header("Max-Forwards", "70")
        .header("Contact", &contact)
        .header("Event", "conference")
        .header("Subscription-State", &state)
        .body(CONFERENCE_INFO_CONTENT_TYPE, info.to_xml().into_bytes())
        .build()
}

/// The ACK of a 2xx in `dialog`.
pub fn ack(dialog: &Dialog, reach: Reach, branch: &str) -> Message {
    dialog
        .ack(1)
        .header(
            "Via",
            &invite_legs::via(reach.transport, reach.via_addr, branch),
        )
        .header("Max-Forwards", "70")
        .build()
}

/// The focus's MSRP media on a member's leg with `setup`: a group session, `sendrecv`.
pub fn focus_media(local: &MsrpUri, setup: Setup) -> MsrpMedia {
    let port = match setup {
        Setup::Active => 9,
        _ => local.port().unwrap_or(9),
    };
    MsrpMedia {
        tls: local.is_secure(),
        port,
        address: local.host().to_owned(),
        path: vec![local.clone()],
        setup,
        accept_types: ACCEPT_TYPES.iter().map(|t| (*t).to_owned()).collect(),
        accept_wrapped_types: WRAPPED_TYPES.iter().map(|t| (*t).to_owned()).collect(),
        direction: Direction::SendRecv,
        max_size: None,
        cema: false,
    }
}

/// Where requests in a dialog with `remote_target` go: over TLS the connection the peer used,
/// else the target's IP address and port when it has one, else where its request came from.
pub fn dialog_dst(remote_target: &str, tls: bool, src: SocketAddr) -> SocketAddr {
    if tls {
        return src;
    }
    let uri = rcs_proto::sip::Uri::parse(remote_target).ok();
    let ip = uri.as_ref().and_then(|u| match u.host()? {
        rcs_proto::sip::Host::Ipv4(ip) => Some(std::net::IpAddr::V4(*ip)),
        rcs_proto::sip::Host::Ipv6(ip) => Some(std::net::IpAddr::V6(*ip)),
        rcs_proto::sip::Host::Domain(_) => None,
    });
    match (ip, uri.and_then(|u| u.port())) {
        (Some(ip), Some(port)) => SocketAddr::new(ip, port),
        (Some(ip), None) => SocketAddr::new(ip, 5060),
        _ => src,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_harness::events::Transport;

    use super::*;

    #[test]
    fn the_focus_contact_is_marked_isfocus_unless_faulty() {
        let contact = focus_contact("sip:grp-1@ims", true);
        let parsed = rcs_proto::sip::NameAddr::parse(&contact).unwrap();
        assert_eq!(parsed.param("isfocus"), Some(None));
        let plain = focus_contact("sip:grp-1@ims", false);
        let parsed = rcs_proto::sip::NameAddr::parse(&plain).unwrap();
        assert_eq!(parsed.param("isfocus"), None);
    }

    #[test]
    fn a_participant_invite_comes_from_the_group_and_names_the_inviter() {
        let creation = Message::parse(bytes::Bytes::from_static(
            b"INVITE sip:conf-factory@ims SIP/2.0\r\nSubject: lunch\r\nConversation-ID: c1\r\n\
Contribution-ID: d1\r\nContent-Length: 0\r\n\r\n",
        ))
        .unwrap();
        let addr: SocketAddr = "127.0.0.1:5060".parse().unwrap();
        let invite = participant_invite(Invitation {
            creation: &creation,
            group_uri: "sip:grp-1@ims",
            to: "sip:+8613800000002@ims",
            target: "sip:+8613800000002@127.0.0.1:5070",
            referred_by: "sip:+8613800000001@ims",
            subject: Some("lunch"),
            contact: &focus_contact("sip:grp-1@ims", true),
            reach: Reach {
                transport: Transport::Tcp,
                dst: addr,
                via_addr: addr,
            },
            branch: "z9hG4bKf1",
            call_id: "call-f1",
            from_tag: "ft1",
            sdp: b"v=0\r\n".to_vec(),
        });
        assert!(invite.validate().is_empty(), "{:?}", invite.validate());
        assert_eq!(invite.header("From"), Some("<sip:grp-1@ims>;tag=ft1"));
        assert_eq!(
            invite.header("Referred-By"),
            Some("<sip:+8613800000001@ims>")
        );
        assert_eq!(invite.header("Subject"), Some("lunch"));
        assert_eq!(invite.header("Conversation-ID"), Some("c1"));
        assert_eq!(invite.header("Contribution-ID"), Some("d1"));
        assert!(invite.header("Contact").unwrap().contains("isfocus"));
        assert_eq!(
            dialog_dst("sip:+8613800000002@127.0.0.1:5070", false, addr),
            "127.0.0.1:5070".parse().unwrap()
        );
        assert_eq!(dialog_dst("sip:a@host", false, addr), addr);
    }
}
