//! HTTP Digest authentication (RFC 7616, RFC 2617) over the digest code SIP uses
//! ([`crate::sip::auth`]): the same challenge and credentials grammar and MD5 computation.
//!
//! What differs in HTTP: the challenge comes in a 401 `WWW-Authenticate` field that may hold
//! other schemes too, and the `uri` parameter (digest-uri) is the request-target exactly as sent
//! in the request line (RFC 7616 §3.4, §3.4.6), which the server must check against the request
//! before accepting the credentials. This module does not keep server state (nonce lifetime,
//! `nc` replay) and, like the SIP code, computes only MD5 and MD5-sess with `qop=auth`.

use crate::sip::auth::{AuthError, Challenge, Credentials};

use super::error::HttpError;
use super::message::{Request, Response};

/// The first Digest challenge of a response's `WWW-Authenticate` fields, if any.
pub fn challenge(response: &Response) -> Option<Challenge> {
    response
        .header_values("WWW-Authenticate")
        .find_map(|value| Challenge::parse(value).ok())
}

/// The Digest credentials of a request's `Authorization` field, if it has one.
pub fn credentials(request: &Request) -> Result<Option<Credentials>, HttpError> {
    request
        .header("Authorization")
        .map(|value| Credentials::parse(value).map_err(HttpError::from))
        .transpose()
}

/// Answers `challenge` for a request `method target`: the `Authorization` value to send.
pub fn authorization(
    challenge: &Challenge,
    username: &str,
    password: &str,
    method: &str,
    target: &str,
    cnonce: &str,
    nc: u32,
) -> Result<String, HttpError> {
    let credentials =
        Credentials::answer(challenge, username, password, method, target, cnonce, nc)?;
    Ok(credentials.to_header_value())
}

/// Checks a request's credentials as a server: they answer `challenge`, their `uri` is the
/// request-target, and the response matches `password`. The error names the first thing wrong.
pub fn verify(request: &Request, challenge: &Challenge, password: &str) -> Result<(), HttpError> {
    let credentials =
        credentials(request)?.ok_or(HttpError::Auth(AuthError::MissingParam("response")))?;
    if credentials.uri != request.target() {
        return Err(HttpError::Auth(AuthError::ParamMismatch {
            name: "uri",
            expected: request.target().to_owned(),
            received: credentials.uri,
        }));
    }
    credentials.verify_challenge(challenge, request.method(), password)?;
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::http::{RequestBuilder, ResponseBuilder};

    fn challenged() -> (Challenge, Response) {
        let response = ResponseBuilder::new(401, "Unauthorized")
            .header("WWW-Authenticate", "Basic realm=\"ft\"")
            .header(
                "WWW-Authenticate",
                "Digest realm=\"ft\", nonce=\"n1\", qop=\"auth\", opaque=\"o\"",
            )
            .build()
            .unwrap();
        (challenge(&response).unwrap(), response)
    }

    #[test]
    fn the_digest_uri_is_the_request_target() {
        let (challenge, _) = challenged();
        assert_eq!(challenge.realm, "ft");
        let target = "/upload?tid=t1&get_upload_info";
        let value =
            authorization(&challenge, "+8613800000001", "pw", "GET", target, "c1", 1).unwrap();
        let request = RequestBuilder::new("GET", target)
            .header("Authorization", &value)
            .build()
            .unwrap();
        assert_eq!(credentials(&request).unwrap().unwrap().uri, target);
        verify(&request, &challenge, "pw").unwrap();
        let err = verify(&request, &challenge, "wrong").unwrap_err();
        assert!(
            matches!(err, HttpError::Auth(AuthError::ResponseMismatch { .. })),
            "{err}"
        );
    }

    #[test]
    fn credentials_for_another_target_are_refused() {
        let (challenge, _) = challenged();
        let value = authorization(&challenge, "u", "pw", "POST", "/other", "c1", 1).unwrap();
        let request = RequestBuilder::new("POST", "/upload")
            .header("Authorization", &value)
            .build()
            .unwrap();
        let err = verify(&request, &challenge, "pw").unwrap_err().to_string();
        assert!(err.contains("digest parameter uri"), "{err}");
        let bare = RequestBuilder::new("POST", "/upload").build().unwrap();
        assert!(verify(&bare, &challenge, "pw").is_err());
    }
}
