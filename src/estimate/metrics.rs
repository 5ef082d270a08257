//! Metrics that score one run's `Estimate` against the dataset's ground truth.
//!
//! Simulated and semi-synthetic data carry the expected potential outcomes of
//! every row (`Truth::Potential`), so individual-level metrics are exact; a
//! benchmark (`Truth::Benchmark`) knows only an ATE and/or ATT; real data
//! (`Truth::None`) allows no error metric, only the estimate itself. A metric
//! the truth or the estimate cannot support is `None`, never a made-up number.
//! "In-sample" rows are train and validation together, "out-of-sample" the test
//! rows, as in Shalit et al. (2017).

use std::fmt;
use std::str::FromStr;

use super::EstimateError;
use super::estimator::Estimate;
use crate::data::{CausalData, Split, Truth};

/// A per-run metric. Each variant's doc gives its exact definition; `tau` is the
/// true individual effect mu1 - mu0 and `tau_hat` the estimated one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Metric {
    /// `ate`: the estimated ATE over the in-sample rows, `est.ate`.
    Ate,
    /// `ate_error`: the same as `ate_error_in`.
    AteError,
    /// `ate_error_in`: |est.ate - true in-sample ATE|, where the true ATE is
    /// mean(tau) over the in-sample rows, or the benchmark's ATE. We score
    /// `est.ate` rather than mean(tau_hat): the two agree for plug-in estimators,
    /// and for AIPW `est.ate` is the doubly robust estimate while mean(tau_hat)
    /// would score only its outcome model.
    AteErrorIn,
    /// `ate_error_out`: |mean(tau_hat) - mean(tau)| over the test rows; needs
    /// individual effects on both sides.
    AteErrorOut,
    /// `pehe_in`: sqrt(mean((tau_hat - tau)^2)) over the in-sample rows.
    PeheIn,
    /// `pehe_out`: sqrt(mean((tau_hat - tau)^2)) over the test rows.
    PeheOut,
    /// `att`: the estimated effect on the treated, `est.att`.
    Att,
    /// `att_error`: |att_hat - true ATT|, with the true ATT mean(tau) over the
    /// in-sample treated rows, or the benchmark's ATT, or with a randomized
    /// subset (`Truth::Experimental`, Jobs) the experimental ATT of the
    /// in-sample rows, mean(y | treated) - mean(y | control, in the subset), as
    /// cfrnet's `evaluate_bin_att` (Shalit et al. 2017, sec. 5); att_hat is `est.att`, or
    /// mean(tau_hat) over the in-sample treated rows when the estimator has no ATT.
    AttError,
    /// `coverage`: 1.0 when the 95% interval contains the true in-sample ATE (as
    /// in `ate_error_in`), else 0.0; averaging over runs gives the coverage rate.
    Coverage,
    /// `policy_risk`: Shalit et al. (2017) policy risk
    /// R_pol = 1 - (E[Y1 | pi = 1] P(pi = 1) + E[Y0 | pi = 0] P(pi = 0)) of the
    /// policy pi(x) = [tau_hat(x) > 0], on the test rows. With known potential
    /// outcomes the expectations are exact: 1 - mean(pi mu1 + (1 - pi) mu0).
    /// With a randomized subset (`Truth::Experimental`, Jobs) it is the paper's
    /// estimate on the test rows of that subset, as cfrnet's `policy_val`:
    /// E[Y1 | pi = 1] is the mean outcome of the subset's treated rows the
    /// policy treats, E[Y0 | pi = 0] that of its control rows the policy does
    /// not treat (each 0 where no row qualifies), P(pi = 1) the share the
    /// policy treats.
    PolicyRisk,
    /// `true_ate`: the true in-sample ATE itself (as in `ate_error_in`), so that
    /// tables can show the target beside the estimates.
    TrueAte,
    /// `rmse_1` .. `rmse_6` (panel experiments only, `estimate::panel`): the
    /// Causal Transformer's normalised RMSE of the outcome `τ` steps ahead
    /// under the queried treatment plans, over every test unit's active steps,
    /// `100 × sqrt(mean((prediction − truth)²)) / scale` (`normalized_rmse`;
    /// scale `V_max` = 1150.35 cm³ for the tumour benchmark). `rmse_1` is the
    /// one-step-ahead error of the papers' Table 9.
    Rmse1,
    Rmse2,
    Rmse3,
    Rmse4,
    Rmse5,
    Rmse6,
}

