//! The SIP trunk between the message center and the chatbot platform (MaaP) (protocols.md §7.1:
//! "the 5GMC routes any request whose Request-URI host is a chatbot domain to the MaaP over a SIP
//! trunk"; PLT-CAP-004, PLT-BOT-*).
//!
//! A request whose Request-URI host is one of the chatbot domains (setting `chatbot-domains`, and
//! the message center's own carrier's chatbot domain, [`Trunk::serve_domain`]) is
//! relayed to the MaaP as if the chatbot were a contact registered there: [`Trunk::binding_for`]
//! gives that stand-in binding, with the chatbot URI as contact (so the MaaP sees the chatbot in
//! the Request-URI) and the MaaP's address as target. The MaaP's address is the setting
//! `maap-trunk: host:port`, else the case's `maap` role, learned once every role has started
//! ([`Trunk::learn`]). Without either, requests to chatbots get 404. Requests coming from the
//! MaaP (their top Via or source is the MaaP's address) are routed to users like a subscriber's,
//! and the trunk is trusted: their P-Asserted-Identity (the chatbot) is kept ([`Trunk::identity`]).
//! This module decides; sending is the proxy's and the B2BUA's.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use rcs_harness::agent::Peer;
use rcs_harness::events::Transport;
use rcs_harness::role::RoleKind;
use rcs_proto::sip::{Host, Message, NameAddr, Uri};

use super::bindings::Binding;

/// The chatbot platform domains routed to the trunk unless the case names others (§1.2, §7.1).
pub const DEFAULT_CHATBOT_DOMAINS: &[&str] = &[
    "botplatform.rcs.chinamobile.com",
    "botplatform.rcs.domain.cn",
];

/// How long the stand-in binding of a chatbot lasts (it is made anew for each request).
const TRUNK_EXPIRY: u32 = 3600;

/// The trunk to the MaaP. Cheap to clone; every clone is the same trunk.
#[derive(Clone, Debug)]
pub struct Trunk {
    inner: Arc<Mutex<State>>,
}

#[derive(Debug)]
struct State {
    domains: Vec<String>,
    /// The `maap-trunk` setting.
    configured: Option<SocketAddr>,
    /// The transport the message center uses towards the MaaP.
    transport: Transport,
    /// The `maap` role's addresses: UDP, TCP, TLS.
    learned: Option<[Option<SocketAddr>; 3]>,
}

impl Default for Trunk {
    /// A trunk for the default chatbot domains to the `maap` role learned later.
    fn default() -> Self {
        let domains: Vec<String> = DEFAULT_CHATBOT_DOMAINS
            .iter()
            .map(|d| (*d).to_owned())
            .collect();
        Self::new(&domains, None)
    }
}

impl Trunk {
    /// A trunk for `domains` to `configured`, or to the `maap` role learned later.
    pub fn new(domains: &[String], configured: Option<SocketAddr>) -> Self {
        let state = State {
            domains: domains.to_vec(),
            configured,
            transport: Transport::Udp,
            learned: None,
        };
        Self {
            inner: Arc::new(Mutex::new(state)),
        }
    }

    /// Uses `transport` towards the MaaP (the case's transport).
    pub fn set_transport(&self, transport: Transport) {
        self.lock().transport = transport;
    }

    /// Learns the MaaP's addresses from the case's roles (the first `maap` role).
    pub fn learn(&self, peers: &BTreeMap<String, Peer>) {
        if let Some(maap) = peers.values().find(|p| p.kind == RoleKind::Maap) {
            self.lock().learned = Some([maap.sip_udp, maap.sip_tcp, maap.sip_tls]);
        }
    }

    /// Routes `domain` (the message center's own carrier's chatbot domain) to the MaaP too.
    pub fn serve_domain(&self, domain: &str) {
        let mut state = self.lock();
        if !state.domains.iter().any(|d| d.eq_ignore_ascii_case(domain)) {
            state.domains.push(domain.to_owned());
        }
    }

    /// Whether `uri`'s host is a chatbot domain.
    pub fn is_chatbot_uri(&self, uri: &Uri) -> bool {
        let Some(Host::Domain(host)) = uri.host() else {
            return false;
        };
        let state = self.lock();
        state.domains.iter().any(|d| d.eq_ignore_ascii_case(host))
    }

    /// For a chatbot URI: `Some(binding)` to relay to, or `Some(None)` when there is no MaaP
    /// (404). None for any other URI.
    pub fn binding_for(&self, uri: &Uri, now: Instant) -> Option<Option<Binding>> {
        if !self.is_chatbot_uri(uri) {
            return None;
        }
        let (transport, addr) = {
            let state = self.lock();
            (state.transport, state.address())
        };
        let contact = NameAddr::parse(&format!("<{uri}>")).ok();
        Some(
            addr.zip(contact)
                .map(|(addr, contact)| Binding::new(contact, transport, addr, TRUNK_EXPIRY, now)),
        )
    }

