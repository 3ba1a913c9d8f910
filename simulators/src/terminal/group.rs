//! The terminal's group chat actions (protocols.md §6): `create-group`, `send-group`,
//! `add-member`, `leave-group`, `change-subject` and `group-info`.
//!
//! `create-group` INVITEs the conference factory (the `conf-factory-uri` setting) with the SDP
//! offer and the recipient list, opens the MSRP session with the focus on its 200, remembers the
//! group session URI of the 200's Contact (`group.uri`, with `group.isfocus`) and subscribes to
//! the conference state unless `subscribe-conference` is off (`group_in`). The others act on the
//! newest group not left, or the one `group` names. Like every action they report what they sent
//! and the final status; they never judge. The `leave-without-bye` fault ends the session without
//! a BYE. After leaving, the MSRP session stays open for [`LINGER`] so that whatever the focus
//! still sends is on the wire; the focus is the side expected to close it.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rcs_harness::agent::ActionOutput;
use rcs_harness::events::Transport;
use rcs_proto::msrp::SendOptions;
use rcs_proto::sdp::{MsrpMedia, Setup};
use rcs_proto::sip::{Dialog, NameAddr};
use serde_json::{Map, Value};

use super::actions::Output;
use super::chat::send_and_wait;
use super::core::Core;
use super::faults::Fault;
use super::group_params::{
    AddMemberParams, ChangeSubjectParams, CreateGroupParams, GroupParams, SendGroupParams,
};
use super::group_sip;
use super::ids;
use super::invite::InviteHead;
use super::invite_in::sdp_of;
use super::media::{Mode, offerer_role, session_config, session_offer, session_version};
use super::pager::{Chat, Conversation, message_cpim};
use super::params;
use super::register::is_success;
use super::request::RequestHead;
use super::session::{ChatSession, spawn_pump};
use super::tags::CPM_SESSION_ICSI;

/// How long the MSRP session of a group left stays open for the focus to close it.
pub(crate) const LINGER: Duration = Duration::from_secs(2);

/// How often an action looks again for a group still being joined.
const JOIN_POLL: Duration = Duration::from_millis(20);

/// The group data type a group session also accepts wrapped (protocols.md §4.5).
const GROUP_DATA: &str = "application/vnd.oma.cpm-groupdata+xml";

/// Runs one group action.
pub(crate) async fn act(
    core: &Arc<Core>,
    action: &str,
    map: &Map<String, Value>,
) -> Result<ActionOutput, String> {
    match action {
        "create-group" => create_group(core, params::parse(map)?).await,
        "send-group" => send_group(core, params::parse(map)?).await,
        "add-member" => add_member(core, params::parse(map)?).await,
        "leave-group" => leave_group(core, params::parse(map)?).await,
        "change-subject" => change_subject(core, params::parse(map)?).await,
        "group-info" => group_info(core, params::parse(map)?),
        other => Err(format!("a terminal has no action `{other}`")),
    }
}

async fn create_group(core: &Arc<Core>, p: CreateGroupParams) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let members = p
        .members
        .iter()
        .map(|m| core.target(m))
        .collect::<Result<Vec<_>, _>>()?;
    let factory = core.settings.conf_factory();
    let (identity, route) = {
        let state = core.state();
        let reg = &state.registration;
        (reg.identity.clone(), reg.service_route.clone())
    };
    let conversation = Conversation {
        conversation_id: ids::uuid(),
        contribution_id: ids::uuid(),
    };
    let tls = core.local.transport == Transport::Tls;
    let path = core
        .msrp
        .new_local_path(tls)
        .await
        .map_err(|e| format!("msrp relay: {e}"))?;
    let local_uri = path.last().ok_or("the msrp stack gave no local path")?;
    let mut offer = session_offer(local_uri, Setup::Active);
    offer.path.clone_from(&path);
    offer.accept_wrapped_types.push(GROUP_DATA.to_owned());
    let sdp = offer.to_sdp(local_uri.host(), session_version()).to_bytes();
    let (call_id, from_tag, branch) = (ids::uuid(), ids::tag(), ids::branch());
    let contact = core
        .tags
        .service_contact(&core.local.contact_uri(), CPM_SESSION_ICSI);
    let head = InviteHead {
        local: &core.local,
        identity: &identity,
        target: &factory,
        route: &route,
        call_id: &call_id,
        from_tag: &from_tag,
        branch: &branch,
        contact: &contact,
        conversation: &conversation,
    };
    let request =
        group_sip::creation_invite(&head, &members, p.subject.as_deref(), sdp, &core.faults);
    let outcome = core.invite(&request, &branch, wait).await?;
    let mut out = Output::new(outcome.status());
    out.set("sent.Call-ID", &call_id);
    out.set("sent.Conversation-ID", &conversation.conversation_id);
    out.set("sent.Contribution-ID", &conversation.contribution_id);
    let mut summary = format!("INVITE (group) to {factory}: {}", outcome.summary());
    let Some(ok) = outcome.response().filter(|r| is_success(r)) else {
        return Ok(out.finish(summary));
    };
    let focus = ok.header("Contact").and_then(|c| NameAddr::parse(c).ok());
    let group_uri = focus
        .as_ref()
        .map(|f| f.uri.to_string())
        .unwrap_or_default();
    let isfocus = focus.as_ref().is_some_and(|f| f.param("isfocus").is_some());
    out.set("group.uri", &group_uri);
    out.set("group.isfocus", &isfocus.to_string());
    let opened = open(core, &request, ok, &offer, (&group_uri, conversation)).await;
    match opened {
        Ok(session) => out.set("msrp.path", &session.msrp.local_uri().to_string()),
        Err(error) => {
            out.set("error", &error);
            summary.push_str(&format!(" ({error})"));
            return Ok(out.finish(summary));
        }
    }
    core.groups.joined(&group_uri, p.subject.as_deref());
    if core.settings.subscribe_conference && !core.faults.has(Fault::NoConferenceSubscribe) {
        let subscribed = super::group_in::subscribe(core, &group_uri, wait).await?;
        out.set("subscribe.status", &subscribed.status());
        summary.push_str(&format!("; SUBSCRIBE conference: {}", subscribed.summary()));
    }
    Ok(out.finish(summary))
}

