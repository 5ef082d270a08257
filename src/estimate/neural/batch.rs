//! The data as tensors: covariates, treatment, (standardised) outcome and sample
//! weights for every row, on the run's device, and minibatches gathered from them.

use tch::{Device, Kind, Tensor};

use crate::data::Observed;

/// All rows of a dataset as `[n, ·]` float tensors, plus the outcome scaling.
pub struct Prepared {
    pub x: Tensor,
    pub t: Tensor,
    pub y: Tensor,
    pub w: Tensor,
    /// The covariates' names, in the columns' order (an encoder finds its columns by them).
    pub names: Vec<String>,
    treated: Vec<bool>,
    /// Outcomes were standardised as (y - mean) / y_scale for training, so effects
    /// on the training scale are multiplied by `y_scale`.
    pub y_scale: f64,
    /// The mean subtracted before scaling, so potential outcomes map back as
    /// y_mean + y_scale * prediction.
    pub y_mean: f64,
    pub device: Device,
}

/// A minibatch; `treated`/`control` index its rows by arm (None when that arm is
/// absent from the batch, so that balance penalties can be skipped).
pub struct Batch {
    pub x: Tensor,
    pub t: Tensor,
    pub y: Tensor,
    pub w: Tensor,
    pub treated: Option<Tensor>,
    pub control: Option<Tensor>,
}

/// How each row's factual loss is weighted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Weighting {
    Uniform,
    /// w = t/(2u) + (1-t)/(2(1-u)), u the treated share of the training rows
    /// (Shalit et al. 2017, Section 5).
    ArmBalanced,
}

impl Prepared {
    /// Tensors of every row; the outcome scale and arm shares are fitted on `train`.
    pub fn new(
        data: &Observed<'_>,
        train: &[usize],
        standardize: bool,
        weighting: Weighting,
        device: Device,
    ) -> Prepared {
        let n = data.n_rows();
        let all: Vec<usize> = (0..n).collect();
        // Test rows' outcomes are NaN here and never selected: batches index rows.
        let outcome = data.outcome_column();
        let (y_mean, y_scale) = if standardize { mean_and_scale(&outcome, train) } else { (0.0, 1.0) };
        let treated: Vec<bool> = (0..n).map(|i| data.is_treated(i)).collect();
        let w = arm_weights(&treated, train, weighting);
        let column = |v: Vec<f32>| Tensor::from_slice(&v).view([n as i64, 1]).to_device(device);
        let x: Vec<f32> = data.rows_major(&all).into_iter().map(|v| v as f32).collect();
        Prepared {
            x: Tensor::from_slice(&x).view([n as i64, data.n_covariates() as i64]).to_device(device),
            t: column(treated.iter().map(|&b| f32::from(u8::from(b))).collect()),
            y: column(outcome.iter().map(|y| ((y - y_mean) / y_scale) as f32).collect()),
            w: column(w),
            names: data.covariate_names.to_vec(),
            treated,
            y_scale,
            y_mean,
            device,
        }
    }

    pub fn is_treated(&self, row: usize) -> bool {
        self.treated[row]
    }

    /// Gather `rows` (indices into the dataset) into a batch on the device.
    pub fn batch(&self, rows: &[usize]) -> Batch {
        let index = self.index(rows);
        let (treated, control): (Vec<usize>, Vec<usize>) = (0..rows.len()).partition(|&k| self.treated[rows[k]]);
        let arm = |k: Vec<usize>| (!k.is_empty()).then(|| self.index(&k));
        Batch {
            x: self.x.index_select(0, &index),
            t: self.t.index_select(0, &index),
            y: self.y.index_select(0, &index),
            w: self.w.index_select(0, &index),
            treated: arm(treated),
            control: arm(control),
        }
    }

    fn index(&self, rows: &[usize]) -> Tensor {
        let idx: Vec<i64> = rows.iter().map(|&r| r as i64).collect();
        Tensor::from_slice(&idx).to_device(self.device)
    }

