//! The 5G Messaging terminal (UE) simulator.
//!
//! It listens for SIP on UDP and TCP on one OS-chosen port, registers to the case's message
//! center with digest authentication (protocols.md §2.2-2.5), sends pager-mode chat messages in
//! CPIM (§4.3-4.4), capability queries (§3) and IMDNs (§4.7), opens session-mode chats and sends
//! large messages over MSRP (INVITE + SDP + MSRP, §4.1, §4.5-4.6, with the UP switchover between
//! pager and large-message mode), and answers what arrives: 200 to MESSAGE, with a delivery IMDN
//! when one is requested, 200 to OPTIONS with its feature tags, 200 with an SDP answer to session
//! and large-message INVITEs (then MSRP, with IMDNs in the session or as pager MESSAGEs), 200 to
//! BYE. Every request it originates goes to the message center (the outbound proxy) through a
//! client transaction (RFC 3261 17.1) on the case clock. With its settings it refreshes the
//! registration before expiry (`reg_keeper`) and subscribes to its own reg event, registering
//! again when the network deactivates the binding (`reg_subscription`; RFC 3680).
//!
//! Chatbot conversations (protocols.md §7) are `bot*`: detection, the chatbot Accept-Contact,
//! bot messages validated and their suggestions tapped, bot information, spam reports and
//! blocking. Session refresh is `refresh`: an UPDATE sent on request (`refresh-chat`) and one
//! received answered; the terminal never refreshes by itself. Not simulated yet: CANCEL. Group
//! chat (protocols.md §6) is `group*`: it creates groups at the conference
//! factory, joins those a focus invites it to, and follows their conference state.

mod actions;
mod addr;
mod autoconfig;
mod autoconfig_actions;
mod bot_actions;
mod bot_in;
mod bot_info;
mod bot_location;
mod bot_params;
mod bot_sip;
mod bot_state;
mod chat;
mod chat_actions;
mod client;
mod composing;
mod core;
mod deferred;
mod faults;
mod ft_actions;
mod ft_in;
mod ft_params;
mod ft_upload;
mod group;
mod group_in;
mod group_params;
mod group_sip;
mod group_state;
mod ids;
mod incoming;
mod invite;
mod invite_client;
mod invite_in;
mod media;
mod message_in;
mod outgoing;
mod pager;
mod params;
mod receipts;
mod refresh;
mod reg_keeper;
mod reg_subscription;
mod register;
mod register_aka;
mod request;
mod revoke;
mod session;
mod sms_send;
mod state;
mod tags;

use std::net::{Ipv4Addr, SocketAddr};

/// Well-formed JPEG filler bytes, for any simulator that serves a picture.
pub(crate) use ft_actions::jpeg_filler;

use rcs_harness::agent::{ActionSpec, Agent, AgentError, AgentSpec, WireTap};
use rcs_harness::clock::Clock;
use rcs_harness::role::RoleKind;
use serde_json::{Map, Value};

use params::{
    DeregisterParams, EndChatParams, ImdnParams, ImdnStatus, OptionsParams, PagerParams, RawParams,
    RegisterParams, SendChatParams, SendMessageParams, Settings, StartChatParams, check_later,
    duration,
};

