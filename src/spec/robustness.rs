//! The checked `robustness:` section: which sensitivity analyses every run
//! adds to its estimate, and the canonical description of them that enters the
//! run keys of the runs they apply to (and only those, so that an experiment
//! without the section keeps its keys).

use serde_json::{Value, json};

pub use crate::estimate::Estimand;
use crate::estimate::Metric;

/// The metrics that score an average effect over every row (or an interval of
/// it): with any of them, the analyses describe the ATE unless told otherwise.
const ATE_METRICS: [Metric; 6] =
    [Metric::Ate, Metric::AteError, Metric::AteErrorIn, Metric::AteErrorOut, Metric::Coverage, Metric::TrueAte];

/// The estimand of an experiment that declares none: the ATT where its metrics
/// score the ATT (`att`, `att_error`) and no ATE (`ATE_METRICS`), so that the
/// analyses describe the number the table shows; else the ATE.
pub fn default_estimand(metrics: &[Metric]) -> Estimand {
    let att = metrics.iter().any(|m| matches!(m, Metric::Att | Metric::AttError));
    if att && !metrics.iter().any(|m| ATE_METRICS.contains(m)) { Estimand::Att } else { Estimand::Ate }
}

/// What the experiment's `robustness:` asks for. The default asks for nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Robustness {
    /// The estimand every analysis describes (bootstrap, refuters, E-values,
    /// OVB bounds; Cinelli-Hazlett's OLS coefficient is the constant effect,
    /// both at once): the declared one, else the ATT where the metrics score
    /// only the ATT (`default_estimand`), else the ATE.
    pub estimand: Estimand,
    /// The E-value (VanderWeele and Ding 2017) of every estimate.
    pub evalue: bool,
    /// Cinelli and Hazlett (2020) sensitivity of the `ols` estimates.
    pub sensitivity: Option<Sensitivity>,
    /// DoWhy's refutation tests of every estimate.
    pub refuters: Option<Refuters>,
    /// Omitted-variable-bias bounds of the estimates with an outcome model (DoubleML's).
    pub ovb: Option<Ovb>,
    /// The entry labels whose refitting analyses (refuters, OVB benchmarks)
    /// run; None: every entry's. Refits of a network cost a training each.
    pub refit: Option<Vec<String>>,
}

/// DoubleML-style omitted-variable-bias bounds (`estimate::robust::ovb`).
#[derive(Debug, Clone, PartialEq)]
pub struct Ovb {
    /// Correlation of the confounding in outcome and Riesz representer (default 1, the worst case).
    pub rho: f64,
    /// Level of the bounds' intervals (default 0.95).
    pub level: f64,
    /// Hypothetical confounders as (cf_y, cf_d).
    pub confounders: Vec<(f64, f64)>,
    /// Groups of observed covariates (names after preprocessing) to benchmark
    /// cf_y, cf_d and rho on (DoubleML's `sensitivity_benchmark`): each refits
    /// the estimator without the group.
    pub benchmarks: Vec<Vec<String>>,
}

impl Ovb {
    /// A benchmark group's name in the table columns: its covariates joined by `+`.
    pub fn group_name(group: &[String]) -> String {
        group.join("+")
    }
}

/// The kinds whose estimate has an outcome model g(t, x) and so the bounds:
/// `aipw` with its own cross-fitted propensity, DragonNet with its propensity
/// head, the other networks with a cross-fitted logistic propensity
/// (`estimate::classical::riesz`).
pub const OVB_KINDS: [&str; 6] = ["aipw", "tarnet", "cfr", "dragonnet", "slearner", "tlearner"];

/// DoWhy's refuters (`run/refute.rs` has their definitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refuter {
    PlaceboPermute,
    PlaceboRandom,
    RandomCommonCause,
    DataSubset,
    BootstrapNoise,
    DummyOutcome,
}

impl Refuter {
    /// Every refuter, in the order the tables show them.
    pub const ALL: [Refuter; 6] = [
        Refuter::PlaceboPermute,
        Refuter::PlaceboRandom,
        Refuter::RandomCommonCause,
        Refuter::DataSubset,
        Refuter::BootstrapNoise,
        Refuter::DummyOutcome,
    ];

    /// The name in `robustness.refuters.tests` and in the table columns.
    pub fn name(self) -> &'static str {
        match self {
            Refuter::PlaceboPermute => "placebo_permute",
            Refuter::PlaceboRandom => "placebo_random",
            Refuter::RandomCommonCause => "random_common_cause",
            Refuter::DataSubset => "data_subset",
            Refuter::BootstrapNoise => "bootstrap_noise",
            Refuter::DummyOutcome => "dummy_outcome",
        }
    }

    pub fn from_name(name: &str) -> Option<Refuter> {
        Refuter::ALL.into_iter().find(|r| r.name() == name)
    }
}

