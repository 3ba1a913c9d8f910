//! The message center as a B2BUA for CPM sessions and large messages, anchoring MSRP (OMA CPM
//! participating function; RFC 3261 12-15; RFC 4975; protocols.md §4.1-4.6; PLT-MSG-006/007/008).
//!
//! An INVITE with the CPM session or largemsg ICSI from a registered user becomes two dialogs:
//! leg A (the caller's INVITE, answered through a [`ServerInvite`]) and leg B (a new INVITE to
//! the callee's contact, sent through a [`ClientInvite`]). B's provisional responses are relayed
//! without SDP, its final non-2xx with the same status; its 2xx is ACKed and A gets a 200 with
//! the message center's SDP answer, and the I/O loop is told to open both MSRP sessions in relay
//! mode ([`Command::Open`]). A BYE from either leg is answered 200; once the sessions are closed
//! ([`B2bua::relay_closed`]) the BYE goes to the other leg, so what was relayed arrives before it.
//! A CANCEL of a pending INVITE gets A a 487 and B a CANCEL. Calls are bounded in number
//! ([`MAX_CALLS`]) and in time (the session expiry, then BYE on both legs). An UPDATE without
//! SDP (session refresh) is relayed leg to leg and restarts the session timer (`update`);
//! re-INVITE is not handled. Everything here is sans-IO, with time as an argument.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rcs_harness::events::Transport;
use rcs_proto::msrp::MsrpUri;
use rcs_proto::sdp::{MsrpMedia, Setup};
use rcs_proto::sip::transaction::{
    ClientEvent, ClientInvite, ClientNonInvite, ClientState, ServerInvite, Timers, TransactionKey,
};
use rcs_proto::sip::{Dialog, MAGIC_COOKIE, Message, MessageBuilder};

use super::anchor;
use super::config::{Fault, Faults};
use super::invite_legs::{self, LegB};
use super::proxy::Transmit;
use super::reply;
use super::session_relay::{Command, LegMedia};

/// The most sessions anchored at once; more INVITEs get 503.
pub const MAX_CALLS: usize = 256;

/// The session expiry when the caller asks for none (protocols.md §4.5: 1800 s).
const DEFAULT_SESSION_EXPIRES: u64 = 1800;

/// The longest session expiry granted.
const MAX_SESSION_EXPIRES: u64 = 7200;

/// The most in-dialog requests of the message center's own awaiting their answer.
const MAX_UAC: usize = 1024;

/// Fresh MSRP URIs on the message center's listeners (`true`: MSRPS), for `a=path`; `None` when
/// there is no such listener.
pub struct MsrpUris(Box<dyn Fn(bool) -> Option<MsrpUri> + Send + Sync>);

impl MsrpUris {
    /// URIs from `source`.
    pub fn new(source: impl Fn(bool) -> Option<MsrpUri> + Send + Sync + 'static) -> Self {
        Self(Box::new(source))
    }

    /// No MSRP listener at all: every session is refused.
    pub fn none() -> Self {
        Self::new(|_| None)
    }

    fn fresh(&self, tls: bool) -> Option<MsrpUri> {
        (self.0)(tls)
    }
}

impl std::fmt::Debug for MsrpUris {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MsrpUris").finish_non_exhaustive()
    }
}

/// What the B2BUA needs from the rest of the message center for one INVITE.
#[derive(Debug)]
pub struct Route<'a> {
    /// The callee's contact URI (leg B's Request-URI).
    pub target: &'a str,
    /// The transport to the callee.
    pub transport: Transport,
    /// Where leg B's requests go.
    pub dst: SocketAddr,
    /// The message center's address on that transport.
    pub via_addr: SocketAddr,
    /// The caller's asserted identity, `<uri>`.
    pub identity: &'a str,
}

/// A rewrite of leg B's INVITE: (the caller's INVITE, leg B's INVITE) → the INVITE to send.
pub type RewriteB<'f> = dyn Fn(&Message, Message) -> Message + 'f;

