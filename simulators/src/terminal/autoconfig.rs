//! The terminal's auto-configuration client (protocols.md §2.1; RCC.07 ch. 2, RCC.14; TTM §5.1,
//! §5.2): the HTTP(S) GET to the configuration server, what the terminal keeps of the answer,
//! and what it then may and may not do.
//!
//! The request carries `vers` (the version held, 0 without one), `IMSI`, `IMEI`, `msisdn`,
//! `token` (once one was given), `SMS_port`, `rcs_version=11.0`, `rcs_profile=UP_2.4`,
//! `provisioning_version=5.0`, the three `app` values and, in the OTP round, `otp`. The answer:
//! - 200 with a document of a positive version: kept (a short answer holding only `VERS` with
//!   the version held keeps the configuration and renews its validity), and fetched again with
//!   the version held once `VERS/validity` runs out on the case clock;
//! - version 0: the configuration is deleted; -1 or -2: deleted and RCS disabled: no REGISTER,
//!   no further request (no polling);
//! - 200 without a body: the server demands the OTP, sent by SMS; the next request carries it;
//! - 503: no request before its `Retry-After` (seconds) has passed; 403: no service at all;
//!   500, 511 and others: nothing kept.
//!
//! The registration then uses `LBO_P-CSCF_Address` as its destination and `UserPwd` as its
//! digest password (see `core` and `actions`). Not modelled: header enrichment, cookies, the
//! `msisdn` round, redirects, the user re-enabling RCS.

use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rcs_harness::agent::WireTap;
use rcs_harness::role::Subscriber;
use rcs_proto::autoconfig::{ConfigVersion, ProvisioningDoc};
use rcs_proto::http::{RequestBuilder, Response};
use tokio::task::JoinHandle;

use super::faults::{Fault, Faults};
use crate::http::HttpClient;
use crate::net::TlsConfig;

/// Where the P-CSCF address sits in the document.
const PCSCF: &str = "APPLICATION/3GPP_IMS/LBO_P-CSCF_Address/Address";
/// Where the digest password sits in the document.
const PASSWORD: &str = "APPLICATION/3GPP_IMS/UserPwd";

/// What the terminal knows of its configuration.
#[derive(Debug, Default)]
struct Memory {
    doc: Option<ProvisioningDoc>,
    /// The version held (0: none).
    version: i64,
    token: Option<String>,
    /// The server said -1 or -2.
    disabled: Option<i64>,
    /// The server answered 403.
    forbidden: bool,
    /// No request before this (503 Retry-After).
    not_before: Option<Instant>,
}

/// Why no request or registration may go out now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Blocked {
    /// Version -1 or -2.
    Disabled,
    /// 403.
    Forbidden,
    /// A 503's Retry-After has not passed.
    Deferred,
}

impl Blocked {
    pub(crate) fn word(self) -> &'static str {
        match self {
            Self::Disabled => "disabled",
            Self::Forbidden => "no-service",
            Self::Deferred => "deferred",
        }
    }
}

/// What one answer did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A configuration of this version is held.
    Configured { version: i64, validity: u64 },
    /// Version 0: the configuration was deleted.
    Reset,
    /// Version -1 or -2.
    Disabled(i64),
    /// The server demands the OTP.
    OtpRequested,
    /// 503 with this Retry-After.
    RetryAfter(Option<u64>),
    /// 403.
    Forbidden,
    /// Any other answer, or a document that does not read.
    Failed(String),
}

/// The terminal's configuration client and memory.
pub(crate) struct AutoConfig {
    client: HttpClient,
    memory: Mutex<Memory>,
    refetch: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for AutoConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutoConfig").finish_non_exhaustive()
    }
}

impl AutoConfig {
    pub(crate) fn new(tap: WireTap, tls: Option<TlsConfig>) -> Self {
        Self {
            client: HttpClient::new(tap, tls),
            memory: Mutex::default(),
            refetch: Mutex::default(),
        }
    }

