//! The message center as a B2BUA anchoring MSRP, driven over real sockets: hand-built SIP from two
//! test phones and an MSRP stack on each side (protocols.md §4.2, §4.5, §4.6; PLT-MSG-006/007/008).

#![allow(clippy::unwrap_used)]

mod mc_support;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use mc_support::{Mc, Phone, clean, registered_pair, start};
use rcs_harness::agent::WireTap;
use rcs_harness::clock::Clock;
use rcs_proto::msrp::{MsrpUri, SendOptions, SessionConfig, SessionEvent};
use rcs_proto::sdp::{MsrpMedia, Sdp, Setup};
use rcs_proto::sip::Message;
use rcs_simulators::msrp::{MsrpSession, MsrpStack};
use serde_json::Value;
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(5);

async fn stack() -> MsrpStack {
    let (tx, _rx) = mpsc::unbounded_channel();
    std::mem::forget(_rx);
    let clock = Clock::real();
    let tap = WireTap::new("phone", clock.clone(), tx);
    MsrpStack::start(IpAddr::V4(Ipv4Addr::LOCALHOST), None, tap, clock)
        .await
        .unwrap()
}

fn sdp(path: &MsrpUri, setup: &str) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
m=message {} TCP/MSRP *\r\na=path:{path}\r\na=setup:{setup}\r\n\
a=accept-types:message/cpim\r\na=accept-wrapped-types:text/plain\r\na=sendrecv\r\n",
        path.port().unwrap()
    )
}

/// A session INVITE from `a` to `b` with `conversation` as Conversation-ID (none when empty).
fn invite(a: &mut Phone, b: &Phone, body: &str, conversation: &str) -> Vec<u8> {
    let cseq = a.next_cseq();
    let conversation = match conversation {
        "" => String::new(),
        id => format!("Conversation-ID: {id}\r\n"),
    };
    format!(
        "INVITE {target} SIP/2.0\r\nVia: {via}\r\nMax-Forwards: 70\r\n\
From: <{aor}>;tag=inv{cseq}\r\nTo: <{target}>\r\nCall-ID: inv-{cseq}@test\r\n\
CSeq: {cseq} INVITE\r\nContact: <{contact}>\r\n\
Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\"\r\n\
P-Preferred-Service: urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session\r\n\
{conversation}Contribution-ID: contrib-{cseq}\r\nSupported: timer\r\nSession-Expires: 1800\r\n\
Content-Type: application/sdp\r\nContent-Length: {len}\r\n\r\n{body}",
        target = b.sub.sip_uri(),
        via = a.via(),
        aor = a.sub.sip_uri(),
        contact = a.contact_uri(),
        len = body.len(),
    )
    .into_bytes()
}

/// The next message that is not a 100 Trying.
async fn next_final(phone: &mut Phone) -> Message {
    loop {
        let message = phone.recv().await;
        if message.status() != Some(100) {
            return message;
        }
    }
}

fn media(message: &Message) -> MsrpMedia {
    MsrpMedia::from_sdp(&Sdp::parse(message.body()).unwrap()).unwrap()
}

async fn open(stack: &MsrpStack, local: MsrpUri, remote: &MsrpMedia) -> MsrpSession {
    let config = SessionConfig::new(local, remote.path.clone());
    stack.open(config, Setup::Active, false).await.unwrap()
}

async fn received(session: &MsrpSession) -> (Vec<u8>, usize) {
    loop {
        match session.next_event(WAIT).await.unwrap() {
            SessionEvent::Received { body, chunks, .. } => return (body, chunks),
            _ => continue,
        }
    }
}

async fn report(session: &MsrpSession) -> Option<u16> {
    loop {
        match session.next_event(Duration::from_millis(800)).await? {
            SessionEvent::Report { status, .. } => return Some(status),
            _ => continue,
        }
    }
}

