//! A user's MESSAGE to a chatbot (protocols.md §7.5, §7.6, §8.3): what it becomes for the
//! chatbot's server.
//!
//! The CPIM content decides: `message/imdn+xml` is a delivery or display report for a message the
//! chatbot sent, mapped back to its API message id by `imdn.Message-ID` (and the reporting
//! user); `application/vnd.gsma.rcsspam-report+xml` is a spam report; everything else is an
//! uplink message, passed on with its content type, body and the conversation, contribution and
//! in-reply-to ids. Each also updates the billing records (P2A_MO for uplinks; delivery and
//! display times for reports). A body that is not CPIM gets 400. SMS-over-IP messages (the SMS
//! centre's RP-ACKs) are answered and otherwise left alone. Messages that arrive over a chatbot's
//! MSRP session (`session`) take the same path, labelled by the INVITE that opened it.
//!
//! A pager uplink (not a report) from a user out of the chatbot's reach (`carrier`: another
//! province for a province-only chatbot, serviceRange 0; another carrier without the other-net
//! right) is refused with 403 Forbidden and a `Warning: 399 maap "<the rule>"` (protocols.md
//! §10.2 maps a missing right to 403), recorded as a rejected P2A_MO, and not passed on.

use rcs_proto::bot::{SPAM_REPORT_TYPE, SUGGESTION_RESPONSE_TYPE, SpamReport};
use rcs_proto::cpim::CpimMessage;
use rcs_proto::imdn::{DeliveryStatus, DisplayStatus, IMDN_CONTENT_TYPE, Imdn, Notification};
use rcs_proto::sip::Message;

use super::carrier::CarrierRules;
use super::cdr::Cdr;
use super::chatbots::Chatbot;
use super::engine::{BotEvent, Delivery, Engine};
use super::ids;
use super::southbound::reply;
use super::tracking::{LastUplink, Sent, number};

/// The content type of SMS over IP (3GPP TS 24.341).
const SMS_CONTENT_TYPE: &str = "application/vnd.3gpp.sms";

/// What to do once the MESSAGE is answered.
#[derive(Debug)]
pub(crate) enum Followup {
    Event(Chatbot, BotEvent),
    Report(Chatbot, Sent, Delivery),
    /// A session INVITE answered 200: open its MSRP session and read it.
    Session(Box<super::session::Accepted>),
}

/// Whether `request` carries SMS over IP.
pub(crate) fn is_sms(request: &Message) -> bool {
    request
        .header("Content-Type")
        .is_some_and(|ct| media_type(ct).eq_ignore_ascii_case(SMS_CONTENT_TYPE))
}

/// Answers a MESSAGE to `bot`; what it carries becomes a followup.
pub(crate) fn on_message(
    engine: &Engine,
    request: &Message,
    bot: &Chatbot,
) -> (Message, Option<Followup>) {
    let cpim = match CpimMessage::parse(request.body()) {
        Ok(cpim) => cpim,
        Err(err) => {
            let response = reply(request, 400, "Bad Request").header(
                "Warning",
                &format!("399 maap \"failed to read the CPIM body: {err}\""),
            );
            return (response.build(), None);
        }
    };
    if let Some(refused) = out_of_reach(engine, request, &cpim, bot) {
        return (refused, None);
    }
    let followup = on_content(engine, request, &cpim, bot, "pager");
    (reply(request, 200, "OK").build(), followup)
}

