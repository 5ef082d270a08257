//! `selection:`: checked into typed values with located errors, entering every
//! run key of the experiment that declares it (and no other's), and choosing
//! from the runs' stored validation records alone: on a simulated design with
//! known truth, poisoning the truth the runs were scored by changes the
//! scores of the choice but not the choice, nor any criterion's value.

use causeway::run::{self, PlanContext, Status};
use causeway::spec::{self, SpecError};

use crate::spec_common;

fn check_text(text: &str) -> Result<spec::Experiment, SpecError> {
    spec_common::check_text("select.yaml", text)
}

fn message(text: &str) -> String {
    spec_common::message("select.yaml", text)
}

/// A heterogeneous effect, 1 + x, confounded by x.
const BASE: &str = "name: demo
seed: 3
replications: 3
dataset:
  simulate:
    n: 400
    equations:
      x: normal(0, 1)
      z: normal(0, 1)
      t: bernoulli(sigmoid(0.8 * x))
      y: (1 + x) * t + x + 0.5 * z + normal(0, 0.5)
    treatment: t
    outcome: y
split: { test: 0.2, validation: 0.3 }
metrics: [ate_error, pehe_in, pehe_out]
";

const TINY: &str = "representation: [{ dense: 8 }], head: [{ dense: 8 }], iterations: 200, eval_every: 50, batch: 64";

fn ctx() -> PlanContext {
    PlanContext {
        data_files: vec![],
        libtorch: "test".into(),
        numerics: causeway::numerics::NumericIdentity::portable(),
    }
}

#[test]
fn mistakes_are_located_with_a_suggestion() {
    let swept =
        format!("{BASE}estimators:\n  - ols_interact\n  - tarnet: {{ {TINY} }}\n    sweep: {{ lr: [0.001, 0.01] }}\n");
    let shown = message(&format!("{swept}selection:\n  criteria: [pehe_nn, dr_risks]\n"));
    assert!(shown.starts_with("select.yaml:21:") && shown.contains("unknown criterion `dr_risks`"), "{shown}");
    assert!(shown.contains("dr_risk"), "{shown}");
    let shown = message(&format!("{swept}selection:\n  across: [tarnet, ols_interac]\n"));
    assert!(
        shown.contains("no estimator entry is labelled `ols_interac`") && shown.contains("ols_interact"),
        "{shown}"
    );
    let shown = message(&format!("{swept}selection:\n  choose: per_replication\n"));
    assert!(shown.contains("unknown protocol `per_replication`"), "{shown}");
    let shown = message(&format!("{swept}selection:\n  truth: ate\n"));
    assert!(shown.contains("not an error metric"), "{shown}");
    let shown = message(&format!("{swept}selection:\n  folds: 1\n"));
    assert!(shown.contains("folds must be a whole number from 2 to 20, found 1"), "{shown}");
    let shown = message(&format!("{BASE}estimators: [ols, tarnet]\nselection: {{}}\n"));
    assert!(
        shown.starts_with("select.yaml:17:") && shown.contains("no estimator entry has two configurations"),
        "{shown}"
    );
    assert!(
        check_text(&format!(
            "{BASE}estimators: [ols_interact, tarnet]\nselection: {{ across: [ols_interact, tarnet] }}\n"
        ))
        .is_ok()
    );
}

#[test]
fn declaring_selection_changes_the_keys_of_that_experiment_only() {
    let plain = format!("{BASE}estimators:\n  - ols_interact\n  - matching: ~\n    sweep: {{ neighbors: [1, 5] }}\n");
    let keys = |exp: &spec::Experiment| run::plan(exp, &ctx()).unwrap().into_iter().map(|r| r.key).collect::<Vec<_>>();
    let a = keys(&check_text(&plain).unwrap());
    let b = keys(&check_text(&format!("{plain}selection: {{ criteria: [pehe_nn] }}\n")).unwrap());
    let c =
        keys(&check_text(&format!("{plain}selection: {{ criteria: [r_loss], choose: each_replication }}\n")).unwrap());
    assert!(a.iter().zip(&b).all(|(a, b)| a != b), "a run that stores its validation record has its own key");
    assert_eq!(b, c, "the criteria are computed from the stored record, so they are in no key");
}

