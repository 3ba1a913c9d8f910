//! Carriers through the runner: one execution per binding of the case's symbols, each role started
//! at its carrier with a subscriber of its number range, the binding in CaseStarted, and
//! `${a.carrier}` / `${alice.domain}` filled in.

use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::agent::{
    ActionOutput, ActionSpec, Agent, AgentError, AgentFactory, AgentSpec, BoxFuture, Endpoints,
    FaultSpec, WireTap,
};
use crate::case::parse_case;
use crate::clock::Clock;
use crate::events::{Event, EventSink};
use crate::plan::{Faults, plan_carriers};
use crate::role::{Carrier, RoleKind};
use crate::runner::{RunOptions, run_all};

/// Starts agents that remember their spec; `note` answers with its (interpolated) `text`.
#[derive(Clone, Default)]
struct Factory(Arc<Mutex<Vec<AgentSpec>>>);

struct Noter;

impl AgentFactory for Factory {
    fn faults(&self) -> Vec<FaultSpec> {
        Vec::new()
    }
    fn actions(&self) -> Vec<ActionSpec> {
        vec![ActionSpec {
            kind: RoleKind::Terminal,
            name: "note",
            description: "answer with `text`",
        }]
    }
    fn check_action(&self, _: RoleKind, _: &str, _: &Map<String, Value>) -> Result<(), String> {
        Ok(())
    }
    fn check_settings(&self, _: RoleKind, _: &Map<String, Value>) -> Result<(), String> {
        Ok(())
    }
    fn start<'a>(
        &'a self,
        spec: AgentSpec,
        _: WireTap,
        _: Clock,
    ) -> BoxFuture<'a, Result<Box<dyn Agent>, AgentError>> {
        self.0.lock().unwrap().push(spec);
        Box::pin(async move { Ok(Box::new(Noter) as Box<dyn Agent>) })
    }
}

impl Agent for Noter {
    fn endpoints(&self) -> Endpoints {
        Endpoints::default()
    }
    fn act<'a>(
        &'a self,
        _: &'a str,
        params: &'a Map<String, Value>,
    ) -> BoxFuture<'a, Result<ActionOutput, AgentError>> {
        Box::pin(async move {
            let mut out = ActionOutput::default();
            let text = params.get("text").and_then(Value::as_str).unwrap_or("");
            out.values.insert("text".into(), text.into());
            Ok(out)
        })
    }
    fn shutdown(self: Box<Self>) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

#[derive(Clone, Default)]
struct Collect(Arc<Mutex<Vec<Event>>>);

impl EventSink for Collect {
    fn event(&mut self, event: &Event) {
        self.0.lock().unwrap().push(event.clone());
    }
    fn finish(&mut self) -> Result<Vec<std::path::PathBuf>, String> {
        Ok(Vec::new())
    }
}

const CASE: &str = "id: IWK-T-001\ntitle: t\nsuite: interworking\nunder-test: gw\nrefs: [IR.90]\nroles:\n  alice: { kind: terminal, carrier: a }\n  bob: { kind: terminal, carrier: b, number-from: a }\n  gw: { kind: peer-carrier, carrier: b }\n  mc: message-center\nsteps:\n  - alice: { note: { text: \"${a.carrier}>${b.carrier} ${alice.domain} ${gw.carrier} ${mc.carrier} ${b.chatbot-domain}\" } }\n";

#[tokio::test]
async fn each_binding_runs_with_its_carriers() {
    let factory = Factory::default();
    let case = Arc::new(parse_case(Path::new("IWK-T-001.yaml"), CASE, &factory).unwrap());
    let pair = [Carrier::Cucc, Carrier::Ctcc];
    let executions = plan_carriers(&[case], None, &Faults::None, &pair);
    let mut sink = Collect::default();
    let options = RunOptions {
        jobs: 1,
        ..RunOptions::default()
    };
    let counts = run_all(
        executions,
        Arc::new(factory.clone()),
        None,
        &options,
        &mut sink,
    )
    .await;
    assert_eq!(counts.pass, 2, "{:#?}", sink.0.lock().unwrap());
    let events = sink.0.lock().unwrap().clone();

    let started: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::CaseStarted(s) => Some(s),
            _ => None,
        })
        .collect();
    let first = started
        .iter()
        .find(|s| s.key == "IWK-T-001[cucc>ctcc]")
        .unwrap();
    assert_eq!(first.carriers["a"], "cucc");
    assert_eq!(first.carriers["b"], "ctcc");
    let carrier_of = |name: &str| {
        first
            .roles
            .iter()
            .find(|r| r.name == name)
            .and_then(|r| r.carrier.clone())
    };
    assert_eq!(carrier_of("alice").as_deref(), Some("cucc"));
    assert_eq!(carrier_of("gw").as_deref(), Some("ctcc"));
    assert_eq!(carrier_of("mc").as_deref(), Some("cmcc"));
    let bob = first.roles.iter().find(|r| r.name == "bob").unwrap();
    // bob: subscribed at ctcc, with a number from cucc's range.
    let identity = bob.identity.as_deref().unwrap();
    assert!(identity.starts_with("sip:+86130"), "{identity}");
    assert!(
        identity.ends_with(Carrier::Ctcc.home_domain()),
        "{identity}"
    );

    let texts: Vec<(&str, &str)> = events
        .iter()
        .filter_map(|e| match e {
            Event::ActionDone(a) => Some((a.case.as_str(), a.values["text"].as_str())),
            _ => None,
        })
        .collect();
    let expected_first = format!(
        "cucc>ctcc {} ctcc cmcc botplatform.rcs.chinatelecom.cn",
        Carrier::Cucc.home_domain()
    );
    assert!(
        texts.contains(&("IWK-T-001[cucc>ctcc]", expected_first.as_str())),
        "{texts:?}"
    );
    let expected_second = format!(
        "ctcc>cucc {} cucc cmcc botplatform.rcs.chinaunicom.cn",
        Carrier::Ctcc.home_domain()
    );
    assert!(
        texts.contains(&("IWK-T-001[ctcc>cucc]", expected_second.as_str())),
        "{texts:?}"
    );

    let specs = factory.0.lock().unwrap();
    let spec = |key: &str, role: &str| {
        specs
            .iter()
            .find(|s| s.case == key && s.role == role)
            .unwrap()
            .clone()
    };
    let bob = spec("IWK-T-001[ctcc>cucc]", "bob");
    assert_eq!(bob.carrier, Carrier::Cucc);
    let sub = bob.subscriber.unwrap();
    assert_eq!(Carrier::of_number(&sub.msisdn), Some(Carrier::Ctcc));
    assert_eq!(
        (sub.carrier, sub.domain.as_str()),
        (Carrier::Cucc, Carrier::Cucc.home_domain())
    );
    // Every role sees every subscriber of the case with its carrier (the portability database).
    let mc = spec("IWK-T-001[ctcc>cucc]", "mc");
    assert_eq!(mc.carrier, Carrier::Cmcc);
    assert!(
        mc.subscribers
            .iter()
            .any(|s| s.msisdn == sub.msisdn && s.carrier == Carrier::Cucc)
    );
    assert_eq!(spec("IWK-T-001[ctcc>cucc]", "gw").carrier, Carrier::Cucc);
}
