//! The C types of the MPI interface, with MPICH's layout (`mpich/mpi.h`).
//!
//! Handles are `int` with MPICH's encoding, so a Fortran INTEGER handle is the C handle and the
//! `_f2c`/`_c2f` conversions are the identity. The callback typedefs are Rust function pointers;
//! `mpi.h` declares them textually as MPICH does (function types, not pointer types; the error
//! handler is variadic), so cbindgen is told not to emit them (`cbindgen.toml`, `[export]
//! exclude`). A function-type parameter in a C prototype decays to a pointer, so the prototypes
//! cbindgen writes (`MPI_User_function user_fn`) match MPICH's (`MPI_User_function *user_fn`).

#![allow(non_camel_case_types)]

use core::ffi::{c_int, c_long, c_void};

/// `MPI_Status` as MPICH lays it out. The received count in bytes is
/// `count_lo | (count_hi_and_cancelled >> 1) << 32`; bit 0 of `count_hi_and_cancelled` is the
/// cancelled flag. Fortran sees the same five INTEGERs (`MPI_STATUS_SIZE` = 5, with
/// `MPI_SOURCE` = 3, `MPI_TAG` = 4, `MPI_ERROR` = 5 as 1-based indices).
#[repr(C)]
#[allow(non_snake_case)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MPI_Status {
    pub count_lo: c_int,
    pub count_hi_and_cancelled: c_int,
    pub MPI_SOURCE: c_int,
    pub MPI_TAG: c_int,
    pub MPI_ERROR: c_int,
}

pub type MPI_Comm = c_int;
pub type MPI_Datatype = c_int;
pub type MPI_Group = c_int;
pub type MPI_Request = c_int;
pub type MPI_Op = c_int;
pub type MPI_Errhandler = c_int;
pub type MPI_Info = c_int;
pub type MPI_Win = c_int;
/// MPICH's `MPI_File` is a pointer (`struct ADIOI_FileD *`, ROMIO's); `mpi.h` spells it so.
/// No file I/O is implemented; the type exists so programs that mention it compile.
pub type MPI_File = *mut c_void;

pub type MPI_Aint = c_long;
/// MPICH uses `long` (not `long long`) for both; the same 64 bits on LP64.
pub type MPI_Offset = c_long;
pub type MPI_Count = c_long;
pub type MPI_Fint = c_int;

/// `typedef void (MPI_User_function)(void *invec, void *inoutvec, int *len, MPI_Datatype *)`.
/// A Fortran user function (`SUBROUTINE F(INVEC, INOUTVEC, LEN, DATATYPE)`) has the same
/// calling convention, so the library calls both the same way.
pub type MPI_User_function =
    unsafe extern "C" fn(invec: *mut c_void, inoutvec: *mut c_void, len: *mut c_int, datatype: *mut MPI_Datatype);

/// `typedef void (MPI_Handler_function)(MPI_Comm *, int *, ...)`. C declares it variadic;
/// the library calls it with exactly the two arguments, which on x86-64 is a valid call to a
/// variadic callee that reads no further arguments.
pub type MPI_Handler_function = unsafe extern "C" fn(comm: *mut MPI_Comm, code: *mut c_int);
/// MPI-2's name for the same shape.
pub type MPI_Comm_errhandler_function = MPI_Handler_function;
/// MPI-2.0's name, deprecated in MPI-2.2; MPICH still declares it.
pub type MPI_Comm_errhandler_fn = MPI_Handler_function;

/// `typedef int (MPI_Copy_function)(MPI_Comm, int keyval, void *extra_state,
/// void *attribute_val_in, void *attribute_val_out, int *flag)`.
pub type MPI_Copy_function = unsafe extern "C" fn(
    oldcomm: MPI_Comm,
    keyval: c_int,
    extra_state: *mut c_void,
    attribute_val_in: *mut c_void,
    attribute_val_out: *mut c_void,
    flag: *mut c_int,
) -> c_int;

/// `typedef int (MPI_Delete_function)(MPI_Comm, int keyval, void *attribute_val,
/// void *extra_state)`.
pub type MPI_Delete_function =
    unsafe extern "C" fn(comm: MPI_Comm, keyval: c_int, attribute_val: *mut c_void, extra_state: *mut c_void) -> c_int;

/// MPI-2's name; the same shape as `MPI_Copy_function`.
pub type MPI_Comm_copy_attr_function = MPI_Copy_function;
/// MPI-2's name; the same shape as `MPI_Delete_function`.
pub type MPI_Comm_delete_attr_function = MPI_Delete_function;

/// `typedef int (MPI_Type_copy_attr_function)(MPI_Datatype, int, void *, void *, void *, int *)`.
pub type MPI_Type_copy_attr_function = unsafe extern "C" fn(
    oldtype: MPI_Datatype,
    keyval: c_int,
    extra_state: *mut c_void,
    attribute_val_in: *mut c_void,
    attribute_val_out: *mut c_void,
    flag: *mut c_int,
) -> c_int;

/// `typedef int (MPI_Type_delete_attr_function)(MPI_Datatype, int, void *, void *)`.
pub type MPI_Type_delete_attr_function = unsafe extern "C" fn(
    datatype: MPI_Datatype,
    keyval: c_int,
    attribute_val: *mut c_void,
    extra_state: *mut c_void,
) -> c_int;
