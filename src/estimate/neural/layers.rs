//! The layer language of the YAML: what a network's representation, heads and
//! structured-covariate encoder are made of, parsed by hand so that every
//! mistake gets a precise message.
//!
//! A layer is written `{dense: 200, activation: elu}`, `{dropout: 0.1}` or
//! `{layer_norm: true}`; a bare integer `200` is shorthand for a dense layer with
//! ELU, the activation of both cfrnet and DragonNet. Layers that read sequences
//! and images (`conv1d`, `conv2d`, `max_pool`, `avg_pool`, `gru`, `lstm`,
//! `flatten`) follow the same pattern: the kind's key holds its main number and
//! its options sit beside it, `{conv1d: 8, kernel: 3, stride: 1, padding: 0}`.
//! Which layer may follow which is `shape.rs`'s business; the estimators only
//! ever see a `&[LayerSpec]`.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

use crate::suggest::{did_you_mean, hint};

/// One layer of a representation, a head or an encoder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LayerSpec {
    /// Fully connected layer with `units` outputs followed by `activation`.
    Dense { units: usize, activation: Activation },
    /// Inverted dropout dropping each unit with probability `rate` while training.
    Dropout { rate: f64 },
    /// Layer normalisation over the features, with learned scale and shift.
    LayerNorm,
    /// Convolution over the steps of a sequence (`dims: 1`) or the pixels of an
    /// image (`dims: 2`, a square kernel), zero `padding` on each side, then `activation`.
    Conv { dims: u8, filters: usize, kernel: usize, stride: usize, padding: usize, activation: Activation },
    /// Non-overlapping pooling windows of `size` steps (or `size × size` pixels).
    Pool { op: PoolOp, size: usize },
    /// A recurrent stack reading a sequence step by step; its output is a vector.
    Recurrent { cell: Cell, units: usize, layers: usize, bidirectional: bool, output: Readout },
    /// A sequence or an image as one vector (channel-major).
    Flatten,
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolOp {
    Max,
    Avg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cell {
    Gru,
    Lstm,
}

/// What a recurrent stack hands on: the last step's hidden state (for a
/// bidirectional stack, the forward direction's last and the backward
/// direction's first) or the mean of the top layer's states over the steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Readout {
    Last,
    Mean,
}

/// Every activation's name as written in an experiment file (the schema lists these).
pub const ACTIVATIONS: &[&str] = &["elu", "relu", "tanh", "sigmoid", "linear"];
/// Every layer kind's key (the schema lists these).
pub const LAYER_KINDS: &[&str] =
    &["dense", "dropout", "layer_norm", "conv1d", "conv2d", "max_pool", "avg_pool", "gru", "lstm", "flatten"];
/// The largest kernel, stride, padding, pooling window or recurrent depth.
pub const MAX_WINDOW: usize = 10_000;

/// `n` dense ELU layers of `units` each: the papers' building block.
pub fn dense_elu(n: usize, units: usize) -> Vec<LayerSpec> {
    vec![LayerSpec::Dense { units, activation: Activation::Elu }; n]
}

impl LayerSpec {
    /// Parse one layer; the message names what was expected.
    pub fn from_json(v: &Value) -> Result<LayerSpec, String> {
        match v {
            Value::Number(_) => Ok(LayerSpec::Dense { units: units("dense", v)?, activation: Activation::Elu }),
            Value::String(s) if s == "layer_norm" => Ok(LayerSpec::LayerNorm),
            Value::String(s) if s == "flatten" => Ok(LayerSpec::Flatten),
            Value::Object(m) => from_object(m),
            other => Err(format!(
                "expected a layer such as `200`, `{{dense: 200, activation: elu}}`, `{{dropout: 0.1}}`, `{{conv1d: 8, kernel: 3}}`, `{{gru: 16}}` or `flatten`, found `{other}`"
            )),
        }
    }

    pub fn to_json(&self) -> Value {
        match *self {
            LayerSpec::Dense { units, activation } => json!({"dense": units, "activation": activation}),
            LayerSpec::Dropout { rate } => json!({ "dropout": rate }),
            LayerSpec::LayerNorm => json!({"layer_norm": true}),
            LayerSpec::Conv { dims, filters, kernel, stride, padding, activation } => json!({
                conv_key(dims): filters, "kernel": kernel, "stride": stride, "padding": padding, "activation": activation
            }),
            LayerSpec::Pool { op, size } => json!({ pool_key(op): size }),
            LayerSpec::Recurrent { cell, units, layers, bidirectional, output } => json!({
                cell_key(cell): units, "layers": layers, "bidirectional": bidirectional, "output": output
            }),
            LayerSpec::Flatten => json!({"flatten": true}),
        }
    }

