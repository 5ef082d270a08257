//! Vectorised single-precision `tanh` with exactly the bits of the pure-Rust
//! `libm` crate's `tanhf`, for the portable mode's `vmsTanh`.
//!
//! The portable mode promises the same bytes on every AVX2 processor, and every
//! committed table was computed with `libm::tanhf` (a port of musl), one element
//! at a time; in a small LSTM's training that scalar loop was about 15% of the
//! time. This module computes the same function eight lanes at a time without
//! moving a bit: each lane takes the branches `libm::tanhf` and the `expm1f` it
//! calls would take (all paths are computed and the lane's own is kept by a
//! blend), and performs the same f32 operations in the same order, each one
//! correctly rounded by IEEE 754 (a separate multiply and add wherever libm has
//! them, never a fused multiply-add, and a true division). Such operations give
//! the same result whatever the vector width and processor, so the lanes agree
//! with the scalar function; the tests compare bits on every branch boundary, and
//! `cargo bench --bench tanhf -- exhaustive` on all 2^32 inputs (0 mismatches).
//! Chunks holding a NaN or an infinity, and the tail of fewer than eight
//! elements, go to `libm::tanhf` itself, so NaN payloads never depend on how
//! vector instructions propagate them.
//!
//! `expm1f` is reproduced only on the arguments `tanhf` gives it (−2|x| with
//! 2^-126 ≤ |x| ≤ 0.2554, and 2|x| with 0.2554 < |x| ≤ 10), where its overflow,
//! NaN and large-negative filters never fire and its exponent k stays in 1..=28.
//!
//! Cost: O(n), two divisions per eight elements.

// Every function here is a raw-pointer routine whose whole body is the unsafe
// operation its `# Safety` section describes.
#![allow(unsafe_op_in_unsafe_fn)]

/// `tanh` of `n` floats from `a` into `r`, with `libm::tanhf`'s bits. `a == r`
/// (in place) is allowed; other overlaps are not.
///
/// # Safety
/// `a` must be readable and `r` writable for `n` floats.
pub unsafe fn tanhf_n(n: usize, a: *const f32, r: *mut f32) {
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        done = avx2::tanhf_chunks(n, a, r);
    }
    for i in done..n {
        *r.add(i) = libm::tanhf(*a.add(i));
    }
}

