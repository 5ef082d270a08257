//! Shape inference over a layer list, done when an experiment is checked: what
//! each layer receives and hands on, so that a stack that cannot run (a dense
//! layer straight on a sequence, a kernel longer than its sequence, a pooling
//! that empties a dimension) is refused with the index of the offending layer
//! before any run starts. The networks (`mlp.rs`, `conv.rs`, `recurrent.rs`)
//! build from the same walk, so what is checked is what is built.

use std::fmt;

use super::layers::{LayerSpec, PoolOp};
use super::mlp::MAX_LAYER_WEIGHTS;

/// What flows between two layers, for one unit (the batch dimension aside).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Features; `None` when the width comes from the data (the tabular covariates).
    Vector(Option<usize>),
    /// `steps` time steps of `channels` values each.
    Sequence { channels: usize, steps: usize },
    /// `channels` planes of `height × width` pixels.
    Image { channels: usize, height: usize, width: usize },
}

impl Shape {
    /// The shape of an encoder's input as written (`[channels, steps]` or
    /// `[channels, height, width]`).
    pub fn from_dims(dims: &[usize]) -> Option<Shape> {
        match *dims {
            [channels, steps] => Some(Shape::Sequence { channels, steps }),
            [channels, height, width] => Some(Shape::Image { channels, height, width }),
            _ => None,
        }
    }

    /// How many numbers one unit carries (unknown for a data-sized vector).
    pub fn size(&self) -> Option<usize> {
        match *self {
            Shape::Vector(n) => n,
            Shape::Sequence { channels, steps } => Some(channels * steps),
            Shape::Image { channels, height, width } => Some(channels * height * width),
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Shape::Vector(Some(n)) => write!(f, "a vector of {n} features"),
            Shape::Vector(None) => write!(f, "a vector of features"),
            Shape::Sequence { channels, steps } => write!(f, "a sequence of {steps} steps × {channels} channels"),
            Shape::Image { channels, height, width } => {
                write!(f, "an image of {channels} channels × {height} × {width} pixels")
            }
        }
    }
}

/// The shape after `spec` reads `input`, or why it cannot.
pub fn after(spec: &LayerSpec, input: Shape) -> Result<Shape, String> {
    let key = spec.key();
    match (*spec, input) {
        (LayerSpec::Dense { units, .. }, Shape::Vector(n)) => {
            if let Some(n) = n {
                let weights = n.saturating_mul(units);
                if weights > MAX_LAYER_WEIGHTS {
                    return Err(format!(
                        "a dense layer of {units} units on {n} inputs has {weights} weights, more than the limit of {MAX_LAYER_WEIGHTS}; pool or narrow first"
                    ));
                }
            }
            Ok(Shape::Vector(Some(units)))
        }
        (LayerSpec::LayerNorm, Shape::Vector(n)) => Ok(Shape::Vector(n)),
        (LayerSpec::Dense { .. } | LayerSpec::LayerNorm, other) => {
            Err(format!("`{key}` needs a vector of features, found {other}; put `flatten`, `gru` or `lstm` before it"))
        }
        (LayerSpec::Dropout { .. }, shape) => Ok(shape),
        (LayerSpec::Flatten, shape) => Ok(Shape::Vector(shape.size())),
        (LayerSpec::Conv { dims: 1, filters, kernel, stride, padding, .. }, Shape::Sequence { channels, steps }) => {
            check_weights(key, channels * kernel, filters)?;
            let steps = window(key, "sequence", steps, kernel, stride, padding)?;
            Ok(Shape::Sequence { channels: filters, steps })
        }
        (
            LayerSpec::Conv { dims: 2, filters, kernel, stride, padding, .. },
            Shape::Image { channels, height, width },
        ) => {
            check_weights(key, channels * kernel * kernel, filters)?;
            let height = window(key, "image's height", height, kernel, stride, padding)?;
            let width = window(key, "image's width", width, kernel, stride, padding)?;
            Ok(Shape::Image { channels: filters, height, width })
        }
        (LayerSpec::Conv { dims, .. }, other) => {
            let wants = if dims == 1 { "a sequence" } else { "an image" };
            Err(format!("`{key}` needs {wants}, found {other}{}", where_to(other)))
        }
        (LayerSpec::Pool { op, size }, Shape::Sequence { channels, steps }) => {
            Ok(Shape::Sequence { channels, steps: pooled(op, size, "sequence", steps)? })
        }
        (LayerSpec::Pool { op, size }, Shape::Image { channels, height, width }) => Ok(Shape::Image {
            channels,
            height: pooled(op, size, "image's height", height)?,
            width: pooled(op, size, "image's width", width)?,
        }),
        (LayerSpec::Pool { .. }, other) => {
            Err(format!("`{key}` needs a sequence or an image, found {other}{}", where_to(other)))
        }
        (LayerSpec::Recurrent { units, layers, bidirectional, .. }, Shape::Sequence { channels, .. }) => {
            let directions = if bidirectional { 2 } else { 1 };
            // Gates of every layer: 3 (GRU) or 4 (LSTM) × units × (inputs + units).
            let widest = channels.max(units * directions);
            check_weights(key, 4 * (widest + units), units.saturating_mul(layers * directions))?;
            Ok(Shape::Vector(Some(units * directions)))
        }
        (LayerSpec::Recurrent { .. }, other) => {
            Err(format!("`{key}` needs a sequence, found {other}{}", where_to(other)))
        }
    }
}

