//! The SMS center's SIP side: SMS over IP as the service centre (IP-SM-GW) of TS 24.341 5.3.2.
//!
//! A MESSAGE with `Content-Type: application/vnd.3gpp.sms` carrying an RP-DATA with an
//! SMS-SUBMIT is answered `202 Accepted`; the centre then sends its own MESSAGE back to the
//! submitter with the RP-ACK (TS 24.341 5.3.2.4: Request-URI the submitter, `In-Reply-To` the
//! submission's Call-ID), over the transport and to the address the submission came from, in a
//! non-INVITE client transaction on the case clock (RFC 3261 17.1.2). An RP-DATA carrying an
//! SMS-DELIVER (the network-to-mobile direction) is accepted and answered with RP-ERROR cause 95.
//! Other bodies get 415, a body that is not RP-DATA 400 (with a Warning naming the construct),
//! OPTIONS 200 and other methods 405. A retransmitted request (same top Via branch) gets the
//! same response again and is not counted twice. The centre does not deliver onwards, keep
//! status reports, or authenticate.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use rcs_harness::clock::Clock;
use rcs_harness::events::Transport;
use rcs_proto::sip::transaction::{ClientEvent, ClientNonInvite, Timers};
use rcs_proto::sip::{Message, MessageBuilder, NameAddr};
use rcs_proto::sms::{CONTENT_TYPE, RpData, Tpdu};
use tokio::sync::mpsc;

use super::inbox::Inbox;
use super::rp_ack::{CAUSE_SEMANTICALLY_INCORRECT, rp_ack, rp_error};
use crate::net::{Incoming, Shutdown, SipEndpoint};

/// Responses remembered for retransmitted requests.
const MAX_ANSWERED: usize = 256;
/// Longest a client transaction is kept open in real time, whatever the case clock does.
const CLIENT_GIVE_UP: Duration = Duration::from_secs(40);

/// What the service shares with the agent.
#[derive(Debug)]
pub(crate) struct Centre {
    pub endpoint: SipEndpoint,
    pub clock: Clock,
    /// The service centre's number (RP address and the From of its MESSAGEs).
    pub number: String,
    pub inbox: Mutex<Inbox>,
    answered: Mutex<VecDeque<(String, Bytes)>>,
    pending: Mutex<HashMap<String, mpsc::Sender<u16>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Centre {
    pub(crate) fn new(endpoint: SipEndpoint, clock: Clock, number: String) -> Self {
        Self {
            endpoint,
            clock,
            number,
            inbox: Mutex::default(),
            answered: Mutex::default(),
            pending: Mutex::default(),
        }
    }
}

/// Serves what arrives until the endpoint closes or `shutdown` is signalled.
pub(crate) async fn run(
    centre: Arc<Centre>,
    mut incoming: mpsc::Receiver<Incoming>,
    mut shutdown: Shutdown,
) {
    loop {
        let arrived = tokio::select! {
            arrived = incoming.recv() => arrived,
            () = shutdown.recv() => return,
        };
        let Some(arrived) = arrived else { return };
        let Ok(message) = arrived.message else {
            // Nothing can be answered to bytes that did not frame as SIP.
            continue;
        };
        if message.is_request() {
            serve(&centre, &message, arrived.transport, arrived.src, &shutdown).await;
        } else {
            deliver(&centre, &message);
        }
    }
}

/// Hands a response to the client transaction of its branch.
fn deliver(centre: &Centre, response: &Message) {
    let (Some(branch), Some(status)) = (top_branch(response), response.status()) else {
        return;
    };
    if let Some(tx) = lock(&centre.pending).get(&branch) {
        let _ = tx.try_send(status);
    }
}

fn top_branch(message: &Message) -> Option<String> {
    let vias = message.vias().ok()?;
    vias.first()?.branch().map(str::to_owned)
}

async fn serve(
    centre: &Arc<Centre>,
    request: &Message,
    transport: Transport,
    src: SocketAddr,
    shutdown: &Shutdown,
) {
    let method = request.method().unwrap_or_default().to_owned();
    if method == "ACK" {
        return;
    }
    let key = top_branch(request).map(|b| format!("{b} {method}"));
    let repeated = key.as_ref().and_then(|key| {
        lock(&centre.answered)
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, bytes)| bytes.clone())
    });
    if let Some(bytes) = repeated {
        let _ = centre.endpoint.send(&bytes, transport, src).await;
        return;
    }
    let (response, ack) = answer(centre, request, &method);
    if let Some(key) = key {
        let mut answered = lock(&centre.answered);
        if answered.len() >= MAX_ANSWERED {
            answered.pop_front();
        }
        answered.push_back((key, response.raw().clone()));
    }
    let _ = centre
        .endpoint
        .send(response.as_bytes(), transport, src)
        .await;
    if let Some(body) = ack {
        let report = report_message(centre, request, transport, body);
        tokio::spawn(transact(
            centre.clone(),
            report,
            transport,
            src,
            shutdown.clone(),
        ));
    }
}

/// The response to `request`, and the RP message to send back when it was a submission.
fn answer(centre: &Centre, request: &Message, method: &str) -> (Message, Option<Vec<u8>>) {
    match method {
        "MESSAGE" => submission(centre, request),
        "OPTIONS" => (
            respond(request, 200, "OK")
                .header("Accept", CONTENT_TYPE)
                .build(),
            None,
        ),
        _ => (
            respond(request, 405, "Method Not Allowed")
                .header("Allow", "MESSAGE, OPTIONS")
                .build(),
            None,
        ),
    }
}

