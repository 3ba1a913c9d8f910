//! What one reg-event subscription has told its subscriber, and the next document to send
//! (RFC 3680 5.1; protocols.md §2.5 rule 4).
//!
//! A [`Watched`] registration keeps the contacts last notified and the document version. Each
//! [`Watched::document`] compares them with the live bindings: a contact not seen before is
//! `active`/`registered` (`refreshed` when a known one was registered again), a known contact
//! no longer bound is `terminated` with the [`Ending`] that removed it (`expired` when its time
//! ran out, otherwise the cause given: `unregistered` for a REGISTER with expiry 0,
//! `deactivated` or `rejected` when the network ended it). Every document is a full one (RFC
//! 3680 5.2 lets a notifier always send full state): it lists each live contact, and a contact
//! that just ended once more, as terminated, so the subscriber sees why. The version grows by
//! one per document, unless the `reg-notify-no-version-increase` fault keeps it at 0.
//! This module does not send anything; see `regevent`.

use std::time::Instant;

use rcs_proto::reginfo::{
    Contact, ContactEvent, ContactState, DocState, RegInfo, Registration, RegistrationState,
};

use super::bindings::Binding;

/// Why known contacts that are no longer bound went away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// A REGISTER removed them (expiry 0): `unregistered`.
    Unregistered,
    /// The network removed them, asking for a new registration: `deactivated`.
    Deactivated,
    /// The network removed them for good: `rejected`.
    Rejected,
}

impl Ending {
    fn event(self) -> ContactEvent {
        match self {
            Self::Unregistered => ContactEvent::Unregistered,
            Self::Deactivated => ContactEvent::Deactivated,
            Self::Rejected => ContactEvent::Rejected,
        }
    }
}

/// A contact as last notified.
#[derive(Clone, Debug)]
struct Known {
    id: String,
    uri: String,
    expires_at: Instant,
    registered_at: Instant,
}

/// The registration one subscription watches.
#[derive(Debug)]
pub struct Watched {
    aor: String,
    /// The version of the next document.
    next_version: u32,
    known: Vec<Known>,
    /// `message-center.reg-notify-no-version-increase`.
    frozen_version: bool,
    /// When the contacts were last compared with the bindings: expiries up to then are done.
    checked_at: Option<Instant>,
}

impl Watched {
    /// A registration of `aor` with nothing notified yet.
    pub fn new(aor: &str, frozen_version: bool) -> Self {
        Self {
            aor: aor.to_owned(),
            next_version: 0,
            known: Vec::new(),
            frozen_version,
            checked_at: None,
        }
    }

    /// The earliest expiry of a contact notified as active that was not checked yet.
    pub fn next_expiry(&self) -> Option<Instant> {
        self.known
            .iter()
            .map(|k| k.expires_at)
            .filter(|at| self.checked_at.is_none_or(|checked| *at > checked))
            .min()
    }

    /// Whether a contact notified as active has reached its expiry by `now`, unchecked.
    pub fn expiry_due(&self, now: Instant) -> bool {
        self.next_expiry().is_some_and(|at| at <= now)
    }

    /// The document for the bindings `live` at `now`, or None when nothing changed since the
    /// last one (`force` makes one anyway: the first NOTIFY, a refreshed subscription).
    pub fn document(
        &mut self,
        live: &[&Binding],
        ending: Ending,
        force: bool,
        now: Instant,
    ) -> Option<RegInfo> {
        self.checked_at = Some(now);
        let mut contacts = Vec::new();
        let mut changed = force;
        for binding in live {
            let id = contact_id(binding);
            let event = match self.known.iter().find(|k| k.id == id) {
                None => {
                    changed = true;
                    ContactEvent::Registered
                }
                Some(known) if known.registered_at != binding.registered_at => {
                    changed = true;
                    ContactEvent::Refreshed
                }
                Some(_) => ContactEvent::Registered,
            };
            let mut contact = Contact::new(
                &id,
                ContactState::Active,
                event,
                binding.contact.uri.as_str(),
            );
            contact.expires = Some(binding.remaining(now));
            contacts.push(contact);
        }
        let live_ids: Vec<String> = contacts.iter().map(|c| c.id.clone()).collect();
        for gone in self.known.iter().filter(|k| !live_ids.contains(&k.id)) {
            changed = true;
            let event = match gone.expires_at <= now {
                true => ContactEvent::Expired,
                false => ending.event(),
            };
            let mut contact = Contact::new(&gone.id, ContactState::Terminated, event, &gone.uri);
            contact.expires = Some(0);
            contacts.push(contact);
        }
        if !changed {
            return None;
        }
        self.known = live
            .iter()
            .map(|b| Known {
                id: contact_id(b),
                uri: b.contact.uri.as_str().to_owned(),
                expires_at: b.expires_at,
                registered_at: b.registered_at,
            })
            .collect();
        let state = match live.is_empty() {
            true => RegistrationState::Terminated,
            false => RegistrationState::Active,
        };
        let version = self.next_version;
        if !self.frozen_version {
            self.next_version = self.next_version.saturating_add(1);
        }
        Some(RegInfo {
            version,
            state: DocState::Full,
            registrations: vec![Registration {
                aor: self.aor.clone(),
                id: registration_id(&self.aor),
                state,
                contacts,
            }],
        })
    }
}

