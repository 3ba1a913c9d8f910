//! The message center's actions, as cases call them, and the channel that carries them to the
//! task owning the [`Core`](super::service::Core).
//!
//! `deregister { user, event }` is a network-initiated de-registration (TS 24.229 5.4.1.5; RFC
//! 3680 `deactivated` or `rejected`): every binding of the user goes, and its reg-event
//! subscribers get a NOTIFY saying so (TRM-REG-006). `user` is the subscriber's URI or number
//! (`${alice.uri}`): the message center starts before the terminals and knows no role names.
//! This module only parses parameters and carries commands; the decision is the core's.

use rcs_harness::agent::{ActionOutput, ActionSpec};
use rcs_harness::role::RoleKind;
use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot};

use std::collections::BTreeMap;
use std::time::Instant;

use super::proxy::Transmit;
use super::reg_state::Ending;
use super::service::Core;

/// The actions a message center performs.
pub const ACTIONS: &[ActionSpec] = &[ActionSpec {
    kind: RoleKind::MessageCenter,
    name: "deregister",
    description: "network-initiated de-registration of a user (URI or number), its reg-event \
                  subscribers told `deactivated` or `rejected`",
}];

/// Commands queued for the message center's task.
pub type Commands = mpsc::Sender<Command>;

/// One action for the task, and where its outcome goes.
#[derive(Debug)]
pub struct Command {
    pub action: Deregister,
    pub done: oneshot::Sender<Result<ActionOutput, String>>,
}

/// `deregister`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DeregisterParams {
    /// The subscriber: a SIP or tel URI, or a number.
    pub user: String,
    /// `deactivated` (the default: the UE should register again) or `rejected`.
    #[serde(default = "default_event")]
    pub event: String,
}

/// A parsed `deregister`.
#[derive(Clone, Debug)]
pub struct Deregister {
    pub user: String,
    pub ending: Ending,
}

fn default_event() -> String {
    "deactivated".to_owned()
}

/// Reads the event a network de-registration reports.
fn ending(event: &str) -> Result<Ending, String> {
    match event {
        "deactivated" => Ok(Ending::Deactivated),
        "rejected" => Ok(Ending::Rejected),
        other => Err(format!(
            "event `{other}` is not `deactivated` or `rejected`"
        )),
    }
}

/// Parses an action; a `${...}` placeholder event is left for run time.
pub fn parse(action: &str, params: &Map<String, Value>) -> Result<Deregister, String> {
    if action != "deregister" {
        return Err(format!("a message-center has no action `{action}`"));
    }
    let p: DeregisterParams =
        serde_json::from_value(Value::Object(params.clone())).map_err(|e| e.to_string())?;
    Ok(Deregister {
        user: p.user,
        ending: ending(&p.event)?,
    })
}

/// Runs a command on the core; the NOTIFYs it sends are returned for the task to send.
pub fn run(core: &mut Core, command: Command, now: Instant) -> Vec<Transmit> {
    let Deregister { user, ending } = command.action;
    let (result, out) = match core.deregister(&user, ending, now) {
        Ok(out) => {
            let mut values = BTreeMap::new();
            values.insert("status".to_owned(), "done".to_owned());
            values.insert("notifies".to_owned(), out.len().to_string());
            let summary = format!(
                "{user} de-registered ({ending:?}); {} NOTIFY sent",
                out.len()
            );
            (Ok(ActionOutput { values, summary }), out)
        }
        Err(err) => (Err(err), Vec::new()),
    };
    // The caller may have given up waiting; the de-registration stands either way.
    let _ = command.done.send(result);
    out
}

/// Checks an action at load time.
pub fn check(action: &str, params: &Map<String, Value>) -> Result<(), String> {
    match parse(action, params) {
        Err(err) if err.contains("${") => Ok(()),
        other => other.map(|_| ()),
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
    fn deregister_defaults_to_deactivated_and_checks_its_event() {
        let d = parse("deregister", &map(json!({ "user": "${alice.uri}" }))).unwrap();
        assert_eq!(
            (d.user.as_str(), d.ending),
            ("${alice.uri}", Ending::Deactivated)
        );
        let d = parse(
            "deregister",
            &map(json!({ "user": "x", "event": "rejected" })),
        )
        .unwrap();
        assert_eq!(d.ending, Ending::Rejected);
        assert!(
            check(
                "deregister",
                &map(json!({ "user": "x", "event": "probation" }))
            )
            .is_err()
        );
        assert!(check("deregister", &map(json!({ "usr": "x" }))).is_err());
        assert!(check("deregister", &map(json!({ "user": "x", "event": "${e}" }))).is_ok());
        assert!(check("register", &Map::new()).is_err());
    }
}