/// The answer to an uplink from a user out of `bot`'s reach (protocols.md §10.1 serviceRange,
/// §9.3; `carrier`): 403 with a Warning naming the rule, and a rejected, uncharged P2A_MO record;
/// the chatbot hears nothing. Reports and spam reports are not judged.
fn out_of_reach(
    engine: &Engine,
    request: &Message,
    cpim: &CpimMessage,
    bot: &Chatbot,
) -> Option<Message> {
    let inner = cpim.content_type().map(media_type).unwrap_or("text/plain");
    let report = [IMDN_CONTENT_TYPE, SPAM_REPORT_TYPE]
        .iter()
        .any(|t| inner.eq_ignore_ascii_case(t));
    if report {
        return None;
    }
    let sender = sender_tel(request);
    let core = engine.core();
    let rules = CarrierRules::new(&core.settings(), &core.subscribers, &core.faults);
    let reason = rules.uplink_refusal(bot, &sender)?;
    let message_id = cpim.imdn_message_id().unwrap_or_default();
    let size = cpim.body().len();
    let mut cdr = p2a_cdr(request, bot, &sender, inner, message_id, size);
    cdr.final_status = "rejected_policy".to_owned();
    cdr.failure_cause = format!("{reason:?}");
    cdr.chargeable = false;
    engine.cdrs().record(cdr);
    let warning = format!("399 maap \"{}\"", reason.reason().replace('"', "'"));
    Some(
        reply(request, 403, "Forbidden")
            .header("Warning", &warning)
            .build(),
    )
}

/// A whole message that arrived over a chatbot's MSRP session (`invite` opened it, and its
/// conversation headers and sender label the message): what a pager MESSAGE with the same CPIM
/// would become. A body that is not CPIM is left out.
pub(crate) fn on_session_message(
    engine: &Engine,
    invite: &Message,
    body: &[u8],
    bot: &Chatbot,
) -> Option<Followup> {
    match CpimMessage::parse(body) {
        Ok(cpim) => on_content(engine, invite, &cpim, bot, "session"),
        Err(err) => {
            tracing::debug!(%err, "msrp message to a chatbot that is not cpim ignored");
            None
        }
    }
}

/// What a user's CPIM content to `bot` becomes, by its content type.
fn on_content(
    engine: &Engine,
    request: &Message,
    cpim: &CpimMessage,
    bot: &Chatbot,
    mode: &'static str,
) -> Option<Followup> {
    let sender = sender_tel(request);
    let inner = cpim
        .content_type()
        .map(media_type)
        .unwrap_or("text/plain")
        .to_owned();
    if inner.eq_ignore_ascii_case(IMDN_CONTENT_TYPE) {
        on_imdn(engine, cpim, bot, &sender)
    } else if inner.eq_ignore_ascii_case(SPAM_REPORT_TYPE) {
        on_spam(cpim, bot, &sender)
    } else {
        let uplink = Uplink {
            request,
            cpim,
            bot,
            sender: &sender,
            content_type: &inner,
            mode,
        };
        Some(on_uplink(engine, &uplink))
    }
}

/// One uplink message and where it came from.
#[derive(Clone, Copy)]
struct Uplink<'a> {
    /// The MESSAGE, or the INVITE of the session it came over.
    request: &'a Message,
    cpim: &'a CpimMessage,
    bot: &'a Chatbot,
    sender: &'a str,
    content_type: &'a str,
    /// The CDR's service mode: `pager` or `session`.
    mode: &'static str,
}

/// An IMDN for a message the chatbot sent: the delivery state it reports.
fn on_imdn(engine: &Engine, cpim: &CpimMessage, bot: &Chatbot, sender: &str) -> Option<Followup> {
    let imdn = match Imdn::from_cpim(cpim) {
        Ok(imdn) => imdn,
        Err(err) => {
            tracing::debug!(%err, "unreadable imdn to a chatbot ignored");
            return None;
        }
    };
    let delivery = match imdn.notification {
        Notification::Delivery(DeliveryStatus::Delivered) => Delivery::Delivered,
        Notification::Display(DisplayStatus::Displayed) => Delivery::Displayed,
        Notification::Delivery(_) | Notification::Display(_) => Delivery::Failed {
            cause: super::engine::FailCause::NotFound,
        },
    };
    let Some(mut sent) = engine.tracking().by_imdn(&imdn.message_id, number(sender)) else {
        tracing::debug!(id = %imdn.message_id, "imdn for no message the chatbot sent");
        return None;
    };
    if engine.core().has_fault("maap.status-not-mapped") {
        sent.message_id = cpim.imdn_message_id().unwrap_or_default().to_owned();
    }
    Some(Followup::Report(bot.clone(), sent, delivery))
}

