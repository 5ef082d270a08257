//! The JSON Schema of `causeway schema` against causeway itself: the committed
//! copy is current, its keys are the ones serde accepts, the names it lists are
//! the ones causeway takes, every example experiment validates, and every
//! malformed spec that causeway rejects for a structural reason (unknown key,
//! missing key, wrong type) is rejected by the schema too.
//!
//! Validation uses Python's `jsonschema` (an independent implementation; the Rust
//! validators would change shared dependency features of test builds). YAML is
//! turned into JSON here with serde_yaml_ng, i.e. read exactly as causeway reads it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use causeway::estimate::{self, Metric, Params};
use causeway::spec::{self, SpecError, SpecErrorKind, json_schema};
use serde_json::{Value, json};

const COMMITTED: &str = "docs/experiment.schema.json";

#[test]
fn committed_schema_is_current() {
    let committed = std::fs::read_to_string(COMMITTED).unwrap_or_default();
    let current = format!("{:#}\n", json_schema());
    assert!(committed == current, "{COMMITTED} is stale: run `cargo run -- schema > {COMMITTED}` and commit it");
}

#[test]
fn committed_estimator_reference_is_current() {
    let committed = std::fs::read_to_string("docs/estimators.md").unwrap_or_default();
    assert!(
        committed == causeway::estimate::registry::reference_markdown(),
        "docs/estimators.md is stale: run `cargo run -- estimators > docs/estimators.md` and commit it"
    );
}

// ---- keys and names ---------------------------------------------------------

/// A file that sets every optional mapping, so that a key can be planted in each.
const EVERYTHING: &str = "
name: all-keys
seed: 1
dataset:
  simulate:
    n: 10
    equations: { x: bernoulli(0.3), t: bernoulli(0.5), y: t + x }
    treatment: t
    outcome: y
    missing: { mar: { driver: x, rate: 0.1 } }
  builtin: { name: ihdp }
  file: { path: a.csv, treatment: t, outcome: y, truth: { ite: tau } }
  npz: { path: a.npz, arrays: { x: x } }
graph: { edges: [x -> t] }
preprocess: {}
split: {}
estimators: [ols]
plot: {}
";

/// The keys serde accepts at `path`, read from the message of an unknown key.
fn serde_keys(path: &[&str]) -> Vec<String> {
    let mut doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(EVERYTHING).unwrap();
    let mut at = &mut doc;
    for key in path {
        at = at.get_mut(*key).unwrap_or_else(|| panic!("EVERYTHING lacks {key}"));
    }
    at.as_mapping_mut().unwrap().insert("qqqqqqqqqqqq".into(), 1.into());
    let err = load_text(&serde_yaml_ng::to_string(&doc).unwrap()).unwrap_err();
    assert!(matches!(err.kind, SpecErrorKind::UnknownKey { .. }), "{err}");
    let help = err.help.unwrap_or_default();
    let list = help.strip_prefix("expected one of: ").unwrap_or_else(|| panic!("no key list in `{help}`"));
    let mut keys: Vec<String> = list.split(", ").map(str::to_string).collect();
    keys.sort();
    keys
}

/// The schema of `path`, looking through `nullable` wrappers.
fn schema_at(path: &[&str]) -> Value {
    let schema = json_schema();
    let mut at = &schema["definitions"]["experiment"];
    for key in path {
        at = &at["properties"][*key];
        if let Some(first) =
            at.get("anyOf").and_then(|b| b.get(0)).filter(|_| at["anyOf"][1] == json!({ "type": "null" }))
        {
            at = first;
        }
    }
    at.clone()
}

