//! Incoming session-mode and large-message INVITEs, their ACKs, and BYEs (RFC 3261 13.3, 15.1.2;
//! RFC 4975 8, RFC 6135; protocols.md §4.2, §4.5).
//!
//! An INVITE for the session or largemsg ICSI (Accept-Contact or P-Preferred-Service) is answered
//! 400 when Conversation-ID or Contribution-ID is missing, 603 when the `auto-accept` setting is
//! off, 415 when its body carries no SDP, 488 when the SDP has no usable MSRP media; otherwise 200
//! with our SDP answer (the complementary setup, the answered direction, our accept types, our
//! path, through our MSRP relay when the `msrp-relay` setting names one, RFC 4976 §6), copying the
//! INVITE's Record-Route (RFC 3261 12.1.1). The reader sends that 200; [`accept`] then opens the
//! MSRP session in the role the offer leaves us and, over UDP, retransmits the 200 until the ACK
//! arrives (RFC 3261 13.3.1.4). A BYE of a known dialog is answered 200 and closes its session,
//! also when it comes before the ACK or before the session is open; others get 481. Other INVITEs
//! get 488. This module decides answers; the reader sends them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use rcs_harness::events::Transport;
use rcs_proto::multipart;
use rcs_proto::sdp::{MsrpMedia, Sdp};
use rcs_proto::sip::transaction::{ServerInvite, Timers};
use rcs_proto::sip::{Dialog, Message, MessageBuilder, NameAddr};
use tokio::sync::oneshot;

use super::addr::uri_of;
use super::client::sleep_until;
use super::core::Core;
use super::ids;
use super::media::{
    Mode, answer, check_offer, connection_role, media_type, session_config, session_version,
};
use super::message_in::Rejection;
use super::pager::Conversation;
use super::session::{ChatSession, spawn_pump};
use super::tags::{CPM_LARGEMSG_ICSI, CPM_SESSION_ICSI};

/// Longest wait for the ACK of a 2xx on a reliable transport.
const ACK_WAIT: Duration = Duration::from_secs(32);

/// Most INVITEs awaiting their ACK.
const MAX_AWAITING_ACK: usize = 256;

/// An INVITE answered 200, for [`accept`] to finish.
#[derive(Debug)]
pub(crate) struct Accepting {
    mode: Mode,
    peer: String,
    conversation: Conversation,
    offer: MsrpMedia,
    ours: MsrpMedia,
    dialog: Dialog,
    response: Bytes,
    transport: Transport,
    src: SocketAddr,
    ack: oneshot::Receiver<()>,
}

/// The answer to an INVITE, and the session to open when it is a 200. With an MSRP relay set,
/// authenticates to it first, for the `a=path` of the answer.
pub(crate) async fn on_invite(core: &Core, request: &Message) -> (Message, Option<Accepting>) {
    super::group_in::note_invite(core, request);
    match accept_invite(core, request).await {
        Ok((response, accepting)) => (response, Some(accepting)),
        Err(rejection) => {
            let warning = format!(
                "399 {} \"{}\"",
                core.local.host_port,
                rejection.detail.replace(['"', '\\'], "'")
            );
            let response = MessageBuilder::response_to(request, rejection.status, rejection.reason)
                .to_tag(&ids::tag())
                .header("Warning", &warning)
                .build();
            (response, None)
        }
    }
}

async fn accept_invite(core: &Core, request: &Message) -> Result<(Message, Accepting), Rejection> {
    let mode = mode_of(request).ok_or_else(|| Rejection {
        status: 488,
        reason: "Not Acceptable Here",
        detail: "the INVITE names neither the CPM session nor the largemsg ICSI".to_owned(),
    })?;
    let conversation = conversation_of(request)?;
    if !core.settings.auto_accept {
        return Err(Rejection {
            status: 603,
            reason: "Decline",
            detail: "auto-accept is off".to_owned(),
        });
    }
    let sdp = sdp_of(request)?;
    let offer =
        MsrpMedia::from_sdp(&sdp).map_err(|e| not_acceptable(format!("the SDP offer: {e}")))?;
    check_offer(&offer).map_err(not_acceptable)?;
    if offer.tls && core.msrp.listen_addr(true).is_none() {
        return Err(not_acceptable(
            "TCP/TLS/MSRP is offered but this terminal has no TLS".to_owned(),
        ));
    }
    let local_tag = ids::tag();
    let icsi = match mode {
        Mode::Session => CPM_SESSION_ICSI,
        Mode::Large => CPM_LARGEMSG_ICSI,
    };
    let contact = core.tags.service_contact(&core.local.contact_uri(), icsi);
    let dialog = Dialog::as_uas(request, &local_tag, &contact).map_err(|e| Rejection {
        status: 400,
        reason: "Bad Request",
        detail: format!("dialog: {e}"),
    })?;
    let ours = local_media(core, &offer, mode).await?;
    let host = ours.path.last().map_or("", |uri| uri.host());
    let body = ours.to_sdp(host, session_version()).to_bytes();
    let response = ok_to_invite(request, &local_tag, &contact, body);
    let peer = request
        .header("P-Asserted-Identity")
        .and_then(uri_of)
        .or_else(|| request.header("From").and_then(uri_of))
        .unwrap_or_default();
    let ack = core.acks.expect(dialog.id().call_id.as_str(), &local_tag);
    let accepting = Accepting {
        mode,
        peer,
        conversation,
        offer,
        ours,
        dialog,
        response: response.raw().clone(),
        transport: Transport::Udp,
        src: SocketAddr::from(([0, 0, 0, 0], 0)),
        ack,
    };
    Ok((response, accepting))
}

