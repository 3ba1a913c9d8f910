//! `rcs-sim terminal` as a process: it registers to an `rcs-sim message-center` given by address,
//! is driven by stdin commands (pager, OPTIONS, session chat over MSRP), logs every message it
//! sees, listens where `--listen` says, rejects a bad config or an unspecified listen address
//! with exit status 2, and stops cleanly on SIGTERM (or at EOF when asked).

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::mpsc;

const WAIT: Duration = Duration::from_secs(10);

/// A running `rcs-sim`, its stdin, and its stdout and stderr lines as they come.
struct Sim {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: mpsc::UnboundedReceiver<String>,
    stderr: mpsc::UnboundedReceiver<String>,
}

impl Sim {
    fn spawn(args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_rcs-sim"))
            .args(args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let stdout = lines(child.stdout.take().unwrap());
        let stderr = lines(child.stderr.take().unwrap());
        Self {
            child,
            stdin,
            stdout,
            stderr,
        }
    }

    /// The announced address (`rcs-sim ROLE listening on udp ADDR tcp ADDR`).
    async fn announced(&mut self, role: &str) -> SocketAddr {
        let line = wait_for(&mut self.stdout, |l| l.contains("listening")).await;
        let words: Vec<&str> = line.split(' ').collect();
        assert_eq!(
            words[..5],
            ["rcs-sim", role, "listening", "on", "udp"],
            "{line}"
        );
        assert_eq!(words[6], "tcp", "{line}");
        let udp: SocketAddr = words[5].parse().unwrap();
        assert_eq!(words[7].parse::<SocketAddr>().unwrap(), udp);
        assert_ne!(udp.port(), 0);
        udp
    }

    /// A terminal's announced SIP and MSRP addresses (`... tcp ADDR msrp ADDR`).
    async fn terminal_announced(&mut self) -> (SocketAddr, SocketAddr) {
        let line = wait_for(&mut self.stdout, |l| l.contains("listening")).await;
        let words: Vec<&str> = line.split(' ').collect();
        assert_eq!(words.len(), 10, "{line}");
        assert_eq!(
            [words[0], words[1], words[4], words[6], words[8]],
            ["rcs-sim", "terminal", "udp", "tcp", "msrp"],
            "{line}"
        );
        let udp: SocketAddr = words[5].parse().unwrap();
        assert_eq!(words[7].parse::<SocketAddr>().unwrap(), udp);
        let msrp: SocketAddr = words[9].parse().unwrap();
        assert_eq!(msrp.ip(), udp.ip(), "{line}");
        assert_ne!(msrp.port(), 0, "{line}");
        (udp, msrp)
    }

    /// The value of the next `key=` line on stdout.
    async fn value(&mut self, key: &str) -> String {
        let prefix = format!("{key}=");
        let line = wait_for(&mut self.stdout, |l| l.starts_with(&prefix)).await;
        line[prefix.len()..].to_owned()
    }

    async fn type_line(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .unwrap();
        stdin.flush().await.unwrap();
    }

    /// Sends SIGTERM and expects exit status 0.
    async fn terminate(mut self) {
        let pid = self.child.id().unwrap().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .await
            .unwrap();
        assert!(status.success());
        let exit = tokio::time::timeout(WAIT, self.child.wait())
            .await
            .unwrap()
            .unwrap();
        assert!(exit.success(), "{exit:?}");
    }
}

/// Reads lines into a channel, so a full pipe never blocks the process.
fn lines(
    pipe: impl tokio::io::AsyncRead + Unpin + Send + 'static,
) -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut lines = BufReader::new(pipe).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// The first line matching `wanted`, within [`WAIT`]; the lines seen are shown on failure.
async fn wait_for(
    lines: &mut mpsc::UnboundedReceiver<String>,
    wanted: impl Fn(&str) -> bool,
) -> String {
    let mut seen = Vec::new();
    let found = tokio::time::timeout(WAIT, async {
        while let Some(line) = lines.recv().await {
            if wanted(&line) {
                return Some(line);
            }
            seen.push(line);
        }
        None
    })
    .await;
    match found {
        Ok(Some(line)) => line,
        _ => panic!("not found; seen:\n{}", seen.join("\n")),
    }
}

/// A config file that is removed when dropped.
struct ConfigFile(PathBuf);

impl ConfigFile {
    fn new(text: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("rcs-sim-ue-{}.yaml", uuid::Uuid::new_v4().simple()));
        std::fs::write(&path, text).unwrap();
        Self(path)
    }

    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
}

