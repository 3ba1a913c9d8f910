//! What every part of the chatbot server shares: its settings, its HTTP client to the MaaP, the
//! callbacks it has received, and the auto-replies it has sent (contracts §G).
//!
//! The family modules (`cmcc`, `ctcu`) read and write the [`BotCore`]: they send through
//! [`BotCore::to_maap`], keep an access token in `token`, and turn each callback request into a
//! [`Callback`] that the callback server records here. This module does not parse any
//! developer-API document: the family modules do.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rcs_harness::agent::{ActionOutput, Peer, WireTap};
use rcs_harness::clock::Clock;
use rcs_proto::http::{Request, Response};
use tokio::sync::watch;

use super::settings::BotSettings;
use crate::http::HttpClient;

/// What a callback from the MaaP told the chatbot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum CallbackKind {
    /// A user's message or suggestion tap (CMCC InboundMessageNotification, CT/CU uplink).
    Uplink,
    /// A delivery or display status (DeliveryInfoNotification, CT/CU status).
    Status,
    /// A user's spam report.
    Spam,
    /// A callback-address verification (echo).
    Verify,
    /// A chatbot or template audit result.
    Audit,
    #[default]
    Other,
}

impl CallbackKind {
    pub(crate) const ALL: [CallbackKind; 6] = [
        Self::Uplink,
        Self::Status,
        Self::Spam,
        Self::Verify,
        Self::Audit,
        Self::Other,
    ];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Uplink => "uplink",
            Self::Status => "status",
            Self::Spam => "spam",
            Self::Verify => "verify",
            Self::Audit => "audit",
            Self::Other => "other",
        }
    }

    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
            .ok_or_else(|| {
                format!("callback kind `{text}` is not one of uplink, status, spam, verify, audit, other")
            })
    }
}

/// One callback as the chatbot understood it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Callback {
    pub kind: CallbackKind,
    /// The message it is about (status) or the user message's id (uplink).
    pub message_id: Option<String>,
    /// The postback data of a tapped suggestion.
    pub postback: Option<String>,
    pub contribution_id: Option<String>,
    /// The user (tel URI) who sent it.
    pub sender: Option<String>,
    /// The delivery status as the API names it, e.g. `DeliveredToTerminal`, `MessageDisplayed`.
    pub status: Option<String>,
}

/// An auto-reply the chatbot sent, or why it could not.
pub(crate) type SentReply = Result<ActionOutput, String>;

/// The state of one chatbot server.
#[allow(
    dead_code,
    reason = "the family modules read what the generic actions do not"
)]
pub(crate) struct BotCore {
    pub settings: BotSettings,
    pub http: HttpClient,
    /// The MaaP's developer API (from `maap-api`, else the `maap` peer's HTTP address).
    pub maap: Mutex<Option<SocketAddr>>,
    /// Every callback received, in order.
    pub callbacks: Mutex<Vec<Callback>>,
    pub clock: Clock,
    pub tap: WireTap,
    /// The access token the family module obtained, if its API uses one.
    pub token: Mutex<Option<String>>,
    /// Whether the MaaP's API is HTTPS (the case runs over TLS, or `maap-api` says `https://`).
    pub maap_tls: bool,
    /// The fault ids this chatbot server was started with.
    pub faults: Vec<String>,
    /// The case's roles by name, once every one has started.
    pub peers: Mutex<BTreeMap<String, Peer>>,
    /// The auto-replies sent, in order.
    pub replies: Mutex<Vec<SentReply>>,
    /// How many callbacks were recorded (waiters watch it).
    arrived: watch::Sender<usize>,
    /// Callbacks a `wait-callback` has already matched.
    claimed: Mutex<Vec<usize>>,
}

