//! The state of one group chat at the focus: its members and their legs, its subscriptions to
//! the conference event package, and the conference-info documents it sends (RFC 4575 §5-6;
//! RFC 4579 §5; protocols.md §6.1-6.3).
//!
//! A member is pending while the focus's INVITE is out, connected once its leg is confirmed, and
//! disconnected when it left (BYE: `departed`) or could not be reached (`failed`). Each
//! subscription counts its own versions: the first NOTIFY is the full state with version 1,
//! every later one a partial state with the next version, carrying only what changed. Nothing
//! here sends or decides; `focus` does.

use std::net::SocketAddr;

use bytes::Bytes;
use rcs_harness::events::Transport;
use rcs_proto::conference::{
    ConferenceInfo, DisconnectionMethod, ElementState, Endpoint, EndpointStatus, User,
};
use rcs_proto::sdp::MsrpMedia;
use rcs_proto::sip::transaction::{ClientInvite, ServerInvite, TransactionKey};
use rcs_proto::sip::{Dialog, Message};

/// The most members of one group (the creator and everyone invited).
pub const MAX_MEMBERS: usize = 100;

/// The most subscriptions to one group's conference state.
pub const MAX_SUBSCRIPTIONS: usize = 100;

/// Where a member or a subscriber is reached.
#[derive(Clone, Copy, Debug)]
pub struct Reach {
    /// The transport.
    pub transport: Transport,
    /// Where requests go.
    pub dst: SocketAddr,
    /// The message center's address on that transport (Via).
    pub via_addr: SocketAddr,
}

/// How a member's leg began.
#[derive(Debug)]
pub enum Leg {
    /// The creator's INVITE to the factory, which the focus answers.
    Creator {
        /// The INVITE.
        invite: Message,
        /// Its server transaction key.
        key: Option<TransactionKey>,
        /// The server transaction.
        server: ServerInvite,
    },
    /// The focus's INVITE to a participant.
    Invited {
        /// The INVITE.
        invite: Message,
        /// Its branch.
        branch: String,
        /// The client transaction.
        client: ClientInvite,
        /// The ACK of its 2xx, sent again for a retransmitted 2xx.
        ack: Option<Bytes>,
    },
}

/// One member of a group.
#[derive(Debug)]
pub struct Member {
    /// Unique among every member of the focus (the MSRP relay's key).
    pub id: u64,
    /// The member's URI (its SIP URI when it is a known subscriber).
    pub uri: String,
    /// Its endpoint status.
    pub status: EndpointStatus,
    /// Why it is disconnected.
    pub method: Option<DisconnectionMethod>,
    /// Its leg.
    pub leg: Leg,
    /// Where its requests go.
    pub reach: Reach,
    /// The dialog, once the INVITE is answered.
    pub dialog: Option<Dialog>,
    /// The media the focus offered (invited members).
    pub offer: Option<MsrpMedia>,
}

/// One subscription to the conference state (RFC 6665 4.2, RFC 4575 4).
#[derive(Debug)]
pub struct Subscription {
    /// The subscription dialog (the focus is its notifier).
    pub dialog: Dialog,
    /// Where NOTIFYs go.
    pub reach: Reach,
    /// The version of the last NOTIFY sent.
    pub version: u32,
}

/// One group chat.
#[derive(Debug)]
pub struct Group {
    /// The user part of the group session URI.
    pub token: String,
    /// The group session URI (`conference-info` entity, Contact with `isfocus`).
    pub uri: String,
    /// The subject.
    pub subject: Option<String>,
    /// The creator, who may change the subject.
    pub chairman: String,
    /// Members in order of joining.
    pub members: Vec<Member>,
    /// Subscriptions.
    pub subscriptions: Vec<Subscription>,
}

impl Group {
    /// The member with this URI.
    pub fn member_by_uri(&self, uri: &str) -> Option<&Member> {
        self.members.iter().find(|m| same_uri(&m.uri, uri))
    }

    /// The full state for a subscription at `version`.
    pub fn full_state(&self, version: u32) -> ConferenceInfo {
        let mut info = ConferenceInfo::new(&self.uri, version);
        info.subject.clone_from(&self.subject);
        info.users = self.members.iter().map(user_of).collect();
        info
    }

