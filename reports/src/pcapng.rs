//! `pcap/<case>.pcapng`: one Wireshark capture per case execution.
//!
//! [`PcapngWriter`] keeps the [`Wire`] events of each case and, when the case finishes, writes them
//! as a pcapng file (LINKTYPE_ETHERNET, nanosecond timestamps) with one comment per packet, using
//! the packets from [`crate::packets::capture_for_case`]. Cases still open at the end of the run are
//! written at [`EventSink::finish`], so a capture exists for every case that sent anything. File
//! names come from [`crate::names::safe_name`]. It writes the plaintext the harness saw; it does not
//! hold TLS records or decryption secrets.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::time::Duration;

use pcap_file::DataLink;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use rcs_harness::events::{Event, EventSink, Wire};

use crate::names::safe_name;
use crate::packets::{CapturedPacket, capture_for_case};

/// Most messages kept for one case; later ones are left out of its capture.
pub const MAX_WIRES_PER_CASE: usize = 100_000;

/// Writes one pcapng file per case execution under `<out>/pcap/`.
pub struct PcapngWriter {
    dir: PathBuf,
    open: HashMap<String, Vec<Wire>>,
    /// Keys of open cases in the order they were first seen, so leftovers are written in order.
    order: Vec<String>,
    /// Cases whose file is written; a message arriving after that is left out, not written over it.
    closed: HashSet<String>,
    written: Vec<PathBuf>,
    errors: Vec<String>,
}

impl PcapngWriter {
    /// A writer whose files go to `<out_dir>/pcap/`.
    pub fn new(out_dir: impl AsRef<Path>) -> Self {
        Self {
            dir: out_dir.as_ref().join("pcap"),
            open: HashMap::new(),
            order: Vec::new(),
            closed: HashSet::new(),
            written: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Where the capture of the case execution `key` is written.
    pub fn path_for(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{}.pcapng", safe_name(key)))
    }

    fn keep(&mut self, wire: &Wire) {
        if self.closed.contains(&wire.case) {
            return;
        }
        let wires = match self.open.get_mut(&wire.case) {
            Some(wires) => wires,
            None => {
                self.order.push(wire.case.clone());
                self.open.entry(wire.case.clone()).or_default()
            }
        };
        if wires.len() < MAX_WIRES_PER_CASE {
            wires.push(wire.clone());
        }
    }

    fn close(&mut self, key: &str) {
        let Some(wires) = self.open.remove(key) else {
            return;
        };
        self.order.retain(|k| k != key);
        self.closed.insert(key.to_owned());
        let path = self.path_for(key);
        match write_capture(&path, &capture_for_case(key, &wires)) {
            Ok(()) => self.written.push(path),
            Err(e) => self.errors.push(e),
        }
    }
}

impl EventSink for PcapngWriter {
    fn event(&mut self, event: &Event) {
        match event {
            Event::Wire(wire) => self.keep(wire),
            Event::CaseFinished(done) => self.close(&done.case),
            _ => {}
        }
    }

    fn finish(&mut self) -> Result<Vec<PathBuf>, String> {
        for key in std::mem::take(&mut self.order) {
            self.close(&key);
        }
        match self.errors.is_empty() {
            true => Ok(std::mem::take(&mut self.written)),
            false => Err(std::mem::take(&mut self.errors).join("; ")),
        }
    }
}

/// Write `packets` as a pcapng file with one Ethernet interface.
pub fn write_capture(path: &Path, packets: &[CapturedPacket]) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("failed to create {}: {e}", dir.display()))?;
    }
    let fail = |e: &dyn std::fmt::Display| format!("failed to write {}: {e}", path.display());
    let file = File::create(path).map_err(|e| fail(&e))?;
    let mut writer = PcapNgWriter::new(BufWriter::new(file)).map_err(|e| fail(&e))?;
    let interface = InterfaceDescriptionBlock {
        linktype: DataLink::ETHERNET,
        snaplen: 0,
        options: vec![
            InterfaceDescriptionOption::IfName(Cow::Borrowed("rcs-interop")),
            // pcap-file writes timestamps in nanoseconds.
            InterfaceDescriptionOption::IfTsResol(9),
        ],
    };
    writer.write_pcapng_block(interface).map_err(|e| fail(&e))?;
    for packet in packets {
        let block = EnhancedPacketBlock {
            interface_id: 0,
            timestamp: Duration::from_micros(packet.time_us),
            original_len: packet.data.len() as u32,
            data: Cow::Borrowed(&packet.data),
            options: vec![EnhancedPacketOption::Comment(Cow::Borrowed(
                &packet.comment,
            ))],
        };
        writer.write_pcapng_block(block).map_err(|e| fail(&e))?;
    }
    use std::io::Write;
    writer.into_inner().flush().map_err(|e| fail(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedupe::tests::wire;
    use pcap_file::pcapng::{Block, PcapNgReader};
    use rcs_harness::events::{CaseFinished, Direction};
    use rcs_harness::verdict::Verdict;

    fn read(path: &Path) -> Vec<(Duration, Vec<u8>, String)> {
        let mut reader = PcapNgReader::new(File::open(path).unwrap()).unwrap();
        let mut out = Vec::new();
        while let Some(block) = reader.next_block() {
            if let Block::EnhancedPacket(p) = block.unwrap() {
                let comment = match p.options.first() {
                    Some(EnhancedPacketOption::Comment(c)) => c.to_string(),
                    _ => String::new(),
                };
                out.push((p.timestamp, p.data.to_vec(), comment));
            }
        }
        out
    }

    #[test]
    fn one_file_per_case_written_at_case_end_and_at_finish() {
        let dir = tempfile::tempdir().unwrap();
        let mut writer = PcapngWriter::new(dir.path());
        let mut a = wire(1, "alice", Direction::Out, "REGISTER a");
        a.case = "A[x/y]".into();
        let mut b = wire(1, "alice", Direction::Out, "REGISTER b");
        b.case = "B".into();
        writer.event(&Event::Wire(a.clone()));
        writer.event(&Event::Wire(b));
        writer.event(&Event::CaseFinished(CaseFinished {
            case: "A[x/y]".into(),
            verdict: Verdict::Pass,
            duration_ms: 1.0,
            reason: None,
        }));
        let path_a = writer.path_for("A[x/y]");
        assert!(path_a.exists(), "written when the case finished");
        assert!(path_a.parent().unwrap().ends_with("pcap"));
        // A late message of a finished case does not replace its capture.
        writer.event(&Event::Wire(a.clone()));
        let written = writer.finish().unwrap();
        assert_eq!(
            written,
            vec![path_a.clone(), dir.path().join("pcap/B.pcapng")]
        );
        let packets = read(&path_a);
        assert_eq!(packets.len(), 1);
        assert_eq!(packets[0].0, Duration::from_micros(a.time_us));
        assert_eq!(packets[0].2, "case A[x/y] / frame 1 / alice out");
        assert!(packets[0].1.ends_with(b"REGISTER a"));
    }

    #[test]
    fn an_unwritable_directory_is_reported_at_finish() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pcap"), b"a file, not a directory").unwrap();
        let mut writer = PcapngWriter::new(dir.path());
        writer.event(&Event::Wire(wire(1, "alice", Direction::Out, "X")));
        let err = writer.finish().unwrap_err();
        assert!(err.starts_with("failed to create"), "{err}");
    }
}
