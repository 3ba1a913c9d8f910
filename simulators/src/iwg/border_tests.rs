//! Tests of the border rewrite on the §9.1 vector: a MESSAGE as the originating network hands it
//! to its gateway.

use rcs_proto::sip::{Host, Message, Uri};

use super::*;

const INTERNAL: &[u8] = include_bytes!("vectors/protocols-9.1-message-internal.sip");
const VIA: &str = "SIP/2.0/UDP 127.0.0.1:5071;branch=z9hG4bKgw1";
const CMCC: &str = "ims.mnc000.mcc460.3gppnetwork.org";
const CUCC: &str = "ims.mnc001.mcc460.3gppnetwork.org";

fn own_route(uri: &Uri) -> bool {
    matches!(uri.host(), Some(Host::Domain(h)) if h.starts_with("ibcf."))
}

fn leg(trusted: bool) -> Leg<'static> {
    Leg {
        via: VIA,
        trusted,
        orig_ioi: CMCC,
        term_ioi: CUCC,
        new_icid: "gw-new-icid",
        is_own_route: &own_route,
    }
}

fn cross(trusted: bool, faults: BorderFaults) -> (Message, Vec<String>) {
    let internal = Message::parse(INTERNAL).unwrap();
    let out = request(&internal, &leg(trusted), &faults);
    (Message::parse(out.bytes).unwrap(), out.hidden_vias)
}

#[test]
fn the_nni_leg_carries_only_the_gateways_topology() {
    let (nni, hidden) = cross(true, BorderFaults::default());
    assert_eq!(nni.header_values("Via"), [VIA]);
    assert_eq!(
        hidden,
        [
            "SIP/2.0/UDP 10.10.1.5:5060;branch=z9hG4bKscscf1",
            "SIP/2.0/TCP 10.10.9.7:40000;branch=z9hG4bKue1;rport"
        ]
    );
    for name in ["Route", "Record-Route", "Path", "Service-Route"] {
        assert!(nni.header(name).is_none(), "{name} crossed");
    }
    assert_eq!(nni.header("Max-Forwards"), Some("67"));
    assert!(nni.validate().is_empty(), "{:?}", nni.validate());
}

#[test]
fn identity_crosses_only_into_the_trust_domain() {
    let (trusted, _) = cross(true, BorderFaults::default());
    assert_eq!(
        trusted.header("P-Asserted-Identity"),
        Some("<sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>")
    );
    assert!(trusted.header("P-Preferred-Identity").is_none());
    let (untrusted, _) = cross(false, BorderFaults::default());
    assert!(untrusted.header("P-Asserted-Identity").is_none());
    assert!(untrusted.header("P-Preferred-Identity").is_none());
}

#[test]
fn private_headers_stay_home_and_cpm_crosses_byte_identical() {
    let internal = Message::parse(INTERNAL).unwrap();
    let (nni, _) = cross(true, BorderFaults::default());
    for name in PRIVATE {
        assert!(nni.header(name).is_none(), "{name} crossed");
    }
    for name in [
        "Accept-Contact",
        "P-Asserted-Service",
        "Conversation-ID",
        "Contribution-ID",
        "Call-ID",
        "From",
        "To",
        "CSeq",
        "Content-Type",
        "Content-Length",
    ] {
        assert_eq!(nni.header(name), internal.header(name), "{name}");
    }
    assert_eq!(nni.request_uri(), internal.request_uri());
    assert_eq!(nni.body(), internal.body());
}

#[test]
fn the_charging_vector_keeps_its_icid_and_gains_both_iois() {
    let (nni, _) = cross(true, BorderFaults::default());
    assert_eq!(
        nni.header("P-Charging-Vector"),
        Some(
            "icid-value=\"AyretyU0dm+6O2IrT5tAFrbHLso=\";icid-generated-at=192.0.6.8;\
orig-ioi=ims.mnc000.mcc460.3gppnetwork.org;term-ioi=ims.mnc001.mcc460.3gppnetwork.org"
        )
    );
    let bare = Message::parse(
        &b"OPTIONS sip:+8613000000002@x SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK1\r\n\
From: <sip:a@x>;tag=1\r\nTo: <sip:b@x>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"[..],
    )
    .unwrap();
    let out = Message::parse(request(&bare, &leg(true), &BorderFaults::default()).bytes).unwrap();
    let vector = out.header("P-Charging-Vector").unwrap();
    assert_eq!(icid_of(vector).as_deref(), Some("gw-new-icid"));
    assert!(vector.ends_with(
        ";orig-ioi=ims.mnc000.mcc460.3gppnetwork.org;term-ioi=ims.mnc001.mcc460.3gppnetwork.org"
    ));
    assert!(out.validate().is_empty(), "{:?}", out.validate());
}

