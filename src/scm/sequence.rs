//! Sequence nodes: a per-unit time series of `T` steps, declared by an
//! equation key `name[T]` and simulated one step at a time, and the summaries
//! that turn a sequence into one number per unit.
//!
//! The summaries are one registry shared by the equation language (where
//! `slope(hr)` is a scalar node's input) and by the estimators' declared
//! summaries (`adjust: [slope(hr)]`, computed from the data's `hr[1]`, ...
//! columns in `data::sequence`), so that a simulated confounder and the summary
//! an estimator is given are the same function, to the bit.

use super::error::ScmErrorKind;

/// The longest sequence a model may declare: a run holds `T` columns per
/// sequence, and `spec::size` prices every one of them.
pub const MAX_STEPS: usize = 10_000;

/// A function from a whole sequence to one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Summary {
    First,
    Last,
    Mean,
    /// The least-squares slope of the values on the step numbers 1..T.
    Slope,
    /// The largest value.
    Peak,
    /// The smallest value.
    Trough,
}

/// Every summary, with its name and what it computes (for errors and docs).
pub const SUMMARIES: &[(&str, Summary, &str)] = &[
    ("first", Summary::First, "the value at step 1"),
    ("last", Summary::Last, "the value at the last step"),
    ("mean", Summary::Mean, "the mean over the steps"),
    ("slope", Summary::Slope, "the least-squares slope of the values on the step numbers"),
    ("peak", Summary::Peak, "the largest value"),
    ("trough", Summary::Trough, "the smallest value"),
];

/// `crossed(x, c)`: 1 where the sequence exceeds `c` at some step, else 0.
pub const CROSSED: &str = "crossed";

impl Summary {
    pub fn lookup(name: &str) -> Option<Summary> {
        SUMMARIES.iter().find(|(n, _, _)| *n == name).map(|&(_, s, _)| s)
    }

    pub fn name(self) -> &'static str {
        SUMMARIES.iter().find(|(_, s, _)| *s == self).map_or("?", |(n, _, _)| n)
    }

    /// The summary of one unit's values, steps in order. Sums run from the
    /// first step to the last, so every caller gets the same bits.
    pub fn apply(self, values: &[f64]) -> f64 {
        let n = values.len();
        match self {
            Summary::First => values[0],
            Summary::Last => values[n - 1],
            Summary::Mean => values.iter().sum::<f64>() / n as f64,
            Summary::Slope => {
                if n < 2 {
                    return 0.0;
                }
                // Centred step numbers: sum of (t - tbar) x_t over sum of (t - tbar)^2.
                let centre = (n as f64 + 1.0) / 2.0;
                let mut num = 0.0;
                let mut den = 0.0;
                for (i, x) in values.iter().enumerate() {
                    let d = (i + 1) as f64 - centre;
                    num += d * x;
                    den += d * d;
                }
                num / den
            }
            Summary::Peak => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            Summary::Trough => values.iter().copied().fold(f64::INFINITY, f64::min),
        }
    }
}

/// The names of the summaries, for "did you mean" and hints.
pub fn summary_names() -> impl Iterator<Item = &'static str> {
    SUMMARIES.iter().map(|(n, _, _)| *n).chain([CROSSED])
}

/// An equation key: `name` for a scalar node, `name[T]` for a sequence of
/// `T` steps. The error's offset is into the key.
pub fn split_key(key: &str) -> Result<(&str, Option<usize>), (usize, ScmErrorKind)> {
    let Some(open) = key.find('[') else { return Ok((key, None)) };
    let bad = |at: usize, found: &str| {
        (
            at,
            ScmErrorKind::Parse {
                expected: format!("a sequence's length as `name[T]`, a whole number from 2 to {MAX_STEPS}"),
                found: found.to_string(),
            },
        )
    };
    let name = &key[..open];
    if name.is_empty() {
        return Err(bad(0, "`[` before a name"));
    }
    let Some(inner) = key[open + 1..].strip_suffix(']') else {
        return Err(bad(key.len(), "the end of the key without `]`"));
    };
    match inner.trim().parse::<usize>() {
        Ok(t) if (2..=MAX_STEPS).contains(&t) => Ok((name, Some(t))),
        _ => Err(bad(open + 1, &format!("`{inner}`"))),
    }
}

