//! Revokes from the chatbot platform's trunk through the message center over real sockets
//! (protocols.md §4.9, §7.1; PLT-NBI-CM-008): the trunk may withdraw what its chatbot stored for
//! an offline user (200, and the user never gets it), gets 404 when there is nothing of that
//! chatbot's to withdraw (delivered, another sender's, another chatbot's), and a revoke claiming
//! the chatbot from anywhere but the trunk gets 403.

#![allow(clippy::unwrap_used)]

mod mc_support;

use std::net::SocketAddr;
use std::time::Duration;

use mc_support::{Mc, Phone, WAIT, rcs, start};
use pretty_assertions::assert_eq;
use rcs_harness::role::Subscriber;
use rcs_proto::cpim::CpimBuilder;
use rcs_proto::revoke::{REVOKE_CONTENT_TYPE, Revoke};
use rcs_proto::sip::Message;
use serde_json::json;
use tokio::net::UdpSocket;

const BANK: &str = "sip:12599@botplatform.rcs.chinamobile.com";
const OTHER_BOT: &str = "sip:106500@botplatform.rcs.domain.cn";

/// A SIP endpoint played by the test that speaks for chatbots: the MaaP on the trunk, or an
/// impostor elsewhere.
struct Bot {
    socket: UdpSocket,
    addr: SocketAddr,
    mc: Option<SocketAddr>,
    cseq: u32,
}

impl Bot {
    async fn bind() -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        Self {
            socket,
            addr,
            mc: None,
            cseq: 0,
        }
    }

    /// A pager MESSAGE from `chatbot` to `to` carrying `cpim`.
    fn message(&mut self, chatbot: &str, to: &Subscriber, cpim: &[u8]) -> Vec<u8> {
        self.cseq += 1;
        let head = format!(
            "MESSAGE {target} SIP/2.0\r\n\
Via: SIP/2.0/UDP {addr};branch=z9hG4bK{branch}\r\n\
Max-Forwards: 70\r\n\
From: <{chatbot}>;tag=bot{cseq}\r\n\
To: <{target}>\r\n\
Call-ID: bot-{cseq}-{port}@test\r\n\
CSeq: {cseq} MESSAGE\r\n\
P-Asserted-Identity: <{chatbot}>\r\n\
Conversation-ID: conv-bot\r\n\
Contribution-ID: c-bot-{cseq}\r\n\
Content-Type: message/cpim\r\n\
Content-Length: {len}\r\n\r\n",
            target = to.sip_uri(),
            addr = self.addr,
            branch = uuid::Uuid::new_v4().simple(),
            cseq = self.cseq,
            port = self.addr.port(),
            len = cpim.len(),
        );
        [head.as_bytes(), cpim].concat()
    }

    /// Sends `bytes` to the message center and returns its final answer.
    async fn ask(&mut self, bytes: &[u8]) -> Message {
        let mc = self.mc.unwrap();
        self.socket.send_to(bytes, mc).await.unwrap();
        self.final_response().await
    }

    /// The next final response.
    async fn final_response(&mut self) -> Message {
        loop {
            let mut buf = vec![0u8; 65_535];
            let received = tokio::time::timeout(WAIT, self.socket.recv_from(&mut buf)).await;
            let (n, _) = received.unwrap().unwrap();
            buf.truncate(n);
            let message = Message::parse(buf).unwrap();
            if message.status().is_some_and(|s| s >= 200) {
                return message;
            }
        }
    }

    /// `chatbot` sends chat `id` to `to`; the final answer.
    async fn chat(&mut self, chatbot: &str, to: &Subscriber, id: &str) -> Message {
        let cpim = CpimBuilder::new()
            .from(chatbot)
            .to(&to.sip_uri())
            .datetime("2025-03-01T10:00:00.000+08:00")
            .ns("imdn", "urn:ietf:params:imdn")
            .header("imdn.Message-ID", id)
            .content_type("text/plain;charset=UTF-8")
            .body(format!("限时优惠 {id}"))
            .build();
        let request = self.message(chatbot, to, &cpim);
        self.ask(&request).await
    }

    /// `chatbot` asks to revoke `id` sent to `to`; the final answer.
    async fn revoke(&mut self, chatbot: &str, to: &Subscriber, id: &str) -> Message {
        let cpim = CpimBuilder::new()
            .from(chatbot)
            .to(&to.sip_uri())
            .ns("imdn", "urn:ietf:params:imdn")
            .header("imdn.Message-ID", &format!("rv-{id}"))
            .content_type(REVOKE_CONTENT_TYPE)
            .body(Revoke::new(id).to_xml())
            .build();
        let request = self.message(chatbot, to, &cpim);
        self.ask(&request).await
    }
}

