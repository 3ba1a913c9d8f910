//! The CT/CU callbacks to the chatbot and the token exchange (protocols.md §8.2).
//!
//! - The uplink `POST {notifyURL}/messageNotification/{chatbotId}/messages` ([`Uplink`]): the spec
//!   table says `dataTime` where the examples say `dateTime`, and one example misspells
//!   `contenType`; [`Uplink::parse`] accepts both, [`Uplink::to_json`] writes the examples' names.
//! - The status `POST {notifyURL}/deliveryNotification/{chatbotId}/status` ([`Status`]):
//!   `{"deliveryInfoList":[…]}`, addresses swapped relative to the send (`destinationAddress` is
//!   the chatbot, `senderAddress` the user); `errorCode` read as a number or a numeric string.
//! - The token request `{"appId","appKey"}` and its answer `{"accessToken","expires","url"}`.
//!
//! Not here: the signature headers (see [`super::sign`]), token lifetimes and call limits.

use serde_json::{Map, Value};

use super::ContentItem;
use super::json::{Refusal, array, bad, integer, object, put, required, string};
use super::send::MAX_ITEMS;

/// The most entries of a `deliveryInfoList` read.
pub const MAX_STATUSES: usize = 1000;

/// A user's message to the chatbot.
#[derive(Clone, Debug, PartialEq)]
pub struct Uplink {
    /// `messageId`.
    pub message_id: String,
    /// `messageList`.
    pub message_list: Vec<ContentItem>,
    /// `dateTime` (or `dataTime`), e.g. `2020-01-17T14:42:20.840+08:00`.
    pub date_time: String,
    /// `senderAddress`: the user, `tel:+86…`.
    pub sender_address: String,
    /// `destinationAddress`: the chatbot URI.
    pub destination_address: String,
    /// `conversationId`.
    pub conversation_id: Option<String>,
    /// `contributionId`.
    pub contribution_id: Option<String>,
    /// `inReplyTo`.
    pub in_reply_to: Option<String>,
}

impl Uplink {
    /// The callback body.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("messageId".into(), self.message_id.clone().into());
        let list = self.message_list.iter().map(ContentItem::to_json);
        map.insert("messageList".into(), list.collect());
        map.insert("dateTime".into(), self.date_time.clone().into());
        map.insert("senderAddress".into(), self.sender_address.clone().into());
        map.insert(
            "destinationAddress".into(),
            self.destination_address.clone().into(),
        );
        put(&mut map, "conversationId", self.conversation_id.clone());
        put(&mut map, "contributionId", self.contribution_id.clone());
        put(&mut map, "inReplyTo", self.in_reply_to.clone());
        Value::Object(map)
    }

    /// Reads the callback; `messageId`, `messageList`, `dateTime`, `senderAddress` and
    /// `destinationAddress` are required.
    pub fn parse(json: &[u8]) -> Result<Self, String> {
        Self::read(json).map_err(|(_, message)| message)
    }

    fn read(json: &[u8]) -> Result<Self, Refusal> {
        let map = object(json)?;
        let items = array(&map, "messageList", MAX_ITEMS)?
            .filter(|a| !a.is_empty())
            .ok_or_else(|| bad("missing messageList"))?;
        Ok(Self {
            message_id: required(&map, &["messageId"], "messageId")?,
            message_list: items
                .iter()
                .enumerate()
                .map(|(n, v)| ContentItem::from_json(v, n))
                .collect::<Result<_, _>>()?,
            date_time: required(&map, &["dateTime", "dataTime"], "dateTime")?,
            sender_address: required(&map, &["senderAddress"], "senderAddress")?,
            destination_address: required(&map, &["destinationAddress"], "destinationAddress")?,
            conversation_id: string(&map, &["conversationId"], "conversationId")?,
            contribution_id: string(&map, &["contributionId"], "contributionId")?,
            in_reply_to: string(&map, &["inReplyTo"], "inReplyTo")?,
        })
    }
}

/// One entry of a status callback.
#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    /// `messageId` of the send.
    pub message_id: String,
    /// `sent`, `failed`, `delivered`, `displayed`, `deliveredToNetwork`, `revokeOk`, `revokeFail`.
    pub status: String,
    /// `dateTime`.
    pub date_time: String,
    /// `destinationAddress`: the chatbot URI.
    pub destination_address: String,
    /// `senderAddress`: the user.
    pub sender_address: String,
    /// `errorCode` of a failure: 1 not found … 6 content refused.
    pub error_code: Option<i64>,
    /// `errorMessage`.
    pub error_message: Option<String>,
}

