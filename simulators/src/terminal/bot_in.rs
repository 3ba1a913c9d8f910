//! Chatbot messages arriving at a terminal (protocols.md §7.2-7.4; RCC.07 §3.6.10;
//! TRM-BOT-004, TRM-BOT-005, TRM-BOT-010).
//!
//! A chat MESSAGE is a bot message when its sender is a chatbot (detected, in a chatbot domain,
//! or marking itself with `+g.gsma.rcs.isbot` in its Contact, which the terminal then learns)
//! or when its CPIM content is a chatbot type. Its content is validated with rcs_proto::bot
//! under the China limits and its suggestions are remembered for `tap-suggestion`; a card that
//! breaks the rules is logged and reported by `bot-messages`, never refused: the terminal shows
//! what it can. Card media and thumbnails with an IP-address URL are fetched (thumbnail first)
//! on a task bounded in time. A message from a chatbot the user blocked is answered 200 like any
//! other but not shown, and no IMDN goes back. Answering is `incoming`'s job.

use std::time::Duration;

use rcs_proto::bot::{self, BOTMESSAGE_TYPE, Limits, Suggestion};
use rcs_proto::cpim::CpimMessage;
use rcs_proto::http::RequestBuilder;
use rcs_proto::sip::Message;
use serde_json::Value;

use super::bot_sip::marks_bot;
use super::bot_state::BotMessage;
use super::core::Core;
use super::faults::Fault;
use super::ft_params::HttpUrl;
use super::state::Received;

/// Bound on fetching the media of one card.
const MEDIA_WAIT: Duration = Duration::from_secs(5);

/// Most media URLs fetched for one message (a carousel has at most 12 cards).
const MAX_MEDIA: usize = 24;

/// Most violations kept for one message.
const MAX_ERRORS: usize = 32;

/// Takes in a chat MESSAGE about to be answered 200; returns whether it is to be suppressed
/// (from a blocked chatbot: not shown, no IMDN).
pub(crate) fn on_chat(core: &Core, request: &Message, received: &Received) -> bool {
    let contact = request.header("Contact");
    if contact.is_some_and(marks_bot) {
        core.learn_bot(&received.sender, contact);
    }
    let (content_type, body) = content_of(request);
    let bot_content = is_bot_type(&content_type);
    if !bot_content && !core.is_chatbot(&received.sender) {
        return false;
    }
    if core.bots.is_blocked(&received.sender) && !core.faults.has(Fault::BotBlockIgnored) {
        core.bots.suppress();
        tracing::debug!(role = %core.role, bot = %received.sender, "message of a blocked chatbot suppressed");
        return true;
    }
    let errors = violations(&content_type, &body);
    if !errors.is_empty() {
        tracing::info!(role = %core.role, bot = %received.sender, errors = %errors.join("; "), "chatbot content breaks the rules; shown as far as possible");
    }
    let suggestions = suggestions(core, &content_type, &body);
    core.bots.remember(BotMessage {
        bot: received.sender.clone(),
        message_id: received.message_id.clone(),
        conversation_id: received.conversation_id.clone(),
        contribution_id: received.contribution_id.clone(),
        content_type: content_type.clone(),
        errors,
        suggestions,
    });
    fetch_media(core, &content_type, &body);
    false
}

/// The CPIM inner content type (without parameters' case changed) and decoded body; a plain
/// text MESSAGE is its own content.
fn content_of(request: &Message) -> (String, Vec<u8>) {
    let outer = request.header("Content-Type").unwrap_or_default();
    if !media_type(outer).eq_ignore_ascii_case("message/cpim") {
        return (outer.to_owned(), request.body().to_vec());
    }
    match CpimMessage::parse(request.body()) {
        Ok(cpim) => (
            cpim.content_type().unwrap_or("text/plain").to_owned(),
            cpim.decoded_body().unwrap_or_default(),
        ),
        Err(_) => (String::new(), Vec::new()),
    }
}

fn media_type(value: &str) -> &str {
    value.split(';').next().unwrap_or_default().trim()
}

/// Whether a content type is one only chatbots send.
fn is_bot_type(content_type: &str) -> bool {
    let media = media_type(content_type).to_ascii_lowercase();
    media == BOTMESSAGE_TYPE || media == bot::BOTSUGGESTION_TYPE
}

/// What breaks the chatbot content rules (China limits), each naming its pointer.
fn violations(content_type: &str, body: &[u8]) -> Vec<String> {
    let mut errors = match bot::validate_content(content_type, body, Limits::China) {
        Ok(errors) => errors.iter().map(ToString::to_string).collect(),
        Err(error) => vec![format!("{}: {error}", media_type(content_type))],
    };
    errors.truncate(MAX_ERRORS);
    errors
}

/// The suggestions the user sees; a faulty terminal keeps only a carousel's first card's ones.
fn suggestions(core: &Core, content_type: &str, body: &[u8]) -> Vec<Suggestion> {
    let all = bot::suggestions_of(content_type, body);
    if !core.faults.has(Fault::BotCarouselFirstCardOnly) {
        return all;
    }
    let cards = bot_documents(content_type, body)
        .iter()
        .filter_map(|doc| doc.pointer("/message/generalPurposeCardCarousel/content"))
        .filter_map(Value::as_array)
        .next()
        .cloned()
        .unwrap_or_default();
    let count = |card: &Value| {
        card.get("suggestions")
            .and_then(Value::as_array)
            .map_or(0, Vec::len)
    };
    let first = cards.first().map_or(0, count);
    let later: usize = cards.iter().skip(1).map(count).sum();
    all.into_iter()
        .enumerate()
        .filter(|(n, _)| *n < first || *n >= first + later)
        .map(|(_, s)| s)
        .collect()
}

