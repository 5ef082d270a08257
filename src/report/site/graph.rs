//! The causal graph of an experiment, drawn as inline SVG for its page (and,
//! in `dot.rs`, as Graphviz DOT for `causeway identify --format dot`). Nodes
//! sit in columns by topological layer (a node's layer is the longest directed
//! path reaching it), ordered within a column by the mean position of their
//! parents, so that the drawing reads from causes on the left to the outcome on
//! the right. Directed edges are solid arrows, bidirected edges (latent
//! confounders) dashed arcs with two heads; the treatment, the outcome and the
//! covariates the estimators adjust for (or the front-door mediators) are
//! marked in colour and named in the legend, so colour is never the only cue.
//! Boxes sit on whole pixels and curves are written to one decimal through
//! `fixed`, so the bytes are the same everywhere.

use crate::graph::{Admg, Identification, Method};

use super::html::escape;

/// What a node is to the identification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Treatment,
    Outcome,
    /// In the adjustment set the estimators use.
    Adjusted,
    /// In the front-door set the front-door estimator uses.
    Mediator,
    Other,
}

impl Role {
    /// (fill, stroke, legend text).
    pub(super) fn style(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Role::Treatment => ("#cfe2ff", "#0550ae", "treatment"),
            Role::Outcome => ("#ffe0c2", "#bc4c00", "outcome"),
            Role::Adjusted => ("#d2f4d8", "#1a7f37", "adjusted for"),
            Role::Mediator => ("#eadcff", "#8250df", "front-door mediator"),
            Role::Other => ("#ffffff", "#57606a", "other variable"),
        }
    }
}

/// The graph with the identification's marks, ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    pub nodes: Vec<(String, Role)>,
    pub directed: Vec<(usize, usize)>,
    pub bidirected: Vec<(usize, usize)>,
    /// Longest directed path reaching each node.
    pub layers: Vec<usize>,
    /// False when the adjusted set fails the backdoor criterion (`adjust: all`
    /// or a list of the analyst's that is not valid).
    pub adjustment_valid: bool,
}

impl Picture {
    pub fn new(g: &Admg, id: &Identification) -> Picture {
        let (marked, role, valid) = match &id.method {
            Method::Adjustment { covariates, valid } => (covariates.clone(), Role::Adjusted, *valid),
            Method::FrontDoor { mediators } => (mediators.clone(), Role::Mediator, true),
            Method::IdFormula | Method::NotIdentifiable => (Vec::new(), Role::Other, true),
        };
        let nodes = g
            .names()
            .iter()
            .map(|n| {
                let r = if *n == id.treatment {
                    Role::Treatment
                } else if *n == id.outcome {
                    Role::Outcome
                } else if marked.contains(n) {
                    role
                } else {
                    Role::Other
                };
                (n.clone(), r)
            })
            .collect();
        let mut layers = vec![0usize; g.len()];
        for &v in g.topological_order() {
            layers[v] = g.parents(v).iter().map(|&p| layers[p] + 1).max().unwrap_or(0);
        }
        Picture {
            nodes,
            directed: g.directed_edges().collect(),
            bidirected: g.bidirected_edges().collect(),
            layers,
            adjustment_valid: valid,
        }
    }

    /// The marks in words, for the figure's caption and the SVG's title.
    pub fn describe(&self) -> String {
        let named = |role: Role| -> Vec<&str> {
            self.nodes.iter().filter(|(_, r)| *r == role).map(|(n, _)| n.as_str()).collect()
        };
        let mut parts = vec![format!(
            "Causal graph: {} variables, {} directed edges, {} bidirected (latent confounding)",
            self.nodes.len(),
            self.directed.len(),
            self.bidirected.len()
        )];
        for (role, what) in [(Role::Treatment, "treatment"), (Role::Outcome, "outcome")] {
            parts.push(format!("{what} {}", named(role).join(", ")));
        }
        let adjusted = named(Role::Adjusted);
        if !adjusted.is_empty() {
            let validity = if self.adjustment_valid { "" } else { " (not a valid backdoor set)" };
            parts.push(format!("adjusted for {}{validity}", adjusted.join(", ")));
        }
        let mediators = named(Role::Mediator);
        if !mediators.is_empty() {
            parts.push(format!("front-door mediators {}", mediators.join(", ")));
        }
        parts.join("; ") + "."
    }
}

