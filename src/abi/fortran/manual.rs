//! Fortran 77 bindings that `build.rs` cannot derive from the C signature: CHARACTER arguments
//! (a hidden length at the end of the argument list, blank padding instead of a NUL), procedure
//! arguments, `argc`/`argv`, attribute values, and MPI-1's INTEGER addresses.
//!
//! Each binding is written once, as `mpi_x_`; `build.rs` adds `mpi_x__`, `mpi_x` and `MPI_X`
//! (`OUT_DIR/abi_gen/fortran_manual.rs`). All of them call the `PMPI_` functions, so a profiling
//! library that wraps `MPI_X` in C does not see Fortran calls twice.

use core::ffi::{c_char, c_int, c_void};

use crate::abi::consts::{MPI_ERR_IN_STATUS, MPI_MAX_ERROR_STRING, MPI_MAX_LIBRARY_VERSION_STRING, MPI_MAX_PROCESSOR_NAME, MPI_SUCCESS, MPI_UNDEFINED};
use crate::abi::fortran::{status_out, statuses_out};
use crate::abi::types::{MPI_Aint, MPI_Errhandler, MPI_Fint, MPI_Handler_function, MPI_Request, MPI_Status};
use crate::abi::{
    PMPI_Buffer_detach, PMPI_Comm_create_errhandler, PMPI_Errhandler_create, PMPI_Error_string,
    PMPI_Get_library_version, PMPI_Get_processor_name, PMPI_Init, PMPI_Init_thread, PMPI_Testany, PMPI_Testsome,
    PMPI_Waitany, PMPI_Waitsome,
};

/// Length of a Fortran CHARACTER argument, passed by value after the last argument (gfortran 8
/// and later pass `size_t`).
pub(super) type FortranLen = usize;

// =============================================================================================
// Strings

/// Copies `src` into the CHARACTER variable `dst` of length `dst_len`, blank-padded, cut to fit.
///
/// # Safety
/// `dst` must be valid for writes of `dst_len` bytes.
unsafe fn put_string(src: &[u8], dst: *mut c_char, dst_len: FortranLen) {
    let n = src.len().min(dst_len);
    // SAFETY: the caller guarantees dst_len writable bytes at dst; n <= dst_len.
    let dst = unsafe { core::slice::from_raw_parts_mut(dst.cast::<u8>(), dst_len) };
    dst[..n].copy_from_slice(&src[..n]);
    dst[n..].fill(b' ');
}

/// Calls `get(buf, &mut len)` with a C buffer of `cap` bytes and hands the string to Fortran.
///
/// # Safety
/// `dst` must be valid for writes of `dst_len` bytes, `resultlen` and `ierror` for one INTEGER
/// each (`resultlen` may be null when the call has none).
pub(super) unsafe fn string_out(
    cap: c_int,
    dst: *mut c_char,
    dst_len: FortranLen,
    resultlen: *mut MPI_Fint,
    ierror: *mut MPI_Fint,
    get: impl FnOnce(*mut c_char, *mut c_int) -> c_int,
) {
    let mut buf = vec![0u8; usize::try_from(cap).unwrap_or(0)];
    let mut len: c_int = 0;
    let rc = get(buf.as_mut_ptr().cast(), &mut len);
    if rc == MPI_SUCCESS {
        let n = usize::try_from(len).unwrap_or(0).min(buf.len());
        // SAFETY: dst is the caller's CHARACTER variable of dst_len bytes.
        unsafe { put_string(&buf[..n], dst, dst_len) };
        if !resultlen.is_null() {
            // SAFETY: RESULTLEN is an INTEGER passed by reference.
            unsafe { *resultlen = len };
        }
    }
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

// =============================================================================================
// Initialisation

/// `MPI_INIT(IERROR)`. A respawned process sees `MPI_INIT_RESTARTED_NODE` in IERROR.
///
/// # Safety
/// Called from Fortran with an INTEGER IERROR.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_init_(ierror: *mut MPI_Fint) {
    // SAFETY: MPI_Init accepts NULL argc and argv.
    let rc = unsafe { PMPI_Init(core::ptr::null_mut(), core::ptr::null_mut()) };
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

/// `MPI_INIT_THREAD(REQUIRED, PROVIDED, IERROR)`.
///
/// # Safety
/// Called from Fortran with INTEGER arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_init_thread_(required: *const MPI_Fint, provided: *mut MPI_Fint, ierror: *mut MPI_Fint) {
    // SAFETY: REQUIRED is an INTEGER passed by reference.
    let required = unsafe { *required };
    // SAFETY: MPI_Init_thread accepts NULL argc and argv; PROVIDED is an INTEGER.
    let rc = unsafe { PMPI_Init_thread(core::ptr::null_mut(), core::ptr::null_mut(), required, provided) };
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

/// `MPI_GET_PROCESSOR_NAME(NAME, RESULTLEN, IERROR)`, NAME a CHARACTER*(MPI_MAX_PROCESSOR_NAME).
///
/// # Safety
/// Called from Fortran: NAME has `name_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_get_processor_name_(
    name: *mut c_char,
    resultlen: *mut MPI_Fint,
    ierror: *mut MPI_Fint,
    name_len: FortranLen,
) {
    let get = |buf: *mut c_char, len: *mut c_int| {
        // SAFETY: buf has MPI_MAX_PROCESSOR_NAME bytes.
        unsafe { PMPI_Get_processor_name(buf, len) }
    };
    // SAFETY: NAME has name_len bytes; the C buffer has the size MPI requires.
    unsafe { string_out(MPI_MAX_PROCESSOR_NAME, name, name_len, resultlen, ierror, get) };
}

