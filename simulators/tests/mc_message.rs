//! Pager MESSAGE relay through the message center (protocols.md §4.2-4.3, PLT-MSG-001/002/005,
//! ROB-SIP-005): body and headers byte-identical, P-Asserted-Identity, Via handling, CPM header
//! checks, IMDN relay, retransmissions, and the MESSAGE faults.

#![allow(clippy::unwrap_used)]

mod mc_support;

use mc_support::{Mc, Phone, clean, cpim, cpm_headers, rcs, registered_pair, start};
use pretty_assertions::assert_eq;
use rcs_harness::role::Subscriber;
use rcs_proto::imdn::{DeliveryStatus, Imdn, Notification, imdn_cpim};
use rcs_proto::sip::Message;
use serde_json::Value;

/// The raw header lines of `message`, except the names given.
fn lines_except<'a>(message: &'a Message, skip: &[&str]) -> Vec<&'a [u8]> {
    message
        .headers()
        .iter()
        .filter(|h| !skip.iter().any(|s| rcs_proto::sip::names_equal(&h.name, s)))
        .map(|h| &message.as_bytes()[h.span.clone()])
        .collect()
}

/// A's pager MESSAGE to B, with the usual CPM headers.
fn pager(a: &mut Phone, b: &Phone, id: &str) -> Vec<u8> {
    let body = cpim(&a.sub, &b.sub, id);
    a.message(
        &b.sub.sip_uri(),
        &cpm_headers(&format!("conv-{id}"), &format!("contrib-{id}")),
        &body,
    )
}

/// A sends `request` to B through the message center, B answers 200; returns (what B got, A's answer).
async fn relay(a: &mut Phone, b: &mut Phone, request: &[u8]) -> (Message, Message) {
    a.send(request).await;
    let relayed = b.recv().await;
    let answer = b.answer(&relayed, 200, "OK", "");
    b.send(&answer).await;
    (relayed, a.recv().await)
}

/// B's next message is `call_id`'s: whatever was sent before it was not relayed.
async fn next_relayed_is(b: &mut Phone, call_id: &str) {
    let next = b.recv().await;
    assert_eq!(
        next.call_id(),
        Some(call_id),
        "an earlier request was relayed"
    );
}

