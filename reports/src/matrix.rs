//! The interop matrix: how a run went between each pair of carriers (or networks).
//!
//! A case whose roles name carrier symbols runs once per binding of its symbols to carriers
//! (`IWK-NNI-001[cmcc>cucc]`, protocols.md §13.3), or to a profile's network variants of them
//! (`IWK-NNI-001[cmcc>cucc-untrusting]`). [`Matrix::of`] folds those executions into a grid: rows
//! are the network bound to `a` (the originating network), columns the network bound to `b` (the
//! terminating network), each cell the executions of that pair and how many passed; a built-in
//! carrier is the network named after it. A case that binds `a` only lands in the `-` column. Fault runs are left out: they test the suite, not
//! the carriers. It does not judge anything; the verdicts are the cases'.

use std::collections::BTreeMap;

use rcs_harness::role::Carrier;
use rcs_harness::verdict::Verdict;
use serde::Serialize;

use crate::model::RunLog;
use crate::names::safe_name;

/// Column of the executions that bind `a` but not `b`.
pub const NO_TERMINATING: &str = "-";

/// The matrix of one run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Matrix {
    /// Networks bound to `a`, by carrier (cmcc, cucc, ctcc), each built-in before its variants.
    pub rows: Vec<String>,
    /// Networks bound to `b`, in the same order; `-` last when some case binds `a` only.
    pub columns: Vec<String>,
    /// Each variant network of the rows and columns, with the carrier it is a variant of; empty
    /// when every network is a built-in carrier.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub variants: BTreeMap<String, String>,
    /// The cells that hold executions, row by row.
    pub cells: Vec<Cell>,
    pub passed: usize,
    pub total: usize,
    /// Clean executions of the run that bind no carrier to `a`, so are not in the grid.
    pub unbound: usize,
}

/// The executions of one pair of networks.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cell {
    /// Network bound to `a`.
    pub from: String,
    /// Network bound to `b`, or `-`.
    pub to: String,
    pub passed: usize,
    pub total: usize,
    /// `all`, `some` or `none` passed.
    pub outcome: &'static str,
    /// Id of the cell's list of executions in index.html.
    pub anchor: String,
    pub executions: Vec<Entry>,
}

/// One execution in a cell.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Entry {
    pub key: String,
    pub id: String,
    pub title: String,
    pub verdict: &'static str,
    /// Id of the case's section in index.html, without the `case-` prefix.
    pub anchor: String,
}

impl Matrix {
    /// The matrix of `log`, or `None` when no clean execution bound a carrier to `a`.
    pub fn of(log: &RunLog) -> Option<Self> {
        let mut cells: BTreeMap<(String, String), Vec<(Entry, bool)>> = BTreeMap::new();
        let mut variants = BTreeMap::new();
        let mut unbound = 0;
        for case in log.executed().filter(|c| c.header.fault.is_none()) {
            for (symbol, network) in &case.networks {
                match case.carriers.get(symbol) {
                    Some(carrier) if carrier != network => {
                        variants.insert(network.clone(), carrier.clone());
                    }
                    _ => {}
                }
            }
            let network = |s: &str| case.networks.get(s).or_else(|| case.carriers.get(s));
            let Some(from) = network("a") else {
                unbound += 1;
                continue;
            };
            let to = network("b").map_or(NO_TERMINATING, String::as_str);
            let h = &case.header;
            let verdict = case.verdict();
            let entry = Entry {
                key: h.key.clone(),
                id: h.id.clone(),
                title: h.title.clone(),
                verdict: verdict.as_str(),
                anchor: safe_name(&h.key),
            };
            cells
                .entry((from.clone(), to.to_owned()))
                .or_default()
                .push((entry, verdict == Verdict::Pass));
        }
        if cells.is_empty() {
            return None;
        }
        let rows = ordered(cells.keys().map(|(from, _)| from.as_str()), &variants);
        let columns = ordered(cells.keys().map(|(_, to)| to.as_str()), &variants);
        let mut out: Vec<Cell> = cells
            .into_iter()
            .map(|((from, to), entries)| cell(from, to, entries))
            .collect();
        out.sort_by_key(|c| (position(&rows, &c.from), position(&columns, &c.to)));
        Some(Self {
            passed: out.iter().map(|c| c.passed).sum(),
            total: out.iter().map(|c| c.total).sum(),
            rows,
            columns,
            variants,
            cells: out,
            unbound,
        })
    }

    /// The cell of `from` (bound to `a`) and `to` (bound to `b`), if it holds executions.
    pub fn cell(&self, from: &str, to: &str) -> Option<&Cell> {
        self.cells.iter().find(|c| c.from == from && c.to == to)
    }
}

