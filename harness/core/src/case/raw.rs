//! The case file as YAML gives it: serde shapes with source locations, before validation.
//!
//! `deny_unknown_fields` everywhere, so a misspelt key is an error with its line and column; the
//! loader turns these shapes into the typed [`crate::case::Case`] and checks what serde cannot
//! (roles that exist, one subject and one predicate per check, known faults and actions).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use serde_saphyr::Spanned;

/// Top level of a case file.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(title = "rcs-interop case file")]
pub struct RawCase {
    /// Unique id, e.g. `PLT-REG-001`; the file must be named `<id>.yaml`.
    pub id: String,
    /// One line saying what the case proves.
    pub title: String,
    /// `platform`, `terminal`, `interworking` or `robustness`; the case lives in `cases/<suite>/`.
    pub suite: String,
    /// Feature folder, e.g. `reg`; defaults to the case's folder name.
    #[serde(default)]
    pub feature: Option<String>,
    /// Longer explanation shown in reports.
    #[serde(default)]
    pub description: Option<String>,
    /// Name of the role under test (a key of `roles`).
    pub under_test: String,
    /// The clauses the case enforces, e.g. `RFC 3261 10.3`.
    pub refs: Vec<String>,
    /// SIP transport for the whole case: `udp` or `tcp` (default: the run's).
    #[serde(default)]
    pub transport: Option<String>,
    /// Capabilities the system under test must declare for the case to apply.
    #[serde(default)]
    pub requires: Vec<String>,
    /// The roles, by name: `alice: terminal`, or `mc: { kind: message-center, settings: {...} }`.
    #[schemars(with = "BTreeMap<String, RawRole>")]
    pub roles: BTreeMap<String, Spanned<RawRole>>,
    /// What happens, in order.
    #[schemars(with = "Vec<RawStep>")]
    pub steps: Vec<Spanned<RawStep>>,
    /// Faults this case must catch, each with the rule (as a check's `rule`) that catches it.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, String>")]
    pub detects: BTreeMap<String, Spanned<String>>,
}

