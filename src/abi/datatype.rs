//! Derived datatypes and packing (MPI-1.2 sections 3.12 and 3.13, and the MPI-2 forms that
//! programs use instead: `MPI_Type_create_*`, `MPI_Get_address`, `MPI_Type_get_extent`...).
//!
//! The type maps are built in `core::datatype`; this file checks arguments, decodes handles
//! and keeps the new types in `runtime::types`. Constructors and queries report errors to
//! MPI_COMM_WORLD's handler, `MPI_Pack` and friends to their communicator's.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::sync::Arc;

use super::consts as c;
use super::errh::{copy_c_string, dispatch};
use super::p2p::status_bytes;
use super::types::{MPI_Aint, MPI_Comm, MPI_Count, MPI_Datatype, MPI_Status};
use super::{args, guarded, handle};
use crate::core::datatype::Datatype;
use crate::core::error::{MpiError, Result};
use crate::runtime;
use crate::runtime::types;
use crate::transport::userbuf::UserBuf;

/// Datatype calls are valid between MPI_Init and MPI_Finalize.
fn live() -> Result<()> {
    if !runtime::initialized() {
        return Err(MpiError::other("MPI has not been initialized (call MPI_Init first)"));
    }
    if runtime::finalized() {
        return Err(MpiError::other("MPI has already been finalized"));
    }
    Ok(())
}

/// The type behind a handle, for a query.
fn query(h: MPI_Datatype) -> Result<Arc<Datatype>> {
    live()?;
    handle::datatype(h)
}

/// Checks `newtype`, builds the type and stores it under a new handle.
///
/// # Safety
/// `newtype` is NULL or valid for writing one handle.
unsafe fn construct(newtype: *mut MPI_Datatype, build: impl FnOnce() -> Result<Datatype>) -> Result<()> {
    live()?;
    let t = build()?;
    args::out_ptr(newtype, "newtype")?;
    let i = types::insert(t)?;
    // SAFETY: checked non-NULL; the caller passes a valid MPI_Datatype pointer.
    unsafe { *newtype = handle::datatype_handle(i) };
    Ok(())
}

/// Borrows an argument array of `n` elements.
///
/// # Safety
/// `p` is valid for `n` reads, or `n` is 0.
unsafe fn array<'a, T>(p: *const T, n: usize, what: &str) -> Result<&'a [T]> {
    if n == 0 {
        return Ok(&[]);
    }
    if p.is_null() {
        return Err(MpiError::arg(format!("Null pointer in parameter {what}")));
    }
    // SAFETY: the caller guarantees `n` readable elements.
    Ok(unsafe { std::slice::from_raw_parts(p, n) })
}

/// Writes an output value after a NULL check.
///
/// # Safety
/// `p` is NULL or valid for writing one `T`.
unsafe fn put<T>(p: *mut T, v: T, what: &str) -> Result<()> {
    args::out_ptr(p, what)?;
    // SAFETY: checked non-NULL; valid by the caller's contract.
    unsafe { *p = v };
    Ok(())
}

/// An `int` result that may not fit: MPI_UNDEFINED then, as MPI-3 specifies.
fn int_or_undefined(v: usize) -> c_int {
    c_int::try_from(v).unwrap_or(c::MPI_UNDEFINED)
}

/// A communicator argument of the pack calls: it must exist.
fn check_comm(comm: MPI_Comm) -> Result<()> {
    let ci = handle::comm(comm)?;
    runtime::with(|rt| rt.comm(ci).map(|_| ()))
}

