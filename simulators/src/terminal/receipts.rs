//! Read receipts and the status of sent messages (RFC 5438 7; protocols.md §4.4, §4.7;
//! TRM-IMDN-002..005, TRM-CHAT-010).
//!
//! The terminal remembers what it sent (`imdn.Message-ID` to sent, delivered, displayed) and moves
//! a message forward only on an IMDN naming that id: an IMDN for an id it never sent is ignored,
//! and a late delivered never undoes displayed. It remembers the text of what it received, so
//! `open-message` can show it and send the one displayed IMDN a message that asked for `display`
//! is owed, when read receipts are on (the `read-receipts` setting, which `set-read-receipts`
//! changes as a user would). IMDN CPIM From/To are `sip:anonymous@anonymous.invalid` unless the
//! `imdn-anonymous` setting is off. This module does not send chat messages or decide delivery
//! IMDNs; `incoming` and `session` do, calling [`Receipts`] hooks as messages come and go.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rcs_harness::agent::ActionOutput;
use rcs_proto::cpim::{CpimBuilder, CpimMessage, IMDN_NS};
use rcs_proto::imdn::{DeliveryStatus, DisplayStatus, Imdn, Notification};
use serde::Deserialize;

use super::actions::Output;
use super::core::Core;
use super::faults::{Fault, Faults};
use super::params::{self, ImdnStatus};

/// Most messages whose status or text is remembered.
const MAX_TRACKED: usize = 1024;

/// How often `open-message` looks again for a message still arriving.
const POLL: Duration = Duration::from_millis(10);

/// Where a sent message stands (protocols.md §4.3: sent on 200/202, then IMDNs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Status {
    Sent,
    Delivered,
    Displayed,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Displayed => "displayed",
        }
    }
}

/// A received message as the user sees it.
#[derive(Clone, Debug)]
struct Shown {
    id: String,
    text: String,
    wants_display: bool,
}

#[derive(Debug, Default)]
struct Inner {
    sent: HashMap<String, Status>,
    sent_order: VecDeque<String>,
    shown: VecDeque<Shown>,
    displayed: HashSet<String>,
    /// Overrides the `read-receipts` setting once the user changed it.
    read_receipts: Option<bool>,
}

/// What the terminal remembers about receipts.
#[derive(Debug, Default)]
pub(crate) struct Receipts(Mutex<Inner>);

impl Receipts {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A message we sent with this `imdn.Message-ID` was accepted by the network.
    pub(crate) fn sent(&self, id: &str) {
        if id.is_empty() {
            return;
        }
        let mut inner = self.lock();
        if inner.sent_order.len() >= MAX_TRACKED
            && let Some(old) = inner.sent_order.pop_front()
        {
            inner.sent.remove(&old);
        }
        inner.sent_order.push_back(id.to_owned());
        inner.sent.insert(id.to_owned(), Status::Sent);
    }

    /// An IMDN arrived: the message it names moves forward; an unknown id changes nothing.
    pub(crate) fn on_imdn(&self, imdn: &Imdn, faults: &Faults) {
        let reached = match imdn.notification {
            Notification::Delivery(DeliveryStatus::Delivered) => Status::Delivered,
            Notification::Display(DisplayStatus::Displayed) => Status::Displayed,
            _ => return,
        };
        let mut inner = self.lock();
        let id = match inner.sent.contains_key(&imdn.message_id) {
            true => imdn.message_id.clone(),
            false if faults.has(Fault::StatusFromUnknownImdn) => match inner.sent_order.back() {
                Some(last) => last.clone(),
                None => return,
            },
            false => return,
        };
        if let Some(status) = inner.sent.get_mut(&id) {
            *status = (*status).max(reached);
        }
    }

    /// A chat message arrived; `text` is what the user will see.
    pub(crate) fn received(&self, id: Option<&str>, text: &str, disposition: &[String]) {
        let Some(id) = id else {
            return;
        };
        let mut inner = self.lock();
        if inner.shown.len() >= MAX_TRACKED {
            inner.shown.pop_front();
        }
        inner.shown.push_back(Shown {
            id: id.to_owned(),
            text: text.to_owned(),
            wants_display: disposition.iter().any(|d| d == "display"),
        });
    }

