//! The one list of estimator kinds. Each kind is a `Kind` value declared in its
//! own file beside the estimator (name, one-line summary, role for
//! identification, algorithm version, whether libtorch computes it, how its
//! hyperparameters resolve and how it is built), and listed once in `KINDS`.
//! Everything else derives from that list: `check`'s kind and hyperparameter
//! errors, run keys, covariate roles, the JSON Schema and docs/estimators.md.
//!
//! Adding an estimator is its file (with its `Kind`) and one line in `KINDS`.

use super::guard::FiniteGuard;
use super::params::{Hyper, parse, to_params};
use super::{EstimateError, Estimator, Params};

/// Which covariates identification hands an estimator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// None: the estimator ignores confounding on purpose (`naive`).
    None,
    /// An adjustment set; refused when the graph has no valid backdoor set.
    Backdoor,
    /// The graph's front-door mediators.
    FrontDoor,
}

/// Resolve user hyperparameters into every value, defaults spelled out, or an
/// error naming the key (the kind's name is passed for messages).
pub type Resolve = fn(&str, &Params) -> Result<Params, EstimateError>;
/// Build the estimator from resolved (or raw) hyperparameters.
pub type Build = fn(&str, &Params) -> Result<Box<dyn Estimator>, EstimateError>;

/// One estimator kind.
#[derive(Debug)]
pub struct Kind {
    pub name: &'static str,
    /// One line for docs/estimators.md, with the source it follows.
    pub summary: &'static str,
    pub role: Role,
    /// Enters the run keys: bump when the kind's numbers change for the same inputs.
    pub version: u32,
    /// Whether libtorch does its arithmetic (its bits then depend on the numeric mode).
    pub uses_libtorch: bool,
    pub resolve: Resolve,
    /// Hyperparameters added after results were stored, with their defaults: they
    /// enter a key only when set away from the default.
    pub late_defaults: fn() -> Params,
    pub build: Build,
}

/// Every kind, in the order the papers' tables list them: classical, then neural.
pub static KINDS: &[&Kind] = &[
    &super::classical::NAIVE,
    &super::classical::OLS,
    &super::classical::OLS_INTERACT,
    &super::classical::IPW,
    &super::classical::AIPW,
    &super::classical::MATCHING,
    &super::classical::FRONTDOOR,
    &super::neural::SLEARNER,
    &super::neural::TLEARNER,
    &super::neural::TARNET,
    &super::neural::CFR,
    &super::neural::DRAGONNET,
    #[cfg(test)]
    &tests::TEST_ONLY,
];

/// The kind called `name`, or an error with the nearest name.
pub fn lookup(name: &str) -> Result<&'static Kind, EstimateError> {
    KINDS.iter().copied().find(|k| k.name == name).ok_or_else(|| EstimateError::UnknownKind {
        kind: name.to_string(),
        suggestion: crate::suggest::did_you_mean(name, kinds().iter().copied()),
    })
}

/// Every kind's name.
pub fn kinds() -> Vec<&'static str> {
    KINDS.iter().map(|k| k.name).collect()
}

/// The names of the classical kinds (those libtorch does not compute).
pub fn classical_kinds() -> Vec<&'static str> {
    KINDS.iter().filter(|k| !k.uses_libtorch).map(|k| k.name).collect()
}

/// The names of the kinds libtorch computes.
pub fn neural_kinds() -> Vec<&'static str> {
    KINDS.iter().filter(|k| k.uses_libtorch).map(|k| k.name).collect()
}

/// Validate user hyperparameters for `kind` and return them with every default
/// spelled out (sorted keys). Unknown key: an error with "did you mean";
/// out-of-range value: an error naming the key.
pub fn resolve(kind: &str, params: &Params) -> Result<Params, EstimateError> {
    let k = lookup(kind)?;
    (k.resolve)(k.name, params)
}

/// Hyperparameters of `kind` that `resolve` spells out only when they differ from
/// their default, with that default (for the schema and the docs).
pub fn late_defaults(kind: &str) -> Params {
    lookup(kind).map(|k| (k.late_defaults)()).unwrap_or_default()
}

/// Build from resolved params. Every estimator comes wrapped in a guard that turns
/// a non-finite result into a failed run.
pub fn build(kind: &str, params: &Params) -> Result<Box<dyn Estimator>, EstimateError> {
    let k = lookup(kind)?;
    let inner = (k.build)(k.name, params)?;
    Ok(Box::new(FiniteGuard { kind: kind.to_string(), inner }))
}

/// Version of the kind's numeric algorithm; 0 for a kind that does not exist
/// (callers resolve kinds first).
pub fn algorithm_version(kind: &str) -> u32 {
    lookup(kind).map_or(0, |k| k.version)
}

