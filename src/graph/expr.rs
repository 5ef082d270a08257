//! Probability expressions produced by the ID algorithm: sums, products and
//! quotients of conditional probabilities of the observed distribution.
//!
//! `Term` is the working form over node ids; its constructors simplify as they
//! build (summing a variable out of the only factor that mentions it, turning
//! `P(a, b | c) / P(b | c)` into `P(a | b, c)`, cancelling common factors), so
//! the textbook formulas come out in their textbook shape. `Expr` is the
//! public form over names, printable and serializable; printing renames a
//! summation variable that shadows another (`x` inside `Σ_x` under `do(x)`
//! becomes `x'`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

use super::{Admg, NodeSet};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Term {
    One,
    Prob { vars: NodeSet, given: NodeSet },
    Sum { over: NodeSet, body: Box<Term> },
    Product(Vec<Term>),
    Fraction { num: Box<Term>, den: Box<Term> },
}

impl Term {
    /// The joint distribution of `vars`.
    pub(crate) fn joint(vars: NodeSet) -> Term {
        if vars.is_empty() { Term::One } else { Term::Prob { vars, given: NodeSet::default() } }
    }

    /// Variables that occur free (not bound by a sum).
    pub(crate) fn free(&self) -> NodeSet {
        match self {
            Term::One => NodeSet::default(),
            Term::Prob { vars, given } => vars.union(given),
            Term::Sum { over, body } => body.free().difference(over),
            Term::Product(fs) => fs.iter().fold(NodeSet::default(), |acc, f| acc.union(&f.free())),
            Term::Fraction { num, den } => num.free().union(&den.free()),
        }
    }

    /// `Σ_over body`, simplified.
    pub(crate) fn sum(over: &NodeSet, body: Term) -> Term {
        let over = over.intersection(&body.free());
        if over.is_empty() {
            return body;
        }
        match body {
            Term::Prob { vars, given } if over.is_subset(&vars) => {
                let rest = vars.difference(&over);
                if rest.is_empty() { Term::One } else { Term::Prob { vars: rest, given } }
            }
            Term::Sum { over: inner, body } => Term::sum(&over.union(&inner), *body),
            Term::Product(factors) => sum_of_product(over, factors),
            body => Term::Sum { over, body: Box::new(body) },
        }
    }

    /// The product of `factors`, flattened, without ones, plain probabilities
    /// first (so that a sum, which extends to the right, comes last).
    pub(crate) fn product(factors: Vec<Term>) -> Term {
        let mut flat = Vec::with_capacity(factors.len());
        for f in factors {
            match f {
                Term::One => {}
                Term::Product(inner) => flat.extend(inner),
                other => flat.push(other),
            }
        }
        flat.sort_by_key(|f| !matches!(f, Term::Prob { .. }));
        match flat.len() {
            0 => Term::One,
            1 => flat.pop().unwrap_or(Term::One),
            _ => Term::Product(flat),
        }
    }

    /// `num / den`, simplified.
    pub(crate) fn fraction(num: Term, den: Term) -> Term {
        if den == Term::One {
            return num;
        }
        if let (Term::Prob { vars: a, given: c1 }, Term::Prob { vars: b, given: c2 }) = (&num, &den)
            && c1 == c2
            && b.is_subset(a)
            && b != a
        {
            return Term::Prob { vars: a.difference(b), given: c1.union(b) };
        }
        let mut top = factors_of(num);
        let mut bottom = Vec::new();
        for f in factors_of(den) {
            match top.iter().position(|t| *t == f) {
                Some(i) => {
                    top.remove(i);
                }
                None => bottom.push(f),
            }
        }
        let (num, den) = (Term::product(top), Term::product(bottom));
        if den == Term::One { num } else { Term::Fraction { num: Box::new(num), den: Box::new(den) } }
    }

    /// `P(v | given)` computed from `p`, a distribution over `domain`.
    pub(crate) fn conditional(p: &Term, v: usize, given: &NodeSet, domain: &NodeSet) -> Term {
        let num = Term::sum(&domain.difference(&given.with(v)), p.clone());
        let den = Term::sum(&domain.difference(given), p.clone());
        Term::fraction(num, den)
    }

