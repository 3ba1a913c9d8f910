//! Session refresh of a chat session (RFC 4028 with RFC 3311 UPDATE): the `refresh-chat` action
//! and the answer to a peer's UPDATE.
//!
//! `refresh-chat` sends an UPDATE without a body in the chat session's dialog, carrying
//! `Session-Expires` (refresher the sender) and `Supported: timer`, and reports the status of
//! its final response. An UPDATE received in a chat session's dialog is answered 200 with the
//! session interval it asked for and `Require: timer` when it supports timers (RFC 4028 9); one
//! in no known dialog keeps its 481. The terminal does not refresh on its own and does not end a
//! session whose interval runs out; an UPDATE with an SDP offer is answered 200 without an
//! answer's changes to the media (the MSRP session stays as it is).

use std::sync::Arc;

use rcs_harness::agent::ActionOutput;
use rcs_proto::sip::{Message, MessageBuilder};

use super::actions::Output;
use super::core::Core;
use super::ids;
use super::media::Mode;
use super::params::{self, EndChatParams};

/// The session interval a refresh asks for (RFC 4028 4; protocols.md §4.5: 1800 s).
const SESSION_EXPIRES: &str = "1800;refresher=uac";

/// `refresh-chat`: UPDATE in the chat session with `to`.
pub(crate) async fn refresh_chat(
    core: &Arc<Core>,
    p: EndChatParams,
) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let target = core.target(&p.to)?;
    let session = core
        .sessions
        .by_peer_soon(&target, Mode::Session)
        .await
        .ok_or_else(|| format!("no chat session with `{}` to refresh", p.to))?;
    let branch = ids::branch();
    let update = session
        .dialog()
        .request("UPDATE")
        .header("Via", &core.local.via(&branch))
        .header("Max-Forwards", "70")
        .header("Session-Expires", SESSION_EXPIRES)
        .header("Supported", "timer")
        .build();
    let outcome = core.transact(&update, &branch, wait).await?;
    let mut out = Output::new(outcome.status());
    out.set("sent.Call-ID", &session.call_id);
    Ok(out.finish(format!("UPDATE to {target}: {}", outcome.summary())))
}

/// Whether `request` is an UPDATE in one of the terminal's chat sessions.
pub(crate) fn is_session_update(core: &Core, request: &Message) -> bool {
    request.method() == Some("UPDATE") && core.sessions.by_message(request).is_some()
}

/// The answer to an UPDATE in a chat session: 200 with the interval it asked for.
pub(crate) fn on_update(request: &Message) -> Message {
    let mut builder = MessageBuilder::response_to(request, 200, "OK");
    if let Some(expires) = request.header("Session-Expires") {
        let interval = expires.split(';').next().unwrap_or_default().trim();
        if !interval.is_empty() && interval.bytes().all(|b| b.is_ascii_digit()) {
            builder = builder.header("Session-Expires", &format!("{interval};refresher=uac"));
        }
    }
    let timer = request
        .header_all("Supported")
        .into_iter()
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case("timer"));
    if timer {
        builder = builder.header("Require", "timer");
    }
    builder.build()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn update(extra: &str) -> Message {
        let text = format!(
            "UPDATE sip:mc@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKu1\r\n\
From: <sip:+8613800000002@ims>;tag=b\r\nTo: <sip:+8613800000001@ims>;tag=a\r\nCall-ID: c1\r\n\
CSeq: 2 UPDATE\r\n{extra}Content-Length: 0\r\n\r\n"
        );
        Message::parse(text.into_bytes()).unwrap()
    }

    #[test]
    fn an_update_is_answered_with_its_interval_and_the_timer() {
        let ok = on_update(&update(
            "Session-Expires: 900;refresher=uac\r\nSupported: timer\r\n",
        ));
        assert_eq!(ok.status(), Some(200));
        assert_eq!(ok.header("Session-Expires"), Some("900;refresher=uac"));
        assert_eq!(ok.header("Require"), Some("timer"));
        assert_eq!(ok.header("CSeq"), Some("2 UPDATE"));
    }

    #[test]
    fn an_update_without_timer_gets_a_bare_200() {
        let ok = on_update(&update("Session-Expires: soon\r\n"));
        assert_eq!(ok.status(), Some(200));
        assert_eq!(ok.header("Session-Expires"), None);
        assert_eq!(ok.header("Require"), None);
    }
}
