//! Groups (MPI-1.2 section 5.3). Errors here concern no communicator, so they go to
//! MPI_COMM_WORLD's error handler.

use std::ffi::c_int;

use super::consts as c;
use super::errh::dispatch;
use super::types::{MPI_Comm, MPI_Group};
use super::{args, guarded, handle};
use crate::core::comm::Group;
use crate::core::error::{MpiError, Result};
use crate::core::group;
use crate::runtime;

/// A count of array entries: MPI_ERR_ARG when negative, as MPICH says.
fn array_len(n: c_int, what: &str) -> Result<usize> {
    if n < 0 {
        return Err(MpiError::arg(format!("Invalid argument {what}: value is {n} but must be nonnegative")));
    }
    Ok(n as usize)
}

/// Reads `n` ints from a C array.
///
/// # Safety
/// `p` must be valid for reading `n` ints when `n > 0`.
unsafe fn read_ints(p: *const c_int, n: usize, what: &str) -> Result<Vec<i32>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if p.is_null() {
        return Err(MpiError::arg(format!("Null pointer in parameter {what}")));
    }
    // SAFETY: the caller guarantees n readable ints at p; checked non-NULL.
    Ok(unsafe { std::slice::from_raw_parts(p, n) }.to_vec())
}

/// Stores a new group and writes its handle.
///
/// # Safety
/// `out` must be valid for writing one `MPI_Group` (checked non-NULL here).
unsafe fn new_group(out: *mut MPI_Group, g: Group) -> Result<()> {
    args::out_ptr(out, "newgroup")?;
    let i = runtime::with(|rt| Ok(rt.groups.insert(g)))?;
    // SAFETY: checked non-NULL; the caller passes a valid MPI_Group pointer.
    unsafe { *out = handle::group_handle(i) };
    Ok(())
}

fn get(h: MPI_Group) -> Result<Group> {
    let i = handle::group(h)?;
    runtime::with(|rt| rt.groups.get(i).cloned())
}

/// The group of `comm` (its local group for an intercommunicator).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_group(comm: MPI_Comm, group: *mut MPI_Group) -> c_int {
    let code = guarded("MPI_Comm_group", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(group, "group")?;
        let i = runtime::with(|rt| {
            let g = rt.comm(ci)?.group.clone();
            Ok(rt.groups.insert(g))
        })?;
        // SAFETY: checked non-NULL.
        unsafe { *group = handle::group_handle(i) };
        Ok(())
    });
    dispatch(comm, code)
}

