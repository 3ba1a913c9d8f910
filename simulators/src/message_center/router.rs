//! Where a MESSAGE or OPTIONS goes: the target of its Request-URI, and the CPM header rules
//! checked before relaying (protocols.md §3.1, §4.2; RFC 3428; PLT-MSG-001/002, PLT-CAP-*).
//!
//! The target is the subscriber whose number is the Request-URI's user part (SIP) or number
//! (tel). A URI with no user part addresses the message center itself. The outcome of a lookup
//! is a [`Target`]; what status each outcome gets is decided by the caller per method, because
//! OPTIONS and MESSAGE differ only there. This module does not forward anything.

use std::time::Instant;

use rcs_proto::cpim::CpimMessage;
use rcs_proto::sip::{Message, Uri};

use super::bindings::{Binding, Bindings};
use super::directory::Directory;

/// The outcome of looking up a Request-URI.
#[derive(Debug)]
pub enum Target<'a> {
    /// The URI has no user part: it addresses the message center.
    Myself,
    /// No provisioned subscriber has this number (or the URI names no number).
    Unknown,
    /// The subscriber has no 5G Messaging subscription.
    NotRcs,
    /// An RCS subscriber without a live binding.
    Offline,
    /// An RCS subscriber and the binding to send to.
    Online(&'a Binding),
}

/// Looks up the target of `uri` at `now`.
pub fn resolve<'a>(
    uri: &Uri,
    directory: &'a Directory,
    bindings: &'a Bindings,
    now: Instant,
) -> Target<'a> {
    if matches!(uri, Uri::Sip(_)) && uri.user().is_none() {
        return Target::Myself;
    }
    let Some(subscriber) = directory.by_uri(uri) else {
        return Target::Unknown;
    };
    if !subscriber.rcs {
        return Target::NotRcs;
    }
    match bindings.best(&subscriber.msisdn, now) {
        Some(binding) => Target::Online(binding),
        None => Target::Offline,
    }
}

/// The identity to assert for the sender (RFC 3325 9.1): the From's subscriber, when that
/// subscriber is registered.
pub fn asserted_identity(
    request: &Message,
    directory: &Directory,
    bindings: &Bindings,
    now: Instant,
) -> Option<String> {
    let from = request.from_header().ok()?;
    let subscriber = directory.by_uri(&from.uri)?;
    bindings.best(&subscriber.msisdn, now)?;
    Some(format!("<{}>", subscriber.sip_uri()))
}

/// Whether the body is a CPIM message (RFC 3862), which makes the MESSAGE a CPM one.
pub fn is_cpim(request: &Message) -> bool {
    request
        .header("Content-Type")
        .is_some_and(|ct| media_type(ct).eq_ignore_ascii_case("message/cpim"))
}

/// The CPM conversation header a CPM MESSAGE lacks, if any (protocols.md §4.2).
pub fn missing_cpm_header(request: &Message) -> Option<&'static str> {
    if !is_cpim(request) {
        return None;
    }
    ["Conversation-ID", "Contribution-ID"]
        .into_iter()
        .find(|name| request.header(name).is_none_or(|v| v.trim().is_empty()))
}

/// The conversation header a CPM INVITE lacks, if any: both are mandatory on session and
/// large-message INVITEs whatever the body (protocols.md §4.2, §4.5).
pub fn missing_invite_header(request: &Message) -> Option<&'static str> {
    ["Conversation-ID", "Contribution-ID"]
        .into_iter()
        .find(|name| request.header(name).is_none_or(|v| v.trim().is_empty()))
}

/// Whether a CPM MESSAGE carries an IMDN: its CPIM content type is `message/imdn+xml`
/// (RFC 5438 7.1).
pub fn is_imdn(request: &Message) -> bool {
    is_cpim(request)
        && CpimMessage::parse(request.body()).is_ok_and(|cpim| {
            cpim.content_type()
                .is_some_and(|ct| media_type(ct).eq_ignore_ascii_case("message/imdn+xml"))
        })
}

/// The `type/subtype` of a Content-Type value, without parameters.
fn media_type(value: &str) -> &str {
    value.split(';').next().unwrap_or_default().trim()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::net::SocketAddr;

    use rcs_harness::events::Transport;
    use rcs_harness::role::Subscriber;
    use rcs_proto::sip::NameAddr;

    use super::*;

    fn parse(text: &str) -> Message {
        Message::parse(text.replace('\n', "\r\n").into_bytes()).unwrap()
    }

    #[test]
    fn targets_by_state() {
        let directory = Directory::new(vec![
            Subscriber::builtin(1, true),
            Subscriber::builtin(2, true),
            Subscriber::builtin(1, false),
        ]);
        let now = Instant::now();
        let mut bindings = Bindings::new(false);
        let contact = NameAddr::parse("<sip:+8613800000001@127.0.0.1:5070>").unwrap();
        let src: SocketAddr = "127.0.0.1:5070".parse().unwrap();
        let binding = Binding::new(contact, Transport::Udp, src, 60, now);
        bindings.upsert("+8613800000001", binding, now).unwrap();
        let target = |uri: &str| {
            let uri = Uri::parse(uri).unwrap();
            match resolve(&uri, &directory, &bindings, now) {
                Target::Myself => "myself",
                Target::Unknown => "unknown",
                Target::NotRcs => "not-rcs",
                Target::Offline => "offline",
                Target::Online(_) => "online",
            }
        };
        assert_eq!(target("sip:ims.mnc000.mcc460.3gppnetwork.org"), "myself");
        assert_eq!(target("tel:+8613800000001"), "online");
        assert_eq!(target("sip:+8613800000002@x"), "offline");
        assert_eq!(target("sip:+8613900000001@x"), "not-rcs");
        assert_eq!(target("sip:+8613700000001@x"), "unknown");
        assert_eq!(target("sip:alice@x"), "unknown");
    }

    #[test]
    fn cpm_headers_are_required_only_for_cpim_bodies() {
        let cpim =
            parse("MESSAGE sip:b@x SIP/2.0\nContent-Type: message/cpim\nConversation-ID: c\n\n");
        assert_eq!(missing_cpm_header(&cpim), Some("Contribution-ID"));
        let plain = parse("MESSAGE sip:b@x SIP/2.0\nContent-Type: text/plain\n\n");
        assert_eq!(missing_cpm_header(&plain), None);
    }

    #[test]
    fn an_imdn_is_recognised_by_its_cpim_content_type() {
        let imdn = parse(
            "MESSAGE sip:b@x SIP/2.0\nContent-Type: Message/CPIM\n\n\
From: <sip:anonymous@anonymous.invalid>\nTo: <sip:anonymous@anonymous.invalid>\n\
DateTime: 2025-03-01T10:00:00.000+08:00\n\n\
Content-Type: message/imdn+xml\nContent-Disposition: notification\nContent-Length: 2\n\n<a",
        );
        assert!(is_imdn(&imdn));
        let text = parse(
            "MESSAGE sip:b@x SIP/2.0\nContent-Type: message/cpim\n\nFrom: <sip:a@b>\n\n\
Content-Type: text/plain\n\nhi",
        );
        assert!(!is_imdn(&text));
    }
}
