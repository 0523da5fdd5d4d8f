//! Predefined reduction operations on packed bytes.
//!
//! A reduction sees its data as packed bytes (`UserBuf` order, no holes): a run of elements of
//! one predefined [`Kind`]. [`kind_of`] maps a predefined datatype handle to its kind,
//! [`check`] says whether an operation is defined on it (MPI-1.2 section 4.9.2, with MPICH's
//! extensions so that programs MPICH accepts are accepted here too: `MPI_CHAR` and
//! `MPI_CHARACTER` count as integers, the logical operations also take floating point), and
//! [`apply`] computes `inout[i] = in[i] op inout[i]`.
//!
//! `long double` is the x86 80-bit format stored in 16 bytes, computed in software with the
//! x87's rounding (to nearest, ties to even, 64-bit significand), so results match what
//! the program would compute itself (the six padding bytes of a result are zero).
//! Quad-precision Fortran types (`MPI_REAL16`, `MPI_COMPLEX32`) are not supported.
#![forbid(unsafe_code)]

use crate::abi::consts as c;

/// A predefined operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    Max,
    Min,
    Sum,
    Prod,
    Land,
    Band,
    Lor,
    Bor,
    Lxor,
    Bxor,
    Minloc,
    Maxloc,
    Replace,
    NoOp,
}

impl Builtin {
    /// The operation behind a predefined `MPI_Op` handle.
    pub fn from_handle(h: i32) -> Option<Builtin> {
        Some(match h {
            c::MPI_MAX => Builtin::Max,
            c::MPI_MIN => Builtin::Min,
            c::MPI_SUM => Builtin::Sum,
            c::MPI_PROD => Builtin::Prod,
            c::MPI_LAND => Builtin::Land,
            c::MPI_BAND => Builtin::Band,
            c::MPI_LOR => Builtin::Lor,
            c::MPI_BOR => Builtin::Bor,
            c::MPI_LXOR => Builtin::Lxor,
            c::MPI_BXOR => Builtin::Bxor,
            c::MPI_MINLOC => Builtin::Minloc,
            c::MPI_MAXLOC => Builtin::Maxloc,
            c::MPI_REPLACE => Builtin::Replace,
            c::MPI_NO_OP => Builtin::NoOp,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Builtin::Max => "MPI_MAX",
            Builtin::Min => "MPI_MIN",
            Builtin::Sum => "MPI_SUM",
            Builtin::Prod => "MPI_PROD",
            Builtin::Land => "MPI_LAND",
            Builtin::Band => "MPI_BAND",
            Builtin::Lor => "MPI_LOR",
            Builtin::Bor => "MPI_BOR",
            Builtin::Lxor => "MPI_LXOR",
            Builtin::Bxor => "MPI_BXOR",
            Builtin::Minloc => "MPI_MINLOC",
            Builtin::Maxloc => "MPI_MAXLOC",
            Builtin::Replace => "MPI_REPLACE",
            Builtin::NoOp => "MPI_NO_OP",
        }
    }
}

/// The value and index of a MINLOC/MAXLOC pair type, in packed order (value first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pair {
    /// `MPI_FLOAT_INT`
    F32I32,
    /// `MPI_DOUBLE_INT`
    F64I32,
    /// `MPI_LONG_INT`
    I64I32,
    /// `MPI_SHORT_INT`
    I16I32,
    /// `MPI_2INT`, `MPI_2INTEGER`
    I32I32,
    /// `MPI_LONG_DOUBLE_INT`
    F80I32,
    /// `MPI_2REAL`: the index is a REAL too.
    F32F32,
    /// `MPI_2DOUBLE_PRECISION`: the index is a DOUBLE PRECISION too.
    F64F64,
}

/// What one element of a predefined type is, for arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    I64,
    U64,
    F32,
    F64,
    /// x87 extended precision in 16 bytes (`long double`).
    F80,
    /// Complex of two `f32`.
    C32,
    /// Complex of two `f64`.
    C64,
    /// Complex of two `long double` (32 bytes).
    C80,
    /// C `_Bool` and C++ `bool`: one byte.
    Bool,
    /// Fortran LOGICAL: four bytes, non-zero is true, results are 1 or 0.
    Logical,
    /// `MPI_BYTE`: only the bitwise operations.
    Byte,
    Pair(Pair),
}

/// The type classes of MPI-1.2 section 4.9.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Integer,
    Float,
    Complex,
    Logical,
    Byte,
    Pair,
}

impl Kind {
    /// Packed bytes of one element.
    pub fn size(self) -> usize {
        match self {
            Kind::I8 | Kind::U8 | Kind::Bool | Kind::Byte => 1,
            Kind::I16 | Kind::U16 => 2,
            Kind::I32 | Kind::U32 | Kind::F32 | Kind::Logical => 4,
            Kind::I64 | Kind::U64 | Kind::F64 | Kind::C32 => 8,
            Kind::F80 | Kind::C64 => 16,
            Kind::C80 => 32,
            Kind::Pair(p) => match p {
                Pair::F32I32 | Pair::I32I32 | Pair::F32F32 => 8,
                Pair::F64I32 | Pair::I64I32 => 12,
                Pair::I16I32 => 6,
                Pair::F80I32 => 20,
                Pair::F64F64 => 16,
            },
        }
    }

    fn class(self) -> Class {
        match self {
            Kind::I8 | Kind::U8 | Kind::I16 | Kind::U16 | Kind::I32 | Kind::U32 | Kind::I64 | Kind::U64 => Class::Integer,
            Kind::F32 | Kind::F64 | Kind::F80 => Class::Float,
            Kind::C32 | Kind::C64 | Kind::C80 => Class::Complex,
            Kind::Bool | Kind::Logical => Class::Logical,
            Kind::Byte => Class::Byte,
            Kind::Pair(_) => Class::Pair,
        }
    }
}

