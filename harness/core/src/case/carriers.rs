//! Carriers in a case: a role's `carrier:` and `number-from:`, the symbols `a`, `b`, `c`, and the
//! bindings of symbols to carriers that make one execution each.
//!
//! A case that names only fixed carriers (or none: China Mobile) runs once. A case whose roles say
//! `carrier: a` (or `number-from: b`) runs once per assignment of distinct carriers to its symbols,
//! so an interworking flow is tried between every ordered pair of carriers (protocols.md §9.1,
//! §13.3). A run may bind the symbols to a profile's network variants instead of the built-in
//! carriers (`run --carriers cmcc,cucc-untrusting`); two symbols never share a carrier. This module
//! does not route anything; it only says which carrier (and network) each role belongs to in one
//! execution.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::carrier::Network;
use crate::role::Carrier;

/// A carrier variable of a case, bound per execution.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Symbol {
    A,
    B,
    C,
}

impl Symbol {
    pub const ALL: [Symbol; 3] = [Self::A, Self::B, Self::C];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "a",
            Self::B => "b",
            Self::C => "c",
        }
    }

    pub fn parse(s: &str) -> Option<Symbol> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a role declaration says about a carrier: one by name, or a symbol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CarrierRef {
    Fixed(Carrier),
    Symbol(Symbol),
}

impl Default for CarrierRef {
    fn default() -> Self {
        Self::Fixed(Carrier::default())
    }
}

impl CarrierRef {
    /// The words a case may write, for messages and did-you-mean.
    pub const WORDS: [&'static str; 6] = ["cmcc", "cucc", "ctcc", "a", "b", "c"];

    pub fn symbol(self) -> Option<Symbol> {
        match self {
            Self::Symbol(s) => Some(s),
            Self::Fixed(_) => None,
        }
    }
}

impl FromStr for CarrierRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Some(symbol) = Symbol::parse(s) {
            return Ok(Self::Symbol(symbol));
        }
        s.parse::<Carrier>()
            .map(Self::Fixed)
            .map_err(|_| format!("unknown carrier `{s}`"))
    }
}

impl fmt::Display for CarrierRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fixed(c) => f.write_str(c.as_str()),
            Self::Symbol(s) => f.write_str(s.as_str()),
        }
    }
}

/// The networks bound to a case's symbols in one execution (empty for a case without symbols):
/// built-in carriers, or a profile's variants of them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Binding(BTreeMap<Symbol, Arc<Network>>);

impl Binding {
    /// Symbols bound to the built-in carriers.
    pub fn new(pairs: impl IntoIterator<Item = (Symbol, Carrier)>) -> Self {
        Self::of_networks(
            pairs
                .into_iter()
                .map(|(s, c)| (s, Arc::new(Network::builtin(c)))),
        )
    }

