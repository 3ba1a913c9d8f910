//! Tests of the resource-lists reader and writer on the vectors in tests/vectors/resource_lists.

use super::*;

const RECIPIENTS: &[u8] =
    include_bytes!("../../tests/vectors/resource_lists/protocols-6.1-recipient-list.dat");
const NESTED: &[u8] =
    include_bytes!("../../tests/vectors/resource_lists/rfc4826-3.3-nested-prefixed.dat");
const XXE: &[u8] =
    include_bytes!("../../tests/vectors/resource_lists/protocols-6.1-doctype-external.dat");

const TWO: [&str; 2] = ["tel:+8613900000002", "tel:+8613700000003"];

#[test]
fn parses_the_recipient_list_of_section_6_1() {
    assert_eq!(
        ResourceLists::parse(RECIPIENTS).unwrap(),
        ResourceLists::recipients(TWO)
    );
}

#[test]
fn nested_prefixed_lists() {
    let doc = ResourceLists::parse(NESTED).unwrap();
    assert_eq!(
        doc.uris(),
        [
            "sip:bob@example.com",
            "tel:+8613700000003",
            "sip:carol@example.com"
        ]
    );
    let friends = &doc.lists[0];
    assert_eq!(friends.name.as_deref(), Some("friends"));
    assert_eq!(friends.display_name.as_deref(), Some("朋友"));
    assert_eq!(friends.entries[0].display_name.as_deref(), Some("Bob <B>"));
    assert_eq!(friends.entries[0].copy_control, Some(CopyControl::Cc));
    // copyControl in the miscased namespace is not RFC 5364's attribute.
    assert_eq!(friends.entries[1].copy_control, None);
    assert_eq!(
        friends.lists[0].entries[0].copy_control,
        Some(CopyControl::Bcc)
    );
}

#[test]
fn round_trips() {
    for doc in [
        ResourceLists::recipients(TWO),
        ResourceLists::parse(NESTED).unwrap(),
    ] {
        let xml = doc.to_xml();
        assert_eq!(ResourceLists::parse(xml.as_bytes()).unwrap(), doc, "{xml}");
    }
    let xml = ResourceLists::recipients(TWO).to_xml();
    assert!(xml.contains(&format!(
        "xmlns=\"{RESOURCE_LISTS_NS}\" xmlns:cp=\"{COPY_CONTROL_NS}\""
    )));
    assert!(xml.contains("<entry uri=\"tel:+8613900000002\" cp:copyControl=\"to\"/>"));
}

#[test]
fn errors_are_named() {
    let text = std::str::from_utf8(RECIPIENTS).unwrap();
    let no_uri = text.replacen("uri=\"tel:+8613900000002\" ", "", 1);
    assert_eq!(
        ResourceLists::parse(no_uri.as_bytes()),
        Err(XmlError::MissingAttribute {
            element: "entry",
            attribute: "uri"
        })
    );
    let bad_cc = text.replacen("\"to\"", "\"from\"", 1);
    assert!(matches!(
        ResourceLists::parse(bad_cc.as_bytes()),
        Err(XmlError::InvalidValue {
            construct: "entry@cp:copyControl",
            ..
        })
    ));
    let wrong = text.replace("ns:resource-lists\"", "ns:resource-list\"");
    assert!(matches!(
        ResourceLists::parse(wrong.as_bytes()),
        Err(XmlError::WrongRoot { .. })
    ));
    assert_eq!(
        ResourceLists::parse(XXE),
        Err(XmlError::Doctype("resource-lists"))
    );
}

#[test]
fn ten_thousand_entries_at_most() {
    let many = ResourceLists::recipients(std::iter::repeat_n("tel:+8613900000002", 9_997));
    assert_eq!(
        ResourceLists::parse(many.to_xml().as_bytes())
            .unwrap()
            .uris()
            .len(),
        9_997
    );
    let too_many = ResourceLists::recipients(std::iter::repeat_n("tel:1", 9_999));
    assert!(matches!(
        ResourceLists::parse(too_many.to_xml().as_bytes()),
        Err(XmlError::OverLimit {
            what: "elements",
            ..
        })
    ));
}

#[test]
fn every_prefix_is_read_without_a_panic() {
    for vector in [RECIPIENTS, NESTED, XXE] {
        let end = vector.iter().rposition(|&b| b == b'>').unwrap();
        for n in 0..vector.len() {
            assert!(
                n > end || ResourceLists::parse(&vector[..n]).is_err(),
                "prefix of {n} bytes"
            );
        }
    }
}