fn property_names(schema: &Value) -> Vec<String> {
    let mut keys: Vec<String> =
        schema["properties"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
    keys.sort();
    keys
}

#[test]
fn schema_keys_are_the_keys_serde_accepts() {
    let paths: [&[&str]; 14] = [
        &[],
        &["dataset"],
        &["dataset", "simulate"],
        &["dataset", "simulate", "missing"],
        &["dataset", "simulate", "missing", "mar"],
        &["dataset", "builtin"],
        &["dataset", "file"],
        &["dataset", "file", "truth"],
        &["dataset", "npz"],
        &["dataset", "npz", "arrays"],
        &["graph"],
        &["preprocess"],
        &["split"],
        &["plot"],
    ];
    for path in paths {
        let schema = schema_at(path);
        assert_eq!(schema["additionalProperties"], json!(false), "{path:?}");
        assert_eq!(property_names(&schema), serde_keys(path), "{path:?}");
    }
}

#[test]
fn estimator_kinds_hyperparameters_and_metrics_come_from_the_registry() {
    let schema = json_schema();
    let branches = schema["definitions"]["estimator"]["anyOf"].as_array().unwrap();
    assert_eq!(branches[0]["enum"], json!(estimate::kinds()));
    let statics = estimate::kinds().len();
    for (kind, branch) in estimate::kinds().iter().zip(&branches[1..=statics]) {
        // Resolved defaults plus the late ones that stay out of keys at their default.
        let mut defaults = estimate::resolve(kind, &Params::new()).unwrap();
        defaults.extend(estimate::late_defaults(kind));
        let expected: Vec<&String> = defaults.keys().collect();
        let hyper = &branch["properties"][*kind]["anyOf"][0];
        assert_eq!(property_names(hyper).iter().collect::<Vec<_>>(), expected, "{kind}");
        // An adjustment estimator may also sweep its `adjust`.
        let mut swept: Vec<String> = expected.iter().map(|k| k.to_string()).collect();
        if estimate::role(kind) == estimate::Role::Backdoor {
            swept.push("adjust".into());
            swept.sort();
        }
        assert_eq!(property_names(&branch["properties"]["sweep"]), swept, "{kind} sweep");
        assert_eq!(
            branch["properties"].get("adjust").is_some(),
            estimate::role(kind) == estimate::Role::Backdoor,
            "{kind} adjust"
        );
        assert_eq!(branch["required"], json!([kind]));
    }
    // Then the panel kinds, from their own registry, with neither `adjust` nor `bootstrap`.
    let panel = estimate::panel::registry::panel_kinds();
    assert_eq!(branches[statics + 1]["enum"], json!(panel));
    assert_eq!(branches.len(), statics + panel.len() + 2);
    for (kind, branch) in panel.iter().zip(&branches[statics + 2..]) {
        // Resolved defaults plus the late ones (CRN's and RMSN's `projections`).
        let mut defaults = estimate::panel::registry::resolve(kind, &Params::new()).unwrap();
        defaults.extend(estimate::panel::registry::late_defaults(kind));
        let expected: Vec<&String> = defaults.keys().collect();
        assert_eq!(property_names(&branch["properties"][*kind]["anyOf"][0]).iter().collect::<Vec<_>>(), expected);
        let mut keys = [*kind, "label", "sweep"].map(String::from);
        keys.sort();
        assert_eq!(property_names(branch), keys, "{kind}");
    }
    let metrics: Vec<&str> = Metric::ALL.iter().map(Metric::name).collect();
    assert_eq!(schema_at(&["metrics"])["items"]["enum"], json!(metrics));
}

/// Names the schema lists by hand (they are private to other modules) must each be
/// accepted by `causeway check`, and by the schema, along with the optional forms
/// the examples do not use.
#[test]
fn every_name_the_schema_lists_is_accepted_by_causeway_and_the_schema() {
    let base = "name: ok\nseed: 1\ndataset:\n  simulate:\n    n: 50\n    equations: { x: bernoulli(0.3), t: bernoulli(0.5), y: t + x }\n    treatment: t\n    outcome: y\n";
    let schema = json_schema();
    let mut texts = Vec::new();
    for name in schema_at(&["adjust"])["anyOf"][0]["enum"].as_array().unwrap() {
        texts.push(format!("{base}adjust: {name}\nestimators: [ols]\n"));
    }
    for name in schema_at(&["preprocess", "impute"])["enum"].as_array().unwrap() {
        texts.push(format!("{base}preprocess: {{ impute: {name} }}\nestimators: [ols]\n"));
    }
    let layer_objects = &schema["definitions"]["layers"]["items"]["anyOf"];
    for activation in layer_objects[2]["properties"]["activation"]["enum"].as_array().unwrap() {
        texts.push(format!("{base}estimators: [{{ tarnet: {{ representation: [{{ dense: 4, activation: {activation} }}, {{ dropout: 0.1 }}, layer_norm, {{ layer_norm: true }}] }} }}]\n"));
    }
    let max = schema_at(&["replications"])["maximum"].as_u64().unwrap();
    texts.push(format!("{base}replications: {max}\nestimators: [ols]\n"));
    let optional_forms = [
        "params: { rate: 0.2 }\ndataset:\n  simulate:\n    n: 30\n    equations: { x: bernoulli(0.3), t: bernoulli(0.5), y: t + x }\n    treatment: t\n    outcome: y\n    missing: { mcar: $rate, mar: null }\n",
        "dataset:\n  simulate:\n    n: 30\n    equations: { x: bernoulli(0.3), t: bernoulli(0.5), y: 2 }\n    treatment: t\n    outcome: y\n    missing: { mar: { driver: x, rate: 0.1 } }\n",
        "dataset: { builtin: { name: ihdp, surface: B, instance: 3 }, simulate: ~ }\n",
        "dataset: { file: { path: Cargo.toml, treatment: t, outcome: y, covariates: [a, b] } }\n",
        "dataset:\n  file:\n    path: $DATA_DIR/d_{replication}.csv\n    columns: [t, y, m0, m1, x1..x3]\n    treatment: t\n    outcome: y\n    covariates: [x1..x3]\n    truth: { mu0: m0, mu1: m1 }\n",
        "dataset: { file: { path: Cargo.toml, treatment: t, outcome: y, truth: { y_cf: ycf } } }\n",
        "dataset: { file: { path: Cargo.toml, treatment: t, outcome: y, truth: { ite: tau, mu0: ~ } } }\n",
        "dataset: { npz: { path: a.train.npz, test: a.test.npz, arrays: { x: X, e: exp } } }\n",
    ];
    for form in optional_forms {
        texts.push(format!("name: ok\nseed: 1\nscenario: ~\ngraph: {{ edges: [x -> t, t -> y, x -> y, u <-> y], latent: [u] }}\n{form}estimators: [ols, {{ ipw: }}, {{ aipw: {{ folds: 2 }}, label: a2, sweep: {{ clip: [0.1, 0.2] }} }}]\n"));
    }
    assert!(texts.len() >= 4 + 5 + 5 + 1 + 8);
    for text in &texts {
        // Validation only: the builtin, file and npz datasets need files a check would read.
        let checked = load_text(text).and_then(|(loaded, exp)| {
            if text.contains("builtin") || text.contains("file:") || text.contains("npz:") {
                Ok(())
            } else {
                spec::cross_check(&loaded, &exp)
            }
        });
        assert!(checked.is_ok(), "{text}\n{checked:?}");
    }
    let instances: BTreeMap<String, Value> = texts
        .iter()
        .map(|t| {
            (t.clone(), serde_json::to_value(serde_yaml_ng::from_str::<serde_yaml_ng::Value>(t).unwrap()).unwrap())
        })
        .collect();
    for (text, errors) in validate_all(&instances) {
        assert!(errors.is_empty(), "the schema rejects\n{text}\n{}", errors.join("\n"));
    }
    let over = format!("{base}replications: {}\nestimators: [ols]\n", max + 1);
    assert!(load_text(&over).is_err(), "causeway accepts more replications than the schema");
}

// ---- validation against the corpora -----------------------------------------

fn yaml_files(dir: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::from(dir)];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml")
                && !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with('_'))
            {
                // `_*.yaml` files are `extends` bases, partial by design.
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// A YAML file as JSON, read the way causeway reads it; None if it is not YAML.
fn as_json(path: &Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    let yaml: serde_yaml_ng::Value = serde_yaml_ng::from_str(&text).ok()?;
    serde_json::to_value(yaml).ok()
}

#[test]
fn every_example_experiment_is_valid() {
    let mut files = yaml_files("experiments");
    files.extend(yaml_files("tests/experiments"));
    files.push("tests/specs/ok_minimal.yaml".into());
    assert!(files.len() >= 10, "only {} example files", files.len());
    let instances: BTreeMap<String, Value> =
        files.iter().map(|p| (p.display().to_string(), as_json(p).unwrap())).collect();
    for (file, errors) in validate_all(&instances) {
        assert!(errors.is_empty(), "{file} fails the schema:\n{}", errors.join("\n"));
        // causeway agrees, so a schema that accepts them is not vacuous.
        assert!(spec::load(Path::new(&file)).and_then(|l| spec::validate(&l).map(|_| ())).is_ok(), "{file}");
    }
}

#[test]
fn a_file_with_extends_may_leave_required_keys_to_its_base() {
    let child = json!({ "extends": "_base.yaml", "name": "child", "dataset": { "simulate": { "n": 10 } } });
    let mut alone = child.clone();
    alone.as_object_mut().unwrap().remove("extends");
    let verdicts = validate_all(&BTreeMap::from([("child".to_string(), child), ("alone".to_string(), alone)]));
    assert!(verdicts["child"].is_empty(), "{:?}", verdicts["child"]);
    assert!(!verdicts["alone"].is_empty());
}

#[test]
fn structural_errors_are_rejected_by_the_schema() {
    let files: Vec<PathBuf> = yaml_files("tests/specs/bad")
        .into_iter()
        .filter(|p| !p.file_name().unwrap().to_string_lossy().starts_with('_'))
        .collect();
    let mut kinds = BTreeMap::new();
    let mut instances = BTreeMap::new();
    for path in &files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        kinds.insert(name.clone(), causeway_verdict(path));
        if let Some(json) = as_json(path) {
            instances.insert(name, json);
        }
    }
    let verdicts = validate_all(&instances);
    let mut table = String::from("file | causeway | schema\n");
    let mut structural = 0;
    for (name, kind) in &kinds {
        let schema = match verdicts.get(name) {
            None => "not YAML",
            Some(errors) if errors.is_empty() => "accepts",
            Some(_) => "rejects",
        };
        if kind.starts_with("structural") {
            structural += 1;
            assert_eq!(schema, "rejects", "{name}: causeway finds a {kind} error, the schema does not");
        }
        table += &format!("{name} | {kind} | {schema}\n");
    }
    assert!(structural >= 15, "only {structural} structural errors in the corpus");
    insta::assert_snapshot!("schema_verdicts_on_bad_specs", table);
}

