//! Sequence covariates in a dataset: a sequence `hr` of `T` steps is the `T`
//! columns `hr[1]`, ..., `hr[T]`. An estimator's covariate list names the
//! sequence (`hr`: every step, in step order, for an encoder or flattened for
//! any other estimator) or a declared summary of it (`slope(hr)`: one column,
//! computed here with the same function the simulator's `slope(hr)` uses).

use crate::scm::Summary;
use crate::scm::sequence::{parse_summary_call, step_of};

use super::CausalData;

/// The step columns of sequence `name` among `names`, in step order; empty if
/// there are none.
pub fn step_columns(names: &[String], name: &str) -> Vec<usize> {
    let mut steps: Vec<(usize, usize)> =
        names.iter().enumerate().filter_map(|(i, n)| Some((step_of(n, name)?, i))).collect();
    steps.sort_unstable();
    steps.into_iter().map(|(_, i)| i).collect()
}

/// Resolve a covariate list against `data`: a name that is a column stays;
/// a sequence's name becomes its step columns; a declared summary becomes a
/// column appended to `data` (once). Other names stay, for the selection to
/// refuse with its own message.
pub fn expand(data: &mut CausalData, names: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        if data.covariate_names.contains(name) {
            out.push(name.clone());
            continue;
        }
        if let Some((summary, seq)) = parse_summary_call(name) {
            let steps = step_columns(&data.covariate_names, seq);
            if !steps.is_empty() {
                let column = summarise(data, &steps, summary);
                data.covariate_names.push(name.clone());
                data.covariates.push(column);
                out.push(name.clone());
                continue;
            }
        }
        let steps = step_columns(&data.covariate_names, name);
        if steps.is_empty() {
            out.push(name.clone());
        } else {
            out.extend(steps.into_iter().map(|i| data.covariate_names[i].clone()));
        }
    }
    out
}

/// The summary of every row's steps (a row with a missing step gets NaN, and
/// so is handled as a missing value).
fn summarise(data: &CausalData, steps: &[usize], summary: Summary) -> Vec<f64> {
    let mut row = vec![0.0; steps.len()];
    (0..data.n_rows())
        .map(|i| {
            row.iter_mut().zip(steps).for_each(|(r, &j)| *r = data.covariates[j][i]);
            if row.iter().any(|x| x.is_nan()) { f64::NAN } else { summary.apply(&row) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Truth;

    fn data() -> CausalData {
        // Columns out of step order on purpose; rows: (1, 2, 4) and (3, NaN, 1).
        let names = ["h[3]", "a", "h[1]", "h[2]", "h_mean"];
        CausalData {
            covariate_names: names.iter().map(|s| s.to_string()).collect(),
            covariates: vec![vec![4.0, 1.0], vec![0.0, 0.0], vec![1.0, 3.0], vec![2.0, f64::NAN], vec![0.0, 0.0]],
            treatment: vec![0.0, 1.0],
            outcome: vec![0.0, 0.0],
            truth: Truth::None,
        }
    }

    #[test]
    fn names_summaries_and_sequences_resolve() {
        let mut d = data();
        let list: Vec<String> = ["a", "h", "slope(h)", "last(h)", "nope"].iter().map(|s| s.to_string()).collect();
        let out = expand(&mut d, &list);
        assert_eq!(out, ["a", "h[1]", "h[2]", "h[3]", "slope(h)", "last(h)", "nope"]);
        let col = |n: &str| d.covariates[d.covariate_names.iter().position(|c| c == n).unwrap()].clone();
        assert_eq!(col("slope(h)")[0], 1.5);
        assert!(col("slope(h)")[1].is_nan());
        assert_eq!(col("last(h)")[0], 4.0);
        // Expanding again appends nothing new.
        let again = expand(&mut d, &["slope(h)".to_string()]);
        assert_eq!((again.len(), d.covariate_names.len()), (1, 7));
    }
}
