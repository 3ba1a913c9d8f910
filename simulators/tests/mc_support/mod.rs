//! Test support for the message-center tests: a message center started through the factory on a
//! virtual clock, and phones that speak raw SIP bytes over UDP or TCP from a test socket.

#![allow(clippy::unwrap_used, dead_code)]

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use rcs_harness::agent::{Agent, AgentFactory, AgentSpec, Captured, WireTap};
use rcs_harness::clock::Clock;
use rcs_harness::events::Transport;
use rcs_harness::role::{HOME_DOMAIN, RoleKind, Subscriber};
use rcs_proto::sip::auth::{Challenge, Credentials};
use rcs_proto::sip::{Message, StreamDecoder};
use rcs_simulators::Simulators;
use serde_json::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};
use tokio::sync::mpsc;

/// How long a test waits for a message before failing.
pub const WAIT: Duration = Duration::from_secs(5);

/// A message center under test.
pub struct Mc {
    pub agent: Box<dyn Agent>,
    pub clock: Clock,
    pub addr: SocketAddr,
    pub captures: mpsc::UnboundedReceiver<Captured>,
}

/// The subscribers: RCS users 1-3 and non-RCS user 1.
pub fn subscribers() -> Vec<Subscriber> {
    vec![
        Subscriber::builtin(1, true),
        Subscriber::builtin(2, true),
        Subscriber::builtin(3, true),
        Subscriber::builtin(1, false),
    ]
}

pub fn rcs(n: usize) -> Subscriber {
    Subscriber::builtin(n, true)
}

/// Starts a message center with `faults` and `settings` (a JSON object).
pub async fn start(faults: &[&str], settings: Value) -> Mc {
    let clock = Clock::virtual_time();
    let (tx, captures) = mpsc::unbounded_channel();
    let spec = AgentSpec {
        case: "MC-TEST".into(),
        role: "mc".into(),
        kind: RoleKind::MessageCenter,
        faults: faults.iter().map(|f| (*f).to_owned()).collect(),
        transport: Transport::Udp,
        subscriber: None,
        subscribers: subscribers(),
        peers: BTreeMap::new(),
        settings: settings.as_object().cloned().unwrap_or_else(Map::new),
        tls: Default::default(),
        carrier: Default::default(),
    };
    let tap = WireTap::new("mc", clock.clone(), tx);
    let agent = Simulators.start(spec, tap, clock.clone()).await.unwrap();
    let addr = agent.endpoints().sip_udp.unwrap();
    Mc {
        agent,
        clock,
        addr,
        captures,
    }
}

/// Starts a clean message center with default settings.
pub async fn clean() -> Mc {
    start(&[], Value::Null).await
}

enum Socket {
    Udp(UdpSocket),
    Tcp { stream: TcpStream, buf: BytesMut },
}

/// A phone played by the test: raw bytes out, parsed messages in.
pub struct Phone {
    socket: Socket,
    pub sub: Subscriber,
    pub mc: SocketAddr,
    pub addr: SocketAddr,
    cseq: u32,
}

