//! The requests a terminal originates, each as one method of [`Core`]: the REGISTER dance,
//! a pager chat MESSAGE, an OPTIONS query and an IMDN (protocols.md §2.2-2.5, §3.1, §4.3, §4.7).
//!
//! Every request takes its identity and pre-loaded Route from the last registration, gets a fresh
//! Call-ID, tag and branch, and runs one client transaction to the message center. Deciding what
//! a case sees of the result is the actions' job; this module reports what was sent and what came
//! back. Faults are read where the rule they break is applied.

use std::time::{Duration, SystemTime};

use rcs_proto::imdn::{DeliveryStatus, DisplayStatus, Imdn, Notification};
use rcs_proto::sip::Message;

use super::client::Outcome;
use super::core::Core;
use super::faults::Fault;
use super::ids;
use super::pager::{self, Chat, Conversation, Envelope, Written};
use super::params::ImdnStatus;
use super::register::{
    RegisterRequest, answer_challenge, initial_authorization, is_success, read_ok,
};
use super::request::RequestHead;
use super::state::Received;
use super::tags::ContactUse;

/// What a REGISTER dance sent last and how it ended.
#[derive(Debug)]
pub(crate) struct RegisterSent {
    pub outcome: Outcome,
    pub call_id: String,
    pub contact: String,
    pub authorization: String,
    /// Why a challenge could not be answered, if that ended the dance.
    pub auth_error: Option<String>,
}

/// A request sent and how its transaction ended.
#[derive(Debug)]
pub(crate) struct Sent {
    pub outcome: Outcome,
    pub request: Message,
    /// The body as sent.
    pub body: Vec<u8>,
}

/// An IMDN sent.
#[derive(Debug)]
pub(crate) struct ImdnSent {
    pub outcome: Outcome,
    pub call_id: String,
    /// The IMDN's own `imdn.Message-ID`.
    pub message_id: String,
}

impl Core {
    /// REGISTER (Expires: `expires`), answering one 401 challenge with `password`; a 2xx
    /// updates the registration. The whole dance waits at most `wait`.
    pub(crate) async fn register(
        &self,
        expires: u32,
        password: &str,
        wait: Duration,
    ) -> Result<RegisterSent, String> {
        let give_up = tokio::time::Instant::now() + wait;
        let mut authorization = initial_authorization(&self.subscriber);
        let mut challenged = false;
        let mut resynced = false;
        loop {
            let (call_id, from_tag, cseq) = {
                let mut state = self.state();
                let reg = &mut state.registration;
                (reg.call_id.clone(), reg.from_tag.clone(), reg.next_cseq())
            };
            let request = RegisterRequest {
                local: &self.local,
                subscriber: &self.subscriber,
                tags: &self.tags,
                call_id: &call_id,
                from_tag: &from_tag,
                cseq,
                expires,
                authorization: &authorization,
            };
            let branch = ids::branch();
            let remaining = give_up.saturating_duration_since(tokio::time::Instant::now());
            let outcome = self
                .transact(&request.build(&branch), &branch, remaining)
                .await?;
            let mut sent = RegisterSent {
                outcome,
                call_id: call_id.clone(),
                contact: request.contact(),
                authorization: authorization.clone(),
                auth_error: None,
            };
            let response = sent.outcome.response();
            if let Some(ok) = response.filter(|r| is_success(r)) {
                let registered = read_ok(ok, &self.local.contact_uri(), &self.faults);
                self.state().registered(registered, expires);
            }
            let challenge = response
                .filter(|r| r.status() == Some(401) && !challenged)
                .map(|r| r.header("WWW-Authenticate").unwrap_or_default().to_owned());
            let Some(challenge) = challenge else {
                return Ok(sent);
            };
            if super::register_aka::is_aka(&challenge) {
                // IMS AKA: one re-synchronisation may come before the answer with RES.
                let mut state = self.state();
                let usim = state.registration.usim.as_mut();
                let cnonce = ids::cnonce();
                match super::register_aka::answer_aka(
                    &challenge,
                    &self.subscriber,
                    usim,
                    &cnonce,
                    &self.faults,
                ) {
                    Ok(reply) => {
                        authorization = reply.authorization;
                        challenged = !reply.resync || resynced;
                        resynced |= reply.resync;
                    }
                    Err(error) => {
                        sent.auth_error = Some(error);
                        return Ok(sent);
                    }
                }
                continue;
            }
            match answer_challenge(
                &challenge,
                &self.subscriber,
                password,
                &ids::cnonce(),
                &self.faults,
            ) {
                Ok(answer) => authorization = answer,
                Err(error) => {
                    sent.auth_error = Some(error);
                    return Ok(sent);
                }
            }
            challenged = true;
        }
    }

    /// A pager-mode chat MESSAGE to `target`.
    pub(crate) async fn send_chat(
        &self,
        target: &str,
        chat: Chat<'_>,
        wait: Duration,
    ) -> Result<Sent, String> {
        self.send_chat_with(target, chat, wait, Ok).await
    }