/// The name of the node an equation key declares (`hr` for `hr[8]`).
pub fn node_name(key: &str) -> &str {
    key.split('[').next().unwrap_or(key)
}

/// The column of step `step` (1-based) of sequence `name`: `hr[3]`.
pub fn step_column(name: &str, step: usize) -> String {
    format!("{name}[{step}]")
}

/// Step `k` of `column` if it is a step column of sequence `name`.
pub fn step_of(column: &str, name: &str) -> Option<usize> {
    column.strip_prefix(name)?.strip_prefix('[')?.strip_suffix(']')?.parse().ok().filter(|&k| k >= 1)
}

/// A declared summary written as in the equations, `slope(hr)`: its summary
/// and sequence; `None` for a plain name.
pub fn parse_summary_call(text: &str) -> Option<(Summary, &str)> {
    let (f, rest) = text.split_once('(')?;
    let arg = rest.strip_suffix(')')?.trim();
    Some((Summary::lookup(f.trim())?, arg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_by_hand() {
        let x = [1.0, 3.0, 2.0, 6.0];
        assert_eq!(Summary::First.apply(&x), 1.0);
        assert_eq!(Summary::Last.apply(&x), 6.0);
        assert_eq!(Summary::Mean.apply(&x), 3.0);
        // Centred steps -1.5, -0.5, 0.5, 1.5: (-1.5 - 1.5 + 1 + 9) / 5 = 1.4.
        assert!((Summary::Slope.apply(&x) - 1.4).abs() < 1e-15);
        assert_eq!(Summary::Peak.apply(&x), 6.0);
        assert_eq!(Summary::Trough.apply(&x), 1.0);
        // A straight line's slope is its step.
        let line: Vec<f64> = (1..=8).map(|t| 5.0 - 0.25 * t as f64).collect();
        assert!((Summary::Slope.apply(&line) + 0.25).abs() < 1e-15);
        for (name, s, _) in SUMMARIES {
            assert_eq!(Summary::lookup(name), Some(*s));
            assert_eq!(s.name(), *name);
        }
    }

    #[test]
    fn keys_and_columns() {
        assert_eq!(split_key("hr"), Ok(("hr", None)));
        assert_eq!(split_key("hr[8]"), Ok(("hr", Some(8))));
        assert_eq!(split_key("hr[1]").unwrap_err().0, 3);
        assert_eq!(split_key("hr[x]").unwrap_err().0, 3);
        assert_eq!(split_key("hr[8").unwrap_err().0, 4);
        assert_eq!(split_key("[8]").unwrap_err().0, 0);
        assert_eq!(node_name("hr[8]"), "hr");
        assert_eq!(step_column("hr", 3), "hr[3]");
        assert_eq!(step_of("hr[3]", "hr"), Some(3));
        assert_eq!(step_of("hr_mean", "hr"), None);
        assert_eq!(step_of("hrx[3]", "hr"), None);
        assert_eq!(parse_summary_call("slope(hr)"), Some((Summary::Slope, "hr")));
        assert_eq!(parse_summary_call("hr"), None);
        assert_eq!(parse_summary_call("nope(hr)"), None);
    }
}

#[cfg(test)]
mod model_tests {
    use std::collections::BTreeMap;

    use super::super::{Equation, Missingness, Model, ScmErrorKind};
    use super::Summary;
    use crate::rng::RunRng;
    use rand::SeedableRng;

    fn model(eqs: &[(&str, &str)]) -> Result<Model, super::super::ScmError> {
        let list: Vec<Equation> = eqs.iter().map(|(n, e)| Equation::new(*n, *e)).collect();
        Model::compile(&list, &BTreeMap::new())
    }

    const AR: &[(&str, &str)] = &[
        ("u", "normal(0, 1)"),
        ("h[6]", "if(t == 1, u, 0.5 * h[t-1]) + normal(0, 1)"),
        ("x[6]", "h + normal(0, 0.1)"),
        ("s", "slope(x)"),
        ("d", "bernoulli(sigmoid(s + crossed(x, 1)))"),
        ("y", "2 * d + last(h) + x[2] + normal(0, 1)"),
    ];

    #[test]
    fn a_sequence_is_one_node_and_its_steps_are_columns() {
        let m = model(AR).unwrap();
        let dag = m.dag();
        let edges: Vec<String> = dag.edges().map(|(a, b)| format!("{}->{}", dag.name(a), dag.name(b))).collect();
        assert_eq!(edges.len(), 8, "{edges:?}");
        for e in ["u->h", "h->x", "x->s", "s->d", "x->d", "d->y", "h->y", "x->y"] {
            assert!(edges.contains(&e.to_string()), "{e} in {edges:?}");
        }
        assert_eq!(m.sequences(), [("h".to_string(), 6), ("x".to_string(), 6)]);
        assert_eq!(m.key_of("h"), Some("h[6]"));
        let sim = m.simulate(300, "d", "y", &Missingness::None, &mut RunRng::seed_from_u64(7)).unwrap();
        let col = |n: &str| sim.column(n).unwrap().to_vec();
        let names: Vec<&str> = sim.columns.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(&names[..3], ["u", "h[1]", "h[2]"]);
        assert_eq!(names.len(), 1 + 6 + 6 + 3);
        // The summary node is the registry's summary of the step columns, to the bit.
        let x: Vec<Vec<f64>> = (1..=6).map(|k| col(&format!("x[{k}]"))).collect();
        for row in 0..300 {
            let steps: Vec<f64> = x.iter().map(|c| c[row]).collect();
            assert_eq!(col("s")[row], Summary::Slope.apply(&steps));
        }
        // AR(1): each step keeps half the last, plus its own unit noise.
        let (h1, h2) = (col("h[1]"), col("h[2]"));
        let resid: Vec<f64> = h1.iter().zip(&h2).map(|(a, b)| b - 0.5 * a).collect();
        let var = resid.iter().map(|r| r * r).sum::<f64>() / 300.0;
        assert!((var - 1.0).abs() < 0.2, "{var}");
        // The treatment reads the sequence, which does not read it: the effect is exactly 2.
        assert!(sim.mu1.iter().zip(&sim.mu0).all(|(a, b)| (a - b - 2.0).abs() < 1e-12));
    }

    #[test]
    fn the_same_seed_gives_the_same_bits() {
        let m = model(AR).unwrap();
        let a = m.simulate(50, "d", "y", &Missingness::None, &mut RunRng::seed_from_u64(3)).unwrap();
        let b = model(AR).unwrap().simulate(50, "d", "y", &Missingness::None, &mut RunRng::seed_from_u64(3)).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn a_sequence_after_the_treatment_changes_under_intervention() {
        // The treatment shifts every step of a mediating sequence; the outcome reads its mean.
        let m = model(&[
            ("d", "bernoulli(0.5)"),
            ("m[4]", "if(t == 1, 0, m[t-1]) + d + normal(0, 1)"),
            ("y", "mean(m) + normal(0, 1)"),
        ])
        .unwrap();
        let sim = m.simulate(40, "d", "y", &Missingness::None, &mut RunRng::seed_from_u64(1)).unwrap();
        // m[k] gains k under do(d = 1): the mean gains (1 + 2 + 3 + 4) / 4.
        assert!(sim.mu1.iter().zip(&sim.mu0).all(|(a, b)| (a - b - 2.5).abs() < 1e-12));
    }

    /// The error of a model, with the equation key it names and the offset.
    fn error(eqs: &[(&str, &str)]) -> (Option<String>, Option<usize>, ScmErrorKind) {
        let e = model(eqs).unwrap_err();
        (e.node, e.offset, e.kind)
    }

    #[test]
    fn located_errors() {
        let (node, at, kind) = error(&[("h[4]", "h[t-4] + normal(0, 1)")]);
        assert_eq!((node.as_deref(), at), (Some("h[4]"), Some(0)));
        assert!(matches!(kind, ScmErrorKind::LagTooLong { lag: 4, len: 4, .. }));
        let (_, at, kind) = error(&[("h[4]", "1 + h[t]")]);
        assert_eq!(at, Some(4));
        assert!(matches!(kind, ScmErrorKind::ReadsOwnPresent { .. }));
        let (_, at, kind) = error(&[("h[4]", "normal(0, 1)"), ("y", "2 * h")]);
        assert_eq!(at, Some(4));
        assert!(matches!(kind, ScmErrorKind::SequenceAsScalar { len: 4, .. }));
        let (_, _, kind) = error(&[("h[4]", "normal(0, 1)"), ("x[5]", "h[t-1]")]);
        assert!(matches!(kind, ScmErrorKind::LengthMismatch { len: 4, expected: 5, .. }));
        let (_, _, kind) = error(&[("h[4]", "normal(0, 1)"), ("x[5]", "h")]);
        assert!(matches!(kind, ScmErrorKind::LengthMismatch { .. }));
        let (_, _, kind) = error(&[("a", "normal(0, 1)"), ("y", "a[1]")]);
        assert!(matches!(kind, ScmErrorKind::NotASequence { .. }));
        let (_, _, kind) = error(&[("h[4]", "normal(0, 1)"), ("y", "h[t-1]")]);
        assert!(matches!(kind, ScmErrorKind::StepOutsideSequence { .. }));
        let (_, _, kind) = error(&[("h[4]", "normal(0, 1)"), ("y", "h[5]")]);
        assert!(matches!(kind, ScmErrorKind::StepOutOfRange { step: 5, len: 4, .. }));
        let (_, _, kind) = error(&[("a", "normal(0, 1)"), ("y", "mean(a)")]);
        assert!(matches!(kind, ScmErrorKind::SummaryOfScalar { .. }));
        let (_, _, kind) = error(&[("h[4]", "normal(0, 1)"), ("y", "slope(h + 1)")]);
        assert!(matches!(kind, ScmErrorKind::SummaryArgument { .. }));
        let (_, _, kind) = error(&[("h[4]", "normal(0, 1)"), ("y", "meen(h)")]);
        assert!(matches!(kind, ScmErrorKind::UnknownFunction { suggestion: Some(s), .. } if s == "mean"));
        let (node, _, kind) = error(&[("h[1]", "normal(0, 1)")]);
        assert_eq!(node.as_deref(), Some("h[1]"));
        assert!(matches!(kind, ScmErrorKind::Parse { .. }));
        let (_, _, kind) = error(&[("h[4]", "normal(0, 1)"), ("h", "1")]);
        assert!(matches!(kind, ScmErrorKind::DuplicateNode { .. }));
        // Two sequences that read each other's past cannot be one node each.
        let (_, _, kind) = error(&[("a[3]", "b[t-1] + normal(0, 1)"), ("b[3]", "a[t-1] + normal(0, 1)")]);
        assert!(matches!(kind, ScmErrorKind::SequenceCycle { .. }));
        // A sequence cannot be the treatment.
        let m = model(&[("h[3]", "bernoulli(0.5)"), ("y", "last(h)")]).unwrap();
        let e = m.simulate(5, "h", "y", &Missingness::None, &mut RunRng::seed_from_u64(1)).unwrap_err();
        assert!(matches!(e.kind, ScmErrorKind::SequenceEndpoint { role: "treatment", .. }));
    }
}
