//! The fault catalogue of the built-in simulators: every misbehaviour a case can ask for.
//!
//! Each fault breaks exactly one rule of `spec/protocols.md` (or the RFC it cites) and nothing
//! else, so a case that lists a fault in `detects` must fail at the check of that rule. The ids
//! are `<kind>.<name>`; the simulators map them to one decision point each. This module only
//! describes the faults; it does not implement them.

use rcs_harness::agent::FaultSpec;
use rcs_harness::role::RoleKind;

/// `(id, description)` of every message-center fault.
const MESSAGE_CENTER: &[(&str, &str)] = &[
    (
        "message-center.accept-wrong-digest",
        "a REGISTER with a wrong digest response is accepted (200, binding made)",
    ),
    (
        "message-center.omit-qop",
        "the 401 challenge lacks qop=\"auth\"",
    ),
    (
        "message-center.omit-p-associated-uri",
        "the 200 to REGISTER has no P-Associated-URI",
    ),
    (
        "message-center.omit-service-route",
        "the 200 to REGISTER has no Service-Route",
    ),
    (
        "message-center.grant-more-than-requested",
        "grants an expiry larger than the one requested",
    ),
    (
        "message-center.ignore-binding-expiry",
        "bindings never expire",
    ),
    (
        "message-center.offline-as-404",
        "OPTIONS to a provisioned RCS user with no binding gets 404 instead of 480",
    ),
    (
        "message-center.non-rcs-as-480",
        "OPTIONS to a non-RCS (or unknown) user gets 480 instead of 404",
    ),
    (
        "message-center.strip-contact-tags",
        "the relayed 200 to OPTIONS loses the feature tags of its Contact",
    ),
    (
        "message-center.rewrite-cpim-body",
        "the relayed MESSAGE body is re-serialised (CPIM header order changed) instead of byte-identical",
    ),
    (
        "message-center.drop-conversation-id",
        "the relayed MESSAGE lacks Conversation-ID",
    ),
    (
        "message-center.omit-p-asserted-identity",
        "the relayed MESSAGE has no P-Asserted-Identity",
    ),
    (
        "message-center.forward-without-contribution-id",
        "a CPM MESSAGE lacking Contribution-ID (or Conversation-ID) is forwarded instead of answered 400",
    ),
    (
        "message-center.drop-imdn",
        "MESSAGEs whose CPIM content type is message/imdn+xml are answered 200 but not relayed",
    ),
    (
        "message-center.ignore-malformed",
        "malformed requests are silently dropped instead of answered 400",
    ),
    (
        "message-center.stop-after-malformed",
        "after a malformed request the simulator stops answering anything (wedged)",
    ),
    (
        "message-center.strip-session-icsi",
        "the INVITE relayed to the callee lacks the Accept-Contact with the CPM session or largemsg ICSI",
    ),
    (
        "message-center.alter-msrp-content",
        "the body of each relayed MSRP chunk is altered (its last byte changed)",
    ),
    (
        "message-center.drop-msrp-report",
        "MSRP REPORTs are not relayed to the other leg of a session",
    ),
    (
        "message-center.merge-msrp-chunks",
        "the chunks of an MSRP message are relayed as one reassembled chunk (Byte-Ranges changed)",
    ),
    (
        "message-center.no-bye-relay",
        "a BYE is answered 200 but not relayed to the other leg of the session",
    ),
    (
        "message-center.focus-rewrites-cpim-from",
        "group messages are fanned out with the group URI as CPIM From instead of the sender",
    ),
    (
        "message-center.focus-no-isfocus",
        "the focus Contact (200 to the creator, INVITEs to participants) lacks isfocus",
    ),
    (
        "message-center.focus-skips-participant",
        "the last participant of the creation list is never invited",
    ),
    (
        "message-center.conference-version-not-increasing",
        "partial conference NOTIFYs repeat the version of the previous one",
    ),
    (
        "message-center.refer-not-invited",
        "a REFER adding participants is answered 202 but nobody is invited",
    ),
    (
        "message-center.departed-still-receives",
        "a member who left with BYE keeps getting the group messages",
    ),
    (
        "message-center.subject-not-notified",
        "a subject change by the chairman is answered 200 but no NOTIFY carries it",
    ),
    (
        "message-center.accept-invite-without-conversation-id",
        "a CPM INVITE lacking Conversation-ID (or Contribution-ID) is relayed instead of answered 400",
    ),
    (
        "message-center.saf-rewrites-cpim",
        "a stored message is re-delivered with a new CPIM DateTime instead of the original CPIM",
    ),
    (
        "message-center.saf-out-of-order",
        "stored messages are re-delivered newest first instead of in arrival order",
    ),
    (
        "message-center.saf-no-expiry-imdn",
        "an expired stored message is purged without the negative-delivery IMDN the sender asked for",
    ),
    (
        "message-center.saf-404-offline",
        "a chat MESSAGE to an offline RCS user gets 404 instead of being stored (202)",
    ),
    (
        "message-center.revoke-ignored",
        "a revoke is confirmed but the message stays stored and is delivered",
    ),
    (
        "message-center.revoke-after-delivery-succeeds",
        "a revoke of a message already delivered is reported as a success",
    ),
    (
        "message-center.reg-notify-no-version-increase",
        "every reg-event NOTIFY of a subscription carries reginfo version 0 instead of one more each",
    ),
    (
        "message-center.no-terminated-notify",
        "no NOTIFY is sent when the registration ends (no terminated reginfo, no terminated subscription)",
    ),
    (
        "message-center.ft-no-auth-challenge",
        "the content server answers the empty upload POST 204 and takes uploads without credentials while ft-auth is on",
    ),
    (
        "message-center.ft-wrong-file-size",
        "the file-info file-size is one more than the bytes uploaded",
    ),
    (
        "message-center.ft-range-ignored",
        "a download with Range gets 200 and the whole file instead of 206",
    ),
    (
        "message-center.ft-expired-still-served",
        "a download link past its until is still served 200",
    ),
    (
        "message-center.ft-oversize-accepted",
        "a file above max-size is stored and answered with file-info instead of 413",
    ),
    (
        "message-center.ft-resume-info-wrong",
        "file-resume-info claims one byte more than the content server holds",
    ),
    (
        "message-center.ft-download-home-only",
        "the content server serves a download link only to its own carrier's users: another carrier's user gets 403",
    ),
    (
        "message-center.aka-ignores-auts",
        "under auth: aka, an Authorization with auts gets the old vector (same nonce) again instead of a re-synchronised fresh one",
    ),
    (
        "message-center.aka-reused-nonce",
        "under auth: aka, a new registration is challenged with the subscriber's previous vector (same nonce)",
    ),
    (
        "message-center.cdr-charges-imdn",
        "IMDNs are billed: each gets chargeable P2P_MO and P2P_MT records",
    ),
    (
        "message-center.cdr-icid-mismatch",
        "the P2P_MT record carries an icid of its own instead of the request's P-Charging-Vector icid",
    ),
    (
        "message-center.fallback-from-iwf",
        "under fallback: sms, the SMS of a message to a user without RCS comes from the IWF's own number, not the sender's MSISDN",
    ),
    (
        "message-center.fallback-stored-copy-delivered",
        "under fallback: sms, a stored message whose fallback timer ran out goes as SMS and stays stored, so it is delivered again at registration",
    ),
    (
        "message-center.fallback-single-segment",
        "under fallback: sms, a text longer than one SMS is cut to one part instead of concatenated",
    ),
    (
        "message-center.fallback-file-without-link",
        "under fallback: sms, the SMS of a file transfer names the file without its download link",
    ),
    (
        "message-center.no-fallback-tag",
        "under fallback: sms, the 200 to REGISTER does not advertise +g.gsma.rcs.msgfallback in Feature-Caps",
    ),
    (
        "message-center.fallback-converts-notifications",
        "under fallback: sms, IMDNs and isComposing to a user without RCS go out as SMS (their XML as text)",
    ),
    (
        "message-center.cdr-deferred-at-store",
        "a stored message's P2P_MT record is written delivered when it is stored instead of when it is delivered",
    ),
    (
        "message-center.cdr-fallback-also-mt",
        "a message that went as SMS is billed a chargeable P2P_MT on top of its FALLBACK_SMS record",
    ),
    (
        "message-center.cdr-session-as-pager",
        "CPM sessions and large messages (INVITE) are recorded with service_mode pager",
    ),
];