/// What `robustness.refuters` declares.
#[derive(Debug, Clone, PartialEq)]
pub struct Refuters {
    /// Refits per refuter (DoWhy's `num_simulations`, default 100).
    pub simulations: usize,
    /// The refuters run, in `Refuter::ALL` order.
    pub tests: Vec<Refuter>,
    /// Share of the rows the data-subset refuter keeps (DoWhy's default 0.8).
    pub subset_fraction: f64,
    /// The bootstrap refuter's noise: flip probability of a 0/1 covariate, and
    /// the noise sd of any other in units of its sd (DoWhy's default 0.1).
    pub noise: f64,
}

/// Cinelli-Hazlett sensitivity analysis of the constant-effect OLS estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct Sensitivity {
    /// The share of the estimate a confounder must remove (RV_q); 1: all of it.
    pub q: f64,
    /// Significance level of RV_{q,α} and of the adjusted intervals.
    pub alpha: f64,
    /// Observed covariates to benchmark confounders against.
    pub benchmarks: Vec<String>,
    /// (k_d, k_y) pairs: a confounder k_d times as strongly associated with the
    /// treatment and k_y times with the outcome as each benchmark.
    pub multiples: Vec<(f64, f64)>,
    /// Hypothetical confounders as (R²_{D~Z|X}, R²_{Y~Z|D,X}).
    pub confounders: Vec<(f64, f64)>,
}

/// The one kind whose estimate sensemakr's algebra describes: y ~ t + X.
pub const SENSITIVITY_KIND: &str = "ols";

impl Robustness {
    /// Whether the section asks for anything at all.
    pub fn is_empty(&self) -> bool {
        !self.evalue && self.sensitivity.is_none() && self.refuters.is_none() && self.ovb.is_none()
    }

    /// The OVB bounds that apply to runs of `kind`, if any.
    pub fn ovb_for(&self, kind: &str) -> Option<&Ovb> {
        self.ovb.as_ref().filter(|_| OVB_KINDS.contains(&kind))
    }

    /// Whether the refitting analyses run for the entry `label`.
    pub fn refits(&self, label: &str) -> bool {
        self.refit.as_ref().is_none_or(|labels| labels.iter().any(|l| l == label))
    }

    /// The refuters that apply to the entry `label`, if any.
    pub fn refuters_for(&self, label: &str) -> Option<&Refuters> {
        self.refuters.as_ref().filter(|_| self.refits(label))
    }

    /// The OVB benchmark groups that the entry `label` of `kind` refits for.
    pub fn ovb_benchmarks_for(&self, kind: &str, label: &str) -> &[Vec<String>] {
        match self.ovb_for(kind) {
            Some(o) if self.refits(label) => &o.benchmarks,
            _ => &[],
        }
    }

    /// The sensitivity analysis that applies to runs of `kind`, if any.
    pub fn sensitivity_for(&self, kind: &str) -> Option<&Sensitivity> {
        self.sensitivity.as_ref().filter(|_| kind == SENSITIVITY_KIND)
    }

    /// What enters the key of a run of `kind` whose entry asks for `bootstrap`
    /// resamples: None where nothing applies, so that such a run's key is the one
    /// it had before robustness analyses existed.
    pub fn describe_for(&self, kind: &str, label: &str, bootstrap: Option<usize>) -> Option<Value> {
        let sensitivity = self.sensitivity_for(kind);
        let ovb = self.ovb_for(kind);
        let refuters = self.refuters_for(label);
        if !self.evalue && sensitivity.is_none() && bootstrap.is_none() && refuters.is_none() && ovb.is_none() {
            return None;
        }
        let mut out = json!({ "version": crate::estimate::robust::ALGORITHM_VERSION });
        // Only away from the ATE, so that the keys of ATE experiments stay as they were.
        if self.estimand != Estimand::Ate {
            out["estimand"] = json!(self.estimand.name());
        }
        if self.evalue {
            out["evalue"] = json!(true);
        }
        if let Some(r) = refuters {
            out["refuters"] = json!({
                "simulations": r.simulations,
                "tests": r.tests.iter().map(|t| t.name()).collect::<Vec<_>>(),
                "subset_fraction": r.subset_fraction,
                "noise": r.noise,
            });
        }
        if let Some(b) = bootstrap {
            out["bootstrap"] = json!(b);
        }
        if let Some(o) = ovb {
            out["ovb"] = json!({ "rho": o.rho, "level": o.level, "confounders": o.confounders });
            // Only where declared and refitted, so that keys without benchmarks stay as they were.
            let benchmarks = self.ovb_benchmarks_for(kind, label);
            if !benchmarks.is_empty() {
                out["ovb"]["benchmarks"] = json!(benchmarks);
            }
        }
        if let Some(s) = sensitivity {
            out["sensitivity"] = json!({
                "q": s.q,
                "alpha": s.alpha,
                "benchmarks": s.benchmarks,
                "multiples": s.multiples,
                "confounders": s.confounders,
            });
        }
        Some(out)
    }
}

