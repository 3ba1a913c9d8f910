//! The CMCC callbacks the chatbot server receives (protocols.md §8.1.5, §8.1.6): user messages
//! and media audit results at `…/InboundMessageNotification/{chatbot}`, delivery statuses at
//! `…/DeliveryInfoNotification/{chatbot}`, revoke results at `…/MessageStatusNotification/{chatbot}`
//! (under any base path). Each is parsed with [`rcs_proto::nbi::cmcc`], turned into a
//! [`Callback`] and answered `204 No Content`; a document that does not parse is answered 400
//! and not recorded. An audit result is told from a user message by its `tid` and `Authstatus`
//! headers. This module does not check who sent the callback.

use std::sync::Arc;

use rcs_proto::bot::SUGGESTION_RESPONSE_TYPE;
use rcs_proto::http::{Request, Response, ResponseBuilder};
use rcs_proto::nbi::cmcc;
use serde_json::Value;

use crate::csp_bot::core::{BotCore, Callback, CallbackKind};
use crate::csp_bot::server::respond;

/// The notification a path names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Notice {
    Inbound,
    Delivery,
    Revoke,
}

fn notice_of(path: &str) -> Option<Notice> {
    let segment =
        |name: &str| path.contains(&format!("/{name}/")) || path.ends_with(&format!("/{name}"));
    if segment("InboundMessageNotification") {
        Some(Notice::Inbound)
    } else if segment("DeliveryInfoNotification") {
        Some(Notice::Delivery)
    } else if segment("MessageStatusNotification") {
        Some(Notice::Revoke)
    } else {
        None
    }
}

/// Answers a CMCC callback; None when the path is not one.
pub(super) fn answer(
    _core: &Arc<BotCore>,
    request: &Request,
) -> Option<(Response, Option<Callback>)> {
    let notice = notice_of(request.path())?;
    if request.method() != "POST" {
        return Some((
            status(405, "Method Not Allowed", "callbacks are POSTed\n"),
            None,
        ));
    }
    Some(match read(notice, request) {
        Ok(callback) => (status(204, "No Content", ""), Some(callback)),
        Err(err) => (status(400, "Bad Request", &format!("{err}\n")), None),
    })
}

fn status(code: u16, reason: &str, text: &str) -> Response {
    let mut builder = ResponseBuilder::new(code, reason);
    if !text.is_empty() {
        builder = builder
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(text.to_owned());
    }
    respond(builder)
}

/// The callback a notification means.
fn read(notice: Notice, request: &Request) -> Result<Callback, String> {
    let body = request.body();
    match notice {
        Notice::Inbound => match (request.header("tid"), request.header("Authstatus")) {
            (Some(tid), Some(auth)) => Ok(Callback {
                kind: CallbackKind::Audit,
                message_id: Some(tid.to_owned()),
                status: Some(auth.to_owned()),
                ..Callback::default()
            }),
            _ => uplink(body),
        },
        Notice::Delivery => {
            let info = cmcc::parse_delivery_notification(body).map_err(|e| e.to_string())?;
            Ok(Callback {
                kind: CallbackKind::Status,
                message_id: Some(info.message_id),
                sender: Some(info.address),
                status: Some(info.status),
                ..Callback::default()
            })
        }
        Notice::Revoke => {
            let (message_id, address, status) =
                cmcc::parse_status_notification(body).map_err(|e| e.to_string())?;
            Ok(Callback {
                kind: CallbackKind::Status,
                message_id: Some(message_id),
                sender: Some(address),
                status: Some(status),
                ..Callback::default()
            })
        }
    }
}

fn uplink(body: &[u8]) -> Result<Callback, String> {
    let inbound = cmcc::Inbound::parse(body).map_err(|e| e.to_string())?;
    let postback = inbound
        .content_type
        .to_ascii_lowercase()
        .starts_with(SUGGESTION_RESPONSE_TYPE)
        .then(|| postback_of(inbound.body_text.as_bytes()))
        .flatten();
    Ok(Callback {
        kind: CallbackKind::Uplink,
        message_id: Some(inbound.message_id),
        postback,
        contribution_id: inbound.contribution_id,
        sender: Some(tel_of(&inbound.sender_address)),
        status: None,
    })
}

