//! The tables for readers: `report.md` (the paper-style table, its notes and the
//! identification result) and `table.tex` (booktabs). Beside the metrics they
//! show each estimate's own standard error and 95% interval, a spread over
//! replications only where one means something, and a marker on configurations
//! whose network did not converge by its own diagnostics.

use super::format::fixed;
use super::summary::{Stat, SummaryRow, data_vary, shows_spread};
use crate::estimate::Metric;
use crate::spec::Experiment;

pub(super) const DECIMALS: usize = 3;
pub(super) const NOT_CONVERGED: &str = "†";
pub(super) const SE_HEADER: &str = "se of ate";
/// The true in-sample ATE, mean over the row's runs (`true_ate`).
pub(super) const TRUE_HEADER: &str = "true ate";
pub(super) const CI_HEADER: &str = "95% CI of ate";

/// "mean ± se" (with `pm` as the sign) where the spread over replications
/// estimates something, else the mean alone; `none` where no run has the value.
pub(super) fn cell(exp: &Experiment, v: &Option<Stat>, pm: &str, none: &str) -> String {
    match v {
        Some(stat @ (m, se, _)) if shows_spread(exp, stat) => {
            format!("{}{pm}{}", fixed(*m, DECIMALS), fixed(*se, DECIMALS))
        }
        Some((m, _, _)) => fixed(*m, DECIMALS),
        None => none.into(),
    }
}

/// (se, interval) cells of the estimate's own uncertainty.
pub(super) fn own_cells(s: &SummaryRow, none: &str) -> (String, String) {
    match s.own {
        Some(o) => (fixed(o.se, DECIMALS), format!("[{}, {}]", fixed(o.low, DECIMALS), fixed(o.high, DECIMALS))),
        None => (none.into(), none.into()),
    }
}

/// Whether the own-uncertainty columns are shown: when some method reports it,
/// and the table is not about the ATT alone. Estimators report the se and
/// interval of their ATE only, which beside ATT columns (LaLonde's) would read
/// as the uncertainty of the numbers next to it; summary.csv keeps them.
pub(super) fn with_own(exp: &Experiment, summary: &[SummaryRow]) -> bool {
    let att_only = exp.metrics.iter().all(|m| matches!(m, Metric::Att | Metric::AttError));
    !att_only && summary.iter().any(|s| s.own.is_some())
}

pub(super) fn flagged(s: &SummaryRow) -> bool {
    s.not_converged.0 > 0
}

