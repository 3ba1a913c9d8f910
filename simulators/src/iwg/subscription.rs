//! The gateway's subscription dialogs across the NNI, sans-IO: a SUBSCRIBE (the conference
//! event package of a group chat, RFC 4575) or a REFER with its implicit subscription, relayed
//! one way, makes its NOTIFYs come back the other way (RFC 6665 4.1.2, 4.2.2; RFC 3515 2.4.4;
//! protocols.md §6.2, §9.1; IWK-NNI-005).
//!
//! The border removes the Record-Route entries of both networks (topology hiding, see `border`),
//! so the NOTIFYs the notifier sends in the dialog cannot be routed by a route set: the gateway
//! keeps, per subscription dialog (its Call-ID and the subscriber's tag), which side the
//! subscriber is on (its own network or a peer carrier) and sends each NOTIFY of that dialog
//! there, through the same stateful relay and border rewrite as a MESSAGE. A subscription lasts
//! for the `Expires` of its SUBSCRIBE (and of each refresh), or what `Subscription-State` of a
//! NOTIFY says; `Subscription-State: terminated` or `Expires: 0` ends it (the final NOTIFY still
//! crosses). A NOTIFY of no known dialog gets 481. This module does not decide where the
//! SUBSCRIBE goes (see `route`) nor rewrite anything (see `border`).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rcs_harness::role::Carrier;
use rcs_proto::sip::Message;

/// The most subscription dialogs kept at once; the oldest is forgotten past it.
pub const MAX_DIALOGS: usize = 1024;

/// The duration of a subscription whose SUBSCRIBE names none (RFC 6665 4.1.2.1 lets each event
/// package choose; RFC 4575 5.3 suggests one hour), and of a REFER's implicit one.
const DEFAULT_EXPIRES: u64 = 3600;

/// The longest duration kept, whatever the request asks.
const MAX_EXPIRES: u64 = 86_400;

/// How long an ended subscription is kept for its final NOTIFY (Timer F, RFC 3261 17.1.2.2).
const FINAL_NOTIFY_GRACE: Duration = Duration::from_secs(32);

/// One side of the gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Its own network (the message center).
    Own,
    /// A peer carrier's gateway across the NNI.
    Peer(Carrier),
}

/// What the gateway keeps of one subscription dialog.
#[derive(Debug)]
struct Entry {
    subscriber: Side,
    until: Instant,
    added: Instant,
}

/// The subscription dialogs relayed across the border.
#[derive(Debug, Default)]
pub struct Subscriptions {
    dialogs: HashMap<(String, String), Entry>,
}

impl Subscriptions {
    /// Notes a SUBSCRIBE or REFER relayed from the `subscriber` side. A REFER with
    /// `Refer-Sub: false` creates no subscription (RFC 4488 4).
    pub fn on_request(&mut self, request: &Message, subscriber: Side, now: Instant) {
        let Some(key) = key(request, Tag::From) else {
            return;
        };
        let seconds = match request.method() {
            Some("SUBSCRIBE") => expires(request.header("Expires")),
            Some("REFER") if !refer_sub_off(request) => DEFAULT_EXPIRES,
            _ => return,
        };
        let until = match seconds {
            0 => now + FINAL_NOTIFY_GRACE,
            s => now + Duration::from_secs(s),
        };
        self.forget_expired(now);
        if let Some(entry) = self.dialogs.get_mut(&key) {
            entry.until = until;
            return;
        }
        if self.dialogs.len() >= MAX_DIALOGS {
            self.forget_oldest();
        }
        let entry = Entry {
            subscriber,
            until,
            added: now,
        };
        self.dialogs.insert(key, entry);
    }

    /// The side a NOTIFY goes to: its subscriber's. None when it belongs to no live dialog.
    /// A NOTIFY ending the subscription ends the dialog here once it is relayed.
    pub fn on_notify(&mut self, notify: &Message, now: Instant) -> Option<Side> {
        let key = key(notify, Tag::To)?;
        self.forget_expired(now);
        let state = notify.header("Subscription-State").unwrap_or_default();
        let entry = self.dialogs.get_mut(&key)?;
        let side = entry.subscriber;
        match subscription_state(state) {
            State::Terminated => {
                self.dialogs.remove(&key);
            }
            State::Active(Some(seconds)) => {
                entry.until = now + Duration::from_secs(seconds.min(MAX_EXPIRES));
            }
            State::Active(None) => {}
        }
        Some(side)
    }

    /// How many dialogs are kept.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.dialogs.len()
    }

    fn forget_expired(&mut self, now: Instant) {
        self.dialogs.retain(|_, e| e.until > now);
    }

    fn forget_oldest(&mut self) {
        let oldest = self
            .dialogs
            .iter()
            .min_by_key(|(_, e)| e.added)
            .map(|(k, _)| k.clone());
        if let Some(oldest) = oldest {
            self.dialogs.remove(&oldest);
        }
    }
}

/// Which header carries the subscriber's tag: From on its requests, To on the NOTIFYs.
#[derive(Clone, Copy)]
enum Tag {
    From,
    To,
}

/// The dialog key: the Call-ID and the subscriber's tag.
fn key(request: &Message, tag: Tag) -> Option<(String, String)> {
    let call_id = request.call_id()?.to_owned();
    let header = match tag {
        Tag::From => request.from_header().ok()?,
        Tag::To => request.to_header().ok()?,
    };
    Some((call_id, header.tag()?.to_owned()))
}