/// Which values of a metric are better (`Metric::goal`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// Smaller is better.
    Lower,
    /// Nearer this value is better.
    Toward(f64),
}

impl Goal {
    /// How far `value` is from perfect: sorting by it puts the best first.
    pub fn distance(self, value: f64) -> f64 {
        match self {
            Goal::Lower => value,
            Goal::Toward(target) => (value - target).abs(),
        }
    }
}

impl Metric {
    /// Whether the metric compares the estimate with the truth (a true effect,
    /// potential outcomes or a benchmark), which a user's data file does not have.
    pub fn needs_truth(&self) -> bool {
        !matches!(self, Metric::Ate | Metric::Att)
    }

    /// Whether the metric scores a panel experiment's predictions (treatments
    /// over time) rather than a static estimate: each kind of experiment
    /// accepts only its own metrics.
    pub fn is_panel(&self) -> bool {
        self.horizon().is_some()
    }

    /// The plan length τ a panel metric scores (`rmse_τ`); None for static metrics.
    pub fn horizon(&self) -> Option<usize> {
        Metric::PANEL.iter().position(|m| m == self).map(|i| i + 1)
    }

    /// What makes one estimator's value better than another's, for rankings
    /// (the results site's index): a smaller error or risk, a coverage nearer
    /// the nominal 95%. `None` for the estimates themselves and the truth, which
    /// are not better or worse by their size.
    pub fn goal(&self) -> Option<Goal> {
        match self {
            Metric::Ate | Metric::Att | Metric::TrueAte => None,
            Metric::Coverage => Some(Goal::Toward(0.95)),
            Metric::AteError
            | Metric::AteErrorIn
            | Metric::AteErrorOut
            | Metric::PeheIn
            | Metric::PeheOut
            | Metric::AttError
            | Metric::PolicyRisk
            | Metric::Rmse1
            | Metric::Rmse2
            | Metric::Rmse3
            | Metric::Rmse4
            | Metric::Rmse5
            | Metric::Rmse6 => Some(Goal::Lower),
        }
    }

    /// Every metric, in declaration order: the static ones, then the panel ones.
    pub const ALL: [Metric; 17] = {
        let mut all = [Metric::Ate; 17];
        let mut i = 0;
        while i < Self::STATIC.len() {
            all[i] = Self::STATIC[i];
            i += 1;
        }
        while i < all.len() {
            all[i] = Self::PANEL[i - Self::STATIC.len()];
            i += 1;
        }
        all
    };

    /// The metrics of a panel experiment, `rmse_τ` for τ = 1 ..= 6.
    pub const PANEL: [Metric; 6] =
        [Metric::Rmse1, Metric::Rmse2, Metric::Rmse3, Metric::Rmse4, Metric::Rmse5, Metric::Rmse6];

    /// The metrics of a static experiment, which every static run stores (in
    /// this order, so that the records of earlier runs stay what they were).
    pub const STATIC: [Metric; 11] = [
        Metric::Ate,
        Metric::AteError,
        Metric::AteErrorIn,
        Metric::AteErrorOut,
        Metric::PeheIn,
        Metric::PeheOut,
        Metric::Att,
        Metric::AttError,
        Metric::Coverage,
        Metric::PolicyRisk,
        Metric::TrueAte,
    ];

