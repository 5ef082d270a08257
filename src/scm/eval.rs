//! Column-wise evaluation of a compiled program. Rows are processed in chunks
//! of `CHUNK`: each instruction runs over the whole chunk before the next one
//! starts, so the per-row cost is a tight loop over slices, and the buffers
//! (chunk-long, one per value alive at once, see `compile::assign_buffers`)
//! stay in cache.

use super::compile::{Op, Operand, Program};
use super::error::ScmErrorKind;
use super::functions::{BinaryFn, UnaryFn};
use super::noise::Dist;

const CHUNK: usize = 2048;

/// Whether a draw produces its sample or its expectation given its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DrawMode {
    Sample,
    Expect,
}

/// A failure while evaluating, with the offset of the failing operation if any.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EvalError {
    pub offset: Option<usize>,
    pub kind: ScmErrorKind,
}

/// Evaluate `program` over `n` rows. `nodes[j]` is node j's column (only the
/// program's parents are read); `noise[s]` is draw site s's noise column.
pub(crate) fn evaluate(
    program: &Program,
    nodes: &[&[f64]],
    noise: &[Vec<f64>],
    mode: DrawMode,
    n: usize,
) -> Result<Vec<f64>, EvalError> {
    let mut column = vec![0.0; n];
    let mut regs = vec![vec![0.0; CHUNK.min(n)]; program.buffers];
    for start in (0..n).step_by(CHUNK) {
        let end = (start + CHUNK).min(n);
        for instr in &program.instrs {
            // An instruction never reads the buffer it writes: lend it out
            // while the others are read.
            let mut out = std::mem::take(&mut regs[instr.out]);
            let view = View { regs: &regs, nodes, start, end };
            let done = run(&instr.op, &view, noise, mode, &mut out[..end - start]);
            regs[instr.out] = out;
            done.map_err(|kind| EvalError { offset: Some(instr.offset), kind })?;
        }
        let view = View { regs: &regs, nodes, start, end };
        match view.get(program.result) {
            Val::Scalar(c) => column[start..end].fill(c),
            Val::Slice(s) => column[start..end].copy_from_slice(s),
        }
    }
    check_finite(&column)?;
    Ok(column)
}

fn check_finite(column: &[f64]) -> Result<(), EvalError> {
    match column.iter().position(|x| !x.is_finite()) {
        Some(row) => Err(EvalError { offset: None, kind: ScmErrorKind::NonFinite { row, value: column[row] } }),
        None => Ok(()),
    }
}

/// The values an instruction can read for rows `start..end`.
struct View<'a> {
    regs: &'a [Vec<f64>],
    nodes: &'a [&'a [f64]],
    start: usize,
    end: usize,
}

#[derive(Clone, Copy)]
enum Val<'a> {
    Scalar(f64),
    Slice(&'a [f64]),
}

impl Val<'_> {
    #[inline]
    fn at(self, i: usize) -> f64 {
        match self {
            Val::Scalar(c) => c,
            Val::Slice(s) => s[i],
        }
    }
}

impl<'a> View<'a> {
    fn get(&self, operand: Operand) -> Val<'a> {
        match operand {
            Operand::Const(c) => Val::Scalar(c),
            Operand::Reg(r) => Val::Slice(&self.regs[r][..self.end - self.start]),
            Operand::Node(j) => Val::Slice(&self.nodes[j][self.start..self.end]),
        }
    }
}

fn run(op: &Op, view: &View, noise: &[Vec<f64>], mode: DrawMode, out: &mut [f64]) -> Result<(), ScmErrorKind> {
    match op {
        Op::Unary(f, a) => unary(*f, out, view.get(*a)),
        Op::Binary(f, a, b) => binary(*f, out, view.get(*a), view.get(*b)),
        Op::If(k, a, b) => {
            let (k, a, b) = (view.get(*k), view.get(*a), view.get(*b));
            for (i, o) in out.iter_mut().enumerate() {
                *o = if k.at(i) != 0.0 { a.at(i) } else { b.at(i) };
            }
        }
        Op::Summary(summary, steps) => {
            let steps: Vec<Val> = steps.iter().map(|a| view.get(*a)).collect();
            let mut row = vec![0.0; steps.len()];
            for (i, o) in out.iter_mut().enumerate() {
                row.iter_mut().zip(&steps).for_each(|(r, s)| *r = s.at(i));
                *o = summary.apply(&row);
            }
        }
        Op::Draw { site, dist, args } => {
            let args: Vec<Val> = args.iter().map(|a| view.get(*a)).collect();
            draw(*dist, &args, &noise[*site][view.start..view.end], mode, out)
                .map_err(|(row, kind)| with_row(kind, view.start + row))?;
        }
    }
    Ok(())
}

