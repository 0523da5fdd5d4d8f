//! Collective communication (MPI-1.2 chapter 4), with MPI_IN_PLACE where MPI-2 allows it
//! (and for the alltoalls, as MPI-2.2 does). `MPI_Barrier` is in `comm.rs`.
//!
//! Each binding checks its arguments (communicator, root, counts, datatypes, buffers, then
//! the operation), builds views of the user buffers (any datatype layout) and makes one call
//! into the runtime, which picks the algorithm. Arguments that only the root reads are only
//! checked at the root, as the standard says they are insignificant elsewhere.

use std::ffi::{c_int, c_void};
use std::sync::Arc;

use super::consts as c;
use super::errh::dispatch;
use super::types::{MPI_Comm, MPI_Datatype, MPI_Op};
use super::{args, guarded, handle, op};
use crate::core::datatype::{Datatype, Layout};
use crate::core::error::{MpiError, Result};
use crate::runtime;
use crate::runtime::Runtime;
use crate::runtime::coll::Buffers;
use crate::transport::userbuf::UserBuf;

/// C's `MPI_IN_PLACE`, `(void *)-1`.
fn in_place(p: *const c_void) -> bool {
    p as usize == usize::MAX
}

/// Runs `f` under the runtime with the communicator's index, size and this member's rank:
/// one lock for the whole call.
fn in_comm<R>(comm: MPI_Comm, f: impl FnOnce(&mut Runtime, u32, u32, u32) -> Result<R>) -> Result<R> {
    let ci = handle::comm(comm)?;
    runtime::with(|rt| {
        let (size, rank) = {
            let c = rt.comm(ci)?;
            args::intracomm(c.is_inter(), comm)?;
            (c.size(), c.rank)
        };
        let r = f(rt, ci, size, rank);
        rt.strict_agree(ci, r)
    })
}

fn root(root: c_int, size: u32) -> Result<u32> {
    if root >= 0 && (root as u32) < size {
        return Ok(root as u32);
    }
    Err(MpiError::new(c::MPI_ERR_ROOT, format!("Invalid root (value {root}, must be nonnegative and less than {size})")))
}

/// A committed datatype.
fn committed_type(h: MPI_Datatype) -> Result<Arc<Datatype>> {
    let dt = handle::datatype(h)?;
    if !dt.committed {
        return Err(MpiError::new(c::MPI_ERR_TYPE, "Datatype has not been committed"));
    }
    Ok(dt)
}

/// A view of `count` elements of `datatype` at `buf`, after the argument checks.
///
/// # Safety
/// MPI's rule for the call: `buf` holds `count` elements of `datatype` (readable, and
/// writable when the collective writes it) until the call returns.
unsafe fn view(buf: *const c_void, count: c_int, datatype: MPI_Datatype) -> Result<UserBuf> {
    let n = args::count(count)?;
    let dt = committed_type(datatype)?;
    // SAFETY: forwarded from this function's contract.
    unsafe { view_of(buf, n, &dt, datatype) }
}

/// [`view`] with the datatype already looked up.
///
/// # Safety
/// As for [`view`].
unsafe fn view_of(buf: *const c_void, n: usize, dt: &Datatype, datatype: MPI_Datatype) -> Result<UserBuf> {
    if in_place(buf) {
        return Err(MpiError::new(c::MPI_ERR_BUFFER, "MPI_IN_PLACE is not valid for this buffer"));
    }
    // As args::buffer, without looking the datatype up again: NULL is fine from MPI_BOTTOM
    // with a derived type.
    if buf.is_null() && n > 0 && dt.predefined && dt.size() > 0 {
        return Err(MpiError::new(c::MPI_ERR_BUFFER, format!("Null buffer pointer (datatype {datatype:#x})")));
    }
    // SAFETY: forwarded from this function's contract.
    Ok(unsafe { UserBuf::new(buf.cast(), n, dt.layout.clone()) })
}

/// A view of block `count` elements at `displ` extents from `buf` (the v-collectives).
///
/// # Safety
/// As for [`view`], for the block.
unsafe fn view_at(buf: *const c_void, displ: c_int, count: usize, dt: &Datatype) -> UserBuf {
    let base = (buf as *const u8).wrapping_offset(displ as isize * dt.extent());
    // SAFETY: forwarded from this function's contract.
    unsafe { UserBuf::new(base, count, dt.layout.clone()) }
}

