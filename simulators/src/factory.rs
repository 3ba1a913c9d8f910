//! The agent factory of the built-in simulators: what the command-line crate hands the runner.
//!
//! [`Simulators`] lists the fault catalogue and every action, validates actions, settings and
//! faults before a run, and starts the simulator of a role kind: `terminal` (a user's phone),
//! `message-center` (the 5G message center), `maap` (the chatbot platform), `csp-bot` (a
//! chatbot's own server), `sms-center` (the SMS centre behind fallback) and `peer-carrier` (the
//! interworking gateway toward another carrier). It holds no protocol logic of its own.

use rcs_harness::agent::{
    ActionSpec, Agent, AgentError, AgentFactory, AgentSpec, BoxFuture, FaultSpec, WireTap,
};
use rcs_harness::clock::Clock;
use rcs_harness::role::RoleKind;
use serde_json::{Map, Value};

use crate::faults::{catalogue, check_faults};
use crate::{csp_bot, iwg, maap, message_center, sms_center, terminal};

/// Starts the built-in simulators for the runner.
#[derive(Clone, Copy, Debug, Default)]
pub struct Simulators;

impl AgentFactory for Simulators {
    fn faults(&self) -> Vec<FaultSpec> {
        catalogue()
    }

    fn actions(&self) -> Vec<ActionSpec> {
        message_center::ACTIONS
            .iter()
            .chain(message_center::CONFIG_ACTIONS)
            .chain(terminal::ACTIONS)
            .cloned()
            .chain(csp_bot::actions())
            .chain(sms_center::ACTIONS.iter().cloned())
            .chain(maap::ACTIONS.iter().cloned())
            .collect()
    }

    fn check_action(
        &self,
        kind: RoleKind,
        action: &str,
        params: &Map<String, Value>,
    ) -> Result<(), String> {
        match kind {
            RoleKind::MessageCenter => message_center::check_action(action, params),
            RoleKind::Terminal => terminal::check_action(action, params),
            RoleKind::CspBot => csp_bot::check_action(action, params),
            RoleKind::SmsCenter => sms_center::check_action(action, params),
            RoleKind::Maap => maap::check_action(action, params),
            RoleKind::PeerCarrier => iwg::check_action(action, params),
        }
    }

    fn check_settings(&self, kind: RoleKind, settings: &Map<String, Value>) -> Result<(), String> {
        match kind {
            RoleKind::MessageCenter => message_center::check_settings(settings),
            RoleKind::Terminal => terminal::check_settings(settings),
            RoleKind::CspBot => csp_bot::check_settings(settings),
            RoleKind::SmsCenter => sms_center::check_settings(settings),
            RoleKind::Maap => maap::check_settings(settings),
            RoleKind::PeerCarrier => iwg::check_settings(settings),
        }
    }

    fn start<'a>(
        &'a self,
        spec: AgentSpec,
        tap: WireTap,
        clock: Clock,
    ) -> BoxFuture<'a, Result<Box<dyn Agent>, AgentError>> {
        Box::pin(async move {
            check_faults(spec.kind, &spec.faults).map_err(|detail| AgentError::BadAction {
                action: "start".to_owned(),
                detail,
            })?;
            match spec.kind {
                RoleKind::MessageCenter => message_center::start(spec, tap, clock).await,
                RoleKind::Terminal => terminal::start(spec, tap, clock).await,
                RoleKind::CspBot => csp_bot::start(spec, tap, clock).await,
                RoleKind::SmsCenter => sms_center::start(spec, tap, clock).await,
                RoleKind::Maap => maap::start(spec, tap, clock).await,
                RoleKind::PeerCarrier => iwg::start(spec, tap, clock).await,
            }
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;

    use rcs_harness::events::Transport;
    use serde_json::json;
    use tokio::sync::mpsc;

    use super::*;

    fn spec(kind: RoleKind, faults: &[&str]) -> AgentSpec {
        AgentSpec {
            case: "T-1".into(),
            role: "mc".into(),
            kind,
            faults: faults.iter().map(|f| (*f).to_owned()).collect(),
            transport: Transport::Udp,
            subscriber: None,
            subscribers: Vec::new(),
            peers: BTreeMap::new(),
            settings: Map::new(),
            tls: Default::default(),
            carrier: Default::default(),
        }
    }

    async fn start(spec: AgentSpec) -> Result<Box<dyn Agent>, AgentError> {
        let (tx, _rx) = mpsc::unbounded_channel();
        let clock = Clock::virtual_time();
        Simulators
            .start(spec, WireTap::new("mc", clock.clone(), tx), clock)
            .await
    }

    #[test]
    fn the_catalogue_and_checks_cover_both_kinds() {
        let faults = Simulators.faults();
        assert!(faults.iter().any(|f| f.kind == RoleKind::Terminal));
        assert!(faults.iter().any(|f| f.kind == RoleKind::MessageCenter));
        let settings = json!({"max-expires": 60}).as_object().unwrap().clone();
        assert!(
            Simulators
                .check_settings(RoleKind::MessageCenter, &settings)
                .is_ok()
        );
        let wrong = json!({"max-expire": 60}).as_object().unwrap().clone();
        assert!(
            Simulators
                .check_settings(RoleKind::MessageCenter, &wrong)
                .is_err()
        );
        let err = Simulators
            .check_action(RoleKind::PeerCarrier, "send", &Map::new())
            .unwrap_err();
        assert_eq!(err, "a peer-carrier has no action `send` (it has none)");
        assert!(
            Simulators
                .check_action(RoleKind::MessageCenter, "register", &Map::new())
                .is_err()
        );
    }

    #[tokio::test]
    async fn start_dispatches_on_kind_and_rejects_unknown_faults() {
        let agent = start(spec(RoleKind::MessageCenter, &["message-center.omit-qop"]))
            .await
            .unwrap();
        let endpoints = agent.endpoints();
        assert_eq!(
            endpoints.sip_udp.unwrap().port(),
            endpoints.sip_tcp.unwrap().port()
        );
        let err = agent.act("register", &Map::new()).await.unwrap_err();
        assert!(matches!(err, AgentError::BadAction { ref action, .. } if action == "register"));
        agent.shutdown().await;

        let err = start(spec(RoleKind::MessageCenter, &["terminal.reject-message"]))
            .await
            .err()
            .unwrap();
        assert!(matches!(err, AgentError::BadAction { .. }), "{err}");
        let gateway = start(spec(RoleKind::PeerCarrier, &["peer-carrier.new-icid"]))
            .await
            .unwrap();
        assert!(gateway.endpoints().sip_udp.is_some());
        gateway.shutdown().await;
    }
}