/// The kind of a predefined datatype handle; `None` for types no predefined operation
/// applies to (`MPI_PACKED`, `MPI_WCHAR`, `MPI_LB`, quad precision, ...).
pub fn kind_of(datatype: i32) -> Option<Kind> {
    Some(match datatype {
        c::MPI_CHAR | c::MPI_SIGNED_CHAR | c::MPI_CHARACTER | c::MPI_INTEGER1 | c::MPI_INT8_T => Kind::I8,
        c::MPI_UNSIGNED_CHAR | c::MPI_UINT8_T => Kind::U8,
        c::MPI_SHORT | c::MPI_INTEGER2 | c::MPI_INT16_T => Kind::I16,
        c::MPI_UNSIGNED_SHORT | c::MPI_UINT16_T => Kind::U16,
        c::MPI_INT | c::MPI_INTEGER | c::MPI_INTEGER4 | c::MPI_INT32_T => Kind::I32,
        c::MPI_UNSIGNED | c::MPI_UINT32_T => Kind::U32,
        c::MPI_LONG | c::MPI_LONG_LONG_INT | c::MPI_INTEGER8 | c::MPI_INT64_T | c::MPI_AINT | c::MPI_OFFSET | c::MPI_COUNT => {
            Kind::I64
        }
        c::MPI_UNSIGNED_LONG | c::MPI_UNSIGNED_LONG_LONG | c::MPI_UINT64_T => Kind::U64,
        c::MPI_FLOAT | c::MPI_REAL | c::MPI_REAL4 => Kind::F32,
        c::MPI_DOUBLE | c::MPI_DOUBLE_PRECISION | c::MPI_REAL8 => Kind::F64,
        c::MPI_LONG_DOUBLE => Kind::F80,
        c::MPI_COMPLEX | c::MPI_COMPLEX8 | c::MPI_C_FLOAT_COMPLEX | c::MPI_CXX_FLOAT_COMPLEX => Kind::C32,
        c::MPI_DOUBLE_COMPLEX | c::MPI_COMPLEX16 | c::MPI_C_DOUBLE_COMPLEX | c::MPI_CXX_DOUBLE_COMPLEX => Kind::C64,
        c::MPI_C_LONG_DOUBLE_COMPLEX | c::MPI_CXX_LONG_DOUBLE_COMPLEX => Kind::C80,
        c::MPI_C_BOOL | c::MPI_CXX_BOOL => Kind::Bool,
        c::MPI_LOGICAL => Kind::Logical,
        c::MPI_BYTE => Kind::Byte,
        c::MPI_FLOAT_INT => Kind::Pair(Pair::F32I32),
        c::MPI_DOUBLE_INT => Kind::Pair(Pair::F64I32),
        c::MPI_LONG_INT => Kind::Pair(Pair::I64I32),
        c::MPI_SHORT_INT => Kind::Pair(Pair::I16I32),
        c::MPI_2INT | c::MPI_2INTEGER => Kind::Pair(Pair::I32I32),
        c::MPI_LONG_DOUBLE_INT => Kind::Pair(Pair::F80I32),
        c::MPI_2REAL => Kind::Pair(Pair::F32F32),
        c::MPI_2DOUBLE_PRECISION => Kind::Pair(Pair::F64F64),
        _ => return None,
    })
}

/// Whether `op` is defined on elements of `kind` (`MPI_ERR_OP` otherwise). `MPI_REPLACE` and
/// `MPI_NO_OP` belong to one-sided accumulate, not to collective reductions.
pub fn check(op: Builtin, kind: Kind) -> bool {
    use Class::*;
    let class = kind.class();
    match op {
        Builtin::Max | Builtin::Min => matches!(class, Integer | Float),
        Builtin::Sum | Builtin::Prod => matches!(class, Integer | Float | Complex),
        Builtin::Land | Builtin::Lor | Builtin::Lxor => matches!(class, Integer | Float | Logical),
        Builtin::Band | Builtin::Bor | Builtin::Bxor => matches!(class, Integer | Byte),
        Builtin::Minloc | Builtin::Maxloc => class == Pair,
        Builtin::Replace | Builtin::NoOp => false,
    }
}

/// `inout[i] = input[i] op inout[i]` for every element. Both slices hold whole elements of
/// `kind` and have the same length; `op` is legal on `kind` ([`check`]).
pub fn apply(op: Builtin, kind: Kind, input: &[u8], inout: &mut [u8]) {
    debug_assert_eq!(input.len(), inout.len());
    debug_assert!(check(op, kind), "{} on {kind:?}", op.name());
    match kind {
        Kind::I8 => int::<1, i8>(op, input, inout, i8::from_ne_bytes, i8::to_ne_bytes),
        Kind::U8 => int::<1, u8>(op, input, inout, u8::from_ne_bytes, u8::to_ne_bytes),
        Kind::I16 => int::<2, i16>(op, input, inout, i16::from_ne_bytes, i16::to_ne_bytes),
        Kind::U16 => int::<2, u16>(op, input, inout, u16::from_ne_bytes, u16::to_ne_bytes),
        Kind::I32 => int::<4, i32>(op, input, inout, i32::from_ne_bytes, i32::to_ne_bytes),
        Kind::U32 => int::<4, u32>(op, input, inout, u32::from_ne_bytes, u32::to_ne_bytes),
        Kind::I64 => int::<8, i64>(op, input, inout, i64::from_ne_bytes, i64::to_ne_bytes),
        Kind::U64 => int::<8, u64>(op, input, inout, u64::from_ne_bytes, u64::to_ne_bytes),
        Kind::Byte => int::<1, u8>(op, input, inout, u8::from_ne_bytes, u8::to_ne_bytes),
        Kind::F32 => float::<4, f32>(op, input, inout, f32::from_ne_bytes, f32::to_ne_bytes),
        Kind::F64 => float::<8, f64>(op, input, inout, f64::from_ne_bytes, f64::to_ne_bytes),
        Kind::F80 => long_double(op, input, inout),
        Kind::C32 => complex::<8, f32>(op, input, inout, |b| {
            (f32::from_ne_bytes(b[..4].try_into().expect("4")), f32::from_ne_bytes(b[4..].try_into().expect("4")))
        }, |(re, im)| {
            let mut o = [0u8; 8];
            o[..4].copy_from_slice(&re.to_ne_bytes());
            o[4..].copy_from_slice(&im.to_ne_bytes());
            o
        }),
        Kind::C64 => complex::<16, f64>(op, input, inout, |b| {
            (f64::from_ne_bytes(b[..8].try_into().expect("8")), f64::from_ne_bytes(b[8..].try_into().expect("8")))
        }, |(re, im)| {
            let mut o = [0u8; 16];
            o[..8].copy_from_slice(&re.to_ne_bytes());
            o[8..].copy_from_slice(&im.to_ne_bytes());
            o
        }),
        Kind::C80 => complex::<32, X80>(op, input, inout, |b| {
            (X80(b[..16].try_into().expect("16")), X80(b[16..].try_into().expect("16")))
        }, |(re, im)| {
            let mut o = [0u8; 32];
            o[..16].copy_from_slice(&re.0);
            o[16..].copy_from_slice(&im.0);
            o
        }),
        Kind::Bool => logical::<1>(op, input, inout),
        Kind::Logical => logical::<4>(op, input, inout),
        Kind::Pair(p) => pair(op, p, input, inout),
    }
}

