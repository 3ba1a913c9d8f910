//! IMS AKA: the UMTS authentication and key agreement of 3GPP TS 33.102 §6.3 on Milenage
//! (TS 35.205/35.206), carried in SIP digest as `algorithm=AKAv1-MD5` (RFC 3310, TS 33.203).
//!
//! - [`milenage`]: the algorithm set f1, f1*, f2-f5, f5* with OP or OPc.
//! - [`Usim`]: the UE side (TS 33.102 §6.3.3): checks MAC-A and the freshness of SQN, answers
//!   with RES, or with AUTS = (SQN_MS ⊕ AK*) ‖ MAC-S when SQN is out of range.
//! - [`AuthCenter`]: the network side (§6.3.2, §6.3.5): authentication vectors with AUTN =
//!   (SQN ⊕ AK) ‖ AMF ‖ MAC-A, AUTS verification and SQN re-synchronisation.
//! - [`nonce`]: the RFC 3310 §3.2 nonce, base64(RAND ‖ AUTN ‖ server data), and the §3.4 `auts`
//!   parameter; [`answer_challenge`] answers an AKAv1-MD5 challenge with RES as the digest
//!   password (or `auts` and an empty response).
//!
//! The freshness check is the simple form of TS 33.102 Annex C: SQN is accepted when it is greater
//! than the highest accepted SQN_MS by at most `delta` (2^28 by default, C.2.1); the IND/SEQ
//! split and the array of accepted values are not modelled. IPsec set-up (CK/IK use,
//! `Security-Client`, TS 33.203 §7) and AKAv2 (RFC 4169) are out of scope. Secrets never appear
//! in `Debug` output. Nothing here panics on input: every size is checked.

use thiserror::Error;

mod auc;
mod digest;
pub mod milenage;
pub mod nonce;
mod usim;

pub use auc::{AuthCenter, Vector};
pub use digest::{AkaAnswer, answer_challenge};
pub use milenage::Milenage;
pub use usim::{Usim, UsimAnswer};

/// The largest sequence number: SQN has 48 bits (TS 33.102 §6.3.2).
pub const SQN_MAX: u64 = (1 << 48) - 1;

/// The default freshness window Δ of TS 33.102 Annex C.2.1: 2^28.
pub const DEFAULT_DELTA: u64 = 1 << 28;

/// The AMF of MAC-S in AUTS: all zeros (TS 33.102 §6.3.3).
pub const AMF_RESYNC: [u8; 2] = [0, 0];

/// The digest algorithm token of RFC 3310 §3.1.
pub const AKA_V1_MD5: &str = "AKAv1-MD5";

/// SQN as its 6 bytes, big-endian (the value is taken modulo 2^48).
pub fn sqn_to_bytes(sqn: u64) -> [u8; 6] {
    let bytes = (sqn & SQN_MAX).to_be_bytes();
    std::array::from_fn(|i| bytes[i + 2])
}

/// The value of 6 SQN bytes.
pub fn sqn_from_bytes(bytes: &[u8; 6]) -> u64 {
    bytes
        .iter()
        .fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte))
}

/// AUTN = (SQN ⊕ AK) ‖ AMF ‖ MAC-A (TS 33.102 §6.3.2), 16 bytes.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct Autn {
    /// SQN ⊕ AK.
    pub concealed_sqn: [u8; 6],
    /// The authentication management field.
    pub amf: [u8; 2],
    /// MAC-A = f1(K, SQN ‖ RAND ‖ AMF).
    pub mac: [u8; 8],
}

impl Autn {
    /// The 16 bytes.
    pub fn to_bytes(&self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..6].copy_from_slice(&self.concealed_sqn);
        out[6..8].copy_from_slice(&self.amf);
        out[8..].copy_from_slice(&self.mac);
        out
    }

    /// Splits 16 bytes into their fields.
    pub fn from_bytes(bytes: &[u8; 16]) -> Self {
        let (concealed_sqn, rest) = bytes.split_at(6);
        let (amf, mac) = rest.split_at(2);
        Self {
            concealed_sqn: copy(concealed_sqn),
            amf: copy(amf),
            mac: copy(mac),
        }
    }
}

/// AUTS = (SQN_MS ⊕ AK*) ‖ MAC-S (TS 33.102 §6.3.3), 14 bytes.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub struct Auts {
    /// SQN_MS ⊕ AK*, AK* = f5*(K, RAND).
    pub concealed_sqn: [u8; 6],
    /// MAC-S = f1*(K, SQN_MS ‖ RAND ‖ AMF), AMF all zeros.
    pub mac_s: [u8; 8],
}

impl Auts {
    /// The 14 bytes.
    pub fn to_bytes(&self) -> [u8; 14] {
        let mut out = [0u8; 14];
        out[..6].copy_from_slice(&self.concealed_sqn);
        out[6..].copy_from_slice(&self.mac_s);
        out
    }

