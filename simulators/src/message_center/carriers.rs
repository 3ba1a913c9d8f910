//! The message center's view of the other carriers of a run (protocols.md §9.1 "Routing"; IR.90;
//! IWK-NNI-*): it serves only its own carrier's subscribers, and sends what belongs to another
//! carrier to its carrier's interworking gateway.
//!
//! [`provisioned`] keeps the subscribers of its carrier (a ported-in number included). A request
//! whose target is none of them but is served by another carrier (that carrier's number range, a
//! number ported out per the portability database of every subscriber of the case, or that
//! carrier's chatbot domain: `iwg::route::NumberPlan`) is relayed to the gateway as if the target
//! were a contact registered there: [`Carriers::binding_for`] gives that stand-in binding, with
//! the Request-URI as contact and the gateway's address as target. The gateway is the first
//! `peer-carrier` role of the same carrier, learned once every role has started
//! ([`Carriers::learn`]); without one nothing changes (the target is unknown, 404). Requests from
//! the gateway are routed to users like a subscriber's, and keep the P-Asserted-Identity they
//! carry (the gateway applied the trust-domain rule): [`Carriers::identity`]. This module decides;
//! sending is the proxy's and the B2BUA's.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use rcs_harness::agent::Peer;
use rcs_harness::events::Transport;
use rcs_harness::role::{Carrier, RoleKind, Subscriber};
use rcs_proto::sip::{Message, NameAddr, Uri};

use super::bindings::Binding;
use super::directory::Directory;
use crate::iwg::route::NumberPlan;

/// How long the stand-in binding of a foreign target lasts (it is made anew for each request).
const GATEWAY_EXPIRY: u32 = 3600;

/// The subscribers a message center of `carrier` provisions: those subscribed at it.
pub fn provisioned(carrier: Carrier, subscribers: &[Subscriber]) -> Vec<Subscriber> {
    subscribers
        .iter()
        .filter(|s| s.carrier == carrier)
        .cloned()
        .collect()
}

/// The other carriers, through the gateway. Cheap to clone; every clone is the same.
#[derive(Clone, Debug)]
pub struct Carriers {
    inner: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    plan: NumberPlan,
    transport: Transport,
    /// The gateway's addresses: UDP, TCP, TLS.
    gateway: Option<[Option<SocketAddr>; 3]>,
}

impl Default for Carriers {
    /// China Mobile alone, with no gateway.
    fn default() -> Self {
        Self::new(Carrier::default(), &[])
    }
}

impl Carriers {
    /// The view of a message center of `own` in a case of `subscribers` (every carrier's).
    pub fn new(own: Carrier, subscribers: &[Subscriber]) -> Self {
        let state = State {
            plan: NumberPlan::new(own, subscribers, true),
            transport: Transport::Udp,
            gateway: None,
        };
        Self {
            inner: Arc::new(Mutex::new(state)),
        }
    }

    /// Makes this the view of a message center of `own` in a case of `subscribers`.
    pub fn configure(&self, own: Carrier, subscribers: &[Subscriber]) {
        self.lock().plan = NumberPlan::new(own, subscribers, true);
    }

    /// Uses `transport` towards the gateway (the case's transport).
    pub fn set_transport(&self, transport: Transport) {
        self.lock().transport = transport;
    }

    /// Learns its carrier's gateway from the case's roles.
    pub fn learn(&self, peers: &BTreeMap<String, Peer>) {
        let mut state = self.lock();
        let own = state.plan.own();
        let gateway = peers
            .values()
            .find(|p| p.kind == RoleKind::PeerCarrier && p.carrier == own);
        if let Some(gateway) = gateway {
            state.gateway = Some([gateway.sip_udp, gateway.sip_tcp, gateway.sip_tls]);
        }
    }

    /// For a target of another carrier that is not provisioned here: `Some(binding)` to relay
    /// to. None for any other URI, or when there is no gateway.
    pub fn binding_for(&self, uri: &Uri, directory: &Directory, now: Instant) -> Option<Binding> {
        if directory.by_uri(uri).is_some() {
            return None;
        }
        let state = self.lock();
        if !state.plan.is_foreign(uri) {
            return None;
        }
        let addr = state.address()?;
        let contact = NameAddr::parse(&format!("<{uri}>")).ok()?;
        Some(Binding::new(
            contact,
            state.transport,
            addr,
            GATEWAY_EXPIRY,
            now,
        ))
    }

    /// The carrier of this message center.
    pub fn own(&self) -> Carrier {
        self.lock().plan.own()
    }

    /// The gateway's address on the case's transport, once learned.
    pub fn gateway(&self) -> Option<SocketAddr> {
        self.lock().address()
    }

