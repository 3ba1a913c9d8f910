//! Billing records of the message center and the interworking gateway (protocols.md §10.3):
//! person-to-person records (`P2P_MO` where the message enters its originating network, `P2P_MT`
//! where it is handed to the recipient's terminal) and NNI records (`NNI_OUT` at the sending
//! gateway, `NNI_IN` at the receiving one), kept in memory with a cap and queried by field.
//!
//! Records share the JSON shape of the MaaP's export (snake_case §10.3 field names, the answer
//! `{"count":N,"chargeable":M,"cdrs":[...]}`) and its filter rules (`cdr_export`): any record field, values
//! compared as text, users (`originator`, `recipient`) as numbers when both are numbers or tel
//! URIs. The `icid` is the `icid-value` of the request's `P-Charging-Vector` (RFC 7315 4.6), the
//! key that joins the records of one message across nodes; `orig_ioi`/`term_ioi` are its
//! inter-operator identifiers (RFC 7315 5.4). A record is amended once, by the final response
//! to its request (matched by Call-ID): `delivered` with its time on 2xx, `failed` and not
//! chargeable otherwise.
//!
//! Not here: which messages are recorded (`cdr_service` for the message center, `iwg::cdr` for
//! the gateway), the HTTP export (`cdr_http`), SMS segments, chatbot and API identifiers (the
//! MaaP's records carry those).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use rcs_harness::role::Carrier;
use rcs_proto::cpim::CpimMessage;
use rcs_proto::sip::{Message, Uri, split_outside, unquote};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::{format_description, offset};

#[cfg(test)]
use crate::cdr_export::MAX_QUERY_CDRS;
use crate::cdr_export::{self, Record, number};
use crate::iwg::border::icid_of;

/// Person to person, at the originating network.
pub(crate) const P2P_MO: &str = "P2P_MO";
/// Person to person, at the recipient's terminal.
pub(crate) const P2P_MT: &str = "P2P_MT";
/// Sent across the NNI to another carrier.
pub(crate) const NNI_OUT: &str = "NNI_OUT";
/// Received across the NNI from another carrier.
pub(crate) const NNI_IN: &str = "NNI_IN";

/// The most records kept; the oldest go first.
pub(crate) const MAX_CDRS: usize = 10_000;

/// The longest Call-ID kept to match a record with its answer.
const MAX_CALL_ID: usize = 256;

/// `2025-03-01T10:00:00.000+08:00`.
const DATE_TIME: &[FormatItem<'static>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory]:[offset_minute]"
);

/// One billing record (§10.3).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub(crate) struct NetCdr {
    pub cdr_id: String,
    /// From P-Charging-Vector `icid-value` (RFC 7315 4.6).
    pub icid: String,
    pub record_type: String,
    /// `pager` for MESSAGE.
    pub service_mode: String,
    pub originator: String,
    pub recipient: String,
    /// `cmcc`, `cucc` or `ctcc`; `""` when unknown.
    pub carrier_orig: String,
    pub carrier_term: String,
    /// P-Charging-Vector `orig-ioi` / `term-ioi` (RFC 7315 5.4); `""` when absent.
    pub orig_ioi: String,
    pub term_ioi: String,
    pub conversation_id: String,
    pub contribution_id: String,
    pub imdn_message_id: String,
    pub content_type: String,
    pub size_bytes: u64,
    pub submit_time: String,
    /// None until delivered.
    pub deliver_time: Option<String>,
    /// `submitted`, `delivered` or `failed`.
    pub final_status: String,
    /// The SIP status of a failure; `""` when none.
    pub failure_cause: String,
    pub chargeable: bool,
    /// The request's Call-ID, to match its answer (not exported).
    #[serde(skip)]
    pub call_id: String,
}

/// A shared store of records (`Default`: empty); clones share it.
#[derive(Clone, Debug, Default)]
pub(crate) struct NetCdrs {
    records: Arc<Mutex<Vec<NetCdr>>>,
}

impl NetCdrs {
    /// Adds `cdr` with a fresh `cdr_id` and, when it has none, the submission time now.
    pub fn record(&self, mut cdr: NetCdr) {
        cdr.cdr_id = uuid::Uuid::new_v4().to_string();
        if cdr.submit_time.is_empty() {
            cdr.submit_time = now_rfc3339();
        }
        cdr.call_id.truncate(MAX_CALL_ID);
        let mut records = lock(&self.records);
        if records.len() >= MAX_CDRS {
            records.remove(0);
        }
        records.push(cdr);
    }

