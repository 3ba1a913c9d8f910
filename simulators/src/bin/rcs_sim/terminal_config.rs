//! The config file of `rcs-sim terminal` and the [`AgentSpec`] it becomes.
//!
//! The file names the message center to register to (`registrar`, required) and optionally the
//! subscriber (default: the first built-in one), the transport (udp or tcp), the terminal's
//! settings (checked as a case's would be), peers by name (name -> number, each a terminal with
//! a built-in-like subscriber), whether to register at start, and faults. This module reads and
//! checks; it does not start anything.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;

use rcs_harness::agent::{AgentSpec, Peer, TlsTrust};
use rcs_harness::events::Transport;
use rcs_harness::role::{RoleKind, Subscriber};
use rcs_simulators::terminal;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::commands;
use super::config::{Failure, located, quoted};

/// The role name of the simulated terminal, in logs and captures.
pub(crate) const ROLE: &str = "terminal";
/// The peer name of the message center it registers to.
pub(crate) const MESSAGE_CENTER: &str = "message-center";

/// The config file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FileConfig {
    #[serde(default = "default_subscriber")]
    pub subscriber: Subscriber,
    /// The message center to register to and send through.
    pub registrar: SocketAddr,
    #[serde(default)]
    pub transport: FileTransport,
    /// Terminal settings, as a case's `settings:` for a terminal role.
    #[serde(default)]
    pub settings: Map<String, Value>,
    /// Other terminals by name, for `pager NAME ...`: name -> MSISDN.
    #[serde(default)]
    pub peers: BTreeMap<String, String>,
    #[serde(default = "yes")]
    pub register: bool,
    #[serde(default)]
    pub faults: Vec<String>,
}

#[derive(Clone, Copy, Debug, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum FileTransport {
    #[default]
    Udp,
    Tcp,
}

fn default_subscriber() -> Subscriber {
    Subscriber::builtin(1, true)
}

fn yes() -> bool {
    true
}

/// Checks what the types alone do not: settings, peers and names.
pub(crate) fn check(file: &FileConfig, text: &str, path: &Path) -> Result<(), Failure> {
    terminal::check_settings(&file.settings).map_err(|err| {
        let key = quoted(&err).filter(|key| file.settings.contains_key(*key) || text.contains(key));
        located(
            path,
            text,
            key.or(Some("settings")),
            &format!("failed to read settings: {err}"),
        )
    })?;
    for (name, msisdn) in &file.peers {
        if name == MESSAGE_CENTER || name.contains(':') || name.trim().is_empty() {
            return Err(located(
                path,
                text,
                Some(name),
                &format!("failed to read peer `{name}`: the name is reserved or not a plain word"),
            ));
        }
        if !commands::is_msisdn(msisdn) {
            return Err(located(
                path,
                text,
                Some(name),
                &format!(
                    "failed to read peer `{name}`: `{msisdn}` is not a number such as +8613800000002"
                ),
            ));
        }
    }
    Ok(())
}

/// The spec a case would give this terminal.
pub(crate) fn spec(file: &FileConfig, faults: Vec<String>) -> AgentSpec {
    let transport = match file.transport {
        FileTransport::Udp => Transport::Udp,
        FileTransport::Tcp => Transport::Tcp,
    };
    let mut peers = BTreeMap::new();
    peers.insert(
        MESSAGE_CENTER.to_owned(),
        Peer {
            name: MESSAGE_CENTER.to_owned(),
            kind: RoleKind::MessageCenter,
            subscriber: None,
            sip_udp: Some(file.registrar),
            sip_tcp: Some(file.registrar),
            sip_tls: None,
            http: None,
            carrier: Default::default(),
        },
    );
    let mut subscribers = vec![file.subscriber.clone()];
    for (name, msisdn) in &file.peers {
        let subscriber = like_builtin(msisdn, &file.subscriber.domain);
        subscribers.push(subscriber.clone());
        peers.insert(
            name.clone(),
            Peer {
                name: name.clone(),
                kind: RoleKind::Terminal,
                subscriber: Some(subscriber),
                sip_udp: None,
                sip_tcp: None,
                sip_tls: None,
                http: None,
                carrier: Default::default(),
            },
        );
    }
    AgentSpec {
        case: "rcs-sim".to_owned(),
        role: ROLE.to_owned(),
        kind: RoleKind::Terminal,
        faults,
        transport,
        subscriber: Some(file.subscriber.clone()),
        subscribers,
        peers,
        settings: file.settings.clone(),
        tls: TlsTrust::default(),
        carrier: file.subscriber.carrier,
    }
}

/// A subscriber of `msisdn` with the built-in pattern of identity and password.
fn like_builtin(msisdn: &str, domain: &str) -> Subscriber {
    let digits = msisdn.trim_start_matches('+');
    let (k, opc) = rcs_harness::role::builtin_aka_keys(msisdn);
    Subscriber {
        msisdn: msisdn.to_owned(),
        impi: format!("{digits}@{domain}"),
        password: format!("secret-{digits}"),
        rcs: true,
        domain: domain.to_owned(),
        k: Some(k),
        opc: Some(opc),
        sqn: 0,
        carrier: Default::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcs_harness::role::HOME_DOMAIN;

    fn config(yaml: &str) -> FileConfig {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn defaults_give_the_first_built_in_subscriber_over_udp() {
        let file = config("registrar: 127.0.0.1:5060\n");
        assert_eq!(file.subscriber, Subscriber::builtin(1, true));
        assert!(file.register);
        let spec = spec(&file, vec![]);
        assert_eq!(spec.transport, Transport::Udp);
        let mc = spec.peer_of_kind(RoleKind::MessageCenter).unwrap();
        assert_eq!(mc.sip_udp, Some("127.0.0.1:5060".parse().unwrap()));
        assert_eq!(mc.sip_tcp, mc.sip_udp);
        assert_eq!(spec.subscribers, [Subscriber::builtin(1, true)]);
    }

    #[test]
    fn peers_become_terminals_with_built_in_like_subscribers() {
        let file = config(
            "registrar: 127.0.0.1:5060\ntransport: tcp\nregister: false\n\
             peers: { bob: \"+8613800000002\" }\nsettings: { requested-expires: 60 }\n",
        );
        let spec = spec(&file, vec!["terminal.reject-message".to_owned()]);
        assert_eq!(spec.transport, Transport::Tcp);
        let bob = &spec.peers["bob"];
        assert_eq!(bob.kind, RoleKind::Terminal);
        assert_eq!(bob.subscriber, Some(Subscriber::builtin(2, true)));
        assert_eq!(spec.subscribers.len(), 2);
        assert_eq!(spec.settings["requested-expires"], 60);
        assert_eq!(spec.faults, ["terminal.reject-message"]);
        assert_eq!(
            like_builtin("+8613800000003", HOME_DOMAIN),
            Subscriber::builtin(3, true)
        );
    }

    #[test]
    fn bad_files_are_refused() {
        assert!(serde_saphyr::from_str::<FileConfig>("transport: udp\n").is_err());
        assert!(serde_saphyr::from_str::<FileConfig>("registrar: x\n").is_err());
        assert!(
            serde_saphyr::from_str::<FileConfig>("registrar: 127.0.0.1:1\ntransport: sctp\n")
                .is_err()
        );
        assert!(
            serde_saphyr::from_str::<FileConfig>("registrar: 127.0.0.1:1\nregistar: x\n").is_err()
        );
    }
}
