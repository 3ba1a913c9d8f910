//! The interworking gateway's settings and faults, read from the case (contracts B).
//!
//! Settings: `trusted` (the carriers whose networks are in its trust domain, RFC 3325 2.3;
//! default every carrier), `nni-max-chunk` (the largest MSRP chunk sent across the NNI, bytes,
//! default 2048; IR.90 "MSRP Chunk Size Handling"), `portability` (route by the number portability
//! database, default true). SMS fallback is not the gateway's: the message center of the
//! recipient's carrier converts (its `fallback` setting), so a message crosses the NNI as chat.
//! Each fault id of [`FAULTS`] switches one rule off.

use rcs_harness::role::Carrier;
use serde_json::{Map, Value};

use super::border::BorderFaults;
use super::capability::CapabilityFaults;

/// The largest MSRP chunk across the NNI unless the case says otherwise.
pub const DEFAULT_NNI_MAX_CHUNK: usize = 2048;

/// The smallest and largest `nni-max-chunk` accepted.
const CHUNK_LIMITS: (usize, usize) = (64, 1 << 20);

/// `(id, description)` of every interworking gateway fault.
pub const FAULTS: &[(&str, &str)] = &[
    (
        "peer-carrier.path-not-rewritten",
        "a session INVITE crosses the NNI with the SDP it came with: a=path names the sender's network, not the gateway's relay",
    ),
    (
        "peer-carrier.no-rechunk",
        "MSRP chunks cross the NNI as they came, bigger than nni-max-chunk",
    ),
    (
        "peer-carrier.identity-to-untrusted",
        "P-Asserted-Identity crosses the NNI to a carrier outside the trust domain",
    ),
    (
        "peer-carrier.strip-trusted-identity",
        "P-Asserted-Identity is removed even toward a trusted carrier",
    ),
    (
        "peer-carrier.keep-own-route",
        "the gateway's own Route entry is not consumed and crosses the NNI",
    ),
    (
        "peer-carrier.no-topology-hiding",
        "internal Via and Record-Route entries cross the NNI",
    ),
    (
        "peer-carrier.new-icid",
        "the P-Charging-Vector icid-value is replaced by a new one at the border",
    ),
    (
        "peer-carrier.omit-ioi",
        "P-Charging-Vector crosses the NNI without orig-ioi and term-ioi",
    ),
    (
        "peer-carrier.leak-private-headers",
        "P-Access-Network-Info, P-Visited-Network-ID and P-Charging-Function-Addresses cross the NNI",
    ),
    (
        "peer-carrier.drop-conversation-ids",
        "Conversation-ID and Contribution-ID are dropped at the border",
    ),
    (
        "peer-carrier.ignore-portability",
        "numbers are routed by their range only: a ported number goes to the carrier that issued it",
    ),
    (
        "peer-carrier.drop-imdn",
        "MESSAGEs carrying an IMDN are answered 200 by the gateway and not relayed",
    ),
    (
        "peer-carrier.no-chatbot-routing",
        "a request to another carrier's chatbot domain is refused (404) instead of crossing the NNI",
    ),
    (
        "peer-carrier.nni-cdr-missing",
        "the sending gateway keeps no NNI_OUT record of a chat message it sends across the NNI",
    ),
    (
        "peer-carrier.options-offline-as-404",
        "an OPTIONS answer 480/408 (RCS user offline) crosses the NNI as 404 (not an RCS user)",
    ),
    (
        "peer-carrier.strip-contact-tags",
        "the Contact of an OPTIONS 200 crosses the NNI without its feature tags",
    ),
    (
        "peer-carrier.refuse-untrusted",
        "a request for a carrier outside the trust domain is refused (403) instead of crossing without P-Asserted-Identity",
    ),
    (
        "peer-carrier.leak-instance",
        "a session INVITE's Contact crosses the NNI with the originating device's +sip.instance, reg-id and GRUU",
    ),
    (
        "peer-carrier.no-update-relay",
        "an UPDATE (session refresh) in a session across the NNI is answered 200 by the gateway and not relayed to the other leg",
    ),
    (
        "peer-carrier.no-subscription-relay",
        "SUBSCRIBE, NOTIFY and REFER are answered 501 at the border instead of crossing (a group member of another carrier gets no conference state)",
    ),
    (
        "peer-carrier.drop-notify",
        "a NOTIFY of a subscription across the NNI (a group's conference state) is answered 200 by the gateway and not relayed",
    ),
];

/// The gateway's settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// The carriers in its trust domain.
    pub trusted: Vec<Carrier>,
    /// The largest MSRP chunk sent across the NNI.
    pub nni_max_chunk: usize,
    /// Whether numbers are routed by the portability database.
    pub portability: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            trusted: Carrier::ALL.to_vec(),
            nni_max_chunk: DEFAULT_NNI_MAX_CHUNK,
            portability: true,
        }
    }
}

impl Settings {
    /// Reads the case's settings.
    pub fn from_map(settings: &Map<String, Value>) -> Result<Self, String> {
        let mut out = Self::default();
        for (name, value) in settings {
            match name.as_str() {
                "trusted" => out.trusted = carriers(value)?,
                "nni-max-chunk" => out.nni_max_chunk = chunk(value)?,
                "portability" => {
                    out.portability = value
                        .as_bool()
                        .ok_or("setting `portability` must be true or false")?;
                }
                other => {
                    return Err(format!(
                        "unknown peer-carrier setting `{other}` \
                         (known: trusted, nni-max-chunk, portability)"
                    ));
                }
            }
        }
        Ok(out)
    }