    /// The key it is written with, for messages.
    pub fn key(&self) -> &'static str {
        match *self {
            LayerSpec::Dense { .. } => "dense",
            LayerSpec::Dropout { .. } => "dropout",
            LayerSpec::LayerNorm => "layer_norm",
            LayerSpec::Conv { dims, .. } => conv_key(dims),
            LayerSpec::Pool { op, .. } => pool_key(op),
            LayerSpec::Recurrent { cell, .. } => cell_key(cell),
            LayerSpec::Flatten => "flatten",
        }
    }
}

fn conv_key(dims: u8) -> &'static str {
    if dims == 1 { "conv1d" } else { "conv2d" }
}

fn pool_key(op: PoolOp) -> &'static str {
    match op {
        PoolOp::Max => "max_pool",
        PoolOp::Avg => "avg_pool",
    }
}

fn cell_key(cell: Cell) -> &'static str {
    match cell {
        Cell::Gru => "gru",
        Cell::Lstm => "lstm",
    }
}

/// The options each kind accepts beside its key.
fn options(kind: &str) -> &'static [&'static str] {
    match kind {
        "dense" => &["activation"],
        "conv1d" | "conv2d" => &["kernel", "stride", "padding", "activation"],
        "gru" | "lstm" => &["layers", "bidirectional", "output"],
        _ => &[],
    }
}

fn from_object(m: &Map<String, Value>) -> Result<LayerSpec, String> {
    let kinds: Vec<&str> = m.keys().map(String::as_str).filter(|k| LAYER_KINDS.contains(k)).collect();
    let kind = match kinds.as_slice() {
        [kind] => *kind,
        [] => {
            let all_options = ["activation", "kernel", "stride", "padding", "layers", "bidirectional", "output"];
            let other = m.keys().map(String::as_str).find(|k| !all_options.contains(k)).unwrap_or("");
            return Err(format!(
                "unknown layer `{other}`{}; expected one of {LAYER_KINDS:?}",
                hint(&did_you_mean(other, LAYER_KINDS.iter().copied()))
            ));
        }
        _ => return Err(format!("a layer has exactly one kind key, found {kinds:?}")),
    };
    let allowed = options(kind);
    if let Some(extra) = m.keys().find(|k| k.as_str() != kind && !allowed.contains(&k.as_str())) {
        return Err(match allowed {
            [] => format!("`{extra}` is not an option of `{kind}`, which takes none"),
            _ => format!(
                "`{extra}` is not an option of `{kind}`{}; its options are {allowed:?}",
                hint(&did_you_mean(extra, allowed.iter().copied()))
            ),
        });
    }
    let value = &m[kind];
    let whole = |key: &str, default: usize, min: usize| count(kind, key, m.get(key), default, min);
    match kind {
        "dense" => Ok(LayerSpec::Dense {
            units: units(kind, value)?,
            activation: activation(m.get("activation"), Activation::Elu)?,
        }),
        "dropout" => match value.as_f64() {
            Some(rate) if (0.0..1.0).contains(&rate) => Ok(LayerSpec::Dropout { rate }),
            _ => Err(format!("`dropout` is a rate in [0, 1), found `{value}`")),
        },
        "layer_norm" | "flatten" => match value {
            Value::Bool(true) => Ok(if kind == "flatten" { LayerSpec::Flatten } else { LayerSpec::LayerNorm }),
            _ => Err(format!("write `{{{kind}: true}}` or `{kind}`, found `{value}`")),
        },
        "conv1d" | "conv2d" => Ok(LayerSpec::Conv {
            dims: if kind == "conv1d" { 1 } else { 2 },
            filters: count(kind, kind, Some(value), 0, 1)?,
            kernel: whole("kernel", 3, 1)?,
            stride: whole("stride", 1, 1)?,
            padding: whole("padding", 0, 0)?,
            activation: activation(m.get("activation"), Activation::Relu)?,
        }),
        "max_pool" | "avg_pool" => Ok(LayerSpec::Pool {
            op: if kind == "max_pool" { PoolOp::Max } else { PoolOp::Avg },
            size: count(kind, kind, Some(value), 0, 1)?,
        }),
        _ => Ok(LayerSpec::Recurrent {
            cell: if kind == "gru" { Cell::Gru } else { Cell::Lstm },
            units: units(kind, value)?,
            layers: whole("layers", 1, 1)?,
            bidirectional: match m.get("bidirectional") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(v) => return Err(format!("`bidirectional` is true or false, found `{v}`")),
            },
            output: match m.get("output") {
                None => Readout::Last,
                Some(v) => serde_json::from_value(v.clone())
                    .map_err(|_| format!("`output` of `{kind}` is `last` or `mean`, found `{v}`"))?,
            },
        }),
    }
}

