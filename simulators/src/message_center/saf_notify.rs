//! The notifications the message center itself writes for store-and-forward and revoke: the
//! negative-delivery IMDN on retention expiry (RFC 5438 7.2.1.1, protocols.md §4.7-4.8) and the
//! revoke result (protocols.md §4.9, a shape no source verifies: docs/protocol-notes.md).
//!
//! Both are CPIM bodies of a pager MESSAGE to the original sender, written with
//! [`rcs_proto::imdn::imdn_cpim`] (anonymous CPIM From/To, a new `imdn.Message-ID`) or, for the
//! revoke result in its default shape, the revoke document of the revoke request with a
//! `<result>success|failure</result>` element added. This module writes bytes; it sends nothing.

use std::time::{Instant, SystemTime};

use rcs_proto::cpim::{CpimBuilder, IMDN_NS};
use rcs_proto::imdn::{ANONYMOUS_URI, DeliveryStatus, Imdn, Notification, imdn_cpim};
use rcs_proto::revoke::REVOKE_CONTENT_TYPE;
use rcs_proto::xml_tree::XmlWriter;
use time::OffsetDateTime;
use time::format_description::FormatItem;
use time::macros::{format_description, offset};

use super::saf_settings::RevokeResult;

/// `2025-03-01T10:00:00.000+08:00`, as the terminals write CPIM DateTime (protocols.md §12).
const DATE_TIME: &[FormatItem<'static>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3][offset_hour sign:mandatory]:[offset_minute]"
);

/// The wall-clock time of the case instant `now`: on a virtual clock, ahead of the real time
/// by as much as the case clock is.
pub fn date_time(now: Instant) -> String {
    let wall = SystemTime::now() + now.saturating_duration_since(Instant::now());
    // Only numeric components: formatting cannot fail; an empty value would still be visible.
    OffsetDateTime::from(wall)
        .to_offset(offset!(+8))
        .format(DATE_TIME)
        .unwrap_or_default()
}

/// A fresh `imdn.Message-ID`: 16 alphanumerics (protocols.md §12).
pub fn new_message_id() -> String {
    use rand::Rng;
    rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(16)
        .map(char::from)
        .collect()
}

/// The CPIM of the `failed` delivery-notification for `message_id` (RFC 5438 7.2.1.1).
pub fn expiry_imdn(message_id: &str, new_id: &str, now: Instant) -> Vec<u8> {
    let imdn = Imdn {
        message_id: message_id.to_owned(),
        datetime: date_time(now),
        recipient_uri: None,
        original_recipient_uri: None,
        notification: Notification::Delivery(DeliveryStatus::Failed),
    };
    imdn_cpim(new_id, &imdn)
}

/// The CPIM of a revoke result for `message_id`, in `shape`.
pub fn revoke_result(
    shape: RevokeResult,
    namespace: &str,
    message_id: &str,
    success: bool,
    new_id: &str,
    now: Instant,
) -> Vec<u8> {
    match shape {
        RevokeResult::Imdn => {
            let status = match success {
                true => DeliveryStatus::Failed,
                false => DeliveryStatus::Delivered,
            };
            let imdn = Imdn {
                message_id: message_id.to_owned(),
                datetime: date_time(now),
                recipient_uri: None,
                original_recipient_uri: None,
                notification: Notification::Delivery(status),
            };
            imdn_cpim(new_id, &imdn)
        }
        RevokeResult::RevokeXml => CpimBuilder::new()
            .from(ANONYMOUS_URI)
            .to(ANONYMOUS_URI)
            .ns("imdn", IMDN_NS)
            .header("imdn.Message-ID", new_id)
            .datetime(&date_time(now))
            .content_type(REVOKE_CONTENT_TYPE)
            .body(revoke_xml(namespace, message_id, success))
            .build(),
    }
}

/// `<rcsrevoke xmlns=ns><Message-ID>…</Message-ID><action>revoke</action><result>…</result>`.
pub fn revoke_xml(namespace: &str, message_id: &str, success: bool) -> String {
    let result = match success {
        true => "success",
        false => "failure",
    };
    let mut w = XmlWriter::new();
    w.open("rcsrevoke", &[("xmlns", namespace)])
        .leaf("Message-ID", &[], message_id)
        .leaf("action", &[], "revoke")
        .leaf("result", &[], result)
        .close("rcsrevoke");
    w.finish()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_proto::cpim::CpimMessage;
    use rcs_proto::revoke::{REVOKE_NS, Revoke};

    use super::*;

    #[test]
    fn the_expiry_imdn_reports_failed_for_the_original_id() {
        let now = Instant::now();
        let cpim = expiry_imdn("Orig123456", "New1234567", now);
        let cpim = CpimMessage::parse(&cpim).unwrap();
        assert_eq!(cpim.imdn_message_id(), Some("New1234567"));
        let imdn = Imdn::from_cpim(&cpim).unwrap();
        assert_eq!(imdn.message_id, "Orig123456");
        assert_eq!(
            imdn.notification,
            Notification::Delivery(DeliveryStatus::Failed)
        );
        assert!(
            rcs_proto::cpim::is_rfc3339(&imdn.datetime),
            "{}",
            imdn.datetime
        );
    }

    #[test]
    fn the_revoke_result_is_the_revoke_document_with_a_result() {
        let now = Instant::now();
        let body = revoke_result(RevokeResult::RevokeXml, REVOKE_NS, "m1", true, "n1", now);
        let cpim = CpimMessage::parse(&body).unwrap();
        assert_eq!(cpim.content_type(), Some(REVOKE_CONTENT_TYPE));
        let text = String::from_utf8(cpim.body().to_vec()).unwrap();
        assert!(text.contains("<result>success</result>"), "{text}");
        assert_eq!(Revoke::parse(cpim.body()).unwrap(), Revoke::new("m1"));
        let failed = revoke_xml("urn:other", "m1", false);
        assert!(failed.contains("<result>failure</result>"), "{failed}");
        assert!(Revoke::parse_in(failed.as_bytes(), "urn:other").is_ok());
    }

    #[test]
    fn the_imdn_shape_maps_success_to_failed() {
        let now = Instant::now();
        let read = |success| {
            let body = revoke_result(RevokeResult::Imdn, REVOKE_NS, "m1", success, "n1", now);
            Imdn::from_cpim(&CpimMessage::parse(&body).unwrap())
                .unwrap()
                .notification
        };
        assert_eq!(read(true), Notification::Delivery(DeliveryStatus::Failed));
        assert_eq!(
            read(false),
            Notification::Delivery(DeliveryStatus::Delivered)
        );
    }
}
