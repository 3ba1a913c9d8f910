//! Tests of the pager-mode MESSAGE and IMDN writers against protocols.md §4.3 and §4.7.

use rcs_harness::events::Transport;
use rcs_proto::cpim::CpimMessage;
use rcs_proto::imdn::{DeliveryStatus, Notification};

use super::*;

const ALICE: &str = "sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org";
const BOB: &str = "sip:+8613800000002@ims.mnc000.mcc460.3gppnetwork.org";

fn local() -> Local {
    Local {
        host_port: "127.0.0.1:5070".to_owned(),
        transport: Transport::Tcp,
        msisdn: "+8613800000001".to_owned(),
    }
}

fn conv() -> Conversation {
    Conversation {
        conversation_id: "0f6b6c36-2c7b-4b8e-9a59-1a9f2d4e0c11".to_owned(),
        contribution_id: "8d0f8e1e-77a0-4b21-bb5a-6a1c0f3e9b22".to_owned(),
    }
}

fn write(omit: &[&str], faults: &[&str]) -> Written {
    let local = local();
    let route = ["<sip:orig@scscf1.ims.mnc000.mcc460.3gppnetwork.org;lr>".to_owned()];
    let env = Envelope {
        local: &local,
        identity: ALICE,
        target: BOB,
        route: &route,
        call_id: "5c2d1f1a",
        from_tag: "m1a",
        branch: "z9hG4bKm1",
    };
    let omit: Vec<String> = omit.iter().map(|s| (*s).to_owned()).collect();
    let chat_text = Chat {
        text: "你好",
        content_type: "text/plain;charset=UTF-8",
        disposition: "positive-delivery, display",
        message_id: "Qm9t3XkA7",
        date_time: "2025-03-01T10:00:00.000+08:00",
        omit: &omit,
    };
    let ids: Vec<String> = faults.iter().map(|s| (*s).to_owned()).collect();
    chat(&env, &conv(), &chat_text, &Faults::from_ids(&ids).unwrap())
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn chat_message_is_the_section_4_3_layout() {
    let w = write(&[], &[]);
    let body = "From: <sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>\r\n\
To: <sip:+8613800000002@ims.mnc000.mcc460.3gppnetwork.org>\r\n\
DateTime: 2025-03-01T10:00:00.000+08:00\r\n\
NS: imdn <urn:ietf:params:imdn>\r\n\
imdn.Message-ID: Qm9t3XkA7\r\n\
imdn.Disposition-Notification: positive-delivery, display\r\n\
\r\n\
Content-Type: text/plain;charset=UTF-8\r\n\
Content-Length: 6\r\n\
\r\n\
你好";
    let expected = format!(
        "MESSAGE sip:+8613800000002@ims.mnc000.mcc460.3gppnetwork.org SIP/2.0\r\n\
Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bKm1;rport\r\n\
Max-Forwards: 70\r\n\
Route: <sip:orig@scscf1.ims.mnc000.mcc460.3gppnetwork.org;lr>\r\n\
From: <sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>;tag=m1a\r\n\
To: <sip:+8613800000002@ims.mnc000.mcc460.3gppnetwork.org>\r\n\
Call-ID: 5c2d1f1a\r\n\
CSeq: 1 MESSAGE\r\n\
Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"\r\n\
P-Preferred-Service: urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg\r\n\
P-Preferred-Identity: <sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>\r\n\
Conversation-ID: 0f6b6c36-2c7b-4b8e-9a59-1a9f2d4e0c11\r\n\
Contribution-ID: 8d0f8e1e-77a0-4b21-bb5a-6a1c0f3e9b22\r\n\
Content-Type: message/cpim\r\n\
Content-Length: {}\r\n\
\r\n\
{body}",
        body.len()
    );
    assert_eq!(text(w.message.as_bytes()), expected);
    assert_eq!(w.body, body.as_bytes());
    let cpim = CpimMessage::parse(&w.body).unwrap();
    assert!(cpim.validate().is_empty(), "{:?}", cpim.validate());
    assert_eq!(cpim.imdn_message_id(), Some("Qm9t3XkA7"));
    assert_eq!(
        cpim.disposition_notification(),
        ["positive-delivery", "display"]
    );
}

#[test]
fn omit_removes_at_both_levels_unless_prefixed() {
    let w = write(
        &[
            "Contribution-ID",
            "cpim:From",
            "imdn.Disposition-Notification",
        ],
        &[],
    );
    assert_eq!(w.message.header("Contribution-ID"), None);
    assert!(
        w.message.header("From").is_some(),
        "cpim: prefix spares the SIP From"
    );
    let cpim = CpimMessage::parse(&w.body).unwrap();
    assert_eq!(cpim.header("From"), None);
    assert!(cpim.disposition_notification().is_empty());
    assert_eq!(cpim.header("To"), Some(format!("<{BOB}>").as_str()));

    let w = write(&["sip:To"], &[]);
    assert_eq!(w.message.header("To"), None);
    assert!(CpimMessage::parse(&w.body).unwrap().header("To").is_some());
}

#[test]
fn each_pager_fault_changes_only_its_construct() {
    let clean = write(&[], &[]);
    let strip = |w: &Written| text(w.message.as_bytes());

    let no_conv = write(&[], &["terminal.omit-conversation-id"]);
    assert_eq!(no_conv.message.header("Conversation-ID"), None);
    let conv_line = "Conversation-ID: 0f6b6c36-2c7b-4b8e-9a59-1a9f2d4e0c11\r\n";
    assert_eq!(strip(&no_conv), strip(&clean).replace(conv_line, ""));

    let no_id = write(&[], &["terminal.omit-imdn-message-id"]);
    let cpim = CpimMessage::parse(&no_id.body).unwrap();
    assert_eq!(cpim.imdn_message_id(), None);
    assert_eq!(
        text(&no_id.body),
        text(&clean.body).replace("imdn.Message-ID: Qm9t3XkA7\r\n", "")
    );

    let plain = write(&[], &["terminal.plain-text-pager"]);
    assert_eq!(
        plain.message.header("Content-Type"),
        Some("text/plain;charset=UTF-8")
    );
    assert_eq!(plain.body, "你好".as_bytes());
    assert_eq!(
        plain.message.header("Conversation-ID"),
        clean.message.header("Conversation-ID")
    );

    let raw = write(&[], &["terminal.unencoded-icsi"]);
    assert_eq!(
        raw.message.header("Accept-Contact"),
        Some("*;+g.3gpp.icsi-ref=\"urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg\"")
    );
    assert_eq!(raw.body, clean.body);
}

#[test]
fn imdn_message_wraps_the_proto_cpim() {
    let local = local();
    let env = Envelope {
        local: &local,
        identity: BOB,
        target: ALICE,
        route: &[],
        call_id: "c2",
        from_tag: "t2",
        branch: "z9hG4bKi1",
    };
    let report = Imdn {
        message_id: "Qm9t3XkA7".to_owned(),
        datetime: "2025-03-01T10:00:02.000+08:00".to_owned(),
        recipient_uri: None,
        original_recipient_uri: None,
        notification: Notification::Delivery(DeliveryStatus::Delivered),
    };
    let w = imdn(&env, &conv(), "Zt81mQp0", &report, &Faults::default());
    assert_eq!(w.message.request_uri(), Some(ALICE));
    assert_eq!(w.message.header("Content-Type"), Some("message/cpim"));
    assert_eq!(
        w.message.header("Conversation-ID"),
        Some(conv().conversation_id.as_str())
    );
    assert_eq!(w.message.header("P-Preferred-Service"), Some(CPM_MSG_ICSI));
    assert_eq!(w.body, imdn_cpim("Zt81mQp0", &report));
    assert_eq!(w.message.body(), &w.body[..]);
    let cpim = CpimMessage::parse(&w.body).unwrap();
    assert_eq!(
        cpim.header("From"),
        Some("<sip:anonymous@anonymous.invalid>")
    );
    assert_eq!(cpim.imdn_message_id(), Some("Zt81mQp0"));
    assert_eq!(Imdn::from_cpim(&cpim).unwrap(), report);
}
