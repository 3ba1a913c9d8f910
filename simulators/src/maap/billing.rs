//! The MaaP's billing export (protocols.md §10.3): `GET /billing/v1/cdrs?<field>=<value>&…` on
//! the MaaP's HTTP server, answered by [`crate::cdr_export`] from the MaaP's records.
//!
//! A filter names any record field (`api_message_id`, `record_type`, `recipient`,
//! `final_status`, `chargeable`…) or `chatbot` for `chatbot_id`.

use std::net::SocketAddr;
use std::sync::Arc;

use rcs_proto::http::{Request, Response};

use super::cdr::{Cdrs, is_filter};
use super::http_routes::Route;
use crate::cdr_export::{self, CDRS_PATH};

/// The route the MaaP's HTTP server asks about every request: `None` for other paths.
pub(crate) fn billing_route(cdrs: Arc<Cdrs>) -> Route {
    Arc::new(move |request: &Request, _peer: SocketAddr| {
        if request.path() != CDRS_PATH {
            return None;
        }
        let response = answer(&cdrs, request);
        Some(Box::pin(async move { response }))
    })
}

/// The answer to one request on the export path.
fn answer(cdrs: &Cdrs, request: &Request) -> Response {
    cdr_export::answer(request, is_filter, |filters| cdrs.query(filters))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::maap::cdr::{A2P_MT, Cdr};
    use rcs_proto::http::RequestBuilder;
    use serde_json::Value;

    fn store() -> Arc<Cdrs> {
        let cdrs = Arc::new(Cdrs::default());
        for (n, to) in ["tel:+8613900000001", "tel:+8613900000002"]
            .iter()
            .enumerate()
        {
            cdrs.record(Cdr {
                record_type: A2P_MT.to_owned(),
                api_message_id: "m-1".to_owned(),
                recipient: (*to).to_owned(),
                chatbot_id: "sip:12599@botplatform.rcs.chinamobile.com".to_owned(),
                final_status: "delivered".to_owned(),
                chargeable: n == 0,
                ..Cdr::default()
            });
        }
        cdrs
    }

    async fn get(route: &Route, target: &str, method: &str) -> (u16, Value) {
        let request = RequestBuilder::new(method, target).build().unwrap();
        let peer: SocketAddr = "127.0.0.1:9".parse().unwrap();
        let response = route(&request, peer).unwrap().await;
        let body = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
        (response.status(), body)
    }

    #[tokio::test]
    async fn the_export_answers_the_filtered_records() {
        let route = billing_route(store());
        let (status, body) = get(&route, "/billing/v1/cdrs?api_message_id=m-1", "GET").await;
        assert_eq!(status, 200);
        assert_eq!(body["count"], 2);
        assert_eq!(body["chargeable"], 1);
        let target = "/billing/v1/cdrs?chatbot=sip%3A12599%40botplatform.rcs.chinamobile.com\
                      &recipient=%2B8613900000002";
        let (_, body) = get(&route, target, "GET").await;
        assert_eq!(body["count"], 1);
        assert_eq!(body["cdrs"][0]["recipient"], "tel:+8613900000002");
        let (_, body) = get(&route, "/billing/v1/cdrs?chargeable=true", "GET").await;
        assert_eq!(body["count"], 1);
    }

    #[tokio::test]
    async fn unknown_fields_and_other_methods_are_refused() {
        let route = billing_route(store());
        let (status, body) = get(&route, "/billing/v1/cdrs?colour=red", "GET").await;
        assert_eq!(status, 400);
        assert_eq!(
            body["error"],
            "failed to read the cdr query: no record field `colour`"
        );
        let (status, _) = get(&route, "/billing/v1/cdrs", "POST").await;
        assert_eq!(status, 405);
        let request = RequestBuilder::new("GET", "/bot?id=x").build().unwrap();
        assert!(route(&request, "127.0.0.1:9".parse().unwrap()).is_none());
    }
}
