//! TARNet on IHDP (surface B, replication 1) with cfrnet's published schedule,
//! timed in-process: the causeway side of the PyTorch comparison that
//! `scripts/bench.sh` interleaves with `benches/tarnet_reference.py`.
//!
//!     cargo bench --bench tarnet -- export DIR         # write DIR/ihdp.csv, the shared data
//!     cargo bench --bench tarnet -- time BATCH ITERS [MODE] # one timed fit, one line of figures
//!     cargo bench --bench tarnet -- pack K ITERS      # K fits one at a time, then as one pack
//!     cargo bench --bench tarnet -- dragon-pack K EPOCHS # the same for DragonNet (Adam stage only)
//!
//! MODE is the numeric mode, `portable` (the default) or `native`.
//!
//! The timed span is the whole `Estimator::estimate` call (tensors from the data,
//! training with validation checks, predictions for every row), which is what the
//! Python script times too. Prints figures; asserts nothing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use causeway::data::{BuiltinOptions, CausalData, Split, SplitFractions, load_builtin};
use causeway::estimate::{self, Params};
use causeway::numerics::{self, NumericMode};
use causeway::run::RunRng;
use rand::SeedableRng;
use serde_json::json;

/// Shalit et al.'s 63/27/10 protocol.
const FRACTIONS: SplitFractions = SplitFractions { test: 0.1, validation: 0.27 };
const SEED: u64 = 20170806;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let outcome = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["export", dir] => export(Path::new(dir)),
        ["time", batch, iterations] => time(batch, iterations),
        ["time", batch, iterations, mode] => select(mode).and_then(|()| time(batch, iterations)),
        ["pack", k, iterations] => pack(k, iterations),
        ["dragon-pack", k, epochs] => dragon_pack(k, epochs),
        ["gemm"] => gemm(),
        _ => {
            Err("usage: tarnet export DIR | tarnet time BATCH ITERATIONS [portable|native] | tarnet pack K ITERATIONS | tarnet dragon-pack K EPOCHS"
                .to_string())
        }
    };
    if let Err(message) = outcome {
        eprintln!("tarnet bench: {message}");
        std::process::exit(2);
    }
}

/// The numeric mode, chosen before libtorch starts (as `causeway --numerics` does).
fn select(mode: &str) -> Result<(), String> {
    let mode = match mode {
        "portable" => NumericMode::Portable,
        "native" => NumericMode::Native,
        other => return Err(format!("MODE must be `portable` or `native`, found `{other}`")),
    };
    numerics::select(mode);
    Ok(())
}

/// IHDP surface B, replication 1, and its split: the same rows on both sides.
fn ihdp() -> Result<(CausalData, Split), String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let opts = BuiltinOptions { surface: Some("B".into()), instance: Some(1), confounding: None };
    let data = load_builtin("ihdp", &opts, &root, &mut RunRng::seed_from_u64(SEED)).map_err(|e| e.to_string())?;
    let split = Split::draw(data.n_rows(), FRACTIONS, &mut RunRng::seed_from_u64(SEED + 1));
    Ok((data, split))
}

/// One CSV with the covariates, treatment, outcome and each row's part of the split.
/// Values are written with Rust's shortest round-trip formatting, so Python reads
/// back exactly the f64s that causeway converts to f32.
fn export(dir: &Path) -> Result<(), String> {
    let (data, split) = ihdp()?;
    let mut role = vec!["train"; data.n_rows()];
    split.validation.iter().for_each(|&i| role[i] = "validation");
    split.test.iter().for_each(|&i| role[i] = "test");
    let mut out = String::new();
    out.push_str(&data.covariate_names.join(","));
    out.push_str(",t,y,role\n");
    for (i, part) in role.iter().enumerate() {
        for column in &data.covariates {
            out.push_str(&format!("{:?},", column[i]));
        }
        out.push_str(&format!("{:?},{:?},{part}\n", data.treatment[i], data.outcome[i]));
    }
    let path = dir.join("ihdp.csv");
    std::fs::File::create(&path)
        .and_then(|mut f| f.write_all(out.as_bytes()))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    println!("wrote {} ({} rows, {} covariates)", path.display(), data.n_rows(), data.n_covariates());
    Ok(())
}

/// CPU time of the calling thread (first field of /proc/thread-self/schedstat, in
/// ns): on a loaded machine it counts only the time this fit actually ran, which
/// is steadier than the wall clock. libtorch runs on the calling thread (one
/// intra-op thread), as Python's `time.thread_time` sees it on the other side.
fn thread_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|ns| ns.parse::<f64>().ok()))
        .map_or(f64::NAN, |ns| ns * 1e-9)
}

