//! The SMS center simulator (role kind `sms-center`): the SMS side of network fallback
//! (protocols.md §9.2), taking short messages over IP as TS 24.341 describes (contracts §J).
//!
//! It listens for SIP on UDP and TCP on one OS-chosen port (and TLS when the case runs over
//! TLS), answers each SMS-over-IP MESSAGE with 202 and then an RP-ACK MESSAGE ([`service`]),
//! joins concatenated messages ([`inbox`]) and lists what it got with the action `delivered`:
//! `count`, and for the last message `last.text`, `last.to`, `last.from`, `last.segments`,
//! `last.coding` (`gsm7`|`ucs2`), and `<n>.text`, `<n>.to`… for each; it first waits up to 2 s
//! for the missing parts of a concatenated message. Its SIP traffic is judged
//! with `sip:` expectations at its role. Settings: `number`, the centre's own number (default
//! `+8613800100500`). It delivers nothing onwards to phones.

mod inbox;
mod rp_ack;
mod service;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use rcs_harness::agent::{
    ActionOutput, ActionSpec, Agent, AgentError, AgentSpec, BoxFuture, Endpoints, WireTap,
};
use rcs_harness::clock::Clock;
use rcs_harness::events::Transport;
use rcs_harness::role::{HOME_DOMAIN, RoleKind};
use rcs_proto::sms::Coding;
use serde_json::{Map, Value};

use crate::net::{NetError, ShutdownTrigger, SipEndpoint, TlsConfig};
use service::Centre;

/// The centre's number unless the case names one.
pub const DEFAULT_NUMBER: &str = "+8613800100500";

/// How long `delivered` waits for the missing parts of a concatenated message.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(2);

/// The actions an SMS center performs.
pub const ACTIONS: &[ActionSpec] = &[ActionSpec {
    kind: RoleKind::SmsCenter,
    name: "delivered",
    description: "list the short messages received (count, last.text, last.to, last.from, last.segments)",
}];

/// Checks an action's parameters at load time.
pub fn check_action(action: &str, params: &Map<String, Value>) -> Result<(), String> {
    match action {
        "delivered" if params.is_empty() => Ok(()),
        "delivered" => Err("`delivered` takes no parameters".to_owned()),
        other => Err(format!(
            "an sms-center has no action `{other}` (it has: delivered)"
        )),
    }
}

/// Checks an SMS center's settings (`number`).
pub fn check_settings(settings: &Map<String, Value>) -> Result<(), String> {
    number(settings).map(|_| ())
}

/// The `number` setting: `+` and digits.
fn number(settings: &Map<String, Value>) -> Result<String, String> {
    if let Some(unknown) = settings.keys().find(|k| k.as_str() != "number") {
        return Err(format!(
            "unknown sms-center setting `{unknown}` (known: number)"
        ));
    }
    let Some(value) = settings.get("number") else {
        return Ok(DEFAULT_NUMBER.to_owned());
    };
    let text = value.as_str().ok_or("setting `number` must be a string")?;
    let digits = text.strip_prefix('+').unwrap_or(text);
    if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("setting `number` `{text}` is not +digits"));
    }
    Ok(text.to_owned())
}

/// Starts an SMS center for a case on `127.0.0.1` with OS-chosen ports.
pub async fn start(
    spec: AgentSpec,
    tap: WireTap,
    clock: Clock,
) -> Result<Box<dyn Agent>, AgentError> {
    let number = number(&spec.settings).map_err(|detail| AgentError::BadAction {
        action: "start".to_owned(),
        detail,
    })?;
    let tls = match spec.transport {
        Transport::Tls => Some(
            TlsConfig::from_trust(&spec.tls, &[HOME_DOMAIN.to_owned()])
                .map_err(|err| AgentError::Harness(format!("start the sms center: {err}")))?,
        ),
        Transport::Udp | Transport::Tcp => None,
    };
    let any = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    SmsCenter::start(any, number, tls, tap, clock)
        .await
        .map(|centre| Box::new(centre) as Box<dyn Agent>)
        .map_err(|err| AgentError::Harness(format!("start the sms center: {err}")))
}

/// A running SMS center.
#[derive(Debug)]
pub struct SmsCenter {
    centre: Arc<Centre>,
    trigger: Mutex<Option<ShutdownTrigger>>,
}

impl SmsCenter {
    /// Binds `addr` (UDP and TCP; TLS too with `tls`) and starts serving.
    pub async fn start(
        addr: SocketAddr,
        number: String,
        tls: Option<TlsConfig>,
        tap: WireTap,
        clock: Clock,
    ) -> Result<Self, NetError> {
        let (endpoint, incoming) = SipEndpoint::bind_with_tls(addr, tap, tls).await?;
        let centre = Arc::new(Centre::new(endpoint, clock, number));
        let trigger = ShutdownTrigger::new();
        tokio::spawn(service::run(centre.clone(), incoming, trigger.listener()));
        Ok(Self {
            centre,
            trigger: Mutex::new(Some(trigger)),
        })
    }

    /// Its SIP addresses.
    pub fn endpoints(&self) -> Endpoints {
        self.centre.endpoint.endpoints()
    }

    /// What the `delivered` action reports.
    pub fn delivered(&self) -> ActionOutput {
        let inbox = self.centre.inbox.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = ActionOutput::default();
        let mut count = 0;
        for (n, message) in inbox.messages().enumerate() {
            count = n + 1;
            for prefix in [n.to_string(), "last".to_owned()] {
                let mut put = |field: &str, value: String| {
                    out.values.insert(format!("{prefix}.{field}"), value);
                };
                put("text", message.text.clone());
                put("to", message.to.clone());
                put("from", message.from.clone());
                put("segments", message.segments.to_string());
                let coding = match message.coding {
                    Coding::Gsm7 => "gsm7",
                    Coding::Ucs2 => "ucs2",
                };
                put("coding", coding.to_owned());
            }
        }
        out.values.insert("count".to_owned(), count.to_string());
        out.values
            .insert("unfinished".to_owned(), inbox.unfinished().to_string());
        out.summary = format!("{count} short messages received");
        out
    }

    /// Waits, at most [`SETTLE`], while a concatenated message still misses parts: its first
    /// part's `202` can be seen before the later parts have arrived. A part that never comes
    /// leaves `unfinished` above zero in what `delivered` reports.
    async fn settle(&self) {
        let deadline = tokio::time::Instant::now() + SETTLE;
        while self.unfinished() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    fn unfinished(&self) -> usize {
        let inbox = self.centre.inbox.lock().unwrap_or_else(|p| p.into_inner());
        inbox.unfinished()
    }

    /// Stops serving and closes every socket.
    pub async fn stop(&self) {
        let trigger = self
            .trigger
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(trigger) = trigger {
            trigger.shutdown().await;
        }
        self.centre.endpoint.shutdown().await;
    }
}

impl Agent for SmsCenter {
    fn endpoints(&self) -> Endpoints {
        SmsCenter::endpoints(self)
    }

    fn act<'a>(
        &'a self,
        action: &'a str,
        params: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<ActionOutput, AgentError>> {
        Box::pin(async move {
            check_action(action, params).map_err(|detail| AgentError::BadAction {
                action: action.to_owned(),
                detail,
            })?;
            self.settle().await;
            Ok(self.delivered())
        })
    }

    fn shutdown(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move { self.stop().await })
    }
}
