//! What a collective algorithm needs from below: nonblocking sends and receives to the other
//! members, and access to the caller's buffers by packed offset.
//!
//! Algorithms are generic over [`Net`], so the same code runs over the real transport
//! ([`RtNet`]: requests on the communicator's collective context) and, in unit tests, over
//! in-memory channels between threads. The caller's buffers are *regions* numbered by the
//! entry point (for most collectives region 0 is the send buffer and region 1 the receive
//! buffer); a send or receive names a range of packed bytes in a region, so data moves
//! straight between user buffers, whatever their datatype layout. Library scratch is a plain
//! `Vec<u8>`: sent by moving it, received into a fresh one; short scratch may also live on
//! the algorithm's stack ([`Net::send_slice`], [`Net::recv_into`]).

use once_cell::sync::Lazy;
use parking_lot::Mutex;

use crate::core::error::{MpiError, Result};
use crate::runtime::Runtime;
use crate::runtime::p2p::Half;
use crate::runtime::requests::{Body, Buf, SendMode};
use crate::transport::shm::Payload;
use crate::transport::userbuf::UserBuf;

/// One of the caller's buffers, by index.
pub type Region = usize;

/// What a send takes its bytes from.
#[derive(Debug)]
pub enum Src {
    Bytes(Vec<u8>),
    /// `(region, offset, len)` in packed bytes.
    Region(Region, usize, usize),
}

/// Where a receive puts its bytes.
#[derive(Debug, Clone, Copy)]
pub enum Dst {
    /// A new vector of this many bytes, handed out by [`Net::take`].
    Bytes(usize),
    Region(Region, usize, usize),
}

/// A started operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Req {
    pub id: u32,
    /// A receive into [`Dst::Bytes`]: its data waits for [`Net::take`].
    pub keep: bool,
}

pub trait Net {
    fn rank(&self) -> u32;
    fn size(&self) -> u32;
    /// Starts sending to member `to`.
    fn send(&mut self, to: u32, src: Src) -> Result<Req>;
    /// Starts receiving from member `from`. Receives from one member match its sends in order.
    fn recv(&mut self, from: u32, dst: Dst) -> Result<Req>;
    /// Waits until all of `reqs` are complete.
    fn wait_all(&mut self, reqs: &[Req]) -> Result<()>;
    /// The bytes of a completed receive into [`Dst::Bytes`].
    fn take(&mut self, req: Req) -> Vec<u8>;
    /// Packs `len` bytes of a region from `offset`.
    fn read(&self, region: Region, offset: usize, len: usize) -> Vec<u8>;
    /// Unpacks `data` into a region at `offset`.
    fn write(&mut self, region: Region, offset: usize, data: &[u8]);
    /// Packed bytes in a region.
    fn region_len(&self, region: Region) -> usize;
    /// Records an error found locally (the members disagree on a count); the algorithm goes
    /// on so that nobody is left waiting, and the call then returns the first such error.
    fn fail(&mut self, error: MpiError);

    /// An empty vector with room for `len` bytes, for library scratch.
    fn scratch(&mut self, len: usize) -> Vec<u8> {
        Vec::with_capacity(len)
    }

    /// Hands back a vector the algorithm no longer needs, for reuse.
    fn recycle(&mut self, v: Vec<u8>) {
        drop(v);
    }

    /// A scratch copy of `data` (to send a piece of a buffer the algorithm keeps using).
    fn bytes_of(&mut self, data: &[u8]) -> Vec<u8> {
        let mut v = self.scratch(data.len());
        v.extend_from_slice(data);
        v
    }

    /// Copies packed bytes from one region to another (a rank's own block).
    fn copy(&mut self, from: (Region, usize), to: (Region, usize), len: usize) {
        if len > 0 {
            let data = self.read(from.0, from.1, len);
            self.write(to.0, to.1, &data);
        }
    }

