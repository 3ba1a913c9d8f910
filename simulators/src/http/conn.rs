//! What the HTTP server and client share: opening connections, writing with a time limit, and
//! recording on the wire tap with a connection's real addresses.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use rcs_harness::agent::WireTap;
use rcs_harness::events::{Direction, Protocol, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::net::{Stream, TlsConfig};

/// Longest wait for a connection to open or for one write to complete.
pub(super) const IO_TIMEOUT: Duration = Duration::from_secs(10);

/// Bytes read from a socket at a time, at most.
pub(super) const READ_CHUNK: usize = 64 * 1024;

/// One connection's addresses and the tap its messages go to.
#[derive(Debug, Clone)]
pub(super) struct Wire {
    pub(super) tap: WireTap,
    pub(super) transport: Transport,
    pub(super) local: SocketAddr,
    pub(super) peer: SocketAddr,
}

impl Wire {
    /// Records bytes the peer sent.
    pub(super) fn record_in(&self, bytes: &[u8]) {
        let (src, dst) = (self.peer, self.local);
        self.record(Direction::In, src, dst, bytes);
    }

    /// Records bytes we sent.
    pub(super) fn record_out(&self, bytes: &[u8]) {
        let (src, dst) = (self.local, self.peer);
        self.record(Direction::Out, src, dst, bytes);
    }

    /// Records what was left of an unfinished message when a connection ended, unless it was
    /// only blank lines.
    pub(super) fn record_leftover(&self, bytes: &[u8]) {
        if !bytes.iter().all(|b| matches!(b, b'\r' | b'\n')) {
            self.record_in(bytes);
        }
    }

    fn record(&self, direction: Direction, src: SocketAddr, dst: SocketAddr, bytes: &[u8]) {
        let (transport, protocol) = (self.transport, Protocol::Http);
        self.tap
            .record(direction, transport, protocol, src, dst, bytes);
    }
}

/// `Tls` or `Tcp`.
pub(super) fn transport(tls: bool) -> Transport {
    match tls {
        true => Transport::Tls,
        false => Transport::Tcp,
    }
}

/// Opens a connection to `dst`, with a TLS handshake when `tls` is given; the stream and the
/// local address.
pub(super) async fn open(
    dst: SocketAddr,
    tls: Option<&TlsConfig>,
) -> Result<(Box<dyn Stream>, SocketAddr), String> {
    let stream = match tokio::time::timeout(IO_TIMEOUT, TcpStream::connect(dst)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(err)) => return Err(err.to_string()),
        Err(_) => return Err(format!("timed out after {IO_TIMEOUT:?}")),
    };
    let _ = stream.set_nodelay(true);
    let local = stream.local_addr().map_err(|e| e.to_string())?;
    let stream: Box<dyn Stream> = match tls {
        Some(tls) => tls.connect(stream, dst).await.map_err(|e| e.to_string())?,
        None => Box::new(stream),
    };
    Ok((stream, local))
}

/// Writes and flushes `bytes` (TLS buffers what it encrypts), within [`IO_TIMEOUT`].
pub(super) async fn write_all(stream: &mut Box<dyn Stream>, bytes: &[u8]) -> Result<(), String> {
    let write = async {
        stream.write_all(bytes).await?;
        stream.flush().await
    };
    match tokio::time::timeout(IO_TIMEOUT, write).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(err)) => Err(err.to_string()),
        Err(_) => Err(format!("write timed out after {IO_TIMEOUT:?}")),
    }
}

/// Reads what is there, at most [`READ_CHUNK`] bytes.
pub(super) async fn read_some(
    stream: &mut Box<dyn Stream>,
    buf: &mut BytesMut,
) -> std::io::Result<usize> {
    buf.reserve(READ_CHUNK);
    let mut limited = (&mut *stream).take(READ_CHUNK as u64);
    limited.read_buf(buf).await
}
