//! The gateway as a B2BUA for CPM sessions across the NNI, anchoring MSRP (protocols.md §9.1,
//! §4.5-4.6; TS 29.165 for the IBCF/TrGW; RFC 4975 7.1.1 for re-chunking; IWK-NNI-002, 007).
//!
//! A session INVITE (and its ACK, BYE and CANCEL) is not proxied: the message center's
//! [`B2bua`] makes it two dialogs, the caller's side and the far side, and anchors MSRP on the
//! gateway's own relay, so the SDP's `c=`/`m=` and `a=path` on each leg name the gateway
//! (topology hiding for the media). The far leg's INVITE then goes through the §9.1 border
//! rewrite ([`border::request`]) as a relayed MESSAGE does: the caller's Via, Record-Route,
//! Route and private headers are given to it so that each border rule (and each of its faults)
//! applies to sessions too; the trust domain decides P-Asserted-Identity and the charging vector
//! keeps the caller's icid with both IOIs. MSRP chunks relayed onto the NNI leg are cut to
//! `nni-max-chunk` content bytes ([`crate::message_center`]'s `rechunk`), Message-ID kept and
//! Byte-Ranges rewritten consistently; SENDs, 200s and REPORTs otherwise cross as the message
//! center's relay relays them. The far leg's Contact is the gateway's own, without the
//! caller's device identifiers ([`far_leg`]). An UPDATE without SDP (session refresh, RFC 3311,
//! RFC 4028) in either leg's dialog goes on in the other's and its answer comes back (the
//! message center's B2BUA relays it); one with SDP is answered 488. Re-INVITE is not handled.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use rcs_harness::events::Transport;
use rcs_harness::role::Carrier;
use rcs_proto::sip::{Message, Uri};

use super::super::far_leg::{self, FarContact};
use super::super::settings::Faults;
use super::border::{self, Leg};
use super::{Core, Transmit, is_own_route, transmit};
use crate::message_center::b2bua::{self as mc_b2bua, Crossing, Origin, Route};
use crate::message_center::proxy::Transmit as McTransmit;
use crate::message_center::reply;

/// Headers of the caller's INVITE that the border rewrite judges on the far leg: topology,
/// route set, identity, charging and private headers.
const JUDGED: &[&str] = &[
    "Record-Route",
    "Route",
    "Path",
    "P-Access-Network-Info",
    "P-Visited-Network-ID",
    "P-Charging-Function-Addresses",
    "P-Charging-Vector",
];

/// Whether `method` is one the gateway handles as a B2BUA (UPDATE in a session's dialog).
pub(super) fn is_session_method(method: Option<&str>) -> bool {
    matches!(method, Some("INVITE" | "ACK" | "BYE" | "CANCEL" | "UPDATE"))
}

impl Core {
    /// A session request: INVITE starts a call, ACK, BYE and CANCEL go to theirs.
    pub(super) fn on_session_request(
        &mut self,
        request: &Message,
        transport: Transport,
        src: SocketAddr,
        now: Instant,
    ) -> Vec<Transmit> {
        let answer = |status: u16, reason: &str| {
            let response = reply::response(request, status, reason).build();
            vec![transmit(response.raw().clone(), transport, src)]
        };
        match request.method() {
            Some("ACK") => from_mc(self.sessions.on_ack(request, now)),
            Some("BYE") => match self.sessions.on_bye(request, now) {
                Some((ok, out)) => {
                    let mut all = vec![transmit(ok.raw().clone(), transport, src)];
                    all.extend(from_mc(out));
                    all
                }
                None => answer(481, "Call/Transaction Does Not Exist"),
            },
            Some("UPDATE") if self.faults.no_update_relay => answer(200, "OK"),
            Some("UPDATE") => match self.sessions.on_update(request, (transport, src), now) {
                Some(out) => from_mc(out),
                None => answer(481, "Call/Transaction Does Not Exist"),
            },
            Some("CANCEL") => match self.sessions.on_cancel(request, now) {
                Some(out) => {
                    let ok = reply::response(request, 200, "OK").build();
                    let mut all = vec![transmit(ok.raw().clone(), transport, src)];
                    all.extend(from_mc(out));
                    all
                }
                None => answer(481, "Call/Transaction Does Not Exist"),
            },
            _ => self.on_invite(request, transport, src, now),
        }
    }

    fn on_invite(
        &mut self,
        request: &Message,
        transport: Transport,
        src: SocketAddr,
        now: Instant,
    ) -> Vec<Transmit> {
        let answer = |status: u16, reason: &str| {
            let response = reply::response(request, status, reason).build();
            vec![transmit(response.raw().clone(), transport, src)]
        };
        if let Some(key) = mc_b2bua::server_key(request)
            && let Some(out) = self.sessions.on_retransmission(&key, now)
        {
            return from_mc(out);
        }
        let Some(uri) = request.request_uri().and_then(|u| Uri::parse(u).ok()) else {
            return answer(400, "Bad Request");
        };
        let from = self.peers.nni_carrier(request, src);
        let hop = match self.hop(&uri, from) {
            Ok(hop) => hop,
            Err((status, reason)) => return answer(status, reason),
        };
        let crossing = (hop.trusted, hop.orig, hop.term);
        let Some(dst) = hop.addrs.and_then(|a| a.get(self.transport)) else {
            return answer(503, "Service Unavailable");
        };
        if request.max_forwards().ok().flatten() == Some(0) {
            return answer(483, "Too Many Hops");
        }
        let Some(identity) = identity(request) else {
            return answer(403, "Forbidden");
        };
        let target = request.request_uri().unwrap_or_default().to_owned();
        let route = Route {
            target: &target,
            transport: self.transport,
            dst,
            via_addr: self.via_for(self.transport),
            identity: &identity,
        };
        let origin = Origin {
            transport,
            src,
            via_addr: self.via_for(transport),
        };
        let max = (!self.faults.no_rechunk).then_some(self.settings.nni_max_chunk);
        // Chunks toward the NNI: onto the far leg going out, onto the caller's coming in.
        let max_chunk = match from {
            None => (None, max),
            Some(_) => (max, None),
        };
        let border = BorderSide {
            own: self.own,
            addrs: [Some(self.via_addr), self.via_tls],
            faults: self.faults,
            crossing,
            far: (self.transport, self.via_for(self.transport)),
        };
        let rewrite = |a: &Message, b: Message| border.leg_b(a, b);
        let crossing = Crossing {
            rewrite_b: Some(&rewrite),
            max_chunk,
        };
        let started = self
            .sessions
            .start_crossing(request, origin, &route, &crossing, now);
        match started {
            Ok(out) => from_mc(out),
            Err((status, reason)) => answer(status, reason),
        }
    }