const FONT: i64 = 14;
/// Pixels per character of 14 px sans-serif, generous so names never overflow.
const CHAR: i64 = 9;
const NODE_H: i64 = 34;
const ROW_GAP: i64 = 58;
const COL_GAP: i64 = 80;
const MARGIN: i64 = 24;
const LEGEND_H: i64 = 40;

struct Box2 {
    cx: i64,
    cy: i64,
    half_w: i64,
}

/// Each node's column position: layers in order, within a layer by the mean
/// row of the parents (barycentre), ties by name.
fn rows(p: &Picture) -> Vec<Vec<usize>> {
    let depth = p.layers.iter().max().map_or(0, |d| d + 1);
    let mut columns: Vec<Vec<usize>> = Vec::with_capacity(depth);
    let mut row_of = vec![0f64; p.nodes.len()];
    for layer in 0..depth {
        let mut members: Vec<(f64, &str, usize)> = (0..p.nodes.len())
            .filter(|&v| p.layers[v] == layer)
            .map(|v| {
                let parents: Vec<f64> = p.directed.iter().filter(|(_, c)| *c == v).map(|(a, _)| row_of[*a]).collect();
                let centre = if parents.is_empty() { 0.0 } else { parents.iter().sum::<f64>() / parents.len() as f64 };
                (centre, p.nodes[v].0.as_str(), v)
            })
            .collect();
        members.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(b.1)));
        let n = members.len() as f64;
        for (i, &(_, _, v)) in members.iter().enumerate() {
            // Centred rows, so that barycentres of different columns compare.
            row_of[v] = i as f64 - (n - 1.0) / 2.0;
        }
        columns.push(members.into_iter().map(|(_, _, v)| v).collect());
    }
    columns
}

/// The point where the ray from the box's centre toward (tx, ty) leaves the box.
fn clip(b: &Box2, tx: f64, ty: f64) -> (f64, f64) {
    let (dx, dy) = (tx - b.cx as f64, ty - b.cy as f64);
    let (hw, hh) = (b.half_w as f64 + 2.0, NODE_H as f64 / 2.0 + 2.0);
    let scale = match (dx.abs() > 0.0, dy.abs() > 0.0) {
        (false, false) => return (b.cx as f64, b.cy as f64),
        (true, false) => hw / dx.abs(),
        (false, true) => hh / dy.abs(),
        (true, true) => (hw / dx.abs()).min(hh / dy.abs()),
    };
    (b.cx as f64 + dx * scale, b.cy as f64 + dy * scale)
}

fn num(v: f64) -> String {
    crate::report::fixed(v, 1)
}

