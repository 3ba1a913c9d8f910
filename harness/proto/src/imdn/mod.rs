//! Instant Message Disposition Notifications (RFC 5438): the `message/imdn+xml` document and the
//! CPIM wrapper 5G Messaging clients send it in (protocols.md §4.7).
//!
//! [`Imdn::parse`] reads the XML with a namespace-aware reader: the root must be `imdn` in
//! `urn:ietf:params:xml:ns:imdn` (any prefix), children are matched by namespace and local name,
//! elements it does not know are skipped, and DOCTYPE declarations and entities other than XML's
//! five are refused, so no external entity can be fetched (ROB-BODY-004). [`Imdn::to_xml`] writes
//! the layout of protocols.md §4.7 with CRLF line ends, as rcsjta does; [`imdn_cpim`] wraps it.
//!
//! Not modelled: processing notifications (`processing-notification` is reported as an error),
//! the `subject` element (skipped), and IMDN aggregation (`multipart/mixed` of several IMDNs).

mod error;
mod parse;

use quick_xml::escape::escape;

use crate::cpim::{CpimBuilder, CpimMessage, IMDN_NS};

pub use error::ImdnError;

/// The XML namespace of the IMDN document.
pub const IMDN_XML_NS: &str = "urn:ietf:params:xml:ns:imdn";

/// The largest IMDN document accepted.
pub const MAX_IMDN_SIZE: usize = 64 * 1024;

/// The CPIM From and To of every IMDN sent by UP clients (protocols.md §4.4).
pub const ANONYMOUS_URI: &str = "sip:anonymous@anonymous.invalid";

/// The content type of the IMDN document.
pub const IMDN_CONTENT_TYPE: &str = "message/imdn+xml";

/// The disposition an IMDN reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Notification {
    /// A `delivery-notification`.
    Delivery(DeliveryStatus),
    /// A `display-notification`.
    Display(DisplayStatus),
}

/// The status of a delivery notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// `<delivered/>`.
    Delivered,
    /// `<failed/>`.
    Failed,
    /// `<forbidden/>`.
    Forbidden,
    /// `<error/>`.
    Error,
}

/// The status of a display notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisplayStatus {
    /// `<displayed/>`.
    Displayed,
    /// `<forbidden/>`.
    Forbidden,
    /// `<error/>`.
    Error,
}

impl DeliveryStatus {
    /// The element name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Failed => "failed",
            Self::Forbidden => "forbidden",
            Self::Error => "error",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [Self::Delivered, Self::Failed, Self::Forbidden, Self::Error]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

impl DisplayStatus {
    /// The element name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Displayed => "displayed",
            Self::Forbidden => "forbidden",
            Self::Error => "error",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [Self::Displayed, Self::Forbidden, Self::Error]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

impl Notification {
    /// The notification element name.
    pub fn element(self) -> &'static str {
        match self {
            Self::Delivery(_) => "delivery-notification",
            Self::Display(_) => "display-notification",
        }
    }

    /// The status element name.
    pub fn status(self) -> &'static str {
        match self {
            Self::Delivery(s) => s.as_str(),
            Self::Display(s) => s.as_str(),
        }
    }
}

/// An IMDN document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imdn {
    /// The `imdn.Message-ID` of the message this IMDN is about.
    pub message_id: String,
    /// The `datetime` element, as written.
    pub datetime: String,
    /// The recipient, when given (group chat).
    pub recipient_uri: Option<String>,
    /// The original recipient, when given (group chat).
    pub original_recipient_uri: Option<String>,
    /// What is reported.
    pub notification: Notification,
}

impl Imdn {
    /// Parses an IMDN document; see the module docs for what is checked.
    pub fn parse(xml: &[u8]) -> Result<Self, ImdnError> {
        parse::parse(xml)
    }

    /// Parses the IMDN a CPIM message carries, after checking its Content-Type and undoing any
    /// Content-Transfer-Encoding.
    pub fn from_cpim(cpim: &CpimMessage) -> Result<Self, ImdnError> {
        let content_type = cpim.content_type();
        let is_imdn = content_type
            .and_then(|ct| ct.split(';').next())
            .is_some_and(|ct| ct.trim().eq_ignore_ascii_case(IMDN_CONTENT_TYPE));
        if !is_imdn {
            return Err(ImdnError::NotImdn(content_type.map(str::to_owned)));
        }
        Self::parse(&cpim.decoded_body()?)
    }

    /// The document in the layout of protocols.md §4.7, CRLF line ends, no final line end.
    pub fn to_xml(&self) -> String {
        let mut xml = String::with_capacity(320);
        xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n");
        xml.push_str(&format!("<imdn xmlns=\"{IMDN_XML_NS}\">\r\n"));
        push_element(&mut xml, "message-id", &self.message_id);
        push_element(&mut xml, "datetime", &self.datetime);
        if let Some(uri) = &self.recipient_uri {
            push_element(&mut xml, "recipient-uri", uri);
        }
        if let Some(uri) = &self.original_recipient_uri {
            push_element(&mut xml, "original-recipient-uri", uri);
        }
        let (element, status) = (self.notification.element(), self.notification.status());
        xml.push_str(&format!(
            "<{element}><status><{status}/></status></{element}>\r\n</imdn>"
        ));
        xml
    }
}

fn push_element(xml: &mut String, name: &str, text: &str) {
    xml.push_str(&format!("<{name}>{}</{name}>\r\n", escape(text)));
}

/// The whole CPIM message of an IMDN, as rcsjta and the other UP clients build it (protocols.md
/// §4.7): From and To `sip:anonymous@anonymous.invalid`, the imdn namespace, a new
/// `imdn.Message-ID`, DateTime taken from the IMDN's datetime, then `message/imdn+xml` with
/// `Content-Disposition: notification` and a Content-Length.
pub fn imdn_cpim(new_message_id: &str, imdn: &Imdn) -> Vec<u8> {
    CpimBuilder::new()
        .from(ANONYMOUS_URI)
        .to(ANONYMOUS_URI)
        .ns("imdn", IMDN_NS)
        .header("imdn.Message-ID", new_message_id)
        .datetime(&imdn.datetime)
        .content_type(IMDN_CONTENT_TYPE)
        .content_header("Content-Disposition", "notification")
        .body(imdn.to_xml())
        .build()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
