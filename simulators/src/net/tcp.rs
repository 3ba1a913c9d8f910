//! SIP over TCP and TLS: connections, stream framing and connection reuse (RFC 3261 18.3, 18.2.2).
//!
//! Accepted and opened connections are kept by peer address, so a response to a request that came
//! in on a connection goes back on it, and a request to an address already connected reuses the
//! connection. A reader per connection frames messages with
//! [`rcs_proto::sip::StreamDecoder`], records each one and hands it over. A framing error cannot be
//! recovered from on a stream: the reader records what it had read, hands the error over, and
//! closes that connection only. A pool for TLS runs the handshake ([`super::tls`]) on every
//! connection before framing, off the accept loop, and records the plaintext. This module does not
//! retry, keep connections alive, or limit their idle time.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::BytesMut;
use rcs_harness::agent::WireTap;
use rcs_harness::events::{Direction, Protocol, Transport};
use rcs_proto::sip::StreamDecoder;
use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use super::MAX_CONNECTIONS;
use super::endpoint::Incoming;
use super::error::NetError;
use super::shutdown::Shutdown;
use super::tls::{Stream, TlsConfig};

/// Longest wait for a connection to open or for a write to complete.
const IO_TIMEOUT: Duration = Duration::from_secs(5);

/// One open connection: its addresses and its write half.
struct Conn {
    local: SocketAddr,
    peer: SocketAddr,
    writer: tokio::sync::Mutex<WriteHalf<Box<dyn Stream>>>,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("local", &self.local)
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

/// The open connections of one endpoint on one stream transport, by peer address.
#[derive(Debug)]
pub(super) struct TcpPool {
    tap: WireTap,
    /// `Tcp`, or `Tls` when `tls` is set.
    transport: Transport,
    tls: Option<TlsConfig>,
    conns: Mutex<HashMap<SocketAddr, Arc<Conn>>>,
}

impl TcpPool {
    /// A pool of plain TCP connections.
    pub(super) fn new(tap: WireTap) -> Self {
        Self {
            tap,
            transport: Transport::Tcp,
            tls: None,
            conns: Mutex::new(HashMap::new()),
        }
    }

    /// A pool of TLS connections made with `tls`.
    pub(super) fn tls(tap: WireTap, tls: TlsConfig) -> Self {
        Self {
            tap,
            transport: Transport::Tls,
            tls: Some(tls),
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
            // TLS buffers what it encrypts: flush so the record leaves now.
            let write = async {
                writer.write_all(bytes).await?;
                writer.flush().await
            };
            tokio::time::timeout(IO_TIMEOUT, write).await
        };
        let detail = match written {
            Ok(Ok(())) => {
                let (src, dst) = (conn.local, conn.peer);
                self.tap.record(
                    Direction::Out,
                    self.transport,
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
            transport: self.transport,
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
                Ok((stream, peer)) => self.accepted(stream, peer, &incoming, &shutdown),
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

    /// Adopts an accepted connection; a TLS one after its handshake, in a task of its own so a
    /// slow client does not hold up the others.
    fn accepted(
        self: &Arc<Self>,
        stream: TcpStream,
        peer: SocketAddr,
        incoming: &mpsc::Sender<Incoming>,
        shutdown: &Shutdown,
    ) {
        // Small messages, sent one at a time: do not wait to fill a segment.
        let _ = stream.set_nodelay(true);
        let Some(tls) = self.tls.clone() else {
            let local = stream.local_addr();
            if let Err(err) = self.adopt(Box::new(stream), local, peer, incoming, shutdown) {
                tracing::warn!(%peer, "failed to {err}");
            }
            return;
        };
        if self.lock().len() >= MAX_CONNECTIONS {
            tracing::warn!(%peer, "failed to accept sip tls: {MAX_CONNECTIONS} connections open");
            return;
        }
        let (pool, incoming, mut shutdown) = (self.clone(), incoming.clone(), shutdown.clone());
        tokio::spawn(async move {
            let local = stream.local_addr();
            let handshake = tokio::select! {
                _ = shutdown.recv() => return,
                handshake = tls.accept(stream) => handshake,
            };
            let adopted = handshake
                .map_err(|err| pool.connect_error(peer, err.to_string()))
                .and_then(|stream| pool.adopt(stream, local, peer, &incoming, &shutdown));
            if let Err(err) = adopted {
                tracing::warn!(%peer, "failed to {err}");
            }
        });
    }

    async fn connect(
        self: &Arc<Self>,
        dst: SocketAddr,
        incoming: mpsc::Sender<Incoming>,
        shutdown: Shutdown,
    ) -> Result<Arc<Conn>, NetError> {
        let failed = |detail: String| self.connect_error(dst, detail);
        let stream = match tokio::time::timeout(IO_TIMEOUT, TcpStream::connect(dst)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(err)) => return Err(failed(err.to_string())),
            Err(_) => return Err(failed(format!("timed out after {IO_TIMEOUT:?}"))),
        };
        let _ = stream.set_nodelay(true);
        let local = stream.local_addr();
        let stream: Box<dyn Stream> = match &self.tls {
            Some(tls) => tls
                .connect(stream, dst)
                .await
                .map_err(|err| failed(err.to_string()))?,
            None => Box::new(stream),
        };
        self.adopt(stream, local, dst, &incoming, &shutdown)
    }

    /// Keeps a new connection and starts its reader.
    fn adopt(
        self: &Arc<Self>,
        stream: Box<dyn Stream>,
        local: std::io::Result<SocketAddr>,
        peer: SocketAddr,
        incoming: &mpsc::Sender<Incoming>,
        shutdown: &Shutdown,
    ) -> Result<Arc<Conn>, NetError> {
        let failed = |detail: String| self.connect_error(peer, detail);
        let local = local.map_err(|e| failed(e.to_string()))?;
        let (reader, writer) = tokio::io::split(stream);
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
        tokio::spawn(self.clone().run_reader(
            conn.clone(),
            reader,
            incoming.clone(),
            shutdown.clone(),
        ));
        Ok(conn)
    }

    fn connect_error(&self, dst: SocketAddr, detail: String) -> NetError {
        NetError::Connect {
            transport: self.transport,
            dst,
            detail,
        }
    }

    async fn run_reader(
        self: Arc<Self>,
        conn: Arc<Conn>,
        mut reader: ReadHalf<Box<dyn Stream>>,
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
                    tracing::info!(peer = %conn.peer, "closing sip stream connection: failed to {err}");
                    let bytes = buf.split().freeze();
                    (bytes, Err(err), Drained::Stop)
                }
            };
            self.record_in(conn, &bytes);
            let item = Incoming {
                transport: self.transport,
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
            self.transport,
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
