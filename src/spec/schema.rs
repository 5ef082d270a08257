//! The JSON Schema of experiment files, built in code so that it follows the raw
//! spec types, the estimator registry and the metric list instead of drifting
//! from them. Editors use it to complete and check experiment files as they are
//! typed; `causeway check` stays the authority (the schema cannot see equations,
//! graphs or sums of shares). `tests/suite/spec_schema.rs` keeps the two in step.
//!
//! Draft-07, because editors' YAML plugins support it best. A file with `extends`
//! is checked leniently (no required keys, no "exactly one of"), since its base
//! may supply what it leaves out.

use serde_json::{Map, Value, json};

use super::size::{DEFAULT_MAX_RUNS, MAX_ROWS};
use crate::estimate::neural::LAYER_KINDS;
use crate::estimate::{self, Metric, Params};

mod dataset;
mod layers;
use dataset::dataset;

const DRAFT: &str = "http://json-schema.org/draft-07/schema#";

/// Accepted by `validate.rs`; `tests/suite/spec_schema.rs` checks that causeway takes each.
const MAX_REPLICATIONS: u32 = 1_000_000;
const MAX_UNITS: u32 = 1_000_000;

const IDENTIFIER: &str = "^[A-Za-z_][A-Za-z0-9_]*$";
const PARAM_REF: &str = "^\\$[A-Za-z_][A-Za-z0-9_]*$";
const SAFE_NAME: &str = "^[a-z0-9][a-z0-9._-]*$";

/// A standalone file, or one whose `extends` base may fill in what it omits.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Full,
    Extending,
}

/// The JSON Schema of the experiment format (docs/experiment.schema.json is this,
/// pretty-printed).
pub fn json_schema() -> Value {
    json!({
        "$schema": DRAFT,
        "title": "causeway experiment",
        "description": "One experiment: a dataset, its causal graph, estimators and metrics. See docs/experiment-format.md.",
        "if": { "required": ["extends"], "properties": { "extends": { "type": "string" } } },
        "then": { "$ref": "#/definitions/experiment_extending" },
        "else": { "$ref": "#/definitions/experiment" },
        "definitions": {
            "experiment": experiment(Mode::Full),
            "experiment_extending": experiment(Mode::Extending),
            "estimator": estimator(),
            "layers": layers::layers(),
            "encoder": layers::encoder(),
        },
    })
}

fn experiment(mode: Mode) -> Value {
    let props = vec![
        ("extends", described(nullable(string()), "a base file (relative to this one) whose keys this file overrides")),
        ("name", described(safe_name(), "required; becomes results/<name>/: lowercase letters, digits, `-`, `_`, `.`")),
        ("scenario", described(nullable(string()), "a label for grouping: medical, finance, education, ...")),
        ("description", described(nullable(string()), "the causal story, printed at the top of report.md")),
        ("seed", described(json!({ "type": "integer", "minimum": 0 }), "required; every random draw derives from it")),
        (
            "replications",
            described(
                json!({ "type": "integer", "minimum": 1, "maximum": MAX_REPLICATIONS, "default": 1 }),
                &format!(
                    "independent datasets per sweep point; `causeway check` refuses an experiment of more than {DEFAULT_MAX_RUNS} runs \
                     (sweep points x replications x estimator configurations) unless `--max-runs` raises the limit"
                ),
            ),
        ),
        ("params", described(params(), "parameters usable as `$name` in dataset.simulate, with their default values")),
        ("sweep", described(sweep(), "data-level sweep over declared params; the cartesian product is run")),
        (
            "dataset",
            described(dataset(mode), "one of `simulate`, `builtin` (a panel for `tumour-growth`), `file` or `npz`"),
        ),
        ("graph", described(nullable(graph(mode)), "the analyst's causal graph; defaults to the simulator's")),
        (
            "adjust",
            described(
                adjust(),
                "covariates of adjustment estimators: a strategy or an explicit list (default backdoor)",
            ),
        ),
        ("preprocess", preprocess()),
        ("split", split()),
        (
            "estimators",
            described(
                json!({ "type": "array", "minItems": 1, "items": { "$ref": "#/definitions/estimator" } }),
                "required; kinds, optionally with hyperparameters, `label` and `sweep`",
            ),
        ),
        (
            "metrics",
            described(
                metrics(),
                "columns of the result tables (default [ate, ate_error]; [ate] for a data file, which has no truth; \
                 a panel experiment lists `rmse_1`..`rmse_6`, default [rmse_1])",
            ),
        ),
        ("plot", described(nullable(plot()), "what plot.svg shows")),
        ("robustness", nullable(super::robustness::schema())),
        ("selection", nullable(super::selection::schema())),
    ];
    object(props, &["name", "seed", "dataset", "estimators"], mode)
}

