//! `rcs-interop run`: load, plan, run, report.

use std::sync::Arc;

use rcs_harness::carrier::Network;
use rcs_harness::events::{EventSink, Transport};
use rcs_harness::plan::{Faults, plan_networks};
use rcs_harness::runner::{RunOptions, run_all};
use rcs_reports::{Fanout, HtmlReport, JsonlWriter, JunitReport, PcapngWriter, TerminalReporter};
use rcs_simulators::Simulators;

use crate::cases::{load_all, load_profile_arg, print_errors};
use crate::exit::Exit;
use crate::{RunArgs, TransportArg};

pub fn run(args: RunArgs) -> Exit {
    let factory = Arc::new(Simulators);
    let (cases, mut errors) = load_all(&args.paths, factory.as_ref());
    let profile = match load_profile_arg(args.profile.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            // Without its profile the run would test the wrong system: stop here.
            errors.extend(e);
            print_errors(&errors);
            return Exit::InvalidInput;
        }
    };
    if let Some(p) = &profile {
        let problems = p.check_against(&cases, factory.as_ref());
        if !problems.is_empty() {
            // A profile that names unknown cases or actions would test the wrong thing: stop here.
            errors.extend(problems);
            print_errors(&errors);
            return Exit::InvalidInput;
        }
    }
    print_errors(&errors);
    let input = if errors.is_empty() {
        Exit::Pass
    } else {
        Exit::InvalidInput
    };
    let faults = match args.faults.as_deref() {
        None | Some("none") => Faults::None,
        Some("listed") => Faults::Listed,
        Some(id) => Faults::Only(id.to_owned()),
    };
    let variants = profile.as_ref().map(|p| p.variants()).unwrap_or_default();
    let networks = match Network::select(&args.carriers, &variants) {
        Ok(n) => n,
        Err(e) => {
            eprintln!("error: --carriers: {e}");
            return Exit::Usage;
        }
    };
    let executions = plan_networks(&cases, args.filter.as_deref(), &faults, &networks);
    if executions.is_empty() {
        eprintln!(
            "no case to run{}",
            args.filter
                .as_deref()
                .map(|f| format!(" matches `{f}`"))
                .unwrap_or_default()
        );
        return input.worst(Exit::InvalidInput);
    }
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        eprintln!(
            "error: failed to create the report folder {}: {e}",
            args.out.display()
        );
        return Exit::HarnessError;
    }
    let jsonl = match JsonlWriter::create(args.out.join("events.jsonl")) {
        Ok(j) => j,
        Err(e) => {
            eprintln!("error: failed to create events.jsonl: {e}");
            return Exit::HarnessError;
        }
    };
    let mut sinks = Fanout::new(vec![
        Box::new(jsonl),
        Box::new(PcapngWriter::new(&args.out)),
        Box::new(JunitReport::new(args.out.join("junit.xml"))),
        Box::new(HtmlReport::new(&args.out)),
        Box::new(TerminalReporter::stderr()),
    ]);
    let options = RunOptions {
        jobs: args.jobs.max(1),
        transport: match args.transport {
            TransportArg::Udp => Transport::Udp,
            TransportArg::Tcp => Transport::Tcp,
            TransportArg::Tls => Transport::Tls,
        },
        ..RunOptions::default()
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: failed to start the async runtime: {e}");
            return Exit::HarnessError;
        }
    };
    let counts = runtime.block_on(run_all(executions, factory, profile, &options, &mut sinks));
    let mut outcome = input.worst(Exit::from_counts(&counts));
    match sinks.finish() {
        Ok(_) => {}
        Err(e) => {
            eprintln!("error: {e}");
            outcome = outcome.worst(Exit::HarnessError);
        }
    }
    let index = args.out.join("index.html");
    println!("{}", std::path::absolute(&index).unwrap_or(index).display());
    outcome
}