/// The actions a terminal performs.
pub const ACTIONS: &[ActionSpec] = &[
    action(
        "register",
        "REGISTER to the message center, answering its digest challenge",
    ),
    action("deregister", "REGISTER with Expires: 0"),
    action(
        "send-pager",
        "send a pager-mode CPIM chat MESSAGE to a role or URI",
    ),
    action("send-options", "query a role's capabilities with OPTIONS"),
    action(
        "send-imdn",
        "send a delivered or displayed IMDN for a received message",
    ),
    action(
        "send-raw",
        "send the given bytes to the message center as they are",
    ),
    action(
        "start-chat",
        "open a session-mode chat (INVITE, then MSRP) with a role or URI",
    ),
    action(
        "send-chat",
        "send one CPIM message (text, or filler of a size) over the chat session with a role",
    ),
    action("end-chat", "end the chat session with a role (BYE)"),
    action(
        "refresh-chat",
        "refresh the chat session with a role (UPDATE without SDP, Session-Expires; RFC 4028)",
    ),
    action(
        group_params::GROUP_ACTIONS[0].0,
        group_params::GROUP_ACTIONS[0].1,
    ),
    action(
        group_params::GROUP_ACTIONS[1].0,
        group_params::GROUP_ACTIONS[1].1,
    ),
    action(
        group_params::GROUP_ACTIONS[2].0,
        group_params::GROUP_ACTIONS[2].1,
    ),
    action(
        group_params::GROUP_ACTIONS[3].0,
        group_params::GROUP_ACTIONS[3].1,
    ),
    action(
        group_params::GROUP_ACTIONS[4].0,
        group_params::GROUP_ACTIONS[4].1,
    ),
    action(
        group_params::GROUP_ACTIONS[5].0,
        group_params::GROUP_ACTIONS[5].1,
    ),
    action(
        "send-revoke",
        "revoke a message sent earlier: a pager MESSAGE carrying an rcsrevoke document",
    ),
    action(
        "send-message",
        "send a message in pager mode, or in large-message mode above the switchover size",
    ),
    action(
        "send-file",
        "upload a file to the content server (FT-HTTP) and send its descriptor in a pager MESSAGE",
    ),
    action(
        "download-file",
        "download a file link once (GET, with an optional Range)",
    ),
    action(
        "configure",
        "fetch the configuration (HTTP GET to the config-server setting; otp for the OTP round)",
    ),
    action(
        "send-composing",
        "send an isComposing status (active or idle) in the chat session with a role",
    ),
    action(
        "open-message",
        "show a received message; sends its displayed IMDN once when asked for and allowed",
    ),
    action(
        "message-status",
        "report a sent message's status from its IMDNs: sent, delivered, displayed or unknown",
    ),
    action(
        "set-read-receipts",
        "turn the user's read receipts on or off",
    ),
    action(bot_params::BOT_ACTIONS[0].0, bot_params::BOT_ACTIONS[0].1),
    action(bot_params::BOT_ACTIONS[1].0, bot_params::BOT_ACTIONS[1].1),
    action(bot_params::BOT_ACTIONS[2].0, bot_params::BOT_ACTIONS[2].1),
    action(bot_params::BOT_ACTIONS[3].0, bot_params::BOT_ACTIONS[3].1),
    action(bot_params::BOT_ACTIONS[4].0, bot_params::BOT_ACTIONS[4].1),
    action(bot_params::BOT_ACTIONS[5].0, bot_params::BOT_ACTIONS[5].1),
    action(bot_params::BOT_ACTIONS[6].0, bot_params::BOT_ACTIONS[6].1),
];

const fn action(name: &'static str, description: &'static str) -> ActionSpec {
    ActionSpec {
        kind: RoleKind::Terminal,
        name,
        description,
    }
}

