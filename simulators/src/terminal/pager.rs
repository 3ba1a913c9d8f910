//! Pager-mode chat MESSAGEs and the IMDNs that answer them, as a terminal writes them
//! (RFC 3428, RFC 3862, RFC 5438 7; protocols.md §4.1-4.4, §4.7).
//!
//! A pager MESSAGE carries Accept-Contact and P-Preferred-Service for the `oma.cpm.msg` ICSI,
//! P-Preferred-Identity, Conversation-ID and Contribution-ID, and a `message/cpim` body with From,
//! To, DateTime, the imdn namespace, `imdn.Message-ID` and `imdn.Disposition-Notification` around
//! the inner content. An IMDN is the same kind of MESSAGE whose CPIM comes from
//! [`rcs_proto::imdn::imdn_cpim`]. Cases may leave headers out (`omit`) and faults bend single
//! rules; this module only writes, it does not send.

use rcs_proto::cpim::{CpimBuilder, IMDN_NS};
#[cfg(test)]
use rcs_proto::imdn::{Imdn, imdn_cpim};
use rcs_proto::sip::{Message, MessageBuilder};

use super::faults::{Fault, Faults};
use super::request::{Local, RequestHead};
use super::tags::CPM_MSG_ICSI;

/// The conversation identifiers of one MESSAGE (protocols.md §4.2).
#[derive(Clone, Debug)]
pub(crate) struct Conversation {
    pub conversation_id: String,
    pub contribution_id: String,
}

/// The SIP side of one MESSAGE: who sends it where.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Envelope<'a> {
    pub local: &'a Local,
    /// The sender's public identity (From, P-Preferred-Identity, CPIM From).
    pub identity: &'a str,
    /// The target (Request-URI, To, CPIM To).
    pub target: &'a str,
    pub route: &'a [String],
    pub call_id: &'a str,
    pub from_tag: &'a str,
    pub branch: &'a str,
}

/// What a chat message says.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Chat<'a> {
    pub text: &'a str,
    pub content_type: &'a str,
    /// `imdn.Disposition-Notification`; left out when empty.
    pub disposition: &'a str,
    pub message_id: &'a str,
    pub date_time: &'a str,
    /// Header names to leave out: plain names at both levels, `sip:` or `cpim:` for one.
    pub omit: &'a [String],
}

/// A written MESSAGE and its body.
#[derive(Clone, Debug)]
pub(crate) struct Written {
    pub message: Message,
    pub body: Vec<u8>,
}

/// Writes a pager-mode chat MESSAGE.
pub(crate) fn chat(
    env: &Envelope<'_>,
    conv: &Conversation,
    chat: &Chat<'_>,
    faults: &Faults,
) -> Written {
    let omitted = |level: Level, name: &str| is_omitted(chat.omit, level, name);
    let (content_type, body) = match faults.has(Fault::PlainTextPager) {
        true => (chat.content_type.to_owned(), chat.text.as_bytes().to_vec()),
        false => (
            "message/cpim".to_owned(),
            chat_cpim(env.identity, env.target, chat, faults, omitted),
        ),
    };
    let mut builder = head(env, conv, faults);
    if faults.has(Fault::OmitConversationId) {
        builder = builder.remove_header("Conversation-ID");
    }
    builder = builder.body(&content_type, body.clone());
    for name in chat.omit.iter().filter_map(|n| sip_name(n)) {
        builder = builder.remove_header(name);
    }
    Written {
        message: builder.build(),
        body,
    }
}

/// Writes an IMDN MESSAGE; `new_message_id` is the IMDN's own `imdn.Message-ID`.
#[cfg(test)]
pub(crate) fn imdn(
    env: &Envelope<'_>,
    conv: &Conversation,
    new_message_id: &str,
    imdn: &Imdn,
    faults: &Faults,
) -> Written {
    imdn_with_body(env, conv, imdn_cpim(new_message_id, imdn), faults)
}

/// Writes an IMDN MESSAGE around an IMDN CPIM body already written.
pub(crate) fn imdn_with_body(
    env: &Envelope<'_>,
    conv: &Conversation,
    body: Vec<u8>,
    faults: &Faults,
) -> Written {
    let message = head(env, conv, faults)
        .body("message/cpim", body.clone())
        .build();
    Written { message, body }
}