    /// The name used in experiment files and result tables.
    pub fn name(&self) -> &'static str {
        match self {
            Metric::Ate => "ate",
            Metric::AteError => "ate_error",
            Metric::AteErrorIn => "ate_error_in",
            Metric::AteErrorOut => "ate_error_out",
            Metric::PeheIn => "pehe_in",
            Metric::PeheOut => "pehe_out",
            Metric::Att => "att",
            Metric::AttError => "att_error",
            Metric::Coverage => "coverage",
            Metric::PolicyRisk => "policy_risk",
            Metric::TrueAte => "true_ate",
            Metric::Rmse1 => "rmse_1",
            Metric::Rmse2 => "rmse_2",
            Metric::Rmse3 => "rmse_3",
            Metric::Rmse4 => "rmse_4",
            Metric::Rmse5 => "rmse_5",
            Metric::Rmse6 => "rmse_6",
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Metric {
    type Err = EstimateError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Metric::ALL.into_iter().find(|m| m.name() == s).ok_or_else(|| {
            let names: Vec<&str> = Metric::ALL.iter().map(Metric::name).collect();
            EstimateError::UnknownMetric {
                name: s.to_string(),
                suggestion: crate::suggest::did_you_mean(s, names.iter().copied()),
            }
        })
    }
}

/// Values in the order of `metrics`; None where the truth or the estimate lacks
/// what is needed.
pub fn score(metrics: &[Metric], est: &Estimate, data: &CausalData, split: &Split) -> Vec<(Metric, Option<f64>)> {
    let ctx = Context { est, data, in_sample: split.in_sample(), test: &split.test };
    metrics.iter().map(|&m| (m, ctx.value(m))).collect()
}

struct Context<'a> {
    est: &'a Estimate,
    data: &'a CausalData,
    in_sample: Vec<usize>,
    test: &'a [usize],
}

impl Context<'_> {
    fn value(&self, metric: Metric) -> Option<f64> {
        match metric {
            Metric::Ate => Some(self.est.ate),
            Metric::AteError | Metric::AteErrorIn => self.true_ate_in().map(|ate| (self.est.ate - ate).abs()),
            Metric::AteErrorOut => self.ate_error_on(self.test),
            Metric::PeheIn => self.pehe_on(&self.in_sample),
            Metric::PeheOut => self.pehe_on(self.test),
            Metric::Att => self.est.att,
            Metric::AttError => Some((self.estimated_att()? - self.true_att()?).abs()),
            Metric::Coverage => self.coverage(),
            Metric::PolicyRisk => self.policy_risk_on(self.test),
            Metric::TrueAte => self.true_ate_in(),
            // A static estimate has no predictions of paths (validation refuses these).
            Metric::Rmse1 | Metric::Rmse2 | Metric::Rmse3 | Metric::Rmse4 | Metric::Rmse5 | Metric::Rmse6 => None,
        }
    }

    fn true_ate_in(&self) -> Option<f64> {
        match &self.data.truth {
            Truth::Potential { mu0, mu1 } => mean_over(&self.in_sample, |i| mu1[i] - mu0[i]),
            Truth::Ite { ite } => mean_over(&self.in_sample, |i| ite[i]),
            Truth::Benchmark { ate, .. } => *ate,
            Truth::None | Truth::Experimental { .. } => None,
        }
    }

    fn treated_in_sample(&self) -> Vec<usize> {
        self.in_sample.iter().copied().filter(|&i| self.data.is_treated(i)).collect()
    }

    fn true_att(&self) -> Option<f64> {
        match &self.data.truth {
            Truth::Potential { mu0, mu1 } => mean_over(&self.treated_in_sample(), |i| mu1[i] - mu0[i]),
            Truth::Ite { ite } => mean_over(&self.treated_in_sample(), |i| ite[i]),
            Truth::Benchmark { att, .. } => *att,
            Truth::Experimental { e } => {
                let y = &self.data.outcome;
                let controls: Vec<usize> =
                    self.in_sample.iter().copied().filter(|&i| !self.data.is_treated(i) && e[i] > 0.5).collect();
                Some(mean_over(&self.treated_in_sample(), |i| y[i])? - mean_over(&controls, |i| y[i])?)
            }
            Truth::None => None,
        }
    }

    /// `Estimate::effect`'s ATT, the one definition the robustness analyses share.
    fn estimated_att(&self) -> Option<f64> {
        self.est.effect(crate::estimate::Estimand::Att, &self.treated_in_sample())
    }

    /// Estimated and true individual effects, when both exist.
    fn effects(&self) -> Option<(&[f64], Vec<f64>)> {
        Some((self.est.ite.as_deref()?, self.data.true_ite()?))
    }

    fn ate_error_on(&self, rows: &[usize]) -> Option<f64> {
        let (hat, tau) = self.effects()?;
        Some((mean_over(rows, |i| hat[i])? - mean_over(rows, |i| tau[i])?).abs())
    }

    fn pehe_on(&self, rows: &[usize]) -> Option<f64> {
        let (hat, tau) = self.effects()?;
        mean_over(rows, |i| (hat[i] - tau[i]).powi(2)).map(f64::sqrt)
    }

    fn coverage(&self) -> Option<f64> {
        let (lo, hi) = self.est.interval?;
        let ate = self.true_ate_in()?;
        Some(if lo <= ate && ate <= hi { 1.0 } else { 0.0 })
    }

    fn policy_risk_on(&self, rows: &[usize]) -> Option<f64> {
        let hat = self.est.ite.as_deref()?;
        match &self.data.truth {
            Truth::Potential { mu0, mu1 } => {
                Some(1.0 - mean_over(rows, |i| if hat[i] > 0.0 { mu1[i] } else { mu0[i] })?)
            }
            Truth::Experimental { e } => {
                let subset: Vec<usize> = rows.iter().copied().filter(|&i| e[i] > 0.5).collect();
                Some(1.0 - experimental_policy_value(&subset, hat, &self.data.treatment, &self.data.outcome)?)
            }
            Truth::None | Truth::Benchmark { .. } | Truth::Ite { .. } => None,
        }
    }
}

