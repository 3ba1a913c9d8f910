//! `header: <name>` [+ `param: <name>`] of a SIP message or MSRP frame: every line of the header,
//! and the parameters of each.
//!
//! A header may appear on several lines (RFC 3261 §7.3.1: two Accept-Contact lines mean the same as
//! one line listing both values). A header on one line reads as that value; on several lines it
//! reads as [`Observed::Each`], one value per line, and the predicate decides per line
//! (see [`crate::check::predicate`]). With `param`, each line gives its parameter; lines without it
//! are skipped.
//!
//! Parameters are `;name=value` parameters after the header's value (RFC 3261 §7.3.1), except for:
//! - the digest headers (`WWW-Authenticate`, `Proxy-Authenticate`, `Authorization`,
//!   `Proxy-Authorization`: RFC 3261 §25.1 auth params, comma-separated);
//! - the headers whose whole value is a parameter list ([`PARAM_LIST_HEADERS`]): RFC 7315 §4.6
//!   `P-Charging-Vector: icid-value=…;orig-ioi=…` and §4.5 `P-Charging-Function-Addresses:
//!   ccf=…;ecf=…`, where the first item is a parameter too (`param: icid-value`).
//!
//! What is not here: `feature-tags` (the tag set of a header's first value,
//! [`crate::check::tags`]) and HTTP headers ([`crate::check::http`]).

use rcs_proto::sip::auth::{Challenge, Credentials};
use rcs_proto::sip::header_params;

use crate::check::subject::Observed;

/// Headers whose value is nothing but `;`-separated parameters (RFC 7315 §4.5, §4.6).
pub const PARAM_LIST_HEADERS: [&str; 2] = ["P-Charging-Vector", "P-Charging-Function-Addresses"];

/// The values of a header, one per line in wire order: absent, one, or each line.
pub fn lines(values: Vec<&str>) -> Observed {
    let mut values: Vec<String> = values.into_iter().map(str::to_owned).collect();
    match values.len() {
        0 => Observed::Absent,
        1 => Observed::One(values.remove(0)),
        _ => Observed::Each(values),
    }
}

/// Parameter `param` of each line of header `name`: absent when no line has it.
pub fn param_lines(values: Vec<&str>, name: &str, param: &str) -> Observed {
    let mut found = Vec::new();
    let mut unreadable = None;
    for value in values {
        match line_param(value, name, param) {
            Observed::One(v) => found.push(v),
            o @ Observed::Unreadable(_) => unreadable = unreadable.or(Some(o)),
            _ => {}
        }
    }
    match found.len() {
        0 => unreadable.unwrap_or(Observed::Absent),
        1 => Observed::One(found.remove(0)),
        _ => Observed::Each(found),
    }
}

/// A parameter of one line of header `name`, read as that header's syntax says.
fn line_param(value: &str, name: &str, param: &str) -> Observed {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with("-authenticate") {
        return match Challenge::parse(value) {
            Ok(c) => challenge_param(&c, param),
            Err(e) => Observed::Unreadable(e.to_string()),
        };
    }
    if lower.ends_with("authorization") {
        return match Credentials::parse(value) {
            Ok(c) => credentials_param(&c, param),
            Err(e) => Observed::Unreadable(e.to_string()),
        };
    }
    if is_param_list(name) {
        return param_list_of(value, param);
    }
    param_of(value, param)
}

/// Whether `name` is one of [`PARAM_LIST_HEADERS`].
pub fn is_param_list(name: &str) -> bool {
    PARAM_LIST_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(name))
}

/// A `;name=value` parameter of a header value; a flag parameter reads as "".
pub(crate) fn param_of(value: &str, param: &str) -> Observed {
    match header_params(value)
        .into_iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(param))
    {
        None => Observed::Absent,
        Some((_, None)) => Observed::One(String::new()),
        Some((_, Some(v))) => Observed::One(v),
    }
}

/// A parameter of a value that is a parameter list from its first item on.
fn param_list_of(value: &str, param: &str) -> Observed {
    // `header_params` reads what follows the first `;`: an empty first item puts every
    // item of the list after it.
    param_of(&format!(";{value}"), param)
}

