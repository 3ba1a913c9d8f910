//! The terminal keeping its registration, as a message center sees it: the refresh at granted −
//! 600 s (or half the grant) on the virtual clock with the same Call-ID, `+sip.instance` and
//! `reg-id`; the reg subscription and what a NOTIFY that ends the binding makes it do
//! (protocols.md §2.5 rules 1, 4, 6 and §12; RFC 3680; TRM-REG-005/006).

#![allow(clippy::unwrap_used)]

mod terminal_support;

use std::time::Duration;

use rcs_harness::clock::Clock;
use rcs_harness::events::Transport;
use rcs_proto::reginfo::{
    Contact, ContactEvent, ContactState, DocState, RegInfo, Registration, RegistrationState,
};
use rcs_proto::sip::{Message, MessageBuilder};
use serde_json::{Value, json};
use terminal_support::*;

const PAU: &str = "<sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>";

async fn virtual_rig(faults: &[&str], settings: Value) -> Rig {
    launch_on(Clock::virtual_time(), Transport::Udp, faults, settings).await
}

/// Answers a REGISTER dance (401, then 200 granting `granted`); returns the REGISTER answered 200.
async fn serve_register(rig: &Rig, granted: u32) -> Message {
    let (first, _, _) = rig.recv().await;
    assert_eq!(first.method(), Some("REGISTER"), "{}", first.summary());
    rig.reply(&first, 401, &[("WWW-Authenticate", &challenge("bm9uY2Uy"))])
        .await;
    let (second, _, _) = rig.recv().await;
    let contact = format!("{};expires={granted}", second.header("Contact").unwrap());
    rig.reply(
        &second,
        200,
        &[("Contact", &contact), ("P-Associated-URI", PAU)],
    )
    .await;
    second
}

fn param<'a>(message: &'a Message, name: &str) -> &'a str {
    let contact = message.header("Contact").unwrap();
    contact
        .split(';')
        .find_map(|p| p.strip_prefix(&format!("{name}=")))
        .unwrap()
}

#[tokio::test]
async fn the_refresh_comes_600_s_before_a_long_grant_runs_out() {
    let rig = virtual_rig(&[], json!({ "refresh-registration": true })).await;
    let (out, first) = tokio::join!(rig.act("register", Value::Null), serve_register(&rig, 3600));
    assert_eq!(out.values["status"], "200");
    rig.clock.advance(Duration::from_secs(2999)).await;
    assert!(rig.stays_quiet().await, "no refresh before 3000 s");
    rig.clock.advance(Duration::from_secs(2)).await;
    let refresh = serve_register(&rig, 1000).await;
    // Nothing more: and the 200 is taken in before the clock jumps past Timer F.
    assert!(rig.stays_quiet().await, "one refresh");
    assert_eq!(refresh.call_id(), first.call_id(), "RFC 3261 10.2.4");
    assert_eq!(
        param(&refresh, "+sip.instance"),
        param(&first, "+sip.instance")
    );
    assert_eq!(param(&refresh, "reg-id"), param(&first, "reg-id"));
    assert!(refresh.cseq().unwrap().seq > first.cseq().unwrap().seq);
    assert_eq!(refresh.header("Expires"), Some("600000"));
    // 1000 s granted: the next refresh is at half of it.
    rig.clock.advance(Duration::from_secs(499)).await;
    assert!(rig.stays_quiet().await);
    rig.clock.advance(Duration::from_secs(2)).await;
    serve_register(&rig, 1000).await;
    rig.shutdown().await;
}

#[tokio::test]
async fn no_refresh_without_the_setting_or_with_the_fault() {
    for (faults, settings) in [
        (vec![], Value::Null),
        (
            vec!["terminal.no-reregistration"],
            json!({ "refresh-registration": true }),
        ),
    ] {
        let rig = virtual_rig(&faults, settings).await;
        let (out, _) = tokio::join!(rig.act("register", Value::Null), serve_register(&rig, 600));
        assert_eq!(out.values["status"], "200");
        rig.clock.advance(Duration::from_secs(601)).await;
        assert!(rig.stays_quiet().await, "{faults:?}");
        rig.shutdown().await;
    }
}

#[tokio::test]
async fn a_deregistration_cancels_the_refresh() {
    let rig = virtual_rig(&[], json!({ "refresh-registration": true })).await;
    let (_, _) = tokio::join!(rig.act("register", Value::Null), serve_register(&rig, 600));
    let (out, _) = tokio::join!(rig.act("deregister", Value::Null), serve_register(&rig, 0));
    assert_eq!(out.values["status"], "200");
    rig.clock.advance(Duration::from_secs(301)).await;
    assert!(rig.stays_quiet().await);
    rig.shutdown().await;
}

/// Registers with `subscribe-reg` and answers the SUBSCRIBE; returns it.
async fn subscribed(rig: &Rig) -> Message {
    let (_, _) = tokio::join!(rig.act("register", Value::Null), serve_register(rig, 3600));
    let (subscribe, _, _) = rig.recv().await;
    assert_eq!(subscribe.method(), Some("SUBSCRIBE"));
    rig.reply(
        &subscribe,
        200,
        &[("Contact", "<sip:mc@127.0.0.1>"), ("Expires", "3600")],
    )
    .await;
    subscribe
}

