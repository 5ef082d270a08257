//! `plot.svg`, meant to be read without the experiment file open. The metric is
//! `plot.metric`, else the first listed error metric, else the first. With a
//! data sweep: the metric against the first swept parameter, one line per
//! configuration (and value of any other swept parameter). Without one: a
//! forest plot, one named row per configuration. Where the data have no truth
//! for the metric, the ATE estimates are plotted instead. Whiskers are ±1
//! standard error over replications where replications draw new data, else, for
//! the ATE, the estimator's own 95% interval. Configurations without a value
//! (refused, failed, or a metric the method lacks) get no legend entry but a
//! line under the chart. Written with plotters' SVG backend, which emits text as
//! SVG elements (no font files), so the bytes are the same everywhere.

use super::summary::{Stat, SummaryRow, data_vary};
use crate::estimate::Metric;
use crate::spec::Experiment;

mod draw;
#[cfg(test)]
mod tests;

/// The metric the experiment asks to plot: `plot.metric`, else the first
/// listed metric that is not an estimate itself, else the first.
pub fn main_metric(exp: &Experiment) -> Option<&'static str> {
    if let Some(m) = exp.plot.metric {
        return Some(m.name());
    }
    let estimate = |m: &&Metric| matches!(m, Metric::Ate | Metric::Att);
    exp.metrics.iter().find(|m| !estimate(m)).or(exp.metrics.first()).map(|m| m.name())
}

/// What the whiskers show.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Whiskers {
    /// ±1 standard error over replications of new data.
    Spread,
    /// The estimator's own 95% interval of its ATE.
    OwnInterval,
    None,
}

/// One plotted value: (x or row, value, whisker low, whisker high).
type Mark = (f64, f64, f64, f64);

#[derive(Debug)]
struct Series {
    label: String,
    marks: Vec<Mark>,
}

#[derive(Debug)]
struct Figure {
    title: String,
    /// The plotted metric's name (the y axis, or the x axis of a forest plot).
    metric: String,
    /// The swept parameter on the x axis; `None` for a forest plot.
    sweep: Option<String>,
    series: Vec<Series>,
    /// Lines under the chart: what is not shown and why, and any substitution.
    notes: Vec<String>,
}

/// The value of a row for the plotted metric (`ate` from the row's own field,
/// which is there whether or not `ate` is listed).
fn stat(row: &SummaryRow, metric: &str) -> Option<Stat> {
    if metric == "ate" {
        return row.ate;
    }
    row.metrics.iter().find(|(m, _)| m == metric).and_then(|(_, v)| *v)
}

fn mark(row: &SummaryRow, x: f64, metric: &str, whiskers: Whiskers) -> Option<Mark> {
    let (m, se, n) = stat(row, metric)?;
    let (lo, hi) = match (whiskers, row.own) {
        (Whiskers::Spread, _) if n > 1 => (m - se, m + se),
        (Whiskers::OwnInterval, Some(own)) => (own.low, own.high),
        _ => (m, m),
    };
    Some((x, m, lo, hi))
}

/// Why a configuration has no value for `metric`.
fn absence(rows: &[&SummaryRow], metric: &str) -> String {
    let (runs, refused, failed) = rows.iter().fold((0, 0, 0), |a, r| (a.0 + r.runs, a.1 + r.refused, a.2 + r.failed));
    if refused == runs {
        "refused".into()
    } else if refused + failed == runs {
        "failed".into()
    } else {
        format!("no {metric}")
    }
}

fn figure(exp: &Experiment, summary: &[SummaryRow]) -> Option<Figure> {
    figure_of(exp, summary, main_metric(exp)?, exp.sweep.first().map(|(k, _)| k.as_str()))
}

