//! The reg event package notifier (RFC 3680 4; RFC 6665; protocols.md §2.5 rule 4; PLT-REG-005).
//!
//! A SUBSCRIBE with `Event: reg` to a subscriber's address of record is accepted only from that
//! subscriber while registered (its From names the AOR's subscriber, who has a live binding from
//! the same address and transport); otherwise `403` (RFC 3680 4.6). Accepted, it gets `200`
//! with the granted `Expires` (at most `max-expires`; 3761 s when it asks for none, RFC 3680
//! 4.4) and a dialog ([`Dialog::as_uas`]); a NOTIFY with the full state (version 0) follows
//! (RFC 6665 4.2.1.2). A SUBSCRIBE in the dialog refreshes it (`200`, a full NOTIFY) or, with
//! `Expires: 0`, ends it (`200`, a last NOTIFY `terminated`).
//!
//! After every change of the registration (a REGISTER, a contact expiring, a network-initiated
//! de-registration) each subscription watching it gets a NOTIFY with the next version (see
//! `reg_state`). When no contact is left the NOTIFY says `Subscription-State:
//! terminated;reason=noresource` and the subscription ends (RFC 3680 4.7), unless the
//! `no-terminated-notify` fault drops that NOTIFY. A subscription that runs out gets a last NOTIFY
//! with `reason=timeout`. Each NOTIFY runs a client transaction on the case clock to the address
//! the SUBSCRIBE came from; an error response (481 and the like) or a transport error ends the
//! subscription (RFC 6665 4.2.2), a timeout does not (a virtual-time jump can outrun the answer).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rcs_harness::events::Transport;
use rcs_proto::reginfo::REGINFO_CONTENT_TYPE;
use rcs_proto::sip::transaction::{ClientNonInvite, ClientState, Timers};
use rcs_proto::sip::{Dialog, MAGIC_COOKIE, Message};

use super::bindings::Bindings;
use super::config::{Config, Fault};
use super::directory::Directory;
use super::proxy::Transmit;
use super::reg_state::{Ending, Watched};
use super::reply;

/// The subscription duration when the SUBSCRIBE asks for none (RFC 3680 4.4).
const DEFAULT_SUBSCRIPTION: u32 = 3761;

/// The most subscriptions kept at once; beyond it new ones get 503.
const MAX_SUBSCRIPTIONS: usize = 1024;

/// Where a SUBSCRIBE came from and where the message center's NOTIFYs leave from.
#[derive(Clone, Copy, Debug)]
pub struct Origin {
    pub transport: Transport,
    pub src: SocketAddr,
    /// The address in the Via of NOTIFYs.
    pub via_addr: SocketAddr,
}

/// One subscription to a registration.
#[derive(Debug)]
struct Subscription {
    dialog: Dialog,
    number: String,
    origin: Origin,
    expires_at: Instant,
    watched: Watched,
}

/// A NOTIFY waiting for its response.
#[derive(Debug)]
struct Pending {
    client: ClientNonInvite,
    key: String,
    transport: Transport,
    dst: SocketAddr,
}

/// Every reg-event subscription of the message center, by Call-ID and local tag.
#[derive(Debug, Default)]
pub struct RegEvents {
    subscriptions: HashMap<String, Subscription>,
    pending: HashMap<String, Pending>,
}

/// Whether a request belongs to the reg event package (`Event: reg`, RFC 3680 4.1).
pub fn is_reg_event(request: &Message) -> bool {
    request.header("Event").is_some_and(|event| {
        let package = event.split(';').next().unwrap_or_default().trim();
        package.eq_ignore_ascii_case("reg")
    })
}

