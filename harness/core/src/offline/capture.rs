//! Capture file formats: libpcap (both byte orders, microsecond and nanosecond timestamps), pcapng
//! (several sections and interfaces, each with its own link type and timestamp resolution), and
//! either of them gzip-compressed.
//!
//! The format is chosen by the file's magic number, never by its name. The file is streamed through
//! a fixed-size buffer, so memory does not grow with its size, and reading stops at a cap on the
//! uncompressed bytes. A truncated or corrupt tail ends the reading with a warning: the packets
//! before it are still delivered. This module yields link-layer frames with their timestamps; it
//! does not decode them (see `packet.rs`).

use std::cell::{Cell, RefCell};
use std::io::{Cursor, Read};
use std::rc::Rc;

use flate2::read::MultiGzDecoder;
use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{Block, LegacyPcapReader, Linktype, PcapBlockOwned, PcapError, PcapNGReader};

use super::CaptureError;

/// Cap on the uncompressed bytes read from one capture: 1 GiB.
pub const MAX_CAPTURE_BYTES: u64 = 1 << 30;

/// Bytes read before the format is chosen; a pcapng section header must fit in them.
const PREFIX_LEN: usize = 64 * 1024;

/// The reading buffer at first; it doubles when a block does not fit.
const BUFFER_START: usize = 128 * 1024;

/// Cap on one block, and so on the reading buffer: 16 MiB.
const MAX_BLOCK: usize = 16 * 1024 * 1024;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];
/// The libpcap magic numbers as they appear in the file: both byte orders of the microsecond,
/// nanosecond and "modified" variants.
const PCAP_MAGICS: [[u8; 4]; 6] = [
    [0xd4, 0xc3, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xc3, 0xd4],
    [0x4d, 0x3c, 0xb2, 0xa1],
    [0xa1, 0xb2, 0x3c, 0x4d],
    [0x34, 0xcd, 0xb2, 0xa1],
    [0xa1, 0xb2, 0xcd, 0x34],
];

/// One captured link-layer frame.
pub(crate) struct RawPacket<'a> {
    pub linktype: Linktype,
    /// Microseconds since the Unix epoch (negative before it).
    pub time_us: i64,
    pub data: &'a [u8],
    /// The frame was cut short by the snap length.
    pub cut: bool,
}

/// Reads every frame of the capture in `input`, in file order.
///
/// `label` names the input in errors. Problems after the file header are pushed to `warnings`
/// and end the reading; problems with the header itself are errors.
pub(crate) fn read_packets<R: Read>(
    input: R,
    label: &str,
    warnings: &mut Vec<String>,
    each: &mut dyn FnMut(RawPacket<'_>),
) -> Result<(), CaptureError> {
    let state = Rc::new(SourceState::default());
    let mut source = Source {
        inner: input,
        state: Rc::clone(&state),
        read: 0,
    };
    let prefix = read_prefix(&mut source, label)?;
    if prefix.starts_with(&GZIP_MAGIC) {
        let mut inflated = Source {
            inner: MultiGzDecoder::new(Cursor::new(prefix).chain(source)),
            state: Rc::clone(&state),
            read: 0,
        };
        let prefix = read_prefix(&mut inflated, label)?;
        dispatch(prefix, inflated, label, true, warnings, each)?;
    } else {
        dispatch(prefix, source, label, false, warnings, each)?;
    }
    if let Some(error) = state.error.borrow_mut().take() {
        warnings.push(format!("the capture is truncated or corrupt: {error}"));
    }
    if state.capped.get() {
        warnings.push(format!(
            "the capture is larger than {MAX_CAPTURE_BYTES} bytes: only the packets before that were read"
        ));
    }
    Ok(())
}

/// Chooses the reader by the magic number at the start of `prefix`.
fn dispatch<R: Read>(
    prefix: Vec<u8>,
    rest: R,
    label: &str,
    gzip: bool,
    warnings: &mut Vec<String>,
    each: &mut dyn FnMut(RawPacket<'_>),
) -> Result<(), CaptureError> {
    let magic = prefix.get(..4).unwrap_or(&prefix);
    let legacy = PCAP_MAGICS.iter().any(|m| m == magic);
    let ng = magic == PCAPNG_MAGIC;
    if !legacy && !ng {
        return Err(CaptureError::UnknownFormat {
            path: label.to_owned(),
            gzip,
            magic: magic_text(magic),
        });
    }
    let input = Cursor::new(prefix).chain(rest);
    if legacy {
        let reader = LegacyPcapReader::new(BUFFER_START, input)
            .map_err(|e| header_error(label, "pcap", &e))?;
        drive(reader, &mut Legacy::default(), warnings, each);
        return Ok(());
    }
    let reader =
        PcapNGReader::new(BUFFER_START, input).map_err(|e| header_error(label, "pcapng", &e))?;
    drive(reader, &mut Ng::default(), warnings, each);
    Ok(())
}

fn header_error(label: &str, format: &str, error: &PcapError<&[u8]>) -> CaptureError {
    let reason = match error {
        PcapError::Incomplete(_) | PcapError::UnexpectedEof => "truncated".to_owned(),
        other => format!("unreadable: {}", describe(other)),
    };
    CaptureError::BadHeader {
        path: label.to_owned(),
        format: format.to_owned(),
        reason,
    }
}

/// `0x0a0d0d0a`, or a note that the input is empty.
fn magic_text(magic: &[u8]) -> String {
    match magic.is_empty() {
        true => "nothing: it is empty".to_owned(),
        false => format!("0x{}", hex::encode(magic)),
    }
}

/// Reads up to [`PREFIX_LEN`] bytes, fewer only at the end of the input.
fn read_prefix<R: Read>(source: &mut Source<R>, label: &str) -> Result<Vec<u8>, CaptureError> {
    let mut prefix = Vec::with_capacity(PREFIX_LEN);
    let mut limited = source.take(PREFIX_LEN as u64);
    limited
        .read_to_end(&mut prefix)
        .map_err(|source| CaptureError::Io {
            path: label.to_owned(),
            source,
        })?;
    Ok(prefix)
}

/// Runs a pcap-parser reader to the end of its input, handing each block to `format`.
fn drive<R: PcapReaderIterator>(
    mut reader: R,
    format: &mut dyn BlockHandler,
    warnings: &mut Vec<String>,
    each: &mut dyn FnMut(RawPacket<'_>),
) {
    let mut capacity = BUFFER_START;
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                format.block(block, warnings, each);
                reader.consume(offset);
            }
            Err(PcapError::Eof) => return,
            Err(PcapError::Incomplete(_)) => {
                let before = reader.data().len();
                let refilled = reader.refill().is_ok();
                let stuck = !reader.reader_exhausted() && reader.data().len() == before;
                if !refilled || (stuck && !grow(&mut reader, &mut capacity)) {
                    warnings.push(too_large(reader.consumed()));
                    return;
                }
            }
            Err(PcapError::UnexpectedEof) => {
                warnings.push(format!(
                    "the capture is truncated: the block at byte {} is incomplete",
                    reader.consumed()
                ));
                return;
            }
            Err(PcapError::BufferTooSmall) => {
                if !grow(&mut reader, &mut capacity) {
                    warnings.push(too_large(reader.consumed()));
                    return;
                }
            }
            Err(other) => {
                let what = describe(&other);
                warnings.push(format!(
                    "failed to read the block at byte {}: {what}; the rest of the capture was not read",
                    reader.consumed(),
                ));
                return;
            }
        }
    }
}

