//! Carriers in a case: a role's `carrier:` and `number-from:`, the symbols `a`, `b`, `c`, and the
//! bindings of symbols to carriers that make one execution each.
//!
//! A case that names only fixed carriers (or none: China Mobile) runs once. A case whose roles say
//! `carrier: a` (or `number-from: b`) runs once per assignment of distinct carriers to its symbols,
//! so an interworking flow is tried between every ordered pair of carriers (protocols.md §9.1,
//! §13.3). This module does not route anything; it only says which carrier each role belongs to in
//! one execution.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

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

/// The carriers bound to a case's symbols in one execution (empty for a case without symbols).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Binding(BTreeMap<Symbol, Carrier>);

impl Binding {
    pub fn new(pairs: impl IntoIterator<Item = (Symbol, Carrier)>) -> Self {
        Self(pairs.into_iter().collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The carrier `r` stands for; a symbol this binding leaves unbound is China Mobile.
    pub fn resolve(&self, r: CarrierRef) -> Carrier {
        match r {
            CarrierRef::Fixed(c) => c,
            CarrierRef::Symbol(s) => self.0.get(&s).copied().unwrap_or_default(),
        }
    }

    /// The bound carrier of `symbol`, if any.
    pub fn get(&self, symbol: Symbol) -> Option<Carrier> {
        self.0.get(&symbol).copied()
    }

    /// Symbol and carrier, in symbol order.
    pub fn iter(&self) -> impl Iterator<Item = (Symbol, Carrier)> + '_ {
        self.0.iter().map(|(s, c)| (*s, *c))
    }

    /// `cmcc>cucc`: the carriers in symbol order (a, b, c), as execution keys show them.
    pub fn label(&self) -> String {
        self.0
            .values()
            .map(|c| c.as_str())
            .collect::<Vec<_>>()
            .join(">")
    }

    /// Symbol name to carrier name, as [`crate::events::CaseStarted::carriers`] carries them.
    pub fn names(&self) -> BTreeMap<String, String> {
        self.iter()
            .map(|(s, c)| (s.as_str().to_owned(), c.as_str().to_owned()))
            .collect()
    }
}

/// Every assignment of distinct carriers from `carriers` to `symbols`, in the order of `carriers`
/// (with all three carriers and two symbols: cmcc>cucc, cmcc>ctcc, cucc>cmcc, ... ctcc>cucc).
/// No symbols: the one empty binding. More symbols than carriers: none.
pub fn bindings(symbols: &[Symbol], carriers: &[Carrier]) -> Vec<Binding> {
    let mut out = Vec::new();
    let mut chosen = Vec::with_capacity(symbols.len());
    assign(symbols, carriers, &mut chosen, &mut out);
    out
}

fn assign(
    symbols: &[Symbol],
    carriers: &[Carrier],
    chosen: &mut Vec<Carrier>,
    out: &mut Vec<Binding>,
) {
    if chosen.len() == symbols.len() {
        out.push(Binding::new(symbols.iter().copied().zip(chosen.clone())));
        return;
    }
    for &c in carriers {
        if !chosen.contains(&c) {
            chosen.push(c);
            assign(symbols, carriers, chosen, out);
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
}
