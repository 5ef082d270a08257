//! RMSN, Recurrent Marginal Structural Networks (Lim, Alaa & van der Schaar,
//! NeurIPS 2018), as the Causal Transformer repository trains them
//! (`src/models/rmsn.py`, `time_varying_model.py`, `runnables/train_rmsn.py`;
//! read, not copied).
//!
//! Four LSTMs, trained one after the other. Two propensity networks give the
//! stabilized weights (`weights.rs`): one reads the previous treatments only
//! (the numerator, `f(A_t | Ā_{t−1})`), the other the whole history (the
//! denominator, `f(A_t | H_t)`). The encoder reads the history and the current
//! treatment and learns the next outcome with the weighted squared error: the
//! weights undo the time-varying confounding of the factual treatments, as a
//! marginal structural model's do. The decoder starts its LSTM from the
//! encoder's output (through a linear memory adapter) and rolls over the rest
//! of a plan, reading back its own predictions; it learns from the training
//! units' sub-paths with the cumulative weights. Outcomes, covariates and
//! statics are standardised on the training units (CRN's `Prepared`) and
//! predictions scaled back.
//!
//! Every random draw (initial weights, minibatch order, dropout masks) comes
//! from the run's stream, and all arithmetic is ours or ATen's pinned kernels
//! (`recurrent.rs`), so a run's bytes depend on its inputs only.

mod data;
mod net;
mod params;
mod predict;
#[cfg(test)]
mod tests;
mod train;
mod weights;

use tch::{Kind, Tensor};

use self::data::{Propensity, Sequences};
use self::net::{Net, Shape, Target};
use self::train::Report;
use crate::data::panel::{Panel, Query};
use crate::estimate::neural::crn::data::{Prepared, check_one_step, check_queries};
use crate::estimate::panel::{PanelEstimate, PanelEstimator};
use crate::estimate::params::parse;
use crate::estimate::{EstimateError, Params};
use crate::rng::RunRng;

pub use self::params::{NetParams, RmsnParams};

/// The kind's name in experiment files.
pub const NAME: &str = "rmsn";
/// One line for the reference, with the source of its defaults.
pub const SUMMARY: &str = "RMSN: LSTM propensity networks give stabilized weights for an LSTM encoder (one step ahead) and an LSTM decoder for τ-step projections; defaults from the Causal Transformer repository's tumour-growth setting at γ = 0 (Lim et al., NeurIPS 2018).";
/// Enters the run keys: bump when RMSN's numbers change for the same inputs.
pub const VERSION: u32 = 1;

/// Resolve user hyperparameters (every default spelled out), for the panel registry.
pub fn resolve(kind: &str, params: &Params) -> Result<Params, EstimateError> {
    crate::estimate::registry::resolve_hyper::<RmsnParams>(kind, params)
}

/// Build from resolved (or raw) hyperparameters, for the panel registry.
pub fn build(kind: &str, params: &Params) -> Result<Box<dyn PanelEstimator>, EstimateError> {
    Ok(Box::new(Rmsn { params: parse(kind, params)? }))
}

/// RMSN's entry in the panel registry (`estimate::panel::registry::PANEL_KINDS`).
pub static RMSN: crate::estimate::panel::registry::PanelKind = crate::estimate::panel::registry::PanelKind {
    name: NAME,
    summary: SUMMARY,
    version: VERSION,
    uses_libtorch: true,
    resolve,
    build,
    late_defaults: <RmsnParams as crate::estimate::params::Hyper>::late_defaults,
};

pub struct Rmsn {
    pub params: RmsnParams,
}

/// Units per pass when computing logits or representations (bounds memory only).
const UNITS_PER_PASS: usize = 512;