/// What kind of error causeway reports for `path`: structural ones are those in the
/// file itself that a schema can see (unknown key, missing key, wrong type).
fn causeway_verdict(path: &Path) -> String {
    let err = match spec::load(path).and_then(|l| spec::validate(&l).and_then(|e| spec::cross_check(&l, &e))) {
        Ok(()) => return "accepts".into(),
        Err(e) => e,
    };
    let own = err.file == path;
    match err.kind {
        SpecErrorKind::UnknownKey { .. } if own => "structural: unknown key".into(),
        SpecErrorKind::MissingKey { .. } if own => "structural: missing key".into(),
        SpecErrorKind::WrongType(_) if own => "structural: wrong type".into(),
        SpecErrorKind::Syntax(_) if own => "yaml syntax".into(),
        SpecErrorKind::Syntax(_) => "yaml syntax in its base".into(),
        SpecErrorKind::ExtendsCycle(_) => "extends cycle".into(),
        SpecErrorKind::Invalid(_) if !own => "invalid base".into(),
        SpecErrorKind::Invalid(_) => "invalid value".into(),
        other => format!("{other}"),
    }
}

// ---- helpers ------------------------------------------------------------------

fn load_text(text: &str) -> Result<(spec::Loaded, spec::Experiment), SpecError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("spec.yaml");
    std::fs::write(&path, text).unwrap();
    let loaded = spec::load(&path)?;
    let exp = spec::validate(&loaded)?;
    Ok((loaded, exp))
}

const VALIDATE_PY: &str = r#"
import json, sys
try:
    import jsonschema
except ImportError:
    sys.exit("python3 has no `jsonschema` module: `pip install jsonschema` (or run .ci/schema-check)")
schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)
instances = json.load(open(sys.argv[2]))
print(json.dumps({name: [e.message for e in validator.iter_errors(doc)] for name, doc in instances.items()}))
"#;

/// Validate each instance against `json_schema()` with Python's `jsonschema`, in
/// one process; returns each name's error messages (empty when valid).
fn validate_all(instances: &BTreeMap<String, Value>) -> BTreeMap<String, Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let schema_path = dir.path().join("schema.json");
    let instances_path = dir.path().join("instances.json");
    std::fs::write(&schema_path, json_schema().to_string()).unwrap();
    std::fs::write(&instances_path, serde_json::to_string(instances).unwrap()).unwrap();
    let out = Command::new("python3")
        .arg("-c")
        .arg(VALIDATE_PY)
        .arg(&schema_path)
        .arg(&instances_path)
        .output()
        .expect("python3 is needed to validate against the schema");
    assert!(out.status.success(), "the validator failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}
