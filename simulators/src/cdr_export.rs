//! The HTTP side of a billing export (protocols.md §10.3), shared by the MaaP, the message center
//! and the interworking gateway: `GET /billing/v1/cdrs?<field>=<value>&…` answers the records
//! matching every filter as `{"count":N,"chargeable":M,"cdrs":[...]}` (`application/json`).
//!
//! Values are percent-decoded, `+` read as a space; a field the store does not know is answered
//! 400 naming it, another method 405. Each store keeps its records; this module reads the query,
//! chooses the records ([`Record`], [`select`]: any record field, compared as text, users as
//! numbers) and writes the answer. There is no
//! authorisation: a lab export, reached only on loopback. Paging and export formats other than
//! JSON are not offered.

use rcs_proto::http::{Request, Response, ResponseBuilder};
use rcs_proto::sip::percent_decode;
use serde::Serialize;
use serde_json::{Value, json};

/// The path of the export.
pub(crate) const CDRS_PATH: &str = "/billing/v1/cdrs";

/// The most records one query answers with (`count` and `chargeable` still count all).
pub(crate) const MAX_QUERY_CDRS: usize = 1_000;

/// A billing record as the export filters it: its exported JSON fields.
pub(crate) trait Record: Serialize + Default {
    /// Whether the record is billed (the answer's `chargeable` count).
    fn chargeable(&self) -> bool;

    /// The record field a filter name stands for (a store's aliases; default the name itself).
    fn field_of(filter: &str) -> &str {
        filter
    }
}

/// The field names a query may filter on: every exported field of `R`, and its aliases.
pub(crate) fn is_filter<R: Record>(field: &str) -> bool {
    let record = serde_json::to_value(R::default()).unwrap_or_default();
    field_value(&record, R::field_of(field)).is_some()
}

/// The records matching every `(field, value)` filter (see [`matches`]) as
/// `{"count":N,"chargeable":M,"cdrs":[...]}`, in the order given.
pub(crate) fn select<'a, R: Record + 'a>(
    records: impl IntoIterator<Item = &'a R>,
    filters: &[(String, String)],
) -> Value {
    let chosen: Vec<&R> = records
        .into_iter()
        .filter(|r| matches(*r, filters))
        .collect();
    let chargeable = chosen.iter().filter(|r| r.chargeable()).count();
    let cdrs: Vec<&R> = chosen.iter().copied().take(MAX_QUERY_CDRS).collect();
    json!({ "count": chosen.len(), "chargeable": chargeable, "cdrs": cdrs })
}

/// Whether `record` passes every filter: the field's value as text (a string as is,
/// `true`/`false`, a number in decimal, an absent value as `""`) equals the filter's; users
/// (`originator`, `recipient`) compare as numbers when both are tel URIs or numbers. An unknown
/// field passes nothing.
pub(crate) fn matches<R: Record>(record: &R, filters: &[(String, String)]) -> bool {
    let Ok(value) = serde_json::to_value(record) else {
        return false;
    };
    filters.iter().all(|(field, wanted)| {
        let field = R::field_of(field);
        let Some(have) = field_value(&value, field) else {
            return false;
        };
        match field {
            "originator" | "recipient" => same_user(wanted, &have),
            _ => have == *wanted,
        }
    })
}

/// One field of a record's JSON as text, `None` when the record has no such field.
fn field_value(record: &Value, field: &str) -> Option<String> {
    Some(match record.get(field)? {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    })
}

/// Whether two user identities name the same user: tel URIs and bare numbers by their digits,
/// anything else exactly.
pub(crate) fn same_user(a: &str, b: &str) -> bool {
    match (number(a), number(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a == b,
    }
}

/// The number of a `tel:` URI or bare number, separators and parameters dropped.
pub(crate) fn number(user: &str) -> Option<String> {
    let bare = user.trim();
    let bare = bare.strip_prefix("tel:").unwrap_or(bare);
    let bare = bare.split(';').next().unwrap_or(bare);
    let digits: String = bare
        .chars()
        .filter(|c| !matches!(c, '-' | '.' | '(' | ')'))
        .collect();
    let numeric = digits.strip_prefix('+').unwrap_or(&digits);
    (!numeric.is_empty() && numeric.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

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
    crate::http::built(builder)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[derive(Default, Serialize)]
    struct Rec {
        recipient: String,
        size_bytes: u64,
        deliver_time: Option<String>,
        chargeable: bool,
    }

    impl Record for Rec {
        fn chargeable(&self) -> bool {
            self.chargeable
        }

        fn field_of(filter: &str) -> &str {
            match filter {
                "to" => "recipient",
                other => other,
            }
        }
    }

    fn rec(recipient: &str, size_bytes: u64, chargeable: bool) -> Rec {
        Rec {
            recipient: recipient.to_owned(),
            size_bytes,
            deliver_time: None,
            chargeable,
        }
    }

    fn filter(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(f, v)| (f.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn records_are_chosen_by_field_text_and_users_by_number() {
        let records = [
            rec("tel:+86-138-0000-0002", 10, true),
            rec("sip:bob@example.com", 10, false),
            rec("tel:+8613800000003", 20, true),
        ];
        let answer = select(&records, &filter(&[("recipient", "+8613800000002")]));
        assert_eq!(answer["count"], 1);
        assert_eq!(answer["chargeable"], 1);
        assert_eq!(answer["cdrs"][0]["recipient"], "tel:+86-138-0000-0002");
        let answer = select(&records, &filter(&[("size_bytes", "10")]));
        assert_eq!(
            (answer["count"].as_u64(), answer["chargeable"].as_u64()),
            (Some(2), Some(1))
        );
        let answer = select(&records, &filter(&[("to", "sip:bob@example.com")]));
        assert_eq!(answer["count"], 1);
        let answer = select(&records, &filter(&[("deliver_time", "")]));
        assert_eq!(answer["count"], 3);
        assert_eq!(select(&records, &filter(&[("colour", "red")]))["count"], 0);
        assert!(is_filter::<Rec>("to") && is_filter::<Rec>("chargeable"));
        assert!(!is_filter::<Rec>("colour") && !is_filter::<Rec>(""));
    }

    #[test]
    fn an_answer_lists_at_most_the_cap_but_counts_all() {
        let records: Vec<Rec> = (0..MAX_QUERY_CDRS + 5).map(|_| rec("1", 1, true)).collect();
        let answer = select(&records, &[]);
        assert_eq!(answer["count"], MAX_QUERY_CDRS + 5);
        assert_eq!(answer["chargeable"], MAX_QUERY_CDRS + 5);
        assert_eq!(answer["cdrs"].as_array().unwrap().len(), MAX_QUERY_CDRS);
    }

    #[test]
    fn numbers_drop_separators_and_parameters() {
        assert_eq!(
            number("tel:+86-138.(0)1;phone-context=x").as_deref(),
            Some("+8613801")
        );
        assert_eq!(number("sip:+861@ims"), None);
        assert_eq!(number("+"), None);
        assert!(same_user("tel:+8613800000001", "+8613800000001"));
        assert!(!same_user("tel:+8613800000001", "tel:+8613800000002"));
        assert!(same_user("alice", "alice") && !same_user("alice", "bob"));
    }

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
