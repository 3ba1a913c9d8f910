//! Deferred delivery: the MESSAGEs the message center itself sends to a registered user from its
//! store, each through a client transaction on the case clock (protocols.md §4.8; RFC 3428;
//! RFC 3261 17.1.2).
//!
//! A re-delivered MESSAGE is a new request of the message center (a new Call-ID, its own Via
//! only), addressed to the user's binding. It carries the original sender as From and
//! P-Asserted-Identity (RFC 3325 9.1), the original Accept-Contact, Conversation-ID,
//! Contribution-ID and InReplyTo-Contribution-ID (preceded by an Accept-Contact with the
//! `oma.cpm.deferred` ICSI that marks deferred delivery, protocols.md §4.8, which `saf` puts
//! among the stored headers of a user's message), and the original body byte-identical: the CPIM From, DateTime and `imdn.Message-ID` are the sender's. The
//! outcome of each delivery (2xx, other final, timeout, transport error) is reported as
//! [`Ended`]; what to do with it is `saf`'s decision. This module does not store anything.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use rcs_harness::events::Transport;
use rcs_proto::cpim::CpimMessage;
use rcs_proto::sip::transaction::{ClientEvent, ClientNonInvite, ClientState, Timers};
use rcs_proto::sip::{MAGIC_COOKIE, Message, MessageBuilder};

use super::bindings::Binding;
use super::proxy::drain;
use super::proxy::{self, Transmit};
use super::reply;
use super::store::Stored;

/// The ICSI that marks a deferred delivery, URL-encoded as in Accept-Contact (protocols.md §4.8).
pub const DEFERRED_ICSI: &str = "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.deferred";

/// The most deliveries in flight at once.
const MAX_IN_FLIGHT: usize = 1024;

/// The headers of the original request a deferred delivery keeps.
pub const KEPT_HEADERS: [&str; 4] = [
    "Accept-Contact",
    "Conversation-ID",
    "Contribution-ID",
    "InReplyTo-Contribution-ID",
];

/// How a delivery ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ended {
    /// The recipient's number.
    pub user: String,
    /// The stored message's arrival number.
    pub seq: u64,
    /// A 2xx came back.
    pub delivered: bool,
}

/// One delivery in flight.
#[derive(Debug)]
struct Pending {
    client: ClientNonInvite,
    user: String,
    seq: u64,
    transport: Transport,
    dst: SocketAddr,
}

/// The deliveries in flight, by the branch of their Via.
#[derive(Debug, Default)]
pub struct Deliveries {
    pending: HashMap<String, Pending>,
}

impl Deliveries {
    /// Sends `message` to `binding`; with `new_datetime`, its CPIM DateTime is replaced by that
    /// value (the `saf-rewrites-cpim` fault). `None` when too many are in flight.
    pub fn start(
        &mut self,
        message: &Stored,
        binding: &Binding,
        via_addr: SocketAddr,
        new_datetime: Option<&str>,
        now: Instant,
    ) -> Option<Vec<Transmit>> {
        self.pending
            .retain(|_, p| p.client.state() != ClientState::Terminated);
        if self.pending.len() >= MAX_IN_FLIGHT {
            return None;
        }
        let branch = format!("{MAGIC_COOKIE}{}", reply::token(20));
        let request = request(message, binding, via_addr, &branch, new_datetime);
        let reliable = binding.transport != Transport::Udp;
        let mut client =
            ClientNonInvite::new(request.raw().clone(), reliable, Timers::default(), now);
        let dst = proxy::next_hop(binding);
        let out = drain(&mut client, binding.transport, dst, &branch);
        let pending = Pending {
            client,
            user: message.recipient.clone(),
            seq: message.seq,
            transport: binding.transport,
            dst,
        };
        self.pending.insert(branch, pending);
        Some(out)
    }