/// `n` non-negative counts from a C array.
///
/// # Safety
/// `p` points to `n` ints (or is NULL, which is refused).
unsafe fn counts(p: *const c_int, n: u32, what: &str) -> Result<Vec<usize>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if p.is_null() {
        return Err(MpiError::arg(format!("Null pointer in parameter {what}")));
    }
    // SAFETY: the caller guarantees `n` ints.
    let s = unsafe { std::slice::from_raw_parts(p, n as usize) };
    s.iter().map(|&v| args::count(v)).collect()
}

/// `n` displacements from a C array.
///
/// # Safety
/// `p` points to `n` ints (or is NULL, which is refused).
unsafe fn displacements(p: *const c_int, n: u32, what: &str) -> Result<Vec<c_int>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    if p.is_null() {
        return Err(MpiError::arg(format!("Null pointer in parameter {what}")));
    }
    // SAFETY: the caller guarantees `n` ints.
    Ok(unsafe { std::slice::from_raw_parts(p, n as usize) }.to_vec())
}

/// Send and receive buffers must not overlap unless MPI_IN_PLACE says so.
fn no_alias(sendbuf: *const c_void, recvbuf: *const c_void, bytes: usize) -> Result<()> {
    if bytes > 0 && !sendbuf.is_null() && sendbuf == recvbuf {
        return Err(MpiError::new(c::MPI_ERR_BUFFER, "Buffers must not be aliased (sendbuf == recvbuf; use MPI_IN_PLACE)"));
    }
    Ok(())
}

/// More data sent by this member to itself than its receive block holds.
fn own_truncation(sent: usize, room: usize) -> Option<MpiError> {
    (sent > room).then(|| MpiError::new(c::MPI_ERR_TRUNCATE, format!("Message truncated; {sent} bytes received but buffer size is {room}")))
}

/// Runs the collective, then reports an error found locally before it.
fn after(local: Option<MpiError>, r: Result<()>) -> Result<()> {
    r?;
    local.map_or(Ok(()), Err)
}

/// A library-owned packed copy of the caller's data, viewed like a user buffer.
struct Scratch {
    bytes: Vec<u8>,
}

impl Scratch {
    fn of(views: &[&UserBuf]) -> Scratch {
        let mut bytes = Vec::with_capacity(views.iter().map(|v| v.len()).sum());
        for v in views {
            bytes.extend_from_slice(&v.to_vec(0, v.len()));
        }
        Scratch { bytes }
    }

    /// Packed bytes `off .. off + len` as a buffer view.
    fn view(&self, off: usize, len: usize) -> UserBuf {
        // SAFETY: the vector outlives every view: a Scratch lives until the collective that
        // uses its views has returned, and it is only read.
        let whole = unsafe { UserBuf::new(self.bytes.as_ptr(), self.bytes.len(), Arc::new(Layout::contiguous(1))) };
        whole.range(off, len)
    }
}

/// Broadcasts `count` elements from `root` to every member.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Bcast(buffer: *mut c_void, count: c_int, datatype: MPI_Datatype, root: c_int, comm: MPI_Comm) -> c_int {
    let code = guarded("MPI_Bcast", || {
        in_comm(comm, |rt, ci, size, _me| {
            let root = self::root(root, size)?;
            // SAFETY: MPI's rule: the buffer holds `count` elements for the call.
            let buf = unsafe { view(buffer, count, datatype)? };
            rt.bcast(ci, buf, root)
        })
    });
    dispatch(comm, code)
}

