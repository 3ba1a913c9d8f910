//! Executing one case: start its topology on fresh ports, run its steps, judge, stop everything.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tokio::sync::mpsc;

use crate::agent::{Agent, AgentError, AgentSpec, Peer, WireTap};
use crate::case::model::StepKind;
use crate::case::refs::interpolate;
use crate::clock::Clock;
use crate::events::{
    ActionDone, CaseFinished, CaseHeader, CaseStarted, CheckOutcome, Event, RoleBinding,
    StepStarted, Transport,
};
use crate::plan::Execution;
use crate::profile::Hook;
use crate::runner::RunContext;
use crate::runner::hooks::{self, HookResult};
use crate::runner::observe::{Observations, collect};
use crate::runner::topology::{Lease, external_under_test, role_vars, symbol_vars};
use crate::verdict::Verdict;

/// One check's result, before it becomes an event.
struct Outcome<'a> {
    step: usize,
    line: usize,
    rule: &'a str,
    what: String,
    expected: String,
    observed: String,
    passed: bool,
    frame: Option<u64>,
}

/// How a case execution ended, before it becomes a CaseFinished event.
enum Ending {
    Completed,
    Stopped(String),
    Skipped(String),
    Broken(String),
}

struct CaseRun<'a> {
    exec: &'a Execution,
    ctx: &'a RunContext,
    agents: BTreeMap<String, Box<dyn Agent>>,
    peers: BTreeMap<String, Peer>,
    vars: BTreeMap<String, String>,
    log: Arc<Observations>,
    clock: Clock,
    failed_checks: usize,
    /// The role under test is an external system.
    external: bool,
    /// The subscribers this execution uses, held until it ends.
    lease: Option<Lease>,
}

/// The header events describe the case with.
pub fn case_header(exec: &Execution) -> CaseHeader {
    let c = &exec.case;
    CaseHeader {
        key: exec.key.clone(),
        id: c.id.clone(),
        title: c.title.clone(),
        suite: c.suite.as_str().to_owned(),
        feature: c.feature.clone(),
        file: c.file.display().to_string(),
        refs: c.refs.clone(),
        under_test: c.under_test.clone(),
        under_test_kind: c.under_test_kind().as_str().to_owned(),
        fault: exec.fault.clone(),
    }
}

