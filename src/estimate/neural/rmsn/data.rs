//! From a `Panel` (standardised by CRN's `Prepared`) to RMSN's four kinds of
//! sequences, as host arrays that minibatches gather from. Treatments enter
//! as their binary components (CT's `multilabel` mode, the only one its RMSN
//! takes), not as classes.
//!
//! At position `p` of a unit (CT's names in brackets): the propensity-treatment
//! network reads `A_{p−1}` (`prev_treatments`, zeros at `p = 0`); the
//! propensity-history network reads `A_{p−1}`, `X_p`, `Y_p` and the statics;
//! both learn `A_p` (`current_treatments`). The encoder reads `X_p`, `Y_p`
//! (`prev_outputs`), `A_p` and the statics and learns `Y_{p+1}` (`outputs`).
//! The decoder's sub-path from origin `s` starts from the encoder's
//! representation at `s` and at step `k` reads `A_{s+1+k}`, `Y_{s+1+k}` (the
//! true one while training; its own prediction at test) and the statics, and
//! learns `Y_{s+2+k}`.

use tch::Tensor;

use super::weights::origins;
use crate::estimate::neural::crn::data::{Gather, Prepared};

/// Padded sequences, row-major: inputs `[rows, steps, width]`, targets
/// `[rows, steps, targets]`, sample weights `[rows, steps]`, each row's active
/// length, and for the decoder the initial representations `[rows, r]`.
pub(super) struct Sequences {
    pub steps: usize,
    pub width: usize,
    pub targets: usize,
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    pub weight: Vec<f32>,
    pub len: Vec<usize>,
    pub init: Option<(Vec<f32>, usize)>,
}

/// One minibatch on the device, cut to its longest row.
pub(super) struct Batch {
    pub x: Tensor,
    pub y: Tensor,
    pub weight: Tensor,
    pub mask: Tensor,
    pub init: Option<Tensor>,
    /// Active positions in the batch.
    pub count: f64,
}

impl Sequences {
    fn new(steps: usize, width: usize, targets: usize) -> Sequences {
        Sequences {
            steps,
            width,
            targets,
            x: Vec::new(),
            y: Vec::new(),
            weight: Vec::new(),
            len: Vec::new(),
            init: None,
        }
    }

    pub fn rows(&self) -> usize {
        self.len.len()
    }

    /// Pad the row just written (of `len` positions) to `steps`.
    fn close_row(&mut self, len: usize) {
        let pad = self.steps - len;
        self.x.resize(self.x.len() + pad * self.width, 0.0);
        self.y.resize(self.y.len() + pad * self.targets, 0.0);
        self.weight.resize(self.weight.len() + pad, 0.0);
        self.len.push(len);
    }

    pub fn batch(&self, rows: &[usize], device: tch::Device) -> Batch {
        let g = Gather::new(rows, &self.len, self.steps, device);
        Batch {
            x: g.padded(&self.x, self.width),
            y: g.padded(&self.y, self.targets),
            weight: g.padded(&self.weight, 1).squeeze_dim(-1),
            mask: g.mask(),
            init: self.init.as_ref().map(|(v, width)| g.per_row(v, *width)),
            count: g.count(),
        }
    }
}

/// Appends `A_t`'s components (zeros for `None`).
fn push_treatment(prep: &Prepared, unit: usize, t: Option<usize>, out: &mut Vec<f32>) {
    let k = prep.panel.n_treatments;
    match t {
        Some(t) => out.extend(prep.panel.treatment(unit, t).iter().map(|&v| v as f32)),
        None => out.resize(out.len() + k, 0.0),
    }
}

pub(super) fn push_covariates(prep: &Prepared, unit: usize, t: usize, out: &mut Vec<f32>) {
    out.extend(prep.panel.covariate(unit, t).iter().zip(&prep.covariates).map(|(&v, s)| s.apply(v)));
}

/// Which of the propensity networks a sequence feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Propensity {
    /// Previous treatments only: the numerator.
    Treatment,
    /// The whole history: the denominator.
    History,
}

impl Propensity {
    pub fn width(self, prep: &Prepared) -> usize {
        let p = prep.panel;
        match self {
            Propensity::Treatment => p.n_treatments,
            Propensity::History => p.n_treatments + p.n_covariates + 1 + p.n_static,
        }
    }

