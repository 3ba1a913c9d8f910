//! SDP and multipart on wire vectors (protocols.md §4.5, RFC 4975 §8): byte-exact round trips,
//! every prefix read without a panic, and a property test of the MSRP media round trip.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use proptest::prelude::*;
use rcs_proto::cpim::CpimMessage;
use rcs_proto::msrp::MsrpUri;
use rcs_proto::multipart::{self, Part};
use rcs_proto::sdp::{Direction, MsrpMedia, Sdp, Setup};

const LARGEMSG_CT: &str = "multipart/mixed; boundary=Lm9x2Qa7Rt5Yb3Kc";

fn vector(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/sdp")
        .join(name);
    std::fs::read(path).unwrap()
}

const VECTORS: [&str; 4] = [
    "protocols-4.5-largemsg-body.dat",
    "protocols-4.5-largemsg-sdp.dat",
    "protocols-4.5-session-sdp.dat",
    "rfc4975-8-sdp-offer.dat",
];

#[test]
fn vectors_keep_their_crlf() {
    for name in VECTORS {
        let bytes = vector(name);
        let lf = bytes.iter().filter(|&&b| b == b'\n').count();
        assert_eq!(
            bytes.windows(2).filter(|w| w == b"\r\n").count(),
            lf,
            "{name}"
        );
        assert!(lf > 5, "{name}");
    }
}

#[test]
fn largemsg_body_splits_into_cpim_and_sdp() {
    let body = vector("protocols-4.5-largemsg-body.dat");
    let parts = multipart::parse(LARGEMSG_CT, &body).unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].content_type(), Some("message/cpim"));
    assert_eq!(parts[0].header("content-length"), Some("233"));

    let cpim = CpimMessage::parse(&multipart::find(&parts, "message/cpim").unwrap().body).unwrap();
    assert_eq!(cpim.imdn_message_id(), Some("Lg7u1Pq2"));
    assert_eq!(cpim.content_type(), Some("text/plain"));
    assert!(cpim.body().is_empty());

    // The CRLF before the close delimiter belongs to it: the SDP part lacks its last line end.
    let sdp_part = multipart::find(&parts, "application/sdp").unwrap();
    let sdp_file = vector("protocols-4.5-largemsg-sdp.dat");
    assert_eq!(sdp_part.body, sdp_file.strip_suffix(b"\r\n").unwrap());

    assert_eq!(multipart::build(&parts, "Lm9x2Qa7Rt5Yb3Kc"), body);
}

#[test]
fn largemsg_sdp_reads_and_is_rewritten_identically() {
    let bytes = vector("protocols-4.5-largemsg-sdp.dat");
    let sdp = Sdp::parse(&bytes).unwrap();
    assert_eq!(sdp.to_bytes(), bytes);
    let media = MsrpMedia::from_sdp(&sdp).unwrap();
    let expected = MsrpMedia {
        tls: false,
        port: 9,
        address: "10.20.0.7".into(),
        path: vec![MsrpUri::parse("msrp://10.20.0.7:34567/k2Vq8sXz;tcp").unwrap()],
        setup: Setup::Active,
        accept_types: vec!["message/cpim".into()],
        accept_wrapped_types: vec!["text/plain".into()],
        direction: Direction::SendOnly,
        max_size: None,
        cema: false,
    };
    assert_eq!(media, expected);
    assert_eq!(media.to_sdp("10.20.0.7", 3912345678).to_bytes(), bytes);

    // The same SDP cut out of the multipart body, without its last CRLF, reads the same.
    let body = vector("protocols-4.5-largemsg-body.dat");
    let parts = multipart::parse(LARGEMSG_CT, &body).unwrap();
    let part = multipart::find(&parts, "application/sdp").unwrap();
    assert_eq!(
        MsrpMedia::from_sdp(&Sdp::parse(&part.body).unwrap()).unwrap(),
        expected
    );
}

#[test]
fn session_mode_sdp_over_tls_and_ipv6() {
    let bytes = vector("protocols-4.5-session-sdp.dat");
    let sdp = Sdp::parse(&bytes).unwrap();
    let media = MsrpMedia::from_sdp(&sdp).unwrap();
    assert!(media.tls && media.cema);
    assert_eq!(media.address, "2001:db8::7");
    assert_eq!(media.path[0].host(), "[2001:db8::7]");
    assert_eq!(media.setup, Setup::Actpass);
    assert_eq!(media.setup.answer(), Setup::Active);
    assert_eq!(media.direction, Direction::SendRecv);
    assert!(media.accepts("application/im-iscomposing+xml"));
    assert!(media.accepts_wrapped("message/imdn+xml"));
    assert!(
        !media.accepts("text/plain"),
        "text/plain is only accepted wrapped"
    );
    assert_eq!(media.to_sdp("2001:db8::7", 3912345679).to_bytes(), bytes);
}

