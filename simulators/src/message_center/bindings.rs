//! The location service: registered contacts per subscriber, with their expiry on the case clock.
//!
//! A binding (RFC 3261 10.3) ties a subscriber's number to one Contact: the contact as the UE
//! sent it (all its parameters, feature tags included), the transport and source address of the
//! REGISTER, the address requests are sent to, and the instant it expires. A contact replaces an
//! earlier one with the same `+sip.instance` (RFC 5626 4.2) or, without one, the same URI. A
//! binding is gone once the clock reaches its expiry; lookups check this lazily, so no timer is
//! needed. This module does not authenticate or decide expiry values: see `registrar`.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use rcs_harness::events::Transport;
use rcs_proto::sip::{FeatureTags, Host, NameAddr, Uri};

/// The most contacts one subscriber may register at once.
pub const MAX_CONTACTS_PER_SUBSCRIBER: usize = 10;

/// The port of a SIP URI without one (RFC 3263 4.2, for UDP and TCP).
const DEFAULT_SIP_PORT: u16 = 5060;

/// One registered contact.
#[derive(Clone, Debug)]
pub struct Binding {
    /// The contact as registered (the `expires` parameter is not kept).
    pub contact: NameAddr,
    /// `+sip.instance`, unquoted, if the UE sent one.
    pub instance: Option<String>,
    /// The feature tags of the contact (RFC 3840).
    pub tags: FeatureTags,
    /// The transport the REGISTER came on; requests to the contact use it too.
    pub transport: Transport,
    /// Where the REGISTER came from.
    pub source: SocketAddr,
    /// Where requests for this contact are sent.
    pub target: SocketAddr,
    /// The granted expiry, in seconds.
    pub granted: u32,
    /// When the binding ends.
    pub expires_at: Instant,
    /// When it was last registered (the most recent binding is preferred).
    pub registered_at: Instant,
}

impl Binding {
    /// A binding for `contact` registered at `now` for `granted` seconds.
    pub fn new(
        contact: NameAddr,
        transport: Transport,
        source: SocketAddr,
        granted: u32,
        now: Instant,
    ) -> Self {
        let mut contact = contact;
        contact
            .params
            .retain(|(name, _)| !name.eq_ignore_ascii_case("expires"));
        let instance = contact
            .param("+sip.instance")
            .flatten()
            .map(rcs_proto::sip::unquote);
        let tags = FeatureTags::from_params(&contact.params).unwrap_or_default();
        Self {
            target: target_of(&contact.uri, source),
            contact,
            instance,
            tags,
            transport,
            source,
            granted,
            expires_at: now + Duration::from_secs(u64::from(granted)),
            registered_at: now,
        }
    }

    /// Seconds left at `now`, rounded up.
    pub fn remaining(&self, now: Instant) -> u32 {
        let left = self.expires_at.saturating_duration_since(now);
        let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        u32::try_from(secs).unwrap_or(u32::MAX)
    }

    fn same_contact(&self, other: &Self) -> bool {
        match (&self.instance, &other.instance) {
            (Some(a), Some(b)) => a == b,
            _ => self.contact.uri.as_str() == other.contact.uri.as_str(),
        }
    }
}

/// Where to send requests for a contact: its IP address and port, or, when the contact names a
/// host that would need DNS, the address the REGISTER came from.
fn target_of(uri: &Uri, source: SocketAddr) -> SocketAddr {
    let ip = match uri.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(*ip),
        Some(Host::Ipv6(ip)) => IpAddr::V6(*ip),
        Some(Host::Domain(_)) | None => return source,
    };
    SocketAddr::new(ip, uri.port().unwrap_or(DEFAULT_SIP_PORT))
}

/// Every binding, by subscriber number.
#[derive(Debug, Default)]
pub struct Bindings {
    by_number: HashMap<String, Vec<Binding>>,
    /// `message-center.ignore-binding-expiry`: bindings never expire.
    never_expire: bool,
}

impl Bindings {
    /// An empty location service; with `never_expire`, expiry is ignored (a fault).
    pub fn new(never_expire: bool) -> Self {
        Self {
            by_number: HashMap::new(),
            never_expire,
        }
    }

    /// Adds `binding` for `number`, replacing the same contact. Fails when the subscriber
    /// already has the most contacts allowed.
    pub fn upsert(&mut self, number: &str, binding: Binding, now: Instant) -> Result<(), String> {
        self.purge(number, now);
        let list = self.by_number.entry(number.to_owned()).or_default();
        if let Some(slot) = list.iter_mut().find(|b| b.same_contact(&binding)) {
            *slot = binding;
            return Ok(());
        }
        if list.len() >= MAX_CONTACTS_PER_SUBSCRIBER {
            return Err(format!(
                "{number} already has {MAX_CONTACTS_PER_SUBSCRIBER} contacts"
            ));
        }
        list.push(binding);
        Ok(())
    }

