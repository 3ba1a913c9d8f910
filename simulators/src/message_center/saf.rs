//! Store-and-forward and revoke: what the message center does with a CPM MESSAGE for an RCS
//! user who is offline, with a revoke request, and with the user's next registration
//! (protocols.md §4.8, §4.9; RFC 3428; RFC 5438 7.2.1.1).
//!
//! A CPIM MESSAGE to a provisioned RCS user without a binding is stored (see `store`) and
//! answered `202 Accepted`; when the store is full, or store-and-forward is off, `480`. Each
//! time anything may have changed (a REGISTER, a delivery ending, a message stored), every user
//! who is online and has messages waiting gets the next one, one at a time, oldest first (see
//! `deferred`); a 2xx removes it, anything else leaves it for the next registration. A message
//! past its retention is purged, and when its CPIM asked for `negative-delivery` the sender is
//! sent a `failed` delivery-notification from the recipient. A revoke (CPIM content
//! `application/vnd.gsma.rcsrevoke+xml`) from the original sender removes the message while it
//! is still stored; the request gets `200` and the sender a revoke result (`saf_notify`); a
//! message no longer stored gets a failure result and the recipient is not contacted.
//! A revoke arriving over the trunk from the chatbot platform (`from_trunk`) may withdraw what
//! that chatbot sent, the chatbot named by the request's P-Asserted-Identity, else its From;
//! the platform is a server, not a client, so its verdict is the final response itself: `200`
//! when the copy was withdrawn, `404` (with a `Warning`) when there is none to withdraw. A
//! revoke from anyone else who is not a registered subscriber gets `403`.
//! Notifications to the sender take the same store and delivery path, so an offline sender
//! gets them at registration. OPTIONS is not affected.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rcs_harness::events::Transport;
use rcs_harness::role::Subscriber;
use rcs_proto::cpim::CpimMessage;
use rcs_proto::revoke::{REVOKE_CONTENT_TYPE, Revoke};
use rcs_proto::sip::{Message, NameAddr, Uri};

use super::bindings::Bindings;
use super::config::{Config, Fault, Faults};
use super::deferred::{DEFERRED_ICSI, Deliveries, Ended, KEPT_HEADERS};
use super::directory::Directory;
use super::proxy::Transmit;
use super::reply;
use super::saf_notify;
use super::saf_settings::{self, RevokeResult};
use super::store::{Store, Stored};

/// The pager ICSI, URL-encoded, for the notifications the message center sends.
const CPM_MSG_ICSI: &str = "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg";

/// What the rest of the message center lends to store-and-forward for one call.
#[derive(Clone, Copy, Debug)]
pub struct Net<'a> {
    /// The provisioned subscribers.
    pub directory: &'a Directory,
    /// Who is registered where.
    pub bindings: &'a Bindings,
    /// The Via address over UDP and TCP.
    pub via_addr: SocketAddr,
    /// The Via address over TLS.
    pub via_tls: Option<SocketAddr>,
}

/// The store-and-forward state of a message center.
#[derive(Debug)]
pub struct Saf {
    store: Store,
    deliveries: Deliveries,
    enabled: bool,
    retention: Duration,
    revoke_ns: String,
    revoke_result: RevokeResult,
    faults: Faults,
    /// Bills each stored chat message on its fate (`cdr_p2p_deferred`, protocols.md §10.3).
    billing: super::cdr_p2p::P2pCdrs,
}

impl Saf {
    /// Store-and-forward as `config` sets it (its settings were checked at start).
    pub fn new(config: &Config) -> Self {
        let settings = &config.settings;
        Self {
            store: Store::default(),
            deliveries: Deliveries::default(),
            enabled: settings.store_and_forward,
            retention: saf_settings::retention(settings).unwrap_or(Duration::from_secs(7 * 86_400)),
            revoke_ns: settings.revoke_namespace.clone(),
            revoke_result: saf_settings::revoke_result(settings).unwrap_or(RevokeResult::RevokeXml),
            faults: config.faults.clone(),
            billing: super::cdr_p2p::P2pCdrs::default(),
        }
    }