/// The seconds of an `Expires` value, capped; absent or unreadable gives the default.
fn expires(value: Option<&str>) -> u64 {
    value
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(DEFAULT_EXPIRES)
        .min(MAX_EXPIRES)
}

fn refer_sub_off(request: &Message) -> bool {
    request
        .header("Refer-Sub")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"))
}

/// A `Subscription-State` value (RFC 6665 8.2.3), as far as the gateway cares.
#[derive(Debug, PartialEq, Eq)]
enum State {
    Active(Option<u64>),
    Terminated,
}

fn subscription_state(value: &str) -> State {
    let mut parts = value.split(';').map(str::trim);
    if parts
        .next()
        .is_some_and(|s| s.eq_ignore_ascii_case("terminated"))
    {
        return State::Terminated;
    }
    let expires = parts
        .filter_map(|p| p.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("expires"))
        .and_then(|(_, v)| v.trim().parse::<u64>().ok());
    match expires {
        Some(0) => State::Terminated,
        other => State::Active(other),
    }
}

/// Whether the gateway relays `method` as a subscription request or its NOTIFY.
pub fn is_subscription_method(method: Option<&str>) -> bool {
    matches!(method, Some("SUBSCRIBE" | "NOTIFY" | "REFER"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn request(method: &str, extra: &str) -> Message {
        let (from_tag, to_tag) = match method {
            "NOTIFY" => ("focus1", "sub1"),
            _ => ("sub1", "focus1"),
        };
        let text = format!(
            "{method} sip:grp-1@ims.mnc000.mcc460.3gppnetwork.org SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n\
From: <sip:a@x>;tag={from_tag}\r\n\
To: <sip:b@y>;tag={to_tag}\r\n\
Call-ID: call-1\r\n\
CSeq: 1 {method}\r\n\
{extra}Content-Length: 0\r\n\r\n"
        );
        Message::parse(text.into_bytes()).unwrap()
    }

    #[test]
    fn notifies_go_to_the_subscriber_s_side_until_it_ends() {
        let now = Instant::now();
        let mut subs = Subscriptions::default();
        let subscribe = request("SUBSCRIBE", "Event: conference\r\nExpires: 600\r\n");
        subs.on_request(&subscribe, Side::Peer(Carrier::Cucc), now);
        let notify = request("NOTIFY", "Subscription-State: active;expires=600\r\n");
        assert_eq!(
            subs.on_notify(&notify, now),
            Some(Side::Peer(Carrier::Cucc))
        );
        let late = now + Duration::from_secs(601);
        assert_eq!(subs.on_notify(&notify, late), None, "expired");
        subs.on_request(&subscribe, Side::Own, now);
        let last = request(
            "NOTIFY",
            "Subscription-State: terminated;reason=timeout\r\n",
        );
        assert_eq!(subs.on_notify(&last, now), Some(Side::Own), "final NOTIFY");
        assert_eq!(subs.on_notify(&notify, now), None, "ended");
        assert_eq!(subs.len(), 0);
    }

    #[test]
    fn an_unsubscribe_keeps_the_dialog_for_its_final_notify() {
        let now = Instant::now();
        let mut subs = Subscriptions::default();
        subs.on_request(&request("SUBSCRIBE", ""), Side::Own, now);
        subs.on_request(&request("SUBSCRIBE", "Expires: 0\r\n"), Side::Own, now);
        let notify = request("NOTIFY", "Subscription-State: active\r\n");
        assert_eq!(subs.on_notify(&notify, now), Some(Side::Own));
        assert_eq!(subs.on_notify(&notify, now + Duration::from_secs(33)), None);
    }

    #[test]
    fn a_refer_subscribes_unless_refer_sub_is_false() {
        let now = Instant::now();
        let mut subs = Subscriptions::default();
        subs.on_request(&request("REFER", "Refer-Sub: false\r\n"), Side::Own, now);
        assert_eq!(subs.len(), 0);
        subs.on_request(&request("REFER", ""), Side::Peer(Carrier::Ctcc), now);
        let notify = request("NOTIFY", "Event: refer\r\n");
        assert_eq!(
            subs.on_notify(&notify, now),
            Some(Side::Peer(Carrier::Ctcc))
        );
    }

    #[test]
    fn dialogs_are_capped() {
        let now = Instant::now();
        let mut subs = Subscriptions::default();
        for n in 0..=MAX_DIALOGS {
            let text = format!(
                "SUBSCRIBE sip:g@h SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bK{n}\r\n\
From: <sip:a@x>;tag=t{n}\r\nTo: <sip:g@h>\r\nCall-ID: c{n}\r\nCSeq: 1 SUBSCRIBE\r\n\
Content-Length: 0\r\n\r\n"
            );
            let at = now + Duration::from_millis(n as u64);
            subs.on_request(&Message::parse(text.into_bytes()).unwrap(), Side::Own, at);
        }
        assert_eq!(subs.len(), MAX_DIALOGS);
    }

    #[test]
    fn subscription_states_are_read() {
        assert_eq!(subscription_state("terminated"), State::Terminated);
        assert_eq!(subscription_state("active;expires=0"), State::Terminated);
        assert_eq!(
            subscription_state("active; expires=30"),
            State::Active(Some(30))
        );
        assert_eq!(subscription_state("pending"), State::Active(None));
        assert_eq!(subscription_state(""), State::Active(None));
        assert_eq!(expires(Some("999999999")), MAX_EXPIRES);
        assert_eq!(expires(Some("x")), DEFAULT_EXPIRES);
    }
}