/// Locks a mutex, taking over one a panicking holder left poisoned.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl BotCore {
    pub(crate) fn new(
        settings: BotSettings,
        http: HttpClient,
        clock: Clock,
        tap: WireTap,
        maap_tls: bool,
        faults: Vec<String>,
    ) -> Self {
        let maap = settings.maap_api.map(|api| api.addr);
        Self {
            settings,
            http,
            maap: Mutex::new(maap),
            callbacks: Mutex::default(),
            clock,
            tap,
            token: Mutex::default(),
            maap_tls,
            faults,
            peers: Mutex::default(),
            replies: Mutex::default(),
            arrived: watch::Sender::new(0),
            claimed: Mutex::default(),
        }
    }

    /// True when started with fault `id`.
    #[allow(dead_code, reason = "for the family modules' faults")]
    pub(crate) fn has_fault(&self, id: &str) -> bool {
        self.faults.iter().any(|f| f == id)
    }

    /// The MaaP's developer API address.
    pub(crate) fn maap_addr(&self) -> Result<SocketAddr, String> {
        (*lock(&self.maap)).ok_or_else(|| {
            "reach the maap: no `maap` role with an HTTP server and no `maap-api` setting"
                .to_owned()
        })
    }

    /// Sends `request` to the MaaP's developer API and returns its response.
    pub(crate) async fn to_maap(&self, request: &Request) -> Result<Response, String> {
        let addr = self.maap_addr()?;
        self.http
            .send(addr, self.maap_tls, request)
            .await
            .map_err(|err| format!("reach the maap at {addr}: {err}"))
    }

    /// A role name of the case as the user's tel URI; tel and sip URIs are kept, `+86…` gets `tel:`.
    #[allow(dead_code, reason = "for the family modules' `send`")]
    pub(crate) fn tel_of(&self, who: &str) -> String {
        let peers = lock(&self.peers);
        if let Some(subscriber) = peers.get(who).and_then(|p| p.subscriber.as_ref()) {
            return format!("tel:{}", subscriber.msisdn);
        }
        if who.starts_with('+') {
            return format!("tel:{who}");
        }
        who.to_owned()
    }

    /// Learns the case's roles, and the MaaP's address unless a setting names it.
    pub(crate) fn learn_peers(&self, peers: &BTreeMap<String, Peer>) {
        *lock(&self.peers) = peers.clone();
        if self.settings.maap_api.is_some() {
            return;
        }
        let maap = peers
            .values()
            .find(|p| p.kind == rcs_harness::role::RoleKind::Maap)
            .and_then(|p| p.http);
        if let Some(addr) = maap {
            *lock(&self.maap) = Some(addr);
        }
    }

    /// Records a callback and wakes whoever waits for one.
    pub(crate) fn record(&self, callback: Callback) {
        let count = {
            let mut callbacks = lock(&self.callbacks);
            callbacks.push(callback);
            callbacks.len()
        };
        self.arrived.send_replace(count);
    }

    /// Every callback so far.
    pub(crate) fn callbacks(&self) -> Vec<Callback> {
        lock(&self.callbacks).clone()
    }

    /// Waits up to `within` for a callback matching `wanted` that no earlier wait matched, and
    /// claims it; callbacks received before the wait count too.
    pub(crate) async fn wait_for(
        &self,
        wanted: impl Fn(&Callback) -> bool,
        within: Duration,
    ) -> Option<Callback> {
        let mut arrived = self.arrived.subscribe();
        let search = async {
            loop {
                if let Some(found) = self.claim(&wanted) {
                    return found;
                }
                if arrived.changed().await.is_err() {
                    // The sender lives in `self`: it cannot be gone while we borrow it.
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::time::timeout(within, search).await.ok()
    }

    fn claim(&self, wanted: &impl Fn(&Callback) -> bool) -> Option<Callback> {
        let callbacks = lock(&self.callbacks);
        let mut claimed = lock(&self.claimed);
        let (index, found) = callbacks
            .iter()
            .enumerate()
            .find(|(i, c)| !claimed.contains(i) && wanted(c))?;
        claimed.push(index);
        Some(found.clone())
    }

    /// The `send` parameters of the auto-reply to `callback`, when it is an uplink whose postback
    /// data has an entry in `replies`: that entry, addressed to the sender, in reply to its
    /// contribution.
    pub(crate) fn reply_to(
        &self,
        callback: &Callback,
    ) -> Option<serde_json::Map<String, serde_json::Value>> {
        if callback.kind != CallbackKind::Uplink {
            return None;
        }
        let postback = callback.postback.as_deref()?;
        let mut params = self.settings.replies.get(postback)?.clone();
        if let Some(sender) = &callback.sender {
            params.insert("to".to_owned(), sender.clone().into());
        }
        if let Some(contribution) = &callback.contribution_id {
            params.insert("reply-to".to_owned(), contribution.clone().into());
        }
        Some(params)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use serde_json::json;
    use tokio::sync::mpsc;

    use super::*;
    use crate::csp_bot::settings::BotSettings;

    fn core(settings: serde_json::Value) -> BotCore {
        let (tx, _rx) = mpsc::unbounded_channel();
        let clock = Clock::virtual_time();
        let tap = WireTap::new("bank", clock.clone(), tx);
        let settings = BotSettings::from_map(settings.as_object().unwrap()).unwrap();
        BotCore::new(
            settings,
            HttpClient::new(tap.clone(), None),
            clock,
            tap,
            false,
            vec![],
        )
    }

    fn uplink(postback: &str) -> Callback {
        Callback {
            kind: CallbackKind::Uplink,
            postback: Some(postback.to_owned()),
            sender: Some("tel:+8613800000001".to_owned()),
            contribution_id: Some("c-1".to_owned()),
            ..Callback::default()
        }
    }

    #[test]
    fn kinds_read_back_their_names() {
        for kind in CallbackKind::ALL {
            assert_eq!(CallbackKind::parse(kind.as_str()), Ok(kind));
        }
        assert!(CallbackKind::parse("uplinks").is_err());
    }

    #[test]
    fn a_known_postback_gets_its_reply_addressed_to_the_sender() {
        let core = core(json!({"replies": {"installments": {"text": "3 期"}}}));
        let params = core.reply_to(&uplink("installments")).unwrap();
        assert_eq!(params["text"], "3 期");
        assert_eq!(params["to"], "tel:+8613800000001");
        assert_eq!(params["reply-to"], "c-1");
        assert!(core.reply_to(&uplink("pay-now")).is_none());
        let status = Callback {
            kind: CallbackKind::Status,
            postback: Some("installments".to_owned()),
            ..Callback::default()
        };
        assert!(core.reply_to(&status).is_none());
    }

    #[tokio::test]
    async fn each_wait_claims_its_own_callback() {
        let core = std::sync::Arc::new(core(json!({})));
        core.record(uplink("a"));
        let any = |c: &Callback| c.kind == CallbackKind::Uplink;
        let first = core.wait_for(any, Duration::from_millis(10)).await;
        assert_eq!(first.unwrap().postback.as_deref(), Some("a"));
        assert!(
            core.wait_for(any, Duration::from_millis(10))
                .await
                .is_none()
        );
        let later = core.clone();
        let waiter = tokio::spawn(async move { later.wait_for(any, Duration::from_secs(5)).await });
        tokio::task::yield_now().await;
        core.record(uplink("b"));
        let second = waiter.await.unwrap().unwrap();
        assert_eq!(second.postback.as_deref(), Some("b"));
        assert_eq!(core.callbacks().len(), 2);
    }

    #[test]
    fn role_names_become_tel_uris() {
        let core = core(json!({}));
        let mut peers = BTreeMap::new();
        peers.insert(
            "alice".to_owned(),
            Peer {
                name: "alice".into(),
                kind: rcs_harness::role::RoleKind::Terminal,
                subscriber: Some(rcs_harness::role::Subscriber {
                    msisdn: "+8613800000001".into(),
                    impi: "alice".into(),
                    password: "p".into(),
                    rcs: true,
                    domain: "d".into(),
                    k: None,
                    opc: None,
                    sqn: 0,
                    carrier: Default::default(),
                }),
                sip_udp: None,
                sip_tcp: None,
                sip_tls: None,
                http: None,
                carrier: Default::default(),
            },
        );
        peers.insert(
            "maap".to_owned(),
            Peer {
                name: "maap".into(),
                kind: rcs_harness::role::RoleKind::Maap,
                subscriber: None,
                sip_udp: None,
                sip_tcp: None,
                sip_tls: None,
                http: Some("127.0.0.1:9".parse().unwrap()),
                carrier: Default::default(),
            },
        );
        assert!(core.maap_addr().is_err());
        core.learn_peers(&peers);
        assert_eq!(core.maap_addr().unwrap().port(), 9);
        assert_eq!(core.tel_of("alice"), "tel:+8613800000001");
        assert_eq!(core.tel_of("+8613800000002"), "tel:+8613800000002");
        assert_eq!(core.tel_of("sip:bob@x"), "sip:bob@x");
    }
}
