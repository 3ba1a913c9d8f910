//! SIP dialogs (RFC 3261 §12): the state two user agents share after an INVITE, and the
//! requests sent within it.
//!
//! [`Dialog::as_uac`] builds the caller's side from its INVITE and a 2xx (or a 101-199 with a
//! To tag: an early dialog, §12.1.2); [`Dialog::as_uas`] the callee's side from the INVITE it
//! answers (§12.1.1). Both keep the [`DialogId`] (Call-ID and tags), the route set (Record-Route
//! reversed for the UAC, in order for the UAS), the remote target (the peer's Contact URI) and
//! the sequence numbers. [`Dialog::request`] builds BYE, UPDATE, MESSAGE or REFER per
//! §12.2.1.1, loose and strict routing alike; [`Dialog::ack`] the ACK of a 2xx (§13.2.2.4).
//! The builders carry Request-URI, Route, From, To, Call-ID and CSeq only: the caller adds Via,
//! Max-Forwards, Contact and any body. Matching (§12.2) is by Call-ID and tags.
//!
//! Not implemented: the `secure` flag (sips), route set size beyond [`MAX_ROUTE_SET`], and
//! dialog usages other than INVITE (RFC 5057).

use super::builder::has_tag;
use super::error::SipError;
use super::message::Message;
use super::name_addr::NameAddr;
use super::{CSeq, MAX_CSEQ, MessageBuilder};

/// The most Record-Route values a dialog accepts into its route set.
pub const MAX_ROUTE_SET: usize = 64;

/// What identifies a dialog at one user agent (RFC 3261 §12): the Call-ID and both tags.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DialogId {
    /// The Call-ID, compared exactly.
    pub call_id: String,
    /// Our tag: From in our requests, To in the peer's.
    pub local_tag: String,
    /// The peer's tag; empty when an RFC 2543 peer sent none (§12.1.1).
    pub remote_tag: String,
}

/// One side of a dialog (RFC 3261 §12.1).
#[derive(Clone, Debug)]
pub struct Dialog {
    id: DialogId,
    /// The From value of our requests: the local URI with our tag.
    local: String,
    /// The To value of our requests: the remote URI with the peer's tag.
    remote: String,
    remote_target: String,
    route_set: Vec<String>,
    /// The first route lacks `lr`: the next hop is a strict router (§12.2.1.1).
    strict: bool,
    local_cseq: u32,
    remote_cseq: Option<u32>,
    early: bool,
    local_contact: String,
}

impl Dialog {
    /// The UAC's side, from the INVITE it sent and a response with a To tag: a 2xx makes a
    /// confirmed dialog, a 101-199 an early one (§12.1.2).
    pub fn as_uac(invite: &Message, response: &Message) -> Result<Self, SipError> {
        let status = response.status().unwrap_or_default();
        if !(101..=299).contains(&status) {
            return Err(SipError::StartLine(format!(
                "status {status} does not create a dialog"
            )));
        }
        let local = invite
            .header("From")
            .ok_or(SipError::MissingHeader("From"))?;
        let local_tag = invite.from_header()?.tag().map(str::to_owned);
        let local_tag = local_tag.ok_or_else(|| SipError::header("From", "no tag"))?;
        let remote = response.header("To").ok_or(SipError::MissingHeader("To"))?;
        let remote_tag = response.to_header()?.tag().map(str::to_owned);
        let remote_tag = remote_tag.ok_or_else(|| SipError::header("To", "no tag"))?;
        let mut route_set = record_routes(response)?;
        route_set.reverse();
        Ok(Self {
            id: DialogId {
                call_id: call_id(invite)?,
                local_tag,
                remote_tag,
            },
            local: local.to_owned(),
            remote: remote.to_owned(),
            remote_target: contact_uri(response)?,
            strict: is_strict(&route_set)?,
            route_set,
            local_cseq: invite.cseq()?.seq,
            remote_cseq: None,
            early: status < 200,
            local_contact: contact_uri(invite).unwrap_or_default(),
        })
    }

