//! Profiles: which role of the run is a real system under test, where it is, and who is provisioned on it.
//!
//! ```yaml
//! name: lab message center
//! roles:
//!   message-center: { address: 127.0.0.1:5060, transport: udp }
//! subscribers:
//!   - { msisdn: "+8613800000001", impi: "8613800000001@ims.mnc000.mcc460.3gppnetwork.org", password: "..." }
//! ```
//! Passwords are secrets: reports show them redacted.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::agent::TlsTrust;
use crate::case::CaseError;
use crate::case::suggest::hint;
use crate::events::Transport;
use crate::role::{RoleKind, Subscriber};

/// A validated profile.
#[derive(Clone, Debug)]
pub struct Profile {
    pub name: String,
    pub file: PathBuf,
    pub externals: BTreeMap<RoleKind, External>,
    /// Identities provisioned on the system under test; when empty the built-in ones are used.
    pub subscribers: Vec<Subscriber>,
    /// TLS trust for the external systems (paths relative to the profile file).
    pub tls: TlsTrust,
}

/// A role played by a real system reached by address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct External {
    pub address: SocketAddr,
    pub transport: Transport,
}

impl Profile {
    pub fn external(&self, kind: RoleKind) -> Option<&External> {
        self.externals.get(&kind)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawProfile {
    name: String,
    #[serde(default)]
    roles: BTreeMap<String, Spanned<RawExternal>>,
    #[serde(default)]
    subscribers: Vec<Subscriber>,
    #[serde(default)]
    tls: Option<RawTls>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawTls {
    #[serde(default)]
    ca: Option<PathBuf>,
    #[serde(default)]
    client_cert: Option<PathBuf>,
    #[serde(default)]
    client_key: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawExternal {
    address: String,
    #[serde(default)]
    transport: Option<String>,
}

/// Read and validate a profile; every problem comes back with its location.
pub fn load_profile(path: &Path) -> Result<Profile, Vec<CaseError>> {
    let source = std::fs::read_to_string(path).map_err(|e| {
        vec![CaseError::new(
            path,
            0,
            0,
            format!("failed to read profile: {e}"),
        )]
    })?;
    parse_profile(path, &source)
        .map_err(|v| v.into_iter().map(|e| e.with_source(&source)).collect())
}

pub fn parse_profile(path: &Path, source: &str) -> Result<Profile, Vec<CaseError>> {
    let raw: RawProfile = serde_saphyr::from_str(source).map_err(|e| {
        let (line, col) = e
            .location()
            .map(|l| (l.line() as usize, l.column() as usize))
            .unwrap_or((0, 0));
        let msg = e.to_string();
        vec![CaseError::new(
            path,
            line,
            col,
            msg.lines().next().unwrap_or("invalid YAML").to_owned(),
        )]
    })?;
    let mut errors = Vec::new();
    let mut externals = BTreeMap::new();
    for (name, ext) in &raw.roles {
        let (line, col) = (
            ext.referenced.line() as usize,
            ext.referenced.column() as usize,
        );
        let Ok(kind) = name.parse::<RoleKind>() else {
            errors.push(
                CaseError::new(path, line, col, format!("unknown role `{name}`"))
                    .with_hint(hint(name, RoleKind::ALL.map(RoleKind::as_str))),
            );
            continue;
        };
        let address = match ext.value.address.parse::<SocketAddr>() {
            Ok(a) => a,
            Err(_) => {
                errors.push(CaseError::new(
                    path,
                    line,
                    col,
                    format!(
                        "`{}` is not an address such as 127.0.0.1:5060",
                        ext.value.address
                    ),
                ));
                continue;
            }
        };
        let transport = match ext.value.transport.as_deref() {
            None | Some("udp") => Transport::Udp,
            Some("tcp") => Transport::Tcp,
            Some("tls") => Transport::Tls,
            Some(other) => {
                errors.push(
                    CaseError::new(path, line, col, format!("unknown transport `{other}`"))
                        .with_hint(hint(other, ["udp", "tcp", "tls"])),
                );
                continue;
            }
        };
        externals.insert(kind, External { address, transport });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let tls = raw.tls.map_or_else(TlsTrust::default, |t| TlsTrust {
        ca: t.ca.map(|p| base.join(p)),
        client_cert: t.client_cert.map(|p| base.join(p)),
        client_key: t.client_key.map(|p| base.join(p)),
    });
    Ok(Profile {
        name: raw.name,
        file: path.to_owned(),
        externals,
        subscribers: raw.subscribers,
        tls,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_external_message_center() {
        let p = parse_profile(
            Path::new("p.yaml"),
            "name: lab\nroles:\n  message-center: { address: 127.0.0.1:5070, transport: tcp }\n",
        )
        .unwrap();
        let ext = p.external(RoleKind::MessageCenter).unwrap();
        assert_eq!(ext.address, "127.0.0.1:5070".parse().unwrap());
        assert_eq!(ext.transport, Transport::Tcp);
        assert!(p.subscribers.is_empty());
    }

    #[test]
    fn rejects_unknown_roles_with_location_and_hint() {
        let errs = parse_profile(
            Path::new("p.yaml"),
            "name: lab\nroles:\n  message-centre: { address: 127.0.0.1:5070 }\n",
        )
        .unwrap_err();
        assert_eq!(errs[0].line, 3);
        assert_eq!(
            errs[0].hint.as_deref(),
            Some("did you mean `message-center`?")
        );
        let errs = parse_profile(Path::new("p.yaml"), "name: lab\nrole: {}\n").unwrap_err();
        assert_eq!(errs[0].line, 2, "{errs:?}");
    }
}
