//! `rcs-sim terminal`: the terminal (UE) simulator on its own, on real time, registered to a
//! message center given by address, driven by commands on stdin (see `commands`).
//!
//! It reads its YAML config, builds the [`AgentSpec`] a case would (the message center as a peer,
//! each named peer as a terminal with a built-in-like subscriber of that number), starts the
//! terminal, announces `rcs-sim terminal listening on udp ADDR tcp ADDR`, registers if asked,
//! then runs one command per stdin line and prints each action's outcome and `key=value` output
//! values to stdout. Every message on the wire is logged to stderr (`wire_log`). SIGTERM, Ctrl-C
//! or `quit` de-registers and stops it with status 0; EOF on stdin stops it only with
//! `--exit-on-eof`.
//!
//! It does not choose its listening address: the terminal simulator binds an OS-chosen loopback
//! port, so `--listen` accepts only `127.0.0.1:0`. SIP over TLS is not offered here.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rcs_harness::agent::{ActionOutput, Agent, AgentSpec, Peer, TlsTrust, WireTap};
use rcs_harness::clock::Clock;
use rcs_harness::events::Transport;
use rcs_harness::role::{RoleKind, Subscriber};
use rcs_simulators::faults::check_faults;
use rcs_simulators::terminal;
use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use super::commands::{self, Command, Targets};
use super::config::{Failure, located, quoted, read_yaml};
use super::stop::Stop;
use super::wire_log;

/// The role name of the simulated terminal, in logs and captures.
const ROLE: &str = "terminal";
/// The peer name of the message center it registers to.
const MESSAGE_CENTER: &str = "message-center";
/// Longest stdin line read; longer lines are refused.
const MAX_LINE: usize = 64 * 1024;
/// Largest file `raw` sends.
const MAX_RAW: u64 = 256 * 1024;

/// The command line of `rcs-sim terminal`.
#[derive(Debug)]
pub(crate) struct Options {
    pub listen: Option<SocketAddr>,
    pub config: PathBuf,
    pub faults: Vec<String>,
    pub exit_on_eof: bool,
}

/// The config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    #[serde(default = "default_subscriber")]
    subscriber: Subscriber,
    /// The message center to register to and send through.
    registrar: SocketAddr,
    #[serde(default)]
    transport: FileTransport,
    /// Terminal settings, as a case's `settings:` for a terminal role.
    #[serde(default)]
    settings: Map<String, Value>,
    /// Other terminals by name, for `pager NAME ...`: name -> MSISDN.
    #[serde(default)]
    peers: BTreeMap<String, String>,
    #[serde(default = "yes")]
    register: bool,
    #[serde(default)]
    faults: Vec<String>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
enum FileTransport {
    #[default]
    Udp,
    Tcp,
}

fn default_subscriber() -> Subscriber {
    Subscriber::builtin(1, true)
}

fn yes() -> bool {
    true
}

/// Runs the terminal until a signal, `quit`, or EOF with `--exit-on-eof`.
pub(crate) async fn run(options: Options) -> Result<(), Failure> {
    if let Some(listen) = options
        .listen
        .filter(|l| *l != SocketAddr::from(([127, 0, 0, 1], 0)))
    {
        return Err(Failure::Usage(format!(
            "failed to use --listen {listen}: the terminal simulator listens on an OS-chosen \
             loopback port; give 127.0.0.1:0 or leave it out"
        )));
    }
    let (file, text) = read_yaml::<FileConfig>(&options.config)?;
    check(&file, &text, &options.config)?;
    let mut faults = file.faults.clone();
    faults.extend(options.faults);
    check_faults(RoleKind::Terminal, &faults).map_err(Failure::Usage)?;
    let targets = Targets {
        peers: file.peers.keys().cloned().collect::<BTreeSet<_>>(),
        domain: file.subscriber.domain.clone(),
    };
    let spec = spec(&file, faults);
    let clock = Clock::real();
    let (tx, rx) = mpsc::unbounded_channel();
    let log = tokio::spawn(wire_log::drain(rx));
    let tap = WireTap::new(ROLE, clock.clone(), tx);
    let agent = terminal::start(spec, tap, clock)
        .await
        .map_err(|err| Failure::Run(err.into()))?;
    let served = serve(&*agent, &file, &targets, options.exit_on_eof).await;
    agent.release().await;
    agent.shutdown().await;
    // The tap's last sender went with the agent, so the log ends once it has printed everything.
    let _ = log.await;
    tracing::info!("stopped");
    served.map_err(Failure::Run)
}

