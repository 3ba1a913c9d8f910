//! Profiles: which roles are real systems under test, where they are, who is provisioned on them,
//! what they declare they can do, how to make them act, and where they are known to deviate.
//!
//! ```yaml
//! name: lab message center
//! roles:
//!   message-center: { address: 127.0.0.1:5060, transport: udp, domain: ims.example.net }
//!   # over TLS, the name its certificate carries when it does not name the address:
//!   # message-center: { address: 127.0.0.1:5061, transport: tls, tls-name: mc.lab.example }
//! subscribers:
//!   - { msisdn: "+8613800000001", impi: "8613800000001@ims.example.net", password: "..." }
//! capabilities: [p-associated-uri, service-route]     # absent: every capability
//! expected-deviations:
//!   PLT-CAP-002: "answers 404 for offline users (vendor ticket 1234)"
//! actions:                                             # how to drive a real terminal
//!   terminal:
//!     register: { run: "interop/sipp/register.sh", timeout: 20s }
//!     send-pager: { prompt: "Send a chat from the phone to ${to}" }
//! tls: { ca: lab-ca.pem, client-cert: me.pem, client-key: me.key }
//! settings:                                            # for the roles the simulators play
//!   terminal: { msrp-relay: "msrp://127.0.0.1:5060;tcp" }
//! ```
//! `settings:` gives every simulated role of a kind settings merged over the case's own (the
//! profile wins), for what the system under test needs of its peers, such as its MSRP relay.
//!
//! `networks:` declares network variants: a name, the carrier it is a variant of, and settings by
//! role kind for the simulated roles at that network (its quirks):
//! ```yaml
//! networks:
//!   cucc-untrusting: { carrier: cucc, settings: { peer-carrier: { trusted: [cucc] } } }
//! ```
//! A run binds case symbols to them like to the built-in carriers (`run --carriers
//! cmcc,cucc-untrusting`); a role whose carrier is a symbol bound to a variant gets the variant's
//! settings for its kind under the case's own (the case's explicit settings win), and the
//! profile's `settings:` over both.
//! Passwords are secrets: the runner redacts them from every event, so no report shows them.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};
use serde_saphyr::Spanned;

use crate::agent::{AgentFactory, TlsTrust};
use crate::capability;
use crate::carrier::Network;
use crate::case::duration::CaseDuration;
use crate::case::suggest::hint;
use crate::case::{Case, CaseError};
use crate::events::Transport;
use crate::role::{Carrier, RoleKind, Subscriber};

/// A validated profile.
#[derive(Clone, Debug)]
pub struct Profile {
    pub name: String,
    pub file: PathBuf,
    pub externals: BTreeMap<RoleKind, External>,
    /// Identities provisioned on the system under test; when empty the built-in ones are used.
    pub subscribers: Vec<Subscriber>,
    /// Declared capabilities; `None` when the profile does not say (then every case applies).
    pub capabilities: Option<BTreeSet<String>>,
    /// Case id -> why the system is expected to fail it.
    pub deviations: BTreeMap<String, Located<String>>,
    /// How to make an external role act: kind -> action -> hook.
    pub hooks: BTreeMap<RoleKind, BTreeMap<String, Located<Hook>>>,
    /// TLS trust for the external systems (paths relative to the profile file).
    pub tls: TlsTrust,
    /// Settings for the simulated roles of a kind, merged over the case's role settings.
    pub settings: BTreeMap<RoleKind, Located<Map<String, Value>>>,
    /// Network variants (`networks:`), in the order written.
    pub networks: Vec<Variant>,
}

/// A network variant a profile declares, with where its parts are written.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    pub network: std::sync::Arc<Network>,
    pub line: usize,
    pub column: usize,
    /// Where the settings of each role kind are written, for the simulators' verdict on them.
    pub settings_at: BTreeMap<RoleKind, (usize, usize)>,
}

/// A value with the place it was written, for errors found after loading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub line: usize,
    pub column: usize,
}

