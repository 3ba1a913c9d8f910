//! The `send-revoke` action: a pager-mode MESSAGE whose CPIM content is the revoke request
//! `application/vnd.gsma.rcsrevoke+xml` for a message sent earlier (protocols.md §4.9: revoke
//! always travels in pager mode).
//!
//! The document comes from [`rcs_proto::revoke::Revoke`], in the default namespace of §4.9 or the
//! one the case gives (the namespace is not verified). The MESSAGE is written like any pager
//! chat message (conversation headers, CPIM with a new `imdn.Message-ID`) but asks for no
//! disposition notification. The outputs are those of `send-pager`, plus `revoked`, the id the
//! request names. This module does not read the revoke result; it arrives like any MESSAGE.

use rcs_harness::agent::ActionOutput;
use rcs_proto::revoke::{REVOKE_CONTENT_TYPE, REVOKE_NS, Revoke};
use serde::Deserialize;

use super::actions::send_pager;
use super::core::Core;
use super::params::PagerParams;

/// `send-revoke`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct RevokeParams {
    /// The role or URI the revoked message was sent to.
    pub to: String,
    /// The `imdn.Message-ID` of the message to revoke.
    pub message_id: String,
    /// The namespace of the revoke document; by default the one of protocols.md §4.9.
    pub namespace: Option<String>,
    pub timeout: Option<String>,
}

/// The revoke document for `message_id` in `namespace`.
pub(crate) fn document(message_id: &str, namespace: Option<&str>) -> String {
    Revoke::new(message_id).to_xml_in(namespace.unwrap_or(REVOKE_NS))
}

/// Sends the revoke MESSAGE.
pub(crate) async fn send_revoke(core: &Core, p: RevokeParams) -> Result<ActionOutput, String> {
    if p.message_id.trim().is_empty() {
        return Err("message-id is empty".to_owned());
    }
    let pager = PagerParams {
        to: p.to,
        text: document(&p.message_id, p.namespace.as_deref()),
        content_type: REVOKE_CONTENT_TYPE.to_owned(),
        disposition: String::new(),
        omit: Vec::new(),
        timeout: p.timeout,
    };
    let mut out = send_pager(core, pager).await?;
    out.values
        .insert("revoked".to_owned(), p.message_id.clone());
    out.summary = format!("revoke of {}: {}", p.message_id, out.summary);
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_document_names_the_message_in_the_chosen_namespace() {
        let xml = document("Abc123Def4", None);
        assert_eq!(
            Revoke::parse(xml.as_bytes()).unwrap(),
            Revoke::new("Abc123Def4")
        );
        let other = document("Abc123Def4", Some("urn:example:revoke"));
        assert!(Revoke::parse(other.as_bytes()).is_err());
        assert!(Revoke::parse_in(other.as_bytes(), "urn:example:revoke").is_ok());
    }
}
