//! The client side of AUTH to an MSRP relay (RFC 4976 §5.1 and §5.2) as a sans-IO exchange.
//!
//! A client that uses a relay opens a connection to it and sends AUTH with the relay's URI as
//! To-Path and its own URI as From-Path. A relay that wants credentials answers `401` with a
//! `WWW-Authenticate` digest challenge (RFC 2617); the client answers it once with an
//! `Authorization` header whose digest-uri is the relay's URI and whose method is `AUTH`. A `200`
//! carries `Use-Path`, the relay URIs the client puts before its own URI in its `a=path` and
//! before the peer's path in every To-Path, and `Expires`.
//!
//! What is here: building the AUTH requests, reading the responses ([`AuthClient`]), and
//! [`use_path`]. What is not: the connection, timeouts, refreshing an AUTH before it expires,
//! and `423` (the AUTH carries no Expires header, so the relay picks the lifetime).

use super::session_ids::IdSource;
use super::{Frame, FrameBuilder, MsrpError, MsrpUri};
use crate::sip::auth::{AuthError, Challenge, Credentials};

/// Most URIs read from a Use-Path header.
pub const MAX_USE_PATH: usize = 16;

/// What went wrong while authenticating to a relay. Each message completes "failed to ...".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RelayAuthError {
    /// The relay answered AUTH with an error other than a first `401`.
    #[error("authenticate to the MSRP relay: it answered {status} {comment}")]
    Refused {
        /// The response code.
        status: u16,
        /// The response comment.
        comment: String,
    },
    /// The relay challenged and we have no credentials.
    #[error("authenticate to the MSRP relay: it answered 401 and no credentials are configured")]
    NoCredentials,
    /// The relay challenged the AUTH that answered its challenge.
    #[error("authenticate to the MSRP relay: it answered 401 to the AUTH with credentials")]
    ChallengedAgain,
    /// The 401 carries no usable digest challenge.
    #[error("read the MSRP relay's WWW-Authenticate: {0}")]
    Challenge(String),
    /// The 200 carries no usable Use-Path.
    #[error("read the MSRP relay's Use-Path: {0}")]
    UsePath(String),
}

/// Where an AUTH exchange stands after a response.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthStep {
    /// Send this AUTH, which answers the relay's challenge.
    Send(Frame),
    /// The relay accepted us.
    Authorized {
        /// The relay URIs to put before our own URI in our path (RFC 4976 §5.2).
        use_path: Vec<MsrpUri>,
        /// The lifetime the relay granted, in seconds, when it said.
        expires: Option<u32>,
    },
}

/// One AUTH exchange with a relay. See the module docs.
#[derive(Debug)]
pub struct AuthClient {
    relay: MsrpUri,
    local: MsrpUri,
    credentials: Option<(String, String)>,
    ids: IdSource,
    transaction_id: String,
    answered: bool,
}

impl AuthClient {
    /// An exchange for `local` with `relay`, answering a challenge with `credentials`
    /// (username, password) when given.
    pub fn new(relay: MsrpUri, local: MsrpUri, credentials: Option<(String, String)>) -> Self {
        let ids = IdSource::new(&local.to_string());
        Self {
            relay,
            local,
            credentials,
            ids,
            transaction_id: String::new(),
            answered: false,
        }
    }

    /// The first AUTH, without credentials.
    pub fn start(&mut self) -> Frame {
        self.request(None)
    }

    /// Reads a frame from the relay. `Ok(None)` for frames that are not the response to our
    /// latest AUTH.
    pub fn handle_frame(&mut self, frame: &Frame) -> Result<Option<AuthStep>, RelayAuthError> {
        let Some(status) = frame.status_code() else {
            return Ok(None);
        };
        if frame.transaction_id != self.transaction_id {
            return Ok(None);
        }
        match status {
            200..=299 => Ok(Some(AuthStep::Authorized {
                use_path: use_path(frame).map_err(|e| RelayAuthError::UsePath(e.to_string()))?,
                expires: frame.header("Expires").and_then(|v| v.trim().parse().ok()),
            })),
            401 => self.answer(frame).map(Some),
            _ => Err(RelayAuthError::Refused {
                status,
                comment: comment(frame),
            }),
        }
    }

