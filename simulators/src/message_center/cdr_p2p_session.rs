//! The person-to-person records of CPM sessions and large messages (protocols.md §10.3, §4.1,
//! §4.5; PLT-CDR-006): INVITEs the B2BUA anchors.
//!
//! What a record is: one per session per leg. A large-message session carries exactly one
//! message, so its record is that message's (`service_mode` `largemsg`). A chat session
//! (`session`) carries any number of MSRP messages the signalling never sees one by one; it is
//! billed as IMS session charging bills a session (3GPP TS 32.260: a record per session, not per
//! media frame), once, when it is established. The records are written when the B2BUA takes the
//! INVITE, `submitted`, with the INVITE's Call-ID, and settled by the final response the caller
//! gets (`delivered` on 2xx, else `failed` and not chargeable); legs as for a MESSAGE (`P2P_MO`
//! when its own user invites, `P2P_MT` when it invites its own user's terminal). They carry the
//! icid of the INVITE's charging vector (opened here when its own user sent none), the
//! Conversation-ID and Contribution-ID. A large message's record also has the `imdn_message_id`
//! and content type of the CPIM envelope in its INVITE (protocols.md §4.5); a chat session's has
//! none (its messages' ids travel in MSRP). `size_bytes` is 0: the content is not in the
//! signalling.
//!
//! The fault `message-center.cdr-session-as-pager` records sessions with `service_mode` `pager`.

use rcs_proto::cpim::CpimMessage;
use rcs_proto::multipart;
use rcs_proto::sip::Message;

use super::super::cdr::{NetCdr, P2P_MO, P2P_MT, of_request};
use super::super::invite_legs;
use super::{Leg, P2pCdrs};

/// The ICSI of large-message mode (protocols.md §4.1).
const LARGEMSG_ICSI: &str = "oma.cpm.largemsg";

impl P2pCdrs {
    /// Records a CPM INVITE the B2BUA took, on `leg`.
    pub fn session_started(&self, invite: &Message, leg: Leg) {
        if !(leg.originating || leg.terminating) || !invite_legs::is_cpm_invite(invite) {
            return;
        }
        let Some(base) = of_request(invite) else {
            return;
        };
        let (imdn_message_id, content_type) = envelope(invite).unwrap_or_default();
        let base = NetCdr {
            service_mode: self.session_mode(invite).to_owned(),
            content_type,
            size_bytes: 0,
            imdn_message_id,
            ..base
        };
        if leg.originating {
            self.store.record(NetCdr {
                record_type: P2P_MO.to_owned(),
                ..base.clone()
            });
        }
        if leg.terminating {
            self.store.record(NetCdr {
                record_type: P2P_MT.to_owned(),
                ..base
            });
        }
    }

    /// `largemsg` or `session`, by the INVITE's ICSI (`pager` under the fault).
    fn session_mode(&self, invite: &Message) -> &'static str {
        if self.session_as_pager {
            return "pager";
        }
        let large = ["Accept-Contact", "P-Preferred-Service"]
            .iter()
            .flat_map(|name| invite.header_all(name))
            .any(|value| value.contains(LARGEMSG_ICSI));
        match large {
            true => "largemsg",
            false => "session",
        }
    }
}

