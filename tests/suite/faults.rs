//! Fault injection on the real binary: damaged cache records, a data file
//! replaced mid-sweep, write failures (a results path that cannot exist, a file
//! size limit standing in for a full disk), panics standing in for bugs, kills at
//! points drawn from a seed, and two runners on one store. Each test names the
//! promise it holds.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use rand::{Rng, SeedableRng};

const SMALL: &str = "tests/experiments/small.yaml";
const TABLES: [&str; 8] =
    ["runs.csv", "summary.csv", "report.md", "table.tex", "manifest.yaml", "plot.svg", "index.html", "site.json"];

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_causeway")
}

fn run(spec: &Path, results: &Path, cache: &Path) -> Command {
    run_with(spec, results, cache, "1")
}

fn run_with(spec: &Path, results: &Path, cache: &Path, jobs: &str) -> Command {
    let mut c = Command::new(exe());
    c.args(["run", "--jobs", jobs, "--progress", "plain"])
        .arg(spec)
        .arg("--results")
        .arg(results)
        .arg("--cache")
        .arg(cache);
    c.env_remove("CAUSEWAY_FAULT_PANIC");
    c
}

fn output(mut c: Command) -> Output {
    c.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tables(results: &Path, name: &str) -> Vec<(String, String)> {
    TABLES
        .iter()
        .map(|t| (t.to_string(), std::fs::read_to_string(results.join(name).join(t)).unwrap_or_default()))
        .collect()
}

/// The names in a results folder, sorted.
fn entries(results: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(results).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// Every record file of a store.
fn records(cache: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for folder in std::fs::read_dir(cache.join("runs")).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(folder.path()).into_iter().flatten().flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            if name.ends_with(".json") && !name.starts_with('.') {
                out.push(file.path());
            }
        }
    }
    out.sort();
    out
}

/// The tables of a fresh, uninterrupted run of `spec`.
fn reference(spec: &Path, name: &str) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let o = output(run(spec, &dir.path().join("r"), &dir.path().join("c")));
    assert!(o.status.success(), "{}", stderr(&o));
    tables(&dir.path().join("r"), name)
}

/// Item 1: a record edited so that it still parses (a changed digit, an ate of
/// 42) is reported and recomputed, never served; `verify` calls it damaged, not
/// a numeric change, and `--repair` replaces it.
#[test]
fn a_damaged_record_that_still_parses_is_recomputed_not_served() {
    let dir = tempfile::tempdir().unwrap();
    let (results, cache) = (dir.path().join("r"), dir.path().join("c"));
    let spec = Path::new(SMALL);
    assert!(output(run(spec, &results, &cache)).status.success());
    let good = tables(&results, "small");
    let victims: Vec<PathBuf> = records(&cache).into_iter().take(2).collect();
    for (path, edit) in victims.iter().zip([0, 1]) {
        let text = std::fs::read_to_string(path).unwrap();
        let at = text.find("[\"ate\",").expect("an ate metric") + 7;
        let end = at + text[at..].find(']').unwrap();
        let edited = if edit == 0 {
            // One digit changed.
            let digit = at + text[at..end].find(|c: char| c.is_ascii_digit() && c != '0').unwrap();
            let d = text.as_bytes()[digit];
            format!("{}{}{}", &text[..digit], if d == b'1' { '2' } else { '1' }, &text[digit + 1..])
        } else {
            format!("{}42.0{}", &text[..at], &text[end..])
        };
        assert_ne!(edited, text);
        std::fs::write(path, edited).unwrap();
    }
    let again = output(run(spec, &results, &cache));
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stderr(&again).contains("warning: 2 cache records failed their checksum"), "{}", stderr(&again));
    assert_eq!(tables(&results, "small"), good, "a damaged record reached the tables");

    // verify tells corruption from a numeric change, and repairs on request.
    let tamper = |path: &Path| {
        let text = std::fs::read_to_string(path).unwrap();
        let at = text.find("[\"ate\",").unwrap() + 7;
        std::fs::write(path, format!("{}-1{}", &text[..at], &text[at..])).unwrap();
    };
    victims.iter().for_each(|v| tamper(v));
    let verify = |extra: &[&str]| {
        let mut c = Command::new(exe());
        c.args(["verify", SMALL, "--jobs", "1", "--sample", "3"]).args(extra).arg("--cache").arg(&cache);
        output(c)
    };
    let checked = verify(&[]);
    let text = String::from_utf8_lossy(&checked.stdout).into_owned();
    assert_eq!(checked.status.code(), Some(1), "{text}");
    assert!(text.contains("0 differ (numeric changes)"), "{text}");
    assert!(text.contains("damaged: small"), "{text}");
    assert!(!text.contains("bump the algorithm version"), "{text}");
    let repaired = verify(&["--repair"]);
    assert_eq!(repaired.status.code(), Some(0), "{}", String::from_utf8_lossy(&repaired.stdout));
    let after = output(run(spec, &results, &cache));
    assert!(stderr(&after).contains("all 30 runs were cached"), "{}", stderr(&after));
    assert_eq!(tables(&results, "small"), good);
}

