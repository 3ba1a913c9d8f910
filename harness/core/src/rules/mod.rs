//! Traffic rules: checks that can be judged from a capture alone, for `rcs-interop check`.
//!
//! A case drives a call flow and judges what arrives; a rule only looks. It names which messages it
//! applies to (`applies-to`: a `sip:` or `msrp:` filter plus `where` filters) and the checks every
//! such message must pass, in the same check language as cases. A rule may also require that each
//! message refer to an earlier one (`refers-to`, see [`refers`]). A rule that finds no message to
//! judge is skipped; one whose every message passes, passes. Rules live in `cases/rules/<ID>.yaml`.

pub mod judge;
pub mod load;
pub mod refers;

use crate::case::model::{Check, MessageFilter};

/// A validated rule.
#[derive(Clone, Debug)]
pub struct Rule {
    pub id: String,
    pub title: String,
    pub file: std::path::PathBuf,
    pub refs: Vec<String>,
    /// The messages the rule applies to.
    pub messages: MessageFilter,
    pub filter: Vec<Check>,
    pub checks: Vec<Check>,
    pub refers_to: Option<refers::RefersTo>,
}

pub use judge::judge_capture;
pub use load::{find_rule_files, load_rule};
