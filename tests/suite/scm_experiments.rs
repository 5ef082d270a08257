//! Every experiment file's simulated dataset compiles and simulates: the
//! equations of `dataset.simulate` (in file order) with `params` substituted,
//! at the defaults and at every point of the data sweep, 200 rows each. Where a
//! file states `# true ATE: X` in a comment, the sample ATE of the simulated
//! truths must match it (within 5 standard errors of the ITE mean).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use causeway::run::RunRng;
use causeway::scm::{Equation, Missingness, Model, Simulation};
use rand::SeedableRng;
use serde_yaml_ng::{Mapping, Value};

const ROWS: usize = 200;

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for path in paths {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

fn get<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, key| v.get(*key))
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("expected an equation string, got {other:?}"),
    }
}

fn equations(simulate: &Value) -> Vec<Equation> {
    let map: &Mapping = simulate.get("equations").and_then(Value::as_mapping).expect("dataset.simulate.equations");
    map.iter().map(|(k, v)| Equation::new(scalar_text(k), scalar_text(v))).collect()
}

fn numeric_params(doc: &Value) -> BTreeMap<String, f64> {
    let Some(map) = doc.get("params").and_then(Value::as_mapping) else { return BTreeMap::new() };
    map.iter().filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_f64()?))).collect()
}

/// Every combination of sweep values laid over the defaults.
fn sweep_points(doc: &Value, defaults: &BTreeMap<String, f64>) -> Vec<BTreeMap<String, f64>> {
    let mut points = vec![defaults.clone()];
    let Some(sweep) = doc.get("sweep").and_then(Value::as_mapping) else { return points };
    for (key, values) in sweep {
        let (Some(key), Some(values)) = (key.as_str(), values.as_sequence()) else { continue };
        points = points
            .iter()
            .flat_map(|p| {
                values.iter().filter_map(Value::as_f64).map(move |v| {
                    let mut p = p.clone();
                    p.insert(key.to_string(), v);
                    p
                })
            })
            .collect();
    }
    points
}

fn stated_ate(text: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix("# true ATE:")?.split_whitespace().next()?.parse().ok())
}

fn simulate(path: &Path, eqs: &[Equation], params: &BTreeMap<String, f64>, t: &str, y: &str, seed: u64) -> Simulation {
    let model = Model::compile(eqs, params).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut rng = RunRng::seed_from_u64(seed);
    model
        .simulate(ROWS, t, y, &Missingness::None, &mut rng)
        .unwrap_or_else(|e| panic!("{} with {params:?}: {e}", path.display()))
}

/// Declared graph edges (`a -> b`) and latent nodes must name simulated nodes.
fn check_graph_names(path: &Path, doc: &Value, eqs: &[Equation]) {
    let known = |n: &str| eqs.iter().any(|e| causeway::scm::sequence::node_name(&e.node) == n);
    let edges = get(doc, &["graph", "edges"]).and_then(Value::as_sequence).into_iter().flatten();
    for edge in edges.filter_map(Value::as_str) {
        let (a, b) = edge.split_once("->").unwrap_or_else(|| panic!("{}: bad edge `{edge}`", path.display()));
        assert!(known(a.trim()) && known(b.trim()), "{}: edge `{edge}` names an unknown node", path.display());
    }
    let latent = get(doc, &["graph", "latent"]).and_then(Value::as_sequence).into_iter().flatten();
    for node in latent.filter_map(Value::as_str) {
        assert!(known(node), "{}: latent `{node}` is not a node", path.display());
    }
}

fn check_file(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc: Value = serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let simulate_spec = get(&doc, &["dataset", "simulate"])?;
    let eqs = equations(simulate_spec);
    let role = |key: &str| {
        simulate_spec
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{}: no {key}", path.display()))
            .to_string()
    };
    let (t, y) = (role("treatment"), role("outcome"));
    let seed = doc.get("seed").and_then(Value::as_u64).unwrap_or(0);
    check_graph_names(path, &doc, &eqs);
    let defaults = numeric_params(&doc);
    for point in sweep_points(&doc, &defaults) {
        simulate(path, &eqs, &point, &t, &y, seed);
    }
    let ate = stated_ate(&text)?;
    let sim = simulate(path, &eqs, &defaults, &t, &y, seed);
    let ite: Vec<f64> = sim.mu1.iter().zip(&sim.mu0).map(|(a, b)| a - b).collect();
    let mean = ite.iter().sum::<f64>() / ROWS as f64;
    let sd = (ite.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / (ROWS - 1) as f64).sqrt();
    let tolerance = 5.0 * sd / (ROWS as f64).sqrt() + 1e-9;
    assert!(
        (mean - ate).abs() <= tolerance,
        "{}: sample ATE {mean} vs stated {ate} (tolerance {tolerance})",
        path.display()
    );
    Some(format!("{}: ATE {ate}", path.display()))
}

#[test]
fn every_experiment_simulates_and_matches_its_stated_ate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("experiments");
    let mut files = Vec::new();
    yaml_files(&root, &mut files);
    for field in ["medical", "finance", "education"] {
        assert!(files.iter().any(|f| f.starts_with(root.join(field))), "no {field} experiments");
    }
    let checked: Vec<String> = files.iter().filter_map(|f| check_file(f)).collect();
    assert!(checked.len() >= 3, "too few files state a true ATE: {checked:?}");
}
