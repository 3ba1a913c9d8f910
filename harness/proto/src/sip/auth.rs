//! SIP digest authentication (RFC 3261 §22.4, RFC 2617 §3, RFC 7616 §3).
//!
//! This module parses and writes the values of `WWW-Authenticate` / `Proxy-Authenticate`
//! ([`Challenge`]) and of `Authorization` / `Proxy-Authorization` ([`Credentials`]), answers a
//! challenge on the client side ([`Credentials::answer`]) and checks credentials on the server
//! side ([`Credentials::verify`], [`Credentials::verify_challenge`]).
//!
//! Parsing follows the `digest-cln` / `dig-resp` grammar of RFC 3261 §25.1: LWS (including
//! folded lines) around `=` and `,`, quoted strings with quoted-pairs, case-insensitive scheme
//! and parameter names. Every parameter is accepted either as a token or as a quoted string,
//! as real peers mix them; writing uses the forms RFC 7616 §3.4 requires (quoted `realm`,
//! `nonce`, `uri`, ..., bare `algorithm`, `qop` in credentials, `nc`, `stale`). Unknown
//! parameters (`domain`, `auts`, `userhash`, ...) are kept in order.
//!
//! Only `MD5`, `MD5-sess` and `AKAv1-MD5` (IMS AKA, RFC 3310 §3.4: MD5 with RES as the password,
//! given as bytes to the `*_secret` methods; see [`crate::aka`]) are computed, with `qop=auth` or
//! without qop (the RFC 2069 form). `SHA-256`, `SHA-256-sess` and other tokens are parsed
//! and kept, but computing them returns [`AuthError::UnsupportedAlgorithm`]; `auth-int` returns
//! [`AuthError::UnsupportedQop`]. This module works on header values only: it neither finds
//! headers in a message nor keeps server state (nonce lifetime, `nc` replay checks).
//!
//! The parameter grammar lives in the child module `auth_params.rs`, the computation in
//! `auth_digest.rs`.

use thiserror::Error;

#[path = "auth_digest.rs"]
mod digest;
pub use digest::{digest_response, digest_response_secret};

#[path = "auth_params.rs"]
mod params;
use params::{
    MAX_HEADER_LEN, MAX_PARAMS, ParamWriter, digest_params, parse_nc, parse_qop_options,
    parse_stale,
};

/// A digest algorithm token (RFC 7616 §3.3, RFC 3310 §3.2).
#[non_exhaustive]
#[derive(Clone, Debug, Eq, PartialEq)]
pub enum Algorithm {
    /// `MD5`, also what an absent `algorithm` parameter means.
    Md5,
    /// `MD5-sess`.
    Md5Sess,
    /// `SHA-256`.
    Sha256,
    /// `SHA-256-sess`.
    Sha256Sess,
    /// `AKAv1-MD5` (RFC 3310 §3.1): MD5 with the AKA RES as the password.
    AkaV1Md5,
    /// Any other token, as sent, such as `AKAv2-MD5` or `SHA-512-256`.
    Other(String),
}

impl Algorithm {
    /// Reads an algorithm token; the known tokens are matched ignoring ASCII case.
    pub fn from_token(token: &str) -> Self {
        [
            Self::Md5,
            Self::Md5Sess,
            Self::Sha256,
            Self::Sha256Sess,
            Self::AkaV1Md5,
        ]
        .into_iter()
        .find(|known| known.as_str().eq_ignore_ascii_case(token))
        .unwrap_or_else(|| Self::Other(token.to_owned()))
    }

    /// The token as written on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Md5 => "MD5",
            Self::Md5Sess => "MD5-sess",
            Self::Sha256 => "SHA-256",
            Self::Sha256Sess => "SHA-256-sess",
            Self::AkaV1Md5 => "AKAv1-MD5",
            Self::Other(token) => token,
        }
    }
}