/// The SIP headers of every pager-mode MESSAGE, through Contribution-ID.
fn head(env: &Envelope<'_>, conv: &Conversation, faults: &Faults) -> MessageBuilder {
    let icsi = match faults.has(Fault::UnencodedIcsi) {
        true => CPM_MSG_ICSI.to_owned(),
        false => CPM_MSG_ICSI.replace(':', "%3A"),
    };
    RequestHead {
        method: "MESSAGE",
        request_uri: env.target,
        from: env.identity,
        from_tag: env.from_tag,
        to: env.target,
        call_id: env.call_id,
        cseq: 1,
        route: env.route,
    }
    .start(env.local, env.branch)
    .header("Accept-Contact", &format!("*;+g.3gpp.icsi-ref=\"{icsi}\""))
    .header("P-Preferred-Service", CPM_MSG_ICSI)
    .header("P-Preferred-Identity", &format!("<{}>", env.identity))
    .header("Conversation-ID", &conv.conversation_id)
    .header("Contribution-ID", &conv.contribution_id)
}

/// The CPIM of a chat message from `identity` to `target`, as session and large-message mode
/// send it over MSRP (`chat.omit` applies as for pager mode).
pub(crate) fn message_cpim(
    identity: &str,
    target: &str,
    chat: &Chat<'_>,
    faults: &Faults,
) -> Vec<u8> {
    let omitted = |level: Level, name: &str| is_omitted(chat.omit, level, name);
    chat_cpim(identity, target, chat, faults, omitted)
}

/// The CPIM body of a chat message.
fn chat_cpim(
    identity: &str,
    target: &str,
    chat: &Chat<'_>,
    faults: &Faults,
    omitted: impl Fn(Level, &str) -> bool,
) -> Vec<u8> {
    let mut headers = vec![
        ("From", format!("<{identity}>")),
        ("To", format!("<{target}>")),
        ("DateTime", chat.date_time.to_owned()),
        ("NS", format!("imdn <{IMDN_NS}>")),
    ];
    if !faults.has(Fault::OmitImdnMessageId) {
        headers.push(("imdn.Message-ID", chat.message_id.to_owned()));
    }
    if !chat.disposition.trim().is_empty() {
        headers.push(("imdn.Disposition-Notification", chat.disposition.to_owned()));
    }
    let mut cpim = CpimBuilder::new();
    for (name, value) in headers.iter().filter(|(n, _)| !omitted(Level::Cpim, n)) {
        cpim = cpim.header(name, value);
    }
    if !omitted(Level::Cpim, "Content-Type") {
        cpim = cpim.content_type(chat.content_type);
    }
    if omitted(Level::Cpim, "Content-Length") {
        cpim = cpim.without_content_length();
    }
    cpim.body(super::receipts::wire_text(chat.text, faults).as_bytes())
        .build()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Sip,
    Cpim,
}

/// Whether `omit` names `name` at `level` (`sip:`/`cpim:` prefixes restrict the level).
fn is_omitted(omit: &[String], level: Level, name: &str) -> bool {
    omit.iter().any(|entry| {
        let (only, bare) = split_level(entry);
        only.is_none_or(|l| l == level) && bare.eq_ignore_ascii_case(name)
    })
}

/// The SIP header name an `omit` entry removes, if it applies to the SIP level.
fn sip_name(entry: &str) -> Option<&str> {
    match split_level(entry) {
        (Some(Level::Cpim), _) => None,
        (_, bare) => Some(bare),
    }
}

fn split_level(entry: &str) -> (Option<Level>, &str) {
    let entry = entry.trim();
    match entry.split_once(':') {
        Some((prefix, bare)) if prefix.eq_ignore_ascii_case("sip") => {
            (Some(Level::Sip), bare.trim())
        }
        Some((prefix, bare)) if prefix.eq_ignore_ascii_case("cpim") => {
            (Some(Level::Cpim), bare.trim())
        }
        _ => (None, entry),
    }
}

#[cfg(test)]
#[path = "pager_tests.rs"]
mod tests;
