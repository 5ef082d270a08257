//! The portable mode's vectorised tanhf against `libm::tanhf`:
//!
//!     cargo bench --bench tanhf                 # throughput, 1024 and 1M floats
//!     cargo bench --bench tanhf -- exhaustive   # all 2^32 inputs, bit for bit
//!
//! Throughput: ns per element of the scalar loop `vmsTanh` used to run and of
//! `numerics::vecmath::tanhf_into`, on gate-like inputs (normal, sd 2), best of
//! five timings each. The exhaustive check counts inputs whose bits differ
//! (there must be none) and exits non-zero if any does.

use std::time::Instant;

use causeway::numerics::vecmath::tanhf_into;
use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;

fn main() {
    if std::env::args().any(|a| a == "exhaustive") {
        exhaustive();
    } else {
        throughput();
    }
}

fn throughput() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let normal = Normal::new(0.0f32, 2.0).expect("a valid sd");
    for n in [1024usize, 1 << 20] {
        let src: Vec<f32> = (0..n).map(|_| normal.sample(&mut rng)).collect();
        let mut dst = vec![0f32; n];
        let reps = (1 << 26) / n;
        let best = |f: &mut dyn FnMut(&[f32], &mut [f32])| {
            let mut dst = vec![0f32; n];
            (0..5)
                .map(|_| {
                    let t = Instant::now();
                    for _ in 0..reps {
                        f(std::hint::black_box(&src), &mut dst);
                    }
                    t.elapsed().as_secs_f64() * 1e9 / (reps * n) as f64
                })
                .fold(f64::INFINITY, f64::min)
        };
        let scalar = best(&mut |s, d| {
            for (x, y) in s.iter().zip(d.iter_mut()) {
                *y = libm::tanhf(*x);
            }
        });
        let vector = best(&mut |s, d| tanhf_into(s, d));
        tanhf_into(&src, &mut dst);
        let same = src.iter().zip(&dst).all(|(x, y)| libm::tanhf(*x).to_bits() == y.to_bits());
        println!(
            "n = {n:>8}: libm::tanhf {scalar:.2} ns/element, vectorised {vector:.2} ns/element, {:.1}x, same bits: {same}",
            scalar / vector
        );
    }
}

fn exhaustive() {
    let start = Instant::now();
    let block = 1u64 << 20;
    let (count, first) = (0..(1u64 << 32) / block)
        .into_par_iter()
        .map(|b| {
            let src: Vec<f32> = (b * block..(b + 1) * block).map(|i| f32::from_bits(i as u32)).collect();
            let mut dst = vec![0f32; src.len()];
            tanhf_into(&src, &mut dst);
            let bad: Vec<u32> = src
                .iter()
                .zip(&dst)
                .filter(|(x, y)| libm::tanhf(**x).to_bits() != y.to_bits())
                .map(|(x, _)| x.to_bits())
                .collect();
            (bad.len(), bad.into_iter().take(4).collect::<Vec<u32>>())
        })
        .reduce(
            || (0, Vec::new()),
            |(c1, mut f1), (c2, f2)| {
                (c1 + c2, {
                    f1.extend(f2);
                    f1
                })
            },
        );
    println!(
        "all 2^32 tanhf inputs: {count} mismatches in {:.1} s ({} threads); first: {:x?}",
        start.elapsed().as_secs_f64(),
        rayon::current_num_threads(),
        &first[..first.len().min(16)]
    );
    if count != 0 {
        std::process::exit(1);
    }
}
