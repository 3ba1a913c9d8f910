//! The B2BUA's call flows, sans-IO on one instant: leg B's INVITE, the answer to A, the MSRP
//! relay commands, BYE after the sessions close, CANCEL, a refused leg B and the BYE fault.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::Instant;

use rcs_harness::events::Transport;
use rcs_proto::msrp::MsrpUri;
use rcs_proto::sdp::{MsrpMedia, Sdp, Setup};
use rcs_proto::sip::{Message, MessageBuilder};

use super::b2bua::{B2bua, MsrpUris, Origin, Route};
use super::config::Faults;
use super::proxy::Transmit;
use super::session_relay::Command;

const A_SRC: &str = "127.0.0.1:40001";
const B_DST: &str = "127.0.0.1:40002";
const MC: &str = "127.0.0.1:5060";

fn offer(path: &str, setup: &str, direction: &str) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
m=message 9 TCP/MSRP *\r\na=path:{path}\r\na=setup:{setup}\r\n\
a=accept-types:message/cpim\r\na=accept-wrapped-types:text/plain\r\na={direction}\r\n"
    )
}

fn a_invite(body: &str) -> Message {
    let text = format!(
        "INVITE sip:+8613800000002@ims SIP/2.0\r\n\
Via: SIP/2.0/TCP {A_SRC};branch=z9hG4bKa1\r\nMax-Forwards: 70\r\n\
From: <sip:+8613800000001@ims>;tag=atag\r\nTo: <sip:+8613800000002@ims>\r\n\
Call-ID: call-a\r\nCSeq: 1 INVITE\r\nContact: <sip:+8613800000001@{A_SRC};transport=tcp>\r\n\
Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\"\r\n\
Conversation-ID: conv\r\nContribution-ID: contrib\r\n\
Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    Message::parse(text.into_bytes()).unwrap()
}

fn b2bua(faults: &[&str]) -> B2bua {
    let ids: Vec<String> = faults.iter().map(|f| (*f).to_owned()).collect();
    let uris = MsrpUris::new(|tls| Some(MsrpUri::new(tls, "127.0.0.1", 7000, "mcsess01")));
    B2bua::new(uris, Faults::from_ids(&ids).unwrap())
}

fn start(b2bua: &mut B2bua, now: Instant) -> (Vec<Message>, Message) {
    let invite = a_invite(&offer(
        "msrp://127.0.0.1:7001/asess01;tcp",
        "active",
        "sendrecv",
    ));
    let origin = Origin {
        transport: Transport::Tcp,
        src: A_SRC.parse().unwrap(),
        via_addr: MC.parse().unwrap(),
    };
    let route = Route {
        target: "sip:+8613800000002@127.0.0.1:40002;transport=tcp",
        transport: Transport::Tcp,
        dst: B_DST.parse().unwrap(),
        via_addr: MC.parse().unwrap(),
        identity: "<sip:+8613800000001@ims>",
    };
    let out = b2bua.start(&invite, origin, &route, now).unwrap();
    let (to_a, to_b) = split(&out);
    assert_eq!(to_b.len(), 1);
    (to_a, to_b.into_iter().next().unwrap())
}

/// The messages of `out` to A and to B.
fn split(out: &[Transmit]) -> (Vec<Message>, Vec<Message>) {
    let parse = |t: &Transmit| Message::parse(t.bytes.clone()).unwrap();
    let to = |dst: &str| -> Vec<Message> {
        let dst: SocketAddr = dst.parse().unwrap();
        out.iter().filter(|t| t.dst == dst).map(parse).collect()
    };
    (to(A_SRC), to(B_DST))
}

fn answer_b(invite: &Message, status: u16, body: Option<&str>) -> Message {
    let builder = MessageBuilder::response_to(invite, status, "X")
        .to_tag("btag")
        .header(
            "Contact",
            "<sip:+8613800000002@127.0.0.1:40002;transport=tcp>",
        );
    match body {
        Some(body) => builder.body("application/sdp", body.as_bytes().to_vec()),
        None => builder,
    }
    .build()
}

#[test]
fn a_session_is_anchored_and_ended_with_a_bye_after_the_relay_closes() {
    let now = Instant::now();
    let mut b2bua = b2bua(&[]);
    let (to_a, b_invite) = start(&mut b2bua, now);
    assert_eq!(to_a[0].status(), Some(100));
    let offer_b = MsrpMedia::from_sdp(&Sdp::parse(b_invite.body()).unwrap()).unwrap();
    assert_eq!(offer_b.setup, Setup::Actpass);
    assert_eq!(offer_b.path[0].session_id(), Some("mcsess01"));

    let ringing = b2bua
        .on_response(&answer_b(&b_invite, 180, None), now)
        .unwrap();
    assert_eq!(split(&ringing).0[0].status(), Some(180));

    let b_answer = offer("msrp://127.0.0.1:7002/bsess01;tcp", "active", "sendrecv");
    let out = b2bua
        .on_response(&answer_b(&b_invite, 200, Some(&b_answer)), now)
        .unwrap();
    let (to_a, to_b) = split(&out);
    assert_eq!(to_b[0].method(), Some("ACK"));
    assert_eq!(to_b[0].call_id(), b_invite.call_id());
    let ok = &to_a[0];
    assert_eq!(ok.status(), Some(200));
    let answer_a = MsrpMedia::from_sdp(&Sdp::parse(ok.body()).unwrap()).unwrap();
    assert_eq!(answer_a.setup, Setup::Passive, "A offered active");
    let Some(Command::Open { call, a, b }) = b2bua.poll_command() else {
        panic!("no Open command");
    };
    assert_eq!((a.setup, b.setup), (Setup::Passive, Setup::Passive));
    assert_eq!(a.remote[0].session_id(), Some("asess01"));
    assert_eq!(b.remote[0].session_id(), Some("bsess01"));

    let a_tag = ok.to_header().unwrap().tag().unwrap().to_owned();
    let ack = Message::parse(
        format!(
            "ACK sip:mc@{MC} SIP/2.0\r\nVia: SIP/2.0/TCP {A_SRC};branch=z9hG4bKa2\r\n\
From: <sip:+8613800000001@ims>;tag=atag\r\nTo: <sip:+8613800000002@ims>;tag={a_tag}\r\n\
Call-ID: call-a\r\nCSeq: 1 ACK\r\n\r\n"
        )
        .into_bytes(),
    )
    .unwrap();
    assert!(b2bua.on_ack(&ack, now).is_empty());
    let bye = Message::parse(
        String::from_utf8_lossy(ack.as_bytes())
            .replace("ACK sip", "BYE sip")
            .replace("1 ACK", "2 BYE")
            .into_bytes(),
    )
    .unwrap();
    let (response, then) = b2bua.on_bye(&bye, now).unwrap();
    assert_eq!(response.status(), Some(200));
    assert!(then.is_empty(), "the BYE waits for the sessions to close");
    assert_eq!(b2bua.poll_command(), Some(Command::Close { call }));
    let (_, to_b) = split(&b2bua.relay_closed(call, now));
    assert_eq!(to_b[0].method(), Some("BYE"));
    assert_eq!(to_b[0].call_id(), b_invite.call_id());
    assert_eq!(b2bua.len(), 0);
}

#[test]
fn a_refusal_of_b_reaches_a_with_the_same_status() {
    let now = Instant::now();
    let mut b2bua = b2bua(&[]);
    let (_, b_invite) = start(&mut b2bua, now);
    let out = b2bua
        .on_response(&answer_b(&b_invite, 486, None), now)
        .unwrap();
    let (to_a, to_b) = split(&out);
    assert_eq!(to_b[0].method(), Some("ACK"), "the non-2xx is ACKed");
    assert_eq!(to_a[0].status(), Some(486));
    assert_eq!(b2bua.poll_command(), None);
}

#[test]
fn a_cancel_gets_487_for_a_and_a_cancel_for_b() {
    let now = Instant::now();
    let mut b2bua = b2bua(&[]);
    let (_, b_invite) = start(&mut b2bua, now);
    b2bua
        .on_response(&answer_b(&b_invite, 180, None), now)
        .unwrap();
    let cancel = Message::parse(
        format!(
            "CANCEL sip:+8613800000002@ims SIP/2.0\r\nVia: SIP/2.0/TCP {A_SRC};branch=z9hG4bKa1\r\n\
From: <sip:+8613800000001@ims>;tag=atag\r\nTo: <sip:+8613800000002@ims>\r\n\
Call-ID: call-a\r\nCSeq: 1 CANCEL\r\n\r\n"
        )
        .into_bytes(),
    )
    .unwrap();
    let (to_a, to_b) = split(&b2bua.on_cancel(&cancel, now).unwrap());
    assert_eq!(to_a[0].status(), Some(487));
    assert_eq!(to_b[0].method(), Some("CANCEL"));
    assert_eq!(to_b[0].header("Via"), b_invite.header("Via"));
    assert!(b2bua.on_cancel(&cancel, now).is_none(), "no longer pending");
}

#[test]
fn an_invite_without_msrp_media_is_refused_488() {
    let now = Instant::now();
    let mut b2bua = b2bua(&[]);
    let invite =
        a_invite("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n");
    let origin = Origin {
        transport: Transport::Udp,
        src: A_SRC.parse().unwrap(),
        via_addr: MC.parse().unwrap(),
    };
    let route = Route {
        target: "sip:b@127.0.0.1:40002",
        transport: Transport::Udp,
        dst: B_DST.parse().unwrap(),
        via_addr: MC.parse().unwrap(),
        identity: "<sip:a@ims>",
    };
    let refused = b2bua.start(&invite, origin, &route, now).unwrap_err();
    assert_eq!(refused.0, 488);
    assert_eq!(b2bua.len(), 0);
}

#[test]
fn the_no_bye_relay_fault_answers_the_bye_but_sends_none() {
    let now = Instant::now();
    let mut b2bua = b2bua(&["message-center.no-bye-relay"]);
    let (_, b_invite) = start(&mut b2bua, now);
    let b_answer = offer("msrp://127.0.0.1:7002/bsess01;tcp", "passive", "sendrecv");
    b2bua
        .on_response(&answer_b(&b_invite, 200, Some(&b_answer)), now)
        .unwrap();
    let Some(Command::Open { call, b, .. }) = b2bua.poll_command() else {
        panic!("no Open command");
    };
    assert_eq!(b.setup, Setup::Active, "B answered passive");
    // B hangs up.
    let bye = MessageBuilder::request("BYE", "sip:mc@127.0.0.1:5060")
        .header("Via", "SIP/2.0/TCP 127.0.0.1:40002;branch=z9hG4bKb9")
        .header("From", "<sip:+8613800000002@ims>;tag=btag")
        .header("To", b_invite.header("From").unwrap())
        .header("Call-ID", b_invite.call_id().unwrap())
        .header("CSeq", "1 BYE")
        .build();
    let (response, _) = b2bua.on_bye(&bye, now).unwrap();
    assert_eq!(response.status(), Some(200));
    assert_eq!(b2bua.poll_command(), Some(Command::Close { call }));
    assert!(b2bua.relay_closed(call, now).is_empty());
}

/// A call established with A's dialog confirmed: leg B's INVITE and A's To tag.
fn established(b2bua: &mut B2bua, now: Instant) -> (Message, String) {
    let (_, b_invite) = start(b2bua, now);
    let b_answer = offer("msrp://127.0.0.1:7002/bsess01;tcp", "active", "sendrecv");
    let out = b2bua
        .on_response(&answer_b(&b_invite, 200, Some(&b_answer)), now)
        .unwrap();
    let ok = &split(&out).0[0];
    let a_tag = ok.to_header().unwrap().tag().unwrap().to_owned();
    (b_invite, a_tag)
}

fn update_from_a(a_tag: &str, cseq: u32, body: &str) -> Message {
    let content = match body.is_empty() {
        true => String::new(),
        false => "Content-Type: application/sdp\r\n".to_owned(),
    };
    Message::parse(
        format!(
            "UPDATE sip:mc@{MC} SIP/2.0\r\nVia: SIP/2.0/TCP {A_SRC};branch=z9hG4bKu{cseq}\r\n\
Max-Forwards: 70\r\nFrom: <sip:+8613800000001@ims>;tag=atag\r\n\
To: <sip:+8613800000002@ims>;tag={a_tag}\r\nCall-ID: call-a\r\nCSeq: {cseq} UPDATE\r\n\
Session-Expires: 1800;refresher=uac\r\nSupported: timer\r\n{content}Content-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .into_bytes(),
    )
    .unwrap()
}

#[test]
fn an_update_is_relayed_leg_to_leg_and_its_answer_comes_back() {
    let now = Instant::now();
    let mut b2bua = b2bua(&[]);
    let (b_invite, a_tag) = established(&mut b2bua, now);
    let update = update_from_a(&a_tag, 2, "");
    let origin = (Transport::Tcp, A_SRC.parse().unwrap());
    let (to_a, to_b) = split(&b2bua.on_update(&update, origin, now).unwrap());
    assert!(to_a.is_empty());
    let relayed = &to_b[0];
    assert_eq!(relayed.method(), Some("UPDATE"));
    assert_eq!(relayed.call_id(), b_invite.call_id(), "leg B's dialog");
    assert_eq!(
        relayed.header("Session-Expires"),
        Some("1800;refresher=uac")
    );
    assert_eq!(relayed.header("Supported"), Some("timer"));
    assert!(relayed.body().is_empty());
    let retransmitted = b2bua.on_update(&update, origin, now).unwrap();
    assert!(retransmitted.is_empty(), "absorbed while in flight");

    let ok = MessageBuilder::response_to(relayed, 200, "OK")
        .header("Session-Expires", "900;refresher=uac")
        .header("Require", "timer")
        .build();
    let (to_a, _) = split(&b2bua.on_response(&ok, now).unwrap());
    assert_eq!(to_a[0].status(), Some(200));
    assert_eq!(to_a[0].header("CSeq"), Some("2 UPDATE"));
    assert_eq!(to_a[0].header("Session-Expires"), Some("900;refresher=uac"));
    assert_eq!(to_a[0].header("Require"), Some("timer"));

    let with_sdp = update_from_a(&a_tag, 3, "v=0\r\n");
    let (to_a, to_b) = split(&b2bua.on_update(&with_sdp, origin, now).unwrap());
    assert_eq!((to_a[0].status(), to_b.len()), (Some(488), 0));
    let stale = update_from_a(&a_tag, 1, "");
    let (to_a, _) = split(&b2bua.on_update(&stale, origin, now).unwrap());
    assert_eq!(to_a[0].status(), Some(500));
    let unknown = update_from_a("other", 4, "");
    assert!(b2bua.on_update(&unknown, origin, now).is_none());
}
