//! The checked `selection:` section: which criteria choose a configuration
//! among the sweep points of an estimator entry (or of several entries, where
//! `across` groups them), whether the choice is made in each replication or
//! once over all of them (cfrnet's protocol: the criterion averaged over the
//! replications), and the truth metric that scores the choice. Selection reads
//! only what runs stored about their validation rows; what enters run keys is
//! `describe`, the version of that record, so changing the criteria recomputes
//! a table, never a network.

use serde_json::{Value, json};

use crate::estimate::Metric;
use crate::estimate::select::Criterion;

/// When a configuration is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Choose {
    /// In each replication, on its own validation rows.
    EachReplication,
    /// Once, by the criterion averaged over the replications (cfrnet's `evaluate.py`).
    AllReplications,
}

impl Choose {
    pub const NAMES: [&str; 2] = ["each_replication", "all_replications"];

    pub fn name(self) -> &'static str {
        match self {
            Choose::EachReplication => Self::NAMES[0],
            Choose::AllReplications => Self::NAMES[1],
        }
    }

    pub fn from_name(name: &str) -> Option<Choose> {
        [Choose::EachReplication, Choose::AllReplications].into_iter().find(|c| c.name() == name)
    }
}

/// What the experiment's `selection:` asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// The criteria, in `Criterion::ALL` order (default all).
    pub criteria: Vec<Criterion>,
    pub choose: Choose,
    /// Labels of the estimator entries chosen among together, as one group; every
    /// other entry is a group of its own.
    pub across: Vec<String>,
    /// The truth metric the choice and the oracle are scored by (default `pehe_out`).
    pub truth: Metric,
    /// Cross-fitting folds of the nuisance models (default 2, as EconML's `RScorer`).
    pub folds: usize,
}

/// Version of the validation record a run stores for selection (`run::ValidationRecord`).
pub const RECORD_VERSION: u32 = 1;

impl Selection {
    /// What enters the key of every run of an experiment that declares `selection:`:
    /// the record's format, not the criteria, which are computed from it afterwards.
    pub fn describe() -> Value {
        json!({ "validation_record": RECORD_VERSION })
    }

    /// The name of the group an entry's runs are chosen in: `across`'s labels
    /// joined by `+` for its members, the entry's own label otherwise.
    pub fn group_of(&self, label: &str) -> String {
        if self.across.iter().any(|l| l == label) { self.across.join("+") } else { label.to_string() }
    }
}

/// The JSON Schema of `selection:` (for `spec::json_schema`).
pub(super) fn schema() -> Value {
    let criteria: Vec<&str> = Criterion::ALL.iter().map(|c| c.name()).collect();
    let described: Vec<String> = Criterion::ALL.iter().map(|c| format!("{}: {}", c.name(), c.summary())).collect();
    json!({
        "type": "object",
        "additionalProperties": false,
        "description": "choose a configuration among an estimator entry's sweep points by criteria computed on the validation rows only (no test row, no truth), and score the choice against the truth (selection.csv and a section of report.md)",
        "properties": {
            "criteria": {
                "type": "array", "minItems": 1, "uniqueItems": true,
                "items": { "type": "string", "enum": criteria },
                "description": format!("the criteria (default all), each lower-is-better. {}", described.join("; "))
            },
            "choose": {
                "type": "string", "enum": Choose::NAMES, "default": "all_replications",
                "description": "all_replications: one choice by the criterion averaged over replications (cfrnet's protocol); each_replication: a choice per replication"
            },
            "across": {
                "type": "array", "minItems": 2, "uniqueItems": true, "items": { "type": "string" },
                "description": "labels of estimator entries chosen among together (e.g. TARNet against CFR); other entries are chosen among on their own"
            },
            "truth": {
                "type": "string", "enum": ["pehe_out", "pehe_in", "ate_error", "ate_error_out", "ate_error_in", "att_error", "policy_risk"], "default": "pehe_out",
                "description": "the truth metric that scores the chosen and the oracle-best configuration"
            },
            "folds": { "type": "integer", "minimum": 2, "maximum": 20, "default": 2, "description": "cross-fitting folds of the criteria's nuisance models, fitted on the validation rows" }
        }
    })
}
