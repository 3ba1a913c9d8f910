//! The AKA values in SIP digest (RFC 3310 §3.2, §3.4): the `nonce` of an `AKAv1-MD5` challenge,
//! base64(RAND ‖ AUTN ‖ server data), and the `auts` parameter, base64(AUTS).
//!
//! Decoding accepts base64 with or without padding and caps the text length; the decoded nonce
//! must hold at least the 32 bytes of RAND and AUTN, and `auts` exactly 14 bytes.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

use super::milenage::Block;
use super::{AkaError, Autn, Auts, copy};

/// The longest nonce text decoded, in characters.
pub const MAX_NONCE_LEN: usize = 1024;

/// The longest `auts` text decoded, in characters (14 bytes are 20 base64 characters).
pub const MAX_AUTS_LEN: usize = 64;

/// A decoded AKA nonce.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct AkaNonce {
    /// RAND, the first 16 bytes.
    pub rand: Block,
    /// AUTN, the next 16 bytes.
    pub autn: [u8; 16],
    /// Whatever the server appended ("server specific data", RFC 3310 §3.2).
    pub server_data: Vec<u8>,
}

/// base64(RAND ‖ AUTN ‖ server data).
pub fn encode_nonce(rand: &Block, autn: &Autn, server_data: &[u8]) -> String {
    let mut bytes = Vec::with_capacity(32 + server_data.len());
    bytes.extend_from_slice(rand);
    bytes.extend_from_slice(&autn.to_bytes());
    bytes.extend_from_slice(server_data);
    STANDARD.encode(bytes)
}

/// Splits a nonce into RAND, AUTN and the server data.
pub fn decode_nonce(nonce: &str) -> Result<AkaNonce, AkaError> {
    let bytes = decode("nonce", nonce, MAX_NONCE_LEN)?;
    if bytes.len() < 32 {
        return Err(AkaError::Length {
            what: "nonce (RAND and AUTN)",
            expected: 32,
            got: bytes.len(),
        });
    }
    let (rand, rest) = bytes.split_at(16);
    let (autn, server_data) = rest.split_at(16);
    Ok(AkaNonce {
        rand: copy(rand),
        autn: copy(autn),
        server_data: server_data.to_vec(),
    })
}

/// The value of the `auts` parameter: base64(AUTS).
pub fn encode_auts(auts: &Auts) -> String {
    STANDARD.encode(auts.to_bytes())
}

/// Reads the value of an `auts` parameter.
pub fn decode_auts(text: &str) -> Result<Auts, AkaError> {
    Auts::from_slice(&decode("auts", text, MAX_AUTS_LEN)?)
}

fn decode(what: &'static str, text: &str, cap: usize) -> Result<Vec<u8>, AkaError> {
    if text.len() > cap {
        return Err(AkaError::TooLong {
            what,
            cap,
            got: text.len(),
        });
    }
    STANDARD
        .decode(text)
        .or_else(|_| STANDARD_NO_PAD.decode(text))
        .map_err(|_| AkaError::Base64(what))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn set_1_autn() -> Autn {
        let bytes: [u8; 16] = hex::decode("55f328b43577b9b94a9ffac354dfafb3")
            .unwrap()
            .try_into()
            .unwrap();
        Autn::from_bytes(&bytes)
    }

    #[test]
    fn the_nonce_is_rand_then_autn_then_server_data() {
        let rand: Block = hex::decode("23553cbe9637a89d218ae64dae47bf35")
            .unwrap()
            .try_into()
            .unwrap();
        let nonce = encode_nonce(&rand, &set_1_autn(), b"");
        assert_eq!(nonce, "I1U8vpY3qJ0hiuZNrke/NVXzKLQ1d7m5Sp/6w1Tfr7M=");
        assert_eq!(nonce.len(), 44, "32 bytes are 44 base64 characters");
        let decoded = decode_nonce(&nonce).unwrap();
        assert_eq!(
            (decoded.rand, decoded.autn),
            (rand, set_1_autn().to_bytes())
        );
        assert!(decoded.server_data.is_empty());
        let with_data = decode_nonce(&encode_nonce(&rand, &set_1_autn(), b"srv")).unwrap();
        assert_eq!(with_data.server_data, b"srv");
        assert_eq!(decode_nonce(nonce.trim_end_matches('=')).unwrap(), decoded);
    }

    #[test]
    fn bad_nonces_and_auts_are_named() {
        assert_eq!(decode_nonce("!!"), Err(AkaError::Base64("nonce")));
        assert!(matches!(
            decode_nonce("cmFuZGF1dG4="),
            Err(AkaError::Length { got: 8, .. })
        ));
        assert!(matches!(
            decode_nonce(&"A".repeat(2000)),
            Err(AkaError::TooLong { .. })
        ));
        assert!(matches!(
            decode_auts("YXV0cw=="),
            Err(AkaError::Length { got: 4, .. })
        ));
        let auts = Auts::from_slice(&[7; 14]).unwrap();
        let text = encode_auts(&auts);
        assert_eq!(text.len(), 20);
        assert_eq!(decode_auts(&text), Ok(auts));
    }
}
