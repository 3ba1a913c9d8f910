//! The focus sans-IO: a creation INVITE in, its 200 and the participants' INVITEs out; their
//! answers, a subscription, a departure and a subject change, with the NOTIFYs each one causes.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use rcs_harness::events::Transport;
use rcs_proto::msrp::MsrpUri;
use rcs_proto::multipart::{self, Part};
use rcs_proto::resource_lists::ResourceLists;
use rcs_proto::sdp::Setup;
use rcs_proto::sip::{Message, MessageBuilder, NameAddr};

use super::*;
use crate::message_center::config::Faults;
use crate::message_center::focus_relay::FocusCommand;

const ALICE: &str = "sip:+8613800000001@ims";
const BOB: &str = "sip:+8613800000002@ims";
const CAROL: &str = "sip:+8613800000003@ims";

fn addr(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], port))
}

fn focus(faults: &[&str]) -> Focus {
    let ids: Vec<String> = faults.iter().map(|f| (*f).to_owned()).collect();
    let mut focus = Focus::new("sip:conf-factory@ims", Faults::from_ids(&ids).unwrap());
    let next = std::sync::atomic::AtomicU16::new(1);
    focus.set_msrp(FocusMsrp::new(move |_| {
        let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Some(MsrpUri::new(false, "127.0.0.1", 7000, &format!("focus{n}")))
    }));
    focus
}

fn arrival(port: u16) -> Arrival {
    Arrival {
        transport: Transport::Tcp,
        src: addr(port),
        via_addr: addr(5060),
        gateway: None,
    }
}

fn hop(uri: &str) -> Option<Hop> {
    let port = match uri {
        BOB => 5072,
        CAROL => 5073,
        _ => return None,
    };
    Some(Hop {
        uri: uri.to_owned(),
        target: format!("sip:{}@127.0.0.1:{port};transport=tcp", &uri[4..18]),
        reach: Reach {
            transport: Transport::Tcp,
            dst: addr(port),
            via_addr: addr(5060),
        },
    })
}

fn sdp(setup: Setup, session: &str) -> Vec<u8> {
    let local = MsrpUri::new(false, "127.0.0.1", 4000, session);
    let media = super::super::focus_sip::focus_media(&local, setup);
    media.to_sdp("127.0.0.1", 1).to_bytes()
}

fn creation(require: bool, members: &[&str]) -> Message {
    let list = ResourceLists::recipients(members.iter().copied()).to_xml();
    let parts = [
        Part::new("application/sdp", sdp(Setup::Active, "alice1")),
        Part::new("application/resource-lists+xml", list.into_bytes())
            .with_header("Content-Disposition", "recipient-list"),
    ];
    let mut builder = MessageBuilder::request("INVITE", "sip:conf-factory@ims")
        .header("Via", "SIP/2.0/TCP 127.0.0.1:5071;branch=z9hG4bKc1")
        .header("Max-Forwards", "70")
        .header("From", &format!("<{ALICE}>;tag=a1"))
        .header("To", "<sip:conf-factory@ims>")
        .header("Call-ID", "create-1")
        .header("CSeq", "1 INVITE")
        .header(
            "Contact",
            "<sip:+8613800000001@127.0.0.1:5071;transport=tcp>",
        )
        .header("Subject", "lunch")
        .header("Conversation-ID", "conv-1")
        .header("Contribution-ID", "contrib-1");
    if require {
        builder = builder.header("Require", "recipient-list-invite");
    }
    builder
        .body(
            "multipart/mixed;boundary=b1",
            multipart::build(&parts, "b1"),
        )
        .build()
}

fn parsed(out: &[Transmit]) -> Vec<Message> {
    out.iter()
        .map(|t| Message::parse(t.bytes.clone()).unwrap())
        .collect()
}

/// A group of alice, bob and carol, both invitees connected; returns the group URI.
fn group_of_three(focus: &mut Focus, now: Instant) -> (String, Vec<Message>) {
    let out = parsed(&focus.create(
        &creation(true, &[BOB, CAROL]),
        arrival(5071),
        Some(&format!("<{ALICE}>")),
        &hop,
        now,
    ));
    let ok = &out[0];
    let group = NameAddr::parse(ok.header("Contact").unwrap())
        .unwrap()
        .uri
        .to_string();
    let invites: Vec<Message> = out[1..].to_vec();
    for (invite, session) in invites.iter().zip(["bob1", "carol1"]) {
        let answer = MessageBuilder::response_to(invite, 200, "OK")
            .to_tag(session)
            .header("Contact", &format!("<{}>", invite.request_uri().unwrap()))
            .body("application/sdp", sdp(Setup::Active, session))
            .build();
        let acked = parsed(&focus.on_response(&answer, now).unwrap());
        assert_eq!(acked[0].method(), Some("ACK"));
    }
    (group, invites)
}