/// `(id, description)` of every terminal fault.
const TERMINAL: &[(&str, &str)] = &[
    (
        "terminal.omit-sip-instance",
        "REGISTER Contact lacks +sip.instance",
    ),
    (
        "terminal.unencoded-icsi",
        "the +g.3gpp.icsi-ref values are not URL-encoded (urn:urn-7:... with raw colons)",
    ),
    (
        "terminal.omit-chatbot-iari",
        "the REGISTER Contact lacks the rcs.chatbot and rcs.chatbot.sa IARIs",
    ),
    (
        "terminal.wrong-digest-response",
        "the Authorization response is computed with a wrong HA2 (method INVITE)",
    ),
    (
        "terminal.aka-resync-with-response",
        "on an AKA synchronisation failure the Authorization has auts and a non-empty response",
    ),
    (
        "terminal.aka-wrong-res",
        "the AKA digest is computed with a RES whose last byte is altered",
    ),
    (
        "terminal.options-without-tags",
        "200 to OPTIONS without feature tags in Contact",
    ),
    (
        "terminal.omit-conversation-id",
        "pager MESSAGE sent without Conversation-ID",
    ),
    (
        "terminal.omit-imdn-message-id",
        "the CPIM of a sent pager message lacks imdn.Message-ID",
    ),
    (
        "terminal.plain-text-pager",
        "the pager MESSAGE body is text/plain instead of message/cpim",
    ),
    (
        "terminal.reject-message",
        "incoming MESSAGE answered 488 instead of 200",
    ),
    (
        "terminal.imdn-reuses-message-id",
        "the IMDN carries the original message's imdn.Message-ID in its CPIM instead of a new one",
    ),
    (
        "terminal.imdn-wrong-reference",
        "the IMDN's <message-id> does not reference the original message",
    ),
    (
        "terminal.session-without-icsi",
        "the session-mode INVITE lacks the oma.cpm.session ICSI in Accept-Contact",
    ),
    (
        "terminal.setup-not-complementary",
        "the SDP answer repeats the offer's a=setup (actpass with actpass, active with active)",
    ),
    (
        "terminal.no-msrp-report",
        "no MSRP REPORT is sent for a message that asked Success-Report: yes",
    ),
    (
        "terminal.msrp-partial-report",
        "the success REPORT's Byte-Range covers only the last chunk, not the whole message",
    ),
    (
        "terminal.largemsg-sendrecv",
        "the large-message SDP offer is a=sendrecv instead of a=sendonly",
    ),
    (
        "terminal.largemsg-inline-payload",
        "the CPIM envelope in the large-message INVITE carries the payload instead of none",
    ),
    (
        "terminal.imdn-per-chunk",
        "a chunked session message is IMDN'd once per chunk instead of once",
    ),
    (
        "terminal.no-reregistration",
        "the registration is never refreshed before it expires",
    ),
    (
        "terminal.ignore-deregistration-notify",
        "a reg NOTIFY that deactivates the contact is answered 200 but the terminal does not re-register",
    ),
    (
        "terminal.uses-barred-impu",
        "the first P-Associated-URI identity is used for From and P-Preferred-Identity even when barred",
    ),
    (
        "terminal.ignores-service-route",
        "originating requests carry no Route from the Service-Route of the 200 to REGISTER",
    ),
    (
        "terminal.duplicate-deferred-imdn",
        "a message delivered from the store at registration gets its delivery IMDN twice",
    ),
    (
        "terminal.ft-wrong-part-names",
        "the FT upload's form parts are named file and thumbnail instead of File and Thumbnail",
    ),
    (
        "terminal.ft-descriptor-without-fthttp-tag",
        "the FT descriptor MESSAGE lacks the rcs.fthttp Accept-Contact",
    ),
    (
        "terminal.ft-no-intended-identity",
        "requests to the content server lack X-3GPP-Intended-Identity",
    ),
    (
        "terminal.ft-restarts-upload",
        "an upload cut short starts over with a new POST instead of get_upload_info and PUT",
    ),
    (
        "terminal.ft-retries-expired",
        "a file link answered 404 or 410 (expired) is asked for again",
    ),
    (
        "terminal.ft-voice-without-playing-length",
        "a voice message's file-info lacks am:playing-length",
    ),
    (
        "terminal.config-missing-rcs-profile",
        "the configuration request lacks the rcs_profile query parameter",
    ),
    (
        "terminal.config-retries-early",
        "a configuration request goes out before the 503's Retry-After has passed",
    ),
    (
        "terminal.config-registers-when-disabled",
        "REGISTER goes out although the configuration said version -2 (RCS disabled)",
    ),
    (
        "terminal.config-refetch-with-vers-0",
        "the re-fetch at validity expiry sends vers=0 instead of the version held",
    ),
    (
        "terminal.group-invite-without-resource-list",
        "the group creation INVITE carries only the SDP, no recipient-list resource list",
    ),
    (
        "terminal.group-no-recipient-list-invite-require",
        "the group creation INVITE lacks Require: recipient-list-invite",
    ),
    (
        "terminal.no-conference-subscribe",
        "after joining a group the terminal never subscribes to the conference event",
    ),
    (
        "terminal.leave-without-bye",
        "leaving a group drops the session without sending BYE",
    ),
    (
        "terminal.subject-wrong-target",
        "the cpm-group-management subject change names the target icon instead of subject",
    ),
    (
        "terminal.cpm-to-non-rcs",
        "after an OPTIONS 404 (non-RCS peer) send-message still sends CPM instead of SMS over IP",
    ),
    (
        "terminal.sms-for-offline",
        "after an OPTIONS 480 (offline RCS peer) send-message falls back to SMS instead of CPM store-and-forward",
    ),
    (
        "terminal.imdn-for-composing",
        "a received isComposing in a session is answered with a delivery IMDN",
    ),
    (
        "terminal.composing-wrapped-with-disposition",
        "isComposing is sent wrapped in CPIM with imdn.Disposition-Notification instead of bare application/im-iscomposing+xml",
    ),
    (
        "terminal.displayed-twice",
        "opening a message a second time sends a second displayed IMDN",
    ),
    (
        "terminal.displayed-when-receipts-off",
        "displayed IMDNs are sent although the user turned read receipts off",
    ),
    (
        "terminal.unsolicited-imdn",
        "a received message that asked for no notification gets a delivery IMDN anyway",
    ),
    (
        "terminal.imdn-not-anonymous",
        "IMDN CPIM From and To carry the users' identities instead of sip:anonymous@anonymous.invalid",
    ),
    (
        "terminal.status-from-unknown-imdn",
        "an IMDN for a message id the terminal never sent changes the status of its last sent message",
    ),
    (
        "terminal.utf8-mangled",
        "outgoing chat text loses its 4-byte characters (emoji become ?)",
    ),
    (
        "terminal.bot-no-sa-iari",
        "a standalone MESSAGE (or large-message INVITE) to a chatbot lacks the rcs.chatbot.sa Accept-Contact",
    ),
    (
        "terminal.bot-session-no-wrapped-types",
        "a session INVITE to a chatbot offers no multipart/mixed, botmessage or botsuggestion in accept-wrapped-types",
    ),
    (
        "terminal.bot-response-wrong-postback",
        "a tapped suggestion's response carries the displayText instead of the suggestion's postback data",
    ),
    (
        "terminal.bot-no-in-reply-to",
        "a response to a bot message lacks InReplyTo-Contribution-ID",
    ),
    (
        "terminal.bot-no-isbot-detection",
        "+g.gsma.rcs.isbot in a Contact is ignored: the peer is not treated as a chatbot",
    ),
    (
        "terminal.bot-spam-too-many-ids",
        "a spam report carries every message id the user picked, more than 10",
    ),
    (
        "terminal.bot-location-wgs84",
        "the geo fallback location is sent with crs=wgs84 instead of gcj02",
    ),
    (
        "terminal.bot-device-fields-too-long",
        "device specifics are sent uncut, beyond the botsharedclientdata field lengths",
    ),
    (
        "terminal.bot-no-if-none-match",
        "bot information is fetched again without If-None-Match (the ETag held is not sent)",
    ),
    (
        "terminal.bot-card-media-not-fetched",
        "a rich card's thumbnail and media are never fetched",
    ),
    (
        "terminal.bot-carousel-first-card-only",
        "only the first card of a carousel offers its suggestions; the other cards' cannot be tapped",
    ),
    (
        "terminal.bot-action-response-as-reply",
        "a tapped suggested action is answered as a reply ({\"response\":{\"reply\":..}})",
    ),
    (
        "terminal.bot-block-ignored",
        "messages of a blocked chatbot are still shown and get delivery IMDNs",
    ),
];

