//! CRN's network: an LSTM (the project's `Recurrent`, run as a variational
//! LSTM), a balancing representation, a treatment classifier behind a
//! gradient-reversal layer and an outcome head (CT's `BRTreatmentOutcomeHead`).
//! The encoder and the decoder are both this network; they differ in their
//! inputs and in where their LSTM state starts.

use tch::{Kind, Tensor, nn};

use super::data::Batch;
use crate::estimate::neural::conv::{uniform_weights, variable};
use crate::estimate::neural::layers::{Cell, Readout};
use crate::estimate::neural::recurrent::{Recurrent, StepMasks};
use crate::rng::RunRng;

/// The identity forward, `−scale ·` the gradient backward (Ganin & Lempitsky,
/// ICML 2015; CT's `grad_reverse`). Written as `d − scale · (x − d)` with `d`
/// the detached input: `x − d` is exactly zero, so the forward value is `x`'s
/// bits, and the only path to `x` carries the factor `−scale`.
pub(super) fn reverse_gradient(x: &Tensor, scale: f64) -> Tensor {
    let d = x.detach();
    &d - (x - &d) * scale
}

/// A dense layer with PyTorch's default initialisation (weights and bias
/// ~ U(±1/sqrt(fan_in)), `nn.Linear`), as CT's heads have.
pub(in crate::estimate::neural) struct Linear {
    w: Tensor,
    b: Tensor,
}

impl Linear {
    pub fn new(path: &nn::Path, inputs: usize, outputs: usize, rng: &mut RunRng) -> Result<Linear, String> {
        let w = variable(
            path,
            "weight",
            &uniform_weights(inputs, inputs * outputs, rng)?,
            &[inputs as i64, outputs as i64],
        )?;
        let b = variable(path, "bias", &uniform_weights(inputs, outputs, rng)?, &[outputs as i64])?;
        Ok(Linear { w, b })
    }

    pub fn forward(&self, x: &Tensor) -> Tensor {
        x.matmul(&self.w) + &self.b
    }
}

/// The sizes of one network.
pub(super) struct Shape {
    pub inputs: usize,
    pub hidden: usize,
    pub layers: usize,
    pub br_size: usize,
    pub fc_hidden: usize,
    pub classes: usize,
}

pub(super) struct Net {
    pub vs: nn::VarStore,
    lstm: Recurrent,
    /// LSTM output to the balancing representation (ELU).
    rep: Linear,
    /// Representation to the treatment classifier's hidden layer (ELU), then to logits.
    treat_hidden: Linear,
    treat_out: Linear,
    /// Representation and current treatment to the outcome's hidden layer (ELU), then to the outcome.
    out_hidden: Linear,
    out: Linear,
    pub br_size: usize,
}

/// What one forward pass over a batch gives.
pub(super) struct Losses {
    /// Cross-entropy of the treatment classifier plus the outcome's squared error,
    /// each averaged over the active positions (CT's training loss).
    pub total: Tensor,
    /// Sum of squared outcome errors over the active positions.
    pub squared_error: Tensor,
}

impl Net {
    pub fn new(shape: &Shape, device: tch::Device, rng: &mut RunRng) -> Result<Net, String> {
        let vs = nn::VarStore::new(device);
        let root = vs.root();
        let s = shape;
        let lstm =
            Recurrent::new(&(&root / "lstm"), Cell::Lstm, s.inputs, s.hidden, s.layers, false, Readout::Last, rng)?;
        let rep = Linear::new(&(&root / "rep"), s.hidden, s.br_size, rng)?;
        let treat_hidden = Linear::new(&(&root / "treat_hidden"), s.br_size, s.fc_hidden, rng)?;
        let treat_out = Linear::new(&(&root / "treat_out"), s.fc_hidden, s.classes, rng)?;
        let out_hidden = Linear::new(&(&root / "out_hidden"), s.br_size + s.classes, s.fc_hidden, rng)?;
        let out = Linear::new(&(&root / "out"), s.fc_hidden, 1, rng)?;
        Ok(Net { vs, lstm, rep, treat_hidden, treat_out, out_hidden, out, br_size: s.br_size })
    }

