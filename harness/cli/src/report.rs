//! `rcs-interop report`: every report is a function of the event log, so it can be rebuilt from it.

use std::path::Path;

use rcs_harness::events::EventSink;
use rcs_reports::{Fanout, HtmlReport, JunitReport, PcapngWriter, read_events};

use crate::exit::Exit;

pub fn rebuild(events: &Path, out: &Path) -> Exit {
    let events = match read_events(events) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::InvalidInput;
        }
    };
    if let Err(e) = std::fs::create_dir_all(out) {
        eprintln!("error: failed to create {}: {e}", out.display());
        return Exit::HarnessError;
    }
    let mut sinks = Fanout::new(vec![
        Box::new(PcapngWriter::new(out)),
        Box::new(JunitReport::new(out.join("junit.xml"))),
        Box::new(HtmlReport::new(out)),
    ]);
    for e in &events {
        sinks.event(e);
    }
    match sinks.finish() {
        Ok(_) => {
            let index = out.join("index.html");
            println!("{}", std::path::absolute(&index).unwrap_or(index).display());
            Exit::Pass
        }
        Err(e) => {
            eprintln!("error: {e}");
            Exit::HarnessError
        }
    }
}
