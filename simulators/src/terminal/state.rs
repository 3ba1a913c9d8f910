//! What a terminal remembers between actions: its registration, its conversations and the
//! messages and notifications it received.
//!
//! The registration keeps one Call-ID and From tag for every REGISTER and a CSeq that only grows
//! (RFC 3261 10.2.4, 10.2), and what the last 200 taught (identity, Service-Route, expiry;
//! protocols.md §2.5). Conversations are keyed per peer number, one Conversation-ID each
//! (protocols.md §4.2). Received messages are kept per sender for IMDNs (RFC 5438 7), with caps so
//! a flood cannot grow them without bound. Nothing here does I/O.

use std::collections::{HashMap, VecDeque};

use rcs_harness::role::Subscriber;
use rcs_proto::imdn::Imdn;

use super::addr::number_of;
use super::ids;
use super::register::Registered;

/// Most received messages (and, separately, IMDNs) remembered; older ones are forgotten first.
pub(crate) const MAX_REMEMBERED: usize = 1024;

/// Most peers with a Conversation-ID.
const MAX_CONVERSATIONS: usize = 1024;

/// The registration dialog-like state of RFC 3261 10.2.
#[derive(Clone, Debug)]
pub(crate) struct Registration {
    pub call_id: String,
    pub from_tag: String,
    /// The last CSeq used; the next REGISTER uses one more.
    pub cseq: u32,
    /// The identity for From and P-Preferred-Identity of originated requests.
    pub identity: String,
    /// Route values pre-loaded on originated requests (RFC 3608).
    pub service_route: Vec<String>,
    /// Expiry the registrar granted to the current binding, if it said.
    pub expires: Option<u32>,
    /// The network falls back to SMS (`+g.gsma.rcs.msgfallback`, protocols.md §9.2), as the
    /// last 200 to REGISTER said.
    pub network_fallback: bool,
    /// The USIM answering IMS AKA challenges, when the subscriber has K and OPc; its SQN_MS
    /// persists across registrations (TS 33.102 6.3.3).
    pub usim: Option<rcs_proto::aka::Usim>,
}

impl Registration {
    fn new(subscriber: &Subscriber) -> Self {
        Self {
            call_id: ids::uuid(),
            from_tag: ids::tag(),
            cseq: 0,
            identity: subscriber.sip_uri(),
            service_route: Vec::new(),
            expires: None,
            network_fallback: false,
            usim: super::register_aka::usim(subscriber),
        }
    }

    /// The CSeq for the next REGISTER.
    pub(crate) fn next_cseq(&mut self) -> u32 {
        self.cseq = self.cseq.saturating_add(1);
        self.cseq
    }
}

/// A chat message received, as needed to answer it with IMDNs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Received {
    /// Where IMDNs go: the CPIM From, else P-Asserted-Identity, else the SIP From URI.
    pub sender: String,
    /// `imdn.Message-ID`, when the message had one.
    pub message_id: Option<String>,
    /// `imdn.Disposition-Notification` values.
    pub disposition: Vec<String>,
    pub conversation_id: Option<String>,
    pub contribution_id: Option<String>,
}

/// Everything the terminal remembers.
#[derive(Debug)]
pub(crate) struct State {
    pub registration: Registration,
    /// The identity before any 200 to REGISTER changed it.
    default_identity: String,
    conversations: HashMap<String, String>,
    received: VecDeque<Received>,
    imdns: VecDeque<Imdn>,
}

impl State {
    pub(crate) fn new(subscriber: &Subscriber) -> Self {
        Self {
            registration: Registration::new(subscriber),
            default_identity: subscriber.sip_uri(),
            conversations: HashMap::new(),
            received: VecDeque::new(),
            imdns: VecDeque::new(),
        }
    }

    /// Takes in a 200 to REGISTER (`expires` > 0) or to de-REGISTER (`expires` == 0).
    pub(crate) fn registered(&mut self, ok: Registered, requested: u32) {
        let reg = &mut self.registration;
        if requested == 0 || ok.expires == Some(0) {
            reg.identity.clone_from(&self.default_identity);
            reg.service_route.clear();
            reg.expires = None;
            reg.network_fallback = false;
            return;
        }
        reg.expires = ok.expires;
        reg.network_fallback = ok.network_fallback;
        reg.identity = ok.identity.unwrap_or_else(|| self.default_identity.clone());
        reg.service_route = ok.service_route;
    }

    /// The Conversation-ID with the peer at `target`, created on first use.
    pub(crate) fn conversation_id(&mut self, target: &str) -> String {
        let key = peer_key(target);
        if let Some(id) = self.conversations.get(&key) {
            return id.clone();
        }
        if self.conversations.len() >= MAX_CONVERSATIONS {
            self.conversations.clear();
        }
        let id = ids::uuid();
        self.conversations.insert(key, id.clone());
        id
    }

