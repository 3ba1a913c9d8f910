//! The conference event package document `application/conference-info+xml` (RFC 4575 §5), which
//! the group chat focus sends in the NOTIFYs of the `conference` event (protocols.md §6.2).
//!
//! [`ConferenceInfo::parse`] matches elements by namespace URI
//! (`urn:ietf:params:xml:ns:conference-info`, any prefix), ignores extension elements in other
//! namespaces (such as roles UP or vendors add), refuses DOCTYPE and external entities, and
//! requires `entity` and `version` on the root (RFC 4575 §5.1; `version` mandatory is our reading,
//! [B]) and `entity` on each `user`. `state` attributes default to `full` (RFC 4575 §5.1).
//! Endpoint `status` and `disconnection-method` must be the keywords of RFC 4575 §5.7.
//! [`ConferenceInfo::to_xml`] writes the canonical layout.
//!
//! Not modelled: `host-info`, `conference-state`, `sidebars-by-*`, media, `roles`, `languages`,
//! `call-info` and `joining-method` (ignored); applying partial notifications to a full state
//! belongs to the subscriber.

mod parse;
mod write;

use crate::xml_tree::keyword_enum;

/// The namespace of the document.
pub const CONFERENCE_INFO_NS: &str = "urn:ietf:params:xml:ns:conference-info";

/// The content type of the document.
pub const CONFERENCE_INFO_CONTENT_TYPE: &str = "application/conference-info+xml";

keyword_enum! {
    /// The `state` attribute of the root, a `user` or an `endpoint`.
    ElementState {
        /// `full` (the default).
        Full = "full",
        /// `partial`: only what changed.
        Partial = "partial",
        /// `deleted`: the element is gone.
        Deleted = "deleted",
    }
}

keyword_enum! {
    /// An endpoint's `status` (RFC 4575 §5.7.1).
    EndpointStatus {
        /// `pending`.
        Pending = "pending",
        /// `dialing-out`.
        DialingOut = "dialing-out",
        /// `dialing-in`.
        DialingIn = "dialing-in",
        /// `alerting`.
        Alerting = "alerting",
        /// `on-hold`.
        OnHold = "on-hold",
        /// `connected`.
        Connected = "connected",
        /// `muted-via-focus`.
        MutedViaFocus = "muted-via-focus",
        /// `disconnecting`.
        Disconnecting = "disconnecting",
        /// `disconnected`.
        Disconnected = "disconnected",
    }
}

keyword_enum! {
    /// An endpoint's `disconnection-method` (RFC 4575 §5.7.3).
    DisconnectionMethod {
        /// `departed`: the user left.
        Departed = "departed",
        /// `booted`: the user was removed.
        Booted = "booted",
        /// `failed`.
        Failed = "failed",
        /// `busy`.
        Busy = "busy",
    }
}

/// A conference-info document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConferenceInfo {
    /// `entity`, the conference (group session) URI.
    pub entity: String,
    /// `state`.
    pub state: ElementState,
    /// `version`, increased by one per NOTIFY.
    pub version: u32,
    /// `conference-description/subject`.
    pub subject: Option<String>,
    /// `conference-description/display-text`.
    pub display_text: Option<String>,
    /// `users/user`.
    pub users: Vec<User>,
}

/// A `user` of the conference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// `entity`, the user's URI.
    pub entity: String,
    /// `state`.
    pub state: ElementState,
    /// `display-text`.
    pub display_text: Option<String>,
    /// The `endpoint` elements.
    pub endpoints: Vec<Endpoint>,
}

/// An `endpoint` of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// `entity`.
    pub entity: Option<String>,
    /// `state`.
    pub state: ElementState,
    /// `display-text`.
    pub display_text: Option<String>,
    /// `status`.
    pub status: Option<EndpointStatus>,
    /// `disconnection-method`.
    pub disconnection_method: Option<DisconnectionMethod>,
    /// `joining-info/when`, as written.
    pub joining_when: Option<String>,
    /// `disconnection-info/when`, as written.
    pub disconnection_when: Option<String>,
}

impl ConferenceInfo {
    /// A full-state document with no user.
    pub fn new(entity: &str, version: u32) -> Self {
        Self {
            entity: entity.to_owned(),
            state: ElementState::Full,
            version,
            subject: None,
            display_text: None,
            users: Vec::new(),
        }
    }

    /// The user with this entity.
    pub fn user(&self, entity: &str) -> Option<&User> {
        self.users.iter().find(|u| u.entity == entity)
    }
}

impl User {
    /// A full-state user with one endpoint of the same entity in this status.
    pub fn with_status(entity: &str, status: EndpointStatus) -> Self {
        Self {
            entity: entity.to_owned(),
            state: ElementState::Full,
            display_text: None,
            endpoints: vec![Endpoint {
                status: Some(status),
                ..Endpoint::new(entity)
            }],
        }
    }

    /// The status of the first endpoint that has one.
    pub fn status(&self) -> Option<EndpointStatus> {
        self.endpoints.iter().find_map(|e| e.status)
    }
}

impl Endpoint {
    /// A full-state endpoint with nothing but its entity.
    pub fn new(entity: &str) -> Self {
        Self {
            entity: Some(entity.to_owned()),
            state: ElementState::Full,
            display_text: None,
            status: None,
            disconnection_method: None,
            joining_when: None,
            disconnection_when: None,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
