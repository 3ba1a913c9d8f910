//! CT/CU callbacks to the chatbot's server (protocols.md §8.2, §8.3, §7.6): the MaaP's
//! [`Northbound`] for the CT/CU family. Each engine event becomes one signed JSON POST under the
//! chatbot's callback URL:
//!
//! - a user's message → `messageNotification/{chatbotId}/messages` (PLT-NBI-CT-005), the content
//!   as `rcs_proto::nbi::ctcu::content_item` reads it, `senderAddress` the user's tel URI,
//!   `dateTime` RFC 3339 with the +08:00 offset;
//! - a delivery outcome → `deliveryNotification/{chatbotId}/status` with one `deliveryInfoList`
//!   entry: `sent`, `delivered`, `displayed`, `failed` (errorCode 1..6), `deliveredToNetwork`,
//!   `revokeOk`, `revokeFail`;
//! - a spam report → `notifyInfoNotification/{chatbotId}/notice/rcsspam` with `messageId[]`,
//!   `spamType`, `freeText` (PLT-BOT-007).
//!
//! Signing: headers `timestamp` (unix seconds of the case clock), `nonce` (a UUID) and `signature`
//! = `sha256(join(sort([token, timestamp, nonce])))` in lowercase hex. The CT/CU spec has the
//! developer register the `token` with the platform; the simulators have no portal, so the token
//! is the chatbot's `appKey` (its `secret`), which both ends already share. (The accessToken
//! cannot serve: the MaaP verifies the callback URL before the chatbot has asked for one, and a
//! new one would change every signature.) The chatbotId in paths is percent-encoded.
//!
//! This module does not retry a callback the server refused; the refusal is logged.

use std::net::SocketAddr;
use std::sync::Weak;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rcs_harness::agent::BoxFuture;
use rcs_proto::http::RequestBuilder;
use rcs_proto::nbi::ctcu::{self, Status, Uplink};
use rcs_proto::sip::percent_encode;
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::{format_description, offset};

use super::Ctcu;
use crate::maap::chatbots::Chatbot;
use crate::maap::engine::{BotEvent, Delivery, FailCause, Northbound};

/// `2020-01-17T14:42:20.840+08:00` (protocols.md §8.2 examples, §12).
const DATE_TIME: &[FormatItem<'static>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory]:[offset_minute]"
);

/// Longest callback URL accepted from the settings.
const MAX_URL: usize = 1024;

/// A callback base URL: `http[s]://ip:port[/prefix]` (the simulators speak to loopback only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CallbackUrl {
    pub addr: SocketAddr,
    pub tls: bool,
    /// The path before the callback paths, without a trailing `/` (empty for none).
    pub prefix: String,
}

impl CallbackUrl {
    pub(crate) fn parse(base: &str) -> Result<Self, String> {
        if base.len() > MAX_URL {
            return Err(format!("callback URL over {MAX_URL} bytes"));
        }
        let (rest, tls) = match (base.strip_prefix("https://"), base.strip_prefix("http://")) {
            (Some(rest), _) => (rest, true),
            (None, Some(rest)) => (rest, false),
            (None, None) => (base, false),
        };
        let (authority, prefix) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let addr = authority
            .parse()
            .map_err(|_| format!("callback URL `{base}` is not http[s]://ip:port[/path]"))?;
        Ok(Self {
            addr,
            tls,
            prefix: prefix.trim_end_matches('/').to_owned(),
        })
    }

    /// The request target of `path` (no leading `/`) under this URL.
    pub(crate) fn path(&self, path: &str) -> String {
        format!("{}/{path}", self.prefix)
    }

    /// The `Host` header value.
    pub(crate) fn host(&self) -> String {
        self.addr.to_string()
    }
}

/// The wall-clock time of the case instant `now` (ahead of real time on a virtual clock).
pub(crate) fn wall(now: Instant) -> SystemTime {
    SystemTime::now() + now.saturating_duration_since(Instant::now())
}

/// `now` as the CT/CU bodies write times.
pub(crate) fn date_time(now: Instant) -> String {
    // Only numeric components: formatting cannot fail; an empty value would still be visible.
    OffsetDateTime::from(wall(now))
        .to_offset(offset!(+8))
        .format(DATE_TIME)
        .unwrap_or_default()
}

/// The `timestamp`, `nonce` and (unless the fault removes it) `signature` headers.
pub(crate) fn signed_headers(ctcu: &Ctcu, bot: &Chatbot) -> Vec<(&'static str, String)> {
    let seconds = wall(ctcu.clock.now())
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let timestamp = seconds.to_string();
    let nonce = uuid::Uuid::new_v4().to_string();
    let mut headers = Vec::with_capacity(3);
    if !ctcu.faults.unsigned_callbacks {
        let signature = ctcu::callback_signature(&bot.secret, &timestamp, &nonce);
        headers.push(("signature", signature));
    }
    headers.push(("timestamp", timestamp));
    headers.push(("nonce", nonce));
    headers
}

/// Posts the engine's events to CT/CU chatbot servers.
pub(crate) struct CtcuNorthbound {
    /// Weak: the API's state holds the engine, which holds this.
    pub ctcu: Weak<Ctcu>,
}

impl Northbound for CtcuNorthbound {
    fn notify(&self, bot: &Chatbot, event: BotEvent) -> BoxFuture<'static, ()> {
        let ctcu = self.ctcu.upgrade();
        let bot = bot.clone();
        Box::pin(async move {
            let Some(ctcu) = ctcu else {
                return;
            };
            let Some((path, body)) = callback_of(&ctcu, &bot, event) else {
                return;
            };
            if let Err(why) = post(&ctcu, &bot, &path, &body).await {
                tracing::info!(chatbot = %bot.uri, %path, "failed to post a callback: {why}");
            }
        })
    }
}