fn submission(centre: &Centre, request: &Message) -> (Message, Option<Vec<u8>>) {
    let is_sms = request
        .header("Content-Type")
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case(CONTENT_TYPE));
    if !is_sms {
        let response = respond(request, 415, "Unsupported Media Type")
            .header("Accept", CONTENT_TYPE)
            .build();
        return (response, None);
    }
    let rp = match RpData::decode(request.body()) {
        Ok(rp) => rp,
        Err(err) => {
            let response = respond(request, 400, "Bad Request")
                .header("Warning", &warning(&format!("failed to {err}")))
                .build();
            return (response, None);
        }
    };
    let accepted = respond(request, 202, "Accepted").build();
    let reference = rp.message_reference;
    let back = match &rp.tpdu {
        Tpdu::Submit(_) => {
            lock(&centre.inbox).add(&submitter(request), &rp);
            rp_ack(reference, now_utc())
        }
        Tpdu::Deliver(_) => rp_error(reference, CAUSE_SEMANTICALLY_INCORRECT),
    };
    (accepted, Some(back))
}

fn now_utc() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

/// Who submitted: the P-Asserted-Identity URI, else the From URI.
pub(crate) fn submitter(request: &Message) -> String {
    let uri = |header: &str| {
        let value = request.header(header)?;
        NameAddr::parse(value).ok().map(|a| a.uri.to_string())
    };
    uri("P-Asserted-Identity")
        .or_else(|| uri("From"))
        .unwrap_or_default()
}

fn respond(request: &Message, status: u16, reason: &str) -> MessageBuilder {
    MessageBuilder::response_to(request, status, reason).to_tag(&token(8))
}

/// A `Warning: 399` value with a quoted-string-safe text.
fn warning(text: &str) -> String {
    let safe: String = text
        .chars()
        .take(200)
        .map(|c| match c {
            '"' => '\'',
            '\\' => '/',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    format!("399 sms-center \"{safe}\"")
}

/// `len` random lowercase hex digits.
fn token(len: usize) -> String {
    let mut out = String::with_capacity(len + 16);
    while out.len() < len {
        out.push_str(&format!("{:016x}", rand::random::<u64>()));
    }
    out.truncate(len);
    out
}

/// The MESSAGE carrying `body` (RP-ACK or RP-ERROR) back to the submitter of `request`.
fn report_message(
    centre: &Centre,
    request: &Message,
    transport: Transport,
    body: Vec<u8>,
) -> Message {
    let local = centre.endpoint.local_addr(transport);
    let to = submitter(request);
    let branch = format!("z9hG4bK{}", token(16));
    let via_transport = match transport {
        Transport::Udp => "UDP",
        Transport::Tcp => "TCP",
        Transport::Tls => "TLS",
    };
    let mut builder = MessageBuilder::request("MESSAGE", &to)
        .header(
            "Via",
            &format!("SIP/2.0/{via_transport} {local};branch={branch};rport"),
        )
        .header("Max-Forwards", "70")
        .header("From", &format!("<tel:{}>;tag={}", centre.number, token(8)))
        .header("To", &format!("<{to}>"))
        .header("Call-ID", &format!("{}@{}", token(16), local.ip()))
        .header("CSeq", "1 MESSAGE");
    if let Some(call_id) = request.call_id() {
        builder = builder.header("In-Reply-To", call_id);
    }
    builder.body(CONTENT_TYPE, body).build()
}

/// Runs the client transaction of `request` to `dst` until a final response, Timer F, the
/// real-time bound or the shutdown.
async fn transact(
    centre: Arc<Centre>,
    request: Message,
    transport: Transport,
    dst: SocketAddr,
    mut shutdown: Shutdown,
) {
    let Some(branch) = top_branch(&request) else {
        return;
    };
    let (tx, mut responses) = mpsc::channel(8);
    lock(&centre.pending).insert(branch.clone(), tx);
    let reliable = transport != Transport::Udp;
    let clock = centre.clock.clone();
    let mut txn = ClientNonInvite::new(
        request.raw().clone(),
        reliable,
        Timers::default(),
        clock.now(),
    );
    let give_up = tokio::time::Instant::now() + CLIENT_GIVE_UP;
    'run: loop {
        while let Some(bytes) = txn.poll_transmit() {
            if centre.endpoint.send(&bytes, transport, dst).await.is_err() {
                break 'run;
            }
        }
        if let Some(ClientEvent::Timeout | ClientEvent::Final(_)) = txn.poll_event() {
            break;
        }
        let timer = txn.poll_timeout();
        tokio::select! {
            status = responses.recv() => match status {
                Some(status) => txn.handle_response(status, clock.now()),
                None => break,
            },
            () = sleep_until(&clock, timer) => txn.handle_timeout(clock.now()),
            () = tokio::time::sleep_until(give_up) => break,
            () = shutdown.recv() => break,
        }
    }
    lock(&centre.pending).remove(&branch);
}

async fn sleep_until(clock: &Clock, deadline: Option<std::time::Instant>) {
    match deadline {
        Some(deadline) => clock.sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
