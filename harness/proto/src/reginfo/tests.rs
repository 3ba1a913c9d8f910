//! Tests of the reginfo reader and writer on the vectors in tests/vectors/reginfo.

use super::*;

const FULL: &[u8] = include_bytes!("../../tests/vectors/reginfo/rfc3680-6-full.dat");
const PARTIAL: &[u8] =
    include_bytes!("../../tests/vectors/reginfo/protocols-2.5-deactivated-partial.dat");
const XXE: &[u8] = include_bytes!("../../tests/vectors/reginfo/protocols-2.5-doctype-xxe.dat");

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

/// The document of the vector modelled on RFC 3680 §6.
fn full() -> RegInfo {
    let mut c76 = Contact::new(
        "76",
        ContactState::Active,
        ContactEvent::Registered,
        "sip:user@pc887.example.com",
    );
    c76.duration_registered = Some(7322);
    c76.q = Some("0.8".into());
    let mut c77 = Contact::new(
        "77",
        ContactState::Terminated,
        ContactEvent::Expired,
        "sip:user@university.edu",
    );
    c77.duration_registered = Some(3600);
    c77.q = Some("0.5".into());
    RegInfo {
        version: 0,
        state: DocState::Full,
        registrations: vec![Registration {
            aor: "sip:user@example.com".into(),
            id: "as9".into(),
            state: RegistrationState::Active,
            contacts: vec![c76, c77],
        }],
    }
}

#[test]
fn parses_the_full_document() {
    assert_eq!(RegInfo::parse(FULL).unwrap(), full());
}

#[test]
fn round_trip() {
    let doc = full();
    let xml = doc.to_xml();
    assert!(xml.contains(
        "<reginfo xmlns=\"urn:ietf:params:xml:ns:reginfo\" version=\"0\" state=\"full\">"
    ));
    assert_eq!(RegInfo::parse(xml.as_bytes()).unwrap(), doc);
    let partial = RegInfo::parse(PARTIAL).unwrap();
    assert_eq!(
        RegInfo::parse(partial.to_xml().as_bytes()).unwrap(),
        partial
    );
}

#[test]
fn prefixed_partial_deactivation_with_extensions() {
    let doc = RegInfo::parse(PARTIAL).unwrap();
    assert_eq!((doc.version, doc.state), (3, DocState::Partial));
    let reg = doc
        .registration("sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org")
        .unwrap();
    assert_eq!(reg.state, RegistrationState::Terminated);
    let [contact] = reg.contacts.as_slice() else {
        panic!("one contact expected: {:?}", reg.contacts);
    };
    assert_eq!(contact.event, ContactEvent::Deactivated);
    assert_eq!(contact.expires, Some(0));
    assert_eq!(
        contact.uri,
        "sip:+8613800000001@10.20.0.7:5060;transport=tcp"
    );
    assert!(
        doc.registration("tel:+8613800000001")
            .unwrap()
            .contacts
            .is_empty()
    );
}

#[test]
fn missing_parts_are_named() {
    let cases: [(&str, &str, XmlError); 4] = [
        (
            " version=\"0\"",
            "",
            XmlError::MissingAttribute {
                element: "reginfo",
                attribute: "version",
            },
        ),
        (
            " id=\"as9\"",
            "",
            XmlError::MissingAttribute {
                element: "registration",
                attribute: "id",
            },
        ),
        (
            " event=\"registered\"",
            "",
            XmlError::MissingAttribute {
                element: "contact",
                attribute: "event",
            },
        ),
        (
            "<uri>sip:user@pc887.example.com</uri>",
            "",
            XmlError::MissingElement {
                parent: "contact",
                element: "uri",
            },
        ),
    ];
    for (from, to, error) in cases {
        let xml = text(FULL).replacen(from, to, 1);
        assert_eq!(RegInfo::parse(xml.as_bytes()), Err(error), "{from}");
    }
}

#[test]
fn keywords_and_numbers_are_checked() {
    for (from, to, construct) in [
        ("state=\"full\"", "state=\"whole\"", "reginfo@state"),
        ("event=\"expired\"", "event=\"gone\"", "contact@event"),
        ("version=\"0\"", "version=\"-1\"", "reginfo@version"),
        (
            "duration-registered=\"3600\"",
            "duration-registered=\"1h\"",
            "contact@duration-registered",
        ),
    ] {
        let xml = text(FULL).replacen(from, to, 1);
        assert!(
            matches!(RegInfo::parse(xml.as_bytes()), Err(XmlError::InvalidValue { construct: c, .. }) if c == construct),
            "{construct}"
        );
    }
}

#[test]
fn namespace_and_doctype_are_checked() {
    let wrong = text(FULL).replace("ns:reginfo\"", "ns:reginfo2\"");
    assert!(matches!(
        RegInfo::parse(wrong.as_bytes()),
        Err(XmlError::WrongRoot { .. })
    ));
    // ROB-BODY-004.
    assert_eq!(RegInfo::parse(XXE), Err(XmlError::Doctype("reginfo")));
    // A registration in another namespace is an extension, not a registration.
    let foreign = text(PARTIAL).replace(
        "<r:registration aor=\"tel:+8613800000001\"",
        "<gr:registration aor=\"tel:+8613800000001\"",
    );
    assert_eq!(
        RegInfo::parse(foreign.as_bytes())
            .unwrap()
            .registrations
            .len(),
        1
    );
}

#[test]
fn every_prefix_is_read_without_a_panic() {
    for vector in [FULL, PARTIAL, XXE] {
        let end = vector.iter().rposition(|&b| b == b'>').unwrap();
        for n in 0..vector.len() {
            assert!(
                n > end || RegInfo::parse(&vector[..n]).is_err(),
                "prefix of {n} bytes"
            );
        }
    }
}
