//! The pieces every page of the site shares: escaping, the page shell with its
//! inline style sheet (screen and print) and its one inline script (sortable
//! tables, the index's metric chooser), and inlining an SVG with a title. No
//! page loads anything: no external script, style sheet, font or image.

/// `text` with the five characters HTML gives a meaning escaped, for element
/// content and attribute values alike.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The style sheet: system fonts (no font files), tables that scroll sideways
/// inside their box on a narrow screen, and a print layout without the
/// controls, with every metric table shown and nothing cut across pages.
const STYLE: &str = r#"
:root { --ink: #1b1f24; --muted: #57606a; --rule: #d0d7de; --band: #f6f8fa; --link: #0550ae; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: var(--ink); margin: 0 auto; padding: 1rem 1.5rem 3rem; max-width: 80rem; line-height: 1.45; }
a { color: var(--link); }
h1 { font-size: 1.6rem; margin: 0.6rem 0 0.3rem; }
h2 { font-size: 1.25rem; margin: 2rem 0 0.6rem; border-bottom: 1px solid var(--rule); padding-bottom: 0.2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 0.4rem; }
nav.crumbs { font-size: 0.9rem; color: var(--muted); }
nav.toc ul { display: flex; flex-wrap: wrap; gap: 0.3rem 1rem; padding: 0; list-style: none; font-size: 0.92rem; }
p.meta, p.note, figcaption, .muted { color: var(--muted); font-size: 0.9rem; }
pre { background: var(--band); border: 1px solid var(--rule); padding: 0.7rem; overflow-x: auto; font-size: 0.85rem; }
code { font-size: 0.9em; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; font-size: 0.88rem; font-variant-numeric: tabular-nums; }
th, td { border-bottom: 1px solid var(--rule); padding: 0.3rem 0.55rem; text-align: right; white-space: nowrap; }
th { background: var(--band); font-weight: 600; }
th[scope=row], td.text, th.text { text-align: left; }
tbody tr:hover { background: #eef4fb; }
th button { font: inherit; font-weight: 600; background: none; border: 0; padding: 0; cursor: pointer; color: inherit; }
th button::after { content: " \2195"; color: var(--muted); font-weight: 400; }
th[aria-sort=ascending] button::after { content: " \2191"; color: var(--ink); }
th[aria-sort=descending] button::after { content: " \2193"; color: var(--ink); }
figure { margin: 1rem 0 1.6rem; }
figure svg { max-width: 100%; height: auto; display: block; }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(30rem, 1fr)); gap: 0 1.5rem; }
.legend span { display: inline-block; margin-right: 1rem; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; vertical-align: -0.1em; border: 1px solid #555; margin-right: 0.3em; }
td.rank1 { background: #1a7f37; color: #fff; } td.rank2 { background: #7cc58b; }
td.rank3 { background: #d8ecc4; } td.rank4 { background: #f6e3b4; } td.rank5 { background: #f4b183; }
td.empty { color: var(--muted); text-align: center; }
td.reason { white-space: normal; min-width: 22rem; }
tr.family th { background: #e7ecf2; text-align: left; font-size: 0.95rem; }
th.sticky { position: sticky; left: 0; z-index: 1; }
td sup { color: inherit; font-size: 0.7em; margin-left: 0.15em; }
.chooser { margin: 0.6rem 0 0.2rem; }
dl.manifest { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; font-size: 0.9rem; }
dl.manifest dt { font-weight: 600; } dl.manifest dd { margin: 0; overflow-wrap: anywhere; }
@media print {
  body { max-width: none; padding: 0; font-size: 10pt; }
  .chooser, nav.toc { display: none; }
  [data-metric] { display: block !important; }
  .scroll { overflow: visible; }
  figure, table, pre { break-inside: avoid; }
  th button::after { content: ""; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// Sorting: a click on a column header orders the body's rows by the cells'
/// `data-sort` values (numbers as numbers, empty cells last), ascending, then
/// descending. The index's chooser shows one metric's table at a time; without
/// the script every table is shown.
const SCRIPT: &str = r#"
(function () {
  function key(cell) {
    var v = cell ? cell.getAttribute("data-sort") : null;
    if (v === null) { v = cell ? cell.textContent.trim() : ""; }
    var n = Number(v);
    return { empty: v === "", num: v !== "" && !isNaN(n) ? n : null, text: v };
  }
  function compare(a, b) {
    if (a.empty || b.empty) { return a.empty === b.empty ? 0 : (a.empty ? 1 : -1); }
    if (a.num !== null && b.num !== null) { return a.num - b.num; }
    return a.text < b.text ? -1 : (a.text > b.text ? 1 : 0);
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, column) {
      var button = th.querySelector("button");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows = rows.map(function (row, i) { return { row: row, i: i, k: key(row.cells[column]) }; });
        rows.sort(function (a, b) {
          var c = compare(a.k, b.k);
          if (!a.k.empty && !b.k.empty && !ascending) { c = -c; }
          return c !== 0 ? c : a.i - b.i;
        });
        rows.forEach(function (r) { body.appendChild(r.row); });
      });
    });
  });
  var chooser = document.getElementById("metric-chooser");
  if (chooser) {
    var show = function () {
      document.querySelectorAll("[data-metric]").forEach(function (s) {
        s.hidden = s.getAttribute("data-metric") !== chooser.value;
      });
    };
    chooser.addEventListener("change", show);
    chooser.parentNode.hidden = false;
    show();
  }
})();
"#;

/// A whole page: `title` in the tab, `body` as given, the style sheet and the
/// script inline. `up` is the relative link to the index (`None` on the index).
pub fn page(title: &str, up: Option<&str>, body: &str) -> String {
    let crumbs = match up {
        Some(href) => {
            format!("<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"{href}\">All experiments</a></nav>\n")
        }
        None => String::new(),
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"causeway\">\n<title>{}</title>\n<style>{STYLE}</style>\n</head>\n\
         <body>\n{crumbs}<main>\n{body}</main>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        escape(title)
    )
}

/// An SVG document (plotters' output, or the graph's) made fit to sit inside a
/// page: the XML declaration dropped, `role="img"` and an `aria-label` on the
/// root, and a `<title>` as its first child, which screen readers read and
/// browsers show on hover.
pub fn inline_svg(svg: &str, title: &str) -> String {
    let svg = svg.trim();
    let svg = match svg.strip_prefix("<?xml") {
        Some(rest) => rest.split_once("?>").map_or(rest, |(_, after)| after).trim_start(),
        None => svg,
    };
    let Some(body) = svg.strip_prefix("<svg") else { return String::new() };
    let Some(end) = body.find('>') else { return String::new() };
    let (attributes, rest) = body.split_at(end);
    let title = escape(title);
    format!("<svg role=\"img\" aria-label=\"{title}\"{attributes}>\n<title>{title}</title>{}", &rest[1..])
}

/// A table header cell that sorts its column.
pub fn sort_header(label: &str, text_column: bool) -> String {
    let class = if text_column { " class=\"text\"" } else { "" };
    format!("<th scope=\"col\"{class}><button type=\"button\">{}</button></th>", escape(label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_html_reads() {
        assert_eq!(escape("a<b & \"c\" 'd'>"), "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;");
        assert_eq!(escape("plain ± text"), "plain ± text");
    }

    #[test]
    fn inline_svg_gets_a_role_a_label_and_a_title() {
        let svg = "<?xml version=\"1.0\"?>\n<svg width=\"10\" height=\"5\"><rect/></svg>\n";
        assert_eq!(
            inline_svg(svg, "ate <by> n"),
            "<svg role=\"img\" aria-label=\"ate &lt;by&gt; n\" width=\"10\" height=\"5\">\n<title>ate &lt;by&gt; n</title><rect/></svg>"
        );
        assert_eq!(inline_svg("not svg", "t"), "");
    }

    #[test]
    fn a_page_loads_nothing_from_elsewhere() {
        let html = page("x", Some("../index.html"), "<p>body</p>\n");
        for banned in ["http://", "https://", "<link", " src=", "@import", "url("] {
            assert!(!html.contains(banned), "{banned} in the page");
        }
        assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    }
}