    /// A CPM MESSAGE for `recipient`, an RCS user with no binding: the response, and the
    /// deliveries it lets start.
    pub fn on_offline(
        &mut self,
        request: &Message,
        recipient: &Subscriber,
        identity: Option<String>,
        net: Net<'_>,
        now: Instant,
    ) -> (Message, Vec<Transmit>) {
        if self.faults.has(Fault::Saf404Offline) {
            return (
                reply::response(request, 404, "Not Found").build(),
                Vec::new(),
            );
        }
        if !self.enabled {
            return (unavailable(request), Vec::new());
        }
        let Some(message) = self.stored(request, recipient, identity, net, now) else {
            return (unavailable(request), Vec::new());
        };
        match self.store.push(message) {
            Ok(seq) => {
                tracing::info!(user = %recipient.msisdn, seq, "message stored");
                let accepted = reply::response(request, 202, "Accepted").build();
                (accepted, self.deliver(net, now))
            }
            Err(full) => {
                tracing::warn!(user = %recipient.msisdn, "message not stored: {}", full.0);
                (unavailable(request), Vec::new())
            }
        }
    }

    /// The stored form of `request`.
    fn stored(
        &self,
        request: &Message,
        recipient: &Subscriber,
        identity: Option<String>,
        net: Net<'_>,
        now: Instant,
    ) -> Option<Stored> {
        let from = request.from_header().ok()?;
        let sender = net.directory.by_uri(&from.uri).map(|s| s.msisdn.clone());
        let cpim = CpimMessage::parse(request.body()).ok();
        let deferred = format!("*;+g.3gpp.icsi-ref=\"{DEFERRED_ICSI}\"");
        let mut headers = vec![("Accept-Contact".to_owned(), deferred)];
        headers.extend(KEPT_HEADERS.iter().flat_map(|name| {
            request
                .header_all(name)
                .into_iter()
                .map(|value| ((*name).to_owned(), value.to_owned()))
        }));
        Some(Stored {
            seq: 0,
            recipient: recipient.msisdn.clone(),
            sender,
            from: format!("<{}>", from.uri),
            to: format!("<{}>", recipient.sip_uri()),
            identity,
            headers,
            content_type: request.header("Content-Type")?.to_owned(),
            body: Bytes::copy_from_slice(request.body()),
            imdn_id: cpim
                .as_ref()
                .and_then(|c| c.imdn_message_id().map(str::to_owned)),
            negative: cpim.is_some_and(|c| {
                c.disposition_notification()
                    .iter()
                    .any(|d| d == "negative-delivery")
            }),
            expires_at: now + self.retention,
            in_flight: false,
        })
    }

    /// Withdraws the message `imdn_id` stored for `user` and not in flight, for SMS fallback
    /// (protocols.md §9.2); whether it was there. With `keep` (a fault) it stays stored.
    pub fn withdraw(&mut self, user: &str, imdn_id: &str, keep: bool) -> bool {
        let Some(message) = self.store.revoke(user, imdn_id, |_| true) else {
            return false;
        };
        if keep && let Err(full) = self.store.push(message) {
            tracing::warn!(%user, "message not stored again: {}", full.0);
        }
        true
    }

