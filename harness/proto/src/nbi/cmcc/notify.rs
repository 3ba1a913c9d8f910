//! The CMCC documents other than the send request (protocols.md §8.1.2, §8.1.3, §8.1.5): the
//! synchronous send response and `common:requestError`, the callbacks the platform posts to the
//! chatbot (`inboundMessageNotification`, `deliveryInfoNotification`,
//! `messageStatusNotification`), and the revoke request `messageStatusReport`.
//!
//! [`Inbound::parse`] decodes a `base64` `bodyText` (§8.1.5: the receiver must decode before
//! parsing) and keeps a CDATA body byte-exact; [`Inbound::to_xml`] encodes it back when
//! `content_encoding` is `base64`, so a round trip is lossless. The layout of
//! `messageStatusNotification` (revoke result) is a simulator choice: §8.1.5 only saw it as JSON in
//! one aggregator's variant; it carries `address`, `messageId` and `status` at its root.
//! The `link` element of a delivery notification is not written and ignored on reading.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::nbi::NbiError;
use crate::nbi::xml::{Doc, kid, parse, raw_text, required, text, texts};
use crate::xml_tree::Element;

use super::outbound::decode_body;
use super::{BOT_VERSION, CHATBOT_CAPABILITY, COMMON_NS, NS};

const SEND_RESPONSE: &str = "outboundMessageRequest";
const REQUEST_ERROR: &str = "requestError";
const DELIVERY: &str = "deliveryInfoNotification";
const INBOUND: &str = "inboundMessageNotification";
const STATUS_REPORT: &str = "messageStatusReport";
const STATUS: &str = "messageStatusNotification";

/// The state of a message for one recipient.
#[derive(Clone, Debug, PartialEq)]
pub struct DeliveryInfo {
    /// `address`, the user (`tel:+86…`).
    pub address: String,
    /// `messageId`.
    pub message_id: String,
    /// `deliveryStatus`: `MessageSent`, `DeliveredToTerminal`, `DeliveryImpossible`,
    /// `DeliveredToNetwork`, `MessageDisplayed`, `MessageWaiting`…
    pub status: String,
    /// `description`: `UP2`, `SMS`, an error code such as `SVC0001`.
    pub description: Option<String>,
}

/// The synchronous answer to a send: the message id, the correlator, and per-recipient states.
pub fn send_response(
    message_id: &str,
    client_correlator: Option<&str>,
    infos: &[DeliveryInfo],
) -> Vec<u8> {
    let mut w = Doc::new();
    w.open(&format!("msg:{SEND_RESPONSE}"), &[("xmlns:msg", NS)])
        .leaf("messageId", message_id)
        .leaf_opt("clientCorrelator", client_correlator);
    if !infos.is_empty() {
        w.open("deliveryInfoList", &[]);
        for info in infos {
            let own_id = (info.message_id != message_id).then_some(info.message_id.as_str());
            write_info(&mut w, info, own_id);
        }
        w.close("deliveryInfoList");
    }
    w.close(&format!("msg:{SEND_RESPONSE}")).finish()
}

/// The message id and the per-recipient states of a send response.
pub fn parse_send_response(xml: &[u8]) -> Result<(String, Vec<DeliveryInfo>), NbiError> {
    let root = parse(xml, SEND_RESPONSE, NS, SEND_RESPONSE)?;
    let message_id = required(&root, "messageId", SEND_RESPONSE)?;
    let infos = match kid(&root, &["deliveryInfoList"]) {
        None => Vec::new(),
        Some(list) => list
            .children
            .iter()
            .filter(|c| c.name == "deliveryInfo")
            .map(|i| read_info(i, Some(&message_id), SEND_RESPONSE))
            .collect::<Result<_, _>>()?,
    };
    Ok((message_id, infos))
}

/// A `common:requestError` with a `policyException` (`policy`) or a `serviceException`, e.g.
/// `POL0003`, `Too many addresses specified in message part %1`, `["destinationAddress"]`.
pub fn request_error(policy: bool, id: &str, text: &str, variables: &[&str]) -> Vec<u8> {
    let kind = exception(policy);
    let mut w = Doc::new();
    w.open(
        &format!("common:{REQUEST_ERROR}"),
        &[("xmlns:common", COMMON_NS)],
    )
    .open(kind, &[])
    .leaf("exceptionId", id)
    .leaf("text", text);
    for variable in variables {
        w.leaf("variables", variable);
    }
    w.close(kind)
        .close(&format!("common:{REQUEST_ERROR}"))
        .finish()
}

