//! Deterministic single-precision matrix products, the portable numeric mode's
//! replacement for MKL's `sgemm`.
//!
//! Every output element is one chain of fused multiply-adds over `k` in increasing
//! order, started from zero, then scaled: `c = α·acc (+ β·c)`. Blocking, packing,
//! vector width and alignment only decide which elements are computed together,
//! never the order of one element's operations, and a fused multiply-add is
//! correctly rounded by IEEE 754 on every processor. So the bits depend on the
//! inputs alone: the AVX2 kernel and the scalar fallback agree bit for bit (a unit
//! test checks it), one slice of a batched product equals the single product, and
//! an Intel and an AMD processor give the same answer. MKL promises none of this
//! across vendors (its kernels use approximate reciprocals and pick code by vendor).
//!
//! Cost: O(m·n·k) multiply-adds, O(k·(m + n)) extra memory for the packed panels.

// Every function here is a raw-pointer routine whose whole body is the unsafe
// operation its `# Safety` section describes.
#![allow(unsafe_op_in_unsafe_fn)]

/// Rows of op(A) per register tile (two 8-lane vectors).
const MR: usize = 16;
/// Columns of op(B) per register tile.
const NR: usize = 6;

/// A strided view of a matrix: element (i, j) lives at `ptr + i·rs + j·cs`.
#[derive(Clone, Copy)]
pub struct Strided<T> {
    pub ptr: T,
    pub rs: isize,
    pub cs: isize,
}

/// C ← α·A·B + β·C for an m×k A and a k×n B given by element strides. When β is
/// zero, C is not read (BLAS semantics: it may hold NaN); when α is zero, A and B
/// are not read.
///
/// # Safety
/// Every element the strides address must be valid (A and B for reads, C for
/// reads and writes), and C must not overlap A or B.
#[allow(clippy::too_many_arguments)]
pub unsafe fn sgemm(
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: Strided<*const f32>,
    b: Strided<*const f32>,
    beta: f32,
    c: Strided<*mut f32>,
) {
    if m == 0 || n == 0 {
        return;
    }
    let at = |i: usize, j: usize| c.ptr.offset(i as isize * c.rs + j as isize * c.cs);
    if alpha == 0.0 || k == 0 {
        for j in 0..n {
            for i in 0..m {
                let p = at(i, j);
                *p = if beta == 0.0 { 0.0 } else { beta * *p };
            }
        }
        return;
    }
    let n_panels = n.div_ceil(NR);
    // op(B) packed panel by panel: panel q holds columns q·NR.., row p at p·NR.
    let mut bp = vec![0f32; n_panels * k * NR];
    // Copies only: the loop order follows the operand's layout (reading along its
    // contiguous direction), which decides speed and never a bit of the result.
    let b_rows_contiguous = b.cs.abs() <= b.rs.abs();
    for q in 0..n_panels {
        let panel = &mut bp[q * k * NR..(q + 1) * k * NR];
        let cols = NR.min(n - q * NR);
        if b_rows_contiguous {
            for p in 0..k {
                let row = b.ptr.offset(p as isize * b.rs + (q * NR) as isize * b.cs);
                for j in 0..cols {
                    panel[p * NR + j] = *row.offset(j as isize * b.cs);
                }
            }
        } else {
            for j in 0..cols {
                let col = (q * NR + j) as isize * b.cs;
                for p in 0..k {
                    panel[p * NR + j] = *b.ptr.offset(p as isize * b.rs + col);
                }
            }
        }
    }
    let mut ap = vec![0f32; k * MR];
    let avx2 = has_avx2_fma();
    for i0 in (0..m).step_by(MR) {
        let rows = MR.min(m - i0);
        if rows < MR {
            ap.fill(0.0);
        }
        if a.rs.abs() < a.cs.abs() {
            for p in 0..k {
                let col = a.ptr.offset(i0 as isize * a.rs + p as isize * a.cs);
                for i in 0..rows {
                    ap[p * MR + i] = *col.offset(i as isize * a.rs);
                }
            }
        } else {
            for i in 0..rows {
                let row = (i0 + i) as isize * a.rs;
                for p in 0..k {
                    ap[p * MR + i] = *a.ptr.offset(row + p as isize * a.cs);
                }
            }
        }
        for q in 0..n_panels {
            let panel = &bp[q * k * NR..(q + 1) * k * NR];
            let acc = if avx2 { kernel_avx2(&ap, panel) } else { kernel(&ap, panel) };
            let cols = NR.min(n - q * NR);
            if alpha == 1.0 && beta == 0.0 {
                for (j, column) in acc.iter().enumerate().take(cols) {
                    let base = at(i0, q * NR + j);
                    for (i, &v) in column.iter().enumerate().take(rows) {
                        *base.offset(i as isize * c.rs) = v;
                    }
                }
                continue;
            }
            for (j, column) in acc.iter().enumerate().take(cols) {
                for (i, &v) in column.iter().enumerate().take(rows) {
                    let p = at(i0 + i, q * NR + j);
                    let t = if alpha == 1.0 { v } else { alpha * v };
                    *p = if beta == 0.0 { t } else { t + beta * *p };
                }
            }
        }
    }
}

