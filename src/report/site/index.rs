//! `results/index.html`, the page that compares experiments: for a chosen
//! metric, a table of experiments (grouped by scenario family) by estimator
//! configuration, each cell coloured by the configuration's rank within its
//! experiment, and the list of experiments with links to their pages.
//!
//! The index is rebuilt from the results folders on disk, not from the
//! experiments of one invocation, so that running one experiment keeps the
//! others on it: each folder's `site.json` (its `Entry`, written beside its
//! page) holds what the index shows. A folder without one (written before the
//! site existed) is named at the bottom.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::html::{escape, page};
use crate::estimate::{Goal, Metric};
use crate::report::SummaryRow;
use crate::report::format::fixed;
use crate::spec::Experiment;

/// One experiment's line of the index (`results/<name>/site.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub name: String,
    /// The `scenario:` of the experiment file (`medical`, `papers`, ...), or empty.
    pub scenario: String,
    /// The first sentence of its description.
    pub summary: String,
    pub replications: u32,
    /// Data-sweep points (1 without a sweep).
    pub points: usize,
    pub metrics: Vec<MetricValues>,
}

/// One metric's value per configuration that has one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricValues {
    pub metric: String,
    /// (configuration, mean over the sweep points of its mean over runs).
    pub values: Vec<(String, f64)>,
}

/// The first sentence of `text`, on one line.
fn first_sentence(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.find(". ") {
        Some(end) => flat[..=end].to_string(),
        None => flat,
    }
}

impl Entry {
    /// The entry of an experiment from its summary: per listed metric and
    /// configuration, the mean of the configuration's means over the sweep
    /// points that have a value.
    pub fn new(exp: &Experiment, summary: &[SummaryRow]) -> Entry {
        let mut configs: Vec<&str> = Vec::new();
        for s in summary {
            if !configs.contains(&s.config.as_str()) {
                configs.push(&s.config);
            }
        }
        let metrics = exp
            .metrics
            .iter()
            .map(|m| {
                let values = configs
                    .iter()
                    .filter_map(|c| {
                        let means: Vec<f64> = summary
                            .iter()
                            .filter(|s| s.config == *c)
                            .filter_map(|s| s.metrics.iter().find(|(n, _)| n == m.name()).and_then(|(_, v)| *v))
                            .map(|(mean, _, _)| mean)
                            .collect();
                        (!means.is_empty()).then(|| (c.to_string(), means.iter().sum::<f64>() / means.len() as f64))
                    })
                    .collect();
                MetricValues { metric: m.name().to_string(), values }
            })
            .collect();
        let points = summary.iter().map(|s| s.point.as_str()).collect::<std::collections::BTreeSet<_>>().len().max(1);
        Entry {
            name: exp.name.clone(),
            scenario: exp.scenario.clone(),
            summary: first_sentence(&exp.description),
            replications: exp.replications,
            points,
            metrics,
        }
    }

    pub fn to_json(&self) -> String {
        // Strings, numbers and lists always serialize.
        serde_json::to_string_pretty(self).expect("an index entry serializes") + "\n"
    }
}

/// The families in the index's order: named ones alphabetically, then the
/// experiments without a `scenario:` as "other".
fn families(entries: &[Entry]) -> Vec<(String, Vec<&Entry>)> {
    let mut map: BTreeMap<(bool, &str), Vec<&Entry>> = BTreeMap::new();
    for e in entries {
        map.entry((e.scenario.is_empty(), e.scenario.as_str())).or_default().push(e);
    }
    map.into_iter()
        .map(|((_, name), mut members)| {
            members.sort_by(|a, b| a.name.cmp(&b.name));
            (if name.is_empty() { "other".to_string() } else { name.to_string() }, members)
        })
        .collect()
}

