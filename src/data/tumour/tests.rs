//! The simulator against closed forms and its own promises: growth without
//! treatment or noise, the clip at the death volume, the same noise under every
//! counterfactual, determinism.

use rand::SeedableRng;

use super::path::Dynamics;
use super::*;
use crate::data::panel::PanelFold;

fn small(gamma: f64) -> TumourConfig {
    TumourConfig {
        gamma,
        train: 20,
        validation: 5,
        test: 10,
        steps: 30,
        window: 15,
        max_tau: 6,
        test_policy: TestPolicy::Own,
    }
}

/// A patient with neither noise nor treatment nor recovery: every uniform at 1
/// (never below a probability) and every `e_t` zero.
fn quiet(patient: Patient, config: &TumourConfig) -> Dynamics {
    let ones = vec![1.0; config.steps];
    Dynamics {
        patient,
        noise: vec![0.0; config.steps + config.max_tau + 1],
        recovery: ones.clone(),
        chemo_u: ones.clone(),
        radio_u: ones,
    }
}

fn patient(rho: f64, initial_volume: f64) -> Patient {
    Patient { kind: 2, initial_volume, rho, alpha: 0.04, beta: 0.004, beta_c: 0.028, capacity: volume(30.0) }
}

#[test]
fn volume_and_diameter_are_inverse_and_vmax_is_ct_constant() {
    assert!((diameter(volume(7.3)) - 7.3).abs() < 1e-12);
    // CT's normalising constant: 4/3 π (13/2)³ = 1150.3465 cm³.
    assert!((max_volume() - 1_150.346_509_4).abs() < 1e-6);
}

#[test]
fn without_treatment_or_noise_growth_is_the_gompertz_map() {
    let config = TumourConfig { gamma: 4.0, steps: 40, ..small(0.0) };
    let d = quiet(patient(0.01, 3.0), &config);
    let path = factual(&d, &config);
    assert_eq!(path.length(), 40);
    assert!(path.treatments.iter().all(|a| *a == [0.0, 0.0]));
    let k = volume(30.0);
    let mut v = 3.0;
    for t in 0..40 {
        v *= 1.0 + 0.01 * (k / v).ln();
        assert!((path.volumes[t + 1] - v).abs() <= 1e-12 * v, "step {t}: {} vs {v}", path.volumes[t + 1]);
    }
    // Below the carrying capacity the map grows monotonically.
    assert!(path.volumes.windows(2).all(|w| w[1] > w[0]));
    // ρ = 0: nothing changes.
    let flat = factual(&quiet(patient(0.0, 3.0), &config), &config);
    assert!(flat.volumes.iter().all(|&v| v == 3.0));
}

#[test]
fn chemotherapy_every_day_accumulates_to_twice_the_dose() {
    // C_t = C_{t-1}/2 + 5 from C_{-1} = 0: C_t = 10 (1 - 2^{-(t+1)}).
    let config = small(0.0);
    let d = quiet(patient(0.0, 3.0), &config);
    let path = factual(&d, &config);
    let every_day = vec![[1.0, 0.0]; 10];
    let projected = project(&d, &path, 0, &every_day);
    let mut v = 3.0;
    for (t, &got) in projected.iter().enumerate() {
        let c = 10.0 * (1.0 - 0.5f64.powi(t as i32 + 1));
        v *= 1.0 - 0.028 * c;
        assert!((got - v).abs() <= 1e-12 * v, "day {t}");
    }
}

#[test]
fn volume_is_clipped_at_the_death_volume_and_the_path_ends() {
    let config = small(0.0);
    let d = quiet(patient(0.5, 500.0), &config);
    let path = factual(&d, &config);
    let vmax = max_volume();
    assert_eq!(*path.volumes.last().unwrap(), vmax);
    assert!(path.volumes[..path.volumes.len() - 1].iter().all(|&v| v < vmax));
    assert!(path.length() < config.steps);
    // Dead is absorbing in projections too.
    let more = project(&d, &path, path.length(), &[[0.0, 0.0]; 3]);
    assert!(more.iter().all(|&v| v == vmax));
}

#[test]
fn the_factual_option_reproduces_the_factual_path_under_every_query() {
    let mut rng = RunRng::seed_from_u64(7);
    let config = small(3.0);
    let (panel, truth) = simulate(&config, &mut rng);
    assert_eq!(truth.queries.len(), truth.values.len());
    let mut checked = 0;
    for (q, &value) in truth.queries.iter().zip(&truth.values) {
        assert_eq!(panel.fold[q.unit], PanelFold::Test);
        assert!(q.step < panel.length[q.unit]);
        let tau = q.plan.len();
        let factual_plan =
            (0..tau).all(|k| q.step + k < panel.length[q.unit] && q.plan[k] == panel.treatment(q.unit, q.step + k));
        if factual_plan {
            assert_eq!(value.to_bits(), panel.outcome(q.unit, q.step + tau).to_bits());
            checked += 1;
        }
        assert!((0.0..=max_volume()).contains(&value));
    }
    // Every active step's one-step options include the factual one.
    let active: usize = panel.units_in(PanelFold::Test).iter().map(|&u| panel.length[u]).sum();
    assert!(checked >= active, "{checked} factual queries for {active} active steps");
    // 4 one-step options and 10 sliding plans × τ = 2..6 per active step.
    assert_eq!(truth.queries.len(), active * (4 + 10 * 5));
}

