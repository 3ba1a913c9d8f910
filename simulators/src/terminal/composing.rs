//! isComposing in a chat session (RFC 3994; protocols.md §4, TRM-CHAT-008).
//!
//! `send-composing` sends one `application/im-iscomposing+xml` status message in an MSRP SEND of
//! the session with a peer: `<state>` active or idle, the `<contenttype>` being composed, and a
//! `<refresh>` interval for an active state (RFC 3994 3.2, 4). The document is sent bare, not
//! wrapped in CPIM, and asks for no IMDN. A received isComposing is never IMDN'd; see `session`.

use std::sync::Arc;

use rcs_harness::agent::ActionOutput;
use rcs_proto::msrp::SendOptions;
use serde::Deserialize;
use std::time::SystemTime;

use super::actions::Output;
use super::chat::send_typed_and_wait;
use super::core::Core;
use super::faults::Fault;
use super::ids;
use super::media::{Mode, media_type};
use super::pager::{Chat, message_cpim};
use super::params;

/// The media type of a composing indication (RFC 3994 7).
pub(crate) const CONTENT_TYPE: &str = "application/im-iscomposing+xml";

/// The refresh interval an active state announces by default, in seconds (RFC 3994 4: 90 s).
const DEFAULT_REFRESH: u32 = 90;

/// `send-composing`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ComposingParams {
    pub to: String,
    /// `active` or `idle`.
    pub state: String,
    /// Seconds until the next active indication; active only (default 90).
    pub refresh: Option<u32>,
    pub timeout: Option<String>,
}

/// Checks `state` at load time.
pub(crate) fn check(p: &ComposingParams) -> Result<(), String> {
    params::check_later(Some(&p.state), |v| state(v).map(|_| ()))
}

fn state(value: &str) -> Result<&str, String> {
    match value {
        "active" | "idle" => Ok(value),
        other => Err(format!("state `{other}` is not `active` or `idle`")),
    }
}

/// Whether a received MSRP body is a composing indication.
pub(crate) fn is_composing(content_type: &str) -> bool {
    media_type(content_type) == CONTENT_TYPE
}

/// The isComposing document (RFC 3994 3.2).
pub(crate) fn document(state: &str, refresh: Option<u32>) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
         <isComposing xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\">\r\n",
    );
    xml.push_str(&format!("<state>{state}</state>\r\n"));
    xml.push_str("<contenttype>text/plain</contenttype>\r\n");
    if let Some(refresh) = refresh {
        xml.push_str(&format!("<refresh>{refresh}</refresh>\r\n"));
    }
    xml.push_str("</isComposing>\r\n");
    xml
}

/// `send-composing`: one isComposing SEND in the session with `to`.
pub(crate) async fn send_composing(
    core: &Arc<Core>,
    p: ComposingParams,
) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let state = state(&p.state)?;
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
    let refresh = match state {
        "active" => Some(p.refresh.unwrap_or(DEFAULT_REFRESH)),
        _ => None,
    };
    let xml = document(state, refresh);
    let (content_type, body) = match core.faults.has(Fault::ComposingWrappedWithDisposition) {
        false => (CONTENT_TYPE, xml.into_bytes()),
        true => {
            let identity = core.state().registration.identity.clone();
            let (message_id, date_time) =
                (ids::imdn_message_id(), ids::date_time(SystemTime::now()));
            let chat = Chat {
                text: &xml,
                content_type: CONTENT_TYPE,
                disposition: "positive-delivery, display",
                message_id: &message_id,
                date_time: &date_time,
                omit: &[],
            };
            (
                "message/cpim",
                message_cpim(&identity, &target, &chat, &core.faults),
            )
        }
    };
    let sent =
        send_typed_and_wait(&session, content_type, &body, SendOptions::default(), wait).await?;
    let mut out = Output::new(sent.status.clone());
    out.set("sent.msrp.Message-ID", &sent.message_id);
    out.set("sent.state", state);
    let summary = format!("isComposing {state} to {target}: {}", sent.status);
    Ok(out.finish(summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_follows_rfc_3994() {
        let active = document("active", Some(60));
        assert!(active.contains("xmlns=\"urn:ietf:params:xml:ns:im-iscomposing\""));
        assert!(active.contains("<state>active</state>"));
        assert!(active.contains("<refresh>60</refresh>"));
        let idle = document("idle", None);
        assert!(!idle.contains("refresh"));
        assert!(is_composing("Application/im-iscomposing+xml"));
        assert!(!is_composing("message/cpim"));
    }

    #[test]
    fn state_is_checked() {
        assert!(state("typing").is_err());
        let p = ComposingParams {
            to: "bob".into(),
            state: "${s}".into(),
            refresh: None,
            timeout: None,
        };
        assert!(check(&p).is_ok());
    }
}
