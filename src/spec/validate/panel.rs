//! Panel experiments (treatments over time, `builtin: { name: tumour-growth }`):
//! the simulator's block validated into a `PanelDecl`, and what such an
//! experiment may not declare. A panel has no single treatment and outcome
//! column, so there is no graph to identify from, no covariates to adjust for
//! or preprocess, no row split (the simulator draws its folds), and none of
//! the static robustness or selection analyses; its metrics are `rmse_τ`, and
//! a static experiment may not list them.

use std::collections::BTreeMap;

use super::super::experiment::{Dataset, PanelDecl};
use super::super::load::Loaded;
use super::super::raw::{RawBuiltin, RawExperiment};
use super::{Result, check_quantity, invalid};
use crate::data::tumour::TestPolicy;
use crate::estimate::Metric;
use crate::spec::SpecErrorKind;

/// The most units a simulated panel may have, over all folds (the truth holds
/// 54 queries per active step of every test unit).
pub const MAX_PANEL_UNITS: i64 = 100_000;
/// The most treatment steps per unit.
pub const MAX_PANEL_STEPS: i64 = 1_000;
/// The papers' path length, the default of `steps`.
const DEFAULT_STEPS: i64 = 60;

/// The block of a builtin panel simulator (`b.name` is one of `PANEL_BUILTINS`).
pub(super) fn check_panel_builtin(loaded: &Loaded, b: &RawBuiltin, params: &BTreeMap<String, f64>) -> Result<Dataset> {
    for (key, given) in
        [("surface", b.surface.is_some()), ("instance", b.instance.is_some()), ("confounding", b.confounding.is_some())]
    {
        if given {
            return Err(invalid(
                loaded,
                &format!("dataset.builtin.{key}"),
                format!("builtin dataset `{}` has no `{key}`", b.name),
            )
            .with_help(
                "the tumour-growth simulator takes `gamma`, `patients`, `steps` and `test_policy`; remove this key",
            ));
        }
    }
    let gamma = match &b.gamma {
        Some(v) => check_quantity(loaded, "dataset.builtin.gamma", v, params)?,
        None => {
            return Err(loaded
                .error_at("dataset.builtin", true, SpecErrorKind::MissingKey { key: "gamma".into() })
                .with_help("the policy's confounding strength, e.g. `gamma: 2` or `gamma: $gamma` to sweep it"));
        }
    };
    let Some(p) = &b.patients else {
        return Err(loaded
            .error_at("dataset.builtin", true, SpecErrorKind::MissingKey { key: "patients".into() })
            .with_help("the units of each fold, e.g. `patients: { train: 200, validation: 50, test: 50 }`"));
    };
    let count = |key: &str, n: i64, least: i64| -> Result<usize> {
        if (least..=MAX_PANEL_UNITS).contains(&n) {
            return Ok(n as usize);
        }
        Err(invalid(
            loaded,
            &format!("dataset.builtin.patients.{key}"),
            format!("`{key}` must be a whole number from {least} to {MAX_PANEL_UNITS}, found {n}"),
        ))
    };
    let (train, validation, test) =
        (count("train", p.train, 2)?, count("validation", p.validation, 0)?, count("test", p.test, 1)?);
    if (train + validation + test) as i64 > MAX_PANEL_UNITS {
        return Err(invalid(
            loaded,
            "dataset.builtin.patients",
            format!("{} patients in all; the limit is {MAX_PANEL_UNITS}", train + validation + test),
        ));
    }
    let steps = b.steps.unwrap_or(DEFAULT_STEPS);
    if !(2..=MAX_PANEL_STEPS).contains(&steps) {
        return Err(invalid(
            loaded,
            "dataset.builtin.steps",
            format!("`steps` must be a whole number from 2 to {MAX_PANEL_STEPS}, found {steps}"),
        )
        .with_help("the papers follow each patient for 60 daily steps"));
    }
    let steps = steps as usize;
    let test_policy = match b.test_policy.as_deref() {
        None => TestPolicy::Own,
        Some(name) => match TestPolicy::ALL.iter().find(|(n, _)| *n == name) {
            Some(&(_, policy)) => policy,
            None => {
                let names = TestPolicy::ALL.map(|(n, _)| n);
                let err = invalid(
                    loaded,
                    "dataset.builtin.test_policy",
                    format!("unknown test policy `{name}`; expected one of: {}", names.join(", ")),
                );
                return Err(match crate::suggest::did_you_mean(name, names) {
                    Some(s) => err.with_help(crate::suggest::help(&s)),
                    None => err.with_help(
                        "`own` (the test patients' own volumes) or `reference_rows` (the Causal Transformer's published test sets)",
                    ),
                });
            }
        },
    };
    Ok(Dataset::Panel(PanelDecl { name: b.name.clone(), gamma, train, validation, test, steps, test_policy }))
}

