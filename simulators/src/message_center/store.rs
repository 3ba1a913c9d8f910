//! The message store of store-and-forward: CPM MESSAGEs kept for RCS users who are offline, in
//! arrival order, until delivered, revoked or expired (protocols.md §4.8, §4.9).
//!
//! Each user has a queue; the store is bounded per user and in total, and a message past its
//! retention (on the case clock) is taken out by [`Store::expire`]. A message being delivered is
//! marked in flight, so it neither expires nor is delivered twice meanwhile. The store keeps
//! what the re-delivery needs: the original CPIM body byte-identical, the conversation headers,
//! the sender's asserted identity. It sends nothing itself; everything is dropped with it at
//! shutdown.

use std::collections::{HashMap, VecDeque};
use std::time::Instant;

use bytes::Bytes;

/// The most messages stored for one user.
pub const MAX_PER_USER: usize = 100;

/// The most messages stored in all.
pub const MAX_TOTAL: usize = 2_000;

/// One stored MESSAGE.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// Store-wide arrival number.
    pub seq: u64,
    /// The recipient's number.
    pub recipient: String,
    /// The sender's number, when the sender is a provisioned subscriber.
    pub sender: Option<String>,
    /// The SIP From of the re-delivered request, without tag (`<sip:...>`).
    pub from: String,
    /// The SIP To of the re-delivered request.
    pub to: String,
    /// The P-Asserted-Identity of the re-delivered request.
    pub identity: Option<String>,
    /// Headers copied as they came (Accept-Contact, Conversation-ID, Contribution-ID...).
    pub headers: Vec<(String, String)>,
    /// The Content-Type of the body.
    pub content_type: String,
    /// The body, byte-identical.
    pub body: Bytes,
    /// The CPIM `imdn.Message-ID`, when there is one.
    pub imdn_id: Option<String>,
    /// Whether the sender asked for `negative-delivery`.
    pub negative: bool,
    /// When it is purged.
    pub expires_at: Instant,
    /// Whether a delivery of it is under way.
    pub in_flight: bool,
}

/// Why a message was not stored.
#[derive(Debug, PartialEq, Eq)]
pub struct Full(pub String);

/// The stored messages, per recipient number.
#[derive(Debug, Default)]
pub struct Store {
    queues: HashMap<String, VecDeque<Stored>>,
    total: usize,
    next_seq: u64,
}

impl Store {
    /// Stores `message` at the back of its recipient's queue; its `seq` is assigned here.
    pub fn push(&mut self, mut message: Stored) -> Result<u64, Full> {
        if self.total >= MAX_TOTAL {
            return Err(Full(format!("the store holds {MAX_TOTAL} messages")));
        }
        let queue = self.queues.entry(message.recipient.clone()).or_default();
        if queue.len() >= MAX_PER_USER {
            return Err(Full(format!(
                "{MAX_PER_USER} messages are stored for this user"
            )));
        }
        self.next_seq += 1;
        message.seq = self.next_seq;
        message.in_flight = false;
        queue.push_back(message);
        self.total += 1;
        Ok(self.next_seq)
    }

    /// The numbers of users with messages waiting and none in flight.
    pub fn waiting(&self) -> Vec<String> {
        let mut users: Vec<_> = self
            .queues
            .iter()
            .filter(|(_, q)| !q.is_empty() && !q.iter().any(|m| m.in_flight))
            .map(|(user, _)| user.clone())
            .collect();
        users.sort();
        users
    }

    /// Marks the next message of `user` in flight and returns it: the oldest, or the newest
    /// when `newest_first`.
    pub fn take_next(&mut self, user: &str, newest_first: bool) -> Option<Stored> {
        let queue = self.queues.get_mut(user)?;
        let next = match newest_first {
            true => queue.back_mut()?,
            false => queue.front_mut()?,
        };
        next.in_flight = true;
        Some(next.clone())
    }

    /// The delivery of `seq` ended: delivered (removed) or not (kept for the next try).
    pub fn finish(&mut self, user: &str, seq: u64, delivered: bool) -> Option<Stored> {
        let queue = self.queues.get_mut(user)?;
        let at = queue.iter().position(|m| m.seq == seq)?;
        if !delivered {
            if let Some(message) = queue.get_mut(at) {
                message.in_flight = false;
            }
            return None;
        }
        let removed = queue.remove(at);
        self.settle(user);
        removed
    }

    /// Removes the message of `user` with `imdn_id` that `owned` says the revoker sent (a
    /// subscriber by number, a chatbot by identity), unless it is in flight.
    pub fn revoke(
        &mut self,
        user: &str,
        imdn_id: &str,
        owned: impl Fn(&Stored) -> bool,
    ) -> Option<Stored> {
        let queue = self.queues.get_mut(user)?;
        let at = queue
            .iter()
            .position(|m| !m.in_flight && m.imdn_id.as_deref() == Some(imdn_id) && owned(m))?;
        let removed = queue.remove(at);
        self.settle(user);
        removed
    }