/// Σ x_i·y_i as the same fused chain as one element of [`sgemm`].
///
/// # Safety
/// `n` elements at the given strides must be readable.
pub unsafe fn sdot(n: usize, x: *const f32, incx: isize, y: *const f32, incy: isize) -> f32 {
    let mut acc = 0f32;
    for i in 0..n as isize {
        acc = (*x.offset(i * incx)).mul_add(*y.offset(i * incy), acc);
    }
    acc
}

/// y ← α·x + y, one fused multiply-add per element.
///
/// # Safety
/// `n` elements at the given strides must be valid; y must not overlap x.
pub unsafe fn saxpy(n: usize, alpha: f32, x: *const f32, incx: isize, y: *mut f32, incy: isize) {
    for i in 0..n as isize {
        let p = y.offset(i * incy);
        *p = alpha.mul_add(*x.offset(i * incx), *p);
    }
}

/// Whether the AVX2 kernel may run. Both kernels give the same bits; this only
/// decides speed.
pub fn has_avx2_fma() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The register tile: `acc[j][i] = fma(a[p][i], b[p][j], acc[j][i])` for p in
/// order. Lanes are independent, so vectorising over i changes no bits.
#[inline(always)]
fn tile(ap: &[f32], bp: &[f32]) -> [[f32; MR]; NR] {
    let mut acc = [[0f32; MR]; NR];
    for (a, b) in ap.chunks_exact(MR).zip(bp.chunks_exact(NR)) {
        for j in 0..NR {
            let bj = b[j];
            for i in 0..MR {
                acc[j][i] = a[i].mul_add(bj, acc[j][i]);
            }
        }
    }
    acc
}

fn kernel(ap: &[f32], bp: &[f32]) -> [[f32; MR]; NR] {
    tile(ap, bp)
}

#[cfg(target_arch = "x86_64")]
fn kernel_avx2(ap: &[f32], bp: &[f32]) -> [[f32; MR]; NR] {
    #[target_feature(enable = "avx2,fma")]
    unsafe fn inner(ap: &[f32], bp: &[f32]) -> [[f32; MR]; NR] {
        tile(ap, bp)
    }
    // SAFETY: only called after `has_avx2_fma()` returned true.
    unsafe { inner(ap, bp) }
}

#[cfg(not(target_arch = "x86_64"))]
fn kernel_avx2(ap: &[f32], bp: &[f32]) -> [[f32; MR]; NR] {
    tile(ap, bp)
}

#[cfg(test)]
mod tests {
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
        for &(m, n, k) in &[(1, 1, 1), (17, 7, 3), (100, 200, 25), (33, 13, 0), (5, 1, 300), (16, 6, 16)] {
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
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let (m, n, k) = (37, 11, 29);
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
        assert!(c1.iter().zip(&c2).all(|(x, y)| x.to_bits() == y.to_bits()));
    }

    #[test]
    fn vector_kernel_equals_scalar_kernel() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let k = 57;
        let (ap, bp) = (random(k * MR, &mut rng), random(k * NR, &mut rng));
        assert_eq!(kernel(&ap, &bp), kernel_avx2(&ap, &bp));
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
}
