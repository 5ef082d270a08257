//! DragonNet (Shi, Blei & Veitch, NeurIPS 2019): a shared body feeding two outcome
//! heads and a propensity head, so that the representation keeps what predicts the
//! treatment; optionally with targeted regularization, a learned ε that makes the
//! fitted outcome model satisfy the efficient-influence-curve equation.
//! With `propensity: inputs` the propensity head reads the covariates instead of the
//! body: the authors' own "TARNet" (`make_tarnet`), the baseline of their Table 1.
//!
//! Losses are summed over the batch, as in the authors' `models.py`, so that the
//! published learning rates and L2 weight carry over unchanged.

use rand_distr::{Distribution, Normal};
use tch::{Kind, Tensor, nn};

use super::batch::{Batch, Weighting};
use super::encode::Front;
use super::fit;
use super::mlp::{Init, Mlp, Mode};
use super::pack;
use super::params::{DragonParams, Propensity};
use super::train::{self, Length, LrSchedule, Network, Optimizer, Rows, Stage};
use crate::data::Observed;
use crate::estimate::classical::riesz::outcome_model_elements;
use crate::estimate::{Estimate, EstimateError, Estimator, Networks};
use crate::rng::RunRng;

struct Dragon {
    vs: nn::VarStore,
    front: Front,
    body: Mlp,
    heads: [Mlp; 2],
    propensity: Mlp,
    propensity_reads_inputs: bool,
    epsilon: Tensor,
    beta: Option<f64>,
    weight_decay: f64,
}

impl Dragon {
    fn new(p: &DragonParams, names: &[String], device: tch::Device, rng: &mut RunRng) -> Result<Dragon, String> {
        let vs = nn::VarStore::new(device);
        let root = vs.root();
        // The encoder (if any) starts like the body; the propensity head's
        // `inputs` are then the encoded covariates.
        let front = Front::new(&(&root / "encoder"), names, p.encoder.as_ref(), Init::Normal(0.05), rng, device)?;
        let n_covariates = front.out_dim;
        // Keras: the body uses RandomNormal (std 0.05), the heads the default Glorot.
        let body = Mlp::new(&(&root / "body"), n_covariates, &p.representation, None, Init::Normal(0.05), rng)?;
        let d = body.out_dim;
        let h0 = Mlp::new(&(&root / "head0"), d, &p.head, Some(1), Init::GlorotUniform, rng)?;
        let h1 = Mlp::new(&(&root / "head1"), d, &p.head, Some(1), Init::GlorotUniform, rng)?;
        let propensity_reads_inputs = p.propensity == Propensity::Inputs;
        let propensity_in = if propensity_reads_inputs { n_covariates } else { d };
        let propensity = Mlp::new(&(&root / "propensity"), propensity_in, &[], Some(1), Init::GlorotUniform, rng)?;
        // Invariant: 0.05 is a valid standard deviation.
        let eps0 = Normal::new(0.0, 0.05).expect("valid std").sample(rng) as f32;
        let epsilon = root.var_copy("epsilon", &Tensor::from_slice(&[eps0]));
        let beta = p.targeted_regularization.then_some(p.beta);
        Ok(Dragon {
            vs,
            front,
            body,
            heads: [h0, h1],
            propensity,
            propensity_reads_inputs,
            epsilon,
            beta,
            weight_decay: p.weight_decay,
        })
    }

    /// Outcome predictions of both arms and the propensity g(x).
    fn forward(&self, x: &Tensor, mode: &mut Mode) -> (Tensor, Tensor, Tensor) {
        let x = &self.front.forward(x, mode);
        let z = self.body.forward(x, mode);
        let y0 = self.heads[0].forward(&z, mode);
        let y1 = self.heads[1].forward(&z, mode);
        let g = self.propensity.forward(if self.propensity_reads_inputs { x } else { &z }, mode).sigmoid();
        (y0, y1, g)
    }
}

impl Network for Dragon {
    fn var_store(&self) -> &nn::VarStore {
        &self.vs
    }