/// `{type: object}` with exactly `props`, requiring `required` in full mode.
fn object(props: Vec<(&str, Value)>, required: &[&str], mode: Mode) -> Value {
    let properties: Map<String, Value> = props.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    let mut schema = json!({ "type": "object", "additionalProperties": false, "properties": properties });
    if mode == Mode::Full && !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}

fn described(mut schema: Value, text: &str) -> Value {
    schema["description"] = json!(text);
    schema
}

/// serde reads an explicit null as "not given" for optional keys.
fn nullable(schema: Value) -> Value {
    json!({ "anyOf": [schema, { "type": "null" }] })
}

fn string() -> Value {
    json!({ "type": "string" })
}

fn strings() -> Value {
    json!({ "type": "array", "items": { "type": "string" } })
}

fn one_of_names(names: &[&str]) -> Value {
    json!({ "type": "string", "enum": names })
}

/// Mirrors `validate::is_safe_name`: no name can escape `results/`.
fn safe_name() -> Value {
    json!({ "type": "string", "pattern": SAFE_NAME, "maxLength": 100, "not": { "pattern": "\\.\\." } })
}

/// A number, or `$name` of a declared parameter.
fn quantity() -> Value {
    json!({ "anyOf": [{ "type": "number" }, { "type": "string", "pattern": PARAM_REF }] })
}

/// A row count (at most `spec::MAX_ROWS`), or `$name` of a declared parameter.
fn rows() -> Value {
    json!({ "anyOf": [{ "type": "number", "minimum": 1, "maximum": MAX_ROWS }, { "type": "string", "pattern": PARAM_REF }] })
}

/// Exactly one of `keys` is present and not null (the others may be absent or null).
fn exactly_one(keys: &[&str]) -> Value {
    let branches: Vec<Value> = keys
        .iter()
        .map(|k| {
            let mut present = Map::new();
            present.insert(k.to_string(), json!({ "not": { "type": "null" } }));
            json!({ "required": [k], "properties": present })
        })
        .collect();
    json!(branches)
}

fn params() -> Value {
    json!({ "type": "object", "propertyNames": { "pattern": IDENTIFIER }, "additionalProperties": { "type": "number" } })
}

fn sweep() -> Value {
    json!({
        "type": "object",
        "propertyNames": { "pattern": IDENTIFIER },
        "additionalProperties": { "type": "array", "minItems": 1, "items": { "type": "number" } },
    })
}

fn graph(mode: Mode) -> Value {
    object(
        vec![
            ("edges", described(strings(), "`a -> b` (a causes b) or `a <-> b` (a latent confounder)")),
            ("latent", described(strings(), "unobserved nodes, never given to an estimator")),
            (
                "misspecified",
                described(
                    json!({ "type": "boolean", "default": false }),
                    "the graph is wrong on purpose: no warning where it omits a simulated node, edge or confounding path",
                ),
            ),
        ],
        &["edges"],
        mode,
    )
}

fn adjust() -> Value {
    nullable(json!({ "anyOf": [one_of_names(&crate::graph::AdjustStrategy::KEYWORDS), strings()] }))
}

