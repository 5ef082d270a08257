//! RMSN's hyperparameters: four networks (the two propensity networks, the
//! encoder, the decoder), each an LSTM with its own width, dropout, minibatch,
//! gradient-norm clip and learning rate, and the schedule they share.
//!
//! Defaults are the Causal Transformer repository's RMSN on the tumour-growth
//! simulator (`config/backbone/rmsn.yaml`, `config/config.yaml` and
//! `config/backbone/rmsn_hparams/cancer_sim/0.yaml`, the γ = 0 setting);
//! [`RmsnParams::cancer_sim`] gives the setting of each γ = 0..4, which an
//! experiment writes out in its YAML.

use serde::{Deserialize, Serialize};

use crate::estimate::neural::Device;
use crate::estimate::params::{Hyper, check_at_least};

/// One of RMSN's networks: a (variational) LSTM and a linear read-out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetParams {
    /// LSTM units (CT `seq_hidden_units`).
    pub hidden: usize,
    /// Variational dropout of the LSTM's outputs and carried states (CT `dropout_rate`).
    pub dropout: f64,
    /// Stacked LSTM layers (CT `num_layer`).
    pub layers: usize,
    pub batch: usize,
    /// Largest L2 norm of the whole gradient; larger ones are scaled down to it
    /// (CT `max_grad_norm`, Lightning's `gradient_clip_val`).
    pub max_grad_norm: f64,
    /// Adam's learning rate (CT `optimizer.learning_rate`, no weight decay, no schedule).
    pub lr: f64,
}

impl NetParams {
    fn new(hidden: usize, dropout: f64, batch: usize, max_grad_norm: f64, lr: f64) -> NetParams {
        NetParams { hidden, dropout, layers: 1, batch, max_grad_norm, lr }
    }
}

impl Default for NetParams {
    fn default() -> Self {
        NetParams::new(12, 0.1, 128, 0.5, 0.01)
    }
}

/// Each section given in part keeps the rest of *its own* defaults (the
/// decoder's, not a generic network's): sections are read as maps and laid
/// over the defaults before they become [`NetParams`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawParams")]
pub struct RmsnParams {
    /// The numerator's network: previous treatments only (CT `propensity_treatment`).
    pub propensity_treatment: NetParams,
    /// The denominator's network: the whole history (CT `propensity_history`).
    pub propensity_history: NetParams,
    /// The one-step-ahead outcome network, trained with the stabilized weights.
    pub encoder: NetParams,
    /// The τ-step network started from the encoder's representation.
    pub decoder: NetParams,
    /// Passes over the training rows, each network (CT `exp.max_epochs`).
    pub epochs: usize,
    /// Steps of the training sub-paths the decoder learns from (CT
    /// `dataset.projection_horizon`); plans of any length are rolled at prediction.
    pub projection_horizon: usize,
    /// Answer plans of two steps or more with the decoder (true), or only
    /// one-step-ahead questions (false): the decoder is not trained, `rmse_2`
    /// .. `rmse_6` stay empty, and `rmse_1` is the same bits either way (the
    /// decoder trains last, from the same stream). Spelled out in the
    /// resolved hyperparameters only when false, so existing run keys stay.
    #[serde(skip_serializing_if = "crate::estimate::params::is_true")]
    pub projections: bool,
    pub device: Device,
}

type Section = Option<serde_json::Map<String, serde_json::Value>>;

/// `RmsnParams` as written, before each section meets its defaults.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParams {
    propensity_treatment: Section,
    propensity_history: Section,
    encoder: Section,
    decoder: Section,
    epochs: Option<usize>,
    projection_horizon: Option<usize>,
    projections: Option<bool>,
    device: Option<Device>,
}

impl TryFrom<RawParams> for RmsnParams {
    type Error = String;

    fn try_from(raw: RawParams) -> Result<RmsnParams, String> {
        let d = RmsnParams::default();
        let section = |given: Section, default: NetParams| -> Result<NetParams, String> {
            let Some(given) = given else { return Ok(default) };
            let mut merged = crate::estimate::params::to_params(&default);
            merged.extend(given);
            serde_json::from_value(serde_json::Value::Object(merged)).map_err(|e| e.to_string())
        };
        Ok(RmsnParams {
            propensity_treatment: section(raw.propensity_treatment, d.propensity_treatment)?,
            propensity_history: section(raw.propensity_history, d.propensity_history)?,
            encoder: section(raw.encoder, d.encoder)?,
            decoder: section(raw.decoder, d.decoder)?,
            epochs: raw.epochs.unwrap_or(d.epochs),
            projection_horizon: raw.projection_horizon.unwrap_or(d.projection_horizon),
            projections: raw.projections.unwrap_or(d.projections),
            device: raw.device.unwrap_or(d.device),
        })
    }
}

impl Default for RmsnParams {
    fn default() -> Self {
        RmsnParams::cancer_sim(0).unwrap_or_else(|| unreachable!("γ = 0 has a setting"))
    }
}

