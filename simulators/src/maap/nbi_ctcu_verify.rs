//! CT/CU callback URL verification (protocols.md §8.2, PLT-NBI-CT-002): before a CT/CU chatbot
//! may send, the MaaP proves its callback server is the chatbot's own. It sends
//! `GET {callback}/notifyPath` with the headers `signature`, `timestamp`, `nonce` (signed as every
//! callback is, see `nbi_ctcu_callbacks`), `echoStr` (a fresh random string) and `chatbotId`; the
//! chatbot is enabled only when the answer is 2xx and its response headers carry `echoStr` equal
//! to the one sent and `appId` equal to the chatbot's. A chatbot not (yet) verified is refused:
//! 30006 (callback verification failed) after a failed verification, 48001 (not authorised) when
//! it has no callback URL to verify. A send that comes while a verification is running waits for
//! its verdict (bounded), so the first send of a case does not race the verification the MaaP
//! starts when every role is up.
//!
//! This module keeps the verdicts and runs one verification; it does not retry a failed one (the
//! MaaP action `verify-callback` runs it again).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use rcs_proto::http::{RequestBuilder, Response};
use rcs_proto::nbi::ctcu::code;
use tokio::sync::watch;

use super::Ctcu;
use super::callbacks::{CallbackUrl, signed_headers};
use crate::maap::chatbots::Chatbot;

/// The path the verification request goes to, under the callback URL.
pub(crate) const NOTIFY_PATH: &str = "notifyPath";

/// How long a send waits for a verification under way.
const WAIT_FOR_VERDICT: Duration = Duration::from_secs(5);

/// Where one chatbot's verification stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Never verified (no callback URL, or nobody asked yet).
    Unverified,
    Pending,
    Enabled,
    /// The verification failed, and why.
    Failed(String),
}

/// The verdicts of every CT/CU chatbot.
#[derive(Debug, Default)]
pub(crate) struct Verifications {
    by_chatbot: Mutex<HashMap<String, watch::Sender<Verdict>>>,
}

impl Verifications {
    /// Records `verdict` for `chatbot`, waking whoever waits for it.
    pub(crate) fn set(&self, chatbot: &str, verdict: Verdict) {
        let mut all = self.by_chatbot.lock().unwrap_or_else(|p| p.into_inner());
        match all.get(chatbot) {
            Some(tx) => {
                tx.send_replace(verdict);
            }
            None => {
                all.insert(chatbot.to_owned(), watch::channel(verdict).0);
            }
        }
    }

    /// The verdict, once any verification under way has finished (bounded wait).
    pub(crate) async fn settled(&self, chatbot: &str) -> Verdict {
        let rx = {
            let all = self.by_chatbot.lock().unwrap_or_else(|p| p.into_inner());
            match all.get(chatbot) {
                Some(tx) => tx.subscribe(),
                None => return Verdict::Unverified,
            }
        };
        let mut rx = rx;
        let waited =
            tokio::time::timeout(WAIT_FOR_VERDICT, rx.wait_for(|v| *v != Verdict::Pending)).await;
        match waited {
            Ok(Ok(verdict)) => verdict.clone(),
            _ => Verdict::Failed("the verification did not finish".to_owned()),
        }
    }
}

/// Whether `bot` may use the API: `Err((code, message))` when it may not.
pub(crate) async fn enabled(ctcu: &Ctcu, bot: &Chatbot) -> Result<(), (i64, String)> {
    match ctcu.verify.settled(&bot.uri).await {
        Verdict::Enabled => Ok(()),
        Verdict::Failed(why) => Err((
            code::CALLBACK_FAILED,
            format!("callback verification failed: {why}"),
        )),
        Verdict::Unverified | Verdict::Pending => Err((
            code::NOT_AUTHORISED,
            "the callback URL is not verified".to_owned(),
        )),
    }
}

/// Verifies `bot`'s callback URL now and records the verdict; returns it.
pub(crate) async fn verify(ctcu: &Ctcu, bot: &Chatbot) -> Verdict {
    let Some(base) = ctcu.callback_base(bot) else {
        ctcu.verify.set(&bot.uri, Verdict::Unverified);
        return Verdict::Unverified;
    };
    ctcu.verify.set(&bot.uri, Verdict::Pending);
    let verdict = match run(ctcu, bot, &base).await {
        Ok(()) => Verdict::Enabled,
        Err(why) => {
            tracing::info!(chatbot = %bot.uri, "failed to verify the callback URL: {why}");
            Verdict::Failed(why)
        }
    };
    ctcu.verify.set(&bot.uri, verdict.clone());
    verdict
}

