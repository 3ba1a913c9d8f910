//! Third-party SIP peers as systems under test: Kamailio (Debian package `kamailio`) configured by
//! interop/kamailio/kamailio.cfg plays the message center, and the platform cases run against it
//! through cases/profiles/kamailio.yaml; SIPp (package `sip-tester`, interop/sipp/) and linphonec
//! (package `linphone-cli`, interop/linphone/) play the terminal under test through the hooks of
//! cases/profiles/sipp.yaml and linphonec.yaml. Each profile is used with its port rewritten to a
//! free one and its hook paths made absolute.
//!
//! Every peer listens on 127.0.0.1 only, is bounded in time, and is stopped by its PID when the
//! test ends. A peer that is not installed fails the test under CI (`CI` set); elsewhere the test
//! says so and returns.

use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use interop_tests::{Recorder, cases_dir, workspace};
use rcs_harness::case::{Case, find_case_files, load_case};
use rcs_harness::events::{Direction, Event, Protocol, Transport, Wire};
use rcs_harness::plan::{Faults, plan};
use rcs_harness::profile::parse_profile;
use rcs_harness::runner::{RunOptions, run_all};
use rcs_harness::verdict::Verdict;
use rcs_simulators::Simulators;

/// Whether `tool` is on PATH; under CI a missing tool fails the test.
fn installed(tool: &str, package: &str) -> bool {
    let found = Command::new("sh")
        .arg("-c")
        .arg(format!("command -v {tool}"))
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} is not installed (apt-get install {package}); CI must run this test"
        );
        eprintln!("notice: {tool} is not installed (apt-get install {package}); test not run");
    }
    found
}

