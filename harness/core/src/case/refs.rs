//! `${...}` references in case strings: finding them at load time, filling them in at run time.

use std::collections::BTreeMap;

use crate::case::model::Predicate;

/// The references in `s`, e.g. `alice.sent.Call-ID` for `${alice.sent.Call-ID}`.
pub fn references(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed `${{` in `{s}`"))?;
        let name = after[..end].trim();
        if name.is_empty() {
            return Err(format!("empty `${{}}` in `{s}`"));
        }
        out.push(name.to_owned());
        rest = &after[end + 1..];
    }
    Ok(out)
}

/// Replace every `${name}` with its value; an unknown name is an error naming it.
pub fn interpolate(s: &str, vars: &BTreeMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed `${{` in `{s}`"))?;
        let name = after[..end].trim();
        let value = vars.get(name).ok_or_else(|| {
            let root = name.split('.').next().unwrap_or(name);
            let known: Vec<&str> = vars
                .keys()
                .filter(|k| k.starts_with(root))
                .map(String::as_str)
                .collect();
            format!(
                "`${{{name}}}` has no value at this point (known for `{root}`: {})",
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            )
        })?;
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The strings inside a predicate that may hold references.
pub fn predicate_strings(p: &Predicate) -> Vec<&str> {
    match p {
        Predicate::Equals(s)
        | Predicate::NotEquals(s)
        | Predicate::Contains(s)
        | Predicate::Matches(s)
        | Predicate::VerifiesWith(s) => vec![s],
        Predicate::OneOf(v) | Predicate::Includes(v) | Predicate::Excludes(v) => {
            v.iter().map(String::as_str).collect()
        }
        Predicate::Exists(_) | Predicate::AtMost(_) | Predicate::AtLeast(_) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_fills_references() {
        assert_eq!(references("a ${x.y} b ${z}").unwrap(), vec!["x.y", "z"]);
        assert!(references("${x").is_err());
        let vars = BTreeMap::from([("alice.uri".to_owned(), "sip:a@b".to_owned())]);
        assert_eq!(interpolate("<${alice.uri}>", &vars).unwrap(), "<sip:a@b>");
        let e = interpolate("${alice.sent.Call-ID}", &vars).unwrap_err();
        assert!(e.contains("alice.uri"), "{e}");
    }
}
