//! The message center's request handling, sans-IO: what to send for each message received and
//! for each timer that fires, with time as an argument.
//!
//! Requests are checked first: one that fails [`Message::validate`] gets `400` with a Warning
//! naming the construct (RFC 3261 8.2, 21.4.1), when its Via, From, To, Call-ID and CSeq are
//! there to answer with; otherwise it is dropped. Each request then gets a server transaction
//! ([`ServerNonInvite`], RFC 3261 17.2.2), so a retransmission is answered with the same
//! response and never relayed twice. REGISTER goes to the registrar; MESSAGE and OPTIONS are
//! answered or relayed by target (see `router`, `options`, `proxy`); INVITE with the CPM
//! session or largemsg ICSI, its ACK, CANCEL and BYE go to the B2BUA (`b2bua`), which anchors
//! the session and its MSRP; other INVITEs and other methods get `501`, a BYE or CANCEL of no
//! known session `481`. The I/O loop lives in `task`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

use rcs_harness::events::Transport;
use rcs_harness::role::Subscriber;
use rcs_proto::sip::transaction::{ServerNonInvite, ServerState, Timers, TransactionKey};
use rcs_proto::sip::{Deviation, Message, Uri};

use super::b2bua::{B2bua, MsrpUris, Origin, Route};
use super::bindings::{Binding, Bindings};
use super::carriers::Carriers;
use super::config::{Config, Fault};
use super::directory::Directory;
use super::focus::{Focus, FocusMsrp};
use super::focus_relay::FocusRelays;
use super::invite_legs;
use super::options;
use super::proxy::{self, Proxy, Relayed, Transmit, Upstream};
use super::reg_state::Ending;
use super::regevent::{self, RegEvents};
use super::registrar::{Arrival, Registrar};
use super::reply;
use super::router::{self, Target};
use super::saf::{self, Net, Saf};
use super::session_relay::Command;
use super::trunk::Trunk;
use crate::net::Incoming;

#[path = "focus_service.rs"]
mod focus_service;

#[path = "fallback_service.rs"]
mod fallback_service;

#[path = "cdr_service.rs"]
mod cdr_service;

/// What store-and-forward borrows of a [`Core`]: its fields, so `saf` stays borrowable.
macro_rules! saf_net {
    ($core:expr) => {
        Net {
            directory: &$core.directory,
            bindings: &$core.bindings,
            via_addr: $core.via_addr,
            via_tls: $core.via_tls,
        }
    };
}

/// The most server transactions kept at once; beyond it new requests get 503.
const MAX_SERVER_TRANSACTIONS: usize = 4096;

/// A server transaction and where its responses go.
#[derive(Debug)]
struct Server {
    tx: ServerNonInvite,
    transport: Transport,
    src: SocketAddr,
}

/// What handling a new request produced.
enum Outcome {
    /// A response to send now.
    Respond(Message),
    /// A response to send now, and other messages after it.
    RespondAnd(Message, Vec<Transmit>),
    /// The request was relayed: these are its first transmissions.
    Relayed(Vec<Transmit>),
}

/// The state of one message center.
#[derive(Debug)]
pub struct Core {
    config: Config,
    directory: Directory,
    bindings: Bindings,
    registrar: Registrar,
    proxy: Proxy,
    b2bua: B2bua,
    /// The group chat focus (protocols.md §6).
    focus: Focus,
    /// The focus's MSRP fan-out.
    focus_relays: Option<FocusRelays>,
    /// Store-and-forward and revoke (protocols.md §4.8, §4.9).
    saf: Saf,
    /// Reg-event subscriptions (RFC 3680).
    regevent: RegEvents,
    servers: HashMap<TransactionKey, Server>,
    /// The address put in Via (UDP and TCP share it).
    via_addr: SocketAddr,
    /// The address put in Via of requests relayed over TLS (its listener has a port of its own).
    via_tls: Option<SocketAddr>,
    /// `message-center.stop-after-malformed` has struck: nothing is answered any more.
    wedged: bool,
    /// The SIP trunk to the chatbot platform (protocols.md §7.1).
    trunk: Trunk,
    /// The other carriers, through the interworking gateway (protocols.md §9.1).
    carriers: Carriers,
    /// Network-based SMS fallback (protocols.md §9.2).
    iwf: super::fallback::Iwf,
    /// Person-to-person billing records (protocols.md §10.3).
    cdrs: super::cdr_p2p::P2pCdrs,
}