fn preprocess() -> Value {
    let flag = |text| described(json!({ "type": "boolean", "default": false }), text);
    let schema = object(
        vec![
            (
                "impute",
                described(
                    nullable(one_of_names(&crate::data::IMPUTE_METHODS.map(|(n, _)| n))),
                    "what to do with missing covariate cells (default none: a missing cell is an error)",
                ),
            ),
            ("indicators", flag("add a 0/1 missingness indicator per imputed column")),
            ("standardize", flag("standardize covariates with statistics of the training rows")),
            ("one_hot", described(strings(), "categorical columns to one-hot encode")),
            (
                "squares",
                described(
                    json!({ "type": "array", "items": { "type": "string" }, "uniqueItems": true }),
                    "numeric columns to add the square of, as `<column>^2`, whenever the column is a covariate of a run",
                ),
            ),
        ],
        &[],
        Mode::Full,
    );
    described(schema, "preprocessing of the covariates")
}

fn split() -> Value {
    let share = |default: f64, text| {
        described(json!({ "type": "number", "minimum": 0, "exclusiveMaximum": 1, "default": default }), text)
    };
    let schema = object(
        vec![
            ("test", share(0.1, "share of out-of-sample rows")),
            ("validation", share(0.27, "share of validation rows; test + validation < 1")),
        ],
        &[],
        Mode::Full,
    );
    described(schema, "train/validation/test shares of all rows (Shalit et al. 2017: 63/27/10)")
}

fn metrics() -> Value {
    let names: Vec<&str> = Metric::ALL.iter().map(Metric::name).collect();
    json!({ "type": "array", "minItems": 1, "uniqueItems": true, "items": one_of_names(&names) })
}

fn plot() -> Value {
    let names: Vec<&str> = Metric::ALL.iter().map(Metric::name).collect();
    let metric = described(
        nullable(one_of_names(&names)),
        "one of `metrics` (default: the first error metric listed, else the first)",
    );
    object(vec![("metric", metric)], &[], Mode::Full)
}

/// An entry of `estimators`: a bare kind, or a mapping with one kind key (holding
/// its hyperparameters) and optional `label`, `adjust`, `sweep` and `bootstrap`.
fn estimator() -> Value {
    let kinds = estimate::kinds();
    let mut branches = vec![described(one_of_names(&kinds), "an estimator kind with default hyperparameters")];
    for &kind in &kinds {
        let hyper = hyperparameters(kind);
        let adjusts = estimate::role(kind) == estimate::Role::Backdoor;
        let mut sweep = hyper_sweep(&hyper);
        let mut props = vec![
            (kind, described(nullable(hyper_object(&hyper)), "hyperparameters; omitted ones take their defaults")),
            ("label", described(safe_name(), "the name in result tables (default: the kind); labels are unique")),
        ];
        if adjusts {
            props
                .push(("adjust", described(adjust(), "this entry's covariates, instead of the experiment's `adjust`")));
            if let Some(p) = sweep.pointer_mut("/properties").and_then(Value::as_object_mut) {
                p.insert("adjust".into(), json!({ "type": "array", "minItems": 1, "items": adjust(), "description": "adjustments to compare on the same data" }));
            }
        }
        props.push(("sweep", described(sweep, "hyperparameter -> values; the cartesian product is run")));
        props.push((
            "bootstrap",
            described(
                json!({ "type": "integer", "minimum": 2, "maximum": 100_000 }),
                "bootstrap resamples: refit on B resamples of the units for a percentile interval (runs.csv `boot_*`)",
            ),
        ));
        let entry = object(props, &[kind], Mode::Full);
        branches.push(entry);
    }
    branches.extend(panel_estimators());
    json!({ "anyOf": branches })
}

/// The panel kinds (a `tumour-growth` dataset), after the static ones: a bare
/// kind, or a mapping with its hyperparameters, `label` and `sweep` (no
/// `adjust` or `bootstrap`, which are static estimators').
fn panel_estimators() -> Vec<Value> {
    let panel_kinds = estimate::panel::registry::panel_kinds();
    let mut branches = vec![described(
        one_of_names(&panel_kinds),
        "a panel estimator kind (for a panel dataset) with default hyperparameters",
    )];
    for &kind in &panel_kinds {
        // Every panel kind resolves an empty map (its registry's test).
        let mut hyper = estimate::panel::registry::resolve(kind, &Params::new()).unwrap_or_default();
        hyper.extend(estimate::panel::registry::late_defaults(kind));
        let props = vec![
            (kind, described(nullable(hyper_object(&hyper)), "hyperparameters; omitted ones take their defaults")),
            ("label", described(safe_name(), "the name in result tables (default: the kind); labels are unique")),
            ("sweep", described(hyper_sweep(&hyper), "hyperparameter -> values; the cartesian product is run")),
        ];
        branches.push(object(props, &[kind], Mode::Full));
    }
    branches
}

