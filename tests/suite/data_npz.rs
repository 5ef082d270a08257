//! Numpy archives as the field ships them (cfrnet's layout), written by the
//! tests themselves: 2-D and 3-D arrays, C and Fortran order, stored and
//! deflated members, a separate test archive, integer arrays, each truth kind;
//! and damaged archives (truncated at every length, mislabeled members, wrong
//! shapes, missing arrays) give an error that names the file, never a panic.

use crate::npz_common;

use std::collections::BTreeMap;
use std::path::Path;

use causeway::data::{DataError, NPZ_ROLES, NpzArchive, NpzArrays, NpzData, Truth};
use npz_common::{npy_f64, npy_i64, npy_raw, npz};

fn roles() -> Vec<&'static str> {
    NPZ_ROLES.to_vec()
}

fn archive(bytes: &[u8]) -> Result<NpzArchive, DataError> {
    NpzArchive::parse(Path::new("a.npz"), bytes, &roles())
}

fn open(train: &[u8], test: Option<&[u8]>) -> Result<NpzData, DataError> {
    let test = test.map(archive).transpose()?;
    NpzData::new(archive(train)?, test, NpzArrays::new(&BTreeMap::new()))
}

/// x (3 rows, 2 covariates), t, yf, mu0, mu1 of one replication.
fn one_replication(fortran: bool, deflated: bool) -> Vec<u8> {
    npz(
        &[
            ("x", npy_f64(&[3, 2], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], fortran)),
            ("t", npy_f64(&[3], &[1.0, 0.0, 1.0], false)),
            ("yf", npy_f64(&[3], &[10.0, 11.0, 12.0], false)),
            ("mu0", npy_f64(&[3], &[0.0, 0.5, 1.0], false)),
            ("mu1", npy_f64(&[3], &[2.0, 2.5, 3.0], false)),
        ],
        deflated,
    )
}

#[test]
fn two_dimensional_arrays_in_either_order_read_the_same() {
    for (fortran, deflated) in [(false, false), (true, false), (false, true), (true, true)] {
        let data = open(&one_replication(fortran, deflated), None).unwrap();
        assert_eq!(data.slices(), 1);
        let (d, n_test) = data.load(0).unwrap();
        assert_eq!(n_test, 0);
        assert_eq!(d.covariate_names, ["x1", "x2"]);
        assert_eq!(d.covariates, vec![vec![1.0, 3.0, 5.0], vec![2.0, 4.0, 6.0]], "fortran {fortran}");
        assert_eq!(d.treatment, [1.0, 0.0, 1.0]);
        assert_eq!(d.truth, Truth::Potential { mu0: vec![0.0, 0.5, 1.0], mu1: vec![2.0, 2.5, 3.0] });
        // A 2-D archive is the same data in every replication.
        assert_eq!(data.load(4).unwrap().0, d);
    }
}

/// x of shape (2 rows, 2 covariates, 3 replications) with x[i, j, k] = 100 i + 10 j + k.
fn three_replications(fortran: bool, test_rows: usize) -> Vec<u8> {
    let n = 2 + test_rows;
    let mut x = Vec::new();
    for i in 0..n {
        for j in 0..2 {
            for k in 0..3 {
                x.push((100 * i + 10 * j + k) as f64);
            }
        }
    }
    // t[i, k] = (i + k) % 2, yf = i + k, ycf = -(i + k).
    let t: Vec<f64> = (0..n).flat_map(|i| (0..3).map(move |k| ((i + k) % 2) as f64)).collect();
    let yf: Vec<f64> = (0..n).flat_map(|i| (0..3).map(move |k| (i + k) as f64)).collect();
    let ycf: Vec<f64> = yf.iter().map(|v| -v).collect();
    npz(
        &[
            ("x", npy_f64(&[n, 2, 3], &x, fortran)),
            ("t", npy_f64(&[n, 3], &t, fortran)),
            ("yf", npy_f64(&[n, 3], &yf, fortran)),
            ("ycf", npy_f64(&[n, 3], &ycf, false)),
        ],
        true,
    )
}

