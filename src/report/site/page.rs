//! One experiment's page, `results/<name>/index.html`: its description, the
//! causal graph drawn, the identification, the summary table (sortable, with
//! standard errors and the estimators' own intervals), a plot of every metric
//! over every swept parameter, the failed and refused runs with their reasons,
//! and the manifest. Everything on it is a function of the plan, the outcomes
//! and the manifest, like the tables beside it.

use super::graph::{self, Picture};
use super::html::{escape, inline_svg, page, sort_header};
use crate::report::format::fixed;
use crate::report::manifest::Manifest;
use crate::report::paper::{
    CI_HEADER, NOT_CONVERGED, SE_HEADER, TRUE_HEADER, cell, convergence_notes, flagged, own_cells, own_note,
    run_status, values_note, with_own,
};
use crate::report::summary::{SummaryRow, config_label, point_label};
use crate::report::{metric_plot_svg, plot_svg};
use crate::run::{Outcome, Run, Status};
use crate::spec::Experiment;

/// What an experiment's page is made of.
pub struct PageInput<'a> {
    pub experiment: &'a Experiment,
    pub runs: &'a [Run],
    pub outcomes: &'a [Option<Outcome>],
    pub summary: &'a [SummaryRow],
    /// The `causeway identify` text.
    pub identification: &'a str,
    /// The graph with the identification's marks; `None` without a graph.
    pub graph: Option<Picture>,
    pub manifest: &'a Manifest,
    /// The other files of the results folder, linked from the page.
    pub files: &'a [&'a str],
}

/// Escaped text in which `code` spans (Markdown backticks) become `<code>`.
fn prose(text: &str) -> String {
    let mut out = String::new();
    for (i, part) in text.split('`').enumerate() {
        if i % 2 == 1 {
            out += &format!("<code>{}</code>", escape(part));
        } else {
            out += &escape(part);
        }
    }
    out
}

const SECTIONS: [(&str, &str); 7] = [
    ("graph", "Causal graph"),
    ("identification", "Identification"),
    ("summary", "Summary"),
    ("plots", "Plots"),
    ("problems", "Failed and refused runs"),
    ("manifest", "Manifest"),
    ("files", "Files"),
];

fn heading(id: &str) -> String {
    let title = SECTIONS.iter().find(|(i, _)| *i == id).map_or(id, |(_, t)| t);
    format!("<section aria-labelledby=\"h-{id}\">\n<h2 id=\"h-{id}\">{title}</h2>\n")
}

/// The whole page.
pub fn experiment_page(input: &PageInput<'_>) -> String {
    let exp = input.experiment;
    let mut body = format!("<h1>{}</h1>\n", escape(&exp.name));
    if !exp.description.is_empty() {
        body += &format!("<p>{}</p>\n", prose(exp.description.trim()));
    }
    let (ok, failed, refused) = counts(input.outcomes);
    body += &format!(
        "<p class=\"meta\">Scenario: {}. Replications: {}. Seed: {}. Runs: {} ({ok} ok, {failed} failed, {refused} refused).</p>\n",
        if exp.scenario.is_empty() { "–".to_string() } else { escape(&exp.scenario) },
        exp.replications,
        exp.seed,
        input.runs.len()
    );
    body += "<nav class=\"toc\" aria-label=\"Sections\"><ul>";
    for (id, title) in SECTIONS {
        body += &format!("<li><a href=\"#h-{id}\">{title}</a></li>");
    }
    body += "</ul></nav>\n";
    body += &graph_section(exp, input.graph.as_ref());
    body +=
        &format!("{}<pre>{}</pre>\n</section>\n", heading("identification"), escape(input.identification.trim_end()));
    body += &summary_section(exp, input.summary);
    body += &plots_section(exp, input.summary);
    body += &problems_section(input.runs, input.outcomes);
    body += &manifest_section(input.manifest);
    body += &heading("files");
    body += "<ul>";
    for f in input.files {
        body += &format!("<li><a href=\"{0}\">{0}</a></li>", escape(f));
    }
    body += "</ul>\n</section>\n";
    page(&format!("{} · causeway", exp.name), Some("../index.html"), &body)
}

fn counts(outcomes: &[Option<Outcome>]) -> (usize, usize, usize) {
    outcomes.iter().flatten().fold((0, 0, 0), |(o, f, r), out| match out.status {
        Status::Ok => (o + 1, f, r),
        Status::Failed { .. } => (o, f + 1, r),
        Status::Refused { .. } => (o, f, r + 1),
    })
}

