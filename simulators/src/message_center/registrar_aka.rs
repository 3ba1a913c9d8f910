//! IMS AKA registration at the registrar (protocols.md §2.4; RFC 3310 §3, TS 33.203 §6.1,
//! TS 33.102 §6.3; PLT-REG-002, TRM-REG-003), under the setting `auth: aka`.
//!
//! Each challenge is a fresh authentication vector of the subscriber's K/OPc: `401` with
//! `algorithm=AKAv1-MD5` and `nonce` = base64(RAND ‖ AUTN). Credentials are verified with the
//! vector's XRES as the digest password. An `Authorization` with `auts` (and an empty `response`)
//! for a nonce the registrar issued is a synchronisation failure: AUTS is verified (MAC-S), the
//! network SQN set to the terminal's SQN_MS and a new `401` with a fresh vector sent; a forged
//! AUTS gets `403`. A vector answered successfully is forgotten, so it cannot be replayed.
//!
//! With `aka-sqn-out-of-range: true` the first vector of each subscriber carries a sequence
//! number the terminal must refuse (equal to its starting SQN_MS, so stale; with `aka-sqn-ahead`
//! more than Δ = 2^28 ahead), so the re-synchronisation runs. Faults: `aka-ignores-auts` (the old
//! vector is sent again after AUTS) and `aka-reused-nonce` (a new registration is challenged with
//! the subscriber's previous vector). IPsec (`Security-Client`) is not negotiated.

use std::collections::{HashMap, VecDeque};

use rcs_harness::role::Subscriber;
use rcs_proto::aka::nonce::{decode_auts, encode_nonce};
use rcs_proto::aka::{AuthCenter, DEFAULT_DELTA, Milenage, Vector, block_from_hex};
use rcs_proto::sip::Message;
use rcs_proto::sip::auth::{Algorithm, Challenge, Credentials};
use serde::Deserialize;

use super::super::bindings::Bindings;
use super::super::config::{Config, Fault};
use super::super::directory::Directory;
use super::super::reply;
use super::{
    Arrival, MAX_FAILURES, MAX_NONCES, Registrar, bind, forbidden, registers_own_identity,
};

/// The authentication scheme of REGISTER (setting `auth`).
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum AuthScheme {
    /// Digest MD5 with the subscriber's password (protocols.md §2.4; the default).
    #[default]
    Md5,
    /// IMS AKA, digest AKAv1-MD5 (RFC 3310).
    Aka,
}

/// The AKA state of the registrar: one authentication centre per private identity and the
/// vectors issued, by nonce.
#[derive(Debug, Default)]
pub struct AkaState {
    centers: HashMap<String, AuthCenter>,
    vectors: HashMap<String, Vector>,
    issued: VecDeque<String>,
    /// The last nonce issued to each private identity (for the `aka-reused-nonce` fault).
    last: HashMap<String, (Challenge, Vector)>,
}

