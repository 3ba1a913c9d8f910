//! The interop matrix through the public API: `matrix.html` and `matrix.json` written next to
//! index.html for a run that binds carriers (none for one that does not), each cell "passed /
//! total" coloured and linking to its list of executions in index.html, checked in headless
//! Chromium when it is installed (a failure under CI when it is not).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use rcs_harness::events::{
    CaseFinished, CaseHeader, CaseStarted, Counts, Event, RoleBinding, RunFinished, RunStarted,
};
use rcs_harness::verdict::Verdict;
use rcs_reports::{EventSink, HtmlReport};
use serde_json::Value;

fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One execution: `id` bound to `carriers` (a, b), with `fault` or clean, ending in `verdict`.
struct Run<'a> {
    id: &'a str,
    carriers: &'a [&'a str],
    fault: Option<&'a str>,
    verdict: Verdict,
}

fn key(run: &Run) -> String {
    let mut key = run.id.to_owned();
    if !run.carriers.is_empty() {
        key.push_str(&format!("[{}]", run.carriers.join(">")));
    }
    if let Some(f) = run.fault {
        key.push_str(&format!("[{f}]"));
    }
    key
}

fn header(run: &Run) -> CaseHeader {
    CaseHeader {
        key: key(run),
        id: run.id.into(),
        title: format!("{} title", run.id),
        suite: "interworking".into(),
        feature: "nni".into(),
        file: format!("cases/interworking/nni/{}.yaml", run.id),
        refs: vec!["IR.90".into()],
        under_test: "gw".into(),
        under_test_kind: "peer-carrier".into(),
        fault: run.fault.map(str::to_owned),
    }
}

fn events(runs: &[Run]) -> Vec<Event> {
    let mut out = vec![Event::RunStarted(RunStarted {
        run_id: "run-matrix".into(),
        started_at: "2026-11-21T00:00:00Z".into(),
        tool_version: "0.1.0".into(),
        profile: None,
        cases: runs.iter().map(header).collect(),
        jobs: 2,
    })];
    for run in runs {
        let carriers: BTreeMap<String, String> = ["a", "b"]
            .iter()
            .zip(run.carriers)
            .map(|(s, c)| ((*s).to_owned(), (*c).to_owned()))
            .collect();
        let roles = vec![RoleBinding {
            name: "alice".into(),
            kind: "terminal".into(),
            agent: "simulator".into(),
            identity: Some("sip:+8613000000001@ims.mnc001.mcc460.3gppnetwork.org".into()),
            sip_udp: None,
            sip_tcp: None,
            sip_tls: None,
            http: None,
            carrier: run.carriers.first().map(|c| (*c).to_owned()),
        }];
        out.push(Event::CaseStarted(CaseStarted {
            key: key(run),
            header: header(run),
            roles,
            virtual_time: true,
            carriers,
            networks: Default::default(),
        }));
        out.push(Event::CaseFinished(CaseFinished {
            case: key(run),
            verdict: run.verdict,
            duration_ms: 12.0,
            reason: None,
        }));
    }
    out.push(Event::RunFinished(RunFinished {
        duration_ms: 31.7,
        counts: Counts::default(),
    }));
    out
}

fn write(dir: &Path, runs: &[Run]) -> Vec<PathBuf> {
    let mut report = HtmlReport::new(dir);
    for e in events(runs) {
        report.event(&e);
    }
    report.finish().unwrap()
}

const HOSTILE: &str = "<img src=x onerror=alert(1)>";

fn runs() -> Vec<Run<'static>> {
    let run = |id, carriers, fault, verdict| Run {
        id,
        carriers,
        fault,
        verdict,
    };
    vec![
        run("IWK-NNI-001", &["cmcc", "cucc"], None, Verdict::Pass),
        run("IWK-NNI-001", &["cucc", "cmcc"], None, Verdict::Pass),
        run("IWK-NNI-001", &["cmcc", "ctcc"], None, Verdict::Pass),
        run("IWK-NNI-003", &["cmcc", "cucc"], None, Verdict::Fail),
        run("IWK-NNI-003", &["cucc", "cmcc"], None, Verdict::Pass),
        run("IWK-NNI-003", &["cmcc", "ctcc"], None, Verdict::Fail),
        run(
            "IWK-NNI-001",
            &["cmcc", "cucc"],
            Some("peer-carrier.x"),
            Verdict::Fail,
        ),
        run("IWK-NNI-004", &[HOSTILE, "ctcc"], None, Verdict::Pass),
        run("PLT-MSG-001", &[], None, Verdict::Pass),
    ]
}

#[test]
fn a_run_without_carriers_writes_no_matrix() {
    let dir = out_dir("matrix-none");
    let plain = [Run {
        id: "PLT-MSG-001",
        carriers: &[],
        fault: None,
        verdict: Verdict::Pass,
    }];
    assert_eq!(write(&dir, &plain), vec![dir.join("index.html")]);
    let index = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(!index.contains("matrix.html"));
}

