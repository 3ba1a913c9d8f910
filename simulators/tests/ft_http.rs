//! The FT-HTTP content server over real sockets on the virtual clock (upload with digest,
//! download, range, resume of a cut upload, expiry, oversize), and file transfer from one
//! simulated terminal to another through the simulated message center (protocols.md §5).

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use rcs_harness::agent::{ActionOutput, Agent, AgentFactory, AgentSpec, Captured, Peer, WireTap};
use rcs_harness::clock::Clock;
use rcs_harness::events::{Direction, Protocol, Transport};
use rcs_harness::role::{RoleKind, Subscriber};
use rcs_proto::ft_http::{FileTransferInfo, ResumeInfo};
use rcs_proto::http::{Request, RequestBuilder, Response, digest, form};
use rcs_simulators::Simulators;
use rcs_simulators::content_server::{ContentServer, CsConfig, CsFaults};
use rcs_simulators::http::{HttpClient, send_cut};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

struct Cs {
    server: ContentServer,
    client: HttpClient,
    tap: WireTap,
    clock: Clock,
    user: Subscriber,
}

async fn content_server(config: CsConfig) -> Cs {
    let clock = Clock::virtual_time();
    let (tx, _rx) = mpsc::unbounded_channel();
    let tap = WireTap::new("mc", clock.clone(), tx);
    let user = Subscriber::builtin(1, true);
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let server = ContentServer::start(
        ip,
        None,
        tap.clone(),
        clock.clone(),
        config,
        vec![user.clone()],
    )
    .await
    .unwrap();
    let client = HttpClient::new(tap.for_role("alice"), None);
    Cs {
        server,
        client,
        tap,
        clock,
        user,
    }
}

impl Cs {
    async fn send(&self, request: &Request) -> Response {
        self.client
            .send(self.server.local_addr(), false, request)
            .await
            .unwrap()
    }

    fn path(&self, url: &str) -> String {
        let at = url.find(&self.server.local_addr().to_string()).unwrap();
        url[at + self.server.local_addr().to_string().len()..].to_owned()
    }

    /// The empty POST; the Authorization maker for the challenge it got.
    async fn challenge(&self) -> impl Fn(&str, &str) -> String {
        let empty = RequestBuilder::new("POST", "/upload").build().unwrap();
        let answer = self.send(&empty).await;
        assert_eq!(answer.status(), 401);
        let challenge = digest::challenge(&answer).unwrap();
        let user = self.user.clone();
        move |method: &str, target: &str| {
            digest::authorization(
                &challenge,
                &user.impi,
                &user.password,
                method,
                target,
                "c1",
                1,
            )
            .unwrap()
        }
    }
}

fn upload_body(tid: &str, file: &[u8], thumbnail: bool) -> (String, Vec<u8>) {
    let mut parts = vec![form::field("tid", Some("text/plain"), tid)];
    if thumbnail {
        parts.push(form::file(
            "Thumbnail",
            "thumb.jpg",
            "image/jpeg",
            vec![1u8; 300],
        ));
    }
    parts.push(form::file("File", "cat.jpg", "image/jpeg", file));
    form::build(&parts, "bnd42")
}

fn post(auth: &impl Fn(&str, &str) -> String, tid: &str, file: &[u8]) -> Request {
    let (content_type, body) = upload_body(tid, file, true);
    RequestBuilder::new("POST", "/upload")
        .header("Authorization", &auth("POST", "/upload"))
        .header("Content-Type", &content_type)
        .body(body)
        .build()
        .unwrap()
}

fn file(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8).collect()
}

#[tokio::test]
async fn the_empty_post_is_challenged_unless_auth_is_off() {
    let cs = content_server(CsConfig::default()).await;
    let auth = cs.challenge().await;
    let bare = post(&|_: &str, _: &str| String::new(), "t0", b"x");
    assert_eq!(
        cs.send(&bare).await.status(),
        401,
        "no credentials, no upload"
    );
    assert_eq!(cs.send(&post(&auth, "t0", b"x")).await.status(), 200);

    let open = content_server(CsConfig {
        auth: false,
        ..CsConfig::default()
    })
    .await;
    let empty = RequestBuilder::new("POST", "/upload").build().unwrap();
    assert_eq!(open.send(&empty).await.status(), 204);
    let faulty = content_server(CsConfig {
        faults: CsFaults {
            no_auth_challenge: true,
            ..CsFaults::default()
        },
        ..CsConfig::default()
    })
    .await;
    assert_eq!(faulty.send(&empty).await.status(), 204);
}

