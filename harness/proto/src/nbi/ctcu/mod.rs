//! The China Telecom / China Unicom chatbot developer API V1.0.4 (protocols.md §8.2): JSON
//! documents with `errorCode` return codes, and the callback signature.
//!
//! - [`sign`]: the callback signature sha256(sorted(token, timestamp, nonce)).
//! - [`send`]: the send request (`…/messages`) with its mandatory fields, and the revoke request.
//! - [`content`]: a `messageList` as the CPIM inner content the MaaP sends southbound (§8.3, §7.2),
//!   and back: file-info XML ⇄ the flattened FT array, the multipart/mixed boundary `next` layout.
//! - [`callbacks`]: the uplink and status callbacks, the token request and response.
//!
//! Requests a platform reads answer a refusal as `(code, message)`, the message naming the field;
//! callbacks a chatbot reads give a `String`. Not here: URLs, token lifetimes, the policy codes
//! (limits, sensitive words) and the chatbotId ⇄ senderAddress check (`30008`), which need the
//! platform's state.

pub mod callbacks;
pub mod content;
mod json;
pub mod send;
pub mod sign;

pub use callbacks::{
    Status, Uplink, parse_status_notification, parse_token_request, parse_token_response,
    status_notification, token_request, token_response,
};
pub use content::{FT_HTTP_JSON_TYPE, content_item, content_items, inner_content};
pub use send::{Send, parse_revoke_request, revoke_request};
pub use sign::callback_signature;

use serde_json::{Map, Value};

/// The return codes (`errorCode`) of §8.2.
pub mod code {
    /// Success.
    pub const OK: i64 = 0;
    /// The platform is busy.
    pub const BUSY: i64 = -1;
    /// An internal error.
    pub const INTERNAL: i64 = -2;
    /// A parameter is missing or wrong.
    pub const BAD_PARAMETER: i64 = 20002;
    /// The daily send limit is exceeded.
    pub const DAILY_LIMIT: i64 = 30001;
    /// The monthly send limit is exceeded.
    pub const MONTHLY_LIMIT: i64 = 30002;
    /// The per-second send limit is exceeded.
    pub const RATE_LIMIT: i64 = 30003;
    /// The callback URL verification failed.
    pub const CALLBACK_FAILED: i64 = 30006;
    /// The chatbotId of the path is not the senderAddress.
    pub const SENDER_MISMATCH: i64 = 30008;
    /// The appKey or token is wrong.
    pub const BAD_APP_KEY: i64 = 40001;
    /// The file type is not allowed.
    pub const BAD_FILE_TYPE: i64 = 40005;
    /// The file size is not allowed.
    pub const BAD_FILE_SIZE: i64 = 40006;
    /// The message type is not allowed.
    pub const BAD_MESSAGE_TYPE: i64 = 40008;
    /// The token is not valid.
    pub const ILLEGAL_TOKEN: i64 = 40014;
    /// Too many or too few buttons.
    pub const BAD_BUTTON_COUNT: i64 = 40016;
    /// A text is too long.
    pub const BAD_TEXT_LENGTH: i64 = 40021;
    /// No token is given.
    pub const MISSING_TOKEN: i64 = 41001;
    /// The token has expired.
    pub const TOKEN_EXPIRED: i64 = 42001;
    /// The POST body is empty.
    pub const EMPTY_POST: i64 = 44002;
    /// The user is restricted.
    pub const USER_RESTRICTED: i64 = 46003;
    /// The JSON (or XML) does not parse.
    pub const PARSE_ERROR: i64 = 47001;
    /// The API is not authorised for this chatbot.
    pub const NOT_AUTHORISED: i64 = 48001;
    /// The content is illegal.
    pub const ILLEGAL_CONTENT: i64 = 60001;
    /// The message body is under control (blocked).
    pub const CONTENT_BLOCKED: i64 = 70001;
}

/// One entry of a `messageList`.
#[derive(Clone, Debug, PartialEq)]
pub struct ContentItem {
    /// `contentType`, such as `text/plain` or `application/vnd.gsma.rcs-ft-http` (no `+xml`).
    pub content_type: String,
    /// `contentEncoding`: `utf8` (the default) or `base64`.
    pub content_encoding: Option<String>,
    /// `contentText`: a string, a card or suggestions object, or the FT array.
    pub content_text: Value,
}

impl ContentItem {
    /// A `text/plain` item in `utf8`.
    pub fn text(text: &str) -> Self {
        Self {
            content_type: "text/plain".into(),
            content_encoding: Some("utf8".into()),
            content_text: Value::String(text.into()),
        }
    }

    /// The item as JSON.
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        map.insert("contentType".into(), self.content_type.clone().into());
        json::put(&mut map, "contentEncoding", self.content_encoding.clone());
        map.insert("contentText".into(), self.content_text.clone());
        Value::Object(map)
    }

    /// Reads `messageList/<index>`: `contentType` (or the misspelling `contenType`) and
    /// `contentText` required, `contentEncoding` `utf8`/`utf-8`/`base64` when present.
    pub fn from_json(value: &Value, index: usize) -> Result<Self, (i64, String)> {
        let path = format!("messageList/{index}");
        let Value::Object(map) = value else {
            return Err(json::bad(format!("{path} must be an object")));
        };
        let content_type = json::required(
            map,
            &["contentType", "contenType"],
            &format!("{path}/contentType"),
        )?;
        let encoding_path = format!("{path}/contentEncoding");
        let content_encoding = json::string(map, &["contentEncoding"], &encoding_path)?;
        if let Some(e) = &content_encoding {
            let known = ["utf8", "utf-8", "base64"];
            if !known.iter().any(|k| e.trim().eq_ignore_ascii_case(k)) {
                return Err(json::bad(format!("{encoding_path} must be utf8 or base64")));
            }
        }
        let content_text = json::field(map, &["contentText"])
            .cloned()
            .ok_or_else(|| json::bad(format!("missing {path}/contentText")))?;
        Ok(Self {
            content_type,
            content_encoding,
            content_text,
        })
    }

    /// Whether `contentEncoding` is `base64`.
    pub fn is_base64(&self) -> bool {
        self.content_encoding
            .as_deref()
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("base64"))
    }
}

/// The common answer `{"errorCode": code, "errorMessage": message}`.
pub fn response(code: i64, message: Option<&str>) -> Value {
    let mut map = Map::new();
    map.insert("errorCode".into(), code.into());
    json::put(&mut map, "errorMessage", message);
    Value::Object(map)
}

/// The fields of an answer whose `errorCode` is 0; otherwise `(errorCode, errorMessage)`.
pub fn parse_response(json: &[u8]) -> Result<Map<String, Value>, (i64, String)> {
    let map = json::object(json)?;
    let code = json::integer(&map, "errorCode")?.ok_or_else(|| json::bad("missing errorCode"))?;
    match code {
        code::OK => Ok(map),
        code => {
            let message = json::string(&map, &["errorMessage"], "errorMessage")?;
            Err((code, message.unwrap_or_default()))
        }
    }
}
