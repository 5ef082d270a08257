//! The selection criteria, each a pure function of the validation rows, a
//! configuration's predictions on them and (for some) the cross-fitted
//! nuisance values of those rows. Every criterion is "lower is better", so a
//! selection is always an argmin. n is the number of validation rows, t the
//! 0/1 treatment, y the factual outcome, tau the configuration's predicted
//! effect, and mu0~, mu1~, tau~ = mu1~ - mu0~, m~, e~ the nuisance values.

use super::nuisance::Nuisance;

/// A criterion's name in `selection.criteria` and in the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Criterion {
    MuRisk,
    PeheNn,
    PluginPehe,
    DrRisk,
    RLoss,
    IfPehe,
}

impl Criterion {
    /// Every criterion, in the order the tables show them.
    pub const ALL: [Criterion; 6] = [
        Criterion::MuRisk,
        Criterion::PeheNn,
        Criterion::PluginPehe,
        Criterion::DrRisk,
        Criterion::RLoss,
        Criterion::IfPehe,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Criterion::MuRisk => "mu_risk",
            Criterion::PeheNn => "pehe_nn",
            Criterion::PluginPehe => "plugin_pehe",
            Criterion::DrRisk => "dr_risk",
            Criterion::RLoss => "r_loss",
            Criterion::IfPehe => "if_pehe",
        }
    }

    pub fn from_name(name: &str) -> Option<Criterion> {
        Criterion::ALL.into_iter().find(|c| c.name() == name)
    }

    /// One line for the schema and the docs: what it measures and where it is from.
    pub fn summary(self) -> &'static str {
        match self {
            Criterion::MuRisk => {
                "factual outcome loss of the configuration's own mu0, mu1 (mu-risk, Schuler et al. 2018)"
            }
            Criterion::PeheNn => {
                "PEHE against nearest-neighbour effects of the treated rows (cfrnet's pehe_nn, Shalit et al. 2017)"
            }
            Criterion::PluginPehe => "PEHE against a cross-fitted T-learner's effects (plug-in, Schuler et al. 2018)",
            Criterion::DrRisk => {
                "squared error against the doubly robust pseudo-outcome (Kennedy 2020; Saito and Yasui 2020)"
            }
            Criterion::RLoss => {
                "R-loss over the best constant effect's (Nie and Wager 2021; EconML's RScorer is 1 minus it)"
            }
            Criterion::IfPehe => "plug-in PEHE with its influence-function correction (Alaa and van der Schaar 2019)",
        }
    }

    /// Whether the criterion needs the configuration's potential outcomes, not only its effects.
    pub fn needs_potential_outcomes(self) -> bool {
        self == Criterion::MuRisk
    }

    /// Whether the criterion needs the cross-fitted nuisance models.
    pub fn needs_nuisance(self) -> bool {
        !matches!(self, Criterion::MuRisk | Criterion::PeheNn)
    }
}

/// The validation rows a criterion reads: covariates (one vector per row), the
/// 0/1 treatment and the factual outcome. Nothing else exists here to be read.
#[derive(Debug, Clone, Copy)]
pub struct ValidationRows<'a> {
    pub x: &'a [Vec<f64>],
    pub t: &'a [f64],
    pub y: &'a [f64],
}

impl<'a> ValidationRows<'a> {
    pub fn new(x: &'a [Vec<f64>], t: &'a [f64], y: &'a [f64]) -> ValidationRows<'a> {
        assert!(x.len() == t.len() && t.len() == y.len(), "validation columns of unequal length");
        ValidationRows { x, t, y }
    }

    pub fn len(&self) -> usize {
        self.t.len()
    }

    pub fn is_empty(&self) -> bool {
        self.t.is_empty()
    }

    pub fn n_covariates(&self) -> usize {
        self.x.first().map_or(0, Vec::len)
    }

    pub fn treated(&self, i: usize) -> bool {
        self.t[i] > 0.5
    }
}

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// mu-risk: (1/n) sum_i (y_i - mu_hat_{t_i}(x_i))^2, the mean squared error of the
/// configuration's prediction of the factual outcome (Schuler et al. 2018,
/// "A comparison of methods for model selection when estimating individual
/// treatment effects"; cfrnet's validation objective is its weighted form).
pub fn mu_risk(rows: &ValidationRows<'_>, mu0: &[f64], mu1: &[f64]) -> Option<f64> {
    mean((0..rows.len()).map(|i| {
        let factual = if rows.treated(i) { mu1[i] } else { mu0[i] };
        (rows.y[i] - factual).powi(2)
    }))
}

/// cfrnet's nearest-neighbour PEHE (`cfr/evaluation.py`, `pehe_nn`; Shalit,
/// Johansson and Sontag 2017): for each treated row i, j(i) is the control row
/// nearest in Euclidean distance of the covariates (the first on ties), and
/// sqrt((1/n_t) sum_{i treated} (tau_i - (y_i - y_j(i)))^2). cfrnet counts the
/// treated rows only (its control half is commented out), and so do we; the
/// neighbours are searched among the validation rows. None without a treated
/// or a control row.
pub fn pehe_nn(rows: &ValidationRows<'_>, tau: &[f64]) -> Option<f64> {
    let controls: Vec<usize> = (0..rows.len()).filter(|&i| !rows.treated(i)).collect();
    if controls.is_empty() {
        return None;
    }
    let distance = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(u, v)| (u - v).powi(2)).sum::<f64>();
    let terms = (0..rows.len()).filter(|&i| rows.treated(i)).map(|i| {
        let mut best = controls[0];
        for &j in &controls[1..] {
            if distance(&rows.x[i], &rows.x[j]) < distance(&rows.x[i], &rows.x[best]) {
                best = j;
            }
        }
        (tau[i] - (rows.y[i] - rows.y[best])).powi(2)
    });
    mean(terms).map(f64::sqrt)
}

