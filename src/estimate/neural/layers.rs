//! The layer language of the YAML: what a network's representation and heads are
//! made of, parsed by hand so that every mistake gets a precise message.
//!
//! A layer is written `{dense: 200, activation: elu}`, `{dropout: 0.1}` or
//! `{layer_norm: true}`; a bare integer `200` is shorthand for a dense layer with
//! ELU, the activation of both cfrnet and DragonNet. New kinds of layers (convolution,
//! recurrence) are new variants here and new arms in `mlp::build_layer`; the
//! estimators only ever see a `&[LayerSpec]`.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

use crate::suggest::{did_you_mean, hint};

/// One layer of a representation or a head.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LayerSpec {
    /// Fully connected layer with `units` outputs followed by `activation`.
    Dense { units: usize, activation: Activation },
    /// Inverted dropout dropping each unit with probability `rate` while training.
    Dropout { rate: f64 },
    /// Layer normalisation over the features, with learned scale and shift.
    LayerNorm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    Elu,
    Relu,
    Tanh,
    Sigmoid,
    Linear,
}

/// Every activation's name as written in an experiment file (the schema lists these).
pub const ACTIVATIONS: &[&str] = &["elu", "relu", "tanh", "sigmoid", "linear"];
/// Every layer kind's key (the schema lists these).
pub const LAYER_KINDS: &[&str] = &["dense", "dropout", "layer_norm"];

/// `n` dense ELU layers of `units` each: the papers' building block.
pub fn dense_elu(n: usize, units: usize) -> Vec<LayerSpec> {
    vec![LayerSpec::Dense { units, activation: Activation::Elu }; n]
}

impl LayerSpec {
    /// Parse one layer; the message names what was expected.
    pub fn from_json(v: &Value) -> Result<LayerSpec, String> {
        match v {
            Value::Number(_) => Ok(LayerSpec::Dense { units: units(v)?, activation: Activation::Elu }),
            Value::String(s) if s == "layer_norm" => Ok(LayerSpec::LayerNorm),
            Value::Object(m) => from_object(m),
            other => Err(format!(
                "expected a layer such as `200`, `{{dense: 200, activation: elu}}`, `{{dropout: 0.1}}` or `{{layer_norm: true}}`, found `{other}`"
            )),
        }
    }

    pub fn to_json(&self) -> Value {
        match self {
            LayerSpec::Dense { units, activation } => json!({"dense": units, "activation": activation}),
            LayerSpec::Dropout { rate } => json!({ "dropout": rate }),
            LayerSpec::LayerNorm => json!({"layer_norm": true}),
        }
    }
}

fn from_object(m: &Map<String, Value>) -> Result<LayerSpec, String> {
    let kinds: Vec<&str> = m.keys().map(String::as_str).filter(|k| *k != "activation").collect();
    let [kind] = kinds.as_slice() else {
        return Err(format!(
            "a layer has exactly one of `dense`, `dropout`, `layer_norm`, found keys {:?}",
            m.keys().collect::<Vec<_>>()
        ));
    };
    let value = &m[*kind];
    match *kind {
        "dense" => Ok(LayerSpec::Dense { units: units(value)?, activation: activation(m.get("activation"))? }),
        _ if m.contains_key("activation") => Err(format!("`activation` belongs to `dense` layers, not `{kind}`")),
        "dropout" => match value.as_f64() {
            Some(rate) if (0.0..1.0).contains(&rate) => Ok(LayerSpec::Dropout { rate }),
            _ => Err(format!("`dropout` is a rate in [0, 1), found `{value}`")),
        },
        "layer_norm" => match value {
            Value::Bool(true) => Ok(LayerSpec::LayerNorm),
            _ => Err(format!("write `{{layer_norm: true}}`, found `{value}`")),
        },
        other => Err(format!(
            "unknown layer `{other}`{}; expected one of {LAYER_KINDS:?}",
            hint(&did_you_mean(other, LAYER_KINDS.iter().copied()))
        )),
    }
}