    /// A partial state at `version`: the members of `changed` and, with `subject`, the subject.
    pub fn partial_state(&self, version: u32, changed: &[u64], subject: bool) -> ConferenceInfo {
        let mut info = ConferenceInfo::new(&self.uri, version);
        info.state = ElementState::Partial;
        if subject {
            info.subject.clone_from(&self.subject);
        }
        info.users = self
            .members
            .iter()
            .filter(|m| changed.contains(&m.id))
            .map(|m| User {
                state: ElementState::Partial,
                ..user_of(m)
            })
            .collect();
        info
    }
}

fn user_of(member: &Member) -> User {
    let mut user = User::with_status(&member.uri, member.status);
    if let Some(endpoint) = user.endpoints.first_mut() {
        *endpoint = Endpoint {
            status: Some(member.status),
            disconnection_method: member.method,
            ..Endpoint::new(&member.uri)
        };
    }
    user
}

/// Two URIs name the same user: the same text, or the same telephone number.
pub fn same_uri(a: &str, b: &str) -> bool {
    let key = |uri: &str| {
        let uri = uri.trim().trim_start_matches('<').trim_end_matches('>');
        let user = uri
            .split_once(':')
            .map_or(uri, |(_, rest)| rest)
            .split(['@', ';'])
            .next()
            .unwrap_or_default();
        match user.starts_with('+') {
            true => user.to_owned(),
            false => uri.to_ascii_lowercase(),
        }
    };
    key(a) == key(b)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Instant;

    use rcs_proto::sip::transaction::Timers;

    use super::*;

    fn member(id: u64, uri: &str, status: EndpointStatus) -> Member {
        let addr: SocketAddr = "127.0.0.1:5060".parse().unwrap();
        Member {
            id,
            uri: uri.to_owned(),
            status,
            method: None,
            leg: Leg::Creator {
                invite: Message::parse(Bytes::from_static(b"INVITE sip:x@y SIP/2.0\r\n\r\n"))
                    .unwrap(),
                key: None,
                server: ServerInvite::new(true, Timers::default(), Instant::now()),
            },
            reach: Reach {
                transport: Transport::Tcp,
                dst: addr,
                via_addr: addr,
            },
            dialog: None,
            offer: None,
        }
    }

    fn group() -> Group {
        Group {
            token: "grp-1".into(),
            uri: "sip:grp-1@ims".into(),
            subject: Some("周末".into()),
            chairman: "sip:+8613800000001@ims".into(),
            members: vec![
                member(1, "sip:+8613800000001@ims", EndpointStatus::Connected),
                member(2, "sip:+8613800000002@ims", EndpointStatus::Pending),
            ],
            subscriptions: Vec::new(),
        }
    }

    #[test]
    fn the_full_state_lists_every_member_with_its_status() {
        let info = group().full_state(1);
        assert_eq!((info.state, info.version), (ElementState::Full, 1));
        assert_eq!(info.subject.as_deref(), Some("周末"));
        assert_eq!(info.users.len(), 2);
        let xml = info.to_xml();
        let back = ConferenceInfo::parse(xml.as_bytes()).unwrap();
        let bob = back.user("sip:+8613800000002@ims").unwrap();
        assert_eq!(bob.status(), Some(EndpointStatus::Pending));
    }

    #[test]
    fn a_partial_state_carries_only_what_changed() {
        let mut group = group();
        group.members[1].status = EndpointStatus::Disconnected;
        group.members[1].method = Some(DisconnectionMethod::Departed);
        let info = group.partial_state(3, &[2], false);
        assert_eq!((info.state, info.version), (ElementState::Partial, 3));
        assert_eq!(info.subject, None);
        assert_eq!(info.users.len(), 1);
        let xml = info.to_xml();
        assert!(
            xml.contains("<disconnection-method>departed</disconnection-method>"),
            "{xml}"
        );
        assert!(group.partial_state(4, &[], true).to_xml().contains("周末"));
    }

    #[test]
    fn uris_of_one_number_are_the_same_user() {
        assert!(same_uri(
            "tel:+8613800000002",
            "<sip:+8613800000002@ims;user=phone>"
        ));
        assert!(!same_uri(
            "sip:+8613800000002@ims",
            "sip:+8613800000003@ims"
        ));
        assert!(same_uri("sip:grp-1@IMS", "sip:grp-1@ims"));
    }
}
