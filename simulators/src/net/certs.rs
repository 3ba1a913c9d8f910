//! Certificates of the simulators: one test CA per process and the server certificates it issues.
//!
//! When every role is simulated, the simulators trust one another through a CA generated once per
//! process ([`test_ca`]), so no certificate is ever written to disk or shared between runs. Each
//! TLS listener presents a certificate issued by it, naming `127.0.0.1`, `localhost` and the
//! domains the caller asks for as subject alternative names (RFC 5280 4.2.1.6; RFC 5922 7.1: SIP
//! domains are matched against DNS names in subjectAltName). This module also reads the PEM files a
//! profile names for a real system under test. It does not revoke, rotate or persist anything.

use std::path::Path;
use std::sync::OnceLock;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use super::error::NetError;

/// Names every simulator certificate carries, whatever else it is asked for.
const ALWAYS: [&str; 2] = ["127.0.0.1", "localhost"];

/// Most certificates read from one PEM file.
const MAX_CHAIN: usize = 16;

/// A certificate chain with its private key.
#[derive(Debug)]
pub(super) struct Identity {
    pub(super) chain: Vec<CertificateDer<'static>>,
    pub(super) key: PrivateKeyDer<'static>,
}

/// The CA every simulator of this process trusts when no other CA is given.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    der: CertificateDer<'static>,
    pem: String,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

impl TestCa {
    /// Its certificate, PEM encoded: what a real device must trust to talk to the simulators.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    /// A root store holding only this CA.
    pub(super) fn roots(&self) -> Result<RootCertStore, NetError> {
        let mut roots = RootCertStore::empty();
        roots
            .add(self.der.clone())
            .map_err(|err| tls_setup(format!("trust the test ca: {err}")))?;
        Ok(roots)
    }

    /// A server certificate for `127.0.0.1`, `localhost` and `names`, signed by this CA.
    pub(super) fn issue(&self, names: &[String]) -> Result<Identity, NetError> {
        let mut sans: Vec<String> = ALWAYS.iter().map(|n| (*n).to_owned()).collect();
        for name in names {
            if !sans.iter().any(|have| have.eq_ignore_ascii_case(name)) {
                sans.push(name.clone());
            }
        }
        self.issue_exact(sans)
    }

    /// A server certificate naming exactly `sans`, signed by this CA.
    pub(super) fn issue_exact(&self, sans: Vec<String>) -> Result<Identity, NetError> {
        let failed = |err: rcgen::Error| tls_setup(format!("issue a server certificate: {err}"));
        let mut params = CertificateParams::new(sans).map_err(failed)?;
        params.distinguished_name = common_name("rcs-interop simulator");
        let key = KeyPair::generate().map_err(failed)?;
        let cert = params.signed_by(&key, &self.issuer).map_err(failed)?;
        let key = PrivateKeyDer::try_from(key.serialize_der())
            .map_err(|err| tls_setup(format!("encode the server key: {err}")))?;
        Ok(Identity {
            chain: vec![cert.der().clone(), self.der.clone()],
            key,
        })
    }
}

/// The process's test CA, generated on first use.
pub fn test_ca() -> Result<&'static TestCa, NetError> {
    static CA: OnceLock<Result<TestCa, String>> = OnceLock::new();
    CA.get_or_init(|| generate_ca("rcs-interop test CA").map_err(|err| err.to_string()))
        .as_ref()
        .map_err(|detail| tls_setup(format!("generate the test ca: {detail}")))
}

/// A new self-signed CA named `name`.
pub(super) fn generate_ca(name: &str) -> Result<TestCa, rcgen::Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.distinguished_name = common_name(name);
    let key = KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    Ok(TestCa {
        der: cert.der().clone(),
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    })
}

fn common_name(name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    dn
}

/// Every certificate of the PEM file at `path` as trust anchors.
pub(super) fn read_roots(path: &Path) -> Result<RootCertStore, NetError> {
    let mut roots = RootCertStore::empty();
    for cert in read_chain(path)? {
        roots
            .add(cert)
            .map_err(|err| tls_setup(format!("trust the ca in {}: {err}", path.display())))?;
    }
    Ok(roots)
}

/// The certificate chain of the PEM file at `path` (at least one certificate).
pub(super) fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, NetError> {
    let failed = |detail: String| {
        tls_setup(format!(
            "read certificates from {}: {detail}",
            path.display()
        ))
    };
    let mut chain = Vec::new();
    for cert in CertificateDer::pem_file_iter(path).map_err(|err| failed(err.to_string()))? {
        if chain.len() == MAX_CHAIN {
            return Err(failed(format!("more than {MAX_CHAIN} certificates")));
        }
        chain.push(cert.map_err(|err| failed(err.to_string()))?);
    }
    if chain.is_empty() {
        return Err(failed("no certificate in the file".to_owned()));
    }
    Ok(chain)
}

/// The private key of the PEM file at `path`.
pub(super) fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, NetError> {
    PrivateKeyDer::from_pem_file(path)
        .map_err(|err| tls_setup(format!("read a private key from {}: {err}", path.display())))
}

pub(super) fn tls_setup(detail: String) -> NetError {
    NetError::TlsSetup { detail }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::io::Write;

    use super::*;

    #[test]
    fn the_test_ca_is_generated_once() {
        let first = test_ca().unwrap();
        let second = test_ca().unwrap();
        assert!(std::ptr::eq(first, second));
        assert!(first.pem().starts_with("-----BEGIN CERTIFICATE-----"));
        assert_eq!(first.roots().unwrap().len(), 1);
    }

    #[test]
    fn a_server_certificate_names_loopback_and_the_domains_asked_for() {
        let ca = test_ca().unwrap();
        let names = ["ims.example".to_owned(), "LOCALHOST".to_owned()];
        let identity = ca.issue(&names).unwrap();
        assert_eq!(identity.chain.len(), 2);
        assert_eq!(identity.chain[1], ca.der);
        let leaf = identity.chain[0].as_ref();
        let has = |needle: &[u8]| leaf.windows(needle.len()).any(|w| w == needle);
        assert!(has(b"ims.example"));
        assert!(has(b"localhost"));
        assert!(!has(b"LOCALHOST"), "a name already present is not repeated");
        assert!(has(&[127, 0, 0, 1]));
    }

    #[test]
    fn pem_files_are_read_and_their_faults_named() {
        let ca = generate_ca("other").unwrap();
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(ca.pem().as_bytes()).unwrap();
        assert_eq!(read_roots(file.path()).unwrap().len(), 1);
        assert_eq!(read_chain(file.path()).unwrap().len(), 1);
        let err = read_key(file.path()).unwrap_err().to_string();
        assert!(
            err.starts_with("set up sip tls: read a private key from"),
            "{err}"
        );

        let empty = tempfile::NamedTempFile::new().unwrap();
        let err = read_chain(empty.path()).unwrap_err().to_string();
        assert!(err.ends_with("no certificate in the file"), "{err}");
        let err = read_roots(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/ca.pem"));
    }
}
