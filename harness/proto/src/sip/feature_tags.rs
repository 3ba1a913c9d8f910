//! Feature tags in Contact and Accept-Contact parameters (RFC 3840 9, RFC 3841, 3GPP TS 24.229
//! 7.9.2, GSMA RCC.07): the capability sets 5G Messaging clients and platforms advertise.
//!
//! A tag is valueless (`+g.gsma.rcs.isbot`), or carries a quoted, comma-separated value list
//! (`+g.gsma.rcs.botversion="#=1,#=2"`). In `+g.3gpp.icsi-ref` and `+g.3gpp.iari-ref` each value
//! is a URL-encoded URN (`urn%3Aurn-7%3A...`). Values are stored decoded; [`FeatureTags::normalized`]
//! gives order-insensitive atoms for comparing two capability sets, and
//! [`FeatureTags::to_param_string`] writes the wire form. This module does not match Accept-Contact
//! predicates against a Contact (RFC 3841 7.2).

use std::collections::BTreeSet;

use super::error::SipError;
use super::params::{percent_decode, percent_encode, quoted_end};
use super::split::split_outside;

/// The ICSI tag of 3GPP TS 24.229.
pub const ICSI_REF: &str = "+g.3gpp.icsi-ref";
/// The IARI tag of 3GPP TS 24.229.
pub const IARI_REF: &str = "+g.3gpp.iari-ref";

/// RFC 3840 base tags written without the `+` prefix.
const BASE_TAGS: &[&str] = &[
    "audio",
    "automata",
    "class",
    "duplex",
    "data",
    "control",
    "mobility",
    "description",
    "events",
    "priority",
    "methods",
    "schemes",
    "application",
    "video",
    "language",
    "type",
    "isfocus",
    "actor",
    "text",
    "extensions",
];

/// One tag: its name as sent, whether its value was quoted, and its decoded values.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tag {
    name: String,
    quoted: bool,
    values: Option<Vec<String>>,
}

/// The parameters of one Contact or Accept-Contact value, read as feature tags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeatureTags {
    tags: Vec<Tag>,
}

impl FeatureTags {
    /// Reads parameters as returned by a name-addr parse (quoted values keep their quotes).
    /// All parameters are kept; [`normalized`](Self::normalized) skips those that are not tags.
    pub fn from_params(params: &[(String, Option<String>)]) -> Result<Self, SipError> {
        let tags = params
            .iter()
            .map(|(name, value)| read_tag(name, value.as_deref()))
            .collect::<Result<_, _>>()?;
        Ok(Self { tags })
    }

    /// Adds a valueless tag, such as `+g.gsma.rcs.isbot`.
    pub fn flag(mut self, name: &str) -> Self {
        self.tags.push(Tag {
            name: name.to_owned(),
            quoted: false,
            values: None,
        });
        self
    }

    /// Adds a tag with a quoted value list; values are given decoded (`urn:urn-7:...`).
    pub fn with_values(mut self, name: &str, values: &[&str]) -> Self {
        self.tags.push(Tag {
            name: name.to_owned(),
            quoted: true,
            values: Some(values.iter().map(|v| (*v).to_owned()).collect()),
        });
        self
    }

    /// The decoded ICSI values of every `+g.3gpp.icsi-ref`.
    pub fn icsi_refs(&self) -> Vec<String> {
        self.values(ICSI_REF)
    }

    /// The decoded IARI values of every `+g.3gpp.iari-ref`.
    pub fn iari_refs(&self) -> Vec<String> {
        self.values(IARI_REF)
    }

    /// True if a parameter of this name is present (case-insensitive).
    pub fn has(&self, tag_name: &str) -> bool {
        self.tags
            .iter()
            .any(|t| t.name.eq_ignore_ascii_case(tag_name))
    }

