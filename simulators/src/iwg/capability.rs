//! Answers to capability queries on their way back across the border (protocols.md §3, §9.1
//! "Capability query across operators"; IR.90 capability discovery; IWK-NNI-004).
//!
//! The gateway relays an OPTIONS answer as it got it: `200` with the callee's feature tags in
//! its Contact (RFC 3840), `480`/`408` for an RCS user who is offline, `404` for a user who is
//! not RCS; the far network must see the same class of answer the home network gave. The rule
//! lives in the relay by doing nothing; this module holds what a faulty gateway does instead
//! ([`CapabilityFaults`]): a `480`/`408` turned into `404` (the caller would fall back to SMS for
//! an RCS user), or the Contact's feature tags dropped (the caller learns no capability). It
//! does not touch any other method's answers.

use bytes::Bytes;
use rcs_proto::sip::Message;

use crate::message_center::rewrite::{Draft, split_list};

/// One switch per rule of an OPTIONS answer crossing the border.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CapabilityFaults {
    /// `480`/`408` (RCS user offline) is relayed as `404` (not an RCS user).
    pub offline_as_404: bool,
    /// The Contact of a `200` crosses as its bare URI, without feature tags.
    pub strip_contact_tags: bool,
}

/// The answer to `request` as the gateway relays it: `bytes` unchanged unless a fault applies.
pub fn relayed_answer(request: &Message, bytes: Bytes, faults: &CapabilityFaults) -> Bytes {
    if *faults == CapabilityFaults::default() || request.method() != Some("OPTIONS") {
        return bytes;
    }
    let Ok(response) = Message::parse(bytes.clone()) else {
        return bytes;
    };
    let mut draft = Draft::new(&response);
    match response.status() {
        Some(480 | 408) if faults.offline_as_404 => {
            draft.set_start_line("SIP/2.0 404 Not Found".to_owned());
        }
        Some(200) if faults.strip_contact_tags => {
            let Some(at) = draft.position("Contact") else {
                return bytes;
            };
            let bare: Vec<String> = response
                .header_values("Contact")
                .iter()
                .flat_map(|value| split_list(value).into_iter().filter_map(bare_uri))
                .collect();
            draft.remove("Contact");
            draft.insert(at, "Contact", &bare.join(", "));
        }
        _ => return bytes,
    }
    draft.build()
}

/// `<uri>` of a Contact value, without its parameters.
fn bare_uri(contact: &str) -> Option<String> {
    let open = contact.find('<')?;
    let close = open + contact.get(open..)?.find('>')?;
    contact.get(open..=close).map(str::to_owned)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const OPTIONS: &str = "OPTIONS sip:+8613000000002@ims.mnc001.mcc460.3gppnetwork.org SIP/2.0\r\n\
        Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKopt1\r\n\
        From: <sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>;tag=o1\r\n\
        To: <sip:+8613000000002@ims.mnc001.mcc460.3gppnetwork.org>\r\n\
        Call-ID: opt-77\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

    const TAGS: &str = "+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session\"";

    fn answer(status: &str) -> Bytes {
        Bytes::from(format!(
            "SIP/2.0 {status}\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKopt1\r\n\
             From: <sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>;tag=o1\r\n\
             To: <sip:+8613000000002@ims.mnc001.mcc460.3gppnetwork.org>;tag=t1\r\n\
             Call-ID: opt-77\r\nCSeq: 1 OPTIONS\r\n\
             Contact: <sip:+8613000000002@127.0.0.1:5070>;{TAGS}\r\nContent-Length: 0\r\n\r\n"
        ))
    }

    fn options() -> Message {
        Message::parse(OPTIONS.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn answers_cross_unchanged_without_faults() {
        let none = CapabilityFaults::default();
        for status in ["200 OK", "480 Temporarily Unavailable", "404 Not Found"] {
            assert_eq!(
                relayed_answer(&options(), answer(status), &none),
                answer(status)
            );
        }
    }

    #[test]
    fn offline_becomes_not_found_under_its_fault() {
        let faults = CapabilityFaults {
            offline_as_404: true,
            ..CapabilityFaults::default()
        };
        for status in ["480 Temporarily Unavailable", "408 Request Timeout"] {
            let out = Message::parse(relayed_answer(&options(), answer(status), &faults)).unwrap();
            assert_eq!(out.status(), Some(404));
        }
        let ok = relayed_answer(&options(), answer("200 OK"), &faults);
        assert_eq!(ok, answer("200 OK"));
    }

    #[test]
    fn tags_are_dropped_under_their_fault_only_from_options_answers() {
        let faults = CapabilityFaults {
            strip_contact_tags: true,
            ..CapabilityFaults::default()
        };
        let out = Message::parse(relayed_answer(&options(), answer("200 OK"), &faults)).unwrap();
        assert_eq!(
            out.header("Contact"),
            Some("<sip:+8613000000002@127.0.0.1:5070>")
        );
        let message = OPTIONS
            .replace("OPTIONS sip", "MESSAGE sip")
            .replace("1 OPTIONS", "1 MESSAGE");
        let message = Message::parse(message.into_bytes()).unwrap();
        assert_eq!(
            relayed_answer(&message, answer("200 OK"), &faults),
            answer("200 OK")
        );
    }
}
