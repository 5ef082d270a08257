//! A fuzz target for hostile input (issue 16): experiment files, equations and
//! CSV files, through the library functions that `causeway check` and `run`
//! call. Each property: the entry point returns Ok or an error with a message
//! (and a location where the input has positions); it never panics, crashes
//! (a stack overflow aborts the forked child, which fails the case) or hangs
//! (each case has a timeout).
//!
//! Inputs: random bytes; the shipped experiment files and test specs with
//! bytes flipped, tokens inserted, ranges deleted or duplicated, deep nesting
//! and very long lines spliced in; equations from the grammar's tokens, from a
//! generator of well-formed expressions with hostile constants, and nested to
//! and past the limit; CSV files with BOMs, CRLF and CR line ends, quotes,
//! ragged rows, duplicate or empty headers, non-numeric cells and numbers that
//! overflow, and the test fixtures mutated.
//!
//! Bounded for `make test`: `CAUSEWAY_FUZZ_CASES` cases per property (default
//! `DEFAULT_CASES`, about 13 s for the file in a debug build on 2 cores), a
//! timeout per case and a cap on shrinking. To fuzz longer:
//! `CAUSEWAY_FUZZ_CASES=200000 cargo test --release --locked --test suite fuzz_inputs::`.
//! A finding is saved in tests/proptest-regressions/fuzz_inputs.txt and replayed
//! first from then on; fix it and add a regression test beside the code.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use causeway::data::{check_csv, load_csv};
use causeway::run::RunRng;
use causeway::scm::{Equation, MAX_NESTING, Missingness, Model, ScmErrorKind};
use causeway::spec;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use rand::SeedableRng;

/// Cases per property when `CAUSEWAY_FUZZ_CASES` is not set.
const DEFAULT_CASES: u32 = 3_000;