/// Run one execution to its CaseFinished event (also emitted).
pub async fn execute(exec: &Execution, ctx: &RunContext) -> Verdict {
    let started = Instant::now();
    let external = external_under_test(&exec.case, ctx.profile.as_deref()).cloned();
    let clock = if external.is_none() {
        Clock::virtual_time()
    } else {
        Clock::real()
    };
    let (tap_tx, tap_rx) = mpsc::unbounded_channel();
    let mut run = CaseRun {
        exec,
        ctx,
        agents: BTreeMap::new(),
        peers: BTreeMap::new(),
        vars: BTreeMap::new(),
        log: Arc::new(Observations::default()),
        clock: clock.clone(),
        failed_checks: 0,
        external: external.is_some(),
        lease: None,
    };
    let missing = ctx
        .profile
        .as_ref()
        .map(|p| p.missing_capabilities(&exec.case))
        .unwrap_or_default();
    let ending = match ctx.profile.as_ref() {
        // A profile without external roles (only network variants or settings) describes the
        // simulated network itself: every case runs on the simulators.
        Some(p) if external.is_none() && !p.externals.is_empty() => Ending::Skipped(format!(
            "the profile `{}` has no external {}: this case tests a {}",
            p.name,
            exec.case.under_test_kind(),
            exec.case.under_test_kind()
        )),
        Some(p) if !missing.is_empty() => Ending::Skipped(format!(
            "the profile `{}` does not declare {}",
            p.name,
            missing
                .iter()
                .map(|c| format!("`{c}` ({})", crate::capability::describe(c)))
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => {
            let started_roles = run.start_roles(&tap_tx, external.as_ref()).await;
            drop(tap_tx);
            run.announce(external.is_none());
            let collector = tokio::spawn(collect(
                exec.key.clone(),
                tap_rx,
                run.log.clone(),
                ctx.events.clone(),
            ));
            let ending = match started_roles {
                Err(e) => Ending::Broken(e),
                Ok(()) => match tokio::time::timeout(ctx.case_timeout, run.steps()).await {
                    Ok(e) => e,
                    Err(_) => Ending::Broken(format!(
                        "the case did not finish within {} s",
                        ctx.case_timeout.as_secs()
                    )),
                },
            };
            run.stop_and_drain(collector).await;
            ending
        }
    };
    let (verdict, reason) = match ending {
        // A failure found before the case had to stop is still a failure.
        Ending::Skipped(r) if run.failed_checks > 0 => (
            Verdict::Fail,
            Some(format!(
                "{} check(s) failed, then the case stopped: {r}",
                run.failed_checks
            )),
        ),
        Ending::Skipped(r) => (Verdict::Skip, Some(r)),
        Ending::Broken(r) => (Verdict::Error, Some(r)),
        Ending::Completed if run.failed_checks == 0 => (Verdict::Pass, None),
        Ending::Completed => (
            Verdict::Fail,
            Some(format!("{} check(s) failed", run.failed_checks)),
        ),
        Ending::Stopped(r) => (Verdict::Fail, Some(r)),
    };
    let (verdict, reason) = expected_deviation(exec, ctx, verdict, reason);
    let reason = reason.map(|r| run.redact(r));
    if matches!(verdict, Verdict::Skip) && run.peers.is_empty() {
        // A case skipped before it started: announce it so reports list it with its header.
        run.announce(false);
    }
    let _ = ctx.events.send(Event::CaseFinished(CaseFinished {
        case: exec.key.clone(),
        verdict,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
        reason,
    }));
    verdict
}

/// A case the profile expects to fail: failing is a known deviation, passing means the profile is stale.
fn expected_deviation(
    exec: &Execution,
    ctx: &RunContext,
    verdict: Verdict,
    reason: Option<String>,
) -> (Verdict, Option<String>) {
    let Some(why) = ctx
        .profile
        .as_ref()
        .and_then(|p| p.deviations.get(&exec.case.id))
    else {
        return (verdict, reason);
    };
    if exec.fault.is_some() {
        return (verdict, reason);
    }
    match verdict {
        Verdict::Fail => (
            Verdict::KnownDeviation,
            Some(format!(
                "expected deviation: {} ({})",
                why.value,
                reason.unwrap_or_default()
            )),
        ),
        Verdict::Pass => (
            Verdict::UnexpectedPass,
            Some(format!(
                "listed as an expected deviation (\"{}\") but passed: update the profile",
                why.value
            )),
        ),
        other => (other, reason),
    }
}

impl CaseRun<'_> {
    fn emit(&self, e: Event) {
        let e = match e {
            Event::Check(mut c) => {
                c.what = self.redact(c.what);
                c.expected = self.redact(c.expected);
                c.observed = self.redact(c.observed);
                Event::Check(c)
            }
            Event::StepStarted(mut s) => {
                s.summary = self.redact(s.summary);
                Event::StepStarted(s)
            }
            Event::ActionDone(mut a) => {
                a.summary = self.redact(a.summary);
                a.values = a
                    .values
                    .into_iter()
                    .map(|(k, v)| (k, self.redact(v)))
                    .collect();
                Event::ActionDone(a)
            }
            other => other,
        };
        let _ = self.ctx.events.send(e);
    }

    /// Passwords never reach a report.
    fn redact(&self, mut text: String) -> String {
        let leased = self
            .lease
            .iter()
            .flat_map(|l| l.by_role.values().map(|s| s.password.clone()));
        let profile = self.ctx.profile.iter().flat_map(|p| p.secrets());
        for secret in leased.chain(profile).filter(|s| s.len() >= 4) {
            if text.contains(&secret) {
                text = text.replace(&secret, "‹redacted›");
            }
        }
        text
    }

    async fn start_roles(
        &mut self,
        tap: &mpsc::UnboundedSender<crate::agent::Captured>,
        external: Option<&crate::profile::External>,
    ) -> Result<(), String> {
        let case = &self.exec.case;
        let lease = self.ctx.subscribers.lease(self.exec).await?;
        let subscribers = lease.by_role.clone();
        self.lease = Some(lease);
        let all_subs: Vec<_> = subscribers.values().cloned().collect();
        let mut roles: Vec<_> = case.roles.iter().collect();
        roles.sort_by_key(|r| (r.kind.start_order(), r.name.clone()));
        let transport = case
            .transport
            .or(external.map(|e| e.transport))
            .unwrap_or(self.ctx.transport);
        // Every role's identity is known before anything starts; addresses follow as roles start.
        for role in &roles {
            let peer = Peer {
                name: role.name.clone(),
                kind: role.kind,
                subscriber: subscribers.get(&role.name).cloned(),
                sip_udp: None,
                sip_tcp: None,
                sip_tls: None,
                http: None,
                carrier: self.exec.carrier_of(&role.name),
            };
            self.peers.insert(role.name.clone(), peer);
        }
        for role in roles {
            let subscriber = subscribers.get(&role.name).cloned();
            if let (Some(ext), true) = (external, role.name == case.under_test) {
                let at = |t: Transport| (ext.transport == t).then_some(ext.address);
                self.peers.insert(
                    role.name.clone(),
                    Peer {
                        name: role.name.clone(),
                        kind: role.kind,
                        subscriber,
                        sip_udp: at(Transport::Udp),
                        sip_tcp: at(Transport::Tcp),
                        sip_tls: at(Transport::Tls),
                        http: ext.http,
                        carrier: self.exec.carrier_of(&role.name),
                    },
                );
                continue;
            }
            let under_test = role.name == case.under_test;
            let spec = AgentSpec {
                case: self.exec.key.clone(),
                role: role.name.clone(),
                kind: role.kind,
                carrier: self.exec.carrier_of(&role.name),
                faults: if under_test {
                    self.exec.fault.iter().cloned().collect()
                } else {
                    Vec::new()
                },
                transport,
                subscriber: subscriber.clone(),
                subscribers: all_subs.clone(),
                peers: self.peers.clone(),
                // The profile's settings for simulated roles of this kind win over the case's,
                // which win over those of the role's network variant.
                settings: match self.ctx.profile.as_deref() {
                    Some(p) => p.role_settings(role.kind, &self.exec.role_settings(role)),
                    None => self.exec.role_settings(role),
                },
                tls: self
                    .ctx
                    .profile
                    .as_ref()
                    .map(|p| p.tls.clone())
                    .unwrap_or_default(),
            };
            let tap = WireTap::new(&role.name, self.clock.clone(), tap.clone());
            let agent = self
                .ctx
                .factory
                .start(spec, tap, self.clock.clone())
                .await
                .map_err(|e| format!("failed to start `{}`: {e}", role.name))?;
            let ep = agent.endpoints();
            self.peers.insert(
                role.name.clone(),
                Peer {
                    name: role.name.clone(),
                    kind: role.kind,
                    subscriber,
                    sip_udp: ep.sip_udp,
                    sip_tcp: ep.sip_tcp,
                    sip_tls: ep.sip_tls,
                    http: ep.http,
                    carrier: self.exec.carrier_of(&role.name),
                },
            );
            self.agents.insert(role.name.clone(), agent);
        }
        for agent in self.agents.values() {
            agent.peers_ready(&self.peers);
        }
        self.vars = role_vars(&self.peers);
        self.vars.extend(symbol_vars(&self.exec.binding));
        if let Some(domain) = external.and_then(|e| e.domain.clone()) {
            self.vars
                .insert(format!("{}.domain", case.under_test), domain);
        }
        Ok(())
    }

    fn announce(&self, virtual_time: bool) {
        let roles = self.exec.case.roles.iter().map(|r| {
            let peer = self.peers.get(&r.name);
            RoleBinding {
                name: r.name.clone(),
                kind: r.kind.as_str().to_owned(),
                agent: if self.external && r.name == self.exec.case.under_test {
                    "external"
                } else {
                    "simulator"
                }
                .to_owned(),
                identity: peer
                    .and_then(|p| p.subscriber.as_ref())
                    .map(|s| s.sip_uri()),
                sip_udp: peer.and_then(|p| p.sip_udp),
                sip_tcp: peer.and_then(|p| p.sip_tcp),
                sip_tls: peer.and_then(|p| p.sip_tls),
                http: peer.and_then(|p| p.http),
                carrier: Some(self.exec.carrier_of(&r.name).as_str().to_owned()),
            }
        });
        self.emit(Event::CaseStarted(CaseStarted {
            key: self.exec.key.clone(),
            header: super::execute::case_header(self.exec),
            roles: roles.collect(),
            virtual_time,
            carriers: self.exec.binding.names(),
            networks: self.exec.binding.network_names(),
        }));
    }

    async fn steps(&mut self) -> Ending {
        let case = self.exec.case.clone();
        for (index, step) in case.steps.iter().enumerate() {
            self.emit(Event::StepStarted(StepStarted {
                case: self.exec.key.clone(),
                index,
                line: step.line,
                role: step.role().map(str::to_owned),
                summary: step.summary(),
            }));
            let outcome = match &step.kind {
                StepKind::Act {
                    role,
                    action,
                    params,
                } => self.act(index, role, action, params).await,
                StepKind::Expect(e) => self.expect(index, e).await,
                StepKind::ExpectNone(e) => self.expect_none(index, e).await,
                StepKind::Wait(d) => {
                    self.clock.advance(d.duration).await;
                    Ok(())
                }
            };
            if let Err(ending) = outcome {
                return ending;
            }
        }
        Ending::Completed
    }

    async fn act(
        &mut self,
        index: usize,
        role: &str,
        action: &str,
        params: &Map<String, Value>,
    ) -> Result<(), Ending> {
        let params = fill_params(params, &self.vars).map_err(Ending::Broken)?;
        let Some(agent) = self.agents.get(role) else {
            return self.act_by_hook(index, role, action, &params).await;
        };
        let limit = Duration::from_secs(60);
        match tokio::time::timeout(limit, agent.act(action, &params)).await {
            Err(_) => Err(Ending::Broken(format!(
                "`{role}: {action}` did not return within {} s",
                limit.as_secs()
            ))),
            Ok(Err(AgentError::BadAction { action, detail })) => Err(Ending::Broken(format!(
                "the case asks `{role}` for `{action}`: {detail}"
            ))),
            Ok(Err(e @ AgentError::Harness(_))) => Err(Ending::Broken(format!("`{role}`: {e}"))),
            Ok(Ok(out)) => {
                self.action_done(index, role, out.summary, &out.values);
                for (k, v) in out.values {
                    self.vars.insert(format!("{role}.{k}"), v);
                }
                Ok(())
            }
        }
    }

    fn action_done(
        &self,
        index: usize,
        role: &str,
        summary: String,
        values: &std::collections::BTreeMap<String, String>,
    ) {
        self.emit(Event::ActionDone(ActionDone {
            case: self.exec.key.clone(),
            index,
            role: role.to_owned(),
            summary,
            values: values.clone(),
        }));
    }

    /// An external role acts through the profile's hook for that action, or the case is skipped.
    async fn act_by_hook(
        &mut self,
        index: usize,
        role: &str,
        action: &str,
        params: &Map<String, Value>,
    ) -> Result<(), Ending> {
        let kind = self.exec.case.role(role).map(|r| r.kind);
        let hook = kind.and_then(|k| {
            self.ctx
                .profile
                .as_ref()
                .and_then(|p| p.hook(k, action))
                .cloned()
        });
        let result = match hook {
            None => {
                return Err(Ending::Skipped(format!(
                    "`{role}` is played by the external system under test, and driving its action `{action}` needs a hook in the profile (`actions:`)"
                )));
            }
            Some(Hook::Run { command, timeout }) => {
                let env = hooks::environment(&self.exec.key, role, action, params, &self.vars);
                hooks::run_command(&command, &env, timeout).await
            }
            Some(Hook::Prompt(text)) => match interpolate(&text, &self.vars) {
                Ok(text) => hooks::prompt_operator(&text).await,
                Err(e) => HookResult::Failed(e),
            },
        };
        match result {
            HookResult::Done(values) => {
                let summary = format!("done by the profile's hook for `{action}`");
                let shown = values.clone().into_iter().collect();
                self.action_done(index, role, summary, &shown);
                for (k, v) in values {
                    self.vars.insert(format!("{role}.{k}"), v);
                }
                Ok(())
            }
            HookResult::Unavailable(why) => Err(Ending::Skipped(why)),
            HookResult::Failed(why) => Err(Ending::Broken(self.redact(why))),
        }
    }

    fn check_event(&mut self, outcome: Outcome<'_>) {
        if !outcome.passed {
            self.failed_checks += 1;
        }
        self.emit(Event::Check(CheckOutcome {
            case: self.exec.key.clone(),
            step: outcome.step,
            line: outcome.line,
            rule: outcome.rule.to_owned(),
            what: outcome.what,
            expected: outcome.expected,
            observed: outcome.observed,
            passed: outcome.passed,
            frame: outcome.frame,
        }));
    }

    async fn stop_and_drain(&mut self, collector: tokio::task::JoinHandle<()>) {
        if self.external {
            // The system under test outlives the case: leave it as the next case expects to find it.
            for agent in self.agents.values() {
                agent.release().await;
            }
        }
        for (_, agent) in std::mem::take(&mut self.agents) {
            agent.shutdown().await;
        }
        // Every tap is gone once the agents are: the collector ends after publishing what is left.
        if tokio::time::timeout(Duration::from_secs(5), collector)
            .await
            .is_err()
        {
            tracing::warn!(case = %self.exec.key, "a simulator kept its wire tap after shutdown");
        }
    }
}

/// Fill `${...}` in every string parameter.
fn fill_params(
    params: &Map<String, Value>,
    vars: &BTreeMap<String, String>,
) -> Result<Map<String, Value>, String> {
    fn fill(v: &Value, vars: &BTreeMap<String, String>) -> Result<Value, String> {
        Ok(match v {
            Value::String(s) => Value::String(interpolate(s, vars)?),
            Value::Array(a) => {
                Value::Array(a.iter().map(|x| fill(x, vars)).collect::<Result<_, _>>()?)
            }
            Value::Object(o) => Value::Object(
                o.iter()
                    .map(|(k, x)| Ok((k.clone(), fill(x, vars)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }
    params
        .iter()
        .map(|(k, v)| Ok((k.clone(), fill(v, vars)?)))
        .collect()
}

#[path = "expect.rs"]
mod expect;

#[cfg(test)]
#[path = "execute_tests.rs"]
mod expectation_tests;

#[cfg(test)]
#[path = "carrier_tests.rs"]
mod carrier_tests;