    /// The final response `status` to the request of `call_id`: its `submitted` records become
    /// `delivered` (2xx) or `failed` and not chargeable (any other final status).
    pub fn answered(&self, call_id: &str, status: u16) {
        if status < 200 || call_id.is_empty() {
            return;
        }
        let mut records = lock(&self.records);
        let pending = records
            .iter_mut()
            .filter(|c| c.call_id == call_id && c.final_status == status::SUBMITTED);
        for cdr in pending {
            if (200..300).contains(&status) {
                cdr.final_status = status::DELIVERED.to_owned();
                cdr.deliver_time = Some(now_rfc3339());
            } else {
                cdr.final_status = status::FAILED.to_owned();
                cdr.failure_cause = status.to_string();
                cdr.chargeable = false;
            }
        }
    }

    /// Every record, oldest first.
    #[cfg(test)]
    pub fn all(&self) -> Vec<NetCdr> {
        lock(&self.records).clone()
    }

    /// The records matching every `(field, value)` filter as
    /// `{"count":N,"chargeable":M,"cdrs":[...]}`, oldest first.
    pub fn query(&self, filters: &[(String, String)]) -> Value {
        cdr_export::select(lock(&self.records).iter(), filters)
    }
}

/// The `final_status` values of these records.
pub(crate) mod status {
    pub(crate) const SUBMITTED: &str = "submitted";
    pub(crate) const DELIVERED: &str = "delivered";
    pub(crate) const FAILED: &str = "failed";
}

impl Record for NetCdr {
    fn chargeable(&self) -> bool {
        self.chargeable
    }
}

/// The field names a query may filter on: every exported record field.
pub(crate) fn is_filter(field: &str) -> bool {
    cdr_export::is_filter::<NetCdr>(field)
}

/// A user as records name it: `tel:<number>` for a URI whose user part is a number (a global
/// one keeps its `+`), the URI as written otherwise.
pub(crate) fn user_of(uri: &Uri) -> String {
    let written = uri.to_string();
    if written.starts_with("tel:") {
        return written.split(';').next().unwrap_or(&written).to_owned();
    }
    match uri.user().filter(|u| number(u).is_some()) {
        Some(user) => format!("tel:{user}"),
        None => written,
    }
}

/// A `submitted`, chargeable `pager` record of a MESSAGE (no `record_type` yet): users and
/// carriers by number from From and the Request-URI, the icid and IOIs of its
/// `P-Charging-Vector`, the CPM identifiers. None when From or the Request-URI do not parse.
pub(crate) fn of_request(request: &Message) -> Option<NetCdr> {
    let from = request.from_header().ok()?;
    let to = request.request_uri().and_then(|u| Uri::parse(u).ok())?;
    let vector = request.header("P-Charging-Vector").unwrap_or_default();
    let header = |name: &str| request.header(name).unwrap_or_default().trim().to_owned();
    Some(NetCdr {
        icid: icid_of(vector).unwrap_or_default(),
        service_mode: "pager".to_owned(),
        originator: user_of(&from.uri),
        recipient: user_of(&to),
        carrier_orig: carrier_of(&from.uri),
        carrier_term: carrier_of(&to),
        orig_ioi: vector_param(vector, "orig-ioi"),
        term_ioi: vector_param(vector, "term-ioi"),
        conversation_id: header("Conversation-ID"),
        contribution_id: header("Contribution-ID"),
        imdn_message_id: cpim_message_id(request),
        content_type: media_type(&header("Content-Type")),
        size_bytes: request.body().len() as u64,
        final_status: status::SUBMITTED.to_owned(),
        chargeable: true,
        call_id: request.call_id().unwrap_or_default().to_owned(),
        ..NetCdr::default()
    })
}

/// Whether a request carries a CPIM message (RFC 3862) that is not an IMDN (RFC 5438 7.1).
pub(crate) fn is_chat(request: &Message) -> bool {
    let Some(content_type) = request.header("Content-Type") else {
        return false;
    };
    media_type(content_type).eq_ignore_ascii_case("message/cpim")
        && !crate::message_center::is_imdn_request(request)
}

/// A `name=value` parameter of a charging vector (RFC 7315 4.6), `""` when absent.
pub(crate) fn vector_param(vector: &str, name: &str) -> String {
    split_outside(vector, b';')
        .into_iter()
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| unquote(v.trim()))
        .unwrap_or_default()
}

/// The carrier whose range a user's number is of, `""` when none.
fn carrier_of(uri: &Uri) -> String {
    let user = user_of(uri);
    Carrier::of_number(user.strip_prefix("tel:").unwrap_or(&user))
        .map(|c| c.as_str().to_owned())
        .unwrap_or_default()
}

/// The `imdn.Message-ID` of a CPIM body, `""` when it has none.
fn cpim_message_id(request: &Message) -> String {
    CpimMessage::parse(request.body())
        .ok()
        .and_then(|cpim| cpim.imdn_message_id().map(str::to_owned))
        .unwrap_or_default()
}