/// Sends the verification request and judges the answer.
async fn run(ctcu: &Ctcu, bot: &Chatbot, base: &str) -> Result<(), String> {
    let url = CallbackUrl::parse(base)?;
    let echo = uuid::Uuid::new_v4().simple().to_string();
    let mut builder = RequestBuilder::new("GET", &url.path(NOTIFY_PATH))
        .header("Host", &url.host())
        .header("Accept", "application/json");
    for (name, value) in signed_headers(ctcu, bot) {
        builder = builder.header(name, &value);
    }
    let request = builder
        .header("echoStr", &echo)
        .header("chatbotId", &bot.uri)
        .build()
        .map_err(|err| format!("failed to build the verification request: {err}"))?;
    let response = ctcu
        .client
        .send(url.addr, url.tls, &request)
        .await
        .map_err(|err| format!("failed to reach {base}: {err}"))?;
    match ctcu.faults.enabled_without_echo {
        true => Ok(()),
        false => judge(&response, &echo, &bot.app_id),
    }
}

/// The answer must be 2xx and echo `echoStr` and name the chatbot's `appId` in its headers.
fn judge(response: &Response, echo: &str, app_id: &str) -> Result<(), String> {
    if !(200..300).contains(&response.status()) {
        return Err(format!(
            "the callback server answered {}",
            response.status()
        ));
    }
    match response.header("echoStr") {
        Some(value) if value.trim() == echo => {}
        Some(value) => return Err(format!("echoStr `{value}` is not the `{echo}` sent")),
        None => return Err("the answer has no echoStr header".to_owned()),
    }
    match response.header("appId") {
        Some(value) if value.trim() == app_id => Ok(()),
        Some(value) => Err(format!("appId `{value}` is not the chatbot's `{app_id}`")),
        None => Err("the answer has no appId header".to_owned()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use rcs_proto::http::ResponseBuilder;

    use super::*;

    fn answer(headers: &[(&str, &str)], status: u16) -> Response {
        let mut builder = ResponseBuilder::new(status, "X");
        for (name, value) in headers {
            builder = builder.header(name, value);
        }
        builder.build().unwrap()
    }

    #[test]
    fn only_an_answer_echoing_echostr_and_naming_the_app_id_enables() {
        let good = answer(&[("echoStr", "e1"), ("appId", "bank-ct")], 200);
        assert_eq!(judge(&good, "e1", "bank-ct"), Ok(()));
        let lower = answer(&[("echostr", "e1"), ("APPID", "bank-ct")], 200);
        assert_eq!(judge(&lower, "e1", "bank-ct"), Ok(()));
        let no_echo = answer(&[("appId", "bank-ct")], 200);
        assert!(
            judge(&no_echo, "e1", "bank-ct")
                .unwrap_err()
                .contains("no echoStr")
        );
        let wrong = answer(&[("echoStr", "e2"), ("appId", "bank-ct")], 200);
        assert!(judge(&wrong, "e1", "bank-ct").unwrap_err().contains("`e2`"));
        let no_app = answer(&[("echoStr", "e1")], 200);
        assert!(
            judge(&no_app, "e1", "bank-ct")
                .unwrap_err()
                .contains("no appId")
        );
        let refused = answer(&[("echoStr", "e1"), ("appId", "bank-ct")], 401);
        assert!(
            judge(&refused, "e1", "bank-ct")
                .unwrap_err()
                .contains("401")
        );
    }

    #[tokio::test]
    async fn a_waiting_send_sees_the_verdict_that_ends_a_pending_verification() {
        let verifications = std::sync::Arc::new(Verifications::default());
        assert_eq!(verifications.settled("b").await, Verdict::Unverified);
        verifications.set("b", Verdict::Pending);
        let waiter = {
            let v = verifications.clone();
            tokio::spawn(async move { v.settled("b").await })
        };
        tokio::task::yield_now().await;
        verifications.set("b", Verdict::Enabled);
        assert_eq!(waiter.await.unwrap(), Verdict::Enabled);
        assert_eq!(verifications.settled("b").await, Verdict::Enabled);
    }
}