    /// The earliest expiry of a message not in flight.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.queues
            .values()
            .flatten()
            .filter(|m| !m.in_flight)
            .map(|m| m.expires_at)
            .min()
    }

    /// Takes out every message not in flight whose retention ended by `now`, oldest first.
    pub fn expire(&mut self, now: Instant) -> Vec<Stored> {
        let mut expired = Vec::new();
        for queue in self.queues.values_mut() {
            queue.retain(|m| {
                let due = !m.in_flight && m.expires_at <= now;
                if due {
                    expired.push(m.clone());
                }
                !due
            });
        }
        self.total -= expired.len();
        self.queues.retain(|_, q| !q.is_empty());
        expired.sort_by_key(|m| m.seq);
        expired
    }

    /// How many messages are stored for `user`.
    pub fn count(&self, user: &str) -> usize {
        self.queues.get(user).map_or(0, VecDeque::len)
    }

    /// One message left the queue of `user`.
    fn settle(&mut self, user: &str) {
        self.total = self.total.saturating_sub(1);
        if self.queues.get(user).is_some_and(VecDeque::is_empty) {
            self.queues.remove(user);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn message(user: &str, id: &str, expires_at: Instant) -> Stored {
        Stored {
            seq: 0,
            recipient: user.to_owned(),
            sender: Some("+8613800000001".to_owned()),
            from: "<sip:+8613800000001@ims>".to_owned(),
            to: format!("<sip:{user}@ims>"),
            identity: None,
            headers: Vec::new(),
            content_type: "message/cpim".to_owned(),
            body: Bytes::from_static(b"cpim"),
            imdn_id: Some(id.to_owned()),
            negative: false,
            expires_at,
            in_flight: false,
        }
    }

    #[test]
    fn messages_come_out_in_arrival_order_one_at_a_time() {
        let now = Instant::now();
        let mut store = Store::default();
        for id in ["m1", "m2", "m3"] {
            store.push(message("b", id, now)).unwrap();
        }
        assert_eq!(store.waiting(), ["b"]);
        let first = store.take_next("b", false).unwrap();
        assert_eq!(first.imdn_id.as_deref(), Some("m1"));
        assert!(store.waiting().is_empty(), "one delivery at a time");
        assert_eq!(store.finish("b", first.seq, false), None);
        assert_eq!(store.take_next("b", false).unwrap().seq, first.seq);
        assert!(store.finish("b", first.seq, true).is_some());
        assert_eq!(store.count("b"), 2);
        let newest = store.take_next("b", true).unwrap();
        assert_eq!(newest.imdn_id.as_deref(), Some("m3"));
    }

    #[test]
    fn revoke_needs_the_sender_and_spares_what_is_in_flight() {
        let now = Instant::now();
        let mut store = Store::default();
        store.push(message("b", "m1", now)).unwrap();
        store.push(message("b", "m2", now)).unwrap();
        let by = |number: &'static str| move |m: &Stored| m.sender.as_deref() == Some(number);
        assert!(store.revoke("b", "m2", by("+8613800000009")).is_none());
        assert!(store.revoke("b", "m9", by("+8613800000001")).is_none());
        assert!(store.revoke("b", "m2", by("+8613800000001")).is_some());
        let first = store.take_next("b", false).unwrap();
        assert!(store.revoke("b", "m1", by("+8613800000001")).is_none());
        store.finish("b", first.seq, true).unwrap();
        assert_eq!(store.count("b"), 0);
        assert!(store.waiting().is_empty());
    }

    #[test]
    fn expiry_takes_out_what_is_due_and_not_in_flight() {
        let now = Instant::now();
        let later = now + Duration::from_secs(120);
        let mut store = Store::default();
        store.push(message("b", "m1", later)).unwrap();
        store.push(message("c", "m2", later)).unwrap();
        store
            .push(message("c", "m3", later + Duration::from_secs(1)))
            .unwrap();
        assert_eq!(store.poll_timeout(), Some(later));
        store.take_next("b", false).unwrap();
        let expired = store.expire(later);
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].imdn_id.as_deref(), Some("m2"));
        assert_eq!((store.count("b"), store.count("c")), (1, 1));
    }

    #[test]
    fn the_store_is_bounded_per_user_and_in_total() {
        let now = Instant::now();
        let mut store = Store::default();
        for _ in 0..MAX_PER_USER {
            store.push(message("b", "m", now)).unwrap();
        }
        assert!(store.push(message("b", "m", now)).is_err());
        let mut user = 0;
        while store.total < MAX_TOTAL {
            user += 1;
            let name = format!("u{user}");
            for _ in 0..MAX_PER_USER {
                if store.push(message(&name, "m", now)).is_err() {
                    break;
                }
            }
        }
        assert!(store.push(message("fresh", "m", now)).is_err());
    }
}
