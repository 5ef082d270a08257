//! The tumour-growth simulator of Geng, Paganetti and Grassberger (2017), as
//! RMSN (Lim et al. 2018), CRN (Bica et al. 2020) and the Causal Transformer
//! (Melnychuk et al. 2022, after its simulator fix of 2024-03-27) use it: small-
//! cell lung cancer patients followed daily, chemotherapy and radiotherapy
//! decided every day by a policy confounded by the tumour's recent size.
//!
//! Volume in cm³, one step a day:
//! `V_{t+1} = V_t (1 + ρ log(K / V_t) − β_c C_t − (α d_t + β d_t²) + e_{t+1})`,
//! `e ~ N(0, 0.01²)`, `C_t = C_{t−1}/2 + 5 A^c_t` (one-day half-life, dose 5),
//! `d_t = 2 A^r_t` Gy; the volume is clipped to `[0, V(13 cm)]`; a path ends at
//! death (the clip's upper end) or recovery (probability `exp(−V · 5.8e8)`).
//! Both treatments are drawn from `σ((γ / D_max)(D̄_t − D_max / 2))`, `D̄_t` the
//! mean diameter of the last `window` volumes up to and including `V_t`.
//!
//! Where the reference code is ambiguous or differs between its training and
//! test simulators, this one takes a single documented choice: the policy
//! window ends at the current volume (the panel convention: `Y_t` observed, then
//! `A_t` decided) and applies from step 0; counterfactual paths are clipped like
//! the factual one, and 0 (recovered) and `V(13 cm)` (dead) are absorbing.
//! Every draw comes from the run's generator, patient by patient.

mod path;
#[cfg(test)]
mod tests;

use rand::Rng;
use rand_distr::StandardNormal;

pub use path::{Dynamics, FactualPath, OPTIONS, Truth, concentration, factual, project, simulate, sliding_plans};

use crate::rng::RunRng;

/// Bump when the simulator's numbers change for the same configuration and
/// generator, so that cached runs are recomputed (it enters the run keys).
pub const ALGORITHM_VERSION: u32 = 1;

/// Sphere volume (cm³) of diameter `d` (cm).
pub fn volume(d: f64) -> f64 {
    std::f64::consts::PI / 6.0 * d.powi(3)
}

/// Sphere diameter (cm) of volume `v` (cm³).
pub fn diameter(v: f64) -> f64 {
    (6.0 * v / std::f64::consts::PI).cbrt()
}

/// The death threshold's diameter (cm), `D_max` of the policy.
pub const DEATH_DIAMETER: f64 = 13.0;
/// Tumour cells per cm³ (the recovery hazard's scale).
pub const CELL_DENSITY: f64 = 5.8e8;
/// Carrying capacity's diameter (cm).
const CAPACITY_DIAMETER: f64 = 30.0;
/// CT's normalising constant for the RMSE: `V_max` in cm³ (the death volume, 1150.35).
pub fn max_volume() -> f64 {
    volume(DEATH_DIAMETER)
}

/// The simulator's parameters, validated (as the experiment file's `builtin:`
/// block gives them).
#[derive(Debug, Clone, PartialEq)]
pub struct TumourConfig {
    /// Confounding strength γ (the same for chemotherapy and radiotherapy).
    pub gamma: f64,
    pub train: usize,
    pub validation: usize,
    pub test: usize,
    /// Treatment steps per path (60 in the papers).
    pub steps: usize,
    /// Days in the policy's mean-diameter window (15).
    pub window: usize,
    /// Longest projection τ scored (6 in the papers: τ = 2..6 beyond one step).
    pub max_tau: usize,
    /// What the test patients' treatment policy reads.
    pub test_policy: TestPolicy,
}

/// Where the test patients' treatment policy reads its recent volumes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TestPolicy {
    /// Their own recent volumes, as for every other patient.
    #[default]
    Own,
    /// The Causal Transformer's test simulators as published (before and after
    /// its 2024-03-27 fix; `simulate_counterfactual_1_step` and
    /// `simulate_counterfactuals_treatment_seq`): test patient `i`'s policy reads
    /// row `i` of the array of exploded test sequences being filled
    /// (`cancer_volume[i, ...]`, not the patient's own `factual_cancer_volume`),
    /// that is a partial path of one of the first test patients with zeros past
    /// its end, over the window `[t − window, t]`. The test patients are then
    /// treated as if their tumours were small, mostly unlike the training
    /// patients; Table 9's test sets were drawn this way, so comparisons with it
    /// use this policy. Training and validation patients are unaffected.
    ReferenceRows,
}

