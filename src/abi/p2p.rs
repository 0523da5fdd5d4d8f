//! Point-to-point communication (MPI-1.2 chapter 3).

use std::ffi::{c_int, c_void};

use super::consts as c;
use super::errh::dispatch;
use super::types::{MPI_Comm, MPI_Datatype, MPI_Request, MPI_Status};
use super::{args, guarded, handle};
use crate::core::error::{MpiError, Result};
use crate::runtime;
use crate::runtime::Runtime;
use crate::runtime::p2p::Half;
use crate::runtime::requests::{Buf, SendMode, Status};
use crate::transport::userbuf::UserBuf;

/// The C value of MPI_STATUS_IGNORE / MPI_STATUSES_IGNORE.
const STATUS_IGNORE: usize = 1;

fn ignored(p: *const MPI_Status) -> bool {
    p.is_null() || p as usize == STATUS_IGNORE
}

/// Fills an `MPI_Status` (MPICH layout) unless it is MPI_STATUS_IGNORE.
///
/// # Safety
/// `p` is MPI_STATUS_IGNORE, NULL, or valid for writing one `MPI_Status`.
pub unsafe fn write_status(p: *mut MPI_Status, st: &Status) {
    if ignored(p) {
        return;
    }
    let bytes = st.bytes as u64;
    let s = MPI_Status {
        count_lo: (bytes & 0xffff_ffff) as u32 as c_int,
        count_hi_and_cancelled: (((bytes >> 32) << 1) as c_int) | st.cancelled as c_int,
        MPI_SOURCE: st.source,
        MPI_TAG: st.tag,
        MPI_ERROR: st.error,
    };
    // SAFETY: the caller guarantees `p` points to a writable MPI_Status.
    unsafe { *p = s };
}

/// Bytes recorded in a status.
pub fn status_bytes(s: &MPI_Status) -> u64 {
    (s.count_lo as u32 as u64) | (((s.count_hi_and_cancelled as u32 as u64) >> 1) << 32)
}

fn status_error(st: &Status, detail: Option<String>) -> Result<()> {
    if st.error == 0 {
        return Ok(());
    }
    Err(MpiError::new(st.error, detail.unwrap_or_else(|| crate::core::error::class_text(st.error).to_string())))
}

/// Checks the arguments of a send or receive and builds the buffer view.
///
/// # Safety
/// `buf` must satisfy MPI's rule for the operation: `count` elements of `datatype` readable
/// (send) or writable (receive) until it completes.
unsafe fn user_buffer(buf: *const c_void, count: c_int, datatype: MPI_Datatype) -> Result<UserBuf> {
    let n = args::count(count)?;
    let dt = handle::committed_datatype(datatype)?;
    args::buffer(buf, n, datatype)?;
    // SAFETY: forwarded from this function's contract.
    Ok(unsafe { UserBuf::new(buf.cast(), n, dt.layout.clone()) })
}

/// Creates (not starts) a send request after all checks.
///
/// # Safety
/// As for [`user_buffer`].
unsafe fn make_send(
    rt: &mut Runtime,
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    ci: u32,
    mode: SendMode,
) -> Result<u32> {
    args::count(count)?;
    args::send_tag(tag)?;
    args::dest(dest, rt.comm(ci)?.peer_size())?;
    // SAFETY: forwarded from this function's contract.
    let ub = unsafe { user_buffer(buf, count, datatype)? };
    rt.new_send(ci, dest, tag, Buf::User(ub), mode, Half::P2p)
}

/// Creates (not starts) a receive request after all checks.
///
/// # Safety
/// As for [`user_buffer`].
unsafe fn make_recv(
    rt: &mut Runtime,
    buf: *mut c_void,
    count: c_int,
    datatype: MPI_Datatype,
    source: c_int,
    tag: c_int,
    ci: u32,
) -> Result<u32> {
    args::count(count)?;
    args::recv_tag(tag)?;
    args::source(source, rt.comm(ci)?.peer_size())?;
    // SAFETY: forwarded from this function's contract.
    let ub = unsafe { user_buffer(buf, count, datatype)? };
    rt.new_recv(ci, source, tag, Buf::User(ub), Half::P2p)
}

/// Bytes of `count` elements of a dense predefined `datatype` at a non-NULL `buf` (or none),
/// when the arguments of a small send or receive can skip the general checks: `None` for
/// anything else, which the general path checks and reports.
#[inline]
fn lean_len(buf: *const c_void, count: c_int, datatype: MPI_Datatype, tag: c_int) -> Option<usize> {
    if count < 0 || !(0..=args::TAG_UB).contains(&tag) {
        return None;
    }
    let n = count as usize * handle::dense_predefined_size(datatype)?;
    (n == 0 || !buf.is_null()).then_some(n)
}

/// The lean path of `MPI_Send`: a small message of a predefined type on a valid
/// communicator goes straight into the peer's ring. `false` leaves everything to the general
/// path (nothing was sent).
///
/// # Safety
/// `buf` holds `count` elements of `datatype`.
#[inline]
unsafe fn lean_send(buf: *const c_void, count: c_int, datatype: MPI_Datatype, dest: c_int, tag: c_int, comm: MPI_Comm) -> Result<bool> {
    let Some(n) = lean_len(buf, count, datatype, tag) else { return Ok(false) };
    let Some(ci) = handle::comm_index(comm) else { return Ok(false) };
    if dest < 0 {
        return Ok(false);
    }
    let bytes: &[u8] = if n == 0 {
        &[]
    } else {
        // SAFETY: MPI's rule for a blocking send: `buf` holds `count` elements of a dense
        // predefined type, `n` contiguous bytes, for the duration of the call.
        unsafe { std::slice::from_raw_parts(buf.cast::<u8>(), n) }
    };
    runtime::with(|rt| rt.send_bytes_now(ci, dest, tag, bytes))
}