    /// The AUTH answering a `401`'s challenge, once.
    fn answer(&mut self, frame: &Frame) -> Result<AuthStep, RelayAuthError> {
        if self.answered {
            return Err(RelayAuthError::ChallengedAgain);
        }
        let (username, password) = self
            .credentials
            .clone()
            .ok_or(RelayAuthError::NoCredentials)?;
        let header = frame
            .header("WWW-Authenticate")
            .ok_or_else(|| RelayAuthError::Challenge("the 401 has none".to_owned()))?;
        let challenge = Challenge::parse(header).map_err(challenge_error)?;
        let cnonce = self.ids.next();
        let uri = self.relay.to_string();
        let credentials =
            Credentials::answer(&challenge, &username, &password, "AUTH", &uri, &cnonce, 1)
                .map_err(challenge_error)?;
        self.answered = true;
        Ok(AuthStep::Send(self.request(Some(credentials))))
    }

    fn request(&mut self, credentials: Option<Credentials>) -> Frame {
        self.transaction_id = self.ids.next();
        let mut builder = FrameBuilder::request(&self.transaction_id, "AUTH")
            .to_path(self.relay.to_string())
            .from_path(self.local.to_string());
        if let Some(credentials) = credentials {
            builder = builder.header("Authorization", credentials.to_header_value());
        }
        builder.build()
    }
}

/// The URIs of a frame's Use-Path header (RFC 4976 §5.2), at most [`MAX_USE_PATH`].
pub fn use_path(frame: &Frame) -> Result<Vec<MsrpUri>, MsrpError> {
    let value = frame
        .header("Use-Path")
        .ok_or(MsrpError::MissingHeader("Use-Path"))?;
    let uris = MsrpUri::parse_path(value)?;
    match uris.len() > MAX_USE_PATH {
        true => Err(MsrpError::Uri {
            uri: value.chars().take(200).collect(),
            detail: "the Use-Path holds more URIs than the cap",
        }),
        false => Ok(uris),
    }
}

fn comment(frame: &Frame) -> String {
    match &frame.kind {
        super::FrameKind::Response { comment, .. } => comment.clone().unwrap_or_default(),
        super::FrameKind::Request { .. } => String::new(),
    }
}

