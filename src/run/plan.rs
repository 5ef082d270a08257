//! Expansion of an experiment into runs: data-sweep points × replications ×
//! estimators × estimator-sweep points, each with a readable label, a key and a seed.

use std::collections::BTreeMap;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::RunError;
use super::key::canonical;
use crate::estimate::{self, Params};
use crate::graph::AdjustStrategy;
use crate::hash::hex;
use crate::numerics::NumericIdentity;
pub use crate::spec::run_count;
use crate::spec::{EstimatorDecl, Experiment};
use crate::sweep::point_at;
pub use crate::sweep::{cartesian, sweep_points, sweep_size};

mod describe;
pub(super) use describe::DataKeys;
use describe::{HOLE, Template, key_description};
#[cfg(test)]
use describe::{data_description, draw_description};

/// One run: a dataset replication at one sweep point, and one estimator configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub label: String,
    /// The estimator entry's label and kind.
    pub estimator: String,
    pub kind: String,
    /// Resolved hyperparameters, defaults spelled out.
    pub hyper: Params,
    /// The swept hyperparameters of this configuration (a subset of `hyper`).
    pub hyper_point: Vec<(String, Value)>,
    /// The data-sweep assignment of this run (swept parameters only).
    pub point: Vec<(String, f64)>,
    /// Every parameter's value at this point (defaults overridden by the sweep).
    pub params: BTreeMap<String, f64>,
    pub replication: u32,
    /// The covariate choice of this configuration (the experiment's `adjust` unless
    /// the entry sets or sweeps its own); meaningful for adjustment estimators only.
    pub adjust: AdjustStrategy,
    /// Identifies the prepared dataset: the draw, the graph and the preprocessing.
    pub data_key: String,
    /// From the draw alone (`draw_description`): every analysis of the same
    /// replication sees the same data, split and noise.
    pub seed: u64,
    pub key: String,
}

/// Facts outside the experiment file that enter the keys.
#[derive(Debug, Clone)]
pub struct PlanContext {
    /// sha256 of each data file the dataset reads (name, hex), computed by the caller.
    pub data_files: Vec<(String, String)>,
    pub libtorch: String,
    /// The numeric mode in force; enters the keys of runs that use libtorch.
    pub numerics: NumericIdentity,
}

/// Expand `exp` into runs, in a fixed order: sweep point, replication, estimator,
/// estimator-sweep point. Fails if an estimator's hyperparameters do not resolve.
/// This holds every run at once; `Plan` yields them one at a time instead.
pub fn plan(exp: &Experiment, ctx: &PlanContext) -> Result<Vec<Run>, RunError> {
    Ok(Plan::new(exp, ctx)?.runs().collect())
}

/// The runs of an experiment, computed on demand rather than held: run `i` is
/// (sweep point, replication, configuration) by mixed-radix arithmetic on `i`
/// (configuration fastest), so a plan of ten million runs costs the memory of
/// its estimator configurations, and a shard expands only its own runs.
#[derive(Debug, Clone)]
pub struct Plan {
    exp: Experiment,
    ctx: PlanContext,
    configs: Vec<Config>,
    /// The canonical key description of each configuration, split around its data key.
    key_texts: Vec<Option<Template>>,
    len: usize,
}

impl Plan {
    /// Resolve the estimator configurations; fails if one does not resolve or if
    /// the number of runs does not fit in a `usize`.
    pub fn new(exp: &Experiment, ctx: &PlanContext) -> Result<Plan, RunError> {
        let too_many = || RunError::TooManyRuns { experiment: exp.name.clone() };
        let points = sweep_size(&exp.sweep).ok_or_else(too_many)?;
        // Count before expanding the estimator sweeps, so an absurd one is not built.
        let config_count =
            exp.estimators.iter().try_fold(0usize, |n, d| n.checked_add(d.configurations()?)).ok_or_else(too_many)?;
        let len = points
            .checked_mul(exp.replications as usize)
            .and_then(|n| n.checked_mul(config_count))
            .ok_or_else(too_many)?;
        let configs = estimator_configs(exp)?;
        let key_texts = configs.iter().map(|c| Template::new(&key_description(c, HOLE, ctx), HOLE)).collect();
        Ok(Plan { exp: exp.clone(), ctx: ctx.clone(), configs, key_texts, len })
    }

