//! Planning a run: which cases, how many times (clean, or against each fault they claim to detect),
//! and for a case with carrier symbols, once per binding of its symbols to carriers (or to a
//! profile's network variants of them: [`plan_networks`]).

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::carrier::Network;
use crate::case::carriers::{Binding, network_bindings};
use crate::case::{CarrierRef, Case, RoleDecl};
use crate::role::{Carrier, RoleKind};

/// One execution of one case.
#[derive(Clone, Debug)]
pub struct Execution {
    pub case: Arc<Case>,
    /// Unique in the run: the id, plus `[cmcc>cucc]` for a binding of carrier symbols (naming
    /// the networks: `[cmcc>cucc-untrusting]`), plus `[fault]` for a fault run.
    pub key: String,
    /// Fault injected into the simulated role under test.
    pub fault: Option<String>,
    /// The carriers bound to the case's symbols (empty for a case without symbols).
    pub binding: Binding,
}

impl Execution {
    /// The carrier `r` stands for in this execution.
    pub fn carrier(&self, r: CarrierRef) -> Carrier {
        self.binding.resolve(r)
    }

    /// The carrier whose network role `name` belongs to (China Mobile for an unknown name).
    pub fn carrier_of(&self, name: &str) -> Carrier {
        self.case
            .role(name)
            .map(|r| self.carrier(r.carrier))
            .unwrap_or_default()
    }

    /// The case's settings of `role`, over the settings its network gives roles of its kind when
    /// its carrier is a symbol bound to a variant (a key in both keeps the case's value).
    pub fn role_settings(&self, role: &RoleDecl) -> Map<String, Value> {
        match self.binding.network(role.carrier) {
            Some(network) => network.role_settings(role.kind, &role.settings),
            None => role.settings.clone(),
        }
    }

    /// For a terminal: the carrier whose number range its number comes from.
    pub fn number_range_of(&self, name: &str) -> Carrier {
        match self.case.role(name) {
            Some(r) if r.kind == RoleKind::Terminal => {
                self.carrier(r.number_from.unwrap_or(r.carrier))
            }
            _ => self.carrier_of(name),
        }
    }
}

/// Which fault runs to add.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Faults {
    /// Clean runs only.
    #[default]
    None,
    /// Each case once clean and once per fault it lists in `detects`.
    Listed,
    /// Only this fault, in the cases that list it.
    Only(String),
}

/// The executions for `cases` whose id matches `filter` (`*` wildcards, case-insensitive), with
/// symbols bound to all three carriers.
pub fn plan(cases: &[Arc<Case>], filter: Option<&str>, faults: &Faults) -> Vec<Execution> {
    plan_carriers(cases, filter, faults, &Carrier::ALL)
}

/// As [`plan`], binding symbols to the given carriers only (`run --carriers cmcc,cucc`). A case
/// with symbols runs clean once per binding and against its faults on the first binding only; a
/// case with more symbols than carriers given is left out.
pub fn plan_carriers(
    cases: &[Arc<Case>],
    filter: Option<&str>,
    faults: &Faults,
    carriers: &[Carrier],
) -> Vec<Execution> {
    let networks: Vec<Arc<Network>> = carriers
        .iter()
        .map(|c| Arc::new(Network::builtin(*c)))
        .collect();
    plan_networks(cases, filter, faults, &networks)
}

/// As [`plan_carriers`], binding symbols to networks: built-in carriers or a profile's variants
/// (`run --carriers cmcc,cucc-untrusting`). Two symbols of one execution never share a carrier.
pub fn plan_networks(
    cases: &[Arc<Case>],
    filter: Option<&str>,
    faults: &Faults,
    networks: &[Arc<Network>],
) -> Vec<Execution> {
    let mut out = Vec::new();
    for case in cases
        .iter()
        .filter(|c| filter.is_none_or(|f| matches_pattern(f, &c.id)))
    {
        let all = network_bindings(&case.symbols(), networks);
        let Some(first) = all.first() else {
            continue;
        };
        if !matches!(faults, Faults::Only(_)) {
            for binding in &all {
                out.push(execution(case, binding, None));
            }
        }
        for d in &case.detects {
            let wanted = match faults {
                Faults::None => false,
                Faults::Listed => true,
                Faults::Only(f) => *f == d.fault,
            };
            if wanted {
                out.push(execution(case, first, Some(&d.fault)));
            }
        }
    }
    out
}

/// `ID`, `ID[cmcc>cucc]`, `ID[fault]` or `ID[cmcc>cucc][fault]` (networks by name).
fn execution(case: &Arc<Case>, binding: &Binding, fault: Option<&String>) -> Execution {
    let mut key = case.id.clone();
    if !binding.is_empty() {
        key.push_str(&format!("[{}]", binding.label()));
    }
    if let Some(f) = fault {
        key.push_str(&format!("[{f}]"));
    }
    Execution {
        case: case.clone(),
        key,
        fault: fault.cloned(),
        binding: binding.clone(),
    }
}

