//! What the terminal does when a focus invites it and when the conference state arrives
//! (RFC 4579 §5, RFC 6665 §4.1, RFC 4575 §4; protocols.md §6.1-6.2).
//!
//! An incoming INVITE whose Contact carries `isfocus` is accepted like any session INVITE; once
//! its MSRP session is open, the group (its Contact URI) is remembered and, unless the
//! `subscribe-conference` setting is off or the `no-conference-subscribe` fault is on, the
//! terminal SUBSCRIBEs to `conference` at that URI with `Accept: application/conference-info+xml`.
//! A NOTIFY of the conference event is answered 200 and applied to the group it names, stale
//! versions ignored (`group_state`); one naming no known group gets 481, a body that is not a
//! conference-info document 400. Subscription refresh is not simulated.

use std::sync::Arc;
use std::time::Duration;

use rcs_proto::conference::ConferenceInfo;
use rcs_proto::sip::{Message, MessageBuilder, NameAddr};

use super::client::Outcome;
use super::core::Core;
use super::faults::Fault;
use super::group_sip;
use super::group_state::Applied;
use super::ids;
use super::params::DEFAULT_TIMEOUT;
use super::request::RequestHead;
use super::session::ChatSession;

/// The largest conference-info body read.
const MAX_NOTIFY_BODY: usize = 256 * 1024;

/// Notes an incoming INVITE from a focus (its Contact has `isfocus`).
pub(crate) fn note_invite(core: &Core, request: &Message) {
    let from_focus = request
        .header("Contact")
        .and_then(|c| NameAddr::parse(c).ok())
        .is_some_and(|c| c.param("isfocus").is_some());
    if let (true, Some(call_id)) = (from_focus, request.call_id()) {
        core.groups.focus_call(call_id);
    }
}

/// The session of an accepted INVITE is open: a focus's makes the terminal a group member.
pub(crate) async fn joined(core: Arc<Core>, session: &ChatSession) {
    if !core.groups.take_focus_call(&session.call_id) {
        return;
    }
    let group_uri = session.dialog().remote_target().to_owned();
    core.groups.joined(&group_uri, None);
    if !core.settings.subscribe_conference || core.faults.has(Fault::NoConferenceSubscribe) {
        return;
    }
    match subscribe(&core, &group_uri, DEFAULT_TIMEOUT).await {
        Ok(outcome) => {
            tracing::debug!(role = %core.role, status = %outcome.status(), "conference subscribed")
        }
        Err(error) => tracing::debug!(role = %core.role, %error, "conference not subscribed"),
    }
}

/// SUBSCRIBEs to the conference state of `group_uri` and waits for the answer.
pub(crate) async fn subscribe(
    core: &Core,
    group_uri: &str,
    wait: Duration,
) -> Result<Outcome, String> {
    let (identity, route) = {
        let state = core.state();
        (
            state.registration.identity.clone(),
            state.registration.service_route.clone(),
        )
    };
    let (call_id, from_tag, branch) = (ids::uuid(), ids::tag(), ids::branch());
    let head = RequestHead {
        method: "SUBSCRIBE",
        request_uri: group_uri,
        from: &identity,
        from_tag: &from_tag,
        to: group_uri,
        call_id: &call_id,
        cseq: 1,
        route: &route,
    };
    let contact = format!("<{}>", core.local.contact_uri());
    let request = group_sip::subscribe(&head, &core.local, &branch, &contact);
    core.transact(&request, &branch, wait).await
}

/// Whether `request` is a NOTIFY of the conference event package.
pub(crate) fn is_conference(request: &Message) -> bool {
    request
        .header("Event")
        .and_then(|e| e.split(';').next())
        .is_some_and(|e| e.trim().eq_ignore_ascii_case("conference"))
}

/// Answers a conference NOTIFY and applies its state.
pub(crate) fn on_notify(core: &Core, request: &Message) -> Message {
    let body = request.body();
    if body.len() > MAX_NOTIFY_BODY {
        return MessageBuilder::response_to(request, 413, "Request Entity Too Large").build();
    }
    let info = match ConferenceInfo::parse(body) {
        Ok(info) => info,
        Err(error) => {
            tracing::debug!(role = %core.role, %error, "conference NOTIFY unreadable");
            return MessageBuilder::response_to(request, 400, "Bad Request").build();
        }
    };
    match core.groups.apply(&info) {
        Some(applied) => {
            if applied == Applied::Stale {
                tracing::debug!(role = %core.role, version = info.version, "stale conference state ignored");
            }
            group_sip::notify_ok(request)
        }
        None => MessageBuilder::response_to(request, 481, "Subscription Does Not Exist").build(),
    }
}