    /// The number of runs.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn experiment(&self) -> &Experiment {
        &self.exp
    }

    /// Every run, in plan order.
    pub fn runs(&self) -> impl Iterator<Item = Run> + '_ {
        let mut data = DataKeys::new(self);
        (0..self.len).map(move |i| self.run_with(i, &mut data))
    }

    /// The runs at `indices` (ascending), in that order.
    pub fn runs_at<'a>(&'a self, indices: &'a [usize]) -> impl Iterator<Item = Run> + 'a {
        let mut data = DataKeys::new(self);
        indices.iter().map(move |&i| self.run_with(i, &mut data))
    }

    /// Run `index` (< `len()`).
    pub fn run(&self, index: usize) -> Run {
        self.run_with(index, &mut DataKeys::new(self))
    }

    /// Configurations per dataset (sweep point × replication): the runs of
    /// dataset `d` are `d * configs() .. (d + 1) * configs()`.
    pub(super) fn configs(&self) -> usize {
        self.configs.len()
    }

    pub(super) fn config_kind(&self, config: usize) -> &str {
        &self.configs[config].kind
    }

    /// The sha256 of the key description of `config` on the dataset `data_key`:
    /// the bytes whose hex is the run's key.
    pub(super) fn key_digest(&self, config: usize, data_key: &str) -> [u8; 32] {
        match &self.key_texts[config] {
            Some(t) => t.digest(data_key.as_bytes()),
            None => Sha256::digest(canonical(&key_description(&self.configs[config], data_key, &self.ctx)).as_bytes())
                .into(),
        }
    }

    fn run_with(&self, index: usize, data: &mut DataKeys<'_>) -> Run {
        let configs = self.configs.len();
        let (dataset, config) = (index / configs, &self.configs[index % configs]);
        let (point_index, replication) =
            (dataset / self.exp.replications as usize, (dataset % self.exp.replications as usize) as u32);
        let (data_key, seed) = data.key(dataset);
        let data_key = data_key.to_string();
        let point = self.point(point_index);
        let mut params = self.exp.params.clone();
        params.extend(point.iter().cloned());
        Run {
            label: run_label(&point, replication, config),
            estimator: config.label.clone(),
            kind: config.kind.clone(),
            hyper: config.hyper.clone(),
            hyper_point: config.hyper_point.clone(),
            point,
            params,
            replication,
            adjust: config.adjust.clone(),
            seed,
            key: hex(&self.key_digest(index % configs, &data_key)),
            data_key,
        }
    }

    /// Sweep point `index`: mixed radix over the sweep, the first name slowest
    /// (the order of `cartesian`).
    fn point(&self, index: usize) -> Vec<(String, f64)> {
        point_at(&self.exp.sweep, index)
    }

    fn params_at(&self, point_index: usize) -> BTreeMap<String, f64> {
        let mut params = self.exp.params.clone();
        params.extend(self.point(point_index));
        params
    }
}

/// One estimator configuration: an entry at one point of its own sweep.
#[derive(Debug, Clone)]
struct Config {
    label: String,
    kind: String,
    hyper: Params,
    /// The swept values of this configuration, `adjust` first when it is swept.
    hyper_point: Vec<(String, Value)>,
    adjust: AdjustStrategy,
    /// A panel kind (`estimate::panel::registry`) rather than a static one.
    panel: bool,
    /// The robustness analyses this configuration's runs add, as they enter its key.
    robustness: Option<Value>,
    /// The validation record its runs store for `selection:`, as it enters its key.
    selection: Option<Value>,
}

