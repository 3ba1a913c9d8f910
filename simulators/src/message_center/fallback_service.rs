//! Where the message center's request handling meets the IWF (`fallback`; protocols.md §9.2):
//! a CPM MESSAGE for a user without RCS, a message just stored, the fallback timers, the IWF's
//! responses, and the delivery notification to the sender (sent to the sender's binding, or to
//! the interworking gateway when the sender is another carrier's user; dropped when the sender
//! is offline), and the `FALLBACK_SMS` billing record of each message that went as SMS
//! (protocols.md §10.3: chargeable, `final_status` `fallback_sms`, in place of a `P2P_MT`). It
//! decides nothing the `fallback` module does not.

use std::net::SocketAddr;
use std::time::Instant;

use rcs_harness::events::Transport;
use rcs_harness::role::{Carrier, Subscriber};
use rcs_proto::sip::{MAGIC_COOKIE, Message, NameAddr, Uri};

use super::super::cdr::{self, NetCdr};
use super::super::config::Fault;
use super::super::deferred;
use super::super::fallback::{SmsCentre, eligible};
use super::super::fallback_sms::{self, Notice, Sms};
use super::super::proxy::{self, Transmit};
use super::super::reply;
use super::{Core, Outcome};

impl Core {
    /// Hands SMS fallback its SMS centre.
    pub fn with_sms_centre(mut self, centre: SmsCentre) -> Self {
        self.iwf.set_centre(centre);
        self
    }

    /// Whether `request` is the SMS centre's report to an SMS the IWF submitted.
    pub(super) fn is_sms_centre_report(&self, request: &Message, src: SocketAddr) -> bool {
        self.iwf.is_from_centre(request, src)
    }

    /// A CPM MESSAGE for `uri`, a user without RCS: `202` and its SMS, or `None` when the IWF
    /// does not take it (fallback off, no SMS form, an RCS user, no SMS centre).
    pub(super) fn fall_back(
        &mut self,
        request: &Message,
        uri: &Uri,
        src: SocketAddr,
        now: Instant,
    ) -> Option<Outcome> {
        if !self.iwf.active() || !self.is_eligible(request, src) {
            return None;
        }
        let recipient = match self.directory.by_uri(uri) {
            Some(subscriber) if subscriber.rcs => return None,
            Some(subscriber) => subscriber.msisdn.clone(),
            None => non_rcs_number(uri)?,
        };
        let sms = self.sms_of(request, recipient.clone(), src)?;
        let notice = fallback_sms::notice_of(request, &uri.to_string());
        let via = self.via_of();
        match self.iwf.submit(sms, notice, via, now) {
            Ok(out) => {
                if let Some(record) = fallback_cdr(request) {
                    self.cdrs.fell_back(&recipient, &record);
                    self.cdrs.store().record(record);
                }
                let accepted = reply::response(request, 202, "Accepted").build();
                Some(Outcome::RespondAnd(accepted, out))
            }
            Err(err) => {
                tracing::warn!("{err}");
                None
            }
        }
    }

    /// Starts the fallback timer of a message just stored for `recipient`.
    pub(super) fn watch_stored(
        &mut self,
        request: &Message,
        recipient: &Subscriber,
        src: SocketAddr,
        now: Instant,
    ) {
        if !self.iwf.active() || !self.is_eligible(request, src) {
            return;
        }
        let Some(sms) = self.sms_of(request, recipient.msisdn.clone(), src) else {
            return;
        };
        let notice = fallback_sms::notice_of(request, &recipient.sip_uri());
        let id = rcs_proto::cpim::CpimMessage::parse(request.body())
            .ok()
            .and_then(|cpim| cpim.imdn_message_id().map(str::to_owned));
        let record = fallback_cdr(request);
        self.iwf
            .on_stored(&recipient.msisdn, sms, id.as_deref(), (notice, record), now);
    }

    /// Sends as SMS each stored message whose timer ran out and that is still stored.
    pub(super) fn fallback_timeout(&mut self, now: Instant) -> Vec<Transmit> {
        let (mut out, notices) = self.iwf.handle_timeout(now);
        for notice in notices {
            out.extend(self.send_notice(notice, now));
        }
        let keep = self.iwf.keeps_stored_copy();
        for waiting in self.iwf.due(now) {
            if !self.saf.withdraw(&waiting.user, &waiting.imdn_id, keep) {
                continue;
            }
            let via = self.via_of();
            match self.iwf.submit(waiting.sms, waiting.notice, via, now) {
                Ok(sent) => {
                    out.extend(sent);
                    if let Some(record) = waiting.cdr {
                        self.cdrs.fell_back(&waiting.user, &record);
                        self.cdrs.store().record(record);
                    }
                }
                Err(err) => tracing::warn!("{err}"),
            }
        }
        out
    }

    /// A response to the IWF: `None` when it is not one.
    pub(super) fn fallback_response(
        &mut self,
        response: &Message,
        now: Instant,
    ) -> Option<Vec<Transmit>> {
        let notice = self.iwf.on_response(response, now)?;
        Some(match notice {
            Some(notice) => self.send_notice(notice, now),
            None => Vec::new(),
        })
    }

