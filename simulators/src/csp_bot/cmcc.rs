//! The chatbot server's side of the China Mobile (CMCC) XML developer API (protocols.md §8.1): its actions and the
//! callbacks it serves. Not implemented yet: every function answers "not mine".

use std::sync::Arc;

use rcs_harness::agent::{ActionOutput, ActionSpec};
use rcs_proto::http::{Request, Response};
use serde_json::{Map, Value};

use super::core::{BotCore, Callback};

/// The actions this family adds.
pub(crate) const ACTIONS: &[ActionSpec] = &[];

/// Performs `action` when it belongs to this family; None otherwise.
pub(crate) async fn act(
    _core: &Arc<BotCore>,
    _action: &str,
    _params: &Map<String, Value>,
) -> Option<Result<ActionOutput, String>> {
    None
}

/// Checks `action`'s parameters when it belongs to this family; None otherwise.
pub(crate) fn check(_action: &str, _params: &Map<String, Value>) -> Option<Result<(), String>> {
    None
}

/// Answers a callback request when its path belongs to this family; None otherwise.
pub(crate) async fn callback(
    _core: &Arc<BotCore>,
    _request: &Request,
) -> Option<(Response, Option<Callback>)> {
    None
}
