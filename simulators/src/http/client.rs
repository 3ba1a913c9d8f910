//! The simulators' HTTP/1.1 client: one kept-alive connection per destination (RFC 9112 §9.3).
//!
//! [`HttpClient::send`] writes a request exactly as built and reads its response with
//! [`StreamDecoder`], skipping (and recording) 1xx interim responses. Requests to one
//! destination take turns on its connection; the connection is dropped when either side asks to
//! close, on any error, and on timeout. When a kept-alive connection turns out to have been closed
//! by the server while idle (the write fails, or the connection ends before any byte of a
//! response), the request is sent once more on a fresh connection, as RFC 9112 §9.3.1 allows for
//! a request whose connection closed before a response. Every exchange is bounded by the client's
//! timeout. This client does not follow redirects, decode content codings, or pipeline.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use rcs_harness::agent::WireTap;
use rcs_proto::http::{Request, Response, StreamDecoder};
use tokio::sync::Mutex as AsyncMutex;

use super::conn::{self, Wire, read_some};
use super::error::HttpNetError;
use crate::net::{Stream, TlsConfig};

/// Default bound on one exchange.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// An open connection and what has been read from it.
struct ClientConn {
    stream: Box<dyn Stream>,
    wire: Wire,
    buf: BytesMut,
}

type Slot = Arc<AsyncMutex<Option<ClientConn>>>;

/// An HTTP client for one agent. Cheap to clone.
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    tap: WireTap,
    tls: Option<TlsConfig>,
    timeout: Duration,
    max_body: usize,
    conns: Mutex<HashMap<(SocketAddr, bool), Slot>>,
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

/// Why one attempt failed.
enum Failure {
    /// The connection was gone before any response byte: worth one more try.
    Stale(String),
    Fatal(HttpNetError),
}

impl HttpClient {
    /// A client recording on `tap`, speaking HTTPS with `tls` when given.
    pub fn new(tap: WireTap, tls: Option<TlsConfig>) -> Self {
        Self::with_limits(tap, tls, DEFAULT_TIMEOUT, rcs_proto::http::DEFAULT_MAX_BODY)
    }

    /// A client with another bound on each exchange and on response bodies.
    pub fn with_limits(
        tap: WireTap,
        tls: Option<TlsConfig>,
        timeout: Duration,
        max_body: usize,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                tap,
                tls,
                timeout,
                max_body,
                conns: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Sends `request` to `dst` (over TLS when `tls`) and returns the final response.
    pub async fn send(
        &self,
        dst: SocketAddr,
        tls: bool,
        request: &Request,
    ) -> Result<Response, HttpNetError> {
        if tls && self.inner.tls.is_none() {
            return Err(HttpNetError::NoTls);
        }
        let slot = self.slot(dst, tls);
        let mut conn = slot.lock().await;
        let timeout = self.inner.timeout;
        let exchange = self.exchange_retrying(&mut conn, dst, tls, request);
        let result = match tokio::time::timeout(timeout, exchange).await {
            Ok(result) => result,
            Err(_) => Err(HttpNetError::Timeout {
                dst,
                after: timeout,
            }),
        };
        let keep = matches!(&result, Ok(r) if !r.wants_close() && !request.wants_close());
        if !keep {
            if let Some(conn) = conn.as_ref() {
                conn.wire.record_leftover(&conn.buf);
            }
            *conn = None;
        }
        result
    }

    /// Drops every kept connection.
    pub fn close_all(&self) {
        self.inner
            .conns
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    fn slot(&self, dst: SocketAddr, tls: bool) -> Slot {
        let mut conns = self.inner.conns.lock().unwrap_or_else(|p| p.into_inner());
        conns.entry((dst, tls)).or_default().clone()
    }

    async fn exchange_retrying(
        &self,
        conn: &mut Option<ClientConn>,
        dst: SocketAddr,
        tls: bool,
        request: &Request,
    ) -> Result<Response, HttpNetError> {
        let reused = conn.is_some();
        match self.exchange(conn, dst, tls, request).await {
            Ok(response) => Ok(response),
            Err(Failure::Stale(detail)) if reused => {
                tracing::debug!(%dst, "kept http connection was closed ({detail}); opening another");
                *conn = None;
                self.exchange(conn, dst, tls, request)
                    .await
                    .map_err(|failure| self.fatal(failure, dst, tls))
            }
            Err(failure) => Err(self.fatal(failure, dst, tls)),
        }
    }

    fn fatal(&self, failure: Failure, dst: SocketAddr, tls: bool) -> HttpNetError {
        match failure {
            Failure::Fatal(err) => err,
            Failure::Stale(detail) => HttpNetError::Exchange {
                transport: conn::transport(tls),
                dst,
                detail,
            },
        }
    }

    async fn exchange(
        &self,
        slot: &mut Option<ClientConn>,
        dst: SocketAddr,
        tls: bool,
        request: &Request,
    ) -> Result<Response, Failure> {
        if slot.is_none() {
            *slot = Some(self.connect(dst, tls).await.map_err(Failure::Fatal)?);
        }
        let Some(conn) = slot.as_mut() else {
            return Err(Failure::Stale("no connection".into()));
        };
        conn::write_all(&mut conn.stream, request.as_bytes())
            .await
            .map_err(Failure::Stale)?;
        conn.wire.record_out(request.as_bytes());
        self.read_response(conn, request.method()).await
    }

    async fn connect(&self, dst: SocketAddr, tls: bool) -> Result<ClientConn, HttpNetError> {
        let config = match tls {
            true => Some(self.inner.tls.as_ref().ok_or(HttpNetError::NoTls)?),
            false => None,
        };
        let (stream, local) =
            conn::open(dst, config)
                .await
                .map_err(|detail| HttpNetError::Connect {
                    transport: conn::transport(tls),
                    dst,
                    detail,
                })?;
        Ok(ClientConn {
            stream,
            wire: Wire {
                tap: self.inner.tap.clone(),
                transport: conn::transport(tls),
                local,
                peer: dst,
            },
            buf: BytesMut::with_capacity(8192),
        })
    }

    /// Reads until a final response, recording each response read.
    async fn read_response(
        &self,
        conn: &mut ClientConn,
        method: &str,
    ) -> Result<Response, Failure> {
        let mut decoder = StreamDecoder::new(self.inner.max_body);
        let mut received = false;
        loop {
            let decoded = decoder.decode_response(&mut conn.buf, method);
            match self.decoded(conn, decoded)? {
                Some(response) if response.is_interim() && response.status() != 101 => continue,
                Some(response) => return Ok(response),
                None => {}
            }
            received |= !conn.buf.is_empty();
            match read_some(&mut conn.stream, &mut conn.buf).await {
                Ok(0) => {}
                Ok(_) => continue,
                Err(err) if !received => return Err(Failure::Stale(err.to_string())),
                Err(err) => return Err(self.failed(conn, err.to_string())),
            }
            if !received && conn.buf.is_empty() {
                return Err(Failure::Stale(
                    "the connection closed before a response".into(),
                ));
            }
            let at_eof = decoder.decode_response_at_eof(&mut conn.buf, method);
            return match self.decoded(conn, at_eof)? {
                Some(response) => Ok(response),
                None => Err(self.failed(conn, "the connection closed before a response".into())),
            };
        }
    }

    /// Records a decoded response, or the bytes that failed to decode.
    fn decoded(
        &self,
        conn: &mut ClientConn,
        decoded: Result<Option<Response>, rcs_proto::http::HttpError>,
    ) -> Result<Option<Response>, Failure> {
        match decoded {
            Ok(Some(response)) => {
                conn.wire.record_in(response.as_bytes());
                Ok(Some(response))
            }
            Ok(None) => Ok(None),
            Err(err) => {
                let leftover = conn.buf.split();
                conn.wire.record_leftover(&leftover);
                Err(self.failed(conn, format!("failed to {err}")))
            }
        }
    }

    fn failed(&self, conn: &ClientConn, detail: String) -> Failure {
        Failure::Fatal(HttpNetError::Exchange {
            transport: conn.wire.transport,
            dst: conn.wire.peer,
            detail,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_harness::agent::Captured;
    use rcs_harness::clock::Clock;
    use rcs_proto::http::RequestBuilder;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;
    use tokio::sync::mpsc;

    use super::*;

    /// A server that answers the first request on each connection with `answer`, then closes
    /// the connection when `close` is set, or keeps it open without answering more.
    async fn scripted(answer: &'static [u8], close: bool) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    let _ = conn.read(&mut buf).await;
                    let _ = conn.write_all(answer).await;
                    if !close {
                        let _ = conn.read(&mut buf).await;
                    }
                });
            }
        });
        addr
    }

