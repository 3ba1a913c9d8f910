//! The JSON Schema of the case format, for editor completion (`cases/case.schema.json`).

use crate::case::raw::RawCase;

/// The schema as pretty JSON. A test keeps the committed copy in `cases/` up to date.
pub fn case_schema_json() -> String {
    let schema = schemars::schema_for!(RawCase);
    serde_json::to_string_pretty(&schema).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Editors read `cases/case.schema.json`: it must be what the loader accepts today.
    /// Regenerate with `cargo run -- schema > cases/case.schema.json`.
    #[test]
    fn committed_schema_is_current() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../cases/case.schema.json");
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            committed,
            case_schema_json(),
            "cases/case.schema.json is stale: run `cargo run -- schema > cases/case.schema.json`"
        );
    }

    #[test]
    fn schema_names_the_top_level_keys() {
        let v: serde_json::Value = serde_json::from_str(&case_schema_json()).unwrap();
        let props = v["properties"].as_object().unwrap();
        for key in [
            "id",
            "title",
            "suite",
            "under-test",
            "refs",
            "roles",
            "steps",
            "detects",
        ] {
            assert!(props.contains_key(key), "schema lacks `{key}`");
        }
        assert_eq!(v["additionalProperties"], serde_json::Value::Bool(false));
    }
}
