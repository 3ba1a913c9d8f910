//! The message center's person-to-person billing (protocols.md §10.3, PLT-CDR-004): the charging
//! vector it opens and the `P2P_MO` / `P2P_MT` records of chat messages.
//!
//! A MESSAGE from one of its own users that carries no `P-Charging-Vector` gets one, as the
//! originating network's first IMS node does (RFC 7315 4.6): `icid-value=<unique>;orig-ioi=<its
//! carrier's IOI>`. A chat message (a CPIM MESSAGE, pager mode) accepted from its own user is
//! recorded `P2P_MO`; one it hands to its own user's terminal `P2P_MT`; both take the icid of the
//! request they saw, so the two records of one message join on it. IMDNs, OPTIONS, revokes and
//! SMS are not chargeable and leave no record; chatbot traffic is the MaaP's to record.
//!
//! Faults: `message-center.cdr-charges-imdn` records IMDNs as chargeable messages,
//! `message-center.cdr-icid-mismatch` gives the `P2P_MT` record an icid of its own.
//! A message stored for an offline user, or sent as SMS, is billed on its fate
//! (`cdr_p2p_deferred`); CPM sessions and large messages once per session per leg
//! (`cdr_p2p_session`).

use std::sync::{Arc, Mutex};

use rcs_harness::role::Carrier;
use rcs_proto::sip::Message;

use super::cdr::{NetCdr, NetCdrs, P2P_MO, P2P_MT, is_chat, of_request};
use super::config::{Fault, Faults};
use super::reply;
use super::rewrite::Draft;
use super::router;

#[path = "cdr_p2p_deferred.rs"]
mod deferred;

#[path = "cdr_p2p_session.rs"]
mod session;

/// The header carrying the charging vector (RFC 7315 4.6).
const PCV: &str = "P-Charging-Vector";

/// The `icid-value` length of the vectors it opens.
const ICID_LEN: usize = 24;

/// The records of one message center. Cheap to clone; every clone is the same.
#[derive(Clone, Debug, Default)]
pub struct P2pCdrs {
    store: NetCdrs,
    carrier: Arc<Mutex<Carrier>>,
    charges_imdn: bool,
    icid_mismatch: bool,
    /// Records of stored messages waiting for their fate (`cdr_p2p_deferred`).
    deferred: Arc<deferred::Deferred>,
    deferred_at_store: bool,
    fallback_also_mt: bool,
    session_as_pager: bool,
}

/// Where a routed MESSAGE went, as far as billing cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Leg {
    /// It came from one of its own users and was accepted.
    pub originating: bool,
    /// It was handed to one of its own users' terminals.
    pub terminating: bool,
}

impl P2pCdrs {
    /// Records bent by the message center's `faults`.
    pub fn new(faults: &Faults) -> Self {
        Self {
            charges_imdn: faults.has(Fault::CdrChargesImdn),
            icid_mismatch: faults.has(Fault::CdrIcidMismatch),
            deferred_at_store: faults.has(Fault::CdrDeferredAtStore),
            fallback_also_mt: faults.has(Fault::CdrFallbackAlsoMt),
            session_as_pager: faults.has(Fault::CdrSessionAsPager),
            ..Self::default()
        }
    }

    /// The message center serves `carrier`.
    pub fn configure(&self, carrier: Carrier) {
        *self.carrier.lock().unwrap_or_else(|p| p.into_inner()) = carrier;
    }

    /// The store its billing export reads.
    pub fn store(&self) -> NetCdrs {
        self.store.clone()
    }

    fn carrier(&self) -> Carrier {
        *self.carrier.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `request` with a charging vector of its own when it has none; None when it has one.
    pub fn with_vector(&self, request: &Message) -> Option<Message> {
        if request.header(PCV).is_some() {
            return None;
        }
        let vector = format!(
            "icid-value={};orig-ioi={}",
            reply::token(ICID_LEN),
            self.carrier().ioi()
        );
        let mut draft = Draft::new(request);
        draft.insert_before_first_of(&["Content-Type", "Content-Length"], PCV, &vector);
        Message::parse(draft.build()).ok()
    }

    /// Records a MESSAGE routed on `leg`, when it is a chargeable chat message.
    pub fn routed(&self, request: &Message, leg: Leg) {
        if !(leg.originating || leg.terminating) || !self.is_chargeable(request) {
            return;
        }
        let Some(base) = of_request(request) else {
            return;
        };
        if leg.originating {
            self.store.record(NetCdr {
                record_type: P2P_MO.to_owned(),
                ..base.clone()
            });
        }
        if leg.terminating {
            let icid = match self.icid_mismatch {
                true => reply::token(ICID_LEN),
                false => base.icid.clone(),
            };
            self.store.record(NetCdr {
                record_type: P2P_MT.to_owned(),
                icid,
                ..base
            });
        }
    }

    /// The final `status` relayed back for the request of `call_id` settles its records.
    pub fn answered(&self, call_id: &str, status: u16) {
        self.store.answered(call_id, status);
    }

    /// A CPIM MESSAGE that is not an IMDN (or is one, under the fault).
    fn is_chargeable(&self, request: &Message) -> bool {
        request.method() == Some("MESSAGE")
            && (is_chat(request) || (self.charges_imdn && router::is_imdn(request)))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "cdr_p2p_tests.rs"]
mod tests;