/// How a call crosses a network border, for a B2BUA at the NNI (the interworking gateway); the
/// message center's own calls take the default: leg B as built, chunks as they came.
#[derive(Default)]
pub struct Crossing<'a> {
    /// Rewrites leg B's INVITE once built: given the caller's INVITE and leg B's, the INVITE to
    /// send (its top Via, Call-ID, From tag and CSeq kept).
    pub rewrite_b: Option<&'a RewriteB<'a>>,
    /// The largest chunk relayed onto leg A, and onto leg B (see [`LegMedia::max_chunk`]).
    pub max_chunk: (Option<usize>, Option<usize>),
}

/// Where the caller's INVITE came from.
#[derive(Clone, Copy, Debug)]
pub struct Origin {
    /// Its transport.
    pub transport: Transport,
    /// Its source address.
    pub src: SocketAddr,
    /// The message center's address on that transport.
    pub via_addr: SocketAddr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Leg B's INVITE is pending.
    Calling,
    /// Both legs are confirmed (or A's 2xx awaits its ACK).
    Established,
    /// A BYE ended it; the sessions are closing.
    Ending,
}

/// Which leg.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Leg {
    A,
    B,
}

#[derive(Debug)]
struct LegAState {
    invite: Message,
    key: Option<TransactionKey>,
    server: ServerInvite,
    origin: Origin,
    tag: String,
    dialog: Option<Dialog>,
    offer: MsrpMedia,
    local: MsrpUri,
}

#[derive(Debug)]
struct LegBState {
    invite: Message,
    branch: String,
    client: ClientInvite,
    transport: Transport,
    dst: SocketAddr,
    via_addr: SocketAddr,
    dialog: Option<Dialog>,
    ack: Option<Bytes>,
    local: MsrpUri,
    provisional: bool,
    cancel: Cancel,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cancel {
    No,
    /// A cancelled before any provisional from B: the CANCEL waits for one (RFC 3261 9.1).
    Wanted,
    Sent,
}

#[derive(Debug)]
struct Call {
    a: LegAState,
    b: LegBState,
    phase: Phase,
    expires: Duration,
    expires_at: Option<Instant>,
    /// The leg that gets a BYE once the sessions are closed.
    bye_after_close: Option<Leg>,
    relaying: bool,
    /// The largest chunk relayed onto leg A, and onto leg B.
    max_chunk: (Option<usize>, Option<usize>),
}

/// A request of the message center's own (BYE, CANCEL) awaiting its answer.
#[derive(Debug)]
struct Uac {
    client: ClientNonInvite,
    transport: Transport,
    dst: SocketAddr,
}

/// Every anchored session.
#[derive(Debug)]
pub struct B2bua {
    calls: HashMap<u64, Call>,
    next_id: u64,
    uac: HashMap<String, Uac>,
    commands: VecDeque<Command>,
    msrp: MsrpUris,
    faults: Faults,
    /// UPDATEs relayed to the other leg, by the branch they went on (see `update`).
    updates: HashMap<String, update::RelayedUpdate>,
}

impl B2bua {
    /// A B2BUA whose MSRP listeners are `msrp`, with the session faults among `faults`.
    pub fn new(msrp: MsrpUris, faults: Faults) -> Self {
        Self {
            calls: HashMap::new(),
            next_id: 1,
            uac: HashMap::new(),
            commands: VecDeque::new(),
            msrp,
            faults,
            updates: HashMap::new(),
        }
    }

    fn has(&self, fault: Fault) -> bool {
        self.faults.has(fault)
    }

    /// Takes the URIs of later calls' `a=path` from `msrp`.
    pub fn set_msrp(&mut self, msrp: MsrpUris) {
        self.msrp = msrp;
    }

    /// The next command for the MSRP relay.
    pub fn poll_command(&mut self) -> Option<Command> {
        self.commands.pop_front()
    }

