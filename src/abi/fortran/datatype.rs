//! Fortran 77 bindings of the datatype calls that `build.rs` cannot derive: MPI-1's INTEGER
//! addresses and displacements (the C calls take `MPI_Aint`), choice arguments whose address
//! is the point (`MPI_ADDRESS`), and CHARACTER type names.
//!
//! MPI-1's INTEGER is 4 bytes, so an absolute address above 2^31 does not fit. As in MPICH,
//! `MPI_ADDRESS` then stores the low 32 bits and returns `MPI_ERR_OTHER` without calling the
//! error handler: differences of such addresses, which is what MPI-1 programs compute, are
//! still exact, while MPI_BOTTOM-relative use needs `MPI_GET_ADDRESS`.

use core::ffi::{c_char, c_int, c_void};
use std::ffi::CString;

use super::buf_in;
use super::manual::{FortranLen, string_out};
use crate::abi::consts::{MPI_ERR_OTHER, MPI_MAX_OBJECT_NAME, MPI_SUCCESS};
use crate::abi::types::{MPI_Aint, MPI_Datatype, MPI_Fint};
use crate::abi::{
    PMPI_Address, PMPI_Get_address, PMPI_Type_extent, PMPI_Type_get_name, PMPI_Type_hindexed, PMPI_Type_hvector, PMPI_Type_lb,
    PMPI_Type_set_name, PMPI_Type_struct, PMPI_Type_ub,
};
use crate::core::error::MpiError;

/// Narrows an address or displacement for an INTEGER; `MPI_ERR_OTHER` if it does not fit.
fn narrow(function: &'static str, wide: MPI_Aint) -> (MPI_Fint, c_int) {
    let narrow = wide as MPI_Fint;
    if MPI_Aint::from(narrow) == wide {
        return (narrow, MPI_SUCCESS);
    }
    let e = MpiError::new(
        MPI_ERR_OTHER,
        format!("{wide:#x} does not fit in an INTEGER; use MPI_GET_ADDRESS or MPI_TYPE_GET_EXTENT (INTEGER(KIND=MPI_ADDRESS_KIND))"),
    );
    crate::abi::errh::record(function, &e);
    (narrow, e.class)
}

/// `MPI_ADDRESS(LOCATION, ADDRESS, IERROR)`, ADDRESS an INTEGER (see the module doc).
///
/// # Safety
/// Called from Fortran with INTEGER ADDRESS and IERROR.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_address_(location: *mut c_void, address: *mut MPI_Fint, ierror: *mut MPI_Fint) {
    let mut wide: MPI_Aint = 0;
    // SAFETY: MPI_Address only takes the location's address; `wide` is a live local.
    let mut rc = unsafe { PMPI_Address(buf_in(location), &mut wide) };
    if rc == MPI_SUCCESS {
        let (v, code) = narrow("MPI_ADDRESS", wide);
        // SAFETY: ADDRESS is an INTEGER passed by reference.
        unsafe { *address = v };
        rc = code;
    }
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

/// `MPI_GET_ADDRESS(LOCATION, ADDRESS, IERROR)`, ADDRESS an INTEGER(KIND=MPI_ADDRESS_KIND).
///
/// # Safety
/// Called from Fortran with the argument kinds above.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_get_address_(location: *const c_void, address: *mut MPI_Aint, ierror: *mut MPI_Fint) {
    // SAFETY: MPI_Get_address only takes the location's address; ADDRESS is an MPI_Aint.
    let rc = unsafe { PMPI_Get_address(buf_in(location), address) };
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

