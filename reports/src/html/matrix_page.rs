//! `matrix.html` and `matrix.json`: the interop matrix of a run that binds carriers.
//!
//! The page is a grid, one row per network bound to `a`, one column per network bound to `b` (a
//! built-in carrier, or a profile's variant labelled with the carrier it varies); each
//! cell shows "passed / total", coloured (all, some or none passed), and links to the cell's list of
//! executions in index.html. `matrix.json` holds the same [`Matrix`] as `{"matrix": {...}}` for
//! tools. Both are written only when some execution bound a carrier; the page is self-contained
//! and escapes every name from the event stream (tera autoescapes the `.html` template).

use std::path::{Path, PathBuf};

use serde::Serialize;
use tera::{Context, Tera};

use crate::matrix::{Cell, Matrix};
use crate::model::{RunLog, human_duration};

const TEMPLATE: &str = include_str!("../../templates/matrix.html");

#[derive(Serialize)]
struct MatrixView<'m> {
    run_id: String,
    started_at: String,
    tool_version: String,
    /// Wall time of the whole run, when it finished.
    wall_time: Option<String>,
    passed: usize,
    total: usize,
    unbound: usize,
    has_single: bool,
    /// Some row or column is a profile's network variant.
    has_variants: bool,
    columns: Vec<Head>,
    rows: Vec<RowView<'m>>,
}

#[derive(Serialize)]
struct Head {
    short: String,
    name: String,
}

#[derive(Serialize)]
struct RowView<'m> {
    short: String,
    name: String,
    cells: Vec<Option<&'m Cell>>,
}

fn head(matrix: &Matrix, short: &str) -> Head {
    Head {
        short: short.to_owned(),
        name: if short == crate::matrix::NO_TERMINATING {
            "a only".to_owned()
        } else {
            matrix.network_name(short)
        },
    }
}

/// The matrix page for `matrix`, a run of `log`.
pub fn render(log: &RunLog, matrix: &Matrix, style: &str) -> Result<String, String> {
    let started = log.started.as_ref();
    let view = MatrixView {
        run_id: started.map(|s| s.run_id.clone()).unwrap_or_default(),
        started_at: started.map(|s| s.started_at.clone()).unwrap_or_default(),
        tool_version: started.map(|s| s.tool_version.clone()).unwrap_or_default(),
        wall_time: log.finished.as_ref().map(|f| human_duration(f.duration_ms)),
        passed: matrix.passed,
        total: matrix.total,
        unbound: matrix.unbound,
        has_single: matrix
            .columns
            .iter()
            .any(|c| c == crate::matrix::NO_TERMINATING),
        has_variants: !matrix.variants.is_empty(),
        columns: matrix.columns.iter().map(|c| head(matrix, c)).collect(),
        rows: matrix
            .rows
            .iter()
            .map(|from| RowView {
                short: from.clone(),
                name: matrix.network_name(from),
                cells: matrix
                    .columns
                    .iter()
                    .map(|to| matrix.cell(from, to))
                    .collect(),
            })
            .collect(),
    };
    let mut tera = Tera::new();
    tera.add_raw_template("matrix.html", TEMPLATE)
        .map_err(|e| format!("failed to load the matrix template: {e}"))?;
    let mut context = Context::new();
    context.insert("view", &view);
    context.insert("style", style);
    tera.render("matrix.html", &context)
        .map_err(|e| format!("failed to render the matrix page: {e}"))
}

/// Write `matrix.html` and `matrix.json` into `dir`; the paths written.
pub fn write(
    dir: &Path,
    log: &RunLog,
    matrix: &Matrix,
    style: &str,
) -> Result<Vec<PathBuf>, String> {
    let html = render(log, matrix, style)?;
    let page = dir.join("matrix.html");
    std::fs::write(&page, html).map_err(|e| format!("failed to write {}: {e}", page.display()))?;
    let json = serde_json::to_string_pretty(&serde_json::json!({ "matrix": matrix }))
        .map_err(|e| format!("failed to write the matrix as JSON: {e}"))?;
    let data = dir.join("matrix.json");
    std::fs::write(&data, json).map_err(|e| format!("failed to write {}: {e}", data.display()))?;
    Ok(vec![page, data])
}
