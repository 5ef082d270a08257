//! A stack of layers for K networks at once: every parameter carries a leading
//! member dimension (`[K, in, out]` weights, `[K, 1, out]` biases) and every
//! activation is `[K, rows, width]`, so one batched matrix product serves all
//! members. Each member's initial weights and dropout masks come from that
//! member's own stream, drawn in the order the member alone would draw them.
//!
//! Why this keeps a member's bits independent of its pack-mates: the batched
//! products compute each slice with the single product's kernel
//! (`numerics::gemm`), reductions never cross the member dimension, and row
//! counts are padded (`granule`) so that no elementwise kernel ever takes its
//! scalar tail on one member's elements in one pack and its vector body in
//! another.

use rand::Rng;
use tch::{Kind, Tensor};

use super::super::layers::{Activation, LayerSpec};
use super::super::mlp::{Init, Layer, activate, check_layer_size, draw_weights};
use crate::rng::RunRng;

/// Elements one pass of ATen's AVX2 elementwise loops handles as its vector body.
const VECTOR_BLOCK: usize = 16;

/// Whether a forward pass trains (dropout masks from each active member's
/// stream; frozen members get none and draw nothing) or predicts.
pub enum Mode<'a> {
    Train { rngs: &'a mut [RunRng], active: &'a [bool] },
    Eval,
}

/// K stacks of layers of one architecture; output width `out_dim`.
pub struct PackedMlp {
    layers: Vec<Layer>,
    pub out_dim: usize,
}

impl PackedMlp {
    /// Build the layers of `specs` on an `in_dim`-wide input (then a linear
    /// output layer of width `output`, if given) for every member, member k's
    /// weights drawn from `rngs[k]` with `inits[k]`.
    pub fn new(
        in_dim: usize,
        specs: &[LayerSpec],
        output: Option<usize>,
        inits: &[Init],
        rngs: &mut [RunRng],
        device: tch::Device,
    ) -> Result<PackedMlp, String> {
        let mut all: Vec<LayerSpec> = specs.to_vec();
        if let Some(units) = output {
            all.push(LayerSpec::Dense { units, activation: Activation::Linear });
        }
        let k = rngs.len() as i64;
        // Member by member, layer by layer: the order one network alone draws in.
        let mut drawn: Vec<Vec<Vec<f32>>> = Vec::with_capacity(rngs.len());
        for (rng, init) in rngs.iter_mut().zip(inits) {
            let mut dim = in_dim;
            let mut layers = Vec::new();
            for spec in &all {
                if let LayerSpec::Dense { units, .. } = *spec {
                    check_layer_size(dim, units)?;
                    layers.push(draw_weights(dim, units, *init, rng)?);
                    dim = units;
                }
            }
            drawn.push(layers);
        }
        let torch = |e: tch::TchError| format!("libtorch could not allocate a layer: {e}");
        let opts = (Kind::Float, device);
        let mut layers = Vec::with_capacity(all.len());
        let mut dim = in_dim;
        let mut dense = 0;
        for spec in &all {
            match *spec {
                LayerSpec::Dense { units, activation } => {
                    let mut flat = Vec::new();
                    flat.try_reserve_exact(drawn.len() * dim * units)
                        .map_err(|e| format!("cannot allocate weights: {e}"))?;
                    for member in &drawn {
                        flat.extend_from_slice(&member[dense]);
                    }
                    let w = Tensor::f_from_slice(&flat)
                        .and_then(|t| t.f_view([k, dim as i64, units as i64]))
                        .and_then(|t| t.f_to_device(device))
                        .map_err(torch)?
                        .set_requires_grad(true);
                    let b = Tensor::f_zeros([k, 1, units as i64], opts).map_err(torch)?.set_requires_grad(true);
                    layers.push(Layer::Dense { w, b, activation });
                    dense += 1;
                    dim = units;
                }
                LayerSpec::Dropout { rate } => layers.push(Layer::Dropout { rate }),
                LayerSpec::LayerNorm => {
                    let d = dim as i64;
                    let gamma = Tensor::f_ones([k, 1, d], opts).map_err(torch)?.set_requires_grad(true);
                    let beta = Tensor::f_zeros([k, 1, d], opts).map_err(torch)?.set_requires_grad(true);
                    layers.push(Layer::LayerNorm { gamma, beta, dim: d });
                }
                other => {
                    return Err(format!(
                        "packed training takes dense, dropout and layer_norm layers, not `{}`",
                        other.key()
                    ));
                }
            }
        }
        Ok(PackedMlp { layers, out_dim: dim })
    }