/// The kind's hyperparameters with their defaults, from the estimator registry
/// itself, so that a new hyperparameter appears here without an edit.
fn hyperparameters(kind: &str) -> Params {
    // Every registered kind resolves an empty map (factory tests); should one stop
    // doing so, tests/suite/spec_schema.rs sees its hyperparameters missing.
    let mut hyper = estimate::resolve(kind, &Params::new()).unwrap_or_default();
    hyper.extend(estimate::late_defaults(kind));
    hyper
}

fn hyper_object(hyper: &Params) -> Value {
    let props: Vec<(&str, Value)> = hyper.iter().map(|(k, default)| (k.as_str(), hyper_schema(k, default))).collect();
    object(props, &[], Mode::Full)
}

fn hyper_sweep(hyper: &Params) -> Value {
    let props: Vec<(&str, Value)> = hyper
        .iter()
        .map(|(k, default)| {
            let mut item = hyper_schema(k, default);
            if let Some(m) = item.as_object_mut() {
                m.remove("default");
            }
            (k.as_str(), json!({ "type": "array", "minItems": 1, "items": item }))
        })
        .collect();
    object(props, &[], Mode::Full)
}

/// The schema of hyperparameter `key`: the encoder's own, else read off its default.
fn hyper_schema(key: &str, default: &Value) -> Value {
    if key == "encoder" {
        return nullable(json!({ "$ref": "#/definitions/encoder" }));
    }
    hyper_value(default)
}

/// The schema of one hyperparameter, read off the type of its default.
fn hyper_value(default: &Value) -> Value {
    let mut schema = match default {
        Value::Bool(_) => json!({ "type": "boolean" }),
        Value::Number(n) if n.is_u64() => json!({ "type": "integer", "minimum": 0 }),
        Value::Number(n) if n.is_i64() => json!({ "type": "integer" }),
        Value::Number(_) => json!({ "type": "number" }),
        Value::String(_) => string(),
        Value::Array(items) if items.iter().all(is_layer) => json!({ "$ref": "#/definitions/layers" }),
        Value::Array(_) => json!({ "type": "array" }),
        Value::Object(_) => json!({ "type": "object" }),
        // An optional value whose default is "none": its type is not visible here.
        Value::Null => json!({}),
    };
    // draft-07 ignores keywords beside `$ref`, so a layer list carries no default.
    if schema.get("$ref").is_none() {
        schema["default"] = default.clone();
    }
    schema
}

fn is_layer(v: &Value) -> bool {
    v.as_object().is_some_and(|m| LAYER_KINDS.iter().any(|k| m.contains_key(*k)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extending_files_require_nothing_and_full_files_require_the_four_keys() {
        let full = experiment(Mode::Full);
        assert_eq!(full["required"], json!(["name", "seed", "dataset", "estimators"]));
        let lenient = experiment(Mode::Extending);
        assert!(lenient.get("required").is_none());
        assert!(lenient["properties"]["dataset"].get("oneOf").is_none());
    }

    #[test]
    fn hyperparameter_types_follow_their_defaults() {
        assert_eq!(hyper_value(&json!(5))["type"], "integer");
        assert_eq!(hyper_value(&json!(0.01))["type"], "number");
        assert_eq!(hyper_value(&json!(true))["type"], "boolean");
        assert_eq!(hyper_value(&json!([{ "dense": 3, "activation": "elu" }]))["$ref"], "#/definitions/layers");
        assert_eq!(hyper_value(&json!(null)), json!({ "default": null }));
    }
}
