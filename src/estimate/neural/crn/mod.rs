//! CRN, the Counterfactual Recurrent Network (Bica, Alaa, Jordon & van der
//! Schaar, ICLR 2020), as the Causal Transformer repository trains it
//! (`src/models/crn.py`, `time_varying_model.py`, `utils.py`; read, not copied).
//!
//! The encoder, an LSTM over the factual history, builds at every step a
//! representation from which a classifier should *not* be able to tell the
//! treatment given next: a gradient-reversal layer between the two makes the
//! representation fight the classifier, which removes the time-varying
//! confounding from it; an outcome head reads the representation and the
//! treatment and predicts the next outcome (one step ahead). The decoder, a
//! second such network whose LSTM state starts at the encoder's representation,
//! rolls over the rest of a treatment plan, feeding its own predictions back in
//! (τ-step projections); it trains on the training units' sub-paths with the
//! true outcomes as inputs. Outcomes, covariates and statics are standardised
//! on the training units and predictions scaled back.
//!
//! Every random draw (initial weights, minibatch order, dropout masks) comes
//! from the run's stream, and all arithmetic is ours or ATen's pinned kernels
//! (`recurrent.rs`), so a run's bytes depend on its inputs only.

pub(super) mod data;
pub(super) mod net;
mod params;
#[cfg(test)]
pub(super) mod tests;
mod train;

use std::collections::BTreeMap;

use tch::{Kind, Tensor};

use self::data::{Prepared, check_one_step, check_queries, class_of, push_one_hot};
use self::net::{Net, Shape};
use self::train::{Report, Schedule};
use crate::data::panel::{Panel, Query};
use crate::estimate::panel::{PanelEstimate, PanelEstimator};
use crate::estimate::params::parse;
use crate::estimate::{EstimateError, Params};
use crate::rng::RunRng;

pub use self::params::{AlphaRate, CrnParams, DecoderParams, EncoderParams};

/// The kind's name in experiment files.
pub const NAME: &str = "crn";
/// One line for the reference, with the source of its defaults.
pub const SUMMARY: &str = "CRN: an LSTM encoder with a treatment-balanced representation (gradient reversal) and an LSTM decoder for τ-step projections; defaults from the Causal Transformer repository's tumour-growth setting at γ = 0 (Bica et al., ICLR 2020).";
/// Enters the run keys: bump when CRN's numbers change for the same inputs.
pub const VERSION: u32 = 1;

/// Resolve user hyperparameters (every default spelled out), for the panel registry.
pub fn resolve(kind: &str, params: &Params) -> Result<Params, EstimateError> {
    crate::estimate::registry::resolve_hyper::<CrnParams>(kind, params)
}

/// Build from resolved (or raw) hyperparameters, for the panel registry.
pub fn build(kind: &str, params: &Params) -> Result<Box<dyn PanelEstimator>, EstimateError> {
    Ok(Box::new(Crn { params: parse(kind, params)? }))
}

/// CRN's entry in the panel registry (`estimate::panel::registry::PANEL_KINDS`).
pub static CRN: crate::estimate::panel::registry::PanelKind = crate::estimate::panel::registry::PanelKind {
    name: NAME,
    summary: SUMMARY,
    version: VERSION,
    uses_libtorch: true,
    resolve,
    build,
    late_defaults: <CrnParams as crate::estimate::params::Hyper>::late_defaults,
};

pub struct Crn {
    pub params: CrnParams,
}

/// Units per encoder pass when computing representations (bounds memory only).
const UNITS_PER_PASS: usize = 512;
/// Queries answered per pass (bounds memory only: every row's numbers are its own).
const QUERIES_PER_PASS: usize = 65_536;