/// A digest challenge: the value of `WWW-Authenticate` or `Proxy-Authenticate`.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Challenge {
    /// `realm`.
    pub realm: String,
    /// `nonce`.
    pub nonce: String,
    /// `algorithm`; `None` when absent (which means MD5).
    pub algorithm: Option<Algorithm>,
    /// The `qop` options offered, such as `["auth", "auth-int"]`; empty when absent.
    pub qop: Vec<String>,
    /// `opaque`, to be echoed back unchanged.
    pub opaque: Option<String>,
    /// `stale=TRUE`: the previous nonce expired but the credentials were right.
    pub stale: bool,
    /// Every other parameter (name as sent, unquoted value), in order.
    pub other: Vec<(String, String)>,
}

impl Challenge {
    /// Parses a header value such as `Digest realm="a.example",nonce="xyz",qop="auth"`.
    pub fn parse(header_value: &str) -> Result<Self, AuthError> {
        let (mut realm, mut nonce) = (None, None);
        let mut challenge = Self {
            realm: String::new(),
            nonce: String::new(),
            algorithm: None,
            qop: Vec::new(),
            opaque: None,
            stale: false,
            other: Vec::new(),
        };
        for (name, value) in digest_params(header_value)? {
            match name.to_ascii_lowercase().as_str() {
                "realm" => realm = Some(value),
                "nonce" => nonce = Some(value),
                "algorithm" => challenge.algorithm = Some(Algorithm::from_token(&value)),
                "qop" => challenge.qop = parse_qop_options(&value)?,
                "opaque" => challenge.opaque = Some(value),
                "stale" => challenge.stale = parse_stale(&value)?,
                _ => challenge.other.push((name, value)),
            }
        }
        challenge.realm = realm.ok_or(AuthError::MissingParam("realm"))?;
        challenge.nonce = nonce.ok_or(AuthError::MissingParam("nonce"))?;
        Ok(challenge)
    }

    /// Writes the header value: `Digest realm="...", nonce="...", algorithm=MD5, qop="auth"`.
    pub fn to_header_value(&self) -> String {
        let mut out = ParamWriter::default();
        out.quoted("realm", &self.realm);
        out.quoted("nonce", &self.nonce);
        if let Some(algorithm) = &self.algorithm {
            out.token("algorithm", algorithm.as_str());
        }
        if !self.qop.is_empty() {
            out.quoted("qop", &self.qop.join(","));
        }
        if let Some(opaque) = &self.opaque {
            out.quoted("opaque", opaque);
        }
        if self.stale {
            out.token("stale", "TRUE");
        }
        out.others(&self.other);
        out.finish()
    }
}

/// Digest credentials: the value of `Authorization` or `Proxy-Authorization`.
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct Credentials {
    /// `username` (in IMS, the private user identity).
    pub username: String,
    /// `realm`.
    pub realm: String,
    /// `nonce`, empty in the initial IMS REGISTER.
    pub nonce: String,
    /// `uri`: the digest-uri, a copy of the Request-URI.
    pub uri: String,
    /// `response`: 32 lowercase hex digits for MD5, empty in the initial IMS REGISTER.
    pub response: String,
    /// `algorithm`; `None` when absent (which means MD5).
    pub algorithm: Option<Algorithm>,
    /// `cnonce`.
    pub cnonce: Option<String>,
    /// `nc`: the nonce count, 8 hex digits.
    pub nc: Option<String>,
    /// `qop`: the quality of protection chosen.
    pub qop: Option<String>,
    /// `opaque`, echoed from the challenge.
    pub opaque: Option<String>,
    /// Every other parameter (name as sent, unquoted value), such as `auts`, in order.
    pub other: Vec<(String, String)>,
}

