//! Numpy archives (`.npz`: a zip of `.npy` arrays) in the layout of cfrnet,
//! which CATENets, DragonNet and CEVAE's IHDP and Jobs files share: `x` of
//! shape (rows, covariates, replications), and `t`, `yf`, `ycf`, `mu0`, `mu1`,
//! `e` of shape (rows, replications); a 2-D `x` (and 1-D vectors) hold one
//! replication. Replication k reads slice k. A separate test archive holds the
//! out-of-sample rows, as in cfrnet.
//!
//! zip and ndarray-npy read the bytes (deflated or stored members, either byte
//! order, C or Fortran order); before an array is decoded, its header's shape
//! is held to the bytes present, so a truncated or mislabeled archive is an
//! error that names it, never an allocation the file only claims to need.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use ndarray::ArrayD;
use ndarray_npy::ReadNpyExt;
use ndarray_npy::npy::header::Header;

use super::error::DataError;
use super::truth::potential_from_counterfactual;
use super::{CausalData, Truth, alloc};

/// The roles of an archive's arrays, with cfrnet's names as defaults.
pub const NPZ_ROLES: [&str; 7] = ["x", "t", "yf", "ycf", "mu0", "mu1", "e"];

/// The roles every archive must hold.
const REQUIRED: [&str; 3] = ["x", "t", "yf"];

/// Which array plays each role: cfrnet's name unless the experiment names
/// another. An optional role under its default name is used when present; one
/// the experiment names must be present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NpzArrays {
    names: BTreeMap<String, String>,
    explicit: BTreeSet<String>,
}

impl NpzArrays {
    /// `named`: role -> array name, as the experiment wrote it (roles checked by the caller).
    pub fn new(named: &BTreeMap<String, String>) -> NpzArrays {
        let mut names: BTreeMap<String, String> = NPZ_ROLES.iter().map(|r| (r.to_string(), r.to_string())).collect();
        names.extend(named.iter().map(|(k, v)| (k.clone(), v.clone())));
        NpzArrays { names, explicit: named.keys().cloned().collect() }
    }

    /// The array name of `role`.
    pub fn name(&self, role: &str) -> &str {
        self.names.get(role).map_or("", String::as_str)
    }

    /// The roles the experiment named (for the run keys: defaults are implied).
    pub fn explicit(&self) -> BTreeMap<&str, &str> {
        self.explicit.iter().map(|r| (r.as_str(), self.name(r))).collect()
    }

    fn required(&self, role: &str) -> bool {
        REQUIRED.contains(&role) || self.explicit.contains(role)
    }
}

/// One decoded array: its shape and its values in C (row-major) order.
#[derive(Debug, Clone, PartialEq)]
struct Array {
    shape: Vec<usize>,
    values: Vec<f64>,
}

/// The arrays of one archive that the roles name.
#[derive(Debug, Clone)]
pub struct NpzArchive {
    path: PathBuf,
    arrays: BTreeMap<String, Array>,
    /// Every member's name, for messages.
    members: Vec<String>,
}

impl NpzArchive {
    /// Decode the arrays `wanted` of archive `bytes` (the content of `path`);
    /// the others are listed, not read.
    pub fn parse(path: &Path, bytes: &[u8], wanted: &[&str]) -> Result<NpzArchive, DataError> {
        let not_archive = |message: String| DataError::NotAnArchive { path: path.to_path_buf(), message };
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| not_archive(e.to_string()))?;
        let mut arrays = BTreeMap::new();
        let mut members = Vec::new();
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).map_err(|e| not_archive(e.to_string()))?;
            let member = entry.name().map_err(|e| not_archive(e.to_string()))?.to_string();
            let name = member.strip_suffix(".npy").unwrap_or(&member).to_string();
            members.push(name.clone());
            if !wanted.contains(&name.as_str()) {
                continue;
            }
            let bad = |message: String| DataError::BadArray { path: path.to_path_buf(), array: name.clone(), message };
            // Bounded by the bytes the member really inflates to, not by a size it claims.
            let mut raw = Vec::new();
            entry.read_to_end(&mut raw).map_err(|e| bad(format!("cannot read the member: {e}")))?;
            arrays.insert(name.clone(), decode(&raw).map_err(bad)?);
        }
        Ok(NpzArchive { path: path.to_path_buf(), arrays, members })
    }

    /// The array of `role`, if the archive holds it; an error if it must.
    fn get(&self, arrays: &NpzArrays, role: &str) -> Result<Option<&Array>, DataError> {
        let name = arrays.name(role);
        match self.arrays.get(name) {
            Some(a) => Ok(Some(a)),
            None if arrays.required(role) => Err(DataError::MissingArray {
                path: self.path.clone(),
                array: name.to_string(),
                suggestion: crate::suggest::did_you_mean(name, self.members.iter().map(String::as_str)),
                known: self.members.join(", "),
            }),
            None => Ok(None),
        }
    }
}