impl PanelEstimator for Crn {
    fn fit_predict(&self, panel: &Panel, queries: &[Query], rng: &mut RunRng) -> Result<PanelEstimate, EstimateError> {
        super::init_thread();
        let (p, kind) = (&self.params, NAME);
        let failed = |m: String| EstimateError::failed(kind, m);
        check_queries(kind, panel, queries)?;
        check_one_step(kind, p.projections, queries)?;
        let prep = Prepared::new(kind, panel)?;
        let device = p.device.to_tch(kind)?;
        let (e, d) = (&p.encoder, &p.decoder);
        let schedule = |batch, lr, dropout| Schedule {
            epochs: p.epochs,
            batch,
            lr,
            dropout,
            alpha: p.alpha,
            rate: p.alpha_rate,
            early_stopping: p.early_stopping,
            patience: p.patience,
        };

        let shape = Shape {
            inputs: prep.encoder_width(),
            hidden: e.hidden,
            layers: e.layers,
            br_size: e.br_size,
            fc_hidden: e.fc_hidden,
            classes: prep.classes,
        };
        let encoder = Net::new(&shape, device, rng).map_err(failed)?;
        let (train_rows, val_rows) = (prep.encoder_sequences(&prep.train), prep.encoder_sequences(&prep.validation));
        let s = schedule(e.batch, e.lr, e.dropout);
        let report = train::train(kind, &encoder, &train_rows, Some(&val_rows), &s, rng)?;
        let mut diagnostics = describe("encoder", &report);

        let decoder = if queries.iter().any(|q| q.plan.len() > 1) {
            let paths = |units: &[usize]| {
                let reps = represent(&encoder, &prep, units, |u| panel.length[u]);
                prep.decoder_paths(units, &reps, e.br_size, p.projection_horizon)
            };
            let (train_paths, val_paths) = (paths(&prep.train), paths(&prep.validation));
            if train_paths.rows() == 0 {
                return Err(failed(format!(
                    "the decoder learns from sub-paths of projection_horizon + 1 = {} steps, and no training unit is that long",
                    p.projection_horizon + 1
                )));
            }
            let shape = Shape {
                inputs: prep.decoder_width(),
                hidden: e.br_size,
                layers: d.layers,
                br_size: d.br_size,
                fc_hidden: d.fc_hidden,
                classes: prep.classes,
            };
            let decoder = Net::new(&shape, device, rng).map_err(failed)?;
            let s = schedule(d.batch, d.lr, d.dropout);
            let report = train::train(kind, &decoder, &train_paths, Some(&val_paths), &s, rng)?;
            diagnostics.push(("decoder_rows".into(), train_paths.rows() as f64));
            diagnostics.extend(describe("decoder", &report));
            Some(decoder)
        } else {
            None
        };

        let scaled = predict(&encoder, decoder.as_ref(), &prep, queries);
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

fn describe(net: &str, r: &Report) -> Vec<(String, f64)> {
    vec![
        (format!("{net}_epochs"), r.epochs as f64),
        (format!("{net}_train_loss"), r.train_loss),
        (format!("{net}_validation_rmse"), r.validation_rmse),
    ]
}

/// The encoder's representation at positions `0..positions(unit)` of each unit,
/// `positions × br` values per unit. The LSTM reads forward only, so the
/// representation at a position depends on the history up to it alone.
fn represent(net: &Net, prep: &Prepared, units: &[usize], positions: impl Fn(usize) -> usize) -> Vec<Vec<f32>> {
    let width = prep.encoder_width();
    let mut out = Vec::with_capacity(units.len());
    for chunk in units.chunks(UNITS_PER_PASS) {
        let steps = chunk.iter().map(|&u| positions(u)).max().unwrap_or(0);
        let mut x = Vec::with_capacity(chunk.len() * steps * width);
        for &u in chunk {
            let start = x.len();
            prep.encoder_input(u, positions(u), &mut x);
            x.resize(start + steps * width, 0.0);
        }
        let x =
            Tensor::from_slice(&x).view([chunk.len() as i64, steps as i64, width as i64]).to_device(net.vs.device());
        let br = tch::no_grad(|| net.representations(&x, None, None)).to_device(tch::Device::Cpu);
        let all = Vec::<f32>::try_from(br.flatten(0, -1)).unwrap_or_default();
        let per = all.len() / chunk.len().max(1);
        let dim = per / steps.max(1);
        for (k, &u) in chunk.iter().enumerate() {
            out.push(all[k * per..k * per + positions(u) * dim].to_vec());
        }
    }
    out
}

/// Every query's standardised prediction: the encoder's outcome head at the
/// query's step under `plan[0]`, then, for longer plans, the decoder rolled
/// from the encoder's representation over `plan[1..]`, reading back its own
/// predictions (CT's autoregressive test-time rollout).
fn predict(encoder: &Net, decoder: Option<&Net>, prep: &Prepared, queries: &[Query]) -> Vec<f32> {
    let mut last = BTreeMap::new();
    for q in queries {
        let e = last.entry(q.unit).or_insert(q.step);
        *e = (*e).max(q.step);
    }
    let units: Vec<usize> = last.keys().copied().collect();
    let reps = represent(encoder, prep, &units, |u| last[&u] + 1);
    let index: BTreeMap<usize, &Vec<f32>> = units.iter().copied().zip(&reps).collect();
    queries.chunks(QUERIES_PER_PASS).flat_map(|chunk| answer(encoder, decoder, prep, &index, chunk)).collect()
}

/// [`predict`] for one chunk of queries, from the encoder's representations of their units.
fn answer(
    encoder: &Net,
    decoder: Option<&Net>,
    prep: &Prepared,
    index: &BTreeMap<usize, &Vec<f32>>,
    queries: &[Query],
) -> Vec<f32> {
    let device = encoder.vs.device();
    let br = encoder.br_size;
    let classes = prep.classes;
    let mut rows = Vec::with_capacity(queries.len() * br);
    let mut first = Vec::with_capacity(queries.len() * classes);
    for q in queries {
        rows.extend_from_slice(&index[&q.unit][q.step * br..(q.step + 1) * br]);
        push_one_hot(&mut first, classes, class_of(&q.plan[0]));
    }
    let n = queries.len() as i64;
    let host = |v: &[f32], w: usize| Tensor::from_slice(v).view([n, w as i64]).to_device(device);
    let state = host(&rows, br);
    tch::no_grad(|| {
        let mut y = encoder.outcome(&state, &host(&first, classes));
        let mut out = to_vec(&y);
        let longest = queries.iter().map(|q| q.plan.len()).max().unwrap_or(1);
        if let (Some(dec), true) = (decoder, longest > 1) {
            let mut statics = Vec::new();
            for q in queries {
                prep.push_statics(q.unit, &mut statics);
            }
            let statics = host(&statics, prep.panel.n_static);
            let one_hot = |k: usize| {
                let mut v = Vec::with_capacity(queries.len() * classes);
                for q in queries {
                    push_one_hot(&mut v, classes, q.plan.get(k).and_then(|a| class_of(a)));
                }
                host(&v, classes)
            };
            let mut lstm = dec.start(&state);
            // Queries with shorter plans ride along (with an empty treatment past
            // their end); every row's numbers are its own.
            for k in 0..longest - 1 {
                let x = Tensor::cat(&[one_hot(k), y.shallow_clone(), statics.shallow_clone()], 1);
                let rep = dec.advance(&x, &mut lstm);
                y = dec.outcome(&rep, &one_hot(k + 1));
                let now = to_vec(&y);
                for (i, q) in queries.iter().enumerate() {
                    if q.plan.len() == k + 2 {
                        out[i] = now[i];
                    }
                }
            }
        }
        out
    })
}

fn to_vec(t: &Tensor) -> Vec<f32> {
    Vec::<f32>::try_from(t.to_kind(Kind::Float).to_device(tch::Device::Cpu).flatten(0, -1)).unwrap_or_default()
}
