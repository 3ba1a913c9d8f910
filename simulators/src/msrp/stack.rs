//! The MSRP stack of one simulated agent: its listeners, connection setup and the sessions on them
//! (RFC 4975 §5.4 and §6.2; RFC 6135 for who connects).
//!
//! [`MsrpStack::start`] binds a TCP listener, and a TLS one when given a [`TlsConfig`], on port 0
//! of the agent's address. An accepted connection is read until its first frame; the session-id
//! of the first URI of that frame's To-Path picks the passive session it belongs to (RFC 4975
//! §7.3). A connection for a session nobody expects is answered `481` and closed. A session-id
//! handed out by [`MsrpStack::new_local_uri`] is expected from then on, so a peer that connects
//! before [`MsrpStack::open`] is called is kept waiting for it. The active side connects to the
//! authority of the peer's first path URI (`msrps` over TLS) and sends a bodiless SEND.
//!
//! With a relay ([`MsrpStack::set_relay`], RFC 4976) nobody accepts: each side connects to its
//! relay and authenticates ([`super::relay`]), best before the SDP is written, by
//! [`MsrpStack::new_local_path`], whose path (Use-Path, then our URI) goes in `a=path`. `Setup`
//! then only says who sends the first, bodiless, SEND through the relays: `Active` does, at open;
//! `Passive` and `Actpass` send nothing and wait for frames on their relay connection.
//!
//! Host names in path URIs are not resolved: the simulators put IP addresses there.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rcs_harness::agent::WireTap;
use rcs_harness::clock::Clock;
use rcs_harness::events::Transport;
use rcs_proto::msrp::{FrameBuilder, MsrpUri, Session, SessionConfig};
use rcs_proto::sdp::Setup;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::AbortHandle;

use super::connection::{self, Link};
use super::relay::{self, Relay, Relayed};
use super::{MAX_EXPECTED, Misbehaviour, MsrpSession, PASSIVE_WAIT};

/// Most tasks (listeners, connections being adopted, sessions' drivers and readers) of one stack;
/// connections accepted beyond it are closed at once.
const MAX_TASKS: usize = 1024;
use crate::net::{NetError, TlsConfig};

/// The MSRP side of one agent. Cheap to clone.
#[derive(Clone, Debug)]
pub struct MsrpStack {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    ip: IpAddr,
    tcp: SocketAddr,
    tls_addr: Option<SocketAddr>,
    tls: Option<TlsConfig>,
    tap: WireTap,
    misbehaviour: Arc<Mutex<Misbehaviour>>,
    relay: Mutex<Option<Relay>>,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    closed: bool,
    /// Passive sessions by session-id.
    expected: HashMap<String, Slot>,
    /// Relay connections authenticated for sessions not opened yet, by session-id.
    relayed: HashMap<String, Relayed>,
    tasks: Vec<AbortHandle>,
    counter: u64,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("closed", &self.closed)
            .field("expected", &self.expected.len())
            .field("relayed", &self.relayed.len())
            .field("tasks", &self.tasks.len())
            .finish()
    }
}

/// A passive session's connection, before and after it arrives.
enum Slot {
    /// Handed out, nobody waiting and nothing arrived.
    Expected,
    /// [`MsrpStack::open`] waits for the connection.
    Waiting(oneshot::Sender<(Link, rcs_proto::msrp::Frame)>),
    /// The connection arrived before anyone waited; its first frame.
    Arrived(Box<(Link, rcs_proto::msrp::Frame)>),
}

impl MsrpStack {
    /// Binds the listeners on `ip` port 0 and starts accepting. Timers run on real time; the
    /// clock is not consulted.
    pub async fn start(
        ip: IpAddr,
        tls: Option<TlsConfig>,
        tap: WireTap,
        clock: Clock,
    ) -> Result<Self, NetError> {
        let _ = clock;
        let bind = |addr: SocketAddr| async move {
            TcpListener::bind(addr)
                .await
                .map_err(|source| NetError::Bind { addr, source })
        };
        let tcp_listener = bind(SocketAddr::new(ip, 0)).await?;
        let tls_listener = match &tls {
            Some(_) => Some(bind(SocketAddr::new(ip, 0)).await?),
            None => None,
        };
        let local = |l: &TcpListener| {
            l.local_addr().map_err(|source| NetError::Bind {
                addr: SocketAddr::new(ip, 0),
                source,
            })
        };
        let tcp = local(&tcp_listener)?;
        let tls_addr = tls_listener.as_ref().map(local).transpose()?;
        let stack = Self {
            inner: Arc::new(Inner {
                ip,
                tcp,
                tls_addr,
                tls,
                tap,
                misbehaviour: Arc::default(),
                relay: Mutex::default(),
                state: Mutex::default(),
            }),
        };
        stack.spawn_acceptor(tcp_listener, false);
        if let Some(listener) = tls_listener {
            stack.spawn_acceptor(listener, true);
        }
        Ok(stack)
    }

