//! Extracting a check's subject from a SIP message: a header, a parameter, feature tags, the CPIM
//! wrapper or the IMDN inside the body.
//!
//! Extraction never judges: it returns what is there ([`Observed`]), or why it could not be read,
//! and the predicate decides.

use std::collections::BTreeSet;

use rcs_proto::cpim::CpimMessage;
use rcs_proto::imdn::{Imdn, Notification};
use rcs_proto::sip::Message;
use rcs_proto::sip::auth::{Challenge, Credentials};

use crate::case::model::Subject;

/// What a subject looked like in one message.
#[derive(Clone, Debug, PartialEq)]
pub enum Observed {
    /// Not present.
    Absent,
    One(String),
    /// A list (all values of a header) or an order-insensitive set (feature tags).
    Many(Vec<String>),
    /// Present but unreadable: the text says why.
    Unreadable(String),
}

impl Observed {
    pub fn describe(&self) -> String {
        match self {
            Self::Absent => "(absent)".to_owned(),
            Self::One(s) => s.clone(),
            Self::Many(v) => v.join("; "),
            Self::Unreadable(why) => format!("(unreadable: {why})"),
        }
    }
}

/// CPIM namespace prefixes the case language knows, resolved by URN whatever prefix the sender bound.
const KNOWN_NAMESPACES: [(&str, &str); 3] = [
    ("imdn", "urn:ietf:params:imdn"),
    ("maap", "http://www.gsma.com/rcs/maap/"),
    ("cpm", "http://www.openmobilealliance.org/cpm/"),
];

/// Read `subject` from `msg`. `list` asks for every value of a header (for `includes`/`excludes`).
pub fn observe(msg: &Message, subject: &Subject, list: bool) -> Observed {
    match subject {
        Subject::Header { name, param: None } if list => {
            let values = msg.header_values(name);
            if values.is_empty() {
                Observed::Absent
            } else {
                Observed::Many(values)
            }
        }
        Subject::Header { name, param: None } => opt(msg.header(name)),
        Subject::Header {
            name,
            param: Some(p),
        } => header_param(msg, name, p),
        Subject::FeatureTags { header } => feature_tags(msg, header),
        Subject::Status => msg
            .status()
            .map_or(Observed::Absent, |s| Observed::One(s.to_string())),
        Subject::Reason => opt(msg.reason()),
        Subject::RequestUri => opt(msg.request_uri()),
        Subject::Body if msg.body().is_empty() => Observed::Absent,
        Subject::Body => Observed::One(String::from_utf8_lossy(msg.body()).into_owned()),
        Subject::Cpim { name } => cpim(msg, name),
        Subject::Imdn { field } => imdn(msg, field),
        Subject::Digest => opt(msg.header("Authorization")),
    }
}

fn opt(v: Option<&str>) -> Observed {
    v.map_or(Observed::Absent, |s| Observed::One(s.to_owned()))
}

/// A parameter of a header: auth params for the digest headers, `;name=value` params otherwise.
fn header_param(msg: &Message, name: &str, param: &str) -> Observed {
    let Some(value) = msg.header(name) else {
        return Observed::Absent;
    };
    let lower = name.to_ascii_lowercase();
    if lower.ends_with("-authenticate") {
        return match Challenge::parse(value) {
            Ok(c) => challenge_param(&c, param),
            Err(e) => Observed::Unreadable(e.to_string()),
        };
    }
    if lower.ends_with("authorization") {
        return match Credentials::parse(value) {
            Ok(c) => credentials_param(&c, param),
            Err(e) => Observed::Unreadable(e.to_string()),
        };
    }
    match semicolon_params(value)
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(param))
    {
        None => Observed::Absent,
        Some((_, None)) => Observed::One(String::new()),
        Some((_, Some(v))) => Observed::One(v),
    }
}

fn challenge_param(c: &Challenge, p: &str) -> Observed {
    match p.to_ascii_lowercase().as_str() {
        "realm" => Observed::One(c.realm.clone()),
        "nonce" => Observed::One(c.nonce.clone()),
        "algorithm" => c
            .algorithm
            .as_ref()
            .map_or(Observed::Absent, |a| Observed::One(a.as_str().to_owned())),
        "qop" if c.qop.is_empty() => Observed::Absent,
        "qop" => Observed::One(c.qop.join(",")),
        "opaque" => opt(c.opaque.as_deref()),
        "stale" => Observed::One(c.stale.to_string()),
        other => find_other(&c.other, other),
    }
}

fn credentials_param(c: &Credentials, p: &str) -> Observed {
    match p.to_ascii_lowercase().as_str() {
        "username" => Observed::One(c.username.clone()),
        "realm" => Observed::One(c.realm.clone()),
        "nonce" => Observed::One(c.nonce.clone()),
        "uri" => Observed::One(c.uri.clone()),
        "response" => Observed::One(c.response.clone()),
        "algorithm" => c
            .algorithm
            .as_ref()
            .map_or(Observed::Absent, |a| Observed::One(a.as_str().to_owned())),
        "cnonce" => opt(c.cnonce.as_deref()),
        "nc" => opt(c.nc.as_deref()),
        "qop" => opt(c.qop.as_deref()),
        "opaque" => opt(c.opaque.as_deref()),
        other => find_other(&c.other, other),
    }
}

