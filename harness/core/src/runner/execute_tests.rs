//! Expectations judged end to end through the runner, with a stand-in terminal that puts MSRP
//! chunks on the wire: `msrp:`, `count: N` (too few, exactly, one too many), `message:` checks.

use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::agent::{
    ActionOutput, ActionSpec, Agent, AgentError, AgentFactory, AgentSpec, BoxFuture, Endpoints,
    FaultSpec, WireTap,
};
use crate::case::parse_case;
use crate::clock::Clock;
use crate::events::{CheckOutcome, Direction, Event, EventSink, Protocol, Transport};
use crate::plan::{Faults, plan};
use crate::role::RoleKind;
use crate::runner::{RunOptions, run_all};
use crate::verdict::Verdict;

const CONTENT: &[u8] = b"abcdefghijkl";

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
            name: "send-chunks",
            description: "put `parts` MSRP chunks of one message on the wire to `to`",
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
            let parts = params.get("parts").and_then(Value::as_u64).unwrap_or(1) as usize;
            let to = params.get("to").and_then(Value::as_str).unwrap_or("bob");
            let size = CONTENT.len().div_ceil(parts);
            let (a, b) = (
                "127.0.0.1:7777".parse().unwrap(),
                "127.0.0.1:7394".parse().unwrap(),
            );
            for (i, piece) in CONTENT.chunks(size).enumerate() {
                let start = i * size + 1;
                let last = start + piece.len() - 1 == CONTENT.len();
                let frame = chunk(start, piece, last);
                self.tap.for_role(to).record(
                    Direction::In,
                    Transport::Tcp,
                    Protocol::Msrp,
                    a,
                    b,
                    &frame,
                );
            }
            let mut out = ActionOutput::default();
            out.values
                .insert("sent.msrp.Message-ID".into(), "Mabc123".into());
            out.values
                .insert("sent.sha256".into(), hex::encode(Sha256::digest(CONTENT)));
            Ok(out)
        })
    }

    fn shutdown(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

fn chunk(start: usize, piece: &[u8], last: bool) -> Vec<u8> {
    let end = start + piece.len() - 1;
    let tid = format!("tx{start:04}");
    let mut out = format!(
        "MSRP {tid} SEND\r\nTo-Path: msrp://127.0.0.1:7394/s1;tcp\r\nFrom-Path: msrp://127.0.0.1:7777/s2;tcp\r\nMessage-ID: Mabc123\r\nByte-Range: {start}-{end}/{}\r\nContent-Type: text/plain\r\n\r\n",
        CONTENT.len()
    )
    .into_bytes();
    out.extend_from_slice(piece);
    let flag = if last { '$' } else { '+' };
    out.extend_from_slice(format!("\r\n-------{tid}{flag}\r\n").as_bytes());
    out
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

/// Run a case whose alice sends `parts` chunks and whose bob expects `expect`.
async fn run(parts: usize, expect: &str) -> (Verdict, Vec<CheckOutcome>) {
    let source = format!(
        "id: T-1\ntitle: t\nsuite: platform\nunder-test: mc\nrefs: [RFC 4975]\nroles: {{ alice: terminal, bob: terminal, mc: message-center }}\nsteps:\n  - alice: {{ send-chunks: {{ to: bob, parts: {parts} }} }}\n  - expect:\n{expect}"
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
        .into_iter()
        .filter_map(|e| match e {
            Event::Check(c) => Some(c),
            _ => None,
        })
        .collect();
    (verdict.unwrap(), checks)
}

const CHECKS: &str = "      checks:\n        - { header: Byte-Range, matches: \"^[0-9]+-[0-9]+/12$\", rule: RFC 4975 9 }\n        - { message: complete, equals: true, rule: RFC 4975 7.3.1 }\n        - { message: size, equals: 12, rule: RFC 4975 7.3.1 }\n        - { message: sha256, equals: \"${alice.sent.sha256}\", rule: RFC 4975 7.3.1 }\n";

fn expectation(count: Option<u32>) -> String {
    let count = count.map_or(String::new(), |n| format!("      count: {n}\n"));
    format!(
        "      at: bob\n      msrp: SEND\n{count}      within: 300ms\n      rule: RFC 4975 7.1\n      where: [{{ header: Message-ID, equals: \"${{alice.sent.msrp.Message-ID}}\" }}]\n{CHECKS}"
    )
}

#[tokio::test]
async fn exactly_count_chunks_pass_with_the_rebuilt_message() {
    let (verdict, checks) = run(3, &expectation(Some(3))).await;
    assert_eq!(verdict, Verdict::Pass, "{checks:#?}");
    assert_eq!(checks.len(), 5);
    assert_eq!(checks[0].observed, "3 arrived: frame(s) 1, 2, 3");
    assert!(
        checks[1].what.ends_with("(each of 3 messages)"),
        "{:?}",
        checks[1]
    );
    assert!(checks.iter().all(|c| c.passed));
    assert_eq!(checks[4].frame, Some(1));
}

#[tokio::test]
async fn fewer_than_count_fail_and_stop_the_case() {
    let (verdict, checks) = run(2, &expectation(Some(3))).await;
    assert_eq!(verdict, Verdict::Fail);
    assert!(!checks[0].passed);
    assert_eq!(checks[0].expected, "exactly 3 × MSRP SEND");
    assert_eq!(checks[0].observed, "only 2 arrived: frame(s) 1, 2");
    // The two that came are still judged: whole, so the rebuilt message is complete.
    assert!(checks[2].passed, "{:?}", checks[2]);
}

#[tokio::test]
async fn one_more_than_count_fails_naming_the_extra_frame() {
    let (verdict, checks) = run(4, &expectation(Some(3))).await;
    assert_eq!(verdict, Verdict::Fail);
    assert!(!checks[0].passed);
    assert_eq!(checks[0].frame, Some(4));
    assert!(
        checks[0]
            .observed
            .starts_with("more than 3: frame 4 (MSRP SEND"),
        "{}",
        checks[0].observed
    );
}

#[tokio::test]
async fn without_count_the_first_match_is_judged_as_before() {
    let (verdict, checks) = run(3, &expectation(None)).await;
    assert_eq!(verdict, Verdict::Fail, "one chunk is not the whole message");
    assert!(checks[0].passed && checks[0].observed.starts_with("MSRP SEND"));
    assert!(checks[1].passed, "{:?}", checks[1]);
    assert_eq!(
        checks[1].what,
        "header Byte-Range matches /^[0-9]+-[0-9]+/12$/"
    );
    let complete = &checks[2];
    assert!(
        !complete.passed && complete.observed == "false",
        "{complete:?}"
    );
}
