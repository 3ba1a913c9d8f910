//! The requests a group's members send to its session URI, as the focus answers them: SUBSCRIBE
//! to the conference state (RFC 6665 4.2.1, RFC 4575 4), REFER to add participants (RFC 3515,
//! RFC 5368, RFC 4488), BYE to leave (RFC 3261 15.1.2, RFC 4579 5.8) and the chairman's group
//! data MESSAGE changing the subject (protocols.md §6.3). Also the recipient list of a creation
//! INVITE (RFC 5366 5). Each handler returns the response and what else to send.

use std::time::Instant;

use rcs_proto::conference::{DisconnectionMethod, EndpointStatus};
use rcs_proto::cpim::CpimMessage;
use rcs_proto::group_data::{GROUP_DATA_CONTENT_TYPE, GroupData};
use rcs_proto::multipart;
use rcs_proto::resource_lists::{RESOURCE_LISTS_CONTENT_TYPE, ResourceLists};
use rcs_proto::sip::{Dialog, Message, MessageBuilder, NameAddr};

use super::config::Fault;
use super::focus::{Arrival, Focus, Hop, requires};
use super::focus_group::{Leg, Reach, same_uri};
use super::focus_relay::FocusCommand;
use super::focus_sip;
use super::proxy::Transmit;
use super::reply;

/// The longest subscription granted, in seconds.
pub const SUBSCRIPTION_EXPIRES: u32 = 3600;

/// The largest body read for a list or a group data document.
const MAX_BODY: usize = 64 * 1024;

/// The URIs of the `recipient-list` resource list of a creation INVITE or a REFER.
pub fn recipient_list(request: &Message) -> Result<Vec<String>, String> {
    let content_type = request.header("Content-Type").unwrap_or_default();
    let body = request.body();
    if body.len() > MAX_BODY {
        return Err(format!("the body is larger than {MAX_BODY} bytes"));
    }
    let xml = if media_type(content_type).eq_ignore_ascii_case(RESOURCE_LISTS_CONTENT_TYPE) {
        body.to_vec()
    } else if media_type(content_type)
        .to_ascii_lowercase()
        .starts_with("multipart/")
    {
        let parts = multipart::parse(content_type, body)
            .map_err(|e| format!("failed to read the multipart body: {e}"))?;
        let part = multipart::find(&parts, RESOURCE_LISTS_CONTENT_TYPE)
            .ok_or("the body has no application/resource-lists+xml part (RFC 5366 5)")?;
        part.body.clone()
    } else {
        return Err("the body has no application/resource-lists+xml part (RFC 5366 5)".into());
    };
    let lists = ResourceLists::parse(&xml).map_err(|e| format!("failed to {e}"))?;
    let uris: Vec<String> = lists.uris().into_iter().map(str::to_owned).collect();
    if uris.is_empty() {
        return Err("the resource list names nobody".into());
    }
    Ok(uris)
}

impl Focus {
    /// A non-INVITE request to a group URI the focus [`Focus::owns`].
    pub fn on_request(
        &mut self,
        request: &Message,
        arrival: Arrival,
        participants: &dyn Fn(&str) -> Option<Hop>,
        now: Instant,
    ) -> (Message, Vec<Transmit>) {
        let respond =
            |status, reason| (reply::response(request, status, reason).build(), Vec::new());
        let Some(group_id) = self.group_of(request) else {
            return respond(404, "Not Found");
        };
        match request.method().unwrap_or_default() {
            "SUBSCRIBE" => self.on_subscribe(group_id, request, arrival, now),
            "REFER" => self.on_refer(group_id, request, participants, now),
            "BYE" => self.on_bye(group_id, request, now),
            "MESSAGE" => self.on_group_data(group_id, request, now),
            _ => (
                reply::response(request, 501, "Not Implemented")
                    .header("Allow", "INVITE, ACK, BYE, SUBSCRIBE, REFER, MESSAGE")
                    .build(),
                Vec::new(),
            ),
        }
    }

