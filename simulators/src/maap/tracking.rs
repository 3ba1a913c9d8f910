//! What the MaaP remembers of its traffic: every message it sent, per recipient (so IMDNs coming
//! back map to the API message id, protocols.md §8.3, and a revoke knows whether the message was
//! delivered), the last message it sent, and the last message a user sent to a chatbot (for the
//! `last-uplink` action). Bounded: the oldest entries are dropped first.
//!
//! It also keeps the order of a message's reports right: until the answer to the MESSAGE is
//! settled ([`Tracking::settle`]), a delivery or display report from the phone that overtook that
//! answer is held ([`Tracking::hold_early`]) and handed back by `settle`, so the chatbot hears
//! the submission outcome (MessageSent) before any later status of the same message and user.

use std::collections::VecDeque;
use std::sync::Mutex;

use super::engine::{Delivery, Report, lock};

/// The most sent messages (per recipient) remembered.
const MAX_SENT: usize = 4096;

/// One message sent to one recipient.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Sent {
    pub chatbot: String,
    /// The API message id.
    pub message_id: String,
    /// The `imdn.Message-ID` it went out with (the API id, unless a fault changed it).
    pub imdn_id: String,
    /// The recipient's tel URI.
    pub recipient: String,
    /// The SIP user it was sent to (Request-URI).
    pub target: String,
    pub reports: Vec<Report>,
    pub delivery: Delivery,
    /// The values a `push` action reports.
    pub call_id: String,
    pub conversation_id: String,
    pub contribution_id: String,
}

/// The last message a user sent to a chatbot, as the `last-uplink` action shows it.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct LastUplink {
    pub chatbot: String,
    pub sender: String,
    pub content_type: String,
    pub body: String,
    pub postback: Option<String>,
    pub in_reply_to: Option<String>,
    pub message_id: String,
    pub contribution_id: Option<String>,
    pub conversation_id: Option<String>,
}

/// A report that arrived before the MESSAGE's answer: the entry as the report named it, and
/// the state it reports.
pub(crate) type Early = (Sent, Delivery);

/// One sent message as tracked: the message, whether its SIP outcome is settled, and the
/// reports held until it is.
#[derive(Debug)]
struct Entry {
    sent: Sent,
    settled: bool,
    early: Vec<Early>,
}

/// The MaaP's memory of its traffic.
#[derive(Debug, Default)]
pub(crate) struct Tracking {
    sent: Mutex<VecDeque<Entry>>,
    uplink: Mutex<Option<LastUplink>>,
    uplinks: Mutex<u64>,
}

impl Tracking {
    /// Remembers a message about to be sent.
    pub(crate) fn sent(&self, entry: Sent) {
        let mut sent = lock(&self.sent);
        if sent.len() >= MAX_SENT {
            sent.pop_front();
        }
        sent.push_back(Entry {
            sent: entry,
            settled: false,
            early: Vec::new(),
        });
    }

    /// Sets the delivery state of `message_id` to `recipient`; returns the entry as it now is.
    pub(crate) fn set(
        &self,
        message_id: &str,
        recipient: &str,
        delivery: Delivery,
    ) -> Option<Sent> {
        let mut sent = lock(&self.sent);
        let entry = sent
            .iter_mut()
            .rev()
            .find(|e| e.sent.message_id == message_id && e.sent.recipient == recipient)?;
        entry.sent.delivery = delivery;
        Some(entry.sent.clone())
    }

    /// Holds a report for `sent` (found by its Call-ID and recipient) while the answer to its
    /// MESSAGE is not settled; false when it is (or the entry is gone): report it now.
    pub(crate) fn hold_early(&self, sent: &Sent, delivery: &Delivery) -> bool {
        let mut entries = lock(&self.sent);
        let found = entries
            .iter_mut()
            .rev()
            .find(|e| e.sent.call_id == sent.call_id && e.sent.recipient == sent.recipient);
        match found {
            Some(entry) if !entry.settled => {
                entry.early.push((sent.clone(), delivery.clone()));
                true
            }
            _ => false,
        }
    }

    /// Settles the SIP outcome of `message_id` to `recipient`: its state becomes `delivery`
    /// (a revoke decided meanwhile stands) and the reports held for it are handed back, in the
    /// order they came.
    pub(crate) fn settle(
        &self,
        message_id: &str,
        recipient: &str,
        delivery: Delivery,
    ) -> Vec<Early> {
        let mut entries = lock(&self.sent);
        let found = entries
            .iter_mut()
            .rev()
            .find(|e| e.sent.message_id == message_id && e.sent.recipient == recipient);
        let Some(entry) = found else {
            return Vec::new();
        };
        if entry.sent.delivery != Delivery::Revoked {
            entry.sent.delivery = delivery;
        }
        entry.settled = true;
        std::mem::take(&mut entry.early)
    }

