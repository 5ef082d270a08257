//! Unit tests of `compile`, kept beside it in their own file.

use super::super::parse::parse;
use super::*;

fn lowered(src: &str) -> Result<(Program, Vec<DrawSite>), ScmError> {
    let nodes: BTreeMap<&str, usize> = [("a", 0), ("b", 1)].into_iter().collect();
    let params: BTreeMap<String, f64> = [("k".to_string(), 2.0)].into_iter().collect();
    let scope = Scope { nodes: &nodes, params: &params, shapes: &[], step: None };
    let mut sites = Vec::new();
    let expr = parse(src).map_err(|(o, k)| ScmError::at("y", o, k))?;
    compile(2, "y", &expr, &scope, &mut sites).map(|c| (c.program, sites))
}

#[test]
fn folds_constants_and_params() {
    let (p, _) = lowered("$k * 3 + exp(0) - max(1, 4, 2)").unwrap();
    assert!(p.instrs.is_empty());
    assert_eq!(p.result, Operand::Const(3.0));
    let (p, _) = lowered("if(1 > 0, a, b)").unwrap();
    assert_eq!(p.result, Operand::Node(0));
}

#[test]
fn numbers_draw_sites_in_source_order() {
    let (p, sites) = lowered("normal(uniform(0, 1), 1) + bernoulli(0.5) + student_t($k)").unwrap();
    assert_eq!(sites.len(), 4);
    assert_eq!(sites[0].noise, NoiseKind::StandardNormal);
    assert_eq!(sites[1].noise, NoiseKind::Uniform);
    assert_eq!(sites[3].noise, NoiseKind::StudentT { df: 2.0 });
    let order: Vec<usize> =
        p.instrs.iter().filter_map(|i| if let Op::Draw { site, .. } = i.op { Some(site) } else { None }).collect();
    assert_eq!(order, [1, 0, 2, 3]);
}

#[test]
fn a_long_chain_lowers_in_order() {
    // 100,000 terms: one instruction per operator, folded left to right.
    let (p, _) = lowered(&vec!["a"; 100_000].join(" + ")).unwrap();
    assert_eq!(p.instrs.len(), 99_999);
    assert_eq!(p.instrs[0].op, Op::Binary(BinaryFn::Add, Operand::Node(0), Operand::Node(0)));
    assert_eq!(p.instrs[1].op, Op::Binary(BinaryFn::Add, Operand::Reg(0), Operand::Node(0)));
    assert_eq!(p.instrs[1].offset, 6);
    // Two buffers in turn: the sum so far, and the sum being written.
    assert_eq!(p.buffers, 2);
    assert!(p.instrs.iter().enumerate().all(|(k, i)| i.out == k % 2));
    // Constant chains fold to one number.
    let (p, _) = lowered(&vec!["1"; 100_000].join(" + ")).unwrap();
    assert_eq!((p.instrs.len(), p.result), (0, Operand::Const(100_000.0)));
}

#[test]
fn buffers_are_reused_once_read() {
    // exp(a) + exp(a) + ...: the sum so far, the new term, and the new sum.
    let (p, _) = lowered(&vec!["exp(a)"; 1_000].join(" + ")).unwrap();
    assert_eq!((p.instrs.len(), p.buffers), (1_999, 3));
    for (k, instr) in p.instrs.iter().enumerate() {
        let Op::Binary(_, x, y) = instr.op else { continue };
        assert!(x != Operand::Reg(instr.out) && y != Operand::Reg(instr.out), "instruction {k} reads what it writes");
    }
    // A draw that a constant condition drops writes a buffer nobody reads.
    let (p, sites) = lowered("if(1, exp(a), normal(0, 1)) + exp(b)").unwrap();
    assert_eq!(sites.len(), 1);
    assert_eq!(p.result, Operand::Reg(p.instrs.last().unwrap().out));
    assert_eq!(p.buffers, 3);
}

/// The deepest shapes the nesting limit admits parse, compile and drop on
/// a stack far smaller than a worker thread's 2 MiB; a chain of links per
/// level is the deepest tree (four nodes a level for `a < b + a * if(`).
#[test]
fn the_deepest_admitted_equations_fit_a_small_stack() {
    use super::super::parse::MAX_NESTING;
    let nest = |open: &str, close: &str, units: usize| format!("{}a{}", open.repeat(units), close.repeat(units));
    let shapes = [
        nest("(", ")", MAX_NESTING),
        nest("abs(", ")", MAX_NESTING),
        nest("-", "", MAX_NESTING),
        nest("2^", "", MAX_NESTING),
        nest("a + b * abs(", ")", MAX_NESTING),
        nest("a + b * normal(", ", 1)", MAX_NESTING),
        nest("a < b + a * if(", ", 1, 0)", MAX_NESTING),
        nest("a + b * a ^ -(", ")", MAX_NESTING / 3),
    ];
    // Measured: under 100 KiB for the worst of these in a debug build.
    std::thread::Builder::new()
        .stack_size(256 << 10)
        .spawn(move || {
            for src in &shapes {
                assert!(lowered(src).is_ok(), "{}", &src[..40]);
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn resolution_errors() {
    let kind = |src: &str| lowered(src).unwrap_err().kind;
    assert!(matches!(kind("aa + 1"), ScmErrorKind::UnknownVariable { suggestion: Some(s), .. } if s == "a"));
    assert!(matches!(kind("$kk"), ScmErrorKind::UndeclaredParam { suggestion: Some(s), .. } if s == "$k"));
    assert!(matches!(kind("expp(a)"), ScmErrorKind::UnknownFunction { suggestion: Some(s), .. } if s == "exp"));
    assert!(matches!(kind("normal(a)"), ScmErrorKind::WrongArity { found: 1, .. }));
    assert!(matches!(kind("student_t(a)"), ScmErrorKind::NonConstantDf));
    assert!(matches!(kind("normal(0, -1)"), ScmErrorKind::BadDrawArgument { row: None, .. }));
}