fn cell(from: String, to: String, entries: Vec<(Entry, bool)>) -> Cell {
    let total = entries.len();
    let passed = entries.iter().filter(|(_, pass)| *pass).count();
    let outcome = match passed {
        p if p == total => "all",
        0 => "none",
        _ => "some",
    };
    Cell {
        anchor: safe_name(&format!("matrix-{from}-{to}")),
        from,
        to,
        passed,
        total,
        outcome,
        executions: entries.into_iter().map(|(e, _)| e).collect(),
    }
}

/// Known carriers in their order (cmcc, cucc, ctcc), each followed by its variants sorted by
/// name, then any other name sorted, then `-`.
fn ordered<'a>(
    names: impl Iterator<Item = &'a str>,
    variants: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut out: Vec<String> = names.map(str::to_owned).collect();
    out.sort_by_key(|n| sort_key(n, variants));
    out.dedup();
    out
}

fn sort_key(name: &str, variants: &BTreeMap<String, String>) -> (usize, bool, String) {
    let carrier = variants.get(name).map_or(name, String::as_str);
    let rank = match carrier.parse::<Carrier>() {
        Ok(c) => Carrier::ALL.iter().position(|k| *k == c).unwrap_or(0),
        Err(_) if name == NO_TERMINATING => Carrier::ALL.len() + 1,
        Err(_) => Carrier::ALL.len(),
    };
    (rank, carrier != name, name.to_owned())
}

fn position(list: &[String], name: &str) -> usize {
    list.iter().position(|n| n == name).unwrap_or(usize::MAX)
}

/// The full name of a carrier short name (`China Mobile` for `cmcc`); other names as they are.
pub fn carrier_name(short: &str) -> String {
    short
        .parse::<Carrier>()
        .map_or_else(|_| short.to_owned(), |c| c.name().to_owned())
}

impl Matrix {
    /// What a row or column is: a carrier's full name, `China Unicom variant` for a variant of
    /// cucc, other names as they are.
    pub fn network_name(&self, short: &str) -> String {
        match self.variants.get(short) {
            Some(carrier) => format!("{} variant", carrier_name(carrier)),
            None => carrier_name(short),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::tests::header;
    use rcs_harness::events::{CaseFinished, CaseStarted, Event};

    /// Log one execution of `id` with `carriers` (`a`, then `b`) and `verdict`.
    pub(crate) fn execution(
        log: &mut RunLog,
        id: &str,
        carriers: &[&str],
        fault: Option<&str>,
        verdict: Verdict,
    ) {
        let mut key = id.to_owned();
        if !carriers.is_empty() {
            key.push_str(&format!("[{}]", carriers.join(">")));
        }
        if let Some(f) = fault {
            key.push_str(&format!("[{f}]"));
        }
        let mut h = header(&key, "interworking");
        h.id = id.into();
        h.fault = fault.map(str::to_owned);
        let bound = ["a", "b", "c"]
            .iter()
            .zip(carriers)
            .map(|(s, c)| ((*s).to_owned(), (*c).to_owned()))
            .collect();
        log.apply(&Event::CaseStarted(CaseStarted {
            key: key.clone(),
            header: h,
            roles: vec![],
            virtual_time: true,
            carriers: bound,
            networks: Default::default(),
        }));
        log.apply(&Event::CaseFinished(CaseFinished {
            case: key,
            verdict,
            duration_ms: 1.0,
            reason: None,
        }));
    }

    #[test]
    fn a_run_without_bindings_has_no_matrix() {
        let mut log = RunLog::new();
        execution(&mut log, "PLT-MSG-001", &[], None, Verdict::Pass);
        assert_eq!(Matrix::of(&log), None);
    }

    #[test]
    fn cells_count_clean_executions_per_pair() {
        let mut log = RunLog::new();
        execution(
            &mut log,
            "IWK-NNI-001",
            &["ctcc", "cmcc"],
            None,
            Verdict::Pass,
        );
        execution(
            &mut log,
            "IWK-NNI-001",
            &["cmcc", "cucc"],
            None,
            Verdict::Pass,
        );
        execution(
            &mut log,
            "IWK-NNI-003",
            &["cmcc", "cucc"],
            None,
            Verdict::Fail,
        );
        execution(
            &mut log,
            "IWK-NNI-003",
            &["ctcc", "cmcc"],
            None,
            Verdict::Fail,
        );
        execution(
            &mut log,
            "IWK-NNI-009",
            &["cmcc", "cucc"],
            None,
            Verdict::Pass,
        );
        execution(
            &mut log,
            "IWK-NNI-001",
            &["cmcc", "cucc"],
            Some("gw.x"),
            Verdict::Fail,
        );
        execution(&mut log, "IWK-BOT-002", &["cucc"], None, Verdict::Skip);
        execution(&mut log, "PLT-MSG-001", &[], None, Verdict::Pass);
        let m = Matrix::of(&log).unwrap();
        assert_eq!(m.rows, ["cmcc", "cucc", "ctcc"]);
        assert_eq!(m.columns, ["cmcc", "cucc", "-"]);
        let pair = m.cell("cmcc", "cucc").unwrap();
        assert_eq!((pair.passed, pair.total, pair.outcome), (2, 3, "some"));
        let keys: Vec<&str> = pair.executions.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "IWK-NNI-001[cmcc>cucc]",
                "IWK-NNI-003[cmcc>cucc]",
                "IWK-NNI-009[cmcc>cucc]"
            ]
        );
        assert_eq!(pair.anchor, "matrix-cmcc-cucc");
        assert_eq!(pair.executions[1].verdict, "fail");
        assert_eq!(
            pair.executions[0].anchor,
            safe_name("IWK-NNI-001[cmcc>cucc]")
        );
        let back = m.cell("ctcc", "cmcc").unwrap();
        assert_eq!((back.passed, back.total, back.outcome), (1, 2, "some"));
        let alone = m.cell("cucc", "-").unwrap();
        assert_eq!((alone.passed, alone.total, alone.outcome), (0, 1, "none"));
        assert_eq!(m.cell("cucc", "cmcc"), None);
        assert_eq!((m.passed, m.total, m.unbound), (3, 6, 1));
        let order: Vec<(&str, &str)> = m
            .cells
            .iter()
            .map(|c| (c.from.as_str(), c.to.as_str()))
            .collect();
        assert_eq!(order, [("cmcc", "cucc"), ("cucc", "-"), ("ctcc", "cmcc")]);
    }