/// Applies `f(in, inout) -> new inout` to each element of `N` bytes.
#[inline(always)]
fn each<const N: usize>(input: &[u8], inout: &mut [u8], f: impl Fn([u8; N], [u8; N]) -> [u8; N]) {
    let (a, _) = input.as_chunks::<N>();
    let (b, _) = inout.as_chunks_mut::<N>();
    for (x, y) in a.iter().zip(b.iter_mut()) {
        *y = f(*x, *y);
    }
}

/// Integer arithmetic on the machine's integers, wrapping like C's unsigned arithmetic.
trait Int: Copy + Ord + Default + Eq {
    fn wadd(self, o: Self) -> Self;
    fn wmul(self, o: Self) -> Self;
    fn and(self, o: Self) -> Self;
    fn or(self, o: Self) -> Self;
    fn xor(self, o: Self) -> Self;
    fn one() -> Self;
}

macro_rules! impl_int {
    ($($t:ty),*) => {$(
        impl Int for $t {
            #[inline(always)] fn wadd(self, o: Self) -> Self { self.wrapping_add(o) }
            #[inline(always)] fn wmul(self, o: Self) -> Self { self.wrapping_mul(o) }
            #[inline(always)] fn and(self, o: Self) -> Self { self & o }
            #[inline(always)] fn or(self, o: Self) -> Self { self | o }
            #[inline(always)] fn xor(self, o: Self) -> Self { self ^ o }
            #[inline(always)] fn one() -> Self { 1 }
        }
    )*};
}
impl_int!(i8, u8, i16, u16, i32, u32, i64, u64);

#[inline(always)]
fn int<const N: usize, T: Int>(op: Builtin, input: &[u8], inout: &mut [u8], from: fn([u8; N]) -> T, to: fn(T) -> [u8; N]) {
    let z = T::default();
    let truth = |b: bool| if b { T::one() } else { z };
    match op {
        Builtin::Max => each::<N>(input, inout, |a, b| to(from(a).max(from(b)))),
        Builtin::Min => each::<N>(input, inout, |a, b| to(from(a).min(from(b)))),
        Builtin::Sum => each::<N>(input, inout, |a, b| to(from(a).wadd(from(b)))),
        Builtin::Prod => each::<N>(input, inout, |a, b| to(from(a).wmul(from(b)))),
        Builtin::Band => each::<N>(input, inout, |a, b| to(from(a).and(from(b)))),
        Builtin::Bor => each::<N>(input, inout, |a, b| to(from(a).or(from(b)))),
        Builtin::Bxor => each::<N>(input, inout, |a, b| to(from(a).xor(from(b)))),
        Builtin::Land => each::<N>(input, inout, |a, b| to(truth(from(a) != z && from(b) != z))),
        Builtin::Lor => each::<N>(input, inout, |a, b| to(truth(from(a) != z || from(b) != z))),
        Builtin::Lxor => each::<N>(input, inout, |a, b| to(truth((from(a) != z) != (from(b) != z)))),
        _ => unreachable!("checked: {} is not defined on integers", op.name()),
    }
}

trait Float: Copy + PartialOrd + std::ops::Add<Output = Self> + std::ops::Mul<Output = Self> + std::ops::Sub<Output = Self> {
    fn zero() -> Self;
    fn one() -> Self;
}
impl Float for f32 {
    fn zero() -> Self {
        0.0
    }
    fn one() -> Self {
        1.0
    }
}
impl Float for f64 {
    fn zero() -> Self {
        0.0
    }
    fn one() -> Self {
        1.0
    }
}

#[inline(always)]
fn float<const N: usize, T: Float>(op: Builtin, input: &[u8], inout: &mut [u8], from: fn([u8; N]) -> T, to: fn(T) -> [u8; N]) {
    let z = T::zero();
    let truth = |b: bool| if b { T::one() } else { z };
    match op {
        // As MPICH: `(a > b) ? a : b`, with a the incoming value.
        Builtin::Max => each::<N>(input, inout, |a, b| if from(a) > from(b) { a } else { b }),
        Builtin::Min => each::<N>(input, inout, |a, b| if from(a) < from(b) { a } else { b }),
        Builtin::Sum => each::<N>(input, inout, |a, b| to(from(a) + from(b))),
        Builtin::Prod => each::<N>(input, inout, |a, b| to(from(a) * from(b))),
        Builtin::Land => each::<N>(input, inout, |a, b| to(truth(from(a) != z && from(b) != z))),
        Builtin::Lor => each::<N>(input, inout, |a, b| to(truth(from(a) != z || from(b) != z))),
        Builtin::Lxor => each::<N>(input, inout, |a, b| to(truth((from(a) != z) != (from(b) != z)))),
        _ => unreachable!("checked: {} is not defined on floating point", op.name()),
    }
}

#[inline(always)]
fn complex<const N: usize, T: Float>(op: Builtin, input: &[u8], inout: &mut [u8], from: impl Fn([u8; N]) -> (T, T), to: impl Fn((T, T)) -> [u8; N]) {
    match op {
        Builtin::Sum => each::<N>(input, inout, |a, b| {
            let ((ar, ai), (br, bi)) = (from(a), from(b));
            to((ar + br, ai + bi))
        }),
        Builtin::Prod => each::<N>(input, inout, |a, b| {
            let ((ar, ai), (br, bi)) = (from(a), from(b));
            to((ar * br - ai * bi, ar * bi + ai * br))
        }),
        _ => unreachable!("checked: {} is not defined on complex", op.name()),
    }
}

