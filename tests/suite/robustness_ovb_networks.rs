//! OVB bounds beyond `aipw` and their benchmarks, through the pipeline: the
//! networks get bounds centred on their own estimate (TARNet with the
//! cross-fitted logistic Riesz representer, DragonNet with its propensity
//! head), a benchmark's Δθ is exactly what refitting without the group gives,
//! `refit` keeps refuters and benchmarks to the entries it names, the values
//! are the same bytes twice, and the report section is pinned.

use std::path::{Path, PathBuf};

use causeway::app::{self, RunArgs};
use causeway::report::ProgressMode;
use causeway::run::{self, Outcome, PlanContext};

use crate::spec_common;

const EXPERIMENT: &str = "name: ovb-networks
seed: 5
replications: 1
dataset:
  simulate:
    n: 600
    equations:
      x1: normal(0, 1)
      x2: normal(0, 1)
      t: bernoulli(sigmoid(x1 + 0.3 * x2))
      y: 2 * t + 2 * x1 + 0.5 * x2 + normal(0, 1)
    treatment: t
    outcome: y
preprocess: { standardize: true }
split: { test: 0.0, validation: 0.25 }
estimators:
  - aipw
  - aipw:
    label: aipw-without-x1
    adjust: [x2]
  - tarnet: { iterations: 200, representation: [32], head: [16] }
  - tarnet:
      iterations: 200
      representation: [32]
      head: [16]
    label: tarnet-no-refit
  - dragonnet: { epochs: 10, sgd_epochs: 0, representation: [32], head: [16] }
robustness:
  ovb:
    confounders: [{ cf_y: 0, cf_d: 0 }, { cf_y: 0.1, cf_d: 0.1 }]
    benchmarks: [x1, [x2]]
  refuters: { simulations: 3, tests: [placebo_permute] }
  refit: [aipw, tarnet]
metrics: [ate, ate_error]
";

fn outcomes() -> Vec<(run::Run, Outcome)> {
    let exp = spec_common::check_text("ovb-networks.yaml", EXPERIMENT).unwrap();
    let ctx = PlanContext {
        data_files: vec![],
        libtorch: "test".into(),
        numerics: causeway::numerics::NumericIdentity::portable(),
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let source = run::DataSource::read(&exp, root).unwrap();
    let runs = run::plan(&exp, &ctx).unwrap();
    let prepared = run::prepare(exp, runs, root, source).unwrap();
    prepared.runs.iter().map(|r| (r.clone(), run::compute_outcome(&prepared, r))).collect()
}

#[test]
fn networks_get_bounds_and_benchmarks_match_a_refit() {
    let all = outcomes();
    let find = |label: &str| &all.iter().find(|(r, _)| r.estimator == label).unwrap().1;
    let v = |o: &Outcome, n: &str| o.robustness_value(n).unwrap_or_else(|| panic!("{n} missing"));
    for label in ["aipw", "tarnet", "tarnet-no-refit", "dragonnet"] {
        let o = find(label);
        let ate = o.metric("ate").unwrap();
        // Centred on the run's own estimate; a confounder widens them.
        assert_eq!(v(o, "ovb[0,0]_lower"), ate, "{label}");
        assert_eq!(v(o, "ovb[0,0]_upper"), ate, "{label}");
        assert!(v(o, "ovb[0.1,0.1]_lower") < ate && v(o, "ovb[0.1,0.1]_ci_lower") < v(o, "ovb[0.1,0.1]_lower"));
        // y's noise has variance 1: a fitted outcome model leaves about that.
        assert!((0.6..2.0).contains(&v(o, "ovb_sigma2")), "{label}: σ² {}", v(o, "ovb_sigma2"));
        assert!(v(o, "ovb_nu2") > 4.0, "{label}: ν² is at least 4 (e = 1/2 everywhere)");
        assert!(v(o, "ovb_rv") > v(o, "ovb_rva"), "{label}");
    }
    // Δθ of the x1 benchmark is the refit without x1 (same rows, same folds).
    let (long, short) = (find("aipw"), find("aipw-without-x1"));
    let delta = short.metric("ate").unwrap() - long.metric("ate").unwrap();
    assert!((v(long, "ovb_bench[x1]_delta_theta") - delta).abs() < 1e-12, "{delta}");
    // x1 confounds much more than x2, in outcome and in treatment.
    for o in [long, find("tarnet")] {
        assert!(v(o, "ovb_bench[x1]_cf_y") > 3.0 * v(o, "ovb_bench[x2]_cf_y"));
        assert!(v(o, "ovb_bench[x1]_cf_d") > 3.0 * v(o, "ovb_bench[x2]_cf_d"));
        assert!(v(o, "ovb_bench[x1]_upper") - v(o, "ovb_bench[x1]_lower") > 0.0);
    }
    // `refit` names aipw and tarnet: the others keep their bounds, without refits.
    for (label, refitted) in [("aipw", true), ("tarnet", true), ("tarnet-no-refit", false), ("dragonnet", false)] {
        let o = find(label);
        assert_eq!(o.robustness_value("ovb_bench[x2]_cf_y").is_some(), refitted, "{label}");
        assert_eq!(o.robustness_value("refute_placebo_permute_p").is_some(), refitted, "{label}");
    }
    // The aipw without x1 has no x1 to benchmark, and was not refitted anyway.
    assert_eq!(short.robustness_value("ovb_bench[x1]_cf_y"), None);
    // Same bytes twice.
    let again = outcomes();
    for ((r, a), (_, b)) in all.iter().zip(&again) {
        assert_eq!(a.robustness, b.robustness, "{}", r.label);
    }
}

#[test]
fn report_section_is_pinned() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ovb-networks.yaml");
    std::fs::write(&path, EXPERIMENT).unwrap();
    let args = RunArgs {
        paths: vec![path],
        jobs: 2,
        pack: causeway::run::DEFAULT_PACK,
        pack_memory: None,
        results: dir.path().join("results"),
        cache: dir.path().join("cache"),
        root: PathBuf::from("."),
        fail_fast: false,
        progress: ProgressMode::Quiet,
    };
    assert_eq!(app::run_command(&args).unwrap(), app::Completion::Ok);
    let report = std::fs::read_to_string(dir.path().join("results/ovb-networks/report.md")).unwrap();
    let section = &report[report.find("Omitted-variable-bias bounds").unwrap()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    insta::assert_snapshot!("ovb_networks_report", section);
}
