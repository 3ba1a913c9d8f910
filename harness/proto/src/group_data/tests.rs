use super::*;

/// A subject change as §6.3 describes it, with a prefix instead of the default namespace.
const PREFIXED_REQUEST: &[u8] =
    include_bytes!("../../tests/vectors/group_data/protocols-6.3-subject-request-prefixed.dat");

#[test]
fn a_prefixed_subject_request_is_read_by_namespace() {
    let doc = GroupData::parse(PREFIXED_REQUEST).unwrap();
    assert_eq!(doc.id, "req-7");
    let request = doc.as_request().unwrap();
    assert_eq!(
        (request.target.as_str(), request.action.as_str()),
        ("subject", "set")
    );
    assert_eq!(request.data("subject"), Some("周末聚餐 & more"));
    assert_eq!(request.data.len(), 1, "foreign elements are ignored");
}

#[test]
fn requests_and_responses_round_trip() {
    let request = GroupData::set_subject("r1", "Team <lunch>");
    let xml = request.to_xml();
    assert!(xml.contains("<target>subject</target>"), "{xml}");
    assert!(xml.contains("Team &lt;lunch&gt;"), "{xml}");
    assert_eq!(GroupData::parse(xml.as_bytes()).unwrap(), request);
    let response = GroupData::response("r1", 200, "OK");
    let xml = response.to_xml();
    assert!(xml.contains("<responsecode>200</responsecode>"), "{xml}");
    let back = GroupData::parse(xml.as_bytes()).unwrap();
    assert_eq!(back, response);
    assert!(back.as_request().is_none());
}

#[test]
fn wrong_documents_are_refused_naming_the_construct() {
    let no_id = format!(
        "<cpm-group-management xmlns=\"{GROUP_DATA_NS}\"><request/></cpm-group-management>"
    );
    let err = GroupData::parse(no_id.as_bytes()).unwrap_err().to_string();
    assert!(err.contains("id"), "{err}");
    let empty = format!("<cpm-group-management xmlns=\"{GROUP_DATA_NS}\" id=\"1\"/>");
    assert!(GroupData::parse(empty.as_bytes()).is_err());
    let no_target = format!(
        "<cpm-group-management xmlns=\"{GROUP_DATA_NS}\" id=\"1\"><request><action>set</action></request></cpm-group-management>"
    );
    let err = GroupData::parse(no_target.as_bytes())
        .unwrap_err()
        .to_string();
    assert!(err.contains("target"), "{err}");
    let bad_code = format!(
        "<cpm-group-management xmlns=\"{GROUP_DATA_NS}\" id=\"1\"><response><responsecode>ok</responsecode></response></cpm-group-management>"
    );
    assert!(GroupData::parse(bad_code.as_bytes()).is_err());
    let other_ns = "<cpm-group-management xmlns=\"urn:oma:xml:cpm:groupdata:2.0\" id=\"1\"/>";
    assert!(GroupData::parse(other_ns.as_bytes()).is_err());
    let doctype = "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><cpm-group-management/>";
    assert!(GroupData::parse(doctype.as_bytes()).is_err());
}
