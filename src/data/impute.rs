//! Fill values for missing covariate cells, fitted on the training rows only, and
//! the column statistics standardization uses.

use serde::{Deserialize, Serialize};

use super::error::DataError;
use crate::suggest::did_you_mean;

/// What to do with missing covariate cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Impute {
    /// Refuse data with missing covariates.
    #[default]
    None,
    /// Drop incomplete rows before splitting.
    Drop,
    Mean,
    Median,
    MostFrequent,
}

/// Every method with its name as written in an experiment file.
pub const NAMES: [(&str, Impute); 5] = [
    ("none", Impute::None),
    ("drop", Impute::Drop),
    ("mean", Impute::Mean),
    ("median", Impute::Median),
    ("most_frequent", Impute::MostFrequent),
];

impl Impute {
    /// Parse a name as written in an experiment file.
    pub fn parse(name: &str) -> Result<Impute, DataError> {
        NAMES.iter().find(|(n, _)| *n == name).map(|(_, m)| *m).ok_or_else(|| DataError::UnknownImpute {
            name: name.to_string(),
            suggestion: did_you_mean(name, NAMES.iter().map(|(n, _)| *n)),
        })
    }

    pub fn name(self) -> &'static str {
        NAMES.iter().find(|(_, m)| *m == self).map_or("none", |(n, _)| n)
    }
}

/// The value that replaces missing cells, from the observed `values` (no NaN).
/// None when there is nothing to fit or the method does not fill.
pub(crate) fn fill_value(method: Impute, values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    match method {
        Impute::Mean => Some(mean(values)),
        Impute::Median => Some(median(values)),
        Impute::MostFrequent => Some(most_frequent(values)),
        Impute::None | Impute::Drop => None,
    }
}

pub(crate) fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Sample standard deviation (n - 1), as NPCI and R's sd() use.
pub(crate) fn sample_sd(values: &[f64], mean: f64) -> f64 {
    let ss: f64 = values.iter().map(|v| (v - mean).powi(2)).sum();
    (ss / (values.len() as f64 - 1.0)).sqrt()
}

fn median(values: &[f64]) -> f64 {
    let sorted = sorted(values);
    let n = sorted.len();
    if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0 }
}

/// The most common value; ties go to the smallest, as scikit-learn does.
fn most_frequent(values: &[f64]) -> f64 {
    let sorted = sorted(values);
    let (mut best, mut best_count) = (sorted[0], 0);
    let mut start = 0;
    while start < sorted.len() {
        let end = start + sorted[start..].iter().take_while(|v| **v == sorted[start]).count();
        if end - start > best_count {
            (best, best_count) = (sorted[start], end - start);
        }
        start = end;
    }
    best
}

/// Distinct values in ascending order.
pub(crate) fn distinct(values: &[f64]) -> Vec<f64> {
    let mut d = sorted(values);
    d.dedup();
    d
}

fn sorted(values: &[f64]) -> Vec<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn statistics_on_small_examples() {
        assert_eq!(fill_value(Impute::Mean, &[1.0, 2.0, 6.0]), Some(3.0));
        assert_eq!(fill_value(Impute::Median, &[5.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(fill_value(Impute::MostFrequent, &[3.0, 1.0, 3.0, 1.0, 2.0]), Some(1.0));
        assert_eq!(fill_value(Impute::Mean, &[]), None);
        assert_eq!(sample_sd(&[1.0, 2.0, 3.0], 2.0), 1.0);
    }

    #[test]
    fn names_round_trip_and_misspellings_get_a_suggestion() {
        for (name, method) in NAMES {
            assert_eq!(Impute::parse(name).unwrap(), method);
            assert_eq!(method.name(), name);
        }
        let err = Impute::parse("medain").unwrap_err().to_string();
        assert!(err.contains("did you mean `median`"), "{err}");
    }

    proptest! {
        // Oracle: the most frequent value by brute-force counting over each candidate.
        #[test]
        fn most_frequent_matches_counting(values in prop::collection::vec(0i8..6, 1..40)) {
            let xs: Vec<f64> = values.iter().map(|v| f64::from(*v)).collect();
            let count = |c: f64| xs.iter().filter(|x| **x == c).count();
            let best = xs.iter().copied().max_by(|a, b| count(*a).cmp(&count(*b)).then(b.total_cmp(a))).unwrap();
            prop_assert_eq!(most_frequent(&xs), best);
        }

        // Oracle: the median has at least half the values on each side.
        #[test]
        fn median_splits_the_values(values in prop::collection::vec(-100i32..100, 1..40)) {
            let xs: Vec<f64> = values.iter().map(|v| f64::from(*v)).collect();
            let m = median(&xs);
            let n = xs.len();
            prop_assert!(2 * xs.iter().filter(|x| **x <= m).count() >= n);
            prop_assert!(2 * xs.iter().filter(|x| **x >= m).count() >= n);
        }
    }
}
