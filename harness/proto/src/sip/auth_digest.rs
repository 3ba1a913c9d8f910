//! Computing and checking digest responses (RFC 2617 §3.2.2, RFC 3261 §22.4): the client's
//! [`Credentials::answer`], the server's [`Credentials::verify`] and
//! [`Credentials::verify_challenge`], and [`digest_response`] underneath them.
//!
//! Only `MD5`, `MD5-sess` and `AKAv1-MD5` (RFC 3310 §3.4: MD5 with the AKA RES, raw bytes, as
//! the password) with `qop=auth` or without qop (the RFC 2069 form) are computed; other
//! algorithms and `auth-int` are reported as unsupported. The `*_secret` forms take the password
//! as bytes, which RES needs (it is binary). Server state such as nonce
//! expiry and `nc` replay is the caller's. This file is a child module of `auth.rs`.

use md5::{Digest, Md5};

use super::{Algorithm, AuthError, Challenge, Credentials};

impl Credentials {
    /// Answers `challenge` as a client: computes `response` for `method` and `uri`.
    ///
    /// Uses `qop=auth` with `cnonce` and `nc` (written as 8 hex digits; pass 1 for the first
    /// request under a nonce) when the challenge offers it, and the RFC 2069 form when the
    /// challenge offers no qop. `algorithm` and `opaque` are echoed from the challenge.
    pub fn answer(
        challenge: &Challenge,
        username: &str,
        password: &str,
        method: &str,
        uri: &str,
        cnonce: &str,
        nc: u32,
    ) -> Result<Self, AuthError> {
        Self::answer_secret(
            challenge,
            username,
            password.as_bytes(),
            method,
            uri,
            cnonce,
            nc,
        )
    }

    /// [`Credentials::answer`] with the password as bytes, such as the AKA RES (RFC 3310 §3.4).
    pub fn answer_secret(
        challenge: &Challenge,
        username: &str,
        password: &[u8],
        method: &str,
        uri: &str,
        cnonce: &str,
        nc: u32,
    ) -> Result<Self, AuthError> {
        let qop = challenge.chosen_qop()?;
        let nc = format!("{nc:08x}");
        let response = digest_response_secret(
            challenge.algorithm.as_ref().unwrap_or(&Algorithm::Md5),
            username,
            &challenge.realm,
            password,
            method,
            uri,
            &challenge.nonce,
            qop.map(|qop| (qop, nc.as_str(), cnonce)),
        )?;
        Ok(Self {
            username: username.to_owned(),
            realm: challenge.realm.clone(),
            nonce: challenge.nonce.clone(),
            uri: uri.to_owned(),
            response,
            algorithm: challenge.algorithm.clone(),
            cnonce: qop.map(|_| cnonce.to_owned()),
            nc: qop.map(|_| nc),
            qop: qop.map(str::to_owned),
            opaque: challenge.opaque.clone(),
            other: Vec::new(),
        })
    }

    /// Checks these credentials as a server: recomputes the response for `method` and
    /// `password` from the parameters received and compares it in constant time. The
    /// comparison is exact: `request-digest` is lowercase hex (`32LHEX`, RFC 2617 §3.2.2).
    ///
    /// This does not check that `nonce` or `realm` are the ones the server issued; use
    /// [`Credentials::verify_challenge`] for that.
    pub fn verify(&self, method: &str, password: &str) -> Result<(), AuthError> {
        self.verify_secret(method, password.as_bytes())
    }

    /// [`Credentials::verify`] with the password as bytes, such as the AKA XRES.
    pub fn verify_secret(&self, method: &str, password: &[u8]) -> Result<(), AuthError> {
        let qop = match (&self.qop, &self.nc, &self.cnonce) {
            (None, _, _) => None,
            (Some(qop), Some(nc), Some(cnonce)) => {
                Some((qop.as_str(), nc.as_str(), cnonce.as_str()))
            }
            (Some(_), None, _) => return Err(AuthError::MissingParam("nc")),
            (Some(_), Some(_), None) => return Err(AuthError::MissingParam("cnonce")),
        };
        let expected = digest_response_secret(
            self.algorithm.as_ref().unwrap_or(&Algorithm::Md5),
            &self.username,
            &self.realm,
            password,
            method,
            &self.uri,
            &self.nonce,
            qop,
        )?;
        match constant_time_eq(expected.as_bytes(), self.response.as_bytes()) {
            true => Ok(()),
            false => Err(AuthError::ResponseMismatch {
                expected,
                received: self.response.clone(),
            }),
        }
    }

