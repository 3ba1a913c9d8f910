//! An MSRP session on a connection: the tokio driver of [`rcs_proto::msrp::Session`].
//!
//! One task per session owns the sans-IO session and its connection's write side. It feeds the
//! session the frames the connection's reader hands over, the commands of [`MsrpSession`]
//! handles, and the transaction timeouts on tokio's real-time clock; it writes what the session
//! transmits and queues its events (at most [`MAX_EVENTS`] unread: past that they are dropped,
//! with one warning naming the session when the queue first fills and one saying how many were
//! lost once its reader catches up; events of a session whose handles are all gone are dropped
//! without a word, as nobody can read them). The stack's [`Misbehaviour`] is read before every step, so a
//! fault set after the session opened applies to what it sends next. When the connection ends the
//! task keeps running, so transactions still awaiting a response fail with `408`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rcs_proto::msrp::{
    ByteRange, Chunk, Frame, MsrpUri, SendOptions, Session, SessionEvent, SessionFaults,
};
use tokio::sync::{mpsc, oneshot};
use tokio::task::AbortHandle;

use super::Misbehaviour;
use super::connection::Conn;
use crate::net::NetError;

/// Most events queued for a session's reader; further ones are dropped (see the module docs).
const MAX_EVENTS: usize = 4096;

/// What a handle asks of its session's task.
enum Command {
    Send {
        content_type: String,
        body: Vec<u8>,
        opts: SendOptions,
        reply: oneshot::Sender<Result<String, NetError>>,
    },
    Forward(Chunk),
    Report {
        message_id: String,
        byte_range: ByteRange,
        status: u16,
    },
    Close(oneshot::Sender<()>),
}

/// A handle on one MSRP session. Cheap to clone.
#[derive(Clone, Debug)]
pub struct MsrpSession {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    local: MsrpUri,
    path: Vec<MsrpUri>,
    commands: mpsc::Sender<Command>,
    events: tokio::sync::Mutex<mpsc::Receiver<SessionEvent>>,
    driver: AbortHandle,
    reader: AbortHandle,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.driver.abort();
        self.reader.abort();
    }
}

impl MsrpSession {
    /// Starts the tasks of a session on an open connection; returns the handle and the two
    /// tasks (for the stack to abort at shutdown). `path` is what the session advertises.
    pub(super) fn spawn(
        session: Session,
        link: super::connection::Link,
        path: Vec<MsrpUri>,
        misbehaviour: Arc<Mutex<Misbehaviour>>,
    ) -> (Self, [AbortHandle; 2]) {
        let local = session.local_uri().clone();
        let (frames_tx, frames) = mpsc::channel(64);
        let (commands, commands_rx) = mpsc::channel(64);
        let (events_tx, events) = mpsc::channel(MAX_EVENTS);
        let conn = link.conn.clone();
        let label = format!("{local} (peer {})", conn.peer);
        let reader = tokio::spawn(link.run_reader(frames_tx)).abort_handle();
        let driver = Driver {
            session,
            conn,
            misbehaviour,
            events: EventQueue::new(events_tx, label),
        };
        let driver = tokio::spawn(driver.run(frames, commands_rx)).abort_handle();
        let inner = Inner {
            local,
            path,
            commands,
            events: tokio::sync::Mutex::new(events),
            driver: driver.clone(),
            reader: reader.clone(),
        };
        let handle = Self {
            inner: Arc::new(inner),
        };
        (handle, [driver, reader])
    }

    /// Our URI.
    pub fn local_uri(&self) -> &MsrpUri {
        &self.inner.local
    }

    /// Our `a=path`: the relays' Use-Path, then [`MsrpSession::local_uri`]; without a relay
    /// just the URI.
    pub fn local_path(&self) -> Vec<MsrpUri> {
        self.inner.path.clone()
    }

    /// Sends a message in chunks; returns its Message-ID at once (responses and REPORTs arrive
    /// as events).
    pub async fn send(
        &self,
        content_type: &str,
        body: &[u8],
        opts: SendOptions,
    ) -> Result<String, NetError> {
        let (reply, answer) = oneshot::channel();
        let command = Command::Send {
            content_type: content_type.to_owned(),
            body: body.to_vec(),
            opts,
            reply,
        };
        self.command(command).await?;
        answer.await.map_err(|_| NetError::Closed)?
    }

    /// Relay mode: sends one chunk with exactly its header values and body.
    pub async fn forward_chunk(&self, chunk: &Chunk) {
        let _ = self.command(Command::Forward(chunk.clone())).await;
    }

    /// Sends a REPORT with `Status: 000 <status> <reason>`.
    pub async fn send_report(&self, message_id: &str, byte_range: ByteRange, status: u16) {
        let command = Command::Report {
            message_id: message_id.to_owned(),
            byte_range,
            status,
        };
        let _ = self.command(command).await;
    }

    /// The next event, waiting at most `timeout` of real time.
    pub async fn next_event(&self, timeout: Duration) -> Option<SessionEvent> {
        let mut events = self.inner.events.lock().await;
        tokio::time::timeout(timeout, events.recv())
            .await
            .ok()
            .flatten()
    }

    /// Closes the connection and stops the session.
    pub async fn close(&self) {
        let (done, closed) = oneshot::channel();
        if self.command(Command::Close(done)).await.is_ok() {
            let _ = tokio::time::timeout(super::connection::IO_TIMEOUT, closed).await;
        }
        self.inner.driver.abort();
        self.inner.reader.abort();
    }

