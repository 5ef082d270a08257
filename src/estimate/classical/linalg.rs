//! Least squares by Householder QR with a rank check, and the errors a numeric fit
//! can end in.
//!
//! QR rather than the normal equations because forming X'X squares the condition
//! number. Without column pivoting, the diagonal entry R_jj is the length of the
//! part of column j orthogonal to the earlier columns, so a (near) zero R_jj names
//! exactly the column that is a linear combination of the ones before it; that is
//! the reason a failed run reports.

use nalgebra::{DMatrix, DVector};
use thiserror::Error;

/// A column whose orthogonal part is below this fraction of its own length is
/// treated as linearly dependent on the earlier columns.
const RANK_TOLERANCE: f64 = 1e-9;

/// Why a numeric fit could not produce an answer.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum FitError {
    #[error(
        "singular design: column `{column}` is (nearly) a linear combination of the columns before it; \
         drop it or choose another adjustment set"
    )]
    RankDeficient { column: String },
    #[error("too few rows to fit: {params} parameters need at least {params} rows, got {rows}")]
    TooFewRows { rows: usize, params: usize },
    #[error("the {what} Hessian is not positive definite (perfect separation or a constant covariate?)")]
    NotPositiveDefinite { what: &'static str },
    #[error("{what} did not converge in {iterations} iterations")]
    NotConverged { what: &'static str, iterations: usize },
}

/// An ordinary least squares fit.
#[derive(Debug, Clone)]
pub struct LeastSquares {
    pub coef: DVector<f64>,
    /// (X'X)^-1, for standard errors.
    pub xtx_inv: DMatrix<f64>,
    pub residuals: DVector<f64>,
}

/// Minimise ||y - X b||^2. `names` labels the columns of `x` for the error message.
pub fn least_squares(x: &DMatrix<f64>, y: &DVector<f64>, names: &[String]) -> Result<LeastSquares, FitError> {
    let (n, p) = x.shape();
    if n < p || p == 0 {
        return Err(FitError::TooFewRows { rows: n, params: p });
    }
    let qr = x.clone().qr();
    let r = qr.r();
    check_rank(x, &r, names)?;
    let qty = qr.q().transpose() * y;
    // Invariant: check_rank guarantees a nonzero diagonal, so both solves succeed.
    let coef = r.solve_upper_triangular(&qty).expect("full-rank triangular solve");
    let r_inv = r.solve_upper_triangular(&DMatrix::identity(p, p)).expect("full-rank triangular solve");
    let xtx_inv = &r_inv * r_inv.transpose();
    let residuals = y - x * &coef;
    Ok(LeastSquares { coef, xtx_inv, residuals })
}

fn check_rank(x: &DMatrix<f64>, r: &DMatrix<f64>, names: &[String]) -> Result<(), FitError> {
    for j in 0..x.ncols() {
        let norm = x.column(j).norm();
        if norm == 0.0 || r[(j, j)].abs() <= RANK_TOLERANCE * norm || !r[(j, j)].is_finite() {
            let column = names.get(j).cloned().unwrap_or_else(|| format!("#{j}"));
            return Err(FitError::RankDeficient { column });
        }
    }
    Ok(())
}

/// Heteroskedasticity-robust (HC1) standard error of coefficient `j`:
/// sqrt(n/(n-p) * sum_i e_i^2 (a_j . x_i)^2) with a_j the j-th row of (X'X)^-1
/// (MacKinnon and White 1985).
pub fn hc1_standard_error(x: &DMatrix<f64>, fit: &LeastSquares, j: usize) -> f64 {
    let (n, p) = x.shape();
    let a = fit.xtx_inv.row(j);
    let meat: f64 = (0..n).map(|i| (fit.residuals[i] * a.dot(&x.row(i))).powi(2)).sum();
    let dof = if n > p { n as f64 / (n - p) as f64 } else { f64::INFINITY };
    (dof * meat).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn names(p: usize) -> Vec<String> {
        (0..p).map(|j| format!("c{j}")).collect()
    }

    #[test]
    fn dependent_column_is_named() {
        let x = DMatrix::from_row_slice(4, 3, &[1.0, 1.0, 2.0, 1.0, 2.0, 4.0, 1.0, 3.0, 6.0, 1.0, 4.0, 8.0]);
        let y = DVector::from_vec(vec![1.0, 2.0, 3.0, 5.0]);
        let err = least_squares(&x, &y, &names(3)).unwrap_err();
        assert_eq!(err, FitError::RankDeficient { column: "c2".into() });
    }

    #[test]
    fn too_few_rows_is_an_error() {
        let x = DMatrix::from_row_slice(1, 2, &[1.0, 2.0]);
        let y = DVector::from_vec(vec![1.0]);
        assert_eq!(least_squares(&x, &y, &names(2)).unwrap_err(), FitError::TooFewRows { rows: 1, params: 2 });
    }

    proptest! {
        /// Oracle: the normal equations solved by a dense inverse agree with QR on
        /// well-conditioned random designs.
        #[test]
        fn qr_matches_normal_equations(vals in proptest::collection::vec(-3.0f64..3.0, 24), ys in proptest::collection::vec(-5.0f64..5.0, 8)) {
            let mut x = DMatrix::from_row_slice(8, 3, &vals);
            x.column_mut(0).fill(1.0);
            prop_assume!(x.clone().svd(false, false).singular_values.min() > 0.1);
            let y = DVector::from_vec(ys);
            let fit = least_squares(&x, &y, &names(3)).unwrap();
            let xtx = x.transpose() * &x;
            let direct = xtx.clone().try_inverse().unwrap() * x.transpose() * &y;
            prop_assert!((&fit.coef - &direct).amax() < 1e-8 * (1.0 + direct.amax()));
            prop_assert!((&fit.xtx_inv * &xtx - DMatrix::identity(3, 3)).amax() < 1e-8);
        }
    }
}
