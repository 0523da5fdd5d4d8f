//! Error codes, error handlers and error strings.
//!
//! An error code is its class number (so `rc == MPI_ERR_OTHER` works, as FT-MPI codes expect).
//! The specific text of the latest error of each class is kept, so the fatal handler and
//! `MPI_Error_string` can say exactly what went wrong.

use std::ffi::{c_char, c_int};

use once_cell::sync::Lazy;
use parking_lot::Mutex;

use super::consts as c;
use super::handle;
use super::types::{MPI_Comm, MPI_Comm_errhandler_function, MPI_Errhandler, MPI_Handler_function};
use super::{args, guarded};
use crate::core::error::{MpiError, class_name, class_text, is_class};
use crate::runtime;
use crate::runtime::comms::Errh;

struct Recorded {
    class: i32,
    function: &'static str,
    detail: String,
}

/// Latest error per class (a few dozen entries at most).
static LAST: Lazy<Mutex<Vec<Recorded>>> = Lazy::new(|| Mutex::new(Vec::new()));

/// Remembers the detail of an error raised in `function`.
pub fn record(function: &'static str, e: &MpiError) {
    let mut last = LAST.lock();
    last.retain(|r| r.class != e.class);
    last.push(Recorded { class: e.class, function, detail: e.detail.clone() });
}

fn recorded(class: i32) -> Option<(&'static str, String)> {
    LAST.lock().iter().find(|r| r.class == class).map(|r| (r.function, r.detail.clone()))
}

/// The text for a code: the generic class text, then what exactly happened most recently.
pub fn error_text(code: c_int) -> String {
    let class = code;
    match recorded(class) {
        Some((f, d)) => format!("{}, error stack:\n{}: {}", class_text(class), f, d),
        None => class_text(class).to_string(),
    }
}

/// Applies the error handler of `comm` (MPI_COMM_WORLD's when `comm` is not valid) to a
/// non-zero code, and returns the code if the handler returns.
///
/// Only `Copy` values are alive here when a user handler runs, and no lock is held, so the
/// handler may `longjmp` out.
#[inline]
pub fn dispatch(comm: MPI_Comm, code: c_int) -> c_int {
    if code == c::MPI_SUCCESS {
        return code;
    }
    dispatch_error(comm, code)
}

#[inline(never)]
fn dispatch_error(comm: MPI_Comm, code: c_int) -> c_int {
    let errh = handler_for(comm);
    match errh {
        Errh::Return => code,
        Errh::Fatal if code == c::MPI_ERR_OTHER && failure_survivable(comm) => code,
        Errh::Fatal => fatal(code),
        Errh::User(f) => {
            let mut comm_arg = comm;
            let mut code_arg = code;
            // SAFETY: `f` was stored from an `MPI_Handler_function` pointer by
            // MPI_Errhandler_create; usize round-trips a function pointer on this target.
            let f: MPI_Handler_function = unsafe { std::mem::transmute::<usize, MPI_Handler_function>(f) };
            // SAFETY: the handler gets pointers to two live locals, as MPI specifies.
            unsafe { f(&mut comm_arg, &mut code_arg) };
            code
        }
    }
}

/// In BLANK, SHRINK and REBUILD mode the default handler returns process-failure errors
/// (FT-MPI codes test return codes without installing a handler); other errors stay fatal.
fn failure_survivable(comm: MPI_Comm) -> bool {
    if !runtime::initialized() || runtime::finalized() {
        return false;
    }
    let idx = handle::comm(comm).unwrap_or(runtime::comms::WORLD);
    runtime::with(|rt| {
        let c = rt.comms.get(idx).or_else(|| rt.comms.get(runtime::comms::WORLD));
        Ok(rt.ft.world.any && c.is_some_and(|c| c.ft.comm_mode.tolerant()))
    })
    .unwrap_or(false)
}

fn handler_for(comm: MPI_Comm) -> Errh {
    if !runtime::initialized() || runtime::finalized() {
        return Errh::Fatal;
    }
    let idx = handle::comm(comm).unwrap_or(runtime::comms::WORLD);
    runtime::with(|rt| {
        let c = rt.comms.get(idx).or_else(|| rt.comms.get(runtime::comms::WORLD));
        Ok(c.map(|c| rt.errhandlers.effective(c.errhandler)).unwrap_or(Errh::Fatal))
    })
    .unwrap_or(Errh::Fatal)
}

/// MPI_ERRORS_ARE_FATAL: say what failed and end the job.
fn fatal(code: c_int) -> ! {
    let (function, detail) = recorded(code).unwrap_or(("MPI", class_text(code).to_string()));
    let who = runtime::world_rank().map(|r| format!("[rank {r}] ")).unwrap_or_default();
    let msg = format!("Fatal error in {function}: {}: {detail}", class_name(code));
    eprintln!("{who}{msg}");
    runtime::abort(1, &msg)
}