impl PanelEstimator for Rmsn {
    fn fit_predict(&self, panel: &Panel, queries: &[Query], rng: &mut RunRng) -> Result<PanelEstimate, EstimateError> {
        super::init_thread();
        let (p, kind) = (&self.params, NAME);
        let failed = |m: String| EstimateError::failed(kind, m);
        check_queries(kind, panel, queries)?;
        check_one_step(kind, p.projections, queries)?;
        let prep = Prepared::new(kind, panel)?;
        let device = p.device.to_tch(kind)?;
        let k = panel.n_treatments;
        let mut diagnostics = Vec::new();

        // The two propensity networks, then the encoder's weights from them.
        let mut logits = Vec::new();
        for (which, name, np) in [
            (Propensity::Treatment, "propensity_treatment", &p.propensity_treatment),
            (Propensity::History, "propensity_history", &p.propensity_history),
        ] {
            let shape = Shape {
                inputs: which.width(&prep),
                hidden: np.hidden,
                layers: np.layers,
                outputs: k,
                memory: None,
                target: Target::Treatment,
            };
            let net = Net::new(&shape, device, rng).map_err(failed)?;
            let (t, v) = (which.sequences(&prep, &prep.train), which.sequences(&prep, &prep.validation));
            let report = train::train(kind, name, &net, &t, &v, np, p.epochs, rng)?;
            diagnostics.extend(describe(name, &report, "bce"));
            logits.push((read_out(&net, &t), t.steps));
        }
        let ratios: Vec<Vec<f64>> = prep
            .train
            .iter()
            .enumerate()
            .map(|(row, &u)| {
                let at = |which: usize, t: usize| {
                    let (l, steps) = &logits[which];
                    &l[(row * steps + t) * k..][..k]
                };
                let ratio = |t| weights::ratio(at(0, t), at(1, t), panel.treatment(u, t));
                (0..panel.length[u]).map(ratio).collect()
            })
            .collect();
        if let Some((row, t)) =
            ratios.iter().enumerate().find_map(|(r, w)| w.iter().position(|v| !v.is_finite()).map(|t| (r, t)))
        {
            return Err(failed(format!("the stabilized weight of unit {} at step {t} is not finite", prep.train[row])));
        }
        let mut flat: Vec<f64> = ratios.iter().flatten().copied().collect();
        let (lo, hi) = weights::clip_normalize(&mut flat, 1);
        diagnostics.extend([("weight_p01".into(), lo), ("weight_p99".into(), hi)]);
        let mut rest = flat.as_slice();
        let encoder_weights: Vec<Vec<f64>> = ratios
            .iter()
            .map(|r| {
                let (head, tail) = rest.split_at(r.len());
                rest = tail;
                head.to_vec()
            })
            .collect();

        let e = &p.encoder;
        let outcome = |inputs, p: &NetParams, memory| Shape {
            inputs,
            hidden: p.hidden,
            layers: p.layers,
            outputs: 1,
            memory,
            target: Target::Outcome,
        };
        let encoder = Net::new(&outcome(data::encoder_width(&prep), e, None), device, rng).map_err(failed)?;
        let t = data::encoder_sequences(&prep, &prep.train, Some(&encoder_weights));
        let v = data::encoder_sequences(&prep, &prep.validation, None);
        let report = train::train(kind, "encoder", &encoder, &t, &v, e, p.epochs, rng)?;
        diagnostics.extend(describe("encoder", &report, "rmse"));

        let decoder = if queries.iter().any(|q| q.plan.len() > 1) {
            let h = p.projection_horizon;
            let d = &p.decoder;
            let mut products = weights::decoder_products(&ratios, h);
            if products.is_empty() {
                return Err(failed(format!(
                    "the decoder learns from sub-paths of projection_horizon + 2 = {} steps, and no training unit is that long",
                    h + 2
                )));
            }
            weights::clip_normalize(&mut products, h);
            let paths = |units: &[usize], w: Option<&[f64]>| {
                let reps = read_out_states(&encoder, &data::encoder_sequences(&prep, units, None));
                data::decoder_paths(&prep, units, &reps, e.hidden, h, w)
            };
            let (t, v) = (paths(&prep.train, Some(&products)), paths(&prep.validation, None));
            let decoder =
                Net::new(&outcome(data::decoder_width(&prep), d, Some(e.hidden)), device, rng).map_err(failed)?;
            let report = train::train(kind, "decoder", &decoder, &t, &v, d, p.epochs, rng)?;
            diagnostics.push(("decoder_rows".into(), t.rows() as f64));
            diagnostics.extend(describe("decoder", &report, "rmse"));
            Some(decoder)
        } else {
            None
        };

        let scaled = predict::predict(&encoder, decoder.as_ref(), &prep, queries);
        let predictions: Vec<f64> =
            scaled.iter().map(|&v| prep.outcome.mean + f64::from(v) * prep.outcome.std).collect();
        if let Some(q) = predictions.iter().position(|v| !v.is_finite()) {
            return Err(failed(format!("the prediction for query {q} is not finite")));
        }
        Ok(PanelEstimate { predictions, diagnostics })
    }

    fn longest_plan(&self) -> Option<usize> {
        (!self.params.projections).then_some(1)
    }
}

fn describe(net: &str, r: &Report, metric: &str) -> Vec<(String, f64)> {
    vec![(format!("{net}_train_loss"), r.train_loss), (format!("{net}_validation_{metric}"), r.validation)]
}

/// The LSTM's outputs at every position of every row, without dropout,
/// `steps × hidden` values per row (padding included).
fn read_out_states(net: &Net, rows: &Sequences) -> Vec<Vec<f32>> {
    let all: Vec<usize> = (0..rows.rows()).collect();
    let mut out = Vec::with_capacity(rows.rows());
    for chunk in all.chunks(UNITS_PER_PASS) {
        let batch = rows.batch(chunk, net.vs.device());
        let states = tch::no_grad(|| net.states(&batch.x, None, None));
        let all = to_vec(&states);
        let per = all.len() / chunk.len().max(1);
        out.extend(all.chunks(per.max(1)).map(<[f32]>::to_vec));
    }
    out
}

/// The read-out (logits) at every position of every row, `rows.steps` positions
/// of `rows.targets` values per row (padding included), flat.
fn read_out(net: &Net, rows: &Sequences) -> Vec<f32> {
    let all: Vec<usize> = (0..rows.rows()).collect();
    let width = rows.targets;
    let mut out = Vec::with_capacity(rows.rows() * rows.steps * width);
    for chunk in all.chunks(UNITS_PER_PASS) {
        let batch = rows.batch(chunk, net.vs.device());
        let y = tch::no_grad(|| net.read(&net.states(&batch.x, None, None)));
        let steps = y.size()[1] as usize;
        for row in to_vec(&y).chunks(steps * width) {
            out.extend_from_slice(row);
            // A chunk is cut to its longest row: pad back to the full length.
            out.resize(out.len() + (rows.steps - steps) * width, 0.0);
        }
    }
    out
}

pub(super) fn to_vec(t: &Tensor) -> Vec<f32> {
    Vec::<f32>::try_from(t.to_kind(Kind::Float).to_device(tch::Device::Cpu).flatten(0, -1)).unwrap_or_default()
}