/// The `imdn.Message-ID` and content type of a large message's CPIM envelope (the
/// `message/cpim` part of the INVITE's multipart body, protocols.md §4.5); None without one.
fn envelope(invite: &Message) -> Option<(String, String)> {
    let content_type = invite.header("Content-Type")?;
    let parts = multipart::parse(content_type, invite.body()).ok()?;
    let part = multipart::find(&parts, "message/cpim")?;
    let cpim = CpimMessage::parse(&part.body).ok()?;
    let inner = cpim.content_type()?.split(';').next()?.trim().to_owned();
    Some((cpim.imdn_message_id()?.to_owned(), inner))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use bytes::Bytes;

    use super::super::super::config::Faults;
    use super::*;

    fn invite(icsi: &str) -> Message {
        let text = format!(
            "INVITE sip:+8613800000002@ims.mnc000.mcc460.3gppnetwork.org SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKi1\r\nMax-Forwards: 70\r\n\
From: <sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>;tag=1\r\n\
To: <sip:+8613800000002@ims.mnc000.mcc460.3gppnetwork.org>\r\nCall-ID: inv-1\r\n\
CSeq: 1 INVITE\r\nConversation-ID: conv-1\r\nContribution-ID: contrib-1\r\n\
P-Charging-Vector: icid-value=s1;orig-ioi=x\r\n\
Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.{icsi}\"\r\n\
Content-Type: application/sdp\r\nContent-Length: 3\r\n\r\nv=0"
        );
        Message::parse(Bytes::from(text)).unwrap()
    }

    const BOTH: Leg = Leg {
        originating: true,
        terminating: true,
    };

    #[test]
    fn a_session_is_billed_once_per_leg_and_settled_by_its_answer() {
        let cdrs = P2pCdrs::new(&Faults::default());
        cdrs.session_started(&invite("oma.cpm.session"), BOTH);
        let all = cdrs.store().all();
        assert_eq!(all.len(), 2);
        assert_eq!(
            (all[0].record_type.as_str(), all[1].record_type.as_str()),
            (P2P_MO, P2P_MT)
        );
        assert!(
            all.iter()
                .all(|c| c.service_mode == "session" && c.icid == "s1")
        );
        assert!(
            all.iter()
                .all(|c| c.size_bytes == 0 && c.content_type.is_empty())
        );
        cdrs.answered("inv-1", 200);
        assert!(
            cdrs.store()
                .all()
                .iter()
                .all(|c| c.final_status == "delivered")
        );
    }

    #[test]
    fn a_large_message_is_its_own_mode_and_a_refused_one_is_not_charged() {
        let cdrs = P2pCdrs::new(&Faults::default());
        let only_mt = Leg {
            originating: false,
            terminating: true,
        };
        cdrs.session_started(&invite("oma.cpm.largemsg"), only_mt);
        cdrs.answered("inv-1", 486);
        let all = cdrs.store().all();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].service_mode, "largemsg");
        assert!(!all[0].chargeable && all[0].final_status == "failed");
        cdrs.session_started(&invite("oma.cpm.msg"), BOTH);
        assert_eq!(cdrs.store().all().len(), 1, "not a CPM session INVITE");
    }

    #[test]
    fn a_large_message_is_named_by_its_envelope() {
        let cpim = "From: <sip:anonymous@anonymous.invalid>\r\nTo: <sip:anonymous@anonymous.invalid>\r\n\
NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: big-1\r\n\r\n\
Content-Type: text/plain;charset=UTF-8\r\n\r\n";
        let body = format!(
            "--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\
--b\r\nContent-Type: message/cpim\r\n\r\n{cpim}\r\n--b--\r\n"
        );
        let text = String::from_utf8(invite("oma.cpm.largemsg").raw().to_vec()).unwrap();
        let head = text.split("Content-Type: application/sdp").next().unwrap();
        let text = format!(
            "{head}Content-Type: multipart/mixed;boundary=b\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        let large = Message::parse(Bytes::from(text)).unwrap();
        assert_eq!(
            envelope(&large),
            Some(("big-1".to_owned(), "text/plain".to_owned()))
        );
        assert_eq!(envelope(&invite("oma.cpm.session")), None);
    }

    #[test]
    fn the_fault_calls_a_session_pager() {
        let ids = ["message-center.cdr-session-as-pager".to_owned()];
        let cdrs = P2pCdrs::new(&Faults::from_ids(&ids).unwrap());
        cdrs.session_started(&invite("oma.cpm.session"), BOTH);
        assert!(cdrs.store().all().iter().all(|c| c.service_mode == "pager"));
    }
}
