//! The JSON-schema checks the chatbot documents share: closed objects, required members,
//! string lengths in Unicode scalar values, keywords, URIs, RFC 3339 date-times, integers and
//! array sizes, each violation recorded with its RFC 6901 pointer.
//!
//! A field table ([`Field`]) describes an object whose members are all scalars, so most action
//! variants of protocols.md §7.4 are data, not code.

use serde_json::{Map, Value};

use super::{BotError, Limits};

/// The pointer of member `key` under `ptr`, with `~` and `/` escaped (RFC 6901 §3).
pub(crate) fn child(ptr: &str, key: &str) -> String {
    format!("{ptr}/{}", key.replace('~', "~0").replace('/', "~1"))
}

/// The pointer of array item `i` under `ptr`.
pub(crate) fn item(ptr: &str, i: usize) -> String {
    format!("{ptr}/{i}")
}

/// What a JSON value is, for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The value a scalar member must have.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    /// A string of `min..=max` characters.
    Text { min: usize, max: usize },
    /// A string with a URI scheme and no whitespace (`format: uri`).
    Uri,
    /// An RFC 3339 date-time (`format: date-time`).
    DateTime,
    /// One of these strings.
    Keyword(&'static [&'static str]),
    /// Any JSON number.
    Number,
    /// An integer of at least 0.
    Count,
    /// An object, checked by the caller's own rule.
    Object,
    /// A font style list: 1..3 of `italics`, `bold`, `underline`.
    FontStyle,
}

/// The font styles of the schema's `fontStyle`.
pub(crate) const FONT_STYLES: &[&str] = &["italics", "bold", "underline"];

/// Any string.
pub(crate) const STRING: Kind = Kind::Text {
    min: 0,
    max: usize::MAX,
};

/// A member of a field table.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Field {
    pub name: &'static str,
    pub required: bool,
    pub kind: Kind,
}

/// A required member.
pub(crate) const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        required: true,
        kind,
    }
}

/// An optional member.
pub(crate) const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        required: false,
        kind,
    }
}

/// Collects the violations of one document.
pub(crate) struct Checker {
    pub limits: Limits,
    pub errors: Vec<BotError>,
}

