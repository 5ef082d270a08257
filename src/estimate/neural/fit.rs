//! What every neural estimator does around its network: set up the thread and the
//! device, turn the data into tensors, and turn predicted potential outcomes into
//! an `Estimate`.

use tch::Tensor;

use super::batch::{Prepared, Weighting};
use super::device::{self, Device};
use super::train::{Report, failed};
use crate::data::{Observed, Split};
use crate::estimate::{Estimate, EstimateError};

/// One libtorch thread, the requested device, and the data as tensors.
pub fn prepare(
    kind: &str,
    data: &Observed<'_>,
    split: &Split,
    standardize: bool,
    weighting: Weighting,
    device: Device,
) -> Result<Prepared, EstimateError> {
    device::init_thread();
    let device = device.to_tch(kind)?;
    if split.train.len() < 2 {
        return Err(failed(kind, format!("needs at least 2 training rows, found {}", split.train.len())));
    }
    Ok(Prepared::new(data, &split.train, standardize, weighting, device))
}

/// The estimate from predicted potential outcomes (standardised scale) of every
/// row: ITE for all rows, ATE over the in-sample rows (train and validation) and
/// ATT over the in-sample treated rows.
pub fn finish(
    kind: &str,
    prepared: &Prepared,
    split: &Split,
    mu0: &Tensor,
    mu1: &Tensor,
    report: &Report,
    extra: Vec<(String, f64)>,
) -> Result<Estimate, EstimateError> {
    let scale = prepared.y_scale;
    let ite: Vec<f64> = prepared.to_host(&(mu1 - mu0)).into_iter().map(|d| d * scale).collect();
    if let Some(row) = ite.iter().position(|v| !v.is_finite()) {
        return Err(failed(kind, format!("prediction for row {row} is not finite")));
    }
    let in_sample = split.in_sample();
    let ate = mean_over(&ite, &in_sample);
    let treated: Vec<usize> = in_sample.iter().copied().filter(|&i| prepared.is_treated(i)).collect();
    let att = (!treated.is_empty()).then(|| mean_over(&ite, &treated));
    let mut diagnostics = report.diagnostics();
    diagnostics.extend(extra);
    let outcome =
        |t: &Tensor| -> Vec<f64> { prepared.to_host(t).into_iter().map(|v| prepared.y_mean + v * scale).collect() };
    let potential = Some((outcome(mu0), outcome(mu1)));
    Ok(Estimate { ite: Some(ite), ate, att, interval: None, diagnostics, ovb: None, potential })
}

fn mean_over(values: &[f64], rows: &[usize]) -> f64 {
    rows.iter().map(|&i| values[i]).sum::<f64>() / rows.len().max(1) as f64
}
