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
                let steps = seq.size()[1];
                let mut acc = seq.select(1, 0);
                for t in 1..steps {
                    // Out of place on purpose: `+=` on a tensor is `add_`, which would write
                    // into the view `acc` starts as, and autograd needs the inputs intact.
                    #[allow(clippy::assign_op_pattern)]
                    {
                        acc = acc + seq.select(1, t);
                    }
                }
                acc / steps as f64
            }
        }
    }

    /// One direction over `[n, steps, in]`: every step's state `[n, steps, units]`
    /// (in the input's order) and the state after the last step it read.
    fn run(&self, dir: &Direction, seq: &Tensor, backward: bool) -> (Tensor, Tensor) {
        let (n, steps) = (seq.size()[0], seq.size()[1]);
        let h0 = Tensor::zeros([n, self.units], (Kind::Float, seq.device()));
        let gx = Self::input_gates(dir, seq);
        let (mut h, mut c) = (h0.shallow_clone(), h0);
        let mut states: Vec<Tensor> = (0..steps).map(|_| Tensor::new()).collect();
        let order: Vec<i64> = if backward { (0..steps).rev().collect() } else { (0..steps).collect() };
        for t in order {
            (h, c) = self.cell(dir, &gx.select(1, t), &h, &c);
            states[t as usize] = h.shallow_clone();
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
mod tests {
    use super::*;
    use rand::{Rng, RngCore, SeedableRng};
    use tch::Device;

    /// The integer rule keeps exactly the units that `random::<f64>() < keep`
    /// keeps, draw for draw, at the dropout rates CRN uses and at edges where
    /// `keep · 2^53` is a whole number.
    #[test]
    fn the_integer_keep_rule_is_the_float_comparison() {
        for keep in [0.9, 0.8, 0.5, 0.75, 1.0 - 0.37, 1.0] {
            let below = keep_threshold(keep);
            let (mut a, mut b) = (RunRng::seed_from_u64(7), RunRng::seed_from_u64(7));
            for _ in 0..20_000 {
                assert_eq!(a.random::<f64>() < keep, b.next_u64() >> 11 < below, "keep {keep}");
            }
            // The boundary itself: the largest kept 53-bit value and the smallest dropped one.
            if below > 0 {
                assert!(((below - 1) as f64 / (1u64 << 53) as f64) < keep);
            }
            if below < 1 << 53 {
                assert!((below as f64 / (1u64 << 53) as f64) >= keep);
            }
        }
    }

    fn ramp(shape: &[i64]) -> Tensor {
        let n: i64 = shape.iter().product();
        Tensor::from_slice(&(0..n).map(|i| ((i * 41 % 29) as f32 - 14.0) / 9.0).collect::<Vec<_>>()).view(shape)
    }

    /// `states` cuts the input gates with `unbind` (one backward operation) where
    /// it once took a `select` per step (a zeroed full-size gradient per step,
    /// summed): the outputs and every weight's gradient are the same bits, with
    /// an initial state and dropout masks, over two layers.
    #[test]
    fn states_by_unbind_has_the_gradients_of_a_select_per_step() {
        crate::estimate::init_thread();
        let vs = nn::VarStore::new(Device::Cpu);
        let r = Recurrent::new(&vs.root(), Cell::Lstm, 3, 5, 2, false, Readout::Last, &mut RunRng::seed_from_u64(5))
            .unwrap();
        let x = ramp(&[4, 7, 3]); // [n, steps, in]
        let init = ramp(&[4, 5]) / 3.0;
        let mask = |seed: i64| ramp(&[4, 5]).fmod(0.7).abs() * (1.0 + seed as f64 / 8.0);
        let masks: Vec<StepMasks> =
            (0..2).map(|l| StepMasks { out: mask(3 * l), h: mask(3 * l + 1), c: mask(3 * l + 2) }).collect();
        // The former loop, written out: a `select` per step.
        let by_select = || {
            let mut seq = x.shallow_clone();
            for (l, layer) in r.stack.iter().enumerate() {
                let gx = Recurrent::input_gates(&layer[0], &seq);
                let (mut h, mut c) = (init.shallow_clone(), init.shallow_clone());
                let mut outs = Vec::new();
                for t in 0..7 {
                    (h, c) = r.cell(&layer[0], &gx.select(1, t), &h, &c);
                    outs.push(&h * &masks[l].out);
                    // Out of place, as `states` does (autograd keeps the inputs).
                    #[allow(clippy::assign_op_pattern)]
                    {
                        h = h * &masks[l].h;
                        c = c * &masks[l].c;
                    }
                }
                seq = Tensor::stack(&outs, 1);
            }
            seq
        };
        let grads = |out: Tensor| {
            let weights = r.weights();
            for w in &weights {
                let mut g = w.grad();
                if g.defined() {
                    let _ = g.zero_();
                }
            }
            // A loss that weighs every position differently.
            (&out * ramp(&out.size())).sum(Kind::Float).backward();
            let mut all = Vec::<f32>::try_from(out.detach().flatten(0, -1)).unwrap();
            for w in weights {
                all.extend(Vec::<f32>::try_from(w.grad().flatten(0, -1)).unwrap());
            }
            all.into_iter().map(f32::to_bits).collect::<Vec<_>>()
        };
        let want = grads(by_select());
        let got = grads(r.states(&x, Some(&init), Some(&masks)));
        assert_eq!(got.len(), want.len());
        assert!(got == want, "outputs or gradients differ");
    }

    /// Our cells compute what libtorch's `gru` and `lstm` compute (to rounding),
    /// two layers, both directions, from the same weights.
    #[test]
    fn agrees_with_libtorch_rnns() {
        crate::estimate::init_thread();
        let x = ramp(&[3, 2, 6]); // [n, channels, steps]
        // One channel: the input weights are still a matrix.
        let vs = nn::VarStore::new(Device::Cpu);
        let one = Recurrent::new(&vs.root(), Cell::Gru, 1, 4, 1, false, Readout::Last, &mut RunRng::seed_from_u64(1));
        assert_eq!(one.unwrap().forward(&x.narrow(1, 0, 1)).size(), vec![3, 4]);
        for cell in [Cell::Gru, Cell::Lstm] {
            let vs = nn::VarStore::new(Device::Cpu);
            let r =
                Recurrent::new(&vs.root(), cell, 2, 4, 2, true, Readout::Mean, &mut RunRng::seed_from_u64(3)).unwrap();
            let ours = r.forward(&x);
            // libtorch wants, per layer and direction, w_ih [g·h, in], w_hh [g·h, h], b_ih, b_hh.
            let params: Vec<Tensor> = r
                .weights()
                .into_iter()
                .map(|w| if w.dim() == 2 { w.transpose(0, 1).contiguous() } else { w.shallow_clone() })
                .collect();
            let input = x.transpose(1, 2); // batch first: [n, steps, channels]
            let out = match cell {
                Cell::Gru => {
                    input
                        .gru(
                            &Tensor::zeros([4, 3, 4], (Kind::Float, Device::Cpu)),
                            &params,
                            true,
                            2,
                            0.0,
                            false,
                            true,
                            true,
                        )
                        .0
                }
                Cell::Lstm => {
                    let z = Tensor::zeros([4, 3, 4], (Kind::Float, Device::Cpu));
                    input.lstm(&[&z, &z], &params.iter().collect::<Vec<_>>(), true, 2, 0.0, false, true, true).0
                }
            };
            let theirs = out.mean_dim(1, false, Kind::Float);
            let gap = (&ours - &theirs).abs().max().double_value(&[]);
            assert!(gap < 1e-5, "{cell:?}: {gap}");
            // The last-state readout: forward's last step and backward's first.
            let last = Recurrent { output: Readout::Last, ..r };
            let ours = last.forward(&x);
            let want = Tensor::cat(&[out.select(1, 5).narrow(1, 0, 4), out.select(1, 0).narrow(1, 4, 4)], 1);
            assert!((&ours - &want).abs().max().double_value(&[]) < 1e-5);
        }
    }
}
