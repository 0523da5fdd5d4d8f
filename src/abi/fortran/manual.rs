//! Fortran 77 bindings that `build.rs` cannot derive from the C signature: CHARACTER arguments
//! (a hidden length at the end of the argument list, blank padding instead of a NUL), procedure
//! arguments, `argc`/`argv`, attribute values, and MPI-1's INTEGER addresses.
//!
//! Each binding is written once, as `mpi_x_`; `build.rs` adds `mpi_x__`, `mpi_x` and `MPI_X`
//! (`OUT_DIR/abi_gen/fortran_manual.rs`). All of them call the `PMPI_` functions, so a profiling
//! library that wraps `MPI_X` in C does not see Fortran calls twice.

use core::ffi::{c_char, c_int, c_void};
use std::ffi::CString;

use crate::abi::consts::{
    MPI_ERR_IN_STATUS, MPI_MAX_ERROR_STRING, MPI_MAX_LIBRARY_VERSION_STRING, MPI_MAX_OBJECT_NAME, MPI_MAX_PROCESSOR_NAME,
    MPI_SUCCESS, MPI_UNDEFINED,
};
use crate::abi::fortran::{status_out, statuses_out};
use crate::abi::types::{
    MPI_Aint, MPI_Comm, MPI_Copy_function, MPI_Delete_function, MPI_Errhandler, MPI_Fint, MPI_Handler_function,
    MPI_Request, MPI_Status,
};
use crate::abi::{
    PMPI_Attr_get, PMPI_Attr_put, PMPI_Buffer_detach, PMPI_Comm_create_errhandler, PMPI_Comm_create_keyval,
    PMPI_Comm_get_attr, PMPI_Comm_get_name, PMPI_Comm_set_attr, PMPI_Comm_set_name, PMPI_Errhandler_create,
    PMPI_Error_string, PMPI_Get_library_version, PMPI_Get_processor_name, PMPI_Init, PMPI_Init_thread,
    PMPI_Keyval_create, PMPI_Testany, PMPI_Testsome, PMPI_Waitany, PMPI_Waitsome,
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

/// The CHARACTER argument `src` of length `len` as a C string: trailing blanks go, as does
/// anything from a NUL on.
///
/// # Safety
/// `src` must be valid for reads of `len` bytes.
unsafe fn get_string(src: *const c_char, len: FortranLen) -> CString {
    // SAFETY: the caller guarantees len readable bytes at src.
    let bytes = unsafe { core::slice::from_raw_parts(src.cast::<u8>(), len) };
    let bytes = bytes.split(|&b| b == 0).next().unwrap_or(&[]);
    let end = bytes.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1);
    CString::new(&bytes[..end]).expect("no NUL left")
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

/// `MPI_COMM_SET_NAME(COMM, COMM_NAME, IERROR)`.
///
/// # Safety
/// Called from Fortran: COMM_NAME has `name_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_comm_set_name_(
    comm: *const MPI_Comm,
    comm_name: *const c_char,
    ierror: *mut MPI_Fint,
    name_len: FortranLen,
) {
    // SAFETY: COMM is an INTEGER passed by reference.
    let comm = unsafe { *comm };
    // SAFETY: COMM_NAME is a CHARACTER of name_len bytes.
    let name = unsafe { get_string(comm_name, name_len) };
    // SAFETY: name is a NUL-terminated string that outlives the call.
    let rc = unsafe { PMPI_Comm_set_name(comm, name.as_ptr()) };
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

/// `MPI_COMM_GET_NAME(COMM, COMM_NAME, RESULTLEN, IERROR)`.
///
/// # Safety
/// Called from Fortran: COMM_NAME has `name_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_comm_get_name_(
    comm: *const MPI_Comm,
    comm_name: *mut c_char,
    resultlen: *mut MPI_Fint,
    ierror: *mut MPI_Fint,
    name_len: FortranLen,
) {
    // SAFETY: COMM is an INTEGER passed by reference.
    let comm = unsafe { *comm };
    let get = |buf: *mut c_char, len: *mut c_int| {
        // SAFETY: buf has MPI_MAX_OBJECT_NAME bytes.
        unsafe { PMPI_Comm_get_name(comm, buf, len) }
    };
    // SAFETY: COMM_NAME has name_len bytes; the C buffer has the size MPI requires.
    unsafe { string_out(MPI_MAX_OBJECT_NAME, comm_name, name_len, resultlen, ierror, get) };
}

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

// =============================================================================================
// Attributes
//
// A Fortran attribute is an INTEGER (MPI-1 calls) or INTEGER(KIND=MPI_ADDRESS_KIND) (MPI-2
// calls); C keeps it in the `void *` slot, as MPICH does. Predefined keys are odd in C; Fortran's
// mpif.h has the key plus one, and gets the value the C pointer points to.