    /// Whether read receipts are on now.
    pub(crate) fn read_receipts(&self, core: &Core) -> bool {
        self.lock()
            .read_receipts
            .unwrap_or(core.settings.read_receipts)
    }
}

/// The text of a received chat message body (a CPIM message or plain text).
pub(crate) fn received_text(content_type: &str, body: &[u8]) -> String {
    let plain = content_type
        .split(';')
        .next()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/plain"));
    let decoded = match plain {
        true => Some(body.to_vec()),
        false => CpimMessage::parse(body)
            .ok()
            .and_then(|cpim| cpim.decoded_body().ok()),
    };
    decoded
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// The text as it goes on the wire: unchanged, unless the `utf8-mangled` fault turns characters
/// beyond the BMP into `?`.
pub(crate) fn wire_text<'a>(text: &'a str, faults: &Faults) -> std::borrow::Cow<'a, str> {
    match faults.has(Fault::Utf8Mangled) {
        false => std::borrow::Cow::Borrowed(text),
        true => text
            .chars()
            .map(|c| if c.len_utf8() == 4 { '?' } else { c })
            .collect::<String>()
            .into(),
    }
}

/// The CPIM of an IMDN: anonymous From/To (protocols.md §4.4) unless the setting is off.
pub(crate) fn imdn_cpim(
    core: &Core,
    identity: &str,
    peer: &str,
    new_message_id: &str,
    imdn: &Imdn,
) -> Vec<u8> {
    let anonymous = core.settings.imdn_anonymous && !core.faults.has(Fault::ImdnNotAnonymous);
    if anonymous {
        return rcs_proto::imdn::imdn_cpim(new_message_id, imdn);
    }
    let (from, to) = (format!("<{identity}>"), format!("<{peer}>"));
    CpimBuilder::new()
        .header("From", &from)
        .header("To", &to)
        .ns("imdn", IMDN_NS)
        .header("imdn.Message-ID", new_message_id)
        .datetime(&imdn.datetime)
        .content_type("message/imdn+xml")
        .content_header("Content-Disposition", "notification")
        .body(imdn.to_xml())
        .build()
}

/// `open-message`: the user opens a received message.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct OpenParams {
    /// The `imdn.Message-ID`; defaults to the last message received.
    pub message_id: Option<String>,
    pub timeout: Option<String>,
}

/// `message-status`: where a sent message stands.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct StatusParams {
    pub message_id: String,
}

/// `set-read-receipts`: the user turns read receipts on or off.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ReadReceiptsParams {
    pub enabled: bool,
}

/// Shows a received message; sends its displayed IMDN once, if asked for and allowed.
pub(crate) async fn open_message(core: &Arc<Core>, p: OpenParams) -> Result<ActionOutput, String> {
    let wait = params::timeout(p.timeout.as_deref())?;
    let shown = arrived(core, p.message_id.as_deref(), wait).await?;
    let mut out = Output::new(String::new());
    out.set("text", &shown.text);
    out.set("message-id", &shown.id);
    let receipts =
        core.receipts.read_receipts(core) || core.faults.has(Fault::DisplayedWhenReceiptsOff);
    let owed = {
        let mut inner = core.receipts.lock();
        let first = !inner.displayed.contains(&shown.id) || core.faults.has(Fault::DisplayedTwice);
        let owed = shown.wants_display && receipts && first;
        if owed && inner.displayed.len() < MAX_TRACKED {
            inner.displayed.insert(shown.id.clone());
        }
        owed
    };
    let why = match (shown.wants_display, receipts, owed) {
        (false, _, _) => "display was not requested",
        (true, false, _) => "read receipts are off",
        (true, true, false) => "its displayed IMDN was already sent",
        (true, true, true) => "",
    };
    if !owed {
        out.set("sent", "none");
        return Ok(out.finish(format!("opened {}: no IMDN ({why})", shown.id)));
    }
    let received = core
        .state()
        .received_by_id(None, &shown.id)
        .cloned()
        .ok_or_else(|| format!("message {} is no longer remembered", shown.id))?;
    let sent = core
        .send_imdn(&received, &shown.id, ImdnStatus::Displayed, wait)
        .await?;
    out.set("status", &sent.outcome.status());
    out.set("sent", "displayed");
    out.set("sent.imdn.Message-ID", &sent.message_id);
    let summary = format!(
        "opened {}: displayed IMDN {}",
        shown.id,
        sent.outcome.summary()
    );
    Ok(out.finish(summary))
}

