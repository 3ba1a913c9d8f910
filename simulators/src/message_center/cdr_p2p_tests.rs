use bytes::Bytes;

use super::*;
use crate::iwg::border::icid_of;
use crate::message_center::cdr::vector_param as param;
use crate::message_center::config::Faults;

const CHAT: &str = "From: <sip:anonymous@anonymous.invalid>\r\nTo: <sip:anonymous@anonymous.invalid>\r\n\
NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: m-1\r\n\
DateTime: 2025-03-01T10:00:00.000+08:00\r\nimdn.Disposition-Notification: positive-delivery\r\n\r\n\
Content-Type: text/plain;charset=UTF-8\r\n\r\nhello";

const IMDN: &str = "From: <sip:anonymous@anonymous.invalid>\r\nTo: <sip:anonymous@anonymous.invalid>\r\n\
NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: n-1\r\n\
DateTime: 2025-03-01T10:00:01.000+08:00\r\n\r\n\
Content-Type: message/imdn+xml\r\n\r\n<imdn/>";

fn message(body: &str, vector: Option<&str>) -> Message {
    let vector = vector
        .map(|v| format!("P-Charging-Vector: {v}\r\n"))
        .unwrap_or_default();
    let text = format!(
        "MESSAGE sip:+8613800000002@ims.mnc000.mcc460.3gppnetwork.org SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKa1\r\nMax-Forwards: 70\r\n\
From: <sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>;tag=1\r\n\
To: <sip:+8613800000002@ims.mnc000.mcc460.3gppnetwork.org>\r\nCall-ID: call-1\r\n\
CSeq: 1 MESSAGE\r\nConversation-ID: conv-1\r\nContribution-ID: contrib-1\r\n{vector}\
Content-Type: message/cpim\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    Message::parse(Bytes::from(text)).unwrap()
}

fn faults(ids: &[&str]) -> Faults {
    let ids: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
    Faults::from_ids(&ids).unwrap()
}

const BOTH: Leg = Leg {
    originating: true,
    terminating: true,
};

#[test]
fn a_request_without_a_vector_gets_one_with_the_carrier_ioi() {
    let cdrs = P2pCdrs::new(&Faults::default());
    cdrs.configure(Carrier::Cucc);
    let charged = cdrs.with_vector(&message(CHAT, None)).unwrap();
    let vector = charged.header("P-Charging-Vector").unwrap();
    let icid = icid_of(vector).unwrap();
    assert_eq!(icid.len(), ICID_LEN);
    assert_eq!(param(vector, "orig-ioi"), Carrier::Cucc.ioi());
    assert_eq!(charged.body(), message(CHAT, None).body(), "body untouched");
    assert!(
        cdrs.with_vector(&message(CHAT, Some("icid-value=x")))
            .is_none()
    );
    let other = cdrs.with_vector(&message(CHAT, None)).unwrap();
    assert_ne!(
        icid_of(other.header("P-Charging-Vector").unwrap()).unwrap(),
        icid
    );
}

#[test]
fn mo_and_mt_records_share_the_icid_of_the_request() {
    let cdrs = P2pCdrs::new(&Faults::default());
    let vector = "icid-value=\"abc 1\";orig-ioi=ims.mnc000.mcc460.3gppnetwork.org";
    cdrs.routed(&message(CHAT, Some(vector)), BOTH);
    let all = cdrs.store().all();
    assert_eq!(all.len(), 2);
    let (mo, mt) = (&all[0], &all[1]);
    assert_eq!(
        (mo.record_type.as_str(), mt.record_type.as_str()),
        (P2P_MO, P2P_MT)
    );
    assert_eq!((mo.icid.as_str(), mt.icid.as_str()), ("abc 1", "abc 1"));
    assert_eq!(mo.orig_ioi, "ims.mnc000.mcc460.3gppnetwork.org");
    assert_eq!(mo.originator, "tel:+8613800000001");
    assert_eq!(mo.recipient, "tel:+8613800000002");
    assert_eq!(
        (mo.carrier_orig.as_str(), mo.carrier_term.as_str()),
        ("cmcc", "cmcc")
    );
    assert_eq!(mo.imdn_message_id, "m-1");
    assert_eq!(mo.conversation_id, "conv-1");
    assert!(mo.chargeable && mt.chargeable);
    cdrs.answered("call-1", 200);
    assert!(
        cdrs.store()
            .all()
            .iter()
            .all(|c| c.final_status == "delivered")
    );
}

#[test]
fn only_the_legs_of_this_center_are_recorded() {
    let cdrs = P2pCdrs::new(&Faults::default());
    let chat = message(CHAT, Some("icid-value=i"));
    let mo_only = Leg {
        originating: true,
        terminating: false,
    };
    cdrs.routed(&chat, mo_only);
    let neither = Leg {
        originating: false,
        terminating: false,
    };
    cdrs.routed(&chat, neither);
    let types: Vec<String> = cdrs
        .store()
        .all()
        .into_iter()
        .map(|c| c.record_type)
        .collect();
    assert_eq!(types, [P2P_MO]);
}

#[test]
fn imdns_are_not_charged_unless_the_fault_says_so() {
    let clean = P2pCdrs::new(&Faults::default());
    clean.routed(&message(IMDN, Some("icid-value=i")), BOTH);
    assert!(clean.store().all().is_empty());
    let faulty = P2pCdrs::new(&faults(&["message-center.cdr-charges-imdn"]));
    faulty.routed(&message(IMDN, Some("icid-value=i")), BOTH);
    let all = faulty.store().all();
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|c| c.chargeable));
}

#[test]
fn the_mismatch_fault_gives_the_mt_record_its_own_icid() {
    let cdrs = P2pCdrs::new(&faults(&["message-center.cdr-icid-mismatch"]));
    cdrs.routed(&message(CHAT, Some("icid-value=i")), BOTH);
    let all = cdrs.store().all();
    assert_eq!(all[0].icid, "i");
    assert!(!all[1].icid.is_empty() && all[1].icid != "i");
}
