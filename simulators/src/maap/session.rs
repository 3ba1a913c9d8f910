//! Session INVITEs to a chatbot (protocols.md §7.1 "UE → chatbot, session", §4.5; RFC 4975 8,
//! RFC 6135; TRM-BOT-002).
//!
//! A session INVITE whose SDP offers usable MSRP media (`message/cpim` accepted, an `a=path`) is
//! answered 200 with the chatbot's Contact (chatbot IARI, bot version, isbot, the session ICSI),
//! the INVITE's Record-Route, and an SDP answer: the complementary `a=setup`, the answered
//! direction, `message/cpim` wrapping the chatbot and IMDN types, our MSRP URI (`msrps` when the
//! offer is TLS). Then [`serve`] opens the MSRP session in the role the offer leaves us and hands
//! every whole message that arrives to `uplink::on_session_message`, the same path a pager
//! MESSAGE takes to the chatbot's server; the session ends when its connection closes (after
//! the BYE, which `southbound` answers) or when the MaaP shuts down. An INVITE without an SDP
//! body gets 415, one whose offer cannot carry CPM 488, each with a Warning naming why.
//!
//! Not here: the chatbot sending over the session (its messages go pager mode, §7.2), IMDNs for
//! what arrives, retransmitting the 200 over UDP until the ACK (RFC 3261 13.3.1.4: the trunk to
//! the message center is loopback), and SDP in multipart bodies.

use std::time::{Duration, Instant};

use rcs_proto::msrp::{SessionConfig, SessionEvent};
use rcs_proto::sdp::{MsrpMedia, Sdp, Setup};
use rcs_proto::sip::Message;

use super::chatbots::Chatbot;
use super::engine::Engine;
use super::mt_message::{CHATBOT_IARI, chatbot_contact};
use super::southbound::reply;
use super::uplink::{self, Followup};
use crate::msrp::{MsrpSession, MsrpStack};

/// The session ICSI, URL-encoded, for the Contact of the 200.
const CPM_SESSION_ICSI: &str = "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session";

/// What the chatbot takes inside `message/cpim` over a session.
const WRAPPED_TYPES: [&str; 6] = [
    "text/plain",
    "message/imdn+xml",
    "application/vnd.gsma.botsuggestion.response.v1.0+json",
    "application/vnd.gsma.botsharedclientdata.v1.0+json",
    "application/vnd.gsma.rcspushlocation+xml",
    "application/vnd.gsma.rcs-ft-http+xml",
];

/// Longest a session waits for its next message before looking again (the session ends when
/// its connection closes, not on this).
const IDLE: Duration = Duration::from_secs(60);

/// The discard port an active endpoint writes in `m=` (RFC 4145 4.1).
const DISCARD_PORT: u16 = 9;

/// A session accepted with a 200, for [`serve`] to open once the 200 is sent.
#[derive(Debug)]
pub(crate) struct Accepted {
    pub bot: Chatbot,
    /// The INVITE: its sender and conversation headers label every uplink of the session.
    pub invite: Message,
    pub config: SessionConfig,
    /// The role we take for the MSRP connection.
    pub role: Setup,
    pub tls: bool,
    pub msrp: MsrpStack,
}