/// The lean path of `MPI_Recv` from a named rank with a named tag: `Some(bytes)` when the
/// message was received into `buf`, `None` to take the general path (nothing consumed).
///
/// # Safety
/// `buf` is writable for `count` elements of `datatype`.
#[inline]
unsafe fn lean_recv(buf: *mut c_void, count: c_int, datatype: MPI_Datatype, source: c_int, tag: c_int, comm: MPI_Comm) -> Result<Option<usize>> {
    let Some(n) = lean_len(buf, count, datatype, tag) else { return Ok(None) };
    let Some(ci) = handle::comm_index(comm) else { return Ok(None) };
    if source < 0 {
        return Ok(None);
    }
    let out: &mut [u8] = if n == 0 {
        &mut []
    } else {
        // SAFETY: MPI's rule for a blocking receive: `buf` is writable for `count` elements
        // of a dense predefined type, `n` contiguous bytes, that nothing else touches during
        // the call.
        unsafe { std::slice::from_raw_parts_mut(buf.cast::<u8>(), n) }
    };
    runtime::with(|rt| rt.recv_bytes_now(ci, source, tag, out))
}

/// Blocking send in `mode`.
///
/// # Safety
/// `buf` holds `count` elements of `datatype`.
#[inline(never)]
unsafe fn blocking_send(
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
    mode: SendMode,
) -> Result<()> {
    let ci = handle::comm(comm)?;
    runtime::with(|rt| {
        if mode == SendMode::Standard || mode == SendMode::Ready {
            args::count(count)?;
            args::send_tag(tag)?;
            args::dest(dest, rt.comm(ci)?.size())?;
            // SAFETY: the buffer stays valid for this blocking call.
            let ub = unsafe { user_buffer(buf, count, datatype)? };
            if rt.try_send_now(ci, dest, tag, &ub)? {
                return Ok(());
            }
        }
        // SAFETY: the buffer stays valid for this blocking call.
        let rid = unsafe { make_send(rt, buf, count, datatype, dest, tag, ci, mode)? };
        rt.start(rid)?;
        let (st, d) = rt.wait(rid)?;
        status_error(&st, d)
    })
}

/// Nonblocking send in `mode`: starts it and returns the request handle.
///
/// # Safety
/// `buf` holds `count` elements of `datatype` until the request completes.
unsafe fn nonblocking_send(
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
    request: *mut MPI_Request,
    mode: SendMode,
    persistent: bool,
) -> Result<()> {
    let ci = handle::comm(comm)?;
    args::out_ptr(request, "request")?;
    let rid = runtime::with(|rt| {
        // SAFETY: MPI's rule: the buffer stays valid until the request completes.
        let rid = unsafe { make_send(rt, buf, count, datatype, dest, tag, ci, mode)? };
        if persistent {
            rt.make_persistent(rid);
        } else {
            rt.start(rid)?;
        }
        Ok(rid)
    })?;
    // SAFETY: checked non-NULL.
    unsafe { *request = handle::request_handle(rid) };
    Ok(())
}

/// Standard-mode blocking send.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Send(buf: *const c_void, count: c_int, datatype: MPI_Datatype, dest: c_int, tag: c_int, comm: MPI_Comm) -> c_int {
    // SAFETY: MPI's contract on `buf`.
    let code = guarded("MPI_Send", || unsafe {
        if lean_send(buf, count, datatype, dest, tag, comm)? {
            return Ok(());
        }
        blocking_send(buf, count, datatype, dest, tag, comm, SendMode::Standard)
    });
    dispatch(comm, code)
}

/// Synchronous-mode blocking send: returns once the receive has matched.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Ssend(buf: *const c_void, count: c_int, datatype: MPI_Datatype, dest: c_int, tag: c_int, comm: MPI_Comm) -> c_int {
    // SAFETY: MPI's contract on `buf`.
    let code = guarded("MPI_Ssend", || unsafe { blocking_send(buf, count, datatype, dest, tag, comm, SendMode::Sync) });
    dispatch(comm, code)
}

/// Ready-mode blocking send.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Rsend(buf: *const c_void, count: c_int, datatype: MPI_Datatype, dest: c_int, tag: c_int, comm: MPI_Comm) -> c_int {
    // SAFETY: MPI's contract on `buf`.
    let code = guarded("MPI_Rsend", || unsafe { blocking_send(buf, count, datatype, dest, tag, comm, SendMode::Ready) });
    dispatch(comm, code)
}

/// Buffered-mode blocking send, through the attached buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Bsend(buf: *const c_void, count: c_int, datatype: MPI_Datatype, dest: c_int, tag: c_int, comm: MPI_Comm) -> c_int {
    // SAFETY: MPI's contract on `buf`.
    let code = guarded("MPI_Bsend", || unsafe { blocking_send(buf, count, datatype, dest, tag, comm, SendMode::Buffered) });
    dispatch(comm, code)
}

/// Standard-mode nonblocking send.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Isend(
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
    request: *mut MPI_Request,
) -> c_int {
    // SAFETY: MPI's contract on `buf` and `request`.
    let code = guarded("MPI_Isend", || unsafe {
        nonblocking_send(buf, count, datatype, dest, tag, comm, request, SendMode::Standard, false)
    });
    dispatch(comm, code)
}

