//! Errors of the equation language and of simulation. Each error names the
//! equation (node) it comes from and, when it has one, the byte offset inside
//! that equation's right-hand side, so the spec layer can point at file:line:col.

use std::fmt;

use thiserror::Error;

/// An error with its location: which equation, and where inside its expression.
#[derive(Debug, Clone, PartialEq)]
pub struct ScmError {
    pub node: Option<String>,
    /// Byte offset inside the node's expression.
    pub offset: Option<usize>,
    pub kind: ScmErrorKind,
}

/// What went wrong. Messages are lowercase and carry a suggestion where one exists.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ScmErrorKind {
    #[error("expected {expected}, found {found}")]
    Parse { expected: String, found: String },
    #[error(
        "expression nested too deeply (more than {limit} levels of parentheses, calls, unary minus or `^`); split it into intermediate equations"
    )]
    TooDeep { limit: usize },
    #[error("unknown function `{name}`{}", suggest_or(.suggestion, &known_functions_hint()))]
    UnknownFunction { name: String, suggestion: Option<String> },
    #[error("`{name}` takes {expected}, got {found}")]
    WrongArity { name: String, expected: String, found: usize },
    #[error("unknown variable `{name}`{}", suggest_or(.suggestion, "; every variable needs its own equation"))]
    UnknownVariable { name: String, suggestion: Option<String> },
    #[error("parameter `${name}` is not declared{}", suggest_or(.suggestion, "; declare it under `params`"))]
    UndeclaredParam { name: String, suggestion: Option<String> },
    /// A number literal that overflows or underflows an f64 (`1e400`, `1e-400`).
    #[error(transparent)]
    Literal(crate::literal::LiteralError),
    #[error("the equations form a cycle: {}", .cycle.join(" -> "))]
    Cycle { cycle: Vec<String> },
    #[error("`{name}` has more than one equation")]
    DuplicateNode { name: String },
    #[error("the model has no equations")]
    EmptyModel,
    #[error("the {role} `{name}` is not a node of the model{}", crate::suggest::hint(.suggestion))]
    UnknownNode { role: &'static str, name: String, suggestion: Option<String> },
    #[error("the treatment and the outcome are the same node `{name}`")]
    TreatmentIsOutcome { name: String },
    #[error(
        "the treatment must be 0 or 1, but row {row} has {value}; draw it with bernoulli(p) or threshold it with if(...)"
    )]
    NonBinaryTreatment { row: usize, value: f64 },
    #[error("{dist} needs {requirement}, got {value}{}", at_row(.row))]
    BadDrawArgument { dist: &'static str, requirement: &'static str, value: f64, row: Option<usize> },
    #[error("the degrees of freedom of student_t must be a number or a $parameter, not depend on variables")]
    NonConstantDf,
    #[error("the equation gives {value} at row {row} (a log or sqrt of a negative number, or a division by zero?)")]
    NonFinite { row: usize, value: f64 },
    #[error("the missingness rate must be between 0 and 1, got {rate}")]
    BadMissingRate { rate: f64 },
    #[error("under do({treatment} = {value}): {inner}")]
    UnderIntervention { treatment: String, value: f64, inner: Box<ScmErrorKind> },
    #[error(
        "`{name}` is a sequence of {len} steps, and this equation reads one number: read a summary such as last({name}), mean({name}) or slope({name}), or a step such as {name}[{len}]"
    )]
    SequenceAsScalar { name: String, len: usize },
    #[error(
        "`{name}` has {len} steps but this sequence has {expected}: a sequence's equation reads sequences of its own length step by step; read a summary or a fixed step of `{name}` instead"
    )]
    LengthMismatch { name: String, len: usize, expected: usize },
    #[error(
        "`{name}` is a scalar node, not a sequence: `[...]` reads a step of a sequence declared as `name[T]`; write `{name}` alone"
    )]
    NotASequence { name: String },
    #[error(
        "`t` is the current step only in a sequence's equation (`name[T]: ...`); in a scalar equation read a fixed step such as `{name}[1]` or a summary such as last({name})"
    )]
    StepOutsideSequence { name: String },
    #[error(
        "`{name}[t-{lag}]` reaches before every one of the sequence's {len} steps; a lag must be less than the length"
    )]
    LagTooLong { name: String, lag: usize, len: usize },
    #[error("`{name}` has steps 1 to {len}, not {step}")]
    StepOutOfRange { name: String, step: usize, len: usize },
    #[error(
        "`{name}` reads its own step {step} while computing step {at}: a sequence reads only its own past; read it with `{name}[t-1]`"
    )]
    ReadsOwnPresent { name: String, step: usize, at: usize },
    #[error("`{func}` summarises a sequence, and `{name}` is a scalar node")]
    SummaryOfScalar { func: String, name: String },
    #[error("`{func}` takes the name of a sequence{}, e.g. `{func}(hr)`", if .func == "crossed" { " and a threshold" } else { "" })]
    SummaryArgument { func: String },
    #[error(
        "the {role} `{name}` is a sequence; the treatment and the outcome must be scalar nodes (summarise the sequence in an equation of its own)"
    )]
    SequenceEndpoint { role: &'static str, name: String },
    #[error("the equations form a cycle between sequences: {}; sequences that read each other are not supported, since each sequence is one node of the graph", .cycle.join(" -> "))]
    SequenceCycle { cycle: Vec<String> },
    /// A graph error other than a cycle, which equations cannot produce.
    #[error(transparent)]
    Graph(Box<crate::graph::GraphError>),
}

