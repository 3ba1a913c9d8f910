//! What the interworking function (IWF) of network fallback writes (protocols.md §9.2
//! mechanism 2; YD/T 3912-2021 4.4 "RCS转短消息"): the SMS text of a CPM message, the SMS-over-IP
//! MESSAGEs that submit it to the SMS centre (3GPP TS 24.341 5.3.1.2), and the delivery
//! notification its sender gets (RFC 5438).
//!
//! The text of a `text/plain` CPIM content is taken as is; a file transfer (an FT-HTTP file-info,
//! protocols.md §5.2) becomes the file's name and its download link, so the user without RCS can
//! fetch it (the link itself is the content server's, valid until its `until`). Other contents
//! (IMDNs, revokes, chatbot content) have no SMS form. One MESSAGE per part: Request-URI and To
//! the service centre's number, From and P-Asserted-Identity the sender's MSISDN as a tel URI
//! (the originator of the SMS, §13.3 IWK-SMS-001), an RP-DATA around an SMS-SUBMIT to the
//! recipient (GSM 7-bit when the text fits it, else UCS-2; concatenated when long:
//! `rcs_proto::sms`). This module builds messages; it sends nothing.

use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use rcs_harness::events::Transport;
use rcs_proto::cpim::CpimMessage;
use rcs_proto::ft_http::FileTransferInfo;
use rcs_proto::imdn::{DeliveryStatus, Imdn, Notification, imdn_cpim};
use rcs_proto::sip::{Message, MessageBuilder, Uri};
use rcs_proto::sms::{self, MAX_PARTS};

use super::reply;
use super::saf_notify;
use super::store::Stored;

/// The service centre the IWF submits to (the SMS center role's default number).
pub const SERVICE_CENTRE: &str = crate::sms_center::DEFAULT_NUMBER;

/// The longest text converted, in characters (the parts stay under the 255 a reference numbers).
pub const MAX_TEXT: usize = 4096;

/// The media type of an FT-HTTP file-info (protocols.md §5.2).
const FILE_INFO: &str = "application/vnd.gsma.rcs-ft-http+xml";

/// One CPM message to convert: who sent it, to whom, what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sms {
    /// The sender's MSISDN (`+86…`): the SMS originator.
    pub originator: String,
    /// The recipient's MSISDN: TP-DA.
    pub recipient: String,
    /// The SMS text.
    pub text: String,
}

/// What the sender is told once the SMS centre took every part: a `delivered` notification
/// (RFC 5438 7.2.1.1), when the message asked for `positive-delivery`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// The sender's URI (the notification's To and Request-URI target).
    pub sender: Uri,
    /// The recipient's URI (the notification's From and asserted identity).
    pub recipient: String,
    /// The original `imdn.Message-ID`.
    pub imdn_id: String,
    /// Conversation-ID and Contribution-ID of the original.
    pub headers: Vec<(String, String)>,
}

/// The SMS text of a CPM `request`, or `None` when its content has no SMS form; a file's link
/// is left out without `with_link` (the `message-center.fallback-file-without-link` fault).
pub fn text_of(request: &Message, with_link: bool) -> Option<String> {
    let cpim = CpimMessage::parse(request.body()).ok()?;
    let content_type = cpim
        .content_type()?
        .split(';')
        .next()?
        .trim()
        .to_ascii_lowercase();
    let body = cpim.decoded_body().ok()?;
    let text = match content_type.as_str() {
        "text/plain" => String::from_utf8(body).ok()?,
        FILE_INFO => file_text(&FileTransferInfo::parse(&body).ok()?, with_link),
        _ => return None,
    };
    (!text.is_empty()).then(|| text.chars().take(MAX_TEXT).collect())
}

/// The SMS of a file transfer: the file's name and its download link.
pub fn file_text(info: &FileTransferInfo, with_link: bool) -> String {
    let name = info.file.name.as_deref().unwrap_or("file");
    match with_link {
        true => format!("[文件] {name} {}", info.file.data.url),
        false => format!("[文件] {name}"),
    }
}

/// The notice owed to the sender of `request`, when its CPIM asked for `positive-delivery`.
pub fn notice_of(request: &Message, recipient: &str) -> Option<Notice> {
    let cpim = CpimMessage::parse(request.body()).ok()?;
    let asked = cpim
        .disposition_notification()
        .iter()
        .any(|d| d.eq_ignore_ascii_case("positive-delivery"));
    if !asked {
        return None;
    }
    let headers = ["Conversation-ID", "Contribution-ID"]
        .iter()
        .filter_map(|name| Some(((*name).to_owned(), request.header(name)?.to_owned())))
        .collect();
    Some(Notice {
        sender: request.from_header().ok()?.uri,
        recipient: recipient.to_owned(),
        imdn_id: cpim.imdn_message_id()?.to_owned(),
        headers,
    })
}

