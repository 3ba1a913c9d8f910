//! The MaaP's message engine: what the northbound developer APIs call to send, revoke and learn
//! what happened (protocols.md §8.3 northbound ⇄ southbound mapping, §10.2 policy, §10.3 CDRs).
//!
//! [`Engine::admit`] runs the whole-request policy; [`Engine::submit`] delivers to each recipient
//! (the §7.2 MESSAGE through the message center, SMS fallback on 404) and reports every outcome
//! as a [`BotEvent::Status`] to the family's [`Northbound`]; user messages and IMDNs coming up
//! the southbound side become [`BotEvent`]s too (`southbound`). The types here are the contract
//! between the engine and the family modules; the delivery steps are in `delivery`.
//!
//! Events reach a chatbot's Northbound in the order the engine gives them: each chatbot has one
//! queue, and the callback one event makes is finished before the next event's starts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use rcs_harness::agent::BoxFuture;
use tokio::sync::mpsc;

use super::carrier::CarrierRules;
use super::cdr::{Cdr, CdrFaults, Cdrs};
use super::chatbots::{Chatbot, Family};
use super::core::MaapCore;
use super::policy::{Policy, PolicyFaults};
use super::tracking::Tracking;

/// One northbound send request, as the family modules hand it to the engine.
#[derive(Clone, Debug)]
pub(crate) struct Outbound {
    pub chatbot: String,
    /// Recipients, `tel:+86…`.
    pub to: Vec<String>,
    pub content_type: String,
    pub body: Vec<u8>,
    /// The API message id, sent as `imdn.Message-ID`.
    pub message_id: String,
    pub conversation_id: String,
    pub contribution_id: String,
    pub in_reply_to: Option<String>,
    pub traffic_type: Option<String>,
    pub reports: Vec<Report>,
    /// `storeSupported` (§8.3); the message center decides store-and-forward here.
    #[allow(dead_code)]
    pub store: bool,
    /// The SMS fallback text; None: no SMS fallback.
    pub sms_text: Option<String>,
    /// The UP1.0 fallback (`fallbackSupported`, `rcsBodyText`); None: not stated (`up10_fallback`).
    pub rcs_fallback: Option<super::up10_fallback::Up10>,
    /// A reply through the interaction API (needs the interaction right) rather than a push.
    pub interaction: bool,
    /// What the request says about users of other carriers (CMCC `otherNetSupport`,
    /// `otherSmsBodyText`; protocols.md §8.1.4, §9.3).
    pub other_net: super::carrier::OtherNetAsk,
    /// The API the request came in through (the engine finds the family from the chatbot).
    #[allow(dead_code)]
    pub family: Family,
}

/// A delivery report the chatbot asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Report {
    Sent,
    Delivered,
    Displayed,
    Failed,
    ToNetwork,
}

/// Why a whole request is refused (nothing is sent).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Refusal {
    UnknownChatbot,
    Paused,
    RateLimited,
    DailyCap,
    NoInteractionRight,
    NoPushRight,
    SensitiveWord(String),
    /// The validator's error, naming the JSON pointer at fault.
    InvalidContent(String),
}

/// Where a message stands for one recipient.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Delivery {
    Sent,
    Delivered,
    Displayed,
    Failed {
        cause: FailCause,
    },
    /// Handed to the SMS network instead.
    ToNetwork,
    Revoked,
    RevokeFailed,
}

/// Why a recipient was not reached (the CT/CU error code is the number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FailCause {
    NotFound = 1,
    NotRcs = 2,
    BadContent = 3,
    Offline = 4,
    Blocked = 5,
}

/// Something the chatbot's server is to be told. The family modules read what they need; the
/// chatbot and sender fields are there for every reader.
#[derive(Clone, Debug)]
#[allow(dead_code)]
pub(crate) enum BotEvent {
    Status {
        chatbot: String,
        message_id: String,
        recipient: String,
        delivery: Delivery,
    },
    Uplink {
        chatbot: String,
        /// The user's tel URI.
        sender: String,
        message_id: String,
        content_type: String,
        body: Vec<u8>,
        conversation_id: Option<String>,
        contribution_id: Option<String>,
        in_reply_to: Option<String>,
        date_time: String,
    },
    Spam {
        chatbot: String,
        sender: String,
        report: rcs_proto::bot::SpamReport,
    },
}

/// A family module's way of turning events into callbacks to the chatbot's server.
pub(crate) trait Northbound: Send + Sync {
    fn notify(&self, bot: &Chatbot, event: BotEvent) -> BoxFuture<'static, ()>;
}

