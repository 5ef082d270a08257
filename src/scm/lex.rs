//! The lexer of one right-hand side: numbers, names, `$params`, operators and
//! punctuation, each with the byte offset it starts at, so that every error of
//! the parser (`parse.rs`) can point at its token.

use super::error::ScmErrorKind;
use super::parse::{BinOp, ParseError};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Num(f64),
    Ident(String),
    Param(String),
    Op(BinOp),
    LParen,
    RParen,
    /// `[` and `]`: a sequence's step, `hr[t-1]` or `hr[3]`.
    LBracket,
    RBracket,
    Comma,
    End,
}

impl Token {
    pub(super) fn describe(&self) -> String {
        match self {
            Token::Num(x) => format!("number `{x}`"),
            Token::Ident(s) => format!("`{s}`"),
            Token::Param(s) => format!("`${s}`"),
            Token::Op(op) => format!("`{}`", op_text(*op)),
            Token::LParen => "`(`".into(),
            Token::RParen => "`)`".into(),
            Token::LBracket => "`[`".into(),
            Token::RBracket => "`]`".into(),
            Token::Comma => "`,`".into(),
            Token::End => "the end of the equation".into(),
        }
    }
}

pub(super) fn op_text(op: BinOp) -> &'static str {
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

pub(super) fn lex(src: &str) -> Result<Vec<(Token, usize)>, ParseError> {
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
                let value = match crate::literal::parse_decimal(text) {
                    Some(Ok(value)) => value,
                    Some(Err(e)) => return Err((start, ScmErrorKind::Literal(e))),
                    None => {
                        return Err((
                            start,
                            ScmErrorKind::Parse { expected: "a number".into(), found: format!("`{text}`") },
                        ));
                    }
                };
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
                b'[' => Token::LBracket,
                b']' => Token::RBracket,
                b',' => Token::Comma,
                _ => return None,
            };
            Some((token, 1))
        }
        [] => None,
    }
}
