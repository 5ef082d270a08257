//! Adam for K networks at once, each member with its own learning rate, its own
//! step count and a flag that freezes it (stopped or diverged), in one pass over
//! every parameter. On the CPU the pass is a plain loop over the tensors'
//! memory: scalar f32 arithmetic, which Rust never contracts into fused
//! multiply-adds, so an element's update depends on its own values alone.
//! Elsewhere (CUDA) the same formulas run as tensor operations.
//!
//! The formulas are libtorch's `torch::optim::Adam` (β1 0.9, β2 0.999, ε 1e-8):
//! m ← β1·m + (1-β1)·g, v ← β2·v + (1-β2)·g², p ← p - (lr/(1-β1^t))·m/(√v/√(1-β2^t) + ε).

use tch::{Kind, Tensor};

const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPS: f64 = 1e-8;

/// Per member: the rate for this step, and whether it steps at all.
#[derive(Debug, Clone, Copy)]
pub struct MemberStep {
    pub lr: f64,
    pub active: bool,
}

pub struct PackedAdam {
    params: Vec<Tensor>,
    /// First and second moments, one pair per parameter, on the host (CPU) or as
    /// tensors on the parameter's device.
    moments: Vec<(Moment, Moment)>,
    steps: Vec<u32>,
}

enum Moment {
    Host(Vec<f32>),
    Device(Tensor),
}

impl PackedAdam {
    pub fn new(params: Vec<Tensor>, members: usize) -> PackedAdam {
        let moments = params
            .iter()
            .map(|p| {
                if p.device() == tch::Device::Cpu {
                    let n = p.numel();
                    (Moment::Host(vec![0.0; n]), Moment::Host(vec![0.0; n]))
                } else {
                    (Moment::Device(p.zeros_like()), Moment::Device(p.zeros_like()))
                }
            })
            .collect();
        PackedAdam { params, moments, steps: vec![0; members] }
    }

    /// One step for every active member from the gradients autograd left, which
    /// are zeroed afterwards (for every member).
    pub fn step(&mut self, members: &[MemberStep]) {
        for (s, m) in self.steps.iter_mut().zip(members) {
            if m.active {
                *s += 1;
            }
        }
        let coefficients: Vec<Option<(f32, f32)>> = members
            .iter()
            .zip(&self.steps)
            .map(|(m, &t)| {
                m.active.then(|| {
                    let bc1 = 1.0 - BETA1.powi(t as i32);
                    let bc2 = 1.0 - BETA2.powi(t as i32);
                    ((m.lr / bc1) as f32, bc2.sqrt() as f32)
                })
            })
            .collect();
        for (p, (m, v)) in self.params.iter().zip(self.moments.iter_mut()) {
            let mut g = p.grad();
            if !g.defined() {
                continue;
            }
            match (m, v) {
                (Moment::Host(m), Moment::Host(v)) => host_step(p, &mut g, m, v, &coefficients),
                (Moment::Device(m), Moment::Device(v)) => device_step(p, &g, m, v, &coefficients),
                _ => unreachable!("both moments live where the parameter does"),
            }
            let _ = g.zero_();
        }
    }
}

/// Runs `f` on the host storage of a packed parameter `p` and of its gradient
/// `g` (made contiguous where it is not): the optimisers' host loops, which
/// step every member's slice in place.
pub(super) fn on_host<R>(p: &Tensor, g: &Tensor, f: impl FnOnce(&mut [f32], &[f32]) -> R) -> R {
    let n = p.numel();
    assert!(p.is_contiguous() && p.kind() == Kind::Float, "packed parameters are contiguous f32");
    let gc = if g.is_contiguous() { g.shallow_clone() } else { g.contiguous() };
    // SAFETY: `p` and `gc` are contiguous f32 CPU tensors of `n` elements that
    // nothing else reads or writes during this call (no graph holds them between
    // steps); the slices cover exactly their storage, and `gc` outlives `f`.
    let (pv, gv) = unsafe {
        (
            std::slice::from_raw_parts_mut(p.data_ptr() as *mut f32, n),
            std::slice::from_raw_parts(gc.data_ptr() as *const f32, n),
        )
    };
    f(pv, gv)
}

