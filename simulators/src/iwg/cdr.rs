//! The gateway's NNI billing records (protocols.md §10.3 `NNI_OUT`/`NNI_IN`, IWK-NNI-008): one
//! record per chat message per border crossing, so the two carriers can settle.
//!
//! The sending gateway records `NNI_OUT` with the charging vector it sent across (the icid kept,
//! both IOIs set, RFC 7315 5.4); the receiving gateway records `NNI_IN` with the vector it
//! received from the NNI. The two records of one message therefore match on `icid`, `orig_ioi`
//! and `term_ioi` whenever the border rules hold. `carrier_orig`/`carrier_term` are the two
//! carriers of the crossing. IMDNs and OPTIONS are not chargeable and leave no record. A
//! record is settled by the final response to its request (matched by Call-ID).
//!
//! Fault: `peer-carrier.nni-cdr-missing` keeps no `NNI_OUT` record. The records live in a
//! [`NetCdrs`] store exported over HTTP like the message center's (`cdr_http`).

use rcs_harness::role::Carrier;
use rcs_proto::sip::Message;

use crate::message_center::cdr::{NNI_IN, NNI_OUT, NetCdr, NetCdrs, is_chat, of_request};

/// The gateway's records. Cheap to clone; every clone is the same.
#[derive(Clone, Debug, Default)]
pub struct NniCdrs {
    store: NetCdrs,
    /// `peer-carrier.nni-cdr-missing`.
    missing_out: bool,
}

/// One crossing of the border: what came in, what went out, between which carriers.
pub struct Crossing<'a> {
    /// The gateway's own carrier.
    pub own: Carrier,
    /// The request as received.
    pub received: &'a Message,
    /// The request as sent on (after the border rewrite).
    pub sent: &'a [u8],
    /// The originating and terminating carriers.
    pub carriers: (Carrier, Carrier),
}

impl NniCdrs {
    /// Records bent by `nni_cdr_missing`.
    pub fn new(nni_cdr_missing: bool) -> Self {
        Self {
            store: NetCdrs::default(),
            missing_out: nni_cdr_missing,
        }
    }

    /// The store its billing export reads.
    pub fn store(&self) -> NetCdrs {
        self.store.clone()
    }

    /// Records a chat MESSAGE crossing the border: `NNI_OUT` from its own carrier's side,
    /// `NNI_IN` from a peer's.
    pub fn crossed(&self, crossing: &Crossing<'_>) {
        let (orig, term) = crossing.carriers;
        let request = crossing.received;
        if request.method() != Some("MESSAGE") || !is_chat(request) || orig == term {
            return;
        }
        let (record_type, seen) = match orig == crossing.own {
            true if self.missing_out => return,
            true => match Message::parse(bytes::Bytes::copy_from_slice(crossing.sent)) {
                Ok(sent) => (NNI_OUT, sent),
                Err(_) => return,
            },
            false => (NNI_IN, request.clone()),
        };
        let Some(base) = of_request(&seen) else {
            return;
        };
        self.store.record(NetCdr {
            record_type: record_type.to_owned(),
            carrier_orig: orig.as_str().to_owned(),
            carrier_term: term.as_str().to_owned(),
            ..base
        });
    }

    /// The final `status` of the request of `call_id` settles its record.
    pub fn answered(&self, call_id: &str, status: u16) {
        self.store.answered(call_id, status);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use bytes::Bytes;

    use super::*;

    const CHAT: &str = "NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: m-9\r\n\r\n\
Content-Type: text/plain\r\n\r\nhi";

    const IMDN: &str = "NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: n-9\r\n\r\n\
Content-Type: message/imdn+xml\r\n\r\n<imdn/>";

    fn message(vector: &str, body: &str) -> Message {
        let text = format!(
            "MESSAGE sip:+8613000000002@ims.mnc001.mcc460.3gppnetwork.org SIP/2.0\r\n\
Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKn1\r\nMax-Forwards: 69\r\n\
From: <sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>;tag=1\r\n\
To: <sip:+8613000000002@ims.mnc001.mcc460.3gppnetwork.org>\r\nCall-ID: nni-1\r\n\
CSeq: 1 MESSAGE\r\nP-Charging-Vector: {vector}\r\n\
Content-Type: message/cpim\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        Message::parse(Bytes::from(text)).unwrap()
    }

    const INSIDE: &str = "icid-value=i1;orig-ioi=ims.mnc000.mcc460.3gppnetwork.org";
    const NNI: &str = "icid-value=i1;orig-ioi=ims.mnc000.mcc460.3gppnetwork.org;\
term-ioi=ims.mnc001.mcc460.3gppnetwork.org";

    fn cross(cdrs: &NniCdrs, own: Carrier, received: &Message, sent: &Message) {
        cdrs.crossed(&Crossing {
            own,
            received,
            sent: sent.raw(),
            carriers: (Carrier::Cmcc, Carrier::Cucc),
        });
    }

    #[test]
    fn the_sender_records_what_it_sent_and_the_receiver_what_it_received() {
        let (gwa, gwb) = (NniCdrs::default(), NniCdrs::default());
        let (inside, nni) = (message(INSIDE, CHAT), message(NNI, CHAT));
        cross(&gwa, Carrier::Cmcc, &inside, &nni);
        cross(&gwb, Carrier::Cucc, &nni, &message("icid-value=i1", CHAT));
        let (out, inn) = (&gwa.store().all()[0], &gwb.store().all()[0]);
        assert_eq!(
            (out.record_type.as_str(), inn.record_type.as_str()),
            (NNI_OUT, NNI_IN)
        );
        for cdr in [out, inn] {
            assert_eq!(cdr.icid, "i1");
            assert_eq!(cdr.orig_ioi, Carrier::Cmcc.ioi());
            assert_eq!(cdr.term_ioi, Carrier::Cucc.ioi());
            assert_eq!(
                (cdr.carrier_orig.as_str(), cdr.carrier_term.as_str()),
                ("cmcc", "cucc")
            );
            assert_eq!(cdr.imdn_message_id, "m-9");
            assert!(cdr.chargeable);
        }
        gwa.answered("nni-1", 200);
        assert_eq!(gwa.store().all()[0].final_status, "delivered");
    }

    #[test]
    fn imdns_leave_no_record_and_the_fault_drops_nni_out() {
        let gw = NniCdrs::default();
        let imdn = message(NNI, IMDN);
        cross(&gw, Carrier::Cucc, &imdn, &imdn);
        assert!(gw.store().all().is_empty());
        let faulty = NniCdrs::new(true);
        let chat = message(NNI, CHAT);
        cross(&faulty, Carrier::Cmcc, &chat, &chat);
        assert!(faulty.store().all().is_empty());
        cross(&faulty, Carrier::Cucc, &chat, &chat);
        assert_eq!(faulty.store().all()[0].record_type, NNI_IN);
    }
}
