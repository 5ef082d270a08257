//! From a `Panel` to CRN's inputs: standardisation on the training units,
//! treatment vectors as classes, the encoder's sequences (one per unit) and the
//! decoder's sub-paths, all as host arrays that minibatches gather from.
//!
//! The encoder reads, at position `p`, the previous treatment `A_{p-1}` (one-hot
//! over the 2^k treatment combinations; zeros at `p = 0`), the covariates `X_p`,
//! the outcome `Y_p` and the statics, and learns `Y_{p+1}` under the current
//! treatment `A_p` (CT's `prev_treatments`, `vitals`, `prev_outputs`,
//! `static_features`, `current_treatments`, `outputs`).

use tch::{Kind, Tensor};

use crate::data::panel::{Panel, PanelFold, Query};
use crate::estimate::EstimateError;

/// Most binary treatment components: 2^6 = 64 classes.
pub const MAX_TREATMENTS: usize = 6;

/// A feature's training mean and population standard deviation (CT's
/// `np.std`); a constant feature gets 1 so that it standardises to 0.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(in crate::estimate::neural) struct Scale {
    pub mean: f64,
    pub std: f64,
}

impl Scale {
    fn of(values: impl Iterator<Item = f64>) -> Scale {
        let (mut n, mut sum, mut sq) = (0.0, 0.0, 0.0);
        for v in values {
            n += 1.0;
            sum += v;
            sq += v * v;
        }
        if n == 0.0 {
            return Scale { mean: 0.0, std: 1.0 };
        }
        let mean = sum / n;
        let var = (sq / n - mean * mean).max(0.0);
        let std = var.sqrt();
        Scale { mean, std: if std > 1e-12 * mean.abs().max(1.0) { std } else { 1.0 } }
    }

    pub fn apply(&self, v: f64) -> f32 {
        ((v - self.mean) / self.std) as f32
    }
}

/// Everything CRN reads from a panel, checked once.
pub(in crate::estimate::neural) struct Prepared<'a> {
    pub panel: &'a Panel,
    pub classes: usize,
    pub outcome: Scale,
    pub covariates: Vec<Scale>,
    statics: Vec<Scale>,
    pub train: Vec<usize>,
    pub validation: Vec<usize>,
}

fn bad(kind: &str, message: String) -> EstimateError {
    EstimateError::failed(kind, message)
}