    /// A revoke request, or `None` when `request` is not one (protocols.md §4.9);
    /// `from_trunk` when it came from the chatbot platform.
    pub fn on_revoke(
        &mut self,
        request: &Message,
        from_trunk: bool,
        net: Net<'_>,
        now: Instant,
    ) -> Option<(Message, Vec<Transmit>)> {
        let cpim = CpimMessage::parse(request.body()).ok()?;
        let is_revoke = cpim
            .content_type()
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|ct| ct.trim().eq_ignore_ascii_case(REVOKE_CONTENT_TYPE));
        if !is_revoke {
            return None;
        }
        let bad = |detail: String| reply::bad_request(request, "mc", REVOKE_CONTENT_TYPE, &detail);
        let revoke = match cpim
            .decoded_body()
            .map(|xml| Revoke::parse_in(&xml, &self.revoke_ns))
        {
            Ok(Ok(revoke)) => revoke,
            Ok(Err(err)) => return Some((bad(format!("failed to {err}")), Vec::new())),
            Err(err) => return Some((bad(format!("failed to {err}")), Vec::new())),
        };
        let target = request
            .request_uri()
            .and_then(|uri| Uri::parse(uri).ok())
            .and_then(|uri| net.directory.by_uri(&uri).cloned());
        if from_trunk {
            return Some((
                self.trunk_revoke(request, target, &revoke.message_id),
                Vec::new(),
            ));
        }
        let sender = request
            .from_header()
            .ok()
            .and_then(|from| net.directory.by_uri(&from.uri).cloned())
            .filter(|s| net.bindings.best(&s.msisdn, now).is_some());
        let (Some(target), Some(sender)) = (target, sender) else {
            let response = reply::response(request, 403, "Forbidden").build();
            return Some((response, Vec::new()));
        };
        let owner = sender.msisdn.clone();
        let success = self.revoke(&target, &revoke.message_id, |m| {
            m.sender.as_deref() == Some(owner.as_str())
        });
        tracing::info!(user = %target.msisdn, id = %revoke.message_id, success, "revoke");
        let body = saf_notify::revoke_result(
            self.revoke_result,
            &self.revoke_ns,
            &revoke.message_id,
            success,
            &saf_notify::new_message_id(),
            now,
        );
        self.notify(&sender, &target, request, body, now);
        let out = self.deliver(net, now);
        Some((reply::response(request, 200, "OK").build(), out))
    }

    /// A revoke from the chatbot platform's trunk: the verdict as the response.
    fn trunk_revoke(&mut self, request: &Message, target: Option<Subscriber>, id: &str) -> Message {
        let Some(chatbot) = revoker(request) else {
            return reply::response(request, 403, "Forbidden").build();
        };
        let success = target
            .as_ref()
            .is_some_and(|target| self.revoke(target, id, |m| sent_by(m, &chatbot)));
        tracing::info!(%chatbot, id, success, "revoke from the trunk");
        match success {
            true => reply::response(request, 200, "OK").build(),
            false => reply::response(request, 404, "Not Found")
                .header(
                    "Warning",
                    &reply::warning("mc", &format!("no message {id} of {chatbot} is stored")),
                )
                .build(),
        }
    }

    /// Withdraws the message `id` stored for `target` that `owned` says the revoker sent;
    /// whether that succeeded.
    fn revoke(&mut self, target: &Subscriber, id: &str, owned: impl Fn(&Stored) -> bool) -> bool {
        if self.faults.has(Fault::RevokeIgnored) {
            return self.store.count(&target.msisdn) > 0;
        }
        let removed = self.store.revoke(&target.msisdn, id, owned);
        removed.is_some() || self.faults.has(Fault::RevokeAfterDeliverySucceeds)
    }

    /// Queues a notification `body` from `about` to `to`, in the conversation of `original`
    /// (deliveries start separately).
    fn notify(
        &mut self,
        to: &Subscriber,
        about: &Subscriber,
        original: &Message,
        body: Vec<u8>,
        now: Instant,
    ) {
        let mut headers = vec![(
            "Accept-Contact".to_owned(),
            format!("*;+g.3gpp.icsi-ref=\"{CPM_MSG_ICSI}\""),
        )];
        for name in ["Conversation-ID", "Contribution-ID"] {
            if let Some(value) = original.header(name) {
                headers.push((name.to_owned(), value.to_owned()));
            }
        }
        self.push_notification(to, about, headers, body, now);
    }

    fn push_notification(
        &mut self,
        to: &Subscriber,
        about: &Subscriber,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        now: Instant,
    ) {
        let identity = format!("<{}>", about.sip_uri());
        let notification = Stored {
            seq: 0,
            recipient: to.msisdn.clone(),
            sender: None,
            from: identity.clone(),
            to: format!("<{}>", to.sip_uri()),
            identity: Some(identity),
            headers,
            content_type: "message/cpim".to_owned(),
            body: Bytes::from(body),
            imdn_id: None,
            negative: false,
            expires_at: now + self.retention,
            in_flight: false,
        };
        if let Err(full) = self.store.push(notification) {
            tracing::warn!(user = %to.msisdn, "notification dropped: {}", full.0);
        }
    }

    /// Bills deliveries and expiries in `cdrs` (shared with the billing export).
    pub fn bill_with(&mut self, cdrs: super::cdr_p2p::P2pCdrs) {
        self.billing = cdrs;
    }

    /// Starts the next delivery of every online user with messages waiting.
    pub fn deliver(&mut self, net: Net<'_>, now: Instant) -> Vec<Transmit> {
        let mut out = Vec::new();
        for user in self.store.waiting() {
            let Some(binding) = net.bindings.best(&user, now) else {
                continue;
            };
            let newest_first = self.faults.has(Fault::SafOutOfOrder);
            let Some(message) = self.store.take_next(&user, newest_first) else {
                continue;
            };
            let via = match binding.transport {
                Transport::Tls => net.via_tls.unwrap_or(net.via_addr),
                Transport::Udp | Transport::Tcp => net.via_addr,
            };
            let datetime = self
                .faults
                .has(Fault::SafRewritesCpim)
                .then(|| saf_notify::date_time(now));
            match self
                .deliveries
                .start(&message, binding, via, datetime.as_deref(), now)
            {
                Some(sent) => out.extend(sent),
                None => {
                    self.store.finish(&user, message.seq, false);
                }
            }
        }
        out
    }

    /// A response: `None` when it answers no delivery.
    pub fn on_response(
        &mut self,
        response: &Message,
        net: Net<'_>,
        now: Instant,
    ) -> Option<Vec<Transmit>> {
        let ended = self.deliveries.on_response(response, now)?;
        Some(match ended {
            Some(ended) => self.ended(ended, net, now),
            None => Vec::new(),
        })
    }

    /// A delivery could not be sent: `None` when `branch` is not one.
    pub fn transport_error(
        &mut self,
        branch: &str,
        net: Net<'_>,
        now: Instant,
    ) -> Option<Vec<Transmit>> {
        let ended = self.deliveries.transport_error(branch)?;
        Some(self.ended(ended, net, now))
    }

    fn ended(&mut self, ended: Ended, net: Net<'_>, now: Instant) -> Vec<Transmit> {
        tracing::info!(user = %ended.user, seq = ended.seq, delivered = ended.delivered, "deferred delivery ended");
        let finished = self.store.finish(&ended.user, ended.seq, ended.delivered);
        if let Some(message) = finished.filter(|_| ended.delivered) {
            self.billing.deferred_delivered(&message);
        }
        match ended.delivered {
            true => self.deliver(net, now),
            // Kept for the next registration: retrying now would loop on a refusing terminal.
            false => Vec::new(),
        }
    }

    /// The earliest expiry or delivery timer.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [self.store.poll_timeout(), self.deliveries.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Fires due timers: delivery retransmissions and timeouts, and expiry.
    pub fn handle_timeout(&mut self, net: Net<'_>, now: Instant) -> Vec<Transmit> {
        let (mut out, ended) = self.deliveries.handle_timeout(now);
        for ended in ended {
            self.store.finish(&ended.user, ended.seq, false);
        }
        for expired in self.store.expire(now) {
            tracing::info!(user = %expired.recipient, seq = expired.seq, "stored message expired");
            self.billing.deferred_expired(&expired);
            self.on_expired(&expired, net, now);
        }
        out.extend(self.deliver(net, now));
        out
    }

    /// Sends the `failed` notification of an expired message, when its sender asked for one.
    fn on_expired(&mut self, expired: &Stored, net: Net<'_>, now: Instant) {
        if !expired.negative || self.faults.has(Fault::SafNoExpiryImdn) {
            return;
        }
        let (Some(id), Some(sender)) = (&expired.imdn_id, &expired.sender) else {
            return;
        };
        let (Some(to), Some(about)) = (
            net.directory.by_number(sender).cloned(),
            net.directory.by_number(&expired.recipient).cloned(),
        ) else {
            return;
        };
        let body = saf_notify::expiry_imdn(id, &saf_notify::new_message_id(), now);
        let mut headers = vec![(
            "Accept-Contact".to_owned(),
            format!("*;+g.3gpp.icsi-ref=\"{CPM_MSG_ICSI}\""),
        )];
        headers.extend(
            expired
                .headers
                .iter()
                .filter(|(n, _)| n == "Conversation-ID" || n == "Contribution-ID")
                .cloned(),
        );
        self.push_notification(&to, &about, headers, body, now);
    }
}

