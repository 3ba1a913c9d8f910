//! The terminal's fault switches: which single rule a faulty terminal breaks.
//!
//! Each fault id of the catalogue (`terminal.*`) maps to one flag here, and each flag is read at
//! exactly one decision point in the terminal's code. This module only parses the ids; it does
//! not describe the faults to users (the factory's catalogue does).

/// One terminal fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    /// REGISTER Contact lacks `+sip.instance` (RFC 5626 4.1).
    OmitSipInstance,
    /// `+g.3gpp.icsi-ref` values are not URL-encoded (protocols.md §2.2, §14 fact 2).
    UnencodedIcsi,
    /// REGISTER Contact lacks the `rcs.chatbot` and `rcs.chatbot.sa` IARIs (protocols.md §2.3).
    OmitChatbotIari,
    /// The digest response is computed with the wrong method in HA2 (RFC 2617 3.2.2.3).
    WrongDigestResponse,
    /// 200 to OPTIONS carries no feature tags in its Contact (protocols.md §3.1).
    OptionsWithoutTags,
    /// Pager MESSAGE sent without Conversation-ID (protocols.md §4.2).
    OmitConversationId,
    /// The CPIM of a pager message lacks `imdn.Message-ID` (RFC 5438 6.3).
    OmitImdnMessageId,
    /// Pager MESSAGE body is text/plain instead of message/cpim (protocols.md §4.3).
    PlainTextPager,
    /// Incoming MESSAGE answered 488 instead of 200 (RFC 3428 7).
    RejectMessage,
    /// An IMDN reuses the original message's `imdn.Message-ID` (RFC 5438 6.3).
    ImdnReusesMessageId,
    /// An IMDN's `<message-id>` does not reference the original message (RFC 5438 7.2.1.1).
    ImdnWrongReference,
    /// A session-mode INVITE lacks the session ICSI in Accept-Contact (protocols.md §4.1).
    SessionWithoutIcsi,
    /// The SDP answer repeats the offer's `a=setup` (RFC 6135 4.2, RFC 4145 4.1).
    SetupNotComplementary,
    /// No success REPORT is sent (RFC 4975 7.1.2).
    NoMsrpReport,
    /// The success REPORT covers only the last chunk (RFC 4975 7.1.2).
    MsrpPartialReport,
    /// The large-message SDP is `sendrecv` (protocols.md §4.1, §4.5).
    LargemsgSendrecv,
    /// The large-message INVITE's CPIM envelope carries the payload (protocols.md §4.5).
    LargemsgInlinePayload,
    /// A chunked message is IMDN'd once per chunk (RFC 4975 7.3.1, RFC 5438 7).
    ImdnPerChunk,
    /// The registration is never refreshed (protocols.md §2.5 rule 1, TRM-REG-005).
    NoReregistration,
    /// A reg NOTIFY deactivating the contact does not lead to a new REGISTER (RFC 3680 4.8,
    /// TS 24.229 5.1.1.7; TRM-REG-006).
    IgnoreDeregistrationNotify,
    /// The first P-Associated-URI is used even when barred (protocols.md §2.5 rule 2).
    UsesBarredImpu,
    /// Originating requests carry no Route from Service-Route (RFC 3608 6).
    IgnoresServiceRoute,
    /// A deferred delivery gets its delivery IMDN twice (RFC 5438 7, TRM-CHAT-009).
    DuplicateDeferredImdn,
    /// The upload's form parts are named `file` and `thumbnail` instead of `File` and
    /// `Thumbnail` (protocols.md §5.1, §5.3 MUST; TRM-FT-001).
    FtWrongPartNames,
    /// The FT descriptor MESSAGE lacks the fthttp Accept-Contact (protocols.md §4.1; TRM-FT-002).
    FtDescriptorWithoutFthttpTag,
    /// Content-server requests lack X-3GPP-Intended-Identity (protocols.md §5.3; TRM-FT-003).
    FtNoIntendedIdentity,
    /// A cut upload starts over with a new POST instead of resuming (protocols.md §5.1;
    /// TRM-FT-004).
    FtRestartsUpload,
    /// An expired link (404/410) is asked for again (protocols.md §5.3; TRM-FT-005).
    FtRetriesExpired,
    /// A voice message's file-info lacks `am:playing-length` (protocols.md §5.2; TRM-FT-006).
    FtVoiceWithoutPlayingLength,
    /// The configuration request lacks `rcs_profile` (protocols.md §2.1; TRM-CFG-001).
    ConfigMissingRcsProfile,
    /// A configuration request goes out before a 503's Retry-After (RFC 9110 10.2.3; TRM-CFG-004).
    ConfigRetriesEarly,
    /// REGISTER goes out although the configuration disabled RCS (protocols.md §2.1 version -2;
    /// TRM-CFG-003).
    ConfigRegistersWhenDisabled,
    /// The re-fetch at validity expiry sends `vers=0` instead of the version held (protocols.md
    /// §2.1; TRM-CFG-005).
    ConfigRefetchWithVers0,
    /// The creation INVITE has no resource-list part (RFC 5366 5, protocols.md §6.1).
    GroupInviteWithoutResourceList,
    /// The creation INVITE lacks `Require: recipient-list-invite` (RFC 5366 5).
    GroupNoRecipientListInviteRequire,
    /// No SUBSCRIBE to the conference state after joining (protocols.md §6.2).
    NoConferenceSubscribe,
    /// Leaving a group ends the session without a BYE (protocols.md §6.3).
    LeaveWithoutBye,
    /// The subject change names the target `icon` (protocols.md §6.3).
    SubjectWrongTarget,
    /// After OPTIONS 404 the text goes as CPM instead of SMS (protocols.md §3.1; TRM-CAP-002).
    CpmToNonRcs,
    /// After OPTIONS 480 the text goes as SMS instead of CPM (protocols.md §3.1, §4.8; TRM-CAP-003).
    SmsForOffline,
    /// A received isComposing is answered with an IMDN (RFC 3994, RFC 5438 7; TRM-CHAT-008).
    ImdnForComposing,
    /// isComposing is sent in CPIM asking for IMDNs (RFC 3994 3.3; TRM-CHAT-008).
    ComposingWrappedWithDisposition,
    /// Opening a message again sends another displayed IMDN (RFC 5438 7; TRM-IMDN-002).
    DisplayedTwice,
    /// Displayed IMDNs go out with read receipts off (RFC 5438 7; TRM-IMDN-002).
    DisplayedWhenReceiptsOff,
    /// A message without Disposition-Notification gets a delivery IMDN (RFC 5438 7; TRM-IMDN-003).
    UnsolicitedImdn,
    /// IMDN CPIM From/To carry the user's identities (protocols.md §4.4; TRM-IMDN-004).
    ImdnNotAnonymous,
    /// An IMDN for an unknown message id moves the last sent message's status (RFC 5438 7; TRM-IMDN-005).
    StatusFromUnknownImdn,
    /// Characters beyond the BMP (4-byte emoji) are sent as `?` (RFC 3862, RFC 3629; TRM-CHAT-010).
    Utf8Mangled,
    /// The AKA resynchronisation request carries a non-empty response (RFC 3310 3.4; TRM-REG-003).
    AkaResyncWithResponse,
    /// The AKA digest is computed with a wrong RES (RFC 3310 3.4; TRM-REG-003).
    AkaWrongRes,
    /// A standalone message to a chatbot lacks the `rcs.chatbot.sa` Accept-Contact (protocols.md §7.1; TRM-BOT-001).
    BotNoSaIari,
    /// A chatbot session's SDP lacks the chatbot accept-wrapped-types (protocols.md §7.1; TRM-BOT-002).
    BotSessionNoWrappedTypes,
    /// A suggestion response carries the displayText as its postback data (protocols.md §7.5; TRM-BOT-003).
    BotResponseWrongPostback,
    /// A response to a bot message lacks InReplyTo-Contribution-ID (protocols.md §7.5; TRM-BOT-003).
    BotNoInReplyTo,
    /// `+g.gsma.rcs.isbot` in an OPTIONS answer does not make the peer a chatbot (protocols.md §3.1; TRM-CAP-004).
    BotNoIsbotDetection,
    /// A spam report carries more than 10 Message-IDs (protocols.md §7.6; TRM-BOT-010).
    BotSpamTooManyIds,
    /// The geo fallback location says `crs=wgs84` instead of `crs=gcj02` (protocols.md §7.5; TRM-BOT-008).
    BotLocationWgs84,
    /// Device specifics are sent uncut, over the schema lengths (protocols.md §7.5; TRM-BOT-007).
    BotDeviceFieldsTooLong,
    /// Bot information is asked for again without If-None-Match (protocols.md §7.6; TRM-BOT-009).
    BotNoIfNoneMatch,
    /// A rich card's media and thumbnail are never fetched (protocols.md §7.3; TRM-BOT-004).
    BotCardMediaNotFetched,
    /// Only the first card of a carousel offers its suggestions (protocols.md §7.3; TRM-BOT-005).
    BotCarouselFirstCardOnly,
    /// A tapped action's response is labelled `reply` instead of `action` (protocols.md §7.5; TRM-BOT-006).
    BotActionResponseAsReply,
    /// Messages of a blocked chatbot are still shown and IMDN'd (protocols.md §7.6; TRM-BOT-010).
    BotBlockIgnored,
}