/// `(exceptionId, text)` of a `requestError`, policy or service exception.
pub fn parse_request_error(xml: &[u8]) -> Result<(String, String), NbiError> {
    let root = parse(xml, REQUEST_ERROR, COMMON_NS, REQUEST_ERROR)?;
    let exception = kid(&root, &[exception(true), exception(false)]).ok_or_else(|| {
        NbiError::new(
            REQUEST_ERROR,
            "policyException or serviceException is missing",
        )
    })?;
    Ok((
        required(exception, "exceptionId", REQUEST_ERROR)?,
        required(exception, "text", REQUEST_ERROR)?,
    ))
}

fn exception(policy: bool) -> &'static str {
    match policy {
        true => "policyException",
        false => "serviceException",
    }
}

/// The delivery status callback (`DeliveryInfoNotification`).
pub fn delivery_notification(info: &DeliveryInfo) -> Vec<u8> {
    let mut w = Doc::new();
    w.open(&format!("msg:{DELIVERY}"), &[("xmlns:msg", NS)]);
    write_info(&mut w, info, Some(&info.message_id));
    w.close(&format!("msg:{DELIVERY}")).finish()
}

/// Reads a delivery status callback; `address`, `messageId` and `deliveryStatus` are required.
pub fn parse_delivery_notification(xml: &[u8]) -> Result<DeliveryInfo, NbiError> {
    let root = parse(xml, DELIVERY, NS, DELIVERY)?;
    let info = kid(&root, &["deliveryInfo"])
        .ok_or_else(|| NbiError::new(DELIVERY, "deliveryInfo is missing"))?;
    read_info(info, None, DELIVERY)
}

fn write_info(w: &mut Doc, info: &DeliveryInfo, message_id: Option<&str>) {
    w.open("deliveryInfo", &[])
        .leaf("address", &info.address)
        .leaf_opt("messageId", message_id)
        .leaf("deliveryStatus", &info.status)
        .leaf_opt("description", info.description.as_deref())
        .close("deliveryInfo");
}

fn read_info(
    info: &Element,
    message_id: Option<&str>,
    doc: &'static str,
) -> Result<DeliveryInfo, NbiError> {
    let own = text(info, &["messageId"]);
    Ok(DeliveryInfo {
        address: required(info, "address", doc)?,
        message_id: own
            .or(message_id.map(str::to_owned))
            .ok_or_else(|| NbiError::new(doc, "messageId is missing"))?,
        status: required(info, "deliveryStatus", doc)?,
        description: text(info, &["description"]),
    })
}

/// A user's message to the chatbot (`InboundMessageNotification`, §8.1.5).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Inbound {
    /// `destinationAddress`: the chatbot URI.
    pub destination_address: String,
    /// `senderAddress`: the user.
    pub sender_address: String,
    /// `messageId`: the user's `imdn.Message-ID`.
    pub message_id: String,
    /// `contentType`, such as `application/vnd.gsma.botsuggestion.response.v1.0+json`.
    pub content_type: String,
    /// `contentEncoding` on the wire: `utf8` or `base64`.
    pub content_encoding: Option<String>,
    /// `bodyText`, decoded when `content_encoding` is `base64`.
    pub body_text: String,
    /// `conversationID`.
    pub conversation_id: Option<String>,
    /// `contributionID`.
    pub contribution_id: Option<String>,
    /// `inReplyToContributionID`.
    pub in_reply_to_contribution_id: Option<String>,
    /// `dateTime`, e.g. `2025-03-01T10:02:00.000+08:00`.
    pub date_time: String,
}