#[test]
fn the_choice_never_reads_the_truth_and_each_protocol_chooses() {
    let text = format!(
        "{BASE}estimators:\n  - tarnet: {{ {TINY} }}\n    sweep: {{ lr: [0.0001, 0.003, 0.03] }}\n  - ols_interact\nselection:\n  across: [tarnet, ols_interact]\n  choose: each_replication\n"
    );
    let exp = check_text(&text).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = run::DataSource::read(&exp, root).unwrap();
    let runs = run::plan(&exp, &ctx()).unwrap();
    let prepared = run::prepare(exp, runs, root, source).unwrap();
    let outcomes: Vec<Option<run::Outcome>> =
        prepared.runs.iter().map(|r| Some(run::compute_outcome(&prepared, r))).collect();
    for (r, o) in prepared.runs.iter().zip(&outcomes) {
        let o = o.as_ref().unwrap();
        assert_eq!(o.status, Status::Ok, "{}", r.label);
        let record = o.validation.as_ref().expect("a validation record");
        assert_eq!(
            record.mu0.is_some(),
            r.kind == "tarnet",
            "{}: only the networks report potential outcomes",
            r.label
        );
    }
    // Every member of a replication was validated on the same rows.
    for rep in 0..3 {
        let rows: Vec<_> = prepared
            .runs
            .iter()
            .zip(&outcomes)
            .filter(|(r, _)| r.replication == rep)
            .map(|(_, o)| o.as_ref().unwrap().validation.as_ref().unwrap().rows.clone())
            .collect();
        assert!(rows.windows(2).all(|w| w[0] == w[1]), "replication {rep}");
    }
    let exp = &prepared.experiment;
    let clean = run::select(exp, &prepared.runs, &outcomes);
    assert!(clean.skipped.is_empty(), "{:?}", clean.skipped);
    assert_eq!(clean.choices.len(), 6, "one group, six criteria");
    assert_eq!(clean.values.len(), 4 * 3);
    // mu-risk exists for the networks only; pehe_nn for every configuration.
    for v in &clean.values {
        assert_eq!(v.criteria[0].is_some(), v.config.starts_with("tarnet"), "{v:?}");
        assert!(v.criteria[1..].iter().all(Option::is_some), "{v:?}");
    }
    // Poison the truth: every truth metric replaced by a value that reverses the ranking.
    let poisoned: Vec<Option<run::Outcome>> = outcomes
        .iter()
        .map(|o| {
            let mut o = o.clone().unwrap();
            for (name, v) in &mut o.metrics {
                if name.starts_with("pehe") || name.starts_with("ate_error") {
                    *v = v.map(|v| 1000.0 - v);
                }
            }
            Some(o)
        })
        .collect();
    let after = run::select(exp, &prepared.runs, &poisoned);
    for (a, b) in clean.choices.iter().zip(&after.choices) {
        assert_eq!((&a.chosen, a.times, a.criterion), (&b.chosen, b.times, b.criterion));
        assert_ne!(a.truth_chosen, b.truth_chosen, "the poison reached the scores");
    }
    for (a, b) in clean.values.iter().zip(&after.values) {
        assert_eq!(a.criteria, b.criteria, "{}", a.config);
    }
    // The oracle and the regret are the truth's: the regret is never negative.
    for c in &clean.choices {
        assert!(c.regret.unwrap().0 >= 0.0, "{c:?}");
    }
    insta::assert_snapshot!("selection_md", causeway::report::selection_md(exp, &clean));
    insta::assert_snapshot!("selection_csv", causeway::report::selection_csv(exp, &clean));
}
