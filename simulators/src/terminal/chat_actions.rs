//! The session-mode and large-message actions as cases call them: `start-chat`, `send-chat`,
//! `end-chat` and `send-message` (protocols.md §4.1, §4.5, §4.6).
//!
//! `start-chat` also reports `msrp.path`, our MSRP URI (the From-Path of what we send); its
//! `omit` leaves Conversation-ID or Contribution-ID out of the INVITE (protocols.md §4.2 cases).
//! Like the other actions they never judge: each reports what it sent and the final status.
//! `status` is the INVITE's final status for `start-chat`, the status of the response to the last
//! MSRP chunk for `send-chat` (and for `send-message` in large-message mode once the INVITE was
//! accepted; `timeout` or `closed` when none came), and the BYE's for `end-chat`. `sent.sha256`
//! and `sent.size` describe the whole MSRP message body (the CPIM message), the bytes a case
//! compares with what arrived. Sending on a session that does not exist is a case error naming
//! `start-chat`.

use std::sync::Arc;
use std::time::SystemTime;

use rcs_harness::agent::ActionOutput;
use rcs_proto::msrp::SendOptions;
use rcs_proto::sdp::Setup;
use sha2::{Digest, Sha256};

use super::actions::{Output, send_pager};
use super::chat::{MsrpSent, Opened, filler, send_and_wait, sized_cpim};
use super::core::Core;
use super::ids;
use super::media::Mode;
use super::pager::{Chat, message_cpim};
use super::params::{
    self, EndChatParams, MAX_FILLER, PagerParams, SendChatParams, SendMessageParams,
    StartChatParams,
};

/// `start-chat`: INVITE, ACK, MSRP session, and an optional first message.
pub(crate) async fn start_chat(
    core: &Arc<Core>,
    p: StartChatParams,
) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let setup = match p.setup.as_deref() {
        Some(setup) => params::setup(setup)?,
        None => Setup::Active,
    };
    let target = core.target(&p.to)?;
    let opened = core
        .open_session(&target, setup, None, &p.omit, wait)
        .await?;
    let mut out = invite_output(&opened);
    let mut summary = format!("INVITE (session) to {target}: {}", opened.outcome.summary());
    if let Ok(session) = &opened.session {
        out.set("msrp.path", &session.msrp.local_uri().to_string());
    }
    match (&opened.session, p.text) {
        (Ok(session), Some(text)) => {
            let message = Message::new(core, &target, "positive-delivery, display");
            let body = message.cpim(core, &text, "text/plain;charset=UTF-8");
            let sent = send_and_wait(session, &body, SendOptions::default(), wait).await?;
            summary.push_str(&format!("; first message: {}", sent.status));
            msrp_output(&mut out, &body, &sent, &message.message_id);
            out.set("msrp.status", &sent.status);
            out.set("status", &opened.outcome.status());
        }
        (Ok(_), None) => {}
        (Err(error), _) => {
            out.set("error", error);
            summary.push_str(&format!(" ({error})"));
        }
    }
    Ok(out.finish(summary))
}

/// `send-chat`: one CPIM message over the session with `to`.
pub(crate) async fn send_chat(core: &Arc<Core>, p: SendChatParams) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let target = core.target(&p.to)?;
    let session = core
        .sessions
        .by_peer_soon(&target, Mode::Session)
        .await
        .ok_or_else(|| {
            format!(
                "no chat session with `{}`: open one with start-chat first",
                p.to
            )
        })?;
    let message = Message::new(core, &target, &p.disposition);
    let write = |text: &str| message.cpim(core, text, &p.content_type);
    let body = match (p.size, p.text.as_deref()) {
        (Some(_), Some(_)) => return Err("give `text` or `size`, not both".to_owned()),
        (Some(size), None) if size > MAX_FILLER => {
            return Err(format!("size {size} is above the {MAX_FILLER}-byte limit"));
        }
        (Some(size), None) => sized_cpim(size, write)?.0,
        (None, text) => write(text.unwrap_or("hello")),
    };
    let opts = SendOptions {
        success_report: p.success_report,
        chunk_size: p.chunk_size,
        chunk_order: p.chunk_order,
        ..SendOptions::default()
    };
    let sent = send_and_wait(&session, &body, opts, wait).await?;
    let mut out = Output::new(sent.status.clone());
    out.set("sent.Call-ID", &session.call_id);
    out.set(
        "sent.Conversation-ID",
        &session.conversation.conversation_id,
    );
    out.set(
        "sent.Contribution-ID",
        &session.conversation.contribution_id,
    );
    msrp_output(&mut out, &body, &sent, &message.message_id);
    if sent.status.starts_with("200") {
        core.receipts.sent(&message.message_id);
    }
    let summary = format!(
        "MSRP SEND of {} bytes to {target}: {}",
        body.len(),
        sent.status
    );
    Ok(out.finish(summary))
}

