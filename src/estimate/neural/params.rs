//! Hyperparameters of the neural estimators: typed structs whose defaults are the
//! papers' published configurations, and their resolution from user `Params`.
//!
//! Resolution checks the keys first (so a misspelled key gets "did you mean"), then
//! lets serde read the values, then checks ranges; the result is serialised back
//! with every default spelled out, which is what the run key hashes.

use serde::{Deserialize, Serialize};

use super::device::Device;
use super::encoder::{self, EncoderSpec};
use super::layers::{self, LayerSpec};

/// Training schedule shared by the S-, T-learner, TARNet and CFR: one Adam stage
/// with staircase learning-rate decay and model selection on the validation split.
/// Defaults: cfrnet's IHDP configuration (Johansson, Shalit & Sontag, `cfrnet`,
/// configs/example_ihdp.txt, the setting behind Shalit et al., ICML 2017, Table 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Schedule {
    /// Gradient steps (cfrnet `iterations=3000`).
    pub iterations: usize,
    /// Minibatch size, drawn without replacement each step (cfrnet `batch_size=100`).
    pub batch: usize,
    /// Adam learning rate (cfrnet `lrate=1e-3`, `optimizer='Adam'`).
    pub lr: f64,
    /// Staircase decay factor (cfrnet `lrate_decay=0.97`)...
    pub lr_decay: f64,
    /// ...applied every this many steps (cfrnet `NUM_ITERATIONS_PER_DECAY = 100`).
    pub lr_decay_every: usize,
    /// L2 penalty on the head weights, `weight_decay * sum(w^2) / 2`
    /// (cfrnet `p_lambda=1e-4`, `rep_weight_decay=0`).
    pub weight_decay: f64,
    /// Initial weights ~ N(0, (weight_init / sqrt(fan_in))^2) (cfrnet `weight_init=0.1`).
    pub weight_init: f64,
    /// Keep the parameters with the best validation objective (cfrnet selects the
    /// iteration by validation error, `val_part=0.3`).
    pub early_stopping: bool,
    /// Steps between validation checks (cfrnet `output_delay=100`).
    pub eval_every: usize,
    pub device: Device,
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule {
            iterations: 3000,
            batch: 100,
            lr: 1e-3,
            lr_decay: 0.97,
            lr_decay_every: 100,
            weight_decay: 1e-4,
            weight_init: 0.1,
            early_stopping: true,
            eval_every: 100,
            device: Device::Cpu,
        }
    }
}

/// S-learner and T-learner (Künzel et al., PNAS 2019): plain MLPs. The S-learner
/// sees the treatment as an extra input; the T-learner fits one MLP per arm. The
/// default depth and width match TARNet's representation plus one head, so that
/// the comparison isolates the architecture's sharing, not its capacity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LearnerParams {
    #[serde(with = "layers::list")]
    pub layers: Vec<LayerSpec>,
    /// An encoder of sequence or image covariates whose output joins the
    /// tabular covariates before the first layer (`encoder.rs`); none by default,
    /// and then left out of the run key.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "encoder::optional")]
    pub encoder: Option<EncoderSpec>,

    /// Train on outcomes standardised on the training rows and rescale the
    /// predictions (no published setting; standardising makes the schedule
    /// independent of the outcome's units).
    pub standardize_outcome: bool,
    #[serde(flatten)]
    pub schedule: Schedule,
}

impl Default for LearnerParams {
    fn default() -> Self {
        LearnerParams {
            layers: [layers::dense_elu(3, 200), layers::dense_elu(3, 100)].concat(),
            encoder: None,
            standardize_outcome: true,
            schedule: Schedule::default(),
        }
    }
}

/// TARNet (Shalit et al., ICML 2017): a shared representation and one head per arm.
/// Architecture from cfrnet configs/example_ihdp.txt: `n_in=3, dim_in=200`,
/// `n_out=3, dim_out=100`, `nonlin='elu'`, `normalization='divide'`,
/// `reweight_sample=1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TarnetParams {
    /// An encoder of sequence or image covariates whose output joins the
    /// tabular covariates before the first layer (`encoder.rs`); none by default,
    /// and then left out of the run key.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "encoder::optional")]
    pub encoder: Option<EncoderSpec>,
    #[serde(with = "layers::list")]
    pub representation: Vec<LayerSpec>,
    #[serde(with = "layers::list")]
    pub head: Vec<LayerSpec>,
    /// Divide each representation by its Euclidean norm (cfrnet `normalization='divide'`).
    pub normalize_representation: bool,
    /// Weight the factual loss by t/(2u) + (1-t)/(2(1-u)), u the treated share
    /// (Shalit et al. 2017, eq. for w_i; cfrnet `reweight_sample=1`).
    pub reweight: bool,
    /// Standardise outcomes for training. Off by default: cfrnet trains on raw
    /// outcomes, and its `p_alpha` and `p_lambda` are tuned against that loss scale.
    pub standardize_outcome: bool,
    #[serde(flatten)]
    pub schedule: Schedule,
}

