//! Chatbot detection and the SIP a terminal writes to a chatbot (protocols.md §3.1, §7.1;
//! RCC.07 §3.6; TRM-CAP-004, TRM-BOT-001, TRM-BOT-002).
//!
//! A peer is a chatbot when an OPTIONS answer or a request from it carries `+g.gsma.rcs.isbot`
//! in its Contact (as a feature tag, or inside the URL-encoded `contact` parameter of the URI),
//! or when its URI host is one of the `chatbot-domains` setting. Requests to a chatbot then
//! carry the §7.1 Accept-Contact: a standalone MESSAGE (and a large-message INVITE) the
//! `rcs.chatbot.sa` IARI with `botversion`, `require` and `explicit` next to the CPM ICSI one,
//! the large-message Contact the chatbot IARI too; a session INVITE the `rcs.chatbot` IARI, and
//! its SDP adds `multipart/mixed`, botmessage and botsuggestion to accept-wrapped-types. This
//! module adjusts messages the pager and INVITE writers built; it does not send.

use rcs_proto::bot::{BOTMESSAGE_TYPE, BOTSUGGESTION_TYPE};
use rcs_proto::sdp::MsrpMedia;
use rcs_proto::sip::{Message, Uri};

use super::core::Core;
use super::faults::Fault;
use super::media::Mode;

/// The chatbot role feature tag (protocols.md §3.1, §7.1).
pub(crate) const ISBOT_TAG: &str = "+g.gsma.rcs.isbot";

/// The Accept-Contact of a standalone message to a chatbot (protocols.md §7.1).
pub(crate) const STANDALONE_ACCEPT_CONTACT: &str = "*;+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot.sa\";+g.gsma.rcs.botversion=\"#=1,#=2\";require;explicit";

/// The Accept-Contact of a session INVITE to a chatbot (protocols.md §7.1).
pub(crate) const SESSION_ACCEPT_CONTACT: &str = "*;+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot\";+g.gsma.rcs.botversion=\"#=1,#=2\";require;explicit";

/// What a large-message INVITE's Contact adds for a chatbot (protocols.md §7.1).
const LARGE_CONTACT_TAGS: &str = ";+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot\";+g.gsma.rcs.botversion=\"#=1,#=2\"";

/// The chatbot platform domains when the setting does not say (protocols.md §1.2, §7.1).
pub(crate) const DEFAULT_CHATBOT_DOMAINS: [&str; 2] = [
    "botplatform.rcs.chinamobile.com",
    "botplatform.rcs.domain.cn",
];

/// The chatbot a case means by a role of kind `maap` (its default chatbot).
pub(crate) const DEFAULT_CHATBOT: &str = "sip:12599@botplatform.rcs.chinamobile.com";

/// What a chatbot session's SDP wraps besides the session types (protocols.md §7.1).
pub(crate) const BOT_WRAPPED_TYPES: [&str; 3] =
    ["multipart/mixed", BOTMESSAGE_TYPE, BOTSUGGESTION_TYPE];

/// Whether a Contact value (or any name-addr) marks a chatbot: `+g.gsma.rcs.isbot` as a
/// parameter, also inside a URL-encoded `contact` URI parameter.
pub(crate) fn marks_bot(value: &str) -> bool {
    let decoded = percent_decode(value).to_ascii_lowercase();
    let mut rest = decoded.as_str();
    while let Some(at) = rest.find(ISBOT_TAG) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + ISBOT_TAG.len()..].chars().next();
        let starts = matches!(before, Some(';' | '&' | '?' | ' ' | '"' | ','));
        let ends = after.is_none_or(|c| matches!(c, ';' | '=' | '>' | '&' | '"' | ',' | ' '));
        if starts && ends {
            return true;
        }
        rest = &rest[at + ISBOT_TAG.len()..];
    }
    false
}

/// `%XX` sequences decoded; anything else kept as is.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The host of a URI, lowercased.
fn host_of(uri: &str) -> Option<String> {
    let uri = super::bot_state::key(uri);
    let parsed = Uri::parse(&uri).ok()?;
    parsed.host().map(|h| h.to_string().to_ascii_lowercase())
}

impl Core {
    /// The chatbot domains this terminal knows (the `chatbot-domains` setting or the default).
    fn chatbot_domains(&self) -> Vec<String> {
        match &self.settings.chatbot_domains {
            Some(domains) => domains.iter().map(|d| d.to_ascii_lowercase()).collect(),
            None => DEFAULT_CHATBOT_DOMAINS.map(str::to_owned).to_vec(),
        }
    }