/// The 200 to an INVITE with our SDP answer; it copies the INVITE's Record-Route, so the proxies
/// that record-routed the INVITE stay on the dialog's path (RFC 3261 12.1.1).
fn ok_to_invite(request: &Message, local_tag: &str, contact: &str, sdp: Vec<u8>) -> Message {
    let mut response = MessageBuilder::response_to(request, 200, "OK").to_tag(local_tag);
    for record_route in request.header_all("Record-Route") {
        response = response.header("Record-Route", record_route);
    }
    response
        .header("Contact", contact)
        .header("Supported", "timer")
        .header("Allow", super::request::ALLOW)
        .body("application/sdp", sdp)
        .build()
}

/// Our answer's media, its `a=path` through the MSRP relay when one is set (RFC 4976 §6).
async fn local_media(core: &Core, offer: &MsrpMedia, mode: Mode) -> Result<MsrpMedia, Rejection> {
    let path = core
        .msrp
        .new_local_path(offer.tls)
        .await
        .map_err(|e| Rejection {
            status: 500,
            reason: "Server Internal Error",
            detail: format!("msrp relay: {e}"),
        })?;
    let local = path.last().ok_or_else(|| Rejection {
        status: 500,
        reason: "Server Internal Error",
        detail: "the msrp stack gave no local path".to_owned(),
    })?;
    let mut ours = answer(offer, local, mode, &core.faults);
    ours.path = path;
    Ok(ours)
}

impl Accepting {
    /// Where the INVITE came from: where retransmitted 2xx go.
    pub(crate) fn arrived(mut self, transport: Transport, src: SocketAddr) -> Self {
        self.transport = transport;
        self.src = src;
        self
    }
}

/// Opens the MSRP session of an accepted INVITE and waits for its ACK.
pub(crate) async fn accept(core: Arc<Core>, a: Accepting) {
    let Accepting {
        mode,
        peer,
        conversation,
        offer,
        ours,
        dialog,
        response,
        transport,
        src,
        ack,
    } = a;
    let call_id = dialog.id().call_id.clone();
    let opened = async {
        let config = session_config(&ours, &offer).ok_or("our answer has no a=path")?;
        let role = connection_role(offer.setup);
        core.msrp
            .open(config, role, ours.tls)
            .await
            .map_err(|e| e.to_string())
    };
    let (opened, ()) = tokio::join!(opened, await_ack(&core, response, transport, src, ack));
    let msrp = match opened {
        Ok(msrp) => msrp,
        Err(error) => {
            core.acks.forget(&call_id);
            tracing::debug!(role = %core.role, %error, "msrp session not opened");
            return;
        }
    };
    let session = Arc::new(ChatSession::new(
        mode,
        peer,
        conversation,
        dialog,
        msrp,
        None,
    ));
    // Known to BYE from here on; a BYE that came before was answered for it (see `on_bye`).
    if let Some(evicted) = core.sessions.insert(session.clone()) {
        evicted.close().await;
    }
    if core.acks.forget(&call_id) {
        close(core, session).await;
        return;
    }
    spawn_pump(core.clone(), session.clone());
    super::group_in::joined(core.clone(), &session).await;
}

/// Waits for the ACK of our 2xx, retransmitting it over UDP (RFC 3261 13.3.1.4).
async fn await_ack(
    core: &Core,
    response: Bytes,
    transport: Transport,
    src: SocketAddr,
    mut ack: oneshot::Receiver<()>,
) {
    if transport != Transport::Udp {
        let _ = tokio::time::timeout(ACK_WAIT, ack).await;
        return;
    }
    let mut txn = ServerInvite::new(false, Timers::default(), core.clock.now());
    txn.send_response(response, 200, core.clock.now());
    // The reader sent the first copy.
    let _ = txn.poll_transmit();
    loop {
        if txn.is_terminated() || txn.ack_timed_out() {
            return;
        }
        tokio::select! {
            _ = &mut ack => {
                txn.handle_ack(core.clock.now());
                return;
            }
            () = sleep_until(&core.clock, txn.poll_timeout()) => {
                txn.handle_timeout(core.clock.now());
                while let Some(bytes) = txn.poll_transmit() {
                    let _ = core.endpoint.send(&bytes, transport, src).await;
                }
            }
        }
    }
}

