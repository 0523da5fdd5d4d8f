//! Collective operations: one file per algorithm, [`select`] to choose among them, and the
//! runtime entry points that the C bindings call.
//!
//! Every algorithm is a function generic over [`Net`] (nonblocking sends and receives plus
//! access to the caller's buffers by packed offset), so the same code runs over the
//! transport and, in the unit tests, over threads and channels at every size from 1 to 64
//! members. Traffic goes on the communicator's collective context with a tag per collective,
//! so it never matches user messages. Receives are posted before the matching sends and both
//! are waited for together, so no member blocks on a send its peer can only receive after
//! sending; only a send that has already left (a short message into a ring with room) is
//! followed by a receive that waits without a request.
//!
//! Reductions see packed bytes and a [`Reduction`]: the operation, whether it commutes, and
//! the bytes per element (segments are cut at element boundaries). Algorithms that combine
//! partial results keep them in rank order, so non-commutative user operations get
//! `r0 op r1 op ... op r(n-1)`.
#![forbid(unsafe_code)]

pub mod net;
pub mod select;

mod allgather_bruck;
mod allgather_recursive_doubling;
mod allgather_ring;
mod allgatherv_ring;
mod allreduce_rabenseifner;
mod allreduce_recursive_doubling;
mod allreduce_ring;
mod alltoall_pairwise;
mod alltoall_scattered;
mod barrier_dissemination;
mod bcast_binomial;
mod bcast_scatter_ring;
mod gather_binomial;
mod gather_linear;
mod reduce_binomial;
mod reduce_rabenseifner;
mod reduce_scatter_pairwise;
mod reduce_scatter_via_reduce;
mod scan_recursive_doubling;
mod scatter_binomial;
mod scatter_linear;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use crate::core::error::{MpiError, Result};
use crate::core::op::{Builtin, Kind};
use crate::transport::shm::Payload;
use crate::transport::userbuf::UserBuf;

use super::Runtime;
use super::p2p::Half;
use super::requests::{Buf, SendMode};
pub use net::{Dst, Net, Region, Req, RtNet, Src};
use select::{Algo, Coll};

/// Reserved tags on the collective context, one per collective, so a mismatch between
/// members shows up as a hang in one call rather than as data in the wrong place.
pub const TAG_BARRIER: i32 = 1;
pub const TAG_CONTEXT_ID: i32 = 2;
pub const TAG_BCAST: i32 = 16;
pub const TAG_REDUCE: i32 = 17;
pub const TAG_ALLREDUCE: i32 = 18;
pub const TAG_GATHER: i32 = 19;
pub const TAG_GATHERV: i32 = 20;
pub const TAG_SCATTER: i32 = 21;
pub const TAG_SCATTERV: i32 = 22;
pub const TAG_ALLGATHER: i32 = 23;
pub const TAG_ALLGATHERV: i32 = 24;
pub const TAG_ALLTOALL: i32 = 25;
pub const TAG_ALLTOALLV: i32 = 26;
pub const TAG_REDUCE_SCATTER: i32 = 27;
pub const TAG_SCAN: i32 = 28;
pub const TAG_EXSCAN: i32 = 29;

/// The function behind a reduction: `inout[i] = in[i] op inout[i]` on whole elements.
pub type ReduceFn = Arc<dyn Fn(&[u8], &mut [u8]) + Send + Sync>;

/// How a reduction computes: a predefined operation is called directly (no allocation per
/// call), a user one through the closure `abi` made.
#[derive(Clone)]
enum Apply {
    Builtin(Builtin, Kind),
    User(ReduceFn),
}

/// A reduction operation as the algorithms see it.
#[derive(Clone)]
pub struct Reduction {
    f: Apply,
    pub commutative: bool,
    /// Packed bytes per element (at least 1).
    pub elem: usize,
}

impl std::fmt::Debug for Reduction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reduction").field("commutative", &self.commutative).field("elem", &self.elem).finish()
    }
}

impl Reduction {
    pub fn new(apply: ReduceFn, commutative: bool, elem: usize) -> Reduction {
        Reduction { f: Apply::User(apply), commutative, elem: elem.max(1) }
    }

