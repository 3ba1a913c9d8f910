//! The Contact of the gateway's far leg, sans-IO: what the gateway, as a B2BUA at the NNI, says
//! about itself in the INVITE it sends on (RFC 3261 8.1.1.8, 12.1.2; RFC 3840 for feature tags;
//! RFC 5626 4.1 and RFC 5627 for the device identifiers; TS 24.229 5.10 and TS 29.165 for the
//! IBCF; protocols.md §9.1; IWK-NNI-002).
//!
//! The far leg is the gateway's own dialog, so its Contact names the gateway: its address on the
//! far leg's transport, with the originator's user part (the number of the asserted identity),
//! so the far side can still tell whose session it is. The caller's service feature tags cross
//! (the CPM ICSI in `+g.3gpp.icsi-ref`, the IARIs, the chatbot tags, `isfocus` for a group
//! focus: the far side picks its service by them), but what identifies the originating device
//! does not: `+sip.instance`, `reg-id` and the GRUU parameters. A B2BUA is the user agent of its
//! leg; a device behind it is not its to name across the border. A group focus's INVITE keeps
//! the group session URI as its Contact (RFC 4579 5.3). This module builds the value
//! only: `session` puts it on the INVITE after the border rewrite, which already removed
//! P-Access-Network-Info.

use std::net::SocketAddr;

use rcs_proto::sip::{Message, NameAddr, Uri};

use crate::message_center::rewrite::Draft;

/// Contact parameters that identify a device (RFC 5626 4.1, RFC 5627 3.1), not a service.
const DEVICE_PARAMS: &[&str] = &["+sip.instance", "reg-id", "pub-gruu", "temp-gruu", "gr"];

/// The longest user part taken from an identity.
const MAX_USER: usize = 128;

/// What the far leg's Contact is made of.
#[derive(Clone, Copy, Debug)]
pub(super) struct FarContact<'a> {
    /// The gateway's address on the far leg's transport.
    pub addr: SocketAddr,
    /// `;transport=tcp` or `;transport=tls`, or nothing over UDP.
    pub transport_param: &'a str,
    /// `peer-carrier.leak-instance`: the device identifiers cross.
    pub leak_instance: bool,
}

/// The far leg's Contact: `<sip:user@gateway>` and the service tags of `caller_contact`.
pub(super) fn contact(
    caller_contact: Option<&str>,
    identity: &str,
    far: &FarContact<'_>,
) -> String {
    let user = user_of(identity)
        .map(|user| format!("{user}@"))
        .unwrap_or_default();
    let params: String = caller_contact
        .and_then(|value| NameAddr::parse(value).ok())
        .map(|addr| {
            addr.params
                .iter()
                .filter(|(name, _)| is_service_tag(name, far.leak_instance))
                .map(|(name, value)| match value {
                    Some(value) => format!(";{name}={value}"),
                    None => format!(";{name}"),
                })
                .collect()
        })
        .unwrap_or_default();
    format!("<sip:{user}{}{}>{params}", far.addr, far.transport_param)
}

/// `invite` with its Contact replaced by the far leg's: the caller's tags from `caller`, the
/// user part from the far leg's From (the asserted identity the B2BUA put there). A group
/// focus's INVITE (`isfocus` in the caller's Contact) keeps the Contact the B2BUA gave it: the
/// group session URI is the conference's address (RFC 4579 5.3), not a device's.
pub(super) fn with_contact(caller: &Message, invite: &Message, far: &FarContact<'_>) -> Message {
    let focus = caller
        .header("Contact")
        .and_then(|value| NameAddr::parse(value).ok())
        .is_some_and(|contact| contact.param("isfocus").is_some());
    if focus {
        return invite.clone();
    }
    let identity = invite
        .from_header()
        .ok()
        .map(|from| from.uri.to_string())
        .unwrap_or_default();
    let value = contact(caller.header("Contact"), &identity, far);
    let mut draft = Draft::new(invite);
    match draft.position("Contact") {
        Some(at) => draft.replace_at(at, &value),
        None => {
            draft.insert_before_first_of(&["Content-Type", "Content-Length"], "Contact", &value)
        }
    }
    Message::parse(draft.build()).unwrap_or_else(|_| invite.clone())
}

/// The user part of a SIP identity, or the number of a tel URI; `None` when it has neither or it
/// is too long. Accepts `<uri>` or a bare URI.
fn user_of(identity: &str) -> Option<String> {
    let uri = identity
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>');
    let user = match Uri::parse(uri).ok()? {
        Uri::Sip(sip) => sip.user?,
        Uri::Tel(tel) => tel.number().to_owned(),
        Uri::Other { .. } | Uri::Wildcard => return None,
    };
    let plain = user
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.!~*'()&=+$,;?/%".contains(&b));
    (plain && !user.is_empty() && user.len() <= MAX_USER).then_some(user)
}