    /// Sends and receives with one peer (or two) and waits for both; returns the received
    /// bytes for a [`Dst::Bytes`] receive.
    fn sendrecv(&mut self, to: u32, src: Src, from: u32, dst: Dst) -> Result<Option<Vec<u8>>> {
        let r = self.recv(from, dst)?;
        let s = self.send(to, src)?;
        self.wait_all(&[r, s])?;
        Ok(r.keep.then(|| self.take(r)))
    }

    /// Receives into a new vector and waits for it.
    fn recv_bytes(&mut self, from: u32, len: usize) -> Result<Vec<u8>> {
        Ok(self.recv_wait(from, Dst::Bytes(len))?.unwrap_or_default())
    }

    /// Receives and waits; returns the received bytes for a [`Dst::Bytes`] receive.
    fn recv_wait(&mut self, from: u32, dst: Dst) -> Result<Option<Vec<u8>>> {
        let r = self.recv(from, dst)?;
        self.wait_all(&[r])?;
        Ok(r.keep.then(|| self.take(r)))
    }

    /// Receives exactly `out.len()` bytes into the caller's scratch and waits.
    fn recv_into(&mut self, from: u32, out: &mut [u8]) -> Result<()> {
        let v = self.recv_bytes(from, out.len())?;
        out.copy_from_slice(&v);
        self.recycle(v);
        Ok(())
    }

    /// Starts sending a copy of `data` (which the caller may change at once).
    fn send_slice(&mut self, to: u32, data: &[u8]) -> Result<Req> {
        let v = self.bytes_of(data);
        self.send(to, Src::Bytes(v))
    }

    /// Packs `out.len()` bytes of a region from `offset` into the caller's scratch.
    fn read_into(&self, region: Region, offset: usize, out: &mut [u8]) {
        let v = self.read(region, offset, out.len());
        out.copy_from_slice(&v);
    }

    /// Sends and waits.
    fn send_wait(&mut self, to: u32, src: Src) -> Result<()> {
        let s = self.send(to, src)?;
        self.wait_all(&[s])
    }
}

/// Scratch vectors kept between collectives. Long messages need buffers of the message's
/// size every call; allocating them anew each time costs page faults (malloc returns such
/// blocks to the system on free), which cost more than the copies themselves.
static POOL: Lazy<Mutex<Vec<Vec<u8>>>> = Lazy::new(|| Mutex::new(Vec::new()));
/// Vectors smaller than this come from malloc (cheap at that size).
const POOL_MIN: usize = 16 * 1024;
/// Vectors larger than this are not kept.
const POOL_MAX_BYTES: usize = 64 << 20;
/// Vectors kept at most.
const POOL_SLOTS: usize = 8;

fn pool_take(len: usize) -> Vec<u8> {
    if len >= POOL_MIN {
        let mut pool = POOL.lock();
        let best = (0..pool.len()).filter(|&i| pool[i].capacity() >= len).min_by_key(|&i| pool[i].capacity());
        if let Some(i) = best {
            let mut v = pool.swap_remove(i);
            v.clear();
            return v;
        }
    }
    Vec::with_capacity(len)
}

fn pool_give(v: Vec<u8>) {
    let cap = v.capacity();
    if !(POOL_MIN..=POOL_MAX_BYTES).contains(&cap) {
        return;
    }
    let mut pool = POOL.lock();
    if pool.len() < POOL_SLOTS {
        pool.push(v);
    } else if let Some(i) = (0..pool.len()).min_by_key(|&i| pool[i].capacity()).filter(|&i| pool[i].capacity() < cap) {
        pool[i] = v;
    }
}

/// The id of a send that left at once: no request exists (ids of the request table never
/// reach this), so waiting for it finds it done.
const SENT: u32 = u32::MAX;

/// [`Net`] over the runtime's point-to-point requests on a communicator's collective
/// context. Errors in a message's status (truncation: the members disagree on a count) do
/// not stop the algorithm, which would leave others waiting; the first one is returned by
/// [`RtNet::finish`].
pub struct RtNet<'a> {
    rt: &'a mut Runtime,
    comm: u32,
    rank: u32,
    size: u32,
    tag: i32,
    regions: Regions,
    /// Requests started and not yet finished or taken.
    live: Vec<u32>,
    error: Option<MpiError>,
    /// On a communicator with BLANK gaps the algorithms run over the live ranks only:
    /// algorithm rank `i` is communicator rank `map[i]`.
    map: Option<std::sync::Arc<Vec<u32>>>,
}

