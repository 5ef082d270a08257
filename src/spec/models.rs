//! The simulator's equations, compiled once during validation at every point of
//! the swept parameters they name, and carried by the experiment (and so by the
//! plan) to identification, the graph warnings and every run, which look their
//! model up instead of compiling it again.
//!
//! Only the swept parameters an equation names can change the model, so the
//! points are those of their sweep alone. Parameters change coefficients, never
//! which variables an equation reads, so every point's model has the same DAG.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::error::{SpecError, SpecErrorKind};
use super::load::Loaded;
use super::locate::Position;
use crate::scm::{Equation, Model, ScmError};
use crate::sweep::sweep_points;

/// The compiled models of one `simulate:` block, keyed by the values of the
/// swept parameters the equations name (in `named` order).
#[derive(Debug, Clone, Default)]
pub struct Models {
    named: Vec<String>,
    models: Vec<(Vec<f64>, Arc<Model>)>,
}

/// Two sets are equal when they were compiled at the same points: the models
/// themselves are a function of the equations, which `Simulate` compares.
impl PartialEq for Models {
    fn eq(&self, other: &Self) -> bool {
        self.named == other.named
            && self.models.len() == other.models.len()
            && self.models.iter().zip(&other.models).all(|((a, _), (b, _))| a == b)
    }
}

impl Models {
    /// Compile `equations` under `params` at every point of the swept parameters
    /// they name. The first compile error is located in the file.
    pub(super) fn compile(
        loaded: &Loaded,
        equations: &[(String, String)],
        params: &BTreeMap<String, f64>,
        sweep: &[(String, Vec<f64>)],
    ) -> Result<Models, SpecError> {
        let list: Vec<Equation> = equations.iter().map(|(n, e)| Equation::new(n.clone(), e.clone())).collect();
        let named: Vec<(String, Vec<f64>)> =
            sweep.iter().filter(|(p, _)| equations.iter().any(|(_, e)| names_param(e, p))).cloned().collect();
        let mut models = Vec::new();
        for point in sweep_points(&named) {
            let mut at = params.clone();
            at.extend(point.iter().cloned());
            let model = Model::compile(&list, &at).map_err(|e| located(loaded, &e, ""))?;
            models.push((point.into_iter().map(|(_, v)| v).collect(), Arc::new(model)));
        }
        Ok(Models { named: named.into_iter().map(|(p, _)| p).collect(), models })
    }

    /// The model for a run's resolved parameters, or `None` for a point that
    /// was not compiled (only a bug can ask for one: runs come from the sweep).
    pub fn at(&self, params: &BTreeMap<String, f64>) -> Option<&Model> {
        let key: Option<Vec<f64>> = self.named.iter().map(|p| params.get(p).copied()).collect();
        let key = key?;
        self.models.iter().find(|(k, _)| *k == key).map(|(_, m)| m.as_ref())
    }

    /// The model at the first point, for what every point shares (the DAG).
    pub fn first(&self) -> Option<&Model> {
        self.models.first().map(|(_, m)| m.as_ref())
    }

    /// Every compiled model, in sweep order.
    pub fn iter(&self) -> impl Iterator<Item = &Model> {
        self.models.iter().map(|(_, m)| m.as_ref())
    }
}

/// An equation error at its node's equation, `offset` bytes in, with `context`
/// appended to the message.
pub(super) fn located(loaded: &Loaded, e: &ScmError, context: &str) -> SpecError {
    let message = e.kind.to_string();
    let Some(node) = &e.node else {
        return loaded.error_at(
            "dataset.simulate.equations",
            false,
            SpecErrorKind::Invalid(format!("{message}{context}")),
        );
    };
    let path = format!("dataset.simulate.equations.{node}");
    let (file, position) = loaded.locate(&path, false);
    let position = position.map(|p| shift(loaded, &file, p, e.offset.unwrap_or(0)));
    SpecError::new(file, position, SpecErrorKind::Invalid(format!("in the equation of `{node}`: {message}{context}")))
}

/// Move a value's position `offset` bytes into the value, stepping over an
/// opening quote: exact for values written on one line.
pub(super) fn shift(loaded: &Loaded, file: &std::path::Path, p: Position, offset: usize) -> Position {
    let quoted = loaded
        .sources
        .iter()
        .find(|s| s.path == file)
        .and_then(|s| s.text.lines().nth(p.line.saturating_sub(1)))
        .and_then(|line| line.chars().nth(p.column.saturating_sub(1)))
        .is_some_and(|c| c == '"' || c == '\'');
    Position { line: p.line, column: p.column + offset + usize::from(quoted) }
}

/// Whether `equation` reads `$param` (a `$` and the whole identifier).
fn names_param(equation: &str, param: &str) -> bool {
    let needle = format!("${param}");
    equation
        .match_indices(&needle)
        .any(|(at, _)| !equation[at + needle.len()..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_parameter_is_named_by_its_whole_identifier() {
        assert!(names_param("normal($mu, 1)", "mu"));
        assert!(names_param("$mu", "mu"));
        assert!(!names_param("normal($mu2, 1)", "mu"));
        assert!(!names_param("normal($mu_x, 1) + mu", "mu"));
        assert!(names_param("$mu_x + $mu * 2", "mu"));
    }

    /// One model per value of the swept parameter the equations name, none for
    /// the one they do not; a run's parameters find their own model.
    #[test]
    fn one_model_per_point_of_the_named_sweep() {
        let yaml = "name: m\nseed: 1\nparams: { b: 1, n: 10 }\nsweep: { b: [0.5, 2], n: [10, 20, 30] }\n\
                    dataset:\n  simulate:\n    n: $n\n    equations:\n      x: normal(0, 1)\n      \
                    t: bernoulli(sigmoid(x))\n      y: $b * t + x\n    treatment: t\n    outcome: y\n\
                    estimators: [ols]\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.yaml");
        std::fs::write(&path, yaml).unwrap();
        let exp = crate::spec::validate(&crate::spec::load(&path).unwrap()).unwrap();
        let crate::spec::Dataset::Simulate(sim) = &exp.dataset else { panic!("simulated") };
        assert_eq!(sim.models.iter().count(), 2, "b is named, n is not");
        let run: BTreeMap<String, f64> = [("b".to_string(), 2.0), ("n".to_string(), 30.0)].into();
        assert!(sim.models.at(&run).is_some());
        let off_grid: BTreeMap<String, f64> = [("b".to_string(), 3.0)].into();
        assert!(sim.models.at(&off_grid).is_none());
        assert_eq!(sim.models.first().unwrap().node_names(), ["x", "t", "y"]);
    }
}
