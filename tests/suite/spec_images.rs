//! The image design in experiment files: `dataset.builtin.confounding` is a
//! number or a declared `$param` (so a sweep moves it), refused with its line
//! and column on a builtin that has none; an explicit `adjust` list takes
//! `px1..px196` ranges; and the committed image experiment checks.

use crate::spec_common;

use std::path::Path;

use causeway::graph::AdjustStrategy;
use causeway::spec::{Dataset, Quantity};
use spec_common::{check_file, check_text, message};

fn experiment(builtin: &str, adjust: &str) -> String {
    format!(
        "name: img\nseed: 1\nparams: {{ g: 1.0 }}\nsweep: {{ g: [0.0, 2.0] }}\n\
         dataset:\n  builtin: {builtin}\nestimators:\n  - ols:\n    adjust: {adjust}\n"
    )
}

#[test]
fn confounding_is_a_sweepable_quantity_and_adjust_lists_take_ranges() {
    let exp = check_text("img.yaml", &experiment("{ name: mnist, confounding: $g }", "[row1..row3, col2]")).unwrap();
    let Dataset::Builtin { confounding, .. } = &exp.dataset else { panic!("{:?}", exp.dataset) };
    assert_eq!(confounding, &Some(Quantity::Param("g".into())));
    let names = ["row1", "row2", "row3", "col2"].map(String::from).to_vec();
    assert_eq!(exp.estimators[0].adjust, Some(AdjustStrategy::Explicit(names)));
}

#[test]
fn confounding_errors_are_located() {
    insta::assert_snapshot!(message("img.yaml", &experiment("{ name: ihdp, confounding: 1 }", "all")), @"
    img.yaml:6:39: invalid value: builtin dataset `ihdp` has no confounding strength
      help: only the `mnist` design has `confounding`; remove it
    ");
    insta::assert_snapshot!(message("img.yaml", &experiment("{ name: mnist, confounding: $gg }", "all")), @"
    img.yaml:6:40: invalid value: `$gg` is not a declared parameter
      help: did you mean `$g`?
    ");
    insta::assert_snapshot!(message("img.yaml", &experiment("{ name: mnist }", "[px3..px1]")), @"
    img.yaml:9:14: invalid value: `px3..px1` is not a range of columns
      help: a range is `x1..x25`: one prefix, then a first and a last number, the first not larger
    ");
}

#[test]
fn the_image_experiment_checks() {
    let exp = check_file(Path::new("experiments/images/digit-treatment.yaml")).unwrap();
    assert_eq!(exp.estimators.len(), 4);
}
