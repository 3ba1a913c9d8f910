//! The spam report of protocols.md §7.6.

use crate::bot::{MAX_SPAM_MESSAGE_IDS, SPAM_REPORT_NS, SpamReport};

const REPORT: &[u8] = include_bytes!("../../../tests/vectors/bot/protocols-7.6-spam-report.dat");

fn report() -> SpamReport {
    SpamReport {
        chatbot: "sip:12599@botplatform.rcs.chinamobile.com".into(),
        message_ids: vec!["bot-0001".into(), "bot-0002".into()],
        spam_type: Some("fraud".into()),
        free_text: Some("冒充银行 & 索要验证码".into()),
    }
}

#[test]
fn parse_and_write_the_vector() {
    assert_eq!(SpamReport::parse(REPORT).unwrap(), report());
    assert_eq!(report().to_xml(), REPORT);
    let minimal = SpamReport {
        chatbot: "sip:1@b.cn".into(),
        ..SpamReport::default()
    };
    assert_eq!(SpamReport::parse(&minimal.to_xml()).unwrap(), minimal);
}

#[test]
fn prefixes_and_unknown_elements() {
    let xml = format!(
        "<s:SR xmlns:s=\"{SPAM_REPORT_NS}\"><x:y xmlns:x=\"urn:x\"/><s:Message-ID> m1 </s:Message-ID><s:Chatbot>sip:1@b.cn</s:Chatbot></s:SR>"
    );
    let parsed = SpamReport::parse(xml.as_bytes()).unwrap();
    assert_eq!(parsed.message_ids, ["m1"]);
    assert_eq!(parsed.chatbot, "sip:1@b.cn");
    assert_eq!(parsed.spam_type, None);
}

#[test]
fn more_than_ten_ids_are_refused() {
    let mut r = report();
    r.message_ids = (0..MAX_SPAM_MESSAGE_IDS).map(|i| format!("m{i}")).collect();
    assert_eq!(SpamReport::parse(&r.to_xml()).unwrap(), r);
    r.message_ids.push("m10".into());
    let err = SpamReport::parse(&r.to_xml()).unwrap_err();
    assert_eq!(
        err,
        "failed to read the spam report: 11 Message-ID elements, at most 10"
    );
}

#[test]
fn malformed_reports() {
    let text = String::from_utf8(REPORT.to_vec()).unwrap();
    let no_bot = text.replace(
        "<Chatbot>sip:12599@botplatform.rcs.chinamobile.com</Chatbot>",
        "",
    );
    assert_eq!(
        SpamReport::parse(no_bot.as_bytes()).unwrap_err(),
        "failed to find the Chatbot element in SR"
    );
    let other_ns = text.replace(SPAM_REPORT_NS, "urn:example");
    assert!(
        SpamReport::parse(other_ns.as_bytes())
            .unwrap_err()
            .starts_with("failed to match the spam report root")
    );
    let xxe = "<!DOCTYPE SR [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><SR/>";
    assert!(
        SpamReport::parse(xxe.as_bytes())
            .unwrap_err()
            .contains("DOCTYPE")
    );
    assert!(SpamReport::parse(b"<SR").is_err());
    assert!(SpamReport::parse(&vec![b' '; 70_000]).is_err());
}