    /// How many calls are anchored.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    /// A retransmitted INVITE of a call: its answers again. `None` when it is a new INVITE.
    pub fn on_retransmission(
        &mut self,
        key: &TransactionKey,
        now: Instant,
    ) -> Option<Vec<Transmit>> {
        let call = self
            .calls
            .values_mut()
            .find(|c| c.a.key.as_ref() == Some(key))?;
        call.a.server.handle_request_retransmission(now);
        Some(drain_a(&mut call.a))
    }

    /// Starts a call for `invite`, which the caller checked (target online, CPM headers there);
    /// returns `Err((status, reason))` for the answer A gets instead.
    pub fn start(
        &mut self,
        invite: &Message,
        origin: Origin,
        route: &Route<'_>,
        now: Instant,
    ) -> Result<Vec<Transmit>, (u16, &'static str)> {
        self.start_crossing(invite, origin, route, &Crossing::default(), now)
    }

    /// [`B2bua::start`] for a call that crosses a border as `crossing` says.
    pub fn start_crossing(
        &mut self,
        invite: &Message,
        origin: Origin,
        route: &Route<'_>,
        crossing: &Crossing<'_>,
        now: Instant,
    ) -> Result<Vec<Transmit>, (u16, &'static str)> {
        if self.calls.len() >= MAX_CALLS {
            return Err((503, "Service Unavailable"));
        }
        let offer = anchor::msrp_media(invite).map_err(|err| {
            tracing::info!("INVITE refused: {err}");
            (488, "Not Acceptable Here")
        })?;
        let tls_b = route.transport == Transport::Tls;
        let local_a = self
            .msrp
            .fresh(offer.tls)
            .ok_or((488, "Not Acceptable Here"))?;
        let local_b = self.msrp.fresh(tls_b).ok_or((503, "Service Unavailable"))?;
        let content_type = invite.header("Content-Type").unwrap_or_default();
        let sdp = anchor::sdp_bytes(&anchor::offer_to_b(&offer, &local_b), session_version());
        let (content_type, body) =
            anchor::replace_sdp(content_type, invite.body(), &sdp).map_err(|err| {
                tracing::info!("INVITE refused: {err}");
                (488, "Not Acceptable Here")
            })?;
        let branch = format!("{MAGIC_COOKIE}{}", reply::token(20));
        let call_id = format!("{}@mc", reply::token(24));
        let from_tag = reply::token(10);
        let b_invite = invite_legs::leg_b_invite(&LegB {
            a_invite: invite,
            target: route.target,
            transport: route.transport,
            via_addr: route.via_addr,
            branch: &branch,
            call_id: &call_id,
            from_tag: &from_tag,
            identity: route.identity,
            content_type: &content_type,
            body: &body,
            strip_icsi: self.has(Fault::StripSessionIcsi),
        });
        let b_invite = match crossing.rewrite_b {
            Some(rewrite) => rewrite(invite, b_invite),
            None => b_invite,
        };
        let reliable = |t: Transport| t != Transport::Udp;
        let mut server = ServerInvite::new(reliable(origin.transport), Timers::default(), now);
        let trying = reply::response(invite, 100, "Trying").build();
        server.send_response(trying.raw().clone(), 100, now);
        let client =
            ClientInvite::new(&b_invite, reliable(route.transport), Timers::default(), now);
        let call = Call {
            a: LegAState {
                invite: invite.clone(),
                key: server_key(invite),
                server,
                origin,
                tag: reply::token(10),
                dialog: None,
                offer,
                local: local_a,
            },
            b: LegBState {
                invite: b_invite,
                branch,
                client,
                transport: route.transport,
                dst: route.dst,
                via_addr: route.via_addr,
                dialog: None,
                ack: None,
                local: local_b,
                provisional: false,
                cancel: Cancel::No,
            },
            phase: Phase::Calling,
            expires: session_expires(invite),
            expires_at: None,
            bye_after_close: None,
            relaying: false,
            max_chunk: crossing.max_chunk,
        };
        let id = self.next_id;
        self.next_id += 1;
        self.calls.insert(id, call);
        let call = self
            .calls
            .get_mut(&id)
            .ok_or((500, "Server Internal Error"))?;
        let mut out = drain_a(&mut call.a);
        out.extend(drain_b(&mut call.b));
        Ok(out)
    }