/// `MPI_GET_LIBRARY_VERSION(VERSION, RESULTLEN, IERROR)`.
///
/// # Safety
/// Called from Fortran: VERSION has `version_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_get_library_version_(
    version: *mut c_char,
    resultlen: *mut MPI_Fint,
    ierror: *mut MPI_Fint,
    version_len: FortranLen,
) {
    let get = |buf: *mut c_char, len: *mut c_int| {
        // SAFETY: buf has MPI_MAX_LIBRARY_VERSION_STRING bytes.
        unsafe { PMPI_Get_library_version(buf, len) }
    };
    // SAFETY: VERSION has version_len bytes; the C buffer has the size MPI requires.
    unsafe { string_out(MPI_MAX_LIBRARY_VERSION_STRING, version, version_len, resultlen, ierror, get) };
}

// =============================================================================================
// Errors

/// `MPI_ERROR_STRING(ERRORCODE, STRING, RESULTLEN, IERROR)`.
///
/// # Safety
/// Called from Fortran: STRING has `string_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_error_string_(
    errorcode: *const MPI_Fint,
    string: *mut c_char,
    resultlen: *mut MPI_Fint,
    ierror: *mut MPI_Fint,
    string_len: FortranLen,
) {
    // SAFETY: ERRORCODE is an INTEGER passed by reference.
    let errorcode = unsafe { *errorcode };
    let get = |buf: *mut c_char, len: *mut c_int| {
        // SAFETY: buf has MPI_MAX_ERROR_STRING bytes.
        unsafe { PMPI_Error_string(errorcode, buf, len) }
    };
    // SAFETY: STRING has string_len bytes; the C buffer has the size MPI requires.
    unsafe { string_out(MPI_MAX_ERROR_STRING, string, string_len, resultlen, ierror, get) };
}

