//! SIP over TLS: the TLS layer under the stream transport (RFC 3261 26.2, 18.3; RFC 5922 7).
//!
//! A [`TlsConfig`] holds what one simulator presents and whom it trusts, as a rustls server
//! config for its TLS listener and a client config for the connections it opens. Both are built
//! on the `ring` provider explicitly, so nothing depends on a process-wide default. With every
//! role simulated, [`TlsConfig::simulated`] trusts the process's test CA and presents a
//! certificate it issued; [`TlsConfig::from_trust`] trusts the CA a profile names for a real
//! system under test and presents the profile's certificate when there is one (mutual TLS).
//!
//! Clients verify the server's certificate against the name the profile gives for the address
//! they connect to (a role's `tls-name`), or else against that IP address (the simulators'
//! certificates name `127.0.0.1`). Servers do not ask clients for certificates.
//! Framing, connection reuse and the wire tap are the stream transport's ([`super::tcp`]); the
//! tap sees the plaintext. This module does not do session resumption tuning, SNI-based
//! selection, or revocation checks.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use rcs_harness::agent::TlsTrust;
use rustls::crypto::CryptoProvider;
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use rustls_pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::certs::{self, Identity, tls_setup};
use super::error::NetError;

/// Longest a TLS handshake may take.
pub(super) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// A byte stream a connection reads and writes: plain TCP or TLS over it.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// What one simulator presents to TLS peers and which certificates it accepts from them.
#[derive(Clone)]
pub struct TlsConfig {
    acceptor: TlsAcceptor,
    connector: TlsConnector,
    /// The name to verify, by the address connected to; others are verified by IP address.
    server_names: Arc<BTreeMap<SocketAddr, ServerName<'static>>>,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig").finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// Trusts the process's test CA and presents a certificate it issued for `127.0.0.1`,
    /// `localhost` and `names` (e.g. the home domain).
    pub fn simulated(names: &[String]) -> Result<Self, NetError> {
        let ca = certs::test_ca()?;
        Self::build(ca.roots()?, ca.issue(names)?, None, BTreeMap::new())
    }

    /// From a profile's TLS material: trusts `trust.ca` (the test CA when it is not set) and
    /// presents `trust.client_cert`/`client_key` when both are set, both as a client and as a
    /// server; otherwise a test-CA certificate for `names`.
    pub fn from_trust(trust: &TlsTrust, names: &[String]) -> Result<Self, NetError> {
        let roots = match &trust.ca {
            Some(path) => certs::read_roots(path)?,
            None => certs::test_ca()?.roots()?,
        };
        let own = match (&trust.client_cert, &trust.client_key) {
            (Some(cert), Some(key)) => Some(Identity {
                chain: certs::read_chain(cert)?,
                key: certs::read_key(key)?,
            }),
            (None, None) => None,
            _ => {
                return Err(tls_setup(
                    "use a client certificate: the profile names a certificate or a key, not both"
                        .to_owned(),
                ));
            }
        };
        let server = match &own {
            Some(own) => Identity {
                chain: own.chain.clone(),
                key: own.key.clone_key(),
            },
            None => certs::test_ca()?.issue(names)?,
        };
        let server_names = trust
            .server_names
            .iter()
            .map(|(addr, name)| {
                ServerName::try_from(name.clone())
                    .map(|name| (*addr, name))
                    .map_err(|err| tls_setup(format!("use `{name}` as a server name: {err}")))
            })
            .collect::<Result<_, _>>()?;
        Self::build(roots, server, own, server_names)
    }

    fn build(
        roots: RootCertStore,
        server: Identity,
        client: Option<Identity>,
        server_names: BTreeMap<SocketAddr, ServerName<'static>>,
    ) -> Result<Self, NetError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let server = server_config(provider.clone(), server)?;
        let client = client_config(provider, roots, client)?;
        Ok(Self {
            acceptor: TlsAcceptor::from(Arc::new(server)),
            connector: TlsConnector::from(Arc::new(client)),
            server_names: Arc::new(server_names),
        })
    }

    /// Runs the server side of a handshake on an accepted connection.
    pub(crate) async fn accept(&self, stream: TcpStream) -> io::Result<Box<dyn Stream>> {
        let tls = within_timeout(self.acceptor.accept(stream)).await?;
        Ok(Box::new(tls))
    }

    /// Runs the client side of a handshake on a connection opened to `dst`, verifying the
    /// server's certificate against the name configured for `dst`, or else its IP address.
    pub(crate) async fn connect(
        &self,
        stream: TcpStream,
        dst: SocketAddr,
    ) -> io::Result<Box<dyn Stream>> {
        let name = self
            .server_names
            .get(&dst)
            .cloned()
            .unwrap_or_else(|| ServerName::IpAddress(dst.ip().into()));
        let tls = within_timeout(self.connector.connect(name, stream)).await?;
        Ok(Box::new(tls))
    }
}

