//! What a user's client sends a chatbot (protocols.md §7.5): the suggestion response
//! `{"response":{"reply"|"action":{displayText, postback}}}`, shared client data
//! `{"sharedData":{"deviceSpecifics":{..}}}` and the geo-fallback text a client sends after
//! `requestLocationPush` (`geo:lat,lon;crs=gcj02;u=10;rcs-l=<label>`, RFC 5870 with the GCJ-02
//! datum China uses).
//!
//! A response's reply or action holds only `displayText` and `postback` (the schema's
//! `suggestion` base): a client echoing the whole action object (`urlAction`…) is reported.
//! The device-specifics members are all optional, as in the schema: `deviceModel` 1..10,
//! `platformVersion` 1..20, `clientVendor` 1..4, `clientVersion` 1..15 characters,
//! `batteryRemainingMinutes` an integer of at least 0.
//!
//! Not here: the geolocation push XML (`application/vnd.gsma.rcspushlocation+xml`).

use serde_json::{Map, Value, json};

use super::schema::{Checker, Field, Kind, child, opt};
use super::suggestions::common;
use super::{BotError, Limits};

const DEVICE_SPECIFICS: &[Field] = &[
    opt("deviceModel", Kind::Text { min: 1, max: 10 }),
    opt("platformVersion", Kind::Text { min: 1, max: 20 }),
    opt("clientVendor", Kind::Text { min: 1, max: 4 }),
    opt("clientVersion", Kind::Text { min: 1, max: 15 }),
    opt("batteryRemainingMinutes", Kind::Count),
];

/// Validates a suggestion response document (§7.5).
pub fn validate_response(doc: &Value) -> Vec<BotError> {
    root(doc, "response", response)
}

/// Validates a shared client data document (§7.5).
pub fn validate_shared_data(doc: &Value) -> Vec<BotError> {
    root(doc, "sharedData", shared_data)
}

fn root(doc: &Value, member: &str, check: fn(&mut Checker, &Value, &str)) -> Vec<BotError> {
    let mut ck = Checker::new(Limits::Gsma);
    if let Some(map) = ck.object(doc, "", &[member])
        && let Some(v) = ck.required(map, "", member)
    {
        check(&mut ck, v, &child("", member));
    }
    ck.errors
}

/// The `response` object: one `reply` or `action` of `displayText` and `postback`.
pub(crate) fn response(ck: &mut Checker, v: &Value, ptr: &str) {
    let kinds = ["reply", "action"];
    let Some(map) = ck.object(v, ptr, &kinds) else {
        return;
    };
    if let Some((name, inner)) = ck.one_of(map, ptr, &kinds) {
        let inner_ptr = child(ptr, name);
        if let Some(fields) = ck.object(inner, &inner_ptr, &["displayText", "postback"]) {
            common(ck, fields, &inner_ptr);
        }
    }
}

/// The `sharedData` object.
pub(crate) fn shared_data(ck: &mut Checker, v: &Value, ptr: &str) {
    if let Some(map) = ck.object(v, ptr, &["deviceSpecifics"])
        && let Some(specifics) = map.get("deviceSpecifics")
    {
        ck.fields(specifics, &child(ptr, "deviceSpecifics"), DEVICE_SPECIFICS);
    }
}

/// A shared-data document with these device specifics, each cut to its schema length (an empty
/// value is left out).
pub fn device_specifics(model: &str, platform: &str, vendor: &str, version: &str) -> Value {
    let mut specifics = Map::new();
    for (name, value, max) in [
        ("deviceModel", model, 10),
        ("platformVersion", platform, 20),
        ("clientVendor", vendor, 4),
        ("clientVersion", version, 15),
    ] {
        let cut: String = value.chars().take(max).collect();
        if !cut.is_empty() {
            specifics.insert(name.to_owned(), Value::String(cut));
        }
    }
    json!({ "sharedData": { "deviceSpecifics": specifics } })
}

/// The geo-fallback text of a location: `geo:lat,lon;crs=gcj02;u=10;rcs-l=<label>`, the label
/// percent-encoded as UTF-8 (every byte but RFC 3986 unreserved ones). A coordinate that is not
/// finite is written as 0.
pub fn geo_fallback(latitude: f64, longitude: f64, label: &str) -> String {
    let finite = |x: f64| if x.is_finite() { x } else { 0.0 };
    format!(
        "geo:{},{};crs=gcj02;u=10;rcs-l={}",
        finite(latitude),
        finite(longitude),
        percent_encode(label)
    )
}

/// Reads a geo-fallback text back: latitude, longitude and the decoded `rcs-l` label (empty
/// when absent). None when it is not a `geo:` URI with coordinates in range.
pub fn parse_geo_fallback(text: &str) -> Option<(f64, f64, String)> {
    let text = text.trim();
    let rest = text
        .get(..4)
        .filter(|s| s.eq_ignore_ascii_case("geo:"))
        .and_then(|_| text.get(4..))?;
    let mut params = rest.split(';');
    let mut coordinates = params.next()?.split(',');
    let latitude: f64 = coordinates.next()?.trim().parse().ok()?;
    let longitude: f64 = coordinates.next()?.trim().parse().ok()?;
    if !(-90.0..=90.0).contains(&latitude) || !(-180.0..=180.0).contains(&longitude) {
        return None;
    }
    let label = params
        .filter_map(|p| p.split_once('='))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("rcs-l"))
        .map(|(_, value)| percent_decode(value.trim()))
        .unwrap_or_default();
    Some((latitude, longitude, label))
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(char::from(b));
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