    fn client(timeout: Duration) -> (HttpClient, mpsc::UnboundedReceiver<Captured>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let tap = WireTap::new("alice", Clock::real(), tx);
        (HttpClient::with_limits(tap, None, timeout, 1024), rx)
    }

    fn get() -> Request {
        RequestBuilder::new("GET", "/").build().unwrap()
    }

    #[tokio::test]
    async fn interim_responses_are_skipped_and_recorded() {
        let addr = scripted(
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
            false,
        )
        .await;
        let (client, mut tap) = client(Duration::from_secs(5));
        let response = client.send(addr, false, &get()).await.unwrap();
        assert_eq!((response.status(), response.body()), (200, &b"ok"[..]));
        let recorded: Vec<_> = std::iter::from_fn(|| tap.try_recv().ok()).collect();
        assert_eq!(recorded.len(), 3);
        assert_eq!(recorded[1].bytes, b"HTTP/1.1 100 Continue\r\n\r\n");
    }

    #[tokio::test]
    async fn a_response_without_framing_ends_at_the_close() {
        let addr = scripted(b"HTTP/1.0 200 OK\r\n\r\nuntil close", true).await;
        let (client, _tap) = client(Duration::from_secs(5));
        let response = client.send(addr, false, &get()).await.unwrap();
        assert_eq!(response.body(), b"until close");
    }

    #[tokio::test]
    async fn no_answer_times_out_and_a_bad_one_is_an_error() {
        let silent = scripted(b"", false).await;
        let (client, _tap) = client(Duration::from_millis(200));
        let err = client.send(silent, false, &get()).await.unwrap_err();
        assert!(matches!(err, HttpNetError::Timeout { .. }), "{err}");
        let garbled = scripted(b"HTTP/9 200 OK\r\n\r\n", false).await;
        let err = client.send(garbled, false, &get()).await.unwrap_err();
        assert!(err.to_string().contains("is not HTTP/1.x"), "{err}");
        let big = scripted(b"HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n", false).await;
        let err = client.send(big, false, &get()).await.unwrap_err();
        assert!(err.to_string().contains("exceed the cap of 1024"), "{err}");
    }
}
