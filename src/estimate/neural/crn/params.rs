//! CRN's hyperparameters: the encoder's and the decoder's networks and
//! schedules, and the balancing schedule they share.
//!
//! Defaults are the Causal Transformer repository's CRN on the tumour-growth
//! simulator with gradient reversal (`config/backbone/crn.yaml`, `config/config.yaml`
//! and `config/backbone/crn_hparams/cancer_sim_grad_reverse/0.yaml`, the γ = 0
//! setting); [`CrnParams::cancer_sim`] gives the setting of each γ = 0..4, which
//! an experiment writes out in its YAML.

use serde::{Deserialize, Serialize};

use crate::estimate::neural::Device;
use crate::estimate::params::{Hyper, check_at_least};

/// The encoder: an LSTM over the factual history, its balancing representation
/// and its heads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EncoderParams {
    /// LSTM units (CT `seq_hidden_units`).
    pub hidden: usize,
    /// Width of the balancing representation (CT `br_size`).
    pub br_size: usize,
    /// Width of the treatment and outcome heads' hidden layer (CT `fc_hidden_units`).
    pub fc_hidden: usize,
    /// Variational dropout of the LSTM's outputs and carried states (CT `dropout_rate`).
    pub dropout: f64,
    /// Stacked LSTM layers (CT `num_layer`).
    pub layers: usize,
    pub batch: usize,
    /// Adam's learning rate (CT `optimizer.learning_rate`, no weight decay, no schedule).
    pub lr: f64,
}

impl Default for EncoderParams {
    fn default() -> Self {
        EncoderParams { hidden: 24, br_size: 18, fc_hidden: 36, dropout: 0.1, layers: 1, batch: 128, lr: 1e-3 }
    }
}

/// The decoder: an LSTM whose state starts at the encoder's representation and
/// which rolls over a treatment plan; its width is the encoder's `br_size`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DecoderParams {
    pub br_size: usize,
    pub fc_hidden: usize,
    pub dropout: f64,
    pub layers: usize,
    pub batch: usize,
    pub lr: f64,
}

impl Default for DecoderParams {
    fn default() -> Self {
        DecoderParams { br_size: 24, fc_hidden: 24, dropout: 0.2, layers: 1, batch: 512, lr: 1e-3 }
    }
}

/// How the gradient-reversal scale grows over the epochs (CT `exp.alpha_rate`):
/// `alpha · (2 / (1 + exp(−10 p)) − 1)` (`exp`, Ganin et al. 2016) or
/// `alpha · p` (`lin`), p the share of epochs done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlphaRate {
    Exp,
    Lin,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CrnParams {
    pub encoder: EncoderParams,
    pub decoder: DecoderParams,
    /// Passes over the training units, each network (CT `exp.max_epochs`).
    pub epochs: usize,
    /// Largest gradient-reversal scale (CT `exp.alpha`).
    pub alpha: f64,
    pub alpha_rate: AlphaRate,
    /// Steps of the training sub-paths the decoder learns from (CT
    /// `dataset.projection_horizon`); plans of any length are rolled at prediction.
    pub projection_horizon: usize,
    /// Answer plans of two steps or more with the decoder (true), or only
    /// one-step-ahead questions (false): the decoder is not trained, which
    /// saves most of a run's time (at the published tumour size about four
    /// fifths), `rmse_2` .. `rmse_6` stay empty, and `rmse_1` is the same bits
    /// either way, since the encoder trains first from the same stream. Left
    /// out of the resolved hyperparameters when true, so that the run keys of
    /// configurations written before it existed do not change.
    #[serde(skip_serializing_if = "crate::estimate::params::is_true")]
    pub projections: bool,
    /// Keep each network's parameters of the epoch with the lowest validation
    /// outcome error, and stop after `patience` epochs without improvement. Off by
    /// default: CT trains a fixed number of epochs and keeps the last parameters.
    pub early_stopping: bool,
    pub patience: usize,
    pub device: Device,
}

impl Default for CrnParams {
    fn default() -> Self {
        CrnParams {
            encoder: EncoderParams::default(),
            decoder: DecoderParams::default(),
            epochs: 100,
            alpha: 1.0,
            alpha_rate: AlphaRate::Exp,
            projection_horizon: 5,
            projections: true,
            early_stopping: false,
            patience: 10,
            device: Device::Cpu,
        }
    }
}

impl CrnParams {
    /// CT's setting for the tumour simulator at confounding γ
    /// (`crn_hparams/cancer_sim_grad_reverse/{γ}.yaml`); None past 4.
    pub fn cancer_sim(gamma: usize) -> Option<CrnParams> {
        let enc = |br_size, fc_hidden, dropout, batch| EncoderParams {
            hidden: 24,
            br_size,
            fc_hidden,
            dropout,
            layers: 1,
            batch,
            lr: 1e-3,
        };
        let dec = |br_size, fc_hidden, dropout, batch, lr| DecoderParams {
            br_size,
            fc_hidden,
            dropout,
            layers: 1,
            batch,
            lr,
        };
        let (encoder, decoder) = match gamma {
            0 => (enc(18, 36, 0.1, 128), dec(24, 24, 0.2, 512, 1e-3)),
            1 => (enc(18, 36, 0.1, 128), dec(24, 12, 0.1, 1024, 1e-3)),
            2 | 4 => (enc(24, 96, 0.2, 64), dec(24, 12, 0.1, 1024, 1e-3)),
            3 => (enc(24, 96, 0.2, 64), dec(18, 9, 0.1, 256, 1e-2)),
            _ => return None,
        };
        Some(CrnParams { encoder, decoder, ..CrnParams::default() })
    }
}