fn graph_section(exp: &Experiment, picture: Option<&Picture>) -> String {
    let mut out = heading("graph");
    match picture {
        Some(p) => {
            let words = p.describe();
            out += &format!(
                "<figure>\n{}<figcaption>{}</figcaption>\n</figure>\n<p class=\"note\">For Graphviz: <code>causeway identify \
                 --format dot FILE | dot -Tsvg</code>.</p>\n",
                inline_svg(&graph::svg(p), &format!("Causal graph of {}", exp.name)),
                escape(&words)
            );
        }
        None => {
            out += "<p>No causal graph is declared for these data: the estimators adjust for every covariate.</p>\n";
        }
    }
    out + "</section>\n"
}

/// The sortable table: a column per swept parameter, the configuration, the
/// truth, every metric as "mean ± se", the estimate's own se and interval, the
/// runs. Each cell's `data-sort` is its number, so sorting is numeric.
fn summary_section(exp: &Experiment, summary: &[SummaryRow]) -> String {
    let own = with_own(exp, summary);
    let truth = summary.iter().any(|s| s.true_ate.is_some());
    let mut out = heading("summary");
    out += "<div class=\"scroll\">\n<table class=\"sortable\">\n<caption class=\"muted\">Click a column header to sort by it.</caption>\n<thead><tr>";
    for (name, _) in &exp.sweep {
        out += &sort_header(name, false);
    }
    out += &sort_header("configuration", true);
    if truth {
        out += &sort_header(TRUE_HEADER, false);
    }
    for m in &exp.metrics {
        out += &sort_header(m.name(), false);
    }
    if own {
        out += &sort_header(SE_HEADER, false);
        out += &sort_header(CI_HEADER, false);
    }
    out += &sort_header("runs", false);
    out += "</tr></thead>\n<tbody>\n";
    let number = |v: Option<f64>| v.map(|v| fixed(v, 6)).unwrap_or_default();
    for s in summary {
        out += "<tr>";
        for (name, _) in &exp.sweep {
            let v = s.point_values.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
            out += &format!("<td data-sort=\"{}\">{}</td>", number(v), v.map(|v| v.to_string()).unwrap_or_default());
        }
        let marker = if flagged(s) { format!(" {NOT_CONVERGED}") } else { String::new() };
        out += &format!("<th scope=\"row\" class=\"text\">{}{marker}</th>", escape(&s.config));
        if truth {
            out += &format!(
                "<td data-sort=\"{}\">{}</td>",
                number(s.true_ate.map(|t| t.0)),
                s.true_ate.map_or("–".into(), |t| fixed(t.0, 3))
            );
        }
        for (_, v) in &s.metrics {
            out += &format!("<td data-sort=\"{}\">{}</td>", number(v.map(|v| v.0)), cell(exp, v, " ± ", "–"));
        }
        if own {
            let (se, ci) = own_cells(s, "–");
            out += &format!("<td data-sort=\"{}\">{se}</td>", number(s.own.map(|o| o.se)));
            out += &format!("<td data-sort=\"{}\">{ci}</td>", number(s.own.map(|o| o.low)));
        }
        out += &format!("<td data-sort=\"{}\">{}</td>", s.runs - s.failed - s.refused, escape(&run_status(s)));
        out += "</tr>\n";
    }
    out += "</tbody>\n</table>\n</div>\n";
    out += &format!(
        "<p class=\"note\">{} A refused run is an estimator the graph does not identify the effect for.</p>\n",
        prose(&values_note(exp, summary))
    );
    if own {
        out += &format!("<p class=\"note\">{}</p>\n", prose(&own_note(exp, summary)));
    }
    for line in convergence_notes(summary, !exp.sweep.is_empty()) {
        out += &format!("<p class=\"note\">{NOT_CONVERGED} {}.</p>\n", prose(&line));
    }
    out + "</section>\n"
}

fn has_values(summary: &[SummaryRow], metric: &str) -> bool {
    summary.iter().any(|s| s.metrics.iter().any(|(m, v)| m == metric && v.is_some()))
}