#[tokio::test]
async fn upload_download_and_range() {
    let cs = content_server(CsConfig::default()).await;
    let auth = cs.challenge().await;
    let bytes = file(183_524);
    let answer = cs.send(&post(&auth, "a6f0c9e2", &bytes)).await;
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.content_type(),
        Some("application/vnd.gsma.rcs-ft-http+xml")
    );
    let info = FileTransferInfo::parse(answer.body()).unwrap();
    assert_eq!(info.file.size, Some(183_524));
    assert_eq!(info.file.name.as_deref(), Some("cat.jpg"));
    assert_eq!(info.thumbnail.as_ref().unwrap().size, Some(300));
    assert!(info.file.data.until.ends_with('Z'));
    assert!(info.file.data.url.starts_with("http://127.0.0.1:"));

    let get = RequestBuilder::new("GET", &cs.path(&info.file.data.url))
        .build()
        .unwrap();
    let whole = cs.send(&get).await;
    assert_eq!((whole.status(), whole.body()), (200, &bytes[..]));
    let thumb_url = cs.path(&info.thumbnail.unwrap().data.url);
    let thumb = cs
        .send(&RequestBuilder::new("GET", &thumb_url).build().unwrap())
        .await;
    assert_eq!(thumb.body(), &[1u8; 300][..]);

    let ranged = RequestBuilder::new("GET", &cs.path(&info.file.data.url))
        .header("Range", "bytes=100-199")
        .build()
        .unwrap();
    let part = cs.send(&ranged).await;
    assert_eq!(part.status(), 206);
    assert_eq!(part.header("Content-Range"), Some("bytes 100-199/183524"));
    assert_eq!(part.body(), &bytes[100..200]);
    let past = RequestBuilder::new("GET", &cs.path(&info.file.data.url))
        .header("Range", "bytes=999999-")
        .build()
        .unwrap();
    let refused = cs.send(&past).await;
    assert_eq!(refused.status(), 416);
    assert_eq!(refused.header("Content-Range"), Some("bytes */183524"));

    let download_info = "/upload?tid=a6f0c9e2&get_download_info";
    let again = RequestBuilder::new("GET", download_info)
        .header("Authorization", &auth("GET", download_info))
        .build()
        .unwrap();
    let again = cs.send(&again).await;
    assert_eq!(
        FileTransferInfo::parse(again.body()).unwrap().file.size,
        Some(183_524)
    );
}

#[tokio::test]
async fn links_expire_on_the_case_clock() {
    let cs = content_server(CsConfig {
        validity: Duration::from_secs(60),
        ..CsConfig::default()
    })
    .await;
    let auth = cs.challenge().await;
    let answer = cs.send(&post(&auth, "t1", &file(1000))).await;
    let info = FileTransferInfo::parse(answer.body()).unwrap();
    let get = RequestBuilder::new("GET", &cs.path(&info.file.data.url))
        .build()
        .unwrap();
    assert_eq!(cs.send(&get).await.status(), 200);
    cs.clock.advance(Duration::from_secs(61)).await;
    let gone = cs.send(&get).await;
    assert_eq!(gone.status(), 410);
    assert!(gone.body().is_empty());
}

#[tokio::test]
async fn an_oversize_upload_is_refused_and_not_kept() {
    let cs = content_server(CsConfig {
        max_size: 10_000,
        ..CsConfig::default()
    })
    .await;
    let auth = cs.challenge().await;
    let answer = cs.send(&post(&auth, "big", &file(10_001))).await;
    assert_eq!(answer.status(), 413);
    assert!(answer.body().is_empty());
    let target = "/upload?tid=big&get_download_info";
    let ask = RequestBuilder::new("GET", target)
        .header("Authorization", &auth("GET", target))
        .build()
        .unwrap();
    assert_eq!(cs.send(&ask).await.status(), 404, "nothing stored");
    assert_eq!(
        cs.send(&post(&auth, "ok", &file(10_000))).await.status(),
        200
    );
}

