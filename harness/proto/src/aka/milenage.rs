//! The Milenage algorithm set f1, f1*, f2, f3, f4, f5, f5* (3GPP TS 35.206 §4.1), on AES-128 as
//! the kernel function E_K (TS 35.206 §4.2, TS 35.205).
//!
//! [`Milenage`] holds the subscriber key K and the operator variant OPc, built from OPc as stored
//! on the network side or from OP (OPc = OP ⊕ E_K(OP), TS 35.206 §4.1). The constants are the
//! default ones of TS 35.206 §4.1: r1 = 64, r2 = 0, r3 = 32, r4 = 64, r5 = 96 bits, c1 = 0 and
//! c2..c5 with bit 127, 126, 125, 124 set. The unit tests are the TS 35.207 / TS 35.208 test sets
//! 1 to 3.
//!
//! What this does not do: the authentication procedure itself (sequence numbers, AUTN, AUTS);
//! that is [`super::usim`] on the UE side and [`super::auc`] on the network side.

use aes::Aes128;
use aes::cipher::{BlockEncrypt, KeyInit};

/// A 128-bit block.
pub type Block = [u8; 16];

/// Milenage with one subscriber key K and operator variant OPc.
#[derive(Clone)]
pub struct Milenage {
    cipher: Aes128,
    opc: Block,
}

impl std::fmt::Debug for Milenage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // K and OPc are secrets: never printed.
        f.write_str("Milenage { .. }")
    }
}

/// The outputs of f2, f3, f4 and f5 for one RAND.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Outputs {
    /// f2: the response RES (XRES on the network side), 64 bits.
    pub res: [u8; 8],
    /// f3: the cipher key CK.
    pub ck: Block,
    /// f4: the integrity key IK.
    pub ik: Block,
    /// f5: the anonymity key AK, 48 bits.
    pub ak: [u8; 6],
}

impl Milenage {
    /// Milenage from K and OPc (the form the network stores, TS 35.206 §4.1).
    pub fn with_opc(k: &Block, opc: &Block) -> Self {
        Self {
            cipher: Aes128::new(&(*k).into()),
            opc: *opc,
        }
    }

    /// Milenage from K and OP: OPc = OP ⊕ E_K(OP).
    pub fn with_op(k: &Block, op: &Block) -> Self {
        let cipher = Aes128::new(&(*k).into());
        let opc = xor(&encrypt(&cipher, op), op);
        Self { cipher, opc }
    }

    /// OPc, as derived or given.
    pub fn opc(&self) -> &Block {
        &self.opc
    }

    /// f1 (MAC-A) and f1* (MAC-S): the two halves of OUT1 (TS 35.206 §4.1).
    pub fn f1_both(&self, rand: &Block, sqn: &[u8; 6], amf: &[u8; 2]) -> ([u8; 8], [u8; 8]) {
        let temp = self.temp(rand);
        let mut in1 = [0u8; 16];
        in1[..6].copy_from_slice(sqn);
        in1[6..8].copy_from_slice(amf);
        in1[8..14].copy_from_slice(sqn);
        in1[14..].copy_from_slice(amf);
        let rotated = rotate(&xor(&in1, &self.opc), 8);
        let out1 = xor(&encrypt(&self.cipher, &xor(&temp, &rotated)), &self.opc);
        let (mac_a, mac_s) = out1.split_at(8);
        (to_array(mac_a), to_array(mac_s))
    }

    /// f1: the network authentication code MAC-A.
    pub fn f1(&self, rand: &Block, sqn: &[u8; 6], amf: &[u8; 2]) -> [u8; 8] {
        self.f1_both(rand, sqn, amf).0
    }

    /// f1*: the resynchronisation authentication code MAC-S.
    pub fn f1_star(&self, rand: &Block, sqn: &[u8; 6], amf: &[u8; 2]) -> [u8; 8] {
        self.f1_both(rand, sqn, amf).1
    }

    /// f2, f3, f4 and f5 for `rand`.
    pub fn f2345(&self, rand: &Block) -> Outputs {
        let temp = self.temp(rand);
        let out2 = self.out(&temp, 0, 1);
        Outputs {
            res: to_array(&out2[8..]),
            ck: self.out(&temp, 4, 2),
            ik: self.out(&temp, 8, 4),
            ak: to_array(&out2[..6]),
        }
    }

    /// f5*: the anonymity key AK* that conceals SQN_MS in AUTS.
    pub fn f5_star(&self, rand: &Block) -> [u8; 6] {
        let temp = self.temp(rand);
        to_array(&self.out(&temp, 12, 8)[..6])
    }

    /// TEMP = E_K(RAND ⊕ OPc).
    fn temp(&self, rand: &Block) -> Block {
        encrypt(&self.cipher, &xor(rand, &self.opc))
    }

    /// OUTn = E_K(rot(TEMP ⊕ OPc, r) ⊕ c) ⊕ OPc, with r in bytes and c's last byte.
    fn out(&self, temp: &Block, rotate_bytes: usize, constant: u8) -> Block {
        let mut input = rotate(&xor(temp, &self.opc), rotate_bytes);
        input[15] ^= constant;
        xor(&encrypt(&self.cipher, &input), &self.opc)
    }
}

