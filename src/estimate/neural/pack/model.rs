//! The packed networks: an MLP regressor (S- and T-learner) and the two-headed
//! TARNet/CFR, each computing every member's objective at once as a `[K]`
//! tensor, with the balance penalties written over masks instead of gathered
//! arms, so that members whose minibatches hold different numbers of treated
//! rows still share one shape.
//!
//! The Wasserstein penalty is the one term that grows with the square of the
//! rows: over a minibatch it is computed on every member's `[rows+1]²` grid at
//! once, and over more rows than the minibatch (evaluation on the full training
//! or validation rows) one member at a time on its own treated x control block,
//! as the one-network trainer does. Without that, evaluating CFR on LaLonde's
//! 11,800 training rows took about 5 GB per member.

use tch::{Kind, Tensor};

use super::super::ipm;
use super::super::layers::LayerSpec;
use super::super::mlp::Init;
use super::super::params::Ipm;
use super::net::{Mode, PackedMlp};
use crate::rng::RunRng;

/// What the members of a pack share: the architecture.
#[derive(Debug, Clone, PartialEq)]
pub enum Arch {
    /// An MLP of the outcome on x, and t when `with_treatment` (S-learner).
    Regressor { layers: Vec<LayerSpec>, with_treatment: bool },
    /// TARNet; with `ipm`, CFR (the IPM and its Sinkhorn iterations).
    TwoHeaded { representation: Vec<LayerSpec>, head: Vec<LayerSpec>, normalize: bool, ipm: Option<(Ipm, usize)> },
}

/// What each member may set for itself. cfrnet's loop reads the first six;
/// DragonNet's (`epochs.rs`) reads `lr` (its Adam stage), `weight_decay` and
/// the last four.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Scalars {
    pub lr: f64,
    pub lr_decay: f64,
    pub weight_decay: f64,
    pub weight_init: f64,
    pub alpha: f64,
    pub wass_lambda: f64,
    /// The SGD stage's rate and Nesterov momentum.
    pub sgd_lr: f64,
    pub momentum: f64,
    /// The plateau schedule's factor.
    pub plateau_factor: f64,
    /// The targeted-regularization weight.
    pub beta: f64,
}

/// A minibatch of every member, `[K, rows, ·]`; padding rows have `valid` 0 and
/// weight 0.
pub struct Batch {
    pub x: Tensor,
    pub t: Tensor,
    pub y: Tensor,
    pub w: Tensor,
    pub valid: Tensor,
    /// Real (unpadded) rows per member.
    pub rows: usize,
}

/// cfrnet's IHDP setting ignores the treated share in the IPM (`use_p_correction=0`).
const IPM_SHARE: f64 = 0.5;

/// The most rows whose Wasserstein penalty is computed on the members' shared
/// `[rows+1]²` grids (where the minibatch is larger, on the members' own
/// treated x control blocks one at a time, bounding memory by one member's
/// block): a minibatch of 256 rows holds about 5 MB of grids per member.
pub const GRID_ROWS: usize = 256;

pub struct PackedNet {
    arch: Arch,
    body: PackedMlp,
    heads: Option<[PackedMlp; 2]>,
    k: i64,
    device: tch::Device,
    weight_decay: Tensor,
    alpha: Tensor,
    wass_lambda: Tensor,
    lambdas: Vec<f64>,
    /// Batches of at most this many rows take the grid form of Wasserstein.
    grid_rows: usize,
}

impl PackedNet {
    /// `batch`: the minibatch size (grids are used up to it, and at most
    /// [`GRID_ROWS`]).
    pub fn new(
        arch: &Arch,
        n_covariates: usize,
        batch: usize,
        scalars: &[Scalars],
        rngs: &mut [RunRng],
        device: tch::Device,
    ) -> Result<PackedNet, String> {
        let inits: Vec<Init> = scalars.iter().map(|s| Init::ScaledNormal(s.weight_init)).collect();
        let (body, heads) = match arch {
            Arch::Regressor { layers, with_treatment } => {
                let inputs = n_covariates + usize::from(*with_treatment);
                (PackedMlp::new(inputs, layers, Some(1), &inits, rngs, device)?, None)
            }
            Arch::TwoHeaded { representation, head, .. } => {
                let body = PackedMlp::new(n_covariates, representation, None, &inits, rngs, device)?;
                let d = body.out_dim;
                let h0 = PackedMlp::new(d, head, Some(1), &inits, rngs, device)?;
                let h1 = PackedMlp::new(d, head, Some(1), &inits, rngs, device)?;
                (body, Some([h0, h1]))
            }
        };
        let column = |f: fn(&Scalars) -> f64| {
            let v: Vec<f32> = scalars.iter().map(|s| f(s) as f32).collect();
            Tensor::from_slice(&v).to_device(device)
        };
        Ok(PackedNet {
            arch: arch.clone(),
            body,
            heads,
            k: scalars.len() as i64,
            device,
            weight_decay: column(|s| s.weight_decay / 2.0),
            alpha: column(|s| s.alpha),
            wass_lambda: column(|s| s.wass_lambda),
            lambdas: scalars.iter().map(|s| s.wass_lambda).collect(),
            grid_rows: batch.min(GRID_ROWS),
        })
    }

