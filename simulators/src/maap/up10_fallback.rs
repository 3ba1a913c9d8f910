//! The UP1.0 fallback of a chatbot message (protocols.md §8.1.3 `fallbackSupported`,
//! `fallbackContentType`, `rcsBodyText`; §8.3 "if the user is RCS but not chatbot-capable (UP1.0),
//! send `rcsBodyText` as a normal 1-to-1 message"; §3.1 OPTIONS; §2.3 chatbot feature tags).
//!
//! Only a CMCC request that states `fallbackSupported` (true or false) is checked here; a request
//! without it goes to the user as a chatbot message, as before. For a checked request the MaaP
//! first asks the user's capabilities: an OPTIONS from the chatbot through the message center
//! trunk. A `200` whose Contact carries neither chatbot IARI (`rcs.chatbot`, `rcs.chatbot.sa`) is
//! a UP1.0 phone, one that cannot show chatbot content. Any other answer (a chatbot-capable 200,
//! 404 not RCS, 480/408 offline) leaves the message to the usual chatbot path and its outcomes.
//!
//! To a UP1.0 phone: with `fallbackSupported` true and an `rcsBodyText`, the MaaP sends a normal
//! CPM pager MESSAGE (§4.3) from the chatbot carrying `rcsBodyText` as the CPIM content, of type
//! `fallbackContentType` (`text/plain` by default; `application/vnd.gsma.rcs-ft-http+xml` makes it
//! an FT-HTTP file message, §5.3), never the card. Its outcome is reported as any message's:
//! `MessageSent` on the 2xx, `DeliveredToTerminal` / `MessageDisplayed` on the phone's IMDNs (the
//! description stays `UP2`: no source names the one of a UP1.0 delivery). With `fallbackSupported`
//! false (or no `rcsBodyText`) nothing is sent to the phone and the recipient fails as not
//! chatbot-capable (`DeliveryImpossible` SVC1002, CT/CU code 2), which the SMS fallback of
//! `delivery` then takes when the request also carries SMS text.
//!
//! Design decisions where the sources are silent: the fallback MESSAGE is the one a UP1.0 phone
//! expects from any user, so it carries no chatbot markings (no chatbot IARI, `botversion` or
//! `+g.gsma.rcs.isbot` in its Contact, no `maap` CPIM namespace or `maap.Traffic-Type`), while
//! keeping the chatbot as sender and the API's conversation identifiers and `imdn.Message-ID`; the
//! capability query is made per message (no cache); `rcsBodyText` whose `fallbackContentEncoding`
//! is `base64` is decoded (rcs_proto), and one over [`MAX_RCS_BODY`] refuses the request.
//! Faults: `maap.up10-card-to-up10-phone` (no capability query: the card goes to a UP1.0 phone),
//! `maap.up10-fallback-as-text` (`rcsBodyText` goes as `text/plain`, whatever its type),
//! `maap.up10-fallback-unasked` (`rcsBodyText` goes though `fallbackSupported` is false).

use rcs_proto::cpim::CpimBuilder;
use rcs_proto::sip::Message;

use super::chatbots::Chatbot;
use super::delivery::{SentValues, delivery_of};
use super::engine::{Delivery, Engine, FailCause, Outbound, Report};
use super::ids;
use super::mt_message::{
    CHATBOT_IARI, CHATBOT_SA_IARI, charging_vector, chatbot_contact, disposition, new_icid,
};
use super::tracking::Sent;
use super::uac::RequestHead;

/// The content type of the fallback when the request names none.
pub(crate) const DEFAULT_FALLBACK_TYPE: &str = "text/plain;charset=UTF-8";

/// The largest `rcsBodyText` taken, in bytes (a file-info document is a few hundred).
pub(crate) const MAX_RCS_BODY: usize = 64 * 1024;

/// The pager ICSI, URL-encoded and plain (§4.3).
const CPM_MSG_ICSI: &str = "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg";
const CPM_MSG_SERVICE: &str = "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg";

const CARD_ANYWAY: &str = "maap.up10-card-to-up10-phone";
const AS_TEXT: &str = "maap.up10-fallback-as-text";
const UNASKED: &str = "maap.up10-fallback-unasked";

/// What a send request says of the UP1.0 fallback (present when it states `fallbackSupported`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Up10 {
    /// `fallbackSupported`.
    pub supported: bool,
    /// `fallbackContentType`, else [`DEFAULT_FALLBACK_TYPE`].
    pub content_type: String,
    /// `rcsBodyText`, decoded; None when absent or empty.
    pub body: Option<Vec<u8>>,
}

