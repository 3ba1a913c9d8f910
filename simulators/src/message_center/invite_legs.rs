//! The SIP messages the message center writes as a B2BUA for CPM sessions (OMA CPM participating
//! function; RFC 3261 8.1.1, 8.2.6, 9.1, 13.2.1; RFC 3325 9.1; protocols.md §4.1-4.2, §4.5).
//!
//! Leg B is a new INVITE to the callee's registered contact: a new Call-ID, From the caller's
//! asserted identity with a new tag, To the caller's To, P-Asserted-Identity the caller, the
//! CPM service headers copied (Accept-Contact, P-Preferred-Service, Conversation-ID,
//! Contribution-ID, InReplyTo-Contribution-ID, Subject, Referred-By, Supported, Session-Expires)
//! and the body the caller sent with the message center's SDP in it. Its Contact is the message
//! center's, except for a group focus's INVITE: the group session URI stays the Contact (see
//! `leg_b_contact`). Toward the caller it writes the responses of leg A with its own To tag and
//! Contact. This module decides nothing: it builds.

use std::net::SocketAddr;

use rcs_harness::events::Transport;
use rcs_proto::sip::{Message, MessageBuilder, NameAddr};

/// The headers of the caller's INVITE copied to leg B, in this order.
const COPIED: &[&str] = &[
    "P-Preferred-Service",
    "Conversation-ID",
    "Contribution-ID",
    "InReplyTo-Contribution-ID",
    "Subject",
    "Referred-By",
    "Supported",
    "Session-Expires",
];

/// The ICSIs of CPM session and large-message mode (protocols.md §4.1).
pub const CPM_ICSIS: [&str; 2] = ["oma.cpm.session", "oma.cpm.largemsg"];

/// The methods the message center handles, sessions included.
pub const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, REGISTER, OPTIONS, MESSAGE";

/// What leg B's INVITE is made of.
#[derive(Debug)]
pub struct LegB<'a> {
    /// The caller's INVITE.
    pub a_invite: &'a Message,
    /// The callee's contact URI: the Request-URI.
    pub target: &'a str,
    /// The transport to the callee.
    pub transport: Transport,
    /// The message center's address for this transport (Via, Contact).
    pub via_addr: SocketAddr,
    /// The Via branch.
    pub branch: &'a str,
    /// The new Call-ID.
    pub call_id: &'a str,
    /// The new From tag.
    pub from_tag: &'a str,
    /// The caller's asserted identity, `<uri>`.
    pub identity: &'a str,
    /// The body's Content-Type and the body, the SDP already replaced.
    pub content_type: &'a str,
    /// The body.
    pub body: &'a [u8],
    /// `message-center.strip-session-icsi`: the CPM ICSI Accept-Contact values are left out.
    pub strip_icsi: bool,
}

/// Leg B's INVITE.
pub fn leg_b_invite(leg: &LegB<'_>) -> Message {
    let a = leg.a_invite;
    let to = a.header("To").unwrap_or_default();
    let mut builder = MessageBuilder::request("INVITE", leg.target)
        .header("Via", &via(leg.transport, leg.via_addr, leg.branch))
        .header("Max-Forwards", "70")
        .header("From", &format!("{};tag={}", leg.identity, leg.from_tag))
        .header("To", to)
        .header("Call-ID", leg.call_id)
        .header("CSeq", "1 INVITE")
        .header("Contact", &leg_b_contact(a, leg.transport, leg.via_addr))
        .header("P-Asserted-Identity", leg.identity);
    for value in a.header_values("Accept-Contact") {
        if leg.strip_icsi && names_cpm_icsi(&value) {
            continue;
        }
        builder = builder.header("Accept-Contact", &value);
    }
    for name in COPIED {
        for value in a.header_all(name) {
            builder = builder.header(name, value);
        }
    }
    builder
        .header("Allow", ALLOW)
        .body(leg.content_type, leg.body.to_vec())
        .build()
}

/// Whether a header value names a CPM session or large-message ICSI.
pub fn names_cpm_icsi(value: &str) -> bool {
    CPM_ICSIS.iter().any(|icsi| value.contains(icsi))
}

/// Whether an INVITE asks for a CPM session or a large message: its Accept-Contact or its
/// P-Preferred-Service names the ICSI (protocols.md §4.1).
pub fn is_cpm_invite(invite: &Message) -> bool {
    ["Accept-Contact", "P-Preferred-Service"]
        .iter()
        .flat_map(|name| invite.header_all(name))
        .any(names_cpm_icsi)
}

/// A response of leg A with the message center's To tag.
pub fn response_to_a(a_invite: &Message, status: u16, reason: &str, tag: &str) -> MessageBuilder {
    MessageBuilder::response_to(a_invite, status, reason).to_tag(tag)
}