impl Credentials {
    /// Parses a header value such as
    /// `Digest username="u",realm="r",nonce="",uri="sip:r",response=""`.
    pub fn parse(header_value: &str) -> Result<Self, AuthError> {
        let (mut username, mut realm, mut nonce, mut uri, mut response) =
            (None, None, None, None, None);
        let mut credentials = Self {
            username: String::new(),
            realm: String::new(),
            nonce: String::new(),
            uri: String::new(),
            response: String::new(),
            algorithm: None,
            cnonce: None,
            nc: None,
            qop: None,
            opaque: None,
            other: Vec::new(),
        };
        for (name, value) in digest_params(header_value)? {
            match name.to_ascii_lowercase().as_str() {
                "username" => username = Some(value),
                "realm" => realm = Some(value),
                "nonce" => nonce = Some(value),
                "uri" => uri = Some(value),
                "response" => response = Some(value),
                "algorithm" => credentials.algorithm = Some(Algorithm::from_token(&value)),
                "cnonce" => credentials.cnonce = Some(value),
                "nc" => credentials.nc = Some(parse_nc(value)?),
                "qop" => credentials.qop = Some(value),
                "opaque" => credentials.opaque = Some(value),
                _ => credentials.other.push((name, value)),
            }
        }
        credentials.username = username.ok_or(AuthError::MissingParam("username"))?;
        credentials.realm = realm.ok_or(AuthError::MissingParam("realm"))?;
        credentials.nonce = nonce.ok_or(AuthError::MissingParam("nonce"))?;
        credentials.uri = uri.ok_or(AuthError::MissingParam("uri"))?;
        credentials.response = response.ok_or(AuthError::MissingParam("response"))?;
        Ok(credentials)
    }

    /// Writes the header value, parameters in the order of RFC 2617 §3.5's example.
    pub fn to_header_value(&self) -> String {
        let mut out = ParamWriter::default();
        out.quoted("username", &self.username);
        out.quoted("realm", &self.realm);
        out.quoted("nonce", &self.nonce);
        out.quoted("uri", &self.uri);
        out.quoted("response", &self.response);
        if let Some(algorithm) = &self.algorithm {
            out.token("algorithm", algorithm.as_str());
        }
        if let Some(cnonce) = &self.cnonce {
            out.quoted("cnonce", cnonce);
        }
        if let Some(opaque) = &self.opaque {
            out.quoted("opaque", opaque);
        }
        if let Some(qop) = &self.qop {
            out.token("qop", qop);
        }
        if let Some(nc) = &self.nc {
            out.token("nc", nc);
        }
        out.others(&self.other);
        out.finish()
    }
}

