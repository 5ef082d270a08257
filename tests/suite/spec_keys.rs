//! Run keys depend on what an experiment file means, not on how it is written:
//! reordering mapping keys, spelling defaults out and spelling numbers differently
//! (`0.001`, `1e-3`, `1.0e-3`, `1E-3`, `0.0010`) leave every key unchanged, while
//! changing any number changes exactly the keys of the runs it feeds.
//!
//! Specs are written as text, loaded from a file and planned through the public
//! API, as `causeway plan` does. Equation order is not permuted: it fixes the
//! column and noise-draw order of the simulator, so it rightly enters the key.

use std::path::Path;

use causeway::run::{PlanContext, Run, plan};
use causeway::spec;
use proptest::prelude::*;
use serde_json::json;

/// Shares, clips and learning rates: all valid as any of them.
const SMALL: [f64; 12] = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.45];
const SCALES: [f64; 8] = [0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.5];
const ROWS: [f64; 4] = [50.0, 100.0, 200.0, 400.0];
const FOLDS: [u64; 4] = [2, 3, 5, 10];
const ITERATIONS: [u64; 4] = [100, 500, 3000, 5000];
const VALIDATION: [f64; 5] = [0.27, 0.05, 0.1, 0.2, 0.3];

/// What an experiment means: every number that can enter a key.
#[derive(Debug, Clone)]
struct Model {
    seed: u64,
    replications: u32,
    n: f64,
    noise: f64,
    /// The data sweep over `strength`; distinct values.
    sweep: [f64; 2],
    coef: f64,
    test: f64,
    validation: f64,
    aipw_folds: u64,
    aipw_clip: f64,
    /// The hyperparameter sweep of `ipw` over `clip`; distinct values.
    ipw_clips: [f64; 2],
    tarnet_lr: f64,
    tarnet_iterations: u64,
}

/// How it is written: key orders, which defaults are spelled out, number spellings.
#[derive(Debug, Clone)]
struct Style {
    top: Vec<usize>,
    params: Vec<usize>,
    simulate: Vec<usize>,
    split: Vec<usize>,
    aipw: Vec<usize>,
    tarnet: Vec<usize>,
    entry: Vec<usize>,
    /// Write a key even when it holds its default.
    explicit: [bool; 12],
    /// Spelling of each number slot, see `spell`.
    spelling: [u8; 16],
}

fn two_distinct<T: Copy + PartialEq + std::fmt::Debug + 'static>(pool: &'static [T]) -> impl Strategy<Value = [T; 2]> {
    (prop::sample::select(pool), prop::sample::select(pool))
        .prop_filter("distinct", |(a, b)| a != b)
        .prop_map(|(a, b)| [a, b])
}

fn model() -> impl Strategy<Value = Model> {
    let data = (
        0u64..1000,
        1u32..=2,
        prop::sample::select(&ROWS[..]),
        prop::sample::select(&SCALES[..]),
        two_distinct(&SCALES),
        prop::sample::select(&SCALES[..]),
        prop_oneof![Just(0.1), prop::sample::select(&SMALL[..])],
        prop::sample::select(&VALIDATION[..]),
    );
    let estimators = (
        prop_oneof![Just(5u64), prop::sample::select(&FOLDS[..])],
        prop_oneof![Just(0.01), prop::sample::select(&SMALL[..])],
        two_distinct(&SMALL),
        prop_oneof![Just(0.001), prop::sample::select(&SMALL[..])],
        prop_oneof![Just(3000u64), prop::sample::select(&ITERATIONS[..])],
    );
    (data, estimators).prop_map(
        |(
            (seed, replications, n, noise, sweep, coef, test, validation),
            (aipw_folds, aipw_clip, ipw_clips, tarnet_lr, tarnet_iterations),
        )| Model {
            seed,
            replications,
            n,
            noise,
            sweep,
            coef,
            test,
            validation,
            aipw_folds,
            aipw_clip,
            ipw_clips,
            tarnet_lr,
            tarnet_iterations,
        },
    )
}

fn shuffled(n: usize) -> impl Strategy<Value = Vec<usize>> {
    Just((0..n).collect::<Vec<usize>>()).prop_shuffle()
}