/// `MPI_ERRHANDLER_CREATE(FUNCTION, ERRHANDLER, IERROR)`. A Fortran handler
/// `SUBROUTINE H(COMM, CODE)` takes both INTEGERs by reference, which is exactly how the library
/// calls a C `MPI_Handler_function` (`MPI_Comm *`, `int *`), so the procedure's address is
/// passed on unchanged and needs no table.
///
/// # Safety
/// Called from Fortran with an EXTERNAL procedure and INTEGER arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_errhandler_create_(
    function: Option<MPI_Handler_function>,
    errhandler: *mut MPI_Errhandler,
    ierror: *mut MPI_Fint,
) {
    // SAFETY: the procedure has the C handler's calling convention (see above).
    let rc = unsafe { PMPI_Errhandler_create(function, errhandler) };
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

/// `MPI_COMM_CREATE_ERRHANDLER(FUNCTION, ERRHANDLER, IERROR)`; see [`mpi_errhandler_create_`].
///
/// # Safety
/// Called from Fortran with an EXTERNAL procedure and INTEGER arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_comm_create_errhandler_(
    function: Option<MPI_Handler_function>,
    errhandler: *mut MPI_Errhandler,
    ierror: *mut MPI_Fint,
) {
    // SAFETY: the procedure has the C handler's calling convention.
    let rc = unsafe { PMPI_Comm_create_errhandler(function, errhandler) };
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

// =============================================================================================
// Reduction operations

use crate::abi::PMPI_Op_create;
use crate::abi::types::{MPI_Op, MPI_User_function};

/// `MPI_OP_CREATE(FUNCTION, COMMUTE, OP, IERROR)`. A Fortran `SUBROUTINE F(INVEC, INOUTVEC,
/// LEN, DATATYPE)` is called like a C `MPI_User_function` (everything by reference), so the
/// procedure is passed on unchanged. COMMUTE is a LOGICAL: gfortran's .TRUE. is 1.
///
/// # Safety
/// Called from Fortran with an EXTERNAL procedure and INTEGER/LOGICAL arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_op_create_(
    function: Option<MPI_User_function>,
    commute: *const MPI_Fint,
    op: *mut MPI_Op,
    ierror: *mut MPI_Fint,
) {
    // SAFETY: COMMUTE is a LOGICAL passed by reference.
    let commute = c_int::from(unsafe { *commute } != 0);
    // SAFETY: the procedure has the C user function's calling convention; OP is an INTEGER.
    let rc = unsafe { PMPI_Op_create(function, commute, op) };
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

// =============================================================================================
// Names

// =============================================================================================
// Addresses. MPI-1's calls take and return INTEGER (4 bytes), MPI-2's INTEGER(KIND=8).

// =============================================================================================
// Completion: Fortran numbers requests from 1, C from 0.

/// Turns a C request index into Fortran's, leaving MPI_UNDEFINED alone.
fn fortran_index(index: c_int) -> MPI_Fint {
    if index >= 0 { index + 1 } else { index }
}

/// `MPI_WAITANY(COUNT, ARRAY_OF_REQUESTS, INDEX, STATUS, IERROR)`.
///
/// # Safety
/// Called from Fortran: ARRAY_OF_REQUESTS has COUNT elements, STATUS is
/// INTEGER(MPI_STATUS_SIZE) or MPI_STATUS_IGNORE.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_waitany_(
    count: *const MPI_Fint,
    array_of_requests: *mut MPI_Request,
    index: *mut MPI_Fint,
    status: *mut MPI_Status,
    ierror: *mut MPI_Fint,
) {
    // SAFETY: COUNT is an INTEGER passed by reference.
    let count = unsafe { *count };
    // SAFETY: the caller's arguments, as MPI_Waitany requires them.
    let rc = unsafe { PMPI_Waitany(count, array_of_requests, index, status_out(status)) };
    if rc == MPI_SUCCESS {
        // SAFETY: INDEX is an INTEGER passed by reference.
        let c_index = unsafe { *index };
        // SAFETY: as above.
        unsafe { *index = fortran_index(c_index) };
    }
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

/// `MPI_TESTANY(COUNT, ARRAY_OF_REQUESTS, INDEX, FLAG, STATUS, IERROR)`.
///
/// # Safety
/// Called from Fortran: ARRAY_OF_REQUESTS has COUNT elements, STATUS is
/// INTEGER(MPI_STATUS_SIZE) or MPI_STATUS_IGNORE.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_testany_(
    count: *const MPI_Fint,
    array_of_requests: *mut MPI_Request,
    index: *mut MPI_Fint,
    flag: *mut MPI_Fint,
    status: *mut MPI_Status,
    ierror: *mut MPI_Fint,
) {
    // SAFETY: COUNT is an INTEGER passed by reference.
    let count = unsafe { *count };
    // SAFETY: the caller's arguments, as MPI_Testany requires them.
    let rc = unsafe { PMPI_Testany(count, array_of_requests, index, flag, status_out(status)) };
    if rc == MPI_SUCCESS {
        // SAFETY: INDEX is an INTEGER passed by reference.
        let c_index = unsafe { *index };
        // SAFETY: as above.
        unsafe { *index = fortran_index(c_index) };
    }
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

/// Renumbers the first OUTCOUNT indices for Fortran, after MPI_Waitsome or MPI_Testsome.
///
/// # Safety
/// `outcount` is an INTEGER; `indices` has at least that many elements.
unsafe fn fortran_indices(rc: c_int, outcount: *const MPI_Fint, indices: *mut MPI_Fint) {
    if rc != MPI_SUCCESS && rc != MPI_ERR_IN_STATUS {
        return;
    }
    // SAFETY: OUTCOUNT is an INTEGER passed by reference.
    let n = unsafe { *outcount };
    if n == MPI_UNDEFINED || n <= 0 {
        return;
    }
    // SAFETY: MPI wrote n indices into ARRAY_OF_INDICES, which has room for INCOUNT >= n.
    let indices = unsafe { core::slice::from_raw_parts_mut(indices, n as usize) };
    for i in indices {
        *i = fortran_index(*i);
    }
}

/// `MPI_WAITSOME(INCOUNT, ARRAY_OF_REQUESTS, OUTCOUNT, ARRAY_OF_INDICES, ARRAY_OF_STATUSES,
/// IERROR)`.
///
/// # Safety
/// Called from Fortran: the arrays have INCOUNT elements (statuses: MPI_STATUS_SIZE each), or
/// ARRAY_OF_STATUSES is MPI_STATUSES_IGNORE.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_waitsome_(
    incount: *const MPI_Fint,
    array_of_requests: *mut MPI_Request,
    outcount: *mut MPI_Fint,
    array_of_indices: *mut MPI_Fint,
    array_of_statuses: *mut MPI_Status,
    ierror: *mut MPI_Fint,
) {
    // SAFETY: INCOUNT is an INTEGER passed by reference.
    let incount = unsafe { *incount };
    let statuses = statuses_out(array_of_statuses);
    // SAFETY: the caller's arguments, as MPI_Waitsome requires them.
    let rc = unsafe { PMPI_Waitsome(incount, array_of_requests, outcount, array_of_indices, statuses) };
    // SAFETY: OUTCOUNT and ARRAY_OF_INDICES are as MPI_Waitsome left them.
    unsafe { fortran_indices(rc, outcount, array_of_indices) };
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

/// `MPI_TESTSOME(INCOUNT, ARRAY_OF_REQUESTS, OUTCOUNT, ARRAY_OF_INDICES, ARRAY_OF_STATUSES,
/// IERROR)`.
///
/// # Safety
/// As for [`mpi_waitsome_`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_testsome_(
    incount: *const MPI_Fint,
    array_of_requests: *mut MPI_Request,
    outcount: *mut MPI_Fint,
    array_of_indices: *mut MPI_Fint,
    array_of_statuses: *mut MPI_Status,
    ierror: *mut MPI_Fint,
) {
    // SAFETY: INCOUNT is an INTEGER passed by reference.
    let incount = unsafe { *incount };
    let statuses = statuses_out(array_of_statuses);
    // SAFETY: the caller's arguments, as MPI_Testsome requires them.
    let rc = unsafe { PMPI_Testsome(incount, array_of_requests, outcount, array_of_indices, statuses) };
    // SAFETY: OUTCOUNT and ARRAY_OF_INDICES are as MPI_Testsome left them.
    unsafe { fortran_indices(rc, outcount, array_of_indices) };
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

// =============================================================================================
// Buffered sends

/// `MPI_BUFFER_DETACH(BUFFER_ADDR, SIZE, IERROR)`. Fortran cannot hold the C address, so it is
/// dropped, as in MPICH.
///
/// # Safety
/// Called from Fortran with INTEGER SIZE and IERROR.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_buffer_detach_(buffer_addr: *mut c_void, size: *mut MPI_Fint, ierror: *mut MPI_Fint) {
    let _ = buffer_addr;
    let mut addr: *mut c_void = core::ptr::null_mut();
    // SAFETY: addr is a local `void *` for MPI to store the buffer address in; SIZE is an INTEGER.
    let rc = unsafe { PMPI_Buffer_detach((&raw mut addr).cast(), size) };
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

/// Fortran `MPI_NULL_COPY_FN` and `MPI_COMM_NULL_COPY_FN`: the attribute is not copied.
///
/// # Safety
/// Called through a keyval with valid references.
unsafe fn null_copy(flag: *mut MPI_Fint, ierror: *mut MPI_Fint) {
    // SAFETY: FLAG and IERR are references the caller passes.
    unsafe { *flag = 0 };
    // SAFETY: as above.
    unsafe { *ierror = MPI_SUCCESS };
}

/// Fortran `MPI_DUP_FN` and `MPI_COMM_DUP_FN`: the value is copied.
///
/// # Safety
/// Called through a keyval with valid references.
unsafe fn dup_copy<W: Copy>(val_in: *mut W, val_out: *mut W, flag: *mut MPI_Fint, ierror: *mut MPI_Fint) {
    // SAFETY: the caller passes valid references for all four.
    let value = unsafe { *val_in };
    // SAFETY: as above.
    unsafe { *val_out = value };
    // SAFETY: as above.
    unsafe { *flag = 1 };
    // SAFETY: as above.
    unsafe { *ierror = MPI_SUCCESS };
}

/// Fortran `MPI_NULL_COPY_FN(OLDCOMM, KEYVAL, EXTRA_STATE, ATTRIBUTE_VAL_IN, ATTRIBUTE_VAL_OUT,
/// FLAG, IERR)`.
///
/// # Safety
/// Called as a Fortran copy procedure.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_null_copy_fn_(
    oldcomm: *mut MPI_Fint,
    keyval: *mut MPI_Fint,
    extra_state: *mut MPI_Fint,
    attribute_val_in: *mut MPI_Fint,
    attribute_val_out: *mut MPI_Fint,
    flag: *mut MPI_Fint,
    ierror: *mut MPI_Fint,
) {
    let _ = (oldcomm, keyval, extra_state, attribute_val_in, attribute_val_out);
    // SAFETY: FLAG and IERR are the caller's references.
    unsafe { null_copy(flag, ierror) };
}

