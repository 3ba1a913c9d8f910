//! Tests of the CPIM parser and validator on the vectors in tests/vectors/cpim.

use super::*;

const PAGER: &[u8] = include_bytes!("../../tests/vectors/cpim/rfc3862-2-pager-utf8.cpim");
const BASE64: &[u8] = include_bytes!("../../tests/vectors/cpim/rfc3862-2-base64-body.cpim");
const CORRUPT_BASE64: &[u8] =
    include_bytes!("../../tests/vectors/cpim/rfc3862-2-corrupt-base64.cpim");
const LOWERCASE_LENGTH: &[u8] =
    include_bytes!("../../tests/vectors/cpim/rfc3862-2-content-length-lowercase.cpim");
const BARE_LF: &[u8] = include_bytes!("../../tests/vectors/cpim/rfc3862-2-bare-lf.cpim");
const NO_NS: &[u8] = include_bytes!("../../tests/vectors/cpim/rfc3862-3.4-prefix-without-ns.cpim");
const OTHER_PREFIX: &[u8] =
    include_bytes!("../../tests/vectors/cpim/rfc3862-3.4-other-prefix.cpim");
const IMDN: &[u8] = include_bytes!("../../tests/vectors/cpim/rfc5438-7-imdn-delivered.cpim");

#[test]
fn pager_message_of_section_4_3() {
    let m = CpimMessage::parse(PAGER).unwrap();
    assert_eq!(m.as_bytes(), PAGER);
    assert_eq!(m.headers().len(), 6);
    assert_eq!(
        m.header("From"),
        Some("<sip:+8613800000001@ims.mnc000.mcc460.3gppnetwork.org>")
    );
    assert_eq!(m.header("DateTime"), Some("2025-03-01T10:00:00.000+08:00"));
    assert_eq!(m.imdn_message_id(), Some("Qm9t3XkA7"));
    assert_eq!(
        m.disposition_notification(),
        ["positive-delivery", "display"]
    );
    assert_eq!(m.namespaces(), [("imdn".to_owned(), IMDN_NS.to_owned())]);
    assert_eq!(m.content_type(), Some("text/plain;charset=UTF-8"));
    assert_eq!(m.body(), "你好".as_bytes());
    assert_eq!(m.decoded_body().unwrap(), "你好".as_bytes());
    assert_eq!(m.validate(), []);
}

#[test]
fn header_names_are_case_sensitive_but_header_ci_is_not() {
    let m = CpimMessage::parse(PAGER).unwrap();
    assert_eq!(m.header("from"), None);
    assert!(m.header_ci("from").is_some());
    assert_eq!(m.header("imdn.message-id"), None);
    assert_eq!(m.prefixed(IMDN_NS, "message-id"), None);
    assert_eq!(m.content_header("CONTENT-LENGTH"), Some("6"));
}

#[test]
fn base64_inner_body_is_decoded() {
    let m = CpimMessage::parse(BASE64).unwrap();
    assert!(m.body().is_ascii());
    assert_eq!(
        String::from_utf8(m.decoded_body().unwrap()).unwrap(),
        "您的信用卡账单已出，请按时还款。"
    );
    assert_eq!(
        m.prefixed("http://www.openmobilealliance.org/cpm/", "Payload-Type"),
        Some("text/plain")
    );
    assert_eq!(m.disposition_notification(), ["positive-delivery"]);
    assert_eq!(m.validate(), []);
}

#[test]
fn corrupt_base64_is_an_error() {
    // ROB-BODY-007: the message parses, its body does not decode.
    let m = CpimMessage::parse(CORRUPT_BASE64).unwrap();
    assert!(matches!(m.decoded_body(), Err(CpimError::Base64(_))));
}

#[test]
fn unsupported_transfer_encoding() {
    let bytes = CpimBuilder::new()
        .content_type("text/plain")
        .content_header("Content-Transfer-Encoding", "quoted-printable")
        .body("a=3Db")
        .build();
    let m = CpimMessage::parse(&bytes).unwrap();
    assert_eq!(
        m.decoded_body(),
        Err(CpimError::UnsupportedEncoding("quoted-printable".into()))
    );
}

#[test]
fn rcsjta_content_length_spelling_is_accepted() {
    let m = CpimMessage::parse(LOWERCASE_LENGTH).unwrap();
    assert_eq!(m.content_header("Content-Length"), Some("5"));
    assert_eq!(m.validate(), []);
}

#[test]
fn bare_lf_is_refused_naming_the_line() {
    let err = CpimMessage::parse(BARE_LF).unwrap_err();
    assert_eq!(
        err,
        CpimError::BareLf {
            section: MESSAGE_HEADERS,
            line: 1
        }
    );
    assert_eq!(
        err.to_string(),
        "parse line 1 of the CPIM message headers: it ends in a bare LF, CRLF is required"
    );
}

#[test]
fn bare_lf_in_the_content_headers() {
    let err =
        CpimMessage::parse(b"From: <sip:a@x>\r\n\r\nContent-Type: text/plain\n\nhi").unwrap_err();
    assert_eq!(
        err,
        CpimError::BareLf {
            section: CONTENT_HEADERS,
            line: 3
        }
    );
}

#[test]
fn lf_inside_the_body_is_fine() {
    let m = CpimMessage::parse(b"From: <sip:a@x>\r\n\r\nContent-Type: text/plain\r\n\r\na\nb\n")
        .unwrap();
    assert_eq!(m.body(), b"a\nb\n");
}

