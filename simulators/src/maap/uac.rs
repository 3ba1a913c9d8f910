//! The MaaP's client transactions (RFC 3261 17.1.2): MESSAGE (and any other non-INVITE request)
//! sent through the message center trunk or to the SMS centre, retransmitted over UDP on the case
//! clock, until a final response, Timer F or a real-time bound.
//!
//! [`RequestHead`] writes the headers every request the MaaP starts carries (Via with a fresh
//! branch, Max-Forwards, From with a tag, To, Call-ID, CSeq); the caller adds the rest. The
//! reader of the endpoint hands responses to [`Pending::deliver`] by their top Via branch. This
//! module does not retry on 3xx, authenticate, or send INVITE.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rcs_harness::clock::Clock;
use rcs_harness::events::Transport;
use rcs_proto::sip::transaction::{ClientEvent, ClientNonInvite, Timers};
use rcs_proto::sip::{Message, MessageBuilder};
use tokio::sync::mpsc;

use super::core::MaapCore;
use super::ids;
use crate::net::NetError;

/// Responses in flight to one transaction before extra ones are dropped.
const RESPONSE_QUEUE: usize = 16;

/// The real-time bound on one transaction, whatever the case clock does.
pub(crate) const TRANSACTION_WAIT: Duration = Duration::from_secs(40);

/// How a client transaction ended.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// A final response (200-699).
    Final(Message),
    /// Timer F fired, or the real-time bound ran out first.
    Timeout,
    /// The request could not be sent.
    TransportError(String),
}

impl Outcome {
    /// The final status code, 408 for a timeout and 503 for a transport error (RFC 3261 8.1.3.1).
    pub(crate) fn status(&self) -> u16 {
        match self {
            Self::Final(response) => response.status().unwrap_or(500),
            Self::Timeout => 408,
            Self::TransportError(_) => 503,
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

    fn insert(&self, branch: &str) -> (mpsc::Receiver<Message>, Registered<'_>) {
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
struct Registered<'a> {
    pending: &'a Pending,
    branch: String,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.pending.lock().remove(&self.branch);
    }
}

/// The first headers of a request the MaaP starts.
#[derive(Clone, Debug)]
pub(crate) struct RequestHead {
    pub branch: String,
    pub call_id: String,
    pub from_tag: String,
}

impl RequestHead {
    pub(crate) fn new() -> Self {
        Self {
            branch: ids::branch(),
            call_id: ids::uuid(),
            from_tag: ids::tag(),
        }
    }

    /// `method uri` with Via, Max-Forwards, From (`from`, tagged), To (`to`), Call-ID and CSeq 1.
    pub(crate) fn builder(
        &self,
        core: &MaapCore,
        method: &str,
        uri: &str,
        from: &str,
        to: &str,
    ) -> MessageBuilder {
        let transport = match core.transport {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
        };
        let via = format!(
            "SIP/2.0/{transport} {};branch={};rport",
            core.local_addr(),
            self.branch
        );
        MessageBuilder::request(method, uri)
            .header("Via", &via)
            .header("Max-Forwards", "70")
            .header("From", &format!("<{from}>;tag={}", self.from_tag))
            .header("To", &format!("<{to}>"))
            .header("Call-ID", &self.call_id)
            .header("CSeq", &format!("1 {method}"))
    }
}

impl MaapCore {
    /// Sends `request` (whose top Via carries `branch`) to `dst` and waits for its final response.
    pub(crate) async fn transact(
        &self,
        request: &Message,
        branch: &str,
        dst: SocketAddr,
    ) -> Outcome {
        let transport = self.transport;
        let (mut responses, _registered) = self.pending.insert(branch);
        let reliable = transport != Transport::Udp;
        let mut txn = ClientNonInvite::new(
            request.raw().clone(),
            reliable,
            Timers::default(),
            self.clock.now(),
        );
        let give_up = tokio::time::Instant::now() + TRANSACTION_WAIT;
        loop {
            while let Some(bytes) = txn.poll_transmit() {
                let sent =
                    tokio::time::timeout_at(give_up, self.endpoint.send(&bytes, transport, dst));
                match sent.await {
                    Ok(Ok(())) => {}
                    Ok(Err(NetError::Closed)) => {
                        return Outcome::TransportError("the maap is shut down".into());
                    }
                    Ok(Err(e)) => return Outcome::TransportError(e.to_string()),
                    Err(_) => return Outcome::Timeout,
                }
            }
            if let Some(ClientEvent::Timeout) = txn.poll_event() {
                return Outcome::Timeout;
            }
            let timer = txn.poll_timeout();
            tokio::select! {
                response = responses.recv() => {
                    let Some(response) = response else { return Outcome::Timeout };
                    let Some(status) = response.status() else { continue };
                    txn.handle_response(status, self.clock.now());
                    if status >= 200 {
                        return Outcome::Final(response);
                    }
                }
                () = sleep_until(&self.clock, timer) => txn.handle_timeout(self.clock.now()),
                () = tokio::time::sleep_until(give_up) => return Outcome::Timeout,
            }
        }
    }
}

/// Sleeps until `deadline` on the case clock, or forever without one.
async fn sleep_until(clock: &Clock, deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => clock.sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
