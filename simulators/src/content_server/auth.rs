//! Digest authentication of uploads (RFC 7616 over the SIP digest code; protocols.md §5.1 step 1).
//!
//! The server hands out a fresh nonce in every challenge and remembers the last
//! [`MAX_NONCES`]; credentials must answer one of them, name the request-target as their `uri`,
//! and match the password of the subscriber they name (by IMPI, MSISDN, tel or SIP URI).
//! Nonce counts are not checked for replay.

use std::collections::VecDeque;

use rcs_harness::role::Subscriber;
use rcs_proto::http::{Request, digest};
use rcs_proto::sip::auth::Challenge;

/// Most nonces remembered.
const MAX_NONCES: usize = 256;

/// Issued challenges.
#[derive(Debug, Default)]
pub struct Nonces {
    issued: VecDeque<Challenge>,
}

impl Nonces {
    /// A new challenge in `realm`, remembered; the `WWW-Authenticate` value.
    pub fn challenge(&mut self, realm: &str) -> String {
        let value = format!(
            "Digest realm=\"{realm}\", nonce=\"{}\", qop=\"auth\", algorithm=MD5",
            uuid::Uuid::new_v4().simple()
        );
        if let Ok(challenge) = Challenge::parse(&value) {
            if self.issued.len() >= MAX_NONCES {
                self.issued.pop_front();
            }
            self.issued.push_back(challenge);
        }
        value
    }

    /// Checks a request's credentials; the error says what is wrong.
    pub fn verify(&self, request: &Request, subscribers: &[Subscriber]) -> Result<(), String> {
        let credentials = digest::credentials(request)
            .map_err(|e| format!("failed to read Authorization: {e}"))?
            .ok_or("no Authorization")?;
        let challenge = self
            .issued
            .iter()
            .find(|c| c.nonce == credentials.nonce)
            .ok_or("the nonce was not issued here")?;
        let user = credentials.username.as_str();
        let subscriber = subscribers
            .iter()
            .find(|s| {
                [&s.impi, &s.msisdn, &s.tel_uri(), &s.sip_uri()]
                    .iter()
                    .any(|id| id.as_str() == user)
            })
            .ok_or_else(|| format!("no subscriber `{user}`"))?;
        digest::verify(request, challenge, &subscriber.password)
            .map_err(|e| format!("failed to {e}"))
    }
}