impl ScmError {
    pub fn new(kind: ScmErrorKind) -> ScmError {
        ScmError { node: None, offset: None, kind }
    }

    pub(crate) fn at(node: &str, offset: usize, kind: ScmErrorKind) -> ScmError {
        ScmError { node: Some(node.to_string()), offset: Some(offset), kind }
    }

    pub(crate) fn in_node(node: &str, kind: ScmErrorKind) -> ScmError {
        ScmError { node: Some(node.to_string()), offset: None, kind }
    }

    /// The same error, marked as raised while evaluating under do(treatment = value).
    pub(crate) fn under_intervention(self, treatment: &str, value: f64) -> ScmError {
        let inner = Box::new(self.kind);
        ScmError { kind: ScmErrorKind::UnderIntervention { treatment: treatment.into(), value, inner }, ..self }
    }

    /// The message followed, when the error has an offset, by the equation with
    /// a caret under the offending column (`expr` is that node's right-hand side).
    pub fn render(&self, expr: &str) -> String {
        let mut out = format!("error: {self}");
        if let (Some(node), Some(offset)) = (&self.node, self.offset) {
            let prefix = format!("  {node}: ");
            let column = expr.get(..offset).map_or(offset, |s| s.chars().count());
            out.push_str(&format!("\n{prefix}{expr}\n{}^", " ".repeat(prefix.chars().count() + column)));
        }
        out
    }
}

impl fmt::Display for ScmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.node, self.offset) {
            (Some(node), Some(offset)) => write!(f, "in `{node}` at offset {offset}: {}", self.kind),
            (Some(node), None) => write!(f, "in `{node}`: {}", self.kind),
            _ => write!(f, "{}", self.kind),
        }
    }
}

impl std::error::Error for ScmError {}

fn suggest_or(s: &Option<String>, otherwise: &str) -> String {
    match s {
        Some(_) => crate::suggest::hint(s),
        None => otherwise.to_string(),
    }
}

fn at_row(row: &Option<usize>) -> String {
    row.map(|r| format!(" at row {r}")).unwrap_or_default()
}

fn known_functions_hint() -> String {
    format!("; known functions: {}", crate::scm::functions::NAMES.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_points_at_the_column() {
        let err = ScmError::at("y", 4, ScmErrorKind::UnknownVariable { name: "b".into(), suggestion: None });
        let shown = err.render("a + b");
        assert_eq!(shown.lines().nth(2), Some("         ^"));
    }
}