/// Synchronous-mode nonblocking send.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Issend(
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
    request: *mut MPI_Request,
) -> c_int {
    // SAFETY: MPI's contract on `buf` and `request`.
    let code = guarded("MPI_Issend", || unsafe {
        nonblocking_send(buf, count, datatype, dest, tag, comm, request, SendMode::Sync, false)
    });
    dispatch(comm, code)
}

/// Ready-mode nonblocking send.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Irsend(
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
    request: *mut MPI_Request,
) -> c_int {
    // SAFETY: MPI's contract on `buf` and `request`.
    let code = guarded("MPI_Irsend", || unsafe {
        nonblocking_send(buf, count, datatype, dest, tag, comm, request, SendMode::Ready, false)
    });
    dispatch(comm, code)
}

/// Buffered-mode nonblocking send.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Ibsend(
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
    request: *mut MPI_Request,
) -> c_int {
    // SAFETY: MPI's contract on `buf` and `request`.
    let code = guarded("MPI_Ibsend", || unsafe {
        nonblocking_send(buf, count, datatype, dest, tag, comm, request, SendMode::Buffered, false)
    });
    dispatch(comm, code)
}

/// Persistent standard-mode send.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Send_init(
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
    request: *mut MPI_Request,
) -> c_int {
    // SAFETY: MPI's contract on `buf` and `request`.
    let code = guarded("MPI_Send_init", || unsafe {
        nonblocking_send(buf, count, datatype, dest, tag, comm, request, SendMode::Standard, true)
    });
    dispatch(comm, code)
}

/// Persistent synchronous-mode send.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Ssend_init(
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
    request: *mut MPI_Request,
) -> c_int {
    // SAFETY: MPI's contract on `buf` and `request`.
    let code = guarded("MPI_Ssend_init", || unsafe {
        nonblocking_send(buf, count, datatype, dest, tag, comm, request, SendMode::Sync, true)
    });
    dispatch(comm, code)
}

/// Persistent ready-mode send.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Rsend_init(
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
    request: *mut MPI_Request,
) -> c_int {
    // SAFETY: MPI's contract on `buf` and `request`.
    let code = guarded("MPI_Rsend_init", || unsafe {
        nonblocking_send(buf, count, datatype, dest, tag, comm, request, SendMode::Ready, true)
    });
    dispatch(comm, code)
}

/// Persistent buffered-mode send.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Bsend_init(
    buf: *const c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    tag: c_int,
    comm: MPI_Comm,
    request: *mut MPI_Request,
) -> c_int {
    // SAFETY: MPI's contract on `buf` and `request`.
    let code = guarded("MPI_Bsend_init", || unsafe {
        nonblocking_send(buf, count, datatype, dest, tag, comm, request, SendMode::Buffered, true)
    });
    dispatch(comm, code)
}

/// Receive-side twin of `nonblocking_send`.
///
/// # Safety
/// `buf` is writable for `count` elements of `datatype` until the request completes.
unsafe fn nonblocking_recv(
    buf: *mut c_void,
    count: c_int,
    datatype: MPI_Datatype,
    source: c_int,
    tag: c_int,
    comm: MPI_Comm,
    request: *mut MPI_Request,
    persistent: bool,
) -> Result<()> {
    let ci = handle::comm(comm)?;
    args::out_ptr(request, "request")?;
    let rid = runtime::with(|rt| {
        // SAFETY: MPI's rule: the buffer stays valid until the request completes.
        let rid = unsafe { make_recv(rt, buf, count, datatype, source, tag, ci)? };
        if persistent {
            rt.make_persistent(rid);
        } else {
            rt.start(rid)?;
        }
        Ok(rid)
    })?;
    // SAFETY: checked non-NULL.
    unsafe { *request = handle::request_handle(rid) };
    Ok(())
}

/// Blocking receive.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Recv(
    buf: *mut c_void,
    count: c_int,
    datatype: MPI_Datatype,
    source: c_int,
    tag: c_int,
    comm: MPI_Comm,
    status: *mut MPI_Status,
) -> c_int {
    let code = guarded("MPI_Recv", || {
        // SAFETY: MPI's contract on `buf`.
        if let Some(n) = unsafe { lean_recv(buf, count, datatype, source, tag, comm)? } {
            // SAFETY: `status` is MPI_STATUS_IGNORE or a valid MPI_Status.
            unsafe { write_status(status, &Status { source, tag, bytes: n, cancelled: false, error: 0 }) };
            return Ok(());
        }
        // SAFETY: as above.
        unsafe { recv_general(buf, count, datatype, source, tag, comm, status) }
    });
    dispatch(comm, code)
}

