//! Every reporter on the fixture run (see `common/mod.rs`), through the public API only.
//!
//! The pcapng files are checked with tshark and the HTML page with headless Chromium when they are
//! installed; when they are not, the checks fail under CI (`CI` set) and print a notice otherwise.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use common::*;
use rcs_harness::events::{Direction, Event, Transport, Wire, WireBytes};
use rcs_reports::{
    EventSink, Fanout, HtmlReport, JsonlWriter, JunitReport, PcapngWriter, TerminalReporter,
    capture_for_case, read_events,
};

const FIXTURE_JSONL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/events.jsonl");

fn feed(sink: &mut dyn EventSink) -> Vec<PathBuf> {
    for event in fixture_events() {
        sink.event(&event);
    }
    sink.finish().unwrap()
}

/// A directory kept after the run, so the generated reports can be opened by hand.
fn out_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Whether `tool` can be run; under CI its absence is a failure.
fn have(tool: &str) -> bool {
    let found = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "{tool} required in CI");
        eprintln!("notice: {tool} is not installed; skipping the checks that need it");
    }
    found
}

#[test]
fn the_committed_jsonl_fixture_is_the_fixture_stream() {
    if std::env::var_os("REGENERATE_FIXTURES").is_some() {
        let mut writer = JsonlWriter::create(FIXTURE_JSONL).unwrap();
        feed(&mut writer);
    }
    assert_eq!(read_events(FIXTURE_JSONL).unwrap(), fixture_events());
}

#[test]
fn jsonl_round_trips_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.jsonl");
    let mut writer = JsonlWriter::create(&path).unwrap();
    assert_eq!(feed(&mut writer), vec![path.clone()]);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), fixture_events().len());
    assert!(
        text.contains(r"\r\nCSeq: 1 MESSAGE\r\n"),
        "CRLF kept in the wire text"
    );
    assert_eq!(read_events(&path).unwrap(), fixture_events());
}