    /// Whether `target` is a chatbot: detected before, or in a chatbot domain.
    pub(crate) fn is_chatbot(&self, target: &str) -> bool {
        if self.bots.is_detected(target) {
            return true;
        }
        host_of(target).is_some_and(|host| self.chatbot_domains().contains(&host))
    }

    /// Learns from the Contact of an OPTIONS answer (or a request) whether `peer` is a chatbot.
    pub(crate) fn learn_bot(&self, peer: &str, contact: Option<&str>) {
        if self.faults.has(Fault::BotNoIsbotDetection) {
            return;
        }
        if contact.is_some_and(marks_bot) {
            self.bots.detected(peer);
        }
    }
}

/// A pager MESSAGE to `target` with the chatbot Accept-Contact when `target` is a chatbot.
pub(crate) fn adjust_pager(core: &Core, target: &str, message: Message) -> Result<Message, String> {
    if !core.is_chatbot(target) || core.faults.has(Fault::BotNoSaIari) {
        return Ok(message);
    }
    add_after_last(
        &message,
        "Accept-Contact",
        "Accept-Contact",
        STANDALONE_ACCEPT_CONTACT,
    )
}

/// An INVITE to `target` in `mode` with the chatbot Accept-Contact (and, in large-message mode,
/// the chatbot IARI in its Contact) when `target` is a chatbot.
pub(crate) fn adjust_invite(
    core: &Core,
    target: &str,
    mode: Mode,
    message: Message,
) -> Result<Message, String> {
    if !core.is_chatbot(target) {
        return Ok(message);
    }
    match mode {
        Mode::Session => add_after_last(
            &message,
            "Accept-Contact",
            "Accept-Contact",
            SESSION_ACCEPT_CONTACT,
        ),
        Mode::Large if core.faults.has(Fault::BotNoSaIari) => Ok(message),
        Mode::Large => {
            let message = add_after_last(
                &message,
                "Accept-Contact",
                "Accept-Contact",
                STANDALONE_ACCEPT_CONTACT,
            )?;
            extend_header(&message, "Contact", LARGE_CONTACT_TAGS)
        }
    }
}

/// A session offer to a chatbot also wraps the chatbot content types (protocols.md §7.1).
pub(crate) fn adjust_offer(core: &Core, target: &str, mode: Mode, offer: &mut MsrpMedia) {
    if mode != Mode::Session
        || !core.is_chatbot(target)
        || core.faults.has(Fault::BotSessionNoWrappedTypes)
    {
        return;
    }
    for kind in BOT_WRAPPED_TYPES {
        if !offer.accept_wrapped_types.iter().any(|t| t == kind) {
            offer.accept_wrapped_types.push(kind.to_owned());
        }
    }
}

/// The message with `name: value` added after the last line of header `after` (or after the
/// start line when there is none).
pub(crate) fn add_after_last(
    message: &Message,
    after: &str,
    name: &str,
    value: &str,
) -> Result<Message, String> {
    let raw = message.as_bytes();
    let head_end = find(raw, b"\r\n\r\n").ok_or("the message has no end of headers")?;
    let mut at = find(raw, b"\r\n").ok_or("the message has no start line")?;
    let mut pos = at;
    while pos < head_end {
        let next = find(&raw[pos + 2..], b"\r\n").map_or(head_end, |n| pos + 2 + n);
        let text = String::from_utf8_lossy(&raw[pos + 2..next]);
        let named = text
            .split_once(':')
            .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(after));
        if named {
            at = next;
        }
        pos = next;
    }
    let mut bytes = raw[..at].to_vec();
    bytes.extend_from_slice(format!("\r\n{name}: {value}").as_bytes());
    bytes.extend_from_slice(&raw[at..]);
    Message::parse(bytes).map_err(|e| format!("failed to add a {name} line: {e}"))
}

/// The message with the value of its first `name` line replaced (or the line added after the
/// last header when there is none).
pub(crate) fn set_header(message: &Message, name: &str, value: &str) -> Result<Message, String> {
    let Some(header) = message
        .headers()
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case(name))
    else {
        return add_after_last(message, "", name, value);
    };
    let raw = message.as_bytes();
    let span = header.span.clone();
    let mut bytes = raw
        .get(..span.start)
        .ok_or("a header span out of range")?
        .to_vec();
    bytes.extend_from_slice(format!("{}: {value}", header.name).as_bytes());
    bytes.extend_from_slice(raw.get(span.end..).ok_or("a header span out of range")?);
    Message::parse(bytes).map_err(|e| format!("failed to set {name}: {e}"))
}

