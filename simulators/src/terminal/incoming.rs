//! What the terminal does with what arrives (RFC 3261 8.2, 17.2.2; RFC 3428 7; RFC 5438 7;
//! protocols.md §3.1, §4.3-4.7).
//!
//! Responses go to the client transaction of their branch. Requests are answered on the
//! transport and connection they came on: MESSAGE with 200 (remembered for IMDNs, and a delivery
//! IMDN sent when one is asked for and the `auto-delivery-imdn` setting is on; an IMDN is
//! remembered and never answered with another), OPTIONS with 200 and the terminal's feature
//! tags, INVITE and BYE as `invite_in` decides (sessions then open and close on follow-up tasks),
//! a request that fails validation with 400 and a Warning naming the construct, bodies it
//! cannot read with 415 or 400, and methods it does not simulate with 405 or 481. A
//! retransmitted request gets the same response again and nothing else happens (RFC 3261 17.2.2);
//! an ACK is handed to the INVITE it acknowledges.
//! Bytes that do not parse as SIP are already on the wire record; they are logged and dropped.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use rcs_harness::events::Transport;
use rcs_proto::sip::{Message, MessageBuilder};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::core::Core;
use super::deferred;
use super::faults::Fault;
use super::ids;
use super::invite_in::{self, Accepting};
use super::message_in::{Accepted, read_message};
use super::params::{DEFAULT_TIMEOUT, ImdnStatus};
use super::request::{ACCEPT, ALLOW};
use super::session::ChatSession;
use super::state::Received;
use super::tags::ContactUse;
use super::{reg_keeper, reg_subscription};
use crate::net::Incoming;

/// Most answered requests remembered for retransmissions.
const MAX_ANSWERED: usize = 256;

/// Most follow-up tasks (IMDNs, sessions opening or closing) at once; further ones are skipped
/// (and logged).
const MAX_TASKS: usize = 64;

/// What the reader does after answering a request, on a task of its own.
enum Followup {
    /// Send a delivery IMDN for a MESSAGE, this many times (once unless a fault says).
    Imdn(Received, usize),
    /// Download an offered file (FT-HTTP), then send its delivery IMDN.
    File(Received, Box<rcs_proto::ft_http::FileTransferInfo>),
    /// Open the MSRP session of an INVITE answered 200.
    Accept(Box<Accepting>),
    /// Close a session its peer ended with BYE.
    Close(Arc<ChatSession>),
    /// Send an ACK again for a retransmitted 2xx.
    Ack(Bytes),
    /// Register again after a reg NOTIFY deactivated the binding (RFC 3680).
    Reregister,
}

/// Reads everything the endpoint receives until it shuts down.
pub(crate) async fn run(core: Arc<Core>, mut incoming: mpsc::Receiver<Incoming>) {
    let mut answered = Answered::default();
    let mut tasks = JoinSet::new();
    while let Some(received) = incoming.recv().await {
        while tasks.try_join_next().is_some() {}
        let Incoming {
            transport,
            src,
            message,
            ..
        } = received;
        let message = match message {
            Ok(message) => message,
            Err(error) => {
                tracing::debug!(role = %core.role, %src, %error, "dropped bytes that are not SIP");
                continue;
            }
        };
        let followup = match message.is_request() {
            true => answer(&core, &mut answered, &message, transport, src).await,
            false => route_response(&core, message).map(Followup::Ack),
        };
        let Some(followup) = followup else {
            continue;
        };
        if tasks.len() >= MAX_TASKS {
            tracing::warn!(role = %core.role, "too many tasks in flight; one skipped");
            continue;
        }
        let core = core.clone();
        tasks.spawn(async move {
            match followup {
                Followup::Imdn(delivered, copies) => {
                    for _ in 0..copies {
                        send_delivered(&core, &delivered).await;
                    }
                }
                Followup::File(received, info) => {
                    super::ft_in::on_descriptor(&core, received, *info).await
                }
                Followup::Accept(accepting) => invite_in::accept(core, *accepting).await,
                Followup::Close(session) => invite_in::close(core, session).await,
                Followup::Ack(ack) => {
                    let _ = core.resend(&ack).await;
                }
                Followup::Reregister => reg_keeper::reregister(core).await,
            }
        });
    }
}

