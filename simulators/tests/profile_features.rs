//! Profile features against real processes and sockets: expected deviations become known-deviation or
//! unexpected-pass, undeclared capabilities skip a case with the reason, a hook drives an external
//! terminal (here a shell command that really sends its REGISTER), an operator prompt in a
//! non-interactive run skips, and no report carries a password.

#![allow(clippy::unwrap_used)]

mod rcs_sim_support;

use std::sync::Arc;

use rcs_harness::case::load_case;
use rcs_harness::verdict::Verdict;
use rcs_simulators::Simulators;

use rcs_sim_support::{Sim, committed_cases, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expected_deviations_and_capabilities_decide_the_verdict() {
    let sim = Sim::start(&["--fault", "message-center.offline-as-404"]);
    let profile = format!(
        "name: lab\nroles:\n  message-center: {{ address: {} }}\ncapabilities: [rcs-user-state, p-associated-uri]\nexpected-deviations:\n  PLT-CAP-002: answers 404 for offline users\n  PLT-CAP-003: believed broken too\n",
        sim.addr
    );
    let log = run(
        &committed_cases(),
        "PLT-CAP-002,PLT-CAP-003,PLT-REG-003,ROB-SIP-001",
        &profile,
    )
    .await;
    let (v, why) = log.verdict("PLT-CAP-002");
    assert_eq!(v, Verdict::KnownDeviation, "{why}");
    assert!(why.contains("answers 404 for offline users"), "{why}");
    let (v, why) = log.verdict("PLT-CAP-003");
    assert_eq!(v, Verdict::UnexpectedPass, "{why}");
    let (v, why) = log.verdict("PLT-REG-003");
    assert_eq!(v, Verdict::Skip, "{why}");
    assert!(
        why.contains("`service-route`") && !why.contains("`p-associated-uri`"),
        "{why}"
    );
    assert_eq!(log.verdict("ROB-SIP-001").0, Verdict::Pass);
}

/// A terminal under test that is "real": the profile's hook is a shell command that builds a
/// REGISTER from the case's values and sends it from the address the case gave the role.
const HOOK_CASE: &str = r#"
id: HOOK-001
title: A hook makes an external terminal register
suite: terminal
under-test: ue
refs: [RFC 3261 10.2]
roles:
  ue: terminal
  mc: message-center
steps:
  - ue: register
  - expect:
      at: mc
      sip: REGISTER
      rule: RFC 3261 10.2
      checks:
        - { header: From, contains: "${ue.uri}", rule: RFC 3261 10.2 }
        - { header: Call-ID, equals: "${ue.sent-call-id}", rule: RFC 3261 10.2 }
        - { header: To, not-equals: "${ue.password}", rule: RFC 3261 10.2 }
  - ue: { send-options: { to: mc } }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hook_drives_an_external_terminal_and_passwords_stay_out_of_reports() {
    let dir = tempfile::tempdir().unwrap();
    let case_path = dir.path().join("HOOK-001.yaml");
    std::fs::write(&case_path, HOOK_CASE).unwrap();
    let cases = vec![Arc::new(load_case(&case_path, &Simulators).unwrap())];
    let hook_script = dir.path().join("register-hook.sh");
    // One datagram: the message is built in a file and sent with a single write.
    let hook = r#"msg=$(mktemp); printf 'REGISTER sip:%s SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKhook1\r\nMax-Forwards: 70\r\nFrom: <%s>;tag=h1\r\nTo: <%s>\r\nCall-ID: hook-%s\r\nCSeq: 1 REGISTER\r\nContact: <sip:%s@127.0.0.1:9>\r\nContent-Length: 0\r\n\r\n' "$RCS_MC_DOMAIN" "$RCS_UE_URI" "$RCS_UE_URI" "$RCS_CASE" "$RCS_UE_MSISDN" > "$msg"; cat "$msg" > "/dev/udp/127.0.0.1/$RCS_MC_PORT"; rm -f "$msg"; echo "sent-call-id=hook-$RCS_CASE""#;
    std::fs::write(&hook_script, hook).unwrap();
    let profile = format!(
        "name: device lab\nroles:\n  terminal: {{ address: 127.0.0.1:9 }}\nsubscribers:\n  - {{ msisdn: \"+8613800000001\", impi: 8613800000001@ims.mnc000.mcc460.3gppnetwork.org, password: Zq9-lab-secret }}\nactions:\n  terminal:\n    register: {{ run: \"bash {}\", timeout: 10s }}\n    send-options: {{ prompt: \"Make the phone query ${{mc.domain}}\" }}\n",
        hook_script.display()
    );
    let log = run(&cases, "HOOK-*", &profile).await;
    let (verdict, why) = log.verdict("HOOK-001");
    // The REGISTER arrived with the case's identity and the Call-ID the hook reported; the check that
    // names the password shows it redacted. Then the operator prompt cannot be answered in a test
    // run: the case is skipped, with that reason.
    assert_eq!(verdict, Verdict::Skip, "{why}\n{}", log.json());
    assert!(why.contains("not interactive"), "{why}");
    let json = log.json();
    assert!(
        json.contains("\"frame\""),
        "the REGISTER was captured at the simulated message center"
    );
    assert!(
        json.contains("hook-HOOK-001"),
        "the hook's output reached a check"
    );
    assert!(
        !json.contains("Zq9-lab-secret"),
        "a password leaked into the events"
    );
    assert!(json.contains("‹redacted›"), "{json}");
}
