//! The portable product against its definition, bit for bit, on every path.

use super::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn random(len: usize, rng: &mut ChaCha8Rng) -> Vec<f32> {
    (0..len).map(|_| rng.random_range(-1.0f32..1.0)).collect()
}

/// The definition, element by element: a fused chain over k in order.
#[allow(clippy::too_many_arguments)] // the BLAS signature, argument for argument
fn oracle(m: usize, n: usize, k: usize, alpha: f32, a: &[f32], b: &[f32], beta: f32, c: &mut [f32]) {
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0f32;
            for p in 0..k {
                acc = a[i * k + p].mul_add(b[p * n + j], acc);
            }
            let t = if alpha == 1.0 { acc } else { alpha * acc };
            c[i * n + j] = if beta == 0.0 { t } else { t + beta * c[i * n + j] };
        }
    }
}

fn row_major(ptr: *const f32, cols: usize) -> Strided<*const f32> {
    Strided { ptr, rs: cols as isize, cs: 1 }
}

#[test]
fn equals_the_fused_chain_bit_for_bit_on_ragged_shapes() {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for &(m, n, k) in &[
        (1, 1, 1),
        (17, 7, 3),
        (100, 200, 25),
        (33, 13, 0),
        (5, 1, 300),
        (16, 6, 16),
        // One output column or row (the column kernel), over one and several blocks.
        (100, 1, 100),
        (130, 1, 7),
        (1, 37, 50),
        (1, 200, 100),
        // Panels past what a thread keeps between calls (fresh scratch).
        (3, 7, 200_000),
        (2, 1, 20_000),
    ] {
        for &(alpha, beta) in &[(1.0, 0.0), (0.5, 1.0), (-2.0, 0.25)] {
            let (a, b) = (random(m * k, &mut rng), random(k * n, &mut rng));
            let c0 = random(m * n, &mut rng);
            let (mut want, mut got) = (c0.clone(), c0.clone());
            oracle(m, n, k, alpha, &a, &b, beta, &mut want);
            unsafe {
                sgemm(
                    m,
                    n,
                    k,
                    alpha,
                    row_major(a.as_ptr(), k),
                    row_major(b.as_ptr(), n),
                    beta,
                    Strided { ptr: got.as_mut_ptr(), rs: n as isize, cs: 1 },
                );
            }
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got), bits(&want), "m={m} n={n} k={k} alpha={alpha} beta={beta}");
        }
    }
}

#[test]
fn transposed_strides_give_the_same_bits() {
    // The thin shapes read whole column-contiguous blocks of A in place.
    for (m, n, k) in [(37, 11, 29), (128, 1, 40), (130, 1, 9), (1, 70, 33)] {
        transposed(m, n, k);
    }
}

fn transposed(m: usize, n: usize, k: usize) {
    let mut rng = ChaCha8Rng::seed_from_u64(8);
    let (a, b) = (random(m * k, &mut rng), random(k * n, &mut rng));
    // The same matrices stored column-major (transposed storage).
    let at: Vec<f32> = (0..k * m).map(|x| a[(x % m) * k + x / m]).collect();
    let bt: Vec<f32> = (0..n * k).map(|x| b[(x % k) * n + x / k]).collect();
    let (mut c1, mut c2) = (vec![0f32; m * n], vec![f32::NAN; m * n]);
    unsafe {
        sgemm(
            m,
            n,
            k,
            1.0,
            row_major(a.as_ptr(), k),
            row_major(b.as_ptr(), n),
            0.0,
            Strided { ptr: c1.as_mut_ptr(), rs: n as isize, cs: 1 },
        );
        // beta = 0 must not read C (it holds NaN here).
        sgemm(
            m,
            n,
            k,
            1.0,
            Strided { ptr: at.as_ptr(), rs: 1, cs: m as isize },
            Strided { ptr: bt.as_ptr(), rs: 1, cs: k as isize },
            0.0,
            Strided { ptr: c2.as_mut_ptr(), rs: n as isize, cs: 1 },
        );
    }
    assert!(c1.iter().zip(&c2).all(|(x, y)| x.to_bits() == y.to_bits()), "m={m} n={n} k={k}");
}

