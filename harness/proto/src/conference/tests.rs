//! Tests of the conference-info reader and writer on the vectors in tests/vectors/conference.

use super::*;
use crate::xml_tree::XmlError;

const PARTIAL: &[u8] =
    include_bytes!("../../tests/vectors/conference/protocols-6.2-partial-departed.dat");
const FULL: &[u8] = include_bytes!("../../tests/vectors/conference/rfc4575-6-full-prefixed.dat");
const XXE: &[u8] = include_bytes!("../../tests/vectors/conference/protocols-6.2-doctype-xxe.dat");

const GROUP: &str = "sip:grp-7f3a@gc.ims.mnc000.mcc460.3gppnetwork.org";

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

fn section_6_2() -> ConferenceInfo {
    let mut doc = ConferenceInfo::new(GROUP, 3);
    doc.state = ElementState::Partial;
    let mut user = User::with_status("tel:+8613700000003", EndpointStatus::Disconnected);
    user.state = ElementState::Partial;
    user.endpoints[0].disconnection_method = Some(DisconnectionMethod::Departed);
    doc.users.push(user);
    doc
}

#[test]
fn parses_the_notify_body_of_section_6_2() {
    assert_eq!(ConferenceInfo::parse(PARTIAL).unwrap(), section_6_2());
}

#[test]
fn prefixed_full_state_with_extensions() {
    let doc = ConferenceInfo::parse(FULL).unwrap();
    assert_eq!((doc.state, doc.version), (ElementState::Full, 1));
    assert_eq!(doc.subject.as_deref(), Some("周末聚餐 & 烧烤"));
    assert_eq!(doc.users.len(), 3);
    let alice = doc.user("tel:+8613800000001").unwrap();
    assert_eq!(alice.display_text.as_deref(), Some("Alice"));
    assert_eq!(alice.status(), Some(EndpointStatus::Connected));
    assert_eq!(
        alice.endpoints[0].joining_when.as_deref(),
        Some("2025-03-01T10:00:00+08:00")
    );
    let bob = doc.user("tel:+8613900000002").unwrap();
    assert_eq!(
        (bob.state, bob.status()),
        (ElementState::Full, Some(EndpointStatus::Pending))
    );
    let carol = &doc.user("tel:+8613700000003").unwrap().endpoints[0];
    assert_eq!(
        carol.disconnection_method,
        Some(DisconnectionMethod::Booted)
    );
    assert!(carol.disconnection_when.is_some());
}

#[test]
fn round_trips() {
    for doc in [section_6_2(), ConferenceInfo::parse(FULL).unwrap()] {
        let xml = doc.to_xml();
        assert_eq!(ConferenceInfo::parse(xml.as_bytes()).unwrap(), doc, "{xml}");
    }
    let mut doc = ConferenceInfo::new("sip:g@x;a=\"b\"&c", 7);
    doc.display_text = Some("<group>".into());
    doc.state = ElementState::Deleted;
    assert_eq!(ConferenceInfo::parse(doc.to_xml().as_bytes()).unwrap(), doc);
}

#[test]
fn to_xml_declares_the_namespace() {
    let xml = section_6_2().to_xml();
    assert!(xml.contains(&format!(
        "<conference-info xmlns=\"{CONFERENCE_INFO_NS}\" entity=\"{GROUP}\" state=\"partial\" version=\"3\">"
    )));
    assert!(xml.contains("<status>disconnected</status>"));
}

#[test]
fn missing_and_invalid_parts_are_named() {
    let no_version = text(PARTIAL).replace(" version=\"3\"", "");
    assert_eq!(
        ConferenceInfo::parse(no_version.as_bytes()),
        Err(XmlError::MissingAttribute {
            element: "conference-info",
            attribute: "version"
        })
    );
    let no_user_entity = text(PARTIAL).replace("<user entity=\"tel:+8613700000003\"", "<user");
    assert_eq!(
        ConferenceInfo::parse(no_user_entity.as_bytes()),
        Err(XmlError::MissingAttribute {
            element: "user",
            attribute: "entity"
        })
    );
    for (from, to, construct) in [
        (
            "<status>disconnected</status>",
            "<status>gone</status>",
            "endpoint status",
        ),
        ("departed", "left", "endpoint disconnection-method"),
        (
            "state=\"partial\" version",
            "state=\"some\" version",
            "conference-info@state",
        ),
        (
            "version=\"3\"",
            "version=\"three\"",
            "conference-info@version",
        ),
    ] {
        let xml = text(PARTIAL).replace(from, to);
        assert!(
            matches!(ConferenceInfo::parse(xml.as_bytes()), Err(XmlError::InvalidValue { construct: c, .. }) if c == construct),
            "{construct}"
        );
    }
}

#[test]
fn namespace_and_doctype_are_checked() {
    let wrong = text(PARTIAL).replace("conference-info\" entity", "conference-inf\" entity");
    assert!(matches!(
        ConferenceInfo::parse(wrong.as_bytes()),
        Err(XmlError::WrongRoot { .. })
    ));
    // ROB-BODY-004.
    assert_eq!(
        ConferenceInfo::parse(XXE),
        Err(XmlError::Doctype("conference-info"))
    );
}

#[test]
fn every_prefix_is_read_without_a_panic() {
    for vector in [PARTIAL, FULL, XXE] {
        let end = vector.iter().rposition(|&b| b == b'>').unwrap();
        for n in 0..vector.len() {
            assert!(
                n > end || ConferenceInfo::parse(&vector[..n]).is_err(),
                "prefix of {n} bytes"
            );
        }
    }
}
