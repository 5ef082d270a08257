//! Turns a list of `LayerSpec`s into parameters in a `VarStore` and a forward pass.
//!
//! Initial weights and dropout masks are drawn on the host from the run's RNG and
//! copied in, so nothing ever touches libtorch's process-global generator.

use rand::Rng;
use rand_distr::{Distribution, Normal, Uniform};
use tch::{Device, Kind, Tensor, nn};

use super::conv::{self, Conv};
use super::layers::{Activation, LayerSpec};
use super::recurrent::Recurrent;
use super::shape::{self, Shape};
use crate::rng::RunRng;

/// How a dense layer's initial weights are drawn (biases start at zero).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Init {
    /// N(0, (scale / sqrt(fan_in))^2), cfrnet's scheme.
    ScaledNormal(f64),
    /// N(0, std^2), Keras' `RandomNormal` (std 0.05) used in DragonNet's body.
    Normal(f64),
    /// U(-a, a) with a = sqrt(6 / (fan_in + fan_out)), Keras' default.
    GlorotUniform,
}

/// Whether a forward pass trains (dropout active, masks from `rng`) or predicts.
pub enum Mode<'a> {
    Train(&'a mut RunRng),
    Eval,
}

/// A built layer. Its tensors are `[in, out]`, `[out]` and `[dim]` here, and
/// carry a leading member dimension in packed networks (`pack/net.rs`).
// `LayerNorm` is the layer's usual name, not a repetition of the enum's.
#[allow(clippy::enum_variant_names)]
pub(super) enum Layer {
    Dense { w: Tensor, b: Tensor, activation: Activation },
    Dropout { rate: f64 },
    LayerNorm { gamma: Tensor, beta: Tensor, dim: i64 },
    Conv(Conv),
    Pool { op: super::layers::PoolOp, size: i64, dims: u8 },
    Recurrent(Recurrent),
    Flatten,
}

/// A stack of layers; its output width is `out_dim`.
pub struct Mlp {
    layers: Vec<Layer>,
    pub out_dim: usize,
}

impl Mlp {
    /// Build the layers of `specs` on top of an `in_dim`-wide input, then, if
    /// `output` is given, a final linear layer of that width.
    ///
    /// Fails, rather than aborting, when a layer is too large to allocate: the
    /// widths come from the experiment file, so this is the user's input.
    pub fn new(
        path: &nn::Path,
        in_dim: usize,
        specs: &[LayerSpec],
        output: Option<usize>,
        init: Init,
        rng: &mut RunRng,
    ) -> Result<Mlp, String> {
        Mlp::over(path, Shape::Vector(Some(in_dim)), specs, output, init, rng)
    }

    /// Build the layers of `specs` on an input of `shape` (a sequence or an
    /// image for an encoder); the stack must end on a vector, which validation
    /// (`shape::infer`) has checked for every stack an experiment declares.
    pub fn over(
        path: &nn::Path,
        input: Shape,
        specs: &[LayerSpec],
        output: Option<usize>,
        init: Init,
        rng: &mut RunRng,
    ) -> Result<Mlp, String> {
        let mut layers = Vec::with_capacity(specs.len() + 1);
        let mut shape = input;
        for (i, spec) in specs.iter().enumerate() {
            let (layer, out) = build_layer(&(path / i), spec, shape, init, rng)?;
            layers.push(layer);
            shape = out;
        }
        if let Some(units) = output {
            let spec = LayerSpec::Dense { units, activation: Activation::Linear };
            let (layer, out) = build_layer(&(path / "out"), &spec, shape, init, rng)?;
            layers.push(layer);
            shape = out;
        }
        match shape {
            Shape::Vector(Some(out_dim)) => Ok(Mlp { layers, out_dim }),
            other => Err(format!("a stack of layers ends on {other}, not on a vector")),
        }
    }

    pub fn forward(&self, x: &Tensor, mode: &mut Mode) -> Tensor {
        let mut h = x.shallow_clone();
        for layer in &self.layers {
            h = apply(layer, &h, mode);
        }
        h
    }

    /// Sum of squared dense weights (biases and normalisation excluded).
    pub fn squared_weights(&self) -> Tensor {
        let mut total: Option<Tensor> = None;
        for layer in &self.layers {
            if let Layer::Dense { w, .. } = layer {
                let s = w.square().sum(Kind::Float);
                total = Some(match total {
                    Some(t) => t + s,
                    None => s,
                });
            }
        }
        total.unwrap_or_else(|| Tensor::zeros([], (Kind::Float, Device::Cpu)))
    }
}

