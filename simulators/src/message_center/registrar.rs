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
//! `P-Associated-URI` (sip and tel IMPU; with the `barred-first-impu` setting a barred identity
//! first) and `Service-Route`. IMS AKA (`auth: aka`) is in the child
//! module `registrar_aka.rs`.

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

#[path = "registrar_aka.rs"]
mod aka;
pub use aka::AuthScheme;

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
    aka: aka::AkaState,
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
        if config.settings.auth == AuthScheme::Aka {
            return self.handle_aka(request, arrival, directory, bindings, config);
        }
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
    // The network's revoke (protocols.md §4.9) and SMS fallback (§9.2), as RFC 6809 Feature-Caps.
    let caps = super::fallback::tag::feature_caps(config);
    response = response.header("Feature-Caps", &caps);
    if !config.faults.has(Fault::OmitServiceRoute) {
        let route = format!("<sip:orig@scscf.{};lr>", subscriber.domain);
        response = response.header("Service-Route", &route);
    }
    if !config.faults.has(Fault::OmitPAssociatedUri) {
        let mut uris = format!("<{}>, <{}>", subscriber.sip_uri(), subscriber.tel_uri());
        if config.settings.barred_first_impu {
            uris = format!("{}, {uris}", barred_impu(subscriber));
        }
        response = response.header("P-Associated-URI", &uris);
    }
    response.build()
}

/// A barred identity of the subscriber's implicit set, first in P-Associated-URI under the
/// `barred-first-impu` setting (TRM-REG-004). RFC 7315 has no barring marker: the `barred`
/// parameter is the simulators' convention, which the terminal simulator reads.
fn barred_impu(subscriber: &Subscriber) -> String {
    format!(
        "<sip:{}.barred@{}>;barred",
        subscriber.msisdn, subscriber.domain
    )
}

/// Whether a Route URI is the Service-Route this registrar hands out.
pub fn is_own_service_route(uri: &Uri) -> bool {
    uri.user() == Some("orig")
        && uri
            .host()
            .is_some_and(|host| host.to_string().to_ascii_lowercase().starts_with("scscf."))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_harness::role::HOME_DOMAIN;

    use super::*;

    struct Fixture {
        registrar: Registrar,
        directory: Directory,
        bindings: Bindings,
        config: Config,
        arrival: Arrival,
    }

    impl Fixture {
        fn new() -> Self {
            Self {
                registrar: Registrar::default(),
                directory: Directory::new(vec![Subscriber::builtin(1, true)]),
                bindings: Bindings::new(false),
                config: Config::default(),
                arrival: Arrival {
                    transport: Transport::Udp,
                    source: "127.0.0.1:40000".parse().unwrap(),
                    now: Instant::now(),
                },
            }
        }

        fn handle(&mut self, contact: &str, extra: &str) -> Message {
            let aor = Subscriber::builtin(1, true).sip_uri();
            let text = format!(
                "REGISTER sip:{HOME_DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bK1\r\n\
Max-Forwards: 70\r\nFrom: <{aor}>;tag=1\r\nTo: <{aor}>\r\nCall-ID: r\r\nCSeq: 1 REGISTER\r\n\
Contact: {contact}\r\n{extra}Content-Length: 0\r\n\r\n"
            );
            let request = Message::parse(text.into_bytes()).unwrap();
            let (directory, config) = (&self.directory, &self.config);
            self.registrar.handle(
                &request,
                self.arrival,
                directory,
                &mut self.bindings,
                config,
            )
        }

        /// Registers `contact` with the right password; returns the 200.
        fn register(&mut self, contact: &str, expires: &str) -> Message {
            let challenge = self.handle(contact, expires);
            let challenge =
                Challenge::parse(challenge.header("WWW-Authenticate").unwrap()).unwrap();
            let sub = Subscriber::builtin(1, true);
            let uri = format!("sip:{HOME_DOMAIN}");
            let credentials = Credentials::answer(
                &challenge,
                &sub.impi,
                &sub.password,
                "REGISTER",
                &uri,
                "c",
                1,
            )
            .unwrap();
            let extra = format!(
                "{expires}Authorization: {}\r\n",
                credentials.to_header_value()
            );
            self.handle(contact, &extra)
        }
    }

    #[test]
    fn the_initial_ims_form_is_challenged() {
        let mut f = Fixture::new();
        let impi = Subscriber::builtin(1, true).impi;
        let initial = format!(
            "Authorization: Digest username=\"{impi}\",realm=\"{HOME_DOMAIN}\",\
uri=\"sip:{HOME_DOMAIN}\",nonce=\"\",response=\"\"\r\n"
        );
        let response = f.handle("<sip:a@127.0.0.1:5070>", &initial);
        assert_eq!(response.status(), Some(401));
        let forged = initial.replace("nonce=\"\"", "nonce=\"never-issued\"");
        assert_eq!(
            f.handle("<sip:a@127.0.0.1:5070>", &forged).status(),
            Some(401)
        );
        let garbled = "Authorization: Basic abc\r\n";
        let response = f.handle("<sip:a@127.0.0.1:5070>", garbled);
        assert_eq!(response.status(), Some(400));
        assert!(
            response
                .header("Warning")
                .unwrap()
                .contains("Authorization")
        );
    }

    #[test]
    fn a_wildcard_removes_every_binding_only_with_expires_zero() {
        let mut f = Fixture::new();
        let ok = f.register("<sip:a@127.0.0.1:5070>", "");
        assert_eq!(ok.status(), Some(200));
        let ok = f.register("<sip:b@127.0.0.1:5071>;expires=30", "");
        assert_eq!(ok.contacts().unwrap().len(), 2, "both bindings listed");
        assert_eq!(ok.expires().unwrap(), Some(30));
        let bad = f.register("*", "Expires: 60\r\n");
        assert_eq!(bad.status(), Some(400));
        let ok = f.register("*", "Expires: 0\r\n");
        assert_eq!(ok.status(), Some(200));
        assert!(ok.contacts().unwrap().is_empty());
        assert!(f.bindings.best("+8613800000001", f.arrival.now).is_none());
    }

    #[test]
    fn a_realm_setting_is_the_challenge_realm() {
        let mut f = Fixture::new();
        f.config.settings.realm = "realm.example".into();
        let response = f.handle("<sip:a@127.0.0.1:5070>", "");
        let challenge = Challenge::parse(response.header("WWW-Authenticate").unwrap()).unwrap();
        assert_eq!(challenge.realm, "realm.example");
        assert_eq!(f.register("<sip:a@127.0.0.1:5070>", "").status(), Some(200));
    }

    #[test]
    fn own_service_route_is_recognised() {
        let own = Uri::parse(&format!("sip:orig@scscf.{HOME_DOMAIN};lr")).unwrap();
        assert!(is_own_service_route(&own));
        assert!(!is_own_service_route(
            &Uri::parse("sip:orig@pcscf.x;lr").unwrap()
        ));
        assert!(!is_own_service_route(
            &Uri::parse("sip:term@scscf.x;lr").unwrap()
        ));
    }
}
