//! `http:` expectations judged end to end through the runner, with a stand-in terminal that puts
//! a file upload (multipart POST, file-info answer) and a ranged download (GET, 206) on the wire.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rcs_proto::http::{RequestBuilder, ResponseBuilder, form};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::agent::{
    ActionOutput, ActionSpec, Agent, AgentError, AgentFactory, AgentSpec, BoxFuture, Endpoints,
    FaultSpec, WireTap,
};
use crate::case::parse_case;
use crate::clock::Clock;
use crate::events::{CheckOutcome, Direction, Event, EventSink, Protocol, Transport, Wire};
use crate::plan::{Faults, plan};
use crate::role::RoleKind;
use crate::runner::{RunOptions, run_all};
use crate::verdict::Verdict;

const FILE: &[u8] = b"0123456789abcdefghij";
const URL: &str = "http://127.0.0.1:8080/f/2";

struct Factory;

struct Terminal {
    tap: WireTap,
}

impl AgentFactory for Factory {
    fn faults(&self) -> Vec<FaultSpec> {
        Vec::new()
    }
    fn actions(&self) -> Vec<ActionSpec> {
        vec![ActionSpec {
            kind: RoleKind::Terminal,
            name: "transfer",
            description: "upload a file and download it back; `corrupt: true` alters the download",
        }]
    }
    fn check_action(&self, _: RoleKind, _: &str, _: &Map<String, Value>) -> Result<(), String> {
        Ok(())
    }
    fn check_settings(&self, _: RoleKind, _: &Map<String, Value>) -> Result<(), String> {
        Ok(())
    }
    fn start<'a>(
        &'a self,
        _: AgentSpec,
        tap: WireTap,
        _: Clock,
    ) -> BoxFuture<'a, Result<Box<dyn Agent>, AgentError>> {
        Box::pin(async move { Ok(Box::new(Terminal { tap }) as Box<dyn Agent>) })
    }
}

/// The four messages of an upload and a download, as (direction, bytes) seen by the terminal.
pub(crate) fn transfer(corrupt: bool) -> Vec<(Direction, Vec<u8>)> {
    let parts = [
        form::field("tid", None, "f81d4fae"),
        form::file("File", "notes.txt", "text/plain", FILE.to_vec()),
    ];
    let (content_type, body) = form::build(&parts, "QmFzZTY0");
    let post = RequestBuilder::new("POST", "/upload?tid=f81d4fae")
        .header("Host", "127.0.0.1:8080")
        .header("Content-Type", &content_type)
        .body(body)
        .to_bytes();
    let info = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><file xmlns="urn:gsma:params:xml:ns:rcs:rcs:fthttp"><file-info type="file"><file-size>{}</file-size><content-type>text/plain</content-type><data url="{URL}" until="2026-12-01T10:00:00Z"/></file-info></file>"#,
        FILE.len()
    );
    let ok = ResponseBuilder::new(200, "OK")
        .header("Content-Type", "application/vnd.gsma.rcs-ft-http+xml")
        .body(info.into_bytes())
        .to_bytes();
    let get = RequestBuilder::new("GET", "/f/2")
        .header("Host", "127.0.0.1:8080")
        .header("Range", "bytes=0-")
        .to_bytes();
    let mut content = FILE.to_vec();
    if corrupt && let Some(b) = content.last_mut() {
        *b = b'!';
    }
    let partial = ResponseBuilder::new(206, "Partial Content")
        .header("Content-Range", &format!("bytes 0-19/{}", FILE.len()))
        .header("Content-Location", URL)
        .body(content)
        .chunked(8)
        .to_bytes();
    vec![
        (Direction::Out, post.to_vec()),
        (Direction::In, ok.to_vec()),
        (Direction::Out, get.to_vec()),
        (Direction::In, partial.to_vec()),
    ]
}

impl Agent for Terminal {
    fn endpoints(&self) -> Endpoints {
        Endpoints::default()
    }

    fn act<'a>(
        &'a self,
        _: &'a str,
        params: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<ActionOutput, AgentError>> {
        Box::pin(async move {
            let corrupt = params.get("corrupt").and_then(Value::as_bool) == Some(true);
            let (ue, cs) = (
                "127.0.0.1:40001".parse().unwrap(),
                "127.0.0.1:8080".parse().unwrap(),
            );
            for (direction, bytes) in transfer(corrupt) {
                let (src, dst) = match direction {
                    Direction::Out => (ue, cs),
                    Direction::In => (cs, ue),
                };
                self.tap
                    .record(direction, Transport::Tcp, Protocol::Http, src, dst, &bytes);
            }
            let mut out = ActionOutput::default();
            out.values
                .insert("sent.sha256".into(), hex::encode(Sha256::digest(FILE)));
            Ok(out)
        })
    }

