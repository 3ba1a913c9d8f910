//! The relay-layer answers a service centre sends back to the originator of an RP-DATA: RP-ACK
//! (TS 24.011 7.3.3) with an SMS-SUBMIT-REPORT for RP-ACK (TS 23.040 9.2.2.2a), and RP-ERROR
//! (TS 24.011 7.3.4) with a cause (8.2.5.4), both network to mobile.
//!
//! rcs_proto's SMS codec reads and writes RP-DATA only; these two messages are small enough to be
//! written here. They are never read.

use time::OffsetDateTime;

/// RP-MTI of RP-ACK network to mobile (TS 24.011 8.2.2).
const RP_ACK_NETWORK_TO_MS: u8 = 0x03;
/// RP-MTI of RP-ERROR network to mobile.
const RP_ERROR_NETWORK_TO_MS: u8 = 0x05;
/// IEI of the optional RP-User-Data element of RP-ACK and RP-ERROR (TS 24.011 8.2.5.3).
const RP_USER_DATA_IEI: u8 = 0x41;
/// TP-MTI of SMS-SUBMIT-REPORT (TS 23.040 9.2.3.1).
const TP_MTI_SUBMIT_REPORT: u8 = 0x01;

/// RP cause 95 "Semantically incorrect message" (TS 24.011 8.2.5.4, Table 8.4).
pub(crate) const CAUSE_SEMANTICALLY_INCORRECT: u8 = 95;

/// The RP-ACK for the RP-DATA with `reference`, carrying an SMS-SUBMIT-REPORT whose service
/// centre time stamp is `at`.
pub(crate) fn rp_ack(reference: u8, at: OffsetDateTime) -> Vec<u8> {
    // First octet: TP-MTI only (no TP-UDHI); TP-PI 0: no optional parameter follows TP-SCTS.
    let mut report = vec![TP_MTI_SUBMIT_REPORT, 0x00];
    report.extend(timestamp(at));
    let mut out = vec![RP_ACK_NETWORK_TO_MS, reference, RP_USER_DATA_IEI];
    out.push(report.len() as u8);
    out.extend(report);
    out
}

/// The RP-ERROR for the RP-DATA with `reference`, with one cause octet and no diagnostic.
pub(crate) fn rp_error(reference: u8, cause: u8) -> Vec<u8> {
    // RP-Cause: length 1, then the cause value with the extension bit clear.
    vec![RP_ERROR_NETWORK_TO_MS, reference, 1, cause & 0x7F]
}

/// TP-SCTS (TS 23.040 9.2.3.11): year, month, day, hour, minute, second and time zone (in
/// quarter hours, the sign in bit 3 of the second semi-octet), each as two swapped semi-octets.
pub(crate) fn timestamp(at: OffsetDateTime) -> [u8; 7] {
    let swapped = |value: u8| {
        let value = value % 100;
        ((value % 10) << 4) | (value / 10)
    };
    let quarters = at.offset().whole_minutes() / 15;
    let zone = swapped(quarters.unsigned_abs().min(79) as u8) | if quarters < 0 { 0x08 } else { 0 };
    [
        swapped((at.year().rem_euclid(100)) as u8),
        swapped(u8::from(at.month())),
        swapped(at.day()),
        swapped(at.hour()),
        swapped(at.minute()),
        swapped(at.second()),
        zone,
    ]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn the_time_stamp_is_swapped_semi_octets_with_the_zone_in_quarter_hours() {
        let at = datetime!(2025-03-01 10:02:09 +08:00);
        // 25 03 01 10 02 09, +8 h = 32 quarters.
        assert_eq!(timestamp(at), [0x52, 0x30, 0x10, 0x01, 0x20, 0x90, 0x23]);
        let west = datetime!(2025-12-31 23:59:58 -05:00);
        assert_eq!(timestamp(west)[6], 0x0A, "20 quarters, negative");
        assert_eq!(timestamp(west)[..2], [0x52, 0x21]);
    }

    #[test]
    fn rp_ack_carries_a_submit_report_as_rp_user_data() {
        let ack = rp_ack(7, datetime!(2025-03-01 10:02:09 UTC));
        assert_eq!(&ack[..5], &[0x03, 7, 0x41, 9, 0x01]);
        assert_eq!(ack[5], 0x00, "TP-PI: no optional parameters");
        assert_eq!(ack.len(), 2 + 2 + 9);
    }

    #[test]
    fn rp_error_names_its_cause() {
        assert_eq!(
            rp_error(9, CAUSE_SEMANTICALLY_INCORRECT),
            vec![0x05, 9, 1, 95]
        );
    }
}
