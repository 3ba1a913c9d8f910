//! The gateway's request handling, sans-IO: MESSAGE, OPTIONS, SUBSCRIBE, NOTIFY and REFER relayed
//! across the border both ways, with time as an argument (protocols.md §9.1; RFC 3261 16 for the
//! stateful relay, TS 24.229 5.10 for the IBCF, RFC 6665 for subscriptions).
//!
//! A request is judged by where it came from (a peer gateway, or its own network) and where
//! `route` sends it; it is rewritten by `border` and relayed on a client transaction
//! ([`ClientNonInvite`]) of its own, so retransmissions over UDP, Timer F (408 upstream) and
//! transport errors (503 upstream) are handled here. Its responses go back to where the request
//! came from by that transaction's state, with the Via values the border hid put back. A
//! retransmitted request is absorbed (or answered again with the final response it got). A
//! SUBSCRIBE or REFER goes where its Request-URI is served, and its dialog is noted; a NOTIFY goes
//! to the side its subscription came from (`subscription`), 481 when there is none. Other
//! methods get 501, malformed requests 400. Sessions (INVITE, ACK, BYE, CANCEL, UPDATE) go to `session`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use rcs_harness::events::Transport;
use rcs_harness::role::{Carrier, Subscriber};
use rcs_proto::sip::transaction::{ClientEvent, ClientNonInvite, ClientState, Timers};
use rcs_proto::sip::{Host, MAGIC_COOKIE, Message, Uri};

use super::border::{self, Leg};
use super::capability;
use super::peers::{Addrs, Peers};
use super::route::{Destination, NumberPlan};
use super::settings::{Faults, Settings};
use crate::message_center::b2bua::{B2bua, MsrpUris};
use crate::message_center::{Faults as McFaults, reply};
use crate::net::Incoming;

/// The most requests relayed and not yet answered at once.
const MAX_PENDING: usize = 4096;

/// Methods relayed across the border (sessions through the B2BUA, see `session`).
pub const ALLOW: &str =
    "MESSAGE, OPTIONS, SUBSCRIBE, NOTIFY, REFER, INVITE, ACK, BYE, CANCEL, UPDATE";

/// Bytes to send, how and where, and the relayed request they belong to (if one).
#[derive(Clone, Debug)]
pub struct Transmit {
    pub bytes: Bytes,
    pub transport: Transport,
    pub dst: SocketAddr,
    /// The branch of the relayed request these bytes carry, so a transport error can end it.
    pub branch: Option<String>,
}

/// A relayed request waiting for its answer.
#[derive(Debug)]
struct Pending {
    request: Message,
    upstream_transport: Transport,
    upstream_src: SocketAddr,
    /// The upstream request's key, to absorb its retransmissions.
    upstream_key: String,
    hidden_vias: Vec<String>,
    client: ClientNonInvite,
    transport: Transport,
    dst: SocketAddr,
    /// The final response relayed upstream, to answer a retransmission with.
    last: Option<Bytes>,
}

/// Where a request goes and how it crosses.
struct Hop<'a> {
    addrs: Option<&'a Addrs>,
    trusted: bool,
    orig: Carrier,
    term: Carrier,
}

/// The state of one gateway.
#[derive(Debug)]
pub struct Core {
    own: Carrier,
    plan: NumberPlan,
    settings: Settings,
    faults: Faults,
    peers: Peers,
    /// The transport used toward every neighbour (the case's).
    transport: Transport,
    /// The address put in Via over UDP and TCP, and over TLS.
    via_addr: SocketAddr,
    via_tls: Option<SocketAddr>,
    pending: HashMap<String, Pending>,
    /// Upstream request key → the branch it was relayed on.
    relayed: HashMap<String, String>,
    /// The sessions anchored across the border (see `session`).
    sessions: B2bua,
    /// NNI billing records (protocols.md §10.3, see `cdr`).
    cdrs: super::cdr::NniCdrs,
    /// The subscription dialogs relayed, for their NOTIFYs (see `subscription`).
    subscriptions: super::subscription::Subscriptions,
}

