//! The chip list and every action variant of protocols.md §7.4.

use serde_json::{Value, json};

use super::{chars, fails, passes, with};
use crate::bot::validate_suggestions;

/// A chip list of one action with `displayText`, `postback` and this group object.
fn action(group: &str, body: Value) -> Value {
    json!({ "suggestions": [{ "action": {
        "displayText": "去看看",
        "postback": { "data": "go" },
        group: body
    } }] })
}

/// Every variant of the §7.4 table, valid, with the pointer of its variant object.
fn variants() -> Vec<(Value, String)> {
    let all = [
        (
            "urlAction",
            "openUrl",
            json!({ "url": "https://bank.example.cn/bill", "application": "browser" }),
        ),
        (
            "dialerAction",
            "dialPhoneNumber",
            json!({ "phoneNumber": "+8695555", "fallbackUrl": "tel:+8695555" }),
        ),
        (
            "dialerAction",
            "dialEnrichedCall",
            json!({ "phoneNumber": "+8695555", "subject": "账单咨询" }),
        ),
        (
            "dialerAction",
            "dialVideoCall",
            json!({ "phoneNumber": "+8695555" }),
        ),
        (
            "mapAction",
            "showLocation",
            json!({ "location": { "latitude": 39.9, "longitude": 116.4, "label": "支行" }, "fallbackUrl": "https://map.example.cn/" }),
        ),
        ("mapAction", "requestLocationPush", json!({})),
        (
            "calendarAction",
            "createCalendarEvent",
            json!({ "startTime": "2025-03-10T09:00:00+08:00", "endTime": "2025-03-10T10:00:00Z", "title": "还款日", "description": "记得还款" }),
        ),
        (
            "composeAction",
            "composeTextMessage",
            json!({ "phoneNumber": "+8695555", "text": "查询余额" }),
        ),
        (
            "composeAction",
            "composeRecordingMessage",
            json!({ "phoneNumber": "+8695555", "type": "VIDEO" }),
        ),
        ("deviceAction", "requestDeviceSpecifics", json!({})),
        ("settingsAction", "disableAnonymization", json!({})),
        ("settingsAction", "enableDisplayedNotifications", json!({})),
    ];
    all.into_iter()
        .map(|(group, variant, body)| {
            let doc = action(group, json!({ variant: body }));
            (doc, format!("/suggestions/0/action/{group}/{variant}"))
        })
        .collect()
}

fn variant(name: &str) -> (Value, String) {
    variants()
        .into_iter()
        .find(|(_, p)| p.ends_with(&format!("/{name}")))
        .unwrap()
}

#[test]
fn every_variant_of_the_table_passes() {
    let all = variants();
    assert_eq!(all.len(), 12);
    for (doc, _) in &all {
        passes(validate_suggestions, doc);
    }
    let webview = json!({ "url": "https://a.example/", "application": "webview", "viewMode": "half", "parameters": "x" });
    passes(
        validate_suggestions,
        &action("urlAction", json!({ "openUrl": webview })),
    );
    let query = json!({ "showLocation": { "location": { "query": "最近的网点" } } });
    passes(validate_suggestions, &action("mapAction", query));
}