/// `(id, description)` of every MaaP (chatbot platform) fault.
const MAAP: &[(&str, &str)] = &[
    (
        "maap.no-isbot-tag",
        "the chatbot's Contact (200 to OPTIONS, chatbot MESSAGEs) lacks +g.gsma.rcs.isbot",
    ),
    (
        "maap.no-traffic-type",
        "chatbot MESSAGEs lack the CPIM maap.Traffic-Type header the API asked for",
    ),
    (
        "maap.no-maap-namespace",
        "chatbot MESSAGEs lack the CPIM NS: maap <http://www.gsma.com/rcs/maap/> declaration",
    ),
    (
        "maap.wrong-imdn-id",
        "the CPIM imdn.Message-ID of a chatbot MESSAGE is not the API message id",
    ),
    (
        "maap.suggestions-altered",
        "the chip list of a chatbot message loses its last suggestion on the way to the user",
    ),
    (
        "maap.card-rewritten",
        "a rich card's botmessage JSON is re-serialised (indented) instead of carried byte for byte",
    ),
    (
        "maap.uplink-ids-lost",
        "a user's message reaches the chatbot server without its conversation and contribution ids",
    ),
    (
        "maap.status-not-mapped",
        "delivery and display callbacks carry the IMDN's own message id instead of the API message id",
    ),
    (
        "maap.no-etag",
        "bot information is served without ETag (and If-None-Match never gets 304)",
    ),
    (
        "maap.no-rate-limit",
        "the per-second quota of a chatbot is not applied: every send of a burst is accepted",
    ),
    (
        "maap.no-daily-cap",
        "the daily quota of a chatbot is not applied",
    ),
    (
        "maap.sends-when-paused",
        "a paused chatbot's sends are accepted and delivered",
    ),
    (
        "maap.ignores-user-block",
        "a user who blocked a chatbot still gets its messages",
    ),
    (
        "maap.no-sensitive-filter",
        "content with a sensitive word is accepted and delivered",
    ),
    (
        "maap.debug-to-anyone",
        "a debug chatbot reaches users outside its whitelist",
    ),
    (
        "maap.charges-rejected",
        "a send refused by policy leaves a chargeable CDR",
    ),
    (
        "maap.cdr-no-join-ids",
        "CDRs lack icid and imdn_message_id, so they cannot be joined to the SIP traffic",
    ),
    (
        "maap.cdr-no-icid",
        "an A2P_MT CDR's icid is one of its own, not the P-Charging-Vector icid-value of the MESSAGE it bills",
    ),
    (
        "maap.charges-fallback-twice",
        "an SMS fallback is charged on top of the A2P_MT record instead of replacing its charge",
    ),
    (
        "maap.fallback-sms-unsigned",
        "a chatbot's SMS fallback text goes out without the chatbot's 【signature】",
    ),
    (
        "maap.ctcu-old-token-valid",
        "CT/CU: an accessToken replaced by a newer one is still accepted (instead of 40014)",
    ),
    (
        "maap.ctcu-token-never-expires",
        "CT/CU: an accessToken older than 7200 s is still accepted (instead of 42001)",
    ),
    (
        "maap.ctcu-unsigned-callbacks",
        "CT/CU: callbacks and the callback URL verification carry no signature header",
    ),
    (
        "maap.ctcu-enabled-without-echo",
        "CT/CU: a chatbot is enabled though its server's verification answer lacks echoStr or appId",
    ),
    (
        "maap.ctcu-no-fallback-check",
        "CT/CU: a message to a non-RCS user falls back to SMS though the send said smsSupported false",
    ),
    (
        "maap.ctcu-ft-json-passthrough",
        "CT/CU: a file message reaches the phone as the JSON list (application/vnd.gsma.rcs-ft-http) \
         instead of file-info XML",
    ),
    (
        "maap.ctcu-no-field-validation",
        "CT/CU: a send lacking a mandatory field (serviceCapability, smsSupported…) is accepted",
    ),
    (
        "maap.ctcu-sender-not-checked",
        "CT/CU: a send whose senderAddress is not the chatbotId of its path is accepted (instead of 30008)",
    ),
    (
        "maap.ctcu-temp-without-until",
        "CT/CU: the answer to a temporary (uploadMode temp) upload gives no `until`",
    ),
    (
        "maap.ctcu-spam-not-forwarded",
        "CT/CU: a user's spam report is not forwarded to the chatbot's server (notice/rcsspam)",
    ),
    (
        "maap.cmcc-encoded-uri-refused",
        "CMCC: a developer API path whose chatbot URI is percent-encoded is answered 404 (only the raw form is served)",
    ),
    (
        "maap.cmcc-no-client-correlator",
        "CMCC: the synchronous answer to a send does not echo the request's clientCorrelator",
    ),
    (
        "maap.cmcc-accepts-bad-signature",
        "CMCC: a request whose Authorization signature does not match the password is served (instead of 401)",
    ),
    (
        "maap.cmcc-ignores-date",
        "CMCC: a request whose Date is more than 15 minutes from the platform's clock is served (instead of 401)",
    ),
    (
        "maap.up10-card-to-up10-phone",
        "a chatbot message with fallbackSupported goes to the user as chatbot content without asking whether the phone supports chatbots (a UP1.0 phone gets the card)",
    ),
    (
        "maap.up10-fallback-as-text",
        "the UP1.0 fallback (rcsBodyText) goes as text/plain whatever its fallbackContentType",
    ),
    (
        "maap.up10-fallback-unasked",
        "rcsBodyText goes to a UP1.0 phone though the request says fallbackSupported false",
    ),
    (
        "maap.cmcc-group-all-or-nothing",
        "CMCC: a group send with one unreachable address is refused whole (instead of per-address DeliveryImpossible)",
    ),
    (
        "maap.cmcc-no-interaction-check",
        "CMCC: an interaction reply from a chatbot without the interaction right is sent (instead of 403)",
    ),
    (
        "maap.cmcc-wrong-status-order",
        "CMCC: MessageSent is notified after DeliveredToTerminal instead of before it",
    ),
    (
        "maap.cmcc-revokes-delivered",
        "CMCC: revoking a message already delivered is reported Revoked (instead of RevokeFailed)",
    ),
    (
        "maap.revoke-ignores-mc",
        "a revoke the message center refuses (its copy already delivered) is reported Revoked",
    ),
    (
        "maap.cmcc-media-not-deleted",
        "CMCC: DELETE /Content answers success but the file stays downloadable",
    ),
    (
        "maap.other-net-refused",
        "users of other carriers are refused even when the chatbot has the other-net right",
    ),
    (
        "maap.other-net-ignored",
        "a chatbot without the other-net right (otherNetSupport false) reaches other carriers' users",
    ),
    (
        "maap.service-range-ignored",
        "a province-only chatbot (serviceRange 0) reaches users of other provinces",
    ),
    (
        "maap.other-net-support-ignored",
        "a send with otherNetSupport false still reaches users of other carriers",
    ),
    (
        "maap.other-net-sms-ignored",
        "with other-net-delivery sms, other carriers' users get the MESSAGE over the NNI instead of SMS",
    ),
    (
        "maap.other-net-sms-own-text",
        "with other-net-delivery sms, other carriers' users get the smsBodyText meant for the chatbot's own carrier instead of otherSmsBodyText",
    ),
    (
        "maap.uplink-range-ignored",
        "a user out of a chatbot's reach (another province for a province-only chatbot) may still write to it",
    ),
];

