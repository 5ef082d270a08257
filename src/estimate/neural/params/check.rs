//! Checking and resolving neural hyperparameters: the `Checked` trait each
//! parameter struct implements (ranges, late defaults, layer shapes), and the
//! resolution of user `Params` into typed values (known keys first, for "did
//! you mean", then serde, then ranges) and back into the run key's `Params`.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{CfrParams, DragonParams, LearnerParams, Schedule, TarnetParams};
use crate::estimate::neural::encoder;
use crate::estimate::neural::layers::LayerSpec;
use crate::estimate::{EstimateError, Params};
use crate::suggest::{did_you_mean, hint};

/// A parameter struct that can say which of its values are out of range.
pub trait Checked: Serialize + DeserializeOwned + Default {
    /// `Err((key, allowed range))` for the first value out of range.
    fn check(&self) -> Result<(), (&'static str, &'static str)>;

    /// Hyperparameters added after results were first stored, with their defaults:
    /// they are written into the run key only when set to something else, so that
    /// adding one keeps every existing key (and cached run) valid.
    fn late_defaults() -> Params {
        Params::new()
    }

    /// The layer stacks, shape by shape (`shape.rs`); the message starts with
    /// the backticked path of the offending layer.
    fn shapes(&self) -> Result<(), String> {
        Ok(())
    }
}

/// `encoder: null`, the late default of every neural kind.
fn no_encoder() -> Params {
    let mut late = Params::new();
    late.insert("encoder".into(), Value::Null);
    late
}

impl Checked for Schedule {
    fn check(&self) -> Result<(), (&'static str, &'static str)> {
        let s = self;
        require(s.iterations >= 1, "iterations", "at least 1")?;
        require(s.batch >= 2, "batch", "at least 2")?;
        require(positive(s.lr), "lr", "a finite number > 0")?;
        require(s.lr_decay > 0.0 && s.lr_decay <= 1.0, "lr_decay", "in (0, 1]")?;
        require(s.lr_decay_every >= 1, "lr_decay_every", "at least 1")?;
        require(non_negative(s.weight_decay), "weight_decay", "a finite number >= 0")?;
        require(positive(s.weight_init), "weight_init", "a finite number > 0")?;
        require(s.eval_every >= 1, "eval_every", "at least 1")
    }
}

impl Checked for LearnerParams {
    fn check(&self) -> Result<(), (&'static str, &'static str)> {
        require(!self.layers.is_empty(), "layers", "a non-empty list of layers")?;
        self.schedule.check()
    }

    fn late_defaults() -> Params {
        no_encoder()
    }

    fn shapes(&self) -> Result<(), String> {
        encoder::check_stacks(self.encoder.as_ref(), &[("layers", &self.layers)])
    }
}

impl Checked for TarnetParams {
    fn check(&self) -> Result<(), (&'static str, &'static str)> {
        require(has_dense(&self.representation), "representation", "a list with at least one dense layer")?;
        self.schedule.check()
    }

    fn late_defaults() -> Params {
        no_encoder()
    }

    fn shapes(&self) -> Result<(), String> {
        let stacks: [(&str, &[LayerSpec]); 2] = [("representation", &self.representation), ("head", &self.head)];
        encoder::check_stacks(self.encoder.as_ref(), &stacks)
    }
}

impl Checked for CfrParams {
    fn check(&self) -> Result<(), (&'static str, &'static str)> {
        require(non_negative(self.alpha), "alpha", "a finite number >= 0")?;
        require(positive(self.wass_lambda), "wass_lambda", "a finite number > 0")?;
        require((1..=1000).contains(&self.wass_iterations), "wass_iterations", "in 1..=1000")?;
        self.tarnet.check()
    }

    fn late_defaults() -> Params {
        TarnetParams::late_defaults()
    }

    fn shapes(&self) -> Result<(), String> {
        self.tarnet.shapes()
    }
}

