//! RMSN's training loop, as CT's Lightning `Trainer` runs each of its four
//! networks: a fixed number of epochs over the shuffled rows with the last
//! incomplete minibatch dropped, Adam, the whole gradient's L2 norm clipped to
//! `max_grad_norm` before every step (`gradient_clip_val`, PyTorch's
//! `clip_grad_norm_`), and fresh variational dropout masks for every
//! minibatch. The last parameters are kept (CT has no early stopping here).

use rand::seq::SliceRandom;
use tch::nn::{self, OptimizerConfig};

use super::data::Sequences;
use super::net::{Net, Target};
use super::params::NetParams;
use crate::estimate::EstimateError;
use crate::rng::RunRng;

/// What training reports for the diagnostics.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Report {
    /// Mean training loss over the last epoch's minibatches.
    pub train_loss: f64,
    /// On the validation rows, unweighted: the mean binary cross-entropy
    /// (propensity networks) or the root mean squared error in standard
    /// deviations of the outcome; NaN without validation rows.
    pub validation: f64,
}

/// Rows per evaluation pass (bounds memory, not the result).
const EVAL_ROWS: usize = 1024;

/// `name`: the network, for messages.
#[allow(clippy::too_many_arguments)]
pub(super) fn train(
    kind: &str,
    name: &str,
    net: &Net,
    train: &Sequences,
    validation: &Sequences,
    p: &NetParams,
    epochs: usize,
    rng: &mut RunRng,
) -> Result<Report, EstimateError> {
    let failed = |m: String| EstimateError::failed(kind, format!("{name}: {m}"));
    let device = net.vs.device();
    let mut opt = nn::Adam::default().build(&net.vs, p.lr).map_err(|e| failed(e.to_string()))?;
    let rows = train.rows();
    if rows == 0 {
        return Err(failed("no training rows".into()));
    }
    // A batch larger than the data is cut to the data, so that a small panel still trains.
    let batch = p.batch.min(rows);
    let mut order: Vec<usize> = (0..rows).collect();
    let mut train_loss = f64::NAN;
    for epoch in 0..epochs {
        order.shuffle(rng);
        let (mut sum, mut steps) = (0.0, 0usize);
        for chunk in order.chunks_exact(batch) {
            let masks = net.masks(chunk.len(), p.dropout, rng);
            let losses = net.losses(&train.batch(chunk, device), masks.as_deref());
            let value = losses.total.double_value(&[]);
            if !value.is_finite() {
                return Err(failed(format!("training diverged in epoch {} (the loss is {value})", epoch + 1)));
            }
            opt.backward_step_clip_norm(&losses.total, p.max_grad_norm);
            sum += value;
            steps += 1;
        }
        train_loss = sum / steps as f64;
    }
    Ok(Report { train_loss, validation: evaluate(net, validation) })
}

/// The unweighted error over every active position of `rows`, without dropout
/// (see [`Report::validation`]).
pub(super) fn evaluate(net: &Net, rows: &Sequences) -> f64 {
    let all: Vec<usize> = (0..rows.rows()).collect();
    let (mut sum, mut count) = (0.0, 0.0);
    tch::no_grad(|| {
        for chunk in all.chunks(EVAL_ROWS) {
            let batch = rows.batch(chunk, net.vs.device());
            sum += net.losses(&batch, None).sum.double_value(&[]);
            count += batch.count;
        }
    });
    match net.target {
        Target::Treatment => sum / count,
        Target::Outcome => (sum / count).sqrt(),
    }
}
