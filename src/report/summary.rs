//! Aggregation over replications: per data-sweep point and estimator
//! configuration, the mean, standard error and count of every metric.

use crate::run::{Outcome, Run};

/// One configuration at one sweep point.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    /// `name=value` pairs of the data sweep, e.g. `confounding=1`.
    pub point: String,
    /// Estimator label plus its swept hyperparameters, e.g. `tarnet[lr=0.001]`.
    pub config: String,
    pub runs: usize,
    /// Runs whose method failed (diverged, singular, ...).
    pub failed: usize,
    /// Of those, runs refused because the graph does not identify the effect their way.
    pub refused: usize,
    /// Per metric: (mean, standard error, count of runs that have the metric).
    pub metrics: Vec<(String, Option<(f64, f64, usize)>)>,
}

pub fn point_label(run: &Run) -> String {
    run.point.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
}

pub fn config_label(run: &Run) -> String {
    if run.hyper_point.is_empty() {
        return run.estimator.clone();
    }
    let h: Vec<String> = run.hyper_point.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{}[{}]", run.estimator, h.join(","))
}

/// Group runs by (point, config) in plan order and aggregate `metrics`.
pub fn summarize(runs: &[Run], outcomes: &[Option<Outcome>], metrics: &[String]) -> Vec<SummaryRow> {
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
            let done: Vec<&Outcome> = members.iter().filter_map(|&i| outcomes[i].as_ref()).collect();
            let failed = done.iter().filter(|o| o.is_failed()).count();
            let refused = done.iter().filter(|o| matches!(o.status, crate::run::Status::Refused { .. })).count();
            let metrics = metrics.iter().map(|m| (m.clone(), mean_se(done.iter().filter_map(|o| o.metric(m))))).collect();
            SummaryRow { point, config, runs: members.len(), failed, refused, metrics }
        })
        .collect()
}

/// Mean and standard error of the mean (sample sd / sqrt(n); 0 when n = 1).
pub fn mean_se(values: impl Iterator<Item = f64>) -> Option<(f64, f64, usize)> {
    let v: Vec<f64> = values.collect();
    if v.is_empty() {
        return None;
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let se = if v.len() > 1 { (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt() / n.sqrt() } else { 0.0 };
    Some((mean, se, v.len()))
}

#[cfg(test)]
mod tests {
    use super::mean_se;

    #[test]
    fn mean_and_standard_error() {
        let (m, se, n) = mean_se([1.0, 2.0, 3.0, 4.0].into_iter()).unwrap();
        assert_eq!((m, n), (2.5, 4));
        // sd = sqrt(5/3), se = sd / 2
        assert!((se - (5.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-15);
        assert_eq!(mean_se(std::iter::empty()), None);
        assert_eq!(mean_se([7.0].into_iter()), Some((7.0, 0.0, 1)));
    }
}
