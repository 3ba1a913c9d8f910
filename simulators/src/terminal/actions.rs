//! The terminal's actions as cases call them: typed parameters in, [`ActionOutput`] values out.
//!
//! Actions never judge. Each does what the case asks and reports what it sent (`sent.*`, read
//! back from the bytes that went on the wire, empty when a header was left out) and the final
//! status (`status`: the code, `timeout` or `transport-error`). A parameter the terminal cannot
//! use (an unknown role, a bad duration, no message to report on) is a case error
//! ([`AgentError::BadAction`]).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rcs_harness::agent::{ActionOutput, AgentError};
use rcs_proto::cpim::CpimMessage;
use serde_json::{Map, Value};

use super::core::Core;
use super::outgoing::Sent;
use super::pager::Chat;
use super::params::{
    self, DeregisterParams, ImdnParams, ImdnStatus, OptionsParams, PagerParams, RawParams,
    RegisterParams,
};
use super::register::is_success;
use super::state::Received;
use super::tags::{ContactUse, normalized};
use super::{chat_actions, ids, reg_keeper};

/// How long an IMDN action waits for the message it reports on to be read.
const RECEIVED_GRACE: Duration = Duration::from_secs(1);

/// Runs `action` with `params`.
pub(crate) async fn act(
    core: &Arc<Core>,
    action: &str,
    params: &Map<String, Value>,
) -> Result<ActionOutput, AgentError> {
    run(core, action, params)
        .await
        .map_err(|detail| AgentError::BadAction {
            action: action.to_owned(),
            detail,
        })
}

async fn run(
    core: &Arc<Core>,
    action: &str,
    params: &Map<String, Value>,
) -> Result<ActionOutput, String> {
    match action {
        "register" => register(core, params::parse(params)?).await,
        "deregister" => deregister(core, params::parse(params)?).await,
        "send-pager" => send_pager(core, params::parse(params)?).await,
        "send-options" => send_options(core, params::parse(params)?).await,
        "send-imdn" => send_imdn(core, params::parse(params)?).await,
        "send-raw" => send_raw(core, params::parse(params)?).await,
        "start-chat" => chat_actions::start_chat(core, params::parse(params)?).await,
        "send-chat" => chat_actions::send_chat(core, params::parse(params)?).await,
        "end-chat" => chat_actions::end_chat(core, params::parse(params)?).await,
        "refresh-chat" => super::refresh::refresh_chat(core, params::parse(params)?).await,
        "send-message" => chat_actions::send_message(core, params::parse(params)?).await,
        "send-composing" => super::composing::send_composing(core, params::parse(params)?).await,
        "open-message" => super::receipts::open_message(core, params::parse(params)?).await,
        "message-status" => Ok(super::receipts::message_status(
            core,
            params::parse(params)?,
        )),
        "set-read-receipts" => Ok(super::receipts::set_read_receipts(
            core,
            params::parse(params)?,
        )),
        "configure" => super::autoconfig_actions::configure(core, params::parse(params)?).await,
        "send-revoke" => super::revoke::send_revoke(core, params::parse(params)?).await,
        "send-file" => super::ft_actions::send_file(core, params::parse(params)?).await,
        "download-file" => super::ft_actions::download_file(core, params::parse(params)?).await,
        group if super::group_params::is_group_action(group) => {
            super::group::act(core, group, params).await
        }
        bot if super::bot_params::is_bot_action(bot) => {
            super::bot_actions::act(core, bot, params).await
        }
        other => Err(format!("a terminal has no action `{other}`")),
    }
}

async fn register(core: &Arc<Core>, p: RegisterParams) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    if let Some(refused) = super::autoconfig_actions::before_register(core).await? {
        return Ok(refused);
    }
    let expires = p.expires.unwrap_or(core.settings.requested_expires);
    let password = p
        .password
        .or_else(|| core.autoconfig.password())
        .unwrap_or_else(|| core.subscriber.password.clone());
    registration(core, expires, &password, wait).await
}

