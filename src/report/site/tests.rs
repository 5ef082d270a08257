//! The site's writers on synthetic experiments: the graph as SVG and DOT, the
//! sections of an experiment page, the index's ranks and families, and the
//! promises every page keeps (nothing loaded from elsewhere, the same bytes
//! from the same outcomes, no absolute path). Pinned by snapshots.

use serde_json::json;

use super::{Entry, MetricValues, PageInput, Picture, Role, experiment_page, graph_dot, graph_svg, index_page, ranks};
use crate::estimate::Goal;
use crate::graph::{AdjustStrategy, Admg, identify};
use crate::report::fixture::{experiment, finished, refused, run};
use crate::report::manifest::{Hashed, Manifest, Toolchain};
use crate::report::summarize;
use crate::run::{Outcome, Run};

fn picture(nodes: &[&str], directed: &[(&str, &str)], bidirected: &[(&str, &str)], t: &str, y: &str) -> Picture {
    let g = Admg::new(nodes, directed, bidirected).unwrap();
    Picture::new(&g, &identify(&g, t, y, &AdjustStrategy::Optimal).unwrap())
}

fn frontdoor() -> Picture {
    picture(
        &["smoking", "tar", "cancer"],
        &[("smoking", "tar"), ("tar", "cancer")],
        &[("smoking", "cancer")],
        "smoking",
        "cancer",
    )
}

#[test]
fn a_front_door_graph_marks_the_mediator_and_draws_the_latent_arc() {
    let p = frontdoor();
    assert_eq!(p.layers, [0, 1, 2]);
    assert_eq!(p.nodes[1], ("tar".to_string(), Role::Mediator));
    let svg = graph_svg(&p);
    assert_eq!(svg.matches("marker-end=").count(), 3, "two arrows and one arc");
    assert_eq!(svg.matches("stroke-dasharray=\"6 4\"").count(), 2, "the arc and its legend line");
    insta::assert_snapshot!("graph_frontdoor_svg", svg);
    insta::assert_snapshot!("graph_frontdoor_dot", graph_dot("smoking \"study\"", &p));
    assert_eq!(
        p.describe(),
        "Causal graph: 3 variables, 2 directed edges, 1 bidirected (latent confounding); treatment smoking; \
         outcome cancer; front-door mediators tar."
    );
}

#[test]
fn the_adjustment_set_is_marked_and_layers_follow_the_longest_path() {
    let p = picture(
        &["age", "severity", "drug", "recovery"],
        &[("age", "severity"), ("age", "drug"), ("severity", "drug"), ("severity", "recovery"), ("drug", "recovery")],
        &[],
        "drug",
        "recovery",
    );
    assert_eq!(p.layers, [0, 1, 2, 3]);
    // The O-set is {severity}: age reaches recovery only through drug or severity.
    let adjusted: Vec<&str> = p.nodes.iter().filter(|(_, r)| *r == Role::Adjusted).map(|(n, _)| n.as_str()).collect();
    assert_eq!(adjusted, ["severity"]);
    let svg = graph_svg(&p);
    // age → drug skips a layer, so it bends; the others are straight.
    assert!(svg.contains("<title>age → drug</title>"), "{svg}");
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    // Nothing is drawn above the top or left of the picture.
    assert!(!svg.contains("=\"-"), "{svg}");
}

const SWEPT: &str = "name: swept
scenario: medical
description: A test sweep. Its second sentence is left off the index.
seed: 1
replications: 2
params: { a: 0 }
sweep: { a: [0, 1] }
estimators: [naive, ols, frontdoor]
dataset:
  simulate:
    n: 100
    equations:
      x: normal(0, 1)
      t: bernoulli(sigmoid($a * x))
      y: t + x + normal(0, 1)
    treatment: t
    outcome: y
metrics: [ate, ate_error]
";

fn swept_runs() -> (Vec<Run>, Vec<Option<Outcome>>) {
    let (mut runs, mut outcomes) = (Vec::new(), Vec::new());
    for a in [0.0, 1.0] {
        for r in 0..2 {
            let shift = f64::from(r) / 10.0;
            for (est, err) in [("naive", 0.5 + a), ("ols", 0.05)] {
                runs.push(run(est, &[], &[("a", a)], r));
                outcomes.push(Some(finished(
                    &[("ate", 1.0 + err + shift), ("ate_error", err + shift), ("true_ate", 1.0)],
                    &[("se", 0.1)],
                )));
            }
            runs.push(run("frontdoor", &[], &[("a", a)], r));
            outcomes.push(Some(refused()));
        }
    }
    (runs, outcomes)
}

fn manifest() -> Manifest {
    Manifest {
        schema: 2,
        experiment: "swept".into(),
        files: vec![Hashed { path: "experiments/swept.yaml".into(), sha256: "ab12".into() }],
        data_files: vec![],
        versions: Toolchain { causeway: "0.1.0".into(), libtorch: "2.11.0".into(), rustc: "rustc 1.95.0".into() },
        numerics: "portable".into(),
        runs: 12,
        keys: vec!["k1".into(), "k2".into()],
    }
}

fn swept_page() -> String {
    let exp = experiment(SWEPT);
    let (runs, outcomes) = swept_runs();
    let summary = summarize(&runs, &outcomes, &exp.metrics);
    let manifest = manifest();
    experiment_page(&PageInput {
        experiment: &exp,
        runs: &runs,
        outcomes: &outcomes,
        summary: &summary,
        identification: "effect of `t` on `y`\n  backdoor adjustment sets: {x}",
        graph: Some(picture(&["x", "t", "y"], &[("x", "t"), ("x", "y"), ("t", "y")], &[], "t", "y")),
        manifest: &manifest,
        files: &["report.md", "summary.csv"],
    })
}