impl<'a> Prepared<'a> {
    pub fn new(kind: &str, panel: &'a Panel) -> Result<Prepared<'a>, EstimateError> {
        let k = panel.n_treatments;
        if !(1..=MAX_TREATMENTS).contains(&k) {
            return Err(bad(
                kind,
                format!("needs 1..={MAX_TREATMENTS} binary treatment components, the panel has {k}"),
            ));
        }
        let (u, s) = (panel.units, panel.steps);
        let sizes = [
            ("statics", panel.statics.len(), u * panel.n_static),
            ("covariates", panel.covariates.len(), u * s * panel.n_covariates),
            ("outcomes", panel.outcomes.len(), u * (s + 1)),
            ("treatments", panel.treatments.len(), u * s * k),
            ("length", panel.length.len(), u),
            ("fold", panel.fold.len(), u),
        ];
        if let Some((name, got, want)) = sizes.iter().find(|(_, got, want)| got != want) {
            return Err(bad(kind, format!("the panel's `{name}` holds {got} values, its shape says {want}")));
        }
        if let Some(unit) = (0..u).find(|&i| !(1..=s).contains(&panel.length[i])) {
            return Err(bad(kind, format!("unit {unit} has length {}, outside 1..={s}", panel.length[unit])));
        }
        let train = panel.units_in(PanelFold::Train);
        let validation = panel.units_in(PanelFold::Validation);
        if train.is_empty() {
            return Err(bad(kind, "the panel has no training units".into()));
        }
        for &i in train.iter().chain(&validation) {
            let len = panel.length[i];
            if let Some(t) = (0..=len).find(|&t| !panel.outcome(i, t).is_finite()) {
                return Err(bad(kind, format!("unit {i}: outcome Y_{t} is not finite")));
            }
            for t in 0..len {
                class_of(panel.treatment(i, t)).ok_or_else(|| not_binary(kind, i, t, panel.treatment(i, t)))?;
                if panel.covariate(i, t).iter().any(|v| !v.is_finite()) {
                    return Err(bad(kind, format!("unit {i}: a covariate of X_{t} is not finite")));
                }
            }
        }
        let outcome = Scale::of(train.iter().flat_map(|&i| (0..=panel.length[i]).map(move |t| panel.outcome(i, t))));
        let covariates = (0..panel.n_covariates)
            .map(|j| Scale::of(train.iter().flat_map(|&i| (0..panel.length[i]).map(move |t| panel.covariate(i, t)[j]))))
            .collect();
        let statics =
            (0..panel.n_static).map(|j| Scale::of(train.iter().map(|&i| panel.static_features(i)[j]))).collect();
        Ok(Prepared { panel, classes: 1 << k, outcome, covariates, statics, train, validation })
    }

    /// Width of the encoder's input at one position.
    pub fn encoder_width(&self) -> usize {
        self.classes + self.panel.n_covariates + 1 + self.panel.n_static
    }

    /// Width of the decoder's input at one step: previous treatment, outcome, statics.
    pub fn decoder_width(&self) -> usize {
        self.classes + 1 + self.panel.n_static
    }

    /// `Y_t` of `unit`, standardised.
    pub fn y(&self, unit: usize, t: usize) -> f32 {
        self.outcome.apply(self.panel.outcome(unit, t))
    }

    /// The class of `A_t` (checked when the panel was prepared, or by `check_queries`).
    pub fn class(&self, unit: usize, t: usize) -> usize {
        class_of(self.panel.treatment(unit, t)).unwrap_or(0)
    }

    /// The encoder's input at positions `0..positions` of `unit`, appended to `out`.
    pub fn encoder_input(&self, unit: usize, positions: usize, out: &mut Vec<f32>) {
        let p = self.panel;
        for t in 0..positions {
            push_one_hot(out, self.classes, (t > 0).then(|| self.class(unit, t - 1)));
            out.extend(p.covariate(unit, t).iter().zip(&self.covariates).map(|(&v, s)| s.apply(v)));
            out.push(self.y(unit, t));
            self.push_statics(unit, out);
        }
    }

    pub fn push_statics(&self, unit: usize, out: &mut Vec<f32>) {
        out.extend(self.panel.static_features(unit).iter().zip(&self.statics).map(|(&v, s)| s.apply(v)));
    }

    /// The encoder's training sequences of `units`: every active position.
    pub fn encoder_sequences(&self, units: &[usize]) -> Sequences {
        let steps = units.iter().map(|&i| self.panel.length[i]).max().unwrap_or(0);
        let mut s = Sequences::new(steps, self.encoder_width(), self.classes);
        for &i in units {
            let len = self.panel.length[i];
            self.encoder_input(i, len, &mut s.x);
            s.x.resize(s.x.len() + (steps - len) * s.width, 0.0);
            for t in 0..steps {
                push_one_hot(&mut s.treat, self.classes, (t < len).then(|| self.class(i, t)));
                s.y.push(if t < len { self.y(i, t + 1) } else { 0.0 });
            }
            s.len.push(len);
        }
        s
    }

    /// The decoder's sub-paths of `units` (CT's `process_sequential`): for every
    /// origin `s` with `horizon` further steps, the state starts from the
    /// encoder's representation `reps[unit][s]` (after reading `Y_s`), and step
    /// `k` reads `A_{s+k}` and `Y_{s+k+1}` (the true one: teacher forcing) and
    /// learns `Y_{s+k+2}` under `A_{s+k+1}`.
    pub fn decoder_paths(&self, units: &[usize], reps: &[Vec<f32>], br: usize, horizon: usize) -> Sequences {
        let mut s = Sequences::new(horizon, self.decoder_width(), self.classes);
        let mut init = Vec::new();
        for (&i, rep) in units.iter().zip(reps) {
            let len = self.panel.length[i];
            for origin in 0..len.saturating_sub(horizon) {
                init.extend_from_slice(&rep[origin * br..(origin + 1) * br]);
                for k in 0..horizon {
                    let t = origin + k;
                    push_one_hot(&mut s.x, self.classes, Some(self.class(i, t)));
                    s.x.push(self.y(i, t + 1));
                    self.push_statics(i, &mut s.x);
                    push_one_hot(&mut s.treat, self.classes, Some(self.class(i, t + 1)));
                    s.y.push(self.y(i, t + 2));
                }
                s.len.push(horizon);
            }
        }
        s.init = Some((init, br));
        s
    }
}

/// Without its decoder (`projections: false`) a kind answers one-step
/// questions only; the run asks it no other, so a longer plan here is a caller's error.
pub(in crate::estimate::neural) fn check_one_step(
    kind: &str,
    projections: bool,
    queries: &[Query],
) -> Result<(), EstimateError> {
    if projections {
        return Ok(());
    }
    match queries.iter().enumerate().find(|(_, q)| q.plan.len() > 1) {
        Some((i, q)) => Err(EstimateError::failed(
            kind,
            format!(
                "query {i} (unit {}, step {}): a plan of {} steps, and `projections: false` answers one-step questions only",
                q.unit,
                q.step,
                q.plan.len()
            ),
        )),
        _ => Ok(()),
    }
}

/// Check every query against the panel: a known unit, a history that exists
/// (`Y_0..=Y_step`, `A_0..A_{step-1}` and `X_0..=X_step` observed), a non-empty
/// plan of binary treatment vectors.
pub(in crate::estimate::neural) fn check_queries(
    kind: &str,
    panel: &Panel,
    queries: &[Query],
) -> Result<(), EstimateError> {
    for (q, query) in queries.iter().enumerate() {
        let at = |m: String| bad(kind, format!("query {q} (unit {}, step {}): {m}", query.unit, query.step));
        if query.unit >= panel.units {
            return Err(at(format!("the panel has {} units", panel.units)));
        }
        let len = panel.length[query.unit];
        // X_t is stored for active steps only (t < length).
        let last = if panel.n_covariates > 0 { len - 1 } else { len };
        if query.step > last {
            return Err(at(format!("the unit's history ends at step {last}")));
        }
        if query.plan.is_empty() {
            return Err(at("the plan is empty; a one-step-ahead query has one treatment vector".into()));
        }
        for (k, a) in query.plan.iter().enumerate() {
            if a.len() != panel.n_treatments || class_of(a).is_none() {
                return Err(at(format!("plan[{k}] is {a:?}; expected {} components, each 0 or 1", panel.n_treatments)));
            }
        }
        for t in 0..query.step {
            class_of(panel.treatment(query.unit, t))
                .ok_or_else(|| not_binary(kind, query.unit, t, panel.treatment(query.unit, t)))?;
        }
        if (0..=query.step).any(|t| !panel.outcome(query.unit, t).is_finite()) {
            return Err(at("an outcome of its history is not finite".into()));
        }
    }
    Ok(())
}

fn not_binary(kind: &str, unit: usize, t: usize, a: &[f64]) -> EstimateError {
    bad(kind, format!("unit {unit}: treatment A_{t} is {a:?}; `{kind}` takes binary components (0 or 1)"))
}

/// The class of a binary treatment vector: component `j` is bit `j` (CT's
/// order for the tumour: none, chemotherapy, radiotherapy, both).
pub(super) fn class_of(a: &[f64]) -> Option<usize> {
    a.iter().enumerate().try_fold(0usize, |acc, (j, &v)| match v {
        0.0 => Some(acc),
        1.0 => Some(acc | (1 << j)),
        _ => None,
    })
}

pub(super) fn push_one_hot(out: &mut Vec<f32>, classes: usize, class: Option<usize>) {
    let start = out.len();
    out.resize(start + classes, 0.0);
    if let Some(c) = class {
        out[start + c] = 1.0;
    }
}

/// Padded sequences, row-major: inputs `[rows, steps, width]`, current
/// treatments `[rows, steps, classes]`, targets `[rows, steps]`, each row's
/// active length, and for the decoder the initial states `[rows, br]`.
pub(in crate::estimate::neural) struct Sequences {
    pub steps: usize,
    pub width: usize,
    pub classes: usize,
    pub x: Vec<f32>,
    pub treat: Vec<f32>,
    pub y: Vec<f32>,
    pub len: Vec<usize>,
    pub init: Option<(Vec<f32>, usize)>,
}

/// One minibatch on the device, cut to its longest row.
pub(in crate::estimate::neural) struct Batch {
    pub x: Tensor,
    pub treat: Tensor,
    pub y: Tensor,
    pub mask: Tensor,
    pub init: Option<Tensor>,
    /// Active positions in the batch.
    pub count: f64,
}

impl Sequences {
    fn new(steps: usize, width: usize, classes: usize) -> Sequences {
        Sequences {
            steps,
            width,
            classes,
            x: Vec::new(),
            treat: Vec::new(),
            y: Vec::new(),
            len: Vec::new(),
            init: None,
        }
    }

