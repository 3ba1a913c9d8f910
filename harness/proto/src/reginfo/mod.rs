//! The registration event package document `application/reginfo+xml` (RFC 3680 §5.3), carried in
//! the NOTIFYs of the `reg` event a UE subscribes to after registering (protocols.md §2.5 rule 4).
//!
//! [`RegInfo::parse`] matches elements by namespace URI (`urn:ietf:params:xml:ns:reginfo`, any
//! prefix), ignores extension elements in other namespaces (GRUU, `unknown-param`...), refuses
//! DOCTYPE and external entities, and requires what RFC 3680 §5.3 makes mandatory: `version` and
//! `state` on `reginfo`; `aor`, `id` and `state` on `registration`; `id`, `state`, `event` and a
//! `uri` child on `contact`. [`RegInfo::to_xml`] writes the canonical layout.
//!
//! Not modelled: `display-name`, `unknown-param`, `callid`, `cseq` and `retry-after` of a contact
//! (ignored); checking that versions increase across NOTIFYs belongs to the subscriber.

use crate::xml_tree::{
    Element, Limits, XmlError, XmlWriter, keyword_enum, parse_keyword, parse_number, parse_root,
};

/// The namespace of the document.
pub const REGINFO_NS: &str = "urn:ietf:params:xml:ns:reginfo";

/// The content type of the document.
pub const REGINFO_CONTENT_TYPE: &str = "application/reginfo+xml";

const DOC: &str = "reginfo";

keyword_enum! {
    /// `reginfo@state`: whether the document carries the whole state or changes.
    DocState {
        /// `full`.
        Full = "full",
        /// `partial`.
        Partial = "partial",
    }
}

keyword_enum! {
    /// `registration@state`.
    RegistrationState {
        /// `init`: no contact bound yet.
        Init = "init",
        /// `active`: at least one contact bound.
        Active = "active",
        /// `terminated`: no contact bound any more.
        Terminated = "terminated",
    }
}

keyword_enum! {
    /// `contact@state`.
    ContactState {
        /// `active`.
        Active = "active",
        /// `terminated`.
        Terminated = "terminated",
    }
}

keyword_enum! {
    /// `contact@event`: what changed the contact (RFC 3680 §5.3).
    ContactEvent {
        /// `registered`.
        Registered = "registered",
        /// `created`.
        Created = "created",
        /// `refreshed`.
        Refreshed = "refreshed",
        /// `shortened`: the network cut the expiry.
        Shortened = "shortened",
        /// `expired`.
        Expired = "expired",
        /// `deactivated`: the network ended it; the UE should re-register.
        Deactivated = "deactivated",
        /// `probation`: the network ended it; the UE retries after `retry-after`.
        Probation = "probation",
        /// `unregistered`: the network ended it; the UE must not re-register at once.
        Unregistered = "unregistered",
        /// `rejected`.
        Rejected = "rejected",
    }
}

/// A reginfo document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegInfo {
    /// `version`, increased by one per NOTIFY of the subscription.
    pub version: u32,
    /// `state`.
    pub state: DocState,
    /// The `registration` elements.
    pub registrations: Vec<Registration>,
}

/// A `registration`: one address of record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    /// `aor`, the address of record.
    pub aor: String,
    /// `id`.
    pub id: String,
    /// `state`.
    pub state: RegistrationState,
    /// The `contact` elements.
    pub contacts: Vec<Contact>,
}

/// A `contact` bound to an address of record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    /// `id`.
    pub id: String,
    /// `state`.
    pub state: ContactState,
    /// `event`.
    pub event: ContactEvent,
    /// The `uri` child.
    pub uri: String,
    /// `expires`, in seconds.
    pub expires: Option<u32>,
    /// `duration-registered`, in seconds.
    pub duration_registered: Option<u64>,
    /// `q`, as written.
    pub q: Option<String>,
}