/// The JSON Schema of `robustness:` (for `spec::json_schema`), beside the type it describes.
pub(super) fn schema() -> Value {
    let positives = json!({ "type": "array", "minItems": 1, "items": { "type": "number", "exclusiveMinimum": 0 } });
    let r2 = json!({ "type": "number", "minimum": 0, "exclusiveMaximum": 1 });
    json!({
        "type": "object",
        "additionalProperties": false,
        "description": "sensitivity analyses added to every run they apply to (results in runs.csv and a section of report.md)",
        "properties": {
            "estimand": {
                "type": "string", "enum": Estimand::ALL.iter().map(|e| e.name()).collect::<Vec<_>>(),
                "description": "the average effect every analysis describes (bootstrap, refuters, E-values, OVB bounds): ate over every in-sample row, att over the in-sample treated rows; default att where the metrics score the ATT (att, att_error) and no ATE (ate, ate_error, ate_error_in, ate_error_out, coverage, true_ate), else ate"
            },
            "evalue": {
                "type": "boolean", "default": false,
                "description": "the E-value (VanderWeele and Ding 2017) of every estimate and of its interval limit closer to the null"
            },
            "ovb": {
                "type": "object",
                "additionalProperties": false,
                "description": "omitted-variable-bias bounds of the estimates with an outcome model (aipw and the networks; Chernozhukov et al. 2022, as DoubleML's sensitivity_analysis), with robustness values RV and RVa",
                "properties": {
                    "rho": { "type": "number", "minimum": -1, "maximum": 1, "default": 1, "description": "correlation of the confounding in outcome and Riesz representer" },
                    "level": { "type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.95, "description": "level of the bounds' intervals" },
                    "confounders": {
                        "type": "array", "default": [],
                        "items": {
                            "type": "object", "additionalProperties": false, "required": ["cf_y", "cf_d"],
                            "properties": { "cf_y": r2.clone(), "cf_d": r2.clone() }
                        }
                    },
                    "benchmarks": {
                        "type": "array", "default": [],
                        "description": "observed covariate groups (names after preprocessing) to benchmark cf_y, cf_d and rho on, as DoubleML's sensitivity_benchmark: each refits the estimator without the group",
                        "items": { "anyOf": [
                            { "type": "string" },
                            { "type": "array", "minItems": 1, "items": { "type": "string" } }
                        ] }
                    }
                }
            },
            "refit": {
                "type": "array", "uniqueItems": true, "items": { "type": "string" },
                "description": "the estimator labels whose refitting analyses (refuters, OVB benchmarks) run; default every entry (a network's refit is a training)"
            },
            "refuters": {
                "type": "object",
                "additionalProperties": false,
                "description": "DoWhy's refutation tests of every estimate: each refits the estimator `simulations` times on changed data",
                "properties": {
                    "simulations": { "type": "integer", "minimum": 2, "default": 100, "description": "refits per refuter; from 100 on the p-value is DoWhy's percentile test, below it a z-test" },
                    "tests": { "type": "array", "uniqueItems": true, "items": { "type": "string", "enum": Refuter::ALL.iter().map(|r| r.name()).collect::<Vec<_>>() }, "description": "the refuters to run (default all)" },
                    "subset_fraction": { "type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.8, "description": "share of the rows the data-subset refuter keeps" },
                    "noise": { "type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.1, "description": "the bootstrap refuter's noise on the covariates" }
                }
            },
            "sensitivity": {
                "type": "object",
                "additionalProperties": false,
                "description": "Cinelli and Hazlett (2020) sensitivity of the `ols` estimates (as sensemakr): partial R², RV_q, RV_q,α, adjusted estimates and benchmark bounds",
                "properties": {
                    "q": { "type": "number", "exclusiveMinimum": 0, "default": 1, "description": "share of the estimate a confounder must remove" },
                    "alpha": { "type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.05, "description": "significance level of RV_q,α and of the adjusted intervals" },
                    "benchmarks": { "type": "array", "items": { "type": "string" }, "default": [], "description": "observed covariates (after preprocessing) to bound confounders by" },
                    "kd": { "description": "multiples of each benchmark's association with the treatment (default [1])", "anyOf": [positives, { "type": "null" }] },
                    "ky": { "description": "multiples of its association with the outcome, one per kd (default: kd)", "anyOf": [positives, { "type": "null" }] },
                    "confounders": {
                        "type": "array", "default": [],
                        "description": "hypothetical confounders by their partial R² with treatment and outcome",
                        "items": {
                            "type": "object", "additionalProperties": false, "required": ["r2dz_x", "r2yz_dx"],
                            "properties": { "r2dz_x": r2, "r2yz_dx": r2 }
                        }
                    }
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_declared_analyses_enter_a_key() {
        assert_eq!(Robustness::default().describe_for("ols", "ols", None), None);
        assert!(Robustness::default().describe_for("ols", "ols", Some(100)).is_some());
        let sens =
            Sensitivity { q: 1.0, alpha: 0.05, benchmarks: vec![], multiples: vec![(1.0, 1.0)], confounders: vec![] };
        let r = Robustness { sensitivity: Some(sens), ..Robustness::default() };
        assert_eq!(r.describe_for("aipw", "aipw", None), None);
        assert!(r.describe_for("ols", "ols", None).is_some());
        let e = Robustness { evalue: true, ..Robustness::default() };
        assert!(e.describe_for("aipw", "aipw", None).is_some());
    }

    #[test]
    fn refit_limits_refuters_and_benchmarks_to_its_entries() {
        let refuters = Refuters { simulations: 10, tests: Refuter::ALL.to_vec(), subset_fraction: 0.8, noise: 0.1 };
        let ovb = Ovb { rho: 1.0, level: 0.95, confounders: vec![], benchmarks: vec![vec!["age".into()]] };
        let r = Robustness {
            refuters: Some(refuters),
            ovb: Some(ovb),
            refit: Some(vec!["aipw".into()]),
            ..Robustness::default()
        };
        // A network keeps its bounds but neither refuters nor benchmarks.
        let tarnet = r.describe_for("tarnet", "tarnet", None).unwrap();
        assert!(tarnet.get("refuters").is_none() && tarnet["ovb"].get("benchmarks").is_none());
        assert!(tarnet["ovb"].is_object());
        let aipw = r.describe_for("aipw", "aipw", None).unwrap();
        assert!(aipw["refuters"].is_object() && aipw["ovb"]["benchmarks"] == json!([["age"]]));
        // A kind without an outcome model gets no bounds; `ols` is refitted only if listed.
        assert_eq!(r.describe_for("ols", "ols", None), None);
        assert_eq!(r.ovb_benchmarks_for("ols", "aipw"), &[] as &[Vec<String>]);
    }

    #[test]
    fn the_estimand_enters_a_key_only_away_from_the_ate() {
        let ate = Robustness { evalue: true, ..Robustness::default() };
        let att = Robustness { estimand: Estimand::Att, ..ate.clone() };
        assert_eq!(ate.describe_for("ols", "ols", None).unwrap().get("estimand"), None);
        assert_eq!(att.describe_for("ols", "ols", None).unwrap()["estimand"], json!("att"));
        // Nothing declared: nothing enters the key, whatever the estimand.
        let bare = Robustness { estimand: Estimand::Att, ..Robustness::default() };
        assert_eq!(bare.describe_for("ols", "ols", None), None);
        assert_eq!(bare.describe_for("ols", "ols", Some(50)).unwrap()["estimand"], json!("att"));
    }

    #[test]
    fn the_att_is_the_default_only_where_the_metrics_score_the_att_alone() {
        use Metric::*;
        assert_eq!(default_estimand(&[Att, AttError]), Estimand::Att);
        assert_eq!(default_estimand(&[AttError, PolicyRisk]), Estimand::Att);
        assert_eq!(default_estimand(&[Ate, AteError, AttError, Coverage]), Estimand::Ate);
        assert_eq!(default_estimand(&[AttError, Coverage]), Estimand::Ate);
        assert_eq!(default_estimand(&[Ate, PeheIn]), Estimand::Ate);
        assert_eq!(default_estimand(&[PeheIn]), Estimand::Ate);
    }

    #[test]
    fn every_network_kind_has_bounds() {
        for kind in crate::estimate::registry::KINDS.iter().filter(|k| k.uses_libtorch) {
            assert!(OVB_KINDS.contains(&kind.name), "{} predicts mu0/mu1 and so has bounds", kind.name);
        }
        for name in OVB_KINDS {
            assert!(crate::estimate::registry::KINDS.iter().any(|k| k.name == name), "{name} is a kind");
        }
    }
}