    /// Removes the binding of `contact` (matched like a refresh would be).
    pub fn remove(&mut self, number: &str, contact: &Binding) {
        if let Some(list) = self.by_number.get_mut(number) {
            list.retain(|b| !b.same_contact(contact));
        }
    }

    /// Removes every binding of `number` (`Contact: *`, RFC 3261 10.3 step 6).
    pub fn remove_all(&mut self, number: &str) {
        self.by_number.remove(number);
    }

    /// The live bindings of `number` at `now`, most recently registered first.
    pub fn live(&self, number: &str, now: Instant) -> Vec<&Binding> {
        let mut live: Vec<&Binding> = self
            .by_number
            .get(number)
            .map(|list| list.iter().filter(|b| self.is_live(b, now)).collect())
            .unwrap_or_default();
        live.sort_by_key(|b| std::cmp::Reverse(b.registered_at));
        live
    }

    /// The binding requests for `number` go to: the most recently registered live one.
    pub fn best(&self, number: &str, now: Instant) -> Option<&Binding> {
        self.live(number, now).into_iter().next()
    }

    fn is_live(&self, binding: &Binding, now: Instant) -> bool {
        self.never_expire || now < binding.expires_at
    }

    /// Forgets the expired bindings of `number`.
    fn purge(&mut self, number: &str, now: Instant) {
        let never_expire = self.never_expire;
        if let Some(list) = self.by_number.get_mut(number) {
            list.retain(|b| never_expire || now < b.expires_at);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SRC: &str = "127.0.0.1:40000";

    fn binding(contact: &str, granted: u32, now: Instant) -> Binding {
        let contact = NameAddr::parse(contact).unwrap();
        Binding::new(contact, Transport::Udp, SRC.parse().unwrap(), granted, now)
    }

    #[test]
    fn a_binding_keeps_params_but_not_expires() {
        let now = Instant::now();
        let b = binding(
            "<sip:+8613800000001@127.0.0.1:5070>;expires=600;+sip.instance=\"<urn:uuid:1>\";\
             +g.gsma.rcs.isbot",
            60,
            now,
        );
        assert_eq!(b.instance.as_deref(), Some("<urn:uuid:1>"));
        assert!(b.tags.has("+g.gsma.rcs.isbot"));
        assert!(b.contact.param("expires").is_none());
        assert_eq!(b.target, "127.0.0.1:5070".parse().unwrap());
        assert_eq!(b.remaining(now), 60);
    }

    #[test]
    fn a_domain_contact_is_reached_at_the_source_address() {
        let b = binding("<sip:ue@phone.example>", 60, Instant::now());
        assert_eq!(b.target, SRC.parse().unwrap());
        let b = binding("<sip:ue@127.0.0.2>", 60, Instant::now());
        assert_eq!(b.target, "127.0.0.2:5060".parse().unwrap());
    }

    #[test]
    fn expiry_is_checked_at_lookup() {
        let t0 = Instant::now();
        let mut bindings = Bindings::new(false);
        bindings
            .upsert("+1", binding("<sip:a@127.0.0.1:1>", 60, t0), t0)
            .unwrap();
        assert!(bindings.best("+1", t0 + Duration::from_secs(59)).is_some());
        assert!(bindings.best("+1", t0 + Duration::from_secs(60)).is_none());

        let mut forever = Bindings::new(true);
        forever
            .upsert("+1", binding("<sip:a@127.0.0.1:1>", 60, t0), t0)
            .unwrap();
        assert!(forever.best("+1", t0 + Duration::from_secs(3600)).is_some());
    }

    #[test]
    fn refresh_replaces_and_the_newest_wins() {
        let t0 = Instant::now();
        let t1 = t0 + Duration::from_secs(1);
        let mut bindings = Bindings::new(false);
        bindings
            .upsert("+1", binding("<sip:a@127.0.0.1:1>", 60, t0), t0)
            .unwrap();
        bindings
            .upsert("+1", binding("<sip:b@127.0.0.1:2>", 60, t1), t1)
            .unwrap();
        bindings
            .upsert("+1", binding("<sip:a@127.0.0.1:1>;q=1", 90, t1), t1)
            .unwrap();
        assert_eq!(bindings.live("+1", t1).len(), 2);
        let removed = binding("<sip:b@127.0.0.1:2>", 0, t1);
        bindings.remove("+1", &removed);
        let best = bindings.best("+1", t1).unwrap();
        assert_eq!(best.granted, 90);
        bindings.remove_all("+1");
        assert!(bindings.best("+1", t1).is_none());
    }

    #[test]
    fn contacts_per_subscriber_are_capped() {
        let now = Instant::now();
        let mut bindings = Bindings::new(false);
        for n in 0..MAX_CONTACTS_PER_SUBSCRIBER {
            let contact = format!("<sip:a{n}@127.0.0.1:1>");
            bindings
                .upsert("+1", binding(&contact, 60, now), now)
                .unwrap();
        }
        let extra = binding("<sip:z@127.0.0.1:1>", 60, now);
        assert!(bindings.upsert("+1", extra, now).is_err());
    }
}