impl Drop for ConfigFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn message_center() -> (Sim, SocketAddr) {
    let mut mc = Sim::spawn(&["message-center", "--listen", "127.0.0.1:0"]);
    let addr = mc.announced("message-center").await;
    (mc, addr)
}

#[tokio::test]
async fn two_terminal_processes_chat_through_a_message_center_process() {
    let (mc, registrar) = message_center().await;
    let alice_config = ConfigFile::new(&format!("registrar: {registrar}\n"));
    let mut alice = Sim::spawn(&["terminal", "--config", alice_config.path()]);
    alice.announced("terminal").await;
    wait_for(&mut alice.stdout, |l| l.starts_with("register: ")).await;
    assert_eq!(
        wait_for(&mut alice.stdout, |l| l.starts_with("status=")).await,
        "status=200"
    );

    let bob_config = ConfigFile::new(&format!(
        "registrar: {registrar}\ntransport: tcp\n\
         subscriber: {{ msisdn: \"+8613800000002\", \
         impi: \"8613800000002@ims.mnc000.mcc460.3gppnetwork.org\", \
         password: \"secret-8613800000002\" }}\n\
         peers: {{ alice: \"+8613800000001\" }}\n"
    ));
    let mut bob = Sim::spawn(&["terminal", "--config", bob_config.path()]);
    bob.announced("terminal").await;
    assert_eq!(
        wait_for(&mut bob.stdout, |l| l.starts_with("status=")).await,
        "status=200"
    );

    bob.type_line("pager +8613800000001 hello").await;
    let outcome = wait_for(&mut bob.stdout, |l| l.starts_with("send-pager: ")).await;
    assert!(outcome.contains("sip:+8613800000001@"), "{outcome}");
    assert_eq!(
        wait_for(&mut bob.stdout, |l| l.starts_with("status=")).await,
        "status=200"
    );
    assert_eq!(
        wait_for(&mut bob.stdout, |l| l.starts_with("sent.text=")).await,
        "sent.text=hello"
    );
    let logged = wait_for(&mut alice.stderr, |l| l.contains(" MESSAGE sip:")).await;
    assert!(
        logged.contains(&format!("in udp {registrar} -> ")),
        "{logged}"
    );
    assert!(
        logged.contains("MESSAGE sip:+8613800000001@127.0.0.1:"),
        "{logged}"
    );

    // A peer by name; a mistyped command is reported and does not stop the terminal.
    bob.type_line("optoins alice").await;
    let error = wait_for(&mut bob.stdout, |l| l.starts_with("error: ")).await;
    assert!(error.contains("`optoins`"), "{error}");
    bob.type_line("options alice").await;
    wait_for(&mut bob.stdout, |l| l.starts_with("send-options: ")).await;
    assert_eq!(
        wait_for(&mut bob.stdout, |l| l.starts_with("status=")).await,
        "status=200"
    );

    bob.terminate().await;
    alice.terminate().await;
    mc.terminate().await;
}

/// The config of a terminal for built-in subscriber `n` (+861380000000n), over TCP.
fn subscriber_config(registrar: SocketAddr, n: u8, extra: &str) -> ConfigFile {
    ConfigFile::new(&format!(
        "registrar: {registrar}\ntransport: tcp\n\
         subscriber: {{ msisdn: \"+861380000000{n}\", \
         impi: \"861380000000{n}@ims.mnc000.mcc460.3gppnetwork.org\", \
         password: \"secret-861380000000{n}\" }}\n{extra}"
    ))
}

