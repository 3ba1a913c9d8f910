//! Tests of [`Session`]: each rule of RFC 4975 §7.1-§7.3 and §8.6 on frames written out byte for
//! byte, and pairs of sessions wired back to back on a simulated clock.

use std::time::{Duration, Instant};

use super::*;

const ALICE: &str = "msrp://127.0.0.1:7001/alice0001;tcp";
const BOB: &str = "msrp://127.0.0.1:7002/bob00001;tcp";

fn config(local: &str, remote: &str) -> SessionConfig {
    SessionConfig::new(
        MsrpUri::parse(local).unwrap(),
        vec![MsrpUri::parse(remote).unwrap()],
    )
}

fn bob() -> Session {
    Session::new(config(BOB, ALICE))
}

fn frame(bytes: &[u8]) -> Frame {
    Frame::parse(bytes).unwrap()
}

fn transmitted(session: &mut Session) -> Vec<Frame> {
    std::iter::from_fn(|| session.poll_transmit())
        .map(|b| frame(&b))
        .collect()
}

fn events(session: &mut Session) -> Vec<SessionEvent> {
    std::iter::from_fn(|| session.poll_event()).collect()
}

/// A SEND from alice to `to` with the given extra headers, body and flag.
fn send_to(to: &str, tid: &str, headers: &str, ct: &str, body: &str, flag: char) -> Frame {
    let text = format!(
        "MSRP {tid} SEND\r\nTo-Path: {to}\r\nFrom-Path: {ALICE}\r\n{headers}Content-Type: {ct}\r\n\r\n{body}\r\n-------{tid}{flag}\r\n"
    );
    frame(text.as_bytes())
}

fn send(tid: &str, headers: &str, body: &str, flag: char) -> Frame {
    send_to(BOB, tid, headers, "text/plain", body, flag)
}

fn refused(status: u16) -> impl Fn(&SessionEvent) -> bool {
    move |e| matches!(e, SessionEvent::Refused { status: s, .. } if *s == status)
}

#[test]
fn incoming_send_is_answered_200_byte_exact_and_received() {
    let mut bob = bob();
    let now = Instant::now();
    let headers = "Message-ID: m0000001\r\nByte-Range: 1-5/5\r\n";
    bob.handle_frame(&send("tx000001", headers, "hello", '$'), now);
    let response = bob.poll_transmit().unwrap();
    assert_eq!(
        response,
        format!(
            "MSRP tx000001 200 OK\r\nTo-Path: {ALICE}\r\nFrom-Path: {BOB}\r\n-------tx000001$\r\n"
        )
        .into_bytes()
    );
    assert_eq!(bob.poll_transmit(), None, "no REPORT was asked for");
    assert_eq!(
        events(&mut bob),
        [SessionEvent::Received {
            message_id: "m0000001".into(),
            content_type: "text/plain".into(),
            body: b"hello".to_vec(),
            chunks: 1,
        }]
    );
}

#[test]
fn wrong_to_path_session_gets_481() {
    // RFC 4975 §7.3: the first To-Path URI must be ours, compared by session-id.
    let mut bob = bob();
    let other = "msrp://127.0.0.1:7002/somebodyelse;tcp";
    let headers = "Message-ID: m0000001\r\nByte-Range: 1-2/2\r\n";
    bob.handle_frame(
        &send_to(other, "tx000002", headers, "text/plain", "hi", '$'),
        Instant::now(),
    );
    assert_eq!(
        bob.poll_transmit().unwrap(),
        format!(
            "MSRP tx000002 481 Session Does Not Exist\r\nTo-Path: {ALICE}\r\nFrom-Path: {other}\r\n-------tx000002$\r\n"
        )
        .into_bytes()
    );
    assert!(events(&mut bob).iter().any(refused(481)));
}

