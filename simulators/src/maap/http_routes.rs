//! The MaaP's HTTP server: one listener for the bot information service (protocols.md §7.6),
//! the billing export (§10.3), and the chatbot developer APIs of both families (§8.1 CMCC, §8.2
//! CT/CU). Each part is a [`Route`] that claims a request by its path or declines it; the
//! routes are tried in order and a request nobody claims gets 404. Routes do their own
//! authorisation; this module only dispatches.

use std::net::SocketAddr;
use std::sync::Arc;

use rcs_harness::agent::BoxFuture;
use rcs_proto::http::{Request, Response, ResponseBuilder};

use super::engine::Engine;
use crate::http::Handler;

/// A part of the MaaP's HTTP server: the response to a request it claims, None to decline.
pub(crate) type Route =
    Arc<dyn Fn(&Request, SocketAddr) -> Option<BoxFuture<'static, Response>> + Send + Sync>;

/// Every route of a MaaP, in the order they are tried.
pub(crate) fn routes(engine: &Engine) -> Vec<Route> {
    vec![
        super::bot_info::route(engine.clone()),
        super::billing::billing_route(engine.cdrs().clone()),
        super::nbi_cmcc::route_for(engine),
        super::nbi_ctcu::route(engine.clone()),
    ]
}

/// The server's handler: the first route that claims the request answers it.
pub(crate) fn handler(routes: Vec<Route>) -> Handler {
    Arc::new(move |request: &Request, peer: SocketAddr| {
        for route in &routes {
            if let Some(answer) = route(request, peer) {
                return answer;
            }
        }
        let target = request.target().to_owned();
        Box::pin(async move {
            tracing::debug!(%target, "no maap route for the request");
            status(404, "Not Found")
        })
    })
}

/// A bodiless response.
pub(crate) fn status(code: u16, reason: &str) -> Response {
    build(ResponseBuilder::new(code, reason))
}

/// The response a builder writes (a builder's own bytes always read back).
pub(crate) fn build(builder: ResponseBuilder) -> Response {
    crate::http::built(builder)
}
