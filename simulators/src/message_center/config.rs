//! What a message center is told at start: its settings and its faults.
//!
//! Settings come from the case file (`settings:` of the role) or the `rcs-sim` config file, as a
//! JSON object checked against [`Settings`]; faults are catalogue ids mapped to [`Fault`] flags.
//! Each flag is read at exactly one decision point of the message center.

use std::collections::HashSet;

use rcs_harness::role::HOME_DOMAIN;
use serde::Deserialize;
use serde_json::{Map, Value};

/// The longest registration granted unless the case says otherwise (protocols.md §12).
pub const DEFAULT_MAX_EXPIRES: u32 = 3600;

/// Role settings of a message center.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Settings {
    /// The longest registration granted, in seconds.
    #[serde(default = "default_max_expires")]
    pub max_expires: u32,
    /// The digest realm of the 401 challenge; by default the home domain.
    #[serde(default = "default_realm")]
    pub realm: String,
    /// How REGISTER is authenticated: `md5` (the default) or `aka` (RFC 3310, PLT-REG-002).
    #[serde(default)]
    pub auth: super::registrar::AuthScheme,
    /// Under `auth: aka`, the first vector of each subscriber has a sequence number the terminal
    /// refuses, so it re-synchronises (TS 33.102 6.3.5; PLT-REG-002, TRM-REG-003).
    #[serde(default)]
    pub aka_sqn_out_of_range: bool,
    /// With `aka-sqn-out-of-range`, that sequence number is too far ahead instead of behind.
    #[serde(default)]
    pub aka_sqn_ahead: bool,
    /// Whether a CPM MESSAGE to an offline RCS user is stored and delivered at its next
    /// registration (protocols.md §4.8); otherwise it gets 480.
    #[serde(default = "default_true")]
    pub store_and_forward: bool,
    /// How long a stored message is kept (`7d`, `2min`, `90s`; protocols.md §4.8).
    #[serde(default = "default_retention")]
    pub retention: String,
    /// The namespace of the revoke document (protocols.md §4.9: not verified, configurable).
    #[serde(default = "default_revoke_namespace")]
    pub revoke_namespace: String,
    /// How the revoke result reaches the sender: `revoke-xml` or `imdn` (docs/protocol-notes.md).
    #[serde(default = "default_revoke_result")]
    pub revoke_result: String,
    /// The conference factory URI: an INVITE to it creates a group chat (protocols.md §6.1).
    #[serde(default = "default_conference_factory")]
    pub conference_factory: String,
    /// P-Associated-URI starts with a barred identity of the subscriber (TRM-REG-004).
    #[serde(default)]
    pub barred_first_impu: bool,
    /// The configuration server's `VERS/version` (protocols.md §2.1: >0 valid, 0 reset, -1 reset
    /// and disabled, -2 dormant).
    #[serde(default = "default_config_version")]
    pub config_version: i64,
    /// The configuration's `VERS/validity`, in seconds.
    #[serde(default = "default_config_validity")]
    pub config_validity: u64,
    /// The first GET of a user is answered with the OTP demand; the OTP reaches the user by the
    /// `push-otp` action (protocols.md §2.1 OTP round).
    #[serde(default)]
    pub config_requires_otp: bool,
    /// Every configuration request is answered with this error: 500, 503, 403 or 511.
    #[serde(default)]
    pub config_error: Option<u16>,
    /// The `Retry-After` of a 503 `config-error`, in seconds.
    #[serde(default = "default_config_retry_after")]
    pub config_retry_after: u64,
    /// The content server challenges uploads with Digest (protocols.md §5.1 step 1; PLT-FT-001).
    #[serde(default = "default_true")]
    pub ft_auth: bool,
    /// The largest file the content server takes, in bytes (MaxSizeFileTr; PLT-FT-006).
    #[serde(default = "default_ft_max_size")]
    pub max_size: u64,
    /// How long a file link stays valid, in seconds (`until`; protocols.md §12: 7 days).
    #[serde(default = "default_ft_validity")]
    pub ft_validity: u64,
    /// The chatbot platform domains: requests to them go to the MaaP trunk (protocols.md §7.1).
    #[serde(default = "default_chatbot_domains")]
    pub chatbot_domains: Vec<String>,
    /// The MaaP's SIP address (`host:port`); by default the case's `maap` role.
    #[serde(default)]
    pub maap_trunk: Option<std::net::SocketAddr>,
    /// Network-based fallback of CPM messages to users without RCS: `sms` or `none`
    /// (protocols.md §9.2).
    #[serde(default = "default_fallback")]
    pub fallback: String,
    /// How long a stored message waits before it falls back to SMS (`60s`; protocols.md §9.2).
    #[serde(default = "default_fallback_timer")]
    pub fallback_timer: String,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_expires: DEFAULT_MAX_EXPIRES,
            realm: default_realm(),
            auth: super::registrar::AuthScheme::Md5,
            aka_sqn_out_of_range: false,
            aka_sqn_ahead: false,
            store_and_forward: true,
            retention: default_retention(),
            revoke_namespace: default_revoke_namespace(),
            revoke_result: default_revoke_result(),
            conference_factory: default_conference_factory(),
            barred_first_impu: false,
            config_version: default_config_version(),
            config_validity: default_config_validity(),
            config_requires_otp: false,
            config_error: None,
            config_retry_after: default_config_retry_after(),
            ft_auth: true,
            max_size: default_ft_max_size(),
            ft_validity: default_ft_validity(),
            chatbot_domains: default_chatbot_domains(),
            maap_trunk: None,
            fallback: default_fallback(),
            fallback_timer: default_fallback_timer(),
        }
    }
}