/// Gathers `sendcount` elements from every member into the root's `recvbuf`, in rank order.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Gather(
    sendbuf: *const c_void,
    sendcount: c_int,
    sendtype: MPI_Datatype,
    recvbuf: *mut c_void,
    recvcount: c_int,
    recvtype: MPI_Datatype,
    root: c_int,
    comm: MPI_Comm,
) -> c_int {
    let code = guarded("MPI_Gather", || {
        in_comm(comm, |rt, ci, size, me| {
            let root = self::root(root, size)?;
            let at_root = me == root;
            let ip = in_place(sendbuf);
            if ip && !at_root {
                return Err(MpiError::new(c::MPI_ERR_BUFFER, "MPI_IN_PLACE is only valid at the root"));
            }
            // SAFETY: MPI's rule on the send buffer.
            let send = if ip { None } else { Some(unsafe { view(sendbuf, sendcount, sendtype)? }) };
            let (recv, block) = if at_root {
                let n = args::count(recvcount)?;
                let dt = committed_type(recvtype)?;
                // SAFETY: MPI's rule: the root's receive buffer holds size * recvcount elements.
                let r = unsafe { view_of(recvbuf, n * size as usize, &dt, recvtype)? };
                (Some(r), n * dt.size())
            } else {
                (None, send.as_ref().map_or(0, |s| s.len()))
            };
            let local = if at_root && !ip { no_alias(sendbuf, recvbuf, block)?; own_truncation(send.as_ref().map_or(0, |s| s.len()), block) } else { None };
            after(local, rt.gather(ci, Buffers { send, recv }, block, root))
        })
    });
    dispatch(comm, code)
}

/// Gathers a different number of elements from each member into places the root chooses.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Gatherv(
    sendbuf: *const c_void,
    sendcount: c_int,
    sendtype: MPI_Datatype,
    recvbuf: *mut c_void,
    recvcounts: *const c_int,
    displs: *const c_int,
    recvtype: MPI_Datatype,
    root: c_int,
    comm: MPI_Comm,
) -> c_int {
    let code = guarded("MPI_Gatherv", || {
        in_comm(comm, |rt, ci, size, me| {
            let root = self::root(root, size)?;
            let at_root = me == root;
            let ip = in_place(sendbuf);
            if ip && !at_root {
                return Err(MpiError::new(c::MPI_ERR_BUFFER, "MPI_IN_PLACE is only valid at the root"));
            }
            // SAFETY: MPI's rule on the send buffer.
            let send = if ip { None } else { Some(unsafe { view(sendbuf, sendcount, sendtype)? }) };
            let mut blocks = Vec::new();
            let mut local = None;
            if at_root {
                // SAFETY: MPI's rule: the root passes `size` counts and displacements.
                let (n, d) = unsafe { (counts(recvcounts, size, "recvcounts")?, displacements(displs, size, "displs")?) };
                let dt = committed_type(recvtype)?;
                let total: usize = n.iter().sum();
                args::buffer(recvbuf, total, recvtype)?;
                // SAFETY: MPI's rule: block i of the receive buffer holds recvcounts[i] elements.
                blocks = (0..size as usize).map(|i| unsafe { view_at(recvbuf, d[i], n[i], &dt) }).collect();
                if let Some(s) = &send {
                    local = own_truncation(s.len(), n[me as usize] * dt.size());
                }
            }
            after(local, rt.gatherv(ci, send, blocks, root))
        })
    });
    dispatch(comm, code)
}

/// Scatters consecutive blocks of the root's `sendbuf` to the members, in rank order.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Scatter(
    sendbuf: *const c_void,
    sendcount: c_int,
    sendtype: MPI_Datatype,
    recvbuf: *mut c_void,
    recvcount: c_int,
    recvtype: MPI_Datatype,
    root: c_int,
    comm: MPI_Comm,
) -> c_int {
    let code = guarded("MPI_Scatter", || {
        in_comm(comm, |rt, ci, size, me| {
            let root = self::root(root, size)?;
            let at_root = me == root;
            let ip = in_place(recvbuf);
            if ip && !at_root {
                return Err(MpiError::new(c::MPI_ERR_BUFFER, "MPI_IN_PLACE is only valid at the root"));
            }
            // SAFETY: MPI's rule on the receive buffer.
            let recv = if ip { None } else { Some(unsafe { view(recvbuf, recvcount, recvtype)? }) };
            let (send, block) = if at_root {
                let n = args::count(sendcount)?;
                let dt = committed_type(sendtype)?;
                // SAFETY: MPI's rule: the root's send buffer holds size * sendcount elements.
                let s = unsafe { view_of(sendbuf, n * size as usize, &dt, sendtype)? };
                (Some(s), n * dt.size())
            } else {
                (None, recv.as_ref().map_or(0, |r| r.len()))
            };
            let local = if at_root && !ip { no_alias(sendbuf, recvbuf, block)?; own_truncation(block, recv.as_ref().map_or(0, |r| r.len())) } else { None };
            after(local, rt.scatter(ci, Buffers { send, recv }, block, root))
        })
    });
    dispatch(comm, code)
}

