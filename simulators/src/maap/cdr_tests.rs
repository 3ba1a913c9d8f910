//! Tests of the CDR store: its invariants, the faults that break them, and the query filters.

#![allow(clippy::unwrap_used)]

use super::*;

const BOT: &str = "sip:12599@botplatform.rcs.chinamobile.com";

fn a2p(api: &str, to: &str) -> Cdr {
    Cdr {
        icid: format!("icid-{api}-{to}"),
        record_type: A2P_MT.to_owned(),
        service_mode: "pager".to_owned(),
        originator: BOT.to_owned(),
        recipient: to.to_owned(),
        chatbot_id: BOT.to_owned(),
        imdn_message_id: api.to_owned(),
        api_message_id: api.to_owned(),
        final_status: status::SUBMITTED.to_owned(),
        ..Cdr::default()
    }
}

fn rejected(api: &str, to: &str) -> Cdr {
    Cdr {
        final_status: status::REJECTED_POLICY.to_owned(),
        failure_cause: "RateLimited".to_owned(),
        chargeable: true,
        ..a2p(api, to)
    }
}

fn fallback(api: &str, to: &str) -> Cdr {
    Cdr {
        record_type: FALLBACK_SMS.to_owned(),
        service_mode: "sms".to_owned(),
        segments: 2,
        final_status: status::FALLBACK_SMS.to_owned(),
        chargeable: true,
        ..a2p(api, to)
    }
}

