//! The simulators' HTTP/1.1 server (RFC 9112 §9: persistent connections).
//!
//! [`HttpServer::start`] binds a listener (TLS when a [`TlsConfig`] is given) and serves each
//! connection in a task of its own: requests are framed with [`StreamDecoder`], handed to the
//! [`Handler`] one at a time, and answered in order on the same connection, which stays open
//! until the client asks to close (`Connection: close`, HTTP/1.0), the handler's response does,
//! the connection idles longer than [`ServerLimits::idle_timeout`], or the server shuts down.
//! A request that cannot be framed is answered 400 (431 for a header section over the cap, 413
//! for a body over it) with `Connection: close`, and that connection is closed: a stream cannot
//! be resynchronised after a framing error. Other connections go on being served.
//! A request asking `Expect: 100-continue` gets `100 Continue` once its header section is in.
//! At most [`ServerLimits::max_connections`] connections are served at once; further ones wait
//! in the listen queue.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use rcs_harness::agent::{BoxFuture, WireTap};
use rcs_proto::http::{HttpError, Request, Response, ResponseBuilder, StreamDecoder};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use super::conn::{self, Wire, read_some};
use super::error::HttpNetError;
use crate::net::{Shutdown, ShutdownTrigger, Stream, TlsConfig};

/// Answers one request from a peer. The future must own what it needs of the request.
pub type Handler = Arc<dyn Fn(&Request, SocketAddr) -> BoxFuture<'static, Response> + Send + Sync>;

/// Told what was left of a request its client cut short (the connection ended mid-message):
/// the bytes as received, head and partial body, and the peer. Content servers use it to keep
/// the part of an upload that arrived (protocols.md §5.1 resume).
pub type CutHandler = Arc<dyn Fn(&[u8], SocketAddr) + Send + Sync>;

/// The interim response to `Expect: 100-continue` (RFC 9110 §10.1.1).
const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// Bounds on what one server accepts.
#[derive(Debug, Clone, Copy)]
pub struct ServerLimits {
    /// Connections served at once.
    pub max_connections: usize,
    /// Largest request body, in bytes.
    pub max_body: usize,
    /// Longest a connection may wait for the next bytes of a request.
    pub idle_timeout: Duration,
}

impl Default for ServerLimits {
    /// 128 connections, 16 MiB bodies, 30 s idle.
    fn default() -> Self {
        Self {
            max_connections: 128,
            max_body: rcs_proto::http::DEFAULT_MAX_BODY,
            idle_timeout: Duration::from_secs(30),
        }
    }
}

/// A running HTTP server.
#[derive(Debug)]
pub struct HttpServer {
    local: SocketAddr,
    tls: bool,
    trigger: Mutex<Option<ShutdownTrigger>>,
}

/// What every connection task of one server shares.
#[derive(Clone)]
struct Shared {
    tap: WireTap,
    tls: Option<TlsConfig>,
    handler: Handler,
    limits: ServerLimits,
    on_cut: Option<CutHandler>,
}

impl HttpServer {
    /// Listens on `ip`, port chosen by the system, with the default limits.
    pub async fn start(
        ip: IpAddr,
        tls: Option<TlsConfig>,
        tap: WireTap,
        handler: Handler,
    ) -> Result<Self, HttpNetError> {
        Self::start_with(
            SocketAddr::new(ip, 0),
            tls,
            tap,
            handler,
            ServerLimits::default(),
        )
        .await
    }

    /// Listens on `addr` with `limits`.
    pub async fn start_with(
        addr: SocketAddr,
        tls: Option<TlsConfig>,
        tap: WireTap,
        handler: Handler,
        limits: ServerLimits,
    ) -> Result<Self, HttpNetError> {
        Self::start_with_cut(addr, tls, tap, handler, limits, None).await
    }

