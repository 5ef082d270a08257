//! A pack's working set, estimated from its shapes before anything is built,
//! and the pack sizes a memory budget allows. The estimate is `once + K x
//! per_member` bytes: per member its parameters with their gradients, Adam
//! moments (SGD's one buffer is fewer) and best-parameter snapshot, its data, a training step's saved
//! activations and their gradients, an evaluation's activations over all of its
//! rows, and for CFR-Wasserstein its `[rows+1]²` grids; once per pack, the one
//! member's treated x control block that an evaluation holds at a time
//! (`model::wasserstein_blocks`). The counts of live tensors are upper bounds
//! read off the code, checked against the measured peak (docs/benchmarks.md),
//! and `tests/suite/limits.rs` runs a pack under an address-space limit that the
//! same pack uncapped exceeds.
//!
//! Packing never changes a member's bytes, so the budget only decides how many
//! members train at once.

use super::model::{Arch, GRID_ROWS};
use super::train::{Net, NetJob};
use crate::estimate::neural::batch::host;
use crate::estimate::neural::layers::LayerSpec;
use crate::estimate::neural::params::Ipm;

/// Bytes of one element (every packed tensor is f32).
const F32: u64 = 4;
/// Parameter-sized tensors per member: the parameters, their gradients, Adam's
/// two moments, the best-parameter snapshot and the copy that updates it.
const PARAMETER_COPIES: u64 = 6;
/// Live `[rows, width]` tensors per layer in a training step: the product, the
/// biased sum and the activation saved for the backward pass, and the gradient.
const TRAIN_PER_LAYER: u64 = 4;
/// Live `[rows, widest layer]` tensors in an evaluation without gradients.
const EVAL_WIDEST: u64 = 4;
/// Live `[rows+1]²` tensors of the Wasserstein grid in a training step
/// (distances, masks, the augmented cost, kernel and plan, all saved for the
/// backward pass, and their gradients), and in an evaluation.
const GRID_TRAIN: u64 = 32;
const GRID_EVAL: u64 = 12;
/// Live treated x control tensors of one member's block (`ipm::wasserstein`),
/// with gradients and without.
const BLOCK_TRAIN: u64 = 24;
const BLOCK_EVAL: u64 = 8;

/// A pack of K members of one pack key needs about `once + K x per_member` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Footprint {
    pub per_member: u64,
    pub once: u64,
}

impl Footprint {
    /// The footprint of a pack holding both (the larger of each part).
    pub fn max(self, other: Footprint) -> Footprint {
        Footprint { per_member: self.per_member.max(other.per_member), once: self.once.max(other.once) }
    }

    /// Estimated bytes of a pack of `members`.
    pub fn bytes(&self, members: usize) -> u64 {
        self.once.saturating_add(self.per_member.saturating_mul(members as u64))
    }
}

/// The widths a stack of layers produces on an `in_dim` input (then a linear
/// output of width `output`): parameters, the sum of every layer's output width,
/// the widest, and the output width.
struct Stack {
    parameters: u64,
    widths: u64,
    widest: u64,
    out: u64,
}

fn stack(in_dim: u64, layers: &[LayerSpec], output: Option<u64>) -> Stack {
    let mut s = Stack { parameters: 0, widths: 0, widest: in_dim, out: in_dim };
    let dense = |s: &mut Stack, units: u64| s.add(units, (s.out + 1) * units);
    for layer in layers {
        match *layer {
            LayerSpec::Dense { units, .. } => dense(&mut s, units as u64),
            LayerSpec::LayerNorm => s.add(s.out, 2 * s.out),
            // Dropout's mask and product; a layer packs never hold keeps its width.
            _ => s.add(s.out, 0),
        }
    }
    if let Some(units) = output {
        dense(&mut s, units);
    }
    s
}

impl Stack {
    /// A layer of `units` outputs and `parameters` parameters.
    fn add(&mut self, units: u64, parameters: u64) {
        self.parameters += parameters;
        self.widths += units;
        self.widest = self.widest.max(units);
        self.out = units;
    }
}

/// Parameters, summed layer widths and the widest layer of a member.
fn network(net: &Net, covariates: u64) -> (u64, u64, u64) {
    let arch = match net {
        Net::Cfrnet { arch, .. } => arch,
        Net::Dragon { arch, .. } => {
            let body = stack(covariates, &arch.representation, None);
            let h = stack(body.out, &arch.head, Some(1));
            let g = stack(if arch.propensity_reads_inputs { covariates } else { body.out }, &[], Some(1));
            // ε: one parameter.
            let parameters = body.parameters + 2 * h.parameters + g.parameters + 1;
            return (parameters, body.widths + 2 * h.widths + g.widths, body.widest.max(h.widest));
        }
    };
    match arch {
        Arch::Regressor { layers, with_treatment } => {
            let s = stack(covariates + u64::from(*with_treatment), layers, Some(1));
            (s.parameters, s.widths, s.widest)
        }
        Arch::TwoHeaded { representation, head, .. } => {
            let body = stack(covariates, representation, None);
            let h = stack(body.out, head, Some(1));
            (body.parameters + 2 * h.parameters, body.widths + 2 * h.widths, body.widest.max(h.widest))
        }
    }
}