    /// A URI with a fresh session-id on our TCP (or TLS) listener, expected from now on.
    pub fn new_local_uri(&self, tls: bool) -> MsrpUri {
        let addr = match tls {
            true => self.inner.tls_addr.unwrap_or(self.inner.tcp),
            false => self.inner.tcp,
        };
        let mut state = self.state();
        state.counter += 1;
        let session_id = session_id(state.counter);
        if state.expected.len() < MAX_EXPECTED {
            state.expected.insert(session_id.clone(), Slot::Expected);
        }
        MsrpUri::new(tls, &host(self.inner.ip), addr.port(), &session_id)
    }

    /// Sets the relay of the sessions opened from now on (RFC 4976); `None` connects directly.
    pub fn set_relay(&self, relay: Option<Relay>) {
        *self.inner.relay.lock().unwrap_or_else(|p| p.into_inner()) = relay;
    }

    /// The relay set, if any.
    pub fn relay(&self) -> Option<Relay> {
        self.inner
            .relay
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The `a=path` of a new session: without a relay, `[`[`MsrpStack::new_local_uri`]`]`; with
    /// one, connects to it and authenticates first, and returns its Use-Path followed by the new
    /// URI. [`MsrpStack::open`] with that URI as `config.local` uses this relay connection.
    pub async fn new_local_path(&self, tls: bool) -> Result<Vec<MsrpUri>, NetError> {
        let uri = self.new_local_uri(tls);
        let Some(relay) = self.relay() else {
            return Ok(vec![uri]);
        };
        let id = uri.session_id().unwrap_or_default().to_owned();
        self.state().expected.remove(&id);
        let relayed = self.authenticate(&relay, &uri, tls).await?;
        let mut path = relayed.use_path.clone();
        path.push(uri);
        let mut state = self.state();
        if state.closed {
            return Err(NetError::Closed);
        }
        if state.relayed.len() >= MAX_EXPECTED {
            return Err(connect_error(
                &SessionConfig::new(relay.uri, Vec::new()),
                &format!("{MAX_EXPECTED} relay connections wait for their session"),
            ));
        }
        state.relayed.insert(id, relayed);
        Ok(path)
    }

    /// The address of the TCP (or TLS) listener.
    pub fn listen_addr(&self, tls: bool) -> Option<SocketAddr> {
        match tls {
            true => self.inner.tls_addr,
            false => Some(self.inner.tcp),
        }
    }

    /// Opens a session. `Active`: connects to the authority of `config.remote`'s first URI
    /// (TLS when it is `msrps` or `tls` is set) and sends a bodiless SEND. `Passive` (and
    /// `Actpass`, whose answerer connects): waits at most 10 s of real time for the connection
    /// whose first SEND names `config.local`'s session-id. `Holdconn` is an error.
    ///
    /// With a relay set (or a relay connection made by [`MsrpStack::new_local_path`] for
    /// `config.local`), see the module docs: the session uses its relay connection (made and
    /// authenticated now if there is none) and its To-Path is the Use-Path, then `config.remote`.
    pub async fn open(
        &self,
        config: SessionConfig,
        setup: Setup,
        tls: bool,
    ) -> Result<MsrpSession, NetError> {
        let id = config.local.session_id().unwrap_or_default().to_owned();
        let prepared = self.state().relayed.remove(&id);
        if let Some(prepared) = prepared {
            return self.open_relayed(config, setup, prepared).await;
        }
        if let Some(relay) = self.relay() {
            self.state().expected.remove(&id);
            let prepared = self.authenticate(&relay, &config.local, tls).await?;
            return self.open_relayed(config, setup, prepared).await;
        }
        let (link, first) = match setup {
            Setup::Active => (self.connect(&config, tls).await?, None),
            Setup::Passive | Setup::Actpass => {
                let (link, first) = self.wait_for(&config).await?;
                (link, Some(first))
            }
            Setup::Holdconn => return Err(connect_error(&config, "setup is holdconn")),
        };
        let path = vec![config.local.clone()];
        let mut session = Session::new(config);
        session.set_faults(super::session::faults(*self.misbehaviour()));
        let now = Instant::now();
        match first {
            Some(frame) => session.handle_frame(&frame, now),
            None => session.send_empty(now),
        }
        self.spawn_session(session, link, path)
    }

    /// Opens a session on its authenticated relay connection.
    async fn open_relayed(
        &self,
        mut config: SessionConfig,
        setup: Setup,
        relayed: Relayed,
    ) -> Result<MsrpSession, NetError> {
        if setup == Setup::Holdconn {
            relayed.link.conn.close().await;
            return Err(connect_error(&config, "setup is holdconn"));
        }
        let Relayed { link, use_path } = relayed;
        let mut path = use_path.clone();
        path.push(config.local.clone());
        config.remote = relay::to_path(&use_path, &config.remote);
        let mut session = Session::new(config);
        session.set_faults(super::session::faults(*self.misbehaviour()));
        if setup == Setup::Active {
            session.send_empty(Instant::now());
        }
        self.spawn_session(session, link, path)
    }

    async fn authenticate(
        &self,
        relay: &Relay,
        local: &MsrpUri,
        tls: bool,
    ) -> Result<Relayed, NetError> {
        let tls = match (tls || relay.uri.is_secure(), &self.inner.tls) {
            (true, Some(tls)) => Some(tls),
            (true, None) => {
                return Err(NetError::Unsupported {
                    transport: Transport::Tls,
                });
            }
            (false, _) => None,
        };
        relay::authenticate(relay, local, tls, self.inner.tap.clone()).await
    }

    /// Starts the tasks of a session and registers them for shutdown.
    fn spawn_session(
        &self,
        session: Session,
        link: Link,
        path: Vec<MsrpUri>,
    ) -> Result<MsrpSession, NetError> {
        let misbehaviour = self.inner.misbehaviour.clone();
        let (handle, tasks) = MsrpSession::spawn(session, link, path, misbehaviour);
        let mut state = self.state();
        if state.closed {
            tasks.iter().for_each(AbortHandle::abort);
            return Err(NetError::Closed);
        }
        state.tasks.retain(|t| !t.is_finished());
        state.tasks.extend(tasks);
        Ok(handle)
    }

    /// Sets the fault knobs of every session of this stack, from their next step on.
    pub fn set_misbehaviour(&self, m: Misbehaviour) {
        *self.misbehaviour() = m;
    }

    fn misbehaviour(&self) -> MutexGuard<'_, Misbehaviour> {
        self.inner
            .misbehaviour
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Closes the listeners and every connection and stops every task of this stack.
    pub async fn shutdown(&self) {
        let (tasks, expected, relayed) = {
            let mut state = self.state();
            state.closed = true;
            (
                std::mem::take(&mut state.tasks),
                std::mem::take(&mut state.expected),
                std::mem::take(&mut state.relayed),
            )
        };
        tasks.iter().for_each(AbortHandle::abort);
        drop(expected);
        drop(relayed);
        tokio::task::yield_now().await;
    }

    async fn connect(&self, config: &SessionConfig, tls: bool) -> Result<Link, NetError> {
        let first = config
            .remote
            .first()
            .ok_or_else(|| connect_error(config, "the peer's path is empty"))?;
        let dst = authority(first).ok_or_else(|| {
            connect_error(config, "the peer's path URI has no IP address and port")
        })?;
        let secure = tls || first.is_secure();
        let tls = match (secure, &self.inner.tls) {
            (true, Some(tls)) => Some(tls),
            (true, None) => {
                return Err(NetError::Unsupported {
                    transport: Transport::Tls,
                });
            }
            (false, _) => None,
        };
        connection::connect(dst, tls, self.inner.tap.clone()).await
    }

    async fn wait_for(
        &self,
        config: &SessionConfig,
    ) -> Result<(Link, rcs_proto::msrp::Frame), NetError> {
        let id = config.local.session_id().unwrap_or_default().to_owned();
        let (tx, rx) = oneshot::channel();
        {
            let mut state = self.state();
            if state.closed {
                return Err(NetError::Closed);
            }
            match state.expected.remove(&id) {
                Some(Slot::Arrived(arrived)) => return Ok(*arrived),
                _ => state.expected.insert(id.clone(), Slot::Waiting(tx)),
            };
        }
        let arrived = tokio::time::timeout(PASSIVE_WAIT, rx).await;
        self.state().expected.remove(&id);
        match arrived {
            Ok(Ok(found)) => Ok(found),
            Ok(Err(_)) => Err(NetError::Closed),
            Err(_) => Err(connect_error(
                config,
                &format!("no connection for the session within {PASSIVE_WAIT:?}"),
            )),
        }
    }

    fn spawn_acceptor(&self, listener: TcpListener, tls: bool) {
        let stack = self.clone();
        let task = tokio::spawn(async move { stack.run_acceptor(listener, tls).await });
        self.state().tasks.push(task.abort_handle());
    }

    async fn run_acceptor(self, listener: TcpListener, tls: bool) {
        loop {
            match listener.accept().await {
                Ok((stream, peer)) => {
                    let mut state = self.state();
                    state.tasks.retain(|t| !t.is_finished());
                    if state.tasks.len() >= MAX_TASKS {
                        tracing::warn!(%peer, "failed to accept msrp: {MAX_TASKS} tasks running");
                        continue;
                    }
                    let stack = self.clone();
                    let task = tokio::spawn(async move {
                        stack.adopt(stream, peer, tls).await;
                    });
                    state.tasks.push(task.abort_handle());
                }
                Err(err) => {
                    tracing::warn!("failed to accept an msrp connection: {err}");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            }
        }
    }

    /// Reads an accepted connection's first frame and hands the connection to its session.
    async fn adopt(self, stream: tokio::net::TcpStream, peer: SocketAddr, tls: bool) {
        let tls = if tls { self.inner.tls.as_ref() } else { None };
        let tap = self.inner.tap.clone();
        let mut link = match connection::accept(stream, peer, tls, tap).await {
            Ok(link) => link,
            Err(err) => return tracing::info!(%peer, "failed to accept msrp: {err}"),
        };
        let first = tokio::time::timeout(PASSIVE_WAIT, link.next_frame()).await;
        let Ok(Some(first)) = first else {
            return;
        };
        let id = first
            .to_path_uris()
            .ok()
            .and_then(|uris| uris.into_iter().next())
            .and_then(|uri| uri.session_id().map(str::to_owned));
        let unknown = {
            let mut state = self.state();
            match id.as_ref().and_then(|id| state.expected.remove(id)) {
                Some(Slot::Waiting(tx)) => tx.send((link, first)).err(),
                Some(Slot::Expected | Slot::Arrived(..)) => {
                    let id = id.unwrap_or_default();
                    state
                        .expected
                        .insert(id, Slot::Arrived(Box::new((link, first))));
                    None
                }
                None => Some((link, first)),
            }
        };
        if let Some((link, first)) = unknown {
            refuse_unknown(link, &first).await;
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Answers a request for a session nobody here knows with `481` (RFC 4975 §7.3), then closes.
async fn refuse_unknown(link: Link, first: &rcs_proto::msrp::Frame) {
    if first.method().is_some() && first.method() != Some("REPORT") {
        let response =
            FrameBuilder::response_to(first, 481, Some("Session Does Not Exist")).build();
        let _ = link.conn.write(response.as_bytes()).await;
    }
    link.conn.close().await;
}

/// The socket address of a URI whose host is an IP address.
pub(super) fn authority(uri: &MsrpUri) -> Option<SocketAddr> {
    let host = uri.host().trim_start_matches('[').trim_end_matches(']');
    let ip: IpAddr = host.parse().ok()?;
    Some(SocketAddr::new(ip, uri.port()?))
}

/// An IP address as a URI host (IPv6 in brackets).
fn host(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// A fresh session-id: random letters and digits, then the counter (RFC 4975 §14.1 asks for
/// enough randomness that it cannot be guessed).
fn session_id(counter: u64) -> String {
    use rand::Rng;
    let random: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(16)
        .map(char::from)
        .collect();
    format!("{random}{counter}")
}

fn connect_error(config: &SessionConfig, detail: &str) -> NetError {
    let dst = config
        .remote
        .first()
        .and_then(authority)
        .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 0)));
    NetError::Connect {
        transport: Transport::Tcp,
        dst,
        detail: detail.to_owned(),
    }
}
