//! The 49 RFC 4475 torture messages against the SIP codec.
//!
//! - `valid` (3.1.1) and `compat` (3.4) messages parse and validate with no deviation, except
//!   what the RFC itself says is fine (listed below with the clause).
//! - `invalid` (3.1.2) messages are rejected by `Message::parse` or flagged by `validate` at the
//!   construct the RFC names.
//! - `semantic` (3.2, 3.3) messages parse; the table records what an application must answer,
//!   and each asserts the typed view that lets the application decide.
//! - No prefix of any message makes `Message::parse` or `StreamDecoder` panic.
//!
//! The vectors are an in-tree, byte-exact copy of `shared/testdata/rfc4475`.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bytes::BytesMut;
use rcs_proto::sip::{Host, Message, SipError, StreamDecoder, Uri};

/// What a file must do.
enum Expect {
    /// Parses and validates with no deviation, except these constructs (with the RFC's reason).
    Clean(&'static [&'static str]),
    /// `Message::parse` fails with this error.
    Rejected(fn(&SipError) -> bool),
    /// Parses, and `validate` names at least these constructs.
    Flagged(&'static [&'static str]),
    /// Parses; an application must answer `answer`; `view` asserts the deciding typed view.
    Semantic {
        answer: &'static str,
        view: fn(&Message),
    },
}

struct Case {
    file: &'static str,
    class: &'static str,
    expect: Expect,
}

const fn case(file: &'static str, class: &'static str, expect: Expect) -> Case {
    Case {
        file,
        class,
        expect,
    }
}

/// RFC 4475 3.4.1: the message has no Max-Forwards and is still to be accepted.
const INV2543_ALLOWED: &[&str] = &["Max-Forwards"];

