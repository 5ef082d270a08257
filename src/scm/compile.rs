//! Lowering a parsed right-hand side into a flat program of column operations:
//! names resolved to node indices, `$params` to constants, calls to kernels,
//! each draw to a numbered noise site. Constant subexpressions are folded here
//! so the evaluator never repeats them per row.

use std::collections::BTreeMap;

use super::error::{ScmError, ScmErrorKind, closest};
use super::functions::{BinaryFn, Func, NAMES, UnaryFn};
use super::noise::{Dist, NoiseKind};
use super::parse::{Expr, ExprKind};

/// Where an instruction reads a value from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Operand {
    Const(f64),
    /// The output of an earlier instruction of the same program.
    Reg(usize),
    Node(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    Unary(UnaryFn, Operand),
    Binary(BinaryFn, Operand, Operand),
    If(Operand, Operand, Operand),
    Draw { site: usize, dist: Dist, args: Vec<Operand> },
}

/// One operation; its output is register number = its index in the program.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Instr {
    pub op: Op,
    /// Byte offset in the expression, for runtime errors.
    pub offset: usize,
}

/// A node's compiled right-hand side.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Program {
    pub instrs: Vec<Instr>,
    pub result: Operand,
}

/// A random draw in some equation; its noise column is drawn once per simulation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DrawSite {
    pub node: usize,
    pub noise: NoiseKind,
}

/// A node's compiled equation and the variables it reads.
pub(crate) struct Compiled {
    pub program: Program,
    /// Parents in order of first mention, each with the offset of that mention.
    pub parents: Vec<(usize, usize)>,
}

/// Everything a node's equation may refer to.
pub(crate) struct Scope<'a> {
    pub nodes: &'a BTreeMap<&'a str, usize>,
    pub params: &'a BTreeMap<String, f64>,
}

/// Lower node `node`'s parsed expression; new draw sites are appended to `sites`.
pub(crate) fn compile(
    node: usize,
    name: &str,
    expr: &Expr,
    scope: &Scope,
    sites: &mut Vec<DrawSite>,
) -> Result<Compiled, ScmError> {
    let mut lowering = Lowering { node, name, scope, sites, instrs: Vec::new(), parents: Vec::new() };
    let result = lowering.lower(expr)?;
    Ok(Compiled { program: Program { instrs: lowering.instrs, result }, parents: lowering.parents })
}

struct Lowering<'a, 'b> {
    node: usize,
    name: &'a str,
    scope: &'a Scope<'b>,
    sites: &'a mut Vec<DrawSite>,
    instrs: Vec<Instr>,
    parents: Vec<(usize, usize)>,
}

impl Lowering<'_, '_> {
    fn error(&self, offset: usize, kind: ScmErrorKind) -> ScmError {
        ScmError::at(self.name, offset, kind)
    }

    fn lower(&mut self, e: &Expr) -> Result<Operand, ScmError> {
        match &e.kind {
            ExprKind::Num(x) => Ok(Operand::Const(*x)),
            ExprKind::Var(v) => self.variable(v, e.offset),
            ExprKind::Param(p) => self.param(p, e.offset),
            ExprKind::Neg(a) => {
                let a = self.lower(a)?;
                Ok(self.emit_pure(Op::Unary(UnaryFn::Neg, a), e.offset))
            }
            ExprKind::Binary(op, a, b) => {
                let (a, b) = (self.lower(a)?, self.lower(b)?);
                Ok(self.emit_pure(Op::Binary((*op).into(), a, b), e.offset))
            }
            ExprKind::Call(f, args) => self.call(f, args, e.offset),
        }
    }

    fn variable(&mut self, v: &str, offset: usize) -> Result<Operand, ScmError> {
        let Some(&id) = self.scope.nodes.get(v) else {
            let suggestion = closest(v, self.scope.nodes.keys().copied());
            return Err(self.error(offset, ScmErrorKind::UnknownVariable { name: v.into(), suggestion }));
        };
        if !self.parents.iter().any(|&(p, _)| p == id) {
            self.parents.push((id, offset));
        }
        Ok(Operand::Node(id))
    }

    fn param(&self, p: &str, offset: usize) -> Result<Operand, ScmError> {
        match self.scope.params.get(p) {
            Some(&value) => Ok(Operand::Const(value)),
            None => {
                let suggestion = closest(p, self.scope.params.keys().map(String::as_str)).map(|s| format!("${s}"));
                Err(self.error(offset, ScmErrorKind::UndeclaredParam { name: p.into(), suggestion }))
            }
        }
    }

