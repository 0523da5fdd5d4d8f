//! The FT-MPI extensions of this library (`FT-SEMANTICS.md`): per-communicator modes and the
//! failed-rank map and list as plain calls (Fortran cannot dereference the attributes').

use std::ffi::c_int;

use super::consts as c;
use super::errh::dispatch;
use super::types::MPI_Comm;
use super::{args, guarded, handle};
use crate::core::error::MpiError;
use crate::ft::modes::{CommMode, MsgMode};
use crate::runtime;

/// Sets the communicator and message modes of `comm`; communicators made from it later
/// inherit them. `comm_mode` is one of `FTMPI_COMM_MODE_*`, `msg_mode` one of `FTMPI_MSG_MODE_*`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn FTMPI_Comm_set_mode(comm: MPI_Comm, comm_mode: c_int, msg_mode: c_int) -> c_int {
    let code = guarded("FTMPI_Comm_set_mode", || {
        let ci = handle::comm(comm)?;
        let cm = CommMode::from_value(comm_mode).ok_or_else(|| {
            MpiError::arg(format!("Invalid communicator mode {comm_mode}: use FTMPI_COMM_MODE_ABORT, _BLANK, _SHRINK or _REBUILD"))
        })?;
        let mm = MsgMode::from_value(msg_mode)
            .ok_or_else(|| MpiError::arg(format!("Invalid message mode {msg_mode}: use FTMPI_MSG_MODE_NOP or FTMPI_MSG_MODE_CONT")))?;
        runtime::with(|rt| rt.set_modes(ci, cm, mm))
    });
    dispatch(comm, code)
}

/// The communicator and message modes of `comm`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn FTMPI_Comm_get_mode(comm: MPI_Comm, comm_mode: *mut c_int, msg_mode: *mut c_int) -> c_int {
    let code = guarded("FTMPI_Comm_get_mode", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(comm_mode, "comm_mode")?;
        args::out_ptr(msg_mode, "msg_mode")?;
        let (cm, mm) = runtime::with(|rt| {
            let c = rt.comm(ci)?;
            Ok((c.ft.comm_mode.value(), c.ft.msg_mode.value()))
        })?;
        // SAFETY: both checked non-NULL; the caller passes valid int pointers.
        unsafe {
            *comm_mode = cm;
            *msg_mode = mm;
        }
        Ok(())
    });
    dispatch(comm, code)
}

/// Copies the value of `FT_MPI_COM_FAILED` into `map`, which must hold one int per rank of
/// `comm` (its size before any recovery): how many times each rank failed since the last
/// recovery.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn FTMPI_Comm_failed_map(comm: MPI_Comm, map: *mut c_int) -> c_int {
    let code = guarded("FTMPI_Comm_failed_map", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(map, "map")?;
        let (m, _) = runtime::with(|rt| rt.ft_failed(ci))?;
        // SAFETY: the caller provides room for one int per rank of `comm`, as documented.
        unsafe { std::ptr::copy_nonoverlapping(m.as_ptr(), map, m.len()) };
        Ok(())
    });
    dispatch(comm, code)
}

/// Copies the value of `FT_MPI_LIST_FAILED` into `list` and its length into `n`: the failed
/// ranks in the order this process learned of them. `list` must have room for
/// `FT_MPI_LIST_NUM_FAILED` entries.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn FTMPI_Comm_failed_list(comm: MPI_Comm, list: *mut c_int, n: *mut c_int) -> c_int {
    let code = guarded("FTMPI_Comm_failed_list", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(n, "n")?;
        let (_, l) = runtime::with(|rt| rt.ft_failed(ci))?;
        if !l.is_empty() {
            args::out_ptr(list, "list")?;
            // SAFETY: the caller provides room for FT_MPI_LIST_NUM_FAILED ints, as documented.
            unsafe { std::ptr::copy_nonoverlapping(l.as_ptr(), list, l.len()) };
        }
        // SAFETY: checked non-NULL.
        unsafe { *n = l.len() as c_int };
        Ok(())
    });
    dispatch(comm, code)
}

/// `c::FT_MPI_CHECK_RECOVER` in `*newcomm` on entry to a dup asks for a recovery even where
/// no failure has been seen yet.
pub(crate) fn check_recover_requested(newcomm_in: MPI_Comm) -> bool {
    newcomm_in == c::FT_MPI_CHECK_RECOVER
}

include!(concat!(env!("OUT_DIR"), "/abi_gen/ftmpi.rs"));
