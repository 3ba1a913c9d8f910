//! The CMCC send request `msg:outboundMessageRequest` (protocols.md §8.1.3, §8.1.4).
//!
//! Two forms share the root: the OMA form nests the message in `outboundIMMessage` ([`Form::Nested`],
//! §8.1.3), the newer plain/template API puts every element at the root ([`Form::Flat`], §8.1.4).
//! [`Outbound::parse`] reads either, looking up a message element in `outboundIMMessage` first and
//! at the root second. It accepts `address` and `Address`, `smsBodyText` and `smBodyText`,
//! `fallbackContentEncoding` and `fallbackEncoding` (the UP1.0 fallback, §8.1.3); the
//! destinations are `address` then `destinationAddress`, deduplicated in order. `bodyText` and
//! `rcsBodyText` are kept byte-exact (a multipart body in CDATA keeps its CRLF). Required: at least
//! one destination (at most [`MAX_DESTINATIONS`]), `contentType`, `bodyText`. `base64` bodies are
//! kept encoded ([`Outbound::body`] decodes). [`Outbound::to_xml`] writes the §8.1.3 layout, bodies
//! in CDATA. The other-carrier elements of §8.1.4 (`otherNetSupport`, `otherShortMessageSupported`,
//! `otherSmsBodyText`) are read at either level too. Not modelled: `imFormat`, the MMS fallback of
//! templates.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::nbi::xml::{Doc, flag, kid, parse, raw_text, text, texts};
use crate::nbi::{MAX_DESTINATIONS, NbiError};
use crate::xml_tree::Element;

use super::NS;

const DOC: &str = "outboundMessageRequest";
const MESSAGE: &str = "outboundIMMessage";

/// Where the message elements are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// In `outboundIMMessage` (the OMA form, §8.1.3).
    Nested,
    /// At the root (the plain / template API, §8.1.4).
    Flat,
}

/// A send request.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outbound {
    /// The form read; `None` (written as nested) for a request built in code.
    pub form: Option<Form>,
    /// `address` then `destinationAddress` values, deduplicated, in order.
    pub destinations: Vec<String>,
    /// `senderAddress`, the chatbot URI (absent from flat requests: empty).
    pub sender_address: String,
    /// `senderName`.
    pub sender_name: Option<String>,
    /// `subject`.
    pub subject: Option<String>,
    /// `contentType`, such as `multipart/mixed; boundary="next"`.
    pub content_type: String,
    /// `contentEncoding`: `utf8` or `base64`.
    pub content_encoding: Option<String>,
    /// `bodyText`, byte-exact (still base64 when `content_encoding` says so).
    pub body_text: String,
    /// `conversationID`.
    pub conversation_id: Option<String>,
    /// `contributionID`.
    pub contribution_id: Option<String>,
    /// `inReplyToContributionID` (interaction replies).
    pub in_reply_to_contribution_id: Option<String>,
    /// `messageId`, chosen by the chatbot.
    pub message_id: Option<String>,
    /// `clientCorrelator`.
    pub client_correlator: Option<String>,
    /// `reportRequest` values in order: `Sent`, `Delivered`, `Displayed`, `Failed`, `Interworking`…
    pub report_request: Vec<String>,
    /// `storeSupported`.
    pub store_supported: Option<bool>,
    /// `shortMessageSupported`.
    pub short_message_supported: Option<bool>,
    /// `smsBodyText` (or `smBodyText`).
    pub sms_body_text: Option<String>,
    /// `fallbackSupported`.
    pub fallback_supported: Option<bool>,
    /// `fallbackContentType`.
    pub fallback_content_type: Option<String>,
    /// `fallbackContentEncoding` (also seen as `fallbackEncoding`): `utf8` or `base64`.
    pub fallback_content_encoding: Option<String>,
    /// `rcsBodyText`, byte-exact.
    pub rcs_body_text: Option<String>,
    /// `otherNetSupport`: may reach users of other carriers (异网, §8.1.4).
    pub other_net_support: Option<bool>,
    /// `otherShortMessageSupported`: SMS for users of other carriers.
    pub other_short_message_supported: Option<bool>,
    /// `otherSmsBodyText`: the SMS text for users of other carriers.
    pub other_sms_body_text: Option<String>,
    /// `trafficType`: `advertisement`, `payment`, `premium`, `subscription`.
    pub traffic_type: Option<String>,
    /// `serviceCapability/capabilityId`, such as `ChatbotSA`.
    pub capability_id: Option<String>,
    /// `serviceCapability/version`, such as `+g.gsma.rcs.botversion="#=1"`.
    pub capability_version: Option<String>,
}

