//! Writing conference-info in the canonical layout.

use crate::xml_tree::XmlWriter;

use super::{CONFERENCE_INFO_NS, ConferenceInfo, ElementState, Endpoint, User};

impl ConferenceInfo {
    /// The document in the canonical layout; `state` attributes are always written.
    pub fn to_xml(&self) -> String {
        let mut w = XmlWriter::new();
        let version = self.version.to_string();
        let root = [
            ("xmlns", CONFERENCE_INFO_NS),
            ("entity", self.entity.as_str()),
            ("state", self.state.as_str()),
            ("version", version.as_str()),
        ];
        w.open("conference-info", &root);
        if self.subject.is_some() || self.display_text.is_some() {
            w.open("conference-description", &[])
                .leaf_opt("display-text", self.display_text.as_deref())
                .leaf_opt("subject", self.subject.as_deref())
                .close("conference-description");
        }
        if !self.users.is_empty() {
            w.open("users", &[]);
            self.users.iter().for_each(|u| write_user(&mut w, u));
            w.close("users");
        }
        w.close("conference-info");
        w.finish()
    }
}

fn write_user(w: &mut XmlWriter, user: &User) {
    w.open("user", &[("entity", &user.entity), state(user.state)]);
    w.leaf_opt("display-text", user.display_text.as_deref());
    user.endpoints.iter().for_each(|e| write_endpoint(w, e));
    w.close("user");
}

fn write_endpoint(w: &mut XmlWriter, e: &Endpoint) {
    let mut attrs = Vec::new();
    if let Some(entity) = &e.entity {
        attrs.push(("entity", entity.as_str()));
    }
    attrs.push(state(e.state));
    w.open("endpoint", &attrs);
    w.leaf_opt("display-text", e.display_text.as_deref());
    w.leaf_opt("status", e.status.map(|s| s.as_str()));
    w.leaf_opt(
        "disconnection-method",
        e.disconnection_method.map(|m| m.as_str()),
    );
    for (info, when) in [
        ("joining-info", &e.joining_when),
        ("disconnection-info", &e.disconnection_when),
    ] {
        if let Some(when) = when {
            w.open(info, &[]).leaf("when", &[], when).close(info);
        }
    }
    w.close("endpoint");
}

fn state(state: ElementState) -> (&'static str, &'static str) {
    ("state", state.as_str())
}