impl Fault {
    /// Every terminal fault, in catalogue order.
    pub(crate) const ALL: [Self; 63] = [
        Self::OmitSipInstance,
        Self::UnencodedIcsi,
        Self::OmitChatbotIari,
        Self::WrongDigestResponse,
        Self::OptionsWithoutTags,
        Self::OmitConversationId,
        Self::OmitImdnMessageId,
        Self::PlainTextPager,
        Self::RejectMessage,
        Self::ImdnReusesMessageId,
        Self::ImdnWrongReference,
        Self::SessionWithoutIcsi,
        Self::SetupNotComplementary,
        Self::NoMsrpReport,
        Self::MsrpPartialReport,
        Self::LargemsgSendrecv,
        Self::LargemsgInlinePayload,
        Self::ImdnPerChunk,
        Self::NoReregistration,
        Self::IgnoreDeregistrationNotify,
        Self::UsesBarredImpu,
        Self::IgnoresServiceRoute,
        Self::DuplicateDeferredImdn,
        Self::FtWrongPartNames,
        Self::FtDescriptorWithoutFthttpTag,
        Self::FtNoIntendedIdentity,
        Self::FtRestartsUpload,
        Self::FtRetriesExpired,
        Self::FtVoiceWithoutPlayingLength,
        Self::ConfigMissingRcsProfile,
        Self::ConfigRetriesEarly,
        Self::ConfigRegistersWhenDisabled,
        Self::ConfigRefetchWithVers0,
        Self::GroupInviteWithoutResourceList,
        Self::GroupNoRecipientListInviteRequire,
        Self::NoConferenceSubscribe,
        Self::LeaveWithoutBye,
        Self::SubjectWrongTarget,
        Self::CpmToNonRcs,
        Self::SmsForOffline,
        Self::ImdnForComposing,
        Self::ComposingWrappedWithDisposition,
        Self::DisplayedTwice,
        Self::DisplayedWhenReceiptsOff,
        Self::UnsolicitedImdn,
        Self::ImdnNotAnonymous,
        Self::StatusFromUnknownImdn,
        Self::Utf8Mangled,
        Self::AkaResyncWithResponse,
        Self::AkaWrongRes,
        Self::BotNoSaIari,
        Self::BotSessionNoWrappedTypes,
        Self::BotResponseWrongPostback,
        Self::BotNoInReplyTo,
        Self::BotNoIsbotDetection,
        Self::BotSpamTooManyIds,
        Self::BotLocationWgs84,
        Self::BotDeviceFieldsTooLong,
        Self::BotNoIfNoneMatch,
        Self::BotCardMediaNotFetched,
        Self::BotCarouselFirstCardOnly,
        Self::BotActionResponseAsReply,
        Self::BotBlockIgnored,
    ];