fn in_dialog(
    method: &str,
    invite: &Message,
    to_tag: &str,
    extra: &[(&str, &str)],
    body: Option<(&str, &str)>,
) -> Message {
    let from = invite.header("To").unwrap();
    let to = invite.header("From").unwrap();
    let mut builder =
        MessageBuilder::request(method, &NameAddr::parse(to).unwrap().uri.to_string())
            .header(
                "Via",
                &format!("SIP/2.0/TCP 127.0.0.1:5072;branch=z9hG4bK{method}{to_tag}"),
            )
            .header("Max-Forwards", "70")
            .header("From", &format!("{from};tag={to_tag}"))
            .header("To", to)
            .header("Call-ID", invite.call_id().unwrap())
            .header("CSeq", &format!("2 {method}"));
    for (name, value) in extra {
        builder = builder.header(name, value);
    }
    match body {
        Some((content_type, text)) => builder.body(content_type, text.as_bytes().to_vec()),
        None => builder,
    }
    .build()
}

fn subscribe(group: &str, from: &str) -> Message {
    MessageBuilder::request("SUBSCRIBE", group)
        .header("Via", "SIP/2.0/TCP 127.0.0.1:5072;branch=z9hG4bKs1")
        .header("Max-Forwards", "70")
        .header("From", &format!("<{from}>;tag=s1"))
        .header("To", &format!("<{group}>"))
        .header("Call-ID", "sub-1")
        .header("CSeq", "1 SUBSCRIBE")
        .header(
            "Contact",
            "<sip:+8613800000002@127.0.0.1:5072;transport=tcp>",
        )
        .header("Event", "conference")
        .header("Accept", "application/conference-info+xml")
        .build()
}

#[test]
fn a_creation_is_answered_with_isfocus_and_every_participant_is_invited() {
    let mut focus = focus(&[]);
    let now = Instant::now();
    let out = focus.create(
        &creation(true, &[BOB, CAROL, "sip:+8613800000009@ims"]),
        arrival(5071),
        Some(&format!("<{ALICE}>")),
        &hop,
        now,
    );
    let messages = parsed(&out);
    assert_eq!(messages[0].status(), Some(200));
    assert!(messages[0].header("Contact").unwrap().contains(";isfocus"));
    assert_eq!(
        out[0].dst,
        addr(5071),
        "the 200 goes where the INVITE came from"
    );
    let invited: Vec<_> = messages[1..]
        .iter()
        .map(|m| m.header("To").unwrap().to_owned())
        .collect();
    assert_eq!(
        invited,
        [format!("<{BOB}>"), format!("<{CAROL}>")],
        "the unregistered one is not invited"
    );
    for invite in &messages[1..] {
        assert_eq!(invite.header("Referred-By"), Some(&*format!("<{ALICE}>")));
        assert_eq!(invite.header("Subject"), Some("lunch"));
        assert!(invite.header("From").unwrap().starts_with("<sip:grp-"));
    }
    assert!(matches!(
        focus.poll_command(),
        Some(FocusCommand::Join { .. })
    ));
    assert!(
        focus.poll_command().is_none(),
        "invitees join once they answer"
    );
}

#[test]
fn a_creation_needs_the_require_and_the_list() {
    let mut focus = focus(&[]);
    let now = Instant::now();
    let alice = format!("<{ALICE}>");
    let out = parsed(&focus.create(
        &creation(false, &[BOB]),
        arrival(5071),
        Some(&alice),
        &hop,
        now,
    ));
    assert_eq!(out[0].status(), Some(421));
    let out = parsed(&focus.create(&creation(true, &[BOB]), arrival(5071), None, &hop, now));
    assert_eq!(out[0].status(), Some(403), "the creator must be registered");
    let mut plain = creation(true, &[BOB]);
    plain = MessageBuilder::request("INVITE", "sip:conf-factory@ims")
        .header("Via", plain.header("Via").unwrap())
        .header("From", plain.header("From").unwrap())
        .header("To", plain.header("To").unwrap())
        .header("Call-ID", "create-2")
        .header("CSeq", "1 INVITE")
        .header("Require", "recipient-list-invite")
        .body("application/sdp", sdp(Setup::Active, "a2"))
        .build();
    let out = parsed(&focus.create(&plain, arrival(5071), Some(&alice), &hop, now));
    assert_eq!(out[0].status(), Some(400));
    assert!(focus.groups.is_empty());
}

