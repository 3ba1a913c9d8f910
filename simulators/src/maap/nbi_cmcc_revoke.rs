//! CMCC revoke (protocols.md §8.1.2, §4.9; PLT-NBI-CM-008): `PUT
//! /messaging/v1/outbound/{chatbot}/requests/{messageId}/status` with a `messageStatusReport` of
//! `RevokeRequested`, for the user in the `Address` header, else for every recipient of the
//! message.
//!
//! The request is answered `200 OK` at once (the report echoed back); each recipient's outcome
//! comes later as a `MessageStatusNotification`: `Revoked` when the engine withdrew a message not
//! yet delivered, `RevokeFailed` otherwise (and always for a message whose delivery the chatbot
//! was already notified of). With `maap.cmcc-revokes-delivered` a failed revoke is
//! reported as `Revoked`. A message this API never sent is answered 404.

use std::sync::Arc;

use rcs_proto::http::{Request, Response, ResponseBuilder};
use rcs_proto::nbi::cmcc;

use super::super::chatbots::Chatbot;
use super::super::engine::Delivery;
use super::{Cmcc, error, respond};

/// The only status a chatbot may ask for.
const REVOKE_REQUESTED: &str = "RevokeRequested";

/// Answers a revoke request for `bot` (already authorised).
pub(super) fn revoke(
    cmcc: &Arc<Cmcc>,
    bot: &Chatbot,
    message_id: &str,
    request: &Request,
) -> Response {
    match cmcc::parse_status_report(request.body()) {
        Ok(status) if status == REVOKE_REQUESTED => {}
        Ok(status) => {
            let text = format!("status `{status}` cannot be requested, only {REVOKE_REQUESTED}");
            return error(400, false, "SVC0002", &text, &["status"]);
        }
        Err(err) => return error(400, false, "SVC0001", &err.to_string(), &["body"]),
    }
    let Some(sent_to) = cmcc.recipients(&bot.uri, message_id) else {
        return error(404, false, "SVC0004", "no such message", &["messageId"]);
    };
    let recipients = match request.header("Address").map(tel) {
        Some(user) if sent_to.contains(&user) => vec![user],
        Some(_) => {
            return error(
                404,
                false,
                "SVC0004",
                "the message was not sent to this address",
                &["Address"],
            );
        }
        None => sent_to,
    };
    let (cmcc, bot, id) = (cmcc.clone(), bot.clone(), message_id.to_owned());
    tokio::spawn(async move {
        for to in recipients {
            // A message the chatbot was told is delivered is past revoking, whatever the
            // engine's record says.
            let outcome = match cmcc.northbound.was_delivered(&id, &to) {
                true => Delivery::RevokeFailed,
                false => cmcc.engine.revoke(&bot.uri, &id, &to).await,
            };
            let status = match outcome {
                Delivery::Revoked => "Revoked",
                _ if cmcc.faults.revokes_delivered => "Revoked",
                _ => "RevokeFailed",
            };
            cmcc.northbound.revoke_result(&bot, &id, &to, status);
        }
    });
    respond(
        ResponseBuilder::new(200, "OK")
            .header("Content-Type", "application/xml; charset=utf-8")
            .body(cmcc::status_report(REVOKE_REQUESTED)),
    )
}

/// An `Address` header value as a tel URI: `+86…`, `tel:+86…`, or a `sip:+86…@…` user.
fn tel(address: &str) -> String {
    let address = address.trim();
    if address.starts_with("tel:") {
        return address.to_owned();
    }
    let number = super::super::tracking::number(address);
    let number = if address.starts_with('+') {
        address
    } else {
        number
    };
    format!("tel:{number}")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn addresses_read_as_tel_uris() {
        assert_eq!(tel("+8613800000001"), "tel:+8613800000001");
        assert_eq!(tel(" tel:+8613800000001"), "tel:+8613800000001");
        assert_eq!(tel("sip:+8613800000001@ims.example"), "tel:+8613800000001");
    }
}