impl Checker {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            errors: Vec::new(),
        }
    }

    pub fn error(&mut self, ptr: &str, detail: impl Into<String>) {
        self.errors.push(BotError::new(ptr, detail));
    }

    /// The value as an object; each member not in `allowed` is an error.
    pub fn object<'v>(
        &mut self,
        v: &'v Value,
        ptr: &str,
        allowed: &[&str],
    ) -> Option<&'v Map<String, Value>> {
        let Value::Object(map) = v else {
            self.error(ptr, format!("expected an object, found {}", type_name(v)));
            return None;
        };
        for key in map.keys().filter(|k| !allowed.contains(&k.as_str())) {
            self.error(
                &child(ptr, key),
                "unknown member, the schema allows no others",
            );
        }
        Some(map)
    }

    /// The member `name`, or an error at its pointer when it is missing.
    pub fn required<'v>(
        &mut self,
        map: &'v Map<String, Value>,
        ptr: &str,
        name: &str,
    ) -> Option<&'v Value> {
        let found = map.get(name);
        if found.is_none() {
            self.error(&child(ptr, name), "required member missing");
        }
        found
    }

    /// The one member of `names` the object holds; none or several is an error at `ptr`.
    pub fn one_of<'v, 'n>(
        &mut self,
        map: &'v Map<String, Value>,
        ptr: &str,
        names: &[&'n str],
    ) -> Option<(&'n str, &'v Value)> {
        let present: Vec<(&'n str, &'v Value)> = names
            .iter()
            .filter_map(|&n| map.get(n).map(|v| (n, v)))
            .collect();
        match present.as_slice() {
            [one] => Some(*one),
            [] => {
                self.error(ptr, format!("needs one of {}", names.join(", ")));
                None
            }
            several => {
                let found: Vec<&str> = several.iter().map(|(n, _)| *n).collect();
                self.error(ptr, format!("holds {}, at most one", found.join(" and ")));
                None
            }
        }
    }

    /// An object of exactly the members of `fields`, each checked by its kind.
    pub fn fields<'v>(
        &mut self,
        v: &'v Value,
        ptr: &str,
        fields: &[Field],
    ) -> Option<&'v Map<String, Value>> {
        let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
        let map = self.object(v, ptr, &names)?;
        for field in fields {
            match map.get(field.name) {
                Some(value) => self.kind(value, &child(ptr, field.name), field.kind),
                None if field.required => {
                    self.error(&child(ptr, field.name), "required member missing")
                }
                None => {}
            }
        }
        Some(map)
    }

    /// Checks one scalar against its kind.
    pub fn kind(&mut self, v: &Value, ptr: &str, kind: Kind) {
        match kind {
            Kind::Text { min, max } => {
                self.text(v, ptr, min, max);
            }
            Kind::Uri => self.uri(v, ptr),
            Kind::DateTime => {
                if let Some(s) = self.string(v, ptr)
                    && !crate::cpim::is_rfc3339(s)
                {
                    self.error(ptr, format!("{s:?} is not an rfc 3339 date-time"));
                }
            }
            Kind::Keyword(allowed) => {
                self.keyword(v, ptr, allowed);
            }
            Kind::Number => {
                if !v.is_number() {
                    self.error(ptr, format!("expected a number, found {}", type_name(v)));
                }
            }
            Kind::Count => {
                self.count(v, ptr);
            }
            Kind::Object => {
                if !v.is_object() {
                    self.error(ptr, format!("expected an object, found {}", type_name(v)));
                }
            }
            Kind::FontStyle => {
                let styles = self.array(v, ptr, 1, 3, "styles").unwrap_or_default();
                for (i, style) in styles.iter().enumerate() {
                    self.keyword(style, &item(ptr, i), FONT_STYLES);
                }
            }
        }
    }

    pub fn string<'v>(&mut self, v: &'v Value, ptr: &str) -> Option<&'v str> {
        let s = v.as_str();
        if s.is_none() {
            self.error(ptr, format!("expected a string, found {}", type_name(v)));
        }
        s
    }

    /// A string of `min..=max` Unicode scalar values.
    pub fn text<'v>(&mut self, v: &'v Value, ptr: &str, min: usize, max: usize) -> Option<&'v str> {
        let s = self.string(v, ptr)?;
        let count = s.chars().count();
        if count < min {
            self.error(ptr, format!("{count} characters, at least {min}"));
        } else if count > max {
            self.error(ptr, format!("{count} characters, at most {max}"));
        }
        Some(s)
    }

    pub fn uri(&mut self, v: &Value, ptr: &str) {
        if let Some(s) = self.string(v, ptr)
            && !is_uri(s)
        {
            self.error(ptr, format!("{s:?} is not a uri"));
        }
    }

    pub fn keyword<'v>(&mut self, v: &'v Value, ptr: &str, allowed: &[&str]) -> Option<&'v str> {
        let s = self.string(v, ptr)?;
        if !allowed.contains(&s) {
            self.error(ptr, format!("{s:?} is not one of {}", allowed.join(", ")));
            return None;
        }
        Some(s)
    }

    /// An integer of at least 0.
    pub fn count(&mut self, v: &Value, ptr: &str) -> Option<u64> {
        let n = v.as_u64();
        if n.is_none() {
            let found = match v {
                Value::Number(n) => format!("{n}"),
                other => type_name(other).to_owned(),
            };
            self.error(
                ptr,
                format!("expected an integer of at least 0, found {found}"),
            );
        }
        n
    }

    /// An array of `min..=max` items, counted in `noun`s in messages.
    pub fn array<'v>(
        &mut self,
        v: &'v Value,
        ptr: &str,
        min: usize,
        max: usize,
        noun: &str,
    ) -> Option<&'v [Value]> {
        let Value::Array(items) = v else {
            self.error(ptr, format!("expected an array, found {}", type_name(v)));
            return None;
        };
        let n = items.len();
        if n < min {
            self.error(ptr, format!("{n} {noun}, at least {min}"));
        } else if n > max {
            self.error(ptr, format!("{n} {noun}, at most {max}"));
        }
        Some(items)
    }
}

/// `scheme:rest` with an RFC 3986 scheme and no whitespace or control characters.
pub(crate) fn is_uri(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}
