//! The reg event notifier over real sockets: SUBSCRIBE from the registered owner, the full first
//! NOTIFY, a new version per change, the terminated NOTIFY at de-registration, expiry and
//! network de-registration on the virtual clock, refusals, unsubscription and the two faults
//! (RFC 3680, RFC 6665; protocols.md §2.5 rule 4; PLT-REG-005).

#![allow(clippy::unwrap_used)]

mod mc_support;

use std::time::Duration;

use mc_support::{Mc, Phone, TAGS, clean, rcs, start};
use pretty_assertions::assert_eq;
use rcs_proto::reginfo::{ContactEvent, ContactState, DocState, RegInfo, RegistrationState};
use rcs_proto::sip::Message;
use serde_json::{Map, Value, json};

/// A SUBSCRIBE for the reg event of `target`'s AOR, from `phone`.
fn subscribe(phone: &mut Phone, target: &str, to_tag: Option<&str>, expires: u32) -> String {
    let cseq = phone.next_cseq();
    let from = phone.sub.sip_uri();
    let to_tag = to_tag.map(|t| format!(";tag={t}")).unwrap_or_default();
    format!(
        "SUBSCRIBE {target} SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\n\
From: <{from}>;tag=sub1\r\nTo: <{target}>{to_tag}\r\nCall-ID: sub-{msisdn}@test\r\n\
CSeq: {cseq} SUBSCRIBE\r\nContact: <{contact}>\r\nEvent: reg\r\n\
Accept: application/reginfo+xml\r\nExpires: {expires}\r\nContent-Length: 0\r\n\r\n",
        via = phone.via(),
        msisdn = phone.sub.msisdn,
        contact = phone.contact_uri(),
    )
}

/// 200 (or `status`) to a NOTIFY, its headers copied as they are.
fn answer(request: &Message, status: u16) -> Vec<u8> {
    let mut out = format!("SIP/2.0 {status} X\r\n");
    for via in request.header_all("Via") {
        out.push_str(&format!("Via: {via}\r\n"));
    }
    for name in ["From", "To", "Call-ID", "CSeq"] {
        out.push_str(&format!("{name}: {}\r\n", request.header(name).unwrap()));
    }
    out.push_str("Content-Length: 0\r\n\r\n");
    out.into_bytes()
}

/// The next NOTIFY (answered 200) and its document.
async fn notify(phone: &mut Phone) -> (Message, RegInfo) {
    let message = phone.recv().await;
    assert_eq!(message.method(), Some("NOTIFY"), "{}", message.summary());
    phone.send(&answer(&message, 200)).await;
    let document = RegInfo::parse(message.body()).unwrap();
    (message, document)
}

/// Whether nothing arrives for a short while.
async fn quiet(phone: &mut Phone) -> bool {
    tokio::time::timeout(Duration::from_millis(300), phone.recv())
        .await
        .is_err()
}

/// A registered phone with an active subscription; returns it, the 200 and the first document.
async fn subscribed(mc: &Mc, expires: u32) -> (Phone, Message, RegInfo) {
    let mut phone = Phone::udp(rcs(1), mc.addr).await;
    let ok = phone.register_with(expires, TAGS).await;
    assert_eq!(ok.status(), Some(200));
    let aor = phone.sub.sip_uri();
    let request = subscribe(&mut phone, &aor, None, 600_000);
    phone.send(request.as_bytes()).await;
    let ok = phone.recv().await;
    assert_eq!(ok.status(), Some(200), "{}", ok.summary());
    let (_, document) = notify(&mut phone).await;
    (phone, ok, document)
}

fn contact_event(document: &RegInfo) -> (ContactState, ContactEvent) {
    let contact = &document.registrations[0].contacts[0];
    (contact.state, contact.event)
}

