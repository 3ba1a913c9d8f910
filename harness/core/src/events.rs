//! Events: the only contract between the runner and the reporters.
//!
//! The runner emits one ordered stream of [`Event`]s per run. Every reporter (terminal, HTML, JUnit,
//! events.jsonl, pcapng) is a function of this stream alone, and `events.jsonl` holds the whole stream,
//! so any other report can be rebuilt from it. Nothing here knows about sockets or simulators.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use crate::verdict::Verdict;

/// One thing that happened during a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Event {
    RunStarted(RunStarted),
    CaseStarted(CaseStarted),
    StepStarted(StepStarted),
    ActionDone(ActionDone),
    Wire(Wire),
    Check(CheckOutcome),
    CaseFinished(CaseFinished),
    RunFinished(RunFinished),
}

impl Event {
    /// The execution key of the case this event belongs to, if any.
    pub fn case_key(&self) -> Option<&str> {
        match self {
            Self::RunStarted(_) | Self::RunFinished(_) => None,
            Self::CaseStarted(e) => Some(&e.key),
            Self::StepStarted(e) => Some(&e.case),
            Self::ActionDone(e) => Some(&e.case),
            Self::Wire(e) => Some(&e.case),
            Self::Check(e) => Some(&e.case),
            Self::CaseFinished(e) => Some(&e.case),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunStarted {
    pub run_id: String,
    /// RFC 3339 wall-clock time.
    pub started_at: String,
    pub tool_version: String,
    /// Path of the profile, if one was given.
    pub profile: Option<String>,
    /// The cases planned, in the order they were selected.
    pub cases: Vec<CaseHeader>,
    pub jobs: usize,
}

/// What a case is, independent of how one execution of it went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseHeader {
    /// Unique within a run: the case id, plus `[fault]` when the case runs against a faulty simulator.
    pub key: String,
    pub id: String,
    pub title: String,
    pub suite: String,
    pub feature: String,
    /// The case file, as given on the command line or found under the cases directory.
    pub file: String,
    /// The clauses the case enforces.
    pub refs: Vec<String>,
    /// Role name of the system under test, and its kind.
    pub under_test: String,
    pub under_test_kind: String,
    /// Fault injected into the role under test for this execution, if any.
    pub fault: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseStarted {
    pub key: String,
    pub header: CaseHeader,
    /// How each role of the case is played in this execution.
    pub roles: Vec<RoleBinding>,
    /// True when every role is simulated and the case runs on virtual time.
    pub virtual_time: bool,
    /// The carrier bound to each symbol (`a`, `b`, `c`) of the case in this execution; empty for a
    /// case without symbols.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub carriers: BTreeMap<String, String>,
    /// The network bound to each symbol when some of them is a profile's variant of its carrier
    /// (`b` → `cucc-untrusting`); empty when every symbol is bound to a built-in carrier.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoleBinding {
    pub name: String,
    pub kind: String,
    /// `simulator` or `external`.
    pub agent: String,
    /// The public identity (for terminals), or the domain (for network roles).
    pub identity: Option<String>,
    pub sip_udp: Option<SocketAddr>,
    pub sip_tcp: Option<SocketAddr>,
    #[serde(default)]
    pub sip_tls: Option<SocketAddr>,
    /// Its HTTP server (developer API, callbacks), when it has one.
    #[serde(default)]
    pub http: Option<SocketAddr>,
    /// The carrier whose network the role belongs to (`cmcc`, `cucc`, `ctcc`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepStarted {
    pub case: String,
    /// Zero-based index of the step in the case file.
    pub index: usize,
    /// Line of the step in the case file.
    pub line: usize,
    /// The acting or observing role.
    pub role: Option<String>,
    /// Human summary such as `alice: send-pager to bob` or `expect MESSAGE at bob within 2s`.
    pub summary: String,
}

/// What an action step did, as the acting role reports it: a simulator's own account
/// (`registered, 200 OK, expires 3600`, or why nothing was sent), or the values a profile's hook
/// printed for an external role.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionDone {
    pub case: String,
    /// Zero-based index of the step in the case file.
    pub index: usize,
    pub role: String,
    pub summary: String,
    /// The values later steps can use as `${role.key}`.
    #[serde(default)]
    pub values: std::collections::BTreeMap<String, String>,
}

/// Direction of a message as seen by the role that captured it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    In,
    Out,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Transport {
    Udp,
    Tcp,
    /// TLS over TCP; captured messages are the plaintext the simulator wrote or read.
    Tls,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    Sip,
    Msrp,
    Http,
}

/// One message sent or received by a simulated role, exactly as it was on the wire.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Wire {
    pub case: String,
    /// Frame number within the case, from 1; the same number the case's pcapng shows.
    pub frame: u64,
    /// Wall-clock capture time, microseconds since the Unix epoch.
    pub time_us: u64,
    /// Milliseconds since the case started, on the case clock (virtual when all roles are simulated).
    pub case_ms: f64,
    /// The role that sent or received it.
    pub role: String,
    pub direction: Direction,
    pub transport: Transport,
    pub protocol: Protocol,
    /// Source and destination as on the wire.
    pub src: SocketAddr,
    pub dst: SocketAddr,
    /// `MESSAGE sip:...` or `200 OK`, or why the bytes could not be parsed.
    pub summary: String,
    pub bytes: WireBytes,
}

/// Raw bytes that serialise as text when they are UTF-8 and as base64 otherwise.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct WireBytes(pub Vec<u8>);

impl Serialize for WireBytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(1))?;
        match std::str::from_utf8(&self.0) {
            Ok(text) => map.serialize_entry("text", text)?,
            Err(_) => map.serialize_entry("hex", &hex::encode(&self.0))?,
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for WireBytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Repr {
            text: Option<String>,
            hex: Option<String>,
        }
        let repr = Repr::deserialize(d)?;
        match (repr.text, repr.hex) {
            (Some(text), None) => Ok(Self(text.into_bytes())),
            (None, Some(h)) => hex::decode(h).map(Self).map_err(serde::de::Error::custom),
            _ => Err(serde::de::Error::custom(
                "wire bytes need exactly one of `text` or `hex`",
            )),
        }
    }
}

