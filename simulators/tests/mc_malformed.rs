//! Robustness of the message center against malformed input (RFC 3261 8.2, 18.3, 21.4.1;
//! ROB-SIP-002): a malformed request that can be answered gets 400 with a Warning naming the
//! construct, and the next request is served, on UDP and on TCP; a TCP framing error closes only
//! that connection; and the two malformed-input faults.

#![allow(clippy::unwrap_used)]

mod mc_support;

use std::time::Duration;

use mc_support::{Mc, Phone, clean, rcs, start};
use pretty_assertions::assert_eq;
use rcs_harness::role::HOME_DOMAIN;
use rcs_proto::sip::Message;
use serde_json::Value;

/// A request to the message center itself with one line replaced by `bad` (or added if new).
fn malformed(phone: &mut Phone, good: &str, bad: &str) -> String {
    let request = phone.options(&format!("sip:{HOME_DOMAIN}"));
    assert!(request.contains(good), "{good:?} not in the request");
    request.replacen(good, bad, 1)
}

/// Sends a valid OPTIONS to the message center and expects its 200 as the next message.
async fn still_served(phone: &mut Phone) {
    let request = phone.options(&format!("sip:{HOME_DOMAIN}"));
    let call_id = Message::parse(request.clone().into_bytes())
        .unwrap()
        .call_id()
        .unwrap()
        .to_owned();
    phone.send(request.as_bytes()).await;
    let answer = phone.recv().await;
    assert_eq!(
        answer.call_id(),
        Some(call_id.as_str()),
        "got an answer to something else"
    );
    assert_eq!(answer.status(), Some(200));
}

/// The cases: (line to replace, replacement, construct the Warning must name).
const CASES: &[(&str, &str, &str)] = &[
    (" OPTIONS\r\n", " MESSAGE\r\n", "CSeq"),
    ("CSeq: ", "CSeq: abc", "CSeq"),
    ("Content-Length: 0", "Content-Length: -5", "Content-Length"),
    ("OPTIONS sip:", "OPTIONS <sip:", "Request-URI"),
    ("Max-Forwards: 70", "Max-Forwards: seventy", "Max-Forwards"),
];

/// Each case on `phone`; on TCP an unusable Content-Length is a framing error instead (see
/// `a_tcp_framing_error_closes_only_that_connection`).
async fn check_each_case(mc: &Mc, mut phone: Phone) {
    let stream = phone.transport() == "TCP";
    for &(good, bad, construct) in CASES {
        if stream && construct == "Content-Length" {
            continue;
        }
        let request = malformed(&mut phone, good, bad);
        phone.send(request.as_bytes()).await;
        let answer = phone.recv().await;
        assert_eq!(answer.status(), Some(400), "{bad:?}");
        let warning = answer.header("Warning").unwrap();
        assert!(warning.starts_with("399 "), "{warning}");
        assert!(
            warning.contains(&format!("\"{construct}: ")),
            "{bad:?}: {warning}"
        );
        still_served(&mut phone).await;
    }
    let _ = mc;
}

#[tokio::test]
async fn malformed_requests_get_400_and_the_next_is_served_over_udp() {
    let mc = clean().await;
    let phone = Phone::udp(rcs(1), mc.addr).await;
    check_each_case(&mc, phone).await;
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn malformed_requests_get_400_and_the_next_is_served_over_tcp() {
    let mc = clean().await;
    let phone = Phone::tcp(rcs(1), mc.addr).await;
    check_each_case(&mc, phone).await;
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn what_cannot_be_answered_is_dropped() {
    let mc = clean().await;
    let mut phone = Phone::udp(rcs(1), mc.addr).await;
    phone.send(b"\x00\x01 not sip at all\r\n\r\n").await;
    let no_call_id = phone.options(&format!("sip:{HOME_DOMAIN}"));
    let no_call_id: String = no_call_id
        .lines()
        .filter(|l| !l.starts_with("Call-ID"))
        .map(|l| format!("{l}\r\n"))
        .collect();
    phone.send(no_call_id.as_bytes()).await;
    still_served(&mut phone).await;
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn a_tcp_framing_error_closes_only_that_connection() {
    let mc = clean().await;
    let mut bad = Phone::tcp(rcs(1), mc.addr).await;
    let mut other = Phone::tcp(rcs(2), mc.addr).await;
    for length in [
        "Content-Length: lots",
        "Content-Length: -5",
        "X-No-Length: 0",
    ] {
        let request = malformed(&mut bad, "Content-Length: 0", length);
        bad.send(request.as_bytes()).await;
        assert!(bad.closed().await, "{length}: the connection is closed");
        still_served(&mut other).await;
        bad = Phone::tcp(rcs(1), mc.addr).await;
        still_served(&mut bad).await;
    }
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn fault_ignore_malformed_drops_instead_of_400() {
    let mc = start(&["message-center.ignore-malformed"], Value::Null).await;
    let mut phone = Phone::udp(rcs(1), mc.addr).await;
    let request = malformed(&mut phone, "CSeq: ", "CSeq: abc");
    phone.send(request.as_bytes()).await;
    still_served(&mut phone).await;
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn fault_stop_after_malformed_wedges_the_message_center() {
    let mc = start(&["message-center.stop-after-malformed"], Value::Null).await;
    let mut phone = Phone::udp(rcs(1), mc.addr).await;
    still_served(&mut phone).await;
    let request = malformed(&mut phone, "CSeq: ", "CSeq: abc");
    phone.send(request.as_bytes()).await;
    assert_eq!(phone.recv().await.status(), Some(400));
    let request = phone.options(&format!("sip:{HOME_DOMAIN}"));
    phone.send(request.as_bytes()).await;
    // Showing that nothing comes needs a bounded wait; a clean message center answers in
    // microseconds on loopback.
    let answer = tokio::time::timeout(Duration::from_millis(500), phone.recv()).await;
    assert!(answer.is_err(), "a wedged message center answered");
    mc.agent.shutdown().await;
}
