//! The tables for tools: `runs.csv` (one row per run), `summary.csv` (one row
//! per sweep point and configuration) and `timings.csv`, with fixed number
//! formats and one column per swept parameter.

use std::collections::BTreeSet;

use super::format::fixed;
use super::summary::{SummaryRow, shows_spread, value_text};
use crate::run::{Outcome, Run, Status};
use crate::spec::Experiment;

const CSV_DECIMALS: usize = 6;

pub(super) fn csv_string(rows: Vec<Vec<String>>) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    for row in rows {
        // Writing to a Vec cannot fail.
        let _ = w.write_record(&row);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn opt(v: Option<f64>) -> String {
    v.map(|v| fixed(v, CSV_DECIMALS)).unwrap_or_default()
}

/// `timings.csv`: the label and wall seconds of each run computed now. Labels
/// hold commas (`aipw[clip=0.01,folds=3]`), so the csv writer quotes them.
pub fn timings_csv(timings: &[(String, f64)]) -> String {
    let mut rows = vec![vec!["label".to_string(), "seconds".to_string()]];
    rows.extend(timings.iter().map(|(label, s)| vec![label.clone(), format!("{s:.3}")]));
    csv_string(rows)
}

/// One row per run, in plan order. Runs never executed (after `--fail-fast`) have
/// status `skipped`.
pub fn runs_csv(exp: &Experiment, runs: &[Run], outcomes: &[Option<Outcome>]) -> String {
    let sweep: Vec<&String> = exp.sweep.iter().map(|(k, _)| k).collect();
    let hyper: BTreeSet<&String> = runs.iter().flat_map(|r| r.hyper_point.iter().map(|(k, _)| k)).collect();
    let mut header: Vec<String> = vec!["label".into(), "key".into(), "seed".into(), "replication".into()];
    header.extend(sweep.iter().map(|s| s.to_string()));
    header.extend(["estimator".into(), "kind".into()]);
    header.extend(hyper.iter().map(|h| h.to_string()));
    header.extend(["hyperparameters".into(), "status".into(), "reason".into()]);
    header.extend(exp.metrics.iter().map(|m| m.name().to_string()));
    let robustness = robustness_names(outcomes);
    header.extend(robustness.iter().cloned());
    let mut rows = vec![header];
    for (run, outcome) in runs.iter().zip(outcomes) {
        let mut row = vec![run.label.clone(), run.key.clone(), run.seed.to_string(), run.replication.to_string()];
        row.extend(
            sweep
                .iter()
                .map(|s| run.point.iter().find(|(k, _)| k == *s).map(|(_, v)| v.to_string()).unwrap_or_default()),
        );
        row.extend([run.estimator.clone(), run.kind.clone()]);
        row.extend(
            hyper
                .iter()
                .map(|h| run.hyper_point.iter().find(|(k, _)| k == *h).map(|(_, v)| value_text(v)).unwrap_or_default()),
        );
        row.push(serde_json::Value::Object(run.hyper.clone()).to_string());
        let (status, reason) = match outcome.as_ref().map(|o| &o.status) {
            Some(Status::Ok) => ("ok", String::new()),
            Some(Status::Failed { reason }) => ("failed", reason.clone()),
            Some(Status::Refused { reason }) => ("refused", reason.clone()),
            None => ("skipped", String::new()),
        };
        row.extend([status.to_string(), reason]);
        row.extend(exp.metrics.iter().map(|m| opt(outcome.as_ref().and_then(|o| o.metric(m.name())))));
        row.extend(robustness.iter().map(|n| opt(outcome.as_ref().and_then(|o| o.robustness_value(n)))));
        rows.push(row);
    }
    csv_string(rows)
}

/// The names of the robustness values of `outcomes`, in the order they first
/// appear (each run lists its values in a fixed order); none without `robustness:`.
pub fn robustness_names(outcomes: &[Option<Outcome>]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for (name, _) in outcomes.iter().flatten().flat_map(|o| &o.robustness) {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    names
}

/// Per (sweep point, configuration): each swept data parameter and each swept
/// hyperparameter in its own column (so that pandas or R group without parsing
/// labels), the run counts, the estimator's own standard error of the ATE and
/// its 95% interval, and the mean, standard error over replications and count of
/// each metric. A cell that has no meaning is empty: the own SE of a method that
/// reports none, or a spread over one value or over replications of fixed data.
pub fn summary_csv(exp: &Experiment, summary: &[SummaryRow]) -> String {
    let sweep: Vec<&String> = exp.sweep.iter().map(|(k, _)| k).collect();
    let hyper: BTreeSet<&String> = summary.iter().flat_map(|s| s.hyper_point.iter().map(|(k, _)| k)).collect();
    let mut header: Vec<String> = sweep.iter().map(|s| s.to_string()).collect();
    header.extend(["estimator".into(), "kind".into()]);
    header.extend(hyper.iter().map(|h| h.to_string()));
    header.extend(
        ["config", "runs", "failed", "refused", "not_converged", "ate_own_se", "ate_ci_low", "ate_ci_high", "true_ate"]
            .map(String::from),
    );
    for m in &exp.metrics {
        header.extend([format!("{m}_mean"), format!("{m}_se"), format!("{m}_n")]);
    }
    let mut rows = vec![header];
    for s in summary {
        let mut row: Vec<String> = sweep
            .iter()
            .map(|k| s.point_values.iter().find(|(p, _)| p == *k).map(|(_, v)| v.to_string()).unwrap_or_default())
            .collect();
        row.extend([s.estimator.clone(), s.kind.clone()]);
        row.extend(
            hyper
                .iter()
                .map(|h| s.hyper_point.iter().find(|(k, _)| k == *h).map(|(_, v)| value_text(v)).unwrap_or_default()),
        );
        row.extend([s.config.clone(), s.runs.to_string(), s.failed.to_string(), s.refused.to_string()]);
        let (k, reporting) = s.not_converged;
        row.push(if reporting > 0 { k.to_string() } else { String::new() });
        row.extend([
            opt(s.own.map(|o| o.se)),
            opt(s.own.map(|o| o.low)),
            opt(s.own.map(|o| o.high)),
            opt(s.true_ate.map(|t| t.0)),
        ]);
        for (_, v) in &s.metrics {
            match v {
                Some((mean, se, n)) => row.extend([
                    fixed(*mean, CSV_DECIMALS),
                    if shows_spread(exp, &(*mean, *se, *n)) { fixed(*se, CSV_DECIMALS) } else { String::new() },
                    n.to_string(),
                ]),
                None => row.extend([String::new(), String::new(), "0".into()]),
            }
        }
        rows.push(row);
    }
    csv_string(rows)
}

#[cfg(test)]
mod timing_tests {
    use super::timings_csv;

    #[test]
    fn labels_with_commas_stay_one_field() {
        let text = timings_csv(&[("r0/aipw[clip=0.01,folds=3]".into(), 1.23456), ("r0/ols".into(), 0.0)]);
        assert_eq!(text, "label,seconds\n\"r0/aipw[clip=0.01,folds=3]\",1.235\nr0/ols,0.000\n");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert!(rows.iter().all(|r| r.len() == 2));
        assert_eq!(&rows[0][0], "r0/aipw[clip=0.01,folds=3]");
    }
}