/// One peer at a time: ports are probed free and then bound by another process, which must not race
/// with the other tests' peers.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A port free on 127.0.0.1 for both UDP and TCP at the time of asking.
fn free_port() -> u16 {
    for _ in 0..50 {
        let tcp = TcpListener::bind("127.0.0.1:0").expect("bind tcp");
        let port = tcp.local_addr().expect("tcp addr").port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no port free for both UDP and TCP on 127.0.0.1");
}

/// A Kamailio started by interop/kamailio/run.sh, stopped by its PID on drop.
struct Kamailio {
    child: Child,
    port: u16,
    _work: tempfile::TempDir,
}

impl Kamailio {
    fn start() -> Self {
        let work = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let script = workspace().join("interop/kamailio/run.sh");
        let log = std::fs::File::create(work.path().join("kamailio.log")).expect("log file");
        let child = Command::new("bash")
            .arg(script)
            .arg(port.to_string())
            .arg(work.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("start kamailio");
        let mut k = Self {
            child,
            port,
            _work: work,
        };
        k.wait_ready();
        k
    }

    /// Until its TCP socket accepts, bounded in time.
    fn wait_ready(&mut self) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("kamailio exited at start ({status}): {}", self.log());
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "kamailio did not listen on {addr} within 15 s: {}",
            self.log()
        );
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self._work.path().join("kamailio.log")).unwrap_or_default()
    }

    /// cases/profiles/kamailio.yaml with this instance's port and `transport`, and `claim` added to
    /// its capabilities when given.
    fn profile(&self, transport: &str, claim: Option<&str>) -> rcs_harness::profile::Profile {
        let path = cases_dir().join("profiles/kamailio.yaml");
        let source = std::fs::read_to_string(&path).expect("kamailio profile");
        let source = source
            .replace("127.0.0.1:5060", &format!("127.0.0.1:{}", self.port))
            .replace("transport: udp", &format!("transport: {transport}"));
        let source = match claim {
            Some(c) => source.replace("capabilities: [", &format!("capabilities: [{c}, ")),
            None => source,
        };
        assert!(source.contains(&format!("127.0.0.1:{}", self.port)));
        parse_profile(&path, &source).expect("valid kamailio profile")
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        // SIGTERM lets the main process stop its workers; SIGKILL only if it does not exit.
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn platform_cases() -> Vec<Arc<Case>> {
    let files = find_case_files(&[cases_dir().join("platform")]).expect("platform cases");
    files
        .iter()
        .map(|f| Arc::new(load_case(f, &Simulators).expect("valid case")))
        .collect()
}

/// Runs the platform cases matching `filter` against Kamailio and returns (id, verdict, account).
async fn run_against_kamailio(
    transport: &str,
    filter: &str,
    claim: Option<&str>,
) -> Vec<(String, Verdict, String)> {
    run_against_kamailio_on_wire(transport, filter, claim)
        .await
        .0
}

/// As [`run_against_kamailio`], with what went on the wire and Kamailio's port.
async fn run_against_kamailio_on_wire(
    transport: &str,
    filter: &str,
    claim: Option<&str>,
) -> (Vec<(String, Verdict, String)>, Vec<Wire>, u16) {
    let kamailio = Kamailio::start();
    let profile = kamailio.profile(transport, claim);
    let cases = platform_cases();
    let executions = plan(&cases, Some(filter), &Faults::None);
    let options = RunOptions {
        jobs: 2,
        transport: match transport {
            "tcp" => Transport::Tcp,
            _ => Transport::Udp,
        },
        ..RunOptions::default()
    };
    let mut recorder = Recorder::default();
    run_all(
        executions,
        Arc::new(Simulators),
        Some(Arc::new(profile)),
        &options,
        &mut recorder,
    )
    .await;
    let outcomes = recorder
        .outcomes()
        .into_iter()
        .map(|o| (o.key.clone(), o.verdict, o.explain()))
        .collect();
    let wire = recorder
        .events()
        .into_iter()
        .filter_map(|e| match e {
            Event::Wire(w) => Some(w),
            _ => None,
        })
        .collect();
    let port = kamailio.port;
    drop(kamailio);
    (outcomes, wire, port)
}

fn verdict_of(outcomes: &[(String, Verdict, String)], id: &str) -> Verdict {
    outcomes
        .iter()
        .find(|(k, _, _)| k == id)
        .map(|(_, v, _)| *v)
        .unwrap_or_else(|| panic!("{id} did not run"))
}

/// The large message of PLT-MSG-006 crosses Kamailio's MSRP relay twice (both terminals use the
/// one relay, so it relays each frame over a connection it opens to itself). Now and then
/// Kamailio 5.6 holds the frames on that connection past the case's 3 s window: its log then shows
/// them forwarded to bob only after bob has closed (`tcpconn_do_send(): failed to send … Broken
/// pipe`, `msrp_relay(): forwarding frame failed`); about 1 run in 6 under the load of the whole
/// test suite. The case must still pass: when it fails at exactly that step (no SEND reaches
/// bob), it is run again, on a fresh Kamailio, at most twice. Any other failure stands.
async fn retry_stalled_relay(
    transport: &str,
    mut outcomes: Vec<(String, Verdict, String)>,
) -> Vec<(String, Verdict, String)> {
    const CASE: &str = "PLT-MSG-006";
    const STALL: &str = "no MSRP SEND arrives at bob";
    for _ in 0..2 {
        let Some(at) = outcomes
            .iter()
            .position(|(k, v, a)| k == CASE && *v == Verdict::Fail && a.contains(STALL))
        else {
            break;
        };
        eprintln!("{CASE} over {transport}: the relay stalled, running it again");
        let again = run_against_kamailio(transport, CASE, None).await;
        if let (Some(slot), Some(rerun)) = (outcomes.get_mut(at), again.into_iter().next()) {
            *slot = rerun;
        }
    }
    outcomes
}

fn assert_verdicts(
    outcomes: &[(String, Verdict, String)],
    expected: &[(impl AsRef<str>, Verdict)],
) {
    let accounts: Vec<_> = outcomes.iter().map(|(_, _, a)| a.as_str()).collect();
    assert_eq!(
        outcomes.len(),
        expected.len(),
        "outcomes:\n{}",
        accounts.join("\n")
    );
    for (id, want) in expected {
        let id = id.as_ref();
        assert_eq!(
            verdict_of(outcomes, id),
            *want,
            "{id}; outcomes:\n{}",
            accounts.join("\n")
        );
    }
}

/// `listed`, and every other platform case matching `filter` that Kamailio's profile cannot run,
/// which must be skipped: it needs a capability the profile does not declare (such as file
/// transfer or group chat), or it tests a role the profile leaves simulated (the chatbot
/// platform).
fn with_capability_skips(filter: &str, listed: &[(&str, Verdict)]) -> Vec<(String, Verdict)> {
    let path = cases_dir().join("profiles/kamailio.yaml");
    let source = std::fs::read_to_string(&path).expect("kamailio profile");
    let profile = parse_profile(&path, &source).expect("valid kamailio profile");
    let cases = platform_cases();
    let gated = plan(&cases, Some(filter), &Faults::None)
        .into_iter()
        .filter(|e| {
            profile.external(e.case.under_test_kind()).is_none()
                || !profile.missing_capabilities(&e.case).is_empty()
        })
        .map(|e| e.key)
        .filter(|key| listed.iter().all(|(id, _)| id != key))
        .map(|key| (key, Verdict::Skip));
    listed
        .iter()
        .map(|(id, v)| ((*id).to_owned(), *v))
        .chain(gated)
        .collect()
}

fn kamailio_available() -> bool {
    installed("kamailio", "kamailio")
}

/// Over UDP, every platform case, including the 61 s real-time binding expiry of PLT-REG-004.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kamailio_as_message_center_over_udp() {
    let _serial = SERIAL.lock().await;
    if !kamailio_available() {
        return;
    }
    let outcomes = run_against_kamailio("udp", "PLT-*", None).await;
    let outcomes = retry_stalled_relay("udp", outcomes).await;
    let expected = with_capability_skips(
        "PLT-*",
        &[
            ("PLT-REG-001", Verdict::Pass),
            ("PLT-REG-003", Verdict::Pass),
            ("PLT-REG-004", Verdict::Pass),
            ("PLT-CAP-001", Verdict::Pass),
            ("PLT-CAP-002", Verdict::Pass),
            ("PLT-CAP-003", Verdict::Pass),
            ("PLT-MSG-001", Verdict::Pass),
            // Kamailio does not police the CPM headers: not declared, so skipped.
            ("PLT-MSG-002", Verdict::Skip),
            ("PLT-MSG-005", Verdict::Pass),
            // Session chat and large messages: Kamailio proxies the INVITE and relays the MSRP.
            ("PLT-MSG-006", Verdict::Pass),
            ("PLT-MSG-007", Verdict::Pass),
            ("PLT-MSG-008", Verdict::Pass),
        ],
    );
    assert_verdicts(&outcomes, &expected);
}

