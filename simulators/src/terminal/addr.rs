//! Small readers of address header values the terminal acts on (RFC 3261 20.10, 25.1).
//!
//! The terminal needs only three things from a `name-addr` / `addr-spec` value: the URI, the
//! header parameters after it (`expires`, `barred`, feature tags) and the E.164 number behind a
//! sip or tel URI, to know which peer a message came from. These readers never fail: a value they
//! cannot make sense of yields an empty URI or no parameters, and the caller treats that as
//! absent. Full grammar checks belong to rcs_proto's validation, not here.

/// One header parameter: name as sent and the value as sent (quotes kept), if any.
pub(crate) type Param = (String, Option<String>);

/// The URI of a `name-addr` (`"Bob" <sip:b@x>;p`) or `addr-spec` (`sip:b@x;p`) value.
pub(crate) fn uri_of(value: &str) -> &str {
    let value = value.trim();
    match (value.find('<'), value.find('>')) {
        (Some(open), Some(close)) if open < close => value[open + 1..close].trim(),
        _ => value.split(';').next().unwrap_or_default().trim(),
    }
}

/// The header parameters after the URI, split on `;` outside quotes.
pub(crate) fn params_of(value: &str) -> Vec<Param> {
    let value = value.trim();
    let rest = match (value.find('<'), value.find('>')) {
        (Some(open), Some(close)) if open < close => &value[close + 1..],
        _ => value.find(';').map_or("", |at| &value[at..]),
    };
    split_outside_quotes(rest, ';')
        .into_iter()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((name, val)) => (name.trim().to_owned(), Some(val.trim().to_owned())),
            None => (p.to_owned(), None),
        })
        .collect()
}

/// The value of parameter `name` (case-insensitive), `Some(None)` when it has no value.
pub(crate) fn param<'a>(params: &'a [Param], name: &str) -> Option<Option<&'a str>> {
    params
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_deref())
}

/// The E.164 number (`+86...`) or other user part of a sip/sips/tel URI, without parameters.
///
/// Two URIs naming the same subscriber (`sip:+86...@domain`, `tel:+86...`) give the same key.
pub(crate) fn number_of(uri: &str) -> Option<String> {
    let uri = uri_of(uri);
    let (scheme, rest) = uri.split_once(':')?;
    let user = match scheme.to_ascii_lowercase().as_str() {
        "sip" | "sips" => rest.split_once('@')?.0.split(';').next()?,
        "tel" => rest.split(';').next()?,
        _ => return None,
    };
    let user = user.trim();
    (!user.is_empty()).then(|| user.to_owned())
}

/// Splits `text` on `sep` where it is not inside a quoted string (with quoted-pairs).
fn split_outside_quotes(text: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quoted = false;
    let mut escaped = false;
    let mut start = 0;
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&text[start..at]);
                start = at + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_name_addr_and_addr_spec() {
        let v = "\"Bob\" <sip:+8613900000002@ims.example;transport=tcp>;expires=3600;+g.x=\"a;b\"";
        assert_eq!(uri_of(v), "sip:+8613900000002@ims.example;transport=tcp");
        let p = params_of(v);
        assert_eq!(param(&p, "EXPIRES"), Some(Some("3600")));
        assert_eq!(param(&p, "+g.x"), Some(Some("\"a;b\"")));
        assert_eq!(uri_of("sip:b@x;tag=1"), "sip:b@x");
        assert_eq!(param(&params_of("sip:b@x;tag=1;barred"), "barred"), Some(None));
    }

    #[test]
    fn numbers_match_across_sip_and_tel() {
        let sip = number_of("<sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org;user=phone>");
        assert_eq!(sip.as_deref(), Some("+8613800000001"));
        assert_eq!(number_of("tel:+8613800000001;phone-context=x"), sip);
        assert_eq!(number_of("sip:ims.example"), None);
        assert_eq!(number_of("mailto:a@b"), None);
    }

    #[test]
    fn never_fails_on_odd_values() {
        for v in ["", "<", ">", "><", "\"", "<sip:a@b", ";;", "a=\"unterminated;x"] {
            let _ = uri_of(v);
            let _ = params_of(v);
            let _ = number_of(v);
        }
        assert!(params_of("<sip:a@b>").is_empty());
    }
}
