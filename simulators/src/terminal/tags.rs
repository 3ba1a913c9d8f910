//! The terminal's Contact and the RCS feature tags it advertises (RFC 3840, RFC 5626,
//! protocols.md §2.2-2.3).
//!
//! The REGISTER Contact carries `+sip.instance`, one quoted comma list of URL-encoded CPM ICSIs,
//! one of RCS IARIs, `+g.gsma.rcs.cpm.pager-large`, `+g.gsma.rcs.botversion` and `reg-id`, in the
//! order of protocols.md §2.2. OPTIONS requests and answers carry the same feature tags without
//! the registration parameters (`+sip.instance`, `reg-id`). Three faults bend these strings; a
//! fault that changes the advertised set changes it everywhere, so the terminal stays
//! consistent with itself and breaks only the one rule. This
//! module writes tags; it does not parse them (rcs_proto's feature-tag view does).

use rcs_proto::sip::FeatureTags;

use super::faults::{Fault, Faults};

/// The CPM service identifiers a terminal advertises, in §2.2 order.
const ICSIS: [&str; 6] = [
    "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session",
    "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session.group",
    "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg",
    "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.largemsg",
    "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.systemmsg",
    "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.filetransfer",
];

/// The RCS application identifiers a terminal advertises, in §2.2 order.
const IARIS: [&str; 7] = [
    "urn:urn-7:3gpp-application.ims.iari.rcs.fthttp",
    "urn:urn-7:3gpp-application.ims.iari.rcs.ftthumb",
    "urn:urn-7:3gpp-application.ims.iari.rcs.ftsms",
    "urn:urn-7:3gpp-application.ims.iari.rcs.geopush",
    "urn:urn-7:3gpp-application.ims.iari.rcs.geosms",
    "urn:urn-7:3gpp-application.ims.iari.rcs.chatbot",
    "urn:urn-7:3gpp-application.ims.iari.rcs.chatbot.sa",
];

/// The chatbot IARIs that `terminal.omit-chatbot-iari` leaves out.
const CHATBOT_IARIS: [&str; 2] = [
    "urn:urn-7:3gpp-application.ims.iari.rcs.chatbot",
    "urn:urn-7:3gpp-application.ims.iari.rcs.chatbot.sa",
];

/// The pager-mode ICSI, unencoded, as P-Preferred-Service carries it (protocols.md §4.1).
pub(crate) const CPM_MSG_ICSI: &str = "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg";

/// The session-mode ICSI, unencoded (protocols.md §4.1).
pub(crate) const CPM_SESSION_ICSI: &str = "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session";

/// The large-message ICSI, unencoded (protocols.md §4.1).
pub(crate) const CPM_LARGEMSG_ICSI: &str = "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.largemsg";

/// Which Contact a terminal is writing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ContactUse {
    /// A REGISTER: feature tags plus `+sip.instance` and `reg-id`.
    Register,
    /// An OPTIONS request or answer: feature tags only.
    Capabilities,
}

/// Writes the Contact parameters of one terminal.
#[derive(Clone, Debug)]
pub(crate) struct ContactTags {
    /// `urn:uuid:...`, fixed for the terminal's lifetime (RFC 5626 4.1).
    instance: String,
    faults: Faults,
    /// A UP1.0 phone: no chatbot IARIs, no `botversion` (the `chatbot-capable: false` setting).
    up10: bool,
}

impl ContactTags {
    pub(crate) fn new(instance_uuid: &str, faults: Faults) -> Self {
        Self {
            instance: format!("urn:uuid:{instance_uuid}"),
            faults,
            up10: false,
        }
    }

    /// The same tags for a UP1.0 phone (one that does not support chatbots) when `up10`.
    pub(crate) fn up10(mut self, up10: bool) -> Self {
        self.up10 = up10;
        self
    }

