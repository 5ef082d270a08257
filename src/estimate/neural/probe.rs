//! The fixed libtorch computations of `causeway doctor`: one per kind of kernel a
//! network run can reach, each reduced to a digest of its output bits. Their
//! inputs and initial weights are arithmetic functions of an index (no random
//! generator), so the digests depend only on the code that computes them: ours,
//! ATen's, MKL's, oneDNN's or the C library's, as the numeric mode routes it.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};
use tch::nn::{self, Module, OptimizerConfig, RNN};
use tch::{Device, Kind, Tensor};

/// A deterministic value in [-1, 1) for index `i` of stream `s`.
fn value(s: u64, i: u64) -> f32 {
    let mut x = (s.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ i).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^= x >> 31;
    ((x >> 40) as f32 / (1u64 << 23) as f32) - 1.0
}

fn tensor(s: u64, shape: &[i64]) -> Tensor {
    let n: i64 = shape.iter().product();
    Tensor::from_slice(&(0..n as u64).map(|i| value(s, i)).collect::<Vec<_>>()).reshape(shape)
}

/// sha256 prefix of the f32 bits of the tensors, in order.
fn digest(parts: &[Tensor]) -> String {
    let mut h = Sha256::new();
    for t in parts {
        let v: Vec<f32> = Vec::try_from(t.detach().to_kind(Kind::Float).flatten(0, -1)).expect("a float tensor");
        for x in v {
            h.update(x.to_bits().to_le_bytes());
        }
    }
    crate::hash::hex(&h.finalize()[..8])
}

/// Give every parameter of `vs` deterministic values, scaled like a default init.
fn fill(vs: &nn::VarStore, stream: u64) {
    let vars: BTreeMap<String, Tensor> = vs.variables().into_iter().collect();
    tch::no_grad(|| {
        for (i, (_, v)) in vars.iter().enumerate() {
            let size = v.size();
            let fan_in = size.get(1).copied().unwrap_or(size[0]).max(1) as f64;
            let mut v = v.shallow_clone();
            v.copy_(&(tensor(stream + i as u64, &size) * (1.0 / fan_in.sqrt())));
        }
    });
}

fn params(vs: &nn::VarStore) -> Vec<Tensor> {
    let vars: BTreeMap<String, Tensor> = vs.variables().into_iter().collect();
    vars.into_values().collect()
}

/// Train `f`'s parameters with Adam for `steps` steps on fixed batches.
fn train(vs: &nn::VarStore, steps: usize, mut loss: impl FnMut(usize) -> Tensor) -> Vec<Tensor> {
    let mut opt = nn::Adam::default().build(vs, 1e-3).expect("Adam builds");
    for s in 0..steps {
        opt.backward_step(&loss(s));
    }
    params(vs)
}

fn rows(step: usize, batch: i64, n: i64) -> Tensor {
    Tensor::from_slice(&(0..batch).map(|i| (i * 7 + step as i64 * 31) % n).collect::<Vec<_>>())
}

/// Every part's name and digest, in a fixed order.
pub fn digests() -> Vec<(&'static str, String)> {
    super::device::init_thread();
    vec![
        ("matmul", matmul()),
        ("mlp+adam", mlp()),
        ("elementwise", elementwise()),
        ("reduce", reduce()),
        ("conv1d", conv1d()),
        ("gru", recurrent(false)),
        ("lstm", recurrent(true)),
        ("libm", libm()),
    ]
}

fn matmul() -> String {
    let (x, w, b) = (tensor(1, &[100, 25]), tensor(2, &[200, 25]), tensor(3, &[200]));
    let xb = tensor(4, &[8, 100, 64]);
    let wb = tensor(5, &[8, 64, 48]);
    digest(&[
        x.linear(&w, Some(&b)),
        xb.bmm(&wb),
        tensor(6, &[8, 100, 48]).baddbmm(&xb, &wb, 0.5, 2.0),
        x.matmul(&tensor(7, &[25])),
    ])
}

