//! CT/CU access tokens (protocols.md §8.2 "get token", §12): `POST /bot/v1/{chatbotId}/accessToken`
//! with `{"appId","appKey"}` issues a token valid 7200 s on the case clock; a new token makes the
//! previous one illegal at once. Every other call names its token in `authorization: accessToken
//! <token>`: none → 41001, an earlier or unknown token → 40014, the current one expired → 42001.
//!
//! This module keeps the tokens and answers the token request; it does not count the 2000 daily
//! token calls the spec allows (nothing in the suite needs more than a few).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::Rng;
use rand::distr::Alphanumeric;
use rcs_proto::nbi::ctcu::{self, code};

/// How long a token is valid (protocols.md §12).
pub(crate) const TOKEN_LIFETIME: Duration = Duration::from_secs(7200);

/// Length of the tokens issued.
const TOKEN_LEN: usize = 32;

/// The most chatbots whose tokens are kept at once.
const MAX_CHATBOTS: usize = 256;

/// The tokens of one chatbot.
#[derive(Clone, Debug)]
struct Issued {
    current: String,
    expires_at: Instant,
    /// Every token issued before the current one, newest last (bounded).
    earlier: Vec<String>,
}

/// What the faults let through: replaced tokens, expired tokens.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Leniency {
    pub old_valid: bool,
    pub never_expires: bool,
}

/// Why a request's token is refused: the CT/CU code and a message naming the reason.
pub(crate) type Refused = (i64, String);

/// The tokens of every CT/CU chatbot.
#[derive(Debug, Default)]
pub(crate) struct Tokens {
    by_chatbot: Mutex<HashMap<String, Issued>>,
}

impl Tokens {
    /// Issues a fresh token for `chatbot`, valid from `now`; the previous one stops working.
    pub(crate) fn issue(&self, chatbot: &str, now: Instant) -> String {
        let token: String = rand::rng()
            .sample_iter(Alphanumeric)
            .take(TOKEN_LEN)
            .map(char::from)
            .collect();
        let mut all = self.lock();
        if all.len() >= MAX_CHATBOTS && !all.contains_key(chatbot) {
            all.clear();
        }
        let expires_at = now + TOKEN_LIFETIME;
        match all.get_mut(chatbot) {
            Some(issued) => {
                let old = std::mem::replace(&mut issued.current, token.clone());
                issued.earlier.push(old);
                if issued.earlier.len() > 16 {
                    issued.earlier.remove(0);
                }
                issued.expires_at = expires_at;
            }
            None => {
                all.insert(
                    chatbot.to_owned(),
                    Issued {
                        current: token.clone(),
                        expires_at,
                        earlier: Vec::new(),
                    },
                );
            }
        }
        token
    }

    /// Checks the `authorization` header value of a request for `chatbot` at `now`.
    pub(crate) fn check(
        &self,
        chatbot: &str,
        authorization: Option<&str>,
        now: Instant,
        lenient: Leniency,
    ) -> Result<(), Refused> {
        let Some(token) = authorization.and_then(presented) else {
            return Err((code::MISSING_TOKEN, "missing accessToken".to_owned()));
        };
        let all = self.lock();
        let Some(issued) = all.get(chatbot) else {
            return Err((code::ILLEGAL_TOKEN, "illegal accessToken".to_owned()));
        };
        let current = token == issued.current;
        let earlier = issued.earlier.iter().any(|t| t == token);
        if current || (earlier && lenient.old_valid) {
            return match now < issued.expires_at || lenient.never_expires {
                true => Ok(()),
                false => Err((code::TOKEN_EXPIRED, "accessToken expired".to_owned())),
            };
        }
        Err((code::ILLEGAL_TOKEN, "illegal accessToken".to_owned()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Issued>> {
        self.by_chatbot.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The token of an `authorization: accessToken <token>` value (the scheme compared without case).
fn presented(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("accessToken") && !token.is_empty()).then_some(token)
}

/// Reads a token request body: `Ok((appId, appKey))` or the CT/CU code and why.
pub(crate) fn credentials(body: &[u8]) -> Result<(String, String), Refused> {
    ctcu::parse_token_request(body)
}

/// The body answering a token request.
pub(crate) fn granted(token: &str, api_url: &str) -> serde_json::Value {
    serde_json::json!({
        "accessToken": token,
        "expires": TOKEN_LIFETIME.as_secs(),
        "url": api_url,
        "errorCode": code::OK,
        "errorMessage": "success",
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const BOT: &str = "sip:106500@botplatform.rcs.domain.cn";
    const STRICT: Leniency = Leniency {
        old_valid: false,
        never_expires: false,
    };
    const OLD_VALID: Leniency = Leniency {
        old_valid: true,
        never_expires: false,
    };

    fn header(token: &str) -> String {
        format!("accessToken {token}")
    }

    #[test]
    fn a_new_token_makes_the_previous_one_illegal() {
        let tokens = Tokens::default();
        let now = Instant::now();
        let first = tokens.issue(BOT, now);
        assert_eq!(
            tokens.check(BOT, Some(&header(&first)), now, STRICT),
            Ok(())
        );
        let second = tokens.issue(BOT, now);
        assert_ne!(first, second);
        let refused = tokens.check(BOT, Some(&header(&first)), now, STRICT);
        assert_eq!(refused.unwrap_err().0, code::ILLEGAL_TOKEN);
        assert_eq!(
            tokens.check(BOT, Some(&header(&second)), now, STRICT),
            Ok(())
        );
        assert_eq!(
            tokens.check(BOT, Some(&header(&first)), now, OLD_VALID),
            Ok(())
        );
    }

    #[test]
    fn tokens_expire_after_7200_seconds() {
        let tokens = Tokens::default();
        let now = Instant::now();
        let token = tokens.issue(BOT, now);
        let just_before = now + TOKEN_LIFETIME - Duration::from_secs(1);
        assert_eq!(
            tokens.check(BOT, Some(&header(&token)), just_before, STRICT),
            Ok(())
        );
        let after = now + TOKEN_LIFETIME;
        let refused = tokens.check(BOT, Some(&header(&token)), after, STRICT);
        assert_eq!(refused.unwrap_err().0, code::TOKEN_EXPIRED);
        let lenient = Leniency {
            never_expires: true,
            ..STRICT
        };
        assert_eq!(
            tokens.check(BOT, Some(&header(&token)), after, lenient),
            Ok(())
        );
    }

    #[test]
    fn missing_malformed_and_foreign_tokens_are_refused() {
        let tokens = Tokens::default();
        let now = Instant::now();
        let token = tokens.issue(BOT, now);
        assert_eq!(
            tokens.check(BOT, None, now, STRICT).unwrap_err().0,
            code::MISSING_TOKEN
        );
        let bare = tokens.check(BOT, Some(&token), now, STRICT);
        assert_eq!(bare.unwrap_err().0, code::MISSING_TOKEN);
        let other = tokens.check("sip:1@x", Some(&header(&token)), now, STRICT);
        assert_eq!(other.unwrap_err().0, code::ILLEGAL_TOKEN);
        let lower = tokens.check(BOT, Some(&format!("accesstoken  {token} ")), now, STRICT);
        assert_eq!(lower, Ok(()));
    }

    #[test]
    fn the_grant_carries_the_token_and_its_lifetime() {
        let body = granted("abc", "http://127.0.0.1:1/bot/v1/x");
        assert_eq!(body["accessToken"], "abc");
        assert_eq!(body["expires"], 7200);
        assert_eq!(body["errorCode"], 0);
    }
}