/// A parse error without the input bytes it carries.
fn describe(error: &PcapError<&[u8]>) -> String {
    match error {
        PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
            format!("the block is malformed ({})", kind.description())
        }
        PcapError::HeaderNotRecognized => "its header is not recognised".to_owned(),
        PcapError::ReadError => "the input could not be read".to_owned(),
        other => format!("{other:?}"),
    }
}

/// Doubles the reading buffer, up to [`MAX_BLOCK`].
fn grow<R: PcapReaderIterator>(reader: &mut R, capacity: &mut usize) -> bool {
    if *capacity >= MAX_BLOCK {
        return false;
    }
    *capacity = (*capacity * 2).min(MAX_BLOCK);
    reader.grow(*capacity)
}

fn too_large(at: usize) -> String {
    format!("failed to read the block at byte {at}: it is larger than {MAX_BLOCK} bytes")
}

/// Turns the blocks of one file format into frames.
trait BlockHandler {
    fn block(
        &mut self,
        block: PcapBlockOwned<'_>,
        warnings: &mut Vec<String>,
        each: &mut dyn FnMut(RawPacket<'_>),
    );
}

/// libpcap: one link type and one timestamp precision for the whole file.
#[derive(Default)]
struct Legacy {
    linktype: Linktype,
    nanos: bool,
}

impl BlockHandler for Legacy {
    fn block(
        &mut self,
        block: PcapBlockOwned<'_>,
        _: &mut Vec<String>,
        each: &mut dyn FnMut(RawPacket<'_>),
    ) {
        match block {
            PcapBlockOwned::LegacyHeader(header) => {
                self.linktype = header.network;
                self.nanos = header.is_nanosecond_precision();
            }
            PcapBlockOwned::Legacy(packet) => {
                let fraction = match self.nanos {
                    true => i64::from(packet.ts_usec) / 1000,
                    false => i64::from(packet.ts_usec),
                };
                each(RawPacket {
                    linktype: self.linktype,
                    time_us: i64::from(packet.ts_sec) * 1_000_000 + fraction,
                    data: packet.data,
                    cut: packet.caplen < packet.origlen,
                });
            }
            PcapBlockOwned::NG(_) => {}
        }
    }
}

/// An interface of a pcapng section.
struct Interface {
    linktype: Linktype,
    /// Timestamp units per second.
    resolution: u64,
    /// Seconds added to every timestamp.
    offset: i64,
}

/// pcapng: interfaces are declared per section, and packets name their interface.
#[derive(Default)]
struct Ng {
    interfaces: Vec<Interface>,
    last_time_us: i64,
    /// Packets whose interface was never declared.
    orphans: u64,
}

impl BlockHandler for Ng {
    fn block(
        &mut self,
        block: PcapBlockOwned<'_>,
        warnings: &mut Vec<String>,
        each: &mut dyn FnMut(RawPacket<'_>),
    ) {
        let PcapBlockOwned::NG(block) = block else {
            return;
        };
        match block {
            Block::SectionHeader(_) => self.interfaces.clear(),
            Block::InterfaceDescription(idb) => {
                let resolution = idb.ts_resolution().unwrap_or_else(|| {
                    warnings.push(format!(
                        "interface {} declares an invalid timestamp resolution {:#04x}; microseconds assumed",
                        self.interfaces.len(),
                        idb.if_tsresol
                    ));
                    1_000_000
                });
                self.interfaces.push(Interface {
                    linktype: idb.linktype,
                    resolution,
                    offset: idb.ts_offset(),
                });
            }
            Block::EnhancedPacket(epb) => {
                let Some(interface) = self.interfaces.get(epb.if_id as usize) else {
                    self.orphan(warnings, epb.if_id);
                    return;
                };
                let ticks = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                self.last_time_us = to_micros(ticks, interface);
                each(RawPacket {
                    linktype: interface.linktype,
                    time_us: self.last_time_us,
                    data: epb.packet_data(),
                    cut: epb.truncated(),
                });
            }
            Block::SimplePacket(spb) => {
                let Some(interface) = self.interfaces.first() else {
                    self.orphan(warnings, 0);
                    return;
                };
                each(RawPacket {
                    linktype: interface.linktype,
                    time_us: self.last_time_us,
                    data: spb.packet_data(),
                    cut: spb.packet_data().len() < spb.orig_len() as usize,
                });
            }
            _ => {}
        }
    }
}

impl Ng {
    fn orphan(&mut self, warnings: &mut Vec<String>, if_id: u32) {
        self.orphans += 1;
        if self.orphans == 1 {
            warnings.push(format!(
                "skipped packets of interface {if_id}, which no interface description block declares"
            ));
        }
    }
}

/// Converts interface ticks to microseconds since the epoch, saturating.
fn to_micros(ticks: u64, interface: &Interface) -> i64 {
    let micros = i128::from(ticks) * 1_000_000 / i128::from(interface.resolution.max(1))
        + i128::from(interface.offset) * 1_000_000;
    micros.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// What the [`Source`] wrappers of one capture noticed.
#[derive(Default)]
struct SourceState {
    /// The first read error, after which the input is treated as ended.
    error: RefCell<Option<String>>,
    /// Reading stopped at [`MAX_CAPTURE_BYTES`].
    capped: Cell<bool>,
}

/// A reader that ends at the size cap and turns a read error (a truncated gzip stream) into the
/// end of input, remembering it for a warning.
struct Source<R> {
    inner: R,
    state: Rc<SourceState>,
    read: u64,
}

impl<R: Read> Read for Source<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.state.error.borrow().is_some() {
            return Ok(0);
        }
        let left = MAX_CAPTURE_BYTES.saturating_sub(self.read);
        if left == 0 {
            if !buf.is_empty() {
                self.state.capped.set(true);
            }
            return Ok(0);
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        match self.inner.read(&mut buf[..want]) {
            Ok(n) => {
                self.read += n as u64;
                Ok(n)
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Err(e),
            Err(e) => {
                *self.state.error.borrow_mut() = Some(e.to_string());
                Ok(0)
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn interface(resolution: u64, offset: i64) -> Interface {
        Interface {
            linktype: Linktype(1),
            resolution,
            offset,
        }
    }

    #[test]
    fn ticks_become_microseconds_at_any_resolution() {
        assert_eq!(
            to_micros(1_500_000_123, &interface(1_000_000_000, 0)),
            1_500_000
        );
        assert_eq!(to_micros(3, &interface(1 << 1, 10)), 11_500_000);
        assert_eq!(to_micros(u64::MAX, &interface(1, i64::MAX)), i64::MAX);
    }

    #[test]
    fn magic_numbers_are_shown_in_hex() {
        assert_eq!(magic_text(&[0x0a, 0x0d]), "0x0a0d");
        assert_eq!(magic_text(&[]), "nothing: it is empty");
    }

    #[test]
    fn a_source_stops_at_a_read_error_and_remembers_it() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("corrupt deflate stream"))
            }
        }
        let state = Rc::new(SourceState::default());
        let mut source = Source {
            inner: Cursor::new(b"abc".to_vec()).chain(Failing),
            state: Rc::clone(&state),
            read: 0,
        };
        let mut all = Vec::new();
        source.read_to_end(&mut all).unwrap();
        assert_eq!(all, b"abc");
        assert_eq!(
            state.error.borrow().as_deref(),
            Some("corrupt deflate stream")
        );
    }

    #[test]
    fn a_source_stops_at_the_cap() {
        let state = Rc::new(SourceState::default());
        let mut source = Source {
            inner: std::io::repeat(7),
            state: Rc::clone(&state),
            read: MAX_CAPTURE_BYTES - 2,
        };
        let mut all = Vec::new();
        source.read_to_end(&mut all).unwrap();
        assert_eq!(all, [7, 7]);
        assert!(state.capped.get());
    }
}
