//! Attribute caching (MPI-1.2 section 5.7, with MPI-2's names): keyvals, attributes on
//! communicators, the predefined attributes, and the predefined copy and delete callbacks.
//!
//! An attribute value is a `void *` kept as an integer; the library never dereferences it. The
//! application's callbacks are wrapped here in closures that do the unsafe call, so the runtime
//! keeps no function pointers.

use std::ffi::{c_int, c_void};
use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering};

use super::consts as c;
use super::errh::dispatch;
use super::handle::{self, Keyval};
use super::types::{MPI_Comm, MPI_Comm_copy_attr_function, MPI_Comm_delete_attr_function, MPI_Copy_function, MPI_Delete_function};
use super::{args, guarded};
use crate::core::error::{MpiError, Result, is_class};
use crate::runtime;
use crate::runtime::attrs::{self, CopyFn, DeleteFn};

/// Values of the predefined attributes. C gets a pointer to one of these (as in MPICH), so
/// they live as long as the process; the application must not write through it.
static TAG_UB_VALUE: c_int = super::args::TAG_UB;
static HOST_VALUE: c_int = c::MPI_PROC_NULL;
/// Every process can do I/O.
static IO_VALUE: c_int = c::MPI_ANY_SOURCE;
/// Clocks are per process.
static WTIME_IS_GLOBAL_VALUE: c_int = 0;
static APPNUM_VALUE: c_int = 0;
static LASTUSEDCODE_VALUE: c_int = c::MPI_ERR_LASTCODE;
/// The world size, set when first asked for.
static UNIVERSE_SIZE_VALUE: AtomicI32 = AtomicI32::new(0);

/// Where a predefined attribute's value is, or `None` when the key is predefined but has no
/// value here. The FT-MPI attributes point into the communicator's own record.
fn predefined_value(ci: u32, key: c_int) -> Result<Option<*const c_int>> {
    if let Some(addr) = runtime::with(|rt| rt.ft_attr(ci, key))? {
        return Ok(Some(addr as *const c_int));
    }
    Ok(Some(match key {
        c::MPI_TAG_UB => &TAG_UB_VALUE,
        c::MPI_HOST => &HOST_VALUE,
        c::MPI_IO => &IO_VALUE,
        c::MPI_WTIME_IS_GLOBAL => &WTIME_IS_GLOBAL_VALUE,
        c::MPI_APPNUM => &APPNUM_VALUE,
        c::MPI_LASTUSEDCODE => &LASTUSEDCODE_VALUE,
        c::MPI_UNIVERSE_SIZE => {
            let n = runtime::with(|rt| Ok(rt.info.size))?;
            UNIVERSE_SIZE_VALUE.store(n as i32, Ordering::Relaxed);
            UNIVERSE_SIZE_VALUE.as_ptr()
        }
        k => return Err(MpiError::new(c::MPI_ERR_KEYVAL, format!("Invalid keyval (handle {k:#x})"))),
    }))
}

fn callback_error(what: &str, keyval: c_int, rc: c_int) -> MpiError {
    let class = if is_class(rc) { rc } else { c::MPI_ERR_OTHER };
    MpiError::new(class, format!("the {what} callback of keyval {keyval:#x} returned {rc}"))
}

/// Wraps the application's callbacks (NULL is MPICH's MPI_NULL_COPY_FN / MPI_NULL_DELETE_FN)
/// and creates the keyval.
fn create_keyval(copy_fn: Option<MPI_Copy_function>, delete_fn: Option<MPI_Delete_function>, extra_state: *mut c_void) -> Result<c_int> {
    let extra = extra_state as usize;
    let copy: Option<CopyFn> = copy_fn.map(|f| {
        Arc::new(move |comm: u32, k: u32, value: usize| -> Result<Option<usize>> {
            let kh = handle::keyval_handle(k);
            let mut out: *mut c_void = std::ptr::null_mut();
            let mut flag: c_int = 0;
            // SAFETY: `f` is the application's MPI_Copy_function; it gets the old
            // communicator, the keyval, its extra_state, the value, and two live locals.
            let rc = unsafe {
                f(handle::comm_handle(comm), kh, extra as *mut c_void, value as *mut c_void, (&raw mut out).cast(), &mut flag)
            };
            if rc != c::MPI_SUCCESS {
                return Err(callback_error("copy", kh, rc));
            }
            Ok((flag != 0).then_some(out as usize))
        }) as CopyFn
    });
    let delete: Option<DeleteFn> = delete_fn.map(|f| {
        Arc::new(move |comm: u32, k: u32, value: usize| -> Result<()> {
            let kh = handle::keyval_handle(k);
            // SAFETY: `f` is the application's MPI_Delete_function, called as MPI specifies.
            let rc = unsafe { f(handle::comm_handle(comm), kh, value as *mut c_void, extra as *mut c_void) };
            if rc != c::MPI_SUCCESS {
                return Err(callback_error("delete", kh, rc));
            }
            Ok(())
        }) as DeleteFn
    });
    let k = runtime::with(|rt| Ok(rt.keyvals.create(copy, delete)))?;
    Ok(handle::keyval_handle(k))
}

