//! Revoking a chatbot message (protocols.md §4.9; CMCC `RevokeRequested`, CT/CU `revoke`, §8).
//!
//! A message the MaaP has a delivery or display report for, or that was failed or handed to
//! SMS, is past revoking: the revoke fails and nothing is sent. Otherwise the MaaP sends the
//! revoke request (a pager MESSAGE whose CPIM content is `application/vnd.gsma.rcsrevoke+xml`
//! naming the `imdn.Message-ID`) over the trunk to the message center, which holds the copy of a
//! user who is offline; only it knows whether the copy is still there (a message delivered
//! without a report request leaves the MaaP none the wiser), so its final response decides: a
//! 2xx means withdrawn (the message is marked Revoked and its billing record gets
//! `final_status` `revoked`, not chargeable), anything else, a timeout included, means the
//! revoke failed. With `maap.revoke-ignores-mc` the MaaP reports Revoked whatever the answer.
//! Like every request the MaaP starts, the revoke request opens a charging vector of its own
//! (RFC 7315 4.6); a revoke is not billed, so no record carries its icid.

use rcs_proto::cpim::CpimBuilder;
use rcs_proto::revoke::{REVOKE_CONTENT_TYPE, Revoke};

use super::engine::{Delivery, Engine};
use super::ids;
use super::mt_message::{CHATBOT_SA_IARI, charging_vector, chatbot_contact, new_icid};
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
        let status = self.send_revoke(&sent).await;
        let trusted = self.core().has_fault("maap.revoke-ignores-mc");
        if !(200..300).contains(&status) && !trusted {
            tracing::info!(
                id = message_id,
                to,
                status,
                "the message center kept no copy to revoke"
            );
            return Delivery::RevokeFailed;
        }
        self.tracking()
            .set(message_id, &sent.recipient, Delivery::Revoked);
        self.cdrs().update(message_id, &sent.recipient, |cdr| {
            cdr.final_status = "revoked".to_owned();
            cdr.chargeable = false;
        });
        Delivery::Revoked
    }

    /// Sends the revoke request for `sent` over the trunk; the status of its final response
    /// (503 without a message center).
    async fn send_revoke(&self, sent: &Sent) -> u16 {
        let core = self.core();
        let Some(trunk) = core.message_center() else {
            return 503;
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
            .header("P-Charging-Vector", &charging_vector(core, &new_icid()))
            .header("Conversation-ID", &sent.conversation_id)
            .header("Contribution-ID", &ids::uuid())
            .body("message/cpim", cpim)
            .build();
        let outcome = core.transact(&request, &head.branch, trunk).await;
        tracing::debug!(role = %core.role, status = outcome.status(), "revoke request answered");
        outcome.status()
    }
}
