//! Random draws. Each draw site in an equation owns one column of exogenous
//! noise, drawn once per simulation: a standard normal variate for `normal`, a
//! standard t variate for `student_t`, and a uniform(0, 1) variate for every
//! other distribution, which the evaluator turns into the draw by the inverse
//! CDF given that row's arguments. Because the noise is fixed before any
//! equation is evaluated, re-evaluating the model under do() reuses it exactly,
//! and a draw whose arguments change (say `bernoulli(p)` with a new p) moves
//! monotonically with them, which is the usual coupling for counterfactuals.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal, StudentT};

use crate::rng::RunRng;

use super::functions::Arity;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dist {
    Normal,
    Uniform,
    Bernoulli,
    Poisson,
    Categorical,
    StudentT,
}

/// The distribution of a draw site's exogenous noise column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum NoiseKind {
    StandardNormal,
    Uniform,
    StudentT { df: f64 },
}

/// An argument outside a distribution's domain: which rule, and the value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BadArgument {
    pub requirement: &'static str,
    pub value: f64,
}

impl Dist {
    pub fn from_name(name: &str) -> Option<Dist> {
        Some(match name {
            "normal" => Dist::Normal,
            "uniform" => Dist::Uniform,
            "bernoulli" => Dist::Bernoulli,
            "poisson" => Dist::Poisson,
            "categorical" => Dist::Categorical,
            "student_t" => Dist::StudentT,
            _ => return None,
        })
    }

    /// The call's signature, used in argument errors.
    pub fn signature(self) -> &'static str {
        match self {
            Dist::Normal => "normal(mean, sd)",
            Dist::Uniform => "uniform(low, high)",
            Dist::Bernoulli => "bernoulli(p)",
            Dist::Poisson => "poisson(rate)",
            Dist::Categorical => "categorical(p1, p2, ...)",
            Dist::StudentT => "student_t(df)",
        }
    }

    pub fn arity(self) -> Arity {
        let exact = |n, signature| Arity { min: n, max: Some(n), signature };
        match self {
            Dist::Normal => exact(2, "(mean, sd)"),
            Dist::Uniform => exact(2, "(low, high)"),
            Dist::Bernoulli => exact(1, "(p)"),
            Dist::Poisson => exact(1, "(rate)"),
            Dist::Categorical => Arity { min: 1, max: None, signature: "(p1, p2, ...)" },
            Dist::StudentT => exact(1, "(df)"),
        }
    }

    /// The noise this distribution is built from; `df` is student_t's constant
    /// degrees of freedom (the compiler rejects a varying one).
    pub fn noise(self, df: f64) -> NoiseKind {
        match self {
            Dist::Normal => NoiseKind::StandardNormal,
            Dist::StudentT => NoiseKind::StudentT { df },
            _ => NoiseKind::Uniform,
        }
    }

    /// Check the arguments without drawing (used on constant arguments at compile time).
    pub fn check(self, args: &[f64]) -> Result<(), BadArgument> {
        self.mean(args).map(|_| ())
    }

    /// The draw for exogenous variate `e` given one row's arguments.
    #[inline]
    pub fn transform(self, e: f64, args: &[f64]) -> Result<f64, BadArgument> {
        match self {
            Dist::Normal => Ok(args[0] + nonnegative(args[1], "sd >= 0")? * e),
            Dist::Uniform => Ok(args[0] + ordered(args[0], args[1])? * e),
            Dist::Bernoulli => Ok(if e < probability(args[0])? { 1.0 } else { 0.0 }),
            Dist::Poisson => Ok(poisson_quantile(finite_rate(args[0])?, e)),
            Dist::Categorical => categorical_index(args, e),
            Dist::StudentT => Ok(e),
        }
    }

    /// The draw's expectation given one row's arguments; student_t gives its
    /// median 0 (its mean when df > 1).
    pub fn mean(self, args: &[f64]) -> Result<f64, BadArgument> {
        match self {
            Dist::Normal => nonnegative(args[1], "sd >= 0").map(|_| args[0]),
            Dist::Uniform => ordered(args[0], args[1]).map(|_| 0.5 * (args[0] + args[1])),
            Dist::Bernoulli => probability(args[0]),
            Dist::Poisson => finite_rate(args[0]),
            Dist::Categorical => categorical_mean(args),
            Dist::StudentT => nonnegative(args[0], "df > 0")
                .and_then(|df| if df > 0.0 { Ok(0.0) } else { Err(BadArgument { requirement: "df > 0", value: df }) }),
        }
    }
}