/// The caller's buffers of one collective; up to two are kept inline, so that the common
/// cases allocate nothing.
pub enum Regions {
    One(UserBuf),
    Two([UserBuf; 2]),
    Many(Vec<UserBuf>),
}

impl std::ops::Index<Region> for Regions {
    type Output = UserBuf;

    fn index(&self, r: Region) -> &UserBuf {
        match self {
            Regions::One(b) => std::slice::from_ref(b).get(r).expect("region out of range"),
            Regions::Two(a) => &a[r],
            Regions::Many(v) => &v[r],
        }
    }
}

impl From<Vec<UserBuf>> for Regions {
    fn from(v: Vec<UserBuf>) -> Regions {
        Regions::Many(v)
    }
}

impl From<UserBuf> for Regions {
    fn from(b: UserBuf) -> Regions {
        Regions::One(b)
    }
}

impl From<[UserBuf; 2]> for Regions {
    fn from(a: [UserBuf; 2]) -> Regions {
        Regions::Two(a)
    }
}

/// A collective's error of class `error`: a truncation names the likely cause.
fn coll_error(error: i32, detail: Option<String>) -> MpiError {
    let detail = detail.unwrap_or_else(|| crate::core::error::class_text(error).to_string());
    let hint = if error == crate::abi::consts::MPI_ERR_TRUNCATE { " (in a collective; do all members pass matching counts?)" } else { "" };
    MpiError::new(error, format!("{detail}{hint}"))
}

/// `len` bytes arrived for a buffer of `cap` in a collective.
pub(super) fn truncated(len: usize, cap: usize) -> MpiError {
    coll_error(crate::abi::consts::MPI_ERR_TRUNCATE, Some(format!("Message truncated; {len} bytes received but buffer size is {cap}")))
}

