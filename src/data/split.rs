//! Train / validation / test partition of a dataset's rows.
//!
//! "In-sample" follows the neural causal-inference papers (Shalit et al. 2017):
//! every row that is not in the test set, i.e. train and validation together.

use rand::seq::SliceRandom;

use super::alloc;
use super::error::DataError;
use crate::rng::RunRng;

/// Shares of all rows held out for test and for validation; the rest is train.
/// Shalit et al.'s 63/27/10 protocol is `{ test: 0.1, validation: 0.27 }`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitFractions {
    /// Share of all rows held out as the out-of-sample test set.
    pub test: f64,
    /// Share of all rows used for validation (early stopping, model selection).
    pub validation: f64,
}

/// Row indices of each part, each sorted ascending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub train: Vec<usize>,
    pub validation: Vec<usize>,
    pub test: Vec<usize>,
}

impl Split {
    /// Shuffle the rows with the run's RNG and cut them by `fractions`. Panics
    /// (which a run reports as its failure) where `try_draw` returns an error.
    pub fn draw(n: usize, fractions: SplitFractions, rng: &mut RunRng) -> Split {
        Split::try_draw(n, fractions, rng).unwrap_or_else(|e| panic!("{e}"))
    }

    /// `draw`, failing when the row indices cannot be allocated.
    pub fn try_draw(n: usize, fractions: SplitFractions, rng: &mut RunRng) -> Result<Split, DataError> {
        let mut rows = alloc::collect(0..n, "the split's row indices")?;
        rows.shuffle(rng);
        let n_test = (fractions.test * n as f64).round() as usize;
        let n_val = ((fractions.validation * n as f64).round() as usize).min(n - n_test);
        // The training part reuses the shuffled rows' allocation.
        let mut test = alloc::copy(&rows[..n_test], "the split's row indices")?;
        let mut validation = alloc::copy(&rows[n_test..n_test + n_val], "the split's row indices")?;
        rows.drain(..n_test + n_val);
        let mut train = rows;
        test.sort_unstable();
        validation.sort_unstable();
        train.sort_unstable();
        Ok(Split { train, validation, test })
    }

    /// A split whose test rows are fixed: the last `n_test` of `n_train + n_test`
    /// rows (a separate test archive's, as in cfrnet). The first `n_train` rows
    /// are shuffled and cut into validation and training, the validation share
    /// of them being `validation / (1 - test)`: the share of the non-test rows
    /// that `fractions` gives (0.27 / 0.9 = 0.3 by default, cfrnet's `val_part`).
    pub fn try_draw_with_test(
        n_train: usize,
        n_test: usize,
        fractions: SplitFractions,
        rng: &mut RunRng,
    ) -> Result<Split, DataError> {
        let mut rows = alloc::collect(0..n_train, "the split's row indices")?;
        rows.shuffle(rng);
        let share = if fractions.test < 1.0 { fractions.validation / (1.0 - fractions.test) } else { 0.0 };
        let n_val = ((share * n_train as f64).round() as usize).min(n_train);
        let mut validation = alloc::copy(&rows[..n_val], "the split's row indices")?;
        rows.drain(..n_val);
        let mut train = rows;
        validation.sort_unstable();
        train.sort_unstable();
        let test = alloc::collect(n_train..n_train + n_test, "the split's row indices")?;
        Ok(Split { train, validation, test })
    }

    /// The split of the rows `kept` (ascending indices into the rows this split
    /// was drawn over), renumbered to positions in `kept`: each kept row stays in
    /// its part, so dropping rows for one analysis moves no other row.
    pub fn restrict(&self, kept: &[usize]) -> Split {
        let part = |rows: &[usize]| rows.iter().filter_map(|r| kept.binary_search(r).ok()).collect();
        Split { train: part(&self.train), validation: part(&self.validation), test: part(&self.test) }
    }

    /// Train and validation rows together, sorted: the papers' "within-sample" rows.
    pub fn in_sample(&self) -> Vec<usize> {
        let mut rows = [self.train.as_slice(), self.validation.as_slice()].concat();
        rows.sort_unstable();
        rows
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_restricted_split_keeps_each_row_in_its_part() {
        let split = super::Split { train: vec![0, 2, 5, 7], validation: vec![1, 6], test: vec![3, 4] };
        let kept = [0, 1, 3, 5, 6];
        let r = split.restrict(&kept);
        // Kept rows 0, 1, 3, 5, 6 are positions 0..5.
        assert_eq!(r, super::Split { train: vec![0, 3], validation: vec![1, 4], test: vec![2] });
    }

    use super::*;
    use rand::SeedableRng;

    #[test]
    fn parts_partition_the_rows() {
        let mut rng = RunRng::seed_from_u64(3);
        let s = Split::draw(100, SplitFractions { test: 0.1, validation: 0.27 }, &mut rng);
        assert_eq!((s.train.len(), s.validation.len(), s.test.len()), (63, 27, 10));
        let mut all = [s.train.clone(), s.validation.clone(), s.test.clone()].concat();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn a_fixed_test_part_is_the_last_rows() {
        let f = SplitFractions { test: 0.1, validation: 0.27 };
        let s = Split::try_draw_with_test(100, 20, f, &mut RunRng::seed_from_u64(1)).unwrap();
        assert_eq!(s.test, (100..120).collect::<Vec<_>>());
        assert_eq!((s.train.len(), s.validation.len()), (70, 30));
        let mut all = [s.train.clone(), s.validation.clone()].concat();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn same_seed_same_split() {
        let f = SplitFractions { test: 0.2, validation: 0.2 };
        let a = Split::draw(50, f, &mut RunRng::seed_from_u64(9));
        let b = Split::draw(50, f, &mut RunRng::seed_from_u64(9));
        let c = Split::draw(50, f, &mut RunRng::seed_from_u64(10));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
