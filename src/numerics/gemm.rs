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
    // One output row is one output column of the transposed product: the same
    // chains (a fused multiply-add is symmetric in its two factors), so the
    // column kernel serves both.
    if m == 1 && n > 1 {
        let t = |s: Strided<*const f32>| Strided { ptr: s.ptr, rs: s.cs, cs: s.rs };
        return sgemm(n, 1, k, alpha, t(b), t(a), beta, Strided { ptr: c.ptr, rs: c.cs, cs: c.rs });
    }
    if n == 1 {
        return column(m, k, alpha, a, b, beta, c);
    }
    scratch(n.div_ceil(NR) * k * NR + k * MR, |s| blocked(m, n, k, alpha, a, b, beta, c, s));
}

/// Scratch of at most this many floats (4 MiB) stays with the thread between
/// calls; a larger product (over many thousand rows) takes its panels fresh,
/// so that one such product does not hold its memory for the thread's life.
const KEEP: usize = 1 << 20;

/// Run `f` on scratch for `floats` floats: the thread's, or fresh when large.
fn scratch<R>(floats: usize, f: impl FnOnce(&mut (Vec<f32>, Vec<f32>)) -> R) -> R {
    if floats > KEEP {
        return f(&mut (Vec::new(), Vec::new()));
    }
    SCRATCH.with_borrow_mut(f)
}

thread_local! {
    /// Packed panels reused between calls: a product of TARNet's shapes is a few
    /// microseconds of work, and a fresh zeroed allocation per call (per member
    /// of a batched product) was a visible share of it.
    static SCRATCH: std::cell::RefCell<(Vec<f32>, Vec<f32>)> = const { std::cell::RefCell::new((Vec::new(), Vec::new())) };
}

/// `v` holding at least `len` elements (contents unspecified).
fn at_least(v: &mut Vec<f32>, len: usize) -> &mut [f32] {
    if v.len() < len {
        v.resize(len, 0.0);
    }
    &mut v[..len]
}

/// Rows per block of the one-column product: eight 8-lane accumulators, enough
/// independent chains to hide a fused multiply-add's latency.
const MC: usize = 64;

/// C ← α·A·b + β·C for a single output column (a network's one-unit output layer
/// and its weight gradient, matrix-vector products): each element the same
/// fused chain over k in order as in the tiled path, computed 64 rows at a time
/// instead of in a 16×6 tile of which five columns would be padding.
#[allow(clippy::too_many_arguments)]
unsafe fn column(
    m: usize,
    k: usize,
    alpha: f32,
    a: Strided<*const f32>,
    b: Strided<*const f32>,
    beta: f32,
    c: Strided<*mut f32>,
) {
    scratch(k + k * MC, |(bv, ap)| {
        let bv = at_least(bv, k);
        for (p, v) in bv.iter_mut().enumerate() {
            *v = *b.ptr.offset(p as isize * b.rs);
        }
        let ap = at_least(ap, k * MC);
        let avx2 = has_avx2_fma();
        for i0 in (0..m).step_by(MC) {
            let rows = MC.min(m - i0);
            let first = a.ptr.offset(i0 as isize * a.rs);
            // A block whose columns are contiguous is read in place; any other is
            // packed column by column first (copies only).
            let (base, stride) = if a.rs == 1 && rows == MC {
                (first, a.cs)
            } else {
                if rows < MC {
                    ap.fill(0.0);
                }
                if a.rs.abs() < a.cs.abs() {
                    for p in 0..k {
                        let col = first.offset(p as isize * a.cs);
                        for i in 0..rows {
                            ap[p * MC + i] = *col.offset(i as isize * a.rs);
                        }
                    }
                } else {
                    for i in 0..rows {
                        let row = first.offset(i as isize * a.rs);
                        for p in 0..k {
                            ap[p * MC + i] = *row.offset(p as isize * a.cs);
                        }
                    }
                }
                (ap.as_ptr(), MC as isize)
            };
            let acc = if avx2 { column_avx2(base, stride, bv) } else { column_tile(base, stride, bv) };
            for (i, &v) in acc.iter().enumerate().take(rows) {
                let p = c.ptr.offset((i0 + i) as isize * c.rs);
                let t = if alpha == 1.0 { v } else { alpha * v };
                *p = if beta == 0.0 { t } else { t + beta * *p };
            }
        }
    });
}

/// `acc[i] = fma(a[p][i], b[p], acc[i])` for p in order, where row p of the
/// block is the `MC` contiguous floats at `base + p·stride`. Lanes are
/// independent, so vectorising over i changes no bits.
///
/// # Safety
/// `MC` floats at `base + p·stride` must be readable for every p < `b.len()`.
#[inline(always)]
unsafe fn column_tile(base: *const f32, stride: isize, b: &[f32]) -> [f32; MC] {
    let mut acc = [0f32; MC];
    for (p, &bp) in b.iter().enumerate() {
        let row = std::slice::from_raw_parts(base.offset(p as isize * stride), MC);
        for i in 0..MC {
            acc[i] = row[i].mul_add(bp, acc[i]);
        }
    }
    acc
}

#[cfg(target_arch = "x86_64")]
unsafe fn column_avx2(base: *const f32, stride: isize, b: &[f32]) -> [f32; MC] {
    #[target_feature(enable = "avx2,fma")]
    unsafe fn inner(base: *const f32, stride: isize, b: &[f32]) -> [f32; MC] {
        column_tile(base, stride, b)
    }
    // SAFETY: only called after `has_avx2_fma()` returned true; the caller
    // vouches for the block.
    inner(base, stride, b)
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn column_avx2(base: *const f32, stride: isize, b: &[f32]) -> [f32; MC] {
    column_tile(base, stride, b)
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

mod blocked;
#[cfg(test)]
mod tests;

use blocked::blocked;
#[cfg(test)]
use blocked::{kernel, kernel_avx2};
