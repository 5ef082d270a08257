//! The "Robustness" section of report.md: the bootstrap intervals entries
//! declare, the E-values of every estimate, DoWhy's refutation tests, the
//! omitted-variable-bias bounds of the estimates with an outcome model (and
//! their benchmarks on observed covariate groups) and
//! the Cinelli-Hazlett sensitivity of the `ols` estimate (its robustness values,
//! the adjusted estimates of the declared hypothetical confounders and the
//! bounds benchmarked on observed covariates), each cell the mean over the
//! row's runs (± the spread where replications draw new data). Empty without
//! `robustness:`, so that no other report changes; an experiment whose
//! analyses describe the ATT says so first, and each text names it.

use super::format::fixed;
use super::summary::{Stat, SummaryRow, shows_spread};
use crate::estimate::Estimand;
use crate::spec::{Experiment, Ovb, Refuter, Refuters, Sensitivity};

const DECIMALS: usize = 4;

fn cell(exp: &Experiment, s: &SummaryRow, name: &str) -> String {
    match s.robustness.iter().find(|(n, _)| n == name).and_then(|(_, v)| v.as_ref()) {
        Some(stat @ (m, se, _)) if shows_spread(exp, stat) => {
            format!("{} ± {}", fixed(*m, DECIMALS), fixed(*se, DECIMALS))
        }
        Some((m, _, _)) => fixed(*m, DECIMALS),
        None => "–".into(),
    }
}

/// Residual degrees of freedom are a count: shown as one, unless the row's
/// runs differ in it (then as a mean like any other cell).
fn count_cell(exp: &Experiment, s: &SummaryRow, name: &str) -> String {
    match s.robustness.iter().find(|(n, _)| n == name).and_then(|(_, v)| v.as_ref()) {
        Some((m, se, _)) if *se == 0.0 && m.fract() == 0.0 && m.abs() < 1e15 => format!("{}", *m as i64),
        _ => cell(exp, s, name),
    }
}

fn has(s: &SummaryRow, name: &str) -> bool {
    s.robustness.iter().any(|(n, v): &(String, Option<Stat>)| n == name && v.is_some())
}

fn row_label(exp: &Experiment, s: &SummaryRow) -> String {
    if exp.sweep.is_empty() { s.config.clone() } else { format!("{} | {}", s.point, s.config) }
}

fn header(exp: &Experiment, columns: &[&str]) -> String {
    let mut h: Vec<&str> = if exp.sweep.is_empty() { vec!["estimator"] } else { vec!["point", "estimator"] };
    h.extend(columns);
    format!("| {} |\n|{}\n", h.join(" | "), "---|".repeat(h.len()))
}