fn default_fallback() -> String {
    "none".to_owned()
}

fn default_fallback_timer() -> String {
    "60s".to_owned()
}

fn default_chatbot_domains() -> Vec<String> {
    super::trunk::DEFAULT_CHATBOT_DOMAINS
        .iter()
        .map(|d| (*d).to_owned())
        .collect()
}

fn default_ft_max_size() -> u64 {
    crate::content_server::DEFAULT_MAX_SIZE
}

fn default_ft_validity() -> u64 {
    crate::content_server::DEFAULT_VALIDITY.as_secs()
}

fn default_config_version() -> i64 {
    1
}

fn default_config_validity() -> u64 {
    86_400
}

fn default_config_retry_after() -> u64 {
    120
}

fn default_true() -> bool {
    true
}

fn default_retention() -> String {
    "7d".to_owned()
}

fn default_revoke_namespace() -> String {
    rcs_proto::revoke::REVOKE_NS.to_owned()
}

fn default_revoke_result() -> String {
    "revoke-xml".to_owned()
}

fn default_max_expires() -> u32 {
    DEFAULT_MAX_EXPIRES
}

fn default_realm() -> String {
    HOME_DOMAIN.to_owned()
}

/// `sip:conf-factory@<home domain>` (protocols.md §6.1).
pub fn default_conference_factory() -> String {
    format!("sip:conf-factory@{HOME_DOMAIN}")
}

impl Settings {
    /// Reads settings from a case's `settings:` object; the error names what is wrong.
    pub fn from_map(map: &Map<String, Value>) -> Result<Self, String> {
        let settings: Self = serde_json::from_value(Value::Object(map.clone()))
            .map_err(|e| format!("invalid message-center settings: {e}"))?;
        settings.check()?;
        Ok(settings)
    }

    /// Checks the values the types allow but the message center cannot use.
    pub fn check(&self) -> Result<(), String> {
        if self.max_expires == 0 {
            return Err("invalid message-center settings: max-expires must be at least 1".into());
        }
        if self.realm.is_empty() || self.realm.contains(['"', '\\', '\r', '\n']) {
            return Err(format!(
                "invalid message-center settings: realm {:?} cannot be quoted in a challenge",
                self.realm
            ));
        }
        super::config_server::check_settings(self)?;
        super::fallback::check(self)?;
        super::saf_settings::check(self)
    }
}

