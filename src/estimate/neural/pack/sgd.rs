//! SGD with Nesterov momentum for K networks at once (DragonNet's second
//! stage), each member with its own rate and momentum and a flag that freezes
//! it; like `adam.rs`, a plain scalar loop over the tensors' memory on the CPU
//! (an element's update depends on its own values alone) and tensor formulas
//! elsewhere.
//!
//! The formulas are libtorch's `torch::optim::SGD` with dampening 0 and no
//! weight decay: b ← g on a member's first step, else b ← μ·b + g; then
//! p ← p - lr·(g + μ·b).

use tch::Tensor;

use super::adam::MemberStep;

pub struct PackedSgd {
    params: Vec<Tensor>,
    momentum: Vec<f64>,
    /// The momentum buffer of each parameter, on the host (CPU) or as a tensor
    /// on the parameter's device.
    buffers: Vec<Buffer>,
    steps: Vec<u32>,
}

enum Buffer {
    Host(Vec<f32>),
    Device(Tensor),
}

impl PackedSgd {
    /// `momentum[k]`: member k's.
    pub fn new(params: Vec<Tensor>, momentum: Vec<f64>) -> PackedSgd {
        let buffers = params
            .iter()
            .map(|p| {
                if p.device() == tch::Device::Cpu {
                    Buffer::Host(vec![0.0; p.numel()])
                } else {
                    Buffer::Device(p.zeros_like())
                }
            })
            .collect();
        let steps = vec![0; momentum.len()];
        PackedSgd { params, momentum, buffers, steps }
    }

    /// One step for every active member from the gradients autograd left, which
    /// are zeroed afterwards.
    pub fn step(&mut self, members: &[MemberStep]) {
        // Per member: (lr, μ, whether this is its first step), or None when frozen.
        let coefficients: Vec<Option<(f32, f32, bool)>> = members
            .iter()
            .zip(self.steps.iter_mut())
            .zip(&self.momentum)
            .map(|((m, t), &mu)| {
                m.active.then(|| {
                    *t += 1;
                    (m.lr as f32, mu as f32, *t == 1)
                })
            })
            .collect();
        for (p, buffer) in self.params.iter().zip(self.buffers.iter_mut()) {
            let mut g = p.grad();
            if !g.defined() {
                continue;
            }
            match buffer {
                Buffer::Host(b) => host_step(p, &g, b, &coefficients),
                Buffer::Device(b) => device_step(p, &g, b, &coefficients),
            }
            let _ = g.zero_();
        }
    }
}

type Coefficient = Option<(f32, f32, bool)>;

fn host_step(p: &Tensor, g: &Tensor, buffer: &mut [f32], coefficients: &[Coefficient]) {
    super::adam::on_host(p, g, |pv, gv| {
        let per = pv.len() / coefficients.len();
        for (member, c) in coefficients.iter().enumerate() {
            let Some((lr, mu, first)) = *c else { continue };
            let range = member * per..(member + 1) * per;
            let lanes = pv[range.clone()].iter_mut().zip(&gv[range.clone()]).zip(&mut buffer[range]);
            for ((p, &grad), b) in lanes {
                *b = if first { grad } else { mu * *b + grad };
                *p -= lr * (grad + mu * *b);
            }
        }
    })
}

fn device_step(p: &Tensor, g: &Tensor, buffer: &mut Tensor, coefficients: &[Coefficient]) {
    let mut shape = vec![coefficients.len() as i64];
    shape.extend(std::iter::repeat_n(1, p.dim() - 1));
    let column = |f: &dyn Fn(&Coefficient) -> f32| {
        let values: Vec<f32> = coefficients.iter().map(f).collect();
        Tensor::from_slice(&values).view(shape.as_slice()).to_device(p.device())
    };
    let on = column(&|c| if c.is_some() { 1.0 } else { 0.0 });
    let lr = column(&|c| c.map_or(0.0, |c| c.0));
    let mu = column(&|c| c.map_or(0.0, |c| c.1));
    // The buffer's old value counts only after a member's first step.
    let carry = column(&|c| c.map_or(0.0, |c| if c.2 { 0.0 } else { c.1 }));
    super::without_grad(|| {
        let new = &*buffer * &carry + g;
        *buffer = &on * &new + (1.0 - &on) * &*buffer;
        let update = &lr * (g + &mu * &*buffer);
        let mut p = p.shallow_clone();
        let _ = p.f_sub_(&update);
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Kind;

    /// The host loop against the tensor formulas (the CUDA path, run here on the
    /// CPU), and against libtorch's own Nesterov SGD on one member.
    #[test]
    fn the_host_loop_and_the_tensor_path_agree_with_libtorch() {
        let start: Vec<f32> = (0..12).map(|i| (i as f32 * 0.41).cos()).collect();
        let param = || Tensor::from_slice(&start).view([3, -1]).set_requires_grad(true);
        let members = [
            MemberStep { lr: 0.01, active: true },
            MemberStep { lr: 0.05, active: false },
            MemberStep { lr: 0.07, active: true },
        ];
        let (host, tensor) = (param(), param());
        let momentum = vec![0.5, 0.9, 0.9];
        let mut a = PackedSgd::new(vec![host.shallow_clone()], momentum.clone());
        let mut b = PackedSgd::new(vec![tensor.shallow_clone()], momentum);
        b.buffers = vec![Buffer::Device(tensor.zeros_like().detach())];
        let vs = tch::nn::VarStore::new(tch::Device::Cpu);
        let single = vs.root().var_copy("p", &Tensor::from_slice(&start[8..12]));
        let sgd = tch::nn::Sgd { momentum: 0.9, dampening: 0.0, wd: 0.0, nesterov: true };
        let mut opt = tch::nn::OptimizerConfig::build(sgd, &vs, 0.07).unwrap();
        for step in 0..5 {
            for p in [&host, &tensor] {
                ((p * p).sum(Kind::Float) * (1.0 + step as f64)).backward();
            }
            a.step(&members);
            b.step(&members);
            opt.zero_grad();
            ((&single * &single).sum(Kind::Float) * (1.0 + step as f64)).backward();
            opt.step();
        }
        let values = |t: &Tensor| Vec::<f32>::try_from(t.detach().view([-1])).unwrap();
        let (h, t, s) = (values(&host), values(&tensor), values(&single));
        for i in 0..12 {
            assert!((h[i] - t[i]).abs() < 1e-6, "{i}: {} vs {}", h[i], t[i]);
        }
        assert_eq!(&h[4..8], &start[4..8], "the frozen member did not move");
        assert!(h[..4] != start[..4], "the first member moved");
        for i in 0..4 {
            assert!((h[8 + i] - s[i]).abs() < 1e-6, "{i}: {} vs {}", h[8 + i], s[i]);
        }
        assert!(host.grad().abs().sum(Kind::Float).double_value(&[]) == 0.0, "gradients are zeroed");
    }
}