fn with_row(kind: ScmErrorKind, row: usize) -> ScmErrorKind {
    match kind {
        ScmErrorKind::BadDrawArgument { dist, requirement, value, .. } => {
            ScmErrorKind::BadDrawArgument { dist, requirement, value, row: Some(row) }
        }
        other => other,
    }
}

/// One loop per function, each with the kernel known at compile time (the
/// `apply` of a constant variant folds to its arm), so loops can vectorise.
fn unary(f: UnaryFn, out: &mut [f64], a: Val) {
    use UnaryFn::*;
    match f {
        Neg => map1(out, a, |x| Neg.apply(x)),
        Exp => map1(out, a, |x| Exp.apply(x)),
        Log => map1(out, a, |x| Log.apply(x)),
        Sqrt => map1(out, a, |x| Sqrt.apply(x)),
        Abs => map1(out, a, |x| Abs.apply(x)),
        Sigmoid => map1(out, a, |x| Sigmoid.apply(x)),
        Tanh => map1(out, a, |x| Tanh.apply(x)),
        Relu => map1(out, a, |x| Relu.apply(x)),
        Sin => map1(out, a, |x| Sin.apply(x)),
        Cos => map1(out, a, |x| Cos.apply(x)),
    }
}

fn binary(f: BinaryFn, out: &mut [f64], a: Val, b: Val) {
    use BinaryFn::*;
    match f {
        Add => map2(out, a, b, |x, y| Add.apply(x, y)),
        Sub => map2(out, a, b, |x, y| Sub.apply(x, y)),
        Mul => map2(out, a, b, |x, y| Mul.apply(x, y)),
        Div => map2(out, a, b, |x, y| Div.apply(x, y)),
        Pow => map2(out, a, b, |x, y| Pow.apply(x, y)),
        Lt => map2(out, a, b, |x, y| Lt.apply(x, y)),
        Le => map2(out, a, b, |x, y| Le.apply(x, y)),
        Gt => map2(out, a, b, |x, y| Gt.apply(x, y)),
        Ge => map2(out, a, b, |x, y| Ge.apply(x, y)),
        Eq => map2(out, a, b, |x, y| Eq.apply(x, y)),
        Ne => map2(out, a, b, |x, y| Ne.apply(x, y)),
        Min => map2(out, a, b, |x, y| Min.apply(x, y)),
        Max => map2(out, a, b, |x, y| Max.apply(x, y)),
    }
}

#[inline]
fn map1(out: &mut [f64], a: Val, f: impl Fn(f64) -> f64) {
    match a {
        Val::Scalar(x) => out.fill(f(x)),
        Val::Slice(xs) => out.iter_mut().zip(xs).for_each(|(o, &x)| *o = f(x)),
    }
}

#[inline]
fn map2(out: &mut [f64], a: Val, b: Val, f: impl Fn(f64, f64) -> f64) {
    match (a, b) {
        (Val::Slice(xs), Val::Slice(ys)) => {
            out.iter_mut().zip(xs.iter().zip(ys)).for_each(|(o, (&x, &y))| *o = f(x, y))
        }
        (Val::Slice(xs), Val::Scalar(y)) => out.iter_mut().zip(xs).for_each(|(o, &x)| *o = f(x, y)),
        (Val::Scalar(x), Val::Slice(ys)) => out.iter_mut().zip(ys).for_each(|(o, &y)| *o = f(x, y)),
        (Val::Scalar(x), Val::Scalar(y)) => out.fill(f(x, y)),
    }
}