#[test]
fn unaccepted_content_type_gets_415() {
    let mut bob = Session::new(SessionConfig {
        accept_types: vec!["message/cpim".into()],
        ..config(BOB, ALICE)
    });
    let headers = "Message-ID: m0000001\r\nByte-Range: 1-2/2\r\n";
    bob.handle_frame(&send("tx000003", headers, "hi", '$'), Instant::now());
    let response = transmitted(&mut bob);
    assert_eq!(response[0].status_code(), Some(415));
    assert_eq!(response.len(), 1);
    let events = events(&mut bob);
    assert!(events.iter().any(refused(415)));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, SessionEvent::Received { .. }))
    );
}

#[test]
fn cpim_with_an_unaccepted_inner_type_gets_415() {
    let cpim = |inner: &str| {
        format!("From: <sip:a@x>\r\nTo: <sip:b@x>\r\n\r\nContent-Type: {inner}\r\n\r\nhi")
    };
    let mut bob = Session::new(SessionConfig {
        accept_types: vec!["message/cpim".into()],
        accept_wrapped_types: vec!["text/plain".into()],
        ..config(BOB, ALICE)
    });
    let body = cpim("application/vnd.gsma.rcs-ft-http+xml");
    let headers = format!(
        "Message-ID: m0000001\r\nByte-Range: 1-{0}/{0}\r\n",
        body.len()
    );
    let wrong = send_to(BOB, "tx000004", &headers, "message/cpim", &body, '$');
    bob.handle_frame(&wrong, Instant::now());
    assert_eq!(transmitted(&mut bob)[0].status_code(), Some(415));

    let body = cpim("text/plain;charset=UTF-8");
    let headers = format!(
        "Message-ID: m0000002\r\nByte-Range: 1-{0}/{0}\r\n",
        body.len()
    );
    let right = send_to(BOB, "tx000005", &headers, "message/cpim", &body, '$');
    bob.handle_frame(&right, Instant::now());
    assert_eq!(transmitted(&mut bob)[0].status_code(), Some(200));
}

#[test]
fn above_max_size_gets_413() {
    let mut bob = Session::new(SessionConfig {
        max_size: Some(4),
        ..config(BOB, ALICE)
    });
    let headers = "Message-ID: m0000001\r\nByte-Range: 1-5/5\r\n";
    bob.handle_frame(&send("tx000006", headers, "hello", '$'), Instant::now());
    assert_eq!(transmitted(&mut bob)[0].status_code(), Some(413));
    // The next chunk of the refused message gets the same answer.
    let headers = "Message-ID: m0000001\r\nByte-Range: 1-2/2\r\n";
    bob.handle_frame(&send("tx000007", headers, "he", '$'), Instant::now());
    assert_eq!(transmitted(&mut bob)[0].status_code(), Some(413));
}

#[test]
fn failure_report_no_and_partial() {
    // RFC 4975 §7.1.2: `no` gets no response at all, `partial` only errors.
    let mut bob = Session::new(SessionConfig {
        max_size: Some(4),
        ..config(BOB, ALICE)
    });
    let now = Instant::now();
    let ok = "Byte-Range: 1-2/2\r\n";
    bob.handle_frame(
        &send(
            "tx000008",
            &format!("Message-ID: m1111111\r\nFailure-Report: no\r\n{ok}"),
            "hi",
            '$',
        ),
        now,
    );
    bob.handle_frame(
        &send(
            "tx000009",
            &format!("Message-ID: m2222222\r\nFailure-Report: partial\r\n{ok}"),
            "hi",
            '$',
        ),
        now,
    );
    assert!(transmitted(&mut bob).is_empty());
    let big = "Byte-Range: 1-5/5\r\n";
    bob.handle_frame(
        &send(
            "tx000010",
            &format!("Message-ID: m3333333\r\nFailure-Report: partial\r\n{big}"),
            "hello",
            '$',
        ),
        now,
    );
    bob.handle_frame(
        &send(
            "tx000011",
            &format!("Message-ID: m4444444\r\nFailure-Report: no\r\n{big}"),
            "hello",
            '$',
        ),
        now,
    );
    let out = transmitted(&mut bob);
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].transaction_id.as_str(), out[0].status_code()),
        ("tx000010", Some(413))
    );
    let received = events(&mut bob)
        .into_iter()
        .filter(|e| matches!(e, SessionEvent::Received { .. }))
        .count();
    assert_eq!(received, 2);
}