impl Outbound {
    /// Parses a request in either form; see the module docs for what is required.
    pub fn parse(xml: &[u8]) -> Result<Self, NbiError> {
        let root = parse(xml, DOC, NS, DOC)?;
        let nested = kid(&root, &[MESSAGE]);
        let form = match nested {
            Some(_) => Form::Nested,
            None => Form::Flat,
        };
        let msg = Fields {
            first: nested.unwrap_or(&root),
            root: &root,
        };
        let destinations = destinations(&root)?;
        let body_path: &[&str] = match form {
            Form::Nested => &[DOC, MESSAGE, "bodyText"],
            Form::Flat => &[DOC, "bodyText"],
        };
        let body_text = raw(xml, body_path, &msg, "bodyText")?
            .filter(|b| !b.trim().is_empty())
            .ok_or_else(|| NbiError::new(DOC, "bodyText is missing"))?;
        let rcs_path: &[&str] = match form {
            Form::Nested => &[DOC, MESSAGE, "rcsBodyText"],
            Form::Flat => &[DOC, "rcsBodyText"],
        };
        let service = msg.kid("serviceCapability");
        Ok(Self {
            form: Some(form),
            destinations,
            sender_address: msg.text(&["senderAddress"]).unwrap_or_default(),
            sender_name: msg.text(&["senderName"]),
            subject: msg.text(&["subject"]),
            content_type: msg
                .text(&["contentType"])
                .ok_or_else(|| NbiError::new(DOC, "contentType is missing"))?,
            content_encoding: msg.text(&["contentEncoding"]),
            body_text,
            conversation_id: msg.text(&["conversationID", "conversationId"]),
            contribution_id: msg.text(&["contributionID", "contributionId"]),
            in_reply_to_contribution_id: msg.text(&["inReplyToContributionID"]),
            message_id: msg.text(&["messageId", "messageID"]),
            client_correlator: msg.text(&["clientCorrelator"]),
            report_request: msg.texts(&["reportRequest"]),
            store_supported: msg.flag("storeSupported")?,
            short_message_supported: msg.flag("shortMessageSupported")?,
            sms_body_text: msg.text(&["smsBodyText", "smBodyText"]),
            fallback_supported: msg.flag("fallbackSupported")?,
            fallback_content_type: msg.text(&["fallbackContentType"]),
            fallback_content_encoding: msg.text(&["fallbackContentEncoding", "fallbackEncoding"]),
            rcs_body_text: raw(xml, rcs_path, &msg, "rcsBodyText")?,
            other_net_support: msg.flag("otherNetSupport")?,
            other_short_message_supported: msg.flag("otherShortMessageSupported")?,
            other_sms_body_text: msg.text(&["otherSmsBodyText"]),
            traffic_type: msg.text(&["trafficType"]),
            capability_id: service.and_then(|s| text(s, &["capabilityId"])),
            capability_version: service.and_then(|s| text(s, &["version"])),
        })
    }

    /// The body bytes: `body_text` decoded when `content_encoding` is `base64`.
    pub fn body(&self) -> Result<Vec<u8>, NbiError> {
        decode_body(&self.body_text, self.content_encoding.as_deref(), DOC)
    }

    /// The `rcsBodyText` bytes (the UP1.0 fallback): decoded when `fallback_content_encoding`
    /// is `base64`; None without one.
    pub fn rcs_body(&self) -> Result<Option<Vec<u8>>, NbiError> {
        let encoding = self.fallback_content_encoding.as_deref();
        (self.rcs_body_text.as_deref())
            .map(|text| decode_body(text, encoding, "rcsBodyText"))
            .transpose()
    }

    /// The request in its form (nested when `form` is `None`), in the layout of §8.1.3.
    pub fn to_xml(&self) -> Vec<u8> {
        let mut w = Doc::new();
        w.open(&format!("msg:{DOC}"), &[("xmlns:msg", NS)]);
        let form = self.form.unwrap_or(Form::Nested);
        if form == Form::Nested {
            w.leaf_opt("address", self.destinations.first().map(String::as_str));
        }
        w.leaves("destinationAddress", &self.destinations);
        if !self.sender_address.is_empty() {
            w.leaf("senderAddress", &self.sender_address);
        }
        w.leaf_opt("senderName", self.sender_name.as_deref());
        if form == Form::Nested {
            w.open(MESSAGE, &[]);
        }
        self.write_message(&mut w);
        if form == Form::Nested {
            w.close(MESSAGE);
        }
        w.leaf_opt("clientCorrelator", self.client_correlator.as_deref());
        w.close(&format!("msg:{DOC}"));
        w.finish()
    }

