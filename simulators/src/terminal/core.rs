//! One running terminal: its identity, sockets, clock, faults and memory, and the [`Agent`] the
//! runner drives.
//!
//! [`start`] binds the endpoint (UDP and TCP on the given address, one port for both; TLS on
//! another port when the role speaks it, trusting the profile's CA or the test CA), spawns the
//! task that reads what arrives (see `incoming`), starts the MSRP stack (TLS listeners when the
//! role speaks TLS, the MSRP faults set, the relay of the `msrp-relay` setting, RFC 4976) and
//! returns the agent. Actions run on the caller's task and are bounded in real time; the spawned
//! tasks are the reader, its follow-ups (IMDNs, sessions opening and closing) and one event pump
//! per MSRP session, and shutdown closes the sessions, stops the MSRP stack and the endpoint and
//! aborts the reader, so nothing outlives the case.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use rcs_harness::agent::{
    ActionOutput, Agent, AgentError, AgentSpec, BoxFuture, Endpoints, Peer, WireTap,
};
use rcs_harness::clock::Clock;
use rcs_harness::events::Transport;
use rcs_harness::role::{RoleKind, Subscriber};
use serde_json::{Map, Value};
use tokio::task::JoinHandle;

use super::client::Pending;
use super::faults::{Fault, Faults};
use super::ft_in::Offers;
use super::ft_params::FtHttp;
use super::invite_in::Acks;
use super::params::{self, Settings};
use super::reg_keeper::RegKeeper;
use super::reg_subscription::RegSubscription;
use super::request::Local;
use super::session::Sessions;
use super::state::State;
use super::tags::ContactTags;
use super::{actions, ids, incoming};
use crate::msrp::{Misbehaviour, MsrpStack};
use crate::net::{NetError, SipEndpoint, TlsConfig};

/// Everything an action or the reader needs, shared between them.
#[derive(Debug)]
pub(crate) struct Core {
    pub role: String,
    pub subscriber: Subscriber,
    pub peers: BTreeMap<String, Peer>,
    pub endpoint: SipEndpoint,
    pub clock: Clock,
    pub faults: Faults,
    pub settings: Settings,
    pub local: Local,
    /// The message center: where every originated request goes (outbound proxy).
    pub proxy: Option<Peer>,
    pub tags: ContactTags,
    pub pending: Pending,
    /// MSRP listeners and sessions (session and large-message mode).
    pub msrp: MsrpStack,
    pub sessions: Sessions,
    /// Accepted INVITEs awaiting their ACK.
    pub acks: Acks,
    /// Its group chats (protocols.md §6).
    pub groups: super::group_state::Groups,
    /// The HTTP client of file transfer (protocols.md §5).
    pub ft: FtHttp,
    /// The last FT descriptor received.
    pub ft_offers: Offers,
    /// Sent messages' status and received messages' read receipts (TRM-IMDN-002..005).
    pub receipts: super::receipts::Receipts,
    /// The refresh timer and other registration tasks.
    pub keeper: RegKeeper,
    /// The subscription to its own reg event.
    pub reg_subscription: RegSubscription,
    /// The configuration client and what it was told (protocols.md §2.1).
    pub autoconfig: super::autoconfig::AutoConfig,
    /// Its chatbot conversations (protocols.md §7).
    pub bots: super::bot_state::Bots,
    state: Mutex<State>,
}

impl Core {
    /// The terminal's memory. Never held across an await.
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        // The state stays usable even if a holder panicked.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The message center's address for `transport`.
    pub(crate) fn proxy_addr(&self, transport: Transport) -> Result<SocketAddr, String> {
        let peer = self
            .proxy
            .as_ref()
            .ok_or("the case has no message center to send to")?;
        // The configured P-CSCF wins (protocols.md §2.1 LBO_P-CSCF_Address).
        if let Some(pcscf) = self.autoconfig.pcscf() {
            return Ok(pcscf);
        }
        peer.sip_addr(transport).ok_or_else(|| {
            format!(
                "message center `{}` has no SIP {transport:?} address",
                peer.name
            )
        })
    }

    /// Resolves a case's `to`: a role name (its subscriber's IMPU; a `maap` role's default
    /// chatbot) or a URI as given.
    pub(crate) fn target(&self, to: &str) -> Result<String, String> {
        if to.contains(':') {
            return Ok(to.trim().to_owned());
        }
        let peer = self
            .peers
            .get(to)
            .ok_or_else(|| format!("no role `{to}` in the case"))?;
        if peer.kind == RoleKind::Maap {
            return Ok(super::bot_sip::DEFAULT_CHATBOT.to_owned());
        }
        peer.subscriber
            .as_ref()
            .map(Subscriber::sip_uri)
            .ok_or_else(|| format!("role `{to}` is a {} with no subscriber", peer.kind))
    }
}

/// How long a de-registration at the end of a case may take.
const RELEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The agent the runner holds.
struct Terminal {
    core: Arc<Core>,
    reader: Mutex<Option<JoinHandle<()>>>,
}

impl Agent for Terminal {
    fn endpoints(&self) -> Endpoints {
        self.core.endpoint.endpoints()
    }