#[test]
fn the_matrix_page_counts_links_and_escapes() {
    let dir = out_dir("matrix-html");
    let written = write(&dir, &runs());
    assert_eq!(
        written,
        vec![
            dir.join("index.html"),
            dir.join("matrix.html"),
            dir.join("matrix.json")
        ]
    );
    let page = std::fs::read_to_string(dir.join("matrix.html")).unwrap();
    let index = std::fs::read_to_string(dir.join("index.html")).unwrap();
    for html in [&page, &index] {
        assert!(!html.contains("<img"), "carrier names are escaped");
        assert!(!html.contains("http://") && !html.contains("https://"));
    }
    assert!(
        index.contains(r#"<a href="matrix.html">"#),
        "index links the matrix"
    );
    // cmcc → cucc: IWK-NNI-001 passed, IWK-NNI-003 failed; the fault run is not counted.
    assert!(page.contains(
        r#"<td class="m-some" data-from="cmcc" data-to="cucc" data-passed="1" data-total="2"><a href="index.html#matrix-cmcc-cucc""#
    ));
    assert!(page.contains(
        r#"<td class="m-all" data-from="cucc" data-to="cmcc" data-passed="2" data-total="2">"#
    ));
    assert!(page.contains(r#"<td class="m-some" data-from="cmcc" data-to="ctcc""#));
    assert!(
        page.contains(r#"<td class="m-empty">—</td>"#),
        "no cmcc → cmcc"
    );
    assert!(
        page.contains("<dd>32 ms for the whole run</dd>"),
        "wall time"
    );
    assert!(
        page.contains("Fault runs are not counted, nor the 1 execution that binds no carrier."),
        "PLT-MSG-001 is not in the grid"
    );
    assert!(index.contains(r#"id="matrix-cmcc-cucc""#));
    let cmcc_cucc = &index[index.find(r#"id="matrix-cmcc-cucc""#).unwrap()..];
    let cmcc_cucc = &cmcc_cucc[..cmcc_cucc.find("</ul>").unwrap()];
    let anchor = rcs_reports::names::safe_name("IWK-NNI-003[cmcc>cucc]");
    assert!(
        cmcc_cucc.contains(&format!(r##"href="#case-{anchor}""##)),
        "{cmcc_cucc}"
    );
    assert!(
        !cmcc_cucc.contains("peer-carrier.x"),
        "fault runs are not in the matrix"
    );
    assert!(
        index.contains(&format!(r#"id="case-{anchor}""#)),
        "the execution has its section"
    );
    assert!(index.contains("<dt>Carriers</dt><dd>a = cmcc, b = cucc</dd>"));

    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("matrix.json")).unwrap()).unwrap();
    let m = &json["matrix"];
    assert_eq!(m["rows"][0], "cmcc");
    assert_eq!(m["columns"], serde_json::json!(["cmcc", "cucc", "ctcc"]));
    assert_eq!(
        (m["passed"].as_u64(), m["total"].as_u64()),
        (Some(5), Some(7))
    );
    assert_eq!(m["unbound"], 1);
    let cell = m["cells"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["from"] == "cmcc" && c["to"] == "cucc")
        .unwrap();
    assert_eq!(
        (cell["passed"].as_u64(), cell["total"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(cell["executions"][1]["key"], "IWK-NNI-003[cmcc>cucc]");
    assert_eq!(cell["executions"][1]["verdict"], "fail");

    if have_browser() {
        browser_checks(&dir);
    }
}

fn have_browser() -> bool {
    let found = Path::new("/usr/bin/chromium").exists();
    if !found {
        assert!(std::env::var_os("CI").is_none(), "chromium required in CI");
        eprintln!("notice: /usr/bin/chromium is not installed; skipping the browser checks");
    }
    found
}

fn chromium(page: &Path, extra: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn browser_checks(dir: &Path) {
    let dom = chromium(&dir.join("matrix.html"), &["--dump-dom"]);
    assert!(!dom.contains("<img"), "no injected element");
    assert!(!dom.contains("<script"), "the matrix page runs no script");
    // The table as the browser built it: 3 rows (cmcc, cucc, the hostile name), 3 columns.
    let table = &dom[dom.find(r#"<table class="grid matrix""#).unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    assert_eq!(
        table.matches("<tr>").count(),
        4,
        "header and 3 rows: {table}"
    );
    assert_eq!(table.matches(r#"<th scope="col""#).count(), 3);
    assert!(table.contains(">1 / 2</a>") && table.contains(">2 / 2</a>"));
    assert!(table.contains("&lt;img src=x onerror=alert(1)&gt;"));
    // Following a cell's link lands on its list in index.html, which the browser resolves.
    let index = chromium(&dir.join("index.html"), &["--dump-dom"]);
    assert!(index.contains(r#"id="matrix-cucc-cmcc""#));
    assert!(
        index.contains("IWK-NNI-003[cucc&gt;cmcc]") || index.contains("IWK-NNI-003[cucc>cmcc]")
    );
    let shot = dir.join("matrix.png");
    chromium(
        &dir.join("matrix.html"),
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1000,700",
        ],
    );
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "a real screenshot"
    );
}