    /// `inout = input op inout`.
    pub fn apply(&self, input: &[u8], inout: &mut [u8]) {
        match &self.f {
            Apply::Builtin(op, kind) => crate::core::op::apply(*op, *kind, input, inout),
            Apply::User(f) => f(input, inout),
        }
    }

    /// A predefined operation on elements of `kind` (legality already checked).
    pub fn builtin(op: Builtin, kind: Kind) -> Reduction {
        Reduction { f: Apply::Builtin(op, kind), commutative: true, elem: kind.size() }
    }

    /// Combines `other` into `acc`, keeping rank order: the result is `other op acc` when
    /// `other` comes from lower ranks, else `acc op other`. Returns the vector left over, for
    /// reuse.
    pub fn fold(&self, acc: &mut Vec<u8>, mut other: Vec<u8>, other_is_lower: bool) -> Vec<u8> {
        if other_is_lower || self.commutative {
            self.apply(&other, acc);
            other
        } else {
            self.apply(acc, &mut other);
            std::mem::replace(acc, other)
        }
    }

    /// [`Reduction::fold`] on a segment of a larger buffer.
    pub fn fold_into(&self, acc: &mut [u8], other: &mut [u8], other_is_lower: bool) {
        if other_is_lower || self.commutative {
            self.apply(other, acc);
        } else {
            self.apply(acc, other);
            acc.copy_from_slice(other);
        }
    }
}

/// Largest power of two not above `n` (n >= 1).
pub fn pof2_floor(n: u32) -> u32 {
    1 << (31 - n.max(1).leading_zeros())
}

/// Block `i` of `count` elements cut into `parts` nearly equal blocks (the first
/// `count % parts` one element longer), as packed (offset, len).
pub fn block(count: usize, parts: usize, elem: usize, i: usize) -> (usize, usize) {
    let (base, extra) = (count / parts, count % parts);
    let start = i * base + i.min(extra);
    let n = base + usize::from(i < extra);
    (start * elem, n * elem)
}

/// Packed (offset, len) covering blocks `lo..hi`.
pub fn blocks(count: usize, parts: usize, elem: usize, lo: usize, hi: usize) -> (usize, usize) {
    if lo >= hi {
        return (block(count, parts, elem, lo.min(parts)).0.min(count * elem), 0);
    }
    let (start, _) = block(count, parts, elem, lo);
    let (last, n) = block(count, parts, elem, hi - 1);
    (start, last + n - start)
}

/// Folding a non-power-of-two group onto `pof2` members: of the first `2 * rem` ranks the
/// even ones hand their data to the odd neighbour and sit out.
#[derive(Debug, Clone, Copy)]
pub struct Fold {
    pub pof2: u32,
    pub rem: u32,
}

impl Fold {
    pub fn new(size: u32) -> Fold {
        let pof2 = pof2_floor(size);
        Fold { pof2, rem: size - pof2 }
    }

    /// Rank among the `pof2` active members; `None` for one that sits out.
    pub fn newrank(&self, rank: u32) -> Option<u32> {
        if rank < 2 * self.rem {
            (rank % 2 == 1).then_some(rank / 2)
        } else {
            Some(rank - self.rem)
        }
    }

    pub fn oldrank(&self, newrank: u32) -> u32 {
        if newrank < self.rem { newrank * 2 + 1 } else { newrank + self.rem }
    }
}

/// The caller's buffers of a rooted collective, as the entry point hands them over.
#[derive(Debug, Clone)]
pub struct Buffers {
    pub send: Option<UserBuf>,
    pub recv: Option<UserBuf>,
}

fn regions(b: Buffers) -> [UserBuf; 2] {
    [b.send.unwrap_or_else(UserBuf::empty), b.recv.unwrap_or_else(UserBuf::empty)]
}

/// Region numbers for the two-buffer collectives.
pub const SEND: Region = 0;
pub const RECV: Region = 1;

impl Runtime {
    pub(crate) fn coll_shape(&self, comm: u32) -> Result<(u32, u32)> {
        let c = self.comm(comm)?;
        if let Some(live) = self.live_ranks(comm)? {
            let me = live.iter().position(|&r| r == c.rank).unwrap_or(0) as u32;
            return Ok((live.len() as u32, me));
        }
        Ok((c.size(), c.rank))
    }

