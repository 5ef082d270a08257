//! Panels: units (patients) followed over discrete steps, with treatments
//! decided again at every step from the history so far (issue 24: treatments
//! over time). A static dataset (`CausalData`) has one treatment and one
//! outcome per row; a panel has a path per unit, and its questions are
//! counterfactual paths: "what would the outcome be `tau` steps ahead under
//! this treatment plan, given this unit's factual history so far".
//!
//! Timing convention (that of RMSN, CRN and the Causal Transformer): at step
//! `t` the outcome `Y_t` and covariates `X_t` are observed, then the treatment
//! vector `A_t` is decided, and `Y_{t+1}` results. A unit has `length` active
//! steps: `Y_0 .. Y_length` (length + 1 outcomes) and `A_0 .. A_{length-1}`.
//! Storage is row-major with `steps` slots per unit; slots past a unit's
//! length are zero and never read.

/// Which part of the experiment a unit belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PanelFold {
    Train,
    Validation,
    Test,
}

/// Units' factual paths. Every estimator sees the train and validation units'
/// whole paths and the test units' histories only through `Query`.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Number of units.
    pub units: usize,
    /// Slots per unit: the longest path's number of treatment steps.
    pub steps: usize,
    /// Static features per unit (e.g. the patient type, one-hot), `units × n_static`.
    pub statics: Vec<f64>,
    pub n_static: usize,
    /// Time-varying covariates other than the outcome, `units × steps × n_covariates`
    /// (`X_t`; zero columns for the tumour simulator).
    pub covariates: Vec<f64>,
    pub n_covariates: usize,
    /// Outcomes `Y_0 .. Y_steps`, `units × (steps + 1)`, on the outcome's own scale.
    pub outcomes: Vec<f64>,
    /// Binary treatment components `A_t` (e.g. chemotherapy, radiotherapy),
    /// `units × steps × n_treatments`.
    pub treatments: Vec<f64>,
    pub n_treatments: usize,
    /// Active treatment steps per unit (`1 ..= steps`).
    pub length: Vec<usize>,
    /// Each unit's fold.
    pub fold: Vec<PanelFold>,
}

impl Panel {
    /// `Y_t` of `unit`.
    pub fn outcome(&self, unit: usize, t: usize) -> f64 {
        self.outcomes[unit * (self.steps + 1) + t]
    }

    /// `A_t` of `unit` (its `n_treatments` components).
    pub fn treatment(&self, unit: usize, t: usize) -> &[f64] {
        let at = (unit * self.steps + t) * self.n_treatments;
        &self.treatments[at..at + self.n_treatments]
    }

    /// `X_t` of `unit` (its `n_covariates` components).
    pub fn covariate(&self, unit: usize, t: usize) -> &[f64] {
        let at = (unit * self.steps + t) * self.n_covariates;
        &self.covariates[at..at + self.n_covariates]
    }

    /// The static features of `unit`.
    pub fn static_features(&self, unit: usize) -> &[f64] {
        &self.statics[unit * self.n_static..(unit + 1) * self.n_static]
    }

    /// Units of `fold`, ascending.
    pub fn units_in(&self, fold: PanelFold) -> Vec<usize> {
        (0..self.units).filter(|&u| self.fold[u] == fold).collect()
    }
}

/// One counterfactual question about a test unit: given its factual history up
/// to step `step` (outcomes `Y_0 ..= Y_step`, treatments `A_0 .. A_{step-1}`,
/// covariates `X_0 ..= X_step`), predict `Y_{step + plan.len()}` when the
/// treatments `plan[0]` at `step`, `plan[1]` at `step + 1`, ... are given.
/// A one-step-ahead question has a plan of length 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub unit: usize,
    pub step: usize,
    /// Treatment vectors, one per step ahead, each of `n_treatments` components.
    pub plan: Vec<Vec<f64>>,
}
