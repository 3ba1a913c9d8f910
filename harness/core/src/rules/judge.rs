//! Judging captured traffic with rules, as the same event stream a run produces: each rule is reported
//! like a case execution, with the frames it judged and a check event per check per frame, so every
//! reporter (HTML, JUnit, JSON) works on a capture unchanged.

use std::collections::{BTreeMap, BTreeSet};

use crate::check::{Msg, judge};
use crate::events::{
    CaseFinished, CaseHeader, CaseStarted, CheckOutcome, Counts, Event, RoleBinding, RunFinished,
    RunStarted, Wire,
};
use crate::rules::Rule;
use crate::rules::refers::judge_refers;
use crate::verdict::Verdict;

/// The events of judging `wires` (from a capture named `source`) with `rules`.
pub fn judge_capture(source: &str, rules: &[Rule], wires: &[Wire]) -> Vec<Event> {
    let started = std::time::Instant::now();
    let parsed: Vec<(&Wire, Option<Msg>)> = wires
        .iter()
        .map(|w| (w, Msg::parse(w.protocol, &w.bytes.0).ok()))
        .collect();
    let headers: Vec<CaseHeader> = rules.iter().map(|r| header(source, r)).collect();
    let mut events = vec![Event::RunStarted(RunStarted {
        run_id: uuid::Uuid::new_v4().to_string(),
        started_at: time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        profile: None,
        cases: headers.clone(),
        jobs: 1,
    })];
    let mut counts = Counts::default();
    for (rule, header) in rules.iter().zip(headers) {
        let verdict = judge_rule(rule, header, &parsed, &mut events);
        counts.add(verdict);
    }
    events.push(Event::RunFinished(RunFinished {
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        counts,
    }));
    events
}

fn header(source: &str, rule: &Rule) -> CaseHeader {
    CaseHeader {
        key: rule.id.clone(),
        id: rule.id.clone(),
        title: rule.title.clone(),
        suite: "capture".to_owned(),
        feature: source.to_owned(),
        file: rule.file.display().to_string(),
        refs: rule.refs.clone(),
        under_test: "capture".to_owned(),
        under_test_kind: "any".to_owned(),
        fault: None,
    }
}