#[tokio::test]
async fn a_cut_upload_resumes_where_it_stopped() {
    let cs = content_server(CsConfig::default()).await;
    let auth = cs.challenge().await;
    let bytes = file(50_000);
    let request = post(&auth, "cut-1", &bytes);
    let raw = request.as_bytes();
    let file_at = raw
        .windows(4)
        .enumerate()
        .filter(|(_, w)| *w == b"\r\n\r\n")
        .nth(3)
        .unwrap()
        .0
        + 4;
    assert_eq!(
        &raw[file_at..file_at + 4],
        &bytes[..4],
        "the File part's bytes begin here"
    );
    send_cut(
        &cs.tap,
        None,
        cs.server.local_addr(),
        &raw[..file_at + 20_000],
    )
    .await
    .unwrap();

    let target = "/upload?tid=cut-1&get_upload_info";
    let info = RequestBuilder::new("GET", target)
        .header("Authorization", &auth("GET", target))
        .build()
        .unwrap();
    // send_cut returns once the server has closed its side: it has seen the cut.
    let answer = cs.send(&info).await;
    assert_eq!(answer.status(), 200);
    let resume = ResumeInfo::parse(answer.body()).unwrap();
    assert_eq!((resume.start, resume.end), (0, 19_999));
    let put_target = cs.path(&resume.url);
    let put = RequestBuilder::new("PUT", &put_target)
        .header("Authorization", &auth("PUT", &put_target))
        .header("Content-Range", "bytes 20000-49999/50000")
        .body(bytes[20_000..].to_vec())
        .build()
        .unwrap();
    assert_eq!(cs.send(&put).await.status(), 200);
    let done = "/upload?tid=cut-1&get_download_info";
    let ask = RequestBuilder::new("GET", done)
        .header("Authorization", &auth("GET", done))
        .build()
        .unwrap();
    let info = FileTransferInfo::parse(cs.send(&ask).await.body()).unwrap();
    assert_eq!(info.file.size, Some(50_000));
    let get = RequestBuilder::new("GET", &cs.path(&info.file.data.url))
        .build()
        .unwrap();
    assert_eq!(
        cs.send(&get).await.body(),
        &bytes[..],
        "the final file is identical"
    );
}

// Terminal to terminal through the message center.

struct Net {
    mc: Box<dyn Agent>,
    alice: Box<dyn Agent>,
    bob: Box<dyn Agent>,
    wire: mpsc::UnboundedReceiver<Captured>,
}

fn spec(role: &str, kind: RoleKind, sub: Option<Subscriber>) -> AgentSpec {
    AgentSpec {
        case: "FT".to_owned(),
        role: role.to_owned(),
        kind,
        faults: Vec::new(),
        transport: Transport::Tcp,
        subscriber: sub,
        subscribers: vec![Subscriber::builtin(1, true), Subscriber::builtin(2, true)],
        peers: BTreeMap::new(),
        settings: Map::new(),
        tls: Default::default(),
        carrier: Default::default(),
    }
}

async fn network(alice_faults: &[&str]) -> Net {
    let clock = Clock::virtual_time();
    let (tx, wire) = mpsc::unbounded_channel();
    let tap = WireTap::new("mc", clock.clone(), tx);
    let mc = Simulators
        .start(
            spec("mc", RoleKind::MessageCenter, None),
            tap.clone(),
            clock.clone(),
        )
        .await
        .unwrap();
    let ep = mc.endpoints();
    let mut peers = BTreeMap::new();
    peers.insert(
        "mc".to_owned(),
        Peer {
            name: "mc".to_owned(),
            kind: RoleKind::MessageCenter,
            subscriber: None,
            sip_udp: ep.sip_udp,
            sip_tcp: ep.sip_tcp,
            sip_tls: ep.sip_tls,
            http: None,
            carrier: Default::default(),
        },
    );
    for (n, name) in [(1, "alice"), (2, "bob")] {
        peers.insert(
            name.to_owned(),
            Peer {
                name: name.to_owned(),
                kind: RoleKind::Terminal,
                subscriber: Some(Subscriber::builtin(n, true)),
                sip_udp: None,
                sip_tcp: None,
                sip_tls: None,
                http: None,
                carrier: Default::default(),
            },
        );
    }
    let mut alice = spec(
        "alice",
        RoleKind::Terminal,
        Some(Subscriber::builtin(1, true)),
    );
    alice.peers = peers.clone();
    alice.faults = alice_faults.iter().map(|f| (*f).to_owned()).collect();
    let alice = Simulators
        .start(alice, tap.for_role("alice"), clock.clone())
        .await
        .unwrap();
    let mut bob = spec(
        "bob",
        RoleKind::Terminal,
        Some(Subscriber::builtin(2, true)),
    );
    bob.peers = peers;
    let bob = Simulators
        .start(bob, tap.for_role("bob"), clock.clone())
        .await
        .unwrap();
    for agent in [&alice, &bob] {
        let registered = act(agent.as_ref(), "register", Value::Null).await;
        assert_eq!(registered.values["status"], "200");
    }
    Net {
        mc,
        alice,
        bob,
        wire,
    }
}

