//! The user-side documents of protocols.md §7.5: suggestion response, device specifics, geo
//! fallback.

use serde_json::{Value, json};

use super::{chars, texts, with};
use crate::bot::{
    device_specifics, geo_fallback, parse_geo_fallback, validate_response, validate_shared_data,
};

#[test]
fn suggestion_responses() {
    let reply = json!({ "response": { "reply": { "displayText": "No", "postback": { "data": "set_by_chatbot_reply_no" } } } });
    assert!(validate_response(&reply).is_empty());
    let action = json!({ "response": { "action": { "displayText": "打开网页" } } });
    assert!(validate_response(&action).is_empty());
    let cases = [
        (json!({}), "/response: required member missing"),
        (
            json!({ "response": {} }),
            "/response: needs one of reply, action",
        ),
        (
            with(
                &reply,
                "/response/action",
                Some(json!({ "displayText": "a" })),
            ),
            "/response: holds reply and action, at most one",
        ),
        (
            with(&reply, "/response/reply/displayText", None),
            "/response/reply/displayText: required member missing",
        ),
        (
            with(&reply, "/response/reply/displayText", Some(chars('否', 26))),
            "/response/reply/displayText: 26 characters, at most 25",
        ),
        (
            with(&reply, "/response/reply/postback/data", Some(json!(1))),
            "/response/reply/postback/data: expected a string, found a number",
        ),
        (
            with(&action, "/response/action/urlAction", Some(json!({}))),
            "/response/action/urlAction: unknown member, the schema allows no others",
        ),
        (
            with(&reply, "/suggestions", Some(json!([]))),
            "/suggestions: unknown member, the schema allows no others",
        ),
    ];
    for (doc, expected) in cases {
        assert_eq!(texts(validate_response(&doc)), [expected], "{doc}");
    }
}

#[test]
fn device_specifics_limits() {
    let doc = json!({ "sharedData": { "deviceSpecifics": {
        "deviceModel": "Mate 60", "platformVersion": "HarmonyOS 4.2.0",
        "clientVendor": "HWEI", "clientVersion": "RCSAndrd-3.0", "batteryRemainingMinutes": 600 } } });
    assert!(validate_shared_data(&doc).is_empty());
    let d = "/sharedData/deviceSpecifics";
    let cases = [
        ("/deviceModel", chars('m', 11), "11 characters, at most 10"),
        (
            "/platformVersion",
            chars('p', 21),
            "21 characters, at most 20",
        ),
        ("/clientVendor", chars('v', 5), "5 characters, at most 4"),
        ("/clientVendor", json!(""), "0 characters, at least 1"),
        (
            "/clientVersion",
            chars('c', 16),
            "16 characters, at most 15",
        ),
        (
            "/batteryRemainingMinutes",
            json!(-5),
            "expected an integer of at least 0, found -5",
        ),
        (
            "/imei",
            json!("1"),
            "unknown member, the schema allows no others",
        ),
    ];
    for (member, value, detail) in cases {
        let bad = with(&doc, &format!("{d}{member}"), Some(value));
        assert_eq!(
            texts(validate_shared_data(&bad)),
            [format!("{d}{member}: {detail}")]
        );
    }
    assert_eq!(
        texts(validate_shared_data(&json!({ "sharedData": [] }))),
        ["/sharedData: expected an object, found an array"]
    );
}

#[test]
fn device_specifics_are_cut_to_their_limits() {
    let doc = device_specifics(
        "华为Mate 60 Pro+",
        "HarmonyOS 4.2.0.137(C00E130R3P2)",
        "HUAWEI",
        "",
    );
    assert!(validate_shared_data(&doc).is_empty(), "{doc}");
    let d = &doc["sharedData"]["deviceSpecifics"];
    assert_eq!(d["deviceModel"], "华为Mate 60 ");
    assert_eq!(d["clientVendor"], "HUAW");
    assert_eq!(d["platformVersion"].as_str().unwrap().chars().count(), 20);
    assert_eq!(d.get("clientVersion"), None::<&Value>);
}

#[test]
fn geo_fallback_text() {
    let text = geo_fallback(50.7311865, 7.0914591, "Bonn 波恩/1");
    assert_eq!(
        text,
        "geo:50.7311865,7.0914591;crs=gcj02;u=10;rcs-l=Bonn%20%E6%B3%A2%E6%81%A9%2F1"
    );
    assert_eq!(
        parse_geo_fallback(&text),
        Some((50.7311865, 7.0914591, "Bonn 波恩/1".to_owned()))
    );
    assert_eq!(
        geo_fallback(f64::NAN, -0.5, ""),
        "geo:0,-0.5;crs=gcj02;u=10;rcs-l="
    );
    assert_eq!(
        parse_geo_fallback("GEO:39.9,116.4"),
        Some((39.9, 116.4, String::new()))
    );
    for bad in [
        "",
        "geo:",
        "geo:91,0",
        "geo:0,181",
        "geo:a,b",
        "geo:NaN,0",
        "http:1,2",
        "geo:1",
        "geo:0,0;rcs-l=%zz%e6",
    ] {
        let parsed = parse_geo_fallback(bad);
        assert!(
            parsed.is_none() || bad.contains("rcs-l"),
            "{bad}: {parsed:?}"
        );
    }
    // A broken escape is kept as text, not dropped.
    assert_eq!(
        parse_geo_fallback("geo:0,0;rcs-l=%zz%4").unwrap().2,
        "%zz%4"
    );
}
