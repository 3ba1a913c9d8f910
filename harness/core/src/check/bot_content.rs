//! Finding the chatbot content of a message, for the `bot:` subject (protocols.md §7.2, §7.5,
//! §8.1.3, §8.1.5, §8.2, §8.3).
//!
//! - SIP: the CPIM inner content (RFC 3862) of the body, or of its message/cpim part when the
//!   body is multipart; a body that is itself chatbot content (a chatbot JSON type or
//!   `multipart/mixed`) is read as is.
//! - MSRP: the CPIM inner content of a SEND. A chunk that does not carry the whole message is
//!   read from the message rebuilt from the chunks the expectation matched (RFC 4975 §7.3.1).
//! - HTTP: a body of a chatbot type, or the content a developer-API document carries: the CT/CU
//!   `messageList` of a send or an uplink callback (as [`ctcu::inner_content`] maps it), the
//!   `bodyText` of a CMCC `outboundMessageRequest` or `inboundMessageNotification`.
//!
//! Chatbot content is content of a chatbot type (bot message, chip list, suggestion response,
//! shared client data, spam report, location push), `multipart/mixed`, or, inside a CPIM wrapper
//! or a developer-API document, `text/plain` (a chatbot's text message, a user's typed reply).
//! Anything else (IMDNs, file-info documents, is-composing, a bare `text/plain` SIP body, an API
//! answer) carries none. Not here: judging the content ([`crate::check::bot`]).

use rcs_proto::bot::{
    BOTMESSAGE_TYPE, BOTSUGGESTION_TYPE, PUSH_LOCATION_TYPE, SHARED_CLIENT_DATA_TYPE,
    SPAM_REPORT_TYPE, SUGGESTION_RESPONSE_TYPE,
};
use rcs_proto::cpim::CpimMessage;
use rcs_proto::msrp::Frame;
use rcs_proto::nbi::{self, cmcc, ctcu};
use rcs_proto::sip::Message;
use rcs_proto::xml_tree;
use serde_json::Value;

use crate::check::http::HttpMessage;
use crate::check::message::Msg;

/// The content types that are chatbot content wherever they appear.
const BOT_TYPES: [&str; 7] = [
    BOTMESSAGE_TYPE,
    BOTSUGGESTION_TYPE,
    SUGGESTION_RESPONSE_TYPE,
    SHARED_CLIENT_DATA_TYPE,
    SPAM_REPORT_TYPE,
    PUSH_LOCATION_TYPE,
    "multipart/mixed",
];

/// The chatbot content of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotContent {
    /// The Content-Type, parameters kept (a multipart boundary is needed to read it).
    pub content_type: String,
    pub body: Vec<u8>,
}

/// The content, `None` when the message carries no chatbot content, or why it could not be read.
pub type Located = Result<Option<BotContent>, String>;

/// The `type/subtype` of a Content-Type value, lowercased.
pub(crate) fn media_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// Content that is chatbot content by its type alone.
fn bare(content_type: &str, body: &[u8]) -> Option<BotContent> {
    let media_type = media_type(content_type);
    (!body.is_empty() && BOT_TYPES.contains(&media_type.as_str())).then(|| BotContent {
        content_type: content_type.trim().to_owned(),
        body: body.to_vec(),
    })
}

/// Content carried in a wrapper (CPIM, an API document): text counts too.
fn carried(content_type: &str, body: Vec<u8>) -> Option<BotContent> {
    let media_type = media_type(content_type);
    let chatbot = BOT_TYPES.contains(&media_type.as_str()) || media_type == "text/plain";
    chatbot.then(|| BotContent {
        content_type: content_type.trim().to_owned(),
        body,
    })
}

/// The inner content of a CPIM wrapper (no Content-Type: `text/plain`, as MIME defaults).
fn from_cpim(bytes: &[u8]) -> Located {
    let cpim = CpimMessage::parse(bytes).map_err(|e| e.to_string())?;
    let content_type = cpim.content_type().unwrap_or("text/plain").to_owned();
    let body = cpim.decoded_body().map_err(|e| e.to_string())?;
    Ok(carried(&content_type, body))
}

/// The chatbot content of a SIP message.
pub fn sip(msg: &Message) -> Located {
    let content_type = msg.header("Content-Type").unwrap_or_default();
    match crate::check::content::part_body(msg, "message/cpim") {
        Ok(Some(cpim)) => from_cpim(&cpim),
        Ok(None) => Ok(bare(content_type, msg.body())),
        // A chatbot multipart that does not parse is still chatbot content: judged invalid.
        Err(_) if media_type(content_type) == "multipart/mixed" => {
            Ok(bare(content_type, msg.body()))
        }
        Err(e) => Err(e),
    }
}