impl Inbound {
    /// The callback document; the body is base64-encoded when `content_encoding` says so.
    pub fn to_xml(&self) -> Vec<u8> {
        let base64 = is_base64(self.content_encoding.as_deref());
        let body = match base64 {
            true => STANDARD.encode(&self.body_text),
            false => self.body_text.clone(),
        };
        let mut w = Doc::new();
        w.open(&format!("msg:{INBOUND}"), &[("xmlns:msg", NS)])
            .open("inboundMessage", &[])
            .leaf("destinationAddress", &self.destination_address)
            .leaf("senderAddress", &self.sender_address)
            .leaf("messageId", &self.message_id)
            .leaf("contentType", &self.content_type)
            .leaf_opt("contentEncoding", self.content_encoding.as_deref())
            .open("serviceCapability", &[])
            .leaf("capabilityId", CHATBOT_CAPABILITY)
            .leaf("version", BOT_VERSION)
            .close("serviceCapability")
            .cdata("bodyText", &body)
            .leaf_opt("conversationID", self.conversation_id.as_deref())
            .leaf_opt("contributionID", self.contribution_id.as_deref())
            .leaf_opt(
                "inReplyToContributionID",
                self.in_reply_to_contribution_id.as_deref(),
            )
            .leaf("dateTime", &self.date_time)
            .close("inboundMessage")
            .close(&format!("msg:{INBOUND}"))
            .finish()
    }

    /// Reads the callback; `destinationAddress`, `senderAddress`, `messageId`, `contentType`,
    /// `bodyText` and `dateTime` are required; a `base64` body is decoded (it must be UTF-8).
    pub fn parse(xml: &[u8]) -> Result<Self, NbiError> {
        let root = parse(xml, INBOUND, NS, INBOUND)?;
        let msg = kid(&root, &["inboundMessage"])
            .ok_or_else(|| NbiError::new(INBOUND, "inboundMessage is missing"))?;
        let raw = raw_text(xml, &[INBOUND, "inboundMessage", "bodyText"], INBOUND)?
            .ok_or_else(|| NbiError::new(INBOUND, "bodyText is missing"))?;
        let content_encoding = text(msg, &["contentEncoding"]);
        let body = decode_body(&raw, content_encoding.as_deref(), INBOUND)?;
        let body_text = String::from_utf8(body)
            .map_err(|_| NbiError::new(INBOUND, "the base64 bodyText is not UTF-8"))?;
        Ok(Self {
            destination_address: required(msg, "destinationAddress", INBOUND)?,
            sender_address: required(msg, "senderAddress", INBOUND)?,
            message_id: required(msg, "messageId", INBOUND)?,
            content_type: required(msg, "contentType", INBOUND)?,
            content_encoding,
            body_text,
            conversation_id: text(msg, &["conversationID", "conversationId"]),
            contribution_id: text(msg, &["contributionID", "contributionId"]),
            in_reply_to_contribution_id: text(msg, &["inReplyToContributionID"]),
            date_time: required(msg, "dateTime", INBOUND)?,
        })
    }
}

fn is_base64(encoding: Option<&str>) -> bool {
    encoding.is_some_and(|e| e.trim().eq_ignore_ascii_case("base64"))
}

/// The revoke request `msg:messageStatusReport` with its `status` (`RevokeRequested`).
pub fn status_report(status: &str) -> Vec<u8> {
    let mut w = Doc::new();
    w.open(&format!("msg:{STATUS_REPORT}"), &[("xmlns:msg", NS)])
        .leaf("status", status)
        .close(&format!("msg:{STATUS_REPORT}"))
        .finish()
}

/// The `status` of a `messageStatusReport`.
pub fn parse_status_report(xml: &[u8]) -> Result<String, NbiError> {
    let root = parse(xml, STATUS_REPORT, NS, STATUS_REPORT)?;
    required(&root, "status", STATUS_REPORT)
}

/// The revoke result callback (`MessageStatusNotification`): `Revoked` or `RevokeFailed`.
pub fn status_notification(message_id: &str, address: &str, status: &str) -> Vec<u8> {
    let mut w = Doc::new();
    w.open(&format!("msg:{STATUS}"), &[("xmlns:msg", NS)])
        .leaf("address", address)
        .leaf("messageId", message_id)
        .leaf("status", status)
        .close(&format!("msg:{STATUS}"))
        .finish()
}

