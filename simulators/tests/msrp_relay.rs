//! MSRP sessions through relays (RFC 4976): a hand-written relay on a socket checks AUTH, the
//! digest answer to its 401 and the paths of what follows; then Kamailio's msrp module
//! (interop/kamailio/kamailio.cfg, started by interop/kamailio/run.sh) relays a 64 KiB message in
//! 10 KiB chunks between two stacks, with every 200 and the success REPORT.
//!
//! The Kamailio test is skipped, with a notice, only when `kamailio` is not installed, and fails
//! then under CI (`CI` set). Kamailio listens on 127.0.0.1 on a free port and is stopped by its
//! PID when the test ends.

#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener as StdTcpListener, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcs_harness::agent::{Captured, WireTap};
use rcs_harness::clock::Clock;
use rcs_harness::events::{Direction, Protocol};
use rcs_proto::msrp::{
    ByteRange, Decoder, Frame, FrameBuilder, MsrpUri, SendOptions, SessionConfig, SessionEvent,
};
use rcs_proto::sdp::Setup;
use rcs_proto::sip::auth::Credentials;
use rcs_simulators::msrp::{MsrpSession, MsrpStack, Relay};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const WAIT: Duration = Duration::from_secs(10);
const REALM: &str = "ims.mnc000.mcc460.3gppnetwork.org";

async fn stack(role: &str, tx: &mpsc::UnboundedSender<Captured>) -> MsrpStack {
    let clock = Clock::real();
    let tap = WireTap::new(role, clock.clone(), tx.clone());
    MsrpStack::start(LOOPBACK, None, tap, clock).await.unwrap()
}

/// A 64 KiB body that is not periodic in 10 KiB.
fn body() -> Vec<u8> {
    (0..65536u32).map(|i| (i * 7 % 253) as u8).collect()
}

async fn events_until(session: &MsrpSession, n: usize) -> Vec<SessionEvent> {
    let mut events = Vec::new();
    while events.len() < n {
        match session.next_event(WAIT).await {
            Some(event) => events.push(event),
            None => panic!("only {events:?} within {WAIT:?}"),
        }
    }
    events
}