/// Every fault of every simulator, message center first.
pub fn catalogue() -> Vec<FaultSpec> {
    let specs = |kind: RoleKind, list: &'static [(&'static str, &'static str)]| {
        list.iter().map(move |&(id, description)| FaultSpec {
            id,
            kind,
            description,
        })
    };
    specs(RoleKind::MessageCenter, MESSAGE_CENTER)
        .chain(specs(RoleKind::Terminal, TERMINAL))
        .chain(specs(RoleKind::Maap, MAAP))
        .chain(specs(RoleKind::PeerCarrier, crate::iwg::FAULTS))
        .collect()
}

/// Checks that every id in `faults` is a fault of `kind`; the error names the first that is not.
pub fn check_faults(kind: RoleKind, faults: &[String]) -> Result<(), String> {
    let known = catalogue();
    for id in faults {
        match known.iter().find(|spec| spec.id == id) {
            Some(spec) if spec.kind == kind => {}
            Some(spec) => {
                return Err(format!(
                    "fault `{id}` belongs to the {} simulator, not to a {kind}",
                    spec.kind
                ));
            }
            None => {
                let hint = did_you_mean(id, &known)
                    .map(|near| format!(" (did you mean `{near}`?)"))
                    .unwrap_or_default();
                return Err(format!("unknown fault `{id}` for a {kind}{hint}"));
            }
        }
    }
    Ok(())
}

