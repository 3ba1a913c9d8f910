//! Relaying requests to a registered contact and their responses back (RFC 3261 16.6, 16.7).
//!
//! A relayed request gets the contact as Request-URI (the registrar's retargeting, 16.5), a new
//! Via on top with a fresh `z9hG4bK` branch, Max-Forwards decremented (or 70 if absent),
//! the message center's own Service-Route entry removed from Route, any P-Preferred-Identity or
//! P-Asserted-Identity replaced by the asserted identity (RFC 3325 9.1), and every other header
//! and the body byte-identical. Each relayed request runs a client transaction
//! ([`ClientNonInvite`]) on the case clock, so UDP retransmits and Timer F ends it with `408`. A
//! response whose top Via carries a pending branch is relayed once (retransmitted finals are
//! absorbed) with that Via removed; others are dropped. This module does not fork or record
//! routes.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use rcs_harness::events::Transport;
use rcs_proto::sip::transaction::{
    ClientEvent, ClientNonInvite, ClientState, Timers, TransactionKey,
};
use rcs_proto::sip::{MAGIC_COOKIE, Message, NameAddr};

use super::bindings::Binding;
use super::config::{Fault, Faults};
use super::cpim_rewrite;
use super::options;
use super::registrar::is_own_service_route;
use super::reply;
use super::rewrite::{Draft, split_list};

/// The most requests relayed and not yet answered at once.
pub const MAX_PENDING: usize = 4096;

/// Bytes to send, how, where, and the relayed request they belong to (if one).
#[derive(Clone, Debug)]
pub struct Transmit {
    /// The message.
    pub bytes: Bytes,
    /// UDP or TCP.
    pub transport: Transport,
    /// The destination.
    pub dst: SocketAddr,
    /// The branch of the relayed request these bytes carry, so a transport error can end it.
    pub branch: Option<String>,
}

/// Who asked: where the answer goes and which server transaction it belongs to.
#[derive(Clone, Debug)]
pub struct Upstream {
    /// The transport the request came on.
    pub transport: Transport,
    /// Its source.
    pub src: SocketAddr,
    /// Its server transaction, when it has one.
    pub key: Option<TransactionKey>,
}

/// A relayed request waiting for its answer.
#[derive(Debug)]
struct Pending {
    request: Message,
    upstream: Upstream,
    client: ClientNonInvite,
    transport: Transport,
    dst: SocketAddr,
}

/// A response to pass to the upstream server transaction.
#[derive(Debug)]
pub struct Relayed {
    /// The response bytes to send upstream.
    pub bytes: Bytes,
    /// Its status code.
    pub status: u16,
    /// Where it goes.
    pub upstream: Upstream,
}

/// The relayed requests in flight, by the branch of the Via the proxy added.
#[derive(Debug, Default)]
pub struct Proxy {
    pending: HashMap<String, Pending>,
}

impl Proxy {
    /// Relays `request` to `binding`; returns the first transmission.
    #[allow(clippy::too_many_arguments)]
    pub fn forward(
        &mut self,
        request: &Message,
        binding: &Binding,
        via_addr: SocketAddr,
        identity: Option<&str>,
        faults: &Faults,
        upstream: Upstream,
        now: Instant,
    ) -> Result<Vec<Transmit>, String> {
        self.pending
            .retain(|_, p| p.client.state() != ClientState::Terminated);
        if self.pending.len() >= MAX_PENDING {
            return Err(format!(
                "{MAX_PENDING} relayed requests are already pending"
            ));
        }
        let branch = format!("{MAGIC_COOKIE}{}", reply::token(20));
        let bytes = relayed_request(request, binding, via_addr, &branch, identity, faults);
        let reliable = binding.transport != Transport::Udp;
        let mut client = ClientNonInvite::new(bytes, reliable, Timers::default(), now);
        let dst = next_hop(binding);
        let out = drain(&mut client, binding.transport, dst, &branch);
        let pending = Pending {
            request: request.clone(),
            upstream,
            client,
            transport: binding.transport,
            dst,
        };
        self.pending.insert(branch, pending);
        Ok(out)
    }