    /// The catalogue id, e.g. `terminal.omit-sip-instance`.
    pub(crate) fn id(self) -> &'static str {
        match self {
            Self::OmitSipInstance => "terminal.omit-sip-instance",
            Self::UnencodedIcsi => "terminal.unencoded-icsi",
            Self::OmitChatbotIari => "terminal.omit-chatbot-iari",
            Self::WrongDigestResponse => "terminal.wrong-digest-response",
            Self::OptionsWithoutTags => "terminal.options-without-tags",
            Self::OmitConversationId => "terminal.omit-conversation-id",
            Self::OmitImdnMessageId => "terminal.omit-imdn-message-id",
            Self::PlainTextPager => "terminal.plain-text-pager",
            Self::RejectMessage => "terminal.reject-message",
            Self::ImdnReusesMessageId => "terminal.imdn-reuses-message-id",
            Self::ImdnWrongReference => "terminal.imdn-wrong-reference",
            Self::SessionWithoutIcsi => "terminal.session-without-icsi",
            Self::SetupNotComplementary => "terminal.setup-not-complementary",
            Self::NoMsrpReport => "terminal.no-msrp-report",
            Self::MsrpPartialReport => "terminal.msrp-partial-report",
            Self::LargemsgSendrecv => "terminal.largemsg-sendrecv",
            Self::LargemsgInlinePayload => "terminal.largemsg-inline-payload",
            Self::ImdnPerChunk => "terminal.imdn-per-chunk",
            Self::NoReregistration => "terminal.no-reregistration",
            Self::IgnoreDeregistrationNotify => "terminal.ignore-deregistration-notify",
            Self::UsesBarredImpu => "terminal.uses-barred-impu",
            Self::IgnoresServiceRoute => "terminal.ignores-service-route",
            Self::DuplicateDeferredImdn => "terminal.duplicate-deferred-imdn",
            Self::FtWrongPartNames => "terminal.ft-wrong-part-names",
            Self::FtDescriptorWithoutFthttpTag => "terminal.ft-descriptor-without-fthttp-tag",
            Self::FtNoIntendedIdentity => "terminal.ft-no-intended-identity",
            Self::FtRestartsUpload => "terminal.ft-restarts-upload",
            Self::FtRetriesExpired => "terminal.ft-retries-expired",
            Self::FtVoiceWithoutPlayingLength => "terminal.ft-voice-without-playing-length",
            Self::ConfigMissingRcsProfile => "terminal.config-missing-rcs-profile",
            Self::ConfigRetriesEarly => "terminal.config-retries-early",
            Self::ConfigRegistersWhenDisabled => "terminal.config-registers-when-disabled",
            Self::ConfigRefetchWithVers0 => "terminal.config-refetch-with-vers-0",
            Self::GroupInviteWithoutResourceList => "terminal.group-invite-without-resource-list",
            Self::GroupNoRecipientListInviteRequire => {
                "terminal.group-no-recipient-list-invite-require"
            }
            Self::NoConferenceSubscribe => "terminal.no-conference-subscribe",
            Self::LeaveWithoutBye => "terminal.leave-without-bye",
            Self::SubjectWrongTarget => "terminal.subject-wrong-target",
            Self::CpmToNonRcs => "terminal.cpm-to-non-rcs",
            Self::SmsForOffline => "terminal.sms-for-offline",
            Self::ImdnForComposing => "terminal.imdn-for-composing",
            Self::ComposingWrappedWithDisposition => "terminal.composing-wrapped-with-disposition",
            Self::DisplayedTwice => "terminal.displayed-twice",
            Self::DisplayedWhenReceiptsOff => "terminal.displayed-when-receipts-off",
            Self::UnsolicitedImdn => "terminal.unsolicited-imdn",
            Self::ImdnNotAnonymous => "terminal.imdn-not-anonymous",
            Self::StatusFromUnknownImdn => "terminal.status-from-unknown-imdn",
            Self::Utf8Mangled => "terminal.utf8-mangled",
            Self::AkaResyncWithResponse => "terminal.aka-resync-with-response",
            Self::AkaWrongRes => "terminal.aka-wrong-res",
            Self::BotNoSaIari => "terminal.bot-no-sa-iari",
            Self::BotSessionNoWrappedTypes => "terminal.bot-session-no-wrapped-types",
            Self::BotResponseWrongPostback => "terminal.bot-response-wrong-postback",
            Self::BotNoInReplyTo => "terminal.bot-no-in-reply-to",
            Self::BotNoIsbotDetection => "terminal.bot-no-isbot-detection",
            Self::BotSpamTooManyIds => "terminal.bot-spam-too-many-ids",
            Self::BotLocationWgs84 => "terminal.bot-location-wgs84",
            Self::BotDeviceFieldsTooLong => "terminal.bot-device-fields-too-long",
            Self::BotNoIfNoneMatch => "terminal.bot-no-if-none-match",
            Self::BotCardMediaNotFetched => "terminal.bot-card-media-not-fetched",
            Self::BotCarouselFirstCardOnly => "terminal.bot-carousel-first-card-only",
            Self::BotActionResponseAsReply => "terminal.bot-action-response-as-reply",
            Self::BotBlockIgnored => "terminal.bot-block-ignored",
        }
    }
}

