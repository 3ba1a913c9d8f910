//! [`SipEndpoint`]: a UDP socket and a TCP listener on one port, a TLS listener on another when
//! asked for, and the messages they receive.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use rcs_harness::agent::{Endpoints, WireTap};
use rcs_harness::events::Transport;
use rcs_proto::sip::{Message, SipError};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::mpsc;

use super::error::NetError;
use super::shutdown::{Shutdown, ShutdownTrigger};
use super::tcp::TcpPool;
use super::tls::TlsConfig;
use super::udp;

/// How many received messages may wait for the consumer before readers pause.
const INCOMING_QUEUE: usize = 1024;

/// How many times a port picked for UDP is tried for TCP before picking another.
const BIND_ATTEMPTS: usize = 16;

/// One message received: a datagram, or a message framed on a TCP or TLS connection.
#[derive(Debug)]
pub struct Incoming {
    /// The transport it came on.
    pub transport: Transport,
    /// The peer's address.
    pub src: SocketAddr,
    /// The local address it arrived at.
    pub dst: SocketAddr,
    /// Exactly the bytes received, TLS decrypted (for a framing error: what was left unframed).
    pub bytes: Bytes,
    /// The parsed message, or why it could not be parsed or framed.
    pub message: Result<Message, SipError>,
}

/// A SIP endpoint on UDP and TCP with the same port number, and optionally on TLS with a port of
/// its own. Cheap to clone; every clone is the same endpoint.
#[derive(Clone, Debug)]
pub struct SipEndpoint {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    local_udp: SocketAddr,
    local_tcp: SocketAddr,
    tap: WireTap,
    pool: Arc<TcpPool>,
    tls: Option<TlsPart>,
    live: Mutex<Option<Live>>,
}

/// The TLS listener's address and its connections.
#[derive(Debug)]
struct TlsPart {
    local: SocketAddr,
    pool: Arc<TcpPool>,
}

/// What exists only until shutdown.
#[derive(Debug)]
struct Live {
    udp: Arc<UdpSocket>,
    incoming: mpsc::Sender<Incoming>,
    trigger: ShutdownTrigger,
}

