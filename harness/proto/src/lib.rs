//! rcs-proto: sans-IO codecs and protocol state machines for 5G Messaging.
//!
//! Everything here works on bytes and takes time as an argument: no sockets, no tokio, no clocks.
//! The SIP model is lossless (the original bytes, header order, case and spacing are kept) with typed
//! views parsed on demand, because a conformance tool must show exactly what was sent.
//!
//! - [`aka`]: IMS AKA (TS 33.102 §6.3, Milenage TS 35.206) and its digest form AKAv1-MD5 (RFC 3310).
//! - [`bot`]: chatbot content (protocols.md §7): card, suggestion and menu JSON, spam report.
//! - [`sip`]: SIP messages (RFC 3261), framing, header grammar, digest auth, non-INVITE transactions.
//! - [`cpim`]: the Common Presence and Instant Messaging wrapper (RFC 3862).
//! - [`imdn`]: Instant Message Disposition Notifications (RFC 5438).
//! - [`msrp`]: the Message Session Relay Protocol (RFC 4975): framing, chunking, reassembly.
//! - [`sdp`]: session descriptions (RFC 8866), losslessly, and their MSRP media (RFC 4975 §8).
//! - [`multipart`]: multipart bodies (RFC 2046 §5.1), such as the large-message INVITE's.
//! - [`http`]: HTTP/1.1 messages (RFC 9110, RFC 9112), losslessly: framing, ranges, forms, digest.
//! - [`autoconfig`]: the auto-configuration `wap-provisioningdoc` and its parameter lookups (§2.1).
//! - [`conference`]: the conference event document `application/conference-info+xml` (RFC 4575).
//! - [`ft_http`]: the FT-HTTP file-info and file-resume-info documents (RCC.07, protocols.md §5).
//! - [`reginfo`]: the registration event document `application/reginfo+xml` (RFC 3680).
//! - [`resource_lists`]: URI lists (RFC 4826) with RFC 5364 copyControl, for group chat.
//! - [`revoke`]: the revoke request `application/vnd.gsma.rcsrevoke+xml` (protocols.md §4.9).
//! - [`sms`]: SMS over IP (TS 24.341): RP-DATA around SMS-SUBMIT/SMS-DELIVER, GSM 7-bit and UCS2.
//! - [`xml_tree`]: the namespace-checked, capped, XXE-refusing XML tree the documents below share.

pub mod aka;
pub mod autoconfig;
pub mod bot;
pub mod conference;
pub mod cpim;
pub mod ft_http;
pub mod group_data;
pub mod http;
pub mod imdn;
pub mod msrp;
pub mod multipart;
pub mod nbi;
pub mod reginfo;
pub mod resource_lists;
pub mod revoke;
pub mod sdp;
pub mod sip;
pub mod sms;
pub mod xml_tree;