/// The faults one terminal was started with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Faults(Vec<Fault>);

impl Faults {
    /// Parses fault ids; an id that is not a terminal fault is an error naming it.
    pub(crate) fn from_ids(ids: &[String]) -> Result<Self, String> {
        let mut faults = Vec::with_capacity(ids.len());
        for id in ids {
            match Fault::ALL.into_iter().find(|f| f.id() == id) {
                Some(fault) => faults.push(fault),
                None => return Err(format!("unknown terminal fault `{id}`")),
            }
        }
        Ok(Self(faults))
    }

    /// Whether `fault` is switched on.
    pub(crate) fn has(&self, fault: Fault) -> bool {
        self.0.contains(&fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_in_the_terminal_namespace() {
        let mut ids: Vec<_> = Fault::ALL.iter().map(|f| f.id()).collect();
        assert!(ids.iter().all(|id| id.starts_with("terminal.")));
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Fault::ALL.len());
    }

    #[test]
    fn every_catalogue_fault_of_a_terminal_has_a_switch() {
        let mut catalogue: Vec<_> = crate::faults::catalogue()
            .into_iter()
            .filter(|f| f.kind == rcs_harness::role::RoleKind::Terminal)
            .map(|f| f.id)
            .collect();
        let mut switches: Vec<_> = Fault::ALL.iter().map(|f| f.id()).collect();
        catalogue.sort_unstable();
        switches.sort_unstable();
        assert_eq!(switches, catalogue);
    }

    #[test]
    fn parses_known_ids_and_rejects_others() {
        let faults = Faults::from_ids(&["terminal.reject-message".to_owned()]).unwrap();
        assert!(faults.has(Fault::RejectMessage));
        assert!(!faults.has(Fault::PlainTextPager));
        let err = Faults::from_ids(&["message-center.omit-qop".to_owned()]).unwrap_err();
        assert!(err.contains("message-center.omit-qop"), "{err}");
    }
}