/// A static builtin may not carry a panel simulator's keys.
pub(super) fn check_static_builtin(loaded: &Loaded, b: &RawBuiltin) -> Result<()> {
    for (key, given) in [
        ("gamma", b.gamma.is_some()),
        ("patients", b.patients.is_some()),
        ("steps", b.steps.is_some()),
        ("test_policy", b.test_policy.is_some()),
    ] {
        if given {
            let panels = crate::data::PANEL_BUILTINS.join(", ");
            return Err(invalid(
                loaded,
                &format!("dataset.builtin.{key}"),
                format!("builtin dataset `{}` has no `{key}`: only the panel simulators ({panels}) do", b.name),
            )
            .with_help(if key == "gamma" && b.name == "mnist" {
                "the MNIST design's confounding strength is `confounding`".to_string()
            } else {
                format!("remove `{key}`")
            }));
        }
    }
    Ok(())
}

/// The sections a panel experiment cannot use, each refused where it is written.
pub(super) fn check_panel_sections(loaded: &Loaded, raw: &RawExperiment) -> Result<()> {
    let sections = [
        ("graph", "a panel has no single treatment and outcome column to identify an effect between"),
        ("adjust", "panel estimators read each unit's whole history; there is no covariate set to choose"),
        ("preprocess", "the simulator's panel has no covariate columns to impute, encode or standardize"),
        ("split", "the simulator draws its folds; set their sizes under `dataset.builtin.patients`"),
        ("robustness", "the sensitivity analyses are those of a static effect estimate"),
        ("selection", "model selection scores static effect estimates on validation rows"),
    ];
    for (key, why) in sections {
        if loaded.writes(key) {
            return Err(invalid(loaded, key, format!("a panel experiment has no `{key}:` section: {why}"))
                .with_help(format!("remove `{key}:`; see docs/experiment-format.md, \"Panel experiments\"")));
        }
    }
    for (i, entry) in raw.estimators.iter().enumerate() {
        for key in ["adjust", "bootstrap"] {
            let path = format!("estimators[{i}].{key}");
            let swept = format!("estimators[{i}].sweep.{key}");
            if entry.get(key).is_some() || loaded.writes(&swept) {
                let at = if entry.get(key).is_some() { path } else { swept };
                return Err(invalid(loaded, &at, format!("`{key}` does not apply to a panel estimator"))
                    .with_help(format!("remove `{key}`: it belongs to static effect estimators")));
            }
        }
    }
    Ok(())
}

/// Each listed metric is of the experiment's kind: `rmse_τ` for a panel, a
/// static metric otherwise.
pub(super) fn check_metric_kinds(loaded: &Loaded, metrics: &[Metric], panel: bool) -> Result<()> {
    for (i, m) in metrics.iter().enumerate() {
        if m.is_panel() == panel {
            continue;
        }
        let listed = |ms: &[Metric]| ms.iter().map(Metric::name).collect::<Vec<_>>().join(", ");
        let err = if panel {
            invalid(
                loaded,
                &format!("metrics[{i}]"),
                format!("metric `{m}` scores a static effect estimate; a panel experiment scores predicted paths"),
            )
            .with_help(format!("use the panel metrics: {}", listed(&Metric::PANEL)))
        } else {
            invalid(
                loaded,
                &format!("metrics[{i}]"),
                format!("metric `{m}` scores predicted paths of a panel; this experiment's dataset is not a panel"),
            )
            .with_help(format!("use a static metric: {}", listed(&Metric::STATIC)))
        };
        return Err(err);
    }
    Ok(())
}