/// The section, or "" when the experiment declares no robustness analysis.
pub fn robustness_md(exp: &Experiment, summary: &[SummaryRow]) -> String {
    let bootstrapped = exp.estimators.iter().any(|d| d.bootstrap.is_some());
    if exp.robustness.is_empty() && !bootstrapped {
        return String::new();
    }
    let att = exp.robustness.estimand == Estimand::Att;
    let mut out = "\n## Robustness\n".to_string();
    if att {
        out += "\nEvery analysis below describes the ATT, the average effect over the in-sample treated rows, the \
                estimand the table scores (`robustness.estimand`): each refit contributes its ATT (a network's is \
                the mean of its individual effects over the refit's treated rows), the E-values read the ATT, and the omitted-variable-bias bounds use the ATT's Riesz representer \
                (DoubleML's `ATTE` score). Cinelli and Hazlett's `ols` coefficient is the constant effect, the ATE \
                and the ATT at once.\n";
    }
    if bootstrapped {
        out += if att {
            "\nNonparametric bootstrap of the ATT (the entry's `bootstrap:` resamples of the units, each refitted): \
             the standard deviation of the resampled ATTs, the 2.5% and 97.5% percentiles, and the normal interval \
             att ± 1.96 se. The methods' own intervals (and `coverage`) are of the ATE, so these stay beside them.\n\n"
        } else {
            "\nNonparametric bootstrap (the entry's `bootstrap:` resamples of the units, each refitted): the \
             standard deviation of the resampled estimates, the 2.5% and 97.5% percentiles, and the normal \
             interval ate ± 1.96 se. The percentile interval is the run's interval, the one `coverage` scores.\n\n"
        };
        out += &header(exp, &["bootstrap se", "percentile 95% interval", "normal 95% interval", "failed resamples"]);
        for s in summary.iter().filter(|s| has(s, "boot_se")) {
            out += &format!(
                "| {} | {} | [{}, {}] | [{}, {}] | {} |\n",
                row_label(exp, s),
                cell(exp, s, "boot_se"),
                cell(exp, s, "boot_low"),
                cell(exp, s, "boot_high"),
                cell(exp, s, "boot_normal_low"),
                cell(exp, s, "boot_normal_high"),
                cell(exp, s, "boot_failed")
            );
        }
    }
    if exp.robustness.evalue {
        out += if att {
            "\nE-values of the ATT (VanderWeele and Ding 2017): the risk ratio an unmeasured confounder would need \
             with both treatment and outcome to explain the ATT away, and to move its 95% interval (the bootstrap's \
             percentile interval; – without a bootstrap) to include the null. A continuous outcome's effect is read \
             as a standardized difference d = att / sd(y) and converted to RR ≈ exp(0.91 d) (the EValue package's \
             `evalues.OLS` with sd(y)); a binary outcome's as the risk ratio over the control risk.\n\n"
        } else {
            "\nE-values (VanderWeele and Ding 2017): the risk ratio an unmeasured confounder would need with both \
             treatment and outcome to explain the estimate away, and to move the 95% interval to include the null. \
             A continuous outcome's effect is read as a standardized difference d = ate / sd(y) and converted to \
             RR ≈ exp(0.91 d) (the EValue package's `evalues.OLS` with sd(y)); a binary outcome's as the risk ratio \
             over the control risk.\n\n"
        };
        out += &header(exp, &["RR", "RR interval", "E-value", "E-value of the interval"]);
        for s in summary.iter().filter(|s| has(s, "evalue")) {
            let interval = if has(s, "evalue_rr_low") {
                format!("[{}, {}]", cell(exp, s, "evalue_rr_low"), cell(exp, s, "evalue_rr_high"))
            } else {
                "–".into()
            };
            out += &format!(
                "| {} | {} | {interval} | {} | {} |\n",
                row_label(exp, s),
                cell(exp, s, "evalue_rr"),
                cell(exp, s, "evalue"),
                cell(exp, s, "evalue_ci")
            );
        }
    }
    if let Some(refuters) = &exp.robustness.refuters {
        out += &refuters_md(exp, refuters, summary);
    }
    if let Some(sens) = &exp.robustness.sensitivity {
        out += &sensitivity_md(exp, sens, summary);
    }
    if let Some(ovb) = &exp.robustness.ovb {
        out += &ovb_md(exp, ovb, summary);
    }
    out
}