fn config() -> ProptestConfig {
    let cases = std::env::var("CAUSEWAY_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CASES);
    ProptestConfig {
        cases,
        // The cases run in a forked child, which is killed once a case takes
        // longer than this (ms): a hang fails that case instead of stalling
        // `make test`, and a crash fails it too.
        timeout: 20_000,
        max_shrink_time: 60_000,
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------- mutations

/// One edit of a byte string; positions are fractions of its current length.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(Index, u8),
    Insert(Index, &'static str),
    Delete(Index, usize),
    Duplicate(Index, usize),
    /// `levels` copies of an opener, then a leaf, then the closers.
    Nest(Index, &'static str, &'static str, usize),
    /// A run of `len` copies of a short piece, on one line.
    Long(Index, &'static str, usize),
    Truncate(Index),
    /// The rest of the line after one of the `: ` separators, replaced: a
    /// change that usually keeps the YAML valid, so that it reaches validation.
    Value(Index, String),
}

/// Pieces that mean something to YAML, to the spec, to the equation language
/// or to a CSV reader, and values at the edges of what they accept.
#[rustfmt::skip]
const TOKENS: &[&str] = &[
    ":", ": ", "- ", "-", "[", "]", "{", "}", ",", "&a ", "*a", "!!str ", "!!binary ", "!!float ", "<<: *a\n", "? ",
    "|\n", ">-\n", "\n", "\n  ", "\n    ", "  ", "\t", "\"", "'", "#", "%YAML 1.2\n", "---\n", "...\n", "$n", "$",
    "nan", ".nan", ".inf", "-.inf", "1e309", "-1e309", "1e-400", "99999999999999999999", "18446744073709551616", "-0",
    "0x1F", "0o17", "~", "null", "true", "yes", "é", "💥", "\u{202e}", "\u{0}", "\r\n", "\r", "\u{feff}", "\\",
    "\\u0000", "extends: ", "extends: exp.yaml\n", "extends: _nhefs.yaml\n", "extends: /dev/zero\n", "estimators: [",
    "sweep: {", "replications: ", "seed: ", "n: ", "  - ", "equations:\n", "graph:\n  edges: [", "a -> b", " <-> ",
    " <- ", "latent: [", "file: { path: ", "tests/fixtures/data/good.csv", "/dev/zero", "..", "(", ")", "^", "abs(",
    "poisson(", "1e16", "categorical(", "student_t(", "if(", "normal(0, ", "$k", "label: ", "aipw: { folds: ",
    "clip: ", "layers: [", "0", "1", "-1", "0.5", "2147483648", "4294967296", "\"\"", "''",
];

/// Openers (with their closers) that nest the equation language or YAML.
const NESTS: &[(&str, &str)] = &[
    ("(", ")"),
    ("abs(", ")"),
    ("-", ""),
    ("2^", ""),
    ("max(1, ", ")"),
    ("normal(", ", 1)"),
    ("if(x < 1, ", ", 0)"),
    ("[", "]"),
    ("{a: ", "}"),
    ("- ", ""),
];

/// Values for a key: edge cases of numbers and strings, hostile equations
/// and edge lists, and other types than the key takes.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => select(VALUES).prop_map(String::from),
        2 => equation().prop_map(|e| format!("{e:?}")),
        1 => select(TOKENS).prop_map(String::from),
    ]
}

#[rustfmt::skip]
const VALUES: &[&str] = &[
    "nan", ".nan", ".inf", "-.inf", "1e309", "-1", "0", "-0", "1", "2", "0.5", "0.99", "1e16", "1e9", "5e-324",
    "99999999999999999999", "18446744073709551616", "4294967296", "1000001", "\"\"", "''", "[]", "{}", "~", "true",
    "$n", "$nope", "$", "x", "t", "y", "\"((((x))))\"", "poisson(1e16)", "[0.5, .nan]", "[1, 2, 3]", "{ test: 0.99 }",
    "{ test: 0.5, validation: 0.5 }", "[ols, ols]", "[naive, nosuch]", "[ate, ate]", "é", "💥", "\"a -> b\"",
    "[x -> t, t -> x]", "[x <-> x]", "[x -> nosuch]", "[\"x -> \"]", "backdoor", "minimal", "[zz]", "median",
    "ihdp", "nosuch", "{ name: ihdp, surface: C }", "{ path: /dev/zero, treatment: t, outcome: y }",
    "{ path: tests/fixtures/data/good.csv, treatment: t, outcome: y }", "{ mcar: 1.5 }", "{ mar: { driver: zz, rate: 0.2 } }",
    "{ folds: 0 }", "{ clip: -1 }", "{ layers: [] }", "{ layers: [0] }", "{ iterations: 1e9 }", "{ lr: .nan }",
    "&a [1]", "*a", "!!binary aGVsbG8=", "|\n  multi\n  line", ">\n  folded",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    let levels = prop_oneof![1..300usize, Just(MAX_NESTING), Just(MAX_NESTING + 1), Just(5_000), Just(10_000)];
    prop_oneof![
        8 => (any::<Index>(), value()).prop_map(|(i, v)| Mutation::Value(i, v)),
        2 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        4 => (any::<Index>(), select(TOKENS)).prop_map(|(i, t)| Mutation::Insert(i, t)),
        2 => (any::<Index>(), 1..64usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
        2 => (any::<Index>(), 1..200usize).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
        1 => (any::<Index>(), select(NESTS), levels).prop_map(|(i, (o, c), n)| Mutation::Nest(i, o, c, n)),
        1 => (any::<Index>(), select(&["x", "1+", "x + ", "a", "9", " "][..]), 1..100_000usize)
            .prop_map(|(i, piece, n)| Mutation::Long(i, piece, n)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let at = |i: &Index, len: usize| if len == 0 { 0 } else { i.index(len + 1) };
        let len = bytes.len();
        match m {
            Mutation::Flip(i, b) if len > 0 => {
                let k = i.index(len);
                // Within ASCII, mostly: random bytes come from other strategies.
                bytes[k] ^= (b & 0x7f) | 1;
            }
            Mutation::Flip(..) => {}
            Mutation::Insert(i, token) => {
                let k = at(i, len);
                bytes.splice(k..k, token.bytes());
            }
            Mutation::Delete(i, n) => {
                let k = at(i, len).min(len);
                bytes.drain(k..(k + n).min(len));
            }
            Mutation::Duplicate(i, n) => {
                let k = at(i, len).min(len);
                let piece = bytes[k..(k + n).min(len)].to_vec();
                bytes.splice(k..k, piece);
            }
            Mutation::Nest(i, open, close, levels) => {
                let k = at(i, len);
                let nested = format!("{}x{}", open.repeat(*levels), close.repeat(*levels));
                bytes.splice(k..k, nested.into_bytes());
            }
            Mutation::Long(i, piece, n) => {
                let k = at(i, len);
                bytes.splice(k..k, piece.repeat(*n).into_bytes());
            }
            Mutation::Truncate(i) => bytes.truncate(at(i, len)),
            Mutation::Value(i, value) => {
                let separators: Vec<usize> =
                    bytes.windows(2).enumerate().filter(|(_, w)| w == b": ").map(|(k, _)| k + 2).collect();
                if separators.is_empty() {
                    continue;
                }
                let k = separators[i.index(separators.len())];
                let end = bytes[k..].iter().position(|&b| b == b'\n').map_or(len, |e| k + e);
                bytes.splice(k..end, value.bytes());
            }
        }
    }
    bytes
}

/// One of the files at `paths` (read once, when the strategy is built), mutated.
fn mutated(paths: &[&str]) -> impl Strategy<Value = Vec<u8>> {
    let seeds: Arc<Vec<Vec<u8>>> =
        Arc::new(paths.iter().map(|p| std::fs::read(p).unwrap_or_else(|e| panic!("{p}: {e}"))).collect());
    (0..paths.len(), prop::collection::vec(mutation(), 0..5)).prop_map(move |(i, ms)| apply(seeds[i].clone(), &ms))
}

// ---------------------------------------------------------- experiment files

const SPEC_SEEDS: &[&str] = &[
    "tests/experiments/small.yaml",
    "tests/specs/ok_minimal.yaml",
    "experiments/basics/linear-confounder.yaml",
    "experiments/medical/smoking-frontdoor.yaml",
    "experiments/finance/credit-limit-mbias.yaml",
    "experiments/education/class-size.yaml",
    "experiments/papers/nhefs.yaml",
    "experiments/papers/_nhefs.yaml",
    "tests/specs/bad/missing_data_file.yaml",
    "tests/specs/bad/graph_bad_syntax.yaml",
];

/// The bases the seeds extend, written beside a mutated file that mentions `extends`.
const BASES: &[&str] = &["experiments/papers/_nhefs.yaml"];

fn spec_text() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => mutated(SPEC_SEEDS),
        1 => prop::collection::vec(any::<u8>(), 0..400),
        1 => prop::collection::vec(select(TOKENS), 0..80).prop_map(|ts| ts.concat().into_bytes()),
    ]
}

/// Load, validate and check, as `causeway check` does before planning.
fn check_spec(text: &[u8]) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("exp.yaml");
    std::fs::write(&file, text).unwrap();
    if text.windows(7).any(|w| w == b"extends") {
        for base in BASES {
            let name = Path::new(base).file_name().unwrap();
            std::fs::copy(base, dir.path().join(name)).unwrap();
        }
    }
    let Err(e) = spec::load(&file).and_then(|l| spec::validate(&l).and_then(|x| spec::cross_check(&l, &x))) else {
        return Ok(());
    };
    let shown = e.to_string();
    prop_assert!(!e.kind.to_string().trim().is_empty(), "an error without a message: {shown:?}");
    prop_assert!(!e.file.as_os_str().is_empty(), "an error without a file: {shown:?}");
    if let Some(p) = e.position {
        prop_assert!(p.line >= 1 && p.column >= 1, "{shown:?}");
        if e.file == file {
            let lines = text.split(|&b| b == b'\n').count();
            prop_assert!(p.line <= lines, "line {} of a {lines}-line file: {shown:?}", p.line);
        }
    }
    Ok(())
}

// ----------------------------------------------------------------- equations

#[rustfmt::skip]
const EQUATION_TOKENS: &[&str] = &[
    "0", "1", "2.5", ".5", "1.", "00", "1e308", "1e309", "1e-400", "5e-324", "9007199254740993", "1e", "1e+", ".",
    "1e16", "nan", "inf", "x", "t", "y", "m", "zz", "_", "x1", "é", "ß", "💥", "\u{0}", "$k", "$big", "$tiny", "$neg",
    "$nope", "$", "+", "-", "*", "/", "^", "<", "<=", ">", ">=", "==", "!=", "=", "!", "(", ")", ",", " ", "\t", "\n",
    "exp(", "log(", "sqrt(", "abs(", "min(", "max(", "sigmoid(", "tanh(", "relu(", "sin(", "cos(", "if(", "normal(",
    "uniform(", "bernoulli(", "poisson(", "categorical(", "student_t(", "nosuch(", "f()",
];

#[rustfmt::skip]
const LEAVES: &[&str] = &[
    "x", "t", "m", "$k", "$big", "$tiny", "$neg", "0", "1", "-1", "0.5", "1e308", "5e-324", "1e16", "1e9", "1e-300",
];

/// The language's functions (as its "unknown function" message lists them),
/// each with the fewest arguments the compiler accepts.
fn functions() -> Vec<(String, usize)> {
    let compile = |y: &str| Model::compile(&[Equation::new("x", "1"), Equation::new("y", y)], &BTreeMap::new());
    let message = compile("nosuch(1)").unwrap_err().kind.to_string();
    let list =
        message.split("known functions: ").nth(1).unwrap_or_else(|| panic!("no list of functions in {message:?}"));
    list.split(", ")
        .map(|f| {
            let takes = |n: usize| {
                !matches!(compile(&format!("{f}({})", vec!["x"; n].join(", "))), Err(e) if matches!(e.kind, ScmErrorKind::WrongArity { .. }))
            };
            (f.to_string(), (0..5).find(|&n| takes(n)).unwrap_or(1))
        })
        .collect()
}

/// Well-formed expressions (with arities right or wrong) over hostile leaves.
fn formed() -> impl Strategy<Value = String> {
    select(LEAVES).prop_map(String::from).prop_recursive(8, 128, 4, |inner| {
        let op = select(&[" + ", " - ", " * ", " / ", " ^ ", " < ", " >= ", " == "][..]);
        prop_oneof![
            (inner.clone(), op, inner.clone()).prop_map(|(a, o, b)| format!("{a}{o}{b}")),
            inner.clone().prop_map(|a| format!("({a})")),
            inner.clone().prop_map(|a| format!("-{a}")),
            (select(functions()), prop::collection::vec(inner, 4), prop::option::weighted(0.2, 0..5usize)).prop_map(
                |((f, arity), args, wrong)| format!("{f}({})", args[..wrong.unwrap_or(arity).min(4)].join(", "))
            ),
        ]
    })
}

/// Openers and closers around a leaf, to and past the nesting limit, closed or not.
fn nested() -> impl Strategy<Value = String> {
    let depth = prop_oneof![MAX_NESTING - 3..MAX_NESTING + 3, Just(2_000), Just(10_000)];
    (prop::collection::vec(select(&NESTS[..7]), 1..4), depth, any::<bool>()).prop_map(|(kinds, depth, close)| {
        let (mut open, mut shut) = (String::new(), String::new());
        for i in 0..depth {
            let (o, c) = kinds[i % kinds.len()];
            open.push_str(o);
            shut.insert_str(0, c);
        }
        if close { format!("{open}x{shut}") } else { format!("{open}x") }
    })
}

fn equation() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => prop::collection::vec(select(EQUATION_TOKENS), 0..50).prop_map(|ts| ts.concat()),
        4 => formed(),
        1 => nested(),
        1 => (select(&["x", "1e-5*x", "t", "$big", "-x"][..]), 1..20_000usize, select(&["+", "-", "*", "/"][..]))
            .prop_map(|(term, n, op)| vec![term; n].join(op)),
        1 => "\\PC{0,40}",
    ]
}