    /// Takes a response: `None` when it is not for a delivery, `Some(None)` when it is but ends
    /// nothing (a provisional or a retransmitted final).
    pub fn on_response(&mut self, response: &Message, now: Instant) -> Option<Option<Ended>> {
        let status = response.status()?;
        let branch = response.vias().ok()?.first()?.branch()?.to_owned();
        let pending = self.pending.get_mut(&branch)?;
        pending.client.handle_response(status, now);
        match pending.client.poll_event() {
            Some(ClientEvent::Final(status)) => Some(Some(Ended {
                user: pending.user.clone(),
                seq: pending.seq,
                delivered: (200..300).contains(&status),
            })),
            _ => Some(None),
        }
    }

    /// The earliest timer of a delivery.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pending
            .values()
            .filter_map(|p| p.client.poll_timeout())
            .min()
    }

    /// Fires due timers: retransmissions, and the deliveries that timed out.
    pub fn handle_timeout(&mut self, now: Instant) -> (Vec<Transmit>, Vec<Ended>) {
        let (mut out, mut ended) = (Vec::new(), Vec::new());
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
                ended.push(Ended {
                    user: pending.user.clone(),
                    seq: pending.seq,
                    delivered: false,
                });
            }
        }
        self.pending
            .retain(|_, p| p.client.state() != ClientState::Terminated);
        (out, ended)
    }

    /// The delivery on `branch` could not be sent.
    pub fn transport_error(&mut self, branch: &str) -> Option<Ended> {
        let pending = self.pending.remove(branch)?;
        Some(Ended {
            user: pending.user,
            seq: pending.seq,
            delivered: false,
        })
    }
}

/// The re-delivered MESSAGE of `message` to `binding`.
pub fn request(
    message: &Stored,
    binding: &Binding,
    via_addr: SocketAddr,
    branch: &str,
    new_datetime: Option<&str>,
) -> Message {
    let transport = match binding.transport {
        Transport::Udp => "UDP",
        Transport::Tcp => "TCP",
        Transport::Tls => "TLS",
    };
    let host = via_addr.ip();
    let mut builder = MessageBuilder::request("MESSAGE", &binding.contact.uri.to_string())
        .header(
            "Via",
            &format!("SIP/2.0/{transport} {via_addr};branch={branch}"),
        )
        .header("Max-Forwards", "70")
        .header(
            "From",
            &format!("{};tag={}", message.from, reply::token(10)),
        )
        .header("To", &message.to)
        .header("Call-ID", &format!("{}@{host}", reply::token(24)))
        .header("CSeq", "1 MESSAGE");
    if let Some(identity) = &message.identity {
        builder = builder.header("P-Asserted-Identity", identity);
    }
    for (name, value) in &message.headers {
        builder = builder.header(name, value);
    }
    let body = match new_datetime {
        Some(datetime) => with_datetime(&message.body, datetime),
        None => message.body.clone(),
    };
    builder.body(&message.content_type, body).build()
}