    /// Reads exactly 14 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, AkaError> {
        let bytes: &[u8; 14] = bytes.try_into().map_err(|_| AkaError::Length {
            what: "AUTS",
            expected: 14,
            got: bytes.len(),
        })?;
        let (concealed_sqn, mac_s) = bytes.split_at(6);
        Ok(Self {
            concealed_sqn: copy(concealed_sqn),
            mac_s: copy(mac_s),
        })
    }
}

/// An error of IMS AKA; the message completes "failed to ...".
#[non_exhaustive]
#[derive(Clone, Debug, Eq, Error, PartialEq)]
pub enum AkaError {
    /// A value does not have its fixed size.
    #[error("read the {what}: {got} bytes, expected {expected}")]
    Length {
        /// The value at fault.
        what: &'static str,
        /// The size it must have.
        expected: usize,
        /// The size it has.
        got: usize,
    },
    /// A value is not base64 (RFC 3310 §3.2, §3.4).
    #[error("decode the {0}: not base64")]
    Base64(&'static str),
    /// A text value is not hex.
    #[error("decode the {0}: not hex")]
    Hex(&'static str),
    /// The value is longer than its cap.
    #[error("decode the {what}: {got} characters exceed the cap of {cap}")]
    TooLong {
        /// The value at fault.
        what: &'static str,
        /// Its cap.
        cap: usize,
        /// Its length.
        got: usize,
    },
    /// MAC-A of AUTN is not the one computed with K (TS 33.102 §6.3.3: "MAC failure").
    #[error("verify MAC-A of AUTN: the network is not authentic")]
    MacFailure,
    /// MAC-S of AUTS is not the one computed with K (TS 33.102 §6.3.5).
    #[error("verify MAC-S of AUTS: the re-synchronisation token is not authentic")]
    MacSFailure,
    /// The challenge is not AKAv1-MD5 (RFC 3310 §3.1).
    #[error("answer the challenge: algorithm {0} is not AKAv1-MD5")]
    NotAka(String),
    /// The digest computation failed.
    #[error("compute the digest: {0}")]
    Digest(String),
}

/// Copies a slice split off at a fixed size into an array.
fn copy<const N: usize>(slice: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    for (dst, src) in out.iter_mut().zip(slice) {
        *dst = *src;
    }
    out
}

/// Decodes a 16-byte hex value such as K, OP or OPc.
pub fn block_from_hex(what: &'static str, text: &str) -> Result<[u8; 16], AkaError> {
    if text.len() > 64 {
        return Err(AkaError::TooLong {
            what,
            cap: 64,
            got: text.len(),
        });
    }
    let bytes = hex::decode(text.trim()).map_err(|_| AkaError::Hex(what))?;
    let got = bytes.len();
    bytes.try_into().map_err(|_| AkaError::Length {
        what,
        expected: 16,
        got,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn sqn_round_trips_through_six_bytes() {
        assert_eq!(
            sqn_to_bytes(0xff9b_b4d0_b607),
            [0xff, 0x9b, 0xb4, 0xd0, 0xb6, 0x07]
        );
        assert_eq!(
            sqn_from_bytes(&[0xff, 0x9b, 0xb4, 0xd0, 0xb6, 0x07]),
            0xff9b_b4d0_b607
        );
        assert_eq!(sqn_to_bytes(SQN_MAX + 2), [0, 0, 0, 0, 0, 1]);
    }

    #[test]
    fn autn_and_auts_split_and_join() {
        // TS 35.208 test set 1: AUTN = (SQN ⊕ AK) ‖ AMF ‖ MAC-A.
        let autn: [u8; 16] = hex::decode("55f328b43577b9b94a9ffac354dfafb3")
            .unwrap()
            .try_into()
            .unwrap();
        let fields = Autn::from_bytes(&autn);
        assert_eq!(hex::encode(fields.concealed_sqn), "55f328b43577");
        assert_eq!(fields.amf, [0xb9, 0xb9]);
        assert_eq!(fields.to_bytes(), autn);
        let auts = Auts::from_slice(&[1; 14]).unwrap();
        assert_eq!(auts.to_bytes(), [1; 14]);
        assert_eq!(
            Auts::from_slice(&[1; 13]),
            Err(AkaError::Length {
                what: "AUTS",
                expected: 14,
                got: 13
            })
        );
    }

    #[test]
    fn hex_blocks_are_checked() {
        let k = block_from_hex("K", "465b5ce8b199b49faa5f0a2ee238a6bc").unwrap();
        assert_eq!(k[0], 0x46);
        assert_eq!(
            block_from_hex("K", "46"),
            Err(AkaError::Length {
                what: "K",
                expected: 16,
                got: 1
            })
        );
        assert_eq!(block_from_hex("OPc", "zz"), Err(AkaError::Hex("OPc")));
        assert!(matches!(
            block_from_hex("K", &"0".repeat(100)),
            Err(AkaError::TooLong { .. })
        ));
        assert_eq!(
            AkaError::MacFailure.to_string(),
            "verify MAC-A of AUTN: the network is not authentic"
        );
    }
}