    fn memory(&self) -> std::sync::MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a configuration is held.
    pub(crate) fn configured(&self) -> bool {
        self.memory().doc.is_some()
    }

    /// Why nothing may be requested at `now`, if so.
    pub(crate) fn blocked(&self, now: Instant) -> Option<Blocked> {
        let memory = self.memory();
        if memory.forbidden {
            Some(Blocked::Forbidden)
        } else if memory.disabled.is_some() {
            Some(Blocked::Disabled)
        } else if memory.not_before.is_some_and(|t| t > now) {
            Some(Blocked::Deferred)
        } else {
            None
        }
    }

    /// The configured P-CSCF, when it is a socket address.
    pub(crate) fn pcscf(&self) -> Option<SocketAddr> {
        self.memory().doc.as_ref()?.get(PCSCF)?.trim().parse().ok()
    }

    /// The configured digest password.
    pub(crate) fn password(&self) -> Option<String> {
        self.memory().doc.as_ref()?.get(PASSWORD).map(str::to_owned)
    }

    /// The version held (0: none).
    pub(crate) fn version(&self) -> i64 {
        self.memory().version
    }

    /// The query of the next request; `refetch` when validity ran out.
    pub(crate) fn query(
        &self,
        user: &Subscriber,
        otp: Option<&str>,
        refetch: bool,
        faults: &Faults,
    ) -> String {
        let memory = self.memory();
        let vers = match refetch && faults.has(Fault::ConfigRefetchWithVers0) {
            true => 0,
            false => memory.version,
        };
        query(user, vers, memory.token.as_deref(), otp, faults)
    }

    /// GETs `target` from `server` and keeps what the answer says.
    pub(crate) async fn fetch(
        &self,
        server: (SocketAddr, bool),
        target: &str,
        now: Instant,
        wait: Duration,
    ) -> Result<(Response, Outcome), String> {
        let request = RequestBuilder::new("GET", target)
            .header("Host", &server.0.to_string())
            .header("User-Agent", "rcs-interop-terminal")
            // One request a validity period: no connection is kept between them.
            .header("Connection", "close")
            .build()
            .map_err(|e| e.to_string())?;
        let sent = self.client.send(server.0, server.1, &request);
        let response = match tokio::time::timeout(wait, sent).await {
            Ok(Ok(response)) => response,
            Ok(Err(e)) => return Err(format!("configuration request failed: {e}")),
            Err(_) => return Err("configuration request timed out".to_owned()),
        };
        let outcome = self.apply(&response, now);
        Ok((response, outcome))
    }

    /// Keeps what `response` says (see the module docs).
    pub(crate) fn apply(&self, response: &Response, now: Instant) -> Outcome {
        let mut memory = self.memory();
        match response.status() {
            200 if response.body().is_empty() => Outcome::OtpRequested,
            200 => apply_doc(&mut memory, response.body()),
            503 => {
                let secs = response
                    .header("Retry-After")
                    .and_then(|v| v.trim().parse::<u64>().ok());
                memory.not_before = secs.map(|s| now + Duration::from_secs(s));
                Outcome::RetryAfter(secs)
            }
            403 => {
                memory.forbidden = true;
                memory.doc = None;
                Outcome::Forbidden
            }
            other => Outcome::Failed(format!("{other} {}", response.reason())),
        }
    }

    /// Replaces the validity timer.
    pub(crate) fn set_refetch(&self, task: Option<JoinHandle<()>>) {
        let old = std::mem::replace(
            &mut *self.refetch.lock().unwrap_or_else(|p| p.into_inner()),
            task,
        );
        if let Some(old) = old {
            old.abort();
        }
    }
}

