//! The single-precision BLAS and vector-math entry points that libtorch calls in
//! MKL, defined again in our own executable.
//!
//! libtorch_cpu.so carries MKL statically but calls these functions through its
//! procedure linkage table, and the dynamic linker resolves such calls to the
//! first definition in the process: ours, since build.rs exports exactly the names
//! of `interposed.list` from every binary. In the portable numeric mode they
//! compute with `numerics::gemm` (a fused chain per element) and the pure-Rust
//! `libm` crate, code whose bits do not depend on the processor; MKL's kernels do
//! (they dispatch on the vendor and use approximate reciprocals, which Intel and
//! AMD round differently). In the native mode each call is forwarded to MKL's own
//! function, found with `dlsym(RTLD_NEXT)`.
//!
//! Double precision, LAPACK and `vmsErfInv` stay with MKL (networks train in f32);
//! `MKL_CBWR=COMPATIBLE` pins them to MKL's vendor-neutral branch.

// Every function here is a raw-pointer routine whose whole body is the unsafe
// operation its `# Safety` section describes.
#![allow(unsafe_op_in_unsafe_fn)]

use std::ffi::{CStr, c_char, c_void};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::numerics::gemm::{self, Strided};
use crate::numerics::{self, NumericMode, vecmath};

/// How many calls the portable kernels have served in this process (`causeway
/// doctor` and the tests use it to prove that libtorch really reaches them).
static SERVED: AtomicU64 = AtomicU64::new(0);

pub fn calls_served() -> u64 {
    SERVED.load(Ordering::Relaxed)
}

/// The names this file defines, as the linker sees them.
pub const LIST: &str = include_str!("interposed.list");

pub fn names() -> impl Iterator<Item = &'static str> {
    LIST.lines().map(str::trim).filter(|l| l.ends_with(';') && !l.starts_with('}')).map(|l| l.trim_end_matches(';'))
}

fn portable() -> bool {
    let yes = numerics::selected() == NumericMode::Portable;
    if yes {
        SERVED.fetch_add(1, Ordering::Relaxed);
    }
    yes
}

unsafe extern "C" {
    fn dlsym(handle: *mut c_void, symbol: *const c_char) -> *mut c_void;
}

/// MKL's own definition of `name` (the next one after ours in lookup order).
fn next(name: &'static CStr, slot: &'static OnceLock<usize>) -> usize {
    *slot.get_or_init(|| {
        // SAFETY: RTLD_NEXT is glibc's ((void *) -1); the name is NUL-terminated.
        let p = unsafe { dlsym(-1isize as *mut c_void, name.as_ptr()) } as usize;
        assert!(p != 0, "libtorch has no {name:?} to forward to");
        p
    })
}

macro_rules! forward {
    ($name:literal, fn($($t:ty),* $(,)?) $(-> $r:ty)?) => {{
        static SLOT: OnceLock<usize> = OnceLock::new();
        let p = next($name, &SLOT);
        // SAFETY: MKL's symbol of that name has exactly this C signature.
        unsafe { std::mem::transmute::<usize, unsafe extern "C" fn($($t),*) $(-> $r)?>(p) }
    }};
}

fn trans(c: c_char) -> bool {
    !matches!(c as u8, b'N' | b'n')
}

/// Start of a BLAS vector of `n` elements with increment `inc` (negative
/// increments address the vector from its far end).
unsafe fn base<T>(p: *const T, n: i32, inc: i32) -> *const T {
    if inc < 0 { p.offset((n as isize - 1) * -(inc as isize)) } else { p }
}

/// Column-major `op(X)` of a BLAS call as strides.
fn col_major(t: bool, ld: i32) -> (isize, isize) {
    if t { (ld as isize, 1) } else { (1, ld as isize) }
}

