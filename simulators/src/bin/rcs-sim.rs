//! rcs-sim: runs one built-in simulator on its own, on real time, so a real device or another
//! tool can be pointed at it.
//!
//! ```text
//! rcs-sim message-center [--listen 127.0.0.1:5060] [--config sim.yaml] [--fault ID]...
//!                        [--tls [--tls-cert PEM --tls-key PEM] [--tls-ca PEM]] [--export-ca PEM]
//! rcs-sim terminal --config ue.yaml [--listen 127.0.0.1:0] [--fault ID]... [--exit-on-eof]
//!                  (ready line: `rcs-sim terminal listening on udp ADDR tcp ADDR msrp ADDR`)
//! ```
//!
//! With `--tls` the message center also listens for SIP over TLS on a port of its own, presenting
//! `--tls-cert`/`--tls-key`, or else a certificate for 127.0.0.1, localhost, the home domain and
//! the realm issued by the process's test CA; `--export-ca FILE` writes that CA's certificate so
//! a device or a profile (`tls: { ca: FILE }`) can trust it. `--tls-ca` is the CA it trusts for
//! the TLS connections it opens itself (default: the test CA).
//!
//! Once listening it prints one line, `rcs-sim ROLE listening on udp ADDR tcp ADDR` (and
//! `tls ADDR` when it speaks TLS), to stdout,
//! then logs every message it sees to stderr (one line each; the full text with
//! `RUST_LOG=debug`). It stops on SIGTERM or Ctrl-C with status 0. A bad config file or fault id
//! exits with status 2 and says where the problem is (`FILE:LINE:COL` for the file).
//!
//! The message center's config file is YAML:
//!
//! ```yaml
//! subscribers:            # default: +8613800000001..20 (RCS) and +8613900000001..05 (not RCS)
//!   - { msisdn: "+8613800000001", impi: "8613800000001@ims.mnc000.mcc460.3gppnetwork.org",
//!       password: "secret", rcs: true }
//! settings: { max-expires: 3600, realm: ims.mnc000.mcc460.3gppnetwork.org }
//! faults: [message-center.omit-qop]
//! ```
//!
//! The terminal's (see `rcs_sim/terminal_config.rs`; it also reads commands from stdin, `help`
//! lists them: registration, pager, OPTIONS, IMDN, session chat and large messages, raw SIP):
//!
//! ```yaml
//! registrar: 127.0.0.1:5060      # the message center, required
//! subscriber: { msisdn: "+8613800000001", impi: "8613800000001@ims.mnc000.mcc460.3gppnetwork.org",
//!               password: "secret-8613800000001", rcs: true }   # this default
//! transport: udp                 # or tcp
//! settings: { requested-expires: 3600, auto-delivery-imdn: true }
//! peers: { bob: "+8613800000002" }   # names for `pager bob hello`
//! register: true                 # register at start
//! faults: []
//! ```

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use rcs_harness::agent::{TlsTrust, WireTap};
use rcs_harness::clock::Clock;
use rcs_harness::role::{HOME_DOMAIN, RoleKind, Subscriber};
use rcs_simulators::faults::check_faults;
use rcs_simulators::message_center::{Config, Faults, MessageCenter, Settings};
use rcs_simulators::net::{TlsConfig, test_ca};
use serde::Deserialize;
use tokio::sync::mpsc;

#[path = "rcs_sim/commands.rs"]
mod commands;
#[path = "rcs_sim/config.rs"]
mod config;
#[path = "rcs_sim/stdin.rs"]
mod stdin;
#[path = "rcs_sim/stop.rs"]
mod stop;
#[path = "rcs_sim/terminal.rs"]
mod terminal;
#[path = "rcs_sim/terminal_config.rs"]
mod terminal_config;
#[path = "rcs_sim/wire_log.rs"]
mod wire_log;

use config::{Failure, located, read_yaml};
use stop::Stop;

/// Run one 5G Messaging simulator on its own.
#[derive(Debug, Parser)]
#[command(name = "rcs-sim", version)]
struct Cli {
    /// The role to simulate.
    #[command(subcommand)]
    role: Role,
}

#[derive(Debug, Subcommand)]
enum Role {
    /// The IMS core and 5G Message Center.
    MessageCenter {
        /// Address for SIP over UDP and TCP (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:5060")]
        listen: SocketAddr,
        /// YAML file with subscribers, settings and faults.
        #[arg(long)]
        config: Option<PathBuf>,
        /// A fault to inject (repeatable), e.g. message-center.omit-qop.
        #[arg(long = "fault", value_name = "ID")]
        faults: Vec<String>,
        #[command(flatten)]
        tls: TlsArgs,
    },
    /// A 5G Messaging terminal (UE), driven by commands on stdin.
    Terminal {
        /// Address for SIP over UDP and TCP (port 0: any free port); MSRP listens on the same IP,
        /// on a port chosen by the system. Not 0.0.0.0: the IP goes into Contact and SDP.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
        /// YAML file with the registrar, subscriber, transport, settings, peers and faults.
        #[arg(long)]
        config: PathBuf,
        /// A fault to inject (repeatable), e.g. terminal.reject-message.
        #[arg(long = "fault", value_name = "ID")]
        faults: Vec<String>,
        /// Stop at the end of stdin (by default it keeps serving until a signal).
        #[arg(long)]
        exit_on_eof: bool,
    },
}

