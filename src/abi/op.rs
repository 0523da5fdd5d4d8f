//! Reduction operations (MPI-1.2 section 4.9): the predefined `MPI_Op` handles, and user
//! operations made by `MPI_Op_create`.
//!
//! The runtime reduces packed bytes through a [`Reduction`]; this module builds one from an
//! `MPI_Op` and a datatype. A predefined operation works on the predefined type the datatype
//! is made of (`Datatype::basic`). A user function is wrapped in a closure that makes the
//! one unsafe call: it gets the data in the datatype's own layout, so for a type with holes
//! the packed bytes are first unpacked into scratch buffers laid out like `count` elements
//! of the type, and the result is packed back.

use std::ffi::{c_int, c_void};
use std::sync::Arc;

use once_cell::sync::Lazy;
use parking_lot::Mutex;

use super::consts as c;
use super::errh::dispatch;
use super::types::{MPI_Datatype, MPI_Op, MPI_User_function};
use super::{args, guarded, handle};
use crate::core::datatype::Datatype;
use crate::core::error::{MpiError, Result};
use crate::core::op::{Builtin, check, kind_of};
use crate::runtime::coll::{ReduceFn, Reduction};
use crate::transport::userbuf::UserBuf;

const DIRECT: u32 = 0x8000_0000;
const OBJ_OP: u32 = 6 << 26;
const KIND_MASK: u32 = 0xfc00_0000;
const INDEX_MASK: u32 = 0x03ff_ffff;

/// A user operation: the function (C or Fortran, called the same way) and whether it commutes.
#[derive(Clone, Copy)]
struct UserOp {
    f: MPI_User_function,
    commute: bool,
}

/// Operations made by MPI_Op_create, by index (the low bits of the handle).
static USER_OPS: Lazy<Mutex<Vec<Option<UserOp>>>> = Lazy::new(|| Mutex::new(Vec::new()));

enum OpRef {
    Builtin(Builtin),
    User(UserOp),
}

fn lookup(op: MPI_Op) -> Result<OpRef> {
    if op == c::MPI_OP_NULL {
        return Err(MpiError::new(c::MPI_ERR_OP, "Null MPI_Op"));
    }
    if let Some(b) = Builtin::from_handle(op) {
        return Ok(OpRef::Builtin(b));
    }
    let h = op as u32;
    if h & KIND_MASK == DIRECT | OBJ_OP {
        if let Some(Some(u)) = USER_OPS.lock().get((h & INDEX_MASK) as usize) {
            return Ok(OpRef::User(*u));
        }
        return Err(MpiError::new(c::MPI_ERR_OP, format!("Invalid MPI_Op (handle {op:#x}): it was freed")));
    }
    Err(MpiError::new(c::MPI_ERR_OP, format!("Invalid MPI_Op (handle {op:#x})")))
}

/// The reduction `op` performs on `datatype` (described by `dt`), with the number of its
/// elements in `count` elements of the datatype; `MPI_ERR_OP` when the operation is not
/// defined on the type.
pub fn reduction(op: MPI_Op, datatype: MPI_Datatype, dt: &Datatype, count: usize) -> Result<(Reduction, usize)> {
    match lookup(op)? {
        OpRef::Builtin(b) => {
            let not_defined = |what: &str| {
                MpiError::new(c::MPI_ERR_OP, format!("{} is not defined for {what} (datatype {})", b.name(), type_name(dt, datatype)))
            };
            let basic = dt.basic.ok_or_else(|| not_defined("a datatype mixing different basic types"))?;
            let kind = kind_of(basic).filter(|&k| check(b, k)).ok_or_else(|| not_defined("this datatype"))?;
            let red = Reduction::builtin(b, kind);
            let units = (count * dt.size()) / red.elem;
            Ok((red, units))
        }
        OpRef::User(u) => Ok((user_reduction(u, datatype, dt), count)),
    }
}

fn type_name(dt: &Datatype, h: MPI_Datatype) -> String {
    if dt.name.is_empty() { format!("{h:#x}") } else { dt.name.clone() }
}

/// Wraps a user function. Called with whole elements of `datatype` in packed form.
fn user_reduction(u: UserOp, datatype: MPI_Datatype, dt: &Datatype) -> Reduction {
    let size = dt.size();
    let layout = dt.layout.clone();
    let dense = layout.is_dense() && layout.runs.first().is_none_or(|r| r.0 == 0);
    let f: ReduceFn = Arc::new(move |input: &[u8], inout: &mut [u8]| {
        let count = input.len().checked_div(size).unwrap_or(0).min(inout.len() / size.max(1));
        if count == 0 {
            return;
        }
        if dense {
            // SAFETY: both slices hold `count` elements laid out as the datatype; MPI's user
            // function reads `invec` and writes `inoutvec` only within them.
            unsafe { call(u.f, input.as_ptr() as *mut c_void, inout.as_mut_ptr().cast(), count, datatype) };
            return;
        }
        // Holes or a shifted lower bound: give the function memory laid out like the type.
        let (lo, span) = span_of(&layout.runs, layout.extent, count);
        let mut a = vec![0u8; span];
        let mut b = vec![0u8; span];
        let base_a = a.as_mut_ptr().wrapping_offset(-lo);
        let base_b = b.as_mut_ptr().wrapping_offset(-lo);
        // SAFETY: `span_of` covers every run of `count` elements from `base - lo`, inside the
        // scratch vectors, which outlive the views.
        let (va, vb) = unsafe { (UserBuf::new(base_a, count, layout.clone()), UserBuf::new(base_b, count, layout.clone())) };
        va.write(0, &input[..count * size]);
        vb.write(0, &inout[..count * size]);
        // SAFETY: the scratch buffers hold `count` elements in the datatype's layout.
        unsafe { call(u.f, base_a.cast(), base_b.cast(), count, datatype) };
        vb.read(0, count * size, &mut {
            let mut at = 0;
            move |s: &[u8]| {
                inout[at..at + s.len()].copy_from_slice(s);
                at += s.len();
            }
        });
    });
    Reduction::new(f, u.commute, size)
}