/// A plot per metric with values and swept parameter (a forest plot per metric
/// without a sweep); where no metric has a value, the main plot's fallback.
fn plots_section(exp: &Experiment, summary: &[SummaryRow]) -> String {
    let mut figures = Vec::new();
    let xs: Vec<Option<&str>> =
        if exp.sweep.is_empty() { vec![None] } else { exp.sweep.iter().map(|(k, _)| Some(k.as_str())).collect() };
    for m in exp.metrics.iter().filter(|m| has_values(summary, m.name())) {
        for x in &xs {
            let Some(svg) = metric_plot_svg(exp, summary, m.name(), *x) else { continue };
            let title = match x {
                Some(x) => format!("{} against {x}, one line per configuration", m.name()),
                None => format!("{} of each configuration", m.name()),
            };
            figures.push((svg, title));
        }
    }
    if figures.is_empty()
        && let Some(svg) = plot_svg(exp, summary)
    {
        figures.push((svg, "the ATE estimates of each configuration".to_string()));
    }
    let mut out = heading("plots");
    if figures.is_empty() {
        out += "<p>No configuration has a value to plot.</p>\n";
    } else {
        out += "<p class=\"note\">Whiskers are ±1 standard error over replications where replications draw new data, \
                else the estimator's own 95% interval of its ATE (each plot's title says which).</p>\n<div class=\"plots\">\n";
        for (svg, title) in figures {
            out += &format!(
                "<figure>\n{}<figcaption>{}</figcaption>\n</figure>\n",
                inline_svg(&svg, &title),
                escape(&title)
            );
        }
        out += "</div>\n";
    }
    out + "</section>\n"
}

/// Failed and refused runs, one row per (status, configuration, reason), in plan order.
fn problems_section(runs: &[Run], outcomes: &[Option<Outcome>]) -> String {
    struct Group {
        status: &'static str,
        config: String,
        reason: String,
        points: Vec<String>,
        runs: usize,
    }
    let mut groups: Vec<Group> = Vec::new();
    for (run, outcome) in runs.iter().zip(outcomes) {
        let (status, reason) = match outcome.as_ref().map(|o| &o.status) {
            Some(Status::Failed { reason }) => ("failed", reason),
            Some(Status::Refused { reason }) => ("refused", reason),
            _ => continue,
        };
        let (config, point) = (config_label(run), point_label(run));
        match groups.iter_mut().find(|g| g.status == status && g.config == config && g.reason == *reason) {
            Some(g) => {
                g.runs += 1;
                if !g.points.contains(&point) {
                    g.points.push(point);
                }
            }
            None => groups.push(Group { status, config, reason: reason.clone(), points: vec![point], runs: 1 }),
        }
    }
    let mut out = heading("problems");
    if groups.is_empty() {
        return out + "<p>Every run finished.</p>\n</section>\n";
    }
    out += "<div class=\"scroll\">\n<table class=\"sortable\">\n<thead><tr>";
    for (label, text) in
        [("status", true), ("configuration", true), ("sweep points", true), ("runs", false), ("reason", true)]
    {
        out += &sort_header(label, text);
    }
    out += "</tr></thead>\n<tbody>\n";
    for g in groups {
        let points = if g.points.iter().all(String::is_empty) { "–".to_string() } else { g.points.join("; ") };
        out += &format!(
            "<tr><td class=\"text\">{}</td><th scope=\"row\" class=\"text\">{}</th><td class=\"text\">{}</td><td>{}</td><td class=\"text reason\">{}</td></tr>\n",
            g.status,
            escape(&g.config),
            escape(&points),
            g.runs,
            escape(&g.reason)
        );
    }
    out + "</tbody>\n</table>\n</div>\n</section>\n"
}

fn manifest_section(m: &Manifest) -> String {
    let mut out = heading("manifest");
    out += "<dl class=\"manifest\">\n";
    out += &format!("<dt>schema</dt><dd>{}</dd>\n", m.schema);
    for f in &m.files {
        out += &format!(
            "<dt>experiment file</dt><dd><code>{}</code> sha256 <code>{}</code></dd>\n",
            escape(&f.path),
            escape(&f.sha256)
        );
    }
    for f in &m.data_files {
        out += &format!(
            "<dt>data file</dt><dd><code>{}</code> sha256 <code>{}</code></dd>\n",
            escape(&f.path),
            escape(&f.sha256)
        );
    }
    out += &format!(
        "<dt>versions</dt><dd>causeway {}, libtorch {}, {}</dd>\n<dt>numeric mode</dt><dd>{}</dd>\n<dt>runs</dt><dd>{}</dd>\n",
        escape(&m.versions.causeway),
        escape(&m.versions.libtorch),
        escape(&m.versions.rustc),
        escape(&m.numerics),
        m.runs
    );
    out += "</dl>\n<details><summary>Run keys (sha256 of each run's inputs, in plan order)</summary>\n<pre>";
    out += &escape(&m.keys.join("\n"));
    out + "</pre>\n</details>\n</section>\n"
}