    /// The Contact parameters, name and optional (already quoted) value, in wire order.
    pub(crate) fn params(&self, usage: ContactUse) -> Vec<(String, Option<String>)> {
        let mut params = Vec::new();
        let register = usage == ContactUse::Register;
        if register && !self.faults.has(Fault::OmitSipInstance) {
            params.push(param("+sip.instance", &format!("\"<{}>\"", self.instance)));
        }
        let encode_icsi = !self.faults.has(Fault::UnencodedIcsi);
        params.push(param("+g.3gpp.icsi-ref", &quoted_list(&ICSIS, encode_icsi)));
        let iaris: Vec<&str> = IARIS
            .into_iter()
            .filter(|iari| !(self.omits_chatbot() && CHATBOT_IARIS.contains(iari)))
            .collect();
        params.push(param("+g.3gpp.iari-ref", &quoted_list(&iaris, true)));
        params.push(("+g.gsma.rcs.cpm.pager-large".to_owned(), None));
        if !self.up10 {
            params.push(param("+g.gsma.rcs.botversion", "\"#=1,#=2\""));
        }
        if register {
            params.push(param("reg-id", "1"));
        }
        params
    }

    /// The whole Contact header value: `<sip:user@host:port;transport=t>` and its parameters.
    pub(crate) fn contact(&self, uri: &str, usage: ContactUse) -> String {
        let mut out = format!("<{uri}>");
        out.push_str(&render(&self.params(usage)));
        out
    }

    /// The Contact of an INVITE for one CPM service: `+sip.instance` and that service's ICSI
    /// (protocols.md §4.5).
    pub(crate) fn service_contact(&self, uri: &str, icsi: &str) -> String {
        format!(
            "<{uri}>;+sip.instance=\"<{}>\";+g.3gpp.icsi-ref=\"{}\"",
            self.instance,
            encode(icsi)
        )
    }

    fn omits_chatbot(&self) -> bool {
        self.up10 || self.faults.has(Fault::OmitChatbotIari)
    }
}

/// The feature-tag atoms of Contact parameters, sorted and joined by `"; "`, the form cases
/// compare capability sets in ([`FeatureTags::normalized`]).
pub(crate) fn normalized(params: &[(String, Option<String>)]) -> Result<String, String> {
    let tags = FeatureTags::from_params(params).map_err(|e| e.to_string())?;
    Ok(tags.normalized().into_iter().collect::<Vec<_>>().join("; "))
}

/// Writes parameters as `;name=value` or `;name`.
pub(crate) fn render(params: &[(String, Option<String>)]) -> String {
    let mut out = String::new();
    for (name, value) in params {
        out.push(';');
        out.push_str(name);
        if let Some(value) = value {
            out.push('=');
            out.push_str(value);
        }
    }
    out
}

/// URL-encodes the colons of a URN the way feature-tag values carry them (protocols.md §2.2).
fn encode(urn: &str) -> String {
    urn.replace(':', "%3A")
}

/// `"a,b,c"` with each value encoded or raw.
fn quoted_list(values: &[&str], encoded: bool) -> String {
    let items: Vec<String> = values
        .iter()
        .map(|v| if encoded { encode(v) } else { (*v).to_owned() })
        .collect();
    format!("\"{}\"", items.join(","))
}