fn encrypt(cipher: &Aes128, block: &Block) -> Block {
    let mut out = (*block).into();
    cipher.encrypt_block(&mut out);
    out.into()
}

pub(super) fn xor<const N: usize>(a: &[u8; N], b: &[u8; N]) -> [u8; N] {
    std::array::from_fn(|i| a[i] ^ b[i])
}

/// Cyclic rotation towards the most significant end by `bytes` bytes (r = 8 × bytes bits).
fn rotate(block: &Block, bytes: usize) -> Block {
    std::array::from_fn(|i| block[(i + bytes) % 16])
}

/// Copies a slice whose length the caller fixed; shorter input leaves zeros.
fn to_array<const N: usize>(slice: &[u8]) -> [u8; N] {
    let mut out = [0u8; N];
    for (dst, src) in out.iter_mut().zip(slice) {
        *dst = *src;
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn h<const N: usize>(text: &str) -> [u8; N] {
        hex::decode(text).unwrap().try_into().unwrap()
    }

    /// One test set of 3GPP TS 35.207 §4 / TS 35.208 §4 (inputs, then every output).
    struct TestSet {
        k: &'static str,
        rand: &'static str,
        sqn: &'static str,
        amf: &'static str,
        op: &'static str,
        opc: &'static str,
        f1: &'static str,
        f1_star: &'static str,
        f2: &'static str,
        f5: &'static str,
        f3: &'static str,
        f4: &'static str,
        f5_star: &'static str,
    }

    const TEST_SETS: [TestSet; 3] = [
        TestSet {
            k: "465b5ce8b199b49faa5f0a2ee238a6bc",
            rand: "23553cbe9637a89d218ae64dae47bf35",
            sqn: "ff9bb4d0b607",
            amf: "b9b9",
            op: "cdc202d5123e20f62b6d676ac72cb318",
            opc: "cd63cb71954a9f4e48a5994e37a02baf",
            f1: "4a9ffac354dfafb3",
            f1_star: "01cfaf9ec4e871e9",
            f2: "a54211d5e3ba50bf",
            f5: "aa689c648370",
            f3: "b40ba9a3c58b2a05bbf0d987b21bf8cb",
            f4: "f769bcd751044604127672711c6d3441",
            f5_star: "451e8beca43b",
        },
        TestSet {
            k: "0396eb317b6d1c36f19c1c84cd6ffd16",
            rand: "c00d603103dcee52c4478119494202e8",
            sqn: "fd8eef40df7d",
            amf: "af17",
            op: "ff53bade17df5d4e793073ce9d7579fa",
            opc: "53c15671c60a4b731c55b4a441c0bde2",
            f1: "5df5b31807e258b0",
            f1_star: "a8c016e51ef4a343",
            f2: "d3a628ed988620f0",
            f5: "c47783995f72",
            f3: "58c433ff7a7082acd424220f2b67c556",
            f4: "21a8c1f929702adb3e738488b9f5c5da",
            f5_star: "30f1197061c1",
        },
        TestSet {
            k: "fec86ba6eb707ed08905757b1bb44b8f",
            rand: "9f7c8d021accf4db213ccff0c7f71a6a",
            sqn: "9d0277595ffc",
            amf: "725c",
            op: "dbc59adcb6f9a0ef735477b7fadf8374",
            opc: "1006020f0a478bf6b699f15c062e42b3",
            f1: "9cabc3e99baf7281",
            f1_star: "95814ba2b3044324",
            f2: "8011c48c0c214ed2",
            f5: "33484dc2136b",
            f3: "5dbdbb2954e8f3cde665b046179a5098",
            f4: "59a92d3b476a0443487055cf88b2307b",
            f5_star: "deacdd848cc6",
        },
    ];

    #[test]
    fn ts_35_207_test_sets_1_to_3() {
        for (n, set) in TEST_SETS.iter().enumerate() {
            let from_op = Milenage::with_op(&h(set.k), &h(set.op));
            assert_eq!(hex::encode(from_op.opc()), set.opc, "set {} OPc", n + 1);
            let m = Milenage::with_opc(&h(set.k), &h(set.opc));
            let (rand, sqn, amf) = (h(set.rand), h(set.sqn), h(set.amf));
            assert_eq!(
                hex::encode(m.f1(&rand, &sqn, &amf)),
                set.f1,
                "set {}",
                n + 1
            );
            let f1_star = m.f1_star(&rand, &sqn, &amf);
            assert_eq!(hex::encode(f1_star), set.f1_star, "set {}", n + 1);
            let out = m.f2345(&rand);
            assert_eq!(hex::encode(out.res), set.f2, "set {} f2", n + 1);
            assert_eq!(hex::encode(out.ck), set.f3, "set {} f3", n + 1);
            assert_eq!(hex::encode(out.ik), set.f4, "set {} f4", n + 1);
            assert_eq!(hex::encode(out.ak), set.f5, "set {} f5", n + 1);
            assert_eq!(hex::encode(m.f5_star(&rand)), set.f5_star, "set {}", n + 1);
        }
    }

    #[test]
    fn debug_hides_the_key() {
        let m = Milenage::with_opc(&[7; 16], &[9; 16]);
        assert_eq!(format!("{m:?}"), "Milenage { .. }");
    }
}