    /// Remembers a received chat message.
    pub(crate) fn remember(&mut self, received: Received) {
        push_capped(&mut self.received, received);
    }

    /// Remembers a received IMDN.
    pub(crate) fn remember_imdn(&mut self, imdn: Imdn) {
        push_capped(&mut self.imdns, imdn);
    }

    /// The IMDNs received, oldest first.
    pub(crate) fn imdns(&self) -> impl Iterator<Item = &Imdn> {
        self.imdns.iter()
    }

    /// The last message received from `sender` (any URI naming it), or from anyone.
    pub(crate) fn last_received(&self, sender: Option<&str>) -> Option<&Received> {
        let key = sender.map(peer_key);
        self.received
            .iter()
            .rev()
            .find(|r| key.as_ref().is_none_or(|k| *k == peer_key(&r.sender)))
    }

    /// The message with this `imdn.Message-ID`, from `sender` if given.
    pub(crate) fn received_by_id(
        &self,
        sender: Option<&str>,
        message_id: &str,
    ) -> Option<&Received> {
        let key = sender.map(peer_key);
        self.received.iter().rev().find(|r| {
            r.message_id.as_deref() == Some(message_id)
                && key.as_ref().is_none_or(|k| *k == peer_key(&r.sender))
        })
    }
}

/// Peers are the same when their URIs name the same number; other URIs compare as text.
fn peer_key(uri: &str) -> String {
    number_of(uri).unwrap_or_else(|| uri.trim().to_ascii_lowercase())
}

fn push_capped<T>(queue: &mut VecDeque<T>, item: T) {
    if queue.len() >= MAX_REMEMBERED {
        queue.pop_front();
    }
    queue.push_back(item);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn received(sender: &str, id: &str) -> Received {
        Received {
            sender: sender.to_owned(),
            message_id: Some(id.to_owned()),
            disposition: vec!["positive-delivery".to_owned()],
            conversation_id: None,
            contribution_id: None,
        }
    }

    #[test]
    fn registration_learns_and_forgets() {
        let sub = Subscriber::builtin(1, true);
        let mut state = State::new(&sub);
        assert_eq!(state.registration.next_cseq(), 1);
        assert_eq!(state.registration.next_cseq(), 2);
        let ok = Registered {
            expires: Some(3600),
            identity: Some("tel:+8613800000001".to_owned()),
            service_route: vec!["<sip:orig@s;lr>".to_owned()],
            network_fallback: true,
        };
        state.registered(ok, 600000);
        assert!(state.registration.network_fallback);
        assert_eq!(state.registration.identity, "tel:+8613800000001");
        assert_eq!(state.registration.expires, Some(3600));
        state.registered(Registered::default(), 0);
        assert_eq!(state.registration.identity, sub.sip_uri());
        assert!(state.registration.service_route.is_empty());
        assert_eq!(state.registration.expires, None);
        assert!(!state.registration.network_fallback);
    }

    #[test]
    fn one_conversation_per_peer_number() {
        let mut state = State::new(&Subscriber::builtin(1, true));
        let a = state.conversation_id("sip:+8613800000002@ims.example");
        assert_eq!(state.conversation_id("tel:+8613800000002"), a);
        assert_ne!(state.conversation_id("sip:+8613800000003@ims.example"), a);
    }

    #[test]
    fn finds_received_messages_per_sender() {
        let mut state = State::new(&Subscriber::builtin(1, true));
        state.remember(received("sip:+8613800000002@x", "m1"));
        state.remember(received("sip:+8613800000003@x", "m2"));
        state.remember(received("<sip:+8613800000002@x>", "m3"));
        assert_eq!(
            state.last_received(None).unwrap().message_id.as_deref(),
            Some("m3")
        );
        let from_3 = state.last_received(Some("tel:+8613800000003")).unwrap();
        assert_eq!(from_3.message_id.as_deref(), Some("m2"));
        assert!(
            state
                .received_by_id(Some("tel:+8613800000002"), "m1")
                .is_some()
        );
        assert!(
            state
                .received_by_id(Some("tel:+8613800000003"), "m1")
                .is_none()
        );
        assert!(state.last_received(Some("tel:+8613800000009")).is_none());
    }

    #[test]
    fn memory_is_capped() {
        let mut state = State::new(&Subscriber::builtin(1, true));
        for n in 0..MAX_REMEMBERED + 5 {
            state.remember(received("sip:+8613800000002@x", &format!("m{n}")));
        }
        assert_eq!(state.received.len(), MAX_REMEMBERED);
        assert!(state.received_by_id(None, "m0").is_none());
    }
}
