//! The UE side of AKA (3GPP TS 33.102 §6.3.3): what the USIM does with RAND and AUTN.
//!
//! It computes AK = f5(RAND) to recover SQN from AUTN, checks MAC-A = f1(SQN ‖ RAND ‖ AMF),
//! then the freshness of SQN: accepted when SQN_MS < SQN ≤ SQN_MS + Δ (the simple form of
//! Annex C), after which SQN_MS = SQN and RES = f2(RAND) is returned with CK and IK. A stale or
//! too-new SQN gives AUTS = (SQN_MS ⊕ f5*(RAND)) ‖ f1*(SQN_MS ‖ RAND ‖ AMF = 0) instead, and
//! SQN_MS is unchanged. A wrong MAC-A is an error: the network is not authentic.

use super::milenage::{Block, Milenage, xor};
use super::{AMF_RESYNC, AkaError, Autn, Auts, DEFAULT_DELTA, sqn_from_bytes, sqn_to_bytes};

/// A USIM: the subscriber's Milenage and its highest accepted sequence number.
#[derive(Clone, Debug)]
pub struct Usim {
    milenage: Milenage,
    sqn_ms: u64,
    delta: u64,
}

/// What the USIM answers to a challenge whose MAC-A verified.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum UsimAnswer {
    /// SQN was fresh: RES, CK and IK (TS 33.102 §6.3.3 "user authentication response").
    Res {
        /// RES = f2(K, RAND).
        res: [u8; 8],
        /// CK = f3(K, RAND).
        ck: Block,
        /// IK = f4(K, RAND).
        ik: Block,
    },
    /// SQN was out of range: the re-synchronisation token ("synchronisation failure").
    SyncFailure(Auts),
}

impl Usim {
    /// A USIM whose highest accepted sequence number is `sqn_ms`, with Δ = 2^28.
    pub fn new(milenage: Milenage, sqn_ms: u64) -> Self {
        Self {
            milenage,
            sqn_ms,
            delta: DEFAULT_DELTA,
        }
    }

    /// The same with another freshness window Δ.
    pub fn with_delta(self, delta: u64) -> Self {
        Self { delta, ..self }
    }

    /// The highest accepted sequence number SQN_MS.
    pub fn sqn_ms(&self) -> u64 {
        self.sqn_ms
    }

    /// Runs the authentication for `rand` and `autn` (16 bytes each).
    pub fn authenticate(&mut self, rand: &Block, autn: &[u8; 16]) -> Result<UsimAnswer, AkaError> {
        let autn = Autn::from_bytes(autn);
        let outputs = self.milenage.f2345(rand);
        let sqn_bytes = xor(&autn.concealed_sqn, &outputs.ak);
        let expected = self.milenage.f1(rand, &sqn_bytes, &autn.amf);
        if !constant_time_eq(&expected, &autn.mac) {
            return Err(AkaError::MacFailure);
        }
        let sqn = sqn_from_bytes(&sqn_bytes);
        if !self.is_fresh(sqn) {
            return Ok(UsimAnswer::SyncFailure(self.auts(rand)));
        }
        self.sqn_ms = sqn;
        Ok(UsimAnswer::Res {
            res: outputs.res,
            ck: outputs.ck,
            ik: outputs.ik,
        })
    }

    /// SQN_MS < SQN ≤ SQN_MS + Δ.
    fn is_fresh(&self, sqn: u64) -> bool {
        sqn > self.sqn_ms && sqn - self.sqn_ms <= self.delta
    }

    /// AUTS for `rand` with the current SQN_MS.
    pub fn auts(&self, rand: &Block) -> Auts {
        let sqn_ms = sqn_to_bytes(self.sqn_ms);
        Auts {
            concealed_sqn: xor(&sqn_ms, &self.milenage.f5_star(rand)),
            mac_s: self.milenage.f1_star(rand, &sqn_ms, &AMF_RESYNC),
        }
    }
}

/// Compares without an early exit.
pub(super) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn h<const N: usize>(text: &str) -> [u8; N] {
        hex::decode(text).unwrap().try_into().unwrap()
    }

    /// TS 35.208 test set 1: K, OPc, RAND; SQN = ff9bb4d0b607, AMF = b9b9, AK = aa689c648370,
    /// so AUTN = 55f328b43577 ‖ b9b9 ‖ 4a9ffac354dfafb3.
    fn set_1(sqn_ms: u64) -> (Usim, Block, [u8; 16]) {
        let m = Milenage::with_opc(
            &h("465b5ce8b199b49faa5f0a2ee238a6bc"),
            &h("cd63cb71954a9f4e48a5994e37a02baf"),
        );
        (
            Usim::new(m, sqn_ms),
            h("23553cbe9637a89d218ae64dae47bf35"),
            h("55f328b43577b9b94a9ffac354dfafb3"),
        )
    }

    #[test]
    fn a_fresh_sqn_gives_res_and_advances_sqn_ms() {
        let (mut usim, rand, autn) = set_1(0xff9b_b4d0_b600);
        let answer = usim.authenticate(&rand, &autn).unwrap();
        assert_eq!(
            answer,
            UsimAnswer::Res {
                res: h("a54211d5e3ba50bf"),
                ck: h("b40ba9a3c58b2a05bbf0d987b21bf8cb"),
                ik: h("f769bcd751044604127672711c6d3441"),
            }
        );
        assert_eq!(usim.sqn_ms(), 0xff9b_b4d0_b607);
        // The same AUTN again is a replay: SQN is no longer above SQN_MS.
        assert!(matches!(
            usim.authenticate(&rand, &autn),
            Ok(UsimAnswer::SyncFailure(_))
        ));
    }

    #[test]
    fn a_stale_or_too_new_sqn_gives_auts_with_sqn_ms() {
        let (mut usim, rand, autn) = set_1(0xff9b_b4d0_b608);
        let Ok(UsimAnswer::SyncFailure(auts)) = usim.authenticate(&rand, &autn) else {
            panic!("expected a synchronisation failure");
        };
        // Conc(SQN_MS) = SQN_MS ⊕ AK*, AK* = 451e8beca43b (test set 1 f5*).
        let ak_star: [u8; 6] = h("451e8beca43b");
        let sqn_ms = xor(&auts.concealed_sqn, &ak_star);
        assert_eq!(sqn_ms, h("ff9bb4d0b608"));
        assert_eq!(usim.sqn_ms(), 0xff9b_b4d0_b608, "SQN_MS unchanged");
        let (mut far_behind, rand, autn) = set_1(0xff9b_b4d0_b607 - DEFAULT_DELTA - 1);
        assert!(matches!(
            far_behind.authenticate(&rand, &autn),
            Ok(UsimAnswer::SyncFailure(_))
        ));
        let (usim, ..) = set_1(0xff9b_b4d0_b607 - 10);
        let mut narrow = usim.with_delta(5);
        assert!(matches!(
            narrow.authenticate(&rand, &autn),
            Ok(UsimAnswer::SyncFailure(_))
        ));
    }

    #[test]
    fn a_wrong_mac_is_a_mac_failure() {
        let (mut usim, rand, mut autn) = set_1(0);
        autn[15] ^= 1;
        assert_eq!(usim.authenticate(&rand, &autn), Err(AkaError::MacFailure));
        let (mut usim, mut rand, autn) = set_1(0);
        rand[0] ^= 1;
        assert_eq!(usim.authenticate(&rand, &autn), Err(AkaError::MacFailure));
        assert_eq!(usim.sqn_ms(), 0);
    }
}
