//! The vectorised tanhf against `libm::tanhf`, bit for bit: densely where the
//! branches of tanhf and expm1f switch, and sparsely everywhere else. Every one of
//! the 2^32 inputs is compared by `cargo bench --bench tanhf -- exhaustive`.

use super::*;

/// Bit patterns whose vector and scalar results differ (at most `keep` of them).
fn mismatches(inputs: &[u32], keep: usize) -> (usize, Vec<(u32, u32, u32)>) {
    let src: Vec<f32> = inputs.iter().map(|&b| f32::from_bits(b)).collect();
    let mut dst = vec![0f32; src.len()];
    tanhf_into(&src, &mut dst);
    let mut count = 0;
    let mut first = Vec::new();
    for (x, y) in src.iter().zip(&dst) {
        let want = libm::tanhf(*x).to_bits();
        if y.to_bits() != want {
            count += 1;
            if first.len() < keep {
                first.push((x.to_bits(), y.to_bits(), want));
            }
        }
    }
    (count, first)
}

fn assert_exact(inputs: &[u32]) {
    let (count, first) = mismatches(inputs, 8);
    assert_eq!(count, 0, "{count} of {} inputs differ; (x, got, want): {first:x?}", inputs.len());
}

/// Both signs of every pattern in `lo..=hi` (magnitudes).
fn both_signs(lo: u32, hi: u32) -> Vec<u32> {
    (lo..=hi).flat_map(|b| [b, b | 0x8000_0000]).collect()
}

fn vector_path_runs() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// |x| where a branch switches, as bits: tanhf's own thresholds, and expm1f's
/// (on 2|x| or -2|x|, so half their value: 2^23 less as bits) including where
/// its exponent k reaches 2 and 23.
const SWITCHES: &[u32] = &[
    0x3e82c578,               // tanhf: log(5/3)/2, expm1f(-2x) → expm1f(2x)
    0x3f0c9f54,               // tanhf: log(3)/2, t/(t+2) → 1 - 2/(t+2)
    0x41200000,               // tanhf: 10, → 1 + 0/x
    0x00800000,               // tanhf: smallest normal, subnormal → expm1f
    0x3eb17218 - 0x0080_0000, // expm1f: 0.5 ln2, k = 0 → k = -1
    0x3f851592 - 0x0080_0000, // expm1f: 1.5 ln2, k = 1 → k from INV_LN2·x
    0x33000000 - 0x0080_0000, // expm1f: 2^-25, x itself → polynomial
    0x4195b844 - 0x0080_0000, // expm1f: 27 ln2 (its filter, passed through)
];

#[test]
fn every_input_near_a_branch_switch_has_libms_bits() {
    if !vector_path_runs() {
        return;
    }
    for &s in SWITCHES {
        assert_exact(&both_signs(s - (1 << 15), s + (1 << 15)));
    }
}

#[test]
fn every_change_of_expm1f_exponent_has_libms_bits() {
    if !vector_path_runs() {
        return;
    }
    // expm1f(2|x|) takes k = trunc(2|x|·INV_LN2 + 0.5): k steps near
    // 2|x| = (k - 0.5)·ln2. Around each step, including k = 23 where its
    // last formula changes, and k = 1 where x < -0.25 picks the formula.
    for k in 2..=29u32 {
        let at = ((k as f32 - 0.5) * std::f32::consts::LN_2 / 2.0).to_bits();
        assert_exact(&both_signs(at - 4096, at + 4096));
    }
    // |x| from 0.2554 to 0.52: expm1f(2|x|) with k = 1, reduced x on both
    // sides of -0.25, every input.
    assert_exact(&both_signs(0x3e82c578, 0x3f051592));
}

#[test]
fn subnormals_zeros_and_specials_have_libms_bits() {
    if !vector_path_runs() {
        return;
    }
    // Every 4099th subnormal pattern and the first and last 4096.
    let mut subnormal: Vec<u32> = (0..0x0080_0000).step_by(4099).collect();
    subnormal.extend((0..4096).chain(0x0080_0000 - 4096..0x0080_0000));
    let subnormal: Vec<u32> = subnormal.iter().flat_map(|&b| [b, b | 0x8000_0000]).collect();
    assert_exact(&subnormal);
    let specials = [
        0x0000_0000u32, // +0
        0x8000_0000,    // -0
        0x7f80_0000,    // +inf
        0xff80_0000,    // -inf
        0x7fc0_0000,    // quiet NaN
        0xffc0_0000,    // quiet NaN, sign set
        0x7f80_0001,    // signalling NaN
        0xff81_2345,    // signalling NaN with a payload
        0x7fff_ffff,    // largest NaN pattern
        0x7f7f_ffff,    // largest finite
        0xff7f_ffff,    // most negative finite
        0x4120_0001,    // just above 10
        0x3f80_0000,    // 1
        0xbf80_0000,    // -1
    ];
    // Each special alone, and in a chunk of eight with ordinary neighbours (a
    // NaN sends its chunk to the scalar function).
    assert_exact(&specials);
    for &s in &specials {
        let mut chunk =
            vec![0x3f00_0000u32, 0xbe80_0000, 0x4000_0000, 0x3c00_0000, 0x4130_0000, 0x0000_0001, 0x3f40_0000];
        chunk.insert(3, s);
        assert_exact(&chunk);
    }
}

#[test]
fn a_strided_sweep_of_all_patterns_has_libms_bits() {
    if !vector_path_runs() {
        return;
    }
    // A prime stride visits every exponent and every residue of the low bits:
    // 44 million inputs (a few seconds in the debug build), a million at a time.
    let sweep: Vec<u32> = (0..=u32::MAX).step_by(97).collect();
    for block in sweep.chunks(1 << 20) {
        assert_exact(block);
    }
}

#[test]
fn every_length_and_in_place_use_match_the_scalar_loop() {
    let values: Vec<f32> = (0..37).map(|i| (i as f32 - 18.0) * 0.37).collect();
    for n in 0..=values.len() {
        let src = &values[..n];
        let want: Vec<u32> = src.iter().map(|&x| libm::tanhf(x).to_bits()).collect();
        let mut dst = vec![f32::NAN; n];
        tanhf_into(src, &mut dst);
        assert_eq!(dst.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), want, "n = {n}");
        let mut inplace = src.to_vec();
        // SAFETY: the same n floats, read and written in place.
        unsafe { tanhf_n(n, inplace.as_ptr(), inplace.as_mut_ptr()) };
        assert_eq!(inplace.iter().map(|x| x.to_bits()).collect::<Vec<_>>(), want, "in place, n = {n}");
    }
}
