//! `bot: <field>`: reading the chatbot content of a message (protocols.md §7.2-§7.5; GSMA
//! RCC.07 §3.6.10) with [`rcs_proto::bot`].
//!
//! The content is found by [`crate::check::bot_content`]; a message without any observes
//! "(no chatbot content)". `valid`, `errors` and `gsma-errors` come from
//! [`rcs_proto::bot::validate_content`] (content that does not parse is invalid, its parse error
//! the only error); the suggestions from [`rcs_proto::bot::suggestions_of`], cards first then the
//! chip list. `cards`, `content-type` and `response.*` read the content, or the parts of a
//! `multipart/mixed` content. A field with nothing to read (a fourth suggestion of three, a
//! response field of a card) is absent.
//!
//! Not here: which fields exist ([`crate::case::bot_field`]), judging the values (predicates).

use rcs_proto::bot::{
    self, BOTMESSAGE_TYPE, BOTSUGGESTION_TYPE, Limits, MAX_CONTENT_BYTES, SUGGESTION_RESPONSE_TYPE,
    SuggestionKind,
};
use rcs_proto::multipart;
use serde_json::Value;

use crate::case::bot_field::{BotField, SuggestionPart};
use crate::check::bot_content::{BotContent, Located, media_type};
use crate::check::subject::Observed;

/// What a message with no chatbot content observes.
pub const NO_CONTENT: &str = "no chatbot content";

/// Read `field` of the content `located` found. `list` asks for every part's type (`content-type`
/// with `includes`/`excludes`).
pub fn observe(located: Located, field: &BotField, list: bool) -> Observed {
    match located {
        Err(why) => Observed::Unreadable(why),
        Ok(None) => Observed::NotApplicable(NO_CONTENT),
        Ok(Some(content)) => read(&content, field, list),
    }
}

fn read(c: &BotContent, field: &BotField, list: bool) -> Observed {
    match field {
        BotField::Valid => Observed::One(errors(c, Limits::China).is_empty().to_string()),
        BotField::Errors => Observed::One(errors(c, Limits::China)),
        BotField::GsmaErrors => Observed::One(errors(c, Limits::Gsma)),
        BotField::Suggestions => Observed::One(suggestions(c).len().to_string()),
        BotField::Suggestion { n, part } => suggestion(c, *n, *part),
        BotField::Cards => cards(c),
        BotField::ContentType => content_type(c, list),
        BotField::ResponsePostback => response(c, "/postback/data"),
        BotField::ResponseText => response(c, "/displayText"),
    }
}

/// Every violation as text, joined with `; `; the parse error of content that does not parse.
fn errors(c: &BotContent, limits: Limits) -> String {
    match bot::validate_content(&c.content_type, &c.body, limits) {
        Ok(found) => found
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; "),
        Err(why) => why,
    }
}

fn suggestions(c: &BotContent) -> Vec<bot::Suggestion> {
    bot::suggestions_of(&c.content_type, &c.body)
}

/// `suggestion.<n>.<part>`, n from 1.
fn suggestion(c: &BotContent, n: usize, part: SuggestionPart) -> Observed {
    let all = suggestions(c);
    let Some(s) = n.checked_sub(1).and_then(|i| all.get(i)) else {
        return Observed::Absent;
    };
    match part {
        SuggestionPart::Text => Observed::One(s.display_text.clone()),
        SuggestionPart::Postback => s.postback.clone().map_or(Observed::Absent, Observed::One),
        SuggestionPart::Kind => Observed::One(match &s.kind {
            SuggestionKind::Reply => "reply".to_owned(),
            SuggestionKind::Action(name) if name.is_empty() => "action".to_owned(),
            SuggestionKind::Action(name) => name.clone(),
        }),
    }
}

/// The content's parts as (media type, body): itself, or each part of a `multipart/mixed`
/// (a part without Content-Type is `text/plain`).
fn parts(c: &BotContent) -> Result<Vec<(String, Vec<u8>)>, String> {
    if c.body.len() > MAX_CONTENT_BYTES {
        return Err(format!(
            "the chatbot content has {} bytes, at most {MAX_CONTENT_BYTES}",
            c.body.len()
        ));
    }
    let own = media_type(&c.content_type);
    if own != "multipart/mixed" {
        return Ok(vec![(own, c.body.clone())]);
    }
    let parts = multipart::parse(&c.content_type, &c.body).map_err(|e| format!("failed to {e}"))?;
    Ok(parts
        .into_iter()
        .map(|p| (media_type(p.content_type().unwrap_or("text/plain")), p.body))
        .collect())
}

