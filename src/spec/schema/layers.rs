//! The layer language and the encoder of structured covariates in the
//! experiment schema (`estimate::neural::layers` and `encoder`), apart from the
//! rest because the layer kinds grow with the architectures.

use serde_json::{Value, json};

use super::{MAX_UNITS, Mode, described, object, one_of_names, string};
use crate::estimate::neural::{ACTIVATIONS, MAX_WINDOW};

/// A layer list: `representation`, `head`, `layers` and `encoder.layers`.
pub(super) fn layers() -> Value {
    let units = json!({ "type": "integer", "minimum": 1, "maximum": MAX_UNITS });
    let window = |min: u64| json!({ "type": "integer", "minimum": min, "maximum": MAX_WINDOW });
    let activation = |default: &str| {
        let mut a = one_of_names(ACTIVATIONS);
        a["default"] = json!(default);
        a
    };
    let conv = |key: &str| {
        object(
            vec![
                (key, described(window(1), "filters (output channels)")),
                ("kernel", described(with_default(window(1), 3), "window length (a square for conv2d)")),
                ("stride", with_default(window(1), 1)),
                ("padding", described(with_default(window(0), 0), "zeros added on each side")),
                ("activation", activation("relu")),
            ],
            &[key],
            Mode::Full,
        )
    };
    let recurrent = |key: &str| {
        object(
            vec![
                (key, described(units.clone(), "hidden units per direction")),
                ("layers", with_default(window(1), 1)),
                ("bidirectional", json!({ "type": "boolean", "default": false })),
                (
                    "output",
                    described(
                        json!({ "type": "string", "enum": ["last", "mean"], "default": "last" }),
                        "the last step's state, or the mean of the states over the steps",
                    ),
                ),
            ],
            &[key],
            Mode::Full,
        )
    };
    let single = |key: &str, v: Value, text: &str| described(object(vec![(key, v)], &[key], Mode::Full), text);
    let layer = json!({ "anyOf": [
        described(units.clone(), "a dense ELU layer of this many units"),
        { "const": "layer_norm" },
        object(vec![("dense", units.clone()), ("activation", activation("elu"))], &["dense"], Mode::Full),
        object(vec![("dropout", json!({ "type": "number", "minimum": 0, "exclusiveMaximum": 1 }))], &["dropout"], Mode::Full),
        object(vec![("layer_norm", json!({ "const": true }))], &["layer_norm"], Mode::Full),
        described(json!({ "const": "flatten" }), "a sequence or an image as one vector"),
        described(conv("conv1d"), "convolution over a sequence's steps"),
        described(conv("conv2d"), "convolution over an image's pixels"),
        single("max_pool", window(1), "maximum over non-overlapping windows of this size"),
        single("avg_pool", window(1), "mean over non-overlapping windows of this size"),
        described(recurrent("gru"), "a GRU stack over a sequence; its output is a vector"),
        described(recurrent("lstm"), "an LSTM stack over a sequence; its output is a vector"),
        single("flatten", json!({ "const": true }), "a sequence or an image as one vector"),
    ]});
    described(
        json!({ "type": "array", "items": layer }),
        "layers, e.g. `[200, 200, 200]` or `[{dense: 64, activation: relu}, {dropout: 0.1}]`; sequences and images under `encoder.layers`",
    )
}

fn with_default(mut schema: Value, default: u64) -> Value {
    schema["default"] = json!(default);
    schema
}

/// `encoder:` of a neural kind.
pub(super) fn encoder() -> Value {
    let dim = json!({ "type": "integer", "minimum": 1 });
    let columns = json!({ "anyOf": [
        described(json!({ "type": "array", "minItems": 1, "items": string() }), "these covariates, in this order"),
        described(
            object(vec![("prefix", string())], &["prefix"], Mode::Full),
            "every covariate named prefix + a number, in the order of the numbers",
        ),
        described(
            object(vec![("sequence", string())], &["sequence"], Mode::Full),
            "the steps name[1], name[2], ... of a sequence node, in step order",
        ),
    ]});
    described(
        object(
            vec![
                ("columns", columns),
                (
                    "shape",
                    described(
                        json!({ "type": "array", "items": dim, "minItems": 2, "maxItems": 3 }),
                        "[channels, steps] or [channels, height, width]; columns fill it channel-major",
                    ),
                ),
                ("layers", json!({ "$ref": "#/definitions/layers" })),
            ],
            &["columns", "shape", "layers"],
            Mode::Full,
        ),
        "an encoder of sequence or image covariates; its output joins the other covariates before the first layer",
    )
}