/// One message-center fault: the single rule it breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// A wrong digest response is accepted (RFC 2617 3.2.2, PLT-REG-001).
    AcceptWrongDigest,
    /// The 401 challenge lacks `qop="auth"` (protocols.md §2.4).
    OmitQop,
    /// The 200 to REGISTER lacks P-Associated-URI (RFC 7315 4.1, PLT-REG-003).
    OmitPAssociatedUri,
    /// The 200 to REGISTER lacks Service-Route (RFC 3608, PLT-REG-003).
    OmitServiceRoute,
    /// The granted expiry exceeds the requested one (RFC 3261 10.3 step 7).
    GrantMoreThanRequested,
    /// Bindings never expire (RFC 3261 10.3, PLT-REG-004).
    IgnoreBindingExpiry,
    /// OPTIONS to an offline RCS user gets 404 instead of 480 (protocols.md §3.1).
    OfflineAs404,
    /// OPTIONS to a non-RCS user gets 480 instead of 404 (protocols.md §3.1).
    NonRcsAs480,
    /// The relayed 200 to OPTIONS loses its Contact feature tags (PLT-CAP-001).
    StripContactTags,
    /// The relayed MESSAGE body is re-serialised (RFC 3428 / PLT-MSG-001: byte-identical).
    RewriteCpimBody,
    /// The relayed MESSAGE lacks Conversation-ID (protocols.md §4.2).
    DropConversationId,
    /// The relayed MESSAGE lacks P-Asserted-Identity (RFC 3325, protocols.md §2.5).
    OmitPAssertedIdentity,
    /// A CPM MESSAGE without Contribution-ID or Conversation-ID is forwarded (PLT-MSG-002).
    ForwardWithoutContributionId,
    /// IMDN MESSAGEs are answered 200 but not relayed (RFC 5438, PLT-MSG-005).
    DropImdn,
    /// Malformed requests are dropped instead of answered 400 (RFC 3261 8.2, 21.4.1).
    IgnoreMalformed,
    /// After a malformed request nothing is answered any more (ROB-SIP-002).
    StopAfterMalformed,
    /// The leg-B INVITE lacks the CPM session/largemsg ICSI Accept-Contact (protocols.md §4.1).
    StripSessionIcsi,
    /// A relayed MSRP chunk's body is altered (RFC 4975 7.1.1; protocols.md §4.6 rule 9).
    AlterMsrpContent,
    /// MSRP REPORTs are not relayed to the other leg (RFC 4975 7.1.2).
    DropMsrpReport,
    /// The chunks of an MSRP message are relayed as one reassembled chunk (protocols.md §4.6
    /// rule 9: Byte-Ranges preserved).
    MergeMsrpChunks,
    /// A BYE is answered but not relayed to the other leg (RFC 3261 15.1.2; OMA CPM).
    NoByeRelay,
    /// A CPM INVITE lacking Conversation-ID or Contribution-ID is relayed (protocols.md §4.2).
    AcceptInviteWithoutConversationId,
    /// A stored message is re-delivered with a new CPIM DateTime (protocols.md §4.8).
    SafRewritesCpim,
    /// Stored messages are re-delivered newest first (protocols.md §4.8: order preserved).
    SafOutOfOrder,
    /// An expired stored message is purged without the negative-delivery IMDN (RFC 5438,
    /// protocols.md §4.8).
    SafNoExpiryImdn,
    /// A CPM MESSAGE to an offline RCS user gets 404 instead of being stored (protocols.md §4.8).
    Saf404Offline,
    /// A revoke is confirmed but the message stays stored and is delivered (protocols.md §4.9).
    RevokeIgnored,
    /// A revoke of a message already delivered is reported as a success (protocols.md §4.9).
    RevokeAfterDeliverySucceeds,
    /// The focus fans group messages out with the group URI as CPIM From (protocols.md §6; PLT-GC-003).
    FocusRewritesCpimFrom,
    /// The focus's Contact lacks `isfocus` (RFC 4579 5.1, protocols.md §6.1; PLT-GC-001).
    FocusNoIsfocus,
    /// The last listed participant is never invited (RFC 5366 5, protocols.md §6.1; PLT-GC-001).
    FocusSkipsParticipant,
    /// Partial conference NOTIFYs repeat the version (RFC 4575 4.6; PLT-GC-002).
    ConferenceVersionNotIncreasing,
    /// A REFER is accepted but nobody is invited (RFC 5368 5, protocols.md §6.3; PLT-GC-004).
    ReferNotInvited,
    /// A member who sent BYE keeps getting the group's messages (RFC 4579 5.8; PLT-GC-005).
    DepartedStillReceives,
    /// A subject change is accepted but not notified (protocols.md §6.3; PLT-GC-006).
    SubjectNotNotified,
    /// Every reg NOTIFY of a subscription carries version 0 (RFC 3680 5.1, PLT-REG-005).
    RegNotifyNoVersionIncrease,
    /// No NOTIFY when the registration ends (RFC 3680 4.7, PLT-REG-005).
    NoTerminatedNotify,
    /// The content server answers the empty POST 204 and takes uploads without credentials
    /// while `ft-auth` is on (protocols.md §5.1 step 1; PLT-FT-001).
    FtNoAuthChallenge,
    /// file-info `file-size` is one more than the bytes uploaded (protocols.md §5.3; PLT-FT-002).
    FtWrongFileSize,
    /// A Range download gets 200 and the whole file (RFC 7233 4.1; PLT-FT-004).
    FtRangeIgnored,
    /// A link past its `until` is still served (protocols.md §5.3; PLT-FT-005).
    FtExpiredStillServed,
    /// A file above `max-size` is stored and answered 200 (protocols.md §5.1; PLT-FT-006).
    FtOversizeAccepted,
    /// file-resume-info claims one byte more than arrived (protocols.md §5.1; PLT-FT-003).
    FtResumeInfoWrong,
    /// A download link is served only to the content server's own users (protocols.md §9.1
    /// FT-HTTP across operators; IWK-NNI-006).
    FtDownloadHomeOnly,
    /// After AUTS the old AKA vector is sent again (TS 33.102 6.3.5; PLT-REG-002).
    AkaIgnoresAuts,
    /// A new registration is challenged with the previous AKA vector (TS 33.102 6.3.2; PLT-REG-002).
    AkaReusedNonce,
    /// IMDNs are recorded as chargeable P2P messages (protocols.md §10.3, PLT-CDR-004).
    CdrChargesImdn,
    /// The P2P_MT record has an icid of its own, not the request's (RFC 7315 4.6, PLT-CDR-004).
    CdrIcidMismatch,
    /// SMS fallback puts the IWF's number as originator, not the sender's MSISDN
    /// (protocols.md §9.2; IWK-SMS-001).
    FallbackFromIwf,
    /// After its fallback timer a stored message goes as SMS and stays stored, so it is
    /// delivered again at registration (protocols.md §9.2: once; IWK-SMS-002).
    FallbackStoredCopyDelivered,
    /// A long fallback text is cut to one SMS instead of concatenated (protocols.md §9.2;
    /// IWK-SMS-005).
    FallbackSingleSegment,
    /// The SMS of a file transfer carries the file name without its link (protocols.md §9.2;
    /// IWK-SMS-006).
    FallbackFileWithoutLink,
    /// Under `fallback: sms` the 200 to REGISTER does not advertise `+g.gsma.rcs.msgfallback`
    /// (protocols.md §9.2; IWK-SMS-002).
    NoFallbackTag,
    /// IMDNs and isComposing to a user without RCS go out as SMS (protocols.md §9.2: only
    /// messages; IWK-SMS-001).
    FallbackConvertsNotifications,
    /// A stored message's P2P_MT is written delivered when it is stored, not when it is
    /// delivered (protocols.md §10.3; PLT-CDR-005).
    CdrDeferredAtStore,
    /// A message that went as SMS is also billed a chargeable P2P_MT (protocols.md §10.3:
    /// instead of; PLT-CDR-005).
    CdrFallbackAlsoMt,
    /// CPM sessions and large messages are recorded with `service_mode` `pager`
    /// (protocols.md §10.3; PLT-CDR-006).
    CdrSessionAsPager,
}