    /// As [`HttpServer::start_with`], and `on_cut` is told of every request cut short.
    pub async fn start_with_cut(
        addr: SocketAddr,
        tls: Option<TlsConfig>,
        tap: WireTap,
        handler: Handler,
        limits: ServerLimits,
        on_cut: Option<CutHandler>,
    ) -> Result<Self, HttpNetError> {
        let bind = |source| HttpNetError::Bind { addr, source };
        let listener = TcpListener::bind(addr).await.map_err(bind)?;
        let local = listener.local_addr().map_err(bind)?;
        let trigger = ShutdownTrigger::new();
        let is_tls = tls.is_some();
        let shared = Shared {
            tap,
            tls,
            handler,
            limits,
            on_cut,
        };
        tokio::spawn(accept_loop(listener, shared, trigger.listener()));
        Ok(Self {
            local,
            tls: is_tls,
            trigger: Mutex::new(Some(trigger)),
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// True when the server speaks HTTPS.
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// Stops accepting, closes every connection and waits (bounded) for their tasks.
    pub async fn shutdown(&self) {
        let trigger = self
            .trigger
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(trigger) = trigger {
            trigger.shutdown().await;
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Shared, mut shutdown: Shutdown) {
    let permits = Arc::new(Semaphore::new(shared.limits.max_connections));
    loop {
        let permit = tokio::select! {
            _ = shutdown.recv() => return,
            permit = permits.clone().acquire_owned() => permit,
        };
        let Ok(permit) = permit else { return };
        let accepted = tokio::select! {
            _ = shutdown.recv() => return,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, peer)) => {
                let (shared, shutdown) = (shared.clone(), shutdown.clone());
                tokio::spawn(async move {
                    serve(stream, peer, shared, shutdown).await;
                    drop(permit);
                });
            }
            Err(err) => {
                // Out of descriptors, usually: give the other tasks a moment to close some.
                tracing::warn!("failed to accept an http connection: {err}");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// Runs the TLS handshake if any, then serves the connection.
async fn serve(stream: TcpStream, peer: SocketAddr, shared: Shared, mut shutdown: Shutdown) {
    let _ = stream.set_nodelay(true);
    let Ok(local) = stream.local_addr() else {
        return;
    };
    let stream: Box<dyn Stream> = match &shared.tls {
        Some(tls) => {
            let handshake = tokio::select! {
                _ = shutdown.recv() => return,
                handshake = tls.accept(stream) => handshake,
            };
            match handshake {
                Ok(stream) => stream,
                Err(err) => {
                    tracing::info!(%peer, "failed to accept https: {err}");
                    return;
                }
            }
        }
        None => Box::new(stream),
    };
    let wire = Wire {
        tap: shared.tap.clone(),
        transport: conn::transport(shared.tls.is_some()),
        local,
        peer,
    };
    let mut stream = stream;
    serve_requests(&mut stream, &wire, &shared, &mut shutdown).await;
    // A TLS close_notify (or a TCP FIN) tells the client the response ended on purpose.
    let _ = tokio::time::timeout(conn::IO_TIMEOUT, stream.shutdown()).await;
}

/// Answers requests in order until the connection should close.
async fn serve_requests(
    stream: &mut Box<dyn Stream>,
    wire: &Wire,
    shared: &Shared,
    shutdown: &mut Shutdown,
) {
    let mut buf = BytesMut::with_capacity(8192);
    let mut decoder = StreamDecoder::new(shared.limits.max_body);
    let mut continued = false;
    loop {
        match decoder.decode_request(&mut buf) {
            Ok(Some(request)) => {
                continued = false;
                wire.record_in(request.as_bytes());
                let response = (shared.handler)(&request, wire.peer).await;
                if !answer(stream, wire, response.as_bytes()).await
                    || request.wants_close()
                    || response.wants_close()
                {
                    return;
                }
                continue;
            }
            Ok(None) if decoder.expects_continue() && !continued => {
                continued = true;
                if !answer(stream, wire, CONTINUE).await {
                    return;
                }
            }
            Ok(None) => {}
            Err(err) => {
                tracing::info!(peer = %wire.peer, "answering an http framing error: failed to {err}");
                wire.record_in(&buf.split());
                let _ = answer(stream, wire, &error_response(&err)).await;
                return;
            }
        }
        let read = tokio::select! {
            _ = shutdown.recv() => return,
            read = tokio::time::timeout(shared.limits.idle_timeout, read_some(stream, &mut buf)) => read,
        };
        match read {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => {
                wire.record_leftover(&buf);
                if let Some(on_cut) = shared.on_cut.as_ref().filter(|_| !buf.is_empty()) {
                    on_cut(&buf, wire.peer);
                }
                return;
            }
            Ok(Ok(_)) => {}
        }
    }
}

/// Writes and records a response; false when the connection failed.
async fn answer(stream: &mut Box<dyn Stream>, wire: &Wire, bytes: &[u8]) -> bool {
    match conn::write_all(stream, bytes).await {
        Ok(()) => {
            wire.record_out(bytes);
            true
        }
        Err(err) => {
            tracing::info!(peer = %wire.peer, "failed to send an http response: {err}");
            false
        }
    }
}

/// 400, 413 or 431 naming what failed, closing the connection.
fn error_response(err: &HttpError) -> Bytes {
    let (status, reason) = match err {
        HttpError::HeadTooLarge { .. } => (431, "Request Header Fields Too Large"),
        HttpError::BodyTooLarge { .. } => (413, "Content Too Large"),
        _ => (400, "Bad Request"),
    };
    ResponseBuilder::new(status, reason)
        .header("Content-Type", "text/plain; charset=utf-8")
        .header("Connection", "close")
        .body(format!("failed to {err}\n"))
        .to_bytes()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::net::Ipv4Addr;

    use rcs_harness::clock::Clock;
    use tokio::io::AsyncReadExt;
    use tokio::sync::mpsc;

    use super::*;

    fn echo_path() -> Handler {
        Arc::new(|request: &Request, _| {
            let path = request.path().to_owned();
            Box::pin(async move { ResponseBuilder::new(200, "OK").body(path).build().unwrap() })
        })
    }

    async fn server(limits: ServerLimits) -> HttpServer {
        let (tx, _rx) = mpsc::unbounded_channel();
        let tap = WireTap::new("cs", Clock::real(), tx);
        let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
        HttpServer::start_with(addr, None, tap, echo_path(), limits)
            .await
            .unwrap()
    }

    /// Writes `bytes` and reads until the server closes.
    async fn exchange(server: &HttpServer, bytes: &[u8]) -> String {
        let mut conn = TcpStream::connect(server.local_addr()).await.unwrap();
        conn.write_all(bytes).await.unwrap();
        let mut answer = Vec::new();
        tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut answer))
            .await
            .unwrap()
            .unwrap();
        String::from_utf8(answer).unwrap()
    }

    #[tokio::test]
    async fn pipelined_requests_are_answered_in_order() {
        let server = server(ServerLimits::default()).await;
        let answer = exchange(
            &server,
            b"GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\nConnection: close\r\n\r\n",
        )
        .await;
        let a = answer.find("\r\n\r\n/a").unwrap();
        let b = answer.find("\r\n\r\n/b").unwrap();
        assert!(a < b, "{answer}");
        server.shutdown().await;
    }

    #[tokio::test]
    async fn expect_100_continue_is_answered_before_the_body() {
        let server = server(ServerLimits::default()).await;
        let mut conn = TcpStream::connect(server.local_addr()).await.unwrap();
        let head = b"PUT /up HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
        conn.write_all(head).await.unwrap();
        let mut buf = [0u8; 64];
        let read = conn.read(&mut buf).await.unwrap();
        assert_eq!(&buf[..read], CONTINUE);
        conn.write_all(b"ok").await.unwrap();
        let read = conn.read(&mut buf).await.unwrap();
        assert!(buf[..read].ends_with(b"\r\n\r\n/up"));
        server.shutdown().await;
    }

    #[tokio::test]
    async fn oversized_messages_get_413_and_431() {
        let limits = ServerLimits {
            max_body: 10,
            ..ServerLimits::default()
        };
        let server = server(limits).await;
        let answer = exchange(&server, b"POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n").await;
        assert!(
            answer.starts_with("HTTP/1.1 413 Content Too Large\r\n"),
            "{answer}"
        );
        let huge = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(70_000));
        let answer = exchange(&server, huge.as_bytes()).await;
        assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
        server.shutdown().await;
    }

    #[tokio::test]
    async fn an_idle_connection_is_closed() {
        let limits = ServerLimits {
            idle_timeout: Duration::from_millis(100),
            ..ServerLimits::default()
        };
        let server = server(limits).await;
        assert_eq!(exchange(&server, b"GET / HTTP/1.1\r\n").await, "");
        server.shutdown().await;
    }

    #[tokio::test]
    async fn connections_beyond_the_bound_wait_their_turn() {
        let limits = ServerLimits {
            max_connections: 1,
            ..ServerLimits::default()
        };
        let server = server(limits).await;
        let mut first = TcpStream::connect(server.local_addr()).await.unwrap();
        first.write_all(b"GET /1 HTTP/1.1\r\n\r\n").await.unwrap();
        let mut buf = [0u8; 256];
        assert!(first.read(&mut buf).await.unwrap() > 0);
        let mut second = TcpStream::connect(server.local_addr()).await.unwrap();
        second.write_all(b"GET /2 HTTP/1.1\r\n\r\n").await.unwrap();
        let waited = tokio::time::timeout(Duration::from_millis(200), second.read(&mut buf)).await;
        assert!(waited.is_err(), "the second connection was served at once");
        drop(first);
        let read = tokio::time::timeout(Duration::from_secs(5), second.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(String::from_utf8_lossy(&buf[..read]).ends_with("\r\n\r\n/2"));
        server.shutdown().await;
    }
}
