//! `rcs-sim message-center --tls` as an external system under test reached over TLS: with the
//! certificate it is given (naming only a host name, as a lab server's would) the harness verifies
//! it by the profile's `tls-name`, and refuses it without (the case fails, the report saying why); with its own test certificate the CA it
//! exports (`--export-ca`) is all a profile needs to trust it.

#![allow(clippy::unwrap_used)]

mod rcs_sim_support;

use std::path::Path;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rcs_harness::verdict::Verdict;

use rcs_sim_support::{Sim, committed_cases, run};

/// A lab CA and a server certificate for `name` only, written as PEM files in `dir`: (ca, cert, key).
fn lab_certificates(dir: &Path, name: &str) -> (String, String, String) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec![name.to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let write = |file: &str, pem: String| {
        let path = dir.join(file);
        std::fs::write(&path, pem).unwrap();
        path.display().to_string()
    };
    (
        write("lab-ca.pem", ca_cert.pem()),
        write("mc.pem", cert.pem()),
        write("mc.key", key.serialize_pem()),
    )
}

fn profile(tls_addr: std::net::SocketAddr, ca: &str, tls_name: Option<&str>) -> String {
    let name = tls_name.map_or_else(String::new, |n| format!(", tls-name: {n}"));
    format!(
        "name: lab message center over tls\nroles:\n  message-center: {{ address: {tls_addr}, transport: tls{name} }}\ntls: {{ ca: {ca} }}\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_naming_a_host_is_verified_by_the_profiles_tls_name() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = lab_certificates(dir.path(), "mc.lab.example");
    let sim = Sim::start(&["--tls", "--tls-cert", &cert, "--tls-key", &key]);
    let tls = sim.tls.expect("the ready line names the tls address");
    let cases = committed_cases();

    let log = run(
        &cases,
        "PLT-REG-001",
        &profile(tls, &ca, Some("mc.lab.example")),
    )
    .await;
    let (verdict, why) = log.verdict("PLT-REG-001");
    assert_eq!(verdict, Verdict::Pass, "{why}");

    // Verified against 127.0.0.1, which the certificate does not name: the handshake is refused,
    // nothing reaches the system under test, and the step's outcome in the report says why.
    let log = run(&cases, "PLT-REG-001", &profile(tls, &ca, None)).await;
    let (verdict, why) = log.verdict("PLT-REG-001");
    assert_eq!(verdict, Verdict::Fail, "{why}");
    let events = log.json();
    assert!(
        events.contains("NotValidForName") || events.contains("not valid for name"),
        "the register step's outcome names the certificate problem: {events}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_exported_test_ca_is_enough_to_trust_rcs_sim() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("rcs-sim-ca.pem");
    let ca = ca.to_str().unwrap();
    let sim = Sim::start(&["--tls", "--export-ca", ca]);
    let pem = std::fs::read_to_string(ca).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{pem}");
    let tls = sim.tls.expect("the ready line names the tls address");
    let log = run(
        &committed_cases(),
        "PLT-REG-001,PLT-MSG-001",
        &profile(tls, ca, None),
    )
    .await;
    for key in ["PLT-REG-001", "PLT-MSG-001"] {
        let (verdict, why) = log.verdict(key);
        assert_eq!(verdict, Verdict::Pass, "{key}: {why}");
    }
}
