//! The one list of panel estimator kinds (treatments over time), parallel to
//! `estimate::registry` for static estimators: each kind is a `PanelKind`
//! beside its estimator, listed once in `PANEL_KINDS`; lookups, run keys and
//! the hyperparameter errors derive from it.

use super::PanelEstimator;
use super::msm::{MSM, MSM_UNWEIGHTED};
use crate::estimate::{EstimateError, Params};

/// Build a panel estimator from resolved (or raw) hyperparameters.
pub type PanelBuild = fn(&str, &Params) -> Result<Box<dyn PanelEstimator>, EstimateError>;

/// One panel estimator kind.
#[derive(Debug)]
pub struct PanelKind {
    pub name: &'static str,
    /// One line for the reference, with the source it follows.
    pub summary: &'static str,
    /// Enters the run keys: bump when the kind's numbers change for the same inputs.
    pub version: u32,
    /// Whether libtorch does its arithmetic.
    pub uses_libtorch: bool,
    pub resolve: crate::estimate::registry::Resolve,
    pub build: PanelBuild,
    /// Hyperparameters `resolve` spells out only when they differ from their
    /// default, with that default (for the schema).
    pub late_defaults: fn() -> Params,
}

/// Every panel kind: classical, then neural.
pub static PANEL_KINDS: &[&PanelKind] =
    &[&MSM, &MSM_UNWEIGHTED, &crate::estimate::neural::crn::CRN, &crate::estimate::neural::rmsn::RMSN];

/// The panel kind called `name`, or an error with the nearest name.
pub fn lookup(name: &str) -> Result<&'static PanelKind, EstimateError> {
    PANEL_KINDS.iter().copied().find(|k| k.name == name).ok_or_else(|| EstimateError::UnknownKind {
        kind: name.to_string(),
        suggestion: crate::suggest::did_you_mean(name, panel_kinds().iter().copied()),
    })
}

/// Every panel kind's name.
pub fn panel_kinds() -> Vec<&'static str> {
    PANEL_KINDS.iter().map(|k| k.name).collect()
}

/// Validate user hyperparameters for panel kind `kind`, every default spelled out.
pub fn resolve(kind: &str, params: &Params) -> Result<Params, EstimateError> {
    let k = lookup(kind)?;
    (k.resolve)(k.name, params)
}

/// Hyperparameters of panel kind `kind` that `resolve` spells out only when
/// they differ from their default, with that default.
pub fn late_defaults(kind: &str) -> Params {
    lookup(kind).map(|k| (k.late_defaults)()).unwrap_or_default()
}

/// Build panel kind `kind` from resolved hyperparameters.
pub fn build(kind: &str, params: &Params) -> Result<Box<dyn PanelEstimator>, EstimateError> {
    let k = lookup(kind)?;
    (k.build)(k.name, params)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_panel_kind_resolves_builds_and_is_idempotent() {
        let names = panel_kinds();
        assert_eq!(names, ["msm", "msm_unweighted", "crn", "rmsn"]);
        for k in PANEL_KINDS {
            let once = resolve(k.name, &Params::new()).unwrap();
            assert_eq!(resolve(k.name, &once).unwrap(), once, "{}", k.name);
            assert!(build(k.name, &once).is_ok(), "{}", k.name);
            // A panel kind's name never shadows a static one.
            assert!(crate::estimate::registry::lookup(k.name).is_err(), "{}", k.name);
        }
    }

    #[test]
    fn bad_hyperparameters_and_names_are_errors() {
        assert_eq!(lookup("msn").unwrap_err().to_string(), "unknown estimator `msn` (did you mean `msm`?)");
        let mut p = Params::new();
        p.insert("truncation".into(), serde_json::json!(0.7));
        assert!(resolve("msm", &p).unwrap_err().to_string().contains("truncation"));
        assert_eq!(lookup("rmns").unwrap_err().to_string(), "unknown estimator `rmns` (did you mean `rmsn`?)");
        let mut p = Params::new();
        p.insert("encoder".into(), serde_json::json!({"lr": -1.0}));
        assert_eq!(
            resolve("rmsn", &p).unwrap_err().to_string(),
            "estimator `rmsn`: invalid hyperparameters: `encoder.lr` must be a finite number > 0, got -1"
        );
    }
}
