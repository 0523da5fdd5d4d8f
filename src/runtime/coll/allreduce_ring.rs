//! Ring allreduce for long messages and commutative operations: p - 1 steps of a ring
//! reduce-scatter (each block travels once around the ring, collecting every contribution),
//! then p - 1 steps of a ring allgather in the receive buffer. Every step moves n / p bytes
//! between neighbours only, which suits any p, not just powers of two. Each step reads this
//! member's own part of the block it folds straight from the send buffer, which nothing
//! writes before the allgather.

use super::{Net, RECV, Reduction, SEND, Src, block};
use crate::core::error::Result;
use crate::runtime::coll::Dst;

pub fn run<N: Net>(net: &mut N, red: &Reduction, count: usize) -> Result<()> {
    debug_assert!(red.commutative);
    let (p, me) = (net.size(), net.rank());
    let e = red.elem;
    let pu = p as usize;
    if p == 1 {
        net.copy((SEND, 0), (RECV, 0), count * e);
        return Ok(());
    }
    let blk = |i: u32| block(count, pu, e, i as usize);
    let (left, right) = ((me + p - 1) % p, (me + 1) % p);
    // Step k sends the partial of block me - k and folds this member's part into block
    // me - k - 1, which it forwards next.
    let mut carry: Option<Vec<u8>> = None;
    for k in 0..p - 1 {
        let sb = (me + p - k) % p;
        let rb = (me + 2 * p - k - 1) % p;
        let out = match carry.take() {
            Some(v) => Src::Bytes(v),
            None => {
                let (o, l) = blk(sb);
                Src::Region(SEND, o, l)
            }
        };
        let (ro, rl) = blk(rb);
        let mut part = net.sendrecv(right, out, left, Dst::Bytes(rl))?.unwrap_or_default();
        let mine = net.read(SEND, ro, rl);
        red.apply(&mine, &mut part);
        net.recycle(mine);
        carry = Some(part);
    }
    let done = (me + 1) % p;
    let last = carry.unwrap_or_default();
    net.write(RECV, blk(done).0, &last);
    net.recycle(last);
    for k in 0..p - 1 {
        let sb = (me + 1 + p - k) % p;
        let rb = (me + p - k) % p;
        let (so, sl) = blk(sb);
        let (ro, rl) = blk(rb);
        net.sendrecv(right, Src::Region(RECV, so, sl), left, Dst::Region(RECV, ro, rl))?;
    }
    Ok(())
}