    /// The public, name-based form.
    pub(crate) fn named(&self, g: &Admg) -> Expr {
        match self {
            Term::One => Expr::One,
            Term::Prob { vars, given } => Expr::Prob { vars: g.sorted_names(vars), given: g.sorted_names(given) },
            Term::Sum { over, body } => Expr::Sum { over: g.sorted_names(over), body: Box::new(body.named(g)) },
            Term::Product(fs) => Expr::Product { factors: fs.iter().map(|f| f.named(g)).collect() },
            Term::Fraction { num, den } => Expr::Fraction { num: Box::new(num.named(g)), den: Box::new(den.named(g)) },
        }
    }
}

fn factors_of(t: Term) -> Vec<Term> {
    match t {
        Term::Product(fs) => fs,
        Term::One => Vec::new(),
        other => vec![other],
    }
}

/// `Σ_over Π factors`: variables that only one probability factor mentions are
/// summed out of it (it is a normalized conditional), and factors that mention
/// no summed variable move in front of the sum. Factors are visited last to
/// first, so a chain of conditionals in topological order collapses in one
/// pass; O(F·V) per pass with F factors.
fn sum_of_product(mut over: NodeSet, mut factors: Vec<Term>) -> Term {
    let frees: Vec<NodeSet> = factors.iter().map(Term::free).collect();
    let width = frees.iter().flat_map(|f| f.iter().last()).max().map_or(0, |m| m + 1);
    let mut mentions = vec![0usize; width];
    for f in &frees {
        f.iter().for_each(|v| mentions[v] += 1);
    }
    loop {
        let mut changed = false;
        for factor in factors.iter_mut().rev() {
            let Term::Prob { vars, given } = factor else { continue };
            let gone: NodeSet = vars.intersection(&over).iter().filter(|&v| mentions[v] == 1).collect();
            if gone.is_empty() {
                continue;
            }
            gone.iter().for_each(|v| mentions[v] -= 1);
            let rest = vars.difference(&gone);
            *factor = if rest.is_empty() {
                given.iter().for_each(|v| mentions[v] -= 1);
                Term::One
            } else {
                Term::Prob { vars: rest, given: given.clone() }
            };
            over = over.difference(&gone);
            changed = true;
        }
        if !changed {
            break;
        }
    }
    factors.retain(|f| *f != Term::One);
    let (inside, outside): (Vec<Term>, Vec<Term>) = factors.into_iter().partition(|f| f.free().intersects(&over));
    let summed = match inside.len() {
        0 => Term::One,
        _ => {
            let body = Term::product(inside);
            let over = over.intersection(&body.free());
            if over.is_empty() { body } else { Term::Sum { over, body: Box::new(body) } }
        }
    };
    Term::product(outside.into_iter().chain([summed]).collect())
}

/// An identifying formula over variable names. Name lists are sorted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Expr {
    One,
    /// `P(vars | given)` of the observed distribution.
    Prob {
        vars: Vec<String>,
        given: Vec<String>,
    },
    Sum {
        over: Vec<String>,
        body: Box<Expr>,
    },
    Product {
        factors: Vec<Expr>,
    },
    Fraction {
        num: Box<Expr>,
        den: Box<Expr>,
    },
}

impl Expr {
    /// Names that occur free.
    pub fn free(&self) -> BTreeSet<String> {
        match self {
            Expr::One => BTreeSet::new(),
            Expr::Prob { vars, given } => vars.iter().chain(given).cloned().collect(),
            Expr::Sum { over, body } => body.free().into_iter().filter(|v| !over.contains(v)).collect(),
            Expr::Product { factors } => factors.iter().flat_map(|f| f.free()).collect(),
            Expr::Fraction { num, den } => num.free().into_iter().chain(den.free()).collect(),
        }
    }

