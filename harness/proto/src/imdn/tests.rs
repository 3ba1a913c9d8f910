//! Tests of the IMDN reader and writer on the vectors in tests/vectors/imdn and /cpim.

use super::*;

const DELIVERED: &[u8] = include_bytes!("../../tests/vectors/imdn/rfc5438-7-delivered.xml");
const DISPLAYED: &[u8] =
    include_bytes!("../../tests/vectors/imdn/rfc5438-7-displayed-prefixed.xml");
const WRONG_NS: &[u8] = include_bytes!("../../tests/vectors/imdn/rfc5438-7-wrong-namespace.xml");
const NO_NS: &[u8] = include_bytes!("../../tests/vectors/imdn/rfc5438-7-no-namespace.xml");
const XXE: &[u8] = include_bytes!("../../tests/vectors/imdn/rfc5438-7-doctype-xxe.xml");
const IMDN_CPIM: &[u8] = include_bytes!("../../tests/vectors/cpim/rfc5438-7-imdn-delivered.cpim");

fn delivered() -> Imdn {
    Imdn {
        message_id: "Qm9t3XkA7".into(),
        datetime: "2025-03-01T10:00:02.000+08:00".into(),
        recipient_uri: None,
        original_recipient_uri: None,
        notification: Notification::Delivery(DeliveryStatus::Delivered),
    }
}

#[test]
fn parses_the_document_of_section_4_7() {
    assert_eq!(Imdn::parse(DELIVERED).unwrap(), delivered());
}

#[test]
fn to_xml_is_the_layout_of_section_4_7() {
    assert_eq!(delivered().to_xml().as_bytes(), DELIVERED);
}

#[test]
fn imdn_cpim_is_the_wrapper_of_section_4_7() {
    assert_eq!(imdn_cpim("Zt81mQp0", &delivered()), IMDN_CPIM);
}

#[test]
fn from_cpim_reads_the_wrapped_document() {
    let cpim = CpimMessage::parse(IMDN_CPIM).unwrap();
    assert_eq!(Imdn::from_cpim(&cpim).unwrap(), delivered());
    let text = CpimMessage::parse(&CpimBuilder::new().content_type("text/plain").build()).unwrap();
    assert_eq!(
        Imdn::from_cpim(&text),
        Err(ImdnError::NotImdn(Some("text/plain".into())))
    );
}

#[test]
fn from_cpim_undoes_base64() {
    let bytes = CpimBuilder::new()
        .content_type("message/imdn+xml")
        .body_base64(delivered().to_xml().as_bytes())
        .build();
    let cpim = CpimMessage::parse(&bytes).unwrap();
    assert_eq!(Imdn::from_cpim(&cpim).unwrap(), delivered());
}

#[test]
fn prefixed_document_with_unknown_elements() {
    let imdn = Imdn::parse(DISPLAYED).unwrap();
    assert_eq!(imdn.message_id, "Gr0upMsg7");
    assert_eq!(
        imdn.recipient_uri.as_deref(),
        Some("sip:+8613900000002@ims.mnc000.mcc460.3gppnetwork.org")
    );
    assert!(imdn.original_recipient_uri.is_some());
    assert_eq!(
        imdn.notification,
        Notification::Display(DisplayStatus::Displayed)
    );
}

#[test]
fn wrong_namespace_is_rejected() {
    assert_eq!(
        Imdn::parse(WRONG_NS),
        Err(ImdnError::WrongRoot(
            "{urn:ietf:params:xml:ns:imdn-typo}imdn".into()
        ))
    );
    assert_eq!(
        Imdn::parse(NO_NS),
        Err(ImdnError::WrongRoot("imdn in no namespace".into()))
    );
}

#[test]
fn doctype_is_rejected() {
    // ROB-BODY-004.
    assert_eq!(Imdn::parse(XXE), Err(ImdnError::Doctype));
}

#[test]
fn undeclared_entity_is_rejected() {
    let xml = DELIVERED_STR.replace("Qm9t3XkA7", "&xxe;");
    assert_eq!(
        Imdn::parse(xml.as_bytes()),
        Err(ImdnError::Entity("xxe".into()))
    );
}

const DELIVERED_STR: &str = match std::str::from_utf8(DELIVERED) {
    Ok(s) => s,
    Err(_) => panic!("the vector is UTF-8"),
};

#[test]
fn round_trip_with_escaping_and_every_status() {
    let statuses = [
        Notification::Delivery(DeliveryStatus::Delivered),
        Notification::Delivery(DeliveryStatus::Failed),
        Notification::Delivery(DeliveryStatus::Forbidden),
        Notification::Delivery(DeliveryStatus::Error),
        Notification::Display(DisplayStatus::Displayed),
        Notification::Display(DisplayStatus::Forbidden),
        Notification::Display(DisplayStatus::Error),
    ];
    for notification in statuses {
        let imdn = Imdn {
            message_id: "a<b>&\"c'".into(),
            datetime: "2025-03-01T10:00:02Z".into(),
            recipient_uri: Some("sip:x@y;a=b&c".into()),
            original_recipient_uri: Some("tel:+8613900000002".into()),
            notification,
        };
        assert_eq!(Imdn::parse(imdn.to_xml().as_bytes()).unwrap(), imdn);
    }
}

#[test]
fn status_must_fit_the_notification() {
    let xml = DELIVERED_STR.replace("<delivered/>", "<displayed/>");
    assert_eq!(
        Imdn::parse(xml.as_bytes()),
        Err(ImdnError::UnknownStatus {
            element: "delivery-notification",
            status: "displayed".into()
        })
    );
}

#[test]
fn missing_parts() {
    let no_id = DELIVERED_STR.replace("<message-id>Qm9t3XkA7</message-id>", "");
    assert_eq!(
        Imdn::parse(no_id.as_bytes()),
        Err(ImdnError::MissingElement("message-id"))
    );
    let empty_id = DELIVERED_STR.replace("Qm9t3XkA7", " ");
    assert_eq!(
        Imdn::parse(empty_id.as_bytes()),
        Err(ImdnError::MissingElement("message-id"))
    );
    let no_status = DELIVERED_STR.replace("<status><delivered/></status>", "");
    assert_eq!(
        Imdn::parse(no_status.as_bytes()),
        Err(ImdnError::MissingElement("status"))
    );
    let none = DELIVERED_STR.replace(
        "<delivery-notification><status><delivered/></status></delivery-notification>",
        "",
    );
    assert!(matches!(
        Imdn::parse(none.as_bytes()),
        Err(ImdnError::Notification(_))
    ));
    let processing = DELIVERED_STR.replace("delivery-notification", "processing-notification");
    assert!(matches!(
        Imdn::parse(processing.as_bytes()),
        Err(ImdnError::Notification(_))
    ));
}

#[test]
fn malformed_xml() {
    for bad in [
        &b""[..],
        b"<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"><message-id>x</datetime></imdn>",
        b"<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"><message-id>x",
        b"<imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"/><imdn xmlns=\"urn:ietf:params:xml:ns:imdn\"/>",
        b"\xff\xfe<imdn/>",
    ] {
        assert!(Imdn::parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
    }
    let huge = vec![b' '; MAX_IMDN_SIZE + 1];
    assert!(matches!(
        Imdn::parse(&huge),
        Err(ImdnError::TooLarge { .. })
    ));
}