/// The RP-DATA bodies of `sms`, one per part; with `one_part`, only what fits one SMS is kept
/// (the `message-center.fallback-single-segment` fault).
pub fn bodies(sms: &Sms, one_part: bool) -> Result<Vec<Vec<u8>>, String> {
    let text = match one_part {
        true => {
            let fits = if sms::is_gsm7(&sms.text) { 160 } else { 70 };
            sms.text.chars().take(fits).collect()
        }
        false => sms.text.clone(),
    };
    let bodies = sms::submit_text(&text, &sms.recipient, SERVICE_CENTRE, rand::random())
        .map_err(|e| format!("failed to {e}"))?;
    match bodies.len() {
        0 => Err("failed to convert to SMS: no parts".to_owned()),
        n if n > MAX_PARTS => Err(format!("failed to convert to SMS: {n} parts")),
        _ => Ok(bodies),
    }
}

/// How and from where a request leaves the message center.
#[derive(Clone, Copy, Debug)]
pub struct Leg {
    /// The transport.
    pub transport: Transport,
    /// The address put in Via.
    pub via_addr: SocketAddr,
}

/// The SMS-over-IP MESSAGE carrying `body` from `originator` (`+86…`), with `branch` and
/// `call_id`.
pub fn submit_request(
    originator: &str,
    body: Vec<u8>,
    leg: Leg,
    branch: &str,
    call_id: &str,
) -> Message {
    let centre = format!("tel:{SERVICE_CENTRE}");
    let from = format!("tel:{originator}");
    MessageBuilder::request("MESSAGE", &centre)
        .header("Via", &via(leg, branch))
        .header("Max-Forwards", "70")
        .header("From", &format!("<{from}>;tag={}", reply::token(10)))
        .header("To", &format!("<{centre}>"))
        .header("Call-ID", call_id)
        .header("CSeq", "1 MESSAGE")
        .header("P-Asserted-Identity", &format!("<{from}>"))
        .body(sms::CONTENT_TYPE, body)
        .build()
}

/// The stored form of the `delivered` notification of `notice` (sent like a deferred delivery).
pub fn notification(notice: &Notice, now: Instant) -> Stored {
    let imdn = Imdn {
        message_id: notice.imdn_id.clone(),
        datetime: saf_notify::date_time(now),
        recipient_uri: None,
        original_recipient_uri: None,
        notification: Notification::Delivery(DeliveryStatus::Delivered),
    };
    let body = imdn_cpim(&saf_notify::new_message_id(), &imdn);
    let identity = format!("<{}>", notice.recipient);
    let mut headers = vec![(
        "Accept-Contact".to_owned(),
        "*;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"".to_owned(),
    )];
    headers.extend(notice.headers.iter().cloned());
    Stored {
        seq: 0,
        recipient: notice.sender.user_decoded().unwrap_or_default(),
        sender: None,
        from: identity.clone(),
        to: format!("<{}>", notice.sender),
        identity: Some(identity),
        headers,
        content_type: "message/cpim".to_owned(),
        body: Bytes::from(body),
        imdn_id: None,
        negative: false,
        expires_at: now,
        in_flight: false,
    }
}

