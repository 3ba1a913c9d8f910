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
    loop {
        match decoder.decode_request(&mut buf) {
            Ok(Some(request)) => {
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
