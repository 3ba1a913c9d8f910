//! Network-based SMS fallback: the interworking function (IWF) of the message center
//! (protocols.md §9.2 mechanism 2; YD/T 3912-2021 4.4; IWK-SMS-001/002/005/006).
//!
//! The IWF lives in the message center of the recipient's carrier: only that node knows whether
//! the recipient has RCS and is registered, and it holds the stored copy a timeout fallback must
//! withdraw. A message for another carrier's user crosses the NNI first (the gateways relay it,
//! §9.1) and is converted at the far end; the gateway's own `fallback` setting is not read.
//!
//! With the setting `fallback: sms` (default `none`: nothing here acts):
//! - the 200 to REGISTER advertises it (`+g.gsma.rcs.msgfallback` in Feature-Caps, `fallback_tag`);
//! - only what a phone shows as a message is converted (`fallback_eligible`: never IMDNs,
//!   isComposing, the group chat focus's or a chatbot's messages);
//! - a CPM MESSAGE (text or FT-HTTP file-info) to a subscriber without RCS, or to an
//!   unprovisioned number of a non-RCS range, is answered `202 Accepted` and submitted to the
//!   case's `sms-center` as SMS over IP from the sender's MSISDN (`fallback_sms`);
//! - a CPM message stored for an offline RCS user (protocols.md §4.8) is withdrawn from the store
//!   when its `fallback-timer` (default `60s`, on the case clock) runs out while it is still
//!   stored, and sent once as SMS; it is never delivered over RCS afterwards. One delivered or in
//!   flight by then is left alone.
//!
//! When the SMS centre accepted every part (2xx) and the original asked for `positive-delivery`,
//! the sender gets a `delivered` IMDN from the recipient (RFC 5438: the network took the message
//! on to the user; no source verifies a "sent as SMS" marker, so none is added). A part refused
//! or timed out: no notification. The IWF answers the SMS centre's own MESSAGEs (the RP-ACK
//! status reports, TS 24.341 5.3.2.4) with `200` and reads nothing from them. It does not send
//! MMS or fall back messages of group chats or sessions; billing is `fallback_service`'s.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rcs_harness::agent::Peer;
use rcs_harness::case::duration::CaseDuration;
use rcs_harness::events::Transport;
use rcs_harness::role::{Carrier, RoleKind};
use rcs_proto::sip::transaction::{ClientEvent, ClientNonInvite, ClientState, Timers};
use rcs_proto::sip::{MAGIC_COOKIE, Message};

use super::cdr::NetCdr;
use super::config::{Fault, Faults, Settings};
use super::fallback_sms::{self, Leg, Notice, Sms};
use super::proxy::Transmit;
use super::proxy::drain;
use super::reply;

/// The fallback timer unless the case sets one (§13.3 IWK-SMS-002).
pub const DEFAULT_TIMER: Duration = Duration::from_secs(60);

/// Stored messages watched at once; beyond it a stored message gets no timeout fallback.
const MAX_WAITING: usize = 1024;
/// Requests of the IWF in flight at once.
const MAX_PENDING: usize = 1024;
/// Call-IDs of submissions remembered to recognise the SMS centre's reports.
const MAX_SUBMITTED: usize = 256;

#[path = "fallback_tag.rs"]
pub(crate) mod tag;

#[path = "fallback_eligible.rs"]
pub(crate) mod eligible;

/// Whether `fallback` is `sms` (settings checked at start; a bad value is off).
pub fn enabled(settings: &Settings) -> bool {
    mode(settings).unwrap_or(false)
}

/// Checks the fallback settings; the error names the setting.
pub fn check(settings: &Settings) -> Result<(), String> {
    mode(settings)?;
    timer(settings).map(|_| ())
}

/// Whether `fallback` is `sms`.
fn mode(settings: &Settings) -> Result<bool, String> {
    match settings.fallback.as_str() {
        "sms" => Ok(true),
        "none" => Ok(false),
        other => Err(format!(
            "invalid message-center settings: fallback `{other}`: use sms or none"
        )),
    }
}

/// The `fallback-timer`.
fn timer(settings: &Settings) -> Result<Duration, String> {
    let bad = |why: String| format!("invalid message-center settings: fallback-timer: {why}");
    let duration = CaseDuration::parse(settings.fallback_timer.trim()).map_err(bad)?;
    match duration.duration.is_zero() {
        true => Err(bad("must be more than 0".to_owned())),
        false => Ok(duration.duration),
    }
}