#[test]
fn rfc4975_offer() {
    let sdp = Sdp::parse(&vector("rfc4975-8-sdp-offer.dat")).unwrap();
    let media = MsrpMedia::from_sdp(&sdp).unwrap();
    assert_eq!(media.port, 7394);
    assert_eq!(media.address, "alice.example.com");
    assert_eq!(
        media.setup,
        Setup::Active,
        "no a=setup in an offer reads as active"
    );
    assert_eq!(MsrpMedia::from_answer(&sdp).unwrap().setup, Setup::Passive);
    assert_eq!(media.max_size, Some(131072));
    assert!(media.accepts("text/html"));
    assert!(media.accepts_wrapped("image/jpeg"));
    assert!(!media.accepts("image/jpeg"));
    assert_eq!(
        sdp.session_line('o'),
        Some("alice 2890844526 2890844527 IN IP4 alice.example.com")
    );
}

#[test]
fn every_prefix_reads_without_a_panic() {
    for name in VECTORS {
        let bytes = vector(name);
        for end in 0..=bytes.len() {
            let prefix = &bytes[..end];
            if let Ok(sdp) = Sdp::parse(prefix) {
                assert_eq!(sdp.to_bytes(), prefix);
                let _ = MsrpMedia::from_sdp(&sdp);
            }
            let _ = multipart::parse(LARGEMSG_CT, prefix);
        }
    }
}

#[test]
fn a_body_cut_before_the_close_delimiter_is_an_error() {
    let body = vector("protocols-4.5-largemsg-body.dat");
    let cut = body.len() - "--Lm9x2Qa7Rt5Yb3Kc--\r\n".len();
    assert!(multipart::parse(LARGEMSG_CT, &body[..cut]).is_err());
    assert!(multipart::parse(LARGEMSG_CT, &body[..cut + 20]).is_ok());
}

fn token() -> impl Strategy<Value = String> {
    "[a-z]{1,8}/([a-z0-9.+-]{1,12}|\\*)"
}

fn msrp_media() -> impl Strategy<Value = MsrpMedia> {
    let setup = prop::sample::select(vec![
        Setup::Active,
        Setup::Passive,
        Setup::Actpass,
        Setup::Holdconn,
    ]);
    let direction = prop::sample::select(Direction::ALL.to_vec());
    let uri = ("[a-z0-9.-]{1,12}", 1u16.., "[A-Za-z0-9]{4,16}");
    (
        (
            any::<bool>(),
            any::<u16>(),
            "[0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9a-f:]{3,20}",
        ),
        prop::collection::vec(uri, 1..4),
        (setup, direction),
        prop::collection::vec(token(), 0..4),
        prop::collection::vec(token(), 0..4),
        (prop::option::of(any::<u64>()), any::<bool>()),
    )
        .prop_map(
            |((tls, port, address), path, (setup, direction), at, awt, (max_size, cema))| {
                MsrpMedia {
                    tls,
                    port,
                    address,
                    path: path
                        .iter()
                        .map(|(h, p, s)| MsrpUri::new(tls, h, *p, s))
                        .collect(),
                    setup,
                    accept_types: at,
                    accept_wrapped_types: awt,
                    direction,
                    max_size,
                    cema,
                }
            },
        )
}

proptest! {
    #[test]
    fn msrp_media_round_trips(media in msrp_media(), version in any::<u64>()) {
        let sdp = media.to_sdp("192.0.2.1", version);
        let reread = Sdp::parse(&sdp.to_bytes()).unwrap();
        prop_assert_eq!(&reread, &sdp);
        prop_assert_eq!(MsrpMedia::from_sdp(&reread).unwrap(), media);
    }

    #[test]
    fn multipart_round_trips(
        parts in prop::collection::vec(
            ("[a-z]{1,8}/[a-z]{1,8}", prop::collection::vec(any::<u8>(), 0..64)),
            1..6,
        )
    ) {
        let parts: Vec<Part> = parts.into_iter().map(|(ct, body)| Part::new(&ct, body)).collect();
        // Choosing a boundary no body holds is the sender's duty (RFC 2046 §5.1.1).
        let boundary = "=_rcs-8f2Kq0";
        prop_assume!(parts.iter().all(|p| !p.body.windows(boundary.len()).any(|w| w == boundary.as_bytes())));
        let body = multipart::build(&parts, boundary);
        let ct = format!("multipart/mixed; boundary=\"{boundary}\"");
        prop_assert_eq!(multipart::parse(&ct, &body).unwrap(), parts);
    }
}