/// A role played by a real system reached by address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct External {
    pub address: SocketAddr,
    pub transport: Transport,
    /// Its home domain, when it is not the built-in one.
    pub domain: Option<String>,
    /// The DNS name its TLS certificate is verified against (default: the address's IP).
    pub tls_name: Option<String>,
    /// Its HTTP server (a MaaP's developer API, a chatbot server's callbacks), when it has one.
    pub http: Option<SocketAddr>,
}

/// How a real system is made to perform an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hook {
    /// A shell command (a vendor's automation hook); the case's values come in as `RCS_*` variables.
    Run {
        command: String,
        timeout: std::time::Duration,
    },
    /// A sentence for the operator, in an interactive run.
    Prompt(String),
}

impl Profile {
    pub fn external(&self, kind: RoleKind) -> Option<&External> {
        self.externals.get(&kind)
    }

    /// The capabilities a case needs that this profile does not declare.
    pub fn missing_capabilities<'c>(&self, case: &'c Case) -> Vec<&'c str> {
        match &self.capabilities {
            None => Vec::new(),
            Some(have) => case
                .requires
                .iter()
                .map(String::as_str)
                .filter(|c| !have.contains(*c))
                .collect(),
        }
    }

    /// The hook for `action` of a role of `kind`.
    pub fn hook(&self, kind: RoleKind, action: &str) -> Option<&Hook> {
        self.hooks
            .get(&kind)
            .and_then(|a| a.get(action))
            .map(|h| &h.value)
    }

    /// The settings of a simulated role of `kind`: the case's `case_settings`, then the profile's
    /// settings for that kind over them (a key in both takes the profile's value).
    pub fn role_settings(
        &self,
        kind: RoleKind,
        case_settings: &Map<String, Value>,
    ) -> Map<String, Value> {
        let mut merged = case_settings.clone();
        if let Some(ours) = self.settings.get(&kind) {
            for (key, value) in &ours.value {
                merged.insert(key.clone(), value.clone());
            }
        }
        merged
    }

    /// The profile's network variants.
    pub fn variants(&self) -> Vec<std::sync::Arc<Network>> {
        self.networks.iter().map(|v| v.network.clone()).collect()
    }

    /// Every password in the profile, so the runner can keep them out of reports.
    pub fn secrets(&self) -> Vec<String> {
        self.subscribers
            .iter()
            .map(|s| s.password.clone())
            .filter(|p| !p.is_empty())
            .collect()
    }

    /// Checks that need the cases and the simulators: expected deviations name real cases, hooks name
    /// real actions. Every problem comes back with its place in the profile.
    pub fn check_against(
        &self,
        cases: &[std::sync::Arc<Case>],
        factory: &dyn AgentFactory,
    ) -> Vec<CaseError> {
        let mut errors = Vec::new();
        let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        for (id, at) in &self.deviations {
            if !ids.contains(&id.as_str()) {
                errors.push(
                    CaseError::new(
                        &self.file,
                        at.line,
                        at.column,
                        format!("expected deviation for unknown case `{id}`"),
                    )
                    .with_hint(hint(id, ids.iter().copied())),
                );
            }
        }
        for (kind, settings) in &self.settings {
            if let Err(e) = factory.check_settings(*kind, &settings.value) {
                errors.push(CaseError::new(
                    &self.file,
                    settings.line,
                    settings.column,
                    format!("bad settings for a simulated {kind}: {e}"),
                ));
            }
        }
        for variant in &self.networks {
            for (kind, settings) in &variant.network.settings {
                if let Err(e) = factory.check_settings(*kind, settings) {
                    let (line, column) = variant.settings_at.get(kind).copied().unwrap_or_default();
                    errors.push(CaseError::new(
                        &self.file,
                        line,
                        column,
                        format!(
                            "bad settings for a simulated {kind} of network `{}`: {e}",
                            variant.network.name
                        ),
                    ));
                }
            }
        }
        let actions = factory.actions();
        for (kind, hooks) in &self.hooks {
            let known: Vec<&str> = actions
                .iter()
                .filter(|a| a.kind == *kind)
                .map(|a| a.name)
                .collect();
            for (action, at) in hooks {
                if !known.contains(&action.as_str()) {
                    errors.push(
                        CaseError::new(
                            &self.file,
                            at.line,
                            at.column,
                            format!("a {kind} has no action `{action}`"),
                        )
                        .with_hint(hint(action, known.iter().copied())),
                    );
                }
            }
        }
        errors
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
    capabilities: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    expected_deviations: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    actions: BTreeMap<String, BTreeMap<String, Spanned<RawHook>>>,
    #[serde(default)]
    tls: Option<RawTls>,
    #[serde(default)]
    settings: BTreeMap<String, Spanned<Map<String, Value>>>,
    #[serde(default)]
    networks: BTreeMap<String, Spanned<RawNetwork>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawNetwork {
    carrier: Spanned<String>,
    #[serde(default)]
    settings: BTreeMap<String, Spanned<Map<String, Value>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawExternal {
    address: String,
    #[serde(default)]
    transport: Option<String>,
    #[serde(default)]
    domain: Option<String>,
    #[serde(default)]
    tls_name: Option<String>,
    #[serde(default)]
    http: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawHook {
    #[serde(default)]
    run: Option<String>,
    #[serde(default)]
    prompt: Option<String>,
    #[serde(default)]
    timeout: Option<String>,
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
    let raw: RawProfile = serde_saphyr::from_str(source)
        .map_err(|e| vec![crate::case::loader::yaml_error(path, &e)])?;
    let mut errors = Vec::new();
    let externals = externals(path, &raw, &mut errors);
    let capabilities = raw.capabilities.as_ref().map(|list| {
        let mut set = BTreeSet::new();
        for c in list {
            if capability::is_known(&c.value) {
                set.insert(c.value.clone());
            } else {
                let (line, col) = at(c);
                errors.push(
                    CaseError::new(path, line, col, format!("unknown capability `{}`", c.value))
                        .with_hint(hint(&c.value, capability::names())),
                );
            }
        }
        set
    });
    let deviations = raw
        .expected_deviations
        .iter()
        .map(|(id, reason)| {
            let (line, column) = at(reason);
            if reason.value.trim().is_empty() {
                errors.push(CaseError::new(
                    path,
                    line,
                    column,
                    format!("the expected deviation of `{id}` needs a reason"),
                ));
            }
            (
                id.clone(),
                Located {
                    value: reason.value.trim().to_owned(),
                    line,
                    column,
                },
            )
        })
        .collect();
    let hooks = hooks(path, &raw, &mut errors);
    let settings = settings(path, &raw, &mut errors);
    let networks = networks(path, &raw, &mut errors);
    if !errors.is_empty() {
        return Err(errors);
    }
    let base = path.parent().unwrap_or(Path::new("."));
    let mut tls = raw.tls.map_or_else(TlsTrust::default, |t| TlsTrust {
        ca: t.ca.map(|p| base.join(p)),
        client_cert: t.client_cert.map(|p| base.join(p)),
        client_key: t.client_key.map(|p| base.join(p)),
        server_names: BTreeMap::new(),
    });
    tls.server_names = externals
        .values()
        .filter_map(|ext| Some((ext.address, ext.tls_name.clone()?)))
        .collect();
    Ok(Profile {
        name: raw.name,
        file: path.to_owned(),
        externals,
        subscribers: raw.subscribers,
        capabilities,
        deviations,
        hooks,
        tls,
        settings,
        networks,
    })
}

/// `networks:`: each variant's name, carrier and role kinds, in the order written; the settings
/// are checked against the simulators by [`Profile::check_against`].
fn networks(path: &Path, raw: &RawProfile, errors: &mut Vec<CaseError>) -> Vec<Variant> {
    let mut out = Vec::new();
    for (name, decl) in &raw.networks {
        let (line, column) = at(decl);
        if !Network::is_variant_name(name) {
            errors.push(CaseError::new(
                path,
                line,
                column,
                format!(
                    "network name `{name}` must be 2 to 40 lowercase letters, digits or `-`, \
                     start with a letter, and not be a carrier (cmcc, cucc, ctcc)"
                ),
            ));
            continue;
        }
        let written = &decl.value.carrier;
        let Ok(carrier) = written.value.parse::<Carrier>() else {
            let (line, col) = at(written);
            errors.push(
                CaseError::new(
                    path,
                    line,
                    col,
                    format!("network `{name}`: unknown carrier `{}`", written.value),
                )
                .with_hint(hint(&written.value, Carrier::ALL.map(Carrier::as_str))),
            );
            continue;
        };
        let mut settings = BTreeMap::new();
        let mut settings_at = BTreeMap::new();
        for (kind_name, values) in &decl.value.settings {
            let (line, col) = at(values);
            if let Some(kind) = kind(path, kind_name, line, col, errors) {
                settings.insert(kind, values.value.clone());
                settings_at.insert(kind, (line, col));
            }
        }
        let network = Network {
            name: name.clone(),
            carrier,
            settings,
        };
        out.push(Variant {
            network: std::sync::Arc::new(network),
            line,
            column,
            settings_at,
        });
    }
    out.sort_by_key(|v| (v.line, v.column));
    out
}

/// `settings:` by role kind; the values are checked against the simulators by
/// [`Profile::check_against`].
fn settings(
    path: &Path,
    raw: &RawProfile,
    errors: &mut Vec<CaseError>,
) -> BTreeMap<RoleKind, Located<Map<String, Value>>> {
    let mut out = BTreeMap::new();
    for (name, values) in &raw.settings {
        let (line, column) = at(values);
        if let Some(kind) = kind(path, name, line, column, errors) {
            let value = values.value.clone();
            out.insert(
                kind,
                Located {
                    value,
                    line,
                    column,
                },
            );
        }
    }
    out
}

fn at<T>(s: &Spanned<T>) -> (usize, usize) {
    (s.referenced.line() as usize, s.referenced.column() as usize)
}

fn kind(
    path: &Path,
    name: &str,
    line: usize,
    col: usize,
    errors: &mut Vec<CaseError>,
) -> Option<RoleKind> {
    let k = name.parse::<RoleKind>().ok();
    if k.is_none() {
        errors.push(
            CaseError::new(path, line, col, format!("unknown role `{name}`"))
                .with_hint(hint(name, RoleKind::ALL.map(RoleKind::as_str))),
        );
    }
    k
}

fn externals(
    path: &Path,
    raw: &RawProfile,
    errors: &mut Vec<CaseError>,
) -> BTreeMap<RoleKind, External> {
    let mut out = BTreeMap::new();
    for (name, ext) in &raw.roles {
        let (line, col) = at(ext);
        let Some(kind) = kind(path, name, line, col, errors) else {
            continue;
        };
        let Ok(address) = ext.value.address.parse::<SocketAddr>() else {
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
        if let Some(name) = &ext.value.tls_name {
            if transport != Transport::Tls {
                errors.push(CaseError::new(
                    path,
                    line,
                    col,
                    format!("`tls-name: {name}` applies only to `transport: tls`"),
                ));
                continue;
            }
            if !is_dns_name(name) {
                errors.push(CaseError::new(
                    path,
                    line,
                    col,
                    format!("`tls-name: {name}` is not a DNS name such as mc.lab.example"),
                ));
                continue;
            }
        }
        let http = match ext.value.http.as_deref().map(str::parse::<SocketAddr>) {
            None => None,
            Some(Ok(http)) => Some(http),
            Some(Err(_)) => {
                errors.push(CaseError::new(
                    path,
                    line,
                    col,
                    format!(
                        "`http: {}` is not an address such as 127.0.0.1:8080",
                        ext.value.http.as_deref().unwrap_or_default()
                    ),
                ));
                continue;
            }
        };
        out.insert(
            kind,
            External {
                address,
                transport,
                domain: ext.value.domain.clone(),
                tls_name: ext.value.tls_name.clone(),
                http,
            },
        );
    }
    out
}

/// A host name a certificate can carry (RFC 1123 labels, dot-separated).
fn is_dns_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn hooks(
    path: &Path,
    raw: &RawProfile,
    errors: &mut Vec<CaseError>,
) -> BTreeMap<RoleKind, BTreeMap<String, Located<Hook>>> {
    let mut out = BTreeMap::new();
    for (name, actions) in &raw.actions {
        let first = actions.values().next().map_or((1, 1), at);
        let Some(kind) = kind(path, name, first.0, first.1, errors) else {
            continue;
        };
        let mut per_kind = BTreeMap::new();
        for (action, raw_hook) in actions {
            let (line, column) = at(raw_hook);
            let h = &raw_hook.value;
            let timeout = match h.timeout.as_deref().map(CaseDuration::parse) {
                None => std::time::Duration::from_secs(30),
                Some(Ok(d)) => d.duration,
                Some(Err(e)) => {
                    errors.push(CaseError::new(
                        path,
                        line,
                        column,
                        format!("bad timeout for `{action}`: {e}"),
                    ));
                    continue;
                }
            };
            let hook = match (&h.run, &h.prompt) {
                (Some(command), None) => Hook::Run {
                    command: command.clone(),
                    timeout,
                },
                (None, Some(text)) => Hook::Prompt(text.clone()),
                _ => {
                    errors.push(CaseError::new(path, line, column, format!("the hook for `{action}` needs exactly one of `run` (a shell command) or `prompt` (a sentence for the operator)")));
                    continue;
                }
            };
            per_kind.insert(
                action.clone(),
                Located {
                    value: hook,
                    line,
                    column,
                },
            );
        }
        out.insert(kind, per_kind);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_external_message_center() {
        let p = parse_profile(Path::new("p.yaml"), "name: lab\nroles:\n  message-center: { address: 127.0.0.1:5070, transport: tcp, domain: ims.lab }\n").unwrap();
        let ext = p.external(RoleKind::MessageCenter).unwrap();
        assert_eq!(ext.address, "127.0.0.1:5070".parse().unwrap());
        assert_eq!(ext.transport, Transport::Tcp);
        assert_eq!(ext.domain.as_deref(), Some("ims.lab"));
        assert!(p.subscribers.is_empty());
        assert!(p.capabilities.is_none());
    }

    #[test]
    fn a_tls_name_is_the_name_verified_at_that_address() {
        let p = parse_profile(Path::new("p.yaml"), "name: lab\nroles:\n  message-center: { address: 127.0.0.1:5061, transport: tls, tls-name: mc.lab.example }\n").unwrap();
        let addr: SocketAddr = "127.0.0.1:5061".parse().unwrap();
        assert_eq!(
            p.tls.server_names.get(&addr).map(String::as_str),
            Some("mc.lab.example")
        );
        let errs = parse_profile(Path::new("p.yaml"), "name: lab\nroles:\n  message-center: { address: 127.0.0.1:5060, transport: tcp, tls-name: mc.lab.example }\n").unwrap_err();
        assert_eq!(
            (errs[0].line, errs[0].message.as_str()),
            (
                3,
                "`tls-name: mc.lab.example` applies only to `transport: tls`"
            )
        );
        let errs = parse_profile(Path::new("p.yaml"), "name: lab\nroles:\n  message-center: { address: 127.0.0.1:5061, transport: tls, tls-name: \"mc lab\" }\n").unwrap_err();
        assert!(
            errs[0].message.contains("is not a DNS name"),
            "{}",
            errs[0].message
        );
    }

    #[test]
    fn rejects_unknown_roles_and_capabilities_with_location_and_hint() {
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
        let errs = parse_profile(
            Path::new("p.yaml"),
            "name: lab\ncapabilities: [imdn, rcs-user-stat]\n",
        )
        .unwrap_err();
        assert_eq!(
            (errs[0].line, errs[0].message.as_str()),
            (2, "unknown capability `rcs-user-stat`")
        );
        assert_eq!(
            errs[0].hint.as_deref(),
            Some("did you mean `rcs-user-state`?")
        );
        let errs = parse_profile(Path::new("p.yaml"), "name: lab\nrole: {}\n").unwrap_err();
        assert_eq!(errs[0].line, 2, "{errs:?}");
    }

    #[test]
    fn hooks_need_exactly_one_way_to_act() {
        let p = parse_profile(Path::new("p.yaml"), "name: lab\nactions:\n  terminal:\n    register: { run: ./reg.sh, timeout: 5s }\n    send-pager: { prompt: Send a chat }\n").unwrap();
        assert_eq!(
            p.hook(RoleKind::Terminal, "register"),
            Some(&Hook::Run {
                command: "./reg.sh".into(),
                timeout: std::time::Duration::from_secs(5)
            })
        );
        assert_eq!(
            p.hook(RoleKind::Terminal, "send-pager"),
            Some(&Hook::Prompt("Send a chat".into()))
        );
        let errs = parse_profile(
            Path::new("p.yaml"),
            "name: lab\nactions:\n  terminal:\n    register: { run: a, prompt: b }\n",
        )
        .unwrap_err();
        assert!(errs[0].message.contains("exactly one of"), "{errs:?}");
        assert_eq!(errs[0].line, 4);
    }

    #[test]
    fn deviations_need_reasons_and_secrets_are_listed() {
        let errs = parse_profile(
            Path::new("p.yaml"),
            "name: lab\nexpected-deviations:\n  PLT-CAP-002: \"\"\n",
        )
        .unwrap_err();
        assert!(errs[0].message.contains("needs a reason"));
        let p = parse_profile(
            Path::new("p.yaml"),
            "name: lab\nsubscribers:\n  - { msisdn: \"+861\", impi: a@b, password: hunter2 }\n",
        )
        .unwrap();
        assert_eq!(p.secrets(), vec!["hunter2".to_owned()]);
    }

    #[test]
    fn settings_for_simulated_roles_merge_over_the_case_ones() {
        let p = parse_profile(
            Path::new("p.yaml"),
            "name: lab\nsettings:\n  terminal: { msrp-relay: \"msrp://127.0.0.1:5060;tcp\", requested-expires: 60 }\n",
        )
        .unwrap();
        let ours = &p.settings[&RoleKind::Terminal];
        assert_eq!((ours.line, ours.column), (3, 13));
        let case: Map<String, Value> =
            serde_json::from_str(r#"{"requested-expires": 3600, "auto-accept": false}"#).unwrap();
        let merged = p.role_settings(RoleKind::Terminal, &case);
        assert_eq!(merged["msrp-relay"], "msrp://127.0.0.1:5060;tcp");
        assert_eq!(merged["requested-expires"], 60, "the profile wins");
        assert_eq!(merged["auto-accept"], false, "the case's other keys stay");
        assert_eq!(p.role_settings(RoleKind::MessageCenter, &case), case);
    }

    #[test]
    fn settings_name_known_kinds() {
        let errs = parse_profile(
            Path::new("p.yaml"),
            "name: lab\nsettings:\n  terminl: { msrp-relay: x }\n",
        )
        .unwrap_err();
        assert_eq!(
            (errs[0].line, errs[0].message.as_str()),
            (3, "unknown role `terminl`")
        );
        assert_eq!(errs[0].hint.as_deref(), Some("did you mean `terminal`?"));
    }

    /// Accepts a terminal setting `known` only.
    struct OneSetting;

    impl AgentFactory for OneSetting {
        fn actions(&self) -> Vec<crate::agent::ActionSpec> {
            Vec::new()
        }

        fn faults(&self) -> Vec<crate::agent::FaultSpec> {
            Vec::new()
        }

        fn check_action(&self, _: RoleKind, _: &str, _: &Map<String, Value>) -> Result<(), String> {
            Ok(())
        }

        fn check_settings(
            &self,
            kind: RoleKind,
            settings: &Map<String, Value>,
        ) -> Result<(), String> {
            match settings.keys().find(|k| *k != "known") {
                Some(k) => Err(format!("a {kind} has no setting `{k}`")),
                None => Ok(()),
            }
        }

        fn start(
            &self,
            _: crate::agent::AgentSpec,
            _: crate::agent::WireTap,
            _: crate::clock::Clock,
        ) -> crate::agent::BoxFuture<
            '_,
            Result<Box<dyn crate::agent::Agent>, crate::agent::AgentError>,
        > {
            unreachable!("profile checks start nothing")
        }
    }

    #[test]
    fn settings_are_checked_by_the_simulators_with_their_place() {
        let p = parse_profile(
            Path::new("p.yaml"),
            "name: lab\nsettings:\n  terminal: { known: 1 }\n  message-center:\n    relay: x\n",
        )
        .unwrap();
        let errs = p.check_against(&[], &OneSetting);
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(
            (errs[0].line, errs[0].message.as_str()),
            (
                5,
                "bad settings for a simulated message-center: a message-center has no setting `relay`"
            )
        );
        assert_eq!(errs[0].file, Path::new("p.yaml"));
    }
    const NETWORKS: &str = "name: lab\nnetworks:\n  ctcc-lax: { carrier: ctcc, settings: { peer-carrier: { portability: false } } }\n  cucc-untrusting:\n    carrier: cucc\n    settings:\n      peer-carrier: { trusted: [cucc] }\n      terminal: { known: 1 }\n";

    #[test]
    fn networks_declare_variants_in_the_order_written() {
        let p = parse_profile(Path::new("p.yaml"), NETWORKS).unwrap();
        let names: Vec<&str> = p.networks.iter().map(|v| v.network.name.as_str()).collect();
        assert_eq!(names, ["ctcc-lax", "cucc-untrusting"]);
        let untrusting = &p.networks[1];
        assert_eq!(untrusting.network.carrier, Carrier::Cucc);
        assert_eq!(untrusting.line, 5);
        assert_eq!(
            untrusting.network.settings[&RoleKind::PeerCarrier]["trusted"],
            serde_json::json!(["cucc"])
        );
        assert_eq!(untrusting.settings_at[&RoleKind::Terminal].0, 8);
        assert_eq!(p.variants().len(), 2);
    }

    #[test]
    fn networks_name_known_carriers_and_kinds_with_their_place() {
        let errs = parse_profile(
            Path::new("p.yaml"),
            "name: lab\nnetworks:\n  cucc-x: { carrier: cuc }\n  ctcc-y: { carrier: ctcc, settings: { peer-carier: {} } }\n  cmcc: { carrier: cmcc }\n",
        )
        .unwrap_err();
        let got: Vec<(usize, &str)> = errs.iter().map(|e| (e.line, e.message.as_str())).collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(
            got.contains(&(3, "network `cucc-x`: unknown carrier `cuc`")),
            "{got:?}"
        );
        assert!(got.contains(&(4, "unknown role `peer-carier`")), "{got:?}");
        assert!(
            got.iter()
                .any(|(l, m)| *l == 5 && m.contains("network name `cmcc`"))
        );
        let carrier = errs.iter().find(|e| e.message.contains("`cuc`")).unwrap();
        assert_eq!(carrier.hint.as_deref(), Some("did you mean `cucc`?"));
        let errs = parse_profile(
            Path::new("p.yaml"),
            "name: lab\nnetworks:\n  cucc-x: { carrier: cucc, trusted: [] }\n",
        )
        .unwrap_err();
        assert_eq!(errs[0].line, 3, "{errs:?}");
    }

    #[test]
    fn network_settings_are_checked_by_the_simulators_with_their_place() {
        let p = parse_profile(Path::new("p.yaml"), NETWORKS).unwrap();
        let errs = p.check_against(&[], &OneSetting);
        let got: Vec<(usize, &str)> = errs.iter().map(|e| (e.line, e.message.as_str())).collect();
        assert_eq!(
            got,
            [
                (
                    3,
                    "bad settings for a simulated peer-carrier of network `ctcc-lax`: a peer-carrier has no setting `portability`"
                ),
                (
                    7,
                    "bad settings for a simulated peer-carrier of network `cucc-untrusting`: a peer-carrier has no setting `trusted`"
                ),
            ]
        );
    }
}
