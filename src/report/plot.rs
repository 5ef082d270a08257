//! `plot.svg`: the experiment's main metric (the first listed metric that is an
//! error, else the first) against the first data-sweep parameter, one line per
//! estimator configuration with ±1 standard error whiskers. Without a data sweep,
//! one point per configuration. Written with plotters' SVG backend, which emits
//! text as SVG elements (no font files), so the bytes are the same everywhere.

use plotters::prelude::*;

use super::summary::SummaryRow;
use crate::spec::Experiment;

const SIZE: (u32, u32) = (720, 440);
const ESTIMATE_METRICS: &[&str] = &["ate", "att"];

/// The metric the plot shows.
pub fn main_metric(exp: &Experiment) -> Option<&str> {
    exp.metrics.iter().find(|m| !ESTIMATE_METRICS.contains(&m.as_str())).or(exp.metrics.first()).map(String::as_str)
}

/// (x, mean, se) per configuration, in summary order.
type Series = Vec<(String, Vec<(f64, f64, f64)>)>;

fn series(exp: &Experiment, summary: &[SummaryRow], metric: &str) -> Series {
    let mut configs: Vec<String> = Vec::new();
    for s in summary {
        if !configs.contains(&s.config) {
            configs.push(s.config.clone());
        }
    }
    configs
        .iter()
        .enumerate()
        .map(|(ci, config)| {
            let points = summary
                .iter()
                .filter(|s| &s.config == config)
                .filter_map(|s| {
                    let (_, value) = s.metrics.iter().find(|(m, _)| m == metric)?;
                    let (mean, se, _) = (*value)?;
                    let x = if exp.sweep.is_empty() { ci as f64 } else { first_sweep_value(&s.point)? };
                    Some((x, mean, se))
                })
                .collect();
            (config.clone(), points)
        })
        .collect()
}

/// The value of the first swept parameter in a point label `a=1,b=2`.
fn first_sweep_value(point: &str) -> Option<f64> {
    point.split(',').next()?.split_once('=')?.1.parse().ok()
}

fn bounds(series: &Series) -> ((f64, f64), (f64, f64)) {
    let pts = series.iter().flat_map(|(_, p)| p.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, m, se) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(m - se);
        y1 = y1.max(m + se);
    }
    if !x0.is_finite() {
        return ((0.0, 1.0), (0.0, 1.0));
    }
    let pad_x = ((x1 - x0) * 0.05).max(0.5);
    let pad_y = ((y1 - y0) * 0.08).max(1e-3);
    ((x0 - pad_x, x1 + pad_x), ((y0 - pad_y).min(0.0_f64.max(y0 - pad_y)), y1 + pad_y))
}

/// The SVG text of the plot, or `None` when no configuration has the metric.
pub fn plot_svg(exp: &Experiment, summary: &[SummaryRow]) -> Option<String> {
    let metric = main_metric(exp)?;
    let series = series(exp, summary, metric);
    if series.iter().all(|(_, p)| p.is_empty()) {
        return None;
    }
    let mut svg = String::new();
    draw(&mut svg, exp, metric, &series).ok()?;
    Some(svg + "\n")
}

fn draw(svg: &mut String, exp: &Experiment, metric: &str, series: &Series) -> Result<(), String> {
    let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let ((x0, x1), (y0, y1)) = bounds(series);
    let x_desc = exp.sweep.first().map(|(k, _)| k.clone()).unwrap_or_else(|| "configuration".into());
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("{}: {metric} (mean ± se over {} replications)", exp.name, exp.replications), ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, y0..y1).map_err(|e| e.to_string())?;
    chart.configure_mesh().x_desc(x_desc).y_desc(metric).draw().map_err(|e| e.to_string())?;
    for (i, (config, points)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        let line = points.iter().map(|&(x, m, _)| (x, m));
        chart
            .draw_series(LineSeries::new(line, color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(config.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        chart.draw_series(points.iter().map(|&(x, m, se)| PathElement::new(vec![(x, m - se), (x, m + se)], color))).map_err(|e| e.to_string())?;
        chart.draw_series(points.iter().map(|&(x, m, _)| Circle::new((x, m), 3, color.filled()))).map_err(|e| e.to_string())?;
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.85)).border_style(BLACK).draw().map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}