/// Fortran BLAS `sgemm`: C ← α·op(A)·op(B) + β·C, column-major.
///
/// # Safety
/// The caller passes a valid BLAS argument list.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn sgemm_(
    ta: *const c_char,
    tb: *const c_char,
    m: *const i32,
    n: *const i32,
    k: *const i32,
    alpha: *const f32,
    a: *const f32,
    lda: *const i32,
    b: *const f32,
    ldb: *const i32,
    beta: *const f32,
    c: *mut f32,
    ldc: *const i32,
) {
    if !portable() {
        let f = forward!(
            c"sgemm_",
            fn(
                *const c_char,
                *const c_char,
                *const i32,
                *const i32,
                *const i32,
                *const f32,
                *const f32,
                *const i32,
                *const f32,
                *const i32,
                *const f32,
                *mut f32,
                *const i32,
            )
        );
        return f(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
    let (rsa, csa) = col_major(trans(*ta), *lda);
    let (rsb, csb) = col_major(trans(*tb), *ldb);
    gemm::sgemm(
        *m as usize,
        *n as usize,
        *k as usize,
        *alpha,
        Strided { ptr: a, rs: rsa, cs: csa },
        Strided { ptr: b, rs: rsb, cs: csb },
        *beta,
        Strided { ptr: c, rs: 1, cs: *ldc as isize },
    );
}

/// Fortran BLAS `sgemv`: y ← α·op(A)·x + β·y, A m×n column-major.
///
/// # Safety
/// The caller passes a valid BLAS argument list.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn sgemv_(
    t: *const c_char,
    m: *const i32,
    n: *const i32,
    alpha: *const f32,
    a: *const f32,
    lda: *const i32,
    x: *const f32,
    incx: *const i32,
    beta: *const f32,
    y: *mut f32,
    incy: *const i32,
) {
    if !portable() {
        let f = forward!(
            c"sgemv_",
            fn(
                *const c_char,
                *const i32,
                *const i32,
                *const f32,
                *const f32,
                *const i32,
                *const f32,
                *const i32,
                *const f32,
                *mut f32,
                *const i32,
            )
        );
        return f(t, m, n, alpha, a, lda, x, incx, beta, y, incy);
    }
    let tr = trans(*t);
    let (rows, cols) = if tr { (*n, *m) } else { (*m, *n) };
    let (rsa, csa) = col_major(tr, *lda);
    let xb = base(x, cols, *incx);
    let yb = base(y as *const f32, rows, *incy) as *mut f32;
    gemm::sgemm(
        rows as usize,
        1,
        cols as usize,
        *alpha,
        Strided { ptr: a, rs: rsa, cs: csa },
        Strided { ptr: xb, rs: *incx as isize, cs: 1 },
        *beta,
        Strided { ptr: yb, rs: *incy as isize, cs: 1 },
    );
}

/// Fortran BLAS `sdot`.
///
/// # Safety
/// The caller passes a valid BLAS argument list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sdot_(n: *const i32, x: *const f32, incx: *const i32, y: *const f32, incy: *const i32) -> f32 {
    if !portable() {
        let f = forward!(c"sdot_", fn(*const i32, *const f32, *const i32, *const f32, *const i32) -> f32);
        return f(n, x, incx, y, incy);
    }
    gemm::sdot(*n as usize, base(x, *n, *incx), *incx as isize, base(y, *n, *incy), *incy as isize)
}

/// Fortran BLAS `saxpy`.
///
/// # Safety
/// The caller passes a valid BLAS argument list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn saxpy_(
    n: *const i32,
    alpha: *const f32,
    x: *const f32,
    incx: *const i32,
    y: *mut f32,
    incy: *const i32,
) {
    if !portable() {
        let f = forward!(c"saxpy_", fn(*const i32, *const f32, *const f32, *const i32, *mut f32, *const i32));
        return f(n, alpha, x, incx, y, incy);
    }
    gemm::saxpy(
        *n as usize,
        *alpha,
        base(x, *n, *incx),
        *incx as isize,
        base(y as *const f32, *n, *incy) as *mut f32,
        *incy as isize,
    );
}