impl Fault {
    /// Every message-center fault.
    pub const ALL: [Self; 57] = [
        Self::AcceptWrongDigest,
        Self::OmitQop,
        Self::OmitPAssociatedUri,
        Self::OmitServiceRoute,
        Self::GrantMoreThanRequested,
        Self::IgnoreBindingExpiry,
        Self::OfflineAs404,
        Self::NonRcsAs480,
        Self::StripContactTags,
        Self::RewriteCpimBody,
        Self::DropConversationId,
        Self::OmitPAssertedIdentity,
        Self::ForwardWithoutContributionId,
        Self::DropImdn,
        Self::IgnoreMalformed,
        Self::StopAfterMalformed,
        Self::StripSessionIcsi,
        Self::AlterMsrpContent,
        Self::DropMsrpReport,
        Self::MergeMsrpChunks,
        Self::NoByeRelay,
        Self::AcceptInviteWithoutConversationId,
        Self::SafRewritesCpim,
        Self::SafOutOfOrder,
        Self::SafNoExpiryImdn,
        Self::Saf404Offline,
        Self::RevokeIgnored,
        Self::RevokeAfterDeliverySucceeds,
        Self::FocusRewritesCpimFrom,
        Self::FocusNoIsfocus,
        Self::FocusSkipsParticipant,
        Self::ConferenceVersionNotIncreasing,
        Self::ReferNotInvited,
        Self::DepartedStillReceives,
        Self::SubjectNotNotified,
        Self::RegNotifyNoVersionIncrease,
        Self::NoTerminatedNotify,
        Self::FtNoAuthChallenge,
        Self::FtWrongFileSize,
        Self::FtRangeIgnored,
        Self::FtExpiredStillServed,
        Self::FtOversizeAccepted,
        Self::FtResumeInfoWrong,
        Self::FtDownloadHomeOnly,
        Self::AkaIgnoresAuts,
        Self::AkaReusedNonce,
        Self::CdrChargesImdn,
        Self::CdrIcidMismatch,
        Self::FallbackFromIwf,
        Self::FallbackStoredCopyDelivered,
        Self::FallbackSingleSegment,
        Self::FallbackFileWithoutLink,
        Self::NoFallbackTag,
        Self::FallbackConvertsNotifications,
        Self::CdrDeferredAtStore,
        Self::CdrFallbackAlsoMt,
        Self::CdrSessionAsPager,
    ];