    fn write_message(&self, w: &mut Doc) {
        w.leaf_opt("subject", self.subject.as_deref())
            .leaf("contentType", &self.content_type)
            .leaf_opt("contentEncoding", self.content_encoding.as_deref())
            .leaf_opt("conversationID", self.conversation_id.as_deref())
            .leaf_opt("contributionID", self.contribution_id.as_deref())
            .leaf_opt(
                "inReplyToContributionID",
                self.in_reply_to_contribution_id.as_deref(),
            );
        if self.capability_id.is_some() || self.capability_version.is_some() {
            w.open("serviceCapability", &[])
                .leaf_opt("capabilityId", self.capability_id.as_deref())
                .leaf_opt("version", self.capability_version.as_deref())
                .close("serviceCapability");
        }
        w.leaf_opt("messageId", self.message_id.as_deref())
            .cdata("bodyText", &self.body_text)
            .flag("storeSupported", self.store_supported)
            .leaves("reportRequest", &self.report_request)
            .flag("shortMessageSupported", self.short_message_supported)
            .leaf_opt("smsBodyText", self.sms_body_text.as_deref())
            .flag("fallbackSupported", self.fallback_supported)
            .leaf_opt("fallbackContentType", self.fallback_content_type.as_deref())
            .leaf_opt(
                "fallbackContentEncoding",
                self.fallback_content_encoding.as_deref(),
            );
        if let Some(rcs) = &self.rcs_body_text {
            w.cdata("rcsBodyText", rcs);
        }
        w.flag("otherNetSupport", self.other_net_support)
            .flag(
                "otherShortMessageSupported",
                self.other_short_message_supported,
            )
            .leaf_opt("otherSmsBodyText", self.other_sms_body_text.as_deref());
        w.leaf_opt("trafficType", self.traffic_type.as_deref());
    }
}

/// Decodes a `bodyText` whose `contentEncoding` is `base64` (blanks and line breaks ignored);
/// any other encoding gives the text's bytes.
pub(crate) fn decode_body(
    text: &str,
    encoding: Option<&str>,
    doc: &'static str,
) -> Result<Vec<u8>, NbiError> {
    if !encoding.is_some_and(|e| e.trim().eq_ignore_ascii_case("base64")) {
        return Ok(text.as_bytes().to_vec());
    }
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD
        .decode(compact)
        .map_err(|e| NbiError::new(doc, format!("bodyText is not base64: {e}")))
}

/// The message elements: in `outboundIMMessage` first, at the root second.
struct Fields<'a> {
    first: &'a Element,
    root: &'a Element,
}

impl Fields<'_> {
    fn kid(&self, name: &str) -> Option<&Element> {
        kid(self.first, &[name]).or_else(|| kid(self.root, &[name]))
    }

    fn text(&self, names: &[&str]) -> Option<String> {
        text(self.first, names).or_else(|| text(self.root, names))
    }

    fn texts(&self, names: &[&str]) -> Vec<String> {
        let found = texts(self.first, names);
        match found.is_empty() {
            true => texts(self.root, names),
            false => found,
        }
    }

    fn flag(&self, name: &'static str) -> Result<Option<bool>, NbiError> {
        Ok(flag(self.first, name, DOC)?.or(flag(self.root, name, DOC)?))
    }
}

/// A byte-exact body at `path`, else (the element at the other level) the parsed text.
fn raw(
    xml: &[u8],
    path: &[&str],
    msg: &Fields<'_>,
    name: &str,
) -> Result<Option<String>, NbiError> {
    match raw_text(xml, path, DOC)? {
        Some(body) => Ok(Some(body)),
        None => Ok(msg.kid(name).map(|e| e.text.clone())),
    }
}