fn ovb_md(exp: &Experiment, ovb: &Ovb, summary: &[SummaryRow]) -> String {
    // 95, or 97.5: one decimal where the level needs it.
    let level = fixed(100.0 * ovb.level, 1).trim_end_matches(".0").to_string();
    let of_att = if exp.robustness.estimand == Estimand::Att {
        " of the ATT (the ATT's Riesz representer α = t/p - (1 - t) e / (p (1 - e)), p the share treated, as \
         DoubleML's `ATTE` score)"
    } else {
        ""
    };
    let mut out = format!(
        "\nOmitted-variable-bias bounds{of_att} of the estimates with an outcome model (Chernozhukov, Cinelli, Newey, \
         Sharma and Syrgkanis 2022, as DoubleML's `sensitivity_analysis`; ρ = {}): σ² and ν² scale the bias, \
         bias = |ρ| √(cf_y cf_d / (1 - cf_d)) √(σ² ν²). RV is the cf_y = cf_d at which the bound reaches 0, RVa the one \
         at which its {level}% interval does.\n\n",
        ovb.rho
    );
    out += &header(exp, &["σ²", "ν²", "RV", "RVa"]);
    let rows: Vec<&SummaryRow> = summary.iter().filter(|s| has(s, "ovb_rv")).collect();
    for s in &rows {
        let cells: Vec<String> =
            ["ovb_sigma2", "ovb_nu2", "ovb_rv", "ovb_rva"].iter().map(|n| cell(exp, s, n)).collect();
        out += &format!("| {} | {} |\n", row_label(exp, s), cells.join(" | "));
    }
    out += &benchmarks_md(exp, ovb, &rows, &level);
    if ovb.confounders.is_empty() {
        return out;
    }
    out += &format!("\nThe bounds for the declared confounders, and their {level}% interval.\n\n");
    out += &header(exp, &["confounder", "bounds", "interval"]);
    for s in &rows {
        for (cf_y, cf_d) in &ovb.confounders {
            let name = format!("ovb[{cf_y},{cf_d}]");
            out += &format!(
                "| {} | cf_y = {cf_y}, cf_d = {cf_d} | [{}, {}] | [{}, {}] |\n",
                row_label(exp, s),
                cell(exp, s, &format!("{name}_lower")),
                cell(exp, s, &format!("{name}_upper")),
                cell(exp, s, &format!("{name}_ci_lower")),
                cell(exp, s, &format!("{name}_ci_upper"))
            );
        }
    }
    out
}

/// The benchmarks of the declared covariate groups, for the rows that refitted them.
fn benchmarks_md(exp: &Experiment, ovb: &Ovb, rows: &[&SummaryRow], level: &str) -> String {
    if ovb.benchmarks.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\nBenchmarks (DoubleML's `sensitivity_benchmark`): the estimator refitted without each covariate group; \
         the confounding that dropping the group stands for, as cf_y, cf_d and ρ, the change it makes to the \
         estimate (Δθ = θ without the group - θ), and the bounds at that strength with their {level}% interval. \
         A latent confounder as strong as the group moves the estimate as far as the bounds say.\n\n"
    );
    out += &header(exp, &["group", "cf_y", "cf_d", "ρ", "Δθ", "bounds", "interval"]);
    for s in rows {
        for group in &ovb.benchmarks {
            let name = format!("ovb_bench[{}]", Ovb::group_name(group));
            if !has(s, &format!("{name}_cf_y")) {
                continue;
            }
            let c = |part: &str| cell(exp, s, &format!("{name}_{part}"));
            out += &format!(
                "| {} | {} | {} | {} | {} | {} | [{}, {}] | [{}, {}] |\n",
                row_label(exp, s),
                group.join(", "),
                c("cf_y"),
                c("cf_d"),
                c("rho"),
                c("delta_theta"),
                c("lower"),
                c("upper"),
                c("ci_lower"),
                c("ci_upper")
            );
        }
    }
    out
}

fn refuters_md(exp: &Experiment, cfg: &Refuters, summary: &[SummaryRow]) -> String {
    let (of_att, estimate) =
        if exp.robustness.estimand == Estimand::Att { (" of the ATT", "ATT") } else { ("", "estimate") };
    let mut out = format!(
        "\nRefutation tests{of_att} (DoWhy's definitions, {} refits each): the mean refitted {estimate}, DoWhy's \
         p-value of the tested value (0 for the placebos and the dummy outcome, the {estimate} for the others) \
         against the refits, and the runs where the refuter found no problem (p > 0.05). They test the estimator \
         and the data's stability, not unobserved confounding: a biased estimate can pass them all.\n\n",
        cfg.simulations
    );
    out += &header(exp, &["refuter", "tested value", "refuted estimate", "p-value", "passes"]);
    for s in summary {
        for r in &cfg.tests {
            let name = format!("refute_{}", r.name());
            if !has(s, &format!("{name}_p")) {
                continue;
            }
            let tested = match r {
                Refuter::PlaceboPermute | Refuter::PlaceboRandom | Refuter::DummyOutcome => "0",
                Refuter::RandomCommonCause | Refuter::DataSubset | Refuter::BootstrapNoise => estimate,
            };
            let passes = match s.robustness.iter().find(|(n, _)| *n == format!("{name}_passes")).and_then(|(_, v)| *v) {
                Some((share, _, n)) => format!("{} of {n}", (share * n as f64).round()),
                None => "–".into(),
            };
            out += &format!(
                "| {} | {} | {tested} | {} | {} | {passes} |\n",
                row_label(exp, s),
                r.name(),
                cell(exp, s, &format!("{name}_estimate")),
                cell(exp, s, &format!("{name}_p"))
            );
        }
    }
    out
}