/// Scatters blocks of different sizes and places from the root.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Scatterv(
    sendbuf: *const c_void,
    sendcounts: *const c_int,
    displs: *const c_int,
    sendtype: MPI_Datatype,
    recvbuf: *mut c_void,
    recvcount: c_int,
    recvtype: MPI_Datatype,
    root: c_int,
    comm: MPI_Comm,
) -> c_int {
    let code = guarded("MPI_Scatterv", || {
        in_comm(comm, |rt, ci, size, me| {
            let root = self::root(root, size)?;
            let at_root = me == root;
            let ip = in_place(recvbuf);
            if ip && !at_root {
                return Err(MpiError::new(c::MPI_ERR_BUFFER, "MPI_IN_PLACE is only valid at the root"));
            }
            // SAFETY: MPI's rule on the receive buffer.
            let recv = if ip { None } else { Some(unsafe { view(recvbuf, recvcount, recvtype)? }) };
            let mut blocks = Vec::new();
            let mut local = None;
            if at_root {
                // SAFETY: MPI's rule: the root passes `size` counts and displacements.
                let (n, d) = unsafe { (counts(sendcounts, size, "sendcounts")?, displacements(displs, size, "displs")?) };
                let dt = committed_type(sendtype)?;
                let total: usize = n.iter().sum();
                args::buffer(sendbuf, total, sendtype)?;
                // SAFETY: MPI's rule: block i of the send buffer holds sendcounts[i] elements.
                blocks = (0..size as usize).map(|i| unsafe { view_at(sendbuf, d[i], n[i], &dt) }).collect();
                if let Some(r) = &recv {
                    local = own_truncation(n[me as usize] * dt.size(), r.len());
                }
            }
            after(local, rt.scatterv(ci, recv, blocks, root))
        })
    });
    dispatch(comm, code)
}

/// Every member gathers every member's block.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Allgather(
    sendbuf: *const c_void,
    sendcount: c_int,
    sendtype: MPI_Datatype,
    recvbuf: *mut c_void,
    recvcount: c_int,
    recvtype: MPI_Datatype,
    comm: MPI_Comm,
) -> c_int {
    let code = guarded("MPI_Allgather", || {
        in_comm(comm, |rt, ci, size, _me| {
            let ip = in_place(sendbuf);
            // SAFETY: MPI's rule on the send buffer.
            let send = if ip { None } else { Some(unsafe { view(sendbuf, sendcount, sendtype)? }) };
            let n = args::count(recvcount)?;
            let rdt = committed_type(recvtype)?;
            let block = n * rdt.size();
            // SAFETY: MPI's rule: the receive buffer holds size * recvcount elements.
            let recv = unsafe { view_of(recvbuf, n * size as usize, &rdt, recvtype)? };
            let local = match &send {
                Some(s) => {
                    no_alias(sendbuf, recvbuf, block)?;
                    own_truncation(s.len(), block)
                }
                None => None,
            };
            after(local, rt.allgather(ci, Buffers { send, recv: Some(recv) }, block))
        })
    });
    dispatch(comm, code)
}

/// Every member gathers blocks of different sizes into places it chooses.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Allgatherv(
    sendbuf: *const c_void,
    sendcount: c_int,
    sendtype: MPI_Datatype,
    recvbuf: *mut c_void,
    recvcounts: *const c_int,
    displs: *const c_int,
    recvtype: MPI_Datatype,
    comm: MPI_Comm,
) -> c_int {
    let code = guarded("MPI_Allgatherv", || {
        in_comm(comm, |rt, ci, size, me| {
            let ip = in_place(sendbuf);
            // SAFETY: MPI's rule on the send buffer.
            let send = if ip { None } else { Some(unsafe { view(sendbuf, sendcount, sendtype)? }) };
            // SAFETY: MPI's rule: `size` counts and displacements.
            let (n, d) = unsafe { (counts(recvcounts, size, "recvcounts")?, displacements(displs, size, "displs")?) };
            let dt = committed_type(recvtype)?;
            args::buffer(recvbuf, n.iter().sum(), recvtype)?;
            // SAFETY: MPI's rule: block i of the receive buffer holds recvcounts[i] elements.
            let blocks: Vec<UserBuf> = (0..size as usize).map(|i| unsafe { view_at(recvbuf, d[i], n[i], &dt) }).collect();
            let local = send.as_ref().and_then(|s| own_truncation(s.len(), n[me as usize] * dt.size()));
            after(local, rt.allgatherv(ci, send, blocks))
        })
    });
    dispatch(comm, code)
}