impl Phone {
    pub async fn udp(sub: Subscriber, mc: SocketAddr) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        Self {
            socket: Socket::Udp(socket),
            sub,
            mc,
            addr,
            cseq: 0,
        }
    }

    /// A phone on a TCP connection to the message center; its contact is the connection's
    /// own address, so requests for it come back on the same connection.
    pub async fn tcp(sub: Subscriber, mc: SocketAddr) -> Self {
        let stream = TcpStream::connect(mc).await.unwrap();
        let addr = stream.local_addr().unwrap();
        Self {
            socket: Socket::Tcp {
                stream,
                buf: BytesMut::new(),
            },
            sub,
            mc,
            addr,
            cseq: 0,
        }
    }

    pub fn transport(&self) -> &'static str {
        match self.socket {
            Socket::Udp(_) => "UDP",
            Socket::Tcp { .. } => "TCP",
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        match &mut self.socket {
            Socket::Udp(socket) => {
                socket.send_to(bytes, self.mc).await.unwrap();
            }
            Socket::Tcp { stream, .. } => stream.write_all(bytes).await.unwrap(),
        }
    }

    /// The next message, or a panic after [`WAIT`].
    pub async fn recv(&mut self) -> Message {
        tokio::time::timeout(WAIT, self.recv_inner())
            .await
            .unwrap_or_else(|_| panic!("{} received nothing within {WAIT:?}", self.sub.msisdn))
    }

    async fn recv_inner(&mut self) -> Message {
        match &mut self.socket {
            Socket::Udp(socket) => {
                let mut buf = vec![0u8; 65_535];
                let (n, _) = socket.recv_from(&mut buf).await.unwrap();
                buf.truncate(n);
                Message::parse(buf).unwrap()
            }
            Socket::Tcp { stream, buf } => {
                let mut decoder = StreamDecoder::default();
                loop {
                    if let Some(message) = decoder.decode(buf).unwrap() {
                        return message;
                    }
                    assert_ne!(stream.read_buf(buf).await.unwrap(), 0, "connection closed");
                }
            }
        }
    }

    /// Whether the TCP connection has been closed by the message center.
    pub async fn closed(&mut self) -> bool {
        let Socket::Tcp { stream, .. } = &mut self.socket else {
            return false;
        };
        let mut rest = Vec::new();
        matches!(
            tokio::time::timeout(WAIT, stream.read_to_end(&mut rest)).await,
            Ok(Ok(0))
        )
    }

    pub fn next_cseq(&mut self) -> u32 {
        self.cseq += 1;
        self.cseq
    }

    pub fn contact_uri(&self) -> String {
        let transport = if self.transport() == "TCP" {
            ";transport=tcp"
        } else {
            ""
        };
        format!("sip:{}@{}{transport}", self.sub.msisdn, self.addr)
    }

    /// A Via with a fresh branch.
    pub fn via(&self) -> String {
        format!(
            "SIP/2.0/{} {};branch=z9hG4bK{}",
            self.transport(),
            self.addr,
            uuid::Uuid::new_v4().simple()
        )
    }

    /// A REGISTER for this phone, with `authorization` if given.
    pub fn register_request(
        &mut self,
        expires: u32,
        contact_params: &str,
        authorization: Option<&str>,
    ) -> String {
        let cseq = self.next_cseq();
        let aor = self.sub.sip_uri();
        let auth = authorization
            .map(|a| format!("Authorization: {a}\r\n"))
            .unwrap_or_default();
        format!(
            "REGISTER sip:{HOME_DOMAIN} SIP/2.0\r\n\
Via: {via}\r\n\
Max-Forwards: 70\r\n\
From: <{aor}>;tag=reg{cseq}\r\n\
To: <{aor}>\r\n\
Call-ID: reg-{msisdn}@test\r\n\
CSeq: {cseq} REGISTER\r\n\
Contact: <{contact}>{contact_params}\r\n\
Expires: {expires}\r\n\
Path: <sip:term@pcscf.{HOME_DOMAIN};lr>\r\n\
Supported: path,gruu\r\n\
{auth}\
Content-Length: 0\r\n\r\n",
            via = self.via(),
            contact = self.contact_uri(),
            msisdn = self.sub.msisdn,
        )
    }

    /// Answers a 401 with `password`.
    pub fn authorization(&self, challenge: &Message, password: &str) -> String {
        let challenge = Challenge::parse(challenge.header("WWW-Authenticate").unwrap()).unwrap();
        let uri = format!("sip:{HOME_DOMAIN}");
        Credentials::answer(
            &challenge,
            &self.sub.impi,
            password,
            "REGISTER",
            &uri,
            "0a4f113b",
            1,
        )
        .unwrap()
        .to_header_value()
    }

    /// The whole dance with the right password; returns the final response.
    pub async fn register_with(&mut self, expires: u32, contact_params: &str) -> Message {
        let request = self.register_request(expires, contact_params, None);
        self.send(request.as_bytes()).await;
        let challenge = self.recv().await;
        assert_eq!(challenge.status(), Some(401), "{}", challenge.summary());
        let password = self.sub.password.clone();
        let authorization = self.authorization(&challenge, &password);
        let request = self.register_request(expires, contact_params, Some(&authorization));
        self.send(request.as_bytes()).await;
        self.recv().await
    }

    /// Registers with RCS feature tags; asserts a 200.
    pub async fn register(&mut self) -> Message {
        let ok = self.register_with(600_000, TAGS).await;
        assert_eq!(ok.status(), Some(200), "{}", ok.summary());
        ok
    }

    /// An OPTIONS from this phone to `target`.
    pub fn options(&mut self, target: &str) -> String {
        let cseq = self.next_cseq();
        format!(
            "OPTIONS {target} SIP/2.0\r\n\
Via: {via}\r\n\
Max-Forwards: 70\r\n\
From: <{aor}>;tag=o{cseq}\r\n\
To: <{target}>\r\n\
Call-ID: opt-{cseq}-{msisdn}@test\r\n\
CSeq: {cseq} OPTIONS\r\n\
Contact: <{contact}>{TAGS}\r\n\
Accept: application/sdp\r\n\
Content-Length: 0\r\n\r\n",
            via = self.via(),
            aor = self.sub.sip_uri(),
            contact = self.contact_uri(),
            msisdn = self.sub.msisdn,
        )
    }

    /// A pager MESSAGE from this phone to `target` with `extra` header lines (each ending in CRLF)
    /// and a CPIM body.
    pub fn message(&mut self, target: &str, extra: &str, body: &[u8]) -> Vec<u8> {
        let cseq = self.next_cseq();
        let head = format!(
            "MESSAGE {target} SIP/2.0\r\n\
Via: {via}\r\n\
Max-Forwards: 70\r\n\
Route: <sip:orig@scscf.{HOME_DOMAIN};lr>\r\n\
From: <{aor}>;tag=m{cseq}\r\n\
To: <{target}>\r\n\
Call-ID: msg-{cseq}-{msisdn}@test\r\n\
CSeq: {cseq} MESSAGE\r\n\
P-Preferred-Identity: <{aor}>\r\n\
Accept-Contact: *;+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\"\r\n\
{extra}\
Content-Type: message/cpim\r\n\
Content-Length: {len}\r\n\r\n",
            via = self.via(),
            aor = self.sub.sip_uri(),
            msisdn = self.sub.msisdn,
            len = body.len(),
        );
        [head.as_bytes(), body].concat()
    }

    /// Answers `request` with `status`, copying the headers a response must copy, plus `extra`.
    pub fn answer(&self, request: &Message, status: u16, reason: &str, extra: &str) -> Vec<u8> {
        let mut out = format!("SIP/2.0 {status} {reason}\r\n");
        for via in request.header_all("Via") {
            out.push_str(&format!("Via: {via}\r\n"));
        }
        for name in ["From", "To", "Call-ID", "CSeq"] {
            let value = request.header(name).unwrap();
            let value = if name == "To" {
                format!("{value};tag=ans")
            } else {
                value.to_owned()
            };
            out.push_str(&format!("{name}: {value}\r\n"));
        }
        out.push_str(extra);
        out.push_str("Content-Length: 0\r\n\r\n");
        out.into_bytes()
    }
}

