//! The roles an interworking gateway talks to, learned once every role of the case has started:
//! the other carriers' gateways (its NNI side), and its own carrier's message center and chatbot
//! platform (its internal side). This module only keeps addresses and tells sides apart.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use rcs_harness::agent::Peer;
use rcs_harness::events::Transport;
use rcs_harness::role::{Carrier, RoleKind};
use rcs_proto::sip::Message;

/// The UDP, TCP and TLS addresses of one role.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Addrs([Option<SocketAddr>; 3]);

impl Addrs {
    fn of(peer: &Peer) -> Self {
        Self([peer.sip_udp, peer.sip_tcp, peer.sip_tls])
    }

    /// Where to send over `transport`.
    pub fn get(&self, transport: Transport) -> Option<SocketAddr> {
        let [udp, tcp, tls] = self.0;
        match transport {
            Transport::Udp => udp,
            Transport::Tcp => tcp,
            Transport::Tls => tls,
        }
    }

    fn contains(&self, addr: SocketAddr) -> bool {
        self.0.contains(&Some(addr))
    }
}

/// The gateway's neighbours.
#[derive(Clone, Debug, Default)]
pub struct Peers {
    gateways: BTreeMap<Carrier, Addrs>,
    message_center: Option<Addrs>,
    maap: Option<Addrs>,
}

impl Peers {
    /// Learns the neighbours of a gateway of `own` from the case's roles: the first gateway of
    /// each other carrier, and the first message center and MaaP of `own`.
    pub fn learn(own: Carrier, roles: &BTreeMap<String, Peer>) -> Self {
        let mut out = Self::default();
        for peer in roles.values() {
            match peer.kind {
                RoleKind::PeerCarrier if peer.carrier != own => {
                    out.gateways
                        .entry(peer.carrier)
                        .or_insert_with(|| Addrs::of(peer));
                }
                RoleKind::MessageCenter if peer.carrier == own => {
                    out.message_center.get_or_insert_with(|| Addrs::of(peer));
                }
                RoleKind::Maap if peer.carrier == own => {
                    out.maap.get_or_insert_with(|| Addrs::of(peer));
                }
                _ => {}
            }
        }
        out
    }

    /// The gateway of `carrier`.
    pub fn gateway(&self, carrier: Carrier) -> Option<&Addrs> {
        self.gateways.get(&carrier)
    }

    /// Its own carrier's message center.
    pub fn message_center(&self) -> Option<&Addrs> {
        self.message_center.as_ref()
    }

    /// Its own carrier's chatbot platform, else its message center (which has a trunk to it).
    pub fn maap(&self) -> Option<&Addrs> {
        self.maap.as_ref().or(self.message_center.as_ref())
    }

    /// The carrier whose gateway sent `message` from `src` (by the source address or the top
    /// Via's sent-by, since a connection's source port is not its listening port); `None` when
    /// it came from the gateway's own network.
    pub fn nni_carrier(&self, message: &Message, src: SocketAddr) -> Option<Carrier> {
        let sent_by = message.vias().ok().and_then(|vias| {
            let top = vias.into_iter().next()?;
            format!("{}:{}", top.host, top.port?)
                .parse::<SocketAddr>()
                .ok()
        });
        self.gateways
            .iter()
            .find(|(_, addrs)| addrs.contains(src) || sent_by.is_some_and(|a| addrs.contains(a)))
            .map(|(carrier, _)| *carrier)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn peer(kind: RoleKind, carrier: Carrier, port: u16) -> Peer {
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        Peer {
            name: format!("{kind}-{carrier}"),
            kind,
            subscriber: None,
            sip_udp: Some(addr),
            sip_tcp: Some(addr),
            sip_tls: None,
            http: None,
            carrier,
        }
    }

    #[test]
    fn neighbours_by_kind_and_carrier() {
        let roles: BTreeMap<String, Peer> = [
            peer(RoleKind::PeerCarrier, Carrier::Cmcc, 5001),
            peer(RoleKind::PeerCarrier, Carrier::Cucc, 5002),
            peer(RoleKind::MessageCenter, Carrier::Cmcc, 5003),
            peer(RoleKind::MessageCenter, Carrier::Cucc, 5004),
        ]
        .into_iter()
        .map(|p| (p.name.clone(), p))
        .collect();
        let peers = Peers::learn(Carrier::Cmcc, &roles);
        assert!(peers.gateway(Carrier::Cmcc).is_none(), "not itself");
        let cucc = peers.gateway(Carrier::Cucc).unwrap();
        assert_eq!(cucc.get(Transport::Udp).unwrap().port(), 5002);
        assert_eq!(cucc.get(Transport::Tls), None);
        let mc = peers.message_center().unwrap();
        assert_eq!(mc.get(Transport::Tcp).unwrap().port(), 5003);
        assert_eq!(peers.maap(), Some(mc), "no MaaP: its message center");

        let from_cucc = Message::parse(
            &b"MESSAGE sip:x@y SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5002;branch=z9hG4bK1\r\n\
Content-Length: 0\r\n\r\n"[..],
        )
        .unwrap();
        let elsewhere: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        assert_eq!(
            peers.nni_carrier(&from_cucc, elsewhere),
            Some(Carrier::Cucc)
        );
        let inside = Message::parse(
            &b"MESSAGE sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5003;branch=z9hG4bK1\r\n\
Content-Length: 0\r\n\r\n"[..],
        )
        .unwrap();
        assert_eq!(peers.nni_carrier(&inside, elsewhere), None);
    }
}