/// A whole number in `min..=MAX_WINDOW`, or `default` when absent (`default` 0: required).
fn count(kind: &str, key: &str, v: Option<&Value>, default: usize, min: usize) -> Result<usize, String> {
    let Some(v) = v else { return Ok(default) };
    match v.as_u64() {
        Some(n) if (min as u64..=MAX_WINDOW as u64).contains(&n) => Ok(n as usize),
        _ if key == kind => Err(format!("`{kind}` is a whole number in {min}..={MAX_WINDOW}, found `{v}`")),
        _ => Err(format!("`{key}` of `{kind}` is a whole number in {min}..={MAX_WINDOW}, found `{v}`")),
    }
}

fn units(kind: &str, v: &Value) -> Result<usize, String> {
    match v.as_u64() {
        Some(n) if (1..=1_000_000).contains(&n) => Ok(n as usize),
        _ if kind == "dense" => Err(format!("a dense layer has a whole number of units in 1..=1000000, found `{v}`")),
        _ => Err(format!("`{kind}` has a whole number of units in 1..=1000000, found `{v}`")),
    }
}

fn activation(v: Option<&Value>, default: Activation) -> Result<Activation, String> {
    let Some(v) = v else { return Ok(default) };
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
        assert_eq!(parse(json!("flatten")), parse(json!({"flatten": true})));
        // The defaults: kernel 3, stride 1, no padding, ReLU; one forward GRU layer read at its last step.
        assert_eq!(
            parse(json!({"conv1d": 8})),
            Ok(LayerSpec::Conv { dims: 1, filters: 8, kernel: 3, stride: 1, padding: 0, activation: Activation::Relu })
        );
        assert_eq!(
            parse(json!({"gru": 16})),
            Ok(LayerSpec::Recurrent {
                cell: Cell::Gru,
                units: 16,
                layers: 1,
                bidirectional: false,
                output: Readout::Last
            })
        );
    }

    #[test]
    fn round_trips_through_json() {
        for spec in [
            LayerSpec::Dense { units: 7, activation: Activation::Tanh },
            LayerSpec::Dropout { rate: 0.5 },
            LayerSpec::LayerNorm,
            LayerSpec::Conv { dims: 2, filters: 4, kernel: 5, stride: 2, padding: 1, activation: Activation::Elu },
            LayerSpec::Pool { op: PoolOp::Avg, size: 3 },
            LayerSpec::Recurrent { cell: Cell::Lstm, units: 9, layers: 2, bidirectional: true, output: Readout::Mean },
            LayerSpec::Flatten,
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
        let examples = [
            json!({"dense": 3}),
            json!({"dropout": 0.1}),
            json!({"layer_norm": true}),
            json!({"conv1d": 4}),
            json!({"conv2d": 4, "kernel": 5}),
            json!({"max_pool": 2}),
            json!({"avg_pool": 2}),
            json!({"gru": 8}),
            json!({"lstm": 8, "bidirectional": true}),
            json!({"flatten": true}),
        ];
        assert_eq!(examples.len(), LAYER_KINDS.len());
        for (kind, example) in LAYER_KINDS.iter().zip(examples) {
            let spec = parse(example.clone()).unwrap();
            assert!(example.get(kind).is_some() && spec.key() == *kind, "{kind}");
        }
    }

    #[test]
    fn mistakes_are_named() {
        insta::assert_snapshot!(parse(json!({"dense": 200, "activation": "elus"})).unwrap_err(), @r#"unknown activation `"elus"` (did you mean `elu`?); expected one of ["elu", "relu", "tanh", "sigmoid", "linear"]"#);
        insta::assert_snapshot!(parse(json!({"dropot": 0.1})).unwrap_err(), @r#"unknown layer `dropot` (did you mean `dropout`?); expected one of ["dense", "dropout", "layer_norm", "conv1d", "conv2d", "max_pool", "avg_pool", "gru", "lstm", "flatten"]"#);
        insta::assert_snapshot!(parse(json!({"dropout": 1.5})).unwrap_err(), @"`dropout` is a rate in [0, 1), found `1.5`");
        insta::assert_snapshot!(parse(json!(0)).unwrap_err(), @"a dense layer has a whole number of units in 1..=1000000, found `0`");
        insta::assert_snapshot!(parse(json!({"dropout": 0.1, "activation": "elu"})).unwrap_err(), @"`activation` is not an option of `dropout`, which takes none");
        insta::assert_snapshot!(parse(json!({"conv1d": 8, "kernal": 3})).unwrap_err(), @r#"`kernal` is not an option of `conv1d` (did you mean `kernel`?); its options are ["kernel", "stride", "padding", "activation"]"#);
        insta::assert_snapshot!(parse(json!({"gru": 8, "output": "first"})).unwrap_err(), @r#"`output` of `gru` is `last` or `mean`, found `"first"`"#);
        insta::assert_snapshot!(parse(json!({"max_pool": 0})).unwrap_err(), @"`max_pool` is a whole number in 1..=10000, found `0`");
        insta::assert_snapshot!(parse(json!({"conv2d": 8, "max_pool": 2})).unwrap_err(), @r#"a layer has exactly one kind key, found ["conv2d", "max_pool"]"#);
    }
}
