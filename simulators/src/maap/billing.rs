//! The MaaP's billing export (protocols.md §10.3): `GET /billing/v1/cdrs?<field>=<value>&…`
//! answers the records matching every filter as
//! `{"count":N,"chargeable":M,"cdrs":[...]}` (`application/json`).
//!
//! A filter names any record field (`api_message_id`, `record_type`, `recipient`,
//! `final_status`, `chargeable`…) or `chatbot` for `chatbot_id`; values are percent-decoded, `+`
//! read as a space. An unknown field is answered 400 naming it, another method 405. There is no
//! authorisation: this is a lab billing export, reached only on loopback. Paging and export
//! formats other than JSON are not offered.

use std::net::SocketAddr;
use std::sync::Arc;

use rcs_proto::http::{Request, Response, ResponseBuilder};
use rcs_proto::sip::percent_decode;
use serde_json::{Value, json};

use super::cdr::{Cdrs, is_filter};
use super::http_routes::Route;

/// The path of the export.
pub(crate) const CDRS_PATH: &str = "/billing/v1/cdrs";

/// The most filters one query may carry.
const MAX_FILTERS: usize = 32;

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
    if request.method() != "GET" {
        let builder = ResponseBuilder::new(405, "Method Not Allowed").header("Allow", "GET");
        return respond(builder);
    }
    match filters(request.query().unwrap_or("")) {
        Ok(filters) => json_response(200, "OK", &cdrs.query(&filters)),
        Err(detail) => json_response(400, "Bad Request", &json!({ "error": detail })),
    }
}

/// The `(field, value)` filters of a query, or why they are refused.
pub(crate) fn filters(query: &str) -> Result<Vec<(String, String)>, String> {
    let pairs: Vec<&str> = query.split('&').filter(|p| !p.is_empty()).collect();
    if pairs.len() > MAX_FILTERS {
        return Err(format!(
            "failed to read the cdr query: {} filters, at most {MAX_FILTERS}",
            pairs.len()
        ));
    }
    pairs
        .into_iter()
        .map(|pair| {
            let (field, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (field, value) = (decode(field), decode(value));
            match is_filter(&field) {
                true => Ok((field, value)),
                false => Err(format!(
                    "failed to read the cdr query: no record field `{field}`"
                )),
            }
        })
        .collect()
}

/// A query component, percent-decoded with `+` as a space.
fn decode(text: &str) -> String {
    String::from_utf8_lossy(&percent_decode(&text.replace('+', " "))).into_owned()
}

fn json_response(status: u16, reason: &str, body: &Value) -> Response {
    respond(
        ResponseBuilder::new(status, reason)
            .header("Content-Type", "application/json")
            .body(body.to_string()),
    )
}

fn respond(builder: ResponseBuilder) -> Response {
    builder.build().unwrap_or_else(|_| fallback())
}

#[allow(clippy::expect_used)]
fn fallback() -> Response {
    Response::parse(
        &b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n"[..],
        "GET",
    )
    .expect("a constant response parses")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::maap::cdr::{A2P_MT, Cdr};
    use rcs_proto::http::RequestBuilder;

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

    #[test]
    fn filters_are_decoded_and_bounded() {
        assert_eq!(
            filters("final_status=rejected_policy&failure_cause=rate+limited").unwrap(),
            vec![
                ("final_status".to_owned(), "rejected_policy".to_owned()),
                ("failure_cause".to_owned(), "rate limited".to_owned()),
            ]
        );
        assert_eq!(filters("").unwrap(), vec![]);
        let many = vec!["chargeable=true"; 33].join("&");
        assert!(filters(&many).unwrap_err().contains("33 filters"));
    }
}
