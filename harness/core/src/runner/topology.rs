//! Who plays each role of one execution, with which identity, and the `${...}` values that follow.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::agent::Peer;
use crate::case::{Binding, Case};
use crate::plan::Execution;
use crate::profile::{External, Profile};
use crate::role::{Carrier, RoleKind, Subscriber};

/// Number of built-in subscribers of each kind (RCS and non-RCS) the simulators provision.
pub const BUILTIN_RCS: usize = 20;
pub const BUILTIN_NON_RCS: usize = 5;

/// The built-in subscriber pool: what `rcs-sim` provisions by default.
pub fn builtin_subscribers() -> Vec<Subscriber> {
    (1..=BUILTIN_RCS)
        .map(|n| Subscriber::builtin(n, true))
        .chain((1..=BUILTIN_NON_RCS).map(|n| Subscriber::builtin(n, false)))
        .collect()
}

/// The built-in subscribers of every carrier, each in its own number range.
fn builtin_all_carriers() -> Vec<Subscriber> {
    Carrier::ALL
        .into_iter()
        .flat_map(|c| {
            (1..=BUILTIN_RCS)
                .map(move |n| Subscriber::builtin_of(n, true, c, c))
                .chain((1..=BUILTIN_NON_RCS).map(move |n| Subscriber::builtin_of(n, false, c, c)))
        })
        .collect()
}

/// The built-in subscriber pool of another home domain.
fn builtin_in(domain: &str) -> Vec<Subscriber> {
    (1..=BUILTIN_RCS)
        .map(|n| Subscriber::builtin_in(n, true, domain))
        .chain((1..=BUILTIN_NON_RCS).map(|n| Subscriber::builtin_in(n, false, domain)))
        .collect()
}

/// The subscribers a run may use, leased to executions so that two cases running at the same time
/// never share an identity: with an external system under test, one case's registration would
/// otherwise show up in another case.
#[derive(Debug)]
pub struct SubscriberPool {
    all: Vec<Subscriber>,
    /// Built-in subscribers: any number of a range may be moved to another carrier (ported). A
    /// profile's subscribers are used as the profile declares them.
    portable: bool,
    free: Mutex<Vec<bool>>,
    returned: Notify,
}

/// What one terminal of an execution needs from the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Need {
    rcs: bool,
    /// The carrier it is subscribed at.
    carrier: Carrier,
    /// The carrier whose number range its number comes from.
    range: Carrier,
}

impl Need {
    fn describe(&self) -> String {
        let kind = if self.rcs { "RCS" } else { "non-RCS" };
        if self.carrier == self.range {
            format!("{kind} subscribers at {}", self.carrier)
        } else {
            format!(
                "{kind} subscribers at {} with {} numbers",
                self.carrier, self.range
            )
        }
    }
}

/// Subscribers leased to one execution, by role name; returned to the pool when dropped.
#[derive(Debug)]
pub struct Lease {
    pool: Arc<SubscriberPool>,
    taken: Vec<usize>,
    pub by_role: BTreeMap<String, Subscriber>,
}

impl SubscriberPool {
    /// The profile's subscribers, or the built-in ones.
    pub fn for_profile(profile: Option<&Profile>) -> Arc<Self> {
        let domain = profile.and_then(|p| p.externals.values().find_map(|e| e.domain.clone()));
        let (all, portable) = match (profile, domain) {
            (Some(p), _) if !p.subscribers.is_empty() => (p.subscribers.clone(), false),
            (_, Some(domain)) => (builtin_in(&domain), false),
            _ => (builtin_all_carriers(), true),
        };
        let free = Mutex::new(vec![true; all.len()]);
        Arc::new(Self {
            all,
            portable,
            free,
            returned: Notify::new(),
        })
    }