/// The catalogue id closest to `id`, if one is close enough to be a typo.
fn did_you_mean(id: &str, known: &[FaultSpec]) -> Option<&'static str> {
    known
        .iter()
        .map(|spec| (edit_distance(id, spec.id), spec.id))
        .filter(|(distance, _)| *distance <= 3)
        .min()
        .map(|(_, near)| near)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(diagonal + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ids_are_unique_and_prefixed_by_their_kind() {
        let all = catalogue();
        let gateway = crate::iwg::FAULTS.len();
        assert_eq!(
            all.len(),
            MESSAGE_CENTER.len() + TERMINAL.len() + MAAP.len() + gateway
        );
        let ids: HashSet<_> = all.iter().map(|f| f.id).collect();
        assert_eq!(ids.len(), all.len());
        for fault in &all {
            assert!(
                fault.id.starts_with(&format!("{}.", fault.kind)),
                "{}",
                fault.id
            );
            assert!(!fault.description.is_empty());
        }
    }

    #[test]
    fn check_faults_rejects_unknown_and_foreign_ids() {
        let ok = vec!["message-center.omit-qop".to_owned()];
        assert_eq!(check_faults(RoleKind::MessageCenter, &ok), Ok(()));
        let err = check_faults(RoleKind::Terminal, &ok).unwrap_err();
        assert!(
            err.contains("belongs to the message-center simulator"),
            "{err}"
        );
        let typo = vec!["message-center.omit-qopp".to_owned()];
        let err = check_faults(RoleKind::MessageCenter, &typo).unwrap_err();
        assert_eq!(
            err,
            "unknown fault `message-center.omit-qopp` for a message-center \
             (did you mean `message-center.omit-qop`?)"
        );
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "ab"), 2);
        assert_eq!(edit_distance("same", "same"), 0);
    }
}