impl Up10 {
    /// The fallback of a request: None when it does not state `fallbackSupported`. `body` is
    /// `rcsBodyText` decoded; an empty one counts as none.
    pub(crate) fn from_request(
        supported: Option<bool>,
        content_type: Option<&str>,
        body: Option<Vec<u8>>,
    ) -> Result<Option<Self>, String> {
        let Some(supported) = supported else {
            return Ok(None);
        };
        let body = body.filter(|b| !b.trim_ascii().is_empty());
        if body.as_ref().is_some_and(|b| b.len() > MAX_RCS_BODY) {
            return Err(format!("rcsBodyText is longer than {MAX_RCS_BODY} bytes"));
        }
        let content_type = content_type
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .unwrap_or(DEFAULT_FALLBACK_TYPE)
            .to_owned();
        Ok(Some(Self {
            supported,
            content_type,
            body,
        }))
    }
}

/// Whether an OPTIONS answer's Contact shows a chatbot-capable phone: one chatbot IARI or more.
pub(crate) fn chatbot_capable(answer: &Message) -> bool {
    let Ok(tags) = answer.contact_feature_tags() else {
        return false;
    };
    let session = percent_decoded(CHATBOT_IARI);
    let standalone = percent_decoded(CHATBOT_SA_IARI);
    tags.iari_refs()
        .iter()
        .any(|iari| *iari == session || *iari == standalone)
}

fn percent_decoded(encoded: &str) -> String {
    encoded.replace("%3A", ":")
}

impl Engine {
    /// The UP1.0 route of `out` to `to`: None to send it as a chatbot message, else what was done
    /// instead (the fallback MESSAGE's outcome, or the failure of a phone that cannot take it).
    pub(crate) async fn up10_route(
        &self,
        bot: &Chatbot,
        out: &Outbound,
        to: &str,
    ) -> Option<(SentValues, Delivery)> {
        let up10 = out.rcs_fallback.as_ref()?;
        let core = self.core();
        if core.has_fault(CARD_ANYWAY) {
            return None;
        }
        let answer = self.ask_capabilities(bot, to).await?;
        if answer.status() != Some(200) || chatbot_capable(&answer) {
            return None;
        }
        let supported = up10.supported || core.has_fault(UNASKED);
        match (&up10.body, supported) {
            (Some(body), true) => {
                Some(self.send_up10(bot, out, to, &up10.content_type, body).await)
            }
            _ => {
                let cause = FailCause::NotRcs;
                Some((SentValues::default(), Delivery::Failed { cause }))
            }
        }
    }

    /// OPTIONS from the chatbot to `to` through the trunk (§3.1): the final answer, None when
    /// there is no trunk or no answer came.
    async fn ask_capabilities(&self, bot: &Chatbot, to: &str) -> Option<Message> {
        let core = self.core();
        let trunk = core.message_center()?;
        let target = self.sip_target(to);
        let head = RequestHead::new();
        let contact = chatbot_contact(
            &core.contact_uri(bot.service_id()),
            &[CHATBOT_SA_IARI],
            false,
        );
        let request = head
            .builder(core, "OPTIONS", &target, &bot.uri, &target)
            .header("P-Asserted-Identity", &format!("<{}>", bot.uri))
            .header("Contact", &contact)
            .header("Accept", "application/sdp")
            .build();
        match core.transact(&request, &head.branch, trunk).await {
            super::uac::Outcome::Final(answer) => Some(answer),
            other => {
                tracing::debug!(status = other.status(), "no answer to the capability query");
                None
            }
        }
    }

