//! Aggregation over replications: per data-sweep point and estimator
//! configuration, the mean, standard error and count of every metric, the
//! estimator's own standard error of its ATE, and the runs whose network did not
//! converge by its own diagnostics.

use serde_json::Value;

use crate::estimate::Metric;
use crate::estimate::classical::normal_interval;
use crate::run::{Outcome, Run, Status};
use crate::spec::{Dataset, Experiment};

/// (mean, standard error over replications, count of runs that have the value).
pub type Stat = (f64, f64, usize);

/// One configuration at one sweep point.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// `name=value` pairs of the data sweep, e.g. `confounding=1`.
    pub point: String,
    /// The data-sweep assignment itself, in sweep order.
    pub point_values: Vec<(String, f64)>,
    /// Estimator label plus its swept hyperparameters, e.g. `tarnet[lr=0.001]`.
    pub config: String,
    /// The estimator entry's label and kind.
    pub estimator: String,
    pub kind: String,
    /// The swept hyperparameters of this configuration.
    pub hyper_point: Vec<(String, Value)>,
    pub runs: usize,
    /// Runs whose method failed (diverged, singular, ...).
    pub failed: usize,
    /// Runs refused because the graph does not identify the effect their way.
    pub refused: usize,
    /// Per metric of the experiment, in its order.
    pub metrics: Vec<(String, Option<Stat>)>,
    /// The ATE estimate, whether or not `ate` is a listed metric (the plot of an
    /// experiment without truth shows it).
    pub ate: Option<Stat>,
    /// The true in-sample ATE where the data have the truth (mean over the runs).
    pub true_ate: Option<Stat>,
    /// The estimator's own standard error of the ATE and its interval, where the
    /// method reports one.
    pub own: Option<OwnUncertainty>,
    /// (runs whose `converged` diagnostic is 0, runs that report the diagnostic).
    pub not_converged: (usize, usize),
    /// Per robustness value of the experiment's runs (`robustness:`), in
    /// `tables::robustness_names` order; empty without the section.
    pub robustness: Vec<(String, Option<Stat>)>,
}

/// The estimator's own uncertainty of its ATE: its `se` diagnostic and the 95%
/// normal interval ATE ± 1.96 se, each the mean over the `n` runs that report an
/// `se` (one run: exactly that run's).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OwnUncertainty {
    pub se: f64,
    pub low: f64,
    pub high: f64,
    pub n: usize,
}

pub use crate::sweep::value_text;

pub fn point_label(run: &Run) -> String {
    run.point.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

pub fn config_label(run: &Run) -> String {
    if run.hyper_point.is_empty() {
        return run.estimator.clone();
    }
    let h: Vec<String> = run.hyper_point.iter().map(|(k, v)| format!("{k}={}", value_text(v))).collect();
    format!("{}[{}]", run.estimator, h.join(","))
}

/// Whether a replication of `exp` is new data rather than the same rows under
/// a new split: only then does a spread over replications estimate anything.
pub fn data_vary(exp: &Experiment) -> bool {
    match &exp.dataset {
        Dataset::Simulate(_) => true,
        Dataset::Builtin { name, instance, .. } => instance.is_none() && crate::data::draws_per_replication(name),
        // One file per replication is new data; one file for all is not.
        Dataset::File { path, .. } => path.per_replication(),
        // The field's archives hold their replications along a third axis.
        Dataset::Npz(_) => true,
        // Every replication simulates new patients.
        Dataset::Panel(_) => true,
    }
}

/// Whether the spread `se` over the `n` values of a cell is shown: over one
/// value there is none, and on fixed data a method that gives the same number
/// every time would show "± 0.000", which suggests a precision it does not have.
/// On fixed data a spread that is not zero (a network's initialisation, the
/// split, cross-fitting folds) is the method's own variability, and is shown.
pub fn shows_spread(exp: &Experiment, &(mean, se, n): &Stat) -> bool {
    // Equal values give a spread of rounding error, not exactly zero.
    n > 1 && (data_vary(exp) || se > 1e-12 * (1.0 + mean.abs()))
}

/// Group runs by (point, config) in plan order and aggregate `metrics`.
pub fn summarize(runs: &[Run], outcomes: &[Option<Outcome>], metrics: &[Metric]) -> Vec<SummaryRow> {
    let robustness_names = super::tables::robustness_names(outcomes);
    let mut groups: Vec<(String, String, Vec<usize>)> = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        let (p, c) = (point_label(run), config_label(run));
        match groups.iter_mut().find(|(gp, gc, _)| *gp == p && *gc == c) {
            Some(g) => g.2.push(i),
            None => groups.push((p, c, vec![i])),
        }
    }
    groups
        .into_iter()
        .map(|(point, config, members)| {
            let first = &runs[members[0]];
            let done: Vec<&Outcome> = members.iter().filter_map(|&i| outcomes[i].as_ref()).collect();
            let failed = done.iter().filter(|o| o.is_failed()).count();
            let refused = done.iter().filter(|o| matches!(o.status, Status::Refused { .. })).count();
            let metrics = metrics
                .iter()
                .map(|m| (m.name().to_string(), mean_se(done.iter().filter_map(|o| o.metric(m.name())))))
                .collect();
            SummaryRow {
                point,
                point_values: first.point.clone(),
                config,
                estimator: first.estimator.clone(),
                kind: first.kind.clone(),
                hyper_point: first.hyper_point.clone(),
                runs: members.len(),
                failed,
                refused,
                metrics,
                ate: mean_se(done.iter().filter_map(|o| o.metric("ate"))),
                true_ate: mean_se(done.iter().filter_map(|o| o.metric("true_ate"))),
                own: own_uncertainty(&done),
                not_converged: not_converged(&done),
                robustness: robustness_names
                    .iter()
                    .map(|n| (n.clone(), mean_se(done.iter().filter_map(|o| o.robustness_value(n)))))
                    .collect(),
            }
        })
        .collect()
}

