//! Store-and-forward and revoke through the message center over real sockets (protocols.md §4.8,
//! §4.9; PLT-MSG-003/004/009/010): storage with 202, ordered deferred delivery with the original
//! CPIM, the failed IMDN on expiry (virtual time), revoke before and after delivery, and faults.

#![allow(clippy::unwrap_used)]

mod mc_support;

use std::time::Duration;

use mc_support::{Mc, Phone, clean, cpm_headers, rcs, start};
use pretty_assertions::assert_eq;
use rcs_harness::role::Subscriber;
use rcs_proto::cpim::{CpimBuilder, CpimMessage};
use rcs_proto::imdn::{DeliveryStatus, Imdn, Notification};
use rcs_proto::revoke::{REVOKE_CONTENT_TYPE, Revoke};
use rcs_proto::sip::Message;
use serde_json::json;

/// A chat CPIM from `from` to `to` with its own id, text and disposition request.
fn chat(from: &Subscriber, to: &Subscriber, id: &str, disposition: &str) -> Vec<u8> {
    CpimBuilder::new()
        .from(&from.sip_uri())
        .to(&to.sip_uri())
        .datetime("2025-03-01T10:00:00.000+08:00")
        .ns("imdn", "urn:ietf:params:imdn")
        .header("imdn.Message-ID", id)
        .header("imdn.Disposition-Notification", disposition)
        .content_type("text/plain;charset=UTF-8")
        .body(format!("消息 {id}"))
        .build()
}

/// A sends a chat MESSAGE to `to`; returns the body sent and A's answer.
async fn send_chat(
    a: &mut Phone,
    to: &Subscriber,
    id: &str,
    disposition: &str,
) -> (Vec<u8>, Message) {
    let body = chat(&a.sub, to, id, disposition);
    let request = a.message(
        &to.sip_uri(),
        &cpm_headers("conv-1", &format!("c-{id}")),
        &body,
    );
    a.send(&request).await;
    (body, a.recv().await)
}

/// A revokes message `id` sent to `to`; returns A's answer to the revoke.
async fn send_revoke(a: &mut Phone, to: &Subscriber, id: &str) -> Message {
    let body = CpimBuilder::new()
        .from(&a.sub.sip_uri())
        .to(&to.sip_uri())
        .ns("imdn", "urn:ietf:params:imdn")
        .header("imdn.Message-ID", &format!("rv-{id}"))
        .content_type(REVOKE_CONTENT_TYPE)
        .body(Revoke::new(id).to_xml())
        .build();
    let request = a.message(&to.sip_uri(), &cpm_headers("conv-1", "c-revoke"), &body);
    a.send(&request).await;
    a.recv().await
}

/// The next request `phone` gets, answered 200.
async fn take(phone: &mut Phone) -> Message {
    let request = phone.recv().await;
    assert!(request.is_request(), "{}", request.summary());
    let ok = phone.answer(&request, 200, "OK", "");
    phone.send(&ok).await;
    request
}

/// Nothing reaches `phone` for half a second.
async fn nothing_for(phone: &mut Phone) {
    let got = tokio::time::timeout(Duration::from_millis(500), phone.recv()).await;
    assert!(
        got.is_err(),
        "{} got {}",
        phone.sub.msisdn,
        got.unwrap().summary()
    );
}

/// The revoke result in a MESSAGE: its Message-ID and result.
fn revoke_result(message: &Message) -> (String, String) {
    let cpim = CpimMessage::parse(message.body()).unwrap();
    assert_eq!(cpim.content_type(), Some(REVOKE_CONTENT_TYPE));
    let xml = String::from_utf8(cpim.body().to_vec()).unwrap();
    let revoke = Revoke::parse(cpim.body()).unwrap();
    let result = xml
        .split("<result>")
        .nth(1)
        .and_then(|rest| rest.split("</result>").next())
        .unwrap()
        .to_owned();
    (revoke.message_id, result)
}

async fn registered(mc: &Mc, n: usize) -> Phone {
    let mut phone = Phone::udp(rcs(n), mc.addr).await;
    assert_eq!(phone.register().await.status(), Some(200));
    phone
}

