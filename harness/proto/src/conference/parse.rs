//! Reading conference-info (RFC 4575 §5).

use crate::xml_tree::{Element, Limits, XmlError, parse_keyword, parse_number, parse_root};

use super::{
    CONFERENCE_INFO_NS as NS, ConferenceInfo, DisconnectionMethod, ElementState, Endpoint,
    EndpointStatus, User,
};

const DOC: &str = "conference-info";

impl ConferenceInfo {
    /// Parses a conference-info document; see the module docs for what is checked.
    pub fn parse(xml: &[u8]) -> Result<Self, XmlError> {
        let root = parse_root(xml, DOC, &Limits::DEFAULT, NS, DOC)?;
        let version = root.required_attr("version", DOC)?;
        let description = root.child(NS, "conference-description");
        let users = match root.child(NS, "users") {
            Some(users) => users
                .children_named(NS, "user")
                .map(user)
                .collect::<Result<_, _>>()?,
            None => Vec::new(),
        };
        Ok(Self {
            entity: root.required_attr("entity", DOC)?.to_owned(),
            state: state(&root, "conference-info@state")?,
            version: parse_number(version, "conference-info@version")?,
            subject: description.and_then(|d| owned(d.child_text(NS, "subject"))),
            display_text: description.and_then(|d| owned(d.child_text(NS, "display-text"))),
            users,
        })
    }
}

fn user(e: &Element) -> Result<User, XmlError> {
    Ok(User {
        entity: e.required_attr("entity", "user")?.to_owned(),
        state: state(e, "user@state")?,
        display_text: owned(e.child_text(NS, "display-text")),
        endpoints: e
            .children_named(NS, "endpoint")
            .map(endpoint)
            .collect::<Result<_, _>>()?,
    })
}

fn endpoint(e: &Element) -> Result<Endpoint, XmlError> {
    let status = e
        .child_text(NS, "status")
        .map(|s| {
            parse_keyword(
                s,
                "endpoint status",
                "an RFC 4575 status",
                EndpointStatus::from_keyword,
            )
        })
        .transpose()?;
    let method = e
        .child_text(NS, "disconnection-method")
        .map(|s| {
            parse_keyword(
                s,
                "endpoint disconnection-method",
                "departed, booted, failed or busy",
                DisconnectionMethod::from_keyword,
            )
        })
        .transpose()?;
    let when = |info: &str| {
        e.child(NS, info)
            .and_then(|i| owned(i.child_text(NS, "when")))
    };
    Ok(Endpoint {
        entity: e.attr("entity").map(str::to_owned),
        state: state(e, "endpoint@state")?,
        display_text: owned(e.child_text(NS, "display-text")),
        status,
        disconnection_method: method,
        joining_when: when("joining-info"),
        disconnection_when: when("disconnection-info"),
    })
}

/// The `state` attribute, `full` when absent.
fn state(e: &Element, construct: &'static str) -> Result<ElementState, XmlError> {
    match e.attr("state") {
        None => Ok(ElementState::Full),
        Some(s) => parse_keyword(
            s,
            construct,
            "full, partial or deleted",
            ElementState::from_keyword,
        ),
    }
}

fn owned(text: Option<&str>) -> Option<String> {
    text.map(str::to_owned)
}