#[test]
fn replication_k_reads_slice_k_of_a_third_axis() {
    for fortran in [false, true] {
        let data = open(&three_replications(fortran, 0), None).unwrap();
        assert_eq!(data.slices(), 3);
        for k in 0..3 {
            let (d, _) = data.load(k).unwrap();
            let kf = k as f64;
            assert_eq!(d.covariates, vec![vec![kf, 100.0 + kf], vec![10.0 + kf, 110.0 + kf]], "k {k}");
            assert_eq!(d.outcome, vec![kf, 1.0 + kf]);
            // ycf becomes the potential outcomes: the factual one in the row's own arm.
            let Truth::Potential { mu0, mu1 } = &d.truth else { panic!("{:?}", d.truth) };
            for i in 0..2 {
                let (y, ycf) = (d.outcome[i], -d.outcome[i]);
                let (m1, m0) = if d.treatment[i] == 1.0 { (y, ycf) } else { (ycf, y) };
                assert_eq!((mu0[i], mu1[i]), (m0, m1));
            }
        }
        let err = data.load(3).unwrap_err().to_string();
        assert!(err.contains("asks for slice 3 but the archive holds 3 replications"), "{err}");
    }
}

#[test]
fn a_test_archive_closes_the_rows() {
    let train = three_replications(false, 0);
    let test = three_replications(true, 1); // 3 rows
    let data = open(&train, Some(&test)).unwrap();
    let (d, n_test) = data.load(1).unwrap();
    assert_eq!((d.n_rows(), n_test), (5, 3));
    assert_eq!(d.covariates[0], vec![1.0, 101.0, 1.0, 101.0, 201.0]);
}

#[test]
fn integer_treatments_and_an_experimental_indicator_are_read() {
    let bytes = npz(
        &[
            ("x", npy_f64(&[2, 1], &[0.5, 1.5], false)),
            ("t", npy_i64(&[2], &[1, 0])),
            ("yf", npy_f64(&[2], &[1.0, 0.0], false)),
            ("e", npy_raw("|b1", &[2], false, &[1, 0])),
        ],
        false,
    );
    let (d, _) = open(&bytes, None).unwrap().load(0).unwrap();
    assert_eq!(d.treatment, [1.0, 0.0]);
    assert_eq!(d.truth, Truth::Experimental { e: vec![1.0, 0.0] });
}

#[test]
fn a_truncated_archive_is_an_error_at_every_length() {
    for bytes in [one_replication(false, false), one_replication(true, true), three_replications(false, 1)] {
        for cut in 0..bytes.len() {
            // Whatever the cut, an error naming the file (a zip's central directory is at its end).
            match open(&bytes[..cut], None) {
                Err(e) => assert!(e.to_string().starts_with("a.npz: "), "cut {cut}: {e}"),
                Ok(_) => panic!("an archive cut at {cut} of {} bytes was read", bytes.len()),
            }
        }
    }
}

#[test]
fn mislabeled_archives_and_members_get_clear_errors() {
    let csv = archive(b"t,y\n1,2\n").unwrap_err().to_string();
    assert!(csv.starts_with("a.npz: not a numpy archive (.npz): "), "{csv}");

    // A member whose header declares more values than it holds.
    let mut short = npy_f64(&[3, 2], &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], false);
    short.truncate(short.len() - 8);
    let err = archive(&npz(&[("x", short)], true)).unwrap_err().to_string();
    assert_eq!(
        err,
        "a.npz: array 'x': the header declares shape [3, 2] of `<f8` (48 bytes) but the member holds 40 bytes: \
         the archive is truncated or damaged"
    );
    // A header that claims an absurd size is refused before anything is allocated.
    let huge = npy_raw("<f8", &[1 << 40, 1 << 30], false, &[0; 16]);
    let err = archive(&npz(&[("x", huge)], false)).unwrap_err().to_string();
    assert!(err.contains("but the member holds 16 bytes"), "{err}");
    // A member that is not a .npy array, and an element type that is not a number.
    let err = archive(&npz(&[("x", b"hello".to_vec())], false)).unwrap_err().to_string();
    assert!(err.starts_with("a.npz: array 'x': not a .npy array: "), "{err}");
    let err = archive(&npz(&[("x", npy_raw("<U1", &[1], false, &[0; 4]))], false)).unwrap_err().to_string();
    assert!(err.contains("element type `<U1` is not a number causeway reads"), "{err}");
}