/// Whether the first of `out` is a 2xx response: a REGISTER that made or kept a binding.
pub fn is_success(out: &[Transmit]) -> bool {
    out.first()
        .and_then(|t| Message::parse(t.bytes.clone()).ok())
        .and_then(|m| m.status())
        .is_some_and(|s| (200..300).contains(&s))
}

/// The chatbot asking for a revoke over the trunk: its P-Asserted-Identity (the trunk is
/// trusted), else its From, as `user@host`.
fn revoker(request: &Message) -> Option<String> {
    let asserted = request
        .header("P-Asserted-Identity")
        .and_then(|value| NameAddr::parse(value.trim()).ok())
        .map(|identity| identity.uri);
    let uri = match asserted {
        Some(uri) => uri,
        None => request.from_header().ok()?.uri,
    };
    uri_key(&uri)
}

/// Whether the chatbot `chatbot` (`user@host`) sent `stored`: its asserted identity, else its
/// From, names it.
fn sent_by(stored: &Stored, chatbot: &str) -> bool {
    let identity = stored.identity.as_deref().unwrap_or(&stored.from);
    NameAddr::parse(identity.trim())
        .ok()
        .and_then(|identity| uri_key(&identity.uri))
        .is_some_and(|key| key == chatbot)
}

/// `user@host` of a SIP URI, the host in lower case; None for other URIs.
fn uri_key(uri: &Uri) -> Option<String> {
    let (Some(user), Some(host)) = (uri.user(), uri.host()) else {
        return None;
    };
    Some(format!("{user}@{}", host.to_string().to_ascii_lowercase()))
}

fn unavailable(request: &Message) -> Message {
    reply::response(request, 480, "Temporarily Unavailable").build()
}