    /// The entry whose `imdn.Message-ID` is `imdn_id`, sent to the SIP user `from` (an IMDN
    /// comes from the recipient): matched by the user part of the recipient or target.
    pub(crate) fn by_imdn(&self, imdn_id: &str, from_user: &str) -> Option<Sent> {
        let sent = lock(&self.sent);
        let matching = sent
            .iter()
            .rev()
            .map(|e| &e.sent)
            .filter(|s| s.imdn_id == imdn_id);
        let mut first = None;
        for s in matching {
            if number(&s.recipient) == from_user || number(&s.target) == from_user {
                return Some(s.clone());
            }
            first.get_or_insert_with(|| s.clone());
        }
        first
    }

    /// The entry of `message_id` to `recipient`.
    pub(crate) fn get(&self, message_id: &str, recipient: &str) -> Option<Sent> {
        let sent = lock(&self.sent);
        sent.iter()
            .rev()
            .map(|e| &e.sent)
            .find(|s| s.message_id == message_id && number(&s.recipient) == number(recipient))
            .cloned()
    }

    /// Remembers a user's message to a chatbot.
    pub(crate) fn uplink(&self, uplink: LastUplink) {
        *lock(&self.uplink) = Some(uplink);
        *lock(&self.uplinks) += 1;
    }

    /// The last user message to a chatbot, and how many there were.
    pub(crate) fn last_uplink(&self) -> (Option<LastUplink>, u64) {
        (lock(&self.uplink).clone(), *lock(&self.uplinks))
    }
}

/// The digits of a tel or sip URI's user part, `+` kept (`tel:+86138…` and
/// `sip:+86138…@host` give the same).
pub(crate) fn number(uri: &str) -> &str {
    let bare = uri.trim().trim_start_matches('<');
    let rest = bare.split_once(':').map_or(bare, |(_, r)| r);
    let end = rest.find(['@', ';', '>', '?']).unwrap_or(rest.len());
    &rest[..end]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn entry(id: &str, to: &str) -> Sent {
        Sent {
            chatbot: "sip:12599@botplatform.rcs.chinamobile.com".into(),
            message_id: id.into(),
            imdn_id: id.into(),
            recipient: to.into(),
            target: to.into(),
            reports: vec![Report::Delivered],
            delivery: Delivery::Sent,
            call_id: format!("{id}/{to}"),
            conversation_id: "v".into(),
            contribution_id: "b".into(),
        }
    }

    #[test]
    fn imdns_map_back_by_id_and_sender() {
        let t = Tracking::default();
        t.sent(entry("m1", "tel:+8613800000001"));
        t.sent(entry("m1", "tel:+8613800000002"));
        let found = t.by_imdn("m1", "+8613800000001").unwrap();
        assert_eq!(found.recipient, "tel:+8613800000001");
        assert!(t.by_imdn("m2", "+8613800000001").is_none());
        let set = t
            .set("m1", "tel:+8613800000002", Delivery::Delivered)
            .unwrap();
        assert_eq!(set.delivery, Delivery::Delivered);
        let got = t.get("m1", "sip:+8613800000002@ims.example").unwrap();
        assert_eq!(got.delivery, Delivery::Delivered);
    }

    #[test]
    fn reports_before_the_answer_are_held_until_it_is_settled() {
        let t = Tracking::default();
        let sent = entry("m1", "tel:+8613800000001");
        t.sent(sent.clone());
        assert!(t.hold_early(&sent, &Delivery::Delivered));
        assert!(t.hold_early(&sent, &Delivery::Displayed));
        let early = t.settle("m1", "tel:+8613800000001", Delivery::Sent);
        let states: Vec<Delivery> = early.into_iter().map(|(_, d)| d).collect();
        assert_eq!(states, [Delivery::Delivered, Delivery::Displayed]);
        assert!(!t.hold_early(&sent, &Delivery::Displayed));
        assert!(
            t.settle("m1", "tel:+8613800000001", Delivery::Sent)
                .is_empty()
        );
        let unknown = entry("m2", "tel:+8613800000001");
        assert!(!t.hold_early(&unknown, &Delivery::Delivered));
    }

    #[test]
    fn a_revoke_decided_before_the_answer_stands() {
        let t = Tracking::default();
        t.sent(entry("m1", "tel:+8613800000001"));
        t.set("m1", "tel:+8613800000001", Delivery::Revoked);
        t.settle("m1", "tel:+8613800000001", Delivery::Sent);
        let got = t.get("m1", "tel:+8613800000001").unwrap();
        assert_eq!(got.delivery, Delivery::Revoked);
    }

    #[test]
    fn numbers_ignore_scheme_and_host() {
        assert_eq!(number("tel:+8613800000001"), "+8613800000001");
        assert_eq!(
            number("<sip:+8613800000001@ims;user=phone>"),
            "+8613800000001"
        );
        assert_eq!(number("sip:12599@botplatform.rcs.chinamobile.com"), "12599");
    }
}
