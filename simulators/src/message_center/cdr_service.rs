//! Where the message center's request handling meets its person-to-person billing
//! (protocols.md §10.3; see `cdr_p2p`): a MESSAGE from one of its own users gets a charging
//! vector before it is routed (RFC 7315 4.6), and once routed it is recorded on the legs this
//! center served: originating when its own user sent it (and not to a chatbot), terminating when
//! it was relayed to its own user's terminal (and not from the chatbot trunk). Requests refused
//! are not recorded. The final response relayed upstream settles the records of its request.
//! A chat message stored for an offline user (`202`) is billed on its fate (`cdr_p2p_deferred`).
//! A CPM session or large-message INVITE is charged and recorded when the B2BUA takes it, and
//! settled by the final response the B2BUA sends the caller (`cdr_p2p_session`).

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use rcs_proto::sip::{Message, Uri};

use super::{Core, Outcome, Transmit, Upstream};
use crate::message_center::cdr_p2p::{Leg, P2pCdrs};
use crate::message_center::router::{self, Target};

impl Core {
    /// Records person-to-person messages in `cdrs` (shared with the billing export).
    pub fn with_cdrs(mut self, cdrs: P2pCdrs) -> Self {
        self.saf.bill_with(cdrs.clone());
        self.cdrs = cdrs;
        self
    }

    /// Routes a MESSAGE or OPTIONS (see `route`), charged and recorded.
    pub(super) fn route_charged(
        &mut self,
        request: &Message,
        upstream: Upstream,
        now: Instant,
    ) -> Outcome {
        let own_user = self.is_own_user(request, upstream.src, now);
        let charged = match own_user && request.method() == Some("MESSAGE") {
            true => self.cdrs.with_vector(request),
            false => None,
        };
        let request = charged.as_ref().unwrap_or(request);
        let leg = self.billing_leg(request, own_user, upstream.src, now);
        let offline = self.offline_user(request, now);
        let outcome = self.route(request, upstream, now);
        let (accepted, relayed) = match &outcome {
            Outcome::Relayed(_) => (true, true),
            Outcome::Respond(response) | Outcome::RespondAnd(response, _) => (
                response.status().is_some_and(|s| (200..300).contains(&s)),
                false,
            ),
        };
        let stored = matches!(&outcome, Outcome::RespondAnd(r, _) if r.status() == Some(202));
        if let Some(user) = offline.filter(|_| stored) {
            self.cdrs.stored(request, &user);
        }
        if accepted {
            let leg = Leg {
                originating: leg.originating,
                terminating: leg.terminating && relayed,
            };
            self.cdrs.routed(request, leg);
        }
        outcome
    }

    /// A CPM INVITE from one of its own users with a charging vector of its own, when it has
    /// none (RFC 7315 4.6); None otherwise.
    pub(super) fn invite_charged(
        &self,
        request: &Message,
        src: SocketAddr,
        now: Instant,
    ) -> Option<Message> {
        match self.is_own_user(request, src, now) {
            true => self.cdrs.with_vector(request),
            false => None,
        }
    }

    /// The B2BUA took the CPM INVITE `request`: its records, on the legs this center serves.
    pub(super) fn cdr_session_started(&self, request: &Message, src: SocketAddr, now: Instant) {
        let own_user = self.is_own_user(request, src, now);
        let leg = self.billing_leg(request, own_user, src, now);
        self.cdrs.session_started(request, leg);
    }

    /// The final responses to an INVITE among what the B2BUA sends settle its records.
    pub(super) fn cdr_session_answered(&self, out: &[Transmit]) {
        for transmit in out {
            let Ok(response) = Message::parse(transmit.bytes.clone()) else {
                continue;
            };
            let Some(status) = response.status().filter(|s| *s >= 200) else {
                continue;
            };
            let invite = response.cseq().is_ok_and(|cseq| cseq.method == "INVITE");
            if let Some(call_id) = response.call_id().filter(|_| invite) {
                self.cdrs.answered(call_id, status);
            }
        }
    }

    /// A final response relayed upstream settles the records of its request.
    pub(super) fn cdr_answered(&self, response: &Bytes, status: u16) {
        if status < 200 {
            return;
        }
        if let Ok(response) = Message::parse(response.clone())
            && let Some(call_id) = response.call_id()
        {
            self.cdrs.answered(call_id, status);
        }
    }

    /// The number of the request's recipient when it is one of its RCS users, offline: a
    /// MESSAGE it accepts (`202`) is stored for them (protocols.md §4.8).
    fn offline_user(&self, request: &Message, now: Instant) -> Option<String> {
        let uri = request.request_uri().and_then(|u| Uri::parse(u).ok())?;
        let offline = matches!(
            router::resolve(&uri, &self.directory, &self.bindings, now),
            Target::Offline
        );
        offline.then(|| self.directory.by_uri(&uri).map(|s| s.msisdn.clone()))?
    }

    /// Whether `request` comes from one of its own registered users (not through the gateway
    /// or the chatbot trunk).
    fn is_own_user(&self, request: &Message, src: SocketAddr, now: Instant) -> bool {
        router::asserted_identity(request, &self.directory, &self.bindings, now).is_some()
            && !self.trunk.is_from_trunk(request, src)
            && !self.carriers.is_from_gateway(request, src)
    }

    /// The legs of `request` this center serves, by where it comes from and goes.
    fn billing_leg(&self, request: &Message, own_user: bool, src: SocketAddr, now: Instant) -> Leg {
        let Some(uri) = request.request_uri().and_then(|u| Uri::parse(u).ok()) else {
            return Leg {
                originating: false,
                terminating: false,
            };
        };
        let to_gateway = self
            .carriers
            .binding_for(&uri, &self.directory, now)
            .is_some();
        let to_chatbot = self.trunk.binding_for(&uri, now).is_some();
        let online = matches!(
            router::resolve(&uri, &self.directory, &self.bindings, now),
            Target::Online(_)
        );
        Leg {
            originating: own_user && !to_chatbot,
            terminating: online
                && !to_gateway
                && !to_chatbot
                && !self.trunk.is_from_trunk(request, src),
        }
    }
}
