//! The preprocessing pipeline an experiment declares: select covariates and drop
//! incomplete rows before the split; after it, impute, add missingness indicators,
//! one-hot encode, add squares and standardize with statistics fitted on the
//! training rows only, so that nothing about validation or test rows leaks into the
//! features.
//!
//! Conventions: categorical columns are imputed with their most frequent training
//! level whatever the method (a mean of category codes means nothing), and coded
//! with one indicator per training level but the smallest (the reference), so a
//! model with an intercept stays full rank; a level unseen in training gets all
//! zeros. Standardization touches only columns with more than two distinct training
//! values (NPCI's rule for IHDP): binary columns and indicators stay 0/1.
//!
//! A squared column `<name>^2` is the square of the imputed raw value, placed right
//! after its column and standardized on its own: the quadratic terms of textbook
//! linear adjustment models (Hernán and Robins' NHEFS models hold age², wt71², ...),
//! which standardizing first and squaring after would turn into a different basis.

use super::alloc;
use super::error::DataError;
use super::impute::{Impute, distinct, fill_value, mean, sample_sd};
use super::preprocess_log::{Imputed, OneHot, PreprocessLog, Standardized};
use super::{CausalData, Split};
use crate::suggest::did_you_mean;

/// The preprocessing an experiment declares.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PreprocessConfig {
    pub impute: Impute,
    /// Add `<column>_missing` for every column with missing training cells.
    pub indicators: bool,
    pub standardize: bool,
    /// Categorical columns to one-hot encode.
    pub one_hot: Vec<String>,
    /// Numeric columns to add the square of, as `<column>^2`.
    pub squares: Vec<String>,
    /// Text levels of categorical columns coded by `load_file`, which name
    /// their one-hot columns (`region_south`, not `region_2`).
    pub levels: super::Levels,
}

impl PreprocessConfig {
    /// The configuration for a run that receives `used` out of the data's
    /// `available` covariates. Every column the configuration names must be in the
    /// data (a typo is an error even in a run that does not use the column), and
    /// only the used ones are encoded or squared: an estimator that receives no
    /// covariates, such as the difference in means, runs whatever `one_hot` says.
    pub fn restricted_to(&self, available: &[String], used: &[String]) -> Result<PreprocessConfig, DataError> {
        for (option, names) in [("one_hot", &self.one_hot), ("squares", &self.squares)] {
            if let Some(name) = names.iter().find(|n| !available.contains(n)) {
                return Err(DataError::UnknownPreprocessColumn {
                    option: option.to_string(),
                    name: name.clone(),
                    suggestion: did_you_mean(name, available.iter().map(String::as_str)),
                });
            }
        }
        let keep = |names: &[String]| names.iter().filter(|n| used.contains(n)).cloned().collect();
        Ok(PreprocessConfig { one_hot: keep(&self.one_hot), squares: keep(&self.squares), ..self.clone() })
    }
}

/// Before splitting: keep only `covariates` (in that order) and, with
/// `Impute::Drop`, drop the rows where any of them is missing.
pub fn select_and_drop(
    data: &CausalData,
    covariates: &[String],
    cfg: &PreprocessConfig,
    log: &mut PreprocessLog,
) -> Result<CausalData, DataError> {
    select_and_drop_rows(data, covariates, cfg, log).map(|(out, _)| out)
}

/// `select_and_drop`, with the rows of `data` that were kept (None: all of them),
/// so that a split drawn over all rows can be restricted to the kept ones.
pub fn select_and_drop_rows(
    data: &CausalData,
    covariates: &[String],
    cfg: &PreprocessConfig,
    log: &mut PreprocessLog,
) -> Result<(CausalData, Option<Vec<usize>>), DataError> {
    let columns = covariates.iter().map(|name| covariate_index(data, name)).collect::<Result<Vec<_>, _>>()?;
    if let Some(name) = covariates.iter().enumerate().find(|(i, n)| covariates[..*i].contains(n)).map(|(_, n)| n) {
        return Err(DataError::DuplicateCovariate { name: name.clone() });
    }
    let selected = columns
        .iter()
        .map(|&j| alloc::copy(&data.covariates[j], "a covariate column"))
        .collect::<Result<Vec<_>, _>>()?;
    let mut out = with_covariates(data, covariates.to_vec(), selected)?;
    log.covariates_kept = covariates.len();
    log.covariates_available = data.n_covariates();
    if cfg.impute == Impute::Drop {
        let complete = alloc::collect(
            (0..out.n_rows()).filter(|&i| out.covariates.iter().all(|c| !c[i].is_nan())),
            "the complete rows",
        )?;
        log.rows_dropped += out.n_rows() - complete.len();
        out = keep_rows(&out, &complete)?;
        return Ok((out, Some(complete)));
    }
    Ok((out, None))
}