/// The case's SMS centre, learned when every role has started. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct SmsCentre {
    inner: Arc<Mutex<CentreState>>,
}

#[derive(Debug)]
struct CentreState {
    carrier: Carrier,
    transport: Transport,
    /// UDP, TCP and TLS addresses.
    addrs: Option<[Option<SocketAddr>; 3]>,
}

impl Default for CentreState {
    fn default() -> Self {
        Self {
            carrier: Carrier::default(),
            transport: Transport::Udp,
            addrs: None,
        }
    }
}

impl SmsCentre {
    fn lock(&self) -> MutexGuard<'_, CentreState> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The message center's carrier and the case's transport.
    pub fn configure(&self, carrier: Carrier, transport: Transport) {
        let mut state = self.lock();
        state.carrier = carrier;
        state.transport = transport;
    }

    /// Takes the `sms-center` of its carrier, else the first one.
    pub fn learn(&self, peers: &std::collections::BTreeMap<String, Peer>) {
        let mut state = self.lock();
        let centres = || peers.values().filter(|p| p.kind == RoleKind::SmsCenter);
        let own = state.carrier;
        let centre = centres()
            .find(|p| p.carrier == own)
            .or_else(|| centres().next());
        if let Some(centre) = centre {
            state.addrs = Some([centre.sip_udp, centre.sip_tcp, centre.sip_tls]);
        }
    }

    /// Where to submit, and how.
    fn target(&self) -> Option<(Transport, SocketAddr)> {
        let state = self.lock();
        let [udp, tcp, tls] = state.addrs?;
        let addr = match state.transport {
            Transport::Udp => udp,
            Transport::Tcp => tcp,
            Transport::Tls => tls,
        }?;
        Some((state.transport, addr))
    }

    /// Whether `src` is one of its addresses.
    fn is(&self, src: SocketAddr) -> bool {
        self.lock()
            .addrs
            .is_some_and(|addrs| addrs.contains(&Some(src)))
    }
}

/// A stored message whose fallback timer runs.
#[derive(Clone, Debug)]
pub struct Waiting {
    /// The recipient's number (the store's key).
    pub user: String,
    /// The stored message's `imdn.Message-ID`.
    pub imdn_id: String,
    /// Its SMS form.
    pub sms: Sms,
    /// The sender's notification.
    pub notice: Option<Notice>,
    /// Its `FALLBACK_SMS` record, written once the SMS went.
    pub cdr: Option<NetCdr>,
    due: Instant,
}

/// One conversion in flight: parts not answered yet.
#[derive(Debug)]
struct Job {
    left: usize,
    failed: bool,
    notice: Option<Notice>,
}

/// One request in flight.
#[derive(Debug)]
struct Pending {
    client: ClientNonInvite,
    transport: Transport,
    dst: SocketAddr,
    /// The conversion it is a part of; none for a notification.
    job: Option<u64>,
}

/// The IWF's state.
#[derive(Debug)]
pub struct Iwf {
    enabled: bool,
    timer: Duration,
    faults: Faults,
    centre: SmsCentre,
    waiting: Vec<Waiting>,
    pending: HashMap<String, Pending>,
    jobs: HashMap<u64, Job>,
    next_job: u64,
    submitted: VecDeque<String>,
}

impl Iwf {
    /// The IWF as `config` sets it (its settings were checked at start).
    pub fn new(settings: &Settings, faults: Faults) -> Self {
        Self {
            enabled: mode(settings).unwrap_or(false),
            timer: timer(settings).unwrap_or(DEFAULT_TIMER),
            faults,
            centre: SmsCentre::default(),
            waiting: Vec::new(),
            pending: HashMap::new(),
            jobs: HashMap::new(),
            next_job: 0,
            submitted: VecDeque::new(),
        }
    }

    /// Submits to `centre` once it is learned.
    pub fn set_centre(&mut self, centre: SmsCentre) {
        self.centre = centre;
    }

    /// Whether fallback is on and there is an SMS centre to submit to.
    pub fn active(&self) -> bool {
        self.enabled && self.centre.target().is_some()
    }