/// A reg NOTIFY in the dialog of `subscribe` saying the terminal's contact ended with `event`.
fn notify(subscribe: &Message, version: u32, event: ContactEvent, contact: &str) -> Vec<u8> {
    let aor = subscribe.request_uri().unwrap();
    let document = RegInfo {
        version,
        state: DocState::Full,
        registrations: vec![Registration {
            aor: aor.to_owned(),
            id: "r1".into(),
            state: RegistrationState::Terminated,
            contacts: vec![Contact::new("c1", ContactState::Terminated, event, contact)],
        }],
    };
    let from_tag = subscribe.from_header().unwrap().tag().unwrap().to_owned();
    MessageBuilder::request("NOTIFY", contact)
        .header("Via", "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKnotify1")
        .header("Max-Forwards", "70")
        .header("From", &format!("<{aor}>;tag=mc1"))
        .header("To", &format!("<{aor}>;tag={from_tag}"))
        .header("Call-ID", subscribe.call_id().unwrap())
        .header("CSeq", &format!("{} NOTIFY", version + 1))
        .header("Event", "reg")
        .header("Subscription-State", "terminated;reason=deactivated")
        .body("application/reginfo+xml", document.to_xml().into_bytes())
        .build()
        .as_bytes()
        .to_vec()
}

fn contact_uri(subscribe: &Message) -> String {
    let contact = subscribe.header("Contact").unwrap();
    contact
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

#[tokio::test]
async fn the_subscription_follows_the_registration() {
    let rig = virtual_rig(&[], json!({ "subscribe-reg": true })).await;
    let subscribe = subscribed(&rig).await;
    assert_eq!(subscribe.request_uri(), Some(PAU.trim_matches(['<', '>'])));
    assert_eq!(subscribe.header("Event"), Some("reg"));
    assert_eq!(subscribe.header("Accept"), Some("application/reginfo+xml"));
    assert_eq!(subscribe.header("Expires"), Some("600000"));
    assert!(subscribe.header("Contact").is_some());
    rig.shutdown().await;
}

#[tokio::test]
async fn deactivated_means_register_again_and_rejected_does_not() {
    let rig = virtual_rig(&[], json!({ "subscribe-reg": true })).await;
    let subscribe = subscribed(&rig).await;
    let contact = contact_uri(&subscribe);
    rig.send(&notify(&subscribe, 0, ContactEvent::Deactivated, &contact))
        .await;
    let (ok, _, _) = rig.recv().await;
    assert_eq!(ok.status(), Some(200), "{}", ok.summary());
    let again = serve_register(&rig, 3600).await;
    assert_eq!(
        again.header("Expires"),
        Some("600000"),
        "a new registration"
    );
    let subscribe = {
        let (subscribe, _, _) = rig.recv().await;
        assert_eq!(subscribe.method(), Some("SUBSCRIBE"), "subscribes again");
        rig.reply(&subscribe, 200, &[("Contact", "<sip:mc@127.0.0.1>")])
            .await;
        subscribe
    };
    rig.send(&notify(&subscribe, 0, ContactEvent::Rejected, &contact))
        .await;
    let (ok, _, _) = rig.recv().await;
    assert_eq!(ok.status(), Some(200));
    assert!(rig.stays_quiet().await, "no REGISTER after rejected");
    rig.shutdown().await;
}

#[tokio::test]
async fn the_fault_ignores_a_deactivation() {
    let faults = ["terminal.ignore-deregistration-notify"];
    let rig = virtual_rig(&faults, json!({ "subscribe-reg": true })).await;
    let subscribe = subscribed(&rig).await;
    let contact = contact_uri(&subscribe);
    rig.send(&notify(&subscribe, 0, ContactEvent::Deactivated, &contact))
        .await;
    let (ok, _, _) = rig.recv().await;
    assert_eq!(ok.status(), Some(200));
    assert!(rig.stays_quiet().await);
    rig.shutdown().await;
}

#[tokio::test]
async fn strangers_and_bad_documents_are_refused() {
    let rig = virtual_rig(&[], json!({ "subscribe-reg": true })).await;
    let subscribe = subscribed(&rig).await;
    let contact = contact_uri(&subscribe);
    let stranger = String::from_utf8(notify(&subscribe, 0, ContactEvent::Deactivated, &contact))
        .unwrap()
        .replace(subscribe.call_id().unwrap(), "someone-else");
    rig.send(stranger.as_bytes()).await;
    let (gone, _, _) = rig.recv().await;
    assert_eq!(gone.status(), Some(481));
    let garbled = String::from_utf8(notify(&subscribe, 0, ContactEvent::Deactivated, &contact))
        .unwrap()
        .replace("<reginfo", "<reginfx")
        .replace("</reginfo", "</reginfx");
    rig.send(garbled.as_bytes()).await;
    let (bad, _, _) = rig.recv().await;
    assert_eq!(bad.status(), Some(400));
    assert!(rig.stays_quiet().await, "nothing acted upon");
    rig.shutdown().await;
}
