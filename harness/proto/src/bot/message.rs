//! The bot message document `application/vnd.gsma.botmessage.v1.0+json` (protocols.md §7.3,
//! RCC.07 §3.6.10): the schema root, the standalone rich card `generalPurposeCard`, the
//! carousel `generalPurposeCardCarousel` (2..12 cards), card content, media and font styles.
//!
//! The root holds exactly one of `message`, `suggestions`, `response` and `sharedData` (the
//! schema's root `oneOf`); the last three are checked as [`super::validate_suggestions`],
//! [`super::validate_response`] and [`super::validate_shared_data`] do.
//!
//! Under [`Limits::China`] media are also judged by type and size (protocols.md §7.3): image
//! JPEG/PNG at most 2 MiB, audio AMR/MP3/M4A at most 5 MiB, video MP4/WEBM at most 10 MiB,
//! thumbnails JPEG/PNG at most 200 KiB; any other `mediaContentType` is an error.

use serde_json::{Map, Value};

use super::response::{response, shared_data};
use super::schema::{Checker, Field, Kind, STRING, child, item, opt, req};
use super::suggestions::{MAX_CARD_SUGGESTIONS, MAX_CHIPS, chip_list};
use super::{BotError, Limits, bare_type};

/// The most cards of a carousel.
pub const MAX_CAROUSEL_CARDS: usize = 12;
/// The fewest cards of a carousel.
pub const MIN_CAROUSEL_CARDS: usize = 2;

const ROOTS: &[&str] = &["message", "suggestions", "response", "sharedData"];
const MESSAGES: &[&str] = &["generalPurposeCard", "generalPurposeCardCarousel"];

const STANDALONE_LAYOUT: &[Field] = &[
    req(
        "cardOrientation",
        Kind::Keyword(&["VERTICAL", "HORIZONTAL"]),
    ),
    opt("imageAlignment", Kind::Keyword(&["LEFT", "RIGHT"])),
    opt("titleFontStyle", Kind::FontStyle),
    opt("descriptionFontStyle", Kind::FontStyle),
    opt("style", Kind::Uri),
];

const CAROUSEL_LAYOUT: &[Field] = &[
    req("cardWidth", Kind::Keyword(&["SMALL_WIDTH", "MEDIUM_WIDTH"])),
    opt("titleFontStyle", Kind::FontStyle),
    opt("descriptionFontStyle", Kind::FontStyle),
    opt("style", Kind::Uri),
];

const MEDIA: &[Field] = &[
    req("mediaUrl", Kind::Uri),
    req("mediaContentType", STRING),
    req("mediaFileSize", Kind::Count),
    opt("thumbnailUrl", Kind::Uri),
    opt("thumbnailContentType", STRING),
    opt("thumbnailFileSize", Kind::Count),
    req(
        "height",
        Kind::Keyword(&["SHORT_HEIGHT", "MEDIUM_HEIGHT", "TALL_HEIGHT"]),
    ),
    opt("contentDescription", Kind::Text { min: 1, max: 200 }),
];

/// A media kind the China platforms accept, with its types and largest size.
struct MediaRule {
    what: &'static str,
    types: &'static [&'static str],
    max_bytes: u64,
}

const MIB: u64 = 1024 * 1024;
const IMAGE_TYPES: &[&str] = &["image/jpeg", "image/jpg", "image/png"];
const CHINA_MEDIA: &[MediaRule] = &[
    MediaRule {
        what: "an image",
        types: IMAGE_TYPES,
        max_bytes: 2 * MIB,
    },
    MediaRule {
        what: "audio",
        types: &[
            "audio/amr",
            "audio/mpeg",
            "audio/mp3",
            "audio/mp4",
            "audio/m4a",
            "audio/x-m4a",
        ],
        max_bytes: 5 * MIB,
    },
    MediaRule {
        what: "a video",
        types: &["video/mp4", "video/webm"],
        max_bytes: 10 * MIB,
    },
];
const THUMBNAIL: MediaRule = MediaRule {
    what: "a thumbnail",
    types: IMAGE_TYPES,
    max_bytes: 200 * 1024,
};

/// Validates a bot message document (the schema root, §7.3).
pub fn validate_message(doc: &Value, limits: Limits) -> Vec<BotError> {
    let mut ck = Checker::new(limits);
    let Some(root) = ck.object(doc, "", ROOTS) else {
        return ck.errors;
    };
    match ck.one_of(root, "", ROOTS) {
        Some(("message", v)) => message(&mut ck, v, "/message"),
        Some(("suggestions", v)) => chip_list(&mut ck, v, "/suggestions", MAX_CHIPS),
        Some(("response", v)) => response(&mut ck, v, "/response"),
        Some((_, v)) => shared_data(&mut ck, v, "/sharedData"),
        None => {}
    }
    ck.errors
}

fn message(ck: &mut Checker, v: &Value, ptr: &str) {
    let Some(map) = ck.object(v, ptr, MESSAGES) else {
        return;
    };
    match ck.one_of(map, ptr, MESSAGES) {
        Some(("generalPurposeCard", card)) => {
            standalone(ck, card, &child(ptr, "generalPurposeCard"))
        }
        Some((name, v)) => carousel(ck, v, &child(ptr, name)),
        None => {}
    }
}