fn filters(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(f, v)| ((*f).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn records_get_ids_and_updates_reach_the_newest_match() {
    let cdrs = Cdrs::default();
    cdrs.record(a2p("m-1", "tel:+8613900000001"));
    cdrs.record(a2p("m-1", "tel:+8613900000002"));
    cdrs.update("m-1", "tel:+86-139-0000-0002", |c| {
        c.final_status = "delivered".to_owned();
        c.chargeable = true;
    });
    cdrs.update("m-unknown", "tel:+8613900000002", |c| c.chargeable = true);
    let all = cdrs.all();
    assert_eq!(all.len(), 2);
    assert!(all.iter().all(|c| uuid::Uuid::parse_str(&c.cdr_id).is_ok()));
    assert_ne!(all[0].cdr_id, all[1].cdr_id);
    assert_eq!(all[0].final_status, status::SUBMITTED);
    assert!(!all[0].chargeable);
    assert_eq!(all[1].final_status, "delivered");
    assert!(all[1].chargeable);
}

#[test]
fn policy_refusals_are_never_charged() {
    let cdrs = Cdrs::default();
    cdrs.record(rejected("m-1", "tel:+8613900000001"));
    cdrs.update("m-1", "tel:+8613900000001", |c| c.chargeable = true);
    assert!(!cdrs.all()[0].chargeable);

    let bent = Cdrs::with_faults(CdrFaults::from_ids(&["maap.charges-rejected".to_owned()]));
    bent.record(rejected("m-1", "tel:+8613900000001"));
    assert!(bent.all()[0].chargeable);
}

#[test]
fn a_fallback_is_charged_instead_of_its_a2p_message() {
    let to = "tel:+8613900000003";
    let cdrs = Cdrs::default();
    let mut tried = a2p("m-2", to);
    tried.chargeable = true;
    cdrs.record(tried);
    cdrs.record(fallback("m-2", to));
    let answer = cdrs.query(&filters(&[("api_message_id", "m-2")]));
    assert_eq!(answer["count"], 2);
    assert_eq!(answer["chargeable"], 1);
    assert_eq!(answer["cdrs"][0]["chargeable"], false);
    assert_eq!(answer["cdrs"][0]["final_status"], status::FALLBACK_SMS);
    assert_eq!(answer["cdrs"][1]["record_type"], FALLBACK_SMS);
    assert_eq!(answer["cdrs"][1]["segments"], 2);

    let twice = CdrFaults::from_ids(&["maap.charges-fallback-twice".to_owned()]);
    let bent = Cdrs::with_faults(twice);
    bent.record(a2p("m-2", to));
    bent.record(fallback("m-2", to));
    assert_eq!(bent.query(&[])["chargeable"], 2);
    bent.update("m-2", to, |c| c.chargeable = false);
    assert_eq!(bent.query(&[])["chargeable"], 2);
}

#[test]
fn an_a2p_record_marked_fallback_is_not_charged_whatever_the_order() {
    let to = "tel:+8613900000003";
    let cdrs = Cdrs::default();
    cdrs.record(fallback("m-5", to));
    cdrs.record(a2p("m-5", to));
    cdrs.update("m-5", to, |c| {
        c.final_status = status::FALLBACK_SMS.to_owned();
        c.chargeable = true;
    });
    assert_eq!(cdrs.query(&[])["chargeable"], 1);
    let records = cdrs.all();
    assert_eq!(records[1].record_type, A2P_MT);
    assert!(!records[1].chargeable);
}

#[test]
fn the_join_ids_can_be_lost_by_fault() {
    let cdrs = Cdrs::with_faults(CdrFaults::from_ids(&["maap.cdr-no-join-ids".to_owned()]));
    cdrs.record(a2p("m-3", "tel:+8613900000001"));
    cdrs.update("m-3", "tel:+8613900000001", |c| {
        c.imdn_message_id = "m-3".to_owned();
    });
    let record = &cdrs.all()[0];
    assert_eq!(record.icid, "");
    assert_eq!(record.imdn_message_id, "");
    assert_eq!(record.api_message_id, "m-3");
}

#[test]
fn the_icid_is_the_request_s_unless_by_fault() {
    let to = "tel:+8613900000001";
    let cdrs = Cdrs::default();
    cdrs.record(a2p("m-7", to));
    cdrs.set_icid("m-7", to, "maap-abc");
    assert_eq!(cdrs.all()[0].icid, "maap-abc");
    let bent = Cdrs::with_faults(CdrFaults::from_ids(&["maap.cdr-no-icid".to_owned()]));
    bent.record(a2p("m-7", to));
    bent.set_icid("m-7", to, "maap-abc");
    let record = &bent.all()[0];
    assert!(!record.icid.is_empty());
    assert_ne!(record.icid, "maap-abc");
    assert_eq!(record.imdn_message_id, "m-7");
}

#[test]
fn the_icid_is_read_from_a_charging_vector() {
    let vector = "icid-value=\"AyretyU0dm+6O2IrT5tAFrbHLso=023551024\";orig-ioi=home1.net";
    assert_eq!(
        icid_of(Some(vector)),
        "AyretyU0dm+6O2IrT5tAFrbHLso=023551024"
    );
    assert_eq!(icid_of(Some("orig-ioi=home1.net")), "");
    assert_eq!(icid_of(None), "");
}

#[test]
fn queries_filter_on_every_field() {
    let cdrs = Cdrs::default();
    let mut delivered = a2p("m-1", "tel:+8613900000001");
    delivered.chargeable = true;
    delivered.final_status = "delivered".to_owned();
    cdrs.record(delivered);
    cdrs.record(a2p("m-1", "tel:+8613900000002"));
    cdrs.record(rejected("m-4", "tel:+8613900000001"));
    cdrs.record(Cdr {
        record_type: "P2A_MO".to_owned(),
        originator: "tel:+8613900000001".to_owned(),
        recipient: BOT.to_owned(),
        chatbot_id: BOT.to_owned(),
        api_message_id: "up-1".to_owned(),
        ..Cdr::default()
    });
    let count = |pairs: &[(&str, &str)]| cdrs.query(&filters(pairs))["count"].clone();
    assert_eq!(count(&[]), 4);
    assert_eq!(count(&[("chatbot", BOT)]), 4);
    assert_eq!(count(&[("api_message_id", "m-1")]), 2);
    assert_eq!(count(&[("record_type", A2P_MT)]), 3);
    assert_eq!(count(&[("recipient", "+8613900000001")]), 2);
    assert_eq!(count(&[("recipient", BOT)]), 1);
    assert_eq!(count(&[("originator", "tel:+8613900000001")]), 1);
    assert_eq!(count(&[("chargeable", "true")]), 1);
    assert_eq!(count(&[("final_status", "rejected_policy")]), 1);
    assert_eq!(count(&[("failure_cause", "RateLimited")]), 1);
    assert_eq!(count(&[("segments", "0"), ("api_message_id", "up-1")]), 1);
    assert_eq!(
        count(&[("api_message_id", "m-1"), ("chargeable", "false")]),
        1
    );
    assert_eq!(count(&[("no_such_field", "x")]), 0);
    assert_eq!(cdrs.query(&[])["chargeable"], 1);
}

#[test]
fn filter_names_are_the_record_fields() {
    for field in [
        "chatbot",
        "chatbot_id",
        "icid",
        "recipient",
        "chargeable",
        "segments",
    ] {
        assert!(is_filter(field), "{field}");
    }
    assert!(!is_filter("colour"));
    assert!(!is_filter(""));
}

#[test]
fn the_store_is_bounded() {
    let cdrs = Cdrs::default();
    for n in 0..MAX_CDRS + 5 {
        cdrs.record(a2p(&format!("m-{n}"), "tel:+8613900000001"));
    }
    let all = cdrs.all();
    assert_eq!(all.len(), MAX_CDRS);
    assert_eq!(all[0].api_message_id, "m-5");
    let answer = cdrs.query(&[]);
    assert_eq!(answer["count"], MAX_CDRS);
    assert_eq!(answer["cdrs"].as_array().unwrap().len(), MAX_QUERY_CDRS);
}

#[test]
fn a_late_submission_outcome_does_not_undo_a_delivery() {
    let to = "tel:+8613900000001";
    let cdrs = Cdrs::default();
    cdrs.record(a2p("m-6", to));
    cdrs.update("m-6", to, |c| {
        c.final_status = "delivered".to_owned();
        c.deliver_time = Some("2025-03-08T10:00:00.000+08:00".to_owned());
        c.chargeable = true;
    });
    cdrs.update("m-6", to, |c| {
        c.final_status = "sent".to_owned();
        c.chargeable = false;
    });
    let record = &cdrs.all()[0];
    assert_eq!(record.final_status, "delivered");
    assert!(record.chargeable);
    cdrs.update("m-6", to, |c| c.final_status = "displayed".to_owned());
    assert_eq!(cdrs.all()[0].final_status, "displayed");
}