/// After splitting: impute, add indicators, one-hot encode, square and standardize,
/// with every statistic fitted on `split.train`. Treatment, outcome and truth pass through.
pub fn fit_transform(
    data: &CausalData,
    split: &Split,
    cfg: &PreprocessConfig,
    log: &mut PreprocessLog,
) -> Result<CausalData, DataError> {
    check_split(data, split)?;
    check_named_columns(data, cfg)?;
    let (mut names, mut columns) = (Vec::new(), Vec::new());
    for (name, column) in data.covariate_names.iter().zip(&data.covariates) {
        let categorical = cfg.one_hot.contains(name);
        let missing = alloc::collect(column.iter().map(|v| v.is_nan()), "the missing cells")?;
        let filled = impute_column(name, column, &split.train, categorical, cfg.impute, log)?;
        if categorical {
            one_hot(
                name,
                &filled,
                &split.train,
                cfg.levels.get(name).map(Vec::as_slice),
                &mut names,
                &mut columns,
                log,
            )?;
        } else {
            let square =
                if cfg.squares.contains(name) { Some(square(name, &filled, &split.train, log)?) } else { None };
            push_numeric(name.clone(), filled, &split.train, cfg.standardize, &mut names, &mut columns, log)?;
            if let Some(square) = square {
                push_numeric(
                    format!("{name}^2"),
                    square,
                    &split.train,
                    cfg.standardize,
                    &mut names,
                    &mut columns,
                    log,
                )?;
            }
        }
        if cfg.indicators && split.train.iter().any(|&i| missing[i]) {
            let indicator = format!("{name}_missing");
            log.indicators.push(indicator.clone());
            names.push(indicator);
            columns.push(alloc::collect(missing.iter().map(|m| f64::from(u8::from(*m))), "a missingness indicator")?);
        }
    }
    with_covariates(data, names, columns)
}

/// `data` with other covariates: a copy of its treatment, outcome and truth,
/// allocated fallibly (the covariates of `data` are not copied).
fn with_covariates(
    data: &CausalData,
    covariate_names: Vec<String>,
    covariates: Vec<Vec<f64>>,
) -> Result<CausalData, DataError> {
    let truth = data.truth.keep(|v| alloc::copy(v, "the true outcomes"))?;
    Ok(CausalData {
        covariate_names,
        covariates,
        treatment: alloc::copy(&data.treatment, "the treatment column")?,
        outcome: alloc::copy(&data.outcome, "the outcome column")?,
        truth,
    })
}

/// Every column `one_hot` and `squares` name is a covariate, and none is in both.
fn check_named_columns(data: &CausalData, cfg: &PreprocessConfig) -> Result<(), DataError> {
    for name in cfg.one_hot.iter().chain(&cfg.squares) {
        covariate_index(data, name)?;
    }
    match cfg.squares.iter().find(|n| cfg.one_hot.contains(n)) {
        Some(name) => Err(DataError::SquareOfCategorical { name: name.clone() }),
        None => Ok(()),
    }
}

/// A numeric column, standardized when asked, appended under `name`.
fn push_numeric(
    name: String,
    column: Vec<f64>,
    train: &[usize],
    standardize_it: bool,
    names: &mut Vec<String>,
    columns: &mut Vec<Vec<f64>>,
    log: &mut PreprocessLog,
) -> Result<(), DataError> {
    columns.push(if standardize_it { standardize(&name, column, train, log)? } else { column });
    names.push(name);
    Ok(())
}

/// The square of the (imputed, raw) column. With two training values or fewer the
/// square is an affine function of the column and would only make designs singular.
fn square(name: &str, column: &[f64], train: &[usize], log: &mut PreprocessLog) -> Result<Vec<f64>, DataError> {
    let values = distinct(&training_values(column, train)?).len();
    if values <= 2 {
        return Err(DataError::SquareAddsNothing { name: name.to_string(), values });
    }
    log.squared.push(format!("{name}^2"));
    alloc::collect(column.iter().map(|v| v * v), "a squared column")
}

