//! `rcs-sim terminal`: the terminal (UE) simulator on its own, on real time, registered to a
//! message center given by address, driven by commands on stdin (see `commands`).
//!
//! It reads its YAML config, builds the [`AgentSpec`] a case would (the message center as a peer,
//! each named peer as a terminal with a built-in-like subscriber of that number), starts the
//! terminal on `--listen` (SIP over UDP and TCP on that address, MSRP over TCP on its IP),
//! announces `rcs-sim terminal listening on udp ADDR tcp ADDR msrp ADDR`, registers if asked,
//! then runs one command per stdin line and prints each action's outcome and `key=value` output
//! values to stdout. Every message on the wire is logged to stderr (`wire_log`). SIGTERM, Ctrl-C
//! or `quit` de-registers and stops it with status 0; EOF on stdin stops it only with
//! `--exit-on-eof`.
//!
//! The listening IP goes into Via, Contact and the SDP, so an unspecified one (`0.0.0.0`, `::`)
//! is refused: give the address the message center reaches the terminal at. SIP over TLS is not
//! offered here.

use std::collections::BTreeSet;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rcs_harness::agent::{ActionOutput, Agent, WireTap};
use rcs_harness::clock::Clock;
use rcs_harness::role::RoleKind;
use rcs_simulators::faults::check_faults;
use rcs_simulators::terminal;
use serde_json::{Map, Value};
use tokio::sync::mpsc;

use super::commands::{self, Command, Targets};
use super::config::{Failure, read_yaml};
use super::stdin::stdin_lines;
use super::stop::Stop;
use super::terminal_config::{FileConfig, ROLE, check, spec};
use super::wire_log;

/// Largest file `raw` sends.
const MAX_RAW: u64 = 256 * 1024;

/// The command line of `rcs-sim terminal`.
#[derive(Debug)]
pub(crate) struct Options {
    pub listen: SocketAddr,
    pub config: PathBuf,
    pub faults: Vec<String>,
    pub exit_on_eof: bool,
}

/// Runs the terminal until a signal, `quit`, or EOF with `--exit-on-eof`.
pub(crate) async fn run(options: Options) -> Result<(), Failure> {
    check_listen(options.listen).map_err(Failure::Usage)?;
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
    let started = terminal::start_at(options.listen, spec, tap, clock)
        .await
        .map_err(|err| Failure::Run(err.into()))?;
    let agent = started.agent;
    let served = serve(&*agent, started.msrp, &file, &targets, options.exit_on_eof).await;
    agent.release().await;
    agent.shutdown().await;
    // The tap's last sender went with the agent, so the log ends once it has printed everything.
    let _ = log.await;
    tracing::info!("stopped");
    served.map_err(Failure::Run)
}

/// Refuses an unspecified IP: the terminal writes its IP where peers read where to reach it.
fn check_listen(listen: SocketAddr) -> Result<(), String> {
    match listen.ip().is_unspecified() {
        true => Err(format!(
            "failed to use --listen {listen}: the terminal writes its IP in Via, Contact and SDP, \
             so give the address the message center reaches it at (e.g. 192.0.2.10:5070)"
        )),
        false => Ok(()),
    }
}

/// Announces, registers, then runs commands until told to stop.
async fn serve(
    agent: &dyn Agent,
    msrp: SocketAddr,
    file: &FileConfig,
    targets: &Targets,
    exit_on_eof: bool,
) -> anyhow::Result<()> {
    // Listen for the stop signals before saying we are ready, so an early SIGTERM is not lost.
    let mut stop = Stop::install().context("failed to listen for signals")?;
    let endpoints = agent.endpoints();
    let shown = |addr: Option<SocketAddr>| addr.map_or_else(|| "-".to_owned(), |a| a.to_string());
    say(&format!(
        "rcs-sim terminal listening on udp {} tcp {} msrp {msrp}",
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
    let mut line = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            line.extend(c.escape_default());
        } else {
            line.push(c);
        }
    }
    line
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn only_unspecified_listen_addresses_are_refused() {
        for ok in [
            "127.0.0.1:0",
            "127.0.0.1:5070",
            "192.0.2.10:5070",
            "[::1]:0",
        ] {
            assert_eq!(check_listen(ok.parse().unwrap()), Ok(()), "{ok}");
        }
        for bad in ["0.0.0.0:5070", "[::]:0"] {
            let err = check_listen(bad.parse().unwrap()).unwrap_err();
            assert!(err.contains(bad), "{err}");
        }
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
}
