//! Suggested replies and suggested actions (protocols.md §7.4, the GSMA chatbot message
//! schema's `suggestions` definitions): the chip list `{"suggestions":[..]}` of 1..11 items and
//! the suggestion objects that cards and menus share.
//!
//! A suggestion is `{"reply":{displayText, postback?}}` or `{"action":{displayText, postback?,
//! <group>:{<variant>:{..}}}}` with exactly one action group holding exactly one variant. Every
//! variant of the §7.4 table is in [`ACTIONS`] with its members, their required flags and
//! lengths. `displayText` is 1..25 characters; `postback.data` at most 2048.
//!
//! Two rules need more than a field table: `openUrl`'s `viewMode` and `parameters` belong to
//! `application: webview` only, and `showLocation.location` holds `latitude` + `longitude` or
//! `query`, not both (the schema puts `label` inside `location`, and so does this module).

use serde_json::{Map, Value};

use super::schema::{Checker, Field, Kind, STRING, child, item, opt, req};
use super::{BotError, Limits};

/// The most suggestions of a chip list.
pub const MAX_CHIPS: usize = 11;
/// The most suggestions of a card.
pub const MAX_CARD_SUGGESTIONS: usize = 4;
/// The most characters of a `displayText`.
pub const MAX_DISPLAY_TEXT: usize = 25;
/// The most characters of `postback.data`.
pub const MAX_POSTBACK: usize = 2048;

/// One action variant of the §7.4 table.
pub(crate) struct Variant {
    pub group: &'static str,
    pub name: &'static str,
    pub fields: &'static [Field],
}

const FALLBACK: Field = opt("fallbackUrl", Kind::Uri);
const PHONE: Field = req("phoneNumber", STRING);
const fn text(min: usize, max: usize) -> Kind {
    Kind::Text { min, max }
}

/// Every action variant with its members (protocols.md §7.4).
pub(crate) const ACTIONS: &[Variant] = &[
    Variant {
        group: "urlAction",
        name: "openUrl",
        fields: &[
            req("url", Kind::Uri),
            req("application", Kind::Keyword(&["browser", "webview"])),
            opt("viewMode", Kind::Keyword(&["full", "half", "tall"])),
            opt("parameters", text(1, 200)),
        ],
    },
    Variant {
        group: "dialerAction",
        name: "dialPhoneNumber",
        fields: &[PHONE, FALLBACK],
    },
    Variant {
        group: "dialerAction",
        name: "dialEnrichedCall",
        fields: &[PHONE, opt("subject", text(0, 60)), FALLBACK],
    },
    Variant {
        group: "dialerAction",
        name: "dialVideoCall",
        fields: &[PHONE, FALLBACK],
    },
    Variant {
        group: "mapAction",
        name: "showLocation",
        fields: &[req("location", Kind::Object), FALLBACK],
    },
    Variant {
        group: "mapAction",
        name: "requestLocationPush",
        fields: &[],
    },
    Variant {
        group: "calendarAction",
        name: "createCalendarEvent",
        fields: &[
            req("startTime", Kind::DateTime),
            req("endTime", Kind::DateTime),
            req("title", text(1, 100)),
            opt("description", text(1, 500)),
            FALLBACK,
        ],
    },
    Variant {
        group: "composeAction",
        name: "composeTextMessage",
        fields: &[PHONE, req("text", text(0, 100))],
    },
    Variant {
        group: "composeAction",
        name: "composeRecordingMessage",
        fields: &[PHONE, req("type", Kind::Keyword(&["AUDIO", "VIDEO"]))],
    },
    Variant {
        group: "deviceAction",
        name: "requestDeviceSpecifics",
        fields: &[],
    },
    Variant {
        group: "settingsAction",
        name: "disableAnonymization",
        fields: &[],
    },
    Variant {
        group: "settingsAction",
        name: "enableDisplayedNotifications",
        fields: &[],
    },
];

/// The action groups, in table order.
pub(crate) const GROUPS: &[&str] = &[
    "urlAction",
    "dialerAction",
    "mapAction",
    "calendarAction",
    "composeAction",
    "deviceAction",
    "settingsAction",
];

const LOCATION: &[Field] = &[
    opt("latitude", Kind::Number),
    opt("longitude", Kind::Number),
    opt("label", text(1, 100)),
    opt("query", text(1, 200)),
];

/// Validates a chip-list document `{"suggestions":[..]}` (§7.4).
pub fn validate_suggestions(doc: &Value, limits: Limits) -> Vec<BotError> {
    let mut ck = Checker::new(limits);
    if let Some(root) = ck.object(doc, "", &["suggestions"])
        && let Some(list) = ck.required(root, "", "suggestions")
    {
        chip_list(&mut ck, list, "/suggestions", MAX_CHIPS);
    }
    ck.errors
}

