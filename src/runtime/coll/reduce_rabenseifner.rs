//! Reduce for long messages: the reduce-scatter of Rabenseifner's allreduce, then every
//! active member sends its reduced block straight to its place in the root's buffer.

use super::allreduce_rabenseifner::{final_block, reduce_scatter};
use super::{Dst, Fold, Net, RECV, Reduction, SEND, Src, blocks};
use crate::core::error::Result;

pub fn run<N: Net>(net: &mut N, red: &Reduction, root: u32, count: usize) -> Result<()> {
    let (p, me) = (net.size(), net.rank());
    let e = red.elem;
    let fold = Fold::new(p);
    let pof2 = fold.pof2 as usize;
    let mut acc = net.read(SEND, 0, count * e);
    let mine = reduce_scatter(net, red, &mut acc, count, fold)?;
    let mut reqs = Vec::new();
    if me == root {
        for q in 0..fold.pof2 {
            let holder = fold.oldrank(q);
            let b = final_block(q, fold.pof2);
            let (off, len) = blocks(count, pof2, e, b, b + 1);
            if holder == me {
                net.write(RECV, off, &acc[off..off + len]);
            } else {
                reqs.push(net.recv(holder, Dst::Region(RECV, off, len))?);
            }
        }
    } else if let Some(sc) = mine {
        let (off, len) = blocks(count, pof2, e, sc.block, sc.block + 1);
        reqs.push(net.send(root, Src::Bytes(acc[off..off + len].to_vec()))?);
    }
    net.wait_all(&reqs)
}
