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

fn stored_copy(imdn_id: &str) -> crate::message_center::store::Stored {
    crate::message_center::store::Stored {
        seq: 1,
        recipient: "+8613800000002".to_owned(),
        sender: Some("+8613800000001".to_owned()),
        from: String::new(),
        to: String::new(),
        identity: None,
        headers: Vec::new(),
        content_type: "message/cpim".to_owned(),
        body: Bytes::new(),
        imdn_id: Some(imdn_id.to_owned()),
        negative: false,
        expires_at: std::time::Instant::now(),
        in_flight: false,
    }
}

#[test]
fn a_stored_message_is_billed_when_delivered_or_expired() {
    let cdrs = P2pCdrs::new(&Faults::default());
    let request = message(CHAT, Some("icid-value=abc;orig-ioi=x"));
    cdrs.stored(&request, "+8613800000002");
    cdrs.stored(&message(IMDN, None), "+8613800000002");
    assert!(cdrs.store().all().is_empty(), "nothing until its fate");
    cdrs.deferred_delivered(&stored_copy("other"));
    assert!(cdrs.store().all().is_empty(), "another message");
    cdrs.deferred_delivered(&stored_copy("m-1"));
    let all = cdrs.store().all();
    assert_eq!(all.len(), 1);
    assert_eq!(
        (all[0].record_type.as_str(), all[0].icid.as_str()),
        (P2P_MT, "abc")
    );
    assert_eq!(all[0].final_status, "delivered");
    assert!(all[0].deliver_time.is_some() && all[0].chargeable);
    cdrs.deferred_delivered(&stored_copy("m-1"));
    assert_eq!(cdrs.store().all().len(), 1, "billed once");
    cdrs.stored(&request, "+8613800000002");
    cdrs.deferred_expired(&stored_copy("m-1"));
    let expired = cdrs.store().all().pop().unwrap();
    assert_eq!(expired.final_status, "expired");
    assert!(expired.deliver_time.is_none() && !expired.chargeable);
}

#[test]
fn a_message_that_fell_back_gets_no_p2p_mt_unless_the_fault() {
    let fallback = NetCdr {
        record_type: "FALLBACK_SMS".to_owned(),
        imdn_message_id: "m-1".to_owned(),
        ..NetCdr::default()
    };
    let cdrs = P2pCdrs::new(&Faults::default());
    cdrs.stored(&message(CHAT, None), "+8613800000002");
    cdrs.fell_back("+8613800000002", &fallback);
    cdrs.deferred_delivered(&stored_copy("m-1"));
    assert!(cdrs.store().all().is_empty(), "set aside, then dropped");
    let faulty = P2pCdrs::new(&faults(&["message-center.cdr-fallback-also-mt"]));
    faulty.fell_back("+8613800000002", &fallback);
    let all = faulty.store().all();
    assert_eq!(
        (all.len(), all[0].record_type.as_str(), all[0].chargeable),
        (1, P2P_MT, true)
    );
}

#[test]
fn the_fault_bills_a_stored_message_at_once() {
    let cdrs = P2pCdrs::new(&faults(&["message-center.cdr-deferred-at-store"]));
    cdrs.stored(&message(CHAT, None), "+8613800000002");
    let all = cdrs.store().all();
    assert_eq!((all.len(), all[0].final_status.as_str()), (1, "delivered"));
}