    /// The network's training sequences of `units`: every active position,
    /// learning `A_p`.
    pub fn sequences(self, prep: &Prepared, units: &[usize]) -> Sequences {
        let p = prep.panel;
        let steps = units.iter().map(|&i| p.length[i]).max().unwrap_or(0);
        let mut s = Sequences::new(steps, self.width(prep), p.n_treatments);
        for &i in units {
            let len = p.length[i];
            for t in 0..len {
                push_treatment(prep, i, t.checked_sub(1), &mut s.x);
                if self == Propensity::History {
                    push_covariates(prep, i, t, &mut s.x);
                    s.x.push(prep.y(i, t));
                    prep.push_statics(i, &mut s.x);
                }
                push_treatment(prep, i, Some(t), &mut s.y);
                s.weight.push(1.0);
            }
            s.close_row(len);
        }
        s
    }
}

/// Width of the encoder's input at one position.
pub(super) fn encoder_width(prep: &Prepared) -> usize {
    let p = prep.panel;
    p.n_covariates + 1 + p.n_treatments + p.n_static
}

/// The encoder's input at position `t` of `unit` under treatment `a` (`A_t`).
pub(super) fn encoder_input(prep: &Prepared, unit: usize, t: usize, a: &[f64], out: &mut Vec<f32>) {
    push_covariates(prep, unit, t, out);
    out.push(prep.y(unit, t));
    out.extend(a.iter().map(|&v| v as f32));
    prep.push_statics(unit, out);
}

/// The encoder's sequences of `units`, learning `Y_{p+1}` at every active
/// position, weighted by `weights[row][p]` (1 without).
pub(super) fn encoder_sequences(prep: &Prepared, units: &[usize], weights: Option<&[Vec<f64>]>) -> Sequences {
    let p = prep.panel;
    let steps = units.iter().map(|&i| p.length[i]).max().unwrap_or(0);
    let mut s = Sequences::new(steps, encoder_width(prep), 1);
    for (row, &i) in units.iter().enumerate() {
        let len = p.length[i];
        for t in 0..len {
            encoder_input(prep, i, t, p.treatment(i, t), &mut s.x);
            s.y.push(prep.y(i, t + 1));
            s.weight.push(weights.map_or(1.0, |w| w[row][t] as f32));
        }
        s.close_row(len);
    }
    s
}

/// Width of the decoder's input at one step: treatment, outcome, statics.
pub(super) fn decoder_width(prep: &Prepared) -> usize {
    prep.panel.n_treatments + 1 + prep.panel.n_static
}

/// The decoder's input at one step: treatment `a`, (standardised) outcome `y`, the unit's statics.
pub(super) fn decoder_input(prep: &Prepared, unit: usize, a: &[f64], y: f32, out: &mut Vec<f32>) {
    out.extend(a.iter().map(|&v| v as f32));
    out.push(y);
    prep.push_statics(unit, out);
}

/// The decoder's sub-paths of `units` (CT's `process_sequential`): origins `s <
/// origins(len, horizon)`, each starting from `reps[unit][s]` (width `r`) with
/// teacher forcing, step `k` weighted by `weights[row · horizon + k]` (1 without).
pub(super) fn decoder_paths(
    prep: &Prepared,
    units: &[usize],
    reps: &[Vec<f32>],
    r: usize,
    horizon: usize,
    weights: Option<&[f64]>,
) -> Sequences {
    let p = prep.panel;
    let mut s = Sequences::new(horizon, decoder_width(prep), 1);
    let mut init = Vec::new();
    for (&i, rep) in units.iter().zip(reps) {
        for origin in 0..origins(p.length[i], horizon) {
            init.extend_from_slice(&rep[origin * r..(origin + 1) * r]);
            let row = s.rows();
            for k in 0..horizon {
                let t = origin + 1 + k;
                decoder_input(prep, i, p.treatment(i, t), prep.y(i, t), &mut s.x);
                s.y.push(prep.y(i, t + 1));
                s.weight.push(weights.map_or(1.0, |w| w[row * horizon + k] as f32));
            }
            s.close_row(horizon);
        }
    }
    s.init = Some((init, r));
    s
}