#[test]
fn each_required_member_and_length() {
    let cases: &[(&str, &str, Option<Value>, &str)] = &[
        ("openUrl", "/url", None, "/url: required member missing"),
        (
            "openUrl",
            "/url",
            Some(json!("not a url")),
            "/url: \"not a url\" is not a uri",
        ),
        (
            "openUrl",
            "/application",
            Some(json!("app")),
            "/application: \"app\" is not one of browser, webview",
        ),
        (
            "openUrl",
            "/viewMode",
            Some(json!("full")),
            "/viewMode: allowed only with application webview",
        ),
        (
            "openUrl",
            "/parameters",
            Some(json!("p")),
            "/parameters: allowed only with application webview",
        ),
        (
            "dialPhoneNumber",
            "/phoneNumber",
            None,
            "/phoneNumber: required member missing",
        ),
        (
            "dialPhoneNumber",
            "/fallbackUrl",
            Some(json!("")),
            "/fallbackUrl: \"\" is not a uri",
        ),
        (
            "dialEnrichedCall",
            "/phoneNumber",
            None,
            "/phoneNumber: required member missing",
        ),
        (
            "dialEnrichedCall",
            "/subject",
            Some(chars('询', 61)),
            "/subject: 61 characters, at most 60",
        ),
        (
            "dialVideoCall",
            "/phoneNumber",
            Some(json!(8695555)),
            "/phoneNumber: expected a string, found a number",
        ),
        (
            "showLocation",
            "/location",
            None,
            "/location: required member missing",
        ),
        (
            "showLocation",
            "/location/longitude",
            None,
            "/location/longitude: required member missing",
        ),
        (
            "showLocation",
            "/location/query",
            Some(json!("网点")),
            "/location: holds a query and coordinates, at most one",
        ),
        (
            "showLocation",
            "/location/label",
            Some(chars('行', 101)),
            "/location/label: 101 characters, at most 100",
        ),
        (
            "showLocation",
            "/location/latitude",
            Some(json!("39.9")),
            "/location/latitude: expected a number, found a string",
        ),
        (
            "requestLocationPush",
            "/accuracy",
            Some(json!(10)),
            "/accuracy: unknown member, the schema allows no others",
        ),
        (
            "createCalendarEvent",
            "/startTime",
            None,
            "/startTime: required member missing",
        ),
        (
            "createCalendarEvent",
            "/endTime",
            Some(json!("2025-03-10 10:00")),
            "/endTime: \"2025-03-10 10:00\" is not an rfc 3339 date-time",
        ),
        (
            "createCalendarEvent",
            "/title",
            None,
            "/title: required member missing",
        ),
        (
            "createCalendarEvent",
            "/title",
            Some(chars('还', 101)),
            "/title: 101 characters, at most 100",
        ),
        (
            "createCalendarEvent",
            "/description",
            Some(chars('款', 501)),
            "/description: 501 characters, at most 500",
        ),
        (
            "composeTextMessage",
            "/text",
            None,
            "/text: required member missing",
        ),
        (
            "composeTextMessage",
            "/text",
            Some(chars('查', 101)),
            "/text: 101 characters, at most 100",
        ),
        (
            "composeRecordingMessage",
            "/type",
            Some(json!("PHOTO")),
            "/type: \"PHOTO\" is not one of AUDIO, VIDEO",
        ),
        (
            "composeRecordingMessage",
            "/phoneNumber",
            None,
            "/phoneNumber: required member missing",
        ),
        (
            "requestDeviceSpecifics",
            "/fields",
            Some(json!([])),
            "/fields: unknown member, the schema allows no others",
        ),
        (
            "disableAnonymization",
            "/now",
            Some(json!(true)),
            "/now: unknown member, the schema allows no others",
        ),
        (
            "enableDisplayedNotifications",
            "/x",
            Some(json!(1)),
            "/x: unknown member, the schema allows no others",
        ),
    ];
    for (name, member, value, detail) in cases {
        let (doc, ptr) = variant(name);
        let doc = with(&doc, &format!("{ptr}{member}"), value.clone());
        fails(validate_suggestions, &doc, &format!("{ptr}{detail}"));
    }
    // Boundaries pass.
    for (name, member, value) in [
        ("dialEnrichedCall", "/subject", chars('询', 60)),
        ("createCalendarEvent", "/title", chars('还', 100)),
        ("composeTextMessage", "/text", chars('查', 100)),
        ("showLocation", "/location/label", chars('行', 100)),
    ] {
        let (doc, ptr) = variant(name);
        passes(
            validate_suggestions,
            &with(&doc, &format!("{ptr}{member}"), Some(value)),
        );
    }
}

#[test]
fn open_url_without_application_is_an_error() {
    // The CT/CU document's example omits `application`; the GSMA schema requires it.
    let (doc, ptr) = variant("openUrl");
    let doc = with(&doc, &format!("{ptr}/application"), None);
    fails(
        validate_suggestions,
        &doc,
        &format!("{ptr}/application: required member missing"),
    );
}