    fn on_subscribe(
        &mut self,
        group_id: u64,
        request: &Message,
        arrival: Arrival,
        now: Instant,
    ) -> (Message, Vec<Transmit>) {
        let respond =
            |status, reason| (reply::response(request, status, reason).build(), Vec::new());
        let event = request.header("Event").unwrap_or_default();
        if !event
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .eq_ignore_ascii_case("conference")
        {
            return (
                reply::response(request, 489, "Bad Event")
                    .header("Allow-Events", "conference")
                    .build(),
                Vec::new(),
            );
        }
        let expires = request
            .header("Expires")
            .and_then(|v| v.trim().parse::<u32>().ok())
            .unwrap_or(SUBSCRIPTION_EXPIRES)
            .min(SUBSCRIPTION_EXPIRES);
        let Some(group) = self.groups.get_mut(&group_id) else {
            return respond(404, "Not Found");
        };
        let existing = group
            .subscriptions
            .iter()
            .position(|s| s.dialog.matches(request));
        if let Some(index) = existing {
            return self.refresh(group_id, index, request, expires, now);
        }
        let from = from_uri(request).unwrap_or_default();
        if group.member_by_uri(&from).is_none() {
            return respond(403, "Forbidden");
        }
        if expires == 0 {
            return respond(200, "OK");
        }
        let tag = reply::token(10);
        let contact = format!("<{}>", group.uri);
        let Ok(dialog) = Dialog::as_uas(request, &tag, &contact) else {
            return respond(400, "Bad Request");
        };
        let tls = arrival.transport == rcs_harness::events::Transport::Tls;
        let reach = Reach {
            transport: arrival.transport,
            dst: match arrival.gateway {
                Some(gateway) => gateway,
                None => focus_sip::dialog_dst(dialog.remote_target(), tls, arrival.src),
            },
            via_addr: arrival.via_addr,
        };
        let ok = focus_sip::subscribe_ok(request, &tag, &contact, expires);
        let out = self.subscribe(group_id, dialog, reach, expires, now);
        (ok, out)
    }

    /// A SUBSCRIBE in an existing subscription: refreshed with the full state, or ended.
    fn refresh(
        &mut self,
        group_id: u64,
        index: usize,
        request: &Message,
        expires: u32,
        now: Instant,
    ) -> (Message, Vec<Transmit>) {
        let Some(group) = self.groups.get_mut(&group_id) else {
            return (
                reply::response(request, 481, "Subscription Does Not Exist").build(),
                Vec::new(),
            );
        };
        let Some(sub) = group.subscriptions.get_mut(index) else {
            return (
                reply::response(request, 481, "Subscription Does Not Exist").build(),
                Vec::new(),
            );
        };
        sub.dialog.handle_request(request);
        sub.version = sub.version.saturating_add(1);
        let (tag, version) = (sub.dialog.id().local_tag.clone(), sub.version);
        let contact = format!("<{}>", group.uri);
        let ok = focus_sip::subscribe_ok(request, &tag, &contact, expires);
        let info = group.full_state(version);
        let mut sub = match expires {
            0 => group.subscriptions.remove(index),
            _ => match group.subscriptions.get_mut(index) {
                Some(sub) => {
                    let reach = sub.reach;
                    let branch = super::focus::new_branch();
                    let notify = focus_sip::notify(&mut sub.dialog, reach, &branch, &info, expires);
                    let out = self.send_uac(notify.raw().clone(), reach, now);
                    return (ok, out);
                }
                None => return (ok, Vec::new()),
            },
        };
        let reach = sub.reach;
        let branch = super::focus::new_branch();
        let notify = focus_sip::notify(&mut sub.dialog, reach, &branch, &info, 0);
        let out = self.send_uac(notify.raw().clone(), reach, now);
        (ok, out)
    }

    fn on_refer(
        &mut self,
        group_id: u64,
        request: &Message,
        participants: &dyn Fn(&str) -> Option<Hop>,
        now: Instant,
    ) -> (Message, Vec<Transmit>) {
        let respond =
            |status, reason| (reply::response(request, status, reason).build(), Vec::new());
        let Some(group) = self.groups.get(&group_id) else {
            return respond(404, "Not Found");
        };
        let from = from_uri(request).unwrap_or_default();
        let Some(referrer) = group.member_by_uri(&from) else {
            return respond(403, "Forbidden");
        };
        let referrer = referrer.uri.clone();
        let Some(refer_to) = request
            .header("Refer-To")
            .and_then(|v| NameAddr::parse(v).ok())
        else {
            return respond(400, "Bad Request");
        };
        let target = refer_to.uri.to_string();
        let uris = if target.to_ascii_lowercase().starts_with("cid:") {
            if !requires(request, "multiple-refer") {
                return respond(421, "Extension Required");
            }
            match recipient_list(request) {
                Ok(uris) => uris,
                Err(why) => {
                    let warning = reply::warning("focus", &why);
                    return (
                        reply::response(request, 400, "Bad Request")
                            .header("Warning", &warning)
                            .build(),
                        Vec::new(),
                    );
                }
            }
        } else if target.contains("method=BYE") {
            return respond(501, "Not Implemented");
        } else {
            vec![target]
        };
        let creation = group.members.iter().find_map(|m| match &m.leg {
            Leg::Creator { invite, .. } => Some(invite.clone()),
            Leg::Invited { .. } => None,
        });
        let accepted = MessageBuilder::response_to(request, 202, "Accepted")
            .to_tag(&reply::token(8))
            .header("Refer-Sub", "false")
            .build();
        if self.has(Fault::ReferNotInvited) {
            return (accepted, Vec::new());
        }
        let Some(creation) = creation else {
            return (accepted, Vec::new());
        };
        let out = self.invite_all(group_id, &uris, &referrer, participants, &creation, now);
        (accepted, out)
    }

