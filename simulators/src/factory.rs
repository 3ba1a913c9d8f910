//! The agent factory of the built-in simulators.

/// Starts the built-in simulators for the runner.
#[derive(Clone, Copy, Debug, Default)]
pub struct Simulators;