/// The most weights one dense layer may hold: 50 million (200 MB of f32, about
/// 800 MB with its gradient and Adam's two moments). The papers' largest layer
/// has 40,000.
pub const MAX_LAYER_WEIGHTS: usize = 50_000_000;

/// Refuse a dense layer larger than [`MAX_LAYER_WEIGHTS`] (the widths come from
/// the experiment file, so this is the user's input).
pub(super) fn check_layer_size(in_dim: usize, units: usize) -> Result<(), String> {
    let n = in_dim.saturating_mul(units);
    if n > MAX_LAYER_WEIGHTS {
        return Err(format!(
            "a dense layer of {units} units on {in_dim} inputs has {n} weights, more than the limit of {MAX_LAYER_WEIGHTS}; use narrower layers"
        ));
    }
    Ok(())
}

fn build_layer(
    path: &nn::Path,
    spec: &LayerSpec,
    input: Shape,
    init: Init,
    rng: &mut RunRng,
) -> Result<(Layer, Shape), String> {
    let torch = |e: tch::TchError| format!("libtorch could not allocate a layer: {e}");
    let out = shape::after(spec, input)?;
    let in_dim = match input {
        Shape::Vector(n) => n.unwrap_or(0),
        _ => 0,
    };
    let channels = match input {
        Shape::Sequence { channels, .. } | Shape::Image { channels, .. } => channels,
        Shape::Vector(_) => 0,
    };
    Ok(match *spec {
        LayerSpec::Dense { units, activation } => {
            check_layer_size(in_dim, units)?;
            let weights = draw_weights(in_dim, units, init, rng)?;
            let w = path
                .f_var_copy(
                    "weight",
                    &Tensor::f_from_slice(&weights)
                        .and_then(|t| t.f_view([in_dim as i64, units as i64]))
                        .map_err(torch)?,
                )
                .map_err(torch)?;
            let b = path.f_zeros("bias", &[units as i64]).map_err(torch)?;
            (Layer::Dense { w, b, activation }, out)
        }
        LayerSpec::Dropout { rate } => (Layer::Dropout { rate }, out),
        LayerSpec::LayerNorm => {
            let dim = in_dim as i64;
            let gamma = path.f_ones("gamma", &[dim]).map_err(torch)?;
            let beta = path.f_zeros("beta", &[dim]).map_err(torch)?;
            (Layer::LayerNorm { gamma, beta, dim }, out)
        }
        LayerSpec::Conv { dims, filters, kernel, stride, padding, activation } => {
            (Layer::Conv(Conv::new(path, dims, channels, filters, kernel, stride, padding, activation, rng)?), out)
        }
        LayerSpec::Pool { op, size } => {
            let dims = if matches!(input, Shape::Image { .. }) { 2 } else { 1 };
            (Layer::Pool { op, size: size as i64, dims }, out)
        }
        LayerSpec::Recurrent { cell, units, layers, bidirectional, output } => {
            (Layer::Recurrent(Recurrent::new(path, cell, channels, units, layers, bidirectional, output, rng)?), out)
        }
        LayerSpec::Flatten => (Layer::Flatten, out),
    })
}

pub(super) fn draw_weights(fan_in: usize, fan_out: usize, init: Init, rng: &mut RunRng) -> Result<Vec<f32>, String> {
    let n = fan_in * fan_out;
    // No covariates (an empty adjustment set): the layer has no weights, and a
    // scale of 1/sqrt(fan_in) would be infinite.
    if n == 0 {
        return Ok(Vec::new());
    }
    // Fallible, so that a machine without the memory gets an error, not an abort.
    let mut weights = Vec::new();
    weights.try_reserve_exact(n).map_err(|e| format!("cannot allocate {n} weights: {e}"))?;
    match init {
        Init::ScaledNormal(scale) => weights.extend(normal(scale / (fan_in as f64).sqrt(), n, rng)),
        Init::Normal(std) => weights.extend(normal(std, n, rng)),
        Init::GlorotUniform => {
            let a = (6.0 / (fan_in + fan_out) as f64).sqrt();
            // Invariant: a > 0 because both widths are at least 1.
            let dist = Uniform::new(-a, a).expect("glorot bound is positive");
            weights.extend((0..n).map(|_| dist.sample(rng) as f32));
        }
    }
    Ok(weights)
}

fn normal(std: f64, n: usize, rng: &mut RunRng) -> impl Iterator<Item = f32> + '_ {
    // Invariant: std is finite and positive (checked when parameters resolve).
    let dist = Normal::new(0.0, std).expect("weight scale is finite and positive");
    (0..n).map(move |_| dist.sample(rng) as f32)
}

