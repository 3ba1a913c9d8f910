//! The HTTP server and client on loopback over TCP and TLS: GET, a 5 MiB POST, a chunked
//! response, Range answers, keep-alive reuse, a malformed request answered 400 while the server
//! keeps serving, and every message on the wire tap with its exact bytes and real addresses.

#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use rcs_harness::agent::{Captured, WireTap};
use rcs_harness::clock::Clock;
use rcs_harness::events::{Direction, Protocol, Transport};
use rcs_proto::http::{ContentRange, Range, Request, RequestBuilder, Response, ResponseBuilder};
use rcs_simulators::http::{Handler, HttpClient, HttpServer};
use rcs_simulators::net::{TlsConfig, test_ca};
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_rustls::TlsConnector;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// The file the server serves at `/file`: 47022 bytes.
fn file() -> Vec<u8> {
    (0..47_022u32).map(|i| (i % 251) as u8).collect()
}

/// Answers like a small content server; `X-Peer` tells which connection a request came on.
fn handler() -> Handler {
    Arc::new(|request: &Request, peer: SocketAddr| {
        let response = respond(request).header("X-Peer", &peer.to_string());
        Box::pin(async move { response.build().unwrap() })
    })
}

fn respond(request: &Request) -> ResponseBuilder {
    match (request.method(), request.path()) {
        ("GET", "/hello") => ResponseBuilder::new(200, "OK").body("hello"),
        ("POST", "/upload") => {
            let digest = hex::encode(Sha256::digest(request.body()));
            ResponseBuilder::new(200, "OK").body(digest)
        }
        ("GET", "/chunked") => ResponseBuilder::new(200, "OK").body(file()).chunked(4096),
        ("GET", "/file") => ranged(request),
        _ => ResponseBuilder::new(404, "Not Found"),
    }
}

/// 206 for a satisfiable single range, 416 for an unsatisfiable one, else 200.
fn ranged(request: &Request) -> ResponseBuilder {
    let file = file();
    let len = file.len() as u64;
    let Some(range) = request.header("Range").and_then(|r| Range::parse(r).ok()) else {
        return ResponseBuilder::new(200, "OK").body(file);
    };
    match range.resolve(len) {
        Some((first, last)) => ResponseBuilder::new(206, "Partial Content")
            .header(
                "Content-Range",
                &ContentRange::Satisfied {
                    first,
                    last,
                    complete: Some(len),
                }
                .to_string(),
            )
            .body(file[first as usize..=last as usize].to_vec()),
        None => ResponseBuilder::new(416, "Range Not Satisfiable").header(
            "Content-Range",
            &ContentRange::Unsatisfied { complete: len }.to_string(),
        ),
    }
}

struct Rig {
    server: HttpServer,
    client: HttpClient,
    tls: bool,
    tap: mpsc::UnboundedReceiver<Captured>,
}

async fn rig(tls: bool) -> Rig {
    let (tx, tap) = mpsc::unbounded_channel();
    let wire = WireTap::new("cs", Clock::real(), tx);
    let config = || tls.then(|| TlsConfig::simulated(&[]).unwrap());
    let server = HttpServer::start(LOOPBACK, config(), wire.clone(), handler())
        .await
        .unwrap();
    let client = HttpClient::new(wire.for_role("alice"), config());
    Rig {
        server,
        client,
        tls,
        tap,
    }
}

impl Rig {
    async fn send(&self, request: &Request) -> Response {
        self.client
            .send(self.server.local_addr(), self.tls, request)
            .await
            .unwrap()
    }

    /// Everything recorded so far.
    fn drain(&mut self) -> Vec<Captured> {
        let mut out = Vec::new();
        while let Ok(captured) = self.tap.try_recv() {
            out.push(captured);
        }
        out
    }

    fn transport(&self) -> Transport {
        match self.tls {
            true => Transport::Tls,
            false => Transport::Tcp,
        }
    }