#[test]
fn subscribers_get_the_full_state_then_each_change_with_the_next_version() {
    let mut focus = focus(&[]);
    let now = Instant::now();
    let (group, invites) = group_of_three(&mut focus, now);
    let arrival = arrival(5072);
    let (ok, out) = focus.on_request(&subscribe(&group, BOB), arrival, &hop, now);
    assert_eq!(ok.status(), Some(200));
    let notify = &parsed(&out)[0];
    let body = String::from_utf8_lossy(notify.body()).into_owned();
    assert!(
        body.contains("state=\"full\"") && body.contains("version=\"1\""),
        "{body}"
    );
    assert_eq!(
        body.matches("<status>connected</status>").count(),
        3,
        "{body}"
    );

    let bye = in_dialog("BYE", &invites[1], "carol1", &[], None);
    let (ok, out) = focus.on_request(&bye, arrival, &hop, now);
    assert_eq!(ok.status(), Some(200));
    let body = String::from_utf8_lossy(parsed(&out)[0].body()).into_owned();
    assert!(
        body.contains("version=\"2\"") && body.contains("state=\"partial\""),
        "{body}"
    );
    assert!(
        body.contains(CAROL) && body.contains("departed") && !body.contains(BOB),
        "{body}"
    );
    let leaves: Vec<_> = std::iter::from_fn(|| focus.poll_command())
        .filter(|c| matches!(c, FocusCommand::Leave { .. }))
        .collect();
    assert_eq!(leaves.len(), 1, "carol's session is closed");
}

#[test]
fn a_subscriber_behind_the_gateway_is_notified_through_it() {
    let mut focus = focus(&[]);
    let now = Instant::now();
    let (group, _) = group_of_three(&mut focus, now);
    let gateway = addr(5090);
    let arrival = Arrival {
        gateway: Some(gateway),
        ..arrival(5091)
    };
    let (ok, out) = focus.on_request(&subscribe(&group, BOB), arrival, &hop, now);
    assert_eq!(ok.status(), Some(200));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].dst, gateway, "not the contact's own address");
    assert_eq!(parsed(&out)[0].method(), Some("NOTIFY"));
}

#[test]
fn groups_are_named_in_the_carrier_s_home_domain_unless_configured() {
    let now = Instant::now();
    let cucc = "ims.mnc001.mcc460.3gppnetwork.org";
    let mut configured = focus(&[]);
    configured.adopt_home_domain(cucc);
    let (group, _) = group_of_three(&mut configured, now);
    assert!(group.ends_with("@ims"), "{group}");

    let mut default = focus(&[]);
    default.domain = rcs_harness::role::HOME_DOMAIN.to_owned();
    default.adopt_home_domain(cucc);
    let (group, _) = group_of_three(&mut default, now);
    assert!(
        group.starts_with("sip:grp-") && group.ends_with(cucc),
        "{group}"
    );
}

#[test]
fn the_version_fault_repeats_the_version() {
    let mut focus = focus(&["message-center.conference-version-not-increasing"]);
    let now = Instant::now();
    let (group, invites) = group_of_three(&mut focus, now);
    focus.on_request(&subscribe(&group, BOB), arrival(5072), &hop, now);
    let bye = in_dialog("BYE", &invites[1], "carol1", &[], None);
    let (_, out) = focus.on_request(&bye, arrival(5072), &hop, now);
    let body = String::from_utf8_lossy(parsed(&out)[0].body()).into_owned();
    assert!(body.contains("version=\"1\""), "{body}");
}

#[test]
fn only_the_chairman_changes_the_subject_and_it_is_notified() {
    let mut focus = focus(&[]);
    let now = Instant::now();
    let (group, invites) = group_of_three(&mut focus, now);
    focus.on_request(&subscribe(&group, BOB), arrival(5072), &hop, now);
    let request = rcs_proto::group_data::GroupData::set_subject("r1", "dinner").to_xml();
    let groupdata = ("application/vnd.oma.cpm-groupdata+xml", request.as_str());
    let by_bob = in_dialog("MESSAGE", &invites[0], "bob1", &[], Some(groupdata));
    let (refused, out) = focus.on_request(&by_bob, arrival(5072), &hop, now);
    assert_eq!(refused.status(), Some(403));
    assert!(out.is_empty());
    let by_alice = MessageBuilder::request("MESSAGE", &group)
        .header("Via", "SIP/2.0/TCP 127.0.0.1:5071;branch=z9hG4bKm1")
        .header("Max-Forwards", "70")
        .header("From", &format!("<{ALICE}>;tag=m1"))
        .header("To", &format!("<{group}>"))
        .header("Call-ID", "subject-1")
        .header("CSeq", "1 MESSAGE")
        .body(groupdata.0, Bytes::from(request.clone()))
        .build();
    let (ok, out) = focus.on_request(&by_alice, arrival(5071), &hop, now);
    assert_eq!(ok.status(), Some(200));
    assert!(String::from_utf8_lossy(ok.body()).contains("<responsecode>200</responsecode>"));
    let body = String::from_utf8_lossy(parsed(&out)[0].body()).into_owned();
    assert!(
        body.contains("<subject>dinner</subject>") && body.contains("version=\"2\""),
        "{body}"
    );
}