    /// Takes the URIs of its calls' `a=path` from its MSRP relay.
    pub(crate) fn set_msrp(&mut self, msrp: mc_b2bua::MsrpUris) {
        self.sessions.set_msrp(msrp);
    }

    /// The next command for the MSRP relay.
    pub(crate) fn poll_command(&mut self) -> Option<crate::message_center::session_relay::Command> {
        self.sessions.poll_command()
    }

    /// The sessions of `call` are closed: the BYE that waited for them goes on.
    pub(crate) fn relay_closed(&mut self, call: u64, now: Instant) -> Vec<Transmit> {
        from_mc(self.sessions.relay_closed(call, now))
    }
}

/// What the far leg's INVITE needs from the gateway to cross the border.
struct BorderSide {
    own: Carrier,
    addrs: [Option<SocketAddr>; 2],
    faults: Faults,
    /// Whether the far side is trusted, the originating and the terminating carrier.
    crossing: (bool, Carrier, Carrier),
    /// The far leg's transport and the gateway's address on it (its Contact).
    far: (Transport, SocketAddr),
}

impl BorderSide {
    /// The far leg's INVITE after the border: the caller's judged headers are put on it, then
    /// [`border::request`] decides what crosses, with the B2BUA's own Via on top; its Contact is
    /// the gateway's own ([`far_leg`]).
    fn leg_b(&self, a: &Message, b: Message) -> Message {
        let Some(own_via) = b.header_values("Via").into_iter().next() else {
            return b;
        };
        let prepared = with_caller_headers(a, &b, self.faults.path_not_rewritten);
        let Ok(prepared) = Message::parse(prepared) else {
            return b;
        };
        let (trusted, orig, term) = self.crossing;
        let icid = reply::token(24);
        let own_domain = self.own.home_domain();
        let is_own = |uri: &Uri| is_own_route(uri, own_domain, &self.addrs);
        let leg = Leg {
            via: &own_via,
            trusted,
            orig_ioi: orig.ioi(),
            term_ioi: term.ioi(),
            new_icid: &icid,
            is_own_route: &is_own,
        };
        let rewritten = border::request(&prepared, &leg, &self.faults.border);
        let Ok(crossed) = Message::parse(rewritten.bytes) else {
            return b;
        };
        let (transport, addr) = self.far;
        let far = FarContact {
            addr,
            transport_param: transport_param(transport),
            leak_instance: self.faults.leak_instance,
        };
        far_leg::with_contact(a, &crossed, &far)
    }
}

/// Leg B's INVITE with the caller's Vias (instead of its own), Max-Forwards and judged headers, and
/// with `keep_sdp` (the `path-not-rewritten` fault) the caller's body instead of the anchored one.
fn with_caller_headers(a: &Message, b: &Message, keep_sdp: bool) -> Bytes {
    let mut draft = crate::message_center::rewrite::Draft::new(b);
    // Its own Via goes back on top in the border rewrite.
    draft.remove("Via");
    for (at, via) in a.header_values("Via").iter().enumerate() {
        draft.insert(at, "Via", via);
    }
    if let Some(mf) = a.header("Max-Forwards")
        && let Some(at) = draft.position("Max-Forwards")
    {
        draft.replace_at(at, mf);
    }
    for name in JUDGED {
        for value in a.header_values(name) {
            draft.insert_before_first_of(&["Content-Type", "Content-Length"], name, &value);
        }
    }
    if keep_sdp {
        if let Some(at) = draft.position("Content-Type") {
            draft.replace_at(at, a.header("Content-Type").unwrap_or_default());
        }
        draft.set_body(a.body().to_vec());
    }
    draft.build()
}

/// The `transport` URI parameter of a Contact on `transport` (none over UDP).
fn transport_param(transport: Transport) -> &'static str {
    match transport {
        Transport::Udp => "",
        Transport::Tcp => ";transport=tcp",
        Transport::Tls => ";transport=tls",
    }
}

/// The caller's identity for the far leg's From: its first P-Asserted-Identity, else its From
/// URI (a peer outside the trust domain sends none).
fn identity(request: &Message) -> Option<String> {
    let asserted = request
        .header_values("P-Asserted-Identity")
        .into_iter()
        .next();
    asserted.or_else(|| {
        let from = request.from_header().ok()?;
        Some(format!("<{}>", from.uri))
    })
}

/// The message center's transmissions as the gateway's.
pub(super) fn from_mc(out: Vec<McTransmit>) -> Vec<Transmit> {
    out.into_iter()
        .map(|t| Transmit {
            bytes: t.bytes,
            transport: t.transport,
            dst: t.dst,
            branch: t.branch,
        })
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
#[path = "session_tests.rs"]
mod tests;
