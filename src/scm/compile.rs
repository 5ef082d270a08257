//! Lowering a parsed right-hand side into a flat program of column operations:
//! names resolved to node indices, `$params` to constants, calls to kernels,
//! each draw to a numbered noise site. Constant subexpressions are folded here
//! so the evaluator never repeats them per row.

use std::collections::BTreeMap;

use super::error::{ScmError, ScmErrorKind};
use super::functions::{BinaryFn, Func, NAMES, UnaryFn};
use super::noise::{Dist, NoiseKind};
use super::parse::{Expr, ExprKind, Index};
use super::sequence::{Summary, summary_names};

mod steps;
use crate::suggest::did_you_mean;

/// Where an instruction reads a value from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Operand {
    Const(f64),
    /// The output of an earlier instruction of the same program: while
    /// lowering, that instruction's index; in a finished program, the buffer
    /// it wrote.
    Reg(usize),
    Node(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    Unary(UnaryFn, Operand),
    Binary(BinaryFn, Operand, Operand),
    If(Operand, Operand, Operand),
    Draw {
        site: usize,
        dist: Dist,
        args: Vec<Operand>,
    },
    /// A sequence's summary, its steps in order.
    Summary(Summary, Vec<Operand>),
}

/// One operation and the buffer it writes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Instr {
    pub op: Op,
    /// Byte offset in the expression, for runtime errors.
    pub offset: usize,
    pub out: usize,
}

/// A node's compiled right-hand side: instructions that write `buffers`
/// buffers, read by `Reg` operands.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Program {
    pub instrs: Vec<Instr>,
    pub result: Operand,
    pub buffers: usize,
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
    /// Node names to node numbers.
    pub nodes: &'a BTreeMap<&'a str, usize>,
    pub params: &'a BTreeMap<String, f64>,
    /// Each node's first slot (column) and, for a sequence, its length; a
    /// sequence's steps are consecutive slots. Empty: every node is a scalar
    /// whose slot is its number.
    pub shapes: &'a [(usize, Option<usize>)],
    /// For one step of a sequence's equation: that sequence's node, the step
    /// (from 1) and the length.
    pub step: Option<StepOf>,
}

/// The step of a sequence being compiled.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StepOf {
    pub node: usize,
    pub t: usize,
    pub len: usize,
}

impl Scope<'_> {
    fn shape(&self, node: usize) -> (usize, Option<usize>) {
        self.shapes.get(node).copied().unwrap_or((node, None))
    }
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
    let mut program = Program { instrs: lowering.instrs, result, buffers: 0 };
    assign_buffers(&mut program);
    Ok(Compiled { program, parents: lowering.parents })
}

/// Give each instruction a buffer to write, reusing a buffer once the last
/// instruction that reads its value has run, and point every `Reg` at its
/// buffer. The evaluator keeps one chunk-long buffer per buffer number, so a
/// program needs as many as it has values alive at once (two for a sum of
/// any length), rather than one per instruction: a 100,000-term sum would
/// otherwise hold 200,000 buffers of 2,048 rows, over 3 GB. An instruction
/// never writes a buffer it reads, since its operands are freed only after
/// its own buffer is taken.
fn assign_buffers(program: &mut Program) {
    let n = program.instrs.len();
    // The last reader of each instruction's value (`n`: the program's result).
    let mut last_read: Vec<Option<usize>> = vec![None; n];
    for (k, instr) in program.instrs.iter_mut().enumerate() {
        regs(&mut instr.op).for_each(|r| last_read[*r] = Some(k));
    }
    if let Operand::Reg(r) = program.result {
        last_read[r] = Some(n);
    }
    let mut buffer_of = vec![0; n];
    let mut free: Vec<usize> = Vec::new();
    let mut buffers = 0;
    for k in 0..n {
        let out = free.pop().unwrap_or_else(|| {
            buffers += 1;
            buffers - 1
        });
        let instr = &mut program.instrs[k];
        for r in regs(&mut instr.op) {
            if last_read[*r] == Some(k) {
                // Read for the last time: free once, however often it is read here.
                last_read[*r] = None;
                free.push(buffer_of[*r]);
            }
            *r = buffer_of[*r];
        }
        instr.out = out;
        buffer_of[k] = out;
        if last_read[k].is_none() {
            // Never read (a draw in the branch a constant condition drops).
            free.push(out);
        }
    }
    if let Operand::Reg(r) = &mut program.result {
        *r = buffer_of[*r];
    }
    program.buffers = buffers;
}