/// Reads the next frame from a hand-written peer's socket.
async fn read_frame(stream: &mut TcpStream, buf: &mut bytes::BytesMut) -> Frame {
    let mut decoder = Decoder::new(1 << 20);
    loop {
        if let Some(frame) = decoder.decode(buf).unwrap() {
            return frame;
        }
        let n = tokio::time::timeout(WAIT, stream.read_buf(buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "connection closed");
    }
}

/// A relay of one connection, written by hand: 401 to the first AUTH, 200 with Use-Path to an
/// AUTH whose digest verifies; returns the connection, the Use-Path URI and the AUTH frames.
async fn hand_relay(listener: TcpListener, password: &str) -> (TcpStream, Vec<Frame>) {
    let (mut stream, _) = listener.accept().await.unwrap();
    let mut buf = bytes::BytesMut::new();
    let first = read_frame(&mut stream, &mut buf).await;
    let challenge = FrameBuilder::response_to(&first, 401, Some("Unauthorized"))
        .header(
            "WWW-Authenticate",
            r#"Digest realm="relay.example", nonce="abc123", qop="auth""#,
        )
        .build();
    stream.write_all(challenge.as_bytes()).await.unwrap();
    let second = read_frame(&mut stream, &mut buf).await;
    let credentials = Credentials::parse(second.header("Authorization").unwrap()).unwrap();
    credentials.verify("AUTH", password).unwrap();
    let ok = FrameBuilder::response_to(&second, 200, Some("OK"))
        .header("Use-Path", "msrp://127.0.0.1:9/relayed1;tcp")
        .header("Expires", "600")
        .build();
    stream.write_all(ok.as_bytes()).await.unwrap();
    let send = read_frame(&mut stream, &mut buf).await;
    (stream, vec![first, second, send])
}

#[tokio::test]
async fn auth_challenge_use_path_and_to_path_with_a_hand_written_relay() {
    let listener = TcpListener::bind((LOOPBACK, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let relay_task = tokio::spawn(hand_relay(listener, "pw"));
    let (tx, _wire) = mpsc::unbounded_channel();
    let alice = stack("alice", &tx).await;
    let relay_uri = MsrpUri::parse(&format!("msrp://127.0.0.1:{port};tcp")).unwrap();
    alice.set_relay(Some(Relay {
        uri: relay_uri.clone(),
        credentials: Some(("alice".into(), "pw".into())),
    }));
    let path = alice.new_local_path(false).await.unwrap();
    let use_path = MsrpUri::parse("msrp://127.0.0.1:9/relayed1;tcp").unwrap();
    assert_eq!(path.len(), 2);
    assert_eq!(path[0], use_path);
    let peer = vec![MsrpUri::new(false, "127.0.0.1", 7, "peer")];
    let config = SessionConfig::new(path[1].clone(), peer);
    let session = alice.open(config, Setup::Active, false).await.unwrap();
    assert_eq!(session.local_path(), path);
    let (_stream, frames) = relay_task.await.unwrap();
    let [first, second, send] = &frames[..] else {
        panic!("{frames:?}");
    };
    for auth in [first, second] {
        assert_eq!(auth.method(), Some("AUTH"));
        assert_eq!(auth.to_path(), Some(relay_uri.to_string().as_str()));
        assert_eq!(auth.from_path(), Some(path[1].to_string().as_str()));
    }
    assert!(first.header("Authorization").is_none());
    let credentials = Credentials::parse(second.header("Authorization").unwrap()).unwrap();
    assert_eq!(credentials.uri, relay_uri.to_string());
    assert_eq!(credentials.realm, "relay.example");
    // The first SEND goes to the relay: To-Path = Use-Path then the peer, From-Path = us.
    assert_eq!(send.method(), Some("SEND"));
    assert_eq!(
        send.to_path(),
        Some(format!("{use_path} msrp://127.0.0.1:7/peer;tcp").as_str())
    );
    assert_eq!(send.from_path(), Some(path[1].to_string().as_str()));
    alice.shutdown().await;
}

#[tokio::test]
async fn a_refused_auth_fails_the_path() {
    let listener = TcpListener::bind((LOOPBACK, 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let relay_task = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut buf = bytes::BytesMut::new();
        let auth = read_frame(&mut stream, &mut buf).await;
        let refuse = FrameBuilder::response_to(&auth, 403, Some("Forbidden")).build();
        stream.write_all(refuse.as_bytes()).await.unwrap();
    });
    let (tx, _wire) = mpsc::unbounded_channel();
    let alice = stack("alice", &tx).await;
    alice.set_relay(Some(Relay {
        uri: MsrpUri::parse(&format!("msrp://127.0.0.1:{port};tcp")).unwrap(),
        credentials: None,
    }));
    let err = alice.new_local_path(false).await.unwrap_err().to_string();
    assert!(err.contains("403"), "{err}");
    relay_task.await.unwrap();
    alice.shutdown().await;
}

/// Whether `kamailio` is on PATH; under CI its absence fails the test.
fn kamailio_installed() -> bool {
    let found = Command::new("sh")
        .args(["-c", "command -v kamailio"])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "kamailio is not installed (apt-get install kamailio); CI must run this test"
        );
        eprintln!("notice: kamailio is not installed (apt-get install kamailio); test not run");
    }
    found
}

/// A port free on 127.0.0.1 for both UDP and TCP at the time of asking.
fn free_port() -> u16 {
    for _ in 0..50 {
        let tcp = StdTcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no port free for both UDP and TCP on 127.0.0.1");
}

/// A Kamailio started by interop/kamailio/run.sh, stopped by its PID on drop.
struct Kamailio {
    child: Child,
    port: u16,
    work: tempfile::TempDir,
}

impl Kamailio {
    fn start() -> Self {
        let work = tempfile::tempdir().unwrap();
        let port = free_port();
        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../interop/kamailio/run.sh");
        let log = std::fs::File::create(work.path().join("kamailio.log")).unwrap();
        let child = Command::new("bash")
            .arg(script)
            .arg(port.to_string())
            .arg(work.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut k = Self { child, port, work };
        k.wait_ready();
        k
    }

    /// Until its TCP socket accepts, bounded in time.
    fn wait_ready(&mut self) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("kamailio exited at start ({status}): {}", self.log());
            }
            if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "kamailio did not listen on {addr} within 15 s: {}",
            self.log()
        );
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.work.path().join("kamailio.log")).unwrap_or_default()
    }

    /// The relay of subscriber `n` (+8613800000001.., provisioned by interop/kamailio).
    fn relay(&self, n: u32) -> Relay {
        let number = format!("8613800{n:06}");
        Relay {
            uri: MsrpUri::parse(&format!("msrp://127.0.0.1:{};tcp", self.port)).unwrap(),
            credentials: Some((format!("{number}@{REALM}"), format!("secret-{number}"))),
        }
    }
}