fn host_step(p: &Tensor, g: &mut Tensor, m: &mut [f32], v: &mut [f32], coefficients: &[Coefficient]) {
    on_host(p, g, |pv, gv| {
        let per = pv.len() / coefficients.len();
        // Each coefficient rounded once from its double value, as libtorch's scalar
        // arguments are (1 - 0.9 in f32 would be 0.100000024, not 0.1).
        let (b1, b2, eps) = (BETA1 as f32, BETA2 as f32, EPS as f32);
        let (c1, c2) = ((1.0 - BETA1) as f32, (1.0 - BETA2) as f32);
        let constants = [b1, b2, c1, c2, eps];
        for (member, c) in coefficients.iter().enumerate() {
            let Some((step_size, sqrt_bc2)) = *c else { continue };
            let range = member * per..(member + 1) * per;
            let slices = (&mut pv[range.clone()], &gv[range.clone()], &mut m[range.clone()], &mut v[range]);
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx") {
                // SAFETY: the processor has AVX (checked just above).
                unsafe { update_avx(slices, constants, step_size, sqrt_bc2) };
                continue;
            }
            update(slices, constants, step_size, sqrt_bc2);
        }
    })
}

/// One member's parameters, gradients and moments.
type Slices<'a> = (&'a mut [f32], &'a [f32], &'a mut [f32], &'a mut [f32]);

/// Adam's update of one member's elements; `constants` are β1, β2, 1-β1, 1-β2
/// and ε. Zipped slices: no bounds checks, so the loop vectorises; every lane
/// computes exactly the scalar formulas (no contraction, correctly rounded sqrt
/// and division), so the bits are the same at any vector width.
#[inline(always)]
fn update((pv, gv, m, v): Slices, [b1, b2, c1, c2, eps]: [f32; 5], step_size: f32, sqrt_bc2: f32) {
    for (((p, &grad), m), v) in pv.iter_mut().zip(gv).zip(m.iter_mut()).zip(v.iter_mut()) {
        *m = b1 * *m + c1 * grad;
        *v = b2 * *v + c2 * (grad * grad);
        let denom = v.sqrt() / sqrt_bc2 + eps;
        *p -= step_size * (*m / denom);
    }
}

/// [`update`] compiled for AVX: eight lanes a vector instead of SSE's four
/// (AVX has no fused multiply-add, and Rust contracts nothing, so every
/// operation is the same correctly rounded one).
///
/// # Safety
/// Only on a processor with AVX.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn update_avx(slices: Slices, constants: [f32; 5], step_size: f32, sqrt_bc2: f32) {
    update(slices, constants, step_size, sqrt_bc2)
}

/// A member's (step size, √(1-β2^t)) this step, or None when it is frozen.
type Coefficient = Option<(f32, f32)>;

