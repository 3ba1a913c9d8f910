//! The CT/CU send request `POST …/messages` and revoke request `POST …/revoke` (protocols.md §8.2).
//!
//! [`Send::parse`] enforces the mandatory fields of §8.2 — `messageId`, `messageList`,
//! `destinationAddress` (an array), `senderAddress`, `conversationId`, `contributionId`,
//! `serviceCapability`, `smsSupported`, `storeSupported` — answering `20002` naming the first
//! missing or ill-typed one, `44002` for an empty body and `47001` for one that is not JSON.
//! Booleans may be JSON booleans or the strings `"true"`/`"false"`. At most
//! [`MAX_DESTINATIONS`] destinations and [`MAX_ITEMS`] `messageList` entries are read.
//! Not checked here: that `senderAddress` is the chatbot of the path (`30008`), content limits.

use serde_json::{Map, Value};

use super::ContentItem;
use super::json::{Refusal, array, bad, boolean, object, put, required, string, strings};
use crate::nbi::MAX_DESTINATIONS;

/// The most `messageList` entries read.
pub const MAX_ITEMS: usize = 16;

/// A send request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Send {
    /// `messageId`, chosen by the chatbot.
    pub message_id: String,
    /// `messageList`: one content, or content then suggestions.
    pub message_list: Vec<ContentItem>,
    /// `destinationAddress`: `tel:+86…` users.
    pub destination_address: Vec<String>,
    /// `senderAddress`: the chatbot URI.
    pub sender_address: String,
    /// `conversationId`.
    pub conversation_id: String,
    /// `contributionId`.
    pub contribution_id: String,
    /// `serviceCapability` as `(capabilityId, version)` pairs.
    pub service_capability: Vec<(String, String)>,
    /// `trafficType`.
    pub traffic_type: Option<String>,
    /// `smsSupported`: fall back to SMS.
    pub sms_supported: bool,
    /// `smsContent`: the fallback text.
    pub sms_content: Option<String>,
    /// `storeSupported`: store at the network while the user is offline.
    pub store_supported: bool,
    /// `imFormat`: `IM`, `PagerMode`, `LargerMode`…
    pub im_format: Option<String>,
    /// `inReplyTo`: the contribution id of the uplink answered.
    pub in_reply_to: Option<String>,
    /// `reportRequest`: `sent`, `failed`, `delivered`, `displayed`, `deliveredToNetwork`.
    pub report_request: Vec<String>,
}

impl Send {
    /// Parses a send request; see the module docs for the codes.
    pub fn parse(json: &[u8]) -> Result<Self, (i64, String)> {
        let map = object(json)?;
        let message_id = required(&map, &["messageId"], "messageId")?;
        let items = array(&map, "messageList", MAX_ITEMS)?
            .filter(|a| !a.is_empty())
            .ok_or_else(|| bad("missing messageList"))?;
        let message_list = items
            .iter()
            .enumerate()
            .map(|(n, v)| ContentItem::from_json(v, n))
            .collect::<Result<_, _>>()?;
        let destination_address = strings(&map, "destinationAddress", MAX_DESTINATIONS)?;
        if destination_address.is_empty() {
            return Err(bad("missing destinationAddress"));
        }
        Ok(Self {
            message_id,
            message_list,
            destination_address,
            sender_address: required(&map, &["senderAddress"], "senderAddress")?,
            conversation_id: required(&map, &["conversationId"], "conversationId")?,
            contribution_id: required(&map, &["contributionId"], "contributionId")?,
            service_capability: capabilities(&map)?,
            traffic_type: string(&map, &["trafficType"], "trafficType")?,
            sms_supported: boolean(&map, "smsSupported")?
                .ok_or_else(|| bad("missing smsSupported"))?,
            sms_content: string(&map, &["smsContent"], "smsContent")?,
            store_supported: boolean(&map, "storeSupported")?
                .ok_or_else(|| bad("missing storeSupported"))?,
            im_format: string(&map, &["imFormat"], "imFormat")?,
            in_reply_to: string(&map, &["inReplyTo"], "inReplyTo")?,
            report_request: strings(&map, "reportRequest", 16)?,
        })
    }

    /// The request as JSON, optional fields omitted when absent.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("messageId".into(), self.message_id.clone().into());
        let list = self.message_list.iter().map(ContentItem::to_json);
        map.insert("messageList".into(), list.collect());
        map.insert(
            "destinationAddress".into(),
            self.destination_address.clone().into(),
        );
        map.insert("senderAddress".into(), self.sender_address.clone().into());
        map.insert("conversationId".into(), self.conversation_id.clone().into());
        map.insert("contributionId".into(), self.contribution_id.clone().into());
        let capabilities = self
            .service_capability
            .iter()
            .map(|(id, version)| serde_json::json!({ "capabilityId": id, "version": version }));
        map.insert("serviceCapability".into(), capabilities.collect());
        put(&mut map, "trafficType", self.traffic_type.clone());
        map.insert("smsSupported".into(), self.sms_supported.into());
        put(&mut map, "smsContent", self.sms_content.clone());
        map.insert("storeSupported".into(), self.store_supported.into());
        put(&mut map, "imFormat", self.im_format.clone());
        put(&mut map, "inReplyTo", self.in_reply_to.clone());
        if !self.report_request.is_empty() {
            map.insert("reportRequest".into(), self.report_request.clone().into());
        }
        Value::Object(map)
    }
}