    /// An ACK from A: for a 2xx it confirms leg A; for a non-2xx it ends A's retransmissions.
    pub fn on_ack(&mut self, ack: &Message, now: Instant) -> Vec<Transmit> {
        let Some(call) = self.calls.values_mut().find(|c| is_of_leg_a(c, ack)) else {
            return Vec::new();
        };
        call.a.server.handle_ack(now);
        drain_a(&mut call.a)
    }

    /// A BYE: `None` when it belongs to no anchored call; else the response to it and what else
    /// to send.
    pub fn on_bye(&mut self, bye: &Message, now: Instant) -> Option<(Message, Vec<Transmit>)> {
        let (&id, call) = self.calls.iter_mut().find(|(_, c)| {
            c.a.dialog.as_ref().is_some_and(|d| d.matches(bye))
                || c.b.dialog.as_ref().is_some_and(|d| d.matches(bye))
        })?;
        let from_a = call.a.dialog.as_ref().is_some_and(|d| d.matches(bye));
        let ok = reply::response(bye, 200, "OK").build();
        if call.phase == Phase::Ending {
            return Some((ok, Vec::new()));
        }
        call.phase = Phase::Ending;
        let other = if from_a { Leg::B } else { Leg::A };
        call.bye_after_close = (!self.faults.has(Fault::NoByeRelay)).then_some(other);
        let out = self.close(id, now);
        Some((ok, out))
    }

    /// Closes the sessions of `id`; the pending BYE goes out once they are closed, at once when
    /// none were opened.
    fn close(&mut self, id: u64, now: Instant) -> Vec<Transmit> {
        let Some(call) = self.calls.get_mut(&id) else {
            return Vec::new();
        };
        if call.relaying {
            self.commands.push_back(Command::Close { call: id });
            return Vec::new();
        }
        self.relay_closed(id, now)
    }

    /// The relay has closed the sessions of `call` (asked to, or because they failed).
    pub fn relay_closed(&mut self, id: u64, now: Instant) -> Vec<Transmit> {
        let Some(call) = self.calls.get_mut(&id) else {
            return Vec::new();
        };
        call.relaying = false;
        if call.phase != Phase::Ending {
            return Vec::new();
        }
        let leg = call.bye_after_close.take();
        let mut out = Vec::new();
        if let Some(leg) = leg
            && let Some(bye) = self.bye(id, leg)
        {
            out.extend(self.send_uac(bye, now));
        }
        if let Some(call) = self.calls.get(&id)
            && call.a.server.is_terminated()
        {
            self.calls.remove(&id);
        }
        out
    }

    /// A CANCEL from A for a pending INVITE: `None` when it matches none. A gets 487 and B a
    /// CANCEL (once B has sent a provisional response, RFC 3261 9.1).
    pub fn on_cancel(&mut self, cancel: &Message, now: Instant) -> Option<Vec<Transmit>> {
        let key = invite_key_of(cancel)?;
        let (&id, call) = self
            .calls
            .iter_mut()
            .find(|(_, c)| c.a.key.as_ref() == Some(&key) && c.phase == Phase::Calling)?;
        let mut out = answer_a(&mut call.a, 487, "Request Terminated", now);
        call.phase = Phase::Ending;
        call.b.cancel = Cancel::Wanted;
        if call.b.provisional {
            out.extend(self.send_cancel(id, now));
        }
        Some(out)
    }

