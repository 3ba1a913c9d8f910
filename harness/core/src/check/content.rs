//! The content of a message as checks read it: the CPIM wrapper of a SIP body or MSRP chunk
//! (RFC 3862), a part of a multipart SIP body (RFC 2046 5.1), the SDP of a SIP body
//! (RFC 8866; RFC 4975 §8 for MSRP media lines), and the document `xml:` and `json:` read: the
//! content inside a message/cpim wrapper (an IMDN, an FT-HTTP file-info: RFC 3862 §3.2), else the
//! body itself.
//!
//! What is not here: judging. Each function returns what is there, or why it cannot be read.

use rcs_proto::cpim::CpimMessage;
use rcs_proto::msrp::Frame;
use rcs_proto::multipart;
use rcs_proto::sdp::{Direction, Media, Sdp};
use rcs_proto::sip::Message;

use crate::check::subject::Observed;

/// Whether a Content-Type value names `media_type` (type/subtype, parameters ignored).
fn is_type(content_type: &str, media_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(media_type))
}

fn is_multipart(content_type: &str) -> bool {
    content_type
        .trim()
        .to_ascii_lowercase()
        .starts_with("multipart/")
}

/// The body of the part of type `media_type`: the whole body when it is of that type, else the
/// matching part of a multipart body.
pub(crate) fn part_body(msg: &Message, media_type: &str) -> Result<Option<Vec<u8>>, String> {
    let ct = msg.header("Content-Type").unwrap_or_default();
    if is_type(ct, media_type) {
        return Ok(Some(msg.body().to_vec()));
    }
    if !is_multipart(ct) {
        return Ok(None);
    }
    let parts = multipart::parse(ct, msg.body()).map_err(|e| e.to_string())?;
    Ok(multipart::find(&parts, media_type).map(|p| p.body.clone()))
}

/// `part: <media type>`: that part's body as text.
pub fn part(msg: &Message, media_type: &str) -> Observed {
    match part_body(msg, media_type) {
        Ok(Some(body)) => Observed::One(String::from_utf8_lossy(&body).into_owned()),
        Ok(None) => Observed::Absent,
        Err(e) => Observed::Unreadable(e),
    }
}

/// The CPIM wrapper of a SIP body, or of its message/cpim part when the body is multipart.
pub fn sip_cpim(msg: &Message) -> Result<CpimMessage, Observed> {
    let ct = msg.header("Content-Type").unwrap_or_default();
    match part_body(msg, "message/cpim") {
        Ok(Some(body)) => {
            CpimMessage::parse(&body).map_err(|e| Observed::Unreadable(e.to_string()))
        }
        Ok(None) if is_multipart(ct) => Err(Observed::Unreadable(format!(
            "the multipart body has no message/cpim part (Content-Type: {ct})"
        ))),
        Ok(None) => Err(Observed::Unreadable(format!(
            "body is not message/cpim (Content-Type: {ct})"
        ))),
        Err(e) => Err(Observed::Unreadable(e)),
    }
}

/// The CPIM wrapper carried by an MSRP chunk, when its Content-Type is message/cpim.
pub fn msrp_cpim(frame: &Frame) -> Result<CpimMessage, Observed> {
    let ct = frame.content_type().unwrap_or_default();
    if !is_type(ct, "message/cpim") {
        return Err(Observed::Unreadable(format!(
            "content is not message/cpim (Content-Type: {ct})"
        )));
    }
    CpimMessage::parse(&frame.body).map_err(|e| Observed::Unreadable(e.to_string()))
}

/// The content a CPIM wrapper carries, its Content-Transfer-Encoding undone.
pub(crate) fn cpim_content(cpim: &CpimMessage) -> Result<Vec<u8>, Observed> {
    cpim.decoded_body()
        .map_err(|e| Observed::Unreadable(e.to_string()))
}

/// The document of a SIP body: the content of its message/cpim wrapper (the whole body or its
/// multipart part), else the body as it is.
pub fn sip_document(msg: &Message) -> Result<Vec<u8>, Observed> {
    match part_body(msg, "message/cpim") {
        Ok(Some(_)) => sip_cpim(msg).and_then(|c| cpim_content(&c)),
        Ok(None) => Ok(msg.body().to_vec()),
        Err(e) => Err(Observed::Unreadable(e)),
    }
}

/// The document of an MSRP SEND: the content of the CPIM wrapper of the whole message (rebuilt
/// from the chunks of `group` when `frame` is one chunk of several), else the frame's body.
pub fn msrp_document(frame: &Frame, group: &[&crate::check::Msg]) -> Result<Vec<u8>, Observed> {
    if !is_type(frame.content_type().unwrap_or_default(), "message/cpim") {
        return Ok(frame.body.to_vec());
    }
    let whole = crate::check::rebuilt::whole_content(frame, group).map_err(Observed::Unreadable)?;
    let cpim = CpimMessage::parse(&whole).map_err(|e| Observed::Unreadable(e.to_string()))?;
    cpim_content(&cpim)
}