    pub fn parameters(&self) -> Vec<Tensor> {
        let mut out: Vec<Tensor> = self.body.parameters().into_iter().map(Tensor::shallow_clone).collect();
        for h in self.heads.iter().flatten() {
            out.extend(h.parameters().into_iter().map(Tensor::shallow_clone));
        }
        out
    }

    /// Rows per member must be a multiple of this (see `net::granule`).
    pub fn granule(&self) -> usize {
        let heads = self.heads.iter().flatten().map(PackedMlp::granule);
        heads.chain([self.body.granule()]).max().unwrap_or(1)
    }

    fn input(&self, x: &Tensor, t: &Tensor) -> Tensor {
        match self.arch {
            Arch::Regressor { with_treatment: true, .. } => Tensor::cat(&[x.shallow_clone(), t.shallow_clone()], 2),
            _ => x.shallow_clone(),
        }
    }

    fn represent(&self, x: &Tensor, mode: &mut Mode) -> Tensor {
        let h = self.body.forward(x, mode);
        match self.arch {
            // cfrnet `normalization='divide'`: project onto the unit sphere.
            Arch::TwoHeaded { normalize: true, .. } => {
                let norm = h.square().sum_dim_intlist(2, true, Kind::Float).clamp_min(1e-10).sqrt();
                h / norm
            }
            _ => h,
        }
    }

    /// Every member's objective on its batch (factual loss and balance), `[K]`.
    pub fn objective(&self, b: &Batch, mode: &mut Mode) -> Tensor {
        let mean = |e: Tensor| e.sum_dim_intlist([1i64, 2].as_slice(), false, Kind::Float) / b.rows as f64;
        match (&self.arch, &self.heads) {
            (Arch::TwoHeaded { ipm, .. }, Some([h0, h1])) => {
                let rep = self.represent(&b.x, mode);
                let y0 = h0.forward(&rep, mode);
                let y1 = h1.forward(&rep, mode);
                let y_hat = &b.t * y1 + (1f64 - &b.t) * y0;
                let risk = mean(&b.w * (&b.y - y_hat).square());
                match ipm {
                    Some((Ipm::Mmd, _)) => risk + mmd2_lin(&rep, b) * &self.alpha,
                    Some((Ipm::Wasserstein, iterations)) if b.rows <= self.grid_rows => {
                        risk + wasserstein_grid(&rep, b, &self.wass_lambda, *iterations) * &self.alpha
                    }
                    Some((Ipm::Wasserstein, iterations)) => {
                        risk + wasserstein_blocks(&rep, b, &self.lambdas, *iterations) * &self.alpha
                    }
                    None => risk,
                }
            }
            _ => {
                let f = self.body.forward(&self.input(&b.x, &b.t), mode);
                mean(&b.valid * (&b.y - f).square())
            }
        }
    }

    /// Weight decay of every member, `[K]`.
    pub fn penalty(&self) -> Tensor {
        let squares = match &self.heads {
            Some([h0, h1]) => h0.squared_weights(self.k, self.device) + h1.squared_weights(self.k, self.device),
            None => self.body.squared_weights(self.k, self.device),
        };
        squares * &self.weight_decay
    }

    /// Predicted potential outcomes on `x` (`[K, rows, 1]` each): mu0 and mu1,
    /// or for a regressor without treatment input its one prediction.
    pub fn predict(&self, x: &Tensor) -> Vec<Tensor> {
        super::without_grad(|| match (&self.arch, &self.heads) {
            (Arch::TwoHeaded { .. }, Some([h0, h1])) => {
                let rep = self.represent(x, &mut Mode::Eval);
                vec![h0.forward(&rep, &mut Mode::Eval), h1.forward(&rep, &mut Mode::Eval)]
            }
            (Arch::Regressor { with_treatment: true, .. }, _) => {
                let ones = x.ones_like().narrow(2, 0, 1);
                [0.0, 1.0].iter().map(|&t| self.body.forward(&self.input(x, &(&ones * t)), &mut Mode::Eval)).collect()
            }
            _ => vec![self.body.forward(x, &mut Mode::Eval)],
        })
    }
}

