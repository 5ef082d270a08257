//! The tables of synthetic outcomes, pinned by snapshots: the estimate's own
//! standard error and interval, no spread where it means nothing, a column per
//! swept parameter (numeric or not), and the marker of unconverged networks.

use serde_json::json;

use super::fixture::{experiment, finished, refused, run};
use super::{report_md, runs_csv, summarize, summary_csv, table_tex};
use crate::run::{Outcome, Run};

const FILE: &str = "name: own-file
seed: 3
estimators: [naive, ols, matching, tarnet]
dataset: { file: { path: d.csv, treatment: t, outcome: y } }
";

/// One replication of a user's file: naive and ols report an se, matching
/// none, and the network did not converge.
fn file_runs(replications: u32) -> (Vec<Run>, Vec<Option<Outcome>>) {
    let (mut runs, mut outcomes) = (Vec::new(), Vec::new());
    for r in 0..replications {
        let shift = f64::from(r) / 100.0;
        for (est, ate, diagnostics) in [
            ("naive", 7.008, vec![("se", 0.412)]),
            ("ols", 6.84, vec![("se", 0.201), ("residual_sd", 1.0)]),
            ("matching", 6.9, vec![("propensity_min", 0.1)]),
            ("tarnet", 0.22, vec![("iterations", 200.0), ("converged", if r == 0 { 0.0 } else { 1.0 })]),
        ] {
            runs.push(run(est, &[], &[], r));
            outcomes.push(Some(finished(&[("ate", ate + shift)], &diagnostics)));
        }
    }
    (runs, outcomes)
}

/// No table cell of `md` shows a spread over replications.
fn assert_no_spread(md: &str) {
    let rows = md.lines().filter(|l| l.starts_with('|'));
    assert!(rows.clone().count() > 2 && rows.into_iter().all(|l| !l.contains('±')), "{md}");
}

#[test]
fn a_file_with_one_replication_shows_the_estimates_own_uncertainty_not_a_spread() {
    let exp = experiment(FILE);
    let (runs, outcomes) = file_runs(1);
    let summary = summarize(&runs, &outcomes, &exp.metrics);
    let md = report_md(&exp, &summary, "");
    assert_no_spread(&md);
    insta::assert_snapshot!("file_report_md", md);
    insta::assert_snapshot!("file_summary_csv", summary_csv(&exp, &summary));
    insta::assert_snapshot!("file_table_tex", table_tex(&exp, &summary));
}

/// On fixed data a method that gives the same number in every replication (`ols`
/// on a split without test rows, here) shows no "± 0.000"; one whose number moves
/// with the split or its initialisation (`naive`, `tarnet` here) shows that spread.
#[test]
fn replications_of_fixed_data_show_a_spread_only_where_the_values_differ() {
    let exp = experiment(&format!("{FILE}replications: 3\n"));
    let (runs, mut outcomes) = file_runs(3);
    // ols and matching: the same number in every replication.
    for (run, outcome) in runs.iter().zip(outcomes.iter_mut()) {
        if run.estimator == "ols" || run.estimator == "matching" {
            let base = if run.estimator == "ols" { 6.84 } else { 6.9 };
            let o = outcome.as_mut().unwrap();
            o.metrics.iter_mut().filter(|(m, _)| m == "ate").for_each(|(_, v)| *v = Some(base));
        }
    }
    let summary = summarize(&runs, &outcomes, &exp.metrics);
    let md = report_md(&exp, &summary, "");
    let row = |label: &str| md.lines().find(|l| l.starts_with(&format!("| {label} "))).unwrap_or_default().to_string();
    assert!(row("ols").starts_with("| ols | 6.840 |"), "{md}");
    assert!(!row("ols").contains('±') && !row("matching").contains('±'), "{md}");
    assert!(md.contains("| naive | 7.018 ± 0.006 | 0.412 | [6.210, 7.826] | 3 |"), "{md}");
    assert!(row("tarnet").contains('±'), "{md}");
    assert!(md.contains("† `tarnet`: not converged in 1 of 3 runs by its own validation-loss diagnostics."), "{md}");
    let csv = summary_csv(&exp, &summary);
    assert!(csv.lines().nth(1).unwrap().starts_with("naive,naive,naive,3,0,0,,0.412000,6.210495,"), "{csv}");
}