/// The dialog, the ACK and the MSRP session of an accepted creation INVITE.
async fn open(
    core: &Arc<Core>,
    request: &rcs_proto::sip::Message,
    ok: &rcs_proto::sip::Message,
    offer: &MsrpMedia,
    (group_uri, conversation): (&str, Conversation),
) -> Result<Arc<ChatSession>, String> {
    let dialog = Dialog::as_uac(request, ok).map_err(|e| format!("dialog: {e}"))?;
    let ack = core.ack(&dialog).await?;
    let sdp = sdp_of(ok).map_err(|r| r.detail)?;
    let answer = MsrpMedia::from_answer(&sdp).map_err(|e| format!("the SDP answer: {e}"))?;
    let config = session_config(offer, &answer).ok_or("our offer has no a=path")?;
    let tls = core.local.transport == Transport::Tls;
    let msrp = core
        .msrp
        .open(config, offerer_role(answer.setup), tls)
        .await
        .map_err(|e| format!("msrp session: {e}"))?;
    let session = Arc::new(ChatSession::new(
        Mode::Session,
        group_uri.to_owned(),
        conversation,
        dialog,
        msrp,
        Some(ack),
    ));
    if let Some(evicted) = core.sessions.insert(session.clone()) {
        evicted.close().await;
    }
    spawn_pump(core.clone(), session.clone());
    Ok(session)
}

/// The session of the group `uri` names, or of the newest group not left; a group still being
/// joined (its MSRP session opening) is waited for, at most `wait`.
async fn group_session(
    core: &Core,
    uri: Option<&str>,
    wait: Duration,
) -> Result<(String, Arc<ChatSession>), String> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let found = core.groups.find(uri).map(|group| {
            let session = core.sessions.by_peer(&group.uri, Mode::Session);
            (group.uri, session)
        });
        match found {
            Some((uri, Some(session))) => return Ok((uri, session)),
            _ if tokio::time::Instant::now() >= deadline => {
                return Err(match found {
                    Some((uri, None)) => format!("no session with the group {uri}"),
                    _ => "no group: create one with create-group or accept an invitation first"
                        .to_owned(),
                });
            }
            _ => tokio::time::sleep(JOIN_POLL).await,
        }
    }
}

async fn send_group(core: &Arc<Core>, p: SendGroupParams) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let (group_uri, session) = group_session(core, p.group.as_deref(), wait).await?;
    let identity = core.state().registration.identity.clone();
    let message_id = ids::imdn_message_id();
    let date_time = ids::date_time(SystemTime::now());
    let chat = Chat {
        text: &p.text,
        content_type: "text/plain;charset=UTF-8",
        disposition: &p.disposition,
        message_id: &message_id,
        date_time: &date_time,
        omit: &[],
    };
    let body = message_cpim(&identity, &group_uri, &chat, &core.faults);
    let sent = send_and_wait(&session, &body, SendOptions::default(), wait).await?;
    let mut out = Output::new(sent.status.clone());
    out.set("sent.Call-ID", &session.call_id);
    out.set("sent.msrp.Message-ID", &sent.message_id);
    out.set("sent.imdn.Message-ID", &message_id);
    out.set("sent.text", &p.text);
    out.set("group.uri", &group_uri);
    let summary = format!("MSRP SEND to the group {group_uri}: {}", sent.status);
    Ok(out.finish(summary))
}

