//! The causal graph in Graphviz's DOT language, for `causeway identify
//! --format dot | dot -Tsvg`: the same marks and colours as the page's SVG,
//! laid out by Graphviz instead.

use super::graph::{Picture, Role};

fn dot_id(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The picture in Graphviz's DOT language, left to right like the SVG, with
/// the same colours and a label on each marked node.
pub fn dot(name: &str, p: &Picture) -> String {
    let mut out = format!(
        "digraph {} {{\n  rankdir=LR;\n  node [shape=box, style=\"rounded,filled\", fillcolor=\"#ffffff\", fontname=\"sans-serif\"];\n",
        dot_id(name)
    );
    for (node, role) in &p.nodes {
        let (fill, stroke, word) = role.style();
        match role {
            Role::Other => out += &format!("  {};\n", dot_id(node)),
            _ => {
                let style = if *role == Role::Adjusted && !p.adjustment_valid {
                    "rounded,filled,dashed"
                } else {
                    "rounded,filled"
                };
                out += &format!(
                    "  {} [fillcolor=\"{fill}\", color=\"{stroke}\", penwidth=2, style=\"{style}\", xlabel=\"{word}\"];\n",
                    dot_id(node)
                );
            }
        }
    }
    for &(a, b) in &p.directed {
        out += &format!("  {} -> {};\n", dot_id(&p.nodes[a].0), dot_id(&p.nodes[b].0));
    }
    for &(a, b) in &p.bidirected {
        out += &format!(
            "  {} -> {} [dir=both, style=dashed, color=\"#8c959f\", constraint=false];\n",
            dot_id(&p.nodes[a].0),
            dot_id(&p.nodes[b].0)
        );
    }
    out + "}\n"
}