fn challenge_param(c: &Challenge, p: &str) -> Observed {
    match p.to_ascii_lowercase().as_str() {
        "realm" => Observed::One(c.realm.clone()),
        "nonce" => Observed::One(c.nonce.clone()),
        "algorithm" => c
            .algorithm
            .as_ref()
            .map_or(Observed::Absent, |a| Observed::One(a.as_str().to_owned())),
        "qop" if c.qop.is_empty() => Observed::Absent,
        "qop" => Observed::One(c.qop.join(",")),
        "opaque" => opt(c.opaque.as_deref()),
        "stale" => Observed::One(c.stale.to_string()),
        other => find_other(&c.other, other),
    }
}

fn credentials_param(c: &Credentials, p: &str) -> Observed {
    match p.to_ascii_lowercase().as_str() {
        "username" => Observed::One(c.username.clone()),
        "realm" => Observed::One(c.realm.clone()),
        "nonce" => Observed::One(c.nonce.clone()),
        "uri" => Observed::One(c.uri.clone()),
        "response" => Observed::One(c.response.clone()),
        "algorithm" => c
            .algorithm
            .as_ref()
            .map_or(Observed::Absent, |a| Observed::One(a.as_str().to_owned())),
        "cnonce" => opt(c.cnonce.as_deref()),
        "nc" => opt(c.nc.as_deref()),
        "qop" => opt(c.qop.as_deref()),
        "opaque" => opt(c.opaque.as_deref()),
        other => find_other(&c.other, other),
    }
}

fn find_other(other: &[(String, String)], name: &str) -> Observed {
    other
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map_or(Observed::Absent, |(_, v)| Observed::One(v.clone()))
}

fn opt(v: Option<&str>) -> Observed {
    v.map_or(Observed::Absent, |s| Observed::One(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_list_header_gives_its_first_item() {
        let pcv = "icid-value=AyretyU0dm+6O2IrT5tAFrbHLso=;orig-ioi=cmcc.example;term-ioi=\"cucc.example\"";
        let read = |p: &str| param_lines(vec![pcv], "P-Charging-Vector", p);
        assert_eq!(
            read("icid-value"),
            Observed::One("AyretyU0dm+6O2IrT5tAFrbHLso=".into())
        );
        assert_eq!(read("ORIG-IOI"), Observed::One("cmcc.example".into()));
        assert_eq!(read("term-ioi"), Observed::One("cucc.example".into()));
        assert_eq!(read("transit-ioi"), Observed::Absent);
        let pcfa = param_lines(
            vec!["ccf=192.0.2.10;ecf=192.0.2.11"],
            "p-charging-function-addresses",
            "ccf",
        );
        assert_eq!(pcfa, Observed::One("192.0.2.10".into()));
        // Any other header keeps its first item as the value, not a parameter.
        assert_eq!(
            param_lines(vec!["icid-value=x;a=b"], "X-Other", "icid-value"),
            Observed::Absent
        );
    }

    #[test]
    fn several_lines_read_each() {
        assert_eq!(lines(vec![]), Observed::Absent);
        assert_eq!(lines(vec!["a"]), Observed::One("a".into()));
        assert_eq!(
            lines(vec!["*;+g.a", "*;+g.b;explicit"]),
            Observed::Each(vec!["*;+g.a".into(), "*;+g.b;explicit".into()])
        );
        let both = vec!["*;+g.a", "*;+g.b;explicit;require"];
        assert_eq!(
            param_lines(both.clone(), "Accept-Contact", "explicit"),
            Observed::One(String::new()),
            "only the second line has it"
        );
        assert_eq!(
            param_lines(
                vec!["<sip:a@x>;expires=60", "<sip:b@x>;expires=0"],
                "Contact",
                "expires"
            ),
            Observed::Each(vec!["60".into(), "0".into()])
        );
        assert_eq!(
            param_lines(both, "Accept-Contact", "+g.c"),
            Observed::Absent
        );
        assert!(matches!(
            param_lines(vec!["Basic abc"], "WWW-Authenticate", "realm"),
            Observed::Unreadable(_)
        ));
    }
}