/// The botmessage JSON documents of a content: itself, or the parts of a multipart/mixed.
fn bot_documents(content_type: &str, body: &[u8]) -> Vec<Value> {
    let media = media_type(content_type).to_ascii_lowercase();
    if media == BOTMESSAGE_TYPE {
        return serde_json::from_slice(body).into_iter().collect();
    }
    if media != "multipart/mixed" {
        return Vec::new();
    }
    let Ok(parts) = rcs_proto::multipart::parse(content_type, body) else {
        return Vec::new();
    };
    parts
        .iter()
        .filter(|p| {
            p.content_type()
                .is_some_and(|t| media_type(t).eq_ignore_ascii_case(BOTMESSAGE_TYPE))
        })
        .filter_map(|p| serde_json::from_slice(&p.body).ok())
        .collect()
}

/// The thumbnail and media URLs of every card, thumbnails first per card.
pub(crate) fn media_urls(content_type: &str, body: &[u8]) -> Vec<String> {
    let mut urls = Vec::new();
    for doc in bot_documents(content_type, body) {
        let single = doc.pointer("/message/generalPurposeCard/content").cloned();
        let carousel = doc
            .pointer("/message/generalPurposeCardCarousel/content")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for card in single.into_iter().chain(carousel) {
            for field in ["thumbnailUrl", "mediaUrl"] {
                if let Some(url) = card
                    .pointer(&format!("/media/{field}"))
                    .and_then(Value::as_str)
                {
                    urls.push(url.to_owned());
                }
            }
        }
    }
    urls.truncate(MAX_MEDIA);
    urls
}

/// Fetches a card's media in the background, as a phone renders it.
fn fetch_media(core: &Core, content_type: &str, body: &[u8]) {
    if core.faults.has(Fault::BotCardMediaNotFetched) {
        return;
    }
    let urls: Vec<HttpUrl> = media_urls(content_type, body)
        .iter()
        .filter_map(|u| HttpUrl::parse(u).ok())
        .filter(|u| !u.tls || core.ft.tls.is_some())
        .collect();
    if urls.is_empty() {
        return;
    }
    let client = core.ft.client.clone();
    let identity = core.subscriber.tel_uri();
    let role = core.role.clone();
    tokio::spawn(async move {
        for url in urls {
            let request = RequestBuilder::new("GET", &url.target)
                .header("Host", &url.host)
                .header("X-3GPP-Intended-Identity", &identity)
                .build();
            let Ok(request) = request else {
                continue;
            };
            let got =
                tokio::time::timeout(MEDIA_WAIT, client.send(url.addr, url.tls, &request)).await;
            let status = match got {
                Ok(Ok(response)) => response.status().to_string(),
                Ok(Err(error)) => error.to_string(),
                Err(_) => "timeout".to_owned(),
            };
            tracing::debug!(%role, target = %url.target, %status, "card media fetched");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bot_types_are_recognised_without_params() {
        assert!(is_bot_type(
            "application/vnd.gsma.botmessage.v1.0+json;charset=UTF-8"
        ));
        assert!(is_bot_type(bot::BOTSUGGESTION_TYPE));
        assert!(!is_bot_type("text/plain"));
        assert!(!is_bot_type("multipart/mixed; boundary=next"));
    }

    #[test]
    fn media_urls_come_from_every_card_thumbnail_first() {
        let card = |n: u32| {
            json!({ "title": format!("card {n}"), "media": {
                "mediaUrl": format!("http://127.0.0.1:9/m{n}.jpg"), "mediaContentType": "image/jpeg",
                "mediaFileSize": 10, "height": "SHORT_HEIGHT",
                "thumbnailUrl": format!("http://127.0.0.1:9/t{n}.jpg"), "thumbnailContentType": "image/jpeg",
                "thumbnailFileSize": 5 } })
        };
        let doc = json!({ "message": { "generalPurposeCardCarousel": {
            "layout": { "cardWidth": "SMALL_WIDTH" }, "content": [card(1), card(2), { "title": "no media" }] } } });
        let body = serde_json::to_vec(&doc).unwrap();
        assert_eq!(
            media_urls(BOTMESSAGE_TYPE, &body),
            [
                "http://127.0.0.1:9/t1.jpg",
                "http://127.0.0.1:9/m1.jpg",
                "http://127.0.0.1:9/t2.jpg",
                "http://127.0.0.1:9/m2.jpg"
            ]
        );
        assert!(media_urls("text/plain", b"hi").is_empty());
        assert!(media_urls(BOTMESSAGE_TYPE, b"{not json").is_empty());
    }

    #[test]
    fn media_urls_are_read_inside_a_multipart() {
        let doc = json!({ "message": { "generalPurposeCard": { "layout": { "cardOrientation": "VERTICAL" },
            "content": { "media": { "mediaUrl": "http://127.0.0.1:9/a.png" } } } } });
        let (ct, body) = bot::with_suggestions(
            BOTMESSAGE_TYPE,
            &serde_json::to_vec(&doc).unwrap(),
            &json!({ "suggestions": [{ "reply": { "displayText": "ok", "postback": { "data": "ok" } } }] }),
        );
        assert_eq!(media_urls(&ct, &body), ["http://127.0.0.1:9/a.png"]);
    }

    #[test]
    fn a_broken_content_is_reported_not_refused() {
        let errors = violations(BOTMESSAGE_TYPE, b"{");
        assert_eq!(errors.len(), 1);
        assert!(errors[0].starts_with(BOTMESSAGE_TYPE), "{errors:?}");
        let long = "字".repeat(2001);
        assert!(!violations("text/plain;charset=UTF-8", long.as_bytes()).is_empty());
        assert!(violations("text/plain;charset=UTF-8", "您的账单已出".as_bytes()).is_empty());
    }
}