    #[test]
    fn names_from_the_stream_are_ordered_and_anchored_safely() {
        let mut log = RunLog::new();
        execution(&mut log, "IWK-X-001", &["<x>", "ctcc"], None, Verdict::Pass);
        execution(
            &mut log,
            "IWK-X-001",
            &["cucc", "ctcc"],
            None,
            Verdict::Pass,
        );
        let m = Matrix::of(&log).unwrap();
        assert_eq!(m.rows, ["cucc", "<x>"]);
        let odd = m.cell("<x>", "ctcc").unwrap();
        assert_eq!(odd.outcome, "all");
        assert!(
            odd.anchor
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
            "{}",
            odd.anchor
        );
        assert_eq!(carrier_name("cucc"), "China Unicom");
        assert_eq!(carrier_name("<x>"), "<x>");
    }
    #[test]
    fn variants_are_rows_and_columns_after_their_carrier() {
        let mut log = RunLog::new();
        let mut variant = |networks: [&str; 2], carriers: [&str; 2], verdict| {
            let key = format!("IWK-NNI-001[{}]", networks.join(">"));
            let mut h = header(&key, "interworking");
            h.id = "IWK-NNI-001".into();
            let map = |names: [&str; 2]| {
                ["a", "b"]
                    .iter()
                    .zip(names)
                    .map(|(s, n)| ((*s).to_owned(), n.to_owned()))
                    .collect()
            };
            log.apply(&Event::CaseStarted(CaseStarted {
                key: key.clone(),
                header: h,
                roles: vec![],
                virtual_time: true,
                carriers: map(carriers),
                networks: map(networks),
            }));
            log.apply(&Event::CaseFinished(CaseFinished {
                case: key,
                verdict,
                duration_ms: 1.0,
                reason: None,
            }));
        };
        let untrusting = "cucc-untrusting";
        variant(["cmcc", untrusting], ["cmcc", "cucc"], Verdict::Pass);
        variant([untrusting, "cmcc"], ["cucc", "cmcc"], Verdict::Fail);
        variant([untrusting, "ctcc"], ["cucc", "ctcc"], Verdict::Fail);
        variant(["cucc", "ctcc"], ["cucc", "ctcc"], Verdict::Pass);
        let m = Matrix::of(&log).unwrap();
        assert_eq!(m.rows, ["cmcc", "cucc", untrusting]);
        assert_eq!(m.columns, ["cmcc", untrusting, "ctcc"]);
        assert_eq!(m.variants[untrusting], "cucc");
        assert_eq!(m.variants.len(), 1);
        let cell = m.cell(untrusting, "cmcc").unwrap();
        assert_eq!((cell.passed, cell.total, cell.outcome), (0, 1, "none"));
        assert_eq!(cell.executions[0].key, "IWK-NNI-001[cucc-untrusting>cmcc]");
        assert_eq!(m.network_name(untrusting), "China Unicom variant");
        assert_eq!(m.network_name("ctcc"), "China Telecom");
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["variants"][untrusting], "cucc");
    }
}
