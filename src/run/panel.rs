//! One panel run (treatments over time): simulate the replication's panel and
//! the truth of every test query from the run's data stream, build the panel
//! kind from its resolved hyperparameters, let it answer every query from its
//! estimator stream, and score the answers with the Causal Transformer's
//! normalised RMSE per plan length τ (`rmse_1` .. `rmse_6`). The simulator
//! draws from the replication's seed alone, so every estimator of a
//! replication sees the same patients, folds and noise.

use super::outcome::Outcome;
use super::pipeline::{DATA_STREAM, ESTIMATOR_STREAM, stream};
use super::plan::Run;
use crate::data::tumour::{max_volume, simulate};
use crate::estimate::Metric;
use crate::estimate::panel::{normalized_rmse, registry};
use crate::spec::PanelDecl;

/// The outcome of panel run `run` of the simulator `decl`.
pub(super) fn compute(decl: &PanelDecl, run: &Run) -> Outcome {
    let config = decl.config(&run.params);
    let (panel, truth) = simulate(&config, &mut stream(run.seed, DATA_STREAM));
    let estimator = match registry::build(&run.kind, &run.hyper) {
        Ok(e) => e,
        Err(e) => return Outcome::failed(&run.key, e.to_string()),
    };
    // A configuration that answers only short plans (CRN without its decoder)
    // is asked those alone; the simulator's draws are the same either way.
    let (mut queries, mut values) = (truth.queries, truth.values);
    if let Some(longest) = estimator.longest_plan() {
        (queries, values) = queries.into_iter().zip(values).filter(|(q, _)| q.plan.len() <= longest).unzip();
    }
    let est = match estimator.fit_predict(&panel, &queries, &mut stream(run.seed, ESTIMATOR_STREAM)) {
        Ok(est) => est,
        Err(e) => return Outcome::failed(&run.key, e.to_string()),
    };
    if est.predictions.len() != queries.len() {
        return Outcome::failed(
            &run.key,
            format!("{} predictions for {} queries", est.predictions.len(), queries.len()),
        );
    }
    if let Some(p) = est.predictions.iter().find(|p| !p.is_finite()) {
        return Outcome::failed(&run.key, format!("a prediction is not finite ({p})"));
    }
    let rmse = normalized_rmse(&queries, &values, &est.predictions, max_volume());
    // Every horizon the simulator asks about, whatever the experiment lists
    // (the tables show the listed ones), so the record does not depend on
    // `metrics:`; a horizon the kind was not asked is empty.
    let metrics = Metric::PANEL
        .iter()
        .map(|m| {
            let tau = m.horizon().unwrap_or(0);
            (m.name().to_string(), rmse.iter().find(|(t, _)| *t == tau).map(|(_, v)| *v))
        })
        .collect();
    let mut diagnostics = est.diagnostics;
    diagnostics.push(("test_queries".into(), queries.len() as f64));
    Outcome::finished(&run.key, metrics, diagnostics, String::new())
}

#[cfg(test)]
mod tests {
    use crate::run::pipeline::{compute_outcome, prepared_from_yaml};

    const YAML: &str = "
name: panel-unit
seed: 4
params: { gamma: 2 }
dataset:
  builtin: { name: tumour-growth, gamma: $gamma, patients: { train: 40, validation: 0, test: 5 }, steps: 15 }
estimators: [msm, { msm_unweighted: { max_tau: 6 } }]
metrics: [rmse_1, rmse_6]
";

    /// A panel run computes every horizon, the same bits twice, and both
    /// kinds of a replication see the same patients (the same query count).
    #[test]
    fn a_panel_run_scores_every_horizon_deterministically() {
        let prepared = prepared_from_yaml(YAML);
        assert_eq!(prepared.runs.len(), 2);
        assert!(prepared.identification.is_empty());
        let a = compute_outcome(&prepared, &prepared.runs[0]);
        assert!(a.is_ok(), "{a:?}");
        let names: Vec<&str> = a.metrics.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["rmse_1", "rmse_2", "rmse_3", "rmse_4", "rmse_5", "rmse_6"]);
        assert!(a.metrics.iter().all(|(_, v)| v.is_some_and(|v| v > 0.0 && v < 100.0)), "{a:?}");
        assert_eq!(compute_outcome(&prepared, &prepared.runs[0]), a);
        let b = compute_outcome(&prepared, &prepared.runs[1]);
        assert_ne!(a.metrics, b.metrics);
        let queries = |o: &crate::run::Outcome| o.diagnostics.iter().find(|(n, _)| n == "test_queries").cloned();
        assert_eq!(queries(&a), queries(&b));
    }

    /// CRN with `projections: false` is asked the one-step questions alone: its
    /// record scores `rmse_1` and leaves the longer horizons empty.
    #[test]
    fn a_kind_that_answers_one_step_only_is_asked_one_step_only() {
        let crn =
            "{ crn: { projections: false, epochs: 1, encoder: { hidden: 4, br_size: 4, fc_hidden: 4, batch: 16 } } }";
        let prepared = prepared_from_yaml(&YAML.replace("estimators: [msm, ", &format!("estimators: [{crn}, ")));
        let (crn, msm) = (compute_outcome(&prepared, &prepared.runs[0]), compute_outcome(&prepared, &prepared.runs[1]));
        assert!(crn.is_ok(), "{crn:?}");
        let scored: Vec<bool> = crn.metrics.iter().map(|(_, v)| v.is_some()).collect();
        assert_eq!(scored, [true, false, false, false, false, false], "{crn:?}");
        let queries =
            |o: &crate::run::Outcome| o.diagnostics.iter().find(|(n, _)| n == "test_queries").and_then(|d| d.1);
        // Four options a step: a quarter of the one-step count is the active test steps.
        let (one_step, all) = (queries(&crn).unwrap(), queries(&msm).unwrap());
        assert!(one_step > 0.0 && one_step < all && one_step % 4.0 == 0.0, "{one_step} of {all}");
    }

    /// A plan longer than the kind was fitted for is a failed run with its reason.
    #[test]
    fn a_kind_fitted_for_shorter_plans_fails_the_run() {
        let prepared = prepared_from_yaml(&YAML.replace("max_tau: 6", "max_tau: 2"));
        let out = compute_outcome(&prepared, &prepared.runs[1]);
        assert!(out.is_failed(), "{out:?}");
        assert!(format!("{:?}", out.status).contains("fitted for 1 to 2"), "{out:?}");
    }
}