fn table() -> Vec<Case> {
    use Expect::*;
    vec![
        case("wsinv.dat", "valid", Clean(&[])),
        case("intmeth.dat", "valid", Clean(&[])),
        case("esc01.dat", "valid", Clean(&[])),
        case("escnull.dat", "valid", Clean(&[])),
        case("esc02.dat", "valid", Clean(&[])),
        case("lwsdisp.dat", "valid", Clean(&[])),
        case("longreq.dat", "valid", Clean(&[])),
        case("dblreq.dat", "valid", Clean(&[])),
        case("semiuri.dat", "valid", Clean(&[])),
        case("transports.dat", "valid", Clean(&[])),
        case("mpart01.dat", "valid", Clean(&[])),
        case("unreason.dat", "valid", Clean(&[])),
        case("noreason.dat", "valid", Clean(&[])),
        case("badinv01.dat", "invalid", Flagged(&["Via", "Contact"])),
        case("clerr.dat", "invalid", Flagged(&["Content-Length"])),
        case("ncl.dat", "invalid", Flagged(&["Content-Length"])),
        case(
            "scalar02.dat",
            "invalid",
            Flagged(&["CSeq", "Max-Forwards", "Expires", "Contact"]),
        ),
        case(
            "scalarlg.dat",
            "invalid",
            Flagged(&["CSeq", "Retry-After", "Warning"]),
        ),
        case("quotbal.dat", "invalid", Flagged(&["To"])),
        case("ltgtruri.dat", "invalid", Flagged(&["Request-URI"])),
        case("lwsruri.dat", "invalid", Flagged(&["Request-URI"])),
        case("lwsstart.dat", "invalid", Flagged(&["Request-Line"])),
        case("trws.dat", "invalid", Flagged(&["Request-Line"])),
        case("escruri.dat", "invalid", Flagged(&["Request-URI"])),
        case("baddate.dat", "invalid", Flagged(&["Date"])),
        case("regbadct.dat", "invalid", Flagged(&["Contact"])),
        case("badaspec.dat", "invalid", Flagged(&["To"])),
        case("baddn.dat", "invalid", Flagged(&["From", "To"])),
        case("badvers.dat", "invalid", Flagged(&["SIP-Version"])),
        case("mismatch01.dat", "invalid", Flagged(&["CSeq"])),
        case("mismatch02.dat", "invalid", Flagged(&["CSeq"])),
        case(
            "bigcode.dat",
            "invalid",
            Rejected(|e| matches!(e, SipError::StatusCode(code) if code == "4294967301")),
        ),
        case(
            "badbranch.dat",
            "semantic",
            Semantic {
                answer: "treat as an RFC 2543 transaction: a bare z9hG4bK is no RFC 3261 branch",
                view: |m| {
                    let via = &m.vias().unwrap()[0];
                    assert_eq!(via.branch(), Some("z9hG4bK"));
                    assert!(!via.has_rfc3261_branch());
                },
            },
        ),
        case(
            "insuf.dat",
            "semantic",
            Semantic {
                answer: "400 Bad Request",
                view: |m| {
                    let missing = constructs(m);
                    for name in ["To", "From", "Call-ID", "Max-Forwards"] {
                        assert!(missing.contains(name), "{name} not reported");
                    }
                },
            },
        ),
        case(
            "unkscm.dat",
            "semantic",
            Semantic {
                answer: "416 Unsupported URI Scheme",
                view: |m| {
                    let uri = Uri::parse(m.request_uri().unwrap()).unwrap();
                    assert!(matches!(uri, Uri::Other { .. }));
                    assert!(!uri.is_known_scheme());
                },
            },
        ),
        case(
            "novelsc.dat",
            "semantic",
            Semantic {
                answer: "416 Unsupported URI Scheme unless the element handles soap.beep",
                view: |m| {
                    let uri = Uri::parse(m.request_uri().unwrap()).unwrap();
                    assert_eq!(uri.scheme(), "soap.beep");
                    assert!(!uri.is_known_scheme());
                },
            },
        ),
        case(
            "unksm2.dat",
            "semantic",
            Semantic {
                answer: "a registrar answers 400: the To of a REGISTER must be a SIP or SIPS AOR",
                view: |m| {
                    assert_eq!(m.to_header().unwrap().uri.scheme(), "isbn");
                    assert_eq!(m.from_header().unwrap().uri.scheme(), "http");
                    assert_eq!(m.contacts().unwrap()[0].uri.scheme(), "name");
                },
            },
        ),
        case(
            "bext01.dat",
            "semantic",
            Semantic {
                answer: "420 Bad Extension listing both Require values in Unsupported",
                view: |m| {
                    assert_eq!(
                        m.header_values("Require"),
                        ["nothingSupportsThis", "nothingSupportsThisEither"]
                    );
                    assert_eq!(m.header_values("Proxy-Require").len(), 2);
                },
            },
        ),
        case(
            "invut.dat",
            "semantic",
            Semantic {
                answer: "415 Unsupported Media Type with an Accept header",
                view: |m| assert_eq!(m.header("c"), Some("application/unknownformat")),
            },
        ),
        case(
            "regaut01.dat",
            "semantic",
            Semantic {
                answer: "401 with a challenge in a scheme the registrar knows (or ignore the header)",
                view: |m| {
                    let auth = m.header("Authorization").unwrap();
                    assert!(auth.starts_with("NoOneKnowsThisScheme "));
                },
            },
        ),
        case(
            "multi01.dat",
            "semantic",
            Semantic {
                answer: "400 Bad Request",
                view: |m| {
                    for name in ["CSeq", "Call-ID", "To", "From", "Max-Forwards"] {
                        assert_eq!(m.header_all(name).len(), 2, "{name}");
                        assert!(constructs(m).contains(name), "{name} not reported");
                    }
                },
            },
        ),
        case(
            "mcl01.dat",
            "semantic",
            Semantic {
                answer: "400 Bad Request",
                view: |m| {
                    assert_eq!(m.header_all("Content-Length"), ["13", "5"]);
                    assert!(m.content_length().is_err());
                },
            },
        ),
        case(
            "bcast.dat",
            "semantic",
            Semantic {
                answer: "discard silently; never forward to the broadcast sent-by",
                view: |m| {
                    let vias = m.vias().unwrap();
                    assert_eq!(vias[1].host, Host::Ipv4(std::net::Ipv4Addr::BROADCAST));
                },
            },
        ),
        case(
            "zeromf.dat",
            "semantic",
            Semantic {
                answer: "483 Too Many Hops from a proxy that would forward it",
                view: |m| assert_eq!(m.max_forwards().unwrap(), Some(0)),
            },
        ),
        case(
            "cparam01.dat",
            "semantic",
            Semantic {
                answer: "register the URI; unknownparam is a Contact header parameter",
                view: |m| {
                    let contact = &m.contacts().unwrap()[0];
                    assert_eq!(contact.param("unknownparam"), Some(None));
                    assert_eq!(contact.uri.param("unknownparam"), None);
                },
            },
        ),
        case(
            "cparam02.dat",
            "semantic",
            Semantic {
                answer: "register the URI with its unknownparam URI parameter",
                view: |m| {
                    let contact = &m.contacts().unwrap()[0];
                    assert_eq!(contact.uri.param("unknownparam"), Some(None));
                    assert!(contact.params.is_empty());
                },
            },
        ),
        case(
            "regescrt.dat",
            "semantic",
            Semantic {
                answer: "register the Contact with its escaped Route header kept",
                view: |m| match &m.contacts().unwrap()[0].uri {
                    Uri::Sip(uri) => assert_eq!(
                        uri.headers,
                        [("Route".to_owned(), "%3Csip:sip.example.com%3E".to_owned())]
                    ),
                    other => panic!("not a SIP URI: {other}"),
                },
            },
        ),
        case(
            "sdp01.dat",
            "semantic",
            Semantic {
                answer: "406 Not Acceptable (or 400: every INVITE UA must accept application/sdp)",
                view: |m| assert_eq!(m.header_values("Accept"), ["text/nobodyKnowsThis"]),
            },
        ),
        case("inv2543.dat", "compat", Clean(INV2543_ALLOWED)),
    ]
}

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/rfc4475")
}

