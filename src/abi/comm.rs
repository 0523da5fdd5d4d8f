//! Communicators (MPI-1.2 sections 5.4 to 5.6): queries, construction, intercommunicators,
//! names, and the barrier.

use std::ffi::{CStr, c_char, c_int};

use super::consts as c;
use super::errh::{copy_c_string, dispatch};
use super::types::{MPI_Comm, MPI_Group};
use super::{args, guarded, handle};
use crate::core::error::MpiError;
use crate::runtime;
use crate::runtime::attrs;

/// This process's rank in `comm`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_rank(comm: MPI_Comm, rank: *mut c_int) -> c_int {
    let code = guarded("MPI_Comm_rank", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(rank, "rank")?;
        let r = runtime::with(|rt| Ok(rt.comm(ci)?.rank))?;
        // SAFETY: checked non-NULL.
        unsafe { *rank = r as c_int };
        Ok(())
    });
    dispatch(comm, code)
}

/// The number of processes in `comm`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_size(comm: MPI_Comm, size: *mut c_int) -> c_int {
    let code = guarded("MPI_Comm_size", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(size, "size")?;
        let n = runtime::with(|rt| Ok(rt.comm(ci)?.size()))?;
        // SAFETY: checked non-NULL.
        unsafe { *size = n as c_int };
        Ok(())
    });
    dispatch(comm, code)
}

/// A new communicator with the same group and a new context (collective).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_dup(comm: MPI_Comm, newcomm: *mut MPI_Comm) -> c_int {
    let code = guarded("MPI_Comm_dup", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(newcomm, "newcomm")?;
        // SAFETY: checked non-NULL; FT-MPI programs may store FT_MPI_CHECK_RECOVER there.
        if super::ftmpi::check_recover_requested(unsafe { *newcomm }) {
            runtime::with(|rt| {
                rt.ft.check_recover = true;
                Ok(())
            })?;
        }
        let ni = attrs::comm_dup(ci)?;
        // SAFETY: checked non-NULL.
        unsafe { *newcomm = handle::comm_handle(ni) };
        Ok(())
    });
    dispatch(comm, code)
}

/// Frees a communicator after running its attributes' delete callbacks; pending operations on
/// it still complete. Its context id becomes free for new communicators.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_free(comm: *mut MPI_Comm) -> c_int {
    let mut errcomm = c::MPI_COMM_WORLD;
    let code = guarded("MPI_Comm_free", || {
        args::out_ptr(comm, "comm")?;
        // SAFETY: checked non-NULL.
        let h = unsafe { *comm };
        errcomm = h;
        let ci = handle::comm(h)?;
        attrs::comm_free(ci)?;
        // SAFETY: checked non-NULL.
        unsafe { *comm = c::MPI_COMM_NULL };
        errcomm = c::MPI_COMM_WORLD;
        Ok(())
    });
    dispatch(errcomm, code)
}

/// Writes a new communicator handle, or MPI_COMM_NULL.
///
/// # Safety
/// `out` must be valid for writing one `MPI_Comm` (checked non-NULL by the caller).
unsafe fn put_comm(out: *mut MPI_Comm, ni: Option<u32>) {
    // SAFETY: the caller checked `out`.
    unsafe { *out = ni.map_or(c::MPI_COMM_NULL, handle::comm_handle) };
}

/// A communicator of the members of `group`, a subset of `comm`'s group; MPI_COMM_NULL at the
/// other processes. Collective over `comm`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_create(comm: MPI_Comm, group: MPI_Group, newcomm: *mut MPI_Comm) -> c_int {
    let code = guarded("MPI_Comm_create", || {
        let ci = handle::comm(comm)?;
        let gi = handle::group(group)?;
        args::out_ptr(newcomm, "newcomm")?;
        let ni = runtime::with(|rt| {
            rt.comm(ci)?;
            let g = rt.groups.get(gi)?.clone();
            rt.comm_create(ci, &g)
        })?;
        // SAFETY: checked non-NULL.
        unsafe { put_comm(newcomm, ni) };
        Ok(())
    });
    dispatch(comm, code)
}