    /// Lease one subscriber per terminal role of `exec`'s case (RCS or not, as declared; at its
    /// carrier, with a number of its `number-from` range), waiting for other executions to return
    /// theirs. An error when the whole pool could never satisfy the case.
    pub async fn lease(self: &Arc<Self>, exec: &Execution) -> Result<Lease, String> {
        let mut terminals: Vec<(Need, String)> = exec
            .case
            .roles
            .iter()
            .filter(|r| r.kind == RoleKind::Terminal)
            .map(|r| {
                let need = Need {
                    rcs: r.rcs,
                    carrier: exec.carrier_of(&r.name),
                    range: exec.number_range_of(&r.name),
                };
                (need, r.name.clone())
            })
            .collect();
        // Ported numbers first: they fit fewer subscribers of a profile.
        terminals.sort_by_key(|(n, name)| (n.carrier == n.range, *n, name.clone()));
        if self
            .assign(&terminals, &vec![true; self.all.len()])
            .is_none()
        {
            return Err(self.shortfall(&terminals));
        }
        loop {
            let notified = self.returned.notified();
            if let Some(lease) = self.try_lease(&terminals) {
                return Ok(lease);
            }
            notified.await;
        }
    }

    /// Whether subscriber `i` can play a terminal that needs `need`.
    fn fits(&self, i: usize, need: &Need) -> bool {
        let s = &self.all[i];
        if s.rcs != need.rcs {
            return false;
        }
        if self.portable {
            // A built-in subscriber's carrier is the range its number comes from.
            return s.carrier == need.range;
        }
        s.carrier == need.carrier
            && (need.carrier == need.range || Carrier::of_number(&s.msisdn) == Some(need.range))
    }

    /// A subscriber for each terminal among the `free` ones, if there are enough.
    fn assign(&self, terminals: &[(Need, String)], free: &[bool]) -> Option<Vec<usize>> {
        let mut taken: Vec<usize> = Vec::new();
        for (need, _) in terminals {
            let index = (0..self.all.len())
                .find(|&i| free[i] && !taken.contains(&i) && self.fits(i, need))?;
            taken.push(index);
        }
        Some(taken)
    }

    /// Why the pool could never hold the case.
    fn shortfall(&self, terminals: &[(Need, String)]) -> String {
        let mut needs: BTreeMap<Need, usize> = BTreeMap::new();
        for (need, _) in terminals {
            *needs.entry(*need).or_default() += 1;
        }
        for (need, count) in &needs {
            let have = (0..self.all.len()).filter(|&i| self.fits(i, need)).count();
            if *count > have {
                return format!(
                    "the case needs {count} {}; the pool has {have}",
                    need.describe()
                );
            }
        }
        "the subscriber pool cannot give every terminal of the case its own subscriber".to_owned()
    }

    fn try_lease(self: &Arc<Self>, terminals: &[(Need, String)]) -> Option<Lease> {
        let mut free = lock(&self.free);
        let taken = self.assign(terminals, &free)?;
        let mut by_role = BTreeMap::new();
        for ((need, name), &i) in terminals.iter().zip(&taken) {
            let mut subscriber = self.all[i].clone();
            if self.portable && subscriber.carrier != need.carrier {
                subscriber.move_to(need.carrier, need.carrier.home_domain());
            }
            by_role.insert(name.clone(), subscriber);
            free[i] = false;
        }
        Some(Lease {
            pool: self.clone(),
            taken,
            by_role,
        })
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut free = lock(&self.pool.free);
        for &i in &self.taken {
            free[i] = true;
        }
        drop(free);
        self.pool.returned.notify_waiters();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The external system playing the role under test, if the profile names one for its kind.
pub fn external_under_test<'p>(case: &Case, profile: Option<&'p Profile>) -> Option<&'p External> {
    profile.and_then(|p| p.external(case.under_test_kind()))
}

/// `${role.uri}`, `${role.tel}`, `${role.addr}` ... for every role.
pub fn role_vars(peers: &BTreeMap<String, Peer>) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    for (name, p) in peers {
        let mut put = |k: &str, v: String| {
            vars.insert(format!("{name}.{k}"), v);
        };
        put("kind", p.kind.as_str().to_owned());
        put("carrier", p.carrier.as_str().to_owned());
        put("chatbot-domain", p.carrier.chatbot_domain().to_owned());
        if let Some(s) = &p.subscriber {
            put("uri", s.sip_uri());
            put("tel", s.tel_uri());
            put("msisdn", s.msisdn.clone());
            put("impi", s.impi.clone());
            put("password", s.password.clone());
            put("domain", s.domain.clone());
        } else {
            put("domain", p.carrier.home_domain().to_owned());
        }
        if let Some(a) = p.sip_udp.or(p.sip_tcp).or(p.sip_tls) {
            put("addr", a.to_string());
            put("host", a.ip().to_string());
            put("port", a.port().to_string());
        }
        if let Some(a) = p.sip_udp {
            put("udp", a.to_string());
        }
        if let Some(a) = p.sip_tcp {
            put("tcp", a.to_string());
        }
        if let Some(a) = p.sip_tls {
            put("tls", a.to_string());
        }
        if let Some(a) = p.http {
            put("http", a.to_string());
        }
    }
    vars
}