    /// The UAS's side, from the INVITE it answers with `local_tag` in its To. `local_contact`
    /// is the Contact the UAS puts in its responses (kept for [`Dialog::local_contact`]).
    pub fn as_uas(
        invite: &Message,
        local_tag: &str,
        local_contact: &str,
    ) -> Result<Self, SipError> {
        let to = invite.header("To").ok_or(SipError::MissingHeader("To"))?;
        let local = match has_tag(to) {
            true => to.to_owned(),
            false => format!("{to};tag={local_tag}"),
        };
        let remote = invite
            .header("From")
            .ok_or(SipError::MissingHeader("From"))?;
        let remote_tag = invite.from_header()?.tag().unwrap_or_default().to_owned();
        let route_set = record_routes(invite)?;
        Ok(Self {
            id: DialogId {
                call_id: call_id(invite)?,
                local_tag: local_tag.to_owned(),
                remote_tag,
            },
            local,
            remote: remote.to_owned(),
            remote_target: contact_uri(invite)?,
            strict: is_strict(&route_set)?,
            route_set,
            local_cseq: 0,
            remote_cseq: Some(invite.cseq()?.seq),
            early: false,
            local_contact: local_contact.to_owned(),
        })
    }

    /// The dialog ID.
    pub fn id(&self) -> &DialogId {
        &self.id
    }

    /// True when `msg` belongs to this dialog: same Call-ID, and for a request our tag in its
    /// To and the peer's in its From; for a response the other way round (§12.2.1.2, §12.2.2).
    pub fn matches(&self, msg: &Message) -> bool {
        let (ours, theirs) = match msg.is_request() {
            true => (msg.to_header(), msg.from_header()),
            false => (msg.from_header(), msg.to_header()),
        };
        let (Ok(ours), Ok(theirs)) = (ours, theirs) else {
            return false;
        };
        msg.call_id() == Some(self.id.call_id.as_str())
            && ours.tag() == Some(self.id.local_tag.as_str())
            && theirs.tag().unwrap_or_default() == self.id.remote_tag
    }

    /// The peer's Contact URI, without angle brackets.
    pub fn remote_target(&self) -> &str {
        &self.remote_target
    }

    /// The route set, each value a name-addr as received, first hop first.
    pub fn route_set(&self) -> &[String] {
        &self.route_set
    }

    /// The CSeq number of our last request (0 for a UAS that has sent none).
    pub fn local_cseq(&self) -> u32 {
        self.local_cseq
    }

    /// The CSeq number of the peer's last request, if one was seen.
    pub fn remote_cseq(&self) -> Option<u32> {
        self.remote_cseq
    }

    /// Our Contact: the INVITE's Contact URI for a UAC (empty if it had none), the one given
    /// to [`Dialog::as_uas`] for a UAS.
    pub fn local_contact(&self) -> &str {
        &self.local_contact
    }

    /// True for an early dialog (made from a provisional response, not yet confirmed).
    pub fn is_early(&self) -> bool {
        self.early
    }

    /// The ACK for a 2xx to the INVITE whose CSeq number is `invite_cseq` (§13.2.2.4): routed
    /// like any request of the dialog, `CSeq: n ACK`, the local sequence number untouched. The
    /// caller adds Via (a new branch), Max-Forwards and any body.
    pub fn ack(&self, invite_cseq: u32) -> MessageBuilder {
        self.build("ACK", invite_cseq)
    }

    /// A new request of the dialog (BYE, UPDATE, MESSAGE, REFER, re-INVITE) with the next
    /// local CSeq number (§12.2.1.1). The caller adds Via, Max-Forwards, Contact and any body.
    pub fn request(&mut self, method: &str) -> MessageBuilder {
        self.local_cseq = self.local_cseq.saturating_add(1).min(MAX_CSEQ);
        self.build(method, self.local_cseq)
    }