/// A stable id for a contact: from its `+sip.instance`, else its URI (RFC 3680 5.1: unique
/// within the registration and constant across notifications).
fn contact_id(binding: &Binding) -> String {
    let key = binding
        .instance
        .as_deref()
        .unwrap_or(binding.contact.uri.as_str());
    format!("c{:08x}", fnv1a(key))
}

fn registration_id(aor: &str) -> String {
    format!("r{:08x}", fnv1a(aor))
}

/// FNV-1a, 32 bits: short ids that stay the same for the same input.
fn fnv1a(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5, |hash, byte| {
        (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use rcs_harness::events::Transport;
    use rcs_proto::sip::NameAddr;

    use super::*;

    fn binding(uri: &str, granted: u32, now: Instant) -> Binding {
        let contact = NameAddr::parse(uri).unwrap();
        let source = "127.0.0.1:5070".parse().unwrap();
        Binding::new(contact, Transport::Udp, source, granted, now)
    }

    #[test]
    fn full_then_refreshed_then_unregistered_with_growing_versions() {
        let t0 = Instant::now();
        let mut watched = Watched::new("sip:+8613800000001@ims.example", false);
        let a = binding("<sip:a@127.0.0.1:5070>", 3600, t0);
        let first = watched
            .document(&[&a], Ending::Unregistered, true, t0)
            .unwrap();
        assert_eq!((first.version, first.state), (0, DocState::Full));
        let reg = &first.registrations[0];
        assert_eq!(reg.state, RegistrationState::Active);
        assert_eq!(reg.contacts[0].event, ContactEvent::Registered);
        assert_eq!(reg.contacts[0].expires, Some(3600));
        assert!(
            watched
                .document(&[&a], Ending::Unregistered, false, t0)
                .is_none()
        );

        let t1 = t0 + Duration::from_secs(10);
        let again = binding("<sip:a@127.0.0.1:5070>", 3600, t1);
        let second = watched
            .document(&[&again], Ending::Unregistered, false, t1)
            .unwrap();
        assert_eq!(second.version, 1);
        assert_eq!(
            second.registrations[0].contacts[0].event,
            ContactEvent::Refreshed
        );
        assert_eq!(second.registrations[0].contacts[0].id, reg.contacts[0].id);

        let third = watched
            .document(&[], Ending::Unregistered, false, t1)
            .unwrap();
        assert_eq!(third.version, 2);
        let reg = &third.registrations[0];
        assert_eq!(reg.state, RegistrationState::Terminated);
        assert_eq!(reg.contacts[0].state, ContactState::Terminated);
        assert_eq!(reg.contacts[0].event, ContactEvent::Unregistered);
        assert_eq!(RegInfo::parse(third.to_xml().as_bytes()).unwrap(), third);
    }

    #[test]
    fn expiry_and_network_endings_are_told_apart() {
        let t0 = Instant::now();
        let mut watched = Watched::new("sip:x@ims.example", false);
        let a = binding("<sip:a@127.0.0.1:5070>", 60, t0);
        watched
            .document(&[&a], Ending::Unregistered, true, t0)
            .unwrap();
        assert_eq!(watched.next_expiry(), Some(t0 + Duration::from_secs(60)));
        let late = t0 + Duration::from_secs(60);
        assert!(watched.expiry_due(late));
        let doc = watched
            .document(&[], Ending::Deactivated, false, late)
            .unwrap();
        assert_eq!(
            doc.registrations[0].contacts[0].event,
            ContactEvent::Expired
        );

        let mut watched = Watched::new("sip:x@ims.example", false);
        watched
            .document(&[&a], Ending::Unregistered, true, t0)
            .unwrap();
        let doc = watched.document(&[], Ending::Rejected, false, t0).unwrap();
        assert_eq!(
            doc.registrations[0].contacts[0].event,
            ContactEvent::Rejected
        );
    }

    #[test]
    fn the_fault_freezes_the_version() {
        let t0 = Instant::now();
        let mut watched = Watched::new("sip:x@ims.example", true);
        let a = binding("<sip:a@127.0.0.1:5070>", 60, t0);
        assert_eq!(
            watched
                .document(&[&a], Ending::Unregistered, true, t0)
                .unwrap()
                .version,
            0
        );
        assert_eq!(
            watched
                .document(&[], Ending::Unregistered, false, t0)
                .unwrap()
                .version,
            0
        );
    }
}