#[tokio::test]
async fn a_pager_message_is_relayed_unchanged_with_the_asserted_identity() {
    let mc = clean().await;
    let (mut a, mut b) = registered_pair(&mc).await;
    let request = pager(&mut a, &b, "m1");
    let sent = Message::parse(request.clone()).unwrap();
    let (relayed, answer) = relay(&mut a, &mut b, &request).await;

    assert_eq!(relayed.body(), sent.body(), "body byte-identical");
    assert_eq!(
        relayed.request_uri(),
        Some(b.contact_uri().as_str()),
        "retargeted to the contact"
    );
    assert_eq!(
        relayed.header("P-Asserted-Identity"),
        Some(format!("<{}>", a.sub.sip_uri()).as_str())
    );
    assert!(relayed.header("P-Preferred-Identity").is_none());
    assert!(
        relayed.header("Route").is_none(),
        "its own Service-Route entry is consumed"
    );
    assert_eq!(relayed.header("Max-Forwards"), Some("69"));
    // It opens the charging vector of its own user's request (RFC 7315 4.6).
    let vector = relayed.header("P-Charging-Vector").unwrap();
    assert!(vector.starts_with("icid-value="), "{vector}");
    assert!(vector.contains(";orig-ioi="), "{vector}");
    let vias = relayed.vias().unwrap();
    assert_eq!(vias.len(), 2);
    assert_eq!(vias[0].port, Some(mc.addr.port()));
    assert!(vias[0].has_rfc3261_branch());
    assert_eq!(relayed.header_values("Via")[1], sent.header("Via").unwrap());
    let changed = [
        "Via",
        "Max-Forwards",
        "Route",
        "P-Preferred-Identity",
        "P-Asserted-Identity",
        "P-Charging-Vector",
    ];
    assert_eq!(
        lines_except(&relayed, &changed),
        lines_except(&sent, &changed)
    );
    assert!(relayed.validate().is_empty(), "{:?}", relayed.validate());

    assert_eq!(answer.status(), Some(200));
    assert_eq!(
        answer.header_all("Via"),
        sent.header_all("Via"),
        "the message center's Via is gone"
    );
    assert_eq!(answer.call_id(), sent.call_id());
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn a_tel_target_over_tcp_is_relayed_on_the_registered_connection() {
    let mc = clean().await;
    let mut a = Phone::tcp(rcs(1), mc.addr).await;
    let mut b = Phone::tcp(rcs(2), mc.addr).await;
    a.register().await;
    b.register().await;
    let body = cpim(&a.sub, &b.sub, "t1");
    let request = a.message(&b.sub.tel_uri(), &cpm_headers("c", "d"), &body);
    let (relayed, answer) = relay(&mut a, &mut b, &request).await;
    assert_eq!(relayed.body(), &body[..]);
    assert!(relayed.header("Via").unwrap().starts_with("SIP/2.0/TCP"));
    assert_eq!(answer.status(), Some(200));
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn missing_cpm_headers_get_400_and_are_not_relayed() {
    let mc = clean().await;
    let (mut a, mut b) = registered_pair(&mc).await;
    let body = cpim(&a.sub, &b.sub, "m2");
    for headers in [
        "Conversation-ID: only-conv\r\n",
        "Contribution-ID: only-contrib\r\n",
    ] {
        let request = a.message(&b.sub.sip_uri(), headers, &body);
        a.send(&request).await;
        let answer = a.recv().await;
        assert_eq!(answer.status(), Some(400));
        let missing = if headers.starts_with("Conv") {
            "Contribution-ID"
        } else {
            "Conversation-ID"
        };
        assert!(
            answer.header("Warning").unwrap().contains(missing),
            "{:?}",
            answer.header("Warning")
        );
    }
    let good = pager(&mut a, &b, "m3");
    let call_id = Message::parse(good.clone())
        .unwrap()
        .call_id()
        .unwrap()
        .to_owned();
    a.send(&good).await;
    next_relayed_is(&mut b, &call_id).await;
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn offline_and_non_rcs_targets() {
    let mc = clean().await;
    let mut a = Phone::udp(rcs(1), mc.addr).await;
    a.register().await;
    // An offline RCS user's chat message is stored (202, protocols.md §4.8; see mc_saf.rs).
    for (target, status) in [(rcs(3), 202), (Subscriber::builtin(1, false), 404)] {
        let body = cpim(&a.sub, &target, "x");
        let request = a.message(&target.sip_uri(), &cpm_headers("c", "d"), &body);
        a.send(&request).await;
        assert_eq!(a.recv().await.status(), Some(status), "{}", target.msisdn);
    }
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn a_retransmission_is_answered_again_and_not_relayed_twice() {
    let mc = clean().await;
    let (mut a, mut b) = registered_pair(&mc).await;
    let request = pager(&mut a, &b, "r1");
    a.send(&request).await;
    a.send(&request).await;
    let relayed = b.recv().await;
    let answer = b.answer(&relayed, 200, "OK", "");
    b.send(&answer).await;
    let first = a.recv().await;
    a.send(&request).await;
    let again = a.recv().await;
    assert_eq!(first.status(), Some(200));
    assert_eq!(
        again.as_bytes(),
        first.as_bytes(),
        "the same response, byte for byte"
    );
    let next = pager(&mut a, &b, "r2");
    let call_id = Message::parse(next.clone())
        .unwrap()
        .call_id()
        .unwrap()
        .to_owned();
    a.send(&next).await;
    next_relayed_is(&mut b, &call_id).await;
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn max_forwards_zero_is_not_relayed() {
    let mc = clean().await;
    let (mut a, b) = registered_pair(&mc).await;
    let request = String::from_utf8(pager(&mut a, &b, "h"))
        .unwrap()
        .replace("Max-Forwards: 70", "Max-Forwards: 0");
    a.send(request.as_bytes()).await;
    assert_eq!(a.recv().await.status(), Some(483));
    mc.agent.shutdown().await;
}

/// B's IMDN for `message_id`, sent to A.
fn imdn(b: &mut Phone, a: &Phone, message_id: &str) -> Vec<u8> {
    let report = Imdn {
        message_id: message_id.to_owned(),
        datetime: "2025-03-01T10:00:01.000+08:00".to_owned(),
        recipient_uri: None,
        original_recipient_uri: None,
        notification: Notification::Delivery(DeliveryStatus::Delivered),
    };
    let body = imdn_cpim("Nw1mdn01", &report);
    b.message(&a.sub.sip_uri(), &cpm_headers("conv-i", "contrib-i"), &body)
}

#[tokio::test]
async fn an_imdn_is_relayed_like_any_message() {
    let mc = clean().await;
    let (mut a, mut b) = registered_pair(&mc).await;
    let request = imdn(&mut b, &a, "m1");
    let sent = Message::parse(request.clone()).unwrap();
    let (relayed, answer) = relay(&mut b, &mut a, &request).await;
    assert_eq!(relayed.body(), sent.body());
    assert_eq!(
        relayed.header("P-Asserted-Identity"),
        Some(format!("<{}>", b.sub.sip_uri()).as_str())
    );
    assert_eq!(answer.status(), Some(200));
    mc.agent.shutdown().await;
}

async fn faulty(fault: &str) -> (Mc, Phone, Phone) {
    let mc = start(&[fault], Value::Null).await;
    let (a, b) = registered_pair(&mc).await;
    (mc, a, b)
}

#[tokio::test]
async fn fault_rewrite_cpim_body_changes_only_the_serialisation() {
    let (mc, mut a, mut b) = faulty("message-center.rewrite-cpim-body").await;
    let request = pager(&mut a, &b, "w1");
    let sent = Message::parse(request.clone()).unwrap();
    let (relayed, _) = relay(&mut a, &mut b, &request).await;
    assert_ne!(relayed.body(), sent.body());
    let got = rcs_proto::cpim::CpimMessage::parse(relayed.body()).unwrap();
    let was = rcs_proto::cpim::CpimMessage::parse(sent.body()).unwrap();
    assert_eq!(got.header("From"), was.header("From"));
    assert_eq!(got.header("To"), was.header("To"));
    assert_eq!(got.imdn_message_id(), was.imdn_message_id());
    assert_eq!(got.body(), was.body());
    assert!(relayed.header("P-Asserted-Identity").is_some());
    assert_eq!(
        relayed.header("Conversation-ID"),
        sent.header("Conversation-ID")
    );
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn fault_drop_conversation_id() {
    let (mc, mut a, mut b) = faulty("message-center.drop-conversation-id").await;
    let request = pager(&mut a, &b, "d1");
    let sent = Message::parse(request.clone()).unwrap();
    let (relayed, answer) = relay(&mut a, &mut b, &request).await;
    assert!(relayed.header("Conversation-ID").is_none());
    assert_eq!(
        relayed.header("Contribution-ID"),
        sent.header("Contribution-ID")
    );
    assert_eq!(relayed.body(), sent.body());
    assert_eq!(answer.status(), Some(200));
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn fault_omit_p_asserted_identity() {
    let (mc, mut a, mut b) = faulty("message-center.omit-p-asserted-identity").await;
    let request = pager(&mut a, &b, "p1");
    let sent = Message::parse(request.clone()).unwrap();
    let (relayed, _) = relay(&mut a, &mut b, &request).await;
    assert!(relayed.header("P-Asserted-Identity").is_none());
    assert!(relayed.header("P-Preferred-Identity").is_none());
    assert_eq!(relayed.body(), sent.body());
    assert_eq!(
        relayed.header("Conversation-ID"),
        sent.header("Conversation-ID")
    );
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn fault_forward_without_contribution_id() {
    let (mc, mut a, mut b) = faulty("message-center.forward-without-contribution-id").await;
    let body = cpim(&a.sub, &b.sub, "f1");
    let request = a.message(&b.sub.sip_uri(), "Conversation-ID: c\r\n", &body);
    let (relayed, answer) = relay(&mut a, &mut b, &request).await;
    assert!(relayed.header("Contribution-ID").is_none());
    assert_eq!(answer.status(), Some(200));
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn fault_drop_imdn_answers_200_but_relays_only_other_messages() {
    let (mc, mut a, mut b) = faulty("message-center.drop-imdn").await;
    let report = imdn(&mut b, &a, "m1");
    b.send(&report).await;
    assert_eq!(
        b.recv().await.status(),
        Some(200),
        "answered by the message center"
    );
    let text = pager(&mut b, &a, "after");
    let call_id = Message::parse(text.clone())
        .unwrap()
        .call_id()
        .unwrap()
        .to_owned();
    b.send(&text).await;
    next_relayed_is(&mut a, &call_id).await;
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn an_unanswered_relay_times_out_with_408_on_the_case_clock() {
    let mc = clean().await;
    let (mut a, mut b) = registered_pair(&mc).await;
    let request = pager(&mut a, &b, "t1");
    a.send(&request).await;
    let relayed = b.recv().await;
    mc.clock
        .advance(std::time::Duration::from_millis(600))
        .await;
    let retransmitted = b.recv().await;
    assert_eq!(
        retransmitted.as_bytes(),
        relayed.as_bytes(),
        "Timer E retransmits over UDP"
    );
    mc.clock.advance(std::time::Duration::from_secs(32)).await;
    let answer = a.recv().await;
    assert_eq!(answer.status(), Some(408), "Timer F: 64*T1");
    assert_eq!(answer.call_id(), relayed.call_id());
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn an_unreachable_tcp_contact_gets_480() {
    let mc = clean().await;
    let mut a = Phone::udp(rcs(1), mc.addr).await;
    let mut b = Phone::tcp(rcs(2), mc.addr).await;
    a.register().await;
    // B registers a contact where nothing listens.
    b.addr = "127.0.0.1:9".parse().unwrap();
    b.register().await;
    let request = pager(&mut a, &b, "u1");
    a.send(&request).await;
    assert_eq!(a.recv().await.status(), Some(480));
    mc.agent.shutdown().await;
}