#[tokio::test]
async fn a_session_chat_from_stdin_reaches_the_other_terminal_process() {
    let (mc, registrar) = message_center().await;
    let alice_config = ConfigFile::new(&format!("registrar: {registrar}\n"));
    let mut alice = Sim::spawn(&["terminal", "--config", alice_config.path()]);
    let (alice_sip, _) = alice.terminal_announced().await;
    assert_eq!(alice.value("status").await, "200");
    let bob_config = subscriber_config(registrar, 2, "peers: { alice: \"+8613800000001\" }\n");
    let mut bob = Sim::spawn(&["terminal", "--config", bob_config.path()]);
    bob.terminal_announced().await;
    assert_eq!(bob.value("status").await, "200");

    bob.type_line("help").await;
    for word in ["chat TO", "say TO", "big TO SIZE", "bye TO", "message TO"] {
        wait_for(&mut bob.stdout, |l| l.trim_start().starts_with(word)).await;
    }

    // INVITE with SDP, then the first message over MSRP.
    bob.type_line("chat alice hello").await;
    let outcome = wait_for(&mut bob.stdout, |l| l.starts_with("start-chat: ")).await;
    assert!(outcome.contains("sip:+8613800000001@"), "{outcome}");
    assert_eq!(bob.value("status").await, "200");
    assert!(bob.value("msrp.path").await.starts_with("msrp://"));
    assert_eq!(bob.value("msrp.status").await, "200");
    let invite = wait_for(&mut alice.stderr, |l| l.contains(" INVITE sip:")).await;
    assert!(
        invite.contains(&format!("in udp {registrar} -> {alice_sip} ")),
        "{invite}"
    );
    let first = bob.value("sent.msrp.Message-ID").await;
    let sent = format!("MSRP SEND (Message-ID {first},");
    let logged = wait_for(&mut alice.stderr, |l| l.contains(&sent)).await;
    // The SEND comes over MSRP on TCP, on whichever connection the SDP setup chose (RFC 4145).
    assert!(logged.contains(" in tcp 127.0.0.1:"), "{logged}");

    // A message on the open session, then one of a size (two chunks).
    bob.type_line("say alice how  are you").await;
    let outcome = wait_for(&mut bob.stdout, |l| l.starts_with("send-chat: ")).await;
    assert!(outcome.contains("MSRP SEND of "), "{outcome}");
    assert_eq!(bob.value("status").await, "200");
    let said = bob.value("sent.msrp.Message-ID").await;
    assert_ne!(said, first);
    let sent = format!("MSRP SEND (Message-ID {said}, Byte-Range 1-");
    wait_for(&mut alice.stderr, |l| {
        l.contains(" in tcp ") && l.contains(&sent)
    })
    .await;

    bob.type_line("big alice 20000").await;
    wait_for(&mut bob.stdout, |l| l.starts_with("send-chat: ")).await;
    assert_eq!(bob.value("status").await, "200");
    let big = bob.value("sent.msrp.Message-ID").await;
    assert_eq!(bob.value("sent.size").await, "20000");
    let last = format!("MSRP SEND (Message-ID {big}, Byte-Range 10241-20000/20000)");
    wait_for(&mut alice.stderr, |l| l.contains(&last)).await;

    bob.type_line("bye alice").await;
    let outcome = wait_for(&mut bob.stdout, |l| l.starts_with("end-chat: ")).await;
    assert!(outcome.contains("BYE to sip:+8613800000001@"), "{outcome}");
    assert_eq!(bob.value("status").await, "200");
    let bye = wait_for(&mut alice.stderr, |l| l.contains(" BYE sip:")).await;
    assert!(bye.contains(&format!("in udp {registrar} -> ")), "{bye}");
    // The session is gone: saying more is an error, and the terminal keeps going.
    bob.type_line("say alice anyone?").await;
    let error = wait_for(&mut bob.stdout, |l| l.starts_with("error: ")).await;
    assert!(error.contains("start-chat"), "{error}");

    // Above the switchover size (1300) a message goes in large-message mode: INVITE, SEND, BYE.
    bob.type_line(&format!("message alice {}", "x".repeat(1400)))
        .await;
    let outcome = wait_for(&mut bob.stdout, |l| l.starts_with("send-message: ")).await;
    assert!(
        outcome.contains("INVITE (large message, 1400 bytes)"),
        "{outcome}"
    );
    assert_eq!(bob.value("status").await, "200");
    assert_eq!(bob.value("mode").await, "large");
    let large = bob.value("sent.msrp.Message-ID").await;
    wait_for(&mut alice.stderr, |l| l.contains(" INVITE sip:")).await;
    let sent = format!("MSRP SEND (Message-ID {large},");
    wait_for(&mut alice.stderr, |l| l.contains(&sent)).await;
    wait_for(&mut alice.stderr, |l| l.contains(" BYE sip:")).await;

    bob.terminate().await;
    alice.terminate().await;
    mc.terminate().await;
}