    /// A tensor's values on the host as f64, in row-major order.
    pub fn to_host(&self, t: &Tensor) -> Vec<f64> {
        host(t)
    }
}

/// A tensor's values on the host as f64, in row-major order.
pub fn host(t: &Tensor) -> Vec<f64> {
    let t = t.to_device(Device::Cpu).to_kind(Kind::Double).contiguous().view([-1]);
    // Invariant: a contiguous 1-d double tensor converts to Vec<f64>.
    Vec::<f64>::try_from(&t).expect("1-d double tensor")
}

fn mean_and_scale(y: &[f64], rows: &[usize]) -> (f64, f64) {
    let n = rows.len().max(1) as f64;
    let mean = rows.iter().map(|&i| y[i]).sum::<f64>() / n;
    let var = rows.iter().map(|&i| (y[i] - mean).powi(2)).sum::<f64>() / n;
    // A constant outcome has nothing to scale; keep it in its own units.
    let scale = if var.sqrt() > 1e-12 { var.sqrt() } else { 1.0 };
    (mean, scale)
}

fn arm_weights(treated: &[bool], train: &[usize], weighting: Weighting) -> Vec<f32> {
    let u = train.iter().filter(|&&i| treated[i]).count() as f64 / train.len().max(1) as f64;
    treated
        .iter()
        .map(|&t| match weighting {
            Weighting::ArmBalanced if u > 0.0 && u < 1.0 => {
                (if t { 1.0 / (2.0 * u) } else { 1.0 / (2.0 * (1.0 - u)) }) as f32
            }
            _ => 1.0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{CausalData, Split, Truth};

    /// Every row in sample: these tests read every outcome.
    fn seen() -> Split {
        Split { train: vec![0, 1, 2, 3], validation: vec![], test: vec![] }
    }

    fn toy() -> CausalData {
        CausalData {
            covariate_names: vec!["a".into(), "b".into()],
            covariates: vec![vec![1.0, 2.0, 3.0, 4.0], vec![10.0, 20.0, 30.0, 40.0]],
            treatment: vec![1.0, 0.0, 0.0, 0.0],
            outcome: vec![2.0, 4.0, 6.0, 100.0],
            truth: Truth::None,
        }
    }

    #[test]
    fn scaling_is_fitted_on_training_rows_only() {
        let p = Prepared::new(&toy().observed(&seen()), &[0, 1, 2], true, Weighting::Uniform, Device::Cpu);
        let s = (8.0f64 / 3.0).sqrt();
        assert!((p.y_scale - s).abs() < 1e-12);
        let y = p.to_host(&p.batch(&[0, 1, 3]).y);
        assert!((y[0] + 2.0 / s).abs() < 1e-6 && y[1].abs() < 1e-6 && (y[2] - 96.0 / s).abs() < 1e-4, "{y:?}");
    }

    #[test]
    fn arm_weights_balance_the_arms() {
        // u = 1/4: treated weigh 2, controls 2/3; each arm then sums to n/2.
        let w = arm_weights(&[true, false, false, false], &[0, 1, 2, 3], Weighting::ArmBalanced);
        assert_eq!(w, vec![2.0, 2.0 / 3.0, 2.0 / 3.0, 2.0 / 3.0]);
    }

    #[test]
    fn batches_gather_rows_and_split_arms() {
        let p = Prepared::new(&toy().observed(&seen()), &[0, 1, 2, 3], false, Weighting::Uniform, Device::Cpu);
        let b = p.batch(&[3, 0]);
        assert_eq!(p.to_host(&b.x), vec![4.0, 40.0, 1.0, 10.0]);
        assert_eq!(p.to_host(&b.y), vec![100.0, 2.0]);
        assert_eq!(b.treated.map(|t| p.to_host(&t)), Some(vec![1.0]));
        assert!(p.batch(&[1, 2]).treated.is_none());
    }
}