    fn render(&self, scope: &mut Scope, out: &mut String) {
        match self {
            Expr::One => out.push('1'),
            Expr::Prob { vars, given } => {
                out.push_str("P(");
                out.push_str(&scope.show(vars));
                if !given.is_empty() {
                    out.push_str(" | ");
                    out.push_str(&scope.show(given));
                }
                out.push(')');
            }
            Expr::Sum { over, body } => {
                over.iter().for_each(|v| scope.bind(v));
                out.push_str("Σ_{");
                out.push_str(&scope.show(over));
                out.push_str("} ");
                body.render(scope, out);
                over.iter().for_each(|v| scope.unbind(v));
            }
            Expr::Product { factors } => {
                for (i, f) in factors.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    let bracket =
                        matches!(f, Expr::Sum { .. }) && i + 1 < factors.len() || matches!(f, Expr::Fraction { .. });
                    wrap(f, bracket, scope, out);
                }
            }
            Expr::Fraction { num, den } => {
                wrap(num, matches!(**num, Expr::Product { .. } | Expr::Sum { .. }), scope, out);
                out.push_str(" / ");
                wrap(den, matches!(**den, Expr::Product { .. } | Expr::Sum { .. }), scope, out);
            }
        }
    }
}

fn wrap(e: &Expr, bracket: bool, scope: &mut Scope, out: &mut String) {
    if bracket {
        out.push('[');
    }
    e.render(scope, out);
    if bracket {
        out.push(']');
    }
}

/// Printed names of the variables in scope: a summation variable that
/// shadows a name already shown is primed until its printed name is unused.
#[derive(Default)]
struct Scope {
    shown: BTreeMap<String, Vec<String>>,
    in_use: BTreeMap<String, usize>,
}

impl Scope {
    fn bind(&mut self, name: &str) {
        let mut printed = name.to_string();
        while self.in_use.get(&printed).is_some_and(|&n| n > 0) {
            printed.push('\'');
        }
        *self.in_use.entry(printed.clone()).or_default() += 1;
        self.shown.entry(name.to_string()).or_default().push(printed);
    }

    fn unbind(&mut self, name: &str) {
        if let Some(printed) = self.shown.get_mut(name).and_then(Vec::pop)
            && let Some(n) = self.in_use.get_mut(&printed)
        {
            *n -= 1;
        }
    }

    /// Names as printed (innermost binding wins), comma-separated.
    fn show(&self, names: &[String]) -> String {
        let printed: Vec<&str> =
            names.iter().map(|n| self.shown.get(n).and_then(|s| s.last()).map_or(n.as_str(), String::as_str)).collect();
        printed.join(", ")
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Free names are in scope from the start, so a sum over one of them
        // prints it primed.
        let mut scope = Scope::default();
        self.free().iter().for_each(|v| scope.bind(v));
        let mut out = String::new();
        self.render(&mut scope, &mut out);
        f.write_str(&out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(ids: &[usize]) -> NodeSet {
        ids.iter().copied().collect()
    }

    #[test]
    fn summing_out_a_lone_conditional_leaves_the_rest() {
        // Σ_{b} P(a) P(b | a) = P(a)
        let p = Term::product(vec![
            Term::Prob { vars: s(&[0]), given: s(&[]) },
            Term::Prob { vars: s(&[1]), given: s(&[0]) },
        ]);
        assert_eq!(Term::sum(&s(&[1]), p), Term::Prob { vars: s(&[0]), given: s(&[]) });
    }

    #[test]
    fn quotient_of_joints_is_a_conditional() {
        let num = Term::Prob { vars: s(&[0, 1]), given: s(&[]) };
        let den = Term::Prob { vars: s(&[1]), given: s(&[]) };
        assert_eq!(Term::fraction(num, den), Term::Prob { vars: s(&[0]), given: s(&[1]) });
    }

    #[test]
    fn shadowed_summation_variable_is_primed() {
        let e = Expr::Product {
            factors: vec![
                Expr::Prob { vars: vec!["m".into()], given: vec!["x".into()] },
                Expr::Sum {
                    over: vec!["x".into()],
                    body: Box::new(Expr::Prob { vars: vec!["y".into()], given: vec!["m".into(), "x".into()] }),
                },
            ],
        };
        assert_eq!(e.to_string(), "P(m | x) Σ_{x'} P(y | m, x')");
    }
}
