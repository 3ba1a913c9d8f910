//! CMCC sends (protocols.md §8.1.3 nested form, §8.1.4 flat form, §8.3 mapping, §10.1/§10.2
//! policy): the `outboundMessageRequest` becomes one engine [`Outbound`], admitted by policy and
//! submitted; the synchronous answer tells each address's fate as far as it is known now.
//!
//! - Identifiers: `messageId`, `conversationID`, `contributionID` as given, else fresh UUIDs;
//!   `inReplyToContributionID` becomes `InReplyTo-Contribution-ID`. A request on the interaction
//!   URL, or carrying `inReplyToContributionID`, is an interaction reply and needs the interaction
//!   right (§10.1: without it HTTP 403).
//! - Reports: the requested `reportRequest` values, plus `Sent`, `Failed` and the SMS
//!   interworking report, which the platform always sends (§8.1.5).
//! - Answer (nested form): `201 Created` with `messageId`, `clientCorrelator` and a
//!   `deliveryInfo` per address: `MessageWaiting`, or `DeliveryImpossible` for an address that is
//!   not an RCS subscriber of the case when no SMS fallback was asked (PLT-NBI-CM-005); that
//!   address is still handed to the engine, whose failure comes later as a notification. Flat
//!   form: `200 {"code":"00000","msg":"success","messageId":…}`.
//! - Refusals: unreadable request → 400 SVC0001; policy → 403 POL (rate and daily cap → 429).
//!   With `maap.cmcc-group-all-or-nothing` one impossible address refuses the whole request;
//!   with `maap.cmcc-no-interaction-check` the interaction right is not enforced; with
//!   `maap.cmcc-no-client-correlator` the answer does not echo `clientCorrelator`.

use std::sync::Arc;

use rcs_proto::http::{Request, Response, ResponseBuilder};
use rcs_proto::nbi::cmcc::{self, DeliveryInfo};
use serde_json::json;

use super::super::carrier::OtherNetAsk;
use super::super::chatbots::{Chatbot, Family};
use super::super::engine::{Outbound, Refusal, Report};
use super::super::tracking::number;
use super::super::up10_fallback::Up10;
use super::{Cmcc, error, respond};

/// `DeliveryInfo/deliveryStatus` of an address the platform has taken.
const WAITING: &str = "MessageWaiting";
/// `DeliveryInfo/deliveryStatus` of an address it cannot reach.
const IMPOSSIBLE: &str = "DeliveryImpossible";

/// Answers a send request for `bot` (already authorised).
pub(super) fn send(
    cmcc: &Arc<Cmcc>,
    bot: &Chatbot,
    request: &Request,
    flat: bool,
    interaction: bool,
) -> Response {
    let parsed = match cmcc::Outbound::parse(request.body()) {
        Ok(parsed) => parsed,
        Err(err) => return error(400, false, "SVC0001", &err.to_string(), &["body"]),
    };
    let out = match outbound(bot, &parsed, interaction) {
        Ok(out) => out,
        Err(detail) => return error(400, false, "SVC0001", &detail, &["bodyText"]),
    };
    let infos: Vec<DeliveryInfo> = out
        .to
        .iter()
        .map(|to| DeliveryInfo {
            address: to.clone(),
            message_id: out.message_id.clone(),
            status: sync_status(cmcc, to, out.sms_text.is_some()).to_owned(),
            description: None,
        })
        .collect();
    let impossible: Vec<&str> = infos
        .iter()
        .filter(|i| i.status == IMPOSSIBLE)
        .map(|i| i.address.as_str())
        .collect();
    if cmcc.faults.group_all_or_nothing && !impossible.is_empty() {
        let text = "The following addresses cannot be reached: %1";
        return error(400, true, "POL0006", text, &impossible);
    }
    match cmcc.engine.admit(&out) {
        Ok(()) => {}
        Err(Refusal::NoInteractionRight) if cmcc.faults.no_interaction_check => {}
        Err(refusal) => return refused(&refusal),
    }
    cmcc.remember(&bot.uri, &out.message_id, &out.to);
    cmcc.northbound.expect(&out.message_id, &out.to);
    let message_id = out.message_id.clone();
    cmcc.engine.submit(out);
    if flat {
        let body = json!({"code": "00000", "msg": "success", "messageId": message_id});
        return respond(
            ResponseBuilder::new(200, "OK")
                .header("Content-Type", "application/json; charset=utf-8")
                .body(body.to_string()),
        );
    }
    let correlator = match cmcc.faults.no_client_correlator {
        true => None,
        false => parsed.client_correlator.as_deref(),
    };
    respond(
        ResponseBuilder::new(201, "Created")
            .header("Content-Type", "application/xml; charset=utf-8")
            .header(
                "Location",
                &format!("{}/{message_id}", request.path().trim_end_matches('/')),
            )
            .body(cmcc::send_response(&message_id, correlator, &infos)),
    )
}

/// The engine's send of a parsed request.
fn outbound(bot: &Chatbot, req: &cmcc::Outbound, interaction: bool) -> Result<Outbound, String> {
    let body = req.body().map_err(|err| err.to_string())?;
    let fresh = || uuid::Uuid::new_v4().to_string();
    let sms_text = match req.short_message_supported {
        Some(true) => req.sms_body_text.clone(),
        _ => None,
    };
    let rcs_fallback = Up10::from_request(
        req.fallback_supported,
        req.fallback_content_type.as_deref(),
        req.rcs_body().map_err(|err| err.to_string())?,
    )?;
    Ok(Outbound {
        chatbot: bot.uri.clone(),
        to: req.destinations.iter().map(|d| tel(d)).collect(),
        content_type: req.content_type.clone(),
        body,
        message_id: req.message_id.clone().unwrap_or_else(fresh),
        conversation_id: req.conversation_id.clone().unwrap_or_else(fresh),
        contribution_id: req.contribution_id.clone().unwrap_or_else(fresh),
        in_reply_to: req.in_reply_to_contribution_id.clone(),
        traffic_type: req.traffic_type.clone(),
        reports: reports(&req.report_request),
        store: req.store_supported.unwrap_or(true),
        sms_text,
        rcs_fallback,
        interaction: interaction || req.in_reply_to_contribution_id.is_some(),
        family: Family::Cmcc,
        other_net: OtherNetAsk::from_cmcc(req),
    })
}