/// Treated and control rows among `rows`.
fn arms(t: &[f64], rows: &[usize]) -> (u64, u64) {
    let treated = rows.iter().filter(|&&i| t[i] > 0.5).count() as u64;
    (treated, rows.len() as u64 - treated)
}

/// The estimated footprint of `job` in a pack.
pub fn footprint(job: &NetJob) -> Footprint {
    let size = job.x.size();
    let (n, d) = (size[0] as u64, size[1] as u64);
    let (parameters, widths, widest) = network(&job.net, d);
    let batch = job.net.batch().min(job.train.len()) as u64;
    let grid_rows = (job.net.batch().min(GRID_ROWS)) as u64;
    // The job's own x, t, y, w and the stacked copy (with `valid`).
    let data = 2 * (n + 1) * (d + 4);
    let step = TRAIN_PER_LAYER * batch * widths + batch * (d + 4);
    // Predictions cover every row, the largest evaluation.
    let eval = n * (d + 5 + EVAL_WIDEST * widest);
    let mut elements = PARAMETER_COPIES * parameters + data + step + eval;
    let mut once = 0;
    if matches!(&job.net, Net::Cfrnet { arch: Arch::TwoHeaded { ipm: Some((Ipm::Wasserstein, _)), .. }, .. }) {
        let grid = |rows: u64| (rows + 4) * (rows + 4);
        elements += if batch <= grid_rows {
            GRID_TRAIN * grid(batch)
        } else {
            // Blocks of every member stay in the graph; at worst the arms split evenly.
            BLOCK_TRAIN * grid(batch / 2)
        };
        let t = host(&job.t);
        for rows in [&job.train, &job.validation] {
            let (treated, control) = arms(&t, rows);
            if rows.len() as u64 <= grid_rows {
                elements += GRID_EVAL * grid(rows.len() as u64);
            } else {
                once = once.max(BLOCK_EVAL * (treated + 1) * (control + 1) * F32);
            }
        }
    }
    // The two host columns of predictions, f64.
    Footprint { per_member: elements * F32 + 2 * n * 8, once }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::neural::layers::Activation;

    fn dense(units: usize) -> LayerSpec {
        LayerSpec::Dense { units, activation: Activation::Elu }
    }

    #[test]
    fn parameters_and_widths_are_counted_layer_by_layer() {
        // cfrnet's IHDP TARNet on 25 covariates: 3 x 200 then two 3 x 100 heads.
        let arch = Arch::TwoHeaded {
            representation: vec![dense(200); 3],
            head: vec![dense(100); 3],
            normalize: false,
            ipm: None,
        };
        let shape =
            super::super::Shape { iterations: 1, batch: 1, eval_every: 1, lr_decay_every: 1, early_stopping: true };
        let (p, w, widest) = network(&Net::Cfrnet { arch, shape }, 25);
        let body = 26 * 200 + 2 * 201 * 200;
        let head = 201 * 100 + 2 * 101 * 100 + 101;
        assert_eq!(p, body + 2 * head);
        assert_eq!(w, 600 + 2 * 301);
        assert_eq!(widest, 200);
        let norm = Arch::Regressor {
            layers: vec![dense(10), LayerSpec::LayerNorm, LayerSpec::Dropout { rate: 0.1 }],
            with_treatment: true,
        };
        assert_eq!(network(&Net::Cfrnet { arch: norm, shape }, 3), ((4 + 1) * 10 + 2 * 10 + 11, 10 + 10 + 10 + 1, 10));
    }

    #[test]
    fn a_dragonnet_counts_its_propensity_head_and_epsilon() {
        // The authors' DragonNet on 25 covariates: 3 x 200, two 2 x 100 heads.
        let arch = super::super::DragonArch {
            representation: vec![dense(200); 3],
            head: vec![dense(100); 2],
            propensity_reads_inputs: false,
            targeted: true,
        };
        let epochs = super::super::Epochs {
            batch: 64,
            adam: 1,
            patience: 1,
            sgd: 0,
            sgd_patience: 1,
            plateau_patience: 1,
            early_stopping: true,
        };
        let net = Net::Dragon { arch, epochs };
        let (p, w, widest) = network(&net, 25);
        let body = 26 * 200 + 2 * 201 * 200;
        let head = 201 * 100 + 101 * 100 + 101;
        assert_eq!(p, body + 2 * head + 201 + 1);
        assert_eq!(w, 600 + 2 * 201 + 1);
        assert_eq!(widest, 200);
        assert_eq!(net.batch(), 64);
    }

    #[test]
    fn a_pack_grows_by_whole_members() {
        let f = Footprint { per_member: 10, once: 7 };
        assert_eq!(f.bytes(0), 7);
        assert_eq!(f.bytes(3), 37);
        let g = Footprint { per_member: 4, once: 9 };
        assert_eq!(f.max(g), Footprint { per_member: 10, once: 9 });
    }
}