/// A role declaration: a bare kind, or a map with a kind and options.
#[derive(Debug)]
pub struct RawRole {
    pub kind: String,
    pub rcs: Option<bool>,
    /// `cmcc`, `cucc`, `ctcc`, or a symbol `a`, `b`, `c`.
    pub carrier: Option<Spanned<String>>,
    /// For a terminal: the carrier (or symbol) whose number range its number comes from.
    pub number_from: Option<Spanned<String>>,
    pub settings: Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRoleMap {
    kind: String,
    #[serde(default)]
    rcs: Option<bool>,
    #[serde(default)]
    carrier: Option<Spanned<String>>,
    #[serde(default)]
    number_from: Option<Spanned<String>>,
    #[serde(default)]
    settings: Map<String, Value>,
}

impl<'de> Deserialize<'de> for RawRole {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawRole;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a role kind such as `terminal`, or a map with `kind`, `rcs`, `carrier`, `number-from`, `settings`",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawRole, E> {
                Ok(RawRole {
                    kind: v.to_owned(),
                    rcs: None,
                    carrier: None,
                    number_from: None,
                    settings: Map::new(),
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawRole, A::Error> {
                let m = RawRoleMap::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(RawRole {
                    kind: m.kind,
                    rcs: m.rcs,
                    carrier: m.carrier,
                    number_from: m.number_from,
                    settings: m.settings,
                })
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for RawRole {
    fn schema_name() -> Cow<'static, str> {
        "Role".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let kinds = [
            "terminal",
            "message-center",
            "maap",
            "peer-carrier",
            "sms-center",
            "csp-bot",
        ];
        let carriers = crate::case::carriers::CarrierRef::WORDS;
        json_schema!({
            "description": "A role: its kind, or a map with the kind and options.",
            "oneOf": [
                { "type": "string", "enum": kinds },
                {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["kind"],
                    "properties": {
                        "kind": { "type": "string", "enum": kinds },
                        "rcs": { "type": "boolean", "description": "Terminal has a 5G Messaging subscription (default true)." },
                        "carrier": { "type": "string", "enum": carriers, "description": "Carrier whose network the role belongs to (default cmcc); a, b, c are symbols bound per execution." },
                        "number-from": { "type": "string", "enum": carriers, "description": "Terminal only: carrier (or symbol) whose number range its number comes from (a ported number)." },
                        "settings": { "type": "object", "description": "Simulator settings of this role." }
                    }
                }
            ]
        })
    }
}

/// One step: `<role>: <action>`, `expect: {...}`, `expect-none: {...}` or `wait: <duration>`.
#[derive(Debug)]
pub enum RawStep {
    Act {
        role: String,
        action: String,
        params: Map<String, Value>,
    },
    Expect(RawExpect),
    ExpectNone(RawExpect),
    Wait(String),
}

/// The value of a `<role>:` step: an action name, or `{ <action>: { params } }`.
struct RawAct {
    action: String,
    params: Map<String, Value>,
}

impl<'de> Deserialize<'de> for RawAct {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawAct;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an action name such as `register`, or `{ send-pager: { to: bob } }`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawAct, E> {
                Ok(RawAct {
                    action: v.to_owned(),
                    params: Map::new(),
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawAct, A::Error> {
                let Some(action) = map.next_key::<String>()? else {
                    return Err(de::Error::custom(
                        "the action map is empty: write `{ <action>: { params } }`",
                    ));
                };
                let params = match map.next_value::<Value>()? {
                    Value::Object(m) => m,
                    Value::Null => Map::new(),
                    other => {
                        return Err(de::Error::custom(format!(
                            "the parameters of `{action}` must be a map, found {other}"
                        )));
                    }
                };
                if let Some(extra) = map.next_key::<String>()? {
                    return Err(de::Error::custom(format!(
                        "one action per step: found `{action}` and `{extra}`; start a new `- ` step for `{extra}`"
                    )));
                }
                Ok(RawAct { action, params })
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for RawStep {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawStep;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a step: `<role>: <action>`, `expect: {...}`, `expect-none: {...}` or `wait: 2s`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawStep, A::Error> {
                let Some(key) = map.next_key::<String>()? else {
                    return Err(de::Error::custom(
                        "empty step: write `<role>: <action>`, `expect: {...}` or `wait: 2s`",
                    ));
                };
                let step = match key.as_str() {
                    "expect" => RawStep::Expect(map.next_value()?),
                    "expect-none" => RawStep::ExpectNone(map.next_value()?),
                    "wait" => RawStep::Wait(map.next_value()?),
                    _ => {
                        let act: RawAct = map.next_value()?;
                        RawStep::Act {
                            role: key.clone(),
                            action: act.action,
                            params: act.params,
                        }
                    }
                };
                if let Some(extra) = map.next_key::<String>()? {
                    return Err(de::Error::custom(format!(
                        "a step has exactly one key, found `{key}` and `{extra}`: start a new `- ` item for each step"
                    )));
                }
                Ok(step)
            }
        }
        d.deserialize_map(V)
    }
}

impl JsonSchema for RawStep {
    fn schema_name() -> Cow<'static, str> {
        "Step".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let expect = generator.subschema_for::<RawExpect>();
        json_schema!({
            "description": "One step: a role acting, an expectation, or a wait.",
            "type": "object",
            "minProperties": 1,
            "maxProperties": 1,
            "properties": {
                "expect": expect,
                "expect-none": expect,
                "wait": { "type": "string", "pattern": "^[0-9.]+(ms|s|m|min|h)$" }
            },
            "additionalProperties": {
                "description": "`<role>: <action>` or `<role>: { <action>: { params } }`",
                "oneOf": [
                    { "type": "string" },
                    { "type": "object", "minProperties": 1, "maxProperties": 1 }
                ]
            }
        })
    }
}

/// An expectation: a message must (or, for `expect-none`, must not) arrive at a role.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
#[schemars(extend("oneOf" = [{ "required": ["sip"] }, { "required": ["msrp"] }, { "required": ["http"] }]))]
pub struct RawExpect {
    /// The role that must see the message (a simulated role).
    pub at: String,
    /// A SIP message: a method (`MESSAGE`), status codes (`200|202`), or a class (`4xx`).
    /// Exactly one of `sip`, `msrp` and `http`.
    #[serde(default)]
    pub sip: Option<String>,
    /// An MSRP frame: `SEND`, `REPORT`, `AUTH`, status codes (`200`) or a class (`4xx`).
    #[serde(default)]
    pub msrp: Option<String>,
    /// An HTTP message: a method (`POST`, `GET`), status codes (`200|206`) or a class (`4xx`).
    #[serde(default)]
    pub http: Option<String>,
    /// Exactly this many matching messages within `within` (default: the first one); `checks`
    /// apply to each, and one more within the window fails. Not for `expect-none`.
    #[serde(default)]
    #[schemars(range(min = 1))]
    pub count: Option<u32>,
    /// `in` (default: received by `at`) or `out` (sent by `at`).
    #[serde(default)]
    pub direction: Option<String>,
    /// How long to wait (default 2s; `expect-none` watches for 500ms unless told).
    #[serde(default)]
    pub within: Option<String>,
    /// The clause that requires this message.
    pub rule: String,
    /// Only messages passing these filters match (same form as checks, without `rule`).
    #[serde(default, rename = "where")]
    #[schemars(with = "Vec<RawCheck>")]
    pub filter: Vec<Spanned<RawCheck>>,
    /// What the matched message must satisfy.
    #[serde(default)]
    #[schemars(with = "Vec<RawCheck>")]
    pub checks: Vec<Spanned<RawCheck>>,
    /// Values of the matched message to keep for later steps, as `${name}`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, RawCheck>")]
    pub save: BTreeMap<String, Spanned<RawCheck>>,
}

/// A check, flat: exactly one subject key, exactly one predicate key, and a `rule`.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawCheck {
    // Subjects.
    /// A header's value (first line, unfolded); with `includes`, all its comma-separated values.
    pub header: Option<String>,
    /// With `header`: one parameter of that header (`tag`, `expires`, `realm`, `qop`, ...).
    pub param: Option<String>,
    /// The feature tags of a header (`Contact`, `Accept-Contact`), as an order-insensitive set.
    pub feature_tags: Option<String>,
    /// The status code of a response.
    pub status: Option<Value>,
    /// The reason phrase of a response.
    pub reason: Option<Value>,
    /// The Request-URI of a SIP request, or the target of an HTTP request.
    pub request_uri: Option<Value>,
    /// The whole body, as text.
    pub body: Option<Value>,
    /// A CPIM header of the body (`From`, `imdn.Message-ID`), `content-type`, or `body` (the content).
    pub cpim: Option<String>,
    /// A field of the IMDN in the body: `message-id`, `status`, `notification`, `datetime`.
    pub imdn: Option<String>,
    /// The digest response in `Authorization`; use with `verifies-with: <password>`.
    pub digest: Option<String>,
    /// A value of the SDP in a SIP body (or its application/sdp part): `path`, `setup`,
    /// `accept-types`, `accept-wrapped-types`, `direction`, `proto`, `port`, `max-size`,
    /// `connection`, or any other attribute name.
    pub sdp: Option<String>,
    /// The body of the part of a multipart SIP body with this media type, as text.
    pub part: Option<String>,
    /// MSRP: the message rebuilt from all matched chunks sharing the first one's Message-ID:
    /// `complete`, `size`, `sha256`, `text`, `chunks`, `largest-chunk` (the most content bytes any
    /// one chunk carried) or `content-type`. HTTP: the body (chunked coding removed): `size`,
    /// `sha256`, `text` or `content-type`.
    pub message: Option<String>,
    /// HTTP: a query parameter of the request target, percent-decoded.
    pub query: Option<String>,
    /// HTTP: a multipart/form-data part by name, its body as text; `<name>.filename`,
    /// `<name>.content-type`, `<name>.size` or `<name>.sha256` for more of it.
    pub form: Option<String>,
    /// An element's text (or `@attribute`) of the XML body, by local names from the root:
    /// `file-info[@type=file]/data/@url`; `/file/...` names the root too. Of message/cpim
    /// content, the document it wraps.
    pub xml: Option<String>,
    /// A value of the JSON body by RFC 6901 pointer, e.g. `/messages/0/id`. Of message/cpim
    /// content, the document it wraps.
    pub json: Option<String>,
    /// A field of the chatbot content (CPIM inner content, or what an HTTP body carries):
    /// `valid`, `errors`, `gsma-errors`, `suggestions`, `suggestion.<n>.text`,
    /// `suggestion.<n>.postback`, `suggestion.<n>.kind`, `cards`, `content-type`,
    /// `response.postback`, `response.text`.
    pub bot: Option<String>,
    // Predicates.
    pub equals: Option<Value>,
    pub not_equals: Option<Value>,
    pub contains: Option<String>,
    pub matches: Option<String>,
    pub exists: Option<bool>,
    pub one_of: Option<Vec<Value>>,
    pub at_most: Option<f64>,
    pub at_least: Option<f64>,
    /// Every one of these values is present (a single value is a list of one).
    pub includes: Option<OneOrMany>,
    /// None of these values is present (a single value is a list of one).
    pub excludes: Option<OneOrMany>,
    pub verifies_with: Option<String>,
    /// The clause this check enforces.
    pub rule: Option<String>,
}

/// A list, or a single value standing for a list of one (`includes: text/plain`).
#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s.clone()],
            Self::Many(v) => v.clone(),
        }
    }
}