    /// Takes a response from downstream: the relayed response, or `None` when it matches no
    /// pending branch or repeats one already relayed.
    pub fn on_response(
        &mut self,
        response: &Message,
        faults: &Faults,
        now: Instant,
    ) -> Option<Relayed> {
        let status = response.status()?;
        let branch = response.vias().ok()?.first()?.branch()?.to_owned();
        let pending = self.pending.get_mut(&branch)?;
        pending.client.handle_response(status, now);
        match pending.client.poll_event() {
            Some(ClientEvent::Provisional(_) | ClientEvent::Final(_)) => {}
            _ => return None,
        }
        let bytes = relayed_response(response, faults);
        Some(Relayed {
            bytes,
            status,
            upstream: pending.upstream.clone(),
        })
    }

    /// The earliest timer of any relayed request.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pending
            .values()
            .filter_map(|p| p.client.poll_timeout())
            .min()
    }

    /// Fires due timers: retransmissions to send, and `408`s for requests that timed out.
    pub fn handle_timeout(&mut self, now: Instant) -> (Vec<Transmit>, Vec<Relayed>) {
        let (mut out, mut timed_out) = (Vec::new(), Vec::new());
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
                timed_out.push(local_answer(pending, 408, "Request Timeout"));
            }
        }
        self.pending
            .retain(|_, p| p.client.state() != ClientState::Terminated);
        (out, timed_out)
    }

    /// The relayed request on `branch` could not be sent: it ends with `480`.
    pub fn transport_error(&mut self, branch: &str) -> Option<Relayed> {
        let pending = self.pending.remove(branch)?;
        Some(local_answer(&pending, 480, "Temporarily Unavailable"))
    }
}

/// The answer the proxy itself gives upstream for a relayed request that got none.
fn local_answer(pending: &Pending, status: u16, reason: &str) -> Relayed {
    let bytes = reply::response(&pending.request, status, reason)
        .build()
        .raw()
        .clone();
    Relayed {
        bytes,
        status,
        upstream: pending.upstream.clone(),
    }
}

