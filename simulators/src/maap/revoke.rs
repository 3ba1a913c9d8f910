//! Revoking a chatbot message (protocols.md §4.9; CMCC `RevokeRequested`, CT/CU `revoke`, §8).
//!
//! A message is revocable for a recipient while the MaaP has no delivery or display report from
//! them and it was not failed or handed to SMS: the MaaP then sends the revoke request (a pager
//! MESSAGE whose CPIM content is `application/vnd.gsma.rcsrevoke+xml` naming the
//! `imdn.Message-ID`) through the message center, marks the message Revoked and records it in
//! the billing record (`final_status` `revoked`, not chargeable). Otherwise the revoke fails and
//! nothing is sent. The message center's revoke result is not awaited: the outcome is the MaaP's
//! own decision, as a platform that has seen no report must make it.

use rcs_proto::cpim::CpimBuilder;
use rcs_proto::revoke::{REVOKE_CONTENT_TYPE, Revoke};

use super::engine::{Delivery, Engine};
use super::ids;
use super::mt_message::{CHATBOT_SA_IARI, chatbot_contact};
use super::tracking::Sent;
use super::uac::RequestHead;

impl Engine {
    /// Withdraws `message_id` from `to` when it is still revocable.
    pub(crate) async fn revoke_one(&self, chatbot: &str, message_id: &str, to: &str) -> Delivery {
        let Some(sent) = self.tracking().get(message_id, to) else {
            return Delivery::RevokeFailed;
        };
        let same_bot = self
            .chatbot(chatbot)
            .is_some_and(|b| super::settings::same_uri(&b.uri, &sent.chatbot));
        if !same_bot || sent.delivery != Delivery::Sent {
            return Delivery::RevokeFailed;
        }
        self.tracking()
            .set(message_id, &sent.recipient, Delivery::Revoked);
        self.cdrs().update(message_id, &sent.recipient, |cdr| {
            cdr.final_status = "revoked".to_owned();
            cdr.chargeable = false;
        });
        self.send_revoke(&sent).await;
        Delivery::Revoked
    }

    /// The revoke request for `sent`, through the trunk; its outcome is only logged.
    async fn send_revoke(&self, sent: &Sent) {
        let core = self.core();
        let Some(trunk) = core.message_center() else {
            return;
        };
        let cpim = CpimBuilder::new()
            .from(&sent.chatbot)
            .to(&sent.target)
            .datetime(&ids::now_rfc3339())
            .ns("imdn", "urn:ietf:params:imdn")
            .header("imdn.Message-ID", &ids::message_id())
            .content_type(REVOKE_CONTENT_TYPE)
            .body(Revoke::new(&sent.imdn_id).to_xml())
            .build();
        let service = super::tracking::number(&sent.chatbot).to_owned();
        let contact = chatbot_contact(&core.contact_uri(&service), &[CHATBOT_SA_IARI], false);
        let head = RequestHead::new();
        let request = head
            .builder(core, "MESSAGE", &sent.target, &sent.chatbot, &sent.target)
            .header("P-Asserted-Identity", &format!("<{}>", sent.chatbot))
            .header("Contact", &contact)
            .header("Conversation-ID", &sent.conversation_id)
            .header("Contribution-ID", &ids::uuid())
            .body("message/cpim", cpim)
            .build();
        let outcome = core.transact(&request, &head.branch, trunk).await;
        tracing::debug!(role = %core.role, status = outcome.status(), "revoke request answered");
    }
}
