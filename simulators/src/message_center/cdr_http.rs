//! The billing export of the message center and the interworking gateway (protocols.md §10.3):
//! an HTTP server of its own (the role's `Endpoints.http`, `${role.http}` in cases) answering
//! `GET /billing/v1/cdrs?<field>=<value>&…` with the records of a [`NetCdrs`] matching every
//! filter, as the MaaP's export does: `{"count":N,"chargeable":M,"cdrs":[...]}`.
//!
//! Values are percent-decoded, `+` read as a space; an unknown field is answered 400 naming it,
//! another method 405, another path 404. Plain HTTP on loopback whatever the case's SIP transport
//! (a lab export, no authorisation); paging and other formats are not offered.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use rcs_harness::agent::{AgentError, WireTap};
use rcs_proto::http::{Request, Response, ResponseBuilder};
use rcs_proto::sip::percent_decode;
use serde_json::{Value, json};

use super::cdr::{NetCdrs, is_filter};
use crate::http::{Handler, HttpServer};

/// The path of the export.
pub(crate) const CDRS_PATH: &str = "/billing/v1/cdrs";

/// The most filters one query may carry.
const MAX_FILTERS: usize = 32;

/// Starts the export of `cdrs` on `ip`, port chosen by the system; `who` names the role in the
/// error.
pub(crate) async fn start(
    ip: IpAddr,
    cdrs: NetCdrs,
    tap: WireTap,
    who: &str,
) -> Result<HttpServer, AgentError> {
    HttpServer::start(ip, None, tap, handler(cdrs))
        .await
        .map_err(|err| AgentError::Harness(format!("start the billing export of {who}: {err}")))
}

/// The server's handler.
fn handler(cdrs: NetCdrs) -> Handler {
    Arc::new(move |request: &Request, _peer: SocketAddr| {
        let response = answer(&cdrs, request);
        Box::pin(async move { response })
    })
}

/// The answer to one request.
fn answer(cdrs: &NetCdrs, request: &Request) -> Response {
    if request.path() != CDRS_PATH {
        return respond(ResponseBuilder::new(404, "Not Found"));
    }
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
fn filters(query: &str) -> Result<Vec<(String, String)>, String> {
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
    use crate::message_center::cdr::{NNI_IN, NetCdr, P2P_MO};
    use rcs_proto::http::RequestBuilder;

    fn store() -> NetCdrs {
        let cdrs = NetCdrs::default();
        for (record_type, icid) in [(P2P_MO, "a b"), (NNI_IN, "x")] {
            cdrs.record(NetCdr {
                record_type: record_type.to_owned(),
                icid: icid.to_owned(),
                chargeable: record_type == P2P_MO,
                ..NetCdr::default()
            });
        }
        cdrs
    }

    fn get(cdrs: &NetCdrs, target: &str, method: &str) -> (u16, Value) {
        let request = RequestBuilder::new(method, target).build().unwrap();
        let response = answer(cdrs, &request);
        let body = serde_json::from_slice(response.body()).unwrap_or(Value::Null);
        (response.status(), body)
    }

    #[test]
    fn the_export_answers_the_filtered_records() {
        let cdrs = store();
        let (status, body) = get(&cdrs, "/billing/v1/cdrs?icid=a+b", "GET");
        assert_eq!((status, body["count"].clone()), (200, json!(1)));
        assert_eq!(body["cdrs"][0]["record_type"], P2P_MO);
        let (_, body) = get(&cdrs, "/billing/v1/cdrs?record_type=NNI%5FIN", "GET");
        assert_eq!(
            (body["count"].clone(), body["chargeable"].clone()),
            (json!(1), json!(0))
        );
        let (_, body) = get(&cdrs, "/billing/v1/cdrs", "GET");
        assert_eq!(body["count"], 2);
    }

    #[test]
    fn unknown_fields_methods_and_paths_are_refused() {
        let cdrs = store();
        let (status, body) = get(&cdrs, "/billing/v1/cdrs?colour=red", "GET");
        assert_eq!(status, 400);
        assert_eq!(
            body["error"],
            "failed to read the cdr query: no record field `colour`"
        );
        assert_eq!(get(&cdrs, "/billing/v1/cdrs", "DELETE").0, 405);
        assert_eq!(get(&cdrs, "/other", "GET").0, 404);
        let many = vec!["chargeable=true"; 33].join("&");
        assert!(filters(&many).unwrap_err().contains("33 filters"));
    }

    #[tokio::test]
    async fn the_export_is_served_over_http() {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let tap = WireTap::new("mc", rcs_harness::clock::Clock::real(), tx);
        let ip = "127.0.0.1".parse().unwrap();
        let server = start(ip, store(), tap.clone(), "a test").await.unwrap();
        let addr = server.local_addr();
        let client = crate::http::HttpClient::new(tap, None);
        let request = RequestBuilder::new("GET", "/billing/v1/cdrs?record_type=P2P_MO")
            .header("Host", &addr.to_string())
            .build()
            .unwrap();
        let response = client.send(addr, false, &request).await.unwrap();
        assert_eq!(response.status(), 200);
        let body: Value = serde_json::from_slice(response.body()).unwrap();
        assert_eq!(body["count"], 1);
        server.shutdown().await;
    }
}