/// The register numbers that `op` reads, in operand order.
fn regs(op: &mut Op) -> impl Iterator<Item = &mut usize> {
    let operands: Vec<&mut Operand> = match op {
        Op::Unary(_, a) => vec![a],
        Op::Binary(_, a, b) => vec![a, b],
        Op::If(k, a, b) => vec![k, a, b],
        Op::Draw { args, .. } | Op::Summary(_, args) => args.iter_mut().collect(),
    };
    operands.into_iter().filter_map(|o| if let Operand::Reg(r) = o { Some(r) } else { None })
}

/// One step of lowering: an expression to lower, or an operation to emit once
/// its operands (the last values lowered) are ready.
enum Task<'e> {
    Lower(&'e Expr),
    Unary(UnaryFn, usize),
    Binary(BinaryFn, usize),
    If(usize),
    Draw { site: usize, dist: Dist, args: usize, offset: usize },
    Summary { summary: Summary, name: &'e str, offset: usize },
}

/// The last `N` values lowered, in order (a task runs after its operands).
fn take<const N: usize>(values: &mut Vec<Operand>) -> [Operand; N] {
    let at = values.len() - N;
    let mut out = [Operand::Const(0.0); N];
    out.copy_from_slice(&values[at..]);
    values.truncate(at);
    out
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

    /// Lower `root` in evaluation order: operands left to right, each
    /// operation after its operands. The walk keeps its work on an explicit
    /// stack rather than recursing, so a deep tree costs heap, not stack; a
    /// chain's links become one task pair each, folded left to right.
    fn lower(&mut self, root: &Expr) -> Result<Operand, ScmError> {
        let mut tasks = vec![Task::Lower(root)];
        let mut values: Vec<Operand> = Vec::new();
        while let Some(task) = tasks.pop() {
            let value = match task {
                Task::Lower(e) => match &e.kind {
                    ExprKind::Num(x) => Operand::Const(*x),
                    ExprKind::Var(v) => self.variable(v, e.offset)?,
                    ExprKind::Index(v, index) => self.step(v, *index, e.offset)?,
                    ExprKind::Param(p) => self.param(p, e.offset)?,
                    ExprKind::Neg(a) => {
                        tasks.extend([Task::Unary(UnaryFn::Neg, e.offset), Task::Lower(a)]);
                        continue;
                    }
                    ExprKind::Binary(first, links) => {
                        for link in links.iter().rev() {
                            tasks.extend([Task::Binary(link.op.into(), link.offset), Task::Lower(&link.right)]);
                        }
                        tasks.push(Task::Lower(first));
                        continue;
                    }
                    ExprKind::Call(f, args) => {
                        self.call(f, args, e.offset, &mut tasks)?;
                        continue;
                    }
                },
                Task::Unary(f, offset) => {
                    let [a] = take(&mut values);
                    self.emit_pure(Op::Unary(f, a), offset)
                }
                Task::Binary(f, offset) => {
                    let [a, b] = take(&mut values);
                    self.emit_pure(Op::Binary(f, a, b), offset)
                }
                Task::If(offset) => {
                    let [k, a, b] = take(&mut values);
                    self.emit_pure(Op::If(k, a, b), offset)
                }
                Task::Draw { site, dist, args, offset } => {
                    let args = values.split_off(values.len() - args);
                    self.draw(site, dist, args, offset)?
                }
                Task::Summary { summary, name, offset } => {
                    let steps = self.whole_sequence(summary.name(), name, offset)?;
                    self.emit_pure(Op::Summary(summary, steps), offset)
                }
            };
            values.push(value);
        }
        let [result] = take(&mut values);
        Ok(result)
    }

    /// A node read by name: a scalar's value, or in a sequence's equation the
    /// current step of a sequence of the same length (`t` is the step number).
    fn variable(&mut self, v: &str, offset: usize) -> Result<Operand, ScmError> {
        if let Some(step) = self.scope.step
            && v == "t"
        {
            return Ok(Operand::Const(step.t as f64));
        }
        let id = self.node(v, offset)?;
        match self.scope.shape(id) {
            (slot, None) => Ok(self.read(slot, offset)),
            (_, Some(_)) if self.scope.step.is_some() => self.step(v, Index::Lag(0), offset),
            (_, Some(len)) => Err(self.error(offset, ScmErrorKind::SequenceAsScalar { name: v.into(), len })),
        }
    }

    fn node(&self, v: &str, offset: usize) -> Result<usize, ScmError> {
        self.scope.nodes.get(v).copied().ok_or_else(|| {
            let suggestion = did_you_mean(v, self.scope.nodes.keys().copied());
            self.error(offset, ScmErrorKind::UnknownVariable { name: v.into(), suggestion })
        })
    }

    /// Read slot `slot`, recording it as a parent at its first mention.
    fn read(&mut self, slot: usize, offset: usize) -> Operand {
        if !self.parents.iter().any(|&(p, _)| p == slot) {
            self.parents.push((slot, offset));
        }
        Operand::Node(slot)
    }

    fn param(&self, p: &str, offset: usize) -> Result<Operand, ScmError> {
        match self.scope.params.get(p) {
            Some(&value) => Ok(Operand::Const(value)),
            None => {
                let suggestion = did_you_mean(p, self.scope.params.keys().map(String::as_str)).map(|s| format!("${s}"));
                Err(self.error(offset, ScmErrorKind::UndeclaredParam { name: p.into(), suggestion }))
            }
        }
    }

    /// Check a call's function and arity, then schedule its arguments and the
    /// operation that takes them.
    fn call<'e>(
        &mut self,
        f: &str,
        args: &'e [Expr],
        offset: usize,
        tasks: &mut Vec<Task<'e>>,
    ) -> Result<(), ScmError> {
        if let Some(done) = self.summary(f, args, offset, tasks) {
            return done;
        }
        let Some(func) = Func::lookup(f) else {
            let suggestion = did_you_mean(f, NAMES.iter().copied().chain(summary_names()));
            return Err(self.error(offset, ScmErrorKind::UnknownFunction { name: f.into(), suggestion }));
        };
        let arity = func.arity();
        if !arity.accepts(args.len()) {
            let kind = ScmErrorKind::WrongArity { name: f.into(), expected: arity.describe(), found: args.len() };
            return Err(self.error(offset, kind));
        }
        match func {
            // `min`/`max` fold left: the first argument, then each further
            // one followed by an operation.
            Func::Fold(b) => {
                for x in args.iter().skip(1).rev() {
                    tasks.extend([Task::Binary(b, offset), Task::Lower(x)]);
                }
                tasks.extend(args.first().map(Task::Lower));
                return Ok(());
            }
            // A draw takes its site number before its arguments are lowered,
            // so sites are numbered in source order even when draws nest.
            Func::Draw(dist) => {
                let site = self.sites.len();
                self.sites.push(DrawSite { node: self.node, noise: NoiseKind::Uniform });
                tasks.push(Task::Draw { site, dist, args: args.len(), offset });
            }
            Func::Unary(u) => tasks.push(Task::Unary(u, offset)),
            Func::If => tasks.push(Task::If(offset)),
        }
        tasks.extend(args.iter().rev().map(Task::Lower));
        Ok(())
    }

    /// Finish draw `site` once its arguments are lowered.
    fn draw(&mut self, site: usize, dist: Dist, args: Vec<Operand>, offset: usize) -> Result<Operand, ScmError> {
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
        self.instrs.push(Instr { op: Op::Draw { site, dist, args }, offset, out: 0 });
        Ok(Operand::Reg(self.instrs.len() - 1))
    }

    /// Emit a deterministic operation, or fold it when every input is constant.
    fn emit_pure(&mut self, op: Op, offset: usize) -> Operand {
        let c = |o: &Operand| if let Operand::Const(x) = o { Some(*x) } else { None };
        let folded = match &op {
            Op::Unary(u, a) => c(a).map(|a| u.apply(a)),
            Op::Binary(b, x, y) => c(x).zip(c(y)).map(|(x, y)| b.apply(x, y)),
            Op::If(k, x, y) => c(k).map(|k| if k != 0.0 { *x } else { *y }).and_then(|o| c(&o)),
            Op::Summary(s, steps) => steps.iter().map(c).collect::<Option<Vec<f64>>>().map(|v| s.apply(&v)),
            Op::Draw { .. } => None,
        };
        if let Some(value) = folded {
            return Operand::Const(value);
        }
        if let Op::If(Operand::Const(k), x, y) = op {
            // A constant condition selects a branch even when the branch varies.
            return if k != 0.0 { x } else { y };
        }
        self.instrs.push(Instr { op, offset, out: 0 });
        Operand::Reg(self.instrs.len() - 1)
    }
}

#[cfg(test)]
mod tests;