fn style() -> impl Strategy<Value = Style> {
    (
        shuffled(12),
        shuffled(3),
        shuffled(4),
        shuffled(2),
        shuffled(2),
        shuffled(2),
        shuffled(3),
        any::<[bool; 12]>(),
        any::<[u8; 16]>(),
    )
        .prop_map(|(top, params, simulate, split, aipw, tarnet, entry, explicit, spelling)| Style {
            top,
            params,
            simulate,
            split,
            aipw,
            tarnet,
            entry,
            explicit,
            spelling,
        })
}

/// One number, spelled one of five ways that YAML reads as the same float.
fn spell(x: f64, how: u8) -> String {
    let plain = format!("{x}");
    let sci = format!("{x:e}");
    match how % 5 {
        0 => plain,
        1 => sci,
        2 => match sci.split_once('e') {
            Some((m, e)) if !m.contains('.') => format!("{m}.0e{e}"),
            _ => sci,
        },
        3 => format!("{x:E}"),
        _ if plain.contains('.') => format!("{plain}0"),
        _ => format!("{plain}.0"),
    }
}

/// `key: value` pairs as a flow mapping in the order `order`.
fn flow(pairs: &[(&str, String)], order: &[usize]) -> String {
    let items: Vec<String> = order.iter().filter_map(|&i| pairs.get(i)).map(|(k, v)| format!("{k}: {v}")).collect();
    format!("{{ {} }}", items.join(", "))
}

/// Pairs whose value is the default may be left out unless `explicit`.
fn keep(pairs: Vec<(&'static str, String, bool)>) -> Vec<(&'static str, String)> {
    pairs.into_iter().filter(|(_, _, write)| *write).map(|(k, v, _)| (k, v)).collect()
}

fn render(m: &Model, s: &Style) -> String {
    let sp = |x: f64, slot: usize| spell(x, s.spelling[slot]);
    let ex = |i: usize| s.explicit[i];
    let params = [("n", sp(m.n, 0)), ("noise", sp(m.noise, 1)), ("strength", "1.0".to_string())];
    let simulate = [
        ("n", "$n".to_string()),
        // Equations are text: their numbers are hashed as written.
        (
            "equations",
            format!(
                "\n      x: normal(0, 1)\n      t: bernoulli(sigmoid($strength * x))\n      y: {} * t + x + normal(0, $noise)",
                m.coef
            ),
        ),
        ("treatment", "t".to_string()),
        ("outcome", "y".to_string()),
    ];
    let simulate: Vec<String> =
        s.simulate.iter().map(|&i| format!("    {}: {}", simulate[i].0, simulate[i].1)).collect();
    let split = keep(vec![
        ("test", sp(m.test, 2), m.test != 0.1 || ex(0)),
        ("validation", sp(m.validation, 3), m.validation != 0.27 || ex(1)),
    ]);
    let aipw = keep(vec![
        ("folds", m.aipw_folds.to_string(), m.aipw_folds != 5 || ex(2)),
        ("clip", sp(m.aipw_clip, 4), m.aipw_clip != 0.01 || ex(3)),
    ]);
    let tarnet = keep(vec![
        ("lr", sp(m.tarnet_lr, 5), m.tarnet_lr != 0.001 || ex(4)),
        ("iterations", m.tarnet_iterations.to_string(), m.tarnet_iterations != 3000 || ex(5)),
    ]);
    let ipw_params = if ex(6) { "{ normalize: true }" } else { "{}" };
    let ipw_sweep = format!("{{ clip: [{}, {}] }}", sp(m.ipw_clips[0], 6), sp(m.ipw_clips[1], 7));
    let aipw_entry = keep(vec![("aipw", flow(&aipw, &s.aipw), true), ("label", "aipw".into(), ex(7))]);
    let ipw_entry = [("ipw", ipw_params.to_string()), ("sweep", ipw_sweep)];
    let ols = ["- ols", "- ols: {}", "- ols:"][usize::from(ex(8)) + usize::from(ex(8) && ex(9))];
    let estimators = [
        "estimators:".to_string(),
        "  - naive".to_string(),
        format!("  {ols}"),
        format!("  - {}", flow(&ipw_entry, &s.entry[..].iter().copied().filter(|&i| i < 2).collect::<Vec<_>>())),
        format!(
            "  - {}",
            flow(&aipw_entry, &s.entry[..].iter().copied().filter(|&i| i < aipw_entry.len()).collect::<Vec<_>>())
        ),
        format!("  - {{ tarnet: {} }}", flow(&tarnet, &s.tarnet)),
    ];
    let top: [Option<String>; 12] = [
        Some("name: keys".into()),
        Some(format!("seed: {}", m.seed)),
        (m.replications != 1 || ex(10)).then(|| format!("replications: {}", m.replications)),
        Some(format!("params: {}", flow(&params, &s.params))),
        Some(format!("sweep: {{ strength: [{}, {}] }}", sp(m.sweep[0], 8), sp(m.sweep[1], 9))),
        Some(format!("dataset:\n  simulate:\n{}", simulate.join("\n"))),
        (!split.is_empty()).then(|| {
            format!(
                "split: {}",
                flow(&split, &s.split.iter().copied().filter(|&i| i < split.len()).collect::<Vec<_>>())
            )
        }),
        ex(11).then(|| "preprocess: { impute: none, indicators: false, standardize: false, one_hot: [] }".into()),
        (!s.spelling[10].is_multiple_of(3))
            .then(|| format!("adjust: {}", ["backdoor", "optimal"][usize::from(s.spelling[10] % 3 == 2)])),
        (s.spelling[11] % 2 == 1).then(|| "metrics: [ate, ate_error]".into()),
        Some(estimators.join("\n")),
        (s.spelling[12] % 2 == 1).then(|| "description: keys do not depend on this".into()),
    ];
    let lines: Vec<String> = s.top.iter().filter_map(|&i| top[i].clone()).collect();
    lines.join("\n") + "\n"
}

fn plan_text(text: &str) -> Vec<Run> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys.yaml");
    std::fs::write(&path, text).unwrap();
    plan_file(&path).unwrap_or_else(|e| panic!("{e}\n--- spec ---\n{text}"))
}