/// `MPI_Recv` past its lean path: every check, then a receive without a request when the
/// source and tag are named, else a request.
///
/// # Safety
/// `buf` is writable for `count` elements of `datatype`; `status` is MPI_STATUS_IGNORE or
/// a valid MPI_Status.
#[inline(never)]
unsafe fn recv_general(
    buf: *mut c_void,
    count: c_int,
    datatype: MPI_Datatype,
    source: c_int,
    tag: c_int,
    comm: MPI_Comm,
    status: *mut MPI_Status,
) -> Result<()> {
    let ci = handle::comm(comm)?;
    let (st, d) = runtime::with(|rt| {
        if source >= 0 && tag >= 0 {
            args::count(count)?;
            args::recv_tag(tag)?;
            args::source(source, rt.comm(ci)?.peer_size())?;
            // SAFETY: the buffer stays valid for this blocking call.
            let ub = unsafe { user_buffer(buf, count, datatype)? };
            if let Some(n) = rt.try_recv_now_user(ci, source, tag, &ub)? {
                return Ok((Status { source, tag, bytes: n, cancelled: false, error: 0 }, None));
            }
        }
        // SAFETY: the buffer stays valid for this blocking call.
        let rid = unsafe { make_recv(rt, buf, count, datatype, source, tag, ci)? };
        rt.start(rid)?;
        rt.wait(rid)
    })?;
    // SAFETY: `status` is MPI_STATUS_IGNORE or a valid MPI_Status.
    unsafe { write_status(status, &st) };
    status_error(&st, d)
}

/// Nonblocking receive.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Irecv(
    buf: *mut c_void,
    count: c_int,
    datatype: MPI_Datatype,
    source: c_int,
    tag: c_int,
    comm: MPI_Comm,
    request: *mut MPI_Request,
) -> c_int {
    // SAFETY: MPI's contract on `buf` and `request`.
    let code = guarded("MPI_Irecv", || unsafe { nonblocking_recv(buf, count, datatype, source, tag, comm, request, false) });
    dispatch(comm, code)
}

/// Persistent receive.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Recv_init(
    buf: *mut c_void,
    count: c_int,
    datatype: MPI_Datatype,
    source: c_int,
    tag: c_int,
    comm: MPI_Comm,
    request: *mut MPI_Request,
) -> c_int {
    // SAFETY: MPI's contract on `buf` and `request`.
    let code = guarded("MPI_Recv_init", || unsafe { nonblocking_recv(buf, count, datatype, source, tag, comm, request, true) });
    dispatch(comm, code)
}

/// Send and receive in one call, without deadlock between pairs.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Sendrecv(
    sendbuf: *const c_void,
    sendcount: c_int,
    sendtype: MPI_Datatype,
    dest: c_int,
    sendtag: c_int,
    recvbuf: *mut c_void,
    recvcount: c_int,
    recvtype: MPI_Datatype,
    source: c_int,
    recvtag: c_int,
    comm: MPI_Comm,
    status: *mut MPI_Status,
) -> c_int {
    let code = guarded("MPI_Sendrecv", || {
        let ci = handle::comm(comm)?;
        let (st, d) = runtime::with(|rt| {
            // SAFETY: both buffers stay valid for this blocking call.
            let sid = unsafe { make_send(rt, sendbuf, sendcount, sendtype, dest, sendtag, ci, SendMode::Standard) };
            // SAFETY: as above.
            let rid = unsafe { make_recv(rt, recvbuf, recvcount, recvtype, source, recvtag, ci) };
            // A half that fails because its peer has died (CONT) does not cancel the other:
            // a live partner waits for it (a ring with one dead member hung).
            let (sid, rid) = match (sid, rid) {
                (Ok(s), Ok(r)) => (s, r),
                (Err(e), other) | (other, Err(e)) => {
                    if let Ok(id) = other {
                        if rt.ft.world.any && e.class == c::MPI_ERR_OTHER {
                            rt.start(id)?;
                            rt.wait(id)?;
                        } else {
                            rt.reqs.remove(id);
                        }
                    }
                    return Err(e);
                }
            };
            rt.start(rid)?;
            rt.start(sid)?;
            let (sst, sd) = rt.wait(sid)?;
            let r = rt.wait(rid)?;
            status_error(&sst, sd)?;
            Ok(r)
        })?;
        // SAFETY: `status` is MPI_STATUS_IGNORE or a valid MPI_Status.
        unsafe { write_status(status, &st) };
        status_error(&st, d)
    });
    dispatch(comm, code)
}

/// Send and receive in one buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Sendrecv_replace(
    buf: *mut c_void,
    count: c_int,
    datatype: MPI_Datatype,
    dest: c_int,
    sendtag: c_int,
    source: c_int,
    recvtag: c_int,
    comm: MPI_Comm,
    status: *mut MPI_Status,
) -> c_int {
    let code = guarded("MPI_Sendrecv_replace", || {
        let ci = handle::comm(comm)?;
        let (st, d) = runtime::with(|rt| {
            args::recv_tag(recvtag)?;
            args::source(source, rt.comm(ci)?.peer_size())?;
            // SAFETY: the buffer stays valid for this blocking call.
            let sid = unsafe { make_send(rt, buf, count, datatype, dest, sendtag, ci, SendMode::Standard)? };
            // SAFETY: as above; the view is only written after the send has completed.
            let ub = unsafe { user_buffer(buf, count, datatype)? };
            let rid = rt.new_recv(ci, source, recvtag, Buf::Owned(vec![0; ub.len()]), Half::P2p)?;
            rt.start(rid)?;
            rt.start(sid)?;
            let (sst, sd) = rt.wait(sid)?;
            rt.wait_until(|rt| rt.is_done(rid))?;
            let req = rt.reqs.remove(rid).ok_or_else(|| MpiError::intern("receive request vanished"))?;
            if let crate::runtime::requests::Body::Recv(r) = &req.body {
                if let Buf::Owned(v) = &r.buf {
                    ub.write(0, &v[..req.status.bytes.min(v.len())]);
                }
            }
            status_error(&sst, sd)?;
            Ok((req.status, req.error_detail))
        })?;
        // SAFETY: `status` is MPI_STATUS_IGNORE or a valid MPI_Status.
        unsafe { write_status(status, &st) };
        status_error(&st, d)
    });
    dispatch(comm, code)
}