fn units(v: &Value) -> Result<usize, String> {
    match v.as_u64() {
        Some(n) if (1..=1_000_000).contains(&n) => Ok(n as usize),
        _ => Err(format!("a dense layer has a whole number of units in 1..=1000000, found `{v}`")),
    }
}

fn activation(v: Option<&Value>) -> Result<Activation, String> {
    let Some(v) = v else { return Ok(Activation::Elu) };
    let name = v.as_str().unwrap_or_default();
    serde_json::from_value(v.clone()).map_err(|_| {
        format!(
            "unknown activation `{v}`{}; expected one of {ACTIVATIONS:?}",
            hint(&did_you_mean(name, ACTIVATIONS.iter().copied()))
        )
    })
}

/// Serde glue so that layer lists can sit in the hyperparameter structs.
pub mod list {
    use super::*;

    pub fn serialize<S: Serializer>(layers: &[LayerSpec], s: S) -> Result<S::Ok, S::Error> {
        Value::Array(layers.iter().map(LayerSpec::to_json).collect()).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<LayerSpec>, D::Error> {
        let Value::Array(items) = Value::deserialize(d)? else {
            return Err(D::Error::custom("expected a list of layers, e.g. `[200, 200, 200]`"));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, v)| LayerSpec::from_json(v).map_err(|m| D::Error::custom(format!("layer {}: {m}", i + 1))))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> Result<LayerSpec, String> {
        LayerSpec::from_json(&v)
    }

    #[test]
    fn shorthand_and_long_forms_agree() {
        assert_eq!(parse(json!(200)), parse(json!({"dense": 200, "activation": "elu"})));
        assert_eq!(parse(json!({"dropout": 0.2})), Ok(LayerSpec::Dropout { rate: 0.2 }));
        assert_eq!(parse(json!("layer_norm")), Ok(LayerSpec::LayerNorm));
    }

    #[test]
    fn round_trips_through_json() {
        for spec in [
            LayerSpec::Dense { units: 7, activation: Activation::Tanh },
            LayerSpec::Dropout { rate: 0.5 },
            LayerSpec::LayerNorm,
        ] {
            assert_eq!(LayerSpec::from_json(&spec.to_json()), Ok(spec));
        }
    }

    /// The listed names (which the schema and "did you mean" use) are exactly
    /// the ones the enum accepts, and each layer kind parses.
    #[test]
    fn the_name_lists_match_the_types() {
        for name in ACTIVATIONS {
            let a: Activation = serde_json::from_value(json!(name)).unwrap();
            assert_eq!(serde_json::to_value(a).unwrap(), json!(name));
        }
        let examples = [json!({"dense": 3}), json!({"dropout": 0.1}), json!({"layer_norm": true})];
        for (kind, example) in LAYER_KINDS.iter().zip(examples) {
            assert!(example.get(kind).is_some() && parse(example).is_ok(), "{kind}");
        }
    }

    #[test]
    fn mistakes_are_named() {
        insta::assert_snapshot!(parse(json!({"dense": 200, "activation": "elus"})).unwrap_err(), @r#"unknown activation `"elus"` (did you mean `elu`?); expected one of ["elu", "relu", "tanh", "sigmoid", "linear"]"#);
        insta::assert_snapshot!(parse(json!({"dropot": 0.1})).unwrap_err(), @r#"unknown layer `dropot` (did you mean `dropout`?); expected one of ["dense", "dropout", "layer_norm"]"#);
        insta::assert_snapshot!(parse(json!({"dropout": 1.5})).unwrap_err(), @"`dropout` is a rate in [0, 1), found `1.5`");
        insta::assert_snapshot!(parse(json!(0)).unwrap_err(), @"a dense layer has a whole number of units in 1..=1000000, found `0`");
        insta::assert_snapshot!(parse(json!({"dropout": 0.1, "activation": "elu"})).unwrap_err(), @"`activation` belongs to `dense` layers, not `dropout`");
    }
}
