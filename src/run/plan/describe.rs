//! What a run's key and seed are hashed from: the canonical descriptions of its
//! draw (seed, replication, dataset, split: the seed comes from this alone), its
//! prepared data (the draw, the graph, the preprocessing) and its configuration,
//! and the templates that hash a sweep point's descriptions for every
//! replication without writing them again.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{Config, Plan, PlanContext};
use crate::estimate::{self, Role};
use crate::hash::hex;
use crate::run::key::{SCHEMA_VERSION, canonical, digest, seed_of};
use crate::spec::{Dataset, Experiment, MissingDecl};

/// A sweep point's index, parameters, and data and draw description templates.
type PointTemplates = (usize, BTreeMap<String, f64>, Option<Template>, Option<Template>);

/// The data keys and seeds of a plan's datasets, remembering the descriptions
/// of the last sweep point (consecutive datasets share it) and the last key.
pub(crate) struct DataKeys<'a> {
    plan: &'a Plan,
    /// The sweep point, its parameters, and its data and draw descriptions split around the replication.
    pub(super) point: Option<PointTemplates>,
    last: Option<(usize, String, u64)>,
}

impl<'a> DataKeys<'a> {
    pub(crate) fn new(plan: &'a Plan) -> DataKeys<'a> {
        DataKeys { plan, point: None, last: None }
    }

    /// The data key (hex) and the seed of dataset `dataset`.
    pub(crate) fn key(&mut self, dataset: usize) -> (&str, u64) {
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
pub(super) const HOLE: &str = "causeway:template-hole";

/// The canonical text of a description with a hole, cut around the hole, so
/// that the description of each run is hashed without being built again.
#[derive(Debug, Clone)]
pub(super) struct Template {
    before: String,
    after: String,
}

impl Template {
    /// None unless `needle` occurs exactly once in the canonical text (a user
    /// string could contain it); the caller then writes each description whole.
    pub(super) fn new(value: &Value, needle: &str) -> Option<Template> {
        let text = canonical(value);
        let mut found = text.match_indices(needle);
        let (at, _) = found.next()?;
        if found.next().is_some() {
            return None;
        }
        Some(Template { before: text[..at].to_string(), after: text[at + needle.len()..].to_string() })
    }

    /// sha256 of the text with `middle` in the hole.
    pub(super) fn digest(&self, middle: &[u8]) -> [u8; 32] {
        Sha256::new()
            .chain_update(self.before.as_bytes())
            .chain_update(middle)
            .chain_update(self.after.as_bytes())
            .finalize()
            .into()
    }
}

/// Everything that determines a run's key: its dataset and its configuration.
pub(super) fn key_description(config: &Config, data_key: &str, ctx: &PlanContext) -> Value {
    if config.panel {
        return panel_key_description(config, data_key, ctx);
    }
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
    // Only runs that declare a robustness analysis carry it, so that every other
    // run keeps the key it had before `robustness:` existed.
    if let Some(r) = &config.robustness {
        described["robustness"] = r.clone();
    }
    // Likewise the validation record of `selection:` (its criteria are not in it:
    // they are computed from the stored record afterwards).
    if let Some(s) = &config.selection {
        described["selection"] = s.clone();
    }
    described
}

/// A panel kind's run: its name, version and resolved hyperparameters on the
/// replication's data key (the simulator's configuration and the seed); the
/// numeric mode only where libtorch computes. No adjustment, robustness or
/// selection applies to a panel.
fn panel_key_description(config: &Config, data_key: &str, ctx: &PlanContext) -> Value {
    let kind = crate::estimate::panel::registry::lookup(&config.kind).ok();
    let mut described = json!({
        "schema": SCHEMA_VERSION,
        "data": data_key,
        "panel_estimator": { "kind": config.kind, "params": config.hyper },
        "estimator_version": kind.map_or(0, |k| k.version),
        "libtorch": ctx.libtorch,
    });
    if kind.is_some_and(|k| k.uses_libtorch) {
        described["numerics"] = json!(ctx.numerics);
    }
    described
}

/// What generates a replication's rows, split and noise, and nothing else: the
/// seed is drawn from this, so two analyses of the same data (another graph,
/// adjustment, preprocessing or estimator) see the same draws and are paired.
pub(super) fn draw_description(
    exp: &Experiment,
    params: &BTreeMap<String, f64>,
    replication: Value,
    ctx: &PlanContext,
) -> Value {
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
pub(super) fn data_description(
    exp: &Experiment,
    params: &BTreeMap<String, f64>,
    replication: Value,
    ctx: &PlanContext,
) -> Value {
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
        Dataset::Builtin { name, surface, instance, confounding } => {
            let mut builtin = json!({ "name": name, "surface": surface, "instance": instance });
            // Only where given, so that the keys of the other builtins stay what they were.
            if let Some(q) = confounding {
                builtin["confounding"] = json!(q.resolve(params));
            }
            json!({ "builtin": builtin })
        }
        // The file's bytes enter through `files`; its path does not, so moving a file recomputes nothing.
        Dataset::File { layout, sequences, .. } => {
            let mut file =
                json!({ "treatment": layout.treatment, "outcome": layout.outcome, "covariates": layout.covariates });
            // Keys added with these options enter only when used, so that the keys
            // of files without them stay what they were.
            if let Some(names) = &layout.names {
                file["columns"] = json!(names);
            }
            if !layout.truth.is_none() {
                file["truth"] = json!(layout.truth.roles().into_iter().collect::<BTreeMap<_, _>>());
            }
            if let Some(unit) = &layout.unit {
                file["unit"] = json!(unit);
            }
            if let Some((_, s)) = sequences {
                file["sequences"] = json!({ "unit": s.unit, "step": s.step, "columns": s.columns,
                    "length": s.length, "pad": s.pad, "mask": s.mask });
            }
            json!({ "file": file })
        }
        // Everything the simulator's numbers depend on: its configuration at
        // this sweep point (γ resolved) and its algorithm's version.
        Dataset::Panel(p) => {
            let c = p.config(params);
            let mut panel = json!({
                "name": p.name, "gamma": c.gamma, "train": c.train, "validation": c.validation, "test": c.test,
                "steps": c.steps, "window": c.window, "max_tau": c.max_tau,
                "version": crate::data::tumour::ALGORITHM_VERSION,
            });
            // Added after the first panel results were stored: enters a key only
            // away from its default, so those keys stay as they were.
            if c.test_policy != crate::data::tumour::TestPolicy::Own {
                panel["test_policy"] = json!(c.test_policy.name());
            }
            json!({ "panel": panel })
        }
        // The archives' bytes enter through `files` (the test archive's too).
        Dataset::Npz(npz) => json!({ "npz": { "arrays": npz.arrays.explicit(), "test": npz.test.is_some() } }),
    }
}