/// The chatbot content of an MSRP frame, one of the frames `group` an expectation matched.
pub fn msrp(frame: &Frame, group: &[&Msg]) -> Located {
    if frame.method() != Some("SEND") || frame.body.is_empty() {
        return Ok(None);
    }
    let content_type = frame.content_type().unwrap_or_default();
    let body = crate::check::rebuilt::whole_content(frame, group)?;
    match media_type(content_type).as_str() {
        "message/cpim" => from_cpim(&body),
        _ => Ok(bare(content_type, &body)),
    }
}

/// The chatbot content of an HTTP message.
pub fn http(msg: &HttpMessage) -> Located {
    let body = msg.body();
    let content_type = msg.content_type().unwrap_or_default();
    if body.is_empty() {
        return Ok(None);
    }
    if media_type(content_type) == "message/cpim" {
        return from_cpim(body);
    }
    if let Some(content) = bare(content_type, body) {
        return Ok(Some(content));
    }
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => ctcu_list(body),
        Some(b'<') => cmcc_body(body),
        _ => Ok(None),
    }
}

/// The `messageList` of a CT/CU send request or uplink callback, as the CPIM inner content.
fn ctcu_list(body: &[u8]) -> Located {
    if body.len() > nbi::MAX_BODY {
        return Err(format!(
            "the body has {} bytes, at most {}",
            body.len(),
            nbi::MAX_BODY
        ));
    }
    let Ok(doc) = serde_json::from_slice::<Value>(body) else {
        return Ok(None);
    };
    let Some(list) = doc.get("messageList") else {
        return Ok(None);
    };
    let Some(list) = list.as_array() else {
        return Err("messageList is not an array".to_owned());
    };
    if list.len() > ctcu::send::MAX_ITEMS {
        return Err(format!(
            "messageList has {} items, at most {}",
            list.len(),
            ctcu::send::MAX_ITEMS
        ));
    }
    let items = list
        .iter()
        .enumerate()
        .map(|(n, item)| ctcu::ContentItem::from_json(item, n))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|(_, why)| why)?;
    let (content_type, content) = ctcu::inner_content(&items).map_err(|(_, why)| why)?;
    Ok(carried(&content_type, content))
}