/// A spam report about the chatbot's messages.
fn on_spam(cpim: &CpimMessage, bot: &Chatbot, sender: &str) -> Option<Followup> {
    let body = cpim.decoded_body().ok()?;
    match SpamReport::parse(&body) {
        Ok(report) => {
            let event = BotEvent::Spam {
                chatbot: bot.uri.clone(),
                sender: sender.to_owned(),
                report,
            };
            Some(Followup::Event(bot.clone(), event))
        }
        Err(err) => {
            tracing::debug!(%err, "unreadable spam report ignored");
            None
        }
    }
}

/// Anything else a user sends a chatbot.
fn on_uplink(engine: &Engine, uplink: &Uplink<'_>) -> Followup {
    let Uplink {
        request,
        cpim,
        bot,
        sender,
        content_type,
        mode,
    } = *uplink;
    let body = cpim.decoded_body().unwrap_or_else(|_| cpim.body().to_vec());
    let lost = engine.core().has_fault("maap.uplink-ids-lost");
    let header = |name: &str| match lost {
        true => None,
        false => request.header(name).map(str::to_owned),
    };
    let message_id = cpim.imdn_message_id().unwrap_or_default().to_owned();
    let date_time = cpim
        .header("DateTime")
        .map_or_else(ids::now_rfc3339, str::to_owned);
    let event = BotEvent::Uplink {
        chatbot: bot.uri.clone(),
        sender: sender.to_owned(),
        message_id: message_id.clone(),
        content_type: content_type.to_owned(),
        body: body.clone(),
        conversation_id: header("Conversation-ID"),
        contribution_id: header("Contribution-ID"),
        in_reply_to: header("InReplyTo-Contribution-ID"),
        date_time,
    };
    let text = String::from_utf8_lossy(&body).into_owned();
    engine.tracking().uplink(LastUplink {
        chatbot: bot.uri.clone(),
        sender: sender.to_owned(),
        content_type: content_type.to_owned(),
        postback: postback_of(content_type, &body),
        in_reply_to: request
            .header("InReplyTo-Contribution-ID")
            .map(str::to_owned),
        message_id: message_id.clone(),
        contribution_id: request.header("Contribution-ID").map(str::to_owned),
        conversation_id: request.header("Conversation-ID").map(str::to_owned),
        body: text,
    });
    let mut cdr = p2a_cdr(request, bot, sender, content_type, &message_id, body.len());
    cdr.service_mode = mode.to_owned();
    engine.cdrs().record(cdr);
    Followup::Event(bot.clone(), event)
}

/// Tells the chatbot's server, once the MESSAGE is answered.
pub(crate) async fn follow_up(engine: Engine, followup: Followup) {
    match followup {
        Followup::Event(bot, event) => engine.notify(&bot, event),
        Followup::Report(bot, sent, delivery) => engine.on_report(&bot, &sent, delivery),
        Followup::Session(accepted) => super::session::serve(engine, *accepted).await,
    }
}

impl Engine {
    /// A delivery or display report from a recipient: tracking, CDR, and the status callback.
    /// One that overtook the answer to the MESSAGE waits for it (`delivery`).
    pub(crate) fn on_report(&self, bot: &Chatbot, sent: &Sent, delivery: Delivery) {
        if self.tracking().hold_early(sent, &delivery) {
            tracing::debug!(id = %sent.message_id, "report held until the message's answer");
            return;
        }
        let now = ids::now_rfc3339();
        let current = self
            .tracking()
            .get(&sent.message_id, &sent.recipient)
            .map(|s| s.delivery);
        // A display report implies delivery; a late delivery report does not undo a display.
        if !(current == Some(Delivery::Displayed) && delivery == Delivery::Delivered) {
            self.tracking()
                .set(&sent.message_id, &sent.recipient, delivery.clone());
        }
        self.cdrs()
            .update(&sent.message_id, &sent.recipient, |cdr| match delivery {
                Delivery::Delivered => {
                    cdr.deliver_time = Some(now);
                    cdr.final_status = "delivered".to_owned();
                    cdr.chargeable = true;
                }
                Delivery::Displayed => {
                    cdr.display_time = Some(now);
                    cdr.final_status = "displayed".to_owned();
                    cdr.chargeable = true;
                }
                _ => cdr.final_status = "failed".to_owned(),
            });
        if !sent
            .reports
            .iter()
            .any(|r| super::delivery::reports(*r, &delivery))
        {
            return;
        }
        let event = BotEvent::Status {
            chatbot: bot.uri.clone(),
            message_id: sent.message_id.clone(),
            recipient: sent.recipient.clone(),
            delivery,
        };
        self.notify(bot, event);
    }
}