impl Core {
    /// A message center for `subscribers`, reachable at `via_addr`.
    pub fn new(config: Config, subscribers: Vec<Subscriber>, via_addr: SocketAddr) -> Self {
        Self {
            bindings: Bindings::new(config.faults.has(Fault::IgnoreBindingExpiry)),
            b2bua: B2bua::new(MsrpUris::none(), config.faults.clone()),
            focus: Focus::new(&config.settings.conference_factory, config.faults.clone()),
            focus_relays: None,
            saf: Saf::new(&config),
            iwf: super::fallback::Iwf::new(&config.settings, config.faults.clone()),
            config,
            directory: Directory::new(subscribers),
            registrar: Registrar::default(),
            proxy: Proxy::default(),
            regevent: RegEvents::default(),
            servers: HashMap::new(),
            via_addr,
            via_tls: None,
            wedged: false,
            trunk: Trunk::default(),
            carriers: Carriers::default(),
            cdrs: super::cdr_p2p::P2pCdrs::default(),
        }
    }

    /// Relays requests for other carriers' targets to their gateway and keeps the identity of
    /// the gateway's requests.
    pub fn with_carriers(mut self, carriers: Carriers) -> Self {
        self.carriers = carriers;
        self
    }

    /// Relays requests to chatbot domains over `trunk` and trusts the identity of its requests.
    pub fn with_trunk(mut self, trunk: Trunk) -> Self {
        self.trunk = trunk;
        self
    }

    /// Puts `addr`, the TLS listener, in Via of the requests relayed over TLS.
    pub fn with_tls_via(mut self, addr: Option<SocketAddr>) -> Self {
        self.via_tls = addr;
        self
    }

    /// Takes the `a=path` URIs of anchored sessions from `msrp`.
    pub fn with_msrp(mut self, msrp: MsrpUris) -> Self {
        self.b2bua.set_msrp(msrp);
        self
    }

    /// The next command for the MSRP relay.
    pub fn poll_command(&mut self) -> Option<Command> {
        self.b2bua.poll_command()
    }

    /// Takes the `a=path` URIs of group members' sessions from `msrp`, and hands the joins
    /// and leaves of group members to `relays` (see [`Core::apply_focus_commands`]).
    pub fn with_focus(mut self, msrp: FocusMsrp, relays: FocusRelays) -> Self {
        self.focus.set_msrp(msrp);
        self.focus_relays = Some(relays);
        self
    }

    /// Hands the focus's pending joins and leaves to the group fan-out relay, whose tasks
    /// this core owns (they end when it is dropped).
    pub fn apply_focus_commands(&mut self) {
        while let Some(command) = self.focus.poll_command() {
            if let Some(relays) = &mut self.focus_relays {
                relays.apply(command);
            }
        }
    }

    /// The MSRP relay closed the sessions of `call`.
    pub fn relay_closed(&mut self, call: u64, now: Instant) -> Vec<Transmit> {
        self.b2bua.relay_closed(call, now)
    }

    /// Handles one message received.
    pub fn handle(&mut self, incoming: Incoming, now: Instant) -> Vec<Transmit> {
        if self.wedged {
            tracing::debug!(src = %incoming.src, "wedged: not answering");
            return Vec::new();
        }
        let message = match incoming.message {
            Ok(message) => message,
            Err(err) => {
                tracing::info!(src = %incoming.src, "dropping what cannot be answered: failed to {err}");
                return Vec::new();
            }
        };
        if message.is_request() {
            let mut out = self.on_request(&message, incoming.transport, incoming.src, now);
            if message.method() == Some("REGISTER") && saf::is_success(&out) {
                out.extend(self.saf.deliver(saf_net!(self), now));
            }
            out
        } else {
            self.on_response(&message, now)
        }
    }

