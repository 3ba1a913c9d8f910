//! Session INVITEs to a chatbot (protocols.md §7.1 "UE → chatbot, session", TRM-BOT-002).
//!
//! Minimal for now: the chatbot does not take sessions and answers 488 with a Warning naming
//! why, so the user's client falls back to standalone messaging (§7.1 chatbot.sa).

use std::net::SocketAddr;

use rcs_harness::events::Transport;
use rcs_proto::sip::Message;

use super::chatbots::Chatbot;
use super::engine::Engine;
use super::southbound::reply;
use super::uplink::Followup;

/// Answers a session INVITE to `bot`.
pub(crate) async fn on_invite(
    engine: &Engine,
    request: &Message,
    bot: &Chatbot,
    transport: Transport,
    src: SocketAddr,
) -> (Message, Option<Followup>) {
    let _ = (engine, bot, transport, src);
    let response = reply(request, 488, "Not Acceptable Here").header(
        "Warning",
        "399 maap \"the chatbot takes standalone messages only\"",
    );
    (response.build(), None)
}