/// Checks an action's parameters at load time (`${...}` placeholders stand in for strings).
pub fn check_action(action: &str, params: &Map<String, Value>) -> Result<(), String> {
    match action {
        "register" => {
            let p: RegisterParams = params::parse(params)?;
            check_later(p.timeout.as_deref(), duration)
        }
        "deregister" => {
            let p: DeregisterParams = params::parse(params)?;
            check_later(p.timeout.as_deref(), duration)
        }
        "send-pager" => {
            let p: PagerParams = params::parse(params)?;
            check_later(p.timeout.as_deref(), duration)
        }
        "send-options" => {
            let p: OptionsParams = params::parse(params)?;
            check_later(p.timeout.as_deref(), duration)
        }
        "send-imdn" => {
            let p: ImdnParams = params::parse(params)?;
            check_later(Some(&p.status), ImdnStatus::parse)?;
            check_later(p.timeout.as_deref(), duration)
        }
        "send-raw" => {
            let p: RawParams = params::parse(params)?;
            check_later(p.transport.as_deref(), params::transport)
        }
        "start-chat" => {
            let p: StartChatParams = params::parse(params)?;
            check_later(p.setup.as_deref(), params::setup)?;
            check_later(p.timeout.as_deref(), duration)
        }
        "send-chat" => {
            let p: SendChatParams = params::parse(params)?;
            one_content(p.text.is_some(), p.size)?;
            if p.chunk_size == Some(0) {
                return Err("chunk-size must be at least 1".to_owned());
            }
            check_later(p.timeout.as_deref(), duration)
        }
        "end-chat" | "refresh-chat" => {
            let p: EndChatParams = params::parse(params)?;
            check_later(p.timeout.as_deref(), duration)
        }
        "send-message" => {
            let p: SendMessageParams = params::parse(params)?;
            one_content(p.text.is_some(), p.size)?;
            check_later(p.timeout.as_deref(), duration)
        }
        "send-revoke" => {
            let p: revoke::RevokeParams = params::parse(params)?;
            check_later(p.timeout.as_deref(), duration)
        }
        "send-file" => {
            let p: ft_params::SendFileParams = params::parse(params)?;
            ft_params::check_send_file(&p)?;
            check_later(p.timeout.as_deref(), duration)
        }
        "download-file" => {
            let p: ft_params::DownloadFileParams = params::parse(params)?;
            check_later(p.timeout.as_deref(), duration)
        }
        "configure" => {
            let p: params::ConfigureParams = params::parse(params)?;
            check_later(p.timeout.as_deref(), duration)
        }
        "send-composing" => {
            let p: composing::ComposingParams = params::parse(params)?;
            composing::check(&p)?;
            check_later(p.timeout.as_deref(), duration)
        }
        "open-message" => {
            let p: receipts::OpenParams = params::parse(params)?;
            check_later(p.timeout.as_deref(), duration)
        }
        "message-status" => params::parse::<receipts::StatusParams>(params).map(|_| ()),
        "set-read-receipts" => params::parse::<receipts::ReadReceiptsParams>(params).map(|_| ()),
        group if group_params::is_group_action(group) => group_params::check(group, params),
        bot if bot_params::is_bot_action(bot) => bot_params::check(bot, params),
        other => Err(format!("a terminal has no action `{other}`")),
    }
}

/// `text` and `size` exclude each other; `size` is capped.
fn one_content(text: bool, size: Option<usize>) -> Result<(), String> {
    match size {
        Some(_) if text => Err("give `text` or `size`, not both".to_owned()),
        Some(size) if size > params::MAX_FILLER => Err(format!(
            "size {size} is above the {}-byte limit",
            params::MAX_FILLER
        )),
        _ => Ok(()),
    }
}

/// Checks a terminal's settings at load time.
pub fn check_settings(settings: &Map<String, Value>) -> Result<(), String> {
    params::parse::<Settings>(settings).map(|_| ())
}

/// Starts a terminal for `spec`, listening on an OS-chosen loopback port.
pub async fn start(
    spec: AgentSpec,
    tap: WireTap,
    clock: Clock,
) -> Result<Box<dyn Agent>, AgentError> {
    let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    core::start(loopback, spec, tap, clock)
        .await
        .map(|(agent, _)| agent)
}

/// A terminal started by [`start_at`].
pub struct Started {
    /// The agent to drive.
    pub agent: Box<dyn Agent>,
    /// Its MSRP over TCP listener (the authority of the `a=path` URIs it offers and answers).
    pub msrp: SocketAddr,
}