async fn deregister(core: &Arc<Core>, p: DeregisterParams) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let password = core.subscriber.password.clone();
    registration(core, 0, &password, wait).await
}

async fn registration(
    core: &Arc<Core>,
    expires: u32,
    password: &str,
    wait: std::time::Duration,
) -> Result<ActionOutput, String> {
    let sent = reg_keeper::register(core, expires, password, wait).await?;
    let mut out = Output::new(sent.outcome.status());
    out.set("sent.Call-ID", &sent.call_id);
    out.set("sent.Authorization", &sent.authorization);
    out.set("contact", &sent.contact);
    out.set(
        "tags",
        &normalized(&core.tags.params(ContactUse::Register))?,
    );
    let (identity, granted) = {
        let state = core.state();
        (
            state.registration.identity.clone(),
            state.registration.expires,
        )
    };
    out.set("identity", &identity);
    let fallback = core.state().registration.network_fallback;
    out.set("network-fallback", if fallback { "true" } else { "false" });
    if let Some(granted) = granted.filter(|_| expires > 0) {
        out.set("expires", &granted.to_string());
    }
    let mut summary = format!("REGISTER expires {expires}: {}", sent.outcome.summary());
    if let Some(error) = &sent.auth_error {
        out.set("auth-error", error);
        summary.push_str(&format!(" (challenge not answered: {error})"));
    }
    Ok(out.finish(summary))
}

pub(crate) async fn send_pager(core: &Core, p: PagerParams) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let target = core.target(&p.to)?;
    let message_id = ids::imdn_message_id();
    let date_time = ids::date_time(SystemTime::now());
    let chat = Chat {
        text: &p.text,
        content_type: &p.content_type,
        disposition: &p.disposition,
        message_id: &message_id,
        date_time: &date_time,
        omit: &p.omit,
    };
    let sent = core.send_chat(&target, chat, wait).await?;
    let mut out = sent_output(&sent);
    for name in ["Conversation-ID", "Contribution-ID"] {
        out.set(
            &format!("sent.{name}"),
            sent.request.header(name).unwrap_or_default(),
        );
    }
    let cpim_id = CpimMessage::parse(&sent.body)
        .ok()
        .and_then(|cpim| cpim.imdn_message_id().map(str::to_owned));
    out.set(
        "sent.imdn.Message-ID",
        cpim_id.as_deref().unwrap_or_default(),
    );
    if sent.outcome.response().is_some_and(is_success) {
        core.receipts.sent(cpim_id.as_deref().unwrap_or_default());
    }
    out.set("sent.body", &String::from_utf8_lossy(&sent.body));
    out.set("sent.text", &p.text);
    let summary = format!("MESSAGE to {target}: {}", sent.outcome.summary());
    Ok(out.finish(summary))
}

async fn send_options(core: &Core, p: OptionsParams) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let target = core.target(&p.to)?;
    let sent = core.send_options(&target, wait).await?;
    let mut out = sent_output(&sent);
    let ok = sent.outcome.response().filter(|r| is_success(r));
    if let Some(ok) = ok {
        core.learn_bot(&target, ok.header("Contact"));
    }
    out.set("chatbot", &core.is_chatbot(&target).to_string());
    let tags = match ok.map(|r| r.contact_feature_tags()) {
        None => String::new(),
        Some(Ok(tags)) => tags.normalized().into_iter().collect::<Vec<_>>().join("; "),
        Some(Err(error)) => {
            out.set("tags-error", &error.to_string());
            String::new()
        }
    };
    out.set("tags", &tags);
    let summary = format!("OPTIONS to {target}: {}", sent.outcome.summary());
    Ok(out.finish(summary))
}