#[test]
fn a_refer_invites_the_new_participant_unless_faulty() {
    for (faults, invites) in [(&[][..], 1), (&["message-center.refer-not-invited"][..], 0)] {
        let mut focus = focus(faults);
        let now = Instant::now();
        let out = parsed(&focus.create(
            &creation(true, &[BOB]),
            arrival(5071),
            Some(&format!("<{ALICE}>")),
            &hop,
            now,
        ));
        let group = NameAddr::parse(out[0].header("Contact").unwrap())
            .unwrap()
            .uri
            .to_string();
        let refer = MessageBuilder::request("REFER", &group)
            .header("Via", "SIP/2.0/TCP 127.0.0.1:5071;branch=z9hG4bKr1")
            .header("Max-Forwards", "70")
            .header("From", &format!("<{ALICE}>;tag=a1"))
            .header("To", &format!("<{group}>"))
            .header("Call-ID", "create-1")
            .header("CSeq", "2 REFER")
            .header(
                "Contact",
                "<sip:+8613800000001@127.0.0.1:5071;transport=tcp>",
            )
            .header("Refer-To", &format!("<{CAROL}>"))
            .header("Refer-Sub", "false")
            .build();
        let (accepted, out) = focus.on_request(&refer, arrival(5071), &hop, now);
        assert_eq!(accepted.status(), Some(202));
        assert_eq!(accepted.header("Refer-Sub"), Some("false"));
        let sent: Vec<_> = parsed(&out)
            .into_iter()
            .filter(|m| m.method() == Some("INVITE"))
            .collect();
        assert_eq!(sent.len(), invites, "{faults:?}");
    }
}

#[test]
fn a_group_everyone_left_is_forgotten() {
    let mut focus = focus(&[]);
    let now = Instant::now();
    let invite = creation(true, &[BOB]);
    let out = parsed(&focus.create(
        &invite,
        arrival(5071),
        Some(&format!("<{ALICE}>")),
        &hop,
        now,
    ));
    let (ok, bob_invite) = (&out[0], &out[1]);
    let answer = MessageBuilder::response_to(bob_invite, 200, "OK")
        .to_tag("bob1")
        .header(
            "Contact",
            "<sip:+8613800000002@127.0.0.1:5072;transport=tcp>",
        )
        .body("application/sdp", sdp(Setup::Active, "bob1"))
        .build();
    focus.on_response(&answer, now).unwrap();
    let group = NameAddr::parse(ok.header("Contact").unwrap())
        .unwrap()
        .uri
        .to_string();
    let bye = in_dialog("BYE", bob_invite, "bob1", &[], None);
    assert_eq!(
        focus.on_request(&bye, arrival(5072), &hop, now).0.status(),
        Some(200)
    );
    assert_eq!(focus.groups.len(), 1, "alice is still there");
    let alice_tag = ok.to_header().unwrap().tag().unwrap().to_owned();
    let alice_bye = MessageBuilder::request("BYE", &group)
        .header("Via", "SIP/2.0/TCP 127.0.0.1:5071;branch=z9hG4bKab")
        .header("Max-Forwards", "70")
        .header("From", &format!("<{ALICE}>;tag=a1"))
        .header("To", &format!("<sip:conf-factory@ims>;tag={alice_tag}"))
        .header("Call-ID", "create-1")
        .header("CSeq", "2 BYE")
        .build();
    assert!(focus.owns(&alice_bye));
    assert_eq!(
        focus
            .on_request(&alice_bye, arrival(5071), &hop, now)
            .0
            .status(),
        Some(200)
    );
    assert!(focus.groups.is_empty());
    let ended =
        std::iter::from_fn(|| focus.poll_command()).any(|c| matches!(c, FocusCommand::End { .. }));
    assert!(ended, "the fan-out is told to stop");
    assert!(
        !focus.owns(&alice_bye),
        "the group URI is no longer the focus's"
    );
}
