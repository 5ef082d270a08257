//! Lexer and Pratt parser for one right-hand side. Hand-written rather than a
//! parser library: the grammar is a dozen tokens, and owning the code gives exact
//! byte offsets for every error without adding a dependency to the build.
//!
//! Precedence, loosest first: comparisons (not chainable), `+ -`, `* /`, unary
//! minus, `^` (right-associative, so `-x^2` is `-(x^2)` and `2^-1` is `2^(-1)`).

use super::error::ScmErrorKind;

/// A parsed expression; `offset` is the byte where it starts (for a binary
/// operation, where its operator is).
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
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
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

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Num(f64),
    Ident(String),
    Param(String),
    Op(BinOp),
    LParen,
    RParen,
    Comma,
    End,
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Num(x) => format!("number `{x}`"),
            Token::Ident(s) => format!("`{s}`"),
            Token::Param(s) => format!("`${s}`"),
            Token::Op(op) => format!("`{}`", op_text(*op)),
            Token::LParen => "`(`".into(),
            Token::RParen => "`)`".into(),
            Token::Comma => "`,`".into(),
            Token::End => "the end of the equation".into(),
        }
    }
}

fn op_text(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Pow => "^",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        BinOp::Ge => ">=",
        BinOp::Eq => "==",
        BinOp::Ne => "!=",
    }
}

/// A parse error: what went wrong and the byte offset where.
pub(crate) type ParseError = (usize, ScmErrorKind);

/// Parse a whole right-hand side.
pub(crate) fn parse(src: &str) -> Result<Expr, ParseError> {
    let tokens = lex(src)?;
    let mut parser = Parser { tokens, pos: 0 };
    let expr = parser.expression(0)?;
    match parser.peek() {
        (Token::End, _) => Ok(expr),
        (token, at) => Err(unexpected(at, "an operator or the end of the equation", token)),
    }
}

fn unexpected(at: usize, expected: &str, found: &Token) -> ParseError {
    (at, ScmErrorKind::Parse { expected: expected.into(), found: found.describe() })
}

fn lex(src: &str) -> Result<Vec<(Token, usize)>, ParseError> {
    let bytes = src.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let token = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'0'..=b'9' | b'.' => {
                i = number_end(bytes, i);
                let text = &src[start..i];
                let value = text.parse::<f64>().map_err(|_| {
                    (start, ScmErrorKind::Parse { expected: "a number".into(), found: format!("`{text}`") })
                })?;
                Token::Num(value)
            }
            b'$' => {
                i = ident_end(bytes, i + 1);
                if i == start + 1 {
                    let found =
                        src[start + 1..].chars().next().map_or("the end of the equation".into(), |c| format!("`{c}`"));
                    return Err((
                        start + 1,
                        ScmErrorKind::Parse { expected: "a parameter name after `$`".into(), found },
                    ));
                }
                Token::Param(src[start + 1..i].to_string())
            }
            c if c == b'_' || c.is_ascii_alphabetic() => {
                i = ident_end(bytes, i);
                Token::Ident(src[start..i].to_string())
            }
            _ => {
                let (token, len) = punctuation(&bytes[i..]).ok_or_else(|| {
                    let found = src[i..].chars().next().map_or(String::new(), |c| format!("`{c}`"));
                    (i, ScmErrorKind::Parse { expected: "an expression".into(), found })
                })?;
                i += len;
                token
            }
        };
        tokens.push((token, start));
    }
    tokens.push((Token::End, src.len()));
    Ok(tokens)
}

/// Digits, an optional fraction and an optional exponent (`1`, `.5`, `2.5e-3`).
fn number_end(bytes: &[u8], mut i: usize) -> usize {
    let digits = |mut i: usize| {
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    i = digits(i);
    if i < bytes.len() && bytes[i] == b'.' {
        i = digits(i + 1);
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        let mut j = i + 1;
        if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
            j += 1;
        }
        if j < bytes.len() && bytes[j].is_ascii_digit() {
            i = digits(j);
        }
    }
    i
}

fn ident_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && (bytes[i] == b'_' || bytes[i].is_ascii_alphanumeric()) {
        i += 1;
    }
    i
}