    /// The balancing representation of LSTM outputs.
    pub fn representation(&self, states: &Tensor) -> Tensor {
        self.rep.forward(states).elu()
    }

    /// Treatment logits from the representation, its gradient reversed by `alpha`.
    pub fn treatment_logits(&self, br: &Tensor, alpha: f64) -> Tensor {
        self.treat_out.forward(&self.treat_hidden.forward(&reverse_gradient(br, alpha)).elu())
    }

    /// The (standardised) outcome given the representation and a one-hot treatment.
    pub fn outcome(&self, br: &Tensor, treatment: &Tensor) -> Tensor {
        self.out.forward(&self.out_hidden.forward(&Tensor::cat(&[br, treatment], -1)).elu())
    }

    /// The representation at every position of `x` `[n, steps, inputs]`.
    pub fn representations(&self, x: &Tensor, init: Option<&Tensor>, masks: Option<&[StepMasks]>) -> Tensor {
        self.representation(&self.lstm.states(x, init, masks))
    }

    pub fn losses(&self, batch: &Batch, alpha: f64, masks: Option<&[StepMasks]>) -> Losses {
        let br = self.representations(&batch.x, batch.init.as_ref(), masks);
        let logits = self.treatment_logits(&br, alpha);
        let cross_entropy =
            -(&batch.treat * logits.log_softmax(-1, Kind::Float)).sum_dim_intlist(-1, false, Kind::Float);
        let y_hat = self.outcome(&br, &batch.treat);
        let squared_error = ((y_hat - &batch.y).square().squeeze_dim(-1) * &batch.mask).sum(Kind::Float);
        let bce = (cross_entropy * &batch.mask).sum(Kind::Float) / batch.count;
        Losses { total: bce + &squared_error / batch.count, squared_error }
    }

    /// Variational dropout masks for a batch of `n` rows (`Recurrent::masks`).
    pub fn masks(&self, n: usize, rate: f64, rng: &mut RunRng) -> Option<Vec<StepMasks>> {
        self.lstm.masks(n, rate, self.vs.device(), rng)
    }

    /// The LSTM's state to start a rollout from `init` `[n, hidden]`.
    pub fn start(&self, init: &Tensor) -> Vec<(Tensor, Tensor)> {
        self.lstm.start(init)
    }

    /// One rollout step: the representation after reading `x` `[n, inputs]`.
    pub fn advance(&self, x: &Tensor, state: &mut [(Tensor, Tensor)]) -> Tensor {
        self.representation(&self.lstm.advance(x, state))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layer passes values through bit for bit and sends back exactly
    /// `−scale` times the gradient: the representation is pushed to make the
    /// treatment classifier worse, by the scheduled amount.
    #[test]
    fn gradient_reversal_reverses_and_scales() {
        let mut x = Tensor::from_slice(&[0.3f32, -1.7, 2.5e-3, 41.0]).set_requires_grad(true);
        for scale in [0.0, 0.37, 1.0] {
            let y = reverse_gradient(&x, scale);
            assert!(y.equal(&x.detach()), "forward changed the values");
            // d/dx of sum(w * y) is w for the identity; the layer must return −scale·w.
            let w = Tensor::from_slice(&[1.0f32, -2.0, 3.0, 0.5]);
            x.zero_grad();
            (&y * &w).sum(Kind::Float).backward();
            let got = Vec::<f32>::try_from(x.grad()).unwrap();
            let want: Vec<f32> = [1.0f32, -2.0, 3.0, 0.5].iter().map(|v| -(scale as f32) * v).collect();
            assert_eq!(got, want, "scale {scale}");
        }
        // The usual identity sends the gradient unchanged: the test can tell them apart.
        let x2 = Tensor::from_slice(&[1.0f32]).set_requires_grad(true);
        (&x2 * 3.0).sum(Kind::Float).backward();
        assert_eq!(Vec::<f32>::try_from(x2.grad()).unwrap(), vec![3.0]);
    }
}