/// The SVG document of the picture (without XML declaration).
pub fn svg(p: &Picture) -> String {
    let columns = rows(p);
    let widest = p.nodes.iter().map(|(n, _)| n.chars().count() as i64).max().unwrap_or(1);
    let node_w = (widest * CHAR + 24).max(60);
    let tallest = columns.iter().map(Vec::len).max().unwrap_or(1) as i64;
    let layout_w = 2 * MARGIN + columns.len() as i64 * node_w + (columns.len() as i64 - 1).max(0) * COL_GAP;
    let graph_h = tallest * ROW_GAP;
    let mut boxes: Vec<Box2> = (0..p.nodes.len()).map(|_| Box2 { cx: 0, cy: 0, half_w: 0 }).collect();
    for (c, members) in columns.iter().enumerate() {
        let top = MARGIN + (tallest - members.len() as i64) * ROW_GAP / 2;
        for (i, &v) in members.iter().enumerate() {
            let half_w = (p.nodes[v].0.chars().count() as i64 * CHAR + 24).max(44) / 2;
            let cx = MARGIN + node_w / 2 + c as i64 * (node_w + COL_GAP);
            boxes[v] = Box2 { cx, cy: top + i as i64 * ROW_GAP + ROW_GAP / 2, half_w };
        }
    }
    // Arcs and long edges bulge past the nodes: lower everything so their tops
    // show, and make room below and to the right for the rest.
    let top = curves(p, &boxes).iter().map(Curve::apex_y).fold(f64::INFINITY, f64::min);
    let shift = if top < 8.0 { (8.0 - top).ceil() as i64 } else { 0 };
    for b in &mut boxes {
        b.cy += shift;
    }
    let curves = curves(p, &boxes);
    let lowest = curves.iter().map(|c| c.apex_y().ceil() as i64).max().unwrap_or(0);
    let legend_y = (shift + MARGIN + graph_h).max(lowest + 12) + 8;
    let height = legend_y + LEGEND_H - 8;
    let rightmost = curves.iter().map(|c| c.apex_x().ceil() as i64).max().unwrap_or(0);
    let width = layout_w.max(rightmost + MARGIN).max(legend_width(p) + 2 * MARGIN);
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" \
         font-family=\"sans-serif\" font-size=\"{FONT}\">\n\
         <defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" \
         orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#24292f\"/></marker></defs>\n\
         <rect width=\"{width}\" height=\"{height}\" fill=\"#ffffff\"/>\n"
    );
    for c in &curves {
        let path = format!(
            "M{} {} Q{} {} {} {}",
            num(c.from.0),
            num(c.from.1),
            num(c.via.0),
            num(c.via.1),
            num(c.to.0),
            num(c.to.1)
        );
        let (a, b) = (escape(&p.nodes[c.a].0), escape(&p.nodes[c.b].0));
        out += &if c.bidirected {
            format!(
                "<path d=\"{path}\" fill=\"none\" stroke=\"#8c959f\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\" \
                 marker-start=\"url(#head)\" marker-end=\"url(#head)\"><title>{a} ↔ {b} (latent confounder)</title></path>\n"
            )
        } else {
            format!(
                "<path d=\"{path}\" fill=\"none\" stroke=\"#24292f\" stroke-width=\"1.5\" marker-end=\"url(#head)\"><title>{a} → {b}</title></path>\n"
            )
        };
    }
    for (v, (name, role)) in p.nodes.iter().enumerate() {
        let b = &boxes[v];
        let (fill, stroke, _) = role.style();
        let dash = if *role == Role::Adjusted && !p.adjustment_valid { " stroke-dasharray=\"4 3\"" } else { "" };
        let stroke_w = if *role == Role::Other { "1.2" } else { "2.5" };
        out += &format!(
            "<g><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{NODE_H}\" rx=\"8\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{stroke_w}\"{dash}/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" dominant-baseline=\"central\">{}</text></g>\n",
            b.cx - b.half_w,
            b.cy - NODE_H / 2,
            2 * b.half_w,
            b.cx,
            b.cy,
            escape(name)
        );
    }
    out += &legend(p, legend_y);
    out + "</svg>\n"
}

/// An edge drawn as a quadratic curve from one box's border to the other's.
struct Curve {
    a: usize,
    b: usize,
    from: (f64, f64),
    via: (f64, f64),
    to: (f64, f64),
    bidirected: bool,
}

impl Curve {
    /// The height of the curve's middle, its top for the symmetric bends drawn here.
    fn apex_y(&self) -> f64 {
        0.25 * self.from.1 + 0.5 * self.via.1 + 0.25 * self.to.1
    }

    fn apex_x(&self) -> f64 {
        0.25 * self.from.0 + 0.5 * self.via.0 + 0.25 * self.to.0
    }
}