/// Competition ranks (1 = best; ties share a rank) of `values` under `goal`,
/// compared as the index shows them (to 3 decimals), so that two cells that
/// read the same share a rank. A NaN (a diverged method's mean) ranks last.
pub fn ranks(values: &[f64], goal: Goal) -> Vec<usize> {
    let distance = |v: f64| {
        let shown: f64 = fixed(v, 3).parse().unwrap_or(v);
        let d = goal.distance(shown);
        if d.is_nan() { f64::INFINITY } else { d }
    };
    let d: Vec<f64> = values.iter().map(|v| distance(*v)).collect();
    d.iter().map(|x| 1 + d.iter().filter(|y| *y < x).count()).collect()
}

/// The colour class of rank `r` of `n`: the best always `rank1`, the rest in
/// four bands by their place between the best and the worst.
fn band(r: usize, n: usize) -> &'static str {
    if r == 1 {
        return "rank1";
    }
    let q = (r - 1) as f64 / (n.max(2) - 1) as f64;
    if q <= 0.25 {
        "rank2"
    } else if q <= 0.5 {
        "rank3"
    } else if q <= 0.75 {
        "rank4"
    } else {
        "rank5"
    }
}

/// The metrics of the index in `Metric::ALL` order, ranked ones first, and
/// the one shown first: the ranked metric most experiments report.
fn metric_order(entries: &[Entry]) -> (Vec<Metric>, Option<Metric>) {
    let present = |m: &Metric| entries.iter().any(|e| e.metrics.iter().any(|v| v.metric == m.name()));
    let mut metrics: Vec<Metric> = Metric::ALL.into_iter().filter(present).collect();
    metrics.sort_by_key(|m| m.goal().is_none());
    let count = |m: &Metric| entries.iter().filter(|e| e.metrics.iter().any(|v| v.metric == m.name())).count();
    let first = metrics
        .iter()
        .filter(|m| m.goal().is_some())
        .max_by_key(|m| (count(m), std::cmp::Reverse(Metric::ALL.iter().position(|a| a == *m))));
    (metrics.clone(), first.or(metrics.first()).copied())
}

fn values_of<'e>(e: &'e Entry, metric: &str) -> Option<&'e [(String, f64)]> {
    e.metrics.iter().find(|v| v.metric == metric).map(|v| v.values.as_slice())
}

/// One metric's table: experiments by family (rows), configurations (columns).
fn metric_table(metric: Metric, entries: &[Entry]) -> String {
    let name = metric.name();
    let with: Vec<Entry> = entries.iter().filter(|e| values_of(e, name).is_some()).cloned().collect();
    let mut configs: Vec<&str> = Vec::new();
    let groups = families(&with);
    for (_, members) in &groups {
        for e in members {
            for (c, _) in values_of(e, name).unwrap_or_default() {
                if !configs.contains(&c.as_str()) {
                    configs.push(c);
                }
            }
        }
    }
    let how = match metric.goal() {
        Some(Goal::Lower) => "lower is better".to_string(),
        Some(Goal::Toward(t)) => format!("nearer {t} is better"),
        None => "an estimate, not ranked".to_string(),
    };
    let ranked = if metric.goal().is_some() { "; the superscript is its rank within the experiment (row)" } else { "" };
    let mut out = format!(
        "<section data-metric=\"{name}\" id=\"metric-{name}\" aria-labelledby=\"h-{name}\">\n\
         <h2 id=\"h-{name}\"><code>{name}</code> by experiment ({how})</h2>\n<div class=\"scroll\">\n\
         <table>\n<caption class=\"muted\">Each cell is the configuration's mean over replications, averaged over the \
         experiment's sweep points{ranked}.</caption>\n<thead><tr>\
         <th scope=\"col\" class=\"text sticky\">experiment</th>"
    );
    for c in &configs {
        out += &format!("<th scope=\"col\">{}</th>", escape(c));
    }
    out += "</tr></thead>\n";
    for (family, members) in &groups {
        out += &format!(
            "<tbody>\n<tr class=\"family\"><th scope=\"rowgroup\" colspan=\"{}\">{}</th></tr>\n",
            configs.len() + 1,
            escape(family)
        );
        for e in members {
            let values = values_of(e, name).unwrap_or_default();
            let numbers: Vec<f64> = values.iter().map(|(_, v)| *v).collect();
            let rank = metric.goal().map(|g| ranks(&numbers, g));
            out += &format!(
                "<tr><th scope=\"row\" class=\"text sticky\"><a href=\"{0}/index.html\">{0}</a></th>",
                escape(&e.name)
            );
            for c in &configs {
                match values.iter().position(|(vc, _)| vc == c) {
                    Some(i) => {
                        let text = fixed(values[i].1, 3);
                        match &rank {
                            Some(r) => {
                                out += &format!(
                                    "<td class=\"{}\" title=\"rank {} of {} in {}\">{text}<sup>{}</sup></td>",
                                    band(r[i], values.len()),
                                    r[i],
                                    values.len(),
                                    escape(&e.name),
                                    r[i]
                                )
                            }
                            None => out += &format!("<td>{text}</td>"),
                        }
                    }
                    None => out += "<td class=\"empty\" title=\"not run, or no value\">–</td>",
                }
            }
            out += "</tr>\n";
        }
        out += "</tbody>\n";
    }
    out + "</table>\n</div>\n</section>\n"
}

