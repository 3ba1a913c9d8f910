//! Answering an `AKAv1-MD5` digest challenge as a UE (RFC 3310 §3.2-3.4, TS 24.229 5.1.1.5).
//!
//! The nonce gives RAND and AUTN to the [`Usim`]. A fresh, authentic AUTN is answered with the
//! digest computed with RES (its 8 raw bytes) as the password; a sequence number out of range
//! with the `auts` parameter and an empty `response`; a wrong MAC-A is an error, so the caller
//! can stop. The server side needs no helper here: it verifies with
//! [`Credentials::verify_challenge_secret`] and the vector's XRES, and reads `auts` with
//! [`super::nonce::decode_auts`].

use crate::sip::auth::{Algorithm, Challenge, Credentials};

use super::nonce::{decode_nonce, encode_auts};
use super::{AkaError, Usim, UsimAnswer};

/// What a UE sends back to an AKA challenge.
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum AkaAnswer {
    /// The digest with RES as the password.
    Response(Credentials),
    /// A synchronisation failure: `auts` and an empty `response`.
    Resync(Credentials),
}

impl AkaAnswer {
    /// The credentials to send in `Authorization`.
    pub fn credentials(&self) -> &Credentials {
        match self {
            Self::Response(credentials) | Self::Resync(credentials) => credentials,
        }
    }
}

/// Answers `challenge` (which must be `AKAv1-MD5`) with the USIM, for `method` and `uri`.
pub fn answer_challenge(
    challenge: &Challenge,
    usim: &mut Usim,
    username: &str,
    method: &str,
    uri: &str,
    cnonce: &str,
    nc: u32,
) -> Result<AkaAnswer, AkaError> {
    match &challenge.algorithm {
        Some(Algorithm::AkaV1Md5) => {}
        other => {
            let token = other.as_ref().map_or("MD5", Algorithm::as_str);
            return Err(AkaError::NotAka(token.to_owned()));
        }
    }
    let nonce = decode_nonce(&challenge.nonce)?;
    match usim.authenticate(&nonce.rand, &nonce.autn)? {
        UsimAnswer::Res { res, .. } => {
            Credentials::answer_secret(challenge, username, &res, method, uri, cnonce, nc)
                .map(AkaAnswer::Response)
                .map_err(|e| AkaError::Digest(e.to_string()))
        }
        UsimAnswer::SyncFailure(auts) => {
            let mut credentials =
                Credentials::answer_secret(challenge, username, b"", method, uri, cnonce, nc)
                    .map_err(|e| AkaError::Digest(e.to_string()))?;
            credentials.response.clear();
            credentials
                .other
                .push(("auts".to_owned(), encode_auts(&auts)));
            Ok(AkaAnswer::Resync(credentials))
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::nonce::{decode_auts, encode_nonce};
    use super::super::{AuthCenter, Milenage};
    use super::*;

    const USER: &str = "8613800000001@ims.mnc000.mcc460.3gppnetwork.org";
    const URI: &str = "sip:ims.mnc000.mcc460.3gppnetwork.org";

    fn milenage() -> Milenage {
        Milenage::with_opc(&[0x11; 16], &[0x22; 16])
    }

    fn challenge(auc: &mut AuthCenter, rand: u8) -> (Challenge, [u8; 8]) {
        let vector = auc.vector([rand; 16]);
        let challenge = Challenge {
            realm: "ims.mnc000.mcc460.3gppnetwork.org".to_owned(),
            nonce: encode_nonce(&vector.rand, &vector.autn, b""),
            algorithm: Some(Algorithm::AkaV1Md5),
            qop: vec!["auth".to_owned()],
            opaque: None,
            stale: false,
            other: Vec::new(),
        };
        (challenge, vector.xres)
    }

    #[test]
    fn res_is_the_password_and_the_server_verifies_with_xres() {
        let mut auc = AuthCenter::new(milenage(), 7);
        let mut usim = Usim::new(milenage(), 7);
        let (challenge, xres) = challenge(&mut auc, 1);
        let answer = answer_challenge(&challenge, &mut usim, USER, "REGISTER", URI, "c", 1);
        let AkaAnswer::Response(credentials) = answer.unwrap() else {
            panic!("expected a response");
        };
        let sent = Credentials::parse(&credentials.to_header_value()).unwrap();
        assert_eq!(sent.algorithm, Some(Algorithm::AkaV1Md5));
        assert_eq!(
            sent.verify_challenge_secret(&challenge, "REGISTER", &xres),
            Ok(())
        );
        assert!(
            sent.verify_challenge_secret(&challenge, "REGISTER", b"wrong")
                .is_err()
        );
    }

    #[test]
    fn a_stale_sqn_is_answered_with_auts_and_an_empty_response() {
        let mut auc = AuthCenter::new(milenage(), 3);
        let mut usim = Usim::new(milenage(), 90);
        let (stale, _) = challenge(&mut auc, 1);
        let answer = answer_challenge(&stale, &mut usim, USER, "REGISTER", URI, "c", 1).unwrap();
        let AkaAnswer::Resync(credentials) = &answer else {
            panic!("expected a resync");
        };
        let sent = Credentials::parse(&credentials.to_header_value()).unwrap();
        assert_eq!(sent.response, "");
        let (name, value) = sent.other.first().unwrap();
        assert_eq!(name, "auts");
        let rand = decode_nonce(&stale.nonce).unwrap().rand;
        assert_eq!(auc.resync(&rand, &decode_auts(value).unwrap()), Ok(90));
        let (fresh, xres) = challenge(&mut auc, 2);
        let answer = answer_challenge(&fresh, &mut usim, USER, "REGISTER", URI, "c", 1).unwrap();
        let credentials = answer.credentials();
        assert_eq!(
            credentials.verify_challenge_secret(&fresh, "REGISTER", &xres),
            Ok(())
        );
    }

    #[test]
    fn md5_and_forged_challenges_are_refused() {
        let mut auc = AuthCenter::new(milenage(), 0);
        let mut usim = Usim::new(milenage(), 0);
        let (mut md5, _) = challenge(&mut auc, 1);
        md5.algorithm = None;
        let refused = answer_challenge(&md5, &mut usim, USER, "REGISTER", URI, "c", 1);
        assert_eq!(refused, Err(AkaError::NotAka("MD5".to_owned())));
        let forged_auc = &mut AuthCenter::new(Milenage::with_opc(&[0x33; 16], &[0x22; 16]), 0);
        let (forged, _) = challenge(forged_auc, 1);
        let refused = answer_challenge(&forged, &mut usim, USER, "REGISTER", URI, "c", 1);
        assert_eq!(refused, Err(AkaError::MacFailure));
        let (mut garbled, _) = challenge(&mut auc, 1);
        garbled.nonce = "bm9uY2U=".to_owned();
        let refused = answer_challenge(&garbled, &mut usim, USER, "REGISTER", URI, "c", 1);
        assert!(matches!(refused, Err(AkaError::Length { .. })));
    }
}