/// Builtin keyvals carry kind 0x19 in bits 26-31, as MPICH encodes them.
fn fortran_predefined_key(keyval: MPI_Fint) -> Option<c_int> {
    ((keyval as u32) & 0xfc00_0000 == 0x6400_0000 && keyval & 1 == 0).then(|| keyval - 1)
}

/// Reads an attribute for Fortran: `(flag, value)`, where a predefined key's value is the int
/// its C pointer points to, and any other value is the pointer-sized integer itself.
///
/// # Safety
/// Must be called with a valid attribute query.
unsafe fn get_attr(keyval: MPI_Fint, get: impl FnOnce(c_int, *mut c_void, *mut c_int) -> c_int) -> (c_int, c_int, MPI_Aint) {
    let predefined = fortran_predefined_key(keyval);
    let mut value: *mut c_void = core::ptr::null_mut();
    let mut flag: c_int = 0;
    let rc = get(predefined.unwrap_or(keyval), (&raw mut value).cast(), &mut flag);
    if rc != MPI_SUCCESS || flag == 0 {
        return (rc, 0, 0);
    }
    let value = match predefined {
        // SAFETY: MPI stores, for a predefined key, a pointer to an int it owns.
        Some(_) if !value.is_null() => MPI_Aint::from(unsafe { *value.cast::<c_int>() }),
        Some(_) => 0,
        None => value as MPI_Aint,
    };
    (rc, flag, value)
}