fn params() -> BTreeMap<String, f64> {
    [("k", 2.0), ("big", 1e308), ("tiny", 5e-324), ("neg", -1.0)].into_iter().map(|(k, v)| (k.to_string(), v)).collect()
}

/// Compile; when that works, simulate a few rows with their counterfactuals.
fn check_model(equations: &[Equation]) -> Result<(), TestCaseError> {
    let model = match Model::compile(equations, &params()) {
        Ok(model) => model,
        Err(e) => {
            prop_assert!(!e.kind.to_string().trim().is_empty(), "an error without a message: {e:?}");
            if let Some(offset) = e.offset {
                let node =
                    e.node.as_ref().ok_or_else(|| TestCaseError::fail(format!("an offset without a node: {e}")))?;
                let expr = &equations.iter().find(|q| &q.node == node).expect("the node is an equation's").expr;
                prop_assert!(offset <= expr.len(), "offset {offset} past the end of {expr:?}: {e}");
                let _ = e.render(expr);
            }
            return Ok(());
        }
    };
    let mut rng = RunRng::seed_from_u64(3);
    let missing = Missingness::Mcar { rate: 0.2 };
    if let Err(e) = model.simulate(8, "t", "y", &missing, &mut rng) {
        prop_assert!(!e.to_string().trim().is_empty(), "an error without a message: {e:?}");
    }
    Ok(())
}

