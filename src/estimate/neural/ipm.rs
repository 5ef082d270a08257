//! Integral probability metrics between the treated and control representations,
//! the balance penalties of CFR (Shalit, Johansson & Sontag, ICML 2017).
//!
//! Both follow cfrnet's `cfr/util.py` (`mmd2_lin`, `wasserstein`) with the treated
//! share `p` set to 0.5 as in its IHDP configuration (`use_p_correction=0`).

use tch::{Kind, Tensor};

/// Squared linear MMD: ||2p·mean(Φ_t) - 2(1-p)·mean(Φ_c)||².
pub fn mmd2_lin(rep: &Tensor, treated: &Tensor, control: &Tensor, p: f64) -> Tensor {
    let mean_t = rep.index_select(0, treated).mean_dim(0, false, Kind::Float);
    let mean_c = rep.index_select(0, control).mean_dim(0, false, Kind::Float);
    (mean_t * (2.0 * p) - mean_c * (2.0 * (1.0 - p))).square().sum(Kind::Float)
}

/// Entropy-regularised Wasserstein-1 distance by `iterations` Sinkhorn steps
/// (Cuturi 2013), with cfrnet's augmentation: an extra row and column at the
/// largest distance absorb the mass imbalance between the arms, and the entropic
/// weight is `lambda / mean distance`. Gradients flow through the transport plan
/// (cfrnet `wass_bpt=1`).
pub fn wasserstein(rep: &Tensor, treated: &Tensor, control: &Tensor, p: f64, lambda: f64, iterations: usize) -> Tensor {
    let xt = rep.index_select(0, treated);
    let xc = rep.index_select(0, control);
    let (nt, nc) = (xt.size()[0], xc.size()[0]);
    let opts = (Kind::Float, rep.device());
    let m = squared_distances(&xt, &xc).clamp_min(1e-10).sqrt();
    let delta = m.max().detach();
    let eff_lambda = (m.mean(Kind::Float).reciprocal() * lambda).detach();
    let last_row = Tensor::ones([1, nc], opts) * &delta;
    let last_col = Tensor::cat(&[Tensor::ones([nt, 1], opts) * &delta, Tensor::zeros([1, 1], opts)], 0);
    let mt = Tensor::cat(&[Tensor::cat(&[m, last_row], 0), last_col], 1);
    let a = Tensor::cat(&[Tensor::full([nt, 1], p / nt as f64, opts), Tensor::full([1, 1], 1.0 - p, opts)], 0);
    let b = Tensor::cat(&[Tensor::full([nc, 1], (1.0 - p) / nc as f64, opts), Tensor::full([1, 1], p, opts)], 0);
    // The small constant keeps the kernel positive where exp underflows.
    let k = (-(&mt * eff_lambda)).exp() + 1e-6;
    let a_inv_k = &k / &a;
    let mut u = a.shallow_clone();
    for _ in 0..iterations {
        u = a_inv_k.matmul(&(&b / u.transpose(0, 1).matmul(&k).transpose(0, 1))).reciprocal();
    }
    let v = &b / u.transpose(0, 1).matmul(&k).transpose(0, 1);
    let plan = &u * (v.transpose(0, 1) * &k);
    (plan * mt).sum(Kind::Float) * 2.0
}

/// ||x_i - y_j||² for every pair, as an `[n_x, n_y]` matrix.
fn squared_distances(x: &Tensor, y: &Tensor) -> Tensor {
    let cross = x.matmul(&y.transpose(0, 1)) * -2.0;
    let nx = x.square().sum_dim_intlist(1, true, Kind::Float);
    let ny = y.square().sum_dim_intlist(1, true, Kind::Float);
    cross + ny.transpose(0, 1) + nx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(v: &[f32], dim: i64) -> Tensor {
        Tensor::from_slice(v).view([-1, dim])
    }

    fn idx(v: &[i64]) -> Tensor {
        Tensor::from_slice(v)
    }

    #[test]
    fn mmd_is_the_squared_distance_of_means_at_half() {
        // Means (1, 0) and (0, 3): 2·0.5·Δ = Δ, so MMD² = 1 + 9.
        let rep = points(&[0.0, 0.0, 2.0, 0.0, 0.0, 3.0], 2);
        let d = mmd2_lin(&rep, &idx(&[0, 1]), &idx(&[2]), 0.5).double_value(&[]);
        assert!((d - 10.0).abs() < 1e-6, "{d}");
    }

    #[test]
    fn identical_groups_are_close_and_shifted_groups_far() {
        // Brute-force oracle: with equal group sizes and p = 0.5 the optimal plan
        // matches points one to one, so W1 between {0,1} and {s, 1+s} is s and the
        // cfrnet value 2·Σ T·M approaches s as the entropic weight grows.
        let rep = |s: f32| points(&[0.0, 1.0, s, 1.0 + s], 1);
        let (t, c) = (idx(&[0, 1]), idx(&[2, 3]));
        let same = wasserstein(&rep(0.0), &t, &c, 0.5, 10.0, 50).double_value(&[]);
        let shifted = wasserstein(&rep(3.0), &t, &c, 0.5, 50.0, 200).double_value(&[]);
        assert!(same < 0.1, "{same}");
        assert!((shifted - 3.0).abs() < 0.1, "{shifted}");
    }

    proptest::proptest! {
        #[test]
        fn squared_distances_match_brute_force(x in proptest::collection::vec(-5.0f32..5.0, 6), y in proptest::collection::vec(-5.0f32..5.0, 9)) {
            let d = squared_distances(&points(&x, 3), &points(&y, 3));
            for i in 0..2 {
                for j in 0..3 {
                    let brute: f32 = (0..3).map(|k| (x[3 * i + k] - y[3 * j + k]).powi(2)).sum();
                    let got = d.double_value(&[i as i64, j as i64]) as f32;
                    proptest::prop_assert!((got - brute).abs() < 1e-3 * (1.0 + brute), "{got} vs {brute}");
                }
            }
        }

        #[test]
        fn mmd_matches_brute_force_means(x in proptest::collection::vec(-5.0f32..5.0, 8), p in 0.1f64..0.9) {
            // Rows 0..2 treated, 2..4 control, 2 features each.
            let rep = points(&x, 2);
            let got = mmd2_lin(&rep, &idx(&[0, 1]), &idx(&[2, 3]), p).double_value(&[]);
            let brute: f64 = (0..2).map(|k| {
                let mt = (x[k] + x[2 + k]) as f64 / 2.0;
                let mc = (x[4 + k] + x[6 + k]) as f64 / 2.0;
                (2.0 * p * mt - 2.0 * (1.0 - p) * mc).powi(2)
            }).sum();
            proptest::prop_assert!((got - brute).abs() < 1e-3 * (1.0 + brute), "{got} vs {brute}");
        }
    }

    #[test]
    fn wasserstein_has_gradients_through_the_representation() {
        let rep = Tensor::from_slice(&[0.0f32, 1.0, 2.0, 4.0]).view([4, 1]).set_requires_grad(true);
        let d = wasserstein(&rep, &idx(&[0, 1]), &idx(&[2, 3]), 0.5, 10.0, 10);
        d.backward();
        let g = rep.grad();
        assert_eq!(g.size(), vec![4, 1]);
        assert!(g.abs().sum(Kind::Float).double_value(&[]) > 0.0);
    }
}