#[inline(always)]
fn logical<const N: usize>(op: Builtin, input: &[u8], inout: &mut [u8]) {
    let t = |x: [u8; N]| x.iter().any(|&b| b != 0);
    let out = |v: bool| {
        let mut o = [0u8; N];
        o[0] = v as u8;
        o
    };
    match op {
        Builtin::Land => each::<N>(input, inout, |a, b| out(t(a) && t(b))),
        Builtin::Lor => each::<N>(input, inout, |a, b| out(t(a) || t(b))),
        Builtin::Lxor => each::<N>(input, inout, |a, b| out(t(a) != t(b))),
        _ => unreachable!("checked: {} is not defined on logicals", op.name()),
    }
}

fn long_double(op: Builtin, input: &[u8], inout: &mut [u8]) {
    let truth = |b: bool| f64_to_f80(if b { 1.0 } else { 0.0 });
    match op {
        Builtin::Max => each::<16>(input, inout, |a, b| if f80_cmp(&a, &b) == std::cmp::Ordering::Greater { a } else { b }),
        Builtin::Min => each::<16>(input, inout, |a, b| if f80_cmp(&a, &b) == std::cmp::Ordering::Less { a } else { b }),
        Builtin::Sum => each::<16>(input, inout, f80_add),
        Builtin::Prod => each::<16>(input, inout, f80_mul),
        Builtin::Land => each::<16>(input, inout, |a, b| truth(!f80_is_zero(&a) && !f80_is_zero(&b))),
        Builtin::Lor => each::<16>(input, inout, |a, b| truth(!f80_is_zero(&a) || !f80_is_zero(&b))),
        Builtin::Lxor => each::<16>(input, inout, |a, b| truth(f80_is_zero(&a) != f80_is_zero(&b))),
        _ => unreachable!("checked: {} is not defined on long double", op.name()),
    }
}

/// A MINLOC/MAXLOC value or index, ordered.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Num {
    I(i64),
    F(f64),
    /// Raw 80-bit value, compared exactly.
    X([u8; 16]),
}

fn num_cmp(a: &Num, b: &Num) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Num::X(x), Num::X(y)) => Some(f80_cmp(x, y)),
        _ => a.partial_cmp(b),
    }
}

/// (value offset, value kind, index offset, index kind) within a packed pair.
fn pair_fields(p: Pair) -> ((usize, Kind), (usize, Kind)) {
    match p {
        Pair::F32I32 => ((0, Kind::F32), (4, Kind::I32)),
        Pair::F64I32 => ((0, Kind::F64), (8, Kind::I32)),
        Pair::I64I32 => ((0, Kind::I64), (8, Kind::I32)),
        Pair::I16I32 => ((0, Kind::I16), (2, Kind::I32)),
        Pair::I32I32 => ((0, Kind::I32), (4, Kind::I32)),
        Pair::F80I32 => ((0, Kind::F80), (16, Kind::I32)),
        Pair::F32F32 => ((0, Kind::F32), (4, Kind::F32)),
        Pair::F64F64 => ((0, Kind::F64), (8, Kind::F64)),
    }
}

fn read_num(b: &[u8], at: usize, k: Kind) -> Num {
    let s = &b[at..at + k.size()];
    match k {
        Kind::I16 => Num::I(i16::from_ne_bytes(s.try_into().expect("2")) as i64),
        Kind::I32 => Num::I(i32::from_ne_bytes(s.try_into().expect("4")) as i64),
        Kind::I64 => Num::I(i64::from_ne_bytes(s.try_into().expect("8"))),
        Kind::F32 => Num::F(f32::from_ne_bytes(s.try_into().expect("4")) as f64),
        Kind::F64 => Num::F(f64::from_ne_bytes(s.try_into().expect("8"))),
        Kind::F80 => Num::X(s.try_into().expect("16")),
        _ => unreachable!("pair fields are integers or reals"),
    }
}

fn pair(op: Builtin, p: Pair, input: &[u8], inout: &mut [u8]) {
    use std::cmp::Ordering::*;
    let ((voff, vk), (ioff, ik)) = pair_fields(p);
    let n = Kind::Pair(p).size();
    let want = if op == Builtin::Minloc { Less } else { Greater };
    for (a, b) in input.chunks_exact(n).zip(inout.chunks_exact_mut(n)) {
        let (va, vb) = (read_num(a, voff, vk), read_num(b, voff, vk));
        match num_cmp(&va, &vb) {
            Some(o) if o == want => b.copy_from_slice(a),
            // Equal values: the smaller index wins.
            Some(Equal) if num_cmp(&read_num(a, ioff, ik), &read_num(b, ioff, ik)) == Some(Less) => {
                b[ioff..ioff + ik.size()].copy_from_slice(&a[ioff..ioff + ik.size()]);
            }
            _ => {}
        }
    }
}

// ---------------------------------------------------------------------------------------------
// x87 extended precision: 64-bit significand with an explicit integer bit, 15-bit exponent
// (bias 16383) and sign in the two bytes above it; six bytes of padding.

fn f80_parts(x: &[u8; 16]) -> (bool, u16, u64) {
    let mant = u64::from_le_bytes(x[..8].try_into().expect("8"));
    let se = u16::from_le_bytes([x[8], x[9]]);
    (se & 0x8000 != 0, se & 0x7fff, mant)
}

fn f80_is_zero(x: &[u8; 16]) -> bool {
    let (_, e, m) = f80_parts(x);
    e == 0 && m == 0
}

/// Exact comparison of two 80-bit values (NaNs compare as equal to everything).
fn f80_cmp(a: &[u8; 16], b: &[u8; 16]) -> std::cmp::Ordering {
    use std::cmp::Ordering::*;
    let is_nan = |x: &[u8; 16]| {
        let (_, e, m) = f80_parts(x);
        e == 0x7fff && (m << 1) != 0
    };
    if is_nan(a) || is_nan(b) {
        return Equal;
    }
    // Sign-magnitude to a totally ordered key; both zeros map to 0.
    let key = |x: &[u8; 16]| -> i128 {
        let (s, e, m) = f80_parts(x);
        let mag = ((e as i128) << 64) | m as i128;
        if s { -mag } else { mag }
    };
    key(a).cmp(&key(b))
}

/// `x * 2^n` without overflow in the intermediate steps.
fn scale(mut x: f64, mut n: i32) -> f64 {
    while n > 1000 {
        x *= 2f64.powi(1000);
        n -= 1000;
    }
    while n < -1000 {
        x *= 2f64.powi(-1000);
        n += 1000;
    }
    x * 2f64.powi(n)
}

