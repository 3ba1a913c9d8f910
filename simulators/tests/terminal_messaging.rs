//! The terminal's pager messages and IMDNs, sent and received (protocols.md §4.2-4.4, §4.7).

#![allow(clippy::unwrap_used)]

mod terminal_support;

use rcs_proto::cpim::CpimMessage;
use rcs_proto::imdn::{DeliveryStatus, DisplayStatus, Imdn, Notification};
use rcs_proto::sip::Message;
use serde_json::{Value, json};
use terminal_support::*;

const BOB_IMPU: &str = "sip:+8613800000002@ims.mnc000.mcc460.3gppnetwork.org";

/// Sends a pager with `params`, answers it 200 and returns the output and what arrived.
async fn pager(rig: &Rig, params: Value) -> (rcs_harness::agent::ActionOutput, Message) {
    let serve = async {
        let (message, _, _) = rig.recv().await;
        rig.reply(&message, 200, &[]).await;
        message
    };
    tokio::join!(rig.act("send-pager", params), serve)
}

#[tokio::test]
async fn pager_message_is_as_section_4_3() {
    let rig = launch(&[], Value::Null).await;
    rig.register_ok(&format!("<sip:+8613800000001@{DOMAIN}>"))
        .await;
    let (out, message) = pager(&rig, json!({ "to": "bob", "text": "你好" })).await;
    assert_eq!(out.values["status"], "200");
    assert_eq!(message.request_uri(), Some(BOB_IMPU));
    assert_eq!(message.header("To"), Some(format!("<{BOB_IMPU}>").as_str()));
    assert_eq!(message.header_all("Route"), [SERVICE_ROUTE]);
    assert_eq!(
        message.header("Accept-Contact"),
        Some("*;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"")
    );
    assert_eq!(
        message.header("P-Preferred-Service"),
        Some("urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg")
    );
    assert_eq!(message.header("Content-Type"), Some("message/cpim"));
    let conversation = message.header("Conversation-ID").unwrap();
    let contribution = message.header("Contribution-ID").unwrap();
    assert!(uuid::Uuid::parse_str(conversation).is_ok());
    assert!(uuid::Uuid::parse_str(contribution).is_ok());
    assert_eq!(out.values["sent.Conversation-ID"], conversation);
    assert_eq!(out.values["sent.Contribution-ID"], contribution);
    assert_eq!(out.values["sent.Call-ID"], message.call_id().unwrap());
    assert_eq!(out.values["sent.body"].as_bytes(), message.body());
    assert_eq!(out.values["sent.text"], "你好");

    let cpim = CpimMessage::parse(message.body()).unwrap();
    assert!(cpim.validate().is_empty(), "{:?}", cpim.validate());
    assert_eq!(
        cpim.header("From"),
        Some(format!("<sip:+8613800000001@{DOMAIN}>").as_str())
    );
    assert_eq!(cpim.header("To"), Some(format!("<{BOB_IMPU}>").as_str()));
    assert!(cpim.header("DateTime").unwrap().ends_with("+08:00"));
    let id = cpim.imdn_message_id().unwrap();
    assert!((10..=16).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(out.values["sent.imdn.Message-ID"], id);
    assert_eq!(
        cpim.disposition_notification(),
        ["positive-delivery", "display"]
    );
    assert_eq!(cpim.content_type(), Some("text/plain;charset=UTF-8"));
    assert_eq!(cpim.body(), "你好".as_bytes());

    let (again, second) = pager(&rig, json!({ "to": format!("tel:+8613800000002") })).await;
    assert_eq!(
        second.header("Conversation-ID"),
        Some(conversation),
        "one conversation per peer"
    );
    assert_ne!(second.header("Contribution-ID"), Some(contribution));
    assert_ne!(
        again.values["sent.imdn.Message-ID"],
        out.values["sent.imdn.Message-ID"]
    );
    assert_eq!(second.request_uri(), Some("tel:+8613800000002"));
    rig.shutdown().await;
}

#[tokio::test]
async fn omit_and_custom_content_reach_the_wire() {
    let rig = launch(&[], Value::Null).await;
    let params = json!({
        "to": "bob",
        "content-type": "application/vnd.gsma.botsuggestion.response.v1.0+json",
        "text": "{}",
        "disposition": "positive-delivery",
        "omit": ["Contribution-ID", "cpim:DateTime"],
    });
    let (out, message) = pager(&rig, params).await;
    assert_eq!(message.header("Contribution-ID"), None);
    assert_eq!(out.values["sent.Contribution-ID"], "");
    let cpim = CpimMessage::parse(message.body()).unwrap();
    assert_eq!(cpim.header("DateTime"), None);
    assert_eq!(cpim.disposition_notification(), ["positive-delivery"]);
    assert_eq!(
        cpim.content_type(),
        Some("application/vnd.gsma.botsuggestion.response.v1.0+json")
    );
    rig.shutdown().await;
}

#[tokio::test]
async fn pager_faults_change_exactly_their_construct() {
    let clean = launch(&[], Value::Null).await;
    let (_, reference) = pager(&clean, json!({ "to": "bob" })).await;
    clean.shutdown().await;

    let rig = launch(&["terminal.omit-conversation-id"], Value::Null).await;
    let (out, message) = pager(&rig, json!({ "to": "bob" })).await;
    assert_eq!(message.header("Conversation-ID"), None);
    assert_eq!(out.values["sent.Conversation-ID"], "");
    assert!(message.header("Contribution-ID").is_some());
    assert!(
        CpimMessage::parse(message.body())
            .unwrap()
            .imdn_message_id()
            .is_some()
    );
    rig.shutdown().await;

    let rig = launch(&["terminal.omit-imdn-message-id"], Value::Null).await;
    let (out, message) = pager(&rig, json!({ "to": "bob" })).await;
    let cpim = CpimMessage::parse(message.body()).unwrap();
    assert_eq!(cpim.imdn_message_id(), None);
    assert_eq!(out.values["sent.imdn.Message-ID"], "");
    assert!(cpim.disposition_notification().len() == 2 && cpim.header("NS").is_some());
    assert!(message.header("Conversation-ID").is_some());
    rig.shutdown().await;

    let rig = launch(&["terminal.plain-text-pager"], Value::Null).await;
    let (_, message) = pager(&rig, json!({ "to": "bob", "text": "hi" })).await;
    assert_eq!(
        message.header("Content-Type"),
        Some("text/plain;charset=UTF-8")
    );
    assert_eq!(message.body(), b"hi");
    let names = |m: &Message| {
        m.headers()
            .iter()
            .map(|h| h.name.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&message),
        names(&reference),
        "same SIP headers, only the body differs"
    );
    rig.shutdown().await;
}

/// Delivers `request` from the message center and returns the terminal's response.
async fn deliver(rig: &Rig, request: &Message) -> Message {
    rig.send(request.as_bytes()).await;
    let (response, _, _) = rig.recv().await;
    response
}

/// Reads the IMDN a MESSAGE carries.
fn imdn_of(message: &Message) -> (CpimMessage, Imdn) {
    let cpim = CpimMessage::parse(message.body()).unwrap();
    let imdn = Imdn::from_cpim(&cpim).unwrap();
    (cpim, imdn)
}

#[tokio::test]
async fn incoming_message_gets_200_and_a_delivery_imdn() {
    let rig = launch(&[], Value::Null).await;
    rig.register_ok(&format!("<sip:+8613800000001@{DOMAIN}>"))
        .await;
    let request = incoming_chat(
        "z9hG4bKin1",
        "Orig123456",
        Some("positive-delivery, display"),
    );
    let response = deliver(&rig, &request).await;
    assert_eq!(response.status(), Some(200));
    assert!(
        response.to_header().unwrap().tag().is_some(),
        "To tag added"
    );
    assert_eq!(response.header("Via"), request.header("Via"));
    assert_eq!(response.call_id(), request.call_id());

    let (report, _, _) = rig.recv().await;
    assert_eq!(report.method(), Some("MESSAGE"));
    assert_eq!(
        report.request_uri(),
        Some(BOB_IMPU),
        "to the CPIM From of the original"
    );
    assert_eq!(report.header("Content-Type"), Some("message/cpim"));
    assert_eq!(report.header_all("Route"), [SERVICE_ROUTE]);
    assert_eq!(report.header("Conversation-ID"), Some("conv-from-bob"));
    assert_eq!(report.header("Contribution-ID"), Some("contrib-from-bob"));
    assert_eq!(
        report.header("P-Preferred-Service"),
        Some("urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg")
    );
    let (cpim, imdn) = imdn_of(&report);
    assert_eq!(
        cpim.header("From"),
        Some("<sip:anonymous@anonymous.invalid>")
    );
    assert_eq!(cpim.header("To"), Some("<sip:anonymous@anonymous.invalid>"));
    assert_eq!(
        cpim.content_header("Content-Disposition"),
        Some("notification")
    );
    let new_id = cpim.imdn_message_id().unwrap();
    assert_ne!(new_id, "Orig123456");
    assert!((10..=16).contains(&new_id.len()));
    assert_eq!(imdn.message_id, "Orig123456");
    assert_eq!(
        imdn.notification,
        Notification::Delivery(DeliveryStatus::Delivered)
    );
    rig.reply(&report, 200, &[]).await;

    // The retransmitted MESSAGE gets the same answer and no second IMDN (RFC 3261 17.2.2).
    let again = deliver(&rig, &request).await;
    assert_eq!(again.as_bytes(), response.as_bytes());
    assert!(rig.stays_quiet().await);
    rig.shutdown().await;
}

#[tokio::test]
async fn no_imdn_unless_asked_and_allowed() {
    let rig = launch(&[], Value::Null).await;
    let response = deliver(&rig, &incoming_chat("z9hG4bKin2", "NoDisp0001", None)).await;
    assert_eq!(response.status(), Some(200));
    let display_only = incoming_chat("z9hG4bKin3", "Disp000001", Some("display"));
    assert_eq!(deliver(&rig, &display_only).await.status(), Some(200));
    assert!(
        rig.stays_quiet().await,
        "no delivery IMDN without positive-delivery"
    );
    rig.shutdown().await;

    let rig = launch(&[], json!({ "auto-delivery-imdn": false })).await;
    let asked = incoming_chat("z9hG4bKin4", "Asked00001", Some("positive-delivery"));
    assert_eq!(deliver(&rig, &asked).await.status(), Some(200));
    assert!(
        rig.stays_quiet().await,
        "the setting turns delivery IMDNs off"
    );
    rig.shutdown().await;
}

#[tokio::test]
async fn send_imdn_reports_the_last_message_or_the_one_asked_for() {
    let rig = launch(&[], json!({ "auto-delivery-imdn": false })).await;
    deliver(
        &rig,
        &incoming_chat("z9hG4bKa1", "First00001", Some("display")),
    )
    .await;
    deliver(
        &rig,
        &incoming_chat("z9hG4bKa2", "Second0002", Some("display")),
    )
    .await;
    let serve = async {
        let (report, _, _) = rig.recv().await;
        rig.reply(&report, 202, &[]).await;
        report
    };
    let (out, report) = tokio::join!(
        rig.act("send-imdn", json!({ "status": "displayed" })),
        serve
    );
    let (cpim, imdn) = imdn_of(&report);
    assert_eq!(imdn.message_id, "Second0002");
    assert_eq!(
        imdn.notification,
        Notification::Display(DisplayStatus::Displayed)
    );
    assert_eq!(out.values["status"], "202");
    assert_eq!(out.values["for"], "Second0002");
    assert_eq!(
        out.values["sent.imdn.Message-ID"],
        cpim.imdn_message_id().unwrap()
    );

    let params = json!({ "to": "bob", "for": "First00001", "status": "delivered" });
    let serve = async {
        let (report, _, _) = rig.recv().await;
        rig.reply(&report, 200, &[]).await;
        report
    };
    let (_, report) = tokio::join!(rig.act("send-imdn", params), serve);
    assert_eq!(imdn_of(&report).1.message_id, "First00001");
    assert_eq!(report.request_uri(), Some(BOB_IMPU));

    // An id nobody sent is still reported when the case names the peer (ROB-BODY-002).
    let params = json!({ "to": "bob", "for": "Unknown001", "status": "delivered" });
    let serve = async {
        let (report, _, _) = rig.recv().await;
        rig.reply(&report, 200, &[]).await;
        report
    };
    let (_, report) = tokio::join!(rig.act("send-imdn", params), serve);
    assert_eq!(imdn_of(&report).1.message_id, "Unknown001");
    assert!(
        report.header("Conversation-ID").is_some() && report.header("Contribution-ID").is_some()
    );
    rig.shutdown().await;
}

#[tokio::test]
async fn an_incoming_imdn_is_accepted_and_never_answered_with_another() {
    let rig = launch(&[], Value::Null).await;
    let imdn = Imdn {
        message_id: "Mine000001".to_owned(),
        datetime: "2025-03-01T10:00:02.000+08:00".to_owned(),
        recipient_uri: None,
        original_recipient_uri: None,
        notification: Notification::Delivery(DeliveryStatus::Delivered),
    };
    let body = rcs_proto::imdn::imdn_cpim("Report0001", &imdn);
    let chat = incoming_chat("z9hG4bKimdn", "x", None);
    let request = rcs_proto::sip::MessageBuilder::request("MESSAGE", chat.request_uri().unwrap());
    let request = chat
        .headers()
        .iter()
        .filter(|h| {
            !h.name.eq_ignore_ascii_case("Content-Length")
                && !h.name.eq_ignore_ascii_case("Content-Type")
        })
        .fold(request, |b, h| b.header(&h.name, &h.value))
        .body("message/cpim", body)
        .build();
    assert_eq!(deliver(&rig, &request).await.status(), Some(200));
    assert!(rig.stays_quiet().await);
    rig.shutdown().await;
}

#[tokio::test]
async fn imdn_and_receive_faults_change_exactly_their_rule() {
    let rig = launch(&["terminal.reject-message"], Value::Null).await;
    let response = deliver(
        &rig,
        &incoming_chat("z9hG4bKf1", "Orig000001", Some("positive-delivery")),
    )
    .await;
    assert_eq!(response.status(), Some(488));
    assert!(
        rig.stays_quiet().await,
        "a rejected message is not reported"
    );
    rig.shutdown().await;

    for (fault, reuses, wrong) in [
        ("terminal.imdn-reuses-message-id", true, false),
        ("terminal.imdn-wrong-reference", false, true),
    ] {
        let rig = launch(&[fault], Value::Null).await;
        let response = deliver(
            &rig,
            &incoming_chat("z9hG4bKf2", "Orig000002", Some("positive-delivery")),
        )
        .await;
        assert_eq!(response.status(), Some(200));
        let (report, _, _) = rig.recv().await;
        let (cpim, imdn) = imdn_of(&report);
        assert_eq!(
            cpim.imdn_message_id() == Some("Orig000002"),
            reuses,
            "{fault}"
        );
        assert_eq!(imdn.message_id != "Orig000002", wrong, "{fault}");
        assert_eq!(
            cpim.header("From"),
            Some("<sip:anonymous@anonymous.invalid>")
        );
        assert_eq!(report.request_uri(), Some(BOB_IMPU));
        rig.reply(&report, 200, &[]).await;
        rig.shutdown().await;
    }
}

#[tokio::test]
async fn unreadable_requests_are_answered_naming_the_construct() {
    let rig = launch(&[], Value::Null).await;
    let chat = incoming_chat("z9hG4bKbad1", "x", None);
    let text = String::from_utf8(chat.as_bytes().to_vec()).unwrap();
    let bad_cseq = text.replace("CSeq: 1 MESSAGE", "CSeq: 1 OPTIONS");
    let response = deliver(&rig, &Message::parse(bad_cseq.into_bytes()).unwrap()).await;
    assert_eq!(response.status(), Some(400));
    let warning = response.header("Warning").unwrap();
    assert!(
        warning.starts_with("399 127.0.0.1:") && warning.contains("CSeq"),
        "{warning}"
    );

    let odd = text.replace("z9hG4bKbad1", "z9hG4bKbad2").replace(
        "Content-Type: message/cpim",
        "Content-Type: application/x-unknown",
    );
    let response = deliver(&rig, &Message::parse(odd.into_bytes()).unwrap()).await;
    assert_eq!(response.status(), Some(415));
    assert_eq!(response.header("Accept"), Some("message/cpim, text/plain"));

    // Bytes that are not SIP are dropped, and the terminal keeps serving.
    rig.send(b"\x00\x01 not sip at all\r\n\r\n").await;
    let ok = incoming_chat("z9hG4bKbad3", "Fine000001", None);
    assert_eq!(deliver(&rig, &ok).await.status(), Some(200));
    rig.shutdown().await;
}