/// Whether the kind computes with libtorch.
pub fn uses_libtorch(kind: &str) -> bool {
    lookup(kind).is_ok_and(|k| k.uses_libtorch)
}

/// The covariates identification hands `kind` (a backdoor set for unknown names,
/// which `check` has refused already).
pub fn role(kind: &str) -> Role {
    lookup(kind).map_or(Role::Backdoor, |k| k.role)
}

/// `Resolve` for a kind whose hyperparameters are the `Hyper` struct `T`.
pub fn resolve_hyper<T: Hyper>(kind: &str, params: &Params) -> Result<Params, EstimateError> {
    Ok(to_params(&parse::<T>(kind, params)?))
}

/// `late_defaults` of a kind that has none.
pub fn no_late_defaults() -> Params {
    Params::new()
}

/// The reference of every kind, in Markdown: docs/estimators.md is this text
/// (`causeway estimators`), and a test keeps the committed copy current.
pub fn reference_markdown() -> String {
    let mut out = String::from(
        "# Estimators\n\nGenerated from the estimator registry (`src/estimate/registry.rs`) by \
         `causeway estimators > docs/estimators.md`; a test fails when this file is stale.\n\n\
         Each entry: what the kind does and where its defaults come from, which covariates \
         identification hands it, its algorithm version (part of every run key), and every \
         hyperparameter with its default. A hyperparameter left out takes its default.\n",
    );
    for k in KINDS {
        let role = match k.role {
            Role::None => "no covariates (ignores confounding on purpose)",
            Role::Backdoor => "a backdoor adjustment set (refused when the graph has none)",
            Role::FrontDoor => "the front-door mediators",
        };
        out += &format!(
            "\n## `{}`\n\n{}\n\n- covariates: {role}\n- algorithm version: {}{}\n",
            k.name,
            k.summary,
            k.version,
            if k.uses_libtorch { " (libtorch; its keys carry the numeric mode)" } else { "" }
        );
        let mut defaults = resolve(k.name, &Params::new()).unwrap_or_default();
        defaults.extend((k.late_defaults)());
        if defaults.is_empty() {
            out += "- hyperparameters: none\n";
        } else {
            out += "- hyperparameters (default):\n";
            for (key, value) in &defaults {
                out += &format!("  - `{key}`: `{value}`\n");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::params::NoParams;

    /// A kind that exists only in unit tests: registering it is this one value
    /// plus its line in `KINDS`, and the schema and the reference pick it up.
    pub static TEST_ONLY: Kind = Kind {
        name: "test_only_kind",
        summary: "a kind registered only in unit tests",
        role: Role::Backdoor,
        version: 7,
        uses_libtorch: false,
        resolve: resolve_hyper::<NoParams>,
        late_defaults: no_late_defaults,
        build: |_, _| Ok(Box::new(crate::estimate::classical::Naive)),
    };

    #[test]
    fn a_kind_is_one_value_and_one_line_and_everything_derives_from_it() {
        assert_eq!(algorithm_version("test_only_kind"), 7);
        assert!(build("test_only_kind", &Params::new()).is_ok());
        assert!(reference_markdown().contains("## `test_only_kind`"));
        let schema = crate::spec::json_schema().to_string();
        assert!(schema.contains("test_only_kind"), "the schema does not list the new kind");
    }

    #[test]
    fn names_are_unique_and_every_kind_resolves_builds_and_is_idempotent() {
        let names = kinds();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len());
        for k in KINDS {
            let once = resolve(k.name, &Params::new()).unwrap();
            assert_eq!(resolve(k.name, &once).unwrap(), once, "{}", k.name);
            assert!(build(k.name, &once).is_ok(), "{}", k.name);
            assert!(k.version >= 1);
        }
        assert_eq!(algorithm_version("nope"), 0);
    }

    #[test]
    fn roles_and_libtorch_are_the_kinds_own() {
        assert_eq!(role("naive"), Role::None);
        assert_eq!(role("frontdoor"), Role::FrontDoor);
        assert_eq!(role("ols"), Role::Backdoor);
        assert_eq!(neural_kinds(), ["slearner", "tlearner", "tarnet", "cfr", "dragonnet"]);
        assert!(uses_libtorch("cfr") && !uses_libtorch("aipw"));
    }

    #[test]
    fn unknown_kind_suggests_a_neighbour() {
        let err = resolve("tarnett", &Params::new()).unwrap_err();
        assert_eq!(err.to_string(), "unknown estimator `tarnett` (did you mean `tarnet`?)");
    }
}