fn plan_file(path: &Path) -> Result<Vec<Run>, String> {
    let loaded = spec::load(path).map_err(|e| e.to_string())?;
    let exp = spec::validate(&loaded).map_err(|e| e.to_string())?;
    spec::cross_check(&loaded, &exp).map_err(|e| e.to_string())?;
    plan(
        &exp,
        &PlanContext {
            data_files: vec![],
            libtorch: "2.11.0".into(),
            numerics: causeway::numerics::NumericIdentity::portable(),
        },
    )
    .map_err(|e| e.to_string())
}

fn keys(runs: &[Run]) -> Vec<(String, String)> {
    runs.iter().map(|r| (r.label.clone(), r.key.clone())).collect()
}

/// One number of the model changed to another valid value.
#[derive(Debug, Clone, Copy)]
enum Change {
    Seed,
    Rows,
    Noise,
    SweepPoint,
    Coefficient,
    Test,
    Validation,
    AipwFolds,
    AipwClip,
    IpwSweepPoint,
    TarnetLr,
    TarnetIterations,
}

const CHANGES: [Change; 12] = [
    Change::Seed,
    Change::Rows,
    Change::Noise,
    Change::SweepPoint,
    Change::Coefficient,
    Change::Test,
    Change::Validation,
    Change::AipwFolds,
    Change::AipwClip,
    Change::IpwSweepPoint,
    Change::TarnetLr,
    Change::TarnetIterations,
];

/// The first value of `pool` from position `from` on that `ok` accepts.
fn other<T: Copy>(pool: &[T], from: usize, ok: impl Fn(T) -> bool) -> T {
    // Every pool has at least three values, so one differs from the two excluded.
    (0..pool.len()).map(|i| pool[(from + i) % pool.len()]).find(|&v| ok(v)).unwrap()
}

/// Apply `change` (picking the new value from position `pick`) and say which runs
/// of the original plan it feeds.
/// Which runs of a plan a change feeds.
type Feeds = Box<dyn Fn(&Run) -> bool>;

