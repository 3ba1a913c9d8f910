//! One MSRP connection (RFC 4975 §6.2: MSRP over TCP, or TLS over TCP for `msrps`): writing
//! frames, reading them with [`rcs_proto::msrp::Decoder`], and recording every frame on the wire
//! tap as `Protocol::Msrp` with the real socket addresses (the plaintext, for TLS).
//!
//! A framing error cannot be recovered from on a stream: the reader records the bytes it could
//! not frame and stops, which closes the connection. This module does not pick sessions; the
//! stack does that with the first frame.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use rcs_harness::agent::WireTap;
use rcs_harness::events::{Direction, Protocol, Transport};
use rcs_proto::msrp::{Decoder, Frame};
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::MAX_FRAME;
use crate::net::{NetError, Stream, TlsConfig};

/// Longest wait for a connection to open or for a write to complete.
pub(super) const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// The write side of one connection, with what the tap needs to know.
pub(super) struct Conn {
    pub(super) local: SocketAddr,
    pub(super) peer: SocketAddr,
    pub(super) transport: Transport,
    tap: WireTap,
    writer: tokio::sync::Mutex<WriteHalf<Box<dyn Stream>>>,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("local", &self.local)
            .field("peer", &self.peer)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

/// A connection whose reading has not been handed to a session yet.
pub(super) struct Link {
    pub(super) conn: std::sync::Arc<Conn>,
    pub(super) reader: ReadHalf<Box<dyn Stream>>,
    pub(super) buf: BytesMut,
    pub(super) decoder: Decoder,
}

impl Link {
    /// Splits a connected stream into its write side and a link to read from.
    pub(super) fn new(
        stream: Box<dyn Stream>,
        local: SocketAddr,
        peer: SocketAddr,
        transport: Transport,
        tap: WireTap,
    ) -> Self {
        let (reader, writer) = tokio::io::split(stream);
        let conn = Conn {
            local,
            peer,
            transport,
            tap,
            writer: tokio::sync::Mutex::new(writer),
        };
        Self {
            conn: std::sync::Arc::new(conn),
            reader,
            buf: BytesMut::with_capacity(16 * 1024),
            decoder: Decoder::new(MAX_FRAME),
        }
    }

    /// Reads the next frame; `None` when the connection ends or cannot be framed.
    pub(super) async fn next_frame(&mut self) -> Option<Frame> {
        loop {
            match self.decoder.decode(&mut self.buf) {
                Ok(Some(frame)) => {
                    self.conn.record_in(frame.as_bytes());
                    return Some(frame);
                }
                Ok(None) => {}
                Err(err) => {
                    tracing::info!(peer = %self.conn.peer, "closing msrp connection: failed to {err}");
                    self.record_leftover();
                    return None;
                }
            }
            match self.reader.read_buf(&mut self.buf).await {
                Ok(0) => {
                    self.record_leftover();
                    return None;
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::info!(peer = %self.conn.peer, "msrp connection failed: {err}");
                    self.record_leftover();
                    return None;
                }
            }
        }
    }

    /// Reads frames into `frames` until the connection ends or the receiver is gone.
    pub(super) async fn run_reader(mut self, frames: mpsc::Sender<Frame>) {
        while let Some(frame) = self.next_frame().await {
            if frames.send(frame).await.is_err() {
                return;
            }
        }
    }

    /// Records bytes that never made a whole frame.
    fn record_leftover(&mut self) {
        if !self.buf.iter().all(|b| matches!(b, b'\r' | b'\n')) {
            self.conn.record_in(&self.buf.split());
        }
    }
}

impl Conn {
    /// Writes `bytes` and records them on the tap.
    pub(super) async fn write(&self, bytes: &[u8]) -> Result<(), NetError> {
        let written = {
            let mut writer = self.writer.lock().await;
            // TLS buffers what it encrypts: flush so the record leaves now.
            let write = async {
                writer.write_all(bytes).await?;
                writer.flush().await
            };
            tokio::time::timeout(IO_TIMEOUT, write).await
        };
        let detail = match written {
            Ok(Ok(())) => {
                let (src, dst) = (self.local, self.peer);
                let (out, msrp) = (Direction::Out, Protocol::Msrp);
                self.tap.record(out, self.transport, msrp, src, dst, bytes);
                return Ok(());
            }
            Ok(Err(err)) => err.to_string(),
            Err(_) => format!("write timed out after {IO_TIMEOUT:?}"),
        };
        Err(NetError::Send {
            transport: self.transport,
            dst: self.peer,
            detail,
        })
    }

    /// Closes the write side (a TLS close_notify, then FIN).
    pub(super) async fn close(&self) {
        let mut writer = self.writer.lock().await;
        let _ = tokio::time::timeout(IO_TIMEOUT, writer.shutdown()).await;
    }

    fn record_in(&self, bytes: &[u8]) {
        let (src, dst) = (self.peer, self.local);
        let (dir, msrp) = (Direction::In, Protocol::Msrp);
        self.tap.record(dir, self.transport, msrp, src, dst, bytes);
    }
}

/// Opens a connection to `dst`, over TLS when `tls` is given.
pub(super) async fn connect(
    dst: SocketAddr,
    tls: Option<&TlsConfig>,
    tap: WireTap,
) -> Result<Link, NetError> {
    let transport = match tls {
        Some(_) => Transport::Tls,
        None => Transport::Tcp,
    };
    let failed = |detail: String| NetError::Connect {
        transport,
        dst,
        detail,
    };
    let stream = match tokio::time::timeout(IO_TIMEOUT, TcpStream::connect(dst)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(err)) => return Err(failed(err.to_string())),
        Err(_) => return Err(failed(format!("timed out after {IO_TIMEOUT:?}"))),
    };
    let _ = stream.set_nodelay(true);
    let local = stream.local_addr().map_err(|e| failed(e.to_string()))?;
    let stream: Box<dyn Stream> = match tls {
        Some(tls) => tls_connect(tls, stream, dst)
            .await
            .map_err(|e| failed(e.to_string()))?,
        None => Box::new(stream),
    };
    Ok(Link::new(stream, local, dst, transport, tap))
}

/// Adopts an accepted connection, after the server side of a handshake when `tls` is given.
pub(super) async fn accept(
    stream: TcpStream,
    peer: SocketAddr,
    tls: Option<&TlsConfig>,
    tap: WireTap,
) -> io::Result<Link> {
    let _ = stream.set_nodelay(true);
    let local = stream.local_addr()?;
    let (stream, transport): (Box<dyn Stream>, _) = match tls {
        Some(tls) => (tls_accept(tls, stream).await?, Transport::Tls),
        None => (Box::new(stream), Transport::Tcp),
    };
    Ok(Link::new(stream, local, peer, transport, tap))
}

/// The server side of a TLS handshake with the simulators' TLS settings.
async fn tls_accept(tls: &TlsConfig, stream: TcpStream) -> io::Result<Box<dyn Stream>> {
    tls.accept(stream).await
}

/// The client side of a TLS handshake, verifying the server's certificate as [`TlsConfig`] does.
async fn tls_connect(
    tls: &TlsConfig,
    stream: TcpStream,
    dst: SocketAddr,
) -> io::Result<Box<dyn Stream>> {
    tls.connect(stream, dst).await
}