/// Whether a Contact parameter is a service feature tag that crosses to the far side.
fn is_service_tag(name: &str, leak_instance: bool) -> bool {
    let lower = name.to_ascii_lowercase();
    if DEVICE_PARAMS.contains(&lower.as_str()) {
        return leak_instance;
    }
    rcs_proto::sip::is_feature_tag(&lower)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const ICSI: &str = "+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\"";
    const CALLER: &str = "<sip:mc@127.0.0.1:5003;transport=tcp>;+sip.instance=\"<urn:gsma:imei:35-1-1>\";\
reg-id=1;pub-gruu=\"sip:a@ims;gr=x\";+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\";\
+g.gsma.rcs.isbot;isfocus;expires=600";

    fn far(leak_instance: bool) -> FarContact<'static> {
        FarContact {
            addr: "127.0.0.1:5001".parse().unwrap(),
            transport_param: ";transport=tcp",
            leak_instance,
        }
    }

    #[test]
    fn contact_names_the_gateway_with_the_originator_user_and_service_tags() {
        let value = contact(Some(CALLER), "<sip:+8613800000001@ims>", &far(false));
        assert_eq!(
            value,
            format!(
                "<sip:+8613800000001@127.0.0.1:5001;transport=tcp>;{ICSI};+g.gsma.rcs.isbot;isfocus"
            )
        );
    }

    #[test]
    fn device_identifiers_cross_only_under_the_fault() {
        let value = contact(Some(CALLER), "<sip:+8613800000001@ims>", &far(true));
        assert!(value.contains("+sip.instance=\"<urn:gsma:imei:35-1-1>\""));
        assert!(value.contains("reg-id=1"));
        assert!(value.contains("pub-gruu="));
        assert!(!value.contains("expires"));
    }

    #[test]
    fn tel_identity_gives_its_number_and_a_bad_one_no_user() {
        let value = contact(None, "<tel:+8613800000001>", &far(false));
        assert_eq!(value, "<sip:+8613800000001@127.0.0.1:5001;transport=tcp>");
        let value = contact(None, "<sip:ims.example>", &far(false));
        assert_eq!(value, "<sip:127.0.0.1:5001;transport=tcp>");
        let long = format!("<sip:{}@ims>", "1".repeat(MAX_USER + 1));
        assert_eq!(
            contact(None, &long, &far(false)),
            "<sip:127.0.0.1:5001;transport=tcp>"
        );
    }

    #[test]
    fn unparsable_caller_contact_gives_no_tags() {
        let value = contact(Some("<<garbage"), "<sip:+1@ims>", &far(false));
        assert_eq!(value, "<sip:+1@127.0.0.1:5001;transport=tcp>");
    }

    #[test]
    fn with_contact_replaces_the_invite_contact() {
        let caller = Message::parse(
            format!(
                "INVITE sip:gw SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5003;branch=z9hG4bKa\r\n\
From: <sip:+8613800000001@ims>;tag=a\r\nTo: <sip:+8613800000002@ims>\r\nCall-ID: a\r\n\
CSeq: 1 INVITE\r\nContact: {}\r\nContent-Length: 0\r\n\r\n",
                CALLER.replace(";isfocus", "")
            )
            .into_bytes(),
        )
        .unwrap();
        let far_invite = Message::parse(
            format!(
                "INVITE sip:peer SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5001;branch=z9hG4bKb\r\n\
From: <sip:+8613800000001@ims>;tag=b\r\nTo: <sip:+8613800000002@ims>\r\nCall-ID: b\r\n\
CSeq: 1 INVITE\r\nContact: <sip:mc@127.0.0.1:5001;transport=tcp>;{ICSI};+sip.instance=\"<x>\"\r\n\
Content-Length: 0\r\n\r\n"
            )
            .into_bytes(),
        )
        .unwrap();
        let out = with_contact(&caller, &far_invite, &far(false));
        let contact = out.header("Contact").unwrap();
        assert!(contact.starts_with("<sip:+8613800000001@127.0.0.1:5001;transport=tcp>"));
        assert!(contact.contains(ICSI));
        assert!(!contact.contains("sip.instance"));
        assert_eq!(out.header_values("Contact").len(), 1);
        assert_eq!(out.call_id(), Some("b"));
    }

    #[test]
    fn a_focus_keeps_the_group_uri_as_contact() {
        let text = |contact: &str| {
            format!(
                "INVITE sip:peer SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5001;branch=z9hG4bKb\r\n\
From: <sip:group-1@ims>;tag=b\r\nTo: <sip:+8613800000002@ims>\r\nCall-ID: b\r\n\
CSeq: 1 INVITE\r\nContact: {contact}\r\nContent-Length: 0\r\n\r\n"
            )
        };
        let group = format!("<sip:group-1@ims>;isfocus;{ICSI}");
        let caller = Message::parse(text(&group).into_bytes()).unwrap();
        let out = with_contact(&caller, &caller, &far(false));
        assert_eq!(out.header("Contact"), Some(group.as_str()));
    }
}