/// Answers a session INVITE to `bot`.
pub(crate) fn on_invite(
    engine: &Engine,
    msrp: &MsrpStack,
    request: &Message,
    bot: &Chatbot,
) -> (Message, Option<Followup>) {
    let offer = match offer_of(request) {
        Ok(offer) => offer,
        Err((status, reason, detail)) => {
            let warning = format!("399 maap \"{}\"", detail.replace(['"', '\\'], "'"));
            let response = reply(request, status, reason).header("Warning", &warning);
            return (response.build(), None);
        }
    };
    let local = msrp.new_local_uri(offer.tls);
    let ours = answer(&offer, &local);
    let host = local.host().to_owned();
    let sdp = ours.to_sdp(&host, session_version()).to_bytes();
    let core = engine.core();
    let contact = format!(
        "{};+g.3gpp.icsi-ref=\"{CPM_SESSION_ICSI}\"",
        chatbot_contact(
            &core.contact_uri(bot.service_id()),
            &[CHATBOT_IARI],
            core.has_fault("maap.no-isbot-tag"),
        )
    );
    let mut response = reply(request, 200, "OK");
    for record_route in request.header_all("Record-Route") {
        response = response.header("Record-Route", record_route);
    }
    let response = response
        .header("Contact", &contact)
        .header("Allow", "INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE")
        .body("application/sdp", sdp)
        .build();
    let mut config = SessionConfig::new(local, offer.path.clone());
    config.accept_types.clone_from(&ours.accept_types);
    config
        .accept_wrapped_types
        .clone_from(&ours.accept_wrapped_types);
    let accepted = Accepted {
        bot: bot.clone(),
        invite: request.clone(),
        config,
        role: connection_role(offer.setup),
        tls: offer.tls,
        msrp: msrp.clone(),
    };
    (response, Some(Followup::Session(Box::new(accepted))))
}

/// Opens the MSRP session of an accepted INVITE and passes on what arrives until it closes.
pub(crate) async fn serve(engine: Engine, accepted: Accepted) {
    let Accepted {
        bot,
        invite,
        config,
        role,
        tls,
        msrp,
    } = accepted;
    let session = match msrp.open(config, role, tls).await {
        Ok(session) => session,
        Err(error) => {
            tracing::debug!(role = %engine.core().role, %error, "chatbot msrp session not opened");
            return;
        }
    };
    read_messages(&engine, &session, &invite, &bot).await;
    session.close().await;
}

/// Hands every whole message of the session to the uplink path until the session closes (its
/// event channel ends: `next_event` gives nothing before the idle time is up).
async fn read_messages(engine: &Engine, session: &MsrpSession, invite: &Message, bot: &Chatbot) {
    loop {
        let asked = Instant::now();
        match session.next_event(IDLE).await {
            Some(SessionEvent::Received { body, .. }) => {
                match uplink::on_session_message(engine, invite, &body, bot) {
                    Some(Followup::Event(bot, event)) => engine.notify(&bot, event),
                    Some(Followup::Report(bot, sent, delivery)) => {
                        engine.on_report(&bot, &sent, delivery);
                    }
                    Some(Followup::Session(_)) | None => {}
                }
            }
            Some(_) => {}
            None if asked.elapsed() < IDLE => return,
            None => {}
        }
    }
}

/// The MSRP media of an INVITE's offer, or the status, reason and why it cannot be used.
fn offer_of(request: &Message) -> Result<MsrpMedia, (u16, &'static str, String)> {
    let content_type = request.header("Content-Type").unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or_default().trim();
    if !media_type.eq_ignore_ascii_case("application/sdp") {
        let detail = format!("Content-Type: {content_type} carries no SDP offer");
        return Err((415, "Unsupported Media Type", detail));
    }
    let not_acceptable = |detail: String| (488, "Not Acceptable Here", detail);
    let sdp = Sdp::parse(request.body())
        .map_err(|e| not_acceptable(format!("failed to read the SDP offer: {e}")))?;
    let offer = MsrpMedia::from_sdp(&sdp)
        .map_err(|e| not_acceptable(format!("failed to read the MSRP media: {e}")))?;
    if !offer.accepts("message/cpim") {
        let detail = "a=accept-types of the offer does not include message/cpim".to_owned();
        return Err(not_acceptable(detail));
    }
    if offer.path.is_empty() {
        return Err(not_acceptable("the offer has no a=path".to_owned()));
    }
    Ok(offer)
}