fn device_step(p: &Tensor, g: &Tensor, m: &mut Tensor, v: &mut Tensor, coefficients: &[Coefficient]) {
    let k = coefficients.len() as i64;
    let mut shape = vec![k];
    shape.extend(std::iter::repeat_n(1, p.dim() - 1));
    let column = |f: &dyn Fn(&Coefficient) -> f32| {
        let values: Vec<f32> = coefficients.iter().map(f).collect();
        Tensor::from_slice(&values).view(shape.as_slice()).to_device(p.device())
    };
    let on = column(&|c| if c.is_some() { 1.0 } else { 0.0 });
    let step_size = column(&|c| c.map_or(0.0, |c| c.0));
    let sqrt_bc2 = column(&|c| c.map_or(1.0, |c| c.1));
    super::without_grad(|| {
        let new_m = &*m * BETA1 + g * (1.0 - BETA1);
        let new_v = &*v * BETA2 + g.square() * (1.0 - BETA2);
        // Frozen members keep their moments and parameters.
        *m = &on * &new_m + (1.0 - &on) * &*m;
        *v = &on * &new_v + (1.0 - &on) * &*v;
        let update = &step_size * (&*m / (v.sqrt() / &sqrt_bc2 + EPS));
        let mut p = p.shallow_clone();
        let _ = p.f_sub_(&update);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(values: &[f32], k: i64) -> Tensor {
        Tensor::from_slice(values).view([k, -1]).set_requires_grad(true)
    }

    /// The AVX build of the update gives the portable build's bits.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_avx_update_has_the_portable_bits() {
        if !std::arch::is_x86_feature_detected!("avx") {
            return;
        }
        let n = 1003;
        let wave = |s: f32| (0..n).map(|i| ((i as f32 * s).sin() * 3.0).powi(3)).collect::<Vec<f32>>();
        let (g, m0, v0, p0) =
            (wave(0.37), wave(0.11), wave(0.23).iter().map(|x| x.abs()).collect::<Vec<f32>>(), wave(0.53));
        let constants = [BETA1 as f32, BETA2 as f32, (1.0 - BETA1) as f32, (1.0 - BETA2) as f32, EPS as f32];
        let (mut p1, mut m1, mut v1) = (p0.clone(), m0.clone(), v0.clone());
        let (mut p2, mut m2, mut v2) = (p0, m0, v0);
        update((&mut p1, &g, &mut m1, &mut v1), constants, 0.013, 0.031);
        unsafe { update_avx((&mut p2, &g, &mut m2, &mut v2), constants, 0.013, 0.031) };
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&p1), bits(&p2));
        assert_eq!(bits(&m1), bits(&m2));
        assert_eq!(bits(&v1), bits(&v2));
    }

    /// The host loop against the tensor formulas (the CUDA path, run here on the
    /// CPU), and against libtorch's own Adam on one member.
    #[test]
    fn the_host_loop_and_the_tensor_path_agree_with_libtorch() {
        let start: Vec<f32> = (0..12).map(|i| (i as f32 * 0.37).sin()).collect();
        let members = [
            MemberStep { lr: 0.01, active: true },
            MemberStep { lr: 0.05, active: false },
            MemberStep { lr: 0.1, active: true },
        ];
        let host = param(&start, 3);
        let tensor = param(&start, 3);
        let mut a = PackedAdam::new(vec![host.shallow_clone()], 3);
        let mut b = PackedAdam::new(vec![tensor.shallow_clone()], 3);
        b.moments = vec![(Moment::Device(tensor.zeros_like().detach()), Moment::Device(tensor.zeros_like().detach()))];
        // libtorch's Adam on member 2 alone.
        let vs = tch::nn::VarStore::new(tch::Device::Cpu);
        let single = vs.root().var_copy("p", &Tensor::from_slice(&start[8..12]));
        let mut opt = tch::nn::OptimizerConfig::build(tch::nn::Adam::default(), &vs, 0.1).unwrap();
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
        let (h, t) = (
            Vec::<f32>::try_from(host.detach().view([-1])).unwrap(),
            Vec::<f32>::try_from(tensor.detach().view([-1])).unwrap(),
        );
        for i in 0..12 {
            assert!((h[i] - t[i]).abs() < 1e-6, "{i}: {} vs {}", h[i], t[i]);
        }
        // The frozen member did not move.
        assert_eq!(&h[4..8], &start[4..8]);
        let s = Vec::<f32>::try_from(single.detach()).unwrap();
        for i in 0..4 {
            assert!((h[8 + i] - s[i]).abs() < 1e-6, "{i}: {} vs {}", h[8 + i], s[i]);
        }
        assert!(host.grad().abs().sum(Kind::Float).double_value(&[]) == 0.0, "gradients are zeroed");
    }
}