/// The status callback body `{"deliveryInfoList":[…]}`.
pub fn status_notification(list: &[Status]) -> Value {
    let entries = list.iter().map(|s| {
        let mut map = Map::new();
        map.insert("messageId".into(), s.message_id.clone().into());
        map.insert("status".into(), s.status.clone().into());
        map.insert("dateTime".into(), s.date_time.clone().into());
        map.insert(
            "destinationAddress".into(),
            s.destination_address.clone().into(),
        );
        map.insert("senderAddress".into(), s.sender_address.clone().into());
        put(&mut map, "errorCode", s.error_code);
        put(&mut map, "errorMessage", s.error_message.clone());
        Value::Object(map)
    });
    serde_json::json!({ "deliveryInfoList": entries.collect::<Vec<_>>() })
}

/// The entries of a status callback; each needs `messageId`, `status`, `dateTime`,
/// `destinationAddress` and `senderAddress`.
pub fn parse_status_notification(json: &[u8]) -> Result<Vec<Status>, String> {
    let map = object(json).map_err(|(_, m)| m)?;
    let entries = array(&map, "deliveryInfoList", MAX_STATUSES)
        .map_err(|(_, m)| m)?
        .filter(|a| !a.is_empty())
        .ok_or("missing deliveryInfoList")?;
    entries
        .iter()
        .enumerate()
        .map(|(n, entry)| status(entry, n).map_err(|(_, m)| m))
        .collect()
}

fn status(entry: &Value, n: usize) -> Result<Status, Refusal> {
    let path = |name: &str| format!("deliveryInfoList/{n}/{name}");
    let Value::Object(map) = entry else {
        return Err(bad(format!("deliveryInfoList/{n} must be an object")));
    };
    let field = |names: &[&str]| required(map, names, &path(names[0]));
    Ok(Status {
        message_id: field(&["messageId"])?,
        status: field(&["status"])?,
        date_time: field(&["dateTime", "dataTime"])?,
        destination_address: field(&["destinationAddress"])?,
        sender_address: field(&["senderAddress"])?,
        error_code: integer(map, "errorCode")
            .map_err(|_| bad(format!("{} must be an integer", path("errorCode"))))?,
        error_message: string(map, &["errorMessage"], &path("errorMessage"))?,
    })
}

/// The token request body.
pub fn token_request(app_id: &str, app_key: &str) -> Value {
    serde_json::json!({ "appId": app_id, "appKey": app_key })
}

/// `(appId, appKey)` of a token request: `44002` empty, `47001` not JSON, `20002` missing field.
pub fn parse_token_request(json: &[u8]) -> Result<(String, String), (i64, String)> {
    let map = object(json)?;
    Ok((
        required(&map, &["appId"], "appId")?,
        required(&map, &["appKey"], "appKey")?,
    ))
}

/// The token answer `{"accessToken","expires","url","errorCode":0}`.
pub fn token_response(access_token: &str, expires_secs: i64, url: &str) -> Value {
    serde_json::json!({
        "accessToken": access_token,
        "expires": expires_secs,
        "url": url,
        "errorCode": 0,
    })
}

