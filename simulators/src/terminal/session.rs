//! The terminal's MSRP sessions: one per session-mode chat or large message in progress, with its
//! SIP dialog, and the task that reads what the session reports (RFC 4975 7, RFC 5438 7;
//! protocols.md §4.5-4.7).
//!
//! The pump task reads each session's events: a received CPIM chat message is remembered and,
//! when it asks for `positive-delivery`, answered with a delivery IMDN in the session (session
//! mode) or as a pager MESSAGE (large-message mode); a received IMDN is remembered; isComposing and
//! other bodies are never IMDN'd. Every event is also broadcast to actions waiting for the answer
//! to what they sent. MSRP responses and REPORTs are the MSRP session's own job, not this module's.
//! Sessions are capped in number; the oldest is closed when the cap is reached.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use rcs_proto::cpim::CpimMessage;
use rcs_proto::imdn::Imdn;
use rcs_proto::msrp::{SendOptions, SessionEvent};
use rcs_proto::sip::{Dialog, Message};
use tokio::sync::{Notify, broadcast};
use tokio::task::JoinHandle;

use super::addr::{number_of, uri_of};
use super::core::Core;
use super::faults::Fault;
use super::media::{Mode, media_type};
use super::pager::Conversation;
use super::params::{DEFAULT_TIMEOUT, ImdnStatus};
use super::state::Received;
use crate::msrp::MsrpSession;

/// Most sessions one terminal keeps.
const MAX_SESSIONS: usize = 64;

/// Events buffered for each waiting action.
const EVENT_QUEUE: usize = 256;

/// How long the pump waits for one event before looking again.
const PUMP_WAIT: Duration = Duration::from_secs(60);

/// One MSRP session and its dialog.
#[derive(Debug)]
pub(crate) struct ChatSession {
    pub mode: Mode,
    /// The peer's URI, as the session was opened with.
    pub peer: String,
    pub call_id: String,
    pub conversation: Conversation,
    pub msrp: MsrpSession,
    /// The ACK we sent for the 2xx of our INVITE, sent again when the 2xx is (RFC 3261 13.2.2.4).
    pub ack: Option<Bytes>,
    dialog: Mutex<Dialog>,
    events: broadcast::Sender<SessionEvent>,
    pump: Mutex<Option<JoinHandle<()>>>,
}

impl ChatSession {
    pub(crate) fn new(
        mode: Mode,
        peer: String,
        conversation: Conversation,
        dialog: Dialog,
        msrp: MsrpSession,
        ack: Option<Bytes>,
    ) -> Self {
        Self {
            mode,
            peer,
            call_id: dialog.id().call_id.clone(),
            conversation,
            msrp,
            ack,
            dialog: Mutex::new(dialog),
            events: broadcast::channel(EVENT_QUEUE).0,
            pump: Mutex::new(None),
        }
    }

    /// The session's events from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<SessionEvent> {
        self.events.subscribe()
    }

    /// The dialog. Never held across an await.
    pub(crate) fn dialog(&self) -> MutexGuard<'_, Dialog> {
        self.dialog.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Stops the pump and closes the MSRP session.
    pub(crate) async fn close(&self) {
        let pump = self.pump.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(pump) = pump {
            pump.abort();
        }
        self.msrp.close().await;
    }
}

/// Starts reading `session`'s events.
pub(crate) fn spawn_pump(core: Arc<Core>, session: Arc<ChatSession>) {
    let task = tokio::spawn(pump(core, session.clone()));
    *session.pump.lock().unwrap_or_else(|p| p.into_inner()) = Some(task);
}

async fn pump(core: Arc<Core>, session: Arc<ChatSession>) {
    loop {
        let asked = tokio::time::Instant::now();
        let Some(event) = session.msrp.next_event(PUMP_WAIT).await else {
            if asked.elapsed() < PUMP_WAIT / 2 {
                // No event before the wait ran out means the session's task is gone.
                return;
            }
            continue;
        };
        if let SessionEvent::Received {
            content_type,
            body,
            chunks,
            ..
        } = &event
        {
            on_received(&core, &session, content_type, body, *chunks).await;
        }
        // Nobody waiting is fine: actions subscribe before they send.
        let _ = session.events.send(event);
    }
}