/// The whole index page; `missing` names results folders without an entry.
pub fn index_page(entries: &[Entry], missing: &[String]) -> String {
    let (metrics, first) = metric_order(entries);
    let mut body = String::from(
        "<h1>causeway results</h1>\n<p>Every experiment of this results folder: pick a metric to see which estimator \
         wins where (1 = best within the experiment, green), then follow an experiment to its page for the graph, the \
         identification, the full table with standard errors and the sweep plots.</p>\n",
    );
    if let Some(first) = first {
        body +=
            "<p class=\"chooser\" hidden><label for=\"metric-chooser\">Metric: </label><select id=\"metric-chooser\">";
        for m in &metrics {
            let selected = if *m == first { " selected" } else { "" };
            body += &format!("<option value=\"{0}\"{selected}>{0}</option>", m.name());
        }
        body += "</select></p>\n";
        body += "<p class=\"legend muted\">Rank within the experiment: <span><span class=\"swatch\" style=\"background:#1a7f37\"></span>best</span>\
                 <span><span class=\"swatch\" style=\"background:#7cc58b\"></span>near the best</span>\
                 <span><span class=\"swatch\" style=\"background:#d8ecc4\"></span>upper half</span>\
                 <span><span class=\"swatch\" style=\"background:#f6e3b4\"></span>lower half</span>\
                 <span><span class=\"swatch\" style=\"background:#f4b183\"></span>near the worst</span></p>\n";
    }
    for m in &metrics {
        body += &metric_table(*m, entries);
    }
    body += "<section aria-labelledby=\"h-experiments\">\n<h2 id=\"h-experiments\">Experiments</h2>\n";
    for (family, members) in families(entries) {
        body += &format!("<h3>{}</h3>\n<ul>\n", escape(&family));
        for e in members {
            let sweep = if e.points > 1 { format!(", {} sweep points", e.points) } else { String::new() };
            body += &format!(
                "<li><a href=\"{0}/index.html\">{0}</a> <span class=\"muted\">({1} replications{sweep})</span> {2}</li>\n",
                escape(&e.name),
                e.replications,
                escape(&e.summary)
            );
        }
        body += "</ul>\n";
    }
    body += "</section>\n";
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|m| format!("<code>{}</code>", escape(m))).collect();
        body += &format!(
            "<p class=\"note\">Results folders without a page (written before the site existed; <code>causeway run</code> or \
             <code>causeway collect</code> of their experiment writes one): {}.</p>\n",
            names.join(", ")
        );
    }
    page("causeway results", None, &body)
}