/// Nearest `f64` to an 80-bit value.
pub fn f80_to_f64(x: [u8; 16]) -> f64 {
    let (s, e, m) = f80_parts(&x);
    let sign = if s { -1.0 } else { 1.0 };
    if e == 0x7fff {
        return if m << 1 == 0 { sign * f64::INFINITY } else { f64::NAN };
    }
    if m == 0 {
        return sign * 0.0;
    }
    let exp = if e == 0 { 1 - 16383 } else { e as i32 - 16383 };
    sign * scale(m as f64, exp - 63)
}

/// The 80-bit value of an `f64` (exact).
pub fn f64_to_f80(v: f64) -> [u8; 16] {
    let bits = v.to_bits();
    let sign = ((bits >> 63) as u16) << 15;
    let e64 = ((bits >> 52) & 0x7ff) as i32;
    let frac = bits & ((1u64 << 52) - 1);
    let (e, m) = if e64 == 0x7ff {
        (0x7fff, if frac == 0 { 1u64 << 63 } else { (1u64 << 63) | (1u64 << 62) | (frac << 11) })
    } else if e64 == 0 {
        if frac == 0 {
            (0, 0)
        } else {
            // Subnormal f64: normalise (always normal in 80 bits).
            let shift = frac.leading_zeros() as i32;
            let m = frac << shift;
            ((1 - 1023 - (shift - 11)) + 16383, m)
        }
    } else {
        (e64 - 1023 + 16383, (1u64 << 63) | (frac << 11))
    };
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&m.to_le_bytes());
    out[8..10].copy_from_slice(&(sign | e as u16).to_le_bytes());
    out
}

/// An 80-bit value with software arithmetic, for complex `long double`.
#[derive(Clone, Copy)]
struct X80([u8; 16]);

impl std::ops::Add for X80 {
    type Output = X80;
    fn add(self, o: X80) -> X80 {
        X80(f80_add(self.0, o.0))
    }
}

impl std::ops::Sub for X80 {
    type Output = X80;
    fn sub(self, o: X80) -> X80 {
        X80(f80_add(self.0, f80_neg(o.0)))
    }
}

impl std::ops::Mul for X80 {
    type Output = X80;
    fn mul(self, o: X80) -> X80 {
        X80(f80_mul(self.0, o.0))
    }
}

impl PartialEq for X80 {
    fn eq(&self, o: &X80) -> bool {
        self.partial_cmp(o) == Some(std::cmp::Ordering::Equal)
    }
}

impl PartialOrd for X80 {
    fn partial_cmp(&self, o: &X80) -> Option<std::cmp::Ordering> {
        let nan = |x: &[u8; 16]| {
            let (_, e, m) = f80_parts(x);
            e == 0x7fff && (m << 1) != 0
        };
        if nan(&self.0) || nan(&o.0) { None } else { Some(f80_cmp(&self.0, &o.0)) }
    }
}

impl Float for X80 {
    fn zero() -> Self {
        X80(f64_to_f80(0.0))
    }
    fn one() -> Self {
        X80(f64_to_f80(1.0))
    }
}

/// `-x`: the sign is the top bit of byte 9.
fn f80_neg(mut x: [u8; 16]) -> [u8; 16] {
    x[9] ^= 0x80;
    x
}

/// An 80-bit value taken apart: `(-1)^neg * mant * 2^exp` with `mant` normalised (top bit
/// set).
#[derive(Clone, Copy)]
enum Unpacked {
    Nan,
    Inf(bool),
    Zero(bool),
    Num { neg: bool, exp: i32, mant: u64 },
}

/// Exponent of the significand's unit bit for the smallest (denormal) values.
const F80_EMIN: i32 = 1 - 16383 - 63;

fn unpack(x: &[u8; 16]) -> Unpacked {
    let (neg, e, m) = f80_parts(x);
    if e == 0x7fff {
        return if m << 1 == 0 { Unpacked::Inf(neg) } else { Unpacked::Nan };
    }
    if m == 0 {
        return Unpacked::Zero(neg);
    }
    let exp = if e == 0 { F80_EMIN } else { e as i32 - 16383 - 63 };
    let lz = m.leading_zeros();
    Unpacked::Num { neg, exp: exp - lz as i32, mant: m << lz }
}

fn encode(neg: bool, biased: u16, mant: u64) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&mant.to_le_bytes());
    out[8..10].copy_from_slice(&(((neg as u16) << 15) | biased).to_le_bytes());
    out
}

const F80_NAN: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff, 0, 0, 0, 0, 0, 0];

/// Rounds `r * 2^exp` (r > 0) to 80 bits, to nearest with ties to even. Bits lost before
/// (alignment) must be jammed into bit 0 of `r`, which then has guard bits below the
/// result's last place.
fn round_pack(neg: bool, r: u128, exp: i32) -> [u8; 16] {
    let top = 127 - r.leading_zeros() as i32;
    let mut shift = top - 63;
    let mut e = exp + shift;
    if e < F80_EMIN {
        shift += F80_EMIN - e;
        e = F80_EMIN;
    }
    let mut q = if shift <= 0 {
        r << (-shift) as u32
    } else if shift > 127 {
        0
    } else {
        let q = r >> shift as u32;
        let rem = r & ((1u128 << shift as u32) - 1);
        let half = 1u128 << (shift as u32 - 1);
        if rem > half || (rem == half && q & 1 == 1) { q + 1 } else { q }
    };
    if q == 1u128 << 64 {
        q >>= 1;
        e += 1;
    }
    if q == 0 {
        return encode(neg, 0, 0);
    }
    let mant = q as u64;
    let biased = if mant >> 63 == 1 { e + 16383 + 63 } else { 0 };
    if biased >= 0x7fff {
        return encode(neg, 0x7fff, 1 << 63);
    }
    encode(neg, biased as u16, mant)
}