/// Announces, registers, then runs commands until told to stop.
async fn serve(
    agent: &dyn Agent,
    file: &FileConfig,
    targets: &Targets,
    exit_on_eof: bool,
) -> anyhow::Result<()> {
    // Listen for the stop signals before saying we are ready, so an early SIGTERM is not lost.
    let mut stop = Stop::install().context("failed to listen for signals")?;
    let endpoints = agent.endpoints();
    let shown = |addr: Option<SocketAddr>| addr.map_or_else(|| "-".to_owned(), |a| a.to_string());
    say(&format!(
        "rcs-sim terminal listening on udp {} tcp {}",
        shown(endpoints.sip_udp),
        shown(endpoints.sip_tcp)
    ))?;
    if file.register {
        let none = Map::new();
        tokio::select! {
            shown = act(agent, "register", &none) => shown?,
            stopped = stop.recv() => return stopped.context("failed to wait for a signal"),
        }
    }
    let mut lines = stdin_lines();
    let mut reading = true;
    loop {
        let line = tokio::select! {
            stopped = stop.recv() => return stopped.context("failed to wait for a signal"),
            line = lines.recv(), if reading => line,
        };
        let Some(line) = line else {
            if exit_on_eof {
                return Ok(());
            }
            // Keep serving what arrives until a signal.
            reading = false;
            continue;
        };
        let command = match line.and_then(|line| commands::parse(&line, targets)) {
            Ok(command) => command,
            Err(err) => {
                say(&format!("error: {err}"))?;
                continue;
            }
        };
        let (action, params) = match command {
            Command::Act { action, params } => (action, params),
            Command::Raw(path) => match raw_params(&path) {
                Ok(params) => ("send-raw", params),
                Err(err) => {
                    say(&format!("error: {err}"))?;
                    continue;
                }
            },
            Command::Help => {
                say(commands::HELP)?;
                continue;
            }
            Command::Quit => return Ok(()),
            Command::Nothing => continue,
        };
        tokio::select! {
            shown = act(agent, action, &params) => shown?,
            stopped = stop.recv() => return stopped.context("failed to wait for a signal"),
        }
    }
}

/// Runs one action and prints what it did: `ACTION: SUMMARY`, then `key=value` lines.
async fn act(agent: &dyn Agent, action: &str, params: &Map<String, Value>) -> anyhow::Result<()> {
    match agent.act(action, params).await {
        Ok(output) => say(&outcome(action, &output)),
        Err(err) => say(&format!("error: {err}")),
    }
}

/// `ACTION: SUMMARY` and one `key=value` line per output value, `status` first.
fn outcome(action: &str, output: &ActionOutput) -> String {
    let mut text = format!("{action}: {}", one_line(&output.summary));
    let status = output.values.get_key_value("status");
    let others = output.values.iter().filter(|(key, _)| *key != "status");
    for (key, value) in status.into_iter().chain(others) {
        text.push_str(&format!("\n{key}={}", one_line(value)));
    }
    text
}

/// Keeps a value on its line: control characters are escaped.
fn one_line(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}

/// Prints `text` to stdout at once.
fn say(text: &str) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .context("failed to write to stdout")
}

/// `send-raw`'s parameters for the text of `path`.
fn raw_params(path: &Path) -> Result<Map<String, Value>, String> {
    let fail = |err: std::io::Error| format!("failed to read {}: {err}", path.display());
    let size = std::fs::metadata(path).map_err(fail)?.len();
    if size > MAX_RAW {
        return Err(format!(
            "failed to read {}: {size} bytes is over the limit of {MAX_RAW}",
            path.display()
        ));
    }
    let text = std::fs::read_to_string(path).map_err(fail)?;
    let mut params = Map::new();
    params.insert("text".to_owned(), text.into());
    Ok(params)
}