/// `MPI_ATTR_PUT(COMM, KEYVAL, ATTRIBUTE_VAL, IERROR)`, all INTEGER.
///
/// # Safety
/// Called from Fortran with INTEGER arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_attr_put_(
    comm: *const MPI_Comm,
    keyval: *const MPI_Fint,
    attribute_val: *const MPI_Fint,
    ierror: *mut MPI_Fint,
) {
    // SAFETY: Fortran passes every argument by reference to a live INTEGER.
    let comm = unsafe { *comm };
    // SAFETY: Fortran passes every argument by reference to a live INTEGER.
    let keyval = unsafe { *keyval };
    // SAFETY: Fortran passes every argument by reference to a live INTEGER.
    let value = unsafe { *attribute_val };
    let slot = core::ptr::without_provenance_mut::<c_void>(MPI_Aint::from(value) as usize);
    // SAFETY: the value is stored, never dereferenced, by the library.
    let rc = unsafe { PMPI_Attr_put(comm, keyval, slot) };
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

/// `MPI_ATTR_GET(COMM, KEYVAL, ATTRIBUTE_VAL, FLAG, IERROR)`: ATTRIBUTE_VAL an INTEGER (the
/// value, truncated), FLAG a LOGICAL.
///
/// # Safety
/// Called from Fortran with INTEGER and LOGICAL arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_attr_get_(
    comm: *const MPI_Comm,
    keyval: *const MPI_Fint,
    attribute_val: *mut MPI_Fint,
    flag: *mut MPI_Fint,
    ierror: *mut MPI_Fint,
) {
    // SAFETY: COMM and KEYVAL are INTEGERs passed by reference.
    let comm = unsafe { *comm };
    // SAFETY: COMM and KEYVAL are INTEGERs passed by reference.
    let keyval = unsafe { *keyval };
    let get = |k: c_int, v: *mut c_void, f: *mut c_int| {
        // SAFETY: v and f point to live locals of get_attr.
        unsafe { PMPI_Attr_get(comm, k, v, f) }
    };
    // SAFETY: the closure passes MPI a `void *` slot and an int flag, both live locals.
    let (rc, found, value) = unsafe { get_attr(keyval, get) };
    if rc == MPI_SUCCESS {
        if found != 0 {
            // SAFETY: ATTRIBUTE_VAL is an INTEGER passed by reference.
            unsafe { *attribute_val = value as MPI_Fint };
        }
        // SAFETY: FLAG is a LOGICAL passed by reference.
        unsafe { *flag = found };
    }
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

/// `MPI_COMM_SET_ATTR(COMM, COMM_KEYVAL, ATTRIBUTE_VAL, IERROR)`, ATTRIBUTE_VAL an
/// INTEGER(KIND=MPI_ADDRESS_KIND).
///
/// # Safety
/// Called from Fortran with the argument kinds above.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_comm_set_attr_(
    comm: *const MPI_Comm,
    comm_keyval: *const MPI_Fint,
    attribute_val: *const MPI_Aint,
    ierror: *mut MPI_Fint,
) {
    // SAFETY: Fortran passes every argument by reference to a live variable.
    let comm = unsafe { *comm };
    // SAFETY: Fortran passes every argument by reference to a live variable.
    let keyval = unsafe { *comm_keyval };
    // SAFETY: Fortran passes every argument by reference to a live variable.
    let value = unsafe { *attribute_val };
    let slot = core::ptr::without_provenance_mut::<c_void>(value as usize);
    // SAFETY: the value is stored, never dereferenced, by the library.
    let rc = unsafe { PMPI_Comm_set_attr(comm, keyval, slot) };
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

/// `MPI_COMM_GET_ATTR(COMM, COMM_KEYVAL, ATTRIBUTE_VAL, FLAG, IERROR)`, ATTRIBUTE_VAL an
/// INTEGER(KIND=MPI_ADDRESS_KIND), FLAG a LOGICAL.
///
/// # Safety
/// Called from Fortran with the argument kinds above.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_comm_get_attr_(
    comm: *const MPI_Comm,
    comm_keyval: *const MPI_Fint,
    attribute_val: *mut MPI_Aint,
    flag: *mut MPI_Fint,
    ierror: *mut MPI_Fint,
) {
    // SAFETY: COMM and COMM_KEYVAL are INTEGERs passed by reference.
    let comm = unsafe { *comm };
    // SAFETY: COMM and COMM_KEYVAL are INTEGERs passed by reference.
    let keyval = unsafe { *comm_keyval };
    let get = |k: c_int, v: *mut c_void, f: *mut c_int| {
        // SAFETY: v and f point to live locals of get_attr.
        unsafe { PMPI_Comm_get_attr(comm, k, v, f) }
    };
    // SAFETY: the closure passes MPI a `void *` slot and an int flag, both live locals.
    let (rc, found, value) = unsafe { get_attr(keyval, get) };
    if rc == MPI_SUCCESS {
        if found != 0 {
            // SAFETY: ATTRIBUTE_VAL is an INTEGER(KIND=8) passed by reference.
            unsafe { *attribute_val = value };
        }
        // SAFETY: FLAG is a LOGICAL passed by reference.
        unsafe { *flag = found };
    }
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

// ---------------------------------------------------------------------------------------------
// Keyvals with Fortran callbacks. Fortran's copy and delete procedures take every argument by
// reference and return through IERROR, so the library's C callbacks are trampolines that
// find the Fortran procedures in `extra_state`, which points to a `FortranKeyval`. The record
// lives as long as the process: MPI_KEYVAL_FREE does not say whether attributes still use it.

/// MPI-1 `COPY_FN(OLDCOMM, KEYVAL, EXTRA_STATE, ATTRIBUTE_VAL_IN, ATTRIBUTE_VAL_OUT, FLAG,
/// IERR)` (all INTEGER but the LOGICAL FLAG); MPI-2's has INTEGER(KIND=MPI_ADDRESS_KIND)
/// EXTRA_STATE and values, hence the `W` parameter.
type FortranCopy<W> = unsafe extern "C" fn(
    oldcomm: *mut MPI_Fint,
    keyval: *mut MPI_Fint,
    extra_state: *mut W,
    attribute_val_in: *mut W,
    attribute_val_out: *mut W,
    flag: *mut MPI_Fint,
    ierror: *mut MPI_Fint,
);

/// `DELETE_FN(COMM, KEYVAL, ATTRIBUTE_VAL, EXTRA_STATE, IERR)`.
type FortranDelete<W> =
    unsafe extern "C" fn(comm: *mut MPI_Fint, keyval: *mut MPI_Fint, attribute_val: *mut W, extra_state: *mut W, ierror: *mut MPI_Fint);

/// An attribute word as Fortran sees it: INTEGER or INTEGER(KIND=MPI_ADDRESS_KIND).
trait Word: Copy + Default {
    fn from_ptr(p: *mut c_void) -> Self;
    fn to_ptr(self) -> *mut c_void;
}

impl Word for MPI_Fint {
    fn from_ptr(p: *mut c_void) -> Self {
        p as MPI_Aint as MPI_Fint
    }
    fn to_ptr(self) -> *mut c_void {
        core::ptr::without_provenance_mut(MPI_Aint::from(self) as usize)
    }
}

impl Word for MPI_Aint {
    fn from_ptr(p: *mut c_void) -> Self {
        p as MPI_Aint
    }
    fn to_ptr(self) -> *mut c_void {
        core::ptr::without_provenance_mut(self as usize)
    }
}

struct FortranKeyval<W> {
    copy: Option<FortranCopy<W>>,
    delete: Option<FortranDelete<W>>,
    extra_state: W,
}

unsafe extern "C" fn copy_trampoline<W: Word>(
    oldcomm: MPI_Comm,
    keyval: c_int,
    extra_state: *mut c_void,
    attribute_val_in: *mut c_void,
    attribute_val_out: *mut c_void,
    flag: *mut c_int,
) -> c_int {
    // SAFETY: extra_state is the leaked FortranKeyval<W> this trampoline was registered with.
    let record = unsafe { &*extra_state.cast::<FortranKeyval<W>>() };
    let Some(copy) = record.copy else {
        // SAFETY: MPI passes a valid flag pointer.
        unsafe { *flag = 0 };
        return MPI_SUCCESS;
    };
    let (mut comm, mut key, mut extra) = (oldcomm, keyval, record.extra_state);
    let (mut val_in, mut val_out) = (W::from_ptr(attribute_val_in), W::default());
    let (mut fflag, mut ierror): (MPI_Fint, MPI_Fint) = (0, MPI_SUCCESS);
    // SAFETY: the Fortran procedure takes these seven references, all live locals.
    unsafe { copy(&mut comm, &mut key, &mut extra, &mut val_in, &mut val_out, &mut fflag, &mut ierror) };
    if ierror == MPI_SUCCESS && fflag != 0 {
        // SAFETY: MPI passes in attribute_val_out the `void *` slot of the new attribute.
        unsafe { *attribute_val_out.cast::<*mut c_void>() = val_out.to_ptr() };
    }
    // SAFETY: MPI passes a valid flag pointer.
    unsafe { *flag = c_int::from(fflag != 0) };
    ierror
}

unsafe extern "C" fn delete_trampoline<W: Word>(
    comm: MPI_Comm,
    keyval: c_int,
    attribute_val: *mut c_void,
    extra_state: *mut c_void,
) -> c_int {
    // SAFETY: extra_state is the leaked FortranKeyval<W> this trampoline was registered with.
    let record = unsafe { &*extra_state.cast::<FortranKeyval<W>>() };
    let Some(delete) = record.delete else { return MPI_SUCCESS };
    let (mut comm, mut key, mut extra, mut value) = (comm, keyval, record.extra_state, W::from_ptr(attribute_val));
    let mut ierror: MPI_Fint = MPI_SUCCESS;
    // SAFETY: the Fortran procedure takes these five references, all live locals.
    unsafe { delete(&mut comm, &mut key, &mut value, &mut extra, &mut ierror) };
    ierror
}

/// Registers the Fortran procedures and returns the C callbacks and extra_state for them.
fn fortran_keyval<W: Word + 'static>(
    copy: Option<FortranCopy<W>>,
    delete: Option<FortranDelete<W>>,
    extra_state: W,
) -> (MPI_Copy_function, MPI_Delete_function, *mut c_void) {
    let record = Box::new(FortranKeyval { copy, delete, extra_state });
    (copy_trampoline::<W>, delete_trampoline::<W>, Box::into_raw(record).cast())
}