/// The `bodyText` of a CMCC send request or inbound-message callback.
fn cmcc_body(body: &[u8]) -> Located {
    let Ok(root) = xml_tree::parse(body, "body", &xml_tree::Limits::DEFAULT) else {
        return Ok(None);
    };
    if root.namespace.as_deref() != Some(cmcc::NS) {
        return Ok(None);
    }
    let (content_type, content) = match root.name.as_str() {
        "outboundMessageRequest" => {
            let request = cmcc::Outbound::parse(body).map_err(|e| e.to_string())?;
            let content = request.body().map_err(|e| e.to_string())?;
            (request.content_type, content)
        }
        "inboundMessageNotification" => {
            let callback = cmcc::Inbound::parse(body).map_err(|e| e.to_string())?;
            (callback.content_type, callback.body_text.into_bytes())
        }
        _ => return Ok(None),
    };
    Ok(carried(&content_type, content))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Protocol;

    const CHIPS: &str =
        r#"{"suggestions":[{"reply":{"displayText":"Yes","postback":{"data":"yes"}}}]}"#;

    fn sip_message(content_type: &str, body: &str) -> Message {
        let text = format!(
            "MESSAGE sip:12599@botplatform.rcs.chinamobile.com SIP/2.0\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        Message::parse(text.into_bytes()).unwrap()
    }

    fn cpim(content_type: &str, content: &str) -> String {
        format!(
            "From: <sip:a@x>\r\nTo: <sip:b@x>\r\nNS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: Ab12Cd34\r\n\r\nContent-Type: {content_type}\r\n\r\n{content}"
        )
    }

    fn http(head: &str, body: &str) -> HttpMessage {
        let text = format!("{head}\r\nContent-Length: {}\r\n\r\n{body}", body.len());
        HttpMessage::parse(text.as_bytes()).unwrap()
    }

    #[test]
    fn sip_reads_the_cpim_inner_content_and_nothing_else() {
        let m = sip_message("message/cpim", &cpim(BOTSUGGESTION_TYPE, CHIPS));
        let c = sip(&m).unwrap().unwrap();
        assert_eq!(
            (c.content_type.as_str(), c.body.as_slice()),
            (BOTSUGGESTION_TYPE, CHIPS.as_bytes())
        );
        let text = sip_message("message/cpim", &cpim("text/plain;charset=UTF-8", "hi"));
        assert_eq!(sip(&text).unwrap().unwrap().body, b"hi");
        let imdn = sip_message("message/cpim", &cpim("message/imdn+xml", "<imdn/>"));
        assert_eq!(sip(&imdn), Ok(None), "an IMDN is no chatbot content");
        assert_eq!(sip(&sip_message("text/plain", "hi")), Ok(None));
        let direct = sip_message(BOTSUGGESTION_TYPE, CHIPS);
        assert!(sip(&direct).unwrap().is_some(), "a bare chip list");
        let broken = sip_message("message/cpim", "no blank line here");
        assert!(sip(&broken).is_err(), "a broken wrapper is unreadable");
    }

    #[test]
    fn msrp_reads_whole_sends_and_rebuilds_chunks() {
        let content = cpim(BOTSUGGESTION_TYPE, CHIPS);
        let send = |tid: &str, range: &str, body: &str, flag: char| {
            let text = format!(
                "MSRP {tid} SEND\r\nTo-Path: msrp://b.example:7394/s1;tcp\r\nFrom-Path: msrp://a.example:7777/s2;tcp\r\nMessage-ID: Mb1\r\nByte-Range: {range}\r\nContent-Type: message/cpim\r\n\r\n{body}\r\n-------{tid}{flag}\r\n"
            );
            Msg::parse(Protocol::Msrp, text.as_bytes()).unwrap()
        };
        let n = content.len();
        let whole = send("tid1", &format!("1-{n}/{n}"), &content, '$');
        let frame = whole.as_msrp().unwrap();
        assert_eq!(
            msrp(frame, &[&whole]).unwrap().unwrap().body,
            CHIPS.as_bytes()
        );
        let (a, b) = content.split_at(40);
        let first = send("tid2", &format!("1-40/{n}"), a, '+');
        let second = send("tid3", &format!("41-{n}/{n}"), b, '$');
        let chunk = first.as_msrp().unwrap();
        assert!(msrp(chunk, &[&first]).unwrap_err().contains("incomplete"));
        let rebuilt = msrp(chunk, &[&first, &second]).unwrap().unwrap();
        assert_eq!(rebuilt.content_type, BOTSUGGESTION_TYPE);
    }

    #[test]
    fn http_reads_chatbot_bodies_and_developer_api_documents() {
        let direct = http(
            "POST /cb HTTP/1.1\r\nContent-Type: application/vnd.gsma.botsuggestion.v1.0+json",
            CHIPS,
        );
        assert!(http_located(&direct).is_some());
        let ctcu = format!(
            r#"{{"messageId":"m1","messageList":[{{"contentType":"text/plain","contentText":"您好"}},{{"contentType":"{BOTSUGGESTION_TYPE}","contentText":{CHIPS}}}],"destinationAddress":["tel:+8613800000001"]}}"#
        );
        let sent = http(
            "POST /bot/v1/sip:106500@botplatform.rcs.domain.cn/messages HTTP/1.1\r\nContent-Type: application/json",
            &ctcu,
        );
        let c = http_located(&sent).unwrap();
        assert_eq!(c.content_type, "multipart/mixed; boundary=\"next\"");
        let answer = http(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json",
            r#"{"errorCode":0}"#,
        );
        assert_eq!(super::http(&answer), Ok(None));
        let bad = http(
            "POST /x HTTP/1.1\r\nContent-Type: application/json",
            r#"{"messageList":[{"contentText":"x"}]}"#,
        );
        assert!(super::http(&bad).unwrap_err().contains("contentType"));
        let inbound = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><msg:inboundMessageNotification xmlns:msg=\"{}\"><inboundMessage><destinationAddress>sip:12599@botplatform.rcs.chinamobile.com</destinationAddress><senderAddress>tel:+8613800000001</senderAddress><messageId>Ab12</messageId><contentType>{SUGGESTION_RESPONSE_TYPE}</contentType><bodyText><![CDATA[{{\"response\":{{}}}}]]></bodyText><dateTime>2025-03-01T10:02:00.000+08:00</dateTime></inboundMessage></msg:inboundMessageNotification>",
            cmcc::NS
        );
        let callback = http(
            "POST /cb HTTP/1.1\r\nContent-Type: application/xml",
            &inbound,
        );
        let c = http_located(&callback).unwrap();
        assert_eq!(
            (c.content_type.as_str(), c.body.as_slice()),
            (SUGGESTION_RESPONSE_TYPE, &b"{\"response\":{}}"[..])
        );
        let other = http(
            "HTTP/1.1 200 OK\r\nContent-Type: application/xml",
            "<a xmlns=\"urn:x\"/>",
        );
        assert_eq!(super::http(&other), Ok(None));
    }

    fn http_located(msg: &HttpMessage) -> Option<BotContent> {
        super::http(msg).unwrap()
    }
}
