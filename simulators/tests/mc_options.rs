//! Capability discovery through the message center (protocols.md §3.1, PLT-CAP-001/002/003):
//! 200 relayed with the callee's tags, 480 for an offline RCS user, 404 for a non-RCS or
//! unknown user, 200 with Allow/Accept for the message center itself, and the OPTIONS faults.

#![allow(clippy::unwrap_used)]

mod mc_support;

use mc_support::{Mc, Phone, TAGS, clean, rcs, registered_pair, start};
use pretty_assertions::assert_eq;
use rcs_harness::role::{HOME_DOMAIN, Subscriber};
use rcs_proto::sip::Message;
use serde_json::Value;

/// B's answer to OPTIONS: its capabilities in Contact (protocols.md §3.1).
fn tagged_answer(b: &Phone, request: &Message) -> Vec<u8> {
    b.answer(
        request,
        200,
        "OK",
        &format!("Contact: <{}>{TAGS}\r\n", b.contact_uri()),
    )
}

/// A asks `target`; returns A's answer.
async fn ask(a: &mut Phone, target: &str) -> Message {
    let request = a.options(target);
    a.send(request.as_bytes()).await;
    a.recv().await
}

/// A asks B, B answers with its tags; returns (what B got, what A got).
async fn round_trip(mc: &Mc) -> (Message, Message) {
    let (mut a, mut b) = registered_pair(mc).await;
    let request = a.options(&b.sub.sip_uri());
    a.send(request.as_bytes()).await;
    let relayed = b.recv().await;
    let answer = tagged_answer(&b, &relayed);
    b.send(&answer).await;
    (relayed, a.recv().await)
}

#[tokio::test]
async fn options_to_an_online_user_returns_its_own_200_with_tags() {
    let mc = clean().await;
    let (relayed, answer) = round_trip(&mc).await;
    assert_eq!(relayed.method(), Some("OPTIONS"));
    assert_eq!(
        relayed.header_values("Via").len(),
        2,
        "the message center's Via on top"
    );
    assert_eq!(answer.status(), Some(200));
    assert_eq!(
        answer.header_values("Via").len(),
        1,
        "its own Via removed again"
    );
    let expected = rcs_proto::sip::NameAddr::parse(&format!("<sip:x@y>{TAGS}")).unwrap();
    let tags = answer.contact_feature_tags().unwrap();
    let sent = rcs_proto::sip::FeatureTags::from_params(&expected.params).unwrap();
    assert_eq!(tags.normalized(), sent.normalized());
    assert!(!tags.normalized().is_empty());
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn offline_rcs_is_480_non_rcs_and_unknown_are_404() {
    let mc = clean().await;
    let mut a = Phone::udp(rcs(1), mc.addr).await;
    a.register().await;
    let offline = rcs(2);
    let non_rcs = Subscriber::builtin(1, false);
    assert_eq!(ask(&mut a, &offline.sip_uri()).await.status(), Some(480));
    assert_eq!(ask(&mut a, &offline.tel_uri()).await.status(), Some(480));
    assert_eq!(ask(&mut a, &non_rcs.tel_uri()).await.status(), Some(404));
    assert_eq!(
        ask(&mut a, "sip:+8613700000009@x").await.status(),
        Some(404)
    );
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn options_to_the_message_center_itself() {
    let mc = clean().await;
    let mut a = Phone::udp(rcs(1), mc.addr).await;
    let answer = ask(&mut a, &format!("sip:{HOME_DOMAIN}")).await;
    assert_eq!(answer.status(), Some(200));
    assert_eq!(
        answer.header("Allow"),
        Some("INVITE, ACK, BYE, CANCEL, REGISTER, OPTIONS, MESSAGE")
    );
    assert!(answer.header("Accept").unwrap().contains("message/cpim"));
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn fault_offline_as_404_changes_only_offline_users() {
    let mc = start(&["message-center.offline-as-404"], Value::Null).await;
    let mut a = Phone::udp(rcs(1), mc.addr).await;
    assert_eq!(ask(&mut a, &rcs(2).tel_uri()).await.status(), Some(404));
    let non_rcs = Subscriber::builtin(1, false);
    assert_eq!(ask(&mut a, &non_rcs.tel_uri()).await.status(), Some(404));
    mc.agent.shutdown().await;
    let mc = start(&["message-center.offline-as-404"], Value::Null).await;
    assert_eq!(round_trip(&mc).await.1.status(), Some(200));
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn fault_non_rcs_as_480_changes_only_non_rcs_users() {
    let mc = start(&["message-center.non-rcs-as-480"], Value::Null).await;
    let mut a = Phone::udp(rcs(1), mc.addr).await;
    let non_rcs = Subscriber::builtin(1, false);
    assert_eq!(ask(&mut a, &non_rcs.tel_uri()).await.status(), Some(480));
    assert_eq!(ask(&mut a, "tel:+8613700000009").await.status(), Some(480));
    assert_eq!(ask(&mut a, &rcs(2).tel_uri()).await.status(), Some(480));
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn fault_strip_contact_tags_keeps_the_contact_uri() {
    let mc = start(&["message-center.strip-contact-tags"], Value::Null).await;
    let (relayed, answer) = round_trip(&mc).await;
    assert_eq!(relayed.method(), Some("OPTIONS"));
    assert_eq!(answer.status(), Some(200));
    let contacts = answer.contacts().unwrap();
    assert_eq!(contacts.len(), 1);
    assert!(contacts[0].params.is_empty());
    assert!(
        answer
            .contact_feature_tags()
            .unwrap()
            .normalized()
            .is_empty()
    );
    mc.agent.shutdown().await;
}
