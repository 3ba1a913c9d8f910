//! What a terminal knows of its group chats: each group's session URI, subject and roster as the
//! conference event package told it (RFC 4575 §4-5; protocols.md §6.2), and which incoming
//! INVITEs came from a focus.
//!
//! A NOTIFY is applied only when its version is above the last one applied: a stale or repeated
//! version is ignored (RFC 4575 §4.6). A full state replaces the roster, a partial one changes the
//! users it names and removes those it marks `deleted`. Nothing here does I/O; the caps keep a
//! flood from growing the memory without bound.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, MutexGuard};

use rcs_proto::conference::{ConferenceInfo, ElementState};

/// Most groups remembered.
const MAX_GROUPS: usize = 64;

/// Most users on one roster.
const MAX_ROSTER: usize = 1024;

/// Most focus INVITEs awaiting their session.
const MAX_FOCUS_CALLS: usize = 64;

/// One group as the terminal sees it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct GroupView {
    /// The group session URI (the focus Contact).
    pub uri: String,
    pub subject: Option<String>,
    /// The version of the last conference state applied (0: none yet).
    pub version: u32,
    /// User entity to endpoint status (`connected`, `disconnected`...).
    pub roster: BTreeMap<String, String>,
    /// The terminal left the group.
    pub left: bool,
    /// Stale or repeated versions ignored.
    pub stale: u32,
}

impl GroupView {
    /// The users whose status is `connected`, comma-separated.
    pub(crate) fn connected(&self) -> String {
        self.roster
            .iter()
            .filter(|(_, status)| *status == "connected")
            .map(|(user, _)| user.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// Whether a NOTIFY changed anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Applied {
    Applied,
    Stale,
}

#[derive(Debug, Default)]
struct Inner {
    groups: Vec<GroupView>,
    focus_calls: VecDeque<String>,
}

/// The groups of one terminal.
#[derive(Debug, Default)]
pub(crate) struct Groups(Mutex<Inner>);

impl Groups {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Remembers the group `uri` (a fresh membership when it was left).
    pub(crate) fn joined(&self, uri: &str, subject: Option<&str>) {
        let mut inner = self.lock();
        if let Some(group) = inner.groups.iter_mut().find(|g| g.uri == uri) {
            group.left = false;
            return;
        }
        if inner.groups.len() >= MAX_GROUPS {
            inner.groups.remove(0);
        }
        inner.groups.push(GroupView {
            uri: uri.to_owned(),
            subject: subject.map(str::to_owned),
            ..GroupView::default()
        });
    }

    /// The newest group not left, or the one with this URI.
    pub(crate) fn find(&self, uri: Option<&str>) -> Option<GroupView> {
        let inner = self.lock();
        match uri {
            Some(uri) => inner.groups.iter().rev().find(|g| g.uri == uri),
            None => inner.groups.iter().rev().find(|g| !g.left),
        }
        .cloned()
    }

    /// Marks the group left.
    pub(crate) fn left(&self, uri: &str) {
        if let Some(group) = self.lock().groups.iter_mut().find(|g| g.uri == uri) {
            group.left = true;
        }
    }

    /// Applies a conference state to the group it names; `None` when no such group is known.
    pub(crate) fn apply(&self, info: &ConferenceInfo) -> Option<Applied> {
        let mut inner = self.lock();
        let group = inner.groups.iter_mut().find(|g| g.uri == info.entity)?;
        if info.version <= group.version {
            group.stale = group.stale.saturating_add(1);
            return Some(Applied::Stale);
        }
        group.version = info.version;
        if info.state == ElementState::Full {
            group.roster.clear();
        }
        if info.subject.is_some() {
            group.subject.clone_from(&info.subject);
        }
        for user in &info.users {
            if user.state == ElementState::Deleted {
                group.roster.remove(&user.entity);
                continue;
            }
            let status = user.status().map_or("pending", |s| s.as_str());
            if group.roster.len() < MAX_ROSTER || group.roster.contains_key(&user.entity) {
                group.roster.insert(user.entity.clone(), status.to_owned());
            }
        }
        Some(Applied::Applied)
    }

    /// Notes that the INVITE of `call_id` came from a focus (its Contact had `isfocus`).
    pub(crate) fn focus_call(&self, call_id: &str) {
        let mut inner = self.lock();
        if inner.focus_calls.len() >= MAX_FOCUS_CALLS {
            inner.focus_calls.pop_front();
        }
        inner.focus_calls.push_back(call_id.to_owned());
    }

    /// Whether the INVITE of `call_id` came from a focus; forgets it.
    pub(crate) fn take_focus_call(&self, call_id: &str) -> bool {
        let mut inner = self.lock();
        let at = inner.focus_calls.iter().position(|c| c == call_id);
        at.and_then(|at| inner.focus_calls.remove(at)).is_some()
    }
}

#[cfg(test)]
mod tests {
    use rcs_proto::conference::{EndpointStatus, User};

    use super::*;

    fn info(version: u32, state: ElementState, users: Vec<User>) -> ConferenceInfo {
        let mut info = ConferenceInfo::new("sip:grp-1@ims", version);
        info.state = state;
        info.users = users;
        info
    }

    #[test]
    fn full_then_partial_states_build_the_roster_and_stale_ones_are_ignored() {
        let groups = Groups::default();
        assert_eq!(groups.apply(&info(1, ElementState::Full, vec![])), None);
        groups.joined("sip:grp-1@ims", Some("lunch"));
        let full = info(
            1,
            ElementState::Full,
            vec![
                User::with_status("sip:a@ims", EndpointStatus::Connected),
                User::with_status("sip:b@ims", EndpointStatus::Pending),
            ],
        );
        assert_eq!(groups.apply(&full), Some(Applied::Applied));
        let mut c = User::with_status("sip:b@ims", EndpointStatus::Connected);
        c.state = ElementState::Partial;
        assert_eq!(
            groups.apply(&info(2, ElementState::Partial, vec![c])),
            Some(Applied::Applied)
        );
        let view = groups.find(None).unwrap();
        assert_eq!(view.connected(), "sip:a@ims,sip:b@ims");
        let gone = User::with_status("sip:b@ims", EndpointStatus::Disconnected);
        assert_eq!(
            groups.apply(&info(2, ElementState::Partial, vec![gone.clone()])),
            Some(Applied::Stale)
        );
        let view = groups.find(None).unwrap();
        assert_eq!(
            view.connected(),
            "sip:a@ims,sip:b@ims",
            "the stale state changed nothing"
        );
        assert_eq!((view.version, view.stale), (2, 1));
        groups.apply(&info(3, ElementState::Partial, vec![gone]));
        assert_eq!(groups.find(None).unwrap().connected(), "sip:a@ims");
        groups.left("sip:grp-1@ims");
        assert!(groups.find(None).is_none());
        assert!(groups.find(Some("sip:grp-1@ims")).is_some());
    }

    #[test]
    fn focus_calls_are_taken_once() {
        let groups = Groups::default();
        groups.focus_call("c1");
        assert!(groups.take_focus_call("c1"));
        assert!(!groups.take_focus_call("c1"));
    }
}
