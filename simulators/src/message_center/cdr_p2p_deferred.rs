//! The `P2P_MT` records of messages that were not handed over at once (protocols.md §10.3,
//! §4.8, §9.2; PLT-CDR-005): store-and-forward and SMS fallback.
//!
//! A chat message stored for an offline user is billed when its fate is known, not when it is
//! stored: its record is kept aside (with the icid, identifiers and submission time of the
//! request that was stored) and written `P2P_MT` once the stored copy is delivered at the user's
//! registration (`delivered`, `deliver_time` the delivery's 2xx, chargeable), or when it expires
//! (`expired`, no `deliver_time`, not chargeable). A message that goes as SMS instead (at once,
//! or when its fallback timer runs out) is billed `FALLBACK_SMS` by the IWF and gets no
//! `P2P_MT`: its record set aside is dropped. A revoked message is never billed. At most
//! [`MAX_DEFERRED`] records wait at once; beyond it the oldest is dropped unbilled.
//!
//! Faults: `message-center.cdr-deferred-at-store` writes the `P2P_MT` `delivered` when the
//! message is stored; `message-center.cdr-fallback-also-mt` bills a message that went as SMS a
//! chargeable `P2P_MT` as well.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};

use rcs_proto::sip::Message;

use super::super::cdr::{NetCdr, P2P_MT, now_rfc3339, of_request, status};
use super::super::store::Stored;
use super::P2pCdrs;

/// Records waiting for the fate of their stored message.
pub(super) const MAX_DEFERRED: usize = 1024;

/// The `final_status` of a stored message that expired undelivered (protocols.md §10.3).
const EXPIRED: &str = "expired";

/// Records set aside, keyed by recipient number and `imdn.Message-ID`, oldest first.
#[derive(Debug, Default)]
pub(super) struct Deferred(Mutex<VecDeque<(String, String, NetCdr)>>);

impl Deferred {
    fn lock(&self) -> MutexGuard<'_, VecDeque<(String, String, NetCdr)>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn push(&self, user: &str, cdr: NetCdr) {
        let mut waiting = self.lock();
        if waiting.len() >= MAX_DEFERRED {
            waiting.pop_front();
        }
        let id = cdr.imdn_message_id.clone();
        waiting.push_back((user.to_owned(), id, cdr));
    }

    fn take(&self, user: &str, imdn_id: &str) -> Option<NetCdr> {
        let mut waiting = self.lock();
        let at = waiting
            .iter()
            .position(|(u, id, _)| u == user && id == imdn_id)?;
        waiting.remove(at).map(|(_, _, cdr)| cdr)
    }
}

impl P2pCdrs {
    /// A chat message `request` was stored for the offline user `user` (a number).
    pub fn stored(&self, request: &Message, user: &str) {
        if !self.is_chargeable(request) {
            return;
        }
        let Some(base) = of_request(request) else {
            return;
        };
        if base.imdn_message_id.is_empty() {
            return;
        }
        let cdr = NetCdr {
            record_type: P2P_MT.to_owned(),
            call_id: String::new(),
            submit_time: now_rfc3339(),
            ..base
        };
        match self.deferred_at_store {
            true => self.store.record(delivered(cdr)),
            false => self.deferred.push(user, cdr),
        }
    }

    /// The stored copy `message` was delivered (its delivery got a 2xx).
    pub fn deferred_delivered(&self, message: &Stored) {
        if let Some(cdr) = self.take(message) {
            self.store.record(delivered(cdr));
        }
    }

    /// The stored copy `message` expired undelivered.
    pub fn deferred_expired(&self, message: &Stored) {
        if let Some(cdr) = self.take(message) {
            self.store.record(NetCdr {
                final_status: EXPIRED.to_owned(),
                chargeable: false,
                ..cdr
            });
        }
    }

    /// The message of `fallback` (its `FALLBACK_SMS` record) went as SMS: what was set aside
    /// for `user` is dropped; nothing else is billed (but under the fault, a `P2P_MT` too).
    pub fn fell_back(&self, user: &str, fallback: &NetCdr) {
        let waiting = self.deferred.take(user, &fallback.imdn_message_id);
        if self.fallback_also_mt {
            let base = waiting.unwrap_or_else(|| fallback.clone());
            self.store.record(delivered(NetCdr {
                record_type: P2P_MT.to_owned(),
                ..base
            }));
        }
    }

    fn take(&self, message: &Stored) -> Option<NetCdr> {
        let id = message.imdn_id.as_deref()?;
        self.deferred.take(&message.recipient, id)
    }
}

/// `cdr` delivered now, chargeable.
fn delivered(cdr: NetCdr) -> NetCdr {
    NetCdr {
        final_status: status::DELIVERED.to_owned(),
        deliver_time: Some(now_rfc3339()),
        chargeable: true,
        ..cdr
    }
}
