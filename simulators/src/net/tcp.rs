//! SIP over TCP: connections, stream framing and connection reuse (RFC 3261 18.3, 18.2.2).
//!
//! Accepted and opened connections are kept by peer address, so a response to a request that came
//! in on a connection goes back on it, and a request to an address already connected reuses the
//! connection. A reader per connection frames messages with
//! [`rcs_proto::sip::StreamDecoder`], records each one and hands it over. A framing error cannot be
//! recovered from on a stream: the reader records what it had read, hands the error over, and
//! closes that connection only. This module does not retry, keep connections alive, or limit
//! their idle time.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::BytesMut;
use rcs_harness::agent::WireTap;
use rcs_harness::events::{Direction, Protocol, Transport};
use rcs_proto::sip::StreamDecoder;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::MAX_CONNECTIONS;
use super::endpoint::Incoming;
use super::error::NetError;
use super::shutdown::Shutdown;

/// Longest wait for a connection to open or for a write to complete.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// One open connection: its addresses and its write half.
#[derive(Debug)]
struct Conn {
    local: SocketAddr,
    peer: SocketAddr,
    writer: tokio::sync::Mutex<OwnedWriteHalf>,
}

/// The open connections of one endpoint, by peer address.
#[derive(Debug)]
pub(super) struct TcpPool {
    tap: WireTap,
    conns: Mutex<HashMap<SocketAddr, Arc<Conn>>>,
}

impl TcpPool {
    pub(super) fn new(tap: WireTap) -> Self {
        Self {
            tap,
            conns: Mutex::new(HashMap::new()),
        }
    }

    /// Sends `bytes` to `dst` on the connection to or from it, opening one if there is none.
    pub(super) async fn send(
        self: &Arc<Self>,
        bytes: &[u8],
        dst: SocketAddr,
        incoming: mpsc::Sender<Incoming>,
        shutdown: Shutdown,
    ) -> Result<(), NetError> {
        let existing = self.lock().get(&dst).cloned();
        let conn = match existing {
            Some(conn) => conn,
            None => self.connect(dst, incoming, shutdown).await?,
        };
        let written = {
            let mut writer = conn.writer.lock().await;
            tokio::time::timeout(IO_TIMEOUT, writer.write_all(bytes)).await
        };
        let detail = match written {
            Ok(Ok(())) => {
                let (src, dst) = (conn.local, conn.peer);
                self.tap.record(
                    Direction::Out,
                    Transport::Tcp,
                    Protocol::Sip,
                    src,
                    dst,
                    bytes,
                );
                return Ok(());
            }
            Ok(Err(err)) => err.to_string(),
            Err(_) => format!("write timed out after {IO_TIMEOUT:?}"),
        };
        self.remove(&conn);
        Err(NetError::Send {
            transport: Transport::Tcp,
            dst,
            detail,
        })
    }