impl SipEndpoint {
    /// Binds UDP and TCP on `127.0.0.1` with a port chosen by the system.
    pub async fn bind(tap: WireTap) -> Result<(Self, mpsc::Receiver<Incoming>), NetError> {
        Self::bind_addr(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), tap).await
    }

    /// Binds UDP and TCP on `addr`; with port 0, on one port chosen by the system for both.
    pub async fn bind_addr(
        addr: SocketAddr,
        tap: WireTap,
    ) -> Result<(Self, mpsc::Receiver<Incoming>), NetError> {
        Self::bind_with_tls(addr, tap, None).await
    }

    /// Binds UDP and TCP on `addr` as [`SipEndpoint::bind_addr`] does and, with `tls`, a TLS
    /// listener on the same IP address and a port chosen by the system.
    pub async fn bind_with_tls(
        addr: SocketAddr,
        tap: WireTap,
        tls: Option<TlsConfig>,
    ) -> Result<(Self, mpsc::Receiver<Incoming>), NetError> {
        let (udp, listener) = bind_pair(addr)
            .await
            .map_err(|source| NetError::Bind { addr, source })?;
        let tls_listener = match tls {
            Some(config) => Some((bind_tls(addr).await?, config)),
            None => None,
        };
        let local = |r: io::Result<SocketAddr>| r.map_err(|source| NetError::Bind { addr, source });
        let local_udp = local(udp.local_addr())?;
        let local_tcp = local(listener.local_addr())?;
        let (incoming_tx, incoming_rx) = mpsc::channel(INCOMING_QUEUE);
        let trigger = ShutdownTrigger::new();
        let udp = Arc::new(udp);
        let pool = Arc::new(TcpPool::new(tap.clone()));
        tokio::spawn(udp::run_reader(
            udp.clone(),
            tap.clone(),
            incoming_tx.clone(),
            trigger.listener(),
        ));
        tokio::spawn(
            pool.clone()
                .run_acceptor(listener, incoming_tx.clone(), trigger.listener()),
        );
        let tls = tls_listener.map(|((listener, local), config)| {
            let pool = Arc::new(TcpPool::tls(tap.clone(), config));
            tokio::spawn(pool.clone().run_acceptor(
                listener,
                incoming_tx.clone(),
                trigger.listener(),
            ));
            TlsPart { local, pool }
        });
        let local_tls = tls.as_ref().map(|t| t.local);
        tracing::debug!(%local_udp, %local_tcp, ?local_tls, role = tap.role(), "sip endpoint bound");
        let live = Live {
            udp,
            incoming: incoming_tx,
            trigger,
        };
        let inner = Inner {
            local_udp,
            local_tcp,
            tap,
            pool,
            tls,
            live: Mutex::new(Some(live)),
        };
        let endpoint = Self {
            inner: Arc::new(inner),
        };
        Ok((endpoint, incoming_rx))
    }

    /// The UDP address.
    pub fn local_udp(&self) -> SocketAddr {
        self.inner.local_udp
    }

    /// The TCP listening address (same IP and port as UDP).
    pub fn local_tcp(&self) -> SocketAddr {
        self.inner.local_tcp
    }

    /// The TLS listening address, when the endpoint speaks TLS.
    pub fn local_tls(&self) -> Option<SocketAddr> {
        self.inner.tls.as_ref().map(|t| t.local)
    }

    /// Every listening address, as the harness reports them.
    pub fn endpoints(&self) -> Endpoints {
        Endpoints {
            sip_udp: Some(self.local_udp()),
            sip_tcp: Some(self.local_tcp()),
            sip_tls: self.local_tls(),
            http: None,
        }
    }

    /// The address to put in Via sent-by and Contact for `transport`: where this endpoint
    /// listens for it (for TLS without a TLS listener: the TCP address, which sending refuses).
    pub fn local_addr(&self, transport: Transport) -> SocketAddr {
        match transport {
            Transport::Udp => self.local_udp(),
            Transport::Tcp => self.local_tcp(),
            Transport::Tls => self.local_tls().unwrap_or(self.local_tcp()),
        }
    }

    /// The wire tap this endpoint records to.
    pub fn tap(&self) -> &WireTap {
        &self.inner.tap
    }

    /// Sends `bytes` to `dst` and records them. On TCP and TLS, reuses the connection to or from
    /// `dst` (so a response follows its request's connection) or opens one.
    pub async fn send(
        &self,
        bytes: &[u8],
        transport: Transport,
        dst: SocketAddr,
    ) -> Result<(), NetError> {
        match transport {
            Transport::Udp => {
                let socket = self.live()?.0;
                udp::send(&socket, &self.inner.tap, bytes, dst).await
            }
            Transport::Tcp => {
                let (_, incoming, shutdown) = self.live()?;
                self.inner.pool.send(bytes, dst, incoming, shutdown).await
            }
            Transport::Tls => {
                let tls = self.inner.tls.as_ref();
                let pool = tls.ok_or(NetError::Unsupported { transport })?.pool.clone();
                let (_, incoming, shutdown) = self.live()?;
                pool.send(bytes, dst, incoming, shutdown).await
            }
        }
    }

    /// Whether [`SipEndpoint::shutdown`] has been called.
    pub fn is_shut_down(&self) -> bool {
        self.lock_live().is_none()
    }

    /// Stops every task of this endpoint and closes its sockets and connections. The receiver
    /// of incoming messages then ends. Calling it again does nothing.
    pub async fn shutdown(&self) {
        let Some(live) = self.lock_live().take() else {
            return;
        };
        let Live {
            udp,
            incoming,
            trigger,
        } = live;
        drop(incoming);
        self.close_connections();
        trigger.shutdown().await;
        self.close_connections();
        drop(udp);
    }

    fn close_connections(&self) {
        self.inner.pool.close_all();
        if let Some(tls) = &self.inner.tls {
            tls.pool.close_all();
        }
    }

    fn live(&self) -> Result<(Arc<UdpSocket>, mpsc::Sender<Incoming>, Shutdown), NetError> {
        let live = self.lock_live();
        let live = live.as_ref().ok_or(NetError::Closed)?;
        Ok((
            live.udp.clone(),
            live.incoming.clone(),
            live.trigger.listener(),
        ))
    }

    fn lock_live(&self) -> MutexGuard<'_, Option<Live>> {
        // The state stays consistent even if a holder panicked.
        self.inner.live.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Binds the TLS listener on `addr`'s IP address, port chosen by the system.
async fn bind_tls(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), NetError> {
    let bind = async {
        let listener = TcpListener::bind(SocketAddr::new(addr.ip(), 0)).await?;
        let local = listener.local_addr()?;
        Ok((listener, local))
    };
    bind.await.map_err(|source| NetError::Bind { addr, source })
}

