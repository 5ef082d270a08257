//! Expansion of an experiment into runs: data-sweep points × replications ×
//! estimators × estimator-sweep points, each with a readable label, a key and a seed.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::RunError;
use super::key::{SCHEMA_VERSION, canonical, digest, seed_of};
use crate::estimate::Role;
use crate::estimate::{self, Params};
use crate::graph::AdjustStrategy;
use crate::hash::hex;
use crate::numerics::NumericIdentity;
pub use crate::spec::run_count;
use crate::spec::{Dataset, EstimatorDecl, Experiment, MissingDecl};
use crate::sweep::point_at;
pub use crate::sweep::{cartesian, sweep_points, sweep_size};

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

/// A sweep point's index, parameters, and data and draw description templates.
type PointTemplates = (usize, BTreeMap<String, f64>, Option<Template>, Option<Template>);

/// The data keys and seeds of a plan's datasets, remembering the descriptions
/// of the last sweep point (consecutive datasets share it) and the last key.
pub(super) struct DataKeys<'a> {
    plan: &'a Plan,
    /// The sweep point, its parameters, and its data and draw descriptions split around the replication.
    point: Option<PointTemplates>,
    last: Option<(usize, String, u64)>,
}

impl<'a> DataKeys<'a> {
    pub(super) fn new(plan: &'a Plan) -> DataKeys<'a> {
        DataKeys { plan, point: None, last: None }
    }

    /// The data key (hex) and the seed of dataset `dataset`.
    pub(super) fn key(&mut self, dataset: usize) -> (&str, u64) {
        if self.last.as_ref().is_none_or(|(d, _, _)| *d != dataset) {
            let (key, seed) = self.compute(dataset);
            self.last = Some((dataset, key, seed));
        }
        self.last.as_ref().map_or(("", 0), |(_, k, s)| (k.as_str(), *s))
    }

    fn compute(&mut self, dataset: usize) -> (String, u64) {
        let plan = self.plan;
        let replications = plan.exp.replications as usize;
        let (point_index, replication) = (dataset / replications, (dataset % replications) as u32);
        if self.point.as_ref().is_none_or(|(p, ..)| *p != point_index) {
            let params = plan.params_at(point_index);
            let hole = format!("\"{HOLE}\"");
            let data = Template::new(&data_description(&plan.exp, &params, json!(HOLE), &plan.ctx), &hole);
            let draw = Template::new(&draw_description(&plan.exp, &params, json!(HOLE), &plan.ctx), &hole);
            self.point = Some((point_index, params, data, draw));
        }
        let Some((_, params, data, draw)) = &self.point else { unreachable!("set above") };
        let r = replication.to_string();
        let key = match data {
            Some(t) => hex(&t.digest(r.as_bytes())),
            None => digest(&data_description(&plan.exp, params, json!(replication), &plan.ctx)),
        };
        let draw = match draw {
            Some(t) => hex(&t.digest(r.as_bytes())),
            None => digest(&draw_description(&plan.exp, params, json!(replication), &plan.ctx)),
        };
        (key, seed_of(&draw))
    }
}

/// Stands for the one varying part of a description while it is written.
const HOLE: &str = "causeway:template-hole";

/// The canonical text of a description with a hole, cut around the hole, so
/// that the description of each run is hashed without being built again.
#[derive(Debug, Clone)]
struct Template {
    before: String,
    after: String,
}

impl Template {
    /// None unless `needle` occurs exactly once in the canonical text (a user
    /// string could contain it); the caller then writes each description whole.
    fn new(value: &Value, needle: &str) -> Option<Template> {
        let text = canonical(value);
        let mut found = text.match_indices(needle);
        let (at, _) = found.next()?;
        if found.next().is_some() {
            return None;
        }
        Some(Template { before: text[..at].to_string(), after: text[at + needle.len()..].to_string() })
    }

