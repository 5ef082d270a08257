//! The selection tables (`selection:`): `selection.csv`, one row per group
//! and criterion (the chosen configuration, its truth metric, the oracle-best
//! configuration's, the regret and the rank correlation of criterion and
//! truth), `criteria.csv`, every criterion's value for every configuration
//! and replication beside its truth, and the "Model selection" section of
//! report.md. All are read off `run::select`'s table; nothing is computed here.

use super::format::fixed;
use super::tables::csv_string;
use crate::run::SelectionTable;
use crate::spec::{Choose, Experiment};

const CSV_DECIMALS: usize = 6;
const MD_DECIMALS: usize = 3;

fn opt(v: Option<f64>, decimals: usize) -> String {
    v.map(|v| fixed(v, decimals)).unwrap_or_default()
}

/// `selection.csv`.
pub fn selection_csv(exp: &Experiment, table: &SelectionTable) -> String {
    let truth = exp.selection.as_ref().map_or("truth", |s| s.truth.name());
    let mut rows = vec![
        [
            "point",
            "group",
            "criterion",
            "chosen",
            "times_chosen",
            "choices",
            "oracle",
            &format!("{truth}_chosen"),
            &format!("{truth}_oracle"),
            "regret",
            "regret_se",
            "rank_corr",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for c in &table.choices {
        rows.push(vec![
            c.point.clone(),
            c.group.clone(),
            c.criterion.name().to_string(),
            c.chosen.clone().unwrap_or_default(),
            c.times.0.to_string(),
            c.times.1.to_string(),
            c.oracle.clone().unwrap_or_default(),
            opt(c.truth_chosen, CSV_DECIMALS),
            opt(c.truth_oracle, CSV_DECIMALS),
            opt(c.regret.map(|r| r.0), CSV_DECIMALS),
            opt(c.regret.map(|r| r.1), CSV_DECIMALS),
            opt(c.rank_corr, CSV_DECIMALS),
        ]);
    }
    csv_string(rows)
}

/// `criteria.csv`.
pub fn criteria_csv(exp: &Experiment, table: &SelectionTable) -> String {
    let Some(sel) = &exp.selection else { return String::new() };
    let mut header: Vec<String> = ["point", "group", "config", "replication"].map(String::from).to_vec();
    header.extend(sel.criteria.iter().map(|c| c.name().to_string()));
    header.push(sel.truth.name().to_string());
    let mut rows = vec![header];
    for v in &table.values {
        let mut row = vec![v.point.clone(), v.group.clone(), v.config.clone(), v.replication.to_string()];
        row.extend(v.criteria.iter().map(|x| opt(*x, CSV_DECIMALS)));
        row.push(opt(v.truth, CSV_DECIMALS));
        rows.push(row);
    }
    csv_string(rows)
}

/// The "Model selection" section, or "" without `selection:`.
pub fn selection_md(exp: &Experiment, table: &SelectionTable) -> String {
    let Some(sel) = &exp.selection else { return String::new() };
    let truth = sel.truth.name();
    let protocol = match sel.choose {
        Choose::AllReplications => {
            "once, by each criterion averaged over the replications (cfrnet's protocol); the truth columns are the \
             chosen and the oracle-best configuration's mean over the replications"
        }
        Choose::EachReplication => {
            "in each replication on its own; `chosen` is the configuration chosen most often (in how many of the \
             replications), and the truth columns are means over the replications of the chosen and the \
             per-replication oracle-best configuration's"
        }
    };
    let mut out = format!(
        "\n## Model selection\n\nEach criterion is computed on the validation rows only (no test row, no truth) and \
         ranks the configurations of a group (lower is better); the choice is made {protocol}. `regret` is the \
         chosen configuration's `{truth}` minus the oracle-best's (± its standard error over replications), and \
         `rank corr` Spearman's correlation of criterion and `{truth}` over the group's configurations. Every value \
         is in criteria.csv.\n\n"
    );
    let with_point = !exp.sweep.is_empty();
    let mut header = if with_point { vec!["point"] } else { vec![] };
    header.extend([
        "group",
        "criterion",
        "chosen",
        "oracle",
        "truth of chosen",
        "truth of oracle",
        "regret",
        "rank corr",
    ]);
    out += &format!("| {} |\n|{}\n", header.join(" | "), "---|".repeat(header.len()));
    let dash = |s: String| if s.is_empty() { "–".to_string() } else { s };
    for c in &table.choices {
        let chosen = match (&c.chosen, sel.choose) {
            (Some(name), Choose::EachReplication) => format!("{name} ({}/{})", c.times.0, c.times.1),
            (Some(name), Choose::AllReplications) => name.clone(),
            (None, _) => "–".into(),
        };
        let regret =
            c.regret.map_or("–".into(), |(m, se)| format!("{} ± {}", fixed(m, MD_DECIMALS), fixed(se, MD_DECIMALS)));
        let mut cells = if with_point { vec![c.point.clone()] } else { vec![] };
        cells.extend([
            c.group.clone(),
            c.criterion.name().to_string(),
            chosen,
            dash(c.oracle.clone().unwrap_or_default()),
            dash(opt(c.truth_chosen, MD_DECIMALS)),
            dash(opt(c.truth_oracle, MD_DECIMALS)),
            regret,
            dash(opt(c.rank_corr, MD_DECIMALS)),
        ]);
        out += &format!("| {} |\n", cells.join(" | "));
    }
    for (point, group, r, why) in &table.skipped {
        let at = if point.is_empty() { String::new() } else { format!(" at {point}") };
        out += &format!("\nReplication {r} of `{group}`{at} is left out of the selection: {why}.\n");
    }
    out
}
