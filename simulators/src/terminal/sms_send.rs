//! Capability-driven sending: OPTIONS first, then CPM or SMS over IP (protocols.md §3.1, §9.2
//! client-side fallback; TS 24.341 5.3.1.2; TRM-CAP-002, TRM-CAP-003).
//!
//! With the `capability-discovery` setting on, `send-message` asks the peer's capabilities first
//! and reads the answer the way rcsjta does: 2xx means an RCS user, 404 a user without RCS, 480 or
//! 408 an RCS user who is offline, anything else unknown. A non-RCS peer gets the text as SMS over
//! IP: one MESSAGE per part with `Content-Type: application/vnd.3gpp.sms` and an RP-DATA around an
//! SMS-SUBMIT (rcs_proto::sms), To and Request-URI the peer's tel URI, and none of the CPM headers
//! (no Accept-Contact or P-Preferred-Service for CPM, no Conversation-ID or Contribution-ID, no
//! CPIM). Every other answer goes to CPM, an offline peer included (the network stores it, §4.8).
//!
//! TS 24.341 5.3.1.2 addresses the MESSAGE to the service centre and the recipient only in TP-DA;
//! this terminal addresses the recipient's tel URI so the message center can route it (see
//! docs/protocol-notes.md). It does not wait for the SMS status report (RP-ACK in a MESSAGE).

use std::sync::Arc;

use rcs_harness::agent::ActionOutput;
use rcs_proto::sms::{self, RpData};

use super::addr::number_of;
use super::chat_actions::send_cpm;
use super::core::Core;
use super::faults::Fault;
use super::ids;
use super::params::{self, SendMessageParams};
use super::request::RequestHead;

/// The service centre written in RP-Destination Address (a China Mobile SMSC number).
pub(crate) const SERVICE_CENTRE: &str = "+8613800100500";

/// Largest filler text sent as SMS (the parts stay under the 255 a reference can number).
const MAX_SMS_TEXT: usize = 4096;

/// A concatenation reference that differs from message to message.
fn reference() -> u8 {
    ids::uuid()
        .bytes()
        .fold(0u8, |acc, b| acc.wrapping_mul(31).wrapping_add(b))
}

/// What an OPTIONS answer says about the peer (protocols.md §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Capability {
    Rcs,
    NotRcs,
    Offline,
    Unknown,
}

impl Capability {
    pub(crate) fn from_status(status: Option<u16>) -> Self {
        match status {
            Some(200..=299) => Self::Rcs,
            Some(404) => Self::NotRcs,
            Some(408 | 480) => Self::Offline,
            _ => Self::Unknown,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Rcs => "rcs",
            Self::NotRcs => "non-rcs",
            Self::Offline => "offline",
            Self::Unknown => "unknown",
        }
    }

    /// Whether the text goes as SMS (faults bend exactly this choice).
    fn sends_sms(self, core: &Core) -> bool {
        match self {
            Self::NotRcs => !core.faults.has(Fault::CpmToNonRcs),
            Self::Offline => core.faults.has(Fault::SmsForOffline),
            Self::Rcs | Self::Unknown => false,
        }
    }
}

/// `send-message` with capability discovery: OPTIONS, then CPM or SMS.
pub(crate) async fn send_message(
    core: &Arc<Core>,
    p: SendMessageParams,
) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let target = core.target(&p.to)?;
    let options = core.send_options(&target, wait).await?;
    let code = options.outcome.response().and_then(|r| r.status());
    let capability = Capability::from_status(code);
    let mut out = match capability.sends_sms(core) {
        true => send_sms(core, &target, &p, wait).await?,
        false => send_cpm(core, p).await?,
    };
    out.values
        .insert("capability".to_owned(), capability.as_str().to_owned());
    out.values
        .insert("options-status".to_owned(), options.outcome.status());
    out.summary = format!(
        "OPTIONS {} ({}); {}",
        options.outcome.status(),
        capability.as_str(),
        out.summary
    );
    Ok(out)
}

/// The text as SMS over IP, one MESSAGE per part, stopping at the first part not accepted.
async fn send_sms(
    core: &Core,
    target: &str,
    p: &SendMessageParams,
    wait: std::time::Duration,
) -> Result<ActionOutput, String> {
    let text = match (p.size, p.text.as_deref()) {
        (Some(size), _) => super::chat::filler(size.min(MAX_SMS_TEXT)),
        (None, text) => text.unwrap_or("hello").to_owned(),
    };
    let number = number_of(target).ok_or_else(|| format!("{target} names no number for SMS"))?;
    let tel = format!("tel:{number}");
    let reference = reference();
    let bodies = sms::submit_text(&text, &number, SERVICE_CENTRE, reference)
        .map_err(|e| format!("failed to write the SMS: {e}"))?;
    let mut values = std::collections::BTreeMap::new();
    let mut status = String::new();
    let mut sent_text = String::new();
    for body in &bodies {
        let sent = core.send_sms_part(&tel, body, wait).await?;
        status = sent.outcome.status();
        values.insert("sent.Call-ID".to_owned(), sent.call_id);
        if let Ok(rp) = RpData::decode(body) {
            sent_text.push_str(&rp.tpdu.user_data().text);
        }
        if !status.starts_with('2') {
            break;
        }
    }
    values.insert("status".to_owned(), status.clone());
    values.insert("mode".to_owned(), "sms".to_owned());
    values.insert("sent.sms.parts".to_owned(), bodies.len().to_string());
    values.insert("sent.sms.text".to_owned(), sent_text);
    values.insert("sent.sms.destination".to_owned(), number);
    let summary = format!("SMS over IP to {tel} in {} part(s): {status}", bodies.len());
    Ok(ActionOutput { values, summary })
}

/// One SMS part sent.
pub(crate) struct SmsSent {
    pub outcome: super::client::Outcome,
    pub call_id: String,
}

impl Core {
    /// One SMS-over-IP MESSAGE (TS 24.341 5.3.1.2) carrying `rp_data`.
    pub(crate) async fn send_sms_part(
        &self,
        tel: &str,
        rp_data: &[u8],
        wait: std::time::Duration,
    ) -> Result<SmsSent, String> {
        let (identity, route) = {
            let state = self.state();
            let reg = &state.registration;
            (reg.identity.clone(), reg.service_route.clone())
        };
        let (call_id, from_tag, branch) = (ids::uuid(), ids::tag(), ids::branch());
        let request = RequestHead {
            method: "MESSAGE",
            request_uri: tel,
            from: &identity,
            from_tag: &from_tag,
            to: tel,
            call_id: &call_id,
            cseq: 1,
            route: &route,
        }
        .start(&self.local, &branch)
        .header("P-Preferred-Identity", &format!("<{identity}>"))
        .body(sms::CONTENT_TYPE, rp_data.to_vec())
        .build();
        let outcome = self.transact(&request, &branch, wait).await?;
        Ok(SmsSent { outcome, call_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_answers_classify_the_peer() {
        assert_eq!(Capability::from_status(Some(200)), Capability::Rcs);
        assert_eq!(Capability::from_status(Some(404)), Capability::NotRcs);
        assert_eq!(Capability::from_status(Some(480)), Capability::Offline);
        assert_eq!(Capability::from_status(Some(408)), Capability::Offline);
        assert_eq!(Capability::from_status(Some(500)), Capability::Unknown);
        assert_eq!(Capability::from_status(None), Capability::Unknown);
    }
}
