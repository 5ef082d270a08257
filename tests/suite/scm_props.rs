//! Property tests: the compiled, column-wise evaluator agrees with a per-row
//! tree-walking oracle on random expressions, and no input makes the compiler panic.

use std::collections::BTreeMap;

use causeway::run::RunRng;
use causeway::scm::{Equation, Missingness, Model};
use proptest::prelude::*;
use rand::SeedableRng;

/// A test-side expression over variables a and b, with its own printer and evaluator.
#[derive(Debug, Clone)]
enum E {
    A,
    B,
    Num(f64),
    Neg(Box<E>),
    Bin(char, Box<E>, Box<E>),
    Call(&'static str, Vec<E>),
    If(Box<E>, Box<E>, Box<E>, Box<E>),
}

fn print(e: &E) -> String {
    match e {
        E::A => "a".into(),
        E::B => "b".into(),
        E::Num(x) => format!("({x:?})"),
        E::Neg(x) => format!("-({})", print(x)),
        E::Bin('/', x, y) => format!("({}) / (1 + ({})^2)", print(x), print(y)),
        E::Bin(op, x, y) => format!("({}) {op} ({})", print(x), print(y)),
        E::Call(f, args) => format!("{f}({})", args.iter().map(print).collect::<Vec<_>>().join(", ")),
        E::If(l, r, x, y) => format!("if({} < {}, {}, {})", print(l), print(r), print(x), print(y)),
    }
}

fn oracle(e: &E, a: f64, b: f64) -> f64 {
    let ev = |x: &E| oracle(x, a, b);
    match e {
        E::A => a,
        E::B => b,
        E::Num(x) => *x,
        E::Neg(x) => -ev(x),
        E::Bin('+', x, y) => ev(x) + ev(y),
        E::Bin('-', x, y) => ev(x) - ev(y),
        E::Bin('*', x, y) => ev(x) * ev(y),
        E::Bin('/', x, y) => ev(x) / (1.0 + ev(y).powi(2)),
        E::Bin(_, _, _) => unreachable!("generator makes + - * / only"),
        E::Call(f, args) => {
            let v: Vec<f64> = args.iter().map(ev).collect();
            match *f {
                "sigmoid" => 1.0 / (1.0 + (-v[0]).exp()),
                "tanh" => v[0].tanh(),
                "sin" => v[0].sin(),
                "abs" => v[0].abs(),
                "relu" => v[0].max(0.0),
                "max" => v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                "min" => v.iter().copied().fold(f64::INFINITY, f64::min),
                other => unreachable!("generator makes no `{other}`"),
            }
        }
        E::If(l, r, x, y) => {
            if ev(l) < ev(r) {
                ev(x)
            } else {
                ev(y)
            }
        }
    }
}

fn expr() -> impl Strategy<Value = E> {
    let leaf = prop_oneof![Just(E::A), Just(E::B), (-3.0f64..3.0).prop_map(E::Num)];
    leaf.prop_recursive(4, 24, 3, |inner| {
        let boxed = || inner.clone().prop_map(Box::new);
        prop_oneof![
            boxed().prop_map(E::Neg),
            (prop::sample::select(vec!['+', '-', '*', '/']), boxed(), boxed()).prop_map(|(o, x, y)| E::Bin(o, x, y)),
            (prop::sample::select(vec!["sigmoid", "tanh", "sin", "abs", "relu"]), inner.clone())
                .prop_map(|(f, x)| E::Call(f, vec![x])),
            (prop::sample::select(vec!["max", "min"]), prop::collection::vec(inner.clone(), 2..4))
                .prop_map(|(f, xs)| E::Call(f, xs)),
            (boxed(), boxed(), boxed(), boxed()).prop_map(|(l, r, x, y)| E::If(l, r, x, y)),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn column_wise_evaluation_matches_the_row_oracle(e in expr(), seed in 0u64..1000) {
        let src = print(&e);
        let equations = vec![
            Equation::new("a", "normal(0, 1)"),
            Equation::new("b", "uniform(-2, 2)"),
            Equation::new("t", "bernoulli(0.5)"),
            Equation::new("y", src.clone()),
        ];
        let model = Model::compile(&equations, &BTreeMap::new()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut rng = RunRng::seed_from_u64(seed);
        let sim = model.simulate(64, "t", "y", &Missingness::None, &mut rng).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let (a, b, y) = (sim.column("a").unwrap(), sim.column("b").unwrap(), sim.column("y").unwrap());
        for i in 0..64 {
            let want = oracle(&e, a[i], b[i]);
            prop_assert!((y[i] - want).abs() <= 1e-9 * (1.0 + want.abs()), "{src} at row {i}: {} vs {want}", y[i]);
        }
    }

    #[test]
    fn arbitrary_text_never_panics(src in "[a-z0-9_$().,+*/^<>=! -]{0,40}") {
        let equations = vec![Equation::new("a", "normal(0, 1)"), Equation::new("y", src)];
        let _ = Model::compile(&equations, &BTreeMap::new());
    }
}
