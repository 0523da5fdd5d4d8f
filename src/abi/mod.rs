//! The C and Fortran surface: the only module with exported symbols.
//!
//! Every entry point has the same shape: the signature written out in full (so cbindgen
//! writes it into `mpi.h`), then two statements. [`guarded`] runs the body under
//! `catch_unwind`, records the error detail and returns a plain `c_int`; then
//! [`errh::dispatch`] applies the communicator's error handler. Only `Copy` values are alive
//! when a user handler runs, so it may `longjmp` out (the FT-MPI recovery pattern).
//!
//! Checks run in one order in every binding, as in MPICH and Open MPI: initialization,
//! handles, then count, tag and rank, then datatype and buffer, then `MPI_PROC_NULL`, then one
//! call into the runtime.
#![deny(unsafe_op_in_unsafe_fn)]
#![allow(non_snake_case)]

pub mod args;
pub mod attr;
pub mod coll;
pub mod comm;
pub mod consts;
pub mod datatype;
pub mod errh;
pub mod f2c;
/// cbindgen:ignore
pub mod fortran;
pub mod ftmpi;
pub mod group;
pub mod handle;
pub mod init;
pub mod op;
pub mod p2p;
pub mod topo;
pub mod types;

pub use attr::*;
pub use coll::*;
pub use comm::*;
pub use datatype::*;
pub use errh::*;
pub use f2c::*;
pub use ftmpi::*;
pub use group::*;
pub use init::*;
pub use op::*;
pub use p2p::*;
pub use topo::*;

use std::ffi::c_int;
use std::num::NonZeroUsize;
use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::core::error::{MpiError, Result};

/// The calling thread's identity for the runtime's re-entrant lock, taken on every MPI call:
/// `pthread_self` reads the thread pointer, where the default (the address of a
/// thread-local) costs a `__tls_get_addr` call from a shared library.
pub struct PthreadId;

// SAFETY: no two live threads of a process share a `pthread_self` value, and glibc's is the
// address of the thread's control block, never 0 (checked anyway).
unsafe impl parking_lot::lock_api::GetThreadId for PthreadId {
    const INIT: PthreadId = PthreadId;

    #[inline]
    fn nonzero_thread_id(&self) -> NonZeroUsize {
        // SAFETY: pthread_self has no preconditions and cannot fail.
        let id = unsafe { libc::pthread_self() } as usize;
        NonZeroUsize::new(id).expect("pthread_self is never 0")
    }
}

/// Runs an entry point's body; a panic becomes `MPI_ERR_INTERN`. On error the detail is
/// recorded for the handler and `MPI_Error_string`; only the class number comes back.
pub fn guarded(name: &'static str, f: impl FnOnce() -> Result<()>) -> c_int {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => consts::MPI_SUCCESS,
        Ok(Err(e)) => {
            errh::record(name, &e);
            e.class
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let e = MpiError::intern(format!("internal error in {name}: {what}"));
            errh::record(name, &e);
            e.class
        }
    }
}