/// A destination as a tel URI: `+86…` and `tel:+86…` alike.
fn tel(address: &str) -> String {
    let address = address.trim();
    if address.starts_with('+') {
        format!("tel:{address}")
    } else {
        address.to_owned()
    }
}

/// The reports to send: those asked for, and those the platform always sends.
fn reports(asked: &[String]) -> Vec<Report> {
    let mut reports = vec![Report::Sent, Report::Failed, Report::ToNetwork];
    for value in asked {
        let report = match value.trim().to_ascii_lowercase().as_str() {
            "delivered" => Report::Delivered,
            "displayed" => Report::Displayed,
            _ => continue,
        };
        if !reports.contains(&report) {
            reports.push(report);
        }
    }
    reports
}

/// What is known now of an address: waiting, or impossible (not an RCS subscriber of the case,
/// and no SMS fallback).
fn sync_status(cmcc: &Cmcc, to: &str, sms_fallback: bool) -> &'static str {
    if sms_fallback {
        return WAITING;
    }
    let msisdn = number(to);
    let rcs = cmcc
        .engine
        .core()
        .subscribers
        .iter()
        .any(|s| s.msisdn == msisdn && s.rcs);
    if rcs { WAITING } else { IMPOSSIBLE }
}

/// The answer to a policy refusal (§10.2).
fn refused(refusal: &Refusal) -> Response {
    let (status, id, text) = match refusal {
        Refusal::UnknownChatbot => (404, "SVC0004", "no such chatbot".to_owned()),
        Refusal::Paused => (403, "POL3001", "the chatbot is paused".to_owned()),
        Refusal::NoPushRight => (
            403,
            "POL3002",
            "the chatbot may not push messages".to_owned(),
        ),
        Refusal::NoInteractionRight => (
            403,
            "POL3003",
            "the chatbot may not reply to users (no interaction right)".to_owned(),
        ),
        Refusal::RateLimited => (429, "POL3004", "too many messages per second".to_owned()),
        Refusal::DailyCap => (
            429,
            "POL3005",
            "the daily message cap is reached".to_owned(),
        ),
        Refusal::SensitiveWord(word) => (403, "POL3006", format!("sensitive word: {word}")),
        Refusal::InvalidContent(detail) => (400, "SVC0002", format!("invalid content: {detail}")),
    };
    let policy = id.starts_with("POL");
    error(status, policy, id, &text, &[])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn reports_always_hold_the_platform_ones() {
        let asked = [
            "Delivered".to_owned(),
            "Displayed".to_owned(),
            "Sent".to_owned(),
        ];
        assert_eq!(
            reports(&asked),
            [
                Report::Sent,
                Report::Failed,
                Report::ToNetwork,
                Report::Delivered,
                Report::Displayed
            ]
        );
        assert_eq!(reports(&[]).len(), 3);
    }

    #[test]
    fn a_request_maps_one_to_one() {
        let bot = Chatbot::new("sip:12599@botplatform.rcs.chinamobile.com", Family::Cmcc);
        let req = cmcc::Outbound {
            destinations: vec!["+8613800000001".into(), "tel:+8613800000002".into()],
            content_type: "text/plain".into(),
            body_text: "余额".into(),
            message_id: Some("m-1".into()),
            contribution_id: Some("c-1".into()),
            in_reply_to_contribution_id: Some("up-1".into()),
            short_message_supported: Some(true),
            sms_body_text: Some("sms".into()),
            traffic_type: Some("payment".into()),
            report_request: vec!["Delivered".into()],
            ..cmcc::Outbound::default()
        };
        let out = outbound(&bot, &req, false).unwrap();
        assert_eq!(out.to, ["tel:+8613800000001", "tel:+8613800000002"]);
        assert_eq!(out.body, "余额".as_bytes());
        assert_eq!(
            (out.message_id.as_str(), out.contribution_id.as_str()),
            ("m-1", "c-1")
        );
        assert_eq!(out.conversation_id.len(), 36);
        assert_eq!(out.in_reply_to.as_deref(), Some("up-1"));
        assert!(out.interaction, "a reply is an interaction on any URL");
        assert_eq!(out.sms_text.as_deref(), Some("sms"));
        assert_eq!(out.traffic_type.as_deref(), Some("payment"));
        assert!(out.store);
        let push = cmcc::Outbound {
            short_message_supported: Some(false),
            in_reply_to_contribution_id: None,
            ..req
        };
        let out = outbound(&bot, &push, false).unwrap();
        assert!(!out.interaction);
        assert_eq!(out.sms_text, None);
    }

    #[test]
    fn refusals_map_to_status_and_exception() {
        let response = refused(&Refusal::NoInteractionRight);
        assert_eq!(response.status(), 403);
        let (id, _) = cmcc::parse_request_error(response.body()).unwrap();
        assert_eq!(id, "POL3003");
        assert_eq!(refused(&Refusal::RateLimited).status(), 429);
        assert_eq!(refused(&Refusal::InvalidContent("/x".into())).status(), 400);
    }
}