    /// Feeds a request of the peer that [`Dialog::matches`]: false when its CSeq is missing,
    /// malformed or lower than the remote sequence number (answer 500, §12.2.2). Otherwise the
    /// remote sequence number advances, and an INVITE or UPDATE with a Contact replaces the
    /// remote target (target refresh).
    pub fn handle_request(&mut self, request: &Message) -> bool {
        let Ok(CSeq { seq, method }) = request.cseq() else {
            return false;
        };
        if self.remote_cseq.is_some_and(|remote| seq < remote) {
            return false;
        }
        self.remote_cseq = Some(seq);
        if matches!(method.as_str(), "INVITE" | "UPDATE")
            && let Ok(target) = contact_uri(request)
        {
            self.remote_target = target;
        }
        true
    }

    /// Feeds a response of this dialog to the UAC: a 2xx confirms an early dialog and
    /// recomputes its route set (§13.2.2.4); a 2xx to INVITE or UPDATE with a Contact
    /// replaces the remote target (§12.2.1.2). Other responses change nothing.
    pub fn handle_response(&mut self, response: &Message) -> Result<(), SipError> {
        if !response.status().is_some_and(|s| (200..=299).contains(&s)) {
            return Ok(());
        }
        if self.early {
            let mut route_set = record_routes(response)?;
            route_set.reverse();
            self.strict = is_strict(&route_set)?;
            self.route_set = route_set;
            self.early = false;
        }
        let method = response.cseq()?.method;
        if matches!(method.as_str(), "INVITE" | "UPDATE")
            && let Ok(target) = contact_uri(response)
        {
            self.remote_target = target;
        }
        Ok(())
    }

    fn build(&self, method: &str, seq: u32) -> MessageBuilder {
        let (uri, routes) = self.request_uri_and_routes();
        let mut builder = MessageBuilder::request(method, &uri);
        for route in routes {
            builder = builder.header("Route", &route);
        }
        builder
            .header("From", &self.local)
            .header("To", &self.remote)
            .header("Call-ID", &self.id.call_id)
            .header("CSeq", &format!("{seq} {method}"))
    }

    /// §12.2.1.1: loose routing keeps the remote target as Request-URI; a strict first hop
    /// becomes the Request-URI and the remote target the last Route value.
    fn request_uri_and_routes(&self) -> (String, Vec<String>) {
        let first = self.route_set.first().and_then(|r| NameAddr::parse(r).ok());
        match first {
            Some(first) if self.strict => {
                let uri = first.uri.to_string();
                let uri = uri.split('?').next().unwrap_or_default().to_owned();
                let mut routes = self.route_set.get(1..).unwrap_or_default().to_vec();
                routes.push(format!("<{}>", self.remote_target));
                (uri, routes)
            }
            _ => (self.remote_target.clone(), self.route_set.clone()),
        }
    }
}

fn call_id(msg: &Message) -> Result<String, SipError> {
    let call_id = msg.call_id().ok_or(SipError::MissingHeader("Call-ID"))?;
    Ok(call_id.to_owned())
}

/// The URI of the first Contact, without angle brackets.
fn contact_uri(msg: &Message) -> Result<String, SipError> {
    let contacts = msg.contacts()?;
    let first = contacts.first().ok_or(SipError::MissingHeader("Contact"))?;
    Ok(first.uri.to_string())
}

/// Every Record-Route value in wire order, each checked to be a name-addr.
fn record_routes(msg: &Message) -> Result<Vec<String>, SipError> {
    let values = msg.header_values("Record-Route");
    if values.len() > MAX_ROUTE_SET {
        return Err(SipError::header(
            "Record-Route",
            format!("more than {MAX_ROUTE_SET} values"),
        ));
    }
    for value in &values {
        NameAddr::parse_for(value, "Record-Route")?;
    }
    Ok(values)
}

