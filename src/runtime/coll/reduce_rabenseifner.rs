//! Reduce for long messages: the reduce-scatter of Rabenseifner's allreduce, then every
//! active member sends its reduced block straight to its place in the root's buffer.

use super::allreduce_rabenseifner::{final_block, reduce_scatter};
use super::{Dst, Fold, Net, RECV, Reduction, Src, blocks};
use crate::core::error::Result;

pub fn run<N: Net>(net: &mut N, red: &Reduction, root: u32, count: usize) -> Result<()> {
    let me = net.rank();
    let e = red.elem;
    let fold = Fold::new(net.size());
    let pof2 = fold.pof2 as usize;
    let mine = reduce_scatter(net, red, count, fold)?;
    let mut reqs = Vec::new();
    if me == root {
        for q in 0..fold.pof2 {
            let holder = fold.oldrank(q);
            let b = final_block(q, fold.pof2);
            let (off, len) = blocks(count, pof2, e, b, b + 1);
            if holder == me {
                if let Some((_, data)) = &mine {
                    net.write(RECV, off, data);
                }
            } else {
                reqs.push(net.recv(holder, Dst::Region(RECV, off, len))?);
            }
        }
        if let Some((_, data)) = mine {
            net.recycle(data);
        }
    } else if let Some((_, data)) = mine {
        reqs.push(net.send(root, Src::Bytes(data))?);
    }
    net.wait_all(&reqs)
}