fn destinations(root: &Element) -> Result<Vec<String>, NbiError> {
    let mut out: Vec<String> = Vec::new();
    for address in texts(root, &["address", "Address", "destinationAddress"]) {
        if !out.contains(&address) {
            if out.len() == MAX_DESTINATIONS {
                return Err(NbiError::new(
                    DOC,
                    format!("more than {MAX_DESTINATIONS} destinationAddress"),
                ));
            }
            out.push(address);
        }
    }
    match out.is_empty() {
        true => Err(NbiError::new(DOC, "destinationAddress is missing")),
        false => Ok(out),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::nbi::cmcc::BOT_VERSION;

    const NESTED: &[u8] =
        include_bytes!("../../../tests/vectors/nbi/protocols-8.1.3-outbound-request.dat");
    const FLAT: &[u8] =
        include_bytes!("../../../tests/vectors/nbi/protocols-8.1.4-flat-request.dat");

    fn err(xml: &str) -> String {
        Outbound::parse(xml.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn parses_the_nested_request_of_section_8_1_3() {
        let out = Outbound::parse(NESTED).unwrap();
        assert_eq!(out.form, Some(Form::Nested));
        assert_eq!(out.destinations, ["tel:+8613800000001"]);
        assert_eq!(
            out.sender_address,
            "sip:12599@botplatform.rcs.chinamobile.com"
        );
        assert_eq!(out.sender_name.as_deref(), Some("某银行"));
        assert_eq!(out.content_type, "multipart/mixed; boundary=\"next\"");
        assert_eq!(out.capability_id.as_deref(), Some("ChatbotSA"));
        assert_eq!(out.capability_version.as_deref(), Some(BOT_VERSION));
        assert_eq!(out.report_request, ["Delivered", "Displayed", "Failed"]);
        assert_eq!(out.store_supported, Some(true));
        assert_eq!(out.sms_body_text.as_deref(), Some("您的账单已出，详见APP"));
        assert_eq!(out.traffic_type.as_deref(), Some("advertisement"));
        assert_eq!(out.client_correlator.as_deref(), Some("567895"));
        assert_eq!(
            out.message_id.as_deref(),
            Some("5f1e2a4c-6b1d-4c8e-9a7f-0d2b3c4e5f60")
        );
        assert!(
            out.body_text
                .starts_with("--next\r\nContent-Type: text/plain")
        );
        assert!(out.body_text.ends_with("\r\n--next--\r\n"));
        let rcs = out.rcs_body_text.as_deref().unwrap();
        assert!(rcs.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<file "));
    }

    #[test]
    fn nested_round_trip_is_byte_exact() {
        let out = Outbound::parse(NESTED).unwrap();
        assert_eq!(
            String::from_utf8(out.to_xml()).unwrap(),
            std::str::from_utf8(NESTED).unwrap()
        );
        assert!(out.to_xml().windows(6).any(|w| w == b"&quot;"));
    }

    #[test]
    fn up10_fallback_elements_are_read_and_written() {
        let out = Outbound::parse(NESTED).unwrap();
        assert_eq!(out.fallback_supported, Some(true));
        assert_eq!(
            out.fallback_content_type.as_deref(),
            Some("application/vnd.gsma.rcs-ft-http+xml")
        );
        assert_eq!(out.fallback_content_encoding, None);
        let mut text = out.clone();
        text.fallback_content_type = Some("text/plain".into());
        text.fallback_content_encoding = Some("base64".into());
        text.rcs_body_text = Some("5L2Z6aKd".into());
        let xml = String::from_utf8(text.to_xml()).unwrap();
        assert!(xml.contains("<fallbackContentEncoding>base64</fallbackContentEncoding>"));
        assert_eq!(Outbound::parse(xml.as_bytes()).unwrap(), text);
        assert_eq!(text.rcs_body().unwrap().unwrap(), "余额".as_bytes());
        assert!(out.rcs_body().unwrap().unwrap().starts_with(b"<?xml"));
        let other = xml.replace("fallbackContentEncoding>", "fallbackEncoding>");
        let again = Outbound::parse(other.as_bytes()).unwrap();
        assert_eq!(again.fallback_content_encoding.as_deref(), Some("base64"));
        let off = xml.replace(">true</fallbackSupported>", ">false</fallbackSupported>");
        assert_eq!(
            Outbound::parse(off.as_bytes()).unwrap().fallback_supported,
            Some(false)
        );
    }

    #[test]
    fn parses_the_flat_request_of_section_8_1_4() {
        let out = Outbound::parse(FLAT).unwrap();
        assert_eq!(out.form, Some(Form::Flat));
        assert_eq!(out.destinations, ["tel:+8613800000001"]);
        assert_eq!(out.sender_address, "");
        assert_eq!(out.content_type, "text/plain");
        assert_eq!(out.body_text, "余额提醒");
        assert_eq!(out.short_message_supported, Some(true));
        assert_eq!(out.sms_body_text.as_deref(), Some("余额提醒"));
        assert_eq!(
            out.contribution_id.as_deref(),
            Some("0d8f6c1e-2b7a-4f39-8e51-6a0c9b3d2e14")
        );
        assert_eq!(out.other_net_support, Some(true));
        assert_eq!(out.other_short_message_supported, Some(true));
        assert_eq!(out.other_sms_body_text.as_deref(), Some("余额提醒"));
        let again = Outbound::parse(&out.to_xml()).unwrap();
        assert_eq!(again, out);
        assert!(!String::from_utf8(out.to_xml()).unwrap().contains(MESSAGE));
    }

    #[test]
    fn other_carrier_elements_are_read_in_the_nested_form_too() {
        let nested = Outbound::parse(NESTED).unwrap();
        assert_eq!(nested.other_net_support, None);
        let mut out = nested.clone();
        out.other_net_support = Some(false);
        out.other_short_message_supported = Some(true);
        out.other_sms_body_text = Some("异网短信".into());
        let xml = String::from_utf8(out.to_xml()).unwrap();
        assert!(
            xml.contains("<otherNetSupport>false</otherNetSupport>"),
            "{xml}"
        );
        assert_eq!(Outbound::parse(xml.as_bytes()).unwrap(), out);
        let bad = xml.replace(">false</otherNetSupport>", ">no</otherNetSupport>");
        assert!(err(&bad).ends_with("otherNetSupport \"no\" is not true or false"));
    }

    #[test]
    fn spelling_variants_and_deduplication() {
        let xml = format!(
            "<m:outboundMessageRequest xmlns:m=\"{NS}\"><Address>tel:+1</Address>\
             <destinationAddress>tel:+2</destinationAddress><destinationAddress>tel:+1</destinationAddress>\
             <outboundIMMessage><contentType>text/plain</contentType><bodyText>hi &amp; bye</bodyText>\
             <smBodyText>sms</smBodyText></outboundIMMessage><unknown/></m:outboundMessageRequest>"
        );
        let out = Outbound::parse(xml.as_bytes()).unwrap();
        assert_eq!(out.destinations, ["tel:+1", "tel:+2"]);
        assert_eq!(out.body_text, "hi & bye");
        assert_eq!(out.sms_body_text.as_deref(), Some("sms"));
        let default_ns = xml.replace("xmlns:m=", "xmlns=").replace("m:", "");
        assert_eq!(Outbound::parse(default_ns.as_bytes()).unwrap(), out);
    }

    #[test]
    fn base64_body_is_kept_and_decoded_on_demand() {
        let mut out = Outbound::parse(FLAT).unwrap();
        out.content_encoding = Some("base64".into());
        out.body_text = STANDARD.encode("余额提醒");
        let again = Outbound::parse(&out.to_xml()).unwrap();
        assert_eq!(again.body_text, out.body_text);
        assert_eq!(again.body().unwrap(), "余额提醒".as_bytes());
        out.body_text = "%%%".into();
        assert!(
            out.body()
                .unwrap_err()
                .detail
                .starts_with("bodyText is not base64")
        );
    }

    #[test]
    fn errors_name_the_element() {
        let request = |inner: &str| {
            format!(
                "<msg:outboundMessageRequest xmlns:msg=\"{NS}\">{inner}</msg:outboundMessageRequest>"
            )
        };
        let to = "<destinationAddress>tel:+1</destinationAddress>";
        let ct = "<contentType>text/plain</contentType>";
        let body = "<bodyText>x</bodyText>";
        assert_eq!(
            err(&request(&format!("{ct}{body}"))),
            "failed to read outboundMessageRequest: destinationAddress is missing"
        );
        assert!(err(&request(&format!("{to}{body}"))).ends_with("contentType is missing"));
        assert!(
            err(&request(&format!("{to}{ct}<bodyText> </bodyText>")))
                .ends_with("bodyText is missing")
        );
        let flag = format!("{to}{ct}{body}<storeSupported>yes</storeSupported>");
        assert!(err(&request(&flag)).ends_with("storeSupported \"yes\" is not true or false"));
        assert!(err("<outboundMessageRequest/>").contains("match the outboundMessageRequest root"));
        assert!(err("<!DOCTYPE x><x/>").contains("DOCTYPE"));
        assert!(err("not xml").contains("outboundMessageRequest"));
        let many: String = (0..=MAX_DESTINATIONS)
            .map(|n| format!("<destinationAddress>tel:+{n}</destinationAddress>"))
            .collect();
        assert!(
            err(&request(&format!("{many}{ct}{body}")))
                .ends_with("more than 1000 destinationAddress")
        );
    }
}