fn where_to(shape: Shape) -> &'static str {
    match shape {
        Shape::Vector(_) => "; layers that read sequences and images belong under `encoder.layers`",
        _ => "",
    }
}

/// Output length of a window of `kernel` sliding by `stride` over `len` padded by `padding`.
fn window(key: &str, what: &str, len: usize, kernel: usize, stride: usize, padding: usize) -> Result<usize, String> {
    let padded = len + 2 * padding;
    if kernel > padded {
        return Err(format!(
            "the kernel of `{key}` ({kernel}) is longer than the {what} ({len}{})",
            if padding > 0 { format!(", {padded} with padding") } else { String::new() }
        ));
    }
    Ok((padded - kernel) / stride + 1)
}

fn pooled(op: PoolOp, size: usize, what: &str, len: usize) -> Result<usize, String> {
    let key = LayerSpec::Pool { op, size }.key();
    match len / size {
        0 => Err(format!("`{key}: {size}` empties the {what} ({len} long); use a window of at most {len}")),
        n => Ok(n),
    }
}

fn check_weights(key: &str, fan_in: usize, out: usize) -> Result<(), String> {
    let n = fan_in.saturating_mul(out);
    if n > MAX_LAYER_WEIGHTS {
        return Err(format!("`{key}` has {n} weights, more than the limit of {MAX_LAYER_WEIGHTS}"));
    }
    Ok(())
}

/// The shape at the end of `layers` on `input`, or the index of the first layer
/// that cannot read what it receives and why.
pub fn infer(input: Shape, layers: &[LayerSpec]) -> Result<Shape, (usize, String)> {
    layers.iter().enumerate().try_fold(input, |shape, (i, spec)| after(spec, shape).map_err(|m| (i, m)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::neural::layers::LayerSpec;
    use serde_json::json;

    fn stack(v: serde_json::Value) -> Vec<LayerSpec> {
        v.as_array().unwrap().iter().map(|l| LayerSpec::from_json(l).unwrap()).collect()
    }

    fn seq(channels: usize, steps: usize) -> Shape {
        Shape::Sequence { channels, steps }
    }

    #[test]
    fn shapes_follow_the_textbook_formulas() {
        let conv = stack(json!([{"conv1d": 8, "kernel": 5, "stride": 2, "padding": 1}, {"max_pool": 2}, "flatten", 4]));
        // (20 + 2 - 5) / 2 + 1 = 9 steps; pooled by 2: 4; flattened: 32; dense: 4.
        assert_eq!(infer(seq(3, 20), &conv[..1]), Ok(seq(8, 9)));
        assert_eq!(infer(seq(3, 20), &conv[..2]), Ok(seq(8, 4)));
        assert_eq!(infer(seq(3, 20), &conv[..3]), Ok(Shape::Vector(Some(32))));
        assert_eq!(infer(seq(3, 20), &conv), Ok(Shape::Vector(Some(4))));
        let image = Shape::Image { channels: 1, height: 28, width: 28 };
        let cnn = stack(json!([{"conv2d": 6, "kernel": 5}, {"avg_pool": 2}, "flatten"]));
        assert_eq!(infer(image, &cnn), Ok(Shape::Vector(Some(6 * 12 * 12))));
        let rnn = stack(json!([{"lstm": 7, "bidirectional": true}]));
        assert_eq!(infer(seq(2, 10), &rnn), Ok(Shape::Vector(Some(14))));
    }

    #[test]
    fn invalid_stacks_name_the_layer_and_the_reason() {
        let message = |input: Shape, v: serde_json::Value| {
            let (i, m) = infer(input, &stack(v)).unwrap_err();
            format!("layer {i}: {m}")
        };
        insta::assert_snapshot!(message(seq(1, 12), json!([{"gru": 4}, 8, {"conv1d": 2}])), @"layer 2: `conv1d` needs a sequence, found a vector of 8 features; layers that read sequences and images belong under `encoder.layers`");
        insta::assert_snapshot!(message(seq(1, 12), json!([{"conv1d": 4, "kernel": 3}, 16])), @"layer 1: `dense` needs a vector of features, found a sequence of 10 steps × 4 channels; put `flatten`, `gru` or `lstm` before it");
        insta::assert_snapshot!(message(seq(1, 4), json!([{"conv1d": 4, "kernel": 5}])), @"layer 0: the kernel of `conv1d` (5) is longer than the sequence (4)");
        insta::assert_snapshot!(message(seq(1, 6), json!([{"conv1d": 4, "kernel": 3}, {"max_pool": 5}])), @"layer 1: `max_pool: 5` empties the sequence (4 long); use a window of at most 4");
        insta::assert_snapshot!(message(Shape::Vector(None), json!([200, {"lstm": 4}])), @"layer 1: `lstm` needs a sequence, found a vector of 200 features; layers that read sequences and images belong under `encoder.layers`");
        insta::assert_snapshot!(message(seq(1, 6), json!([{"conv2d": 4}])), @"layer 0: `conv2d` needs an image, found a sequence of 6 steps × 1 channels");
    }
}
