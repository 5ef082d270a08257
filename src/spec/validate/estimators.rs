//! Validation of `estimators:` (each entry's kind, label, hyperparameters,
//! `adjust` and sweep, as written; `cross_check` checks them against the
//! registry) and of an `adjust:` value, top-level or per estimator.

use std::collections::BTreeMap;

use serde_yaml_ng::Value;

use super::{Result, invalid, is_safe_name};
use crate::estimate::Params;
use crate::graph::{AdjustStrategy, GraphError};
use crate::spec::error::SpecErrorKind;
use crate::spec::experiment::EstimatorDecl;
use crate::spec::load::{Loaded, describe};

/// An adjustment written at `path`: a strategy name or a list of covariates.
pub(super) fn check_adjust(loaded: &Loaded, path: &str, raw: &Value) -> Result<AdjustStrategy> {
    match raw {
        Value::String(s) => AdjustStrategy::from_keyword(s).map_err(|e| {
            let suggestion = match e {
                GraphError::UnknownStrategy { suggestion, .. } => suggestion,
                _ => None,
            };
            invalid(loaded, path, format!("unknown adjustment strategy `{s}`")).with_help(suggestion.map_or_else(
                || "use backdoor (optimal set), minimal, all, or a list of covariates".into(),
                |s| crate::suggest::help(&s),
            ))
        }),
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::String(s) => Ok(s.clone()),
                other => Err(invalid(
                    loaded,
                    &format!("{path}[{i}]"),
                    format!("expected a covariate name, found {}", describe(other)),
                )),
            })
            .collect::<Result<Vec<_>>>()
            // `px1..px196` names 196 columns, as in a file's `covariates`.
            .and_then(|names| super::dataset::expand_ranges(loaded, path, &names))
            .map(AdjustStrategy::Explicit),
        other => Err(loaded.error_at(
            path,
            false,
            SpecErrorKind::WrongType(format!(
                "expected a strategy name or a list of covariates, found {}",
                describe(other)
            )),
        )),
    }
}

pub(super) fn check_estimators(loaded: &Loaded, entries: &[Value]) -> Result<Vec<EstimatorDecl>> {
    if entries.is_empty() {
        return Err(invalid(loaded, "estimators", "list at least one estimator"));
    }
    let mut out: Vec<EstimatorDecl> = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let path = format!("estimators[{i}]");
        let decl = check_estimator(loaded, &path, entry)?;
        if out.iter().any(|d| d.label == decl.label) {
            return Err(invalid(loaded, &path, format!("two estimators are labelled `{}`", decl.label))
                .with_help("give one of them a distinct `label:` next to its kind"));
        }
        out.push(decl);
    }
    Ok(out)
}

fn check_estimator(loaded: &Loaded, path: &str, entry: &Value) -> Result<EstimatorDecl> {
    let map = match entry {
        Value::String(kind) => {
            return Ok(EstimatorDecl {
                label: kind.clone(),
                kind: kind.clone(),
                params: Params::new(),
                sweep: Vec::new(),
                adjust: None,
                adjust_sweep: Vec::new(),
                bootstrap: None,
            });
        }
        Value::Mapping(m) => m,
        other => {
            return Err(loaded.error_at(
                path,
                false,
                SpecErrorKind::WrongType(format!(
                    "expected an estimator kind or a `kind: {{hyperparameters}}` mapping, found {}",
                    describe(other)
                )),
            ));
        }
    };
    let mut kind = None;
    let mut label = None;
    let mut sweep = Vec::new();
    let (mut adjust, mut adjust_sweep) = (None, Vec::new());
    let mut bootstrap = None;
    for (k, v) in map {
        let Value::String(k) = k else {
            return Err(invalid(loaded, path, "estimator keys must be strings"));
        };
        let kpath = format!("{path}.{k}");
        match k.as_str() {
            "label" => match v {
                Value::String(s) if is_safe_name(s) => label = Some(s.clone()),
                _ => return Err(invalid(loaded, &kpath, "a label is a short name of lowercase letters, digits, `-`, `_` and `.`")),
            },
            "sweep" => (sweep, adjust_sweep) = check_estimator_sweep(loaded, &kpath, v)?,
            "adjust" => adjust = Some(check_adjust(loaded, &kpath, v)?),
            "bootstrap" => bootstrap = Some(check_bootstrap(loaded, &kpath, v)?),
            _ if kind.is_some() => {
                return Err(loaded.error_at(&kpath, true, SpecErrorKind::UnknownKey { key: k.clone() })
                    .with_help("an estimator entry has one kind key, plus optional `label:`, `adjust:`, `sweep:` and `bootstrap:`; indent hyperparameters under the kind"))
            }
            _ => kind = Some((k.clone(), params_of(loaded, &kpath, v)?)),
        }
    }
    let Some((kind, params)) = kind else {
        return Err(loaded
            .error_at(path, true, SpecErrorKind::MissingKey { key: "kind".into() })
            .with_help("write the estimator kind as the key, e.g. `- aipw: { folds: 5 }`"));
    };
    for (name, _) in &sweep {
        if params.contains_key(name) {
            return Err(invalid(loaded, &format!("{path}.sweep.{name}"), format!("`{name}` is both set and swept"))
                .with_help(format!("remove `{name}` from the hyperparameters of `{kind}`")));
        }
    }
    if adjust.is_some() || !adjust_sweep.is_empty() {
        let key = if adjust_sweep.is_empty() { format!("{path}.adjust") } else { format!("{path}.sweep.adjust") };
        if adjust.is_some() && !adjust_sweep.is_empty() {
            return Err(invalid(loaded, &key, "`adjust` is both set and swept")
                .with_help(format!("remove `adjust:` from the entry of `{kind}`")));
        }
        if crate::estimate::role(&kind) != crate::estimate::Role::Backdoor {
            return Err(invalid(
                loaded,
                &key,
                format!("`{kind}` does not adjust for covariates, so `adjust` does not apply to it"),
            )
            .with_help("set `adjust` on adjustment estimators (ols, ipw, aipw, matching, the networks...) only"));
        }
    }
    Ok(EstimatorDecl {
        label: label.unwrap_or_else(|| kind.clone()),
        kind,
        params,
        sweep,
        adjust,
        adjust_sweep,
        bootstrap,
    })
}

