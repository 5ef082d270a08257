//! The deterministic functions and operators of the equation language, as
//! scalar kernels that the column-wise evaluator maps over rows.

use super::noise::Dist;
use super::parse::BinOp;

/// Every name that may be called, for "did you mean" suggestions and the
/// "known functions" hint.
pub(crate) const NAMES: &[&str] = &[
    "exp",
    "log",
    "sqrt",
    "abs",
    "min",
    "max",
    "sigmoid",
    "tanh",
    "relu",
    "sin",
    "cos",
    "if",
    "normal",
    "uniform",
    "bernoulli",
    "poisson",
    "categorical",
    "student_t",
];

/// What a called name means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Unary(UnaryFn),
    /// `min`/`max`: two or more arguments, folded left.
    Fold(BinaryFn),
    If,
    Draw(Dist),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnaryFn {
    Neg,
    Exp,
    Log,
    Sqrt,
    Abs,
    Sigmoid,
    Tanh,
    Relu,
    Sin,
    Cos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryFn {
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
    Min,
    Max,
}

/// Accepted argument counts: at least `min`, at most `max` (None: unbounded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Arity {
    pub min: usize,
    pub max: Option<usize>,
    /// Shown in the arity error, e.g. "(mean, sd)".
    pub signature: &'static str,
}

impl Arity {
    pub fn accepts(self, n: usize) -> bool {
        n >= self.min && self.max.is_none_or(|max| n <= max)
    }

    /// "2 arguments (mean, sd)", "at least 2 arguments (a, b, ...)".
    pub fn describe(self) -> String {
        let count = match self.max {
            Some(max) if max == self.min => format!("{max} argument{}", if max == 1 { "" } else { "s" }),
            _ => format!("at least {} arguments", self.min),
        };
        format!("{count} {}", self.signature)
    }
}

impl Func {
    pub fn lookup(name: &str) -> Option<Func> {
        let unary = |f| Some(Func::Unary(f));
        match name {
            "exp" => unary(UnaryFn::Exp),
            "log" => unary(UnaryFn::Log),
            "sqrt" => unary(UnaryFn::Sqrt),
            "abs" => unary(UnaryFn::Abs),
            "sigmoid" => unary(UnaryFn::Sigmoid),
            "tanh" => unary(UnaryFn::Tanh),
            "relu" => unary(UnaryFn::Relu),
            "sin" => unary(UnaryFn::Sin),
            "cos" => unary(UnaryFn::Cos),
            "min" => Some(Func::Fold(BinaryFn::Min)),
            "max" => Some(Func::Fold(BinaryFn::Max)),
            "if" => Some(Func::If),
            _ => Dist::from_name(name).map(Func::Draw),
        }
    }

    pub fn arity(self) -> Arity {
        match self {
            Func::Unary(_) => Arity { min: 1, max: Some(1), signature: "(x)" },
            Func::Fold(_) => Arity { min: 2, max: None, signature: "(a, b, ...)" },
            Func::If => Arity { min: 3, max: Some(3), signature: "(condition, then, else)" },
            Func::Draw(dist) => dist.arity(),
        }
    }
}

impl UnaryFn {
    #[inline]
    pub fn apply(self, x: f64) -> f64 {
        match self {
            UnaryFn::Neg => -x,
            UnaryFn::Exp => x.exp(),
            UnaryFn::Log => x.ln(),
            UnaryFn::Sqrt => x.sqrt(),
            UnaryFn::Abs => x.abs(),
            UnaryFn::Sigmoid => sigmoid(x),
            UnaryFn::Tanh => x.tanh(),
            UnaryFn::Relu => x.max(0.0),
            UnaryFn::Sin => x.sin(),
            UnaryFn::Cos => x.cos(),
        }
    }
}

/// Logistic function, written so that neither branch overflows.
fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

impl BinaryFn {
    #[inline]
    pub fn apply(self, a: f64, b: f64) -> f64 {
        let truth = |c: bool| if c { 1.0 } else { 0.0 };
        match self {
            BinaryFn::Add => a + b,
            BinaryFn::Sub => a - b,
            BinaryFn::Mul => a * b,
            BinaryFn::Div => a / b,
            BinaryFn::Pow => power(a, b),
            BinaryFn::Lt => truth(a < b),
            BinaryFn::Le => truth(a <= b),
            BinaryFn::Gt => truth(a > b),
            BinaryFn::Ge => truth(a >= b),
            BinaryFn::Eq => truth(a == b),
            BinaryFn::Ne => truth(a != b),
            BinaryFn::Min => a.min(b),
            BinaryFn::Max => a.max(b),
        }
    }
}

/// `a ^ b`, exact repeated multiplication for small integer exponents (the
/// common `x^2`), so results do not depend on the platform's `pow`.
#[inline]
fn power(a: f64, b: f64) -> f64 {
    if b == 2.0 {
        a * a
    } else if b == 3.0 {
        a * a * a
    } else if b == 1.0 {
        a
    } else {
        a.powf(b)
    }
}

impl From<BinOp> for BinaryFn {
    fn from(op: BinOp) -> BinaryFn {
        match op {
            BinOp::Add => BinaryFn::Add,
            BinOp::Sub => BinaryFn::Sub,
            BinOp::Mul => BinaryFn::Mul,
            BinOp::Div => BinaryFn::Div,
            BinOp::Pow => BinaryFn::Pow,
            BinOp::Lt => BinaryFn::Lt,
            BinOp::Le => BinaryFn::Le,
            BinOp::Gt => BinaryFn::Gt,
            BinOp::Ge => BinaryFn::Ge,
            BinOp::Eq => BinaryFn::Eq,
            BinOp::Ne => BinaryFn::Ne,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_resolves() {
        for name in NAMES {
            assert!(Func::lookup(name).is_some(), "{name}");
        }
        assert_eq!(Func::lookup("nope"), None);
    }

    #[test]
    fn kernels_match_their_definitions() {
        assert_eq!(UnaryFn::Sigmoid.apply(0.0), 0.5);
        assert!((UnaryFn::Sigmoid.apply(-800.0)).abs() < 1e-300);
        assert_eq!(UnaryFn::Sigmoid.apply(800.0), 1.0);
        assert_eq!(UnaryFn::Relu.apply(-2.0), 0.0);
        assert_eq!(BinaryFn::Pow.apply(-3.0, 2.0), 9.0);
        assert_eq!(BinaryFn::Pow.apply(2.0, 0.5), 2f64.sqrt());
        assert_eq!(BinaryFn::Le.apply(1.0, 1.0), 1.0);
        assert_eq!(BinaryFn::Ne.apply(1.0, 1.0), 0.0);
    }

    #[test]
    fn arity_descriptions() {
        assert_eq!(Func::lookup("normal").unwrap().arity().describe(), "2 arguments (mean, sd)");
        assert_eq!(Func::lookup("max").unwrap().arity().describe(), "at least 2 arguments (a, b, ...)");
        assert_eq!(Func::lookup("exp").unwrap().arity().describe(), "1 argument (x)");
    }
}