/// The JSON documents of the parts of one type.
fn documents(c: &BotContent, wanted: &str) -> Result<Vec<Value>, String> {
    parts(c)?
        .into_iter()
        .filter(|(t, _)| t == wanted)
        .map(|(t, body)| {
            serde_json::from_slice(&body).map_err(|e| format!("failed to parse {t} as JSON: {e}"))
        })
        .collect()
}

/// 1 per standalone card, the number of cards of each carousel.
fn cards(c: &BotContent) -> Observed {
    let docs = match documents(c, BOTMESSAGE_TYPE) {
        Ok(d) => d,
        Err(why) => return Observed::Unreadable(why),
    };
    let count: usize = docs
        .iter()
        .map(|doc| match doc.get("message") {
            Some(m) if m.get("generalPurposeCard").is_some() => 1,
            Some(m) => m
                .pointer("/generalPurposeCardCarousel/content")
                .and_then(Value::as_array)
                .map_or(0, Vec::len),
            None => 0,
        })
        .sum();
    Observed::One(count.to_string())
}

/// The media type of the content: of the message part of a §7.2 multipart (the first part that
/// is not the chip list); for a list, of every part.
fn content_type(c: &BotContent, list: bool) -> Observed {
    let parts = match parts(c) {
        Ok(p) => p,
        Err(why) => return Observed::Unreadable(why),
    };
    let types: Vec<String> = parts.into_iter().map(|(t, _)| t).collect();
    if list {
        return Observed::Many(types);
    }
    types
        .iter()
        .find(|t| *t != BOTSUGGESTION_TYPE)
        .or(types.first())
        .map_or(Observed::Absent, |t| Observed::One(t.clone()))
}

