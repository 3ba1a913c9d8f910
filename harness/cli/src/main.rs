//! rcs-interop: run 5G Messaging conformance cases against built-in simulators or real systems.
//!
//! This is the only place where concrete simulators and reporters meet the harness.

mod cases;
mod check;
mod exit;
mod report;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser)]
#[command(
    name = "rcs-interop",
    version,
    about = "Conformance and interop test suite for 5G Messaging (RCS Universal Profile)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run cases (all under ./cases by default) and write the reports.
    Run(RunArgs),
    /// List the cases, or the simulator faults and actions.
    List {
        /// Case files or folders (default: the cases folder).
        paths: Vec<PathBuf>,
        /// Only cases whose id matches (`PLT-REG-*`, `cap`, comma-separated).
        #[arg(long, env = "INTEROP_FILTER")]
        filter: Option<String>,
        /// List the fault catalogue instead.
        #[arg(long)]
        faults: bool,
        /// List the actions each simulated role can perform instead.
        #[arg(long)]
        actions: bool,
    },
    /// Check case files (and a profile) without running them.
    Validate {
        /// Case files or folders (default: the cases folder).
        paths: Vec<PathBuf>,
        #[arg(long)]
        profile: Option<PathBuf>,
    },
    /// Rebuild the HTML, JUnit and pcapng reports from an events.jsonl.
    Report {
        /// The events.jsonl of a run.
        events: PathBuf,
        /// Where the rebuilt reports go.
        #[arg(long, short, default_value = "target/rcs-interop-report")]
        out: PathBuf,
    },
    /// Judge a capture (pcap, pcapng, or either gzip-compressed) with the traffic rules.
    Check {
        /// The capture file.
        capture: PathBuf,
        /// The rules folder (default: cases/rules).
        #[arg(long)]
        rules: Option<PathBuf>,
        /// A profile whose expected deviations name rule ids.
        #[arg(long)]
        profile: Option<PathBuf>,
        /// Where the reports go.
        #[arg(long, short, default_value = "target/rcs-interop-check")]
        out: PathBuf,
    },
    /// Print the JSON Schema of the case format.
    Schema,
}

#[derive(clap::Args)]
struct RunArgs {
    /// Case files or folders (default: the cases folder).
    paths: Vec<PathBuf>,
    /// Profile naming the external systems under test (default: every role simulated).
    #[arg(long)]
    profile: Option<PathBuf>,
    /// Cases run at the same time.
    #[arg(long, short, default_value_t = 2)]
    jobs: usize,
    /// Where the reports go.
    #[arg(long, short, default_value = "target/rcs-interop-report")]
    out: PathBuf,
    /// Only cases whose id matches (`PLT-REG-*`, `cap`, comma-separated).
    #[arg(long, env = "INTEROP_FILTER")]
    filter: Option<String>,
    /// SIP transport for cases that do not pin one.
    #[arg(long, value_enum, default_value_t = TransportArg::Udp)]
    transport: TransportArg,
    /// Also run each case against every fault it lists (`listed`), or only against one fault id.
    #[arg(long)]
    faults: Option<String>,
    /// Networks the symbols `a`, `b`, `c` of a case may stand for: carriers (`cmcc,cucc`) or the
    /// profile's network variants (`cmcc,cucc-untrusting`); default the three carriers and every
    /// variant the profile declares.
    #[arg(long, value_delimiter = ',')]
    carriers: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum TransportArg {
    Udp,
    Tcp,
    /// SIP over TLS (RFC 3261 26.2); simulators trust a test CA generated for the run.
    Tls,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RCS_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let code = match cli.command {
        Command::Run(args) => run::run(args),
        Command::List {
            paths,
            filter,
            faults,
            actions,
        } => cases::list(&paths, filter.as_deref(), faults, actions),
        Command::Validate { paths, profile } => cases::validate(&paths, profile.as_deref()),
        Command::Report { events, out } => report::rebuild(&events, &out),
        Command::Check {
            capture,
            rules,
            profile,
            out,
        } => check::check(&capture, rules.as_deref(), profile.as_deref(), &out),
        Command::Schema => {
            print!("{}", rcs_harness::case::schema::case_schema_json());
            exit::Exit::Pass
        }
    };
    code.into()
}