/// `serviceCapability`: a non-empty array of `{capabilityId, version}`.
fn capabilities(map: &Map<String, Value>) -> Result<Vec<(String, String)>, Refusal> {
    let items = array(map, "serviceCapability", 16)?
        .filter(|a| !a.is_empty())
        .ok_or_else(|| bad("missing serviceCapability"))?;
    items
        .iter()
        .enumerate()
        .map(|(n, item)| {
            let path = format!("serviceCapability/{n}");
            let Value::Object(cap) = item else {
                return Err(bad(format!("{path} must be an object")));
            };
            Ok((
                required(cap, &["capabilityId"], &format!("{path}/capabilityId"))?,
                required(cap, &["version"], &format!("{path}/version"))?,
            ))
        })
        .collect()
}

/// The revoke request `{"messageId", "status": "RevokeRequested", "destinationAddress": [..]}`.
pub fn revoke_request(message_id: &str, destinations: &[String]) -> Value {
    serde_json::json!({
        "messageId": message_id,
        "status": "RevokeRequested",
        "destinationAddress": destinations,
    })
}

/// `(messageId, destinationAddress)` of a revoke request; `status` must be `RevokeRequested`.
pub fn parse_revoke_request(json: &[u8]) -> Result<(String, Vec<String>), (i64, String)> {
    let map = object(json)?;
    let message_id = required(&map, &["messageId"], "messageId")?;
    let status = required(&map, &["status"], "status")?;
    if status != "RevokeRequested" {
        return Err(bad(format!("status {status:?} is not RevokeRequested")));
    }
    let destinations = strings(&map, "destinationAddress", MAX_DESTINATIONS)?;
    if destinations.is_empty() {
        return Err(bad("missing destinationAddress"));
    }
    Ok((message_id, destinations))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::nbi::ctcu::code;

    const SEND: &[u8] = include_bytes!("../../../tests/vectors/nbi/protocols-8.2-send.dat");

    fn section_8_2() -> Value {
        serde_json::from_slice(SEND).unwrap()
    }

    fn without(field: &str) -> Vec<u8> {
        let mut doc = section_8_2();
        doc.as_object_mut().unwrap().remove(field);
        serde_json::to_vec(&doc).unwrap()
    }

    fn with(field: &str, value: Value) -> Vec<u8> {
        let mut doc = section_8_2();
        doc.as_object_mut().unwrap().insert(field.into(), value);
        serde_json::to_vec(&doc).unwrap()
    }

    #[test]
    fn parses_the_send_body_of_section_8_2() {
        let send = Send::parse(SEND).unwrap();
        assert_eq!(send.message_id, "cb1188a3-37ec-1037-9054-2dc66e44375b");
        assert_eq!(send.message_list.len(), 2);
        assert_eq!(send.message_list[0], ContentItem::text("hello world"));
        assert_eq!(
            send.message_list[1].content_type,
            "application/vnd.gsma.botsuggestion.v1.0+json"
        );
        assert_eq!(send.destination_address, ["tel:+8617928222350"]);
        assert_eq!(send.sender_address, "sip:106500@botplatform.rcs.domain.cn");
        assert_eq!(
            send.service_capability,
            [("ChatbotSA".into(), "+g.gsma.rcs.botversion=\"#=1\"".into())]
        );
        assert!(send.sms_supported);
        assert!(!send.store_supported);
        assert_eq!(send.sms_content.as_deref(), Some("hello world!"));
        assert_eq!(send.im_format.as_deref(), Some("IM"));
        assert_eq!(send.traffic_type.as_deref(), Some("advertisement"));
        assert_eq!(send.report_request.len(), 5);
        assert_eq!(send.to_json(), section_8_2());
        assert_eq!(
            Send::parse(&serde_json::to_vec(&send.to_json()).unwrap()).unwrap(),
            send
        );
    }

    #[test]
    fn every_mandatory_field_is_named() {
        for field in [
            "messageId",
            "messageList",
            "destinationAddress",
            "senderAddress",
            "conversationId",
            "contributionId",
            "serviceCapability",
            "smsSupported",
            "storeSupported",
        ] {
            let got = Send::parse(&without(field)).unwrap_err();
            assert_eq!(got, (code::BAD_PARAMETER, format!("missing {field}")));
        }
        for optional in [
            "trafficType",
            "smsContent",
            "imFormat",
            "inReplyTo",
            "reportRequest",
        ] {
            assert!(Send::parse(&without(optional)).is_ok(), "{optional}");
        }
    }

    #[test]
    fn empty_and_unparsable_bodies() {
        assert_eq!(Send::parse(b"").unwrap_err().0, code::EMPTY_POST);
        assert_eq!(Send::parse(b" \r\n").unwrap_err().0, code::EMPTY_POST);
        assert_eq!(
            Send::parse(b"{\"messageId\":").unwrap_err().0,
            code::PARSE_ERROR
        );
        assert_eq!(Send::parse(b"<xml/>").unwrap_err().0, code::PARSE_ERROR);
        assert_eq!(
            Send::parse(b"[1]").unwrap_err(),
            (code::BAD_PARAMETER, "the body is not a JSON object".into())
        );
        let deep = "[".repeat(10_000);
        assert_eq!(
            Send::parse(deep.as_bytes()).unwrap_err().0,
            code::PARSE_ERROR
        );
    }

    #[test]
    fn ill_typed_fields() {
        let cases = [
            (
                "destinationAddress",
                Value::from("tel:+1"),
                "destinationAddress must be an array",
            ),
            (
                "destinationAddress",
                serde_json::json!([]),
                "missing destinationAddress",
            ),
            (
                "destinationAddress",
                serde_json::json!([1]),
                "destinationAddress/0 must be a non-empty string",
            ),
            ("messageList", serde_json::json!([]), "missing messageList"),
            (
                "messageList",
                serde_json::json!(["x"]),
                "messageList/0 must be an object",
            ),
            (
                "messageList",
                serde_json::json!([{"contentText": "x"}]),
                "missing messageList/0/contentType",
            ),
            (
                "messageList",
                serde_json::json!([{"contentType": "text/plain"}]),
                "missing messageList/0/contentText",
            ),
            (
                "messageList",
                serde_json::json!([{"contentType": "text/plain", "contentEncoding": "gzip", "contentText": "x"}]),
                "messageList/0/contentEncoding must be utf8 or base64",
            ),
            (
                "serviceCapability",
                serde_json::json!([{"capabilityId": "ChatbotSA"}]),
                "missing serviceCapability/0/version",
            ),
            (
                "serviceCapability",
                serde_json::json!({"capabilityId": "ChatbotSA"}),
                "serviceCapability must be an array",
            ),
            (
                "smsSupported",
                Value::from("yes"),
                "smsSupported must be true or false",
            ),
            (
                "senderAddress",
                Value::from(7),
                "senderAddress must be a string",
            ),
            ("messageId", Value::from(""), "missing messageId"),
        ];
        for (field, value, message) in cases {
            let got = Send::parse(&with(field, value)).unwrap_err();
            assert_eq!(got, (code::BAD_PARAMETER, message.to_owned()), "{field}");
        }
        let strings = Send::parse(&with("storeSupported", Value::from("TRUE"))).unwrap();
        assert!(strings.store_supported);
        let misspelt = serde_json::json!([{"contenType": "text/plain", "contentText": "x"}]);
        assert!(Send::parse(&with("messageList", misspelt)).is_ok());
    }

    #[test]
    fn caps() {
        let many: Vec<String> = (0..=MAX_DESTINATIONS)
            .map(|n| format!("tel:+{n}"))
            .collect();
        let got = Send::parse(&with("destinationAddress", many.into())).unwrap_err();
        assert_eq!(got.1, "destinationAddress has more than 1000 entries");
        let items = vec![ContentItem::text("x").to_json(); MAX_ITEMS + 1];
        let got = Send::parse(&with("messageList", items.into())).unwrap_err();
        assert_eq!(got.1, "messageList has more than 16 entries");
    }

    #[test]
    fn revoke_round_trip_and_errors() {
        let to = vec!["tel:+8617928222350".to_owned()];
        let body = serde_json::to_vec(&revoke_request("m1", &to)).unwrap();
        assert_eq!(parse_revoke_request(&body).unwrap(), ("m1".into(), to));
        let wrong = br#"{"messageId":"m1","status":"Revoke","destinationAddress":["tel:+1"]}"#;
        assert_eq!(
            parse_revoke_request(wrong).unwrap_err().0,
            code::BAD_PARAMETER
        );
        let none = br#"{"messageId":"m1","status":"RevokeRequested"}"#;
        assert_eq!(
            parse_revoke_request(none).unwrap_err().1,
            "missing destinationAddress"
        );
        assert_eq!(parse_revoke_request(b"").unwrap_err().0, code::EMPTY_POST);
    }
}
