//! Where the message center's request handling meets the group chat focus: the requests and
//! responses the focus owns, with the registrar's view of who can be invited (protocols.md §6).
//!
//! A participant is invited at its registered contact over the transport it registered on, like
//! any request the message center relays; one not registered is not invited. The creator must be
//! registered (its identity is asserted from its binding, RFC 3325 9.1).

use std::net::SocketAddr;
use std::time::Instant;

use rcs_harness::events::Transport;
use rcs_proto::sip::{Message, Uri};

use super::Core;
use crate::message_center::bindings::Bindings;
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
        };
        if !self.focus.is_factory(request) {
            let response = super::reply::response(request, 501, "Not Implemented").build();
            return vec![super::transmit(response, transport, src)];
        }
        let (directory, bindings) = (&self.directory, &self.bindings);
        let creator = router::asserted_identity(request, directory, bindings, now);
        let hop = |uri: &str| hop(uri, directory, bindings, vias, now);
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
        };
        let (directory, bindings) = (&self.directory, &self.bindings);
        let hop = |uri: &str| hop(uri, directory, bindings, vias, now);
        self.focus.on_request(request, arrival, &hop, now)
    }
}

/// Where a participant is reached, if it is registered.
fn hop(
    uri: &str,
    directory: &Directory,
    bindings: &Bindings,
    vias: Vias,
    now: Instant,
) -> Option<Hop> {
    let parsed = Uri::parse(uri.trim().trim_matches(['<', '>'])).ok()?;
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