    fn shutdown(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<Event>>>);

impl EventSink for Collect {
    fn event(&mut self, event: &Event) {
        self.0.lock().unwrap().push(event.clone());
    }
    fn finish(&mut self) -> Result<Vec<std::path::PathBuf>, String> {
        Ok(Vec::new())
    }
}

const STEPS: &str = r#"  - expect:
      at: alice
      http: POST
      direction: out
      rule: RCC.07 3.2.5.2
      where: [{ query: tid, equals: f81d4fae }]
      checks:
        - { form: File.filename, equals: notes.txt, rule: RFC 7578 4.2 }
        - { form: File.sha256, equals: "${alice.sent.sha256}", rule: RCC.07 3.2.5.2 }
  - expect:
      at: alice
      http: 2xx
      rule: RCC.07 3.2.5.2
      checks:
        - { header: Content-Type, equals: application/vnd.gsma.rcs-ft-http+xml, rule: RCC.07 3.2.5.2 }
        - { xml: file-info/file-size, equals: 20, rule: RCC.07 3.2.5.2 }
      save: { url: { xml: "file-info[@type=file]/data/@url" } }
  - expect: { at: alice, http: GET, direction: out, rule: RFC 9110 14.2, checks: [{ header: Range, equals: bytes=0-, rule: RFC 9110 14.2 }] }
  - expect:
      at: alice
      http: "206"
      rule: RFC 9110 15.3.7
      checks:
        - { header: Content-Location, equals: "${url}", rule: RFC 9110 8.7 }
        - { message: sha256, equals: "${alice.sent.sha256}", rule: RCC.07 3.2.5.3 }
"#;

async fn run(corrupt: bool) -> (Verdict, Vec<CheckOutcome>, Vec<Wire>) {
    let source = format!(
        "id: T-1\ntitle: t\nsuite: platform\nunder-test: mc\nrefs: [RCC.07 3.2.5]\nroles: {{ alice: terminal, mc: message-center }}\nsteps:\n  - alice: {{ transfer: {{ corrupt: {corrupt} }} }}\n{STEPS}"
    );
    let case = Arc::new(parse_case(Path::new("T-1.yaml"), &source, &Factory).unwrap());
    let executions = plan(&[case], None, &Faults::None);
    let mut sink = Collect::default();
    let options = RunOptions {
        jobs: 1,
        ..RunOptions::default()
    };
    run_all(executions, Arc::new(Factory), None, &options, &mut sink).await;
    let events = sink.0.lock().unwrap().clone();
    let verdict = events.iter().find_map(|e| match e {
        Event::CaseFinished(f) => Some(f.verdict),
        _ => None,
    });
    let checks = events
        .iter()
        .filter_map(|e| match e {
            Event::Check(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    let wires = events
        .into_iter()
        .filter_map(|e| match e {
            Event::Wire(w) => Some(w),
            _ => None,
        })
        .collect();
    (verdict.unwrap(), checks, wires)
}

#[tokio::test]
async fn an_upload_and_a_ranged_download_are_judged_with_saved_values() {
    let (verdict, checks, wires) = run(false).await;
    assert_eq!(verdict, Verdict::Pass, "{checks:#?}");
    assert_eq!(checks.len(), 11);
    assert!(checks.iter().all(|c| c.passed));
    let summaries: Vec<&str> = wires.iter().map(|w| w.summary.as_str()).collect();
    assert_eq!(
        summaries,
        [
            "HTTP POST /upload?tid=f81d4fae (multipart/form-data, 211 bytes)",
            "HTTP 200 OK (application/vnd.gsma.rcs-ft-http+xml, 264 bytes)",
            "HTTP GET /f/2",
            "HTTP 206 Partial Content (bytes 0-19/20, 20 bytes)",
        ]
    );
    let location = checks.iter().find(|c| c.rule == "RFC 9110 8.7").unwrap();
    assert_eq!(location.observed, URL, "the URL saved from the file-info");
}

#[tokio::test]
async fn a_download_that_differs_from_the_upload_fails_at_its_check() {
    let (verdict, checks, _) = run(true).await;
    assert_eq!(verdict, Verdict::Fail);
    let failed: Vec<&CheckOutcome> = checks.iter().filter(|c| !c.passed).collect();
    assert_eq!(failed.len(), 1, "{failed:#?}");
    assert_eq!(failed[0].rule, "RCC.07 3.2.5.3");
    assert_eq!(failed[0].frame, Some(4));
}
