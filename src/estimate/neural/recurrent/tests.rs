//! Unit tests of the recurrent layers: the cells against libtorch's, the
//! dropout keep rule, and the step-cutting paths against the select-per-step loops.

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

/// `out`'s bits, then the bits of the gradient of a loss that weighs every
/// position of `out` differently with respect to each of `wrt` in turn. The
/// gradients come straight from autograd, not accumulated into `.grad` (which
/// adds them to zeros and so would turn a −0 into +0): every bit, zero signs
/// included.
fn output_and_gradients(out: &Tensor, wrt: &[&Tensor]) -> Vec<u32> {
    let loss = (out * ramp(&out.size())).sum(Kind::Float);
    let mut all = Vec::<f32>::try_from(out.detach().flatten(0, -1)).unwrap();
    for g in Tensor::run_backward(&[loss], wrt, false, false) {
        all.extend(Vec::<f32>::try_from(g.flatten(0, -1)).unwrap());
    }
    all.into_iter().map(f32::to_bits).collect()
}

/// `states` cuts the input gates with `unbind` (one backward operation) where
/// it once took a `select` per step (a zeroed full-size gradient per step,
/// summed): the outputs and every weight's gradient are the same bits, with
/// an initial state and dropout masks, over two layers.
#[test]
fn states_by_unbind_has_the_gradients_of_a_select_per_step() {
    crate::estimate::init_thread();
    let vs = nn::VarStore::new(Device::Cpu);
    let r =
        Recurrent::new(&vs.root(), Cell::Lstm, 3, 5, 2, false, Readout::Last, &mut RunRng::seed_from_u64(5)).unwrap();
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
    let want = output_and_gradients(&by_select(), &r.weights());
    let got = output_and_gradients(&r.states(&x, Some(&init), Some(&masks)), &r.weights());
    assert_eq!(got.len(), want.len());
    assert!(got == want, "outputs or gradients differ");
}

/// The former `forward`, written out: the input gates, and the steps for the
/// mean readout, taken by a `select` per step.
fn forward_by_select(r: &Recurrent, x: &Tensor) -> Tensor {
    let mut seq = x.transpose(1, 2).contiguous();
    let mut finals = Vec::new();
    for layer in &r.stack {
        let mut outs = Vec::new();
        finals.clear();
        for (d, dir) in layer.iter().enumerate() {
            let (n, steps) = (seq.size()[0], seq.size()[1]);
            let gx = Recurrent::input_gates(dir, &seq);
            let h0 = Tensor::zeros([n, r.units], (Kind::Float, Device::Cpu));
            let (mut h, mut c) = (h0.shallow_clone(), h0);
            let mut states: Vec<Tensor> = (0..steps).map(|_| Tensor::new()).collect();
            let order: Vec<i64> = if d == 1 { (0..steps).rev().collect() } else { (0..steps).collect() };
            for t in order {
                (h, c) = r.cell(dir, &gx.select(1, t), &h, &c);
                states[t as usize] = h.shallow_clone();
            }
            outs.push(Tensor::stack(&states, 1));
            finals.push(h);
        }
        seq = Tensor::cat(&outs, 2);
    }
    match r.output {
        Readout::Last => Tensor::cat(&finals, 1),
        Readout::Mean => {
            let steps = seq.size()[1];
            let mut acc = seq.select(1, 0);
            for t in 1..steps {
                // Out of place, as `forward` does (autograd keeps the inputs).
                #[allow(clippy::assign_op_pattern)]
                {
                    acc = acc + seq.select(1, t);
                }
            }
            acc / steps as f64
        }
    }
}

/// `run` and the mean readout cut the steps with `unbind` where they once took
/// a `select` per step: the outputs, every weight's gradient and the input's
/// are the same bits, for both cells, one and two directions and both
/// readouts over two layers, at moderate inputs and at inputs large enough to
/// saturate the gates. There some gradients of the input gates are −0, which
/// the sum of `select` gradients turns into +0 and `unbind` keeps; the
/// products and sums that carry them to the weights and the input start from
/// +0, so no gradient that leaves the layer differs.
#[test]
fn forward_by_unbind_has_the_gradients_of_a_select_per_step() {
    crate::estimate::init_thread();
    for cell in [Cell::Gru, Cell::Lstm] {
        for bidirectional in [false, true] {
            for output in [Readout::Last, Readout::Mean] {
                for scale in [1.0, 60.0] {
                    let vs = nn::VarStore::new(Device::Cpu);
                    let mut rng = RunRng::seed_from_u64(11);
                    let r = Recurrent::new(&vs.root(), cell, 3, 5, 2, bidirectional, output, &mut rng).unwrap();
                    let x = (ramp(&[4, 3, 7]) * scale).set_requires_grad(true); // [n, channels, steps]
                    let mut wrt = r.weights();
                    wrt.push(&x);
                    let want = output_and_gradients(&forward_by_select(&r, &x), &wrt);
                    let got = output_and_gradients(&r.forward(&x), &wrt);
                    assert_eq!(got.len(), want.len());
                    let case = format!("{cell:?}, bidirectional {bidirectional}, {output:?}, scale {scale}");
                    assert!(got == want, "{case}: outputs or gradients differ");
                }
            }
        }
    }
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
        let r = Recurrent::new(&vs.root(), cell, 2, 4, 2, true, Readout::Mean, &mut RunRng::seed_from_u64(3)).unwrap();
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

/// Why the tests above compare the gradients that leave the layer, not the
/// input gates' own: those differ between the two cuts, in zero signs only.
/// A step's gate gradient of −0 (an LSTM's forget gate at the first step,
/// where `c` is zero; a saturated gate) stays −0 through `unbind` and becomes
/// +0 in the sum of `select` gradients; every value is the same.
#[test]
fn the_cuts_gate_gradients_differ_in_zero_signs_only() {
    crate::estimate::init_thread();
    let vs = nn::VarStore::new(Device::Cpu);
    let r =
        Recurrent::new(&vs.root(), Cell::Lstm, 3, 5, 1, false, Readout::Last, &mut RunRng::seed_from_u64(11)).unwrap();
    let gx = Recurrent::input_gates(&r.stack[0][0], &ramp(&[4, 7, 3])).detach().set_requires_grad(true);
    let gradient = |steps: Vec<Tensor>| {
        let (mut h, mut c) =
            (Tensor::zeros([4, 5], (Kind::Float, Device::Cpu)), Tensor::zeros([4, 5], (Kind::Float, Device::Cpu)));
        let mut outs = Vec::new();
        for gxt in &steps {
            (h, c) = r.cell(&r.stack[0][0], gxt, &h, &c);
            outs.push(h.shallow_clone());
        }
        let out = Tensor::stack(&outs, 1);
        let g = Tensor::run_backward(&[(&out * ramp(&out.size())).sum(Kind::Float)], &[&gx], false, false);
        Vec::<f32>::try_from(g[0].flatten(0, -1)).unwrap()
    };
    let by_select = gradient((0..7).map(|t| gx.select(1, t)).collect());
    let by_unbind = gradient(gx.unbind(1));
    let negative_zeros = |v: &[f32]| v.iter().filter(|x| x.to_bits() == (-0f32).to_bits()).count();
    assert_eq!(negative_zeros(&by_select), 0);
    assert!(negative_zeros(&by_unbind) > 0);
    assert!(by_select.iter().zip(&by_unbind).all(|(a, b)| a == b), "a value differs");
}