fn param(name: &str, value: &str) -> (String, Option<String>) {
    (name.to_owned(), Some(value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const UUID: &str = "6f1e9a5c-0000-4000-8000-000000000001";
    const URI: &str = "sip:+8613800000001@10.20.0.7:5060;transport=tcp";

    fn tags(faults: &[&str]) -> ContactTags {
        let ids: Vec<String> = faults.iter().map(|f| (*f).to_owned()).collect();
        ContactTags::new(UUID, Faults::from_ids(&ids).unwrap())
    }

    #[test]
    fn register_contact_is_exactly_the_section_2_2_example() {
        let expected = "<sip:+8613800000001@10.20.0.7:5060;transport=tcp>;+sip.instance=\"<urn:uuid:6f1e9a5c-0000-4000-8000-000000000001>\";+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session.group,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.largemsg,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.systemmsg,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.filetransfer\";+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.fthttp,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.ftthumb,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.ftsms,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.geopush,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.geosms,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot.sa\";+g.gsma.rcs.cpm.pager-large;+g.gsma.rcs.botversion=\"#=1,#=2\";reg-id=1";
        assert_eq!(tags(&[]).contact(URI, ContactUse::Register), expected);
    }

    #[test]
    fn the_codec_reads_back_what_is_written() {
        let params = tags(&[]).params(ContactUse::Register);
        let parsed = FeatureTags::from_params(&params).unwrap();
        assert_eq!(parsed.to_param_string(), render(&params));
        assert_eq!(parsed.icsi_refs(), ICSIS);
        assert_eq!(parsed.iari_refs(), IARIS);
        let atoms = normalized(&params).unwrap();
        assert!(
            atoms.starts_with("+g.3gpp.iari-ref=urn:urn-7:3gpp-application.ims.iari.rcs.chatbot; ")
        );
        assert!(atoms.contains("; +g.gsma.rcs.botversion=#=1; +g.gsma.rcs.botversion=#=2; "));
        assert!(!atoms.contains("instance") && !atoms.contains("reg-id"));
        let options = normalized(&tags(&[]).params(ContactUse::Capabilities)).unwrap();
        assert_eq!(options, atoms, "OPTIONS advertises what REGISTER did");
    }

    #[test]
    fn capability_contact_has_no_registration_params() {
        let contact = tags(&[]).contact(URI, ContactUse::Capabilities);
        assert!(!contact.contains("+sip.instance"));
        assert!(!contact.contains("reg-id"));
        assert!(contact.contains("rcs.chatbot.sa"));
        assert!(
            contact.ends_with(";+g.gsma.rcs.cpm.pager-large;+g.gsma.rcs.botversion=\"#=1,#=2\"")
        );
    }

    #[test]
    fn a_up10_phone_advertises_no_chatbot_support() {
        let full = tags(&[]).contact(URI, ContactUse::Capabilities);
        let up10 = tags(&[]).up10(true).contact(URI, ContactUse::Capabilities);
        assert!(
            !up10.contains("rcs.chatbot") && !up10.contains("botversion"),
            "{up10}"
        );
        let chatbot_iaris = ",urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot.sa";
        let without = full
            .replace(chatbot_iaris, "")
            .replace(";+g.gsma.rcs.botversion=\"#=1,#=2\"", "");
        assert_eq!(up10, without);
        let register = tags(&[]).up10(true).contact(URI, ContactUse::Register);
        assert!(!register.contains("rcs.chatbot") && register.ends_with(";reg-id=1"));
    }

    #[test]
    fn service_contact_names_one_encoded_icsi() {
        assert_eq!(
            tags(&[]).service_contact(URI, CPM_LARGEMSG_ICSI),
            "<sip:+8613800000001@10.20.0.7:5060;transport=tcp>;+sip.instance=\"<urn:uuid:6f1e9a5c-0000-4000-8000-000000000001>\";+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.largemsg\""
        );
    }

    #[test]
    fn omit_sip_instance_drops_only_the_instance() {
        let clean = tags(&[]).contact(URI, ContactUse::Register);
        let faulty = tags(&["terminal.omit-sip-instance"]).contact(URI, ContactUse::Register);
        let instance = format!(";+sip.instance=\"<urn:uuid:{UUID}>\"");
        assert_eq!(faulty, clean.replace(&instance, ""));
    }

    #[test]
    fn unencoded_icsi_writes_raw_colons_in_the_icsi_list_only() {
        let faulty = tags(&["terminal.unencoded-icsi"]).contact(URI, ContactUse::Register);
        assert!(faulty.contains(
            "+g.3gpp.icsi-ref=\"urn:urn-7:3gpp-service.ims.icsi.oma.cpm.session,urn:urn-7:"
        ));
        assert!(faulty.contains("+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application"));
    }

    #[test]
    fn omit_chatbot_iari_drops_both_chatbot_iaris_and_nothing_else() {
        let clean = tags(&[]);
        let faulty = tags(&["terminal.omit-chatbot-iari"]);
        let chatbot = ",urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot,urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot.sa";
        for usage in [ContactUse::Register, ContactUse::Capabilities] {
            let expected = clean.contact(URI, usage).replace(chatbot, "");
            assert_eq!(faulty.contact(URI, usage), expected);
            assert!(!expected.contains("rcs.chatbot"));
        }
    }
}