    /// `[K, rows, in]` to `[K, rows, out_dim]`.
    pub fn forward(&self, x: &Tensor, mode: &mut Mode) -> Tensor {
        let mut h = x.shallow_clone();
        for layer in &self.layers {
            h = match layer {
                Layer::Dense { w, b, activation } => activate(&(h.matmul(w) + b), *activation),
                Layer::Dropout { rate } => match mode {
                    Mode::Train { rngs, active } if *rate > 0.0 => &h * dropout_mask(&h, *rate, rngs, active),
                    _ => h,
                },
                // Normalised without the affine part, which is per member here.
                Layer::LayerNorm { gamma, beta, dim } => {
                    h.layer_norm([*dim], None::<Tensor>, None::<Tensor>, 1e-5, false) * gamma + beta
                }
                // Invariant: `PackedMlp::new` refuses every other layer.
                Layer::Conv(_) | Layer::Pool { .. } | Layer::Recurrent(_) | Layer::Flatten => {
                    unreachable!("packed networks hold dense, dropout and layer_norm layers only")
                }
            };
        }
        h
    }

    /// Every parameter, `[K, ...]` each.
    pub fn parameters(&self) -> Vec<&Tensor> {
        let mut out = Vec::new();
        for layer in &self.layers {
            match layer {
                Layer::Dense { w, b, .. } => out.extend([w, b]),
                Layer::LayerNorm { gamma, beta, .. } => out.extend([gamma, beta]),
                Layer::Dropout { .. } | Layer::Pool { .. } | Layer::Flatten => {}
                // Invariant: `PackedMlp::new` refuses them.
                Layer::Conv(_) | Layer::Recurrent(_) => {
                    unreachable!("packed networks hold no convolution or recurrence")
                }
            }
        }
        out
    }

    /// Each member's sum of squared dense weights (biases and normalisation
    /// excluded), `[K]`.
    pub fn squared_weights(&self, k: i64, device: tch::Device) -> Tensor {
        let mut total = Tensor::zeros([k], (Kind::Float, device));
        for layer in &self.layers {
            if let Layer::Dense { w, .. } = layer {
                total += w.square().sum_dim_intlist([1i64, 2].as_slice(), false, Kind::Float);
            }
        }
        total
    }

    /// The row granule this architecture needs (see [`granule`]).
    pub fn granule(&self) -> usize {
        let widths = self.layers.iter().filter_map(|l| match l {
            Layer::Dense { w, activation, .. } if !exact(*activation) => Some(w.size()[2] as usize),
            _ => None,
        });
        granule(widths)
    }
}

/// Activations whose kernels are exactly rounded in every code path.
fn exact(a: Activation) -> bool {
    matches!(a, Activation::Relu | Activation::Linear)
}

/// The smallest row count multiple that makes `rows × width` a whole number of
/// vector blocks for every width whose activation is transcendental: then a
/// member's elements never fall in an elementwise kernel's scalar tail, whatever
/// the number of members before or after it.
pub fn granule(widths: impl IntoIterator<Item = usize>) -> usize {
    widths.into_iter().map(|w| VECTOR_BLOCK / gcd(VECTOR_BLOCK, w.max(1))).max().unwrap_or(1)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// Inverted-dropout masks, `[K, rows, width]`: member k's from its own stream
/// (0 with probability `rate`, else 1/(1-rate)); a frozen member's are ones.
fn dropout_mask(h: &Tensor, rate: f64, rngs: &mut [RunRng], active: &[bool]) -> Tensor {
    let keep = 1.0 - rate;
    let scale = (1.0 / keep) as f32;
    let size = h.size();
    let per = h.numel() / rngs.len().max(1);
    let mut mask = Vec::with_capacity(per * rngs.len());
    for (rng, &on) in rngs.iter_mut().zip(active) {
        if on {
            mask.extend((0..per).map(|_| if rng.random::<f64>() < keep { scale } else { 0.0 }));
        } else {
            mask.extend(std::iter::repeat_n(1.0f32, per));
        }
    }
    Tensor::from_slice(&mask).view(size.as_slice()).to_device(h.device())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn granules_make_whole_vector_blocks() {
        assert_eq!(granule([200, 100]), 4);
        assert_eq!(granule([]), 1);
        assert_eq!(granule([101]), 16);
        for w in 1..70 {
            let g = granule([w]);
            assert_eq!((g * w) % VECTOR_BLOCK, 0);
            // And no smaller multiple would do.
            assert!((1..g).all(|r| (r * w) % VECTOR_BLOCK != 0));
        }
    }
}
