//! MSRP sessions between two simulator stacks on 127.0.0.1, over TCP and TLS (RFC 4975): a
//! 64 KiB message in 10 KiB chunks, in order and out of order, responses and the success REPORT,
//! a connection for an unknown session refused with 481, real-time transaction timeouts, and a
//! wire record of every frame.

#![allow(clippy::unwrap_used)]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use rcs_harness::agent::{Captured, WireTap};
use rcs_harness::clock::Clock;
use rcs_harness::events::{Direction, Protocol, Transport};
use rcs_proto::msrp::{ByteRange, Frame, SendOptions, SessionConfig, SessionEvent};
use rcs_proto::sdp::Setup;
use rcs_simulators::msrp::{Misbehaviour, MsrpSession, MsrpStack};
use rcs_simulators::net::TlsConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const WAIT: Duration = Duration::from_secs(10);

struct Pair {
    alice: MsrpStack,
    bob: MsrpStack,
    /// Alice's session, the active side.
    active: MsrpSession,
    /// Bob's session, the passive side.
    passive: MsrpSession,
    wire: mpsc::UnboundedReceiver<Captured>,
}

impl Pair {
    async fn shutdown(&self) {
        self.alice.shutdown().await;
        self.bob.shutdown().await;
    }

    /// Everything the taps recorded so far.
    fn captured(&mut self) -> Vec<Captured> {
        std::iter::from_fn(|| self.wire.try_recv().ok()).collect()
    }
}

async fn stack(role: &str, tls: bool, tx: &mpsc::UnboundedSender<Captured>) -> MsrpStack {
    let clock = Clock::real();
    let tap = WireTap::new(role, clock.clone(), tx.clone());
    let tls = tls.then(|| TlsConfig::simulated(&[]).unwrap());
    MsrpStack::start(LOOPBACK, tls, tap, clock).await.unwrap()
}

/// Two stacks and a session between them: alice active, bob passive.
async fn pair(tls: bool, timeout: Duration) -> Pair {
    let (tx, wire) = mpsc::unbounded_channel();
    let alice = stack("alice", tls, &tx).await;
    let bob = stack("bob", tls, &tx).await;
    let (alice_uri, bob_uri) = (alice.new_local_uri(tls), bob.new_local_uri(tls));
    let config = |local, remote| SessionConfig {
        transaction_timeout: timeout,
        ..SessionConfig::new(local, vec![remote])
    };
    let passive = {
        let (bob, config) = (bob.clone(), config(bob_uri.clone(), alice_uri.clone()));
        tokio::spawn(async move { bob.open(config, Setup::Passive, tls).await })
    };
    let active = alice
        .open(config(alice_uri, bob_uri), Setup::Active, tls)
        .await
        .unwrap();
    let passive = passive.await.unwrap().unwrap();
    Pair {
        alice,
        bob,
        active,
        passive,
        wire,
    }
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

/// Sends 64 KiB with a success REPORT in `order`, and checks what each side sees.
async fn exchange(pair: &Pair, order: Option<Vec<usize>>) -> String {
    let opts = SendOptions {
        success_report: true,
        chunk_order: order,
        ..SendOptions::default()
    };
    let id = pair
        .active
        .send("application/octet-stream", &body(), opts)
        .await
        .unwrap();
    let received = events_until(&pair.passive, 1).await;
    assert_eq!(
        received,
        [SessionEvent::Received {
            message_id: id.clone(),
            content_type: "application/octet-stream".into(),
            body: body(),
            chunks: 7,
        }]
    );
    let mut answers = events_until(&pair.active, 2).await;
    answers.sort_by_key(|e| matches!(e, SessionEvent::Report { .. }));
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
                byte_range: ByteRange::parse("1-65536/65536").unwrap(),
            },
        ]
    );
    id
}

/// Every frame was recorded once on each side: out at its sender, in at its receiver, with the
/// same bytes and addresses; returns the frames alice sent and bob sent.
fn check_wire(captured: &[Captured], transport: Transport) -> (Vec<Frame>, Vec<Frame>) {
    assert!(captured.iter().all(|c| c.protocol == Protocol::Msrp));
    assert!(captured.iter().all(|c| c.transport == transport));
    let side = |role: &str, direction| -> Vec<&Captured> {
        captured
            .iter()
            .filter(|c| c.role == role && c.direction == direction)
            .collect()
    };
    for (sender, receiver) in [("alice", "bob"), ("bob", "alice")] {
        let (out, in_) = (side(sender, Direction::Out), side(receiver, Direction::In));
        assert_eq!(out.len(), in_.len(), "{sender} -> {receiver}");
        let key = |c: &&Captured| (c.src, c.dst, c.bytes.clone());
        let mut out: Vec<_> = out.iter().map(key).collect();
        let mut in_: Vec<_> = in_.iter().map(key).collect();
        out.sort();
        in_.sort();
        assert_eq!(out, in_, "{sender} -> {receiver}");
    }
    let frames = |role| {
        side(role, Direction::Out)
            .iter()
            .map(|c| Frame::parse(&c.bytes).unwrap())
            .collect()
    };
    (frames("alice"), frames("bob"))
}

