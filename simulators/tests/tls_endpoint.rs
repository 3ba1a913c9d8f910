//! SIP over TLS at the transport: a TLS listener on port 0 next to UDP/TCP, handshakes with the
//! process's test CA, plaintext on the wire tap, connection reuse, and a refused wrong CA.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rcs_harness::agent::{Captured, TlsTrust, WireTap};
use rcs_harness::clock::Clock;
use rcs_harness::events::{Direction, Transport};
use rcs_simulators::net::{Incoming, NetError, SipEndpoint, TlsConfig, test_ca};
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_rustls::TlsConnector;

const OPTIONS: &[u8] = b"OPTIONS sip:mc SIP/2.0\r\n\
Via: SIP/2.0/TLS 127.0.0.1:1;branch=z9hG4bK1\r\nCall-ID: t1\r\nCSeq: 1 OPTIONS\r\n\
Content-Length: 0\r\n\r\n";

const OK: &[u8] = b"SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";

struct Side {
    endpoint: SipEndpoint,
    incoming: mpsc::Receiver<Incoming>,
    tap: mpsc::UnboundedReceiver<Captured>,
}

async fn bind(role: &str, tls: TlsConfig) -> Side {
    let (tx, tap) = mpsc::unbounded_channel();
    let wire = WireTap::new(role, Clock::real(), tx);
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let (endpoint, incoming) = SipEndpoint::bind_with_tls(any, wire, Some(tls))
        .await
        .unwrap();
    Side {
        endpoint,
        incoming,
        tap,
    }
}

async fn next(incoming: &mut mpsc::Receiver<Incoming>) -> Incoming {
    tokio::time::timeout(Duration::from_secs(5), incoming.recv())
        .await
        .unwrap()
        .unwrap()
}

/// A client that trusts only the test CA, as a real phone given its PEM would.
fn phone_connector() -> TlsConnector {
    let pem = test_ca().unwrap().pem().as_bytes().to_vec();
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(&pem).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

#[tokio::test]
async fn the_tls_listener_has_its_own_port_and_records_plaintext() {
    let mut mc = bind(
        "mc",
        TlsConfig::simulated(&["ims.example".to_owned()]).unwrap(),
    )
    .await;
    let tls_addr = mc.endpoint.local_tls().unwrap();
    assert_ne!(tls_addr.port(), 0);
    assert_ne!(tls_addr.port(), mc.endpoint.local_tcp().port());
    assert_eq!(mc.endpoint.endpoints().sip_tls, Some(tls_addr));
    assert_eq!(mc.endpoint.local_addr(Transport::Tls), tls_addr);

    // The certificate names localhost: verify by name as well as by address.
    let tcp = TcpStream::connect(tls_addr).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let mut phone = phone_connector().connect(name, tcp).await.unwrap();
    let phone_addr = phone.get_ref().0.local_addr().unwrap();
    phone.write_all(OPTIONS).await.unwrap();
    phone.flush().await.unwrap();

    let got = next(&mut mc.incoming).await;
    assert_eq!(got.transport, Transport::Tls);
    assert_eq!((got.src, got.dst), (phone_addr, tls_addr));
    assert_eq!(&got.bytes[..], OPTIONS);
    let seen = mc.tap.recv().await.unwrap();
    assert_eq!(
        (seen.transport, seen.direction),
        (Transport::Tls, Direction::In)
    );
    assert_eq!(seen.bytes, OPTIONS, "the tap sees the plaintext");

    // The answer goes back on the accepted connection.
    mc.endpoint.send(OK, Transport::Tls, got.src).await.unwrap();
    let mut answer = vec![0u8; OK.len()];
    phone.read_exact(&mut answer).await.unwrap();
    assert_eq!(answer, OK);
    let seen = mc.tap.recv().await.unwrap();
    assert_eq!((seen.src, seen.dst), (tls_addr, phone_addr));
    assert_eq!(
        (seen.transport, seen.direction),
        (Transport::Tls, Direction::Out)
    );
    mc.endpoint.shutdown().await;
}

#[tokio::test]
async fn two_simulators_speak_tls_through_the_test_ca_and_reuse_the_connection() {
    let mut mc = bind("mc", TlsConfig::simulated(&[]).unwrap()).await;
    let mut ue = bind("alice", TlsConfig::simulated(&[]).unwrap()).await;
    let mc_tls = mc.endpoint.local_tls().unwrap();
    ue.endpoint
        .send(OPTIONS, Transport::Tls, mc_tls)
        .await
        .unwrap();
    let got = next(&mut mc.incoming).await;
    assert_eq!(got.message.unwrap().method(), Some("OPTIONS"));
    mc.endpoint.send(OK, Transport::Tls, got.src).await.unwrap();
    let answer = next(&mut ue.incoming).await;
    assert_eq!(answer.transport, Transport::Tls);
    assert_eq!(answer.src, mc_tls);
    assert_eq!(answer.message.unwrap().status(), Some(200));

    ue.endpoint
        .send(OPTIONS, Transport::Tls, mc_tls)
        .await
        .unwrap();
    let again = next(&mut mc.incoming).await;
    assert_eq!(
        again.src, got.src,
        "the second request reuses the connection"
    );
    let out = ue.tap.recv().await.unwrap();
    assert_eq!((out.transport, &out.bytes[..]), (Transport::Tls, OPTIONS));
    ue.endpoint.shutdown().await;
    mc.endpoint.shutdown().await;
}

#[tokio::test]
async fn a_server_signed_by_another_ca_is_refused_with_a_clear_error() {
    let mut mc = bind("mc", TlsConfig::simulated(&[]).unwrap()).await;
    let other = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let mut ca = tempfile::NamedTempFile::new().unwrap();
    ca.write_all(other.cert.pem().as_bytes()).unwrap();
    let trust = TlsTrust {
        ca: Some(ca.path().to_owned()),
        ..TlsTrust::default()
    };
    let ue = bind("alice", TlsConfig::from_trust(&trust, &[]).unwrap()).await;
    let mc_tls = mc.endpoint.local_tls().unwrap();
    let err = ue
        .endpoint
        .send(OPTIONS, Transport::Tls, mc_tls)
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        NetError::Connect {
            transport: Transport::Tls,
            ..
        }
    ));
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "connect sip over Tls to {mc_tls}: tls handshake failed"
        )),
        "{text}"
    );
    assert!(text.contains("UnknownIssuer"), "{text}");
    // Nothing reached the message center, and it still serves others.
    assert!(mc.incoming.try_recv().is_err());
    let good = bind("bob", TlsConfig::simulated(&[]).unwrap()).await;
    good.endpoint
        .send(OPTIONS, Transport::Tls, mc_tls)
        .await
        .unwrap();
    assert_eq!(next(&mut mc.incoming).await.transport, Transport::Tls);
    mc.endpoint.shutdown().await;
}

#[tokio::test]
async fn an_endpoint_without_tls_refuses_to_send_over_it() {
    let (tx, _tap) = mpsc::unbounded_channel();
    let wire = WireTap::new("mc", Clock::real(), tx);
    let (endpoint, _incoming) = SipEndpoint::bind(wire).await.unwrap();
    assert_eq!(endpoint.local_tls(), None);
    let err = endpoint
        .send(OPTIONS, Transport::Tls, endpoint.local_tcp())
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        NetError::Unsupported {
            transport: Transport::Tls
        }
    ));
    endpoint.shutdown().await;
}