/// `sdp: <name>`: a value of the SDP of the body (or of its application/sdp part), read from
/// the first `m=message` section (the first section when there is none) and, where RFC 8866
/// lets a value sit at session level, from the session.
pub fn sdp(msg: &Message, name: &str, list: bool) -> Observed {
    let body = match part_body(msg, "application/sdp") {
        Ok(Some(body)) => body,
        Ok(None) => return Observed::Absent,
        Err(e) => return Observed::Unreadable(e),
    };
    let sdp = match Sdp::parse(&body) {
        Ok(s) => s,
        Err(e) => return Observed::Unreadable(e.to_string()),
    };
    let media = sdp.media();
    let Some(m) = media
        .iter()
        .find(|m| m.kind == "message")
        .or_else(|| media.first())
    else {
        return Observed::Unreadable("the SDP has no m= line".to_owned());
    };
    sdp_value(&sdp, m, name, list)
}

fn sdp_value(sdp: &Sdp, m: &Media, name: &str, list: bool) -> Observed {
    let one = |v: Option<&str>| v.map_or(Observed::Absent, |s| Observed::One(s.to_owned()));
    match name.to_ascii_lowercase().as_str() {
        "path" => match m.attributes("path") {
            v if v.is_empty() => Observed::Absent,
            v if list => Observed::Many(words(&v.join(" "))),
            v => Observed::One(v.join(" ")),
        },
        "accept-types" | "accept-wrapped-types" => match m.attribute(name) {
            None => Observed::Absent,
            Some(v) if list => Observed::Many(words(v)),
            Some(v) => Observed::One(v.to_owned()),
        },
        "direction" => Observed::One(direction(sdp, m).as_str().to_owned()),
        "proto" => Observed::One(m.proto.clone()),
        "port" => Observed::One(m.port.to_string()),
        "connection" => one(m.connection().or_else(|| sdp.connection())),
        "max-size" => one(m
            .attribute("max-size")
            .or_else(|| sdp.session_attribute("max-size"))),
        other => one(m.attribute(other).or_else(|| sdp.session_attribute(other))),
    }
}

/// RFC 4566 6: the media-level direction attribute, else the session-level one, else sendrecv.
fn direction(sdp: &Sdp, m: &Media) -> Direction {
    let names = ["sendrecv", "sendonly", "recvonly", "inactive"];
    let find = |has: &dyn Fn(&str) -> bool| {
        names
            .iter()
            .find(|n| has(n))
            .and_then(|n| Direction::from_attribute(n))
    };
    find(&|n| m.has_attribute(n))
        .or_else(|| find(&|n| sdp.session_attribute(n).is_some()))
        .unwrap_or(Direction::SendRecv)
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDP: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=message 9 TCP/MSRP *\r\na=path:msrp://127.0.0.1:9/abcd;tcp\r\na=setup:active\r\na=accept-types:message/cpim application/im-iscomposing+xml\r\na=accept-wrapped-types:text/plain *\r\na=msrp-cema\r\na=recvonly\r\n";

    fn sip(content_type: &str, body: &str) -> Message {
        let text = format!(
            "INVITE sip:b@x SIP/2.0\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        Message::parse(text.into_bytes()).unwrap()
    }

    #[test]
    fn sdp_values_of_a_plain_body() {
        let m = sip("application/sdp", SDP);
        assert_eq!(
            sdp(&m, "path", false),
            Observed::One("msrp://127.0.0.1:9/abcd;tcp".into())
        );
        assert_eq!(sdp(&m, "setup", false), Observed::One("active".into()));
        assert_eq!(
            sdp(&m, "accept-types", true),
            Observed::Many(vec![
                "message/cpim".into(),
                "application/im-iscomposing+xml".into()
            ])
        );
        assert_eq!(
            sdp(&m, "direction", false),
            Observed::One("recvonly".into())
        );
        assert_eq!(sdp(&m, "proto", false), Observed::One("TCP/MSRP".into()));
        assert_eq!(sdp(&m, "port", false), Observed::One("9".into()));
        assert_eq!(
            sdp(&m, "connection", false),
            Observed::One("IN IP4 127.0.0.1".into())
        );
        assert_eq!(sdp(&m, "msrp-cema", false), Observed::One(String::new()));
        assert_eq!(sdp(&m, "max-size", false), Observed::Absent);
        let none = sip("text/plain", "hi");
        assert_eq!(sdp(&none, "setup", false), Observed::Absent);
    }

    #[test]
    fn multipart_bodies_give_their_parts() {
        let cpim = "From: <sip:a@x>\r\nTo: <sip:b@x>\r\nNS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: M1x2y3z4\r\n\r\nContent-Type: text/plain\r\n\r\nhello";
        let body = format!(
            "--b1\r\nContent-Type: application/sdp\r\n\r\n{SDP}\r\n--b1\r\nContent-Type: message/cpim\r\n\r\n{cpim}\r\n--b1--\r\n"
        );
        let m = sip("multipart/mixed; boundary=b1", &body);
        assert_eq!(sdp(&m, "setup", false), Observed::One("active".into()));
        let wrapper = sip_cpim(&m).unwrap();
        assert_eq!(wrapper.header("imdn.Message-ID"), Some("M1x2y3z4"));
        assert!(matches!(part(&m, "message/cpim"), Observed::One(t) if t.ends_with("hello")));
        assert_eq!(part(&m, "application/resource-lists+xml"), Observed::Absent);
        let plain = sip("text/plain", "hi");
        assert!(
            matches!(sip_cpim(&plain), Err(Observed::Unreadable(w)) if w.contains("not message/cpim"))
        );
    }
}
