//! Sequence covariates from a long-format CSV: one row per unit and step
//! (`unit, step, hr, bp`), attached to the unit table of a data-file
//! experiment as the sequences `hr[1..T]`, `bp[1..T]` (see `data::sequence`).
//!
//! Validated with the offending line: a step that is not a whole number from
//! 1 to T, a unit id the unit table does not have, a step given twice for a
//! unit. Ragged lengths and gaps are refused unless the experiment declares a
//! padding value, in which case every absent step takes it and an optional
//! mask sequence says which steps were observed (1) or padded (0).

use std::collections::BTreeMap;
use std::path::Path;

use super::csv::Table;
use super::{CausalData, DataError};
use crate::scm::sequence::step_column;

/// A long-format file's layout, as declared.
#[derive(Debug, Clone, PartialEq)]
pub struct SequenceLayout {
    /// The column of unit ids, matched to the unit table's `unit` column.
    pub unit: String,
    /// The column of step numbers, 1 to `length`.
    pub step: String,
    /// The value columns; each becomes a sequence of `length` steps.
    pub columns: Vec<String>,
    pub length: usize,
    /// `None`: every unit must have every step; `Some(v)`: absent steps read `v`.
    pub pad: Option<f64>,
    /// The name of a 0/1 sequence marking observed steps (only with `pad`).
    pub mask: Option<String>,
}