fn punctuation(rest: &[u8]) -> Option<(Token, usize)> {
    let two = |op| Some((Token::Op(op), 2));
    match rest {
        [b'<', b'=', ..] => two(BinOp::Le),
        [b'>', b'=', ..] => two(BinOp::Ge),
        [b'=', b'=', ..] => two(BinOp::Eq),
        [b'!', b'=', ..] => two(BinOp::Ne),
        [c, ..] => {
            let token = match c {
                b'+' => Token::Op(BinOp::Add),
                b'-' => Token::Op(BinOp::Sub),
                b'*' => Token::Op(BinOp::Mul),
                b'/' => Token::Op(BinOp::Div),
                b'^' => Token::Op(BinOp::Pow),
                b'<' => Token::Op(BinOp::Lt),
                b'>' => Token::Op(BinOp::Gt),
                b'(' => Token::LParen,
                b')' => Token::RParen,
                b',' => Token::Comma,
                _ => return None,
            };
            Some((token, 1))
        }
        [] => None,
    }
}

struct Parser {
    tokens: Vec<(Token, usize)>,
    pos: usize,
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

    /// Pratt loop: parse an operand, then every operator that binds tighter than `min_bp`.
    fn expression(&mut self, min_bp: u8) -> Result<Expr, ParseError> {
        let mut left = self.operand()?;
        let mut after_comparison = false;
        loop {
            let (op, at) = match self.peek() {
                (Token::Op(op), at) => (*op, at),
                _ => break,
            };
            let (left_bp, right_bp) = op.binding_power();
            if left_bp < min_bp {
                break;
            }
            if op.is_comparison() && after_comparison {
                return Err((
                    at,
                    ScmErrorKind::Parse {
                        expected: "one comparison at a time (combine them with if(...))".into(),
                        found: format!("a second comparison `{}`", op_text(op)),
                    },
                ));
            }
            after_comparison |= op.is_comparison();
            self.next();
            let right = self.expression(right_bp)?;
            left = Expr { kind: ExprKind::Binary(op, Box::new(left), Box::new(right)), offset: at };
        }
        Ok(left)
    }

    fn operand(&mut self) -> Result<Expr, ParseError> {
        let (token, at) = self.next();
        let kind = match token {
            Token::Num(x) => ExprKind::Num(x),
            Token::Param(name) => ExprKind::Param(name),
            Token::Op(BinOp::Sub) => ExprKind::Neg(Box::new(self.expression(PREFIX_MINUS)?)),
            Token::LParen => {
                let inner = self.expression(0)?;
                self.expect_close(at)?;
                return Ok(inner);
            }
            Token::Ident(name) if matches!(self.peek().0, Token::LParen) => {
                self.next();
                ExprKind::Call(name, self.arguments(at)?)
            }
            Token::Ident(name) => ExprKind::Var(name),
            other => return Err(unexpected(at, "an expression", &other)),
        };
        Ok(Expr { kind, offset: at })
    }

    /// Comma-separated arguments after `(`, through the closing `)`.
    fn arguments(&mut self, call_at: usize) -> Result<Vec<Expr>, ParseError> {
        let mut args = Vec::new();
        if matches!(self.peek().0, Token::RParen) {
            self.next();
            return Ok(args);
        }
        loop {
            args.push(self.expression(0)?);
            match self.next() {
                (Token::Comma, _) => continue,
                (Token::RParen, _) => return Ok(args),
                (Token::End, at) => return Err(unclosed(at, call_at)),
                (other, at) => return Err(unexpected(at, "`,` or `)`", &other)),
            }
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
mod tests {
    use super::*;

    /// Fully parenthesised rendering, to check precedence and associativity.
    fn show(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Num(x) => format!("{x}"),
            ExprKind::Var(v) => v.clone(),
            ExprKind::Param(p) => format!("${p}"),
            ExprKind::Neg(a) => format!("(-{})", show(a)),
            ExprKind::Binary(op, a, b) => format!("({} {} {})", show(a), op_text(*op), show(b)),
            ExprKind::Call(f, args) => format!("{f}({})", args.iter().map(show).collect::<Vec<_>>().join(", ")),
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
        let e = parse("0.04 * age + normal(0, 1)").unwrap();
        let ExprKind::Binary(BinOp::Add, left, right) = &e.kind else { panic!("not a sum: {e:?}") };
        assert_eq!(e.offset, 11);
        assert_eq!(right.offset, 13);
        let ExprKind::Binary(BinOp::Mul, _, age) = &left.kind else { panic!("not a product") };
        assert_eq!(age.offset, 7);
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
}
