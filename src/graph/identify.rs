//! The identification report behind `causeway identify`, and the choice of
//! covariates for adjustment-based estimators (the spec's `adjust` key).
//!
//! `adjust: all` means every observed pre-treatment covariate (every node that
//! is not a descendant of the treatment, other than the outcome). It is the
//! analyst's explicit choice to adjust for everything, so `adjustment_set`
//! returns it even when it is not a valid backdoor set (the M-bias collider is
//! the classic case); `identify` then marks it invalid, so a scenario can show
//! "adjust for everything" going wrong. An explicit list is treated the same
//! way. `backdoor`/`optimal` and `minimal` only ever return valid sets, and
//! fail with a message pointing at the front-door set or the ID formula when
//! no valid set exists.
//!
//! Complexity: dominated by the ID algorithm and the listing of minimal sets
//! (at most `MINIMAL_LIMIT` of them), polynomial in the graph size.

use std::fmt;

use serde::Serialize;

use super::{
    Admg, Expr, GraphError, Hedge, NodeId, NodeSet, View, find_front_door, id_effect, is_backdoor_set,
    minimal_adjustment_sets, optimal_adjustment_set,
};

/// The most minimal adjustment sets listed (their number can be exponential).
pub const MINIMAL_LIMIT: usize = 32;

/// How the estimators' covariates are chosen (the spec's `adjust` key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AdjustStrategy {
    /// `backdoor` or `optimal`: the O-set of Henckel, Perković and Maathuis.
    Optimal,
    /// The smallest minimal adjustment set (among the first `MINIMAL_LIMIT`
    /// listed; ties broken by name).
    Minimal,
    /// Every observed pre-treatment covariate, valid or not.
    All,
    /// The analyst's own list, valid or not.
    Explicit(Vec<String>),
}

impl AdjustStrategy {
    /// The keywords an experiment file may write (`backdoor` and `optimal` are one strategy).
    pub const KEYWORDS: [&str; 4] = ["backdoor", "optimal", "minimal", "all"];

    /// Parse the spec's keyword (`backdoor`, `optimal`, `minimal`, `all`).
    pub fn from_keyword(word: &str) -> Result<AdjustStrategy, GraphError> {
        match word {
            "backdoor" | "optimal" => Ok(AdjustStrategy::Optimal),
            "minimal" => Ok(AdjustStrategy::Minimal),
            "all" => Ok(AdjustStrategy::All),
            _ => Err(GraphError::UnknownStrategy {
                name: word.to_string(),
                suggestion: crate::suggest::did_you_mean(word, Self::KEYWORDS),
            }),
        }
    }

    /// The JSON of this choice in run keys and labels: the keyword (`backdoor`
    /// for the optimal set, as run keys have always written it), or the list.
    pub fn describe(&self) -> serde_json::Value {
        match self {
            AdjustStrategy::Optimal => serde_json::json!("backdoor"),
            AdjustStrategy::Minimal => serde_json::json!("minimal"),
            AdjustStrategy::All => serde_json::json!("all"),
            AdjustStrategy::Explicit(list) => serde_json::json!(list),
        }
    }

    fn label(&self) -> &'static str {
        match self {
            AdjustStrategy::Optimal => "optimal",
            AdjustStrategy::Minimal => "minimal",
            AdjustStrategy::All => "all",
            AdjustStrategy::Explicit(_) => "explicit list",
        }
    }
}

/// The covariate set for adjustment-based estimators (sorted names), or an
/// error saying why none is valid and what identifies the effect instead.
pub fn adjustment_set(
    g: &Admg,
    treatment: &str,
    outcome: &str,
    strategy: &AdjustStrategy,
) -> Result<Vec<String>, GraphError> {
    let (x, y) = endpoints(g, treatment, outcome)?;
    match covariates(g, x, y, strategy)? {
        Some(set) => Ok(g.sorted_names(&set)),
        None => Err(no_valid_set(g, x, y, find_front_door(g, x, y).as_ref(), &id_effect(g, x, y))),
    }
}

/// The strategy's covariates; None when it only accepts valid sets and none exists.
fn covariates(g: &Admg, x: NodeId, y: NodeId, strategy: &AdjustStrategy) -> Result<Option<NodeSet>, GraphError> {
    Ok(match strategy {
        AdjustStrategy::Optimal => optimal_adjustment_set(g, x, y),
        AdjustStrategy::Minimal => smallest_minimal(g, x, y),
        AdjustStrategy::All => Some(pre_treatment(g, x, y)),
        AdjustStrategy::Explicit(names) => Some(explicit(g, x, y, names)?),
    })
}