fn diagnostic(o: &Outcome, name: &str) -> Option<f64> {
    o.diagnostics.iter().find(|(n, _)| n == name).and_then(|(_, v)| *v)
}

fn own_uncertainty(done: &[&Outcome]) -> Option<OwnUncertainty> {
    let own: Vec<[f64; 3]> = done
        .iter()
        .filter(|o| o.is_ok())
        .filter_map(|o| {
            let (ate, se) = (o.metric("ate")?, diagnostic(o, "se")?);
            let (low, high) = normal_interval(ate, se);
            Some([se, low, high])
        })
        .collect();
    if own.is_empty() {
        return None;
    }
    let mean = |k: usize| own.iter().map(|v| v[k]).sum::<f64>() / own.len() as f64;
    Some(OwnUncertainty { se: mean(0), low: mean(1), high: mean(2), n: own.len() })
}

/// Networks report `converged` as 1 or 0 by their own validation-loss criteria.
fn not_converged(done: &[&Outcome]) -> (usize, usize) {
    let flags: Vec<f64> = done.iter().filter_map(|o| diagnostic(o, "converged")).collect();
    (flags.iter().filter(|&&c| c == 0.0).count(), flags.len())
}

/// Mean and standard error of the mean (sample sd / sqrt(n); 0 when n = 1).
pub fn mean_se(values: impl Iterator<Item = f64>) -> Option<Stat> {
    let v: Vec<f64> = values.collect();
    if v.is_empty() {
        return None;
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let se = if v.len() > 1 {
        (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt() / n.sqrt()
    } else {
        0.0
    };
    Some((mean, se, v.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture::{finished, run};
    use serde_json::json;

    #[test]
    fn mean_and_standard_error() {
        let (m, se, n) = mean_se([1.0, 2.0, 3.0, 4.0].into_iter()).unwrap();
        assert_eq!((m, n), (2.5, 4));
        // sd = sqrt(5/3), se = sd / 2
        assert!((se - (5.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-15);
        assert_eq!(mean_se(std::iter::empty()), None);
        assert_eq!(mean_se([7.0].into_iter()), Some((7.0, 0.0, 1)));
    }

    #[test]
    fn hyperparameter_values_read_as_written() {
        assert_eq!(value_text(&json!("all")), "all");
        assert_eq!(value_text(&json!(["age", "sex"])), "{age, sex}");
        assert_eq!(value_text(&json!(0.001)), "0.001");
        assert_eq!(value_text(&json!(true)), "true");
        let r = run("ols", &[("adjust", json!("all")), ("lr", json!(0.5))], &[], 0);
        assert_eq!(config_label(&r), "ols[adjust=all,lr=0.5]");
    }

    #[test]
    fn own_standard_error_and_convergence_are_aggregated_per_row() {
        let runs = vec![
            run("ols", &[], &[], 0),
            run("ols", &[], &[], 1),
            run("tarnet", &[], &[], 0),
            run("tarnet", &[], &[], 1),
        ];
        let outcomes = vec![
            Some(finished(&[("ate", 2.0)], &[("se", 0.1)])),
            Some(finished(&[("ate", 4.0)], &[("se", 0.3)])),
            Some(finished(&[("ate", 3.0)], &[("converged", 1.0)])),
            Some(finished(&[("ate", 3.0)], &[("converged", 0.0)])),
        ];
        let rows = summarize(&runs, &outcomes, &[crate::estimate::Metric::Ate]);
        let own = rows[0].own.unwrap();
        assert!((own.se - 0.2).abs() < 1e-12 && own.n == 2);
        // The mean of the two runs' intervals 2 ± 1.96 * 0.1 and 4 ± 1.96 * 0.3.
        assert!((own.low - (3.0 - 1.959_963_984_540_054 * 0.2)).abs() < 1e-12, "{own:?}");
        assert_eq!(rows[0].not_converged, (0, 0));
        assert_eq!(rows[1].own, None);
        assert_eq!(rows[1].not_converged, (1, 2));
    }
}
