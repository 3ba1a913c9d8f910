//! The chatbot → user MESSAGE (protocols.md §7.2, §8.3): what a northbound send becomes on the
//! SIP side, and the Contact a chatbot shows in OPTIONS answers (§7.1, PLT-CAP-004).
//!
//! From and P-Asserted-Identity are the chatbot; the Contact carries the chatbot IARI, the bot
//! version and `+g.gsma.rcs.isbot`; Accept-Contact and P-Asserted-Service name the pager ICSI;
//! Conversation-ID, Contribution-ID and (when replying) InReplyTo-Contribution-ID come from the
//! API. The CPIM wrapper declares `NS: maap <http://www.gsma.com/rcs/maap/>` and carries
//! `maap.Traffic-Type`; `imdn.Message-ID` is the API message id and
//! `imdn.Disposition-Notification` lists the reports asked for. Each `maap.*` fault here removes
//! or changes exactly one of these. This module builds bytes only; sending is `delivery`.
//!
//! The MaaP is the first IMS node of a chatbot's message, so it opens the charging vector (RFC
//! 7315 4.6, protocols.md §10.3): `P-Charging-Vector: icid-value=<unique>;orig-ioi=<ioi>`, the
//! icid fresh for each MESSAGE and the same the message's A2P_MT billing record carries, the
//! `orig-ioi` the home domain of the MaaP's carrier (the carrier of the message center its trunk
//! goes to). `term-ioi` is the terminating network's to add.

use rcs_harness::role::{Carrier, RoleKind};
use rcs_proto::bot::{BOTMESSAGE_TYPE, BOTSUGGESTION_TYPE, MAAP_NS};
use rcs_proto::cpim::CpimBuilder;
use rcs_proto::multipart;
use rcs_proto::sip::Message;

use super::core::MaapCore;
use super::engine::Report;
use super::ids;
use super::uac::RequestHead;

/// The chatbot IARIs, URL-encoded as feature-tag values (session, standalone).
pub(crate) const CHATBOT_IARI: &str = "urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot";
pub(crate) const CHATBOT_SA_IARI: &str = "urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot.sa";
/// The bot versions a chatbot supports (v1 and v2).
pub(crate) const BOT_VERSION: &str = "+g.gsma.rcs.botversion=\"#=1,#=2\"";
/// The chatbot role tag.
pub(crate) const IS_BOT: &str = "+g.gsma.rcs.isbot";
/// The pager ICSI, URL-encoded and plain.
const CPM_MSG_ICSI: &str = "urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg";
const CPM_MSG_SERVICE: &str = "urn:urn-7:3gpp-service.ims.icsi.oma.cpm.msg";

/// What one chatbot MESSAGE to one user carries.
#[derive(Clone, Debug)]
pub(crate) struct MtMessage<'a> {
    pub chatbot: &'a str,
    /// The chatbot's service number, the user part of its Contact.
    pub service_id: &'a str,
    /// The user's SIP URI (Request-URI, To).
    pub target: &'a str,
    pub content_type: &'a str,
    pub body: &'a [u8],
    pub imdn_id: &'a str,
    pub conversation_id: &'a str,
    pub contribution_id: &'a str,
    pub in_reply_to: Option<&'a str>,
    pub traffic_type: Option<&'a str>,
    pub reports: &'a [Report],
    /// The `icid-value` of its P-Charging-Vector (see [`new_icid`]).
    pub icid: &'a str,
}

/// A fresh IMS charging identifier (RFC 7315 4.6 `icid-value`, a token): unique for each request
/// the MaaP starts.
pub(crate) fn new_icid() -> String {
    format!("maap-{}", ids::uuid())
}

/// The `P-Charging-Vector` a request the MaaP starts carries (RFC 7315 4.6): `icid` and the
/// MaaP's network as `orig-ioi`.
pub(crate) fn charging_vector(core: &MaapCore, icid: &str) -> String {
    format!("icid-value={icid};orig-ioi={}", orig_ioi(core))
}

