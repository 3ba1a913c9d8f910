//! Verdicts: the result of one case execution.

use serde::{Deserialize, Serialize};

/// The result of one case execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every check held.
    Pass,
    /// The system under test broke a rule: at least one check failed.
    Fail,
    /// The harness or the environment broke; never blamed on the system under test.
    Error,
    /// Not applicable to this system under test.
    Skip,
    /// Failed, as the profile said it would, with a reason.
    KnownDeviation,
    /// Listed as a known deviation but passed: the profile is stale, and the run fails.
    UnexpectedPass,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Fail => "fail",
            Self::Error => "error",
            Self::Skip => "skip",
            Self::KnownDeviation => "known-deviation",
            Self::UnexpectedPass => "unexpected-pass",
        }
    }

    /// Whether this verdict makes the run fail.
    pub fn fails_run(self) -> bool {
        matches!(self, Self::Fail | Self::Error | Self::UnexpectedPass)
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