/// "10", or "8 ok, 2 failed", or "10 refused".
pub(super) fn run_status(s: &SummaryRow) -> String {
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

/// What the metric cells are, in words.
pub(super) fn values_note(exp: &Experiment, summary: &[SummaryRow]) -> String {
    let single = summary.iter().flat_map(|s| &s.metrics).any(|(_, v)| matches!(v, Some((_, _, 1))));
    match (data_vary(exp), exp.replications > 1) {
        (true, true) if single => "Values are mean ± standard error over replications; a value without ± is a single run's.".into(),
        (true, true) => "Values are mean ± standard error over replications.".into(),
        (true, false) => "Values are those of one replication, so there is no spread over replications to show.".into(),
        (false, true) => "The data are the same in every replication; only the split of the rows and what a method draws (a network's \
                          initialisation, cross-fitting folds) differ. Values are means over the replications, with ± the standard error of \
                          that variability where there is any; a value without ± is the same in every replication."
            .into(),
        (false, false) => "Values are those of one run on fixed data: there is no spread over replications to show.".into(),
    }
}

pub(super) fn own_note(exp: &Experiment, summary: &[SummaryRow]) -> String {
    let averaged = if exp.replications > 1 { ", each the mean over the row's runs" } else { "" };
    let mut note = format!(
        "`{SE_HEADER}` is the estimator's own standard error of its ATE and `{CI_HEADER}` the normal interval ATE ± 1.96 se{averaged}; \
         – where the method reports none."
    );
    if summary.iter().any(|s| s.kind == "frontdoor" && s.own.is_some()) {
        note += " The se of `frontdoor` is its bootstrap's; the interval shown is the normal one, not the percentile interval its `coverage` uses.";
    }
    note
}

/// One line per configuration (and point) with a run that did not converge.
pub(super) fn convergence_notes(summary: &[SummaryRow], with_point: bool) -> Vec<String> {
    summary
        .iter()
        .filter(|s| flagged(s))
        .map(|s| {
            let at = if with_point { format!(" at {}", s.point) } else { String::new() };
            let (k, n) = s.not_converged;
            format!("`{}`{at}: not converged in {k} of {n} runs by its own validation-loss diagnostics", s.config)
        })
        .collect()
}

/// The paper-style table: one row per configuration (and sweep point), the
/// metrics, the estimate's own se and interval, the run counts; then notes and
/// the identification result.
pub fn report_md(exp: &Experiment, summary: &[SummaryRow], identification: &str) -> String {
    let mut out = format!("# {}\n\n", exp.name);
    if !exp.description.is_empty() {
        out += &format!("{}\n\n", exp.description);
    }
    out += &format!(
        "Scenario: {}. Replications: {}. Seed: {}.\n\n",
        if exp.scenario.is_empty() { "-" } else { &exp.scenario },
        exp.replications,
        exp.seed
    );
    let (with_point, own) = (!exp.sweep.is_empty(), with_own(exp, summary));
    // The target beside the estimates, where the data have the truth.
    let truth = summary.iter().any(|s| s.true_ate.is_some());
    let mut header = Vec::new();
    if with_point {
        header.push("point".to_string());
    }
    header.push("estimator".into());
    if truth {
        header.push(TRUE_HEADER.into());
    }
    header.extend(exp.metrics.iter().map(|m| m.name().to_string()));
    if own {
        header.extend([SE_HEADER.to_string(), CI_HEADER.to_string()]);
    }
    header.push("runs".into());
    out += &format!("| {} |\n|{}\n", header.join(" | "), "---|".repeat(header.len()));
    for s in summary {
        let mut cells = Vec::new();
        if with_point {
            cells.push(s.point.clone());
        }
        cells.push(if flagged(s) { format!("{} {NOT_CONVERGED}", s.config) } else { s.config.clone() });
        if truth {
            cells.push(s.true_ate.map_or("–".into(), |t| format!("{:.3}", t.0)));
        }
        cells.extend(s.metrics.iter().map(|(_, v)| cell(exp, v, " ± ", "–")));
        if own {
            let (se, ci) = own_cells(s, "–");
            cells.extend([se, ci]);
        }
        cells.push(run_status(s));
        out += &format!("| {} |\n", cells.join(" | "));
    }
    // A panel has no graph and no refusals: its note says what the values are instead.
    let after = if exp.dataset.is_panel() {
        "`rmse_τ` is the normalised RMSE (percent of the death volume) of the outcome τ steps ahead \
         over every counterfactual question about the test units."
    } else {
        "A refused run is an estimator the graph does not identify the effect for (see below)."
    };
    out += &format!("\n{} {after}\n", values_note(exp, summary));
    if own {
        out += &format!("\n{}\n", own_note(exp, summary));
    }
    for line in convergence_notes(summary, with_point) {
        out += &format!("\n{NOT_CONVERGED} {line}.\n");
    }
    out += &super::robustness::robustness_md(exp, summary);
    if !identification.is_empty() {
        out += &format!("\n## Identification\n\n```text\n{}\n```\n", identification.trim_end());
    }
    out
}

fn tex_escape(s: &str) -> String {
    s.replace('\\', "\\textbackslash{}")
        .replace('_', "\\_")
        .replace('&', "\\&")
        .replace('%', "\\%")
        .replace('#', "\\#")
        .replace('$', "\\$")
}

/// What the cells of table.tex are, for its header comment.
fn tex_values(exp: &Experiment) -> String {
    let r = exp.replications;
    match (data_vary(exp), r > 1) {
        (true, true) => format!("mean $\\pm$ standard error over {r} replications"),
        (true, false) => "one replication".into(),
        (false, true) => format!("means over {r} replications of the same data, no spread"),
        (false, false) => "one run on fixed data".into(),
    }
}

/// A booktabs table of the summary for papers.
pub fn table_tex(exp: &Experiment, summary: &[SummaryRow]) -> String {
    let (with_point, own) = (!exp.sweep.is_empty(), with_own(exp, summary));
    let ncols = exp.metrics.len() + 1 + usize::from(with_point) + 2 * usize::from(own);
    let mut out = format!("% {} (generated by causeway; {})\n", tex_escape(&exp.name), tex_values(exp));
    out += &format!("\\begin{{tabular}}{{l{}}}\n\\toprule\n", "r".repeat(ncols - 1));
    let mut header: Vec<String> = Vec::new();
    if with_point {
        header.push("Point".into());
    }
    header.push("Estimator".into());
    header.extend(exp.metrics.iter().map(|m| tex_escape(m.name())));
    if own {
        header.extend(["SE".to_string(), "95\\% CI".to_string()]);
    }
    out += &format!("{} \\\\\n\\midrule\n", header.join(" & "));
    for s in summary {
        let mut cells = Vec::new();
        if with_point {
            cells.push(tex_escape(&s.point));
        }
        let marker = if flagged(s) { "$^\\dagger$" } else { "" };
        cells.push(format!("{}{marker}", tex_escape(&s.config)));
        cells.extend(s.metrics.iter().map(|(_, v)| match v {
            Some(_) => format!("${}$", cell(exp, v, " \\pm ", "")),
            None => "--".into(),
        }));
        if own {
            let (se, ci) = own_cells(s, "--");
            cells.extend([se, ci]);
        }
        out += &format!("{} \\\\\n", cells.join(" & "));
    }
    out += "\\bottomrule\n\\end{tabular}\n";
    let notes = convergence_notes(summary, with_point);
    if !notes.is_empty() {
        let text: Vec<String> =
            notes.iter().map(|n| format!("$^\\dagger${}.", tex_escape(&n.replace('`', "")))).collect();
        out += &format!("\\par\\smallskip{{\\footnotesize {}}}\n", text.join(" "));
    }
    out
}