fn find_other(other: &[(String, String)], name: &str) -> Observed {
    other
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map_or(Observed::Absent, |(_, v)| Observed::One(v.clone()))
}

/// `<uri;uparam>;a=b;c="x;y"` -> [(a, b), (c, x;y)]: the header parameters after the address,
/// splitting on `;` outside quotes and angle brackets.
pub fn semicolon_params(value: &str) -> Vec<(String, Option<String>)> {
    let mut parts = Vec::new();
    let (mut quoted, mut angle, mut escaped) = (false, false, false);
    let mut start = 0;
    for (i, ch) in value.char_indices() {
        match ch {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ';' if !quoted && !angle => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts
        .into_iter()
        .skip(1)
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.trim().to_owned(), Some(unquote(v.trim()))),
            None => (p.trim().to_owned(), None),
        })
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

fn unquote(v: &str) -> String {
    match v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => v.to_owned(),
    }
}

/// The feature-tag set of the first value of `header`, normalised for order-insensitive comparison.
fn feature_tags(msg: &Message, header: &str) -> Observed {
    let Some(value) = msg.header_values(header).into_iter().next() else {
        return Observed::Absent;
    };
    match crate::check::tags::normalized_tags(&value) {
        Ok(set) if set.is_empty() => Observed::Absent,
        Ok(set) => Observed::Many(set.into_iter().collect()),
        Err(e) => Observed::Unreadable(e),
    }
}

/// The CPIM wrapper of the body, when the body is `message/cpim`.
fn cpim_of(msg: &Message) -> Result<CpimMessage, Observed> {
    let ct = msg.header("Content-Type").unwrap_or_default();
    if !ct.trim().to_ascii_lowercase().starts_with("message/cpim") {
        return Err(Observed::Unreadable(format!(
            "body is not message/cpim (Content-Type: {ct})"
        )));
    }
    CpimMessage::parse(msg.body()).map_err(|e| Observed::Unreadable(e.to_string()))
}

fn cpim(msg: &Message, name: &str) -> Observed {
    let cpim = match cpim_of(msg) {
        Ok(c) => c,
        Err(o) => return o,
    };
    match name {
        "body" => match cpim.decoded_body() {
            Ok(b) => Observed::One(String::from_utf8_lossy(&b).into_owned()),
            Err(e) => Observed::Unreadable(e.to_string()),
        },
        "content-type" => opt(cpim.content_type()),
        _ => {
            if let Some((prefix, local)) = name.split_once('.')
                && let Some((_, urn)) = KNOWN_NAMESPACES.iter().find(|(p, _)| *p == prefix)
            {
                return opt(cpim.prefixed(urn, local));
            }
            opt(cpim.header(name))
        }
    }
}

fn imdn(msg: &Message, field: &str) -> Observed {
    let cpim = match cpim_of(msg) {
        Ok(c) => c,
        Err(o) => return o,
    };
    let is_imdn = cpim.content_type().is_some_and(|ct| {
        ct.trim()
            .to_ascii_lowercase()
            .starts_with("message/imdn+xml")
    });
    if !is_imdn {
        return Observed::Unreadable(format!(
            "CPIM content is not message/imdn+xml ({})",
            cpim.content_type().unwrap_or("none")
        ));
    }
    let body = match cpim.decoded_body() {
        Ok(b) => b,
        Err(e) => return Observed::Unreadable(e.to_string()),
    };
    let doc = match Imdn::parse(&body) {
        Ok(d) => d,
        Err(e) => return Observed::Unreadable(e.to_string()),
    };
    match field {
        "message-id" => Observed::One(doc.message_id),
        "datetime" => Observed::One(doc.datetime),
        "notification" => Observed::One(match doc.notification {
            Notification::Delivery(_) => "delivery".to_owned(),
            Notification::Display(_) => "display".to_owned(),
        }),
        _ => Observed::One(notification_status(&doc.notification)),
    }
}

fn notification_status(n: &Notification) -> String {
    use rcs_proto::imdn::{DeliveryStatus as D, DisplayStatus as P};
    match n {
        Notification::Delivery(D::Delivered) => "delivered",
        Notification::Delivery(D::Failed) => "failed",
        Notification::Delivery(D::Forbidden) | Notification::Display(P::Forbidden) => "forbidden",
        Notification::Delivery(D::Error) | Notification::Display(P::Error) => "error",
        Notification::Display(P::Displayed) => "displayed",
    }
    .to_owned()
}

/// Order-insensitive set of feature tags given as `a; b; c` text (what actions export as `tags`).
pub fn tag_set(text: &str) -> BTreeSet<String> {
    text.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_split_outside_quotes_and_angles() {
        let p = semicolon_params(r#"<sip:a@b;transport=tcp>;expires=60;+g.x="a;b";lr"#);
        assert_eq!(
            p,
            vec![
                ("expires".to_owned(), Some("60".to_owned())),
                ("+g.x".to_owned(), Some("a;b".to_owned())),
                ("lr".to_owned(), None)
            ]
        );
    }
}
