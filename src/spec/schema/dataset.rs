//! The `dataset` part of the experiment schema: its four sources (`simulate`,
//! `builtin`, `file`, `npz`) and their keys, apart from the rest of the schema
//! because the sources grow with every data format.

use serde_json::{Value, json};

use super::{Mode, described, exactly_one, nullable, object, one_of_names, quantity, rows, string, strings};
use crate::bytes::bytes_text;
use crate::data::{BUILTIN_NAMES, NPZ_ROLES, PANEL_BUILTINS};
use crate::spec::datapath::{DATA_DIR_ENV, DATA_DIR_PREFIX, REPLICATION};
use crate::spec::size::{DATA_COPIES, DEFAULT_MAX_RUN_MEMORY, MAX_ROWS};
use crate::spec::validate::{MAX_PANEL_STEPS, MAX_PANEL_UNITS};

pub(super) fn dataset(mode: Mode) -> Value {
    let sources = ["simulate", "builtin", "file", "npz"];
    let mut schema = object(
        vec![
            (
                "simulate",
                described(nullable(simulate(mode)), "a structural causal model, sampled afresh per replication"),
            ),
            ("builtin", described(nullable(builtin(mode)), "a dataset of datasets/manifest.yaml")),
            (
                "file",
                described(
                    nullable(file(mode)),
                    "a CSV file (with a header row, or with `columns`), optionally with its ground truth",
                ),
            ),
            ("npz", described(nullable(npz(mode)), "numpy archives in cfrnet's layout (x, t, yf, ycf, mu0, mu1, e)")),
        ],
        &[],
        mode,
    );
    if mode == Mode::Full {
        schema["oneOf"] = exactly_one(&sources);
    }
    schema
}

fn simulate(mode: Mode) -> Value {
    let mut equations = json!({
        "type": "object",
        "additionalProperties": described(json!({ "type": ["string", "number"] }), "an expression; parents are the variables it names"),
        "description": "node -> right-hand side, e.g. `y: 1 + 2 * t + 3 * x + normal(0, 1)`; a key `name[T]` declares a sequence of T steps (2 to 10000), its equation read at each step t, with `x[t-k]` a lag, `x[k]` a step and `last`, `first`, `mean`, `slope`, `peak`, `trough`, `crossed(x, c)` summaries",
    });
    if mode == Mode::Full {
        equations["minProperties"] = json!(1);
    }
    object(
        vec![
            (
                "n",
                described(
                    rows(),
                    &format!(
                        "rows per replication: a whole number from 1 to {MAX_ROWS}, or a `$param`; `causeway check` also refuses \
                         rows whose run would hold more than {} (rows x (variables + 2) x 8 bytes x {DATA_COPIES} copies) unless \
                         `--max-run-memory` raises the limit",
                        bytes_text(DEFAULT_MAX_RUN_MEMORY)
                    ),
                ),
            ),
            ("equations", equations),
            ("treatment", described(string(), "the 0/1 treatment node (draw it with bernoulli(p))")),
            ("outcome", described(string(), "the outcome node")),
            (
                "missing",
                described(nullable(missing(mode)), "`{ mcar: RATE }` or `{ mar: { driver: NODE, rate: RATE } }`"),
            ),
        ],
        &["n", "equations", "treatment", "outcome"],
        mode,
    )
}

fn missing(mode: Mode) -> Value {
    let mar = object(vec![("driver", string()), ("rate", quantity())], &["driver", "rate"], mode);
    let mut schema = object(vec![("mcar", nullable(quantity())), ("mar", nullable(mar))], &[], mode);
    if mode == Mode::Full {
        schema["oneOf"] = exactly_one(&["mcar", "mar"]);
    }
    schema
}

fn builtin(mode: Mode) -> Value {
    let mut schema = object(
        vec![
            ("name", one_of_names(&BUILTIN_NAMES.iter().chain(&PANEL_BUILTINS).copied().collect::<Vec<_>>())),
            ("surface", described(nullable(string()), "IHDP response surface, `A` or `B`")),
            (
                "instance",
                described(
                    nullable(json!({ "type": "integer", "minimum": 0, "maximum": u32::MAX })),
                    "the replication (IHDP) or instance (ACIC)",
                ),
            ),
            (
                "confounding",
                described(
                    nullable(quantity()),
                    "MNIST design: how strongly the digit's class drives treatment (default 1; 0 is randomized)",
                ),
            ),
            (
                "gamma",
                described(
                    nullable(quantity()),
                    "tumour-growth (required there): the policy's confounding strength γ (0 is randomized; the papers sweep 0..4)",
                ),
            ),
            (
                "patients",
                described(
                    nullable(object(
                        ["train", "validation", "test"]
                            .map(|k| (k, json!({ "type": "integer", "minimum": 0, "maximum": MAX_PANEL_UNITS })))
                            .to_vec(),
                        &["train", "validation", "test"],
                        mode,
                    )),
                    "tumour-growth (required there): patients simulated in each fold (the papers: 10000/1000/1000)",
                ),
            ),
            (
                "steps",
                described(
                    nullable(json!({ "type": "integer", "minimum": 2, "maximum": MAX_PANEL_STEPS })),
                    "tumour-growth: daily treatment steps per patient (default 60)",
                ),
            ),
            (
                "test_policy",
                described(
                    nullable(json!({ "enum": crate::data::tumour::TestPolicy::ALL.map(|(n, _)| n) })),
                    "tumour-growth: what the test patients' treatment policy reads: `own` (default) or `reference_rows`, the Causal Transformer's published test sets",
                ),
            ),
        ],
        &["name"],
        mode,
    );
    // The panel simulator's required keys.
    if mode == Mode::Full {
        schema["if"] = json!({ "properties": { "name": { "enum": PANEL_BUILTINS } } });
        schema["then"] = json!({ "required": ["gamma", "patients"] });
    }
    schema
}