/// The most bootstrap resamples an entry may ask for: each is a refit.
pub(super) const MAX_BOOTSTRAP: u64 = 100_000;

/// `bootstrap: B`, the number of resamples: a whole number from 2 to `MAX_BOOTSTRAP`.
fn check_bootstrap(loaded: &Loaded, path: &str, v: &Value) -> Result<usize> {
    match v.as_u64() {
        Some(b) if (2..=MAX_BOOTSTRAP).contains(&b) => Ok(b as usize),
        _ => Err(invalid(
            loaded,
            path,
            format!(
                "`bootstrap` is the number of resamples, a whole number from 2 to {MAX_BOOTSTRAP}; found {}",
                describe(v)
            ),
        )
        .with_help("200 resamples give a stable 95% percentile interval; each one refits the estimator")),
    }
}

fn params_of(loaded: &Loaded, path: &str, v: &Value) -> Result<Params> {
    match v {
        Value::Null => Ok(Params::new()),
        Value::Mapping(_) => match serde_json::to_value(v) {
            Ok(serde_json::Value::Object(m)) => Ok(m),
            _ => Err(invalid(loaded, path, "hyperparameters must be a mapping of names to values")),
        },
        other => Err(loaded.error_at(
            path,
            false,
            SpecErrorKind::WrongType(format!("expected a mapping of hyperparameters, found {}", describe(other))),
        )),
    }
}

/// The hyperparameter sweep of an estimator entry, and its `adjust` sweep apart.
#[allow(clippy::type_complexity)]
fn check_estimator_sweep(
    loaded: &Loaded,
    path: &str,
    v: &Value,
) -> Result<(Vec<(String, Vec<serde_json::Value>)>, Vec<AdjustStrategy>)> {
    let Value::Mapping(m) = v else {
        return Err(loaded.error_at(
            path,
            false,
            SpecErrorKind::WrongType(format!(
                "expected a mapping of hyperparameter -> list of values, found {}",
                describe(v)
            )),
        ));
    };
    let (mut out, mut adjust) = (BTreeMap::new(), Vec::new());
    for (k, values) in m {
        let Value::String(k) = k else { return Err(invalid(loaded, path, "hyperparameter names must be strings")) };
        let kpath = format!("{path}.{k}");
        let Value::Sequence(values) = values else {
            return Err(loaded.error_at(
                &kpath,
                false,
                SpecErrorKind::WrongType(format!("expected a list of values, found {}", describe(values))),
            ));
        };
        if values.is_empty() {
            return Err(invalid(loaded, &kpath, format!("the sweep of `{k}` is empty"))
                .with_help("list at least one value, or remove the key"));
        }
        if k == "adjust" {
            adjust = values
                .iter()
                .enumerate()
                .map(|(j, v)| check_adjust(loaded, &format!("{kpath}[{j}]"), v))
                .collect::<Result<Vec<_>>>()?;
            continue;
        }
        let json: Vec<serde_json::Value> =
            values.iter().map(|v| serde_json::to_value(v).unwrap_or(serde_json::Value::Null)).collect();
        out.insert(k.clone(), json);
    }
    Ok((out.into_iter().collect(), adjust))
}
