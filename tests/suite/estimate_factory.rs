//! The factory's contract with `causeway check`: defaults spelled out in sorted
//! order, and every bad hyperparameter rejected with a message naming the key.

use causeway::estimate::{Params, build, classical_kinds, kinds, resolve};
use serde_json::json;

fn params(value: serde_json::Value) -> Params {
    match value {
        serde_json::Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn rejection(kind: &str, value: serde_json::Value) -> String {
    match resolve(kind, &params(value)) {
        Err(e) => e.to_string(),
        Ok(p) => panic!("{kind}: accepted {p:?}"),
    }
}

#[test]
fn defaults_are_spelled_out() {
    let table: Vec<String> = classical_kinds()
        .iter()
        .map(|kind| format!("{kind}: {}", serde_json::Value::Object(resolve(kind, &Params::new()).unwrap())))
        .collect();
    insta::assert_snapshot!(table.join("\n"), @r#"
naive: {}
ols: {}
ols_interact: {}
ipw: {"clip":0.01,"normalize":true,"trim":null}
aipw: {"clip":0.01,"folds":5}
matching: {"caliper":null,"neighbors":1}
frontdoor: {"bootstrap":200}
"#);
}

#[test]
fn user_values_are_kept_and_the_rest_defaulted() {
    let resolved = resolve("aipw", &params(json!({"folds": 10}))).unwrap();
    assert_eq!(serde_json::Value::Object(resolved), json!({"clip": 0.01, "folds": 10}));
    let resolved = resolve("matching", &params(json!({"caliper": 0.2, "neighbors": 3}))).unwrap();
    assert_eq!(serde_json::Value::Object(resolved), json!({"caliper": 0.2, "neighbors": 3}));
}

#[test]
fn unknown_keys_get_suggestions() {
    insta::assert_snapshot!(rejection("aipw", json!({"fold": 3})), @"estimator `aipw`: invalid hyperparameters: unknown key `fold` (did you mean `folds`?)");
    insta::assert_snapshot!(rejection("ipw", json!({"normalise": false})), @"estimator `ipw`: invalid hyperparameters: unknown key `normalise` (did you mean `normalize`?)");
    insta::assert_snapshot!(rejection("matching", json!({"k": 2})), @"estimator `matching`: invalid hyperparameters: unknown key `k` (expected one of: caliper, neighbors)");
    insta::assert_snapshot!(rejection("ols", json!({"folds": 2})), @"estimator `ols`: invalid hyperparameters: unknown key `folds` (this estimator takes no hyperparameters)");
}

#[test]
fn out_of_range_values_name_the_key() {
    insta::assert_snapshot!(rejection("aipw", json!({"folds": 1})), @"estimator `aipw`: invalid hyperparameters: `folds` must be at least 2, got 1");
    insta::assert_snapshot!(rejection("aipw", json!({"clip": 0.5})), @"estimator `aipw`: invalid hyperparameters: `clip` must lie strictly between 0 and 0.5, got 0.5");
    insta::assert_snapshot!(rejection("ipw", json!({"clip": 0.0})), @"estimator `ipw`: invalid hyperparameters: `clip` must lie strictly between 0 and 0.5, got 0");
    insta::assert_snapshot!(rejection("matching", json!({"neighbors": 0})), @"estimator `matching`: invalid hyperparameters: `neighbors` must be at least 1, got 0");
    insta::assert_snapshot!(rejection("matching", json!({"caliper": -1.0})), @"estimator `matching`: invalid hyperparameters: `caliper` must be a positive number, got -1");
}

#[test]
fn wrong_types_name_the_key() {
    insta::assert_snapshot!(rejection("aipw", json!({"folds": "five"})), @r#"estimator `aipw`: invalid hyperparameters: `folds`: invalid type: string "five", expected usize"#);
    insta::assert_snapshot!(rejection("aipw", json!({"folds": 2.5})), @"estimator `aipw`: invalid hyperparameters: `folds`: invalid type: floating point `2.5`, expected usize");
    insta::assert_snapshot!(rejection("ipw", json!({"normalize": "yes"})), @r#"estimator `ipw`: invalid hyperparameters: `normalize`: invalid type: string "yes", expected a boolean"#);
}

#[test]
fn unknown_kinds_get_suggestions() {
    insta::assert_snapshot!(rejection("aipv", json!({})), @"unknown estimator `aipv` (did you mean `aipw`?)");
    insta::assert_snapshot!(rejection("ols-interact", json!({})), @"unknown estimator `ols-interact` (did you mean `ols_interact`?)");
    insta::assert_snapshot!(rejection("bart", json!({})), @"unknown estimator `bart`");
    assert!(build("bart", &Params::new()).is_err());
}

#[test]
fn kinds_list_the_classical_estimators_first() {
    assert_eq!(&kinds()[..classical_kinds().len()], classical_kinds());
}