/// A loopback port free for both UDP and TCP just now.
fn free_port() -> u16 {
    loop {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

#[tokio::test]
async fn a_fixed_listen_address_is_honoured() {
    let (mc, registrar) = message_center().await;
    let config = ConfigFile::new(&format!("registrar: {registrar}\n"));
    let listen = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let listen_arg = listen.to_string();
    let mut ue = Sim::spawn(&[
        "terminal",
        "--config",
        config.path(),
        "--listen",
        &listen_arg,
    ]);
    let (sip, msrp) = ue.terminal_announced().await;
    assert_eq!(sip, listen);
    assert_ne!(msrp.port(), listen.port());
    assert_eq!(ue.value("status").await, "200");
    let sent = wait_for(&mut ue.stderr, |l| l.contains(" REGISTER sip:")).await;
    assert!(
        sent.contains(&format!("out udp {listen} -> {registrar} ")),
        "{sent}"
    );
    ue.terminate().await;
    mc.terminate().await;
}

#[tokio::test]
async fn eof_keeps_it_serving_unless_asked_to_exit() {
    let (mc, registrar) = message_center().await;
    let served_config = ConfigFile::new(&format!("registrar: {registrar}\n"));
    let mut served = Sim::spawn(&["terminal", "--config", served_config.path()]);
    served.announced("terminal").await;
    assert_eq!(
        wait_for(&mut served.stdout, |l| l.starts_with("status=")).await,
        "status=200"
    );
    served.stdin = None;

    let asker_config = ConfigFile::new(&format!(
        "registrar: {registrar}\nregister: false\n\
         subscriber: {{ msisdn: \"+8613800000002\", \
         impi: \"8613800000002@ims.mnc000.mcc460.3gppnetwork.org\", \
         password: \"secret-8613800000002\" }}\n"
    ));
    let mut asker = Sim::spawn(&["terminal", "--config", asker_config.path(), "--exit-on-eof"]);
    asker.announced("terminal").await;
    asker.type_line("register 60").await;
    let outcome = wait_for(&mut asker.stdout, |l| l.starts_with("register: ")).await;
    assert!(outcome.contains("expires 60"), "{outcome}");
    assert_eq!(
        wait_for(&mut asker.stdout, |l| l.starts_with("status=")).await,
        "status=200"
    );
    // The terminal whose stdin ended still answers.
    asker.type_line("options +8613800000001").await;
    assert_eq!(
        wait_for(&mut asker.stdout, |l| l.starts_with("status=")).await,
        "status=200"
    );
    wait_for(&mut served.stderr, |l| l.contains(" OPTIONS sip:")).await;

    asker.stdin = None;
    let exit = tokio::time::timeout(WAIT, asker.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    assert!(served.child.try_wait().unwrap().is_none(), "still serving");
    served.terminate().await;
    mc.terminate().await;
}

#[tokio::test]
async fn a_bad_config_exits_2_with_its_location() {
    let config = ConfigFile::new("registrar: 127.0.0.1:5060\nsettings:\n  realm: x\n");
    let out = Command::new(env!("CARGO_BIN_EXE_rcs-sim"))
        .args(["terminal", "--config", config.path()])
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("{}:3:3:", config.path())),
        "{stderr}"
    );
    assert!(stderr.contains("realm"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing announced");

    let config = ConfigFile::new("transport: udp\n");
    let out = Command::new(env!("CARGO_BIN_EXE_rcs-sim"))
        .args(["terminal", "--config", config.path()])
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("registrar"), "{stderr}");

    let config = ConfigFile::new("registrar: 127.0.0.1:5060\n");
    let out = Command::new(env!("CARGO_BIN_EXE_rcs-sim"))
        .args([
            "terminal",
            "--config",
            config.path(),
            "--fault",
            "message-center.omit-qop",
        ])
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));

    // The listening IP goes into Contact and SDP, so it must be one peers can reach.
    let out = Command::new(env!("CARGO_BIN_EXE_rcs-sim"))
        .args([
            "terminal",
            "--config",
            config.path(),
            "--listen",
            "0.0.0.0:0",
        ])
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--listen 0.0.0.0:0"), "{stderr}");
    assert!(out.stdout.is_empty(), "nothing announced");
}
