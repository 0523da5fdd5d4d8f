//! Reduce-scatter for commutative operations: p - 1 exchanges; in step k each member sends
//! its contribution to block rank + k straight from its send buffer and folds in the
//! contribution to its own block from rank - k.

use super::{Net, RECV, Reduction, SEND, Src};
use crate::core::error::Result;
use crate::runtime::coll::Dst;

pub fn run<N: Net>(net: &mut N, red: &Reduction, counts: &[usize]) -> Result<()> {
    debug_assert!(red.commutative);
    let (p, me) = (net.size(), net.rank());
    let e = red.elem;
    let disp: Vec<usize> = counts.iter().scan(0, |acc, &c| {
        let d = *acc;
        *acc += c * e;
        Some(d)
    }).collect();
    let mine = counts[me as usize] * e;
    let mut acc = net.read(SEND, disp[me as usize], mine);
    for k in 1..p {
        let dst = ((me + k) % p) as usize;
        let src = (me + p - k) % p;
        let other = net.sendrecv(dst as u32, Src::Region(SEND, disp[dst], counts[dst] * e), src, Dst::Bytes(mine))?.unwrap_or_default();
        red.apply(&other, &mut acc);
        net.recycle(other);
    }
    net.write(RECV, 0, &acc);
    net.recycle(acc);
    Ok(())
}