fn judge_rule(
    rule: &Rule,
    header: CaseHeader,
    parsed: &[(&Wire, Option<Msg>)],
    events: &mut Vec<Event>,
) -> Verdict {
    let none = BTreeMap::new();
    // Every parsed message with its index in capture order, for `refers-to`.
    let all: Vec<(u64, &Msg)> = parsed
        .iter()
        .filter_map(|(w, m)| m.as_ref().map(|m| (w.frame, m)))
        .collect();
    let matching: Vec<(usize, &Wire, &Msg)> = parsed
        .iter()
        .filter_map(|(w, m)| m.as_ref().map(|m| (*w, m)))
        .enumerate()
        .filter(|(_, (_, m))| {
            m.protocol() == rule.messages.protocol
                && rule.messages.accepts(m.method(), m.status())
                && rule
                    .filter
                    .iter()
                    .all(|f| judge(f, m, &none).is_ok_and(|j| j.passed))
        })
        .map(|(i, (w, m))| (i, w, m))
        .collect();
    let endpoints: BTreeSet<String> = matching
        .iter()
        .flat_map(|(_, w, _)| [w.src.to_string(), w.dst.to_string()])
        .collect();
    events.push(Event::CaseStarted(CaseStarted {
        key: rule.id.clone(),
        header,
        roles: endpoints
            .iter()
            .map(|e| RoleBinding {
                name: e.clone(),
                kind: "endpoint".to_owned(),
                agent: "external".to_owned(),
                identity: None,
                sip_udp: None,
                sip_tcp: None,
                sip_tls: None,
                http: None,
                carrier: None,
            })
            .collect(),
        virtual_time: false,
        carriers: Default::default(),
        networks: Default::default(),
    }));
    let mut failed = 0;
    for (index, wire, msg) in &matching {
        let mut w = (*wire).clone();
        w.case = rule.id.clone();
        w.role = w.src.to_string();
        events.push(Event::Wire(w));
        for check in &rule.checks {
            let (what, expected, observed, passed) = match judge(check, msg, &none) {
                Ok(j) => (j.what, j.expected, j.observed, j.passed),
                Err(e) => (format!("{}", check.subject), String::new(), e, false),
            };
            failed += usize::from(!passed);
            events.push(Event::Check(CheckOutcome {
                case: rule.id.clone(),
                step: 0,
                line: check.line,
                rule: check.rule.clone(),
                what,
                expected,
                observed,
                passed,
                frame: Some(wire.frame),
            }));
        }
        if let Some(refers) = &rule.refers_to {
            let r = judge_refers(refers, msg, all.get(..*index).unwrap_or_default());
            failed += usize::from(!r.passed);
            events.push(Event::Check(CheckOutcome {
                case: rule.id.clone(),
                step: 0,
                line: refers.line,
                rule: refers.rule.clone(),
                what: r.what,
                expected: r.expected,
                observed: r.observed,
                passed: r.passed,
                frame: Some(wire.frame),
            }));
        }
    }
    let (verdict, reason) = match (matching.len(), failed) {
        (0, _) => (
            Verdict::Skip,
            Some(format!(
                "no message in the capture is {}{}",
                rule.messages,
                if rule.filter.is_empty() {
                    ""
                } else {
                    " and passes the rule's `where` filters"
                }
            )),
        ),
        (n, 0) => (Verdict::Pass, Some(format!("{n} message(s) judged"))),
        (n, f) => (
            Verdict::Fail,
            Some(format!("{f} check(s) failed over {n} message(s)")),
        ),
    };
    events.push(Event::CaseFinished(CaseFinished {
        case: rule.id.clone(),
        verdict,
        duration_ms: 0.0,
        reason,
    }));
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Direction, Protocol, Transport, WireBytes};
    use crate::rules::load::parse_rule;

    fn wire(frame: u64, text: &str) -> Wire {
        Wire {
            case: "capture".into(),
            frame,
            time_us: frame,
            case_ms: 0.0,
            role: String::new(),
            direction: Direction::Out,
            transport: Transport::Udp,
            protocol: Protocol::Sip,
            src: "127.0.0.1:5060".parse().unwrap(),
            dst: "127.0.0.1:5070".parse().unwrap(),
            summary: String::new(),
            bytes: WireBytes(text.replace('\n', "\r\n").into_bytes()),
        }
    }

    fn rule() -> Rule {
        let text = "id: R1\ntitle: t\nrefs: [RFC 7315 4.1]\napplies-to: { sip: \"200\", where: [{ header: CSeq, contains: REGISTER }] }\nchecks:\n  - { header: P-Associated-URI, exists: true, rule: RFC 7315 4.1 }\n";
        parse_rule(std::path::Path::new("R1.yaml"), text).unwrap()
    }

    fn verdict(events: &[Event]) -> (Verdict, usize) {
        let v = events.iter().find_map(|e| match e {
            Event::CaseFinished(f) => Some(f.verdict),
            _ => None,
        });
        let failed = events
            .iter()
            .filter(|e| matches!(e, Event::Check(c) if !c.passed))
            .count();
        (v.unwrap(), failed)
    }

    #[test]
    fn judges_only_matching_messages_and_names_the_frame() {
        let good =
            "SIP/2.0 200 OK\nCSeq: 2 REGISTER\nP-Associated-URI: <sip:a@x>\nContent-Length: 0\n\n";
        let bad = "SIP/2.0 200 OK\nCSeq: 3 REGISTER\nContent-Length: 0\n\n";
        let other = "SIP/2.0 200 OK\nCSeq: 1 OPTIONS\nContent-Length: 0\n\n";
        let events = judge_capture("x.pcap", &[rule()], &[wire(1, good), wire(2, other)]);
        assert_eq!(verdict(&events), (Verdict::Pass, 0));
        let events = judge_capture("x.pcap", &[rule()], &[wire(1, good), wire(7, bad)]);
        assert_eq!(verdict(&events), (Verdict::Fail, 1));
        let failed = events.iter().find_map(|e| match e {
            Event::Check(c) if !c.passed => Some(c.frame),
            _ => None,
        });
        assert_eq!(failed, Some(Some(7)));
        let events = judge_capture("x.pcap", &[rule()], &[wire(1, other)]);
        assert_eq!(verdict(&events).0, Verdict::Skip);
        assert!(matches!(events.last(), Some(Event::RunFinished(r)) if r.counts.skip == 1));
    }

    fn imdn_wire(frame: u64, own_id: &str, refers_to: Option<&str>) -> Wire {
        let content = match refers_to {
            Some(id) => format!(
                "Content-Type: message/imdn+xml\n\n<?xml version=\"1.0\" encoding=\"UTF-8\"?><imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"><message-id>{id}</message-id><datetime>2025-03-01T10:00:00.000+08:00</datetime><delivery-notification><status><delivered/></status></delivery-notification></imdn>"
            ),
            None => "Content-Type: text/plain\n\nhello".to_owned(),
        };
        let cpim = format!(
            "From: <sip:anonymous@anonymous.invalid>\nTo: <sip:anonymous@anonymous.invalid>\nNS: imdn <urn:ietf:params:imdn>\nimdn.Message-ID: {own_id}\n\n{content}"
        )
        .replace('\n', "\r\n");
        let text = format!(
            "MESSAGE sip:b@x SIP/2.0\r\nContent-Type: message/cpim\r\nContent-Length: {}\r\n\r\n{cpim}",
            cpim.len()
        );
        let mut w = wire(frame, "");
        w.bytes = WireBytes(text.into_bytes());
        w
    }

    fn imdn_ref_rule() -> Rule {
        let text = "id: R2\ntitle: t\nrefs: [RFC 5438 6.3]\napplies-to: { sip: MESSAGE, where: [{ cpim: content-type, contains: message/imdn+xml }] }\nrefers-to:\n  sip: MESSAGE\n  where: [{ cpim: imdn.Message-ID, equals: \"${this.imdn.message-id}\" }]\n  rule: RFC 5438 6.3\n";
        parse_rule(std::path::Path::new("R2.yaml"), text).unwrap()
    }

    #[test]
    fn an_imdn_must_refer_to_an_earlier_message() {
        let chat = imdn_wire(1, "Mchat0001", None);
        let ok = imdn_wire(2, "Mimdn0001", Some("Mchat0001"));
        let events = judge_capture("x.pcap", &[imdn_ref_rule()], &[chat.clone(), ok]);
        assert_eq!(verdict(&events), (Verdict::Pass, 0));
        let observed = events.iter().find_map(|e| match e {
            Event::Check(c) => Some(c.observed.clone()),
            _ => None,
        });
        assert_eq!(observed.as_deref(), Some("frame 1: MESSAGE sip:b@x"));
        let unknown = imdn_wire(3, "Mimdn0002", Some("Mnobody99"));
        let events = judge_capture("x.pcap", &[imdn_ref_rule()], &[chat.clone(), unknown]);
        assert_eq!(verdict(&events), (Verdict::Fail, 1));
        let failed = events.iter().find_map(|e| match e {
            Event::Check(c) if !c.passed => Some(c.clone()),
            _ => None,
        });
        let failed = failed.unwrap();
        assert_eq!(
            (failed.frame, failed.rule.as_str()),
            (Some(3), "RFC 5438 6.3")
        );
        assert_eq!(failed.observed, "no earlier SIP MESSAGE matches");
        assert!(
            failed.expected.contains("equals Mnobody99"),
            "{}",
            failed.expected
        );
        // Earlier means earlier: the message after its notification does not count.
        let late = imdn_wire(1, "Mimdn0003", Some("Mchat0001"));
        let mut chat_after = chat;
        chat_after.frame = 2;
        let events = judge_capture("x.pcap", &[imdn_ref_rule()], &[late, chat_after]);
        assert_eq!(verdict(&events), (Verdict::Fail, 1));
    }

    #[test]
    fn msrp_rules_judge_msrp_frames() {
        let text = "id: R3\ntitle: t\nrefs: [RFC 4975 7.1]\napplies-to: { msrp: SEND }\nchecks:\n  - { header: Message-ID, exists: true, rule: RFC 4975 7.1 }\n  - { header: Byte-Range, matches: \"^1-\", rule: RFC 4975 7.1.1 }\n";
        let rule = parse_rule(std::path::Path::new("R3.yaml"), text).unwrap();
        let send = |frame: u64, range: &str| {
            let mut w = wire(frame, "");
            w.protocol = Protocol::Msrp;
            w.bytes = WireBytes(format!("MSRP tx{frame}abc SEND\r\nTo-Path: msrp://b.example:7394/s1;tcp\r\nFrom-Path: msrp://a.example:7777/s2;tcp\r\nMessage-ID: Mz1y2x3\r\nByte-Range: {range}\r\nContent-Type: text/plain\r\n\r\nhi\r\n-------tx{frame}abc$\r\n").into_bytes());
            w
        };
        let sip = wire(3, "MESSAGE sip:b@x SIP/2.0\nContent-Length: 0\n\n");
        let events = judge_capture(
            "x.pcap",
            std::slice::from_ref(&rule),
            &[send(1, "1-2/2"), sip.clone()],
        );
        assert_eq!(verdict(&events), (Verdict::Pass, 0));
        let events = judge_capture(
            "x.pcap",
            std::slice::from_ref(&rule),
            &[send(1, "1-2/2"), send(2, "3-4/4")],
        );
        assert_eq!(verdict(&events), (Verdict::Fail, 1));
        let events = judge_capture("x.pcap", &[rule], &[sip]);
        assert_eq!(verdict(&events).0, Verdict::Skip);
    }
}
