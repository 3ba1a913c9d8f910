//! Chatbot content (protocols.md §7.2-§7.6, RCC.07 §3.6.10): the bot message, suggestion,
//! suggestion-response, shared-client-data and menu JSON documents, the spam report XML, and
//! the `multipart/mixed` content that carries a message with its chip list.
//!
//! The validators check a parsed document against the GSMA chatbot message and menu schemas
//! (the tables of protocols.md §7.3 and §7.4) and return every violation, each located by an
//! RFC 6901 pointer into the document and described in lowercase:
//! `/message/generalPurposeCardCarousel/content: 13 cards, at most 12`. Lengths count Unicode
//! scalar values, so a Chinese character counts one.
//!
//! Unknown members are errors: the GSMA schema is read as closed (additionalProperties false),
//! so a misspelt member such as `displaytext` is reported instead of ignored. The CT/CU
//! examples' deviations (`descriptionFontStyle: ["calibri"]`, an `openUrl` without
//! `application`) are therefore errors under every [`Limits`].
//!
//! [`Limits::China`] adds the stricter China Telecom / China Unicom platform limits
//! (protocols.md §7.3, §7.4, §14): `text/plain` at most 2000 characters; a menu of two levels
//! with at most 3 top-level and 5 sub-menu entries; media by type (image at most 2 MiB JPEG or
//! PNG, audio 5 MiB AMR/MP3/M4A, video 10 MiB MP4/WEBM, thumbnail 200 KiB JPEG or PNG, judged by
//! `mediaContentType` and `mediaFileSize`). The chip-list, per-card, `displayText` and carousel
//! limits are the same in both.
//!
//! The validators follow the schema's fixed structure and never recurse on the input's own
//! nesting, so no document can exhaust the stack; serde_json caps the nesting it parses.
//!
//! Not here: the durations of audio and video (the JSON does not carry them), fetching media, and
//! the northbound developer-API documents (`rcs_proto::nbi`).

mod compose;
mod menu;
mod message;
mod response;
mod schema;
mod spam;
mod suggestions;

pub use compose::{Suggestion, SuggestionKind, response_for, suggestions_of, with_suggestions};
pub use menu::validate_menu;
pub use message::{MAX_CAROUSEL_CARDS, MIN_CAROUSEL_CARDS, validate_message};
pub use response::{
    device_specifics, geo_fallback, parse_geo_fallback, validate_response, validate_shared_data,
};
pub use spam::{MAX_SPAM_MESSAGE_IDS, SPAM_REPORT_NS, SpamReport};
pub use suggestions::{
    MAX_CARD_SUGGESTIONS, MAX_CHIPS, MAX_DISPLAY_TEXT, MAX_POSTBACK, validate_suggestions,
};

use crate::multipart;
use schema::child;

/// The bot message (rich card, carousel) content type.
pub const BOTMESSAGE_TYPE: &str = "application/vnd.gsma.botmessage.v1.0+json";
/// The suggestion chip-list content type.
pub const BOTSUGGESTION_TYPE: &str = "application/vnd.gsma.botsuggestion.v1.0+json";
/// The content type of a user's tap on a suggestion (§7.5).
pub const SUGGESTION_RESPONSE_TYPE: &str = "application/vnd.gsma.botsuggestion.response.v1.0+json";
/// The content type of shared client data such as device specifics (§7.5).
pub const SHARED_CLIENT_DATA_TYPE: &str = "application/vnd.gsma.botsharedclientdata.v1.0+json";
/// The spam report content type (§7.6).
pub const SPAM_REPORT_TYPE: &str = "application/vnd.gsma.rcsspam-report+xml";
/// The geolocation push content type (§7.5).
pub const PUSH_LOCATION_TYPE: &str = "application/vnd.gsma.rcspushlocation+xml";
/// The CPIM namespace of chatbot headers such as `maap.Traffic-Type` (§7.1).
pub const MAAP_NS: &str = "http://www.gsma.com/rcs/maap/";

/// The largest content [`validate_content`] reads.
pub const MAX_CONTENT_BYTES: usize = 1024 * 1024;

/// The deepest `multipart/mixed` nesting [`validate_content`] and [`suggestions_of`] follow.
pub const MAX_MULTIPART_DEPTH: usize = 2;

/// The limits a document is validated against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limits {
    /// The GSMA chatbot message and menu schemas.
    Gsma,
    /// GSMA plus the China Telecom / China Unicom platform limits (protocols.md §7.3, §7.4, §14).
    China,
}

impl Limits {
    /// The most entries of the top-level menu.
    pub fn menu_top_entries(self) -> usize {
        match self {
            Self::Gsma => 5,
            Self::China => 3,
        }
    }

    /// The most entries of a sub-menu.
    pub fn menu_sub_entries(self) -> usize {
        5
    }

    /// The most menu levels (the top level counts one).
    pub fn menu_levels(self) -> usize {
        match self {
            Self::Gsma => 3,
            Self::China => 2,
        }
    }

