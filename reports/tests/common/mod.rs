//! The fixture run: three case executions, events interleaved as parallel cases produce them.
//!
//! - `PLT-REG-001`: digest-challenged registration over UDP, every check holds (pass);
//! - `PLT-MSG-001[message-center.rewrites-cpim-body]`: a pager MESSAGE over TCP that the message
//!   center relays with a rewritten CPIM body holding HTML-injection strings (fail, with a diff);
//! - `TRM-BOT-002`: not applicable to the profile (skip).
//!
//! Both ends of every message are simulated, so each message is captured twice (out, then in).
//! The messages are the byte-exact files in `tests/fixtures/`, named after the clause they show.

#![allow(dead_code)]

use std::net::SocketAddr;

use rcs_harness::events::*;
use rcs_harness::verdict::Verdict;

pub const REG: &str = "PLT-REG-001";
pub const MSG: &str = "PLT-MSG-001[message-center.rewrites-cpim-body]";
pub const BOT: &str = "TRM-BOT-002";
/// 2026-11-24T09:30:00+08:00.
const T0_US: u64 = 1_795_483_800_000_000;

pub const REGISTER: &[u8] = include_bytes!("../fixtures/rfc3261-10.2-register.sip");
pub const CHALLENGE: &[u8] = include_bytes!("../fixtures/rfc3261-22.2-401-challenge.sip");
pub const REGISTER_AUTH: &[u8] =
    include_bytes!("../fixtures/rfc3261-22.2-register-authorization.sip");
pub const REGISTERED: &[u8] = include_bytes!("../fixtures/rfc3261-10.3-200-ok.sip");
pub const MESSAGE: &[u8] = include_bytes!("../fixtures/rfc3428-4-message-cpim.sip");
pub const RELAYED: &[u8] = include_bytes!("../fixtures/rcc07-3.2-message-relayed-rewritten.sip");
pub const BOB_OK: &[u8] = include_bytes!("../fixtures/rfc3428-7-200-ok-bob.sip");
pub const ACCEPTED: &[u8] = include_bytes!("../fixtures/rfc3428-7-202-accepted.sip");

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// The text body inside a SIP MESSAGE's CPIM body (after the SIP, CPIM and MIME headers).
pub fn cpim_text(message: &[u8]) -> String {
    let text = std::str::from_utf8(message).unwrap();
    text.splitn(4, "\r\n\r\n").nth(3).unwrap().to_owned()
}

fn header(
    key: &str,
    id: &str,
    title: &str,
    suite: &str,
    feature: &str,
    refs: &[&str],
) -> CaseHeader {
    let under_test = if suite == "terminal" { "alice" } else { "mc" };
    CaseHeader {
        key: key.into(),
        id: id.into(),
        title: title.into(),
        suite: suite.into(),
        feature: feature.into(),
        file: format!("cases/{suite}/{feature}/{id}.yaml"),
        refs: refs.iter().map(|r| (*r).into()).collect(),
        under_test: under_test.into(),
        under_test_kind: if suite == "terminal" {
            "terminal"
        } else {
            "message-center"
        }
        .into(),
        fault: key
            .split_once('[')
            .map(|(_, f)| f.trim_end_matches(']').into()),
    }
}

pub fn headers() -> Vec<CaseHeader> {
    vec![
        header(
            REG,
            REG,
            "Digest challenge, then registration with credentials",
            "platform",
            "registration",
            &["RFC 3261 10.2", "RFC 3261 22.2", "3GPP TS 24.229 5.4.1.2"],
        ),
        header(
            MSG,
            "PLT-MSG-001",
            "Pager-mode chat is relayed to an online user unchanged",
            "platform",
            "messaging",
            &["GSMA RCC.07 3.2", "RFC 3428", "RFC 3862"],
        ),
        header(
            BOT,
            BOT,
            "Chatbot suggested reply is shown and sent back",
            "terminal",
            "chatbot",
            &["GSMA RCC.07 3.6.10"],
        ),
    ]
}

fn role(
    name: &str,
    kind: &str,
    identity: &str,
    udp: Option<&str>,
    tcp: Option<&str>,
) -> RoleBinding {
    RoleBinding {
        name: name.into(),
        kind: kind.into(),
        agent: "simulator".into(),
        identity: Some(identity.into()),
        sip_udp: udp.map(addr),
        sip_tcp: tcp.map(addr),
        sip_tls: None,
        http: None,
        carrier: None,
    }
}

struct Capture {
    case: &'static str,
    transport: Transport,
    frame: u64,
}

