//! Tests of the gateway's session B2BUA, sans-IO: China Mobile's gateway between its message
//! center and China Unicom's gateway.

use std::collections::BTreeMap;
use std::time::Instant;

use rcs_harness::agent::Peer;
use rcs_harness::role::{RoleKind, Subscriber};
use rcs_proto::msrp::MsrpUri;

use super::super::super::peers::Peers;
use super::super::super::settings::Settings;
use super::*;
use crate::net::Incoming;

const MC: &str = "127.0.0.1:5003";
const CUCC_GW: &str = "127.0.0.1:5002";
const OWN: &str = "127.0.0.1:5001";
const CALLER_PATH: &str = "msrp://127.0.0.1:7100/mcsess;tcp";

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

fn gateway(faults: Faults) -> Core {
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
    core.set_msrp(mc_b2bua::MsrpUris::new(|tls| {
        Some(MsrpUri::new(tls, "127.0.0.1", 7001, "gwsess"))
    }));
    core
}

/// A session INVITE from the message center, with a's internal topology and charging vector.
fn invite() -> Incoming {
    let sdp = format!(
        "v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\n\
m=message 7100 TCP/MSRP *\na=accept-types:message/cpim\na=path:{CALLER_PATH}\n\
a=setup:actpass\na=sendrecv\n"
    )
    .replace('\n', "\r\n");
    let head = format!(
        "INVITE tel:+8613000000002 SIP/2.0\nVia: SIP/2.0/UDP {MC};branch=z9hG4bKmc1\n\
Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKue1\nMax-Forwards: 69\n\
Record-Route: <sip:scscf.ims.mnc000.mcc460.3gppnetwork.org;lr>\n\
From: <sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>;tag=1\nTo: <tel:+8613000000002>\n\
Call-ID: s1\nCSeq: 1 INVITE\n\
Contact: <sip:mc@{MC}>;+sip.instance=\"<urn:gsma:imei:1>\";reg-id=1;\
+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\"\n\
P-Asserted-Identity: <sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>\n\
P-Charging-Vector: icid-value=abc\n\
Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\"\n\
Conversation-ID: conv1\nContribution-ID: contrib1\n\
Content-Type: application/sdp\nContent-Length: {}\n\n",
        sdp.len()
    )
    .replace('\n', "\r\n");
    let bytes = Bytes::from(format!("{head}{sdp}"));
    Incoming {
        transport: Transport::Udp,
        src: MC.parse().unwrap(),
        dst: OWN.parse().unwrap(),
        message: Message::parse(bytes.clone()),
        bytes,
    }
}

/// The INVITE the gateway sends to China Unicom's gateway.
fn far_invite(faults: Faults) -> Message {
    let mut gw = gateway(faults);
    let out = gw.handle(invite(), Instant::now());
    let far = out
        .iter()
        .find(|t| t.dst == CUCC_GW.parse::<SocketAddr>().unwrap())
        .expect("an INVITE to the peer gateway");
    let to_mc = out
        .iter()
        .find(|t| t.dst == MC.parse::<SocketAddr>().unwrap());
    let trying = Message::parse(to_mc.unwrap().bytes.clone()).unwrap();
    assert_eq!(trying.status(), Some(100));
    Message::parse(far.bytes.clone()).unwrap()
}

#[test]
fn a_session_crosses_as_a_new_dialog_with_the_gateway_relay_in_a_path() {
    let far = far_invite(Faults::default());
    assert_eq!(far.method(), Some("INVITE"));
    assert_ne!(far.call_id(), Some("s1"), "a new dialog");
    let vias = far.header_values("Via");
    assert_eq!(vias.len(), 1);
    assert!(vias[0].contains(OWN), "{vias:?}");
    assert_eq!(far.header("Record-Route"), None);
    let body = String::from_utf8_lossy(far.body()).into_owned();
    assert!(
        body.contains("a=path:msrp://127.0.0.1:7001/gwsess;tcp"),
        "{body}"
    );
    assert!(!body.contains(CALLER_PATH), "{body}");
    let vector = far.header("P-Charging-Vector").unwrap();
    assert!(vector.starts_with("icid-value=abc;"), "{vector}");
    assert!(
        vector.contains("orig-ioi=ims.mnc000.mcc460.3gppnetwork.org"),
        "{vector}"
    );
    assert!(
        vector.contains("term-ioi=ims.mnc001.mcc460.3gppnetwork.org"),
        "{vector}"
    );
    assert_eq!(far.header("Conversation-ID"), Some("conv1"));
    assert!(
        far.header("P-Asserted-Identity")
            .unwrap()
            .contains("+8613800000001")
    );
    assert_eq!(far.max_forwards().unwrap(), Some(68));
    assert_eq!(
        far.header("Contact"),
        Some(
            "<sip:+8613800000001@127.0.0.1:5001>;\
+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\""
        )
    );
}

#[test]
fn each_session_fault_breaks_its_rule() {
    let faults = Faults {
        path_not_rewritten: true,
        ..Faults::default()
    };
    let body = String::from_utf8_lossy(far_invite(faults).body()).into_owned();
    assert!(body.contains(CALLER_PATH), "{body}");
    let mut border = Faults::default();
    border.border.leak_topology = true;
    let leaky = far_invite(border);
    assert_eq!(leaky.header_values("Via").len(), 3);
    assert!(leaky.header("Record-Route").is_some());
    let instance = Faults {
        leak_instance: true,
        ..Faults::default()
    };
    let contact = far_invite(instance).header("Contact").unwrap().to_owned();
    assert!(
        contact.starts_with("<sip:+8613800000001@127.0.0.1:5001>"),
        "{contact}"
    );
    assert!(
        contact.contains("+sip.instance=\"<urn:gsma:imei:1>\""),
        "{contact}"
    );
    assert!(contact.contains("reg-id=1"), "{contact}");
}
