//! Fresh transaction ids and Message-IDs for a session (RFC 4975 §7.1: an id must be unique
//! within the session and unlikely to occur in a body; RFC 4975 §9 `ident`).
//!
//! Ids are 16 characters of `[A-Za-z0-9]`, hashed from a per-process random key (the standard
//! library's `RandomState`), the session's From-Path and a counter, so two sessions of one process
//! draw different sequences. They are not meant to be secret.

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;

/// The 62 characters ids are made of.
const ALPHABET: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// Length of generated ids.
const ID_LEN: usize = 16;

/// Generates the ids of one session.
#[derive(Debug)]
pub(super) struct IdSource {
    state: RandomState,
    salt: String,
    counter: u64,
}

impl IdSource {
    pub(super) fn new(salt: &str) -> Self {
        Self {
            state: RandomState::new(),
            salt: salt.to_owned(),
            counter: 0,
        }
    }

    /// The next id.
    pub(super) fn next(&mut self) -> String {
        self.counter += 1;
        let mut id = String::with_capacity(ID_LEN);
        let mut round = 0u64;
        while id.len() < ID_LEN {
            let mut value = self.state.hash_one((&self.salt, self.counter, round));
            // 10 characters use 60 of the 64 bits.
            for _ in 0..10 {
                if id.len() == ID_LEN {
                    break;
                }
                let index = (value % ALPHABET.len() as u64) as usize;
                id.push(char::from(ALPHABET[index]));
                value /= ALPHABET.len() as u64;
            }
            round += 1;
        }
        id
    }

    /// The next id that does not occur in `body`, so it can end a frame carrying it (RFC 4975 §7.1).
    pub(super) fn next_not_in(&mut self, body: &[u8]) -> String {
        loop {
            let id = self.next();
            if memchr::memmem::find(body, id.as_bytes()).is_none() {
                return id;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::msrp::is_ident;

    #[test]
    fn ids_are_alphanumeric_idents_and_distinct() {
        let mut ids = IdSource::new("msrp://a:1/s;tcp");
        let drawn: Vec<String> = (0..1000).map(|_| ids.next()).collect();
        assert!(drawn.iter().all(|id| id.len() == ID_LEN));
        assert!(drawn.iter().all(|id| is_ident(id)));
        assert!(
            drawn
                .iter()
                .all(|id| id.bytes().all(|b| b.is_ascii_alphanumeric()))
        );
        let mut unique = drawn.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), drawn.len());
    }

    #[test]
    fn an_id_found_in_the_body_is_not_used() {
        let mut probe = IdSource::new("x");
        let mut ids = IdSource {
            state: probe.state.clone(),
            salt: "x".to_owned(),
            counter: 0,
        };
        let first = probe.next();
        let chosen = ids.next_not_in(format!("..{first}..").as_bytes());
        assert_ne!(chosen, first);
    }
}