impl Capture {
    /// The sender's capture and the receiver's, as two consecutive frames.
    fn both(
        &mut self,
        ms: f64,
        from: (&str, &str),
        to: (&str, &str),
        summary: &str,
        bytes: &[u8],
    ) -> [Event; 2] {
        let one = |frame, role: &str, direction, at: f64| {
            Event::Wire(Wire {
                case: self.case.into(),
                frame,
                time_us: T0_US + (at * 1000.0) as u64,
                case_ms: at,
                role: role.into(),
                direction,
                transport: self.transport,
                protocol: Protocol::Sip,
                src: addr(from.1),
                dst: addr(to.1),
                summary: summary.into(),
                bytes: WireBytes(bytes.to_vec()),
            })
        };
        self.frame += 2;
        [
            one(self.frame - 1, from.0, Direction::Out, ms),
            one(self.frame, to.0, Direction::In, ms + 0.2),
        ]
    }
}

fn step(case: &str, index: usize, line: usize, role: &str, summary: &str) -> Event {
    Event::StepStarted(StepStarted {
        case: case.into(),
        index,
        line,
        role: Some(role.into()),
        summary: summary.into(),
    })
}

#[allow(clippy::too_many_arguments)]
fn check(
    case: &str,
    step: usize,
    line: usize,
    rule: &str,
    what: &str,
    expected: &str,
    observed: &str,
    frame: u64,
) -> Event {
    Event::Check(CheckOutcome {
        case: case.into(),
        step,
        line,
        rule: rule.into(),
        what: what.into(),
        expected: expected.into(),
        observed: observed.into(),
        passed: expected == observed || (expected == "200|202" && observed == "202"),
        frame: Some(frame),
    })
}

fn finished(case: &str, verdict: Verdict, duration_ms: f64, reason: Option<&str>) -> Event {
    Event::CaseFinished(CaseFinished {
        case: case.into(),
        verdict,
        duration_ms,
        reason: reason.map(Into::into),
    })
}

/// The events of the registration case, in order.
fn registration() -> Vec<Event> {
    let (alice, mc) = (("alice", "127.0.0.1:40102"), ("mc", "127.0.0.1:45060"));
    let mut cap = Capture {
        case: REG,
        transport: Transport::Udp,
        frame: 0,
    };
    let ruri = "REGISTER sip:ims.mnc000.mcc460.3gppnetwork.org";
    let mut events = vec![step(REG, 0, 12, "alice", "alice: register")];
    events.extend(cap.both(0.4, alice, mc, ruri, REGISTER));
    events.extend(cap.both(1.1, mc, alice, "401 Unauthorized", CHALLENGE));
    events.push(Event::ActionDone(ActionDone {
        case: REG.into(),
        index: 0,
        role: "alice".into(),
        summary: "registered, 200 OK, expires 3600".into(),
        values: [("status".to_owned(), "200".to_owned())].into(),
    }));
    events.push(step(REG, 1, 13, "alice", "expect 401 at alice within 2s"));
    events.push(check(
        REG,
        1,
        15,
        "RFC 3261 22.2",
        "status code",
        "401",
        "401",
        4,
    ));
    events.push(check(
        REG,
        1,
        16,
        "RFC 3261 22.4",
        "WWW-Authenticate algorithm",
        "MD5",
        "MD5",
        4,
    ));
    events.extend(cap.both(1.9, alice, mc, ruri, REGISTER_AUTH));
    events.push(step(REG, 2, 18, "mc", "expect REGISTER at mc within 2s"));
    events.push(check(
        REG,
        2,
        20,
        "RFC 3261 22.4",
        "header Authorization has qop",
        "auth",
        "auth",
        6,
    ));
    events.extend(cap.both(2.6, mc, alice, "200 OK", REGISTERED));
    events.push(step(REG, 3, 22, "alice", "expect 200 at alice within 2s"));
    events.push(check(
        REG,
        3,
        24,
        "RFC 3261 10.3",
        "status code",
        "200",
        "200",
        8,
    ));
    events.push(check(
        REG,
        3,
        25,
        "3GPP TS 24.229 5.4.1.2.2",
        "header P-Associated-URI contains \"tel:\"",
        "contains \"tel:\"",
        "contains \"tel:\"",
        8,
    ));
    events
}