/// The outcome of one check: what was expected, what was observed, and the clause it enforces.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub case: String,
    pub step: usize,
    /// Line of the check in the case file.
    pub line: usize,
    /// The clause this check enforces, e.g. `RFC 3261 10.3`.
    pub rule: String,
    /// What was checked, e.g. `header P-Associated-URI contains "tel:"`.
    pub what: String,
    pub expected: String,
    pub observed: String,
    pub passed: bool,
    /// The frame the check looked at, if it looked at one.
    pub frame: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseFinished {
    pub case: String,
    pub verdict: Verdict,
    pub duration_ms: f64,
    /// Why the verdict is what it is, for everything but a plain pass.
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunFinished {
    pub duration_ms: f64,
    pub counts: Counts,
}

/// Executions per verdict.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
    pub skip: usize,
    pub known_deviation: usize,
    pub unexpected_pass: usize,
}

impl Counts {
    pub fn add(&mut self, verdict: Verdict) {
        match verdict {
            Verdict::Pass => self.pass += 1,
            Verdict::Fail => self.fail += 1,
            Verdict::Error => self.error += 1,
            Verdict::Skip => self.skip += 1,
            Verdict::KnownDeviation => self.known_deviation += 1,
            Verdict::UnexpectedPass => self.unexpected_pass += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.pass + self.fail + self.error + self.skip + self.known_deviation + self.unexpected_pass
    }
}

/// Where events go. Reporters implement this; the runner only ever talks to a sink.
pub trait EventSink: Send {
    /// Handle one event. A reporter that fails to write keeps its error for [`EventSink::finish`].
    fn event(&mut self, event: &Event);
    /// Flush and close. Returns the paths written, or why it failed.
    fn finish(&mut self) -> Result<Vec<std::path::PathBuf>, String>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_bytes_round_trip_text_and_binary() {
        for bytes in [b"SIP/2.0 200 OK\r\n\r\n".to_vec(), vec![0xff, 0x00, 0x80]] {
            let json = serde_json::to_string(&WireBytes(bytes.clone())).unwrap();
            let back: WireBytes = serde_json::from_str(&json).unwrap();
            assert_eq!(back.0, bytes);
        }
        let json = serde_json::to_string(&WireBytes(vec![0xff])).unwrap();
        assert_eq!(json, r#"{"hex":"ff"}"#);
    }

    #[test]
    fn events_are_tagged_kebab_case() {
        let e = Event::CaseFinished(CaseFinished {
            case: "PLT-REG-001".into(),
            verdict: Verdict::KnownDeviation,
            duration_ms: 1.5,
            reason: None,
        });
        let json = serde_json::to_string(&e).unwrap();
        assert!(json.starts_with(r#"{"event":"case-finished""#), "{json}");
        assert!(json.contains(r#""verdict":"known-deviation""#), "{json}");
        assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), e);
    }
}