/// The feature tags the test phones register and advertise (protocols.md §2.2).
pub const TAGS: &str = ";+sip.instance=\"<urn:uuid:6f1e9a5c-0000-4000-8000-000000000001>\";\
+g.3gpp.icsi-ref=\"urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.session,urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg\";\
+g.3gpp.iari-ref=\"urn%3Aurn-7%3A3gpp-application.ims.iari.rcs.chatbot\";+g.gsma.rcs.cpm.pager-large;reg-id=1";

/// A pager CPIM body (protocols.md §4.3), UTF-8 text included.
pub fn cpim(from: &Subscriber, to: &Subscriber, message_id: &str) -> Vec<u8> {
    let text = "你好, relay me unchanged";
    format!(
        "From: <{from}>\r\nTo: <{to}>\r\nDateTime: 2025-03-01T10:00:00.000+08:00\r\n\
NS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: {message_id}\r\n\
imdn.Disposition-Notification: positive-delivery, display\r\n\r\n\
Content-Type: text/plain;charset=UTF-8\r\nContent-Length: {len}\r\n\r\n{text}",
        from = from.sip_uri(),
        to = to.sip_uri(),
        len = text.len(),
    )
    .into_bytes()
}

/// The CPM headers of a pager MESSAGE.
pub fn cpm_headers(conversation: &str, contribution: &str) -> String {
    format!("Conversation-ID: {conversation}\r\nContribution-ID: {contribution}\r\n")
}

/// Two registered UDP phones, A (user 1) and B (user 2).
pub async fn registered_pair(mc: &Mc) -> (Phone, Phone) {
    let mut a = Phone::udp(rcs(1), mc.addr).await;
    let mut b = Phone::udp(rcs(2), mc.addr).await;
    a.register().await;
    b.register().await;
    (a, b)
}
