//! The interop matrix over network variants: `run --profile cases/profiles/networks.yaml
//! --carriers cmcc,cucc-untrusting,ctcc-no-portability` binds the NNI cases' symbols to the
//! variants, names them in the execution keys and events, and the matrix has one row and column
//! per network, with failures exactly where a case checks what a variant's quirk changes (the
//! profile's comments explain each).

mod common;

use std::path::Path;

use common::{rcs_interop, text};
use serde_json::Value;

const NETWORKS: [&str; 3] = ["cmcc", "cucc-untrusting", "ctcc-no-portability"];

fn json(path: &Path) -> Value {
    let data = std::fs::read_to_string(path).expect("read json");
    serde_json::from_str(&data).expect("valid json")
}

/// The NNI cases whose outcome under each variant the profile's comments explain; cases added
/// later are left out of the comparison.
const EXPLAINED: [&str; 9] = [
    "IWK-NNI-001",
    "IWK-NNI-002",
    "IWK-NNI-003",
    "IWK-NNI-004",
    "IWK-NNI-006",
    "IWK-NNI-007",
    "IWK-NNI-008",
    "IWK-NNI-009",
    "IWK-NNI-010",
];

/// The ids of the executions of one cell (of the explained cases) that did not pass.
fn failing(matrix: &Value, from: &str, to: &str) -> Vec<String> {
    let cell = matrix["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .find(|c| c["from"] == from && c["to"] == to)
        .unwrap_or_else(|| panic!("no cell {from} > {to}"));
    for id in EXPLAINED {
        let ran = cell["executions"]
            .as_array()
            .is_some_and(|list| list.iter().any(|e| e["id"] == id));
        assert!(ran, "{id} ran for {from} > {to}");
    }
    let mut ids: Vec<String> = cell["executions"]
        .as_array()
        .expect("executions")
        .iter()
        .filter(|e| e["verdict"] != "pass" && EXPLAINED.iter().any(|id| e["id"] == *id))
        .map(|e| e["id"].as_str().expect("id").to_owned())
        .collect();
    ids.dedup();
    ids
}

#[test]
fn the_matrix_rows_and_columns_are_the_networks_and_quirks_fail_where_checked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().to_str().expect("utf-8 path");
    let out = rcs_interop(&[
        "run",
        "--filter",
        "IWK-NNI-*",
        "--profile",
        "cases/profiles/networks.yaml",
        "--carriers",
        &NETWORKS.join(","),
        "--out",
        out_dir,
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the quirks fail cases: {stderr}"
    );
    let matrix = &json(&dir.path().join("matrix.json"))["matrix"];
    assert_eq!(matrix["rows"], serde_json::json!(NETWORKS));
    assert_eq!(matrix["columns"], serde_json::json!(NETWORKS));
    assert_eq!(
        matrix["variants"],
        serde_json::json!({"cucc-untrusting": "cucc", "ctcc-no-portability": "ctcc"})
    );
    // No two networks of one carrier meet, and each network meets the two others: six cells.
    assert_eq!(matrix["cells"].as_array().map(Vec::len), Some(6));
    // Toward an untrusting peer (b) the identity is removed and sessions are refused; from it (a)
    // no identity is asserted: IWK-NNI-001, -002 and -010 check it; -007 needs the session.
    let untrusting_b = ["IWK-NNI-001", "IWK-NNI-002", "IWK-NNI-007", "IWK-NNI-010"];
    assert_eq!(failing(matrix, "cmcc", "cucc-untrusting"), untrusting_b);
    let untrusting_a = ["IWK-NNI-001", "IWK-NNI-002", "IWK-NNI-010"];
    assert_eq!(failing(matrix, "cucc-untrusting", "cmcc"), untrusting_a);
    assert_eq!(
        failing(matrix, "cucc-untrusting", "ctcc-no-portability"),
        untrusting_a
    );
    assert_eq!(
        failing(matrix, "ctcc-no-portability", "cucc-untrusting"),
        untrusting_b
    );
    // Without a portability database only the ported-number case fails, either way round.
    assert_eq!(
        failing(matrix, "cmcc", "ctcc-no-portability"),
        ["IWK-NNI-010"]
    );
    assert_eq!(
        failing(matrix, "ctcc-no-portability", "cmcc"),
        ["IWK-NNI-010"]
    );
    let page = std::fs::read_to_string(dir.path().join("matrix.html")).expect("matrix.html");
    assert!(page.contains("network × network"), "{page}");
    assert!(page.contains("China Unicom variant"), "{page}");
    let events = std::fs::read_to_string(dir.path().join("events.jsonl")).expect("events");
    let started = events
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("event"))
        .find(|e| e["event"] == "case-started" && e["key"] == "IWK-NNI-001[cmcc>cucc-untrusting]")
        .expect("the execution names its networks");
    assert_eq!(started["networks"]["b"], "cucc-untrusting");
    assert_eq!(started["carriers"]["b"], "cucc");
    let index = std::fs::read_to_string(dir.path().join("index.html")).expect("index.html");
    assert!(index.contains("b = cucc-untrusting (cucc)"));
}

#[test]
fn an_unknown_network_is_a_usage_error_listing_the_known_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = rcs_interop(&[
        "run",
        "--filter",
        "IWK-NNI-001",
        "--profile",
        "cases/profiles/networks.yaml",
        "--carriers",
        "cmcc,cucc-trusting",
        "--out",
        dir.path().to_str().expect("utf-8 path"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr).trim(),
        "error: --carriers: unknown network `cucc-trusting` \
         (known: cmcc, cucc, ctcc, cucc-untrusting, ctcc-no-portability)"
    );
    assert!(!dir.path().join("events.jsonl").exists());
}
