//! Session-mode chat and large-message mode as the terminal originates them (RFC 3261 13.2,
//! RFC 4975 7.1, RFC 6135; protocols.md §4.1, §4.5, §4.6).
//!
//! [`Core::open_session`] sends the INVITE (session mode: the SDP offer; large-message mode: the
//! CPIM envelope and the SDP; its `a=path` through our MSRP relay when one is set, RFC 4976 §6), and on a 2xx makes the dialog, ACKs, and opens the MSRP session in
//! the role complementary to the answer's `a=setup`. [`send_and_wait`] sends one message over a
//! session and waits for the response to its last chunk; [`Core::close_session`] sends BYE and
//! closes the MSRP session. The filler text `size` asks for is written here too. Deciding
//! outputs is the actions' job.

use std::sync::Arc;
use std::time::Duration;

use rcs_harness::events::Transport;
use rcs_proto::msrp::{SendOptions, SessionEvent};
use rcs_proto::sdp::{MsrpMedia, Setup};
use rcs_proto::sip::{Dialog, Message};
use tokio::sync::broadcast::error::RecvError;

use super::client::Outcome;
use super::core::Core;
use super::ids;
use super::invite::{InviteHead, envelope, icsi, invite, large_body};
use super::invite_client::without_headers;
use super::invite_in::sdp_of;
use super::media::{
    Mode, large_offer, offerer_role, session_config, session_offer, session_version,
};
use super::pager::{Chat, Conversation};
use super::params::InviteOmit;
use super::register::is_success;
use super::session::{ChatSession, spawn_pump};

/// An INVITE sent, how it ended, and the session it opened.
#[derive(Debug)]
pub(crate) struct Opened {
    pub outcome: Outcome,
    pub request: Message,
    /// The session, or why there is none.
    pub session: Result<Arc<ChatSession>, String>,
}

/// A message sent over a session and the answer to its last chunk.
#[derive(Debug)]
pub(crate) struct MsrpSent {
    pub message_id: String,
    /// The status code of the response to the last chunk, `timeout` or `closed`.
    pub status: String,
}

impl Core {
    /// INVITEs `target` in `mode` (`large` carries the message of a large-message INVITE, `omit`
    /// the headers to leave out) and opens the MSRP session when it is accepted.
    pub(crate) async fn open_session(
        self: &Arc<Self>,
        target: &str,
        setup: Setup,
        large: Option<&Chat<'_>>,
        omit: &[InviteOmit],
        wait: Duration,
    ) -> Result<Opened, String> {
        let mode = match large {
            Some(_) => Mode::Large,
            None => Mode::Session,
        };
        let (identity, route, conversation_id) = {
            let mut state = self.state();
            let conversation_id = state.conversation_id(target);
            let reg = &state.registration;
            (
                reg.identity.clone(),
                reg.service_route.clone(),
                conversation_id,
            )
        };
        let conversation = Conversation {
            conversation_id,
            contribution_id: ids::uuid(),
        };
        let tls = self.local.transport == Transport::Tls;
        // Through a relay, the path starts with its Use-Path (RFC 4976 §6).
        let path = self
            .msrp
            .new_local_path(tls)
            .await
            .map_err(|e| format!("msrp relay: {e}"))?;
        let local_uri = path.last().ok_or("the msrp stack gave no local path")?;
        let mut offer = match large {
            None => session_offer(local_uri, setup),
            Some(chat) => large_offer(local_uri, chat.content_type, &self.faults),
        };
        offer.path.clone_from(&path);
        super::bot_sip::adjust_offer(self, target, mode, &mut offer);
        let sdp = offer.to_sdp(local_uri.host(), session_version()).to_bytes();
        let (content_type, body) = match large {
            None => ("application/sdp".to_owned(), sdp),
            Some(chat) => {
                let cpim = envelope(&identity, target, chat, &self.faults);
                large_body(cpim, sdp, &ids::cnonce())
            }
        };
        let (call_id, from_tag, branch) = (ids::uuid(), ids::tag(), ids::branch());
        let contact = self
            .tags
            .service_contact(&self.local.contact_uri(), icsi(mode));
        let head = InviteHead {
            local: &self.local,
            identity: &identity,
            target,
            route: &route,
            call_id: &call_id,
            from_tag: &from_tag,
            branch: &branch,
            contact: &contact,
            conversation: &conversation,
        };
        let request = invite(&head, mode, &content_type, body, &self.faults);
        let request = without_headers(request, omit)?;
        let request = super::bot_sip::adjust_invite(self, target, mode, request)?;
        let outcome = self.invite(&request, &branch, wait).await?;
        let session = match outcome.response().filter(|r| is_success(r)) {
            None => Err(format!("the INVITE was answered {}", outcome.summary())),
            Some(ok) => {
                let opening = Opening {
                    mode,
                    target,
                    conversation,
                    offer: &offer,
                    tls,
                };
                self.establish(&request, ok, opening).await
            }
        };
        Ok(Opened {
            outcome,
            request,
            session,
        })
    }