/// The requests `client` has ready to send (its first transmission and retransmissions), to
/// `dst` over `transport` on `branch`.
pub(crate) fn drain(
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

/// Where a request to `binding` goes: over TLS, on the connection the terminal registered from
/// (the IMS way: the UE keeps its TLS connection to the P-CSCF open and requests reach it on it,
/// 3GPP TS 24.229 5.2.2; RFC 3261 18.2.2 reuse), so no new handshake is needed; otherwise to
/// the Contact's address.
pub fn next_hop(binding: &Binding) -> SocketAddr {
    match binding.transport {
        Transport::Tls => binding.source,
        Transport::Udp | Transport::Tcp => binding.target,
    }
}

/// The request as relayed to `binding` (RFC 3261 16.6 steps 1-8).
fn relayed_request(
    request: &Message,
    binding: &Binding,
    via_addr: SocketAddr,
    branch: &str,
    identity: Option<&str>,
    faults: &Faults,
) -> Bytes {
    let mut draft = Draft::new(request);
    let method = request.method().unwrap_or("MESSAGE");
    draft.set_start_line(format!("{method} {} SIP/2.0", binding.contact.uri));
    remove_own_route(&mut draft, request);
    let max_forwards = request
        .max_forwards()
        .ok()
        .flatten()
        .map_or(70, |mf| mf.saturating_sub(1));
    match draft.position("Max-Forwards") {
        Some(at) => draft.replace_at(at, &max_forwards.to_string()),
        None => draft.insert(0, "Max-Forwards", "70"),
    }
    let transport = match binding.transport {
        Transport::Udp => "UDP",
        Transport::Tcp => "TCP",
        Transport::Tls => "TLS",
    };
    draft.insert(
        0,
        "Via",
        &format!("SIP/2.0/{transport} {via_addr};branch={branch}"),
    );
    draft.remove("P-Preferred-Identity");
    draft.remove("P-Asserted-Identity");
    if let Some(identity) = identity.filter(|_| !faults.has(Fault::OmitPAssertedIdentity)) {
        draft.insert_before_first_of(
            &["Content-Type", "Content-Length"],
            "P-Asserted-Identity",
            identity,
        );
    }
    if faults.has(Fault::DropConversationId) {
        draft.remove("Conversation-ID");
    }
    if faults.has(Fault::RewriteCpimBody) {
        draft.set_body(cpim_rewrite::reserialised(request.body()));
    }
    draft.build()
}

/// Removes the first Route value when it is the Service-Route this message center handed out
/// (RFC 3261 16.4).
fn remove_own_route(draft: &mut Draft<'_>, request: &Message) {
    let first = request
        .header("Route")
        .and_then(|line| split_list(line).first().copied());
    let is_own = first
        .and_then(|value| NameAddr::parse(value).ok())
        .is_some_and(|route| is_own_service_route(&route.uri));
    if is_own {
        draft.pop_first_value("Route", request);
    }
}

/// The response as relayed upstream: the top Via removed (RFC 3261 16.7 step 3).
fn relayed_response(response: &Message, faults: &Faults) -> Bytes {
    let mut draft = Draft::new(response);
    draft.pop_first_value("Via", response);
    let is_options = response
        .header("CSeq")
        .is_some_and(|cseq| cseq.trim_end().ends_with("OPTIONS"));
    let is_success = response.status().is_some_and(|s| (200..300).contains(&s));
    if faults.has(Fault::StripContactTags) && is_options && is_success {
        options::strip_contact_tags(&mut draft, response);
    }
    draft.build()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use super::*;

    const CPIM: &[u8] = b"From: <sip:a@x>\r\nTo: <sip:b@x>\r\nNS: imdn <urn:ietf:params:imdn>\r\n\
imdn.Message-ID: m1\r\n\r\nContent-Type: text/plain\r\n\r\nhi";

    fn request() -> Message {
        let text = format!(
            "MESSAGE sip:+8613800000002@ims SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKa\r\n\
Max-Forwards: 70\r\n\
Route: <sip:orig@scscf.ims;lr>, <sip:other@x;lr>\r\n\
From: <sip:+8613800000001@ims>;tag=1\r\n\
To: <sip:+8613800000002@ims>\r\n\
Call-ID: c\r\nCSeq: 1 MESSAGE\r\n\
P-Preferred-Identity: <sip:+8613800000001@ims>\r\n\
Conversation-ID: conv\r\nContribution-ID: contrib\r\n\
Content-Type: message/cpim\r\nContent-Length: {}\r\n\r\n",
            CPIM.len()
        );
        Message::parse([text.as_bytes(), CPIM].concat()).unwrap()
    }

    fn binding() -> Binding {
        let contact =
            NameAddr::parse("<sip:+8613800000002@127.0.0.1:5070>;+sip.instance=\"<urn:uuid:2>\"")
                .unwrap();
        Binding::new(
            contact,
            Transport::Udp,
            "127.0.0.1:5070".parse().unwrap(),
            60,
            Instant::now(),
        )
    }

    fn relay(faults: &Faults) -> Message {
        let via: SocketAddr = "127.0.0.1:5060".parse().unwrap();
        let bytes = relayed_request(
            &request(),
            &binding(),
            via,
            "z9hG4bKmc1",
            Some("<sip:+8613800000001@ims>"),
            faults,
        );
        Message::parse(bytes).unwrap()
    }

    #[test]
    fn a_relayed_request_changes_only_what_a_proxy_must() {
        let out = relay(&Faults::default());
        assert_eq!(out.request_uri(), Some("sip:+8613800000002@127.0.0.1:5070"));
        let vias = out.header_values("Via");
        assert_eq!(
            vias,
            [
                "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKmc1",
                "SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKa"
            ]
        );
        assert_eq!(out.header("Max-Forwards"), Some("69"));
        assert_eq!(out.header_all("Route"), ["<sip:other@x;lr>"]);
        assert_eq!(
            out.header("P-Asserted-Identity"),
            Some("<sip:+8613800000001@ims>")
        );
        assert!(out.header("P-Preferred-Identity").is_none());
        assert_eq!(out.header("Conversation-ID"), Some("conv"));
        assert_eq!(out.body(), CPIM);
        assert!(out.validate().is_empty(), "{:?}", out.validate());
    }

    #[test]
    fn faults_change_one_thing_each() {
        let clean = relay(&Faults::default());
        let faulty = |id: &str| relay(&Faults::from_ids(&[id.to_owned()]).unwrap());
        let no_pai = faulty("message-center.omit-p-asserted-identity");
        assert!(no_pai.header("P-Asserted-Identity").is_none());
        assert_eq!(no_pai.body(), clean.body());
        let no_conv = faulty("message-center.drop-conversation-id");
        assert!(no_conv.header("Conversation-ID").is_none());
        assert_eq!(no_conv.header("Contribution-ID"), Some("contrib"));
        let rewritten = faulty("message-center.rewrite-cpim-body");
        assert_ne!(rewritten.body(), clean.body());
        assert_eq!(rewritten.body().len(), clean.body().len());
        let cpim = rcs_proto::cpim::CpimMessage::parse(rewritten.body()).unwrap();
        assert_eq!(cpim.header("From"), Some("<sip:a@x>"));
        assert_eq!(cpim.imdn_message_id(), Some("m1"));
        assert_eq!(cpim.body(), b"hi");
    }

    #[test]
    fn over_tls_the_relay_takes_the_terminals_connection() {
        let contact = NameAddr::parse("<sip:+8613800000002@127.0.0.1:5071;transport=tls>").unwrap();
        let source: SocketAddr = "127.0.0.1:40001".parse().unwrap();
        let at = |transport| Binding::new(contact.clone(), transport, source, 60, Instant::now());
        assert_eq!(next_hop(&at(Transport::Tls)), source);
        assert_eq!(
            next_hop(&at(Transport::Tcp)),
            "127.0.0.1:5071".parse().unwrap()
        );
        let mut proxy = Proxy::default();
        let upstream = Upstream {
            transport: Transport::Tls,
            src: "127.0.0.1:40000".parse().unwrap(),
            key: None,
        };
        let via: SocketAddr = "127.0.0.1:5061".parse().unwrap();
        let sent = proxy
            .forward(
                &request(),
                &at(Transport::Tls),
                via,
                None,
                &Faults::default(),
                upstream,
                Instant::now(),
            )
            .unwrap();
        assert_eq!((sent[0].transport, sent[0].dst), (Transport::Tls, source));
        let relayed = Message::parse(sent[0].bytes.clone()).unwrap();
        assert!(
            relayed
                .header("Via")
                .unwrap()
                .starts_with("SIP/2.0/TLS 127.0.0.1:5061;")
        );
    }

    #[test]
    fn responses_are_relayed_once_and_timeouts_answer_408() {
        let now = Instant::now();
        let mut proxy = Proxy::default();
        let upstream = Upstream {
            transport: Transport::Udp,
            src: "127.0.0.1:40000".parse().unwrap(),
            key: None,
        };
        let via: SocketAddr = "127.0.0.1:5060".parse().unwrap();
        let faults = Faults::default();
        let sent = proxy
            .forward(
                &request(),
                &binding(),
                via,
                None,
                &faults,
                upstream.clone(),
                now,
            )
            .unwrap();
        assert_eq!(sent.len(), 1);
        let forwarded = Message::parse(sent[0].bytes.clone()).unwrap();
        let answer = reply::response(&forwarded, 200, "OK").build();
        let relayed = proxy.on_response(&answer, &faults, now).unwrap();
        assert_eq!(relayed.status, 200);
        let up = Message::parse(relayed.bytes).unwrap();
        assert_eq!(
            up.header_values("Via"),
            ["SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKa"]
        );
        assert!(
            proxy.on_response(&answer, &faults, now).is_none(),
            "a retransmitted final is absorbed"
        );

        proxy
            .forward(&request(), &binding(), via, None, &faults, upstream, now)
            .unwrap();
        let (retransmits, timed_out) = proxy.handle_timeout(now + Duration::from_millis(500));
        assert_eq!((retransmits.len(), timed_out.len()), (1, 0));
        let (_, timed_out) = proxy.handle_timeout(now + Duration::from_secs(33));
        assert_eq!(timed_out.len(), 1);
        assert_eq!(timed_out[0].status, 408);
    }
}