impl Core {
    /// A gateway of `own` for a case of `subscribers`, reachable at `via_addr` (and `via_tls`).
    pub fn new(
        own: Carrier,
        subscribers: &[Subscriber],
        (settings, faults): (Settings, Faults),
        transport: Transport,
        (via_addr, via_tls): (SocketAddr, Option<SocketAddr>),
    ) -> Self {
        let portability = settings.portability && !faults.ignore_portability;
        Self {
            own,
            plan: NumberPlan::new(own, subscribers, portability),
            settings,
            faults,
            peers: Peers::default(),
            transport,
            via_addr,
            via_tls,
            pending: HashMap::new(),
            relayed: HashMap::new(),
            sessions: B2bua::new(MsrpUris::none(), McFaults::default()),
            cdrs: super::cdr::NniCdrs::new(faults.nni_cdr_missing),
            subscriptions: Default::default(),
        }
    }

    /// Keeps its NNI billing records in `cdrs` (shared with the billing export).
    pub fn with_cdrs(mut self, cdrs: super::cdr::NniCdrs) -> Self {
        self.cdrs = cdrs;
        self
    }

    /// Learns its neighbours (see [`Peers::learn`]).
    pub fn set_peers(&mut self, peers: Peers) {
        self.peers = peers;
    }

    /// Handles one message received.
    pub fn handle(&mut self, incoming: Incoming, now: Instant) -> Vec<Transmit> {
        let Ok(message) = incoming.message else {
            return Vec::new();
        };
        match message.is_request() {
            true => self.on_request(&message, incoming.transport, incoming.src, now),
            false => self.on_response(&message, now),
        }
    }

    fn on_request(
        &mut self,
        request: &Message,
        transport: Transport,
        src: SocketAddr,
        now: Instant,
    ) -> Vec<Transmit> {
        let answer = |status: u16, reason: &str| {
            let response = reply::response(request, status, reason);
            let response = match status {
                501 => response.header("Allow", ALLOW),
                _ => response,
            };
            vec![transmit(response.build().raw().clone(), transport, src)]
        };
        if request.method() == Some("ACK") {
            return self.on_session_request(request, transport, src, now);
        }
        if let Some(deviation) = request.validate().into_iter().next() {
            if !answerable(request) {
                return Vec::new();
            }
            let own = self.own.home_domain();
            let response = reply::bad_request(request, own, deviation.construct, &deviation.detail);
            return vec![transmit(response.raw().clone(), transport, src)];
        }
        if session::is_session_method(request.method()) {
            return self.on_session_request(request, transport, src, now);
        }
        let subscription = super::subscription::is_subscription_method(request.method())
            && !self.faults.no_subscription_relay;
        if !matches!(request.method(), Some("MESSAGE" | "OPTIONS")) && !subscription {
            return answer(501, "Not Implemented");
        }
        let key = upstream_key(request);
        if let Some(branch) = key.as_ref().and_then(|k| self.relayed.get(k)) {
            let last = self.pending.get(branch).and_then(|p| p.last.clone());
            return last
                .map(|bytes| vec![transmit(bytes, transport, src)])
                .unwrap_or_default();
        }
        let Some(uri) = request.request_uri().and_then(|u| Uri::parse(u).ok()) else {
            return answer(400, "Bad Request");
        };
        let from = self.peers.nni_carrier(request, src);
        let hop = match request.method() {
            Some("NOTIFY") => {
                let side = self.notify_side(request, now);
                self.notify_hop(side, from)
            }
            _ => self.hop(&uri, from),
        };
        let (dst, crossing) = match hop {
            Ok(hop) => (
                hop.addrs.and_then(|a| a.get(self.transport)),
                (hop.trusted, hop.orig, hop.term),
            ),
            Err((status, reason)) => return answer(status, reason),
        };
        let Some(dst) = dst else {
            return answer(503, "Service Unavailable");
        };
        if self.faults.refuse_untrusted && from.is_none() && !crossing.0 {
            return answer(403, "Forbidden");
        }
        if request.max_forwards().ok().flatten() == Some(0) {
            return answer(483, "Too Many Hops");
        }
        if self.faults.drop_imdn && crate::message_center::is_imdn_request(request) {
            return answer(200, "OK");
        }
        if self.faults.drop_notify && request.method() == Some("NOTIFY") {
            return answer(200, "OK");
        }
        if subscription {
            self.note_subscription(request, crossing.1, now);
        }
        self.pending
            .retain(|_, p| p.client.state() != ClientState::Terminated);
        if self.pending.len() >= MAX_PENDING {
            return answer(503, "Service Unavailable");
        }
        self.relay(request, (transport, src, key), dst, crossing, now)
    }

