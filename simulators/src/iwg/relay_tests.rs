//! Tests of the gateway relay, sans-IO: China Mobile's gateway between its message center and
//! China Unicom's gateway.

use std::collections::BTreeMap;
use std::time::Duration;

use rcs_harness::agent::Peer;
use rcs_harness::role::RoleKind;

use super::*;

const MC: &str = "127.0.0.1:5003";
const CUCC_GW: &str = "127.0.0.1:5002";
const OWN: &str = "127.0.0.1:5001";

fn peer(kind: RoleKind, carrier: Carrier, addr: &str) -> (String, Peer) {
    let addr: SocketAddr = addr.parse().unwrap();
    let name = format!("{kind}-{carrier}");
    let peer = Peer {
        name: name.clone(),
        kind,
        subscriber: None,
        sip_udp: Some(addr),
        sip_tcp: Some(addr),
        sip_tls: None,
        http: None,
        carrier,
    };
    (name, peer)
}

fn core(faults: Faults) -> Core {
    let subscribers = [Subscriber::builtin_of(
        1,
        true,
        Carrier::Cmcc,
        Carrier::Cmcc,
    )];
    let mut core = Core::new(
        Carrier::Cmcc,
        &subscribers,
        (Settings::default(), faults),
        Transport::Udp,
        (OWN.parse().unwrap(), None),
    );
    let roles: BTreeMap<String, Peer> = [
        peer(RoleKind::MessageCenter, Carrier::Cmcc, MC),
        peer(RoleKind::PeerCarrier, Carrier::Cucc, CUCC_GW),
    ]
    .into_iter()
    .collect();
    core.set_peers(Peers::learn(Carrier::Cmcc, &roles));
    core
}

fn incoming(text: String, src: &str) -> Incoming {
    let bytes = Bytes::from(text.replace('\n', "\r\n"));
    Incoming {
        transport: Transport::Udp,
        src: src.parse().unwrap(),
        dst: OWN.parse().unwrap(),
        message: Message::parse(bytes.clone()),
        bytes,
    }
}

fn request(method: &str, target: &str) -> Incoming {
    incoming(
        format!(
            "{method} {target} SIP/2.0\nVia: SIP/2.0/UDP {MC};branch=z9hG4bKmc1\n\
Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKue1\nMax-Forwards: 69\n\
From: <sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>;tag=1\nTo: <{target}>\n\
Call-ID: c1\nCSeq: 1 {method}\nContent-Length: 0\n\n"
        ),
        MC,
    )
}

fn parse(t: &Transmit) -> Message {
    Message::parse(t.bytes.clone()).unwrap()
}

fn answer(to: &Message, status: u16) -> Incoming {
    let text = format!(
        "SIP/2.0 {status} Whatever\nVia: {}\nFrom: {}\nTo: {};tag=b\nCall-ID: c1\n\
CSeq: {}\nContent-Length: 0\n\n",
        to.header("Via").unwrap(),
        to.header("From").unwrap(),
        to.header("To").unwrap(),
        to.header("CSeq").unwrap(),
    );
    incoming(text, CUCC_GW)
}

#[test]
fn a_foreign_target_crosses_and_its_answer_comes_home() {
    let mut gw = core(Faults::default());
    let now = Instant::now();
    let out = gw.handle(request("MESSAGE", "tel:+8613000000002"), now);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].dst, CUCC_GW.parse().unwrap());
    let nni = parse(&out[0]);
    let vias = nni.header_values("Via");
    assert_eq!(vias.len(), 1);
    assert!(vias[0].starts_with("SIP/2.0/UDP 127.0.0.1:5001;branch=z9hG4bK"));
    let vector = nni.header("P-Charging-Vector").unwrap();
    assert!(vector.contains(";orig-ioi=ims.mnc000.mcc460.3gppnetwork.org;term-ioi=ims.mnc001."));

    let home = gw.handle(answer(&nni, 200), now);
    assert_eq!(home.len(), 1);
    assert_eq!(home[0].dst, MC.parse().unwrap());
    let home = parse(&home[0]);
    assert_eq!(home.status(), Some(200));
    assert_eq!(
        home.header_values("Via"),
        [
            "SIP/2.0/UDP 127.0.0.1:5003;branch=z9hG4bKmc1",
            "SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKue1"
        ]
    );
    let again = gw.handle(request("MESSAGE", "tel:+8613000000002"), now);
    assert_eq!(
        again.len(),
        1,
        "a retransmission gets the final answer again"
    );
    assert_eq!(parse(&again[0]).status(), Some(200));
}

