//! Where the gateway's relay meets its subscription dialogs (see `subscription`; RFC 6665 4.2.2,
//! protocols.md §9.1; IWK-NNI-005): a SUBSCRIBE or REFER is routed by its Request-URI like a
//! MESSAGE and noted with the side it came from; a NOTIFY is routed to the side its
//! subscription's SUBSCRIBE came from, with the trust domain and IOIs of that crossing.

use std::time::Instant;

use rcs_harness::role::Carrier;
use rcs_proto::sip::Message;

use super::super::subscription::Side;
use super::{Core, Hop};

impl Core {
    /// Notes a relayed SUBSCRIBE or REFER that came from `orig` (the originating carrier of its
    /// crossing: its own network when that is the gateway's own carrier).
    pub(super) fn note_subscription(&mut self, request: &Message, orig: Carrier, now: Instant) {
        let side = match orig == self.own {
            true => Side::Own,
            false => Side::Peer(orig),
        };
        self.subscriptions.on_request(request, side, now);
    }

    /// The subscriber's side of a NOTIFY's dialog, if it is a live one.
    pub(super) fn notify_side(&mut self, notify: &Message, now: Instant) -> Option<Side> {
        self.subscriptions.on_notify(notify, now)
    }

    /// Where a NOTIFY from `from` (None: its own network) goes: its subscriber's `side`.
    pub(super) fn notify_hop(
        &self,
        side: Option<Side>,
        from: Option<Carrier>,
    ) -> Result<Hop<'_>, (u16, &'static str)> {
        let side = side.ok_or((481, "Subscription Does Not Exist"))?;
        match (side, from) {
            (Side::Peer(carrier), None) => Ok(Hop {
                addrs: self.peers.gateway(carrier),
                trusted: self.settings.trusts(carrier),
                orig: self.own,
                term: carrier,
            }),
            (Side::Own, Some(carrier)) => Ok(Hop {
                addrs: self.peers.message_center(),
                trusted: self.settings.trusts(carrier),
                orig: carrier,
                term: self.own,
            }),
            // Back where it came from, or from one peer to another: no transit.
            (Side::Own, None) | (Side::Peer(_), Some(_)) => Err((403, "Forbidden")),
        }
    }
}