    /// Where a request for `uri` from `from` (None: its own network) goes.
    fn hop(&self, uri: &Uri, from: Option<Carrier>) -> Result<Hop<'_>, (u16, &'static str)> {
        let inward = |addrs, from: Carrier| Hop {
            addrs,
            trusted: self.settings.trusts(from),
            orig: from,
            term: self.own,
        };
        if self.faults.no_chatbot_routing
            && from.is_none()
            && super::route::chatbot_carrier(uri).is_some()
        {
            return Err((404, "Not Found"));
        }
        match (self.plan.decide(uri, from.is_some()), from) {
            (Destination::Refuse(status, reason), _) => Err((status, reason)),
            (Destination::Peer(carrier), _) => Ok(Hop {
                addrs: self.peers.gateway(carrier),
                trusted: self.settings.trusts(carrier),
                orig: self.own,
                term: carrier,
            }),
            (Destination::MessageCenter, Some(from)) => {
                Ok(inward(self.peers.message_center(), from))
            }
            (Destination::Maap, Some(from)) => Ok(inward(self.peers.maap(), from)),
            (Destination::MessageCenter | Destination::Maap, None) => Err((404, "Not Found")),
        }
    }

    fn relay(
        &mut self,
        request: &Message,
        (upstream_transport, upstream_src, key): (Transport, SocketAddr, Option<String>),
        dst: SocketAddr,
        (trusted, orig, term): (bool, Carrier, Carrier),
        now: Instant,
    ) -> Vec<Transmit> {
        let branch = format!("{MAGIC_COOKIE}{}", reply::token(20));
        let via = format!(
            "SIP/2.0/{} {};branch={branch}",
            transport_name(self.transport),
            self.via_for(self.transport)
        );
        let icid = reply::token(24);
        let own_addrs = [Some(self.via_addr), self.via_tls];
        let own_domain = self.own.home_domain();
        let is_own_route = |uri: &Uri| is_own_route(uri, own_domain, &own_addrs);
        let leg = Leg {
            via: &via,
            trusted,
            orig_ioi: orig.ioi(),
            term_ioi: term.ioi(),
            new_icid: &icid,
            is_own_route: &is_own_route,
        };
        let rewritten = border::request(request, &leg, &self.faults.border);
        self.cdrs.crossed(&super::cdr::Crossing {
            own: self.own,
            received: request,
            sent: &rewritten.bytes,
            carriers: (orig, term),
        });
        let reliable = self.transport != Transport::Udp;
        let mut client = ClientNonInvite::new(rewritten.bytes, reliable, Timers::default(), now);
        let out = drain(&mut client, self.transport, dst, &branch);
        let upstream_key = key.unwrap_or_default();
        if !upstream_key.is_empty() {
            self.relayed.insert(upstream_key.clone(), branch.clone());
        }
        let pending = Pending {
            request: request.clone(),
            upstream_transport,
            upstream_src,
            upstream_key,
            hidden_vias: rewritten.hidden_vias,
            client,
            transport: self.transport,
            dst,
            last: None,
        };
        self.pending.insert(branch, pending);
        out
    }

    fn on_response(&mut self, response: &Message, now: Instant) -> Vec<Transmit> {
        let Some(status) = response.status() else {
            return Vec::new();
        };
        if let Some(out) = self.sessions.on_response(response, now) {
            return session::from_mc(out);
        }
        let branch = response
            .vias()
            .ok()
            .and_then(|vias| vias.first().and_then(|v| v.branch().map(str::to_owned)));
        let Some(pending) = branch.and_then(|b| self.pending.get_mut(&b)) else {
            return Vec::new();
        };
        pending.client.handle_response(status, now);
        let is_final = match pending.client.poll_event() {
            Some(ClientEvent::Provisional(_)) => false,
            Some(ClientEvent::Final(_)) => true,
            _ => return Vec::new(),
        };
        let bytes = border::response(response, &pending.hidden_vias, &self.faults.border);
        let bytes = capability::relayed_answer(&pending.request, bytes, &self.faults.capability);
        if is_final {
            pending.last = Some(bytes.clone());
            let call_id = pending.request.call_id().unwrap_or_default();
            self.cdrs.answered(call_id, status);
        }
        vec![transmit(
            bytes,
            pending.upstream_transport,
            pending.upstream_src,
        )]
    }

    /// The earliest timer of any relayed request.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pending
            .values()
            .filter_map(|p| p.client.poll_timeout())
            .chain(self.sessions.poll_timeout())
            .min()
    }

    /// Fires due timers: retransmissions, and 408 upstream for requests that timed out.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<Transmit> {
        let mut out = Vec::new();
        for (branch, pending) in &mut self.pending {
            if pending.client.poll_timeout().is_none_or(|at| at > now) {
                continue;
            }
            pending.client.handle_timeout(now);
            out.extend(drain(
                &mut pending.client,
                pending.transport,
                pending.dst,
                branch,
            ));
            if let Some(ClientEvent::Timeout) = pending.client.poll_event() {
                out.push(local_answer(pending, 408, "Request Timeout"));
            }
        }
        self.forget_terminated();
        out.extend(session::from_mc(self.sessions.handle_timeout(now)));
        out
    }

    /// The relayed request on `branch` could not be sent: 503 upstream (480 for a session).
    pub fn transport_error(&mut self, branch: &str, now: Instant) -> Vec<Transmit> {
        if let Some(out) = self.sessions.transport_error(branch, now) {
            return session::from_mc(out);
        }
        let Some(pending) = self.pending.remove(branch) else {
            return Vec::new();
        };
        self.relayed.remove(&pending.upstream_key);
        vec![local_answer(&pending, 503, "Service Unavailable")]
    }

    fn forget_terminated(&mut self) {
        let done: Vec<String> = self
            .pending
            .iter()
            .filter(|(_, p)| p.client.state() == ClientState::Terminated)
            .map(|(b, _)| b.clone())
            .collect();
        for branch in done {
            if let Some(pending) = self.pending.remove(&branch) {
                self.relayed.remove(&pending.upstream_key);
            }
        }
    }

    fn via_for(&self, transport: Transport) -> SocketAddr {
        match transport {
            Transport::Tls => self.via_tls.unwrap_or(self.via_addr),
            Transport::Udp | Transport::Tcp => self.via_addr,
        }
    }
}