    /// sha256 of the text with `middle` in the hole.
    fn digest(&self, middle: &[u8]) -> [u8; 32] {
        Sha256::new()
            .chain_update(self.before.as_bytes())
            .chain_update(middle)
            .chain_update(self.after.as_bytes())
            .finalize()
            .into()
    }
}

/// Everything that determines a run's key: its dataset and its configuration.
fn key_description(config: &Config, data_key: &str, ctx: &PlanContext) -> Value {
    let mut described = json!({
        "schema": SCHEMA_VERSION,
        "data": data_key,
        "estimator": { "kind": config.kind, "params": config.hyper },
        "estimator_version": estimate::algorithm_version(&config.kind),
        "libtorch": ctx.libtorch,
    });
    // Only an adjustment estimator's numbers depend on the adjustment, so the runs
    // of `naive` and the front-door estimator are shared by every `adjust`.
    if estimate::role(&config.kind) == Role::Backdoor {
        described["adjust"] = config.adjust.describe();
    }
    // Only runs whose arithmetic libtorch does carry the numeric mode, so
    // classical runs are shared between modes (their bits do not depend on it).
    if estimate::uses_libtorch(&config.kind) {
        described["numerics"] = json!(ctx.numerics);
    }
    described
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
}

fn estimator_configs(exp: &Experiment) -> Result<Vec<Config>, RunError> {
    let mut out = Vec::new();
    for decl in &exp.estimators {
        let swept = !decl.adjust_sweep.is_empty();
        for adjust in decl.adjustments(&exp.adjust) {
            for hyper_point in cartesian(&decl.sweep) {
                out.push(resolve_config(decl, hyper_point, adjust, swept)?);
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
) -> Result<Config, RunError> {
    let mut params = decl.params.clone();
    params.extend(hyper_point.iter().cloned());
    let hyper = estimate::resolve(&decl.kind, &params)
        .map_err(|e| RunError::Estimator { label: decl.label.clone(), source: e })?;
    let hyper_point = if swept {
        std::iter::once(("adjust".to_string(), adjust.describe())).chain(hyper_point).collect()
    } else {
        hyper_point
    };
    Ok(Config { label: decl.label.clone(), kind: decl.kind.clone(), hyper, hyper_point, adjust: adjust.clone() })
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

/// What generates a replication's rows, split and noise, and nothing else: the
/// seed is drawn from this, so two analyses of the same data (another graph,
/// adjustment, preprocessing or estimator) see the same draws and are paired.
fn draw_description(exp: &Experiment, params: &BTreeMap<String, f64>, replication: Value, ctx: &PlanContext) -> Value {
    json!({
        "schema": SCHEMA_VERSION,
        "seed": exp.seed,
        "replication": replication,
        "dataset": dataset_description(&exp.dataset, params),
        "files": ctx.data_files,
        "split": { "test": exp.split.test, "validation": exp.split.validation },
        "versions": { "scm": crate::scm::ALGORITHM_VERSION, "data": crate::data::ALGORITHM_VERSION },
    })
}

/// Everything that determines a replication's prepared dataset: its draw, the
/// graph that selects covariates and the preprocessing (`replication` is its
/// number, or the hole of a template). The adjustment is a configuration's.
fn data_description(exp: &Experiment, params: &BTreeMap<String, f64>, replication: Value, ctx: &PlanContext) -> Value {
    let mut preprocess = json!({
        "impute": exp.preprocess.impute.name(),
        "indicators": exp.preprocess.indicators,
        "standardize": exp.preprocess.standardize,
        "one_hot": exp.preprocess.one_hot,
    });
    // Options added after results were committed enter only when used, so that the
    // keys of every experiment that does not use them stay what they were.
    if !exp.preprocess.squares.is_empty() {
        preprocess["squares"] = json!(exp.preprocess.squares);
    }
    json!({
        "draw": draw_description(exp, params, replication, ctx),
        "graph": exp.graph.as_ref().map(|g| json!({ "edges": g.edges, "latent": g.latent })),
        "preprocess": preprocess,
    })
}

fn dataset_description(dataset: &Dataset, params: &BTreeMap<String, f64>) -> Value {
    match dataset {
        Dataset::Simulate(s) => json!({
            "simulate": {
                "n": s.n.resolve(params),
                "equations": s.equations,
                "params": params,
                "treatment": s.treatment,
                "outcome": s.outcome,
                "missing": match &s.missing {
                    MissingDecl::None => Value::Null,
                    MissingDecl::Mcar { rate } => json!({ "mcar": rate.resolve(params) }),
                    MissingDecl::Mar { driver, rate } => json!({ "mar": { "driver": driver, "rate": rate.resolve(params) } }),
                },
            }
        }),
        Dataset::Builtin { name, surface, instance } => {
            json!({ "builtin": { "name": name, "surface": surface, "instance": instance } })
        }
        // The file's bytes enter through `files`; its path does not, so moving a file recomputes nothing.
        Dataset::File { treatment, outcome, covariates, .. } => {
            json!({ "file": { "treatment": treatment, "outcome": outcome, "covariates": covariates } })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