/// Directed edges between neighbouring columns are straight; a longer one
/// passes over the nodes of the columns between (or under them, when its ends
/// sit in the lower half), so that it crosses no box. A bidirected edge
/// bulges to the left of a → b (upward when b is to the right); between two
/// nodes of one column, far enough to the right to clear their boxes.
fn curves(p: &Picture, boxes: &[Box2]) -> Vec<Curve> {
    let mut out = Vec::new();
    for &(a, b) in &p.directed {
        let (ba, bb) = (&boxes[a], &boxes[b]);
        let ends = (ba.cy + bb.cy) as f64 / 2.0;
        let between: Vec<&Box2> = (0..boxes.len())
            .filter(|&v| p.layers[v] > p.layers[a] && p.layers[v] < p.layers[b])
            .map(|v| &boxes[v])
            .collect();
        let apex = if between.is_empty() {
            ends
        } else {
            let top = between.iter().map(|b| b.cy - NODE_H / 2).min().unwrap_or(0) as f64;
            let bottom = between.iter().map(|b| b.cy + NODE_H / 2).max().unwrap_or(0) as f64;
            if ends <= (top + bottom) / 2.0 { ends.min(top - 14.0) } else { ends.max(bottom + 14.0) }
        };
        // A quadratic curve's middle lies halfway between the ends' mean and the control point.
        let via = ((ba.cx + bb.cx) as f64 / 2.0, 2.0 * apex - ends);
        out.push(Curve { a, b, from: clip(ba, via.0, via.1), via, to: clip(bb, via.0, via.1), bidirected: false });
    }
    for &(a, b) in &p.bidirected {
        let (ba, bb) = (&boxes[a], &boxes[b]);
        let (dx, dy) = ((bb.cx - ba.cx) as f64, (bb.cy - ba.cy) as f64);
        let length = (dx * dx + dy * dy).sqrt().max(1.0);
        let bulge = if dx.abs() < 1.0 {
            // One column: the control point must lie well beyond the boxes' right edges.
            2.0 * (ba.half_w.max(bb.half_w) as f64 + 24.0)
        } else {
            (length / 4.0).clamp(40.0, 90.0)
        };
        let (px, py) = if dx.abs() < 1.0 { (1.0, 0.0) } else { (dy / length, -dx / length) };
        let via = ((ba.cx + bb.cx) as f64 / 2.0 + px * bulge, (ba.cy + bb.cy) as f64 / 2.0 + py * bulge);
        out.push(Curve { a, b, from: clip(ba, via.0, via.1), via, to: clip(bb, via.0, via.1), bidirected: true });
    }
    out
}

/// The words of the legend, with their swatches: (role, word).
fn legend_items(p: &Picture) -> Vec<(Role, &'static str)> {
    let mut items = Vec::new();
    for role in [Role::Treatment, Role::Outcome, Role::Adjusted, Role::Mediator] {
        if p.nodes.iter().any(|(_, r)| *r == role) {
            let word = if role == Role::Adjusted && !p.adjustment_valid {
                "adjusted for (invalid set)"
            } else {
                role.style().2
            };
            items.push((role, word));
        }
    }
    items
}

/// The legend's width at about 7 px a character of 12 px text.
fn legend_width(p: &Picture) -> i64 {
    let words: i64 = legend_items(p).iter().map(|(_, w)| 20 + w.len() as i64 * 7 + 18).sum();
    words + if p.bidirected.is_empty() { 0 } else { 32 + 17 * 7 }
}

/// One swatch and word per role present, and the two edge kinds.
fn legend(p: &Picture, y: i64) -> String {
    let mut out = String::new();
    let mut x = MARGIN;
    for (role, word) in legend_items(p) {
        let (fill, stroke, _) = role.style();
        out += &format!(
            "<rect x=\"{x}\" y=\"{y}\" width=\"14\" height=\"14\" rx=\"3\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"2\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\">{word}</text>\n",
            x + 20,
            y + 11
        );
        x += 20 + word.len() as i64 * 7 + 18;
    }
    if !p.bidirected.is_empty() {
        out += &format!(
            "<path d=\"M{x} {} H{}\" stroke=\"#8c959f\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\">latent confounder</text>\n",
            y + 7,
            x + 26,
            x + 32,
            y + 11
        );
    }
    out
}