/// Binds UDP then TCP on the same port; with port 0, retries when TCP finds the port taken.
async fn bind_pair(addr: SocketAddr) -> io::Result<(UdpSocket, TcpListener)> {
    let attempts = if addr.port() == 0 { BIND_ATTEMPTS } else { 1 };
    let mut last = io::Error::new(io::ErrorKind::AddrInUse, "no port free for udp and tcp");
    for _ in 0..attempts {
        let udp = UdpSocket::bind(addr).await?;
        let port = udp.local_addr()?.port();
        match TcpListener::bind(SocketAddr::new(addr.ip(), port)).await {
            Ok(listener) => return Ok((udp, listener)),
            Err(err) if err.kind() == io::ErrorKind::AddrInUse => last = err,
            Err(err) => return Err(err),
        }
    }
    Err(last)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Duration;

    use rcs_harness::agent::Captured;
    use rcs_harness::clock::Clock;
    use rcs_harness::events::Direction;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    use super::*;

    const OPTIONS: &[u8] =
        b"OPTIONS sip:mc SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bK1\r\n\
Call-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

    async fn endpoint() -> (
        SipEndpoint,
        mpsc::Receiver<Incoming>,
        mpsc::UnboundedReceiver<Captured>,
    ) {
        let (tx, rx) = mpsc::unbounded_channel();
        let tap = WireTap::new("mc", Clock::real(), tx);
        let (endpoint, incoming) = SipEndpoint::bind(tap).await.unwrap();
        (endpoint, incoming, rx)
    }

    async fn next(incoming: &mut mpsc::Receiver<Incoming>) -> Incoming {
        tokio::time::timeout(Duration::from_secs(5), incoming.recv())
            .await
            .unwrap()
            .unwrap()
    }

    #[tokio::test]
    async fn udp_and_tcp_share_the_port() {
        let (endpoint, _incoming, _tap) = endpoint().await;
        assert_eq!(endpoint.local_udp().port(), endpoint.local_tcp().port());
        assert_ne!(endpoint.local_udp().port(), 0);
        assert_eq!(endpoint.endpoints().sip_udp, Some(endpoint.local_udp()));
        endpoint.shutdown().await;
    }

    #[tokio::test]
    async fn udp_in_and_out_are_recorded_with_real_addresses() {
        let (endpoint, mut incoming, mut tap) = endpoint().await;
        let phone = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let phone_addr = phone.local_addr().unwrap();
        phone.send_to(OPTIONS, endpoint.local_udp()).await.unwrap();
        let got = next(&mut incoming).await;
        assert_eq!(got.transport, Transport::Udp);
        assert_eq!((got.src, got.dst), (phone_addr, endpoint.local_udp()));
        assert_eq!(&got.bytes[..], OPTIONS);
        assert_eq!(got.message.unwrap().method(), Some("OPTIONS"));
        let seen = tap.recv().await.unwrap();
        assert_eq!(seen.direction, Direction::In);
        assert_eq!((seen.src, seen.dst), (phone_addr, endpoint.local_udp()));
        assert_eq!(seen.bytes, OPTIONS);

        endpoint
            .send(b"SIP/2.0 200 OK\r\n\r\n", Transport::Udp, phone_addr)
            .await
            .unwrap();
        let mut buf = [0u8; 100];
        let (n, from) = phone.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"SIP/2.0 200 OK\r\n\r\n");
        assert_eq!(from, endpoint.local_udp());
        let seen = tap.recv().await.unwrap();
        assert_eq!(seen.direction, Direction::Out);
        assert_eq!((seen.src, seen.dst), (endpoint.local_udp(), phone_addr));
        endpoint.shutdown().await;
    }

    #[tokio::test]
    async fn an_unparseable_datagram_is_recorded_and_handed_over() {
        let (endpoint, mut incoming, mut tap) = endpoint().await;
        let phone = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        phone
            .send_to(b"\x00\x01garbage\r\n\r\n", endpoint.local_udp())
            .await
            .unwrap();
        let got = next(&mut incoming).await;
        assert!(got.message.is_err());
        assert_eq!(&got.bytes[..], b"\x00\x01garbage\r\n\r\n");
        assert_eq!(tap.recv().await.unwrap().bytes, b"\x00\x01garbage\r\n\r\n");
        endpoint.shutdown().await;
    }

    #[tokio::test]
    async fn a_response_reuses_the_accepted_connection() {
        let (endpoint, mut incoming, mut tap) = endpoint().await;
        let mut phone = TcpStream::connect(endpoint.local_tcp()).await.unwrap();
        // Two messages in one segment come out one by one.
        let twice = [OPTIONS, OPTIONS].concat();
        phone.write_all(&twice).await.unwrap();
        let first = next(&mut incoming).await;
        let second = next(&mut incoming).await;
        assert_eq!(&first.bytes[..], OPTIONS);
        assert_eq!(&second.bytes[..], OPTIONS);
        assert_eq!(first.src, phone.local_addr().unwrap());
        assert_eq!(first.dst, endpoint.local_tcp());

        let answer = b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
        endpoint
            .send(answer, Transport::Tcp, first.src)
            .await
            .unwrap();
        let mut buf = vec![0u8; answer.len()];
        phone.read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, answer);
        let directions: Vec<_> = [tap.recv().await, tap.recv().await, tap.recv().await]
            .into_iter()
            .map(|c| c.unwrap().direction)
            .collect();
        assert_eq!(directions, [Direction::In, Direction::In, Direction::Out]);
        endpoint.shutdown().await;
    }

    #[tokio::test]
    async fn a_framing_error_closes_only_that_connection() {
        let (endpoint, mut incoming, mut tap) = endpoint().await;
        let mut bad = TcpStream::connect(endpoint.local_tcp()).await.unwrap();
        let mut good = TcpStream::connect(endpoint.local_tcp()).await.unwrap();
        let no_length = b"MESSAGE sip:b SIP/2.0\r\nCall-ID: x\r\n\r\nhello";
        bad.write_all(no_length).await.unwrap();
        let got = next(&mut incoming).await;
        assert!(matches!(got.message, Err(SipError::MissingContentLength)));
        assert_eq!(&got.bytes[..], no_length);
        assert_eq!(tap.recv().await.unwrap().bytes, no_length);
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(5), bad.read_to_end(&mut rest)).await;
        assert_eq!(closed.unwrap().unwrap(), 0, "the bad connection is closed");

        good.write_all(OPTIONS).await.unwrap();
        let got = next(&mut incoming).await;
        assert!(got.message.is_ok());
        assert_eq!(got.src, good.local_addr().unwrap());
        endpoint.shutdown().await;
    }

    #[tokio::test]
    async fn sending_opens_a_connection_and_reads_the_answer_on_it() {
        let (endpoint, mut incoming, _tap) = endpoint().await;
        let peer = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let peer_addr = peer.local_addr().unwrap();
        endpoint
            .send(OPTIONS, Transport::Tcp, peer_addr)
            .await
            .unwrap();
        let (mut conn, _) = peer.accept().await.unwrap();
        let mut buf = vec![0u8; OPTIONS.len()];
        conn.read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, OPTIONS);
        conn.write_all(b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n")
            .await
            .unwrap();
        let got = next(&mut incoming).await;
        assert_eq!(got.src, peer_addr);
        assert_eq!(got.message.unwrap().status(), Some(200));
        // The second send reuses the connection: nothing new to accept.
        endpoint
            .send(OPTIONS, Transport::Tcp, peer_addr)
            .await
            .unwrap();
        conn.read_exact(&mut buf).await.unwrap();
        assert_eq!(buf, OPTIONS);
        endpoint.shutdown().await;
    }

    #[tokio::test]
    async fn shutdown_closes_connections_and_ends_the_stream() {
        let (endpoint, mut incoming, _tap) = endpoint().await;
        let mut phone = TcpStream::connect(endpoint.local_tcp()).await.unwrap();
        phone.write_all(OPTIONS).await.unwrap();
        next(&mut incoming).await;
        endpoint.shutdown().await;
        assert!(endpoint.is_shut_down());
        assert!(incoming.recv().await.is_none());
        let mut rest = Vec::new();
        let closed =
            tokio::time::timeout(Duration::from_secs(5), phone.read_to_end(&mut rest)).await;
        assert_eq!(closed.unwrap().unwrap(), 0);
        assert!(matches!(
            endpoint
                .send(OPTIONS, Transport::Udp, endpoint.local_udp())
                .await,
            Err(NetError::Closed)
        ));
        assert!(TcpStream::connect(endpoint.local_tcp()).await.is_err());
    }
}