impl RegEvents {
    /// Answers a SUBSCRIBE for the reg event: the response, then the NOTIFY it triggers.
    pub fn on_subscribe(
        &mut self,
        request: &Message,
        origin: Origin,
        (directory, bindings): (&Directory, &Bindings),
        config: &Config,
        now: Instant,
    ) -> (Message, Vec<Transmit>) {
        let respond = |status, reason| (reply::response(request, status, reason).build(), vec![]);
        let requested = match request.expires() {
            Ok(expires) => expires.unwrap_or(DEFAULT_SUBSCRIPTION),
            Err(_) => return respond(400, "Bad Request"),
        };
        let in_dialog = request.to_header().is_ok_and(|to| to.tag().is_some());
        if in_dialog {
            return self.on_refresh(request, requested, bindings, config, now);
        }
        if let Some(accept) = request.header("Accept")
            && !accept.to_ascii_lowercase().contains(REGINFO_CONTENT_TYPE)
        {
            return respond(406, "Not Acceptable");
        }
        let Some(number) = authorized(request, origin, directory, bindings, now) else {
            tracing::info!(src = %origin.src, "reg SUBSCRIBE refused: not the registered owner");
            return respond(403, "Forbidden");
        };
        if self.subscriptions.len() >= MAX_SUBSCRIPTIONS {
            return respond(503, "Service Unavailable");
        }
        let local_tag = reply::token(8);
        let contact = format!("<sip:mc@{}>", origin.via_addr);
        let dialog = match Dialog::as_uas(request, &local_tag, &contact) {
            Ok(dialog) => dialog,
            Err(err) => {
                let detail = format!("failed to {err}");
                let realm = &config.settings.realm;
                return (
                    reply::bad_request(request, realm, "Contact", &detail),
                    vec![],
                );
            }
        };
        let granted = requested.min(config.settings.max_expires);
        let aor = request.request_uri().unwrap_or_default();
        let aor = directory
            .by_number(&number)
            .map_or_else(|| aor.to_owned(), |s| s.sip_uri());
        let frozen = config.faults.has(Fault::RegNotifyNoVersionIncrease);
        let key = key_of(&dialog);
        let subscription = Subscription {
            dialog,
            number,
            origin,
            expires_at: now + Duration::from_secs(u64::from(granted)),
            watched: Watched::new(&aor, frozen),
        };
        self.subscriptions.insert(key.clone(), subscription);
        let ok = ok(request, &local_tag, &contact, granted);
        let notify = self.notify(&key, bindings, Ending::Unregistered, true, config, now);
        (ok, notify)
    }

    /// A SUBSCRIBE within a subscription: refresh, or end it with `Expires: 0`.
    fn on_refresh(
        &mut self,
        request: &Message,
        requested: u32,
        bindings: &Bindings,
        config: &Config,
        now: Instant,
    ) -> (Message, Vec<Transmit>) {
        let found = self
            .subscriptions
            .iter_mut()
            .find(|(_, s)| s.dialog.matches(request));
        let Some((key, subscription)) = found else {
            let gone = reply::response(request, 481, "Subscription Does Not Exist").build();
            return (gone, vec![]);
        };
        if !subscription.dialog.handle_request(request) {
            return (
                reply::response(request, 500, "Server Internal Error").build(),
                vec![],
            );
        }
        let key = key.clone();
        let granted = requested.min(config.settings.max_expires);
        subscription.expires_at = now + Duration::from_secs(u64::from(granted));
        let tag = subscription.dialog.id().local_tag.clone();
        let contact = subscription.dialog.local_contact().to_owned();
        let ok = ok(request, &tag, &contact, granted);
        let notify = match granted {
            0 => self.terminate(&key, "terminated", bindings, now),
            _ => self.notify(&key, bindings, Ending::Unregistered, true, config, now),
        };
        (ok, notify)
    }

    /// NOTIFYs for every subscription to `number` after its bindings changed.
    pub fn changed(
        &mut self,
        number: &str,
        ending: Ending,
        bindings: &Bindings,
        config: &Config,
        now: Instant,
    ) -> Vec<Transmit> {
        let keys: Vec<String> = self
            .subscriptions
            .iter()
            .filter(|(_, s)| s.number == number)
            .map(|(k, _)| k.clone())
            .collect();
        keys.iter()
            .flat_map(|key| self.notify(key, bindings, ending, false, config, now))
            .collect()
    }