/// Every member sends a distinct block to every member.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Alltoall(
    sendbuf: *const c_void,
    sendcount: c_int,
    sendtype: MPI_Datatype,
    recvbuf: *mut c_void,
    recvcount: c_int,
    recvtype: MPI_Datatype,
    comm: MPI_Comm,
) -> c_int {
    let code = guarded("MPI_Alltoall", || {
        in_comm(comm, |rt, ci, size, _me| {
            let ip = in_place(sendbuf);
            let n = args::count(recvcount)?;
            let rdt = committed_type(recvtype)?;
            let block = n * rdt.size();
            // SAFETY: MPI's rule: the receive buffer holds size * recvcount elements.
            let recv = unsafe { view_of(recvbuf, n * size as usize, &rdt, recvtype)? };
            // With MPI_IN_PLACE the data to send is a copy of what the receive buffer holds now.
            let scratch = ip.then(|| Scratch::of(&[&recv]));
            let send = match &scratch {
                Some(s) => s.view(0, s.bytes.len()),
                None => {
                    let sdt = committed_type(sendtype)?;
                    // SAFETY: MPI's rule: the send buffer holds size * sendcount elements.
                    unsafe { view_of(sendbuf, args::count(sendcount)? * size as usize, &sdt, sendtype)? }
                }
            };
            if !ip {
                no_alias(sendbuf, recvbuf, block)?;
                if send.len() != recv.len() {
                    return Err(MpiError::new(c::MPI_ERR_TRUNCATE, format!("Send and receive blocks differ: {} and {} bytes", send.len() / size as usize, block)));
                }
            }
            let r = rt.alltoall(ci, Buffers { send: Some(send), recv: Some(recv) }, block);
            drop(scratch);
            r
        })
    });
    dispatch(comm, code)
}

/// Every member sends blocks of different sizes to every member.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Alltoallv(
    sendbuf: *const c_void,
    sendcounts: *const c_int,
    sdispls: *const c_int,
    sendtype: MPI_Datatype,
    recvbuf: *mut c_void,
    recvcounts: *const c_int,
    rdispls: *const c_int,
    recvtype: MPI_Datatype,
    comm: MPI_Comm,
) -> c_int {
    let code = guarded("MPI_Alltoallv", || {
        in_comm(comm, |rt, ci, size, me| {
            let ip = in_place(sendbuf);
            // SAFETY: MPI's rule: `size` counts and displacements.
            let (rn, rd) = unsafe { (counts(recvcounts, size, "recvcounts")?, displacements(rdispls, size, "rdispls")?) };
            let rdt = committed_type(recvtype)?;
            args::buffer(recvbuf, rn.iter().sum(), recvtype)?;
            // SAFETY: MPI's rule: receive block i holds recvcounts[i] elements.
            let recv: Vec<UserBuf> = (0..size as usize).map(|i| unsafe { view_at(recvbuf, rd[i], rn[i], &rdt) }).collect();
            let scratch = ip.then(|| Scratch::of(&recv.iter().collect::<Vec<_>>()));
            let send: Vec<UserBuf> = match &scratch {
                Some(s) => {
                    let mut off = 0;
                    recv.iter()
                        .map(|r| {
                            let v = s.view(off, r.len());
                            off += r.len();
                            v
                        })
                        .collect()
                }
                None => {
                    // SAFETY: MPI's rule: `size` counts and displacements.
                    let (sn, sd) = unsafe { (counts(sendcounts, size, "sendcounts")?, displacements(sdispls, size, "sdispls")?) };
                    let sdt = committed_type(sendtype)?;
                    args::buffer(sendbuf, sn.iter().sum(), sendtype)?;
                    // SAFETY: MPI's rule: send block i holds sendcounts[i] elements.
                    (0..size as usize).map(|i| unsafe { view_at(sendbuf, sd[i], sn[i], &sdt) }).collect()
                }
            };
            let local = own_truncation(send[me as usize].len(), recv[me as usize].len());
            let r = rt.alltoallv(ci, send, recv);
            drop(scratch);
            after(local, r)
        })
    });
    dispatch(comm, code)
}