    /// A relayed request could not be sent on `branch`.
    pub fn transport_error(&mut self, branch: &str, now: Instant) -> Vec<Transmit> {
        if let Some(out) = self.fallback_transport_error(branch, now) {
            return out;
        }
        if let Some(out) = self.saf.transport_error(branch, saf_net!(self), now) {
            return out;
        }
        if self.regevent.transport_error(branch) {
            return Vec::new();
        }
        if let Some(out) = self.b2bua.transport_error(branch, now) {
            return out;
        }
        match self.proxy.transport_error(branch) {
            Some(relayed) => self.answer_upstream(relayed, now),
            None => Vec::new(),
        }
    }

    /// The earliest timer due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let servers = self
            .servers
            .values()
            .filter_map(|s| s.tx.poll_timeout())
            .min();
        [
            servers,
            self.proxy.poll_timeout(),
            self.b2bua.poll_timeout(),
            self.focus.poll_timeout(),
            self.saf.poll_timeout(),
            self.iwf.poll_timeout(),
            self.regevent.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Fires the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<Transmit> {
        for server in self.servers.values_mut() {
            server.tx.handle_timeout(now);
        }
        self.servers
            .retain(|_, s| s.tx.state() != ServerState::Terminated);
        let (mut out, timed_out) = self.proxy.handle_timeout(now);
        for relayed in timed_out {
            out.extend(self.answer_upstream(relayed, now));
        }
        out.extend(self.b2bua.handle_timeout(now));
        out.extend(self.focus.handle_timeout(now));
        out.extend(self.saf.handle_timeout(saf_net!(self), now));
        out.extend(self.fallback_timeout(now));
        let config = &self.config;
        out.extend(self.regevent.handle_timeout(&self.bindings, config, now));
        out
    }

    /// Network-initiated de-registration of `user` (a URI or a number): every binding goes,
    /// and its reg-event subscribers are told with `ending` (TS 24.229 5.4.1.5, RFC 3680).
    pub fn deregister(
        &mut self,
        user: &str,
        ending: Ending,
        now: Instant,
    ) -> Result<Vec<Transmit>, String> {
        let subscriber = match Uri::parse(user) {
            Ok(uri) => self.directory.by_uri(&uri),
            Err(_) => self.directory.by_number(user),
        };
        let number = subscriber
            .map(|s| s.msisdn.clone())
            .ok_or_else(|| format!("no subscriber `{user}` is provisioned"))?;
        if self.bindings.live(&number, now).is_empty() {
            return Err(format!("{number} is not registered"));
        }
        self.bindings.remove_all(&number);
        let (bindings, config) = (&self.bindings, &self.config);
        Ok(self
            .regevent
            .changed(&number, ending, bindings, config, now))
    }

    fn on_request(
        &mut self,
        request: &Message,
        transport: Transport,
        src: SocketAddr,
        now: Instant,
    ) -> Vec<Transmit> {
        if request.method() == Some("ACK")
            && let Some(out) = self.focus.on_ack(request, now)
        {
            return out;
        }
        if request.method() == Some("ACK") {
            return self.b2bua.on_ack(request, now);
        }
        if let Some(deviation) = request.validate().into_iter().next() {
            return self.on_malformed(request, &deviation, transport, src);
        }
        if request.method() == Some("INVITE") && self.focus.owns(request) {
            return self.focus_invite(request, transport, src, now);
        }
        if request.method() == Some("INVITE") {
            return self.on_invite(request, transport, src, now);
        }
        let key = server_key(request);
        if let Some(server) = key.as_ref().and_then(|k| self.servers.get_mut(k)) {
            server.tx.handle_request_retransmission(now);
            return drain_server(server);
        }
        self.servers
            .retain(|_, s| s.tx.state() != ServerState::Terminated);
        if self.servers.len() >= MAX_SERVER_TRANSACTIONS {
            let busy = reply::response(request, 503, "Service Unavailable").build();
            return vec![transmit(busy, transport, src)];
        }
        let upstream = Upstream {
            transport,
            src,
            key: key.clone(),
        };
        let mut server = Server {
            tx: ServerNonInvite::new(transport != Transport::Udp, Timers::default(), now),
            transport,
            src,
        };
        let out = match self.dispatch(request, upstream, now) {
            Outcome::Respond(response) => {
                let status = response.status().unwrap_or(500);
                server.tx.send_response(response.raw().clone(), status, now);
                drain_server(&mut server)
            }
            Outcome::RespondAnd(response, then) => {
                let status = response.status().unwrap_or(500);
                server.tx.send_response(response.raw().clone(), status, now);
                let mut out = drain_server(&mut server);
                out.extend(then);
                out
            }
            Outcome::Relayed(out) => out,
        };
        if let Some(key) = key
            && server.tx.state() != ServerState::Terminated
        {
            self.servers.insert(key, server);
        }
        out
    }

    fn on_malformed(
        &mut self,
        request: &Message,
        deviation: &Deviation,
        transport: Transport,
        src: SocketAddr,
    ) -> Vec<Transmit> {
        tracing::info!(%src, construct = deviation.construct, "malformed request: {}", deviation.detail);
        if self.config.faults.has(Fault::StopAfterMalformed) {
            self.wedged = true;
        }
        if !answerable(request) || self.config.faults.has(Fault::IgnoreMalformed) {
            return Vec::new();
        }
        let agent = &self.config.settings.realm;
        let response = reply::bad_request(request, agent, deviation.construct, &deviation.detail);
        vec![transmit(response, transport, src)]
    }

    fn dispatch(&mut self, request: &Message, upstream: Upstream, now: Instant) -> Outcome {
        match request.method().unwrap_or_default() {
            _ if self.focus.owns(request) => {
                let (transport, src) = (upstream.transport, upstream.src);
                let (response, then) = self.focus_request(request, transport, src, now);
                Outcome::RespondAnd(response, then)
            }
            _ if !regevent::is_reg_event(request)
                && let Some(outcome) = self.group_across(request, &upstream, now) =>
            {
                outcome
            }
            "REGISTER" => {
                let arrival = Arrival {
                    transport: upstream.transport,
                    source: upstream.src,
                    now,
                };
                let response = self.registrar.handle(
                    request,
                    arrival,
                    &self.directory,
                    &mut self.bindings,
                    &self.config,
                );
                let notify = self.reg_changed(request, now);
                Outcome::RespondAnd(response, notify)
            }
            "SUBSCRIBE" if regevent::is_reg_event(request) => {
                let origin = regevent::Origin {
                    transport: upstream.transport,
                    src: upstream.src,
                    via_addr: match upstream.transport {
                        Transport::Tls => self.via_tls.unwrap_or(self.via_addr),
                        Transport::Udp | Transport::Tcp => self.via_addr,
                    },
                };
                let state = (&self.directory, &self.bindings);
                let (response, notify) =
                    self.regevent
                        .on_subscribe(request, origin, state, &self.config, now);
                Outcome::RespondAnd(response, notify)
            }
            "MESSAGE" | "OPTIONS" => self.route_charged(request, upstream, now),
            "BYE" => match self.b2bua.on_bye(request, now) {
                Some((response, then)) => Outcome::RespondAnd(response, then),
                None => Outcome::Respond(no_such_call(request)),
            },
            "UPDATE" => {
                let from = (upstream.transport, upstream.src);
                match self.b2bua.on_update(request, from, now) {
                    Some(out) => Outcome::Relayed(out),
                    None => Outcome::Respond(no_such_call(request)),
                }
            }
            "CANCEL" => match self.b2bua.on_cancel(request, now) {
                Some(then) => {
                    let ok = reply::response(request, 200, "OK").build();
                    Outcome::RespondAnd(ok, then)
                }
                None => Outcome::Respond(no_such_call(request)),
            },
            _ => Outcome::Respond(
                reply::response(request, 501, "Not Implemented")
                    .header("Allow", options::ALLOW)
                    .build(),
            ),
        }
    }

    fn route(&mut self, request: &Message, upstream: Upstream, now: Instant) -> Outcome {
        let respond =
            |status, reason| Outcome::Respond(reply::response(request, status, reason).build());
        let is_message = request.method() == Some("MESSAGE");
        let faults = &self.config.faults;
        if is_message
            && let Some(missing) = router::missing_cpm_header(request)
            && !faults.has(Fault::ForwardWithoutContributionId)
        {
            let detail = "required in a CPM request (protocols.md 4.2)";
            let realm = &self.config.settings.realm;
            return Outcome::Respond(reply::bad_request(request, realm, missing, detail));
        }
        let Some(uri) = request.request_uri().and_then(|uri| Uri::parse(uri).ok()) else {
            return respond(400, "Bad Request");
        };
        if is_message && self.is_sms_centre_report(request, upstream.src) {
            return respond(200, "OK");
        }
        if let Some(gateway) = self.carriers.binding_for(&uri, &self.directory, now) {
            return self.relay_to_trunk(request, Some(gateway), upstream, now);
        }
        if let Some(trunk) = self.trunk.binding_for(&uri, now) {
            return self.relay_to_trunk(request, trunk, upstream, now);
        }
        let from_trunk = self.trunk.is_from_trunk(request, upstream.src);
        if is_message
            && let Some((response, then)) =
                self.saf.on_revoke(request, from_trunk, saf_net!(self), now)
        {
            return Outcome::RespondAnd(response, then);
        }
        let target = router::resolve(&uri, &self.directory, &self.bindings, now);
        if !is_message && let Some((status, reason)) = options::status(&target, faults) {
            return Outcome::Respond(options::response(request, status, reason));
        }
        if is_message
            && super::sms_ip::is_sms(request)
            && let Some((status, reason)) = super::sms_ip::status(&target)
        {
            return respond(status, reason);
        }
        let binding = match target {
            Target::Online(binding) => binding,
            Target::Offline if is_message && router::is_cpim(request) => {
                return self.store(request, &uri, upstream.src, now);
            }
            Target::Offline => return respond(480, "Temporarily Unavailable"),
            Target::Unknown | Target::NotRcs if is_message => {
                let sms = self.fall_back(request, &uri, upstream.src, now);
                return sms.unwrap_or_else(|| respond(404, "Not Found"));
            }
            Target::Myself | Target::Unknown | Target::NotRcs => return respond(404, "Not Found"),
        };
        if is_message && faults.has(Fault::DropImdn) && router::is_imdn(request) {
            return respond(200, "OK");
        }
        if request.max_forwards().ok().flatten() == Some(0) {
            return respond(483, "Too Many Hops");
        }
        let identity = router::asserted_identity(request, &self.directory, &self.bindings, now)
            .or_else(|| self.trunk.identity(request, upstream.src))
            .or_else(|| self.carriers.identity(request, upstream.src));
        let via_addr = match binding.transport {
            Transport::Tls => self.via_tls.unwrap_or(self.via_addr),
            Transport::Udp | Transport::Tcp => self.via_addr,
        };
        match self.proxy.forward(
            request,
            binding,
            via_addr,
            identity.as_deref(),
            faults,
            upstream,
            now,
        ) {
            Ok(out) => Outcome::Relayed(out),
            Err(detail) => {
                tracing::warn!("failed to relay: {detail}");
                respond(503, "Service Unavailable")
            }
        }
    }

    /// An INVITE: a retransmission goes to its call; a new one for a CPM session or large
    /// message is checked like a MESSAGE (protocols.md §4.2, §4.5) and handed to the B2BUA.
    /// Relays a request for a chatbot to the MaaP, or answers 404 without one (§7.1).
    fn relay_to_trunk(
        &mut self,
        request: &Message,
        maap: Option<Binding>,
        upstream: Upstream,
        now: Instant,
    ) -> Outcome {
        let Some(maap) = maap else {
            return Outcome::Respond(reply::response(request, 404, "Not Found").build());
        };
        let identity = router::asserted_identity(request, &self.directory, &self.bindings, now)
            .or_else(|| self.trunk.identity(request, upstream.src));
        let via_addr = match maap.transport {
            Transport::Tls => self.via_tls.unwrap_or(self.via_addr),
            Transport::Udp | Transport::Tcp => self.via_addr,
        };
        let faults = &self.config.faults;
        let forwarded = self.proxy.forward(
            request,
            &maap,
            via_addr,
            identity.as_deref(),
            faults,
            upstream,
            now,
        );
        match forwarded {
            Ok(out) => Outcome::Relayed(out),
            Err(detail) => {
                tracing::warn!("failed to relay to the maap: {detail}");
                Outcome::Respond(reply::response(request, 503, "Service Unavailable").build())
            }
        }
    }

    fn on_invite(
        &mut self,
        request: &Message,
        transport: Transport,
        src: SocketAddr,
        now: Instant,
    ) -> Vec<Transmit> {
        if let Some(key) = server_key(request)
            && let Some(out) = self.b2bua.on_retransmission(&key, now)
        {
            return out;
        }
        let answer = |response: Message| vec![transmit(response, transport, src)];
        let respond = |status, reason| answer(reply::response(request, status, reason).build());
        if !invite_legs::is_cpm_invite(request) {
            let response = reply::response(request, 501, "Not Implemented")
                .header("Allow", options::ALLOW)
                .build();
            return answer(response);
        }
        let charged = self.invite_charged(request, src, now);
        let request = charged.as_ref().unwrap_or(request);
        let faults = &self.config.faults;
        if let Some(missing) = router::missing_invite_header(request)
            && !faults.has(Fault::AcceptInviteWithoutConversationId)
        {
            let detail = "required in a CPM INVITE (protocols.md 4.2)";
            let realm = &self.config.settings.realm;
            return answer(reply::bad_request(request, realm, missing, detail));
        }
        let Some(uri) = request.request_uri().and_then(|uri| Uri::parse(uri).ok()) else {
            return respond(400, "Bad Request");
        };
        // Another carrier's user: the session goes to the gateway (protocols.md §9.1).
        let gateway = self.carriers.binding_for(&uri, &self.directory, now);
        let trunk = match gateway {
            Some(gateway) => Some(Some(gateway)),
            None => self.trunk.binding_for(&uri, now),
        };
        if matches!(trunk, Some(None)) {
            return respond(404, "Not Found");
        }
        let binding = match trunk.as_ref().and_then(Option::as_ref) {
            Some(maap) => maap,
            None => match router::resolve(&uri, &self.directory, &self.bindings, now) {
                Target::Online(binding) => binding,
                Target::Offline => return respond(480, "Temporarily Unavailable"),
                Target::Myself | Target::Unknown | Target::NotRcs => {
                    return respond(404, "Not Found");
                }
            },
        };
        if request.max_forwards().ok().flatten() == Some(0) {
            return respond(483, "Too Many Hops");
        }
        let Some(identity) =
            router::asserted_identity(request, &self.directory, &self.bindings, now)
                .or_else(|| self.carriers.identity(request, src))
        else {
            return respond(403, "Forbidden");
        };
        let via_for = |t: Transport| match t {
            Transport::Tls => self.via_tls.unwrap_or(self.via_addr),
            Transport::Udp | Transport::Tcp => self.via_addr,
        };
        let target = binding.contact.uri.to_string();
        let route = Route {
            target: &target,
            transport: binding.transport,
            dst: proxy::next_hop(binding),
            via_addr: via_for(binding.transport),
            identity: &identity,
        };
        let origin = Origin {
            transport,
            src,
            via_addr: via_for(transport),
        };
        match self.b2bua.start(request, origin, &route, now) {
            Ok(out) => {
                self.cdr_session_started(request, src, now);
                out
            }
            Err((status, reason)) => respond(status, reason),
        }
    }

    fn on_response(&mut self, response: &Message, now: Instant) -> Vec<Transmit> {
        if let Some(out) = self.fallback_response(response, now) {
            return out;
        }
        if let Some(out) = self.focus.on_response(response, now) {
            return out;
        }
        if let Some(out) = self.saf.on_response(response, saf_net!(self), now) {
            return out;
        }
        if self.regevent.on_response(response, now) {
            return Vec::new();
        }
        if let Some(out) = self.b2bua.on_response(response, now) {
            self.cdr_session_answered(&out);
            return out;
        }
        match self.proxy.on_response(response, &self.config.faults, now) {
            Some(relayed) => self.answer_upstream(relayed, now),
            None => {
                tracing::debug!(summary = %response.summary(), "dropping a response for no pending request");
                Vec::new()
            }
        }
    }

    /// Sends a response upstream through its server transaction, if it still has one.
    fn answer_upstream(&mut self, relayed: Relayed, now: Instant) -> Vec<Transmit> {
        let Relayed {
            bytes,
            status,
            upstream,
        } = relayed;
        self.cdr_answered(&bytes, status);
        let Some(server) = upstream.key.as_ref().and_then(|k| self.servers.get_mut(k)) else {
            return vec![Transmit {
                bytes,
                transport: upstream.transport,
                dst: upstream.src,
                branch: None,
            }];
        };
        server.tx.send_response(bytes, status, now);
        let out = drain_server(server);
        self.servers
            .retain(|_, s| s.tx.state() != ServerState::Terminated);
        out
    }
}

impl Core {
    /// The NOTIFYs owed to the reg-event subscribers of the REGISTER's To (RFC 3680 4.7).
    fn reg_changed(&mut self, request: &Message, now: Instant) -> Vec<Transmit> {
        let Some(number) = request
            .to_header()
            .ok()
            .and_then(|to| self.directory.by_uri(&to.uri).map(|s| s.msisdn.clone()))
        else {
            return Vec::new();
        };
        let (bindings, config) = (&self.bindings, &self.config);
        self.regevent
            .changed(&number, Ending::Unregistered, bindings, config, now)
    }
}

impl Core {
    /// A CPM MESSAGE for an RCS user who is offline: stored, or refused (protocols.md §4.8).
    fn store(&mut self, request: &Message, uri: &Uri, src: SocketAddr, now: Instant) -> Outcome {
        let Some(recipient) = self.directory.by_uri(uri).cloned() else {
            return Outcome::Respond(reply::response(request, 404, "Not Found").build());
        };
        let identity = router::asserted_identity(request, &self.directory, &self.bindings, now)
            .or_else(|| self.trunk.identity(request, src))
            .or_else(|| self.carriers.identity(request, src));
        let (response, then) =
            self.saf
                .on_offline(request, &recipient, identity, saf_net!(self), now);
        if response.status() == Some(202) {
            self.watch_stored(request, &recipient, src, now);
        }
        Outcome::RespondAnd(response, then)
    }
}

/// The RFC 3261 17.2.3 key of a request: top Via branch and sent-by, and the method.
fn server_key(request: &Message) -> Option<TransactionKey> {
    let vias = request.vias().ok()?;
    let top = vias.first()?;
    let sent_by = match top.port {
        Some(port) => format!("{}:{port}", top.host),
        None => top.host.to_string(),
    };
    TransactionKey::new(top.branch()?, &sent_by, request.method()?)
}

/// `481` for an in-dialog request of no known session (RFC 3261 12.2.2).
fn no_such_call(request: &Message) -> Message {
    reply::response(request, 481, "Call/Transaction Does Not Exist").build()
}

/// Whether a malformed request has what a response needs (RFC 3261 8.2.6.2).
fn answerable(request: &Message) -> bool {
    let present = ["Via", "From", "To", "Call-ID", "CSeq"]
        .iter()
        .all(|name| request.header(name).is_some());
    present && request.vias().is_ok_and(|vias| !vias.is_empty())
}

fn drain_server(server: &mut Server) -> Vec<Transmit> {
    std::iter::from_fn(|| server.tx.poll_transmit())
        .map(|bytes| Transmit {
            bytes,
            transport: server.transport,
            dst: server.src,
            branch: None,
        })
        .collect()
}

fn transmit(message: Message, transport: Transport, dst: SocketAddr) -> Transmit {
    Transmit {
        bytes: message.raw().clone(),
        transport,
        dst,
        branch: None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use bytes::Bytes;

    use super::*;

    const SRC: &str = "127.0.0.1:40000";

    fn core() -> Core {
        let subscribers = vec![Subscriber::builtin(1, true)];
        Core::new(
            Config::default(),
            subscribers,
            "127.0.0.1:5060".parse().unwrap(),
        )
    }

    fn incoming(text: &str) -> Incoming {
        let bytes = Bytes::from(text.replace('\n', "\r\n"));
        Incoming {
            transport: Transport::Udp,
            src: SRC.parse().unwrap(),
            dst: "127.0.0.1:5060".parse().unwrap(),
            message: Message::parse(bytes.clone()),
            bytes,
        }
    }

    fn request(method: &str, branch: &str) -> Incoming {
        incoming(&format!(
            "{method} sip:+8613800000001@ims SIP/2.0\nVia: SIP/2.0/UDP {SRC};branch={branch}\n\
Max-Forwards: 70\nFrom: <sip:a@ims>;tag=1\nTo: <sip:+8613800000001@ims>\nCall-ID: c\n\
CSeq: 1 {method}\nContent-Length: 0\n\n"
        ))
    }

    fn statuses(out: &[Transmit]) -> Vec<u16> {
        out.iter()
            .map(|t| Message::parse(t.bytes.clone()).unwrap().status().unwrap())
            .collect()
    }

    #[test]
    fn unsupported_methods_are_answered() {
        let mut core = core();
        let now = Instant::now();
        let out = core.handle(request("INVITE", "z9hG4bK1"), now);
        assert_eq!(statuses(&out), [501]);
        let allow = Message::parse(out[0].bytes.clone()).unwrap();
        assert_eq!(allow.header("Allow"), Some(options::ALLOW));
        assert_eq!(out[0].dst, SRC.parse().unwrap());
        assert_eq!(
            statuses(&core.handle(request("CANCEL", "z9hG4bK2"), now)),
            [481]
        );
        assert!(core.handle(request("ACK", "z9hG4bK3"), now).is_empty());
    }

    #[test]
    fn a_retransmission_gets_the_same_bytes_until_timer_j() {
        let mut core = core();
        let now = Instant::now();
        let first = core.handle(request("MESSAGE", "z9hG4bK9"), now);
        assert_eq!(statuses(&first), [480], "the subscriber is not registered");
        let again = core.handle(request("MESSAGE", "z9hG4bK9"), now);
        assert_eq!(again[0].bytes, first[0].bytes);
        let timer_j = core.poll_timeout().unwrap();
        assert_eq!(timer_j - now, std::time::Duration::from_secs(32));
        assert!(core.handle_timeout(timer_j).is_empty());
        assert_eq!(core.poll_timeout(), None);
        let fresh = core.handle(request("MESSAGE", "z9hG4bK9"), timer_j);
        assert_ne!(
            fresh[0].bytes, first[0].bytes,
            "a new transaction, a new To tag"
        );
    }

    #[test]
    fn stray_responses_and_unparseable_input_are_dropped() {
        let mut core = core();
        let now = Instant::now();
        let stray = incoming(
            "SIP/2.0 200 OK\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKnobody\n\
From: <sip:a@ims>;tag=1\nTo: <sip:b@ims>;tag=2\nCall-ID: c\nCSeq: 1 MESSAGE\n\n",
        );
        assert!(core.handle(stray, now).is_empty());
        assert!(
            core.handle(incoming("\u{1}\u{2}garbage\n\n"), now)
                .is_empty()
        );
        assert_eq!(
            statuses(&core.handle(request("OPTIONS", "z9hG4bK5"), now)),
            [480]
        );
    }
}
