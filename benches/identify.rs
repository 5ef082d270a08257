//! Timing of `identify` (every algorithm of the graph module) on random
//! 100-node graphs. Target: under 10 ms per identification. Run with
//! `cargo bench --bench identify`; prints figures, asserts nothing.

use std::time::{Duration, Instant};

use causeway::graph::{
    AdjustStrategy, Admg, MINIMAL_LIMIT, find_front_door, id_effect, identify, minimal_adjustment_sets,
    optimal_adjustment_set,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// A random graph over `n` nodes in topological id order, with about
/// `degree` directed edges per node (to nearby earlier nodes, like a
/// layered causal model) and `bidirected` confounded pairs.
fn random_graph(rng: &mut ChaCha20Rng, n: usize, degree: usize, bidirected: usize) -> Admg {
    let names: Vec<String> = (0..n).map(|i| format!("v{i:03}")).collect();
    let mut directed = Vec::new();
    for child in 1..n {
        for _ in 0..degree {
            let parent = child.saturating_sub(rng.random_range(1..=10.min(child)));
            let edge = (names[parent].clone(), names[child].clone());
            if !directed.contains(&edge) {
                directed.push(edge);
            }
        }
    }
    let mut pairs: Vec<(String, String)> = Vec::new();
    while pairs.len() < bidirected {
        let (a, b) = (rng.random_range(0..n), rng.random_range(0..n));
        let pair = (names[a.min(b)].clone(), names[a.max(b)].clone());
        if a != b && !pairs.contains(&pair) {
            pairs.push(pair);
        }
    }
    Admg::new(&names, &directed, &pairs).expect("edges go from lower to higher ids")
}

fn time(g: &Admg, x: &str, y: &str, repeats: usize) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..repeats)
        .map(|_| {
            let start = Instant::now();
            let report = identify(g, x, y, &AdjustStrategy::Optimal).expect("endpoints exist");
            std::hint::black_box(report);
            start.elapsed()
        })
        .collect();
    times.sort();
    (times[times.len() / 2], times[times.len() - 1])
}

/// Median time of `f` over `repeats` runs, in milliseconds.
fn median_ms(repeats: usize, mut f: impl FnMut()) -> f64 {
    let mut times: Vec<Duration> = (0..repeats)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1e3
}

/// Where the time goes, per algorithm, on one graph.
fn breakdown(g: &Admg) {
    let (x, y) = (g.id("v050").expect("node exists"), g.id("v099").expect("node exists"));
    let minimal = median_ms(10, || drop(std::hint::black_box(minimal_adjustment_sets(g, x, y, MINIMAL_LIMIT))));
    let optimal = median_ms(10, || drop(std::hint::black_box(optimal_adjustment_set(g, x, y))));
    let front = median_ms(10, || drop(std::hint::black_box(find_front_door(g, x, y))));
    let id = median_ms(10, || drop(std::hint::black_box(id_effect(g, x, y))));
    println!("    minimal sets {minimal:.3}ms, O-set {optimal:.3}ms, front-door {front:.3}ms, ID {id:.3}ms");
}

fn main() {
    let mut rng = ChaCha20Rng::seed_from_u64(2024);
    println!("{:<34} {:>10} {:>10}", "graph (100 nodes)", "median", "max");
    for (label, degree, bidirected) in [
        ("DAG, 2 parents/node", 2, 0),
        ("DAG, 3 parents/node", 3, 0),
        ("ADMG, 2 parents, 10 <->", 2, 10),
        ("ADMG, 2 parents, 30 <->", 2, 30),
    ] {
        for trial in 0..3 {
            let g = random_graph(&mut rng, 100, degree, bidirected);
            let (x, y) = ("v050", "v099");
            let (median, max) = time(&g, x, y, 20);
            println!(
                "{:<34} {:>8.3}ms {:>8.3}ms",
                format!("{label} #{trial}"),
                median.as_secs_f64() * 1e3,
                max.as_secs_f64() * 1e3
            );
            breakdown(&g);
        }
    }
}