    fn act<'a>(
        &'a self,
        action: &'a str,
        params: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<ActionOutput, AgentError>> {
        Box::pin(actions::act(&self.core, action, params))
    }

    /// A terminal still registered de-registers, so the next case finds the user offline.
    fn release(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let registered = self.core.state().registration.expires.is_some();
            if registered {
                let password = self.core.subscriber.password.clone();
                // Best effort: a registrar that does not answer has nothing left to release.
                let _ = self.core.register(0, &password, RELEASE_WAIT).await;
            }
        })
    }

    fn shutdown(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async move {
            self.core.keeper.stop();
            self.core.autoconfig.set_refetch(None);
            for session in self.core.sessions.drain() {
                session.close().await;
            }
            self.core.msrp.shutdown().await;
            self.core.endpoint.shutdown().await;
            let reader = self.reader.lock().unwrap_or_else(|p| p.into_inner()).take();
            if let Some(reader) = reader {
                reader.abort();
                // A cancelled task reports a JoinError; either way it is gone.
                let _ = reader.await;
            }
        })
    }
}

/// Starts a terminal for `spec` with SIP over UDP and TCP on `listen` (port 0: one port chosen by
/// the system) and MSRP on the same IP; returns the agent and its MSRP over TCP listener.
pub(crate) async fn start(
    listen: SocketAddr,
    spec: AgentSpec,
    tap: WireTap,
    clock: Clock,
) -> Result<(Box<dyn Agent>, SocketAddr), AgentError> {
    let bad = |detail: String| AgentError::BadAction {
        action: "start".to_owned(),
        detail: format!("terminal `{}`: {detail}", spec.role),
    };
    let subscriber = spec
        .subscriber
        .clone()
        .ok_or_else(|| bad("the role has no subscriber".to_owned()))?;
    let faults = Faults::from_ids(&spec.faults).map_err(bad)?;
    let settings: Settings = params::parse(&spec.settings).map_err(bad)?;
    let harness = |e: NetError| AgentError::Harness(format!("start terminal `{}`: {e}", spec.role));
    let tls = match spec.transport {
        Transport::Tls => Some(TlsConfig::from_trust(&spec.tls, &[]).map_err(harness)?),
        Transport::Udp | Transport::Tcp => None,
    };
    let msrp_tls = match spec.transport {
        Transport::Tls => Some(TlsConfig::from_trust(&spec.tls, &[]).map_err(harness)?),
        Transport::Udp | Transport::Tcp => None,
    };
    let msrp = MsrpStack::start(listen.ip(), msrp_tls, tap.clone(), clock.clone())
        .await
        .map_err(harness)?;
    msrp.set_misbehaviour(Misbehaviour {
        no_reports: faults.has(Fault::NoMsrpReport),
        report_partial_range: faults.has(Fault::MsrpPartialReport),
        ..Misbehaviour::default()
    });
    msrp.set_relay(settings.relay(&subscriber.impi, &subscriber.password));
    let ft = FtHttp::new(tap.clone(), TlsConfig::from_trust(&spec.tls, &[]).ok());
    let autoconfig =
        super::autoconfig::AutoConfig::new(tap.clone(), TlsConfig::from_trust(&spec.tls, &[]).ok());
    let (endpoint, incoming) = match SipEndpoint::bind_with_tls(listen, tap, tls).await {
        Ok(bound) => bound,
        Err(error) => {
            msrp.shutdown().await;
            return Err(harness(error));
        }
    };
    let local = Local {
        host_port: endpoint.local_addr(spec.transport).to_string(),
        transport: spec.transport,
        msisdn: subscriber.msisdn.clone(),
    };
    let core = Arc::new(Core {
        role: spec.role.clone(),
        state: Mutex::new(State::new(&subscriber)),
        tags: ContactTags::new(&ids::uuid(), faults.clone()).up10(!settings.chatbot_capable),
        // The message center of the carrier it is subscribed at (protocols.md §9.1), else any.
        proxy: (spec.peers.values())
            .find(|p| p.kind == RoleKind::MessageCenter && p.carrier == spec.carrier)
            .or_else(|| spec.peer_of_kind(RoleKind::MessageCenter))
            .cloned(),
        peers: spec.peers,
        subscriber,
        endpoint,
        clock,
        faults,
        settings,
        local,
        pending: Pending::default(),
        msrp,
        sessions: Sessions::default(),
        acks: Acks::default(),
        groups: super::group_state::Groups::default(),
        ft,
        ft_offers: Offers::default(),
        receipts: super::receipts::Receipts::default(),
        keeper: RegKeeper::default(),
        reg_subscription: RegSubscription::default(),
        autoconfig,
        bots: super::bot_state::Bots::default(),
    });
    let msrp_addr = core.msrp.listen_addr(false);
    let reader = tokio::spawn(incoming::run(core.clone(), incoming));
    let agent = Box::new(Terminal {
        core,
        reader: Mutex::new(Some(reader)),
    });
    // The stack always has its TCP listener; the fallback is never taken.
    Ok((agent, msrp_addr.unwrap_or(listen)))
}