impl Checked for DragonParams {
    fn check(&self) -> Result<(), (&'static str, &'static str)> {
        let d = self;
        require(has_dense(&d.representation), "representation", "a list with at least one dense layer")?;
        require(non_negative(d.beta), "beta", "a finite number >= 0")?;
        require(d.batch >= 2, "batch", "at least 2")?;
        require(d.epochs + d.sgd_epochs >= 1, "epochs", "at least 1 (with sgd_epochs)")?;
        require(positive(d.lr), "lr", "a finite number > 0")?;
        require(positive(d.sgd_lr), "sgd_lr", "a finite number > 0")?;
        require((0.0..1.0).contains(&d.momentum), "momentum", "in [0, 1)")?;
        require(d.plateau_factor > 0.0 && d.plateau_factor <= 1.0, "plateau_factor", "in (0, 1]")?;
        require(d.plateau_patience >= 1, "plateau_patience", "at least 1")?;
        require(d.patience >= 1 && d.sgd_patience >= 1, "patience", "at least 1 (also sgd_patience)")?;
        require(non_negative(d.weight_decay), "weight_decay", "a finite number >= 0")
    }

    fn late_defaults() -> Params {
        let mut late = no_encoder();
        late.insert("propensity".into(), Value::from("body"));
        late
    }

    fn shapes(&self) -> Result<(), String> {
        let stacks: [(&str, &[LayerSpec]); 2] = [("representation", &self.representation), ("head", &self.head)];
        encoder::check_stacks(self.encoder.as_ref(), &stacks)
    }
}

fn require(ok: bool, key: &'static str, range: &'static str) -> Result<(), (&'static str, &'static str)> {
    if ok { Ok(()) } else { Err((key, range)) }
}

fn positive(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

fn non_negative(x: f64) -> bool {
    x.is_finite() && x >= 0.0
}

fn has_dense(layers: &[LayerSpec]) -> bool {
    layers.iter().any(|l| matches!(l, LayerSpec::Dense { .. }))
}

/// Read `params` into `T`: unknown keys, type errors and ranges become
/// `InvalidParams` naming the key.
pub fn parse<T: Checked>(kind: &str, params: &Params) -> Result<T, EstimateError> {
    let invalid = |message: String| EstimateError::InvalidParams { kind: kind.to_string(), message };
    let known = known_keys::<T>();
    for key in params.keys() {
        if !known.iter().any(|k| k == key) {
            let names: Vec<&str> = known.iter().map(String::as_str).collect();
            let tail = match did_you_mean(key, names.iter().copied()) {
                None => format!(" (expected one of: {})", names.join(", ")),
                s => hint(&s),
            };
            return Err(invalid(format!("unknown key `{key}`{tail}")));
        }
    }
    let parsed: T = serde_json::from_value(Value::Object(params.clone())).map_err(|e| invalid(e.to_string()))?;
    parsed.check().map_err(|(key, range)| invalid(format!("`{key}` must be {range}")))?;
    parsed.shapes().map_err(invalid)?;
    Ok(parsed)
}

/// The registry's `Resolve` for a neural kind: parse, then every default spelled
/// out (a late one only when set away from its default).
pub fn resolve<T: Checked>(kind: &str, params: &Params) -> Result<Params, EstimateError> {
    Ok(to_params(&parse::<T>(kind, params)?))
}

/// Every default spelled out, keys sorted (serde_json's map is a BTreeMap).
pub fn to_params<T: Serialize>(value: &T) -> Params {
    match serde_json::to_value(value) {
        Ok(Value::Object(map)) => map,
        // Invariant: the parameter structs serialise to objects with string keys.
        other => unreachable!("hyperparameters serialise to an object, got {other:?}"),
    }
}

fn known_keys<T: Checked>() -> Vec<String> {
    to_params(&T::default()).keys().chain(T::late_defaults().keys()).cloned().collect()
}
