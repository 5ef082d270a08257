//! GRU and LSTM stacks built from matrix products and element-wise operations,
//! not from libtorch's `gru`/`lstm`.
//!
//! Why: libtorch's CPU LSTM goes through oneDNN when it is on, whose JIT picks
//! kernels by instruction set (the `lstm` digests of
//! ../shared/determinism/FINGERPRINTS.md change with `ONEDNN_MAX_CPU_ISA`
//! and differ between Intel and AMD), and its fused cells may change with a
//! libtorch release. Here each step is two products (our FMA-chain kernel,
//! `numerics::gemm`) and ATen's element-wise sigmoid, tanh, products and sums,
//! which the portable mode pins (ATen at AVX2, vector math in `libm`), so each
//! state has one possible rounding on every processor with AVX2 and FMA.
//!
//! The cells are PyTorch's (`torch.nn.GRU`, `torch.nn.LSTM` documentation):
//! GRU r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(…), n = tanh(W_in x + b_in +
//! r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h; LSTM i, f, g, o gates,
//! c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c'). Initial states are zero.

use tch::{Kind, Tensor, nn};

use super::conv::{uniform_weights, variable};
use super::layers::{Cell, Readout};
use crate::rng::RunRng;

/// The variational dropout masks of one layer, `[n, units]` each, already
/// scaled by `1 / (1 - rate)`: on its output, its carried `h` and its carried `c`.
pub(super) struct StepMasks {
    pub out: Tensor,
    pub h: Tensor,
    pub c: Tensor,
}

/// One direction of one layer: input weights `[in, g·units]`, recurrent
/// weights `[units, g·units]`, g = 3 (GRU) or 4 (LSTM).
struct Direction {
    wi: Tensor,
    wh: Tensor,
    bi: Tensor,
    bh: Tensor,
}

pub(super) struct Recurrent {
    cell: Cell,
    units: i64,
    /// `layers × directions`, layer by layer.
    stack: Vec<Vec<Direction>>,
    output: Readout,
}

