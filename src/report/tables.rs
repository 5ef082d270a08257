//! The committed tables of an experiment: `runs.csv` (one row per run),
//! `summary.csv` (mean and standard error per configuration), `report.md` (the
//! paper-style table) and `table.tex` (booktabs), all with fixed number formats.

use std::collections::BTreeSet;

use super::format::fixed;
use super::summary::SummaryRow;
use crate::run::{Outcome, Run, Status};
use crate::spec::Experiment;

const CSV_DECIMALS: usize = 6;
const TABLE_DECIMALS: usize = 3;

fn csv_string(rows: Vec<Vec<String>>) -> String {
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
    header.extend(exp.metrics.iter().cloned());
    let mut rows = vec![header];
    for (run, outcome) in runs.iter().zip(outcomes) {
        let mut row = vec![run.label.clone(), run.key.clone(), run.seed.to_string(), run.replication.to_string()];
        row.extend(sweep.iter().map(|s| run.point.iter().find(|(k, _)| k == *s).map(|(_, v)| v.to_string()).unwrap_or_default()));
        row.extend([run.estimator.clone(), run.kind.clone()]);
        row.extend(hyper.iter().map(|h| run.hyper_point.iter().find(|(k, _)| k == *h).map(|(_, v)| v.to_string()).unwrap_or_default()));
        row.push(serde_json::Value::Object(run.hyper.clone()).to_string());
        let (status, reason) = match outcome.as_ref().map(|o| &o.status) {
            Some(Status::Ok) => ("ok", String::new()),
            Some(Status::Failed { reason }) => ("failed", reason.clone()),
            Some(Status::Refused { reason }) => ("refused", reason.clone()),
            None => ("skipped", String::new()),
        };
        row.extend([status.to_string(), reason]);
        row.extend(exp.metrics.iter().map(|m| opt(outcome.as_ref().and_then(|o| o.metric(m)))));
        rows.push(row);
    }
    csv_string(rows)
}

/// Mean, standard error and count of each metric per (sweep point, configuration).
pub fn summary_csv(exp: &Experiment, summary: &[SummaryRow]) -> String {
    let mut header: Vec<String> = vec!["point".into(), "config".into(), "runs".into(), "failed".into(), "refused".into()];
    for m in &exp.metrics {
        header.extend([format!("{m}_mean"), format!("{m}_se"), format!("{m}_n")]);
    }
    let mut rows = vec![header];
    for s in summary {
        let mut row = vec![s.point.clone(), s.config.clone(), s.runs.to_string(), s.failed.to_string(), s.refused.to_string()];
        for (_, v) in &s.metrics {
            match v {
                Some((mean, se, n)) => row.extend([fixed(*mean, CSV_DECIMALS), fixed(*se, CSV_DECIMALS), n.to_string()]),
                None => row.extend([String::new(), String::new(), "0".into()]),
            }
        }
        rows.push(row);
    }
    csv_string(rows)
}

fn mean_pm_se(v: &Option<(f64, f64, usize)>) -> String {
    match v {
        Some((m, se, _)) => format!("{} ± {}", fixed(*m, TABLE_DECIMALS), fixed(*se, TABLE_DECIMALS)),
        None => "–".into(),
    }
}

/// "10", or "8 ok, 2 failed", or "10 refused".
fn run_status(s: &SummaryRow) -> String {
    let ok = s.runs - s.failed - s.refused;
    if ok == s.runs {
        return s.runs.to_string();
    }
    let mut parts = Vec::new();
    if ok > 0 {
        parts.push(format!("{ok} ok"));
    }
    if s.failed > 0 {
        parts.push(format!("{} failed", s.failed));
    }
    if s.refused > 0 {
        parts.push(format!("{} refused", s.refused));
    }
    parts.join(", ")
}

/// The paper-style table: one row per configuration (and sweep point), metric
/// columns as "mean ± se" over replications, then the identification result.
pub fn report_md(exp: &Experiment, summary: &[SummaryRow], identification: &str) -> String {
    let mut out = format!("# {}\n\n", exp.name);
    if !exp.description.is_empty() {
        out += &format!("{}\n\n", exp.description);
    }
    out += &format!("Scenario: {}. Replications: {}. Seed: {}.\n\n", if exp.scenario.is_empty() { "-" } else { &exp.scenario }, exp.replications, exp.seed);
    let with_point = !exp.sweep.is_empty();
    let mut header = Vec::new();
    if with_point {
        header.push("point".to_string());
    }
    header.push("estimator".into());
    header.extend(exp.metrics.iter().cloned());
    header.push("runs".into());
    out += &format!("| {} |\n|{}\n", header.join(" | "), "---|".repeat(header.len()));
    for s in summary {
        let mut cells = Vec::new();
        if with_point {
            cells.push(s.point.clone());
        }
        cells.push(s.config.clone());
        cells.extend(s.metrics.iter().map(|(_, v)| mean_pm_se(v)));
        cells.push(run_status(s));
        out += &format!("| {} |\n", cells.join(" | "));
    }
    out += "\nValues are mean ± standard error over replications. A refused run is an estimator the graph does not identify the effect for (see below).\n";
    if !identification.is_empty() {
        out += &format!("\n## Identification\n\n```text\n{}\n```\n", identification.trim_end());
    }
    out
}

fn tex_escape(s: &str) -> String {
    s.replace('\\', "\\textbackslash{}").replace('_', "\\_").replace('&', "\\&").replace('%', "\\%").replace('#', "\\#").replace('$', "\\$")
}

/// A booktabs table of the summary for papers.
pub fn table_tex(exp: &Experiment, summary: &[SummaryRow]) -> String {
    let with_point = !exp.sweep.is_empty();
    let ncols = exp.metrics.len() + 1 + usize::from(with_point);
    let mut out = format!("% {} (generated by causeway; mean $\\pm$ standard error over {} replications)\n", tex_escape(&exp.name), exp.replications);
    out += &format!("\\begin{{tabular}}{{l{}}}\n\\toprule\n", "r".repeat(ncols - 1));
    let mut header: Vec<String> = Vec::new();
    if with_point {
        header.push("Point".into());
    }
    header.push("Estimator".into());
    header.extend(exp.metrics.iter().map(|m| tex_escape(m)));
    out += &format!("{} \\\\\n\\midrule\n", header.join(" & "));
    for s in summary {
        let mut cells = Vec::new();
        if with_point {
            cells.push(tex_escape(&s.point));
        }
        cells.push(tex_escape(&s.config));
        cells.extend(s.metrics.iter().map(|(_, v)| match v {
            Some((m, se, _)) => format!("${} \\pm {}$", fixed(*m, TABLE_DECIMALS), fixed(*se, TABLE_DECIMALS)),
            None => "--".into(),
        }));
        out += &format!("{} \\\\\n", cells.join(" & "));
    }
    out += "\\bottomrule\n\\end{tabular}\n";
    out
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
