//! Who plays each role of one execution, with which identity, and the `${...}` values that follow.

use std::collections::BTreeMap;

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

/// Give each terminal role of the case a subscriber from the pool, RCS or not as declared.
pub fn assign_subscribers(
    case: &Case,
    profile: Option<&Profile>,
) -> Result<BTreeMap<String, Subscriber>, String> {
    let pool = match profile {
        Some(p) if !p.subscribers.is_empty() => p.subscribers.clone(),
        _ => builtin_subscribers(),
    };
    let mut rcs = pool.iter().filter(|s| s.rcs);
    let mut non_rcs = pool.iter().filter(|s| !s.rcs);
    let mut out = BTreeMap::new();
    for role in case.roles.iter().filter(|r| r.kind == RoleKind::Terminal) {
        let next = if role.rcs { rcs.next() } else { non_rcs.next() };
        let sub = next.ok_or_else(|| {
            format!(
                "not enough {} subscribers in the {} for role `{}`",
                if role.rcs { "RCS" } else { "non-RCS" },
                if profile.is_some_and(|p| !p.subscribers.is_empty()) {
                    "profile"
                } else {
                    "built-in pool"
                },
                role.name
            )
        })?;
        out.insert(role.name.clone(), sub.clone());
    }
    Ok(out)
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
        if let Some(a) = p.sip_udp.or(p.sip_tcp) {
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
    }
    vars
}