/// The column with its missing cells filled from training statistics.
fn impute_column(
    name: &str,
    column: &[f64],
    train: &[usize],
    categorical: bool,
    method: Impute,
    log: &mut PreprocessLog,
) -> Result<Vec<f64>, DataError> {
    let cells = column.iter().filter(|v| v.is_nan()).count();
    if cells == 0 {
        return alloc::copy(column, "a covariate column");
    }
    if matches!(method, Impute::None | Impute::Drop) {
        return Err(DataError::MissingValues { column: name.to_string(), count: cells });
    }
    let method = if categorical { Impute::MostFrequent } else { method };
    let observed =
        alloc::collect(train.iter().map(|&i| column[i]).filter(|v| !v.is_nan()), "the observed training values")?;
    let value = fill_value(method, &observed).ok_or_else(|| DataError::NothingToImpute { column: name.to_string() })?;
    log.imputed.push(Imputed { column: name.to_string(), cells, method: method.name().replace('_', " "), value });
    alloc::collect(column.iter().map(|v| if v.is_nan() { value } else { *v }), "an imputed column")
}

/// Indicators `<name>_<level>` for every training level but the smallest.
fn one_hot(
    name: &str,
    column: &[f64],
    train: &[usize],
    text: Option<&[String]>,
    names: &mut Vec<String>,
    columns: &mut Vec<Vec<f64>>,
    log: &mut PreprocessLog,
) -> Result<(), DataError> {
    let levels = distinct(&training_values(column, train)?);
    // A coded text level is named by its text; a number by itself.
    let level_text = |v: f64| text.and_then(|t| t.get(v as usize)).cloned().unwrap_or_else(|| v.to_string());
    let mut created = Vec::new();
    for level in levels.iter().skip(1) {
        let level_name = format!("{name}_{}", level_text(*level));
        names.push(level_name.clone());
        columns.push(alloc::collect(column.iter().map(|v| f64::from(u8::from(v == level))), "a one-hot column")?);
        created.push(level_name);
    }
    // train is non-empty (check_split), so there is a first level.
    log.one_hot.push(OneHot { column: name.to_string(), reference: level_text(levels[0]), created });
    Ok(())
}

/// The values of `column` on the training rows.
fn training_values(column: &[f64], train: &[usize]) -> Result<Vec<f64>, DataError> {
    alloc::collect(train.iter().map(|&i| column[i]), "the training values")
}

/// Centre and scale by training mean and sd when the training rows hold more than two values.
fn standardize(
    name: &str,
    mut column: Vec<f64>,
    train: &[usize],
    log: &mut PreprocessLog,
) -> Result<Vec<f64>, DataError> {
    let values = training_values(&column, train)?;
    if distinct(&values).len() <= 2 {
        return Ok(column);
    }
    let (m, sd) = (mean(&values), sample_sd(&values, mean(&values)));
    log.standardized.push(Standardized { column: name.to_string(), mean: m, sd });
    // In place: no second column of this size.
    for v in &mut column {
        *v = (*v - m) / sd;
    }
    Ok(column)
}

fn covariate_index(data: &CausalData, name: &str) -> Result<usize, DataError> {
    data.covariate_names.iter().position(|n| n == name).ok_or_else(|| DataError::UnknownCovariate {
        name: name.to_string(),
        suggestion: did_you_mean(name, data.covariate_names.iter().map(String::as_str)),
    })
}

fn check_split(data: &CausalData, split: &Split) -> Result<(), DataError> {
    let n = data.n_rows();
    if split.train.is_empty() {
        return Err(DataError::BadSplit { message: "the training part is empty".into() });
    }
    let parts = [&split.train, &split.validation, &split.test];
    if let Some(&row) = parts.iter().flat_map(|p| p.iter()).find(|&&i| i >= n) {
        return Err(DataError::BadSplit { message: format!("row {row} is out of range for {n} rows") });
    }
    Ok(())
}

/// The dataset restricted to `rows`, truth included.
fn keep_rows(data: &CausalData, rows: &[usize]) -> Result<CausalData, DataError> {
    let pick = |v: &[f64]| alloc::collect(rows.iter().map(|&i| v[i]), "the complete rows");
    let truth = data.truth.keep(pick)?;
    Ok(CausalData {
        covariate_names: data.covariate_names.clone(),
        covariates: data.covariates.iter().map(|c| pick(c)).collect::<Result<_, _>>()?,
        treatment: pick(&data.treatment)?,
        outcome: pick(&data.outcome)?,
        truth,
    })
}