/// CBLAS `saxpy` (by value).
///
/// # Safety
/// The caller passes a valid BLAS argument list.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn cblas_saxpy(n: i32, alpha: f32, x: *const f32, incx: i32, y: *mut f32, incy: i32) {
    if !portable() {
        let f = forward!(c"cblas_saxpy", fn(i32, f32, *const f32, i32, *mut f32, i32));
        return f(n, alpha, x, incx, y, incy);
    }
    gemm::saxpy(
        n as usize,
        alpha,
        base(x, n, incx),
        incx as isize,
        base(y as *const f32, n, incy) as *mut f32,
        incy as isize,
    );
}

const CBLAS_ROW_MAJOR: i32 = 101;
const CBLAS_NO_TRANS: i32 = 111;

/// MKL's grouped batch product (`bmm` and `baddbmm` reach it): for every group g
/// and each of its `size[g]` members, C ← α·op(A)·op(B) + β·C. Each member is one
/// [`gemm::sgemm`], so a slice of a batch has the bits of the single product.
///
/// # Safety
/// The caller passes a valid MKL argument list.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn cblas_sgemm_batch(
    layout: i32,
    ta: *const i32,
    tb: *const i32,
    m: *const i32,
    n: *const i32,
    k: *const i32,
    alpha: *const f32,
    a: *const *const f32,
    lda: *const i32,
    b: *const *const f32,
    ldb: *const i32,
    beta: *const f32,
    c: *const *mut f32,
    ldc: *const i32,
    groups: i32,
    size: *const i32,
) {
    if !portable() {
        let f = forward!(
            c"cblas_sgemm_batch",
            fn(
                i32,
                *const i32,
                *const i32,
                *const i32,
                *const i32,
                *const i32,
                *const f32,
                *const *const f32,
                *const i32,
                *const *const f32,
                *const i32,
                *const f32,
                *const *mut f32,
                *const i32,
                i32,
                *const i32,
            )
        );
        return f(layout, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, groups, size);
    }
    let strides = |t: i32, ld: i32| {
        let t = t != CBLAS_NO_TRANS;
        if layout == CBLAS_ROW_MAJOR {
            let (r, c) = col_major(t, ld);
            (c, r)
        } else {
            col_major(t, ld)
        }
    };
    let mut member = 0usize;
    for g in 0..groups.max(0) as usize {
        let (rsa, csa) = strides(*ta.add(g), *lda.add(g));
        let (rsb, csb) = strides(*tb.add(g), *ldb.add(g));
        let (rsc, csc) = if layout == CBLAS_ROW_MAJOR { (*ldc.add(g) as isize, 1) } else { (1, *ldc.add(g) as isize) };
        for _ in 0..(*size.add(g)).max(0) {
            gemm::sgemm(
                *m.add(g) as usize,
                *n.add(g) as usize,
                *k.add(g) as usize,
                *alpha.add(g),
                Strided { ptr: *a.add(member), rs: rsa, cs: csa },
                Strided { ptr: *b.add(member), rs: rsb, cs: csb },
                *beta.add(g),
                Strided { ptr: *c.add(member), rs: rsc, cs: csc },
            );
            member += 1;
        }
    }
}

/// MKL vector math `vms<Name>(n, a, r, mode)`: r_i = f(a_i), element by element
/// (in place when a == r), with the pure-Rust `libm` functions one element at a
/// time (`vmsTanh`, below, has a vectorised copy of its function).
macro_rules! vector_math {
    ($($name:ident $cname:literal => $f:expr;)*) => {$(
        /// MKL vector-math entry point (see the module comment).
        ///
        /// # Safety
        /// `a` and `r` hold `n` floats.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(n: i32, a: *const f32, r: *mut f32, mode: i64) {
            if !portable() {
                let f = forward!($cname, fn(i32, *const f32, *mut f32, i64));
                return f(n, a, r, mode);
            }
            let f: fn(f32) -> f32 = $f;
            for i in 0..n.max(0) as usize {
                *r.add(i) = f(*a.add(i));
            }
        }
    )*};
}