/// The path under the callback URL and the JSON body of an event; None when nothing is posted.
pub(crate) fn callback_of(ctcu: &Ctcu, bot: &Chatbot, event: BotEvent) -> Option<(String, Value)> {
    let id = percent_encode(&bot.uri, b"");
    match event {
        BotEvent::Status {
            message_id,
            recipient,
            delivery,
            ..
        } => {
            let status = status_of(&message_id, &bot.uri, &recipient, &delivery, ctcu);
            let body = ctcu::status_notification(&[status]);
            Some((format!("deliveryNotification/{id}/status"), body))
        }
        BotEvent::Uplink {
            sender,
            message_id,
            content_type,
            body,
            conversation_id,
            contribution_id,
            in_reply_to,
            date_time,
            ..
        } => {
            let uplink = Uplink {
                message_id,
                message_list: vec![ctcu::content_item(&content_type, &body)],
                date_time,
                sender_address: sender,
                destination_address: bot.uri.clone(),
                conversation_id,
                contribution_id,
                in_reply_to,
            };
            Some((
                format!("messageNotification/{id}/messages"),
                uplink.to_json(),
            ))
        }
        BotEvent::Spam { report, .. } if !ctcu.faults.spam_not_forwarded => {
            let body = json!({
                "messageId": report.message_ids,
                "spamType": report.spam_type.unwrap_or_default(),
                "freeText": report.free_text.unwrap_or_default(),
            });
            Some((format!("notifyInfoNotification/{id}/notice/rcsspam"), body))
        }
        BotEvent::Spam { .. } => None,
    }
}

/// One `deliveryInfoList` entry: the chatbot as `destinationAddress`, the user as `senderAddress`.
fn status_of(
    message_id: &str,
    chatbot: &str,
    recipient: &str,
    delivery: &Delivery,
    ctcu: &Ctcu,
) -> Status {
    let (status, error_code, error_message) = match delivery {
        Delivery::Sent => ("sent", None, None),
        Delivery::Delivered => ("delivered", None, None),
        Delivery::Displayed => ("displayed", None, None),
        Delivery::ToNetwork => ("deliveredToNetwork", None, None),
        Delivery::Revoked => ("revokeOk", None, None),
        Delivery::RevokeFailed => ("revokeFail", None, None),
        Delivery::Failed { cause } => {
            let (code, text) = failure(*cause);
            ("failed", Some(code), Some(text.to_owned()))
        }
    };
    Status {
        message_id: message_id.to_owned(),
        status: status.to_owned(),
        date_time: date_time(ctcu.clock.now()),
        destination_address: chatbot.to_owned(),
        sender_address: recipient.to_owned(),
        error_code,
        error_message,
    }
}

/// The CT/CU failure errorCode (1..6) of a cause, and its text (protocols.md §8.2).
pub(crate) fn failure(cause: FailCause) -> (i64, &'static str) {
    match cause {
        FailCause::NotFound => (1, "terminal not found"),
        FailCause::NotRcs => (2, "not a 5G message terminal"),
        FailCause::BadContent => (3, "content not compliant"),
        FailCause::Offline => (4, "terminal offline"),
        FailCause::Blocked => (5, "terminal rejected the chatbot"),
    }
}

/// Posts `body` to `path` under the chatbot's callback URL, signed.
pub(crate) async fn post(
    ctcu: &Ctcu,
    bot: &Chatbot,
    path: &str,
    body: &Value,
) -> Result<(), String> {
    let base = ctcu
        .callback_base(bot)
        .ok_or_else(|| "the chatbot has no callback URL".to_owned())?;
    let url = CallbackUrl::parse(&base)?;
    let body =
        serde_json::to_vec(body).map_err(|err| format!("failed to write the body: {err}"))?;
    let mut builder = RequestBuilder::new("POST", &url.path(path))
        .header("Host", &url.host())
        .header("Content-Type", "application/json")
        .header("Accept", "application/json");
    for (name, value) in signed_headers(ctcu, bot) {
        builder = builder.header(name, &value);
    }
    let request = builder
        .body(body)
        .build()
        .map_err(|err| format!("failed to build the callback: {err}"))?;
    let response = ctcu
        .client
        .send(url.addr, url.tls, &request)
        .await
        .map_err(|err| format!("failed to reach {base}: {err}"))?;
    match response.status() {
        200..=299 => Ok(()),
        other => Err(format!("the callback server answered {other}")),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn callback_urls_keep_scheme_address_and_prefix() {
        let url = CallbackUrl::parse("https://127.0.0.1:8443/cb/").unwrap();
        assert!(url.tls);
        assert_eq!(url.addr.port(), 8443);
        assert_eq!(url.path("notifyPath"), "/cb/notifyPath");
        let bare = CallbackUrl::parse("127.0.0.1:9").unwrap();
        assert!(!bare.tls);
        assert_eq!(bare.path("x/y"), "/x/y");
        assert!(CallbackUrl::parse("http://bank.example/cb").is_err());
    }

    #[test]
    fn failure_codes_follow_the_ctcu_table() {
        assert_eq!(failure(FailCause::NotFound).0, 1);
        assert_eq!(failure(FailCause::NotRcs).0, 2);
        assert_eq!(failure(FailCause::BadContent).0, 3);
        assert_eq!(failure(FailCause::Offline).0, 4);
        assert_eq!(failure(FailCause::Blocked).0, 5);
    }

    #[test]
    fn date_times_are_rfc3339_in_china_time() {
        let text = date_time(Instant::now());
        let parsed = OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339);
        assert!(parsed.is_ok(), "{text}");
        assert!(text.ends_with("+08:00"), "{text}");
    }
}