const SWEPT: &str = "name: swept
seed: 5
replications: 2
params: { confounding: 1, n: 100 }
sweep: { confounding: [0, 1] }
dataset:
  simulate:
    n: $n
    equations:
      x: normal(0, 1)
      m: normal(0, 1)
      t: bernoulli(sigmoid($confounding * x))
      y: 2 * t + x
    treatment: t
    outcome: y
estimators: [ols, frontdoor, tarnet]
metrics: [ate, ate_error, pehe_out]
";

/// Two data-sweep points, an `adjust` hyperparameter with a string and a list
/// value, a learning-rate sweep, a refused front door and one replication whose
/// `ols` failed.
fn swept_runs() -> (Vec<Run>, Vec<Option<Outcome>>) {
    let (mut runs, mut outcomes) = (Vec::new(), Vec::new());
    for c in [0.0, 1.0] {
        for r in 0..2 {
            let e = f64::from(r) / 10.0 + c;
            for adjust in [json!("all"), json!(["x", "m"])] {
                runs.push(run("ols", &[("adjust", adjust)], &[("confounding", c)], r));
                outcomes.push(Some(if c == 1.0 && r == 1 {
                    Outcome::failed("key", "singular design")
                } else {
                    finished(&[("ate", 2.0 + e), ("ate_error", e), ("pehe_out", e)], &[("se", 0.1)])
                }));
            }
            runs.push(run("frontdoor", &[], &[("confounding", c)], r));
            outcomes.push(Some(if c == 0.0 {
                finished(&[("ate", 2.1), ("ate_error", 0.1 + e)], &[("se", 0.3)])
            } else {
                refused()
            }));
            for lr in [0.001, 0.01] {
                runs.push(run("tarnet", &[("lr", json!(lr))], &[("confounding", c)], r));
                outcomes.push(Some(finished(
                    &[("ate", 1.9 + e), ("ate_error", 0.1 + e), ("pehe_out", 0.2 + e)],
                    &[("converged", if lr == 0.01 && r == 1 { 0.0 } else { 1.0 })],
                )));
            }
        }
    }
    (runs, outcomes)
}

#[test]
fn every_swept_parameter_has_a_column_and_the_spread_is_shown_where_data_vary() {
    let exp = experiment(SWEPT);
    let (runs, outcomes) = swept_runs();
    let summary = summarize(&runs, &outcomes, &exp.metrics);
    let csv = summary_csv(&exp, &summary);
    insta::assert_snapshot!("swept_summary_csv", csv);
    insta::assert_snapshot!("swept_report_md", report_md(&exp, &summary, ""));
    // A tool groups by the columns, without parsing labels.
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert!(rows.iter().all(|r| r.len() == header.len()));
    let lists: Vec<&csv::StringRecord> = rows.iter().filter(|r| &r[col("adjust")] == "{x, m}").collect();
    assert_eq!(lists.len(), 2);
    assert!(lists.iter().all(|r| &r[col("estimator")] == "ols" && &r[col("kind")] == "ols"));
    assert_eq!(rows.iter().filter(|r| &r[col("confounding")] == "1" && &r[col("lr")] == "0.01").count(), 1);
    // runs.csv writes the same text, without JSON quotes.
    let runs_text = runs_csv(&exp, &runs, &outcomes);
    assert!(runs_text.lines().nth(1).unwrap().contains(",ols,ols,all,,"), "{runs_text}");
}

/// Estimators report the se and interval of their ATE only: a table of ATT
/// metrics (LaLonde's) leaves those columns to summary.csv rather than show
/// them beside numbers they are not the uncertainty of.
#[test]
fn an_att_table_shows_no_se_of_the_ate() {
    let exp = experiment(&format!("{FILE}metrics: [att]\n"));
    let (runs, outcomes) = file_runs(1);
    let summary = summarize(&runs, &outcomes, &exp.metrics);
    let (md, tex) = (report_md(&exp, &summary, ""), table_tex(&exp, &summary));
    assert!(!md.contains("se of ate") && !md.contains("CI of ate"), "{md}");
    assert!(!tex.contains("se of"), "{tex}");
    assert!(summary_csv(&exp, &summary).contains("ate_own_se"));
    let with_ate = experiment(FILE);
    let summary = summarize(&runs, &outcomes, &with_ate.metrics);
    assert!(report_md(&with_ate, &summary, "").contains("se of ate"));
}