/// A data file's path: relative to the experiment file, or `$DATA_DIR/...`.
fn data_path(text: &str) -> Value {
    described(
        string(),
        &format!(
            "{text}: relative to the experiment file, or `{DATA_DIR_PREFIX}NAME` under `--data-dir` (or ${DATA_DIR_ENV})"
        ),
    )
}

fn file(mode: Mode) -> Value {
    let mut truth = object(
        vec![
            ("mu0", described(nullable(string()), "the column of the noiseless outcome under control (with `mu1`)")),
            ("mu1", described(nullable(string()), "the column of the noiseless outcome under treatment (with `mu0`)")),
            ("y_cf", described(nullable(string()), "the column of the counterfactual outcome")),
            ("ite", described(nullable(string()), "the column of the individual effect")),
        ],
        &[],
        mode,
    );
    if mode == Mode::Full {
        truth["oneOf"] = json!([
            { "required": ["mu0", "mu1"], "properties": { "y_cf": { "type": "null" }, "ite": { "type": "null" } } },
            { "required": ["y_cf"], "properties": { "mu0": { "type": "null" }, "mu1": { "type": "null" }, "ite": { "type": "null" } } },
            { "required": ["ite"], "properties": { "mu0": { "type": "null" }, "mu1": { "type": "null" }, "y_cf": { "type": "null" } } },
        ]);
    }
    object(
        vec![
            (
                "path",
                data_path(&format!(
                    "the CSV file; `{REPLICATION}` in the name gives replication k the file numbered k (from 1)"
                )),
            ),
            ("treatment", string()),
            ("outcome", string()),
            (
                "covariates",
                described(
                    nullable(strings()),
                    "default: every other column but the truth; a range `x1..x25` names x1 to x25",
                ),
            ),
            (
                "columns",
                described(
                    nullable(strings()),
                    "the names of a header-less file's fields, in order; a range `x1..x25` names x1 to x25",
                ),
            ),
            (
                "truth",
                described(
                    nullable(truth),
                    "the file's ground truth: `{ mu0, mu1 }`, `{ y_cf }` or `{ ite }` (column names; never covariates)",
                ),
            ),
            (
                "unit",
                described(nullable(string()), "the column of unit ids (never a covariate); needed by `sequences`"),
            ),
            ("sequences", described(nullable(sequences(mode)), "sequence covariates from a long-format CSV")),
        ],
        &["path", "treatment", "outcome"],
        mode,
    )
}

/// `dataset.file.sequences`: a long-format CSV, one row per unit and step.
fn sequences(mode: Mode) -> Value {
    object(
        vec![
            ("path", data_path("the long-format CSV: one row per unit and step")),
            ("unit", described(string(), "its column of unit ids, matched to the unit table's `unit` column")),
            ("step", described(string(), "its column of step numbers, 1 to `length`")),
            (
                "columns",
                described(
                    json!({ "type": "array", "minItems": 1, "items": string() }),
                    "value columns; each becomes a sequence name[1..length]",
                ),
            ),
            (
                "length",
                described(json!({ "type": "integer", "minimum": 2, "maximum": 10000 }), "the number of steps T"),
            ),
            (
                "pad",
                described(
                    nullable(json!({ "type": "number" })),
                    "the value of absent steps; without it ragged lengths and gaps are refused",
                ),
            ),
            (
                "mask",
                described(
                    nullable(string()),
                    "the name of a 0/1 sequence marking observed (1) and padded (0) steps; only with `pad`",
                ),
            ),
        ],
        &["path", "unit", "step", "columns", "length"],
        mode,
    )
}

fn npz(mode: Mode) -> Value {
    let roles: Vec<(&str, Value)> = NPZ_ROLES.iter().map(|r| (*r, string())).collect();
    object(
        vec![
            (
                "path",
                data_path("the archive (the training archive where `test` is given); a third axis of replications"),
            ),
            (
                "test",
                described(nullable(data_path("the test archive")), "its rows are the out-of-sample rows, as in cfrnet"),
            ),
            (
                "arrays",
                described(
                    object(roles, &[], Mode::Full),
                    "role -> array name, where the archive does not use cfrnet's names",
                ),
            ),
        ],
        &["path"],
        mode,
    )
}