impl Recurrent {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        path: &nn::Path,
        cell: Cell,
        channels: usize,
        units: usize,
        layers: usize,
        bidirectional: bool,
        output: Readout,
        rng: &mut RunRng,
    ) -> Result<Recurrent, String> {
        let gates = match cell {
            Cell::Gru => 3,
            Cell::Lstm => 4,
        };
        let directions = if bidirectional { 2 } else { 1 };
        let mut stack = Vec::with_capacity(layers);
        let mut inputs = channels;
        for l in 0..layers {
            let mut dirs = Vec::with_capacity(directions);
            for d in 0..directions {
                let p = path / format!("l{l}d{d}");
                // PyTorch's default: every weight and bias ~ U(-1/sqrt(units), 1/sqrt(units)).
                // `rows` None: a bias, `[g·units]`; Some(r): a matrix `[r, g·units]`.
                let mut draw = |name: &str, rows: Option<usize>| {
                    let width = (gates * units) as i64;
                    let shape: Vec<i64> = rows.map_or(vec![width], |r| vec![r as i64, width]);
                    variable(&p, name, &uniform_weights(units, rows.unwrap_or(1) * gates * units, rng)?, &shape)
                };
                dirs.push(Direction {
                    wi: draw("wi", Some(inputs))?,
                    wh: draw("wh", Some(units))?,
                    bi: draw("bi", None)?,
                    bh: draw("bh", None)?,
                });
            }
            stack.push(dirs);
            inputs = units * directions;
        }
        Ok(Recurrent { cell, units: units as i64, stack, output })
    }

    /// `[n, channels, steps]` to `[n, units · directions]`.
    pub(super) fn forward(&self, x: &Tensor) -> Tensor {
        // Steps first: [n, steps, channels].
        let mut seq = x.transpose(1, 2).contiguous();
        let mut finals = Vec::new();
        for layer in &self.stack {
            let mut outs = Vec::with_capacity(layer.len());
            finals.clear();
            for (d, dir) in layer.iter().enumerate() {
                let (states, last) = self.run(dir, &seq, d == 1);
                outs.push(states);
                finals.push(last);
            }
            seq = Tensor::cat(&outs, 2);
        }
        match self.output {
            Readout::Last => Tensor::cat(&finals, 1),
            Readout::Mean => {
                // The steps cut once (see `run`), then added left to right: the rounding
                // order of the former `select` per step, not `sum`'s reduction order.
                let steps = seq.unbind(1);
                let mut acc = steps[0].shallow_clone();
                for s in &steps[1..] {
                    // Out of place on purpose: `+=` on a tensor is `add_`, which would write
                    // into the view `acc` starts as, and autograd needs the inputs intact.
                    #[allow(clippy::assign_op_pattern)]
                    {
                        acc = acc + s;
                    }
                }
                acc / steps.len() as f64
            }
        }
    }

    /// One direction over `[n, steps, in]`: every step's state `[n, steps, units]`
    /// (in the input's order) and the state after the last step it read.
    fn run(&self, dir: &Direction, seq: &Tensor, backward: bool) -> (Tensor, Tensor) {
        let h0 = Tensor::zeros([seq.size()[0], self.units], (Kind::Float, seq.device()));
        // Cut once, as `states` does: `unbind`'s backward stacks the steps' gradients,
        // where a `select` per step would zero-fill a whole `[n, steps, g·units]`
        // gradient per step and sum them (quadratic in the steps). The gates' gradients
        // differ only in the signs of zeros, which the products and sums that carry
        // them on erase: every gradient that leaves the layer is the same bits (tests).
        let gx = Self::input_gates(dir, seq).unbind(1);
        let (mut h, mut c) = (h0.shallow_clone(), h0);
        let mut states: Vec<Tensor> = gx.iter().map(|_| Tensor::new()).collect();
        let order: Vec<usize> = if backward { (0..gx.len()).rev().collect() } else { (0..gx.len()).collect() };
        for t in order {
            (h, c) = self.cell(dir, &gx[t], &h, &c);
            states[t] = h.shallow_clone();
        }
        (Tensor::stack(&states, 1), h)
    }

    /// The input half of every gate, for every step at once: `[n, steps, g·units]`.
    fn input_gates(dir: &Direction, seq: &Tensor) -> Tensor {
        let (n, steps) = (seq.size()[0], seq.size()[1]);
        (seq.reshape([n * steps, -1]).matmul(&dir.wi) + &dir.bi).view([n, steps, -1])
    }

    /// One step of the cell from the input half of its gates `gxt` `[n, g·units]`
    /// and the previous state; returns the new `(h, c)` (`c` unused by the GRU).
    fn cell(&self, dir: &Direction, gxt: &Tensor, h: &Tensor, c: &Tensor) -> (Tensor, Tensor) {
        let gh = h.matmul(&dir.wh) + &dir.bh;
        match self.cell {
            Cell::Gru => {
                let xi = gxt.chunk(3, 1);
                let hi = gh.chunk(3, 1);
                let r = (&xi[0] + &hi[0]).sigmoid();
                let z = (&xi[1] + &hi[1]).sigmoid();
                let cand = (&xi[2] + r * &hi[2]).tanh();
                ((1f64 - &z) * cand + z * h, c.shallow_clone())
            }
            Cell::Lstm => {
                let g = (gxt + gh).chunk(4, 1);
                let (i, f, cand, o) = (g[0].sigmoid(), g[1].sigmoid(), g[2].tanh(), g[3].sigmoid());
                let c = f * c + i * cand;
                (o * c.tanh(), c)
            }
        }
    }

    /// One item per stacked layer.
    pub(super) fn layers(&self) -> impl Iterator<Item = usize> + '_ {
        0..self.stack.len()
    }

    /// The hidden width of each direction.
    pub(super) fn units(&self) -> usize {
        self.units as usize
    }

    /// Variational dropout masks (out, h, c per layer) for a batch of `n` rows,
    /// drawn from the run's stream; None without dropout.
    pub(super) fn masks(&self, n: usize, rate: f64, device: tch::Device, rng: &mut RunRng) -> Option<Vec<StepMasks>> {
        if rate <= 0.0 {
            return None;
        }
        let units = self.units();
        let keep = 1.0 - rate;
        let scale = (1.0 / keep) as f32;
        let below = keep_threshold(keep);
        let mut buffer = vec![0f32; n * units];
        let mut draw = || {
            for v in buffer.iter_mut() {
                *v = if rand::RngCore::next_u64(rng) >> 11 < below { scale } else { 0.0 };
            }
            Tensor::from_slice(&buffer).view([n as i64, units as i64]).to_device(device)
        };
        Some(self.layers().map(|_| StepMasks { out: draw(), h: draw(), c: draw() }).collect())
    }

    /// A forward (unidirectional) stack over `[n, steps, in]`: the top layer's
    /// output at every step, `[n, steps, units]`. Every layer starts from `init`
    /// (`h = c = init`, `[n, units]`; zeros when None), as CRN's decoder starts from
    /// the encoder's representation. With `masks` (one per layer, while training)
    /// this is a variational LSTM (Gal & Ghahramani, NeurIPS 2016): the same
    /// dropout masks at every step, on the layer's output and on its carried
    /// `h` and `c`.
    pub(super) fn states(&self, seq: &Tensor, init: Option<&Tensor>, masks: Option<&[StepMasks]>) -> Tensor {
        let (n, steps) = (seq.size()[0], seq.size()[1]);
        let mut x = seq.shallow_clone();
        for (l, layer) in self.stack.iter().enumerate() {
            let dir = &layer[0];
            // Every step's input gates as views of one product, cut once: the backward
            // pass of `unbind` stacks the steps' gradients in one operation, where a
            // `select` per step would scatter each into a zeroed copy of the whole
            // `[n, steps, g·units]` product and sum them (quadratic in the steps; the
            // same values, since every element gets one non-zero gradient).
            let gx = Self::input_gates(dir, &x).unbind(1);
            let start =
                init.map_or_else(|| Tensor::zeros([n, self.units], (Kind::Float, seq.device())), |s| s.shallow_clone());
            let (mut h, mut c) = (start.shallow_clone(), start);
            let mut outs = Vec::with_capacity(steps as usize);
            for gxt in &gx {
                (h, c) = self.cell(dir, gxt, &h, &c);
                match masks.map(|m| &m[l]) {
                    // Out of place on purpose: `*=` is `mul_`, which would overwrite
                    // states that autograd saved for the backward pass.
                    #[allow(clippy::assign_op_pattern)]
                    Some(m) => {
                        outs.push(&h * &m.out);
                        h = h * &m.h;
                        c = c * &m.c;
                    }
                    None => outs.push(h.shallow_clone()),
                }
            }
            x = Tensor::stack(&outs, 1);
        }
        x
    }

    /// The initial state of every layer for [`Recurrent::advance`]: `h = c = init`.
    pub(super) fn start(&self, init: &Tensor) -> Vec<(Tensor, Tensor)> {
        self.stack.iter().map(|_| (init.shallow_clone(), init.shallow_clone())).collect()
    }

    /// One step of a forward stack without dropout: `x` `[n, in]` in, the top
    /// layer's output `[n, units]` out, `state` carried (autoregressive rollouts).
    pub(super) fn advance(&self, x: &Tensor, state: &mut [(Tensor, Tensor)]) -> Tensor {
        let mut input = x.shallow_clone();
        for (layer, (h, c)) in self.stack.iter().zip(state.iter_mut()) {
            let dir = &layer[0];
            let gxt = input.matmul(&dir.wi) + &dir.bi;
            (*h, *c) = self.cell(dir, &gxt, h, c);
            input = h.shallow_clone();
        }
        input
    }

    /// Every weight matrix, for tests.
    #[cfg(test)]
    fn weights(&self) -> Vec<&Tensor> {
        self.stack.iter().flatten().flat_map(|d| [&d.wi, &d.wh, &d.bi, &d.bh]).collect()
    }
}

/// A unit is kept when `rng.random::<f64>() < keep`, which is `(u >> 11) · 2^-53`
/// for the stream's next `u64` `u`: both sides scaled by 2^53 (exactly), that is
/// `u >> 11 < keep · 2^53`, and for a whole number the ceiling of the right-hand
/// side. The same draws and the same decisions, without the conversion to f64.
fn keep_threshold(keep: f64) -> u64 {
    (keep * (1u64 << 53) as f64).ceil() as u64
}

#[cfg(test)]
mod tests;