fn apply(m: &Model, change: Change, pick: usize) -> (Model, Feeds) {
    let mut n = m.clone();
    let everything: Box<dyn Fn(&Run) -> bool> = Box::new(|_| true);
    let estimator =
        |label: &'static str| -> Box<dyn Fn(&Run) -> bool> { Box::new(move |r: &Run| r.estimator == label) };
    let affected = match change {
        Change::Seed => {
            n.seed = m.seed + 1 + pick as u64;
            everything
        }
        Change::Rows => {
            n.n = other(&ROWS, pick, |v| v != m.n);
            everything
        }
        Change::Noise => {
            n.noise = other(&SCALES, pick, |v| v != m.noise);
            everything
        }
        Change::Coefficient => {
            n.coef = other(&SCALES, pick, |v| v != m.coef);
            everything
        }
        Change::Test => {
            n.test = other(&SMALL, pick, |v| v != m.test);
            everything
        }
        Change::Validation => {
            n.validation = other(&VALIDATION, pick, |v| v != m.validation);
            everything
        }
        Change::SweepPoint => {
            n.sweep[1] = other(&SCALES, pick, |v| !m.sweep.contains(&v));
            let old = m.sweep[1];
            Box::new(move |r: &Run| r.point[0].1 == old)
        }
        Change::AipwFolds => {
            n.aipw_folds = other(&FOLDS, pick, |v| v != m.aipw_folds);
            estimator("aipw")
        }
        Change::AipwClip => {
            n.aipw_clip = other(&SMALL, pick, |v| v != m.aipw_clip);
            estimator("aipw")
        }
        Change::IpwSweepPoint => {
            n.ipw_clips[1] = other(&SMALL, pick, |v| !m.ipw_clips.contains(&v));
            let old = json!(m.ipw_clips[1]);
            Box::new(move |r: &Run| r.estimator == "ipw" && r.hyper_point[0].1 == old)
        }
        Change::TarnetLr => {
            n.tarnet_lr = other(&SMALL, pick, |v| v != m.tarnet_lr);
            estimator("tarnet")
        }
        Change::TarnetIterations => {
            n.tarnet_iterations = other(&ITERATIONS, pick, |v| v != m.tarnet_iterations);
            estimator("tarnet")
        }
    };
    (n, affected)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn writing_changes_no_key(m in model(), a in style(), b in style()) {
        let (ta, tb) = (render(&m, &a), render(&m, &b));
        let (ra, rb) = (plan_text(&ta), plan_text(&tb));
        // naive, ols, ipw x2, aipw, tarnet at two sweep points per replication.
        prop_assert_eq!(ra.len(), 12 * m.replications as usize);
        prop_assert_eq!(keys(&ra), keys(&rb), "\n--- a ---\n{}\n--- b ---\n{}", ta, tb);
    }

    #[test]
    fn changing_a_number_changes_exactly_the_keys_it_feeds(
        m in model(), s in style(), change in prop::sample::select(&CHANGES[..]), pick in 0usize..16,
    ) {
        let (changed, affected) = apply(&m, change, pick);
        let before = plan_text(&render(&m, &s));
        let after = plan_text(&render(&changed, &s));
        prop_assert_eq!(before.len(), after.len());
        let mut hits = 0;
        for (b, a) in before.iter().zip(&after) {
            let feeds = affected(b);
            hits += usize::from(feeds);
            prop_assert_eq!(b.key != a.key, feeds, "{:?}: run {} (key {} -> {})", change, b.label, b.key, a.key);
        }
        prop_assert!(hits > 0, "{:?} feeds no run", change);
    }
}

#[test]
fn more_replications_keep_the_keys_of_the_first_ones() {
    let text = |r: u32| {
        format!(
            "name: reps\nseed: 3\nreplications: {r}\ndataset:\n  simulate:\n    n: 40\n    equations:\n      x: normal(0, 1)\n      t: bernoulli(0.5)\n      y: t + x\n    treatment: t\n    outcome: y\nestimators: [naive, ols]\n"
        )
    };
    let (two, five) = (plan_text(&text(2)), plan_text(&text(5)));
    assert_eq!(five.len(), 10);
    assert_eq!(keys(&two), keys(&five)[..4]);
    let distinct: std::collections::BTreeSet<&str> = five.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(distinct.len(), 10, "every run has its own key");
}

#[test]
fn every_spelling_reads_as_the_same_number() {
    let spellings: Vec<String> = (0..5).map(|how| spell(0.001, how)).collect();
    assert_eq!(spellings, ["0.001", "1e-3", "1.0e-3", "1E-3", "0.0010"]);
    assert_eq!((0..5).map(|how| spell(200.0, how)).collect::<Vec<_>>(), ["200", "2e2", "2.0e2", "2E2", "200.0"]);
}