/// A CSV whose outcome is `2 * t + shift * x + noise`, deterministic in `rows`.
fn write_csv(path: &Path, rows: usize, shift: f64) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut text = String::from("x,t,y\n");
    for _ in 0..rows {
        let x: f64 = rng.random_range(-1.0..1.0);
        let t = u8::from(rng.random_bool(0.5));
        let y = 2.0 * f64::from(t) + shift * x + rng.random_range(-0.5..0.5);
        text += &format!("{x},{t},{y}\n");
    }
    std::fs::write(path, text).unwrap();
}

fn file_experiment(dir: &Path, data: &Path, replications: usize) -> PathBuf {
    let spec = dir.join("file-data.yaml");
    let text = format!(
        "name: file-data\nscenario: test\ndescription: a user's CSV\nseed: 5\nreplications: {replications}\n\
         dataset:\n  file: {{ path: {}, treatment: t, outcome: y }}\nestimators: [naive, ols]\nmetrics: [ate]\n",
        data.display()
    );
    std::fs::write(&spec, text).unwrap();
    spec
}

/// Item 2: a data file replaced while a sweep runs. The file is read once; every
/// run is built from the bytes that were hashed into its key, so restoring the
/// original file afterwards serves runs of the original data only.
#[test]
fn a_data_file_replaced_mid_sweep_cannot_poison_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let (data, other) = (dir.path().join("data.csv"), dir.path().join("other.csv"));
    write_csv(&data, 20_000, 1.0);
    write_csv(&other, 20_000, 9.0);
    let spec = file_experiment(dir.path(), &data, 100);
    let expected = reference(&spec, "file-data");
    let (results, cache) = (dir.path().join("r"), dir.path().join("c"));
    let mut child = run(&spec, &results, &cache).stderr(Stdio::null()).spawn().unwrap();
    // Swap the file as soon as the first run is stored (or after a bounded wait).
    for _ in 0..4000 {
        if !records(&cache).is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    std::fs::rename(&other, &data).unwrap();
    assert!(child.wait().unwrap().success());
    assert_eq!(tables(&results, "file-data"), expected, "runs after the swap used the new file");
    // With the original bytes back, every stored run is of the original data.
    write_csv(&data, 20_000, 1.0);
    let again = output(run(&spec, &results, &cache));
    assert!(stderr(&again).contains("all 200 runs were cached"), "{}", stderr(&again));
    assert_eq!(tables(&results, "file-data"), expected);
}

/// Item 3: a results folder that cannot be written is an I/O failure (status 5,
/// never the 1 that `make experiments` accepts), named as the results folder; so
/// is a store that cannot be written.
#[test]
fn write_failures_have_their_own_status_and_name_the_right_path() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "not a folder").unwrap();
    let o = output(run(Path::new(SMALL), &blocker.join("results"), &dir.path().join("c")));
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot write the results folder"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("to the cache"), "{}", stderr(&o));
    let o = output(run(Path::new(SMALL), &dir.path().join("r"), &blocker.join("cache")));
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot write to the cache"), "{}", stderr(&o));
}