fn copy_string(src: &str, dst: *mut c_char, max: usize, resultlen: *mut c_int) {
    let bytes = src.as_bytes();
    let n = bytes.len().min(max.saturating_sub(1));
    // SAFETY: callers pass a buffer of at least `max` bytes (MPI_MAX_ERROR_STRING and friends)
    // and a valid int pointer, checked for NULL before.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr() as *const c_char, dst, n);
        *dst.add(n) = 0;
        *resultlen = n as c_int;
    }
}

/// Copies a Rust string into a C buffer of `max` bytes, NUL-terminated.
///
/// # Safety
/// `dst` must be valid for `max` bytes and `resultlen` for one int.
pub unsafe fn copy_c_string(src: &str, dst: *mut c_char, max: usize, resultlen: *mut c_int) {
    copy_string(src, dst, max, resultlen)
}

/// Creates an error handler (MPI-1 name).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Errhandler_create(function: Option<MPI_Handler_function>, errhandler: *mut MPI_Errhandler) -> c_int {
    let code = guarded("MPI_Errhandler_create", || {
        let f = function.ok_or_else(|| MpiError::arg("Null function pointer"))?;
        args::out_ptr(errhandler, "errhandler")?;
        let i = runtime::with(|rt| Ok(rt.errhandlers.create(f as usize)))?;
        // SAFETY: checked non-NULL; the caller passes a valid MPI_Errhandler pointer.
        unsafe { *errhandler = handle::errhandler_handle(i) };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Creates an error handler for communicators (MPI-2 name).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_create_errhandler(
    function: Option<MPI_Comm_errhandler_function>,
    errhandler: *mut MPI_Errhandler,
) -> c_int {
    // SAFETY: same contract as MPI_Errhandler_create.
    unsafe { MPI_Errhandler_create(function, errhandler) }
}

/// Attaches an error handler to a communicator (MPI-1 name).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Errhandler_set(comm: MPI_Comm, errhandler: MPI_Errhandler) -> c_int {
    let code = guarded("MPI_Errhandler_set", || {
        let ci = handle::comm(comm)?;
        let ei = handle::errhandler(errhandler)?;
        runtime::with(|rt| {
            rt.comm(ci)?;
            rt.set_errhandler(ci, ei)
        })
    });
    dispatch(comm, code)
}

/// Attaches an error handler to a communicator (MPI-2 name).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_set_errhandler(comm: MPI_Comm, errhandler: MPI_Errhandler) -> c_int {
    // SAFETY: same contract as MPI_Errhandler_set.
    unsafe { MPI_Errhandler_set(comm, errhandler) }
}

/// The error handler of a communicator (MPI-1 name).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Errhandler_get(comm: MPI_Comm, errhandler: *mut MPI_Errhandler) -> c_int {
    let code = guarded("MPI_Errhandler_get", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(errhandler, "errhandler")?;
        let ei = runtime::with(|rt| {
            let e = rt.comm(ci)?.errhandler;
            rt.errhandlers.attach(e);
            Ok(e)
        })?;
        // SAFETY: checked non-NULL.
        unsafe { *errhandler = handle::errhandler_handle(ei) };
        Ok(())
    });
    dispatch(comm, code)
}

/// The error handler of a communicator (MPI-2 name).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Comm_get_errhandler(comm: MPI_Comm, errhandler: *mut MPI_Errhandler) -> c_int {
    // SAFETY: same contract as MPI_Errhandler_get.
    unsafe { MPI_Errhandler_get(comm, errhandler) }
}

/// Frees an error handler; communicators using it keep it until they let go.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Errhandler_free(errhandler: *mut MPI_Errhandler) -> c_int {
    let code = guarded("MPI_Errhandler_free", || {
        args::out_ptr(errhandler, "errhandler")?;
        // SAFETY: checked non-NULL.
        let ei = handle::errhandler(unsafe { *errhandler })?;
        runtime::with(|rt| rt.errhandlers.free(ei))?;
        // SAFETY: checked non-NULL.
        unsafe { *errhandler = c::MPI_ERRHANDLER_NULL };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// The text of an error code.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Error_string(errorcode: c_int, string: *mut c_char, resultlen: *mut c_int) -> c_int {
    let code = guarded("MPI_Error_string", || {
        args::out_ptr(string, "string")?;
        args::out_ptr(resultlen, "resultlen")?;
        if !is_class(errorcode) {
            return Err(MpiError::arg(format!("Invalid error code {errorcode}")));
        }
        copy_string(&error_text(errorcode), string, c::MPI_MAX_ERROR_STRING as usize, resultlen);
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// The class of an error code (the code itself: codes are classes).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Error_class(errorcode: c_int, errorclass: *mut c_int) -> c_int {
    let code = guarded("MPI_Error_class", || {
        args::out_ptr(errorclass, "errorclass")?;
        if !is_class(errorcode) {
            return Err(MpiError::arg(format!("Invalid error code {errorcode}")));
        }
        // SAFETY: checked non-NULL.
        unsafe { *errorclass = errorcode };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

include!(concat!(env!("OUT_DIR"), "/abi_gen/errh.rs"));