/// The figure of metric `chosen` against swept parameter `x` (a forest plot
/// when `x` is `None`).
fn figure_of(exp: &Experiment, summary: &[SummaryRow], chosen: &str, x: Option<&str>) -> Option<Figure> {
    let mut notes = Vec::new();
    let metric = if summary.iter().any(|s| stat(s, chosen).is_some()) {
        chosen
    } else if summary.iter().any(|s| s.ate.is_some()) {
        notes.push(format!(
            "No run has a value of {chosen} (the data have no truth for it): shown are the ATE estimates."
        ));
        "ate"
    } else {
        return None;
    };
    let whiskers = if data_vary(exp) && exp.replications > 1 {
        Whiskers::Spread
    } else if metric == "ate" {
        Whiskers::OwnInterval
    } else {
        Whiskers::None
    };
    let (series, omitted) = match x {
        Some(name) => sweep_series(summary, name, metric, whiskers),
        None => forest_series(summary, metric, whiskers),
    };
    if !omitted.is_empty() {
        notes.push(format!("Not shown: {}.", omitted.join("; ")));
    }
    if whiskers == Whiskers::OwnInterval {
        let bare: Vec<&str> = summary
            .iter()
            .filter(|s| s.own.is_none() && stat(s, metric).is_some())
            .map(|s| s.config.as_str())
            .collect();
        if !bare.is_empty() {
            notes.push(format!("No interval of its own (the method reports no standard error): {}.", bare.join(", ")));
        }
    }
    let title = format!("{}: {}", exp.name, describe(exp, metric, whiskers));
    Some(Figure { title, metric: metric.to_string(), sweep: x.map(str::to_string), series, notes })
}

fn describe(exp: &Experiment, metric: &str, whiskers: Whiskers) -> String {
    let r = exp.replications;
    match whiskers {
        Whiskers::Spread => format!("{metric} (mean ± se over {r} replications)"),
        Whiskers::OwnInterval if r > 1 => {
            format!("{metric} with the estimator's own 95% interval (means over {r} replications of the same data)")
        }
        Whiskers::OwnInterval => format!("{metric} with the estimator's own 95% interval"),
        Whiskers::None if r > 1 => format!("{metric} (means over {r} replications of the same data)"),
        Whiskers::None => metric.to_string(),
    }
}

/// One series per configuration and value of the swept parameters after the
/// first, x the first's value; series without a point are named in the notes.
fn sweep_series(summary: &[SummaryRow], x_name: &str, metric: &str, whiskers: Whiskers) -> (Vec<Series>, Vec<String>) {
    let mut groups: Vec<(String, Vec<&SummaryRow>)> = Vec::new();
    for row in summary {
        let rest: Vec<String> =
            row.point_values.iter().filter(|(k, _)| k != x_name).map(|(k, v)| format!("{k}={v}")).collect();
        let label = if rest.is_empty() { row.config.clone() } else { format!("{} at {}", row.config, rest.join(",")) };
        match groups.iter_mut().find(|(l, _)| *l == label) {
            Some(g) => g.1.push(row),
            None => groups.push((label, vec![row])),
        }
    }
    let (mut series, mut omitted) = (Vec::new(), Vec::new());
    for (label, rows) in groups {
        let marks: Vec<Mark> = rows
            .iter()
            .filter_map(|r| {
                let x = r.point_values.iter().find(|(k, _)| k == x_name)?.1;
                mark(r, x, metric, whiskers)
            })
            .collect();
        if marks.is_empty() {
            omitted.push(format!("{label} ({})", absence(&rows, metric)));
        } else {
            series.push(Series { label, marks });
        }
    }
    (series, omitted)
}

/// One row per configuration with a value, from the top in summary order.
fn forest_series(summary: &[SummaryRow], metric: &str, whiskers: Whiskers) -> (Vec<Series>, Vec<String>) {
    let (mut series, mut omitted) = (Vec::new(), Vec::new());
    for row in summary {
        match mark(row, series.len() as f64, metric, whiskers) {
            Some(m) => series.push(Series { label: row.config.clone(), marks: vec![m] }),
            None => omitted.push(format!("{} ({})", row.config, absence(&[row], metric))),
        }
    }
    (series, omitted)
}

/// The SVG text of the plot, or `None` when no configuration has a value to show.
pub fn plot_svg(exp: &Experiment, summary: &[SummaryRow]) -> Option<String> {
    draw_figure(&figure(exp, summary)?)
}

/// The SVG of metric `metric` against the swept parameter `x`, or a forest plot
/// of the configurations when `x` is `None` (the results page draws one per
/// metric and swept parameter). Falls back to the ATE like `plot_svg` when no
/// run has the metric; `None` when nothing has a value.
pub fn metric_plot_svg(exp: &Experiment, summary: &[SummaryRow], metric: &str, x: Option<&str>) -> Option<String> {
    draw_figure(&figure_of(exp, summary, metric, x)?)
}

fn draw_figure(figure: &Figure) -> Option<String> {
    let mut svg = String::new();
    let drawn = match &figure.sweep {
        Some(_) => draw::sweep(&mut svg, figure),
        None => draw::forest(&mut svg, figure),
    };
    drawn.ok()?;
    Some(svg + "\n")
}
