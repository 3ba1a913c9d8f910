//! rcs-reports: the reporters of rcs-interop.
//!
//! Every reporter is an [`EventSink`] built only on the harness's events
//! (`rcs_harness::events`): it never sees a socket or a simulator, so any report can be rebuilt
//! from `events.jsonl`. The reporters are:
//!
//! - [`JsonlWriter`]: `events.jsonl`, the whole stream (write it first);
//! - [`JunitReport`]: `junit.xml` for CI;
//! - [`PcapngWriter`]: one `pcap/<case>.pcapng` per case execution, for Wireshark;
//! - [`HtmlReport`]: `index.html`, a self-contained report with ladder diagrams, and for a run
//!   that binds carriers the interop matrix `matrix.html` (with `matrix.json`);
//! - [`TerminalReporter`]: progress and one line per finished case on stderr.
//!
//! [`Fanout`] feeds one stream to several of them. Reporters receive the events of parallel cases
//! interleaved, never panic on any input, and escape everything that came from the wire.

// Tests may unwrap; the library itself may not (checked by clippy on the non-test build).
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod dedupe;
mod frame;
pub mod html;
pub mod json;
pub mod junit;
pub mod matrix;
pub mod model;
pub mod names;
pub mod packets;
pub mod pcapng;
pub mod terminal;

use std::path::PathBuf;

pub use html::HtmlReport;
pub use json::{JsonlError, JsonlWriter, read_events};
pub use junit::JunitReport;
pub use packets::{CapturedPacket, capture_for_case, packets_for_case};
pub use pcapng::PcapngWriter;
pub use rcs_harness::events::{Event, EventSink};
pub use terminal::TerminalReporter;

/// Several reporters fed from one stream.
pub struct Fanout(pub Vec<Box<dyn EventSink>>);

impl Fanout {
    pub fn new(sinks: Vec<Box<dyn EventSink>>) -> Self {
        Self(sinks)
    }

    /// Finish every reporter, even after one failed, and return each result in order.
    pub fn finish_each(&mut self) -> Vec<Result<Vec<PathBuf>, String>> {
        self.0.iter_mut().map(|sink| sink.finish()).collect()
    }
}

impl EventSink for Fanout {
    fn event(&mut self, event: &Event) {
        for sink in &mut self.0 {
            sink.event(event);
        }
    }

    /// Finishes every reporter. Returns all paths written, or every failure joined by `; `.
    fn finish(&mut self) -> Result<Vec<PathBuf>, String> {
        let mut paths = Vec::new();
        let mut errors = Vec::new();
        for result in self.finish_each() {
            match result {
                Ok(written) => paths.extend(written),
                Err(e) => errors.push(e),
            }
        }
        match errors.is_empty() {
            true => Ok(paths),
            false => Err(errors.join("; ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    struct Probe {
        seen: Arc<Mutex<usize>>,
        result: Result<Vec<PathBuf>, String>,
        finished: Arc<Mutex<bool>>,
    }

    impl EventSink for Probe {
        fn event(&mut self, _: &Event) {
            *self.seen.lock().unwrap() += 1;
        }
        fn finish(&mut self) -> Result<Vec<PathBuf>, String> {
            *self.finished.lock().unwrap() = true;
            self.result.clone()
        }
    }

    #[test]
    fn fanout_feeds_all_and_finishes_all_despite_a_failure() {
        let seen = Arc::new(Mutex::new(0));
        let done: Vec<_> = (0..3).map(|_| Arc::new(Mutex::new(false))).collect();
        let results = [
            Err("failed to write a".to_owned()),
            Ok(vec![PathBuf::from("b")]),
            Err("failed to write c".to_owned()),
        ];
        let sinks = results
            .into_iter()
            .zip(&done)
            .map(|(result, finished)| {
                Box::new(Probe {
                    seen: seen.clone(),
                    result,
                    finished: finished.clone(),
                }) as Box<dyn EventSink>
            })
            .collect();
        let mut fanout = Fanout::new(sinks);
        let event = Event::RunFinished(rcs_harness::events::RunFinished {
            duration_ms: 1.0,
            counts: Default::default(),
        });
        fanout.event(&event);
        assert_eq!(*seen.lock().unwrap(), 3);
        let err = fanout.finish().unwrap_err();
        assert_eq!(err, "failed to write a; failed to write c");
        assert!(done.iter().all(|d| *d.lock().unwrap()));
    }
}
