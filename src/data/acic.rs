//! ACIC 2016 data challenge (Dorie et al. 2019): 58 real covariates with simulated
//! treatment and potential outcomes. causallib ships one instance from each of ten
//! of the 77 data-generating processes: `zymu_k.csv` holds z, y0, y1, mu0, mu1.
//!
//! The string columns (x_2, x_21, x_24) are coded as indicators for every level but
//! the first in sorted order, as causallib does, so that a model with an intercept
//! stays full rank. Indicator names are `<column>_<level>`.

use rand::Rng;

use super::builtin::BuiltinFiles;
use super::csv::Table;
use super::error::DataError;
use super::load::treatment_column;
use super::manifest::DatasetEntry;
use super::{CausalData, Truth};
use crate::rng::RunRng;

/// Number of shipped instances.
pub const INSTANCES: u32 = 10;

/// Instance `k` (1..=10); without one the run's generator picks it.
pub(crate) fn load(
    files: &BuiltinFiles,
    entry: &DatasetEntry,
    instance: Option<u32>,
    rng: &mut RunRng,
) -> Result<CausalData, DataError> {
    let k = match instance {
        Some(k) if (1..=INSTANCES).contains(&k) => k,
        Some(k) => {
            return Err(DataError::BadOption {
                name: "acic2016".into(),
                message: format!("instance {k} does not exist; causeway ships instances 1 to {INSTANCES}"),
            });
        }
        None => rng.random_range(1..=INSTANCES),
    };
    let x = files.table("acic2016/x.csv")?;
    let zymu = files.table(&format!("acic2016/zymu_{k}.csv"))?;
    let (covariate_names, covariates) = encode_covariates(&x, entry)?;
    let z = treatment_column(&zymu, &entry.treatment)?;
    let (y0, y1) = (zymu.numeric("y0")?, zymu.numeric("y1")?);
    let outcome = z.iter().enumerate().map(|(i, t)| if *t == 1.0 { y1[i] } else { y0[i] }).collect();
    let truth = Truth::Potential { mu0: zymu.numeric("mu0")?, mu1: zymu.numeric("mu1")? };
    Ok(CausalData { covariate_names, covariates, treatment: z, outcome, truth })
}

/// Numeric columns as they are; categorical ones as reference-coded indicators.
fn encode_covariates(x: &Table, entry: &DatasetEntry) -> Result<(Vec<String>, Vec<Vec<f64>>), DataError> {
    let (mut names, mut columns) = (Vec::new(), Vec::new());
    for name in &entry.covariates {
        if entry.categorical.contains(name) {
            let cells = x.text(name)?;
            let mut levels: Vec<&str> = cells.clone();
            levels.sort_unstable();
            levels.dedup();
            for level in levels.iter().skip(1) {
                names.push(format!("{name}_{level}"));
                columns.push(cells.iter().map(|c| f64::from(u8::from(c == level))).collect());
            }
        } else {
            names.push(name.clone());
            columns.push(x.numeric(name)?);
        }
    }
    Ok((names, columns))
}