/// The value of the policy [hat > 0] on randomized `rows`, from the factual
/// outcomes: P(pi = 1) E[y | pi = 1, t = 1] + P(pi = 0) E[y | pi = 0, t = 0],
/// an empty group's mean taken as 0 (cfrnet's `policy_val`). None for no rows.
fn experimental_policy_value(rows: &[usize], hat: &[f64], t: &[f64], y: &[f64]) -> Option<f64> {
    let treats = |i: usize| hat[i] > 0.0;
    let treated = |i: usize| t[i] > 0.5;
    let agree_treated: Vec<usize> = rows.iter().copied().filter(|&i| treats(i) && treated(i)).collect();
    let agree_control: Vec<usize> = rows.iter().copied().filter(|&i| !treats(i) && !treated(i)).collect();
    let p_treat = mean_over(rows, |i| if treats(i) { 1.0 } else { 0.0 })?;
    let treat_value = mean_over(&agree_treated, |i| y[i]).unwrap_or(0.0);
    let control_value = mean_over(&agree_control, |i| y[i]).unwrap_or(0.0);
    Some(p_treat * treat_value + (1.0 - p_treat) * control_value)
}

/// Mean of `f` over `rows`; None for no rows.
fn mean_over(rows: &[usize], f: impl Fn(usize) -> f64) -> Option<f64> {
    if rows.is_empty() {
        return None;
    }
    Some(rows.iter().map(|&i| f(i)).sum::<f64>() / rows.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Metric::ALL {
            assert_eq!(m.name().parse::<Metric>().unwrap(), m);
        }
    }

    #[test]
    fn errors_rank_by_size_coverage_by_distance_to_95_percent() {
        assert_eq!(Metric::Ate.goal(), None);
        let lower = Metric::PeheOut.goal().unwrap();
        assert!(lower.distance(0.2) < lower.distance(0.3));
        let coverage = Metric::Coverage.goal().unwrap();
        assert!(coverage.distance(0.94) < coverage.distance(1.0));
        assert!(coverage.distance(0.96) < coverage.distance(0.9));
    }

    #[test]
    fn misspelled_metric_gets_a_suggestion() {
        let err = "pehe_ot".parse::<Metric>().unwrap_err();
        assert_eq!(err.to_string(), "unknown metric `pehe_ot` (did you mean `pehe_out`?)");
    }
}
