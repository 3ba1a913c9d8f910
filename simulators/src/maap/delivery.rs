//! Delivering one admitted send to one recipient (protocols.md §8.3, §9.2, §10.2, §10.3).
//!
//! The per-recipient policy runs first (a blocked user, or a debug chatbot's non-whitelisted
//! one, fails without any SIP). Then the §7.2 MESSAGE goes through the message center trunk:
//! 200/202 → Sent; 404 → the SMS fallback when the request carries SMS text (Delivery
//! ToNetwork, a chargeable FALLBACK_SMS record instead of the A2P_MT one), else Failed NotRcs;
//! 480/408 → Failed Offline; 403 → Blocked; 415/488 → BadContent; anything else → NotFound. IMDNs
//! coming back later (`southbound`) move the recipient to Delivered and Displayed. Every outcome
//! is reported to the chatbot's Northbound when its request asked for that report.
//!
//! The MESSAGE's outcome is reported before any later status of the same message and recipient,
//! whatever reaches the MaaP first: a phone's IMDN that overtakes the 200 is held in `tracking`
//! until [`Engine::conclude`] has reported the outcome, then handled in the order it came.

use rcs_harness::role::HOME_DOMAIN;

use super::chatbots::Chatbot;
use super::engine::{BotEvent, Delivery, Engine, FailCause, Outbound, Report};
use super::mt_message::MtMessage;
use super::sms_fallback::send_chatbot_sms;
use super::tracking::{Sent, number};
use super::uac::{Outcome, RequestHead};

/// What a push or a send did on the SIP side, for the action that asked.
#[derive(Clone, Debug, Default)]
pub(crate) struct SentValues {
    pub call_id: String,
    pub status: u16,
}

impl Engine {
    /// Delivers `out` to `to` and reports the outcome.
    pub(crate) async fn deliver(&self, bot: &Chatbot, out: &Outbound, to: &str) -> SentValues {
        if let Some(cause) = self.policy().per_recipient(bot, to) {
            let mut cdr = self.a2p_cdr(bot, out, to);
            cdr.final_status = "failed".to_owned();
            cdr.failure_cause = format!("{cause:?}");
            self.cdrs().record(cdr);
            let delivery = Delivery::Failed { cause };
            self.report(bot, out, to, delivery);
            return SentValues::default();
        }
        if let Some(values) = self.other_net(bot, out, to).await {
            return values;
        }
        self.cdrs().record(self.a2p_cdr(bot, out, to));
        // A UP1.0 phone gets the fallback body, or nothing (`up10_fallback`).
        let (values, delivery) = match self.up10_route(bot, out, to).await {
            Some(done) => done,
            None => self.send_mt(bot, out, to).await,
        };
        let delivery = match delivery {
            Delivery::Failed {
                cause: FailCause::NotRcs,
            } if out.sms_text.is_some() => self.fall_back(bot, out, to).await,
            other => other,
        };
        self.conclude(bot, out, to, delivery, values.status);
        values
    }

    /// Settles the SIP outcome of `out` to `to`: the A2P_MT record, the report of the outcome,
    /// then the IMDNs that came before it. The outcome is reported before it is settled in
    /// tracking, so a report arriving meanwhile is held too and never overtakes it.
    pub(crate) fn conclude(
        &self,
        bot: &Chatbot,
        out: &Outbound,
        to: &str,
        delivery: Delivery,
        status: u16,
    ) {
        self.record_outcome(out, to, &delivery, status);
        self.report(bot, out, to, delivery.clone());
        let early = self.tracking().settle(&out.message_id, to, delivery);
        for (sent, reported) in early {
            self.on_report(bot, &sent, reported);
        }
    }