/// Which identification the estimators will rely on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Method {
    /// Adjustment-based estimators use these covariates; `valid` is false when
    /// an `all` or explicit set fails the backdoor criterion.
    Adjustment { covariates: Vec<String>, valid: bool },
    /// No valid adjustment set: the front-door formula through `mediators`.
    FrontDoor { mediators: Vec<String> },
    /// Neither adjustment nor front-door: only the ID formula identifies it.
    IdFormula,
    /// Not identifiable from the observed distribution.
    NotIdentifiable,
}

/// The ID algorithm's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IdResult {
    Identified { formula: String, expression: Expr },
    NotIdentifiable { hedge: Hedge },
}

/// Everything `causeway identify` prints. Name lists are sorted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identification {
    pub treatment: String,
    pub outcome: String,
    pub strategy: AdjustStrategy,
    pub minimal_sets: Vec<Vec<String>>,
    /// True when more minimal sets exist than were listed.
    pub minimal_sets_truncated: bool,
    pub optimal_set: Option<Vec<String>>,
    /// The O-set is proven optimal only without bidirected edges.
    pub optimal_guaranteed: bool,
    pub pre_treatment: Vec<String>,
    pub pre_treatment_valid: bool,
    pub front_door: Option<Vec<String>>,
    pub id: IdResult,
    pub method: Method,
    /// Why the chosen strategy gives no covariates, when it does not.
    pub refusal: Option<String>,
}

/// Identify the effect of `treatment` on `outcome` in every way this module knows.
pub fn identify(
    g: &Admg,
    treatment: &str,
    outcome: &str,
    strategy: &AdjustStrategy,
) -> Result<Identification, GraphError> {
    let (x, y) = endpoints(g, treatment, outcome)?;
    let (minimal, truncated) = minimal_adjustment_sets(g, x, y, MINIMAL_LIMIT);
    let optimal = optimal_adjustment_set(g, x, y);
    let all = pre_treatment(g, x, y);
    let front_door = find_front_door(g, x, y);
    let id_answer = id_effect(g, x, y);
    let (method, refusal) = match covariates(g, x, y, strategy)? {
        Some(set) => {
            let covariates = g.sorted_names(&set);
            (Method::Adjustment { covariates, valid: is_backdoor_set(g, x, y, &set) }, None)
        }
        None => {
            let method = match (&front_door, &id_answer) {
                (Some(z), _) => Method::FrontDoor { mediators: g.sorted_names(z) },
                (None, Ok(_)) => Method::IdFormula,
                (None, Err(_)) => Method::NotIdentifiable,
            };
            (method, Some(no_valid_set(g, x, y, front_door.as_ref(), &id_answer).to_string()))
        }
    };
    let id = match id_answer {
        Ok(expression) => IdResult::Identified { formula: expression.to_string(), expression },
        Err(hedge) => IdResult::NotIdentifiable { hedge },
    };
    Ok(Identification {
        treatment: treatment.to_string(),
        outcome: outcome.to_string(),
        strategy: strategy.clone(),
        minimal_sets: sorted_by_names(g, &minimal),
        minimal_sets_truncated: truncated,
        optimal_set: optimal.map(|s| g.sorted_names(&s)),
        optimal_guaranteed: !g.has_bidirected(),
        pre_treatment_valid: is_backdoor_set(g, x, y, &all),
        pre_treatment: g.sorted_names(&all),
        front_door: front_door.map(|s| g.sorted_names(&s)),
        id,
        method,
        refusal,
    })
}

/// Sets as sorted name lists, ordered by size and then by names.
fn sorted_by_names(g: &Admg, sets: &[NodeSet]) -> Vec<Vec<String>> {
    let mut named: Vec<Vec<String>> = sets.iter().map(|s| g.sorted_names(s)).collect();
    named.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    named
}

fn endpoints(g: &Admg, treatment: &str, outcome: &str) -> Result<(NodeId, NodeId), GraphError> {
    let (x, y) = (g.require(treatment)?, g.require(outcome)?);
    if x == y {
        return Err(GraphError::SameTreatmentOutcome { node: treatment.to_string() });
    }
    Ok((x, y))
}

fn smallest_minimal(g: &Admg, x: NodeId, y: NodeId) -> Option<NodeSet> {
    let (sets, _) = minimal_adjustment_sets(g, x, y, MINIMAL_LIMIT);
    // Sets come sorted by size, then by ids; order ties by names instead.
    let smallest = sets.first()?.len();
    sets.into_iter().filter(|s| s.len() == smallest).min_by_key(|s| g.sorted_names(s))
}

