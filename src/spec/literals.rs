//! Refuse the numbers of an experiment file that an f64 cannot hold.
//!
//! serde_yaml_ng turns `1e400` into the string "1e400" (a type error that says
//! "found a string" of what is plainly a number) and `1e-400` into 0, silently.
//! So every plain scalar of the file that is a decimal literal is checked here,
//! in the file's own text, with the rule equations use (`crate::literal`), and
//! the first one out of range is an error at its line and column. Quoted
//! scalars and tagged ones (`!!str 1e400`) are strings by the author's choice.

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

use super::error::{SpecError, SpecErrorKind};
use super::load::Source;
use super::locate::Position;
use crate::literal::parse_decimal;

/// The first number of `source` that overflows or underflows, as an error.
pub(super) fn check_literals(source: &Source) -> Result<(), SpecError> {
    // One event at a time, as the locator reads: no recursion on deep documents.
    let mut parser = Parser::new_from_str(&source.text);
    loop {
        match parser.next_token() {
            Ok((Event::Scalar(text, TScalarStyle::Plain, _, None), mark)) => {
                if let Some(Err(e)) = parse_decimal(&text) {
                    let at = source.locator.clamp(Position { line: mark.line(), column: mark.col() + 1 });
                    return Err(SpecError::new(&source.path, Some(at), SpecErrorKind::Invalid(e.to_string())));
                }
            }
            // The first document is the experiment (as serde reads it); a syntax
            // error has been reported by the parse already.
            Ok((Event::StreamEnd | Event::DocumentEnd, _)) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
    }
}
