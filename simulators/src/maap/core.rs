//! What every part of a MaaP shares: its SIP endpoint, settings, faults, clock and the addresses
//! of the case's other roles (the message center its trunk goes to, the SMS centre, the chatbot
//! server). Client transactions on the endpoint are in `uac`; this module holds state only.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};

use rcs_harness::agent::{Peer, WireTap};
use rcs_harness::clock::Clock;
use rcs_harness::events::Transport;
use rcs_harness::role::{RoleKind, Subscriber};

use super::settings::MaapSettings;
use super::uac::Pending;
use crate::net::SipEndpoint;

/// The state a MaaP's parts share.
#[derive(Debug)]
pub(crate) struct MaapCore {
    /// The role name, for logs.
    pub role: String,
    pub endpoint: SipEndpoint,
    /// The transport of the requests it starts.
    pub transport: Transport,
    pub clock: Clock,
    pub tap: WireTap,
    /// The `maap.*` fault ids it was started with.
    pub faults: Vec<String>,
    /// Every subscriber of the case.
    pub subscribers: Vec<Subscriber>,
    settings: RwLock<Arc<MaapSettings>>,
    peers: Mutex<BTreeMap<String, Peer>>,
    /// Its own HTTP address, once the server is up.
    http: Mutex<Option<SocketAddr>>,
    /// Client transactions waiting for responses.
    pub(crate) pending: Pending,
}

impl MaapCore {
    pub(crate) fn new(
        role: &str,
        endpoint: SipEndpoint,
        transport: Transport,
        clock: Clock,
        settings: MaapSettings,
        faults: Vec<String>,
        subscribers: Vec<Subscriber>,
    ) -> Self {
        Self {
            role: role.to_owned(),
            tap: endpoint.tap().clone(),
            endpoint,
            transport,
            clock,
            faults,
            subscribers,
            settings: RwLock::new(Arc::new(settings)),
            peers: Mutex::new(BTreeMap::new()),
            http: Mutex::new(None),
            pending: Pending::default(),
        }
    }

    /// Whether the fault `id` (`maap.<what>`) is on.
    pub(crate) fn has_fault(&self, id: &str) -> bool {
        self.faults.iter().any(|f| f == id)
    }

    /// The settings in force (user names resolved once the case's roles are known).
    pub(crate) fn settings(&self) -> Arc<MaapSettings> {
        self.settings
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Learns the case's roles: keeps their addresses and resolves user names in the settings.
    pub(crate) fn learn_peers(&self, peers: &BTreeMap<String, Peer>) {
        {
            let mut known = self.peers.lock().unwrap_or_else(|p| p.into_inner());
            for (name, peer) in peers {
                known.insert(name.clone(), peer.clone());
            }
        }
        let mut settings = (*self.settings()).clone();
        settings.resolve(peers);
        *self.settings.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(settings);
    }

    /// The first peer of `kind`.
    pub(crate) fn peer_of_kind(&self, kind: RoleKind) -> Option<Peer> {
        let peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
        peers.values().find(|p| p.kind == kind).cloned()
    }

    /// The tel URI of a role name (its subscriber), a `+` number or a tel URI as given.
    pub(crate) fn tel_of(&self, user: &str) -> String {
        let peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
        super::settings::tel_of(user, &peers)
    }

    /// The SIP URI of the subscriber whose number is `msisdn` (`+86…`), when the case has one.
    pub(crate) fn subscriber_uri(&self, msisdn: &str) -> Option<String> {
        self.subscribers
            .iter()
            .find(|s| s.msisdn == msisdn)
            .map(Subscriber::sip_uri)
    }

    /// The message center's SIP address over the MaaP's transport: where the trunk goes (its
    /// own carrier's when the case has several).
    pub(crate) fn message_center(&self) -> Option<SocketAddr> {
        let own = self.settings().carrier;
        let own_center = {
            let peers = self.peers.lock().unwrap_or_else(|p| p.into_inner());
            peers
                .values()
                .find(|p| p.kind == RoleKind::MessageCenter && p.carrier == own)
                .cloned()
        };
        own_center
            .or_else(|| self.peer_of_kind(RoleKind::MessageCenter))?
            .sip_addr(self.transport)
    }

    /// The SMS centre's SIP address over the MaaP's transport.
    pub(crate) fn sms_center(&self) -> Option<SocketAddr> {
        self.peer_of_kind(RoleKind::SmsCenter)?
            .sip_addr(self.transport)
    }

    /// The chatbot server's HTTP address (the default callback base).
    pub(crate) fn csp_bot_http(&self) -> Option<SocketAddr> {
        self.peer_of_kind(RoleKind::CspBot)?.http
    }

    /// Its own HTTP address.
    pub(crate) fn http_addr(&self) -> Option<SocketAddr> {
        *self.http.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn set_http_addr(&self, addr: SocketAddr) {
        *self.http.lock().unwrap_or_else(|p| p.into_inner()) = Some(addr);
    }

    /// The address its Via and Contact carry for the transport it starts requests on.
    pub(crate) fn local_addr(&self) -> SocketAddr {
        self.endpoint.local_addr(self.transport)
    }

    /// The Contact URI of `chatbot` (`sip:12599@<addr>;transport=..`), reachable at this MaaP.
    pub(crate) fn contact_uri(&self, service_id: &str) -> String {
        let addr = self.local_addr();
        match self.transport {
            Transport::Udp => format!("sip:{service_id}@{addr}"),
            Transport::Tcp => format!("sip:{service_id}@{addr};transport=tcp"),
            Transport::Tls => format!("sip:{service_id}@{addr};transport=tls"),
        }
    }
}