/// SIP over TLS for the message center.
#[derive(Debug, clap::Args)]
struct TlsArgs {
    /// Also listen for SIP over TLS, on a port chosen by the system (shown on the ready line).
    #[arg(long)]
    tls: bool,
    /// PEM certificate chain to present (with --tls-key).
    #[arg(long, value_name = "PEM", requires_all = ["tls", "tls_key"])]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long, value_name = "PEM", requires_all = ["tls", "tls_cert"])]
    tls_key: Option<PathBuf>,
    /// PEM CA to trust for TLS connections it opens (default: the test CA).
    #[arg(long, value_name = "PEM", requires = "tls")]
    tls_ca: Option<PathBuf>,
    /// Write the test CA's certificate (PEM) to this file.
    #[arg(long, value_name = "FILE")]
    export_ca: Option<PathBuf>,
}

/// The message center's config file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    subscribers: Option<Vec<Subscriber>>,
    #[serde(default)]
    settings: Settings,
    #[serde(default)]
    faults: Vec<String>,
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
    let outcome = runtime.block_on(async move {
        match cli.role {
            Role::MessageCenter {
                listen,
                config,
                faults,
                tls,
            } => message_center(listen, config, faults, tls).await,
            Role::Terminal {
                listen,
                config,
                faults,
                exit_on_eof,
            } => {
                let options = terminal::Options {
                    listen,
                    config,
                    faults,
                    exit_on_eof,
                };
                terminal::run(options).await
            }
        }
    });
    match outcome {
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

async fn message_center(
    listen: SocketAddr,
    config: Option<PathBuf>,
    cli_faults: Vec<String>,
    tls_args: TlsArgs,
) -> Result<(), Failure> {
    let file = match &config {
        Some(path) => read_config(path)?,
        None => FileConfig::default(),
    };
    let mut fault_ids = file.faults;
    fault_ids.extend(cli_faults);
    check_faults(RoleKind::MessageCenter, &fault_ids).map_err(Failure::Usage)?;
    let config = Config {
        settings: file.settings,
        faults: Faults::from_ids(&fault_ids).map_err(Failure::Usage)?,
    };
    let tls = tls_config(&tls_args, &config.settings.realm)?;
    let subscribers = file
        .subscribers
        .unwrap_or_else(rcs_harness::runner::topology::builtin_subscribers);
    let clock = Clock::real();
    // Nothing reads the captures here: the message center logs what it sends and receives itself.
    let (tx, _) = mpsc::unbounded_channel();
    let tap = WireTap::new("message-center", clock.clone(), tx);
    let center = MessageCenter::start_with_tls(listen, config, subscribers, tls, tap, clock)
        .await
        .map_err(|err| Failure::Run(err.into()))?;
    // Listen for the stop signals before saying we are ready, so an early SIGTERM is not lost.
    let mut stop = Stop::install()
        .context("failed to listen for signals")
        .map_err(Failure::Run)?;
    let endpoints = center.endpoints();
    let shown = |addr: Option<SocketAddr>| addr.map_or_else(|| "-".to_owned(), |a| a.to_string());
    let mut stdout = std::io::stdout();
    let tls_shown = endpoints
        .sip_tls
        .map_or_else(String::new, |addr| format!(" tls {addr}"));
    writeln!(
        stdout,
        "rcs-sim message-center listening on udp {} tcp {}{tls_shown}",
        shown(endpoints.sip_udp),
        shown(endpoints.sip_tcp)
    )
    .and_then(|()| stdout.flush())
    .context("failed to write to stdout")
    .map_err(Failure::Run)?;
    let stopped = stop.recv().await.context("failed to wait for a signal");
    center.stop().await;
    tracing::info!("stopped");
    stopped.map_err(Failure::Run)
}

/// The TLS side of the message center, and the test CA written out when asked.
fn tls_config(args: &TlsArgs, realm: &str) -> Result<Option<TlsConfig>, Failure> {
    if let Some(path) = &args.export_ca {
        let ca = test_ca().map_err(|err| Failure::Run(err.into()))?;
        std::fs::write(path, ca.pem())
            .with_context(|| format!("failed to write the test CA to {}", path.display()))
            .map_err(Failure::Run)?;
    }
    if !args.tls {
        return Ok(None);
    }
    let trust = TlsTrust {
        ca: args.tls_ca.clone(),
        client_cert: args.tls_cert.clone(),
        client_key: args.tls_key.clone(),
        ..TlsTrust::default()
    };
    let names = [HOME_DOMAIN.to_owned(), realm.to_owned()];
    TlsConfig::from_trust(&trust, &names)
        .map(Some)
        .map_err(|err| Failure::Usage(err.to_string()))
}

/// Reads and checks the message center's config file; errors name `FILE:LINE:COL`.
fn read_config(path: &std::path::Path) -> Result<FileConfig, Failure> {
    let (config, text): (FileConfig, String) = read_yaml(path)?;
    config.settings.check().map_err(|err| {
        let key = ["max-expires", "realm"]
            .into_iter()
            .find(|key| err.contains(key));
        located(path, &text, key, &err)
    })?;
    Ok(config)
}