/// Fortran `MPI_DUP_FN`, MPI-1 shape.
///
/// # Safety
/// Called as a Fortran copy procedure.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_dup_fn_(
    oldcomm: *mut MPI_Fint,
    keyval: *mut MPI_Fint,
    extra_state: *mut MPI_Fint,
    attribute_val_in: *mut MPI_Fint,
    attribute_val_out: *mut MPI_Fint,
    flag: *mut MPI_Fint,
    ierror: *mut MPI_Fint,
) {
    let _ = (oldcomm, keyval, extra_state);
    // SAFETY: the caller's references.
    unsafe { dup_copy(attribute_val_in, attribute_val_out, flag, ierror) };
}

/// Fortran `MPI_NULL_DELETE_FN(COMM, KEYVAL, ATTRIBUTE_VAL, EXTRA_STATE, IERR)`.
///
/// # Safety
/// Called as a Fortran delete procedure.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_null_delete_fn_(
    comm: *mut MPI_Fint,
    keyval: *mut MPI_Fint,
    attribute_val: *mut MPI_Fint,
    extra_state: *mut MPI_Fint,
    ierror: *mut MPI_Fint,
) {
    let _ = (comm, keyval, attribute_val, extra_state);
    // SAFETY: IERR is the caller's reference.
    unsafe { *ierror = MPI_SUCCESS };
}