/// Hands a response to the transaction of its top Via branch; a 2xx retransmitted after its
/// transaction ended gets its session's ACK again (RFC 3261 13.2.2.4), returned here.
fn route_response(core: &Core, response: Message) -> Option<Bytes> {
    let branch = response
        .vias()
        .ok()
        .and_then(|vias| vias.first().and_then(|v| v.branch().map(str::to_owned)));
    let summary = response.summary();
    let call_id = response.call_id().map(str::to_owned);
    let is_2xx = response.status().is_some_and(|s| (200..300).contains(&s));
    let delivered = branch.is_some_and(|branch| core.pending.deliver(&branch, response));
    if delivered {
        return None;
    }
    let ack = call_id
        .filter(|_| is_2xx)
        .and_then(|id| core.sessions.by_call_id(&id))
        .and_then(|session| session.ack.clone());
    if ack.is_none() {
        tracing::debug!(role = %core.role, %summary, "response for no pending transaction");
    }
    ack
}

/// Answers one request; returns what to do next, if anything.
async fn answer(
    core: &Core,
    answered: &mut Answered,
    request: &Message,
    transport: Transport,
    src: SocketAddr,
) -> Option<Followup> {
    let Some(key) = server_key(request) else {
        tracing::debug!(role = %core.role, %src, "request without Via, Call-ID or CSeq dropped");
        return None;
    };
    if let Some(previous) = answered.get(&key) {
        send(core, &previous, transport, src).await;
        return None;
    }
    if request.method() == Some("ACK") {
        if let Some(call_id) = request.call_id() {
            core.acks.deliver(call_id);
        }
        return None;
    }
    let (response, followup) = respond(core, request).await;
    let bytes = response.raw().clone();
    send(core, &bytes, transport, src).await;
    answered.insert(key, bytes);
    match followup {
        Some(Followup::Accept(accepting)) => Some(Followup::Accept(Box::new(
            accepting.arrived(transport, src),
        ))),
        other => other,
    }
}

async fn send(core: &Core, bytes: &[u8], transport: Transport, dst: SocketAddr) {
    if let Err(error) = core.endpoint.send(bytes, transport, dst).await {
        tracing::debug!(role = %core.role, %dst, %error, "response not sent");
    }
}

/// The response to a request, and what to do next.
async fn respond(core: &Core, request: &Message) -> (Message, Option<Followup>) {
    if let Some(deviation) = request.validate().into_iter().next() {
        let text = format!("{}: {}", deviation.construct, deviation.detail);
        return (
            reply(request, 400, "Bad Request")
                .warning(core, &text)
                .build(),
            None,
        );
    }
    match request.method().unwrap_or_default() {
        "MESSAGE" => {
            let (response, delivered) = on_message(core, request);
            let copies = deferred::imdn_copies(core, request);
            if let Some((received, info)) = super::ft_in::offer(request, &response) {
                core.ft_offers.remember(info.clone(), None);
                return (response, Some(Followup::File(received, Box::new(info))));
            }
            (response, delivered.map(|r| Followup::Imdn(r, copies)))
        }
        "OPTIONS" => (on_options(core, request), None),
        "INVITE" => {
            let (response, accepting) = invite_in::on_invite(core, request).await;
            (response, accepting.map(|a| Followup::Accept(Box::new(a))))
        }
        "BYE" => {
            let (response, session) = invite_in::on_bye(core, request);
            (response, session.map(Followup::Close))
        }
        "NOTIFY" if reg_subscription::is_reg_notify(request) => {
            let (response, reaction) = reg_subscription::on_notify(core, request);
            let response = response.to_tag(&ids::tag()).build();
            (response, reaction.map(|_| Followup::Reregister))
        }
        "NOTIFY" if super::group_in::is_conference(request) => {
            (super::group_in::on_notify(core, request), None)
        }
        "UPDATE" if super::refresh::is_session_update(core, request) => {
            (super::refresh::on_update(request), None)
        }
        "CANCEL" | "UPDATE" | "NOTIFY" | "INFO" | "PRACK" | "REFER" => (
            reply(request, 481, "Call/Transaction Does Not Exist").build(),
            None,
        ),
        _ => (
            reply(request, 405, "Method Not Allowed")
                .header("Allow", ALLOW)
                .build(),
            None,
        ),
    }
}