    fn objective(&self, b: &Batch, mode: &mut Mode) -> Tensor {
        let (y0, y1, g) = self.forward(&b.x, mode);
        let y_hat = &b.t * &y1 + (1f64 - &b.t) * &y0;
        let regression = (&b.y - &y_hat).square().sum(Kind::Float);
        let classification = binary_cross_entropy(&b.t, &((&g + 0.001) / 1.002));
        let loss = regression + classification;
        let Some(beta) = self.beta else { return loss };
        // Targeted regularization: y ≈ Q(t, x) + ε·h(t, x), h = t/g - (1-t)/(1-g).
        let g = (g + 0.01) / 1.02;
        let h = &b.t / &g - (1f64 - &b.t) / (1f64 - &g);
        let perturbed = y_hat + &self.epsilon * h;
        loss + (&b.y - perturbed).square().sum(Kind::Float) * beta
    }

    fn penalty(&self) -> Tensor {
        // Keras `l2(0.01)` on every outcome-head kernel: weight_decay * sum(w^2).
        (self.heads[0].squared_weights() + self.heads[1].squared_weights()) * self.weight_decay
    }

    fn per_row(&self, rows: usize) -> f64 {
        1.0 / rows.max(1) as f64
    }
}

/// Keras' `binary_crossentropy` (probabilities clipped to [1e-7, 1 - 1e-7]), summed.
fn binary_cross_entropy(t: &Tensor, p: &Tensor) -> Tensor {
    let p = p.clamp(1e-7, 1.0 - 1e-7);
    -(t * p.log() + (1f64 - t) * (1f64 - &p).log()).sum(Kind::Float)
}

/// The authors' two stages: Adam, then SGD with Nesterov momentum (`ihdp_main.py`).
fn stages(p: &DragonParams) -> Vec<Stage> {
    let plateau = LrSchedule::Plateau { factor: p.plateau_factor, patience: p.plateau_patience };
    let adam = Stage {
        optimizer: Optimizer::Adam,
        lr: p.lr,
        batch: p.batch,
        length: Length::Epochs(p.epochs),
        schedule: plateau,
        patience: Some(p.patience),
    };
    let sgd = Stage {
        optimizer: Optimizer::Nesterov { momentum: p.momentum },
        lr: p.sgd_lr,
        batch: p.batch,
        length: Length::Epochs(p.sgd_epochs),
        schedule: plateau,
        patience: Some(p.sgd_patience),
    };
    [adam, sgd].into_iter().filter(|s| s.length != Length::Epochs(0)).collect()
}

pub struct DragonEstimator {
    pub params: DragonParams,
}

impl Estimator for DragonEstimator {
    fn estimate(&self, data: &Observed<'_>, rng: &mut RunRng) -> Result<Estimate, EstimateError> {
        match self.networks(data, rng) {
            Some(planned) => planned?.alone(),
            None => fit_alone(&self.params, data, rng),
        }
    }

    fn pack_group(&self) -> Option<String> {
        pack::dragonnet_group("dragonnet", &self.params)
    }

    fn networks(&self, data: &Observed<'_>, rng: &mut RunRng) -> Option<Result<Networks, EstimateError>> {
        self.pack_group()?;
        Some(pack::dragonnet("dragonnet", &self.params, data, rng))
    }
}

