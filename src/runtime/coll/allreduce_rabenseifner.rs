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
    let Some((sc, data)) = reduce_scatter(net, red, count, fold)? else {
        // Sat out: the odd neighbour sends the result.
        let r = net.recv(me + 1, Dst::Region(RECV, 0, n))?;
        return net.wait_all(&[r]);
    };
    let (off, _) = blocks(count, pof2, e, sc.block, sc.block + 1);
    net.write(RECV, off, &data);
    net.recycle(data);

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

/// The reduce-scatter half, on the `count` elements of this member's send region. An active
/// member ends with its block fully reduced (returned); one that sits out (`None`) has
/// handed its data on.
///
/// Until the first fold the data is still the send buffer's, so the first half to give
/// away goes straight from there and only the half kept is copied out.
pub fn reduce_scatter<N: Net>(net: &mut N, red: &Reduction, count: usize, fold: Fold) -> Result<Option<(Scattered, Vec<u8>)>> {
    let me = net.rank();
    let e = red.elem;
    let n = count * e;
    // The partial result so far: (packed offset of its first byte, bytes), or None while
    // it is still the send buffer.
    let mut acc: Option<(usize, Vec<u8>)> = None;
    if me < 2 * fold.rem {
        if me.is_multiple_of(2) {
            net.send_wait(me + 1, Src::Region(SEND, 0, n))?;
            return Ok(None);
        }
        let mut mine = net.read(SEND, 0, n);
        let other = net.recv_bytes(me - 1, n)?;
        let spare = red.fold(&mut mine, other, true);
        net.recycle(spare);
        acc = Some((0, mine));
    }
    let newrank = fold.newrank(me).expect("active member");
    let pof2 = fold.pof2 as usize;
    let (mut lo, mut hi) = (0usize, pof2);
    let mut history = Vec::new();
    let mut mask = 1u32;
    while mask < fold.pof2 {
        let newdst = newrank ^ mask;
        let dst = fold.oldrank(newdst);
        let lower = newdst < newrank;
        let mid = (lo + hi) / 2;
        let (keep, give) = if newrank & mask == 0 { ((lo, mid), (mid, hi)) } else { ((mid, hi), (lo, mid)) };
        let (so, sl) = blocks(count, pof2, e, give.0, give.1);
        let (ro, rl) = blocks(count, pof2, e, keep.0, keep.1);
        let out = match &acc {
            None => Src::Region(SEND, so, sl),
            Some((base, v)) => Src::Bytes(net.bytes_of(&v[so - base..so - base + sl])),
        };
        let mut other = net.sendrecv(dst, out, dst, Dst::Bytes(rl))?.unwrap_or_default();
        acc = Some(match acc.take() {
            None => {
                let mut mine = net.read(SEND, ro, rl);
                let spare = red.fold(&mut mine, other, lower);
                net.recycle(spare);
                (ro, mine)
            }
            Some((base, mut v)) => {
                red.fold_into(&mut v[ro - base..ro - base + rl], &mut other, lower);
                net.recycle(other);
                (base, v)
            }
        });
        history.push((lo, hi));
        (lo, hi) = keep;
        mask <<= 1;
    }
    let (off, len) = blocks(count, pof2, e, lo, hi);
    let data = match acc {
        None => net.read(SEND, off, len),
        Some((base, v)) if base == off && v.len() == len => v,
        Some((base, v)) => {
            let d = net.bytes_of(&v[off - base..off - base + len]);
            net.recycle(v);
            d
        }
    };
    Ok(Some((Scattered { newrank, block: lo, history }, data)))
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
