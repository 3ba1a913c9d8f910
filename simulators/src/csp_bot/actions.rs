//! The chatbot server's actions that do not depend on its developer-API family: the billing
//! export query, what the callbacks said, and waiting for one (contracts §G).
//!
//! - `query-cdrs { filters: { record_type: A2P_MT, … } }`: `GET /billing/v1/cdrs?…` on the MaaP
//!   (protocols.md §10.3); values `status`, `count`, `chargeable`, and `cdrs.<n>.<field>`.
//! - `callbacks { kind? }`: values `count`, `last.kind`, `last.postback`, `last.message-id`,
//!   `last.status`, `last.sender`, `last.contribution-id`, `replies` (auto-replies sent) and
//!   `last-reply.<value>` (what the last auto-reply's `send` reported, or `last-reply.error`).
//! - `wait-callback { kind, postback?, status?, message-id?, within? }`: waits (2 s by default)
//!   for a callback that no earlier wait matched, received before the step or during it; no
//!   such callback within the time is an error of the action.
//!
//! Actions report; they never judge. Cases judge the wire (`http:` expectations at the bot).

use std::sync::Arc;
use std::time::Duration;

use rcs_harness::agent::{ActionOutput, ActionSpec};
use rcs_harness::role::RoleKind;
use rcs_proto::http::RequestBuilder;
use serde_json::{Map, Value};

use super::core::{BotCore, Callback, CallbackKind, lock};
use super::settings::{duration, is_placeholder};

/// How long `wait-callback` waits unless told.
const DEFAULT_WITHIN: Duration = Duration::from_secs(2);

/// Largest CDR export read back, in records, into action values.
const MAX_CDR_VALUES: usize = 64;

pub(crate) const ACTIONS: &[ActionSpec] = &[
    action(
        "query-cdrs",
        "GET /billing/v1/cdrs on the MaaP with the given filters (the billing records, §10.3)",
    ),
    action(
        "callbacks",
        "report the callbacks received so far (count, last.kind, last.postback, last.status…)",
    ),
    action(
        "wait-callback",
        "wait for a callback of a kind (and postback, status or message id) to arrive",
    ),
];

const fn action(name: &'static str, description: &'static str) -> ActionSpec {
    ActionSpec {
        kind: RoleKind::CspBot,
        name,
        description,
    }
}

/// Checks the parameters of a generic action; None when `action` is not one.
pub(crate) fn check(action: &str, params: &Map<String, Value>) -> Option<Result<(), String>> {
    let allowed: &[&str] = match action {
        "query-cdrs" => &["filters"],
        "callbacks" => &["kind"],
        "wait-callback" => &["kind", "postback", "status", "message-id", "within"],
        _ => return None,
    };
    Some(check_params(action, params, allowed))
}

fn check_params(action: &str, params: &Map<String, Value>, allowed: &[&str]) -> Result<(), String> {
    if let Some(unknown) = params.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(format!(
            "`{action}` takes no `{unknown}` (it takes: {})",
            allowed.join(", ")
        ));
    }
    if let Some(filters) = params.get("filters") {
        filters_of(filters)?;
    }
    let text = |key: &str| params.get(key).and_then(Value::as_str);
    if let Some(kind) = text("kind").filter(|k| !is_placeholder(k)) {
        CallbackKind::parse(kind)?;
    }
    if let Some(within) = text("within").filter(|w| !is_placeholder(w)) {
        duration(within)?;
    }
    if action == "wait-callback" && !params.contains_key("kind") {
        return Err("`wait-callback` needs `kind`".to_owned());
    }
    Ok(())
}

/// Performs a generic action; None when `action` is not one.
pub(crate) async fn act(
    core: &Arc<BotCore>,
    action: &str,
    params: &Map<String, Value>,
) -> Option<Result<ActionOutput, String>> {
    let checked = check(action, params)?;
    Some(match checked {
        Err(err) => Err(err),
        Ok(()) => match action {
            "query-cdrs" => query_cdrs(core, params).await,
            "callbacks" => callbacks(core, params),
            _ => wait_callback(core, params).await,
        },
    })
}

/// `filters` as (name, value) pairs; numbers and booleans as their JSON text.
fn filters_of(value: &Value) -> Result<Vec<(String, String)>, String> {
    let Value::Object(map) = value else {
        return Err("`filters` must map CDR fields to values".to_owned());
    };
    map.iter()
        .map(|(name, value)| match value {
            Value::String(s) => Ok((name.clone(), s.clone())),
            Value::Number(_) | Value::Bool(_) => Ok((name.clone(), value.to_string())),
            other => Err(format!(
                "filter `{name}` must be a string or number, not {other}"
            )),
        })
        .collect()
}

/// Percent-encodes a query component (RFC 3986 2.1): unreserved characters stay.
pub(crate) fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