// ----------------------------------------------------------------- CSV files

const CSV_SEEDS: &[&str] = &[
    "tests/fixtures/data/good.csv",
    "tests/fixtures/data/bad_cell.csv",
    "tests/fixtures/data/ragged.csv",
    "tests/fixtures/data/duplicate_header.csv",
    "tests/fixtures/data/header_only.csv",
    "tests/fixtures/data/outcome_missing.csv",
    "tests/fixtures/data/treatment_two.csv",
];

#[rustfmt::skip]
const HEADERS: &[&str] = &[
    "t", "y", "x", "x2", "t", "", " x ", "\u{feff}t", "\"a,b\"", "\"q\"\"uote\"", "é", "NA", "1", "\"", "y ",
];

#[rustfmt::skip]
const CELLS: &[&str] = &[
    "0", "1", "0.5", "-3", "1e308", "1e309", "-1e309", "5e-324", "1e-400", "NaN", "nan", "NA", "N/A", ".", "", " ",
    "inf", "-inf", "infinity", "abc", "\"quoted, comma\"", "\"unterminated", "\"\"", "1_000", " 1 ", "0x10", "+1",
    "1.", "-0", "99999999999999999999999", "💥", "\u{0}", "2", "1,5",
];

fn csv_bytes() -> impl Strategy<Value = Vec<u8>> {
    let row =
        |pool: &'static [&'static str]| prop::collection::vec(select(pool), 0..6).prop_map(|cells| cells.join(","));
    // Mostly a loadable file (t, y, x with 0/1 treatments and numbers), with
    // a hostile cell here and there; else anything the pools make.
    let cell = |good: &'static [&'static str]| prop_oneof![9 => select(good), 1 => select(CELLS)];
    let good_row = (cell(&["0", "1"]), cell(&["0.5", "-3", "1e300", "2", "0"]), cell(&["1", "-0.25", "7", "NA", ""]))
        .prop_map(|(t, y, x)| format!("{t},{y},{x}"));
    let header = prop_oneof![3 => Just("t,y,x".to_string()), 1 => row(HEADERS)];
    let rows = prop_oneof![3 => prop::collection::vec(good_row, 0..8), 1 => prop::collection::vec(row(CELLS), 0..8)];
    let structured = (any::<bool>(), header, rows, select(&["\n", "\r\n", "\r"][..]), any::<bool>()).prop_map(
        |(bom, header, rows, end, trailing)| {
            let mut text = String::from(if bom { "\u{feff}" } else { "" });
            text.push_str(&[header].into_iter().chain(rows).collect::<Vec<_>>().join(end));
            if trailing {
                text.push_str(end);
            }
            text.into_bytes()
        },
    );
    prop_oneof![
        5 => structured,
        3 => mutated(CSV_SEEDS),
        1 => prop::collection::vec(any::<u8>(), 0..300),
        1 => Just(Vec::new()),
    ]
}