    fn call(&mut self, f: &str, args: &[Expr], offset: usize) -> Result<Operand, ScmError> {
        let Some(func) = Func::lookup(f) else {
            let suggestion = closest(f, NAMES.iter().copied());
            return Err(self.error(offset, ScmErrorKind::UnknownFunction { name: f.into(), suggestion }));
        };
        let arity = func.arity();
        if !arity.accepts(args.len()) {
            let kind = ScmErrorKind::WrongArity { name: f.into(), expected: arity.describe(), found: args.len() };
            return Err(self.error(offset, kind));
        }
        match func {
            Func::Draw(dist) => self.draw(dist, args, offset),
            Func::Unary(u) => {
                let a = self.lower(&args[0])?;
                Ok(self.emit_pure(Op::Unary(u, a), offset))
            }
            Func::If => {
                let (k, a, b) = (self.lower(&args[0])?, self.lower(&args[1])?, self.lower(&args[2])?);
                Ok(self.emit_pure(Op::If(k, a, b), offset))
            }
            Func::Fold(b) => {
                let first = self.lower(&args[0])?;
                args[1..].iter().try_fold(first, |acc, x| {
                    let x = self.lower(x)?;
                    Ok(self.emit_pure(Op::Binary(b, acc, x), offset))
                })
            }
        }
    }

    /// A draw takes its site number before its arguments are lowered, so sites
    /// are numbered in source order even when draws nest.
    fn draw(&mut self, dist: Dist, args: &[Expr], offset: usize) -> Result<Operand, ScmError> {
        let site = self.sites.len();
        self.sites.push(DrawSite { node: self.node, noise: NoiseKind::Uniform });
        let args = args.iter().map(|a| self.lower(a)).collect::<Result<Vec<_>, _>>()?;
        let constants: Option<Vec<f64>> =
            args.iter().map(|a| if let Operand::Const(c) = a { Some(*c) } else { None }).collect();
        if let Some(values) = &constants
            && let Err(bad) = dist.check(values)
        {
            let kind = ScmErrorKind::BadDrawArgument {
                dist: dist.signature(),
                requirement: bad.requirement,
                value: bad.value,
                row: None,
            };
            return Err(self.error(offset, kind));
        }
        let df = match (dist, &constants) {
            (Dist::StudentT, Some(values)) => values[0],
            (Dist::StudentT, None) => return Err(self.error(offset, ScmErrorKind::NonConstantDf)),
            _ => 0.0,
        };
        self.sites[site].noise = dist.noise(df);
        self.instrs.push(Instr { op: Op::Draw { site, dist, args }, offset });
        Ok(Operand::Reg(self.instrs.len() - 1))
    }

    /// Emit a deterministic operation, or fold it when every input is constant.
    fn emit_pure(&mut self, op: Op, offset: usize) -> Operand {
        let c = |o: &Operand| if let Operand::Const(x) = o { Some(*x) } else { None };
        let folded = match &op {
            Op::Unary(u, a) => c(a).map(|a| u.apply(a)),
            Op::Binary(b, x, y) => c(x).zip(c(y)).map(|(x, y)| b.apply(x, y)),
            Op::If(k, x, y) => c(k).map(|k| if k != 0.0 { *x } else { *y }).and_then(|o| c(&o)),
            Op::Draw { .. } => None,
        };
        if let Some(value) = folded {
            return Operand::Const(value);
        }
        if let Op::If(Operand::Const(k), x, y) = op {
            // A constant condition selects a branch even when the branch varies.
            return if k != 0.0 { x } else { y };
        }
        self.instrs.push(Instr { op, offset });
        Operand::Reg(self.instrs.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;

    fn lowered(src: &str) -> Result<(Program, Vec<DrawSite>), ScmError> {
        let nodes: BTreeMap<&str, usize> = [("a", 0), ("b", 1)].into_iter().collect();
        let params: BTreeMap<String, f64> = [("k".to_string(), 2.0)].into_iter().collect();
        let scope = Scope { nodes: &nodes, params: &params };
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
    fn resolution_errors() {
        let kind = |src: &str| lowered(src).unwrap_err().kind;
        assert!(matches!(kind("aa + 1"), ScmErrorKind::UnknownVariable { suggestion: Some(s), .. } if s == "a"));
        assert!(matches!(kind("$kk"), ScmErrorKind::UndeclaredParam { suggestion: Some(s), .. } if s == "$k"));
        assert!(matches!(kind("expp(a)"), ScmErrorKind::UnknownFunction { suggestion: Some(s), .. } if s == "exp"));
        assert!(matches!(kind("normal(a)"), ScmErrorKind::WrongArity { found: 1, .. }));
        assert!(matches!(kind("student_t(a)"), ScmErrorKind::NonConstantDf));
        assert!(matches!(kind("normal(0, -1)"), ScmErrorKind::BadDrawArgument { row: None, .. }));
    }
}