fn width(key: &str, v: usize) -> Result<(), String> {
    if (1..=4096).contains(&v) { Ok(()) } else { Err(format!("`{key}` must be in 1..=4096, got {v}")) }
}

fn rate(key: &str, v: f64) -> Result<(), String> {
    if (0.0..1.0).contains(&v) { Ok(()) } else { Err(format!("`{key}` must be in [0, 1), got {v}")) }
}

fn positive(key: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v > 0.0 { Ok(()) } else { Err(format!("`{key}` must be a finite number > 0, got {v}")) }
}

impl Hyper for CrnParams {
    fn validate(&self) -> Result<(), String> {
        let (e, d) = (&self.encoder, &self.decoder);
        for (key, v) in [
            ("encoder.hidden", e.hidden),
            ("encoder.br_size", e.br_size),
            ("encoder.fc_hidden", e.fc_hidden),
            ("decoder.br_size", d.br_size),
            ("decoder.fc_hidden", d.fc_hidden),
        ] {
            width(key, v)?;
        }
        for (key, v) in [("encoder.layers", e.layers), ("decoder.layers", d.layers)] {
            if !(1..=8).contains(&v) {
                return Err(format!("`{key}` must be in 1..=8, got {v}"));
            }
        }
        rate("encoder.dropout", e.dropout)?;
        rate("decoder.dropout", d.dropout)?;
        check_at_least("encoder.batch", e.batch, 1)?;
        check_at_least("decoder.batch", d.batch, 1)?;
        positive("encoder.lr", e.lr)?;
        positive("decoder.lr", d.lr)?;
        check_at_least("epochs", self.epochs, 1)?;
        if !(self.alpha.is_finite() && self.alpha >= 0.0) {
            return Err(format!("`alpha` must be a finite number >= 0, got {}", self.alpha));
        }
        check_at_least("projection_horizon", self.projection_horizon, 1)?;
        check_at_least("patience", self.patience, 1)
    }

    fn late_defaults() -> crate::estimate::Params {
        crate::estimate::params::late_true("projections")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::params::parse;
    use serde_json::{Value, json};

    fn params(v: Value) -> crate::estimate::Params {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn defaults_are_cts_gamma_zero_and_each_gamma_differs_where_ct_does() {
        assert_eq!(CrnParams::cancer_sim(0), Some(CrnParams::default()));
        assert_eq!(CrnParams::cancer_sim(2).unwrap().encoder.fc_hidden, 96);
        assert_eq!(CrnParams::cancer_sim(3).unwrap().decoder.lr, 1e-2);
        assert_eq!(CrnParams::cancer_sim(5), None);
        for g in 0..5 {
            assert_eq!(CrnParams::cancer_sim(g).unwrap().validate(), Ok(()));
        }
    }

    #[test]
    fn a_partial_section_keeps_that_sections_defaults() {
        let p: CrnParams = parse("crn", &params(json!({"decoder": {"lr": 0.01}, "epochs": 3}))).unwrap();
        assert_eq!(p.decoder, DecoderParams { lr: 0.01, ..DecoderParams::default() });
        assert_eq!((p.epochs, p.encoder.clone()), (3, EncoderParams::default()));
    }

    /// `projections` enters the resolved hyperparameters (and so the run key)
    /// only when false: the keys of every configuration written before it
    /// existed stay what they were.
    #[test]
    fn projections_is_spelled_out_only_when_off() {
        let resolve = |v: Value| crate::estimate::registry::resolve_hyper::<CrnParams>("crn", &params(v)).unwrap();
        let default = resolve(json!({}));
        assert!(!default.contains_key("projections"), "{default:?}");
        assert_eq!(resolve(json!({"projections": true})), default);
        let off = resolve(json!({"projections": false}));
        assert_eq!(off.get("projections"), Some(&json!(false)));
        assert_eq!(off.len(), default.len() + 1);
        assert!(!parse::<CrnParams>("crn", &off).unwrap().projections);
        assert_eq!(CrnParams::late_defaults().get("projections"), Some(&json!(true)));
    }

    #[test]
    fn mistakes_name_the_key() {
        let err = |v: Value| parse::<CrnParams>("crn", &params(v)).unwrap_err().to_string();
        insta::assert_snapshot!(err(json!({"epoch": 3})), @"estimator `crn`: invalid hyperparameters: unknown key `epoch` (did you mean `epochs`?)");
        insta::assert_snapshot!(err(json!({"encoder": {"dropout": 1.0}})), @"estimator `crn`: invalid hyperparameters: `encoder.dropout` must be in [0, 1), got 1");
        insta::assert_snapshot!(err(json!({"decoder": {"br": 3}})), @"estimator `crn`: invalid hyperparameters: `decoder`: unknown field `br`, expected one of `br_size`, `fc_hidden`, `dropout`, `layers`, `batch`, `lr`");
        insta::assert_snapshot!(err(json!({"projection": false})), @"estimator `crn`: invalid hyperparameters: unknown key `projection` (did you mean `projections`?)");
        insta::assert_snapshot!(err(json!({"alpha_rate": "log"})), @"estimator `crn`: invalid hyperparameters: `alpha_rate`: unknown variant `log`, expected `exp` or `lin`");
    }
}
