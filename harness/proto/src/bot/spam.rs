//! The spam report `application/vnd.gsma.rcsspam-report+xml` a user's client sends the chatbot
//! platform in a pager-mode MESSAGE (protocols.md §7.6):
//! `<SR xmlns="urn:gsma:params:xml:ns:rcs:rcs:spamreport"><Chatbot>sip:…</Chatbot>
//! <Message-ID>…</Message-ID>{0..10}<spam-type>…</spam-type><free-text>…</free-text></SR>`.
//!
//! Read on [`crate::xml_tree`]: elements are matched by namespace URI whatever the prefix,
//! unknown elements are ignored, DOCTYPE and external entities are refused, and a report with
//! more than [`MAX_SPAM_MESSAGE_IDS`] message ids is refused (clients cap the list at 10).
//! Written with [`XmlWriter`], in the order above; [`SpamReport::to_xml`] writes every id it
//! holds, so a test can build an over-long report on purpose.
//!
//! Not modelled: the spam-type vocabulary (free text here; Juphoon's CMCC client enumerates
//! political rumour, jurisprudence, fraud, malicious marketing, violence, other).

use crate::xml_tree::{Limits, XmlWriter, parse_root};

/// The namespace of the spam report.
pub const SPAM_REPORT_NS: &str = "urn:gsma:params:xml:ns:rcs:rcs:spamreport";

/// The most `Message-ID` elements of a report.
pub const MAX_SPAM_MESSAGE_IDS: usize = 10;

const DOC: &str = "spam report";
const ROOT: &str = "SR";
const LIMITS: Limits = Limits {
    max_bytes: 64 * 1024,
    max_elements: 100,
    ..Limits::DEFAULT
};

/// A user's report of a chatbot's messages as spam.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpamReport {
    /// `Chatbot`: the chatbot's URI.
    pub chatbot: String,
    /// `Message-ID`: the `imdn.Message-ID`s reported, at most 10.
    pub message_ids: Vec<String>,
    /// `spam-type`, if given.
    pub spam_type: Option<String>,
    /// `free-text`, the user's words, if given.
    pub free_text: Option<String>,
}

impl SpamReport {
    /// Parses a report; the error completes "failed to ...".
    pub fn parse(xml: &[u8]) -> Result<Self, String> {
        let root = parse_root(xml, DOC, &LIMITS, SPAM_REPORT_NS, ROOT)
            .map_err(|e| format!("failed to {e}"))?;
        let chatbot = root
            .required_text(SPAM_REPORT_NS, "Chatbot", ROOT)
            .map_err(|e| format!("failed to {e}"))?;
        let message_ids: Vec<String> = root
            .children_named(SPAM_REPORT_NS, "Message-ID")
            .map(|e| e.trimmed().to_owned())
            .filter(|id| !id.is_empty())
            .collect();
        if message_ids.len() > MAX_SPAM_MESSAGE_IDS {
            return Err(format!(
                "failed to read the {DOC}: {} Message-ID elements, at most {MAX_SPAM_MESSAGE_IDS}",
                message_ids.len()
            ));
        }
        Ok(Self {
            chatbot: chatbot.to_owned(),
            message_ids,
            spam_type: root
                .child_text(SPAM_REPORT_NS, "spam-type")
                .map(str::to_owned),
            free_text: root
                .child_text(SPAM_REPORT_NS, "free-text")
                .map(str::to_owned),
        })
    }

    /// The report as XML in the layout of protocols.md §7.6.
    pub fn to_xml(&self) -> Vec<u8> {
        let mut w = XmlWriter::new();
        w.open(ROOT, &[("xmlns", SPAM_REPORT_NS)])
            .leaf("Chatbot", &[], &self.chatbot);
        for id in &self.message_ids {
            w.leaf("Message-ID", &[], id);
        }
        w.leaf_opt("spam-type", self.spam_type.as_deref())
            .leaf_opt("free-text", self.free_text.as_deref())
            .close(ROOT);
        w.finish().into_bytes()
    }
}