fn mlp() -> String {
    let vs = nn::VarStore::new(Device::Cpu);
    let p = vs.root();
    let net = nn::seq()
        .add(nn::linear(&p / "l0", 25, 200, Default::default()))
        .add_fn(|x| x.elu())
        .add(nn::linear(&p / "l1", 200, 200, Default::default()))
        .add_fn(|x| x.elu())
        .add(nn::linear(&p / "l2", 200, 1, Default::default()));
    fill(&vs, 10);
    let (x, y) = (tensor(11, &[600, 25]), tensor(12, &[600, 1]));
    digest(&train(&vs, 40, |s| {
        let i = rows(s, 100, 600);
        (net.forward(&x.index_select(0, &i)) - y.index_select(0, &i)).square().mean(Kind::Float)
    }))
}

fn elementwise() -> String {
    let x = tensor(20, &[4096]) * 6.0;
    let pos = x.abs() + 1e-3;
    digest(&[
        x.exp(),
        pos.log(),
        x.tanh(),
        x.sigmoid(),
        x.elu(),
        x.softplus(),
        pos.sqrt(),
        x.erf(),
        pos.pow_tensor_scalar(1.7),
        x.sin(),
        x.gelu("none"),
    ])
}

fn reduce() -> String {
    let x = tensor(30, &[1000, 37]);
    digest(&[
        x.sum_dim_intlist(0, false, Kind::Float),
        x.mean_dim(1, false, Kind::Float),
        x.var_dim(0, true, false),
        x.logsumexp(1, false),
        x.sum(Kind::Float),
    ])
}

fn conv1d() -> String {
    let vs = nn::VarStore::new(Device::Cpu);
    let p = vs.root();
    let c1 = nn::conv1d(&p / "c1", 4, 16, 5, nn::ConvConfig { padding: 2, ..Default::default() });
    let c2 = nn::conv1d(&p / "c2", 16, 16, 3, nn::ConvConfig { padding: 1, ..Default::default() });
    let out = nn::linear(&p / "out", 16, 1, Default::default());
    fill(&vs, 40);
    let (x, y) = (tensor(41, &[300, 4, 30]), tensor(42, &[300, 1]));
    digest(&train(&vs, 10, |s| {
        let i = rows(s, 50, 300);
        let h = c2.forward(&c1.forward(&x.index_select(0, &i)).elu()).elu().mean_dim(2, false, Kind::Float);
        (out.forward(&h) - y.index_select(0, &i)).square().mean(Kind::Float)
    }))
}

fn recurrent(lstm: bool) -> String {
    let vs = nn::VarStore::new(Device::Cpu);
    let p = vs.root();
    let cfg = nn::RNNConfig { batch_first: true, ..Default::default() };
    let out = nn::linear(&p / "out", 32, 1, Default::default());
    let (x, y) = (tensor(51, &[300, 30, 4]), tensor(52, &[300, 1]));
    let body: Box<dyn Fn(&Tensor) -> Tensor> = if lstm {
        let l = nn::lstm(&p / "lstm", 4, 32, cfg);
        Box::new(move |x| l.seq(x).0)
    } else {
        let g = nn::gru(&p / "gru", 4, 32, cfg);
        Box::new(move |x| g.seq(x).0)
    };
    fill(&vs, 50);
    digest(&train(&vs, 10, |s| {
        let i = rows(s, 50, 300);
        let h = body(&x.index_select(0, &i)).select(1, -1);
        (out.forward(&h) - y.index_select(0, &i)).square().mean(Kind::Float)
    }))
}

/// The C library's double-precision functions, which the simulator and the
/// classical estimators call (not libtorch, but the same question: same bits?).
fn libm() -> String {
    let mut h = Sha256::new();
    for i in 0..4096u64 {
        let x = f64::from(value(60, i)) * 8.0;
        for v in [x.exp(), x.abs().ln_1p(), x.sin(), x.cos(), x.tanh(), x.abs().powf(0.37), x.atan2(1.5), x.exp_m1()] {
            h.update(v.to_bits().to_le_bytes());
        }
    }
    crate::hash::hex(&h.finalize()[..8])
}
