//! Binomial-tree gather for short blocks: each member collects its subtree's blocks (in
//! relative rank order, so a subtree is one contiguous piece) and sends them to its parent
//! in one message; the root puts them in place. ceil(log2 p) rounds instead of p - 1
//! messages at the root.

use super::{Dst, Net, RECV, SEND, Src};
use crate::core::error::Result;

/// Lowest set bit of a relative rank (the size of its subtree); for the root, the smallest
/// power of two not below `p`.
pub fn subtree(rel: u32, p: u32) -> u32 {
    if rel == 0 { p.next_power_of_two() } else { rel & rel.wrapping_neg() }
}

pub fn run<N: Net>(net: &mut N, root: u32, m: usize, in_place: bool) -> Result<()> {
    let (p, me) = (net.size(), net.rank());
    let rel = (me + p - root) % p;
    let actual = |r: u32| (r + root) % p;
    let low = subtree(rel, p);
    let mut tmp = if in_place { net.read(RECV, me as usize * m, m) } else { net.read(SEND, 0, m) };
    let mut kids = Vec::new();
    let mut mask = 1;
    while mask < low && rel + mask < p {
        let child = rel + mask;
        let blocks = mask.min(p - child) as usize;
        kids.push(net.recv(actual(child), Dst::Bytes(blocks * m))?);
        mask <<= 1;
    }
    for k in kids {
        net.wait_all(&[k])?;
        let got = net.take(k);
        tmp.extend_from_slice(&got);
    }
    if rel != 0 {
        return net.send_wait(actual(rel - low), Src::Bytes(tmp));
    }
    // Block j of tmp belongs to rank root + j (mod p).
    let split = (p - root) as usize * m;
    net.write(RECV, root as usize * m, &tmp[..split]);
    net.write(RECV, 0, &tmp[split..]);
    Ok(())
}
