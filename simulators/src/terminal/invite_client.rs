//! The terminal's INVITE client transactions and the requests of its dialogs (RFC 3261 13.2.2,
//! 17.1.1; 12.2.1).
//!
//! An INVITE runs a [`ClientInvite`] on the case clock, sent to the message center like every
//! request the terminal originates; provisional responses are absorbed, a non-2xx final is ACKed
//! by the transaction itself, a 2xx ends it and the caller ACKs in the dialog ([`Core::ack`]).
//! In-dialog requests (BYE) run the ordinary non-INVITE transaction; [`without_headers`] leaves
//! headers a case asked to omit out of an INVITE. This module does not decide what to do with a
//! session: `chat` and `invite_in` do.

use std::time::Duration;

use bytes::Bytes;
use rcs_harness::events::Transport;
use rcs_proto::sip::transaction::{ClientEvent, ClientInvite, Timers};
use rcs_proto::sip::{Dialog, Message};

use super::client::{Outcome, sleep_until};
use super::core::Core;
use super::ids;
use super::params::InviteOmit;
use crate::net::NetError;

impl Core {
    /// Sends an INVITE (whose top Via carries `branch`) and waits at most `wait` in real time for
    /// its final response.
    pub(crate) async fn invite(
        &self,
        request: &Message,
        branch: &str,
        wait: Duration,
    ) -> Result<Outcome, String> {
        let transport = self.local.transport;
        let dst = self.proxy_addr(transport)?;
        let (mut responses, _registered) = self.pending.insert(branch);
        let reliable = transport != Transport::Udp;
        let mut txn = ClientInvite::new(request, reliable, Timers::default(), self.clock.now());
        let give_up = tokio::time::Instant::now() + wait;
        let mut rejected = None;
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
            if let Some(response) = rejected {
                // The ACK of the non-2xx went out above.
                return Ok(Outcome::Final(response));
            }
            while let Some(event) = txn.poll_event() {
                if event == ClientEvent::Timeout {
                    return Ok(Outcome::Timeout);
                }
            }
            let timer = txn.poll_timeout();
            tokio::select! {
                response = responses.recv() => {
                    let Some(response) = response else { return Ok(Outcome::Timeout) };
                    txn.handle_response(&response, self.clock.now());
                    match response.status() {
                        Some(200..=299) => return Ok(Outcome::Final(response)),
                        Some(300..=699) => rejected = Some(response),
                        _ => {}
                    }
                }
                () = sleep_until(&self.clock, timer) => txn.handle_timeout(self.clock.now()),
                () = tokio::time::sleep_until(give_up) => return Ok(Outcome::Timeout),
            }
        }
    }

    /// Sends the ACK for the 2xx of the dialog's INVITE (CSeq 1); returns its bytes.
    pub(crate) async fn ack(&self, dialog: &Dialog) -> Result<Bytes, String> {
        let ack = dialog
            .ack(1)
            .header("Via", &self.local.via(&ids::branch()))
            .header("Max-Forwards", "70")
            .build();
        let bytes = ack.raw().clone();
        self.resend(&bytes).await?;
        Ok(bytes)
    }

    /// Sends bytes again to the message center without a transaction (an ACK).
    pub(crate) async fn resend(&self, bytes: &[u8]) -> Result<(), String> {
        self.send_raw(bytes, self.local.transport).await.map(|_| ())
    }

    /// A new request of `dialog` (BYE) and the branch of its Via, for [`Core::transact`].
    pub(crate) fn dialog_request(&self, dialog: &mut Dialog, method: &str) -> (Message, String) {
        let branch = ids::branch();
        let request = dialog
            .request(method)
            .header("Via", &self.local.via(&branch))
            .header("Max-Forwards", "70")
            .build();
        (request, branch)
    }
}

/// The request without any line of the headers `omit` names (a case's `omit`, to see the
/// message center refuse it); every other byte is kept as it was.
pub(crate) fn without_headers(request: Message, omit: &[InviteOmit]) -> Result<Message, String> {
    if omit.is_empty() {
        return Ok(request);
    }
    let raw = request.as_bytes();
    let mut kept = Vec::with_capacity(raw.len());
    let mut from = 0;
    let dropped = request
        .headers()
        .iter()
        .filter(|h| omit.iter().any(|o| h.name.eq_ignore_ascii_case(o.header())));
    for header in dropped {
        // The header's line and the CRLF that ends it.
        let end = (header.span.end + 2).min(raw.len());
        kept.extend_from_slice(raw.get(from..header.span.start).unwrap_or_default());
        from = end;
    }
    kept.extend_from_slice(raw.get(from..).unwrap_or_default());
    Message::parse(kept).map_err(|e| format!("the INVITE without {omit:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVITE: &str = "INVITE sip:bob@example.com SIP/2.0\r\n\
        Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n\
        Conversation-ID: c1\r\n\
        Contribution-ID: k1\r\n\
        Call-ID: x\r\n\
        CSeq: 1 INVITE\r\n\
        Content-Length: 0\r\n\r\n";

    #[test]
    fn omitted_headers_leave_and_the_rest_stays_byte_exact() {
        let request = Message::parse(INVITE.as_bytes().to_vec()).unwrap();
        let out = without_headers(request.clone(), &[InviteOmit::ConversationId]).unwrap();
        assert_eq!(out.header("Conversation-ID"), None);
        assert_eq!(out.header("Contribution-ID"), Some("k1"));
        assert_eq!(
            out.as_bytes(),
            INVITE.replace("Conversation-ID: c1\r\n", "").as_bytes()
        );
        let both = [InviteOmit::ConversationId, InviteOmit::ContributionId];
        let out = without_headers(request.clone(), &both).unwrap();
        assert_eq!(out.header("Contribution-ID"), None);
        assert_eq!(out.header("Call-ID"), Some("x"));
        assert_eq!(without_headers(request.clone(), &[]).unwrap(), request);
    }
}