#[tokio::test]
async fn stored_messages_are_delivered_in_order_with_the_original_cpim() {
    let mc = clean().await;
    let mut a = registered(&mc, 1).await;
    let mut bodies = Vec::new();
    for id in ["m1", "m2", "m3"] {
        let (body, answer) = send_chat(&mut a, &rcs(2), id, "positive-delivery").await;
        assert_eq!(answer.status(), Some(202), "{id} stored");
        bodies.push(body);
    }
    let mut b = Phone::udp(rcs(2), mc.addr).await;
    let registered = b.register().await;
    assert_eq!(registered.status(), Some(200));
    assert_eq!(
        registered.header("Feature-Caps"),
        Some("*;+g.gsma.rcs.msgrevoke")
    );
    for body in &bodies {
        let delivered = take(&mut b).await;
        assert_eq!(delivered.method(), Some("MESSAGE"));
        assert_eq!(delivered.body(), &body[..], "original CPIM, in order");
        assert_eq!(delivered.request_uri(), Some(b.contact_uri().as_str()));
        assert_eq!(
            delivered.header("P-Asserted-Identity"),
            Some(format!("<{}>", a.sub.sip_uri()).as_str())
        );
        assert!(
            delivered
                .from_header()
                .unwrap()
                .uri
                .to_string()
                .contains(&a.sub.msisdn)
        );
        assert_eq!(delivered.header("Conversation-ID"), Some("conv-1"));
        let accept = delivered.header_all("Accept-Contact");
        assert!(
            accept.iter().any(|v| v.contains("oma.cpm.deferred")),
            "{accept:?}"
        );
        assert!(
            delivered.validate().is_empty(),
            "{:?}",
            delivered.validate()
        );
    }
    nothing_for(&mut b).await;
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn an_unanswered_delivery_stays_stored_for_the_next_registration() {
    let mc = clean().await;
    let mut a = registered(&mc, 1).await;
    let (body, answer) = send_chat(&mut a, &rcs(2), "k1", "positive-delivery").await;
    assert_eq!(answer.status(), Some(202));
    let mut b = Phone::udp(rcs(2), mc.addr).await;
    b.register().await;
    let first = b.recv().await;
    let busy = b.answer(&first, 486, "Busy Here", "");
    b.send(&busy).await;
    nothing_for(&mut b).await;
    b.register().await;
    assert_eq!(take(&mut b).await.body(), &body[..]);
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn expiry_purges_and_sends_the_failed_imdn_the_sender_asked_for() {
    let mc = start(&[], json!({ "retention": "2min" })).await;
    let mut a = registered(&mc, 1).await;
    let (_, answer) = send_chat(&mut a, &rcs(2), "e1", "negative-delivery").await;
    assert_eq!(answer.status(), Some(202));
    let (_, answer) = send_chat(&mut a, &rcs(2), "e2", "positive-delivery").await;
    assert_eq!(answer.status(), Some(202));
    mc.clock.advance(Duration::from_secs(121)).await;
    let imdn_message = take(&mut a).await;
    assert_eq!(imdn_message.method(), Some("MESSAGE"));
    assert!(
        imdn_message
            .header("From")
            .unwrap()
            .contains(&rcs(2).msisdn)
    );
    let cpim = CpimMessage::parse(imdn_message.body()).unwrap();
    assert_ne!(cpim.imdn_message_id(), Some("e1"), "an IMDN has its own id");
    let imdn = Imdn::from_cpim(&cpim).unwrap();
    assert_eq!(imdn.message_id, "e1");
    assert_eq!(
        imdn.notification,
        Notification::Delivery(DeliveryStatus::Failed)
    );
    nothing_for(&mut a).await;
    let mut b = registered(&mc, 2).await;
    nothing_for(&mut b).await;
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn a_revoke_before_delivery_withdraws_the_message() {
    let mc = clean().await;
    let mut a = registered(&mc, 1).await;
    let (_, answer) = send_chat(&mut a, &rcs(2), "r1", "positive-delivery").await;
    assert_eq!(answer.status(), Some(202));
    assert_eq!(send_revoke(&mut a, &rcs(2), "r1").await.status(), Some(200));
    let result = take(&mut a).await;
    assert_eq!(
        revoke_result(&result),
        ("r1".to_owned(), "success".to_owned())
    );
    let mut b = registered(&mc, 2).await;
    nothing_for(&mut b).await;
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn a_revoke_after_delivery_fails_and_spares_the_recipient() {
    let mc = clean().await;
    let mut a = registered(&mc, 1).await;
    let mut b = registered(&mc, 2).await;
    let body = chat(&a.sub, &b.sub, "d1", "positive-delivery");
    let request = a.message(&b.sub.sip_uri(), &cpm_headers("conv-1", "c-d1"), &body);
    a.send(&request).await;
    assert_eq!(take(&mut b).await.body(), &body[..]);
    assert_eq!(a.recv().await.status(), Some(200));
    assert_eq!(
        send_revoke(&mut a, &b.sub.clone(), "d1").await.status(),
        Some(200)
    );
    let result = take(&mut a).await;
    assert_eq!(
        revoke_result(&result),
        ("d1".to_owned(), "failure".to_owned())
    );
    nothing_for(&mut b).await;
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn only_the_original_sender_may_revoke() {
    let mc = clean().await;
    let mut a = registered(&mc, 1).await;
    let mut c = registered(&mc, 3).await;
    let (body, _) = send_chat(&mut a, &rcs(2), "s1", "positive-delivery").await;
    assert_eq!(send_revoke(&mut c, &rcs(2), "s1").await.status(), Some(200));
    assert_eq!(revoke_result(&take(&mut c).await).1, "failure");
    let mut b = registered(&mc, 2).await;
    assert_eq!(take(&mut b).await.body(), &body[..]);
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn without_store_and_forward_offline_users_get_480() {
    let mc = start(&[], json!({ "store-and-forward": false })).await;
    let mut a = registered(&mc, 1).await;
    let (_, answer) = send_chat(&mut a, &rcs(2), "n1", "positive-delivery").await;
    assert_eq!(answer.status(), Some(480));
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn faults_break_one_rule_each() {
    let mc = start(&["message-center.saf-404-offline"], json!({})).await;
    let mut a = registered(&mc, 1).await;
    let (_, answer) = send_chat(&mut a, &rcs(2), "f1", "positive-delivery").await;
    assert_eq!(answer.status(), Some(404));
    mc.agent.shutdown().await;

    let mc = start(&["message-center.saf-out-of-order"], json!({})).await;
    let mut a = registered(&mc, 1).await;
    send_chat(&mut a, &rcs(2), "o1", "positive-delivery").await;
    let (last, _) = send_chat(&mut a, &rcs(2), "o2", "positive-delivery").await;
    let mut b = registered(&mc, 2).await;
    assert_eq!(take(&mut b).await.body(), &last[..], "newest first");
    mc.agent.shutdown().await;

    let mc = start(&["message-center.saf-rewrites-cpim"], json!({})).await;
    let mut a = registered(&mc, 1).await;
    let (body, _) = send_chat(&mut a, &rcs(2), "w1", "positive-delivery").await;
    let mut b = registered(&mc, 2).await;
    let delivered = take(&mut b).await;
    let (sent, got) = (
        CpimMessage::parse(&body).unwrap(),
        CpimMessage::parse(delivered.body()).unwrap(),
    );
    assert_ne!(got.header("DateTime"), sent.header("DateTime"));
    assert_eq!(got.imdn_message_id(), Some("w1"));
    mc.agent.shutdown().await;

    let mc = start(&["message-center.revoke-ignored"], json!({})).await;
    let mut a = registered(&mc, 1).await;
    let (body, _) = send_chat(&mut a, &rcs(2), "i1", "positive-delivery").await;
    send_revoke(&mut a, &rcs(2), "i1").await;
    assert_eq!(revoke_result(&take(&mut a).await).1, "success");
    let mut b = registered(&mc, 2).await;
    assert_eq!(take(&mut b).await.body(), &body[..], "still delivered");
    mc.agent.shutdown().await;
}
