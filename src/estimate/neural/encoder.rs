//! The encoder of structured covariates, as declared: which covariate columns
//! hold a sequence or an image, its shape, and the layers that turn it into a
//! vector. The network (`encode.rs`) concatenates that vector with the other
//! (tabular) covariates before the representation layers, so every neural kind
//! accepts an encoder without knowing what is inside it.
//!
//! ```yaml
//! encoder:
//!   columns: {sequence: hr}  # a sequence's steps hr[1], hr[2], ...; or {prefix: hr_}; or a list of names
//!   shape: [1, 12]           # [channels, steps] or [channels, height, width], channel-major
//!   layers: [{conv1d: 8, kernel: 3}, {max_pool: 2}, flatten, {dense: 16}]
//! ```
//!
//! Errors name their place as a backticked path (`encoder.layers[2]`), which
//! `spec::cross_check` turns into the file, line and column of that layer.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value, json};

use super::layers::LayerSpec;
use super::shape::{self, Shape};
use crate::suggest::{did_you_mean, hint};

/// Which covariates feed the encoder.
#[derive(Debug, Clone, PartialEq)]
pub enum Columns {
    /// These covariates, in this order.
    Names(Vec<String>),
    /// Every covariate named `prefix` followed by a number, in the order of the numbers.
    Prefix(String),
    /// The steps `name[1]`, `name[2]`, ... of a sequence, in step order.
    Sequence(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct EncoderSpec {
    pub columns: Columns,
    /// `[channels, steps]` or `[channels, height, width]`.
    pub dims: Vec<usize>,
    pub layers: Vec<LayerSpec>,
}

const KEYS: &[&str] = &["columns", "shape", "layers"];
/// The most numbers one unit's structured covariates may hold.
const MAX_INPUT: usize = 1_000_000;

impl EncoderSpec {
    pub fn shape(&self) -> Shape {
        // Invariant: `from_json` accepts two or three dimensions only.
        Shape::from_dims(&self.dims).expect("validated encoder shape")
    }

    pub fn from_json(v: &Value) -> Result<EncoderSpec, String> {
        let Value::Object(m) = v else {
            return Err(format!("`encoder`: expected a mapping with `columns`, `shape` and `layers`, found `{v}`"));
        };
        if let Some(k) = m.keys().find(|k| !KEYS.contains(&k.as_str())) {
            return Err(format!(
                "`encoder.{k}`: unknown key{}; expected one of {KEYS:?}",
                hint(&did_you_mean(k, KEYS.iter().copied()))
            ));
        }
        let columns = columns(m)?;
        let dims = dims(m)?;
        if let Columns::Names(names) = &columns {
            let size: usize = dims.iter().product();
            if names.len() != size {
                return Err(format!(
                    "`encoder.columns`: lists {} covariates, but the shape {dims:?} holds {size} numbers",
                    names.len()
                ));
            }
        }
        let Some(Value::Array(items)) = m.get("layers") else {
            return Err("`encoder.layers`: expected a list of layers, e.g. `[{conv1d: 8}, flatten]`".into());
        };
        let layers = items
            .iter()
            .enumerate()
            .map(|(i, l)| LayerSpec::from_json(l).map_err(|e| format!("`encoder.layers[{i}]`: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(EncoderSpec { columns, dims, layers })
    }

    pub fn to_json(&self) -> Value {
        let columns = match &self.columns {
            Columns::Names(names) => json!(names),
            Columns::Prefix(p) => json!({ "prefix": p }),
            Columns::Sequence(s) => json!({ "sequence": s }),
        };
        let layers: Vec<Value> = self.layers.iter().map(LayerSpec::to_json).collect();
        json!({ "columns": columns, "shape": self.dims, "layers": layers })
    }

    /// The encoder's output width, or the layer that cannot read its input.
    pub fn out_dim(&self) -> Result<usize, String> {
        match shape::infer(self.shape(), &self.layers) {
            Ok(Shape::Vector(Some(n))) => Ok(n),
            Ok(other) => {
                Err(format!("`encoder.layers`: the encoder ends on {other}; end it with `flatten`, `gru` or `lstm`"))
            }
            Err((i, m)) => Err(format!("`encoder.layers[{i}]`: {m}")),
        }
    }

    /// The indices, among `names` (the run's covariates), of the encoder's
    /// columns in the order of the shape; the rest stay tabular.
    pub fn select(&self, names: &[String]) -> Result<Vec<usize>, String> {
        let want: usize = self.dims.iter().product();
        let found: Vec<usize> = match &self.columns {
            Columns::Names(cols) => cols
                .iter()
                .map(|c| {
                    names.iter().position(|n| n == c).ok_or_else(|| {
                        format!("encoder column `{c}` is not among the covariates ({})", names.join(", "))
                    })
                })
                .collect::<Result<_, _>>()?,
            Columns::Prefix(prefix) => {
                let mut numbered: Vec<(u64, usize)> = names
                    .iter()
                    .enumerate()
                    .filter_map(|(i, n)| Some((n.strip_prefix(prefix.as_str())?.parse::<u64>().ok()?, i)))
                    .collect();
                numbered.sort_unstable();
                numbered.into_iter().map(|(_, i)| i).collect()
            }
            Columns::Sequence(name) => crate::data::sequence::step_columns(names, name),
        };
        if found.len() != want {
            return Err(format!(
                "the encoder's shape {:?} needs {want} covariates, {} {} found",
                self.dims,
                found.len(),
                if found.len() == 1 { "was" } else { "were" }
            ));
        }
        Ok(found)
    }
}

fn columns(m: &Map<String, Value>) -> Result<Columns, String> {
    let bad = |v: &Value| {
        format!(
            "`encoder.columns`: expected a list of covariate names, `{{sequence: name}}` or `{{prefix: name_}}`, found `{v}`"
        )
    };
    match m.get("columns") {
        None => Err("`encoder.columns`: missing; name the covariates, e.g. `{prefix: hr_}` or `[hr_1, hr_2]`".into()),
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(|| bad(v)))
            .collect::<Result<_, _>>()
            .map(Columns::Names),
        Some(Value::Object(p)) if p.len() == 1 => match (p.get("prefix"), p.get("sequence")) {
            (Some(Value::String(s)), _) if !s.is_empty() => Ok(Columns::Prefix(s.clone())),
            (_, Some(Value::String(s))) if !s.is_empty() => Ok(Columns::Sequence(s.clone())),
            _ => Err(bad(&Value::Object(p.clone()))),
        },
        Some(v) => Err(bad(v)),
    }
}

fn dims(m: &Map<String, Value>) -> Result<Vec<usize>, String> {
    let bad = |v: &Value| {
        format!(
            "`encoder.shape`: expected `[channels, steps]` or `[channels, height, width]` of whole numbers >= 1, found `{v}`"
        )
    };
    let Some(v) = m.get("shape") else { return Err(bad(&Value::Null)) };
    let Value::Array(items) = v else { return Err(bad(v)) };
    let dims: Vec<usize> = items
        .iter()
        .map(|d| d.as_u64().filter(|&n| n >= 1 && n <= MAX_INPUT as u64).map(|n| n as usize))
        .collect::<Option<_>>()
        .ok_or_else(|| bad(v))?;
    if !(2..=3).contains(&dims.len())
        || dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d)).is_none_or(|n| n > MAX_INPUT)
    {
        return Err(bad(v));
    }
    Ok(dims)
}

/// The layer lists of a network, checked from the encoder (if any) to the heads:
/// each error starts with the backticked path of the offending layer.
pub fn check_stacks(encoder: Option<&EncoderSpec>, stacks: &[(&str, &[LayerSpec])]) -> Result<(), String> {
    if let Some(e) = encoder {
        e.out_dim()?;
    }
    for (name, layers) in stacks {
        shape::infer(Shape::Vector(None), layers).map_err(|(i, m)| format!("`{name}[{i}]`: {m}"))?;
    }
    Ok(())
}

/// Serde glue for `Option<EncoderSpec>` in the hyperparameter structs.
pub mod optional {
    use super::*;

    pub fn serialize<S: Serializer>(e: &Option<EncoderSpec>, s: S) -> Result<S::Ok, S::Error> {
        e.as_ref().map(EncoderSpec::to_json).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<EncoderSpec>, D::Error> {
        match Value::deserialize(d)? {
            Value::Null => Ok(None),
            v => EncoderSpec::from_json(&v).map(Some).map_err(D::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: Value) -> Result<EncoderSpec, String> {
        EncoderSpec::from_json(&v)
    }

    #[test]
    fn round_trips_and_selects_columns_by_number() {
        let e = parse(json!({"columns": {"prefix": "v"}, "shape": [1, 3], "layers": [{"gru": 4}]})).unwrap();
        assert_eq!(parse(e.to_json()), Ok(e.clone()));
        assert_eq!(e.out_dim(), Ok(4));
        // v10 sorts after v2 (numbers, not text); `age` and `vx` stay tabular.
        let names: Vec<String> = ["v10", "age", "v2", "vx", "v1"].iter().map(|s| s.to_string()).collect();
        assert_eq!(e.select(&names), Ok(vec![4, 2, 0]));
        let short: Vec<String> = ["v1", "v2"].iter().map(|s| s.to_string()).collect();
        insta::assert_snapshot!(e.select(&short).unwrap_err(), @"the encoder's shape [1, 3] needs 3 covariates, 2 were found");
    }

    #[test]
    fn mistakes_name_their_place() {
        let layers = json!([{"conv1d": 4}, "flatten"]);
        insta::assert_snapshot!(parse(json!({"columns": ["a"], "shape": [1, 2], "layers": layers})).unwrap_err(), @"`encoder.columns`: lists 1 covariates, but the shape [1, 2] holds 2 numbers");
        insta::assert_snapshot!(parse(json!({"columns": ["a"], "shape": [1], "layers": layers})).unwrap_err(), @"`encoder.shape`: expected `[channels, steps]` or `[channels, height, width]` of whole numbers >= 1, found `[1]`");
        insta::assert_snapshot!(parse(json!({"colums": ["a"]})).unwrap_err(), @r#"`encoder.colums`: unknown key (did you mean `columns`?); expected one of ["columns", "shape", "layers"]"#);
        insta::assert_snapshot!(parse(json!({"columns": {"prefix": "v"}, "shape": [1, 5], "layers": [{"conv1d": 4}, {"dens": 3}]})).unwrap_err(), @r#"`encoder.layers[1]`: unknown layer `dens` (did you mean `dense`?); expected one of ["dense", "dropout", "layer_norm", "conv1d", "conv2d", "max_pool", "avg_pool", "gru", "lstm", "flatten"]"#);
        let open = parse(json!({"columns": {"prefix": "v"}, "shape": [1, 5], "layers": [{"conv1d": 4}]})).unwrap();
        insta::assert_snapshot!(open.out_dim().unwrap_err(), @"`encoder.layers`: the encoder ends on a sequence of 3 steps × 4 channels; end it with `flatten`, `gru` or `lstm`");
        insta::assert_snapshot!(check_stacks(None, &[("head", &[LayerSpec::Flatten, LayerSpec::Pool { op: super::super::layers::PoolOp::Max, size: 2 }])]).unwrap_err(), @"`head[1]`: `max_pool` needs a sequence or an image, found a vector of features; layers that read sequences and images belong under `encoder.layers`");
    }
}