fn sensitivity_md(exp: &Experiment, sens: &Sensitivity, summary: &[SummaryRow]) -> String {
    let rows: Vec<&SummaryRow> = summary.iter().filter(|s| has(s, "sens_estimate")).collect();
    let mut out = format!(
        "\nSensitivity of the `ols` estimate to an omitted confounder Z (Cinelli and Hazlett 2020, as in sensemakr; \
         classical standard errors): the partial R² of the treatment with the outcome, and the robustness values: \
         the equal partial R² with treatment and outcome that a confounder needs to remove {}% of the estimate \
         (RV_q), or to make its {}% interval reach that (RV_q,α).\n\n",
        fixed(100.0 * sens.q, 0),
        fixed(100.0 * (1.0 - sens.alpha), 0)
    );
    out += &header(exp, &["estimate", "se", "t", "dof", "partial R²", "RV_q", "RV_q,α"]);
    for s in &rows {
        let cells: Vec<String> =
            ["sens_estimate", "sens_se", "sens_t", "sens_dof", "sens_r2yd_x", "sens_rv_q", "sens_rv_qa"]
                .iter()
                .map(|n| if *n == "sens_dof" { count_cell(exp, s, n) } else { cell(exp, s, n) })
                .collect();
        out += &format!("| {} | {} |\n", row_label(exp, s), cells.join(" | "));
    }
    let mut bounds: Vec<(String, String)> = sens
        .confounders
        .iter()
        .map(|(d, y)| (format!("R²_dz = {d}, R²_yz = {y}"), format!("sens_z[{d},{y}]")))
        .collect();
    for b in &sens.benchmarks {
        for &(kd, ky) in &sens.multiples {
            let (label, name) = if kd == ky {
                (format!("{kd}× {b}"), format!("sens_{b}_{kd}x"))
            } else {
                (format!("{kd}× {b} (treatment), {ky}× (outcome)"), format!("sens_{b}_{kd}x{ky}x"))
            };
            bounds.push((label, name));
        }
    }
    if bounds.is_empty() {
        return out;
    }
    out += &format!(
        "\nThe estimate adjusted for a confounder of the declared strength, or k times as strongly associated with \
         treatment and outcome as an observed covariate (the benchmark bounds), with its {}% interval. – where the \
         benchmark is not among the run's covariates or the bound is impossible.\n\n",
        fixed(100.0 * (1.0 - sens.alpha), 0)
    );
    out += &header(exp, &["confounder", "R²_dz", "R²_yz", "adjusted estimate", "adjusted interval"]);
    for s in &rows {
        for (label, name) in &bounds {
            // Hypothetical confounders have their strengths in the label.
            let (r2d, r2y) = if name.starts_with("sens_z[") {
                ("–".to_string(), "–".to_string())
            } else {
                (cell(exp, s, &format!("{name}_r2dz_x")), cell(exp, s, &format!("{name}_r2yz_dx")))
            };
            out += &format!(
                "| {} | {label} | {r2d} | {r2y} | {} | [{}, {}] |\n",
                row_label(exp, s),
                cell(exp, s, &format!("{name}_estimate")),
                cell(exp, s, &format!("{name}_low")),
                cell(exp, s, &format!("{name}_high"))
            );
        }
    }
    out
}