/// The arms' row masks `[K, rows, 1]`, and per member whether both arms are
/// present (`[K]`, 1 or 0). A member lacking an arm gets every valid row in
/// both masks, so that its penalty stays finite before it is multiplied by 0.
fn arms(b: &Batch) -> (Tensor, Tensor, Tensor) {
    let treated = &b.t * &b.valid;
    let control = (1f64 - &b.t) * &b.valid;
    let count = |m: &Tensor| m.sum_dim_intlist([1i64, 2].as_slice(), false, Kind::Float);
    let both = count(&treated).gt(0.0).logical_and(&count(&control).gt(0.0)).to_kind(Kind::Float);
    let keep = both.view([-1, 1, 1]);
    let fallback = |m: Tensor| &keep * m + (1f64 - &keep) * &b.valid;
    (fallback(treated), fallback(control), both)
}

/// Squared linear MMD, ||2p·mean(Φ_t) - 2(1-p)·mean(Φ_c)||², per member
/// (cfrnet `mmd2_lin`); 0 for a member whose batch lacks an arm. Its masks and
/// means are linear in the rows, so it needs no block form.
fn mmd2_lin(rep: &Tensor, b: &Batch) -> Tensor {
    let (treated, control, both) = arms(b);
    let mean = |m: &Tensor| {
        (rep * m).sum_dim_intlist(1, true, Kind::Float) / m.sum_dim_intlist(1, true, Kind::Float).clamp_min(1.0)
    };
    let d = (mean(&treated) * (2.0 * IPM_SHARE) - mean(&control) * (2.0 * (1.0 - IPM_SHARE))).square();
    d.sum_dim_intlist([1i64, 2].as_slice(), false, Kind::Float) * both
}

/// Entropy-regularised Wasserstein-1 by `iterations` Sinkhorn steps, per member
/// (cfrnet `wasserstein` with its augmentation: an extra row and column at the
/// largest distance absorb the mass imbalance, the entropic weight is `lambda /
/// mean distance`, gradients flow through the plan). The treated rows index the
/// plan's rows and the control rows its columns inside a `[rows+1]²` grid
/// (padded to a multiple of 4, see `net::granule`), every other entry held at
/// exactly zero.
fn wasserstein_grid(rep: &Tensor, b: &Batch, lambda: &Tensor, iterations: usize) -> Tensor {
    let (treated, control, both) = arms(b);
    let (k, r) = (rep.size()[0], rep.size()[1]);
    let opts = (Kind::Float, rep.device());
    let p = IPM_SHARE;
    let norms = rep.square().sum_dim_intlist(2, true, Kind::Float);
    let squared = rep.matmul(&rep.transpose(1, 2)) * -2.0 + norms.transpose(1, 2) + &norms;
    let pair = treated.matmul(&control.transpose(1, 2));
    let m = squared.clamp_min(1e-10).sqrt() * &pair;
    let delta = m.amax([1i64, 2].as_slice(), true).detach();
    let nt = treated.sum_dim_intlist(1, true, Kind::Float);
    let nc = control.sum_dim_intlist(1, true, Kind::Float);
    let mean = m.sum_dim_intlist([1i64, 2].as_slice(), true, Kind::Float) / (&nt * &nc);
    let eff_lambda = (lambda.view([-1, 1, 1]) / mean).detach();
    let size = (r + 4) / 4 * 4;
    let extra = size - r - 1;
    let zeros = |rows: i64, cols: i64| Tensor::zeros([k, rows, cols], opts);
    let grid = |inner: &Tensor, column: &Tensor, row: &Tensor, corner: f64| {
        let top = Tensor::cat(&[inner.shallow_clone(), column.shallow_clone(), zeros(r, extra)], 2);
        let middle = Tensor::cat(&[row.shallow_clone(), Tensor::full([k, 1, 1], corner, opts), zeros(1, extra)], 2);
        Tensor::cat(&[top, middle, zeros(extra, size)], 1)
    };
    let mt = grid(&m, &(&treated * &delta), &(control.transpose(1, 2) * &delta), 0.0);
    let pad = |v: &Tensor, last: f64| {
        Tensor::cat(&[v.shallow_clone(), Tensor::full([k, 1, 1], last, opts), zeros(extra, 1)], 1)
    };
    let rows = pad(&treated, 1.0);
    let cols = pad(&control, 1.0);
    let support = rows.matmul(&cols.transpose(1, 2));
    // Masses; rows outside the support get 1 so that K/a stays 0 there.
    let a = pad(&(&treated * (p / &nt.clamp_min(1.0))), 1.0 - p) + (1f64 - &rows);
    let bm = pad(&(&control * ((1.0 - p) / &nc.clamp_min(1.0))), p);
    let kernel = ((-(&mt * eff_lambda)).exp() + 1e-6) * &support;
    let a_inv_k = &kernel / &a;
    let (off_rows, off_cols) = (1f64 - &rows, 1f64 - &cols);
    let mut u = a.shallow_clone();
    let column_sums = |u: &Tensor| u.transpose(1, 2).matmul(&kernel).transpose(1, 2) + &off_cols;
    for _ in 0..iterations {
        u = (a_inv_k.matmul(&(&bm / column_sums(&u))) + &off_rows).reciprocal();
    }
    let v = &bm / column_sums(&u);
    let plan = &u * (v.transpose(1, 2) * &kernel);
    (plan * mt).sum_dim_intlist([1i64, 2].as_slice(), false, Kind::Float) * 2.0 * both
}