/// Decode one `.npy` member: its header, checked against the bytes present,
/// then its values by their element type, in logical (C) order whatever the
/// memory order.
fn decode(raw: &[u8]) -> Result<Array, String> {
    let mut rest = raw;
    let header = Header::from_reader(&mut rest).map_err(|e| format!("not a .npy array: {e}"))?;
    let descr = header.type_descriptor.to_string();
    let descr = descr.trim_matches(|c| c == '\'' || c == '"');
    let item: usize = descr.get(2..).and_then(|s| s.parse().ok()).ok_or_else(|| unsupported(descr))?;
    if !matches!(descr.as_bytes().get(1), Some(b'f' | b'i' | b'u' | b'b')) {
        return Err(unsupported(descr));
    }
    let count = header.shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
    let needed = count.and_then(|n| n.checked_mul(item));
    if needed != Some(rest.len()) {
        return Err(format!(
            "the header declares shape {:?} of `{descr}` ({} bytes) but the member holds {} bytes: the archive is truncated or damaged",
            header.shape,
            needed.map_or("too many".to_string(), |n| n.to_string()),
            rest.len()
        ));
    }
    let read = |e: ndarray_npy::ReadNpyError| format!("cannot decode `{descr}` values: {e}");
    let values: Vec<f64> = match (descr.as_bytes().get(1), item) {
        (Some(b'f'), 8) => ArrayD::<f64>::read_npy(raw).map_err(read)?.iter().copied().collect(),
        (Some(b'f'), 4) => ArrayD::<f32>::read_npy(raw).map_err(read)?.iter().map(|&v| f64::from(v)).collect(),
        (Some(b'i'), 8) => ArrayD::<i64>::read_npy(raw).map_err(read)?.iter().map(|&v| v as f64).collect(),
        (Some(b'i'), 4) => ArrayD::<i32>::read_npy(raw).map_err(read)?.iter().map(|&v| f64::from(v)).collect(),
        (Some(b'i'), 2) => ArrayD::<i16>::read_npy(raw).map_err(read)?.iter().map(|&v| f64::from(v)).collect(),
        (Some(b'i'), 1) => ArrayD::<i8>::read_npy(raw).map_err(read)?.iter().map(|&v| f64::from(v)).collect(),
        (Some(b'u'), 8) => ArrayD::<u64>::read_npy(raw).map_err(read)?.iter().map(|&v| v as f64).collect(),
        (Some(b'u'), 4) => ArrayD::<u32>::read_npy(raw).map_err(read)?.iter().map(|&v| f64::from(v)).collect(),
        (Some(b'u'), 1) => ArrayD::<u8>::read_npy(raw).map_err(read)?.iter().map(|&v| f64::from(v)).collect(),
        (Some(b'b'), 1) => {
            ArrayD::<bool>::read_npy(raw).map_err(read)?.iter().map(|&v| f64::from(u8::from(v))).collect()
        }
        _ => return Err(unsupported(descr)),
    };
    Ok(Array { shape: header.shape, values })
}

fn unsupported(descr: &str) -> String {
    format!("element type `{descr}` is not a number causeway reads (floats, integers and booleans are)")
}

/// The training archive, the optional test archive, and which array plays
/// each role, checked for consistent shapes.
#[derive(Debug, Clone)]
pub struct NpzData {
    train: NpzArchive,
    test: Option<NpzArchive>,
    arrays: NpzArrays,
    /// Slices along the replication axis (1 for 2-D arrays).
    slices: usize,
}

