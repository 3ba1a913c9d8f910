//! The registrar over real sockets: the digest dance, the 200's content, wrong credentials,
//! expiry on the virtual clock and the registration faults (protocols.md §2.4-2.5,
//! PLT-REG-001/003/004).

#![allow(clippy::unwrap_used)]

mod mc_support;

use std::time::Duration;

use mc_support::{Phone, TAGS, clean, rcs, start};
use pretty_assertions::assert_eq;
use rcs_harness::role::HOME_DOMAIN;
use rcs_proto::sip::Message;
use rcs_proto::sip::auth::{Algorithm, Challenge};
use serde_json::{Value, json};

async fn challenge_of(phone: &mut Phone) -> Message {
    let request = phone.register_request(600_000, TAGS, None);
    phone.send(request.as_bytes()).await;
    phone.recv().await
}

/// An OPTIONS from a fresh phone to `target`'s number: 200 when relayed, 480 when offline.
async fn options_status(mc: &mc_support::Mc, target: &Phone) -> u16 {
    let mut asker = Phone::udp(rcs(3), mc.addr).await;
    let request = asker.options(&target.sub.tel_uri());
    asker.send(request.as_bytes()).await;
    asker.recv().await.status().unwrap()
}

#[tokio::test]
async fn the_first_register_is_challenged_with_md5_and_qop_auth() {
    let mc = clean().await;
    let mut phone = Phone::udp(rcs(1), mc.addr).await;
    let response = challenge_of(&mut phone).await;
    assert_eq!(response.status(), Some(401));
    assert!(response.to_header().unwrap().tag().is_some());
    let challenge = Challenge::parse(response.header("WWW-Authenticate").unwrap()).unwrap();
    assert_eq!(challenge.realm, HOME_DOMAIN);
    assert_eq!(challenge.algorithm, Some(Algorithm::Md5));
    assert_eq!(challenge.qop, ["auth"]);
    assert!(challenge.nonce.len() >= 16);
    let again = Challenge::parse(
        challenge_of(&mut phone)
            .await
            .header("WWW-Authenticate")
            .unwrap(),
    )
    .unwrap();
    assert_ne!(
        again.nonce, challenge.nonce,
        "every challenge has a fresh nonce"
    );
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn the_200_carries_bindings_identities_and_routes() {
    let mc = clean().await;
    let mut phone = Phone::udp(rcs(1), mc.addr).await;
    let ok = phone.register().await;
    let sub = rcs(1);
    assert!(ok.to_header().unwrap().tag().is_some());
    assert_eq!(
        ok.header("P-Associated-URI"),
        Some(format!("<{}>, <{}>", sub.sip_uri(), sub.tel_uri()).as_str())
    );
    assert_eq!(
        ok.header("Service-Route"),
        Some(format!("<sip:orig@scscf.{HOME_DOMAIN};lr>").as_str())
    );
    assert_eq!(
        ok.header("Path"),
        Some(format!("<sip:term@pcscf.{HOME_DOMAIN};lr>").as_str())
    );
    assert_eq!(
        ok.expires().unwrap(),
        Some(3600),
        "min(600000 requested, 3600 max)"
    );
    let contacts = ok.contacts().unwrap();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0].uri.as_str(), phone.contact_uri());
    assert_eq!(contacts[0].param("expires"), Some(Some("3600")));
    let sent =
        rcs_proto::sip::NameAddr::parse(&format!("<{}>{TAGS}", phone.contact_uri())).unwrap();
    for (name, value) in &sent.params {
        assert_eq!(
            contacts[0].param(name),
            Some(value.as_deref()),
            "{name} kept"
        );
    }
    assert!(ok.validate().is_empty(), "{:?}", ok.validate());
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn a_wrong_password_gets_401_then_403_and_no_binding() {
    let mc = clean().await;
    let mut phone = Phone::udp(rcs(1), mc.addr).await;
    for expected in [401, 403] {
        let challenge = challenge_of(&mut phone).await;
        let authorization = phone.authorization(&challenge, "not-the-password");
        let request = phone.register_request(600_000, TAGS, Some(&authorization));
        phone.send(request.as_bytes()).await;
        assert_eq!(phone.recv().await.status(), Some(expected));
    }
    assert_eq!(
        options_status(&mc, &phone).await,
        480,
        "no binding was made"
    );
    // The right password still works afterwards.
    phone.register().await;
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn an_unknown_private_identity_or_a_foreign_aor_is_forbidden() {
    let mc = clean().await;
    let mut stranger = Phone::udp(rcs(9), mc.addr).await;
    let challenge = challenge_of(&mut stranger).await;
    let authorization = stranger.authorization(&challenge, "whatever");
    let request = stranger.register_request(600_000, TAGS, Some(&authorization));
    stranger.send(request.as_bytes()).await;
    assert_eq!(stranger.recv().await.status(), Some(403));

    // User 1's credentials used to register user 2's identity.
    let mut thief = Phone::udp(rcs(2), mc.addr).await;
    thief.sub.impi = rcs(1).impi;
    thief.sub.password = rcs(1).password;
    assert_eq!(thief.register_with(600_000, TAGS).await.status(), Some(403));
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn a_binding_expires_on_the_virtual_clock() {
    let mc = start(&[], json!({"max-expires": 60})).await;
    let mut phone = Phone::udp(rcs(1), mc.addr).await;
    assert_eq!(phone.register().await.expires().unwrap(), Some(60));
    mc.clock.advance(Duration::from_secs(59)).await;
    assert_eq!(
        relay_answer(&mc, &mut phone).await,
        200,
        "still online at 59 s"
    );
    mc.clock.advance(Duration::from_secs(2)).await;
    assert_eq!(
        options_status(&mc, &phone).await,
        480,
        "gone 61 s after a 60 s grant"
    );
    mc.agent.shutdown().await;
}

/// Asks for `phone`'s capabilities and lets `phone` answer 200: the status the asker gets.
async fn relay_answer(mc: &mc_support::Mc, phone: &mut Phone) -> u16 {
    let mut asker = Phone::udp(rcs(3), mc.addr).await;
    let request = asker.options(&phone.sub.tel_uri());
    asker.send(request.as_bytes()).await;
    let relayed = phone.recv().await;
    let answer = phone.answer(&relayed, 200, "OK", "");
    phone.send(&answer).await;
    asker.recv().await.status().unwrap()
}

#[tokio::test]
async fn expires_zero_deregisters() {
    let mc = clean().await;
    let mut phone = Phone::udp(rcs(1), mc.addr).await;
    phone.register().await;
    let ok = phone.register_with(0, TAGS).await;
    assert_eq!(ok.status(), Some(200));
    assert_eq!(ok.expires().unwrap(), Some(0));
    assert!(ok.contacts().unwrap().is_empty());
    assert_eq!(options_status(&mc, &phone).await, 480);
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn fault_accept_wrong_digest_binds_with_a_wrong_password() {
    let mc = start(&["message-center.accept-wrong-digest"], Value::Null).await;
    let mut phone = Phone::udp(rcs(1), mc.addr).await;
    let challenge = challenge_of(&mut phone).await;
    assert_eq!(challenge.status(), Some(401), "still challenges");
    let authorization = phone.authorization(&challenge, "not-the-password");
    let request = phone.register_request(600_000, TAGS, Some(&authorization));
    phone.send(request.as_bytes()).await;
    assert_eq!(phone.recv().await.status(), Some(200));
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn fault_omit_qop_drops_only_qop() {
    let mc = start(&["message-center.omit-qop"], Value::Null).await;
    let mut phone = Phone::udp(rcs(1), mc.addr).await;
    let response = challenge_of(&mut phone).await;
    let challenge = Challenge::parse(response.header("WWW-Authenticate").unwrap()).unwrap();
    assert!(challenge.qop.is_empty());
    assert_eq!(challenge.algorithm, Some(Algorithm::Md5));
    assert_eq!(
        phone.register().await.status(),
        Some(200),
        "RFC 2069 answers still work"
    );
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn faults_omit_one_header_of_the_200_each() {
    for (fault, gone, kept) in [
        (
            "message-center.omit-p-associated-uri",
            "P-Associated-URI",
            "Service-Route",
        ),
        (
            "message-center.omit-service-route",
            "Service-Route",
            "P-Associated-URI",
        ),
    ] {
        let mc = start(&[fault], Value::Null).await;
        let mut phone = Phone::udp(rcs(1), mc.addr).await;
        let ok = phone.register().await;
        assert!(ok.header(gone).is_none(), "{fault}");
        assert!(ok.header(kept).is_some(), "{fault}");
        assert!(ok.header("Path").is_some(), "{fault}");
        mc.agent.shutdown().await;
    }
}

#[tokio::test]
async fn fault_grant_more_than_requested() {
    let mc = start(&["message-center.grant-more-than-requested"], Value::Null).await;
    let mut phone = Phone::udp(rcs(1), mc.addr).await;
    let ok = phone.register_with(120, TAGS).await;
    assert_eq!(ok.status(), Some(200));
    assert!(ok.expires().unwrap().unwrap() > 120);
    mc.agent.shutdown().await;

    let clean = clean().await;
    let mut phone = Phone::udp(rcs(1), clean.addr).await;
    assert_eq!(
        phone.register_with(120, TAGS).await.expires().unwrap(),
        Some(120)
    );
    clean.agent.shutdown().await;
}

#[tokio::test]
async fn fault_ignore_binding_expiry_keeps_the_user_online() {
    let mc = start(
        &["message-center.ignore-binding-expiry"],
        json!({"max-expires": 60}),
    )
    .await;
    let mut phone = Phone::udp(rcs(1), mc.addr).await;
    assert_eq!(
        phone.register().await.expires().unwrap(),
        Some(60),
        "the grant is unchanged"
    );
    mc.clock.advance(Duration::from_secs(61)).await;
    assert_eq!(
        relay_answer(&mc, &mut phone).await,
        200,
        "relayed although expired"
    );
    mc.agent.shutdown().await;
}