    async fn command(&self, command: Command) -> Result<(), NetError> {
        self.inner
            .commands
            .send(command)
            .await
            .map_err(|_| NetError::Closed)
    }
}

/// The task that owns one session.
struct Driver {
    session: Session,
    conn: Arc<Conn>,
    misbehaviour: Arc<Mutex<Misbehaviour>>,
    events: EventQueue,
}

impl Driver {
    async fn run(
        mut self,
        mut frames: mpsc::Receiver<Frame>,
        mut commands: mpsc::Receiver<Command>,
    ) {
        let mut connected = true;
        loop {
            self.flush().await;
            let deadline = self.session.poll_timeout();
            let sleep = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                frame = frames.recv(), if connected => match frame {
                    Some(frame) => {
                        self.apply_faults();
                        self.session.handle_frame(&frame, Instant::now());
                    }
                    None => connected = false,
                },
                command = commands.recv() => match command {
                    Some(Command::Close(done)) => {
                        self.flush().await;
                        self.conn.close().await;
                        let _ = done.send(());
                        return;
                    }
                    Some(command) => self.command(command),
                    None => return,
                },
                () = sleep => self.session.handle_timeout(Instant::now()),
            }
        }
    }

    fn command(&mut self, command: Command) {
        self.apply_faults();
        let now = Instant::now();
        match command {
            Command::Send {
                content_type,
                body,
                opts,
                reply,
            } => {
                let sent = self
                    .session
                    .send(&content_type, &body, &opts, now)
                    .map_err(|err| NetError::Send {
                        transport: self.conn.transport,
                        dst: self.conn.peer,
                        detail: err.to_string(),
                    });
                let _ = reply.send(sent);
            }
            Command::Forward(chunk) => self.session.forward_chunk(&chunk, now),
            Command::Report {
                message_id,
                byte_range,
                status,
            } => self
                .session
                .send_report(&message_id, byte_range, status, now),
            Command::Close(_) => {}
        }
    }

    /// Writes what the session transmits and queues its events.
    async fn flush(&mut self) {
        while let Some(bytes) = self.session.poll_transmit() {
            if let Err(err) = self.conn.write(&bytes).await {
                tracing::info!("failed to {err}");
            }
        }
        while let Some(event) = self.session.poll_event() {
            self.events.push(event);
        }
    }

    fn apply_faults(&mut self) {
        let m = *self.misbehaviour.lock().unwrap_or_else(|p| p.into_inner());
        self.session.set_faults(faults(m));
    }
}

/// The sending side of a session's event queue, and how many events it has had to drop.
struct EventQueue {
    tx: mpsc::Sender<SessionEvent>,
    /// The session, for the warnings.
    session: String,
    /// Events dropped since the queue last had room; 0 while the reader keeps up.
    dropped: usize,
}

impl EventQueue {
    fn new(tx: mpsc::Sender<SessionEvent>, session: String) -> Self {
        Self {
            tx,
            session,
            dropped: 0,
        }
    }

    /// Queues `event` for the session's reader; see the module docs for what happens when the
    /// reader falls behind.
    fn push(&mut self, event: SessionEvent) {
        match self.tx.try_send(event) {
            Ok(()) if self.dropped > 0 => {
                tracing::warn!(
                    session = %self.session,
                    "msrp session reader caught up: {} events were dropped",
                    self.dropped
                );
                self.dropped = 0;
            }
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                if self.dropped == 0 {
                    tracing::warn!(
                        session = %self.session,
                        "msrp session events dropped: {MAX_EVENTS} unread, the reader is not keeping up"
                    );
                }
                self.dropped += 1;
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
}

/// The session faults of the stack's fault knobs.
pub(super) fn faults(m: Misbehaviour) -> SessionFaults {
    SessionFaults {
        no_responses: m.no_responses,
        no_reports: m.no_reports,
        report_partial_range: m.report_partial_range,
        drop_last_chunk: m.drop_last_chunk,
        corrupt_body: m.corrupt_body,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn aborted(id: &str) -> SessionEvent {
        SessionEvent::Aborted {
            message_id: id.to_owned(),
        }
    }

    #[test]
    fn a_full_queue_counts_what_it_drops_until_the_reader_catches_up() {
        let (tx, mut rx) = mpsc::channel(2);
        let mut queue = EventQueue::new(tx, "msrp://test".to_owned());
        for id in ["a", "b", "c", "d"] {
            queue.push(aborted(id));
        }
        assert_eq!(queue.dropped, 2);
        assert_eq!(rx.try_recv().unwrap(), aborted("a"));
        queue.push(aborted("e"));
        assert_eq!(queue.dropped, 0, "room again ends the overflow");
        assert_eq!(rx.try_recv().unwrap(), aborted("b"));
        assert_eq!(rx.try_recv().unwrap(), aborted("e"));
    }

    #[test]
    fn events_nobody_can_read_are_not_counted() {
        let (tx, rx) = mpsc::channel(1);
        let mut queue = EventQueue::new(tx, "msrp://test".to_owned());
        drop(rx);
        queue.push(aborted("a"));
        queue.push(aborted("b"));
        assert_eq!(queue.dropped, 0);
    }
}