impl NpzData {
    /// Check the archives: every role's array of the right rank, all with the
    /// same rows (per archive), covariates and replications.
    pub fn new(train: NpzArchive, test: Option<NpzArchive>, arrays: NpzArrays) -> Result<NpzData, DataError> {
        let x = train.get(&arrays, "x")?.ok_or_else(|| unreachable_required(&train))?;
        let (d, slices) = match x.shape.as_slice() {
            [_, d] => (*d, 1),
            [_, d, r] => (*d, *r),
            other => {
                return Err(bad_shape(
                    &train,
                    arrays.name("x"),
                    other,
                    "(rows, covariates) or (rows, covariates, replications)",
                ));
            }
        };
        for archive in std::iter::once(&train).chain(test.as_ref()) {
            check_shapes(archive, &arrays, d, slices)?;
        }
        Ok(NpzData { train, test, arrays, slices })
    }

    /// Replications the archives hold (the third axis of `x`; 1 for 2-D arrays).
    pub fn slices(&self) -> usize {
        self.slices
    }

    /// What the truth of these archives is, for descriptions and checks.
    pub fn truth_kind(&self) -> &'static str {
        let has = |role| self.train.arrays.contains_key(self.arrays.name(role));
        if has("mu0") && has("mu1") {
            "noiseless potential outcomes (mu0, mu1)"
        } else if has("ycf") {
            "the counterfactual outcome (ycf)"
        } else if has("e") {
            "the experimental subset (e)"
        } else {
            "none"
        }
    }

    /// The rows of replication `replication` (slice k of the third axis; a
    /// 2-D archive's one slice for every replication): the training archive's
    /// rows, then the test archive's, and how many test rows close the table.
    pub fn load(&self, replication: usize) -> Result<(CausalData, usize), DataError> {
        let k = if self.slices == 1 { 0 } else { replication };
        if k >= self.slices {
            return Err(DataError::BadOption {
                name: self.train.path.display().to_string(),
                message: format!(
                    "replication {} asks for slice {k} but the archive holds {} replications",
                    replication + 1,
                    self.slices
                ),
            });
        }
        let mut data = slice(&self.train, &self.arrays, k, self.slices)?;
        let mut n_test = 0;
        if let Some(test) = &self.test {
            let t = slice(test, &self.arrays, k, self.slices)?;
            n_test = t.n_rows();
            append(&mut data, t)?;
        }
        Ok((data, n_test))
    }
}

fn unreachable_required(archive: &NpzArchive) -> DataError {
    DataError::NotAnArchive { path: archive.path.clone(), message: "it holds no covariate array".into() }
}

fn bad_shape(archive: &NpzArchive, name: &str, shape: &[usize], expected: &str) -> DataError {
    DataError::BadArray {
        path: archive.path.clone(),
        array: name.to_string(),
        message: format!("has shape {shape:?}, expected {expected}"),
    }
}

/// Every role's array has the archive's rows, `d` covariates (x) and `slices` replications.
fn check_shapes(archive: &NpzArchive, arrays: &NpzArrays, d: usize, slices: usize) -> Result<(), DataError> {
    let x = archive.get(arrays, "x")?.ok_or_else(|| unreachable_required(archive))?;
    let n = x.shape.first().copied().unwrap_or(0);
    let expected_x = if slices == 1 { vec![n, d] } else { vec![n, d, slices] };
    if x.shape != expected_x {
        return Err(bad_shape(
            archive,
            arrays.name("x"),
            &x.shape,
            &format!("{expected_x:?} like the training archive's"),
        ));
    }
    if n == 0 {
        return Err(bad_shape(archive, arrays.name("x"), &x.shape, "at least one row"));
    }
    for role in &NPZ_ROLES[1..] {
        let Some(a) = archive.get(arrays, role)? else { continue };
        let fits = match a.shape.as_slice() {
            [rows] => *rows == n && slices == 1,
            [rows, r] => *rows == n && *r == slices,
            _ => false,
        };
        if !fits {
            let expected = if slices == 1 { format!("({n},)") } else { format!("({n}, {slices})") };
            return Err(bad_shape(archive, arrays.name(role), &a.shape, &expected));
        }
    }
    Ok(())
}