    /// Symbols bound to networks.
    pub fn of_networks(pairs: impl IntoIterator<Item = (Symbol, Arc<Network>)>) -> Self {
        Self(pairs.into_iter().collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The carrier `r` stands for; a symbol this binding leaves unbound is China Mobile.
    pub fn resolve(&self, r: CarrierRef) -> Carrier {
        match r {
            CarrierRef::Fixed(c) => c,
            CarrierRef::Symbol(s) => self.get(s).unwrap_or_default(),
        }
    }

    /// The network `r` stands for when it is a bound symbol (a fixed carrier names no network).
    pub fn network(&self, r: CarrierRef) -> Option<&Network> {
        self.0.get(&r.symbol()?).map(|n| n.as_ref())
    }

    /// The bound carrier of `symbol`, if any.
    pub fn get(&self, symbol: Symbol) -> Option<Carrier> {
        self.0.get(&symbol).map(|n| n.carrier)
    }

    /// Symbol and carrier, in symbol order.
    pub fn iter(&self) -> impl Iterator<Item = (Symbol, Carrier)> + '_ {
        self.0.iter().map(|(s, n)| (*s, n.carrier))
    }

    /// `cmcc>cucc-untrusting`: the networks in symbol order (a, b, c), as execution keys show them.
    pub fn label(&self) -> String {
        self.0
            .values()
            .map(|n| n.name.as_str())
            .collect::<Vec<_>>()
            .join(">")
    }

    /// Symbol name to carrier name, as [`crate::events::CaseStarted::carriers`] carries them.
    pub fn names(&self) -> BTreeMap<String, String> {
        self.iter()
            .map(|(s, c)| (s.as_str().to_owned(), c.as_str().to_owned()))
            .collect()
    }

    /// Symbol name to network name, as [`crate::events::CaseStarted::networks`] carries them;
    /// empty when every bound network is a built-in carrier (then [`Self::names`] says it all).
    pub fn network_names(&self) -> BTreeMap<String, String> {
        if !self.0.values().any(|n| n.is_variant()) {
            return BTreeMap::new();
        }
        self.0
            .iter()
            .map(|(s, n)| (s.as_str().to_owned(), n.name.clone()))
            .collect()
    }
}

/// Every assignment of distinct carriers from `carriers` to `symbols`, in the order of `carriers`
/// (with all three carriers and two symbols: cmcc>cucc, cmcc>ctcc, cucc>cmcc, ... ctcc>cucc).
/// No symbols: the one empty binding. More symbols than carriers: none.
pub fn bindings(symbols: &[Symbol], carriers: &[Carrier]) -> Vec<Binding> {
    let networks: Vec<Arc<Network>> = carriers
        .iter()
        .map(|c| Arc::new(Network::builtin(*c)))
        .collect();
    network_bindings(symbols, &networks)
}

/// Every assignment of networks from `networks` to `symbols` in which no two symbols share a
/// carrier (a cross-carrier flow needs distinct carriers, so two variants of one carrier never
/// meet in one execution), in the order of `networks`.
pub fn network_bindings(symbols: &[Symbol], networks: &[Arc<Network>]) -> Vec<Binding> {
    let mut out = Vec::new();
    let mut chosen = Vec::with_capacity(symbols.len());
    assign(symbols, networks, &mut chosen, &mut out);
    out
}

fn assign(
    symbols: &[Symbol],
    networks: &[Arc<Network>],
    chosen: &mut Vec<Arc<Network>>,
    out: &mut Vec<Binding>,
) {
    if chosen.len() == symbols.len() {
        out.push(Binding::of_networks(
            symbols.iter().copied().zip(chosen.iter().cloned()),
        ));
        return;
    }
    for n in networks {
        if !chosen.iter().any(|c| c.carrier == n.carrier) {
            chosen.push(n.clone());
            assign(symbols, networks, chosen, out);
            chosen.pop();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs_parse_carriers_and_symbols() {
        assert_eq!("cucc".parse(), Ok(CarrierRef::Fixed(Carrier::Cucc)));
        assert_eq!("b".parse(), Ok(CarrierRef::Symbol(Symbol::B)));
        assert_eq!(
            "d".parse::<CarrierRef>(),
            Err("unknown carrier `d`".to_owned())
        );
        assert_eq!(CarrierRef::default(), CarrierRef::Fixed(Carrier::Cmcc));
        for w in CarrierRef::WORDS {
            assert_eq!(w.parse::<CarrierRef>().unwrap().to_string(), w);
        }
    }

    #[test]
    fn two_symbols_make_the_six_ordered_pairs() {
        let all = bindings(&[Symbol::A, Symbol::B], &Carrier::ALL);
        let labels: Vec<String> = all.iter().map(Binding::label).collect();
        assert_eq!(
            labels,
            [
                "cmcc>cucc",
                "cmcc>ctcc",
                "cucc>cmcc",
                "cucc>ctcc",
                "ctcc>cmcc",
                "ctcc>cucc"
            ]
        );
        assert_eq!(all[2].resolve(CarrierRef::Symbol(Symbol::A)), Carrier::Cucc);
        assert_eq!(all[2].get(Symbol::C), None);
    }

    #[test]
    fn restricted_and_degenerate_sets() {
        let three = bindings(&Symbol::ALL, &Carrier::ALL);
        assert_eq!(three.len(), 6);
        assert_eq!(three[0].label(), "cmcc>cucc>ctcc");
        let pair = bindings(&[Symbol::A, Symbol::B], &[Carrier::Ctcc, Carrier::Cmcc]);
        let labels: Vec<String> = pair.iter().map(Binding::label).collect();
        assert_eq!(labels, ["ctcc>cmcc", "cmcc>ctcc"]);
        assert!(bindings(&[Symbol::A, Symbol::B], &[Carrier::Cmcc]).is_empty());
        let none = bindings(&[], &Carrier::ALL);
        assert_eq!(none.len(), 1);
        assert!(none[0].is_empty());
        assert_eq!(none[0].label(), "");
    }

    #[test]
    fn unbound_symbols_and_fixed_refs_resolve() {
        let b = Binding::new([(Symbol::A, Carrier::Ctcc)]);
        assert_eq!(b.resolve(CarrierRef::Symbol(Symbol::A)), Carrier::Ctcc);
        assert_eq!(b.resolve(CarrierRef::Symbol(Symbol::B)), Carrier::Cmcc);
        assert_eq!(b.resolve(CarrierRef::Fixed(Carrier::Cucc)), Carrier::Cucc);
        assert_eq!(b.names()["a"], "ctcc");
    }
    #[test]
    fn variants_bind_with_distinct_carriers_and_name_the_key() {
        let variant = |name: &str, carrier| {
            Arc::new(Network {
                name: name.into(),
                carrier,
                settings: Default::default(),
            })
        };
        let networks = [
            Arc::new(Network::builtin(Carrier::Cmcc)),
            variant("cucc-untrusting", Carrier::Cucc),
            variant("cmcc-slow", Carrier::Cmcc),
        ];
        let all = network_bindings(&[Symbol::A, Symbol::B], &networks);
        let labels: Vec<String> = all.iter().map(Binding::label).collect();
        assert_eq!(
            labels,
            [
                "cmcc>cucc-untrusting",
                "cucc-untrusting>cmcc",
                "cucc-untrusting>cmcc-slow",
                "cmcc-slow>cucc-untrusting"
            ]
        );
        let first = &all[0];
        assert_eq!(first.resolve(CarrierRef::Symbol(Symbol::B)), Carrier::Cucc);
        let b = first.network(CarrierRef::Symbol(Symbol::B)).unwrap();
        assert_eq!(b.name, "cucc-untrusting");
        assert_eq!(first.network(CarrierRef::Fixed(Carrier::Cucc)), None);
        assert_eq!(first.names()["b"], "cucc");
        assert_eq!(first.network_names()["b"], "cucc-untrusting");
        assert_eq!(first.network_names()["a"], "cmcc");
        let plain = Binding::new([(Symbol::A, Carrier::Cmcc)]);
        assert!(plain.network_names().is_empty());
    }
}
