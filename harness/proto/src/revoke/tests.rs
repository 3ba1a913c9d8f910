//! Tests of the revoke request on the vectors in tests/vectors/revoke.

use super::*;

const REVOKE: &[u8] = include_bytes!("../../tests/vectors/revoke/protocols-4.9-revoke.dat");
const XXE: &[u8] = include_bytes!("../../tests/vectors/revoke/protocols-4.9-doctype-xxe.dat");

#[test]
fn the_default_of_section_4_9() {
    assert_eq!(Revoke::parse(REVOKE).unwrap(), Revoke::new("Qm9t3XkA7"));
    assert_eq!(Revoke::new("Qm9t3XkA7").to_xml().as_bytes(), REVOKE);
}

#[test]
fn the_namespace_is_configurable() {
    let ns = "urn:example:vendor:revoke";
    let xml = Revoke::new("a&b").to_xml_in(ns);
    assert_eq!(
        Revoke::parse_in(xml.as_bytes(), ns).unwrap(),
        Revoke::new("a&b")
    );
    assert!(matches!(
        Revoke::parse(xml.as_bytes()),
        Err(XmlError::WrongRoot { found, .. }) if found == "{urn:example:vendor:revoke}rcsrevoke"
    ));
    assert!(Revoke::parse_in(REVOKE, ns).is_err());
}

#[test]
fn prefixed_with_unknown_elements() {
    let xml = format!(
        "<r:rcsrevoke xmlns:r=\"{REVOKE_NS}\"><x:y xmlns:x=\"urn:x\"/><r:action> revoke </r:action><r:Message-ID>m1</r:Message-ID></r:rcsrevoke>"
    );
    assert_eq!(Revoke::parse(xml.as_bytes()).unwrap(), Revoke::new("m1"));
}

#[test]
fn missing_parts_and_doctype() {
    let text = std::str::from_utf8(REVOKE).unwrap();
    assert_eq!(
        Revoke::parse(text.replace("<action>revoke</action>", "").as_bytes()),
        Err(XmlError::MissingElement {
            parent: "rcsrevoke",
            element: "action"
        })
    );
    assert_eq!(
        Revoke::parse(text.replace("Qm9t3XkA7", "").as_bytes()),
        Err(XmlError::MissingElement {
            parent: "rcsrevoke",
            element: "Message-ID"
        })
    );
    // Element names are case-sensitive.
    assert!(Revoke::parse(text.replace("Message-ID", "message-id").as_bytes()).is_err());
    assert_eq!(Revoke::parse(XXE), Err(XmlError::Doctype("rcsrevoke")));
    let huge = vec![b' '; REVOKE_LIMITS.max_bytes + 1];
    assert!(matches!(
        Revoke::parse(&huge),
        Err(XmlError::TooLarge { .. })
    ));
}

#[test]
fn every_prefix_is_read_without_a_panic() {
    for vector in [REVOKE, XXE] {
        let end = vector.iter().rposition(|&b| b == b'>').unwrap();
        for n in 0..vector.len() {
            assert!(
                n > end || Revoke::parse(&vector[..n]).is_err(),
                "prefix of {n} bytes"
            );
        }
    }
}