/// Parse the bytes as `check` does, then load them as a run does.
fn check_table(bytes: &[u8], covariates: Option<&[String]>) -> Result<(), TestCaseError> {
    let message = |e: causeway::data::DataError| e.to_string();
    if let Err(e) = check_csv(Path::new("fuzz.csv"), bytes).map_err(message) {
        prop_assert!(e.starts_with("fuzz.csv: ") && e.len() > "fuzz.csv: ".len(), "{e:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("data.csv");
    std::fs::write(&file, bytes).unwrap();
    if let Err(e) = load_csv(&file, "t", "y", covariates).map_err(message) {
        let prefix = format!("{}: ", file.display());
        prop_assert!(e.starts_with(&prefix) && e.len() > prefix.len(), "{e:?}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn experiment_files_give_ok_or_a_located_error(text in spec_text()) {
        check_spec(&text)?;
    }

    #[test]
    fn equations_compile_and_simulate_or_give_a_located_error(
        x in equation(),
        t in prop_oneof![3 => Just("bernoulli(0.5)".to_string()), 1 => equation()],
        y in equation(),
    ) {
        let equations = [Equation::new("x", x), Equation::new("t", t), Equation::new("m", "x + normal(0, 1)"), Equation::new("y", y)];
        check_model(&equations)?;
    }

    #[test]
    fn csv_files_load_or_give_an_error_naming_the_file(
        bytes in csv_bytes(),
        covariates in prop::option::of(prop::collection::vec(select(HEADERS), 0..3)),
    ) {
        let covariates: Option<Vec<String>> = covariates.map(|c| c.into_iter().map(String::from).collect());
        check_table(&bytes, covariates.as_deref())?;
    }
}