    /// Sends the §7.2 MESSAGE through the trunk; the SIP outcome as a delivery state.
    async fn send_mt(&self, bot: &Chatbot, out: &Outbound, to: &str) -> (SentValues, Delivery) {
        let core = self.core();
        let target = self.sip_target(to);
        let imdn_id = match core.has_fault("maap.wrong-imdn-id") {
            true => format!("{}x", out.message_id),
            false => out.message_id.clone(),
        };
        let head = RequestHead::new();
        let icid = super::mt_message::new_icid();
        self.cdrs().set_icid(&out.message_id, to, &icid);
        let mt = MtMessage {
            chatbot: &bot.uri,
            service_id: bot.service_id(),
            target: &target,
            content_type: &out.content_type,
            body: &out.body,
            imdn_id: &imdn_id,
            conversation_id: &out.conversation_id,
            contribution_id: &out.contribution_id,
            in_reply_to: out.in_reply_to.as_deref(),
            traffic_type: out.traffic_type.as_deref(),
            reports: &out.reports,
            icid: &icid,
        };
        let request = mt.request(core, &head);
        self.tracking().sent(Sent {
            chatbot: bot.uri.clone(),
            message_id: out.message_id.clone(),
            imdn_id,
            recipient: to.to_owned(),
            target,
            reports: out.reports.clone(),
            delivery: Delivery::Sent,
            call_id: head.call_id.clone(),
            conversation_id: out.conversation_id.clone(),
            contribution_id: out.contribution_id.clone(),
        });
        let Some(trunk) = core.message_center() else {
            tracing::warn!(role = %core.role, "no message center to send chatbot messages through");
            let values = SentValues {
                call_id: head.call_id,
                status: 503,
            };
            return (
                values,
                Delivery::Failed {
                    cause: FailCause::NotFound,
                },
            );
        };
        let outcome = core.transact(&request, &head.branch, trunk).await;
        let status = outcome.status();
        if let Outcome::TransportError(detail) = &outcome {
            tracing::warn!(role = %core.role, %detail, "chatbot message not sent");
        }
        let values = SentValues {
            call_id: head.call_id,
            status,
        };
        (values, delivery_of(status))
    }

    /// The SMS fallback of §9.2: Delivery ToNetwork, or Failed NotRcs when it failed.
    async fn fall_back(&self, bot: &Chatbot, out: &Outbound, to: &str) -> Delivery {
        let text = out.sms_text.as_deref().unwrap_or_default();
        match send_chatbot_sms(self.core(), bot, to, text).await {
            Ok(segments) => {
                let mut cdr = self.fallback_cdr(out, to);
                cdr.segments = segments;
                self.cdrs().record(cdr);
                Delivery::ToNetwork
            }
            Err(detail) => {
                tracing::warn!(%detail, "sms fallback failed");
                Delivery::Failed {
                    cause: FailCause::NotRcs,
                }
            }
        }
    }

    /// Records the SIP outcome in the A2P_MT record.
    fn record_outcome(&self, out: &Outbound, to: &str, delivery: &Delivery, status: u16) {
        let (final_status, cause) = match delivery {
            Delivery::Sent => ("sent", String::new()),
            Delivery::ToNetwork => ("fallback_sms", status.to_string()),
            _ => ("failed", status.to_string()),
        };
        self.cdrs().update(&out.message_id, to, |cdr| {
            if cdr.record_type == "A2P_MT" {
                cdr.final_status = final_status.to_owned();
                cdr.failure_cause = cause;
                cdr.chargeable = false;
            }
        });
    }

    /// Tells the chatbot's server about `delivery` when its request asked for that report.
    pub(crate) fn report(&self, bot: &Chatbot, out: &Outbound, to: &str, delivery: Delivery) {
        if !asked(&out.reports, &delivery) {
            return;
        }
        let event = BotEvent::Status {
            chatbot: bot.uri.clone(),
            message_id: out.message_id.clone(),
            recipient: to.to_owned(),
            delivery,
        };
        self.notify(bot, event);
    }

    /// The SIP URI of a recipient: its subscriber's when it is a role of the case, else the
    /// number in the home domain.
    pub(crate) fn sip_target(&self, to: &str) -> String {
        let user = number(to);
        let core = self.core();
        let known = core.subscriber_uri(user);
        known.unwrap_or_else(|| format!("sip:{user}@{HOME_DOMAIN}"))
    }

