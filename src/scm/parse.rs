//! Pratt parser for one right-hand side (tokens from `lex.rs`). Hand-written rather than a
//! parser library: the grammar is a dozen tokens, and owning the code gives exact
//! byte offsets for every error without adding a dependency to the build.
//!
//! Precedence, loosest first: comparisons (not chainable), `+ -`, `* /`, unary
//! minus, `^` (right-associative, so `-x^2` is `-(x^2)` and `2^-1` is `2^(-1)`).
//!
//! Depth. The parser does not recurse: where a textbook Pratt parser calls
//! itself for an operator's right operand, a parenthesis, a call's arguments
//! or a unary minus, this one keeps what it is inside of on an explicit stack,
//! and lowering (in `compile`) walks the tree with one too. Nesting still
//! makes the tree deeper, and the passes over a tree that do recurse (`Drop`
//! and the derived `Clone`, `Debug` and `PartialEq`) recurse once per node of
//! depth, so [`MAX_NESTING`] bounds the levels, with a located error past it.
//! A left-associative chain (`x + x + ... + x`, `a * b / c`) does not nest: it
//! is kept flat, as one `Binary` node with a list of operator links, rather
//! than as a left-deep tree of binary nodes, so it costs no depth however
//! long it is.

use super::error::ScmErrorKind;
use super::lex::{Token, lex, op_text};

/// The deepest an equation may nest: parentheses, the arguments of a call, a
/// unary minus and the exponent of `^` each open one level (`abs((-x)^2)` is
/// four levels deep), and deeper input is refused with the offset of the level
/// that crosses the limit. Parsing and lowering keep their work on the heap,
/// but dropping, cloning, comparing or printing a parsed tree recurses once per
/// node of depth, up to four nodes per level, and equations are also compiled
/// on worker threads, whose stacks are 2 MiB. At 256 levels the deepest shape
/// takes under 100 KiB of stack in a debug build (a test runs it on a 256 KiB
/// thread), while no equation written by hand, or generated sensibly, comes
/// near it. Chains do not nest (`x + x + ...` with 100,000 terms is one
/// level), so their length is not limited.
pub const MAX_NESTING: usize = 256;

/// A parsed expression; `offset` is the byte where it starts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    pub offset: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprKind {
    Num(f64),
    Var(String),
    Param(String),
    Neg(Box<Expr>),
    /// A chain of binary operations applied left to right: `first op1 r1 op2
    /// r2 ...` is `((first op1 r1) op2 r2) ...`, each operand binding tighter
    /// than its operator (`a * b + c` is one chain of two links; `a + b * c`
    /// is `a` plus the chain `b * c`; `a ^ b ^ c` is `a` to the chain `b ^ c`).
    Binary(Box<Expr>, Vec<Link>),
    Call(String, Vec<Expr>),
    /// One step of a sequence: `hr[t]`, `hr[t-1]` or `hr[3]`.
    Index(String, Index),
}

/// Which step of a sequence an index reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Index {
    /// `[t - k]`: `k` steps before the step being computed (`[t]`: k = 0).
    Lag(usize),
    /// `[k]`: step `k`, counted from 1.
    Step(usize),
}

/// One step of a chain: apply `op` to the value so far and `right`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Link {
    pub op: BinOp,
    /// Where the operator is written.
    pub offset: usize,
    pub right: Expr,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl BinOp {
    /// (left, right) binding power; a higher number binds tighter.
    fn binding_power(self) -> (u8, u8) {
        match self {
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne => (1, 2),
            BinOp::Add | BinOp::Sub => (3, 4),
            BinOp::Mul | BinOp::Div => (5, 6),
            BinOp::Pow => (9, 8),
        }
    }

    fn is_comparison(self) -> bool {
        self.binding_power().0 == 1
    }
}

/// Binding power of unary minus: between `* /` and `^`.
const PREFIX_MINUS: u8 = 7;

/// A parse error: what went wrong and the byte offset where.
pub(crate) type ParseError = (usize, ScmErrorKind);

/// Parse a whole right-hand side.
pub(crate) fn parse(src: &str) -> Result<Expr, ParseError> {
    let tokens = lex(src)?;
    let mut parser = Parser { tokens, pos: 0 };
    let expr = parser.expression()?;
    match parser.peek() {
        (Token::End, _) => Ok(expr),
        (token, at) => Err(unexpected(at, "an operator or the end of the equation", token)),
    }
}

fn unexpected(at: usize, expected: &str, found: &Token) -> ParseError {
    (at, ScmErrorKind::Parse { expected: expected.into(), found: found.describe() })
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    pos: usize,
}