    pub fn rows(&self) -> usize {
        self.len.len()
    }

    pub fn batch(&self, rows: &[usize], device: tch::Device) -> Batch {
        let g = Gather::new(rows, &self.len, self.steps, device);
        Batch {
            x: g.padded(&self.x, self.width),
            treat: g.padded(&self.treat, self.classes),
            y: g.padded(&self.y, 1),
            mask: g.mask(),
            init: self.init.as_ref().map(|(v, br)| g.per_row(v, *br)),
            count: g.count(),
        }
    }
}

/// A minibatch's rows of padded sequences (CRN's and RMSN's), cut to the
/// longest active length among them: the one place that lays rows out as tensors.
pub(in crate::estimate::neural) struct Gather<'a> {
    rows: &'a [usize],
    len: &'a [usize],
    /// Positions per row as stored (the padded length).
    stride: usize,
    /// Positions per row in the batch (the longest active length).
    steps: usize,
    device: tch::Device,
}

impl<'a> Gather<'a> {
    pub fn new(rows: &'a [usize], len: &'a [usize], stride: usize, device: tch::Device) -> Gather<'a> {
        let steps = rows.iter().map(|&r| len[r]).max().unwrap_or(0);
        Gather { rows, len, stride, steps, device }
    }

    /// `[n, steps, per]` from a row-major `[rows, stride, per]` store.
    pub fn padded(&self, src: &[f32], per: usize) -> Tensor {
        let mut out = Vec::with_capacity(self.rows.len() * self.steps * per);
        for &r in self.rows {
            let at = r * self.stride * per;
            out.extend_from_slice(&src[at..at + self.steps * per]);
        }
        Tensor::from_slice(&out).view([self.rows.len() as i64, self.steps as i64, per as i64]).to_device(self.device)
    }

    /// `[n, steps]`: 1 at each row's active positions, 0 past them.
    pub fn mask(&self) -> Tensor {
        let mut mask = Vec::with_capacity(self.rows.len() * self.steps);
        for &r in self.rows {
            mask.extend((0..self.steps).map(|k| if k < self.len[r] { 1f32 } else { 0.0 }));
        }
        Tensor::from_slice(&mask)
            .view([self.rows.len() as i64, self.steps as i64])
            .to_kind(Kind::Float)
            .to_device(self.device)
    }

    /// `[n, width]` from a row-major `[rows, width]` store (the decoder's initial states).
    pub fn per_row(&self, v: &[f32], width: usize) -> Tensor {
        let mut out = Vec::with_capacity(self.rows.len() * width);
        for &r in self.rows {
            out.extend_from_slice(&v[r * width..(r + 1) * width]);
        }
        Tensor::from_slice(&out).view([self.rows.len() as i64, width as i64]).to_device(self.device)
    }

    /// The active positions of the rows.
    pub fn count(&self) -> f64 {
        self.rows.iter().map(|&r| self.len[r]).sum::<usize>() as f64
    }
}