    fn send_cancel(&mut self, id: u64, now: Instant) -> Vec<Transmit> {
        let Some(call) = self.calls.get_mut(&id) else {
            return Vec::new();
        };
        call.b.cancel = Cancel::Sent;
        let cancel = invite_legs::cancel(&call.b.invite);
        let target = (call.b.transport, call.b.dst);
        let key = format!("cancel:{}", call.b.branch);
        self.send_uac_on(key, cancel.raw().clone(), target, now)
    }

    /// A response from downstream: `None` when it belongs to no request of the B2BUA.
    pub fn on_response(&mut self, response: &Message, now: Instant) -> Option<Vec<Transmit>> {
        let branch = response.vias().ok()?.first()?.branch()?.to_owned();
        let method = response.cseq().ok()?.method;
        if method != "INVITE" {
            let key = if method == "CANCEL" {
                format!("cancel:{branch}")
            } else {
                branch
            };
            let uac = self.uac.get_mut(&key)?;
            uac.client.handle_response(response.status()?, now);
            self.uac
                .retain(|_, u| u.client.state() != ClientState::Terminated);
            if method == "UPDATE" {
                return Some(
                    self.on_update_response(&key, response, now)
                        .unwrap_or_default(),
                );
            }
            return Some(Vec::new());
        }
        let id = self
            .calls
            .iter()
            .find(|(_, c)| c.b.branch == branch)
            .map(|(id, _)| *id)?;
        Some(self.on_b_response(id, response, now))
    }

    fn on_b_response(&mut self, id: u64, response: &Message, now: Instant) -> Vec<Transmit> {
        let Some(call) = self.calls.get_mut(&id) else {
            return Vec::new();
        };
        let status = response.status().unwrap_or_default();
        if (200..300).contains(&status)
            && let Some(ack) = call.b.ack.clone()
        {
            // A retransmitted 2xx: the same ACK again (RFC 3261 13.2.2.4).
            return vec![transmit_b(&call.b, ack)];
        }
        call.b.client.handle_response(response, now);
        let mut out = drain_b(&mut call.b);
        let reason = response.reason().unwrap_or_default();
        match call.b.client.poll_event() {
            Some(ClientEvent::Provisional(status)) => {
                call.b.provisional = true;
                if call.b.cancel == Cancel::Wanted {
                    out.extend(self.send_cancel(id, now));
                } else if status > 100 && call.phase == Phase::Calling {
                    out.extend(answer_a(&mut call.a, status, reason, now));
                }
            }
            Some(ClientEvent::Final(status)) if (200..300).contains(&status) => {
                out.extend(self.on_b_ok(id, response, now));
            }
            Some(ClientEvent::Final(status)) => {
                if call.phase == Phase::Calling {
                    out.extend(answer_a(&mut call.a, status, reason, now));
                }
                call.phase = Phase::Ending;
            }
            _ => {}
        }
        out
    }