#[test]
fn requests_from_the_nni_go_to_the_message_center() {
    let mut gw = core(Faults::default());
    let text = "MESSAGE tel:+8613800000001 SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:5002;branch=z9hG4bKgwb\n\
Max-Forwards: 68\nFrom: <sip:+8613000000002@ims.mnc001.mcc460.3gppnetwork.org>;tag=2\n\
To: <tel:+8613800000001>\nCall-ID: c2\nCSeq: 1 MESSAGE\n\
P-Charging-Vector: icid-value=abc;orig-ioi=ims.mnc001.mcc460.3gppnetwork.org\nContent-Length: 0\n\n";
    let out = gw.handle(incoming(text.to_owned(), CUCC_GW), Instant::now());
    assert_eq!(out[0].dst, MC.parse().unwrap());
    let inside = parse(&out[0]);
    assert_eq!(
        inside.header("P-Charging-Vector"),
        Some(
            "icid-value=abc;orig-ioi=ims.mnc001.mcc460.3gppnetwork.org;\
term-ioi=ims.mnc000.mcc460.3gppnetwork.org"
        )
    );
}

#[test]
fn what_cannot_cross_is_answered_here() {
    let mut gw = core(Faults::default());
    let now = Instant::now();
    let status = |out: Vec<Transmit>| parse(&out[0]).status().unwrap();
    assert_eq!(
        status(gw.handle(request("PUBLISH", "tel:+8613000000002"), now)),
        501
    );
    assert_eq!(
        status(gw.handle(request("OPTIONS", "tel:+8613800000001"), now)),
        404
    );
    assert_eq!(
        status(gw.handle(request("OPTIONS", "tel:+8613300000003"), now)),
        503
    );
}

#[test]
fn an_unanswered_crossing_times_out_with_408() {
    let mut gw = core(Faults::default());
    let now = Instant::now();
    gw.handle(request("OPTIONS", "tel:+8613000000002"), now);
    let mut at = now;
    let mut answered = Vec::new();
    while let Some(next) = gw.poll_timeout() {
        at = next.max(at);
        answered.extend(
            gw.handle_timeout(at)
                .into_iter()
                .filter(|t| t.branch.is_none()),
        );
        if at - now > Duration::from_secs(40) {
            break;
        }
    }
    assert_eq!(answered.len(), 1);
    assert_eq!(parse(&answered[0]).status(), Some(408));
    assert_eq!(answered[0].dst, MC.parse().unwrap());
}

#[test]
fn the_imdn_fault_answers_without_relaying() {
    let mut gw = core(Faults {
        drop_imdn: true,
        ..Faults::default()
    });
    let body = "From: <sip:anonymous@anonymous.invalid>\nTo: <sip:anonymous@anonymous.invalid>\n\n\
Content-Type: message/imdn+xml\nContent-Length: 2\n\n<a";
    let text = format!(
        "MESSAGE tel:+8613000000002 SIP/2.0\nVia: SIP/2.0/UDP {MC};branch=z9hG4bKmc9\nMax-Forwards: 70\n\
From: <sip:+8613800000001@x>;tag=1\nTo: <tel:+8613000000002>\nCall-ID: c9\nCSeq: 1 MESSAGE\n\
Content-Type: message/cpim\nContent-Length: {}\n\n{body}",
        body.replace('\n', "\r\n").len()
    );
    let out = gw.handle(incoming(text, MC), Instant::now());
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].dst, MC.parse().unwrap());
    assert_eq!(parse(&out[0]).status(), Some(200));
}

/// A NOTIFY in the dialog of a subscription that crossed, from `src`, the subscriber's tag `1`.
fn notify(src: &str, via: &str, state: &str) -> Incoming {
    incoming(
        format!(
            "NOTIFY sip:+8613000000002@127.0.0.1:40002 SIP/2.0\nVia: SIP/2.0/UDP {via};branch=z9hG4bKn{}\n\
Max-Forwards: 70\nFrom: <sip:grp-1@ims.mnc000.mcc460.3gppnetwork.org>;tag=f\n\
To: <sip:+8613000000002@ims.mnc001.mcc460.3gppnetwork.org>;tag=1\nCall-ID: c1\n\
CSeq: 2 NOTIFY\nEvent: conference\nSubscription-State: {state}\nContent-Length: 0\n\n",
            state.len()
        ),
        src,
    )
}

