//! What preprocessing did to a dataset, kept with the run's outcome so that a
//! result table can be traced back to the rows and columns it was computed on.
//! Entries keep the order of the covariates, so the log of a run is the same
//! bytes every time.

use std::fmt;

use serde::Serialize;

/// The record of `select_and_drop` and `fit_transform`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PreprocessLog {
    /// Covariates kept by selection, and how many the data had (0, 0 if no selection ran).
    pub covariates_kept: usize,
    pub covariates_available: usize,
    /// Rows removed because a selected covariate was missing (impute: drop).
    pub rows_dropped: usize,
    pub imputed: Vec<Imputed>,
    /// Missingness indicator columns created.
    pub indicators: Vec<String>,
    pub one_hot: Vec<OneHot>,
    /// Squared columns created (`<column>^2`).
    pub squared: Vec<String>,
    pub standardized: Vec<Standardized>,
}

/// Missing cells of one column and what they were filled with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Imputed {
    pub column: String,
    pub cells: usize,
    pub method: String,
    pub value: f64,
}

/// A categorical column replaced by indicators of every level but the reference.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OneHot {
    pub column: String,
    /// The reference level as written in the names (a number, or a text level).
    pub reference: String,
    pub created: Vec<String>,
}

/// A column centred and scaled with training-row statistics.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Standardized {
    pub column: String,
    pub mean: f64,
    pub sd: f64,
}

impl PreprocessLog {
    /// Every column preprocessing added (one-hot levels, squares, indicators), in that order.
    pub fn columns_created(&self) -> Vec<String> {
        let levels = self.one_hot.iter().flat_map(|o| o.created.iter().cloned());
        levels.chain(self.squared.iter().cloned()).chain(self.indicators.iter().cloned()).collect()
    }
}

impl fmt::Display for PreprocessLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.covariates_available > 0 {
            writeln!(f, "selected {} of {} covariates", self.covariates_kept, self.covariates_available)?;
        }
        writeln!(f, "dropped {} rows with missing covariates", self.rows_dropped)?;
        for i in &self.imputed {
            writeln!(f, "imputed {} cells of {} with the {} {:.6}", i.cells, i.column, i.method, i.value)?;
        }
        for name in &self.indicators {
            writeln!(f, "added missingness indicator {name}")?;
        }
        for o in &self.one_hot {
            writeln!(f, "one-hot {} (reference {}): {}", o.column, o.reference, o.created.join(", "))?;
        }
        for name in &self.squared {
            writeln!(f, "added square {name}")?;
        }
        for s in &self.standardized {
            writeln!(f, "standardized {} (mean {:.6}, sd {:.6})", s.column, s.mean, s.sd)?;
        }
        Ok(())
    }
}