fn nonnegative(x: f64, requirement: &'static str) -> Result<f64, BadArgument> {
    if x >= 0.0 && x.is_finite() { Ok(x) } else { Err(BadArgument { requirement, value: x }) }
}

fn ordered(low: f64, high: f64) -> Result<f64, BadArgument> {
    let width = high - low;
    if width >= 0.0 && width.is_finite() {
        Ok(width)
    } else {
        Err(BadArgument { requirement: "low <= high", value: high })
    }
}

fn probability(p: f64) -> Result<f64, BadArgument> {
    if (0.0..=1.0).contains(&p) { Ok(p) } else { Err(BadArgument { requirement: "0 <= p <= 1", value: p }) }
}

/// The largest Poisson rate drawn. The quantile walk takes about 12·sqrt(rate)
/// steps a row (0.4 ms at 1e9 in a debug build), and from 2^53 on it cannot
/// step at all (`k - 1.0 == k`), so `poisson(1e16)` hung the simulation.
pub(crate) const MAX_POISSON_RATE: f64 = 1e9;

fn finite_rate(rate: f64) -> Result<f64, BadArgument> {
    if (0.0..=MAX_POISSON_RATE).contains(&rate) {
        Ok(rate)
    } else {
        Err(BadArgument { requirement: "0 <= rate <= 1e9", value: rate })
    }
}

fn categorical_total(weights: &[f64]) -> Result<f64, BadArgument> {
    let mut total = 0.0;
    for &w in weights {
        total += nonnegative(w, "every weight >= 0")?;
    }
    if total > 0.0 { Ok(total) } else { Err(BadArgument { requirement: "weights with a positive sum", value: total }) }
}

/// Category 0, 1, ... whose cumulative weight (normalised) first exceeds `u`.
fn categorical_index(weights: &[f64], u: f64) -> Result<f64, BadArgument> {
    let target = u * categorical_total(weights)?;
    let mut cumulative = 0.0;
    for (k, &w) in weights.iter().enumerate() {
        cumulative += w;
        if target < cumulative {
            return Ok(k as f64);
        }
    }
    // Rounding can leave the cumulative sum a hair below `target`: last category.
    Ok((weights.len() - 1) as f64)
}

fn categorical_mean(weights: &[f64]) -> Result<f64, BadArgument> {
    let total = categorical_total(weights)?;
    Ok(weights.iter().enumerate().map(|(k, w)| k as f64 * w).sum::<f64>() / total)
}

/// Below this rate the Poisson quantile walks up from 0; above, from the mode.
const POISSON_WALK_FROM_ZERO: f64 = 30.0;

/// Smallest k with P(K <= k) > u for K ~ Poisson(rate), u in [0, 1).
pub(crate) fn poisson_quantile(rate: f64, u: f64) -> f64 {
    if rate == 0.0 {
        0.0
    } else if rate < POISSON_WALK_FROM_ZERO {
        walk_up(0.0, (-rate).exp(), (-rate).exp(), rate, u)
    } else {
        quantile_from_mode(rate, u)
    }
}

/// Add pmf terms upward from k (whose pmf is `p` and cdf `cdf`) until the cdf passes u.
fn walk_up(mut k: f64, mut p: f64, mut cdf: f64, rate: f64, u: f64) -> f64 {
    // Past the mode the terms shrink; once they underflow the sum cannot grow.
    while cdf <= u && (p > 0.0 || k < rate) {
        k += 1.0;
        p *= rate / k;
        cdf += p;
    }
    k
}

/// Start at the mode m = floor(rate), whose pmf comes from Stirling's series and
/// whose cdf is summed downward (terms fall fast below the mode), then walk.
/// Costs O(sqrt(rate)) per row instead of O(rate).
fn quantile_from_mode(rate: f64, u: f64) -> f64 {
    let mode = rate.floor();
    let p_mode = (-rate + mode * rate.ln() - ln_factorial(mode)).exp();
    let mut cdf_mode = 0.0;
    let (mut k, mut p) = (mode, p_mode);
    while k >= 0.0 && p > p_mode * 1e-18 {
        cdf_mode += p;
        p *= k / rate;
        k -= 1.0;
    }
    if cdf_mode > u {
        let (mut k, mut p, mut cdf) = (mode, p_mode, cdf_mode);
        while k > 0.0 && cdf - p > u {
            cdf -= p;
            p *= k / rate;
            k -= 1.0;
        }
        k
    } else {
        walk_up(mode, p_mode, cdf_mode, rate, u)
    }
}