    /// The NOTIFY of one subscription, if its registration changed (or `force`); the last one
    /// when no contact is left.
    fn notify(
        &mut self,
        key: &str,
        bindings: &Bindings,
        ending: Ending,
        force: bool,
        config: &Config,
        now: Instant,
    ) -> Vec<Transmit> {
        let Some(subscription) = self.subscriptions.get_mut(key) else {
            return Vec::new();
        };
        let live = bindings.live(&subscription.number, now);
        let Some(document) = subscription.watched.document(&live, ending, force, now) else {
            return Vec::new();
        };
        if live.is_empty() {
            if config.faults.has(Fault::NoTerminatedNotify) {
                self.subscriptions.remove(key);
                return Vec::new();
            }
            let body = document.to_xml();
            let out = self.send(key, "terminated;reason=noresource", &body, now);
            self.subscriptions.remove(key);
            return out;
        }
        let left = subscription
            .expires_at
            .saturating_duration_since(now)
            .as_secs();
        let state = format!("active;expires={left}");
        self.send(key, &state, &document.to_xml(), now)
    }

    /// The last NOTIFY of a subscription, which then ends.
    fn terminate(
        &mut self,
        key: &str,
        state: &str,
        bindings: &Bindings,
        now: Instant,
    ) -> Vec<Transmit> {
        let Some(subscription) = self.subscriptions.get_mut(key) else {
            return Vec::new();
        };
        let live = bindings.live(&subscription.number, now);
        let document = subscription
            .watched
            .document(&live, Ending::Unregistered, true, now);
        let body = document.map(|d| d.to_xml()).unwrap_or_default();
        let out = self.send(key, state, &body, now);
        self.subscriptions.remove(key);
        out
    }

    /// Sends one NOTIFY of the subscription `key` through a new client transaction.
    fn send(&mut self, key: &str, state: &str, body: &str, now: Instant) -> Vec<Transmit> {
        let Some(subscription) = self.subscriptions.get_mut(key) else {
            return Vec::new();
        };
        let origin = subscription.origin;
        let branch = format!("{MAGIC_COOKIE}{}", reply::token(16));
        let contact = subscription.dialog.local_contact().to_owned();
        let notify = subscription
            .dialog
            .request("NOTIFY")
            .header("Via", &via(origin.transport, origin.via_addr, &branch))
            .header("Max-Forwards", "70")
            .header("Contact", &contact)
            .header("Event", "reg")
            .header("Subscription-State", state)
            .body(REGINFO_CONTENT_TYPE, body.as_bytes().to_vec())
            .build();
        let reliable = origin.transport != Transport::Udp;
        let mut client =
            ClientNonInvite::new(notify.raw().clone(), reliable, Timers::default(), now);
        let out = drain(&mut client, &origin, &branch);
        let pending = Pending {
            client,
            key: key.to_owned(),
            transport: origin.transport,
            dst: origin.src,
        };
        self.pending.insert(branch, pending);
        out
    }

    /// Takes a response to a NOTIFY; false when it belongs to none.
    pub fn on_response(&mut self, response: &Message, now: Instant) -> bool {
        let Some(branch) = top_branch(response) else {
            return false;
        };
        let Some(pending) = self.pending.get_mut(&branch) else {
            return false;
        };
        let status = response.status().unwrap_or_default();
        pending.client.handle_response(status, now);
        if matches!(status, 481 | 408) || (status >= 300 && status != 401 && status != 407) {
            let key = pending.key.clone();
            tracing::info!(status, "reg NOTIFY refused: the subscription ends");
            self.subscriptions.remove(&key);
        }
        true
    }

    /// A NOTIFY could not be sent: its subscription ends.
    pub fn transport_error(&mut self, branch: &str) -> bool {
        let Some(pending) = self.pending.remove(branch) else {
            return false;
        };
        self.subscriptions.remove(&pending.key);
        true
    }

