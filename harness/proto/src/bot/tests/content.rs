//! Content validation by media type, and robustness on hostile input.

use serde_json::json;

use super::texts;
use crate::bot::{
    BOTMESSAGE_TYPE, BOTSUGGESTION_TYPE, Limits, MAX_CONTENT_BYTES, SHARED_CLIENT_DATA_TYPE,
    SPAM_REPORT_TYPE, SUGGESTION_RESPONSE_TYPE, validate_content, validate_menu, validate_message,
    validate_response, validate_shared_data, validate_suggestions, with_suggestions,
};

const CHIPLIST: &[u8] = include_bytes!("../../../tests/vectors/bot/protocols-7.2-chiplist.dat");
const MIXED: &str = "multipart/mixed; boundary=\"next\"";

fn check(content_type: &str, body: &[u8], limits: Limits) -> Vec<String> {
    texts(validate_content(content_type, body, limits).unwrap())
}

#[test]
fn text_is_capped_at_2000_characters_in_china() {
    let at = "账".repeat(2000);
    let over = "账".repeat(2001);
    assert!(check("text/plain;charset=UTF-8", at.as_bytes(), Limits::China).is_empty());
    assert_eq!(
        check("text/plain", over.as_bytes(), Limits::China),
        [": 2001 characters, at most 2000"]
    );
    assert!(check("TEXT/PLAIN", over.as_bytes(), Limits::Gsma).is_empty());
    assert_eq!(
        check("text/plain", b"\xff\xfe", Limits::Gsma),
        [": the text is not utf-8"]
    );
}

#[test]
fn json_types_dispatch_to_their_validators() {
    let chips = br#"{"suggestions":[{"reply":{"displayText":"a"}}]}"#;
    assert!(check(BOTSUGGESTION_TYPE, chips, Limits::China).is_empty());
    assert_eq!(
        check(BOTMESSAGE_TYPE, b"{}", Limits::China),
        [": needs one of message, suggestions, response, sharedData"]
    );
    assert_eq!(
        check(
            &format!("{BOTSUGGESTION_TYPE}; charset=utf-8"),
            b"{}",
            Limits::Gsma
        ),
        ["/suggestions: required member missing"]
    );
    assert_eq!(
        check(SUGGESTION_RESPONSE_TYPE, b"{}", Limits::Gsma),
        ["/response: required member missing"]
    );
    assert!(
        check(
            SHARED_CLIENT_DATA_TYPE,
            br#"{"sharedData":{}}"#,
            Limits::Gsma
        )
        .is_empty()
    );
    assert_eq!(check(SPAM_REPORT_TYPE, b"<SR/>", Limits::Gsma).len(), 1);
    assert!(check("image/jpeg", b"\xff\xd8", Limits::China).is_empty());
    let err = validate_content(BOTMESSAGE_TYPE, b"{\"message\":", Limits::Gsma).unwrap_err();
    assert!(
        err.starts_with("failed to parse application/vnd.gsma.botmessage.v1.0+json as json"),
        "{err}"
    );
}

#[test]
fn multipart_parts_are_checked_with_their_pointers() {
    assert!(check(MIXED, CHIPLIST, Limits::China).is_empty());
    let long_chip = r#"{"suggestions":[{"reply":{"displayText":"一二三四五六七八九十一二三四五六七八九十一二三四五六"}}]}"#;
    let (ct, body) = with_suggestions(
        "text/plain",
        "账".repeat(2001).as_bytes(),
        &serde_json::from_str(long_chip).unwrap(),
    );
    assert_eq!(
        check(&ct, &body, Limits::China),
        [
            ": 2001 characters, at most 2000",
            "/suggestions/0/reply/displayText: 26 characters, at most 25"
        ]
        .iter()
        .zip(["/part/0", "/part/1"])
        .map(|(e, p)| format!("{p}{e}"))
        .collect::<Vec<_>>()
    );
    let text = String::from_utf8(CHIPLIST.to_vec()).unwrap();
    let wrong_length = text.replace("Content-Length: 18", "Content-Length: 12");
    assert_eq!(
        check(MIXED, wrong_length.as_bytes(), Limits::Gsma),
        ["/part/0: content-length 12 but the part body has 18 bytes"]
    );
    let broken_json = text.replace("{\"suggestions\":[", "{\"suggestions\":[[");
    let found = check(MIXED, broken_json.as_bytes(), Limits::Gsma);
    assert!(
        found.iter().any(|e| e.starts_with(
            "/part/1: failed to parse application/vnd.gsma.botsuggestion.v1.0+json as json"
        )),
        "{found:?}"
    );
    assert!(
        validate_content("multipart/mixed", CHIPLIST, Limits::Gsma)
            .unwrap_err()
            .contains("boundary")
    );
    assert!(validate_content(MIXED, b"no parts", Limits::Gsma).is_err());
}

