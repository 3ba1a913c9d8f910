//! The §7.2 multipart, suggestion extraction and tap responses.

use serde_json::{Value, json};

use crate::bot::{
    BOTMESSAGE_TYPE, BOTSUGGESTION_TYPE, Suggestion, SuggestionKind, response_for, suggestions_of,
    validate_response, with_suggestions,
};
use crate::cpim::CpimBuilder;
use crate::multipart;

const CHIPLIST: &[u8] = include_bytes!("../../../tests/vectors/bot/protocols-7.2-chiplist.dat");
const MIXED: &str = "multipart/mixed; boundary=\"next\"";

fn chips() -> Value {
    json!([
        { "reply": { "displayText": "查看详情", "postback": { "data": "bill_detail" } } },
        { "action": { "displayText": "打开网页", "postback": { "data": "open_bill" },
          "urlAction": { "openUrl": { "application": "browser", "url": "https://bank.example.cn/bill" } } } }
    ])
}

#[test]
fn the_section_7_2_layout_byte_exact() {
    let (ct, body) = with_suggestions(
        "text/plain;charset=UTF-8",
        "您的账单已出".as_bytes(),
        &chips(),
    );
    assert_eq!(ct, MIXED);
    assert_eq!(
        String::from_utf8(body.clone()).unwrap(),
        String::from_utf8(CHIPLIST.to_vec()).unwrap()
    );
    // A whole chip-list document gives the same body.
    let (_, again) = with_suggestions(
        "text/plain;charset=UTF-8",
        "您的账单已出".as_bytes(),
        &json!({ "suggestions": chips() }),
    );
    assert_eq!(again, body);
}

#[test]
fn round_trips_through_multipart() {
    let parts = multipart::parse(MIXED, CHIPLIST).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].content_type(), Some("text/plain;charset=UTF-8"));
    assert_eq!(
        parts[0].header("Content-Disposition"),
        Some("inline; filename=\"Message\"")
    );
    assert_eq!(parts[0].header("Content-Length"), Some("18"));
    assert_eq!(parts[0].body, "您的账单已出".as_bytes());
    assert_eq!(parts[1].content_type(), Some(BOTSUGGESTION_TYPE));
    assert_eq!(
        parts[1].header("Content-Disposition"),
        Some("inline; filename=\"Chiplist.lst\"")
    );
    assert_eq!(
        parts[1].header("Content-Length").unwrap(),
        parts[1].body.len().to_string()
    );
    let doc: Value = serde_json::from_slice(&parts[1].body).unwrap();
    assert_eq!(doc, json!({ "suggestions": chips() }));
    assert_eq!(multipart::build(&parts, "next"), CHIPLIST);
}

#[test]
fn a_body_holding_the_boundary_gets_another() {
    let content = b"line\r\n--next\r\nmore";
    let (ct, body) = with_suggestions("text/plain", content, &chips());
    assert_eq!(ct, "multipart/mixed; boundary=\"next-1\"");
    let parts = multipart::parse(&ct, &body).unwrap();
    assert_eq!(parts[0].body, content);
    assert_eq!(suggestions_of(&ct, &body).len(), 2);
}

fn card(title: &str, chips: &[(&str, &str)]) -> Value {
    let list: Vec<Value> = chips
        .iter()
        .map(|(text, data)| json!({ "reply": { "displayText": text, "postback": { "data": data } } }))
        .collect();
    json!({ "title": title, "suggestions": list })
}

#[test]
fn cards_then_chips_in_document_order() {
    let carousel = json!({ "message": { "generalPurposeCardCarousel": {
        "layout": { "cardWidth": "SMALL_WIDTH" },
        "content": [card("a", &[("a1", "p-a1"), ("a2", "p-a2")]), card("b", &[("b1", "p-b1")])]
    } } });
    let message = serde_json::to_vec(&carousel).unwrap();
    let (ct, body) = with_suggestions(BOTMESSAGE_TYPE, &message, &chips());
    let found = suggestions_of(&ct, &body);
    let texts: Vec<&str> = found.iter().map(|s| s.display_text.as_str()).collect();
    assert_eq!(texts, ["a1", "a2", "b1", "查看详情", "打开网页"]);
    assert_eq!(found[3].kind, SuggestionKind::Reply);
    assert_eq!(found[3].postback.as_deref(), Some("bill_detail"));
    assert_eq!(
        found[4].kind,
        SuggestionKind::Action("urlAction.openUrl".into())
    );
    assert_eq!(
        found[4].json["urlAction"]["openUrl"]["url"],
        "https://bank.example.cn/bill"
    );
    // A standalone card on its own.
    let standalone = json!({ "message": { "generalPurposeCard": {
        "layout": { "cardOrientation": "VERTICAL" }, "content": card("c", &[("c1", "p")]) } } });
    let one = suggestions_of(BOTMESSAGE_TYPE, &serde_json::to_vec(&standalone).unwrap());
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].display_text, "c1");
    // Inside a CPIM wrapper, as a terminal receives it.
    let cpim = CpimBuilder::new()
        .from("<sip:12599@botplatform.rcs.chinamobile.com>")
        .to("<sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>")
        .content_type(&ct)
        .body(body.clone())
        .build();
    assert_eq!(suggestions_of("message/cpim", &cpim), found);
    assert!(suggestions_of("text/plain", b"{}").is_empty());
    assert!(suggestions_of(BOTMESSAGE_TYPE, b"not json").is_empty());
}

#[test]
fn every_action_kind_is_named() {
    let actions = json!({ "suggestions": [
        { "action": { "displayText": "a", "dialerAction": { "dialPhoneNumber": { "phoneNumber": "1" } } } },
        { "action": { "displayText": "b", "mapAction": { "requestLocationPush": {} } } },
        { "action": { "displayText": "c", "deviceAction": { "requestDeviceSpecifics": {} } } },
        { "action": { "displayText": "d" } },
        { "other": {} }
    ] });
    let kinds: Vec<SuggestionKind> =
        suggestions_of(BOTSUGGESTION_TYPE, &serde_json::to_vec(&actions).unwrap())
            .into_iter()
            .map(|s| s.kind)
            .collect();
    let expected = [
        "dialerAction.dialPhoneNumber",
        "mapAction.requestLocationPush",
        "deviceAction.requestDeviceSpecifics",
        "",
    ];
    assert_eq!(kinds, expected.map(|k| SuggestionKind::Action(k.into())));
}

#[test]
fn the_response_to_a_tap() {
    let found = suggestions_of(MIXED, CHIPLIST);
    let reply = response_for(&found[0]);
    assert_eq!(
        reply,
        json!({ "response": { "reply": { "displayText": "查看详情", "postback": { "data": "bill_detail" } } } })
    );
    assert!(validate_response(&reply).is_empty());
    let bare = Suggestion {
        kind: SuggestionKind::Action("deviceAction.requestDeviceSpecifics".into()),
        display_text: "分享设备".into(),
        postback: None,
        json: json!({}),
    };
    assert_eq!(
        response_for(&bare),
        json!({ "response": { "action": { "displayText": "分享设备" } } })
    );
}