/// True when the first route's URI lacks the `lr` parameter.
fn is_strict(route_set: &[String]) -> Result<bool, SipError> {
    match route_set.first() {
        Some(first) => Ok(NameAddr::parse_for(first, "Record-Route")?
            .uri
            .param("lr")
            .is_none()),
        None => Ok(false),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The INVITE as Bob receives it: two proxies record-routed (p2 nearest to Bob on top).
    fn invite_at_uas() -> Message {
        Message::parse(INVITE_AT_UAS).unwrap()
    }

    /// Alice's INVITE as sent: no Record-Route yet.
    fn invite_at_uac() -> Message {
        MessageBuilder::request("INVITE", "sip:bob@ims.example")
            .header("Via", "SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKinv1")
            .header("From", "\"Alice\" <sip:alice@ims.example>;tag=a1")
            .header("To", "<sip:bob@ims.example>")
            .header("Call-ID", "c1@10.0.0.1")
            .header("CSeq", "314 INVITE")
            .header("Contact", "<sip:alice@10.0.0.1:5060;transport=tcp>")
            .build()
    }

    /// Bob's answer: Record-Route copied from the INVITE (RFC 3261 §12.1.1).
    fn answer(status: u16, record_route: &str) -> Message {
        MessageBuilder::response_to(&invite_at_uas(), status, "OK")
            .to_tag("b7")
            .header("Record-Route", record_route)
            .header("Contact", "<sip:bob@10.0.0.2:5062;transport=tcp>")
            .build()
    }

    fn both_sides() -> (Dialog, Dialog) {
        let uas = Dialog::as_uas(&invite_at_uas(), "b7", "sip:bob@10.0.0.2:5062").unwrap();
        let ok = answer(200, RECORD_ROUTE);
        let uac = Dialog::as_uac(&invite_at_uac(), &ok).unwrap();
        (uac, uas)
    }

    #[test]
    fn ids_from_both_sides_mirror_each_other() {
        let (uac, uas) = both_sides();
        assert_eq!(
            uac.id(),
            &DialogId {
                call_id: "c1@10.0.0.1".into(),
                local_tag: "a1".into(),
                remote_tag: "b7".into(),
            }
        );
        assert_eq!(uas.id().call_id, uac.id().call_id);
        assert_eq!(uas.id().local_tag, uac.id().remote_tag);
        assert_eq!(uas.id().remote_tag, uac.id().local_tag);
        assert_eq!(uac.remote_target(), "sip:bob@10.0.0.2:5062;transport=tcp");
        assert_eq!(uas.remote_target(), "sip:alice@10.0.0.1:5060;transport=tcp");
        assert_eq!(
            uac.route_set(),
            ["<sip:p1.ims.example;lr>", "<sip:p2.ims.example;lr>"]
        );
        assert_eq!(
            uas.route_set(),
            ["<sip:p2.ims.example;lr>", "<sip:p1.ims.example;lr>"]
        );
        assert_eq!((uac.local_cseq(), uac.remote_cseq()), (314, None));
        assert_eq!((uas.local_cseq(), uas.remote_cseq()), (0, Some(314)));
        assert_eq!(uas.local_contact(), "sip:bob@10.0.0.2:5062");
        assert_eq!(uac.local_contact(), "sip:alice@10.0.0.1:5060;transport=tcp");
        assert!(!uac.is_early());
    }

    #[test]
    fn uac_bye_carries_route_tags_and_the_next_cseq() {
        let (mut uac, mut uas) = both_sides();
        let bye = uac
            .request("BYE")
            .header("Via", "SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKbye1")
            .build();
        assert_eq!(
            String::from_utf8_lossy(bye.as_bytes()),
            "BYE sip:bob@10.0.0.2:5062;transport=tcp SIP/2.0\r\n\
Route: <sip:p1.ims.example;lr>\r\nRoute: <sip:p2.ims.example;lr>\r\n\
From: \"Alice\" <sip:alice@ims.example>;tag=a1\r\nTo: <sip:bob@ims.example>;tag=b7\r\n\
Call-ID: c1@10.0.0.1\r\nCSeq: 315 BYE\r\n\
Via: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKbye1\r\nContent-Length: 0\r\n\r\n"
        );
        assert_eq!(uac.local_cseq(), 315);
        assert!(uas.matches(&bye));
        assert!(!uac.matches(&bye));
        assert!(uas.handle_request(&bye));
        assert_eq!(uas.remote_cseq(), Some(315));
        let ok = MessageBuilder::response_to(&bye, 200, "OK").build();
        assert!(uac.matches(&ok));
        assert!(!uas.matches(&ok));
    }

    #[test]
    fn uas_request_uses_the_invite_headers_swapped() {
        let (uac, mut uas) = both_sides();
        let message = uas.request("MESSAGE").build();
        assert_eq!(
            message.request_uri(),
            Some("sip:alice@10.0.0.1:5060;transport=tcp")
        );
        assert_eq!(
            message.header_all("Route"),
            ["<sip:p2.ims.example;lr>", "<sip:p1.ims.example;lr>"]
        );
        assert_eq!(message.header("From"), Some("<sip:bob@ims.example>;tag=b7"));
        assert_eq!(
            message.header("To"),
            Some("\"Alice\" <sip:alice@ims.example>;tag=a1")
        );
        assert_eq!(message.header("CSeq"), Some("1 MESSAGE"));
        assert_eq!(
            uas.request("UPDATE").build().header("CSeq"),
            Some("2 UPDATE")
        );
        assert!(uac.matches(&message));
        assert!(!uas.matches(&message));
    }

    #[test]
    fn ack_keeps_the_invite_cseq_and_has_no_via() {
        let (uac, uas) = both_sides();
        let ack = uac.ack(314).build();
        assert_eq!(ack.method(), Some("ACK"));
        assert_eq!(
            ack.request_uri(),
            Some("sip:bob@10.0.0.2:5062;transport=tcp")
        );
        assert_eq!(ack.header("CSeq"), Some("314 ACK"));
        assert_eq!(ack.header("Via"), None);
        assert_eq!(ack.header_all("Route").len(), 2);
        assert_eq!(uac.local_cseq(), 314);
        assert!(uas.matches(&ack));
    }

    #[test]
    fn strict_first_hop_becomes_the_request_uri() {
        let ok = answer(
            200,
            "<sip:p1.ims.example;lr>, <sip:strict.ims.example;maddr=10.9.9.9>",
        );
        let mut uac = Dialog::as_uac(&invite_at_uac(), &ok).unwrap();
        let bye = uac.request("BYE").build();
        assert_eq!(
            bye.request_uri(),
            Some("sip:strict.ims.example;maddr=10.9.9.9")
        );
        assert_eq!(
            bye.header_all("Route"),
            [
                "<sip:p1.ims.example;lr>",
                "<sip:bob@10.0.0.2:5062;transport=tcp>"
            ]
        );
    }

    #[test]
    fn foreign_call_id_or_tags_do_not_match() {
        let (uac, _) = both_sides();
        for (from, to, call_id) in [
            ("<sip:bob@x>;tag=b7", "<sip:alice@x>;tag=a1", "other"),
            ("<sip:bob@x>;tag=b8", "<sip:alice@x>;tag=a1", "c1@10.0.0.1"),
            ("<sip:bob@x>;tag=b7", "<sip:alice@x>", "c1@10.0.0.1"),
            ("<sip:bob@x>;tag=b7", "<bad", "c1@10.0.0.1"),
        ] {
            let request = MessageBuilder::request("BYE", "sip:alice@x")
                .header("From", from)
                .header("To", to)
                .header("Call-ID", call_id)
                .build();
            assert!(!uac.matches(&request), "{from} {to} {call_id}");
        }
    }

    #[test]
    fn early_dialog_is_confirmed_by_the_2xx() {
        let ringing = MessageBuilder::response_to(&invite_at_uas(), 180, "Ringing")
            .to_tag("b7")
            .header("Contact", "<sip:bob@10.0.0.2:5062>")
            .build();
        let mut uac = Dialog::as_uac(&invite_at_uac(), &ringing).unwrap();
        assert!(uac.is_early());
        assert!(uac.route_set().is_empty());
        uac.handle_response(&answer(200, RECORD_ROUTE)).unwrap();
        assert!(!uac.is_early());
        assert_eq!(uac.route_set().len(), 2);
        assert_eq!(uac.remote_target(), "sip:bob@10.0.0.2:5062;transport=tcp");
    }

    #[test]
    fn out_of_order_requests_are_refused_and_target_refresh_applies() {
        let (_, mut uas) = both_sides();
        let request = |cseq: &str, contact: &str| {
            MessageBuilder::request("UPDATE", "sip:bob@10.0.0.2:5062")
                .header("CSeq", cseq)
                .header("Contact", contact)
                .build()
        };
        assert!(!uas.handle_request(&request("313 UPDATE", "<sip:a@h>")));
        assert!(!uas.handle_request(&request("x UPDATE", "<sip:a@h>")));
        assert!(uas.handle_request(&request("314 ACK", "<sip:a@h>")));
        assert_eq!(uas.remote_target(), "sip:alice@10.0.0.1:5060;transport=tcp");
        assert!(uas.handle_request(&request("316 UPDATE", "<sip:alice@10.0.0.9>")));
        assert_eq!(uas.remote_target(), "sip:alice@10.0.0.9");
        assert_eq!(uas.remote_cseq(), Some(316));
    }

    #[test]
    fn errors_name_the_missing_header() {
        let invite = invite_at_uac();
        let busy = MessageBuilder::response_to(&invite_at_uas(), 486, "Busy Here")
            .to_tag("b7")
            .build();
        assert!(matches!(
            Dialog::as_uac(&invite, &busy),
            Err(SipError::StartLine(_))
        ));
        let no_contact = MessageBuilder::response_to(&invite_at_uas(), 200, "OK")
            .to_tag("b7")
            .build();
        assert_eq!(
            Dialog::as_uac(&invite, &no_contact).unwrap_err(),
            SipError::MissingHeader("Contact")
        );
        let no_tag = MessageBuilder::response_to(&invite_at_uas(), 200, "OK")
            .header("Contact", "<sip:b@h>")
            .build();
        let err = Dialog::as_uac(&invite, &no_tag).unwrap_err();
        assert_eq!(err.to_string(), "parse the To header: no tag");
        let no_call_id = MessageBuilder::request("INVITE", "sip:b@h")
            .header("From", "<sip:a@h>;tag=1")
            .header("To", "<sip:b@h>")
            .header("CSeq", "1 INVITE")
            .header("Contact", "<sip:a@h>")
            .build();
        assert_eq!(
            Dialog::as_uas(&no_call_id, "x", "sip:b@h").unwrap_err(),
            SipError::MissingHeader("Call-ID")
        );
        let bad_route = answer(200, "<sip:p1;lr");
        assert!(matches!(
            Dialog::as_uac(&invite, &bad_route),
            Err(SipError::Header {
                header: "Record-Route",
                ..
            })
        ));
    }

    #[test]
    fn route_set_is_capped() {
        let routes = vec!["<sip:p.example;lr>"; MAX_ROUTE_SET + 1].join(", ");
        let err = Dialog::as_uac(&invite_at_uac(), &answer(200, &routes)).unwrap_err();
        assert!(err.to_string().contains("more than 64 values"), "{err}");
    }

    const RECORD_ROUTE: &str = "<sip:p2.ims.example;lr>, <sip:p1.ims.example;lr>";

    const INVITE_AT_UAS: &[u8] = b"INVITE sip:bob@10.0.0.2:5062;transport=tcp SIP/2.0\r\n\
Via: SIP/2.0/TCP p2.ims.example;branch=z9hG4bKp2\r\n\
Via: SIP/2.0/TCP p1.ims.example;branch=z9hG4bKp1\r\n\
Via: SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKinv1\r\n\
Record-Route: <sip:p2.ims.example;lr>\r\n\
Record-Route: <sip:p1.ims.example;lr>\r\n\
Max-Forwards: 68\r\n\
From: \"Alice\" <sip:alice@ims.example>;tag=a1\r\n\
To: <sip:bob@ims.example>\r\n\
Call-ID: c1@10.0.0.1\r\n\
CSeq: 314 INVITE\r\n\
Contact: <sip:alice@10.0.0.1:5060;transport=tcp>\r\n\
Content-Length: 0\r\n\r\n";
}