    /// B accepted: ACK it, answer A with the message center's SDP, open the sessions.
    fn on_b_ok(&mut self, id: u64, response: &Message, now: Instant) -> Vec<Transmit> {
        let Some(call) = self.calls.get_mut(&id) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let dialog = match Dialog::as_uac(&call.b.invite, response) {
            Ok(dialog) => dialog,
            Err(err) => {
                tracing::warn!("failed to make leg B's dialog: {err}");
                return out;
            }
        };
        let ack = dialog
            .ack(1)
            .header(
                "Via",
                &invite_legs::via(call.b.transport, call.b.via_addr, &new_branch()),
            )
            .header("Max-Forwards", "70")
            .build()
            .raw()
            .clone();
        out.push(transmit_b(&call.b, ack.clone()));
        call.b.ack = Some(ack);
        call.b.dialog = Some(dialog);
        if call.phase != Phase::Calling {
            // A cancelled meanwhile: end leg B at once.
            call.phase = Phase::Ending;
            call.bye_after_close = Some(Leg::B);
            out.extend(self.relay_closed(id, now));
            return out;
        }
        let answer = match anchor::msrp_media(response) {
            Ok(answer) => answer,
            Err(err) => {
                tracing::info!("leg B's answer is unusable: {err}");
                out.extend(answer_a(&mut call.a, 502, "Bad Gateway", now));
                call.phase = Phase::Ending;
                call.bye_after_close = Some(Leg::B);
                out.extend(self.relay_closed(id, now));
                return out;
            }
        };
        let a_answer = anchor::answer_to_a(&call.a.offer, &answer, &call.a.local);
        let sdp = anchor::sdp_bytes(&a_answer, session_version());
        let origin = call.a.origin;
        let ok = invite_legs::ok_to_a(
            &call.a.invite,
            response,
            &call.a.tag,
            origin.transport,
            origin.via_addr,
            sdp,
        );
        let contact = ok.header("Contact").unwrap_or_default().to_owned();
        call.a.dialog = Dialog::as_uas(&call.a.invite, &call.a.tag, &contact).ok();
        call.a.server.send_response(ok.raw().clone(), 200, now);
        call.phase = Phase::Established;
        call.expires_at = Some(now + call.expires);
        call.relaying = true;
        let mut a = leg_media(&a_answer, &call.a.offer, call.a.local.clone());
        let mut b = leg_media(
            &anchor::offer_to_b(&call.a.offer, &call.b.local),
            &answer,
            call.b.local.clone(),
        );
        (a.max_chunk, b.max_chunk) = call.max_chunk;
        self.commands.push_back(Command::Open {
            call: id,
            a: Box::new(a),
            b: Box::new(b),
        });
        out.extend(drain_a(&mut call.a));
        out
    }

    /// A request on `branch` could not be sent: a failed leg-B INVITE answers A with 480.
    pub fn transport_error(&mut self, branch: &str, now: Instant) -> Option<Vec<Transmit>> {
        if self.uac.remove(branch).is_some() {
            return Some(Vec::new());
        }
        let call = self.calls.values_mut().find(|c| c.b.branch == branch)?;
        if call.phase != Phase::Calling {
            return Some(Vec::new());
        }
        call.phase = Phase::Ending;
        Some(answer_a(&mut call.a, 480, "Temporarily Unavailable", now))
    }