#[test]
fn chunks_out_of_order_reassemble_and_report_the_whole_range_once() {
    // RFC 4975 §7.1.2: the success REPORT follows the whole message, Byte-Range 1-N/N.
    let mut bob = bob();
    let now = Instant::now();
    let h = |range: &str| {
        format!("Message-ID: m0000009\r\nSuccess-Report: yes\r\nByte-Range: {range}\r\n")
    };
    bob.handle_frame(&send("tx000021", &h("7-10/10"), "ghij", '$'), now);
    bob.handle_frame(&send("tx000022", &h("1-3/10"), "abc", '+'), now);
    let so_far = transmitted(&mut bob);
    assert!(so_far.iter().all(|f| f.status_code() == Some(200)));
    assert_eq!(so_far.len(), 2);
    assert!(events(&mut bob).is_empty());
    bob.handle_frame(&send("tx000023", &h("4-6/10"), "def", '+'), now);
    let out = transmitted(&mut bob);
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].status_code(), Some(200));
    let report = &out[1];
    let tid = &report.transaction_id;
    assert_eq!(
        report.as_bytes(),
        format!(
            "MSRP {tid} REPORT\r\nTo-Path: {ALICE}\r\nFrom-Path: {BOB}\r\nMessage-ID: m0000009\r\nByte-Range: 1-10/10\r\nStatus: 000 200 OK\r\n-------{tid}$\r\n"
        )
        .as_bytes()
    );
    assert_eq!(
        events(&mut bob),
        [SessionEvent::Received {
            message_id: "m0000009".into(),
            content_type: "text/plain".into(),
            body: b"abcdefghij".to_vec(),
            chunks: 3,
        }]
    );
}

#[test]
fn reports_are_surfaced_and_never_answered() {
    let mut alice = Session::new(config(ALICE, BOB));
    let report = format!(
        "MSRP rp000001 REPORT\r\nTo-Path: {ALICE}\r\nFrom-Path: {BOB}\r\nMessage-ID: m0000009\r\nByte-Range: 1-10/10\r\nStatus: 000 200 OK\r\n-------rp000001$\r\n"
    );
    alice.handle_frame(&frame(report.as_bytes()), Instant::now());
    assert_eq!(alice.poll_transmit(), None);
    assert_eq!(
        events(&mut alice),
        [SessionEvent::Report {
            message_id: "m0000009".into(),
            status: 200,
            byte_range: ByteRange::parse("1-10/10").unwrap(),
        }]
    );
}

#[test]
fn abort_flag_discards_the_message() {
    let mut bob = bob();
    let now = Instant::now();
    let h = |range: &str| format!("Message-ID: m0000010\r\nByte-Range: {range}\r\n");
    bob.handle_frame(&send("tx000031", &h("1-3/10"), "abc", '+'), now);
    bob.handle_frame(&send("tx000032", &h("4-6/10"), "def", '#'), now);
    assert_eq!(
        events(&mut bob),
        [SessionEvent::Aborted {
            message_id: "m0000010".into()
        }]
    );
    assert_eq!(
        transmitted(&mut bob).len(),
        2,
        "each chunk still gets its 200"
    );
}