/// The cases run over TCP: those that take no real-time wait.
const TCP_CASES: &str = "PLT-CAP-*,PLT-MSG-*,PLT-REG-001,PLT-REG-003";

/// Over TCP, the cases that take no real-time wait.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kamailio_as_message_center_over_tcp() {
    let _serial = SERIAL.lock().await;
    if !kamailio_available() {
        return;
    }
    let (outcomes, wire, port) = run_against_kamailio_on_wire("tcp", TCP_CASES, None).await;
    went_through_kamailio(&wire, "PLT-MSG-007", port);
    let outcomes = retry_stalled_relay("tcp", outcomes).await;
    let expected = with_capability_skips(
        TCP_CASES,
        &[
            ("PLT-REG-001", Verdict::Pass),
            ("PLT-REG-003", Verdict::Pass),
            ("PLT-CAP-001", Verdict::Pass),
            ("PLT-CAP-002", Verdict::Pass),
            ("PLT-CAP-003", Verdict::Pass),
            ("PLT-MSG-001", Verdict::Pass),
            ("PLT-MSG-002", Verdict::Skip),
            ("PLT-MSG-005", Verdict::Pass),
            // Session chat and large messages: Kamailio proxies the INVITE and relays the MSRP.
            ("PLT-MSG-006", Verdict::Pass),
            ("PLT-MSG-007", Verdict::Pass),
            ("PLT-MSG-008", Verdict::Pass),
        ],
    );
    assert_verdicts(&outcomes, &expected);
}

