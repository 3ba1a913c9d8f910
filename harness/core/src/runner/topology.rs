//! Who plays each role of one execution, with which identity, and the `${...}` values that follow.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::agent::Peer;
use crate::case::Case;
use crate::profile::{External, Profile};
use crate::role::{RoleKind, Subscriber};

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
    free: Mutex<Vec<bool>>,
    returned: Notify,
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
        let all = match (profile, domain) {
            (Some(p), _) if !p.subscribers.is_empty() => p.subscribers.clone(),
            (_, Some(domain)) => builtin_in(&domain),
            _ => builtin_subscribers(),
        };
        let free = Mutex::new(vec![true; all.len()]);
        Arc::new(Self {
            all,
            free,
            returned: Notify::new(),
        })
    }

    /// Lease one subscriber per terminal role of `case` (RCS or not, as declared), waiting for other
    /// executions to return theirs. An error when the whole pool could never satisfy the case.
    pub async fn lease(self: &Arc<Self>, case: &Case) -> Result<Lease, String> {
        let terminals: Vec<_> = case
            .roles
            .iter()
            .filter(|r| r.kind == RoleKind::Terminal)
            .collect();
        for rcs in [true, false] {
            let need = terminals.iter().filter(|r| r.rcs == rcs).count();
            let have = self.all.iter().filter(|s| s.rcs == rcs).count();
            if need > have {
                let kind = if rcs { "RCS" } else { "non-RCS" };
                return Err(format!(
                    "the case needs {need} {kind} subscribers; the pool has {have}"
                ));
            }
        }
        loop {
            let notified = self.returned.notified();
            if let Some(lease) = self.try_lease(&terminals) {
                return Ok(lease);
            }
            notified.await;
        }
    }

    fn try_lease(self: &Arc<Self>, terminals: &[&crate::case::RoleDecl]) -> Option<Lease> {
        let mut free = lock(&self.free);
        let mut taken = Vec::new();
        let mut by_role = BTreeMap::new();
        for role in terminals {
            let index = (0..self.all.len())
                .find(|&i| free[i] && !taken.contains(&i) && self.all[i].rcs == role.rcs)?;
            taken.push(index);
            by_role.insert(role.name.clone(), self.all[index].clone());
        }
        for &i in &taken {
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
        if let Some(s) = &p.subscriber {
            put("uri", s.sip_uri());
            put("tel", s.tel_uri());
            put("msisdn", s.msisdn.clone());
            put("impi", s.impi.clone());
            put("password", s.password.clone());
            put("domain", s.domain.clone());
        } else {
            put("domain", crate::role::HOME_DOMAIN.to_owned());
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
                    settings: Default::default(),
                    line: 1,
                })
                .collect(),
            steps: Vec::new(),
            detects: Vec::new(),
        }
    }

    #[tokio::test]
    async fn leases_are_disjoint_and_come_back() {
        let pool = SubscriberPool::for_profile(None);
        let case = case_with(&[("alice", true), ("bob", true), ("carol", false)]);
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
        let err = pool.lease(&case_with(&refs)).await.unwrap_err();
        assert!(err.contains("6 non-RCS"), "{err}");
    }
}