#[tokio::test]
async fn the_owner_gets_200_then_the_full_state_at_version_0() {
    let mc = clean().await;
    let mut phone = Phone::udp(rcs(1), mc.addr).await;
    phone.register().await;
    let aor = phone.sub.sip_uri();
    let request = subscribe(&mut phone, &aor, None, 600_000);
    phone.send(request.as_bytes()).await;
    let ok = phone.recv().await;
    assert_eq!(ok.status(), Some(200));
    assert_eq!(
        ok.expires().unwrap(),
        Some(3600),
        "min(600000, max-expires)"
    );
    assert!(ok.to_header().unwrap().tag().is_some());
    assert!(ok.header("Contact").is_some());
    let (message, document) = notify(&mut phone).await;
    assert_eq!(message.header("Event"), Some("reg"));
    assert_eq!(
        message.header("Content-Type"),
        Some("application/reginfo+xml")
    );
    let state = message.header("Subscription-State").unwrap();
    assert!(state.starts_with("active;expires=36"), "{state}");
    assert_eq!(
        message.call_id(),
        Some(format!("sub-{}@test", rcs(1).msisdn).as_str())
    );
    assert_eq!(
        message.to_header().unwrap().tag(),
        Some("sub1"),
        "the NOTIFY is in the subscription's dialog"
    );
    assert_eq!((document.version, document.state), (0, DocState::Full));
    let registration = &document.registrations[0];
    assert_eq!(registration.aor, aor);
    assert_eq!(registration.state, RegistrationState::Active);
    assert_eq!(
        contact_event(&document),
        (ContactState::Active, ContactEvent::Registered)
    );
    assert_eq!(registration.contacts[0].uri, phone.contact_uri());
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn each_change_is_the_next_version_and_the_end_is_terminated() {
    let mc = clean().await;
    let (mut phone, _, first) = subscribed(&mc, 600_000).await;
    assert_eq!(first.version, 0);
    assert_eq!(phone.register().await.status(), Some(200));
    let (_, refreshed) = notify(&mut phone).await;
    assert_eq!(refreshed.version, 1);
    assert_eq!(
        contact_event(&refreshed),
        (ContactState::Active, ContactEvent::Refreshed)
    );
    assert_eq!(phone.register_with(0, TAGS).await.status(), Some(200));
    let (message, ended) = notify(&mut phone).await;
    assert_eq!(ended.version, 2);
    assert_eq!(
        message.header("Subscription-State"),
        Some("terminated;reason=noresource")
    );
    assert_eq!(ended.registrations[0].state, RegistrationState::Terminated);
    assert_eq!(
        contact_event(&ended),
        (ContactState::Terminated, ContactEvent::Unregistered)
    );
    assert!(phone.register().await.status() == Some(200));
    assert!(quiet(&mut phone).await, "the subscription is over");
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn an_expired_binding_is_notified_on_the_virtual_clock() {
    let mc = clean().await;
    let (mut phone, _, _) = subscribed(&mc, 60).await;
    mc.clock.advance(Duration::from_secs(59)).await;
    assert!(quiet(&mut phone).await);
    mc.clock.advance(Duration::from_secs(2)).await;
    let (message, document) = notify(&mut phone).await;
    assert!(
        message
            .header("Subscription-State")
            .unwrap()
            .starts_with("terminated")
    );
    assert_eq!(
        contact_event(&document),
        (ContactState::Terminated, ContactEvent::Expired)
    );
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn network_deregistration_is_an_action_with_its_event() {
    let mc = clean().await;
    let (mut phone, _, _) = subscribed(&mc, 600_000).await;
    let params = |user: &str, event: &str| -> Map<String, Value> {
        json!({ "user": user, "event": event })
            .as_object()
            .unwrap()
            .clone()
    };
    let user = phone.sub.tel_uri();
    let out = mc
        .agent
        .act("deregister", &params(&user, "rejected"))
        .await
        .unwrap();
    assert_eq!(out.values["notifies"], "1");
    let (_, document) = notify(&mut phone).await;
    assert_eq!(
        contact_event(&document),
        (ContactState::Terminated, ContactEvent::Rejected)
    );
    let again = mc
        .agent
        .act("deregister", &params(&user, "deactivated"))
        .await;
    assert!(again.unwrap_err().to_string().contains("not registered"));
    let unknown = mc
        .agent
        .act("deregister", &params("tel:+999", "deactivated"))
        .await;
    assert!(unknown.is_err());
    let bad = mc
        .agent
        .act("deregister", &params(&user, "probation"))
        .await;
    assert!(bad.unwrap_err().to_string().contains("probation"));
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn only_the_registered_owner_may_subscribe() {
    let mc = clean().await;
    let mut owner = Phone::udp(rcs(1), mc.addr).await;
    let aor = owner.sub.sip_uri();
    let request = subscribe(&mut owner, &aor, None, 600_000);
    owner.send(request.as_bytes()).await;
    assert_eq!(owner.recv().await.status(), Some(403), "not registered yet");
    owner.register().await;
    let mut other = Phone::udp(rcs(2), mc.addr).await;
    other.register().await;
    let request = subscribe(&mut other, &aor, None, 600_000);
    other.send(request.as_bytes()).await;
    assert_eq!(other.recv().await.status(), Some(403), "someone else's AOR");
    let wrong_accept = subscribe(&mut owner, &aor, None, 600_000)
        .replace("application/reginfo+xml", "application/pidf+xml");
    owner.send(wrong_accept.as_bytes()).await;
    assert_eq!(owner.recv().await.status(), Some(406));
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn expires_zero_in_the_dialog_ends_the_subscription() {
    let mc = clean().await;
    let (mut phone, ok, _) = subscribed(&mc, 600_000).await;
    let tag = ok.to_header().unwrap().tag().unwrap().to_owned();
    let aor = phone.sub.sip_uri();
    let refresh = subscribe(&mut phone, &aor, Some(&tag), 600);
    phone.send(refresh.as_bytes()).await;
    let ok = phone.recv().await;
    assert_eq!((ok.status(), ok.expires().unwrap()), (Some(200), Some(600)));
    let (message, document) = notify(&mut phone).await;
    assert!(
        message
            .header("Subscription-State")
            .unwrap()
            .starts_with("active;expires=600")
    );
    assert_eq!(document.version, 1, "a refresh gets the full state again");
    let end = subscribe(&mut phone, &aor, Some(&tag), 0);
    phone.send(end.as_bytes()).await;
    assert_eq!(phone.recv().await.status(), Some(200));
    let (message, _) = notify(&mut phone).await;
    assert_eq!(message.header("Subscription-State"), Some("terminated"));
    let stale = subscribe(&mut phone, &aor, Some(&tag), 600);
    phone.send(stale.as_bytes()).await;
    assert_eq!(phone.recv().await.status(), Some(481));
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn a_refused_notify_ends_the_subscription() {
    let mc = clean().await;
    let (mut phone, _, _) = subscribed(&mc, 600_000).await;
    phone.register().await;
    let message = phone.recv().await;
    phone.send(&answer(&message, 481)).await;
    phone.register().await;
    assert!(quiet(&mut phone).await, "no NOTIFY after a 481");
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn the_version_fault_repeats_version_0() {
    let mc = start(
        &["message-center.reg-notify-no-version-increase"],
        Value::Null,
    )
    .await;
    let (mut phone, _, first) = subscribed(&mc, 600_000).await;
    phone.register().await;
    let (_, second) = notify(&mut phone).await;
    assert_eq!((first.version, second.version), (0, 0));
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn the_terminated_fault_sends_nothing_at_the_end() {
    let mc = start(&["message-center.no-terminated-notify"], Value::Null).await;
    let (mut phone, _, _) = subscribed(&mc, 600_000).await;
    assert_eq!(phone.register_with(0, TAGS).await.status(), Some(200));
    assert!(quiet(&mut phone).await);
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn barred_first_impu_puts_a_barred_identity_first() {
    let mc = start(&[], json!({ "barred-first-impu": true })).await;
    let mut phone = Phone::udp(rcs(1), mc.addr).await;
    let ok = phone.register().await;
    let sub = rcs(1);
    assert_eq!(
        ok.header("P-Associated-URI").unwrap(),
        format!(
            "<sip:{}.barred@{}>;barred, <{}>, <{}>",
            sub.msisdn,
            sub.domain,
            sub.sip_uri(),
            sub.tel_uri()
        )
    );
    mc.agent.shutdown().await;
}