    /// Like [`Credentials::verify`], after checking that `realm`, `nonce`, `opaque`,
    /// `algorithm` and `qop` answer `challenge`; the error names the first parameter that differs.
    pub fn verify_challenge(
        &self,
        challenge: &Challenge,
        method: &str,
        password: &str,
    ) -> Result<(), AuthError> {
        self.verify_challenge_secret(challenge, method, password.as_bytes())
    }

    /// [`Credentials::verify_challenge`] with the password as bytes, such as the AKA XRES.
    pub fn verify_challenge_secret(
        &self,
        challenge: &Challenge,
        method: &str,
        password: &[u8],
    ) -> Result<(), AuthError> {
        let md5 = Algorithm::Md5;
        let algorithm =
            |algorithm: &Option<Algorithm>| algorithm.as_ref().unwrap_or(&md5).as_str().to_owned();
        let optional = |value: &Option<String>| value.clone().unwrap_or_default();
        let pairs = [
            ("realm", challenge.realm.clone(), self.realm.clone()),
            ("nonce", challenge.nonce.clone(), self.nonce.clone()),
            (
                "opaque",
                optional(&challenge.opaque),
                optional(&self.opaque),
            ),
            (
                "algorithm",
                algorithm(&challenge.algorithm),
                algorithm(&self.algorithm),
            ),
        ];
        if let Some((name, expected, received)) = pairs.into_iter().find(|(_, e, r)| e != r) {
            return Err(AuthError::ParamMismatch {
                name,
                expected,
                received,
            });
        }
        let qop_answers = match &self.qop {
            None => challenge.qop.is_empty(),
            Some(chosen) => challenge
                .qop
                .iter()
                .any(|qop| qop.eq_ignore_ascii_case(chosen)),
        };
        if !qop_answers {
            return Err(AuthError::ParamMismatch {
                name: "qop",
                expected: challenge.qop.join(","),
                received: optional(&self.qop),
            });
        }
        self.verify_secret(method, password)
    }
}

/// Computes the `response` of RFC 2617 §3.2.2.1 as lowercase hex.
///
/// `qop` is `(qop, nc, cnonce)` as they appear on the wire, or `None` for the RFC 2069 form.
/// Only `MD5` and `MD5-sess` (which needs `qop` for its `cnonce`) and `qop=auth` are supported.
#[expect(
    clippy::too_many_arguments,
    reason = "the inputs of RFC 2617 §3.2.2, in its order"
)]
pub fn digest_response(
    algorithm: &Algorithm,
    username: &str,
    realm: &str,
    password: &str,
    method: &str,
    uri: &str,
    nonce: &str,
    qop: Option<(&str, &str, &str)>,
) -> Result<String, AuthError> {
    digest_response_secret(
        algorithm,
        username,
        realm,
        password.as_bytes(),
        method,
        uri,
        nonce,
        qop,
    )
}

/// [`digest_response`] with the password as bytes; `AKAv1-MD5` is MD5 with RES as the password
/// (RFC 3310 §3.4).
#[expect(
    clippy::too_many_arguments,
    reason = "the inputs of RFC 2617 §3.2.2, in its order"
)]
pub fn digest_response_secret(
    algorithm: &Algorithm,
    username: &str,
    realm: &str,
    password: &[u8],
    method: &str,
    uri: &str,
    nonce: &str,
    qop: Option<(&str, &str, &str)>,
) -> Result<String, AuthError> {
    let a1 = [username.as_bytes(), realm.as_bytes(), password];
    let ha1 = match (algorithm, qop) {
        (Algorithm::Md5 | Algorithm::AkaV1Md5, _) => md5_hex_bytes(&a1),
        (Algorithm::Md5Sess, Some((_, _, cnonce))) => {
            md5_hex(&[&md5_hex_bytes(&a1), nonce, cnonce])
        }
        (Algorithm::Md5Sess, None) => return Err(AuthError::MissingParam("cnonce")),
        (other, _) => return Err(AuthError::UnsupportedAlgorithm(other.as_str().to_owned())),
    };
    let ha2 = md5_hex(&[method, uri]);
    Ok(match qop {
        Some((qop, nc, cnonce)) if qop.eq_ignore_ascii_case("auth") => {
            md5_hex(&[&ha1, nonce, nc, cnonce, qop, &ha2])
        }
        Some((qop, _, _)) => return Err(AuthError::UnsupportedQop(qop.to_owned())),
        None => md5_hex(&[&ha1, nonce, &ha2]),
    })
}

