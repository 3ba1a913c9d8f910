//! rcs-sim: runs one built-in simulator on its own, on real time, so a real device or another
//! tool can be pointed at it.
//!
//! ```text
//! rcs-sim message-center [--listen 127.0.0.1:5060] [--config sim.yaml] [--fault ID]...
//! ```
//!
//! Once listening it prints one line, `rcs-sim message-center listening on udp ADDR tcp ADDR`,
//! to stdout, then logs every message it sees to stderr (one line each; the full text with
//! `RUST_LOG=debug`). It stops on SIGTERM or Ctrl-C. A bad config file or fault id exits with
//! status 2 and says where the problem is (`FILE:LINE:COL` for the file).
//!
//! The config file is YAML:
//!
//! ```yaml
//! subscribers:            # default: +8613800000001..20 (RCS) and +8613900000001..05 (not RCS)
//!   - { msisdn: "+8613800000001", impi: "8613800000001@ims.mnc000.mcc460.3gppnetwork.org",
//!       password: "secret", rcs: true }
//! settings: { max-expires: 3600, realm: ims.mnc000.mcc460.3gppnetwork.org }
//! faults: [message-center.omit-qop]
//! ```

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, ValueEnum};
use rcs_harness::agent::WireTap;
use rcs_harness::clock::Clock;
use rcs_harness::role::{RoleKind, Subscriber};
use rcs_simulators::faults::check_faults;
use rcs_simulators::message_center::{Config, Faults, MessageCenter, Settings};
use serde::Deserialize;
use tokio::sync::mpsc;

/// Run one 5G Messaging simulator on its own.
#[derive(Debug, Parser)]
#[command(name = "rcs-sim", version)]
struct Cli {
    /// The role to simulate.
    role: Role,
    /// Address for SIP over UDP and TCP (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:5060")]
    listen: SocketAddr,
    /// YAML file with subscribers, settings and faults.
    #[arg(long)]
    config: Option<PathBuf>,
    /// A fault to inject (repeatable), e.g. message-center.omit-qop.
    #[arg(long = "fault", value_name = "ID")]
    faults: Vec<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Role {
    /// The IMS core and 5G Message Center.
    MessageCenter,
}

/// The config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    subscribers: Option<Vec<Subscriber>>,
    #[serde(default)]
    settings: Settings,
    #[serde(default)]
    faults: Vec<String>,
}

/// Why the simulator did not run.
enum Failure {
    /// The config or the command line is wrong: exit status 2.
    Usage(String),
    /// Anything else: exit status 1.
    Run(anyhow::Error),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("rcs-sim: failed to start the runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("rcs-sim: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Run(err)) => {
            eprintln!("rcs-sim: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let file = match &cli.config {
        Some(path) => read_config(path)?,
        None => FileConfig::default(),
    };
    let mut fault_ids = file.faults;
    fault_ids.extend(cli.faults);
    let Role::MessageCenter = cli.role;
    check_faults(RoleKind::MessageCenter, &fault_ids).map_err(Failure::Usage)?;
    let config = Config {
        settings: file.settings,
        faults: Faults::from_ids(&fault_ids).map_err(Failure::Usage)?,
    };
    let subscribers = file
        .subscribers
        .unwrap_or_else(rcs_harness::runner::topology::builtin_subscribers);
    let clock = Clock::real();
    // Nothing reads the captures here: messages are logged instead, so the channel is closed.
    let (tx, _) = mpsc::unbounded_channel();
    let tap = WireTap::new("message-center", clock.clone(), tx);
    let center = MessageCenter::start(cli.listen, config, subscribers, tap, clock)
        .await
        .map_err(|err| Failure::Run(err.into()))?;
    // Listen for the stop signals before saying we are ready, so an early SIGTERM is not lost.
    let stop = Stop::install()
        .context("failed to listen for signals")
        .map_err(Failure::Run)?;
    let endpoints = center.endpoints();
    let shown = |addr: Option<SocketAddr>| addr.map_or_else(|| "-".to_owned(), |a| a.to_string());
    let mut stdout = std::io::stdout();
    writeln!(
        stdout,
        "rcs-sim message-center listening on udp {} tcp {}",
        shown(endpoints.sip_udp),
        shown(endpoints.sip_tcp)
    )
    .and_then(|()| stdout.flush())
    .context("failed to write to stdout")
    .map_err(Failure::Run)?;
    let stopped = stop.wait().await.context("failed to wait for a signal");
    center.stop().await;
    tracing::info!("stopped");
    stopped.map_err(Failure::Run)
}

/// Reads and checks the config file; errors name `FILE:LINE:COL`.
fn read_config(path: &Path) -> Result<FileConfig, Failure> {
    let shown = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|err| Failure::Usage(format!("failed to read the config {shown}: {err}")))?;
    let config: FileConfig = serde_saphyr::from_str(&text).map_err(|err| {
        let (line, column) = err.location().map_or((1, 1), |at| (at.line(), at.column()));
        Failure::Usage(format!(
            "{shown}:{line}:{column}: failed to read the config: {err}"
        ))
    })?;
    config.settings.check().map_err(|err| {
        let key = ["max-expires", "realm"]
            .into_iter()
            .find(|key| err.contains(key));
        let (line, column) = key.and_then(|key| locate(&text, key)).unwrap_or((1, 1));
        Failure::Usage(format!("{shown}:{line}:{column}: {err}"))
    })?;
    Ok(config)
}

/// One-based line and column of the first `key:` in `text`.
fn locate(text: &str, key: &str) -> Option<(usize, usize)> {
    let pattern = format!("{key}:");
    text.lines()
        .enumerate()
        .find_map(|(n, line)| line.find(&pattern).map(|col| (n + 1, col + 1)))
}

/// SIGTERM or Ctrl-C, listened for from the moment it is installed.
struct Stop {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl Stop {
    fn install() -> std::io::Result<Self> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Self {
                terminate: signal(SignalKind::terminate())?,
                interrupt: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        Ok(Self {})
    }

    #[cfg(unix)]
    async fn wait(mut self) -> std::io::Result<()> {
        tokio::select! {
            _ = self.terminate.recv() => Ok(()),
            _ = self.interrupt.recv() => Ok(()),
        }
    }

    #[cfg(not(unix))]
    async fn wait(self) -> std::io::Result<()> {
        tokio::signal::ctrl_c().await
    }
}