fn via(leg: Leg, branch: &str) -> String {
    let transport = match leg.transport {
        Transport::Udp => "UDP",
        Transport::Tcp => "TCP",
        Transport::Tls => "TLS",
    };
    format!("SIP/2.0/{transport} {};branch={branch}", leg.via_addr)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_proto::cpim::CpimBuilder;
    use rcs_proto::sms::{Coding, RpData, Tpdu, reassemble};

    use super::*;

    fn cpm(content_type: &str, body: &str, disposition: Option<&str>) -> Message {
        let mut cpim = CpimBuilder::new()
            .from("<sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>")
            .to("<sip:+8613900000002@ims.mnc000.mcc460.3gppnetwork.org>")
            .ns("imdn", rcs_proto::cpim::IMDN_NS)
            .header("imdn.Message-ID", "Msg0001abcd");
        if let Some(disposition) = disposition {
            cpim = cpim.header("imdn.Disposition-Notification", disposition);
        }
        let cpim = cpim
            .content_type(content_type)
            .body(body.as_bytes().to_vec())
            .build();
        MessageBuilder::request("MESSAGE", "tel:+8613900000002")
            .header("From", "<tel:+8613800000001>;tag=a")
            .header("Conversation-ID", "conv-1")
            .body("message/cpim", cpim)
            .build()
    }

    #[test]
    fn text_and_files_have_an_sms_form_and_imdns_do_not() {
        let text = cpm("text/plain;charset=UTF-8", "你好 SMS", None);
        assert_eq!(text_of(&text, true).as_deref(), Some("你好 SMS"));
        let xml = "<?xml version=\"1.0\"?><file xmlns=\"urn:gsma:params:xml:ns:rcs:rcs:fthttp\">\
<file-info type=\"file\"><file-size>3</file-size><file-name>a.jpg</file-name>\
<content-type>image/jpeg</content-type>\
<data url=\"https://cs.example/f/1\" until=\"2030-01-01T00:00:00Z\"/></file-info></file>";
        let file = cpm(FILE_INFO, xml, None);
        assert_eq!(
            text_of(&file, true).as_deref(),
            Some("[文件] a.jpg https://cs.example/f/1")
        );
        assert_eq!(text_of(&file, false).as_deref(), Some("[文件] a.jpg"));
        let imdn = cpm("message/imdn+xml", "<imdn/>", None);
        assert_eq!(text_of(&imdn, true), None);
    }

    #[test]
    fn the_notice_needs_positive_delivery() {
        let recipient = "tel:+8613900000002";
        assert_eq!(notice_of(&cpm("text/plain", "x", None), recipient), None);
        let asked = cpm("text/plain", "x", Some("positive-delivery, display"));
        let notice = notice_of(&asked, recipient).unwrap();
        assert_eq!(notice.imdn_id, "Msg0001abcd");
        assert_eq!(notice.sender.to_string(), "tel:+8613800000001");
        let stored = notification(&notice, Instant::now());
        assert_eq!(stored.to, "<tel:+8613800000001>");
        assert_eq!(stored.identity.as_deref(), Some("<tel:+8613900000002>"));
        let cpim = CpimMessage::parse(&stored.body).unwrap();
        let imdn = Imdn::from_cpim(&cpim).unwrap();
        assert_eq!(imdn.message_id, "Msg0001abcd");
        assert_eq!(
            imdn.notification,
            Notification::Delivery(DeliveryStatus::Delivered)
        );
    }

    #[test]
    fn long_chinese_text_is_three_ucs2_parts_unless_cut() {
        let sms = Sms {
            originator: "+8613800000001".to_owned(),
            recipient: "+8613900000002".to_owned(),
            text: "短信回落测试".repeat(25),
        };
        let parts: Vec<_> = bodies(&sms, false)
            .unwrap()
            .iter()
            .map(|b| RpData::decode(b).unwrap().tpdu.user_data().clone())
            .collect();
        assert_eq!(parts.len(), 3);
        assert!(parts.iter().all(|u| u.coding == Coding::Ucs2));
        assert_eq!(reassemble(&parts).unwrap(), sms.text);
        assert_eq!(bodies(&sms, true).unwrap().len(), 1);
    }

    #[test]
    fn the_submission_comes_from_the_sender_number() {
        let leg = Leg {
            transport: Transport::Tcp,
            via_addr: "127.0.0.1:5060".parse().unwrap(),
        };
        let request = submit_request("+8613800000001", vec![1, 2], leg, "z9hG4bKx", "c@h");
        assert_eq!(request.request_uri(), Some("tel:+8613800100500"));
        assert_eq!(
            request.header("P-Asserted-Identity"),
            Some("<tel:+8613800000001>")
        );
        let rp = RpData::decode(request.body());
        assert!(rp.is_err(), "the body is what it was given");
        assert!(
            request
                .header("Via")
                .unwrap()
                .starts_with("SIP/2.0/TCP 127.0.0.1:5060")
        );
        let sms = Sms {
            originator: "+8613800000001".to_owned(),
            recipient: "+8613900000002".to_owned(),
            text: "hello".to_owned(),
        };
        let body = bodies(&sms, false).unwrap().remove(0);
        let Tpdu::Submit(submit) = RpData::decode(&body).unwrap().tpdu else {
            panic!("not a submit");
        };
        assert_eq!(submit.destination, "+8613900000002");
    }
}