/// Item 3: a disk that fills up while the tables are written (a file size limit,
/// which binds root too) leaves the old results folder whole: never half new.
#[test]
fn a_full_disk_while_writing_tables_leaves_the_old_folder_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (results, cache) = (dir.path().join("r"), dir.path().join("c"));
    let spec = Path::new(SMALL);
    assert!(output(run(spec, &results, &cache)).status.success());
    let old = tables(&results, "small");
    // The same experiment with another seed: every table changes.
    let reseeded = dir.path().join("small.yaml");
    std::fs::write(&reseeded, std::fs::read_to_string(SMALL).unwrap().replace("seed: 11", "seed: 12")).unwrap();
    // Records are small (under 2 KiB); runs.csv and plot.svg are not.
    let limit = 8; // 512-byte blocks
    let mut c = Command::new("sh");
    c.arg("-c").arg(format!("trap '' XFSZ; ulimit -f {limit}; exec \"$0\" \"$@\"")).arg(exe());
    c.args(["run", "--jobs", "1", "--progress", "plain"])
        .arg(&reseeded)
        .arg("--results")
        .arg(&results)
        .arg("--cache")
        .arg(&cache);
    let o = output(c);
    assert_eq!(o.status.code(), Some(5), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot write the results folder"), "{}", stderr(&o));
    assert_eq!(tables(&results, "small"), old, "the results folder is a mix of old and new");
    // No staging folder or temporary file is left beside the folder and the site's index.
    assert_eq!(entries(&results), ["index.html", "small"]);
}

/// Found by reading: a panic (a bug of ours) is reported with status 6 and never
/// cached, so the next invocation recomputes the run.
#[test]
fn an_internal_error_is_reported_and_never_cached() {
    let dir = tempfile::tempdir().unwrap();
    let (results, cache) = (dir.path().join("r"), dir.path().join("c"));
    let mut c = run(Path::new(SMALL), &results, &cache);
    c.env("CAUSEWAY_FAULT_PANIC", "ols");
    let o = output(c);
    assert_eq!(o.status.code(), Some(6), "{}", stderr(&o));
    assert!(stderr(&o).contains("internal error"), "{}", stderr(&o));
    let runs = std::fs::read_to_string(results.join("small/runs.csv")).unwrap();
    assert!(runs.contains("internal error"), "{runs}");
    // 30 runs, 6 of them ols: only the 24 others are stored.
    assert_eq!(records(&cache).len(), 24);
    let fixed = output(run(Path::new(SMALL), &results, &cache));
    assert!(fixed.status.success(), "{}", stderr(&fixed));
    assert!(stderr(&fixed).contains("6 computed, 24 cached"), "{}", stderr(&fixed));
    assert_eq!(tables(&results, "small"), reference(Path::new(SMALL), "small"));
}

/// `verify --repair` keeps the rule of `run`: a damaged record whose
/// recomputation panics is not stored (it would be served later as an ordinary
/// failure); it stays damaged, the status is 6, and a fixed causeway repairs it.
#[test]
fn a_repair_that_hits_an_internal_error_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (results, cache) = (dir.path().join("r"), dir.path().join("c"));
    assert!(output(run(Path::new(SMALL), &results, &cache)).status.success());
    let good = tables(&results, "small");
    // Damage every record, so that the ols ones are among them.
    for path in records(&cache) {
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen("[\"ate\",", "[\"ate\",-", 1)).unwrap();
    }
    let verify = |panic: bool| {
        let mut c = Command::new(exe());
        c.args(["verify", SMALL, "--jobs", "1", "--repair", "--cache"]).arg(&cache);
        if panic {
            c.env("CAUSEWAY_FAULT_PANIC", "ols");
        }
        output(c)
    };
    let broken = verify(true);
    let text = String::from_utf8_lossy(&broken.stdout).into_owned();
    assert_eq!(broken.status.code(), Some(6), "{text}");
    assert!(text.contains("repaired 24 damaged records"), "{text}");
    assert_eq!(text.matches("not repaired: small").count(), 6, "{text}");
    let fixed = verify(false);
    let text = String::from_utf8_lossy(&fixed.stdout).into_owned();
    assert_eq!(fixed.status.code(), Some(0), "{text}");
    assert!(text.contains("6 damaged records") && text.contains("repaired 6 damaged records"), "{text}");
    let after = output(run(Path::new(SMALL), &results, &cache));
    assert!(stderr(&after).contains("all 30 runs were cached"), "{}", stderr(&after));
    assert_eq!(tables(&results, "small"), good);
}