fn apply_doc(memory: &mut Memory, body: &[u8]) -> Outcome {
    let doc = match ProvisioningDoc::parse(body) {
        Ok(doc) => doc,
        Err(e) => return Outcome::Failed(format!("unreadable document: {e}")),
    };
    let version = match doc.config_version() {
        Ok(version) => version,
        Err(e) => return Outcome::Failed(format!("unreadable VERS: {e}")),
    };
    let validity = doc.validity().and_then(Result::ok).unwrap_or(0);
    match version {
        ConfigVersion::Valid(v) => {
            let full = doc.characteristics.len() > 1;
            if let Some(token) = doc.token() {
                memory.token = Some(token.to_owned());
            }
            match full {
                true => memory.doc = Some(doc),
                // A short answer confirms the version held.
                false if memory.version == i64::from(v) && memory.doc.is_some() => {}
                false => return Outcome::Failed(format!("version {v} without parameters")),
            }
            memory.version = i64::from(v);
            Outcome::Configured {
                version: i64::from(v),
                validity,
            }
        }
        ConfigVersion::Reset => {
            memory.doc = None;
            memory.version = 0;
            Outcome::Reset
        }
        ConfigVersion::ResetDisabled | ConfigVersion::Dormant => {
            let v = if version == ConfigVersion::Dormant {
                -2
            } else {
                -1
            };
            memory.doc = None;
            memory.version = v;
            memory.disabled = Some(v);
            Outcome::Disabled(v)
        }
    }
}

/// The query of a configuration request (protocols.md §2.1).
fn query(
    user: &Subscriber,
    vers: i64,
    token: Option<&str>,
    otp: Option<&str>,
    faults: &Faults,
) -> String {
    let imsi = crate::message_center::imsi_of(user);
    let mut pairs = vec![
        ("vers", vers.to_string()),
        ("IMSI", imsi),
        ("IMEI", "35000000000000".to_owned()),
        ("msisdn", user.msisdn.clone()),
        ("token", token.unwrap_or_default().to_owned()),
        ("SMS_port", "37273".to_owned()),
        ("rcs_version", "11.0".to_owned()),
        ("rcs_profile", "UP_2.4".to_owned()),
        ("provisioning_version", "5.0".to_owned()),
        ("app", "ap2001".to_owned()),
        ("app", "ap2002".to_owned()),
        ("app", "urn:oma:mo:ext-3gpp-ims:1.0".to_owned()),
    ];
    if faults.has(Fault::ConfigMissingRcsProfile) {
        pairs.retain(|(name, _)| *name != "rcs_profile");
    }
    if let Some(otp) = otp {
        pairs.push(("otp", otp.to_owned()));
    }
    pairs
        .iter()
        .map(|(name, value)| format!("{name}={}", encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A `config-server` URL: `http(s)://IP:port/path`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ConfigUrl {
    pub addr: SocketAddr,
    pub tls: bool,
    pub path: String,
}

impl ConfigUrl {
    /// Reads a URL; `None` for a role name (no `://`).
    pub(crate) fn parse(text: &str) -> Result<Option<Self>, String> {
        let Some((scheme, rest)) = text.split_once("://") else {
            return Ok(None);
        };
        let tls = match scheme {
            "https" => true,
            "http" => false,
            other => {
                return Err(format!(
                    "config-server scheme `{other}` is not http or https"
                ));
            }
        };
        let (authority, path) = rest.find('/').map_or((rest, "/"), |i| rest.split_at(i));
        let addr = authority.parse().map_err(|_| {
            format!("config-server `{text}` needs an IP address and a port, such as http://127.0.0.1:8080/")
        })?;
        Ok(Some(Self {
            addr,
            tls,
            path: path.to_owned(),
        }))
    }
}

/// Deserializes the `config-server` setting: a role name or a URL [`ConfigUrl`] reads.
pub(crate) fn setting<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::Deserialize;
    let text = String::deserialize(d)?;
    ConfigUrl::parse(&text).map_err(serde::de::Error::custom)?;
    if text.trim().is_empty() {
        return Err(serde::de::Error::custom("config-server is empty"));
    }
    Ok(Some(text))
}

/// Percent-encodes everything but unreserved characters (RFC 3986 2.3).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
#[path = "autoconfig_tests.rs"]
mod tests;