/// Send and receive views of a reduction; with MPI_IN_PLACE both are the receive buffer.
///
/// # Safety
/// MPI's rule on both buffers for `count` elements.
unsafe fn reduction_views(sendbuf: *const c_void, recvbuf: *mut c_void, n: usize, dt: &Datatype, datatype: MPI_Datatype) -> Result<(UserBuf, UserBuf)> {
    // SAFETY: forwarded.
    let recv = unsafe { view_of(recvbuf, n, dt, datatype)? };
    if in_place(sendbuf) {
        return Ok((recv.clone(), recv));
    }
    no_alias(sendbuf, recvbuf, recv.len())?;
    // SAFETY: forwarded.
    let send = unsafe { view_of(sendbuf, n, dt, datatype)? };
    Ok((send, recv))
}

/// Combines every member's `count` elements with `op` into the root's `recvbuf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Reduce(
    sendbuf: *const c_void,
    recvbuf: *mut c_void,
    count: c_int,
    datatype: MPI_Datatype,
    op: MPI_Op,
    root: c_int,
    comm: MPI_Comm,
) -> c_int {
    let code = guarded("MPI_Reduce", || {
        in_comm(comm, |rt, ci, size, me| {
            let root = self::root(root, size)?;
            let n = args::count(count)?;
            let dt = committed_type(datatype)?;
            let bufs = if me == root {
                // SAFETY: MPI's rule on the root's buffers.
                let (send, recv) = unsafe { reduction_views(sendbuf, recvbuf, n, &dt, datatype)? };
                Buffers { send: Some(send), recv: Some(recv) }
            } else {
                if in_place(sendbuf) {
                    return Err(MpiError::new(c::MPI_ERR_BUFFER, "MPI_IN_PLACE is only valid at the root"));
                }
                // SAFETY: MPI's rule on the send buffer.
                Buffers { send: Some(unsafe { view_of(sendbuf, n, &dt, datatype)? }), recv: None }
            };
            let (red, units) = op::reduction(op, datatype, &dt, n)?;
            rt.reduce(ci, bufs, units, &red, root)
        })
    });
    dispatch(comm, code)
}

/// Combines every member's `count` elements with `op`; every member gets the result.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Allreduce(sendbuf: *const c_void, recvbuf: *mut c_void, count: c_int, datatype: MPI_Datatype, op: MPI_Op, comm: MPI_Comm) -> c_int {
    let code = guarded("MPI_Allreduce", || {
        in_comm(comm, |rt, ci, _size, _me| {
            let n = args::count(count)?;
            let dt = committed_type(datatype)?;
            // SAFETY: MPI's rule on both buffers.
            let (send, recv) = unsafe { reduction_views(sendbuf, recvbuf, n, &dt, datatype)? };
            let (red, units) = op::reduction(op, datatype, &dt, n)?;
            rt.allreduce(ci, Buffers { send: Some(send), recv: Some(recv) }, units, &red)
        })
    });
    dispatch(comm, code)
}

/// Shared body of MPI_Reduce_scatter and MPI_Reduce_scatter_block.
///
/// # Safety
/// MPI's rule on the buffers for the counts.
#[allow(clippy::too_many_arguments, reason = "the C call's arguments and the communicator")]
unsafe fn reduce_scatter(
    rt: &mut Runtime,
    sendbuf: *const c_void,
    recvbuf: *mut c_void,
    n: &[usize],
    datatype: MPI_Datatype,
    op: MPI_Op,
    ci: u32,
    me: u32,
) -> Result<()> {
    let dt = committed_type(datatype)?;
    let total: usize = n.iter().sum();
    let mine = n.get(me as usize).copied().unwrap_or(0);
    let (send, recv) = if in_place(sendbuf) {
        // SAFETY: MPI's rule: in place, the receive buffer holds the whole input.
        let all = unsafe { view_of(recvbuf, total, &dt, datatype)? };
        (all.clone(), all.range(0, mine * dt.size()))
    } else {
        no_alias(sendbuf, recvbuf, mine * dt.size())?;
        // SAFETY: MPI's rule on both buffers.
        unsafe { (view_of(sendbuf, total, &dt, datatype)?, view_of(recvbuf, mine, &dt, datatype)?) }
    };
    let (red, _) = op::reduction(op, datatype, &dt, total)?;
    let units: Vec<usize> = n.iter().map(|&k| k * dt.size() / red.elem).collect();
    rt.reduce_scatter(ci, Buffers { send: Some(send), recv: Some(recv) }, &units, &red)
}