    /// After a 2xx: dialog, ACK, MSRP session, pump. A session that cannot open is BYEd.
    async fn establish(
        self: &Arc<Self>,
        request: &Message,
        ok: &Message,
        opening: Opening<'_>,
    ) -> Result<Arc<ChatSession>, String> {
        let mut dialog = Dialog::as_uac(request, ok).map_err(|e| format!("dialog: {e}"))?;
        let ack = self.ack(&dialog).await?;
        let opened = match answered_media(ok) {
            Ok(answer) => {
                let role = offerer_role(answer.setup);
                match session_config(opening.offer, &answer) {
                    Some(config) => self
                        .msrp
                        .open(config, role, opening.tls)
                        .await
                        .map_err(|e| format!("msrp session: {e}")),
                    None => Err("our offer has no a=path".to_owned()),
                }
            }
            Err(error) => Err(error),
        };
        let msrp = match opened {
            Ok(msrp) => msrp,
            Err(error) => {
                let (bye, branch) = self.dialog_request(&mut dialog, "BYE");
                let _ = self
                    .transact(&bye, &branch, super::params::DEFAULT_TIMEOUT)
                    .await;
                return Err(error);
            }
        };
        let session = Arc::new(ChatSession::new(
            opening.mode,
            opening.target.to_owned(),
            opening.conversation,
            dialog,
            msrp,
            Some(ack),
        ));
        if let Some(evicted) = self.sessions.insert(session.clone()) {
            evicted.close().await;
        }
        spawn_pump(self.clone(), session.clone());
        Ok(session)
    }

    /// BYE in the session's dialog, then closes it (whatever the answer).
    pub(crate) async fn close_session(
        &self,
        session: &ChatSession,
        wait: Duration,
    ) -> Result<Outcome, String> {
        let (bye, branch) = self.dialog_request(&mut session.dialog(), "BYE");
        let outcome = self.transact(&bye, &branch, wait).await;
        self.sessions.remove(&session.call_id);
        session.close().await;
        outcome
    }
}

/// What `establish` needs of the INVITE.
struct Opening<'a> {
    mode: Mode,
    target: &'a str,
    conversation: Conversation,
    offer: &'a MsrpMedia,
    tls: bool,
}

/// The MSRP media of a 2xx's SDP answer.
fn answered_media(ok: &Message) -> Result<MsrpMedia, String> {
    let sdp = sdp_of(ok).map_err(|r| r.detail)?;
    MsrpMedia::from_answer(&sdp).map_err(|e| format!("the SDP answer: {e}"))
}

/// Sends `body` (a CPIM message) over `session` and waits at most `wait` for the response to its
/// last chunk.
pub(crate) async fn send_and_wait(
    session: &ChatSession,
    body: &[u8],
    opts: SendOptions,
    wait: Duration,
) -> Result<MsrpSent, String> {
    send_typed_and_wait(session, "message/cpim", body, opts, wait).await
}

/// Like [`send_and_wait`] for a body of any `content_type` (isComposing, RFC 3994).
pub(crate) async fn send_typed_and_wait(
    session: &ChatSession,
    content_type: &str,
    body: &[u8],
    opts: SendOptions,
    wait: Duration,
) -> Result<MsrpSent, String> {
    let mut events = session.subscribe();
    let message_id = session
        .msrp
        .send(content_type, body, opts)
        .await
        .map_err(|e| format!("msrp send: {e}"))?;
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let status = match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => "timeout".to_owned(),
            Ok(Err(RecvError::Closed)) => "closed".to_owned(),
            Ok(Err(RecvError::Lagged(_))) => continue,
            Ok(Ok(SessionEvent::Answered {
                message_id: id,
                status,
            }))
            | Ok(Ok(SessionEvent::Failed {
                message_id: id,
                status,
                ..
            })) if id == message_id => status.to_string(),
            Ok(Ok(_)) => continue,
        };
        return Ok(MsrpSent { message_id, status });
    }
}

/// `len` bytes of deterministic UTF-8 text: a Chinese and ASCII line repeated, cut at a character
/// boundary and padded with dots.
pub(crate) fn filler(len: usize) -> String {
    const LINE: &str = "5G消息 large message filler 0123456789 abcdefghijklmnopqrstuvwxyz\n";
    let mut text = String::with_capacity(len);
    for c in LINE.chars().cycle() {
        if text.len() + c.len_utf8() > len {
            break;
        }
        text.push(c);
    }
    while text.len() < len {
        text.push('.');
    }
    text
}

/// A CPIM message of exactly `size` bytes whose content is filler: `write` writes the CPIM for a
/// given content. Returns the CPIM and its content.
pub(crate) fn sized_cpim(
    size: usize,
    write: impl Fn(&str) -> Vec<u8>,
) -> Result<(Vec<u8>, String), String> {
    let overhead = write("").len();
    let mut content_len = size.checked_sub(overhead).ok_or_else(|| {
        format!("size {size} is smaller than the CPIM headers ({overhead} bytes)")
    })?;
    // Content-Length grows with the content; a few rounds settle it.
    for _ in 0..4 {
        let text = filler(content_len);
        let cpim = write(&text);
        if cpim.len() == size {
            return Ok((cpim, text));
        }
        content_len = (content_len + size)
            .checked_sub(cpim.len())
            .ok_or_else(|| format!("size {size} cannot hold the CPIM headers"))?;
    }
    Err(format!("no CPIM message of exactly {size} bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filler_is_exact_utf8_and_deterministic() {
        for len in [0, 1, 5, 6, 7, 64, 1300, 65_536] {
            let text = filler(len);
            assert_eq!(text.len(), len);
            assert_eq!(text, filler(len));
        }
        assert!(filler(200).contains("消息"));
    }

    #[test]
    fn sized_cpim_hits_the_size_across_content_length_digits() {
        let write = |text: &str| {
            rcs_proto::cpim::CpimBuilder::new()
                .from("sip:a@x")
                .content_type("text/plain")
                .body(text.as_bytes())
                .build()
        };
        for size in [200, 1000, 10_240, 65_536] {
            let (cpim, text) = sized_cpim(size, write).unwrap();
            assert_eq!(cpim.len(), size);
            assert_eq!(cpim, write(&text));
        }
        assert!(sized_cpim(10, write).unwrap_err().contains("smaller"));
    }
}