/// Contiguous copies of a type.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_contiguous(count: c_int, oldtype: MPI_Datatype, newtype: *mut MPI_Datatype) -> c_int {
    let code = guarded("MPI_Type_contiguous", || {
        // SAFETY: MPI's contract on `newtype`.
        unsafe {
            construct(newtype, || {
                args::count(count)?;
                Datatype::new_contiguous(count, &*handle::datatype(oldtype)?)
            })
        }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Equally spaced blocks; the stride counts elements of `oldtype`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_vector(
    count: c_int,
    blocklength: c_int,
    stride: c_int,
    oldtype: MPI_Datatype,
    newtype: *mut MPI_Datatype,
) -> c_int {
    let code = guarded("MPI_Type_vector", || {
        // SAFETY: MPI's contract on `newtype`.
        unsafe {
            construct(newtype, || {
                args::count(count)?;
                Datatype::new_vector(count, blocklength, stride, &*handle::datatype(oldtype)?)
            })
        }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Equally spaced blocks; the stride counts bytes (MPI-1 name).
///
/// fortran: manual (MPI-1's STRIDE is an INTEGER)
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_hvector(
    count: c_int,
    blocklength: c_int,
    stride: MPI_Aint,
    oldtype: MPI_Datatype,
    newtype: *mut MPI_Datatype,
) -> c_int {
    let code = guarded("MPI_Type_hvector", || {
        // SAFETY: MPI's contract on `newtype`.
        unsafe {
            construct(newtype, || {
                args::count(count)?;
                Datatype::new_hvector(count, blocklength, stride as isize, &*handle::datatype(oldtype)?)
            })
        }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Equally spaced blocks; the stride counts bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_create_hvector(
    count: c_int,
    blocklength: c_int,
    stride: MPI_Aint,
    oldtype: MPI_Datatype,
    newtype: *mut MPI_Datatype,
) -> c_int {
    let code = guarded("MPI_Type_create_hvector", || {
        // SAFETY: MPI's contract on `newtype`.
        unsafe {
            construct(newtype, || {
                args::count(count)?;
                Datatype::new_hvector(count, blocklength, stride as isize, &*handle::datatype(oldtype)?)
            })
        }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Blocks at displacements counted in elements of `oldtype`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_indexed(
    count: c_int,
    array_of_blocklengths: *const c_int,
    array_of_displacements: *const c_int,
    oldtype: MPI_Datatype,
    newtype: *mut MPI_Datatype,
) -> c_int {
    let code = guarded("MPI_Type_indexed", || {
        // SAFETY: MPI's contract: both arrays hold `count` elements; `newtype` is writable.
        unsafe {
            construct(newtype, || {
                let n = args::count(count)?;
                let bl = array(array_of_blocklengths, n, "array_of_blocklengths")?;
                let disps = array(array_of_displacements, n, "array_of_displacements")?;
                Datatype::new_indexed(bl, disps, &*handle::datatype(oldtype)?)
            })
        }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Shared body of the two hindexed constructors.
///
/// # Safety
/// MPI's contract: both arrays hold `count` elements; `newtype` is writable.
unsafe fn hindexed(
    count: c_int,
    blocklengths: *const c_int,
    displacements: *const MPI_Aint,
    oldtype: MPI_Datatype,
    newtype: *mut MPI_Datatype,
) -> Result<()> {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        construct(newtype, || {
            let n = args::count(count)?;
            let bl = array(blocklengths, n, "array_of_blocklengths")?;
            let disps: Vec<isize> = array(displacements, n, "array_of_displacements")?.iter().map(|&d| d as isize).collect();
            Datatype::new_hindexed(bl, &disps, &*handle::datatype(oldtype)?)
        })
    }
}

/// Blocks at byte displacements (MPI-1 name).
///
/// fortran: manual (MPI-1's displacements are INTEGERs)
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_hindexed(
    count: c_int,
    array_of_blocklengths: *mut c_int,
    array_of_displacements: *mut MPI_Aint,
    oldtype: MPI_Datatype,
    newtype: *mut MPI_Datatype,
) -> c_int {
    // SAFETY: MPI's contract on the arrays and `newtype`.
    let code = guarded("MPI_Type_hindexed", || unsafe {
        hindexed(count, array_of_blocklengths, array_of_displacements, oldtype, newtype)
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Blocks at byte displacements.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_create_hindexed(
    count: c_int,
    array_of_blocklengths: *const c_int,
    array_of_displacements: *const MPI_Aint,
    oldtype: MPI_Datatype,
    newtype: *mut MPI_Datatype,
) -> c_int {
    // SAFETY: MPI's contract on the arrays and `newtype`.
    let code = guarded("MPI_Type_create_hindexed", || unsafe {
        hindexed(count, array_of_blocklengths, array_of_displacements, oldtype, newtype)
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Blocks of one length at displacements counted in elements of `oldtype`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_create_indexed_block(
    count: c_int,
    blocklength: c_int,
    array_of_displacements: *const c_int,
    oldtype: MPI_Datatype,
    newtype: *mut MPI_Datatype,
) -> c_int {
    let code = guarded("MPI_Type_create_indexed_block", || {
        // SAFETY: MPI's contract: the array holds `count` elements; `newtype` is writable.
        unsafe {
            construct(newtype, || {
                let n = args::count(count)?;
                let old = handle::datatype(oldtype)?;
                let ext = old.extent();
                let disps = array(array_of_displacements, n, "array_of_displacements")?
                    .iter()
                    .map(|&d| (d as isize).checked_mul(ext).ok_or_else(|| MpiError::arg("Displacement overflows")))
                    .collect::<Result<Vec<_>>>()?;
                Datatype::new_hindexed_block(blocklength, &disps, &old)
            })
        }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Blocks of one length at byte displacements.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_create_hindexed_block(
    count: c_int,
    blocklength: c_int,
    array_of_displacements: *const MPI_Aint,
    oldtype: MPI_Datatype,
    newtype: *mut MPI_Datatype,
) -> c_int {
    let code = guarded("MPI_Type_create_hindexed_block", || {
        // SAFETY: MPI's contract: the array holds `count` elements; `newtype` is writable.
        unsafe {
            construct(newtype, || {
                let n = args::count(count)?;
                let disps: Vec<isize> = array(array_of_displacements, n, "array_of_displacements")?.iter().map(|&d| d as isize).collect();
                Datatype::new_hindexed_block(blocklength, &disps, &*handle::datatype(oldtype)?)
            })
        }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Shared body of the two struct constructors.
///
/// # Safety
/// MPI's contract: the three arrays hold `count` elements; `newtype` is writable.
unsafe fn structure(
    count: c_int,
    blocklengths: *const c_int,
    displacements: *const MPI_Aint,
    types: *const MPI_Datatype,
    newtype: *mut MPI_Datatype,
) -> Result<()> {
    // SAFETY: forwarded from this function's contract.
    unsafe {
        construct(newtype, || {
            let n = args::count(count)?;
            let bl = array(blocklengths, n, "array_of_blocklengths")?;
            let disps: Vec<isize> = array(displacements, n, "array_of_displacements")?.iter().map(|&d| d as isize).collect();
            let held = array(types, n, "array_of_types")?.iter().map(|&h| handle::datatype(h)).collect::<Result<Vec<_>>>()?;
            let refs: Vec<&Datatype> = held.iter().map(|t| &**t).collect();
            Datatype::new_struct(bl, &disps, &refs)
        })
    }
}

/// Blocks of different types at byte displacements (MPI-1 name).
///
/// fortran: manual (MPI-1's displacements are INTEGERs)
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_struct(
    count: c_int,
    array_of_blocklengths: *mut c_int,
    array_of_displacements: *mut MPI_Aint,
    array_of_types: *mut MPI_Datatype,
    newtype: *mut MPI_Datatype,
) -> c_int {
    // SAFETY: MPI's contract on the arrays and `newtype`.
    let code = guarded("MPI_Type_struct", || unsafe {
        structure(count, array_of_blocklengths, array_of_displacements, array_of_types, newtype)
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Blocks of different types at byte displacements.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_create_struct(
    count: c_int,
    array_of_blocklengths: *const c_int,
    array_of_displacements: *const MPI_Aint,
    array_of_types: *const MPI_Datatype,
    newtype: *mut MPI_Datatype,
) -> c_int {
    // SAFETY: MPI's contract on the arrays and `newtype`.
    let code = guarded("MPI_Type_create_struct", || unsafe {
        structure(count, array_of_blocklengths, array_of_displacements, array_of_types, newtype)
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// The same data with a new lower bound and extent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_create_resized(oldtype: MPI_Datatype, lb: MPI_Aint, extent: MPI_Aint, newtype: *mut MPI_Datatype) -> c_int {
    let code = guarded("MPI_Type_create_resized", || {
        // SAFETY: MPI's contract on `newtype`.
        unsafe { construct(newtype, || Datatype::new_resized(&*handle::datatype(oldtype)?, lb as isize, extent as isize)) }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// A copy of a type (committed if the original is).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_dup(oldtype: MPI_Datatype, newtype: *mut MPI_Datatype) -> c_int {
    let code = guarded("MPI_Type_dup", || {
        // SAFETY: MPI's contract on `newtype`.
        unsafe { construct(newtype, || Ok(Datatype::new_dup(&*handle::datatype(oldtype)?))) }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Makes a type usable in communication.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_commit(datatype: *mut MPI_Datatype) -> c_int {
    let code = guarded("MPI_Type_commit", || {
        live()?;
        args::out_ptr(datatype, "datatype")?;
        // SAFETY: checked non-NULL.
        let h = unsafe { *datatype };
        match handle::derived_index(h)? {
            Some(i) => types::update(i, |t| t.committed = true),
            None => Ok(()),
        }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Frees a derived type; operations using it finish with it. The handle becomes
/// MPI_DATATYPE_NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_free(datatype: *mut MPI_Datatype) -> c_int {
    let code = guarded("MPI_Type_free", || {
        live()?;
        args::out_ptr(datatype, "datatype")?;
        // SAFETY: checked non-NULL.
        let h = unsafe { &mut *datatype };
        let Some(i) = handle::derived_index(*h)? else {
            return Err(MpiError::new(c::MPI_ERR_TYPE, format!("Cannot free permanent data type {}", handle::datatype(*h)?.name)));
        };
        types::remove(i)?;
        *h = c::MPI_DATATYPE_NULL;
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Bytes of data in one element (MPI_UNDEFINED if more than an int holds).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_size(datatype: MPI_Datatype, size: *mut c_int) -> c_int {
    let code = guarded("MPI_Type_size", || {
        let t = query(datatype)?;
        // SAFETY: MPI's contract on `size`.
        unsafe { put(size, int_or_undefined(t.size()), "size") }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Bytes of data in one element, as an MPI_Count.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_size_x(datatype: MPI_Datatype, size: *mut MPI_Count) -> c_int {
    let code = guarded("MPI_Type_size_x", || {
        let t = query(datatype)?;
        // SAFETY: MPI's contract on `size`.
        unsafe { put(size, t.size() as MPI_Count, "size") }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Upper minus lower bound (MPI-1 name).
///
/// fortran: manual (MPI-1's EXTENT is an INTEGER)
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_extent(datatype: MPI_Datatype, extent: *mut MPI_Aint) -> c_int {
    let code = guarded("MPI_Type_extent", || {
        let t = query(datatype)?;
        // SAFETY: MPI's contract on `extent`.
        unsafe { put(extent, t.extent() as MPI_Aint, "extent") }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// The lower bound (MPI-1).
///
/// fortran: manual (MPI-1's DISPLACEMENT is an INTEGER)
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_lb(datatype: MPI_Datatype, displacement: *mut MPI_Aint) -> c_int {
    let code = guarded("MPI_Type_lb", || {
        let t = query(datatype)?;
        // SAFETY: MPI's contract on `displacement`.
        unsafe { put(displacement, t.lb as MPI_Aint, "displacement") }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// The upper bound (MPI-1).
///
/// fortran: manual (MPI-1's DISPLACEMENT is an INTEGER)
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_ub(datatype: MPI_Datatype, displacement: *mut MPI_Aint) -> c_int {
    let code = guarded("MPI_Type_ub", || {
        let t = query(datatype)?;
        // SAFETY: MPI's contract on `displacement`.
        unsafe { put(displacement, t.ub as MPI_Aint, "displacement") }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Lower bound and extent.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_get_extent(datatype: MPI_Datatype, lb: *mut MPI_Aint, extent: *mut MPI_Aint) -> c_int {
    let code = guarded("MPI_Type_get_extent", || {
        let t = query(datatype)?;
        args::out_ptr(extent, "extent")?;
        // SAFETY: MPI's contract on both pointers.
        unsafe {
            put(lb, t.lb as MPI_Aint, "lb")?;
            put(extent, t.extent() as MPI_Aint, "extent")
        }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Lower bound and extent, as MPI_Counts.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_get_extent_x(datatype: MPI_Datatype, lb: *mut MPI_Count, extent: *mut MPI_Count) -> c_int {
    let code = guarded("MPI_Type_get_extent_x", || {
        let t = query(datatype)?;
        args::out_ptr(extent, "extent")?;
        // SAFETY: MPI's contract on both pointers.
        unsafe {
            put(lb, t.lb as MPI_Count, "lb")?;
            put(extent, t.extent() as MPI_Count, "extent")
        }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Where the data of one element starts, and how far it reaches, whatever the bounds say.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_get_true_extent(datatype: MPI_Datatype, true_lb: *mut MPI_Aint, true_extent: *mut MPI_Aint) -> c_int {
    let code = guarded("MPI_Type_get_true_extent", || {
        let t = query(datatype)?;
        args::out_ptr(true_extent, "true_extent")?;
        // SAFETY: MPI's contract on both pointers.
        unsafe {
            put(true_lb, t.true_lb as MPI_Aint, "true_lb")?;
            put(true_extent, (t.true_ub - t.true_lb) as MPI_Aint, "true_extent")
        }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// True bounds, as MPI_Counts.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_get_true_extent_x(datatype: MPI_Datatype, true_lb: *mut MPI_Count, true_extent: *mut MPI_Count) -> c_int {
    let code = guarded("MPI_Type_get_true_extent_x", || {
        let t = query(datatype)?;
        args::out_ptr(true_extent, "true_extent")?;
        // SAFETY: MPI's contract on both pointers.
        unsafe {
            put(true_lb, t.true_lb as MPI_Count, "true_lb")?;
            put(true_extent, (t.true_ub - t.true_lb) as MPI_Count, "true_extent")
        }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// The address of a location, for displacements relative to MPI_BOTTOM (MPI-1 name).
///
/// fortran: manual (MPI-1's ADDRESS is an INTEGER)
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Address(location: *mut c_void, address: *mut MPI_Aint) -> c_int {
    let code = guarded("MPI_Address", || {
        // SAFETY: MPI's contract on `address`.
        unsafe { put(address, location as MPI_Aint, "address") }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// The address of a location, for displacements relative to MPI_BOTTOM.
///
/// fortran: manual (LOCATION is a choice argument that may be MPI_BOTTOM)
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Get_address(location: *const c_void, address: *mut MPI_Aint) -> c_int {
    let code = guarded("MPI_Get_address", || {
        // SAFETY: MPI's contract on `address`.
        unsafe { put(address, location as MPI_Aint, "address") }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Basic elements in a received message, as MPI_Get_elements and MPI_Get_elements_x count them.
///
/// # Safety
/// `status` is NULL or a valid status.
unsafe fn elements(status: *const MPI_Status, datatype: MPI_Datatype) -> Result<Option<usize>> {
    args::out_ptr(status as *mut MPI_Status, "status")?;
    let t = query(datatype)?;
    // SAFETY: checked non-NULL.
    let bytes = status_bytes(unsafe { &*status });
    Ok(usize::try_from(bytes).ok().and_then(|b| t.elements_in(b)))
}

/// The number of basic elements a status describes (MPI_UNDEFINED if not a whole number).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Get_elements(status: *const MPI_Status, datatype: MPI_Datatype, count: *mut c_int) -> c_int {
    let code = guarded("MPI_Get_elements", || {
        // SAFETY: MPI's contract on `status`.
        let n = unsafe { elements(status, datatype)? };
        // SAFETY: MPI's contract on `count`.
        unsafe { put(count, n.map_or(c::MPI_UNDEFINED, int_or_undefined), "count") }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// The number of basic elements a status describes, as an MPI_Count.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Get_elements_x(status: *const MPI_Status, datatype: MPI_Datatype, count: *mut MPI_Count) -> c_int {
    let code = guarded("MPI_Get_elements_x", || {
        // SAFETY: MPI's contract on `status`.
        let n = unsafe { elements(status, datatype)? };
        let v = n.and_then(|n| MPI_Count::try_from(n).ok()).unwrap_or(c::MPI_UNDEFINED as MPI_Count);
        // SAFETY: MPI's contract on `count`.
        unsafe { put(count, v, "count") }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Reads `*position` and checks that `need` more bytes fit in a buffer of `size` bytes.
///
/// # Safety
/// `position` is NULL or valid for reading an int.
unsafe fn packed_range(position: *mut c_int, size: c_int, need: usize, what: &str) -> Result<(usize, usize)> {
    if size < 0 {
        return Err(MpiError::arg(format!("Invalid {what} size, value is {size}")));
    }
    args::out_ptr(position, "position")?;
    // SAFETY: checked non-NULL.
    let pos = unsafe { *position };
    if pos < 0 || pos > size {
        return Err(MpiError::arg(format!("Invalid position {pos} in a {what} buffer of {size} bytes")));
    }
    let (pos, size) = (pos as usize, size as usize);
    if need > size - pos {
        return Err(MpiError::new(
            c::MPI_ERR_TRUNCATE,
            format!("Message truncated: {need} bytes do not fit in the {} bytes left of the {what} buffer", size - pos),
        ));
    }
    Ok((pos, pos + need))
}

/// Packs `incount` elements into `outbuf` from byte `*position`, and advances `*position`.
/// The packed form is the data in type-map order, nothing else, so a message sent as
/// MPI_PACKED can be received with the matching type and the other way round.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Pack(
    inbuf: *const c_void,
    incount: c_int,
    datatype: MPI_Datatype,
    outbuf: *mut c_void,
    outsize: c_int,
    position: *mut c_int,
    comm: MPI_Comm,
) -> c_int {
    let code = guarded("MPI_Pack", || {
        check_comm(comm)?;
        let n = args::count(incount)?;
        let t = handle::committed_datatype(datatype)?;
        args::buffer(inbuf, n, datatype)?;
        let need = n.checked_mul(t.size()).ok_or_else(|| MpiError::arg("The data to pack does not fit in memory"))?;
        // SAFETY: MPI's contract on `position`.
        let (from, to) = unsafe { packed_range(position, outsize, need, "output")? };
        if need > 0 {
            if outbuf.is_null() {
                return Err(MpiError::new(c::MPI_ERR_BUFFER, "Null output buffer"));
            }
            // SAFETY: MPI's rule: `inbuf` holds `incount` elements of `datatype`.
            let src = unsafe { UserBuf::new(inbuf.cast(), n, t.layout.clone()) };
            // SAFETY: `outbuf` has `outsize` bytes (checked `to <= outsize`), and MPI forbids
            // it to overlap the input.
            let dst = unsafe { std::slice::from_raw_parts_mut(outbuf.cast::<u8>().add(from), need) };
            let mut at = 0;
            src.read(0, need, &mut |s| {
                dst[at..at + s.len()].copy_from_slice(s);
                at += s.len();
            });
        }
        // SAFETY: checked non-NULL by `packed_range`.
        unsafe { *position = to as c_int };
        Ok(())
    });
    dispatch(comm, code)
}

/// Unpacks `outcount` elements from `inbuf` at byte `*position`, and advances `*position`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Unpack(
    inbuf: *const c_void,
    insize: c_int,
    position: *mut c_int,
    outbuf: *mut c_void,
    outcount: c_int,
    datatype: MPI_Datatype,
    comm: MPI_Comm,
) -> c_int {
    let code = guarded("MPI_Unpack", || {
        check_comm(comm)?;
        let n = args::count(outcount)?;
        let t = handle::committed_datatype(datatype)?;
        args::buffer(outbuf, n, datatype)?;
        let need = n.checked_mul(t.size()).ok_or_else(|| MpiError::arg("The data to unpack does not fit in memory"))?;
        // SAFETY: MPI's contract on `position`.
        let (from, to) = unsafe { packed_range(position, insize, need, "input")? };
        if need > 0 {
            if inbuf.is_null() {
                return Err(MpiError::new(c::MPI_ERR_BUFFER, "Null input buffer"));
            }
            // SAFETY: `inbuf` has `insize` bytes (checked `to <= insize`).
            let src = unsafe { std::slice::from_raw_parts(inbuf.cast::<u8>().add(from), need) };
            // SAFETY: MPI's rule: `outbuf` is writable for `outcount` elements of `datatype`
            // and does not overlap the input.
            let dst = unsafe { UserBuf::new(outbuf.cast_const().cast(), n, t.layout.clone()) };
            dst.write(0, src);
        }
        // SAFETY: checked non-NULL by `packed_range`.
        unsafe { *position = to as c_int };
        Ok(())
    });
    dispatch(comm, code)
}

/// An upper bound of the bytes MPI_Pack needs for `incount` elements (here: exactly that).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Pack_size(incount: c_int, datatype: MPI_Datatype, comm: MPI_Comm, size: *mut c_int) -> c_int {
    let code = guarded("MPI_Pack_size", || {
        check_comm(comm)?;
        let n = args::count(incount)?;
        let t = handle::datatype(datatype)?;
        let bytes = n
            .checked_mul(t.size())
            .and_then(|b| c_int::try_from(b).ok())
            .ok_or_else(|| MpiError::arg(format!("The packed size of {n} elements does not fit in an int")))?;
        // SAFETY: MPI's contract on `size`.
        unsafe { put(size, bytes, "size") }
    });
    dispatch(comm, code)
}

/// The predefined type of a class (MPI_TYPECLASS_*) and size: the Fortran sized types, as
/// MPICH answers.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_match_size(typeclass: c_int, size: c_int, datatype: *mut MPI_Datatype) -> c_int {
    let code = guarded("MPI_Type_match_size", || {
        live()?;
        let found = match (typeclass, size) {
            (c::MPI_TYPECLASS_REAL, 4) => c::MPI_REAL4,
            (c::MPI_TYPECLASS_REAL, 8) => c::MPI_REAL8,
            (c::MPI_TYPECLASS_REAL, 16) => c::MPI_REAL16,
            (c::MPI_TYPECLASS_INTEGER, 1) => c::MPI_INTEGER1,
            (c::MPI_TYPECLASS_INTEGER, 2) => c::MPI_INTEGER2,
            (c::MPI_TYPECLASS_INTEGER, 4) => c::MPI_INTEGER4,
            (c::MPI_TYPECLASS_INTEGER, 8) => c::MPI_INTEGER8,
            (c::MPI_TYPECLASS_COMPLEX, 8) => c::MPI_COMPLEX8,
            (c::MPI_TYPECLASS_COMPLEX, 16) => c::MPI_COMPLEX16,
            (c::MPI_TYPECLASS_COMPLEX, 32) => c::MPI_COMPLEX32,
            (c::MPI_TYPECLASS_REAL | c::MPI_TYPECLASS_INTEGER | c::MPI_TYPECLASS_COMPLEX, _) => {
                return Err(MpiError::arg(format!("No predefined type of class {typeclass} has {size} bytes")));
            }
            _ => return Err(MpiError::arg(format!("Invalid type class {typeclass}"))),
        };
        // SAFETY: MPI's contract on `datatype`.
        unsafe { put(datatype, found, "datatype") }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// The name of a type ("" for an unnamed derived type).
///
/// fortran: manual (TYPE_NAME is a CHARACTER)
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_get_name(datatype: MPI_Datatype, type_name: *mut c_char, resultlen: *mut c_int) -> c_int {
    let code = guarded("MPI_Type_get_name", || {
        let t = query(datatype)?;
        args::out_ptr(type_name, "type_name")?;
        args::out_ptr(resultlen, "resultlen")?;
        let name = if t.predefined { types::predefined_name(datatype).unwrap_or_else(|| t.name.clone()) } else { t.name.clone() };
        // SAFETY: MPI requires MPI_MAX_OBJECT_NAME bytes at `type_name`; both checked non-NULL.
        unsafe { copy_c_string(&name, type_name, c::MPI_MAX_OBJECT_NAME as usize, resultlen) };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Names a type (cut to MPI_MAX_OBJECT_NAME - 1 bytes).
///
/// fortran: manual (TYPE_NAME is a CHARACTER)
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Type_set_name(datatype: MPI_Datatype, type_name: *const c_char) -> c_int {
    let code = guarded("MPI_Type_set_name", || {
        live()?;
        let index = handle::derived_index(datatype)?;
        args::out_ptr(type_name as *mut c_char, "type_name")?;
        // SAFETY: MPI requires a NUL-terminated string; checked non-NULL.
        let given = unsafe { CStr::from_ptr(type_name) }.to_string_lossy();
        let mut end = given.len().min(c::MPI_MAX_OBJECT_NAME as usize - 1);
        while !given.is_char_boundary(end) {
            end -= 1;
        }
        let name = given[..end].to_string();
        match index {
            Some(i) => types::update(i, |t| t.name = name),
            None => {
                types::rename_predefined(datatype, name);
                Ok(())
            }
        }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

include!(concat!(env!("OUT_DIR"), "/abi_gen/datatype.rs"));