/// The lowest displacement (<= 0) and the bytes spanned by `count` elements.
fn span_of(runs: &[(isize, usize)], extent: isize, count: usize) -> (isize, usize) {
    let first = runs.iter().map(|r| r.0).min().unwrap_or(0);
    let end = runs.iter().map(|r| r.0 + r.1 as isize).max().unwrap_or(0);
    let last = extent * (count as isize - 1);
    let lo = first.min(first + last).min(0);
    let hi = end.max(end + last);
    (lo, (hi - lo) as usize)
}

/// Calls a user function on `count` elements.
///
/// # Safety
/// `invec` and `inoutvec` point to `count` elements of `datatype` in its layout.
unsafe fn call(f: MPI_User_function, invec: *mut c_void, inoutvec: *mut c_void, count: usize, datatype: MPI_Datatype) {
    let mut len = count as c_int;
    let mut dt = datatype;
    // SAFETY: forwarded from this function's contract; `len` and `dt` are live locals.
    unsafe { f(invec, inoutvec, &mut len, &mut dt) };
}

/// Creates a user operation. `commute` non-zero says the function is commutative, which
/// lets the library combine partial results in any order.
///
/// fortran: manual
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Op_create(user_fn: Option<MPI_User_function>, commute: c_int, op: *mut MPI_Op) -> c_int {
    let code = guarded("MPI_Op_create", || {
        let f = user_fn.ok_or_else(|| MpiError::arg("Null function pointer in parameter user_fn"))?;
        args::out_ptr(op, "op")?;
        let mut ops = USER_OPS.lock();
        let entry = Some(UserOp { f, commute: commute != 0 });
        let i = match ops.iter().position(|s| s.is_none()) {
            Some(i) => {
                ops[i] = entry;
                i
            }
            None => {
                ops.push(entry);
                ops.len() - 1
            }
        };
        if i as u32 > INDEX_MASK {
            ops[i] = None;
            return Err(MpiError::new(c::MPI_ERR_OTHER, "Too many user operations"));
        }
        // SAFETY: checked non-NULL.
        unsafe { *op = (DIRECT | OBJ_OP | i as u32) as MPI_Op };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Frees a user operation and sets the handle to MPI_OP_NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Op_free(op: *mut MPI_Op) -> c_int {
    let code = guarded("MPI_Op_free", || {
        args::out_ptr(op, "op")?;
        // SAFETY: checked non-NULL.
        let h = unsafe { *op };
        match lookup(h)? {
            OpRef::Builtin(b) => return Err(MpiError::new(c::MPI_ERR_OP, format!("Cannot free permanent MPI_Op {}", b.name()))),
            OpRef::User(_) => {
                USER_OPS.lock()[(h as u32 & INDEX_MASK) as usize] = None;
            }
        }
        // SAFETY: checked non-NULL.
        unsafe { *op = c::MPI_OP_NULL };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Whether an operation is commutative (MPI-2.2).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Op_commutative(op: MPI_Op, commute: *mut c_int) -> c_int {
    let code = guarded("MPI_Op_commutative", || {
        args::out_ptr(commute, "commute")?;
        let yes = match lookup(op)? {
            OpRef::Builtin(_) => true,
            OpRef::User(u) => u.commute,
        };
        // SAFETY: checked non-NULL.
        unsafe { *commute = yes as c_int };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Applies an operation locally: `inoutbuf = inbuf op inoutbuf` (MPI-2.2).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Reduce_local(inbuf: *const c_void, inoutbuf: *mut c_void, count: c_int, datatype: MPI_Datatype, op: MPI_Op) -> c_int {
    let code = guarded("MPI_Reduce_local", || {
        let n = args::count(count)?;
        let dt = handle::datatype(datatype)?;
        if !dt.committed {
            return Err(MpiError::new(c::MPI_ERR_TYPE, "Datatype has not been committed"));
        }
        args::buffer(inbuf, n, datatype)?;
        args::buffer(inoutbuf, n, datatype)?;
        let (red, _) = reduction(op, datatype, &dt, n)?;
        // SAFETY: MPI's rule: both buffers hold `count` elements of `datatype` for the call.
        let (a, b) = unsafe { (UserBuf::new(inbuf.cast(), n, dt.layout.clone()), UserBuf::new(inoutbuf.cast(), n, dt.layout.clone())) };
        let input = a.to_vec(0, a.len());
        let mut acc = b.to_vec(0, b.len());
        red.apply(&input, &mut acc);
        b.write(0, &acc);
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

include!(concat!(env!("OUT_DIR"), "/abi_gen/op.rs"));
