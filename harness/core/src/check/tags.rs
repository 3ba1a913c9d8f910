//! Feature tags of a Contact or Accept-Contact value, as an order-insensitive set (RFC 3840).

use std::collections::BTreeSet;

use rcs_proto::sip::{FeatureTags, header_params};

/// `<sip:...>;+g.3gpp.icsi-ref="urn%3A...";+g.gsma.rcs.isbot` (or `*;...`) -> the normalised atoms.
pub fn normalized_tags(value: &str) -> Result<BTreeSet<String>, String> {
    let params = header_params(value);
    let tags = FeatureTags::from_params(&params).map_err(|e| e.to_string())?;
    Ok(tags.normalized())
}