impl RmsnParams {
    /// CT's setting for the tumour simulator at confounding γ
    /// (`rmsn_hparams/cancer_sim/{γ}.yaml`); None past 4. The encoder is the
    /// same at every γ.
    pub fn cancer_sim(gamma: usize) -> Option<RmsnParams> {
        let n = NetParams::new;
        let (propensity_treatment, propensity_history, decoder) = match gamma {
            0 => (n(6, 0.2, 64, 1.0, 0.01), n(8, 0.3, 128, 1.0, 0.01), n(32, 0.2, 1024, 2.0, 1e-3)),
            1 => (n(8, 0.2, 64, 2.0, 0.01), n(12, 0.5, 256, 2.0, 0.01), n(32, 0.2, 1024, 2.0, 1e-3)),
            2 => (n(6, 0.2, 64, 1.0, 0.01), n(12, 0.5, 256, 2.0, 0.01), n(32, 0.3, 512, 4.0, 1e-3)),
            3 => (n(6, 0.2, 256, 2.0, 0.01), n(16, 0.1, 256, 1.0, 1e-3), n(64, 0.1, 1024, 4.0, 0.01)),
            4 => (n(8, 0.2, 64, 2.0, 0.01), n(16, 0.5, 128, 2.0, 1e-4), n(64, 0.1, 1024, 4.0, 0.01)),
            _ => return None,
        };
        Some(RmsnParams {
            propensity_treatment,
            propensity_history,
            encoder: n(12, 0.1, 128, 0.5, 0.01),
            decoder,
            epochs: 100,
            projection_horizon: 5,
            projections: true,
            device: Device::Cpu,
        })
    }

    /// Each network's name in messages and diagnostics, with its settings.
    pub fn nets(&self) -> [(&'static str, &NetParams); 4] {
        [
            ("propensity_treatment", &self.propensity_treatment),
            ("propensity_history", &self.propensity_history),
            ("encoder", &self.encoder),
            ("decoder", &self.decoder),
        ]
    }
}

fn positive(key: &str, v: f64) -> Result<(), String> {
    if v.is_finite() && v > 0.0 { Ok(()) } else { Err(format!("`{key}` must be a finite number > 0, got {v}")) }
}

impl Hyper for RmsnParams {
    fn validate(&self) -> Result<(), String> {
        for (net, p) in self.nets() {
            if !(1..=4096).contains(&p.hidden) {
                return Err(format!("`{net}.hidden` must be in 1..=4096, got {}", p.hidden));
            }
            if !(1..=8).contains(&p.layers) {
                return Err(format!("`{net}.layers` must be in 1..=8, got {}", p.layers));
            }
            if !(0.0..1.0).contains(&p.dropout) {
                return Err(format!("`{net}.dropout` must be in [0, 1), got {}", p.dropout));
            }
            check_at_least(&format!("{net}.batch"), p.batch, 1)?;
            positive(&format!("{net}.max_grad_norm"), p.max_grad_norm)?;
            positive(&format!("{net}.lr"), p.lr)?;
        }
        check_at_least("epochs", self.epochs, 1)?;
        check_at_least("projection_horizon", self.projection_horizon, 1)
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
        let d = RmsnParams::default();
        assert_eq!((d.propensity_treatment.hidden, d.propensity_history.hidden, d.decoder.hidden), (6, 8, 32));
        assert_eq!((d.encoder.max_grad_norm, d.decoder.lr, d.epochs), (0.5, 1e-3, 100));
        assert_eq!(RmsnParams::cancer_sim(4).unwrap().propensity_history.lr, 1e-4);
        assert_eq!(RmsnParams::cancer_sim(2).unwrap().decoder.dropout, 0.3);
        assert_eq!(RmsnParams::cancer_sim(5), None);
        for g in 0..5 {
            let p = RmsnParams::cancer_sim(g).unwrap();
            assert_eq!(p.validate(), Ok(()));
            assert_eq!(p.encoder, d.encoder, "CT's encoder is the same at every γ");
        }
    }

    /// `projections` enters the resolved hyperparameters (and so the run key)
    /// only when false.
    #[test]
    fn projections_is_spelled_out_only_when_off() {
        let resolve = |v: Value| crate::estimate::registry::resolve_hyper::<RmsnParams>("rmsn", &params(v)).unwrap();
        let default = resolve(json!({}));
        assert!(!default.contains_key("projections"), "{default:?}");
        assert_eq!(resolve(json!({"projections": true})), default);
        let off = resolve(json!({"projections": false}));
        assert_eq!((off.get("projections"), off.len()), (Some(&json!(false)), default.len() + 1));
        assert!(!parse::<RmsnParams>("rmsn", &off).unwrap().projections);
    }

    #[test]
    fn a_partial_section_keeps_that_sections_defaults() {
        let p: RmsnParams = parse("rmsn", &params(json!({"decoder": {"lr": 0.01}, "epochs": 3}))).unwrap();
        let d = RmsnParams::default();
        assert_eq!(p.decoder, NetParams { lr: 0.01, ..d.decoder.clone() });
        assert_ne!(d.decoder, NetParams { lr: 0.01, ..NetParams::default() }, "the test could not tell them apart");
        assert_eq!((p.epochs, &p.encoder), (3, &d.encoder));
    }

    #[test]
    fn mistakes_name_the_key() {
        let err = |v: Value| parse::<RmsnParams>("rmsn", &params(v)).unwrap_err().to_string();
        insta::assert_snapshot!(err(json!({"epoch": 3})), @"estimator `rmsn`: invalid hyperparameters: unknown key `epoch` (did you mean `epochs`?)");
        insta::assert_snapshot!(err(json!({"propensity_history": {"dropout": 1.0}})), @"estimator `rmsn`: invalid hyperparameters: `propensity_history.dropout` must be in [0, 1), got 1");
        insta::assert_snapshot!(err(json!({"encoder": {"max_grad_norm": 0.0}})), @"estimator `rmsn`: invalid hyperparameters: `encoder.max_grad_norm` must be a finite number > 0, got 0");
        insta::assert_snapshot!(err(json!({"decoder": {"hiden": 3}})), @"estimator `rmsn`: invalid hyperparameters: `decoder`: unknown field `hiden`, expected one of `hidden`, `dropout`, `layers`, `batch`, `max_grad_norm`, `lr`");
        insta::assert_snapshot!(err(json!({"propensity": {}})), @"estimator `rmsn`: invalid hyperparameters: unknown key `propensity` (did you mean `propensity_history`?)");
    }
}