/// Draws for one chunk: row i uses noise `e[i]` and its own arguments.
fn draw(dist: Dist, args: &[Val], e: &[f64], mode: DrawMode, out: &mut [f64]) -> Result<(), (usize, ScmErrorKind)> {
    // Most draws take one or two arguments: keep those on the stack.
    let mut small = [0.0; 2];
    let mut large = vec![0.0; if args.len() > small.len() { args.len() } else { 0 }];
    let row_args: &mut [f64] = if args.len() <= small.len() { &mut small[..args.len()] } else { &mut large };
    for (i, o) in out.iter_mut().enumerate() {
        for (slot, a) in row_args.iter_mut().zip(args) {
            *slot = a.at(i);
        }
        let value = match mode {
            DrawMode::Sample => dist.transform(e[i], row_args),
            DrawMode::Expect => dist.mean(row_args),
        };
        *o = value.map_err(|bad| {
            let kind = ScmErrorKind::BadDrawArgument {
                dist: dist.signature(),
                requirement: bad.requirement,
                value: bad.value,
                row: None,
            };
            (i, kind)
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::compile::{Scope, compile};
    use super::super::parse::parse;
    use super::*;

    /// Evaluate `src` over columns a and b (nodes 0 and 1), with one noise
    /// column `e` shared by every draw site.
    fn eval(src: &str, a: &[f64], b: &[f64], e: &[f64], mode: DrawMode) -> Result<Vec<f64>, EvalError> {
        let nodes: BTreeMap<&str, usize> = [("a", 0), ("b", 1)].into_iter().collect();
        let params = BTreeMap::new();
        let mut sites = Vec::new();
        let compiled = compile(
            2,
            "y",
            &parse(src).unwrap(),
            &Scope { nodes: &nodes, params: &params, shapes: &[], step: None },
            &mut sites,
        )
        .unwrap();
        let noise = vec![e.to_vec(); sites.len()];
        evaluate(&compiled.program, &[a, b], &noise, mode, a.len())
    }

    #[test]
    fn arithmetic_and_functions_per_row() {
        let (a, b) = ([1.0, -2.0, 3.0], [4.0, 5.0, 0.5]);
        let y = eval("a * b - relu(a) + if(a > 0, 10, -10) + max(a, b, 2)", &a, &b, &[0.0; 3], DrawMode::Sample);
        assert_eq!(y.unwrap(), [4.0 - 1.0 + 10.0 + 4.0, -10.0 - 0.0 - 10.0 + 5.0, 1.5 - 3.0 + 10.0 + 3.0]);
    }

    #[test]
    fn draws_sample_or_expect() {
        let (a, b) = ([0.2, 0.9], [1.0, 2.0]);
        let e = [0.5, 0.5];
        assert_eq!(eval("bernoulli(a)", &a, &b, &e, DrawMode::Sample).unwrap(), [0.0, 1.0]);
        assert_eq!(eval("bernoulli(a)", &a, &b, &e, DrawMode::Expect).unwrap(), [0.2, 0.9]);
        assert_eq!(eval("normal(a, b)", &a, &b, &e, DrawMode::Sample).unwrap(), [0.7, 1.9]);
        assert_eq!(eval("normal(a, b)", &a, &b, &e, DrawMode::Expect).unwrap(), [0.2, 0.9]);
    }

    #[test]
    fn spans_many_chunks() {
        let n = 3 * CHUNK + 17;
        let a: Vec<f64> = (0..n).map(|i| i as f64).collect();
        let y = eval("2 * a + 1", &a, &a, &vec![0.0; n], DrawMode::Sample).unwrap();
        assert!(y.iter().enumerate().all(|(i, &v)| v == 2.0 * i as f64 + 1.0));
    }

    #[test]
    fn long_programs_reuse_buffers() {
        let n = CHUNK + 5;
        let a: Vec<f64> = (0..n).map(|i| i as f64 / 100.0).collect();
        let b: Vec<f64> = (0..n).map(|i| 1.0 - i as f64 / 1000.0).collect();
        let src = format!("a - {}", vec!["a * b / 7"; 3_000].join(" + "));
        let y = eval(&src, &a, &b, &vec![0.0; n], DrawMode::Sample).unwrap();
        for i in 0..n {
            let term = a[i] * b[i] / 7.0;
            let expected = (1..3_000).fold(a[i] - term, |acc, _| acc + term);
            assert_eq!(y[i], expected, "row {i}");
        }
        // The dropped branch's draw is computed into a buffer nobody reads.
        let y = eval("if(1, a, normal(0, 1)) + exp(b)", &a, &b, &vec![0.5; n], DrawMode::Sample).unwrap();
        assert!(y.iter().zip(a.iter().zip(&b)).all(|(y, (a, b))| *y == a + b.exp()));
    }

    #[test]
    fn reports_the_failing_row() {
        let (a, b) = ([1.0, 1.0, -1.0], [0.0; 3]);
        let err = eval("normal(0, a)", &a, &b, &[0.0; 3], DrawMode::Sample).unwrap_err();
        assert_eq!(err.offset, Some(0));
        assert!(matches!(err.kind, ScmErrorKind::BadDrawArgument { row: Some(2), .. }));
        let err = eval("log(a)", &a, &b, &[0.0; 3], DrawMode::Sample).unwrap_err();
        assert!(matches!(err.kind, ScmErrorKind::NonFinite { row: 2, .. }));
    }
}