/// An error parsing, answering or verifying digest authentication; the message completes
/// "failed to ..." and names the parameter or construct at fault.
#[non_exhaustive]
#[derive(Clone, Debug, Eq, Error, PartialEq)]
pub enum AuthError {
    /// A parameter appeared twice (RFC 7235 §2.1).
    #[error("parse the digest parameters: {0} appears more than once")]
    DuplicateParam(String),
    /// A parameter value does not follow its grammar.
    #[error("parse the digest parameter {name}: invalid value {value:?}")]
    InvalidParam {
        /// The parameter name as sent.
        name: String,
        /// The offending value.
        value: String,
    },
    /// A required parameter is absent.
    #[error("find the digest parameter {0}")]
    MissingParam(&'static str),
    /// The scheme is not `Digest`.
    #[error("parse the authentication scheme: {0:?} is not Digest")]
    NotDigest(String),
    /// A parameter of the credentials does not answer the challenge.
    #[error("verify the digest parameter {name}: got {received:?}, the challenge has {expected:?}")]
    ParamMismatch {
        /// The parameter name.
        name: &'static str,
        /// The value the challenge holds.
        expected: String,
        /// The value the credentials hold.
        received: String,
    },
    /// The response does not match the one recomputed with the password.
    #[error("verify the digest response: got {received:?}, expected {expected:?}")]
    ResponseMismatch {
        /// The response recomputed from the parameters and the password.
        expected: String,
        /// The response received.
        received: String,
    },
    /// The parameter list does not follow the grammar.
    #[error("parse the digest parameters: expected {expected} at byte {at}")]
    Syntax {
        /// What the grammar requires.
        expected: &'static str,
        /// The byte offset in the header value.
        at: usize,
    },
    /// The header value is longer than `MAX_HEADER_LEN`.
    #[error("parse the digest header value: {0} bytes exceed the cap of {MAX_HEADER_LEN}")]
    TooLong(usize),
    /// More parameters than `MAX_PARAMS`.
    #[error("parse the digest parameters: more than {MAX_PARAMS} parameters")]
    TooManyParams,
    /// The algorithm cannot be computed here.
    #[error("compute the digest: algorithm {0} is not supported")]
    UnsupportedAlgorithm(String),
    /// The quality of protection cannot be computed here.
    #[error("compute the digest: qop {0} is not supported")]
    UnsupportedQop(String),
    /// A quoted string runs to the end of the header value.
    #[error("parse the digest parameter {0}: unterminated quoted string")]
    UnterminatedQuote(String),
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::collection::{btree_map, vec};
    use proptest::prelude::*;

    use super::*;

    pub(super) const WWW_AUTHENTICATE: &[u8] =
        include_bytes!("../../tests/vectors/auth/rfc2617-3.5-www-authenticate.dat");
    pub(super) const AUTHORIZATION: &[u8] =
        include_bytes!("../../tests/vectors/auth/rfc2617-3.5-authorization.dat");
    pub(super) const REGISTER_INITIAL: &[u8] =
        include_bytes!("../../tests/vectors/auth/protocols-2.2-register-initial.sip");
    const REGISTER_401: &[u8] =
        include_bytes!("../../tests/vectors/auth/protocols-2.4-register-401.sip");
    pub(super) const REGISTER_AUTHORIZED: &[u8] =
        include_bytes!("../../tests/vectors/auth/protocols-2.4-register-authorized.sip");

    /// The value of header `name` in a vector, folded continuation lines included.
    pub(super) fn header(vector: &[u8], name: &str) -> String {
        let text = std::str::from_utf8(vector).unwrap();
        let mut lines = text.split("\r\n");
        let prefix = format!("{name}:");
        let first = lines
            .by_ref()
            .find(|line| line.starts_with(&prefix))
            .unwrap();
        let mut value = first[prefix.len()..].to_owned();
        for line in lines.take_while(|line| line.starts_with([' ', '\t'])) {
            value.push_str("\r\n");
            value.push_str(line);
        }
        value
    }

    pub(super) fn rfc2617_challenge() -> Challenge {
        Challenge::parse(&header(WWW_AUTHENTICATE, "WWW-Authenticate")).unwrap()
    }

    pub(super) fn register_challenge() -> Challenge {
        Challenge::parse(&header(REGISTER_401, "WWW-Authenticate")).unwrap()
    }

    #[test]
    fn rfc2617_challenge_parses_from_folded_lines() {
        assert_eq!(
            rfc2617_challenge(),
            Challenge {
                realm: "testrealm@host.com".to_owned(),
                nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093".to_owned(),
                algorithm: None,
                qop: vec!["auth".to_owned(), "auth-int".to_owned()],
                opaque: Some("5ccc069c403ebaf9f0171e9517f40e41".to_owned()),
                stale: false,
                other: Vec::new(),
            }
        );
    }

    #[test]
    fn challenge_errors_name_the_parameter() {
        assert_eq!(
            Challenge::parse("Digest nonce=\"n\""),
            Err(AuthError::MissingParam("realm"))
        );
        assert_eq!(
            Challenge::parse("Digest realm=\"r\""),
            Err(AuthError::MissingParam("nonce"))
        );
        assert_eq!(
            Challenge::parse("Digest realm=\"r\", nonce=\"n\", stale=maybe"),
            Err(params::invalid("stale", "maybe"))
        );
        assert_eq!(
            Credentials::parse("Digest username=\"u\", realm=\"r\", nonce=\"n\", uri=\"/\""),
            Err(AuthError::MissingParam("response"))
        );
        assert_eq!(
            AuthError::MissingParam("realm").to_string(),
            "find the digest parameter realm"
        );
    }

    #[test]
    fn ims_aka_values_are_kept() {
        let challenge = Challenge::parse(
            "Digest realm=\"ims.example\", nonce=\"cmFuZGF1dG4=\", algorithm=AKAv1-MD5, \
             qop=\"auth\", stale=TRUE, domain=\"sip:ims.example\"",
        )
        .unwrap();
        assert_eq!(challenge.algorithm, Some(Algorithm::AkaV1Md5));
        assert!(challenge.stale);
        assert_eq!(
            challenge.to_header_value(),
            "Digest realm=\"ims.example\", nonce=\"cmFuZGF1dG4=\", algorithm=AKAv1-MD5, \
             qop=\"auth\", stale=TRUE, domain=\"sip:ims.example\""
        );
        let resync = Credentials::parse(
            "Digest username=\"u@ims.example\",realm=\"ims.example\",nonce=\"cmFuZGF1dG4=\",\
             uri=\"sip:ims.example\",response=\"\",algorithm=AKAv1-MD5,auts=\"YXV0cw==\"",
        )
        .unwrap();
        assert_eq!(resync.other, [("auts".to_owned(), "YXV0cw==".to_owned())]);
        assert!(resync.to_header_value().ends_with(", auts=\"YXV0cw==\""));
    }

    #[test]
    fn algorithm_tokens_ignore_case() {
        assert_eq!(Algorithm::from_token("md5"), Algorithm::Md5);
        assert_eq!(Algorithm::from_token("MD5-SESS"), Algorithm::Md5Sess);
        assert_eq!(Algorithm::from_token("sha-256"), Algorithm::Sha256);
        assert_eq!(Algorithm::from_token("SHA-256-sess"), Algorithm::Sha256Sess);
        assert_eq!(Algorithm::from_token("akav1-md5"), Algorithm::AkaV1Md5);
        assert_eq!(
            Algorithm::from_token("AKAv2-MD5"),
            Algorithm::Other("AKAv2-MD5".to_owned())
        );
        assert_eq!(Algorithm::Md5Sess.as_str(), "MD5-sess");
    }

    pub(super) fn text() -> impl Strategy<Value = String> {
        "[ -~]{0,24}"
    }

    pub(super) fn token() -> impl Strategy<Value = String> {
        "[A-Za-z0-9.!%*_+`'~-]{1,12}"
    }

    fn algorithm() -> impl Strategy<Value = Option<Algorithm>> {
        proptest::option::of(prop_oneof![
            Just(Algorithm::Md5),
            Just(Algorithm::Md5Sess),
            Just(Algorithm::Sha256),
            Just(Algorithm::Sha256Sess),
            Just(Algorithm::AkaV1Md5),
            "X-[A-Za-z0-9-]{1,8}".prop_map(Algorithm::Other),
        ])
    }

    /// Extension parameters with distinct names that cannot collide with the known ones.
    fn others() -> impl Strategy<Value = Vec<(String, String)>> {
        btree_map("x-[a-z0-9]{1,8}", text(), 0..3).prop_map(|map| map.into_iter().collect())
    }

    prop_compose! {
        fn challenge()(
            realm in text(), nonce in text(), algorithm in algorithm(),
            qop in vec(token(), 0..3), opaque in proptest::option::of(text()),
            stale in any::<bool>(), other in others(),
        ) -> Challenge {
            Challenge { realm, nonce, algorithm, qop, opaque, stale, other }
        }
    }

    prop_compose! {
        fn credentials()(
            (username, realm, nonce, uri, response) in (text(), text(), text(), text(), text()),
            algorithm in algorithm(), cnonce in proptest::option::of(text()),
            nc in proptest::option::of("[0-9a-f]{8}"), qop in proptest::option::of(token()),
            opaque in proptest::option::of(text()), other in others(),
        ) -> Credentials {
            Credentials {
                username, realm, nonce, uri, response, algorithm, cnonce, nc, qop, opaque, other,
            }
        }
    }

    proptest! {        #[test]
        fn challenge_round_trips(challenge in challenge()) {
            prop_assert_eq!(Challenge::parse(&challenge.to_header_value()), Ok(challenge));
        }

        #[test]
        fn credentials_round_trip(credentials in credentials()) {
            prop_assert_eq!(Credentials::parse(&credentials.to_header_value()), Ok(credentials));
        }

    }
}