/// `MPI_TYPE_HVECTOR(COUNT, BLOCKLENGTH, STRIDE, OLDTYPE, NEWTYPE, IERROR)`, STRIDE an INTEGER.
///
/// # Safety
/// Called from Fortran with INTEGER arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_type_hvector_(
    count: *const MPI_Fint,
    blocklength: *const MPI_Fint,
    stride: *const MPI_Fint,
    oldtype: *const MPI_Datatype,
    newtype: *mut MPI_Datatype,
    ierror: *mut MPI_Fint,
) {
    // SAFETY: Fortran passes every argument by reference to a live INTEGER.
    let (count, blocklength, stride, oldtype) = unsafe { (*count, *blocklength, *stride, *oldtype) };
    // SAFETY: NEWTYPE is an INTEGER passed by reference.
    let rc = unsafe { PMPI_Type_hvector(count, blocklength, MPI_Aint::from(stride), oldtype, newtype) };
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

/// Widens an INTEGER array of `count` displacements.
///
/// # Safety
/// `disps` must be valid for `count` reads when `count` is positive.
unsafe fn widen(count: MPI_Fint, disps: *const MPI_Fint) -> Vec<MPI_Aint> {
    let n = usize::try_from(count).unwrap_or(0);
    if n == 0 || disps.is_null() {
        return Vec::new();
    }
    // SAFETY: the caller guarantees count readable INTEGERs.
    unsafe { core::slice::from_raw_parts(disps, n) }.iter().map(|&d| MPI_Aint::from(d)).collect()
}

/// `MPI_TYPE_HINDEXED(COUNT, BLOCKLENGTHS, DISPLACEMENTS, OLDTYPE, NEWTYPE, IERROR)`,
/// DISPLACEMENTS an INTEGER array.
///
/// # Safety
/// Called from Fortran with INTEGER arguments; the arrays have COUNT elements.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_type_hindexed_(
    count: *const MPI_Fint,
    blocklengths: *mut MPI_Fint,
    displacements: *const MPI_Fint,
    oldtype: *const MPI_Datatype,
    newtype: *mut MPI_Datatype,
    ierror: *mut MPI_Fint,
) {
    // SAFETY: COUNT and OLDTYPE are INTEGERs passed by reference.
    let (count, oldtype) = unsafe { (*count, *oldtype) };
    // SAFETY: DISPLACEMENTS has COUNT elements.
    let mut disps = unsafe { widen(count, displacements) };
    // SAFETY: BLOCKLENGTHS has COUNT elements, `disps` too; NEWTYPE is an INTEGER.
    let rc = unsafe { PMPI_Type_hindexed(count, blocklengths, disps.as_mut_ptr(), oldtype, newtype) };
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

/// `MPI_TYPE_STRUCT(COUNT, BLOCKLENGTHS, DISPLACEMENTS, TYPES, NEWTYPE, IERROR)`,
/// DISPLACEMENTS an INTEGER array.
///
/// # Safety
/// Called from Fortran with INTEGER arguments; the arrays have COUNT elements.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_type_struct_(
    count: *const MPI_Fint,
    blocklengths: *mut MPI_Fint,
    displacements: *const MPI_Fint,
    types: *mut MPI_Datatype,
    newtype: *mut MPI_Datatype,
    ierror: *mut MPI_Fint,
) {
    // SAFETY: COUNT is an INTEGER passed by reference.
    let count = unsafe { *count };
    // SAFETY: DISPLACEMENTS has COUNT elements.
    let mut disps = unsafe { widen(count, displacements) };
    // SAFETY: BLOCKLENGTHS and TYPES have COUNT elements, `disps` too; NEWTYPE is an INTEGER.
    let rc = unsafe { PMPI_Type_struct(count, blocklengths, disps.as_mut_ptr(), types, newtype) };
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

/// Runs an MPI-1 query whose MPI_Aint result Fortran receives as an INTEGER.
///
/// # Safety
/// `out` and `ierror` must be INTEGERs passed by reference.
unsafe fn narrow_out(function: &'static str, out: *mut MPI_Fint, ierror: *mut MPI_Fint, query: impl FnOnce(*mut MPI_Aint) -> c_int) {
    let mut wide: MPI_Aint = 0;
    let mut rc = query(&mut wide);
    if rc == MPI_SUCCESS {
        let (v, code) = narrow(function, wide);
        // SAFETY: `out` is an INTEGER passed by reference.
        unsafe { *out = v };
        rc = code;
    }
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

/// `MPI_TYPE_EXTENT(DATATYPE, EXTENT, IERROR)`, EXTENT an INTEGER.
///
/// # Safety
/// Called from Fortran with INTEGER arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_type_extent_(datatype: *const MPI_Datatype, extent: *mut MPI_Fint, ierror: *mut MPI_Fint) {
    // SAFETY: DATATYPE is an INTEGER passed by reference.
    let datatype = unsafe { *datatype };
    // SAFETY: `p` is a live local MPI_Aint.
    let query = |p: *mut MPI_Aint| unsafe { PMPI_Type_extent(datatype, p) };
    // SAFETY: EXTENT and IERROR are INTEGERs; the query writes one MPI_Aint.
    unsafe { narrow_out("MPI_TYPE_EXTENT", extent, ierror, query) };
}

/// `MPI_TYPE_LB(DATATYPE, DISPLACEMENT, IERROR)`, DISPLACEMENT an INTEGER.
///
/// # Safety
/// Called from Fortran with INTEGER arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_type_lb_(datatype: *const MPI_Datatype, displacement: *mut MPI_Fint, ierror: *mut MPI_Fint) {
    // SAFETY: DATATYPE is an INTEGER passed by reference.
    let datatype = unsafe { *datatype };
    // SAFETY: `p` is a live local MPI_Aint.
    let query = |p: *mut MPI_Aint| unsafe { PMPI_Type_lb(datatype, p) };
    // SAFETY: DISPLACEMENT and IERROR are INTEGERs; the query writes one MPI_Aint.
    unsafe { narrow_out("MPI_TYPE_LB", displacement, ierror, query) };
}