/// The session of `case` really crossed Kamailio: alice's offer names its relay first in
/// `a=path`, every MSRP frame bob received came from Kamailio, and alice's BYE follows the route
/// set its 200 record-routed (RFC 4976 §6, RFC 3261 12.1.2).
fn went_through_kamailio(wire: &[Wire], case: &str, port: u16) {
    let text = |w: &Wire| String::from_utf8_lossy(&w.bytes.0).into_owned();
    let sent_by_alice =
        |w: &&Wire| w.case == case && w.role == "alice" && w.direction == Direction::Out;
    let invite = wire
        .iter()
        .filter(sent_by_alice)
        .map(text)
        .find(|t| t.starts_with("INVITE "))
        .expect("alice sent an INVITE");
    let relay = format!("a=path:msrp://127.0.0.1:{port}/");
    assert!(invite.contains(&relay), "{invite}");
    let frames: Vec<_> = wire
        .iter()
        .filter(|w| w.case == case && w.role == "bob" && w.direction == Direction::In)
        .filter(|w| w.protocol == Protocol::Msrp)
        .collect();
    assert!(
        frames.len() >= 5,
        "bob received {} MSRP frames",
        frames.len()
    );
    assert!(frames.iter().all(|w| w.src.port() == port), "{frames:?}");
    let bye = wire
        .iter()
        .filter(sent_by_alice)
        .map(text)
        .find(|t| t.starts_with("BYE "))
        .expect("alice sent a BYE");
    let route = format!("Route: <sip:127.0.0.1:{port};");
    assert!(bye.contains(&route), "{bye}");
}

/// The skip is earned: claimed anyway, the CPM-header rule fails, because Kamailio relays a pager
/// message that lacks Contribution-ID instead of rejecting it with 400.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kamailio_claiming_cpm_header_checks_fails_them() {
    let _serial = SERIAL.lock().await;
    if !kamailio_available() {
        return;
    }
    let outcomes =
        run_against_kamailio("udp", "PLT-MSG-002", Some("rcs-conversation-headers")).await;
    assert_verdicts(&outcomes, &[("PLT-MSG-002", Verdict::Fail)]);
    let account = &outcomes[0].2;
    assert!(account.contains("RCC.07 3.2"), "{account}");
}

/// A terminal under test driven by `script` (interop/<tool>/terminal.sh) on a free port; whatever
/// the hooks left running on that port is stopped by its PID on drop.
struct HookedTerminal {
    script: std::path::PathBuf,
    port: u16,
}

impl HookedTerminal {
    fn new(tool: &str) -> Self {
        Self {
            script: workspace().join(format!("interop/{tool}/terminal.sh")),
            port: free_port(),
        }
    }

    /// cases/profiles/<name>.yaml with this terminal's port and absolute hook paths.
    fn profile(&self, name: &str) -> rcs_harness::profile::Profile {
        let path = cases_dir().join(format!("profiles/{name}.yaml"));
        let source = std::fs::read_to_string(&path).expect("terminal profile");
        let source = source
            .replace(
                "address: 127.0.0.1:5070",
                &format!("address: 127.0.0.1:{}", self.port),
            )
            .replace(
                "address: 127.0.0.1:5080",
                &format!("address: 127.0.0.1:{}", self.port),
            )
            .replace(
                "\"interop/",
                &format!("\"{}/interop/", workspace().display()),
            );
        assert!(source.contains(&format!("127.0.0.1:{}", self.port)));
        parse_profile(&path, &source).expect("valid terminal profile")
    }
}

impl Drop for HookedTerminal {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(&self.script)
            .arg("stop")
            .env("RCS_ROLE", "ue")
            .env("RCS_UE_ADDR", format!("127.0.0.1:{}", self.port))
            .env("RCS_UE_MSISDN", "+8613800000001")
            .env("RCS_MC_KIND", "message-center")
            .env("RCS_MC_UDP", "127.0.0.1:9")
            .stdout(Stdio::null())
            .status();
    }
}