/// A whole message arrived in `session`.
async fn on_received(
    core: &Core,
    session: &ChatSession,
    content_type: &str,
    body: &[u8],
    chunks: usize,
) {
    if super::composing::is_composing(content_type) {
        if core.faults.has(Fault::ImdnForComposing) {
            let received = Received {
                sender: session.peer.clone(),
                message_id: Some(super::ids::imdn_message_id()),
                disposition: Vec::new(),
                conversation_id: Some(session.conversation.conversation_id.clone()),
                contribution_id: Some(session.conversation.contribution_id.clone()),
            };
            let for_id = received.message_id.clone().unwrap_or_default();
            deliver(core, session, &received, &for_id).await;
        }
        return;
    }
    if media_type(content_type) != "message/cpim" {
        return;
    }
    let Ok(cpim) = CpimMessage::parse(body) else {
        tracing::debug!(role = %core.role, "msrp message/cpim that does not parse");
        return;
    };
    if cpim.content_type().map(media_type).as_deref() == Some("message/imdn+xml") {
        if let Ok(imdn) = Imdn::from_cpim(&cpim) {
            core.receipts.on_imdn(&imdn, &core.faults);
            core.state().remember_imdn(imdn);
        }
        return;
    }
    let received = Received {
        sender: cpim
            .header("From")
            .and_then(uri_of)
            .unwrap_or_else(|| session.peer.clone()),
        message_id: cpim.imdn_message_id().map(str::to_owned),
        disposition: cpim.disposition_notification(),
        conversation_id: Some(session.conversation.conversation_id.clone()),
        contribution_id: Some(session.conversation.contribution_id.clone()),
    };
    let text = super::receipts::received_text(content_type, body);
    let id = received.message_id.as_deref();
    core.receipts.received(id, &text, &received.disposition);
    core.state().remember(received.clone());
    let wants = received
        .disposition
        .iter()
        .any(|d| d == "positive-delivery");
    let Some(for_id) = received.message_id.clone() else {
        return;
    };
    if !(wants && core.settings.auto_delivery_imdn) {
        return;
    }
    let times = match core.faults.has(Fault::ImdnPerChunk) {
        true => chunks.max(1),
        false => 1,
    };
    for _ in 0..times {
        deliver(core, session, &received, &for_id).await;
    }
}

/// Sends one delivery IMDN for `for_id`: in the session, or as a pager MESSAGE for a large message.
async fn deliver(core: &Core, session: &ChatSession, received: &Received, for_id: &str) {
    match session.mode {
        Mode::Session => {
            let (message_id, imdn) = core.imdn_document(for_id, ImdnStatus::Delivered);
            let identity = core.state().registration.identity.clone();
            let body =
                super::receipts::imdn_cpim(core, &identity, &received.sender, &message_id, &imdn);
            if let Err(error) = session
                .msrp
                .send("message/cpim", &body, SendOptions::default())
                .await
            {
                tracing::debug!(role = %core.role, %error, "session imdn not sent");
            }
        }
        Mode::Large => {
            let sent = core
                .send_imdn(received, for_id, ImdnStatus::Delivered, DEFAULT_TIMEOUT)
                .await;
            if let Err(error) = sent {
                tracing::debug!(role = %core.role, %error, "large-message imdn not sent");
            }
        }
    }
}

/// How long an action waits for a session with its peer that is still being set up: the runner
/// may see an INVITE answered before the answering terminal has opened its MSRP session.
const SETUP_WAIT: Duration = Duration::from_secs(2);

/// The sessions of one terminal.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    list: Mutex<Vec<Arc<ChatSession>>>,
    /// Wakes actions waiting for a session being set up.
    added: Notify,
}

impl Sessions {
    /// Adds a session; returns the one evicted to stay under the cap, to be closed.
    pub(crate) fn insert(&self, session: Arc<ChatSession>) -> Option<Arc<ChatSession>> {
        let mut list = self.lock();
        let evicted = (list.len() >= MAX_SESSIONS).then(|| list.remove(0));
        list.push(session);
        drop(list);
        self.added.notify_waiters();
        evicted
    }

    /// The newest session in `mode` with `target`, waiting a moment for one still being set up.
    pub(crate) async fn by_peer_soon(&self, target: &str, mode: Mode) -> Option<Arc<ChatSession>> {
        let deadline = tokio::time::Instant::now() + SETUP_WAIT;
        loop {
            let added = self.added.notified();
            if let Some(session) = self.by_peer(target, mode) {
                return Some(session);
            }
            if tokio::time::timeout_at(deadline, added).await.is_err() {
                return self.by_peer(target, mode);
            }
        }
    }

    /// The newest session in `mode` with the peer `target` names.
    pub(crate) fn by_peer(&self, target: &str, mode: Mode) -> Option<Arc<ChatSession>> {
        let key = peer_key(target);
        self.lock()
            .iter()
            .rev()
            .find(|s| s.mode == mode && peer_key(&s.peer) == key)
            .cloned()
    }

    /// The session whose dialog `message` belongs to.
    pub(crate) fn by_message(&self, message: &Message) -> Option<Arc<ChatSession>> {
        self.lock()
            .iter()
            .find(|s| s.dialog().matches(message))
            .cloned()
    }

    /// The session of this Call-ID.
    pub(crate) fn by_call_id(&self, call_id: &str) -> Option<Arc<ChatSession>> {
        self.lock().iter().find(|s| s.call_id == call_id).cloned()
    }

    /// Removes and returns the session of this Call-ID.
    pub(crate) fn remove(&self, call_id: &str) -> Option<Arc<ChatSession>> {
        let mut list = self.lock();
        let at = list.iter().position(|s| s.call_id == call_id)?;
        Some(list.remove(at))
    }

    /// Removes every session.
    pub(crate) fn drain(&self) -> Vec<Arc<ChatSession>> {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, Vec<Arc<ChatSession>>> {
        self.list.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn peer_key(uri: &str) -> String {
    number_of(uri).unwrap_or_else(|| uri.trim().to_ascii_lowercase())
}