impl Challenge {
    /// The `qop` to answer with: `Some("auth")` when offered, `None` when no qop is offered.
    fn chosen_qop(&self) -> Result<Option<&str>, AuthError> {
        match self.qop.iter().find(|qop| qop.eq_ignore_ascii_case("auth")) {
            Some(qop) => Ok(Some(qop)),
            None if self.qop.is_empty() => Ok(None),
            None => Err(AuthError::UnsupportedQop(self.qop.join(","))),
        }
    }
}

fn md5_hex(parts: &[&str]) -> String {
    md5_hex_bytes(&parts.iter().map(|part| part.as_bytes()).collect::<Vec<_>>())
}

fn md5_hex_bytes(parts: &[&[u8]]) -> String {
    let mut hasher = Md5::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update(b":");
        }
        hasher.update(part);
    }
    hex::encode(hasher.finalize())
}

/// Compares without an early exit, so the time taken does not reveal the matching prefix.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::sip::auth::tests::{
        AUTHORIZATION, REGISTER_AUTHORIZED, REGISTER_INITIAL, header, register_challenge,
        rfc2617_challenge, text, token,
    };

    const IMS_USER: &str = "460001234567890@ims.mnc000.mcc460.3gppnetwork.org";
    const IMS_PASSWORD: &str = "5gm-Secret!";
    const IMS_URI: &str = "sip:ims.mnc000.mcc460.3gppnetwork.org";
    const IMS_CNONCE: &str = "a1b2c3d4e5f60718";

    fn register_answer() -> Credentials {
        let challenge = register_challenge();
        Credentials::answer(
            &challenge,
            IMS_USER,
            IMS_PASSWORD,
            "REGISTER",
            IMS_URI,
            IMS_CNONCE,
            1,
        )
        .unwrap()
    }

    #[test]
    fn rfc2617_answer_matches_the_example() {
        // RFC 2617 §3.5: HA1 = MD5("Mufasa:testrealm@host.com:Circle Of Life")
        // = 939e7578ed9e3c518a452acee763bce9, HA2 = MD5("GET:/dir/index.html")
        // = 39aff3a2bab6126f332b942af96d3366.
        let answer = Credentials::answer(
            &rfc2617_challenge(),
            "Mufasa",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
            "0a4f113b",
            1,
        )
        .unwrap();
        assert_eq!(answer.response, "6629fae49393a05397450978507c4ef1");
        let sent = Credentials::parse(&header(AUTHORIZATION, "Authorization")).unwrap();
        assert_eq!(answer, sent);
        assert_eq!(sent.verify("GET", "Circle Of Life"), Ok(()));
        assert_eq!(
            sent.verify_challenge(&rfc2617_challenge(), "GET", "Circle Of Life"),
            Ok(())
        );
    }

    #[test]
    fn register_answer_matches_the_vector_byte_for_byte() {
        // HA1 = MD5("460001234567890@ims.mnc000.mcc460.3gppnetwork.org:
        //            ims.mnc000.mcc460.3gppnetwork.org:5gm-Secret!")
        //     = dd1f1e1b1440cbe419ad29f90264584a
        // HA2 = MD5("REGISTER:sip:ims.mnc000.mcc460.3gppnetwork.org")
        //     = cb449c95f54270790fd12568b874ce8a
        // response = MD5(HA1 ":MzEyNTY0MDhmYzYzNGQ3ZWI0ZTk=:00000001:a1b2c3d4e5f60718:auth:" HA2)
        //          = ab4f0276193821d2961c72ca22331633
        let answer = register_answer();
        assert_eq!(answer.response, "ab4f0276193821d2961c72ca22331633");
        assert_eq!(
            format!(" {}", answer.to_header_value()),
            header(REGISTER_AUTHORIZED, "Authorization")
        );
        let received = Credentials::parse(&header(REGISTER_AUTHORIZED, "Authorization")).unwrap();
        assert_eq!(
            received.verify_challenge(&register_challenge(), "REGISTER", IMS_PASSWORD),
            Ok(())
        );
    }

    #[test]
    fn initial_register_form_parses_and_fails_verification() {
        let initial = Credentials::parse(&header(REGISTER_INITIAL, "Authorization")).unwrap();
        assert_eq!(initial.username, IMS_USER);
        assert_eq!(initial.uri, IMS_URI);
        assert_eq!(
            (initial.nonce.as_str(), initial.response.as_str()),
            ("", "")
        );
        assert!(matches!(
            initial.verify("REGISTER", IMS_PASSWORD),
            Err(AuthError::ResponseMismatch { received, .. }) if received.is_empty()
        ));
    }

    #[test]
    fn verify_rejects_wrong_password_nonce_uri_and_method() {
        let good = register_answer();
        let mismatch = |result| matches!(result, Err(AuthError::ResponseMismatch { .. }));
        assert!(mismatch(good.verify("REGISTER", "5gm-secret!")));
        assert!(mismatch(good.verify("INVITE", IMS_PASSWORD)));
        let mut tampered = good.clone();
        tampered.nonce.push('x');
        assert!(mismatch(tampered.verify("REGISTER", IMS_PASSWORD)));
        assert_eq!(
            tampered.verify_challenge(&register_challenge(), "REGISTER", IMS_PASSWORD),
            Err(AuthError::ParamMismatch {
                name: "nonce",
                expected: "MzEyNTY0MDhmYzYzNGQ3ZWI0ZTk=".to_owned(),
                received: "MzEyNTY0MDhmYzYzNGQ3ZWI0ZTk=x".to_owned(),
            })
        );
        let mut tampered = good.clone();
        tampered.uri = "sip:evil.example".to_owned();
        assert!(mismatch(tampered.verify("REGISTER", IMS_PASSWORD)));
        let mut tampered = good;
        tampered.nc = Some("00000002".to_owned());
        assert!(mismatch(tampered.verify("REGISTER", IMS_PASSWORD)));
    }

    #[test]
    fn verify_challenge_names_the_differing_parameter() {
        let challenge = rfc2617_challenge();
        let good = Credentials::answer(&challenge, "u", "p", "GET", "/", "c", 1).unwrap();
        let name_of = |credentials: &Credentials| match credentials
            .verify_challenge(&challenge, "GET", "p")
        {
            Err(AuthError::ParamMismatch { name, .. }) => name,
            other => panic!("unexpected {other:?}"),
        };
        let mut changed = good.clone();
        changed.realm = "other".to_owned();
        assert_eq!(name_of(&changed), "realm");
        let mut changed = good.clone();
        changed.opaque = None;
        assert_eq!(name_of(&changed), "opaque");
        let mut changed = good.clone();
        changed.algorithm = Some(Algorithm::Md5Sess);
        assert_eq!(name_of(&changed), "algorithm");
        let mut changed = good;
        changed.qop = None;
        assert_eq!(name_of(&changed), "qop");
    }

    #[test]
    fn md5_sess_and_rfc2069_forms() {
        // MD5-sess: HA1 = MD5(dd1f1e1b1440cbe419ad29f90264584a ":" nonce ":" cnonce)
        // = a7c58aa941765282ffc509a9bfdc8af6; response with qop=auth, nc=00000001.
        let nonce = "MzEyNTY0MDhmYzYzNGQ3ZWI0ZTk=";
        let realm = "ims.mnc000.mcc460.3gppnetwork.org";
        let qop = Some(("auth", "00000001", IMS_CNONCE));
        let sess = digest_response(
            &Algorithm::Md5Sess,
            IMS_USER,
            realm,
            IMS_PASSWORD,
            "REGISTER",
            IMS_URI,
            nonce,
            qop,
        );
        assert_eq!(sess.unwrap(), "6c12f1d8c5c4f7562abb13a834ec33b4");
        // RFC 2069: response = MD5(HA1 ":" nonce ":" HA2).
        let plain = digest_response(
            &Algorithm::Md5,
            IMS_USER,
            realm,
            IMS_PASSWORD,
            "REGISTER",
            IMS_URI,
            nonce,
            None,
        );
        assert_eq!(plain.unwrap(), "e088941b86a2ea5d45ed3ab01f9b7e49");
        let mut challenge = register_challenge();
        challenge.qop.clear();
        let answer = Credentials::answer(
            &challenge,
            IMS_USER,
            IMS_PASSWORD,
            "REGISTER",
            IMS_URI,
            "c",
            1,
        );
        let answer = answer.unwrap();
        assert_eq!(answer.response, "e088941b86a2ea5d45ed3ab01f9b7e49");
        assert_eq!((answer.qop, answer.nc, answer.cnonce), (None, None, None));
    }

    #[test]
    fn unsupported_computations_are_named() {
        let compute =
            |algorithm, qop| digest_response(&algorithm, "u", "r", "p", "GET", "/", "n", qop);
        assert_eq!(
            compute(Algorithm::Sha256, None),
            Err(AuthError::UnsupportedAlgorithm("SHA-256".to_owned()))
        );
        assert_eq!(
            compute(Algorithm::from_token("AKAv2-MD5"), None),
            Err(AuthError::UnsupportedAlgorithm("AKAv2-MD5".to_owned()))
        );
        // AKAv1-MD5 is MD5 with RES as the password (RFC 3310 §3.4).
        assert_eq!(
            compute(Algorithm::AkaV1Md5, None),
            compute(Algorithm::Md5, None)
        );
        assert_eq!(
            compute(Algorithm::Md5Sess, None),
            Err(AuthError::MissingParam("cnonce"))
        );
        assert_eq!(
            compute(Algorithm::Md5, Some(("auth-int", "00000001", "c"))),
            Err(AuthError::UnsupportedQop("auth-int".to_owned()))
        );
        let mut challenge = rfc2617_challenge();
        challenge.qop = vec!["auth-int".to_owned()];
        assert_eq!(
            Credentials::answer(&challenge, "u", "p", "GET", "/", "c", 1),
            Err(AuthError::UnsupportedQop("auth-int".to_owned()))
        );
        let mut credentials = register_answer();
        credentials.nc = None;
        assert_eq!(
            credentials.verify("REGISTER", IMS_PASSWORD),
            Err(AuthError::MissingParam("nc"))
        );
    }

    #[test]
    fn constant_time_eq_compares_all_bytes() {
        assert!(constant_time_eq(b"abcd", b"abcd"));
        assert!(!constant_time_eq(b"abcd", b"abce"));
        assert!(!constant_time_eq(b"abcd", b"abc"));
        assert!(constant_time_eq(b"", b""));
    }

    proptest! {        #[test]
        fn answer_then_verify_succeeds(
            (username, password, nonce, realm) in (text(), text(), text(), text()),
            cnonce in token(), nc in any::<u32>(), sess in any::<bool>(),
        ) {
            let algorithm = if sess { Algorithm::Md5Sess } else { Algorithm::Md5 };
            let challenge = Challenge {
                realm, nonce, algorithm: Some(algorithm), qop: vec!["auth".to_owned()],
                opaque: None, stale: false, other: Vec::new(),
            };
            let answer = Credentials::answer(
                &challenge, &username, &password, "MESSAGE", "sip:bob@example.com", &cnonce, nc,
            ).unwrap();
            let received = Credentials::parse(&answer.to_header_value()).unwrap();
            prop_assert_eq!(received.verify_challenge(&challenge, "MESSAGE", &password), Ok(()));
            let wrong = format!("{password}x");
            prop_assert!(received.verify("MESSAGE", &wrong).is_err());
        }

    }
}
