//! The fault catalogue of the built-in simulators.
