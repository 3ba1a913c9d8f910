//! Client transactions of the terminal (RFC 3261 17.1.2): send a request to the message center,
//! retransmit it over UDP on the case clock, and wait for its final response.
//!
//! Each request runs a [`ClientNonInvite`] from rcs_proto: its timers are read against
//! [`Clock::now`](rcs_harness::clock::Clock::now) and slept with `Clock::sleep_until`, so on virtual
//! time Timer E and Timer F fire when the runner advances the clock. The reader hands responses
//! over by the branch of their top Via (RFC 3261 17.1.3). Independently of the clock, a wait is
//! cut off after the action's real-time `timeout`. This module does not retry on 401 or 3xx:
//! the actions decide what a response means.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rcs_harness::clock::Clock;
use rcs_proto::sip::Message;
use rcs_proto::sip::transaction::{ClientEvent, ClientNonInvite, Timers};
use tokio::sync::mpsc;

use super::core::Core;
use super::params::DEFAULT_TIMEOUT;
use crate::net::NetError;

/// Responses in flight to one transaction before the reader drops extra ones.
const RESPONSE_QUEUE: usize = 16;

/// How a client transaction ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// A final response (200-699).
    Final(Message),
    /// Timer F fired or the real-time bound ran out first.
    Timeout,
    /// The request could not be sent (RFC 3261 8.1.3.1).
    TransportError(String),
}

impl Outcome {
    /// The value cases see as `status`: the code, `timeout` or `transport-error`.
    pub(crate) fn status(&self) -> String {
        match self {
            Self::Final(response) => response.status().unwrap_or_default().to_string(),
            Self::Timeout => "timeout".to_owned(),
            Self::TransportError(_) => "transport-error".to_owned(),
        }
    }

    /// One human line, e.g. `200 OK` or `no final response`.
    pub(crate) fn summary(&self) -> String {
        match self {
            Self::Final(response) => response.summary(),
            Self::Timeout => "no final response".to_owned(),
            Self::TransportError(detail) => format!("not sent: {detail}"),
        }
    }

    pub(crate) fn response(&self) -> Option<&Message> {
        match self {
            Self::Final(response) => Some(response),
            _ => None,
        }
    }
}

/// Transactions waiting for responses, by branch.
#[derive(Debug, Default)]
pub(crate) struct Pending(Mutex<HashMap<String, mpsc::Sender<Message>>>);

impl Pending {
    /// Hands a response to the transaction of `branch`; false when none waits for it.
    pub(crate) fn deliver(&self, branch: &str, response: Message) -> bool {
        match self.lock().get(branch) {
            Some(tx) => tx.try_send(response).is_ok(),
            None => false,
        }
    }

    pub(crate) fn insert(&self, branch: &str) -> (mpsc::Receiver<Message>, Registered<'_>) {
        let (tx, rx) = mpsc::channel(RESPONSE_QUEUE);
        self.lock().insert(branch.to_owned(), tx);
        let guard = Registered {
            pending: self,
            branch: branch.to_owned(),
        };
        (rx, guard)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, mpsc::Sender<Message>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Removes a branch from [`Pending`] when its transaction ends, however it ends.
pub(crate) struct Registered<'a> {
    pending: &'a Pending,
    branch: String,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.pending.lock().remove(&self.branch);
    }
}

impl Core {
    /// Sends `request` (whose top Via carries `branch`) to the message center and waits at most
    /// `wait` in real time for its final response.
    pub(crate) async fn transact(
        &self,
        request: &Message,
        branch: &str,
        wait: Duration,
    ) -> Result<Outcome, String> {
        let transport = self.local.transport;
        let dst = self.proxy_addr(transport)?;
        let (mut responses, _registered) = self.pending.insert(branch);
        let reliable = transport != rcs_harness::events::Transport::Udp;
        let mut txn = ClientNonInvite::new(
            request.raw().clone(),
            reliable,
            Timers::default(),
            self.clock.now(),
        );
        let give_up = tokio::time::Instant::now() + wait;
        loop {
            while let Some(bytes) = txn.poll_transmit() {
                let sent =
                    tokio::time::timeout_at(give_up, self.endpoint.send(&bytes, transport, dst));
                match sent.await {
                    Ok(Ok(())) => {}
                    Ok(Err(NetError::Closed)) => {
                        return Err("send: the terminal is shut down".into());
                    }
                    Ok(Err(e)) => return Ok(Outcome::TransportError(e.to_string())),
                    Err(_) => return Ok(Outcome::Timeout),
                }
            }
            if let Some(ClientEvent::Timeout) = txn.poll_event() {
                return Ok(Outcome::Timeout);
            }
            let timer = txn.poll_timeout();
            tokio::select! {
                response = responses.recv() => {
                    let Some(response) = response else { return Ok(Outcome::Timeout) };
                    let Some(status) = response.status() else { continue };
                    txn.handle_response(status, self.clock.now());
                    if status >= 200 {
                        return Ok(Outcome::Final(response));
                    }
                }
                () = sleep_until(&self.clock, timer) => txn.handle_timeout(self.clock.now()),
                () = tokio::time::sleep_until(give_up) => return Ok(Outcome::Timeout),
            }
        }
    }

    /// Sends bytes to the message center over `transport` without a transaction.
    pub(crate) async fn send_raw(
        &self,
        bytes: &[u8],
        transport: rcs_harness::events::Transport,
    ) -> Result<SocketAddr, String> {
        let dst = self.proxy_addr(transport)?;
        let sent = tokio::time::timeout(DEFAULT_TIMEOUT, self.endpoint.send(bytes, transport, dst));
        match sent.await {
            Ok(result) => result.map_err(|e| e.to_string())?,
            Err(_) => {
                return Err(format!(
                    "send raw bytes to {dst}: no progress in {DEFAULT_TIMEOUT:?}"
                ));
            }
        }
        Ok(dst)
    }
}

/// Sleeps until `deadline` on the case clock, or forever without one.
pub(crate) async fn sleep_until(clock: &Clock, deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => clock.sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
