//! The MaaP's billing records (protocols.md §10.3): one CDR per message per recipient per leg,
//! kept in memory and exported by [`super::billing`].
//!
//! Records carry the §10.3 fields in snake_case JSON. The store keeps the invariants §10.3 asks of
//! a billing system whatever order the engine reports outcomes in: a policy refusal
//! (`rejected_policy`) is never chargeable, and a `FALLBACK_SMS` record replaces the charge of the
//! `A2P_MT` record of the same message and recipient instead of adding to it. The `maap` faults
//! `charges-rejected`, `charges-fallback-twice` and `cdr-no-join-ids` break exactly these
//! invariants and the join identifiers. The `icid` of an A2P_MT record is the `icid-value` of the
//! MESSAGE's `P-Charging-Vector` (RFC 7315 4.6), set by [`Cdrs::set_icid`] once the vector is
//! made (`maap.cdr-no-icid` gives the record one of its own instead); a P2A_MO record takes the
//! icid of the uplink's vector ([`icid_of`]), none when it carries no vector.
//!
//! Not modelled: carriers (`carrier_orig`/`carrier_term`), CSP ids, NNI legs, export formats other
//! than the JSON of the query. The engine fills the fields (times in RFC 3339); this module keeps,
//! amends and filters records.

use std::sync::{Mutex, MutexGuard};

use serde::Serialize;
use serde_json::Value;

#[cfg(test)]
use crate::cdr_export::MAX_QUERY_CDRS;
use crate::cdr_export::{self, Record};

/// Chatbot to user (protocols.md §10.3 `record_type`).
pub(crate) const A2P_MT: &str = "A2P_MT";
/// A message delivered as SMS instead.
pub(crate) const FALLBACK_SMS: &str = "FALLBACK_SMS";

/// The `final_status` values this module acts on (§10.3; the engine writes the others:
/// `sent`, `delivered`, `displayed`, `failed`, `revoked`).
pub(crate) mod status {
    pub(crate) const SUBMITTED: &str = "submitted";
    pub(crate) const FALLBACK_SMS: &str = "fallback_sms";
    pub(crate) const REJECTED_POLICY: &str = "rejected_policy";
}

/// The most records kept; the oldest go first.
pub(crate) const MAX_CDRS: usize = 10_000;

/// One billing record (§10.3).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub(crate) struct Cdr {
    pub cdr_id: String,
    /// From P-Charging-Vector `icid-value` (RFC 7315 4.6).
    pub icid: String,
    pub record_type: String,
    /// `pager`, `largemsg`, `session`, `fthttp`, or `sms`.
    pub service_mode: String,
    pub originator: String,
    pub recipient: String,
    pub chatbot_id: String,
    /// `maap.Traffic-Type` / the API's traffic type; `""` when none.
    pub traffic_type: String,
    pub conversation_id: String,
    pub contribution_id: String,
    pub imdn_message_id: String,
    pub api_message_id: String,
    pub content_type: String,
    pub size_bytes: u64,
    /// SMS parts, for `FALLBACK_SMS` (0 otherwise).
    pub segments: u8,
    pub submit_time: String,
    /// None until delivered.
    pub deliver_time: Option<String>,
    /// None until displayed.
    pub display_time: Option<String>,
    pub final_status: String,
    /// SIP status, API error code or policy reason; `""` when none.
    pub failure_cause: String,
    pub chargeable: bool,
}

/// The misbehaviours of the `maap` fault table that bend the billing records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct CdrFaults {
    /// `maap.charges-rejected`: policy refusals are billed.
    pub charges_rejected: bool,
    /// `maap.charges-fallback-twice`: an SMS fallback is billed on top of the A2P message.
    pub charges_fallback_twice: bool,
    /// `maap.cdr-no-join-ids`: records lack `icid` and `imdn_message_id`.
    pub no_join_ids: bool,
    /// `maap.cdr-no-icid`: an A2P_MT record's icid is not the one its MESSAGE carried.
    pub no_icid: bool,
}

impl CdrFaults {
    /// The billing faults among the role's fault ids (the others are ignored).
    pub(crate) fn from_ids(faults: &[String]) -> Self {
        let has = |id: &str| faults.iter().any(|f| f == id);
        Self {
            charges_rejected: has("maap.charges-rejected"),
            charges_fallback_twice: has("maap.charges-fallback-twice"),
            no_join_ids: has("maap.cdr-no-join-ids"),
            no_icid: has("maap.cdr-no-icid"),
        }
    }
}

/// The MaaP's records (`Default`: empty, without faults).
#[derive(Debug, Default)]
pub(crate) struct Cdrs {
    records: Mutex<Vec<Cdr>>,
    faults: CdrFaults,
}

impl Cdrs {
    /// An empty store bent by `faults`.
    pub fn with_faults(faults: CdrFaults) -> Cdrs {
        Cdrs {
            records: Mutex::new(Vec::new()),
            faults,
        }
    }