#[test]
fn nested_multipart_is_bounded() {
    let mut ct = "text/plain".to_owned();
    let mut body = b"x".to_vec();
    for _ in 0..4 {
        let (c, b) = with_suggestions(&ct, &body, &json!([{ "reply": { "displayText": "a" } }]));
        ct = c;
        body = b;
    }
    let found = check(&ct, &body, Limits::Gsma);
    assert!(
        found
            .iter()
            .any(|e| e.ends_with("multipart nested deeper than 2 levels")),
        "{found:?}"
    );
}

#[test]
fn hostile_input_never_panics() {
    let huge = vec![b' '; MAX_CONTENT_BYTES + 1];
    assert!(validate_content(BOTMESSAGE_TYPE, &huge, Limits::China).is_err());
    // serde_json refuses nesting deeper than 128 levels.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(validate_content(BOTMESSAGE_TYPE, deep.as_bytes(), Limits::China).is_err());
    let deep_member = format!(
        "{{\"message\":{}1{}}}",
        "{\"a\":".repeat(120),
        "}".repeat(120)
    );
    assert!(
        !validate_content(BOTMESSAGE_TYPE, deep_member.as_bytes(), Limits::China)
            .unwrap()
            .is_empty()
    );
    // A huge array is fine: every item is reported, nothing recurses on it.
    let many = json!({ "suggestions": vec![json!(1); 50_000] });
    assert_eq!(validate_suggestions(&many, Limits::Gsma).len(), 50_001);
    for doc in [
        json!(null),
        json!(1),
        json!("x"),
        json!([{}]),
        json!({ "menu": null }),
    ] {
        validate_message(&doc, Limits::China);
        validate_suggestions(&doc, Limits::China);
        validate_menu(&doc, Limits::China);
        validate_response(&doc);
        validate_shared_data(&doc);
    }
}

mod fuzz {
    use proptest::prelude::*;
    use serde_json::Value;

    use crate::bot::*;

    fn json_value() -> impl Strategy<Value = Value> {
        let keys = prop::sample::select(vec![
            "message",
            "generalPurposeCard",
            "generalPurposeCardCarousel",
            "layout",
            "content",
            "suggestions",
            "reply",
            "action",
            "displayText",
            "postback",
            "data",
            "urlAction",
            "openUrl",
            "mapAction",
            "showLocation",
            "location",
            "menu",
            "entries",
            "media",
            "response",
            "sharedData",
            "deviceSpecifics",
            "x",
        ]);
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            "[a-zA-Z账]{0,30}".prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 64, 6, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(keys.clone().prop_map(str::to_owned), inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn validators_take_any_json(doc in json_value()) {
            for limits in [Limits::Gsma, Limits::China] {
                validate_message(&doc, limits);
                validate_suggestions(&doc, limits);
                validate_menu(&doc, limits);
            }
            validate_response(&doc);
            validate_shared_data(&doc);
            let body = serde_json::to_vec(&doc).unwrap();
            suggestions_of(BOTMESSAGE_TYPE, &body);
        }

        #[test]
        fn content_takes_any_bytes(body in prop::collection::vec(any::<u8>(), 0..400)) {
            for ct in [BOTMESSAGE_TYPE, "multipart/mixed; boundary=next", "text/plain", SPAM_REPORT_TYPE] {
                let _ = validate_content(ct, &body, Limits::China);
                suggestions_of(ct, &body);
            }
            suggestions_of("message/cpim", &body);
        }
    }
}