/// One communicator per `color`, ranked by `key` (then by rank in `comm`); MPI_COMM_NULL for
/// MPI_UNDEFINED. Collective over `comm`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_split(comm: MPI_Comm, color: c_int, key: c_int, newcomm: *mut MPI_Comm) -> c_int {
    let code = guarded("MPI_Comm_split", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(newcomm, "newcomm")?;
        let ni = runtime::with(|rt| rt.comm_split(ci, color, key))?;
        // SAFETY: checked non-NULL.
        unsafe { put_comm(newcomm, ni) };
        Ok(())
    });
    dispatch(comm, code)
}

/// MPI_IDENT (the same communicator), MPI_CONGRUENT (same groups, another context),
/// MPI_SIMILAR (same members, another order) or MPI_UNEQUAL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_compare(comm1: MPI_Comm, comm2: MPI_Comm, result: *mut c_int) -> c_int {
    let code = guarded("MPI_Comm_compare", || {
        let a = handle::comm(comm1)?;
        let b = handle::comm(comm2)?;
        args::out_ptr(result, "result")?;
        let r = runtime::with(|rt| rt.comm_compare(a, b))?;
        // SAFETY: checked non-NULL.
        unsafe { *result = r };
        Ok(())
    });
    dispatch(comm1, code)
}

/// Whether `comm` is an intercommunicator.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_test_inter(comm: MPI_Comm, flag: *mut c_int) -> c_int {
    let code = guarded("MPI_Comm_test_inter", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(flag, "flag")?;
        let inter = runtime::with(|rt| Ok(rt.comm(ci)?.is_inter()))?;
        // SAFETY: checked non-NULL.
        unsafe { *flag = inter as c_int };
        Ok(())
    });
    dispatch(comm, code)
}

fn not_intercomm() -> MpiError {
    MpiError::new(c::MPI_ERR_COMM, "Invalid communicator: an intercommunicator is required")
}

/// The size of an intercommunicator's remote group.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_remote_size(comm: MPI_Comm, size: *mut c_int) -> c_int {
    let code = guarded("MPI_Comm_remote_size", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(size, "size")?;
        let n = runtime::with(|rt| rt.comm(ci)?.remote.as_ref().map(|g| g.size()).ok_or_else(not_intercomm))?;
        // SAFETY: checked non-NULL.
        unsafe { *size = n as c_int };
        Ok(())
    });
    dispatch(comm, code)
}

/// The remote group of an intercommunicator.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_remote_group(comm: MPI_Comm, group: *mut MPI_Group) -> c_int {
    let code = guarded("MPI_Comm_remote_group", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(group, "group")?;
        let gi = runtime::with(|rt| {
            let g = rt.comm(ci)?.remote.clone().ok_or_else(not_intercomm)?;
            Ok(rt.groups.insert(g))
        })?;
        // SAFETY: checked non-NULL.
        unsafe { *group = handle::group_handle(gi) };
        Ok(())
    });
    dispatch(comm, code)
}