#[test]
fn one_group_with_one_variant() {
    let base = "/suggestions/0/action";
    let none = json!({ "suggestions": [{ "action": { "displayText": "x" } }] });
    fails(
        validate_suggestions,
        &none,
        &format!(
            "{base}: needs one of urlAction, dialerAction, mapAction, calendarAction, composeAction, deviceAction, settingsAction"
        ),
    );
    let (doc, _) = variant("requestDeviceSpecifics");
    let two = with(
        &doc,
        &format!("{base}/settingsAction"),
        Some(json!({ "disableAnonymization": {} })),
    );
    fails(
        validate_suggestions,
        &two,
        &format!("{base}: holds deviceAction and settingsAction, at most one"),
    );
    let both = action(
        "settingsAction",
        json!({ "disableAnonymization": {}, "enableDisplayedNotifications": {} }),
    );
    fails(
        validate_suggestions,
        &both,
        &format!(
            "{base}/settingsAction: holds disableAnonymization and enableDisplayedNotifications, at most one"
        ),
    );
    let unknown = action("mapAction", json!({ "showRoute": {} }));
    assert_eq!(
        super::texts(validate_suggestions(&unknown, crate::bot::Limits::Gsma)),
        [
            format!("{base}/mapAction/showRoute: unknown member, the schema allows no others"),
            format!("{base}/mapAction: needs one of showLocation, requestLocationPush"),
        ]
    );
    let unknown_group = with(&doc, &format!("{base}/cameraAction"), Some(json!({})));
    fails(
        validate_suggestions,
        &unknown_group,
        &format!("{base}/cameraAction: unknown member, the schema allows no others"),
    );
}

#[test]
fn chip_list_rules() {
    let reply =
        |text: Value| json!({ "reply": { "displayText": text, "postback": { "data": "d" } } });
    let list = |n: usize| json!({ "suggestions": vec![reply(json!("好")); n] });
    passes(validate_suggestions, &list(1));
    passes(validate_suggestions, &list(11));
    fails(
        validate_suggestions,
        &list(12),
        "/suggestions: 12 suggestions, at most 11",
    );
    fails(
        validate_suggestions,
        &list(0),
        "/suggestions: 0 suggestions, at least 1",
    );
    fails(
        validate_suggestions,
        &json!({}),
        "/suggestions: required member missing",
    );
    fails(
        validate_suggestions,
        &json!({ "suggestions": {} }),
        "/suggestions: expected an array, found an object",
    );
    let item = "/suggestions/0";
    let cases = [
        (json!({}), format!("{item}: needs one of reply, action")),
        (
            json!({ "reply": { "displayText": "a" }, "action": {} }),
            format!("{item}: holds reply and action, at most one"),
        ),
        (
            json!("reply"),
            format!("{item}: expected an object, found a string"),
        ),
        (
            json!({ "reply": {} }),
            format!("{item}/reply/displayText: required member missing"),
        ),
        (
            reply(chars('好', 26)),
            format!("{item}/reply/displayText: 26 characters, at most 25"),
        ),
        (
            reply(json!("")),
            format!("{item}/reply/displayText: 0 characters, at least 1"),
        ),
        (
            json!({ "reply": { "displayText": "a", "postback": {} } }),
            format!("{item}/reply/postback/data: required member missing"),
        ),
        (
            json!({ "reply": { "displayText": "a", "postback": { "data": "d", "x": 1 } } }),
            format!("{item}/reply/postback/x: unknown member, the schema allows no others"),
        ),
        (
            json!({ "reply": { "displaytext": "a" } }),
            format!("{item}/reply/displaytext: unknown member, the schema allows no others"),
        ),
    ];
    for (value, expected) in cases {
        let doc = json!({ "suggestions": [value] });
        let found = super::texts(validate_suggestions(&doc, crate::bot::Limits::China));
        assert!(found.contains(&expected), "{doc}: {found:?}");
    }
    passes(
        validate_suggestions,
        &json!({ "suggestions": [reply(chars('好', 25))] }),
    );
    let data = |n| json!({ "suggestions": [{ "reply": { "displayText": "a", "postback": { "data": chars('d', n) } } }] });
    passes(validate_suggestions, &data(2048));
    fails(
        validate_suggestions,
        &data(2049),
        "/suggestions/0/reply/postback/data: 2049 characters, at most 2048",
    );
}
