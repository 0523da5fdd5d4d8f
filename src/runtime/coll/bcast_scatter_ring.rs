//! Broadcast of long messages (van de Geijn): the root scatters the message in p pieces down
//! a binomial tree, then a ring allgather completes every copy. Each member moves about 2n
//! bytes instead of n log p. Every piece lands at its final place in the buffer, so nothing
//! is copied twice.

use super::{Dst, Net, Region, Src, block};
use crate::core::error::Result;

pub fn run<N: Net>(net: &mut N, root: u32, buf: Region, n: usize) -> Result<()> {
    let (p, me) = (net.size(), net.rank());
    if p == 1 {
        return Ok(());
    }
    let pu = p as usize;
    let rel = (me + p - root) % p;
    let actual = |r: u32| (r + root) % p;
    // Pieces by relative rank; pieces lo..hi are contiguous in the buffer.
    let span = |lo: u32, hi: u32| -> (usize, usize) {
        let hi = hi.min(p);
        if lo >= hi {
            return (0, 0);
        }
        let (start, _) = block(n, pu, 1, lo as usize);
        let (last, len) = block(n, pu, 1, hi as usize - 1);
        (start, last + len - start)
    };

    // Scatter: member `rel` receives the pieces of its subtree, rel .. rel + lowbit(rel).
    let mut mask = 1;
    while mask < p {
        if rel & mask != 0 {
            let (off, len) = span(rel, rel + mask);
            let r = net.recv(actual(rel - mask), Dst::Region(buf, off, len))?;
            net.wait_all(&[r])?;
            break;
        }
        mask <<= 1;
    }
    let mut reqs = Vec::new();
    mask >>= 1;
    while mask > 0 {
        if rel + mask < p {
            let (off, len) = span(rel + mask, rel + 2 * mask);
            reqs.push(net.send(actual(rel + mask), Src::Region(buf, off, len))?);
        }
        mask >>= 1;
    }
    net.wait_all(&reqs)?;

    // Ring allgather of the pieces.
    let (left, right) = (actual((rel + p - 1) % p), actual((rel + 1) % p));
    for k in 0..p - 1 {
        let out = (rel + p - k) % p;
        let inc = (rel + 2 * p - k - 1) % p;
        let (so, sl) = span(out, out + 1);
        let (ro, rl) = span(inc, inc + 1);
        net.sendrecv(right, Src::Region(buf, so, sl), left, Dst::Region(buf, ro, rl))?;
    }
    Ok(())
}