    /// The identity of a request from the gateway: the P-Asserted-Identity it carries (none
    /// when the far carrier is outside the trust domain); None for requests from elsewhere.
    pub fn identity(&self, request: &Message, src: SocketAddr) -> Option<String> {
        if !self.is_from_gateway(request, src) {
            return None;
        }
        request.header("P-Asserted-Identity").map(str::to_owned)
    }

    /// Whether `request` comes from the gateway: its top Via sent-by, or its source.
    pub fn is_from_gateway(&self, request: &Message, src: SocketAddr) -> bool {
        let Some(addrs) = self.lock().gateway else {
            return false;
        };
        let sent_by = request.vias().ok().and_then(|vias| {
            let top = vias.into_iter().next()?;
            format!("{}:{}", top.host, top.port?)
                .parse::<SocketAddr>()
                .ok()
        });
        addrs.contains(&Some(src)) || sent_by.is_some_and(|a| addrs.contains(&Some(a)))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl State {
    fn address(&self) -> Option<SocketAddr> {
        let [udp, tcp, tls] = self.gateway?;
        match self.transport {
            Transport::Udp => udp,
            Transport::Tcp => tcp,
            Transport::Tls => tls,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn subscribers() -> Vec<Subscriber> {
        vec![
            Subscriber::builtin_of(1, true, Carrier::Cmcc, Carrier::Cmcc),
            Subscriber::builtin_of(2, true, Carrier::Cucc, Carrier::Cucc),
            Subscriber::builtin_of(3, true, Carrier::Cucc, Carrier::Cmcc),
        ]
    }

    fn gateway(carrier: Carrier, port: u16) -> BTreeMap<String, Peer> {
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let peer = Peer {
            name: "gw".into(),
            kind: RoleKind::PeerCarrier,
            subscriber: None,
            sip_udp: Some(addr),
            sip_tcp: Some(addr),
            sip_tls: None,
            http: None,
            carrier,
        };
        BTreeMap::from([("gw".to_owned(), peer)])
    }

    #[test]
    fn only_its_own_carriers_subscribers_are_provisioned() {
        let cmcc = provisioned(Carrier::Cmcc, &subscribers());
        assert_eq!(cmcc.len(), 1);
        let cucc = provisioned(Carrier::Cucc, &subscribers());
        let numbers: Vec<&str> = cucc.iter().map(|s| s.msisdn.as_str()).collect();
        assert_eq!(numbers, ["+8613000000002", "+8613800000003"], "ported in");
    }

    #[test]
    fn foreign_targets_go_to_its_own_gateway() {
        let all = subscribers();
        let directory = Directory::new(provisioned(Carrier::Cmcc, &all));
        let carriers = Carriers::new(Carrier::Cmcc, &all);
        let now = Instant::now();
        let cucc_user = Uri::parse("tel:+8613000000002").unwrap();
        assert!(
            carriers.binding_for(&cucc_user, &directory, now).is_none(),
            "no gateway yet"
        );
        carriers.learn(&gateway(Carrier::Cucc, 5999));
        assert!(
            carriers.binding_for(&cucc_user, &directory, now).is_none(),
            "another carrier's gateway is not its own"
        );
        carriers.learn(&gateway(Carrier::Cmcc, 5071));
        let binding = carriers.binding_for(&cucc_user, &directory, now).unwrap();
        assert_eq!(binding.target, "127.0.0.1:5071".parse().unwrap());
        assert_eq!(binding.contact.uri.to_string(), "tel:+8613000000002");
        let ported_out = Uri::parse("sip:+8613800000003@ims.mnc000.mcc460.3gppnetwork.org");
        assert!(
            carriers
                .binding_for(&ported_out.unwrap(), &directory, now)
                .is_some()
        );
        let bot = Uri::parse("sip:10655210001@botplatform.rcs.chinaunicom.cn").unwrap();
        assert!(carriers.binding_for(&bot, &directory, now).is_some());
        for own in ["tel:+8613800000001", "tel:+8613800000099"] {
            let uri = Uri::parse(own).unwrap();
            assert!(
                carriers.binding_for(&uri, &directory, now).is_none(),
                "{own}"
            );
        }
    }

    #[test]
    fn the_gateway_s_requests_keep_their_identity() {
        let carriers = Carriers::new(Carrier::Cucc, &subscribers());
        carriers.learn(&gateway(Carrier::Cucc, 5071));
        let request = Message::parse(
            &b"MESSAGE tel:+8613000000002 SIP/2.0\r\n\
Via: SIP/2.0/TCP 127.0.0.1:5071;branch=z9hG4bKgw\r\n\
P-Asserted-Identity: <sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>\r\n\
Content-Length: 0\r\n\r\n"[..],
        )
        .unwrap();
        let elsewhere: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        assert_eq!(
            carriers.identity(&request, elsewhere).as_deref(),
            Some("<sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>")
        );
        let other = Carriers::new(Carrier::Cucc, &subscribers());
        assert_eq!(other.identity(&request, elsewhere), None);
    }
}
