//! Tests of the chatbot content codecs and validators. Each rule of the tables of
//! protocols.md §7.3-§7.5 has a passing vector (the base documents, valid under both limits)
//! and a failing one (a base document with one member changed), and the failing one must give
//! exactly the expected error.

mod compose;
mod content;
mod menu;
mod message;
mod response;
mod spam;
mod suggestions;

use serde_json::Value;

use super::{BotError, Limits};

/// A copy of `doc` with the member at `pointer` set to `value`, or removed when `value` is None.
/// The parent must exist; a new member is added at the end of an object.
pub(super) fn with(doc: &Value, pointer: &str, value: Option<Value>) -> Value {
    let mut out = doc.clone();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let key = key.replace("~1", "/").replace("~0", "~");
    match (out.pointer_mut(parent).unwrap(), value) {
        (Value::Object(map), Some(v)) => {
            map.insert(key, v);
        }
        (Value::Object(map), None) => {
            map.remove(&key).unwrap();
        }
        (Value::Array(items), Some(v)) => match key.parse::<usize>().unwrap() {
            i if i == items.len() => items.push(v),
            i => items[i] = v,
        },
        (Value::Array(items), None) => {
            items.remove(key.parse::<usize>().unwrap());
        }
        (other, _) => panic!("{parent} is {other}"),
    }
    out
}

/// The errors as "pointer: detail" strings.
pub(super) fn texts(errors: Vec<BotError>) -> Vec<String> {
    errors.iter().map(BotError::to_string).collect()
}

/// Asserts that `validate` finds exactly `expected` under both limits.
#[track_caller]
pub(super) fn fails(validate: fn(&Value, Limits) -> Vec<BotError>, doc: &Value, expected: &str) {
    for limits in [Limits::Gsma, Limits::China] {
        assert_eq!(
            texts(validate(doc, limits)),
            [expected],
            "{limits:?}: {doc}"
        );
    }
}

/// Asserts that `validate` finds nothing under both limits.
#[track_caller]
pub(super) fn passes(validate: fn(&Value, Limits) -> Vec<BotError>, doc: &Value) {
    for limits in [Limits::Gsma, Limits::China] {
        assert_eq!(
            texts(validate(doc, limits)),
            Vec::<String>::new(),
            "{limits:?}: {doc}"
        );
    }
}

/// A string of `n` copies of `c`.
pub(super) fn chars(c: char, n: usize) -> Value {
    Value::String(std::iter::repeat_n(c, n).collect())
}

#[test]
fn pointers_escape_tilde_and_slash() {
    let doc = serde_json::json!({ "suggestions": [], "a/b~c": 1 });
    let errors = texts(super::validate_suggestions(&doc, Limits::Gsma));
    assert_eq!(
        errors,
        [
            "/a~1b~0c: unknown member, the schema allows no others",
            "/suggestions: 0 suggestions, at least 1"
        ]
    );
}
