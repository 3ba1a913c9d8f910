//! The network side of AKA (3GPP TS 33.102 §6.3.2, §6.3.5): the authentication centre that
//! makes vectors and re-synchronises on AUTS.
//!
//! A vector for RAND uses the next sequence number SQN_HE + 1 and holds XRES = f2, CK = f3,
//! IK = f4 and AUTN = (SQN ⊕ f5) ‖ AMF ‖ f1(SQN ‖ RAND ‖ AMF). On AUTS for a RAND it issued, the
//! centre recovers SQN_MS = Conc(SQN_MS) ⊕ f5*(RAND), checks MAC-S = f1*(SQN_MS ‖ RAND ‖ AMF = 0)
//! and sets SQN_HE = SQN_MS, so the next vector is fresh at the USIM (§6.3.5). Choosing RAND is
//! the caller's (sans-IO: no random source here); [`AuthCenter::vector_at`] makes a vector at
//! any SQN without touching SQN_HE, to provoke a synchronisation failure on purpose.

use super::milenage::{Block, Milenage, xor};
use super::usim::constant_time_eq;
use super::{AMF_RESYNC, AkaError, Autn, Auts, SQN_MAX, sqn_from_bytes, sqn_to_bytes};

/// One authentication vector (TS 33.102 §6.3.2).
#[derive(Clone, Eq, PartialEq)]
pub struct Vector {
    /// The random challenge.
    pub rand: Block,
    /// The expected response XRES = f2(K, RAND).
    pub xres: [u8; 8],
    /// CK = f3(K, RAND).
    pub ck: Block,
    /// IK = f4(K, RAND).
    pub ik: Block,
    /// AUTN.
    pub autn: Autn,
    /// The SQN inside AUTN.
    pub sqn: u64,
}

impl std::fmt::Debug for Vector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // RAND, AUTN and SQN are public on the wire; XRES, CK and IK are not printed.
        f.debug_struct("Vector")
            .field("rand", &hex::encode(self.rand))
            .field("autn", &hex::encode(self.autn.to_bytes()))
            .field("sqn", &self.sqn)
            .finish_non_exhaustive()
    }
}

/// An authentication centre for one subscriber.
#[derive(Clone, Debug)]
pub struct AuthCenter {
    milenage: Milenage,
    sqn_he: u64,
    amf: [u8; 2],
}

impl AuthCenter {
    /// A centre whose last used sequence number is `sqn_he`, with AMF 0x0000.
    pub fn new(milenage: Milenage, sqn_he: u64) -> Self {
        Self {
            milenage,
            sqn_he: sqn_he & SQN_MAX,
            amf: [0, 0],
        }
    }

    /// The same with another AMF in AUTN.
    pub fn with_amf(self, amf: [u8; 2]) -> Self {
        Self { amf, ..self }
    }

    /// The last sequence number used (or re-synchronised to).
    pub fn sqn_he(&self) -> u64 {
        self.sqn_he
    }

    /// The next vector: SQN_HE + 1 (modulo 2^48), which becomes SQN_HE.
    pub fn vector(&mut self, rand: Block) -> Vector {
        self.sqn_he = (self.sqn_he + 1) & SQN_MAX;
        self.vector_at(rand, self.sqn_he)
    }

    /// A vector at `sqn`, leaving SQN_HE as it is.
    pub fn vector_at(&self, rand: Block, sqn: u64) -> Vector {
        let sqn_bytes = sqn_to_bytes(sqn);
        let outputs = self.milenage.f2345(&rand);
        let autn = Autn {
            concealed_sqn: xor(&sqn_bytes, &outputs.ak),
            amf: self.amf,
            mac: self.milenage.f1(&rand, &sqn_bytes, &self.amf),
        };
        Vector {
            rand,
            xres: outputs.res,
            ck: outputs.ck,
            ik: outputs.ik,
            autn,
            sqn: sqn_from_bytes(&sqn_bytes),
        }
    }

    /// Checks AUTS sent for `rand` and, when authentic, sets SQN_HE = SQN_MS; returns SQN_MS.
    pub fn resync(&mut self, rand: &Block, auts: &Auts) -> Result<u64, AkaError> {
        let sqn_ms = xor(&auts.concealed_sqn, &self.milenage.f5_star(rand));
        let expected = self.milenage.f1_star(rand, &sqn_ms, &AMF_RESYNC);
        if !constant_time_eq(&expected, &auts.mac_s) {
            return Err(AkaError::MacSFailure);
        }
        self.sqn_he = sqn_from_bytes(&sqn_ms);
        Ok(self.sqn_he)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::{Usim, UsimAnswer};
    use super::*;

    fn h<const N: usize>(text: &str) -> [u8; N] {
        hex::decode(text).unwrap().try_into().unwrap()
    }

    fn milenage() -> Milenage {
        Milenage::with_opc(
            &h("465b5ce8b199b49faa5f0a2ee238a6bc"),
            &h("cd63cb71954a9f4e48a5994e37a02baf"),
        )
    }

    #[test]
    fn the_vector_matches_test_set_1() {
        let auc = AuthCenter::new(milenage(), 0).with_amf([0xb9, 0xb9]);
        let v = auc.vector_at(h("23553cbe9637a89d218ae64dae47bf35"), 0xff9b_b4d0_b607);
        assert_eq!(
            hex::encode(v.autn.to_bytes()),
            "55f328b43577b9b94a9ffac354dfafb3"
        );
        assert_eq!(hex::encode(v.xres), "a54211d5e3ba50bf");
        assert_eq!(v.sqn, 0xff9b_b4d0_b607);
        assert!(
            !format!("{v:?}").contains("a54211d5e3ba50bf"),
            "XRES not printed"
        );
    }

    #[test]
    fn resync_after_a_stale_vector_then_the_usim_accepts() {
        let mut auc = AuthCenter::new(milenage(), 10);
        let mut usim = Usim::new(milenage(), 500);
        let stale = auc.vector([1; 16]);
        assert_eq!(stale.sqn, 11);
        let Ok(UsimAnswer::SyncFailure(auts)) =
            usim.authenticate(&stale.rand, &stale.autn.to_bytes())
        else {
            panic!("expected a synchronisation failure");
        };
        assert_eq!(auc.resync(&stale.rand, &auts), Ok(500));
        let fresh = auc.vector([2; 16]);
        assert_eq!(fresh.sqn, 501);
        let answer = usim
            .authenticate(&fresh.rand, &fresh.autn.to_bytes())
            .unwrap();
        assert!(matches!(answer, UsimAnswer::Res { res, .. } if res == fresh.xres));
        assert_eq!(usim.sqn_ms(), 501);
    }

    #[test]
    fn a_forged_or_misplaced_auts_is_refused() {
        let mut auc = AuthCenter::new(milenage(), 10);
        let usim = Usim::new(milenage(), 500);
        let mut auts = usim.auts(&[1; 16]);
        assert_eq!(auc.resync(&[2; 16], &auts), Err(AkaError::MacSFailure));
        auts.mac_s[0] ^= 1;
        assert_eq!(auc.resync(&[1; 16], &auts), Err(AkaError::MacSFailure));
        assert_eq!(auc.sqn_he(), 10, "unchanged");
    }

    #[test]
    fn sqn_wraps_at_48_bits() {
        let mut auc = AuthCenter::new(milenage(), SQN_MAX);
        assert_eq!(auc.vector([3; 16]).sqn, 0);
    }
}