/// Runs the terminal cases matching `filter` against the terminal, one at a time.
async fn run_against_terminal(
    terminal: &HookedTerminal,
    profile: &str,
    filter: &str,
) -> Vec<(String, Verdict, String)> {
    let files = find_case_files(&[cases_dir().join("terminal")]).expect("terminal cases");
    let cases: Vec<_> = files
        .iter()
        .map(|f| Arc::new(load_case(f, &Simulators).expect("valid case")))
        .collect();
    let executions = plan(&cases, Some(filter), &Faults::None);
    let options = RunOptions {
        jobs: 1,
        ..RunOptions::default()
    };
    let mut recorder = Recorder::default();
    run_all(
        executions,
        Arc::new(Simulators),
        Some(Arc::new(terminal.profile(profile))),
        &options,
        &mut recorder,
    )
    .await;
    recorder
        .outcomes()
        .into_iter()
        .map(|o| (o.key.clone(), o.verdict, o.explain()))
        .collect()
}

/// SIPp registers with digest and the RCS feature tags; it sends no IMDN, so that case is skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sipp_terminal_registers_with_rcs_feature_tags() {
    let _serial = SERIAL.lock().await;
    if !installed("sipp", "sip-tester") {
        return;
    }
    let sipp = HookedTerminal::new("sipp");
    let outcomes = run_against_terminal(&sipp, "sipp", "TRM-REG-001,TRM-IMDN-001").await;
    assert_verdicts(
        &outcomes,
        &[
            ("TRM-REG-001", Verdict::Pass),
            ("TRM-IMDN-001", Verdict::Skip),
        ],
    );
}

/// The cases that need an MSRP session from the terminal under test (session chat, large-message
/// mode, group chat).
const SESSION_CASES: &str = "TRM-CHAT-002,TRM-CHAT-004,TRM-CHAT-005,TRM-CHAT-006,TRM-CHAT-007,TRM-CHAT-008,TRM-CHAT-010,TRM-IMDN-003,TRM-IMDN-004,TRM-BOT-002,TRM-GC-*";

/// Neither SIPp's scenarios nor linphonec open MSRP sessions, and their profiles do not declare
/// `session-chat`: every session case is skipped with that reason, none fails or errors.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminals_without_sessions_skip_the_session_cases() {
    let _serial = SERIAL.lock().await;
    for (tool, package, hooks, profile) in [
        ("sipp", "sip-tester", "sipp", "sipp"),
        ("linphonec", "linphone-cli", "linphone", "linphonec"),
    ] {
        if !installed(tool, package) {
            continue;
        }
        let terminal = HookedTerminal::new(hooks);
        let outcomes = run_against_terminal(&terminal, profile, SESSION_CASES).await;
        assert_eq!(outcomes.len(), 16, "{profile}: {outcomes:?}");
        for (id, verdict, account) in &outcomes {
            assert_eq!(*verdict, Verdict::Skip, "{profile} {id}: {account}");
            assert!(
                account.contains("`session-chat`"),
                "{profile} {id}: {account}"
            );
        }
    }
}

/// linphonec registers with digest but without any RCS feature tag: a known deviation, found by
/// the feature-tag check itself.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linphonec_registers_without_rcs_feature_tags() {
    let _serial = SERIAL.lock().await;
    if !installed("linphonec", "linphone-cli") {
        return;
    }
    let linphonec = HookedTerminal::new("linphone");
    let outcomes = run_against_terminal(&linphonec, "linphonec", "TRM-REG-001").await;
    assert_verdicts(&outcomes, &[("TRM-REG-001", Verdict::KnownDeviation)]);
    let account = &outcomes[0].2;
    assert!(
        account.contains("FAILED [RCC.07 ch.2 registration]")
            && account.contains("observed (absent)"),
        "{account}"
    );
}
