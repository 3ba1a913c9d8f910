//! Loader tests for the session keys: `sip:`/`msrp:`/`http:`, `count`, and subjects that belong to one
//! protocol, each error located at its line and column.

use std::path::Path;

use serde_json::{Map, Value};

use crate::agent::{
    ActionSpec, Agent, AgentError, AgentFactory, AgentSpec, BoxFuture, FaultSpec, WireTap,
};
use crate::case::model::{StepKind, Subject};
use crate::case::{CaseError, parse_case};
use crate::clock::Clock;
use crate::events::Protocol;
use crate::role::RoleKind;

/// A factory that knows one terminal action and no faults: enough to load cases.
pub(super) struct Stub;

impl AgentFactory for Stub {
    fn faults(&self) -> Vec<FaultSpec> {
        Vec::new()
    }
    fn actions(&self) -> Vec<ActionSpec> {
        vec![ActionSpec {
            kind: RoleKind::Terminal,
            name: "send-chat",
            description: "",
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
        _: WireTap,
        _: Clock,
    ) -> BoxFuture<'a, Result<Box<dyn Agent>, AgentError>> {
        Box::pin(async { Err(AgentError::Harness("start nothing in a loader test".into())) })
    }
}

fn load(steps: &str) -> Result<crate::case::Case, Vec<CaseError>> {
    let source = format!(
        "id: T-1\ntitle: t\nsuite: platform\nunder-test: mc\nrefs: [RFC 4975]\nroles: {{ alice: terminal, bob: terminal, mc: message-center }}\nsteps:\n  - alice: send-chat\n{steps}"
    );
    parse_case(Path::new("T-1.yaml"), &source, &Stub)
}

fn only_error(steps: &str) -> CaseError {
    let errors = load(steps).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    errors.into_iter().next().unwrap()
}

#[test]
fn an_msrp_expectation_with_count_and_message_checks_loads() {
    let case = load(
        "  - expect:\n      at: bob\n      msrp: SEND\n      count: 7\n      within: 3s\n      rule: RFC 4975 7.1\n      where: [{ header: Message-ID, equals: \"${alice.sent.msrp.Message-ID}\" }]\n      checks:\n        - { header: Byte-Range, matches: \"^[0-9]+-[0-9]+/65536$\", rule: RFC 4975 9 }\n        - { message: complete, equals: true, rule: RFC 4975 7.3.1 }\n        - { message: sha256, equals: \"${alice.sent.sha256}\", rule: RFC 4975 7.3.1 }\n",
    )
    .unwrap();
    let StepKind::Expect(e) = &case.steps[1].kind else {
        panic!("not an expectation")
    };
    assert_eq!(e.what.protocol, Protocol::Msrp);
    assert_eq!(e.count, Some(7));
    assert_eq!(e.checks.len(), 3);
    assert_eq!(
        case.steps[1].summary(),
        "expect 7 × MSRP SEND at bob within 3s"
    );
}

#[test]
fn sip_expectations_keep_their_meaning() {
    let case = load("  - expect: { at: bob, sip: MESSAGE, rule: RFC 3428, checks: [{ sdp: setup, equals: active, rule: RFC 6135 }] }\n").unwrap();
    let StepKind::Expect(e) = &case.steps[1].kind else {
        panic!("not an expectation")
    };
    assert_eq!((e.what.protocol, e.count), (Protocol::Sip, None));
    assert_eq!(
        e.checks[0].subject,
        Subject::Sdp {
            name: "setup".into()
        }
    );
}

#[test]
fn includes_takes_a_list_or_a_single_value() {
    let case = load("  - expect:\n      at: bob\n      sip: INVITE\n      rule: RFC 4975 8\n      checks:\n        - { sdp: accept-wrapped-types, includes: text/plain, rule: RFC 4975 8.6 }\n        - { sdp: accept-types, excludes: [text/html, image/gif], rule: RFC 4975 8.6 }\n").unwrap();
    let StepKind::Expect(e) = &case.steps[1].kind else {
        panic!("not an expectation")
    };
    use crate::case::model::Predicate;
    assert_eq!(
        e.checks[0].predicate,
        Predicate::Includes(vec!["text/plain".into()])
    );
    assert_eq!(
        e.checks[1].predicate,
        Predicate::Excludes(vec!["text/html".into(), "image/gif".into()])
    );
}

#[test]
fn exactly_one_of_sip_and_msrp() {
    let e = only_error("  - expect: { at: bob, sip: MESSAGE, msrp: SEND, rule: RFC 4975 }\n");
    assert_eq!((e.line, e.column), (9, 5));
    assert!(e.message.contains("not both"), "{e}");
    assert!(e.hint.unwrap().contains("msrp: SEND"));
    let e = only_error("  - expect: { at: bob, rule: RFC 4975 }\n");
    assert!(e.message.contains("needs `sip`, `msrp` or `http`"), "{e}");
    let e = only_error("  - expect: { at: bob, sip: MESSAGE, http: POST, rule: RFC 9110 }\n");
    assert!(e.message.contains("`sip` or `http`, not both"), "{e}");
    assert!(e.hint.unwrap().contains("http: POST"));
    let e = only_error("  - expect: { at: bob, http: post, rule: RFC 9110 }\n");
    assert!(e.message.starts_with("bad `http`"), "{e}");
    let e = only_error("  - expect: { at: bob, msrp: MESSAGE, rule: RFC 4975 }\n");
    assert!(e.message.starts_with("bad `msrp`"), "{e}");
}

#[test]
fn subjects_of_the_other_protocol_are_located_errors() {
    let e = only_error(
        "  - expect:\n      at: bob\n      msrp: SEND\n      rule: RFC 4975\n      checks:\n        - { sdp: setup, equals: active, rule: RFC 6135 }\n",
    );
    assert_eq!((e.line, e.column), (14, 11));
    assert!(e.message.contains("`sdp` reads SIP messages"), "{e}");
    let e = only_error(
        "  - expect:\n      at: bob\n      sip: MESSAGE\n      rule: RFC 3428\n      where: [{ message: size, equals: 3 }]\n",
    );
    assert!(e.message.contains("cannot choose one"), "{e}");
    let e = only_error(
        "  - expect:\n      at: bob\n      sip: MESSAGE\n      rule: RFC 3428\n      checks:\n        - { message: size, equals: 3, rule: RFC 4975 }\n",
    );
    assert_eq!(e.line, 14);
    assert!(e.message.contains("`message` reads MSRP chunks"), "{e}");
    let e = only_error(
        "  - expect:\n      at: bob\n      msrp: SEND\n      rule: RFC 4975\n      save: { x: { request-uri: true } }\n",
    );
    assert!(e.message.contains("bad `save` entry `x`"), "{e}");
}

#[test]
fn count_is_for_expect_and_at_least_one() {
    let e = only_error("  - expect-none: { at: bob, msrp: SEND, count: 2, rule: RFC 4975 }\n");
    assert!(e.message.contains("`count` belongs on `expect`"), "{e}");
    let e = only_error("  - expect: { at: bob, msrp: SEND, count: 0, rule: RFC 4975 }\n");
    assert!(e.message.contains("can never be met"), "{e}");
}

#[test]
fn an_http_expectation_with_its_subjects_loads_and_saves() {
    let case = load(
        "  - expect:\n      at: bob\n      http: POST\n      direction: out\n      rule: RCC.07 3.2.5\n      where: [{ query: tid, exists: true }]\n      checks:\n        - { form: File.filename, equals: photo.jpg, rule: RFC 7578 4.2 }\n        - { form: File.sha256, equals: \"${alice.sent.sha256}\", rule: RCC.07 3.2.5 }\n  - expect:\n      at: bob\n      http: \"200\"\n      rule: RCC.07 3.2.5\n      checks:\n        - { xml: \"file-info[@type=file]/data/@url\", matches: \"^https://\", rule: RCC.07 3.2.5 }\n        - { message: size, at-least: 1, rule: RFC 9110 8.6 }\n      save: { url: { xml: \"file-info[@type=file]/data/@url\" } }\n  - expect:\n      at: bob\n      http: GET|206\n      rule: RFC 9110 14\n      where: [{ request-uri: \"${url}\" }]\n",
    )
    .unwrap();
    let StepKind::Expect(e) = &case.steps[1].kind else {
        panic!("not an expectation")
    };
    assert_eq!(e.what.protocol, Protocol::Http);
    assert_eq!(e.what.to_string(), "HTTP POST");
    assert_eq!(e.filter[0].subject, Subject::Query { name: "tid".into() });
    assert_eq!(
        e.checks[1].subject,
        Subject::Form {
            name: "File".into(),
            field: Some("sha256".into())
        }
    );
    let StepKind::Expect(e) = &case.steps[2].kind else {
        panic!("not an expectation")
    };
    assert_eq!(e.save[0].0, "url");
    assert_eq!(
        case.steps[3].summary(),
        "expect HTTP GET|206 at bob within 2s"
    );
}

#[test]
fn http_subjects_elsewhere_and_msrp_fields_on_http_are_located_errors() {
    let e = only_error(
        "  - expect:\n      at: bob\n      sip: MESSAGE\n      rule: RFC 3428\n      checks:\n        - { form: File, exists: true, rule: RFC 7578 }\n",
    );
    assert_eq!((e.line, e.column), (14, 11));
    assert!(
        e.message.contains(
            "`form` reads HTTP messages, but this names SIP messages: use it under `http:`"
        ),
        "{e}"
    );
    let e = only_error(
        "  - expect:\n      at: bob\n      http: POST\n      rule: RFC 9110\n      checks:\n        - { sdp: setup, exists: true, rule: RFC 4566 }\n",
    );
    assert!(e.message.contains("but this names HTTP messages"), "{e}");
    let e = only_error(
        "  - expect:\n      at: bob\n      http: \"200\"\n      rule: RFC 9110\n      checks:\n        - { message: chunks, equals: 1, rule: RFC 9110 }\n",
    );
    assert_eq!(e.line, 14);
    assert!(e.message.contains("an HTTP body has `size`"), "{e}");
    let e = only_error(
        "  - expect:\n      at: bob\n      http: \"200\"\n      rule: RFC 9110\n      checks:\n        - { cpim: From, exists: true, rule: RFC 3862 }\n",
    );
    assert!(e.message.contains("use it under `sip:` or `msrp:`"), "{e}");
    let e = only_error(
        "  - expect:\n      at: bob\n      http: \"200\"\n      rule: RFC 9110\n      checks:\n        - { xml: \"a/@b/c\", exists: true, rule: RFC 9110 }\n",
    );
    assert!(e.message.contains("bad `xml` path"), "{e}");
}

#[test]
fn bot_subjects_load_in_checks_filters_and_saves() {
    let case = load(
        "  - expect:\n      at: bob\n      sip: MESSAGE\n      rule: RCC.07 3.6.10\n      where: [{ bot: content-type, equals: text/plain }]\n      checks:\n        - { bot: valid, equals: true, rule: RCC.07 3.6.10 }\n        - { bot: suggestions, equals: 11, rule: protocols 7.4 }\n      save: { pb: { bot: suggestion.2.postback } }\n  - expect:\n      at: bob\n      http: POST\n      rule: protocols 8.3\n      checks: [{ bot: response.postback, equals: \"${pb}\", rule: protocols 7.5 }]\n",
    )
    .unwrap();
    let StepKind::Expect(e) = &case.steps[1].kind else {
        panic!("not an expectation")
    };
    assert_eq!(e.filter[0].subject.to_string(), "chatbot content-type");
    assert_eq!(e.checks[1].subject.to_string(), "chatbot suggestions");
    assert_eq!(e.save[0].1.to_string(), "chatbot suggestion.2.postback");
}

#[test]
fn unknown_bot_fields_are_located_errors() {
    let e = only_error(
        "  - expect:\n      at: bob\n      msrp: SEND\n      rule: RCC.07 3.6.10\n      checks:\n        - { bot: sugestions, equals: 3, rule: RCC.07 3.6.10 }\n",
    );
    assert_eq!((e.line, e.column), (14, 11));
    assert_eq!(
        e.message,
        "unknown `bot` field `sugestions`: did you mean `suggestions`?"
    );
    let e = only_error(
        "  - expect:\n      at: bob\n      sip: MESSAGE\n      rule: RCC.07 3.6.10\n      where: [{ bot: suggestion.0.text, exists: true }]\n",
    );
    assert_eq!((e.line, e.column), (13, 15));
    assert!(e.message.contains("count from 1"), "{e}");
    let e = only_error(
        "  - expect:\n      at: bob\n      http: POST\n      rule: protocols 8.3\n      save: { x: { bot: response.data } }\n",
    );
    assert_eq!(e.line, 13);
    assert!(
        e.message
            .starts_with("bad `save` entry `x`: unknown `bot` field `response.data`"),
        "{e}"
    );
}
