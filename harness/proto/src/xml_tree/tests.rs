//! Tests of the shared reader and writer.

use super::*;

const NS: &str = "urn:example:a";

#[test]
fn names_are_resolved_whatever_the_prefix() {
    let xml = br#"<p:root xmlns:p="urn:example:a" xmlns:q="urn:example:b" q:x="1" y="2"><p:c>t&amp;&#65;<![CDATA[<z>]]></p:c><q:c/><c/></p:root>"#;
    let root = parse(xml, "test", &Limits::DEFAULT).unwrap();
    assert!(root.is(NS, "root"));
    assert_eq!(root.attr("y"), Some("2"));
    assert_eq!(root.attr("x"), None);
    assert_eq!(root.attr_ns("urn:example:b", "x"), Some("1"));
    assert_eq!(root.child_text(NS, "c"), Some("t&A<z>"));
    assert_eq!(root.children.len(), 3);
    assert_eq!(root.children[1].namespace.as_deref(), Some("urn:example:b"));
    assert_eq!(root.children[2].describe(), "c in no namespace");
    assert_eq!(root.count(), 4);
}

#[test]
fn default_namespace_applies_to_elements_not_attributes() {
    let root = parse(
        br#"<r xmlns="urn:example:a" a="1"><c/></r>"#,
        "t",
        &Limits::DEFAULT,
    )
    .unwrap();
    assert!(root.children[0].is(NS, "c"));
    assert_eq!(root.attributes[0].namespace, None);
}

#[test]
fn parse_root_checks_the_namespace() {
    let err = parse_root(
        br#"<r xmlns="urn:example:x"/>"#,
        "t",
        &Limits::DEFAULT,
        NS,
        "r",
    );
    assert_eq!(
        err,
        Err(XmlError::WrongRoot {
            doc: "t",
            expected: "{urn:example:a}r".into(),
            found: "{urn:example:x}r".into()
        })
    );
    assert!(parse_root(b"<r/>", "t", &Limits::DEFAULT, "", "r").is_ok());
}

#[test]
fn refuses_doctype_entities_and_undeclared_prefixes() {
    let xxe =
        br#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#;
    assert_eq!(
        parse(xxe, "t", &Limits::DEFAULT),
        Err(XmlError::Doctype("t"))
    );
    assert_eq!(
        parse(b"<r>&x;</r>", "t", &Limits::DEFAULT),
        Err(XmlError::Entity {
            doc: "t",
            entity: "x".into()
        })
    );
    assert_eq!(
        parse(br#"<r a="&x;"/>"#, "t", &Limits::DEFAULT),
        Err(XmlError::Entity {
            doc: "t",
            entity: "x".into()
        })
    );
    assert!(matches!(
        parse(b"<p:r/>", "t", &Limits::DEFAULT),
        Err(XmlError::Malformed { .. })
    ));
}

#[test]
fn enforces_the_limits() {
    let limits = Limits {
        max_bytes: 64,
        max_elements: 3,
        max_depth: 2,
        max_attributes: 2,
    };
    assert!(matches!(
        parse(&[b' '; 65], "t", &limits),
        Err(XmlError::TooLarge { .. })
    ));
    let over = |xml: &[u8], what: &str| matches!(parse(xml, "t", &limits), Err(XmlError::OverLimit { what: w, .. }) if w == what);
    assert!(over(b"<r><a/><a/><a/></r>", "elements"));
    assert!(over(b"<r><a><b/></a></r>", "levels of nesting"));
    assert!(over(
        br#"<r a="1" b="2" c="3"/>"#,
        "attributes on one element"
    ));
    assert!(parse(b"<r><a/><a/></r>", "t", &limits).is_ok());
}

#[test]
fn malformed_documents() {
    for bad in [
        &b""[..],
        b"<r>",
        b"<r></s>",
        b"<r/><r/>",
        b"<r a='1' a='2'/>",
        b"\xff<r/>",
        b"text only",
    ] {
        assert!(
            parse(bad, "t", &Limits::DEFAULT).is_err(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn writer_escapes_and_reads_back() {
    let mut w = XmlWriter::new();
    w.open("r", &[("xmlns", NS), ("a", "x\"<&>\n\t'")])
        .leaf("c", &[], "1 < 2 & \"3\"")
        .empty("e", &[("b", "")])
        .leaf_opt("absent", None)
        .close("r");
    let xml = w.finish();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<r "));
    assert!(xml.contains("\n  <c>1 &lt; 2 &amp; &quot;3&quot;</c>\n"));
    let root = parse(xml.as_bytes(), "t", &Limits::DEFAULT).unwrap();
    assert_eq!(root.attr("a"), Some("x\"<&>\n\t'"));
    assert_eq!(root.child_text(NS, "c"), Some("1 < 2 & \"3\""));
    assert!(root.child(NS, "e").is_some());
    assert!(root.child(NS, "absent").is_none());
}