/// `a + b` in 80-bit arithmetic.
fn f80_add(a: [u8; 16], b: [u8; 16]) -> [u8; 16] {
    use Unpacked::*;
    match (unpack(&a), unpack(&b)) {
        (Nan, _) | (_, Nan) => F80_NAN,
        (Inf(s), Inf(t)) => {
            if s == t { a } else { F80_NAN }
        }
        (Inf(_), _) => a,
        (_, Inf(_)) => b,
        (Zero(s), Zero(t)) => encode(s && t, 0, 0),
        (Zero(_), _) => b,
        (_, Zero(_)) => a,
        (Num { neg: sa, exp: ea, mant: ma }, Num { neg: sb, exp: eb, mant: mb }) => {
            let ((big_neg, big_exp, big_mant), (_, small_exp, small_mant)) =
                if (ea, ma) >= (eb, mb) { ((sa, ea, ma), (sb, eb, mb)) } else { ((sb, eb, mb), (sa, ea, ma)) };
            // 62 guard bits below the larger significand; what falls off the smaller one
            // is jammed into the lowest bit.
            let x = (big_mant as u128) << 62;
            let d = (big_exp - small_exp) as u32;
            let full = (small_mant as u128) << 62;
            let y = if d >= 126 { 1 } else { (full >> d) | u128::from(full & ((1u128 << d) - 1) != 0) };
            let r = if sa == sb { x + y } else { x - y };
            if r == 0 {
                return encode(false, 0, 0);
            }
            round_pack(big_neg, r, big_exp - 62)
        }
    }
}

