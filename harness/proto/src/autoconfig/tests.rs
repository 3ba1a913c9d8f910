//! Tests of the provisioning document on the vectors in tests/vectors/autoconfig.

use super::*;

const CONFIG: &[u8] = include_bytes!("../../tests/vectors/autoconfig/protocols-2.1-config.dat");
const DOCTYPE: &[u8] =
    include_bytes!("../../tests/vectors/autoconfig/protocols-2.1-doctype-public.dat");

#[test]
fn lookups_by_path() {
    let doc = ProvisioningDoc::parse(CONFIG).unwrap();
    assert_eq!(doc.version.as_deref(), Some("1.1"));
    assert_eq!(doc.get("VERS/version"), Some("3"));
    assert_eq!(doc.get("vers/VERSION"), Some("3"));
    // The second APPLICATION holds SERVICES: every characteristic of a type is searched.
    assert_eq!(doc.get("APPLICATION/SERVICES/ChatAuth"), Some("1"));
    assert_eq!(doc.get("application/services/chatauth"), Some("1"));
    assert_eq!(
        doc.get("APPLICATION/MESSAGING/Chat/conf-fcty-uri"),
        Some("sip:conf-factory@gc.ims.mnc000.mcc460.3gppnetwork.org")
    );
    assert_eq!(
        doc.get("APPLICATION/3GPP_IMS/LBO_P-CSCF_Address/AddressType"),
        Some("FQDN")
    );
    assert_eq!(doc.get("APPLICATION/SERVICES/nope"), None);
    assert_eq!(doc.get("VERS"), None);
    assert_eq!(doc.token(), Some("Zk9x0T3n"));
    assert_eq!(doc.validity(), Some(Ok(1_728_000)));
    assert_eq!(doc.config_version(), Ok(ConfigVersion::Valid(3)));
    assert_eq!(
        doc.characteristic("application").unwrap().parms[0].value,
        "urn:oma:mo:ext-3gpp-ims:1.0"
    );
}

#[test]
fn version_meanings() {
    for (value, meaning) in [
        ("0", ConfigVersion::Reset),
        ("-1", ConfigVersion::ResetDisabled),
        ("-2", ConfigVersion::Dormant),
        ("12", ConfigVersion::Valid(12)),
    ] {
        let mut doc = ProvisioningDoc::default();
        doc.set("VERS/version", value).set("VERS/validity", "0");
        assert_eq!(doc.config_version(), Ok(meaning));
    }
    let mut doc = ProvisioningDoc::default();
    assert!(matches!(
        doc.config_version(),
        Err(XmlError::MissingElement { .. })
    ));
    doc.set("VERS/version", "-3");
    assert!(matches!(
        doc.config_version(),
        Err(XmlError::InvalidValue { .. })
    ));
    doc.set("VERS/version", "x");
    assert!(matches!(
        doc.config_version(),
        Err(XmlError::InvalidValue { .. })
    ));
}

#[test]
fn builder_and_round_trip() {
    let mut doc = ProvisioningDoc {
        version: Some("1.1".into()),
        ..ProvisioningDoc::default()
    };
    doc.set("VERS/version", "1")
        .set("VERS/validity", "3600")
        .set("APPLICATION/SERVICES/ChatAuth", "1")
        .set("application/services/ftAuth", "0")
        .set("APPLICATION/SERVICES/chatauth", "0")
        .set("no-slash", "ignored");
    assert_eq!(doc.characteristics.len(), 2);
    let services = doc.characteristic("APPLICATION/SERVICES").unwrap();
    assert_eq!(services.parms.len(), 2);
    assert_eq!(doc.get("APPLICATION/SERVICES/ChatAuth"), Some("0"));
    let xml = doc.to_xml();
    assert!(
        xml.contains("<characteristic type=\"VERS\">\n    <parm name=\"version\" value=\"1\"/>")
    );
    assert_eq!(ProvisioningDoc::parse(xml.as_bytes()).unwrap(), doc);
    let full = ProvisioningDoc::parse(CONFIG).unwrap();
    assert_eq!(
        ProvisioningDoc::parse(full.to_xml().as_bytes()).unwrap(),
        full
    );
}

#[test]
fn errors() {
    let text = std::str::from_utf8(CONFIG).unwrap();
    assert_eq!(
        ProvisioningDoc::parse(text.replacen(" type=\"TOKEN\"", "", 1).as_bytes()),
        Err(XmlError::MissingAttribute {
            element: "characteristic",
            attribute: "type"
        })
    );
    assert_eq!(
        ProvisioningDoc::parse(text.replacen("name=\"token\" ", "", 1).as_bytes()),
        Err(XmlError::MissingAttribute {
            element: "parm",
            attribute: "name"
        })
    );
    let namespaced = text.replacen(
        "<wap-provisioningdoc ",
        "<wap-provisioningdoc xmlns=\"urn:x\" ",
        1,
    );
    assert!(matches!(
        ProvisioningDoc::parse(namespaced.as_bytes()),
        Err(XmlError::WrongRoot { .. })
    ));
    // Even the public WAP DTD is refused.
    assert_eq!(
        ProvisioningDoc::parse(DOCTYPE),
        Err(XmlError::Doctype("wap-provisioningdoc"))
    );
}

#[test]
fn every_prefix_is_read_without_a_panic() {
    for vector in [CONFIG, DOCTYPE] {
        let end = vector.iter().rposition(|&b| b == b'>').unwrap();
        for n in 0..vector.len() {
            assert!(
                n > end || ProvisioningDoc::parse(&vector[..n]).is_err(),
                "prefix of {n} bytes"
            );
        }
    }
}
