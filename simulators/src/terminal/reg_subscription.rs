//! The terminal's subscription to its own reg event, and what it does with the NOTIFYs
//! (RFC 3680 4.8, 5.2; RFC 6665 4.1; TS 24.229 5.1.1.7; protocols.md §2.5 rule 4; TRM-REG-006).
//!
//! [`subscribe`] sends `SUBSCRIBE` to the terminal's own public identity with `Event: reg`,
//! `Accept: application/reginfo+xml` and `Expires: 600000`, routed by the Service-Route. The
//! subscription is known by its Call-ID and From tag as soon as the SUBSCRIBE leaves, since the
//! first NOTIFY may overtake the 200 (RFC 6665 4.1.2.4). [`on_notify`] answers a NOTIFY of it
//! with 200 (481 when it belongs to no subscription, 400 with a Warning when its reginfo does
//! not parse), ignores a document whose version is not newer than the last (RFC 3680 5.2), and
//! looks for the terminal's own contact: terminated with `deactivated` or `probation`, the
//! binding is dropped and the terminal registers again; with `rejected`, `unregistered` or
//! `expired` it is dropped only. `Subscription-State: terminated` ends the subscription. The
//! `ignore-deregistration-notify` fault answers 200 and does nothing. Not done here: refreshing
//! or ending the subscription from the terminal side.

use std::sync::{Arc, Mutex, MutexGuard};

use rcs_proto::reginfo::{ContactEvent, ContactState, REGINFO_CONTENT_TYPE, RegInfo};
use rcs_proto::sip::{Message, MessageBuilder, Uri};

use super::addr::same_binding;
use super::core::Core;
use super::faults::Fault;
use super::ids;
use super::params::DEFAULT_TIMEOUT;
use super::register::{Registered, is_success};
use super::request::RequestHead;

/// The subscription duration asked for (TS 24.229 5.1.1.3).
const SUBSCRIBE_EXPIRES: u32 = 600_000;

/// The live subscription: what a NOTIFY of it carries.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Subscribed {
    call_id: String,
    local_tag: String,
    /// The version of the last document taken in.
    version: Option<u32>,
}

/// The terminal's reg-event subscription, if any.
#[derive(Debug, Default)]
pub(crate) struct RegSubscription(Mutex<Option<Subscribed>>);

impl RegSubscription {
    fn lock(&self) -> MutexGuard<'_, Option<Subscribed>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What the reader does after answering a NOTIFY.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reaction {
    /// Register again: the network deactivated the binding.
    Reregister,
}

/// Whether the terminal has (or is setting up) a reg subscription.
pub(crate) fn is_subscribed(core: &Core) -> bool {
    core.reg_subscription.lock().is_some()
}

/// Whether a request is a NOTIFY of the reg event package.
pub(crate) fn is_reg_notify(request: &Message) -> bool {
    request.method() == Some("NOTIFY")
        && request.header("Event").is_some_and(|event| {
            let package = event.split(';').next().unwrap_or_default().trim();
            package.eq_ignore_ascii_case("reg")
        })
}

/// Subscribes to the terminal's own reg event; a refusal or a timeout forgets it again.
pub(crate) async fn subscribe(core: Arc<Core>) {
    let (identity, route) = {
        let state = core.state();
        let reg = &state.registration;
        (reg.identity.clone(), reg.service_route.clone())
    };
    let (call_id, from_tag, branch) = (ids::uuid(), ids::tag(), ids::branch());
    let head = RequestHead {
        method: "SUBSCRIBE",
        request_uri: &identity,
        from: &identity,
        from_tag: &from_tag,
        to: &identity,
        call_id: &call_id,
        cseq: 1,
        route: &route,
    };
    let request = head
        .start(&core.local, &branch)
        .header("Contact", &format!("<{}>", core.local.contact_uri()))
        .header("Event", "reg")
        .header("Accept", REGINFO_CONTENT_TYPE)
        .header("Expires", &SUBSCRIBE_EXPIRES.to_string())
        .build();
    *core.reg_subscription.lock() = Some(Subscribed {
        call_id: call_id.clone(),
        local_tag: from_tag,
        version: None,
    });
    let outcome = core.transact(&request, &branch, DEFAULT_TIMEOUT).await;
    let accepted = outcome
        .as_ref()
        .ok()
        .and_then(|o| o.response())
        .is_some_and(is_success);
    if !accepted {
        tracing::info!(role = %core.role, "reg subscription not accepted");
        let mut current = core.reg_subscription.lock();
        if current.as_ref().is_some_and(|s| s.call_id == call_id) {
            *current = None;
        }
    }
}

/// Answers a reg NOTIFY; says what to do next.
pub(crate) fn on_notify(core: &Core, request: &Message) -> (MessageBuilder, Option<Reaction>) {
    let reply = |status, reason| MessageBuilder::response_to(request, status, reason);
    let ours = request
        .to_header()
        .ok()
        .and_then(|to| to.tag().map(str::to_owned));
    let mut current = core.reg_subscription.lock();
    let Some(subscribed) = current.as_mut().filter(|s| {
        Some(s.call_id.as_str()) == request.call_id() && ours.as_deref() == Some(&s.local_tag)
    }) else {
        return (reply(481, "Subscription Does Not Exist"), None);
    };
    let terminated = request
        .header("Subscription-State")
        .is_some_and(|s| s.trim().to_ascii_lowercase().starts_with("terminated"));
    let document = match request.body().is_empty() {
        true => None,
        false => match RegInfo::parse(request.body()) {
            Ok(document) => Some(document),
            Err(err) => {
                let text = format!("399 {} \"reginfo: {err}\"", core.local.host_port);
                let text = text.replace(['\r', '\n'], " ");
                return (reply(400, "Bad Request").header("Warning", &text), None);
            }
        },
    };
    let fresh = document.filter(|d| subscribed.version.is_none_or(|last| d.version > last));
    if let Some(document) = &fresh {
        subscribed.version = Some(document.version);
    }
    if terminated {
        *current = None;
    }
    drop(current);
    let reaction = fresh.and_then(|d| own_ending(core, &d)).and_then(|event| {
        if core.faults.has(Fault::IgnoreDeregistrationNotify) {
            return None;
        }
        tracing::info!(role = %core.role, event = event.as_str(), "binding ended by the network");
        core.keeper.cancel_refresh();
        core.state().registered(Registered::default(), 0);
        matches!(event, ContactEvent::Deactivated | ContactEvent::Probation)
            .then_some(Reaction::Reregister)
    });
    (reply(200, "OK"), reaction)
}

/// The event that ended the terminal's own contact, if the document says it ended.
fn own_ending(core: &Core, document: &RegInfo) -> Option<ContactEvent> {
    let own = Uri::parse(&core.local.contact_uri()).ok()?;
    document
        .registrations
        .iter()
        .flat_map(|r| r.contacts.iter())
        .filter(|c| Uri::parse(&c.uri).is_ok_and(|uri| same_binding(&uri, &own)))
        .find(|c| c.state == ContactState::Terminated)
        .map(|c| c.event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reg_notifies_are_taken() {
        let notify = |event: &str| {
            MessageBuilder::request("NOTIFY", "sip:a@127.0.0.1")
                .header("Event", event)
                .build()
        };
        assert!(is_reg_notify(&notify("reg")));
        assert!(is_reg_notify(&notify("Reg;id=1")));
        assert!(!is_reg_notify(&notify("conference")));
        let subscribe = MessageBuilder::request("SUBSCRIBE", "sip:a@127.0.0.1")
            .header("Event", "reg")
            .build();
        assert!(!is_reg_notify(&subscribe));
    }
}