/// The inter-operator identifier of the MaaP's network: the home domain of the carrier whose
/// message center the trunk goes to (the default carrier's without one).
pub(crate) fn orig_ioi(core: &MaapCore) -> &'static str {
    let carrier = core
        .peer_of_kind(RoleKind::MessageCenter)
        .map_or(Carrier::default(), |center| center.carrier);
    carrier.ioi()
}

/// The Contact of a chatbot (§7.1/§7.2): both chatbot IARIs, the bot version, and the isbot tag
/// unless `no_isbot`.
pub(crate) fn chatbot_contact(uri: &str, iaris: &[&str], no_isbot: bool) -> String {
    let mut contact = format!(
        "<{uri}>;+g.3gpp.iari-ref=\"{}\";{BOT_VERSION}",
        iaris.join(",")
    );
    if !no_isbot {
        contact.push(';');
        contact.push_str(IS_BOT);
    }
    contact
}

/// The `imdn.Disposition-Notification` value for the reports asked for; None when none.
pub(crate) fn disposition(reports: &[Report]) -> Option<String> {
    let mut asked = Vec::new();
    if reports.contains(&Report::Delivered) {
        asked.push("positive-delivery");
    }
    if reports.contains(&Report::Failed) {
        asked.push("negative-delivery");
    }
    if reports.contains(&Report::Displayed) {
        asked.push("display");
    }
    (!asked.is_empty()).then(|| asked.join(", "))
}

impl MtMessage<'_> {
    /// The CPIM body (§7.2).
    pub(crate) fn cpim(&self, core: &MaapCore) -> Vec<u8> {
        let mut cpim = CpimBuilder::new()
            .from(self.chatbot)
            .to(self.target)
            .datetime(&ids::now_rfc3339())
            .ns("imdn", "urn:ietf:params:imdn");
        if !core.has_fault("maap.no-maap-namespace") {
            cpim = cpim.ns("maap", MAAP_NS);
        }
        cpim = cpim.header("imdn.Message-ID", self.imdn_id);
        if let Some(value) = disposition(self.reports) {
            cpim = cpim.header("imdn.Disposition-Notification", &value);
        }
        if let Some(traffic) = self.traffic_type
            && !core.has_fault("maap.no-traffic-type")
        {
            cpim = cpim.header("maap.Traffic-Type", traffic);
        }
        let body = if core.has_fault("maap.suggestions-altered") {
            without_last_suggestion(self.content_type, self.body)
        } else if core.has_fault("maap.card-rewritten") {
            rewritten_card(self.content_type, self.body)
        } else {
            self.body.to_vec()
        };
        cpim.content_type(self.content_type).body(body).build()
    }

    /// The SIP MESSAGE, with `head`'s Via, Call-ID and tag.
    pub(crate) fn request(&self, core: &MaapCore, head: &RequestHead) -> Message {
        let contact_uri = core.contact_uri(self.service_id);
        let no_isbot = core.has_fault("maap.no-isbot-tag");
        let contact = chatbot_contact(&contact_uri, &[CHATBOT_SA_IARI], no_isbot);
        let mut builder = head
            .builder(core, "MESSAGE", self.target, self.chatbot, self.target)
            .header("P-Asserted-Identity", &format!("<{}>", self.chatbot))
            .header("Contact", &contact)
            .header(
                "Accept-Contact",
                &format!("*;+g.3gpp.icsi-ref=\"{CPM_MSG_ICSI}\""),
            )
            .header("P-Asserted-Service", CPM_MSG_SERVICE)
            .header("P-Charging-Vector", &charging_vector(core, self.icid))
            .header("Conversation-ID", self.conversation_id)
            .header("Contribution-ID", self.contribution_id);
        if let Some(replied) = self.in_reply_to {
            builder = builder.header("InReplyTo-Contribution-ID", replied);
        }
        builder.body("message/cpim", self.cpim(core)).build()
    }
}