impl Default for TarnetParams {
    fn default() -> Self {
        TarnetParams {
            encoder: None,
            representation: layers::dense_elu(3, 200),
            head: layers::dense_elu(3, 100),
            normalize_representation: true,
            reweight: true,
            standardize_outcome: false,
            schedule: Schedule::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ipm {
    /// Squared linear MMD between the group means (cfrnet `mmd2_lin`).
    Mmd,
    /// Entropy-regularised Wasserstein-1 by Sinkhorn iterations (cfrnet `wass`).
    Wasserstein,
}

/// CFR (Shalit et al., ICML 2017): TARNet plus `alpha` times an integral probability
/// metric between the treated and control representations. Defaults from cfrnet
/// configs/example_ihdp.txt: `imb_fun='wass'`, `p_alpha=0.3`, `wass_lambda=10`,
/// `wass_iterations=10`, `wass_bpt=1`, `use_p_correction=0`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CfrParams {
    pub ipm: Ipm,
    pub alpha: f64,
    /// Sinkhorn entropic regularisation, relative to the mean distance.
    pub wass_lambda: f64,
    pub wass_iterations: usize,
    #[serde(flatten)]
    pub tarnet: TarnetParams,
}

impl Default for CfrParams {
    fn default() -> Self {
        CfrParams {
            ipm: Ipm::Wasserstein,
            alpha: 0.3,
            wass_lambda: 10.0,
            wass_iterations: 10,
            tarnet: TarnetParams::default(),
        }
    }
}

/// DragonNet (Shi, Blei & Veitch, NeurIPS 2019), defaults from the authors'
/// `src/experiment/models.py` and `ihdp_main.py`: 3×200 ELU body, 2×100 ELU heads,
/// a sigmoid propensity head, L2 0.01 on the outcome heads; Adam 1e-3 for up to 100
/// epochs (patience 2), then SGD 1e-5 with Nesterov momentum 0.9 for up to 300
/// epochs (patience 40), both halving the rate after 5 epochs without progress of
/// the training loss; batch 64; targeted regularization with weight 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DragonParams {
    /// An encoder of sequence or image covariates whose output joins the
    /// tabular covariates before the first layer (`encoder.rs`); none by default,
    /// and then left out of the run key.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "encoder::optional")]
    pub encoder: Option<EncoderSpec>,
    #[serde(with = "layers::list")]
    pub representation: Vec<LayerSpec>,
    #[serde(with = "layers::list")]
    pub head: Vec<LayerSpec>,
    pub targeted_regularization: bool,
    /// Weight of the targeted regularization term (`ratio=1.`).
    pub beta: f64,
    pub batch: usize,
    pub epochs: usize,
    pub lr: f64,
    pub patience: usize,
    pub sgd_epochs: usize,
    pub sgd_lr: f64,
    pub momentum: f64,
    pub sgd_patience: usize,
    pub plateau_factor: f64,
    pub plateau_patience: usize,
    /// Keras `l2(0.01)` on the outcome heads: `weight_decay * sum(w^2)`.
    pub weight_decay: f64,
    pub early_stopping: bool,
    pub standardize_outcome: bool,
    pub device: Device,
    /// What the propensity head reads: the shared body (DragonNet) or the raw
    /// covariates (the authors' `make_tarnet`, Shi et al.'s "TARNet" rows). Left out
    /// of the run key while it is `body`: it came after the first results were stored.
    #[serde(skip_serializing_if = "Propensity::is_body")]
    pub propensity: Propensity,
}

/// Input of DragonNet's propensity head. `inputs` is the authors' TARNet
/// (`models.py`, `make_tarnet`): a logistic regression on the covariates, so the
/// propensity loss no longer shapes the representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Propensity {
    #[default]
    Body,
    Inputs,
}

impl Propensity {
    fn is_body(&self) -> bool {
        *self == Propensity::Body
    }
}

impl Default for DragonParams {
    fn default() -> Self {
        DragonParams {
            encoder: None,
            representation: layers::dense_elu(3, 200),
            head: layers::dense_elu(2, 100),
            targeted_regularization: true,
            beta: 1.0,
            batch: 64,
            epochs: 100,
            lr: 1e-3,
            patience: 2,
            sgd_epochs: 300,
            sgd_lr: 1e-5,
            momentum: 0.9,
            sgd_patience: 40,
            plateau_factor: 0.5,
            plateau_patience: 5,
            weight_decay: 0.01,
            early_stopping: true,
            standardize_outcome: true,
            device: Device::Cpu,
            propensity: Propensity::Body,
        }
    }
}

mod check;
pub use check::{Checked, parse, resolve};

#[cfg(test)]
mod tests {
    use super::check::to_params;
    use super::*;
    use crate::estimate::Params;
    use serde_json::{Value, json};