    /// Checks that `bytes` went from the client to the server (or back, `to_server` false):
    /// recorded as often on each side, byte-exact, with matching real addresses.
    fn assert_tapped(&self, seen: &[Captured], bytes: &[u8], to_server: bool) {
        let (sender, receiver) = match to_server {
            true => ("alice", "cs"),
            false => ("cs", "alice"),
        };
        let find = |role: &str, direction: Direction| -> Vec<Captured> {
            seen.iter()
                .filter(|c| c.role == role && c.direction == direction && c.bytes == bytes)
                .cloned()
                .collect()
        };
        let (out, input) = (find(sender, Direction::Out), find(receiver, Direction::In));
        let start = String::from_utf8_lossy(&bytes[..bytes.len().min(40)]).into_owned();
        assert!(!out.is_empty(), "{sender} did not record {start:?}");
        assert_eq!(out.len(), input.len(), "{start:?}");
        let server = self.server.local_addr();
        for (out, input) in out.iter().zip(&input) {
            assert_eq!(
                (out.protocol, input.protocol),
                (Protocol::Http, Protocol::Http)
            );
            assert_eq!(
                (out.transport, input.transport),
                (self.transport(), self.transport())
            );
            assert_eq!((out.src, out.dst), (input.src, input.dst));
            match to_server {
                true => assert_eq!(out.dst, server),
                false => assert_eq!(out.src, server),
            }
        }
    }
}

fn get(target: &str) -> RequestBuilder {
    RequestBuilder::new("GET", target).header("Host", "ft.example.cn")
}

async fn exchanges(tls: bool) {
    let mut rig = rig(tls).await;

    let hello = get("/hello").build().unwrap();
    let first = rig.send(&hello).await;
    assert_eq!((first.status(), first.body()), (200, &b"hello"[..]));
    let again = rig.send(&hello).await;
    assert_eq!(
        first.header("X-Peer"),
        again.header("X-Peer"),
        "two requests, one kept-alive connection"
    );

    let upload: Vec<u8> = (0..5 * 1024 * 1024u32)
        .map(|i| (i * 7 % 256) as u8)
        .collect();
    let post = RequestBuilder::new("POST", "/upload")
        .header("Host", "ft.example.cn")
        .header("Content-Type", "application/octet-stream")
        .body(upload.clone())
        .build()
        .unwrap();
    let stored = rig.send(&post).await;
    assert_eq!(
        stored.body(),
        hex::encode(Sha256::digest(&upload)).as_bytes()
    );

    let chunked = rig.send(&get("/chunked").build().unwrap()).await;
    assert!(chunked.is_chunked());
    assert_eq!(chunked.body(), file());

    let ranged = get("/file")
        .header("Range", "bytes=21010-21019")
        .build()
        .unwrap();
    let partial = rig.send(&ranged).await;
    assert_eq!(partial.status(), 206);
    assert_eq!(
        partial.header("Content-Range"),
        Some("bytes 21010-21019/47022")
    );
    assert_eq!(partial.body(), &file()[21010..=21019]);
    let suffix = rig
        .send(&get("/file").header("Range", "bytes=-10").build().unwrap())
        .await;
    assert_eq!(suffix.body(), &file()[47012..]);
    let beyond = rig
        .send(
            &get("/file")
                .header("Range", "bytes=50000-")
                .build()
                .unwrap(),
        )
        .await;
    assert_eq!(beyond.status(), 416);
    assert_eq!(beyond.header("Content-Range"), Some("bytes */47022"));
    let several = rig
        .send(
            &get("/file")
                .header("Range", "bytes=0-1,5-6")
                .build()
                .unwrap(),
        )
        .await;
    assert_eq!((several.status(), several.body().len()), (200, 47_022));

    let seen = rig.drain();
    assert_eq!(
        seen.len(),
        4 * 8,
        "8 exchanges, each recorded on both sides"
    );
    for (request, response) in [(&hello, &first), (&post, &stored), (&ranged, &partial)] {
        rig.assert_tapped(&seen, request.as_bytes(), true);
        rig.assert_tapped(&seen, response.as_bytes(), false);
    }
    rig.assert_tapped(&seen, chunked.as_bytes(), false);
    let peers: std::collections::BTreeSet<_> = seen
        .iter()
        .filter(|c| c.role == "cs" && c.direction == Direction::In)
        .map(|c| c.src)
        .collect();
    assert_eq!(peers.len(), 1, "every request on one connection: {peers:?}");
    rig.server.shutdown().await;
}