    /// The catalogue id.
    pub fn id(self) -> &'static str {
        match self {
            Self::AcceptWrongDigest => "message-center.accept-wrong-digest",
            Self::OmitQop => "message-center.omit-qop",
            Self::OmitPAssociatedUri => "message-center.omit-p-associated-uri",
            Self::OmitServiceRoute => "message-center.omit-service-route",
            Self::GrantMoreThanRequested => "message-center.grant-more-than-requested",
            Self::IgnoreBindingExpiry => "message-center.ignore-binding-expiry",
            Self::OfflineAs404 => "message-center.offline-as-404",
            Self::NonRcsAs480 => "message-center.non-rcs-as-480",
            Self::StripContactTags => "message-center.strip-contact-tags",
            Self::RewriteCpimBody => "message-center.rewrite-cpim-body",
            Self::DropConversationId => "message-center.drop-conversation-id",
            Self::OmitPAssertedIdentity => "message-center.omit-p-asserted-identity",
            Self::ForwardWithoutContributionId => "message-center.forward-without-contribution-id",
            Self::DropImdn => "message-center.drop-imdn",
            Self::IgnoreMalformed => "message-center.ignore-malformed",
            Self::StopAfterMalformed => "message-center.stop-after-malformed",
            Self::StripSessionIcsi => "message-center.strip-session-icsi",
            Self::AlterMsrpContent => "message-center.alter-msrp-content",
            Self::DropMsrpReport => "message-center.drop-msrp-report",
            Self::MergeMsrpChunks => "message-center.merge-msrp-chunks",
            Self::NoByeRelay => "message-center.no-bye-relay",
            Self::AcceptInviteWithoutConversationId => {
                "message-center.accept-invite-without-conversation-id"
            }
            Self::SafRewritesCpim => "message-center.saf-rewrites-cpim",
            Self::SafOutOfOrder => "message-center.saf-out-of-order",
            Self::SafNoExpiryImdn => "message-center.saf-no-expiry-imdn",
            Self::Saf404Offline => "message-center.saf-404-offline",
            Self::RevokeIgnored => "message-center.revoke-ignored",
            Self::RevokeAfterDeliverySucceeds => "message-center.revoke-after-delivery-succeeds",
            Self::FocusRewritesCpimFrom => "message-center.focus-rewrites-cpim-from",
            Self::FocusNoIsfocus => "message-center.focus-no-isfocus",
            Self::FocusSkipsParticipant => "message-center.focus-skips-participant",
            Self::ConferenceVersionNotIncreasing => {
                "message-center.conference-version-not-increasing"
            }
            Self::ReferNotInvited => "message-center.refer-not-invited",
            Self::DepartedStillReceives => "message-center.departed-still-receives",
            Self::SubjectNotNotified => "message-center.subject-not-notified",
            Self::RegNotifyNoVersionIncrease => "message-center.reg-notify-no-version-increase",
            Self::NoTerminatedNotify => "message-center.no-terminated-notify",
            Self::FtNoAuthChallenge => "message-center.ft-no-auth-challenge",
            Self::FtWrongFileSize => "message-center.ft-wrong-file-size",
            Self::FtRangeIgnored => "message-center.ft-range-ignored",
            Self::FtExpiredStillServed => "message-center.ft-expired-still-served",
            Self::FtOversizeAccepted => "message-center.ft-oversize-accepted",
            Self::FtResumeInfoWrong => "message-center.ft-resume-info-wrong",
            Self::FtDownloadHomeOnly => "message-center.ft-download-home-only",
            Self::AkaIgnoresAuts => "message-center.aka-ignores-auts",
            Self::AkaReusedNonce => "message-center.aka-reused-nonce",
            Self::CdrChargesImdn => "message-center.cdr-charges-imdn",
            Self::CdrIcidMismatch => "message-center.cdr-icid-mismatch",
            Self::FallbackFromIwf => "message-center.fallback-from-iwf",
            Self::FallbackStoredCopyDelivered => "message-center.fallback-stored-copy-delivered",
            Self::FallbackSingleSegment => "message-center.fallback-single-segment",
            Self::FallbackFileWithoutLink => "message-center.fallback-file-without-link",
            Self::NoFallbackTag => "message-center.no-fallback-tag",
            Self::FallbackConvertsNotifications => "message-center.fallback-converts-notifications",
            Self::CdrDeferredAtStore => "message-center.cdr-deferred-at-store",
            Self::CdrFallbackAlsoMt => "message-center.cdr-fallback-also-mt",
            Self::CdrSessionAsPager => "message-center.cdr-session-as-pager",
        }
    }

    /// The fault with this catalogue id.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|fault| fault.id() == id)
    }
}

