//! Extracting a check's subject from a message: a header, a parameter, feature tags, the CPIM
//! wrapper or the IMDN inside the body, the SDP, a multipart part, or (MSRP) the message rebuilt
//! from its chunks.
//!
//! SIP messages and MSRP frames share the subjects `header`, `status`, `reason`, `body`, `cpim` and
//! `imdn`; `xml` and `json` read the body of any message, or the content of its message/cpim
//! wrapper (an IMDN or FT-HTTP file-info sent as CPIM); HTTP messages have their own subjects
//! ([`crate::check::http`]). A subject of another protocol reads as "not a SIP message", "not an
//! MSRP frame" or "not an HTTP message" ([`crate::case::model::Subject::protocols`] says which).
//! Extraction never judges: it returns what is there ([`Observed`]), or why it could not be read,
//! and the predicate decides.

use std::collections::BTreeSet;

use rcs_proto::cpim::CpimMessage;
use rcs_proto::imdn::{Imdn, Notification};
use rcs_proto::msrp::{Frame, FrameKind};
use rcs_proto::sip::Message;

use crate::case::model::Subject;
use crate::check::content;
use crate::check::header::{lines, param_lines};
use crate::check::message::Msg;

/// What a subject looked like in one message.
#[derive(Clone, Debug, PartialEq)]
pub enum Observed {
    /// Not present.
    Absent,
    One(String),
    /// A list (all values of a header) or an order-insensitive set (feature tags).
    Many(Vec<String>),
    /// A header on several lines (or its parameter on several lines), one value per line: a
    /// predicate is judged on each line ([`crate::check::predicate`] says how they combine).
    Each(Vec<String>),
    /// Present but unreadable: the text says why.
    Unreadable(String),
    /// The subject does not exist in this protocol: `not a SIP message`, `not an MSRP frame`.
    NotApplicable(&'static str),
}

impl Observed {
    pub fn describe(&self) -> String {
        match self {
            Self::Absent => "(absent)".to_owned(),
            Self::One(s) => s.clone(),
            Self::Many(v) => v.join("; "),
            Self::Each(v) => format!("{} lines: {}", v.len(), v.join(" | ")),
            Self::Unreadable(why) => format!("(unreadable: {why})"),
            Self::NotApplicable(what) => format!("({what})"),
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
/// A `message:` subject is read from `msg` alone (see [`observe_in`]).
pub fn observe(msg: &Msg, subject: &Subject, list: bool) -> Observed {
    observe_in(msg, &[msg], subject, list)
}

/// Read `subject` from `msg`, one of the messages `group` an expectation matched: `message:`
/// subjects describe the whole group.
pub fn observe_in(msg: &Msg, group: &[&Msg], subject: &Subject, list: bool) -> Observed {
    match (msg, subject) {
        (Msg::Http(h), _) => crate::check::http::observe(h, subject, list),
        (_, Subject::Query { .. } | Subject::Form { .. }) => {
            Observed::NotApplicable("not an HTTP message")
        }
        (Msg::Msrp(_), Subject::Message { field }) => crate::check::rebuilt::observe(group, field),
        (Msg::Msrp(f), Subject::Bot { field }) => {
            crate::check::bot::observe(crate::check::bot_content::msrp(f, group), field, list)
        }
        (Msg::Sip(_), Subject::Message { .. }) => Observed::NotApplicable("not an MSRP frame"),
        (Msg::Sip(m), Subject::Xml { .. } | Subject::Json { .. }) => {
            document(content::sip_document(m), subject, list)
        }
        (Msg::Msrp(f), Subject::Xml { .. } | Subject::Json { .. }) => {
            document(content::msrp_document(f, group), subject, list)
        }
        (Msg::Sip(m), _) => observe_sip(m, subject, list),
        (Msg::Msrp(f), _) => observe_msrp(f, subject, list),
    }
}

/// `xml:` or `json:` of a message's document (see [`content::sip_document`]).
fn document(doc: Result<Vec<u8>, Observed>, subject: &Subject, list: bool) -> Observed {
    let doc = match doc {
        Ok(d) => d,
        Err(o) => return o,
    };
    match subject {
        Subject::Xml { path } => crate::check::http::body_xml(&doc, path, list),
        Subject::Json { pointer } => crate::check::http::body_json(&doc, pointer, list),
        _ => Observed::NotApplicable("not a body reader"),
    }
}

fn observe_sip(msg: &Message, subject: &Subject, list: bool) -> Observed {
    match subject {
        Subject::Header { name, param: None } if list => {
            let values = msg.header_values(name);
            if values.is_empty() {
                Observed::Absent
            } else {
                Observed::Many(values)
            }
        }
        Subject::Header { name, param: None } => lines(msg.header_all(name)),
        Subject::Header {
            name,
            param: Some(p),
        } => param_lines(msg.header_all(name), name, p),
        Subject::FeatureTags { header } => feature_tags(msg, header),
        Subject::Status => msg
            .status()
            .map_or(Observed::Absent, |s| Observed::One(s.to_string())),
        Subject::Reason => opt(msg.reason()),
        Subject::RequestUri => opt(msg.request_uri()),
        Subject::Body if msg.body().is_empty() => Observed::Absent,
        Subject::Body => Observed::One(String::from_utf8_lossy(msg.body()).into_owned()),
        Subject::Cpim { name } => cpim(content::sip_cpim(msg), name),
        Subject::Imdn { field } => imdn(content::sip_cpim(msg), field),
        Subject::Digest => opt(msg.header("Authorization")),
        Subject::Bot { field } => {
            crate::check::bot::observe(crate::check::bot_content::sip(msg), field, list)
        }
        Subject::Sdp { name } => content::sdp(msg, name, list),
        Subject::Part { media_type } => content::part(msg, media_type),
        Subject::Message { .. } => Observed::NotApplicable("not an MSRP frame"),
        Subject::Query { .. } | Subject::Form { .. } => {
            Observed::NotApplicable("not an HTTP message")
        }
        // Read by `observe_in`, from the body.
        Subject::Xml { .. } | Subject::Json { .. } => Observed::NotApplicable("not a body reader"),
    }
}

/// The subjects of an MSRP frame (RFC 4975 §7.1, §7.2): its headers, status, comment and content.
fn observe_msrp(frame: &Frame, subject: &Subject, list: bool) -> Observed {
    match subject {
        Subject::Header { name, param: None } if list => {
            let values: Vec<String> = frame
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .flat_map(|(_, v)| v.split(',').map(|x| x.trim().to_owned()))
                .collect();
            match values.is_empty() {
                true => Observed::Absent,
                false => Observed::Many(values),
            }
        }
        Subject::Header { name, param } => {
            let values: Vec<&str> = frame
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
                .collect();
            match param {
                None => lines(values),
                Some(p) => param_lines(values, name, p),
            }
        }
        Subject::Status => frame
            .status_code()
            .map_or(Observed::Absent, |s| Observed::One(s.to_string())),
        Subject::Reason => match &frame.kind {
            FrameKind::Response { comment, .. } => opt(comment.as_deref()),
            FrameKind::Request { .. } => Observed::Absent,
        },
        Subject::Body if frame.body.is_empty() => Observed::Absent,
        Subject::Body => Observed::One(String::from_utf8_lossy(&frame.body).into_owned()),
        Subject::Cpim { name } => cpim(content::msrp_cpim(frame), name),
        Subject::Imdn { field } => imdn(content::msrp_cpim(frame), field),
        Subject::RequestUri
        | Subject::FeatureTags { .. }
        | Subject::Digest
        | Subject::Sdp { .. }
        | Subject::Part { .. } => Observed::NotApplicable("not a SIP message"),
        Subject::Query { .. } | Subject::Form { .. } => {
            Observed::NotApplicable("not an HTTP message")
        }
        // Read by `observe_in`, which has the matched chunks and the body readers.
        Subject::Message { .. }
        | Subject::Xml { .. }
        | Subject::Json { .. }
        | Subject::Bot { .. } => Observed::NotApplicable("not a rebuilt message"),
    }
}

fn opt(v: Option<&str>) -> Observed {
    v.map_or(Observed::Absent, |s| Observed::One(s.to_owned()))
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

fn cpim(wrapper: Result<CpimMessage, Observed>, name: &str) -> Observed {
    let cpim = match wrapper {
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

fn imdn(wrapper: Result<CpimMessage, Observed>, field: &str) -> Observed {
    let cpim = match wrapper {
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
    let body = match content::cpim_content(&cpim) {
        Ok(b) => b,
        Err(o) => return o,
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

    fn msg(text: &str) -> Msg {
        Msg::Sip(Message::parse(text.replace('\n', "\r\n").into_bytes()).unwrap())
    }

    #[test]
    fn digest_and_address_parameters() {
        let m = msg(
            "SIP/2.0 401 Unauthorized\nWWW-Authenticate: Digest realm=\"ims.example\", nonce=\"abc\", algorithm=MD5, qop=\"auth\"\nContact: <sip:a@127.0.0.1;transport=udp>;expires=60;+g.x\nContent-Length: 0\n\n",
        );
        let realm = Subject::Header {
            name: "WWW-Authenticate".into(),
            param: Some("realm".into()),
        };
        assert_eq!(
            observe(&m, &realm, false),
            Observed::One("ims.example".into())
        );
        let qop = Subject::Header {
            name: "www-authenticate".into(),
            param: Some("qop".into()),
        };
        assert_eq!(observe(&m, &qop, false), Observed::One("auth".into()));
        let transport = Subject::Header {
            name: "Contact".into(),
            param: Some("transport".into()),
        };
        assert_eq!(
            observe(&m, &transport, false),
            Observed::Absent,
            "a URI parameter is not a header parameter"
        );
        let flag = Subject::Header {
            name: "m".into(),
            param: Some("+g.x".into()),
        };
        assert_eq!(observe(&m, &flag, false), Observed::One(String::new()));
    }

    #[test]
    fn cpim_prefixes_resolve_by_namespace() {
        let body = "From: <sip:a@x>\nTo: <sip:b@x>\nDateTime: 2025-03-01T10:00:00.000+08:00\nNS: i <urn:ietf:params:imdn>\ni.Message-ID: Qm9t3XkA7\n\nContent-Type: text/plain\n\nhi".replace('\n', "\r\n");
        let text = format!(
            "MESSAGE sip:b@x SIP/2.0\r\nContent-Type: message/cpim\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let m = Msg::Sip(Message::parse(text.into_bytes()).unwrap());
        let id = Subject::Cpim {
            name: "imdn.Message-ID".into(),
        };
        assert_eq!(observe(&m, &id, false), Observed::One("Qm9t3XkA7".into()));
        assert_eq!(
            observe(
                &m,
                &Subject::Cpim {
                    name: "body".into()
                },
                false
            ),
            Observed::One("hi".into())
        );
        let imdn = Subject::Imdn {
            field: "status".into(),
        };
        assert!(
            matches!(observe(&m, &imdn, false), Observed::Unreadable(_)),
            "a chat message is not an IMDN"
        );
    }

    #[test]
    fn xml_reads_the_document_inside_cpim() {
        let info = "<?xml version=\"1.0\"?><file xmlns=\"urn:gsma:params:xml:ns:rcs:rcs:fthttp\"><file-info type=\"file\"><file-size>1024</file-size><data url=\"https://cs.example/f1\" until=\"2025-03-08T10:00:00Z\"/></file-info></file>";
        let body = format!(
            "From: <sip:a@x>\r\nTo: <sip:b@x>\r\nNS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: Qm9t3XkA7\r\n\r\nContent-Type: application/vnd.gsma.rcs-ft-http+xml\r\nContent-Length: {}\r\n\r\n{info}",
            info.len()
        );
        let sip = |ct: &str, body: &str| {
            let text = format!(
                "MESSAGE sip:b@x SIP/2.0\r\nContent-Type: {ct}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            Msg::Sip(Message::parse(text.into_bytes()).unwrap())
        };
        let url = Subject::Xml {
            path: "file-info[@type=file]/data/@url".into(),
        };
        let wrapped = sip("message/cpim", &body);
        assert_eq!(
            observe(&wrapped, &url, false),
            Observed::One("https://cs.example/f1".into())
        );
        let bare = sip("application/vnd.gsma.rcs-ft-http+xml", info);
        assert_eq!(
            observe(&bare, &url, false),
            Observed::One("https://cs.example/f1".into())
        );
        let broken = sip("message/cpim", "not cpim");
        assert!(matches!(
            observe(&broken, &url, false),
            Observed::Unreadable(_)
        ));
    }

    #[test]
    fn msrp_frames_share_the_message_subjects() {
        let cpim = "From: <sip:anonymous@anonymous.invalid>\r\nTo: <sip:anonymous@anonymous.invalid>\r\nNS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: Xk29aaQ1\r\n\r\nContent-Type: message/imdn+xml\r\n\r\n<?xml version=\"1.0\" encoding=\"UTF-8\"?><imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"><message-id>M0a1b2c3</message-id><datetime>2025-03-01T10:00:00.000+08:00</datetime><delivery-notification><status><delivered/></status></delivery-notification></imdn>";
        let text = format!(
            "MSRP t9x8y7 SEND\r\nTo-Path: msrp://b.example:7394/s1;tcp\r\nFrom-Path: msrp://a.example:7777/s2;tcp\r\nMessage-ID: Mz1y2x3\r\nByte-Range: 1-{n}/{n}\r\nContent-Type: message/cpim\r\n\r\n{cpim}\r\n-------t9x8y7$\r\n",
            n = cpim.len()
        );
        let m = Msg::parse(crate::events::Protocol::Msrp, text.as_bytes()).unwrap();
        let header = |name: &str| Subject::Header {
            name: name.into(),
            param: None,
        };
        assert_eq!(
            observe(&m, &header("message-id"), false),
            Observed::One("Mz1y2x3".into())
        );
        assert_eq!(observe(&m, &Subject::Status, false), Observed::Absent);
        let imdn = Subject::Imdn {
            field: "message-id".into(),
        };
        assert_eq!(observe(&m, &imdn, false), Observed::One("M0a1b2c3".into()));
        let xml = Subject::Xml {
            path: "delivery-notification/status/*".into(),
        };
        assert_eq!(
            observe(&m, &xml, true),
            Observed::Many(vec![String::new()]),
            "the IMDN inside the CPIM of an MSRP SEND"
        );
        let id = Subject::Xml {
            path: "message-id".into(),
        };
        assert_eq!(observe(&m, &id, false), Observed::One("M0a1b2c3".into()));
        let id = Subject::Cpim {
            name: "imdn.Message-ID".into(),
        };
        assert_eq!(observe(&m, &id, false), Observed::One("Xk29aaQ1".into()));
        for sip_only in [
            Subject::RequestUri,
            Subject::Sdp {
                name: "setup".into(),
            },
        ] {
            let o = observe(&m, &sip_only, false);
            assert_eq!(o.describe(), "(not a SIP message)");
        }
        let ok = "MSRP t9x8y7 403 Forbidden\r\nTo-Path: msrp://a.example:7777/s2;tcp\r\nFrom-Path: msrp://b.example:7394/s1;tcp\r\n-------t9x8y7$\r\n";
        let r = Msg::parse(crate::events::Protocol::Msrp, ok.as_bytes()).unwrap();
        assert_eq!(
            observe(&r, &Subject::Status, false),
            Observed::One("403".into())
        );
        assert_eq!(
            observe(&r, &Subject::Reason, false),
            Observed::One("Forbidden".into())
        );
        assert_eq!(observe(&r, &Subject::Body, false), Observed::Absent);
        let sip = msg("MESSAGE sip:b@x SIP/2.0\nContent-Length: 0\n\n");
        let size = Subject::Message {
            field: "size".into(),
        };
        assert_eq!(
            observe(&sip, &size, false).describe(),
            "(not an MSRP frame)"
        );
    }
}
