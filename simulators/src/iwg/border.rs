//! The border rewrite of the interworking gateway (IBCF), sans-IO: what a request and its
//! responses look like after crossing between a carrier's network and the NNI (protocols.md §9.1;
//! 3GPP TS 24.229 5.10, TS 29.165; RFC 3325 for the trust domain, RFC 7315 for the charging
//! vector).
//!
//! A request crossing the border, either way, gets:
//! - topology hiding: every Via, Record-Route, Path and Service-Route it carries is removed and the
//!   gateway's own Via is the only one on the far side; the removed Via values are handed back in
//!   [`Rewritten::hidden_vias`], and [`response`] puts them back on the way home, so responses
//!   are routed by the gateway's transaction state, not by what crossed;
//! - the Route set consumed: the gateway's own Route entry, and any internal one after it (the
//!   gateway decides the next hop itself);
//! - `P-Asserted-Identity` kept only when the other side is trusted ([`Leg::trusted`]),
//!   `P-Preferred-Identity` never;
//! - `P-Charging-Vector` with its `icid-value` kept (one added when absent) and `orig-ioi` /
//!   `term-ioi` set to the originating and terminating networks' identifiers;
//! - `P-Access-Network-Info`, `P-Visited-Network-ID` and `P-Charging-Function-Addresses` removed;
//! - Max-Forwards decremented.
//!
//! Every other header (Conversation-ID, Contribution-ID, Accept-Contact, P-Asserted-Service,
//! Require, Supported...) and the body cross byte-identical. Each [`BorderFaults`] switch breaks
//! one of these rules. This module does not decide where a request goes (see `route`) and does
//! not touch SDP (see `anchor`).

use bytes::Bytes;
use rcs_proto::sip::{Message, NameAddr, Uri, split_outside};

use crate::message_center::rewrite::Draft;

/// Headers that never leave a network: access, visited network and charging addresses.
const PRIVATE: &[&str] = &[
    "P-Access-Network-Info",
    "P-Visited-Network-ID",
    "P-Charging-Function-Addresses",
];

/// Headers that carry a network's topology.
const TOPOLOGY: &[&str] = &["Record-Route", "Path", "Service-Route"];

/// The CPM conversation headers a faulty gateway drops.
const CONVERSATION: &[&str] = &["Conversation-ID", "Contribution-ID"];

/// The longest `icid-value` kept from a received charging vector.
const MAX_ICID: usize = 256;

/// How one request crosses the border.
pub struct Leg<'a> {
    /// The gateway's own Via value for the far side (`SIP/2.0/UDP host:port;branch=...`).
    pub via: &'a str,
    /// Whether the other side is in the trust domain (RFC 3325 2.3): its identity is kept.
    pub trusted: bool,
    /// The inter-operator identifier of the originating network.
    pub orig_ioi: &'a str,
    /// The inter-operator identifier of the terminating network.
    pub term_ioi: &'a str,
    /// The `icid-value` to put in when the request has none.
    pub new_icid: &'a str,
    /// Whether a Route URI names this gateway.
    pub is_own_route: &'a dyn Fn(&Uri) -> bool,
}

/// One switch per border rule, each breaking that rule only.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BorderFaults {
    /// P-Asserted-Identity crosses to an untrusted network.
    pub identity_to_untrusted: bool,
    /// P-Asserted-Identity is removed even toward a trusted network.
    pub strip_trusted_identity: bool,
    /// The gateway's own Route entry crosses.
    pub keep_own_route: bool,
    /// Internal Via and Record-Route entries cross (no topology hiding).
    pub leak_topology: bool,
    /// The icid-value is replaced by a new one.
    pub new_icid: bool,
    /// orig-ioi and term-ioi are not set.
    pub omit_ioi: bool,
    /// P-Access-Network-Info, P-Visited-Network-ID and P-Charging-Function-Addresses cross.
    pub leak_private: bool,
    /// Conversation-ID and Contribution-ID are dropped.
    pub drop_conversation_ids: bool,
}

/// A request after the border.
#[derive(Clone, Debug)]
pub struct Rewritten {
    /// The request to send on.
    pub bytes: Bytes,
    /// The Via values it carried, top first, to put back on its responses.
    pub hidden_vias: Vec<String>,
}

