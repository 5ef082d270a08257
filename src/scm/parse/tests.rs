//! Unit tests of `parse`, kept beside it in their own file.

use super::*;

/// Fully parenthesised rendering, to check precedence and associativity.
fn show(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Num(x) => format!("{x}"),
        ExprKind::Var(v) => v.clone(),
        ExprKind::Param(p) => format!("${p}"),
        ExprKind::Neg(a) => format!("(-{})", show(a)),
        ExprKind::Binary(first, links) => {
            links.iter().fold(show(first), |acc, l| format!("({acc} {} {})", op_text(l.op), show(&l.right)))
        }
        ExprKind::Call(f, args) => format!("{f}({})", args.iter().map(show).collect::<Vec<_>>().join(", ")),
        ExprKind::Index(v, Index::Lag(k)) => format!("{v}[t-{k}]"),
        ExprKind::Index(v, Index::Step(k)) => format!("{v}[{k}]"),
    }
}

fn parsed(src: &str) -> String {
    show(&parse(src).unwrap())
}

#[test]
fn precedence_and_associativity() {
    assert_eq!(parsed("1 + 2 * 3 - 4"), "((1 + (2 * 3)) - 4)");
    assert_eq!(parsed("a - b - c"), "((a - b) - c)");
    assert_eq!(parsed("a / b / c"), "((a / b) / c)");
    assert_eq!(parsed("2 ^ 3 ^ 2"), "(2 ^ (3 ^ 2))");
    assert_eq!(parsed("-x^2"), "(-(x ^ 2))");
    assert_eq!(parsed("2^-1"), "(2 ^ (-1))");
    assert_eq!(parsed("-a * b"), "((-a) * b)");
    assert_eq!(parsed("a + b < c * 2"), "((a + b) < (c * 2))");
    assert_eq!(parsed("(a + b) * c"), "((a + b) * c)");
}

#[test]
fn calls_params_and_numbers() {
    assert_eq!(parsed("normal(0, 1)"), "normal(0, 1)");
    assert_eq!(parsed("bernoulli(sigmoid(-2 + $c * x))"), "bernoulli(sigmoid(((-2) + ($c * x))))");
    assert_eq!(parsed("2.5e-3 + .5 + 1E2"), "((0.0025 + 0.5) + 100)");
    assert_eq!(parsed("if(x >= 1, a, b)"), "if((x >= 1), a, b)");
    assert_eq!(parsed("f()"), "f()");
}

#[test]
fn offsets_point_at_tokens() {
    // One chain, folded left: ((0.04 * age) + normal(0, 1)).
    let e = parse("0.04 * age + normal(0, 1)").unwrap();
    let ExprKind::Binary(first, links) = &e.kind else { panic!("not a chain: {e:?}") };
    assert_eq!((e.offset, first.offset), (0, 0));
    let link = |i: usize| (links[i].op, links[i].offset, links[i].right.offset);
    assert_eq!([link(0), link(1)], [(BinOp::Mul, 5, 7), (BinOp::Add, 11, 13)]);
}

#[test]
fn errors_carry_offsets() {
    let at = |src: &str| parse(src).unwrap_err().0;
    assert_eq!(at("1 +"), 3);
    assert_eq!(at("2 x"), 2);
    assert_eq!(at("a # b"), 2);
    assert_eq!(at("normal(0, 1"), 11);
    assert_eq!(at("(a + b"), 6);
    assert_eq!(at("a < b < c"), 6);
    assert_eq!(at("$ x"), 1);
    assert_eq!(at(""), 0);
    assert_eq!(at("f(a b)"), 4);
}

#[test]
fn sequence_steps() {
    assert_eq!(parsed("0.8 * h[t - 1] + x[t]"), "((0.8 * h[t-1]) + x[t-0])");
    assert_eq!(parsed("hr[3] - hr[ 1 ]"), "(hr[3] - hr[1])");
    let at = |src: &str| parse(src).unwrap_err().0;
    assert_eq!(at("h[t + 1]"), 4);
    assert_eq!(at("h[t - 0.5]"), 6);
    assert_eq!(at("h[0]"), 2);
    assert_eq!(at("h[s]"), 2);
    assert_eq!(at("h[t"), 3);
    assert_eq!(at("h[t - x]"), 6);
}

/// `units` copies of `open`, then `x`, then `units` copies of `close`.
fn nest(open: &str, close: &str, units: usize) -> String {
    format!("{}x{}", open.repeat(units), close.repeat(units))
}

#[test]
fn nesting_past_the_limit_is_refused_where_it_crosses() {
    // (open, close, levels each copy of `open` opens, offset in `open` of its first level)
    let shapes = [
        ("(", ")", 1, 0),
        ("abs(", ")", 1, 0),
        ("max(1, ", ")", 1, 0),
        ("-", "", 1, 0),
        ("2^", "", 1, 1),
        ("-(", ")", 2, 0),
        ("x + x * abs(", ")", 1, 8),
        ("x + x * x ^ (", ")", 2, 10),
    ];
    for (open, close, each, first) in shapes {
        let units = MAX_NESTING / each;
        assert!(parse(&nest(open, close, units)).is_ok(), "{open} at the limit");
        let crossing = units * open.len() + first;
        for units in [units + 1, 5_000, 7_000, 10_000] {
            let err = parse(&nest(open, close, units)).unwrap_err();
            assert_eq!(err, (crossing, ScmErrorKind::TooDeep { limit: MAX_NESTING }), "{open} x {units}");
        }
    }
    // Unclosed nesting is refused for its depth too, not read to the end.
    let err = parse(&"(".repeat(10_000)).unwrap_err();
    assert_eq!(err, (MAX_NESTING, ScmErrorKind::TooDeep { limit: MAX_NESTING }));
}

#[test]
fn chains_are_flat_however_long() {
    let sum = vec!["x"; 100_000].join(" + ");
    let e = parse(&sum).unwrap();
    let ExprKind::Binary(first, links) = &e.kind else { panic!("not a chain") };
    assert_eq!(first.kind, ExprKind::Var("x".into()));
    assert_eq!(links.len(), 99_999);
    assert!(links.iter().all(|l| l.op == BinOp::Add && l.right.kind == ExprKind::Var("x".into())));
    assert_eq!(links[1].offset, 6);
    // Mixed precedence: the first product folds into the chain, and each
    // further one is the operand of a `-` link.
    let mixed = vec!["2 * x / 3"; 50_000].join(" - ");
    let ExprKind::Binary(_, links) = &parse(&mixed).unwrap().kind else { panic!("not a chain") };
    assert_eq!(links.len(), 2 + 49_999);
    assert_eq!([links[0].op, links[1].op], [BinOp::Mul, BinOp::Div]);
    assert!(
        links[2..]
            .iter()
            .all(|l| { l.op == BinOp::Sub && matches!(&l.right.kind, ExprKind::Binary(_, inner) if inner.len() == 2) })
    );
    assert_eq!(parsed("a - b + c * d * e"), "((a - b) + ((c * d) * e))");
}