async fn query_cdrs(
    core: &Arc<BotCore>,
    params: &Map<String, Value>,
) -> Result<ActionOutput, String> {
    let filters = match params.get("filters") {
        Some(value) => filters_of(value)?,
        None => Vec::new(),
    };
    let query: Vec<String> = filters
        .iter()
        .map(|(k, v)| format!("{}={}", query_escape(k), query_escape(v)))
        .collect();
    let mut target = "/billing/v1/cdrs".to_owned();
    if !query.is_empty() {
        target = format!("{target}?{}", query.join("&"));
    }
    let addr = core.maap_addr()?;
    let request = RequestBuilder::new("GET", &target)
        .header("Host", &addr.to_string())
        .header("Accept", "application/json")
        .build()
        .map_err(|err| format!("build the CDR query: {err}"))?;
    let response = core.to_maap(&request).await?;
    let mut out = ActionOutput::default();
    out.values
        .insert("status".to_owned(), response.status().to_string());
    if response.status() != 200 {
        out.summary = format!("CDR query answered {}", response.status());
        return Ok(out);
    }
    let doc: Value = serde_json::from_slice(response.body())
        .map_err(|err| format!("read the CDR export: {err}"))?;
    for key in ["count", "chargeable"] {
        if let Some(v) = doc.get(key) {
            out.values.insert(key.to_owned(), text_of(v));
        }
    }
    let cdrs = doc.get("cdrs").and_then(Value::as_array);
    for (n, cdr) in cdrs.into_iter().flatten().take(MAX_CDR_VALUES).enumerate() {
        for (field, value) in cdr.as_object().into_iter().flatten() {
            out.values
                .insert(format!("cdrs.{n}.{field}"), text_of(value));
        }
    }
    out.summary = format!(
        "{} CDRs, {} chargeable",
        out.values.get("count").map_or("?", String::as_str),
        out.values.get("chargeable").map_or("?", String::as_str)
    );
    Ok(out)
}

/// A JSON value as action text: strings as is, others as JSON.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn callbacks(core: &Arc<BotCore>, params: &Map<String, Value>) -> Result<ActionOutput, String> {
    let kind = params
        .get("kind")
        .and_then(Value::as_str)
        .map(CallbackKind::parse)
        .transpose()?;
    let all = core.callbacks();
    let chosen: Vec<&Callback> = all
        .iter()
        .filter(|c| kind.is_none_or(|k| c.kind == k))
        .collect();
    let mut out = ActionOutput::default();
    out.values
        .insert("count".to_owned(), chosen.len().to_string());
    if let Some(last) = chosen.last() {
        describe(&mut out, "last", last);
    }
    let replies = lock(&core.replies);
    out.values
        .insert("replies".to_owned(), replies.len().to_string());
    match replies.last() {
        Some(Ok(sent)) => {
            for (key, value) in &sent.values {
                out.values
                    .insert(format!("last-reply.{key}"), value.clone());
            }
        }
        Some(Err(err)) => {
            out.values
                .insert("last-reply.error".to_owned(), err.clone());
        }
        None => {}
    }
    out.summary = format!("{} callbacks, {} auto-replies", chosen.len(), replies.len());
    Ok(out)
}

/// Puts a callback's fields into `out` as `<prefix>.<field>`.
fn describe(out: &mut ActionOutput, prefix: &str, callback: &Callback) {
    let mut put = |field: &str, value: Option<&str>| {
        if let Some(value) = value {
            out.values
                .insert(format!("{prefix}.{field}"), value.to_owned());
        }
    };
    put("kind", Some(callback.kind.as_str()));
    put("postback", callback.postback.as_deref());
    put("message-id", callback.message_id.as_deref());
    put("status", callback.status.as_deref());
    put("sender", callback.sender.as_deref());
    put("contribution-id", callback.contribution_id.as_deref());
}

async fn wait_callback(
    core: &Arc<BotCore>,
    params: &Map<String, Value>,
) -> Result<ActionOutput, String> {
    let text = |key: &str| params.get(key).and_then(Value::as_str).map(str::to_owned);
    let kind = CallbackKind::parse(&text("kind").unwrap_or_default())?;
    let within = text("within")
        .map(|w| duration(&w))
        .transpose()?
        .unwrap_or(DEFAULT_WITHIN);
    let (postback, status, message_id) = (text("postback"), text("status"), text("message-id"));
    let same = |wanted: &Option<String>, got: &Option<String>| {
        wanted.is_none() || wanted.as_deref() == got.as_deref()
    };
    let wanted = |c: &Callback| {
        c.kind == kind
            && same(&postback, &c.postback)
            && same(&status, &c.status)
            && same(&message_id, &c.message_id)
    };
    let Some(found) = core.wait_for(wanted, within).await else {
        return Err(format!(
            "wait for a {} callback: none came within {within:?} ({} received)",
            kind.as_str(),
            core.callbacks().len()
        ));
    };
    let mut out = ActionOutput::default();
    describe(&mut out, "callback", &found);
    out.summary = format!("{} callback arrived", kind.as_str());
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn checks_name_the_wrong_parameter() {
        assert_eq!(check("send", &Map::new()), None);
        assert_eq!(check("callbacks", &Map::new()), Some(Ok(())));
        let err = check(
            "wait-callback",
            &params(json!({"kind": "uplink", "whithin": "2s"})),
        );
        assert!(err.unwrap().unwrap_err().contains("takes no `whithin`"));
        let err = check("wait-callback", &params(json!({"postback": "x"}))).unwrap();
        assert_eq!(err, Err("`wait-callback` needs `kind`".to_owned()));
        let err = check("query-cdrs", &params(json!({"filters": {"x": [1]}}))).unwrap();
        assert_eq!(
            err,
            Err("filter `x` must be a string or number, not [1]".to_owned())
        );
        let ok = check(
            "wait-callback",
            &params(json!({"kind": "${k}", "within": "${w}"})),
        );
        assert_eq!(ok, Some(Ok(())));
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_escape("tel:+8613800000001"), "tel%3A%2B8613800000001");
        assert_eq!(query_escape("A2P_MT"), "A2P_MT");
        assert_eq!(query_escape("分"), "%E5%88%86");
    }
}
