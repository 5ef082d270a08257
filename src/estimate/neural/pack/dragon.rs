//! DragonNet for K networks at once (the one-network version and its sources
//! are in `neural/dragonnet.rs`): a shared body, two outcome heads and a
//! propensity head, each a `PackedMlp`, and with targeted regularization each
//! member's own ε, a `[K, 1, 1]` parameter. Losses are summed over a member's
//! real rows (padding rows are masked out), as the authors' Keras losses sum
//! over the batch, and every member's objective comes back as one `[K]` tensor.
//!
//! The propensity and the losses on it (sigmoid, logarithms) are elementwise
//! kernels on `[K, rows, 1]` tensors, so rows are padded to the granule of a
//! width-1 layer as well as to the stacks' own (`net::granule`).

use rand_distr::{Distribution, Normal};
use tch::{Kind, Tensor};

use super::model::{Batch, Scalars};
use super::net::{Mode, PackedMlp, granule};
use crate::estimate::neural::batch::host;
use crate::estimate::neural::layers::LayerSpec;
use crate::estimate::neural::mlp::Init;
use crate::rng::RunRng;

/// What the members of a DragonNet pack share: the architecture.
#[derive(Debug, Clone, PartialEq)]
pub struct DragonArch {
    pub representation: Vec<LayerSpec>,
    pub head: Vec<LayerSpec>,
    /// The propensity head reads the covariates (the authors' TARNet), not the body.
    pub propensity_reads_inputs: bool,
    /// With targeted regularization (ε and its loss term).
    pub targeted: bool,
}

pub struct PackedDragon {
    body: PackedMlp,
    heads: [PackedMlp; 2],
    propensity: PackedMlp,
    propensity_reads_inputs: bool,
    targeted: bool,
    /// Every member's ε, `[K, 1, 1]`.
    epsilon: Tensor,
    weight_decay: Tensor,
    beta: Tensor,
    k: i64,
    device: tch::Device,
}

impl PackedDragon {
    /// Member k's weights and ε from `rngs[k]`, in the order a lone network
    /// draws them: body (Keras' RandomNormal 0.05), heads and propensity
    /// (Glorot uniform), then ε ~ N(0, 0.05).
    pub fn new(
        arch: &DragonArch,
        n_covariates: usize,
        scalars: &[Scalars],
        rngs: &mut [RunRng],
        device: tch::Device,
    ) -> Result<PackedDragon, String> {
        let k = rngs.len();
        let body =
            PackedMlp::new(n_covariates, &arch.representation, None, &vec![Init::Normal(0.05); k], rngs, device)?;
        let d = body.out_dim;
        let glorot = vec![Init::GlorotUniform; k];
        let h0 = PackedMlp::new(d, &arch.head, Some(1), &glorot, rngs, device)?;
        let h1 = PackedMlp::new(d, &arch.head, Some(1), &glorot, rngs, device)?;
        let propensity_in = if arch.propensity_reads_inputs { n_covariates } else { d };
        let propensity = PackedMlp::new(propensity_in, &[], Some(1), &glorot, rngs, device)?;
        // Invariant: 0.05 is a valid standard deviation.
        let normal = Normal::new(0.0, 0.05).expect("valid std");
        let eps: Vec<f32> = rngs.iter_mut().map(|r| normal.sample(r) as f32).collect();
        let epsilon = Tensor::from_slice(&eps).view([k as i64, 1, 1]).to_device(device).set_requires_grad(true);
        let column = |f: fn(&Scalars) -> f64| {
            let v: Vec<f32> = scalars.iter().map(|s| f(s) as f32).collect();
            Tensor::from_slice(&v).to_device(device)
        };
        Ok(PackedDragon {
            body,
            heads: [h0, h1],
            propensity,
            propensity_reads_inputs: arch.propensity_reads_inputs,
            targeted: arch.targeted,
            epsilon,
            weight_decay: column(|s| s.weight_decay),
            beta: column(|s| s.beta),
            k: k as i64,
            device,
        })
    }

    /// Every parameter, `[K, ...]` each; ε last.
    pub fn parameters(&self) -> Vec<Tensor> {
        let stacks = [&self.body, &self.heads[0], &self.heads[1], &self.propensity];
        let mut out: Vec<Tensor> =
            stacks.iter().flat_map(|s| s.parameters()).map(Tensor::shallow_clone).collect::<Vec<_>>();
        out.push(self.epsilon.shallow_clone());
        out
    }

    /// Rows per member must be a multiple of this: the stacks' granule, and a
    /// width-1 column's for the propensity's sigmoid and the logarithms.
    pub fn granule(&self) -> usize {
        let stacks = [&self.body, &self.heads[0], &self.heads[1], &self.propensity];
        stacks.iter().map(|s| s.granule()).chain([granule([1])]).max().unwrap_or(1)
    }

    /// Both outcome predictions and the propensity g(x), `[K, rows, 1]` each.
    fn forward(&self, x: &Tensor, mode: &mut Mode) -> (Tensor, Tensor, Tensor) {
        let z = self.body.forward(x, mode);
        let y0 = self.heads[0].forward(&z, mode);
        let y1 = self.heads[1].forward(&z, mode);
        let g = self.propensity.forward(if self.propensity_reads_inputs { x } else { &z }, mode).sigmoid();
        (y0, y1, g)
    }

    /// Every member's objective on its batch, `[K]`: squared error and Keras'
    /// binary cross-entropy (probabilities squeezed into [0.001/1.002, 1] and
    /// clipped to [1e-7, 1 - 1e-7]), summed over its real rows, plus with
    /// targeted regularization β·Σ(y - Q - ε·h)², h = t/g - (1-t)/(1-g).
    pub fn objective(&self, b: &Batch, mode: &mut Mode) -> Tensor {
        let (y0, y1, g) = self.forward(&b.x, mode);
        let sum = |e: Tensor| (&b.valid * e).sum_dim_intlist([1i64, 2].as_slice(), false, Kind::Float);
        let y_hat = &b.t * y1 + (1f64 - &b.t) * y0;
        let regression = sum((&b.y - &y_hat).square());
        let p = ((&g + 0.001) / 1.002).clamp(1e-7, 1.0 - 1e-7);
        let classification = -sum(&b.t * p.log() + (1f64 - &b.t) * (1f64 - &p).log());
        let loss = regression + classification;
        if !self.targeted {
            return loss;
        }
        let g = (g + 0.01) / 1.02;
        let h = &b.t / &g - (1f64 - &b.t) / (1f64 - &g);
        let perturbed = y_hat + &self.epsilon * h;
        loss + sum((&b.y - perturbed).square()) * &self.beta
    }

    /// Keras' `l2(weight_decay)` on every outcome-head kernel, `[K]`.
    pub fn penalty(&self) -> Tensor {
        let [h0, h1] = &self.heads;
        (h0.squared_weights(self.k, self.device) + h1.squared_weights(self.k, self.device)) * &self.weight_decay
    }

    /// mu0, mu1 and g on `x`, `[K, rows, 1]` each.
    pub fn predict(&self, x: &Tensor) -> Vec<Tensor> {
        super::without_grad(|| {
            let (y0, y1, g) = self.forward(x, &mut Mode::Eval);
            vec![y0, y1, g]
        })
    }

    /// Every member's ε.
    pub fn epsilon(&self) -> Vec<f64> {
        host(&self.epsilon.detach())
    }
}