fn read(file: &str) -> Vec<u8> {
    std::fs::read(vectors_dir().join(file)).unwrap()
}

fn constructs(msg: &Message) -> BTreeSet<&'static str> {
    msg.validate().into_iter().map(|d| d.construct).collect()
}

#[test]
fn table_covers_the_manifest() {
    let manifest = std::fs::read_to_string(vectors_dir().join("manifest.tsv")).unwrap();
    let listed: Vec<(String, String)> = manifest
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            (cols[0].to_owned(), cols[2].to_owned())
        })
        .collect();
    assert_eq!(listed.len(), 49);
    let table = table();
    assert_eq!(table.len(), 49);
    for (file, class) in listed {
        let case = table.iter().find(|c| c.file == file).unwrap();
        assert_eq!(case.class, class, "{file}");
    }
}

#[test]
fn every_file_meets_its_expectation() {
    for case in table() {
        let raw = read(case.file);
        let parsed = Message::parse(raw.clone());
        match (&case.expect, parsed) {
            (Expect::Clean(allowed), Ok(msg)) => {
                let unexpected: Vec<_> = msg
                    .validate()
                    .into_iter()
                    .filter(|d| !allowed.contains(&d.construct))
                    .collect();
                assert!(unexpected.is_empty(), "{}: {unexpected:?}", case.file);
                assert_eq!(msg.as_bytes(), &raw[..], "{}", case.file);
            }
            (Expect::Rejected(check), Err(err)) => assert!(check(&err), "{}: {err}", case.file),
            (Expect::Flagged(expected), Ok(msg)) => {
                let found = constructs(&msg);
                for construct in *expected {
                    assert!(
                        found.contains(construct),
                        "{}: {construct} not flagged in {found:?}",
                        case.file
                    );
                }
            }
            (Expect::Semantic { answer, view }, Ok(msg)) => {
                assert!(!answer.is_empty());
                view(&msg);
            }
            (_, Ok(_)) => panic!("{}: parsed but should have been rejected", case.file),
            (_, Err(err)) => panic!("{}: failed to {err}", case.file),
        }
    }
}