/// A BYE: 200 and the session to close when it belongs to one of our dialogs, else 481. The
/// dialog of a 2xx we sent exists before its ACK and its MSRP session (RFC 3261 12.1.1, 15): a BYE
/// for it is answered 200 too, and [`accept`] closes the session when it is ready.
pub(crate) fn on_bye(core: &Core, request: &Message) -> (Message, Option<Arc<ChatSession>>) {
    match core.sessions.by_message(request) {
        Some(session) => {
            let response = MessageBuilder::response_to(request, 200, "OK").build();
            (response, Some(session))
        }
        None if core.acks.end(request) => {
            let response = MessageBuilder::response_to(request, 200, "OK").build();
            (response, None)
        }
        None => {
            let response =
                MessageBuilder::response_to(request, 481, "Call/Transaction Does Not Exist")
                    .to_tag(&ids::tag())
                    .build();
            (response, None)
        }
    }
}

/// Closes a session its peer ended.
pub(crate) async fn close(core: Arc<Core>, session: Arc<ChatSession>) {
    core.sessions.remove(&session.call_id);
    session.close().await;
}

/// The CPM mode an INVITE asks for, from Accept-Contact or P-Preferred-Service.
fn mode_of(request: &Message) -> Option<Mode> {
    let mut text = request.header_all("Accept-Contact").join(",");
    text.push(',');
    text.push_str(&request.header_all("P-Preferred-Service").join(","));
    let text = text.replace("%3A", ":").replace("%3a", ":");
    if text.contains(CPM_LARGEMSG_ICSI) {
        Some(Mode::Large)
    } else if text.contains(CPM_SESSION_ICSI) {
        Some(Mode::Session)
    } else {
        None
    }
}

/// Conversation-ID and Contribution-ID, both required (protocols.md §4.2, §4.5).
fn conversation_of(request: &Message) -> Result<Conversation, Rejection> {
    let get = |name: &'static str| {
        request
            .header(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| Rejection {
                status: 400,
                reason: "Bad Request",
                detail: format!("{name} is missing"),
            })
    };
    Ok(Conversation {
        conversation_id: get("Conversation-ID")?,
        contribution_id: get("Contribution-ID")?,
    })
}

/// The SDP of a message: its body, or the application/sdp part of a multipart body.
pub(crate) fn sdp_of(message: &Message) -> Result<Sdp, Rejection> {
    let content_type = message.header("Content-Type").unwrap_or_default();
    let media = media_type(content_type);
    let bytes = if media == "application/sdp" {
        message.body().to_vec()
    } else if media.starts_with("multipart/") {
        let parts = multipart::parse(content_type, message.body())
            .map_err(|e| not_acceptable(format!("{media}: {e}")))?;
        let part = multipart::find(&parts, "application/sdp").ok_or_else(|| Rejection {
            status: 415,
            reason: "Unsupported Media Type",
            detail: format!("{media} has no application/sdp part"),
        })?;
        part.body.clone()
    } else {
        return Err(Rejection {
            status: 415,
            reason: "Unsupported Media Type",
            detail: format!("Content-Type: {content_type} carries no SDP"),
        });
    };
    Sdp::parse(&bytes).map_err(|e| not_acceptable(format!("application/sdp: {e}")))
}

fn not_acceptable(detail: String) -> Rejection {
    Rejection {
        status: 488,
        reason: "Not Acceptable Here",
        detail,
    }
}

/// INVITEs answered 2xx whose session is not open yet, by Call-ID: their ACK is awaited, and a
/// BYE may end them first.
#[derive(Debug, Default)]
pub(crate) struct Acks(Mutex<HashMap<String, Answered2xx>>);

/// One INVITE answered 2xx, until [`accept`] has its session.
#[derive(Debug)]
struct Answered2xx {
    /// Fired by the ACK (or a BYE); `None` once fired.
    ack: Option<oneshot::Sender<()>>,
    /// Our To tag: a BYE of this dialog carries it.
    local_tag: String,
    /// A BYE ended the dialog.
    ended: bool,
}

