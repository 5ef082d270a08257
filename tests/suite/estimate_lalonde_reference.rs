//! Reference test of the propensity estimators against statsmodels on LaLonde's
//! NSW treated men and the CPS-1 controls (the builtin `lalonde-cps`, 16,177 rows,
//! the eight raw covariates, every row in-sample).
//!
//! The pinned numbers were computed with statsmodels 0.15.0 (numpy, pandas) from
//! `datasets/lalonde/{nsw_mixtape,cps_mixtape}.csv`:
//!
//! ```python
//! d = pd.concat([nsw[nsw.treat == 1], cps], ignore_index=True)
//! X = sm.add_constant(d[['age','educ','black','hisp','marr','nodegree','re74','re75']].astype(float))
//! fit = sm.Logit(d.treat, X).fit(method='newton', tol=1e-12)   # converged in 12 iterations
//! eta = X @ fit.params; e = 1 / (1 + exp(-eta))
//! # IPW ATT: treated mean minus the controls' mean weighted by e / (1 - e), unclipped
//! # IPW ATE: Hajek with e clipped to [0.01, 0.99]
//! # trimmed IPW ATE: Hajek on the rows with 0.1 <= e <= 0.9 (Crump et al. 2009)
//! # matching: each treated man's nearest controls on eta (every control within
//! # 1e-9 of the nearest distance averaged), with replacement; the ATE also
//! # matches each control to the treated
//! ```
//!
//! The tie tolerance matters here: treated row 101 (26 years old, 10 years of
//! school) lies exactly halfway on eta between a control of 35 with 11 years and
//! one of 17 with 9, and with exact comparison rounding picks one of them (ATT
//! 1718.92 from statsmodels' eta, 1793.97 from causeway's, 1756.44 with both).
//!
//! The ATT of +1180 is what the old default (the ATE's two-sided clip at 0.01
//! applied to the controls' odds) turned into -3551, and the matching ATT of 1756
//! is what the old 1e-6 ridge of the logistic fit moved to 1944.

use std::path::Path;

use causeway::data::{
    BuiltinOptions, CausalData, Impute, PreprocessConfig, PreprocessLog, Split, SplitFractions, fit_transform,
    load_builtin,
};
use causeway::estimate::{Estimate, Params, build, resolve};
use causeway::run::RunRng;
use rand::SeedableRng;

const IPW_ATT: f64 = 1180.4078459774;
const IPW_ATE: f64 = -6629.2343861487;
const MATCHING_ATT: f64 = 1756.4435356892;
const MATCHING_ATE: f64 = -3443.8839837319;
const PROPENSITY_MIN: f64 = 3.765001168088697e-06;
const PROPENSITY_MAX: f64 = 0.48838971803577325;
const TRIMMED_ATE: f64 = 1713.7516749755;
/// Rows outside [0.1, 0.9] (40 of them treated).
const TRIMMED: f64 = 15673.0;
/// Rows with e < 0.01 (none above 0.99): what the ATE's clip moves.
const BELOW_CLIP: f64 = 14510.0;

fn lalonde() -> CausalData {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    load_builtin("lalonde-cps", &BuiltinOptions::default(), root, &mut RunRng::seed_from_u64(0)).unwrap()
}

fn run(kind: &str, data: &CausalData, split: &Split) -> Estimate {
    let params = resolve(kind, &Params::new()).unwrap();
    build(kind, &params).unwrap().estimate(&data.observed(split), &mut RunRng::seed_from_u64(1)).unwrap()
}

fn diagnostic(est: &Estimate, name: &str) -> f64 {
    est.diagnostics.iter().find(|(d, _)| d == name).map(|(_, v)| *v).unwrap_or_else(|| panic!("no `{name}`"))
}

fn close(got: f64, want: f64, rel: f64) -> bool {
    (got - want).abs() <= rel * want.abs()
}

fn everything_in_sample(n: usize) -> Split {
    Split { train: (0..n).collect(), validation: vec![], test: vec![] }
}

#[test]
fn ipw_matches_statsmodels_and_clips_no_control_for_the_att() {
    let data = lalonde();
    assert_eq!(data.n_rows(), 16177);
    let est = run("ipw", &data, &everything_in_sample(data.n_rows()));
    assert!(close(est.att.unwrap(), IPW_ATT, 1e-10), "att {}", est.att.unwrap());
    assert!(close(est.ate, IPW_ATE, 1e-10), "ate {}", est.ate);
    assert!(close(diagnostic(&est, "propensity_min"), PROPENSITY_MIN, 1e-9));
    assert!(close(diagnostic(&est, "propensity_max"), PROPENSITY_MAX, 1e-10));
    assert_eq!(diagnostic(&est, "clipped"), BELOW_CLIP);
    assert_eq!(diagnostic(&est, "clipped_att"), 0.0);
    assert_eq!(diagnostic(&est, "trimmed"), 0.0);
    assert_eq!(diagnostic(&est, "propensity_ridge"), 0.0);
}

#[test]
fn matching_matches_statsmodels() {
    let data = lalonde();
    let est = run("matching", &data, &everything_in_sample(data.n_rows()));
    assert!(close(est.att.unwrap(), MATCHING_ATT, 1e-9), "att {}", est.att.unwrap());
    assert!(close(est.ate, MATCHING_ATE, 1e-9), "ate {}", est.ate);
    assert_eq!(diagnostic(&est, "propensity_ridge"), 0.0);
}

/// Without a ridge the maximum likelihood fit is equivariant under affine maps of
/// the covariates, so standardizing with the statistics of a random 73% of the
/// rows (as each replication of the experiment does) leaves both answers where
/// statsmodels puts them on the raw data.
#[test]
fn standardization_no_longer_moves_the_propensity_estimators() {
    let raw = lalonde();
    let split =
        Split::draw(raw.n_rows(), SplitFractions { test: 0.0, validation: 0.27 }, &mut RunRng::seed_from_u64(5));
    let cfg = PreprocessConfig { impute: Impute::None, standardize: true, ..Default::default() };
    let data = fit_transform(&raw, &split, &cfg, &mut PreprocessLog::default()).unwrap();
    let all = everything_in_sample(data.n_rows());
    let ipw = run("ipw", &data, &all);
    assert!(close(ipw.att.unwrap(), IPW_ATT, 1e-10), "{ipw:?}");
    let matching = run("matching", &data, &all);
    assert!(close(matching.att.unwrap(), MATCHING_ATT, 1e-9), "{matching:?}");
}

/// Trimming at Crump et al.'s 0.1 for the ATT drops nothing here (no score
/// exceeds 0.9), and for the ATE keeps the 504 rows inside [0.1, 0.9], on which
/// no score is clipped.
#[test]
fn trimming_is_reported() {
    let data = lalonde();
    let mut user = Params::new();
    user.insert("trim".into(), serde_json::json!(0.1));
    let params = resolve("ipw", &user).unwrap();
    let est = build("ipw", &params)
        .unwrap()
        .estimate(&data.observed(&everything_in_sample(data.n_rows())), &mut RunRng::seed_from_u64(1))
        .unwrap();
    assert_eq!(diagnostic(&est, "trimmed_att"), 0.0);
    assert!(close(est.att.unwrap(), IPW_ATT, 1e-10));
    assert_eq!(diagnostic(&est, "trimmed"), TRIMMED);
    assert!(close(est.ate, TRIMMED_ATE, 1e-10), "ate {}", est.ate);
    assert_eq!(diagnostic(&est, "clipped"), 0.0);
}
