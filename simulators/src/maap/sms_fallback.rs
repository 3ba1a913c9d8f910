//! The MaaP's SMS fallback (protocols.md §9.2 chatbot fallback, §8.3 `smsSupported`): a message
//! a user cannot take over RCS goes to the case's SMS centre as SMS over IP (3GPP TS 24.341
//! 5.3.1.2): one SIP MESSAGE per part, `Content-Type: application/vnd.3gpp.sms`, an RP-DATA
//! (TS 24.011 7.3.1) around an SMS-SUBMIT (TS 23.040 9.2.2.2) whose TP-DA is the user's number,
//! GSM 7-bit when the text fits that alphabet, else UCS2, concatenated when long (153 septets or
//! 67 UTF-16 units a part, one random reference per message: `rcs_proto::sms`).
//!
//! The Request-URI and To are the service centre's number, as TS 24.341 addresses the SC; the
//! sender (From, P-Asserted-Identity) is the chatbot's SMS access number, never its SIP URI
//! (§9.2), and the text carries the chatbot's 【signature】 (§9.2 autograph). A part not accepted
//! (final response outside 2xx) stops the message. This module does not wait for the SC's RP-ACK
//! status report (the MaaP's SIP endpoint answers it like any request), retry, or send MMS.

use rcs_proto::sms::{self, MAX_PARTS};

use super::chatbots::Chatbot;
use super::core::MaapCore;
use super::uac::RequestHead;

/// The service centre the MaaP submits to (a China Mobile SMSC number, as the terminal uses).
pub(crate) const SERVICE_CENTRE: &str = "+8613800100500";

/// The sender of SMS for a chatbot whose service number is not all digits (the MaaP's own
/// access number).
pub(crate) const DEFAULT_SMS_SENDER: &str = "tel:10658000;phone-context=+86";

/// The longest fallback text taken (the parts stay under the 255 a reference can number).
pub(crate) const MAX_SMS_TEXT: usize = 4096;

/// Sends `bot`'s fallback `text` to `to_tel`: from the chatbot's access number, signed (not
/// with the `maap.fallback-sms-unsigned` fault); the number of parts sent.
pub(crate) async fn send_chatbot_sms(
    core: &MaapCore,
    bot: &Chatbot,
    to_tel: &str,
    text: &str,
) -> Result<u8, String> {
    let sender = sms_sender(bot);
    let text = match core.has_fault(UNSIGNED) {
        true => text.to_owned(),
        false => signed(&bot.name, text),
    };
    send_sms_from(core, &sender, to_tel, &text).await
}

/// The fault that leaves the chatbot's signature out of its SMS (IWK-SMS-003).
const UNSIGNED: &str = "maap.fallback-sms-unsigned";

/// Sends `text` to `to_tel` as SMS over IP from `from` (a tel URI); the number of parts sent.
pub(crate) async fn send_sms_from(
    core: &MaapCore,
    from: &str,
    to_tel: &str,
    text: &str,
) -> Result<u8, String> {
    let dst = core
        .sms_center()
        .ok_or("failed to send an SMS: the case has no sms-center")?;
    let bodies = parts(to_tel, text)?;
    let centre = format!("tel:{SERVICE_CENTRE}");
    for (n, body) in bodies.iter().enumerate() {
        let head = RequestHead::new();
        let request = head
            .builder(core, "MESSAGE", &centre, from, &centre)
            .header("P-Asserted-Identity", &format!("<{from}>"))
            .body(sms::CONTENT_TYPE, body.clone())
            .build();
        let status = core.transact(&request, &head.branch, dst).await.status();
        if !(200..300).contains(&status) {
            return Err(format!(
                "failed to send SMS part {} of {} to {to_tel}: the sms-center answered {status}",
                n + 1,
                bodies.len()
            ));
        }
    }
    u8::try_from(bodies.len()).map_err(|_| "failed to count the SMS parts".to_owned())
}

/// The RP-DATA bodies of `text` to `to_tel`, one per part.
pub(crate) fn parts(to_tel: &str, text: &str) -> Result<Vec<Vec<u8>>, String> {
    let number = sms_number(to_tel)
        .ok_or_else(|| format!("failed to send an SMS: `{to_tel}` names no number"))?;
    let text: String = text.chars().take(MAX_SMS_TEXT).collect();
    let bodies = sms::submit_text(&text, &number, SERVICE_CENTRE, rand::random())
        .map_err(|e| format!("failed to {e}"))?;
    match bodies.len() {
        0 => Err("failed to send an SMS: no parts".to_owned()),
        n if n > MAX_PARTS => Err(format!("failed to send an SMS: {n} parts")),
        _ => Ok(bodies),
    }
}