#[test]
fn missing_arrays_and_wrong_shapes_are_named() {
    let bytes = npz(&[("X", npy_f64(&[1, 1], &[0.0], false)), ("t", npy_f64(&[1], &[0.0], false))], false);
    let err = open(&bytes, None).unwrap_err().to_string();
    assert_eq!(err, "a.npz: no array named 'x' (did you mean `X`?) (the archive holds: X, t)");

    let bytes = npz(
        &[
            ("x", npy_f64(&[2, 1], &[0.0, 1.0], false)),
            ("t", npy_f64(&[3], &[0.0, 1.0, 0.0], false)),
            ("yf", npy_f64(&[2], &[0.0, 1.0], false)),
        ],
        false,
    );
    let err = open(&bytes, None).unwrap_err().to_string();
    assert_eq!(err, "a.npz: array 't': has shape [3], expected (2,)");

    let bytes = npz(
        &[
            ("x", npy_f64(&[2, 1], &[0.0, 1.0], false)),
            ("t", npy_f64(&[2], &[0.0, 2.0], false)),
            ("yf", npy_f64(&[2], &[0.0, 1.0], false)),
        ],
        false,
    );
    let err = open(&bytes, None).unwrap().load(0).unwrap_err().to_string();
    assert_eq!(err, "a.npz: array 't': row 1 of replication 1: the treatment must be 0 or 1, found 2");

    let bytes = npz(
        &[
            ("x", npy_f64(&[2, 1], &[f64::INFINITY, 1.0], false)),
            ("t", npy_f64(&[2], &[0.0, 1.0], false)),
            ("yf", npy_f64(&[2], &[0.0, f64::NAN], false)),
        ],
        false,
    );
    let err = open(&bytes, None).unwrap().load(0).unwrap_err().to_string();
    assert_eq!(
        err,
        "a.npz: array 'x': row 0 of replication 1: covariate 1 must be a number or missing (NaN), found inf"
    );
    let bytes = npz(
        &[
            ("x", npy_f64(&[2, 1], &[0.0, 1.0], false)),
            ("t", npy_f64(&[2], &[0.0, 1.0], false)),
            ("yf", npy_f64(&[2], &[0.0, f64::NAN], false)),
        ],
        false,
    );
    let err = open(&bytes, None).unwrap().load(0).unwrap_err().to_string();
    assert_eq!(err, "a.npz: array 'yf': row 1 of replication 1: every value must be a finite number, found NaN");
}

#[test]
fn arrays_under_other_names_are_found_by_role() {
    let bytes = npz(
        &[
            ("features", npy_f64(&[2, 1], &[0.0, 1.0], false)),
            ("t", npy_f64(&[2], &[0.0, 1.0], false)),
            ("yf", npy_f64(&[2], &[0.0, 1.0], false)),
        ],
        false,
    );
    let named = BTreeMap::from([("x".to_string(), "features".to_string())]);
    let wanted: Vec<&str> = vec!["features", "t", "yf"];
    let a = NpzArchive::parse(Path::new("a.npz"), &bytes, &wanted).unwrap();
    let (d, _) = NpzData::new(a, None, NpzArrays::new(&named)).unwrap().load(0).unwrap();
    assert_eq!(d.covariates, vec![vec![0.0, 1.0]]);
    assert_eq!(d.truth, Truth::None);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(400))]

    /// Damage anywhere (bytes overwritten in the zip structure, a header, the
    /// values) gives data or an error, never a panic or an abort.
    #[test]
    fn damaged_archives_never_panic(
        deflated in proptest::bool::ANY,
        edits in proptest::collection::vec((0usize..4096, proptest::num::u8::ANY), 1..8),
    ) {
        let mut bytes = one_replication(false, deflated);
        for (at, value) in edits {
            let n = bytes.len();
            bytes[at % n] = value;
        }
        if let Ok(data) = open(&bytes, None) {
            let _ = data.load(0);
        }
    }
}
