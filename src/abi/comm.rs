//! Communicators (the part the foundation needs) and the barrier.

use std::ffi::c_int;

use super::consts as c;
use super::errh::dispatch;
use super::types::MPI_Comm;
use super::{args, guarded, handle};
use crate::runtime;

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
        let ni = runtime::with(|rt| rt.comm_dup(ci))?;
        // SAFETY: checked non-NULL.
        unsafe { *newcomm = handle::comm_handle(ni) };
        Ok(())
    });
    dispatch(comm, code)
}

/// Frees a communicator; pending operations on it still complete.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_free(comm: *mut MPI_Comm) -> c_int {
    let mut errcomm = c::MPI_COMM_WORLD;
    let code = guarded("MPI_Comm_free", || {
        args::out_ptr(comm, "comm")?;
        // SAFETY: checked non-NULL.
        let h = unsafe { *comm };
        errcomm = h;
        let ci = handle::comm(h)?;
        runtime::with(|rt| rt.comm_free(ci))?;
        // SAFETY: checked non-NULL.
        unsafe { *comm = c::MPI_COMM_NULL };
        errcomm = c::MPI_COMM_WORLD;
        Ok(())
    });
    dispatch(errcomm, code)
}

/// Blocks until every member of `comm` has called it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Barrier(comm: MPI_Comm) -> c_int {
    let code = guarded("MPI_Barrier", || {
        let ci = handle::comm(comm)?;
        runtime::with(|rt| rt.barrier(ci))
    });
    dispatch(comm, code)
}

include!(concat!(env!("OUT_DIR"), "/abi_gen/comm.rs"));