/// Every node that is not a descendant of `x`, other than `y`.
fn pre_treatment(g: &Admg, x: NodeId, y: NodeId) -> NodeSet {
    let descendants = View::full(g).descendants(&NodeSet::from_ids(0, [x]));
    g.all().difference(&descendants).without(y)
}

fn explicit(g: &Admg, x: NodeId, y: NodeId, names: &[String]) -> Result<NodeSet, GraphError> {
    let mut set = NodeSet::default();
    for name in names {
        let v = g.require(name)?;
        if v == x || v == y {
            let role = if v == x { "treatment" } else { "outcome" };
            return Err(GraphError::AdjustsForEndpoint { node: name.clone(), role });
        }
        set.insert(v);
    }
    Ok(set)
}

/// The error for "no valid adjustment set", saying why and what works instead.
fn no_valid_set(g: &Admg, x: NodeId, y: NodeId, front_door: Option<&NodeSet>, id: &Result<Expr, Hedge>) -> GraphError {
    let (tn, yn) = (g.name(x), g.name(y));
    let reason = if g.siblings(x).contains(&y) {
        format!("`{tn}` and `{yn}` share an unobserved confounder (`{tn} <-> {yn}`)")
    } else {
        format!(
            "every backdoor path from `{tn}` to `{yn}` stays open whatever observed pre-treatment covariates are adjusted for"
        )
    };
    let alternative = match (front_door, id) {
        (Some(z), _) => format!(
            "the front-door criterion identifies it through {{{}}}: use a front-door estimator",
            g.sorted_names(z).join(", ")
        ),
        (None, Ok(e)) => {
            format!(
                "the ID algorithm identifies it as P({yn} | do({tn})) = {e}, which adjustment-based estimators cannot use"
            )
        }
        (None, Err(h)) => format!(
            "the effect is not identifiable at all (hedge F = {{{}}}, F' = {{{}}})",
            h.f.join(", "),
            h.f_prime.join(", ")
        ),
    };
    GraphError::NoAdjustmentSet { treatment: tn.to_string(), outcome: yn.to_string(), reason, alternative }
}

fn braces(names: &[String]) -> String {
    format!("{{{}}}", names.join(", "))
}

impl fmt::Display for Identification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (x, y) = (&self.treatment, &self.outcome);
        writeln!(f, "effect of `{x}` on `{y}`")?;
        writeln!(f, "  backdoor adjustment sets:")?;
        if self.minimal_sets.is_empty() {
            writeln!(f, "    none: no set of observed covariates satisfies the backdoor criterion")?;
        } else {
            let sets: Vec<String> = self.minimal_sets.iter().map(|s| braces(s)).collect();
            let more = if self.minimal_sets_truncated { ", ... (listing stopped)" } else { "" };
            writeln!(f, "    minimal: {}{more}", sets.join(", "))?;
        }
        if let Some(o) = &self.optimal_set {
            let note =
                if self.optimal_guaranteed { "" } else { " (valid; optimality not guaranteed with `<->` edges)" };
            writeln!(f, "    optimal (O-set): {}{note}", braces(o))?;
        }
        let validity = if self.pre_treatment_valid { "valid" } else { "NOT valid" };
        writeln!(f, "    all pre-treatment covariates: {} ({validity})", braces(&self.pre_treatment))?;
        match &self.front_door {
            Some(z) => writeln!(f, "  front-door set: {}", braces(z))?,
            None => writeln!(f, "  front-door set: none")?,
        }
        match &self.id {
            IdResult::Identified { formula, .. } => writeln!(f, "  ID formula: P({y} | do({x})) = {formula}")?,
            IdResult::NotIdentifiable { hedge } => writeln!(
                f,
                "  ID formula: not identifiable; hedge F = {}, F' = {}",
                braces(&hedge.f),
                braces(&hedge.f_prime)
            )?,
        }
        let strategy = self.strategy.label();
        match &self.method {
            Method::Adjustment { covariates, valid: true } => {
                writeln!(f, "  estimators use: adjustment for {} (adjust: {strategy})", braces(covariates))
            }
            Method::Adjustment { covariates, valid: false } => writeln!(
                f,
                "  estimators use: adjustment for {} (adjust: {strategy}); WARNING: not a valid adjustment set, estimates will be biased",
                braces(covariates)
            ),
            Method::FrontDoor { mediators } => writeln!(
                f,
                "  estimators use: front-door through {}; adjustment-based estimators refuse (no valid adjustment set)",
                braces(mediators)
            ),
            Method::IdFormula => writeln!(
                f,
                "  estimators use: none; only the ID formula identifies the effect, adjustment-based estimators refuse"
            ),
            Method::NotIdentifiable => writeln!(f, "  estimators use: none; the effect is not identifiable"),
        }
    }
}