/// The number of processes in `group`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Group_size(group: MPI_Group, size: *mut c_int) -> c_int {
    let code = guarded("MPI_Group_size", || {
        let g = get(group)?;
        args::out_ptr(size, "size")?;
        // SAFETY: checked non-NULL.
        unsafe { *size = g.size() as c_int };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// This process's rank in `group`, or MPI_UNDEFINED.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Group_rank(group: MPI_Group, rank: *mut c_int) -> c_int {
    let code = guarded("MPI_Group_rank", || {
        let g = get(group)?;
        args::out_ptr(rank, "rank")?;
        let me = runtime::with(|rt| Ok(rt.info.rank))?;
        // SAFETY: checked non-NULL.
        unsafe { *rank = g.rank_of(me).map_or(c::MPI_UNDEFINED, |r| r as c_int) };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// The ranks in `group2` of the processes at `ranks1` in `group1`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Group_translate_ranks(
    group1: MPI_Group,
    n: c_int,
    ranks1: *const c_int,
    group2: MPI_Group,
    ranks2: *mut c_int,
) -> c_int {
    let code = guarded("MPI_Group_translate_ranks", || {
        let g1 = get(group1)?;
        let g2 = get(group2)?;
        let n = array_len(n, "n")?;
        // SAFETY: MPI requires n readable ints at ranks1.
        let r1 = unsafe { read_ints(ranks1, n, "ranks1")? };
        let out = group::translate_ranks(&g1, &r1, &g2)?;
        if n > 0 {
            args::out_ptr(ranks2, "ranks2")?;
            // SAFETY: MPI requires room for n ints at ranks2; checked non-NULL.
            unsafe { std::ptr::copy_nonoverlapping(out.as_ptr(), ranks2, n) };
        }
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// MPI_IDENT, MPI_SIMILAR or MPI_UNEQUAL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Group_compare(group1: MPI_Group, group2: MPI_Group, result: *mut c_int) -> c_int {
    let code = guarded("MPI_Group_compare", || {
        let g1 = get(group1)?;
        let g2 = get(group2)?;
        args::out_ptr(result, "result")?;
        // SAFETY: checked non-NULL.
        unsafe { *result = group::compare(&g1, &g2).to_mpi() };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// All of `group1`, then what `group2` adds.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Group_union(group1: MPI_Group, group2: MPI_Group, newgroup: *mut MPI_Group) -> c_int {
    let code = guarded("MPI_Group_union", || {
        let (g1, g2) = (get(group1)?, get(group2)?);
        // SAFETY: newgroup is checked before it is written.
        unsafe { new_group(newgroup, group::union(&g1, &g2)) }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// The members of `group1` also in `group2`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Group_intersection(group1: MPI_Group, group2: MPI_Group, newgroup: *mut MPI_Group) -> c_int {
    let code = guarded("MPI_Group_intersection", || {
        let (g1, g2) = (get(group1)?, get(group2)?);
        // SAFETY: newgroup is checked before it is written.
        unsafe { new_group(newgroup, group::intersection(&g1, &g2)) }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// The members of `group1` not in `group2`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Group_difference(group1: MPI_Group, group2: MPI_Group, newgroup: *mut MPI_Group) -> c_int {
    let code = guarded("MPI_Group_difference", || {
        let (g1, g2) = (get(group1)?, get(group2)?);
        // SAFETY: newgroup is checked before it is written.
        unsafe { new_group(newgroup, group::difference(&g1, &g2)) }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// The members at `ranks`, in that order.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Group_incl(group: MPI_Group, n: c_int, ranks: *const c_int, newgroup: *mut MPI_Group) -> c_int {
    let code = guarded("MPI_Group_incl", || {
        let g = get(group)?;
        let n = array_len(n, "n")?;
        // SAFETY: MPI requires n readable ints at ranks.
        let r = unsafe { read_ints(ranks, n, "ranks")? };
        let out = group::incl(&g, &r)?;
        // SAFETY: newgroup is checked before it is written.
        unsafe { new_group(newgroup, out) }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// The group without the members at `ranks`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Group_excl(group: MPI_Group, n: c_int, ranks: *const c_int, newgroup: *mut MPI_Group) -> c_int {
    let code = guarded("MPI_Group_excl", || {
        let g = get(group)?;
        let n = array_len(n, "n")?;
        // SAFETY: MPI requires n readable ints at ranks.
        let r = unsafe { read_ints(ranks, n, "ranks")? };
        let out = group::excl(&g, &r)?;
        // SAFETY: newgroup is checked before it is written.
        unsafe { new_group(newgroup, out) }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Reads `n` (first, last, stride) triples.
///
/// # Safety
/// `p` must be valid for reading `n` triples when `n > 0`.
unsafe fn read_ranges(p: *const [c_int; 3], n: usize) -> Result<Vec<[i32; 3]>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if p.is_null() {
        return Err(MpiError::arg("Null pointer in parameter ranges"));
    }
    // SAFETY: the caller guarantees n readable triples at p; checked non-NULL.
    Ok(unsafe { std::slice::from_raw_parts(p, n) }.to_vec())
}

/// The members at the ranks the (first, last, stride) triples name.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Group_range_incl(group: MPI_Group, n: c_int, ranges: *mut [c_int; 3], newgroup: *mut MPI_Group) -> c_int {
    let code = guarded("MPI_Group_range_incl", || {
        let g = get(group)?;
        let n = array_len(n, "n")?;
        // SAFETY: MPI requires n readable triples at ranges.
        let r = unsafe { read_ranges(ranges, n)? };
        let out = group::range_incl(&g, &r)?;
        // SAFETY: newgroup is checked before it is written.
        unsafe { new_group(newgroup, out) }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// The group without the ranks the (first, last, stride) triples name.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Group_range_excl(group: MPI_Group, n: c_int, ranges: *mut [c_int; 3], newgroup: *mut MPI_Group) -> c_int {
    let code = guarded("MPI_Group_range_excl", || {
        let g = get(group)?;
        let n = array_len(n, "n")?;
        // SAFETY: MPI requires n readable triples at ranges.
        let r = unsafe { read_ranges(ranges, n)? };
        let out = group::range_excl(&g, &r)?;
        // SAFETY: newgroup is checked before it is written.
        unsafe { new_group(newgroup, out) }
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Frees a group handle and sets it to MPI_GROUP_NULL (MPI_GROUP_EMPTY may be freed too).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Group_free(group: *mut MPI_Group) -> c_int {
    let code = guarded("MPI_Group_free", || {
        args::out_ptr(group, "group")?;
        // SAFETY: checked non-NULL.
        let i = handle::group(unsafe { *group })?;
        runtime::with(|rt| rt.groups.free(i))?;
        // SAFETY: checked non-NULL.
        unsafe { *group = c::MPI_GROUP_NULL };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

include!(concat!(env!("OUT_DIR"), "/abi_gen/group.rs"));
