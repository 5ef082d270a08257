//! The plot's words: every text element of the SVG (title, axis names, tick
//! labels, legend, notes) pinned by snapshots, on synthetic summaries.

use serde_json::json;

use super::plot_svg;
use crate::report::fixture::{experiment, finished, refused, run};
use crate::report::summarize;
use crate::run::{Outcome, Run};

const HEAD: &str = "seed: 1\nestimators: [naive]\n";

const SIMULATED: &str = "dataset:
  simulate:
    n: 100
    equations:
      x: normal(0, 1)
      t: bernoulli(0.5)
      y: t + x
    treatment: t
    outcome: y
";

/// The text of every `<text>` element, one a line, in document order.
fn texts(svg: &str) -> String {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        rest = &rest[start..];
        let (Some(open), Some(close)) = (rest.find('>'), rest.find("</text>")) else {
            break;
        };
        out.push(
            rest[open + 1..close]
                .trim()
                .replace("&apos;", "'")
                .replace("&amp;", "&")
                .replace("&lt;", "<")
                .replace("&gt;", ">"),
        );
        rest = &rest[close..];
    }
    out.join("\n")
}

/// The text elements, and the number of whiskers and points drawn.
fn words(yaml: &str, runs: &[Run], outcomes: Vec<Outcome>) -> String {
    let exp = experiment(yaml);
    let outcomes: Vec<Option<Outcome>> = outcomes.into_iter().map(Some).collect();
    let summary = summarize(runs, &outcomes, &exp.metrics);
    let svg = plot_svg(&exp, &summary).expect("a plot");
    format!("{}\n-- {} circles", texts(&svg), svg.matches("<circle").count())
}

#[test]
fn without_a_sweep_configurations_are_named_rows_and_refused_ones_a_note() {
    let yaml = format!("name: forest\nreplications: 2\n{HEAD}{SIMULATED}metrics: [ate, ate_error]\n");
    let mut runs = Vec::new();
    let mut outcomes = Vec::new();
    for r in 0..2 {
        for (est, err) in [("naive", 1.5), ("ols", 0.1), ("tarnet-wide", 0.3)] {
            runs.push(run(est, &[], &[], r));
            outcomes.push(finished(&[("ate", 2.0 + err), ("ate_error", err + 0.01 * f64::from(r))], &[]));
        }
        runs.push(run("frontdoor", &[], &[], r));
        outcomes.push(refused());
    }
    insta::assert_snapshot!("plot_forest", words(&yaml, &runs, outcomes));
}

#[test]
fn a_file_without_truth_shows_the_estimates_with_their_own_intervals() {
    let yaml = format!("name: own-file\n{HEAD}dataset: {{ file: {{ path: d.csv, treatment: t, outcome: y }} }}\n");
    let runs = vec![run("naive", &[], &[], 0), run("ols", &[], &[], 0), run("tarnet", &[], &[], 0)];
    let outcomes = vec![
        finished(&[("ate", 7.0)], &[("se", 0.4)]),
        finished(&[("ate", 6.8)], &[("se", 0.2)]),
        finished(&[("ate", 6.5)], &[("converged", 1.0)]),
    ];
    let text = words(&yaml, &runs, outcomes);
    assert!(text.contains("own 95% interval"), "{text}");
    insta::assert_snapshot!("plot_file_own_intervals", text);
}

#[test]
fn real_data_without_truth_falls_back_to_the_ate() {
    // A builtin real dataset: `check` allows error metrics, but no run has them.
    let yaml = format!("name: real\n{HEAD}dataset: {{ builtin: {{ name: nhefs }} }}\nmetrics: [ate_error, ate]\n");
    let runs = vec![run("naive", &[], &[], 0), run("ols", &[], &[], 0)];
    let outcomes = vec![finished(&[("ate", 2.5)], &[("se", 0.3)]), finished(&[("ate", 3.4)], &[("se", 0.4)])];
    insta::assert_snapshot!("plot_real_fallback", words(&yaml, &runs, outcomes));
}

#[test]
fn a_single_configuration_is_one_named_row() {
    let yaml = format!("name: single\n{HEAD}dataset: {{ file: {{ path: d.csv, treatment: t, outcome: y }} }}\n");
    let text = words(&yaml, &[run("ols", &[], &[], 0)], vec![finished(&[("ate", 1.0)], &[("se", 0.5)])]);
    assert!(text.lines().any(|l| l == "ols"), "{text}");
    assert!(text.ends_with("-- 1 circles"), "{text}");
}

#[test]
fn the_experiment_chooses_the_metric_and_a_second_sweep_splits_the_lines() {
    let yaml = format!(
        "name: chosen\nreplications: 2\nparams: {{ a: 0, b: 0 }}\nsweep: {{ a: [0, 1], b: [5, 6] }}\n{HEAD}{SIMULATED}\
         metrics: [ate_error, pehe_out]\nplot: {{ metric: pehe_out }}\n"
    );
    let (mut runs, mut outcomes) = (Vec::new(), Vec::new());
    for a in [0.0, 1.0] {
        for b in [5.0, 6.0] {
            for r in 0..2 {
                runs.push(run("tarnet", &[("lr", json!(0.001))], &[("a", a), ("b", b)], r));
                outcomes.push(finished(&[("ate_error", 0.5), ("pehe_out", a + b / 10.0 + f64::from(r) / 100.0)], &[]));
                // naive has no individual effects, so no pehe_out: a note, no legend entry.
                runs.push(run("naive", &[], &[("a", a), ("b", b)], r));
                outcomes.push(finished(&[("ate_error", 1.0)], &[]));
            }
        }
    }
    let text = words(&yaml, &runs, outcomes);
    assert!(!text.contains("\nnaive\n"), "{text}");
    insta::assert_snapshot!("plot_chosen_metric", text);
}