fn server_config(provider: Arc<CryptoProvider>, own: Identity) -> Result<ServerConfig, NetError> {
    ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| tls_setup(format!("choose tls versions: {err}")))?
        .with_no_client_auth()
        .with_single_cert(own.chain, own.key)
        .map_err(|err| tls_setup(format!("use the server certificate: {err}")))
}

fn client_config(
    provider: Arc<CryptoProvider>,
    roots: RootCertStore,
    own: Option<Identity>,
) -> Result<ClientConfig, NetError> {
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| tls_setup(format!("choose tls versions: {err}")))?
        .with_root_certificates(roots);
    match own {
        Some(own) => builder
            .with_client_auth_cert(own.chain, own.key)
            .map_err(|err| tls_setup(format!("use the client certificate: {err}"))),
        None => Ok(builder.with_no_client_auth()),
    }
}

async fn within_timeout<T>(handshake: impl Future<Output = io::Result<T>>) -> io::Result<T> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(err)) => Err(io::Error::new(
            err.kind(),
            format!("tls handshake failed: {err}"),
        )),
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("tls handshake timed out after {HANDSHAKE_TIMEOUT:?}"),
        )),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Write;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// A handshake between `server` and `client` on loopback; the client's result.
    async fn handshake(server: TlsConfig, client: &TlsConfig) -> io::Result<Box<dyn Stream>> {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let serve = tokio::spawn(async move {
            let (stream, _) = listener.accept().await.unwrap();
            let mut tls = server.accept(stream).await?;
            let mut buf = [0u8; 5];
            tls.read_exact(&mut buf).await?;
            tls.write_all(&buf).await?;
            tls.flush().await
        });
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut tls = client.connect(stream, addr).await?;
        tls.write_all(b"hello").await?;
        tls.flush().await?;
        let mut echo = [0u8; 5];
        tls.read_exact(&mut echo).await?;
        assert_eq!(&echo, b"hello");
        serve.await.unwrap()?;
        Ok(tls)
    }

    #[tokio::test]
    async fn simulators_trust_one_another_through_the_test_ca() {
        let names = ["ims.example".to_owned()];
        let server = TlsConfig::simulated(&names).unwrap();
        let client = TlsConfig::simulated(&[]).unwrap();
        handshake(server, &client).await.unwrap();
    }

    #[tokio::test]
    async fn a_server_signed_by_another_ca_is_refused() {
        let other = certs::generate_ca("other").unwrap();
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(other.pem().as_bytes()).unwrap();
        let trust = TlsTrust {
            ca: Some(file.path().to_owned()),
            ..TlsTrust::default()
        };
        let client = TlsConfig::from_trust(&trust, &[]).unwrap();
        let server = TlsConfig::simulated(&[]).unwrap();
        let err = handshake(server, &client).await.err().unwrap().to_string();
        assert!(err.starts_with("tls handshake failed:"), "{err}");
        assert!(err.contains("UnknownIssuer"), "{err}");
    }

    #[tokio::test]
    async fn a_certificate_naming_only_a_host_is_verified_by_its_tls_name() {
        let ca = certs::test_ca().unwrap();
        let server = TlsConfig::build(
            ca.roots().unwrap(),
            ca.issue_exact(vec!["mc.lab.example".to_owned()]).unwrap(),
            None,
            BTreeMap::new(),
        )
        .unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let serve = tokio::spawn(async move {
            for _ in 0..2 {
                let (stream, _) = listener.accept().await.unwrap();
                let _ = server.accept(stream).await;
            }
        });
        let by_ip = TlsConfig::simulated(&[]).unwrap();
        let stream = TcpStream::connect(addr).await.unwrap();
        let err = by_ip.connect(stream, addr).await.err().unwrap().to_string();
        assert!(
            err.contains("NotValidForName") || err.contains("not valid for name"),
            "{err}"
        );
        let trust = TlsTrust {
            server_names: [(addr, "mc.lab.example".to_owned())].into(),
            ..TlsTrust::default()
        };
        let by_name = TlsConfig::from_trust(&trust, &[]).unwrap();
        let stream = TcpStream::connect(addr).await.unwrap();
        by_name.connect(stream, addr).await.unwrap();
        serve.await.unwrap();
    }

    #[test]
    fn a_certificate_without_its_key_is_a_setup_error() {
        let trust = TlsTrust {
            client_cert: Some("/some/cert.pem".into()),
            ..TlsTrust::default()
        };
        let err = TlsConfig::from_trust(&trust, &[]).unwrap_err().to_string();
        assert!(
            err.starts_with("set up sip tls: use a client certificate"),
            "{err}"
        );
    }
}
