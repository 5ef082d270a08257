//! RMSN's stabilized weights, as the Causal Transformer repository computes
//! them (`process_propensity_train_f`, `clip_normalize_stabilized_weights` and
//! the decoder's `prepare_data`; read, not copied).
//!
//! At every active position `p` of a training unit the ratio
//! `SW_p = Π_j f(A_{p,j} | Ā_{p−1}) / f(A_{p,j} | H_p)` over the treatment
//! components `j`: the numerator network's probability over the history
//! network's. One deliberate difference, the same as `msm`'s: CT divides the
//! two networks' probabilities of each component being 1 whatever was given;
//! here each is the probability of the component actually given, the weight
//! of Lim et al. (and of the textbook stabilized weight).
//!
//! The encoder's weight at `p` is `SW_p` alone (the outcome `Y_{p+1}` it
//! learns follows `A_p`; the history before is its input). The decoder's
//! sub-path from origin `s` weighs its step `k` by `Π_{j=s}^{s+k+1} SW_j`
//! (CT: the cumulative product over the `horizon + 1` ratios from `s`, without
//! its first term). Either set is clipped to its 1st and 99th percentiles
//! (NumPy's linear interpolation) and divided by its mean: one mean for the
//! encoder, one per step `k` for the decoder.

/// `ln σ(x)` without overflow: `−ln(1 + e^{−x})`.
fn ln_sigmoid(x: f64) -> f64 {
    if x >= 0.0 { -(-x).exp().ln_1p() } else { x - x.exp().ln_1p() }
}

/// `ln f(a | logits)`: the log-probability of the binary vector `a` under
/// independent Bernoulli components with these logits.
fn ln_probability(logits: &[f32], a: &[f64]) -> f64 {
    logits.iter().zip(a).map(|(&l, &a)| ln_sigmoid(if a == 1.0 { f64::from(l) } else { -f64::from(l) })).sum()
}

/// The stabilized ratio of one position from the numerator's and the
/// denominator's logits and the treatment given.
pub(super) fn ratio(numerator: &[f32], denominator: &[f32], a: &[f64]) -> f64 {
    (ln_probability(numerator, a) - ln_probability(denominator, a)).exp()
}

/// NumPy's `quantile` (method `linear`) of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Clip `values` (row-major, `columns` per row) to their 1st and 99th
/// percentiles over all values, then divide each column by its mean. Returns
/// the two bounds; empty values are left as they are (NaN bounds).
pub(super) fn clip_normalize(values: &mut [f64], columns: usize) -> (f64, f64) {
    if values.is_empty() || columns == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (lo, hi) = (quantile(&sorted, 0.01), quantile(&sorted, 0.99));
    values.iter_mut().for_each(|v| *v = v.clamp(lo, hi));
    let rows = values.len() / columns;
    for c in 0..columns {
        let mean = (0..rows).map(|r| values[r * columns + c]).sum::<f64>() / rows as f64;
        (0..rows).for_each(|r| values[r * columns + c] /= mean);
    }
    (lo, hi)
}

/// The first origin past the last one the decoder learns from in a unit of
/// `length` steps: CT's rolling origins `t = 1..length − horizon` (its `s = t − 1`),
/// so that the last outcome a sub-path reads is `Y_{length−1}`.
pub(super) fn origins(length: usize, horizon: usize) -> usize {
    length.saturating_sub(horizon + 1)
}