/// `MPI_TYPE_UB(DATATYPE, DISPLACEMENT, IERROR)`, DISPLACEMENT an INTEGER.
///
/// # Safety
/// Called from Fortran with INTEGER arguments.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_type_ub_(datatype: *const MPI_Datatype, displacement: *mut MPI_Fint, ierror: *mut MPI_Fint) {
    // SAFETY: DATATYPE is an INTEGER passed by reference.
    let datatype = unsafe { *datatype };
    // SAFETY: `p` is a live local MPI_Aint.
    let query = |p: *mut MPI_Aint| unsafe { PMPI_Type_ub(datatype, p) };
    // SAFETY: DISPLACEMENT and IERROR are INTEGERs; the query writes one MPI_Aint.
    unsafe { narrow_out("MPI_TYPE_UB", displacement, ierror, query) };
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

/// `MPI_TYPE_SET_NAME(DATATYPE, TYPE_NAME, IERROR)`.
///
/// # Safety
/// Called from Fortran: TYPE_NAME has `name_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_type_set_name_(datatype: *const MPI_Datatype, type_name: *const c_char, ierror: *mut MPI_Fint, name_len: FortranLen) {
    // SAFETY: DATATYPE is an INTEGER passed by reference.
    let datatype = unsafe { *datatype };
    // SAFETY: TYPE_NAME is a CHARACTER of name_len bytes.
    let name = unsafe { get_string(type_name, name_len) };
    // SAFETY: `name` is a NUL-terminated string that outlives the call.
    let rc = unsafe { PMPI_Type_set_name(datatype, name.as_ptr()) };
    // SAFETY: IERROR is an INTEGER passed by reference.
    unsafe { *ierror = rc };
}

/// `MPI_TYPE_GET_NAME(DATATYPE, TYPE_NAME, RESULTLEN, IERROR)`.
///
/// # Safety
/// Called from Fortran: TYPE_NAME has `name_len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mpi_type_get_name_(
    datatype: *const MPI_Datatype,
    type_name: *mut c_char,
    resultlen: *mut MPI_Fint,
    ierror: *mut MPI_Fint,
    name_len: FortranLen,
) {
    // SAFETY: DATATYPE is an INTEGER passed by reference.
    let datatype = unsafe { *datatype };
    // SAFETY: `buf` has MPI_MAX_OBJECT_NAME bytes.
    let get = |buf: *mut c_char, len: *mut c_int| unsafe { PMPI_Type_get_name(datatype, buf, len) };
    // SAFETY: TYPE_NAME has name_len bytes; the C buffer has the size MPI requires.
    unsafe { string_out(MPI_MAX_OBJECT_NAME, type_name, name_len, resultlen, ierror, get) };
}

include!(concat!(env!("OUT_DIR"), "/abi_gen/fortran_datatype.rs"));