impl<'a> RtNet<'a> {
    pub fn new(rt: &'a mut Runtime, comm: u32, tag: i32, regions: impl Into<Regions>) -> Result<RtNet<'a>> {
        let regions = regions.into();
        let map = rt.live_ranks(comm)?;
        let c = rt.comm(comm)?;
        let (rank, size) = match &map {
            Some(m) => (m.iter().position(|&r| r == c.rank).unwrap_or(0) as u32, m.len() as u32),
            None => (c.rank, c.size()),
        };
        Ok(RtNet { rt, comm, rank, size, tag, regions, live: Vec::new(), error: None, map })
    }

    /// The first error seen in a message's status, if any.
    pub fn finish(mut self) -> Result<()> {
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn note(&mut self, error: i32, detail: Option<String>) {
        if error != 0 {
            self.fail(coll_error(error, detail));
        }
    }

    fn forget(&mut self, id: u32) {
        if let Some(i) = self.live.iter().position(|&r| r == id) {
            self.live.swap_remove(i);
        }
    }

    fn start(&mut self, rid: u32, keep: bool) -> Result<Req> {
        self.live.push(rid);
        self.rt.start(rid)?;
        Ok(Req { id: rid, keep })
    }

    /// Communicator rank of algorithm rank `r`.
    fn comm_rank(&self, r: u32) -> u32 {
        self.map.as_ref().map_or(r, |m| m[r as usize])
    }

    /// A blocking receive of an eager message without a request, into `dst` (`cap` bytes
    /// at most). `false`: take the general path.
    fn recv_now(&mut self, from: u32, cap: usize, put: &mut dyn FnMut(&[u8], &[u8])) -> Result<bool> {
        let from = self.comm_rank(from);
        let (comm, tag) = (self.comm, self.tag);
        match self.rt.try_recv_now_on(comm, from as i32, tag, Half::Coll, put)? {
            None => Ok(false),
            Some(len) => {
                if len > cap {
                    self.fail(truncated(len, cap));
                }
                Ok(true)
            }
        }
    }

    /// [`RtNet::recv_now`] into a region or a new vector.
    fn recv_now_dst(&mut self, from: u32, dst: Dst) -> Result<Option<Option<Vec<u8>>>> {
        match dst {
            Dst::Bytes(len) => {
                let mut v = pool_take(len);
                v.resize(len, 0);
                let ok = self.recv_now(from, len, &mut |a, b| {
                    let n = a.len().min(len);
                    v[..n].copy_from_slice(&a[..n]);
                    let m = b.len().min(len - n);
                    v[n..n + m].copy_from_slice(&b[..m]);
                })?;
                if ok {
                    Ok(Some(Some(v)))
                } else {
                    pool_give(v);
                    Ok(None)
                }
            }
            Dst::Region(r, off, len) => {
                let ub = self.regions[r].range(off, len);
                let ok = self.recv_now(from, len, &mut |a, b| {
                    ub.write(0, a);
                    ub.write(a.len(), b);
                })?;
                Ok(ok.then_some(None))
            }
        }
    }
}

impl Net for RtNet<'_> {
    fn rank(&self) -> u32 {
        self.rank
    }

    fn size(&self) -> u32 {
        self.size
    }

    fn send(&mut self, to: u32, src: Src) -> Result<Req> {
        let to = self.comm_rank(to);
        // A short message to a ring with room leaves at once, with no request to make,
        // wait for and free: most of the cost of a small collective otherwise.
        let (comm, tag) = (self.comm, self.tag);
        let sent = match &src {
            Src::Bytes(v) => self.rt.try_send_now_on(comm, to as i32, tag, v.len(), Payload::Bytes(v), Half::Coll)?,
            Src::Region(r, off, len) => {
                let ub = self.regions[*r].range(*off, *len);
                self.rt.try_send_now_on(comm, to as i32, tag, ub.len(), Payload::User(&ub, 0), Half::Coll)?
            }
        };
        if sent {
            if let Src::Bytes(v) = src {
                pool_give(v);
            }
            return Ok(Req { id: SENT, keep: false });
        }
        let buf = match src {
            Src::Bytes(v) => Buf::Owned(v),
            Src::Region(r, off, len) => Buf::User(self.regions[r].range(off, len)),
        };
        let rid = self.rt.new_send(self.comm, to as i32, self.tag, buf, SendMode::Standard, Half::Coll)?;
        self.start(rid, false)
    }

    fn recv(&mut self, from: u32, dst: Dst) -> Result<Req> {
        let from = self.comm_rank(from);
        let (buf, keep) = match dst {
            Dst::Bytes(len) => {
                let mut v = pool_take(len);
                v.resize(len, 0);
                (Buf::Owned(v), true)
            }
            Dst::Region(r, off, len) => (Buf::User(self.regions[r].range(off, len)), false),
        };
        let rid = self.rt.new_recv(self.comm, from as i32, self.tag, buf, Half::Coll)?;
        self.start(rid, keep)
    }

    fn sendrecv(&mut self, to: u32, src: Src, from: u32, dst: Dst) -> Result<Option<Vec<u8>>> {
        // With the send gone at once, the receive may wait without a request; else the
        // receive is posted first, as the general rule says.
        if self.rt.ft.world.any {
            let r = self.recv(from, dst)?;
            let s = self.send(to, src)?;
            self.wait_all(&[r, s])?;
            return Ok(r.keep.then(|| self.take(r)));
        }
        let s = self.send(to, src)?;
        let out = self.recv_wait(from, dst)?;
        self.wait_all(&[s])?;
        Ok(out)
    }

    fn recv_wait(&mut self, from: u32, dst: Dst) -> Result<Option<Vec<u8>>> {
        if let Some(out) = self.recv_now_dst(from, dst)? {
            return Ok(out);
        }
        let r = self.recv(from, dst)?;
        self.wait_all(&[r])?;
        Ok(r.keep.then(|| self.take(r)))
    }

    fn recv_into(&mut self, from: u32, out: &mut [u8]) -> Result<()> {
        let cap = out.len();
        let ok = self.recv_now(from, cap, &mut |a, b| {
            let n = a.len().min(cap);
            out[..n].copy_from_slice(&a[..n]);
            let m = b.len().min(cap - n);
            out[n..n + m].copy_from_slice(&b[..m]);
        })?;
        if !ok {
            let v = self.recv_wait(from, Dst::Bytes(cap))?.unwrap_or_default();
            out.copy_from_slice(&v[..cap]);
            pool_give(v);
        }
        Ok(())
    }

    fn send_slice(&mut self, to: u32, data: &[u8]) -> Result<Req> {
        let dest = self.comm_rank(to);
        let (comm, tag) = (self.comm, self.tag);
        if self.rt.try_send_now_on(comm, dest as i32, tag, data.len(), Payload::Bytes(data), Half::Coll)? {
            return Ok(Req { id: SENT, keep: false });
        }
        let v = self.bytes_of(data);
        self.send(to, Src::Bytes(v))
    }

    fn read_into(&self, region: Region, offset: usize, out: &mut [u8]) {
        let mut at = 0;
        self.regions[region].read(offset, out.len(), &mut |s| {
            out[at..at + s.len()].copy_from_slice(s);
            at += s.len();
        });
    }

    fn wait_all(&mut self, reqs: &[Req]) -> Result<()> {
        self.rt.wait_until(|rt| reqs.iter().all(|r| rt.is_done(r.id)))?;
        for r in reqs {
            if r.keep {
                let (error, detail) = match self.rt.reqs.get_mut(r.id) {
                    Some(q) => (q.status.error, q.error_detail.take()),
                    None => (0, None),
                };
                self.note(error, detail);
            } else {
                self.forget(r.id);
                let Some(req) = self.rt.reqs.remove(r.id) else { continue };
                self.note(req.status.error, req.error_detail);
                if let Body::Send(s) = req.body
                    && let Buf::Owned(v) = s.buf
                {
                    pool_give(v);
                }
            }
        }
        Ok(())
    }

    fn take(&mut self, req: Req) -> Vec<u8> {
        self.forget(req.id);
        match self.rt.reqs.remove(req.id).map(|r| r.body) {
            Some(Body::Recv(r)) => match r.buf {
                Buf::Owned(v) => v,
                Buf::User(_) => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    fn read(&self, region: Region, offset: usize, len: usize) -> Vec<u8> {
        let mut v = pool_take(len);
        self.regions[region].read(offset, len, &mut |s| v.extend_from_slice(s));
        v
    }

    fn scratch(&mut self, len: usize) -> Vec<u8> {
        pool_take(len)
    }

    fn recycle(&mut self, v: Vec<u8>) {
        pool_give(v);
    }

    fn write(&mut self, region: Region, offset: usize, data: &[u8]) {
        self.regions[region].write(offset, data);
    }

    /// Straight from one user buffer to the other, run by run, with no scratch between.
    fn copy(&mut self, from: (Region, usize), to: (Region, usize), len: usize) {
        if len == 0 {
            return;
        }
        let (src, dst) = (&self.regions[from.0], &self.regions[to.0]);
        let mut at = to.1;
        src.read(from.1, len, &mut |s| {
            dst.write(at, s);
            at += s.len();
        });
    }

    fn region_len(&self, region: Region) -> usize {
        self.regions[region].len()
    }

    fn fail(&mut self, error: MpiError) {
        self.error.get_or_insert(error);
    }
}

impl Drop for RtNet<'_> {
    /// An algorithm left early (a transport error): no request may go on writing into the
    /// caller's buffers after the call returns, so cancel what can be cancelled and let the
    /// rest complete into the void.
    fn drop(&mut self) {
        for rid in std::mem::take(&mut self.live) {
            if self.rt.is_done(rid) {
                self.rt.reqs.remove(rid);
            } else {
                let _ = self.rt.cancel(rid);
                let _ = self.rt.request_free(rid);
            }
        }
    }
}
