//! RMSN's network, the same for all four roles (CT's `RMSN._init_specific`):
//! a variational LSTM (the project's `Recurrent`) and one linear read-out of
//! its output; the decoder adds a linear memory adapter from the encoder's
//! representation to its LSTM's initial state. The propensity networks read
//! out treatment logits (binary cross-entropy per component, averaged), the
//! encoder and the decoder the standardised outcome (squared error times the
//! stabilized weight).

use tch::{Kind, Reduction, Tensor, nn};

use super::data::Batch;
use crate::estimate::neural::crn::net::Linear;
use crate::estimate::neural::layers::{Cell, Readout};
use crate::estimate::neural::recurrent::{Recurrent, StepMasks};
use crate::rng::RunRng;

/// What a network learns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// Binary treatment components, from logits.
    Treatment,
    /// The outcome, with the rows' sample weights.
    Outcome,
}

/// The sizes and role of one network.
pub(super) struct Shape {
    pub inputs: usize,
    pub hidden: usize,
    pub layers: usize,
    pub outputs: usize,
    /// The width of the representation the LSTM starts from (the decoder), if any.
    pub memory: Option<usize>,
    pub target: Target,
}

pub(super) struct Net {
    pub vs: nn::VarStore,
    adapter: Option<Linear>,
    lstm: Recurrent,
    out: Linear,
    pub target: Target,
}

/// What one forward pass over a batch gives.
pub(super) struct Losses {
    /// The training loss, averaged over the active positions (CT's).
    pub total: Tensor,
    /// The unweighted sum over the active positions of the binary cross-entropy
    /// (treatment) or of the squared error (outcome), for evaluation.
    pub sum: Tensor,
}

impl Net {
    /// CT's order of initialisation: the adapter, the LSTM, the read-out.
    pub fn new(s: &Shape, device: tch::Device, rng: &mut RunRng) -> Result<Net, String> {
        let vs = nn::VarStore::new(device);
        let root = vs.root();
        let adapter = s.memory.map(|m| Linear::new(&(&root / "adapter"), m, s.hidden, rng)).transpose()?;
        let lstm =
            Recurrent::new(&(&root / "lstm"), Cell::Lstm, s.inputs, s.hidden, s.layers, false, Readout::Last, rng)?;
        let out = Linear::new(&(&root / "out"), s.hidden, s.outputs, rng)?;
        Ok(Net { vs, adapter, lstm, out, target: s.target })
    }

    /// The LSTM's output at every position of `x` `[n, steps, inputs]`, from
    /// `memory` `[n, m]` through the adapter where the network has one.
    pub fn states(&self, x: &Tensor, memory: Option<&Tensor>, masks: Option<&[StepMasks]>) -> Tensor {
        let init = self.adapter.as_ref().zip(memory).map(|(a, m)| a.forward(m));
        self.lstm.states(x, init.as_ref(), masks)
    }

    /// The read-out (logits or standardised outcome) of LSTM outputs.
    pub fn read(&self, states: &Tensor) -> Tensor {
        self.out.forward(states)
    }

    pub fn losses(&self, batch: &Batch, masks: Option<&[StepMasks]>) -> Losses {
        let pred = self.read(&self.states(&batch.x, batch.init.as_ref(), masks));
        let per = match self.target {
            Target::Treatment => pred
                .binary_cross_entropy_with_logits::<Tensor>(&batch.y, None, None, Reduction::None)
                .mean_dim(-1, false, Kind::Float),
            Target::Outcome => (pred - &batch.y).square().squeeze_dim(-1),
        };
        let masked = per * &batch.mask;
        let sum = masked.sum(Kind::Float);
        let total = match self.target {
            Target::Treatment => &sum / batch.count,
            Target::Outcome => (masked * &batch.weight).sum(Kind::Float) / batch.count,
        };
        Losses { total, sum }
    }

    /// Variational dropout masks for a batch of `n` rows (`Recurrent::masks`).
    pub fn masks(&self, n: usize, rate: f64, rng: &mut RunRng) -> Option<Vec<StepMasks>> {
        self.lstm.masks(n, rate, self.vs.device(), rng)
    }

    /// The LSTM's state to start a rollout: zeros, or the adapted `memory` `[n, m]`.
    pub fn start(&self, n: usize, memory: Option<&Tensor>) -> Vec<(Tensor, Tensor)> {
        let init = match self.adapter.as_ref().zip(memory) {
            Some((a, m)) => a.forward(m),
            None => Tensor::zeros([n as i64, self.lstm.units() as i64], (Kind::Float, self.vs.device())),
        };
        self.lstm.start(&init)
    }

    /// One rollout step: the LSTM's output after reading `x` `[n, inputs]`.
    pub fn advance(&self, x: &Tensor, state: &mut [(Tensor, Tensor)]) -> Tensor {
        self.lstm.advance(x, state)
    }
}