/// ln(k!) for k >= 30 by Stirling's series; the error is below 1e-15 there
/// (Abramowitz and Stegun 6.1.41).
fn ln_factorial(k: f64) -> f64 {
    let k2 = k * k;
    k * k.ln() - k + 0.5 * (2.0 * std::f64::consts::PI * k).ln() + 1.0 / (12.0 * k) - 1.0 / (360.0 * k * k2)
        + 1.0 / (1260.0 * k * k2 * k2)
}

/// One column of `n` exogenous variates.
pub(crate) fn draw_column(kind: NoiseKind, n: usize, rng: &mut RunRng) -> Vec<f64> {
    match kind {
        NoiseKind::StandardNormal => (0..n).map(|_| rng.sample::<f64, _>(StandardNormal)).collect(),
        NoiseKind::Uniform => (0..n).map(|_| rng.random::<f64>()).collect(),
        NoiseKind::StudentT { df } => match StudentT::new(df) {
            Ok(t) => (0..n).map(|_| t.sample(rng)).collect(),
            // The compiler checked df > 0, so this branch is never taken.
            Err(_) => vec![f64::NAN; n],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ln_factorial_exact(k: u32) -> f64 {
        (1..=k).map(|i| (i as f64).ln()).sum()
    }

    #[test]
    fn stirling_series_matches_the_exact_sum() {
        for k in [30u32, 47, 100, 1000] {
            let (a, b) = (ln_factorial(k as f64), ln_factorial_exact(k));
            assert!((a - b).abs() < 1e-10 * b, "{k}: {a} vs {b}");
        }
    }

    #[test]
    fn both_poisson_walks_agree() {
        for rate in [30.0f64, 31.5, 55.0] {
            for i in 0..200 {
                let u = (i as f64 + 0.5) / 200.0;
                let from_zero = walk_up(0.0, (-rate).exp(), (-rate).exp(), rate, u);
                assert_eq!(quantile_from_mode(rate, u), from_zero, "rate {rate}, u {u}");
            }
        }
    }

    #[test]
    fn poisson_quantile_hand_values() {
        // P(K=0) = e^-1 = 0.3679, P(K<=1) = 0.7358 for rate 1.
        assert_eq!(poisson_quantile(1.0, 0.30), 0.0);
        assert_eq!(poisson_quantile(1.0, 0.50), 1.0);
        assert_eq!(poisson_quantile(1.0, 0.80), 2.0);
        assert_eq!(poisson_quantile(0.0, 0.99), 0.0);
        assert!(poisson_quantile(1e6, 0.5) - 1e6 <= 1.0);
    }

    #[test]
    fn categorical_picks_by_cumulative_weight() {
        let w = [1.0, 2.0, 1.0];
        assert_eq!(categorical_index(&w, 0.2), Ok(0.0));
        assert_eq!(categorical_index(&w, 0.5), Ok(1.0));
        assert_eq!(categorical_index(&w, 0.9), Ok(2.0));
        assert_eq!(categorical_mean(&w), Ok(1.0));
        assert!(categorical_index(&[0.0, 0.0], 0.5).is_err());
    }

    #[test]
    fn arguments_are_checked() {
        assert!(Dist::Normal.transform(0.0, &[0.0, -1.0]).is_err());
        assert!(Dist::Bernoulli.transform(0.5, &[1.5]).is_err());
        assert!(Dist::Uniform.transform(0.5, &[2.0, 1.0]).is_err());
        assert!(Dist::Poisson.transform(0.5, &[f64::NAN]).is_err());
        // Past the largest rate the walk took forever (it could not step past 2^53).
        assert_eq!(MAX_POISSON_RATE.to_string(), "1000000000");
        assert!(Dist::Poisson.transform(0.5, &[MAX_POISSON_RATE]).is_ok_and(|k| (k - 1e9).abs() < 1e5));
        for rate in [1.01e9, 1e16, 1e17, 1e300, f64::INFINITY, -1.0] {
            let err = BadArgument { requirement: "0 <= rate <= 1e9", value: rate };
            assert_eq!(Dist::Poisson.transform(0.5, &[rate]), Err(err), "{rate}");
            assert_eq!(Dist::Poisson.mean(&[rate]), Err(err), "{rate}");
        }
        assert_eq!(Dist::Uniform.transform(0.25, &[2.0, 6.0]), Ok(3.0));
        assert_eq!(Dist::Bernoulli.mean(&[0.3]), Ok(0.3));
    }
}