/// The 200 to the caller: the message center's Contact, the session timer of B's 2xx and the
/// SDP answer.
pub fn ok_to_a(
    a_invite: &Message,
    b_ok: &Message,
    tag: &str,
    transport: Transport,
    via_addr: SocketAddr,
    sdp: Vec<u8>,
) -> Message {
    let mut builder = response_to_a(a_invite, 200, "OK", tag)
        .header("Contact", &contact(a_invite, transport, via_addr));
    for name in ["Supported", "Require", "Session-Expires"] {
        for value in b_ok.header_all(name) {
            builder = builder.header(name, value);
        }
    }
    builder
        .header("Allow", ALLOW)
        .body("application/sdp", sdp)
        .build()
}

/// The CANCEL of leg B's INVITE (RFC 3261 9.1): its Request-URI, top Via, Call-ID, From, To and
/// CSeq number.
pub fn cancel(invite: &Message) -> Message {
    let uri = invite.request_uri().unwrap_or_default();
    let cseq = invite.cseq().map(|c| c.seq).unwrap_or(1);
    let mut builder = MessageBuilder::request("CANCEL", uri);
    if let Some(via) = invite.header_values("Via").into_iter().next() {
        builder = builder.header("Via", &via);
    }
    builder = builder.header("Max-Forwards", "70");
    for name in ["From", "To", "Call-ID"] {
        builder = builder.header(name, invite.header(name).unwrap_or_default());
    }
    builder.header("CSeq", &format!("{cseq} CANCEL")).build()
}

/// A Via of the message center.
pub fn via(transport: Transport, addr: SocketAddr, branch: &str) -> String {
    format!(
        "SIP/2.0/{} {addr};branch={branch}",
        transport_name(transport)
    )
}

/// Leg B's Contact. A group focus invites From its group session URI with `isfocus` in its
/// Contact (RFC 4579 5.3, protocols.md §6.1); a B2BUA on the way (the gateways at the NNI) puts
/// its own address in that Contact, so the message center names the group session URI again,
/// with the Contact's parameters: the member subscribes to the group and leaves it there. Any
/// other caller's is the message center's own.
fn leg_b_contact(a_invite: &Message, transport: Transport, addr: SocketAddr) -> String {
    let focus = a_invite
        .header("Contact")
        .and_then(|value| NameAddr::parse(value).ok())
        .filter(|c| c.param("isfocus").is_some());
    let group = a_invite.from_header().ok().map(|from| from.uri.to_string());
    let (Some(focus), Some(group)) = (focus, group) else {
        return contact(a_invite, transport, addr);
    };
    let params: String = focus
        .params
        .iter()
        .map(|(name, value)| match value {
            Some(value) => format!(";{name}={value}"),
            None => format!(";{name}"),
        })
        .collect();
    format!("<{group}>{params}")
}

/// The message center's Contact on a leg: its address, and the feature tags of the caller's
/// Contact, so the callee sees the same service (RFC 3840).
fn contact(a_invite: &Message, transport: Transport, addr: SocketAddr) -> String {
    let param = match transport {
        Transport::Udp => String::new(),
        other => format!(";transport={}", transport_name(other).to_ascii_lowercase()),
    };
    let tags: String = a_invite
        .header("Contact")
        .and_then(|value| NameAddr::parse(value).ok())
        .map(|addr| {
            addr.params
                .iter()
                .filter(|(name, _)| name.starts_with('+'))
                .map(|(name, value)| match value {
                    Some(value) => format!(";{name}={value}"),
                    None => format!(";{name}"),
                })
                .collect()
        })
        .unwrap_or_default();
    format!("<sip:mc@{addr}{param}>{tags}")
}