    /// The earliest timer: a NOTIFY retransmission or timeout, a subscription running out, a
    /// contact expiring.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let clients = self
            .pending
            .values()
            .filter_map(|p| p.client.poll_timeout());
        let subscriptions = self
            .subscriptions
            .values()
            .flat_map(|s| [Some(s.expires_at), s.watched.next_expiry()])
            .flatten();
        clients.chain(subscriptions).min()
    }

    /// Fires what is due at `now`.
    pub fn handle_timeout(
        &mut self,
        bindings: &Bindings,
        config: &Config,
        now: Instant,
    ) -> Vec<Transmit> {
        let mut out = Vec::new();
        let mut dead = Vec::new();
        for (branch, pending) in &mut self.pending {
            pending.client.handle_timeout(now);
            while let Some(bytes) = pending.client.poll_transmit() {
                let (transport, dst) = (pending.transport, pending.dst);
                let branch = Some(branch.clone());
                out.push(Transmit {
                    bytes,
                    transport,
                    dst,
                    branch,
                });
            }
            if pending.client.state() == ClientState::Terminated {
                dead.push(branch.clone());
            }
        }
        for branch in dead {
            // A NOTIFY that timed out does not end its subscription (RFC 6665 4.2.2 says
            // SHOULD): on virtual time a jump can pass Timer F before the answer is read.
            if self.pending.remove(&branch).is_some() {
                tracing::debug!(%branch, "reg NOTIFY transaction over");
            }
        }
        let keys: Vec<String> = self.subscriptions.keys().cloned().collect();
        for key in keys {
            let Some(subscription) = self.subscriptions.get(&key) else {
                continue;
            };
            if subscription.expires_at <= now {
                out.extend(self.terminate(&key, "terminated;reason=timeout", bindings, now));
            } else if subscription.watched.expiry_due(now) {
                out.extend(self.notify(&key, bindings, Ending::Unregistered, false, config, now));
            }
        }
        out
    }
}

/// The number of the AOR when the SUBSCRIBE comes from its registered owner (RFC 3680 4.6).
fn authorized(
    request: &Message,
    origin: Origin,
    directory: &Directory,
    bindings: &Bindings,
    now: Instant,
) -> Option<String> {
    let target = rcs_proto::sip::Uri::parse(request.request_uri()?).ok()?;
    let owner = directory.by_uri(&target)?;
    let from = request.from_header().ok()?;
    let sender = directory.by_uri(&from.uri)?;
    if sender.msisdn != owner.msisdn {
        return None;
    }
    let registered_here = bindings
        .live(&owner.msisdn, now)
        .into_iter()
        .any(|b| b.transport == origin.transport && b.source.ip() == origin.src.ip());
    registered_here.then(|| owner.msisdn.clone())
}

/// The 200 to a SUBSCRIBE: our tag, our Contact, the granted Expires (RFC 6665 4.2.1.1).
fn ok(request: &Message, tag: &str, contact: &str, granted: u32) -> Message {
    rcs_proto::sip::MessageBuilder::response_to(request, 200, "OK")
        .to_tag(tag)
        .header("Contact", contact)
        .header("Expires", &granted.to_string())
        .build()
}

fn key_of(dialog: &Dialog) -> String {
    format!("{}|{}", dialog.id().call_id, dialog.id().local_tag)
}

fn via(transport: Transport, addr: SocketAddr, branch: &str) -> String {
    let name = match transport {
        Transport::Udp => "UDP",
        Transport::Tcp => "TCP",
        Transport::Tls => "TLS",
    };
    format!("SIP/2.0/{name} {addr};branch={branch}")
}

fn top_branch(response: &Message) -> Option<String> {
    let vias = response.vias().ok()?;
    vias.first()?.branch().map(str::to_owned)
}

fn drain(client: &mut ClientNonInvite, origin: &Origin, branch: &str) -> Vec<Transmit> {
    std::iter::from_fn(|| client.poll_transmit())
        .map(|bytes| Transmit {
            bytes,
            transport: origin.transport,
            dst: origin.src,
            branch: Some(branch.to_owned()),
        })
        .collect()
}
