//! In-dialog UPDATE across an anchored session (RFC 3311; session refresh, RFC 4028 7-9), for the
//! message center's and the interworking gateway's B2BUA.
//!
//! An UPDATE received in one leg's dialog is fed to that dialog (RFC 3261 12.2.2: a CSeq lower
//! than the last is answered 500) and goes on as a new UPDATE in the other leg's dialog, with
//! the caller's `Session-Expires`, `Min-SE` and `Supported`, on a client transaction of the
//! B2BUA's own. Its final response comes back to the sender with the same status and the
//! answer's `Session-Expires` and `Require`; a 2xx restarts the call's session timer with the
//! interval granted. A retransmission of an UPDATE still in flight is absorbed. Not handled: an
//! UPDATE carrying an SDP offer is answered 488 (the anchored MSRP media is not renegotiated,
//! so no `a=path` rewrite happens), and re-INVITE (answered by the caller of the B2BUA).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rcs_harness::events::Transport;
use rcs_proto::sip::Message;

use super::{B2bua, Leg, Phase, Transmit, reply};

/// The most UPDATEs in flight at once.
const MAX_UPDATES: usize = 256;

/// Headers of an UPDATE carried to the other leg.
const CARRIED: &[&str] = &["Session-Expires", "Min-SE", "Supported"];

/// Headers of the final response carried back to the sender.
const ANSWERED: &[&str] = &["Session-Expires", "Require"];

/// An UPDATE relayed to the other leg, awaiting its answer.
#[derive(Debug)]
pub(super) struct RelayedUpdate {
    call: u64,
    request: Message,
    transport: Transport,
    src: SocketAddr,
}

impl B2bua {
    /// An UPDATE from `(transport, src)`: `None` when it belongs to no anchored call, else what
    /// to send (the answer at once, or the UPDATE on the other leg).
    pub fn on_update(
        &mut self,
        update: &Message,
        (transport, src): (Transport, SocketAddr),
        now: Instant,
    ) -> Option<Vec<Transmit>> {
        let answer = |status: u16, reason: &str| {
            let response = reply::response(update, status, reason).build();
            vec![Transmit {
                bytes: response.raw().clone(),
                transport,
                dst: src,
                branch: None,
            }]
        };
        let (&id, call) = self.calls.iter_mut().find(|(_, c)| {
            c.a.dialog.as_ref().is_some_and(|d| d.matches(update))
                || c.b.dialog.as_ref().is_some_and(|d| d.matches(update))
        })?;
        if self
            .updates
            .values()
            .any(|u| is_same_request(&u.request, update))
        {
            return Some(Vec::new());
        }
        if call.phase != Phase::Established {
            return Some(answer(481, "Call/Transaction Does Not Exist"));
        }
        if !update.body().is_empty() {
            return Some(answer(488, "Not Acceptable Here"));
        }
        let from_a = call.a.dialog.as_ref().is_some_and(|d| d.matches(update));
        let dialog = match from_a {
            true => call.a.dialog.as_mut(),
            false => call.b.dialog.as_mut(),
        };
        if !dialog.is_some_and(|d| d.handle_request(update)) {
            return Some(answer(500, "Server Internal Error"));
        }
        if self.updates.len() >= MAX_UPDATES {
            return Some(answer(503, "Service Unavailable"));
        }
        let other = if from_a { Leg::B } else { Leg::A };
        let (mut builder, target) = self.in_dialog(id, other, "UPDATE")?;
        for name in CARRIED {
            for value in update.header_all(name) {
                builder = builder.header(name, value);
            }
        }
        let bytes = builder.build().raw().clone();
        let branch = branch_of(&bytes)?;
        self.updates.insert(
            branch.clone(),
            RelayedUpdate {
                call: id,
                request: update.clone(),
                transport,
                src,
            },
        );
        Some(self.send_uac_on(branch, bytes, target, now))
    }

    /// A final response to a relayed UPDATE of branch `branch`: the same answer to its sender.
    /// `None` when the branch is no relayed UPDATE's.
    pub(super) fn on_update_response(
        &mut self,
        branch: &str,
        response: &Message,
        now: Instant,
    ) -> Option<Vec<Transmit>> {
        let status = response.status()?;
        if !self.updates.contains_key(branch) {
            return None;
        }
        if status < 200 {
            return Some(Vec::new());
        }
        let relayed = self.updates.remove(branch)?;
        let reason = response.reason().unwrap_or("OK");
        let mut builder = reply::response(&relayed.request, status, reason);
        for name in ANSWERED {
            for value in response.header_all(name) {
                builder = builder.header(name, value);
            }
        }
        if (200..300).contains(&status)
            && let Some(call) = self.calls.get_mut(&relayed.call)
            && call.phase == Phase::Established
        {
            let granted = session_interval(response).unwrap_or(call.expires);
            call.expires = granted;
            call.expires_at = Some(now + granted);
        }
        Some(vec![Transmit {
            bytes: builder.build().raw().clone(),
            transport: relayed.transport,
            dst: relayed.src,
            branch: None,
        }])
    }
}

/// The session interval a response grants (RFC 4028 4), capped as the B2BUA caps the INVITE's.
fn session_interval(response: &Message) -> Option<Duration> {
    let seconds = response
        .header("Session-Expires")?
        .split(';')
        .next()?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(Duration::from_secs(
        seconds.clamp(90, super::MAX_SESSION_EXPIRES),
    ))
}

/// Whether two requests are the same transaction of the same dialog (a retransmission).
fn is_same_request(a: &Message, b: &Message) -> bool {
    let branch = |m: &Message| {
        m.vias()
            .ok()
            .and_then(|v| v.first().and_then(|v| v.branch().map(str::to_owned)))
    };
    a.call_id() == b.call_id() && a.header("CSeq") == b.header("CSeq") && branch(a) == branch(b)
}

fn branch_of(bytes: &bytes::Bytes) -> Option<String> {
    let message = Message::parse(bytes.clone()).ok()?;
    let vias = message.vias().ok()?;
    vias.first()?.branch().map(str::to_owned)
}
