//! Splitting header values on separators that are outside quoted strings and `<...>`.
//!
//! RFC 3261 7.3.1 lets several values of one header share a line, separated by commas; commas
//! inside a quoted-string (25.1, with `\` quoted-pairs) or inside an angle-bracketed URI do not
//! separate. This module only splits; it does not check the grammar of the pieces.

/// Byte offsets of every `sep` in `text` that is outside quotes and angle brackets.
pub(crate) fn separator_positions(text: &str, sep: u8) -> Vec<usize> {
    let mut out = Vec::new();
    let mut in_quotes = false;
    let mut in_angle = false;
    let mut escaped = false;
    for (i, b) in text.bytes().enumerate() {
        if in_quotes {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_quotes = false;
            }
            continue;
        }
        match b {
            b'"' if !in_angle => in_quotes = true,
            b'<' => in_angle = true,
            b'>' => in_angle = false,
            _ if b == sep && !in_angle => out.push(i),
            _ => {}
        }
    }
    out
}

/// Splits `text` on `sep` outside quotes and `<>`, trimming whitespace around each piece.
/// Empty pieces are kept, so callers can tell `a,,b` from `a,b`.
pub fn split_outside(text: &str, sep: u8) -> Vec<&str> {
    let mut out = Vec::new();
    let mut from = 0;
    for at in separator_positions(text, sep) {
        out.push(text[from..at].trim_matches([' ', '\t']));
        from = at + 1;
    }
    out.push(text[from..].trim_matches([' ', '\t']));
    out
}

/// The `;name[=value]` parameters of a header value after its first element (an address, a token or
/// `*`), in order, values unquoted: `<sip:a;x=1>;expires=60;+g.t="a;b";lr` gives
/// `[(expires, 60), (+g.t, a;b), (lr, None)]`. Lenient: it never fails, so checks can look at what
/// a system under test sent even when it breaks the grammar.
pub fn header_params(value: &str) -> Vec<(String, Option<String>)> {
    split_outside(value, b';')
        .into_iter()
        .skip(1)
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (
                k.trim().to_owned(),
                Some(crate::sip::params::unquote(v.trim())),
            ),
            None => (p.to_owned(), None),
        })
        .collect()
}

/// Splits a header value into its comma-separated values, skipping empty ones.
pub(crate) fn split_values(text: &str) -> Vec<String> {
    split_outside(text, b',')
        .into_iter()
        .filter(|piece| !piece.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_params_after_the_address() {
        let p = header_params(r#"<sip:a@b;transport=tcp>;expires=60;+g.x="a;b";lr"#);
        assert_eq!(
            p,
            vec![
                ("expires".to_owned(), Some("60".to_owned())),
                ("+g.x".to_owned(), Some("a;b".to_owned())),
                ("lr".to_owned(), None)
            ]
        );
        assert_eq!(
            header_params("*;+g.gsma.rcs.isbot"),
            vec![("+g.gsma.rcs.isbot".to_owned(), None)]
        );
        assert!(header_params("1800").is_empty());
    }

    #[test]
    fn commas_inside_quotes_and_angles_do_not_split() {
        let value = r#""Doe, John" <sip:a@b;x=1,2>;p="q,r", <sip:c@d>"#;
        assert_eq!(
            split_values(value),
            vec![r#""Doe, John" <sip:a@b;x=1,2>;p="q,r""#, "<sip:c@d>"]
        );
    }

    #[test]
    fn escaped_quote_stays_inside() {
        let value = r#""a \", b", c"#;
        assert_eq!(split_values(value), vec![r#""a \", b""#, "c"]);
    }

    #[test]
    fn empty_pieces() {
        assert_eq!(split_outside("a,,b", b','), vec!["a", "", "b"]);
        assert_eq!(split_values(" a , ,b,"), vec!["a", "b"]);
        assert_eq!(split_outside(";;", b';'), vec!["", "", ""]);
    }
}
