//! The `rcs-sim` binary: it announces its addresses, serves the built-in subscribers on real
//! time, takes faults, rejects a bad config with exit status 2 and `FILE:LINE:COL`, and stops
//! cleanly on SIGTERM.

#![allow(clippy::unwrap_used)]

mod mc_support;

use std::net::SocketAddr;
use std::process::Stdio;

use mc_support::{Phone, WAIT, rcs};
use rcs_harness::role::HOME_DOMAIN;
use rcs_proto::sip::auth::Challenge;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

fn rcs_sim(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rcs-sim"));
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Starts `rcs-sim message-center` on any port and reads its announcement.
async fn spawn(extra: &[&str]) -> (Child, SocketAddr) {
    let mut args = vec!["message-center", "--listen", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    // Logs are not read here: a full pipe must not block the simulator.
    let mut child = rcs_sim(&args).stderr(Stdio::null()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let line = tokio::time::timeout(WAIT, lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let words: Vec<&str> = line.split(' ').collect();
    assert_eq!(
        words[..5],
        ["rcs-sim", "message-center", "listening", "on", "udp"],
        "{line}"
    );
    assert_eq!(words[6], "tcp", "{line}");
    let udp: SocketAddr = words[5].parse().unwrap();
    let tcp: SocketAddr = words[7].parse().unwrap();
    assert_eq!(udp, tcp, "UDP and TCP share the port");
    assert_ne!(udp.port(), 0);
    (child, udp)
}

async fn terminate(mut child: Child) {
    let pid = child.id().unwrap().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(WAIT, child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "{exit:?}");
}

#[tokio::test]
async fn serves_the_built_in_subscribers_and_stops_on_sigterm() {
    let (child, addr) = spawn(&[]).await;
    let mut phone = Phone::udp(rcs(20), addr).await;
    phone.register().await;
    let request = phone.options(&format!("sip:{HOME_DOMAIN}"));
    phone.send(request.as_bytes()).await;
    assert_eq!(phone.recv().await.status(), Some(200));
    let mut tcp = Phone::tcp(rcs(1), addr).await;
    let request = tcp.options(&rcs(2).tel_uri());
    tcp.send(request.as_bytes()).await;
    assert_eq!(tcp.recv().await.status(), Some(480));
    terminate(child).await;
}

#[tokio::test]
async fn faults_from_the_command_line_apply() {
    let (child, addr) = spawn(&["--fault", "message-center.omit-qop"]).await;
    let mut phone = Phone::udp(rcs(1), addr).await;
    let request = phone.register_request(3600, "", None);
    phone.send(request.as_bytes()).await;
    let challenge = phone.recv().await;
    let challenge = Challenge::parse(challenge.header("WWW-Authenticate").unwrap()).unwrap();
    assert!(challenge.qop.is_empty());
    terminate(child).await;
}

#[tokio::test]
async fn a_bad_config_exits_2_with_its_location() {
    let path = std::env::temp_dir().join(format!("rcs-sim-{}.yaml", uuid::Uuid::new_v4().simple()));
    std::fs::write(&path, "settings:\n  max-expires: 60\n  relam: x\n").unwrap();
    let out = rcs_sim(&[
        "message-center",
        "--listen",
        "127.0.0.1:0",
        "--config",
        path.to_str().unwrap(),
    ])
    .output()
    .await
    .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:3:", path.display())),
        "{stderr}"
    );
    assert!(stderr.contains("relam"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing announced");

    let out = rcs_sim(&[
        "message-center",
        "--listen",
        "127.0.0.1:0",
        "--fault",
        "terminal.reject-message",
    ])
    .output()
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