/// The same Wasserstein distance, member by member on the member's own treated
/// x control block (`ipm::wasserstein`, the one-network trainer's form): memory
/// grows with one member's treated x control rows instead of K x `[rows+1]²`.
/// Each member's value is computed from its own rows alone, so it does not
/// depend on the pack; 0 for a member whose rows lack an arm.
fn wasserstein_blocks(rep: &Tensor, b: &Batch, lambdas: &[f64], iterations: usize) -> Tensor {
    let treated = (&b.t * &b.valid).squeeze_dim(2);
    let control = ((1f64 - &b.t) * &b.valid).squeeze_dim(2);
    let values: Vec<Tensor> = lambdas
        .iter()
        .enumerate()
        .map(|(m, &lambda)| {
            let m = m as i64;
            let rows = |mask: &Tensor| mask.get(m).nonzero().squeeze_dim(1);
            let (t, c) = (rows(&treated), rows(&control));
            if t.size()[0] == 0 || c.size()[0] == 0 {
                return Tensor::zeros([], (Kind::Float, rep.device()));
            }
            ipm::wasserstein(&rep.get(m), &t, &c, IPM_SHARE, lambda, iterations)
        })
        .collect();
    Tensor::stack(&values, 0)
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};

    use super::*;

    /// A batch of three members of 20 real rows and 4 padding rows, with 3, 11
    /// and 0 treated rows, and a representation of 4 columns.
    fn batch() -> (Tensor, Batch) {
        let (k, rows, padded, d) = (3, 20, 24, 4);
        let mut rng = RunRng::seed_from_u64(7);
        let rep: Vec<f32> = (0..k * padded * d).map(|_| rng.random::<f32>() * 2.0 - 1.0).collect();
        let mut t = Vec::new();
        let mut valid = Vec::new();
        for treated in [3, 11, 0] {
            t.extend((0..padded).map(|i| f32::from(u8::from(i < treated))));
            valid.extend((0..padded).map(|i| f32::from(u8::from(i < rows))));
        }
        let column = |v: &[f32]| Tensor::from_slice(v).view([k as i64, padded as i64, 1]);
        let zeros = Tensor::zeros([k as i64, padded as i64, 1], (Kind::Float, tch::Device::Cpu));
        let b = Batch {
            x: zeros.shallow_clone(),
            t: column(&t),
            y: zeros.shallow_clone(),
            w: zeros,
            valid: column(&valid),
            rows,
        };
        (Tensor::from_slice(&rep).view([k as i64, padded as i64, d as i64]), b)
    }

    #[test]
    fn the_grid_and_the_blocks_compute_the_same_distance() {
        let (rep, b) = batch();
        let lambdas = [10.0, 5.0, 10.0];
        let lambda = Tensor::from_slice(&[10.0f32, 5.0, 10.0]);
        let grid = Vec::<f64>::try_from(wasserstein_grid(&rep, &b, &lambda, 10).to_kind(Kind::Double)).unwrap();
        let blocks = Vec::<f64>::try_from(wasserstein_blocks(&rep, &b, &lambdas, 10).to_kind(Kind::Double)).unwrap();
        for m in 0..2 {
            assert!(blocks[m] > 0.0, "member {m}: {blocks:?}");
            assert!((grid[m] - blocks[m]).abs() <= 1e-4 * blocks[m], "member {m}: {grid:?} {blocks:?}");
        }
        // A member without treated rows has no penalty in either form.
        assert_eq!((grid[2], blocks[2]), (0.0, 0.0));
    }

    #[test]
    fn a_members_block_distance_is_its_own() {
        let (rep, b) = batch();
        let lambdas = [10.0, 5.0, 10.0];
        let all = wasserstein_blocks(&rep, &b, &lambdas, 10);
        for m in 0..3i64 {
            let one = |v: &Tensor| v.narrow(0, m, 1);
            let alone =
                Batch { x: one(&b.x), t: one(&b.t), y: one(&b.y), w: one(&b.w), valid: one(&b.valid), rows: b.rows };
            let single = wasserstein_blocks(&one(&rep), &alone, &lambdas[m as usize..=m as usize], 10);
            assert_eq!(single.double_value(&[0]).to_bits(), all.double_value(&[m]).to_bits(), "member {m}");
        }
    }
}
