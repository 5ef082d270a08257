//! Bad models give clear errors: each is rendered with a caret under the
//! offending column of its equation and pinned by a snapshot.

use std::collections::BTreeMap;

use causeway::run::RunRng;
use causeway::scm::{Equation, MAX_NESTING, Missingness, Model, ScmError};
use rand::SeedableRng;

fn compile_error(lines: &[(&str, &str)], params: &[(&str, f64)]) -> String {
    let equations: Vec<Equation> = lines.iter().map(|(n, e)| Equation::new(*n, *e)).collect();
    let params: BTreeMap<String, f64> = params.iter().map(|(k, v)| (k.to_string(), *v)).collect();
    match Model::compile(&equations, &params) {
        Ok(_) => panic!("expected a compile error"),
        Err(err) => render(&err, &equations),
    }
}

fn simulate_error(lines: &[(&str, &str)], treatment: &str, missing: Missingness) -> String {
    let equations: Vec<Equation> = lines.iter().map(|(n, e)| Equation::new(*n, *e)).collect();
    let model = Model::compile(&equations, &BTreeMap::new()).unwrap();
    let mut rng = RunRng::seed_from_u64(1);
    match model.simulate(100, treatment, "y", &missing, &mut rng) {
        Ok(_) => panic!("expected a simulation error"),
        Err(err) => render(&err, &equations),
    }
}

/// The caret diagram needs the failing node's own expression.
fn render(err: &ScmError, equations: &[Equation]) -> String {
    let expr = err.node.as_ref().and_then(|n| equations.iter().find(|e| &e.node == n)).map_or("", |e| e.expr.as_str());
    err.render(expr)
}

const AGE: (&str, &str) = ("age", "normal(50, 12)");

#[test]
fn unknown_function() {
    insta::assert_snapshot!(compile_error(&[AGE, ("severity", "0.04 * age + nromal(0, 1)")], &[]));
    insta::assert_snapshot!("unknown_function_without_suggestion", compile_error(&[AGE, ("y", "gamma(age)")], &[]));
}

#[test]
fn wrong_arity() {
    insta::assert_snapshot!(compile_error(&[AGE, ("severity", "0.04 * age + normal(1)")], &[]));
    insta::assert_snapshot!("wrong_arity_variadic", compile_error(&[AGE, ("y", "max(age)")], &[]));
}

#[test]
fn unknown_variable() {
    insta::assert_snapshot!(compile_error(&[AGE, ("severity", "0.04 * agee + normal(0, 1)")], &[]));
    insta::assert_snapshot!("unknown_variable_without_suggestion", compile_error(&[AGE, ("y", "income / 2")], &[]));
}

#[test]
fn cycle_through_equations() {
    let lines = [("a", "normal(0, 1)"), ("b", "a + c"), ("c", "2 * b + normal(0, 1)")];
    insta::assert_snapshot!(compile_error(&lines, &[]));
    insta::assert_snapshot!("self_loop", compile_error(&[("a", "0.5 * a + 1")], &[]));
}

/// The cycle is blamed on the equation whose edit made it: `income`, which names
/// `score`, listed (and computed) after it. It was blamed on `prior`, the first
/// equation the search reached, and listed from `income` only by chance.
#[test]
fn cycle_is_blamed_on_the_equation_that_closes_it() {
    let lines = [
        ("income", "normal(50, 10) + 0.2 * score"),
        ("prior", "0.1 * income + normal(0, 1)"),
        ("tutor", "bernoulli(sigmoid(prior))"),
        ("score", "prior + 2 * tutor + normal(0, 1)"),
    ];
    insta::assert_snapshot!(compile_error(&lines, &[]));
    // The same cycle with the equations in another order: the forward reference
    // is now `prior`'s, and the path is listed from it.
    let reordered = [lines[1], lines[2], lines[3], lines[0]];
    insta::assert_snapshot!("cycle_closed_by_prior", compile_error(&reordered, &[]));
}

#[test]
fn undeclared_param() {
    let params = [("confounding", 1.0)];
    insta::assert_snapshot!(compile_error(&[AGE, ("drug", "bernoulli(sigmoid($confoundng * age))")], &params));
    insta::assert_snapshot!(
        "undeclared_param_without_suggestion",
        compile_error(&[AGE, ("drug", "bernoulli($p)")], &params)
    );
}

#[test]
fn syntax_errors() {
    let cases = [
        ("implicit_product", "2 age"),
        ("unclosed_call", "normal(age, 1"),
        ("chained_comparison", "if(1 < age < 2, 1, 0)"),
        ("stray_character", "age # 2"),
        ("empty", ""),
        ("dangling_operator", "age *"),
    ];
    for (name, expr) in cases {
        insta::assert_snapshot!(format!("syntax_{name}"), compile_error(&[AGE, ("y", expr)], &[]));
    }
}

/// One level past the limit: refused where that level opens, not by
/// overflowing the stack.
#[test]
fn nested_too_deeply() {
    let levels = MAX_NESTING + 1;
    let expr = format!("{}age{}", "(".repeat(levels), ")".repeat(levels));
    insta::assert_snapshot!("syntax_nested_too_deeply", compile_error(&[AGE, ("y", &expr)], &[]));
}

#[test]
fn model_level_errors() {
    insta::assert_snapshot!("empty_model", compile_error(&[], &[]));
    insta::assert_snapshot!("duplicate_node", compile_error(&[AGE, AGE], &[]));
    insta::assert_snapshot!("student_t_varying_df", compile_error(&[AGE, ("y", "student_t(age)")], &[]));
    insta::assert_snapshot!("bad_constant_argument", compile_error(&[AGE, ("y", "bernoulli(1.5)")], &[]));
}

#[test]
fn simulation_errors() {
    let lines = [AGE, ("t", "0.1 * age"), ("y", "t + normal(0, 1)")];
    insta::assert_snapshot!("non_binary_treatment", simulate_error(&lines, "t", Missingness::None));
    insta::assert_snapshot!("unknown_treatment", simulate_error(&lines, "tt", Missingness::None));
    let lines = [AGE, ("t", "bernoulli(0.5)"), ("y", "normal(t, age - 50)")];
    insta::assert_snapshot!("bad_draw_argument_at_row", simulate_error(&lines, "t", Missingness::None));
    let lines = [AGE, ("t", "bernoulli(0.5)"), ("y", "log(age - 40) + t")];
    insta::assert_snapshot!("non_finite_value", simulate_error(&lines, "t", Missingness::None));
    let lines = [AGE, ("t", "if(age > 0, 0, 1)"), ("m", "age - 100 * t"), ("y", "sqrt(m) + t")];
    insta::assert_snapshot!("error_under_intervention", simulate_error(&lines, "t", Missingness::None));
    let lines = [AGE, ("t", "bernoulli(0.5)"), ("y", "t + age")];
    let mar = Missingness::Mar { driver: "agge".into(), rate: 0.1 };
    insta::assert_snapshot!("unknown_missingness_driver", simulate_error(&lines, "t", mar));
    insta::assert_snapshot!("bad_missing_rate", simulate_error(&lines, "t", Missingness::Mcar { rate: 1.5 }));
}