    /// Sends `body` as a normal 1-to-1 pager message (§4.3) to `to`; its SIP outcome.
    async fn send_up10(
        &self,
        bot: &Chatbot,
        out: &Outbound,
        to: &str,
        content_type: &str,
        body: &[u8],
    ) -> (SentValues, Delivery) {
        let core = self.core();
        let target = self.sip_target(to);
        let head = RequestHead::new();
        let icid = new_icid();
        self.cdrs().set_icid(&out.message_id, to, &icid);
        let content_type = match core.has_fault(AS_TEXT) {
            true => DEFAULT_FALLBACK_TYPE,
            false => content_type,
        };
        let cpim = plain_cpim(
            &bot.uri,
            &target,
            &out.message_id,
            &out.reports,
            content_type,
            body,
        );
        let mut builder = head
            .builder(core, "MESSAGE", &target, &bot.uri, &target)
            .header("P-Asserted-Identity", &format!("<{}>", bot.uri))
            .header(
                "Contact",
                &format!("<{}>", core.contact_uri(bot.service_id())),
            )
            .header(
                "Accept-Contact",
                &format!("*;+g.3gpp.icsi-ref=\"{CPM_MSG_ICSI}\""),
            )
            .header("P-Asserted-Service", CPM_MSG_SERVICE)
            .header("P-Charging-Vector", &charging_vector(core, &icid))
            .header("Conversation-ID", &out.conversation_id)
            .header("Contribution-ID", &out.contribution_id);
        if let Some(replied) = &out.in_reply_to {
            builder = builder.header("InReplyTo-Contribution-ID", replied);
        }
        let request = builder.body("message/cpim", cpim).build();
        self.tracking().sent(Sent {
            chatbot: bot.uri.clone(),
            message_id: out.message_id.clone(),
            imdn_id: out.message_id.clone(),
            recipient: to.to_owned(),
            target,
            reports: out.reports.clone(),
            delivery: Delivery::Sent,
            call_id: head.call_id.clone(),
            conversation_id: out.conversation_id.clone(),
            contribution_id: out.contribution_id.clone(),
        });
        let status = match core.message_center() {
            Some(trunk) => core.transact(&request, &head.branch, trunk).await.status(),
            None => 503,
        };
        let values = SentValues {
            call_id: head.call_id,
            status,
        };
        (values, delivery_of(status))
    }
}

/// The CPIM of a UP1.0 message from `from`: IMDN headers, no chatbot namespace.
fn plain_cpim(
    from: &str,
    target: &str,
    message_id: &str,
    reports: &[Report],
    content_type: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut cpim = CpimBuilder::new()
        .from(from)
        .to(target)
        .datetime(&ids::now_rfc3339())
        .ns("imdn", "urn:ietf:params:imdn")
        .header("imdn.Message-ID", message_id);
    if let Some(value) = disposition(reports) {
        cpim = cpim.header("imdn.Disposition-Notification", &value);
    }
    cpim.content_type(content_type).body(body.to_vec()).build()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn answer(contact: &str) -> Message {
        let text = format!(
            "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\n\
             To: <sip:b@h>;tag=2\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContact: {contact}\r\n\
             Content-Length: 0\r\n\r\n"
        );
        Message::parse(text.into_bytes()).unwrap()
    }

    const UP10: &str = "<sip:+8613800000002@127.0.0.1:5060>;+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.fthttp\";+g.gsma.rcs.cpm.pager-large";

    #[test]
    fn a_phone_without_chatbot_iaris_is_up10() {
        assert!(!chatbot_capable(&answer(UP10)));
        let sa = UP10.replace(
            "rcs.fthttp\"",
            "rcs.fthttp,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot.sa\"",
        );
        assert!(chatbot_capable(&answer(&sa)));
        let session = UP10.replace(
            "rcs.fthttp\"",
            "rcs.fthttp,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot\"",
        );
        assert!(chatbot_capable(&answer(&session)));
        assert!(!chatbot_capable(&answer("<sip:b@h>")));
    }

    #[test]
    fn the_request_states_the_fallback_or_not() {
        let body = |text: &str| Some(text.as_bytes().to_vec());
        assert_eq!(Up10::from_request(None, None, body("x")).unwrap(), None);
        let text = Up10::from_request(Some(true), None, body("余额"))
            .unwrap()
            .unwrap();
        assert!(text.supported);
        assert_eq!(text.content_type, DEFAULT_FALLBACK_TYPE);
        assert_eq!(text.body.as_deref(), Some("余额".as_bytes()));
        let ft = "application/vnd.gsma.rcs-ft-http+xml";
        let off = Up10::from_request(Some(false), Some(ft), body(" "))
            .unwrap()
            .unwrap();
        assert!(!off.supported);
        assert_eq!(off.content_type, ft);
        assert_eq!(off.body, None);
        let huge = "a".repeat(MAX_RCS_BODY + 1);
        assert!(Up10::from_request(Some(true), None, body(&huge)).is_err());
    }

    #[test]
    fn the_up10_cpim_has_no_chatbot_namespace() {
        let reports = [Report::Delivered];
        let cpim = plain_cpim(
            "sip:12599@botplatform.rcs.chinamobile.com",
            "sip:+8613800000002@h",
            "m-1",
            &reports,
            "text/plain",
            "余额".as_bytes(),
        );
        let text = String::from_utf8(cpim).unwrap();
        assert!(text.contains("imdn.Message-ID: m-1\r\n"), "{text}");
        assert!(text.contains("imdn.Disposition-Notification: positive-delivery\r\n"));
        assert!(!text.contains("maap"), "{text}");
        assert!(
            text.ends_with("Content-Type: text/plain\r\nContent-Length: 6\r\n\r\n余额"),
            "{text}"
        );
    }
}