    /// Whether `request` is the SMS centre's own SMS-over-IP MESSAGE (a status report).
    pub fn is_from_centre(&self, request: &Message, src: SocketAddr) -> bool {
        let replying = request
            .header("In-Reply-To")
            .is_some_and(|id| self.submitted.iter().any(|c| c == id.trim()));
        super::sms_ip::is_sms(request) && (replying || self.centre.is(src))
    }

    /// Watches a message just stored for `user`; nothing when it has no SMS form or no id.
    pub fn on_stored(
        &mut self,
        user: &str,
        sms: Sms,
        imdn_id: Option<&str>,
        (notice, cdr): (Option<Notice>, Option<NetCdr>),
        now: Instant,
    ) {
        let Some(imdn_id) = imdn_id else { return };
        if !self.enabled || self.waiting.len() >= MAX_WAITING {
            return;
        }
        self.waiting.push(Waiting {
            user: user.to_owned(),
            imdn_id: imdn_id.to_owned(),
            sms,
            notice,
            cdr,
            due: now + self.timer,
        });
    }

    /// Takes the stored messages whose timer ran out by `now`.
    pub fn due(&mut self, now: Instant) -> Vec<Waiting> {
        let (due, waiting) = std::mem::take(&mut self.waiting)
            .into_iter()
            .partition(|w| w.due <= now);
        self.waiting = waiting;
        due
    }

    /// Whether the stored copy stays in the store after its SMS went (a fault).
    pub fn keeps_stored_copy(&self) -> bool {
        self.faults.has(Fault::FallbackStoredCopyDelivered)
    }

    /// Submits `sms`: its first transmissions; an error when it cannot be converted or there is
    /// no SMS centre.
    pub fn submit(
        &mut self,
        mut sms: Sms,
        notice: Option<Notice>,
        via: impl Fn(Transport) -> SocketAddr,
        now: Instant,
    ) -> Result<Vec<Transmit>, String> {
        let (transport, dst) = self
            .centre
            .target()
            .ok_or("failed to fall back to SMS: the case has no sms-center")?;
        if self.faults.has(Fault::FallbackFromIwf) {
            sms.originator = SERVICE_NUMBER.to_owned();
        }
        let one_part = self.faults.has(Fault::FallbackSingleSegment);
        let bodies = fallback_sms::bodies(&sms, one_part)?;
        self.prune();
        if self.pending.len() + bodies.len() > MAX_PENDING {
            return Err("failed to fall back to SMS: too many submissions in flight".to_owned());
        }
        let job = self.next_job;
        self.next_job += 1;
        let leg = Leg {
            transport,
            via_addr: via(transport),
        };
        let mut out = Vec::new();
        for body in bodies.iter() {
            let call_id = format!("{}@{}", reply::token(24), leg.via_addr.ip());
            self.remember(&call_id);
            let branch = format!("{MAGIC_COOKIE}{}", reply::token(20));
            let request =
                fallback_sms::submit_request(&sms.originator, body.clone(), leg, &branch, &call_id);
            out.extend(self.start(request, transport, dst, &branch, Some(job), now));
        }
        tracing::info!(to = %sms.recipient, parts = bodies.len(), "fallback to SMS");
        self.jobs.insert(
            job,
            Job {
                left: bodies.len(),
                failed: false,
                notice,
            },
        );
        Ok(out)
    }

    /// Sends `request` (a notification) to `dst` in a client transaction of its own.
    pub fn send(
        &mut self,
        request: Message,
        transport: Transport,
        dst: SocketAddr,
        branch: &str,
        now: Instant,
    ) -> Vec<Transmit> {
        self.prune();
        if self.pending.len() >= MAX_PENDING {
            return Vec::new();
        }
        self.start(request, transport, dst, branch, None, now)
    }

    fn start(
        &mut self,
        request: Message,
        transport: Transport,
        dst: SocketAddr,
        branch: &str,
        job: Option<u64>,
        now: Instant,
    ) -> Vec<Transmit> {
        let reliable = transport != Transport::Udp;
        let mut client =
            ClientNonInvite::new(request.raw().clone(), reliable, Timers::default(), now);
        let out = drain(&mut client, transport, dst, branch);
        let pending = Pending {
            client,
            transport,
            dst,
            job,
        };
        self.pending.insert(branch.to_owned(), pending);
        out
    }

