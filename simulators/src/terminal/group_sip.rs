//! The SIP requests a terminal writes for group chat (RFC 5366 §5, RFC 5368 §5, RFC 4488,
//! RFC 6665 §4.1, RFC 4575 §3; protocols.md §6.1-6.3): the creation INVITE to the conference
//! factory, the REFER adding participants, the SUBSCRIBE to the conference state and the group
//! data MESSAGE changing the subject. Three faults bend what is written (no resource list, no
//! `Require: recipient-list-invite`, a subject request naming the wrong target). This module
//! writes; `group` sends.

use rcs_proto::conference::CONFERENCE_INFO_CONTENT_TYPE;
use rcs_proto::group_data::{GROUP_DATA_CONTENT_TYPE, GroupData};
use rcs_proto::multipart::{self, Part};
use rcs_proto::resource_lists::{RESOURCE_LISTS_CONTENT_TYPE, ResourceLists};
use rcs_proto::sip::{Dialog, Message, MessageBuilder};

use super::faults::{Fault, Faults};
use super::invite::InviteHead;
use super::request::{ALLOW, Local, RequestHead};
use super::tags::CPM_SESSION_ICSI;

/// How long a conference subscription is asked for, in seconds.
pub(crate) const SUBSCRIBE_EXPIRES: u32 = 3600;

/// The creation INVITE to the conference factory: SDP and the `recipient-list` of `members`
/// (protocols.md §6.1).
pub(crate) fn creation_invite(
    head: &InviteHead<'_>,
    members: &[String],
    subject: Option<&str>,
    sdp: Vec<u8>,
    faults: &Faults,
) -> Message {
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
    .header("Contact", head.contact)
    .header(
        "Accept-Contact",
        &format!(
            "*;+g.3gpp.icsi-ref=\"{}\"",
            CPM_SESSION_ICSI.replace(':', "%3A")
        ),
    )
    .header("P-Preferred-Service", CPM_SESSION_ICSI)
    .header("P-Preferred-Identity", &format!("<{}>", head.identity));
    if !faults.has(Fault::GroupNoRecipientListInviteRequire) {
        builder = builder.header("Require", "recipient-list-invite");
    }
    if let Some(subject) = subject {
        builder = builder.header("Subject", subject);
    }
    builder = builder
        .header("Conversation-ID", &head.conversation.conversation_id)
        .header("Contribution-ID", &head.conversation.contribution_id)
        .header("Supported", "timer")
        .header("Session-Expires", "1800")
        .header("Allow", ALLOW);
    if faults.has(Fault::GroupInviteWithoutResourceList) {
        return builder.body("application/sdp", sdp).build();
    }
    let list = ResourceLists::recipients(members.iter().map(String::as_str)).to_xml();
    let parts = [
        Part::new("application/sdp", sdp),
        Part::new(RESOURCE_LISTS_CONTENT_TYPE, list.into_bytes())
            .with_header("Content-Disposition", "recipient-list"),
    ];
    let boundary = super::ids::cnonce();
    builder
        .body(
            &format!("multipart/mixed;boundary={boundary}"),
            multipart::build(&parts, &boundary),
        )
        .build()
}

/// A REFER in the group's dialog adding `members` (protocols.md §6.3): with `list`, a `cid:`
/// Refer-To pointing at the resource list in the body; else the one URI in Refer-To.
pub(crate) fn refer(
    dialog: &mut Dialog,
    local: &Local,
    branch: &str,
    contact: &str,
    (members, list): (&[String], bool),
    domain: &str,
) -> Message {
    let builder = dialog
        .request("REFER")
        .header("Via", &local.via(branch))
        .header("Max-Forwards", "70")
        .header("Contact", contact)
        .header("Refer-Sub", "false")
        .header("Supported", "norefersub");
    match members {
        [one] if !list => builder.header("Refer-To", &format!("<{one}>")).build(),
        _ => {
            let cid = format!("{}@{domain}", super::ids::cnonce());
            let list = ResourceLists::recipients(members.iter().map(String::as_str)).to_xml();
            builder
                .header("Refer-To", &format!("<cid:{cid}>"))
                .header("Require", "multiple-refer")
                .header("Content-ID", &format!("<{cid}>"))
                .header("Content-Disposition", "recipient-list")
                .body(RESOURCE_LISTS_CONTENT_TYPE, list.into_bytes())
                .build()
        }
    }
}