/// Plug-in PEHE: (1/n) sum_i (tau_i - tau~_i)^2, against a cross-fitted
/// T-learner's effects (Schuler et al. 2018; Curth and van der Schaar 2023's
/// "plug-in" scorers).
pub fn plugin_pehe(nu: &Nuisance, tau: &[f64]) -> Option<f64> {
    mean(nu.tau().iter().zip(tau).map(|(p, t)| (t - p).powi(2)))
}

/// Doubly robust pseudo-outcome risk: (1/n) sum_i (phi_i - tau_i)^2 with the AIPW
/// pseudo-outcome phi_i = tau~_i + t_i (y_i - mu1~_i) / e~_i minus
/// (1 - t_i)(y_i - mu0~_i) / (1 - e~_i) (Kennedy 2020's DR-learner target;
/// Saito and Yasui 2020; Curth and van der Schaar 2023's "DR" scorer).
pub fn dr_risk(rows: &ValidationRows<'_>, nu: &Nuisance, tau: &[f64]) -> Option<f64> {
    mean((0..rows.len()).map(|i| {
        let (t, y, e) = (rows.t[i], rows.y[i], nu.e[i]);
        let phi = nu.mu1[i] - nu.mu0[i] + t * (y - nu.mu1[i]) / e - (1.0 - t) * (y - nu.mu0[i]) / (1.0 - e);
        (phi - tau[i]).powi(2)
    }))
}

/// The R-loss (Nie and Wager 2021), R(f) = (1/n) sum_i ((y_i - m~_i) - (t_i - e~_i) f_i)^2,
/// over that of the best constant effect, R(tau) / R(c*) with
/// c* = sum_i (y_i - m~_i)(t_i - e~_i) / sum_i (t_i - e~_i)^2, the constant minimising R.
/// EconML's `RScorer.score` is 1 minus this ratio (higher better there, lower
/// here): below 1, the configuration explains more of the residual than any
/// constant effect does. None where R(c*) is 0.
pub fn r_loss_ratio(rows: &ValidationRows<'_>, nu: &Nuisance, tau: &[f64]) -> Option<f64> {
    let ry: Vec<f64> = (0..rows.len()).map(|i| rows.y[i] - nu.m[i]).collect();
    let rt: Vec<f64> = (0..rows.len()).map(|i| rows.t[i] - nu.e[i]).collect();
    let loss = |f: &dyn Fn(usize) -> f64| mean((0..rows.len()).map(|i| (ry[i] - rt[i] * f(i)).powi(2)));
    let c = ry.iter().zip(&rt).map(|(a, b)| a * b).sum::<f64>() / rt.iter().map(|b| b * b).sum::<f64>();
    let base = loss(&|_| c)?;
    (base > 0.0).then(|| loss(&|i| tau[i]).map(|l| l / base)).flatten()
}