/// Fortran `MPI_COMM_NULL_COPY_FN`, MPI-2 shape.
///
/// # Safety
/// Called as a Fortran copy procedure.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_comm_null_copy_fn_(
    oldcomm: *mut MPI_Fint,
    comm_keyval: *mut MPI_Fint,
    extra_state: *mut MPI_Aint,
    attribute_val_in: *mut MPI_Aint,
    attribute_val_out: *mut MPI_Aint,
    flag: *mut MPI_Fint,
    ierror: *mut MPI_Fint,
) {
    let _ = (oldcomm, comm_keyval, extra_state, attribute_val_in, attribute_val_out);
    // SAFETY: FLAG and IERR are the caller's references.
    unsafe { null_copy(flag, ierror) };
}

/// Fortran `MPI_COMM_DUP_FN`, MPI-2 shape.
///
/// # Safety
/// Called as a Fortran copy procedure.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_comm_dup_fn_(
    oldcomm: *mut MPI_Fint,
    comm_keyval: *mut MPI_Fint,
    extra_state: *mut MPI_Aint,
    attribute_val_in: *mut MPI_Aint,
    attribute_val_out: *mut MPI_Aint,
    flag: *mut MPI_Fint,
    ierror: *mut MPI_Fint,
) {
    let _ = (oldcomm, comm_keyval, extra_state);
    // SAFETY: the caller's references.
    unsafe { dup_copy(attribute_val_in, attribute_val_out, flag, ierror) };
}

/// Fortran `MPI_COMM_NULL_DELETE_FN`, MPI-2 shape.
///
/// # Safety
/// Called as a Fortran delete procedure.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_comm_null_delete_fn_(
    comm: *mut MPI_Fint,
    comm_keyval: *mut MPI_Fint,
    attribute_val: *mut MPI_Aint,
    extra_state: *mut MPI_Aint,
    ierror: *mut MPI_Fint,
) {
    let _ = (comm, comm_keyval, attribute_val, extra_state);
    // SAFETY: IERR is the caller's reference.
    unsafe { *ierror = MPI_SUCCESS };
}

include!(concat!(env!("OUT_DIR"), "/abi_gen/fortran_manual.rs"));