#[test]
fn send_chunks_byte_exact_with_report_headers() {
    let mut alice = Session::new(config(ALICE, BOB));
    let opts = SendOptions {
        success_report: true,
        failure_report: ReportMode::Partial,
        message_id: Some("msg00042".into()),
        chunk_size: Some(4),
        ..SendOptions::default()
    };
    let id = alice
        .send("text/plain", b"abcdefghij", &opts, Instant::now())
        .unwrap();
    assert_eq!(id, "msg00042");
    let frames = transmitted(&mut alice);
    let expect = [
        ("1-4/10", "abcd", '+'),
        ("5-8/10", "efgh", '+'),
        ("9-10/10", "ij", '$'),
    ];
    assert_eq!(frames.len(), 3);
    for (frame, (range, body, flag)) in frames.iter().zip(expect) {
        let tid = &frame.transaction_id;
        assert!(tid.len() >= 4 && tid.len() <= 32);
        assert!(tid.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_eq!(
            frame.as_bytes(),
            format!(
                "MSRP {tid} SEND\r\nTo-Path: {BOB}\r\nFrom-Path: {ALICE}\r\nMessage-ID: msg00042\r\nByte-Range: {range}\r\nSuccess-Report: yes\r\nFailure-Report: partial\r\nContent-Type: text/plain\r\n\r\n{body}\r\n-------{tid}{flag}\r\n"
            )
            .as_bytes()
        );
    }
    assert_ne!(frames[0].transaction_id, frames[1].transaction_id);
    // `partial`: no 200 is owed, so nothing times out.
    assert_eq!(alice.poll_timeout(), None);
}

#[test]
fn chunk_order_permutes_what_is_sent() {
    let mut alice = Session::new(config(ALICE, BOB));
    let opts = SendOptions {
        chunk_size: Some(4),
        chunk_order: Some(vec![2, 0, 1]),
        ..SendOptions::default()
    };
    alice
        .send("text/plain", b"abcdefghij", &opts, Instant::now())
        .unwrap();
    let ranges: Vec<String> = transmitted(&mut alice)
        .iter()
        .map(|f| f.header("Byte-Range").unwrap().to_owned())
        .collect();
    assert_eq!(ranges, ["9-10/10", "1-4/10", "5-8/10"]);
}

#[test]
fn generated_message_ids_are_alphanumeric_idents() {
    let mut alice = Session::new(config(ALICE, BOB));
    let id = alice
        .send("text/plain", b"x", &SendOptions::default(), Instant::now())
        .unwrap();
    assert!(is_ident(&id) && id.bytes().all(|b| b.is_ascii_alphanumeric()));
    let bad = SendOptions {
        message_id: Some("x".into()),
        ..SendOptions::default()
    };
    assert!(
        alice
            .send("text/plain", b"x", &bad, Instant::now())
            .is_err()
    );
}

#[test]
fn only_the_response_to_the_last_chunk_answers() {
    let mut alice = Session::new(config(ALICE, BOB));
    let opts = SendOptions {
        chunk_size: Some(4),
        ..SendOptions::default()
    };
    let id = alice
        .send("text/plain", b"abcdef", &opts, Instant::now())
        .unwrap();
    let frames = transmitted(&mut alice);
    let ok = |f: &Frame| FrameBuilder::response_to(f, 200, Some("OK")).build();
    alice.handle_frame(&ok(&frames[0]), Instant::now());
    assert!(events(&mut alice).is_empty());
    alice.handle_frame(&ok(&frames[1]), Instant::now());
    assert_eq!(
        events(&mut alice),
        [SessionEvent::Answered {
            message_id: id,
            status: 200
        }]
    );
    assert_eq!(alice.poll_timeout(), None);
}

#[test]
fn an_error_response_fails_the_message_once() {
    let mut alice = Session::new(config(ALICE, BOB));
    let opts = SendOptions {
        chunk_size: Some(2),
        ..SendOptions::default()
    };
    let id = alice
        .send("text/plain", b"abcdef", &opts, Instant::now())
        .unwrap();
    let frames = transmitted(&mut alice);
    for f in &frames {
        let response = FrameBuilder::response_to(f, 415, Some("Unsupported Media Type")).build();
        alice.handle_frame(&response, Instant::now());
    }
    assert_eq!(
        events(&mut alice),
        [SessionEvent::Failed {
            message_id: id,
            status: 415,
            reason: "Unsupported Media Type".into()
        }]
    );
}

#[test]
fn no_response_within_the_timeout_fails_with_408() {
    let mut alice = Session::new(SessionConfig {
        transaction_timeout: Duration::from_secs(30),
        ..config(ALICE, BOB)
    });
    let start = Instant::now();
    let opts = SendOptions {
        chunk_size: Some(2),
        ..SendOptions::default()
    };
    let id = alice.send("text/plain", b"abcd", &opts, start).unwrap();
    let deadline = alice.poll_timeout().unwrap();
    assert_eq!(deadline, start + Duration::from_secs(30));
    alice.handle_timeout(deadline - Duration::from_millis(1));
    assert!(events(&mut alice).is_empty());
    alice.handle_timeout(deadline);
    let events = events(&mut alice);
    assert_eq!(events.len(), 1, "one failure per message: {events:?}");
    assert!(
        matches!(&events[0], SessionEvent::Failed { message_id, status: 408, .. } if *message_id == id)
    );
    assert_eq!(alice.poll_timeout(), None);
}

#[test]
fn empty_send_is_answered_and_carries_no_message() {
    let mut alice = Session::new(config(ALICE, BOB));
    let mut bob = bob();
    let now = Instant::now();
    alice.send_empty(now);
    let empty = transmitted(&mut alice).remove(0);
    let tid = &empty.transaction_id;
    let mid = empty.message_id().unwrap();
    assert_eq!(
        empty.as_bytes(),
        format!("MSRP {tid} SEND\r\nTo-Path: {BOB}\r\nFrom-Path: {ALICE}\r\nMessage-ID: {mid}\r\nByte-Range: 1-0/0\r\n-------{tid}$\r\n").as_bytes()
    );
    bob.handle_frame(&empty, now);
    let response = transmitted(&mut bob).remove(0);
    assert_eq!(response.status_code(), Some(200));
    assert!(events(&mut bob).is_empty());
    alice.handle_frame(&response, now);
    assert!(events(&mut alice).is_empty(), "the 200 answers no message");
    assert_eq!(alice.poll_timeout(), None);
}

#[test]
fn unknown_methods_get_501() {
    let mut bob = bob();
    let auth = format!(
        "MSRP au000001 AUTH\r\nTo-Path: {BOB}\r\nFrom-Path: {ALICE}\r\n-------au000001$\r\n"
    );
    bob.handle_frame(&frame(auth.as_bytes()), Instant::now());
    assert_eq!(transmitted(&mut bob)[0].status_code(), Some(501));
}

#[test]
fn send_report_writes_the_status_line() {
    let mut bob = bob();
    let range = ByteRange::parse("1-10/10").unwrap();
    bob.send_report("m0000009", range, 413, Instant::now());
    let report = transmitted(&mut bob).remove(0);
    assert_eq!(report.method(), Some("REPORT"));
    assert_eq!(report.header("Status"), Some("000 413 Message Too Large"));
    assert_eq!(report.to_path(), Some(ALICE));
}

#[test]
fn relay_mode_hands_over_chunks_and_forwards_them_unchanged() {
    let mut relay = Session::new(SessionConfig {
        relay: true,
        ..config(BOB, ALICE)
    });
    let h = "Message-ID: m0000011\r\nSuccess-Report: yes\r\nFailure-Report: partial\r\nByte-Range: 1-3/10\r\n";
    relay.handle_frame(&send("tx000041", h, "abc", '+'), Instant::now());
    assert!(transmitted(&mut relay).is_empty(), "partial: no 200");
    let events = events(&mut relay);
    let [SessionEvent::Chunk(chunk)] = events.as_slice() else {
        panic!("{events:?}");
    };
    assert_eq!(chunk.byte_range, ByteRange::parse("1-3/10").unwrap());
    assert_eq!(
        (chunk.flag, chunk.body.as_slice()),
        (Flag::Continue, &b"abc"[..])
    );
    assert!(chunk.success_report);
    let mut onward = Session::new(config(
        "msrp://127.0.0.1:7003/relay001;tcp",
        "msrp://127.0.0.1:7004/carol001;tcp",
    ));
    onward.forward_chunk(chunk, Instant::now());
    let out = transmitted(&mut onward).remove(0);
    assert_eq!(out.message_id(), Some("m0000011"));
    assert_eq!(out.header("Byte-Range"), Some("1-3/10"));
    assert_eq!(out.header("Success-Report"), Some("yes"));
    assert_eq!(out.header("Failure-Report"), Some("partial"));
    assert_eq!(out.flag, Flag::Continue);
    assert_eq!(out.body, &b"abc"[..]);
    assert_eq!(out.to_path(), Some("msrp://127.0.0.1:7004/carol001;tcp"));
}

#[test]
fn too_many_messages_in_progress_get_413() {
    let mut bob = bob();
    let now = Instant::now();
    for i in 0..MAX_INCOMING {
        let h = format!("Message-ID: m{i:07}\r\nByte-Range: 1-1/2\r\n");
        bob.handle_frame(&send("tx000051", &h, "a", '+'), now);
    }
    assert!(
        transmitted(&mut bob)
            .iter()
            .all(|f| f.status_code() == Some(200))
    );
    let h = "Message-ID: mlast0001\r\nByte-Range: 1-1/2\r\n";
    bob.handle_frame(&send("tx000052", h, "a", '+'), now);
    assert_eq!(transmitted(&mut bob)[0].status_code(), Some(413));
}

/// Moves every frame from `from` to `to`; returns how many moved.
fn pump(from: &mut Session, to: &mut Session, now: Instant) -> usize {
    let frames = transmitted(from);
    frames.iter().for_each(|f| to.handle_frame(f, now));
    frames.len()
}

#[test]
fn a_pair_exchanges_a_64_kib_message_with_a_report() {
    let mut alice = Session::new(config(ALICE, BOB));
    let mut bob = bob();
    let now = Instant::now();
    let body: Vec<u8> = (0..65536u32).map(|i| (i % 251) as u8).collect();
    let opts = SendOptions {
        success_report: true,
        chunk_order: Some(vec![6, 5, 4, 3, 2, 1, 0]),
        ..SendOptions::default()
    };
    let id = alice
        .send("application/octet-stream", &body, &opts, now)
        .unwrap();
    assert_eq!(pump(&mut alice, &mut bob, now), 7);
    assert_eq!(
        pump(&mut bob, &mut alice, now),
        8,
        "7 responses and 1 REPORT"
    );
    let received = events(&mut bob);
    assert!(
        matches!(&received[..], [SessionEvent::Received { body: b, chunks: 7, .. }] if *b == body)
    );
    assert_eq!(
        events(&mut alice),
        [
            SessionEvent::Answered {
                message_id: id.clone(),
                status: 200
            },
            SessionEvent::Report {
                message_id: id,
                status: 200,
                byte_range: ByteRange::parse("1-65536/65536").unwrap()
            }
        ]
    );
}

#[test]
fn faults_change_what_is_sent() {
    let mut alice = Session::new(config(ALICE, BOB));
    let mut bob = bob();
    let now = Instant::now();
    bob.set_faults(SessionFaults {
        no_responses: true,
        report_partial_range: true,
        ..SessionFaults::default()
    });
    alice.set_faults(SessionFaults {
        corrupt_body: true,
        ..SessionFaults::default()
    });
    let opts = SendOptions {
        success_report: true,
        chunk_size: Some(4),
        ..SendOptions::default()
    };
    alice.send("text/plain", b"abcdefghij", &opts, now).unwrap();
    pump(&mut alice, &mut bob, now);
    let out = transmitted(&mut bob);
    assert_eq!(out.len(), 1, "no 200s, only the REPORT");
    assert_eq!(out[0].header("Byte-Range"), Some("9-10/10"));
    let received = events(&mut bob);
    let [SessionEvent::Received { body, .. }] = received.as_slice() else {
        panic!("not received");
    };
    assert_eq!(body, b"abceefgiik", "the last byte of each chunk flipped");

    alice.set_faults(SessionFaults {
        drop_last_chunk: true,
        ..SessionFaults::default()
    });
    alice.send("text/plain", b"abcdefghij", &opts, now).unwrap();
    let sent: Vec<Flag> = transmitted(&mut alice).iter().map(|f| f.flag).collect();
    assert_eq!(sent, [Flag::Continue, Flag::Continue]);
}