/// The faults a message center was started with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults(HashSet<Fault>);

impl Faults {
    /// Reads catalogue ids; the error names the first id that is not a message-center fault.
    pub fn from_ids(ids: &[String]) -> Result<Self, String> {
        ids.iter()
            .map(|id| {
                Fault::from_id(id).ok_or_else(|| format!("unknown message-center fault `{id}`"))
            })
            .collect::<Result<HashSet<_>, _>>()
            .map(Self)
    }

    /// Whether `fault` is on.
    pub fn has(&self, fault: Fault) -> bool {
        self.0.contains(&fault)
    }
}

/// Settings and faults together.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The settings.
    pub settings: Settings,
    /// The faults.
    pub faults: Faults,
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
    fn settings_default_and_override() {
        assert_eq!(
            Settings::from_map(&Map::new()).unwrap(),
            Settings::default()
        );
        let s = Settings::from_map(&map(json!({"max-expires": 60, "realm": "r.example"}))).unwrap();
        assert_eq!((s.max_expires, s.realm.as_str()), (60, "r.example"));
    }

    #[test]
    fn settings_reject_unknown_keys_and_bad_values() {
        let err = Settings::from_map(&map(json!({"max-expire": 60}))).unwrap_err();
        assert!(err.contains("unknown field `max-expire`"), "{err}");
        assert!(Settings::from_map(&map(json!({"max-expires": "60"}))).is_err());
        assert!(Settings::from_map(&map(json!({"max-expires": 0}))).is_err());
        assert!(Settings::from_map(&map(json!({"realm": "a\"b"}))).is_err());
    }

    #[test]
    fn every_fault_id_round_trips_and_is_in_the_catalogue() {
        let catalogue = crate::faults::catalogue();
        for fault in Fault::ALL {
            assert_eq!(Fault::from_id(fault.id()), Some(fault));
            assert!(
                catalogue.iter().any(|spec| spec.id == fault.id()),
                "{}",
                fault.id()
            );
        }
        let mc = catalogue
            .iter()
            .filter(|s| s.kind == rcs_harness::role::RoleKind::MessageCenter)
            .count();
        assert_eq!(mc, Fault::ALL.len());
        let faults = Faults::from_ids(&["message-center.drop-imdn".into()]).unwrap();
        assert!(faults.has(Fault::DropImdn));
        assert!(!faults.has(Fault::OmitQop));
        assert!(Faults::from_ids(&["terminal.reject-message".into()]).is_err());
    }
}