    fn remember(&mut self, call_id: &str) {
        if self.submitted.len() >= MAX_SUBMITTED {
            self.submitted.pop_front();
        }
        self.submitted.push_back(call_id.to_owned());
    }

    fn prune(&mut self) {
        self.pending
            .retain(|_, p| p.client.state() != ClientState::Terminated);
    }

    /// A response: `None` when it answers nothing of the IWF; else the notice now owed, if any.
    pub fn on_response(&mut self, response: &Message, now: Instant) -> Option<Option<Notice>> {
        let status = response.status()?;
        let branch = response.vias().ok()?.first()?.branch()?.to_owned();
        let pending = self.pending.get_mut(&branch)?;
        pending.client.handle_response(status, now);
        let job = pending.job;
        match pending.client.poll_event() {
            Some(ClientEvent::Final(status)) => {
                Some(self.part_ended(job, (200..300).contains(&status)))
            }
            _ => Some(None),
        }
    }

    /// A request of the IWF could not be sent: `None` when `branch` is not one.
    pub fn transport_error(&mut self, branch: &str) -> Option<Option<Notice>> {
        let pending = self.pending.remove(branch)?;
        Some(self.part_ended(pending.job, false))
    }

    /// One part of `job` ended; the notice when it was the last and all went through.
    fn part_ended(&mut self, job: Option<u64>, ok: bool) -> Option<Notice> {
        let id = job?;
        let entry = self.jobs.get_mut(&id)?;
        entry.left = entry.left.saturating_sub(1);
        entry.failed |= !ok;
        if entry.left > 0 {
            return None;
        }
        let job = self.jobs.remove(&id)?;
        match job.failed {
            true => None,
            false => job.notice,
        }
    }

    /// The earliest timer: a fallback due or a retransmission.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let clients = self
            .pending
            .values()
            .filter_map(|p| p.client.poll_timeout());
        self.waiting.iter().map(|w| w.due).chain(clients).min()
    }

    /// Fires retransmissions and timeouts: what to send, and the notices owed.
    pub fn handle_timeout(&mut self, now: Instant) -> (Vec<Transmit>, Vec<Notice>) {
        let (mut out, mut ended) = (Vec::new(), Vec::new());
        for (branch, pending) in &mut self.pending {
            if pending.client.poll_timeout().is_none_or(|at| at > now) {
                continue;
            }
            pending.client.handle_timeout(now);
            out.extend(drain(
                &mut pending.client,
                pending.transport,
                pending.dst,
                branch,
            ));
            if let Some(ClientEvent::Timeout) = pending.client.poll_event() {
                ended.push(pending.job);
            }
        }
        let notices = ended
            .into_iter()
            .filter_map(|job| self.part_ended(job, false))
            .collect();
        self.prune();
        (out, notices)
    }
}