/// MESSAGE: 200 when the body can be read (RFC 3428 7), remembered, perhaps IMDN'd.
fn on_message(core: &Core, request: &Message) -> (Message, Option<Received>) {
    let accepted = match read_message(request) {
        Ok(accepted) => accepted,
        Err(rejection) => {
            let mut builder = reply(request, rejection.status, rejection.reason);
            if rejection.status == 415 {
                builder = builder.header("Accept", "message/cpim, text/plain");
            }
            return (builder.warning(core, &rejection.detail).build(), None);
        }
    };
    if core.faults.has(Fault::RejectMessage) {
        return (reply(request, 488, "Not Acceptable Here").build(), None);
    }
    if let Accepted::Chat(received) = &accepted
        && super::bot_in::on_chat(core, request, received)
    {
        return (reply(request, 200, "OK").build(), None);
    }
    let delivered = match accepted {
        Accepted::Chat(received) => {
            let wants = received
                .disposition
                .iter()
                .any(|d| d == "positive-delivery")
                || (core.faults.has(Fault::UnsolicitedImdn) && received.disposition.is_empty());
            let text = super::receipts::received_text(
                request.header("Content-Type").unwrap_or_default(),
                request.body(),
            );
            let id = received.message_id.as_deref();
            core.receipts.received(id, &text, &received.disposition);
            let delivered = (wants
                && core.settings.auto_delivery_imdn
                && received.message_id.is_some()
                && !received.sender.is_empty()
                && !deferred::already_received(core, &received))
            .then(|| received.clone());
            core.state().remember(received);
            delivered
        }
        Accepted::Imdn(imdn) => {
            core.receipts.on_imdn(&imdn, &core.faults);
            let (id, status) = (imdn.message_id.clone(), imdn.notification.status());
            let mut state = core.state();
            state.remember_imdn(imdn);
            let count = state.imdns().count();
            tracing::debug!(role = %core.role, for_id = %id, status, count, "imdn received");
            None
        }
    };
    (reply(request, 200, "OK").build(), delivered)
}

/// OPTIONS: 200 with the terminal's capabilities (protocols.md §3.1).
fn on_options(core: &Core, request: &Message) -> Message {
    let uri = core.local.contact_uri();
    let contact = match core.faults.has(Fault::OptionsWithoutTags) {
        true => format!("<{uri}>"),
        false => core.tags.contact(&uri, ContactUse::Capabilities),
    };
    reply(request, 200, "OK")
        .header("Contact", &contact)
        .header("Allow", ALLOW)
        .header("Accept", ACCEPT)
        .build()
}

/// A response copying the request's Via, From, To, Call-ID and CSeq, with a new To tag.
fn reply(request: &Message, status: u16, reason: &str) -> MessageBuilder {
    MessageBuilder::response_to(request, status, reason).to_tag(&ids::tag())
}

trait Warning {
    fn warning(self, core: &Core, text: &str) -> Self;
}

impl Warning for MessageBuilder {
    /// `Warning: 399 host "text"` (RFC 3261 20.43), quotes and backslashes escaped.
    fn warning(self, core: &Core, text: &str) -> Self {
        let text = text.replace('\\', "\\\\").replace('"', "\\\"");
        let text: String = text.chars().filter(|c| !c.is_control()).take(200).collect();
        self.header(
            "Warning",
            &format!("399 {} \"{text}\"", core.local.host_port),
        )
    }
}

/// Sends the delivery IMDN for a message just accepted.
async fn send_delivered(core: &Core, received: &Received) {
    let Some(id) = received.message_id.as_deref() else {
        return;
    };
    match core
        .send_imdn(received, id, ImdnStatus::Delivered, DEFAULT_TIMEOUT)
        .await
    {
        Ok(sent) => {
            tracing::debug!(role = %core.role, status = %sent.outcome.status(), "delivery imdn sent")
        }
        Err(error) => tracing::debug!(role = %core.role, %error, "delivery imdn not sent"),
    }
}

/// Identifies a server transaction: top Via branch, method and Call-ID (RFC 3261 17.2.3).
fn server_key(request: &Message) -> Option<(String, String, String)> {
    request.cseq().ok()?;
    let vias = request.vias().ok()?;
    let branch = vias.first()?.branch()?.to_owned();
    let method = request.method()?.to_owned();
    Some((branch, method, request.call_id()?.to_owned()))
}

/// Responses already sent, for answering retransmissions.
#[derive(Default)]
struct Answered {
    responses: HashMap<(String, String, String), Bytes>,
    order: VecDeque<(String, String, String)>,
}

impl Answered {
    fn get(&self, key: &(String, String, String)) -> Option<Bytes> {
        self.responses.get(key).cloned()
    }

    fn insert(&mut self, key: (String, String, String), response: Bytes) {
        if self.order.len() >= MAX_ANSWERED
            && let Some(oldest) = self.order.pop_front()
        {
            self.responses.remove(&oldest);
        }
        self.order.push_back(key.clone());
        self.responses.insert(key, response);
    }
}