/// TARNet with every cfrnet default except the batch size and iteration count.
fn time(batch: &str, iterations: &str) -> Result<(), String> {
    let batch: usize = batch.parse().map_err(|_| format!("BATCH must be a whole number, found `{batch}`"))?;
    let iterations: usize =
        iterations.parse().map_err(|_| format!("ITERATIONS must be a whole number, found `{iterations}`"))?;
    let (data, split) = ihdp()?;
    let mut params = Params::new();
    params.insert("batch".into(), json!(batch));
    params.insert("iterations".into(), json!(iterations));
    let estimator = estimate::build("tarnet", &params).map_err(|e| e.to_string())?;
    estimate::init_thread();
    let mut rng = RunRng::seed_from_u64(SEED + 2);
    let (start, cpu_start) = (Instant::now(), thread_cpu_seconds());
    let est = estimator.estimate(&data.observed(&split), &mut rng).map_err(|e| e.to_string())?;
    let (seconds, cpu) = (start.elapsed().as_secs_f64(), thread_cpu_seconds() - cpu_start);
    let truth = data.true_ite().map(|ite| ite.iter().sum::<f64>() / ite.len() as f64).unwrap_or(f64::NAN);
    println!(
        "side=causeway mode={} batch={batch} iterations={iterations} seconds={seconds:.4} it_per_s={:.1} cpu_seconds={cpu:.4} it_per_cpu_s={:.1} ate={:.3} truth={truth:.3}",
        causeway::estimate::numeric_identity().mode,
        iterations as f64 / seconds,
        iterations as f64 / cpu,
        est.ate
    );
    Ok(())
}

/// K TARNets (cfrnet's defaults, batch 100) on IHDP replication 1, each from its
/// own stream, through the path `causeway run` takes (`side_by_side`): first one at a time
/// (`Estimator::estimate`, what `--pack 1` does), then as one pack of K
/// (`Estimator::networks` and `pack::estimate_packed`, what `--pack K` does),
/// in one process; both timed spans include preparing each run's tensors.
/// Prints the per-network throughput of both, their ratio, and whether the
/// packed estimates are the lone ones to the bit.
fn pack(k: &str, iterations: &str) -> Result<(), String> {
    let iterations: usize =
        iterations.parse().map_err(|_| format!("ITERATIONS must be a whole number, found `{iterations}`"))?;
    let mut params = Params::new();
    params.insert("iterations".into(), json!(iterations));
    side_by_side("pack", "tarnet", &params, k)
}

/// K DragonNets (the authors' defaults: batch 64, 3 x 200 body, 2 x 100 heads,
/// targeted regularization) on IHDP replication 1, as `pack` does for TARNet:
/// EPOCHS epochs of the Adam stage, without early stopping or the SGD stage, so
/// that every member takes the same steps.
fn dragon_pack(k: &str, epochs: &str) -> Result<(), String> {
    let epochs: usize = epochs.parse().map_err(|_| format!("EPOCHS must be a whole number, found `{epochs}`"))?;
    let mut params = Params::new();
    params.insert("epochs".into(), json!(epochs));
    params.insert("sgd_epochs".into(), json!(0));
    params.insert("early_stopping".into(), json!(false));
    side_by_side("dragon-pack", "dragonnet", &params, k)
}

/// K fits of `kind` one at a time, then as one pack of K; per-network
/// training steps (the fits' `iterations`) per CPU second of this thread.
fn side_by_side(side: &str, kind: &str, params: &Params, k: &str) -> Result<(), String> {
    use causeway::estimate::neural::pack;
    let k: usize = k.parse().map_err(|_| format!("K must be a whole number, found `{k}`"))?;
    let (data, split) = ihdp()?;
    let estimator = estimate::build(kind, params).map_err(|e| e.to_string())?;
    estimate::init_thread();
    let observed = data.observed(&split);
    let rng = |i: usize| RunRng::seed_from_u64(SEED + i as u64);
    // One untimed fit first, from a stream neither side uses: a runner's worker
    // trains many networks in one process, so the process's first products,
    // allocations and page touches belong to neither side. Without it, one
    // `make bench` ran K=1 at about 216 it/s on both sides (405 packed at K=64),
    // and step 7's fit read that as a large shared part of a step.
    estimator.estimate(&observed, &mut rng(k)).map_err(|e| e.to_string())?;
    let cpu_start = thread_cpu_seconds();
    let mut alone = Vec::with_capacity(k);
    for i in 0..k {
        alone.push(estimator.estimate(&observed, &mut rng(i)).map_err(|e| e.to_string())?);
    }
    let alone_cpu = thread_cpu_seconds() - cpu_start;
    let cpu_start = thread_cpu_seconds();
    let mut planned = Vec::with_capacity(k);
    for i in 0..k {
        let networks = estimator.networks(&observed, &mut rng(i)).ok_or("the network's layers do not pack")?;
        planned.push(networks.map_err(|e| e.to_string())?);
    }
    let mflop = planned.first().and_then(|p| p.jobs.first()).and_then(step_mflop);
    let packed = pack::estimate_packed(planned, pack::PackLimit::members(k));
    let packed_cpu = thread_cpu_seconds() - cpu_start;
    // Compared as text: Rust prints each f64 exactly, and a NaN (the
    // validation losses without early stopping) then equals itself.
    let identical =
        packed.iter().zip(&alone).all(|(p, a)| p.as_ref().is_ok_and(|p| format!("{p:?}") == format!("{a:?}")));
    let steps = |e: &estimate::Estimate| e.diagnostics.iter().find(|(n, _)| n == "iterations").map_or(0.0, |d| d.1);
    let iterations = alone.iter().map(steps).sum::<f64>() / k as f64;
    let rate = |cpu: f64| k as f64 * iterations / cpu;
    let mflop = mflop.map_or(String::new(), |f| format!(" step_mflop={f:.1}"));
    println!(
        "side={side} k={k} iterations={iterations} alone_it_per_cpu_s={:.1} packed_it_per_cpu_s={:.1} ratio={:.2} identical={identical}{mflop}",
        rate(alone_cpu),
        rate(packed_cpu),
        alone_cpu / packed_cpu
    );
    Ok(())
}