/// The originator the `fallback-from-iwf` fault puts on SMS: the IWF's own access number.
const SERVICE_NUMBER: &str = "+8610658000";

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;

    use rcs_proto::sip::MessageBuilder;
    use serde_json::json;

    use super::*;

    const CENTRE: &str = "127.0.0.1:5090";

    fn iwf(settings: serde_json::Value, faults: &[&str]) -> Iwf {
        let settings = Settings::from_map(settings.as_object().unwrap()).unwrap();
        let ids: Vec<String> = faults.iter().map(|f| (*f).to_owned()).collect();
        let mut iwf = Iwf::new(&settings, Faults::from_ids(&ids).unwrap());
        let centre = SmsCentre::default();
        let peer = Peer {
            name: "sms".to_owned(),
            kind: RoleKind::SmsCenter,
            subscriber: None,
            sip_udp: Some(CENTRE.parse().unwrap()),
            sip_tcp: None,
            sip_tls: None,
            http: None,
            carrier: Carrier::Cmcc,
        };
        centre.learn(&BTreeMap::from([("sms".to_owned(), peer)]));
        iwf.set_centre(centre);
        iwf
    }

    fn sms(text: &str) -> Sms {
        Sms {
            originator: "+8613800000001".to_owned(),
            recipient: "+8613900000002".to_owned(),
            text: text.to_owned(),
        }
    }

    fn notice() -> Notice {
        Notice {
            sender: rcs_proto::sip::Uri::parse("tel:+8613800000001").unwrap(),
            recipient: "tel:+8613900000002".to_owned(),
            imdn_id: "Msg1".to_owned(),
            headers: Vec::new(),
        }
    }

    fn answer(transmit: &Transmit, status: u16) -> Message {
        let request = Message::parse(transmit.bytes.clone()).unwrap();
        MessageBuilder::response_to(&request, status, "X").build()
    }

    fn via(_: Transport) -> SocketAddr {
        "127.0.0.1:5060".parse().unwrap()
    }

    #[test]
    fn settings_are_checked_and_fallback_is_off_by_default() {
        let off = Settings::from_map(&serde_json::Map::new()).unwrap();
        assert!(!Iwf::new(&off, Faults::default()).active());
        for bad in [json!({"fallback": "mms"}), json!({"fallback-timer": "0s"})] {
            assert!(
                Settings::from_map(bad.as_object().unwrap()).is_err(),
                "{bad}"
            );
        }
        assert!(iwf(json!({"fallback": "sms"}), &[]).active());
    }

    #[test]
    fn the_notice_is_owed_once_every_part_is_accepted() {
        let mut iwf = iwf(json!({"fallback": "sms"}), &[]);
        let now = Instant::now();
        let out = iwf
            .submit(sms(&"长".repeat(150)), Some(notice()), via, now)
            .unwrap();
        assert_eq!(out.len(), 3);
        assert!(out.iter().all(|t| t.dst == CENTRE.parse().unwrap()));
        let first = Message::parse(out[0].bytes.clone()).unwrap();
        assert_eq!(
            first.header("P-Asserted-Identity"),
            Some("<tel:+8613800000001>")
        );
        assert_eq!(iwf.on_response(&answer(&out[0], 202), now), Some(None));
        assert_eq!(iwf.on_response(&answer(&out[1], 202), now), Some(None));
        let owed = iwf.on_response(&answer(&out[2], 202), now).unwrap();
        assert_eq!(owed.unwrap().imdn_id, "Msg1");
        let stray = MessageBuilder::response_to(&first, 200, "OK").build();
        assert_eq!(
            iwf.on_response(&stray, now),
            Some(None),
            "a retransmitted final"
        );
    }

    #[test]
    fn a_refused_part_owes_nothing_and_the_fault_changes_the_originator() {
        let mut iwf = iwf(
            json!({"fallback": "sms"}),
            &["message-center.fallback-from-iwf"],
        );
        let now = Instant::now();
        let out = iwf.submit(sms("hi"), Some(notice()), via, now).unwrap();
        let request = Message::parse(out[0].bytes.clone()).unwrap();
        assert_eq!(
            request.header("P-Asserted-Identity"),
            Some("<tel:+8610658000>")
        );
        assert_eq!(iwf.on_response(&answer(&out[0], 500), now), Some(None));
    }

    #[test]
    fn stored_messages_fall_due_after_the_timer() {
        let mut iwf = iwf(json!({"fallback": "sms", "fallback-timer": "90s"}), &[]);
        let now = Instant::now();
        iwf.on_stored("+8613800000002", sms("x"), Some("Id1"), (None, None), now);
        iwf.on_stored("+8613800000002", sms("y"), None, (None, None), now);
        assert_eq!(iwf.poll_timeout(), Some(now + Duration::from_secs(90)));
        assert!(iwf.due(now + Duration::from_secs(89)).is_empty());
        let due = iwf.due(now + Duration::from_secs(90));
        assert_eq!(due.len(), 1, "a message without an id is not watched");
        assert_eq!(due[0].imdn_id, "Id1");
        assert!(iwf.due(now + Duration::from_secs(200)).is_empty());
    }

    #[test]
    fn the_centre_reports_are_recognised() {
        let iwf = iwf(json!({"fallback": "sms"}), &[]);
        let report = MessageBuilder::request("MESSAGE", "tel:+8613800000001")
            .body(rcs_proto::sms::CONTENT_TYPE, vec![3, 1])
            .build();
        assert!(iwf.is_from_centre(&report, CENTRE.parse().unwrap()));
        assert!(!iwf.is_from_centre(&report, "127.0.0.1:1".parse().unwrap()));
    }
}
