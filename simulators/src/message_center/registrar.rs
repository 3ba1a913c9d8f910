//! The registrar: digest authentication of REGISTER and the bindings it makes (protocols.md
//! §2.4-2.5; RFC 3261 10.3, RFC 2617, RFC 3327, RFC 3608, RFC 7315; PLT-REG-001/003/004).
//!
//! A REGISTER without credentials (or with the empty IMS form `nonce="",response=""`) gets
//! `401` with a fresh nonce, `algorithm=MD5` and `qop="auth"`. Credentials are checked with the
//! password of the subscriber whose private identity is the digest username (unknown: `403`),
//! against the challenge issued with that nonce. A wrong response gets a new `401`, and `403`
//! at the second failure in a row, without touching the bindings. On success each Contact is
//! bound for `min(requested, max-expires)` seconds (`0` removes it, `Contact: *` removes all)
//! and the `200` carries the bindings with their expiry, `Expires`, the echoed Path,
//! `P-Associated-URI` (sip and tel IMPU) and `Service-Route`. IMS AKA is not implemented.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

use rcs_harness::events::Transport;
use rcs_harness::role::Subscriber;
use rcs_proto::sip::auth::{Algorithm, AuthError, Challenge, Credentials};
use rcs_proto::sip::{Message, NameAddr, Uri};

use super::bindings::{Binding, Bindings};
use super::config::{Config, Fault};
use super::directory::Directory;
use super::reply;

/// How many issued nonces are remembered; the oldest is forgotten first.
const MAX_NONCES: usize = 1024;

/// Consecutive wrong responses after which the registrar answers 403.
const MAX_FAILURES: u32 = 2;

/// Where a REGISTER came from, and when.
#[derive(Clone, Copy, Debug)]
pub struct Arrival {
    /// Its transport.
    pub transport: Transport,
    /// Its source address.
    pub source: SocketAddr,
    /// The case clock's now.
    pub now: Instant,
}

/// The registrar's own state: the nonces it issued and the failures it counts.
#[derive(Debug, Default)]
pub struct Registrar {
    challenges: HashMap<String, Challenge>,
    issued: VecDeque<String>,
    failures: HashMap<String, u32>,
}

impl Registrar {
    /// Answers one REGISTER, updating `bindings` when it is authenticated.
    pub fn handle(
        &mut self,
        request: &Message,
        arrival: Arrival,
        directory: &Directory,
        bindings: &mut Bindings,
        config: &Config,
    ) -> Message {
        let Some(authorization) = request.header("Authorization") else {
            return self.challenge(request, config);
        };
        let credentials = match Credentials::parse(authorization) {
            Ok(credentials) => credentials,
            Err(err) => {
                let detail = format!("failed to {err}");
                return reply::bad_request(
                    request,
                    &config.settings.realm,
                    "Authorization",
                    &detail,
                );
            }
        };
        let Some(subscriber) = directory.by_impi(&credentials.username) else {
            return forbidden(request, "unknown private identity");
        };
        if !registers_own_identity(request, subscriber, directory) {
            return forbidden(
                request,
                "the To identity does not belong to the private identity",
            );
        }
        if credentials.nonce.is_empty() {
            return self.challenge(request, config);
        }
        let Some(challenge) = self.challenges.get(&credentials.nonce) else {
            return self.challenge(request, config);
        };
        match credentials.verify_challenge(challenge, "REGISTER", &subscriber.password) {
            Ok(()) => {}
            Err(AuthError::ResponseMismatch { .. })
                if config.faults.has(Fault::AcceptWrongDigest) => {}
            Err(err) => return self.reject(request, &credentials, &err, config),
        }
        self.failures.remove(&credentials.username);
        bind(request, subscriber, arrival, bindings, config)
    }

    /// A wrong response: 401 with a new nonce, or 403 after too many in a row.
    fn reject(
        &mut self,
        request: &Message,
        credentials: &Credentials,
        err: &AuthError,
        config: &Config,
    ) -> Message {
        tracing::info!(user = %credentials.username, "REGISTER rejected: failed to {err}");
        self.forget(&credentials.nonce);
        let failures = self
            .failures
            .entry(credentials.username.clone())
            .or_default();
        *failures += 1;
        if *failures >= MAX_FAILURES {
            self.failures.remove(&credentials.username);
            return forbidden(request, "wrong credentials");
        }
        self.challenge(request, config)
    }

    /// `401` with a fresh nonce (RFC 3261 22.4, protocols.md §2.4).
    fn challenge(&mut self, request: &Message, config: &Config) -> Message {
        let qop = if config.faults.has(Fault::OmitQop) {
            Vec::new()
        } else {
            vec!["auth".to_owned()]
        };
        let challenge = Challenge {
            realm: config.settings.realm.clone(),
            nonce: reply::token(32),
            algorithm: Some(Algorithm::Md5),
            qop,
            opaque: None,
            stale: false,
            other: Vec::new(),
        };
        let value = challenge.to_header_value();
        self.remember(challenge);
        reply::response(request, 401, "Unauthorized")
            .header("WWW-Authenticate", &value)
            .build()
    }

    fn remember(&mut self, challenge: Challenge) {
        while self.issued.len() >= MAX_NONCES {
            if let Some(oldest) = self.issued.pop_front() {
                self.challenges.remove(&oldest);
            }
        }
        self.issued.push_back(challenge.nonce.clone());
        self.challenges.insert(challenge.nonce.clone(), challenge);
    }

