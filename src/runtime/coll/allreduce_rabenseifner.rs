//! Rabenseifner's allreduce for long messages: a reduce-scatter by recursive halving (each
//! step sends half of what is left and folds in the other half), then an allgather by
//! recursive doubling. Each member moves about 2n bytes instead of n log p.
//!
//! Halving starts with the nearest partner (mask 1), so what a member holds always covers a
//! contiguous range of ranks and partners combine in rank order: non-commutative operations
//! work. The price is that member `r` ends up with block bit-reverse(r), tracked below. The
//! allgather runs in the receive buffer itself: each block lands at its final place.

use super::{Dst, Fold, Net, RECV, Reduction, SEND, Src, blocks};
use crate::core::error::Result;

/// Where the reduce-scatter left an active member.
#[derive(Debug)]
pub struct Scattered {
    pub newrank: u32,
    /// The block (of `pof2`) this member holds fully reduced.
    pub block: usize,
    /// The block range held before each halving step, first step first.
    history: Vec<(usize, usize)>,
}

pub fn run<N: Net>(net: &mut N, red: &Reduction, count: usize) -> Result<()> {
    let (p, me) = (net.size(), net.rank());
    if p == 1 {
        net.copy((SEND, 0), (RECV, 0), count * red.elem);
        return Ok(());
    }
    let e = red.elem;
    let n = count * e;
    let fold = Fold::new(p);
    let pof2 = fold.pof2 as usize;
    let mut acc = net.read(SEND, 0, n);
    let Some(sc) = reduce_scatter(net, red, &mut acc, count, fold)? else {
        // Sat out: the odd neighbour sends the result.
        let r = net.recv(me + 1, Dst::Region(RECV, 0, n))?;
        return net.wait_all(&[r]);
    };
    let (off, len) = blocks(count, pof2, e, sc.block, sc.block + 1);
    net.write(RECV, off, &acc[off..off + len]);
    drop(acc);

    // Allgather: undo the halving steps, last first.
    let (mut lo, mut hi) = (sc.block, sc.block + 1);
    for (step, &(plo, phi)) in sc.history.iter().enumerate().rev() {
        let newdst = sc.newrank ^ (1 << step);
        let dst = fold.oldrank(newdst);
        let (theirs_lo, theirs_hi) = if lo == plo { (hi, phi) } else { (plo, lo) };
        let (so, sl) = blocks(count, pof2, e, lo, hi);
        let (ro, rl) = blocks(count, pof2, e, theirs_lo, theirs_hi);
        net.sendrecv(dst, Src::Region(RECV, so, sl), dst, Dst::Region(RECV, ro, rl))?;
        (lo, hi) = (plo, phi);
    }
    if me < 2 * fold.rem {
        net.send_wait(me - 1, Src::Region(RECV, 0, n))?;
    }
    Ok(())
}

/// The reduce-scatter half, on `acc` (this member's contribution, `count` elements). An
/// active member ends with its block of `acc` fully reduced; one that sits out (`None`) has
/// handed its data on.
pub fn reduce_scatter<N: Net>(net: &mut N, red: &Reduction, acc: &mut Vec<u8>, count: usize, fold: Fold) -> Result<Option<Scattered>> {
    let me = net.rank();
    let e = red.elem;
    let n = count * e;
    if me < 2 * fold.rem {
        if me.is_multiple_of(2) {
            net.send_wait(me + 1, Src::Bytes(std::mem::take(acc)))?;
            return Ok(None);
        }
        let other = net.recv_bytes(me - 1, n)?;
        red.fold(acc, other, true);
    }
    let newrank = fold.newrank(me).expect("active member");
    let pof2 = fold.pof2 as usize;
    let (mut lo, mut hi) = (0usize, pof2);
    let mut history = Vec::new();
    let mut mask = 1u32;
    while mask < fold.pof2 {
        let newdst = newrank ^ mask;
        let dst = fold.oldrank(newdst);
        let mid = (lo + hi) / 2;
        let (keep, give) = if newrank & mask == 0 { ((lo, mid), (mid, hi)) } else { ((mid, hi), (lo, mid)) };
        let (so, sl) = blocks(count, pof2, e, give.0, give.1);
        let (ro, rl) = blocks(count, pof2, e, keep.0, keep.1);
        let mut other = net.sendrecv(dst, Src::Bytes(acc[so..so + sl].to_vec()), dst, Dst::Bytes(rl))?.unwrap_or_default();
        red.fold_into(&mut acc[ro..ro + rl], &mut other, newdst < newrank);
        history.push((lo, hi));
        (lo, hi) = keep;
        mask <<= 1;
    }
    Ok(Some(Scattered { newrank, block: lo, history }))
}

/// The block active member `newrank` holds after the reduce-scatter.
pub fn final_block(newrank: u32, pof2: u32) -> usize {
    let (mut lo, mut hi) = (0usize, pof2 as usize);
    let mut mask = 1;
    while mask < pof2 {
        let mid = (lo + hi) / 2;
        if newrank & mask == 0 {
            hi = mid;
        } else {
            lo = mid;
        }
        mask <<= 1;
    }
    lo
}
