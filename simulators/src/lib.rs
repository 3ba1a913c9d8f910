//! rcs-simulators: built-in simulators of the 5G Messaging roles, over real sockets on loopback.
//!
//! Each simulator implements the harness's [`rcs_harness::agent::Agent`] contract and reports
//! every message it sends or receives to the case's [`rcs_harness::agent::WireTap`]. Without
//! faults a simulator follows the rules of `spec/protocols.md`; each fault id of [`faults`] breaks
//! exactly one rule, so that a case can show that it detects that breach.
//!
//! - [`net`]: SIP over UDP and TCP on one port number, with a wire record of every message.
//! - [`msrp`]: MSRP sessions over TCP and TLS, with a wire record of every frame.
//! - [`http`]: an HTTP/1.1 server and client over TCP and TLS, with a wire record of every message.
//! - [`message_center`]: the IMS core and 5G Message Center (registrar, routing, relay).
//! - [`terminal`]: the 5G Messaging terminal (UE).
//! - [`content_server`]: the FT-HTTP content server the message center hosts.
//! - [`csp_bot`]: the chatbot server (a bank's) behind the MaaP's developer APIs.
//! - [`maap`]: the chatbot platform (MaaP): chatbots' SIP side, bot info, developer APIs.
//! - [`sms_center`]: the SMS center taking SMS-over-IP fallback messages.
//! - [`iwg`]: the interworking gateway between carriers (role kind `peer-carrier`).
//! - [`faults`]: the fault catalogue.
//!
//! The command-line crate reaches them through [`Simulators`], the
//! [`rcs_harness::agent::AgentFactory`] of this crate.

mod cdr_export;
pub mod content_server;
pub mod csp_bot;
pub mod faults;
pub mod http;
pub mod iwg;
pub mod maap;
pub mod message_center;
pub mod msrp;
pub mod net;
pub mod sms_center;
pub mod terminal;

mod factory;

pub use factory::Simulators;