fn apply(layer: &Layer, h: &Tensor, mode: &mut Mode) -> Tensor {
    match layer {
        Layer::Dense { w, b, activation } => activate(&(h.matmul(w) + b), *activation),
        Layer::Dropout { rate } => match mode {
            Mode::Train(rng) if *rate > 0.0 => h * dropout_mask(h, *rate, rng),
            _ => h.shallow_clone(),
        },
        Layer::LayerNorm { gamma, beta, dim } => h.layer_norm([*dim], Some(gamma), Some(beta), 1e-5, false),
        Layer::Conv(c) => c.forward(h),
        Layer::Pool { op, size, dims } => conv::pool(h, *op, *size, *dims),
        Layer::Recurrent(r) => r.forward(h),
        Layer::Flatten => h.flatten(1, -1),
    }
}

/// Inverted-dropout mask drawn on the host: 0 with probability `rate`, else 1/(1-rate).
fn dropout_mask(h: &Tensor, rate: f64, rng: &mut RunRng) -> Tensor {
    let keep = 1.0 - rate;
    let scale = (1.0 / keep) as f32;
    let n = h.numel();
    let mask: Vec<f32> = (0..n).map(|_| if rng.random::<f64>() < keep { scale } else { 0.0 }).collect();
    Tensor::from_slice(&mask).view(h.size().as_slice()).to_device(h.device())
}

pub(super) fn activate(z: &Tensor, activation: Activation) -> Tensor {
    match activation {
        Activation::Elu => z.elu(),
        Activation::Relu => z.relu(),
        Activation::Tanh => z.tanh(),
        Activation::Sigmoid => z.sigmoid(),
        Activation::Linear => z.shallow_clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn build(specs: &[LayerSpec], seed: u64) -> (nn::VarStore, Mlp) {
        let vs = nn::VarStore::new(Device::Cpu);
        let mlp =
            Mlp::new(&vs.root(), 3, specs, Some(1), Init::ScaledNormal(0.1), &mut RunRng::seed_from_u64(seed)).unwrap();
        (vs, mlp)
    }

    #[test]
    fn no_inputs_give_a_layer_without_weights() {
        let vs = nn::VarStore::new(Device::Cpu);
        let spec = [LayerSpec::Dense { units: 4, activation: Activation::Elu }];
        let mlp =
            Mlp::new(&vs.root(), 0, &spec, Some(1), Init::ScaledNormal(0.1), &mut RunRng::seed_from_u64(1)).unwrap();
        let y = mlp.forward(&Tensor::zeros([5, 0], (tch::Kind::Float, Device::Cpu)), &mut Mode::Eval);
        assert_eq!(y.size(), vec![5, 1]);
    }

    #[test]
    fn shapes_and_parameter_count_follow_the_specs() {
        let specs = [
            LayerSpec::Dense { units: 4, activation: Activation::Elu },
            LayerSpec::Dropout { rate: 0.5 },
            LayerSpec::LayerNorm,
            LayerSpec::Dense { units: 2, activation: Activation::Tanh },
        ];
        let (vs, mlp) = build(&specs, 1);
        let y = mlp.forward(&Tensor::ones([5, 3], (Kind::Float, Device::Cpu)), &mut Mode::Eval);
        assert_eq!(y.size(), vec![5, 1]);
        // 3*4+4, 4+4 (norm), 4*2+2, 2*1+1
        let count: i64 = vs.trainable_variables().iter().map(Tensor::numel).map(|n| n as i64).sum();
        assert_eq!(count, 16 + 8 + 10 + 3);
    }

    #[test]
    fn weights_come_from_the_run_rng_only() {
        let specs = [LayerSpec::Dense { units: 8, activation: Activation::Relu }];
        let x = Tensor::from_slice(&[0.3f32, -1.0, 2.0]).view([1, 3]);
        tch::manual_seed(1);
        let a = build(&specs, 7).1.forward(&x, &mut Mode::Eval);
        tch::manual_seed(2);
        let b = build(&specs, 7).1.forward(&x, &mut Mode::Eval);
        let c = build(&specs, 8).1.forward(&x, &mut Mode::Eval);
        assert!(a.equal(&b));
        assert!(!a.equal(&c));
    }

    #[test]
    fn dropout_keeps_the_expected_share_and_rescales() {
        let h = Tensor::ones([100, 100], (Kind::Float, Device::Cpu));
        let m = dropout_mask(&h, 0.25, &mut RunRng::seed_from_u64(3));
        let kept = m.gt(0.0).sum(Kind::Float).double_value(&[]) / 10_000.0;
        assert!((kept - 0.75).abs() < 0.02, "kept {kept}");
        assert!((m.max().double_value(&[]) - 1.0 / 0.75).abs() < 1e-6);
    }
}
