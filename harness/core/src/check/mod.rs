//! Checks: reading a subject from a message (SIP, MSRP or HTTP) and judging it against a predicate.

pub mod bot;
pub mod bot_content;
pub mod content;
pub mod group;
pub mod header;
pub mod http;
pub mod message;
pub mod predicate;
pub mod rebuilt;
pub mod subject;
pub mod tags;
pub mod xml_path;

pub use message::Msg;
pub use predicate::{Judgement, judge, judge_in};
