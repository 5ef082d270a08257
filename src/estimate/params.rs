//! Hyperparameter parsing shared by every estimator: user `Params` in, a typed
//! struct out, and back to `Params` with every default spelled out.
//!
//! Each estimator's hyperparameters are a `#[serde(deny_unknown_fields, default)]`
//! struct. We check unknown keys and per-key types ourselves before handing the
//! whole map to serde, because serde's messages neither suggest a spelling nor
//! say which key a type error belongs to.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{EstimateError, Params};

/// A typed hyperparameter struct: its defaults name its keys, and `validate`
/// rejects out-of-range values with a message that names the key.
pub trait Hyper: Serialize + DeserializeOwned + Default {
    fn validate(&self) -> Result<(), String>;

    /// Hyperparameters added after results were first stored, with their
    /// defaults: they serialize only when set to something else (so existing
    /// run keys stay valid), yet are known keys here and in the schema.
    fn late_defaults() -> Params {
        Params::new()
    }
}

/// The hyperparameters of an estimator that takes none.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NoParams {}

impl Hyper for NoParams {
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

/// `skip_serializing_if` of a late default that is `true`.
pub fn is_true(v: &bool) -> bool {
    *v
}

/// A late-default map of one boolean key that defaults to `true`.
pub fn late_true(key: &str) -> Params {
    let mut late = Params::new();
    late.insert(key.into(), serde_json::Value::Bool(true));
    late
}

/// Parse and validate `params` as the hyperparameters of estimator `kind`.
pub fn parse<T: Hyper>(kind: &str, params: &Params) -> Result<T, EstimateError> {
    let mut known = to_params(&T::default());
    known.extend(T::late_defaults());
    for (key, value) in params {
        if !known.contains_key(key) {
            return Err(EstimateError::invalid(kind, unknown_key_message(key, &known)));
        }
        let mut single = Params::new();
        single.insert(key.clone(), value.clone());
        if let Err(e) = serde_json::from_value::<T>(serde_json::Value::Object(single)) {
            return Err(EstimateError::invalid(kind, format!("`{key}`: {e}")));
        }
    }
    let parsed: T = serde_json::from_value(serde_json::Value::Object(params.clone()))
        .map_err(|e| EstimateError::invalid(kind, e.to_string()))?;
    parsed.validate().map_err(|m| EstimateError::invalid(kind, m))?;
    Ok(parsed)
}

/// Serialize resolved hyperparameters back to a sorted JSON map.
pub fn to_params<T: Serialize>(value: &T) -> Params {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::Object(map)) => map,
        // Invariant: every `Hyper` is a plain struct of numbers, booleans and
        // options, which serializes to a JSON object.
        _ => unreachable!("hyperparameter structs serialize to JSON objects"),
    }
}

fn unknown_key_message(key: &str, known: &Params) -> String {
    let names: Vec<&str> = known.keys().map(String::as_str).collect();
    let mut msg = format!("unknown key `{key}`");
    match crate::suggest::did_you_mean(key, names.iter().copied()) {
        Some(s) => msg.push_str(&crate::suggest::hint(&Some(s))),
        None if names.is_empty() => msg.push_str(" (this estimator takes no hyperparameters)"),
        None => msg.push_str(&format!(" (expected one of: {})", names.join(", "))),
    }
    msg
}

/// Check that `value` lies in the open interval (`lo`, `hi`).
pub fn check_open(key: &str, value: f64, lo: f64, hi: f64) -> Result<(), String> {
    if value > lo && value < hi {
        Ok(())
    } else {
        Err(format!("`{key}` must lie strictly between {lo} and {hi}, got {value}"))
    }
}

/// Check that an integer hyperparameter is at least `min`.
pub fn check_at_least(key: &str, value: usize, min: usize) -> Result<(), String> {
    if value >= min { Ok(()) } else { Err(format!("`{key}` must be at least {min}, got {value}")) }
}