/// An intercommunicator between the group of `local_comm` and the group whose leader is
/// `remote_leader` in `peer_comm`. `peer_comm`, `remote_leader` and `tag` matter at the local
/// leader only; the two leaders talk on `peer_comm` with `tag`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Intercomm_create(
    local_comm: MPI_Comm,
    local_leader: c_int,
    peer_comm: MPI_Comm,
    remote_leader: c_int,
    tag: c_int,
    newintercomm: *mut MPI_Comm,
) -> c_int {
    let code = guarded("MPI_Intercomm_create", || {
        let li = handle::comm(local_comm)?;
        args::out_ptr(newintercomm, "newintercomm")?;
        let ni = runtime::with(|rt| {
            let cm = rt.comm(li)?;
            if cm.is_inter() {
                return Err(MpiError::new(c::MPI_ERR_COMM, "Invalid communicator: local_comm is an intercommunicator"));
            }
            let (size, me) = (cm.size(), cm.rank);
            if local_leader < 0 || local_leader as u32 >= size {
                return Err(MpiError::new(
                    c::MPI_ERR_RANK,
                    format!("Invalid rank has value {local_leader} but must be nonnegative and less than {size}"),
                ));
            }
            let peer = if me == local_leader as u32 {
                let pi = handle::comm(peer_comm)?;
                let psize = rt.comm(pi)?.peer_size();
                if remote_leader < 0 || remote_leader as u32 >= psize {
                    return Err(MpiError::new(
                        c::MPI_ERR_RANK,
                        format!("Invalid rank has value {remote_leader} but must be nonnegative and less than {psize}"),
                    ));
                }
                args::send_tag(tag)?;
                Some(pi)
            } else {
                None
            };
            rt.intercomm_create(li, local_leader as u32, peer, remote_leader.max(0) as u32, tag)
        })?;
        // SAFETY: checked non-NULL.
        unsafe { *newintercomm = handle::comm_handle(ni) };
        Ok(())
    });
    dispatch(local_comm, code)
}

/// An intracommunicator of both groups of `intercomm`: the group that passed `high = 0`
/// first (when both passed the same, the group whose leader has the lower world rank).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Intercomm_merge(intercomm: MPI_Comm, high: c_int, newintracomm: *mut MPI_Comm) -> c_int {
    let code = guarded("MPI_Intercomm_merge", || {
        let ci = handle::comm(intercomm)?;
        args::out_ptr(newintracomm, "newintracomm")?;
        let ni = runtime::with(|rt| rt.intercomm_merge(ci, high != 0))?;
        // SAFETY: checked non-NULL.
        unsafe { *newintracomm = handle::comm_handle(ni) };
        Ok(())
    });
    dispatch(intercomm, code)
}

/// Names a communicator (cut to MPI_MAX_OBJECT_NAME - 1 bytes).
///
/// fortran: manual
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_set_name(comm: MPI_Comm, comm_name: *const c_char) -> c_int {
    let code = guarded("MPI_Comm_set_name", || {
        let ci = handle::comm(comm)?;
        if comm_name.is_null() {
            return Err(MpiError::arg("Null pointer in parameter comm_name"));
        }
        // SAFETY: MPI requires a NUL-terminated string; checked non-NULL.
        let bytes = unsafe { CStr::from_ptr(comm_name) }.to_bytes();
        let max = c::MPI_MAX_OBJECT_NAME as usize - 1;
        let name = String::from_utf8_lossy(&bytes[..bytes.len().min(max)]).into_owned();
        runtime::with(|rt| {
            rt.comm(ci)?;
            rt.comms.get_mut(ci).expect("checked").name = name;
            Ok(())
        })
    });
    dispatch(comm, code)
}

/// The name of a communicator ("" when never named; the predefined ones have theirs).
///
/// fortran: manual
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_get_name(comm: MPI_Comm, comm_name: *mut c_char, resultlen: *mut c_int) -> c_int {
    let code = guarded("MPI_Comm_get_name", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(comm_name, "comm_name")?;
        args::out_ptr(resultlen, "resultlen")?;
        let name = runtime::with(|rt| Ok(rt.comm(ci)?.name.clone()))?;
        // SAFETY: the caller provides MPI_MAX_OBJECT_NAME bytes; both pointers checked.
        unsafe { copy_c_string(&name, comm_name, c::MPI_MAX_OBJECT_NAME as usize, resultlen) };
        Ok(())
    });
    dispatch(comm, code)
}

/// Blocks until every member of `comm` has called it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Barrier(comm: MPI_Comm) -> c_int {
    let code = guarded("MPI_Barrier", || {
        let ci = handle::comm(comm)?;
        runtime::with(|rt| {
            args::intracomm(rt.comm(ci)?.is_inter(), comm)?;
            let r = rt.barrier(ci);
            rt.strict_agree(ci, r)
        })
    });
    dispatch(comm, code)
}

include!(concat!(env!("OUT_DIR"), "/abi_gen/comm.rs"));