/// The events of the messaging case, in order; the relayed body differs from the sent one.
fn messaging() -> Vec<Event> {
    let alice = ("alice", "127.0.0.1:40311");
    let mc_in = ("mc", "127.0.0.1:45061");
    let mc_out = ("mc", "127.0.0.1:40412");
    let bob = ("bob", "127.0.0.1:40220");
    let mut cap = Capture {
        case: MSG,
        transport: Transport::Tcp,
        frame: 0,
    };
    let to_bob = "MESSAGE sip:+8613900000002@ims.mnc000.mcc460.3gppnetwork.org";
    let mut events = vec![step(MSG, 0, 10, "alice", "alice: send-pager to bob")];
    events.extend(cap.both(0.8, alice, mc_in, to_bob, MESSAGE));
    events.extend(cap.both(
        1.6,
        mc_out,
        bob,
        "MESSAGE sip:+8613900000002@127.0.0.1:40220;transport=tcp",
        RELAYED,
    ));
    events.push(step(MSG, 1, 11, "bob", "expect MESSAGE at bob within 2s"));
    let conversation = "0f4b8d2e-6c1a-4e53-9a7b-3d2c1e0f9a8b";
    events.push(check(
        MSG,
        1,
        15,
        "GSMA RCC.07 3.2",
        "header Conversation-ID",
        conversation,
        conversation,
        4,
    ));
    events.push(check(
        MSG,
        1,
        16,
        "RFC 3862 3",
        "cpim body",
        &cpim_text(MESSAGE),
        &cpim_text(RELAYED),
        4,
    ));
    events.extend(cap.both(2.3, bob, mc_out, "200 OK", BOB_OK));
    events.extend(cap.both(2.9, mc_in, alice, "202 Accepted", ACCEPTED));
    events.push(step(
        MSG,
        2,
        17,
        "alice",
        "expect 200|202 at alice within 2s",
    ));
    events.push(check(
        MSG,
        2,
        17,
        "RFC 3428 7",
        "status code",
        "200|202",
        "202",
        8,
    ));
    events
}

/// The whole fixture run.
pub fn fixture_events() -> Vec<Event> {
    let headers = headers();
    let started = |h: &CaseHeader, roles| {
        Event::CaseStarted(CaseStarted {
            key: h.key.clone(),
            header: h.clone(),
            roles,
            virtual_time: true,
            carriers: Default::default(),
            networks: Default::default(),
        })
    };
    let ids = |n: &str| format!("sip:{n}@ims.mnc000.mcc460.3gppnetwork.org");
    let mut events = vec![
        Event::RunStarted(RunStarted {
            run_id: "run-20261124-093000-7f3a".into(),
            started_at: "2026-11-24T09:30:00+08:00".into(),
            tool_version: "0.1.0".into(),
            profile: Some("cases/profiles/all-simulated.yaml".into()),
            cases: headers.clone(),
            jobs: 2,
        }),
        started(
            &headers[0],
            vec![
                role(
                    "alice",
                    "terminal",
                    &ids("+8613800000001"),
                    Some("127.0.0.1:40102"),
                    Some("127.0.0.1:40103"),
                ),
                role(
                    "mc",
                    "message-center",
                    "ims.mnc000.mcc460.3gppnetwork.org",
                    Some("127.0.0.1:45060"),
                    Some("127.0.0.1:45061"),
                ),
            ],
        ),
        started(
            &headers[1],
            vec![
                role(
                    "alice",
                    "terminal",
                    &ids("+8613800000001"),
                    Some("127.0.0.1:40310"),
                    Some("127.0.0.1:40312"),
                ),
                role(
                    "bob",
                    "terminal",
                    &ids("+8613900000002"),
                    Some("127.0.0.1:40221"),
                    Some("127.0.0.1:40220"),
                ),
                role(
                    "mc",
                    "message-center",
                    "ims.mnc000.mcc460.3gppnetwork.org",
                    Some("127.0.0.1:45060"),
                    Some("127.0.0.1:45061"),
                ),
            ],
        ),
    ];
    // Interleave the two running cases event by event, as parallel execution does.
    let (mut reg, mut msg) = (registration().into_iter(), messaging().into_iter());
    loop {
        match (reg.next(), msg.next()) {
            (None, None) => break,
            (a, b) => events.extend(a.into_iter().chain(b)),
        }
    }
    events.push(started(&headers[2], vec![]));
    events.push(finished(
        BOT,
        Verdict::Skip,
        0.0,
        Some("not applicable: the profile does not declare the capability chatbot"),
    ));
    events.push(finished(REG, Verdict::Pass, 12.4, None));
    events.push(finished(MSG, Verdict::Fail, 31.7, None));
    let mut counts = Counts::default();
    for v in [Verdict::Pass, Verdict::Fail, Verdict::Skip] {
        counts.add(v);
    }
    events.push(Event::RunFinished(RunFinished {
        duration_ms: 3210.0,
        counts,
    }));
    events
}