async fn send_imdn(core: &Core, p: ImdnParams) -> Result<ActionOutput, String> {
    let status = ImdnStatus::parse(&p.status)?;
    let wait = params::timeout(p.timeout.as_deref())?;
    if !super::receipts::may_send(core, status) {
        let mut out = Output::new(String::new());
        out.set("sent", "none");
        return Ok(out.finish(format!("no {} IMDN: read receipts are off", p.status)));
    }
    let sender = p.to.as_deref().map(|to| core.target(to)).transpose()?;
    let received = about(core, sender.as_deref(), p.for_id.as_deref()).await?;
    let for_id = p
        .for_id
        .clone()
        .or_else(|| received.message_id.clone())
        .ok_or("the last message received carries no imdn.Message-ID; give `for`")?;
    let sent = core.send_imdn(&received, &for_id, status, wait).await?;
    let mut out = Output::new(sent.outcome.status());
    out.set("sent.Call-ID", &sent.call_id);
    out.set("sent.imdn.Message-ID", &sent.message_id);
    out.set("for", &for_id);
    let summary = format!(
        "IMDN {} for {for_id} to {}: {}",
        p.status,
        received.sender,
        sent.outcome.summary()
    );
    Ok(out.finish(summary))
}

/// The received message an IMDN reports on; an id nobody sent is reported to `sender` anyway.
/// A message the runner has just seen arrive may still be being read: it is waited for a moment.
async fn about(
    core: &Core,
    sender: Option<&str>,
    for_id: Option<&str>,
) -> Result<Received, String> {
    let find = || {
        let state = core.state();
        let found = match for_id {
            Some(id) => state.received_by_id(sender, id),
            None => state.last_received(sender),
        };
        found.cloned()
    };
    let deadline = tokio::time::Instant::now() + RECEIVED_GRACE;
    let mut found = find();
    while found.is_none() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
        found = find();
    }
    if let Some(found) = found {
        return Ok(found);
    }
    match (sender, for_id) {
        (Some(sender), Some(id)) => Ok(Received {
            sender: sender.to_owned(),
            message_id: Some(id.to_owned()),
            disposition: Vec::new(),
            conversation_id: None,
            contribution_id: None,
        }),
        (Some(sender), None) => Err(format!("no message received from {sender}")),
        (None, Some(id)) => Err(format!("no message {id} received; give `to`")),
        (None, None) => Err("no message received yet".to_owned()),
    }
}

async fn send_raw(core: &Core, p: RawParams) -> Result<ActionOutput, String> {
    let transport = match p.transport.as_deref() {
        Some(t) => params::transport(t)?,
        None => core.local.transport,
    };
    let bytes = match p.crlf {
        true => to_crlf(&p.text),
        false => p.text.into_bytes(),
    };
    let dst = core.send_raw(&bytes, transport).await?;
    let mut out = Output::new(String::new());
    out.values.remove("status");
    out.set("sent.bytes", &bytes.len().to_string());
    Ok(out.finish(format!("{} raw bytes to {dst}", bytes.len())))
}

/// Bare LF becomes CRLF; CRLF stays.
fn to_crlf(text: &str) -> Vec<u8> {
    text.replace("\r\n", "\n")
        .replace('\n', "\r\n")
        .into_bytes()
}

fn sent_output(sent: &Sent) -> Output {
    let mut out = Output::new(sent.outcome.status());
    out.set("sent.Call-ID", sent.request.call_id().unwrap_or_default());
    out
}

/// Collects output values.
pub(crate) struct Output {
    values: BTreeMap<String, String>,
}

impl Output {
    pub(crate) fn new(status: String) -> Self {
        let mut values = BTreeMap::new();
        values.insert("status".to_owned(), status);
        Self { values }
    }

    pub(crate) fn set(&mut self, key: &str, value: &str) {
        self.values.insert(key.to_owned(), value.to_owned());
    }

    pub(crate) fn finish(self, summary: String) -> ActionOutput {
        ActionOutput {
            values: self.values,
            summary,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_lf_becomes_crlf() {
        assert_eq!(to_crlf("A\nB\r\nC\n\n"), b"A\r\nB\r\nC\r\n\r\n");
        assert_eq!(to_crlf("no breaks"), b"no breaks");
    }
}