    /// The live ranks of a communicator with BLANK gaps, in order; `None` without gaps.
    /// Collectives skip the gaps by running over these.
    pub fn live_ranks(&self, comm: u32) -> Result<Option<std::sync::Arc<Vec<u32>>>> {
        let c = self.comm(comm)?;
        if !c.ft.has_gaps() {
            return Ok(None);
        }
        Ok(Some(std::sync::Arc::new((0..c.size()).filter(|&r| !c.ft.is_gap(r)).collect())))
    }

    /// A root given as a communicator rank, as the algorithms number it.
    pub(crate) fn vroot(&self, comm: u32, root: u32) -> Result<u32> {
        match self.live_ranks(comm)? {
            None => Ok(root),
            Some(l) => l.iter().position(|&r| r == root).map(|i| i as u32).ok_or_else(|| {
                MpiError::new(crate::abi::consts::MPI_ERR_ROOT, format!("Invalid root {root}: it is a gap left by a failed process (BLANK mode)"))
            }),
        }
    }

    /// Per-rank blocks without the gaps' (empty input stays empty).
    fn live_blocks(&self, comm: u32, blocks: Vec<UserBuf>) -> Result<Vec<UserBuf>> {
        let c = self.comm(comm)?;
        if blocks.is_empty() {
            return Ok(blocks);
        }
        Ok(blocks.into_iter().enumerate().filter(|(r, _)| !c.ft.is_gap(*r as u32)).map(|(_, b)| b).collect())
    }

    /// The live ranks' blocks, from one block per rank (the v-forms' arguments) or from
    /// blocks already cut to the live ranks (gather, scatter and allgather on gaps).
    fn blocks_of_live(&self, comm: u32, blocks: Vec<UserBuf>) -> Result<Vec<UserBuf>> {
        if self.has_gaps(comm) && blocks.len() == self.comm(comm)?.size() as usize {
            self.live_blocks(comm, blocks)
        } else {
            Ok(blocks)
        }
    }

    /// A buffer of one `block` per rank of `comm`, cut into the live ranks' blocks.
    fn split_live(&self, comm: u32, buf: Option<&UserBuf>, block: usize) -> Result<Vec<UserBuf>> {
        let Some(buf) = buf.filter(|b| !b.is_empty() || block == 0) else { return Ok(Vec::new()) };
        let n = self.comm(comm)?.size() as usize;
        let all = (0..n).map(|i| buf.range(i * block, block)).collect();
        self.live_blocks(comm, all)
    }

    fn has_gaps(&self, comm: u32) -> bool {
        self.comms.get(comm).is_some_and(|c| c.ft.has_gaps())
    }

    /// Blocking send of library-owned bytes on the collective context.
    pub fn coll_send(&mut self, comm: u32, dest: u32, tag: i32, data: Vec<u8>) -> Result<()> {
        let dest = self.live_rank(comm, dest)?;
        let rid = self.new_send(comm, dest as i32, tag, Buf::Owned(data), SendMode::Standard, Half::Coll)?;
        self.start(rid)?;
        self.wait(rid).map(|_| ())
    }

    /// Blocking receive of `len` bytes on the collective context.
    /// Communicator rank of the `v`-th live member (the identity without BLANK gaps).
    pub fn live_rank(&self, comm: u32, v: u32) -> Result<u32> {
        Ok(match self.live_ranks(comm)? {
            Some(l) => l.get(v as usize).copied().unwrap_or(v),
            None => v,
        })
    }

    pub fn coll_recv(&mut self, comm: u32, src: u32, tag: i32, len: usize) -> Result<Vec<u8>> {
        let mut net = RtNet::new(self, comm, tag, Vec::new())?;
        let v = net.recv_bytes(src, len)?;
        net.finish()?;
        Ok(v)
    }

    /// MPI_Barrier.
    pub fn barrier(&mut self, comm: u32) -> Result<()> {
        let mut net = RtNet::new(self, comm, TAG_BARRIER, Vec::new())?;
        barrier_dissemination::run(&mut net)?;
        net.finish()
    }

