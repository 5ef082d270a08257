//! One patient's factual path and its counterfactual paths under the same noise,
//! and the whole panel with the truth of every scored query.
//!
//! A patient's random numbers (growth noise, recovery, and the two treatment
//! draws of every day) are drawn once, before the path, so that every
//! counterfactual path reuses exactly the factual path's noise, and so that one
//! patient's draws never depend on how long another one lived.

use rand::Rng;
use rand_distr::StandardNormal;

use std::cell::RefCell;

use super::{CELL_DENSITY, DEATH_DIAMETER, Patient, TestPolicy, TumourConfig, diameter, draw_patient, max_volume};
use crate::data::panel::{Panel, PanelFold, Query};
use crate::rng::RunRng;

/// Standard deviation of the daily growth noise `e_t`.
const NOISE_SD: f64 = 0.01;
const CHEMO_DOSE: f64 = 5.0;
const RADIO_DOSE: f64 = 2.0;
/// The four one-step options in the truth's order: none, chemo, radio, both.
pub const OPTIONS: [[f64; 2]; 4] = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];

/// A patient's parameters with the random numbers of its whole path.
#[derive(Debug, Clone)]
pub struct Dynamics {
    pub patient: Patient,
    /// `noise[t]` is `e_t` (index 0 unused), for `t ≤ steps + max_tau`.
    pub(super) noise: Vec<f64>,
    /// Uniforms of the recovery event after step `t` and of the two treatment
    /// draws at step `t`, for `t < steps`.
    pub(super) recovery: Vec<f64>,
    pub(super) chemo_u: Vec<f64>,
    pub(super) radio_u: Vec<f64>,
}

impl Dynamics {
    pub fn draw(config: &TumourConfig, rng: &mut RunRng) -> Dynamics {
        let patient = draw_patient(rng);
        let mut noise = vec![0.0];
        noise.extend((0..config.steps + config.max_tau).map(|_| NOISE_SD * rng.sample::<f64, _>(StandardNormal)));
        let mut uniforms = || (0..config.steps).map(|_| rng.random::<f64>()).collect::<Vec<f64>>();
        let (recovery, chemo_u, radio_u) = (uniforms(), uniforms(), uniforms());
        Dynamics { patient, noise, recovery, chemo_u, radio_u }
    }

    /// `V_{t+1}` from `V_t = v`, the chemotherapy concentration `C_t` and the
    /// radiotherapy indicator `A^r_t`, with noise `e_{t+1}`; clipped to
    /// `[0, V_max]`, then 0 on recovery (with the step's recovery draw, for
    /// `t < steps`). 0 (recovered) and `V_max` (dead) are absorbing.
    pub fn next(&self, v: f64, concentration: f64, radio: f64, t: usize) -> f64 {
        let p = &self.patient;
        let vmax = max_volume();
        if v <= 0.0 || v >= vmax {
            return v.clamp(0.0, vmax);
        }
        let d = RADIO_DOSE * radio;
        let growth = 1.0 + p.rho * (p.capacity / v).ln() - p.beta_c * concentration - (p.alpha * d + p.beta * d * d);
        let v = (v * (growth + self.noise[t + 1])).clamp(0.0, vmax);
        match self.recovery.get(t) {
            Some(&u) if v < vmax && u < (-v * CELL_DENSITY).exp() => 0.0,
            _ => v,
        }
    }
}

/// `C_t` from `C_{t−1}` and `A^c_t`: a one-day half-life plus today's dose.
pub fn concentration(previous: f64, chemo: f64) -> f64 {
    previous * 0.5 + CHEMO_DOSE * chemo
}

/// One patient's factual path: volumes `Y_0 ..= Y_length`, treatments, and the
/// chemotherapy concentration `C_t` after each step.
#[derive(Debug, Clone, PartialEq)]
pub struct FactualPath {
    pub volumes: Vec<f64>,
    pub treatments: Vec<[f64; 2]>,
    pub concentrations: Vec<f64>,
}

impl FactualPath {
    pub fn length(&self) -> usize {
        self.treatments.len()
    }
}