vector_math! {
    vmsExp c"vmsExp" => libm::expf;
    vmsLn c"vmsLn" => libm::logf;
    vmsLog10 c"vmsLog10" => libm::log10f;
    vmsLog2 c"vmsLog2" => libm::log2f;
    vmsSin c"vmsSin" => libm::sinf;
    vmsCos c"vmsCos" => libm::cosf;
    vmsTan c"vmsTan" => libm::tanf;
    vmsSqrt c"vmsSqrt" => f32::sqrt;
    vmsErf c"vmsErf" => libm::erff;
    vmsErfc c"vmsErfc" => libm::erfcf;
    vmsAcos c"vmsAcos" => libm::acosf;
    vmsAsin c"vmsAsin" => libm::asinf;
    vmsAtan c"vmsAtan" => libm::atanf;
    vmsTrunc c"vmsTrunc" => f32::trunc;
}

/// MKL's `vmsTanh`, in the portable mode with [`vecmath::tanhf_n`]: exactly
/// `libm::tanhf`'s bits, eight elements at a time where the processor has AVX2
/// (the portable mode's processors all do), the scalar function otherwise. The
/// LSTMs' and GRUs' gates spend much of their training time here.
///
/// # Safety
/// `a` and `r` hold `n` floats.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vmsTanh(n: i32, a: *const f32, r: *mut f32, mode: i64) {
    if !portable() {
        let f = forward!(c"vmsTanh", fn(i32, *const f32, *mut f32, i64));
        return f(n, a, r, mode);
    }
    vecmath::tanhf_n(n.max(0) as usize, a, r);
}

/// MKL's `vsLn` (no mode argument).
///
/// # Safety
/// `a` and `r` hold `n` floats.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vsLn(n: i32, a: *const f32, r: *mut f32) {
    if !portable() {
        let f = forward!(c"vsLn", fn(i32, *const f32, *mut f32));
        return f(n, a, r);
    }
    for i in 0..n.max(0) as usize {
        *r.add(i) = libm::logf(*a.add(i));
    }
}

/// Addresses of our definitions, so the linker keeps them (nothing in Rust calls
/// them) and the tests can compare them with what the dynamic linker resolves.
pub fn definitions() -> Vec<(&'static str, usize)> {
    vec![
        ("sgemm_", sgemm_ as *const () as usize),
        ("sgemv_", sgemv_ as *const () as usize),
        ("sdot_", sdot_ as *const () as usize),
        ("saxpy_", saxpy_ as *const () as usize),
        ("cblas_saxpy", cblas_saxpy as *const () as usize),
        ("cblas_sgemm_batch", cblas_sgemm_batch as *const () as usize),
        ("vmsExp", vmsExp as *const () as usize),
        ("vmsLn", vmsLn as *const () as usize),
        ("vsLn", vsLn as *const () as usize),
        ("vmsLog10", vmsLog10 as *const () as usize),
        ("vmsLog2", vmsLog2 as *const () as usize),
        ("vmsSin", vmsSin as *const () as usize),
        ("vmsCos", vmsCos as *const () as usize),
        ("vmsTan", vmsTan as *const () as usize),
        ("vmsTanh", vmsTanh as *const () as usize),
        ("vmsSqrt", vmsSqrt as *const () as usize),
        ("vmsErf", vmsErf as *const () as usize),
        ("vmsErfc", vmsErfc as *const () as usize),
        ("vmsAcos", vmsAcos as *const () as usize),
        ("vmsAsin", vmsAsin as *const () as usize),
        ("vmsAtan", vmsAtan as *const () as usize),
        ("vmsTrunc", vmsTrunc as *const () as usize),
    ]
}

