//! Contact and Accept-Contact values (RFC 3261 20.10, 10.2.2; RFC 3841 10).
//!
//! Each header line may carry several comma-separated values; `Contact: *` and the
//! `Accept-Contact: *;...` form yield a [`NameAddr`] whose URI is [`Uri::Wildcard`]. The feature
//! tags in the parameters are read with [`FeatureTags`]. This module does not judge whether a
//! wildcard is allowed where it appears (only in a REGISTER with `Expires: 0`).

use super::error::SipError;
use super::feature_tags::FeatureTags;
use super::message::Message;
use super::name_addr::NameAddr;
use super::uri::Uri;

impl Message {
    /// Every Contact value in order.
    pub fn contacts(&self) -> Result<Vec<NameAddr>, SipError> {
        self.name_addrs("Contact", "Contact")
    }

    /// Every Accept-Contact value in order (RFC 3841).
    pub fn accept_contacts(&self) -> Result<Vec<NameAddr>, SipError> {
        self.name_addrs("Accept-Contact", "Accept-Contact")
    }

    /// True when the message carries `Contact: *`.
    pub fn has_wildcard_contact(&self) -> Result<bool, SipError> {
        Ok(self.contacts()?.iter().any(|c| c.uri == Uri::Wildcard))
    }

    /// The feature tags of the first Contact (RFC 3840), empty without a Contact.
    pub fn contact_feature_tags(&self) -> Result<FeatureTags, SipError> {
        match self.contacts()?.first() {
            Some(contact) => FeatureTags::from_params(&contact.params),
            None => Ok(FeatureTags::default()),
        }
    }

    pub(crate) fn name_addrs(
        &self,
        name: &str,
        header: &'static str,
    ) -> Result<Vec<NameAddr>, SipError> {
        self.header_values(name)
            .iter()
            .map(|value| NameAddr::parse_for(value, header))
            .collect()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn several_contacts_and_compact_form() {
        let msg = Message::parse(
            &b"REGISTER sip:x SIP/2.0\r\nContact: <sip:a@h1>;expires=60, \"B, b\" <sip:b@h2>\r\n\
m: sip:c@h3;q=0.5\r\n\r\n"[..],
        )
        .unwrap();
        let contacts = msg.contacts().unwrap();
        assert_eq!(contacts.len(), 3);
        assert_eq!(contacts[0].param("expires"), Some(Some("60")));
        assert_eq!(contacts[1].display_name.as_deref(), Some("B, b"));
        assert_eq!(contacts[2].param("q"), Some(Some("0.5")));
        assert!(!msg.has_wildcard_contact().unwrap());
    }

    #[test]
    fn wildcard_contact() {
        let msg =
            Message::parse(&b"REGISTER sip:x SIP/2.0\r\nContact: *\r\nExpires: 0\r\n\r\n"[..])
                .unwrap();
        assert!(msg.has_wildcard_contact().unwrap());
    }

    #[test]
    fn contact_tags_and_accept_contact() {
        let msg = Message::parse(
            &b"MESSAGE sip:x SIP/2.0\r\n\
Contact: <sip:a@h>;+g.gsma.rcs.isbot;+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot\"\r\n\
a: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\";require;explicit\r\n\r\n"[..],
        )
        .unwrap();
        let tags = msg.contact_feature_tags().unwrap();
        assert!(tags.has("+g.gsma.rcs.isbot"));
        assert_eq!(
            tags.iari_refs(),
            ["urn:urn-7:3gpp-application.ims.iari.rcs.chatbot"]
        );
        let accept = msg.accept_contacts().unwrap();
        assert_eq!(accept[0].uri, Uri::Wildcard);
        let tags = FeatureTags::from_params(&accept[0].params).unwrap();
        assert_eq!(
            tags.icsi_refs(),
            ["urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg"]
        );
        assert!(tags.has("require"));
    }

    #[test]
    fn bad_contact_names_the_header() {
        let msg = Message::parse(&b"REGISTER sip:x SIP/2.0\r\nContact: <sip:a@h>;;;;\r\n\r\n"[..])
            .unwrap();
        assert!(matches!(
            msg.contacts(),
            Err(SipError::Header {
                header: "Contact",
                ..
            })
        ));
    }

    #[test]
    fn protocols_register_and_its_200() {
        let register = Message::parse(
            &include_bytes!("../../tests/vectors/sip/protocols-2.2-register.sip")[..],
        )
        .unwrap();
        let contact = &register.contacts().unwrap()[0];
        assert_eq!(contact.uri.param("transport"), Some(Some("tcp")));
        assert_eq!(contact.param("reg-id"), Some(Some("1")));
        let tags = register.contact_feature_tags().unwrap();
        assert!(
            tags.icsi_refs()
                .contains(&"urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session.group".to_owned())
        );
        assert!(
            tags.iari_refs()
                .contains(&"urn:urn-7:3gpp-application.ims.iari.rcs.geosms".to_owned())
        );
        assert_eq!(register.expires().unwrap(), Some(600_000));
        assert_eq!(register.header_values("k"), ["path", "gruu"]);

        let ok = Message::parse(
            &include_bytes!("../../tests/vectors/sip/protocols-2.5-register-200.sip")[..],
        )
        .unwrap();
        let contact = &ok.contacts().unwrap()[0];
        assert_eq!(contact.param("expires"), Some(Some("3600")));
        assert_eq!(ok.to_header().unwrap().tag(), Some("scscf1"));
        let associated = ok
            .name_addrs("P-Associated-URI", "P-Associated-URI")
            .unwrap();
        assert_eq!(associated[1].uri.to_string(), "tel:+8613800000001");
        assert_eq!(ok.vias().unwrap()[0].rport(), Some(Some(5060)));
        let tags = FeatureTags::from_params(&contact.params).unwrap();
        assert!(tags.normalized().is_empty());
    }
}