/// Sets up A → MC → B with both MSRP sessions open; returns A's and B's sessions and B's INVITE.
async fn anchored(mc: &Mc) -> (Phone, Phone, MsrpSession, MsrpSession, Message) {
    let (mut a, mut b) = registered_pair(mc).await;
    let (a_stack, b_stack) = (stack().await, stack().await);
    let a_uri = a_stack.new_local_uri(false);
    let request = invite(&mut a, &b, &sdp(&a_uri, "active"), "conv-1");
    a.send(&request).await;
    let b_invite = b.recv().await;
    assert_eq!(b_invite.method(), Some("INVITE"));
    let b_uri = b_stack.new_local_uri(false);
    let ok = b.answer(&b_invite, 200, "OK", "Content-Type: application/sdp\r\n");
    let ok = String::from_utf8(ok).unwrap().replace(
        "Content-Length: 0\r\n\r\n",
        &format!(
            "Contact: <{}>\r\nContent-Length: {}\r\n\r\n{}",
            b.contact_uri(),
            sdp(&b_uri, "active").len(),
            sdp(&b_uri, "active")
        ),
    );
    b.send(ok.as_bytes()).await;
    assert_eq!(b.recv().await.method(), Some("ACK"));
    let a_ok = next_final(&mut a).await;
    assert_eq!(a_ok.status(), Some(200), "{}", a_ok.summary());
    let to_b = open(&b_stack, b_uri, &media(&b_invite)).await;
    let to_a = open(&a_stack, a_uri, &media(&a_ok)).await;
    (a, b, to_a, to_b, b_invite)
}

#[tokio::test]
async fn a_session_is_anchored_and_every_chunk_and_report_is_relayed() {
    let mc = clean().await;
    let (_a, _b, to_a, to_b, b_invite) = anchored(&mc).await;
    assert_ne!(
        b_invite.call_id(),
        Some("inv-1@test"),
        "leg B is a new dialog"
    );
    assert_eq!(b_invite.header("Conversation-ID"), Some("conv-1"));
    assert!(b_invite.header("P-Asserted-Identity").is_some());
    assert_eq!(media(&b_invite).setup, Setup::Actpass);

    let body: Vec<u8> = (0..65_536u32).map(|i| b'a' + (i % 26) as u8).collect();
    let opts = SendOptions {
        success_report: true,
        ..SendOptions::default()
    };
    to_a.send("message/cpim", &body, opts).await.unwrap();
    let (got, chunks) = received(&to_b).await;
    assert_eq!(got, body);
    assert_eq!(chunks, 7, "relayed chunk by chunk");
    assert_eq!(report(&to_a).await, Some(200), "B's REPORT relayed to A");

    to_b.send("message/cpim", b"back", SendOptions::default())
        .await
        .unwrap();
    assert_eq!(received(&to_a).await.0, b"back");
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn the_merge_and_report_faults_show_on_the_wire() {
    let mc = start(
        &[
            "message-center.merge-msrp-chunks",
            "message-center.drop-msrp-report",
        ],
        Value::Null,
    )
    .await;
    let (_a, _b, to_a, to_b, _) = anchored(&mc).await;
    let body = vec![b'x'; 30_000];
    let opts = SendOptions {
        success_report: true,
        ..SendOptions::default()
    };
    to_a.send("message/cpim", &body, opts).await.unwrap();
    let (got, chunks) = received(&to_b).await;
    assert_eq!((got.len(), chunks), (30_000, 1), "merged into one chunk");
    assert_eq!(report(&to_a).await, None, "the REPORT is dropped");
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn an_invite_without_conversation_id_gets_400_unless_the_fault_relays_it() {
    let mc = clean().await;
    let (mut a, mut b) = registered_pair(&mc).await;
    let uri = MsrpUri::new(false, "127.0.0.1", 9, "nobody01");
    let request = invite(&mut a, &b, &sdp(&uri, "active"), "");
    a.send(&request).await;
    let refused = a.recv().await;
    assert_eq!(refused.status(), Some(400));
    assert!(
        refused
            .header("Warning")
            .unwrap()
            .contains("Conversation-ID")
    );
    mc.agent.shutdown().await;

    let mc = start(
        &["message-center.accept-invite-without-conversation-id"],
        Value::Null,
    )
    .await;
    let (mut a, _) = registered_pair(&mc).await;
    let request = invite(&mut a, &b, &sdp(&uri, "active"), "");
    a.send(&request).await;
    assert_eq!(a.recv().await.status(), Some(100));
    let _ = &mut b;
    mc.agent.shutdown().await;
}