/// Column `k` of a (rows, slices) array (or the whole of a 1-D one).
fn column(a: &Array, k: usize, slices: usize) -> Vec<f64> {
    let n = a.shape[0];
    (0..n).map(|i| a.values[i * slices + k]).collect()
}

/// Replication `k` of one archive as a dataset, with the checks a CSV's columns get.
fn slice(archive: &NpzArchive, arrays: &NpzArrays, k: usize, slices: usize) -> Result<CausalData, DataError> {
    let x = archive.get(arrays, "x")?.ok_or_else(|| unreachable_required(archive))?;
    let (n, d) = (x.shape[0], x.shape[1]);
    let mut covariates = Vec::with_capacity(d);
    for j in 0..d {
        covariates.push(alloc::collect((0..n).map(|i| x.values[(i * d + j) * slices + k]), "a data column")?);
    }
    let vector = |role: &str| -> Result<Option<Vec<f64>>, DataError> {
        Ok(archive.get(arrays, role)?.map(|a| column(a, k, slices)))
    };
    let required = |role: &str| vector(role).and_then(|v| v.ok_or_else(|| unreachable_required(archive)));
    let treatment = required("t")?;
    let outcome = required("yf")?;
    let bad_value = |role: &str, row: usize, what: &str, value: f64| DataError::BadArray {
        path: archive.path.clone(),
        array: arrays.name(role).to_string(),
        message: format!("row {row} of replication {}: {what}, found {value}", k + 1),
    };
    if let Some(i) = treatment.iter().position(|&v| v != 0.0 && v != 1.0) {
        return Err(bad_value("t", i, "the treatment must be 0 or 1", treatment[i]));
    }
    // A missing covariate (NaN) is for `preprocess.impute`; an infinite one is no value at all.
    for (j, c) in covariates.iter().enumerate() {
        if let Some(i) = c.iter().position(|v| v.is_infinite()) {
            return Err(bad_value("x", i, &format!("covariate {} must be a number or missing (NaN)", j + 1), c[i]));
        }
    }
    for role in ["yf", "ycf", "mu0", "mu1", "e"] {
        if let Some(v) = vector(role)?
            && let Some(i) = v.iter().position(|v| !v.is_finite())
        {
            return Err(bad_value(role, i, "every value must be a finite number", v[i]));
        }
    }
    let truth = match (vector("mu0")?, vector("mu1")?, vector("ycf")?, vector("e")?) {
        (Some(mu0), Some(mu1), _, _) => Truth::Potential { mu0, mu1 },
        (_, _, Some(ycf), _) => potential_from_counterfactual(&treatment, &outcome, &ycf),
        (_, _, _, Some(e)) => Truth::Experimental { e },
        _ => Truth::None,
    };
    let covariate_names = (1..=d).map(|j| format!("x{j}")).collect();
    Ok(CausalData { covariate_names, covariates, treatment, outcome, truth })
}

/// Append the rows of `more` (same covariates, same kind of truth) to `data`.
fn append(data: &mut CausalData, more: CausalData) -> Result<(), DataError> {
    for (c, m) in data.covariates.iter_mut().zip(more.covariates) {
        c.extend(m);
    }
    data.treatment.extend(more.treatment);
    data.outcome.extend(more.outcome);
    data.truth = match (std::mem::replace(&mut data.truth, Truth::None), more.truth) {
        (Truth::Potential { mut mu0, mut mu1 }, Truth::Potential { mu0: m0, mu1: m1 }) => {
            mu0.extend(m0);
            mu1.extend(m1);
            Truth::Potential { mu0, mu1 }
        }
        (Truth::Experimental { mut e }, Truth::Experimental { e: more }) => {
            e.extend(more);
            Truth::Experimental { e }
        }
        (Truth::None, Truth::None) => Truth::None,
        _ => {
            return Err(DataError::BadOption {
                name: "npz".into(),
                message: "the test archive's ground truth is not of the training archive's kind".into(),
            });
        }
    };
    Ok(())
}