    /// A request of the IWF could not be sent: `None` when `branch` is not one.
    pub(super) fn fallback_transport_error(
        &mut self,
        branch: &str,
        now: Instant,
    ) -> Option<Vec<Transmit>> {
        let notice = self.iwf.transport_error(branch)?;
        Some(match notice {
            Some(notice) => self.send_notice(notice, now),
            None => Vec::new(),
        })
    }

    /// Whether `request` is a message a phone would show (see `fallback::eligible`).
    fn is_eligible(&self, request: &Message, src: SocketAddr) -> bool {
        let from_trunk = self.trunk.is_from_trunk(request, src);
        match eligible::check(request, from_trunk, &self.config.faults) {
            Ok(()) => true,
            Err(why) => {
                tracing::debug!(?why, "not converted to SMS");
                false
            }
        }
    }

    /// The SMS of `request` for `recipient`, from the sender's MSISDN.
    fn sms_of(&self, request: &Message, recipient: String, src: SocketAddr) -> Option<Sms> {
        let faults = &self.config.faults;
        let with_link = !faults.has(Fault::FallbackFileWithoutLink);
        let text = fallback_sms::text_of(request, with_link).or_else(|| {
            match faults.has(Fault::FallbackConvertsNotifications) {
                true => eligible::notification_text(request),
                false => None,
            }
        })?;
        let originator = self.originator(request, src)?;
        Some(Sms {
            originator,
            recipient,
            text,
        })
    }

    /// The sender's MSISDN: of its subscriber here, else of the identity the gateway asserted,
    /// else of its From.
    fn originator(&self, request: &Message, src: SocketAddr) -> Option<String> {
        let from = request.from_header().ok()?.uri;
        if let Some(subscriber) = self.directory.by_uri(&from) {
            return Some(subscriber.msisdn.clone());
        }
        let asserted = self
            .carriers
            .identity(request, src)
            .and_then(|identity| NameAddr::parse(identity.trim()).ok())
            .map(|identity| identity.uri);
        number(&asserted.unwrap_or(from))
    }

    /// The Via address for each transport.
    fn via_of(&self) -> impl Fn(Transport) -> SocketAddr + use<> {
        let (udp, tls) = (self.via_addr, self.via_tls);
        move |transport| match transport {
            Transport::Tls => tls.unwrap_or(udp),
            Transport::Udp | Transport::Tcp => udp,
        }
    }

    /// Sends `notice` to the sender.
    fn send_notice(&mut self, notice: Notice, now: Instant) -> Vec<Transmit> {
        let binding = match self.directory.by_uri(&notice.sender) {
            Some(subscriber) => self.bindings.best(&subscriber.msisdn, now).cloned(),
            None => self
                .carriers
                .binding_for(&notice.sender, &self.directory, now),
        };
        let Some(binding) = binding else {
            tracing::info!(sender = %notice.sender, "sender unreachable: no fallback notification");
            return Vec::new();
        };
        let via = self.via_of()(binding.transport);
        let branch = format!("{MAGIC_COOKIE}{}", reply::token(20));
        let stored = fallback_sms::notification(&notice, now);
        let request = deferred::request(&stored, &binding, via, &branch, None);
        let dst = proxy::next_hop(&binding);
        self.iwf.send(request, binding.transport, dst, &branch, now)
    }
}

/// The `FALLBACK_SMS` record of `request` (protocols.md §10.3); not matched to any answer.
fn fallback_cdr(request: &Message) -> Option<NetCdr> {
    let base = cdr::of_request(request)?;
    Some(NetCdr {
        record_type: FALLBACK_SMS.to_owned(),
        final_status: "fallback_sms".to_owned(),
        call_id: String::new(),
        ..base
    })
}

/// The record type of a message that went as SMS (protocols.md §10.3).
const FALLBACK_SMS: &str = "FALLBACK_SMS";

/// The number of `uri` when it is in a range without RCS (protocols.md §9.1 number plan).
fn non_rcs_number(uri: &Uri) -> Option<String> {
    let number = number(uri)?;
    Carrier::ALL
        .iter()
        .any(|carrier| number.starts_with(carrier.non_rcs_prefix()))
        .then_some(number)
}

/// The `+` number of a tel or SIP URI.
fn number(uri: &Uri) -> Option<String> {
    let user = uri.user_decoded()?;
    let user = user.split(';').next().unwrap_or_default();
    let digits = user.strip_prefix('+')?;
    let valid =
        !digits.is_empty() && digits.len() <= 20 && digits.bytes().all(|b| b.is_ascii_digit());
    valid.then(|| user.to_owned())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn numbers_of_non_rcs_ranges_are_recognised() {
        let uri = |s: &str| Uri::parse(s).unwrap();
        assert_eq!(
            non_rcs_number(&uri("tel:+8613900000007")).as_deref(),
            Some("+8613900000007")
        );
        assert_eq!(
            non_rcs_number(&uri("sip:+8615300000001@ims.mnc011.mcc460.3gppnetwork.org")).as_deref(),
            Some("+8615300000001")
        );
        assert_eq!(non_rcs_number(&uri("tel:+8613800000001")), None);
        assert_eq!(non_rcs_number(&uri("sip:alice@example.com")), None);
    }
}