/// The communicator handle a request belongs to, for its error handler.
fn request_comm(rt: &Runtime, rid: u32) -> MPI_Comm {
    rt.reqs.get(rid).map(|r| handle::comm_handle(r.comm)).unwrap_or(c::MPI_COMM_WORLD)
}

/// After completion: the handle becomes MPI_REQUEST_NULL unless the request is persistent.
fn release_handle(rt: &Runtime, rid: u32, h: &mut MPI_Request) {
    if rt.reqs.get(rid).is_none_or(|r| !r.persistent) {
        *h = c::MPI_REQUEST_NULL;
    }
}

/// Waits for one request.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Wait(request: *mut MPI_Request, status: *mut MPI_Status) -> c_int {
    let mut errcomm = c::MPI_COMM_WORLD;
    let code = guarded("MPI_Wait", || {
        args::out_ptr(request, "request")?;
        // SAFETY: checked non-NULL.
        let h = unsafe { &mut *request };
        let Some(rid) = handle::request(*h)? else {
            // SAFETY: MPI_STATUS_IGNORE or a valid status.
            unsafe { write_status(status, &Status::empty()) };
            return Ok(());
        };
        let (st, d) = runtime::with(|rt| {
            rt.check_request(rid)?;
            errcomm = request_comm(rt, rid);
            let r = rt.wait(rid)?;
            release_handle(rt, rid, h);
            Ok(r)
        })?;
        // SAFETY: MPI_STATUS_IGNORE or a valid status.
        unsafe { write_status(status, &st) };
        status_error(&st, d)
    });
    dispatch(errcomm, code)
}

/// Tests one request.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Test(request: *mut MPI_Request, flag: *mut c_int, status: *mut MPI_Status) -> c_int {
    let mut errcomm = c::MPI_COMM_WORLD;
    let code = guarded("MPI_Test", || {
        args::out_ptr(request, "request")?;
        args::out_ptr(flag, "flag")?;
        // SAFETY: checked non-NULL.
        let (h, flag) = unsafe { (&mut *request, &mut *flag) };
        let Some(rid) = handle::request(*h)? else {
            *flag = 1;
            // SAFETY: MPI_STATUS_IGNORE or a valid status.
            unsafe { write_status(status, &Status::empty()) };
            return Ok(());
        };
        let r = runtime::with(|rt| {
            rt.check_request(rid)?;
            errcomm = request_comm(rt, rid);
            let r = rt.test(rid)?;
            if r.is_some() {
                release_handle(rt, rid, h);
            }
            Ok(r)
        })?;
        *flag = r.is_some() as c_int;
        if let Some((st, d)) = r {
            // SAFETY: MPI_STATUS_IGNORE or a valid status.
            unsafe { write_status(status, &st) };
            return status_error(&st, d);
        }
        Ok(())
    });
    dispatch(errcomm, code)
}

/// Borrows an array of request handles.
///
/// # Safety
/// `p` is valid for `count` handles (or `count` is 0).
unsafe fn handles<'a>(p: *mut MPI_Request, count: c_int) -> Result<&'a mut [MPI_Request]> {
    let n = args::count(count)?;
    if n == 0 {
        return Ok(&mut []);
    }
    args::out_ptr(p, "array_of_requests")?;
    // SAFETY: the caller guarantees `count` handles.
    Ok(unsafe { std::slice::from_raw_parts_mut(p, n) })
}

/// Request indices of an array (None for MPI_REQUEST_NULL or inactive persistent requests).
fn active_ids(rt: &Runtime, hs: &[MPI_Request]) -> Result<Vec<Option<u32>>> {
    hs.iter()
        .map(|&h| {
            let r = handle::request(h)?;
            match r {
                Some(rid) => {
                    rt.check_request(rid)?;
                    let req = rt.reqs.get(rid).expect("checked");
                    Ok(if req.persistent && !req.active { None } else { Some(rid) })
                }
                None => Ok(None),
            }
        })
        .collect()
}

/// Writes status `i` of an array unless it is MPI_STATUSES_IGNORE.
///
/// # Safety
/// `p` is MPI_STATUSES_IGNORE or valid for at least `i + 1` statuses.
unsafe fn write_status_at(p: *mut MPI_Status, i: usize, st: &Status) {
    if ignored(p) {
        return;
    }
    // SAFETY: the caller guarantees the array length.
    unsafe { write_status(p.add(i), st) };
}

/// Completes the listed requests and writes their statuses; returns the error to report.
///
/// # Safety
/// As for `write_status_at`, for every index in `done`.
unsafe fn finish_many(rt: &mut Runtime, hs: &mut [MPI_Request], ids: &[Option<u32>], done: &[usize], statuses: *mut MPI_Status, pos: impl Fn(usize) -> usize) -> (bool, Option<MpiError>) {
    let mut any_err = false;
    let mut first = None;
    for (k, &i) in done.iter().enumerate() {
        let rid = ids[i].expect("only active requests complete");
        let (st, d) = rt.finish(rid);
        release_handle(rt, rid, &mut hs[i]);
        if st.error != 0 {
            any_err = true;
            first.get_or_insert(MpiError::new(st.error, d.unwrap_or_default()));
        }
        // SAFETY: forwarded from this function's contract.
        unsafe { write_status_at(statuses, pos(k), &st) };
    }
    (any_err, first)
}