/// `end-chat`: BYE, then the MSRP session is closed.
pub(crate) async fn end_chat(core: &Arc<Core>, p: EndChatParams) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let target = core.target(&p.to)?;
    let session = core
        .sessions
        .by_peer_soon(&target, Mode::Session)
        .await
        .ok_or_else(|| format!("no chat session with `{}` to end", p.to))?;
    let outcome = core.close_session(&session, wait).await?;
    let mut out = Output::new(outcome.status());
    out.set("sent.Call-ID", &session.call_id);
    Ok(out.finish(format!("BYE to {target}: {}", outcome.summary())))
}

/// `send-message`: with the `capability-discovery` setting, OPTIONS first (see `sms_send`);
/// else CPM at once.
pub(crate) async fn send_message(
    core: &Arc<Core>,
    p: SendMessageParams,
) -> Result<ActionOutput, String> {
    match core.settings.capability_discovery {
        true => super::sms_send::send_message(core, p).await,
        false => send_cpm(core, p).await,
    }
}

/// CPM: pager mode up to the switchover size, large-message mode above it.
pub(crate) async fn send_cpm(
    core: &Arc<Core>,
    p: SendMessageParams,
) -> Result<ActionOutput, String> {
    let content = match (p.size, p.text) {
        (Some(_), Some(_)) => return Err("give `text` or `size`, not both".to_owned()),
        (Some(size), None) if size > MAX_FILLER => {
            return Err(format!("size {size} is above the {MAX_FILLER}-byte limit"));
        }
        (Some(size), None) => filler(size),
        (None, text) => text.unwrap_or_else(|| "hello".to_owned()),
    };
    if content.len() <= core.settings.switchover_size {
        let pager = PagerParams {
            to: p.to,
            text: content,
            content_type: p.content_type,
            disposition: p.disposition,
            omit: Vec::new(),
            timeout: p.timeout,
        };
        let mut output = send_pager(core, pager).await?;
        output.values.insert("mode".to_owned(), "pager".to_owned());
        return Ok(output);
    }
    let wait = params::timeout(p.timeout.as_deref())?;
    let target = core.target(&p.to)?;
    let message = Message::new(core, &target, &p.disposition);
    let chat = message.chat(&content, &p.content_type);
    let opened = core
        .open_session(&target, Setup::Active, Some(&chat), &[], wait)
        .await?;
    let mut out = invite_output(&opened);
    out.set("mode", "large");
    out.set("sent.invite-status", &opened.outcome.status());
    let mut summary = format!(
        "INVITE (large message, {} bytes) to {target}: {}",
        content.len(),
        opened.outcome.summary()
    );
    match &opened.session {
        Ok(session) => {
            let body = message.cpim(core, &content, &p.content_type);
            let sent = send_and_wait(session, &body, SendOptions::default(), wait).await?;
            msrp_output(&mut out, &body, &sent, &message.message_id);
            out.set("status", &sent.status);
            let bye = core.close_session(session, wait).await?;
            out.set("sent.bye-status", &bye.status());
            summary.push_str(&format!("; SEND {}; BYE {}", sent.status, bye.summary()));
        }
        Err(error) => {
            out.set("error", error);
            summary.push_str(&format!(" ({error})"));
        }
    }
    Ok(out.finish(summary))
}

/// The identity, ids and time of one message being written.
struct Message {
    identity: String,
    target: String,
    message_id: String,
    date_time: String,
    disposition: String,
}

impl Message {
    fn new(core: &Core, target: &str, disposition: &str) -> Self {
        Self {
            identity: core.state().registration.identity.clone(),
            target: target.to_owned(),
            message_id: ids::imdn_message_id(),
            date_time: ids::date_time(SystemTime::now()),
            disposition: disposition.to_owned(),
        }
    }

    fn chat<'a>(&'a self, text: &'a str, content_type: &'a str) -> Chat<'a> {
        Chat {
            text,
            content_type,
            disposition: &self.disposition,
            message_id: &self.message_id,
            date_time: &self.date_time,
            omit: &[],
        }
    }

    fn cpim(&self, core: &Core, text: &str, content_type: &str) -> Vec<u8> {
        let chat = self.chat(text, content_type);
        message_cpim(&self.identity, &self.target, &chat, &core.faults)
    }
}

/// `status`, `sent.Call-ID`, `sent.Conversation-ID` and `sent.Contribution-ID` of an INVITE.
fn invite_output(opened: &Opened) -> Output {
    let mut out = Output::new(opened.outcome.status());
    for name in ["Call-ID", "Conversation-ID", "Contribution-ID"] {
        out.set(
            &format!("sent.{name}"),
            opened.request.header(name).unwrap_or_default(),
        );
    }
    out
}

/// The MSRP outputs of one message sent: ids, hash and size of the whole MSRP body.
fn msrp_output(out: &mut Output, body: &[u8], sent: &MsrpSent, imdn_message_id: &str) {
    out.set("sent.msrp.Message-ID", &sent.message_id);
    out.set("sent.imdn.Message-ID", imdn_message_id);
    out.set("sent.sha256", &hex::encode(Sha256::digest(body)));
    out.set("sent.size", &body.len().to_string());
}