    /// Accepts connections until shutdown.
    pub(super) async fn run_acceptor(
        self: Arc<Self>,
        listener: TcpListener,
        incoming: mpsc::Sender<Incoming>,
        mut shutdown: Shutdown,
    ) {
        loop {
            let accepted = tokio::select! {
                _ = shutdown.recv() => return,
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((stream, peer)) => {
                    if let Err(err) = self.adopt(stream, peer, incoming.clone(), shutdown.clone()) {
                        tracing::warn!(%peer, "failed to {err}");
                    }
                }
                Err(err) => {
                    // Out of descriptors, usually: give the other tasks a moment to close some.
                    tracing::warn!("failed to accept a sip tcp connection: {err}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }

    /// Drops every connection (their readers are told to stop by the shutdown signal).
    pub(super) fn close_all(&self) {
        self.lock().clear();
    }

    async fn connect(
        self: &Arc<Self>,
        dst: SocketAddr,
        incoming: mpsc::Sender<Incoming>,
        shutdown: Shutdown,
    ) -> Result<Arc<Conn>, NetError> {
        let failed = |detail: String| NetError::Connect { dst, detail };
        let stream = match tokio::time::timeout(IO_TIMEOUT, TcpStream::connect(dst)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(err)) => return Err(failed(err.to_string())),
            Err(_) => return Err(failed(format!("timed out after {IO_TIMEOUT:?}"))),
        };
        self.adopt(stream, dst, incoming, shutdown)
    }

    /// Keeps a new connection and starts its reader.
    fn adopt(
        self: &Arc<Self>,
        stream: TcpStream,
        peer: SocketAddr,
        incoming: mpsc::Sender<Incoming>,
        shutdown: Shutdown,
    ) -> Result<Arc<Conn>, NetError> {
        let failed = |detail: String| NetError::Connect { dst: peer, detail };
        let local = stream.local_addr().map_err(|e| failed(e.to_string()))?;
        // Small messages, sent one at a time: do not wait to fill a segment.
        let _ = stream.set_nodelay(true);
        let (reader, writer) = stream.into_split();
        let conn = Arc::new(Conn {
            local,
            peer,
            writer: tokio::sync::Mutex::new(writer),
        });
        {
            let mut conns = self.lock();
            if conns.len() >= MAX_CONNECTIONS {
                return Err(failed(format!(
                    "{MAX_CONNECTIONS} connections already open"
                )));
            }
            conns.insert(peer, conn.clone());
        }
        tokio::spawn(
            self.clone()
                .run_reader(conn.clone(), reader, incoming, shutdown),
        );
        Ok(conn)
    }

    async fn run_reader(
        self: Arc<Self>,
        conn: Arc<Conn>,
        mut reader: OwnedReadHalf,
        incoming: mpsc::Sender<Incoming>,
        mut shutdown: Shutdown,
    ) {
        let mut buf = BytesMut::with_capacity(4096);
        let mut decoder = StreamDecoder::default();
        loop {
            match self
                .drain(&conn, &mut decoder, &mut buf, &incoming, &mut shutdown)
                .await
            {
                Drained::NeedMore => {}
                Drained::Stop => break,
            }
            let read = tokio::select! {
                _ = shutdown.recv() => break,
                read = reader.read_buf(&mut buf) => read,
            };
            match read {
                Ok(0) => {
                    self.record_leftover(&conn, &buf, "connection closed by the peer");
                    break;
                }
                Ok(_) => {}
                Err(err) => {
                    self.record_leftover(&conn, &buf, &err.to_string());
                    break;
                }
            }
        }
        self.remove(&conn);
    }

    /// Hands over every whole message in `buf`.
    async fn drain(
        &self,
        conn: &Conn,
        decoder: &mut StreamDecoder,
        buf: &mut BytesMut,
        incoming: &mpsc::Sender<Incoming>,
        shutdown: &mut Shutdown,
    ) -> Drained {
        loop {
            let (bytes, message, then) = match decoder.decode(buf) {
                Ok(None) => return Drained::NeedMore,
                Ok(Some(message)) => (message.raw().clone(), Ok(message), Drained::NeedMore),
                Err(err) => {
                    tracing::info!(peer = %conn.peer, "closing sip tcp connection: failed to {err}");
                    let bytes = buf.split().freeze();
                    (bytes, Err(err), Drained::Stop)
                }
            };
            self.record_in(conn, &bytes);
            let item = Incoming {
                transport: Transport::Tcp,
                src: conn.peer,
                dst: conn.local,
                bytes,
                message,
            };
            tokio::select! {
                _ = shutdown.recv() => return Drained::Stop,
                sent = incoming.send(item) => if sent.is_err() { return Drained::Stop },
            }
            if matches!(then, Drained::Stop) {
                return Drained::Stop;
            }
        }
    }

    /// Records bytes that never made a whole message before the connection ended.
    fn record_leftover(&self, conn: &Conn, buf: &BytesMut, why: &str) {
        if buf.iter().all(|b| matches!(b, b'\r' | b'\n')) {
            return;
        }
        tracing::info!(peer = %conn.peer, "{why} with {} bytes of an unfinished message", buf.len());
        self.record_in(conn, buf);
    }

    fn record_in(&self, conn: &Conn, bytes: &[u8]) {
        self.tap.record(
            Direction::In,
            Transport::Tcp,
            Protocol::Sip,
            conn.peer,
            conn.local,
            bytes,
        );
    }

    /// Forgets `conn` if it is still the one kept for its peer.
    fn remove(&self, conn: &Arc<Conn>) {
        let mut conns = self.lock();
        if conns
            .get(&conn.peer)
            .is_some_and(|kept| Arc::ptr_eq(kept, conn))
        {
            conns.remove(&conn.peer);
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<SocketAddr, Arc<Conn>>> {
        // The map stays consistent even if a holder panicked.
        self.conns.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// What a reader does after draining its buffer.
enum Drained {
    NeedMore,
    Stop,
}