impl Registrar {
    /// Answers one REGISTER under `auth: aka`.
    pub(super) fn handle_aka(
        &mut self,
        request: &Message,
        arrival: Arrival,
        directory: &Directory,
        bindings: &mut Bindings,
        config: &Config,
    ) -> Message {
        let credentials = match request.header("Authorization").map(Credentials::parse) {
            None => None,
            Some(Ok(credentials)) => Some(credentials),
            Some(Err(err)) => {
                let detail = format!("failed to {err}");
                let realm = &config.settings.realm;
                return reply::bad_request(request, realm, "Authorization", &detail);
            }
        };
        let subscriber = match &credentials {
            Some(c) => directory.by_impi(&c.username),
            None => request
                .to_header()
                .ok()
                .and_then(|to| directory.by_uri(&to.uri)),
        };
        let Some(subscriber) = subscriber else {
            return forbidden(request, "unknown private identity");
        };
        if !registers_own_identity(request, subscriber, directory) {
            return forbidden(
                request,
                "the To identity does not belong to the private identity",
            );
        }
        let Some(credentials) = credentials.filter(|c| !c.nonce.is_empty()) else {
            return self.aka_challenge(request, subscriber, config, true);
        };
        let Some(vector) = self.aka.vectors.get(&credentials.nonce).cloned() else {
            return self.aka_challenge(request, subscriber, config, true);
        };
        if let Some((_, auts)) = credentials
            .other
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("auts"))
        {
            return self.aka_resync(request, subscriber, &credentials, &vector, auts, config);
        }
        let Some(challenge) = self.challenges.get(&credentials.nonce) else {
            return self.aka_challenge(request, subscriber, config, true);
        };
        if let Err(err) = credentials.verify_challenge_secret(challenge, "REGISTER", &vector.xres) {
            tracing::info!(user = %credentials.username, "REGISTER rejected: failed to {err}");
            self.aka_forget(&credentials.nonce);
            return self.aka_reject(request, subscriber, config);
        }
        self.aka_forget(&credentials.nonce);
        self.failures.remove(&credentials.username);
        bind(request, subscriber, arrival, bindings, config)
    }

    /// A wrong response: 401 with a new vector, or 403 after too many in a row.
    fn aka_reject(
        &mut self,
        request: &Message,
        subscriber: &Subscriber,
        config: &Config,
    ) -> Message {
        let failures = self.failures.entry(subscriber.impi.clone()).or_default();
        *failures += 1;
        if *failures >= MAX_FAILURES {
            self.failures.remove(&subscriber.impi);
            return forbidden(request, "wrong credentials");
        }
        self.aka_challenge(request, subscriber, config, false)
    }

    /// A synchronisation failure: verify AUTS, re-synchronise, challenge with a fresh vector.
    fn aka_resync(
        &mut self,
        request: &Message,
        subscriber: &Subscriber,
        credentials: &Credentials,
        vector: &Vector,
        auts: &str,
        config: &Config,
    ) -> Message {
        if config.faults.has(Fault::AkaIgnoresAuts)
            && let Some(old) = self.challenges.get(&credentials.nonce).cloned()
        {
            return unauthorized(request, &old);
        }
        let Some(center) = self.aka.centers.get_mut(&subscriber.impi) else {
            return forbidden(request, "no authentication centre for the private identity");
        };
        let resynced = decode_auts(auts).and_then(|auts| center.resync(&vector.rand, &auts));
        match resynced {
            Ok(sqn_ms) => tracing::info!(user = %subscriber.impi, sqn_ms, "AKA re-synchronised"),
            Err(err) => return forbidden(request, &format!("failed to {err}")),
        }
        self.aka_forget(&credentials.nonce);
        self.aka_challenge(request, subscriber, config, false)
    }

    /// `401` with a fresh vector (or, under `aka-reused-nonce`, the previous one when `initial`).
    fn aka_challenge(
        &mut self,
        request: &Message,
        subscriber: &Subscriber,
        config: &Config,
        initial: bool,
    ) -> Message {
        if initial
            && config.faults.has(Fault::AkaReusedNonce)
            && let Some((challenge, vector)) = self.aka.last.get(&subscriber.impi).cloned()
        {
            self.aka_remember(&subscriber.impi, challenge.clone(), vector);
            return unauthorized(request, &challenge);
        }
        let Some(vector) = self.aka_vector(subscriber, config) else {
            return forbidden(
                request,
                "the subscriber has no valid AKA credentials (k, opc)",
            );
        };
        let qop = match config.faults.has(Fault::OmitQop) {
            true => Vec::new(),
            false => vec!["auth".to_owned()],
        };
        let challenge = Challenge {
            realm: config.settings.realm.clone(),
            nonce: encode_nonce(&vector.rand, &vector.autn, b""),
            algorithm: Some(Algorithm::AkaV1Md5),
            qop,
            opaque: None,
            stale: false,
            other: Vec::new(),
        };
        self.aka_remember(&subscriber.impi, challenge.clone(), vector);
        unauthorized(request, &challenge)
    }

    /// The next vector of the subscriber's centre, made on first use from K/OPc and `sqn`.
    fn aka_vector(&mut self, subscriber: &Subscriber, config: &Config) -> Option<Vector> {
        let rand: [u8; 16] = rand::random();
        if let Some(center) = self.aka.centers.get_mut(&subscriber.impi) {
            return Some(center.vector(rand));
        }
        let k = block_from_hex("K", subscriber.k.as_deref()?).ok()?;
        let opc = block_from_hex("OPc", subscriber.opc.as_deref()?).ok()?;
        let mut center = AuthCenter::new(Milenage::with_opc(&k, &opc), subscriber.sqn);
        let vector = match config.settings.aka_sqn_out_of_range {
            false => center.vector(rand),
            true if config.settings.aka_sqn_ahead => {
                center.vector_at(rand, subscriber.sqn.saturating_add(DEFAULT_DELTA + 1))
            }
            true => center.vector_at(rand, subscriber.sqn),
        };
        self.aka.centers.insert(subscriber.impi.clone(), center);
        Some(vector)
    }

    fn aka_remember(&mut self, impi: &str, challenge: Challenge, vector: Vector) {
        while self.aka.issued.len() >= MAX_NONCES {
            if let Some(oldest) = self.aka.issued.pop_front() {
                self.aka.vectors.remove(&oldest);
            }
        }
        self.aka.issued.push_back(challenge.nonce.clone());
        self.aka
            .vectors
            .insert(challenge.nonce.clone(), vector.clone());
        self.aka
            .last
            .insert(impi.to_owned(), (challenge.clone(), vector));
        self.remember(challenge);
    }

    fn aka_forget(&mut self, nonce: &str) {
        self.aka.vectors.remove(nonce);
        self.aka.issued.retain(|n| n != nonce);
        self.forget(nonce);
    }
}

fn unauthorized(request: &Message, challenge: &Challenge) -> Message {
    reply::response(request, 401, "Unauthorized")
        .header("WWW-Authenticate", &challenge.to_header_value())
        .build()
}