    /// Adds `cdr` (a fresh `cdr_id` when it has none).
    pub fn record(&self, mut cdr: Cdr) {
        if cdr.cdr_id.is_empty() {
            cdr.cdr_id = uuid::Uuid::new_v4().to_string();
        }
        self.enforce(&mut cdr);
        let mut records = lock(&self.records);
        if cdr.record_type == FALLBACK_SMS {
            self.fallback_replaces_charge(&mut records, &cdr);
        }
        if records.len() >= MAX_CDRS {
            records.remove(0);
        }
        records.push(cdr);
    }

    /// Changes the newest record of `api_message_id` to `recipient` (any record type but
    /// `FALLBACK_SMS`, which has its own leg); nothing when there is none. A change that would
    /// take a delivered or displayed record back to an earlier status is dropped.
    pub fn update(&self, api_message_id: &str, recipient: &str, f: impl FnOnce(&mut Cdr)) {
        let user = same_user(recipient);
        let mut records = lock(&self.records);
        let found = records.iter_mut().rev().find(|c| {
            c.api_message_id == api_message_id
                && user(&c.recipient)
                && c.record_type != FALLBACK_SMS
        });
        if let Some(cdr) = found {
            let before = cdr.clone();
            f(cdr);
            if reached(&before.final_status) && !reached(&cdr.final_status) {
                // A late outcome of the submission (the 200 to the MESSAGE processed after the
                // delivery IMDN) never undoes the delivery.
                *cdr = before;
            }
            self.enforce(cdr);
        }
    }

    /// Sets the icid of the newest record of `api_message_id` to `recipient` to `icid`, the
    /// `icid-value` of the request that carries the message (or, under `maap.cdr-no-icid`, to
    /// an icid of the record's own).
    pub fn set_icid(&self, api_message_id: &str, recipient: &str, icid: &str) {
        let icid = match self.faults.no_icid {
            true => format!("cdr-{}", uuid::Uuid::new_v4()),
            false => icid.to_owned(),
        };
        self.update(api_message_id, recipient, |cdr| cdr.icid = icid);
    }

    /// Every record, oldest first.
    #[cfg(test)]
    pub fn all(&self) -> Vec<Cdr> {
        lock(&self.records).clone()
    }

    /// The records matching every `(field, value)` filter (see [`cdr_export::matches`]) as
    /// `{"count":N,"chargeable":M,"cdrs":[...]}`, oldest first.
    pub fn query(&self, filters: &[(String, String)]) -> Value {
        cdr_export::select(lock(&self.records).iter(), filters)
    }

    /// The invariants of one record, or the faults that break them.
    fn enforce(&self, cdr: &mut Cdr) {
        if cdr.final_status == status::REJECTED_POLICY {
            cdr.chargeable = self.faults.charges_rejected;
        }
        if cdr.record_type == A2P_MT && cdr.final_status == status::FALLBACK_SMS {
            cdr.chargeable = self.faults.charges_fallback_twice;
        }
        if self.faults.no_join_ids {
            cdr.icid.clear();
            cdr.imdn_message_id.clear();
        }
    }

    /// A fallback SMS is billed instead of its A2P message (or on top of it, under the fault).
    fn fallback_replaces_charge(&self, records: &mut [Cdr], fallback: &Cdr) {
        let user = same_user(&fallback.recipient);
        let a2p = records.iter_mut().filter(|c| {
            c.record_type == A2P_MT
                && c.api_message_id == fallback.api_message_id
                && user(&c.recipient)
        });
        for cdr in a2p {
            cdr.chargeable = self.faults.charges_fallback_twice;
            if cdr.final_status == status::SUBMITTED {
                cdr.final_status = status::FALLBACK_SMS.to_owned();
            }
        }
    }
}

/// The `icid-value` of a request's `P-Charging-Vector` value (RFC 7315 4.6); `""` without a
/// vector or an icid in it.
pub(crate) fn icid_of(vector: Option<&str>) -> String {
    vector
        .and_then(crate::iwg::border::icid_of)
        .unwrap_or_default()
}

/// Whether a message with this status reached the user's terminal.
fn reached(final_status: &str) -> bool {
    matches!(final_status, "delivered" | "displayed")
}

impl Record for Cdr {
    fn chargeable(&self) -> bool {
        self.chargeable
    }

    /// `chatbot` stands for `chatbot_id`.
    fn field_of(filter: &str) -> &str {
        match filter {
            "chatbot" => "chatbot_id",
            other => other,
        }
    }
}

/// The field names a query may filter on: every record field, and `chatbot` for `chatbot_id`.
pub(crate) fn is_filter(field: &str) -> bool {
    cdr_export::is_filter::<Cdr>(field)
}

/// A predicate: whether a user identity names the same user as `user` (tel URIs and bare
/// numbers by their digits, anything else exactly).
fn same_user(user: &str) -> impl Fn(&str) -> bool + '_ {
    move |other| cdr_export::same_user(user, other)
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
#[path = "cdr_tests.rs"]
mod tests;