/// A created keyval's index; predefined keys cannot be set, deleted or freed.
fn user_keyval(keyval: c_int) -> Result<u32> {
    match handle::keyval(keyval)? {
        Keyval::User(k) => Ok(k),
        Keyval::Predefined(_) => {
            Err(MpiError::new(c::MPI_ERR_KEYVAL, format!("Attribute key {keyval:#x} is predefined and cannot be changed")))
        }
    }
}

/// Creates a keyval for communicator attributes (MPI-1 name).
///
/// fortran: manual
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Keyval_create(
    copy_fn: Option<MPI_Copy_function>,
    delete_fn: Option<MPI_Delete_function>,
    keyval: *mut c_int,
    extra_state: *mut c_void,
) -> c_int {
    let code = guarded("MPI_Keyval_create", || {
        args::out_ptr(keyval, "keyval")?;
        let k = create_keyval(copy_fn, delete_fn, extra_state)?;
        // SAFETY: checked non-NULL.
        unsafe { *keyval = k };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Creates a keyval for communicator attributes (MPI-2 name).
///
/// fortran: manual
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_create_keyval(
    comm_copy_attr_fn: Option<MPI_Comm_copy_attr_function>,
    comm_delete_attr_fn: Option<MPI_Comm_delete_attr_function>,
    comm_keyval: *mut c_int,
    extra_state: *mut c_void,
) -> c_int {
    let code = guarded("MPI_Comm_create_keyval", || {
        args::out_ptr(comm_keyval, "comm_keyval")?;
        let k = create_keyval(comm_copy_attr_fn, comm_delete_attr_fn, extra_state)?;
        // SAFETY: checked non-NULL.
        unsafe { *comm_keyval = k };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Frees a keyval and sets it to MPI_KEYVAL_INVALID; attributes set with it stay until they
/// are deleted, and their callbacks still run.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Keyval_free(keyval: *mut c_int) -> c_int {
    let code = guarded("MPI_Keyval_free", || {
        args::out_ptr(keyval, "keyval")?;
        // SAFETY: checked non-NULL.
        let k = user_keyval(unsafe { *keyval })?;
        runtime::with(|rt| rt.keyvals.free(k))?;
        // SAFETY: checked non-NULL.
        unsafe { *keyval = c::MPI_KEYVAL_INVALID };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// MPI-2 name of [`MPI_Keyval_free`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_free_keyval(comm_keyval: *mut c_int) -> c_int {
    // SAFETY: the same contract.
    unsafe { MPI_Keyval_free(comm_keyval) }
}

fn put(comm: MPI_Comm, keyval: c_int, attribute_val: *mut c_void) -> Result<()> {
    let ci = handle::comm(comm)?;
    let k = user_keyval(keyval)?;
    attrs::put(ci, k, attribute_val as usize)
}

/// Sets an attribute; an old value's delete callback runs first (MPI-1 name).
///
/// fortran: manual
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Attr_put(comm: MPI_Comm, keyval: c_int, attribute_val: *mut c_void) -> c_int {
    let code = guarded("MPI_Attr_put", || put(comm, keyval, attribute_val));
    dispatch(comm, code)
}

/// Sets an attribute (MPI-2 name).
///
/// fortran: manual
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_set_attr(comm: MPI_Comm, comm_keyval: c_int, attribute_val: *mut c_void) -> c_int {
    let code = guarded("MPI_Comm_set_attr", || put(comm, comm_keyval, attribute_val));
    dispatch(comm, code)
}

/// Looks an attribute up; `attribute_val` points to a `void *` that receives the value. For a
/// predefined key the value is a pointer to an int holding the attribute, as in MPICH.
///
/// # Safety
/// `attribute_val` and `flag` must be valid for one write each (checked non-NULL).
unsafe fn get(comm: MPI_Comm, keyval: c_int, attribute_val: *mut c_void, flag: *mut c_int) -> Result<()> {
    let ci = handle::comm(comm)?;
    let kv = handle::keyval(keyval)?;
    args::out_ptr(attribute_val, "attribute_val")?;
    args::out_ptr(flag, "flag")?;
    let found: Option<*mut c_void> = match kv {
        Keyval::Predefined(key) => {
            runtime::with(|rt| rt.comm(ci).map(|_| ()))?;
            predefined_value(ci, key)?.map(|p| p.cast_mut().cast())
        }
        Keyval::User(k) => runtime::with(|rt| rt.attr_get(ci, k))?.map(|v| v as *mut c_void),
    };
    match found {
        Some(v) => {
            // SAFETY: checked non-NULL; MPI passes the address of a `void *`.
            unsafe { *attribute_val.cast::<*mut c_void>() = v };
            // SAFETY: checked non-NULL.
            unsafe { *flag = 1 };
        }
        // SAFETY: checked non-NULL.
        None => unsafe { *flag = 0 },
    }
    Ok(())
}

/// Looks an attribute up (MPI-1 name).
///
/// fortran: manual
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Attr_get(comm: MPI_Comm, keyval: c_int, attribute_val: *mut c_void, flag: *mut c_int) -> c_int {
    // SAFETY: the pointers are the caller's, which MPI requires valid; `get` checks NULL.
    let code = guarded("MPI_Attr_get", || unsafe { get(comm, keyval, attribute_val, flag) });
    dispatch(comm, code)
}

/// Looks an attribute up (MPI-2 name).
///
/// fortran: manual
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_get_attr(comm: MPI_Comm, comm_keyval: c_int, attribute_val: *mut c_void, flag: *mut c_int) -> c_int {
    // SAFETY: the pointers are the caller's, which MPI requires valid; `get` checks NULL.
    let code = guarded("MPI_Comm_get_attr", || unsafe { get(comm, comm_keyval, attribute_val, flag) });
    dispatch(comm, code)
}

fn delete(comm: MPI_Comm, keyval: c_int) -> Result<()> {
    let ci = handle::comm(comm)?;
    let k = user_keyval(keyval)?;
    attrs::delete(ci, k)
}

/// Deletes an attribute, running its delete callback (MPI-1 name).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Attr_delete(comm: MPI_Comm, keyval: c_int) -> c_int {
    let code = guarded("MPI_Attr_delete", || delete(comm, keyval));
    dispatch(comm, code)
}

/// Deletes an attribute (MPI-2 name).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_delete_attr(comm: MPI_Comm, comm_keyval: c_int) -> c_int {
    let code = guarded("MPI_Comm_delete_attr", || delete(comm, comm_keyval));
    dispatch(comm, code)
}

/// Predefined copy callback: the attribute is not copied.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_NULL_COPY_FN(
    oldcomm: MPI_Comm,
    keyval: c_int,
    extra_state: *mut c_void,
    attribute_val_in: *mut c_void,
    attribute_val_out: *mut c_void,
    flag: *mut c_int,
) -> c_int {
    let _ = (oldcomm, keyval, extra_state, attribute_val_in, attribute_val_out);
    if !flag.is_null() {
        // SAFETY: the library passes a valid flag pointer; NULL checked.
        unsafe { *flag = 0 };
    }
    c::MPI_SUCCESS
}

/// Predefined copy callback: the attribute value (a pointer-sized word) is copied.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_DUP_FN(
    oldcomm: MPI_Comm,
    keyval: c_int,
    extra_state: *mut c_void,
    attribute_val_in: *mut c_void,
    attribute_val_out: *mut c_void,
    flag: *mut c_int,
) -> c_int {
    let _ = (oldcomm, keyval, extra_state);
    if !attribute_val_out.is_null() {
        // SAFETY: attribute_val_out points to a `void *` slot, as MPI specifies.
        unsafe { *(attribute_val_out as *mut *mut c_void) = attribute_val_in };
    }
    if !flag.is_null() {
        // SAFETY: NULL checked.
        unsafe { *flag = 1 };
    }
    c::MPI_SUCCESS
}

/// MPICH's name behind `MPI_DUP_FN`: programs compiled against MPICH's header call this one.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPIR_Dup_fn(
    oldcomm: MPI_Comm,
    keyval: c_int,
    extra_state: *mut c_void,
    attribute_val_in: *mut c_void,
    attribute_val_out: *mut c_void,
    flag: *mut c_int,
) -> c_int {
    // SAFETY: the same contract as MPI_DUP_FN.
    unsafe { MPI_DUP_FN(oldcomm, keyval, extra_state, attribute_val_in, attribute_val_out, flag) }
}

/// Predefined delete callback: nothing to do.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_NULL_DELETE_FN(comm: MPI_Comm, keyval: c_int, attribute_val: *mut c_void, extra_state: *mut c_void) -> c_int {
    let _ = (comm, keyval, attribute_val, extra_state);
    c::MPI_SUCCESS
}

/// MPI-2 name of `MPI_NULL_COPY_FN`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_COMM_NULL_COPY_FN(
    oldcomm: MPI_Comm,
    keyval: c_int,
    extra_state: *mut c_void,
    attribute_val_in: *mut c_void,
    attribute_val_out: *mut c_void,
    flag: *mut c_int,
) -> c_int {
    // SAFETY: the same contract.
    unsafe { MPI_NULL_COPY_FN(oldcomm, keyval, extra_state, attribute_val_in, attribute_val_out, flag) }
}

/// MPI-2 name of `MPI_DUP_FN`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_COMM_DUP_FN(
    oldcomm: MPI_Comm,
    keyval: c_int,
    extra_state: *mut c_void,
    attribute_val_in: *mut c_void,
    attribute_val_out: *mut c_void,
    flag: *mut c_int,
) -> c_int {
    // SAFETY: the same contract.
    unsafe { MPI_DUP_FN(oldcomm, keyval, extra_state, attribute_val_in, attribute_val_out, flag) }
}

/// MPI-2 name of `MPI_NULL_DELETE_FN`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_COMM_NULL_DELETE_FN(
    comm: MPI_Comm,
    keyval: c_int,
    attribute_val: *mut c_void,
    extra_state: *mut c_void,
) -> c_int {
    let _ = (comm, keyval, attribute_val, extra_state);
    c::MPI_SUCCESS
}

include!(concat!(env!("OUT_DIR"), "/abi_gen/attr.rs"));