/// Attach the sequences of the long file (`path`, `bytes`) to `data`, whose
/// rows are the units `units` in order.
pub fn attach(
    data: &mut CausalData,
    units: &[&str],
    path: &Path,
    bytes: &[u8],
    layout: &SequenceLayout,
) -> Result<(), DataError> {
    let table = Table::parse(path, bytes)?;
    let at =
        |row: usize, message: String| DataError::Malformed { path: path.to_path_buf(), line: table.line(row), message };
    let mut row_of: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, u) in units.iter().enumerate() {
        if row_of.insert(u, i).is_some() {
            return Err(DataError::Sequences {
                path: path.to_path_buf(),
                message: format!("the unit table has unit `{u}` twice; unit ids must be unique to attach sequences"),
            });
        }
    }
    let ids = table.text(&layout.unit)?;
    let steps = table.numeric(&layout.step)?;
    let values: Vec<Vec<f64>> = layout.columns.iter().map(|c| table.numeric(c)).collect::<Result<_, _>>()?;
    let (n, t) = (units.len(), layout.length);
    // seen[unit * T + step - 1]: the long file's row holding that step.
    let mut seen: Vec<Option<usize>> = vec![None; n * t];
    for (r, (id, step)) in ids.iter().zip(&steps).enumerate() {
        let Some(&unit) = row_of.get(id) else {
            let hint = crate::suggest::hint(&crate::suggest::did_you_mean(id, units.iter().copied()));
            return Err(at(r, format!("unit `{id}` is not in the unit table's `{}` column{hint}", layout.unit)));
        };
        if !(step.fract() == 0.0 && *step >= 1.0 && *step <= t as f64) {
            return Err(at(r, format!("step `{step}` of unit `{id}` is not a whole number from 1 to the length {t}")));
        }
        let slot = unit * t + *step as usize - 1;
        if let Some(first) = seen[slot] {
            return Err(at(r, format!("unit `{id}` has step {step} twice (first on line {})", table.line(first))));
        }
        seen[slot] = Some(r);
    }
    if layout.pad.is_none()
        && let Some(slot) = seen.iter().position(Option::is_none)
    {
        let unit = slot / t;
        let missing: Vec<String> =
            (0..t).filter(|k| seen[unit * t + k].is_none()).map(|k| (k + 1).to_string()).collect();
        return Err(DataError::Sequences {
            path: path.to_path_buf(),
            message: format!(
                "unit `{}` lacks step{} {} of {t} (ragged lengths or gaps); declare `pad:` to pad absent steps \
                 (and `mask:` to mark them)",
                units[unit],
                if missing.len() == 1 { "" } else { "s" },
                missing.join(", ")
            ),
        });
    }
    let pad = layout.pad.unwrap_or(f64::NAN);
    for (name, column) in layout.columns.iter().zip(&values) {
        for k in 0..t {
            let col = (0..n).map(|u| seen[u * t + k].map_or(pad, |r| column[r])).collect();
            data.covariate_names.push(step_column(name, k + 1));
            data.covariates.push(col);
        }
    }
    if let Some(mask) = &layout.mask {
        for k in 0..t {
            data.covariate_names.push(step_column(mask, k + 1));
            data.covariates.push((0..n).map(|u| if seen[u * t + k].is_some() { 1.0 } else { 0.0 }).collect());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Truth;

    fn units() -> CausalData {
        CausalData {
            covariate_names: vec!["age".into()],
            covariates: vec![vec![30.0, 40.0]],
            treatment: vec![0.0, 1.0],
            outcome: vec![1.0, 2.0],
            truth: Truth::None,
        }
    }

    fn layout(pad: Option<f64>, mask: Option<&str>) -> SequenceLayout {
        SequenceLayout {
            unit: "id".into(),
            step: "day".into(),
            columns: vec!["hr".into()],
            length: 3,
            pad,
            mask: mask.map(str::to_string),
        }
    }

    fn attached(text: &str, l: &SequenceLayout) -> Result<CausalData, String> {
        let mut d = units();
        attach(&mut d, &["a", "b"], Path::new("v.csv"), text.as_bytes(), l).map_err(|e| e.to_string())?;
        Ok(d)
    }

    #[test]
    fn steps_in_any_order_become_columns() {
        let d = attached("id,day,hr\nb,2,72\na,1,80\na,3,82\nb,1,70\na,2,81\nb,3,74\n", &layout(None, None)).unwrap();
        assert_eq!(d.covariate_names, ["age", "hr[1]", "hr[2]", "hr[3]"]);
        assert_eq!(d.covariates[1], [80.0, 70.0]);
        assert_eq!(d.covariates[3], [82.0, 74.0]);
    }

    #[test]
    fn padding_and_masking() {
        let d = attached("id,day,hr\na,1,80\na,2,81\nb,3,74\n", &layout(Some(0.0), Some("seen"))).unwrap();
        assert_eq!(d.covariate_names[1..], ["hr[1]", "hr[2]", "hr[3]", "seen[1]", "seen[2]", "seen[3]"]);
        assert_eq!([d.covariates[1].clone(), d.covariates[3].clone()], [[80.0, 0.0], [0.0, 74.0]]);
        assert_eq!([d.covariates[4].clone(), d.covariates[6].clone()], [[1.0, 0.0], [0.0, 1.0]]);
    }

    #[test]
    fn bad_files_are_refused_with_their_line() {
        let l = layout(None, None);
        let e = attached("id,day,hr\na,1,80\nzzz,1,70\n", &l).unwrap_err();
        assert_eq!(e, "v.csv: line 3: unit `zzz` is not in the unit table's `id` column");
        let e = attached("id,day,hr\na,1,80\na,1,81\n", &l).unwrap_err();
        assert_eq!(e, "v.csv: line 3: unit `a` has step 1 twice (first on line 2)");
        let e = attached("id,day,hr\na,4,80\n", &l).unwrap_err();
        assert_eq!(e, "v.csv: line 2: step `4` of unit `a` is not a whole number from 1 to the length 3");
        let e = attached("id,day,hr\na,1.5,80\n", &l).unwrap_err();
        assert!(e.contains("line 2: step `1.5`"), "{e}");
        let e = attached("id,day,hr\na,1,80\na,3,82\nb,1,70\nb,2,71\nb,3,72\n", &l).unwrap_err();
        assert!(e.contains("unit `a` lacks step 2 of 3 (ragged lengths or gaps); declare `pad:`"), "{e}");
        let e = attached("id,day,pulse\na,1,80\n", &l).unwrap_err();
        assert!(e.contains("no column named 'hr'"), "{e}");
    }
}
