//! The register-tiled product for shapes of two or more output rows and
//! columns: 16×6 tiles of C, each one fused chain per element over k in order.
//!
//! An operand whose layout already matches what the tile reads is read in
//! place instead of being packed: A when its columns are contiguous (16 rows of
//! column p are 16 consecutive floats), B when its rows are (6 columns of row p
//! are 6 consecutive floats). libtorch's products of a dense layer pass the
//! weights, and both operands of the weight gradient, that way, and copying
//! them first cost about as much as the multiply-adds on TARNet's shapes. The
//! product is oriented so that C's columns are contiguous (computing Cᵀ = BᵀAᵀ
//! when C is stored by rows: the same chains, as a fused multiply-add is
//! symmetric in its factors), so whole tile columns are stored as vectors.
//! Where an operand is read from decides speed only, never a bit.

use super::{MR, NR, Strided, at_least, has_avx2_fma};

/// C ← α·A·B + β·C for m, n ≥ 2 (see [`super::sgemm`]); `scratch` holds the
/// packed panels.
///
/// # Safety
/// As [`super::sgemm`].
#[allow(clippy::too_many_arguments)]
pub(super) unsafe fn blocked(
    m: usize,
    n: usize,
    k: usize,
    alpha: f32,
    a: Strided<*const f32>,
    b: Strided<*const f32>,
    beta: f32,
    c: Strided<*mut f32>,
    scratch: &mut (Vec<f32>, Vec<f32>),
) {
    if c.cs.abs() < c.rs.abs() {
        let t = |s: Strided<*const f32>| Strided { ptr: s.ptr, rs: s.cs, cs: s.rs };
        let ct = Strided { ptr: c.ptr, rs: c.cs, cs: c.rs };
        return blocked(n, m, k, alpha, t(b), t(a), beta, ct, scratch);
    }
    let at = |i: usize, j: usize| c.ptr.offset(i as isize * c.rs + j as isize * c.cs);
    let n_panels = n.div_ceil(NR);
    // Panels below `direct` are read in place from B; the rest (all of them,
    // or only a ragged last one) are packed: panel q holds columns q·NR.., row
    // p at p·NR.
    let direct = if b.cs == 1 { n / NR } else { 0 };
    let (bp, ap) = (&mut scratch.0, &mut scratch.1);
    let bp = at_least(bp, (n_panels - direct) * k * NR);
    // Copies only: the loop order follows the operand's layout (reading along its
    // contiguous direction), which decides speed and never a bit of the result.
    let b_rows_contiguous = b.cs.abs() <= b.rs.abs();
    for q in direct..n_panels {
        let panel = &mut bp[(q - direct) * k * NR..(q - direct + 1) * k * NR];
        let cols = NR.min(n - q * NR);
        if cols < NR {
            panel.fill(0.0);
        }
        // Raw writes, as for A below (j < cols <= NR, p < k: inside the panel).
        let dst = panel.as_mut_ptr();
        if b_rows_contiguous {
            for p in 0..k {
                let row = b.ptr.offset(p as isize * b.rs + (q * NR) as isize * b.cs);
                for j in 0..cols {
                    *dst.add(p * NR + j) = *row.offset(j as isize * b.cs);
                }
            }
        } else {
            for j in 0..cols {
                let col = b.ptr.offset((q * NR + j) as isize * b.cs);
                for p in 0..k {
                    *dst.add(p * NR + j) = *col.offset(p as isize * b.rs);
                }
            }
        }
    }
    let bp: &[f32] = bp;
    // Panel q's row p: NR floats at base + p·stride.
    let panel = |q: usize| -> (*const f32, isize) {
        if q < direct { (b.ptr.add(q * NR), b.rs) } else { (bp.as_ptr().add((q - direct) * k * NR), NR as isize) }
    };
    let ap = at_least(ap, k * MR);
    let avx2 = has_avx2_fma();
    let c_columns_contiguous = c.rs == 1;
    for i0 in (0..m).step_by(MR) {
        let rows = MR.min(m - i0);
        // Block row p: MR floats at base + p·stride.
        let (a_base, a_stride) = if a.rs == 1 && rows == MR {
            (a.ptr.add(i0), a.cs)
        } else {
            if rows < MR {
                ap.fill(0.0);
            }
            // Raw writes (i < rows <= MR, p < k: inside `ap`): the bounds checks of
            // indexed writes kept these copies from being plain moves.
            let dst = ap.as_mut_ptr();
            if a.rs.abs() < a.cs.abs() {
                for p in 0..k {
                    let col = a.ptr.offset(i0 as isize * a.rs + p as isize * a.cs);
                    let out = dst.add(p * MR);
                    for i in 0..rows {
                        *out.add(i) = *col.offset(i as isize * a.rs);
                    }
                }
            } else {
                for i in 0..rows {
                    let row = a.ptr.offset((i0 + i) as isize * a.rs);
                    let out = dst.add(i);
                    for p in 0..k {
                        *out.add(p * MR) = *row.offset(p as isize * a.cs);
                    }
                }
            }
            (ap.as_ptr(), MR as isize)
        };
        for q in 0..n_panels {
            let (b_base, b_stride) = panel(q);
            let acc = if avx2 {
                kernel_avx2(a_base, a_stride, b_base, b_stride, k)
            } else {
                kernel(a_base, a_stride, b_base, b_stride, k)
            };
            let cols = NR.min(n - q * NR);
            if alpha == 1.0 && beta == 0.0 && c_columns_contiguous && rows == MR {
                for (j, column) in acc.iter().enumerate().take(cols) {
                    std::ptr::copy_nonoverlapping(column.as_ptr(), at(i0, q * NR + j), MR);
                }
                continue;
            }
            for (j, column) in acc.iter().enumerate().take(cols) {
                let base = at(i0, q * NR + j);
                for (i, &v) in column.iter().enumerate().take(rows) {
                    let p = base.offset(i as isize * c.rs);
                    let t = if alpha == 1.0 { v } else { alpha * v };
                    *p = if beta == 0.0 { t } else { t + beta * *p };
                }
            }
        }
    }
}

