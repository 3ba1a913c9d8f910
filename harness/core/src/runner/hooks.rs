//! Making a real system act: a profile hook runs a shell command (a vendor's automation hook) or asks
//! the operator, in place of a simulator's action.
//!
//! A command gets the case's values as environment variables: `RCS_CASE`, `RCS_ROLE`, `RCS_ACTION`,
//! each action parameter as `RCS_PARAM_<NAME>`, and every `${role.key}` value as `RCS_<ROLE>_<KEY>`
//! (upper case, other characters as `_`: `${mc.addr}` is `RCS_MC_ADDR`). Lines `key=value` it prints on
//! standard output become the action's outputs (`${ue.key}` in later steps). A command that fails or
//! outlives its timeout is an environment error, never the system's fault.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Map, Value};

/// What a hook did.
#[derive(Debug, PartialEq)]
pub enum HookResult {
    Done(BTreeMap<String, String>),
    /// The hook cannot run here (an operator prompt in a non-interactive run): skip the case.
    Unavailable(String),
    /// The hook broke: an environment error.
    Failed(String),
}

/// `${mc.addr}` -> `RCS_MC_ADDR`.
pub fn env_name(key: &str) -> String {
    let mut out = String::from("RCS_");
    out.extend(key.chars().map(|c| {
        if c.is_ascii_alphanumeric() {
            c.to_ascii_uppercase()
        } else {
            '_'
        }
    }));
    out
}

/// The environment a hook command runs with.
pub fn environment(
    case: &str,
    role: &str,
    action: &str,
    params: &Map<String, Value>,
    vars: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let mut env = vec![
        ("RCS_CASE".to_owned(), case.to_owned()),
        ("RCS_ROLE".to_owned(), role.to_owned()),
        ("RCS_ACTION".to_owned(), action.to_owned()),
    ];
    for (k, v) in params {
        let text = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        env.push((env_name(&format!("param.{k}")), text));
    }
    env.extend(vars.iter().map(|(k, v)| (env_name(k), v.clone())));
    env
}

/// Run `command` with `sh -c`, bounded by `timeout`.
pub async fn run_command(command: &str, env: &[(String, String)], timeout: Duration) -> HookResult {
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let child = match child {
        Ok(c) => c,
        Err(e) => return HookResult::Failed(format!("failed to start hook `{command}`: {e}")),
    };
    let output = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Err(_) => {
            return HookResult::Failed(format!(
                "hook `{command}` did not finish within {} s",
                timeout.as_secs_f64()
            ));
        }
        Ok(Err(e)) => {
            return HookResult::Failed(format!("failed to wait for hook `{command}`: {e}"));
        }
        Ok(Ok(o)) => o,
    };
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: String = stderr
            .chars()
            .rev()
            .take(400)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        return HookResult::Failed(format!(
            "hook `{command}` failed ({}): {}",
            output.status,
            tail.trim()
        ));
    }
    let values = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .filter(|(k, _)| !k.is_empty() && !k.contains(' '))
        .collect();
    HookResult::Done(values)
}

/// Ask the operator, when someone is there to ask.
pub async fn prompt_operator(text: &str) -> HookResult {
    if !std::io::stdin().is_terminal() {
        return HookResult::Unavailable(format!(
            "the case needs an operator (\"{text}\") and the run is not interactive"
        ));
    }
    eprintln!("\n>>> {text}\n>>> press Enter when done");
    let read = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map(|_| ())
    })
    .await;
    match read {
        Ok(Ok(())) => HookResult::Done(BTreeMap::new()),
        _ => HookResult::Failed("failed to read the operator's answer".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_environment() {
        assert_eq!(env_name("mc.addr"), "RCS_MC_ADDR");
        assert_eq!(env_name("alice.sent.Call-ID"), "RCS_ALICE_SENT_CALL_ID");
        let params = serde_json::json!({ "to": "bob", "expires": 60 });
        let vars = BTreeMap::from([("bob.uri".to_owned(), "sip:b@x".to_owned())]);
        let env = environment("C1", "ue", "send-pager", params.as_object().unwrap(), &vars);
        assert!(env.contains(&("RCS_PARAM_TO".into(), "bob".into())));
        assert!(env.contains(&("RCS_PARAM_EXPIRES".into(), "60".into())));
        assert!(env.contains(&("RCS_BOB_URI".into(), "sip:b@x".into())));
        assert!(env.contains(&("RCS_ACTION".into(), "send-pager".into())));
    }

    #[tokio::test]
    async fn a_command_gets_values_and_returns_outputs() {
        let env = vec![("RCS_BOB_URI".to_owned(), "sip:b@x".to_owned())];
        let r = run_command(
            "echo \"status=200\"; echo \"to=$RCS_BOB_URI\"; echo noise",
            &env,
            Duration::from_secs(5),
        )
        .await;
        let HookResult::Done(values) = r else {
            panic!("{r:?}")
        };
        assert_eq!(values.get("status").map(String::as_str), Some("200"));
        assert_eq!(values.get("to").map(String::as_str), Some("sip:b@x"));
        assert_eq!(values.len(), 2);
    }

    #[tokio::test]
    async fn failures_and_timeouts_are_environment_errors() {
        let r = run_command("echo oops >&2; exit 3", &[], Duration::from_secs(5)).await;
        assert!(
            matches!(&r, HookResult::Failed(m) if m.contains("oops")),
            "{r:?}"
        );
        let r = run_command("sleep 5", &[], Duration::from_millis(100)).await;
        assert!(
            matches!(&r, HookResult::Failed(m) if m.contains("did not finish")),
            "{r:?}"
        );
    }
}