fn estimator_configs(exp: &Experiment) -> Result<Vec<Config>, RunError> {
    let mut out = Vec::new();
    for decl in &exp.estimators {
        let swept = !decl.adjust_sweep.is_empty();
        for adjust in decl.adjustments(&exp.adjust) {
            for hyper_point in cartesian(&decl.sweep) {
                let mut config = resolve_config(decl, hyper_point, adjust, swept, exp.dataset.is_panel())?;
                config.robustness = exp.robustness.describe_for(&decl.kind, &decl.label, decl.bootstrap);
                config.selection = exp.selection.as_ref().map(|_| crate::spec::Selection::describe());
                out.push(config);
            }
        }
    }
    Ok(out)
}

fn resolve_config(
    decl: &EstimatorDecl,
    hyper_point: Vec<(String, Value)>,
    adjust: &AdjustStrategy,
    swept: bool,
    panel: bool,
) -> Result<Config, RunError> {
    let mut params = decl.params.clone();
    params.extend(hyper_point.iter().cloned());
    // A panel's kinds come from their own registry (`check` refused a kind of the other).
    let hyper = if panel {
        estimate::panel::registry::resolve(&decl.kind, &params)
    } else {
        estimate::resolve(&decl.kind, &params)
    }
    .map_err(|e| RunError::Estimator { label: decl.label.clone(), source: e })?;
    let hyper_point = if swept {
        std::iter::once(("adjust".to_string(), adjust.describe())).chain(hyper_point).collect()
    } else {
        hyper_point
    };
    Ok(Config {
        label: decl.label.clone(),
        kind: decl.kind.clone(),
        hyper,
        hyper_point,
        adjust: adjust.clone(),
        panel,
        robustness: None,
        selection: None,
    })
}

