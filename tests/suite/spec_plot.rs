//! `plot: { metric: ... }`: the plotted metric is checked like `metrics` and
//! must be one of them, with the error at the key's line.

use causeway::spec::{self, SpecError};

use crate::spec_common;

fn check_text(text: &str) -> Result<spec::Experiment, SpecError> {
    spec_common::check_text("plot.yaml", text)
}

fn message(text: &str) -> String {
    spec_common::message("plot.yaml", text)
}

const BASE: &str = "name: demo
seed: 1
dataset:
  simulate:
    n: 100
    equations:
      x: normal(0, 1)
      t: bernoulli(0.5)
      y: 2 * t + x
    treatment: t
    outcome: y
estimators: [ols, tlearner]
metrics: [ate, ate_error, pehe_out]
";

#[test]
fn a_listed_metric_is_plotted() {
    let exp = check_text(&format!("{BASE}plot: {{ metric: pehe_out }}\n")).unwrap();
    assert_eq!(exp.plot.metric.map(|m| m.name()), Some("pehe_out"));
    assert_eq!(check_text(BASE).unwrap().plot.metric, None);
}

#[test]
fn an_unknown_metric_is_located_with_a_suggestion() {
    let shown = message(&format!("{BASE}plot:\n  metric: pehe_ot\n"));
    assert!(shown.starts_with("plot.yaml:15:11"), "{shown}");
    assert!(shown.contains("unknown metric `pehe_ot`") && shown.contains("did you mean `pehe_out`?"), "{shown}");
}

#[test]
fn a_metric_missing_from_the_tables_is_refused() {
    let shown = message(&format!("{BASE}plot: {{ metric: pehe_in }}\n"));
    assert!(shown.starts_with("plot.yaml:14:17"), "{shown}");
    assert!(
        shown.contains("not one of the experiment's metrics (ate, ate_error, pehe_out)")
            && shown.contains("add `pehe_in` to `metrics:`"),
        "{shown}"
    );
}

#[test]
fn an_unknown_key_under_plot_is_an_error() {
    let shown = message(&format!("{BASE}plot: {{ metrc: ate }}\n"));
    assert!(shown.contains("metrc"), "{shown}");
}