#[test]
fn imdn_header_without_ns_is_not_resolved() {
    // ROB-BODY-001.
    let m = CpimMessage::parse(NO_NS).unwrap();
    assert_eq!(m.header("imdn.Message-ID"), Some("N0nsDecl1"));
    assert_eq!(m.imdn_message_id(), None);
    assert!(m.disposition_notification().is_empty());
    let deviations = m.validate();
    assert_eq!(
        deviations,
        [
            CpimDeviation::PrefixWithoutNamespace {
                header: "imdn.Message-ID".into()
            },
            CpimDeviation::PrefixWithoutNamespace {
                header: "imdn.Disposition-Notification".into()
            },
        ]
    );
    assert_eq!(deviations[0].rule(), "RFC 3862 §3.4");
}

#[test]
fn namespace_is_resolved_whatever_the_prefix() {
    let m = CpimMessage::parse(OTHER_PREFIX).unwrap();
    assert_eq!(m.imdn_message_id(), Some("0therPfx1"));
    // The Disposition-Notification comes before the NS line, so it is not in the namespace.
    assert!(m.disposition_notification().is_empty());
    assert_eq!(
        m.validate(),
        [CpimDeviation::PrefixBeforeNamespace {
            header: "im.Disposition-Notification".into()
        }]
    );
}

#[test]
fn imdn_wrapper_of_section_4_7() {
    let m = CpimMessage::parse(IMDN).unwrap();
    assert_eq!(m.header("From"), Some("<sip:anonymous@anonymous.invalid>"));
    assert_eq!(m.header("To"), Some("<sip:anonymous@anonymous.invalid>"));
    assert_eq!(m.imdn_message_id(), Some("Zt81mQp0"));
    assert_eq!(m.content_type(), Some("message/imdn+xml"));
    assert_eq!(
        m.content_header("Content-Disposition"),
        Some("notification")
    );
    assert!(m.body().starts_with(b"<?xml"));
    assert_eq!(m.validate(), []);
}

#[test]
fn missing_and_malformed_headers_are_reported() {
    let bytes = b"From: sip:a@x\r\nNS: imdn urn:ietf:params:imdn\r\nDateTime: yesterday\r\n\r\nContent-Length: 9\r\n\r\nhello";
    let m = CpimMessage::parse(bytes).unwrap();
    assert_eq!(
        m.validate(),
        [
            CpimDeviation::MalformedAddress {
                header: "From".into(),
                value: "sip:a@x".into()
            },
            CpimDeviation::MissingHeader { name: "To" },
            CpimDeviation::MalformedDateTime {
                value: "yesterday".into()
            },
            CpimDeviation::MalformedNamespace {
                value: "imdn urn:ietf:params:imdn".into()
            },
            CpimDeviation::MissingContentType,
            CpimDeviation::ContentLengthMismatch {
                declared: 9,
                actual: 5
            },
        ]
    );
}

#[test]
fn missing_datetime_and_bad_content_length() {
    let bytes = b"From: <sip:a@x>\r\nTo: <sip:b@x>\r\n\r\nContent-Type: text/plain\r\nContent-Length: five\r\n\r\nhello";
    let found = CpimMessage::parse(bytes).unwrap().validate();
    assert_eq!(
        found,
        [
            CpimDeviation::MissingHeader { name: "DateTime" },
            CpimDeviation::MalformedContentLength {
                value: "five".into()
            },
        ]
    );
    assert!(found[0].to_string().contains("DateTime"));
}

#[test]
fn empty_envelope_without_final_empty_line() {
    // The envelope of a large-message INVITE may end right after its content headers.
    let m = CpimMessage::parse(
        b"From: <sip:a@x>\r\n\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n",
    )
    .unwrap();
    assert_eq!(m.content_headers().len(), 2);
    assert!(m.body().is_empty());
    assert!(
        m.validate()
            .contains(&CpimDeviation::UnterminatedContentHeaders)
    );
}

#[test]
fn structural_errors() {
    assert_eq!(
        CpimMessage::parse(b"From: <sip:a@x>\r\n"),
        Err(CpimError::MissingEmptyLine(MESSAGE_HEADERS))
    );
    assert!(matches!(
        CpimMessage::parse(b"From <sip:a@x>\r\n\r\n"),
        Err(CpimError::HeaderLine { line: 1, .. })
    ));
    assert!(matches!(
        CpimMessage::parse(b"From: <sip:a@x>\r\n  folded\r\n\r\n"),
        Err(CpimError::HeaderLine { line: 2, .. })
    ));
    assert!(matches!(
        CpimMessage::parse(b"From: \xff\r\n\r\n"),
        Err(CpimError::HeaderLine { .. })
    ));
    let huge = vec![b'a'; MAX_CPIM_SIZE + 1];
    assert!(matches!(
        CpimMessage::parse(&huge),
        Err(CpimError::TooLarge { .. })
    ));
}

#[test]
fn folded_content_header_is_unfolded() {
    let m = CpimMessage::parse(
        b"From: <sip:a@x>\r\n\r\nContent-Type: multipart/mixed;\r\n\tboundary=b1\r\n\r\n",
    )
    .unwrap();
    assert_eq!(m.content_type(), Some("multipart/mixed; boundary=b1"));
}

#[test]
fn default_namespace_declaration_applies_to_unprefixed_names() {
    let m = CpimMessage::parse(b"NS: <urn:x>\r\nThing: 1\r\n\r\n\r\n").unwrap();
    assert_eq!(m.prefixed("urn:x", "Thing"), Some("1"));
    assert_eq!(m.namespaces(), [(String::new(), "urn:x".to_owned())]);
}
