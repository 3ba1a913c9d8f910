//! multipart/form-data (RFC 7578) over the multipart codec ([`crate::multipart`]).
//!
//! Reading: [`parse`] checks the media type and that every part carries `Content-Disposition:
//! form-data; name="..."` (RFC 7578 §4.2); [`form_name`] and [`form_filename`] read those
//! parameters (token or quoted string, quoted-pairs resolved; a `filename` is returned as sent,
//! percent-encoding included, and `filename*` is not read: RFC 7578 §4.2 says not to send it).
//! Writing: [`field`] and [`file`] make parts, [`build`] makes the body and its Content-Type.
//! In names and file names written, `"`, CR and LF are percent-encoded (as HTML forms do), so the
//! header stays on one line. This module does not decode `_charset_` or nested multiparts.

use crate::multipart::{self, Part};

use super::error::HttpError;

/// The media type of a form.
pub const FORM_DATA: &str = "multipart/form-data";

/// The `name` parameter of a part's `Content-Disposition: form-data`.
pub fn form_name(part: &Part) -> Option<String> {
    disposition_param(part, "name")
}

/// The `filename` parameter of a part's `Content-Disposition: form-data`.
pub fn form_filename(part: &Part) -> Option<String> {
    disposition_param(part, "filename")
}

/// The first part with this form name.
pub fn find<'a>(parts: &'a [Part], name: &str) -> Option<&'a Part> {
    parts.iter().find(|p| form_name(p).as_deref() == Some(name))
}

/// Splits a form body; every part must be `form-data` with a name.
pub fn parse(content_type: &str, body: &[u8]) -> Result<Vec<Part>, HttpError> {
    let media = content_type.split(';').next().unwrap_or_default().trim();
    if !media.eq_ignore_ascii_case(FORM_DATA) {
        return Err(HttpError::Form(format!("{media:?} is not {FORM_DATA}")));
    }
    let parts = multipart::parse(content_type, body)?;
    for (i, part) in parts.iter().enumerate() {
        if form_name(part).is_none() {
            return Err(HttpError::Form(format!(
                "part {} has no `Content-Disposition: form-data; name=`",
                i + 1
            )));
        }
    }
    Ok(parts)
}

/// A field part: `Content-Disposition: form-data; name="<name>"`, then Content-Type if given.
pub fn field(name: &str, content_type: Option<&str>, body: impl Into<Vec<u8>>) -> Part {
    let mut headers = vec![(
        "Content-Disposition".to_owned(),
        format!("form-data; name=\"{}\"", encode(name)),
    )];
    headers.extend(content_type.map(|ct| ("Content-Type".to_owned(), ct.to_owned())));
    Part {
        headers,
        body: body.into(),
    }
}

/// A file part: `Content-Disposition: form-data; name="<name>"; filename="<filename>"` and
/// `Content-Type: <content_type>`.
pub fn file(name: &str, filename: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Part {
    Part {
        headers: vec![
            (
                "Content-Disposition".to_owned(),
                format!(
                    "form-data; name=\"{}\"; filename=\"{}\"",
                    encode(name),
                    encode(filename)
                ),
            ),
            ("Content-Type".to_owned(), content_type.to_owned()),
        ],
        body: body.into(),
    }
}

/// The Content-Type value and the body of a form holding `parts`.
pub fn build(parts: &[Part], boundary: &str) -> (String, Vec<u8>) {
    (
        format!("{FORM_DATA}; boundary={boundary}"),
        multipart::build(parts, boundary),
    )
}

fn encode(text: &str) -> String {
    text.replace('"', "%22")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A parameter of the part's Content-Disposition when its type is `form-data`.
fn disposition_param(part: &Part, wanted: &str) -> Option<String> {
    let value = part.header("Content-Disposition")?;
    let (kind, mut rest) = value.split_once(';').unwrap_or((value, ""));
    if !kind.trim().eq_ignore_ascii_case("form-data") {
        return None;
    }
    while let Some((name, after)) = rest.split_once('=') {
        let (value, next) = param_value(after.trim_start());
        if name.trim().eq_ignore_ascii_case(wanted) {
            return Some(value);
        }
        rest = next;
    }
    None
}

/// A token or quoted-string value, and the text after the next `;`.
fn param_value(text: &str) -> (String, &str) {
    let Some(quoted) = text.strip_prefix('"') else {
        let (value, next) = text.split_once(';').unwrap_or((text, ""));
        return (value.trim().to_owned(), next);
    };
    let mut value = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => {
                let after = quoted.get(i + 1..).unwrap_or_default();
                return (value, after.split_once(';').map_or("", |(_, next)| next));
            }
            '\\' => value.extend(chars.next().map(|(_, c)| c)),
            c => value.push(c),
        }
    }
    (value, "")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn builds_and_reads_the_upload_form_of_protocols_5_1() {
        let parts = [
            field("tid", Some("text/plain"), "a6f0c9e2"),
            file(
                "File",
                "cat \"1\".jpg",
                "image/jpeg",
                vec![0xff, 0xd8, 0x00],
            ),
        ];
        let (content_type, body) = build(&parts, "bnd42");
        assert_eq!(content_type, "multipart/form-data; boundary=bnd42");
        let read = parse(&content_type, &body).unwrap();
        assert_eq!(read, parts);
        assert_eq!(form_name(&read[0]).as_deref(), Some("tid"));
        assert_eq!(form_filename(&read[0]), None);
        assert_eq!(form_filename(&read[1]).as_deref(), Some("cat %221%22.jpg"));
        assert_eq!(find(&read, "File").unwrap().body, [0xff, 0xd8, 0x00]);
    }

    #[test]
    fn reads_tokens_quoted_pairs_and_semicolons_in_quotes() {
        let part = Part::new("text/plain", "x").with_header(
            "content-disposition",
            r#"FORM-DATA ; filename="a;b\".txt" ; name=field1"#,
        );
        assert_eq!(form_name(&part).as_deref(), Some("field1"));
        assert_eq!(form_filename(&part).as_deref(), Some("a;b\".txt"));
        let attachment = Part::new("text/plain", "x")
            .with_header("Content-Disposition", "attachment; name=\"x\"");
        assert_eq!(form_name(&attachment), None);
    }

    #[test]
    fn a_part_without_a_name_or_a_wrong_type_is_refused() {
        let body = multipart::build(&[Part::new("text/plain", "x")], "b");
        let err = parse("multipart/form-data; boundary=b", &body).unwrap_err();
        assert!(err.to_string().contains("part 1 has no"), "{err}");
        let err = parse("multipart/mixed; boundary=b", &body).unwrap_err();
        assert!(
            err.to_string().contains("is not multipart/form-data"),
            "{err}"
        );
    }
}