/// `PLT-REG-*`, `*MSG*`, or a plain substring; case-insensitive. Comma-separated alternatives.
pub fn matches_pattern(pattern: &str, id: &str) -> bool {
    pattern
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .any(|p| {
            let (p, id) = (p.to_ascii_uppercase(), id.to_ascii_uppercase());
            if p.contains('*') {
                wildcard(&p, &id)
            } else {
                id.contains(&p)
            }
        })
}

fn wildcard(p: &str, s: &str) -> bool {
    let parts: Vec<&str> = p.split('*').collect();
    let mut pos = 0;
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            continue;
        }
        match s[pos..].find(part) {
            Some(at) if i == 0 && at != 0 => return false,
            Some(at) => pos += at + part.len(),
            None => return false,
        }
    }
    parts
        .last()
        .is_none_or(|last| last.is_empty() || s.ends_with(last))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Detect, RoleDecl, Suite, Symbol};

    fn role(name: &str, kind: RoleKind, carrier: CarrierRef) -> RoleDecl {
        RoleDecl {
            name: name.into(),
            kind,
            rcs: true,
            carrier,
            number_from: None,
            settings: Default::default(),
            line: 1,
        }
    }

    /// `alice` at `a`, `bob` at `b` (with a number from `a`'s range when `ported`), a gateway at `c`
    /// when `three`; detects two faults.
    fn case(id: &str, symbols: &[Symbol], ported: bool) -> Arc<Case> {
        let mut roles = vec![role("mc", RoleKind::MessageCenter, CarrierRef::default())];
        let names = ["alice", "bob", "carol"];
        for (name, symbol) in names.iter().zip(symbols) {
            roles.push(role(name, RoleKind::Terminal, CarrierRef::Symbol(*symbol)));
        }
        if ported && let Some(bob) = roles.get_mut(2) {
            bob.number_from = Some(CarrierRef::Symbol(Symbol::A));
        }
        let detect = |fault: &str| Detect {
            fault: fault.into(),
            rule: "IR.90".into(),
            line: 1,
        };
        Arc::new(Case {
            id: id.into(),
            title: String::new(),
            suite: Suite::Interworking,
            feature: "nni".into(),
            description: None,
            file: Default::default(),
            under_test: "mc".into(),
            refs: Vec::new(),
            transport: None,
            requires: Vec::new(),
            roles,
            steps: Vec::new(),
            detects: vec![detect("peer-carrier.x"), detect("peer-carrier.y")],
        })
    }

    fn keys(execs: &[Execution]) -> Vec<&str> {
        execs.iter().map(|e| e.key.as_str()).collect()
    }

    #[test]
    fn a_case_without_symbols_runs_once_per_fault_as_before() {
        let execs = plan(&[case("PLT-X-001", &[], false)], None, &Faults::Listed);
        assert_eq!(
            keys(&execs),
            [
                "PLT-X-001",
                "PLT-X-001[peer-carrier.x]",
                "PLT-X-001[peer-carrier.y]"
            ]
        );
        assert!(execs.iter().all(|e| e.binding.is_empty()));
        assert_eq!(execs[0].carrier_of("alice"), Carrier::Cmcc);
    }

    #[test]
    fn two_symbols_run_on_six_pairs_and_faults_on_the_first() {
        let c = case("IWK-NNI-001", &[Symbol::A, Symbol::B], false);
        let execs = plan(&[c], None, &Faults::Listed);
        assert_eq!(
            keys(&execs),
            [
                "IWK-NNI-001[cmcc>cucc]",
                "IWK-NNI-001[cmcc>ctcc]",
                "IWK-NNI-001[cucc>cmcc]",
                "IWK-NNI-001[cucc>ctcc]",
                "IWK-NNI-001[ctcc>cmcc]",
                "IWK-NNI-001[ctcc>cucc]",
                "IWK-NNI-001[cmcc>cucc][peer-carrier.x]",
                "IWK-NNI-001[cmcc>cucc][peer-carrier.y]",
            ]
        );
        let third = &execs[2];
        assert_eq!(third.carrier_of("alice"), Carrier::Cucc);
        assert_eq!(third.carrier_of("bob"), Carrier::Cmcc);
        assert_eq!(third.carrier_of("mc"), Carrier::Cmcc);
        assert_eq!(third.binding.names()["b"], "cmcc");
        assert_eq!(execs[6].fault.as_deref(), Some("peer-carrier.x"));
        assert_eq!(execs[6].binding, execs[0].binding);
    }

    #[test]
    fn only_one_fault_runs_on_the_first_binding_of_the_given_carriers() {
        let c = case("IWK-NNI-010", &[Symbol::A, Symbol::B], true);
        let only = Faults::Only("peer-carrier.y".into());
        let execs = plan_carriers(&[c], None, &only, &[Carrier::Ctcc, Carrier::Cucc]);
        assert_eq!(keys(&execs), ["IWK-NNI-010[ctcc>cucc][peer-carrier.y]"]);
        // bob is at b (cucc) with a number from a's range (ctcc).
        assert_eq!(execs[0].carrier_of("bob"), Carrier::Cucc);
        assert_eq!(execs[0].number_range_of("bob"), Carrier::Ctcc);
        assert_eq!(execs[0].number_range_of("alice"), Carrier::Ctcc);
    }

    #[test]
    fn carriers_restrict_the_bindings_and_too_few_leave_the_case_out() {
        let two = case("IWK-NNI-001", &[Symbol::A, Symbol::B], false);
        let three = case("IWK-NNI-005", &Symbol::ALL, false);
        let plain = case("PLT-X-001", &[], false);
        let cases = [two, three, plain];
        let pair = [Carrier::Cmcc, Carrier::Cucc];
        let execs = plan_carriers(&cases, None, &Faults::None, &pair);
        assert_eq!(
            keys(&execs),
            [
                "IWK-NNI-001[cmcc>cucc]",
                "IWK-NNI-001[cucc>cmcc]",
                "PLT-X-001"
            ]
        );
        let execs = plan(&cases, Some("IWK-NNI-005"), &Faults::None);
        assert_eq!(execs.len(), 6);
        assert_eq!(execs[0].key, "IWK-NNI-005[cmcc>cucc>ctcc]");
    }

    #[test]
    fn patterns() {
        assert!(matches_pattern("PLT-REG-*", "PLT-REG-001"));
        assert!(!matches_pattern("PLT-REG-*", "TRM-REG-001"));
        assert!(matches_pattern("*reg*", "TRM-REG-001"));
        assert!(matches_pattern("cap", "PLT-CAP-002"));
        assert!(matches_pattern("PLT-MSG-001,TRM-*", "TRM-CAP-001"));
        assert!(!matches_pattern("*-001", "PLT-REG-003"));
    }
    #[test]
    fn variants_name_the_key_and_give_their_settings_under_the_case_ones() {
        let mut c = (*case("IWK-NNI-001", &[Symbol::A, Symbol::B], false)).clone();
        c.roles.push(role(
            "gwb",
            RoleKind::PeerCarrier,
            CarrierRef::Symbol(Symbol::B),
        ));
        c.roles.push(role(
            "gwx",
            RoleKind::PeerCarrier,
            CarrierRef::Fixed(Carrier::Cucc),
        ));
        if let Some(gwb) = c.roles.iter_mut().find(|r| r.name == "gwb") {
            gwb.settings.insert("portability".into(), Value::Bool(true));
        }
        let mut quirks = Map::new();
        quirks.insert("trusted".into(), Value::Array(Vec::new()));
        quirks.insert("portability".into(), Value::Bool(false));
        let untrusting = Arc::new(Network {
            name: "cucc-untrusting".into(),
            carrier: Carrier::Cucc,
            settings: [(RoleKind::PeerCarrier, quirks)].into(),
        });
        let networks = [Arc::new(Network::builtin(Carrier::Cmcc)), untrusting];
        let execs = plan_networks(&[Arc::new(c)], None, &Faults::Listed, &networks);
        assert_eq!(
            keys(&execs),
            [
                "IWK-NNI-001[cmcc>cucc-untrusting]",
                "IWK-NNI-001[cucc-untrusting>cmcc]",
                "IWK-NNI-001[cmcc>cucc-untrusting][peer-carrier.x]",
                "IWK-NNI-001[cmcc>cucc-untrusting][peer-carrier.y]",
            ]
        );
        let first = &execs[0];
        assert_eq!(first.carrier_of("bob"), Carrier::Cucc);
        let gwb = first.case.role("gwb").unwrap();
        let settings = first.role_settings(gwb);
        assert_eq!(settings["trusted"], Value::Array(Vec::new()));
        assert_eq!(settings["portability"], true, "the case's own setting wins");
        // A role at a fixed carrier, or at the built-in network, gets no variant settings.
        let gwx = first.case.role("gwx").unwrap();
        assert!(first.role_settings(gwx).is_empty());
        let alice = first.case.role("alice").unwrap();
        assert!(first.role_settings(alice).is_empty());
        assert_eq!(first.binding.network_names()["b"], "cucc-untrusting");
    }
}