/// The postback data of a suggestion response (§7.5): `response.reply|action.postback.data`.
fn postback_of(json: &[u8]) -> Option<String> {
    let doc: Value = serde_json::from_slice(json).ok()?;
    let response = doc.get("response")?;
    let chosen = response.get("reply").or_else(|| response.get("action"))?;
    chosen
        .pointer("/postback/data")
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// `sip:+8613800138002@domain` as `tel:+8613800138002`; other addresses as they are.
fn tel_of(address: &str) -> String {
    if let Some(user) = address
        .strip_prefix("sip:")
        .and_then(|rest| rest.split('@').next())
        .filter(|user| user.starts_with('+'))
    {
        return format!("tel:{}", user.split(';').next().unwrap_or(user));
    }
    address.to_owned()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_proto::http::RequestBuilder;

    use super::*;

    fn post(path: &str, headers: &[(&str, &str)], body: &[u8]) -> Request {
        let mut builder =
            RequestBuilder::new("POST", path).header("Content-Type", "application/xml");
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        builder.body(body.to_vec()).build().unwrap()
    }

    #[test]
    fn paths_name_their_notification() {
        let bot = "sip%3A12599%40botplatform.rcs.chinamobile.com";
        assert_eq!(
            notice_of(&format!("/cb/InboundMessageNotification/{bot}")),
            Some(Notice::Inbound)
        );
        assert_eq!(
            notice_of(&format!("/DeliveryInfoNotification/{bot}")),
            Some(Notice::Delivery)
        );
        assert_eq!(
            notice_of("/x/MessageStatusNotification/b"),
            Some(Notice::Revoke)
        );
        assert_eq!(notice_of("/notice/rcsspam"), None);
    }

    #[test]
    fn a_suggestion_response_gives_its_postback_and_sender() {
        let inbound = cmcc::Inbound {
            destination_address: "sip:12599@botplatform.rcs.chinamobile.com".into(),
            sender_address: "tel:+8613800000001".into(),
            message_id: "m-1".into(),
            content_type: SUGGESTION_RESPONSE_TYPE.into(),
            body_text: r#"{"response":{"reply":{"displayText":"分期","postback":{"data":"installments"}}}}"#.into(),
            contribution_id: Some("c-1".into()),
            date_time: "2025-03-01T10:02:00.000+08:00".into(),
            ..cmcc::Inbound::default()
        };
        let request = post("/InboundMessageNotification/b", &[], &inbound.to_xml());
        let callback = read(Notice::Inbound, &request).unwrap();
        assert_eq!(callback.kind, CallbackKind::Uplink);
        assert_eq!(callback.postback.as_deref(), Some("installments"));
        assert_eq!(callback.contribution_id.as_deref(), Some("c-1"));
        assert_eq!(callback.sender.as_deref(), Some("tel:+8613800000001"));
        assert_eq!(callback.message_id.as_deref(), Some("m-1"));
    }

    #[test]
    fn an_audit_result_is_told_by_its_headers() {
        let request = post(
            "/InboundMessageNotification/b",
            &[("tid", "t-1"), ("Authstatus", "0")],
            b"<file/>",
        );
        let callback = read(Notice::Inbound, &request).unwrap();
        assert_eq!(callback.kind, CallbackKind::Audit);
        assert_eq!(callback.message_id.as_deref(), Some("t-1"));
        assert_eq!(callback.status.as_deref(), Some("0"));
    }

    #[test]
    fn statuses_and_revoke_results_are_status_callbacks() {
        let info = cmcc::DeliveryInfo {
            address: "tel:+8613800000001".into(),
            message_id: "m-1".into(),
            status: "DeliveredToTerminal".into(),
            description: Some("UP2".into()),
        };
        let request = post(
            "/DeliveryInfoNotification/b",
            &[],
            &cmcc::delivery_notification(&info),
        );
        let callback = read(Notice::Delivery, &request).unwrap();
        assert_eq!(callback.status.as_deref(), Some("DeliveredToTerminal"));
        assert_eq!(callback.message_id.as_deref(), Some("m-1"));
        let body = cmcc::status_notification("m-2", "tel:+8613800000001", "Revoked");
        let request = post("/MessageStatusNotification/b", &[], &body);
        let callback = read(Notice::Revoke, &request).unwrap();
        assert_eq!(callback.status.as_deref(), Some("Revoked"));
        assert_eq!(callback.message_id.as_deref(), Some("m-2"));
        assert!(
            read(
                Notice::Delivery,
                &post("/DeliveryInfoNotification/b", &[], b"<x/>")
            )
            .is_err()
        );
    }

    #[test]
    fn sip_numbers_become_tel_uris() {
        assert_eq!(
            tel_of("sip:+8613800138002@bj.ims.mnc000.mcc460.3gppnetwork.org"),
            "tel:+8613800138002"
        );
        assert_eq!(tel_of("tel:+861"), "tel:+861");
        assert_eq!(tel_of("sip:alice@x"), "sip:alice@x");
    }
}