/// Waits for all requests.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Waitall(count: c_int, array_of_requests: *mut MPI_Request, array_of_statuses: *mut MPI_Status) -> c_int {
    let code = guarded("MPI_Waitall", || {
        // SAFETY: MPI's contract on the array.
        let hs = unsafe { handles(array_of_requests, count)? };
        runtime::with(|rt| {
            let ids = active_ids(rt, hs)?;
            rt.wait_until(|rt| ids.iter().flatten().all(|&r| rt.is_done(r)))?;
            for (i, id) in ids.iter().enumerate() {
                if id.is_none() {
                    // SAFETY: MPI_STATUSES_IGNORE or `count` statuses.
                    unsafe { write_status_at(array_of_statuses, i, &Status::empty()) };
                }
            }
            let done: Vec<usize> = (0..ids.len()).filter(|&i| ids[i].is_some()).collect();
            // SAFETY: MPI_STATUSES_IGNORE or `count` statuses.
            let (any, _) = unsafe { finish_many(rt, hs, &ids, &done, array_of_statuses, |k| done[k]) };
            if any {
                return Err(MpiError::new(c::MPI_ERR_IN_STATUS, "One or more requests failed; see the statuses"));
            }
            Ok(())
        })
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Tests whether all requests are complete; completes them only if so.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Testall(count: c_int, array_of_requests: *mut MPI_Request, flag: *mut c_int, array_of_statuses: *mut MPI_Status) -> c_int {
    let code = guarded("MPI_Testall", || {
        // SAFETY: MPI's contract on the array.
        let hs = unsafe { handles(array_of_requests, count)? };
        args::out_ptr(flag, "flag")?;
        runtime::with(|rt| {
            let ids = active_ids(rt, hs)?;
            if !ids.iter().flatten().all(|&r| rt.is_done(r)) {
                rt.progress()?;
            }
            let all = ids.iter().flatten().all(|&r| rt.is_done(r));
            // SAFETY: checked non-NULL.
            unsafe { *flag = all as c_int };
            if !all {
                return Ok(());
            }
            for (i, id) in ids.iter().enumerate() {
                if id.is_none() {
                    // SAFETY: MPI_STATUSES_IGNORE or `count` statuses.
                    unsafe { write_status_at(array_of_statuses, i, &Status::empty()) };
                }
            }
            let done: Vec<usize> = (0..ids.len()).filter(|&i| ids[i].is_some()).collect();
            // SAFETY: MPI_STATUSES_IGNORE or `count` statuses.
            let (any, _) = unsafe { finish_many(rt, hs, &ids, &done, array_of_statuses, |k| done[k]) };
            if any {
                return Err(MpiError::new(c::MPI_ERR_IN_STATUS, "One or more requests failed; see the statuses"));
            }
            Ok(())
        })
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Shared body of Waitany and Testany.
///
/// # Safety
/// MPI's contract on the arguments.
unsafe fn any(count: c_int, reqs: *mut MPI_Request, index: *mut c_int, flag: *mut c_int, status: *mut MPI_Status, block: bool, errcomm: &mut MPI_Comm) -> Result<()> {
    // SAFETY: MPI's contract on the array.
    let hs = unsafe { handles(reqs, count)? };
    args::out_ptr(index, "index")?;
    let (st, d) = runtime::with(|rt| {
        let ids = active_ids(rt, hs)?;
        let set = |v: c_int, f: c_int| {
            // SAFETY: checked non-NULL; `flag` is NULL for Waitany.
            unsafe {
                *index = v;
                if !flag.is_null() {
                    *flag = f;
                }
            }
        };
        if ids.iter().all(|i| i.is_none()) {
            set(c::MPI_UNDEFINED, 1);
            return Ok((Status::empty(), None));
        }
        let first_done = |rt: &Runtime| ids.iter().position(|id| id.is_some_and(|r| rt.is_done(r)));
        if block {
            rt.wait_until(|rt| first_done(rt).is_some())?;
        } else if first_done(rt).is_none() {
            rt.progress()?;
        }
        match first_done(rt) {
            Some(i) => {
                let rid = ids[i].expect("active");
                *errcomm = request_comm(rt, rid);
                let r = rt.finish(rid);
                release_handle(rt, rid, &mut hs[i]);
                set(i as c_int, 1);
                Ok(r)
            }
            None => {
                set(c::MPI_UNDEFINED, 0);
                Ok((Status::empty(), None))
            }
        }
    })?;
    // SAFETY: MPI_STATUS_IGNORE or a valid status.
    unsafe { write_status(status, &st) };
    status_error(&st, d)
}

/// Waits for any one request.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Waitany(count: c_int, array_of_requests: *mut MPI_Request, index: *mut c_int, status: *mut MPI_Status) -> c_int {
    let mut errcomm = c::MPI_COMM_WORLD;
    // SAFETY: MPI's contract on the arguments.
    let code = guarded("MPI_Waitany", || unsafe {
        any(count, array_of_requests, index, std::ptr::null_mut(), status, true, &mut errcomm)
    });
    dispatch(errcomm, code)
}

/// Tests for any one completed request.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Testany(
    count: c_int,
    array_of_requests: *mut MPI_Request,
    index: *mut c_int,
    flag: *mut c_int,
    status: *mut MPI_Status,
) -> c_int {
    let mut errcomm = c::MPI_COMM_WORLD;
    let code = guarded("MPI_Testany", || {
        args::out_ptr(flag, "flag")?;
        // SAFETY: MPI's contract on the arguments.
        unsafe { any(count, array_of_requests, index, flag, status, false, &mut errcomm) }
    });
    dispatch(errcomm, code)
}

/// Shared body of Waitsome and Testsome.
///
/// # Safety
/// MPI's contract on the arguments.
unsafe fn some(incount: c_int, reqs: *mut MPI_Request, outcount: *mut c_int, indices: *mut c_int, statuses: *mut MPI_Status, block: bool) -> Result<()> {
    // SAFETY: MPI's contract on the array.
    let hs = unsafe { handles(reqs, incount)? };
    args::out_ptr(outcount, "outcount")?;
    runtime::with(|rt| {
        let ids = active_ids(rt, hs)?;
        if ids.iter().all(|i| i.is_none()) {
            // SAFETY: checked non-NULL.
            unsafe { *outcount = c::MPI_UNDEFINED };
            return Ok(());
        }
        let done_now = |rt: &Runtime| -> Vec<usize> { (0..ids.len()).filter(|&i| ids[i].is_some_and(|r| rt.is_done(r))).collect() };
        if block {
            rt.wait_until(|rt| !done_now(rt).is_empty())?;
        } else if done_now(rt).is_empty() {
            rt.progress()?;
        }
        let done = done_now(rt);
        if !done.is_empty() {
            args::out_ptr(indices, "array_of_indices")?;
        }
        for (k, &i) in done.iter().enumerate() {
            // SAFETY: the caller provides `incount` indices.
            unsafe { *indices.add(k) = i as c_int };
        }
        // SAFETY: checked non-NULL.
        unsafe { *outcount = done.len() as c_int };
        // SAFETY: MPI_STATUSES_IGNORE or `incount` statuses.
        let (any, _) = unsafe { finish_many(rt, hs, &ids, &done, statuses, |k| k) };
        if any {
            return Err(MpiError::new(c::MPI_ERR_IN_STATUS, "One or more requests failed; see the statuses"));
        }
        Ok(())
    })
}

/// Waits until at least one request completes; completes all that have.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Waitsome(
    incount: c_int,
    array_of_requests: *mut MPI_Request,
    outcount: *mut c_int,
    array_of_indices: *mut c_int,
    array_of_statuses: *mut MPI_Status,
) -> c_int {
    // SAFETY: MPI's contract on the arguments.
    let code = guarded("MPI_Waitsome", || unsafe {
        some(incount, array_of_requests, outcount, array_of_indices, array_of_statuses, true)
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Completes the requests that are complete now.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Testsome(
    incount: c_int,
    array_of_requests: *mut MPI_Request,
    outcount: *mut c_int,
    array_of_indices: *mut c_int,
    array_of_statuses: *mut MPI_Status,
) -> c_int {
    // SAFETY: MPI's contract on the arguments.
    let code = guarded("MPI_Testsome", || unsafe {
        some(incount, array_of_requests, outcount, array_of_indices, array_of_statuses, false)
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Starts a persistent request.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Start(request: *mut MPI_Request) -> c_int {
    let mut errcomm = c::MPI_COMM_WORLD;
    let code = guarded("MPI_Start", || {
        args::out_ptr(request, "request")?;
        // SAFETY: checked non-NULL.
        let rid = handle::request(unsafe { *request })?.ok_or_else(|| MpiError::new(c::MPI_ERR_REQUEST, "Null request"))?;
        runtime::with(|rt| {
            rt.check_request(rid)?;
            errcomm = request_comm(rt, rid);
            let r = rt.reqs.get(rid).expect("checked");
            if !r.persistent || r.active {
                return Err(MpiError::new(c::MPI_ERR_REQUEST, "Request is not an inactive persistent request"));
            }
            rt.start(rid)
        })
    });
    dispatch(errcomm, code)
}

/// Starts several persistent requests.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Startall(count: c_int, array_of_requests: *mut MPI_Request) -> c_int {
    let mut code = guarded("MPI_Startall", || {
        // SAFETY: MPI's contract on the array.
        unsafe { handles(array_of_requests, count) }.map(|_| ())
    });
    if code == 0 {
        for i in 0..count.max(0) as usize {
            // SAFETY: the array holds `count` handles (checked above).
            code = unsafe { MPI_Start(array_of_requests.add(i)) };
            if code != 0 {
                return code;
            }
        }
        return code;
    }
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Frees a request; a pending one completes in the background.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Request_free(request: *mut MPI_Request) -> c_int {
    let code = guarded("MPI_Request_free", || {
        args::out_ptr(request, "request")?;
        // SAFETY: checked non-NULL.
        let h = unsafe { &mut *request };
        let rid = handle::request(*h)?.ok_or_else(|| MpiError::new(c::MPI_ERR_REQUEST, "Null request"))?;
        runtime::with(|rt| rt.request_free(rid))?;
        *h = c::MPI_REQUEST_NULL;
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Cancels a pending receive (or a send not yet handed to the transport).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Cancel(request: *mut MPI_Request) -> c_int {
    let code = guarded("MPI_Cancel", || {
        args::out_ptr(request, "request")?;
        // SAFETY: checked non-NULL.
        let rid = handle::request(unsafe { *request })?.ok_or_else(|| MpiError::new(c::MPI_ERR_REQUEST, "Null request"))?;
        runtime::with(|rt| rt.cancel(rid))
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Whether the operation of a status was cancelled.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Test_cancelled(status: *const MPI_Status, flag: *mut c_int) -> c_int {
    let code = guarded("MPI_Test_cancelled", || {
        args::out_ptr(status as *mut MPI_Status, "status")?;
        args::out_ptr(flag, "flag")?;
        // SAFETY: both checked non-NULL.
        unsafe { *flag = (*status).count_hi_and_cancelled & 1 };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Probe arguments shared by MPI_Probe and MPI_Iprobe.
fn probe_args(rt: &Runtime, ci: u32, source: c_int, tag: c_int) -> Result<()> {
    args::recv_tag(tag)?;
    args::source(source, rt.comm(ci)?.peer_size())
}

/// Blocks until a matching message can be received, without receiving it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Probe(source: c_int, tag: c_int, comm: MPI_Comm, status: *mut MPI_Status) -> c_int {
    let code = guarded("MPI_Probe", || {
        let ci = handle::comm(comm)?;
        let st = runtime::with(|rt| {
            probe_args(rt, ci, source, tag)?;
            if source == c::MPI_PROC_NULL {
                return Ok((Status::proc_null(), None));
            }
            loop {
                if let Some((st, d)) = rt.probe_gate(ci, source)? {
                    return Ok((st, Some(d)));
                }
                if let Some(st) = rt.probe_unexpected(ci, source, tag)? {
                    return Ok((st, None));
                }
                rt.probe_recovering(ci, source)?;
                rt.wait_until(|rt| {
                    rt.probe_unexpected(ci, source, tag).ok().flatten().is_some()
                        || rt.probe_ends(ci, source)
                        || rt.probe_recovering(ci, source).is_err()
                })?;
            }
        })?;
        // SAFETY: MPI_STATUS_IGNORE or a valid status.
        unsafe { write_status(status, &st.0) };
        status_error(&st.0, st.1)
    });
    dispatch(comm, code)
}

/// Whether a matching message can be received now.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Iprobe(source: c_int, tag: c_int, comm: MPI_Comm, flag: *mut c_int, status: *mut MPI_Status) -> c_int {
    let code = guarded("MPI_Iprobe", || {
        let ci = handle::comm(comm)?;
        args::out_ptr(flag, "flag")?;
        let st = runtime::with(|rt| {
            probe_args(rt, ci, source, tag)?;
            if source == c::MPI_PROC_NULL {
                return Ok((Some(Status::proc_null()), None));
            }
            if let Some((st, d)) = rt.probe_gate(ci, source)? {
                return Ok((Some(st), Some(d)));
            }
            if let Some(s) = rt.probe_unexpected(ci, source, tag)? {
                return Ok((Some(s), None));
            }
            rt.progress()?;
            if let Some((st, d)) = rt.probe_gate(ci, source)? {
                return Ok((Some(st), Some(d)));
            }
            Ok((rt.probe_unexpected(ci, source, tag)?, None))
        })?;
        // SAFETY: checked non-NULL.
        unsafe { *flag = st.0.is_some() as c_int };
        if let Some(s) = &st.0 {
            // SAFETY: MPI_STATUS_IGNORE or a valid status.
            unsafe { write_status(status, s) };
            return status_error(s, st.1);
        }
        Ok(())
    });
    dispatch(comm, code)
}

/// The number of elements a status describes (MPI_UNDEFINED if not a whole number).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Get_count(status: *const MPI_Status, datatype: MPI_Datatype, count: *mut c_int) -> c_int {
    let code = guarded("MPI_Get_count", || {
        args::out_ptr(status as *mut MPI_Status, "status")?;
        args::out_ptr(count, "count")?;
        let dt = handle::datatype(datatype)?;
        // SAFETY: checked non-NULL.
        let bytes = status_bytes(unsafe { &*status });
        let size = dt.size() as u64;
        let n = if size == 0 {
            0
        } else if bytes % size != 0 || bytes / size > i32::MAX as u64 {
            c::MPI_UNDEFINED
        } else {
            (bytes / size) as c_int
        };
        // SAFETY: checked non-NULL.
        unsafe { *count = n };
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Attaches a buffer for buffered sends.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Buffer_attach(buffer: *mut c_void, size: c_int) -> c_int {
    let code = guarded("MPI_Buffer_attach", || {
        if size < 0 {
            return Err(MpiError::new(c::MPI_ERR_ARG, format!("Invalid buffer size {size}")));
        }
        if buffer.is_null() && size > 0 {
            return Err(MpiError::new(c::MPI_ERR_BUFFER, "Null buffer pointer"));
        }
        runtime::with(|rt| rt.buffer_attach(buffer as usize, size as usize))
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

/// Detaches the buffered-send buffer once all its messages have left.
/// `buffer` receives the address (it is a `void **` in disguise, as in MPI-1).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Buffer_detach(buffer: *mut c_void, size: *mut c_int) -> c_int {
    let code = guarded("MPI_Buffer_detach", || {
        args::out_ptr(buffer, "buffer")?;
        args::out_ptr(size, "size")?;
        let (addr, n) = runtime::with(|rt| rt.buffer_detach())?;
        // SAFETY: MPI passes the address of a pointer here; both pointers checked non-NULL.
        unsafe {
            *(buffer as *mut *mut c_void) = addr as *mut c_void;
            *size = n as c_int;
        }
        Ok(())
    });
    dispatch(c::MPI_COMM_WORLD, code)
}

include!(concat!(env!("OUT_DIR"), "/abi_gen/p2p.rs"));