    fn fallback_cdr(&self, out: &Outbound, to: &str) -> super::cdr::Cdr {
        super::cdr::Cdr {
            record_type: "FALLBACK_SMS".to_owned(),
            service_mode: "sms".to_owned(),
            originator: out.chatbot.clone(),
            recipient: to.to_owned(),
            chatbot_id: out.chatbot.clone(),
            api_message_id: out.message_id.clone(),
            content_type: "text/plain".to_owned(),
            size_bytes: out.sms_text.as_ref().map_or(0, |t| t.len() as u64),
            final_status: "fallback_sms".to_owned(),
            chargeable: true,
            submit_time: super::ids::now_rfc3339(),
            ..Default::default()
        }
    }
}

/// The delivery state a final status to the MESSAGE means.
pub(crate) fn delivery_of(status: u16) -> Delivery {
    let cause = match status {
        200..=299 => return Delivery::Sent,
        404 | 604 => FailCause::NotRcs,
        408 | 480 | 503 => FailCause::Offline,
        403 | 603 => FailCause::Blocked,
        415 | 488 | 400 => FailCause::BadContent,
        _ => FailCause::NotFound,
    };
    Delivery::Failed { cause }
}

/// Whether `reports` asked to hear of `delivery`.
fn asked(reports: &[Report], delivery: &Delivery) -> bool {
    reports.iter().any(|r| self::reports(*r, delivery))
}