/// The register tile: `acc[j][i] = fma(a[p][i], b[p][j], acc[j][i])` for p in
/// order, where `a[p]` is the MR floats at `a + p·a_stride` and `b[p]` the NR
/// floats at `b + p·b_stride`. Lanes are independent, so vectorising over i
/// changes no bits.
///
/// # Safety
/// Those floats must be readable for every p < k.
#[inline(always)]
unsafe fn tile(a: *const f32, a_stride: isize, b: *const f32, b_stride: isize, k: usize) -> [[f32; MR]; NR] {
    let mut acc = [[0f32; MR]; NR];
    for p in 0..k as isize {
        let av = &*(a.offset(p * a_stride) as *const [f32; MR]);
        let bv = &*(b.offset(p * b_stride) as *const [f32; NR]);
        for j in 0..NR {
            let bj = bv[j];
            for i in 0..MR {
                acc[j][i] = av[i].mul_add(bj, acc[j][i]);
            }
        }
    }
    acc
}

/// The tile compiled for any x86-64 (or other) processor.
///
/// # Safety
/// As [`tile`].
pub(super) unsafe fn kernel(
    a: *const f32,
    a_stride: isize,
    b: *const f32,
    b_stride: isize,
    k: usize,
) -> [[f32; MR]; NR] {
    tile(a, a_stride, b, b_stride, k)
}

/// The tile compiled for AVX2 and FMA.
///
/// # Safety
/// As [`tile`]; and only after `has_avx2_fma()` returned true.
#[cfg(target_arch = "x86_64")]
pub(super) unsafe fn kernel_avx2(
    a: *const f32,
    a_stride: isize,
    b: *const f32,
    b_stride: isize,
    k: usize,
) -> [[f32; MR]; NR] {
    #[target_feature(enable = "avx2,fma")]
    unsafe fn inner(a: *const f32, a_stride: isize, b: *const f32, b_stride: isize, k: usize) -> [[f32; MR]; NR] {
        tile(a, a_stride, b, b_stride, k)
    }
    inner(a, a_stride, b, b_stride, k)
}

#[cfg(not(target_arch = "x86_64"))]
pub(super) unsafe fn kernel_avx2(
    a: *const f32,
    a_stride: isize,
    b: *const f32,
    b_stride: isize,
    k: usize,
) -> [[f32; MR]; NR] {
    tile(a, a_stride, b, b_stride, k)
}