    fn params(v: Value) -> Params {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn resolved_cfr_defaults_are_the_published_ones() {
        let resolved = resolve::<CfrParams>("cfr", &Params::new()).unwrap();
        insta::assert_snapshot!(serde_json::to_string_pretty(&resolved).unwrap());
    }

    #[test]
    fn resolved_dragonnet_defaults_are_the_published_ones() {
        let resolved = resolve::<DragonParams>("dragonnet", &Params::new()).unwrap();
        insta::assert_snapshot!(serde_json::to_string_pretty(&resolved).unwrap());
    }

    #[test]
    fn a_late_hyperparameter_enters_the_key_only_when_set_away_from_its_default() {
        let default = resolve::<DragonParams>("dragonnet", &Params::new()).unwrap();
        assert!(!default.contains_key("propensity"), "stored dragonnet keys would all change");
        assert_eq!(resolve::<DragonParams>("dragonnet", &params(json!({"propensity": "body"}))).unwrap(), default);
        let inputs = resolve::<DragonParams>("dragonnet", &params(json!({"propensity": "inputs"}))).unwrap();
        assert_eq!(inputs["propensity"], json!("inputs"));
        assert_eq!(resolve::<DragonParams>("dragonnet", &inputs).unwrap(), inputs, "resolution is idempotent");
        assert_eq!(DragonParams::late_defaults()["propensity"], json!("body"));
        let err = resolve::<DragonParams>("dragonnet", &params(json!({"propensity": "input"}))).unwrap_err();
        insta::assert_snapshot!(err.to_string(), @"estimator `dragonnet`: invalid hyperparameters: unknown variant `input`, expected `body` or `inputs`");
    }

    #[test]
    fn layer_shorthand_resolves_to_dense_elu() {
        let resolved = resolve::<TarnetParams>("tarnet", &params(json!({"representation": [20, 20]}))).unwrap();
        assert_eq!(
            resolved["representation"],
            json!([{"activation": "elu", "dense": 20}, {"activation": "elu", "dense": 20}])
        );
    }

    #[test]
    fn defaults_round_trip() {
        let resolved = to_params(&CfrParams::default());
        let back: CfrParams = parse("cfr", &resolved).unwrap();
        assert_eq!(back, CfrParams::default());
    }

    #[test]
    fn empty_params_parse_to_the_defaults() {
        // Guards against flattened structs silently taking their own defaults.
        assert_eq!(parse::<LearnerParams>("slearner", &Params::new()).unwrap(), LearnerParams::default());
        assert_eq!(parse::<TarnetParams>("tarnet", &Params::new()).unwrap(), TarnetParams::default());
        assert_eq!(parse::<CfrParams>("cfr", &Params::new()).unwrap(), CfrParams::default());
        assert_eq!(parse::<DragonParams>("dragonnet", &Params::new()).unwrap(), DragonParams::default());
    }

    #[test]
    fn user_values_override_defaults() {
        let p: CfrParams = parse("cfr", &params(json!({"alpha": 1.0, "head": [50], "ipm": "mmd"}))).unwrap();
        assert_eq!((p.alpha, p.ipm, p.tarnet.head.len()), (1.0, Ipm::Mmd, 1));
        assert_eq!(p.tarnet.schedule.iterations, 3000);
    }

    #[test]
    fn errors_name_the_key() {
        let err = |kind: &str, v: Value| match kind {
            "cfr" => parse::<CfrParams>(kind, &params(v)).unwrap_err().to_string(),
            _ => parse::<DragonParams>(kind, &params(v)).unwrap_err().to_string(),
        };
        insta::assert_snapshot!(err("cfr", json!({"alpah": 1.0})), @"estimator `cfr`: invalid hyperparameters: unknown key `alpah` (did you mean `alpha`?)");
        insta::assert_snapshot!(err("dragonnet", json!({"lrate": 1.0})), @"estimator `dragonnet`: invalid hyperparameters: unknown key `lrate` (expected one of: batch, beta, device, early_stopping, epochs, head, lr, momentum, patience, plateau_factor, plateau_patience, representation, sgd_epochs, sgd_lr, sgd_patience, standardize_outcome, targeted_regularization, weight_decay, encoder, propensity)");
        insta::assert_snapshot!(err("cfr", json!({"alpha": -1.0})), @"estimator `cfr`: invalid hyperparameters: `alpha` must be a finite number >= 0");
        insta::assert_snapshot!(err("cfr", json!({"ipm": "wass"})), @"estimator `cfr`: invalid hyperparameters: unknown variant `wass`, expected `mmd` or `wasserstein`");
        insta::assert_snapshot!(err("cfr", json!({"head": [100, {"dense": 5, "activation": "gelu"}]})), @r#"estimator `cfr`: invalid hyperparameters: layer 2: unknown activation `"gelu"` (did you mean `elu`?); expected one of ["elu", "relu", "tanh", "sigmoid", "linear"]"#);
        insta::assert_snapshot!(err("dragonnet", json!({"targeted_regularisation": true})), @"estimator `dragonnet`: invalid hyperparameters: unknown key `targeted_regularisation` (did you mean `targeted_regularization`?)");
        insta::assert_snapshot!(err("dragonnet", json!({"momentum": 1.0})), @"estimator `dragonnet`: invalid hyperparameters: `momentum` must be in [0, 1)");
    }
}
