//! Logistic regression of the treatment on the covariates (the propensity model),
//! fitted by Newton's method (IRLS) with a small ridge and step halving.
//!
//! The objective is the mean log loss plus (RIDGE / 2) * ||beta||^2 over the
//! slopes (the intercept is not penalised). The ridge moves an ordinary fit by
//! about RIDGE / curvature relative to its size (the fifth digit for standardized
//! covariates and moderate propensities), and keeps the Hessian positive
//! definite and the coefficients finite under perfect separation, where the
//! unpenalised maximum likelihood estimate does not exist. Step halving makes
//! every Newton step decrease the objective, so the iteration cannot diverge.

use nalgebra::{DMatrix, DVector};

use super::linalg::FitError;

/// Ridge penalty on the slopes, on the scale of the mean log loss.
pub const RIDGE: f64 = 1e-6;
const MAX_ITERATIONS: usize = 100;
const MAX_HALVINGS: usize = 40;
/// Stop when half the squared Newton decrement, an estimate of the remaining
/// decrease of the objective, falls below this.
const TOLERANCE: f64 = 1e-14;

/// Fit P(t = 1 | x) = sigmoid(x . beta). `x` must carry the intercept as its
/// first column; `t` holds 0.0 / 1.0.
pub fn fit_logistic(x: &DMatrix<f64>, t: &[f64]) -> Result<DVector<f64>, FitError> {
    let (n, p) = x.shape();
    if n < p || n == 0 {
        return Err(FitError::TooFewRows { rows: n, params: p });
    }
    let t = DVector::from_column_slice(t);
    let mut beta = DVector::zeros(p);
    let mut current = objective(x, &t, &beta);
    for _ in 0..MAX_ITERATIONS {
        let (gradient, hessian) = gradient_and_hessian(x, &t, &beta);
        let chol = hessian.cholesky().ok_or(FitError::NotPositiveDefinite { what: "logistic regression" })?;
        let step = chol.solve(&gradient);
        let (next, value) = halve_until_decrease(x, &t, &beta, &step, current);
        beta = next;
        current = value;
        // Near the optimum the full step is taken and converges quadratically, so
        // the step that brought the decrement below tolerance leaves a gradient
        // at rounding level.
        if gradient.dot(&step) / 2.0 < TOLERANCE {
            return Ok(beta);
        }
    }
    Err(FitError::NotConverged { what: "logistic regression", iterations: MAX_ITERATIONS })
}

/// Predicted probabilities sigmoid(x . beta) for the rows of `x`.
pub fn predict(x: &DMatrix<f64>, beta: &DVector<f64>) -> Vec<f64> {
    (x * beta).iter().map(|&eta| sigmoid(eta)).collect()
}

/// Numerically stable logistic function.
pub fn sigmoid(eta: f64) -> f64 {
    if eta >= 0.0 {
        1.0 / (1.0 + (-eta).exp())
    } else {
        let e = eta.exp();
        e / (1.0 + e)
    }
}

/// log(1 + exp(eta)) without overflow.
fn softplus(eta: f64) -> f64 {
    eta.max(0.0) + (-eta.abs()).exp().ln_1p()
}

fn objective(x: &DMatrix<f64>, t: &DVector<f64>, beta: &DVector<f64>) -> f64 {
    let eta = x * beta;
    let n = x.nrows() as f64;
    let loss: f64 = eta.iter().zip(t.iter()).map(|(&e, &ti)| softplus(e) - ti * e).sum::<f64>() / n;
    let penalty: f64 = beta.iter().skip(1).map(|b| b * b).sum::<f64>() * RIDGE / 2.0;
    loss + penalty
}

fn gradient_and_hessian(x: &DMatrix<f64>, t: &DVector<f64>, beta: &DVector<f64>) -> (DVector<f64>, DMatrix<f64>) {
    let (n, p) = x.shape();
    let prob = (x * beta).map(sigmoid);
    let mut gradient = x.transpose() * (prob.clone() - t) / n as f64;
    let weights = prob.map(|q| q * (1.0 - q));
    let mut weighted = x.clone();
    for (i, w) in weights.iter().enumerate() {
        weighted.row_mut(i).scale_mut(*w);
    }
    let mut hessian = x.transpose() * weighted / n as f64;
    for j in 1..p {
        gradient[j] += RIDGE * beta[j];
        hessian[(j, j)] += RIDGE;
    }
    (gradient, hessian)
}

/// Take the Newton step, halving it until the objective decreases.
fn halve_until_decrease(
    x: &DMatrix<f64>,
    t: &DVector<f64>,
    beta: &DVector<f64>,
    step: &DVector<f64>,
    current: f64,
) -> (DVector<f64>, f64) {
    let mut scale = 1.0;
    for _ in 0..MAX_HALVINGS {
        let candidate = beta - step * scale;
        let value = objective(x, t, &candidate);
        if value <= current {
            return (candidate, value);
        }
        scale /= 2.0;
    }
    // No decrease even for a tiny step: we are at the minimum up to rounding.
    (beta.clone(), current)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn design(xs: &[f64]) -> DMatrix<f64> {
        DMatrix::from_fn(xs.len(), 2, |i, j| if j == 0 { 1.0 } else { xs[i] })
    }

    #[test]
    fn gradient_vanishes_at_the_fit() {
        let xs = [-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0];
        let t = [0.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 1.0];
        let x = design(&xs);
        let beta = fit_logistic(&x, &t).unwrap();
        let (g, _) = gradient_and_hessian(&x, &DVector::from_column_slice(&t), &beta);
        assert!(g.amax() < 1e-8, "gradient {g}");
        assert!(beta[1] > 0.0);
    }

    /// With one binary covariate the unpenalised MLE is closed form: the fitted
    /// probability in each group equals the group's treated share. Here 1/4 and
    /// 3/4, so beta = (logit(1/4), logit(3/4) - logit(1/4)) = (-ln 3, 2 ln 3).
    #[test]
    fn binary_covariate_matches_closed_form() {
        let xs = [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0];
        let t = [1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.0];
        let beta = fit_logistic(&design(&xs), &t).unwrap();
        let ln3 = 3f64.ln();
        assert!((beta[0] + ln3).abs() < 1e-3, "{beta}");
        assert!((beta[1] - 2.0 * ln3).abs() < 1e-3, "{beta}");
    }

    #[test]
    fn separated_data_stays_finite() {
        let xs = [-2.0, -1.0, 1.0, 2.0];
        let t = [0.0, 0.0, 1.0, 1.0];
        let beta = fit_logistic(&design(&xs), &t).unwrap();
        assert!(beta.iter().all(|b| b.is_finite()));
        let p = predict(&design(&xs), &beta);
        assert!(p[0] < 0.01 && p[3] > 0.99, "{p:?}");
    }

    #[test]
    fn sigmoid_is_stable_at_extremes() {
        assert_eq!(sigmoid(-1000.0), 0.0);
        assert_eq!(sigmoid(1000.0), 1.0);
        assert!((softplus(1000.0) - 1000.0).abs() < 1e-12);
    }
}