/// Influence-function PEHE (Alaa and van der Schaar 2019, "Validating causal
/// inference models via influence functions"): the plug-in PEHE against tau~
/// plus the mean of its first-order influence function, which together are
/// (1/n) sum_i [(1 - B_i) tau~_i^2 + B_i y_i (tau~_i - tau_i) - A_i (tau~_i - tau_i)^2 + tau_i^2]
/// with A_i = t_i - e~_i and B_i = 2 t_i (t_i - e~_i) / (e~_i (1 - e~_i)), in the
/// form of Curth and van der Schaar 2023's `IFTEScorer` (CATESelection).
pub fn if_pehe(rows: &ValidationRows<'_>, nu: &Nuisance, tau: &[f64]) -> Option<f64> {
    mean((0..rows.len()).map(|i| {
        let (t, y, e) = (rows.t[i], rows.y[i], nu.e[i]);
        let plug = nu.mu1[i] - nu.mu0[i];
        let a = t - e;
        let b = 2.0 * t * (t - e) / (e * (1.0 - e));
        (1.0 - b) * plug * plug + b * y * (plug - tau[i]) - a * (plug - tau[i]).powi(2) + tau[i] * tau[i]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) {
        let a = a.expect("a value");
        assert!((a - b).abs() < 1e-12, "{a} != {b}");
    }

    #[test]
    fn mu_risk_and_pehe_nn_by_hand() {
        let x = vec![vec![0.0], vec![1.0], vec![3.0], vec![2.9]];
        let (t, y) = (vec![1.0, 0.0, 0.0, 1.0], vec![5.0, 2.0, 1.0, 4.0]);
        let rows = ValidationRows::new(&x, &t, &y);
        // Factual predictions 4, 2, 0, 3 against 5, 2, 1, 4: squared errors 1, 0, 1, 1.
        close(mu_risk(&rows, &[1.0, 2.0, 0.0, 0.0], &[4.0, 3.0, 3.0, 3.0]), 0.75);
        // Row 0's nearest control is row 1 (5 - 2 = 3, tau 2: error 1); row 3's is
        // row 2 (4 - 1 = 3, tau 1: error 4); controls' tau are not read.
        close(pehe_nn(&rows, &[2.0, 99.0, -99.0, 1.0]), 2.5f64.sqrt());
        assert_eq!(pehe_nn(&ValidationRows::new(&x[..1], &t[..1], &y[..1]), &[0.0]), None, "no control");
    }

    /// Two rows, t = (1, 0), y = (3, 1), mu0~ = (1, 0), mu1~ = (2, 2) so tau~ = (1, 2),
    /// m~ = (2, 1), e~ = (0.5, 0.5), and a configuration's tau = (1, 3).
    type Case = (Vec<Vec<f64>>, Vec<f64>, Vec<f64>, Nuisance, Vec<f64>);

    fn two_rows() -> Case {
        let nu = Nuisance { mu0: vec![1.0, 0.0], mu1: vec![2.0, 2.0], m: vec![2.0, 1.0], e: vec![0.5, 0.5] };
        (vec![vec![0.0], vec![1.0]], vec![1.0, 0.0], vec![3.0, 1.0], nu, vec![1.0, 3.0])
    }

    #[test]
    fn nuisance_criteria_by_hand() {
        let (x, t, y, nu, tau) = two_rows();
        let rows = ValidationRows::new(&x, &t, &y);
        // (0^2 + 1^2) / 2.
        close(plugin_pehe(&nu, &tau), 0.5);
        // phi = (1 + (3 - 2) / 0.5, 2 - (1 - 0) / 0.5) = (3, 0); ((3-1)^2 + (0-3)^2) / 2.
        close(dr_risk(&rows, &nu, &tau), 6.5);
        // y - m = (1, 0), t - e = (0.5, -0.5): R(tau) = (0.5^2 + 1.5^2) / 2 = 1.25;
        // c* = 0.5 / 0.5 = 1, R(c*) = (0.5^2 + 0.5^2) / 2 = 0.25.
        close(r_loss_ratio(&rows, &nu, &tau), 5.0);
        // A = (0.5, -0.5), B = (4, 0): row 0: -3*1 + 4*3*0 - 0.5*0 + 1 = -2;
        // row 1: 1*4 + 0 + 0.5*1 + 9 = 13.5.
        close(if_pehe(&rows, &nu, &tau), 5.75);
    }

    #[test]
    fn the_true_effect_scores_best_when_the_nuisance_is_exact() {
        // With exact nuisance values, the plug-in and the R-loss are minimised by tau~.
        let (x, t, y, nu, _) = two_rows();
        let rows = ValidationRows::new(&x, &t, &y);
        close(plugin_pehe(&nu, &nu.tau()), 0.0);
        assert!(r_loss_ratio(&rows, &nu, &[1.0, 1.0]).unwrap() <= r_loss_ratio(&rows, &nu, &[1.0, 3.0]).unwrap());
    }

    #[test]
    fn names_round_trip() {
        for c in Criterion::ALL {
            assert_eq!(Criterion::from_name(c.name()), Some(c));
        }
        assert_eq!(Criterion::from_name("pehe"), None);
    }
}
