//! Attribute caching: the predefined copy and delete callbacks.

use std::ffi::{c_int, c_void};

use super::consts as c;
use super::types::MPI_Comm;

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