fn challenge_error(err: AuthError) -> RelayAuthError {
    RelayAuthError::Challenge(err.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn relay() -> MsrpUri {
        MsrpUri::parse("msrp://127.0.0.1:5060;tcp").unwrap()
    }

    fn client(credentials: bool) -> AuthClient {
        let local = MsrpUri::new(false, "127.0.0.1", 40000, "abcd1234");
        let credentials = credentials.then(|| ("alice@realm".to_owned(), "pw".to_owned()));
        AuthClient::new(relay(), local, credentials)
    }

    fn response(to: &Frame, code: u16, headers: &[(&str, &str)]) -> Frame {
        let mut builder = FrameBuilder::response_to(to, code, Some("X"));
        for (name, value) in headers {
            builder = builder.header(name, *value);
        }
        Frame::parse(builder.build().as_bytes()).unwrap()
    }

    const CHALLENGE: &str = r#"Digest realm="realm", nonce="n1", qop="auth""#;
    const USE_PATH: &str = "msrp://127.0.0.1:5060/msrp-1-2;tcp";

    #[test]
    fn auth_request_names_relay_and_us() {
        let auth = client(false).start();
        let text = String::from_utf8(auth.as_bytes().to_vec()).unwrap();
        let tid = &auth.transaction_id;
        assert_eq!(
            text,
            format!(
                "MSRP {tid} AUTH\r\nTo-Path: msrp://127.0.0.1:5060;tcp\r\n\
                 From-Path: msrp://127.0.0.1:40000/abcd1234;tcp\r\n-------{tid}$\r\n"
            )
        );
        assert!(Frame::parse(auth.as_bytes()).is_ok());
    }

    #[test]
    fn authorized_without_challenge() {
        let mut c = client(false);
        let auth = c.start();
        let ok = response(&auth, 200, &[("Use-Path", USE_PATH), ("Expires", "3600")]);
        let step = c.handle_frame(&ok).unwrap().unwrap();
        assert_eq!(
            step,
            AuthStep::Authorized {
                use_path: vec![MsrpUri::parse(USE_PATH).unwrap()],
                expires: Some(3600),
            }
        );
    }

    #[test]
    fn challenge_answered_once_with_a_verifiable_digest() {
        let mut c = client(true);
        let auth = c.start();
        let challenge = response(&auth, 401, &[("WWW-Authenticate", CHALLENGE)]);
        let Some(AuthStep::Send(second)) = c.handle_frame(&challenge).unwrap() else {
            panic!("no second AUTH");
        };
        assert_ne!(second.transaction_id, auth.transaction_id);
        assert_eq!(second.method(), Some("AUTH"));
        let credentials = Credentials::parse(second.header("Authorization").unwrap()).unwrap();
        assert_eq!(credentials.uri, "msrp://127.0.0.1:5060;tcp");
        assert_eq!(credentials.username, "alice@realm");
        credentials.verify("AUTH", "pw").unwrap();
        assert!(credentials.verify("AUTH", "wrong").is_err());
        let again = response(&second, 401, &[("WWW-Authenticate", CHALLENGE)]);
        assert_eq!(c.handle_frame(&again), Err(RelayAuthError::ChallengedAgain));
    }

    #[test]
    fn stale_responses_and_requests_are_ignored() {
        let mut c = client(true);
        let first = c.start();
        let challenge = response(&first, 401, &[("WWW-Authenticate", CHALLENGE)]);
        c.handle_frame(&challenge).unwrap();
        // The response to the first AUTH again, now stale.
        assert_eq!(c.handle_frame(&challenge), Ok(None));
        assert_eq!(c.handle_frame(&first), Ok(None));
    }

    #[test]
    fn failures() {
        let mut c = client(false);
        let auth = c.start();
        let challenge = response(&auth, 401, &[("WWW-Authenticate", CHALLENGE)]);
        assert_eq!(
            c.handle_frame(&challenge),
            Err(RelayAuthError::NoCredentials)
        );
        let mut c = client(true);
        let auth = c.start();
        let bare = response(&auth, 401, &[]);
        assert!(matches!(
            c.handle_frame(&bare),
            Err(RelayAuthError::Challenge(_))
        ));
        let mut c = client(true);
        let auth = c.start();
        let no_path = response(&auth, 200, &[]);
        assert!(matches!(
            c.handle_frame(&no_path),
            Err(RelayAuthError::UsePath(_))
        ));
        let forbidden = response(&auth, 403, &[]);
        assert_eq!(
            c.handle_frame(&forbidden),
            Err(RelayAuthError::Refused {
                status: 403,
                comment: "X".into()
            })
        );
        let error = RelayAuthError::NoCredentials.to_string();
        assert!(error.starts_with("authenticate to the MSRP relay"));
    }

    #[test]
    fn use_path_capped() {
        let mut c = client(false);
        let auth = c.start();
        let long = vec![USE_PATH; MAX_USE_PATH + 1].join(" ");
        let frame = response(&auth, 200, &[("Use-Path", &long)]);
        assert!(use_path(&frame).is_err());
        let two = format!("{USE_PATH} msrp://10.0.0.1:1/b;tcp");
        let frame = response(&auth, 200, &[("Use-Path", &two)]);
        assert_eq!(use_path(&frame).unwrap().len(), 2);
    }
}