/// Lines of stdin, read on a thread of their own: a read blocked on a terminal must not keep
/// the runtime from shutting down. The channel closes at EOF or on a read error.
fn stdin_lines() -> mpsc::Receiver<Result<String, String>> {
    let (tx, rx) = mpsc::channel(16);
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        loop {
            let line = match read_line(&mut input) {
                Ok(Some(line)) => line,
                Ok(None) => return,
                Err(err) => {
                    let _ = tx.blocking_send(Err(format!("failed to read stdin: {err}")));
                    return;
                }
            };
            if tx.blocking_send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// One line of at most [`MAX_LINE`] bytes; a longer one is skipped and reported.
fn read_line(input: &mut impl BufRead) -> std::io::Result<Option<Result<String, String>>> {
    let mut buf = Vec::new();
    let n = Read::take(&mut *input, MAX_LINE as u64 + 1).read_until(b'\n', &mut buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.len() > MAX_LINE && buf.last() != Some(&b'\n') {
        // Skip the rest of the overlong line.
        let mut rest = Vec::new();
        while Read::take(&mut *input, MAX_LINE as u64).read_until(b'\n', &mut rest)? > 0 {
            if rest.last() == Some(&b'\n') {
                break;
            }
            rest.clear();
        }
        return Ok(Some(Err(format!(
            "failed to read a command: a line is longer than {MAX_LINE} bytes"
        ))));
    }
    Ok(Some(String::from_utf8(buf).map_err(|_| {
        "failed to read a command: the line is not UTF-8".to_owned()
    })))
}

/// Checks what the types alone do not: settings, peers and names.
fn check(file: &FileConfig, text: &str, path: &Path) -> Result<(), Failure> {
    terminal::check_settings(&file.settings).map_err(|err| {
        let key = quoted(&err).filter(|key| file.settings.contains_key(*key) || text.contains(key));
        located(
            path,
            text,
            key.or(Some("settings")),
            &format!("failed to read settings: {err}"),
        )
    })?;
    for (name, msisdn) in &file.peers {
        if name == MESSAGE_CENTER || name.contains(':') || name.trim().is_empty() {
            return Err(located(
                path,
                text,
                Some(name),
                &format!("failed to read peer `{name}`: the name is reserved or not a plain word"),
            ));
        }
        if !commands::is_msisdn(msisdn) {
            return Err(located(
                path,
                text,
                Some(name),
                &format!(
                    "failed to read peer `{name}`: `{msisdn}` is not a number such as +8613800000002"
                ),
            ));
        }
    }
    Ok(())
}

/// The spec a case would give this terminal.
fn spec(file: &FileConfig, faults: Vec<String>) -> AgentSpec {
    let transport = match file.transport {
        FileTransport::Udp => Transport::Udp,
        FileTransport::Tcp => Transport::Tcp,
    };
    let mut peers = BTreeMap::new();
    peers.insert(
        MESSAGE_CENTER.to_owned(),
        Peer {
            name: MESSAGE_CENTER.to_owned(),
            kind: RoleKind::MessageCenter,
            subscriber: None,
            sip_udp: Some(file.registrar),
            sip_tcp: Some(file.registrar),
            sip_tls: None,
        },
    );
    let mut subscribers = vec![file.subscriber.clone()];
    for (name, msisdn) in &file.peers {
        let subscriber = like_builtin(msisdn, &file.subscriber.domain);
        subscribers.push(subscriber.clone());
        peers.insert(
            name.clone(),
            Peer {
                name: name.clone(),
                kind: RoleKind::Terminal,
                subscriber: Some(subscriber),
                sip_udp: None,
                sip_tcp: None,
                sip_tls: None,
            },
        );
    }
    AgentSpec {
        case: "rcs-sim".to_owned(),
        role: ROLE.to_owned(),
        kind: RoleKind::Terminal,
        faults,
        transport,
        subscriber: Some(file.subscriber.clone()),
        subscribers,
        peers,
        settings: file.settings.clone(),
        tls: TlsTrust::default(),
    }
}

/// A subscriber of `msisdn` with the built-in pattern of identity and password.
fn like_builtin(msisdn: &str, domain: &str) -> Subscriber {
    let digits = msisdn.trim_start_matches('+');
    Subscriber {
        msisdn: msisdn.to_owned(),
        impi: format!("{digits}@{domain}"),
        password: format!("secret-{digits}"),
        rcs: true,
        domain: domain.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcs_harness::role::HOME_DOMAIN;

    fn config(yaml: &str) -> FileConfig {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn defaults_give_the_first_built_in_subscriber_over_udp() {
        let file = config("registrar: 127.0.0.1:5060\n");
        assert_eq!(file.subscriber, Subscriber::builtin(1, true));
        assert!(file.register);
        let spec = spec(&file, vec![]);
        assert_eq!(spec.transport, Transport::Udp);
        let mc = spec.peer_of_kind(RoleKind::MessageCenter).unwrap();
        assert_eq!(mc.sip_udp, Some("127.0.0.1:5060".parse().unwrap()));
        assert_eq!(mc.sip_tcp, mc.sip_udp);
        assert_eq!(spec.subscribers, [Subscriber::builtin(1, true)]);
    }

    #[test]
    fn peers_become_terminals_with_built_in_like_subscribers() {
        let file = config(
            "registrar: 127.0.0.1:5060\ntransport: tcp\nregister: false\n\
             peers: { bob: \"+8613800000002\" }\nsettings: { requested-expires: 60 }\n",
        );
        let spec = spec(&file, vec!["terminal.reject-message".to_owned()]);
        assert_eq!(spec.transport, Transport::Tcp);
        let bob = &spec.peers["bob"];
        assert_eq!(bob.kind, RoleKind::Terminal);
        assert_eq!(bob.subscriber, Some(Subscriber::builtin(2, true)));
        assert_eq!(spec.subscribers.len(), 2);
        assert_eq!(spec.settings["requested-expires"], 60);
        assert_eq!(spec.faults, ["terminal.reject-message"]);
        assert_eq!(
            like_builtin("+8613800000003", HOME_DOMAIN),
            Subscriber::builtin(3, true)
        );
    }

    #[test]
    fn bad_files_are_refused() {
        assert!(serde_saphyr::from_str::<FileConfig>("transport: udp\n").is_err());
        assert!(serde_saphyr::from_str::<FileConfig>("registrar: x\n").is_err());
        assert!(
            serde_saphyr::from_str::<FileConfig>("registrar: 127.0.0.1:1\ntransport: sctp\n")
                .is_err()
        );
        assert!(
            serde_saphyr::from_str::<FileConfig>("registrar: 127.0.0.1:1\nregistar: x\n").is_err()
        );
    }

    #[test]
    fn outcomes_print_status_first_and_one_value_per_line() {
        let output = ActionOutput {
            values: BTreeMap::from([
                ("contact".to_owned(), "<sip:a>\r\nX: y".to_owned()),
                ("status".to_owned(), "200".to_owned()),
            ]),
            summary: "REGISTER expires 60: 200 OK".to_owned(),
        };
        assert_eq!(
            outcome("register", &output),
            "register: REGISTER expires 60: 200 OK\nstatus=200\ncontact=<sip:a>\\r\\nX: y"
        );
    }

    #[test]
    fn lines_are_capped() {
        let mut input = std::io::Cursor::new(b"register\npager bob hi".to_vec());
        assert_eq!(
            read_line(&mut input).unwrap(),
            Some(Ok("register\n".to_owned()))
        );
        assert_eq!(
            read_line(&mut input).unwrap(),
            Some(Ok("pager bob hi".to_owned()))
        );
        assert_eq!(read_line(&mut input).unwrap(), None);
        let mut long = vec![b'x'; MAX_LINE * 2 + 10];
        long.extend_from_slice(b"\nhelp\n");
        let mut input = std::io::Cursor::new(long);
        assert!(read_line(&mut input).unwrap().unwrap().is_err());
        assert_eq!(
            read_line(&mut input).unwrap(),
            Some(Ok("help\n".to_owned()))
        );
        let mut input = std::io::Cursor::new(b"\xff\n".to_vec());
        assert!(read_line(&mut input).unwrap().unwrap().is_err());
    }
}