#[tokio::test]
async fn exchanges_over_tcp() {
    exchanges(false).await;
}

#[tokio::test]
async fn exchanges_over_tls() {
    exchanges(true).await;
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A raw connection to the server, for bytes no builder would write.
async fn raw(addr: SocketAddr, tls: bool) -> Box<dyn Io> {
    let tcp = TcpStream::connect(addr).await.unwrap();
    if !tls {
        return Box::new(tcp);
    }
    let pem = test_ca().unwrap().pem().as_bytes().to_vec();
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(&pem).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::IpAddress(addr.ip().into());
    Box::new(
        TlsConnector::from(Arc::new(config))
            .connect(name, tcp)
            .await
            .unwrap(),
    )
}

async fn malformed(tls: bool) {
    let mut rig = rig(tls).await;
    let garbage = b"GET /hello HTTP/1.1\r\nHost : bad\r\n\r\n";
    let mut conn = raw(rig.server.local_addr(), tls).await;
    conn.write_all(garbage).await.unwrap();
    conn.flush().await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), conn.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = Response::parse(answer, "GET").unwrap();
    assert_eq!(answer.status(), 400);
    assert_eq!(answer.header("Connection"), Some("close"));
    assert!(String::from_utf8_lossy(answer.body()).contains("not a field name"));

    let hello = rig.send(&get("/hello").build().unwrap()).await;
    assert_eq!(hello.body(), b"hello", "the server keeps serving");

    let seen = rig.drain();
    let server_in: Vec<_> = seen
        .iter()
        .filter(|c| c.role == "cs" && c.direction == Direction::In)
        .collect();
    assert_eq!(
        server_in[0].bytes, garbage,
        "the malformed bytes are on the tap"
    );
    let server_out: Vec<_> = seen
        .iter()
        .filter(|c| c.role == "cs" && c.direction == Direction::Out)
        .collect();
    assert_eq!(server_out[0].bytes, answer.as_bytes());
    assert_eq!(server_out[0].dst, server_in[0].src);
    rig.server.shutdown().await;
}

#[tokio::test]
async fn a_malformed_request_is_answered_400_over_tcp() {
    malformed(false).await;
}

#[tokio::test]
async fn a_malformed_request_is_answered_400_over_tls() {
    malformed(true).await;
}

#[tokio::test]
async fn a_closed_kept_connection_is_replaced() {
    let mut rig = rig(false).await;
    let close = get("/hello").header("Connection", "close").build().unwrap();
    let first = rig.send(&close).await;
    let second = rig.send(&get("/hello").build().unwrap()).await;
    assert_ne!(first.header("X-Peer"), second.header("X-Peer"));
    rig.server.shutdown().await;
    let err = rig
        .client
        .send(
            rig.server.local_addr(),
            false,
            &get("/hello").build().unwrap(),
        )
        .await
        .unwrap_err();
    // The kept connection was closed by the shutdown: the request goes out on it, meets the
    // close, and is sent again on a fresh connection, which is refused.
    assert!(
        err.to_string().starts_with("connect http over Tcp to"),
        "{err}"
    );
    let no_tls = rig
        .client
        .send(rig.server.local_addr(), true, &close)
        .await
        .unwrap_err();
    assert_eq!(
        no_tls.to_string(),
        "use https: no tls configuration was given"
    );
    assert_eq!(rig.drain().len(), 4 + 4 + 1);
}