/// The factual path under the confounded policy with strength `gamma`, which
/// reads the patient's own recent volumes.
pub fn factual(dynamics: &Dynamics, config: &TumourConfig) -> FactualPath {
    walk(
        dynamics,
        config,
        |t, volumes| {
            let start = (t + 1).saturating_sub(config.window);
            volumes[start..=t].iter().map(|&v| diameter(v)).sum::<f64>() / (t + 1 - start) as f64
        },
        |_, _| {},
    )
}

/// The factual path when the policy's mean diameter at step `t` is
/// `mean_diameter(t, volumes so far)`; `after_step(t, path so far)` sees the
/// path after each step (the reference-rows policy records its rows there).
fn walk(
    dynamics: &Dynamics,
    config: &TumourConfig,
    mut mean_diameter: impl FnMut(usize, &[f64]) -> f64,
    mut after_step: impl FnMut(usize, &FactualPath),
) -> FactualPath {
    let mut path =
        FactualPath { volumes: vec![dynamics.patient.initial_volume], treatments: vec![], concentrations: vec![] };
    let mut previous = 0.0;
    for t in 0..config.steps {
        let mean_d = mean_diameter(t, &path.volumes);
        let p = 1.0 / (1.0 + (-(config.gamma / DEATH_DIAMETER) * (mean_d - DEATH_DIAMETER / 2.0)).exp());
        let a = [f64::from(u8::from(dynamics.chemo_u[t] < p)), f64::from(u8::from(dynamics.radio_u[t] < p))];
        let c = concentration(previous, a[0]);
        let v = dynamics.next(path.volumes[t], c, a[1], t);
        path.treatments.push(a);
        path.concentrations.push(c);
        previous = c;
        path.volumes.push(v);
        after_step(t, &path);
        if v >= max_volume() || v <= 0.0 {
            break; // death or recovery
        }
    }
    path
}

/// The rows of the Causal Transformer's one-step test array, in its order,
/// as far as test patients' policies read them (`TestPolicy::ReferenceRows`):
/// for each test patient and step `t`, the factual path so far (volumes up to
/// `V_{t+1}`, zeros after), then for each other option in the reference's
/// order (none, radio, chemo, both) the history up to `V_t` and that option's
/// `V_{t+1}`. Only the first `limit` rows are kept: test patient `i` reads row `i`.
struct ReferenceRows {
    rows: Vec<Vec<f64>>,
    limit: usize,
    width: usize,
}

impl ReferenceRows {
    /// Patient `i`'s policy's mean diameter at step `t`: the reference's window
    /// `[t − window, t]` of row `i`, all zeros where that row is not written yet.
    fn mean_diameter(&self, i: usize, t: usize, window: usize) -> f64 {
        let start = t.saturating_sub(window);
        match self.rows.get(i) {
            Some(row) => row[start..=t].iter().map(|&v| diameter(v)).sum::<f64>() / (t + 1 - start) as f64,
            None => 0.0,
        }
    }

    fn record(&mut self, dynamics: &Dynamics, path: &FactualPath, t: usize) {
        let mut push = |history: &[f64], last: Option<f64>| {
            if self.rows.len() < self.limit {
                let mut row = vec![0.0; self.width];
                row[..history.len()].copy_from_slice(history);
                if let Some(v) = last {
                    row[history.len()] = v;
                }
                self.rows.push(row);
            }
        };
        push(&path.volumes, None);
        let history = FactualPath {
            volumes: path.volumes[..=t].to_vec(),
            treatments: path.treatments[..t].to_vec(),
            concentrations: path.concentrations[..t].to_vec(),
        };
        for option in [[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] {
            if option != path.treatments[t] {
                push(&history.volumes, Some(project(dynamics, &history, t, &[option])[0]));
            }
        }
    }
}

/// Volumes `Y_{s+1} ..= Y_{s+plan.len()}` when, from the factual history up to
/// `Y_s`, the treatments of `plan` are given at `s, s+1, ...`, with the factual
/// path's noise.
pub fn project(dynamics: &Dynamics, path: &FactualPath, s: usize, plan: &[[f64; 2]]) -> Vec<f64> {
    let mut previous = if s == 0 { 0.0 } else { path.concentrations[s - 1] };
    let mut v = path.volumes[s];
    plan.iter()
        .enumerate()
        .map(|(k, a)| {
            let c = concentration(previous, a[0]);
            v = dynamics.next(v, c, a[1], s + k);
            previous = c;
            v
        })
        .collect()
}

/// The test queries with their true answers, in the same order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Truth {
    pub queries: Vec<Query>,
    /// The true `Y_{step + plan.len()}` of each query.
    pub values: Vec<f64>,
}