/// `${a.carrier}`, `${a.domain}`, `${a.chatbot-domain}`, `${a.name}` for each bound symbol.
pub fn symbol_vars(binding: &Binding) -> BTreeMap<String, String> {
    let mut vars = BTreeMap::new();
    for (symbol, carrier) in binding.iter() {
        let mut put = |k: &str, v: &str| {
            vars.insert(format!("{symbol}.{k}"), v.to_owned());
        };
        put("carrier", carrier.as_str());
        put("domain", carrier.home_domain());
        put("chatbot-domain", carrier.chatbot_domain());
        put("name", carrier.name());
    }
    vars
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{RoleDecl, Suite};

    fn case_with(terminals: &[(&str, bool)]) -> Case {
        Case {
            id: "X".into(),
            title: String::new(),
            suite: Suite::Platform,
            feature: String::new(),
            description: None,
            file: Default::default(),
            under_test: "mc".into(),
            refs: Vec::new(),
            transport: None,
            requires: Vec::new(),
            roles: terminals
                .iter()
                .map(|(n, rcs)| RoleDecl {
                    name: (*n).into(),
                    kind: RoleKind::Terminal,
                    rcs: *rcs,
                    carrier: Default::default(),
                    number_from: None,
                    settings: Default::default(),
                    line: 1,
                })
                .collect(),
            steps: Vec::new(),
            detects: Vec::new(),
        }
    }

    fn exec(case: Case, binding: Binding) -> Execution {
        Execution {
            case: std::sync::Arc::new(case),
            key: "X".into(),
            fault: None,
            binding,
        }
    }

    fn plain(terminals: &[(&str, bool)]) -> Execution {
        exec(case_with(terminals), Binding::default())
    }

    #[tokio::test]
    async fn leases_are_disjoint_and_come_back() {
        let pool = SubscriberPool::for_profile(None);
        let case = plain(&[("alice", true), ("bob", true), ("carol", false)]);
        let a = pool.lease(&case).await.unwrap();
        let b = pool.lease(&case).await.unwrap();
        assert_ne!(a.by_role["alice"], b.by_role["alice"]);
        assert!(!a.by_role["carol"].rcs);
        let taken: Vec<_> = a.by_role.values().chain(b.by_role.values()).collect();
        for (i, s) in taken.iter().enumerate() {
            assert!(!taken[i + 1..].contains(s), "{s:?} leased twice");
        }
        // Five non-RCS users: the sixth concurrent lease waits until one comes back.
        let mut held = vec![a, b];
        for _ in 0..3 {
            held.push(pool.lease(&case).await.unwrap());
        }
        let pool2 = pool.clone();
        let case2 = case.clone();
        let waiting = tokio::spawn(async move {
            pool2
                .lease(&case2)
                .await
                .map(|l| l.by_role["carol"].clone())
        });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished());
        let back = held.remove(0).by_role["carol"].clone();
        assert_eq!(waiting.await.unwrap().unwrap(), back);
    }

    #[tokio::test]
    async fn an_impossible_case_is_an_error_not_a_wait() {
        let pool = SubscriberPool::for_profile(None);
        let many: Vec<(String, bool)> = (0..6).map(|i| (format!("t{i}"), false)).collect();
        let refs: Vec<(&str, bool)> = many.iter().map(|(n, r)| (n.as_str(), *r)).collect();
        let err = pool.lease(&plain(&refs)).await.unwrap_err();
        assert!(err.contains("6 non-RCS subscribers at cmcc"), "{err}");
    }

    #[tokio::test]
    async fn terminals_get_their_carrier_and_number_range() {
        use crate::case::{CarrierRef, Symbol};
        let mut case = case_with(&[("alice", true), ("bob", true), ("carol", false)]);
        case.roles[0].carrier = CarrierRef::Symbol(Symbol::A);
        case.roles[1].carrier = CarrierRef::Symbol(Symbol::B);
        // carol: subscribed at b with a number from a's range (ported a → b).
        case.roles[2].carrier = CarrierRef::Symbol(Symbol::B);
        case.roles[2].number_from = Some(CarrierRef::Symbol(Symbol::A));
        let binding = Binding::new([(Symbol::A, Carrier::Cucc), (Symbol::B, Carrier::Ctcc)]);
        let pool = SubscriberPool::for_profile(None);
        let lease = pool.lease(&exec(case, binding)).await.unwrap();
        let (alice, bob, carol) = (
            &lease.by_role["alice"],
            &lease.by_role["bob"],
            &lease.by_role["carol"],
        );
        assert_eq!(alice.msisdn, "+8613000000001");
        assert_eq!(
            (alice.carrier, alice.domain.as_str()),
            (Carrier::Cucc, Carrier::Cucc.home_domain())
        );
        assert_eq!(bob.msisdn, "+8613300000001");
        assert_eq!(bob.carrier, Carrier::Ctcc);
        assert_eq!(Carrier::of_number(&carol.msisdn), Some(Carrier::Cucc));
        assert!(carol.msisdn.starts_with("+86131"), "{}", carol.msisdn);
        assert_eq!(
            (carol.carrier, carol.domain.as_str()),
            (Carrier::Ctcc, Carrier::Ctcc.home_domain())
        );
        assert!(
            carol.impi.ends_with(Carrier::Ctcc.home_domain()),
            "{}",
            carol.impi
        );
    }

    #[tokio::test]
    async fn a_profile_pool_is_used_as_declared() {
        let mut sub = Subscriber::builtin(1, true);
        sub.move_to(Carrier::Cucc, "ims.example.net");
        let pool = Arc::new(SubscriberPool {
            all: vec![sub.clone()],
            portable: false,
            free: Mutex::new(vec![true]),
            returned: Notify::new(),
        });
        let mut case = case_with(&[("alice", true)]);
        // Not at cmcc: the only subscriber is at cucc.
        let err = pool
            .lease(&exec(case.clone(), Binding::default()))
            .await
            .unwrap_err();
        assert!(
            err.contains("1 RCS subscribers at cmcc; the pool has 0"),
            "{err}"
        );
        // At cucc with a cmcc number: the profile's ported subscriber.
        case.roles[0].carrier = crate::case::CarrierRef::Fixed(Carrier::Cucc);
        case.roles[0].number_from = Some(crate::case::CarrierRef::Fixed(Carrier::Cmcc));
        let lease = pool
            .lease(&exec(case.clone(), Binding::default()))
            .await
            .unwrap();
        assert_eq!(lease.by_role["alice"], sub);
        drop(lease);
        // At cucc with a ctcc number: none.
        case.roles[0].number_from = Some(crate::case::CarrierRef::Fixed(Carrier::Ctcc));
        let err = pool
            .lease(&exec(case, Binding::default()))
            .await
            .unwrap_err();
        assert!(err.contains("at cucc with ctcc numbers"), "{err}");
    }

    #[test]
    fn carrier_variables_follow_the_binding_and_the_role() {
        use crate::case::Symbol;
        let vars = symbol_vars(&Binding::new([(Symbol::B, Carrier::Ctcc)]));
        assert_eq!(vars["b.carrier"], "ctcc");
        assert_eq!(vars["b.domain"], Carrier::Ctcc.home_domain());
        assert_eq!(vars["b.chatbot-domain"], "botplatform.rcs.chinatelecom.cn");
        assert!(!vars.contains_key("a.carrier"));
        let mc = Peer {
            name: "mc".into(),
            kind: RoleKind::MessageCenter,
            subscriber: None,
            sip_udp: None,
            sip_tcp: None,
            sip_tls: None,
            http: None,
            carrier: Carrier::Cucc,
        };
        let vars = role_vars(&BTreeMap::from([("mc".to_owned(), mc)]));
        assert_eq!(vars["mc.carrier"], "cucc");
        assert_eq!(vars["mc.domain"], Carrier::Cucc.home_domain());
    }
}