impl Drop for Kamailio {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The MSRP frames of one agent's tap, parsed, with their direction and peer port.
fn frames_of(captured: &[Captured], agent: &str) -> Vec<(Direction, u16, Frame)> {
    captured
        .iter()
        .filter(|c| c.role == agent && c.protocol == Protocol::Msrp)
        .map(|c| {
            let peer = match c.direction {
                Direction::Out => c.dst.port(),
                Direction::In => c.src.port(),
            };
            (c.direction, peer, Frame::parse(&c.bytes).unwrap())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_64_kib_message_through_kamailio_as_msrp_relay() {
    if !kamailio_installed() {
        return;
    }
    let kamailio = Kamailio::start();
    let (tx, mut wire) = mpsc::unbounded_channel();
    let alice = stack("alice", &tx).await;
    let bob = stack("bob", &tx).await;
    alice.set_relay(Some(kamailio.relay(1)));
    bob.set_relay(Some(kamailio.relay(2)));
    let alice_path = alice.new_local_path(false).await.unwrap();
    let bob_path = bob.new_local_path(false).await.unwrap();
    for path in [&alice_path, &bob_path] {
        assert_eq!(path.len(), 2, "{path:?}");
        assert_eq!(path[0].port(), Some(kamailio.port));
        assert!(path[0].session_id().is_some());
    }
    // As the SDP offer and answer would: each side's a=path to the other.
    let (alice_uri, bob_uri) = (alice_path[1].clone(), bob_path[1].clone());
    let passive = bob
        .open(
            SessionConfig::new(bob_uri, alice_path.clone()),
            Setup::Passive,
            false,
        )
        .await
        .unwrap();
    let active = alice
        .open(
            SessionConfig::new(alice_uri, bob_path.clone()),
            Setup::Active,
            false,
        )
        .await
        .unwrap();
    assert_eq!(active.local_path(), alice_path);
    assert_eq!(passive.local_path(), bob_path);

    let opts = SendOptions {
        success_report: true,
        ..SendOptions::default()
    };
    let id = active
        .send("application/octet-stream", &body(), opts)
        .await
        .unwrap();
    let received = events_until(&passive, 1).await;
    assert_eq!(
        received,
        [SessionEvent::Received {
            message_id: id.clone(),
            content_type: "application/octet-stream".into(),
            body: body(),
            chunks: 7,
        }],
        "kamailio log: {}",
        kamailio.log()
    );
    let mut answers = events_until(&active, 2).await;
    answers.sort_by_key(|e| matches!(e, SessionEvent::Report { .. }));
    let whole = ByteRange {
        start: 1,
        end: Some(65536),
        total: Some(65536),
    };
    assert_eq!(
        answers,
        [
            SessionEvent::Answered {
                message_id: id.clone(),
                status: 200
            },
            SessionEvent::Report {
                message_id: id.clone(),
                status: 200,
                byte_range: whole
            },
        ]
    );

    let captured: Vec<Captured> = std::iter::from_fn(|| wire.try_recv().ok()).collect();
    let alice_frames = frames_of(&captured, "alice");
    // AUTH, 401 with a challenge, AUTH with credentials, 200 with Use-Path: all with Kamailio.
    let auth: Vec<_> = alice_frames.iter().take(4).collect();
    assert!(auth.iter().all(|(_, port, _)| *port == kamailio.port));
    let methods: Vec<_> = auth
        .iter()
        .map(|(dir, _, f)| (*dir, f.method().map(str::to_owned), f.status_code()))
        .collect();
    assert_eq!(
        methods,
        [
            (Direction::Out, Some("AUTH".into()), None),
            (Direction::In, None, Some(401)),
            (Direction::Out, Some("AUTH".into()), None),
            (Direction::In, None, Some(200)),
        ]
    );
    assert!(auth[1].2.header("WWW-Authenticate").is_some());
    assert!(auth[2].2.header("Authorization").is_some());
    assert_eq!(
        auth[3].2.header("Use-Path"),
        Some(alice_path[0].to_string().as_str())
    );
    // The seven chunks leave alice for Kamailio's port, To-Path through both Use-Paths.
    let chunks: Vec<_> = alice_frames
        .iter()
        .filter(|(dir, _, f)| *dir == Direction::Out && f.message_id() == Some(id.as_str()))
        .filter(|(_, _, f)| f.method() == Some("SEND"))
        .collect();
    assert_eq!(chunks.len(), 7);
    let to_path = format!("{} {} {}", alice_path[0], bob_path[0], bob_path[1]);
    for (_, port, frame) in &chunks {
        assert_eq!(*port, kamailio.port);
        assert_eq!(frame.to_path(), Some(to_path.as_str()));
        assert_eq!(frame.from_path(), Some(alice_path[1].to_string().as_str()));
    }
    // Bob gets them from Kamailio with both relays in the From-Path.
    let bob_frames = frames_of(&captured, "bob");
    let arrived: Vec<_> = bob_frames
        .iter()
        .filter(|(dir, _, f)| *dir == Direction::In && f.message_id() == Some(id.as_str()))
        .filter(|(_, _, f)| f.method() == Some("SEND"))
        .collect();
    assert_eq!(arrived.len(), 7);
    let from_path = format!("{} {} {}", bob_path[0], alice_path[0], alice_path[1]);
    for (_, port, frame) in &arrived {
        assert_eq!(*port, kamailio.port);
        assert_eq!(frame.from_path(), Some(from_path.as_str()));
        assert_eq!(frame.to_path(), Some(bob_path[1].to_string().as_str()));
    }
    alice.shutdown().await;
    bob.shutdown().await;
}