/// Fit one DragonNet by itself and predict every row: the path of networks
/// the packed engine does not build (an encoder of structured covariates, a
/// layer it lacks).
fn fit_alone(p: &DragonParams, data: &Observed<'_>, rng: &mut RunRng) -> Result<Estimate, EstimateError> {
    let split = data.split();
    let kind = "dragonnet";
    let prepared = fit::prepare(kind, data, split, p.standardize_outcome, Weighting::Uniform, p.device)?;
    let net = Dragon::new(p, &prepared.names, prepared.device, rng).map_err(|e| train::failed(kind, e))?;
    let rows = Rows { train: &split.train, validation: &split.validation, early_stopping: p.early_stopping };
    let report = train::train(&net, &prepared, &rows, &stages(p), rng, kind)?;
    // The authors' reported ATE is the plug-in mean of q_t1 - q_t0 (`psi_naive`
    // in their semi_parametric_estimation/ate.py); ε only shapes the fit.
    let (mu0, mu1, g) = tch::no_grad(|| net.forward(&prepared.x, &mut Mode::Eval));
    let g = prepared.to_host(&g);
    let mut extra = vec![
        ("propensity_min".to_string(), g.iter().copied().fold(f64::INFINITY, f64::min)),
        ("propensity_max".to_string(), g.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
    ];
    if p.targeted_regularization {
        extra.push(("epsilon".to_string(), net.epsilon.double_value(&[0])));
    }
    let mut est = fit::finish(kind, &prepared, split, &mu0, &mu1, &report, extra)?;
    // The propensity head is the Riesz representer's m for the OVB bounds
    // (`classical::riesz`); the other networks cross-fit a logistic one.
    if let Some((mu0, mu1)) = &est.potential {
        let rows = split.in_sample();
        let e: Vec<f64> = rows.iter().map(|&i| g[i]).collect();
        est.ovb = Some(outcome_model_elements(data, &rows, (mu0, mu1), &e, est.ate));
    }
    Ok(est)
}

/// The `dragonnet` kind, for the estimator registry.
pub static DRAGONNET: crate::estimate::registry::Kind = crate::estimate::registry::Kind {
    name: "dragonnet",
    summary: "DragonNet: a shared body, two outcome heads and a propensity head, optionally with targeted regularization; defaults from the authors' code (Shi, Blei & Veitch, NeurIPS 2019).",
    role: crate::estimate::registry::Role::Backdoor,
    version: super::PACKED_VERSION,
    uses_libtorch: true,
    resolve: super::params::resolve::<DragonParams>,
    late_defaults: <DragonParams as super::params::Checked>::late_defaults,
    build: |kind, p| Ok(Box::new(DragonEstimator { params: super::params::parse(kind, p)? })),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_cross_entropy_matches_hand_computation() {
        let t = Tensor::from_slice(&[1.0f32, 0.0, 1.0]);
        let p = Tensor::from_slice(&[0.8f32, 0.25, 0.5]);
        let expected = -(0.8f64.ln() + 0.75f64.ln() + 0.5f64.ln());
        assert!((binary_cross_entropy(&t, &p).double_value(&[]) - expected).abs() < 1e-5);
    }

    #[test]
    fn a_propensity_on_the_inputs_ignores_the_body() {
        use rand::SeedableRng;
        let p = DragonParams { propensity: Propensity::Inputs, ..DragonParams::default() };
        let names: Vec<String> = (0..4).map(|i| format!("x{i}")).collect();
        let net = Dragon::new(&p, &names, tch::Device::Cpu, &mut RunRng::seed_from_u64(5)).unwrap();
        let x = Tensor::from_slice(&[0.5f32, -1.0, 2.0, 0.1, 1.5, 0.3, -0.7, 0.9]).view([2, 4]);
        let (y0, _, g) = net.forward(&x, &mut Mode::Eval);
        tch::no_grad(|| {
            for (name, mut w) in net.vs.variables() {
                if name.starts_with("body") {
                    let _ = w.fill_(0.25);
                }
            }
        });
        let (y0_after, _, g_after) = net.forward(&x, &mut Mode::Eval);
        assert!(y0.not_equal_tensor(&y0_after).any().int64_value(&[]) == 1, "the body feeds the heads");
        assert!(g.equal(&g_after), "the propensity reads the covariates, not the body");
    }

    #[test]
    fn stages_follow_the_published_schedule() {
        let s = stages(&DragonParams::default());
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].optimizer, s[0].lr, s[0].length, s[0].patience),
            (Optimizer::Adam, 1e-3, Length::Epochs(100), Some(2))
        );
        assert_eq!(
            (s[1].optimizer, s[1].lr, s[1].length, s[1].patience),
            (Optimizer::Nesterov { momentum: 0.9 }, 1e-5, Length::Epochs(300), Some(40))
        );
        assert!(s.iter().all(|s| s.batch == 64));
    }
}
