//! Sweeps: named lists of values whose cartesian product is run. Pure functions
//! over `(name, values)` lists, below every other module, so that `spec` (which
//! checks sweeps) and `run` (which expands them) share them without depending on
//! each other. Complexity: `cartesian` O(points x names); `sweep_points` yields
//! point i by mixed-radix arithmetic in O(names), holding one point at a time.

/// Every combination of the listed values, the first name varying slowest. An
/// empty sweep has exactly one (empty) point.
pub fn cartesian<T: Clone>(sweep: &[(String, Vec<T>)]) -> Vec<Vec<(String, T)>> {
    let mut points = vec![Vec::new()];
    for (name, values) in sweep {
        points = points
            .into_iter()
            .flat_map(|p| {
                values.iter().map(move |v| {
                    let mut q = p.clone();
                    q.push((name.clone(), v.clone()));
                    q
                })
            })
            .collect();
    }
    points
}

/// The points of a sweep one at a time, in the order of `cartesian`.
pub fn sweep_points<T: Clone>(sweep: &[(String, Vec<T>)]) -> impl Iterator<Item = Vec<(String, T)>> + '_ {
    (0..sweep_size(sweep).unwrap_or(usize::MAX)).map(move |index| point_at(sweep, index))
}

/// Point `index` of a sweep: mixed radix over its lists, the first name slowest.
pub fn point_at<T: Clone>(sweep: &[(String, Vec<T>)], mut index: usize) -> Vec<(String, T)> {
    let mut point: Vec<(String, T)> = Vec::with_capacity(sweep.len());
    for (name, values) in sweep.iter().rev() {
        point.push((name.clone(), values[index % values.len()].clone()));
        index /= values.len();
    }
    point.reverse();
    point
}

/// The number of points of a sweep (the product of its list lengths), None on overflow.
pub fn sweep_size<T>(sweep: &[(String, Vec<T>)]) -> Option<usize> {
    sweep.iter().try_fold(1usize, |n, (_, values)| n.checked_mul(values.len()))
}

/// The text of a hyperparameter value in labels and CSV cells: numbers and
/// booleans as written, strings without JSON quotes (`adjust=all`), lists as
/// `{a, b}` so that the `,` between swept names stays unambiguous in a label.
pub fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => {
            format!("{{{}}}", items.iter().map(value_text).collect::<Vec<_>>().join(", "))
        }
        other => other.to_string(),
    }
}