async fn act(agent: &dyn Agent, action: &str, params: Value) -> ActionOutput {
    let params = match params {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    agent.act(action, &params).await.unwrap()
}

impl Net {
    /// Every HTTP message `role` sent or received until `done` says stop (bounded).
    async fn http_until(
        &mut self,
        role: &str,
        done: impl Fn(&[Captured]) -> bool,
    ) -> Vec<Captured> {
        let mut seen = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !done(&seen) {
            let Ok(Some(captured)) = tokio::time::timeout_at(deadline, self.wire.recv()).await
            else {
                break;
            };
            if captured.role == role && captured.protocol == Protocol::Http {
                seen.push(captured);
            }
        }
        seen
    }

    async fn shutdown(self) {
        self.alice.shutdown().await;
        self.bob.shutdown().await;
        self.mc.shutdown().await;
    }
}

fn text(c: &Captured) -> String {
    String::from_utf8_lossy(&c.bytes[..c.bytes.len().min(2000)]).into_owned()
}

#[tokio::test]
async fn five_mib_go_from_alice_to_bob_through_the_content_server() {
    let mut net = network(&[]).await;
    let sent = act(
        net.alice.as_ref(),
        "send-file",
        json!({ "to": "bob", "size": 5 * 1024 * 1024, "thumbnail": true, "name": "big.bin" }),
    )
    .await;
    assert_eq!(sent.values["status"], "200", "{}", sent.summary);
    assert_eq!(sent.values["upload.status"], "200");
    assert_eq!(sent.values["sent.size"], (5 * 1024 * 1024).to_string());
    let sha = sent.values["sent.sha256"].clone();
    let got = net
        .http_until("bob", |seen| {
            seen.iter().filter(|c| c.direction == Direction::In).count() >= 2
        })
        .await;
    let requests: Vec<_> = got
        .iter()
        .filter(|c| c.direction == Direction::Out)
        .collect();
    assert_eq!(requests.len(), 2, "thumbnail, then file");
    assert!(text(requests[0]).contains("/thumb HTTP/1.1"));
    assert!(text(requests[1]).contains("X-3GPP-Intended-Identity: tel:+86"));
    let file = got
        .iter()
        .filter(|c| c.direction == Direction::In)
        .nth(1)
        .unwrap();
    let response = Response::parse(file.bytes.clone(), "GET").unwrap();
    assert_eq!(hex::encode(Sha256::digest(response.body())), sha);

    let explicit = act(
        net.bob.as_ref(),
        "download-file",
        json!({ "url": sent.values["sent.file.url"], "range": "bytes=0-9" }),
    )
    .await;
    assert_eq!(
        (
            explicit.values["status"].as_str(),
            explicit.values["size"].as_str()
        ),
        ("206", "10")
    );
    net.shutdown().await;
}

#[tokio::test]
async fn a_terminal_resumes_a_cut_upload() {
    let mut net = network(&[]).await;
    let sent = act(
        net.alice.as_ref(),
        "send-file",
        json!({ "to": "bob", "size": 100_000, "cut-at": 40 }),
    )
    .await;
    assert_eq!(sent.values["status"], "200", "{}", sent.summary);
    assert_eq!(sent.values["sent.file.cut-end"], "39999");
    let alice = net
        .http_until("alice", |seen| {
            seen.iter().any(|c| text(c).contains("get_download_info"))
        })
        .await;
    let lines: Vec<_> = alice
        .iter()
        .filter(|c| c.direction == Direction::Out)
        .map(|c| text(c).lines().next().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("POST")).count(),
        2,
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("get_upload_info")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("PUT /resume/")),
        "{lines:?}"
    );
    net.shutdown().await;
}