    /// Whether `request` comes from the MaaP: its top Via sent-by, or its source, is one of
    /// the MaaP's addresses.
    pub fn is_from_trunk(&self, request: &Message, src: SocketAddr) -> bool {
        let addrs = self.lock().addresses();
        if addrs.is_empty() {
            return false;
        }
        let sent_by = request.vias().ok().and_then(|vias| {
            let top = vias.into_iter().next()?;
            format!("{}:{}", top.host, top.port?)
                .parse::<SocketAddr>()
                .ok()
        });
        addrs.contains(&src) || sent_by.is_some_and(|a| addrs.contains(&a))
    }

    /// The identity to assert for a request from the trunk: the P-Asserted-Identity it carries
    /// (the chatbot); None for requests from elsewhere.
    pub fn identity(&self, request: &Message, src: SocketAddr) -> Option<String> {
        if !self.is_from_trunk(request, src) {
            return None;
        }
        request.header("P-Asserted-Identity").map(str::to_owned)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl State {
    /// Where to send over the trunk's transport.
    fn address(&self) -> Option<SocketAddr> {
        if self.configured.is_some() {
            return self.configured;
        }
        let [udp, tcp, tls] = self.learned?;
        match self.transport {
            Transport::Udp => udp,
            Transport::Tcp => tcp,
            Transport::Tls => tls,
        }
    }

    /// Every address the MaaP sends from or listens on.
    fn addresses(&self) -> Vec<SocketAddr> {
        let learned = self.learned.into_iter().flatten().flatten();
        self.configured.into_iter().chain(learned).collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn domains() -> Vec<String> {
        DEFAULT_CHATBOT_DOMAINS
            .iter()
            .map(|d| (*d).to_owned())
            .collect()
    }

    fn maap_peer(udp: SocketAddr) -> BTreeMap<String, Peer> {
        let peer = Peer {
            name: "maap".into(),
            kind: RoleKind::Maap,
            subscriber: None,
            sip_udp: Some(udp),
            sip_tcp: Some(udp),
            sip_tls: None,
            http: None,
            carrier: Default::default(),
        };
        BTreeMap::from([("maap".to_owned(), peer)])
    }

    #[test]
    fn chatbot_uris_go_to_the_learned_maap() {
        let trunk = Trunk::new(&domains(), None);
        let bot = Uri::parse("sip:12599@botplatform.rcs.chinamobile.com").unwrap();
        let user = Uri::parse("sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org").unwrap();
        let now = Instant::now();
        assert!(matches!(trunk.binding_for(&bot, now), Some(None)));
        assert!(trunk.binding_for(&user, now).is_none());
        let addr: SocketAddr = "127.0.0.1:5070".parse().unwrap();
        trunk.learn(&maap_peer(addr));
        let binding = trunk.binding_for(&bot, now).unwrap().unwrap();
        assert_eq!(binding.target, addr);
        assert_eq!(
            binding.contact.uri.to_string(),
            "sip:12599@botplatform.rcs.chinamobile.com"
        );
    }

    #[test]
    fn the_own_carriers_chatbot_domain_is_served_once() {
        let trunk = Trunk::new(&domains(), None);
        let unicom = Uri::parse("sip:12599@botplatform.rcs.chinaunicom.cn").unwrap();
        assert!(!trunk.is_chatbot_uri(&unicom));
        trunk.serve_domain("botplatform.rcs.chinaunicom.cn");
        trunk.serve_domain("BOTPLATFORM.rcs.chinaunicom.cn");
        assert!(trunk.is_chatbot_uri(&unicom));
        assert_eq!(trunk.lock().domains.len(), domains().len() + 1);
    }

    #[test]
    fn the_trunk_keeps_the_asserted_identity_of_its_own_requests() {
        let trunk = Trunk::new(&domains(), Some("127.0.0.1:5070".parse().unwrap()));
        let request = Message::parse(
            &b"MESSAGE sip:+8613800000001@ims SIP/2.0\r\n\
               Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKabc\r\n\
               P-Asserted-Identity: <sip:12599@botplatform.rcs.chinamobile.com>\r\n\
               Content-Length: 0\r\n\r\n"[..],
        )
        .unwrap();
        let elsewhere: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        assert_eq!(
            trunk.identity(&request, elsewhere).as_deref(),
            Some("<sip:12599@botplatform.rcs.chinamobile.com>")
        );
        let other = Trunk::new(&domains(), Some("127.0.0.1:5999".parse().unwrap()));
        assert_eq!(other.identity(&request, elsewhere), None);
    }
}