fn run_label(point: &[(String, f64)], replication: u32, config: &Config) -> String {
    let mut parts: Vec<String> = point.iter().map(|(k, v)| format!("{k}={v}")).collect();
    parts.push(format!("r{replication}"));
    let hyper: Vec<String> =
        config.hyper_point.iter().map(|(k, v)| format!("{k}={}", crate::sweep::value_text(v))).collect();
    if hyper.is_empty() {
        parts.push(config.label.clone());
    } else {
        parts.push(format!("{}[{}]", config.label, hyper.join(",")));
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::key::{digest, seed_of};
    use serde_json::json;

    fn experiment(path: &str) -> Experiment {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        // A committed experiment file: loading it is an invariant of the repository.
        let loaded = crate::spec::load(&root.join(path)).unwrap();
        crate::spec::validate(&loaded).unwrap()
    }

    fn keys_of(exp: &Experiment) -> Vec<String> {
        let ctx = PlanContext {
            data_files: vec![],
            libtorch: crate::estimate::libtorch_version(),
            numerics: NumericIdentity::portable(),
        };
        plan(exp, &ctx).unwrap().into_iter().map(|r| r.key).collect()
    }

    /// Keys of an experiment without `preprocess.squares` are those `causeway plan`
    /// printed before the option existed, so no committed result or cache entry
    /// goes stale when an option is added to the description. Pinned again at
    /// schema 2 (the seed from the draw alone, issue 17), which changed every key.
    #[test]
    fn keys_without_new_options_are_unchanged() {
        let keys = keys_of(&experiment("experiments/basics/linear-confounder.yaml"));
        assert_eq!(keys[0], "c2bc32ff3b6fe95b18fcae315fdfe5a7bb7a4e947c2bc18e535268f2261eb590");
        assert_eq!(keys[keys.len() - 2], "39efba4cf409a123ac2a09743017c52406a3c3f17f2dabc54af11a10e7f25696");
    }

    /// The shipped credit-limit pair differs only in `adjust`: its runs draw the
    /// same data, `naive` is the same run in both (one key), and OLS is not.
    #[test]
    fn the_credit_limit_pair_is_paired() {
        let a = plan(&experiment("experiments/finance/credit-limit-backdoor.yaml"), &context()).unwrap();
        let b = plan(&experiment("experiments/finance/credit-limit-mbias.yaml"), &context()).unwrap();
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!((&x.label, x.seed), (&y.label, y.seed));
            assert_eq!(x.key == y.key, x.kind == "naive", "{}", x.label);
        }
    }

    /// A panel run's key follows the simulator's γ (through the data key) and
    /// the kind's resolved hyperparameters; both kinds of a replication share
    /// its data key and seed.
    #[test]
    fn panel_keys_change_with_gamma_and_with_hyperparameters() {
        let exp = experiment("tests/experiments/panel.yaml");
        let runs = plan(&exp, &context()).unwrap();
        // gamma × replication × (msm at two truncations, msm_unweighted).
        assert_eq!(runs.len(), 2 * 2 * 3);
        let at = |g: f64, r: u32, label: &str| {
            runs.iter()
                .find(|x| x.point == [("gamma".to_string(), g)] && x.replication == r && x.label.ends_with(label))
                .unwrap()
        };
        let (a, b) = (at(0.0, 0, "msm[truncation=0.01]"), at(3.0, 0, "msm[truncation=0.01]"));
        assert_ne!(a.data_key, b.data_key);
        assert_ne!((a.seed, &a.key), (b.seed, &b.key));
        let c = at(0.0, 0, "msm[truncation=0.1]");
        assert_eq!((&a.data_key, a.seed), (&c.data_key, c.seed));
        assert_ne!(a.key, c.key);
        let u = at(0.0, 0, "/msm_unweighted");
        assert_eq!((&a.data_key, a.seed), (&u.data_key, u.seed));
        assert_eq!(u.hyper["max_tau"], json!(6));
        // Another patient count changes every key; the same experiment gives the same keys.
        let mut moved = exp.clone();
        if let crate::spec::Dataset::Panel(p) = &mut moved.dataset {
            p.test += 1;
        }
        let keys = |e: &Experiment| plan(e, &context()).unwrap().into_iter().map(|r| r.key).collect::<Vec<_>>();
        assert!(keys(&exp).iter().zip(keys(&moved)).all(|(x, y)| *x != y));
        assert_eq!(keys(&exp), keys(&exp.clone()));
    }

    #[test]
    fn squares_enter_every_key() {
        let plain = experiment("experiments/basics/linear-confounder.yaml");
        let mut squared = plain.clone();
        squared.preprocess.squares = vec!["x".into()];
        let (a, b) = (keys_of(&plain), keys_of(&squared));
        assert_eq!(a.len(), b.len());
        assert!(a.iter().zip(&b).all(|(a, b)| a != b));
    }

    fn context() -> PlanContext {
        PlanContext {
            data_files: vec![("data.csv".into(), "ab".repeat(32))],
            libtorch: "2.11.0".into(),
            numerics: NumericIdentity::portable(),
        }
    }

    /// The expansion as it was before `Plan`: every run built and every
    /// description written whole. `Plan` must give exactly these runs.
    fn reference(exp: &Experiment, ctx: &PlanContext) -> Vec<Run> {
        let configs = estimator_configs(exp).unwrap();
        let mut runs = Vec::new();
        for point in cartesian(&exp.sweep) {
            let mut params = exp.params.clone();
            params.extend(point.iter().cloned());
            for replication in 0..exp.replications {
                let data_key = digest(&data_description(exp, &params, json!(replication), ctx));
                let seed = seed_of(&digest(&draw_description(exp, &params, json!(replication), ctx)));
                for config in &configs {
                    runs.push(Run {
                        label: run_label(&point, replication, config),
                        estimator: config.label.clone(),
                        kind: config.kind.clone(),
                        hyper: config.hyper.clone(),
                        hyper_point: config.hyper_point.clone(),
                        point: point.clone(),
                        params: params.clone(),
                        replication,
                        adjust: config.adjust.clone(),
                        data_key: data_key.clone(),
                        seed,
                        key: digest(&key_description(config, &data_key, ctx)),
                    });
                }
            }
        }
        runs
    }

    fn committed_experiments() -> Vec<Experiment> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dirs = ["experiments", "reproduce", "tests/experiments"].map(|d| root.join(d)).to_vec();
        let files = crate::app::discover(&dirs).unwrap();
        assert!(files.len() > 10, "{} files", files.len());
        files.iter().map(|f| crate::spec::validate(&crate::spec::load(f).unwrap()).unwrap()).collect()
    }

    #[test]
    fn the_plan_of_every_committed_experiment_is_the_whole_expansion() {
        for exp in committed_experiments() {
            let plan = Plan::new(&exp, &context()).unwrap();
            let runs: Vec<Run> = plan.runs().collect();
            assert_eq!(runs, reference(&exp, &context()), "{}", exp.name);
            assert_eq!((plan.len(), run_count(&exp)), (runs.len(), Some(runs.len())), "{}", exp.name);
        }
    }

    #[test]
    fn any_run_can_be_had_by_its_index() {
        let mut exp = experiment("tests/experiments/small.yaml");
        exp.sweep.push(("n".into(), vec![100.0, 200.0, 300.0]));
        let plan = Plan::new(&exp, &context()).unwrap();
        let all: Vec<Run> = plan.runs().collect();
        assert_eq!(all.len(), 2 * 3 * 3 * 5);
        for i in [0, 1, 7, 44, all.len() - 1] {
            assert_eq!(plan.run(i), all[i], "run {i}");
        }
        let picked = [3, 4, 5, 31, 60, 89];
        let at: Vec<Run> = plan.runs_at(&picked).collect();
        assert_eq!(at, picked.map(|i| all[i].clone()));
    }

    /// A description in which a user's text contains the hole is written whole:
    /// the key is still the hash of the true description.
    #[test]
    fn a_user_string_that_looks_like_the_hole_changes_nothing() {
        let exp = experiment("tests/experiments/small.yaml");
        let ctx = PlanContext {
            data_files: vec![(HOLE.into(), "ab".repeat(32))],
            libtorch: format!("{HOLE}-{HOLE}"),
            ..context()
        };
        let plan = Plan::new(&exp, &ctx).unwrap();
        assert!(plan.key_texts.iter().all(Option::is_none));
        let mut data = DataKeys::new(&plan);
        data.key(0);
        assert!(data.point.as_ref().is_some_and(|(_, _, text, draw)| text.is_none() && draw.is_none()));
        assert_eq!(plan.runs().collect::<Vec<_>>(), reference(&exp, &ctx));
    }

    #[test]
    fn sweep_points_come_in_the_order_of_the_cartesian_product() {
        let sweep: Vec<(String, Vec<f64>)> =
            vec![("a".into(), vec![1.0, 2.0]), ("b".into(), vec![3.0, 4.0, 5.0]), ("c".into(), vec![6.0])];
        assert_eq!(sweep_points(&sweep).collect::<Vec<_>>(), cartesian(&sweep));
        assert_eq!(sweep_points::<f64>(&[]).collect::<Vec<_>>(), cartesian::<f64>(&[]));
    }

    #[test]
    fn run_counts_are_computed_without_overflow() {
        let mut exp = experiment("tests/experiments/small.yaml");
        assert_eq!(run_count(&exp), Some(30));
        exp.sweep = (0..10).map(|i| (format!("p{i}"), vec![0.0; 1000])).collect();
        assert_eq!(run_count(&exp), None);
        assert!(matches!(Plan::new(&exp, &context()), Err(RunError::TooManyRuns { .. })));
    }
}
