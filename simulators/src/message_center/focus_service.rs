//! Where the message center's request handling meets the group chat focus: the requests and
//! responses the focus owns, with the registrar's view of who can be invited (protocols.md §6).
//!
//! A participant is invited at its registered contact over the transport it registered on, like
//! any request the message center relays; one not registered is not invited. A participant of
//! another carrier is invited through the carrier's interworking gateway, as the message center
//! routes any request for another carrier's user (`carriers`, protocols.md §9.1): the session
//! crosses the NNI, MSRP anchored at the gateways. The requests of such a member reach the focus
//! through the gateway, and the focus's requests in their dialogs (NOTIFYs) go back there. The
//! creator must be registered (its identity is asserted from its binding, RFC 3325 9.1).
//!
//! On the member's side, a SUBSCRIBE or REFER from one of its users to a group of another
//! carrier (a URI of that carrier's home domain) goes to the gateway, and a NOTIFY the gateway
//! brings is relayed to the subscriber's registered contact ([`Core::group_across`]).

use std::net::SocketAddr;
use std::time::Instant;

use rcs_harness::events::Transport;
use rcs_proto::sip::{Message, Uri};

use super::{Core, Outcome, Upstream};
use crate::message_center::bindings::Bindings;
use crate::message_center::carriers::Carriers;
use crate::message_center::directory::Directory;
use crate::message_center::focus::{Arrival, Hop};
use crate::message_center::focus_group::Reach;
use crate::message_center::proxy::{self, Transmit};
use crate::message_center::router::{self, Target};

/// The addresses the message center puts in Via.
#[derive(Clone, Copy)]
struct Vias {
    plain: SocketAddr,
    tls: Option<SocketAddr>,
}

impl Vias {
    fn on(self, transport: Transport) -> SocketAddr {
        match transport {
            Transport::Tls => self.tls.unwrap_or(self.plain),
            Transport::Udp | Transport::Tcp => self.plain,
        }
    }
}

impl Core {
    /// An INVITE the focus owns: a retransmission, a group creation, or (to a group URI) a
    /// re-join, which is not simulated.
    pub(super) fn focus_invite(
        &mut self,
        request: &Message,
        transport: Transport,
        src: SocketAddr,
        now: Instant,
    ) -> Vec<Transmit> {
        if let Some(out) = self.focus.on_retransmission(request, now) {
            return out;
        }
        let vias = Vias {
            plain: self.via_addr,
            tls: self.via_tls,
        };
        let arrival = Arrival {
            transport,
            src,
            via_addr: vias.on(transport),
            gateway: self.through_gateway(request, src),
        };
        if !self.focus.is_factory(request) {
            let response = super::reply::response(request, 501, "Not Implemented").build();
            return vec![super::transmit(response, transport, src)];
        }
        self.focus
            .adopt_home_domain(self.carriers.own().home_domain());
        let (directory, bindings) = (&self.directory, &self.bindings);
        let creator = router::asserted_identity(request, directory, bindings, now);
        let carriers = &self.carriers;
        let hop = |uri: &str| hop(uri, (directory, bindings, carriers), vias, now);
        self.focus
            .create(request, arrival, creator.as_deref(), &hop, now)
    }

    /// A non-INVITE request the focus owns: its response and what else to send.
    pub(super) fn focus_request(
        &mut self,
        request: &Message,
        transport: Transport,
        src: SocketAddr,
        now: Instant,
    ) -> (Message, Vec<Transmit>) {
        let vias = Vias {
            plain: self.via_addr,
            tls: self.via_tls,
        };
        let arrival = Arrival {
            transport,
            src,
            via_addr: vias.on(transport),
            gateway: self.through_gateway(request, src),
        };
        let (directory, bindings, carriers) = (&self.directory, &self.bindings, &self.carriers);
        let hop = |uri: &str| hop(uri, (directory, bindings, carriers), vias, now);
        self.focus.on_request(request, arrival, &hop, now)
    }

    /// A group request across the NNI, the focus being another carrier's: a SUBSCRIBE (not to
    /// `reg`) or REFER of a user to another carrier's group goes to the gateway; a NOTIFY from
    /// the gateway goes to the registered contact it names. None for anything else.
    pub(super) fn group_across(
        &mut self,
        request: &Message,
        upstream: &Upstream,
        now: Instant,
    ) -> Option<Outcome> {
        let uri = Uri::parse(request.request_uri()?).ok()?;
        match request.method()? {
            "SUBSCRIBE" | "REFER" => {
                let gateway = self.carriers.binding_for(&uri, &self.directory, now)?;
                Some(self.relay_to_trunk(request, Some(gateway), upstream.clone(), now))
            }
            "NOTIFY" if self.carriers.is_from_gateway(request, upstream.src) => {
                Some(self.notify_member(request, &uri, upstream, now))
            }
            _ => None,
        }
    }

    /// A NOTIFY from the gateway to one of its users: relayed to the binding of `uri`.
    fn notify_member(
        &mut self,
        request: &Message,
        uri: &Uri,
        upstream: &Upstream,
        now: Instant,
    ) -> Outcome {
        let respond = |status, reason| {
            Outcome::Respond(super::reply::response(request, status, reason).build())
        };
        let Target::Online(binding) = router::resolve(uri, &self.directory, &self.bindings, now)
        else {
            return respond(480, "Temporarily Unavailable");
        };
        if request.max_forwards().ok().flatten() == Some(0) {
            return respond(483, "Too Many Hops");
        }
        let vias = Vias {
            plain: self.via_addr,
            tls: self.via_tls,
        };
        let via_addr = vias.on(binding.transport);
        let faults = &self.config.faults;
        let identity = self.carriers.identity(request, upstream.src);
        let forwarded = self.proxy.forward(
            request,
            binding,
            via_addr,
            identity.as_deref(),
            faults,
            upstream.clone(),
            now,
        );
        match forwarded {
            Ok(out) => Outcome::Relayed(out),
            Err(detail) => {
                tracing::warn!("failed to relay a NOTIFY: {detail}");
                respond(503, "Service Unavailable")
            }
        }
    }

    /// The gateway's address when `request` came through it.
    fn through_gateway(&self, request: &Message, src: SocketAddr) -> Option<SocketAddr> {
        match self.carriers.is_from_gateway(request, src) {
            true => self.carriers.gateway(),
            false => None,
        }
    }
}

/// Where a participant is reached: its registration, or for another carrier's user the
/// gateway (its URI then the Request-URI).
fn hop(
    uri: &str,
    (directory, bindings, carriers): (&Directory, &Bindings, &Carriers),
    vias: Vias,
    now: Instant,
) -> Option<Hop> {
    let parsed = Uri::parse(uri.trim().trim_matches(['<', '>'])).ok()?;
    if let Some(gateway) = carriers.binding_for(&parsed, directory, now) {
        return Some(Hop {
            uri: parsed.to_string(),
            target: parsed.to_string(),
            reach: Reach {
                transport: gateway.transport,
                dst: proxy::next_hop(&gateway),
                via_addr: vias.on(gateway.transport),
            },
        });
    }
    let Target::Online(binding) = router::resolve(&parsed, directory, bindings, now) else {
        return None;
    };
    let canonical = directory
        .by_uri(&parsed)
        .map_or_else(|| uri.to_owned(), |s| s.sip_uri());
    Some(Hop {
        uri: canonical,
        target: binding.contact.uri.to_string(),
        reach: Reach {
            transport: binding.transport,
            dst: proxy::next_hop(binding),
            via_addr: vias.on(binding.transport),
        },
    })
}