    /// The earliest timer of any call or request of the B2BUA.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let calls = self.calls.values().flat_map(|c| {
            [
                c.a.server.poll_timeout(),
                c.b.client.poll_timeout(),
                c.expires_at,
            ]
        });
        let uac = self.uac.values().map(|u| u.client.poll_timeout());
        calls.chain(uac).flatten().min()
    }

    /// Fires the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) -> Vec<Transmit> {
        let mut out = Vec::new();
        for uac in self.uac.values_mut() {
            uac.client.handle_timeout(now);
            out.extend(drain_uac(uac));
        }
        self.uac
            .retain(|_, u| u.client.state() != ClientState::Terminated);
        let ids: Vec<u64> = self.calls.keys().copied().collect();
        for id in ids {
            out.extend(self.call_timeout(id, now));
        }
        out
    }

    fn call_timeout(&mut self, id: u64, now: Instant) -> Vec<Transmit> {
        let Some(call) = self.calls.get_mut(&id) else {
            return Vec::new();
        };
        call.a.server.handle_timeout(now);
        call.b.client.handle_timeout(now);
        let mut out = drain_a(&mut call.a);
        out.extend(drain_b(&mut call.b));
        if let Some(ClientEvent::Timeout) = call.b.client.poll_event()
            && call.phase == Phase::Calling
        {
            call.phase = Phase::Ending;
            out.extend(answer_a(&mut call.a, 408, "Request Timeout", now));
        }
        let expired = call.expires_at.is_some_and(|at| at <= now);
        let unacked = call.a.server.ack_timed_out() && call.phase == Phase::Established;
        if (expired || unacked) && call.phase == Phase::Established {
            tracing::info!(call = id, expired, unacked, "ending the session");
            call.phase = Phase::Ending;
            call.expires_at = None;
            call.bye_after_close = Some(Leg::B);
            if let Some(bye) = self.bye(id, Leg::A) {
                out.extend(self.send_uac(bye, now));
            }
            out.extend(self.close(id, now));
            return out;
        }
        let done = self.calls.get(&id).is_some_and(|c| {
            c.phase == Phase::Ending
                && !c.relaying
                && c.bye_after_close.is_none()
                && c.a.server.is_terminated()
                && c.b.client.state() == ClientState::Terminated
        });
        if done {
            self.calls.remove(&id);
        }
        out
    }

    /// A BYE in `leg`'s dialog, with where it goes.
    fn bye(&mut self, id: u64, leg: Leg) -> Option<(Bytes, (Transport, SocketAddr))> {
        let (bye, target) = self.in_dialog(id, leg, "BYE")?;
        Some((bye.build().raw().clone(), target))
    }

    /// A `method` request in `leg`'s dialog, with its Via and Max-Forwards, and where it goes.
    fn in_dialog(
        &mut self,
        id: u64,
        leg: Leg,
        method: &str,
    ) -> Option<(MessageBuilder, (Transport, SocketAddr))> {
        let call = self.calls.get_mut(&id)?;
        let (dialog, transport, via_addr, dst) = match leg {
            Leg::A => {
                let origin = call.a.origin;
                let dialog = call.a.dialog.as_mut()?;
                let dst = dialog_target(dialog.remote_target(), origin);
                (dialog, origin.transport, origin.via_addr, dst)
            }
            Leg::B => (
                call.b.dialog.as_mut()?,
                call.b.transport,
                call.b.via_addr,
                call.b.dst,
            ),
        };
        let request = dialog
            .request(method)
            .header("Via", &invite_legs::via(transport, via_addr, &new_branch()))
            .header("Max-Forwards", "70");
        Some((request, (transport, dst)))
    }

    fn send_uac(
        &mut self,
        (bytes, target): (Bytes, (Transport, SocketAddr)),
        now: Instant,
    ) -> Vec<Transmit> {
        let branch = Message::parse(bytes.clone())
            .ok()
            .and_then(|m| m.vias().ok()?.first()?.branch().map(str::to_owned))
            .unwrap_or_default();
        self.send_uac_on(branch, bytes, target, now)
    }

    fn send_uac_on(
        &mut self,
        key: String,
        bytes: Bytes,
        (transport, dst): (Transport, SocketAddr),
        now: Instant,
    ) -> Vec<Transmit> {
        if self.uac.len() >= MAX_UAC {
            tracing::warn!("{MAX_UAC} requests of the message center's own are pending");
            return Vec::new();
        }
        let client =
            ClientNonInvite::new(bytes, transport != Transport::Udp, Timers::default(), now);
        let mut uac = Uac {
            client,
            transport,
            dst,
        };
        let out = drain_uac(&mut uac);
        self.uac.insert(key, uac);
        out
    }
}

/// What the relay needs to open one leg's session: the MC's own media on the leg and the peer's.
fn leg_media(own: &MsrpMedia, peer: &MsrpMedia, local: MsrpUri) -> LegMedia {
    let setup = match own.setup {
        Setup::Actpass => anchor::own_setup(peer.setup),
        other => other,
    };
    LegMedia {
        local,
        remote: peer.path.clone(),
        accept_types: own.accept_types.clone(),
        accept_wrapped_types: own.accept_wrapped_types.clone(),
        max_size: own.max_size,
        setup,
        tls: own.tls,
        max_chunk: None,
    }
}

fn is_of_leg_a(call: &Call, ack: &Message) -> bool {
    let same_call = ack.call_id() == call.a.invite.call_id();
    let from_tag = |m: &Message| {
        m.from_header()
            .ok()
            .and_then(|f| f.tag().map(str::to_owned))
    };
    let to_tag = ack
        .to_header()
        .ok()
        .and_then(|t| t.tag().map(str::to_owned));
    same_call && from_tag(ack) == from_tag(&call.a.invite) && to_tag.as_deref() == Some(&call.a.tag)
}