/// The `type/subtype` of a Content-Type value.
fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// The wall-clock time now in China Standard Time, RFC 3339 with milliseconds.
pub(crate) fn now_rfc3339() -> String {
    // Only numeric components: formatting cannot fail; an empty string would still be shown.
    OffsetDateTime::from(SystemTime::now())
        .to_offset(offset!(+8))
        .format(DATE_TIME)
        .unwrap_or_default()
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn cdr(record_type: &str, call_id: &str, icid: &str) -> NetCdr {
        NetCdr {
            record_type: record_type.to_owned(),
            icid: icid.to_owned(),
            call_id: call_id.to_owned(),
            originator: "tel:+8613800000001".to_owned(),
            recipient: "tel:+8613800000002".to_owned(),
            final_status: status::SUBMITTED.to_owned(),
            chargeable: true,
            ..NetCdr::default()
        }
    }

    fn filters(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn records_are_filtered_by_field_and_user() {
        let cdrs = NetCdrs::default();
        cdrs.record(cdr(P2P_MO, "c1", "i1"));
        cdrs.record(cdr(P2P_MT, "c1", "i1"));
        cdrs.record(cdr(P2P_MO, "c2", "i2"));
        let got = cdrs.query(&filters(&[("icid", "i1")]));
        assert_eq!(got["count"], 2);
        assert_eq!(got["cdrs"][1]["record_type"], P2P_MT);
        assert!(got["cdrs"][0].get("call_id").is_none(), "not exported");
        let got = cdrs.query(&filters(&[
            ("recipient", "+8613800000002"),
            ("record_type", "P2P_MO"),
        ]));
        assert_eq!(got["count"], 2);
        let got = cdrs.query(&filters(&[("chargeable", "true"), ("icid", "i2")]));
        assert_eq!(
            (got["count"].clone(), got["chargeable"].clone()),
            (json!(1), json!(1))
        );
        assert_eq!(cdrs.query(&filters(&[("colour", "red")]))["count"], 0);
        let ids: Vec<String> = cdrs.all().into_iter().map(|c| c.cdr_id).collect();
        assert!(ids[0] != ids[1] && !ids[0].is_empty());
    }

    #[test]
    fn answers_settle_the_records_of_their_request() {
        let cdrs = NetCdrs::default();
        cdrs.record(cdr(P2P_MO, "c1", "i1"));
        cdrs.record(cdr(P2P_MO, "c2", "i2"));
        cdrs.answered("c1", 100);
        assert_eq!(cdrs.all()[0].final_status, status::SUBMITTED);
        cdrs.answered("c1", 202);
        cdrs.answered("c2", 480);
        let all = cdrs.all();
        assert_eq!(all[0].final_status, status::DELIVERED);
        assert!(all[0].deliver_time.is_some() && all[0].chargeable);
        assert_eq!(all[1].final_status, status::FAILED);
        assert_eq!(
            (all[1].failure_cause.as_str(), all[1].chargeable),
            ("480", false)
        );
        cdrs.answered("c1", 500);
        assert_eq!(
            cdrs.all()[0].final_status,
            status::DELIVERED,
            "settled once"
        );
    }

    #[test]
    fn the_store_is_capped_and_fields_are_known() {
        let cdrs = NetCdrs::default();
        for n in 0..=MAX_CDRS {
            cdrs.record(cdr(NNI_OUT, &n.to_string(), "i"));
        }
        let all = cdrs.all();
        assert_eq!(all.len(), MAX_CDRS);
        assert_eq!(all[0].call_id, "1", "the oldest went first");
        let answer = cdrs.query(&[]);
        assert_eq!(answer["count"], MAX_CDRS);
        assert_eq!(answer["cdrs"].as_array().unwrap().len(), MAX_QUERY_CDRS);
        assert!(is_filter("orig_ioi") && is_filter("term_ioi") && is_filter("chargeable"));
        assert!(!is_filter("call_id") && !is_filter("colour"));
    }

    #[test]
    fn users_are_named_by_number_when_they_have_one() {
        let uri = |s: &str| rcs_proto::sip::Uri::parse(s).unwrap();
        assert_eq!(
            user_of(&uri("sip:+8613800000001@ims.example;user=phone")),
            "tel:+8613800000001"
        );
        assert_eq!(
            user_of(&uri("tel:+8613800000001;phone-context=x")),
            "tel:+8613800000001"
        );
        assert_eq!(
            user_of(&uri("sip:bot@botplatform.example")),
            "sip:bot@botplatform.example"
        );
        assert!(now_rfc3339().ends_with("+08:00"));
    }
}
