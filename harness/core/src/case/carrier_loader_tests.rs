//! Loader tests for carriers: `carrier:` and `number-from:` on roles, the symbols `a`, `b`, `c`,
//! and `${a.carrier}`, each error located at its line and column.

use std::path::Path;

use crate::case::carriers::{CarrierRef, Symbol};
use crate::case::{Case, CaseError, parse_case};
use crate::role::Carrier;

use super::session_tests::Stub;

fn load(roles: &str, text: &str) -> Result<Case, Vec<CaseError>> {
    let source = format!(
        "id: T-1\ntitle: t\nsuite: interworking\nunder-test: mc\nrefs: [IR.90]\nroles:\n{roles}steps:\n  - alice: {{ send-chat: {{ text: \"{text}\" }} }}\n"
    );
    parse_case(Path::new("T-1.yaml"), &source, &Stub)
}

fn only_error(roles: &str) -> CaseError {
    let errors = load(roles, "hi").unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    errors.into_iter().next().unwrap()
}

#[test]
fn roles_default_to_china_mobile_and_take_carriers_and_symbols() {
    let case = load(
        "  alice: { kind: terminal, carrier: a }\n  bob: { kind: terminal, carrier: cucc, number-from: b }\n  mc: message-center\n",
        "${a.carrier} ${b.domain} ${alice.carrier}",
    )
    .unwrap();
    let alice = case.role("alice").unwrap();
    let bob = case.role("bob").unwrap();
    let mc = case.role("mc").unwrap();
    assert_eq!(alice.carrier, CarrierRef::Symbol(Symbol::A));
    assert_eq!(alice.number_from, None);
    assert_eq!(bob.carrier, CarrierRef::Fixed(Carrier::Cucc));
    assert_eq!(bob.number_from, Some(CarrierRef::Symbol(Symbol::B)));
    assert_eq!(mc.carrier, CarrierRef::Fixed(Carrier::Cmcc));
    assert_eq!(case.symbols(), [Symbol::A, Symbol::B]);
}

#[test]
fn a_case_without_carriers_has_no_symbols() {
    let case = load("  alice: terminal\n  mc: message-center\n", "hi").unwrap();
    assert!(case.symbols().is_empty());
    assert_eq!(case.role("alice").unwrap().carrier, CarrierRef::default());
}

#[test]
fn an_unknown_carrier_is_located_with_a_hint() {
    let e = only_error("  alice: { kind: terminal, carrier: cmc }\n  mc: message-center\n");
    assert!(e.message.contains("unknown carrier `cmc`"), "{e:?}");
    assert_eq!(e.hint.as_deref(), Some("did you mean `cmcc`?"));
    assert_eq!((e.line, e.column), (7, 37), "{e:?}");
    let e = only_error(
        "  alice: terminal\n  mc: message-center\n  bob: { kind: terminal, number-from: d }\n",
    );
    assert!(e.message.contains("unknown carrier `d`"), "{e:?}");
    assert_eq!((e.line, e.column), (9, 39), "{e:?}");
}

#[test]
fn number_from_is_for_terminals_only() {
    let e = only_error("  alice: terminal\n  mc: { kind: message-center, number-from: cucc }\n");
    assert!(
        e.message
            .contains("`number-from` applies to terminals; `mc` is a message-center"),
        "{e:?}"
    );
    assert_eq!(e.line, 8);
}

#[test]
fn symbols_may_not_name_roles_and_unused_symbols_are_unknown() {
    let e = only_error(
        "  alice: { kind: terminal, carrier: a }\n  b: terminal\n  mc: message-center\n",
    );
    assert!(e.message.contains("`b` is a carrier symbol"), "{e:?}");
    assert_eq!(e.line, 8);
    // Without symbols, a role may be called `b`; `${c.carrier}` names nothing.
    let errors = load(
        "  alice: terminal\n  b: terminal\n  mc: message-center\n",
        "${c.carrier}",
    )
    .unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].message.contains("`${c.carrier}` refers to `c`"),
        "{errors:?}"
    );
}