    /// Bitwise AND of `words` over the communicator: how members agree on a free context id.
    pub fn allreduce_band(&mut self, comm: u32, words: Vec<u64>) -> Result<Vec<u64>> {
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        let red = Reduction::builtin(Builtin::Band, Kind::U64);
        let mut net = RtNet::new(self, comm, TAG_CONTEXT_ID, Vec::new())?;
        let out = allreduce_recursive_doubling::run_vec(&mut net, &red, bytes)?;
        net.finish()?;
        Ok(out.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("8 bytes"))).collect())
    }

    /// MPI_Bcast of the packed bytes of `buf` from `root`.
    pub fn bcast(&mut self, comm: u32, buf: UserBuf, root: u32) -> Result<()> {
        if self.bcast_pair(comm, &buf, root)? {
            return Ok(());
        }
        let root = self.vroot(comm, root)?;
        let (p, _) = self.coll_shape(comm)?;
        let n = buf.len();
        let algo = self.config.coll.choose(Coll::Bcast, p, n, true);
        let mut net = RtNet::new(self, comm, TAG_BCAST, buf)?;
        match algo {
            Algo::ScatterRing => bcast_scatter_ring::run(&mut net, root, 0, n)?,
            _ => bcast_binomial::run(&mut net, root, 0, n)?,
        }
        net.finish()
    }

    /// A short broadcast between two members is one eager message: sent, or received
    /// straight from the ring, without the machinery of a tree (a third of the instructions
    /// of the call). False sends the caller down the general path (more members, gaps, a
    /// long message, a full ring, a message that is not next in the ring).
    fn bcast_pair(&mut self, comm: u32, buf: &UserBuf, root: u32) -> Result<bool> {
        let c = self.comm(comm)?;
        if c.size() != 2 || c.ft.has_gaps() || c.is_inter() || root > 1 || buf.len() > self.config.eager_limit {
            return Ok(false);
        }
        let (me, n) = (c.rank, buf.len());
        let other = (1 - me) as i32;
        if me == root {
            return self.try_send_now_on(comm, other, TAG_BCAST, n, Payload::User(buf, 0), Half::Coll);
        }
        let mut put = |a: &[u8], b: &[u8]| {
            buf.write(0, a);
            buf.write(a.len(), b);
        };
        match self.try_recv_now_capped(comm, other, TAG_BCAST, Half::Coll, n, &mut put)? {
            None => Ok(false),
            Some(len) if len > n => Err(net::truncated(len, n)),
            Some(_) => Ok(true),
        }
    }

    /// MPI_Reduce: `count` elements (`red.elem` bytes each) from every member's send buffer,
    /// combined into `root`'s receive buffer. With MPI_IN_PLACE the root's send buffer is its
    /// receive buffer.
    pub fn reduce(&mut self, comm: u32, bufs: Buffers, count: usize, red: &Reduction, root: u32) -> Result<()> {
        let root = self.vroot(comm, root)?;
        let (p, _) = self.coll_shape(comm)?;
        let algo = self.config.coll.choose(Coll::Reduce, p, count * red.elem, red.commutative);
        let algo = if algo == Algo::Rabenseifner && count < pof2_floor(p) as usize { Algo::Binomial } else { algo };
        let mut net = RtNet::new(self, comm, TAG_REDUCE, regions(bufs))?;
        match algo {
            Algo::Rabenseifner => reduce_rabenseifner::run(&mut net, red, root, count)?,
            _ => reduce_binomial::run(&mut net, red, root, count)?,
        }
        net.finish()
    }

    /// MPI_Allreduce (send and receive buffers may be the same view for MPI_IN_PLACE).
    pub fn allreduce(&mut self, comm: u32, bufs: Buffers, count: usize, red: &Reduction) -> Result<()> {
        let (p, _) = self.coll_shape(comm)?;
        let mut algo = self.config.coll.choose(Coll::Allreduce, p, count * red.elem, red.commutative);
        if matches!(algo, Algo::Rabenseifner | Algo::Ring) && count < p as usize {
            algo = Algo::RecursiveDoubling;
        }
        let mut net = RtNet::new(self, comm, TAG_ALLREDUCE, regions(bufs))?;
        match algo {
            Algo::Rabenseifner => allreduce_rabenseifner::run(&mut net, red, count)?,
            Algo::Ring => allreduce_ring::run(&mut net, red, count)?,
            _ => allreduce_recursive_doubling::run(&mut net, red, count)?,
        }
        net.finish()
    }

    /// MPI_Gather of `block` packed bytes per member. `bufs.send` is `None` at a root that
    /// passed MPI_IN_PLACE (its block is already in place).
    pub fn gather(&mut self, comm: u32, bufs: Buffers, block: usize, root: u32) -> Result<()> {
        if self.has_gaps(comm) {
            let blocks = self.split_live(comm, bufs.recv.as_ref(), block)?;
            return self.gatherv(comm, bufs.send, blocks, root);
        }
        let root = self.vroot(comm, root)?;
        let (p, _) = self.coll_shape(comm)?;
        let in_place = bufs.send.is_none();
        let algo = self.config.coll.choose(Coll::Gather, p, block, true);
        let mut net = RtNet::new(self, comm, TAG_GATHER, regions(bufs))?;
        match algo {
            Algo::Binomial => gather_binomial::run(&mut net, root, block, in_place)?,
            _ => gather_linear::run(&mut net, root, block, in_place)?,
        }
        net.finish()
    }

    /// MPI_Gatherv: region 0 is the send buffer (`None` at a root that passed MPI_IN_PLACE),
    /// region `1 + i` the root's block for member `i` (only at the root).
    pub fn gatherv(&mut self, comm: u32, send: Option<UserBuf>, blocks: Vec<UserBuf>, root: u32) -> Result<()> {
        let root = self.vroot(comm, root)?;
        let blocks = self.blocks_of_live(comm, blocks)?;
        let in_place = send.is_none();
        let mut regs = vec![send.unwrap_or_else(UserBuf::empty)];
        regs.extend(blocks);
        let mut net = RtNet::new(self, comm, TAG_GATHERV, regs)?;
        gather_linear::run_v(&mut net, root, in_place)?;
        net.finish()
    }

    /// MPI_Scatter of `block` packed bytes per member. `bufs.recv` is `None` at a root that
    /// passed MPI_IN_PLACE.
    pub fn scatter(&mut self, comm: u32, bufs: Buffers, block: usize, root: u32) -> Result<()> {
        if self.has_gaps(comm) {
            let blocks = self.split_live(comm, bufs.send.as_ref(), block)?;
            return self.scatterv(comm, bufs.recv, blocks, root);
        }
        let root = self.vroot(comm, root)?;
        let (p, _) = self.coll_shape(comm)?;
        let in_place = bufs.recv.is_none();
        let algo = self.config.coll.choose(Coll::Scatter, p, block, true);
        let mut net = RtNet::new(self, comm, TAG_SCATTER, regions(bufs))?;
        match algo {
            Algo::Binomial => scatter_binomial::run(&mut net, root, block, in_place)?,
            _ => scatter_linear::run(&mut net, root, block, in_place)?,
        }
        net.finish()
    }

    /// MPI_Scatterv: region 0 is the receive buffer, region `1 + i` the root's block for
    /// member `i`.
    pub fn scatterv(&mut self, comm: u32, recv: Option<UserBuf>, blocks: Vec<UserBuf>, root: u32) -> Result<()> {
        let root = self.vroot(comm, root)?;
        let blocks = self.blocks_of_live(comm, blocks)?;
        let in_place = recv.is_none();
        let mut regs = vec![recv.unwrap_or_else(UserBuf::empty)];
        regs.extend(blocks);
        let mut net = RtNet::new(self, comm, TAG_SCATTERV, regs)?;
        scatter_linear::run_v(&mut net, root, in_place)?;
        net.finish()
    }

    /// MPI_Allgather of `block` packed bytes per member; `bufs.send` is `None` for
    /// MPI_IN_PLACE.
    pub fn allgather(&mut self, comm: u32, bufs: Buffers, block: usize) -> Result<()> {
        if self.has_gaps(comm) {
            let blocks = self.split_live(comm, bufs.recv.as_ref(), block)?;
            return self.allgatherv(comm, bufs.send, blocks);
        }
        let (p, _) = self.coll_shape(comm)?;
        let in_place = bufs.send.is_none();
        let mut algo = self.config.coll.choose(Coll::Allgather, p, block, true);
        if algo == Algo::RecursiveDoubling && !p.is_power_of_two() {
            algo = Algo::Bruck;
        }
        let mut net = RtNet::new(self, comm, TAG_ALLGATHER, regions(bufs))?;
        match algo {
            Algo::RecursiveDoubling => allgather_recursive_doubling::run(&mut net, block, in_place)?,
            Algo::Bruck => allgather_bruck::run(&mut net, block, in_place)?,
            _ => allgather_ring::run(&mut net, block, in_place)?,
        }
        net.finish()
    }

    /// MPI_Allgatherv: region 0 is the send buffer (`None` for MPI_IN_PLACE), region `1 + i`
    /// the block of member `i`.
    pub fn allgatherv(&mut self, comm: u32, send: Option<UserBuf>, blocks: Vec<UserBuf>) -> Result<()> {
        let blocks = self.blocks_of_live(comm, blocks)?;
        let in_place = send.is_none();
        let mut regs = vec![send.unwrap_or_else(UserBuf::empty)];
        regs.extend(blocks);
        let mut net = RtNet::new(self, comm, TAG_ALLGATHERV, regs)?;
        allgatherv_ring::run(&mut net, in_place)?;
        net.finish()
    }

    /// MPI_Alltoall of `block` packed bytes per pair.
    pub fn alltoall(&mut self, comm: u32, bufs: Buffers, block: usize) -> Result<()> {
        if self.has_gaps(comm) {
            let send = self.split_live(comm, bufs.send.as_ref(), block)?;
            let recv = self.split_live(comm, bufs.recv.as_ref(), block)?;
            return self.alltoallv(comm, send, recv);
        }
        let (p, _) = self.coll_shape(comm)?;
        let algo = self.config.coll.choose(Coll::Alltoall, p, block, true);
        let mut net = RtNet::new(self, comm, TAG_ALLTOALL, regions(bufs))?;
        match algo {
            Algo::Pairwise => alltoall_pairwise::run(&mut net, block)?,
            _ => alltoall_scattered::run(&mut net, block)?,
        }
        net.finish()
    }

    /// MPI_Alltoallv: regions `0..p` are the send blocks, `p..2p` the receive blocks.
    pub fn alltoallv(&mut self, comm: u32, send: Vec<UserBuf>, recv: Vec<UserBuf>) -> Result<()> {
        let n = self.comm(comm)?.size() as usize;
        let (send, recv) = if self.has_gaps(comm) && send.len() == n {
            (self.live_blocks(comm, send)?, self.live_blocks(comm, recv)?)
        } else {
            (send, recv)
        };
        let mut regs = send;
        regs.extend(recv);
        let mut net = RtNet::new(self, comm, TAG_ALLTOALLV, regs)?;
        alltoall_scattered::run_v(&mut net)?;
        net.finish()
    }

    /// MPI_Reduce_scatter: member `i` gets block `i` (`counts[i]` elements) of the reduction.
    pub fn reduce_scatter(&mut self, comm: u32, bufs: Buffers, counts: &[usize], red: &Reduction) -> Result<()> {
        if self.has_gaps(comm) {
            return Err(MpiError::other("MPI_Reduce_scatter is not available on a communicator with gaps (BLANK mode); recover it in SHRINK mode or build a new one"));
        }
        let (p, _) = self.coll_shape(comm)?;
        let total: usize = counts.iter().sum();
        let algo = self.config.coll.choose(Coll::ReduceScatter, p, total * red.elem, red.commutative);
        let mut net = RtNet::new(self, comm, TAG_REDUCE_SCATTER, regions(bufs))?;
        match algo {
            Algo::Pairwise => reduce_scatter_pairwise::run(&mut net, red, counts)?,
            _ => reduce_scatter_via_reduce::run(&mut net, red, counts)?,
        }
        net.finish()
    }

    /// MPI_Scan (inclusive) or MPI_Exscan (exclusive: rank 0's receive buffer is untouched).
    pub fn scan(&mut self, comm: u32, bufs: Buffers, count: usize, red: &Reduction, exclusive: bool) -> Result<()> {
        let tag = if exclusive { TAG_EXSCAN } else { TAG_SCAN };
        let mut net = RtNet::new(self, comm, tag, regions(bufs))?;
        scan_recursive_doubling::run(&mut net, red, count, exclusive)?;
        net.finish()
    }
}
