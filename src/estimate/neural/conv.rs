//! Convolution and pooling built from the operations the portable numeric mode
//! pins (docs/numerics.md), not from libtorch's convolution.
//!
//! Why not `Tensor::conv1d`: libtorch's CPU convolution picks its kernel at run
//! time. With oneDNN on, oneDNN's JIT chooses by instruction set
//! (`ONEDNN_MAX_CPU_ISA` changes the bits, ../shared/determinism/FINGERPRINTS.md:
//! the `conv1d` digest differs between Intel and AMD and between ISA caps); with
//! oneDNN off, ATen's backend selection (`select_conv_backend`) still chooses
//! between slow, depthwise and other kernels by shapes, dtypes and build flags, a
//! choice that a libtorch upgrade may move. Here a convolution is always
//! `unfold` (a strided view: copies, no arithmetic), one matrix product (our
//! FMA-chain kernel, `numerics::gemm`, whose every output is one fixed chain) and a
//! bias add; pooling is an element-wise maximum or a left-to-right sum of the
//! window's slices. Each output element therefore has one possible rounding on
//! every x86-64 processor with AVX2 and FMA. The backward pass is the same
//! products transposed plus ATen's `unfold` backward, an element-wise scatter-add
//! whose order ATen fixes.

use rand_distr::{Distribution, Uniform};
use tch::{Tensor, nn};

use super::layers::{Activation, PoolOp};
use super::mlp::activate;
use crate::rng::RunRng;

/// A convolution's parameters: `w` is `[channels · kernel^dims, filters]`.
pub(super) struct Conv {
    w: Tensor,
    b: Tensor,
    dims: u8,
    kernel: i64,
    stride: i64,
    padding: i64,
    activation: Activation,
}

/// Kaiming-uniform bound 1/sqrt(fan_in), PyTorch's default for convolution and
/// recurrent weights: the dense layers' schemes (cfrnet's 0.1/sqrt(fan_in))
/// are tuned for wide fully connected stacks, not for small kernels.
pub(super) fn uniform_weights(fan_in: usize, n: usize, rng: &mut RunRng) -> Result<Vec<f32>, String> {
    let a = 1.0 / (fan_in.max(1) as f64).sqrt();
    // Invariant: a > 0.
    let dist = Uniform::new(-a, a).expect("positive bound");
    let mut w = Vec::new();
    w.try_reserve_exact(n).map_err(|e| format!("cannot allocate {n} weights: {e}"))?;
    w.extend((0..n).map(|_| dist.sample(rng) as f32));
    Ok(w)
}

pub(super) fn variable(path: &nn::Path, name: &str, values: &[f32], shape: &[i64]) -> Result<Tensor, String> {
    let torch = |e: tch::TchError| format!("libtorch could not allocate a layer: {e}");
    let t = Tensor::f_from_slice(values).and_then(|t| t.f_view(shape)).map_err(torch)?;
    path.f_var_copy(name, &t).map_err(torch)
}

impl Conv {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        path: &nn::Path,
        dims: u8,
        channels: usize,
        filters: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        activation: Activation,
        rng: &mut RunRng,
    ) -> Result<Conv, String> {
        let fan_in = channels * kernel.pow(u32::from(dims));
        let w = variable(
            path,
            "weight",
            &uniform_weights(fan_in, fan_in * filters, rng)?,
            &[fan_in as i64, filters as i64],
        )?;
        let b = variable(path, "bias", &vec![0.0; filters], &[filters as i64])?;
        let [kernel, stride, padding] = [kernel, stride, padding].map(|v| v as i64);
        Ok(Conv { w, b, dims, kernel, stride, padding, activation })
    }

    /// `[n, c, steps]` to `[n, filters, steps']`, or `[n, c, h, w]` to `[n, filters, h', w']`.
    pub(super) fn forward(&self, h: &Tensor) -> Tensor {
        let (k, s, p) = (self.kernel, self.stride, self.padding);
        let n = h.size()[0];
        let filters = self.w.size()[1];
        let out = if self.dims == 1 {
            let h = if p > 0 { h.constant_pad_nd([p, p]) } else { h.shallow_clone() };
            // [n, c, L', k] -> [n, L', c, k] -> rows of c·k.
            let windows = h.unfold(2, k, s).permute([0, 2, 1, 3]);
            let steps = windows.size()[1];
            let rows = windows.reshape([n * steps, -1]);
            (rows.matmul(&self.w) + &self.b).view([n, steps, filters]).permute([0, 2, 1])
        } else {
            let h = if p > 0 { h.constant_pad_nd([p, p, p, p]) } else { h.shallow_clone() };
            // [n, c, H', W', k, k] -> [n, H', W', c, k, k] -> rows of c·k·k.
            let windows = h.unfold(2, k, s).unfold(3, k, s).permute([0, 2, 3, 1, 4, 5]);
            let (hh, ww) = (windows.size()[1], windows.size()[2]);
            let rows = windows.reshape([n * hh * ww, -1]);
            (rows.matmul(&self.w) + &self.b).view([n, hh, ww, filters]).permute([0, 3, 1, 2])
        };
        activate(&out.contiguous(), self.activation)
    }
}