#[test]
fn a_subscription_crosses_inward_and_its_notifies_go_back_across() {
    let mut gw = core(Faults::default());
    let now = Instant::now();
    let group = "sip:grp-1@ims.mnc000.mcc460.3gppnetwork.org";
    let text = format!(
        "SUBSCRIBE {group} SIP/2.0\nVia: SIP/2.0/UDP {CUCC_GW};branch=z9hG4bKs1\n\
Max-Forwards: 68\nFrom: <sip:+8613000000002@ims.mnc001.mcc460.3gppnetwork.org>;tag=1\n\
To: <{group}>\nCall-ID: c1\nCSeq: 1 SUBSCRIBE\nEvent: conference\nExpires: 600\n\
Content-Length: 0\n\n"
    );
    let out = gw.handle(incoming(text, CUCC_GW), now);
    assert_eq!(out[0].dst, MC.parse().unwrap(), "to the focus's network");
    let inside = parse(&out[0]);
    assert_eq!(inside.header("Event"), Some("conference"));
    assert_eq!(inside.header_values("Via").len(), 1);

    let out = gw.handle(notify(MC, MC, "active;expires=600"), now);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].dst, CUCC_GW.parse().unwrap(), "back across the NNI");
    let nni = parse(&out[0]);
    let vias = nni.header_values("Via");
    assert_eq!(vias.len(), 1, "the focus's Via stays home");
    assert!(vias[0].starts_with("SIP/2.0/UDP 127.0.0.1:5001;branch=z9hG4bK"));
    let vector = nni.header("P-Charging-Vector").unwrap();
    assert!(vector.contains(";orig-ioi=ims.mnc000.mcc460.3gppnetwork.org;term-ioi=ims.mnc001."));

    let home = gw.handle(answer(&nni, 200), now);
    assert_eq!(
        home[0].dst,
        MC.parse().unwrap(),
        "its 200 goes to the focus"
    );
    let ended = gw.handle(notify(MC, MC, "terminated"), now);
    assert_eq!(
        ended[0].dst,
        CUCC_GW.parse().unwrap(),
        "the final NOTIFY crosses"
    );
    let after = gw.handle(notify(MC, MC, "active"), now);
    assert_eq!(parse(&after[0]).status(), Some(481), "no dialog any more");
}

#[test]
fn a_notify_of_no_dialog_or_dropped_is_answered_here() {
    let mut gw = core(Faults::default());
    let now = Instant::now();
    let out = gw.handle(notify(MC, MC, "active"), now);
    assert_eq!(
        (out[0].dst, parse(&out[0]).status()),
        (MC.parse().unwrap(), Some(481))
    );

    let mut faulty =
        core(Faults::from_ids(&["peer-carrier.no-subscription-relay".into()]).unwrap());
    let out = faulty.handle(
        request("SUBSCRIBE", "sip:grp-1@ims.mnc001.mcc460.3gppnetwork.org"),
        now,
    );
    assert_eq!(parse(&out[0]).status(), Some(501));

    let mut dropping = core(Faults::from_ids(&["peer-carrier.drop-notify".into()]).unwrap());
    let subscribe = request("SUBSCRIBE", "sip:grp-1@ims.mnc001.mcc460.3gppnetwork.org");
    let out = dropping.handle(subscribe, now);
    assert_eq!(
        out[0].dst,
        CUCC_GW.parse().unwrap(),
        "a group of China Unicom's"
    );
    let notify = format!(
        "NOTIFY sip:+8613800000001@127.0.0.1:40000 SIP/2.0\nVia: SIP/2.0/UDP {CUCC_GW};branch=z9hG4bKn\n\
Max-Forwards: 70\nFrom: <sip:grp-1@ims.mnc001.mcc460.3gppnetwork.org>;tag=f\n\
To: <sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>;tag=1\nCall-ID: c1\n\
CSeq: 1 NOTIFY\nEvent: conference\nSubscription-State: active\nContent-Length: 0\n\n"
    );
    let out = dropping.handle(incoming(notify, CUCC_GW), now);
    assert_eq!(
        (out[0].dst, parse(&out[0]).status()),
        (CUCC_GW.parse().unwrap(), Some(200))
    );
}
