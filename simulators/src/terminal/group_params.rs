//! The parameters of the terminal's group chat actions as cases write them (protocols.md §6).

use serde::Deserialize;
use serde_json::{Map, Value};

use super::params::{self, check_later, duration};

/// The group chat actions: name and what it does.
pub(crate) const GROUP_ACTIONS: [(&str, &str); 6] = [
    (
        "create-group",
        "create a group chat: INVITE to the conference factory with a recipient-list of roles or URIs",
    ),
    ("send-group", "send one CPIM message in the group session"),
    (
        "add-member",
        "add a participant to the group (REFER to the focus)",
    ),
    ("leave-group", "leave the group (BYE in the group session)"),
    (
        "change-subject",
        "change the group subject as chairman (cpm-group-management MESSAGE to the focus)",
    ),
    (
        "group-info",
        "report the group as the conference NOTIFYs told it (uri, subject, members, version)",
    ),
];

/// `create-group`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct CreateGroupParams {
    /// Roles or URIs.
    pub members: Vec<String>,
    pub subject: Option<String>,
    pub timeout: Option<String>,
}

/// `send-group`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct SendGroupParams {
    #[serde(default = "default_text")]
    pub text: String,
    /// The group URI; by default the newest group not left.
    pub group: Option<String>,
    #[serde(default = "default_disposition")]
    pub disposition: String,
    pub timeout: Option<String>,
}

/// `add-member`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct AddMemberParams {
    /// One role or URI.
    pub member: Option<String>,
    /// Several roles or URIs (a `cid:` resource list).
    pub members: Option<Vec<String>>,
    pub group: Option<String>,
    pub timeout: Option<String>,
}

/// `leave-group`, `group-info`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct GroupParams {
    pub group: Option<String>,
    pub timeout: Option<String>,
}

/// `change-subject`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ChangeSubjectParams {
    pub subject: String,
    pub group: Option<String>,
    pub timeout: Option<String>,
}

fn default_text() -> String {
    "hello group".to_owned()
}

fn default_disposition() -> String {
    "positive-delivery".to_owned()
}

/// Whether `action` is a group chat action.
pub(crate) fn is_group_action(action: &str) -> bool {
    GROUP_ACTIONS.iter().any(|(name, _)| *name == action)
}

/// Checks a group action's parameters at load time.
pub(crate) fn check(action: &str, map: &Map<String, Value>) -> Result<(), String> {
    let timeout = match action {
        "create-group" => {
            let p: CreateGroupParams = params::parse(map)?;
            if p.members.is_empty() {
                return Err("members must name at least one role or URI".to_owned());
            }
            p.timeout
        }
        "send-group" => params::parse::<SendGroupParams>(map)?.timeout,
        "add-member" => {
            let p: AddMemberParams = params::parse(map)?;
            if p.member.is_some() == p.members.is_some() {
                return Err("give `member` or `members`".to_owned());
            }
            p.timeout
        }
        "leave-group" | "group-info" => params::parse::<GroupParams>(map)?.timeout,
        "change-subject" => params::parse::<ChangeSubjectParams>(map)?.timeout,
        other => return Err(format!("a terminal has no action `{other}`")),
    };
    check_later(timeout.as_deref(), duration)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn map(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => unreachable!("test maps are objects"),
        }
    }

    #[test]
    fn group_actions_check_their_parameters() {
        assert!(
            check(
                "create-group",
                &map(json!({ "members": ["bob", "carol"], "subject": "x" }))
            )
            .is_ok()
        );
        assert!(check("create-group", &map(json!({ "members": [] }))).is_err());
        assert!(check("create-group", &map(json!({ "member": ["bob"] }))).is_err());
        assert!(
            check(
                "send-group",
                &map(json!({ "text": "hi", "timeout": "${t}" }))
            )
            .is_ok()
        );
        assert!(check("add-member", &map(json!({ "member": "dave" }))).is_ok());
        assert!(check("add-member", &map(json!({}))).is_err());
        assert!(check("leave-group", &map(json!({ "timeout": "soon" }))).is_err());
        assert!(check("change-subject", &map(json!({ "subject": "新" }))).is_ok());
        assert!(is_group_action("group-info") && !is_group_action("start-chat"));
    }
}
