//! The HTTP side of a billing export (protocols.md §10.3), shared by the MaaP, the message center
//! and the interworking gateway: `GET /billing/v1/cdrs?<field>=<value>&…` answers the records
//! matching every filter as `{"count":N,"chargeable":M,"cdrs":[...]}` (`application/json`).
//!
//! Values are percent-decoded, `+` read as a space; a field the store does not know is answered
//! 400 naming it, another method 405. Each store keeps its records and says which fields it
//! filters on; this module only reads the query and writes the answer. There is no
//! authorisation: a lab export, reached only on loopback. Paging and export formats other than
//! JSON are not offered.

use rcs_proto::http::{Request, Response, ResponseBuilder};
use rcs_proto::sip::percent_decode;
use serde_json::{Value, json};

/// The path of the export.
pub(crate) const CDRS_PATH: &str = "/billing/v1/cdrs";

/// The most filters one query may carry.
const MAX_FILTERS: usize = 32;

/// The answer to `request` on the export path: `query` answers the filters `is_filter` accepts.
pub(crate) fn answer(
    request: &Request,
    is_filter: impl Fn(&str) -> bool,
    query: impl FnOnce(&[(String, String)]) -> Value,
) -> Response {
    if request.method() != "GET" {
        let builder = ResponseBuilder::new(405, "Method Not Allowed").header("Allow", "GET");
        return respond(builder);
    }
    match filters(request.query().unwrap_or(""), is_filter) {
        Ok(filters) => json_response(200, "OK", &query(&filters)),
        Err(detail) => json_response(400, "Bad Request", &json!({ "error": detail })),
    }
}

/// `404 Not Found`, for a path other than the export's on a server of its own.
pub(crate) fn not_found() -> Response {
    respond(ResponseBuilder::new(404, "Not Found"))
}

/// The `(field, value)` filters of a query, or why they are refused.
fn filters(query: &str, is_filter: impl Fn(&str) -> bool) -> Result<Vec<(String, String)>, String> {
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

    fn known(field: &str) -> bool {
        ["final_status", "failure_cause", "chargeable"].contains(&field)
    }

    #[test]
    fn filters_are_decoded_and_bounded() {
        assert_eq!(
            filters(
                "final_status=rejected_policy&failure_cause=rate+limited",
                known
            )
            .unwrap(),
            vec![
                ("final_status".to_owned(), "rejected_policy".to_owned()),
                ("failure_cause".to_owned(), "rate limited".to_owned()),
            ]
        );
        assert_eq!(filters("", known).unwrap(), vec![]);
        let many = vec!["chargeable=true"; 33].join("&");
        assert!(filters(&many, known).unwrap_err().contains("33 filters"));
        let unknown = filters("colour=red", known).unwrap_err();
        assert_eq!(
            unknown,
            "failed to read the cdr query: no record field `colour`"
        );
    }
}
