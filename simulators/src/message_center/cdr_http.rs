//! The billing export of the message center and the interworking gateway (protocols.md §10.3):
//! an HTTP server of its own (the role's `Endpoints.http`, `${role.http}` in cases) answering
//! `GET /billing/v1/cdrs?<field>=<value>&…` with the records of a [`NetCdrs`] matching every
//! filter, as the MaaP's export does (the query and answer are [`crate::cdr_export`]'s); another
//! path gets 404. Plain HTTP on loopback whatever the case's SIP transport.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use rcs_harness::agent::{AgentError, WireTap};
use rcs_proto::http::{Request, Response};

use super::cdr::{NetCdrs, is_filter};
use crate::cdr_export::{self, CDRS_PATH};
use crate::http::{Handler, HttpServer};

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
        return cdr_export::not_found();
    }
    cdr_export::answer(request, is_filter, |filters| cdrs.query(filters))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::message_center::cdr::{NNI_IN, NetCdr, P2P_MO};
    use rcs_proto::http::RequestBuilder;
    use serde_json::{Value, json};

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
        let many = format!("/billing/v1/cdrs?{}", vec!["chargeable=true"; 33].join("&"));
        let (status, body) = get(&cdrs, &many, "GET");
        assert_eq!(status, 400);
        assert!(body["error"].as_str().unwrap().contains("33 filters"));
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