/// The chatbot's SMS access number (§9.2 `SMSNumber`): its service number after 1065 (CMCC
/// 12599 → 106512599), or the service number itself when it is one already (106500).
pub(crate) fn sms_sender(bot: &Chatbot) -> String {
    let id = bot.service_id();
    let digits = id.chars().all(|c| c.is_ascii_digit()) && !id.is_empty();
    match (digits, id.starts_with("106")) {
        (true, true) => format!("tel:{id};phone-context=+86"),
        (true, false) => format!("tel:1065{id};phone-context=+86"),
        (false, _) => DEFAULT_SMS_SENDER.to_owned(),
    }
}

/// `text` with the 【signature】 of `name` in front, unless it starts with one.
pub(crate) fn signed(name: &str, text: &str) -> String {
    match text.starts_with('【') || name.is_empty() {
        true => text.to_owned(),
        false => format!("【{name}】{text}"),
    }
}

/// The number of a tel URI (global `+` number or local digits), without separators.
fn sms_number(tel: &str) -> Option<String> {
    let bare = tel.trim();
    let bare = bare.strip_prefix("tel:").unwrap_or(bare);
    let bare = bare.split(';').next().unwrap_or(bare);
    let number: String = bare
        .chars()
        .filter(|c| !matches!(c, '-' | '.' | '(' | ')'))
        .collect();
    let digits = number.strip_prefix('+').unwrap_or(&number);
    let valid =
        !digits.is_empty() && digits.len() <= 20 && digits.bytes().all(|b| b.is_ascii_digit());
    valid.then_some(number)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_proto::sms::{Coding, RpData, Tpdu, reassemble};

    use super::*;
    use crate::maap::chatbots::{DEFAULT_CHATBOT, DEFAULT_CTCU_CHATBOT, Family};

    fn decoded(bodies: &[Vec<u8>]) -> Vec<RpData> {
        bodies.iter().map(|b| RpData::decode(b).unwrap()).collect()
    }

    #[test]
    fn a_short_chinese_text_is_one_ucs2_submit_to_the_user() {
        let bodies = parts("tel:+86-139-0000-0003", "您的账单已出").unwrap();
        let rp = decoded(&bodies);
        assert_eq!(rp.len(), 1);
        assert_eq!(rp[0].service_centre.as_deref(), Some(SERVICE_CENTRE));
        let Tpdu::Submit(submit) = &rp[0].tpdu else {
            panic!("not an SMS-SUBMIT");
        };
        assert_eq!(submit.destination, "+8613900000003");
        assert_eq!(submit.user_data.coding, Coding::Ucs2);
        assert_eq!(submit.user_data.text, "您的账单已出");
        assert!(submit.user_data.concat.is_none());
    }

    #[test]
    fn a_long_text_is_concatenated_and_reassembles() {
        let text = "账".repeat(150);
        let rp = decoded(&parts("tel:+8613900000003", &text).unwrap());
        assert_eq!(rp.len(), 3);
        let user_data: Vec<_> = rp.iter().map(|r| r.tpdu.user_data().clone()).collect();
        assert!(user_data.iter().all(|u| u.text.chars().count() <= 67));
        assert_eq!(reassemble(&user_data).unwrap(), text);
        let ascii = rp_text(&parts("tel:+8613900000003", "Your bill is due").unwrap());
        assert_eq!(ascii, "Your bill is due");
    }

    fn rp_text(bodies: &[Vec<u8>]) -> String {
        let rp = decoded(bodies);
        assert_eq!(rp[0].tpdu.user_data().coding, Coding::Gsm7);
        rp[0].tpdu.user_data().text.clone()
    }

    #[test]
    fn bad_numbers_and_huge_texts_are_handled() {
        assert!(
            parts("sip:alice@example.com", "x")
                .unwrap_err()
                .contains("names no number")
        );
        assert!(parts("tel:", "x").is_err());
        let huge = "a".repeat(MAX_SMS_TEXT * 4);
        let bodies = parts("tel:+8613900000003", &huge).unwrap();
        assert_eq!(bodies.len(), MAX_SMS_TEXT.div_ceil(153));
    }

    #[test]
    fn the_sender_is_the_access_number_and_the_text_is_signed() {
        let cmcc = Chatbot::new(DEFAULT_CHATBOT, Family::Cmcc);
        assert_eq!(sms_sender(&cmcc), "tel:106512599;phone-context=+86");
        let ctcu = Chatbot::new(DEFAULT_CTCU_CHATBOT, Family::Ctcu);
        assert_eq!(sms_sender(&ctcu), "tel:106500;phone-context=+86");
        assert_eq!(signed("某银行", "账单"), "【某银行】账单");
        assert_eq!(signed("某银行", "【已签】账单"), "【已签】账单");
        assert_eq!(signed("", "账单"), "账单");
    }
}
