//! rcs-harness: the case model and loader, profiles, planner, runner, checks, events and clock.
//!
//! The harness never knows a concrete simulator: simulators implement [`agent::Agent`] and are handed
//! to the runner through an [`agent::AgentFactory`] by the command-line crate. Reporters see only
//! [`events::Event`]s.

pub mod agent;
pub mod capability;
pub mod carrier;
pub mod case;
pub mod check;
pub mod clock;
pub mod events;
pub mod offline;
pub mod plan;
pub mod profile;
pub mod role;
pub mod rules;
pub mod runner;
pub mod verdict;