/// A SUBSCRIBE to the conference state of the group (protocols.md §6.2).
pub(crate) fn subscribe(
    head: &RequestHead<'_>,
    local: &Local,
    branch: &str,
    contact: &str,
) -> Message {
    head.start(local, branch)
        .header("Contact", contact)
        .header("Event", "conference")
        .header("Accept", CONFERENCE_INFO_CONTENT_TYPE)
        .header("Expires", &SUBSCRIBE_EXPIRES.to_string())
        .header("Allow", ALLOW)
        .build()
}

/// The chairman's subject change: a MESSAGE with a `cpm-group-management` request to the group
/// (protocols.md §6.3). The `subject-wrong-target` fault names `icon` as the target.
pub(crate) fn subject_message(
    head: &RequestHead<'_>,
    local: &Local,
    branch: &str,
    (conversation_id, contribution_id): (&str, &str),
    subject: &str,
    faults: &Faults,
) -> Message {
    let target = match faults.has(Fault::SubjectWrongTarget) {
        true => "icon",
        false => "subject",
    };
    let document = GroupData::request(
        &super::ids::cnonce(),
        target,
        "set",
        vec![("subject", subject)],
    );
    head.start(local, branch)
        .header("P-Preferred-Service", CPM_SESSION_ICSI)
        .header("Conversation-ID", conversation_id)
        .header("Contribution-ID", contribution_id)
        .body(GROUP_DATA_CONTENT_TYPE, document.to_xml().into_bytes())
        .build()
}

/// The 200 to a NOTIFY.
pub(crate) fn notify_ok(notify: &Message) -> Message {
    MessageBuilder::response_to(notify, 200, "OK").build()
}

#[cfg(test)]
mod tests {
    use rcs_harness::events::Transport;

    use super::*;
    use crate::terminal::pager::Conversation;

    fn faults(ids: &[&str]) -> Faults {
        let ids: Vec<String> = ids.iter().map(|f| (*f).to_owned()).collect();
        Faults::from_ids(&ids).unwrap()
    }

    fn written(faults: &Faults) -> Message {
        let local = Local {
            host_port: "127.0.0.1:5070".to_owned(),
            transport: Transport::Tcp,
            msisdn: "+8613800000001".to_owned(),
        };
        let conversation = Conversation {
            conversation_id: "c1".to_owned(),
            contribution_id: "d1".to_owned(),
        };
        let head = InviteHead {
            local: &local,
            identity: "sip:+8613800000001@ims",
            target: "sip:conf-factory@ims",
            route: &[],
            call_id: "call-1",
            from_tag: "t1",
            branch: "z9hG4bKg1",
            contact: "<sip:+8613800000001@127.0.0.1:5070;transport=tcp>",
            conversation: &conversation,
        };
        let members = [
            "sip:+8613800000002@ims".to_owned(),
            "tel:+8613800000003".to_owned(),
        ];
        creation_invite(
            &head,
            &members,
            Some("周末聚餐"),
            b"v=0\r\n".to_vec(),
            faults,
        )
    }

    #[test]
    fn the_creation_invite_follows_section_6_1() {
        let invite = written(&faults(&[]));
        assert!(invite.validate().is_empty(), "{:?}", invite.validate());
        assert_eq!(invite.request_uri(), Some("sip:conf-factory@ims"));
        assert_eq!(invite.header("Require"), Some("recipient-list-invite"));
        assert_eq!(invite.header("Subject"), Some("周末聚餐"));
        let content_type = invite.header("Content-Type").unwrap();
        let parts = multipart::parse(content_type, invite.body()).unwrap();
        let list = multipart::find(&parts, RESOURCE_LISTS_CONTENT_TYPE).unwrap();
        assert_eq!(list.header("Content-Disposition"), Some("recipient-list"));
        let uris = ResourceLists::parse(&list.body).unwrap();
        assert_eq!(
            uris.uris(),
            ["sip:+8613800000002@ims", "tel:+8613800000003"]
        );
        assert_eq!(
            multipart::find(&parts, "application/sdp").unwrap().body,
            b"v=0\r\n"
        );
    }

    #[test]
    fn each_creation_fault_breaks_one_thing() {
        let no_list = written(&faults(&["terminal.group-invite-without-resource-list"]));
        assert_eq!(no_list.header("Content-Type"), Some("application/sdp"));
        assert!(no_list.header("Require").is_some());
        let no_require = written(&faults(&[
            "terminal.group-no-recipient-list-invite-require",
        ]));
        assert_eq!(no_require.header("Require"), None);
        assert!(
            no_require
                .header("Content-Type")
                .unwrap()
                .starts_with("multipart/mixed")
        );
    }
}