/// The section whose heading has id `h-{id}`, up to its end.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start =
        html.find(&format!("<section aria-labelledby=\"h-{id}\">")).unwrap_or_else(|| panic!("no section {id}"));
    let end = html[start..].find("</section>").unwrap();
    &html[start..start + end + "</section>".len()]
}

#[test]
fn an_experiment_page_has_a_sortable_table_a_plot_per_metric_and_the_refusals() {
    let html = swept_page();
    insta::assert_snapshot!("page_summary_section", section(&html, "summary"));
    insta::assert_snapshot!("page_problems_section", section(&html, "problems"));
    insta::assert_snapshot!("page_manifest_section", section(&html, "manifest"));
    // One plot per metric (ate, ate_error) over the one swept parameter, each
    // an inline SVG with a title, besides the graph.
    let plots = section(&html, "plots");
    assert_eq!(plots.matches("<svg role=\"img\"").count(), 2, "{plots}");
    assert_eq!(plots.matches("<title>").count(), 2);
    assert!(plots.contains("ate_error against a, one line per configuration"));
    assert!(section(&html, "graph").contains("<title>Causal graph of swept</title>"));
    assert!(html.contains("<a href=\"../index.html\">All experiments</a>"));
    assert!(html.contains("<a href=\"summary.csv\">summary.csv</a>"));
}

#[test]
fn pages_are_the_same_bytes_from_the_same_outcomes_and_load_nothing() {
    let (one, two) = (swept_page(), swept_page());
    assert_eq!(one, two);
    // SVG's namespace is a name, not a resource: nothing fetches it.
    let one = one.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    for banned in ["http://", "https://", "<link", " src=", "@import", "url(http", "/tmp/"] {
        assert!(!one.contains(banned), "{banned} in the page");
    }
    assert!(one.contains("<th scope=\"col\"><button type=\"button\">ate_error</button></th>"));
}

fn entry(name: &str, scenario: &str, values: &[(&str, f64)]) -> Entry {
    Entry {
        name: name.into(),
        scenario: scenario.into(),
        summary: format!("{name} in one sentence."),
        replications: 5,
        points: 1,
        metrics: vec![
            MetricValues {
                metric: "ate_error".into(),
                values: values.iter().map(|(c, v)| (c.to_string(), *v)).collect(),
            },
            MetricValues { metric: "ate".into(), values: vec![("ols".into(), 2.0)] },
        ],
    }
}

#[test]
fn ranks_share_ties_and_follow_the_goal() {
    assert_eq!(ranks(&[0.3, 0.1, 0.3, 0.2], Goal::Lower), [3, 1, 3, 2]);
    assert_eq!(ranks(&[0.75, 0.25, 1.0], Goal::Toward(0.5)), [1, 1, 3]);
    // Values that read the same to 3 decimals tie; NaN is last.
    assert_eq!(ranks(&[0.1401, 0.1399, f64::NAN, 0.2], Goal::Lower), [1, 1, 4, 3]);
}

#[test]
fn the_index_groups_families_and_colours_by_rank_within_each_experiment() {
    let entries = [
        entry("drug", "medical", &[("naive", 1.2), ("ols", 0.1), ("tarnet", 0.3)]),
        entry("credit", "finance", &[("ols", 0.4), ("tarnet", 0.2)]),
        entry("toy", "", &[("naive", 2.0)]),
    ];
    let html = index_page(&entries, &["old-folder".to_string()]);
    let main = &html[html.find("<main>").unwrap()..html.find("</main>").unwrap()];
    insta::assert_snapshot!("index_main", main);
    // Families in order: finance, medical, then the unnamed as "other".
    let at = |s: &str| main.find(s).unwrap();
    assert!(at(">finance<") < at(">medical<") && at(">medical<") < at(">other<"));
    assert!(main.contains("<option value=\"ate_error\" selected>"));
}

#[test]
fn an_entry_reads_back_and_keeps_the_first_sentence() {
    let exp = experiment(SWEPT);
    let (runs, outcomes) = swept_runs();
    let e = Entry::new(&exp, &summarize(&runs, &outcomes, &exp.metrics));
    assert_eq!(e.summary, "A test sweep.");
    assert_eq!((e.points, e.scenario.as_str()), (2, "medical"));
    let errors = &e.metrics.iter().find(|m| m.metric == "ate_error").unwrap().values;
    // naive: (0.55 + 1.55) / 2 over the two points; frontdoor was refused everywhere.
    assert_eq!(errors.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(), ["naive", "ols"]);
    assert!((errors[0].1 - 1.05).abs() < 1e-12, "{errors:?}");
    let back: Entry = serde_json::from_str(&e.to_json()).unwrap();
    assert_eq!(back, e);
    assert_eq!(json!(back.points), json!(2));
}

#[test]
fn the_index_is_rebuilt_from_the_folders_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write("b/site.json", &entry("b", "medical", &[("ols", 0.1)]).to_json());
    write("a/site.json", &entry("a", "finance", &[("ols", 0.2)]).to_json());
    write("old/summary.csv", "estimator\n");
    write("broken/site.json", "{");
    write(".b.host.1.0.new/site.json", "{");
    let warnings = super::write_index(dir.path()).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("broken"), "{warnings:?}");
    let html = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(html.find("href=\"a/index.html\"").unwrap() < html.find("href=\"b/index.html\"").unwrap());
    assert!(html.contains("<code>broken</code>, <code>old</code>"), "{html}");
}