/// `body` with the value of its CPIM `DateTime` header replaced (a fault's doing); unchanged
/// when it is not CPIM or has no DateTime.
pub fn with_datetime(body: &Bytes, datetime: &str) -> Bytes {
    let Some(old) = CpimMessage::parse(body)
        .ok()
        .and_then(|cpim| cpim.header("DateTime").map(str::to_owned))
    else {
        return body.clone();
    };
    let needle = format!("DateTime: {old}");
    let Some(at) = find(body, needle.as_bytes()) else {
        return body.clone();
    };
    let mut out = Vec::with_capacity(body.len() + datetime.len());
    out.extend_from_slice(body.get(..at).unwrap_or_default());
    out.extend_from_slice(format!("DateTime: {datetime}").as_bytes());
    out.extend_from_slice(body.get(at + needle.len()..).unwrap_or_default());
    Bytes::from(out)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use rcs_proto::sip::NameAddr;

    use super::*;

    const CPIM: &[u8] = b"From: <sip:+8613800000001@ims>\r\nTo: <sip:+8613800000002@ims>\r\n\
DateTime: 2025-03-01T10:00:00.000+08:00\r\nNS: imdn <urn:ietf:params:imdn>\r\n\
imdn.Message-ID: m1\r\n\r\nContent-Type: text/plain\r\n\r\nhi";

    fn stored() -> Stored {
        Stored {
            seq: 7,
            recipient: "+8613800000002".to_owned(),
            sender: Some("+8613800000001".to_owned()),
            from: "<sip:+8613800000001@ims>".to_owned(),
            to: "<sip:+8613800000002@ims>".to_owned(),
            identity: Some("<sip:+8613800000001@ims>".to_owned()),
            headers: vec![
                (
                    "Accept-Contact".to_owned(),
                    format!("*;+g.3gpp.icsi-ref=\"{DEFERRED_ICSI}\""),
                ),
                ("Conversation-ID".to_owned(), "conv".to_owned()),
                ("Contribution-ID".to_owned(), "contrib".to_owned()),
            ],
            content_type: "message/cpim".to_owned(),
            body: Bytes::from_static(CPIM),
            imdn_id: Some("m1".to_owned()),
            negative: true,
            expires_at: Instant::now(),
            in_flight: true,
        }
    }

    fn binding() -> Binding {
        let contact = NameAddr::parse("<sip:+8613800000002@127.0.0.1:5070>").unwrap();
        let src: SocketAddr = "127.0.0.1:5070".parse().unwrap();
        Binding::new(contact, Transport::Udp, src, 60, Instant::now())
    }

    fn via() -> SocketAddr {
        "127.0.0.1:5060".parse().unwrap()
    }

    #[test]
    fn a_redelivery_keeps_the_body_and_marks_itself_deferred() {
        let out = request(&stored(), &binding(), via(), "z9hG4bKd1", None);
        assert!(out.validate().is_empty(), "{:?}", out.validate());
        assert_eq!(out.request_uri(), Some("sip:+8613800000002@127.0.0.1:5070"));
        assert_eq!(out.body(), CPIM);
        assert!(out.from_header().unwrap().tag().is_some());
        assert_eq!(
            out.header("P-Asserted-Identity"),
            Some("<sip:+8613800000001@ims>")
        );
        assert_eq!(out.header("Conversation-ID"), Some("conv"));
        let accept = out.header_all("Accept-Contact");
        assert!(
            accept.iter().any(|a| a.contains("oma.cpm.deferred")),
            "{accept:?}"
        );
    }

    #[test]
    fn the_fault_rewrites_only_the_datetime() {
        let body = Bytes::from_static(CPIM);
        let changed = with_datetime(&body, "2026-01-01T00:00:00.000+08:00");
        let cpim = CpimMessage::parse(&changed).unwrap();
        assert_eq!(
            cpim.header("DateTime"),
            Some("2026-01-01T00:00:00.000+08:00")
        );
        assert_eq!(cpim.imdn_message_id(), Some("m1"));
        assert_eq!(cpim.body(), b"hi");
        assert_eq!(with_datetime(&Bytes::from_static(b"plain"), "x"), "plain");
    }

    #[test]
    fn a_final_ends_the_delivery_once_and_a_timeout_ends_it_too() {
        let now = Instant::now();
        let mut deliveries = Deliveries::default();
        let sent = deliveries
            .start(&stored(), &binding(), via(), None, now)
            .unwrap();
        let request = Message::parse(sent[0].bytes.clone()).unwrap();
        let ok = reply::response(&request, 200, "OK").build();
        let ended = deliveries.on_response(&ok, now).unwrap().unwrap();
        assert_eq!((ended.seq, ended.delivered), (7, true));
        assert_eq!(deliveries.on_response(&ok, now), Some(None));

        deliveries
            .start(&stored(), &binding(), via(), None, now)
            .unwrap();
        let (_, ended) = deliveries.handle_timeout(now + Duration::from_secs(33));
        assert_eq!(ended.len(), 1);
        assert!(!ended[0].delivered);
    }
}