/// The P2A_MO record of an uplink.
fn p2a_cdr(
    request: &Message,
    bot: &Chatbot,
    sender: &str,
    content_type: &str,
    message_id: &str,
    size: usize,
) -> Cdr {
    Cdr {
        cdr_id: ids::uuid(),
        icid: super::cdr::icid_of(request.header("P-Charging-Vector")),
        record_type: "P2A_MO".to_owned(),
        service_mode: "pager".to_owned(),
        originator: sender.to_owned(),
        recipient: bot.uri.clone(),
        chatbot_id: bot.uri.clone(),
        conversation_id: request
            .header("Conversation-ID")
            .unwrap_or_default()
            .to_owned(),
        contribution_id: request
            .header("Contribution-ID")
            .unwrap_or_default()
            .to_owned(),
        imdn_message_id: message_id.to_owned(),
        content_type: content_type.to_owned(),
        size_bytes: size as u64,
        submit_time: ids::now_rfc3339(),
        final_status: "delivered".to_owned(),
        chargeable: true,
        ..Cdr::default()
    }
}

/// The postback data of a suggestion response.
fn postback_of(content_type: &str, body: &[u8]) -> Option<String> {
    if !content_type.eq_ignore_ascii_case(SUGGESTION_RESPONSE_TYPE) {
        return None;
    }
    let doc: serde_json::Value = serde_json::from_slice(body).ok()?;
    let response = doc.get("response")?;
    let chosen = response.get("reply").or_else(|| response.get("action"))?;
    let data = chosen.get("postback")?.get("data")?;
    Some(
        data.as_str()
            .map_or_else(|| data.to_string(), str::to_owned),
    )
}

/// The user's tel URI: the number of P-Asserted-Identity, else of From.
fn sender_tel(request: &Message) -> String {
    let asserted = request
        .header("P-Asserted-Identity")
        .map(|v| number(v).to_owned());
    let from = || {
        request
            .from_header()
            .ok()
            .map(|f| number(f.uri.as_str()).to_owned())
    };
    let user = asserted.or_else(from).unwrap_or_default();
    match user.starts_with('+') {
        true => format!("tel:{user}"),
        false => user,
    }
}

/// The media type of a Content-Type value, without parameters.
fn media_type(value: &str) -> &str {
    value.split(';').next().unwrap_or(value).trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postback_data_is_read_from_a_response() {
        let body =
            br#"{"response":{"reply":{"displayText":"No","postback":{"data":"no_thanks"}}}}"#;
        assert_eq!(
            postback_of(SUGGESTION_RESPONSE_TYPE, body).as_deref(),
            Some("no_thanks")
        );
        assert_eq!(postback_of("text/plain", body), None);
        assert_eq!(postback_of(SUGGESTION_RESPONSE_TYPE, b"{"), None);
    }

    #[test]
    fn the_sender_is_the_asserted_number() {
        let request = Message::parse(
            &b"MESSAGE sip:12599@botplatform.rcs.chinamobile.com SIP/2.0\r\n\
               From: <sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>;tag=a\r\n\
               P-Asserted-Identity: <tel:+8613800000002>\r\nContent-Length: 0\r\n\r\n"[..],
        )
        .map_err(|e| e.to_string());
        let request = request.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sender_tel(&request), "tel:+8613800000002");
    }
}