    fn on_bye(
        &mut self,
        group_id: u64,
        request: &Message,
        now: Instant,
    ) -> (Message, Vec<Transmit>) {
        let keep_sending = self.has(Fault::DepartedStillReceives);
        let Some(group) = self.groups.get_mut(&group_id) else {
            return (
                reply::response(request, 481, "Call/Transaction Does Not Exist").build(),
                Vec::new(),
            );
        };
        let Some(member) = group
            .members
            .iter_mut()
            .find(|m| m.dialog.as_ref().is_some_and(|d| d.matches(request)))
        else {
            return (
                reply::response(request, 481, "Call/Transaction Does Not Exist").build(),
                Vec::new(),
            );
        };
        let ok = MessageBuilder::response_to(request, 200, "OK").build();
        if member.status == EndpointStatus::Disconnected {
            return (ok, Vec::new());
        }
        member.status = EndpointStatus::Disconnected;
        member.method = Some(DisconnectionMethod::Departed);
        member.dialog = None;
        let member_id = member.id;
        tracing::info!(group = group_id, "{} departed", member.uri);
        if !keep_sending {
            self.command(FocusCommand::Leave {
                group: group_id,
                member: member_id,
            });
        }
        let out = self.notify_all(group_id, &[member_id], false, now);
        self.end_if_empty(group_id);
        (ok, out)
    }

    fn on_group_data(
        &mut self,
        group_id: u64,
        request: &Message,
        now: Instant,
    ) -> (Message, Vec<Transmit>) {
        let bad = |status, reason, why: &str| {
            let warning = reply::warning("focus", why);
            (
                reply::response(request, status, reason)
                    .header("Warning", &warning)
                    .build(),
                Vec::new(),
            )
        };
        let Some(group) = self.groups.get_mut(&group_id) else {
            return bad(404, "Not Found", "no such group");
        };
        let document = match group_data_of(request) {
            Ok(document) => document,
            Err(why) => return bad(415, "Unsupported Media Type", &why),
        };
        let from = from_uri(request).unwrap_or_default();
        if !same_uri(&from, &group.chairman) {
            return bad(
                403,
                "Forbidden",
                "only the chairman may change the group data",
            );
        }
        let Some(change) = document.as_request() else {
            return bad(400, "Bad Request", "the document is not a request");
        };
        let subject = change.data("subject").map(str::to_owned);
        let (code, text) = match (change.target.as_str(), change.action.as_str(), subject) {
            ("subject", "set", Some(subject)) => {
                group.subject = Some(subject);
                (200, "OK")
            }
            ("subject", "delete", _) => {
                group.subject = None;
                (200, "OK")
            }
            ("subject", _, _) => (400, "Bad Request"),
            _ => (501, "Not Implemented"),
        };
        let response = GroupData::response(&document.id, code, text);
        let ok = MessageBuilder::response_to(request, 200, "OK")
            .to_tag(&reply::token(8))
            .body(GROUP_DATA_CONTENT_TYPE, response.to_xml().into_bytes())
            .build();
        if code != 200 || self.has(Fault::SubjectNotNotified) {
            return (ok, Vec::new());
        }
        let out = self.notify_all(group_id, &[], true, now);
        (ok, out)
    }
}

/// The group data document of a MESSAGE: its body, or the body of its CPIM message.
fn group_data_of(request: &Message) -> Result<GroupData, String> {
    let content_type = request.header("Content-Type").unwrap_or_default();
    let body = request.body();
    if body.len() > MAX_BODY {
        return Err(format!("the body is larger than {MAX_BODY} bytes"));
    }
    let xml = if media_type(content_type).eq_ignore_ascii_case("message/cpim") {
        let cpim = CpimMessage::parse(body).map_err(|e| format!("failed to {e}"))?;
        let inner = cpim.content_type().unwrap_or_default();
        if !media_type(inner).eq_ignore_ascii_case(GROUP_DATA_CONTENT_TYPE) {
            return Err(format!("the CPIM message carries {inner}, not group data"));
        }
        cpim.body().to_vec()
    } else if media_type(content_type).eq_ignore_ascii_case(GROUP_DATA_CONTENT_TYPE) {
        body.to_vec()
    } else {
        return Err(format!(
            "the body is {content_type}, not {GROUP_DATA_CONTENT_TYPE}"
        ));
    };
    GroupData::parse(&xml).map_err(|e| format!("failed to {e}"))
}

fn from_uri(request: &Message) -> Option<String> {
    request.from_header().ok().map(|f| f.uri.to_string())
}

fn media_type(value: &str) -> &str {
    value.split(';').next().unwrap_or_default().trim()
}
