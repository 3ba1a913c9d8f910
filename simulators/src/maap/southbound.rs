//! The MaaP's SIP side facing users (protocols.md §7.1, §7.5, §7.6, §8.3): reads everything its
//! endpoint receives, hands responses to client transactions, and answers requests to chatbots.
//!
//! OPTIONS to a provisioned chatbot gets 200 with the chatbot Contact (both chatbot IARIs, the
//! bot version, `+g.gsma.rcs.isbot`; PLT-CAP-004); to anything else 404. A MESSAGE to a chatbot
//! gets 200 and becomes, by its CPIM content: an IMDN → a [`BotEvent::Status`] mapped back to the
//! API message id; a spam report → [`BotEvent::Spam`]; anything else (text, suggestion response,
//! shared data, location, file-info) → [`BotEvent::Uplink`]. Session INVITEs to a chatbot are in
//! `session`. Retransmitted requests get the response already sent (RFC 3261 17.2.3); requests it
//! has no use for get 405. It does not authenticate the trunk.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;

use bytes::Bytes;
use rcs_harness::events::Transport;
use rcs_proto::sip::{Message, MessageBuilder};
use tokio::sync::mpsc;

use super::chatbots::Chatbot;
use super::engine::Engine;
use super::mt_message::{CHATBOT_IARI, CHATBOT_SA_IARI, chatbot_contact};
use super::uplink::{self, Followup};
use crate::msrp::MsrpStack;
use crate::net::Incoming;

/// Responses kept for answering retransmissions.
const MAX_ANSWERED: usize = 512;

/// The methods a chatbot answers.
const ALLOW: &str = "INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE";

/// Reads everything the endpoint receives until it shuts down, then stops the MSRP stack its
/// chatbot sessions use.
pub(crate) async fn run(engine: Engine, mut incoming: mpsc::Receiver<Incoming>, msrp: MsrpStack) {
    let mut answered = Answered::default();
    while let Some(received) = incoming.recv().await {
        let Incoming {
            transport,
            src,
            message,
            ..
        } = received;
        let Ok(message) = message else {
            tracing::debug!(role = %engine.core().role, %src, "dropped bytes that are not SIP");
            continue;
        };
        if !message.is_request() {
            route_response(&engine, message);
            continue;
        }
        let at = Arrival {
            msrp: &msrp,
            transport,
            src,
        };
        if let Some(followup) = answer(&engine, &mut answered, &message, at).await {
            let engine = engine.clone();
            tokio::spawn(async move { uplink::follow_up(engine, followup).await });
        }
    }
    msrp.shutdown().await;
}

/// How a request arrived, and the MSRP stack a session it opens would use.
#[derive(Clone, Copy)]
struct Arrival<'a> {
    msrp: &'a MsrpStack,
    transport: Transport,
    src: SocketAddr,
}

/// Hands a response to the client transaction of its top Via branch.
fn route_response(engine: &Engine, response: Message) {
    let branch = response
        .vias()
        .ok()
        .and_then(|vias| vias.first().and_then(|v| v.branch().map(str::to_owned)));
    let summary = response.summary();
    let delivered = branch.is_some_and(|b| engine.core().pending.deliver(&b, response));
    if !delivered {
        tracing::debug!(role = %engine.core().role, %summary, "response for no pending transaction");
    }
}

/// Answers one request (or repeats the answer to a retransmission).
async fn answer(
    engine: &Engine,
    answered: &mut Answered,
    request: &Message,
    at: Arrival<'_>,
) -> Option<Followup> {
    let Arrival { transport, src, .. } = at;
    let key = server_key(request)?;
    if let Some(previous) = answered.get(&key) {
        send(engine, &previous, transport, src).await;
        return None;
    }
    if request.method() == Some("ACK") {
        return None;
    }
    let (response, followup) = respond(engine, request, at).await;
    let bytes = response.raw().clone();
    send(engine, &bytes, transport, src).await;
    answered.insert(key, bytes);
    followup
}

async fn send(engine: &Engine, bytes: &[u8], transport: Transport, dst: SocketAddr) {
    if let Err(error) = engine.core().endpoint.send(bytes, transport, dst).await {
        tracing::debug!(role = %engine.core().role, %dst, %error, "response not sent");
    }
}

/// The response to a request, and what to do after it is sent.
async fn respond(
    engine: &Engine,
    request: &Message,
    at: Arrival<'_>,
) -> (Message, Option<Followup>) {
    let method = request.method().unwrap_or_default();
    if method == "MESSAGE" && uplink::is_sms(request) {
        return (reply(request, 200, "OK").build(), None);
    }
    let bot = addressed_bot(engine, request);
    match (method, bot) {
        ("OPTIONS", Some(bot)) => (options_ok(engine, request, &bot), None),
        ("MESSAGE", Some(bot)) => uplink::on_message(engine, request, &bot),
        ("INVITE", Some(bot)) => super::session::on_invite(engine, at.msrp, request, &bot),
        ("BYE", _) => (reply(request, 200, "OK").build(), None),
        ("CANCEL", _) => (
            reply(request, 481, "Call/Transaction Does Not Exist").build(),
            None,
        ),
        ("OPTIONS" | "MESSAGE" | "INVITE", None) => {
            (reply(request, 404, "Not Found").build(), None)
        }
        _ => {
            let response = reply(request, 405, "Method Not Allowed").header("Allow", ALLOW);
            (response.build(), None)
        }
    }
}

/// The chatbot a request is addressed to: its Request-URI, else its To.
pub(crate) fn addressed_bot(engine: &Engine, request: &Message) -> Option<Chatbot> {
    let settings = engine.core().settings();
    let by_uri = request
        .request_uri()
        .and_then(|uri| settings.chatbot(uri).cloned());
    by_uri.or_else(|| {
        let to = request.to_header().ok()?;
        settings.chatbot(to.uri.as_str()).cloned()
    })
}

/// 200 to OPTIONS with the chatbot's Contact (PLT-CAP-004).
fn options_ok(engine: &Engine, request: &Message, bot: &Chatbot) -> Message {
    let core = engine.core();
    let uri = core.contact_uri(bot.service_id());
    let no_isbot = core.has_fault("maap.no-isbot-tag");
    let contact = chatbot_contact(&uri, &[CHATBOT_IARI, CHATBOT_SA_IARI], no_isbot);
    reply(request, 200, "OK")
        .header("Contact", &contact)
        .header("Allow", ALLOW)
        .build()
}

/// A response to `request` whose To carries a tag.
pub(crate) fn reply(request: &Message, status: u16, reason: &str) -> MessageBuilder {
    MessageBuilder::response_to(request, status, reason).to_tag(&super::ids::tag())
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
