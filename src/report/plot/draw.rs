//! Drawing a `Figure` with plotters: a line chart over a data sweep, or a forest
//! plot of named rows, each with the figure's notes underneath.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{Figure, Mark};
use crate::report::fixed;

const WIDTH: u32 = 720;
const SWEEP_HEIGHT: u32 = 440;
const NOTE_LINE: u32 = 18;
/// Characters of a note line before it wraps (13 px sans-serif in 720 px).
const NOTE_CHARS: usize = 100;
const ROW_HEIGHT: u32 = 30;
/// Okabe and Ito's colour-blind-safe colours without the yellow, which is
/// unreadable on white, and with black; the series after the eighth repeat them.
const COLOURS: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2),
    RGBColor(0xD5, 0x5E, 0x00),
    RGBColor(0x00, 0x9E, 0x73),
    RGBColor(0xCC, 0x79, 0xA7),
    RGBColor(0xE6, 0x9F, 0x00),
    RGBColor(0x56, 0xB4, 0xE9),
    RGBColor(0x00, 0x00, 0x00),
    RGBColor(0x99, 0x99, 0x99),
];

fn colour(i: usize) -> RGBAColor {
    COLOURS[i % COLOURS.len()].to_rgba()
}

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// The notes, wrapped at word boundaries.
fn wrap(notes: &[String]) -> Vec<String> {
    let mut lines = Vec::new();
    for note in notes {
        let mut line = String::new();
        for word in note.split(' ') {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > NOTE_CHARS {
                lines.push(std::mem::take(&mut line));
                line.push_str("    ");
            } else if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

fn draw_notes(area: &DrawingArea<SVGBackend<'_>, Shift>, lines: &[String]) -> Result<(), String> {
    for (i, line) in lines.iter().enumerate() {
        area.draw(&Text::new(line.clone(), (16, 2 + (NOTE_LINE * i as u32) as i32), ("sans-serif", 13)))
            .map_err(err)?;
    }
    Ok(())
}

/// (low, high) of `values`, padded by `share` of the width, or by `flat` when
/// all values are one.
fn padded(values: impl Iterator<Item = f64>, share: f64, flat: f64) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let pad =
        if hi - lo > 1e-12 * hi.abs().max(lo.abs()).max(1.0) { (hi - lo) * share } else { flat.max(hi.abs() * 0.05) };
    (lo - pad, hi + pad)
}

/// Tick labels with as many decimals as a tenth of the axis needs, through
/// `fixed`, so that no tick reads `-0.0`.
fn ticks(lo: f64, hi: f64) -> impl Fn(&f64) -> String {
    let step = (hi - lo) / 10.0;
    let decimals = if step > 0.0 { (-step.log10().floor()).clamp(0.0, 12.0) as usize } else { 3 };
    move |v| fixed(*v, decimals)
}

fn marks(fig: &Figure) -> impl Iterator<Item = &Mark> {
    fig.series.iter().flat_map(|s| s.marks.iter())
}

/// The metric against the swept parameter, a line per series with whiskers.
pub(super) fn sweep(svg: &mut String, fig: &Figure) -> Result<(), String> {
    let notes = wrap(&fig.notes);
    let root = SVGBackend::with_string(svg, (WIDTH, SWEEP_HEIGHT + NOTE_LINE * notes.len() as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let (chart_area, note_area) = root.split_vertically(SWEEP_HEIGHT);
    let (x0, x1) = padded(marks(fig).map(|m| m.0), 0.05, 0.5);
    let (y0, y1) = padded(marks(fig).flat_map(|m| [m.2, m.3]), 0.08, 1e-3);
    let (x_ticks, y_ticks) = (ticks(x0, x1), ticks(y0, y1));
    let mut chart = ChartBuilder::on(&chart_area)
        .caption(&fig.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(56)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(fig.sweep.clone().unwrap_or_default())
        .y_desc(&fig.metric)
        .x_label_formatter(&x_ticks)
        .y_label_formatter(&y_ticks)
        .draw()
        .map_err(err)?;
    for (i, series) in fig.series.iter().enumerate() {
        let color = colour(i);
        chart
            .draw_series(LineSeries::new(series.marks.iter().map(|&(x, m, _, _)| (x, m)), color.stroke_width(2)))
            .map_err(err)?
            .label(series.label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color.stroke_width(2)));
        chart
            .draw_series(series.marks.iter().map(|&(x, _, lo, hi)| PathElement::new(vec![(x, lo), (x, hi)], color)))
            .map_err(err)?;
        chart
            .draw_series(series.marks.iter().map(|&(x, m, _, _)| Circle::new((x, m), 3, color.filled())))
            .map_err(err)?;
    }
    chart.configure_series_labels().background_style(WHITE.mix(0.85)).border_style(BLACK).draw().map_err(err)?;
    draw_notes(&note_area, &notes)?;
    root.present().map_err(err)
}

/// One named row per configuration, the metric on the x axis with whiskers.
/// Row `i` sits at y = -i, so the first configuration is at the top as in a
/// table; the names are drawn beside the rows by hand rather than as ticks,
/// which plotters would place at round numbers.
pub(super) fn forest(svg: &mut String, fig: &Figure) -> Result<(), String> {
    let notes = wrap(&fig.notes);
    let rows = fig.series.len();
    let chart_height = (100 + ROW_HEIGHT * rows as u32).max(200);
    let root = SVGBackend::with_string(svg, (WIDTH, chart_height + NOTE_LINE * notes.len() as u32)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    let (chart_area, note_area) = root.split_vertically(chart_height);
    // Wide enough for the longest name at about 7 px a character.
    let longest = fig.series.iter().map(|s| s.label.chars().count()).max().unwrap_or(0) as u32;
    let (x0, x1) = padded(marks(fig).flat_map(|m| [m.2, m.3]), 0.08, 1e-3);
    let x_ticks = ticks(x0, x1);
    let mut chart = ChartBuilder::on(&chart_area)
        .caption(&fig.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size((longest * 7 + 16).clamp(60, 360))
        .build_cartesian_2d(x0..x1, (0.5 - rows as f64)..0.5)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(0)
        .x_label_formatter(&x_ticks)
        .x_desc(&fig.metric)
        .draw()
        .map_err(err)?;
    let name_style = TextStyle::from(("sans-serif", 13).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
    for (i, series) in fig.series.iter().enumerate() {
        let color = colour(i);
        let y = -(i as f64);
        let (px, py) = chart.backend_coord(&(x0, y));
        root.draw(&Text::new(series.label.clone(), (px - 8, py), name_style.clone())).map_err(err)?;
        for &(_, m, lo, hi) in &series.marks {
            chart
                .draw_series(std::iter::once(PathElement::new(vec![(lo, y), (hi, y)], color.stroke_width(2))))
                .map_err(err)?;
            chart.draw_series(std::iter::once(Circle::new((m, y), 4, color.filled()))).map_err(err)?;
        }
    }
    draw_notes(&note_area, &notes)?;
    root.present().map_err(err)
}
