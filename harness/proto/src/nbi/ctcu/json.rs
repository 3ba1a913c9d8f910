//! Reading CT/CU JSON fields with the platform's return codes (protocols.md §8.2): an empty body
//! is `44002`, a body that is not JSON `47001`, a missing or ill-typed field `20002` naming it.

use serde_json::{Map, Value};

use super::code;
use crate::nbi::MAX_BODY;

/// A refusal: the return code and a message naming the field.
pub(crate) type Refusal = (i64, String);

pub(crate) fn bad(detail: impl Into<String>) -> Refusal {
    (code::BAD_PARAMETER, detail.into())
}

/// The body as a JSON object.
pub(crate) fn object(json: &[u8]) -> Result<Map<String, Value>, Refusal> {
    if json.iter().all(u8::is_ascii_whitespace) {
        return Err((code::EMPTY_POST, "the body is empty".into()));
    }
    if json.len() > MAX_BODY {
        return Err(bad(format!("the body exceeds {MAX_BODY} bytes")));
    }
    match serde_json::from_slice(json) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(bad("the body is not a JSON object")),
        Err(e) => Err((code::PARSE_ERROR, format!("the body is not JSON: {e}"))),
    }
}

/// The first of `names` present and not null.
pub(crate) fn field<'a>(map: &'a Map<String, Value>, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .find_map(|n| map.get(*n).filter(|v| !v.is_null()))
}

/// An optional string field, named `path` in errors.
pub(crate) fn string(
    map: &Map<String, Value>,
    names: &[&str],
    path: &str,
) -> Result<Option<String>, Refusal> {
    match field(map, names) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(format!("{path} must be a string"))),
    }
}

/// A required, non-empty string field.
pub(crate) fn required(
    map: &Map<String, Value>,
    names: &[&str],
    path: &str,
) -> Result<String, Refusal> {
    string(map, names, path)?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| bad(format!("missing {path}")))
}

/// An optional boolean, `true`/`false` or the strings `"true"`/`"false"`.
pub(crate) fn boolean(map: &Map<String, Value>, name: &str) -> Result<Option<bool>, Refusal> {
    match field(map, &[name]) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(bad(format!("{name} must be true or false"))),
    }
}

/// An array field, at most `max` long.
pub(crate) fn array<'a>(
    map: &'a Map<String, Value>,
    name: &str,
    max: usize,
) -> Result<Option<&'a Vec<Value>>, Refusal> {
    match field(map, &[name]) {
        None => Ok(None),
        Some(Value::Array(a)) if a.len() > max => {
            Err(bad(format!("{name} has more than {max} entries")))
        }
        Some(Value::Array(a)) => Ok(Some(a)),
        Some(_) => Err(bad(format!("{name} must be an array"))),
    }
}

/// An array of strings (absent: empty).
pub(crate) fn strings(
    map: &Map<String, Value>,
    name: &str,
    max: usize,
) -> Result<Vec<String>, Refusal> {
    let Some(items) = array(map, name, max)? else {
        return Ok(Vec::new());
    };
    items
        .iter()
        .enumerate()
        .map(|(n, v)| match v {
            Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
            _ => Err(bad(format!("{name}/{n} must be a non-empty string"))),
        })
        .collect()
}

/// An integer, or a string holding one (`errorCode` is seen both ways).
pub(crate) fn integer(map: &Map<String, Value>, name: &str) -> Result<Option<i64>, Refusal> {
    match field(map, &[name]) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| bad(format!("{name} must be an integer"))),
        Some(Value::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| bad(format!("{name} must be an integer"))),
        Some(_) => Err(bad(format!("{name} must be an integer"))),
    }
}

/// Inserts `value` under `name` when it is `Some`.
pub(crate) fn put<T: Into<Value>>(map: &mut Map<String, Value>, name: &str, value: Option<T>) {
    if let Some(value) = value {
        map.insert(name.to_owned(), value.into());
    }
}