/// Whether the report `report` covers `delivery` (revoke results are always reported).
pub(crate) fn reports(report: Report, delivery: &Delivery) -> bool {
    let wanted = match delivery {
        Delivery::Sent => Report::Sent,
        Delivery::Delivered => Report::Delivered,
        Delivery::Displayed => Report::Displayed,
        Delivery::Failed { .. } => Report::Failed,
        Delivery::ToNetwork => Report::ToNetwork,
        Delivery::Revoked | Delivery::RevokeFailed => return true,
    };
    report == wanted
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use rcs_harness::agent::{BoxFuture, WireTap};
    use rcs_harness::clock::Clock;
    use rcs_harness::events::Transport;

    use super::*;
    use crate::maap::chatbots::{DEFAULT_CHATBOT, Family};
    use crate::maap::core::MaapCore;
    use crate::maap::engine::Northbound;
    use crate::maap::settings::MaapSettings;
    use crate::net::SipEndpoint;

    #[test]
    fn final_statuses_map_to_deliveries() {
        assert_eq!(delivery_of(202), Delivery::Sent);
        assert_eq!(
            delivery_of(404),
            Delivery::Failed {
                cause: FailCause::NotRcs
            }
        );
        assert_eq!(
            delivery_of(480),
            Delivery::Failed {
                cause: FailCause::Offline
            }
        );
        assert_eq!(
            delivery_of(408),
            Delivery::Failed {
                cause: FailCause::Offline
            }
        );
        assert_eq!(
            delivery_of(403),
            Delivery::Failed {
                cause: FailCause::Blocked
            }
        );
        assert_eq!(
            delivery_of(500),
            Delivery::Failed {
                cause: FailCause::NotFound
            }
        );
    }

    #[test]
    fn only_asked_reports_are_given() {
        assert!(asked(&[Report::Delivered], &Delivery::Delivered));
        assert!(!asked(&[Report::Delivered], &Delivery::Displayed));
        assert!(asked(
            &[Report::Failed],
            &Delivery::Failed {
                cause: FailCause::Blocked
            }
        ));
        assert!(!asked(&[], &Delivery::Sent));
    }

    /// Records the events given to it; the MessageSent callback takes longer to post.
    struct Recorder(Arc<Mutex<Vec<Delivery>>>);

    impl Northbound for Recorder {
        fn notify(&self, _bot: &Chatbot, event: BotEvent) -> BoxFuture<'static, ()> {
            let seen = self.0.clone();
            Box::pin(async move {
                if let BotEvent::Status { delivery, .. } = event {
                    if delivery == Delivery::Sent {
                        tokio::time::sleep(Duration::from_millis(30)).await;
                    }
                    seen.lock().unwrap().push(delivery);
                }
            })
        }
    }

    async fn engine() -> (Engine, Arc<Mutex<Vec<Delivery>>>) {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let tap = WireTap::new("maap", Clock::real(), tx);
        let (endpoint, _incoming) = SipEndpoint::bind(tap).await.unwrap();
        let settings = MaapSettings::default();
        let core = MaapCore::new(
            "maap",
            endpoint,
            Transport::Udp,
            Clock::real(),
            settings,
            vec![],
            vec![],
        );
        let engine = Engine::new(Arc::new(core));
        let seen = Arc::new(Mutex::new(Vec::new()));
        engine.set_northbound(Family::Cmcc, Arc::new(Recorder(seen.clone())));
        (engine, seen)
    }

    fn outbound(to: &str) -> Outbound {
        Outbound {
            chatbot: DEFAULT_CHATBOT.into(),
            to: vec![to.into()],
            content_type: "text/plain".into(),
            body: b"hello".to_vec(),
            message_id: "Msg0001".into(),
            conversation_id: "conv".into(),
            contribution_id: "contrib".into(),
            in_reply_to: None,
            traffic_type: None,
            reports: vec![Report::Sent, Report::Delivered, Report::Displayed],
            store: false,
            sms_text: None,
            rcs_fallback: None,
            interaction: false,
            family: Family::Cmcc,
            other_net: Default::default(),
        }
    }

    fn tracked(out: &Outbound, to: &str) -> Sent {
        Sent {
            chatbot: out.chatbot.clone(),
            message_id: out.message_id.clone(),
            imdn_id: out.message_id.clone(),
            recipient: to.into(),
            target: to.into(),
            reports: out.reports.clone(),
            delivery: Delivery::Sent,
            call_id: "call-1".into(),
            conversation_id: out.conversation_id.clone(),
            contribution_id: out.contribution_id.clone(),
        }
    }

    async fn statuses(seen: &Arc<Mutex<Vec<Delivery>>>, count: usize) -> Vec<Delivery> {
        for _ in 0..200 {
            if seen.lock().unwrap().len() >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        seen.lock().unwrap().clone()
    }

    #[tokio::test]
    async fn imdns_that_overtake_the_answer_are_reported_after_it() {
        let (engine, seen) = engine().await;
        let to = "tel:+8613800000001";
        let (bot, out) = (engine.chatbot(DEFAULT_CHATBOT).unwrap(), outbound(to));
        let sent = tracked(&out, to);
        engine.tracking().sent(sent.clone());
        engine.on_report(&bot, &sent, Delivery::Delivered);
        engine.on_report(&bot, &sent, Delivery::Displayed);
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            seen.lock().unwrap().is_empty(),
            "reported before the answer"
        );
        engine.conclude(&bot, &out, to, Delivery::Sent, 200);
        let order = [Delivery::Sent, Delivery::Delivered, Delivery::Displayed];
        assert_eq!(statuses(&seen, 3).await, order);
        let now = engine.tracking().get("Msg0001", to).unwrap();
        assert_eq!(now.delivery, Delivery::Displayed);
    }

    #[tokio::test]
    async fn reports_after_the_answer_go_out_at_once_and_in_order() {
        let (engine, seen) = engine().await;
        let to = "tel:+8613800000002";
        let (bot, out) = (engine.chatbot(DEFAULT_CHATBOT).unwrap(), outbound(to));
        let sent = tracked(&out, to);
        engine.tracking().sent(sent.clone());
        engine.conclude(&bot, &out, to, Delivery::Sent, 200);
        engine.on_report(&bot, &sent, Delivery::Delivered);
        assert_eq!(
            statuses(&seen, 2).await,
            [Delivery::Sent, Delivery::Delivered]
        );
    }
}