/// Millions of floating-point operations in the matrix products of one
/// training step of a cfrnet-loop network (forward, then the weight and input
/// gradients; the first layer's input gradient is never formed), counting a
/// multiply-add as two. A lower bound on a member's arithmetic per step: with
/// the product's measured GFLOP/s (`gemm`) it bounds how fast a member can
/// train however its pack shares the rest. Both heads see every row, as they
/// do in `pack/model.rs`. None for DragonNet (its step is not counted here).
fn step_mflop(job: &causeway::estimate::neural::pack::NetJob) -> Option<f64> {
    use causeway::estimate::neural::LayerSpec;
    use causeway::estimate::neural::pack::{Arch, Net};
    let Net::Cfrnet { arch, shape } = &job.net else { return None };
    // Multiply-adds per row of a dense stack on `input` features, and its width out.
    let stack = |input: usize, layers: &[LayerSpec], output: Option<usize>| {
        let widths = layers.iter().filter_map(|l| match l {
            LayerSpec::Dense { units, .. } => Some(*units),
            _ => None,
        });
        let (mut dim, mut forward, mut first) = (input, 0usize, None);
        for units in widths.chain(output) {
            forward += dim * units;
            first.get_or_insert(dim * units);
            dim = units;
        }
        (forward, first.unwrap_or(0), dim)
    };
    let d = job.x.size().get(1).copied().unwrap_or(0) as usize;
    let (forward, first) = match arch {
        Arch::TwoHeaded { representation, head, .. } => {
            let (body, first, width) = stack(d, representation, None);
            let (one_head, _, _) = stack(width, head, Some(1));
            (body + 2 * one_head, first)
        }
        Arch::Regressor { layers, with_treatment } => {
            let (all, first, _) = stack(d + usize::from(*with_treatment), layers, Some(1));
            (all, first)
        }
    };
    Some(2.0 * (3 * forward - first) as f64 * shape.batch as f64 / 1e6)
}

/// GFLOP/s (per CPU second of this thread) of the portable single-precision
/// product on TARNet's shapes as libtorch passes them (column-major, BLAS
/// style: C' = yᵀ, A' the weights): a 200-wide layer's forward product and
/// both backward ones, at 100 rows.
fn gemm() -> Result<(), String> {
    use causeway::numerics::gemm::{Strided, sgemm};
    let (rows, width) = (100usize, 200usize);
    // (label, m, n, k, A's strides, B's strides): C is m×n by columns.
    type Strides = (isize, isize);
    let shapes: [(&str, usize, usize, usize, Strides, Strides); 3] = [
        ("x·W", width, rows, width, (1, width as isize), (1, width as isize)),
        ("g·Wᵀ", width, rows, width, (width as isize, 1), (1, width as isize)),
        ("xᵀ·g", width, width, rows, (1, width as isize), (width as isize, 1)),
    ];
    for (label, m, n, k, (ar, ac), (br, bc)) in shapes {
        let a = vec![0.5f32; m * k];
        let b = vec![0.25f32; k * n];
        let mut c = vec![0f32; m * n];
        let reps = 400;
        let start = thread_cpu_seconds();
        for _ in 0..reps {
            // SAFETY: the strides address exactly the three buffers above.
            unsafe {
                sgemm(
                    m,
                    n,
                    k,
                    1.0,
                    Strided { ptr: a.as_ptr(), rs: ar, cs: ac },
                    Strided { ptr: b.as_ptr(), rs: br, cs: bc },
                    0.0,
                    Strided { ptr: c.as_mut_ptr(), rs: 1, cs: m as isize },
                );
            }
        }
        let seconds = thread_cpu_seconds() - start;
        println!(
            "side=gemm op={label} m={m} n={n} k={k} gflops={:.1}",
            2.0 * (m * n * k * reps) as f64 / seconds / 1e9
        );
    }
    Ok(())
}
