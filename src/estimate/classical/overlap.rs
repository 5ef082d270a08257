//! What the weighting estimators do with propensity scores near 0 or 1, per
//! estimand: clipping (a score is moved to a bound, the row kept) and trimming
//! (the row is dropped, Crump, Hotz, Imbens and Mitnik 2009, Biometrika 96(1)).
//!
//! The ATE weights the treated by 1/e and the controls by 1/(1 - e), unbounded at
//! both ends, so its clip is two-sided: e in [clip, 1 - clip].
//!
//! The ATT weights the treated by 1 and the controls by the odds e / (1 - e),
//! which tend to 0 as e -> 0 (a control unlike every treated unit simply counts
//! for little) and are unbounded only as e -> 1. Identification of the ATT needs
//! only e(x) < 1 (Imbens 2004, REStat 86(1); Imbens and Wooldridge 2009, JEL
//! 47(1), section 3), so its clip bounds only the upper end, e <= 1 - clip.
//! Raising a small e to the ATE's lower bound instead multiplies that control's
//! weight by about clip / e: on LaLonde's CPS controls (e down to 4e-6) the
//! two-sided clip at 0.01 raised 14,510 of 15,992 controls and turned the ATT
//! of +1180 into -3549.
//!
//! Trimming changes the estimand (to the effect on the rows kept), so it is off
//! by default; Crump et al.'s rule of thumb is 0.1. For the ATE it drops rows with
//! e outside [trim, 1 - trim]; for the ATT only rows with e > 1 - trim, treated
//! units without comparable controls (the controls that would be dropped there
//! carry the largest weights).

/// The estimand a clip or trim is for.
pub(super) use crate::estimate::Estimand;

impl Estimand {
    /// The range of scores a clip at `clip` keeps.
    fn clip_bounds(self, clip: f64) -> (f64, f64) {
        match self {
            Estimand::Ate => (clip, 1.0 - clip),
            Estimand::Att => (0.0, 1.0 - clip),
        }
    }
}

/// The scores clipped for `estimand`, and how many rows whose weight uses their
/// score were moved: every row for the ATE, the controls for the ATT (a treated
/// row's ATT weight is 1 whatever its score). `treated` says which rows are treated.
pub fn clip(e: &[f64], treated: &[bool], clip: f64, estimand: Estimand) -> (Vec<f64>, usize) {
    let (lo, hi) = estimand.clip_bounds(clip);
    let weighted = |i: usize| estimand == Estimand::Ate || !treated[i];
    let moved = (0..e.len()).filter(|&i| weighted(i) && (e[i] < lo || e[i] > hi)).count();
    (e.iter().map(|v| v.clamp(lo, hi)).collect(), moved)
}

/// Which rows a trim at `trim` keeps for `estimand` (all of them without a trim).
pub fn keep(e: &[f64], trim: Option<f64>, estimand: Estimand) -> Vec<bool> {
    match (trim, estimand) {
        (None, _) => vec![true; e.len()],
        (Some(a), Estimand::Ate) => e.iter().map(|&v| (a..=1.0 - a).contains(&v)).collect(),
        (Some(a), Estimand::Att) => e.iter().map(|&v| v <= 1.0 - a).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const E: [f64; 4] = [1e-5, 0.3, 0.995, 0.999];
    const TREATED: [bool; 4] = [false, true, true, false];

    #[test]
    fn the_ate_clip_is_two_sided_and_counts_every_row() {
        let (e, moved) = clip(&E, &TREATED, 0.01, Estimand::Ate);
        assert_eq!(e, [0.01, 0.3, 0.99, 0.99]);
        assert_eq!(moved, 3);
    }

    /// Small scores keep their small odds; only a control's large score is
    /// bounded, and a treated row's score does not count (its weight is 1).
    #[test]
    fn the_att_clip_bounds_only_large_scores_of_controls() {
        let (e, moved) = clip(&E, &TREATED, 0.01, Estimand::Att);
        assert_eq!(e, [1e-5, 0.3, 0.99, 0.99]);
        assert_eq!(moved, 1);
    }

    #[test]
    fn trimming_drops_rows_outside_the_overlap_region() {
        assert_eq!(keep(&E, None, Estimand::Ate), [true; 4]);
        assert_eq!(keep(&E, Some(0.1), Estimand::Ate), [false, true, false, false]);
        assert_eq!(keep(&E, Some(0.1), Estimand::Att), [true, true, false, false]);
    }
}