impl Truth {
    /// τ of query `i`: its plan's length.
    pub fn tau(&self, i: usize) -> usize {
        self.queries[i].plan.len()
    }
}

/// CT's "sliding treatment" plans beyond the first step: for each later day
/// `k` of `max_tau − 1`, chemotherapy alone on day `k`, then radiotherapy alone
/// on day `k` (no treatment on the other days).
pub fn sliding_plans(max_tau: usize) -> Vec<Vec<[f64; 2]>> {
    let n = max_tau.saturating_sub(1);
    let mut plans = Vec::with_capacity(2 * n);
    for component in 0..2 {
        for k in 0..n {
            let mut plan = vec![[0.0, 0.0]; n];
            plan[k][component] = 1.0;
            plans.push(plan);
        }
    }
    plans
}

/// Simulate the panel (train, validation, test units in that order) and the
/// truth: for every test unit and every active step `s`, the one-step outcome
/// under each of `OPTIONS`, and for τ = 2 ..= max_tau the outcome under the
/// factual `A_s` followed by each sliding plan's first τ − 1 days.
pub fn simulate(config: &TumourConfig, rng: &mut RunRng) -> (Panel, Truth) {
    let units = config.train + config.validation + config.test;
    let steps = config.steps;
    let mut panel = Panel {
        units,
        steps,
        statics: vec![0.0; units * 3],
        n_static: 3,
        covariates: vec![],
        n_covariates: 0,
        outcomes: vec![0.0; units * (steps + 1)],
        treatments: vec![0.0; units * steps * 2],
        n_treatments: 2,
        length: vec![0; units],
        fold: vec![PanelFold::Train; units],
    };
    let plans = sliding_plans(config.max_tau);
    let mut truth = Truth::default();
    let first_test = config.train + config.validation;
    let rows = RefCell::new(ReferenceRows { rows: Vec::new(), limit: config.test, width: steps + 1 });
    for u in 0..units {
        let dynamics = Dynamics::draw(config, rng);
        panel.fold[u] = match u {
            _ if u < config.train => PanelFold::Train,
            _ if u < first_test => PanelFold::Validation,
            _ => PanelFold::Test,
        };
        let path = match config.test_policy {
            TestPolicy::ReferenceRows if u >= first_test => walk(
                &dynamics,
                config,
                |t, _| rows.borrow().mean_diameter(u - first_test, t, config.window),
                |t, path| rows.borrow_mut().record(&dynamics, path, t),
            ),
            _ => factual(&dynamics, config),
        };
        panel.statics[u * 3 + usize::from(dynamics.patient.kind - 1)] = 1.0;
        panel.length[u] = path.length();
        panel.outcomes[u * (steps + 1)..][..path.volumes.len()].copy_from_slice(&path.volumes);
        for (t, a) in path.treatments.iter().enumerate() {
            panel.treatments[(u * steps + t) * 2..][..2].copy_from_slice(a);
        }
        if panel.fold[u] == PanelFold::Test {
            add_truth(&mut truth, u, &dynamics, &path, &plans, config.max_tau);
        }
    }
    (panel, truth)
}

fn add_truth(
    truth: &mut Truth,
    unit: usize,
    dynamics: &Dynamics,
    path: &FactualPath,
    plans: &[Vec<[f64; 2]>],
    max_tau: usize,
) {
    for s in 0..path.length() {
        for option in OPTIONS {
            truth.values.push(project(dynamics, path, s, &[option])[0]);
            truth.queries.push(Query { unit, step: s, plan: vec![option.to_vec()] });
        }
        for plan in plans {
            let full: Vec<[f64; 2]> = std::iter::once(path.treatments[s]).chain(plan.iter().copied()).collect();
            let volumes = project(dynamics, path, s, &full);
            for tau in 2..=max_tau {
                truth.values.push(volumes[tau - 1]);
                truth.queries.push(Query { unit, step: s, plan: full[..tau].iter().map(|a| a.to_vec()).collect() });
            }
        }
    }
}
