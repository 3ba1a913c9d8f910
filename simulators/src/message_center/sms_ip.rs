//! SMS over IP at the message center (TS 24.341; protocols.md §9.2; TRM-CAP-002).
//!
//! A MESSAGE whose body is `application/vnd.3gpp.sms` is relayed like any other MESSAGE when its
//! Request-URI names an online RCS user. For anyone else (a user without RCS, an unknown number,
//! an offline user) the message center answers 202 Accepted, standing in for the IP-SM-GW and SMS
//! centre that would take the short message on (TS 24.341 5.3.2): it does not decode, store,
//! deliver over the circuit-switched side or send the RP-ACK status report.

use rcs_proto::sip::Message;

use super::router::Target;

/// Whether `request` carries SMS over IP.
pub fn is_sms(request: &Message) -> bool {
    request.header("Content-Type").is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|t| t.trim().eq_ignore_ascii_case(rcs_proto::sms::CONTENT_TYPE))
    })
}

/// The status the message center answers an SMS with itself, or `None` to relay it.
pub fn status(target: &Target<'_>) -> Option<(u16, &'static str)> {
    match target {
        Target::Online(_) => None,
        Target::Myself | Target::Unknown | Target::NotRcs | Target::Offline => {
            Some((202, "Accepted"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcs_proto::sip::MessageBuilder;

    #[test]
    fn sms_is_recognised_by_its_media_type() {
        let sms = MessageBuilder::request("MESSAGE", "tel:+8613900000003")
            .body("Application/vnd.3gpp.sms", vec![0, 1])
            .build();
        assert!(is_sms(&sms));
        let cpim = MessageBuilder::request("MESSAGE", "tel:+8613900000003")
            .body("message/cpim", b"x".to_vec())
            .build();
        assert!(!is_sms(&cpim));
    }

    #[test]
    fn only_online_targets_are_relayed() {
        assert_eq!(status(&Target::NotRcs), Some((202, "Accepted")));
        assert_eq!(status(&Target::Unknown), Some((202, "Accepted")));
        assert_eq!(status(&Target::Offline), Some((202, "Accepted")));
    }
}
