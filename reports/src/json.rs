//! `events.jsonl`: the whole event stream, one JSON event per line.
//!
//! This is the report every other report can be rebuilt from, so the command line writes it first.
//! [`JsonlWriter`] flushes after each finished case and at the end of the run, so a run that crashes
//! keeps every case that finished. [`read_events`] reads a file back, naming the line at fault. The
//! event shapes themselves are defined by the harness (`rcs_harness::events`), not here.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use rcs_harness::events::{Event, EventSink};

/// Longest line [`read_events`] accepts: one event carrying a large message.
pub const MAX_LINE_BYTES: u64 = 64 * 1024 * 1024;

/// Writes every event as one line of JSON.
pub struct JsonlWriter {
    path: PathBuf,
    out: Option<BufWriter<File>>,
    error: Option<String>,
}

impl JsonlWriter {
    /// Create (or truncate) the file at `path`, creating its directory if needed.
    pub fn create(path: impl Into<PathBuf>) -> Result<Self, JsonlError> {
        let path = path.into();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| JsonlError::Create {
                path: dir.to_owned(),
                source,
            })?;
        }
        let file = File::create(&path).map_err(|source| JsonlError::Create {
            path: path.clone(),
            source,
        })?;
        Ok(Self {
            path,
            out: Some(BufWriter::new(file)),
            error: None,
        })
    }

    fn write(&mut self, event: &Event) -> io::Result<()> {
        let Some(out) = self.out.as_mut() else {
            return Ok(());
        };
        serde_json::to_writer(&mut *out, event)?;
        out.write_all(b"\n")?;
        if matches!(event, Event::CaseFinished(_) | Event::RunFinished(_)) {
            out.flush()?;
        }
        Ok(())
    }
}

impl EventSink for JsonlWriter {
    fn event(&mut self, event: &Event) {
        if self.error.is_some() {
            return;
        }
        if let Err(e) = self.write(event) {
            self.error = Some(format!(
                "failed to write event to {}: {e}",
                self.path.display()
            ));
        }
    }

    fn finish(&mut self) -> Result<Vec<PathBuf>, String> {
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        if let Some(mut out) = self.out.take() {
            out.flush()
                .map_err(|e| format!("failed to flush {}: {e}", self.path.display()))?;
        }
        Ok(vec![self.path.clone()])
    }
}

/// Read an `events.jsonl` file back. Blank lines are ignored.
pub fn read_events(path: impl AsRef<Path>) -> Result<Vec<Event>, JsonlError> {
    let path = path.as_ref();
    let file = File::open(path).map_err(|source| JsonlError::Open {
        path: path.to_owned(),
        source,
    })?;
    let mut reader = BufReader::new(file);
    let mut events = Vec::new();
    let mut buf = Vec::new();
    for line in 1.. {
        buf.clear();
        let read = (&mut reader)
            .take(MAX_LINE_BYTES + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|source| JsonlError::Read {
                path: path.to_owned(),
                line,
                source,
            })?;
        if read == 0 {
            break;
        }
        if buf.len() as u64 > MAX_LINE_BYTES {
            return Err(JsonlError::LineTooLong {
                path: path.to_owned(),
                line,
            });
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let event = serde_json::from_slice(&buf).map_err(|source| JsonlError::Parse {
            path: path.to_owned(),
            line,
            source,
        })?;
        events.push(event);
    }
    Ok(events)
}

#[derive(Debug, thiserror::Error)]
pub enum JsonlError {
    #[error("failed to create {path}: {source}")]
    Create { path: PathBuf, source: io::Error },
    #[error("failed to open {path}: {source}")]
    Open { path: PathBuf, source: io::Error },
    #[error("failed to read {path} at line {line}: {source}")]
    Read {
        path: PathBuf,
        line: usize,
        source: io::Error,
    },
    #[error("failed to read {path}: line {line} is longer than {MAX_LINE_BYTES} bytes")]
    LineTooLong { path: PathBuf, line: usize },
    #[error("failed to parse the event at {path}:{line}: {source}")]
    Parse {
        path: PathBuf,
        line: usize,
        source: serde_json::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcs_harness::events::CaseFinished;
    use rcs_harness::verdict::Verdict;

    fn finished(key: &str) -> Event {
        Event::CaseFinished(CaseFinished {
            case: key.into(),
            verdict: Verdict::Pass,
            duration_ms: 1.0,
            reason: None,
        })
    }

    #[test]
    fn round_trips_and_flushes_each_finished_case() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out/events.jsonl");
        let mut writer = JsonlWriter::create(&path).unwrap();
        writer.event(&finished("A"));
        // Flushed at CaseFinished, before finish(): a crash here keeps case A.
        assert_eq!(read_events(&path).unwrap(), vec![finished("A")]);
        writer.event(&finished("B"));
        assert_eq!(writer.finish().unwrap(), vec![path.clone()]);
        assert_eq!(
            read_events(&path).unwrap(),
            vec![finished("A"), finished("B")]
        );
    }

    #[test]
    fn errors_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let good = serde_json::to_string(&finished("A")).unwrap();
        std::fs::write(&path, format!("{good}\n\n{good}\n{{\"event\":\"nope\"}}\n")).unwrap();
        let err = read_events(&path).unwrap_err();
        assert!(matches!(err, JsonlError::Parse { line: 4, .. }), "{err}");
        assert!(err.to_string().contains("events.jsonl:4"), "{err}");
    }

    #[test]
    fn a_missing_file_is_an_open_error() {
        let err = read_events("/nonexistent/events.jsonl").unwrap_err();
        assert!(err.to_string().starts_with("failed to open"), "{err}");
    }
}