/// For each interposed name, whether the dynamic linker resolves it to our
/// definition (what libtorch's calls will reach).
pub fn resolution() -> Vec<(&'static str, bool)> {
    definitions()
        .into_iter()
        .map(|(name, ours)| {
            let c = std::ffi::CString::new(name).expect("no NUL in names");
            // SAFETY: RTLD_DEFAULT is glibc's NULL handle.
            let found = unsafe { dlsym(std::ptr::null_mut(), c.as_ptr()) } as usize;
            (name, found == ours)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_listed_name_is_defined_here_and_resolves_to_us() {
        let defined: Vec<&str> = definitions().iter().map(|d| d.0).collect();
        assert_eq!(names().collect::<Vec<_>>(), defined);
        for (name, ours) in resolution() {
            assert!(ours, "{name} resolves to another library: the portable mode would not reach it");
        }
    }
}

#[cfg(test)]
mod reach {
    use super::*;
    use tch::{Kind, Tensor};

    /// libtorch's own matrix products and batched products reach the portable
    /// kernels, and give exactly the bits of calling them directly.
    #[test]
    fn libtorch_products_are_served_here_bit_for_bit() {
        crate::estimate::init_thread();
        let a = Tensor::from_slice(&(0..100 * 25).map(|i| ((i * 37 % 101) as f32 - 50.0) / 17.0).collect::<Vec<_>>())
            .reshape([100, 25]);
        let w = Tensor::from_slice(&(0..25 * 30).map(|i| ((i * 53 % 97) as f32 - 48.0) / 31.0).collect::<Vec<_>>())
            .reshape([25, 30]);
        let before = calls_served();
        let c = a.matmul(&w);
        assert!(calls_served() > before, "tch's matmul did not reach the interposed sgemm_");
        let (av, wv): (Vec<f32>, Vec<f32>) =
            (Vec::try_from(a.flatten(0, -1)).unwrap(), Vec::try_from(w.flatten(0, -1)).unwrap());
        let mut want = vec![0f32; 100 * 30];
        unsafe {
            gemm::sgemm(
                100,
                30,
                25,
                1.0,
                Strided { ptr: av.as_ptr(), rs: 25, cs: 1 },
                Strided { ptr: wv.as_ptr(), rs: 30, cs: 1 },
                0.0,
                Strided { ptr: want.as_mut_ptr(), rs: 30, cs: 1 },
            );
        }
        let got: Vec<f32> = Vec::try_from(c.flatten(0, -1)).unwrap();
        assert!(got.iter().zip(&want).all(|(x, y)| x.to_bits() == y.to_bits()));
        // A batch of two equal slices: each slice has the single product's bits.
        let before = calls_served();
        let batched = Tensor::stack(&[&a, &a], 0).bmm(&Tensor::stack(&[&w, &w], 0));
        assert!(calls_served() > before, "bmm did not reach the interposed batch product");
        let slice: Vec<f32> = Vec::try_from(batched.get(1).flatten(0, -1)).unwrap();
        assert!(slice.iter().zip(&want).all(|(x, y)| x.to_bits() == y.to_bits()));
        let _ = Kind::Float;
    }

    /// libtorch's `tanh` reaches the interposed `vmsTanh` and gives exactly
    /// `libm::tanhf`'s bits (the vectorised copy on whole chunks, the scalar
    /// function on the tail: 10,003 elements have both).
    #[test]
    fn libtorch_tanh_is_served_here_with_libms_bits() {
        crate::estimate::init_thread();
        let xs: Vec<f32> = (0..10_003).map(|i| (i as f32 - 5001.0) / 613.0).collect();
        let before = calls_served();
        let y = Tensor::from_slice(&xs).tanh();
        assert!(calls_served() > before, "tch's tanh did not reach the interposed vmsTanh");
        let got: Vec<f32> = Vec::try_from(y).unwrap();
        assert_eq!(got.len(), xs.len());
        assert!(got.iter().zip(&xs).all(|(g, x)| g.to_bits() == libm::tanhf(*x).to_bits()));
    }
}