#[test]
fn responses_find_their_way_back_by_the_hidden_vias() {
    let (nni, hidden) = cross(true, BorderFaults::default());
    let answer = format!(
        "SIP/2.0 200 OK\r\nVia: {}\r\nFrom: {}\r\nTo: {};tag=b\r\nCall-ID: {}\r\n\
CSeq: 1 MESSAGE\r\nP-Charging-Function-Addresses: ccf=198.51.100.1\r\nContent-Length: 0\r\n\r\n",
        nni.header("Via").unwrap(),
        nni.header("From").unwrap(),
        nni.header("To").unwrap(),
        nni.call_id().unwrap(),
    );
    let answer = Message::parse(answer.into_bytes()).unwrap();
    let home = Message::parse(response(&answer, &hidden, &BorderFaults::default())).unwrap();
    assert_eq!(home.header_values("Via"), hidden);
    assert!(home.header("P-Charging-Function-Addresses").is_none());
    assert_eq!(home.status(), Some(200));
}

#[test]
fn each_fault_breaks_its_rule_only() {
    let (clean, _) = cross(false, BorderFaults::default());
    let with = |faults: BorderFaults, trusted| cross(trusted, faults).0;
    let leaked = with(
        BorderFaults {
            identity_to_untrusted: true,
            ..Default::default()
        },
        false,
    );
    assert!(leaked.header("P-Asserted-Identity").is_some());
    assert_eq!(leaked.header_values("Via"), clean.header_values("Via"));
    let stripped = with(
        BorderFaults {
            strip_trusted_identity: true,
            ..Default::default()
        },
        true,
    );
    assert!(stripped.header("P-Asserted-Identity").is_none());
    let routed = with(
        BorderFaults {
            keep_own_route: true,
            ..Default::default()
        },
        false,
    );
    assert_eq!(
        routed.header_values("Route"),
        ["<sip:ibcf.ims.mnc000.mcc460.3gppnetwork.org;lr>"]
    );
    let open = with(
        BorderFaults {
            leak_topology: true,
            ..Default::default()
        },
        false,
    );
    assert_eq!(open.header_values("Via").len(), 3);
    assert!(open.header("Record-Route").is_some());
    let renumbered = with(
        BorderFaults {
            new_icid: true,
            ..Default::default()
        },
        false,
    );
    let vector = renumbered.header("P-Charging-Vector").unwrap();
    assert_eq!(icid_of(vector).as_deref(), Some("gw-new-icid"));
    assert!(vector.contains("orig-ioi="));
    let no_ioi = with(
        BorderFaults {
            omit_ioi: true,
            ..Default::default()
        },
        false,
    );
    let vector = no_ioi.header("P-Charging-Vector").unwrap();
    assert!(!vector.contains("ioi"), "{vector}");
    assert!(vector.contains("AyretyU0dm"));
    let chatty = with(
        BorderFaults {
            leak_private: true,
            ..Default::default()
        },
        false,
    );
    assert!(chatty.header("P-Access-Network-Info").is_some());
    let forgetful = with(
        BorderFaults {
            drop_conversation_ids: true,
            ..Default::default()
        },
        false,
    );
    assert!(forgetful.header("Conversation-ID").is_none());
    assert!(forgetful.header("Contribution-ID").is_none());
    assert_eq!(forgetful.body(), clean.body());
}

#[test]
fn hostile_charging_vectors_do_not_cross_as_given() {
    let long = "x".repeat(MAX_ICID + 1);
    assert_eq!(icid_of(&format!("icid-value={long}")), None);
    assert_eq!(icid_of("icid-value=\"\""), None);
    assert_eq!(icid_of("orig-ioi=a"), None);
    assert_eq!(
        icid_of("icid-value=\"a;b\";orig-ioi=x").as_deref(),
        Some("a;b")
    );
    let vector = charging_vector(
        Some("icid-value=\"a\\\"b\";icid-generated-at=<evil>"),
        &leg(true),
        &BorderFaults::default(),
    );
    assert!(!vector.contains("evil"), "{vector}");
    assert!(
        vector.starts_with("icid-value=\"ab\";orig-ioi="),
        "{vector}"
    );
}