/// What the parser is inside of, waiting for an expression to resume it.
enum Open {
    /// A chain waiting for the right operand of its operator (written at the offset).
    Link(Chain, BinOp, usize),
    /// A unary minus written at this offset, waiting for its operand.
    Neg(usize),
    /// A `(` written at this offset, waiting for its expression and `)`.
    Paren(usize),
    /// A call of `name` (written at `at`), waiting for its next argument.
    Call { name: String, at: usize, args: Vec<Expr> },
}

impl Open {
    /// Whether this is a nesting level: all but the link of a left-associative
    /// operator, whose operand binds tighter and so ends before its chain does.
    fn nests(&self) -> bool {
        !matches!(self, Open::Link(_, op, _) if *op != BinOp::Pow)
    }
}

/// The stack of what is open, innermost last, and how many of its entries are
/// nesting levels.
#[derive(Default)]
struct Levels {
    open: Vec<Open>,
    depth: usize,
}

impl Levels {
    /// Open `level`, written at `at`, unless it is a level past the limit.
    fn push(&mut self, level: Open, at: usize) -> Result<(), ParseError> {
        if level.nests() {
            self.check(at)?;
            self.depth += 1;
        }
        self.open.push(level);
        Ok(())
    }

    /// Refuse a level opening at `at` past the limit.
    fn check(&self, at: usize) -> Result<(), ParseError> {
        if self.depth >= MAX_NESTING {
            return Err((at, ScmErrorKind::TooDeep { limit: MAX_NESTING }));
        }
        Ok(())
    }

    fn pop(&mut self) -> Option<Open> {
        let level = self.open.pop()?;
        if level.nests() {
            self.depth -= 1;
        }
        Some(level)
    }

    /// How tightly the operators of an operand's chain must bind, given where
    /// the operand is: tighter than the operator it is the right operand of.
    fn floor(&self) -> u8 {
        match self.open.last() {
            Some(Open::Link(_, op, _)) => op.binding_power().1,
            Some(Open::Neg(_)) => PREFIX_MINUS,
            Some(Open::Paren(_) | Open::Call { .. }) | None => 0,
        }
    }
}

impl Parser {
    fn peek(&self) -> (&Token, usize) {
        // The lexer always ends the list with `End`, and `next` never moves past it.
        let (token, at) = &self.tokens[self.pos.min(self.tokens.len() - 1)];
        (token, *at)
    }

    fn next(&mut self) -> (Token, usize) {
        let (token, at) = self.peek();
        let token = token.clone();
        if token != Token::End {
            self.pos += 1;
        }
        (token, at)
    }

