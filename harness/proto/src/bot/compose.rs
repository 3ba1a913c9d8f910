//! Putting chatbot content together and taking it apart (protocols.md §7.2, §7.5): the
//! `multipart/mixed` inner content that carries a message with its chip list, the suggestions
//! a user can tap in some content, and the response document a tap sends.
//!
//! [`with_suggestions`] writes the §7.2 layout: boundary `next`, the content part with
//! `Content-Disposition: inline; filename="Message"`, then the chip list part
//! (`filename="Chiplist.lst"`), each with its `Content-Length`. Should either body hold the line
//! `--next`, a boundary `next-<n>` that neither holds is used instead (the content type returned
//! says which).
//!
//! [`suggestions_of`] reads bot messages (standalone card, then carousel cards, in order, then
//! a root chip list), chip lists, `multipart/mixed` parts in order and the inner content of a
//! `message/cpim` wrapper. It does not validate: content that does not parse gives nothing, and an
//! item that is neither a reply nor an action is skipped.

use serde_json::{Map, Value, json};

use super::suggestions::action_kind;
use super::{
    BOTMESSAGE_TYPE, BOTSUGGESTION_TYPE, MAX_CONTENT_BYTES, MAX_MULTIPART_DEPTH, bare_type,
};
use crate::cpim::CpimMessage;
use crate::multipart::{self, Part};

/// A suggestion a user can tap.
#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    /// A suggested reply or action.
    pub kind: SuggestionKind,
    /// `displayText` (empty when missing).
    pub display_text: String,
    /// `postback.data`, if any.
    pub postback: Option<String>,
    /// The reply or action object.
    pub json: Value,
}

/// What a suggestion does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SuggestionKind {
    /// A suggested reply.
    Reply,
    /// A suggested action, as `<group>.<variant>`: `urlAction.openUrl`,
    /// `dialerAction.dialPhoneNumber`, `mapAction.requestLocationPush`,
    /// `deviceAction.requestDeviceSpecifics`… (empty when the action names no known group).
    Action(String),
}

/// The suggestion-response document for a tap (§7.5):
/// `{"response":{"reply"|"action":{"displayText":..,"postback":{"data":..}}}}`, the postback
/// left out when the suggestion has none.
pub fn response_for(s: &Suggestion) -> Value {
    let mut inner = Map::new();
    inner.insert("displayText".into(), Value::String(s.display_text.clone()));
    if let Some(data) = &s.postback {
        inner.insert("postback".into(), json!({ "data": data }));
    }
    let key = match s.kind {
        SuggestionKind::Reply => "reply",
        SuggestionKind::Action(_) => "action",
    };
    json!({ "response": { key: inner } })
}

/// The §7.2 inner content of `content` with a chip list: `suggestions` is the list itself or a
/// whole `{"suggestions":[..]}` document. Returns the content type and the body.
pub fn with_suggestions(
    content_type: &str,
    content: &[u8],
    suggestions: &Value,
) -> (String, Vec<u8>) {
    let doc = match suggestions {
        Value::Array(_) => json!({ "suggestions": suggestions }),
        other => other.clone(),
    };
    let chips = serde_json::to_vec(&doc).unwrap_or_default();
    let boundary = boundary_for(&[content, &chips]);
    let parts = [
        Part::new(content_type, content)
            .with_header("Content-Disposition", "inline; filename=\"Message\"")
            .with_header("Content-Length", &content.len().to_string()),
        Part::new(BOTSUGGESTION_TYPE, chips.clone())
            .with_header("Content-Disposition", "inline; filename=\"Chiplist.lst\"")
            .with_header("Content-Length", &chips.len().to_string()),
    ];
    (
        format!("multipart/mixed; boundary=\"{boundary}\""),
        multipart::build(&parts, &boundary),
    )
}

/// `next`, or the first `next-<n>` that no body holds after `--`.
fn boundary_for(bodies: &[&[u8]]) -> String {
    let free = |b: &str| {
        let delimiter = format!("--{b}");
        bodies
            .iter()
            .all(|body| memchr::memmem::find(body, delimiter.as_bytes()).is_none())
    };
    let mut boundary = "next".to_owned();
    let mut n = 0usize;
    while !free(&boundary) {
        n += 1;
        boundary = format!("next-{n}");
    }
    boundary
}

/// Every suggestion of a bot content, in document order (see the module documentation).
pub fn suggestions_of(content_type: &str, body: &[u8]) -> Vec<Suggestion> {
    let mut out = Vec::new();
    collect(content_type, body, 0, &mut out);
    out
}

fn collect(content_type: &str, body: &[u8], depth: usize, out: &mut Vec<Suggestion>) {
    if body.len() > MAX_CONTENT_BYTES || depth > MAX_MULTIPART_DEPTH {
        return;
    }
    match bare_type(content_type).as_str() {
        BOTMESSAGE_TYPE | BOTSUGGESTION_TYPE => {
            if let Ok(doc) = serde_json::from_slice::<Value>(body) {
                from_document(&doc, out);
            }
        }
        "multipart/mixed" => {
            for part in multipart::parse(content_type, body).unwrap_or_default() {
                let part_type = part.content_type().unwrap_or("text/plain");
                collect(part_type, &part.body, depth + 1, out);
            }
        }
        "message/cpim" => {
            if let Ok(cpim) = CpimMessage::parse(body) {
                let inner_type = cpim.content_type().unwrap_or("text/plain");
                collect(inner_type, cpim.body(), depth + 1, out);
            }
        }
        _ => {}
    }
}

fn from_document(doc: &Value, out: &mut Vec<Suggestion>) {
    if let Some(message) = doc.get("message") {
        let card = message.pointer("/generalPurposeCard/content");
        chips(card.and_then(|c| c.get("suggestions")), out);
        let carousel = message
            .pointer("/generalPurposeCardCarousel/content")
            .and_then(Value::as_array);
        for card in carousel.into_iter().flatten() {
            chips(card.get("suggestions"), out);
        }
    }
    chips(doc.get("suggestions"), out);
}

fn chips(list: Option<&Value>, out: &mut Vec<Suggestion>) {
    let items = list.and_then(Value::as_array).into_iter().flatten();
    out.extend(items.filter_map(suggestion));
}

fn suggestion(item: &Value) -> Option<Suggestion> {
    let (kind, json) = if let Some(reply) = item.get("reply").filter(|r| r.is_object()) {
        (SuggestionKind::Reply, reply)
    } else {
        let action = item.get("action")?;
        let kind = action_kind(action.as_object()?).unwrap_or_default();
        (SuggestionKind::Action(kind), action)
    };
    Some(Suggestion {
        kind,
        display_text: json
            .get("displayText")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        postback: json
            .pointer("/postback/data")
            .and_then(Value::as_str)
            .map(str::to_owned),
        json: json.clone(),
    })
}