/// Reduces, then scatters the result: member i gets `recvcounts[i]` elements.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Reduce_scatter(
    sendbuf: *const c_void,
    recvbuf: *mut c_void,
    recvcounts: *const c_int,
    datatype: MPI_Datatype,
    op: MPI_Op,
    comm: MPI_Comm,
) -> c_int {
    let code = guarded("MPI_Reduce_scatter", || {
        in_comm(comm, |rt, ci, size, me| {
            // SAFETY: MPI's rule: `size` counts.
            let n = unsafe { counts(recvcounts, size, "recvcounts")? };
            // SAFETY: MPI's rule on the buffers.
            unsafe { reduce_scatter(rt, sendbuf, recvbuf, &n, datatype, op, ci, me) }
        })
    });
    dispatch(comm, code)
}

/// Reduces, then scatters equal blocks of `recvcount` elements (MPI-2.2).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Reduce_scatter_block(
    sendbuf: *const c_void,
    recvbuf: *mut c_void,
    recvcount: c_int,
    datatype: MPI_Datatype,
    op: MPI_Op,
    comm: MPI_Comm,
) -> c_int {
    let code = guarded("MPI_Reduce_scatter_block", || {
        in_comm(comm, |rt, ci, size, me| {
            let n = vec![args::count(recvcount)?; size as usize];
            // SAFETY: MPI's rule on the buffers.
            unsafe { reduce_scatter(rt, sendbuf, recvbuf, &n, datatype, op, ci, me) }
        })
    });
    dispatch(comm, code)
}

/// Shared body of MPI_Scan and MPI_Exscan.
///
/// # Safety
/// MPI's rule on both buffers.
unsafe fn scan(sendbuf: *const c_void, recvbuf: *mut c_void, count: c_int, datatype: MPI_Datatype, op: MPI_Op, comm: MPI_Comm, exclusive: bool) -> Result<()> {
    in_comm(comm, |rt, ci, _size, _me| {
            let n = args::count(count)?;
            let dt = committed_type(datatype)?;
            // SAFETY: forwarded.
            let (send, recv) = unsafe { reduction_views(sendbuf, recvbuf, n, &dt, datatype)? };
            let (red, units) = op::reduction(op, datatype, &dt, n)?;
            rt.scan(ci, Buffers { send: Some(send), recv: Some(recv) }, units, &red, exclusive)
    })
}

/// Inclusive prefix reduction: member i gets the reduction of members 0..=i.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Scan(sendbuf: *const c_void, recvbuf: *mut c_void, count: c_int, datatype: MPI_Datatype, op: MPI_Op, comm: MPI_Comm) -> c_int {
    // SAFETY: MPI's rule on both buffers.
    let code = guarded("MPI_Scan", || unsafe { scan(sendbuf, recvbuf, count, datatype, op, comm, false) });
    dispatch(comm, code)
}

/// Exclusive prefix reduction (MPI-2): member i gets the reduction of members 0..i; member
/// 0's `recvbuf` is left alone.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn MPI_Exscan(sendbuf: *const c_void, recvbuf: *mut c_void, count: c_int, datatype: MPI_Datatype, op: MPI_Op, comm: MPI_Comm) -> c_int {
    // SAFETY: MPI's rule on both buffers.
    let code = guarded("MPI_Exscan", || unsafe { scan(sendbuf, recvbuf, count, datatype, op, comm, true) });
    dispatch(comm, code)
}

include!(concat!(env!("OUT_DIR"), "/abi_gen/coll.rs"));