    fn forget(&mut self, nonce: &str) {
        self.challenges.remove(nonce);
        self.issued.retain(|n| n != nonce);
    }
}

/// Whether the To of the REGISTER names the subscriber the private identity belongs to.
fn registers_own_identity(
    request: &Message,
    subscriber: &Subscriber,
    directory: &Directory,
) -> bool {
    request
        .to_header()
        .ok()
        .and_then(|to| {
            directory
                .by_uri(&to.uri)
                .map(|s| s.msisdn == subscriber.msisdn)
        })
        .unwrap_or(false)
}

fn forbidden(request: &Message, why: &str) -> Message {
    tracing::info!("REGISTER forbidden: {why}");
    reply::response(request, 403, "Forbidden").build()
}

/// Applies the Contacts of an authenticated REGISTER and writes the 200 (RFC 3261 10.3 6-8).
fn bind(
    request: &Message,
    subscriber: &Subscriber,
    arrival: Arrival,
    bindings: &mut Bindings,
    config: &Config,
) -> Message {
    let realm = &config.settings.realm;
    let contacts = match request.contacts() {
        Ok(contacts) => contacts,
        Err(err) => {
            return reply::bad_request(request, realm, "Contact", &format!("failed to {err}"));
        }
    };
    let default = match request.expires() {
        Ok(expires) => expires.unwrap_or(config.settings.max_expires),
        Err(err) => {
            return reply::bad_request(request, realm, "Expires", &format!("failed to {err}"));
        }
    };
    let number = subscriber.msisdn.as_str();
    let mut granted_first = None;
    for contact in contacts {
        let requested = match contact_expires(&contact, default) {
            Ok(requested) => requested,
            Err(detail) => return reply::bad_request(request, realm, "Contact", &detail),
        };
        if contact.uri == Uri::Wildcard {
            if requested != 0 {
                let detail = "a wildcard needs Expires: 0 (RFC 3261 10.2.2)";
                return reply::bad_request(request, realm, "Contact", detail);
            }
            bindings.remove_all(number);
            continue;
        }
        let granted = if requested == 0 {
            0
        } else {
            grant(requested, config)
        };
        let binding = Binding::new(
            contact,
            arrival.transport,
            arrival.source,
            granted,
            arrival.now,
        );
        log_binding(number, &binding);
        if granted == 0 {
            bindings.remove(number, &binding);
        } else if let Err(detail) = bindings.upsert(number, binding, arrival.now) {
            return reply::response(request, 503, "Service Unavailable")
                .header("Warning", &reply::warning(realm, &detail))
                .build();
        }
        granted_first.get_or_insert(granted);
    }
    ok(
        request,
        subscriber,
        bindings,
        granted_first,
        arrival.now,
        config,
    )
}

fn log_binding(number: &str, binding: &Binding) {
    tracing::info!(
        number,
        contact = %binding.contact.uri,
        instance = binding.instance.as_deref().unwrap_or("-"),
        source = %binding.source,
        transport = ?binding.transport,
        expires = binding.granted,
        tags = ?binding.tags.normalized(),
        "binding"
    );
}

/// The expiry a Contact asks for: its `expires` parameter, else the Expires header or default.
fn contact_expires(contact: &NameAddr, default: u32) -> Result<u32, String> {
    match contact.param("expires") {
        None => Ok(default),
        Some(Some(value)) => value
            .parse()
            .map_err(|_| format!("expires={value} is not 0 to 2^32-1 seconds")),
        Some(None) => Err("expires has no value".to_owned()),
    }
}

/// The expiry granted for a request of `requested` seconds.
fn grant(requested: u32, config: &Config) -> u32 {
    if config.faults.has(Fault::GrantMoreThanRequested) {
        return requested.saturating_add(60);
    }
    requested.min(config.settings.max_expires)
}

/// The 200 to a successful REGISTER (protocols.md §2.5).
fn ok(
    request: &Message,
    subscriber: &Subscriber,
    bindings: &Bindings,
    granted: Option<u32>,
    now: Instant,
    config: &Config,
) -> Message {
    let mut response = reply::response(request, 200, "OK");
    for binding in bindings.live(&subscriber.msisdn, now) {
        let mut contact = binding.contact.clone();
        contact.params.push((
            "expires".to_owned(),
            Some(binding.remaining(now).to_string()),
        ));
        response = response.header("Contact", &contact.to_string());
    }
    if let Some(granted) = granted {
        response = response.header("Expires", &granted.to_string());
    }
    for path in request.header_all("Path") {
        response = response.header("Path", path);
    }
    if !config.faults.has(Fault::OmitServiceRoute) {
        let route = format!("<sip:orig@scscf.{};lr>", subscriber.domain);
        response = response.header("Service-Route", &route);
    }
    if !config.faults.has(Fault::OmitPAssociatedUri) {
        let uris = format!("<{}>, <{}>", subscriber.sip_uri(), subscriber.tel_uri());
        response = response.header("P-Associated-URI", &uris);
    }
    response.build()
}

/// Whether a Route URI is the Service-Route this registrar hands out.
pub fn is_own_service_route(uri: &Uri) -> bool {
    uri.user() == Some("orig")
        && uri
            .host()
            .is_some_and(|host| host.to_string().to_ascii_lowercase().starts_with("scscf."))
}