/// Held before and must keep holding: a kill -9 at points drawn from a seed, then
/// a resume, gives the bytes of an uninterrupted run; also with two workers.
#[test]
fn kills_at_seeded_points_resume_to_the_same_bytes() {
    let expected = reference(Path::new(SMALL), "small");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(16);
    for jobs in ["1", "2"] {
        let dir = tempfile::tempdir().unwrap();
        let (results, cache) = (dir.path().join("r"), dir.path().join("c"));
        for _ in 0..2 {
            // Kill once `stored` records exist: anywhere from the first run to the last.
            let stored = rng.random_range(1..=30);
            let mut c = run_with(Path::new(SMALL), &results, &cache, jobs);
            c.stderr(Stdio::null());
            let mut child = c.spawn().unwrap();
            for _ in 0..4000 {
                if records(&cache).len() >= stored || child.try_wait().unwrap().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            let _ = child.kill();
            child.wait().unwrap();
        }
        let resumed = output(run(Path::new(SMALL), &results, &cache));
        assert!(resumed.status.success(), "{}", stderr(&resumed));
        assert_eq!(tables(&results, "small"), expected, "jobs {jobs}");
        assert_eq!(entries(&results), ["index.html", "small"], "jobs {jobs}");
    }
}

/// Held before and must keep holding: two runners on one store at once both
/// succeed with identical tables, and the store holds one sound record per run.
#[test]
fn two_runners_on_one_store_corrupt_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("c");
    let (a, b) = (dir.path().join("ra"), dir.path().join("rb"));
    let mut first = run(Path::new(SMALL), &a, &cache).stderr(Stdio::null()).spawn().unwrap();
    let mut second = run(Path::new(SMALL), &b, &cache).stderr(Stdio::null()).spawn().unwrap();
    assert!(first.wait().unwrap().success());
    assert!(second.wait().unwrap().success());
    assert_eq!(tables(&a, "small"), tables(&b, "small"));
    let store = causeway::run::Cache::new(&cache);
    let found = records(&cache);
    assert_eq!(found.len(), 30);
    for path in found {
        let key = path.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(matches!(store.lookup(&key), causeway::run::Lookup::Hit(_)), "{}", path.display());
    }
}

/// Held before and must keep holding: a torn record (a write cut short by the
/// disk) is recomputed, and reported.
#[test]
fn a_torn_record_is_recomputed() {
    let dir = tempfile::tempdir().unwrap();
    let (results, cache) = (dir.path().join("r"), dir.path().join("c"));
    assert!(output(run(Path::new(SMALL), &results, &cache)).status.success());
    let good = tables(&results, "small");
    let victim = records(&cache).remove(3);
    let bytes = std::fs::read(&victim).unwrap();
    std::fs::write(&victim, &bytes[..bytes.len() / 2]).unwrap();
    let again = output(run(Path::new(SMALL), &results, &cache));
    assert!(again.status.success());
    assert!(stderr(&again).contains("1 computed, 29 cached"), "{}", stderr(&again));
    assert!(stderr(&again).contains("did not parse"), "{}", stderr(&again));
    assert_eq!(tables(&results, "small"), good);
}
