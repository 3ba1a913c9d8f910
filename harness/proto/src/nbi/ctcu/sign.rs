//! The CT/CU callback signature (protocols.md §8.2): the platform sends `signature`, `timestamp`
//! (Unix seconds) and `nonce` headers; the chatbot checks signature ==
//! hex(sha256(the three strings token, timestamp, nonce sorted lexicographically and joined)).
//! Not here: whether the timestamp is fresh or the nonce new (the caller's clock and memory).

use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256 of `token`, `timestamp` and `nonce`, sorted byte-wise and joined
/// without a separator.
pub fn callback_signature(token: &str, timestamp: &str, nonce: &str) -> String {
    let mut parts = [token, timestamp, nonce];
    parts.sort_unstable();
    hex::encode(Sha256::digest(parts.concat().as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_then_joined_then_hashed() {
        let (token, timestamp, nonce) = (
            "tok3n",
            "1741054351",
            "5b1f0c7e-2a44-4f8e-9c1d-7e3a6b2d8f10",
        );
        // "1741054351" < "5b1f…" < "tok3n"
        let by_hand = hex::encode(Sha256::digest(format!("{timestamp}{nonce}{token}")));
        assert_eq!(callback_signature(token, timestamp, nonce), by_hand);
        assert_eq!(
            by_hand,
            "80f2f93c78e9b4d952ada6d07a3bcb8dc2aec03c6a5e374f3fb765feaa3f5a25"
        );
        assert_eq!(callback_signature(nonce, token, timestamp), by_hand);
        assert_ne!(callback_signature("other", timestamp, nonce), by_hand);
    }
}