/// `MPI_KEYVAL_CREATE(COPY_FN, DELETE_FN, KEYVAL, EXTRA_STATE, IERROR)`.
///
/// # Safety
/// Called from Fortran with two EXTERNAL procedures of the MPI-1 shapes and INTEGERs.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_keyval_create_(
    copy_fn: Option<FortranCopy<MPI_Fint>>,
    delete_fn: Option<FortranDelete<MPI_Fint>>,
    keyval: *mut MPI_Fint,
    extra_state: *const MPI_Fint,
    ierror: *mut MPI_Fint,
) {
    // SAFETY: EXTRA_STATE is an INTEGER passed by reference.
    let extra_state = unsafe { *extra_state };
    let (copy, delete, state) = fortran_keyval(copy_fn, delete_fn, extra_state);
    // SAFETY: the trampolines match the C callback types; KEYVAL is an INTEGER.
    let rc = unsafe { PMPI_Keyval_create(Some(copy), Some(delete), keyval, state) };
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

/// `MPI_COMM_CREATE_KEYVAL(COMM_COPY_ATTR_FN, COMM_DELETE_ATTR_FN, COMM_KEYVAL, EXTRA_STATE,
/// IERROR)`, EXTRA_STATE an INTEGER(KIND=MPI_ADDRESS_KIND).
///
/// # Safety
/// Called from Fortran with two EXTERNAL procedures of the MPI-2 shapes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_comm_create_keyval_(
    comm_copy_attr_fn: Option<FortranCopy<MPI_Aint>>,
    comm_delete_attr_fn: Option<FortranDelete<MPI_Aint>>,
    comm_keyval: *mut MPI_Fint,
    extra_state: *const MPI_Aint,
    ierror: *mut MPI_Fint,
) {
    // SAFETY: EXTRA_STATE is an INTEGER(KIND=8) passed by reference.
    let extra_state = unsafe { *extra_state };
    let (copy, delete, state) = fortran_keyval(comm_copy_attr_fn, comm_delete_attr_fn, extra_state);
    // SAFETY: the trampolines match the C callback types; COMM_KEYVAL is an INTEGER.
    let rc = unsafe { PMPI_Comm_create_keyval(Some(copy), Some(delete), comm_keyval, state) };
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

// The predefined Fortran callbacks (EXTERNAL in mpif.h), with Fortran's calling convention.

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
