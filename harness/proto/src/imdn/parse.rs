//! The namespace-checking IMDN reader (RFC 5438 IMDN XML, protocols.md §4.7, ROB-BODY-004).
//!
//! A small state machine over quick-xml's `NsReader` events: element names are resolved to
//! (namespace, local name) before they are matched, which is the check quick-xml's serde layer
//! does not make.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::{BytesRef, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::reader::NsReader;

use super::{
    DeliveryStatus, DisplayStatus, IMDN_XML_NS, Imdn, ImdnError, MAX_IMDN_SIZE, Notification,
};

/// The text-valued children of the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    MessageId,
    DateTime,
    RecipientUri,
    OriginalRecipientUri,
}

/// The notification children of the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Delivery,
    Display,
    Processing,
}

/// What has been read so far.
#[derive(Debug, Default)]
struct Doc {
    depth: usize,
    root_seen: bool,
    field: Option<Field>,
    text: String,
    fields: [Option<String>; 4],
    open_notification: Option<Kind>,
    in_status: bool,
    status: Option<String>,
    notifications: Vec<(Kind, Option<String>)>,
}

/// Parses an IMDN document.
pub(super) fn parse(xml: &[u8]) -> Result<Imdn, ImdnError> {
    if xml.len() > MAX_IMDN_SIZE {
        return Err(ImdnError::TooLarge {
            size: xml.len(),
            max: MAX_IMDN_SIZE,
        });
    }
    let text = std::str::from_utf8(xml).map_err(|_| ImdnError::NotUtf8)?;
    let mut reader = NsReader::from_str(text);
    let mut doc = Doc::default();
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| ImdnError::Xml(e.to_string()))?;
        match event {
            Event::Start(e) => doc.open(&ns, e.local_name().as_ref())?,
            Event::Empty(e) => {
                doc.open(&ns, e.local_name().as_ref())?;
                doc.close();
            }
            Event::End(_) => doc.close(),
            Event::Text(t) => doc.text(&t.xml10_content()),
            Event::CData(c) => doc.text(&c.xml10_content()),
            Event::GeneralRef(r) => doc.text(&resolve_reference(&r)?),
            Event::DocType(_) => return Err(ImdnError::Doctype),
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    doc.finish()
}

/// A character reference or one of the five predefined entities; anything else is refused.
fn resolve_reference(r: &BytesRef<'_>) -> Result<String, ImdnError> {
    let name: &str = r.as_ref();
    if r.is_char_ref() {
        return match r.resolve_char_ref() {
            Ok(Some(c)) => Ok(c.to_string()),
            _ => Err(ImdnError::Xml(format!("&{name}; is not a valid character"))),
        };
    }
    resolve_predefined_entity(name)
        .map(str::to_owned)
        .ok_or_else(|| ImdnError::Entity(name.to_owned()))
}

/// Whether a resolved name is in the IMDN namespace.
fn is_imdn(ns: &ResolveResult<'_>) -> bool {
    matches!(ns, ResolveResult::Bound(Namespace(n)) if *n == IMDN_XML_NS)
}

/// `{namespace}name` for error messages.
fn describe(ns: &ResolveResult<'_>, local: &str) -> String {
    match ns {
        ResolveResult::Bound(Namespace(n)) => format!("{{{n}}}{local}"),
        ResolveResult::Unbound => format!("{local} in no namespace"),
        ResolveResult::Unknown(prefix) => format!("{local} with undeclared prefix {prefix:?}"),
    }
}

impl Doc {
    fn open(&mut self, ns: &ResolveResult<'_>, local: &str) -> Result<(), ImdnError> {
        let imdn = is_imdn(ns);
        match self.depth {
            0 => self.open_root(ns, local)?,
            1 if imdn => self.open_child(local),
            2 if imdn && self.open_notification.is_some() && local == "status" => {
                self.in_status = true;
            }
            3 if imdn && self.in_status && self.status.is_none() => {
                self.status = Some(local.to_owned());
            }
            _ => {}
        }
        self.depth += 1;
        Ok(())
    }

    fn open_root(&mut self, ns: &ResolveResult<'_>, local: &str) -> Result<(), ImdnError> {
        if self.root_seen {
            return Err(ImdnError::Xml(
                "a second root element follows </imdn>".into(),
            ));
        }
        if !is_imdn(ns) || local != "imdn" {
            return Err(ImdnError::WrongRoot(describe(ns, local)));
        }
        self.root_seen = true;
        Ok(())
    }

    fn open_child(&mut self, local: &str) {
        self.field = match local {
            "message-id" => Some(Field::MessageId),
            "datetime" => Some(Field::DateTime),
            "recipient-uri" => Some(Field::RecipientUri),
            "original-recipient-uri" => Some(Field::OriginalRecipientUri),
            _ => None,
        };
        self.open_notification = match local {
            "delivery-notification" => Some(Kind::Delivery),
            "display-notification" => Some(Kind::Display),
            "processing-notification" => Some(Kind::Processing),
            _ => None,
        };
    }

    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        match self.depth {
            1 => self.close_child(),
            2 => self.in_status = false,
            _ => {}
        }
    }

    fn close_child(&mut self) {
        let text = std::mem::take(&mut self.text);
        if let Some(field) = self.field.take() {
            self.fields[field as usize] = Some(text.trim().to_owned());
        }
        if let Some(kind) = self.open_notification.take() {
            self.notifications.push((kind, self.status.take()));
        }
    }

    fn text(&mut self, text: &str) {
        if self.field.is_some() && self.depth == 2 {
            self.text.push_str(text);
        }
    }

    fn finish(mut self) -> Result<Imdn, ImdnError> {
        if !self.root_seen {
            return Err(ImdnError::WrongRoot("no element at all".into()));
        }
        if self.depth != 0 {
            return Err(ImdnError::Xml("the document ends inside an element".into()));
        }
        let mut take = |field: Field| self.fields[field as usize].take().filter(|v| !v.is_empty());
        let message_id = take(Field::MessageId).ok_or(ImdnError::MissingElement("message-id"))?;
        let datetime = take(Field::DateTime).ok_or(ImdnError::MissingElement("datetime"))?;
        let recipient_uri = take(Field::RecipientUri);
        let original_recipient_uri = take(Field::OriginalRecipientUri);
        Ok(Imdn {
            message_id,
            datetime,
            recipient_uri,
            original_recipient_uri,
            notification: notification(&self.notifications)?,
        })
    }
}

/// The one notification of the document, with a status defined for its type.
fn notification(found: &[(Kind, Option<String>)]) -> Result<Notification, ImdnError> {
    let [(kind, status)] = found else {
        return Err(ImdnError::Notification(format!(
            "expected one delivery-notification or display-notification, found {}",
            found.len()
        )));
    };
    let element = match kind {
        Kind::Delivery => "delivery-notification",
        Kind::Display => "display-notification",
        Kind::Processing => {
            return Err(ImdnError::Notification(
                "processing-notification is not supported".into(),
            ));
        }
    };
    let status = status
        .as_deref()
        .ok_or(ImdnError::MissingElement("status"))?;
    let unknown = || ImdnError::UnknownStatus {
        element,
        status: status.to_owned(),
    };
    match kind {
        Kind::Delivery => DeliveryStatus::from_name(status)
            .map(Notification::Delivery)
            .ok_or_else(unknown),
        _ => DisplayStatus::from_name(status)
            .map(Notification::Display)
            .ok_or_else(unknown),
    }
}
