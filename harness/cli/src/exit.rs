//! Exit codes: they tell a pass, a conformance failure, a broken input and a broken harness apart.

use std::process::ExitCode;

use rcs_harness::events::Counts;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: every executed case passed (skips and known deviations included).
    Pass,
    /// 1: the system under test broke a rule (a fail or an unexpected pass).
    ConformanceFailure,
    /// 2: the command line is wrong (as clap's own usage errors), such as an unknown network in
    /// `--carriers`.
    Usage,
    /// 3: a case file or the profile is invalid (reported with file:line:col).
    InvalidInput,
    /// 4: the harness or the environment broke (an error verdict, a report that could not be written).
    HarnessError,
}

impl Exit {
    pub fn from_counts(c: &Counts) -> Self {
        if c.error > 0 {
            Self::HarnessError
        } else if c.fail > 0 || c.unexpected_pass > 0 {
            Self::ConformanceFailure
        } else {
            Self::Pass
        }
    }

    /// The worse of two outcomes: invalid input, then harness error, then conformance failure.
    pub fn worst(self, other: Self) -> Self {
        let rank = |e: Self| match e {
            Self::Pass => 0,
            Self::ConformanceFailure => 1,
            Self::HarnessError => 2,
            Self::InvalidInput => 3,
            Self::Usage => 4,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(match e {
            Exit::Pass => 0,
            Exit::ConformanceFailure => 1,
            Exit::Usage => 2,
            Exit::InvalidInput => 3,
            Exit::HarnessError => 4,
        })
    }
}
