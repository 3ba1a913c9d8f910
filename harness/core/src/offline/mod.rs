//! Reading a capture the suite did not write (a vendor's tshark or dumpcap file) into the same
//! [`Wire`] events the simulators emit, so the offline checker can judge it with the same checks.
//!
//! What is here: format detection by magic number (pcap, pcapng, gzip of either: `capture.rs`),
//! link/IP/UDP/TCP decoding (`packet.rs`), per-direction TCP reassembly (`reassembly.rs`), and SIP,
//! MSRP and HTTP/1.1 framing (`framing.rs`). Every SIP message in a UDP datagram and every SIP,
//! MSRP or HTTP message framed from a TCP stream becomes one [`Wire`], in the order the messages
//! were completed.
//!
//! What is not: roles (every wire has `role = ""` and [`Direction::Out`]; the checker assigns roles
//! from the addresses), IP fragment reassembly, TLS decryption, HTTP/2, HTTP responses read until
//! the connection closes, and checksum verification.
//! Anything skipped or cut short is reported in [`Captured::warnings`]; nothing read from the file
//! can make this module panic.
//!
//! [`Direction::Out`]: crate::events::Direction::Out

mod capture;
mod collect;
mod framing;
mod packet;
mod reassembly;

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

pub use capture::MAX_CAPTURE_BYTES;

use crate::events::Wire;

/// The `case` of every wire read from a capture.
pub const CAPTURE_CASE: &str = "capture";

/// The messages found in a capture, and what could not be read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Captured {
    /// Messages in the order they were completed, numbered from 1.
    pub wires: Vec<Wire>,
    /// Packets, streams or bytes that were skipped, and why.
    pub warnings: Vec<String>,
}

/// Why a capture could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error("failed to read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "failed to read {path}: not a pcap, pcapng or gzip capture ({}starts with {magic})",
        if *gzip { "its decompressed content " } else { "it " }
    )]
    UnknownFormat {
        path: String,
        /// The file was gzip-compressed, and its content is not a capture.
        gzip: bool,
        /// The first bytes, as `0x` and hex digits.
        magic: String,
    },
    #[error("failed to read {path}: its {format} file header is {reason}")]
    BadHeader {
        path: String,
        format: String,
        reason: String,
    },
}

/// Reads the capture file at `path`, whatever its format.
pub fn read_capture(path: &Path) -> Result<Captured, CaptureError> {
    let label = path.display().to_string();
    let file = File::open(path).map_err(|source| CaptureError::Io {
        path: label.clone(),
        source,
    })?;
    read_from(BufReader::new(file), &label)
}

/// Reads a capture held in memory.
pub fn read_capture_bytes(bytes: &[u8]) -> Result<Captured, CaptureError> {
    read_from(bytes, "the capture")
}

fn read_from<R: Read>(input: R, label: &str) -> Result<Captured, CaptureError> {
    let mut collector = collect::Collector::default();
    let mut warnings = Vec::new();
    capture::read_packets(input, label, &mut warnings, &mut |packet| {
        collector.packet(&packet);
    })?;
    let mut captured = collector.finish();
    warnings.append(&mut captured.warnings);
    captured.warnings = warnings;
    Ok(captured)
}