impl Acks {
    fn expect(&self, call_id: &str, local_tag: &str) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        let mut map = self.lock();
        if map.len() >= MAX_AWAITING_ACK {
            map.clear();
        }
        let answered = Answered2xx {
            ack: Some(tx),
            local_tag: local_tag.to_owned(),
            ended: false,
        };
        map.insert(call_id.to_owned(), answered);
        rx
    }

    /// An ACK arrived for `call_id`.
    pub(crate) fn deliver(&self, call_id: &str) {
        if let Some(tx) = self.lock().get_mut(call_id).and_then(|a| a.ack.take()) {
            let _ = tx.send(());
        }
    }

    /// A BYE for a dialog whose session is not open yet: marks it ended (the ACK wait ends too).
    /// False when the BYE belongs to no such dialog.
    fn end(&self, bye: &Message) -> bool {
        let to_tag = bye
            .header("To")
            .and_then(|to| NameAddr::parse(to).ok())
            .and_then(|to| to.tag().map(str::to_owned));
        let (Some(call_id), Some(to_tag)) = (bye.call_id(), to_tag) else {
            return false;
        };
        let mut map = self.lock();
        let Some(answered) = map.get_mut(call_id).filter(|a| a.local_tag == to_tag) else {
            return false;
        };
        answered.ended = true;
        if let Some(tx) = answered.ack.take() {
            let _ = tx.send(());
        }
        true
    }

    /// Stops tracking `call_id`; whether a BYE ended its dialog meanwhile.
    fn forget(&self, call_id: &str) -> bool {
        self.lock().remove(call_id).is_some_and(|a| a.ended)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Answered2xx>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_200_keeps_the_record_route_of_the_invite_in_order() {
        let invite = Message::parse(bytes::Bytes::from_static(
            b"INVITE sip:+8613800000002@127.0.0.1:5072 SIP/2.0\r\n\
Record-Route: <sip:127.0.0.1:5060;transport=tcp;lr>\r\n\
Record-Route: <sip:10.0.0.1;lr>, <sip:10.0.0.2;lr>\r\n\
Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK2\r\n\
Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK1\r\n\
From: <sip:+8613800000001@ims.example>;tag=a1\r\n\
To: <sip:+8613800000002@ims.example>\r\n\
Call-ID: c1\r\n\
CSeq: 1 INVITE\r\n\
Max-Forwards: 69\r\n\
Contact: <sip:+8613800000001@127.0.0.1:5070;transport=tcp>\r\n\
Content-Length: 0\r\n\r\n",
        ))
        .unwrap();
        let ok = ok_to_invite(
            &invite,
            "b2",
            "<sip:bob@127.0.0.1:5072>",
            b"v=0\r\n".to_vec(),
        );
        assert_eq!(ok.status(), Some(200));
        assert_eq!(
            ok.header_values("Record-Route"),
            [
                "<sip:127.0.0.1:5060;transport=tcp;lr>",
                "<sip:10.0.0.1;lr>",
                "<sip:10.0.0.2;lr>"
            ]
        );
        // The UAC's route set is the reversed Record-Route of this 2xx: its BYE goes to the proxy.
        let dialog = Dialog::as_uac(&invite, &ok).unwrap();
        assert_eq!(dialog.route_set().len(), 3);
        assert_eq!(dialog.route_set()[0], "<sip:10.0.0.2;lr>");
        let none = Message::parse(bytes::Bytes::from(
            String::from_utf8(invite.raw().to_vec())
                .unwrap()
                .replace(
                    "Record-Route: <sip:127.0.0.1:5060;transport=tcp;lr>\r\n",
                    "",
                )
                .replace("Record-Route: <sip:10.0.0.1;lr>, <sip:10.0.0.2;lr>\r\n", ""),
        ))
        .unwrap();
        let ok = ok_to_invite(&none, "b2", "<sip:bob@127.0.0.1:5072>", Vec::new());
        assert!(ok.header("Record-Route").is_none());
    }

    fn bye(to_tag: &str) -> Message {
        Message::parse(bytes::Bytes::from(format!(
            "BYE sip:bob@127.0.0.1:5072 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK3\r\n\
From: <sip:alice@ims.example>;tag=a1\r\nTo: <sip:bob@ims.example>;tag={to_tag}\r\n\
Call-ID: c1\r\nCSeq: 2 BYE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )))
        .unwrap()
    }

    #[test]
    fn a_bye_before_the_session_is_open_ends_its_dialog() {
        let acks = Acks::default();
        let mut ack = acks.expect("c1", "b2");
        assert!(!acks.end(&bye("other")), "another dialog's BYE");
        assert!(ack.try_recv().is_err());
        acks.deliver("c1");
        assert!(ack.try_recv().is_ok(), "the ACK is delivered");
        assert!(
            acks.end(&bye("b2")),
            "still ours after the ACK, until the session is open"
        );
        assert!(acks.forget("c1"), "the BYE ended it");
        assert!(!acks.end(&bye("b2")), "forgotten");
        let mut ack = acks.expect("c1", "b2");
        assert!(acks.end(&bye("b2")));
        assert!(ack.try_recv().is_ok(), "a BYE ends the wait for the ACK");
        drop(acks.expect("c1", "b2"));
        assert!(!acks.forget("c1"), "no BYE came");
    }
}