async fn whole_message(tls: bool) {
    let mut pair = pair(tls, Duration::from_secs(30)).await;
    let id = exchange(&pair, None).await;
    let transport = if tls { Transport::Tls } else { Transport::Tcp };
    let (alice, bob) = check_wire(&pair.captured(), transport);
    // The empty SEND, then 7 chunks of 10 KiB in order.
    assert_eq!(alice.len(), 8);
    assert_eq!(alice[0].header("Byte-Range"), Some("1-0/0"));
    let ranges: Vec<_> = alice[1..]
        .iter()
        .map(|f| f.header("Byte-Range").unwrap())
        .collect();
    assert_eq!(
        ranges,
        [
            "1-10240/65536",
            "10241-20480/65536",
            "20481-30720/65536",
            "30721-40960/65536",
            "40961-51200/65536",
            "51201-61440/65536",
            "61441-65536/65536"
        ]
    );
    assert!(
        alice[1..]
            .iter()
            .all(|f| f.message_id() == Some(id.as_str()))
    );
    // 8 responses and the REPORT.
    let codes: Vec<_> = bob.iter().filter_map(Frame::status_code).collect();
    assert_eq!(codes, [200; 8]);
    assert_eq!(
        bob.iter().filter(|f| f.method() == Some("REPORT")).count(),
        1
    );
    pair.shutdown().await;
}

#[tokio::test]
async fn a_64_kib_message_arrives_whole_over_tcp() {
    whole_message(false).await;
}

#[tokio::test]
async fn a_64_kib_message_arrives_whole_over_tls() {
    whole_message(true).await;
}

#[tokio::test]
async fn chunks_sent_out_of_order_still_reassemble() {
    for tls in [false, true] {
        let mut pair = pair(tls, Duration::from_secs(30)).await;
        exchange(&pair, Some(vec![6, 0, 3, 1, 5, 2, 4])).await;
        let (alice, _) = check_wire(
            &pair.captured(),
            [Transport::Tcp, Transport::Tls][tls as usize],
        );
        let starts: Vec<_> = alice[1..]
            .iter()
            .map(|f| f.byte_range().unwrap().unwrap().start)
            .collect();
        assert_eq!(starts, [61441, 1, 30721, 10241, 51201, 20481, 40961]);
        pair.shutdown().await;
    }
}

#[tokio::test]
async fn a_connection_for_an_unknown_session_gets_481_and_is_closed() {
    let (tx, mut wire) = mpsc::unbounded_channel();
    let bob = stack("bob", false, &tx).await;
    let known = bob.new_local_uri(false);
    let addr = bob.listen_addr(false).unwrap();
    let to = format!("msrp://127.0.0.1:{}/nosuchsession;tcp", addr.port());
    assert_ne!(Some("nosuchsession"), known.session_id());
    let send = format!(
        "MSRP tx481abc SEND\r\nTo-Path: {to}\r\nFrom-Path: msrp://127.0.0.1:9/peer0001;tcp\r\nMessage-ID: m4810001\r\nByte-Range: 1-0/0\r\n-------tx481abc$\r\n"
    );
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(send.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let expected = format!(
        "MSRP tx481abc 481 Session Does Not Exist\r\nTo-Path: msrp://127.0.0.1:9/peer0001;tcp\r\nFrom-Path: {to}\r\n-------tx481abc$\r\n"
    );
    assert_eq!(String::from_utf8(answer).unwrap(), expected);
    let captured: Vec<_> = std::iter::from_fn(|| wire.try_recv().ok()).collect();
    let recorded: Vec<_> = captured
        .iter()
        .map(|c| (c.direction, c.bytes.clone(), c.dst))
        .collect();
    let local = stream.local_addr().unwrap();
    assert_eq!(
        recorded,
        [
            (Direction::In, send.into_bytes(), addr),
            (Direction::Out, expected.into_bytes(), local)
        ]
    );
    bob.shutdown().await;
}

#[tokio::test]
async fn without_responses_the_sender_fails_with_408_on_real_time() {
    let pair = pair(false, Duration::from_millis(300)).await;
    pair.bob.set_misbehaviour(Misbehaviour {
        no_responses: true,
        ..Misbehaviour::default()
    });
    let id = pair
        .active
        .send("text/plain", b"hello", SendOptions::default())
        .await
        .unwrap();
    let received = events_until(&pair.passive, 1).await;
    assert!(matches!(&received[0], SessionEvent::Received { body, .. } if body == b"hello"));
    let failed = events_until(&pair.active, 1).await;
    assert!(
        matches!(&failed[0], SessionEvent::Failed { message_id, status: 408, .. } if *message_id == id),
        "{failed:?}"
    );
    pair.shutdown().await;
}

#[tokio::test]
async fn a_passive_session_accepts_a_connection_that_came_first() {
    let (tx, _wire) = mpsc::unbounded_channel();
    let alice = stack("alice", false, &tx).await;
    let bob = stack("bob", false, &tx).await;
    let (alice_uri, bob_uri) = (alice.new_local_uri(false), bob.new_local_uri(false));
    let active = alice
        .open(
            SessionConfig::new(alice_uri.clone(), vec![bob_uri.clone()]),
            Setup::Active,
            false,
        )
        .await
        .unwrap();
    active
        .send("text/plain", b"early", SendOptions::default())
        .await
        .unwrap();
    let passive = bob
        .open(
            SessionConfig::new(bob_uri, vec![alice_uri]),
            Setup::Passive,
            false,
        )
        .await
        .unwrap();
    let received = events_until(&passive, 1).await;
    assert!(matches!(&received[0], SessionEvent::Received { body, .. } if body == b"early"));
    alice.shutdown().await;
    bob.shutdown().await;
}

#[tokio::test]
async fn shutdown_closes_listeners_and_connections() {
    let pair = pair(false, Duration::from_secs(30)).await;
    let addr = pair.bob.listen_addr(false).unwrap();
    pair.shutdown().await;
    assert!(TcpStream::connect(addr).await.is_err());
    // The sessions' tasks are gone: a send finds nobody to take it.
    let sent = pair
        .active
        .send("text/plain", b"late", SendOptions::default())
        .await;
    assert!(sent.is_err());
    assert_eq!(
        pair.passive.next_event(Duration::from_millis(100)).await,
        None
    );
}