    /// Whether `carrier` is in the trust domain.
    pub fn trusts(&self, carrier: Carrier) -> bool {
        self.trusted.contains(&carrier)
    }
}

fn carriers(value: &Value) -> Result<Vec<Carrier>, String> {
    let list = value
        .as_array()
        .ok_or("setting `trusted` must be a list of carriers (cmcc, cucc, ctcc)")?;
    list.iter()
        .map(|item| {
            item.as_str()
                .and_then(|s| s.parse::<Carrier>().ok())
                .ok_or_else(|| format!("setting `trusted`: `{item}` is not cmcc, cucc or ctcc"))
        })
        .collect()
}

fn chunk(value: &Value) -> Result<usize, String> {
    let (low, high) = CHUNK_LIMITS;
    value
        .as_u64()
        .and_then(|n| usize::try_from(n).ok())
        .filter(|n| (low..=high).contains(n))
        .ok_or_else(|| format!("setting `nni-max-chunk` must be a number of bytes {low}..={high}"))
}

/// The faults a gateway was started with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// The border rules switched off.
    pub border: BorderFaults,
    /// Route by number range only.
    pub ignore_portability: bool,
    /// Answer IMDNs without relaying them.
    pub drop_imdn: bool,
    /// A session INVITE's SDP crosses as it came (no MSRP anchoring in the offer).
    pub path_not_rewritten: bool,
    /// MSRP chunks cross the NNI whatever their size.
    pub no_rechunk: bool,
    /// Refuse requests to other carriers' chatbot domains.
    pub no_chatbot_routing: bool,
    /// Keep no NNI_OUT billing record (protocols.md §10.3).
    pub nni_cdr_missing: bool,
    /// OPTIONS answers changed on their way back (see `capability`).
    pub capability: CapabilityFaults,
    /// Refuse requests toward an untrusted carrier.
    pub refuse_untrusted: bool,
    /// Answer NOTIFYs without relaying them (see `subscription`).
    pub drop_notify: bool,
    /// Answer SUBSCRIBE, NOTIFY and REFER 501 (see `subscription`).
    pub no_subscription_relay: bool,
    /// The far leg's Contact keeps the caller's device identifiers (see `far_leg`).
    pub leak_instance: bool,
    /// Answer UPDATEs in a session without relaying them (see `session`).
    pub no_update_relay: bool,
}

impl Faults {
    /// The faults named by `ids`; an id not of [`FAULTS`] is refused.
    pub fn from_ids(ids: &[String]) -> Result<Self, String> {
        let mut out = Self::default();
        for id in ids {
            let border = &mut out.border;
            match id.trim_start_matches("peer-carrier.") {
                "identity-to-untrusted" => border.identity_to_untrusted = true,
                "strip-trusted-identity" => border.strip_trusted_identity = true,
                "keep-own-route" => border.keep_own_route = true,
                "no-topology-hiding" => border.leak_topology = true,
                "new-icid" => border.new_icid = true,
                "omit-ioi" => border.omit_ioi = true,
                "leak-private-headers" => border.leak_private = true,
                "drop-conversation-ids" => border.drop_conversation_ids = true,
                "ignore-portability" => out.ignore_portability = true,
                "drop-imdn" => out.drop_imdn = true,
                "path-not-rewritten" => out.path_not_rewritten = true,
                "no-rechunk" => out.no_rechunk = true,
                "no-chatbot-routing" => out.no_chatbot_routing = true,
                "nni-cdr-missing" => out.nni_cdr_missing = true,
                "options-offline-as-404" => out.capability.offline_as_404 = true,
                "strip-contact-tags" => out.capability.strip_contact_tags = true,
                "refuse-untrusted" => out.refuse_untrusted = true,
                "drop-notify" => out.drop_notify = true,
                "no-subscription-relay" => out.no_subscription_relay = true,
                "leak-instance" => out.leak_instance = true,
                "no-update-relay" => out.no_update_relay = true,
                _ => return Err(format!("unknown peer-carrier fault `{id}`")),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn settings_default_and_read() {
        assert_eq!(
            Settings::from_map(&Map::new()).unwrap(),
            Settings::default()
        );
        let read = Settings::from_map(&map(json!({
            "trusted": ["cucc"], "nni-max-chunk": 4096, "portability": false
        })))
        .unwrap();
        assert!(read.trusts(Carrier::Cucc) && !read.trusts(Carrier::Ctcc));
        assert_eq!(read.nni_max_chunk, 4096);
        assert!(!read.portability);
        let none = Settings::from_map(&map(json!({ "trusted": [] }))).unwrap();
        assert!(Carrier::ALL.iter().all(|c| !none.trusts(*c)));
    }

    #[test]
    fn bad_settings_are_named() {
        let err = |v| Settings::from_map(&map(v)).unwrap_err();
        assert!(err(json!({ "trusted": ["att"] })).contains("`\"att\"`"));
        assert!(err(json!({ "nni-max-chunk": 1 })).contains("nni-max-chunk"));
        assert!(err(json!({ "trust": [] })).contains("unknown peer-carrier setting `trust`"));
        let fallback = err(json!({ "fallback": "sms" }));
        assert!(fallback.contains("unknown peer-carrier setting `fallback`"));
    }

    #[test]
    fn every_listed_fault_switches_something() {
        for (id, _) in FAULTS {
            let faults = Faults::from_ids(&[(*id).to_owned()]).unwrap();
            assert_ne!(faults, Faults::default(), "{id}");
        }
        assert!(Faults::from_ids(&["peer-carrier.nope".to_owned()]).is_err());
    }
}