/// A message center whose trunk is `bot`'s address.
async fn with_trunk(bot: &mut Bot, faults: &[&str]) -> Mc {
    let mc = start(faults, json!({ "maap-trunk": bot.addr.to_string() })).await;
    bot.mc = Some(mc.addr);
    mc
}

/// The next request `phone` gets, answered 200.
async fn take(phone: &mut Phone) -> Message {
    let request = phone.recv().await;
    assert!(request.is_request(), "{}", request.summary());
    let ok = phone.answer(&request, 200, "OK", "");
    phone.send(&ok).await;
    request
}

/// Nothing reaches `phone` for half a second.
async fn nothing_for(phone: &mut Phone) {
    let got = tokio::time::timeout(Duration::from_millis(500), phone.recv()).await;
    assert!(got.is_err(), "got {}", got.unwrap().summary());
}

async fn registered(mc: &Mc, n: usize) -> Phone {
    let mut phone = Phone::udp(rcs(n), mc.addr).await;
    phone.register().await;
    phone
}

#[tokio::test]
async fn the_trunk_withdraws_what_its_chatbot_stored_and_only_that() {
    let mut maap = Bot::bind().await;
    let mc = with_trunk(&mut maap, &[]).await;
    let mut impostor = Bot::bind().await;
    impostor.mc = Some(mc.addr);
    assert_eq!(maap.chat(BANK, &rcs(2), "b1").await.status(), Some(202));
    assert_eq!(
        impostor.revoke(BANK, &rcs(2), "b1").await.status(),
        Some(403),
        "a chatbot's revoke from outside the trunk"
    );
    let other = maap.revoke(OTHER_BOT, &rcs(2), "b1").await;
    assert_eq!(other.status(), Some(404), "another chatbot's revoke");
    assert_eq!(maap.revoke(BANK, &rcs(2), "b1").await.status(), Some(200));
    let again = maap.revoke(BANK, &rcs(2), "b1").await;
    assert_eq!(again.status(), Some(404));
    assert!(again.header("Warning").unwrap().starts_with("399 mc \""));
    let mut b = registered(&mc, 2).await;
    nothing_for(&mut b).await;
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn a_revoke_after_delivery_gets_404_and_spares_the_user() {
    let mut maap = Bot::bind().await;
    let mc = with_trunk(&mut maap, &[]).await;
    let mut b = registered(&mc, 2).await;
    let cpim = CpimBuilder::new()
        .from(BANK)
        .to(&b.sub.sip_uri())
        .ns("imdn", "urn:ietf:params:imdn")
        .header("imdn.Message-ID", "d1")
        .content_type("text/plain")
        .body("账单已出")
        .build();
    let request = maap.message(BANK, &b.sub.clone(), &cpim);
    maap.socket.send_to(&request, mc.addr).await.unwrap();
    assert_eq!(take(&mut b).await.body(), &cpim[..]);
    assert_eq!(maap.final_response().await.status(), Some(200), "delivered");
    assert_eq!(
        maap.revoke(BANK, &b.sub.clone(), "d1").await.status(),
        Some(404)
    );
    nothing_for(&mut b).await;
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn the_trunk_cannot_withdraw_a_subscriber_message() {
    let mut maap = Bot::bind().await;
    let mc = with_trunk(&mut maap, &[]).await;
    let mut a = registered(&mc, 1).await;
    let body = mc_support::cpim(&a.sub, &rcs(3), "s1");
    let request = a.message(
        &rcs(3).sip_uri(),
        &mc_support::cpm_headers("conv-1", "c-s1"),
        &body,
    );
    a.send(&request).await;
    assert_eq!(a.recv().await.status(), Some(202));
    assert_eq!(maap.revoke(BANK, &rcs(3), "s1").await.status(), Some(404));
    let mut c = registered(&mc, 3).await;
    assert_eq!(take(&mut c).await.body(), &body[..]);
    mc.agent.shutdown().await;
}

#[tokio::test]
async fn with_revoke_ignored_the_trunk_is_told_yes_and_the_user_still_gets_it() {
    let mut maap = Bot::bind().await;
    let mc = with_trunk(&mut maap, &["message-center.revoke-ignored"]).await;
    assert_eq!(maap.chat(BANK, &rcs(2), "i1").await.status(), Some(202));
    assert_eq!(maap.revoke(BANK, &rcs(2), "i1").await.status(), Some(200));
    let mut b = registered(&mc, 2).await;
    let delivered = take(&mut b).await;
    assert!(String::from_utf8_lossy(delivered.body()).contains("i1"));
    mc.agent.shutdown().await;
}