/// `a * b` in 80-bit arithmetic.
fn f80_mul(a: [u8; 16], b: [u8; 16]) -> [u8; 16] {
    use Unpacked::*;
    let neg = (a[9] ^ b[9]) & 0x80 != 0;
    match (unpack(&a), unpack(&b)) {
        (Nan, _) | (_, Nan) => F80_NAN,
        (Inf(_), Zero(_)) | (Zero(_), Inf(_)) => F80_NAN,
        (Inf(_), _) | (_, Inf(_)) => encode(neg, 0x7fff, 1 << 63),
        (Zero(_), _) | (_, Zero(_)) => encode(neg, 0, 0),
        (Num { exp: ea, mant: ma, .. }, Num { exp: eb, mant: mb, .. }) => round_pack(neg, ma as u128 * mb as u128, ea + eb),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes<T: Copy, const N: usize>(v: &[T], f: fn(T) -> [u8; N]) -> Vec<u8> {
        v.iter().flat_map(|&x| f(x)).collect()
    }

    fn run(op: Builtin, dt: i32, a: &[u8], b: &[u8]) -> Vec<u8> {
        let k = kind_of(dt).expect("predefined");
        assert!(check(op, k), "{} on {k:?}", op.name());
        let mut out = b.to_vec();
        apply(op, k, a, &mut out);
        out
    }

    #[test]
    fn integer_ops() {
        let a = bytes(&[1i32, -5, 7, i32::MAX], i32::to_ne_bytes);
        let b = bytes(&[3i32, 2, 0, 1], i32::to_ne_bytes);
        let get = |v: Vec<u8>| v.chunks(4).map(|c| i32::from_ne_bytes(c.try_into().unwrap())).collect::<Vec<_>>();
        assert_eq!(get(run(Builtin::Sum, c::MPI_INT, &a, &b)), vec![4, -3, 7, i32::MIN]);
        assert_eq!(get(run(Builtin::Max, c::MPI_INT, &a, &b)), vec![3, 2, 7, i32::MAX]);
        assert_eq!(get(run(Builtin::Min, c::MPI_INTEGER, &a, &b)), vec![1, -5, 0, 1]);
        assert_eq!(get(run(Builtin::Prod, c::MPI_INT, &a, &b)), vec![3, -10, 0, i32::MAX]);
        assert_eq!(get(run(Builtin::Land, c::MPI_INT, &a, &b)), vec![1, 1, 0, 1]);
        assert_eq!(get(run(Builtin::Lxor, c::MPI_INT, &a, &b)), vec![0, 0, 1, 0]);
        assert_eq!(get(run(Builtin::Bxor, c::MPI_INT, &a, &b)), vec![2, -5 ^ 2, 7, i32::MAX ^ 1]);
        let u = bytes(&[0xf0u8, 0x0f], u8::to_ne_bytes);
        let v = bytes(&[0xffu8, 0x01], u8::to_ne_bytes);
        assert_eq!(run(Builtin::Band, c::MPI_BYTE, &u, &v), vec![0xf0, 0x01]);
        assert_eq!(run(Builtin::Bor, c::MPI_UNSIGNED_CHAR, &u, &v), vec![0xff, 0x0f]);
        let big = bytes(&[u64::MAX, 5], u64::to_ne_bytes);
        let one = bytes(&[1u64, 6], u64::to_ne_bytes);
        assert_eq!(run(Builtin::Max, c::MPI_UNSIGNED_LONG, &big, &one), bytes(&[u64::MAX, 6], u64::to_ne_bytes));
        assert_eq!(run(Builtin::Sum, c::MPI_UINT64_T, &big, &one), bytes(&[0u64, 11], u64::to_ne_bytes));
        let s = bytes(&[-3i16, 300], i16::to_ne_bytes);
        let t = bytes(&[2i16, -300], i16::to_ne_bytes);
        assert_eq!(run(Builtin::Min, c::MPI_SHORT, &s, &t), bytes(&[-3i16, -300], i16::to_ne_bytes));
        let cs = vec![200u8 as i8 as u8, 5];
        let ct = vec![1u8, 100];
        assert_eq!(run(Builtin::Max, c::MPI_SIGNED_CHAR, &cs, &ct), vec![1, 100]);
        assert_eq!(run(Builtin::Max, c::MPI_UNSIGNED_CHAR, &cs, &ct), vec![200, 100]);
    }

    #[test]
    fn floating_ops() {
        let a = bytes(&[1.5f64, -2.0, 1e300], f64::to_ne_bytes);
        let b = bytes(&[0.25f64, 3.0, 1e300], f64::to_ne_bytes);
        assert_eq!(run(Builtin::Sum, c::MPI_DOUBLE, &a, &b), bytes(&[1.75f64, 1.0, 2e300], f64::to_ne_bytes));
        assert_eq!(run(Builtin::Prod, c::MPI_DOUBLE_PRECISION, &a, &b), bytes(&[0.375f64, -6.0, f64::INFINITY], f64::to_ne_bytes));
        assert_eq!(run(Builtin::Max, c::MPI_DOUBLE, &a, &b), bytes(&[1.5f64, 3.0, 1e300], f64::to_ne_bytes));
        let f = bytes(&[1.0f32, 0.0], f32::to_ne_bytes);
        let g = bytes(&[2.0f32, 0.0], f32::to_ne_bytes);
        assert_eq!(run(Builtin::Min, c::MPI_REAL, &f, &g), bytes(&[1.0f32, 0.0], f32::to_ne_bytes));
        assert_eq!(run(Builtin::Lor, c::MPI_FLOAT, &f, &g), bytes(&[1.0f32, 0.0], f32::to_ne_bytes));
    }

    #[test]
    fn complex_product() {
        // (1+2i)(3+4i) = -5+10i
        let a = bytes(&[1.0f64, 2.0], f64::to_ne_bytes);
        let b = bytes(&[3.0f64, 4.0], f64::to_ne_bytes);
        assert_eq!(run(Builtin::Prod, c::MPI_DOUBLE_COMPLEX, &a, &b), bytes(&[-5.0f64, 10.0], f64::to_ne_bytes));
        assert_eq!(run(Builtin::Sum, c::MPI_C_DOUBLE_COMPLEX, &a, &b), bytes(&[4.0f64, 6.0], f64::to_ne_bytes));
        let x = bytes(&[1.0f32, 2.0], f32::to_ne_bytes);
        let y = bytes(&[3.0f32, 4.0], f32::to_ne_bytes);
        assert_eq!(run(Builtin::Prod, c::MPI_COMPLEX, &x, &y), bytes(&[-5.0f32, 10.0], f32::to_ne_bytes));
        let lx: Vec<u8> = [1.0, 2.0].iter().flat_map(|&v| f64_to_f80(v)).collect();
        let ly: Vec<u8> = [3.0, 4.0].iter().flat_map(|&v| f64_to_f80(v)).collect();
        let want: Vec<u8> = [-5.0, 10.0].iter().flat_map(|&v| f64_to_f80(v)).collect();
        assert_eq!(run(Builtin::Prod, c::MPI_C_LONG_DOUBLE_COMPLEX, &lx, &ly), want);
    }

    #[test]
    fn logical_ops() {
        let t = 1i32.to_ne_bytes();
        let f = 0i32.to_ne_bytes();
        let a: Vec<u8> = [t, t, f, f].concat();
        let b: Vec<u8> = [t, f, t, f].concat();
        assert_eq!(run(Builtin::Land, c::MPI_LOGICAL, &a, &b), [t, f, f, f].concat());
        assert_eq!(run(Builtin::Lor, c::MPI_LOGICAL, &a, &b), [t, t, t, f].concat());
        assert_eq!(run(Builtin::Lxor, c::MPI_LOGICAL, &a, &b), [f, t, t, f].concat());
        // Any non-zero LOGICAL is true (some compilers use -1).
        let m = (-1i32).to_ne_bytes();
        assert_eq!(run(Builtin::Land, c::MPI_LOGICAL, &m, &m), t.to_vec());
        assert_eq!(run(Builtin::Lxor, c::MPI_C_BOOL, &[1, 0], &[1, 1]), vec![0, 1]);
    }

    #[test]
    fn minloc_and_maxloc() {
        // MPI_DOUBLE_INT packed: 8 bytes value, 4 bytes index.
        let pair = |v: f64, i: i32| [v.to_ne_bytes().to_vec(), i.to_ne_bytes().to_vec()].concat();
        let a = [pair(1.0, 3), pair(5.0, 7), pair(2.0, 9)].concat();
        let b = [pair(1.0, 2), pair(4.0, 1), pair(3.0, 0)].concat();
        assert_eq!(run(Builtin::Minloc, c::MPI_DOUBLE_INT, &a, &b), [pair(1.0, 2), pair(4.0, 1), pair(2.0, 9)].concat());
        assert_eq!(run(Builtin::Maxloc, c::MPI_DOUBLE_INT, &a, &b), [pair(1.0, 2), pair(5.0, 7), pair(3.0, 0)].concat());
        let ti = |v: i32, i: i32| [v.to_ne_bytes(), i.to_ne_bytes()].concat();
        assert_eq!(run(Builtin::Maxloc, c::MPI_2INT, &ti(4, 5), &ti(4, 2)), ti(4, 2));
        assert_eq!(run(Builtin::Minloc, c::MPI_2INTEGER, &ti(-4, 5), &ti(4, 2)), ti(-4, 5));
        let dd = |v: f64, i: f64| [v.to_ne_bytes(), i.to_ne_bytes()].concat();
        assert_eq!(run(Builtin::Maxloc, c::MPI_2DOUBLE_PRECISION, &dd(2.0, 3.0), &dd(2.0, 1.0)), dd(2.0, 1.0));
        assert_eq!(run(Builtin::Maxloc, c::MPI_2DOUBLE_PRECISION, &dd(2.5, 3.0), &dd(2.0, 1.0)), dd(2.5, 3.0));
        let rr = |v: f32, i: f32| [v.to_ne_bytes(), i.to_ne_bytes()].concat();
        assert_eq!(run(Builtin::Minloc, c::MPI_2REAL, &rr(2.0, 3.0), &rr(2.0, 4.0)), rr(2.0, 3.0));
        let si = |v: i16, i: i32| [v.to_ne_bytes().to_vec(), i.to_ne_bytes().to_vec()].concat();
        assert_eq!(run(Builtin::Maxloc, c::MPI_SHORT_INT, &si(-1, 0), &si(-2, 1)), si(-1, 0));
        let li = |v: f64, i: i32| [f64_to_f80(v).to_vec(), i.to_ne_bytes().to_vec()].concat();
        assert_eq!(run(Builtin::Minloc, c::MPI_LONG_DOUBLE_INT, &li(-1.0, 4), &li(0.5, 1)), li(-1.0, 4));
        assert_eq!(Kind::Pair(Pair::F80I32).size(), 20);
    }

    #[test]
    fn legality_follows_the_type_classes() {
        let k = |dt| kind_of(dt).expect("predefined");
        assert!(!check(Builtin::Band, k(c::MPI_DOUBLE)));
        assert!(!check(Builtin::Max, k(c::MPI_DOUBLE_COMPLEX)));
        assert!(!check(Builtin::Sum, k(c::MPI_LOGICAL)));
        assert!(!check(Builtin::Maxloc, k(c::MPI_INT)));
        assert!(!check(Builtin::Sum, k(c::MPI_2INT)));
        assert!(!check(Builtin::Max, k(c::MPI_BYTE)));
        assert!(!check(Builtin::Replace, k(c::MPI_INT)));
        assert!(check(Builtin::Band, k(c::MPI_BYTE)));
        assert!(check(Builtin::Land, k(c::MPI_C_BOOL)));
        assert!(check(Builtin::Sum, k(c::MPI_CHAR)));
        assert!(check(Builtin::Prod, k(c::MPI_COMPLEX)));
        assert!(kind_of(c::MPI_PACKED).is_none());
        assert!(kind_of(c::MPI_WCHAR).is_none());
        assert!(kind_of(c::MPI_REAL16).is_none());
        assert_eq!(Builtin::from_handle(c::MPI_MAXLOC), Some(Builtin::Maxloc));
        assert_eq!(Builtin::from_handle(c::MPI_OP_NULL), None);
    }

    #[test]
    fn long_double_round_trips_and_compares_exactly() {
        for v in [0.0, -0.0, 1.0, -2.5, 1e-310, 3.0e300, f64::MAX, f64::MIN_POSITIVE, f64::INFINITY] {
            assert_eq!(f80_to_f64(f64_to_f80(v)).to_bits(), v.to_bits(), "{v}");
        }
        // 1 + 2^-63 is not an f64, but MAX still tells it from 1.
        let one = f64_to_f80(1.0);
        let mut above = one;
        above[0] = 1;
        let got = run(Builtin::Max, c::MPI_LONG_DOUBLE, &one, &above);
        assert_eq!(got, above.to_vec());
        let got = run(Builtin::Min, c::MPI_LONG_DOUBLE, &above, &one);
        assert_eq!(got, one.to_vec());
        let neg = f64_to_f80(-3.0);
        assert_eq!(run(Builtin::Max, c::MPI_LONG_DOUBLE, &neg, &one), one.to_vec());
        assert_eq!(run(Builtin::Sum, c::MPI_LONG_DOUBLE, &neg, &one), f64_to_f80(-2.0).to_vec());
        assert_eq!(run(Builtin::Prod, c::MPI_LONG_DOUBLE, &neg, &neg), f64_to_f80(9.0).to_vec());
    }

    /// The integer an 80-bit value holds exactly, if it is a non-negative integer < 2^64.
    fn as_u64(x: [u8; 16]) -> Option<u64> {
        let (neg, e, m) = f80_parts(&x);
        let shift = 16383 + 63 - e as i32;
        if neg || !(0..64).contains(&shift) || m & ((1u64 << shift) - 1) != 0 {
            return if m == 0 { Some(0) } else { None };
        }
        Some(m >> shift)
    }

    fn from_u64(v: u64) -> [u8; 16] {
        if v == 0 {
            return encode(false, 0, 0);
        }
        let lz = v.leading_zeros();
        encode(false, (16383 + 63 - lz) as u16, v << lz)
    }

    #[test]
    fn long_double_arithmetic_is_exact_where_x87_is() {
        // Integers below 2^64 multiply and add exactly.
        let mut seed = 0x9e3779b97f4a7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..10000 {
            let (x, y) = (next() >> 32, next() >> 32);
            assert_eq!(as_u64(f80_mul(from_u64(x), from_u64(y))), Some(x * y));
            let (x, y) = (next() >> 2, next() >> 2);
            assert_eq!(as_u64(f80_add(from_u64(x), from_u64(y))), Some(x + y));
            let (x, y) = (next() >> 1, next() >> 1);
            let (hi, lo) = if x > y { (x, y) } else { (y, x) };
            assert_eq!(as_u64(f80_add(from_u64(hi), f80_neg(from_u64(lo)))), Some(hi - lo));
        }
        // 2^64 - 1 + 1 carries into a new binade; 2^64 + 1 rounds (tie) to even, 2^64 + 3 up.
        assert_eq!(f80_add(from_u64(u64::MAX), from_u64(1)), f64_to_f80(18446744073709551616.0));
        let two64 = f64_to_f80(18446744073709551616.0);
        assert_eq!(f80_add(two64, from_u64(1)), two64);
        assert_eq!(f80_add(two64, from_u64(3)), f80_add(two64, from_u64(4)));
        // Products and sums of doubles agree with f64 where f64 is exact.
        for (a, b) in [(1.5, -2.25), (1e300, 1e10), (3.0, 1e-320), (-0.0, 5.0), (7.0, -7.0)] {
            assert_eq!(f80_to_f64(f80_mul(f64_to_f80(a), f64_to_f80(b))), a * b, "{a} * {b}");
            assert_eq!(f80_to_f64(f80_add(f64_to_f80(a), f64_to_f80(b))), a + b, "{a} + {b}");
        }
        // Beyond double precision: (1 + 2^-60) + 2^-60 = 1 + 2^-59.
        let tiny = f64_to_f80(2f64.powi(-60));
        let one = f64_to_f80(1.0);
        let mut want = one;
        want[0] = 0x10; // 1 + 2^-59: bit 4 of the significand
        assert_eq!(f80_add(f80_add(one, tiny), tiny), want);
        // Overflow to infinity, underflow to denormals, specials.
        let big = f64_to_f80(f64::MAX);
        let inf = f80_mul(f80_mul(big, big), f80_mul(big, big));
        assert_eq!(f80_cmp(&inf, &f64_to_f80(f64::MAX)), std::cmp::Ordering::Greater);
        let small = f64_to_f80(1e-300);
        let mut tiny80 = small;
        for _ in 0..15 {
            tiny80 = f80_mul(tiny80, small);
        }
        let denorm = f80_mul(tiny80, f64_to_f80(1e-140));
        let (_, e, m) = f80_parts(&denorm);
        assert!(e == 0 && m != 0 && m >> 63 == 0, "1e-4940 is a denormal");
        assert_eq!(f80_cmp(&f80_add(denorm, denorm), &f80_mul(denorm, f64_to_f80(2.0))), std::cmp::Ordering::Equal);
        assert_eq!(f80_to_f64(f80_add(f64_to_f80(f64::INFINITY), one)), f64::INFINITY);
        assert!(f80_to_f64(f80_add(f64_to_f80(f64::INFINITY), f64_to_f80(f64::NEG_INFINITY))).is_nan());
        assert!(f80_to_f64(f80_mul(f64_to_f80(f64::INFINITY), f64_to_f80(0.0))).is_nan());
    }
}