fn standalone(ck: &mut Checker, v: &Value, ptr: &str) {
    let Some(map) = ck.object(v, ptr, &["layout", "content"]) else {
        return;
    };
    if let Some(layout) = ck.required(map, ptr, "layout") {
        let layout_ptr = child(ptr, "layout");
        if let Some(fields) = ck.fields(layout, &layout_ptr, STANDALONE_LAYOUT) {
            orientation(ck, fields, &layout_ptr);
        }
    }
    if let Some(content) = ck.required(map, ptr, "content") {
        card(ck, content, &child(ptr, "content"));
    }
}

/// `imageAlignment` is required with `HORIZONTAL` and not allowed with `VERTICAL`.
fn orientation(ck: &mut Checker, layout: &Map<String, Value>, ptr: &str) {
    let aligned = layout.contains_key("imageAlignment");
    match layout.get("cardOrientation").and_then(Value::as_str) {
        Some("HORIZONTAL") if !aligned => ck.error(
            &child(ptr, "imageAlignment"),
            "required member missing with cardOrientation HORIZONTAL",
        ),
        Some("VERTICAL") if aligned => ck.error(
            &child(ptr, "imageAlignment"),
            "allowed only with cardOrientation HORIZONTAL",
        ),
        _ => {}
    }
}

fn carousel(ck: &mut Checker, v: &Value, ptr: &str) {
    let Some(map) = ck.object(v, ptr, &["layout", "content"]) else {
        return;
    };
    if let Some(layout) = ck.required(map, ptr, "layout") {
        ck.fields(layout, &child(ptr, "layout"), CAROUSEL_LAYOUT);
    }
    let content_ptr = child(ptr, "content");
    let Some(content) = ck.required(map, ptr, "content") else {
        return;
    };
    let cards = ck.array(
        content,
        &content_ptr,
        MIN_CAROUSEL_CARDS,
        MAX_CAROUSEL_CARDS,
        "cards",
    );
    for (i, c) in cards.unwrap_or_default().iter().enumerate() {
        card(ck, c, &item(&content_ptr, i));
    }
}

/// One card's content: at least one of media, title and description; 1..4 suggestions.
fn card(ck: &mut Checker, v: &Value, ptr: &str) {
    let members = ["media", "title", "description", "suggestions"];
    let Some(map) = ck.object(v, ptr, &members) else {
        return;
    };
    if !members[..3].iter().any(|m| map.contains_key(*m)) {
        ck.error(ptr, "needs media, title or description");
    }
    if let Some(title) = map.get("title") {
        ck.text(title, &child(ptr, "title"), 1, 200);
    }
    if let Some(description) = map.get("description") {
        ck.text(description, &child(ptr, "description"), 1, 2000);
    }
    if let Some(suggestions) = map.get("suggestions") {
        chip_list(
            ck,
            suggestions,
            &child(ptr, "suggestions"),
            MAX_CARD_SUGGESTIONS,
        );
    }
    if let Some(media) = map.get("media") {
        card_media(ck, media, &child(ptr, "media"));
    }
}

fn card_media(ck: &mut Checker, v: &Value, ptr: &str) {
    let Some(media) = ck.fields(v, ptr, MEDIA) else {
        return;
    };
    if media.contains_key("thumbnailUrl") {
        for member in ["thumbnailContentType", "thumbnailFileSize"] {
            if !media.contains_key(member) {
                ck.error(
                    &child(ptr, member),
                    "required member missing with thumbnailUrl",
                );
            }
        }
    }
    if ck.limits == Limits::China {
        china_media(ck, media, ptr, ("mediaContentType", "mediaFileSize"), None);
        china_media(
            ck,
            media,
            ptr,
            ("thumbnailContentType", "thumbnailFileSize"),
            Some(&THUMBNAIL),
        );
    }
}

/// The China type and size limits of one file of a media object (`rule` None: by its type).
fn china_media(
    ck: &mut Checker,
    media: &Map<String, Value>,
    ptr: &str,
    (type_member, size_member): (&str, &str),
    rule: Option<&MediaRule>,
) {
    let Some(content_type) = media.get(type_member).and_then(Value::as_str) else {
        return;
    };
    let bare = bare_type(content_type);
    let rule = rule.or_else(|| {
        CHINA_MEDIA
            .iter()
            .find(|r| r.types.contains(&bare.as_str()))
    });
    let Some(rule) = rule.filter(|r| r.types.contains(&bare.as_str())) else {
        let allowed = match rule {
            Some(_) => "jpeg or png",
            None => "jpeg/png image, amr/mp3/m4a audio or mp4/webm video",
        };
        ck.error(
            &child(ptr, type_member),
            format!("{content_type:?} is not an allowed type ({allowed})"),
        );
        return;
    };
    match media.get(size_member).and_then(Value::as_u64) {
        Some(size) if size > rule.max_bytes => ck.error(
            &child(ptr, size_member),
            format!("{size} bytes, at most {} for {}", rule.max_bytes, rule.what),
        ),
        _ => {}
    }
}
