//! Capabilities: what a system under test declares it does, so only the cases that apply to it run.
//!
//! A case lists the capabilities it needs (`requires:`); a profile lists those its system has
//! (`capabilities:`). A case whose needs are not all declared is skipped with the reason, never
//! failed. The built-in simulators have every capability.

/// Every capability a case may require, with what it means.
pub const CAPABILITIES: &[(&str, &str)] = &[
    (
        "rcs-user-state",
        "tells an RCS user who is offline (480/408) from a user without RCS (404), as an RCS messaging server does",
    ),
    (
        "rcs-conversation-headers",
        "rejects a CPM request that lacks Conversation-ID or Contribution-ID (400)",
    ),
    (
        "imdn",
        "sends, relays or answers delivery and display notifications (RFC 5438)",
    ),
    (
        "cpim",
        "sends and relays pager-mode chat as message/cpim (RFC 3862)",
    ),
    (
        "p-associated-uri",
        "returns P-Associated-URI with the SIP and tel identities in the 200 to REGISTER (RFC 7315)",
    ),
    (
        "service-route",
        "returns Service-Route in the 200 to REGISTER (RFC 3608)",
    ),
    (
        "asserted-identity",
        "asserts the sender with P-Asserted-Identity on requests it relays (RFC 3325)",
    ),
    (
        "store-and-forward",
        "stores chat messages for an offline RCS user (202) and delivers them at its next registration, with a failed IMDN on expiry (protocols.md §4.8)",
    ),
    (
        "store-and-forward-expiry",
        "its store-and-forward retention is set to the case's (PLT-MSG-004: 2 minutes), so expiry can be seen within a run",
    ),
    (
        "revoke",
        "withdraws a stored message on an rcsrevoke request from its sender and reports the result (protocols.md §4.9)",
    ),
    (
        "session-chat",
        "session-mode chat over MSRP (RFC 4975; protocols.md §4.5, §4.6): a terminal opens and answers chat sessions and large-message mode; a platform or gateway routes the session INVITE and carries its MSRP (relay or anchor)",
    ),
    (
        "group-chat",
        "group chat (protocols.md §6): a platform is the focus (conference factory, recipient-list INVITE, conference event, fan-out); a terminal creates, joins and follows groups",
    ),
    (
        "ims-aka",
        "authenticates REGISTER with IMS AKA (AKAv1-MD5, RFC 3310) and re-synchronises on auts (TS 33.102 6.3.5)",
    ),
    (
        "rcs-feature-tags",
        "registers and answers OPTIONS with the RCS feature tags (RCC.07)",
    ),
    (
        "reg-event",
        "notifies the registration state to a subscriber of its own reg event (RFC 3680 NOTIFY with application/reginfo+xml) and can de-register a user from the network side",
    ),
    (
        "ft-http",
        "hosts an FT-HTTP content server: uploads, downloads, ranges, resume and link expiry (RCC.07, protocols.md §5)",
    ),
    (
        "billing-export",
        "exports its charging records (protocols.md §10.3) as JSON at GET /billing/v1/cdrs on its HTTP address (the profile role's `http:`)",
    ),
];

/// Whether `name` is a known capability.
pub fn is_known(name: &str) -> bool {
    CAPABILITIES.iter().any(|(n, _)| *n == name)
}

/// What a capability means, for skip reasons.
pub fn describe(name: &str) -> &'static str {
    CAPABILITIES
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, d)| d)
}

/// Every known capability name.
pub fn names() -> impl Iterator<Item = &'static str> + Clone {
    CAPABILITIES.iter().map(|(n, _)| *n)
}