/// `(accessToken, expires)` of a token answer; a non-zero `errorCode` gives
/// `(errorCode, errorMessage)`.
pub fn parse_token_response(json: &[u8]) -> Result<(String, i64), (i64, String)> {
    let map = super::parse_response(json)?;
    let token = required(&map, &["accessToken"], "accessToken")?;
    let expires = integer(&map, "expires")?.ok_or_else(|| bad("missing expires"))?;
    Ok((token, expires))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::nbi::ctcu::{code, content_item};
    use serde_json::json;

    const UPLINK: &[u8] = include_bytes!("../../../tests/vectors/nbi/protocols-8.2-uplink.dat");

    fn delivered() -> Status {
        Status {
            message_id: "cb1188a3".into(),
            status: "delivered".into(),
            date_time: "2025-03-01T10:02:00.000+08:00".into(),
            destination_address: "sip:106500@botplatform.rcs.domain.cn".into(),
            sender_address: "tel:+8617928222350".into(),
            error_code: None,
            error_message: None,
        }
    }

    #[test]
    fn parses_an_uplink_with_the_spellings_of_section_8_2() {
        let up = Uplink::parse(UPLINK).unwrap();
        assert_eq!(up.message_id, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d");
        assert_eq!(up.date_time, "2020-01-17T14:42:20.840+08:00");
        assert_eq!(up.sender_address, "tel:+8617928222350");
        assert_eq!(
            up.destination_address,
            "sip:106500@botplatform.rcs.domain.cn"
        );
        assert_eq!(up.message_list.len(), 1);
        assert_eq!(
            up.message_list[0].content_type,
            "application/vnd.gsma.rcs-ft-http"
        );
        assert_eq!(up.message_list[0].content_text[0]["fileName"], "cat.jpg");
        assert_eq!(up.in_reply_to, None);
        let again = Uplink::parse(&serde_json::to_vec(&up.to_json()).unwrap()).unwrap();
        assert_eq!(again, up);
        let written = up.to_json();
        assert!(written.get("dateTime").is_some() && written.get("dataTime").is_none());
    }

    #[test]
    fn uplink_of_a_tap_round_trips() {
        let body = br#"{"response":{"reply":{"displayText":"Yes","postback":{"data":"y"}}}}"#;
        let up = Uplink {
            message_id: "m1".into(),
            message_list: vec![content_item(
                "application/vnd.gsma.botsuggestion.response.v1.0+json",
                body,
            )],
            date_time: "2025-03-01T10:02:00.000+08:00".into(),
            sender_address: "tel:+8617928222350".into(),
            destination_address: "sip:106500@botplatform.rcs.domain.cn".into(),
            conversation_id: Some("c".into()),
            contribution_id: Some("k".into()),
            in_reply_to: Some("r".into()),
        };
        assert_eq!(
            Uplink::parse(&serde_json::to_vec(&up.to_json()).unwrap()).unwrap(),
            up
        );
    }

    #[test]
    fn uplink_errors() {
        assert_eq!(Uplink::parse(b"").unwrap_err(), "the body is empty");
        assert!(
            Uplink::parse(b"{")
                .unwrap_err()
                .starts_with("the body is not JSON")
        );
        let mut doc: Value = serde_json::from_slice(UPLINK).unwrap();
        doc.as_object_mut().unwrap().remove("dataTime");
        let got = Uplink::parse(&serde_json::to_vec(&doc).unwrap()).unwrap_err();
        assert_eq!(got, "missing dateTime");
        doc["dateTime"] = json!("2020-01-17T14:42:20.840+08:00");
        doc["messageList"] = json!([]);
        let got = Uplink::parse(&serde_json::to_vec(&doc).unwrap()).unwrap_err();
        assert_eq!(got, "missing messageList");
    }

    #[test]
    fn status_callback_round_trip() {
        let mut failed = delivered();
        failed.status = "failed".into();
        failed.error_code = Some(5);
        failed.error_message = Some("terminal rejected".into());
        let list = vec![delivered(), failed];
        let body = serde_json::to_vec(&status_notification(&list)).unwrap();
        assert_eq!(parse_status_notification(&body).unwrap(), list);
        let as_string = br#"{"deliveryInfoList":[{"messageId":"m","status":"failed","dataTime":"t",
            "destinationAddress":"sip:b","senderAddress":"tel:+1","errorCode":"4"}]}"#;
        let got = parse_status_notification(as_string).unwrap();
        assert_eq!(got[0].error_code, Some(4));
        assert_eq!(got[0].date_time, "t");
    }

    #[test]
    fn status_callback_errors() {
        let err =
            |v: Value| parse_status_notification(&serde_json::to_vec(&v).unwrap()).unwrap_err();
        assert_eq!(err(json!({})), "missing deliveryInfoList");
        assert_eq!(
            err(json!({"deliveryInfoList": [1]})),
            "deliveryInfoList/0 must be an object"
        );
        let mut entry = status_notification(&[delivered()]);
        entry["deliveryInfoList"][0]
            .as_object_mut()
            .unwrap()
            .remove("status");
        assert_eq!(err(entry.clone()), "missing deliveryInfoList/0/status");
        entry["deliveryInfoList"][0]["status"] = json!("sent");
        entry["deliveryInfoList"][0]["errorCode"] = json!("x");
        assert_eq!(
            err(entry),
            "deliveryInfoList/0/errorCode must be an integer"
        );
    }

    #[test]
    fn token_exchange() {
        let body = serde_json::to_vec(&token_request("bank-ct", "ct-app-key")).unwrap();
        assert_eq!(
            parse_token_request(&body).unwrap(),
            ("bank-ct".into(), "ct-app-key".into())
        );
        assert_eq!(parse_token_request(b"").unwrap_err().0, code::EMPTY_POST);
        assert_eq!(
            parse_token_request(b"appId=x").unwrap_err().0,
            code::PARSE_ERROR
        );
        assert_eq!(
            parse_token_request(br#"{"appId":"bank-ct"}"#).unwrap_err(),
            (code::BAD_PARAMETER, "missing appKey".into())
        );
        let answer =
            serde_json::to_vec(&token_response("t0k", 7200, "https://maap.example")).unwrap();
        assert_eq!(parse_token_response(&answer).unwrap(), ("t0k".into(), 7200));
        let refused = serde_json::to_vec(&crate::nbi::ctcu::response(
            code::BAD_APP_KEY,
            Some("bad appKey"),
        ))
        .unwrap();
        assert_eq!(
            parse_token_response(&refused).unwrap_err(),
            (40001, "bad appKey".into())
        );
        assert_eq!(
            parse_token_response(br#"{"accessToken":"t"}"#)
                .unwrap_err()
                .1,
            "missing errorCode"
        );
    }
}
