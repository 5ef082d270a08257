//! TARNet (Shalit, Johansson & Sontag, ICML 2017): a shared representation Φ(x)
//! and one outcome head per arm, each head trained only on its arm's rows; with a
//! balance penalty between Φ of the arms it becomes CFR (see `cfr.rs`).

use tch::{Kind, Tensor, nn};

use super::batch::{Batch, Weighting};
use super::encode::Front;
use super::fit;
use super::mlp::{Init, Mlp, Mode};
use super::pack;
use super::params::{Ipm, TarnetParams};
use super::train::{self, Network, Rows, Stage};
use crate::data::{Observed, Split};
use crate::estimate::{Estimate, EstimateError, Estimator, Networks};
use crate::rng::RunRng;

/// The balance penalty of CFR: `alpha` times an IPM.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Balance {
    pub ipm: Ipm,
    pub alpha: f64,
    pub wass_lambda: f64,
    pub wass_iterations: usize,
}

/// cfrnet's IHDP setting ignores the treated share in the IPM (`use_p_correction=0`).
const IPM_SHARE: f64 = 0.5;

struct TarNet {
    vs: nn::VarStore,
    front: Front,
    representation: Mlp,
    heads: [Mlp; 2],
    normalize: bool,
    balance: Option<Balance>,
    weight_decay: f64,
}

impl TarNet {
    fn new(
        p: &TarnetParams,
        balance: Option<Balance>,
        names: &[String],
        device: tch::Device,
        rng: &mut RunRng,
    ) -> Result<TarNet, String> {
        let vs = nn::VarStore::new(device);
        let init = Init::ScaledNormal(p.schedule.weight_init);
        let root = vs.root();
        let front = Front::new(&(&root / "encoder"), names, p.encoder.as_ref(), init, rng, device)?;
        let representation = Mlp::new(&(&root / "rep"), front.out_dim, &p.representation, None, init, rng)?;
        let d = representation.out_dim;
        let h0 = Mlp::new(&(&root / "head0"), d, &p.head, Some(1), init, rng)?;
        let h1 = Mlp::new(&(&root / "head1"), d, &p.head, Some(1), init, rng)?;
        Ok(TarNet {
            vs,
            front,
            representation,
            heads: [h0, h1],
            normalize: p.normalize_representation,
            balance,
            weight_decay: p.schedule.weight_decay,
        })
    }

    fn represent(&self, x: &Tensor, mode: &mut Mode) -> Tensor {
        let h = self.representation.forward(&self.front.forward(x, mode), mode);
        if self.normalize {
            // cfrnet `normalization='divide'`: project onto the unit sphere.
            let norm = h.square().sum_dim_intlist(1, true, Kind::Float).clamp_min(1e-10).sqrt();
            h / norm
        } else {
            h
        }
    }

    fn predict(&self, x: &Tensor) -> (Tensor, Tensor) {
        tch::no_grad(|| {
            let rep = self.represent(x, &mut Mode::Eval);
            (self.heads[0].forward(&rep, &mut Mode::Eval), self.heads[1].forward(&rep, &mut Mode::Eval))
        })
    }

    fn imbalance(&self, rep: &Tensor, batch: &Batch) -> Option<Tensor> {
        let b = self.balance.filter(|b| b.alpha > 0.0)?;
        let (t, c) = (batch.treated.as_ref()?, batch.control.as_ref()?);
        let distance = match b.ipm {
            Ipm::Mmd => super::ipm::mmd2_lin(rep, t, c, IPM_SHARE),
            Ipm::Wasserstein => super::ipm::wasserstein(rep, t, c, IPM_SHARE, b.wass_lambda, b.wass_iterations),
        };
        Some(distance * b.alpha)
    }
}

impl Network for TarNet {
    fn var_store(&self) -> &nn::VarStore {
        &self.vs
    }

    fn objective(&self, batch: &Batch, mode: &mut Mode) -> Tensor {
        let rep = self.represent(&batch.x, mode);
        let y0 = self.heads[0].forward(&rep, mode);
        let y1 = self.heads[1].forward(&rep, mode);
        let y_hat = &batch.t * y1 + (1f64 - &batch.t) * y0;
        let risk = (&batch.w * (&batch.y - y_hat).square()).mean(Kind::Float);
        match self.imbalance(&rep, batch) {
            Some(penalty) => risk + penalty,
            None => risk,
        }
    }

    fn penalty(&self) -> Tensor {
        // cfrnet: p_lambda * sum of tf.nn.l2_loss (= sum(w^2) / 2) over the heads.
        (self.heads[0].squared_weights() + self.heads[1].squared_weights()) * (self.weight_decay / 2.0)
    }
}

/// Fit TARNet (no balance) or CFR (with balance) one network at a time, and
/// predict every row: the path of layer stacks the packed engine lacks.
pub fn fit(
    kind: &str,
    p: &TarnetParams,
    balance: Option<Balance>,
    data: &Observed<'_>,
    split: &Split,
    rng: &mut RunRng,
) -> Result<Estimate, EstimateError> {
    let weighting = if p.reweight { Weighting::ArmBalanced } else { Weighting::Uniform };
    let prepared = fit::prepare(kind, data, split, p.standardize_outcome, weighting, p.schedule.device)?;
    let net = TarNet::new(p, balance, &prepared.names, prepared.device, rng).map_err(|e| train::failed(kind, e))?;
    let rows = Rows { train: &split.train, validation: &split.validation, early_stopping: p.schedule.early_stopping };
    let report = train::train(&net, &prepared, &rows, &[Stage::from_schedule(&p.schedule)], rng, kind)?;
    let (mu0, mu1) = net.predict(&prepared.x);
    fit::finish(kind, &prepared, split, &mu0, &mu1, &report, Vec::new())
}

pub struct TarnetEstimator {
    pub params: TarnetParams,
}

impl Estimator for TarnetEstimator {
    fn estimate(&self, data: &Observed<'_>, rng: &mut RunRng) -> Result<Estimate, EstimateError> {
        match self.networks(data, rng) {
            Some(planned) => planned?.alone(),
            None => fit("tarnet", &self.params, None, data, data.split(), rng),
        }
    }

    fn pack_group(&self) -> Option<String> {
        pack::tarnet_group("tarnet", &self.params, None)
    }

    fn networks(&self, data: &Observed<'_>, rng: &mut RunRng) -> Option<Result<Networks, EstimateError>> {
        self.pack_group()?;
        Some(pack::tarnet("tarnet", &self.params, None, data, rng))
    }
}

/// The `tarnet` kind, for the estimator registry.
pub static TARNET: crate::estimate::registry::Kind = crate::estimate::registry::Kind {
    name: "tarnet",
    summary: "TARNet: a shared representation and one outcome head per arm; defaults from cfrnet (Shalit, Johansson & Sontag, ICML 2017).",
    role: crate::estimate::registry::Role::Backdoor,
    version: super::PACKED_VERSION,
    uses_libtorch: true,
    resolve: super::params::resolve::<TarnetParams>,
    late_defaults: <TarnetParams as super::params::Checked>::late_defaults,
    build: |kind, p| Ok(Box::new(TarnetEstimator { params: super::params::parse(kind, p)? })),
};
