//! The 5G Messaging terminal (UE) simulator.
//!
//! It listens for SIP on UDP and TCP on one OS-chosen port, registers to the case's message
//! center with digest authentication (protocols.md §2.2-2.5), sends pager-mode chat messages in
//! CPIM (§4.3-4.4), capability queries (§3) and IMDNs (§4.7), and answers what arrives: 200 to
//! MESSAGE, with a delivery IMDN when one is requested, and 200 to OPTIONS with its feature tags.
//! Every request it originates goes to the message center (the outbound proxy) through a
//! non-INVITE client transaction (RFC 3261 17.1.2) on the case clock.
//!
//! Not simulated yet: re-registration before expiry, the reg event package, large-message and
//! session mode (INVITE/MSRP), file transfer, group chat and chatbot conversations.

mod actions;
mod addr;
mod client;
mod core;
mod faults;
mod ids;
mod incoming;
mod message_in;
mod outgoing;
mod pager;
mod params;
mod register;
mod request;
mod state;
mod tags;

use rcs_harness::agent::{ActionSpec, Agent, AgentError, AgentSpec, WireTap};
use rcs_harness::clock::Clock;
use rcs_harness::role::RoleKind;
use serde_json::{Map, Value};

use params::{
    DeregisterParams, ImdnParams, ImdnStatus, OptionsParams, PagerParams, RawParams,
    RegisterParams, Settings, check_later, duration,
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
        other => Err(format!("a terminal has no action `{other}`")),
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
    core::start(spec, tap, clock).await
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
                "send-raw"
            ]
        );
        assert!(ACTIONS.iter().all(|a| a.kind == RoleKind::Terminal));
        assert!(check_action("register", &Map::new()).is_ok());
        assert!(check_action("deregister", &Map::new()).is_ok());
        assert!(check_action("send-pager", &map(json!({ "to": "bob" }))).is_ok());
        assert!(check_action("send-options", &map(json!({ "to": "${bob.uri}" }))).is_ok());
        assert!(check_action("send-imdn", &map(json!({ "status": "displayed" }))).is_ok());
        assert!(check_action("send-raw", &map(json!({ "text": "x", "transport": "tcp" }))).is_ok());
        let err = check_action("send-chat", &Map::new()).unwrap_err();
        assert!(err.contains("send-chat"), "{err}");
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