impl TestPolicy {
    /// Every policy with its name in the experiment file, the default first.
    pub const ALL: [(&'static str, TestPolicy); 2] =
        [("own", TestPolicy::Own), ("reference_rows", TestPolicy::ReferenceRows)];

    /// The policy's name in the experiment file.
    pub fn name(self) -> &'static str {
        match self {
            TestPolicy::Own => "own",
            TestPolicy::ReferenceRows => "reference_rows",
        }
    }
}

impl Default for TumourConfig {
    fn default() -> Self {
        TumourConfig {
            gamma: 0.0,
            train: 10_000,
            validation: 1_000,
            test: 1_000,
            steps: 60,
            window: 15,
            max_tau: 6,
            test_policy: TestPolicy::Own,
        }
    }
}

/// Cancer stages: (relative frequency from Detterbeck and Gibson 2008,
/// log-diameter mean and spread, largest initial diameter in cm).
const STAGES: [(f64, f64, f64, f64); 5] = [
    (1432.0, 1.72, 4.70, 5.0),   // I
    (128.0, 1.96, 1.63, 13.0),   // II
    (1306.0, 1.91, 9.40, 13.0),  // IIIA
    (7248.0, 2.76, 6.87, 13.0),  // IIIB
    (12840.0, 3.86, 8.82, 13.0), // IV
];
const SMALLEST_DIAMETER: f64 = 0.3;

/// One patient's parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Patient {
    /// 1, 2 or 3: type 1 responds more to radiotherapy, type 3 to chemotherapy.
    pub kind: u8,
    pub initial_volume: f64,
    pub rho: f64,
    pub alpha: f64,
    pub beta: f64,
    pub beta_c: f64,
    pub capacity: f64,
}

/// Draw one patient: stage, initial diameter (log-normal truncated to the
/// stage's bounds), type, (α, ρ) from a bivariate normal with correlation 0.87
/// kept to positive values, β = α / 10, β_c ≈ N(0.028, 0.0007²).
pub fn draw_patient(rng: &mut RunRng) -> Patient {
    let total: f64 = STAGES.iter().map(|s| s.0).sum();
    let mut u = rng.random::<f64>() * total;
    let mut stage = STAGES[STAGES.len() - 1];
    for s in STAGES {
        if u < s.0 {
            stage = s;
            break;
        }
        u -= s.0;
    }
    let (_, mu, sigma, upper) = stage;
    let (lo, hi) = ((SMALLEST_DIAMETER.ln() - mu) / sigma, (upper.ln() - mu) / sigma);
    let z = truncated_normal(rng, lo, hi);
    let initial_volume = volume((mu + sigma * z).exp());

    let kind = 1 + rng.random_range(0..3u8);
    let (alpha_mean, alpha_sd, rho_mean, rho_sd, corr) = (0.0398, 0.168, 7e-5, 7.23e-3, 0.87);
    let (alpha, rho) = loop {
        let (z1, z2): (f64, f64) = (rng.sample(StandardNormal), rng.sample(StandardNormal));
        let a = alpha_mean + alpha_sd * z1;
        let r = rho_mean + rho_sd * (corr * z1 + (1.0 - corr * corr).sqrt() * z2);
        if a > 0.0 && r > 0.0 {
            break (a, r);
        }
    };
    let alpha = alpha + if kind == 1 { 0.1 * alpha_mean } else { 0.0 };
    let (bc_mean, bc_sd) = (0.028, 0.0007);
    let beta_c = bc_mean
        + bc_sd * truncated_normal(rng, -bc_mean / bc_sd, f64::INFINITY)
        + if kind == 3 { 0.1 * bc_mean } else { 0.0 };
    Patient { kind, initial_volume, rho, alpha, beta: alpha / 10.0, beta_c, capacity: volume(CAPACITY_DIAMETER) }
}

/// A standard normal draw conditioned on `[lo, hi]` by rejection (every stage's
/// interval holds at least 15% of the mass, so this ends quickly).
fn truncated_normal(rng: &mut RunRng, lo: f64, hi: f64) -> f64 {
    loop {
        let z: f64 = rng.sample(StandardNormal);
        if z >= lo && z <= hi {
            return z;
        }
    }
}