impl Contact {
    /// A contact with the required parts.
    pub fn new(id: &str, state: ContactState, event: ContactEvent, uri: &str) -> Self {
        Self {
            id: id.to_owned(),
            state,
            event,
            uri: uri.to_owned(),
            expires: None,
            duration_registered: None,
            q: None,
        }
    }
}

impl RegInfo {
    /// Parses a reginfo document; see the module docs for what is checked.
    pub fn parse(xml: &[u8]) -> Result<Self, XmlError> {
        let root = parse_root(xml, DOC, &Limits::DEFAULT, REGINFO_NS, "reginfo")?;
        let version = parse_number(root.required_attr("version", "reginfo")?, "reginfo@version")?;
        let state = root.required_attr("state", "reginfo")?;
        let state = parse_keyword(
            state,
            "reginfo@state",
            "full or partial",
            DocState::from_keyword,
        )?;
        let registrations = root
            .children_named(REGINFO_NS, "registration")
            .map(registration)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            version,
            state,
            registrations,
        })
    }

    /// The registration of an address of record.
    pub fn registration(&self, aor: &str) -> Option<&Registration> {
        self.registrations.iter().find(|r| r.aor == aor)
    }

    /// The document in the canonical layout.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        let version = self.version.to_string();
        let root = [
            ("xmlns", REGINFO_NS),
            ("version", version.as_str()),
            ("state", self.state.as_str()),
        ];
        w.open("reginfo", &root);
        for r in &self.registrations {
            let attrs = [
                ("aor", r.aor.as_str()),
                ("id", &r.id),
                ("state", r.state.as_str()),
            ];
            w.open("registration", &attrs);
            r.contacts.iter().for_each(|c| write_contact(&mut w, c));
            w.close("registration");
        }
        w.close("reginfo");
        w.finish()
    }
}

fn registration(e: &Element) -> Result<Registration, XmlError> {
    let state = e.required_attr("state", "registration")?;
    Ok(Registration {
        aor: e.required_attr("aor", "registration")?.to_owned(),
        id: e.required_attr("id", "registration")?.to_owned(),
        state: parse_keyword(
            state,
            "registration@state",
            "init, active or terminated",
            RegistrationState::from_keyword,
        )?,
        contacts: e
            .children_named(REGINFO_NS, "contact")
            .map(contact)
            .collect::<Result<_, _>>()?,
    })
}

fn contact(e: &Element) -> Result<Contact, XmlError> {
    let state = e.required_attr("state", "contact")?;
    let event = e.required_attr("event", "contact")?;
    Ok(Contact {
        id: e.required_attr("id", "contact")?.to_owned(),
        state: parse_keyword(
            state,
            "contact@state",
            "active or terminated",
            ContactState::from_keyword,
        )?,
        event: parse_keyword(
            event,
            "contact@event",
            "an RFC 3680 event",
            ContactEvent::from_keyword,
        )?,
        uri: e.required_text(REGINFO_NS, "uri", "contact")?.to_owned(),
        expires: optional_number(e, "expires", "contact@expires")?,
        duration_registered: optional_number(
            e,
            "duration-registered",
            "contact@duration-registered",
        )?,
        q: e.attr("q").map(str::to_owned),
    })
}

fn optional_number<T: std::str::FromStr>(
    e: &Element,
    name: &str,
    construct: &'static str,
) -> Result<Option<T>, XmlError> {
    e.attr(name).map(|v| parse_number(v, construct)).transpose()
}

fn write_contact(w: &mut XmlWriter, c: &Contact) {
    let expires = c.expires.map(|v| v.to_string());
    let duration = c.duration_registered.map(|v| v.to_string());
    let mut attrs = vec![
        ("id", c.id.as_str()),
        ("state", c.state.as_str()),
        ("event", c.event.as_str()),
    ];
    let optional = [
        ("expires", expires.as_deref()),
        ("duration-registered", duration.as_deref()),
        ("q", c.q.as_deref()),
    ];
    attrs.extend(optional.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))));
    w.open("contact", &attrs)
        .leaf("uri", &[], &c.uri)
        .close("contact");
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