/// [`tanhf_n`] from one slice into another of the same length.
pub fn tanhf_into(src: &[f32], dst: &mut [f32]) {
    assert_eq!(src.len(), dst.len(), "tanhf_into: lengths differ");
    // SAFETY: both slices hold src.len() floats and cannot overlap.
    unsafe { tanhf_n(src.len(), src.as_ptr(), dst.as_mut_ptr()) }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    // libm's constants (expm1f.rs), as bit patterns so nothing is re-rounded.
    const LN2_HI: u32 = 0x3f317180;
    const LN2_LO: u32 = 0x3717f7d1;
    const INV_LN2: u32 = 0x3fb8aa3b;
    const Q1: u32 = 0xbd088868; // -3.3333212137e-2
    const Q2: u32 = 0x3acf3010; // 1.5807170421e-3

    /// The whole chunks of eight; returns how many elements were written.
    ///
    /// # Safety
    /// As [`super::tanhf_n`], on a processor with AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn tanhf_chunks(n: usize, a: *const f32, r: *mut f32) -> usize {
        let whole = n / 8 * 8;
        let inf = _mm256_set1_epi32(0x7f800000);
        let magnitude = _mm256_set1_epi32(0x7fffffff);
        for i in (0..whole).step_by(8) {
            let x = _mm256_loadu_ps(a.add(i));
            let w = _mm256_and_si256(_mm256_castps_si256(x), magnitude);
            // |x| ≥ inf as integers: an infinity or a NaN.
            let special = _mm256_cmpgt_epi32(w, _mm256_sub_epi32(inf, _mm256_set1_epi32(1)));
            if _mm256_movemask_epi8(special) != 0 {
                for j in i..i + 8 {
                    *r.add(j) = libm::tanhf(*a.add(j));
                }
                continue;
            }
            _mm256_storeu_ps(r.add(i), tanhf8(x));
        }
        whole
    }

    #[inline(always)]
    fn f(bits: u32) -> __m256 {
        // SAFETY: no memory access; the callers enable AVX2.
        unsafe { _mm256_castsi256_ps(_mm256_set1_epi32(bits as i32)) }
    }

    /// w > bound, lane by lane, for w and bound in 0..=0x7fffffff (signed
    /// comparison is then the unsigned one).
    #[inline(always)]
    fn above(w: __m256i, bound: u32) -> __m256 {
        // SAFETY: no memory access; the callers enable AVX2.
        unsafe { _mm256_castsi256_ps(_mm256_cmpgt_epi32(w, _mm256_set1_epi32(bound as i32))) }
    }

    /// `libm::tanhf` of eight finite floats.
    #[target_feature(enable = "avx2")]
    fn tanhf8(x: __m256) -> __m256 {
        let ix = _mm256_castps_si256(x);
        let sign = _mm256_and_ps(x, f(0x80000000));
        let w = _mm256_and_si256(ix, _mm256_set1_epi32(0x7fffffff));
        let ax = _mm256_castsi256_ps(w);
        // tanhf's branches on w = |x| as bits.
        let big = above(w, 0x41200000); // |x| > 10
        let upper = _mm256_andnot_ps(big, above(w, 0x3f0c9f54)); // log(3)/2 < |x| ≤ 10
        let positive = above(w, 0x3e82c578); // |x| > log(5/3)/2: expm1f(2|x|)
        let normal = above(w, 0x007fffff); // |x| ≥ 2^-126
        // expm1f(2.*x) or expm1f(-2.*x): the same multiplication either way.
        let two = _mm256_blendv_ps(_mm256_set1_ps(-2.0), _mm256_set1_ps(2.0), positive);
        let t = expm1f8(_mm256_mul_ps(two, ax));
        // The one division of each branch, shared: 2/(t+2), t/(t+2), -t/(t+2)
        // and, for |x| > 10, 0/x.
        let neg_t = _mm256_xor_ps(t, f(0x80000000));
        let num = _mm256_blendv_ps(neg_t, t, positive);
        let num = _mm256_blendv_ps(num, _mm256_set1_ps(2.0), upper);
        let num = _mm256_blendv_ps(num, _mm256_setzero_ps(), big);
        let den = _mm256_blendv_ps(_mm256_add_ps(t, _mm256_set1_ps(2.0)), ax, big);
        let q = _mm256_div_ps(num, den);
        let mut tt = q;
        tt = _mm256_blendv_ps(tt, _mm256_sub_ps(_mm256_set1_ps(1.0), q), upper); // 1. - 2./(t+2.)
        tt = _mm256_blendv_ps(tt, _mm256_add_ps(_mm256_set1_ps(1.0), q), big); // 1. + 0./x
        tt = _mm256_blendv_ps(ax, tt, normal); // subnormal or zero: x itself
        _mm256_xor_ps(tt, sign)
    }

    /// `libm::expm1f(x)` for the arguments `tanhf` gives it (see the module
    /// comment): the filters for huge and non-finite x never fire there.
    #[target_feature(enable = "avx2")]
    fn expm1f8(x: __m256) -> __m256 {
        let hx = _mm256_and_si256(_mm256_castps_si256(x), _mm256_set1_epi32(0x7fffffff));
        let negative = _mm256_castsi256_ps(_mm256_srai_epi32(_mm256_castps_si256(x), 31));
        // Argument reduction. |x| > 0.5 ln2 and < 1.5 ln2: k = ±1, hi = x ∓ ln2_hi
        // (x - c is x + (-c) bit for bit), lo = ±ln2_lo.
        let reduce = above(hx, 0x3eb17218);
        let near = _mm256_andnot_ps(above(hx, 0x3F851591), reduce);
        let ln2_hi = _mm256_blendv_ps(_mm256_xor_ps(f(LN2_HI), f(0x80000000)), f(LN2_HI), negative);
        let hi1 = _mm256_add_ps(x, ln2_hi);
        let lo1 = _mm256_blendv_ps(f(LN2_LO), _mm256_xor_ps(f(LN2_LO), f(0x80000000)), negative);
        let k1 = _mm256_blendv_epi8(_mm256_set1_epi32(1), _mm256_set1_epi32(-1), _mm256_castps_si256(negative));
        // Farther: k = (INV_LN2*x ± 0.5) as i32 (truncation), hi = x - k·ln2_hi, lo = k·ln2_lo.
        let half = _mm256_blendv_ps(_mm256_set1_ps(0.5), _mm256_set1_ps(-0.5), negative);
        let kn = _mm256_cvttps_epi32(_mm256_add_ps(_mm256_mul_ps(f(INV_LN2), x), half));
        let kt = _mm256_cvtepi32_ps(kn);
        let hin = _mm256_sub_ps(x, _mm256_mul_ps(kt, f(LN2_HI)));
        let lon = _mm256_mul_ps(kt, f(LN2_LO));
        let hi = _mm256_blendv_ps(hin, hi1, near);
        let lo = _mm256_blendv_ps(lon, lo1, near);
        let k = _mm256_blendv_epi8(kn, k1, _mm256_castps_si256(near));
        let k = _mm256_and_si256(k, _mm256_castps_si256(reduce)); // 0 where not reduced
        let xr = _mm256_sub_ps(hi, lo);
        let c = _mm256_sub_ps(_mm256_sub_ps(hi, xr), lo);
        let x = _mm256_blendv_ps(x, xr, reduce);
        let c = _mm256_and_ps(c, reduce); // c = 0 where not reduced

        // x is now in the primary range.
        let hfx = _mm256_mul_ps(_mm256_set1_ps(0.5), x);
        let hxs = _mm256_mul_ps(x, hfx);
        let poly = _mm256_add_ps(f(Q1), _mm256_mul_ps(hxs, f(Q2)));
        let r1 = _mm256_add_ps(_mm256_set1_ps(1.0), _mm256_mul_ps(hxs, poly));
        let t = _mm256_sub_ps(_mm256_set1_ps(3.0), _mm256_mul_ps(r1, hfx));
        let ratio = _mm256_div_ps(_mm256_sub_ps(r1, t), _mm256_sub_ps(_mm256_set1_ps(6.0), _mm256_mul_ps(x, t)));
        let e = _mm256_mul_ps(hxs, ratio);
        // k == 0: x - (x*e - hxs).
        let at0 = _mm256_sub_ps(x, _mm256_sub_ps(_mm256_mul_ps(x, e), hxs));
        let e = _mm256_sub_ps(_mm256_mul_ps(x, _mm256_sub_ps(e, c)), c);
        let e = _mm256_sub_ps(e, hxs);
        // k == -1: 0.5*(x - e) - 0.5.
        let half = _mm256_set1_ps(0.5);
        let at_m1 = _mm256_sub_ps(_mm256_mul_ps(half, _mm256_sub_ps(x, e)), half);
        // k == 1: -2*(e - (x + 0.5)) when x < -0.25, else 1 + 2*(x - e).
        let low = _mm256_mul_ps(_mm256_set1_ps(-2.0), _mm256_sub_ps(e, _mm256_add_ps(x, half)));
        let high = _mm256_add_ps(_mm256_set1_ps(1.0), _mm256_mul_ps(_mm256_set1_ps(2.0), _mm256_sub_ps(x, e)));
        let at1 = _mm256_blendv_ps(high, low, _mm256_cmp_ps::<_CMP_LT_OQ>(x, _mm256_set1_ps(-0.25)));
        // 2 ≤ k ≤ 28 (never outside 0..=56 here): twopk = 2^k, uf = 2^-k.
        let twopk = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(k, _mm256_set1_epi32(0x7f))));
        let uf = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_sub_epi32(_mm256_set1_epi32(0x7f), k)));
        let one = _mm256_set1_ps(1.0);
        let below23 = _mm256_add_ps(_mm256_sub_ps(x, e), _mm256_sub_ps(one, uf));
        let from23 = _mm256_add_ps(_mm256_sub_ps(x, _mm256_add_ps(e, uf)), one);
        let k_lt_23 = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(23), k));
        let atk = _mm256_mul_ps(_mm256_blendv_ps(from23, below23, k_lt_23), twopk);

        let is = |v: i32| _mm256_castsi256_ps(_mm256_cmpeq_epi32(k, _mm256_set1_epi32(v)));
        let mut y = atk;
        y = _mm256_blendv_ps(y, at1, is(1));
        y = _mm256_blendv_ps(y, at_m1, is(-1));
        y = _mm256_blendv_ps(y, at0, is(0));
        // |x| < 2^-25 (and not reduced): x itself.
        let tiny = _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(0x33000000), hx));
        _mm256_blendv_ps(y, x, tiny)
    }
}

#[cfg(test)]
mod tests;
