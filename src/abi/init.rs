//! Starting and ending MPI, and environment queries.

use std::ffi::{c_char, c_double, c_int};
use std::time::Instant;

use once_cell::sync::Lazy;

use super::consts as c;
use super::errh::{copy_c_string, dispatch};
use super::types::MPI_Comm;
use super::{args, guarded, handle};
use crate::core::error::MpiError;
use crate::runtime;

static EPOCH: Lazy<Instant> = Lazy::new(Instant::now);

/// Starts MPI. `argc` and `argv` may be NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Init(argc: *mut c_int, argv: *mut *mut *mut c_char) -> c_int {
    let _ = (argc, argv);
    Lazy::force(&EPOCH);
    let code = guarded("MPI_Init", runtime::init);
    restarted_or(dispatch(c::MPI_COMM_WORLD, code))
}

/// A respawned process (REBUILD) learns from MPI_Init that it replaced a failed one. The value
/// is not an error class and no error handler sees it.
fn restarted_or(code: c_int) -> c_int {
    if code == c::MPI_SUCCESS && runtime::restarted() { c::MPI_INIT_RESTARTED_NODE } else { code }
}

/// Starts MPI with a thread level: every call is serialized by the library, so up to
/// MPI_THREAD_SERIALIZED is provided.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Init_thread(
    argc: *mut c_int,
    argv: *mut *mut *mut c_char,
    required: c_int,
    provided: *mut c_int,
) -> c_int {
    let code = guarded("MPI_Init_thread", || {
        args::out_ptr(provided, "provided")?;
        Lazy::force(&EPOCH);
        runtime::init()?;
        // SAFETY: checked non-NULL.
        unsafe { *provided = required.clamp(c::MPI_THREAD_SINGLE, c::MPI_THREAD_SERIALIZED) };
        Ok(())
    });
    let _ = (argc, argv);
    restarted_or(dispatch(c::MPI_COMM_WORLD, code))
}

/// The thread level in effect.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Query_thread(provided: *mut c_int) -> c_int {
    let code = guarded("MPI_Query_thread", || {
        args::out_ptr(provided, "provided")?;
        // SAFETY: checked non-NULL.
        unsafe { *provided = c::MPI_THREAD_SERIALIZED };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Ends MPI in this process.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Finalize() -> c_int {
    let code = guarded("MPI_Finalize", runtime::finalize);
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Whether MPI_Init has been called (true also after MPI_Finalize).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Initialized(flag: *mut c_int) -> c_int {
    let code = guarded("MPI_Initialized", || {
        args::out_ptr(flag, "flag")?;
        // SAFETY: checked non-NULL.
        unsafe { *flag = runtime::initialized() as c_int };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Whether MPI_Finalize has completed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Finalized(flag: *mut c_int) -> c_int {
    let code = guarded("MPI_Finalized", || {
        args::out_ptr(flag, "flag")?;
        // SAFETY: checked non-NULL.
        unsafe { *flag = runtime::finalized() as c_int };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Ends every process of the job; mpirun exits with `errorcode`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Abort(comm: MPI_Comm, errorcode: c_int) -> c_int {
    let _ = handle::comm(comm);
    let rank = runtime::world_rank().map(|r| r.to_string()).unwrap_or_else(|| "?".into());
    eprintln!("[rank {rank}] MPI_Abort(comm={comm:#x}, errorcode={errorcode}) called");
    runtime::abort(errorcode, "")
}

/// Seconds since an arbitrary moment in this process (monotonic).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Wtime() -> c_double {
    EPOCH.elapsed().as_secs_f64()
}

/// Resolution of MPI_Wtime.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Wtick() -> c_double {
    1e-9
}

/// The host name.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Get_processor_name(name: *mut c_char, resultlen: *mut c_int) -> c_int {
    let code = guarded("MPI_Get_processor_name", || {
        args::out_ptr(name, "name")?;
        args::out_ptr(resultlen, "resultlen")?;
        let host = nix::unistd::gethostname().map_err(|e| MpiError::other(format!("gethostname: {e}")))?;
        // SAFETY: the caller provides MPI_MAX_PROCESSOR_NAME bytes; both pointers checked.
        unsafe { copy_c_string(&host.to_string_lossy(), name, c::MPI_MAX_PROCESSOR_NAME as usize, resultlen) };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// The MPI standard version implemented.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Get_version(version: *mut c_int, subversion: *mut c_int) -> c_int {
    let code = guarded("MPI_Get_version", || {
        args::out_ptr(version, "version")?;
        args::out_ptr(subversion, "subversion")?;
        // SAFETY: both checked non-NULL.
        unsafe {
            *version = c::MPI_VERSION;
            *subversion = c::MPI_SUBVERSION;
        }
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// The library's name and version.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Get_library_version(version: *mut c_char, resultlen: *mut c_int) -> c_int {
    let code = guarded("MPI_Get_library_version", || {
        args::out_ptr(version, "version")?;
        args::out_ptr(resultlen, "resultlen")?;
        let text = format!("ftmpi {} (fault-tolerant MPI, MPICH ABI)", env!("CARGO_PKG_VERSION"));
        // SAFETY: the caller provides MPI_MAX_LIBRARY_VERSION_STRING bytes; pointers checked.
        unsafe { copy_c_string(&text, version, c::MPI_MAX_LIBRARY_VERSION_STRING as usize, resultlen) };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

include!(concat!(env!("OUT_DIR"), "/abi_gen/init.rs"));
