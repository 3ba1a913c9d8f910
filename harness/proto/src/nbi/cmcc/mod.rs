//! China Mobile's chatbot developer API (protocols.md §8.1): the OMA RESTful NetAPI Messaging
//! style documents in `urn:oma:xml:rest:netapi:messaging:1` and the signed `Authorization`.
//!
//! - [`auth`]: `Date` in RFC 1123 form, the signature and `Authorization` header of §8.1.1, and
//!   their check with a Date skew tolerance (§12: ±15 min by default).
//! - [`outbound`]: the send request `outboundMessageRequest` in its nested (`outboundIMMessage`,
//!   §8.1.3) and flat (§8.1.4) forms.
//! - [`notify`]: the synchronous send response and `requestError`, the callbacks to the chatbot
//!   (`inboundMessageNotification`, `deliveryInfoNotification`, `messageStatusNotification`,
//!   §8.1.5) and the revoke request `messageStatusReport` (§8.1.2).
//!
//! Elements are matched by local name, unqualified or in the root's namespace, whatever the
//! prefix; unknown elements are ignored; DOCTYPE and external entities are refused. Not here: the
//! flat API's JSON responses (`{"code":"00000"}`), media upload forms, URLs.

pub mod auth;
pub mod notify;
pub mod outbound;

pub use auth::{
    AuthError, DEFAULT_SKEW_SECS, authorization, http_date, parse_http_date, signature, verify,
};
pub use notify::{
    DeliveryInfo, Inbound, delivery_notification, parse_delivery_notification, parse_request_error,
    parse_send_response, parse_status_notification, parse_status_report, request_error,
    send_response, status_notification, status_report,
};
pub use outbound::{Form, Outbound};

/// The namespace of the messaging documents.
pub const NS: &str = "urn:oma:xml:rest:netapi:messaging:1";

/// The namespace of `requestError`.
pub const COMMON_NS: &str = "urn:oma:xml:rest:netapi:common:1";

/// The `serviceCapability` a chatbot message carries: `ChatbotSA`.
pub const CHATBOT_CAPABILITY: &str = "ChatbotSA";

/// The `serviceCapability/version` of a chatbot message (written `&quot;`-escaped).
pub const BOT_VERSION: &str = "+g.gsma.rcs.botversion=\"#=1\"";
