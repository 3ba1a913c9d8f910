//! Checks: reading a subject from a message and judging it against a predicate.

pub mod predicate;
pub mod subject;
pub mod tags;

pub use predicate::{Judgement, judge};
