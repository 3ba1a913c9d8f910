//! Delivering a chatbot message to a user of another carrier (protocols.md §9.3, §8.1.4
//! `otherNetSupport` / `otherSmsBodyText`, §9.2 chatbot fallback): the step between the
//! per-recipient policy and the §7.2 MESSAGE in `delivery`.
//!
//! The decision is `carrier::CarrierRules::route`'s. A user of the chatbot's own carrier, or one
//! reached over the NNI, goes on to the MESSAGE as always. A refused one (the send said
//! `otherNetSupport` false, or the `sms` profile and no other-net SMS text) fails with
//! errorCode 1 / 2 (`DeliveryImpossible`): a failed, uncharged A2P_MT record naming the rule, the
//! failure report, nothing sent. One reached by SMS gets the text through the SMS centre
//! (`sms_fallback`, from the chatbot's access number, signed): `DeliveredToNetwork`, the A2P_MT
//! record closed `fallback_sms` and a chargeable FALLBACK_SMS record, as for the §9.2 fallback;
//! an SMS the centre does not take fails with errorCode 2. This module does not retry.

use super::carrier::{CarrierRules, OutOfReach, Route};
use super::chatbots::Chatbot;
use super::delivery::SentValues;
use super::engine::{Delivery, Engine, FailCause, Outbound};
use super::sms_fallback::send_chatbot_sms;

impl Engine {
    /// Delivers `out` to `to` when it is a user of another carrier not reached by the MESSAGE
    /// (refused, or by SMS); None when the MESSAGE is to be sent.
    pub(crate) async fn other_net(
        &self,
        bot: &Chatbot,
        out: &Outbound,
        to: &str,
    ) -> Option<SentValues> {
        let core = self.core();
        let rules = CarrierRules::new(&core.settings(), &core.subscribers, &core.faults);
        match rules.route(bot, &out.other_net, out.sms_text.as_deref(), to) {
            Route::Home | Route::Nni(_) => None,
            Route::Refused(reason) => {
                self.refuse_other_net(bot, out, to, &reason);
                Some(SentValues::default())
            }
            Route::Sms { text, .. } => {
                self.other_net_sms(bot, out, to, &text).await;
                Some(SentValues::default())
            }
        }
    }

    /// A recipient the message may not reach: failed record, failure report, nothing sent.
    fn refuse_other_net(&self, bot: &Chatbot, out: &Outbound, to: &str, reason: &OutOfReach) {
        let cause = cause_of(reason);
        let mut cdr = self.a2p_cdr(bot, out, to);
        cdr.final_status = "failed".to_owned();
        cdr.failure_cause = format!("{reason:?}");
        self.cdrs().record(cdr);
        self.report(bot, out, to, Delivery::Failed { cause });
    }

    /// The other-net SMS of `out` to `to`, and its outcome reported.
    async fn other_net_sms(&self, bot: &Chatbot, out: &Outbound, to: &str, text: &str) {
        self.cdrs().record(self.a2p_cdr(bot, out, to));
        let delivery = match send_chatbot_sms(self.core(), bot, to, text).await {
            Ok(segments) => {
                self.cdrs()
                    .record(self.other_net_sms_cdr(out, to, text, segments));
                Delivery::ToNetwork
            }
            Err(detail) => {
                tracing::warn!(%detail, user = %to, "other-net sms not sent");
                Delivery::Failed {
                    cause: FailCause::NotRcs,
                }
            }
        };
        let final_status = match delivery {
            Delivery::ToNetwork => "fallback_sms",
            _ => "failed",
        };
        self.cdrs().update(&out.message_id, to, |cdr| {
            if cdr.record_type == "A2P_MT" {
                cdr.final_status = final_status.to_owned();
                cdr.chargeable = false;
            }
        });
        self.report(bot, out, to, delivery);
    }

    /// The chargeable FALLBACK_SMS record of an other-net SMS.
    fn other_net_sms_cdr(
        &self,
        out: &Outbound,
        to: &str,
        text: &str,
        segments: u8,
    ) -> super::cdr::Cdr {
        super::cdr::Cdr {
            cdr_id: super::ids::uuid(),
            record_type: "FALLBACK_SMS".to_owned(),
            service_mode: "sms".to_owned(),
            originator: out.chatbot.clone(),
            recipient: to.to_owned(),
            chatbot_id: out.chatbot.clone(),
            api_message_id: out.message_id.clone(),
            content_type: "text/plain".to_owned(),
            size_bytes: text.len() as u64,
            segments,
            final_status: "fallback_sms".to_owned(),
            chargeable: true,
            submit_time: super::ids::now_rfc3339(),
            ..Default::default()
        }
    }
}

/// The failure a refusal reports: errorCode 2 (no way to reach the user) for a missing SMS
/// text, errorCode 1 (`DeliveryImpossible`) otherwise.
fn cause_of(reason: &OutOfReach) -> FailCause {
    match reason {
        OutOfReach::NoOtherSms(_) => FailCause::NotRcs,
        _ => FailCause::NotFound,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_harness::role::Carrier;

    use super::*;

    #[test]
    fn refusals_report_the_cause_of_their_rule() {
        assert_eq!(
            cause_of(&OutOfReach::NoOtherSms(Carrier::Cucc)),
            FailCause::NotRcs
        );
        assert_eq!(
            cause_of(&OutOfReach::NotAsked(Carrier::Ctcc)),
            FailCause::NotFound
        );
    }
}