/// Where requests to leg A go: over TLS the caller's connection (as the proxy does), else its
/// Contact's address when it is an IP address, else where the INVITE came from.
fn dialog_target(remote_target: &str, origin: Origin) -> SocketAddr {
    if origin.transport == Transport::Tls {
        return origin.src;
    }
    let uri = rcs_proto::sip::Uri::parse(remote_target).ok();
    let ip = uri.as_ref().and_then(|u| match u.host()? {
        rcs_proto::sip::Host::Ipv4(ip) => Some(std::net::IpAddr::V4(*ip)),
        rcs_proto::sip::Host::Ipv6(ip) => Some(std::net::IpAddr::V6(*ip)),
        rcs_proto::sip::Host::Domain(_) => None,
    });
    match (ip, uri.and_then(|u| u.port())) {
        (Some(ip), Some(port)) => SocketAddr::new(ip, port),
        (Some(ip), None) => SocketAddr::new(ip, 5060),
        _ => origin.src,
    }
}

/// The session expiry A asked for, capped (RFC 4028 4).
fn session_expires(invite: &Message) -> Duration {
    let asked = invite
        .header("Session-Expires")
        .and_then(|v| v.split(';').next())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_SESSION_EXPIRES);
    Duration::from_secs(asked.clamp(90, MAX_SESSION_EXPIRES))
}

/// The RFC 3261 17.2.3 key of a request.
pub fn server_key(request: &Message) -> Option<TransactionKey> {
    let vias = request.vias().ok()?;
    let top = vias.first()?;
    let sent_by = match top.port {
        Some(port) => format!("{}:{port}", top.host),
        None => top.host.to_string(),
    };
    TransactionKey::new(top.branch()?, &sent_by, request.method()?)
}

#[path = "b2bua_update.rs"]
mod update;

fn new_branch() -> String {
    format!("{MAGIC_COOKIE}{}", reply::token(20))
}

fn session_version() -> u64 {
    rand::random::<u32>().into()
}

/// A response to A's INVITE, through its server transaction.
fn answer_a(a: &mut LegAState, status: u16, reason: &str, now: Instant) -> Vec<Transmit> {
    let response = invite_legs::response_to_a(&a.invite, status, reason, &a.tag).build();
    a.server.send_response(response.raw().clone(), status, now);
    drain_a(a)
}

/// The key of the INVITE a CANCEL cancels: the same branch and sent-by (RFC 3261 9.2).
fn invite_key_of(cancel: &Message) -> Option<TransactionKey> {
    let vias = cancel.vias().ok()?;
    let top = vias.first()?;
    let sent_by = match top.port {
        Some(port) => format!("{}:{port}", top.host),
        None => top.host.to_string(),
    };
    TransactionKey::new(top.branch()?, &sent_by, "INVITE")
}

fn drain_a(a: &mut LegAState) -> Vec<Transmit> {
    std::iter::from_fn(|| a.server.poll_transmit())
        .map(|bytes| Transmit {
            bytes,
            transport: a.origin.transport,
            dst: a.origin.src,
            branch: None,
        })
        .collect()
}

fn drain_b(b: &mut LegBState) -> Vec<Transmit> {
    std::iter::from_fn(|| b.client.poll_transmit())
        .map(|bytes| Transmit {
            bytes,
            transport: b.transport,
            dst: b.dst,
            branch: Some(b.branch.clone()),
        })
        .collect()
}

fn transmit_b(b: &LegBState, bytes: Bytes) -> Transmit {
    Transmit {
        bytes,
        transport: b.transport,
        dst: b.dst,
        branch: None,
    }
}

fn drain_uac(uac: &mut Uac) -> Vec<Transmit> {
    std::iter::from_fn(|| uac.client.poll_transmit())
        .map(|bytes| Transmit {
            bytes,
            transport: uac.transport,
            dst: uac.dst,
            branch: None,
        })
        .collect()
}