/// The message to open, waiting up to `wait` for it: a message whose bytes were seen on the wire
/// may still be on its way through the MSRP session's reader.
async fn arrived(core: &Core, id: Option<&str>, wait: Duration) -> Result<Shown, String> {
    let give_up = tokio::time::Instant::now() + wait;
    loop {
        let found = {
            let inner = core.receipts.lock();
            match id {
                Some(id) => inner.shown.iter().rev().find(|s| s.id == id).cloned(),
                None => inner.shown.back().cloned(),
            }
        };
        if let Some(found) = found {
            return Ok(found);
        }
        if tokio::time::Instant::now() >= give_up {
            return Err(match id {
                Some(id) => format!("no message {id} received"),
                None => "no message received yet".to_owned(),
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Reports where a sent message stands: `sent`, `delivered`, `displayed` or `unknown`.
pub(crate) fn message_status(core: &Core, p: StatusParams) -> ActionOutput {
    let status = core.receipts.lock().sent.get(&p.message_id).copied();
    let text = status.map_or("unknown", Status::as_str);
    let out = Output::new(text.to_owned());
    out.finish(format!("message {}: {text}", p.message_id))
}

/// Turns read receipts on or off.
pub(crate) fn set_read_receipts(core: &Core, p: ReadReceiptsParams) -> ActionOutput {
    core.receipts.lock().read_receipts = Some(p.enabled);
    let mut out = Output::new(String::new());
    out.set("read-receipts", if p.enabled { "on" } else { "off" });
    out.finish(format!(
        "read receipts {}",
        if p.enabled { "on" } else { "off" }
    ))
}

/// Whether `send-imdn` may send this IMDN: a displayed one only with read receipts on.
pub(crate) fn may_send(core: &Core, status: ImdnStatus) -> bool {
    status == ImdnStatus::Delivered
        || core.receipts.read_receipts(core)
        || core.faults.has(Fault::DisplayedWhenReceiptsOff)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imdn(id: &str, notification: Notification) -> Imdn {
        Imdn {
            message_id: id.to_owned(),
            datetime: "2025-03-01T10:00:02.000+08:00".to_owned(),
            recipient_uri: None,
            original_recipient_uri: None,
            notification,
        }
    }

    fn status(r: &Receipts, id: &str) -> Option<Status> {
        r.lock().sent.get(id).copied()
    }

    #[test]
    fn status_moves_forward_only_on_known_ids() {
        let r = Receipts::default();
        let clean = Faults::default();
        r.sent("m1");
        assert_eq!(status(&r, "m1"), Some(Status::Sent));
        let delivered = Notification::Delivery(DeliveryStatus::Delivered);
        let displayed = Notification::Display(DisplayStatus::Displayed);
        r.on_imdn(&imdn("other", displayed), &clean);
        assert_eq!(status(&r, "m1"), Some(Status::Sent));
        r.on_imdn(&imdn("m1", delivered), &clean);
        assert_eq!(status(&r, "m1"), Some(Status::Delivered));
        r.on_imdn(&imdn("m1", displayed), &clean);
        r.on_imdn(&imdn("m1", delivered), &clean);
        assert_eq!(status(&r, "m1"), Some(Status::Displayed));
        assert_eq!(status(&r, "other"), None);
    }

    #[test]
    fn the_fault_lets_an_unknown_id_move_the_last_message() {
        let r = Receipts::default();
        let faulty = Faults::from_ids(&["terminal.status-from-unknown-imdn".to_owned()]).unwrap();
        r.sent("m1");
        let displayed = Notification::Display(DisplayStatus::Displayed);
        r.on_imdn(&imdn("nobody", displayed), &faulty);
        assert_eq!(status(&r, "m1"), Some(Status::Displayed));
    }

    #[test]
    fn received_text_reads_cpim_and_plain_bodies() {
        let cpim = CpimBuilder::new()
            .from("sip:a@x")
            .content_type("text/plain;charset=UTF-8")
            .body("你好 😀")
            .build();
        assert_eq!(received_text("message/cpim", &cpim), "你好 😀");
        assert_eq!(
            received_text("text/plain;charset=UTF-8", "hé".as_bytes()),
            "hé"
        );
        assert_eq!(received_text("message/cpim", b"not cpim"), "");
    }
}