/// A string of the reply or action of the suggestion response, by pointer into it.
fn response(c: &BotContent, pointer: &str) -> Observed {
    let docs = match documents(c, SUGGESTION_RESPONSE_TYPE) {
        Ok(d) => d,
        Err(why) => return Observed::Unreadable(why),
    };
    let tapped = docs.iter().find_map(|doc| {
        let r = doc.get("response")?;
        r.get("reply").or_else(|| r.get("action"))
    });
    match tapped.and_then(|t| t.pointer(pointer)) {
        None => Observed::Absent,
        Some(Value::String(s)) => Observed::One(s.clone()),
        Some(other) => Observed::One(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::bot_content;
    use crate::check::message::Msg;
    use crate::events::Protocol;

    /// protocols.md §7.2: the chatbot's MESSAGE, text and two suggestions.
    const MESSAGE_7_2: &[u8] =
        include_bytes!("../../tests/vectors/bot/protocols-7.2-chatbot-message.sip");
    /// protocols.md §7.5: the user's tap on the first suggestion, in an MSRP SEND.
    const RESPONSE_7_5: &[u8] =
        include_bytes!("../../tests/vectors/bot/protocols-7.5-suggestion-response.msrp");

    fn field(text: &str) -> BotField {
        BotField::parse(text).unwrap()
    }

    fn read_msg(msg: &Msg, name: &str) -> Observed {
        let located = match msg {
            Msg::Sip(m) => bot_content::sip(m),
            Msg::Msrp(f) => bot_content::msrp(f, &[msg]),
            Msg::Http(h) => bot_content::http(h),
        };
        observe(located, &field(name), false)
    }

    fn one(s: &str) -> Observed {
        Observed::One(s.to_owned())
    }

    #[test]
    fn the_7_2_message_reads_field_by_field() {
        let msg = Msg::parse(Protocol::Sip, MESSAGE_7_2).unwrap();
        let read = |name| read_msg(&msg, name);
        assert_eq!(read("valid"), one("true"));
        assert_eq!(read("errors"), one(""));
        assert_eq!(read("gsma-errors"), one(""));
        assert_eq!(read("suggestions"), one("2"));
        assert_eq!(read("suggestion.1.text"), one("查看详情"));
        assert_eq!(read("suggestion.1.postback"), one("bill_detail"));
        assert_eq!(read("suggestion.1.kind"), one("reply"));
        assert_eq!(read("suggestion.2.kind"), one("urlAction.openUrl"));
        assert_eq!(read("suggestion.2.postback"), one("open_bill"));
        assert_eq!(read("suggestion.3.text"), Observed::Absent);
        assert_eq!(read("cards"), one("0"));
        assert_eq!(read("content-type"), one("text/plain"));
        assert_eq!(read("response.postback"), Observed::Absent);
        let Msg::Sip(m) = &msg else { unreachable!() };
        assert_eq!(
            observe(bot_content::sip(m), &field("content-type"), true),
            Observed::Many(vec!["text/plain".into(), BOTSUGGESTION_TYPE.into()])
        );
    }

    #[test]
    fn the_7_5_response_reads_its_tap() {
        let msg = Msg::parse(Protocol::Msrp, RESPONSE_7_5).unwrap();
        assert_eq!(read_msg(&msg, "response.postback"), one("bill_detail"));
        assert_eq!(read_msg(&msg, "response.text"), one("查看详情"));
        assert_eq!(
            read_msg(&msg, "content-type"),
            one(SUGGESTION_RESPONSE_TYPE)
        );
        assert_eq!(read_msg(&msg, "valid"), one("true"));
        assert_eq!(read_msg(&msg, "suggestions"), one("0"));
    }

    fn content(content_type: &str, body: impl Into<Vec<u8>>) -> Located {
        Ok(Some(BotContent {
            content_type: content_type.to_owned(),
            body: body.into(),
        }))
    }

    fn card(n: usize) -> Value {
        let chip = |i: usize| serde_json::json!({"reply": {"displayText": format!("选择{i}"), "postback": {"data": format!("pick_{n}_{i}")}}});
        serde_json::json!({"title": format!("卡片{n}"), "description": "月度账单", "suggestions": [chip(1), chip(2)]})
    }

    #[test]
    fn carousels_count_their_cards_and_limits_differ() {
        let cards: Vec<Value> = (1..=12).map(card).collect();
        let doc = serde_json::json!({"message": {"generalPurposeCardCarousel": {"layout": {"cardWidth": "MEDIUM_WIDTH"}, "content": cards}}});
        let body = serde_json::to_vec(&doc).unwrap();
        let read =
            |name: &str| observe(content(BOTMESSAGE_TYPE, body.clone()), &field(name), false);
        assert_eq!(read("cards"), one("12"));
        assert_eq!(read("valid"), one("true"));
        assert_eq!(read("suggestions"), one("24"));
        assert_eq!(read("suggestion.24.postback"), one("pick_12_2"));
        let standalone = serde_json::json!({"message": {"generalPurposeCard": {"layout": {"cardOrientation": "VERTICAL"}, "content": card(1)}}});
        let body = serde_json::to_vec(&standalone).unwrap();
        assert_eq!(
            observe(content(BOTMESSAGE_TYPE, body), &field("cards"), false),
            one("1")
        );
        let long = "字".repeat(2001);
        let text = || content("text/plain;charset=UTF-8", long.clone().into_bytes());
        assert_eq!(observe(text(), &field("valid"), false), one("false"));
        assert_eq!(
            observe(text(), &field("errors"), false),
            one(": 2001 characters, at most 2000")
        );
        assert_eq!(observe(text(), &field("gsma-errors"), false), one(""));
    }

    #[test]
    fn invalid_and_missing_content_say_why() {
        let chips: Vec<Value> = (0..12).map(|i| serde_json::json!({"reply": {"displayText": format!("c{i}"), "postback": {"data": "d"}}})).collect();
        let body = serde_json::to_vec(&serde_json::json!({ "suggestions": chips })).unwrap();
        let twelve = || content(BOTSUGGESTION_TYPE, body.clone());
        assert_eq!(observe(twelve(), &field("valid"), false), one("false"));
        assert_eq!(
            observe(twelve(), &field("errors"), false),
            one("/suggestions: 12 suggestions, at most 11")
        );
        assert_eq!(observe(twelve(), &field("suggestions"), false), one("12"));
        let broken = || content(BOTMESSAGE_TYPE, &b"{\"message\":"[..]);
        assert_eq!(observe(broken(), &field("valid"), false), one("false"));
        let Observed::One(why) = observe(broken(), &field("errors"), false) else {
            panic!()
        };
        assert!(
            why.starts_with("failed to parse application/vnd.gsma.botmessage.v1.0+json as json"),
            "{why}"
        );
        assert!(matches!(
            observe(broken(), &field("cards"), false),
            Observed::Unreadable(_)
        ));
        let none = observe(Ok(None), &field("valid"), false);
        assert_eq!(none.describe(), "(no chatbot content)");
        let unreadable = observe(Err("bad CPIM".into()), &field("valid"), false);
        assert_eq!(unreadable.describe(), "(unreadable: bad CPIM)");
    }
}