#[test]
fn vector_kernel_equals_scalar_kernel() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let k = 57;
    let (ap, bp) = (random(k * MR, &mut rng), random(k * NR, &mut rng));
    unsafe {
        let packed = kernel(ap.as_ptr(), MR as isize, bp.as_ptr(), NR as isize, k);
        assert_eq!(packed, kernel_avx2(ap.as_ptr(), MR as isize, bp.as_ptr(), NR as isize, k));
        // Read in place with wider strides: the same chains.
        let wide_a: Vec<f32> = ap.chunks(MR).flat_map(|r| r.iter().copied().chain([f32::NAN; 3])).collect();
        let wide_b: Vec<f32> = bp.chunks(NR).flat_map(|r| r.iter().copied().chain([f32::NAN; 5])).collect();
        let strided = kernel_avx2(wide_a.as_ptr(), MR as isize + 3, wide_b.as_ptr(), NR as isize + 5, k);
        assert_eq!(packed.map(|c| c.map(f32::to_bits)), strided.map(|c| c.map(f32::to_bits)));
    }
    let (ac, b) = (random(k * MC, &mut rng), random(k, &mut rng));
    let bits = |v: [f32; MC]| v.map(f32::to_bits);
    unsafe {
        assert_eq!(bits(column_tile(ac.as_ptr(), MC as isize, &b)), bits(column_avx2(ac.as_ptr(), MC as isize, &b)));
    }
}

#[test]
fn dot_is_one_gemm_element() {
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    let (x, y) = (random(300, &mut rng), random(300, &mut rng));
    let mut c = [0f32];
    unsafe {
        sgemm(
            1,
            1,
            300,
            1.0,
            row_major(x.as_ptr(), 300),
            Strided { ptr: y.as_ptr(), rs: 1, cs: 1 },
            0.0,
            Strided { ptr: c.as_mut_ptr(), rs: 1, cs: 1 },
        );
        assert_eq!(sdot(300, x.as_ptr(), 1, y.as_ptr(), 1).to_bits(), c[0].to_bits());
    }
}

/// Every storage order of A, B and C (by rows or by columns, with leading
/// dimensions wider than the matrices): the paths that read an operand in
/// place, pack it, or compute the transposed product all give the oracle's bits.
#[test]
fn every_layout_gives_the_fused_chain_bits() {
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    // Full 16-row blocks and 6-column panels, and ragged ones.
    for &(m, n, k) in &[(32, 12, 9), (37, 20, 13), (100, 50, 30), (2, 7, 5)] {
        let (a, b) = (random(m * k, &mut rng), random(k * n, &mut rng));
        let c0 = random(m * n, &mut rng);
        for &(alpha, beta) in &[(1.0, 0.0), (0.5, 1.0)] {
            let mut want = c0.clone();
            oracle(m, n, k, alpha, &a, &b, beta, &mut want);
            for layout in 0..8 {
                let (a_rows, b_rows, c_rows) = (layout & 1 == 0, layout & 2 == 0, layout & 4 == 0);
                // Stored with a leading dimension 3 wider than needed.
                let store = |v: &[f32], r: usize, c: usize, by_rows: bool| -> (Vec<f32>, isize, isize) {
                    let (outer, inner) = if by_rows { (r, c) } else { (c, r) };
                    let ld = inner + 3;
                    let mut s = vec![f32::NAN; outer * ld];
                    for i in 0..r {
                        for j in 0..c {
                            let at = if by_rows { i * ld + j } else { j * ld + i };
                            s[at] = v[i * c + j];
                        }
                    }
                    if by_rows { (s, ld as isize, 1) } else { (s, 1, ld as isize) }
                };
                let (sa, ars, acs) = store(&a, m, k, a_rows);
                let (sb, brs, bcs) = store(&b, k, n, b_rows);
                let (mut sc, crs, ccs) = store(&c0, m, n, c_rows);
                unsafe {
                    sgemm(
                        m,
                        n,
                        k,
                        alpha,
                        Strided { ptr: sa.as_ptr(), rs: ars, cs: acs },
                        Strided { ptr: sb.as_ptr(), rs: brs, cs: bcs },
                        beta,
                        Strided { ptr: sc.as_mut_ptr(), rs: crs, cs: ccs },
                    );
                }
                for i in 0..m {
                    for j in 0..n {
                        let got = sc[(i as isize * crs + j as isize * ccs) as usize];
                        assert_eq!(
                            got.to_bits(),
                            want[i * n + j].to_bits(),
                            "m={m} n={n} k={k} layout={layout} alpha={alpha} ({i}, {j})"
                        );
                    }
                }
            }
        }
    }
}