    /// As [`Core::send_chat`], with `adjust` applied to the MESSAGE before it is sent (e.g. an
    /// extra Accept-Contact for a file-transfer descriptor).
    pub(crate) async fn send_chat_with(
        &self,
        target: &str,
        chat: Chat<'_>,
        wait: Duration,
        adjust: impl FnOnce(Message) -> Result<Message, String>,
    ) -> Result<Sent, String> {
        let (identity, route, conversation_id) = {
            let mut state = self.state();
            let conversation_id = state.conversation_id(target);
            let reg = &state.registration;
            (
                reg.identity.clone(),
                reg.service_route.clone(),
                conversation_id,
            )
        };
        let conversation = Conversation {
            conversation_id,
            contribution_id: ids::uuid(),
        };
        let (call_id, from_tag, branch) = (ids::uuid(), ids::tag(), ids::branch());
        let envelope = Envelope {
            local: &self.local,
            identity: &identity,
            target,
            route: &route,
            call_id: &call_id,
            from_tag: &from_tag,
            branch: &branch,
        };
        let Written { message, body } = pager::chat(&envelope, &conversation, &chat, &self.faults);
        let message = super::bot_sip::adjust_pager(self, target, message)?;
        let message = adjust(message)?;
        let outcome = self.transact(&message, &branch, wait).await?;
        Ok(Sent {
            outcome,
            request: message,
            body,
        })
    }

    /// OPTIONS to `target` with the terminal's own capabilities (protocols.md §3.1).
    pub(crate) async fn send_options(&self, target: &str, wait: Duration) -> Result<Sent, String> {
        let (identity, route) = {
            let state = self.state();
            let reg = &state.registration;
            (reg.identity.clone(), reg.service_route.clone())
        };
        let (call_id, from_tag, branch) = (ids::uuid(), ids::tag(), ids::branch());
        let head = RequestHead {
            method: "OPTIONS",
            request_uri: target,
            from: &identity,
            from_tag: &from_tag,
            to: target,
            call_id: &call_id,
            cseq: 1,
            route: &route,
        };
        let contact = self
            .tags
            .contact(&self.local.contact_uri(), ContactUse::Capabilities);
        let request = head
            .start(&self.local, &branch)
            .header("Contact", &contact)
            .header("Accept", "application/sdp")
            .build();
        let outcome = self.transact(&request, &branch, wait).await?;
        Ok(Sent {
            outcome,
            request,
            body: Vec::new(),
        })
    }

    /// The IMDN about message `for_id` and the IMDN's own new `imdn.Message-ID` (RFC 5438 7).
    pub(crate) fn imdn_document(&self, for_id: &str, status: ImdnStatus) -> (String, Imdn) {
        let message_id = match self.faults.has(Fault::ImdnReusesMessageId) {
            true => for_id.to_owned(),
            false => ids::imdn_message_id(),
        };
        let reference = match self.faults.has(Fault::ImdnWrongReference) {
            true => ids::imdn_message_id(),
            false => for_id.to_owned(),
        };
        let imdn = Imdn {
            message_id: reference,
            datetime: ids::date_time(SystemTime::now()),
            recipient_uri: None,
            original_recipient_uri: None,
            notification: match status {
                ImdnStatus::Delivered => Notification::Delivery(DeliveryStatus::Delivered),
                ImdnStatus::Displayed => Notification::Display(DisplayStatus::Displayed),
            },
        };
        (message_id, imdn)
    }

    /// An IMDN about message `for_id` to the sender of `received` (RFC 5438 7, protocols.md §4.7).
    pub(crate) async fn send_imdn(
        &self,
        received: &Received,
        for_id: &str,
        status: ImdnStatus,
        wait: Duration,
    ) -> Result<ImdnSent, String> {
        let (identity, route, conversation_id) = {
            let mut state = self.state();
            let conversation_id = state.conversation_id(&received.sender);
            let reg = &state.registration;
            (
                reg.identity.clone(),
                reg.service_route.clone(),
                conversation_id,
            )
        };
        let conversation = Conversation {
            conversation_id: received.conversation_id.clone().unwrap_or(conversation_id),
            contribution_id: received.contribution_id.clone().unwrap_or_else(ids::uuid),
        };
        let (message_id, imdn) = self.imdn_document(for_id, status);
        let (call_id, from_tag, branch) = (ids::uuid(), ids::tag(), ids::branch());
        let envelope = Envelope {
            local: &self.local,
            identity: &identity,
            target: &received.sender,
            route: &route,
            call_id: &call_id,
            from_tag: &from_tag,
            branch: &branch,
        };
        let body =
            super::receipts::imdn_cpim(self, &identity, &received.sender, &message_id, &imdn);
        let written = pager::imdn_with_body(&envelope, &conversation, body, &self.faults);
        let outcome = self.transact(&written.message, &branch, wait).await?;
        Ok(ImdnSent {
            outcome,
            call_id,
            message_id,
        })
    }
}