/// Starts a terminal for `spec` with SIP over UDP and TCP on `listen` (port 0: one port chosen
/// by the system for both) and its MSRP listener on the same IP, on a port chosen by the system.
///
/// The terminal writes its listening IP in Via, Contact and SDP, so `listen` should be an
/// address its peers reach it at, not an unspecified one such as 0.0.0.0.
pub async fn start_at(
    listen: SocketAddr,
    spec: AgentSpec,
    tap: WireTap,
    clock: Clock,
) -> Result<Started, AgentError> {
    core::start(listen, spec, tap, clock)
        .await
        .map(|(agent, msrp)| Started { agent, msrp })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("test maps are objects"),
        }
    }

    #[test]
    fn every_action_is_listed_and_checked() {
        let names: Vec<_> = ACTIONS.iter().map(|a| a.name).collect();
        assert_eq!(
            names,
            [
                "register",
                "deregister",
                "send-pager",
                "send-options",
                "send-imdn",
                "send-raw",
                "start-chat",
                "send-chat",
                "end-chat",
                "refresh-chat",
                "create-group",
                "send-group",
                "add-member",
                "leave-group",
                "change-subject",
                "group-info",
                "send-revoke",
                "send-message",
                "send-file",
                "download-file",
                "configure",
                "send-composing",
                "open-message",
                "message-status",
                "set-read-receipts",
                "bot-messages",
                "tap-suggestion",
                "share-device",
                "share-location",
                "get-bot-info",
                "report-spam",
                "block-bot"
            ]
        );
        assert!(ACTIONS.iter().all(|a| a.kind == RoleKind::Terminal));
        assert!(check_action("register", &Map::new()).is_ok());
        assert!(check_action("deregister", &Map::new()).is_ok());
        assert!(check_action("send-pager", &map(json!({ "to": "bob" }))).is_ok());
        assert!(check_action("send-options", &map(json!({ "to": "${bob.uri}" }))).is_ok());
        assert!(check_action("send-imdn", &map(json!({ "status": "displayed" }))).is_ok());
        assert!(
            check_action(
                "send-revoke",
                &map(json!({ "to": "bob", "message-id": "${alice.sent.imdn.Message-ID}" }))
            )
            .is_ok()
        );
        assert!(check_action("send-revoke", &map(json!({ "to": "bob" }))).is_err());
        assert!(check_action("send-raw", &map(json!({ "text": "x", "transport": "tcp" }))).is_ok());
        assert!(
            check_action(
                "start-chat",
                &map(json!({ "to": "bob", "setup": "actpass" }))
            )
            .is_ok()
        );
        assert!(
            check_action(
                "send-chat",
                &map(json!({ "to": "bob", "size": 65536, "chunk-size": 10240 }))
            )
            .is_ok()
        );
        assert!(check_action("end-chat", &map(json!({ "to": "bob" }))).is_ok());
        assert!(check_action("send-message", &map(json!({ "to": "bob", "size": 5000 }))).is_ok());
        let err = check_action("send-fax", &Map::new()).unwrap_err();
        assert!(err.contains("send-fax"), "{err}");
        assert!(check_action("send-file", &map(json!({ "to": "bob", "size": 10 }))).is_ok());
        assert!(check_action("send-file", &map(json!({ "to": "bob", "cut-at": 100 }))).is_err());
        assert!(check_action("download-file", &Map::new()).is_ok());
    }

    #[test]
    fn load_time_checks_catch_bad_values_but_not_placeholders() {
        assert!(
            check_action("send-pager", &Map::new()).is_err(),
            "to is required"
        );
        assert!(check_action("register", &map(json!({ "timeout": "soon" }))).is_err());
        assert!(check_action("register", &map(json!({ "timeout": "${t}" }))).is_ok());
        assert!(check_action("send-imdn", &map(json!({ "status": "read" }))).is_err());
        assert!(
            check_action(
                "start-chat",
                &map(json!({ "to": "bob", "setup": "holdconn" }))
            )
            .is_err()
        );
        assert!(check_action("start-chat", &map(json!({ "to": "bob", "setup": "${s}" }))).is_ok());
        assert!(
            check_action(
                "send-chat",
                &map(json!({ "to": "bob", "text": "x", "size": 9 }))
            )
            .is_err()
        );
        assert!(check_action("send-chat", &map(json!({ "to": "bob", "chunk-size": 0 }))).is_err());
        assert!(
            check_action(
                "send-message",
                &map(json!({ "to": "bob", "size": 1_000_000_000 }))
            )
            .is_err()
        );
        assert!(check_action("send-imdn", &map(json!({ "status": "${s}" }))).is_ok());
        assert!(
            check_action(
                "send-raw",
                &map(json!({ "text": "x", "transport": "sctp" }))
            )
            .is_err()
        );
    }

    #[test]
    fn settings_are_typed() {
        assert!(check_settings(&map(json!({ "requested-expires": 60 }))).is_ok());
        assert!(check_settings(&map(json!({ "requested-expires": "60" }))).is_err());
        assert!(check_settings(&map(json!({ "realm": "x" }))).is_err());
    }
}