async fn add_member(core: &Arc<Core>, p: AddMemberParams) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let (group_uri, session) = group_session(core, p.group.as_deref(), wait).await?;
    let (names, list) = match (p.member, p.members) {
        (Some(one), None) => (vec![one], false),
        (None, Some(many)) => (many, true),
        _ => return Err("give `member` or `members`".to_owned()),
    };
    let members = names
        .iter()
        .map(|m| core.target(m))
        .collect::<Result<Vec<_>, _>>()?;
    let branch = ids::branch();
    let contact = format!("<{}>", core.local.contact_uri());
    let domain = core.subscriber.domain.clone();
    let refer = group_sip::refer(
        &mut session.dialog(),
        &core.local,
        &branch,
        &contact,
        (&members, list),
        &domain,
    );
    let outcome = core.transact(&refer, &branch, wait).await?;
    let mut out = Output::new(outcome.status());
    out.set("sent.Call-ID", &session.call_id);
    out.set(
        "sent.Refer-To",
        refer.header("Refer-To").unwrap_or_default(),
    );
    let summary = format!(
        "REFER to {group_uri} adding {}: {}",
        members.join(", "),
        outcome.summary()
    );
    Ok(out.finish(summary))
}

async fn leave_group(core: &Arc<Core>, p: GroupParams) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let (group_uri, session) = group_session(core, p.group.as_deref(), wait).await?;
    core.groups.left(&group_uri);
    core.sessions.remove(&session.call_id);
    let lingering = session.clone();
    tokio::spawn(async move {
        tokio::time::sleep(LINGER).await;
        lingering.close().await;
    });
    if core.faults.has(Fault::LeaveWithoutBye) {
        let mut out = Output::new("not-sent".to_owned());
        out.set("sent.Call-ID", &session.call_id);
        return Ok(out.finish(format!("left {group_uri} without a BYE")));
    }
    let (bye, branch) = core.dialog_request(&mut session.dialog(), "BYE");
    let outcome = core.transact(&bye, &branch, wait).await?;
    let mut out = Output::new(outcome.status());
    out.set("sent.Call-ID", &session.call_id);
    Ok(out.finish(format!(
        "BYE to the group {group_uri}: {}",
        outcome.summary()
    )))
}

async fn change_subject(core: &Arc<Core>, p: ChangeSubjectParams) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let (group_uri, session) = group_session(core, p.group.as_deref(), wait).await?;
    let (identity, route) = {
        let state = core.state();
        (
            state.registration.identity.clone(),
            state.registration.service_route.clone(),
        )
    };
    let (call_id, from_tag, branch) = (ids::uuid(), ids::tag(), ids::branch());
    let head = RequestHead {
        method: "MESSAGE",
        request_uri: &group_uri,
        from: &identity,
        from_tag: &from_tag,
        to: &group_uri,
        call_id: &call_id,
        cseq: 1,
        route: &route,
    };
    let conversation = &session.conversation;
    let ids = (
        conversation.conversation_id.as_str(),
        conversation.contribution_id.as_str(),
    );
    let request =
        group_sip::subject_message(&head, &core.local, &branch, ids, &p.subject, &core.faults);
    let outcome = core.transact(&request, &branch, wait).await?;
    let mut out = Output::new(outcome.status());
    out.set("sent.Call-ID", &call_id);
    out.set("sent.subject", &p.subject);
    let summary = format!(
        "subject of {group_uri} to {:?}: {}",
        p.subject,
        outcome.summary()
    );
    Ok(out.finish(summary))
}

fn group_info(core: &Core, p: GroupParams) -> Result<ActionOutput, String> {
    let group = core
        .groups
        .find(p.group.as_deref())
        .ok_or("no group known")?;
    let mut out = Output::new(String::new());
    out.set("group.uri", &group.uri);
    out.set(
        "group.subject",
        group.subject.as_deref().unwrap_or_default(),
    );
    out.set("group.members", &group.connected());
    out.set("group.version", &group.version.to_string());
    out.set("group.stale", &group.stale.to_string());
    out.set("group.left", &group.left.to_string());
    let summary = format!(
        "group {} version {}: {} connected",
        group.uri,
        group.version,
        group.connected()
    );
    Ok(out.finish(summary))
}