/// A list of 1..`max` suggestions.
pub(crate) fn chip_list(ck: &mut Checker, v: &Value, ptr: &str, max: usize) {
    if let Some(items) = ck.array(v, ptr, 1, max, "suggestions") {
        for (i, s) in items.iter().enumerate() {
            suggestion(ck, s, &item(ptr, i));
        }
    }
}

/// One `{"reply":..}` or `{"action":..}` item.
pub(crate) fn suggestion(ck: &mut Checker, v: &Value, ptr: &str) {
    let Some(map) = ck.object(v, ptr, &["reply", "action"]) else {
        return;
    };
    match ck.one_of(map, ptr, &["reply", "action"]) {
        Some(("reply", v)) => reply(ck, v, &child(ptr, "reply")),
        Some((_, v)) => action(ck, v, &child(ptr, "action")),
        None => {}
    }
}

/// The object of a suggested reply.
pub(crate) fn reply(ck: &mut Checker, v: &Value, ptr: &str) {
    if let Some(map) = ck.object(v, ptr, &["displayText", "postback"]) {
        common(ck, map, ptr);
    }
}

/// `displayText` and `postback`, the members every reply, action and response has.
pub(crate) fn common(ck: &mut Checker, map: &Map<String, Value>, ptr: &str) {
    if let Some(text) = ck.required(map, ptr, "displayText") {
        ck.text(text, &child(ptr, "displayText"), 1, MAX_DISPLAY_TEXT);
    }
    if let Some(postback) = map.get("postback") {
        ck.fields(
            postback,
            &child(ptr, "postback"),
            &[req("data", text(0, MAX_POSTBACK))],
        );
    }
}

/// The object of a suggested action.
pub(crate) fn action(ck: &mut Checker, v: &Value, ptr: &str) {
    let mut allowed = vec!["displayText", "postback"];
    allowed.extend_from_slice(GROUPS);
    let Some(map) = ck.object(v, ptr, &allowed) else {
        return;
    };
    common(ck, map, ptr);
    let Some((group, group_value)) = ck.one_of(map, ptr, GROUPS) else {
        return;
    };
    let group_ptr = child(ptr, group);
    let variants: Vec<&Variant> = ACTIONS.iter().filter(|v| v.group == group).collect();
    let names: Vec<&str> = variants.iter().map(|v| v.name).collect();
    let Some(group_map) = ck.object(group_value, &group_ptr, &names) else {
        return;
    };
    let Some((name, body)) = ck.one_of(group_map, &group_ptr, &names) else {
        return;
    };
    let Some(variant) = variants.iter().find(|v| v.name == name) else {
        return;
    };
    let variant_ptr = child(&group_ptr, name);
    if let Some(fields) = ck.fields(body, &variant_ptr, variant.fields) {
        match name {
            "openUrl" => open_url(ck, fields, &variant_ptr),
            "showLocation" => show_location(ck, fields, &variant_ptr),
            _ => {}
        }
    }
}

/// `viewMode` and `parameters` only with `application: webview`.
fn open_url(ck: &mut Checker, map: &Map<String, Value>, ptr: &str) {
    if map.get("application").and_then(Value::as_str) == Some("webview") {
        return;
    }
    for member in ["viewMode", "parameters"] {
        if map.contains_key(member) {
            ck.error(&child(ptr, member), "allowed only with application webview");
        }
    }
}

/// `location` holds `latitude` and `longitude`, or `query`.
fn show_location(ck: &mut Checker, map: &Map<String, Value>, ptr: &str) {
    let ptr = child(ptr, "location");
    let Some(location) = map
        .get("location")
        .and_then(|l| ck.fields(l, &ptr, LOCATION))
    else {
        return;
    };
    let has = |k: &str| location.contains_key(k);
    match (has("latitude"), has("longitude"), has("query")) {
        (true, true, false) | (false, false, true) => {}
        (_, _, true) => ck.error(&ptr, "holds a query and coordinates, at most one"),
        (false, false, false) => ck.error(&ptr, "needs latitude and longitude, or query"),
        (lat, _, false) => {
            let missing = if lat { "longitude" } else { "latitude" };
            ck.error(&child(&ptr, missing), "required member missing");
        }
    }
}

/// The `"<group>.<variant>"` of an action object, e.g. `urlAction.openUrl`, when it has one.
pub(crate) fn action_kind(action: &Map<String, Value>) -> Option<String> {
    GROUPS.iter().find_map(|&group| {
        let variant = action.get(group)?.as_object()?.keys().next()?;
        Some(format!("{group}.{variant}"))
    })
}