/// The content with the last suggestion of its chip list dropped (`maap.suggestions-altered`);
/// content without a chip list is returned as it is.
pub(crate) fn without_last_suggestion(content_type: &str, body: &[u8]) -> Vec<u8> {
    let (Some(boundary), Ok(mut parts)) = (
        multipart::boundary(content_type),
        multipart::parse(content_type, body),
    ) else {
        return body.to_vec();
    };
    for part in &mut parts {
        let is_chips = part
            .content_type()
            .is_some_and(|ct| ct.starts_with(BOTSUGGESTION_TYPE));
        let Ok(mut doc) = serde_json::from_slice::<serde_json::Value>(&part.body) else {
            continue;
        };
        let Some(list) = doc.get_mut("suggestions").and_then(|l| l.as_array_mut()) else {
            continue;
        };
        if !is_chips || list.pop().is_none() {
            continue;
        }
        part.body = doc.to_string().into_bytes();
        let length = part.body.len().to_string();
        for (name, value) in &mut part.headers {
            if name.eq_ignore_ascii_case("Content-Length") {
                value.clone_from(&length);
            }
        }
    }
    multipart::build(&parts, &boundary)
}

/// A botmessage re-serialised with indentation (`maap.card-rewritten`): the same JSON, other
/// bytes. Other content is returned as it is.
pub(crate) fn rewritten_card(content_type: &str, body: &[u8]) -> Vec<u8> {
    if !content_type.starts_with(BOTMESSAGE_TYPE) {
        return body.to_vec();
    }
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|doc| serde_json::to_vec_pretty(&doc).ok())
        .unwrap_or_else(|| body.to_vec())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;
    use std::time::Duration;

    use rcs_harness::agent::{Peer, WireTap};
    use rcs_harness::clock::Clock;
    use rcs_harness::events::Transport;
    use tokio::net::UdpSocket;

    use super::*;
    use crate::maap::chatbots::{DEFAULT_CHATBOT, Family};
    use crate::maap::engine::{Engine, Outbound};
    use crate::maap::settings::MaapSettings;
    use crate::net::SipEndpoint;

    /// An engine whose trunk goes to `center`, a message center of `carrier`.
    async fn engine(center: std::net::SocketAddr, carrier: Carrier, faults: &[&str]) -> Engine {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
        let tap = WireTap::new("maap", Clock::real(), tx);
        let (endpoint, _incoming) = SipEndpoint::bind(tap).await.unwrap();
        let faults = faults.iter().map(|f| (*f).to_owned()).collect();
        let core = MaapCore::new(
            "maap",
            endpoint,
            Transport::Udp,
            Clock::real(),
            MaapSettings::default(),
            faults,
            vec![],
        );
        let mc = Peer {
            name: "mc".to_owned(),
            kind: RoleKind::MessageCenter,
            subscriber: None,
            sip_udp: Some(center),
            sip_tcp: None,
            sip_tls: None,
            http: None,
            carrier,
        };
        core.learn_peers(&BTreeMap::from([("mc".to_owned(), mc)]));
        Engine::new(Arc::new(core))
    }

    fn outbound(message_id: &str, to: &str) -> Outbound {
        Outbound {
            chatbot: DEFAULT_CHATBOT.into(),
            to: vec![to.into()],
            content_type: "text/plain".into(),
            body: "您的账单已出".as_bytes().to_vec(),
            message_id: message_id.into(),
            conversation_id: "conv".into(),
            contribution_id: "contrib".into(),
            in_reply_to: None,
            traffic_type: None,
            reports: vec![],
            store: false,
            sms_text: None,
            rcs_fallback: None,
            interaction: false,
            family: Family::Cmcc,
            other_net: Default::default(),
        }
    }

    /// The next MESSAGE the fake message center receives.
    async fn next_message(center: &UdpSocket) -> Message {
        let mut buf = vec![0u8; 65_535];
        let read = tokio::time::timeout(Duration::from_secs(5), center.recv_from(&mut buf));
        let (n, _) = read.await.unwrap().unwrap();
        Message::parse(buf[..n].to_vec()).unwrap()
    }

    /// Sends `out` and returns the charging vector of its MESSAGE and the icid of its record.
    async fn sent_and_billed(faults: &[&str], carrier: Carrier, id: &str) -> (String, String) {
        let center = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let engine = engine(center.local_addr().unwrap(), carrier, faults).await;
        engine.submit(outbound(id, "tel:+8613800000001"));
        let message = next_message(&center).await;
        assert_eq!(message.method(), Some("MESSAGE"));
        let vector = message.header("P-Charging-Vector").unwrap().to_owned();
        let filters = [("api_message_id".to_owned(), id.to_owned())];
        let answer = engine.cdrs().query(&filters);
        assert_eq!(answer["count"], 1);
        let icid = answer["cdrs"][0]["icid"].as_str().unwrap().to_owned();
        (vector, icid)
    }

    #[tokio::test]
    async fn the_a2p_record_carries_the_icid_of_the_message() {
        let (vector, icid) = sent_and_billed(&[], Carrier::Cmcc, "m-icid-1").await;
        let on_wire = crate::iwg::border::icid_of(&vector).unwrap();
        assert_eq!(icid, on_wire);
        assert_eq!(
            vector,
            format!("icid-value={on_wire};orig-ioi=ims.mnc000.mcc460.3gppnetwork.org")
        );
        let (again, _) = sent_and_billed(&[], Carrier::Cucc, "m-icid-2").await;
        assert!(again.ends_with(";orig-ioi=ims.mnc001.mcc460.3gppnetwork.org"));
        assert_ne!(crate::iwg::border::icid_of(&again), Some(on_wire));
    }

    #[tokio::test]
    async fn the_fault_gives_the_record_an_icid_of_its_own() {
        let (vector, icid) = sent_and_billed(&["maap.cdr-no-icid"], Carrier::Cmcc, "m-3").await;
        assert!(!icid.is_empty());
        assert_ne!(Some(icid), crate::iwg::border::icid_of(&vector));
    }

    #[test]
    fn the_contact_carries_iaris_version_and_isbot() {
        let c = chatbot_contact(
            "sip:12599@127.0.0.1:5060",
            &[CHATBOT_IARI, CHATBOT_SA_IARI],
            false,
        );
        assert_eq!(
            c,
            "<sip:12599@127.0.0.1:5060>;+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot,\
             urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot.sa\";+g.gsma.rcs.botversion=\"#=1,#=2\";+g.gsma.rcs.isbot"
        );
        assert!(!chatbot_contact("sip:x@y", &[CHATBOT_SA_IARI], true).contains("isbot"));
    }

    #[test]
    fn the_altered_chip_list_loses_its_last_suggestion() {
        let chips = serde_json::json!([
            {"reply": {"displayText": "是", "postback": {"data": "yes"}}},
            {"reply": {"displayText": "否", "postback": {"data": "no"}}}
        ]);
        let (ct, body) = rcs_proto::bot::with_suggestions("text/plain", "账单".as_bytes(), &chips);
        let altered = without_last_suggestion(&ct, &body);
        let left = rcs_proto::bot::suggestions_of(&ct, &altered);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].postback.as_deref(), Some("yes"));
        assert_eq!(without_last_suggestion("text/plain", b"hi"), b"hi");
        let card = br#"{"message":{"generalPurposeCard":{}}}"#;
        let rewritten = rewritten_card(BOTMESSAGE_TYPE, card);
        assert_ne!(rewritten, card);
        let same: serde_json::Value = serde_json::from_slice(&rewritten).unwrap_or_default();
        assert_eq!(
            same,
            serde_json::from_slice::<serde_json::Value>(card).unwrap_or_default()
        );
    }

    #[test]
    fn dispositions_follow_the_reports() {
        assert_eq!(disposition(&[]), None);
        assert_eq!(
            disposition(&[Report::Displayed, Report::Delivered]).as_deref(),
            Some("positive-delivery, display")
        );
        assert_eq!(disposition(&[Report::Sent]), None);
    }
}