/// Whether a Route URI names the gateway: `ibcf.<home domain>`, or one of its addresses.
fn is_own_route(uri: &Uri, own_domain: &str, addrs: &[Option<SocketAddr>]) -> bool {
    match uri.host() {
        Some(Host::Domain(host)) => host
            .strip_prefix("ibcf.")
            .is_some_and(|rest| rest.eq_ignore_ascii_case(own_domain)),
        Some(host) => {
            let addr = format!("{host}:{}", uri.port().unwrap_or(5060));
            addr.parse::<SocketAddr>()
                .is_ok_and(|a| addrs.contains(&Some(a)))
        }
        None => false,
    }
}

/// The key of an upstream request: its top Via branch and sent-by, and its method.
fn upstream_key(request: &Message) -> Option<String> {
    let vias = request.vias().ok()?;
    let top = vias.first()?;
    let port = top.port.map(|p| format!(":{p}")).unwrap_or_default();
    Some(format!(
        "{}|{}{port}|{}",
        top.branch()?,
        top.host,
        request.method()?
    ))
}

/// Whether a malformed request has what a response needs (RFC 3261 8.2.6.2).
fn answerable(request: &Message) -> bool {
    let present = ["Via", "From", "To", "Call-ID", "CSeq"]
        .iter()
        .all(|name| request.header(name).is_some());
    present && request.vias().is_ok_and(|vias| !vias.is_empty())
}

fn local_answer(pending: &Pending, status: u16, reason: &str) -> Transmit {
    let bytes = reply::response(&pending.request, status, reason)
        .build()
        .raw()
        .clone();
    transmit(bytes, pending.upstream_transport, pending.upstream_src)
}

fn drain(
    client: &mut ClientNonInvite,
    transport: Transport,
    dst: SocketAddr,
    branch: &str,
) -> Vec<Transmit> {
    std::iter::from_fn(|| client.poll_transmit())
        .map(|bytes| Transmit {
            bytes,
            transport,
            dst,
            branch: Some(branch.to_owned()),
        })
        .collect()
}

fn transmit(bytes: Bytes, transport: Transport, dst: SocketAddr) -> Transmit {
    Transmit {
        bytes,
        transport,
        dst,
        branch: None,
    }
}

/// The Via transport token.
pub fn transport_name(transport: Transport) -> &'static str {
    match transport {
        Transport::Udp => "UDP",
        Transport::Tcp => "TCP",
        Transport::Tls => "TLS",
    }
}

#[path = "session.rs"]
mod session;

#[path = "subscription_relay.rs"]
mod subscription_relay;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "relay_tests.rs"]
mod tests;