    /// A Pratt parser without recursion: where the textbook parser calls
    /// itself for an operator's right operand, a parenthesis, a call's
    /// arguments or a unary minus, this one pushes what it was reading onto
    /// `open` and resumes it once the inner expression is read. So the depth
    /// of the input costs heap, not stack, and the nesting limit is checked
    /// as each level opens, at the offset where it does.
    fn expression(&mut self) -> Result<Expr, ParseError> {
        let mut open = Levels::default();
        'operand: loop {
            // An operand, after any prefixes that open a level before it.
            let operand = loop {
                let (token, at) = self.next();
                let kind = match token {
                    Token::Num(x) => ExprKind::Num(x),
                    Token::Param(name) => ExprKind::Param(name),
                    Token::Op(BinOp::Sub) => {
                        open.push(Open::Neg(at), at)?;
                        continue;
                    }
                    Token::LParen => {
                        open.push(Open::Paren(at), at)?;
                        continue;
                    }
                    Token::Ident(name) if matches!(self.peek().0, Token::LParen) => {
                        self.next();
                        if !matches!(self.peek().0, Token::RParen) {
                            open.push(Open::Call { name, at, args: Vec::new() }, at)?;
                            continue;
                        }
                        // An empty argument list is a level too, closed at once.
                        open.check(at)?;
                        self.next();
                        ExprKind::Call(name, Vec::new())
                    }
                    Token::Ident(name) if matches!(self.peek().0, Token::LBracket) => {
                        self.next();
                        ExprKind::Index(name, self.index()?)
                    }
                    Token::Ident(name) => ExprKind::Var(name),
                    other => return Err(unexpected(at, "an expression", &other)),
                };
                break Expr { kind, offset: at };
            };
            let mut chain = Chain::new(open.floor(), operand);
            // Operators that extend the chain; then whatever the finished
            // chain completes, until an operator wants another operand.
            loop {
                if let (Token::Op(op), at) = self.peek()
                    && op.binding_power().0 >= chain.min_bp
                {
                    let op = *op;
                    if op.is_comparison() && chain.compared {
                        return Err((
                            at,
                            ScmErrorKind::Parse {
                                expected: "one comparison at a time (combine them with if(...))".into(),
                                found: format!("a second comparison `{}`", op_text(op)),
                            },
                        ));
                    }
                    chain.compared |= op.is_comparison();
                    self.next();
                    open.push(Open::Link(chain, op, at), at)?;
                    continue 'operand;
                }
                let done = chain.finish();
                let Some(level) = open.pop() else { return Ok(done) };
                let operand = match level {
                    Open::Link(mut outer, op, at) => {
                        outer.links.push(Link { op, offset: at, right: done });
                        chain = outer;
                        continue;
                    }
                    Open::Neg(at) => Expr { kind: ExprKind::Neg(Box::new(done)), offset: at },
                    Open::Paren(at) => {
                        self.expect_close(at)?;
                        done
                    }
                    Open::Call { name, at, mut args } => {
                        args.push(done);
                        match self.next() {
                            (Token::Comma, comma) => {
                                open.push(Open::Call { name, at, args }, comma)?;
                                continue 'operand;
                            }
                            (Token::RParen, _) => Expr { kind: ExprKind::Call(name, args), offset: at },
                            (Token::End, end) => return Err(unclosed(end, at)),
                            (other, o) => return Err(unexpected(o, "`,` or `)`", &other)),
                        }
                    }
                };
                chain = Chain::new(open.floor(), operand);
            }
        }
    }

    /// The inside of `[...]` after the `[`, and the `]`: `t`, `t - k` or `k`,
    /// with `k` a whole number (a step reads its sequence's past, never its future).
    fn index(&mut self) -> Result<Index, ParseError> {
        const EXPECTED: &str = "a step: `t`, `t - k` (k steps back) or a step number `k`";
        let whole = |x: f64| (x >= 1.0 && x.fract() == 0.0 && x <= 1e9).then_some(x as usize);
        let index = match self.next() {
            (Token::Ident(t), _) if t == "t" => match self.next() {
                (Token::RBracket, _) => return Ok(Index::Lag(0)),
                (Token::Op(BinOp::Sub), _) => match self.next() {
                    (Token::Num(x), at) => Index::Lag(whole(x).ok_or_else(|| bad_step(at, x))?),
                    (other, at) => return Err(unexpected(at, "a whole number of steps back after `t -`", &other)),
                },
                (Token::Op(BinOp::Add), at) => {
                    return Err((
                        at,
                        ScmErrorKind::Parse {
                            expected: "`]` or `- k`: a step reads only its sequence's past".into(),
                            found: "`+`, a future step".into(),
                        },
                    ));
                }
                (other, at) => return Err(unexpected(at, "`]` or `- k`", &other)),
            },
            (Token::Num(x), at) => Index::Step(whole(x).ok_or_else(|| bad_step(at, x))?),
            (other, at) => return Err(unexpected(at, EXPECTED, &other)),
        };
        match self.next() {
            (Token::RBracket, _) => Ok(index),
            (other, at) => Err(unexpected(at, "`]`", &other)),
        }
    }

    fn expect_close(&mut self, open_at: usize) -> Result<(), ParseError> {
        match self.next() {
            (Token::RParen, _) => Ok(()),
            (Token::End, at) => Err(unclosed(at, open_at)),
            (other, at) => Err(unexpected(at, "`)`", &other)),
        }
    }
}

/// A chain being read: `first` and the links so far, whose operators bind at
/// `min_bp` or tighter.
struct Chain {
    min_bp: u8,
    first: Expr,
    links: Vec<Link>,
    /// Whether the chain has its one comparison already.
    compared: bool,
}

impl Chain {
    fn new(min_bp: u8, first: Expr) -> Chain {
        Chain { min_bp, first, links: Vec::new(), compared: false }
    }

    fn finish(self) -> Expr {
        if self.links.is_empty() {
            return self.first;
        }
        Expr { offset: self.first.offset, kind: ExprKind::Binary(Box::new(self.first), self.links) }
    }
}

fn bad_step(at: usize, x: f64) -> ParseError {
    (at, ScmErrorKind::Parse { expected: "a whole number of steps, 1 or more".into(), found: format!("`{x}`") })
}

fn unclosed(at: usize, open_at: usize) -> ParseError {
    (
        at,
        ScmErrorKind::Parse {
            expected: format!("`)` to close the `(` at offset {open_at}"),
            found: "the end of the equation".into(),
        },
    )
}

#[cfg(test)]
mod tests;