    /// The decoded values of the first tag of this name, joined by commas; `None` if the tag
    /// is absent or valueless.
    pub fn value(&self, tag_name: &str) -> Option<String> {
        self.tags
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(tag_name))
            .and_then(|t| t.values.as_ref())
            .map(|values| values.join(","))
    }

    /// The decoded values of every tag of this name, in order.
    pub fn values(&self, tag_name: &str) -> Vec<String> {
        self.tags
            .iter()
            .filter(|t| t.name.eq_ignore_ascii_case(tag_name))
            .filter_map(|t| t.values.as_ref())
            .flatten()
            .cloned()
            .collect()
    }

    /// Order-insensitive atoms for comparing capability sets: `name` for a valueless tag and
    /// `name=value` per value, names lowercased. Parameters that are not feature tags
    /// (`expires`, `q`, `reg-id`, `+sip.instance`, `require`, `explicit`, ...) are left out.
    pub fn normalized(&self) -> BTreeSet<String> {
        let mut atoms = BTreeSet::new();
        for tag in self.tags.iter().filter(|t| is_feature_tag(&t.name)) {
            let name = tag.name.to_ascii_lowercase();
            match &tag.values {
                None => {
                    atoms.insert(name);
                }
                Some(values) => {
                    atoms.extend(values.iter().map(|v| format!("{name}={v}")));
                }
            }
        }
        atoms
    }

    /// Writes every parameter as `;name` or `;name="v1,v2"`, URL-encoding ICSI and IARI values
    /// as in protocols.md 2.2; unquoted values are written unquoted.
    pub fn to_param_string(&self) -> String {
        let mut out = String::new();
        for tag in &self.tags {
            out.push(';');
            out.push_str(&tag.name);
            let Some(values) = &tag.values else {
                continue;
            };
            let encode = is_urn_list(&tag.name);
            let joined = values
                .iter()
                .map(|v| {
                    if encode {
                        percent_encode(v, b"")
                    } else {
                        v.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join(",");
            if tag.quoted {
                out.push_str(&format!("=\"{joined}\""));
            } else {
                out.push('=');
                out.push_str(&joined);
            }
        }
        out
    }
}

fn read_tag(name: &str, value: Option<&str>) -> Result<Tag, SipError> {
    let err = |detail: &str| SipError::FeatureTag {
        tag: name.to_owned(),
        detail: detail.to_owned(),
    };
    let Some(value) = value else {
        return Ok(Tag {
            name: name.to_owned(),
            quoted: false,
            values: None,
        });
    };
    let quoted = value.starts_with('"');
    let inner = if quoted {
        match quoted_end(value) {
            Some(end) if end == value.len() => &value[1..end - 1],
            Some(_) => return Err(err("text after the closing quote")),
            None => return Err(err("unbalanced quotes")),
        }
    } else if value.contains('"') {
        return Err(err("unbalanced quotes"));
    } else {
        value
    };
    let decode = is_urn_list(name);
    let values = split_list(inner)
        .into_iter()
        .map(|item| {
            if decode {
                String::from_utf8_lossy(&percent_decode(item)).into_owned()
            } else {
                item.to_owned()
            }
        })
        .collect();
    Ok(Tag {
        name: name.to_owned(),
        quoted,
        values: Some(values),
    })
}

/// Splits a tag value list on commas outside `<...>` string values.
fn split_list(inner: &str) -> Vec<&str> {
    if inner.starts_with('<') {
        return vec![inner];
    }
    split_outside(inner, b',')
}

fn is_urn_list(name: &str) -> bool {
    name.eq_ignore_ascii_case(ICSI_REF) || name.eq_ignore_ascii_case(IARI_REF)
}

/// Whether a Contact parameter is a feature tag (RFC 3840 9: a base tag, or one written with a
/// leading `+`); `+sip.instance` names a device, not a feature, and is not one.
pub fn is_feature_tag(name: &str) -> bool {
    if name.eq_ignore_ascii_case("+sip.instance") {
        return false;
    }
    name.starts_with('+') || BASE_TAGS.iter().any(|b| b.eq_ignore_ascii_case(name))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sip::name_addr::NameAddr;

    /// The Contact of protocols.md 2.2, byte for byte.
    const REGISTER_CONTACT: &str = r##"<sip:+8613800000001@10.20.0.7:5060;transport=tcp>;+sip.instance="<urn:uuid:6f1e9a5c-0000-4000-8000-000000000001>";+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session.group,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.largemsg,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.systemmsg,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.filetransfer";+g.3gpp.iari-ref="urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.fthttp,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.ftthumb,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.ftsms,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.geopush,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.geosms,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot.sa";+g.gsma.rcs.cpm.pager-large;+g.gsma.rcs.botversion="#=1,#=2";reg-id=1"##;

    fn register_tags() -> (NameAddr, FeatureTags) {
        let contact = NameAddr::parse(REGISTER_CONTACT).unwrap();
        let tags = FeatureTags::from_params(&contact.params).unwrap();
        (contact, tags)
    }

    #[test]
    fn reads_the_register_contact() {
        let (_, tags) = register_tags();
        let icsi = tags.icsi_refs();
        assert_eq!(icsi.len(), 6);
        assert_eq!(icsi[0], "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session");
        assert_eq!(
            icsi[5],
            "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.filetransfer"
        );
        assert_eq!(tags.iari_refs().len(), 7);
        assert!(tags.has("+g.gsma.rcs.cpm.pager-large"));
        assert!(!tags.has("+g.gsma.rcs.isbot"));
        assert_eq!(
            tags.value("+g.gsma.rcs.botversion").as_deref(),
            Some("#=1,#=2")
        );
        assert_eq!(
            tags.value("+sip.instance").as_deref(),
            Some("<urn:uuid:6f1e9a5c-0000-4000-8000-000000000001>")
        );
        assert_eq!(tags.value("+g.gsma.rcs.cpm.pager-large"), None);
    }

    #[test]
    fn normalized_skips_non_feature_params() {
        let (_, tags) = register_tags();
        let atoms = tags.normalized();
        assert!(atoms.contains("+g.3gpp.icsi-ref=urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session"));
        assert!(atoms.contains("+g.gsma.rcs.cpm.pager-large"));
        assert!(atoms.contains("+g.gsma.rcs.botversion=#=1"));
        assert!(atoms.contains("+g.gsma.rcs.botversion=#=2"));
        assert!(
            !atoms
                .iter()
                .any(|a| a.starts_with("reg-id") || a.starts_with("+sip.instance"))
        );
        assert_eq!(atoms.len(), 6 + 7 + 1 + 2);
    }

    #[test]
    fn normalized_ignores_order_and_case() {
        let a = FeatureTags::default()
            .with_values(ICSI_REF, &["urn:a", "urn:b"])
            .flag("+g.gsma.rcs.isbot");
        let b = FeatureTags::default()
            .flag("+G.GSMA.RCS.ISBOT")
            .with_values(ICSI_REF, &["urn:b"])
            .with_values(ICSI_REF, &["urn:a"]);
        assert_eq!(a.normalized(), b.normalized());
        let c = FeatureTags::default().with_values(ICSI_REF, &["urn:a"]);
        assert_ne!(a.normalized(), c.normalized());
    }

    #[test]
    fn writes_the_wire_form_back() {
        let (contact, tags) = register_tags();
        let uri_end = REGISTER_CONTACT.find('>').unwrap() + 1;
        assert_eq!(tags.to_param_string(), &REGISTER_CONTACT[uri_end..]);
        assert_eq!(contact.params.len(), 6);
    }

    #[test]
    fn unbalanced_quotes_name_the_tag() {
        let params = vec![(
            "+g.gsma.rcs.botversion".to_owned(),
            Some("\"#=1,#=2".to_owned()),
        )];
        let err = FeatureTags::from_params(&params).unwrap_err();
        assert!(
            matches!(&err, SipError::FeatureTag { tag, .. } if tag == "+g.gsma.rcs.botversion")
        );
        let params = vec![("+x".to_owned(), Some("a\"b".to_owned()))];
        assert!(FeatureTags::from_params(&params).is_err());
    }
}