/// The engine the northbound modules hold. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    core: Arc<MaapCore>,
    policy: Mutex<Arc<Policy>>,
    cdrs: Arc<Cdrs>,
    northbound: Mutex<HashMap<&'static str, Arc<dyn Northbound>>>,
    /// Per chatbot URI, the queue of its callbacks (posted one after the other).
    notices: Mutex<HashMap<String, mpsc::UnboundedSender<BoxFuture<'static, ()>>>>,
    tracking: Tracking,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine sending through `core`, with a policy built from its settings.
    pub(crate) fn new(core: Arc<MaapCore>) -> Self {
        let policy = policy_of(&core);
        let cdrs = Cdrs::with_faults(CdrFaults::from_ids(&core.faults));
        Self {
            inner: Arc::new(Inner {
                core,
                policy: Mutex::new(Arc::new(policy)),
                cdrs: Arc::new(cdrs),
                northbound: Mutex::new(HashMap::new()),
                notices: Mutex::new(HashMap::new()),
                tracking: Tracking::default(),
            }),
        }
    }

    /// The SIP side and settings of the MaaP.
    pub(crate) fn core(&self) -> &Arc<MaapCore> {
        &self.inner.core
    }

    /// The billing records.
    pub(crate) fn cdrs(&self) -> &Arc<Cdrs> {
        &self.inner.cdrs
    }

    /// What was sent and what came back, by message and recipient.
    pub(crate) fn tracking(&self) -> &Tracking {
        &self.inner.tracking
    }

    /// The policy in force.
    pub(crate) fn policy(&self) -> Arc<Policy> {
        lock(&self.inner.policy).clone()
    }

    /// Rebuilds the policy from the core's settings (once user names are resolved).
    pub(crate) fn reload_policy(&self) {
        let policy = policy_of(&self.inner.core);
        *lock(&self.inner.policy) = Arc::new(policy);
    }

    /// The chatbot with this URI or app id.
    pub(crate) fn chatbot(&self, uri_or_app_id: &str) -> Option<Chatbot> {
        self.inner.core.settings().chatbot(uri_or_app_id).cloned()
    }

    /// Whole-request policy (§10.2). A refusal records a non-chargeable `rejected_policy` CDR
    /// per recipient and sends nothing.
    pub(crate) fn admit(&self, out: &Outbound) -> Result<(), Refusal> {
        let Some(bot) = self.chatbot(&out.chatbot) else {
            return Err(Refusal::UnknownChatbot);
        };
        let now = self.inner.core.clock.now();
        let decided = self.policy().admit(&bot, out, now);
        if let Err(refusal) = &decided {
            for to in &out.to {
                let mut cdr = self.a2p_cdr(&bot, out, to);
                cdr.final_status = "rejected_policy".to_owned();
                cdr.failure_cause = format!("{refusal:?}");
                cdr.chargeable = false;
                self.inner.cdrs.record(cdr);
            }
        }
        decided
    }

    /// Delivers `out` to each recipient in tasks of their own; returns at once.
    pub(crate) fn submit(&self, out: Outbound) {
        let Some(bot) = self.chatbot(&out.chatbot) else {
            tracing::warn!(chatbot = %out.chatbot, "submit for an unknown chatbot dropped");
            return;
        };
        let out = Arc::new(out);
        for to in out.to.clone() {
            let engine = self.clone();
            let (bot, out) = (bot.clone(), out.clone());
            tokio::spawn(async move { engine.deliver(&bot, &out, &to).await });
        }
    }

    /// Withdraws a message not yet delivered to `to` (§4.9): Revoked, else RevokeFailed.
    pub(crate) async fn revoke(&self, chatbot: &str, message_id: &str, to: &str) -> Delivery {
        self.revoke_one(chatbot, message_id, to).await
    }

    /// Sets the module that tells `family` chatbots' servers what happened.
    pub(crate) fn set_northbound(&self, family: Family, nb: Arc<dyn Northbound>) {
        lock(&self.inner.northbound).insert(family.as_str(), nb);
    }

    /// Gives `event` to the Northbound of `bot`'s family; what it posts goes after everything
    /// given before for the same chatbot.
    pub(crate) fn notify(&self, bot: &Chatbot, event: BotEvent) {
        let nb = lock(&self.inner.northbound)
            .get(bot.family.as_str())
            .cloned();
        match nb {
            Some(nb) => self.queue(&bot.uri, nb.notify(bot, event)),
            None => tracing::debug!(chatbot = %bot.uri, ?event, "no northbound for the family"),
        }
    }

    /// Runs `work` after the work queued before for `chatbot`, in the chatbot's queue task.
    fn queue(&self, chatbot: &str, work: BoxFuture<'static, ()>) {
        let mut notices = lock(&self.inner.notices);
        let sender = notices.entry(chatbot.to_owned()).or_insert_with(|| {
            let (tx, mut rx) = mpsc::unbounded_channel::<BoxFuture<'static, ()>>();
            tokio::spawn(async move {
                while let Some(work) = rx.recv().await {
                    work.await;
                }
            });
            tx
        });
        // The queue task ends only when the engine (which holds the sender) is dropped.
        let _ = sender.send(work);
    }

    /// The A2P_MT record of `out` for `to`, before its outcome is known.
    pub(crate) fn a2p_cdr(&self, bot: &Chatbot, out: &Outbound, to: &str) -> Cdr {
        Cdr {
            record_type: "A2P_MT".to_owned(),
            service_mode: "pager".to_owned(),
            originator: bot.uri.clone(),
            recipient: to.to_owned(),
            chatbot_id: bot.uri.clone(),
            traffic_type: out.traffic_type.clone().unwrap_or_default(),
            conversation_id: out.conversation_id.clone(),
            contribution_id: out.contribution_id.clone(),
            imdn_message_id: out.message_id.clone(),
            api_message_id: out.message_id.clone(),
            content_type: out.content_type.clone(),
            size_bytes: out.body.len() as u64,
            submit_time: super::ids::now_rfc3339(),
            cdr_id: super::ids::uuid(),
            ..Cdr::default()
        }
    }
}

/// The policy of the core's settings, bent by its faults.
fn policy_of(core: &MaapCore) -> Policy {
    let settings = core.settings();
    let carriers = CarrierRules::new(&settings, &core.subscribers, &core.faults);
    Policy::with_faults(&settings, PolicyFaults::from_ids(&core.faults)).with_carriers(carriers)
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}