/// Our answer to `offer` with `local` as our URI (RFC 4975 8.1, RFC 6135).
fn answer(offer: &MsrpMedia, local: &rcs_proto::msrp::MsrpUri) -> MsrpMedia {
    let setup = offer.setup.answer();
    let port = match connection_role(offer.setup) {
        Setup::Active => DISCARD_PORT,
        _ => local.port().unwrap_or(DISCARD_PORT),
    };
    MsrpMedia {
        tls: local.is_secure(),
        port,
        address: local.host().to_owned(),
        path: vec![local.clone()],
        setup,
        accept_types: vec!["message/cpim".to_owned()],
        accept_wrapped_types: WRAPPED_TYPES.iter().map(|t| (*t).to_owned()).collect(),
        direction: offer.direction.answer(),
        max_size: None,
        cema: false,
    }
}

/// The role the answerer takes for an offer's setup (RFC 4145 4.1): actpass and passive offers
/// are answered active, active ones passive; holdconn is treated as actpass.
fn connection_role(offer: Setup) -> Setup {
    match offer {
        Setup::Active => Setup::Passive,
        Setup::Passive | Setup::Actpass | Setup::Holdconn => Setup::Active,
    }
}

/// The SDP `o=` session version: seconds since 1970.
fn session_version() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invite(content_type: &str, body: &str) -> Message {
        let text = format!(
            "INVITE sip:12599@botplatform.rcs.chinamobile.com SIP/2.0\r\n\
             Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK1\r\n\
             From: <tel:+8613800000001>;tag=a\r\nTo: <sip:12599@botplatform.rcs.chinamobile.com>\r\n\
             Call-ID: c\r\nCSeq: 1 INVITE\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\n\r\n{body}",
            body.len()
        );
        Message::parse(text.into_bytes()).unwrap()
    }

    fn offer(setup: &str, accept: &str) -> String {
        format!(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=message 9 TCP/MSRP *\r\na=accept-types:{accept}\r\n\
             a=accept-wrapped-types:text/plain\r\na=path:msrp://127.0.0.1:9/abc;tcp\r\n\
             a=setup:{setup}\r\na=sendrecv\r\n"
        )
    }

    #[test]
    fn an_active_offer_is_answered_passive_on_our_listener() {
        let request = invite("application/sdp", &offer("active", "message/cpim"));
        let offer = offer_of(&request).unwrap();
        let local = rcs_proto::msrp::MsrpUri::parse("msrp://127.0.0.1:4000/xyz;tcp").unwrap();
        let ours = answer(&offer, &local);
        assert_eq!(ours.setup, Setup::Passive);
        assert_eq!(ours.port, 4000);
        assert_eq!(ours.accept_types, ["message/cpim"]);
        assert!(ours.accepts_wrapped("application/vnd.gsma.botsuggestion.response.v1.0+json"));
        assert_eq!(connection_role(offer.setup), Setup::Passive);
    }

    #[test]
    fn an_actpass_offer_makes_us_connect() {
        let request = invite("application/sdp", &offer("actpass", "message/cpim"));
        let offer = offer_of(&request).unwrap();
        let local = rcs_proto::msrp::MsrpUri::parse("msrp://127.0.0.1:4000/xyz;tcp").unwrap();
        let ours = answer(&offer, &local);
        assert_eq!(ours.setup, Setup::Active);
        assert_eq!(ours.port, DISCARD_PORT);
        assert_eq!(connection_role(offer.setup), Setup::Active);
    }

    #[test]
    fn unusable_offers_are_refused_with_why() {
        let no_cpim = invite("application/sdp", &offer("active", "text/plain"));
        let (status, _, detail) = offer_of(&no_cpim).unwrap_err();
        assert_eq!(status, 488);
        assert!(detail.contains("message/cpim"), "{detail}");
        let (status, _, _) = offer_of(&invite("text/plain", "hello")).unwrap_err();
        assert_eq!(status, 415);
        let (status, _, _) = offer_of(&invite("application/sdp", "v=9")).unwrap_err();
        assert_eq!(status, 488);
    }
}