fn transport_name(transport: Transport) -> &'static str {
    match transport {
        Transport::Udp => "UDP",
        Transport::Tcp => "TCP",
        Transport::Tls => "TLS",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SESSION: &str =
        "*;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\"";

    fn a_invite() -> Message {
        let body = "v=0\r\n";
        let text = format!(
            "INVITE sip:+8613800000002@ims SIP/2.0\r\n\
Via: SIP/2.0/TCP 127.0.0.1:40000;branch=z9hG4bKa1\r\n\
Max-Forwards: 70\r\n\
From: <sip:+8613800000001@ims>;tag=a1\r\n\
To: <sip:+8613800000002@ims>\r\n\
Call-ID: call-a\r\nCSeq: 5 INVITE\r\n\
Contact: <sip:+8613800000001@127.0.0.1:40000;transport=tcp>;+sip.instance=\"<urn:uuid:1>\";\
+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\"\r\n\
Accept-Contact: {SESSION}\r\n\
Accept-Contact: *;+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.fthttp\";require;explicit\r\n\
P-Preferred-Service: urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session\r\n\
P-Preferred-Identity: <sip:+8613800000001@ims>\r\n\
Conversation-ID: conv-1\r\nContribution-ID: contrib-1\r\n\
InReplyTo-Contribution-ID: earlier-1\r\nSubject: hello\r\n\
Supported: timer\r\nSession-Expires: 1800\r\n\
Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        Message::parse(text.into_bytes()).unwrap()
    }

    fn leg_b(a: &Message, strip_icsi: bool) -> Message {
        leg_b_invite(&LegB {
            a_invite: a,
            target: "sip:+8613800000002@127.0.0.1:5070;transport=tcp",
            transport: Transport::Tcp,
            via_addr: "127.0.0.1:5060".parse().unwrap(),
            branch: "z9hG4bKb1",
            call_id: "call-b",
            from_tag: "mc1",
            identity: "<sip:+8613800000001@ims>",
            content_type: "application/sdp",
            body: b"v=0\r\nnew\r\n",
            strip_icsi,
        })
    }

    #[test]
    fn leg_b_is_a_new_request_with_the_cpm_headers_copied() {
        let a = a_invite();
        let b = leg_b(&a, false);
        assert_eq!(
            b.request_uri(),
            Some("sip:+8613800000002@127.0.0.1:5070;transport=tcp")
        );
        assert_eq!(b.call_id(), Some("call-b"));
        assert_eq!(b.header("From"), Some("<sip:+8613800000001@ims>;tag=mc1"));
        assert_eq!(b.header("To"), Some("<sip:+8613800000002@ims>"));
        assert_eq!(b.header("CSeq"), Some("1 INVITE"));
        assert_eq!(
            b.header_values("Via"),
            ["SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKb1"]
        );
        assert_eq!(
            b.header("P-Asserted-Identity"),
            Some("<sip:+8613800000001@ims>")
        );
        assert!(b.header("P-Preferred-Identity").is_none());
        assert_eq!(b.header_values("Accept-Contact").len(), 2);
        assert_eq!(b.header_values("Accept-Contact")[0], SESSION);
        for name in COPIED {
            assert_eq!(b.header(name), a.header(name), "{name}");
        }
        let contact = b.header("Contact").unwrap();
        assert!(
            contact.starts_with("<sip:mc@127.0.0.1:5060;transport=tcp>"),
            "{contact}"
        );
        assert!(contact.contains("oma.cpm.session"), "{contact}");
        assert!(!contact.contains("+8613800000001"), "{contact}");
        assert_eq!(b.body(), b"v=0\r\nnew\r\n");
        assert!(b.validate().is_empty(), "{:?}", b.validate());
        assert!(is_cpm_invite(&a) && is_cpm_invite(&b));
    }

    #[test]
    fn a_focus_s_invite_keeps_the_group_uri_as_contact() {
        let text = String::from_utf8_lossy(a_invite().raw())
            .replace(
                "From: <sip:+8613800000001@ims>;tag=a1",
                "From: <sip:grp-1@ims>;tag=a1\r\nReferred-By: <sip:+8613800000003@ims>",
            )
            .replace(
                "Contact: <sip:+8613800000001@127.0.0.1:40000;transport=tcp>;+sip.instance=\"<urn:uuid:1>\";",
                "Contact: <sip:+8613800000001@127.0.0.1:40000;transport=tcp>;isfocus;",
            );
        let a = Message::parse(text.into_bytes()).unwrap();
        let contact = leg_b(&a, false).header("Contact").unwrap().to_owned();
        assert!(
            contact.starts_with("<sip:grp-1@ims>;isfocus;+g.3gpp.icsi-ref="),
            "{contact}"
        );
        assert_eq!(
            leg_b(&a, false).header("Referred-By"),
            Some("<sip:+8613800000003@ims>"),
            "who invited crosses the B2BUA (RFC 3892)"
        );
    }

    #[test]
    fn the_strip_icsi_fault_leaves_out_only_the_cpm_icsi() {
        let b = leg_b(&a_invite(), true);
        let accept = b.header_values("Accept-Contact");
        assert_eq!(accept.len(), 1);
        assert!(accept[0].contains("fthttp"));
    }

    #[test]
    fn responses_to_a_carry_the_mc_tag_contact_and_answer() {
        let a = a_invite();
        let b_ok = Message::parse(
            &b"SIP/2.0 200 OK\r\nSupported: timer\r\nSession-Expires: 1800;refresher=uac\r\n\r\n"[..],
        )
        .unwrap();
        let ok = ok_to_a(
            &a,
            &b_ok,
            "mctag",
            Transport::Tcp,
            "127.0.0.1:5060".parse().unwrap(),
            b"v=0\r\n".to_vec(),
        );
        assert_eq!(ok.status(), Some(200));
        assert_eq!(ok.to_header().unwrap().tag(), Some("mctag"));
        assert_eq!(ok.header("CSeq"), Some("5 INVITE"));
        assert_eq!(ok.header("Session-Expires"), Some("1800;refresher=uac"));
        assert_eq!(ok.header("Content-Type"), Some("application/sdp"));
        assert!(ok.validate().is_empty(), "{:?}", ok.validate());
    }

    #[test]
    fn a_cancel_repeats_the_invite_transaction() {
        let b = leg_b(&a_invite(), false);
        let cancel = cancel(&b);
        assert_eq!(cancel.method(), Some("CANCEL"));
        assert_eq!(cancel.request_uri(), b.request_uri());
        assert_eq!(cancel.header("Via"), b.header("Via"));
        assert_eq!(cancel.header("From"), b.header("From"));
        assert_eq!(cancel.header("To"), b.header("To"));
        assert_eq!(cancel.header("CSeq"), Some("1 CANCEL"));
        assert!(cancel.validate().is_empty(), "{:?}", cancel.validate());
    }
}