/// `(messageId, address, status)` of a revoke result callback.
pub fn parse_status_notification(xml: &[u8]) -> Result<(String, String, String), NbiError> {
    let root = parse(xml, STATUS, NS, STATUS)?;
    let addresses = texts(&root, &["address", "Address"]);
    Ok((
        required(&root, "messageId", STATUS)?,
        addresses
            .into_iter()
            .next()
            .ok_or_else(|| NbiError::new(STATUS, "address is missing"))?,
        required(&root, "status", STATUS)?,
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const INBOUND_XML: &[u8] =
        include_bytes!("../../../tests/vectors/nbi/protocols-8.1.5-inbound-notification.dat");
    const DELIVERY_XML: &[u8] =
        include_bytes!("../../../tests/vectors/nbi/protocols-8.1.5-delivery-notification.dat");
    const ERROR_XML: &[u8] =
        include_bytes!("../../../tests/vectors/nbi/protocols-8.1.3-request-error.dat");

    fn info(address: &str, id: &str, status: &str, description: Option<&str>) -> DeliveryInfo {
        DeliveryInfo {
            address: address.into(),
            message_id: id.into(),
            status: status.into(),
            description: description.map(str::to_owned),
        }
    }

    fn section_8_1_5() -> Inbound {
        Inbound {
            destination_address: "sip:12599@botplatform.rcs.chinamobile.com".into(),
            sender_address: "sip:+8613800138002@bj.ims.mnc000.mcc460.3gppnetwork.org".into(),
            message_id: "5eae954c-3e1b-4b8a-a0d2-9c1f7e6b5a40".into(),
            content_type: "text/plain".into(),
            content_encoding: Some("utf8".into()),
            body_text: "我想查账单".into(),
            conversation_id: Some("fceb900a-6c1d-4e2f-8a3b-5d7e9f0a1b2c".into()),
            contribution_id: Some("fceb900a-6c1d-4e2f-8a3b-5d7e9f0a1b2c".into()),
            in_reply_to_contribution_id: None,
            date_time: "2025-03-01T10:02:00.000+08:00".into(),
        }
    }

    #[test]
    fn parses_the_inbound_notification_of_section_8_1_5() {
        assert_eq!(Inbound::parse(INBOUND_XML).unwrap(), section_8_1_5());
    }

    #[test]
    fn inbound_round_trip_plain_and_base64() {
        let plain = section_8_1_5();
        assert_eq!(Inbound::parse(&plain.to_xml()).unwrap(), plain);
        let mut tap = plain.clone();
        tap.content_type = "application/vnd.gsma.botsuggestion.response.v1.0+json".into();
        tap.content_encoding = Some("base64".into());
        tap.body_text = r#"{"response":{"reply":{"displayText":"查看详情","postback":{"data":"bill_detail"}}}}"#.into();
        tap.in_reply_to_contribution_id = Some("6a8c2f90".into());
        let xml = String::from_utf8(tap.to_xml()).unwrap();
        assert!(xml.contains(&STANDARD.encode(&tap.body_text)));
        assert!(xml.contains("<version>+g.gsma.rcs.botversion=&quot;#=1&quot;</version>"));
        assert_eq!(Inbound::parse(xml.as_bytes()).unwrap(), tap);
    }

    #[test]
    fn inbound_keeps_a_crlf_body() {
        let mut multi = section_8_1_5();
        multi.body_text = "--next\r\nContent-Type: text/plain\r\n\r\nhi\r\n--next--\r\n".into();
        assert_eq!(Inbound::parse(&multi.to_xml()).unwrap(), multi);
    }

    #[test]
    fn inbound_errors() {
        let xml = String::from_utf8(section_8_1_5().to_xml()).unwrap();
        let err = |x: String| Inbound::parse(x.as_bytes()).unwrap_err().to_string();
        let no_date = xml.replace("<dateTime>2025-03-01T10:02:00.000+08:00</dateTime>", "");
        assert_eq!(
            err(no_date),
            "failed to read inboundMessageNotification: dateTime is missing"
        );
        let no_body = xml.replace("<bodyText><![CDATA[我想查账单]]></bodyText>", "");
        assert!(err(no_body).ends_with("bodyText is missing"));
        let bad64 = xml.replace(">utf8<", ">base64<");
        assert!(err(bad64).contains("bodyText is not base64"));
        let not_utf8 = xml
            .replace(">utf8<", ">base64<")
            .replace("我想查账单", &STANDARD.encode([0xff, 0xfe]));
        assert!(err(not_utf8).ends_with("the base64 bodyText is not UTF-8"));
        let flat = xml
            .replace("<inboundMessage>", "")
            .replace("</inboundMessage>", "");
        assert!(err(flat).ends_with("inboundMessage is missing"));
        assert!(err(xml.replace(NS, "urn:other")).contains("root"));
    }

    #[test]
    fn parses_the_delivery_notification_of_section_8_1_5() {
        let expected = info(
            "tel:+8613800000001",
            "5f1e2a4c",
            "DeliveredToTerminal",
            Some("UP2"),
        );
        assert_eq!(parse_delivery_notification(DELIVERY_XML).unwrap(), expected);
        let sms = info(
            "tel:+8613800000002",
            "m&1",
            "DeliveredToNetwork",
            Some("SMS"),
        );
        assert_eq!(
            parse_delivery_notification(&delivery_notification(&sms)).unwrap(),
            sms
        );
        let missing = String::from_utf8(delivery_notification(&sms))
            .unwrap()
            .replace("<deliveryStatus>DeliveredToNetwork</deliveryStatus>", "");
        let err = parse_delivery_notification(missing.as_bytes()).unwrap_err();
        assert_eq!(err.detail, "deliveryStatus is missing");
        let empty = format!("<msg:{DELIVERY} xmlns:msg=\"{NS}\"/>");
        assert!(parse_delivery_notification(empty.as_bytes()).is_err());
    }

    #[test]
    fn send_response_round_trip() {
        let infos = [
            info("tel:+8613800000001", "m1", "MessageWaiting", None),
            info(
                "tel:+8613800000002",
                "m2",
                "DeliveryImpossible",
                Some("SVC0004"),
            ),
        ];
        let xml = send_response("m1", Some("567895"), &infos);
        let text = String::from_utf8(xml.clone()).unwrap();
        assert_eq!(text.matches("<messageId>").count(), 2, "{text}");
        assert_eq!(
            parse_send_response(&xml).unwrap(),
            ("m1".into(), infos.to_vec())
        );
        let bare = send_response("m3", None, &[]);
        assert_eq!(parse_send_response(&bare).unwrap(), ("m3".into(), vec![]));
        let no_id = format!("<msg:{SEND_RESPONSE} xmlns:msg=\"{NS}\"/>");
        assert!(
            parse_send_response(no_id.as_bytes())
                .unwrap_err()
                .detail
                .contains("messageId")
        );
    }

    #[test]
    fn request_errors() {
        let expected = (
            "POL0003".to_owned(),
            "Too many addresses specified in message part %1".to_owned(),
        );
        assert_eq!(parse_request_error(ERROR_XML).unwrap(), expected);
        let built = request_error(true, "POL0003", &expected.1, &["destinationAddress"]);
        assert_eq!(built, ERROR_XML);
        let service = request_error(
            false,
            "SVC0002",
            "Invalid input value for message part %1",
            &[],
        );
        let text = String::from_utf8(service.clone()).unwrap();
        assert!(text.contains("<serviceException>"));
        assert_eq!(parse_request_error(&service).unwrap().0, "SVC0002");
        let empty = format!("<c:{REQUEST_ERROR} xmlns:c=\"{COMMON_NS}\"/>");
        let err = parse_request_error(empty.as_bytes()).unwrap_err();
        assert_eq!(err.detail, "policyException or serviceException is missing");
    }

    #[test]
    fn revoke_report_and_result() {
        let report = status_report("RevokeRequested");
        assert_eq!(parse_status_report(&report).unwrap(), "RevokeRequested");
        let empty =
            format!("<msg:{STATUS_REPORT} xmlns:msg=\"{NS}\"><status/></msg:{STATUS_REPORT}>");
        assert!(parse_status_report(empty.as_bytes()).is_err());
        let result = status_notification("m1", "tel:+8613800000001", "Revoked");
        let expected = ("m1".into(), "tel:+8613800000001".into(), "Revoked".into());
        assert_eq!(parse_status_notification(&result).unwrap(), expected);
        let no_address = format!(
            "<msg:{STATUS} xmlns:msg=\"{NS}\"><messageId>m</messageId><status>Revoked</status></msg:{STATUS}>"
        );
        assert!(parse_status_notification(no_address.as_bytes()).is_err());
    }
}