/// Non-overlapping windows of `size` over the last one (`dims` 1) or two axes;
/// a remainder that does not fill a window is dropped, as in PyTorch.
pub(super) fn pool(h: &Tensor, op: PoolOp, size: i64, dims: u8) -> Tensor {
    let windows = if dims == 1 {
        h.unfold(2, size, size)
    } else {
        // [n, c, H', W', size, size] -> [n, c, H', W', size·size]
        let w = h.unfold(2, size, size).unfold(3, size, size);
        let s = w.size();
        w.reshape([s[0], s[1], s[2], s[3], size * size])
    };
    let last = windows.dim() as i64 - 1;
    let count = windows.size()[last as usize];
    match op {
        // The maximum is exact: any order of comparisons gives the same value.
        PoolOp::Max => windows.amax([last].as_slice(), false),
        // A left-to-right chain of additions, then one division: one rounding order.
        PoolOp::Avg => {
            let mut acc = windows.select(last, 0);
            for j in 1..count {
                // Out of place on purpose: `+=` on a tensor is `add_`, which would write
                // into the view `acc` starts as, and autograd needs the inputs intact.
                #[allow(clippy::assign_op_pattern)]
                {
                    acc = acc + windows.select(last, j);
                }
            }
            acc / count as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use tch::{Device, Kind};

    fn ramp(shape: &[i64]) -> Tensor {
        let n: i64 = shape.iter().product();
        Tensor::from_slice(&(0..n).map(|i| ((i * 37 % 23) as f32 - 11.0) / 7.0).collect::<Vec<_>>()).view(shape)
    }

    /// The unfold + product convolution computes what libtorch's own does (to
    /// rounding), for 1-d and 2-d, with stride and padding.
    #[test]
    fn agrees_with_libtorch_convolution() {
        crate::estimate::init_thread();
        let vs = nn::VarStore::new(Device::Cpu);
        let mut rng = RunRng::seed_from_u64(5);
        for (dims, input) in [(1u8, ramp(&[4, 3, 11])), (2, ramp(&[2, 3, 9, 8]))] {
            let conv =
                Conv::new(&(vs.root() / dims as i64), dims, 3, 5, 3, 2, 1, Activation::Linear, &mut rng).unwrap();
            let ours = conv.forward(&input);
            // Our weight [c·k^d, f] is libtorch's [f, c, k, (k)] transposed.
            let theirs = if dims == 1 {
                let w = conv.w.transpose(0, 1).reshape([5, 3, 3]);
                input.conv1d(&w, Some(&conv.b), [2], [1], [1], 1)
            } else {
                let w = conv.w.transpose(0, 1).reshape([5, 3, 3, 3]);
                input.conv2d(&w, Some(&conv.b), [2, 2], [1, 1], [1, 1], 1)
            };
            assert_eq!(ours.size(), theirs.size());
            let gap = (&ours - &theirs).abs().max().double_value(&[]);
            assert!(gap < 1e-5, "dims {dims}: {gap}");
        }
    }

    #[test]
    fn pooling_agrees_with_libtorch() {
        let x = ramp(&[2, 3, 9]);
        let max = pool(&x, PoolOp::Max, 2, 1);
        assert!(max.equal(&x.max_pool1d([2], [2], [0], [1], false)));
        let avg = pool(&x, PoolOp::Avg, 3, 1);
        let gap = (&avg - x.avg_pool1d([3], [3], [0], false, true)).abs().max().double_value(&[]);
        assert!(gap < 1e-6);
        let img = ramp(&[2, 1, 7, 6]);
        let max2 = pool(&img, PoolOp::Max, 3, 2);
        assert!(max2.equal(&img.max_pool2d([3, 3], [3, 3], [0, 0], [1, 1], false)));
        let avg2 = pool(&img, PoolOp::Avg, 2, 2);
        let gap = (&avg2 - img.avg_pool2d([2, 2], [2, 2], [0, 0], false, true, None)).abs().max().double_value(&[]);
        assert!(gap < 1e-6, "{gap}");
        let _ = Kind::Float;
    }
}