#[test]
fn compat_message_misses_only_what_rfc4475_allows() {
    let msg = Message::parse(read("inv2543.dat")).unwrap();
    let found = constructs(&msg);
    assert_eq!(found, INV2543_ALLOWED.iter().copied().collect());
    assert!(msg.header("Content-Length").is_none());
    assert!(msg.body().starts_with(b"v=0"));
    assert!(msg.from_header().unwrap().tag().is_none());
    assert!(msg.vias().unwrap()[0].branch().is_none());
}

#[test]
fn valid_messages_expose_their_tortures() {
    let wsinv = Message::parse(read("wsinv.dat")).unwrap();
    assert_eq!(wsinv.to_header().unwrap().tag(), Some("1918181833n"));
    assert_eq!(
        wsinv.from_header().unwrap().display_name.as_deref(),
        Some("J Rosenberg \\\"")
    );
    assert_eq!(wsinv.max_forwards().unwrap(), Some(68));
    assert_eq!(wsinv.cseq().unwrap().seq, 9);
    assert_eq!(wsinv.vias().unwrap().len(), 3);
    assert_eq!(wsinv.header("s"), Some(""));
    assert_eq!(
        wsinv.header("NewFangledHeader"),
        Some("newfangled value continued newfangled value")
    );
    assert_eq!(wsinv.body().len(), 150);

    let dblreq = Message::parse(read("dblreq.dat")).unwrap();
    assert_eq!(dblreq.method(), Some("REGISTER"));
    assert_eq!(dblreq.body(), b"");

    let unreason = Message::parse(read("unreason.dat")).unwrap();
    assert!(
        unreason
            .reason()
            .unwrap()
            .starts_with("= 2**3 * 5**2 но сто")
    );
    let noreason = Message::parse(read("noreason.dat")).unwrap();
    assert_eq!(noreason.reason(), Some(""));

    let longreq = Message::parse(read("longreq.dat")).unwrap();
    assert_eq!(longreq.vias().unwrap().len(), 34);

    let esc01 = Message::parse(read("esc01.dat")).unwrap();
    let ruri = Uri::parse(esc01.request_uri().unwrap()).unwrap();
    assert_eq!(
        ruri.user_decoded().as_deref(),
        Some("sips:user@example.com")
    );

    let esc02 = Message::parse(read("esc02.dat")).unwrap();
    assert_eq!(esc02.header_all("Contact").len(), 2);
    assert_eq!(
        esc02.header("C%6Fntact"),
        Some("<sip:alias2@host2.example.com>")
    );
}

#[test]
fn no_prefix_panics() {
    for case in table() {
        let raw = read(case.file);
        for end in 0..=raw.len() {
            let prefix = &raw[..end];
            if let Ok(msg) = Message::parse(prefix.to_vec()) {
                let _ = msg.validate();
                let _ = msg.vias();
                let _ = msg.contacts();
                let _ = msg.cseq();
                let _ = msg.from_header();
            }
            let mut buf = BytesMut::from(prefix);
            let mut decoder = StreamDecoder::default();
            while let Ok(Some(_)) = decoder.decode(&mut buf) {}
        }
    }
}

#[test]
fn in_tree_copy_matches_shared_testdata() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/rfc4475");
    let Ok(entries) = std::fs::read_dir(&shared) else {
        eprintln!("shared testdata not beside the checkout; comparing skipped");
        return;
    };
    let mut compared = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_owned();
        let theirs = std::fs::read(&path).unwrap();
        let ours = std::fs::read(vectors_dir().join(&name)).unwrap();
        assert_eq!(ours, theirs, "{name:?} differs from shared/testdata");
        compared += 1;
    }
    assert_eq!(compared, 51);
}
