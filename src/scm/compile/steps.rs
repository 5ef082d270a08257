//! Lowering what only sequences have: a step of a sequence (`x[t-k]`,
//! `x[k]`), whose slot depends on the step being compiled, and a summary call
//! (`slope(x)`, `crossed(x, c)`), which reads every step of its sequence.

use super::super::error::{ScmError, ScmErrorKind};
use super::super::parse::{Expr, ExprKind, Index};
use super::super::sequence::{CROSSED, Summary};
use super::{Lowering, Operand, Task};
use crate::scm::functions::BinaryFn;

impl<'b> Lowering<'_, 'b> {
    /// One step of sequence `v`: `v[t - k]` in a sequence's equation (steps
    /// before the first read 0), or the fixed step `v[k]`.
    pub(super) fn step(&mut self, v: &str, index: Index, offset: usize) -> Result<Operand, ScmError> {
        let id = self.node(v, offset)?;
        let (first, Some(len)) = self.scope.shape(id) else {
            return Err(self.error(offset, ScmErrorKind::NotASequence { name: v.into() }));
        };
        let own = |step: usize, at: usize| ScmErrorKind::ReadsOwnPresent { name: v.into(), step, at };
        let k = match index {
            Index::Step(k) if k > len => {
                return Err(self.error(offset, ScmErrorKind::StepOutOfRange { name: v.into(), step: k, len }));
            }
            Index::Step(k) => {
                if let Some(s) = self.scope.step.filter(|s| s.node == id && k >= s.t) {
                    return Err(self.error(offset, own(k, s.t)));
                }
                k
            }
            Index::Lag(lag) => {
                let Some(s) = self.scope.step else {
                    return Err(self.error(offset, ScmErrorKind::StepOutsideSequence { name: v.into() }));
                };
                if len != s.len {
                    return Err(
                        self.error(offset, ScmErrorKind::LengthMismatch { name: v.into(), len, expected: s.len })
                    );
                }
                if lag >= len {
                    return Err(self.error(offset, ScmErrorKind::LagTooLong { name: v.into(), lag, len }));
                }
                if lag == 0 && s.node == id {
                    return Err(self.error(offset, own(s.t, s.t)));
                }
                if lag >= s.t {
                    // Before the first step: the sequence starts from 0.
                    return Ok(Operand::Const(0.0));
                }
                s.t - lag
            }
        };
        Ok(self.read(first + k - 1, offset))
    }

    /// Every step of sequence `v`, the argument of summary `func`.
    pub(super) fn whole_sequence(&mut self, func: &str, v: &str, offset: usize) -> Result<Vec<Operand>, ScmError> {
        let id = self.node(v, offset)?;
        let (first, Some(len)) = self.scope.shape(id) else {
            return Err(self.error(offset, ScmErrorKind::SummaryOfScalar { func: func.into(), name: v.into() }));
        };
        Ok((first..first + len).map(|slot| self.read(slot, offset)).collect())
    }

    /// A summary call, `slope(hr)` or `crossed(hr, c)`; `None` if `f` names none.
    pub(super) fn summary<'e>(
        &self,
        f: &str,
        args: &'e [Expr],
        offset: usize,
        tasks: &mut Vec<Task<'e>>,
    ) -> Option<Result<(), ScmError>> {
        let summary = if f == CROSSED { Summary::Peak } else { Summary::lookup(f)? };
        let arity = if f == CROSSED { 2 } else { 1 };
        let arg = match args.first().map(|a| &a.kind) {
            Some(ExprKind::Var(name)) if args.len() == arity => (name.as_str(), args[0].offset),
            _ => return Some(Err(self.error(offset, ScmErrorKind::SummaryArgument { func: f.into() }))),
        };
        if f == CROSSED {
            tasks.extend([Task::Binary(BinaryFn::Gt, offset), Task::Lower(&args[1])]);
        }
        tasks.push(Task::Summary { summary, name: arg.0, offset: arg.1 });
        Some(Ok(()))
    }
}