    /// The most characters of a `text/plain` message, if capped.
    pub fn text_characters(self) -> Option<usize> {
        match self {
            Self::Gsma => None,
            Self::China => Some(2000),
        }
    }
}

/// One violation, located by RFC 6901 pointer into the document:
/// "/message/generalPurposeCardCarousel/content/3/title: 201 characters, at most 200".
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{pointer}: {detail}")]
pub struct BotError {
    /// The RFC 6901 pointer of the member at fault (`""` is the whole document).
    pub pointer: String,
    /// What is wrong, in lowercase.
    pub detail: String,
}

impl BotError {
    /// A violation at `pointer`.
    pub fn new(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            pointer: pointer.into(),
            detail: detail.into(),
        }
    }
}

/// Any chatbot content by its media type (parameters ignored): the JSON types above,
/// `text/plain` (at most 2000 characters under [`Limits::China`]), the spam report, and
/// `multipart/mixed` (each part, pointers prefixed `/part/<n>`, n from 0; a part whose
/// Content-Length differs from its body is an error). Other types (files, location push) are
/// not chatbot JSON and give no error. `Err` means the content cannot be parsed at all (JSON,
/// multipart, or over [`MAX_CONTENT_BYTES`]); a part that cannot be parsed is an error at its
/// pointer.
pub fn validate_content(
    content_type: &str,
    body: &[u8],
    limits: Limits,
) -> Result<Vec<BotError>, String> {
    if body.len() > MAX_CONTENT_BYTES {
        return Err(format!(
            "failed to read the chatbot content: {} bytes, at most {MAX_CONTENT_BYTES}",
            body.len()
        ));
    }
    content_errors(content_type, body, limits, 0)
}

fn content_errors(
    content_type: &str,
    body: &[u8],
    limits: Limits,
    depth: usize,
) -> Result<Vec<BotError>, String> {
    let media_type = bare_type(content_type);
    let json: Option<fn(&serde_json::Value, Limits) -> Vec<BotError>> = match media_type.as_str() {
        BOTMESSAGE_TYPE => Some(validate_message),
        BOTSUGGESTION_TYPE => Some(validate_suggestions),
        SUGGESTION_RESPONSE_TYPE => Some(|doc, _| validate_response(doc)),
        SHARED_CLIENT_DATA_TYPE => Some(|doc, _| validate_shared_data(doc)),
        _ => None,
    };
    if let Some(validate) = json {
        let doc = serde_json::from_slice(body)
            .map_err(|e| format!("failed to parse {media_type} as json: {e}"))?;
        return Ok(validate(&doc, limits));
    }
    match media_type.as_str() {
        "text/plain" => Ok(text_errors(body, limits)),
        SPAM_REPORT_TYPE => Ok(SpamReport::parse(body)
            .err()
            .map(|e| BotError::new("", e))
            .into_iter()
            .collect()),
        "multipart/mixed" => multipart_errors(content_type, body, limits, depth),
        _ => Ok(Vec::new()),
    }
}

fn text_errors(body: &[u8], limits: Limits) -> Vec<BotError> {
    let Ok(text) = std::str::from_utf8(body) else {
        return vec![BotError::new("", "the text is not utf-8")];
    };
    let count = text.chars().count();
    match limits.text_characters() {
        Some(max) if count > max => {
            vec![BotError::new(
                "",
                format!("{count} characters, at most {max}"),
            )]
        }
        _ => Vec::new(),
    }
}

fn multipart_errors(
    content_type: &str,
    body: &[u8],
    limits: Limits,
    depth: usize,
) -> Result<Vec<BotError>, String> {
    if depth >= MAX_MULTIPART_DEPTH {
        return Ok(vec![BotError::new(
            "",
            format!("multipart nested deeper than {MAX_MULTIPART_DEPTH} levels"),
        )]);
    }
    let parts = multipart::parse(content_type, body).map_err(|e| format!("failed to {e}"))?;
    let mut errors = Vec::new();
    for (n, part) in parts.iter().enumerate() {
        let prefix = child("/part", &n.to_string());
        if let Some(declared) = part.header("Content-Length")
            && declared.trim().parse::<usize>().ok() != Some(part.body.len())
        {
            errors.push(BotError::new(
                &prefix,
                format!(
                    "content-length {declared} but the part body has {} bytes",
                    part.body.len()
                ),
            ));
        }
        let part_type = part.content_type().unwrap_or("text/plain");
        match content_errors(part_type, &part.body, limits, depth + 1) {
            Ok(found) => errors.extend(found.into_iter().map(|e| BotError {
                pointer: format!("{prefix}{}", e.pointer),
                detail: e.detail,
            })),
            Err(e) => errors.push(BotError::new(prefix, e)),
        }
    }
    Ok(errors)
}

/// The `type/subtype` of a Content-Type value, lowercased.
pub(crate) fn bare_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