/// The decoder's weights, before clipping: for each unit's ratios (one per
/// active position), each origin `s < origins(len, horizon)` and step `k <
/// horizon`, `Π_{j=s}^{s+k+1} SW_j`, row-major (`horizon` per sub-path).
pub(super) fn decoder_products(ratios: &[Vec<f64>], horizon: usize) -> Vec<f64> {
    let mut out = Vec::new();
    for r in ratios {
        for s in 0..origins(r.len(), horizon) {
            let mut product = r[s];
            for k in 0..horizon {
                product *= r[s + k + 1];
                out.push(product);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs().max(1.0)
    }

    /// Up to the rounding of `ln 3` to f32.
    fn near(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-6 * b.abs()
    }

    /// One component, logits ±ln 3 (probabilities 3/4 and 1/4): the ratio of
    /// the probabilities of what was given, for either treatment; two
    /// components multiply.
    #[test]
    fn the_ratio_is_of_the_probabilities_of_the_treatment_given() {
        let ln3 = 3f32.ln();
        // Numerator P(A=1) = 3/4, denominator P(A=1) = 1/4.
        assert!(near(ratio(&[ln3], &[-ln3], &[1.0]), 3.0));
        assert!(near(ratio(&[ln3], &[-ln3], &[0.0]), 1.0 / 3.0));
        // Second component: numerator 1/2, denominator 3/4; given 0: (1/2)/(1/4) = 2.
        assert!(near(ratio(&[ln3, 0.0], &[-ln3, ln3], &[1.0, 0.0]), 6.0));
        // A logit far past f32's saturated sigmoid still gives a finite ratio.
        assert!(close(ratio(&[0.0], &[40.0], &[0.0]), 0.5 * (1.0 + 40f64.exp())));
    }

    /// 101 values 0, 1, ..., 99 and 1000: the 1st and 99th percentiles are 1
    /// and 99 (positions 1 and 99 exactly), so 0 becomes 1 and 1000 becomes 99;
    /// the mean is then (1 + (1 + 2 + ... + 99) + 99) / 101 = 5050 / 101 = 50.
    #[test]
    fn clipping_at_the_percentiles_then_one_mean() {
        let mut v: Vec<f64> = (0..100).map(f64::from).chain([1000.0]).collect();
        let (lo, hi) = clip_normalize(&mut v, 1);
        assert_eq!((lo, hi), (1.0, 99.0));
        let mean = 50.0;
        assert!(close(v[0], 1.0 / mean) && close(v[50], 50.0 / mean) && close(v[100], 99.0 / mean));
        assert!(close(v.iter().sum::<f64>() / 101.0, 1.0));
    }

    /// NumPy's linear interpolation between order statistics: five values, the
    /// 1st percentile at position 0.04, the 99th at 3.96.
    #[test]
    fn percentiles_interpolate_as_numpy() {
        let mut v = vec![10.0, 0.0, 4.0, 1.0, 2.0];
        let (lo, hi) = clip_normalize(&mut v, 1);
        assert!(close(lo, 0.04) && close(hi, 4.0 + 0.96 * 6.0), "{lo} {hi}");
    }

    /// Two columns normalised separately, after one clip over both.
    #[test]
    fn the_decoder_normalises_each_step() {
        // Rows (1, 10) and (3, 30).
        let mut v = vec![1.0, 10.0, 3.0, 30.0];
        let (lo, hi) = clip_normalize(&mut v, 2);
        // Sorted 1, 3, 10, 30: positions 0.03 and 2.97.
        assert!(close(lo, 1.06) && close(hi, 10.0 + 0.97 * 20.0));
        assert!(close(v[0], 1.06 / ((1.06 + 3.0) / 2.0)) && close(v[2], 3.0 / ((1.06 + 3.0) / 2.0)));
        assert!(close(v[1], 10.0 / ((10.0 + hi) / 2.0)) && close(v[3], hi / ((10.0 + hi) / 2.0)));
    }

    /// A unit of 5 positions, horizon 2: origins 0 and 1 (CT's t = 1, 2), each
    /// step the product from the origin's ratio through one past the step.
    #[test]
    fn decoder_products_are_cumulative_from_the_origin() {
        let r = vec![vec![2.0, 3.0, 5.0, 7.0, 11.0], vec![1.0, 1.0, 1.0]];
        assert_eq!(origins(5, 2), 2);
        assert_eq!(origins(3, 2), 0);
        assert_eq!(decoder_products(&r, 2), [6.0, 30.0, 15.0, 105.0]);
    }
}