#[test]
fn junit_has_one_case_per_execution() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junit.xml");
    feed(&mut JunitReport::new(&path));
    let xml = std::fs::read_to_string(&path).unwrap();
    assert!(xml.contains(r#"<testsuites name="rcs-interop" tests="3" skipped="1" failures="1" errors="0" time="3.210""#), "{xml}");
    assert!(xml.contains(r#"name="PLT-MSG-001[message-center.rewrites-cpim-body] Pager-mode chat is relayed to an online user unchanged" classname="platform.messaging""#), "{xml}");
    assert!(
        xml.contains(r#"<failure message="RFC 3862 3: cpim body: expected 尊敬的客户"#),
        "{xml}"
    );
    assert!(
        xml.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{xml}"
    );
    assert!(!xml.contains("<script>") && !xml.contains("<img"), "{xml}");
    assert!(
        xml.contains(r#"<property name="fault" value="message-center.rewrites-cpim-body"/>"#),
        "{xml}"
    );
    assert!(xml.contains(r#"<skipped message="not applicable: the profile does not declare the capability chatbot"/>"#), "{xml}");
}

#[test]
fn terminal_prints_each_case_and_the_summary() {
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let out = Shared::default();
    feed(&mut TerminalReporter::new(Box::new(out.clone()), false));
    let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(
        lines[0].starts_with("SKIP      TRM-BOT-002 Chatbot suggested reply"),
        "{text}"
    );
    assert_eq!(
        lines[1],
        "PASS      PLT-REG-001 Digest challenge, then registration with credentials (12 ms)"
    );
    assert!(lines[2].starts_with("FAIL      PLT-MSG-001[message-center.rewrites-cpim-body] Pager-mode chat is relayed to an online user unchanged (32 ms): RFC 3862 3: expected 尊敬的客户"), "{text}");
    assert_eq!(
        lines[3],
        "1 passed, 1 failed, 0 errors, 1 skipped, 0 known deviations, 0 unexpected passes in 3.2 s"
    );
}

fn wires_of(key: &str) -> Vec<Wire> {
    fixture_events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Wire(w) if w.case == key => Some(w),
            _ => None,
        })
        .collect()
}

#[test]
fn pcapng_has_one_file_per_case_with_each_message_once() {
    let dir = out_dir("fixture-pcap");
    let written = feed(&mut PcapngWriter::new(&dir));
    assert_eq!(
        written.len(),
        2,
        "the skipped case sent nothing: {written:?}"
    );
    let reg = capture_for_case(REG, &wires_of(REG));
    assert_eq!(reg.len(), 4, "8 captures, 4 packets");
    assert_eq!(
        reg[1].comment,
        "case PLT-REG-001 / frame 3 / mc out (also frame 4 / alice in)"
    );
    let msg = capture_for_case(MSG, &wires_of(MSG));
    // Two connections: 3 handshake + 3 close each; MESSAGEs of 2 segments, responses of 1.
    assert_eq!(msg.len(), 2 * 6 + 2 * 2 + 2);
    if !have("tshark") {
        return;
    }
    let (methods, malformed) = tshark(&written[0]);
    assert_eq!(malformed, "");
    assert_eq!(methods, ["REGISTER", "401", "REGISTER", "200"]);
    let (methods, malformed) = tshark(&written[1]);
    assert_eq!(malformed, "");
    assert_eq!(methods, ["MESSAGE", "MESSAGE", "200", "202"]);
}

#[test]
fn tshark_decodes_pipelined_segmented_and_ipv6_sip() {
    if !have("tshark") {
        return;
    }
    let wire = |frame, src: &str, dst: &str, transport, bytes: &[u8]| Wire {
        case: "PIPE".into(),
        frame,
        time_us: 1_795_483_800_000_000 + frame * 1000,
        case_ms: frame as f64,
        role: "alice".into(),
        direction: Direction::Out,
        transport,
        protocol: rcs_harness::events::Protocol::Sip,
        src: addr(src),
        dst: addr(dst),
        summary: String::new(),
        bytes: WireBytes(bytes.to_vec()),
    };
    let (ue, mc) = ("127.0.0.1:40311", "127.0.0.1:45061");
    let wires = [
        // Two requests back to back on one connection, the first longer than one segment.
        wire(1, ue, mc, Transport::Tcp, MESSAGE),
        wire(2, ue, mc, Transport::Tcp, REGISTER_AUTH),
        wire(3, mc, ue, Transport::Tcp, ACCEPTED),
        wire(4, mc, ue, Transport::Tcp, CHALLENGE),
        wire(
            5,
            "[2001:db8::1]:40500",
            "[2001:db8::2]:45060",
            Transport::Udp,
            REGISTERED,
        ),
        wire(
            6,
            "[2001:db8::1]:40501",
            "[2001:db8::2]:45062",
            Transport::Tcp,
            RELAYED,
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pipe.pcapng");
    rcs_reports::pcapng::write_capture(&path, &capture_for_case("PIPE", &wires)).unwrap();
    let (methods, malformed) = tshark(&path);
    assert_eq!(malformed, "");
    assert_eq!(
        methods,
        ["MESSAGE", "REGISTER", "202", "401", "200", "MESSAGE"]
    );
}

/// The SIP method or status of every frame tshark decoded as SIP, and the malformed frames.
fn tshark(path: &Path) -> (Vec<String>, String) {
    let run = |args: &[&str]| {
        let out = Command::new("tshark")
            .arg("-r")
            .arg(path)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let malformed = run(&["-Y", "_ws.malformed"]);
    let fields = run(&["-T", "fields", "-e", "sip.Method", "-e", "sip.Status-Code"]);
    let methods = fields
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    (methods, malformed)
}

#[test]
fn html_escapes_wire_text_and_counts_right() {
    let dir = out_dir("fixture-html");
    assert_eq!(
        feed(&mut HtmlReport::new(&dir)),
        vec![dir.join("index.html")]
    );
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(
        html.contains("→ registered, 200 OK, expires 3600 (status=200)"),
        "the register step shows what the action did"
    );
    for raw in [
        "<script>alert(1)</script>",
        "\"><img src=x onerror=alert(1)>",
        "<img",
    ] {
        assert!(!html.contains(raw), "{raw} appears unescaped");
    }
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only the report's own filter script"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
    );
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external resource"
    );
    for (verdict, n) in [
        ("pass", 1),
        ("fail", 1),
        ("error", 0),
        ("skip", 1),
        ("known-deviation", 0),
        ("unexpected-pass", 0),
    ] {
        assert!(
            html.contains(&format!(r#"data-count-{verdict}="{n}""#)),
            "{verdict} count"
        );
    }
    assert!(html.contains(r#"<tr data-suite="platform"><td>platform</td><td class="num">2</td>"#));
    let ladders: Vec<&str> = html.split("<svg class=\"ladder\"").skip(1).collect();
    assert_eq!(ladders.len(), 2, "one ladder per case that sent messages");
    for ladder in &ladders {
        let svg = &ladder[..ladder.find("</svg>").unwrap()];
        assert_eq!(
            svg.matches(r#"<a class="arrow"#).count(),
            4,
            "4 deduplicated frames"
        );
    }
    assert_eq!(
        ladders[1].matches(r#"<a class="arrow failed""#).count(),
        1,
        "frame 4 is red"
    );
    let anchor = rcs_reports::names::safe_name(MSG);
    for frame in [1, 3, 5, 7] {
        assert!(ladders[1].contains(&format!(r##"href="#{anchor}-frame-{frame}""##)));
        assert!(html.contains(&format!(r#"<pre id="{anchor}-frame-{frame}">"#)));
    }
    assert!(html.contains(&format!(r#"<span class="anchor" id="{anchor}-frame-4">"#)));
    assert!(html.contains(
        r#"<span class="d-del">-Amount due: 3,280.00 CNY, due date: 2026-12-05.</span>"#
    ));
    assert!(html.contains(r#"<span class="d-ins">+Amount due: &lt;script&gt;"#));
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

fn chromium(dir: &Path, extra: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("/usr/bin/chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
        ])
        .args([
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", dir.join("index.html").display()))
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
    let dom = chromium(dir, &["--dump-dom"]);
    assert!(dom.contains(REG) && dom.contains(MSG) && dom.contains(BOT));
    assert!(dom.contains(r#"data-count-fail="1""#) && dom.contains(r#"data-count-pass="1""#));
    assert_eq!(
        dom.matches("<script").count(),
        1,
        "no injected script element"
    );
    assert!(!dom.contains("<img"), "no injected image element");
    assert!(dom.contains("3 shown"), "the filter script ran");
    let shot = dir.join("shot.png");
    chromium(
        dir,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2000",
        ],
    );
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "a real screenshot"
    );
}

#[test]
fn fanout_writes_every_report() {
    let dir = out_dir("fixture-all");
    let sinks: Vec<Box<dyn EventSink>> = vec![
        Box::new(JsonlWriter::create(dir.join("events.jsonl")).unwrap()),
        Box::new(JunitReport::new(dir.join("junit.xml"))),
        Box::new(PcapngWriter::new(&dir)),
        Box::new(HtmlReport::new(&dir)),
    ];
    let written = feed(&mut Fanout::new(sinks));
    let names: Vec<String> = written
        .iter()
        .map(|p| p.strip_prefix(&dir).unwrap().display().to_string())
        .collect();
    let pcap = rcs_reports::names::safe_name(MSG);
    assert_eq!(
        names,
        [
            "events.jsonl",
            "junit.xml",
            "pcap/PLT-REG-001.pcapng",
            &format!("pcap/{pcap}.pcapng"),
            "index.html"
        ]
    );
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(
        html.contains(&format!(r#"href="pcap/{pcap}.pcapng""#)),
        "the report links the capture"
    );
}

/// A small deterministic generator, so the hostile stream is the same on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below.max(1)
    }
}

#[test]
fn hostile_streams_do_not_panic_any_reporter() {
    let mut rng = Lcg(7);
    let addrs = [
        "127.0.0.1:0",
        "[::1]:5060",
        "0.0.0.0:65535",
        "[2001:db8::9]:40000",
        "10.0.0.1:5060",
    ];
    let keys = ["A", "B[../../x]", "<script>", "", "C"];
    let mut events = Vec::new();
    for frame in 0..400 {
        let key = keys[rng.next(5) as usize];
        let len = [0, 3, 1448, 1449, 70_000][rng.next(5) as usize];
        let bytes: Vec<u8> = (0..len).map(|_| rng.next(256) as u8).collect();
        let event = match rng.next(6) {
            0 => Event::CaseFinished(rcs_harness::events::CaseFinished {
                case: key.into(),
                verdict: rcs_harness::verdict::Verdict::Fail,
                duration_ms: [f64::NAN, -1.0, 1e300, 5.0][rng.next(4) as usize],
                reason: Some("\u{1b}[2J<b>".into()),
            }),
            1 => Event::Check(rcs_harness::events::CheckOutcome {
                case: key.into(),
                step: rng.next(1000) as usize,
                line: 1,
                rule: "<r>".into(),
                what: "w".into(),
                expected: String::from_utf8_lossy(&bytes[..bytes.len().min(50)]).into_owned(),
                observed: "\"><img src=x onerror=alert(1)>\r\n".repeat(3),
                passed: rng.next(2) == 0,
                frame: Some(rng.next(400)),
            }),
            _ => Event::Wire(Wire {
                case: key.into(),
                frame,
                time_us: rng.next(u64::MAX),
                case_ms: f64::INFINITY,
                role: keys[rng.next(5) as usize].into(),
                direction: if rng.next(2) == 0 {
                    Direction::In
                } else {
                    Direction::Out
                },
                transport: if rng.next(2) == 0 {
                    Transport::Udp
                } else {
                    Transport::Tcp
                },
                protocol: rcs_harness::events::Protocol::Sip,
                src: addr(addrs[rng.next(5) as usize]),
                dst: addr(addrs[rng.next(5) as usize]),
                summary: "<svg onload=alert(1)>".into(),
                bytes: WireBytes(bytes),
            }),
        };
        events.push(event);
    }
    let dir = tempfile::tempdir().unwrap();
    let mut fanout = Fanout::new(vec![
        Box::new(JsonlWriter::create(dir.path().join("events.jsonl")).unwrap()),
        Box::new(JunitReport::new(dir.path().join("junit.xml"))),
        Box::new(PcapngWriter::new(dir.path())),
        Box::new(HtmlReport::new(dir.path())),
        Box::new(TerminalReporter::new(Box::new(std::io::sink()), false)),
    ]);
    for event in &events {
        fanout.event(event);
    }
    let written = fanout.finish().unwrap();
    assert!(written.len() >= 7, "{written:?}");
    let html = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(!html.contains("<img") && !html.contains("<svg onload") && !html.contains("<b>"));
    assert_eq!(html.matches("<script").count(), 1);
}