/// The message with `suffix` appended to the value of the first `name` header.
fn extend_header(message: &Message, name: &str, suffix: &str) -> Result<Message, String> {
    let raw = message.as_bytes();
    let head_end = find(raw, b"\r\n\r\n").ok_or("the message has no end of headers")?;
    let mut pos = find(raw, b"\r\n").ok_or("the message has no start line")?;
    while pos < head_end {
        let next = find(&raw[pos + 2..], b"\r\n").map_or(head_end, |n| pos + 2 + n);
        let text = String::from_utf8_lossy(&raw[pos + 2..next]);
        let named = text
            .split_once(':')
            .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name));
        if named {
            let mut bytes = raw[..next].to_vec();
            bytes.extend_from_slice(suffix.as_bytes());
            bytes.extend_from_slice(&raw[next..]);
            return Message::parse(bytes).map_err(|e| format!("failed to extend {name}: {e}"));
        }
        pos = next;
    }
    Err(format!("the message has no {name} to extend"))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    super::ft_in::find(hay, needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcs_proto::sip::MessageBuilder;

    #[test]
    fn isbot_is_found_as_a_tag_or_inside_the_contact_parameter() {
        assert!(marks_bot(
            "<sip:12599@maap1.botplatform.rcs.chinamobile.com>;+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot.sa\";+g.gsma.rcs.botversion=\"#=1,#=2\";+g.gsma.rcs.isbot"
        ));
        assert!(marks_bot(
            "<sip:12599@bot.example;contact=%3Csip%3Ax%40y%3E%3B%2Bg.gsma.rcs.isbot>"
        ));
        assert!(marks_bot("<sip:a@b>;+G.GSMA.RCS.ISBOT;expires=5"));
        assert!(!marks_bot(
            "<sip:+8613800000002@127.0.0.1>;+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot\""
        ));
        assert!(!marks_bot("<sip:a@b>;+g.gsma.rcs.isbotnot"));
        assert!(!marks_bot("%"));
    }

    #[test]
    fn hosts_are_read_without_params() {
        assert_eq!(
            host_of("<sip:12599@BotPlatform.rcs.chinamobile.com;transport=tcp>").as_deref(),
            Some("botplatform.rcs.chinamobile.com")
        );
        assert_eq!(host_of("tel:+8613800000001"), None);
    }

    fn pager() -> Message {
        MessageBuilder::request("MESSAGE", DEFAULT_CHATBOT)
            .header("Via", "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKx")
            .header(
                "Accept-Contact",
                "*;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"",
            )
            .header("Contact", "<sip:a@127.0.0.1>")
            .header(
                "P-Preferred-Service",
                "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg",
            )
            .body("message/cpim", b"x".to_vec())
            .build()
    }

    #[test]
    fn the_chatbot_accept_contact_follows_the_icsi_one() {
        let out = add_after_last(
            &pager(),
            "Accept-Contact",
            "Accept-Contact",
            STANDALONE_ACCEPT_CONTACT,
        )
        .unwrap();
        let lines = out.header_all("Accept-Contact");
        assert_eq!(lines.len(), 2);
        assert!(lines[0].contains("cpm.msg"));
        assert_eq!(lines[1], STANDALONE_ACCEPT_CONTACT);
        assert_eq!(
            out.header_values("Accept-Contact")
                .last()
                .map(String::as_str),
            Some(STANDALONE_ACCEPT_CONTACT)
        );
        assert_eq!(out.body(), b"x");
        let names: Vec<&str> = out.headers().iter().map(|h| h.name.as_str()).collect();
        assert_eq!(names[..3], ["Via", "Accept-Contact", "Accept-Contact"]);
    }

    #[test]
    fn a_contact_is_extended_in_place() {
        let out = extend_header(&pager(), "Contact", LARGE_CONTACT_TAGS).unwrap();
        assert_eq!(
            out.header("Contact"),
            Some(&*format!("<sip:a@127.0.0.1>{LARGE_CONTACT_TAGS}"))
        );
        assert!(extend_header(&pager(), "Route", ";lr").is_err());
    }
}