/// Rewrites `request` for the far side of the border.
pub fn request(request: &Message, leg: &Leg<'_>, faults: &BorderFaults) -> Rewritten {
    let mut draft = Draft::new(request);
    let hidden_vias = request.header_values("Via");
    if !faults.leak_topology {
        draft.remove("Via");
        for name in TOPOLOGY {
            draft.remove(name);
        }
    }
    draft.insert(0, "Via", leg.via);
    consume_routes(&mut draft, request, leg, faults);
    let max_forwards = request
        .max_forwards()
        .ok()
        .flatten()
        .map_or(70, |mf| mf.saturating_sub(1));
    match draft.position("Max-Forwards") {
        Some(at) => draft.replace_at(at, &max_forwards.to_string()),
        None => draft.insert(1, "Max-Forwards", "70"),
    }
    draft.remove("P-Preferred-Identity");
    let keep_identity = match leg.trusted {
        true => !faults.strip_trusted_identity,
        false => faults.identity_to_untrusted,
    };
    if !keep_identity {
        draft.remove("P-Asserted-Identity");
    }
    if !faults.leak_private {
        for name in PRIVATE {
            draft.remove(name);
        }
    }
    if faults.drop_conversation_ids {
        for name in CONVERSATION {
            draft.remove(name);
        }
    }
    let vector = charging_vector(request.header("P-Charging-Vector"), leg, faults);
    match draft.position("P-Charging-Vector") {
        Some(at) => {
            draft.remove("P-Charging-Vector");
            draft.insert(at, "P-Charging-Vector", &vector);
        }
        None => draft.insert_before_first_of(
            &["Content-Type", "Content-Length"],
            "P-Charging-Vector",
            &vector,
        ),
    }
    Rewritten {
        bytes: draft.build(),
        hidden_vias,
    }
}

/// Rewrites a response on its way back across the border: the gateway's own Via (the top one)
/// is replaced by the Via values the request carried, and private headers stay behind.
pub fn response(response: &Message, hidden_vias: &[String], faults: &BorderFaults) -> Bytes {
    let mut draft = Draft::new(response);
    draft.pop_first_value("Via", response);
    if !faults.leak_topology {
        draft.remove("Via");
        draft.remove("Record-Route");
        for (at, via) in hidden_vias.iter().enumerate() {
            draft.insert(at, "Via", via);
        }
    }
    if !faults.leak_private {
        for name in PRIVATE {
            draft.remove(name);
        }
    }
    draft.build()
}

/// The `icid-value` of a `P-Charging-Vector` value (RFC 7315 4.6), unquoted.
pub fn icid_of(vector: &str) -> Option<String> {
    vector_params(vector)
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("icid-value"))
        .and_then(|(_, value)| value)
        .map(rcs_proto::sip::unquote)
        .filter(|v| !v.is_empty() && v.len() <= MAX_ICID)
}

/// Removes the gateway's own Route entry and every Route after it: the far side gets none.
fn consume_routes(draft: &mut Draft<'_>, request: &Message, leg: &Leg<'_>, faults: &BorderFaults) {
    let routes: Vec<String> = request.header_values("Route");
    draft.remove("Route");
    if !faults.keep_own_route {
        return;
    }
    let own: Vec<&String> = routes
        .iter()
        .filter(|value| NameAddr::parse(value).is_ok_and(|route| (leg.is_own_route)(&route.uri)))
        .collect();
    if !own.is_empty() {
        let value = own
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        draft.insert_before_first_of(&["From", "To", "Call-ID"], "Route", &value);
    }
}

/// The charging vector after the border: the icid kept (or new), its generation address kept,
/// the IOIs of both networks set (RFC 7315 5.4: the IOIs are exchanged between the networks).
fn charging_vector(received: Option<&str>, leg: &Leg<'_>, faults: &BorderFaults) -> String {
    let received = received.unwrap_or_default();
    let icid = icid_of(received)
        .filter(|_| !faults.new_icid)
        .unwrap_or_else(|| leg.new_icid.to_owned());
    let mut out = format!("icid-value={}", quoted_if_needed(&icid));
    let generated = vector_params(received)
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("icid-generated-at"))
        .and_then(|(_, value)| value);
    if let Some(at) = generated.filter(|at| is_token(at)) {
        out.push_str(&format!(";icid-generated-at={at}"));
    }
    if !faults.omit_ioi {
        out.push_str(&format!(
            ";orig-ioi={};term-ioi={}",
            leg.orig_ioi, leg.term_ioi
        ));
    }
    out
}

/// `name[=value]` pairs of a charging vector, in order.
fn vector_params(vector: &str) -> Vec<(&str, Option<&str>)> {
    split_outside(vector, b';')
        .into_iter()
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim())),
            None => (p.trim(), None),
        })
        .collect()
}

fn quoted_if_needed(value: &str) -> String {
    match is_token(value) {
        true => value.to_owned(),
        false => format!("\"{}\"", value.replace(['"', '\\'], "")),
    }
}

/// RFC 3261 25.1 token characters only.
fn is_token(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.!%*_+`'~:".contains(&b))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "border_tests.rs"]
mod tests;
