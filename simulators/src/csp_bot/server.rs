//! The chatbot server's callback endpoint: the HTTP server the MaaP posts notifications to
//! (protocols.md §8.1 CMCC notifications, §8.2 CT/CU callbacks).
//!
//! Each request goes to the family modules (the configured family first); the one that owns the
//! path answers it and says what the callback meant. The [`Callback`] is recorded on the core,
//! and an uplink whose postback data has an entry in the `replies` setting is answered through
//! the family's `send` action (the interaction API), in a task of its own so that the callback's
//! response is not held up. A path no module owns gets 404. This module does not verify
//! signatures or parse documents: the family modules do.

use std::net::SocketAddr;
use std::sync::Arc;

use rcs_proto::http::{Request, Response, ResponseBuilder};

use super::core::{BotCore, Callback, lock};
use super::{family_act, family_callback};
use crate::http::Handler;

/// The handler of the callback server.
pub(crate) fn handler(core: Arc<BotCore>) -> Handler {
    Arc::new(move |request: &Request, _peer: SocketAddr| {
        let core = core.clone();
        let request = request.clone();
        Box::pin(async move { serve(&core, &request).await })
    })
}

async fn serve(core: &Arc<BotCore>, request: &Request) -> Response {
    let Some((response, callback)) = family_callback(core, request).await else {
        return not_found(request.path());
    };
    if let Some(callback) = callback {
        auto_reply(core, &callback);
        core.record(callback);
    }
    response
}

/// Sends the configured reply to an uplink, if it has one.
fn auto_reply(core: &Arc<BotCore>, callback: &Callback) {
    let Some(params) = core.reply_to(callback) else {
        return;
    };
    let core = core.clone();
    tokio::spawn(async move {
        let sent = match family_act(&core, "send", &params).await {
            Some(sent) => sent,
            None => Err(format!(
                "answer the postback: the {} module has no `send` action",
                core.settings.family.as_str()
            )),
        };
        if let Err(err) = &sent {
            tracing::warn!(role = core.tap.role(), "failed to {err}");
        }
        lock(&core.replies).push(sent);
    });
}

fn not_found(path: &str) -> Response {
    respond(
        ResponseBuilder::new(404, "Not Found")
            .header("Content-Type", "text/plain; charset=utf-8")
            .body(format!("no callback is served at {path}\n")),
    )
}

/// The response `builder` makes; a bare 500 if it cannot be read back (a bug of the caller).
pub(crate) fn respond(builder: ResponseBuilder) -> Response {
    builder.build().unwrap_or_else(|_| {
        Response::parse(
            &b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"[..],
            "GET",
        )
        .expect("a constant response parses")
    })
}