#[test]
fn counterfactual_options_share_the_noise() {
    // With the same noise, today's options differ by the treatment term only:
    // V(none) − V(radio) = V_t (α d + β d²) exactly, d = 2 Gy.
    let mut rng = RunRng::seed_from_u64(3);
    let config = small(1.0);
    let d = Dynamics::draw(&config, &mut rng);
    let path = factual(&d, &config);
    let s = path.length() / 2;
    let none = project(&d, &path, s, &[[0.0, 0.0]])[0];
    let radio = project(&d, &path, s, &[[0.0, 1.0]])[0];
    let p = d.patient;
    let expected = path.volumes[s] * (p.alpha * 2.0 + p.beta * 4.0);
    if none > 0.0 && radio > 0.0 && none < max_volume() {
        assert!((none - radio - expected).abs() < 1e-9 * none.max(1.0));
    }
}

#[test]
fn same_seed_same_panel_and_truth() {
    let config = small(2.0);
    let a = simulate(&config, &mut RunRng::seed_from_u64(11));
    let b = simulate(&config, &mut RunRng::seed_from_u64(11));
    let bits = |p: &(crate::data::panel::Panel, Truth)| {
        p.0.outcomes.iter().chain(&p.1.values).map(|v| v.to_bits()).collect::<Vec<u64>>()
    };
    assert_eq!(bits(&a), bits(&b));
    assert_eq!(a, b);
    let c = simulate(&config, &mut RunRng::seed_from_u64(12));
    assert_ne!(bits(&a), bits(&c));
}

#[test]
fn confounding_makes_treatment_follow_tumour_size() {
    // γ = 0: each treatment is a fair coin; γ large: big tumours are treated more.
    let mut rng = RunRng::seed_from_u64(5);
    let config = TumourConfig { train: 300, validation: 0, test: 0, ..small(0.0) };
    let (panel, _) = simulate(&config, &mut rng);
    let rate: f64 = (0..panel.units).map(|u| panel.treatment(u, 0)[0]).sum::<f64>() / panel.units as f64;
    assert!((rate - 0.5).abs() < 0.1, "{rate}");
    let (panel, _) = simulate(&TumourConfig { gamma: 10.0, ..config }, &mut RunRng::seed_from_u64(5));
    let big = |u: usize| diameter(panel.outcome(u, 0)) > DEATH_DIAMETER / 2.0;
    let treated_rate = |want: bool| {
        let units: Vec<usize> = (0..panel.units).filter(|&u| big(u) == want).collect();
        units.iter().map(|&u| panel.treatment(u, 0)[0]).sum::<f64>() / units.len() as f64
    };
    assert!(treated_rate(true) > treated_rate(false) + 0.2);
}

#[test]
fn the_reference_rows_policy_moves_only_the_test_patients_treatments() {
    // At γ = 20 the policy treats a tumour of 8 cm or more almost surely (a
    // few percent of steps here) and a zero
    // "diameter" almost never (σ(−10)); the reference's test patients mostly
    // read rows of zeros past an early patient's partial path.
    let own = TumourConfig { gamma: 20.0, train: 30, validation: 0, test: 40, steps: 30, ..small(0.0) };
    let reference = TumourConfig { test_policy: TestPolicy::ReferenceRows, ..own.clone() };
    let (a, _) = simulate(&own, &mut RunRng::seed_from_u64(11));
    let (b, truth) = simulate(&reference, &mut RunRng::seed_from_u64(11));
    let treated = |p: &crate::data::panel::Panel, fold: PanelFold| {
        let units = p.units_in(fold);
        let steps: usize = units.iter().map(|&u| p.length[u]).sum();
        let on: f64 =
            units.iter().flat_map(|&u| (0..p.length[u]).map(move |t| (u, t))).map(|(u, t)| p.treatment(u, t)[0]).sum();
        on / steps as f64
    };
    // Every training patient is drawn and treated identically.
    for u in a.units_in(PanelFold::Train) {
        assert_eq!(a.length[u], b.length[u]);
        assert_eq!(a.outcome(u, a.length[u]), b.outcome(u, b.length[u]));
        assert_eq!(a.treatment(u, 0), b.treatment(u, 0));
    }
    let (own_rate, reference_rate) = (treated(&a, PanelFold::Test), treated(&b, PanelFold::Test));
    assert!(own_rate > 0.01 && reference_rate < own_rate / 10.0, "own {own_rate}, reference {reference_rate}");
    // The first test patient reads no row at step 0: untreated however large.
    let first = b.units_in(PanelFold::Test)[0];
    assert_eq!(b.treatment(first, 0), [0.0, 0.0]);
    // The truth still answers the questions about the paths as drawn.
    assert!(truth.queries.iter().all(|q| b.fold[q.unit] == PanelFold::Test));
}
