//! With simulated data the true graph is known, so `check` warns, with locations,
//! where the analyst's graph omits what the simulator does (a node, an edge, a
//! confounding path), unless the file says the graph is wrong on purpose.

use std::path::{Path, PathBuf};
use std::process::Command;

const MODEL: &str = "name: warn
seed: 1
params: { n: 200 }
dataset:
  simulate:
    n: $n
    equations:
      u: normal(0, 1)
      x: normal(0, 1) + u
      t: bernoulli(sigmoid(x))
      m: 2 * t + normal(0, 1)
      y: 3 * m + x + u + normal(0, 1)
    treatment: t
    outcome: y
estimators: [ols]
";

fn check(dir: &Path, name: &str, graph: &str) -> (Option<i32>, String) {
    let path: PathBuf = dir.join(format!("{name}.yaml"));
    std::fs::write(&path, format!("{}{graph}", MODEL.replace("name: warn", &format!("name: {name}")))).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_causeway")).arg("check").arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stderr).replace(&dir.display().to_string(), "<dir>");
    (out.status.code(), text)
}

#[test]
fn omissions_of_the_graph_are_warned_with_locations() {
    let dir = tempfile::tempdir().unwrap();
    let mut report = String::new();
    let cases = [
        // The simulator's own graph: nothing to say.
        ("exact", "graph:\n  edges: [u -> x, u -> y, x -> t, t -> m, m -> y, x -> y]\n"),
        // The mediator left out: the newcomer's OLS error of 5.7 came from this.
        ("mediator-left-out", "graph:\n  edges: [u -> x, u -> y, x -> t, t -> y, x -> y]\n"),
        // A true edge deleted.
        ("edge-deleted", "graph:\n  edges: [u -> x, u -> y, x -> t, t -> m, m -> y]\n"),
        // u declared latent, but its effect on y forgotten: x and y are confounded.
        ("confounding-forgotten", "graph:\n  edges: [u -> x, x -> t, t -> m, m -> y, x -> y]\n  latent: [u]\n"),
        // Wrong on purpose: silent.
        ("on-purpose", "graph:\n  edges: [u -> x, u -> y, x -> t, t -> y, x -> y]\n  misspecified: true\n"),
    ];
    for (name, graph) in cases {
        let (code, text) = check(dir.path(), name, graph);
        assert_eq!(code, Some(0), "{name}: warnings never fail check\n{text}");
        let warned = text.contains("warning:");
        assert_eq!(warned, !matches!(name, "exact" | "on-purpose"), "{name}:\n{text}");
        report += &format!("## {name}\n{text}\n");
    }
    insta::assert_snapshot!("graph_warnings", report);
}
